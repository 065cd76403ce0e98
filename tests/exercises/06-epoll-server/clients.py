#!/usr/bin/env python3
"""Test clients for the step 06 exercise checks.

Usage: clients.py SCENARIO PORT [ARGS]   (host is always 127.0.0.1)

Each scenario prints what a person watching would see, so that a check can
compare it with what it expects. Step 05's clients (../05-poll-server/
clients.py) do the talking; this file adds what epoll changes: the server's
interest list, as Linux shows it in /proc/PID/fdinfo, and clients that
become ready all at once, sent while the server is stopped (SIGSTOP). Every
wait is bounded, and a stopped server is always continued (SIGCONT).
"""
import importlib.util
import os
import signal
import socket
import sys
import time
from contextlib import contextmanager

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("poll_clients", os.path.join(HERE, "..", "05-poll-server", "clients.py"))
poll = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(poll)

from sockets import TIMEOUT, escaped, run_scenario  # noqa: E402 (tests/lib, on the path poll set)

Client, LINE, data_from, high_bytes, letters, read_to_end, server_queues, shown, unread, wait_for_connected = (
    poll.Client, poll.LINE, poll.data_from, poll.high_bytes, poll.letters, poll.read_to_end,
    poll.server_queues, poll.shown, poll.unread, poll.wait_for_connected)

EPOLLIN, EPOLLOUT, EPOLLET = 0x1, 0x4, 0x80000000


# --- The server as /proc shows it ----------------------------------------------


def descriptor_links(pid):
    """{descriptor: what it is} for the server: "socket:[INODE]",
    "anon_inode:[eventpoll]", "anon_inode:[timerfd]", "pipe:[...]"..."""
    links = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed meanwhile
            pass
    return links


def interest_list(pid):
    """{descriptor: events} of the server's epoll instance (the first one it
    has), as Linux lists it in /proc/PID/fdinfo/EPOLL_FD: a line "tfd: FD
    events: HEX data: HEX ..." per entry. None if it has no epoll instance."""
    for fd, link in sorted(descriptor_links(pid).items()):
        if link != "anon_inode:[eventpoll]":
            continue
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                entries = [line.split() for line in f if line.startswith("tfd:")]
        except FileNotFoundError:
            continue
        return {int(e[1]): int(e[3], 16) for e in entries}
    return None


def socket_inodes(port, client_port=None):
    """Inodes of the server's TCP sockets on port: its listening socket
    (client_port None: state 0A, LISTEN), or its end of the connection from
    client_port (/proc/net/tcp and tcp6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for fields in (line.split() for line in list(f)[1:]):
                local, remote = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)
                if local != port:
                    continue
                if (client_port is None and fields[3] == "0A") or (client_port is not None and remote == client_port):
                    inodes.add(fields[9])
    return inodes


def server_fd(pid, port, client=None):
    """The server's descriptor for its listening socket (client None), or
    for its end of client's connection; None if it has none."""
    client_port = None if client is None else int(client.address.rsplit(":", 1)[1])
    inodes = socket_inodes(port, client_port)
    for fd, link in descriptor_links(pid).items():
        if link.startswith("socket:[") and link[len("socket:["):-1] in inodes:
            return fd
    return None


def edge_triggered(pid, port, what, client=None):
    """A line saying whether the server's epoll entry for its listening
    socket (client None) or for client's connection has EPOLLET."""
    watched = interest_list(pid)
    if watched is None:
        return "the server has no epoll instance (no anon_inode:[eventpoll] in /proc/PID/fd)"
    fd = server_fd(pid, port, client)
    if fd is None:
        return f"the server has no descriptor for {what}"
    if fd not in watched:
        return f"{what} (descriptor {fd}) is not in the server's interest list"
    events = watched[fd]
    if events & EPOLLET:
        return f"the server watches {what} edge-triggered (EPOLLET)"
    return (f"the server watches {what} level-triggered: its entry in the interest list has events "
            f"{events:#x}, without EPOLLET ({EPOLLET:#x})")


@contextmanager
def stopped(pid):
    """The server stopped (SIGSTOP) for the duration, then continued
    (SIGCONT), whatever happens meanwhile. Meanwhile its kernel still
    completes connections and takes data for it: it all waits, ready."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def wait_received(port, clients, sizes):
    """Waits (up to TIMEOUT s) until the server's kernel holds, unread, the
    bytes each client sent (sizes[i] for clients[i]); True if it does."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if all((server_queues(port, c) or (0, 0))[1] >= size for c, size in zip(clients, sizes)):
            return True
        time.sleep(0.01)
    return False


# --- Exercise 1: edge-triggered ------------------------------------------------


def end_of_stream(port, pid, log, size):
    """A client sends size random bytes (a few recv() chunks' worth) and
    closes its sending side while the server is stopped: data and end of
    stream wait together, for one edge. Does every byte get its reply, then
    the end of the stream, and the Disconnected line?"""
    pid, size = int(pid), int(size)
    a = Client(port, "A")
    if not wait_for_connected(log, 1):
        return
    payload = high_bytes(size)
    with stopped(pid):
        a.sock.sendall(payload)
        a.sock.shutdown(socket.SHUT_WR)
        if not wait_received(port, [a], [size]):
            print("(the server's kernel did not take the bytes within 5 s)")
            return
        print(edge_triggered(pid, port, "the client's connection", a))
    data, stray = data_from(a, a, len(escaped(payload)), 3.0)
    if stray is not None:
        print(f"the client got replies for {len(data):,} bytes, then a line it should not have: {shown(stray[:100], [a])}")
    elif data != escaped(payload):
        print(f"the client got replies for {len(data) // 4:,} of the {size:,} bytes it sent, then nothing more for 3 s")
    else:
        print("the client got a reply for every byte it sent, in order")
    rest = read_to_end(a, time.monotonic() + 3.0)
    print("then:", f"{len(rest):,} more bytes" if rest
          else "the end of the stream" if a.closed else "the connection stayed open for 3 s")
    disconnected = f"[CONNECTION] Disconnected from {a.address}".encode()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        with open(log, "rb") as f:
            if disconnected in f.read():
                print("and the server logged Disconnected")
                return
        time.sleep(0.02)
    print("but the server did not log Disconnected within 2 s")


def queued_newcomers(port, pid, log, count):
    """count clients connect, and each sends a word, while the server is
    stopped: they wait together in the listening socket's queue, one edge
    for all. Is each accepted and answered?"""
    pid, count = int(pid), int(count)
    words = [letters(8) for _ in range(count)]
    with stopped(pid):
        clients = [Client(port, chr(ord("A") + i)) for i in range(count)]
        for client, word in zip(clients, words):
            client.sock.sendall(word)
    answered = 0
    for client, word in zip(clients, words):
        line = client.line(3.0)
        match = LINE.match(line) if line else None
        if match and match.group(1) == word and match.group(2).decode() == client.address:
            answered += 1
    print(f"all {count} clients were accepted and answered" if answered == count
          else f"{answered} of the {count} clients got their reply within 3 s")
    print(edge_triggered(pid, port, "its listening socket"))


def slow_reader(port, pid, log):
    """R sends random bytes and reads nothing, until the server has to keep
    at least 256 KiB of R's replies in its pending output (its kernel holds a
    few MB); then R closes its sending side and reads. Do the replies resume,
    with every event edge-triggered, and then the end of the stream?"""
    pid = int(pid)
    r = Client(port, "R", receive_buffer=4096)
    if not wait_for_connected(log, 1):
        return
    replies = poll.fill_until_kept(port, r)
    if replies is None:
        return
    print(edge_triggered(pid, port, "R's connection", r))
    r.sock.shutdown(socket.SHUT_WR)
    poll.read_replies_then_end(r, replies, 3.0)


# --- Exercise 2: idle timeout with a timerfd ------------------------------------


def timer_in_interest_list(pid):
    """A line saying whether the server has a timerfd, in its interest list."""
    timers = [fd for fd, link in descriptor_links(pid).items() if link == "anon_inode:[timerfd]"]
    if not timers:
        return "the server has no timerfd (no anon_inode:[timerfd] in /proc/PID/fd)"
    watched = interest_list(pid) or {}
    if not any(fd in watched for fd in timers):
        return f"the server has a timerfd (descriptor {timers[0]}), but not in its epoll interest list"
    return "the server has a timerfd in its epoll interest list"


def sleeping_timer(port, pid, seconds):
    """Step 05's sleeping client, and 0.3 s into its silence: is the
    server's timer a timerfd that epoll watches?"""
    poll.sleeping(port, int(pid), seconds, look=timer_in_interest_list)


# --- Exercise 3: the largest batch -----------------------------------------------


def stop_and_wait(pid, log, count):
    """SIGTERM, then wait (up to TIMEOUT s) until the server has logged
    count Disconnected lines: the clients are closed by the server, not by
    us, so that their leaving makes no batch of its own."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with open(log, "rb") as f:
            if f.read().count(b"[CONNECTION] Disconnected from") >= count:
                return
        time.sleep(0.02)
    print(f"(after SIGTERM, the server did not close the {count} clients within {TIMEOUT:g} s)")


def in_turn(port, pid, log, count):
    """count clients connect and speak one after the other, each waiting
    for the server's answer before the next moves: every epoll_wait() finds
    one descriptor ready. Then SIGTERM, the clients still connected."""
    pid, count = int(pid), int(count)
    clients, answered = [], 0
    for i in range(count):
        client = Client(port, chr(ord("A") + i))
        clients.append(client)
        if not wait_for_connected(log, i + 1):
            return
        word = letters(8)
        client.sock.sendall(word)
        line = client.line(2.0)
        answered += bool(line and word in line)
    print(f"{count} clients connected and spoke in turn: every one was answered" if answered == count
          else f"{count} clients connected and spoke in turn: {answered} were answered")
    stop_and_wait(pid, log, count)


def together(port, pid, log, count):
    """count clients connect; while the server is stopped, each sends a
    word: on SIGCONT all count are ready at once. Each must be answered.
    Then SIGTERM, the clients still connected."""
    pid, count = int(pid), int(count)
    clients = [Client(port, f"C{i}") for i in range(count)]
    if not wait_for_connected(log, count):
        return
    words = [letters(8) for _ in clients]
    with stopped(pid):
        for client, word in zip(clients, words):
            client.sock.sendall(word)
        if not wait_received(port, clients, [len(w) for w in words]):
            print("(the server's kernel did not take every word within 5 s)")
            return
    answered = 0
    for client, word in zip(clients, words):
        line = client.line(3.0)
        answered += bool(line and word in line)
    print(f"{count} clients became ready at once: every one was answered" if answered == count
          else f"{count} clients became ready at once: {answered} were answered within 3 s")
    stop_and_wait(pid, log, count)


SCENARIOS = {
    "idle": poll.idle,
    "two-silent": poll.two_silent,
    "talker": poll.talker,
    "sleeping-timer": sleeping_timer,
    "end-of-stream": end_of_stream,
    "queued-newcomers": queued_newcomers,
    "slow-reader": slow_reader,
    "in-turn": in_turn,
    "together": together,
}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
