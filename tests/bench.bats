#!/usr/bin/env bats
# The load generator behind make bench: what it counts must be right. (Its
# timings are make bench's business, never a test's.)

bats_require_minimum_version 1.5.0
load helpers

setup() { LOAD=$REPO_ROOT/bench/load; }

figure() { sed -nE "s/.*\\b$1=([0-9.]+).*/\\1/p" <<<"$output"; }

@test "bench: 4 connections x 50 round trips against step 05 are all counted" {
    start_server "$(server_binary 05-poll-server)"
    run -0 "$LOAD" -p "$PORT" -c 4 -n 50
    assert_equal "$(figure round_trips)" 200
    assert_equal "$(figure failed_connects)" 0
    assert_equal "$(figure complete)" 1
    run grep -c 'Connected to' "$SERVER_LOG"
    assert_output 4
}

@test "bench: pacing still lets step 01 serve 8 connections, one after another" {
    start_server "$(server_binary 01-blocking-server)"
    run -0 "$LOAD" -p "$PORT" -c 8 -n 20 -r 4
    assert_equal "$(figure round_trips)" 160
    assert_equal "$(figure complete)" 1
}

@test "bench: idle mode holds its connections while one more does the round trips" {
    start_server "$(server_binary 05-poll-server)"
    run -0 "$LOAD" -p "$PORT" -i 20 -n 10 </dev/null
    assert_equal "$(figure idle_held)" 20
    assert_equal "$(figure round_trips)" 10
}

@test "bench: the floor needs no server" {
    run -0 "$LOAD" -f -n 100
    assert_equal "$(figure round_trips)" 100
    assert_equal "$(figure complete)" 1
}

@test "bench: a closed port counts as a failed connect, and the run as incomplete" {
    run -1 "$LOAD" -p "$(closed_port)" -c 1 -n 1
    assert_equal "$(figure failed_connects)" 1
    assert_equal "$(figure complete)" 0
}

@test "bench: bad options are usage errors" {
    run -2 "$LOAD"
    run -2 "$LOAD" -p 80 -c 0
    assert_output --partial "load: not a number from 1 to 100000: 0"
}
