# Test cases the one-thread event-loop servers share: step 05 (poll) and
# step 06 (epoll), which must do the same for their clients, and step 07
# (WebSocket on step 05's loop) where its clients can be told apart. A
# step's .bats file loads this after server_cases, sets SERVER to its
# binary, and may define python_peer_helpers (step 06 adds what reads its
# interest list).

# python_peer_helpers: Python the step adds to python_peer's common part
# (functions its tests use). Step 05 adds nothing.
python_peer_helpers() { :; }

# python_peer SCRIPT ARGS...: runs a Python test client given inline. The
# common part: tests/lib/sockets.py's helpers (connect(), cpu_seconds()...);
# answer(), which tells what a socket got within a time: a reply line,
# "closed" (end of stream or reset), or "nothing"; then the step's
# python_peer_helpers.
python_peer() {
    local script=$1
    shift
    PYTHONPATH=$TESTS_DIR/lib${PYTHONPATH:+:$PYTHONPATH} "$PYTHON" -c "$(cat <<'EOF'
import os, socket, statistics, sys, time
from sockets import (connect, cpu_seconds, line_or_why, local_address, receive_line,
                     reset, send_at_once)

def answer(sock, seconds):
    try:
        _, end = receive_line(sock, seconds)
    except ConnectionResetError:
        return "closed"
    return {"line": "reply", "closed": "closed", "open": "nothing"}[end]
EOF
)"$'\n'"$(python_peer_helpers)"$'\n'"$script" "$@"
}

# --- What every server step does, where only these two can -----------------------

check_listens_on_ipv6_loopback() {
    ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128' || skip "::1 is not configured on this machine"
    start_server "$SERVER" -H ::1
    run head -n 1 "$SERVER_LOG"
    assert_output "[INFO] Listening on [::1]:$PORT"
    run -0 python_peer '
sock = socket.create_connection(("::1", int(sys.argv[1])), timeout=5)
print("local [%s]:%d" % sock.getsockname()[:2])
sock.sendall(b"Hello world!")
sock.settimeout(5)
print(sock.recv(1024).decode().rstrip("\n"))
' "$PORT"
    local peer_address=${lines[0]#local }
    assert_line --index 1 "[CONNECTION] Received \"Hello world!\" from $peer_address"
}

check_slow_reader_gets_every_byte() {
    # A small receive buffer and a late start: the server's replies pile up,
    # and its non-blocking sends take them in pieces.
    start_server "$SERVER"
    run -0 peer flood 3145728 4096 0.5
    assert_output "sent 3145728 bytes, the replies echoed 3145728 bytes"
}

# --- One thread, every client ----------------------------------------------------

check_stalled_reader_dropped() {
    start_server "$SERVER"
    run -0 peer stalled-reader 20
    assert_output "while a client flooded without reading: 20 of 20 replies came within 1 s
the flooder was dropped"
    run grep -cE '^\[CONNECTION\] Dropped 127\.0\.0\.1:[0-9]+: more than 1048576 bytes of replies unread$' "$SERVER_LOG"
    assert_output 1
}

check_half_open_cleaned_up() {
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

check_no_leak_after_many() {
    start_server_warm "$SERVER"
    local descriptors
    descriptors=$(open_descriptors)
    run -0 peer many 10000
    assert_output "10000 clients came and went"
    wait_until 5 descriptors_are "$descriptors" ||
        fail "expected $descriptors open descriptors after 10,000 clients, got $(open_descriptors)"
}

# --- Out of descriptors: the loop neither sleeps nor spins -------------------------

# check_newcomer_waits_for_a_descriptor [WHILE_FULL SAYS [AFTER SAYS_AFTER]]:
# started with 32 descriptors, the server fills its table; then a newcomer
# waits, a connected client is still served at once, the server uses no CPU,
# and the newcomer is served once a client leaves. A step checks more with
# Python run in the client once the table is full (WHILE_FULL), and once the
# newcomer was served (AFTER), with the lines each prints (SAYS, SAYS_AFTER).
# Their variables: port, pid, clients (connected), newcomer.
check_newcomer_waits_for_a_descriptor() {
    command -v prlimit >/dev/null || fail "prlimit is missing (Debian package util-linux)"
    # 32 descriptors: the server's own, and room for a few clients.
    start_server prlimit --nofile=32 "$SERVER"
    run -0 python_peer '
port, pid = int(sys.argv[1]), int(sys.argv[2])
clients = []
while True:  # fill the table: each client is served and stays
    sock = connect(port)
    sock.sendall(b"fill")
    if answer(sock, 1.0) != "reply" or len(clients) == 100:
        newcomer = sock
        break
    clients.append(sock)
print("the table filled up: the next newcomer waits (no reply within 1 s)"
      if len(clients) < 100 else "the table never filled up")
'"${1:-}"'

# A client we have is served at once: no 100 ms pauses, as a sleep would make.
times = []
for i in range(50):
    started = time.monotonic()
    clients[0].sendall(b"trip %d" % i)
    if answer(clients[0], 2.0) != "reply":
        break
    times.append(time.monotonic() - started)
median = statistics.median(times) if times else 0
print(f"while it waits: {len(times)} of 50 round trips of a connected client,",
      "median under 50 ms" if median < 0.050 else f"median {median * 1000:.0f} ms")

# And the server does not spin on the listener that it cannot serve.
before = cpu_seconds(pid)
time.sleep(1)
used = cpu_seconds(pid) - before
print("while it waits: the server used",
      "under 0.1 s of CPU in 1 s" if used < 0.1 else f"{used:.2f} s of CPU in 1 s")

clients.pop().close()
print("after a client left, the newcomer that waited got:", answer(newcomer, 2.0))
'"${3:-}" "$PORT" "$SERVER_PID"
    local expected=("the table filled up: the next newcomer waits (no reply within 1 s)")
    [[ -z ${2:-} ]] || expected+=("$2")
    expected+=("while it waits: 50 of 50 round trips of a connected client, median under 50 ms"
        "while it waits: the server used under 0.1 s of CPU in 1 s"
        "after a client left, the newcomer that waited got: reply")
    [[ -z ${4:-} ]] || expected+=("$4")
    assert_output "$(printf '%s\n' "${expected[@]}")"
    # The test did what it says: accept() ran out of descriptors.
    grep -q '^accept: Too many open files$' "$SERVER_ERR" || fail "accept never failed with EMFILE: the test proves nothing"
}

# check_exits_with_own_descriptors_only LIMIT: started with LIMIT descriptors,
# exactly the server's own, so that a client needs one more, which no client
# leaving will ever free: it exits 1 naming accept. (bats's own descriptors,
# which the server would inherit, are closed; LeakSanitizer needs descriptors
# of its own to check at exit.)
check_exits_with_own_descriptors_only() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    ASAN_OPTIONS=detect_leaks=0 check_exits_out_of_descriptors \
        start_server bash -c 'ulimit -n '"$1"' && exec "$0" "$@" 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-' "$SERVER"
}

# --- The limits both chapters name ("What can go wrong") ---------------------------

check_idle_client_keeps_descriptor() {
    start_server "$SERVER"
    run -0 peer idle 2
    assert_output "replied
still open after 2 s of silence"
}

# The active client of check_unread_log_stops_every_client, in Python: how
# it opens a connection, says something, and finds the socket to wait on;
# answer(active, seconds) is python_peer's. Plain TCP here; step 07 has its
# WebSocket one.
TCP_ACTIVE_CLIENT='
def open_active(port): return connect(port)
def say(active, data): active.sendall(data)
def socket_of(active): return active
'

# check_unread_log_stops_every_client [PEER ACTIVE_CLIENT]: PEER runs inline
# Python (python_peer by default) with ACTIVE_CLIENT's functions
# (TCP_ACTIVE_CLIENT by default) defined first.
check_unread_log_stops_every_client() {
    local peer=${1:-python_peer} active_client=${2:-$TCP_ACTIVE_CLIENT}
    # The server's stdout is a pipe that nobody reads until the client below
    # does: once its 64 KiB are full, printf() blocks, and so does the loop.
    local log=$BATS_TEST_TMPDIR/log line
    mkfifo "$log"
    exec 4<>"$log"
    SERVER_ERR=$BATS_TEST_TMPDIR/server.err
    "$SERVER" -p 0 >"$log" 2>"$SERVER_ERR" 3>&- 4>&- &
    SERVER_PID=$!
    IFS= read -r -t 5 line <&4 || fail "the server did not say where it listens"
    PORT=${line##*:}
    run -0 "$peer" "$active_client"'
import select
port, log_path = int(sys.argv[1]), sys.argv[2]
active = open_active(port)
say(active, b"before")
print("before the log fills up:", answer(active, 2.0))
for _ in range(3000):  # two log lines each, about 90 bytes: far past a 64 KiB pipe (4 KiB pages)
    connect(port).close()
say(active, b"during")
print("with the log pipe full, within 1 s:", answer(active, 1.0))
log = os.open(log_path, os.O_RDONLY | os.O_NONBLOCK)
deadline, got = time.monotonic() + 10, "nothing"
while got == "nothing" and time.monotonic() < deadline:
    try:
        while os.read(log, 65536):
            pass
    except BlockingIOError:
        pass
    if select.select([socket_of(active)], [], [], 0.05)[0]:
        got = answer(active, 1.0)
print("once someone reads the log:", got)
os.close(log)
' "$PORT" "$log"
    assert_output "before the log fills up: reply
with the log pipe full, within 1 s: nothing
once someone reads the log: reply"
    # Read the rest of the log while the server stops: it still has lines to
    # write. The reader gets end of file once the server, the last writer, exits.
    exec 5<"$log"
    cat <&5 >/dev/null 3>&- 4>&- 5>&- &
    local reader=$!
    exec 4>&- 5<&-
    stop_server
    assert_equal "$SERVER_STATUS" 0
    wait "$reader"
}
