#!/usr/bin/env bats
# Step 03, exercise 2: give up connecting after -t seconds.
bats_require_minimum_version 1.5.0
load ../exercise

@test "client -t 1 gives up on a server that never answers, after about a second" {
    # A listener whose accept queue is full: the kernel ignores further
    # connection requests, so connect() would wait for minutes.
    start_server "$PYTHON" "$TESTS_DIR/exercises/black_hole.py"
    local started=$SECONDS
    run --separate-stderr timeout 10 "$PROGRAM" -t 1 -p "$PORT" -w 0
    expect_option_known "$status" -t
    ((status != 124)) || fail "the client was still waiting after 10 s: -t 1 should give up after 1 s"
    ((SECONDS - started <= 3)) || fail "the client gave up after $((SECONDS - started)) s; expected about 1 s"
    output=$stderr
    expect "connect: Connection timed out"
    [[ $status -eq 1 ]] || fail "expected status 1, got $status"
}

@test "client -t 1 still connects to a server that answers" {
    start_server "$(server_binary 02-threaded-server)"
    run timeout 10 "$PROGRAM" -t 1 -p "$PORT" -w 0
    expect_option_known "$status" -t
    output=${output%% from *}
    expect '[CONNECTION] Received "Hello world!"'
}
