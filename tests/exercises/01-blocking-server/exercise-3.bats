#!/usr/bin/env bats
# Step 01, exercise 3: drop a client that stays silent for 2 seconds.
bats_require_minimum_version 1.5.0
load ../exercise

@test "a client silent for 2 s is disconnected, and the log says why" {
    start_server "$PROGRAM"
    run -0 peer idle 6
    expect "replied
the server closed the connection after 2 s of silence"
    run grep -E '^\[CONNECTION\] (Timed out|Disconnected)' "$SERVER_LOG"
    output=$(printf '%s\n' "${lines[@]}" | sed -E 's/[0-9]+$/PORT/')
    expect "[CONNECTION] Timed out 127.0.0.1:PORT
[CONNECTION] Disconnected from 127.0.0.1:PORT"
}

@test "a client that keeps talking is not disconnected" {
    start_server "$PROGRAM"
    run -0 peer exchange
    output=${lines[1]%% from *}
    expect '[CONNECTION] Received "Hello world!"'
}
