#!/usr/bin/env bats
# Step 01, exercise 1: reply in upper case.
bats_require_minimum_version 1.5.0
load ../exercise

@test "the reply shows what the client sent in upper case" {
    start_server "$PROGRAM"
    run -0 peer exchange "Hello world!"
    local peer_address=${lines[0]#local }
    output=${lines[1]:-}
    expect "[CONNECTION] Received \"HELLO WORLD!\" from $peer_address"
}

@test "what is not a letter is escaped as before" {
    start_server "$PROGRAM"
    run -0 peer exchange $'tab\there, esc\e[1m'
    output=${lines[1]%% from *}
    expect '[CONNECTION] Received "TAB\tHERE, ESC\x1b[1M"'
}
