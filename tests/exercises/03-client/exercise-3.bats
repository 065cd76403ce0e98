#!/usr/bin/env bats
# Step 03, exercise 3: retry with backoff (-r attempts) until the server is up.
bats_require_minimum_version 1.5.0
load ../exercise

@test "client -r 8 waits for a server that starts late, saying each time it retries" {
    local port
    port=$(closed_port)
    timeout 10 "$PROGRAM" -r 8 -p "$port" -w 0 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
    local client=$!
    sleep 0.5 # the client's first attempts find nothing listening
    start_server "$(server_binary 02-threaded-server)" -p "$port"
    local status=0
    wait "$client" || status=$?
    expect_option_known "$status" -r
    run cat "$BATS_TEST_TMPDIR/out"
    output=${output%% from *}
    expect '[CONNECTION] Received "Hello world!"'
    run grep -c '^connect: Connection refused; retrying in [0-9]* ms$' "$BATS_TEST_TMPDIR/err"
    ((output >= 2)) || fail "expected at least 2 lines 'connect: Connection refused; retrying in N ms' on stderr, got $output"
}

@test "client -r 3 gives up after 3 attempts, with the last error" {
    run --separate-stderr timeout 10 "$PROGRAM" -r 3 -p "$(closed_port)" -w 0
    expect_option_known "$status" -r
    output=$stderr
    expect "connect: Connection refused; retrying in 100 ms
connect: Connection refused; retrying in 200 ms
connect: Connection refused"
}
