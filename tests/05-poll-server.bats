#!/usr/bin/env bats
# Step 04: one thread and poll() serve every client; no client can stall the others.

bats_require_minimum_version 1.5.0
load helpers
load server_cases

setup() { SERVER=$(server_binary 05-poll-server); }

@test "04: builds alone with the cc line its chapter shows" { check_standalone_build 05-poll-server server.c; }
@test "04: announces the port it really listens on" { check_listening_line; }
@test "04: replies with one escaped line per chunk and logs the session" { check_reply_and_log; }
@test "04: escapes every byte value in replies; its log has no raw control byte" { check_escapes_every_byte; }
@test "04: answers every byte of a 1 MiB flood (partial sends completed)" { check_flood_fully_answered; }
@test "04: a slow reader still gets every byte of 3 MiB of replies (partial sends resumed)" {
    # A small receive buffer and a late start: the server's replies pile up,
    # and its non-blocking sends take them in pieces.
    start_server "$SERVER"
    run -0 peer flood 3145728 4096 0.5
    assert_output "sent 3145728 bytes, the replies echoed 3145728 bytes"
}
@test "04: serves the next client after one resets mid-reply" { check_serves_after reset-after-send; }
@test "04: serves the next client after one floods without reading" { check_serves_after flood-without-reading 0.5; }
@test "04: serves the next client after one disconnects at once" { check_serves_after connect-and-close; }
@test "04: survives clients that half-close and reset mid-reply (SIGPIPE)" { check_serves_after half-close-then-reset 20; }
@test "04: can be restarted on the same port at once (SO_REUSEADDR)" { check_restarts_on_same_port; }
@test "04: descriptors return to their count after clients leave" { check_resources_return; }
@test "04: SIGINT stops it with a log line and status 0" { check_stops_on INT; }
@test "04: SIGTERM stops it with a log line and status 0" { check_stops_on TERM; }
@test "04: SIGTERM stops it while a client is connected" { check_stops_with_idle_client TERM; }
@test "04: usage errors exit 2 with a reason and the usage" { check_usage_errors; }
@test "04: failing system calls exit 1 naming the call" { check_system_call_errors; }

@test "04: a second client is served while the first stays connected" { check_second_client_served_at_once; }
@test "04: serves 1,000 clients at the same time with one thread" { check_clients_at_once 1000 0; }

@test "04: a client that never reads does not stall the others, and is dropped past 1 MiB" {
    start_server "$SERVER"
    run -0 peer stalled-reader 20
    assert_output "while a client flooded without reading: 20 of 20 replies came within 1 s
the flooder was dropped"
    run grep -cE '^\[CONNECTION\] Dropped 127\.0\.0\.1:[0-9]+: more than 1048576 bytes of replies unread$' "$SERVER_LOG"
    assert_output 1
}

@test "04: a half-open client (finished sending, never reads) is cleaned up" {
    start_server_warm "$SERVER"
    local descriptors release=$BATS_TEST_TMPDIR/release out=$BATS_TEST_TMPDIR/half-open
    descriptors=$(open_descriptors)
    mkfifo "$release"
    peer half-open <"$release" >"$out" 3>&- &
    local client=$!
    exec 4>"$release"
    wait_until 5 grep -q half-closed "$out"
    wait_for_log 'Disconnected from'
    wait_until 5 descriptors_are "$descriptors" ||
        fail "expected $descriptors open descriptors while the half-open client waits, got $(open_descriptors)"
    exec 4>&-
    wait "$client"
}

@test "04: no descriptor leaks after 10,000 connections" {
    start_server_warm "$SERVER"
    local descriptors
    descriptors=$(open_descriptors)
    run -0 peer many 10000
    assert_output "10000 clients came and went"
    wait_until 5 descriptors_are "$descriptors" ||
        fail "expected $descriptors open descriptors after 10,000 clients, got $(open_descriptors)"
}
