#!/usr/bin/python3
"""A real WebSocket client, not ours, against a server that is not a
WebSocket server: Python's `websockets` package (Debian's python3-websockets,
10.4) tries to connect to a plain TCP server such as step 02, which answers
the handshake's HTTP request with one line of its own. It prints what the
library raised, what caused it, what the server sent back (as the client
received it, byte for byte), and whether the connection ended closed;
tests/websocket-clients.bats asserts these lines.

Usage: /usr/bin/python3 websockets-vs-tcp.py PORT [HOST]
Exit status: 0 when the handshake failed as a handshake with a server that
does not speak HTTP should, 1 otherwise (a line starting with "FAIL" says
why), 2 on a usage error.
"""

import asyncio

import websockets
from websockets.legacy.client import WebSocketClientProtocol

from report import check, run

TIMEOUT = 10  # seconds; the failure comes as soon as the server's line does


class Recording(WebSocketClientProtocol):
    """The library's own client protocol, keeping every byte it receives and
    noting when the connection is lost (closed by either side)."""

    received = b""
    lost = False

    def data_received(self, data):
        Recording.received += data
        super().data_received(data)

    def connection_lost(self, exc):
        Recording.lost = True
        super().connection_lost(exc)


async def main(url):
    try:
        ws = await asyncio.wait_for(websockets.connect(url, create_protocol=Recording), TIMEOUT)
    except websockets.InvalidMessage as error:
        print(f"websockets: {type(error).__name__}: {error}", flush=True)
        # The library raises from what went wrong, which may itself be
        # raised from a deeper cause: the whole chain, outermost first.
        cause = error.__cause__
        while cause is not None:
            print(f"caused by: {type(cause).__name__}: {cause}", flush=True)
            cause = cause.__cause__
    else:
        check(False, f"websockets: connected to {url}, no exception")
        await ws.close()
    # What came back, one line per line the server sent; the last line's end
    # is named apart, since the server's own text holds escaped \r\n.
    lines = Recording.received.split(b"\n")
    last = lines.pop()  # after the last LF: b"" when the reply ends in one
    for line in lines:
        cr = line.endswith(b"\r")
        text = (line[:-1] if cr else line).decode("utf-8", "backslashreplace")
        print(f"server sent: {text}", flush=True)
        print(f"  ending in {'CRLF' if cr else 'LF alone, not CRLF'}", flush=True)
    if last:
        print(f"server sent, with no line end: {last.decode('utf-8', 'backslashreplace')}", flush=True)
    check(Recording.lost, "the connection is closed" if Recording.lost else "the connection is still open")


if __name__ == "__main__":
    run(main, "websockets-vs-tcp.py")
