#!/usr/bin/env bats
# Step 06: step 05's one-thread server on epoll (Linux); every test of step 05
# that applies, and what epoll changes.
#
# Its lesson: the kernel keeps the interest list (epoll_ctl), and each wait
# (epoll_wait) costs what is ready, not what is watched; EPOLLOUT is asked for
# only while replies are pending; a client leaves the interest list before
# its descriptor is closed; out of descriptors, the listener is watched for
# nothing until a client leaves. The interest list is observable: Linux lists
# it in /proc/PID/fdinfo/EPOLL_FD, one "tfd: FD events: HEX" line per entry
# (the events with EPOLLERR and EPOLLHUP, 0x18, always added). The limits its
# chapter names in "What can go wrong" are asserted at the end ("06 limit").

bats_require_minimum_version 1.5.0
load helpers
load server_cases
load event_loop_cases

setup() { SERVER=$(server_binary 06-epoll-server); }

# python_peer_helpers: the Python step 06's tests add to python_peer's: the
# server's epoll interest list, as epoll_entries(pid) and interest_list(pid),
# with watched_for(events) to name the events; listener_fd(pid, port);
# cpu_ns(pid), the CPU time the server has used, in nanoseconds; and
# wait_for(condition, seconds).
python_peer_helpers() {
    cat <<'EOF'
def epoll_entries(pid):
    """The server's one epoll instance's interest list, as Linux lists it in
    /proc/PID/fdinfo: (descriptor, events, data) for each entry."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:[eventpoll]":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:  # closed meanwhile
            continue
        entries = [line.split() for line in lines if line.startswith("tfd:")]
        return [(int(e[1]), int(e[3], 16), int(e[5], 16)) for e in entries]
    sys.exit("the server has no epoll instance")

def interest_list(pid):
    """{descriptor: events} (with EPOLLERR | EPOLLHUP, 0x18, always there)."""
    return {fd: events for fd, events, _ in epoll_entries(pid)}

EPOLLIN, EPOLLOUT, ALWAYS = 0x1, 0x4, 0x18

def watched_for(events):
    """An entry's events in words: "EPOLLIN", "EPOLLIN and EPOLLOUT", "nothing"."""
    if events is None:
        return "(no entry)"
    names = [name for bit, name in ((EPOLLIN, "EPOLLIN"), (EPOLLOUT, "EPOLLOUT")) if events & bit]
    other = events & ~(EPOLLIN | EPOLLOUT | ALWAYS)
    return " and ".join(names + ([hex(other)] if other else [])) or "nothing"

def cpu_ns(pid):
    """CPU time the server has used, in ns: /proc/PID/schedstat's first field
    is exact, where /proc/PID/stat counts clock ticks (10 ms), too coarse for
    a few microseconds a round trip."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])

def listener_fd(pid, port):
    """The server's descriptor for its listening socket on port (found by
    the socket's inode, in /proc/net/tcp and tcp6: state 0A is LISTEN)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for fields in (line.split() for line in list(f)[1:]):
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(fields[9])
    for fd in os.listdir(f"/proc/{pid}/fd"):
        if os.readlink(f"/proc/{pid}/fd/{fd}")[len("socket:["):-1] in inodes:
            return int(fd)
    sys.exit("found no listening socket in the server")

def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
EOF
}

# --- What every server step does ------------------------------------------------

@test "06: builds alone with the cc line its chapter shows" { check_standalone_build 06-epoll-server server.c; }

@test "06: where there is no epoll (not Linux), make leaves it out with one line, and make step-06 run says why" {
    run -0 make -n --no-print-directory -C "$REPO_ROOT" -B all SYSTEM=Darwin
    assert_line --index 0 "Skipping 06-epoll-server: it uses epoll, which only Linux has (this is Darwin)."
    refute_output --partial "steps/06-epoll-server/server.c"
    assert_output --partial "steps/05-poll-server/server.c"
    run -0 make -n --no-print-directory -C "$REPO_ROOT" step-01 run SYSTEM=Darwin
    refute_output --partial "Skipping"
    run -2 make -s --no-print-directory -C "$REPO_ROOT" step-06 run SYSTEM=Darwin
    assert_line --index 0 "Step 06 uses epoll, which only Linux has (this is Darwin)."
    # On Linux it is built like any other step.
    run -0 make -n --no-print-directory -C "$REPO_ROOT" -B all
    assert_output --partial "steps/06-epoll-server/server.c"
    refute_output --partial "Skipping"
}
@test "06: announces the port it really listens on" { check_listening_line; }
@test "06: replies with one escaped line per chunk and logs the session" { check_reply_and_log; }
@test "06: escapes every byte value in replies; its log has no raw control byte" { check_escapes_every_byte; }
@test "06: answers every byte of a 1 MiB flood (partial sends completed)" { check_flood_fully_answered; }
@test "06: a slow reader still gets every byte of 3 MiB of replies (partial sends resumed)" { check_slow_reader_gets_every_byte; }
@test "06: serves the next client after one resets mid-reply" { check_serves_after reset-after-send; }
@test "06: serves the next client after one floods without reading" { check_serves_after flood-without-reading 0.5; }
@test "06: serves the next client after one disconnects at once" { check_serves_after connect-and-close; }
@test "06: survives clients that half-close and reset mid-reply (SIGPIPE)" { check_serves_after half-close-then-reset 20; }
@test "06: can be restarted on the same port at once (SO_REUSEADDR)" { check_restarts_on_same_port; }
@test "06: descriptors return to their count after clients leave" { check_resources_return; }
@test "06: SIGINT stops it with a log line and status 0" { check_stops_on INT; }
@test "06: SIGTERM stops it with a log line and status 0" { check_stops_on TERM; }
@test "06: SIGTERM stops it while a client is connected" { check_stops_with_idle_client TERM; }
@test "06: listens on the IPv6 loopback ::1, and logs IPv6 addresses as [IP]:PORT" { check_listens_on_ipv6_loopback; }
@test "06: usage errors exit 2 with a reason and the usage" { check_usage_errors; }
@test "06: failing system calls exit 1 naming the call" { check_system_call_errors; }

# --- One thread, every client ----------------------------------------------------

@test "06: a second client is served while the first stays connected" { check_second_client_served_at_once; }
@test "06: serves 1,000 clients at the same time with one thread" { check_clients_at_once 1000 0; }

@test "06: a client that never reads does not stall the others, and is dropped past 1 MiB" { check_stalled_reader_dropped; }
@test "06: a half-open client (finished sending, never reads) is cleaned up" { check_half_open_cleaned_up; }
@test "06: no descriptor leaks after 10,000 connections" { check_no_leak_after_many; }

# --- What epoll changes -------------------------------------------------------------

@test "06: the interest list holds the self-pipe, the listener and each client, and loses each client that leaves" {
    start_server "$SERVER"
    run -0 python_peer '
port, pid = int(sys.argv[1]), int(sys.argv[2])
entries = interest_list(pid)
print("with no client:", len(entries), "entries, the listener among them:", listener_fd(pid, port) in entries)
clients = [connect(port) for _ in range(50)]
for sock in clients:
    sock.sendall(b"hi")
served = sum(answer(sock, 5) == "reply" for sock in clients)
entries = epoll_entries(pid)
print(f"with {served} clients served and connected:", len(entries), "entries, watched for",
      " or ".join(sorted({watched_for(events) for _, events, _ in entries})))
print("each entry carries its own descriptor as its data:", all(fd == data for fd, _, data in entries))
for sock in clients:
    sock.close()
wait_for(lambda: len(interest_list(pid)) == 2, 5)
print("after they left:", len(interest_list(pid)), "entries")
' "$PORT" "$SERVER_PID"
    assert_output "with no client: 2 entries, the listener among them: True
with 50 clients served and connected: 52 entries, watched for EPOLLIN
each entry carries its own descriptor as its data: True
after they left: 2 entries"
    run cat "$SERVER_ERR"
    assert_output ""
}

@test "06: EPOLLOUT is asked for only while replies are pending, so silent clients cost no CPU" {
    start_server "$SERVER"
    run -0 --separate-stderr python_peer '
port, pid = int(sys.argv[1]), int(sys.argv[2])

import subprocess

def in_flight(me):
    """Bytes this client has sent that the server has not read yet: in the
    send queue of our socket, and the receive queue of the server'"'"'s. ss
    filters in the kernel: quick, where reading /proc/net/tcp is not after
    other tests have left tens of thousands of sockets in TIME_WAIT."""
    both_ends = f"( sport = :{me} and dport = :{port} ) or ( sport = :{port} and dport = :{me} )"
    lines = subprocess.run(["ss", "-Htn", "state", "established", both_ends],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    total = 0
    for received, to_send, local, _ in (line.split() for line in lines):
        total += int(to_send) if local.endswith(f":{me}") else int(received)
    return total

known = set(interest_list(pid))
sock = connect(port)
sock.sendall(b"hi")
answer(sock, 5)
(client,) = set(interest_list(pid)) - known  # the server'"'"'s descriptor for it
print("after one exchange, the client is watched for", watched_for(interest_list(pid)[client]))

# Send without reading, 64 KiB at a time, each time until the server has
# read all of it, until the replies fill every buffer and the server has to
# keep some: a few MiB here (its send buffer grows up to net.ipv4.tcp_wmem),
# and then well under the 1 MiB of pending replies that would drop it.
me, sent, deadline = sock.getsockname()[1], 0, time.monotonic() + 30
while not interest_list(pid)[client] & EPOLLOUT and sent < 16 << 20 and time.monotonic() < deadline:
    sock.sendall(b"x" * 65536)
    sent += 65536
    wait_for(lambda: in_flight(me) == 0, 5)
print("with replies it cannot send yet, the client is watched for", watched_for(interest_list(pid)[client]))
print(f"sent {sent} bytes; {deadline - time.monotonic():.1f} s left", file=sys.stderr)

echoed, deadline = 0, time.monotonic() + 20
while echoed < sent and time.monotonic() < deadline:
    echoed += sock.recv(1 << 20).count(b"x")
print("it read every reply:", echoed == sent)
wait_for(lambda: interest_list(pid)[client] == ALWAYS | EPOLLIN, 5)
print("then it is watched for", watched_for(interest_list(pid)[client]))

others = [connect(port) for _ in range(100)]
wait_for(lambda: len(interest_list(pid)) == 103, 5)
before = cpu_ns(pid)
time.sleep(1)
used = (cpu_ns(pid) - before) / 1e9
print("with it and 100 other clients connected and silent, the server used",
      "under 0.05 s of CPU in 1 s" if used < 0.05 else f"{used:.2f} s of CPU in 1 s")
' "$PORT" "$SERVER_PID"
    assert_output "after one exchange, the client is watched for EPOLLIN
with replies it cannot send yet, the client is watched for EPOLLIN and EPOLLOUT
it read every reply: True
then it is watched for EPOLLIN
with it and 100 other clients connected and silent, the server used under 0.05 s of CPU in 1 s"
    echo "$stderr" # shown if the test fails
}

@test "06: 2,000 idle clients do not make the active one's round trips cost more CPU (epoll_wait costs what is ready)" {
    # Step 05's poll() goes through every descriptor on every wake-up: there,
    # 2,000 idle clients make each round trip cost the server tens of times
    # the CPU. CPU time, not wall time: a busy machine slows both phases, but
    # does not change the work the server does. Still, on a shared machine a
    # phase now and then costs several times more (caches, the hypervisor),
    # never less: each phase is measured three times, interleaved, and the
    # least of each is compared.
    start_server "$SERVER"
    run -0 --separate-stderr python_peer '
port, pid = int(sys.argv[1]), int(sys.argv[2])
IDLE, TRIPS = 2000, 3000
active = send_at_once(connect(port))

def cpu_per_trip(trips):
    before = cpu_ns(pid)
    for i in range(trips):
        active.sendall(b"x")
        data = b""
        while not data.endswith(b"\n"):
            data += active.recv(4096)
    return (cpu_ns(pid) - before) / trips / 1000  # microseconds

def descriptors():
    return len(os.listdir(f"/proc/{pid}/fd"))

cpu_per_trip(500)  # warm-up
quiet, crowded = [], []
for _ in range(3):
    quiet.append(cpu_per_trip(TRIPS))
    base = descriptors()
    idle = [connect(port) for _ in range(IDLE)]
    if not wait_for(lambda: descriptors() >= base + IDLE, 30):
        sys.exit("the server did not accept the idle clients within 30 s")
    crowded.append(cpu_per_trip(TRIPS))
    for sock in idle:
        sock.close()
    wait_for(lambda: descriptors() <= base, 30)
ratio = min(crowded) / min(quiet)
print("per round trip, with", IDLE, "idle clients beside it, the server used",
      "under 3 times the CPU time it used with none" if ratio < 3 else f"{ratio:.1f} times the CPU time it used with none")
print("CPU per round trip (us): none idle", [round(q, 1) for q in quiet],
      f"{IDLE} idle", [round(c, 1) for c in crowded], file=sys.stderr)
' "$PORT" "$SERVER_PID"
    echo "$stderr" # shown if the test fails
    assert_output "per round trip, with 2000 idle clients beside it, the server used under 3 times the CPU time it used with none"
}

@test "06: clients that leave in bulk while others talk: no stale event, every talker served" {
    # A crowd connects, says a word and leaves at once (half of it with a
    # reset), round after round, while ten clients talk: in one batch of
    # epoll_wait, descriptors are closed, and new clients accepted on the same
    # numbers. No event may be taken for another client's, and no crash
    # (under ASan, make check, a stale pointer would be reported).
    start_server "$SERVER"
    run -0 --separate-stderr python_peer '
port, pid = int(sys.argv[1]), int(sys.argv[2])
talkers = [send_at_once(connect(port)) for _ in range(10)]
wrong = []
for round in range(20):
    crowd = [connect(port) for _ in range(100)]
    for sock in crowd:
        sock.sendall(b"bye")
    for i, talker in enumerate(talkers):
        talker.sendall(b"round %d talker %d" % (round, i))
    for k, sock in enumerate(crowd):
        reset(sock) if k % 2 else sock.close()
    for i, talker in enumerate(talkers):
        line = line_or_why(talker, 5)
        if line != f"[CONNECTION] Received \"round {round} talker {i}\" from {local_address(talker)}":
            wrong.append(line)
print("the talkers got", 200 - len(wrong), "of 200 replies, each their own")
print("wrong replies:", *wrong[:3], sep="\n", file=sys.stderr)
wait_for(lambda: len(interest_list(pid)) == 12, 10)
print("the crowd gone, the interest list holds", len(interest_list(pid)), "entries")
for talker in talkers:
    talker.close()
wait_for(lambda: len(interest_list(pid)) == 2, 10)
print("the talkers gone too:", len(interest_list(pid)))
' "$PORT" "$SERVER_PID"
    assert_output "the talkers got 200 of 200 replies, each their own
the crowd gone, the interest list holds 12 entries
the talkers gone too: 2"
    echo "$stderr" # shown if the test fails
    server_alive
    # Every client that came left once, and each failed call is one a reset explains.
    diff <(sed -nE 's/^\[CONNECTION\] Connected to //p' "$SERVER_LOG" | sort) \
        <(sed -nE 's/^\[CONNECTION\] Disconnected from //p' "$SERVER_LOG" | sort) ||
        fail "the Connected and Disconnected lines do not match"
    run grep -cvE '^(recv|send): (Connection reset by peer|Broken pipe)$' "$SERVER_ERR"
    assert_output 0
}

# --- Out of descriptors: the loop neither sleeps nor spins -------------------------

@test "06: out of descriptors, it stops accepting, neither sleeping nor spinning; a newcomer waits until a client leaves" {
    # Step 05's test, and the listener's entry in the interest list.
    check_newcomer_waits_for_a_descriptor '
listener = listener_fd(pid, port)
watched = interest_list(pid).get(listener)
print("while it waits, the listener is in the interest list, watched for",
      "nothing" if watched == 0x18 else watched)
' "while it waits, the listener is in the interest list, watched for nothing" '
# The newcomer took the descriptor that came free, and the next accept() said
# EMFILE (Linux looks for a descriptor before it looks at the queue).
watched = interest_list(pid).get(listener)
print("the table is full again: the listener is watched for", "nothing" if watched == 0x18 else watched)
clients.pop().close()  # with nobody waiting
again = wait_for(lambda: interest_list(pid).get(listener) == 0x19, 5)
print("once another client left, the listener is watched for",
      "newcomers (EPOLLIN) again" if again else interest_list(pid).get(listener))
' "the table is full again: the listener is watched for nothing
once another client left, the listener is watched for newcomers (EPOLLIN) again"
}

@test "06: out of descriptors with no client to give one back, it exits 1 naming accept" {
    # 7 descriptors: 0-2, the stop pipe's two ends, the listener and the epoll
    # instance (one more than step 05).
    check_exits_with_own_descriptors_only 7
}

# --- The limits the chapter names ("What can go wrong") ----------------------------

@test "06 limit: an idle client keeps its descriptor as long as it likes (no timeout)" { check_idle_client_keeps_descriptor; }
@test "06 limit: a log that nobody reads stops every client (printf blocks)" { check_unread_log_stops_every_client; }
