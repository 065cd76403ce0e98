#!/usr/bin/env python3
"""Test clients for the step 05 exercise checks.

Usage: clients.py SCENARIO PORT [ARGS]   (host is always 127.0.0.1)

Each scenario prints what a person watching would see, so that a check can
compare it with what it expects. Clients are named A, B, C... and a reply
line names its sender by that name, not by its address. Every wait is
bounded.
"""
import fcntl
import os
import re
import selectors
import signal
import socket
import string
import struct
import sys
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from sockets import (HOST, TIMEOUT, connect, cpu_seconds, escaped, local_address, run_scenario,
                     send_at_once)

LINE = re.compile(rb'^\[CONNECTION\] Received "(.*)" from (\S+)$')


class Client:
    """A connection, with what it has received and not yet taken as lines."""

    def __init__(self, port, name, receive_buffer=None):
        self.name = name
        self.sock = socket.socket()
        if receive_buffer:
            # Set before connect(), so that the window offered is small from
            # the start: the server's replies then pile up on its side.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((HOST, port))
        send_at_once(self.sock)
        self.quick_ack()
        self.address = local_address(self.sock)
        self.buffer = b""
        self.closed = False  # the server ended the stream (or reset it)

    def quick_ack(self):
        """Acknowledges what comes at once, rather than up to 40 ms later
        (delayed ACK): the server's kernel holds a small reply back until the
        previous one is acknowledged (Nagle's algorithm). Linux clears the
        option as it sees fit, so it is set again after every recv()."""
        if hasattr(socket, "TCP_QUICKACK"):
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    def receive(self, timeout):
        """One recv() within timeout; False if nothing came."""
        if self.closed:
            return False
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            self.closed = True
            return False
        self.quick_ack()
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        return True

    def line(self, timeout=1.0):
        """The next whole line (without its newline) within timeout, or None."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.receive(left):
                return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def close(self):
        self.sock.close()


HIGH = bytes(byte | 0x80 for byte in range(256))
LETTERS = bytes(string.ascii_letters[byte % 52].encode()[0] for byte in range(256))


def high_bytes(count):
    """Random bytes from 128 to 255: each one is four in a reply (\\xNN)."""
    return os.urandom(count).translate(HIGH)


def letters(count):
    """Random letters, a to z and A to Z."""
    return os.urandom(count).translate(LETTERS)


def shown(line, clients):
    """A reply line as the check shows it: its sender named, not its address."""
    if line is None:
        return "(nothing within 1 s)"
    text = line.decode("ascii", "backslashreplace")
    for client in clients:
        text = text.replace(f" from {client.address}", f" from {client.name}")
    return text


def wait_for_connected(log, count):
    """Waits until the server has logged count "Connected to" lines: only then
    is every client in its table, whatever connect() said earlier."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with open(log, "rb") as f:
            if f.read().count(b"[CONNECTION] Connected to") >= count:
                return True
        time.sleep(0.02)
    print(f"(the server did not log {count} \"Connected to\" lines within {TIMEOUT:g} s)")
    return False


def data_from(client, sender, wanted, timeout):
    """Reads client's lines until they hold wanted bytes of sender's data, or
    nothing comes for timeout seconds. Returns the data, joined, and the
    first line that is not a well-formed line of sender's (or None)."""
    parts, size = [], 0
    while size < wanted:
        line = client.line(timeout)
        if line is None:
            break
        match = LINE.match(line)
        if not match or match.group(2).decode() != sender.address:
            return b"".join(parts), line
        parts.append(match.group(1))
        size += len(parts[-1])
    return b"".join(parts), None


# --- Exercise 1: a chat room --------------------------------------------------


def everyone(port, log, *words):
    """A, B and C connect. A says the first word, B the second, then C leaves
    and A says the third: who gets which line?"""
    clients = [Client(port, name) for name in "ABC"]
    if not wait_for_connected(log, 3):
        return
    a, b, c = clients
    for speaker, word in ((a, words[0]), (b, words[1])):
        speaker.sock.sendall(word.encode())
        for client in clients:
            print(f"{client.name} got: {shown(client.line(), clients)}", flush=True)
    c.close()
    clients.remove(c)
    a.sock.sendall(words[2].encode())
    for client in clients:
        print(f"{client.name} got: {shown(client.line(), clients)}", flush=True)
    for client in clients:
        extra = client.line(0.3)
        if extra is not None:
            print(f"{client.name} then got one more line: {shown(extra, clients + [c])}")


def stalled(port, log, volume):
    """C never reads. A and B take turns sending 1,000 random bytes (each one
    4 bytes in a line: \\xNN), each waiting until both A and B have the line,
    until the server has dropped C (or volume bytes have been sent). Then A
    speaks once more."""
    volume = int(volume)
    # C comes first, so that it is not the last in the server's table:
    # closing it there moves another client into its place.
    c = Client(port, "C", receive_buffer=4096)
    a, b = Client(port, "A"), Client(port, "B")
    clients = [a, b, c]
    if not wait_for_connected(log, 3):
        return
    sent, turn, slowest = 0, 0, 0.0
    dropped = re.compile(rf"^\[CONNECTION\] Dropped {re.escape(c.address)}:".encode(), re.M)
    while sent < volume:
        speaker = (a, b)[turn % 2]
        payload = high_bytes(1000)
        started = time.monotonic()
        speaker.sock.sendall(payload)
        for client in (a, b):
            line = client.line(1.0)
            if line is None or LINE.match(line) is None or LINE.match(line).group(1) != escaped(payload):
                got = "nothing" if line is None else f"another line: {shown(line[:80], clients)}..."
                print(f"after {sent:,} bytes, {speaker.name} sent 1,000 more: within 1 s, "
                      f"{client.name} got {got}")
                return
        slowest = max(slowest, time.monotonic() - started)
        sent += len(payload)
        turn += 1
        if turn % 50 == 0:
            with open(log, "rb") as f:
                if dropped.search(f.read()):
                    break
    print("A and B: every line reached both within 1 s")
    print("the server dropped C, which never read" if sent < volume else
          f"after A and B had sent {volume:,} bytes, the server had still not dropped C")
    word = letters(8)
    a.sock.sendall(word)
    line = b.line(1.0)
    print("then A sent a word:", "B got it within 1 s" if line and word in line
          else f"B got {shown(line, clients)}")
    # C reads at last: the lines its buffers held, then the end of the stream.
    read_to_end(c, time.monotonic() + TIMEOUT)
    print("C, reading at last:", "the server had closed its connection" if c.closed
          else f"still open {TIMEOUT:g} s later")


def unread(client):
    """Bytes that have come to client's socket and that it has not read."""
    return struct.unpack("i", fcntl.ioctl(client.sock, termios.FIONREAD, b"\0" * 4))[0]


def server_queues(port, client):
    """The server's kernel's queues for client's connection (Linux: its line
    in /proc/net/tcp): bytes sent to client and not acknowledged yet, and
    bytes client sent that the server has not read. None if it is gone."""
    client_port = int(client.address.rsplit(":", 1)[1])
    with open("/proc/net/tcp") as f:
        for line in f:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[2].endswith(f":{client_port:04X}"):
                tx_queue, rx_queue = fields[4].split(":")
                return int(tx_queue, 16), int(rx_queue, 16)
    return None


def slow_listener(port, log):
    """A sends random bytes, 1,000 at a time (4,000 in a line: \\xNN), reading
    its own lines meanwhile. D listens, but reads nothing until A has
    finished: A goes on until D's socket takes no more (the server's kernel
    holds up to 4 MB for it on Linux), and the server must keep at least
    256 KiB of lines for D itself. Then D reads everything."""
    a = Client(port, "A")
    d = Client(port, "D", receive_buffer=4096)
    if not wait_for_connected(log, 2):
        return
    lines, own, kept = b"", b"", 0  # lines: A's data as the server escapes it
    taken = previous = -1  # what D's socket had taken, after this batch and the last
    while (kept < 256 * 1024 or taken != previous) and len(lines) < 12_000_000:
        batch = b""
        for _ in range(64):
            chunk = high_bytes(1000)
            a.sock.sendall(chunk)
            batch += escaped(chunk)
        lines += batch
        # Once A has its own lines, the server has read every chunk, and
        # queued every line for D: what its kernel does not hold, it keeps.
        got, stray = data_from(a, a, len(batch), 3.0)
        own += got
        if stray is not None or own != lines:
            print(f"A's own lines held {len(own):,} of the {len(lines):,} bytes they should"
                  + (f", then: {shown(stray[:100], [a, d])}" if stray else ""))
            return
        # The server sends D's lines in its next rounds: let it. D's socket
        # is full once a whole batch more found no room there.
        time.sleep(0.1)
        previous, taken = taken, (server_queues(port, d) or (0, 0))[0] + unread(d)
        kept = len(lines) - taken
    print("A got each of its lines, whole and in order")
    print("A went on until D's socket held at least 256 KiB less than A's lines"
          if kept >= 256 * 1024 else
          f"after {len(lines):,} bytes of lines, D's socket still took more: the check could not fill it")
    got, stray = data_from(d, a, len(lines), 3.0)
    if got == lines:
        print("D, reading at last, got every line A sent, whole and in order")
    elif stray is not None:
        print(f"D got {len(got):,} bytes of A's lines, then a line it should not have: {shown(stray[:100], [a, d])}")
    elif lines.startswith(got):
        print(f"D got the first {len(got):,} of the {len(lines):,} bytes of A's lines, "
              "then nothing more for 3 s")
    else:
        print(f"D got {len(got):,} bytes of A's lines, but not those A sent, in order: "
              "some went missing or came twice")


# --- Exercise 2: hang up on silence ---------------------------------------------


def read_to_end(client, deadline):
    """Reads until the server closes client's connection, or the deadline (a
    time.monotonic() value); returns the bytes that came."""
    parts = [client.buffer]
    while not client.closed and time.monotonic() < deadline:
        client.buffer = b""
        if client.receive(deadline - time.monotonic()):
            parts.append(client.buffer)
    client.buffer = b""
    return b"".join(parts)


def closed_after(client, started, seconds):
    """Waits up to seconds (from started) for the server to close client's
    connection: how long after started did it?"""
    read_to_end(client, started + seconds)
    return time.monotonic() - started if client.closed else None


def closes(watched, seconds):
    """watched: (client, started) pairs. Watches them all at once until the
    server has closed each, or seconds have passed since the last start;
    returns how long after its own start each one was closed (or None)."""
    deadline = max(started for _, started in watched) + seconds
    closed = {}
    with selectors.DefaultSelector() as selector:
        for client, started in watched:
            selector.register(client.sock, selectors.EVENT_READ, (client, started))
        while len(closed) < len(watched) and time.monotonic() < deadline:
            for key, _ in selector.select(deadline - time.monotonic()):
                client, started = key.data
                client.receive(0.01)  # readable: this recv() does not wait
                client.buffer = b""
                if client.closed:
                    closed[client.name] = time.monotonic() - started
                    selector.unregister(client.sock)
    return [closed.get(client.name) for client, _ in watched]


def said(client, word):
    client.sock.sendall(word.encode())
    return client.line(2.0)


def idle(port, word, seconds):
    """Says a word, reads the reply, then stays silent: when does the server
    close the connection?"""
    client = Client(port, "A")
    print(f"client {client.address}")
    print(f"reply: {shown(said(client, word), [])}", flush=True)
    closed = closed_after(client, time.monotonic(), float(seconds))
    print(f"closed after {closed:.1f} s" if closed is not None else f"still open after {seconds} s")


def verdict(name, closed, limit, waited):
    """When the server closed a client, against the limit (-t) it was given."""
    if closed is None:
        return f"{name}: still open after {waited:g} s of silence"
    if limit - 0.3 <= closed <= limit + 0.8:
        return f"{name}: closed after about {limit:g} s of silence"
    return f"{name}: closed after {closed:.1f} s of silence"


def two_silent(port, pid, limit, offset):
    """A says a word and falls silent; offset seconds later, B does the same.
    When is each one closed, counted from its own last word? And how much
    CPU did the server use meanwhile?"""
    limit, offset = float(limit), float(offset)
    cpu_before, _ = cpu_and_wakeups(pid)
    a = Client(port, "A")
    b = Client(port, "B")
    if said(a, letters(8).decode()) is None:
        print("A: no reply")
        return
    a_silent = time.monotonic()
    time.sleep(offset)
    if said(b, letters(8).decode()) is None:
        print("B: no reply")
        return
    b_silent = time.monotonic()
    waited = limit + 3
    a_closed, b_closed = closes([(a, a_silent), (b, b_silent)], waited)
    cpu = cpu_and_wakeups(pid)[0] - cpu_before
    print(verdict("A", a_closed, limit, waited))
    print(verdict("B", b_closed, limit, waited))
    print("meanwhile the server used", "under 0.1 s of CPU" if cpu < 0.1 else f"{cpu:.2f} s of CPU")


def talker(port, limit, interval, seconds):
    """A says a word and falls silent, while B says a word every interval
    seconds for seconds seconds, reading each reply."""
    limit, interval, seconds = float(limit), float(interval), float(seconds)
    a = Client(port, "A")
    b = Client(port, "B")
    if said(a, letters(8).decode()) is None:
        print("A: no reply")
        return
    a_silent, a_closed, b_words, b_failed = time.monotonic(), None, 0, None
    while time.monotonic() < a_silent + seconds:
        b_words += 1
        try:
            line = said(b, letters(8).decode())
        except OSError:
            line = None
        if b_failed is None and (line is None or not LINE.match(line)):
            b_failed = f"its word {b_words}, {time.monotonic() - a_silent:.1f} s in, got no reply"
        if a_closed is None:
            a.receive(interval)
            a.buffer = b""
            if a.closed:
                a_closed = time.monotonic() - a_silent
        else:
            time.sleep(interval)
    print(verdict("A", a_closed, limit, seconds))
    print(f"B, talking every {interval:g} s for {seconds:g} s:", b_failed or "every word got its reply")


def cpu_and_wakeups(pid):
    """The server's CPU time so far (s), and how many times it has slept."""
    cpu = cpu_seconds(pid)
    with open(f"/proc/{pid}/status") as f:
        switches = next(int(line.split()[1]) for line in f
                        if line.startswith("voluntary_ctxt_switches:"))
    return cpu, switches


def sleeping(port, pid, seconds, look=None):
    """One client says a word and falls silent until the server closes it:
    meanwhile, does the server sleep, or does it wake up again and again?
    look (step 06's checks): a function of pid, called 0.3 s into the
    silence; the line it returns is printed last."""
    client = Client(port, "A")
    if said(client, letters(8).decode()) is None:
        print("no reply")
        return
    started = time.monotonic()
    cpu_before, woke_before = cpu_and_wakeups(pid)
    if look:
        time.sleep(0.3)
        seen = look(pid)
    closed = closed_after(client, started, float(seconds) + 3)
    cpu_after, woke_after = cpu_and_wakeups(pid)
    if closed is None:
        print(f"still open after {float(seconds) + 3:g} s")
        return
    cpu, woke = cpu_after - cpu_before, woke_after - woke_before
    print(f"closed after about {round(closed):d} s")
    print(f"meanwhile the server used {'under 0.1 s' if cpu < 0.1 else f'{cpu:.2f} s'} of CPU")
    print("and woke up", "at most 3 times" if woke <= 3 else f"{woke} times")
    if look:
        print(seen)


# --- Exercise 3: a clean stop -------------------------------------------------------


def new_client(port):
    try:
        connect(port, timeout=1.0).close()
        return "connected: the server still accepts connections"
    except ConnectionRefusedError:
        return "refused"
    except OSError as error:
        return f"failed: {error.strerror or error}"


def fill_until_kept(port, r):
    """R sends random bytes (each 4 in its reply: \\xNN) and reads nothing,
    until the server must keep at least 256 KiB of R's replies itself (its
    kernel holds about 4 MB on Linux). Returns the replies due (R's data as
    the server escapes it), or None if the server closed R's connection."""
    replies, kept = b"", 0
    while kept < 256 * 1024 and len(replies) < 12_000_000:
        chunk = high_bytes(64 * 1024)
        r.sock.sendall(chunk)
        replies += escaped(chunk)
        # Once the server has read every byte R sent, it has queued every
        # reply: what its kernel does not hold, it keeps.
        deadline = time.monotonic() + 3
        while (server_queues(port, r) or (0, 0))[1] > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        queues = server_queues(port, r)
        if queues is None:
            print(f"the server closed R's connection after R had sent {len(replies) // 4:,} bytes")
            return None
        kept = len(replies) - queues[0] - unread(r)
    print("R sent bytes and read nothing, until the server had to keep at least 256 KiB of its replies itself"
          if kept >= 256 * 1024 else
          f"after {len(replies) // 4:,} bytes, R's socket held every reply: the check could not make the server keep any")
    return replies


def read_replies_then_end(r, replies, seconds):
    """R, which has closed its sending side, reads at last: does it get
    replies, whole and in order, then the end of the stream (within
    seconds)?"""
    data, stray = data_from(r, r, len(replies), 3.0)
    if stray is not None:
        print(f"R got {len(data):,} bytes of replies, then a line it should not have: {shown(stray[:100], [r])}")
    elif data != replies:
        print(f"R, reading at last, got {len(data):,} of the {len(replies):,} bytes of its replies"
              + (", then the end of the stream" if r.closed else ", then nothing more for 3 s"))
    else:
        print("R, reading at last, got a reply for every byte it sent, in order")
        rest = read_to_end(r, time.monotonic() + seconds)
        print("then:", f"{len(rest):,} more bytes" if rest
              else "the end of the stream" if r.closed else f"the connection stayed open for {seconds:g} s")


def drain(port, pid):
    """R fills the server's pending output for it (fill_until_kept), then
    closes its sending side. The server is told to stop (SIGTERM); only then
    does R read everything."""
    r = Client(port, "R", receive_buffer=4096)
    replies = fill_until_kept(port, r)
    if replies is None:
        return
    r.sock.shutdown(socket.SHUT_WR)
    os.kill(int(pid), signal.SIGTERM)
    time.sleep(0.3)
    print("after SIGTERM, a new client:", new_client(port))
    read_replies_then_end(r, replies, 5.0)


def drain_idle(port, pid):
    """I is connected and silent when the server is told to stop. Is it still
    served for a while, and when does the server close it?"""
    i = Client(port, "I")
    if said(i, letters(8).decode()) is None:
        print("I: no reply")
        return
    os.kill(int(pid), signal.SIGTERM)
    stopped = time.monotonic()
    time.sleep(0.5)
    word = letters(8).decode()
    try:
        line = said(i, word)
    except OSError:
        line = None
    print("0.5 s after SIGTERM, I said a word:",
          "it got its reply" if line and word.encode() in line
          else "the connection was gone" if i.closed or line is None else shown(line, [i]))
    try:
        cpu_before, _ = cpu_and_wakeups(pid)
        time.sleep(1.0)
        cpu = cpu_and_wakeups(pid)[0] - cpu_before
        print("the next second, the server used",
              "under 0.1 s of CPU" if cpu < 0.1 else f"{cpu:.2f} s of CPU")
    except OSError:  # no /proc/PID: the server has exited, and been waited for
        print("the next second: the server had exited")
    closed = closed_after(i, stopped, 7.0)
    if closed is None:
        print("I: still open 7 s after SIGTERM")
    else:
        print("the server closed I", "2.5 to 4.5 s after SIGTERM" if 2.5 <= closed <= 4.5
              else f"{closed:.1f} s after SIGTERM")


SCENARIOS = {
    "everyone": everyone,
    "stalled": stalled,
    "slow-listener": slow_listener,
    "idle": idle,
    "two-silent": two_silent,
    "talker": talker,
    "sleeping": sleeping,
    "drain": drain,
    "drain-idle": drain_idle,
}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
