#!/usr/bin/python3
"""A real client, not ours: Python's `websockets` package (Debian's
python3-websockets, 10.4) talks to a WebSocket echo server and prints one
line per thing a user of that library would see; tests/websocket-clients.bats
asserts these lines.

Usage: /usr/bin/python3 websockets-client.py PORT [HOST]
Exit status: 0 when every check passed, 1 when one failed (its line starts
with "FAIL"), 2 on a usage error.
"""

import asyncio
import os

import websockets

from report import check, run

TIMEOUT = 20  # seconds for each exchange; a 16 MiB echo takes about a second

# Messages straddling the frame length encodings: 7 bits (0..125), 16 bits
# (126..65535), 64 bits (65536 and up), 1 MiB, and the 16 MiB that the
# issue requires to work.
SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20]
BIG = 16 << 20

def text_of_bytes(n):
    """Text of exactly n bytes of UTF-8, with two- and three-byte characters."""
    pattern = "Grüße ✓ "  # 12 bytes
    text = pattern * (n // 12)
    return text + "a" * (n - len(text.encode()))


def kind(message):
    return "binary" if isinstance(message, bytes) else "text"


async def echoes(ws, message):
    await ws.send(message)
    back = await asyncio.wait_for(ws.recv(), TIMEOUT)
    size = len(message) if isinstance(message, bytes) else len(message.encode())
    check(back == message,
          f"{kind(message)} {size} bytes: echoed as {kind(back)}, "
          + ("equal" if back == message else "DIFFERENT"))


async def close_with(url, code):
    async with websockets.connect(url) as ws:
        await asyncio.wait_for(ws.close(code=code, reason="bye"), TIMEOUT)
        check(ws.close_code == code, f"close {code}: server echoed {ws.close_code}")


async def main(url):
    # max_size: the library refuses messages over 1 MiB by default.
    async with websockets.connect(url, max_size=2 * BIG) as ws:
        # The library offers permessage-deflate; the server declines it by not
        # answering it.
        check(ws.extensions == [], f"connected to {url}, extensions {ws.extensions}")

        for size in SIZES:
            await echoes(ws, text_of_bytes(size))
        for size in SIZES:
            await echoes(ws, os.urandom(size))
        await echoes(ws, os.urandom(BIG))

        pong = await ws.ping(b"are you there?")
        await asyncio.wait_for(pong, TIMEOUT)  # resolved by a pong with this payload
        check(True, 'ping: pong with the same payload "are you there?"')

        # An iterable is sent as one fragmented message: a frame per item,
        # then an empty final continuation frame (this library's way). The
        # generator pings between two fragments, as RFC 6455 5.4 allows.
        pongs = []

        async def pieces():
            yield "Hello, "
            pongs.append(await ws.ping(b"between fragments"))
            yield "fragmented "
            yield "world ✓"

        await ws.send(pieces())
        await asyncio.wait_for(pongs[0], TIMEOUT)
        check(True, 'ping between fragments: pong "between fragments"')
        back = await asyncio.wait_for(ws.recv(), TIMEOUT)
        check(back == "Hello, fragmented world ✓",
              f'fragmented text in 4 frames: echoed as one {kind(back)} message "{back}"')
        await ws.send([b"\x00\x01\x02", b"\xfd\xfe\xff"])
        back = await asyncio.wait_for(ws.recv(), TIMEOUT)
        check(back == b"\x00\x01\x02\xfd\xfe\xff",
              f"fragmented binary in 3 frames: echoed as one {kind(back)} message of {len(back)} bytes")

        await asyncio.wait_for(ws.close(code=1000, reason="bye"), TIMEOUT)
        check(ws.close_code == 1000, f"close 1000: server echoed {ws.close_code}")

    await close_with(url, 4000)


if __name__ == "__main__":
    run(main, "websockets-client.py")
