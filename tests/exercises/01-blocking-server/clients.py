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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from sockets import TIMEOUT, connect, local_address, read_to_end, run_scenario, send_at_once

PAUSE = 0.05  # between two sends: long enough for the server to recv() each alone
PROBLEMS = {
    "closed": None,
    "open": f"(no more replies within {TIMEOUT:g} s, and the server did not close the connection)",
    "reset": "(the connection was reset)",
}


def connect_client(port):
    """Connects, each send() a segment of its own; prints its address."""
    sock = send_at_once(connect(port))
    print(f"client {local_address(sock)}", flush=True)
    return sock


def replies(sock):
    """Reads until the server closes; returns the text, and what went wrong."""
    data, end = read_to_end(sock)
    return data.decode("ascii", "backslashreplace"), PROBLEMS[end]


def send(port, *pieces):
    """Sends each piece with a send() of its own, PAUSE apart; then closes its
    sending side and prints every reply line until the server closes."""
    with connect_client(port) as sock:
        for i, piece in enumerate(pieces):
            if i:
                time.sleep(PAUSE)
            sock.sendall(os.fsencode(piece))
        sock.shutdown(socket.SHUT_WR)
        text, problem = replies(sock)
    sys.stdout.write(text)
    if problem:
        print(problem)


def sessions(port, *sizes):
    """One client after the other; each sends SIZE random bytes in three
    send()s, PAUSE apart, reads the replies and leaves."""
    for size in map(int, sizes):
        with connect_client(port) as sock:
            payload = os.urandom(size)
            third = size // 3
            for start, end in ((0, third), (third, 2 * third), (2 * third, size)):
                sock.sendall(payload[start:end])
                time.sleep(PAUSE)
            sock.shutdown(socket.SHUT_WR)
            _, problem = replies(sock)
            if problem:
                print(problem)


SCENARIOS = {"send": send, "sessions": sessions}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
