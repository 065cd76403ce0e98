#!/usr/bin/env python3
"""A raw-socket WebSocket client (RFC 6455) for the tests: it builds every
byte by hand, so that it can also send what a real client never would.

Usage: websocket.py SCENARIO PORT [ARGS]   (host 127.0.0.1; see SCENARIOS)

    handshake PORT [OPTION...]   sends an opening handshake, broken as the
                                 options say, and prints the answer
    frames PORT TOKEN...         handshakes, sends frames, prints the replies
    echo PORT KIND SIZE [FRAGMENT] [LENGTHS]
                                 sends one random message, checks its echo
    get PORT [PATH]              a plain HTTP GET: status, type, the page
    hold PORT SECONDS            an open connection: does the server end it?
    stalled-reader PORT [EXCHANGES]
                                 one client floods without reading while
                                 another one talks

Every scenario prints what a client observes, one fact a line, so that the
bats tests assert on it. Every wait is bounded.

In Python, a test uses Connection (a handshaken socket with a frame reader),
frame() to build a frame, and describe() to print what came back.
"""
import base64
import hashlib
import os
import random
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockets import HOST, TIMEOUT, reset, run_scenario, send_at_once  # noqa: E402

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
OPCODES = {"cont": CONTINUATION, "text": TEXT, "binary": BINARY,
           "close": CLOSE, "ping": PING, "pong": PONG}
OPCODE_NAMES = {value: name for name, value in OPCODES.items()}


# --- The opening handshake (section 4) ---------------------------------------------

def new_key():
    """A fresh Sec-WebSocket-Key: 16 random bytes, base64-encoded."""
    return base64.b64encode(os.urandom(16)).decode()


def accept_key(key):
    """What Sec-WebSocket-Accept must be for key (section 4.2.2, step 5.4)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def request(key, path="/", method="GET", version="13", host=None, http="HTTP/1.1",
            upgrade="websocket", connection="Upgrade", extra=(), case=None):
    """An opening handshake's bytes. A header whose value is None is left
    out. extra: more (name, value) pairs. case: "lower" or "upper" turns
    every header name to that case (and the Upgrade/Connection values
    to the other one, or to odd case), to test that both are
    case-insensitive."""
    headers = [("Host", host or f"{HOST}:9797"), ("Upgrade", upgrade),
               ("Connection", connection), ("Sec-WebSocket-Key", key),
               ("Sec-WebSocket-Version", version), *extra]
    lines = [f"{method} {path} {http}"]
    for name, value in headers:
        if value is None:
            continue
        if case == "lower":
            name, value = name.lower(), value.upper() if name in ("Upgrade", "Connection") else value
        elif case == "upper":
            name, value = name.upper(), value.lower() if name in ("Upgrade", "Connection") else value
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Response:
    """An HTTP response's head: status code, reason, headers (names in
    lowercase, each with the list of its values), the bytes that came after
    the head, and how reading ended ("head", "closed", "reset", "open")."""

    def __init__(self, raw, end):
        self.raw, self.end, self.rest = raw, end, b""
        self.status, self.reason, self.headers, self.status_line = None, "", {}, ""
        head, separator, rest = raw.partition(b"\r\n\r\n")
        if not separator:
            return
        self.rest = rest
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        parts = lines[0].split(" ", 2)
        if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
            self.status = int(parts[1])
            self.reason = parts[2] if len(parts) > 2 else ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.setdefault(name.strip().lower(), []).append(value.strip())

    def header(self, name):
        """A header's values joined with ", " (as HTTP allows), or None."""
        values = self.headers.get(name.lower())
        return None if values is None else ", ".join(values)

    def describe(self):
        if self.status is not None:
            return self.status_line
        shown = self.raw[:80].decode("latin-1").encode("unicode_escape").decode()
        return {"closed": "the server closed the connection without an HTTP response",
                "reset": "the connection was reset without an HTTP response",
                "open": "no HTTP response within the time"}.get(self.end, "no HTTP response") + \
            (f" (got {shown!r})" if self.raw else "")


def read_response(sock, timeout=TIMEOUT):
    """Reads an HTTP response head (up to the blank line), within timeout s."""
    deadline = time.monotonic() + timeout
    data, end = b"", "open"
    try:
        while b"\r\n\r\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                end = "closed"
                break
            data += chunk
        else:
            end = "head"
    except socket.timeout:
        pass
    except ConnectionResetError:
        end = "reset"
    return Response(data, end)


def read_body(sock, response, timeout=TIMEOUT):
    """The response's body: Content-Length bytes, or up to the end of the stream."""
    body = response.rest
    length = response.header("content-length")
    deadline = time.monotonic() + timeout
    try:
        while (length is None or len(body) < int(length)) and time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return body


def end_of_stream(sock, seconds=TIMEOUT):
    """After the last expected byte: does the server end the connection
    within seconds? "closed" (end of stream), "reset", "open" (nothing
    within the time), or "more data: ..." if bytes came instead."""
    sock.settimeout(seconds)
    try:
        data = sock.recv(65536)
    except socket.timeout:
        return "open"
    except ConnectionResetError:
        return "reset"
    return "closed" if not data else f"more data: {data[:40]!r}"


END_NAMES = {"closed": "the server closed the connection",
             "reset": "the connection was reset",
             "open": "the connection stayed open"}


def describe_end(end, seconds=TIMEOUT):
    if end == "open":
        return f"the connection stayed open for {seconds:g} s"
    return END_NAMES.get(end, end)


# --- Frames (section 5) -------------------------------------------------------------

def masked(data, key):
    """data XOR the 4-byte key repeated (section 5.3): masks and unmasks."""
    if not data:
        return data
    repeated = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, key=None, length_bits=None,
          declared_length=None):
    """One frame's bytes. rsv: the three reserved bits as a number (4 = RSV1,
    2 = RSV2, 1 = RSV3). length_bits: 7, 16 or 64 to force a length encoding
    (default: the shortest). declared_length: a length to announce other
    than the payload's (to announce a huge frame and send only its start)."""
    length = len(payload) if declared_length is None else declared_length
    first = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0x0F)
    mask_bit = 0x80 if mask else 0
    if length_bits is None:
        length_bits = 7 if length <= 125 else 16 if length <= 0xFFFF else 64
    if length_bits == 7:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length_bits == 16:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if not mask:
        return header + payload
    key = os.urandom(4) if key is None else key
    return header + key + masked(payload, key)


def close_payload(code=None, reason=b""):
    """A close frame's payload: the status code (2 bytes), then the reason."""
    return b"" if code is None else struct.pack("!H", code) + reason


def show_text(data):
    """UTF-8 text as it can be printed: invalid bytes and control
    characters as \\xNN."""
    text = data.decode("utf-8", "backslashreplace")
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


class Frame:
    """A frame the server sent: fin, rsv, opcode, masked, payload, and the
    length encoding it used (7, 16 or 64 bits) and whether it was the
    shortest one."""

    def __init__(self, fin, rsv, opcode, is_masked, payload, length_bits):
        self.fin, self.rsv, self.opcode, self.masked = fin, rsv, opcode, is_masked
        self.payload, self.length_bits = payload, length_bits
        shortest = 7 if len(payload) <= 125 else 16 if len(payload) <= 0xFFFF else 64
        self.shortest = length_bits == shortest

    @property
    def close_code(self):
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None

    def describe(self, limit=60):
        """One line: the opcode and payload, then anything a server must not
        do (mask, reserved bits, a longer length encoding than needed)."""
        name = OPCODE_NAMES.get(self.opcode, f"opcode {self.opcode}")
        if self.opcode == CLOSE:
            if not self.payload:
                text = "close (no code)"
            elif len(self.payload) == 1:
                text = f"close with a 1-byte payload {self.payload!r}"
            else:
                text = f"close {self.close_code}" + (f" {self.payload[2:]!r}" if self.payload[2:] else "")
        elif len(self.payload) <= limit:
            shown = self.payload.hex() if self.opcode == BINARY else show_text(self.payload)
            text = f'{name} "{shown}"' if self.payload else f"{name} (empty)"
        else:
            text = f"{name} of {len(self.payload)} bytes"
        flaws = []
        if not self.fin:
            flaws.append("FIN clear")
        if self.rsv:
            flaws.append(f"reserved bits {self.rsv:03b}")
        if self.masked:
            flaws.append("MASKED")
        if not self.shortest:
            flaws.append(f"length in {self.length_bits} bits, not the shortest")
        return text + (f" [{', '.join(flaws)}]" if flaws else "")


class Closed(Exception):
    """The stream ended (or was reset) before a whole frame came."""

    def __init__(self, end, partial=b""):
        super().__init__(end)
        self.end, self.partial = end, partial


class Connection:
    """A TCP connection to the server, after an opening handshake if
    handshake=True (the default). Keeps what it has read but not parsed."""

    def __init__(self, port, host=HOST, handshake=True, timeout=TIMEOUT, **request_options):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = bytearray()
        self.response = None
        if handshake:
            self.key = new_key()
            self.sock.sendall(request(self.key, **request_options))
            self.response = read_response(self.sock, timeout)
            if self.response.status != 101:
                raise RuntimeError(f"handshake refused: {self.response.describe()}")
            if self.response.header("sec-websocket-accept") != accept_key(self.key):
                raise RuntimeError("handshake: wrong Sec-WebSocket-Accept "
                                   f"{self.response.header('sec-websocket-accept')!r}")
            self.buffer = bytearray(self.response.rest)

    def send(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", **options):
        self.sock.sendall(frame(opcode, payload, **options))

    def _fill(self, count, deadline):
        while len(self.buffer) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(min(max(65536, count - len(self.buffer)), 1 << 22))
            except ConnectionResetError:
                raise Closed("reset", bytes(self.buffer)) from None
            if not chunk:
                raise Closed("closed", bytes(self.buffer))
            self.buffer += chunk

    def _take(self, count, deadline):
        self._fill(count, deadline)
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def read_frame(self, timeout=TIMEOUT):
        """The next frame the server sends. Raises socket.timeout if none
        comes within timeout s, Closed if the stream ends first."""
        deadline = time.monotonic() + timeout
        first, second = self._take(2, deadline)
        length, length_bits = second & 0x7F, 7
        if length == 126:
            length, length_bits = struct.unpack("!H", self._take(2, deadline))[0], 16
        elif length == 127:
            length, length_bits = struct.unpack("!Q", self._take(8, deadline))[0], 64
        key = self._take(4, deadline) if second & 0x80 else None
        payload = self._take(length, deadline)
        if key:
            payload = masked(payload, key)
        return Frame(bool(first & 0x80), first >> 4 & 7, first & 0x0F, key is not None, payload, length_bits)

    def frames_until_end(self, seconds=TIMEOUT):
        """Every frame the server sends within seconds, and how the
        connection then ended: "closed", "reset" or "open"."""
        deadline = time.monotonic() + seconds
        frames = []
        while True:
            try:
                frames.append(self.read_frame(max(0.0, deadline - time.monotonic())))
            except socket.timeout:
                return frames, "open"
            except Closed as closed:
                end = closed.end
                if closed.partial:
                    end += f" after {len(closed.partial)} bytes of an unfinished frame"
                return frames, end

    def close(self):
        self.sock.close()


def describe_all(frames, end, seconds=TIMEOUT):
    """The lines a test asserts: one per frame, then how the connection ended."""
    return [f.describe() for f in frames] + [describe_end(end, seconds)]


# --- Payloads -----------------------------------------------------------------------

def random_utf8(size, rng=random):
    """size bytes of valid UTF-8, mixing 1- to 4-byte characters (so that
    fragments cut characters in two), never a surrogate."""
    parts, left = [], size
    while left > 0:
        width = rng.choice([w for w in (1, 2, 3, 4) if w <= left])
        if width == 1:
            code = rng.randrange(0x20, 0x7F)
        elif width == 2:
            code = rng.randrange(0x80, 0x800)
        elif width == 3:
            code = rng.choice([rng.randrange(0x800, 0xD800), rng.randrange(0xE000, 0x10000)])
        else:
            code = rng.randrange(0x10000, 0x110000)
        encoded = chr(code).encode("utf-8")
        parts.append(encoded)
        left -= len(encoded)
    return b"".join(parts)


def payload_of(kind, size):
    """size random bytes; for text, valid UTF-8 (a random 64 KiB block of
    whole characters repeated, as drawing megabytes character by character
    is slow)."""
    if kind != "text":
        return os.urandom(size)
    block = random_utf8(min(size, 65536))
    return block * (size // len(block)) + random_utf8(size % len(block)) if block else b""


# --- The frames scenario: a little language for hand-built frames --------------------
#
# TOKEN is one of:
#   OPCODE[/FLAG,...][:PAYLOAD]   send one frame
#       OPCODE: text binary cont close ping pong, or a number 0-15
#       FLAG:   more (FIN clear), rsv1 rsv2 rsv3, unmasked, len16, len64
#       PAYLOAD: plain text; or hex=HEX; size=N (N bytes of "x");
#                code=N (a close code) optionally followed by ,reason=TEXT
#                or ,reasonhex=HEX; nothing means an empty payload
#   raw=HEX       send these bytes as they are
#   expect        print the next frame (waiting up to 5 s)
#   drain=S       print every frame within S s, or until the end of the stream
#                 ("nothing within S s" if none came and the stream is open)
#   pause=S       wait S s
# After the last token, unless it is expect, the scenario prints every frame
# until the end of the stream (at most 5 s) and how the connection ended.

def parse_payload(text):
    if text.startswith("hex="):
        return bytes.fromhex(text[4:])
    if text.startswith("size="):
        return b"x" * int(text[5:])
    if text.startswith("code="):
        code, _, rest = text[5:].partition(",")
        reason = b""
        if rest.startswith("reason="):
            reason = rest[7:].encode()
        elif rest.startswith("reasonhex="):
            reason = bytes.fromhex(rest[10:])
        return close_payload(int(code), reason)
    return text.encode()


def parse_frame(token):
    head, _, payload = token.partition(":")
    name, _, flags = head.partition("/")
    opcode = OPCODES[name] if name in OPCODES else int(name)
    options = {"fin": True, "rsv": 0, "mask": True}
    for flag in filter(None, flags.split(",")):
        if flag == "more":
            options["fin"] = False
        elif flag in ("rsv1", "rsv2", "rsv3"):
            options["rsv"] |= {"rsv1": 4, "rsv2": 2, "rsv3": 1}[flag]
        elif flag == "unmasked":
            options["mask"] = False
        elif flag in ("len16", "len64"):
            options["length_bits"] = int(flag[3:])
        else:
            raise SystemExit(f"unknown frame flag: {flag}")
    return frame(opcode, parse_payload(payload), **options)


def frames(port, *tokens):
    """Handshakes, then sends frames and reads replies as the tokens say."""
    conn = Connection(port)
    send_at_once(conn.sock)
    for token in tokens:
        if token == "expect":
            try:
                print(conn.read_frame().describe(), flush=True)
            except socket.timeout:
                print(f"no frame within {TIMEOUT:g} s", flush=True)
            except Closed as closed:
                print(describe_end(closed.end), flush=True)
                return
        elif token.startswith("drain="):
            seconds = float(token[6:])
            got, end = conn.frames_until_end(seconds)
            for line in describe_all(got, end, seconds)[:-1 if end == "open" else None]:
                print(line, flush=True)
            if not got and end == "open":
                print(f"nothing within {seconds:g} s", flush=True)
            if end != "open":
                return
        elif token.startswith("pause="):
            time.sleep(float(token[6:]))
        else:
            data = bytes.fromhex(token[4:]) if token.startswith("raw=") else parse_frame(token)
            try:
                conn.send(data)
            except OSError as error:
                print(f"could not send {token.split(':')[0]}: {error.strerror}", flush=True)
    if tokens and tokens[-1] == "expect":
        return
    print("\n".join(describe_all(*conn.frames_until_end())))


# --- The other scenarios ---------------------------------------------------------------

def handshake(port, *options):
    """Sends an opening handshake changed by the options, prints the answer.
    OPTION: version=V, no-version, key=K, no-key, method=M, path=P, http=V,
    no-host, upgrade=V, no-upgrade, connection=V, case=lower|upper, header=NAME:VALUE
    (added; repeatable), pad=N (a header of N bytes), bytewise (one byte per
    send, each its own TCP segment), half-close (shutdown after sending)."""
    key, settings, extra, bytewise, half_close = new_key(), {}, [], False, False
    for option in options:
        name, _, value = option.partition("=")
        if name == "no-key":
            key = None
        elif name == "key":
            key = value
        elif name in ("version", "method", "path", "http", "upgrade", "connection", "case"):
            settings[name] = value
        elif name in ("no-host", "no-upgrade", "no-version"):
            settings[name[3:]] = None
        elif name == "header":
            header_name, _, header_value = value.partition(":")
            extra.append((header_name, header_value))
        elif name == "pad":
            extra.append(("X-Padding", "p" * int(value)))
        elif name == "bytewise":
            bytewise = True
        elif name == "half-close":
            half_close = True
        else:
            raise SystemExit(f"unknown handshake option: {option}")
    no_host = settings.pop("host", "") is None
    data = request(key, extra=extra, **settings)
    if no_host:
        data = b"\r\n".join(line for line in data.split(b"\r\n") if not line.startswith(b"Host:"))
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    send_at_once(sock)
    try:
        if bytewise:
            for i in range(len(data)):
                sock.send(data[i:i + 1])
                time.sleep(0.002)  # so that each byte leaves as a segment of its own
        else:
            sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
    except OSError as error:
        print(f"sending the request failed: {error.strerror}")
    response = read_response(sock)
    print(response.describe())
    if response.status == 101:
        accept = response.header("sec-websocket-accept")
        print("accept key: " + ("right" if key and accept == accept_key(key) else f"WRONG: {accept!r}"))
        print(f"upgrade: {response.header('upgrade')}")
        print(f"connection: {response.header('connection')}")
        for name in ("sec-websocket-extensions", "sec-websocket-protocol"):
            if response.header(name) is not None:
                print(f"{name}: {response.header(name)}")
        # The connection works: one message and its echo.
        conn = Connection.__new__(Connection)
        conn.sock, conn.buffer = sock, bytearray(response.rest)
        conn.send_frame(TEXT, b"after the handshake")
        try:
            print("then a message came back as " + conn.read_frame().describe())
        except (socket.timeout, Closed) as error:
            print(f"then a message did not come back ({error!r})")
        return
    version = response.header("sec-websocket-version")
    if version is not None:
        print(f"sec-websocket-version: {version}")
    if response.status is not None:
        print("then " + describe_end(end_of_stream_after_body(sock, response)))


def end_of_stream_after_body(sock, response):
    """Skips the error response's body (Content-Length bytes), then tells
    how the connection ends."""
    length = int(response.header("content-length") or 0)
    rest = response.rest
    deadline = time.monotonic() + TIMEOUT
    sock.settimeout(TIMEOUT)
    try:
        while len(rest) < length and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                return "closed"
            rest += chunk
    except socket.timeout:
        return "open"
    except ConnectionResetError:
        return "reset"
    if len(rest) > length:
        return f"more data: {rest[length:length + 40]!r}"
    return end_of_stream(sock)


def echo(port, kind, size, fragment="0", lengths="check"):
    """Sends one random message of size bytes (text: valid UTF-8), in
    fragments of fragment bytes (0: one frame), and checks that the same
    bytes come back as one frame of the same kind, with the shortest length
    encoding. Prints one line."""
    size, fragment = int(size), int(fragment)
    opcode = OPCODES[kind]
    payload = payload_of(kind, size)
    conn = Connection(port)
    pieces = [payload[i:i + fragment] for i in range(0, size, fragment)] if fragment else [payload]
    pieces = pieces or [b""]
    sender = threading.Thread(target=lambda: [
        conn.send_frame(opcode if i == 0 else CONTINUATION, piece, fin=i == len(pieces) - 1)
        for i, piece in enumerate(pieces)], daemon=True)
    started = time.monotonic()
    sender.start()  # sends while this thread reads: a big echo cannot deadlock
    try:
        reply = conn.read_frame(timeout=max(TIMEOUT, size / 2e6))
    except socket.timeout:
        print(f"no reply within {max(TIMEOUT, size / 2e6):g} s")
        return
    except Closed as closed:
        print(f"no reply: {describe_end(closed.end)}")
        return
    sender.join(TIMEOUT)
    sent = f"a {kind} message of {size} bytes" + (f" in {len(pieces)} frames" if len(pieces) > 1 else "")
    same = "the same bytes" if reply.payload == payload else "DIFFERENT bytes"
    if reply.opcode == opcode and reply.fin:
        got = f"one {kind} frame of {len(reply.payload)} bytes, {same}"
    else:
        got = reply.describe()
    print(f"sent {sent}; got back {got}"
          + (f", length in {reply.length_bits} bits" if lengths == "check" else "")
          + ("" if reply.shortest and not reply.masked and not reply.rsv else f" [{reply.describe()}]"),
          flush=True)
    if os.environ.get("WS_TIMING"):
        print(f"({time.monotonic() - started:.2f} s)", file=sys.stderr)


def get(port, path="/"):
    """A plain HTTP GET (no Upgrade): the status, the content type, and the
    page's body on the following lines."""
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode())
        response = read_response(sock)
        print(response.describe())
        print(f"content-type: {response.header('content-type')}")
        body = read_body(sock, response)
        length = response.header("content-length")
        if length is not None and int(length) != len(body):
            print(f"content-length says {length}, got {len(body)} bytes")
        sys.stdout.write(body.decode("utf-8", "backslashreplace"))


def hold(port, seconds="10", answer="silent"):
    """Connects, handshakes, has one echo, then waits: does the server end
    the connection within seconds, and how? answer=answer-close answers the
    server's close frame with a close frame of the same payload, as a
    WebSocket client must (section 5.5.1); silent answers nothing."""
    conn = Connection(port)
    conn.send_frame(TEXT, b"hello")
    print("echoed" if conn.read_frame().payload == b"hello" else "not echoed", flush=True)
    deadline = time.monotonic() + float(seconds)
    if answer == "answer-close":
        try:
            first = conn.read_frame(float(seconds))
        except socket.timeout:
            print(describe_end("open", float(seconds)))
            return
        except Closed as closed:
            print(describe_end(closed.end))
            return
        print(first.describe(), flush=True)
        if first.opcode == CLOSE:
            conn.send_frame(CLOSE, first.payload)
            print("answered the close", flush=True)
    elif answer != "silent":
        raise SystemExit(f"unknown answer: {answer}")
    got, end = conn.frames_until_end(max(0.0, deadline - time.monotonic()))
    for line in describe_all(got, end, float(seconds)):
        print(line)


def stalled_reader(port, exchanges="20"):
    """One client sends 1 MiB messages and never reads; meanwhile another
    one has exchanges round trips. Prints how many came within 1 s each,
    and what became of the flooder."""
    flooder = Connection(port)
    flooder.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stop, sent = threading.Event(), [0]
    message = frame(BINARY, os.urandom(1 << 20))

    def flood():
        flooder.sock.setblocking(False)
        view = memoryview(message)
        try:
            while not stop.is_set():
                if not select.select([], [flooder.sock], [], 0.1)[1]:
                    continue
                view = view[flooder.sock.send(view):]
                if not view:
                    sent[0] += 1
                    view = memoryview(frame(BINARY, message[14:]))  # same size, a new mask
        except OSError:
            pass

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    time.sleep(1.0)  # the flooder's echoes pile up first
    talker = Connection(port)
    on_time = 0
    for i in range(int(exchanges)):
        started = time.monotonic()
        talker.send_frame(TEXT, f"exchange {i}".encode())
        try:
            reply = talker.read_frame(timeout=2.0)
        except (socket.timeout, Closed):
            break
        if reply.payload == f"exchange {i}".encode() and time.monotonic() - started < 1.0:
            on_time += 1
    print(f"while a client flooded without reading: {on_time} of {exchanges} echoes came within 1 s")
    stop.set()
    thread.join(TIMEOUT)
    if on_time < int(exchanges) or sent[0] < 2:
        print(f"(the flooder sent {sent[0]} messages of 1 MiB)")
    reset(flooder.sock)
    talker.close()


def misbehave(port, kind):
    """A client that misbehaves in one way, then leaves (what it sees does
    not matter). KIND: connect-and-close, half-request (part of a handshake,
    then a close), reset-mid-request, reset-mid-frame (a frame header
    announcing 1000 bytes, 10 of them, then a reset), reset-after-message
    (a 1 MiB message, then a reset before its echo is read), no-close-frame
    (a message, then a TCP close without a close frame), garbage (bytes that
    are no HTTP request)."""
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    key = new_key()
    if kind == "connect-and-close":
        sock.close()
    elif kind == "half-request":
        sock.sendall(request(key)[:30])
        sock.close()
    elif kind == "reset-mid-request":
        sock.sendall(request(key)[:30])
        reset(sock)
    elif kind == "garbage":
        sock.sendall(bytes(range(256)) * 4)
        reset(sock)
    else:
        sock.sendall(request(key))
        if read_response(sock).status != 101:
            sys.exit("the handshake failed")
        if kind == "reset-mid-frame":
            sock.sendall(frame(BINARY, b"0123456789", declared_length=1000))
            reset(sock)
        elif kind == "reset-after-message":
            sock.sendall(frame(BINARY, os.urandom(1 << 20)))
            reset(sock)
        elif kind == "no-close-frame":
            sock.sendall(frame(TEXT, b"bye"))
            sock.close()
        else:
            raise SystemExit(f"unknown misbehaviour: {kind}")


def many(port, count):
    """count clients one after the other, each a whole session: handshake,
    a message and its echo, a close and its echo."""
    done = 0
    for i in range(int(count)):
        conn = Connection(port)
        conn.send_frame(TEXT, f"client {i}".encode())
        echoed = conn.read_frame().payload == f"client {i}".encode()
        conn.send_frame(CLOSE, close_payload(1000))
        if echoed and conn.read_frame().close_code == 1000 and end_of_stream(conn.sock) == "closed":
            done += 1
        conn.close()
    print(f"{done} of {count} clients had their echo and a clean close")


def concurrent(port, count):
    """count clients connected at once, each has its echo while all the
    others stay connected; then they stay until stdin closes."""
    clients, echoed = [], 0
    for i in range(int(count)):
        conn = Connection(port)
        conn.send_frame(TEXT, f"client {i}".encode())
        clients.append(conn)
    for i, conn in enumerate(clients):
        try:
            echoed += conn.read_frame().payload == f"client {i}".encode()
        except (socket.timeout, Closed):
            pass
    print(f"{echoed} of {count} clients connected at once had their echo", flush=True)
    sys.stdin.read()
    for conn in clients:
        conn.close()


SCENARIOS = {
    "misbehave": misbehave,
    "many": many,
    "concurrent": concurrent,
    "handshake": handshake,
    "frames": frames,
    "echo": echo,
    "get": get,
    "hold": hold,
    "stalled-reader": stalled_reader,
}

if __name__ == "__main__":
    run_scenario(SCENARIOS)
