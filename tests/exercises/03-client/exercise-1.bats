#!/usr/bin/env bats
# Step 03, exercise 1: an exit status that says whether a reply came.
bats_require_minimum_version 1.5.0
load ../exercise

NO_REPLY="client: the server closed the connection without a reply"

@test "a server that closes without replying: nothing on stdout, a message on stderr, status 3" {
    start_server "$PYTHON" "$BATS_TEST_DIRNAME/server.py" silent
    local word
    word=$(random_word)
    note "the client (-m $word -w 0) talked to a server that read everything and closed without replying"
    run --separate-stderr timeout 10 "$PROGRAM" -p "$PORT" -m "$word" -w 0
    expect "" "nothing came, so nothing should be printed on stdout."
    output=$stderr
    expect "$NO_REPLY" "when recv() returns 0 before any byte came, say so on stderr."
    expect_status 3 "no reply: exit with status 3 (1 already means a failed call, 2 a usage error)."
}

@test "with a server that replies as step 02 does, a message gets its reply and status 0; an empty one gets none: status 3" {
    start_server "$PYTHON" "$BATS_TEST_DIRNAME/server.py" echo
    local word
    word=$(random_word)
    note "the client (-m $word -w 0) talked to a server that replies as step 02 does"
    run --separate-stderr timeout 10 "$PROGRAM" -p "$PORT" -m "$word" -w 0
    output=${output% from *}
    expect "[CONNECTION] Received \"$word\"" "the client should print the reply as before."
    expect_status 0 "a reply came: the exit status is 0."
    note "then the client (-m \"\" -w 0) sent nothing to that server: it replies to bytes, and none came"
    run --separate-stderr timeout 10 "$PROGRAM" -p "$PORT" -m "" -w 0
    output=$stderr
    expect "$NO_REPLY" "count the bytes recv() returned: none came, whatever the message was."
    expect_status 3 "no reply: exit with status 3."
}
