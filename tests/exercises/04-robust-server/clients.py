#!/usr/bin/env python3
"""Test clients for the step 04 exercise checks.

Usage: clients.py SCENARIO PORT [ARGS]   (host is always 127.0.0.1)

Each scenario prints what a person watching would see, one line per fact,
so that a check can compare it with what it expects. Every wait is bounded.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from sockets import TIMEOUT, connect, line_or_why, local_address, read_to_end, run_scenario


def say(text):
    print(text, flush=True)


def exchange(sock, word, timeout=TIMEOUT):
    """Sends word and reads one line; the line, or why there is none."""
    try:
        sock.sendall(word.encode())
    except OSError as error:
        return f"(could not send: {error.strerror})"
    return line_or_why(sock, timeout)


def expected_reply(sock, word):
    return f'[CONNECTION] Received "{word}" from {local_address(sock)}'


def hold(port, *words):
    """One client per word, connected one after another: each sends its
    word and reads the reply, and all stay connected. Then obeys standard
    input, a command a line, until it closes:
      leave       the first client still held closes its connection
      ask WORD    every client still held sends WORD and reads the reply"""
    held = []
    for word in words:
        sock = connect(port)
        reply = exchange(sock, word)
        if reply != expected_reply(sock, word):
            say(f"client {len(held) + 1} sent {word} and got: {reply}")
            sys.exit(1)
        held.append(sock)
    say(f"held {len(held)}")
    for line in sys.stdin:
        command = line.split()
        if command == ["leave"]:
            gone = held.pop(0)
            say(f"left: {local_address(gone)}")
            gone.close()
        elif command[:1] == ["ask"]:
            wrong = []
            for i, sock in enumerate(held):
                reply = exchange(sock, command[1])
                if reply != expected_reply(sock, command[1]):
                    wrong.append(f"client {i + 1} got: {reply}")
            say(f"asked: all {len(held)} replied" if not wrong else "asked: " + "; ".join(wrong))
    for sock in held:
        sock.close()


def fill(port, limit):
    """Connects clients one after another, each served while all the earlier
    ones stay connected, until one gets no reply within 1 s (or limit are
    served). Then, on a line "leave" on standard input, the first one
    leaves: is the one that waited served now? Holds the others until
    standard input closes."""
    served, waiting = [], None
    for i in range(int(limit)):
        sock = connect(port)
        word = f"client{i + 1}"
        reply = exchange(sock, word, timeout=1.0)
        if reply.startswith("(no reply"):
            waiting = (sock, word)
            break
        if reply != expected_reply(sock, word):
            say(f"client {i + 1} sent {word} and got: {reply}")
            sys.exit(1)
        served.append(sock)
    if waiting is None:
        say(f"{len(served)} clients served at once; none waited")
    else:
        say(f"{len(served)} clients served at once; the next one got no reply within 1 s")
    for line in sys.stdin:
        if line.strip() == "leave" and waiting is not None and served:
            served.pop(0).close()
            sock, word = waiting
            reply = line_or_why(sock)
            say("after one left, the one waiting was served" if reply == expected_reply(sock, word)
                else f"after one left, the one waiting got: {reply}")
    for sock in served + ([waiting[0]] if waiting else []):
        sock.close()


def shown(data):
    """Bytes as the check shows them: "busy\\n"."""
    return '"' + repr(data)[2:-1] + '"'


# How the server ended a connection, for each end read_to_end() reports.
HOW = {
    "closed": "the end of the stream",
    "reset": "a reset (Connection reset by peer)",
    "open": f"nothing more: the connection was still open after {TIMEOUT:g} s",
}


def slow(port, word, delay):
    """Connects, waits delay seconds, sends word, waits delay seconds, says
    it has finished (shutdown), and reads until the server ends."""
    with connect(port) as sock:
        say("connected")
        time.sleep(float(delay))
        try:
            sock.sendall(word.encode())
            say("sent")
            time.sleep(float(delay))
            sock.shutdown(socket.SHUT_WR)
        except OSError as error:
            say(f"could not finish: {error.strerror} (the server had reset the connection)")
            return
        data, end = read_to_end(sock)
        say(f"got {shown(data)}, then {HOW[end]}")


def trickle(port, seconds):
    """Connects, then sends a byte every 0.4 s, for seconds, never closing
    its side: what does the server send before its side ends?"""
    with connect(port) as sock:
        say("connected")
        data, how, started = b"", None, time.monotonic()
        while time.monotonic() - started < float(seconds):
            try:
                sock.send(b".")
            except OSError:
                pass  # the server has closed, and reset the connection: we knew
            if how is None:
                sock.settimeout(0.4)
                try:
                    chunk = sock.recv(1024)
                    if chunk:
                        data += chunk
                        continue
                    how = HOW["closed"]
                except socket.timeout:
                    continue
                except ConnectionResetError:
                    how = HOW["reset"]
                say(f"got {shown(data)}, then {how}")
            time.sleep(0.4)
        if how is None:
            say(f"got {shown(data)}, then nothing more: its side was still open after {seconds} s")


def talk(port, interval, *words):
    """Sends each word, interval seconds apart, and reads each reply; prints
    whether every reply came."""
    with connect(port) as sock:
        for i, word in enumerate(words):
            if i:
                time.sleep(float(interval))
            reply = exchange(sock, word)
            if reply != expected_reply(sock, word):
                say(f"word {i + 1} of {len(words)}, {word}, got: {reply}")
                return
        say(f"all {len(words)} words got their reply")


def exchanges(port, *words):
    """One client per word, one after the other: connects, sends its word,
    reads the reply, leaves."""
    for word in words:
        with connect(port) as sock:
            reply = exchange(sock, word)
            if reply != expected_reply(sock, word):
                say(f"the client that sent {word} got: {reply}")
                return
    say(f"all {len(words)} clients got their reply")


SCENARIOS = {"hold": hold, "fill": fill, "slow": slow, "trickle": trickle, "talk": talk,
             "exchanges": exchanges}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
