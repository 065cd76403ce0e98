#!/usr/bin/env bats
# The load generator behind make bench: what it counts must be right. (Its
# timings are make bench's business, never a test's.)

bats_require_minimum_version 1.5.0
load helpers

setup() { LOAD=$REPO_ROOT/bench/load; }

figure() { sed -nE "s/.*\\b$1=([0-9.]+).*/\\1/p" <<<"$output"; }

# at_least VALUE MINIMUM: succeeds if the decimal VALUE is a number >= MINIMUM.
at_least() { awk -v x="$1" -v min="$2" 'BEGIN { exit !(x ~ /^[0-9.]+$/ && x + 0 >= min) }'; }

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

@test "bench: idle mode against step 06 counts every connection, baseline and active one included" {
    start_server "$(server_binary 06-epoll-server)"
    run -0 "$LOAD" -p "$PORT" -i 20 -n 10 -r 64 </dev/null
    assert_equal "$(figure idle_held)" 20
    assert_equal "$(figure round_trips)" 10
    assert_equal "$(figure complete)" 1
    # the baseline client, the 20 idle ones, the active one
    run grep -c 'Connected to' "$SERVER_LOG"
    assert_output 22
}

@test "bench: -P reads the server's CPU time around the measured round trips" {
    start_server "$(server_binary 06-epoll-server)"
    run -0 "$LOAD" -p "$PORT" -i 5 -n 200 -P "$SERVER_PID" </dev/null
    # the server worked for them, so its CPU clock moved (0.01 µs: its last digit)
    at_least "$(figure server_cpu_us)" 0.01
    at_least "$(figure alone_server_cpu_us)" 0.01
    run -0 "$LOAD" -p "$PORT" -c 2 -n 10
    refute_output --partial server_cpu_us
}

@test "bench: -P with a process that does not exist is an error naming the call" {
    start_server "$(server_binary 06-epoll-server)"
    sleep 0 & local gone=$!
    wait "$gone"
    run -1 "$LOAD" -p "$PORT" -n 1 -P "$gone"
    assert_output --partial "clock_getcpuclockid: "
}

@test "bench: -d ends each connection's round trips when its time is up, and counts the run complete" {
    start_server "$(server_binary 06-epoll-server)"
    run -0 "$LOAD" -p "$PORT" -c 2 -d 200
    assert_equal "$(figure complete)" 1
    # each connection did at least one round trip, and none stopped before its time
    at_least "$(figure round_trips)" 2
    at_least "$(figure seconds)" 0.2
    run -0 "$LOAD" -p "$PORT" -i 3 -d 100 </dev/null
    assert_equal "$(figure idle_held)" 3
    assert_equal "$(figure complete)" 1
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
    run -2 "$LOAD" -p 80 -d 0
    assert_output --partial "load: not a number from 1 to 3600000: 0"
    run -2 "$LOAD" -p 80 -P 0
    assert_output --partial "load: not a number from 1 to 2147483647: 0"
}
