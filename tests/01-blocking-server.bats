#!/usr/bin/env bats
# Step 01: the blocking server serves one client at a time.
#
# Its lesson: socket, bind, listen, accept, recv, send, close, and a reply to
# every chunk sent in full. Its limits, each named in the chapter's "What can
# go wrong" section, are asserted at the end: if one is fixed here, the test
# fails and the chapter (and the step that fixes it) must change too.

bats_require_minimum_version 1.5.0
load helpers
load server_cases

setup() { SERVER=$(server_binary 01-blocking-server); }

@test "01: builds alone with the cc line its chapter shows" { check_standalone_build 01-blocking-server server.c; }
@test "01: announces the port it really listens on" { check_listening_line; }
@test "01: replies with one escaped line per chunk and logs the session" { check_reply_and_log; }
@test "01: escapes every byte value in replies; its log has no raw control byte" { check_escapes_every_byte; }
@test "01: answers every byte of a 1 MiB flood" { check_flood_fully_answered; }
@test "01: serves the next client after one resets mid-reply" { check_serves_after reset-after-send; }
@test "01: serves the next client after one disconnects at once" { check_serves_after connect-and-close; }
@test "01: can be restarted on the same port at once (SO_REUSEADDR)" { check_restarts_on_same_port; }
@test "01: descriptors return to their count after clients leave" { check_resources_return; }
@test "01: usage errors exit 2 with a reason and the usage" { check_usage_errors; }
@test "01: failing system calls exit 1 naming the call" { check_system_call_errors; }

@test "01: a second client waits until the first leaves" {
    start_server "$SERVER"
    run -0 peer second-client
    assert_output "first: replied
second, while first connected: no reply within 1 s
second, after first left: replied"
}

@test "01: stays one thread" {
    start_server "$SERVER"
    peer exchange >/dev/null
    assert_equal "$(thread_count)" 1
}

# --- The limits the chapter names ("What can go wrong"), fixed in step 04 ---

@test "01 limit: Ctrl-C (SIGINT) kills it: status 130, no farewell line" {
    start_server "$SERVER"
    stop_server INT
    assert_equal "$SERVER_STATUS" 130 # 128 + SIGINT: killed, not exited
    run cat "$SERVER_LOG"
    assert_output "[INFO] Listening on 127.0.0.1:$PORT"
}

@test "01 limit: a client that half-closes, then resets while replies are due, kills it (SIGPIPE)" {
    start_server "$SERVER"
    check_killed_by_sigpipe
    run cat "$SERVER_ERR"
    assert_output "" # no message: the signal kills it before it can say anything
}

@test "01 limit: takes only a numeric IPv4 address, not a name or IPv6" { check_ipv4_numbers_only; }
