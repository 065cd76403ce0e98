#!/usr/bin/env bats
# Step 03, exercise 1: send each line of standard input (-i), printing each reply.
bats_require_minimum_version 1.5.0
load ../exercise

@test "client -i sends each line and prints each reply, in order" {
    start_server "$(server_binary 02-threaded-server)"
    run timeout 10 "$PROGRAM" -i -p "$PORT" -w 0 < <(printf 'one\ntwo\nthree\n')
    expect_option_known "$status" -i
    output=$(printf '%s\n' "${lines[@]}" | sed -E 's/ from .*//')
    expect '[CONNECTION] Received "one"
[CONNECTION] Received "two"
[CONNECTION] Received "three"'
}
