#!/usr/bin/env python3
"""Test servers for the step 03 exercise checks, one client at a time.

Usage: server.py MODE -p PORT   (0 = any free port; host is 127.0.0.1)
  silent  reads what the client sends until it closes its side, then closes
          without a word
  echo    replies to each chunk at once, as step 02 does (the checks use it
          rather than the student's own step 02, which their step 02
          exercises change)
  slow    replies to each chunk as step 02 does, but sends each reply in
          three pieces, 0.1 s apart
It prints "[INFO] Listening on 127.0.0.1:PORT" once ready, and runs until killed.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from sockets import escaped, send_at_once


def silent(client, peer):
    while client.recv(1024):
        pass


def reply_to(data, peer):
    return f'[CONNECTION] Received "{escaped(data).decode()}" from {peer}\n'.encode()


def echo(client, peer):
    send_at_once(client)
    while True:
        data = client.recv(1024)
        if not data:
            return
        client.sendall(reply_to(data, peer))


def slow(client, peer):
    send_at_once(client)
    while True:
        data = client.recv(1024)
        if not data:
            return
        reply = reply_to(data, peer)
        third = len(reply) // 3
        for start, end in ((0, third), (third, 2 * third), (2 * third, len(reply))):
            client.sendall(reply[start:end])
            time.sleep(0.1)


def main():
    serve = {"silent": silent, "echo": echo, "slow": slow}[sys.argv[1]]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(sys.argv[3])))
    listener.listen(5)
    print(f"[INFO] Listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
    while True:
        client, (host, port) = listener.accept()
        with client:
            client.settimeout(10)
            try:
                serve(client, f"{host}:{port}")
            except OSError as error:
                print(f"[ERROR] {error}", flush=True)


if __name__ == "__main__":
    main()
