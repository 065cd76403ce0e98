#!/usr/bin/env bats
# Step 02, exercise 2: a tiny chat: what one client says, the others see.
bats_require_minimum_version 1.5.0
load ../exercise

@test "every other client gets a [BROADCAST] line; the speaker gets its usual reply" {
    start_server "$PROGRAM"
    run -0 peer broadcast
    local speaker=${lines[0]#speaker }
    output=$(printf '%s\n' "${lines[@]:1}")
    expect "speaker got: [CONNECTION] Received \"Hello, everyone\" from $speaker
listener got: [BROADCAST] \"Hello, everyone\" from $speaker"
}
