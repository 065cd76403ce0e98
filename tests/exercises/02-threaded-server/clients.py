#!/usr/bin/env python3
"""Test clients for the step 02 exercise checks.

Usage: clients.py SCENARIO PORT [ARGS]   (host is always 127.0.0.1)

Each scenario prints what a person watching would see, so that a check can
compare it with what it expects. Every wait is bounded.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from sockets import connect, line_or_why, local_address, read_to_end, run_scenario


def connect_named(port, name="client"):
    """Connects; prints its name and address."""
    sock = connect(port)
    print(f"{name} {local_address(sock)}", flush=True)
    return sock


def interleave(port, *turns):
    """Two clients, A and B, connect; then each TURN ("A:word" or "B:word")
    sends word from that client and waits for its reply."""
    clients = {"A": connect_named(port, "A"), "B": connect_named(port, "B")}
    for turn in turns:
        name, word = turn.split(":", 1)
        clients[name].sendall(word.encode())
        print(f"{name} got: {line_or_why(clients[name])}", flush=True)
    for sock in clients.values():
        sock.close()


def idle(port, word, seconds):
    """Sends word, reads the reply, then stays silent: when does the server
    close the connection?"""
    with connect_named(port) as sock:
        sock.sendall(word.encode())
        print(f"reply: {line_or_why(sock)}", flush=True)
        started = time.monotonic()
        _, end = read_to_end(sock, float(seconds))
        if end != "open":
            print(f"closed after {time.monotonic() - started:.1f} s")
        else:
            print(f"still open after {seconds} s")


def talk(port, interval, *words):
    """Sends each word, interval seconds apart, and reads each reply."""
    with connect_named(port) as sock:
        for i, word in enumerate(words):
            if i:
                time.sleep(float(interval))
            try:
                sock.sendall(word.encode())
            except OSError as error:
                print(f"could not send {word!r}: {error.strerror}")
                return
            print(f"reply: {line_or_why(sock)}", flush=True)


SCENARIOS = {"interleave": interleave, "idle": idle, "talk": talk}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
