"""What the Python test clients share: connecting, reading a line or the
whole stream within a time, closing with a reset, the servers' escaping,
and running a scenario named on the command line.

A client script imports it from its own location:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
    from sockets import ...
(with the path from that script to tests/lib). Every wait here is bounded.
"""
import os
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 5.0


def connect(port, host=HOST, timeout=TIMEOUT):
    return socket.create_connection((host, port), timeout=timeout)


def send_at_once(sock):
    """Each send() then leaves at once as a segment of its own, rather than
    waiting to be joined with the next (Nagle's algorithm). Returns sock."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def local_address(sock):
    """The socket's own address as the servers log it: IP:PORT, or
    [IP]:PORT for IPv6."""
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def reset(sock):
    """Closes with an RST instead of a FIN (SO_LINGER with a zero timeout)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def receive_line(sock, timeout=TIMEOUT):
    """Reads one line, a byte at a time, so that nothing after it is taken.
    Returns what came, without the newline, and how the reading ended:
    "line", "closed" (the end of the stream came first), or "open" (no whole
    line within timeout s). A reset raises ConnectionResetError, as recv()
    does."""
    sock.settimeout(timeout)
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = sock.recv(1)
            if not chunk:
                return data, "closed"
            data += chunk
    except socket.timeout:
        return data, "open"
    return data[:-1], "line"


def line_or_why(sock, timeout=TIMEOUT):
    """One reply line without its newline, or why there is none."""
    try:
        data, end = receive_line(sock, timeout)
    except ConnectionResetError:
        return "(the connection was reset)"
    if end == "closed":
        return f"(the server closed the connection{', after ' + repr(data) if data else ''})"
    if end == "open":
        return f"(no reply line within {timeout:g} s)"
    return data.decode("ascii", "backslashreplace")


def read_to_end(sock, timeout=TIMEOUT, within=None):
    """Reads until the server ends the connection, each recv() waiting up to
    timeout s, and all of them within `within` s if it is given. Returns the
    bytes that came and how the connection ended: "closed" (the end of the
    stream), "reset", or "open" (no end within the time)."""
    sock.settimeout(timeout)
    data = b""
    deadline = None if within is None else time.monotonic() + within
    try:
        while deadline is None or time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                return data, "closed"
            data += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        return data, "reset"
    return data, "open"


def escape_byte(byte):
    """One byte as the servers show it in a reply: printable ASCII as it is,
    but \\" \\\\ \\n \\r \\t, and any other byte as \\xNN."""
    named = {ord('"'): '\\"', ord("\\"): "\\\\", 10: "\\n", 13: "\\r", 9: "\\t"}
    return named.get(byte, chr(byte) if 0x20 <= byte < 0x7f else f"\\x{byte:02x}").encode()


ESCAPED = [escape_byte(byte) for byte in range(256)]


def escaped(data):
    """data as the servers escape it (bytes)."""
    return b"".join(map(ESCAPED.__getitem__, data))


def cpu_seconds(pid):
    """User + system CPU time the process has used so far (Linux: /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_scenario(scenarios):
    """Runs the scenario named by the first argument on the port the second
    gives, with the other arguments: SCRIPT SCENARIO PORT [ARGS]."""
    if len(sys.argv) < 3 or sys.argv[1] not in scenarios:
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} {{{'|'.join(scenarios)}}} PORT [ARGS]")
    scenarios[sys.argv[1]](int(sys.argv[2]), *sys.argv[3:])
