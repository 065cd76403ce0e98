#!/usr/bin/env bats
# Step 03: the client connects, sends all, waits, shuts down its sending side,
# prints every reply until the server closes, and closes. Then its limits.

bats_require_minimum_version 1.5.0
load helpers

# Every run is bounded: a client that never finishes fails the test in 10 s.
client() { timeout 10 "$(client_binary)" "$@"; }

teardown() {
    [[ -z ${CLIENT_PID:-} ]] || kill "$CLIENT_PID" 2>/dev/null || true
    stop_server
    assert_no_sanitizer_report
}

reply_pattern='^\[CONNECTION\] Received "Hello world!" from 127\.0\.0\.1:[0-9]+$'

# Small test servers in Python, each for one client. listen() announces the
# port as our servers do, so start_server works with them.
prelude='import select, socket, struct, sys, time
def listen(prepare=lambda listener: None):
    listener = socket.socket()
    prepare(listener)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print(f"[INFO] Listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
    return listener
def read_to_end(conn):
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data
'
python_server() { start_server "$PYTHON" -c "$prelude$1"; }

# Answers only once the client has shut down its sending side, in two replies
# apart, so a client must half-close and then read until the server closes.
answers_at_end_of_stream='conn, _ = listen().accept()
first = conn.recv(65536)
started = time.monotonic()
data = first + read_to_end(conn)
conn.sendall(f"got {len(data)} bytes; end of stream {time.monotonic() - started:.1f} s later\n".encode())
time.sleep(0.3)
conn.sendall(b"and a second reply\n")
conn.close()
'

# Replies to each chunk, then says whether a reset followed the end of stream.
# TCP_INFO state (Linux): 7 is CLOSE (reset), 8 is CLOSE_WAIT (no reset).
watches_for_reset='conn, peer = listen().accept()
print("client port", peer[1], flush=True)
while data := conn.recv(1024):
    conn.sendall(b"reply to " + data + b"\n")
print("end of stream", flush=True)
state = lambda: conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
deadline = time.monotonic() + 1
while state() != 7 and time.monotonic() < deadline:
    time.sleep(0.01)
print("then a reset" if state() == 7 else "no reset", flush=True)
conn.close()
'

@test "03: builds alone with the cc line its chapter shows" {
    load server_cases
    check_standalone_build 03-client client.c
}

@test "03: gets its reply from the step 01 server" {
    start_server "$(server_binary 01-blocking-server)"
    run -0 --separate-stderr client -p "$PORT" -w 0
    assert_output --regexp "$reply_pattern"
    assert_equal "$stderr" ""
}

@test "03: gets its reply from the step 02 server" {
    start_server "$(server_binary 02-threaded-server)"
    run -0 --separate-stderr client -p "$PORT" -w 0
    assert_output --regexp "$reply_pattern"
}

@test "03: gets its reply from the step 05 server" {
    start_server "$(server_binary 05-poll-server)"
    run -0 --separate-stderr client -p "$PORT" -w 0
    assert_output --regexp "$reply_pattern"
}

@test "03: speaks the plain exchange with the article's own Python server" {
    start_server "$PYTHON" "$TESTS_DIR/article_server.py"
    run -0 client -p "$PORT" -w 1 -m "Hello from C"
    assert_output --regexp "^\[CONNECTION\] Received b'Hello from C' from \('127\.0\.0\.1', [0-9]+\)$"
}

@test "03: sends all, half-closes, and prints every reply until the server closes" {
    python_server "$answers_at_end_of_stream"
    local message
    message=$(printf 'x%.0s' {1..100000})
    run -0 --separate-stderr client -p "$PORT" -w 0 -m "$message"
    assert_line --index 0 --regexp '^got 100000 bytes; end of stream [0-9]+\.[0-9] s later$'
    assert_line --index 1 "and a second reply"
    assert_equal "${#lines[@]}" 2
}

@test "03: waits -w seconds between sending and shutting down its sending side" {
    python_server "$answers_at_end_of_stream"
    run -0 client -p "$PORT" -w 2
    [[ $output =~ ^got\ 12\ bytes\;\ end\ of\ stream\ ([0-9]+)\.[0-9]\ s\ later ]] || fail "got: $output"
    local seconds=${BASH_REMATCH[1]}
    ((seconds >= 1 && seconds < 5)) || fail "the end of stream came $seconds s after the message; expected 2"
}

@test "03: ends in order: the server sees end of stream, no reset, and TIME_WAIT stays with the client" {
    python_server "$watches_for_reset"
    run -0 client -p "$PORT" -w 0
    assert_output "reply to Hello world!"
    wait_for_log '^(no reset|then a reset)$'
    run cat "$SERVER_LOG"
    assert_line --index 2 "end of stream"
    assert_line --index 3 "no reset"
    # The client sent the first FIN (its shutdown), so its side holds TIME_WAIT.
    local client_port
    client_port=$(sed -nE 's/^client port //p' "$SERVER_LOG")
    [[ -n $(ss -Htan state time-wait "( sport = :$client_port and dport = :$PORT )") ]] ||
        fail "no TIME_WAIT on the client's side (port $client_port)"
    [[ -z $(ss -Htan state time-wait "( sport = :$PORT and dport = :$client_port )") ]] ||
        fail "TIME_WAIT on the server's side"
}

@test "03: the article's client, closing with the reply unread, resets: after the end of stream" {
    # What the chapter says of the article's client: shutdown(1) sends a FIN,
    # close() with unread input a reset, so the server's recv() sees the end
    # of stream first. (select() waits for the reply, as its sleep(4) does.)
    python_server "$watches_for_reset"
    run -0 "$PYTHON" -c 'import select, socket, sys
client = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
client.send("Hello world!".encode())
select.select([client], [], [], 5)
client.shutdown(1)
client.close()' "$PORT"
    wait_for_log '^(no reset|then a reset)$'
    run cat "$SERVER_LOG"
    assert_line --index 2 "end of stream"
    assert_line --index 3 "then a reset"
}

@test "03: a server that goes while it sends: 'send: Broken pipe', status 1, not a silent SIGPIPE" {
    # The server sends its FIN at once, and resets once the client is stuck
    # in send() (a small MSS and receive buffer keep the message from fitting).
    python_server 'def small(listener):
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
conn, _ = listen(small).accept()
conn.shutdown(socket.SHUT_WR)
deadline = time.monotonic() + 5
while not select.select([conn], [], [], 0)[0] and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(0.2)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
'
    local message
    message=$(printf 'x%.0s' {1..100000})
    run --separate-stderr client -p "$PORT" -w 0 -m "$message"
    assert_equal "$stderr" "send: Broken pipe"
    assert_equal "$status" 1
}

@test "03: a closed port is 'connect: Connection refused', status 1" {
    run -1 --separate-stderr client -p "$(closed_port)" -w 0
    assert_equal "$stderr" "connect: Connection refused"
    assert_output ""
}

@test "03: usage errors exit 2 with a reason and the usage" {
    run -0 client -h
    assert_line --index 0 "usage: client [-H host] [-p port] [-m message] [-w seconds]"

    local bad
    for bad in 0 65536 abc -5 "" " 1" +1 99999999999999999999; do
        run -2 --separate-stderr client -p "$bad"
        assert_equal "${stderr_lines[0]}" "client: port must be a number from 1 to 65535: $bad"
        assert_equal "${stderr_lines[1]}" "usage: client [-H host] [-p port] [-m message] [-w seconds]"
    done
    for bad in x -1 3601; do
        run -2 --separate-stderr client -w "$bad"
        assert_equal "${stderr_lines[0]}" "client: seconds must be a number from 0 to 3600: $bad"
    done
    run -2 --separate-stderr client -q
    assert_equal "${stderr_lines[0]}" "client: unknown option: -q"
    run -2 --separate-stderr client -m
    assert_equal "${stderr_lines[0]}" "client: option needs a value: -m"
    run -2 --separate-stderr client extra
    assert_equal "${stderr_lines[0]}" "client: unexpected argument: extra"
}

# --- Its limits, as its chapter's "What can go wrong" lists them ------------

@test "03 limit: the host must be an IPv4 address: no names, no IPv6" {
    local host
    for host in localhost ::1; do
        run -2 --separate-stderr client -H "$host" -w 0
        assert_equal "${stderr_lines[0]}" "client: host must be an IPv4 address such as 127.0.0.1: $host"
    done
}

syn_sent_to() { [[ -n $(ss -Htn state syn-sent "( dport = :$1 )") ]]; }

@test "03 limit: no timeout: against a full accept queue, connect() waits on" {
    # Backlog 0 holds one connection on Linux (backlog + 1); one that is never
    # accepted fills it, and the kernel then drops every new SYN.
    start_server "$PYTHON" -c 'import socket, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(0)
filler = socket.create_connection(listener.getsockname())
print(f"[INFO] Listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
time.sleep(60)'
    timeout 3 "$(client_binary)" -p "$PORT" -w 0 >"$BATS_TEST_TMPDIR/client.out" 2>&1 3>&- &
    CLIENT_PID=$!
    wait_until 3 syn_sent_to "$PORT" || fail "the client never waited in connect() (SYN-SENT)"
    local status=0
    wait "$CLIENT_PID" || status=$?
    CLIENT_PID=
    ((status == 124)) || fail "expected the client still connecting after 3 s (timeout's 124), got status $status"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/client.out")" ""
}

@test "03 limit: no timeout: a server that accepts and never answers holds the client" {
    python_server 'conn, _ = listen().accept()
time.sleep(60)'
    run -124 timeout 2 "$(client_binary)" -p "$PORT" -w 0
    assert_output ""
}

@test "03 limit: it prints the server's bytes raw, terminal escape sequences too" {
    python_server 'conn, _ = listen().accept()
read_to_end(conn)
conn.sendall(b"\x1b[2J\x1b[31mred\x1b[0m\n")
conn.close()'
    run -0 client -p "$PORT" -w 0
    assert_equal "$output" $'\e[2J\e[31mred\e[0m'
}
