"""What the Python client scripts here share: one line per check, starting
with "FAIL" when it failed, and the command line and exit status that
tests/websocket-clients.bats relies on (0 all passed, 1 one failed, 2 usage)."""

import asyncio
import sys

import websockets

failed = False


def check(ok, line):
    global failed
    print(line if ok else f"FAIL {line}", flush=True)
    failed = failed or not ok


def run(main, script):
    """Runs main(url) for the command line `script PORT [HOST]`, then exits."""
    if len(sys.argv) not in (2, 3) or not sys.argv[1].isdigit():
        print(f"usage: {script} PORT [HOST]", file=sys.stderr)
        sys.exit(2)
    host = sys.argv[2] if len(sys.argv) == 3 else "127.0.0.1"
    try:
        asyncio.run(main(f"ws://{host}:{sys.argv[1]}/"))
    except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as error:
        check(False, f"{type(error).__name__}: {error}")
    sys.exit(1 if failed else 0)
