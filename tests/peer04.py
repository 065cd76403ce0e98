#!/usr/bin/env python3
"""Test clients for step 04's lessons, beyond those of peer.py.

Usage: peer04.py SCENARIO PORT [ARGS]

As in peer.py, each scenario prints what a person watching would observe,
one line per fact, and every wait is bounded.
"""
import sys
import time

# peer.py also gives what it takes from lib/sockets.py.
from peer import TIMEOUT, connect, local_address, read_line, reset, run_scenario


def exchange_with(port, host):
    """An exchange with the server at host (a name or an IPv4 or IPv6
    address): prints the client's own address, then the reply."""
    with connect(port, host) as sock:
        print("local", local_address(sock))
        sock.sendall(b"Hello world!")
        print(read_line(sock) or "no reply")


def served(sock, message):
    sock.sendall(message.encode())
    return read_line(sock, timeout=1.0) is not None


def fill(port, limit):
    """Connects clients one after another, each served while all the earlier
    ones stay connected, until one gets no reply within 1 s (or limit are
    served). Then, when a line comes on standard input, one served client
    leaves: is the one that waited served now? Holds the others until
    standard input closes."""
    clients, waiting = [], None
    for i in range(int(limit)):
        sock = connect(port)
        if not served(sock, f"client {i}"):
            waiting = sock
            break
        clients.append(sock)
    print(f"{len(clients)} clients served at once;",
          "the next one waits (no reply within 1 s)" if waiting else "none waits", flush=True)
    if waiting is None:
        sys.stdin.read()
        return
    sys.stdin.readline()
    clients.pop(0).close()
    reply = read_line(waiting)
    print("after one left, the waiting client was", "served" if reply else f"not served within {TIMEOUT:g} s",
          flush=True)
    sys.stdin.read()
    for sock in clients + [waiting]:
        sock.close()


def flood_and_hold(port, seconds):
    """Sends without ever reading, until the server stops reading too (its
    replies fill both socket buffers, and its send() can take no more): no
    progress for 1 s. Then stays connected, still not reading, for seconds."""
    sock = connect(port)
    sock.setblocking(False)
    chunk, started = b"F" * 65536, time.monotonic()
    progress = started
    while time.monotonic() - progress < 1.0:
        if time.monotonic() - started > 10 * TIMEOUT:
            sys.exit("the server kept reading")
        try:
            if sock.send(chunk) > 0:
                progress = time.monotonic()
        except BlockingIOError:
            time.sleep(0.01)
    print("the server stopped reading", flush=True)
    time.sleep(float(seconds))
    reset(sock)


SCENARIOS = {
    "exchange-with": exchange_with,
    "fill": fill,
    "flood-and-hold": flood_and_hold,
}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
