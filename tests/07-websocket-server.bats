#!/usr/bin/env bats
# Step 07: a WebSocket server (RFC 6455) on step 05's poll() loop.
#
# What every server step does (options, log lines, signals, errors,
# robustness) comes first, adapted where the shared case speaks step 05's
# plain-text protocol. Then one test per protocol rule, each with hand-built
# bytes over a raw socket (tests/lib/websocket.py), asserting what a client
# observes. Section numbers are RFC 6455's.

bats_require_minimum_version 1.5.0
load helpers
load server_cases
load event_loop_cases

setup() {
    SERVER=$(server_binary 07-websocket-server)
    SOURCE=$REPO_ROOT/steps/07-websocket-server/server.c
}

# On failure, bats shows what the test printed: add the server's own words.
teardown() {
    [[ -z ${PEER_PID:-} ]] || kill "$PEER_PID" 2>/dev/null || true
    stop_server
    if [[ -s ${SERVER_LOG:-} || -s ${SERVER_ERR:-} ]]; then
        echo "--- server stdout (last 15 lines):"
        tail -n 15 "$SERVER_LOG"
        echo "--- server stderr (last 15 lines):"
        tail -n 15 "$SERVER_ERR"
    fi >&2
    assert_no_sanitizer_report
}

# ws SCENARIO [ARGS...]: tests/lib/websocket.py's scenario on the server's port.
ws() { "$PYTHON" "$TESTS_DIR/lib/websocket.py" "$1" "$PORT" "${@:2}"; }

# ws_peer SCRIPT ARGS...: inline Python with tests/lib/websocket.py's client
# (Connection, frame, close_payload...) and tests/lib/sockets.py at hand.
ws_peer() {
    local script=$1
    shift
    PYTHONPATH=$TESTS_DIR/lib${PYTHONPATH:+:$PYTHONPATH} "$PYTHON" -c "$(cat <<'EOF'
import os, socket, sys, threading, time
from sockets import connect, local_address, reset, send_at_once
from websocket import *
EOF
)"$'\n'"$script" "$@"
}

# check_unread_log_stops_every_client's active client, over WebSocket: a
# reply is the echo frame.
WS_ACTIVE_CLIENT='
def open_active(port): return Connection(port)
def say(active, data): active.send_frame(TEXT, data)
def socket_of(active): return active.sock
def answer(active, seconds):
    try:
        active.read_frame(seconds)
        return "reply"
    except socket.timeout:
        return "nothing"
    except Closed:
        return "closed"
'

# background_ws_peer OUT READY SCRIPT: runs SCRIPT (inline Python, as for
# ws_peer, given the port) in the background, its output in OUT, and waits
# until OUT has a line starting with READY. Teardown kills it (PEER_PID).
background_ws_peer() {
    local out=$1 ready=$2 script=$3
    ws_peer "$script" "$PORT" >"$out" 3>&- &
    PEER_PID=$!
    wait_until 10 grep -q "^$ready" "$out" || fail "the client never printed '$ready': $(<"$out")"
}

# assert_stop_took MIN_MS MAX_MS SINCE: the stopping server exits, with
# status 0, no sooner than MIN_MS after SINCE (an $EPOCHREALTIME) and no
# later than MAX_MS and 2 s of slack.
assert_stop_took() {
    local min_ms=$1 max_ms=$2 since=$3 bound=$(($2 / 1000 + 2))
    wait_until "$bound" server_gone || fail "the server still runs $bound s after SIGTERM"
    local took_ms=$(((${EPOCHREALTIME//[!0-9]/} - ${since//[!0-9]/}) / 1000))
    ((took_ms >= min_ms - 100)) || fail "the stop took $took_ms ms, not the $min_ms ms it should wait"
    stop_server
    assert_equal "$SERVER_STATUS" 0
}

# server_limit NAME: the value of the server's `#define NAME EXPRESSION`
# (an integer expression, casts allowed), so that the tests follow the code.
server_limit() {
    "$PYTHON" - "$SOURCE" "$1" <<'EOF'
import re, sys
source, name = sys.argv[1], sys.argv[2]
match = re.search(r"^#define\s+%s\s+(.*)$" % re.escape(name), open(source).read(), re.M)
if not match:
    sys.exit(f"no #define {name} in {source}")
expression = re.sub(r"/\*.*?\*/|//.*", "", match.group(1))
expression = re.sub(r"\(\s*(u?int\w*|size_t|unsigned( long)*|long)\s*\)", "", expression)
expression = re.sub(r"(\d+)[uUlL]+\b", r"\1", expression)
if not re.fullmatch(r"[\d\s()*+<-]+", expression):
    sys.exit(f"#define {name}: cannot evaluate {match.group(1)!r}")
print(eval(expression))
EOF
}

FAILED_1002="close 1002
the server closed the connection"

# What `ws handshake` prints for a 101 that names no extension and no
# subprotocol, then a working echo.
UPGRADED='HTTP/1.1 101 Switching Protocols
accept key: right
upgrade: websocket
connection: Upgrade
then a message came back as text "after the handshake"'

# --- What every server step does ------------------------------------------------------

@test "07: builds alone with the cc line its chapter shows" { check_standalone_build 07-websocket-server server.c; }
@test "07: announces the port it really listens on" { check_listening_line; }

@test "07: logs a WebSocket session: connected, the message, disconnected" {
    start_server "$SERVER"
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]))
print("local", local_address(conn.sock))
conn.send_frame(TEXT, b"Hello world!")
print(conn.read_frame().describe())
conn.send_frame(CLOSE, close_payload(1000))
print(conn.read_frame().describe())
print(describe_end(end_of_stream(conn.sock)))
' "$PORT"
    local peer_address=${lines[0]#local }
    assert_equal "${lines[*]:1}" 'text "Hello world!" close 1000 the server closed the connection'
    wait_for_log "Disconnected from $peer_address"
    run cat "$SERVER_LOG"
    assert_line --index 0 "[INFO] Listening on 127.0.0.1:$PORT"
    assert_line --index 1 "[CONNECTION] Connected to $peer_address"
    assert_line --regexp "^\[CONNECTION\] Received .*Hello world!.* from $peer_address\$"
    assert_line --index $((${#lines[@]} - 1)) "[CONNECTION] Disconnected from $peer_address"
}

@test "07: its log has no raw control byte, whatever the messages hold" {
    start_server "$SERVER"
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]))
for opcode, payload in ((TEXT, bytes(range(32)) + b"\x1b[31mred\x7f"), (BINARY, bytes(range(256)))):
    conn.send_frame(opcode, payload)
    print("echoed" if conn.read_frame().payload == payload else "not echoed")
' "$PORT"
    assert_output "echoed
echoed"
    wait_for_log 'Received .* from'
    run -1 env LC_ALL=C grep -n '[[:cntrl:]]' "$SERVER_LOG"
}

# check_serves_after, for WebSocket clients: one misbehaves, the next is served.
check_ws_serves_after() {
    start_server "$SERVER"
    ws misbehave "$1" || true # what the bad client itself sees does not matter here
    run -0 ws echo text 12
    assert_output "sent a text message of 12 bytes; got back one text frame of 12 bytes, the same bytes, length in 7 bits"
    server_alive
}
@test "07: serves the next client after one disconnects at once" { check_ws_serves_after connect-and-close; }
@test "07: serves the next client after one leaves mid-request" { check_ws_serves_after half-request; }
@test "07: serves the next client after one resets mid-request" { check_ws_serves_after reset-mid-request; }
@test "07: serves the next client after one sends bytes that are no HTTP" { check_ws_serves_after garbage; }
@test "07: serves the next client after one resets mid-frame" { check_ws_serves_after reset-mid-frame; }
@test "07: serves the next client after one resets before reading a 1 MiB echo (SIGPIPE)" { check_ws_serves_after reset-after-message; }
@test "07: serves the next client after one leaves without a close frame" { check_ws_serves_after no-close-frame; }

@test "07: can be restarted on the same port at once (SO_REUSEADDR)" {
    # A WebSocket client holds the connection while the server stops.
    check_restarts_on_same_port ws echoed
}

@test "07: descriptors return to their count after clients leave" {
    start_server "$SERVER"
    ws echo text 5 >/dev/null
    local descriptors kind
    descriptors=$(open_descriptors)
    for kind in connect-and-close half-request reset-mid-request garbage reset-mid-frame \
        reset-after-message no-close-frame; do
        ws misbehave "$kind" || true
    done
    run -0 ws many 20
    assert_output "20 of 20 clients had their echo and a clean close"
    ws handshake version=8 >/dev/null
    ws frames text/rsv1:x >/dev/null
    wait_until 5 descriptors_are "$descriptors" ||
        fail "expected $descriptors open descriptors after the clients left, got $(open_descriptors)"
}

@test "07: no descriptor leaks after 2,000 WebSocket sessions" {
    start_server "$SERVER"
    ws echo text 5 >/dev/null
    local descriptors
    descriptors=$(open_descriptors)
    run -0 ws many 2000
    assert_output "2000 of 2000 clients had their echo and a clean close"
    wait_until 5 descriptors_are "$descriptors" ||
        fail "expected $descriptors open descriptors after 2,000 sessions, got $(open_descriptors)"
}

@test "07: SIGINT stops it with a log line and status 0" { check_stops_on INT; }
@test "07: SIGTERM stops it with a log line and status 0" { check_stops_on TERM; }

@test "07: SIGTERM sends an open WebSocket close 1001; the client answers it and then sees the end of the stream, not a reset (7.4.1, 7.1.1)" {
    start_server "$SERVER"
    local held=$BATS_TEST_TMPDIR/held
    ws hold 10 answer-close >"$held" 3>&- &
    local holder=$!
    wait_until 5 grep -q echoed "$held" || fail "the held client got no echo"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    wait "$holder"
    run cat "$held"
    assert_output "echoed
close 1001
answered the close
the server closed the connection"
    run -0 grep -c -E 'Shutting down|Disconnected' "$SERVER_LOG"
    assert_output 2
    run -0 grep -E 'Shutting down|Disconnected' "$SERVER_LOG"
    assert_line --index 0 "[INFO] Shutting down"
    # Closed because the client closed, not because a deadline passed.
    run ! grep -E 'did not|time ran out' "$SERVER_LOG"
}

@test "07: SIGTERM: a client that never answers holds the stop for CLOSE_TIMEOUT_MS, its close deadline; new clients are refused meanwhile" {
    start_server "$SERVER"
    local timeout
    timeout=$(server_limit CLOSE_TIMEOUT_MS)
    background_ws_peer "$BATS_TEST_TMPDIR/held" echoed '
conn = Connection(int(sys.argv[1]))
conn.send_frame(TEXT, b"hello")
print("echoed" if conn.read_frame().payload == b"hello" else "not echoed", flush=True)
time.sleep(20)  # reads nothing more, answers nothing
'
    local stopped_at=$EPOCHREALTIME
    kill -TERM "$SERVER_PID"
    wait_for_log 'Shutting down'
    # From bash itself, at once: the server is waiting for the held client.
    if exec {probe}<>"/dev/tcp/127.0.0.1/$PORT"; then
        exec {probe}>&-
        fail "a new client could connect during the stop"
    fi 2>/dev/null
    server_alive || fail "the server exited without waiting for the closing client"
    assert_stop_took "$timeout" "$timeout" "$stopped_at"
    run -0 grep -F "did not close within $timeout ms" "$SERVER_LOG"
}

@test "07: SIGTERM: a client that keeps reading slowly is closed when the stop's time runs out, twice CLOSE_TIMEOUT_MS after the signal" {
    start_server "$SERVER"
    local timeout
    timeout=$(server_limit CLOSE_TIMEOUT_MS)
    # A 32 MiB echo, taken 64 KiB every 20 ms: about 10 s in all, never a
    # pause as long as CLOSE_TIMEOUT_MS, so only the stop's own deadline
    # can end it.
    background_ws_peer "$BATS_TEST_TMPDIR/slow" sent '
conn = Connection(int(sys.argv[1]))
conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
conn.send(frame(BINARY, os.urandom(32 << 20)))
print("sent", flush=True)
while True:
    time.sleep(0.02)
    try:
        if not conn.sock.recv(65536):
            break
    except OSError:
        break
'
    wait_for_log 'Received binary' 10
    local stopped_at=$EPOCHREALTIME
    kill -TERM "$SERVER_PID"
    assert_stop_took $((2 * timeout)) $((2 * timeout)) "$stopped_at"
    run -0 grep -F "was still closing when the stop's time ran out" "$SERVER_LOG"
    run ! grep -F 'did not' "$SERVER_LOG"
}

@test "07: listens on the IPv6 loopback ::1, and logs IPv6 addresses as [IP]:PORT" {
    ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128' || skip "::1 is not configured on this machine"
    start_server "$SERVER" -H ::1
    run head -n 1 "$SERVER_LOG"
    assert_output "[INFO] Listening on [::1]:$PORT"
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]), host="::1")
print("local", local_address(conn.sock))
conn.send_frame(TEXT, b"Hello world!")
print(conn.read_frame().describe())
' "$PORT"
    assert_line --index 1 'text "Hello world!"'
    wait_for_log "^\[CONNECTION\] Connected to \[::1\]:${lines[0]##*:}\$"
}

@test "07: usage errors exit 2 with a reason and the usage" { check_usage_errors; }
@test "07: failing system calls exit 1 naming the call" { check_system_call_errors; }

@test "07: a second client is served while the first stays connected" {
    start_server "$SERVER"
    run -0 ws_peer '
port = int(sys.argv[1])
first = Connection(port)
first.send_frame(TEXT, b"first")
print("first:", first.read_frame().describe())
second = Connection(port)
second.send_frame(TEXT, b"second")
print("second, while first connected:", second.read_frame(timeout=1.0).describe())
' "$PORT"
    assert_output 'first: text "first"
second, while first connected: text "second"'
}

@test "07: serves 500 WebSocket clients at the same time with one thread" {
    start_server "$SERVER"
    local threads held=$BATS_TEST_TMPDIR/held release=$BATS_TEST_TMPDIR/release holding
    threads=$(thread_count)
    mkfifo "$release"
    ws concurrent 500 <"$release" >"$held" 3>&- &
    local clients=$!
    exec {holding}>"$release"
    wait_until 30 grep -q "had their echo" "$held" || fail "the clients did not finish within 30 s"
    run cat "$held"
    assert_output "500 of 500 clients connected at once had their echo"
    assert_equal "$(thread_count)" "$threads"
    exec {holding}>&-
    wait "$clients"
}

@test "07: a client that never reads while sending big messages does not stall the others" {
    start_server "$SERVER"
    run -0 ws stalled-reader 20
    assert_output "while a client flooded without reading: 20 of 20 echoes came within 1 s"
}

@test "07: a closing client that never reads is dropped after CLOSE_TIMEOUT_MS, with the output queued for it" {
    start_server "$SERVER"
    ws echo text 5 >/dev/null
    local descriptors timeout peer_out=$BATS_TEST_TMPDIR/peer
    descriptors=$(open_descriptors)
    timeout=$(server_limit CLOSE_TIMEOUT_MS)
    # A 16 MiB message, then an unmasked frame in the same recv(): the
    # server queues the echo, then fails the connection with 1002, while far
    # more than the socket buffers hold is still waiting to be sent. The
    # client never reads and never closes (it sleeps until it is killed).
    ws_peer '
conn = Connection(int(sys.argv[1]))
conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print("local", local_address(conn.sock), flush=True)
message = frame(BINARY, os.urandom(16 << 20))
conn.send(message[:-1])
conn.send(message[-1:] + frame(TEXT, b"", mask=False))
print("sent", flush=True)
time.sleep(60)
' "$PORT" >"$peer_out" 3>&- &
    local peer=$!
    wait_until 10 grep -q '^sent' "$peer_out" || fail "the client could not send its frames"
    local peer_address
    peer_address=$(sed -n 's/^local //p' "$peer_out")
    wait_for_log "Failing $peer_address with 1002" 10
    wait_for_log "Disconnected from $peer_address" $((timeout / 1000 + 5))
    kill -0 "$peer" 2>/dev/null || fail "the client left by itself: the test shows nothing"
    kill "$peer"
    wait "$peer" || true
    run -0 grep -F "[CONNECTION] $peer_address did not take our last bytes within $timeout ms" "$SERVER_LOG"
    wait_until 5 descriptors_are "$descriptors" ||
        fail "expected $descriptors open descriptors after the client was dropped, got $(open_descriptors)"
}

@test "07: a closing client that reads slowly gets everything queued before the close: the deadline restarts as it reads" {
    start_server "$SERVER"
    local timeout
    timeout=$(server_limit CLOSE_TIMEOUT_MS)
    # An 8 MiB message and a close frame in one send, as a browser's
    # send(big); close() may go; then the client reads slowly, 64 KiB every
    # 20 ms (3.2 MB/s): well over CLOSE_TIMEOUT_MS for the whole echo, though
    # never that long without taking something.
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]))
conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
size = 8 << 20
conn.send(frame(BINARY, os.urandom(size)) + frame(CLOSE, close_payload(1000)))
started, got = time.monotonic(), bytearray()
while True:
    time.sleep(0.02)
    try:
        chunk = conn.sock.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not chunk:
        break
    got += chunk
print("took more than CLOSE_TIMEOUT_MS:", time.monotonic() - started > int(sys.argv[2]) / 1000)
conn.buffer = got
print(conn.read_frame().describe())
print(conn.read_frame().describe())
' "$PORT" "$timeout"
    assert_output "took more than CLOSE_TIMEOUT_MS: True
binary of 8388608 bytes
close 1000"
    # Never dropped for taking nothing. (Its second deadline, to close after
    # our FIN, may still run out while it reads what the kernel holds for it:
    # the close() that follows is graceful, so those bytes still arrive.)
    run ! grep -F 'did not take our last bytes' "$SERVER_LOG"
}

@test "07: out of descriptors with no client to give one back, it exits 1 naming accept" {
    # As step 05: 0-2, the stop pipe's two ends and the listener; a client
    # needs a seventh descriptor. (bats's own descriptors are closed.)
    ASAN_OPTIONS=detect_leaks=0 check_exits_out_of_descriptors \
        start_server bash -c 'ulimit -n 6 && exec "$0" "$@" 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-' "$SERVER"
}

# --- The opening handshake (section 4) -------------------------------------------------

@test "07 handshake: 101 with the right Sec-WebSocket-Accept for a random key (4.2.2)" {
    start_server "$SERVER"
    run -0 ws handshake
    assert_output "$UPGRADED"
}

@test "07 handshake: the RFC's sample key gets the RFC's accept value on the wire (4.2.2)" {
    start_server "$SERVER"
    run -0 ws_peer '
sock = connect(int(sys.argv[1]))
sock.sendall(request("dGhlIHNhbXBsZSBub25jZQ=="))
print(read_response(sock).header("sec-websocket-accept"))
' "$PORT"
    assert_output "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
}

@test "07 handshake: header names and the Upgrade/Connection values are case-insensitive (4.2.1)" {
    start_server "$SERVER"
    local case
    for case in lower upper; do
        echo "header names in $case case:"
        run -0 ws handshake case=$case
        assert_line --index 0 "HTTP/1.1 101 Switching Protocols"
        assert_line --index 1 "accept key: right"
    done
}

@test "07 handshake: optional whitespace around header values is ignored" {
    start_server "$SERVER"
    run -0 ws_peer '
key = new_key()
sock = connect(int(sys.argv[1]))
sock.sendall(("GET / HTTP/1.1\r\nHost:127.0.0.1\r\nUpgrade:websocket\r\n"
              "Connection:   Upgrade  \r\nSec-WebSocket-Key: \t" + key + " \t\r\n"
              "Sec-WebSocket-Version:13\r\n\r\n").encode())
response = read_response(sock)
print(response.describe())
print("accept key:", "right" if response.header("sec-websocket-accept") == accept_key(key) else "wrong")
' "$PORT"
    assert_output "HTTP/1.1 101 Switching Protocols
accept key: right"
}

@test "07 handshake: Connection is a token list (keep-alive, Upgrade), as Firefox sends it" {
    start_server "$SERVER"
    run -0 ws handshake "connection=keep-alive, Upgrade"
    assert_line --index 0 "HTTP/1.1 101 Switching Protocols"
    assert_line --index 1 "accept key: right"
}

@test "07 handshake: a Connection list without the Upgrade token (keep-alive, upgraded) does not upgrade" {
    start_server "$SERVER"
    run -0 ws handshake "connection=keep-alive, upgraded"
    refute_line --index 0 --regexp '^HTTP/1\.1 101'
    assert_line --index 0 --regexp '^HTTP/1\.1 [2-5][0-9][0-9] '
}

@test "07 handshake: a request that arrives one byte at a time is understood" {
    start_server "$SERVER"
    run -0 ws handshake bytewise
    assert_line --index 0 "HTTP/1.1 101 Switching Protocols"
    assert_line --index 1 "accept key: right"
}

@test "07 handshake: a request over the stated limit (MAX_REQUEST) gets an HTTP error and a close; one under it is served" {
    local limit
    limit=$(server_limit MAX_REQUEST)
    start_server "$SERVER"
    echo "MAX_REQUEST is $limit bytes"
    # A request of about limit - 300 bytes: served.
    run -0 ws handshake pad=$((limit - 500))
    assert_line --index 0 "HTTP/1.1 101 Switching Protocols"
    # One of twice the limit, its end never sent: refused at once, without
    # waiting for an end that does not come.
    run -0 ws_peer '
limit = int(sys.argv[2])
sock = connect(int(sys.argv[1]))
data = request(new_key(), extra=[("X-Padding", "p" * (2 * limit))])
try:
    sock.sendall(data[:-4])  # without the blank line that ends it
except OSError:
    pass
response = read_response(sock)
print(response.describe())
' "$PORT" "$limit"
    assert_output --regexp '^HTTP/1\.1 (400|413|431) '
}

@test "07 handshake: a wrong version (8) gets 426 with Sec-WebSocket-Version: 13, then a close (4.2.2)" {
    start_server "$SERVER"
    run -0 ws handshake version=8
    assert_output "HTTP/1.1 426 Upgrade Required
sec-websocket-version: 13
then the server closed the connection"
}

@test "07 handshake: a missing Sec-WebSocket-Version gets an HTTP error (400 or 426), then a close (4.2.1)" {
    start_server "$SERVER"
    run -0 ws handshake no-version
    assert_line --index 0 --regexp '^HTTP/1\.1 (400 Bad Request|426 Upgrade Required)$'
    assert_line --index $((${#lines[@]} - 1)) "then the server closed the connection"
}

@test "07 handshake: a missing key gets 400, then a close (4.2.1)" {
    start_server "$SERVER"
    run -0 ws handshake no-key
    assert_output "HTTP/1.1 400 Bad Request
then the server closed the connection"
}

@test "07 handshake: a key that is not 16 bytes in base64, or sent twice, gets 400 (4.2.1, 11.3.1)" {
    start_server "$SERVER"
    local key
    # Not base64; 15 and 17 bytes; no padding; empty.
    for key in 'not base64 at all!!!!!!!' AAAAAAAAAAAAAAAAAAAA 'AAAAAAAAAAAAAAAAAAAAAAA=' \
        AAAAAAAAAAAAAAAAAAAAAA '' 'dGhlIHNhbXBsZSBub25jZQ=*'; do
        echo "key: '$key'"
        run -0 ws handshake "key=$key"
        assert_output "HTTP/1.1 400 Bad Request
then the server closed the connection"
    done
    run -0 ws handshake "header=Sec-WebSocket-Key:dGhlIHNhbXBsZSBub25jZQ=="
    assert_output "HTTP/1.1 400 Bad Request
then the server closed the connection"
}

@test "07 handshake: POST gets 405 with Allow: GET, then a close" {
    start_server "$SERVER"
    run -0 ws_peer '
sock = connect(int(sys.argv[1]))
sock.sendall(request(new_key(), method="POST"))
response = read_response(sock)
print(response.describe())
print("allow:", response.header("allow"))
' "$PORT"
    assert_output "HTTP/1.1 405 Method Not Allowed
allow: GET"
    run -0 ws handshake method=POST
    assert_line --index $((${#lines[@]} - 1)) "then the server closed the connection"
}

@test "07 handshake: no Host gets 400; an HTTP/1.0 request's Upgrade is ignored, so it gets the page, not 101 (4.2.1; RFC 7230 6.7)" {
    start_server "$SERVER"
    run -0 ws handshake no-host
    assert_output "HTTP/1.1 400 Bad Request
then the server closed the connection"
    run -0 ws handshake http=HTTP/1.0
    assert_output "HTTP/1.1 200 OK
then the server closed the connection"
}

@test "07 handshake: HTTP/1.2 and an absolute-form target (http://host/) are accepted; HTTP/2.0 gets 505 (4.1; RFC 7230 2.6, 5.3.2)" {
    start_server "$SERVER"
    run -0 ws handshake http=HTTP/1.2
    assert_line --index 0 "HTTP/1.1 101 Switching Protocols"
    assert_line "accept key: right"
    run -0 ws handshake "path=http://127.0.0.1:$PORT/"
    assert_line --index 0 "HTTP/1.1 101 Switching Protocols"
    assert_line 'then a message came back as text "after the handshake"'
    run -0 ws handshake "path=http://127.0.0.1:$PORT/chat"
    assert_line --index 0 "HTTP/1.1 404 Not Found"
    run -0 ws handshake http=HTTP/2.0
    assert_output "HTTP/1.1 505 HTTP Version Not Supported
then the server closed the connection"
}

@test "07 handshake: a request line that is not HTTP gets 400, then a close" {
    start_server "$SERVER"
    run -0 ws_peer '
sock = connect(int(sys.argv[1]))
sock.sendall(b"Hello world!\r\n\r\n")
response = read_response(sock)
print(response.describe())
print(describe_end(end_of_stream(sock)))
' "$PORT"
    assert_output "HTTP/1.1 400 Bad Request
the server closed the connection"
}

@test "07 handshake: offered extensions (permessage-deflate) and subprotocols are declined by not answering them (4.2.2, 9.1)" {
    start_server "$SERVER"
    run -0 ws handshake "header=Sec-WebSocket-Extensions:permessage-deflate; client_max_window_bits" \
        "header=Sec-WebSocket-Protocol:chat, superchat"
    # No sec-websocket-extensions or sec-websocket-protocol line: the
    # scenario prints those headers when they are there.
    assert_output "$UPGRADED"
}

@test "07 handshake: a plain GET / serves the HTML page, whose script connects back with ws://" {
    start_server "$SERVER"
    run -0 ws get /
    assert_line --index 0 "HTTP/1.1 200 OK"
    assert_line --index 1 --regexp '^content-type: text/html(; ?charset=[Uu][Tt][Ff]-8)?$'
    refute_line --partial "content-length says"
    assert_output --partial "WebSocket("
    assert_output --regexp 'ws://|location\.host'
}

@test "07 handshake: the step 03 client (plain TCP) gets an HTTP 400" {
    start_server "$SERVER"
    # It sends "Hello world!", half-closes at once (-w 0), prints what comes.
    run timeout 10 "$(client_binary)" -p "$PORT" -w 0
    assert_output --regexp '^HTTP/1\.1 400 Bad Request'
}

# --- Framing and messages (sections 5.2-5.4, 5.6) ---------------------------------------

@test "07 frames: text and binary messages come back as sent, with the shortest length encoding (5.2)" {
    start_server "$SERVER"
    local kind size bits
    for kind in text binary; do
        for size in 0 125 126 65535 65536; do
            bits=$((size <= 125 ? 7 : size <= 65535 ? 16 : 64))
            run -0 ws echo $kind $size
            assert_output "sent a $kind message of $size bytes; got back one $kind frame of $size bytes, the same bytes, length in $bits bits"
        done
    done
}

@test "07 frames: RFC 6455 5.7's masked \"Hello\" (81 85 37 fa 21 3d 7f 9f 4d 51 58) comes back as its unmasked \"Hello\" (81 05 48 65 6c 6c 6f), the chapter's bytes" {
    start_server "$SERVER"
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]))
conn.send(bytes.fromhex("8185 37fa213d 7f9f4d5158"))
print(conn._take(7, time.monotonic() + TIMEOUT).hex(" "))
' "$PORT"
    assert_output "81 05 48 65 6c 6c 6f"
    wait_for_log '\[CONNECTION\] Received text "Hello" from 127\.0\.0\.1:[0-9]+$'
}

@test "07 frames: a 64 KiB message in 1,300-byte fragments comes back whole (5.4)" {
    # Text fragments cut characters in two: UTF-8 is checked across them.
    start_server "$SERVER"
    run -0 ws echo text 65536 1300
    assert_output "sent a text message of 65536 bytes in 51 frames; got back one text frame of 65536 bytes, the same bytes, length in 64 bits"
    run -0 ws echo binary 65536 1300
    assert_output "sent a binary message of 65536 bytes in 51 frames; got back one binary frame of 65536 bytes, the same bytes, length in 64 bits"
}

@test "07 frames: empty fragments, and a character split byte by byte across fragments, are fine (5.4, 5.6)" {
    start_server "$SERVER"
    # U+03BA is ce ba, U+1F79 is e1 bd b9: each cut into single bytes.
    run -0 ws frames text/more: cont/more:hex=ce cont/more:hex=ba cont/more: cont/more:hex=e1 \
        cont/more:hex=bd cont/more:hex=b9 cont: expect close:code=1000
    assert_output "text \"$(printf '\u03ba\u1f79')\"
close 1000
the server closed the connection"
}

@test "07 frames: 16 MiB messages work (one frame, and 64 KiB fragments)" {
    start_server "$SERVER"
    run -0 ws echo text 16777216
    assert_output "sent a text message of 16777216 bytes; got back one text frame of 16777216 bytes, the same bytes, length in 64 bits"
    run -0 ws echo binary 16777216 65536
    assert_output "sent a binary message of 16777216 bytes in 256 frames; got back one binary frame of 16777216 bytes, the same bytes, length in 64 bits"
}

@test "07 frames: an unmasked client frame fails the connection with 1002 (5.1)" {
    start_server "$SERVER"
    run -0 ws frames text/unmasked:hello
    assert_output "$FAILED_1002"
    run -0 ws frames ping/unmasked:hello
    assert_output "$FAILED_1002"
}

@test "07 frames: a reserved bit set (RSV1, RSV2, RSV3) fails the connection with 1002 (5.2)" {
    start_server "$SERVER"
    local flag
    for flag in rsv1 rsv2 rsv3; do
        echo "text frame with $flag:"
        run -0 ws frames "text/$flag:hello"
        assert_output "$FAILED_1002"
    done
    # Also on a control frame, which an extension could never have compressed.
    run -0 ws frames ping/rsv1:hello
    assert_output "$FAILED_1002"
}

@test "07 frames: reserved opcodes (3 to 7, 11 to 15) fail the connection with 1002 (5.2)" {
    start_server "$SERVER"
    local opcode
    for opcode in 3 4 5 6 7 11 12 13 14 15; do
        echo "opcode $opcode:"
        run -0 ws frames "$opcode:hello"
        assert_output "$FAILED_1002"
    done
}

@test "07 frames: a 64-bit length with its top bit set fails the connection (1002 or 1009) (5.2)" {
    start_server "$SERVER"
    # 0x82 (FIN, binary), 0xff (masked, 64-bit length), 2^63 + 5, a mask.
    run -0 ws frames raw=82ff800000000000000501020304
    assert_line --index 0 --regexp '^close (1002|1009)$'
    assert_line --index 1 "the server closed the connection"
}

@test "07 frames: a message while a fragmented one is unfinished fails the connection with 1002 (5.4)" {
    start_server "$SERVER"
    run -0 ws frames text/more:Hello text:again
    assert_output "$FAILED_1002"
    run -0 ws frames binary/more:Hello binary:again
    assert_output "$FAILED_1002"
}

@test "07 frames: a continuation frame with no message to continue fails the connection with 1002 (5.4)" {
    start_server "$SERVER"
    run -0 ws frames cont:stray
    assert_output "$FAILED_1002"
    run -0 ws frames cont/more:stray
    assert_output "$FAILED_1002"
    # Nor after a finished message.
    run -0 ws frames text:done expect cont:stray
    assert_output 'text "done"
close 1002
the server closed the connection'
}

# --- Control frames (section 5.5) -----------------------------------------------------------

@test "07 control: a ping gets a pong with the same payload (5.5.2, 5.5.3)" {
    start_server "$SERVER"
    run -0 ws frames ping: expect ping:hello expect ping:size=125 expect ping:hex=00ff80 expect close:code=1000
    assert_output 'pong (empty)
pong "hello"
pong of 125 bytes
pong "\x00\xff\x80"
close 1000
the server closed the connection'
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]))
payload = os.urandom(125)
conn.send_frame(PING, payload)
pong = conn.read_frame()
print(pong.describe() if pong.opcode != PONG else "pong, the same 125 bytes" if pong.payload == payload else "pong, other bytes")
' "$PORT"
    assert_output "pong, the same 125 bytes"
}

@test "07 control: a ping between a message's fragments is answered at once, and the message comes whole (5.4)" {
    start_server "$SERVER"
    run -0 ws frames text/more:Hello ping:between expect cont/more:", " ping:again expect cont:world expect close:code=1000
    assert_output 'pong "between"
pong "again"
text "Hello, world"
close 1000
the server closed the connection'
}

@test "07 control: an unsolicited pong is ignored (5.5.3)" {
    start_server "$SERVER"
    run -0 ws frames pong:unasked text/more:Hel pong:between cont:lo close:code=1000
    assert_output 'text "Hello"
close 1000
the server closed the connection'
}

@test "07 control: a 126-byte ping fails the connection with 1002 (5.5)" {
    start_server "$SERVER"
    run -0 ws frames ping:size=126
    assert_output "$FAILED_1002"
    run -0 ws frames "close:code=1000,reason=$(printf "%0124d" 0)" # 126 bytes
    assert_output "$FAILED_1002"
    run -0 ws frames pong:size=126
    assert_output "$FAILED_1002"
}

@test "07 control: a fragmented ping fails the connection with 1002 (5.5)" {
    start_server "$SERVER"
    run -0 ws frames ping/more:frag cont:ment
    assert_output "$FAILED_1002"
    run -0 ws frames text/more:Hello ping/more:frag
    assert_output "$FAILED_1002"
}

# --- UTF-8 (sections 5.6, 8.1) ---------------------------------------------------------------

@test "07 utf-8: invalid UTF-8 in a text message fails the connection with 1007 (8.1)" {
    start_server "$SERVER"
    local bytes
    # A lone continuation byte; overlong forms of "/" and of U+07FF; a
    # surrogate (U+D800); past U+10FFFF; bytes never in UTF-8; a sequence
    # cut short by the next character; one cut short by the message's end.
    for bytes in 80 c0af e09fbf eda080 f4908080 f5 fe ff ce41 48c3; do
        echo "text bytes: $bytes"
        run -0 ws frames text:hex=$bytes
        assert_output "close 1007
the server closed the connection"
    done
}

@test "07 utf-8: valid text from U+0000 to U+10FFFF, at every width, comes back (5.6)" {
    start_server "$SERVER"
    # U+0000, U+007F, U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF.
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]))
text = "\u0000\u007f\u0080\u07ff\u0800\ud7ff\ue000\uffff\U00010000\U0010ffff".encode()
conn.send_frame(TEXT, text)
reply = conn.read_frame()
print("the same text" if (reply.opcode, reply.payload) == (TEXT, text) else reply.describe())
' "$PORT"
    assert_output "the same text"
}

@test "07 utf-8: invalid UTF-8 split across fragments fails the connection with 1007 (5.6)" {
    start_server "$SERVER"
    # f4 | 90 80 80 is past U+10FFFF; ce | 41 cuts a character short; ed | a0 80 is a surrogate.
    run -0 ws frames text/more:hex=41f4 cont:hex=908080
    assert_output "close 1007
the server closed the connection"
    run -0 ws frames text/more:hex=ce cont:hex=41
    assert_output "close 1007
the server closed the connection"
    run -0 ws frames text/more:hex=ed cont/more:hex=a0 cont:hex=80
    assert_output "close 1007
the server closed the connection"
}

@test "07 utf-8: a text message cut short in the middle of a character at its last fragment fails with 1007 (5.6)" {
    start_server "$SERVER"
    run -0 ws frames text/more:hex=41 cont:hex=e1bd
    assert_output "close 1007
the server closed the connection"
}

@test "07 utf-8: the server fails fast, at the first invalid byte, before the message's last fragment" {
    start_server "$SERVER"
    # The first fragment is invalid in its middle, or at its very end (e0 80
    # can only be an overlong form; ed a0 only a surrogate; f4 90 only past
    # U+10FFFF). The last fragment is never sent: the close must come first.
    local first
    for first in 41ff4141 41e080 41eda0 41f490; do
        echo "first fragment: $first"
        run -0 ws frames "text/more:hex=$first" drain=3 cont:hex=41
        assert_output "close 1007
the server closed the connection"
    done
}

@test "07 utf-8: a binary message is not checked for UTF-8" {
    start_server "$SERVER"
    run -0 ws frames binary:hex=fffe80c0 close:code=1000
    assert_output 'binary "fffe80c0"
close 1000
the server closed the connection'
}

# --- The closing handshake (sections 5.5.1, 7) -------------------------------------------

@test "07 close: a close is echoed with its code, then the server ends the TCP connection at once (5.5.1)" {
    start_server "$SERVER"
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]))
conn.send_frame(CLOSE, close_payload(1000, b"bye"))
reply = conn.read_frame()
echoed = time.monotonic()
print(reply.describe().replace(" b\x27bye\x27", ""))  # echoing the reason is optional
end = end_of_stream(conn.sock)
print(describe_end(end), "within 1 s" if time.monotonic() - echoed < 1 else "after more than 1 s")
' "$PORT"
    assert_output "close 1000
the server closed the connection within 1 s"
}

@test "07 close: valid codes (1000-1003, 1007-1011, 3000-4999) are echoed (7.4)" {
    start_server "$SERVER"
    local code
    for code in 1000 1001 1002 1003 1007 1008 1009 1010 1011 3000 3999 4000 4999; do
        run -0 ws frames close:code=$code
        assert_output "close $code
the server closed the connection"
    done
}

@test "07 close: a close with no payload is answered by a close with no code (or 1000) (5.5.1, 7.1.5)" {
    start_server "$SERVER"
    run -0 ws frames close:
    assert_output --regexp '^close (\(no code\)|1000)
the server closed the connection$'
}

@test "07 close: a close payload of 1 byte fails the connection with 1002 (5.5.1)" {
    start_server "$SERVER"
    run -0 ws frames close:hex=03
    assert_output "$FAILED_1002"
}

@test "07 close: invalid close codes (999, 1005, 1006, 5000...) fail the connection with 1002 (7.4)" {
    start_server "$SERVER"
    local code
    # 0-999 are not used; 1004 is reserved; 1005, 1006 and 1015 must never
    # be sent; 1016-2999 are for this protocol and unassigned; 5000 and above
    # are in no range at all.
    for code in 0 999 1004 1005 1006 1015 1016 1100 2000 2999 5000 65535; do
        echo "close code $code:"
        run -0 ws frames close:code=$code
        assert_output "$FAILED_1002"
    done
}

@test "07 close: a close reason that is not UTF-8 fails the connection with 1007 (5.5.1, 8.1)" {
    start_server "$SERVER"
    run -0 ws frames close:code=1000,reasonhex=ff
    assert_output "close 1007
the server closed the connection"
    run -0 ws frames close:code=1000,reasonhex=eda080
    assert_output "close 1007
the server closed the connection"
}

@test "07 close: a close between a message's fragments is echoed; the unfinished message is dropped (5.4, 5.5.1)" {
    start_server "$SERVER"
    run -0 ws frames text/more:Hel close:code=1000
    assert_output "close 1000
the server closed the connection"
}

@test "07 close: nothing after a close frame is processed (no echo, no pong) (5.5.1, 5.5.2)" {
    start_server "$SERVER"
    # Close, text and ping in one segment: only the close is answered.
    run -0 ws_peer '
conn = Connection(int(sys.argv[1]))
conn.send(frame(CLOSE, close_payload(1000)) + frame(TEXT, b"late") + frame(PING, b"late"))
print("\n".join(describe_all(*conn.frames_until_end())))
' "$PORT"
    assert_output --regexp '^close 1000
(the server closed the connection|the connection was reset)$'
}

# --- The stated limit (section 10.4) ---------------------------------------------------------

# ws_too_big LIMIT FIRST: a binary message of LIMIT + 1 bytes (a FIRST-byte
# fragment, then the rest; FIRST=0: one frame), sent by a thread (zeros, with
# a zero mask) while the main thread reads what comes back.
ws_too_big() {
    ws_peer '
limit, first = int(sys.argv[2]), int(sys.argv[3])
conn = Connection(int(sys.argv[1]))
def send():
    zero_key = bytes(4)
    try:
        if first:
            conn.send(frame(BINARY, bytes(first), fin=False))
        conn.send(frame(CONTINUATION if first else BINARY, declared_length=limit + 1 - first, key=zero_key))
        chunk = bytes(1 << 20)
        for _ in range((limit + 1 - first) // len(chunk)):
            conn.send(chunk)
        conn.send(bytes((limit + 1 - first) % len(chunk)))
    except OSError:
        pass  # the server has closed: as it should, sooner or later
threading.Thread(target=send, daemon=True).start()
print("\n".join(describe_all(*conn.frames_until_end(30), 30)))
' "$PORT" "$@"
}

@test "07 limit: a message of the stated limit (MAX_MESSAGE) is echoed; one byte more gets 1009 (10.4, 7.4.1)" {
    local limit
    limit=$(server_limit MAX_MESSAGE)
    echo "MAX_MESSAGE is $limit bytes"
    ((limit >= 16777216)) || fail "the limit is under 16 MiB, which must work"
    start_server "$SERVER"
    run -0 ws echo binary "$limit"
    assert_output "sent a binary message of $limit bytes; got back one binary frame of $limit bytes, the same bytes, length in 64 bits"
    run -0 ws_too_big "$limit" 0
    assert_line --index 0 "close 1009"
    assert_line --index 1 --regexp "^(the server closed the connection|the connection was reset)$"
}

@test "07 limit: a fragmented message that grows past MAX_MESSAGE gets 1009 (10.4)" {
    local limit
    limit=$(server_limit MAX_MESSAGE)
    start_server "$SERVER"
    run -0 ws_too_big "$limit" 1
    assert_line --index 0 "close 1009"
    assert_line --index 1 --regexp "^(the server closed the connection|the connection was reset)$"
}

@test "07 limit: a silent client keeps its descriptor as long as it likes, mid-request or open (no idle timeout)" {
    start_server "$SERVER"
    local seconds
    seconds=$((2 * $(server_limit CLOSE_TIMEOUT_MS) / 1000 + 1)) # longer than any deadline the server has
    local half=$BATS_TEST_TMPDIR/half
    ws_peer '
sock = connect(int(sys.argv[1]))
sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")  # half a request, then silence
print(describe_end(end_of_stream(sock, float(sys.argv[2])), float(sys.argv[2])))
' "$PORT" "$seconds" >"$half" 3>&- &
    local half_pid=$!
    run -0 ws hold "$seconds"
    assert_output "echoed
the connection stayed open for $seconds s"
    wait "$half_pid"
    run cat "$half"
    assert_output "the connection stayed open for $seconds s"
}

@test "07 limit: a log that nobody reads stops every client (printf blocks)" {
    check_unread_log_stops_every_client ws_peer "$WS_ACTIVE_CLIENT"
}

@test "07 limit: no TLS: a wss:// client's TLS handshake gets no answer, and its ClientHello ends as an unfinished HTTP request" {
    start_server "$SERVER"
    run -0 ws_peer '
import ssl
context = ssl.create_default_context()
context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
try:
    context.wrap_socket(sock, server_hostname="localhost")
    print("TLS handshake done")
except socket.timeout:
    print("TLS handshake: no answer within 2 s")
except (ssl.SSLError, OSError) as error:
    print(f"TLS handshake failed: {error}")
' "$PORT"
    assert_output "TLS handshake: no answer within 2 s"
    wait_for_log 'with 400 Bad Request: the request ended before its empty line$'
}

@test "07 limit: Origin is not checked: a handshake from any site's page is accepted (10.2)" {
    start_server "$SERVER"
    run -0 ws handshake "header=Origin:http://any-site.example"
    assert_line --index 0 "HTTP/1.1 101 Switching Protocols"
    assert_line 'then a message came back as text "after the handshake"'
}
