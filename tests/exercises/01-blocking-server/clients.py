#!/usr/bin/env python3
"""Test clients for the step 01 exercise checks.

Usage: clients.py SCENARIO PORT [ARGS]   (host is always 127.0.0.1)

Each scenario prints what a person watching would see, so that a check can
compare it with what it expects. Every wait is bounded.
"""
import os
import socket
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 5.0
PAUSE = 0.05  # between two sends: long enough for the server to recv() each alone


def connect(port):
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    # Each send() leaves at once as a segment of its own, rather than
    # waiting to be joined with the next (Nagle's algorithm).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    host, local_port = sock.getsockname()[:2]
    print(f"client {host}:{local_port}", flush=True)
    return sock


def read_to_end(sock):
    """Reads until the server closes; returns the text, and what went wrong."""
    data, problem = b"", None
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        problem = f"(no more replies within {TIMEOUT:g} s, and the server did not close the connection)"
    except ConnectionResetError:
        problem = "(the connection was reset)"
    return data.decode("ascii", "backslashreplace"), problem


def send(port, *pieces):
    """Sends each piece with a send() of its own, PAUSE apart; then closes its
    sending side and prints every reply line until the server closes."""
    with connect(port) as sock:
        for i, piece in enumerate(pieces):
            if i:
                time.sleep(PAUSE)
            sock.sendall(os.fsencode(piece))
        sock.shutdown(socket.SHUT_WR)
        text, problem = read_to_end(sock)
    sys.stdout.write(text)
    if problem:
        print(problem)


def sessions(port, *sizes):
    """One client after the other; each sends SIZE random bytes in three
    send()s, PAUSE apart, reads the replies and leaves."""
    for size in map(int, sizes):
        with connect(port) as sock:
            payload = os.urandom(size)
            third = size // 3
            for start, end in ((0, third), (third, 2 * third), (2 * third, size)):
                sock.sendall(payload[start:end])
                time.sleep(PAUSE)
            sock.shutdown(socket.SHUT_WR)
            _, problem = read_to_end(sock)
            if problem:
                print(problem)


SCENARIOS = {"send": send, "sessions": sessions}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: clients.py {{{'|'.join(SCENARIOS)}}} PORT [ARGS]")
    SCENARIOS[sys.argv[1]](int(sys.argv[2]), *sys.argv[3:])
