#!/usr/bin/env python3
"""The article's thread-per-client server, as an independent peer for the client tests.

It is the listing from "Socket Programming in Python" with only what a test
needs changed: it listens on 127.0.0.1 and the port given (0 = any free
one), and prints the port it really got.

Usage: article_server.py -p PORT
"""
import socket
import sys
import threading

SERVER = "127.0.0.1"
PORT = int(sys.argv[2])


def client_thread(conn, addr):
    with conn:
        print(f"[CONNECTION] Connected to {addr}", flush=True)
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(f"[CONNECTION] Received {data} from {addr}".encode())
    print(f"[CONNECTION] Disconnected from {addr}", flush=True)


with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind((SERVER, PORT))
    s.listen(5)
    print(f"[INFO] Listening on {SERVER}:{s.getsockname()[1]}", flush=True)

    while True:
        conn, addr = s.accept()
        print(f"[INFO] Starting thread for connection {addr}", flush=True)
        thread = threading.Thread(target=client_thread, args=(conn, addr), daemon=True)
        thread.start()
