# Test cases every server step must pass (same protocol, options, log lines,
# escaping, errors and signals). A step's .bats file sets SERVER to its
# binary, and may redefine expected_session_log.

# expected_session_log PEER: the log lines one client at PEER produces, in
# order. Step 02 adds its "Starting thread" line by defining its own.
expected_session_log() {
    echo "[CONNECTION] Connected to $1"
    echo "[CONNECTION] Disconnected from $1"
}

check_listening_line() {
    start_server "$SERVER"
    run head -n 1 "$SERVER_LOG"
    assert_output "[INFO] Listening on 127.0.0.1:$PORT"
    ((PORT > 0))
}

check_reply_and_log() {
    start_server "$SERVER"
    run -0 peer exchange
    local peer_address=${lines[0]#local }
    assert_equal "${#lines[@]}" 2
    assert_line --index 1 "[CONNECTION] Received \"Hello world!\" from $peer_address"
    wait_for_log "Disconnected from $peer_address"
    run cat "$SERVER_LOG"
    assert_output "[INFO] Listening on 127.0.0.1:$PORT
$(expected_session_log "$peer_address")"
}

check_escapes_every_byte() {
    start_server "$SERVER"
    "$PYTHON" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$BATS_TEST_TMPDIR/all-bytes"
    run -0 peer send-bytes "$BATS_TEST_TMPDIR/all-bytes"
    assert_output "$(cat "$TESTS_DIR/fixtures/all-bytes.escaped")"
    # Nor does the operator's screen get a raw control byte.
    run -1 env LC_ALL=C grep -n '[^[:print:]]' "$SERVER_LOG"
}

check_flood_fully_answered() {
    start_server "$SERVER"
    run -0 peer flood 1048576
    assert_output "sent 1048576 bytes, the replies echoed 1048576 bytes"
}

# check_serves_after SCENARIO [ARGS]: a client misbehaves, the next one is served.
check_serves_after() {
    start_server "$SERVER"
    peer "$@" || true # what the bad client itself sees does not matter here
    run -0 peer exchange
    assert_line --index 1 --regexp '^\[CONNECTION\] Received "Hello world!" from 127\.0\.0\.1:[0-9]+$'
    server_alive
}

# Every kind of client comes and goes; the server ends with what it started with.
check_resources_return() {
    start_server_warm "$SERVER"
    local descriptors threads
    descriptors=$(open_descriptors)
    threads=$(thread_count)
    for _ in 1 2 3 4 5; do
        peer exchange >/dev/null
        peer reset-after-send
        peer connect-and-close
    done
    peer flood-without-reading 0.3
    peer exchange >/dev/null
    wait_until 5 descriptors_are "$descriptors" ||
        fail "expected $descriptors open descriptors after the clients left, got $(open_descriptors)"
    wait_until 5 threads_are "$threads" ||
        fail "expected $threads threads after the clients left, got $(thread_count)"
}

# check_stops_on SIGNAL: an idle server exits 0 and says so.
check_stops_on() {
    start_server "$SERVER"
    stop_server "$1"
    assert_equal "$SERVER_STATUS" 0
    run tail -n 1 "$SERVER_LOG"
    assert_output "[INFO] Shutting down"
}

# check_stops_with_idle_client SIGNAL: a connected, idle client does not hold up shutdown.
check_stops_with_idle_client() {
    start_server "$SERVER"
    local held=$BATS_TEST_TMPDIR/held
    peer hold 10 >"$held" 3>&- &
    local holder=$!
    wait_until 5 grep -q replied "$held" || fail "the held client got no reply"
    stop_server "$1"
    assert_equal "$SERVER_STATUS" 0
    wait "$holder"
    run cat "$held"
    assert_output "replied
the server closed the connection"
}

# The server closes first when it stops with a client connected, so its side
# of that connection waits in TIME_WAIT: a restart must still bind at once.
# check_restarts_on_same_port [CLIENT WORD]: CLIENT (a function, default
# peer) holds the connection with "CLIENT hold 10", and prints WORD (default
# replied) once the server has answered it.
check_restarts_on_same_port() {
    local client=${1:-peer} word=${2:-replied}
    start_server "$SERVER"
    local port=$PORT held=$BATS_TEST_TMPDIR/held
    "$client" hold 10 >"$held" 3>&- &
    local holder=$!
    wait_until 5 grep -q "$word" "$held" || fail "the held client got no answer"
    stop_server TERM
    wait "$holder"
    start_server "$SERVER" -p "$port"
    assert_equal "$PORT" "$port"
}

# For servers that serve clients at the same time (steps 02 and 04).
check_second_client_served_at_once() {
    start_server "$SERVER"
    run -0 peer second-client
    assert_output "first: replied
second, while first connected: replied"
}

# check_clients_at_once N THREADS_EACH: N clients connected at once are all
# served; while they are, the server has THREADS_EACH more threads per client.
check_clients_at_once() {
    local count=$1 threads_each=$2 threads
    start_server_warm "$SERVER"
    threads=$(thread_count)
    local held=$BATS_TEST_TMPDIR/held release=$BATS_TEST_TMPDIR/release
    mkfifo "$release"
    peer concurrent "$count" <"$release" >"$held" 3>&- &
    local clients=$! holding
    # The clients stay connected until this closes. (A descriptor of bash's
    # choosing: bats 1.8 keeps its own output on fd 4.)
    exec {holding}>"$release"
    wait_until 30 grep -q "named their own client" "$held"
    run cat "$held"
    assert_output "$count of $count clients replied while all were connected
$count of $count replies, asked again, named their own client"
    assert_equal "$(thread_count)" $((threads + count * threads_each))
    exec {holding}>&-
    wait "$clients"
    wait_until 5 threads_are "$threads" ||
        fail "expected $threads threads after the clients left, got $(thread_count)"
}

check_usage_errors() {
    run -0 "$SERVER" -h
    assert_line --index 0 "usage: server [-H host] [-p port]"

    run -2 --separate-stderr "$SERVER" -x
    assert_equal "${stderr_lines[0]}" "server: unknown option: -x"
    assert_equal "${stderr_lines[1]}" "usage: server [-H host] [-p port]"
    assert_output ""

    local bad
    for bad in 65536 abc -1 "" 1e3 99999999; do
        run -2 --separate-stderr "$SERVER" -p "$bad"
        assert_equal "${stderr_lines[0]}" "server: port must be a number from 0 to 65535: $bad"
    done

    run -2 --separate-stderr "$SERVER" -p
    assert_equal "${stderr_lines[0]}" "server: option needs a value: -p"

    run -2 --separate-stderr "$SERVER" extra
    assert_equal "${stderr_lines[0]}" "server: unexpected argument: extra"
}

check_system_call_errors() {
    start_server "$SERVER"
    run -1 --separate-stderr timeout 5 "$SERVER" -p "$PORT"
    assert_equal "$stderr" "bind: Address already in use"

    # 192.0.2.1 is a documentation address: never one of this machine's.
    run -1 --separate-stderr timeout 5 "$SERVER" -H 192.0.2.1 -p 0
    assert_equal "$stderr" "bind: Cannot assign requested address"
}

check_standalone_build() {
    local step_dir=$REPO_ROOT/steps/$1 source=$2
    local build_line
    build_line=$(grep -m 1 -E '^\$ cc .* -o ' "$step_dir/README.md" | sed -E 's/^\$ //')
    [[ -n $build_line ]] || fail "$1/README.md shows no cc line"
    cp "$step_dir/$source" "$BATS_TEST_TMPDIR/"
    cd "$BATS_TEST_TMPDIR"
    run -0 bash -c "$build_line"
    assert_output ""
}

# --- Cases for the limits that steps 01 and 02 share, and fixes 04 and 05 share ---

# hold_a_client: one client that has had its reply and stays connected, in
# the background (HOLDER, its output in HELD); held_client_saw_the_close
# then checks that it saw the server close the connection.
hold_a_client() {
    HELD=$BATS_TEST_TMPDIR/held
    peer hold 10 >"$HELD" 3>&- &
    HOLDER=$!
    wait_until 5 grep -q replied "$HELD" || fail "the held client got no reply"
}
held_client_saw_the_close() {
    wait "$HOLDER"
    run cat "$HELD"
    assert_output "replied
the server closed the connection"
}

# check_killed_by_sigpipe: clients that half-close, then reset while replies
# are due, until the server dies of SIGPIPE (status 141). Whether a reset
# lands while a reply is due is a race, usually won in the first 20 tries;
# under load it may take more.
check_killed_by_sigpipe() {
    local round
    for round in 1 2 3 4 5 6 7 8 9 10; do
        peer half-close-then-reset 20
        wait_until 1 server_gone && break
    done
    server_gone || fail "the server survived $((round * 20)) resets: SIGPIPE is handled now, so the chapter is wrong"
    stop_server
    assert_equal "$SERVER_STATUS" 141 # 128 + SIGPIPE
}

check_ipv4_numbers_only() {
    local host
    for host in localhost ::1; do
        run -2 --separate-stderr "$SERVER" -H "$host" -p 0
        assert_equal "${stderr_lines[0]}" "server: host must be an IPv4 address such as 127.0.0.1: $host"
    done
}

# A client whose thread cannot be created is dropped, and the server goes on.
check_failed_thread_drops_client() {
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

# check_exits_out_of_descriptors START_COMMAND...: started (by the command
# given) with room for no client, the server exits 1 naming accept at the
# first client, as no client leaving can ever give a descriptor back.
check_exits_out_of_descriptors() {
    "$@"
    # The client may see the reset of the server's exit before connect()
    # returns: what it sees does not matter, only that it came.
    peer connect-and-close || true
    wait_until 5 server_gone || fail "the server is still running"
    stop_server
    assert_equal "$SERVER_STATUS" 1
    run cat "$SERVER_ERR"
    assert_output "accept: Too many open files"
}
