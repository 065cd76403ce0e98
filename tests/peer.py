#!/usr/bin/env python3
"""Test clients for the servers: well-behaved, concurrent and hostile.

Usage: peer.py SCENARIO PORT [ARGS]   (host is always 127.0.0.1)

Each scenario prints what a person watching would observe, one line per
fact, so the bats tests can assert on it. Every wait is bounded.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from sockets import (HOST, TIMEOUT, connect, local_address, read_to_end,
                     receive_line, reset, run_scenario)


def read_line(sock, timeout=TIMEOUT):
    """Reads one reply line; returns None if none arrives in time."""
    data, end = receive_line(sock, timeout)
    return None if end == "open" else data.decode("ascii", "backslashreplace")


def read_all(sock):
    """Reads until the server closes; returns the bytes. A reset, or no end
    within TIMEOUT s, ends the scenario."""
    data, end = read_to_end(sock)
    if end != "closed":
        sys.exit("the connection was reset" if end == "reset"
                 else f"the server did not close the connection within {TIMEOUT} s")
    return data


def received_fields(replies):
    """The DATA of every '[CONNECTION] Received "DATA" from ...' line, joined."""
    fields = []
    for line in replies.decode("ascii").splitlines():
        prefix, rest = line.split('"', 1)
        assert prefix == "[CONNECTION] Received ", line
        data, _ = rest.rsplit('" from ', 1)
        fields.append(data)
    return "".join(fields)


def exchange(port, message="Hello world!"):
    """Sends a message, closes the sending side, prints the reply."""
    with connect(port) as sock:
        print("local", local_address(sock))
        try:
            sock.sendall(message.encode())
            sock.shutdown(socket.SHUT_WR)
            reply, end = read_to_end(sock)
        except OSError:  # not connected any more: the server closed
            reply, end = b"", "reset"
        if end == "open":
            sys.exit(f"no reply within {TIMEOUT} s")
        text = reply.decode("ascii") if end == "closed" else ""  # a reset: the server closed
        sys.stdout.write(text or "no reply: the server closed the connection\n")


def send_bytes(port, path):
    """Sends a file's bytes, prints the DATA fields of the replies, joined."""
    with open(path, "rb") as f:
        payload = f.read()
    with connect(port) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        print(received_fields(read_all(sock)))


def second_client(port):
    """Does a second client get a reply while a first one stays connected?"""
    first = connect(port)
    first.sendall(b"first")
    print("first:", "replied" if read_line(first) else "no reply")
    second = connect(port)
    second.sendall(b"second")
    reply = read_line(second, timeout=1.0)
    if reply:
        print("second, while first connected: replied")
    else:
        print("second, while first connected: no reply within 1 s")
    first.close()
    if not reply:
        reply = read_line(second)
        waited = "replied" if reply else "no reply"
        print("second, after first left:", waited)
    second.close()


def concurrent(port, count):
    """Connects count clients, each served while all the earlier ones stay open,
    then holds them all open until standard input closes.

    Each client gets its reply before the next connects, so a burst never
    overflows the listen backlog (that lesson belongs to the benchmark).
    """
    count = int(count)
    clients = []
    for i in range(count):
        sock = connect(port)
        sock.sendall(f"client {i}".encode())
        if read_line(sock) is None:
            break
        clients.append(sock)
    print(f"{len(clients)} of {count} clients replied while all were connected")
    # Asked again once all are connected, each reply must name its own client:
    # a server that mixed up its clients' state would name another.
    own = 0
    for i, sock in enumerate(clients):
        sock.sendall(f"again {i}".encode())
        if read_line(sock) == f'[CONNECTION] Received "again {i}" from {local_address(sock)}':
            own += 1
    print(f"{own} of {len(clients)} replies, asked again, named their own client", flush=True)
    sys.stdin.read()
    for sock in clients:
        sock.close()


def flood(port, size, receive_buffer=None, pause="0"):
    """Sends size bytes while reading replies; prints how many bytes were echoed.
    A small receive_buffer and a pause before reading make a slow reader,
    whose replies the server can only send in pieces (partial sends)."""
    size = int(size)
    with socket.socket() as sock:
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(receive_buffer))
        sock.settimeout(TIMEOUT)
        sock.connect((HOST, port))
        def send():
            sock.sendall(b"A" * size)
            sock.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(float(pause))
        echoed = len(received_fields(read_all(sock)))
        sender.join()
    print(f"sent {size} bytes, the replies echoed {echoed} bytes")


def flood_without_reading(port, seconds):
    """Sends as fast as possible, never reads, then resets the connection."""
    sock = connect(port)
    sock.setblocking(False)
    deadline = time.monotonic() + float(seconds)
    sent = 0
    while time.monotonic() < deadline:
        try:
            sent += sock.send(b"B" * 65536)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:  # the server dropped us (step 04 does, past its limit)
            break
    reset(sock)
    print(f"sent {sent} bytes without reading, then reset", file=sys.stderr)


def half_close_then_reset(port, times="20"):
    """Sends 20 kB, says it has finished (shutdown), then resets at once, times
    over. The server, replying to what is still queued, then gets EPIPE on its
    next send: with SIGPIPE not ignored, that signal would kill it."""
    for _ in range(int(times)):
        try:
            sock = connect(port)
        except OSError:
            return  # the server is gone: the test's next exchange will say so
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(b"w" * 20000)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return  # the server died under us: the test will say so
        reset(sock)


def reset_after_send(port):
    """Sends a message and resets the connection before the reply comes."""
    sock = connect(port)
    sock.sendall(b"bye" * 100)
    reset(sock)


def hold(port, seconds="10"):
    """Stays connected after one exchange; reports whether the server closes first."""
    with connect(port) as sock:
        sock.sendall(b"hello")
        print("replied" if read_line(sock) else "no reply", flush=True)
        sock.settimeout(float(seconds))
        try:
            closed = sock.recv(1) == b""
        except socket.timeout:
            closed = False
        except ConnectionResetError:
            closed = True
        print("the server closed the connection" if closed else f"still open after {seconds} s")


def read_until_closed(sock, seconds):
    """Everything the server sends within seconds, and whether it then closed."""
    data, end = read_to_end(sock, seconds, within=seconds)
    return data, end != "open"


def describe_refusal(sock, seconds=1.0):
    data, closed = read_until_closed(sock, seconds)
    if data == b"busy\n" and closed:
        return "got busy, then the connection closed"
    if not data:
        return "got nothing" + (", and the connection closed" if closed else f" within {seconds:g} s")
    return f"got {data!r}" + (", then the connection closed" if closed else "")


def busy(port, allowed="1"):
    """With `allowed` clients connected, does one more get 'busy'? And once one
    of them leaves, is a newcomer served again?"""
    clients = []
    for i in range(int(allowed)):
        sock = connect(port)
        sock.sendall(f"client {i}".encode())
        if read_line(sock) is None:
            print(f"client {i + 1} of {allowed}: no reply")
            return
        clients.append(sock)
    print(f"the {allowed} allowed: replied")
    extra = connect(port)
    extra.sendall(b"one too many")
    print("one more:", describe_refusal(extra))
    extra.close()
    clients[0].sendall(b"still there?")
    print("first, again:", "replied" if read_line(clients[0]) else "no reply")
    clients.pop(0).close()
    deadline, served = time.monotonic() + 3, False
    while not served and time.monotonic() < deadline:
        with connect(port) as newcomer:
            newcomer.sendall(b"my turn")
            served = (read_line(newcomer, timeout=0.5) or "").startswith("[CONNECTION] Received")
    print("a newcomer after one left:", "served" if served else "not served within 3 s")
    for sock in clients:
        sock.close()


def idle(port, seconds="6"):
    """Says hello, then stays silent: when does the server hang up?"""
    with connect(port) as sock:
        sock.sendall(b"hello")
        print("replied" if read_line(sock) else "no reply", flush=True)
        started = time.monotonic()
        _, closed = read_until_closed(sock, float(seconds))
        if closed:
            print(f"the server closed the connection after {time.monotonic() - started:.0f} s of silence")
        else:
            print(f"still open after {seconds} s of silence")


def broadcast(port):
    """Two clients: does what one says reach the other?"""
    listener = connect(port)
    listener.sendall(b"hi")  # its reply means the server knows it is there
    read_line(listener)
    speaker = connect(port)
    print("speaker", local_address(speaker))
    speaker.sendall(b"Hello, everyone")
    print("speaker got:", read_line(speaker, timeout=1.0) or "nothing within 1 s")
    print("listener got:", read_line(listener, timeout=1.0) or "nothing within 1 s")
    speaker.close()
    listener.close()


def graceful(port, server_pid):
    """Stays connected while the server is asked to stop (SIGTERM)."""
    import os
    import signal
    with connect(port) as sock:
        sock.sendall(b"before")
        print("before SIGTERM:", "replied" if read_line(sock) else "no reply")
        os.kill(int(server_pid), signal.SIGTERM)
        time.sleep(0.5)
        try:
            sock.sendall(b"after")
            reply = read_line(sock, timeout=1.0)
        except OSError:
            reply = None
        print("after SIGTERM:", "replied" if reply else "no reply: the connection is gone")
        try:
            connect(port).close()
            print("a new client after SIGTERM: connected")
        except OSError:
            print("a new client after SIGTERM: refused")


def stalled_reader(port, exchanges="20"):
    """One client floods and never reads; meanwhile another one talks. Does
    the talker still get prompt replies, and is the flooder dropped?"""
    flooder = connect(port)
    flooder.setblocking(False)
    dropped = threading.Event()

    def flood():
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                flooder.send(b"F" * 65536)
            except BlockingIOError:
                time.sleep(0.005)
            except OSError:  # reset or broken pipe: the server dropped us
                dropped.set()
                return

    sender = threading.Thread(target=flood)
    sender.start()
    time.sleep(0.5)  # let the flood fill every buffer on the way
    replied, slowest = 0, 0.0
    for i in range(int(exchanges)):
        with connect(port) as talker:
            started = time.monotonic()
            talker.sendall(f"talker {i}".encode())
            if read_line(talker, timeout=1.0):
                replied += 1
                slowest = max(slowest, time.monotonic() - started)
    print(f"while a client flooded without reading: {replied} of {exchanges} replies came within 1 s")
    sender.join()
    print("the flooder was dropped" if dropped.is_set() else "the flooder was never dropped")
    flooder.close()


def half_open(port):
    """Sends, closes its sending side, then never reads nor closes: holds
    the socket until standard input closes."""
    sock = connect(port)
    sock.sendall(b"hello")
    sock.shutdown(socket.SHUT_WR)
    print("half-closed", flush=True)
    sys.stdin.read()
    sock.close()


def many(port, count):
    """count clients, one after the other, each a whole exchange."""
    for i in range(int(count)):
        with connect(port) as sock:
            sock.sendall(b"hi")
            sock.shutdown(socket.SHUT_WR)
            read_all(sock)
    print(f"{count} clients came and went")


def connect_and_close(port):
    """Connects and leaves at once, without sending anything."""
    connect(port).close()


SCENARIOS = {
    "exchange": exchange,
    "send-bytes": send_bytes,
    "second-client": second_client,
    "concurrent": concurrent,
    "flood": flood,
    "flood-without-reading": flood_without_reading,
    "reset-after-send": reset_after_send,
    "half-close-then-reset": half_close_then_reset,
    "connect-and-close": connect_and_close,
    "hold": hold,
    "busy": busy,
    "idle": idle,
    "broadcast": broadcast,
    "graceful": graceful,
    "stalled-reader": stalled_reader,
    "half-open": half_open,
    "many": many,
}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
