#!/usr/bin/env bats
# Step 01: the blocking server serves one client at a time.

bats_require_minimum_version 1.5.0
load helpers
load server_cases

setup() { SERVER=$(server_binary 01-blocking-server); }

@test "01: builds alone with the cc line its chapter shows" { check_standalone_build 01-blocking-server server.c; }
@test "01: announces the port it really listens on" { check_listening_line; }
@test "01: replies with one escaped line per chunk and logs the session" { check_reply_and_log; }
@test "01: escapes every byte value in replies; its log has no raw control byte" { check_escapes_every_byte; }
@test "01: answers every byte of a 1 MiB flood (partial sends completed)" { check_flood_fully_answered; }
@test "01: serves the next client after one resets mid-reply" { check_serves_after reset-after-send; }
@test "01: serves the next client after one floods without reading" { check_serves_after flood-without-reading 0.5; }
@test "01: serves the next client after one disconnects at once" { check_serves_after connect-and-close; }
@test "01: survives clients that half-close and reset mid-reply (SIGPIPE)" { check_serves_after half-close-then-reset 20; }
@test "01: can be restarted on the same port at once (SO_REUSEADDR)" { check_restarts_on_same_port; }
@test "01: descriptors return to their count after clients leave" { check_resources_return; }
@test "01: SIGINT stops it with a log line and status 0" { check_stops_on INT; }
@test "01: SIGTERM stops it with a log line and status 0" { check_stops_on TERM; }
@test "01: SIGTERM stops it while a client is connected" { check_stops_with_idle_client TERM; }
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
