#!/usr/bin/env bats
# Step 03: the client sends, shuts down its sending side, and prints the reply.

bats_require_minimum_version 1.5.0
load helpers

# Every run is bounded: a client that never finishes fails the test in 10 s.
client() { timeout 10 "$(client_binary)" "$@"; }
setup() { CLIENT=client; }

reply_pattern='^\[CONNECTION\] Received "Hello world!" from 127\.0\.0\.1:[0-9]+$'

@test "03: builds alone with the cc line its chapter shows" {
    load server_cases
    check_standalone_build 03-client client.c
}

@test "03: gets its reply from the step 01 server" {
    start_server "$(server_binary 01-blocking-server)"
    run -0 --separate-stderr "$CLIENT" -p "$PORT" -w 0
    assert_output --regexp "$reply_pattern"
    assert_equal "$stderr" ""
}

@test "03: gets its reply from the step 02 server" {
    start_server "$(server_binary 02-threaded-server)"
    run -0 --separate-stderr "$CLIENT" -p "$PORT" -w 0
    assert_output --regexp "$reply_pattern"
}

@test "03: gets its reply from the step 04 server" {
    start_server "$(server_binary 05-poll-server)"
    run -0 --separate-stderr "$CLIENT" -p "$PORT" -w 0
    assert_output --regexp "$reply_pattern"
}

@test "03: speaks the plain exchange with the article's own Python server" {
    start_server "$PYTHON" "$TESTS_DIR/article_server.py"
    run -0 "$CLIENT" -p "$PORT" -w 1 -m "Hello from C"
    assert_output --regexp "^\[CONNECTION\] Received b'Hello from C' from \('127\.0\.0\.1', [0-9]+\)$"
}

@test "03: prints every reply until the server closes" {
    start_server "$(server_binary 02-threaded-server)"
    local message
    message=$(printf 'x%.0s' {1..3000})
    run -0 "$CLIENT" -p "$PORT" -w 0 -m "$message"
    # 3000 bytes arrive in at least three recv() chunks of up to 1024 bytes.
    ((${#lines[@]} >= 3))
    local echoed
    echoed=$(printf '%s\n' "${lines[@]}" | sed -E 's/^\[CONNECTION\] Received "(x*)" from .*$/\1/' | tr -d '\n')
    assert_equal "${#echoed}" 3000
}

@test "03: a closed port is 'connect: Connection refused', status 1" {
    run -1 --separate-stderr "$CLIENT" -p "$(closed_port)" -w 0
    assert_equal "$stderr" "connect: Connection refused"
    assert_output ""
}

@test "03: usage errors exit 2 with a reason and the usage" {
    run -0 "$CLIENT" -h
    assert_line --index 0 "usage: client [-H host] [-p port] [-m message] [-w seconds]"

    local bad
    for bad in 0 65536 abc -5 ""; do
        run -2 --separate-stderr "$CLIENT" -p "$bad"
        assert_equal "${stderr_lines[0]}" "client: port must be a number from 1 to 65535: $bad"
        assert_equal "${stderr_lines[1]}" "usage: client [-H host] [-p port] [-m message] [-w seconds]"
    done
    for bad in x -1 3601; do
        run -2 --separate-stderr "$CLIENT" -w "$bad"
        assert_equal "${stderr_lines[0]}" "client: seconds must be a number from 0 to 3600: $bad"
    done
    run -2 --separate-stderr "$CLIENT" -q
    assert_equal "${stderr_lines[0]}" "client: unknown option: -q"
    run -2 --separate-stderr "$CLIENT" -m
    assert_equal "${stderr_lines[0]}" "client: option needs a value: -m"
    run -2 --separate-stderr "$CLIENT" extra
    assert_equal "${stderr_lines[0]}" "client: unexpected argument: extra"
}
