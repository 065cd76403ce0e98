#!/usr/bin/env python3
"""A server that never answers: it listens with the smallest backlog and fills
its own accept queue, so the kernel ignores every further connection request.
A client's connect() then waits (for minutes) unless it has a timeout.

Usage: black_hole.py -p PORT   (0 = any free port)
"""
import socket
import sys
import time

listener = socket.socket()
listener.bind(("127.0.0.1", int(sys.argv[2])))
listener.listen(0)
port = listener.getsockname()[1]
# Never accepted, this connection fills the queue (Linux holds backlog + 1).
filler = socket.create_connection(("127.0.0.1", port))
print(f"[INFO] Listening on 127.0.0.1:{port}", flush=True)
time.sleep(3600)
