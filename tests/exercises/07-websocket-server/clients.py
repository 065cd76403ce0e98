#!/usr/bin/env python3
"""Test clients for the step 07 exercise checks.

Usage: clients.py SCENARIO PORT [ARGS]   (host is always 127.0.0.1)

Each scenario prints what a person watching the clients would see, one fact
a line, so that a check compares it with what it expects. The WebSocket
side is tests/lib/websocket.py: Connection (a handshaken socket that reads
frames), frame() and Frame.describe(). Every wait is bounded.
"""
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from sockets import cpu_seconds, local_address, run_scenario  # noqa: E402
from websocket import (BINARY, CLOSE, PING, PONG, TEXT, Closed, Connection, close_payload,  # noqa: E402
                       describe_end, end_of_stream, new_key, read_response, request)

WAIT = 2.0  # how long a client waits for a frame that should come


def got(conn, opcode, payload, timeout=WAIT):
    """What conn got next, compared with the message it should get: "got
    it", or what came instead."""
    try:
        frame = conn.read_frame(timeout)
    except socket.timeout:
        return f"got nothing within {timeout:g} s"
    except Closed as closed:
        return f"got no message: {describe_end(closed.end)}"
    if frame.opcode == opcode and frame.fin and frame.payload == payload:
        return "got it"
    if frame.opcode == opcode and frame.fin:
        return f"got a {'text' if opcode == TEXT else 'binary'} message of {len(frame.payload)} bytes," \
               f" but not the bytes sent ({frame.describe()})"
    return f"got {frame.describe()} instead"


def nothing_more(conn, seconds=0.5):
    """"nothing more" if no frame comes within seconds, else what came."""
    try:
        return f"then got {conn.read_frame(seconds).describe()} as well"
    except socket.timeout:
        return "nothing more"
    except Closed as closed:
        return f"then {describe_end(closed.end)}"


def everyone(port, word):
    """A, B and C open WebSockets. A sends a text message (word); then B a
    binary message of 300 random bytes, in two frames. Each client must get
    each message once, whole, as one frame of the same kind."""
    clients = {name: Connection(port) for name in "ABC"}
    clients["A"].send_frame(TEXT, word.encode())
    for name, conn in clients.items():
        print(f"A's text message: {name} {got(conn, TEXT, word.encode())}", flush=True)
    data = os.urandom(300)
    clients["B"].send_frame(BINARY, data[:100], fin=False)
    clients["B"].send_frame(0, data[100:])
    for name, conn in clients.items():
        print(f"B's binary message: {name} {got(conn, BINARY, data)}", flush=True)
    for name, conn in clients.items():
        print(f"{name}: {nothing_more(conn)}", flush=True)


def only_open(port, word):
    """A and B open WebSockets; H connects and sends half of its opening
    handshake; C opens one, then closes it (a close frame, whose answer it
    reads) but keeps its TCP connection. A sends word: A and B must get it;
    H, once its handshake is finished, its 101 answer and no message; C
    nothing."""
    a, b = Connection(port), Connection(port)
    h = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    key = new_key()
    opening = request(key)
    h.sendall(opening[:20])
    c = Connection(port)
    c.send_frame(CLOSE, close_payload(1000))
    try:
        answer = c.read_frame(WAIT).describe()
    except (socket.timeout, Closed):
        answer = "nothing"
    print(f"C sent a close frame and got {answer} back; it keeps its connection", flush=True)
    time.sleep(0.2)  # C's close is done with: C is closing, H still mid-request
    a.send_frame(TEXT, word.encode())
    print(f"A's message: A {got(a, TEXT, word.encode())}", flush=True)
    print(f"A's message: B {got(b, TEXT, word.encode())}", flush=True)
    h.sendall(opening[20:])
    response = read_response(h, WAIT)
    print(f"H finished its handshake, and got: {response.describe()}", flush=True)
    if response.status == 101:
        conn = Connection.__new__(Connection)
        conn.sock, conn.buffer = h, bytearray(response.rest)
        print(f"H: {nothing_more(conn)}", flush=True)
    end = end_of_stream(c.sock, 0.5)
    print("C: " + ("nothing more, then the end of the stream" if end == "closed" else describe_end(end, 0.5)), flush=True)
    for conn in (a, b, c):
        conn.close()
    h.close()


def log_has(path, text):
    with open(path, errors="replace") as log:
        return any(text in line for line in log)


def stalled(port, log_path):
    """A, B and D open WebSockets; D never reads. A sends binary messages of
    4 MiB, one at a time, and A and B each read every copy, until the server
    logs that it dropped D (at most 40 messages). Then A sends a word, which
    B must get; and D's connection must end."""
    a, b = Connection(port), Connection(port)
    d_sock = socket.socket()
    d_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    d_sock.settimeout(WAIT)
    d_sock.connect(("127.0.0.1", port))
    d_key = new_key()
    d_sock.sendall(request(d_key))
    d = local_address(d_sock)
    size, sent, dropped = 4 << 20, 0, False
    problem = None
    while sent < 40 and not dropped:
        data = random.randbytes(size)
        a.send_frame(BINARY, data)
        sent += 1
        for name, conn in (("A", a), ("B", b)):
            answer = got(conn, BINARY, data, timeout=5.0)
            if answer != "got it":
                problem = f"message {sent}: {name} {answer}"
                break
        if problem:
            break
        # The server logs the drop as it queues the copies A and B just read.
        dropped = log_has(log_path, f"Dropped {d}")
    if problem:
        print(f"while D did not read, A sent messages of 4 MiB, and A and B read them: {problem}")
        return
    print("while D did not read, A sent messages of 4 MiB: A and B got every one, whole, within 5 s")
    deadline = time.monotonic() + 1.0
    while not problem and not dropped and time.monotonic() < deadline:
        time.sleep(0.05)
        dropped = log_has(log_path, f"Dropped {d}")
    if not dropped:
        print(f"the server did not drop D after {sent} messages ({sent * 4} MiB)")
        return
    print(f"the server dropped D (after {sent} messages, {sent * 4} MiB)")
    word = f"after-{random.randrange(10 ** 6)}".encode()
    a.send_frame(TEXT, word)
    print(f"A's next message: A {got(a, TEXT, word)}, B {got(b, TEXT, word)}")
    _, end = read_to_end(d_sock, 5.0)
    print("D, reading at last: " + ("its connection ended" if end in ("closed", "reset") else describe_end(end, 5.0)))


def read_to_end(sock, seconds):
    """Reads and drops everything until the end of the stream, for up to
    seconds. Returns the byte count and "closed", "reset" or "open"."""
    deadline, count = time.monotonic() + seconds, 0
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(1 << 20)
            if not chunk:
                return count, "closed"
            count += len(chunk)
    except socket.timeout:
        pass
    except ConnectionResetError:
        return count, "reset"
    return count, "open"


# --- Exercise 3: pings for silent clients -------------------------------------------


def on_time(seconds, limit):
    """Is seconds "about limit"? From 0.8 limit to limit + 1 s (a loaded
    machine is late, never early)."""
    return 0.8 * limit <= seconds <= limit + 1.0


def next_frame(conn, timeout):
    """(the next frame or None, a line saying why none came)."""
    try:
        return conn.read_frame(timeout), ""
    except socket.timeout:
        return None, f"nothing within {timeout:g} s"
    except Closed as closed:
        return None, describe_end(closed.end)


def silent(port, word, pid, seconds):
    """Opens a WebSocket, sends word and reads it back, then stays silent,
    answering nothing: a ping must come about seconds later, then a close
    frame with code 1001 about seconds after the ping, then the end of the
    stream; meanwhile the server must use little CPU."""
    limit = float(seconds)
    conn = Connection(port)
    conn.send_frame(TEXT, word.encode())
    quiet_since = time.monotonic()
    cpu_before = cpu_seconds(int(pid))
    print(f"echo: {got(conn, TEXT, word.encode())}", flush=True)
    frame, why = next_frame(conn, 2 * limit + 3)
    if frame is None or frame.opcode != PING:
        print(f"then {why or frame.describe()}, where a ping should come")
        return
    pinged = time.monotonic()
    late = pinged - quiet_since
    print(f"then a ping, after about {seconds} s of silence" if on_time(late, limit)
          else f"then a ping, after {late:.1f} s of silence, not about {seconds} s", flush=True)
    frame, why = next_frame(conn, 2 * limit + 3)
    if frame is None or frame.opcode != CLOSE:
        print(f"then {why or frame.describe()}, where a close frame should come")
        return
    late = time.monotonic() - pinged
    when = f"about {seconds} s after the ping" if on_time(late, limit) \
        else f"{late:.1f} s after the ping, not about {seconds} s"
    print(f"then {frame.describe()}, {when}", flush=True)
    print(f"then {describe_end(end_of_stream(conn.sock, 3.0), 3.0)}", flush=True)
    cpu = cpu_seconds(int(pid)) - cpu_before
    print("meanwhile the server used under 0.1 s of CPU" if cpu < 0.1
          else f"meanwhile the server used {cpu:.2f} s of CPU: it does not sleep while it waits")
    conn.close()


def answering(port, seconds, total):
    """Opens a WebSocket and stays silent for total seconds, but answers
    each ping with a pong of the same payload. It must get about one ping
    per seconds (at least total / seconds - 2, at most total / seconds + 1),
    stay open, and still have its messages echoed."""
    limit, total = float(seconds), float(total)
    conn = Connection(port)
    deadline, pings = time.monotonic() + total, 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        frame, why = next_frame(conn, left)
        if frame is None:
            if why.startswith("nothing"):
                break
            print(f"after {pings} pings, answered: {why}")
            return
        if frame.opcode != PING:
            print(f"after {pings} pings, answered: {frame.describe()}")
            return
        pings += 1
        conn.send_frame(PONG, frame.payload)
    least, most = int(total / limit) - 2, int(total / limit) + 1
    print(f"in {total:g} s, it got about one ping every {seconds} s, and answered each" if least <= pings <= most
          else f"in {total:g} s, it got {pings} pings (expected {least} to {most}), and answered each", flush=True)
    word = f"still-here-{random.randrange(10 ** 6)}".encode()
    conn.send_frame(TEXT, word)
    print(f"then it sent a message, and {got(conn, TEXT, word)} back")
    conn.close()


def talker(port, seconds, every, total):
    """Client A sends a message every `every` seconds for total seconds,
    reading each echo; meanwhile client B, silent, answers nothing. A must
    get no ping; B a ping about seconds after its last word, then a close
    1001 about seconds later."""
    limit, every, total = float(seconds), float(every), float(total)
    a, b = Connection(port), Connection(port)
    b.send_frame(TEXT, b"B")
    b_quiet_since = time.monotonic()
    b_times, b_frames = [], []

    def watch_b():
        deadline = time.monotonic() + 2 * limit + 3
        while len(b_frames) < 2:
            frame, why = next_frame(b, max(0.0, deadline - time.monotonic()))
            if frame is None:
                b_frames.append(why)
                return
            if frame.opcode == TEXT and frame.payload == b"B":
                continue  # its echo
            b_times.append(time.monotonic())
            b_frames.append(frame)

    watcher = threading.Thread(target=watch_b, daemon=True)
    watcher.start()
    problems, sent = [], 0
    end = time.monotonic() + total
    while time.monotonic() < end and not problems:
        word = f"a-{sent}".encode()
        a.send_frame(TEXT, word)
        sent += 1
        answer = got(a, TEXT, word)
        if answer != "got it":
            problems.append(f"message {sent}: A {answer}")
        time.sleep(every)
    print(f"A, talking every {every:g} s for {total:g} s: " +
          (problems[0] if problems else "every message came back, and no ping came"), flush=True)
    watcher.join(2 * limit + 4)
    if not b_frames or not hasattr(b_frames[0], "opcode") or b_frames[0].opcode != PING:
        first = b_frames[0] if b_frames else "nothing"
        print(f"B, silent: {first if isinstance(first, str) else first.describe()}, where a ping should come")
        return
    late = b_times[0] - b_quiet_since
    line = f"B, silent: a ping after about {seconds} s" if on_time(late, limit) \
        else f"B, silent: a ping after {late:.1f} s, not about {seconds} s"
    second = b_frames[1] if len(b_frames) > 1 else "nothing"
    if isinstance(second, str) or second.opcode != CLOSE:
        line += f", then {second if isinstance(second, str) else second.describe()}, where a close frame should come"
    else:
        late = b_times[1] - b_times[0]
        line += f", then {second.describe()} about {seconds} s later" if on_time(late, limit) \
            else f", then {second.describe()} {late:.1f} s later, not about {seconds} s"
    print(line)
    a.close()
    b.close()


SCENARIOS = {
    "everyone": everyone,
    "only-open": only_open,
    "stalled": stalled,
    "silent": silent,
    "answering": answering,
    "talker": talker,
}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
