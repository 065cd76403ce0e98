#!/usr/bin/env bats
# Step 02, exercise 3: a graceful shutdown that lets connected clients finish.
bats_require_minimum_version 1.5.0
load ../exercise

@test "after SIGTERM, connected clients are still served, new ones refused, then it exits 0" {
    start_server "$PROGRAM"
    run -0 peer graceful "$SERVER_PID"
    expect "before SIGTERM: replied
after SIGTERM: replied
a new client after SIGTERM: refused"
    wait_until 3 server_gone || fail "the server did not exit within 3 s of its last client leaving"
    stop_server
    [[ $SERVER_STATUS -eq 0 ]] || fail "the server exited with status $SERVER_STATUS, expected 0"
}
