#!/usr/bin/env bats
# Step 02: one thread per client, so clients no longer wait for each other.
#
# Its lesson: a thread per client, given its own copy of the connection,
# detached, and a failed pthread_create that ends only that client. Its
# limits, named in the chapter's "What can go wrong" section, are asserted at
# the end; step 04 fixes each of them.

bats_require_minimum_version 1.5.0
load helpers
load server_cases

setup() { SERVER=$(server_binary 02-threaded-server); }

expected_session_log() {
    echo "[INFO] Starting thread for connection $1"
    echo "[CONNECTION] Connected to $1"
    echo "[CONNECTION] Disconnected from $1"
}

@test "02: builds alone with the cc line its chapter shows" { check_standalone_build 02-threaded-server server.c; }
@test "02: announces the port it really listens on" { check_listening_line; }
@test "02: replies with one escaped line per chunk and logs the session" { check_reply_and_log; }
@test "02: escapes every byte value in replies; its log has no raw control byte" { check_escapes_every_byte; }
@test "02: answers every byte of a 1 MiB flood" { check_flood_fully_answered; }
@test "02: serves the next client after one resets mid-reply" { check_serves_after reset-after-send; }
@test "02: serves the next client after one disconnects at once" { check_serves_after connect-and-close; }
@test "02: can be restarted on the same port at once (SO_REUSEADDR)" { check_restarts_on_same_port; }
@test "02: descriptors and threads return to their count after clients leave" { check_resources_return; }
@test "02: usage errors exit 2 with a reason and the usage" { check_usage_errors; }
@test "02: failing system calls exit 1 naming the call" { check_system_call_errors; }
@test "02: a second client is served while the first stays connected" { check_second_client_served_at_once; }

@test "02: a thread that cannot be created drops that client, and the server goes on" { check_failed_thread_drops_client; }

# --- The limits the chapter names ("What can go wrong"), fixed in step 04 ---

@test "02 limit: every client costs a thread, with no cap (100 clients: 100 more threads, each reply naming its own client)" { check_clients_at_once 100 1; }

@test "02 limit: Ctrl-C (SIGINT) kills it, and every connected client with it" {
    start_server "$SERVER"
    hold_a_client
    stop_server INT
    assert_equal "$SERVER_STATUS" 130 # 128 + SIGINT: killed, not exited
    held_client_saw_the_close
    run grep -c "Shutting down" "$SERVER_LOG"
    assert_output 0
}

@test "02 limit: one client that half-closes, then resets while replies are due, kills the server for all (SIGPIPE)" {
    start_server "$SERVER"
    hold_a_client
    check_killed_by_sigpipe
    held_client_saw_the_close
}

@test "02 limit: out of descriptors, accept fails at once, again and again (a busy loop)" {
    # 8 descriptors: 0-2, the listener, and room for 4 clients. The 5th and
    # 6th wait in the accept queue, so accept() fails with EMFILE at once, and
    # the loop calls it again straight away.
    start_server bash -c 'ulimit -n 8 && exec "$0" "$@"' "$SERVER"
    "$PYTHON" -c '
import socket, sys, time
clients = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(6)]
time.sleep(3)' "$PORT" 3>&- &
    local clients=$!
    emfile_lines() { grep -c "^accept: Too many open files$" "$SERVER_ERR"; }
    many_emfile_lines() { (($(emfile_lines) >= 10000)); }
    wait_until 3 many_emfile_lines || fail "expected at least 10000 'accept: Too many open files' lines within 3 s, got $(emfile_lines)"
    kill "$clients" 2>/dev/null || true
    wait "$clients" || true
}

@test "02 limit: takes only a numeric IPv4 address, not a name or IPv6" { check_ipv4_numbers_only; }
