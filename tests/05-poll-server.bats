#!/usr/bin/env bats
# Step 05: one thread and poll() serve every client; no client can stall the others.
#
# Its lesson: non-blocking sockets, one poll() over every client, pending
# output kept per client and resumed on POLLOUT, and a loop that never
# sleeps anywhere but in poll(), even out of descriptors. The limits its
# chapter names in "What can go wrong" are asserted at the end ("05 limit").

bats_require_minimum_version 1.5.0
load helpers
load server_cases
load event_loop_cases

setup() { SERVER=$(server_binary 05-poll-server); }

# --- What every server step does ------------------------------------------------

@test "05: builds alone with the cc line its chapter shows" { check_standalone_build 05-poll-server server.c; }
@test "05: announces the port it really listens on" { check_listening_line; }
@test "05: replies with one escaped line per chunk and logs the session" { check_reply_and_log; }
@test "05: escapes every byte value in replies; its log has no raw control byte" { check_escapes_every_byte; }
@test "05: answers every byte of a 1 MiB flood (partial sends completed)" { check_flood_fully_answered; }
@test "05: a slow reader still gets every byte of 3 MiB of replies (partial sends resumed)" { check_slow_reader_gets_every_byte; }
@test "05: serves the next client after one resets mid-reply" { check_serves_after reset-after-send; }
@test "05: serves the next client after one floods without reading" { check_serves_after flood-without-reading 0.5; }
@test "05: serves the next client after one disconnects at once" { check_serves_after connect-and-close; }
@test "05: survives clients that half-close and reset mid-reply (SIGPIPE)" { check_serves_after half-close-then-reset 20; }
@test "05: can be restarted on the same port at once (SO_REUSEADDR)" { check_restarts_on_same_port; }
@test "05: descriptors return to their count after clients leave" { check_resources_return; }
@test "05: SIGINT stops it with a log line and status 0" { check_stops_on INT; }
@test "05: SIGTERM stops it with a log line and status 0" { check_stops_on TERM; }
@test "05: SIGTERM stops it while a client is connected" { check_stops_with_idle_client TERM; }
@test "05: listens on the IPv6 loopback ::1, and logs IPv6 addresses as [IP]:PORT" { check_listens_on_ipv6_loopback; }
@test "05: usage errors exit 2 with a reason and the usage" { check_usage_errors; }
@test "05: failing system calls exit 1 naming the call" { check_system_call_errors; }

# --- One thread, every client ----------------------------------------------------

@test "05: a second client is served while the first stays connected" { check_second_client_served_at_once; }
@test "05: serves 1,000 clients at the same time with one thread" { check_clients_at_once 1000 0; }

@test "05: a client that never reads does not stall the others, and is dropped past 1 MiB" { check_stalled_reader_dropped; }
@test "05: a half-open client (finished sending, never reads) is cleaned up" { check_half_open_cleaned_up; }
@test "05: no descriptor leaks after 10,000 connections" { check_no_leak_after_many; }

# --- Out of descriptors: the loop neither sleeps nor spins -------------------------

@test "05: out of descriptors, it stops accepting, neither sleeping nor spinning; a newcomer waits until a client leaves" {
    check_newcomer_waits_for_a_descriptor
}

@test "05: out of descriptors with no client to give one back, it exits 1 naming accept" {
    # 6 descriptors: 0-2, the stop pipe's two ends and the listener.
    check_exits_with_own_descriptors_only 6
}

# --- The limits the chapter names ("What can go wrong") ----------------------------

@test "05 limit: an idle client keeps its descriptor as long as it likes (no timeout)" { check_idle_client_keeps_descriptor; }
@test "05 limit: a log that nobody reads stops every client (printf blocks)" { check_unread_log_stops_every_client; }
