#!/usr/bin/env python3
"""Test clients for the step 02 exercise checks.

Usage: clients.py SCENARIO PORT [ARGS]   (host is always 127.0.0.1)

Each scenario prints what a person watching would see, so that a check can
compare it with what it expects. Every wait is bounded.
"""
import socket
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 5.0


def connect(port, name="client"):
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    host, local_port = sock.getsockname()[:2]
    print(f"{name} {host}:{local_port}", flush=True)
    return sock


def read_line(sock, timeout=TIMEOUT):
    """One reply line without its newline, or why there is none."""
    sock.settimeout(timeout)
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = sock.recv(1)
            if not chunk:
                return f"(the server closed the connection{', after ' + repr(data) if data else ''})"
            data += chunk
    except socket.timeout:
        return f"(no reply line within {timeout:g} s)"
    except ConnectionResetError:
        return "(the connection was reset)"
    return data.decode("ascii", "backslashreplace").rstrip("\n")


def interleave(port, *turns):
    """Two clients, A and B, connect; then each TURN ("A:word" or "B:word")
    sends word from that client and waits for its reply."""
    clients = {"A": connect(port, "A"), "B": connect(port, "B")}
    for turn in turns:
        name, word = turn.split(":", 1)
        clients[name].sendall(word.encode())
        print(f"{name} got: {read_line(clients[name])}", flush=True)
    for sock in clients.values():
        sock.close()


def idle(port, word, seconds):
    """Sends word, reads the reply, then stays silent: when does the server
    close the connection?"""
    with connect(port) as sock:
        sock.sendall(word.encode())
        print(f"reply: {read_line(sock)}", flush=True)
        started = time.monotonic()
        sock.settimeout(float(seconds))
        try:
            while sock.recv(1024):
                pass
            closed = True
        except socket.timeout:
            closed = False
        except ConnectionResetError:
            closed = True
        if closed:
            print(f"closed after {time.monotonic() - started:.1f} s")
        else:
            print(f"still open after {seconds} s")


def talk(port, interval, *words):
    """Sends each word, interval seconds apart, and reads each reply."""
    with connect(port) as sock:
        for i, word in enumerate(words):
            if i:
                time.sleep(float(interval))
            try:
                sock.sendall(word.encode())
            except OSError as error:
                print(f"could not send {word!r}: {error.strerror}")
                return
            print(f"reply: {read_line(sock)}", flush=True)


SCENARIOS = {"interleave": interleave, "idle": idle, "talk": talk}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: clients.py {{{'|'.join(SCENARIOS)}}} PORT [ARGS]")
    SCENARIOS[sys.argv[1]](int(sys.argv[2]), *sys.argv[3:])
