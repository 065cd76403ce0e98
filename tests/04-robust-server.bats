#!/usr/bin/env bats
# Step 02: one thread per client, so clients no longer wait for each other.

bats_require_minimum_version 1.5.0
load helpers
load server_cases

setup() { SERVER=$(server_binary 04-robust-server); }

expected_session_log() {
    echo "[INFO] Starting thread for connection $1"
    echo "[CONNECTION] Connected to $1"
    echo "[CONNECTION] Disconnected from $1"
}

@test "04: builds alone with the cc line its chapter shows" { check_standalone_build 04-robust-server server.c; }
@test "04: announces the port it really listens on" { check_listening_line; }
@test "04: replies with one escaped line per chunk and logs the session" { check_reply_and_log; }
@test "04: escapes every byte value in replies; its log has no raw control byte" { check_escapes_every_byte; }
@test "04: answers every byte of a 1 MiB flood (partial sends completed)" { check_flood_fully_answered; }
@test "04: serves the next client after one resets mid-reply" { check_serves_after reset-after-send; }
@test "04: serves the next client after one floods without reading" { check_serves_after flood-without-reading 0.5; }
@test "04: serves the next client after one disconnects at once" { check_serves_after connect-and-close; }
@test "04: survives clients that half-close and reset mid-reply (SIGPIPE)" { check_serves_after half-close-then-reset 20; }
@test "04: can be restarted on the same port at once (SO_REUSEADDR)" { check_restarts_on_same_port; }
@test "04: descriptors and threads return to their count after clients leave" { check_resources_return; }
@test "04: SIGINT stops it with a log line and status 0" { check_stops_on INT; }
@test "04: SIGTERM stops it with a log line and status 0" { check_stops_on TERM; }
@test "04: SIGTERM stops it while a client is connected" { check_stops_with_idle_client TERM; }
@test "04: usage errors exit 2 with a reason and the usage" { check_usage_errors; }
@test "04: failing system calls exit 1 naming the call" { check_system_call_errors; }

@test "04: a second client is served while the first stays connected" { check_second_client_served_at_once; }
@test "04: serves 100 clients at the same time, one thread each, then returns to one thread" { check_clients_at_once 100 1; }

@test "04: a thread that cannot be created drops that client, and the server goes on" {
    [[ -z ${SANITIZER:-} ]] || skip "address-space limits do not apply to sanitizer builds"
    # Each thread asks for a stack as large as ulimit -s; with little address
    # space (ulimit -v) pthread_create fails with EAGAIN.
    start_server bash -c 'ulimit -s 200000 && ulimit -v 150000 && exec "$0" "$@"' "$SERVER"
    run -0 peer exchange
    assert_line --index 1 "no reply: the server closed the connection"
    run -0 peer exchange
    assert_line --index 1 "no reply: the server closed the connection"
    server_alive
    run cat "$SERVER_ERR"
    assert_output "pthread_create: Resource temporarily unavailable
pthread_create: Resource temporarily unavailable"
}
