#!/usr/bin/env bats
# The load generator behind make bench: what it counts must be right. (Its
# timings are make bench's business, never a test's.)

bats_require_minimum_version 1.5.0
load helpers

setup() { LOAD=$REPO_ROOT/bench/load; }

figure() { sed -nE "s/.*\\b$1=([0-9.]+).*/\\1/p" <<<"$output"; }

# at_least VALUE MINIMUM: succeeds if the decimal VALUE is a number >= MINIMUM.
at_least() { awk -v x="$1" -v min="$2" 'BEGIN { exit !(x ~ /^[0-9.]+$/ && x + 0 >= min) }'; }

@test "bench: 4 connections x 50 round trips against step 05 are all counted" {
    start_server "$(server_binary 05-poll-server)"
    run -0 "$LOAD" -p "$PORT" -c 4 -n 50
    assert_equal "$(figure round_trips)" 200
    assert_equal "$(figure failed_connects)" 0
    assert_equal "$(figure complete)" 1
    run grep -c 'Connected to' "$SERVER_LOG"
    assert_output 4
}

@test "bench: pacing still lets step 01 serve 8 connections, one after another" {
    start_server "$(server_binary 01-blocking-server)"
    run -0 "$LOAD" -p "$PORT" -c 8 -n 20 -r 4
    assert_equal "$(figure round_trips)" 160
    assert_equal "$(figure complete)" 1
}

@test "bench: idle mode holds its connections while one more does the round trips" {
    start_server "$(server_binary 05-poll-server)"
    run -0 "$LOAD" -p "$PORT" -i 20 -n 10 </dev/null
    assert_equal "$(figure idle_held)" 20
    assert_equal "$(figure round_trips)" 10
}

@test "bench: idle mode against step 06 counts every connection, baseline and active one included" {
    start_server "$(server_binary 06-epoll-server)"
    run -0 "$LOAD" -p "$PORT" -i 20 -n 10 -r 64 </dev/null
    assert_equal "$(figure idle_held)" 20
    assert_equal "$(figure round_trips)" 10
    assert_equal "$(figure complete)" 1
    # the baseline client, the 20 idle ones, the active one
    run grep -c 'Connected to' "$SERVER_LOG"
    assert_output 22
}

@test "bench: -P reads the server's CPU time around the measured round trips" {
    start_server "$(server_binary 06-epoll-server)"
    run -0 "$LOAD" -p "$PORT" -i 5 -n 200 -P "$SERVER_PID" </dev/null
    # the server worked for them, so its CPU clock moved (0.01 µs: its last digit)
    at_least "$(figure server_cpu_us)" 0.01
    at_least "$(figure alone_server_cpu_us)" 0.01
    run -0 "$LOAD" -p "$PORT" -c 2 -n 10
    refute_output --partial server_cpu_us
}

@test "bench: -P with a process that does not exist is an error naming the call" {
    start_server "$(server_binary 06-epoll-server)"
    sleep 0 & local gone=$!
    wait "$gone"
    run -1 "$LOAD" -p "$PORT" -n 1 -P "$gone"
    assert_output --partial "clock_getcpuclockid: "
}

@test "bench: -d ends each connection's round trips when its time is up, and counts the run complete" {
    start_server "$(server_binary 06-epoll-server)"
    run -0 "$LOAD" -p "$PORT" -c 2 -d 200
    assert_equal "$(figure complete)" 1
    # each connection did at least one round trip, and none stopped before its time
    at_least "$(figure round_trips)" 2
    at_least "$(figure seconds)" 0.2
    run -0 "$LOAD" -p "$PORT" -i 3 -d 100 </dev/null
    assert_equal "$(figure idle_held)" 3
    assert_equal "$(figure complete)" 1
}

@test "bench: the floor needs no server" {
    run -0 "$LOAD" -f -n 100
    assert_equal "$(figure round_trips)" 100
    assert_equal "$(figure complete)" 1
}

@test "bench: a closed port counts as a failed connect, and the run as incomplete" {
    run -1 "$LOAD" -p "$(closed_port)" -c 1 -n 1
    assert_equal "$(figure failed_connects)" 1
    assert_equal "$(figure complete)" 0
}

@test "bench: WebSocket mode against step 07 counts its round trips and connections" {
    start_server "$(server_binary 07-websocket-server)"
    run -0 "$LOAD" -p "$PORT" -W -c 4 -n 50
    assert_equal "$(figure round_trips)" 200
    assert_equal "$(figure failed_connects)" 0
    assert_equal "$(figure bad_replies)" 0
    assert_equal "$(figure complete)" 1
    run grep -c 'Connected to' "$SERVER_LOG"
    assert_output 4
    # each connection ended with the closing handshake, code 1000
    run grep -c 'Close 1000' "$SERVER_LOG"
    assert_output 4
    # a 300-byte message takes the 16-bit length, both ways
    run -0 "$LOAD" -p "$PORT" -W -c 2 -n 10 -s 300
    assert_equal "$(figure round_trips)" 20
    assert_equal "$(figure complete)" 1
    run -0 "$LOAD" -p "$PORT" -W -i 5 -n 10 </dev/null
    assert_equal "$(figure idle_held)" 5
    assert_equal "$(figure round_trips)" 10
}

@test "bench: WebSocket mode against step 05, which answers no 101, counts failed connects" {
    start_server "$(server_binary 05-poll-server)"
    run -1 "$LOAD" -p "$PORT" -W -c 3 -n 5
    assert_equal "$(figure failed_connects)" 3
    assert_equal "$(figure round_trips)" 0
    assert_equal "$(figure complete)" 0
    # the connections were made: it is the handshake that failed
    run grep -c 'Connected to' "$SERVER_LOG"
    assert_output 3
}

# A stand-in WebSocket server, one connection at a time: answers each
# handshake with 101 and an accept key computed with Python's hashlib
# (wrong-accept: for the key reversed, and nothing more); then echoes the
# first message as a text frame (echo) or as a binary one (binary-echo).
fake_websocket_server() {
    cat >"$BATS_TEST_TMPDIR/fake.py" <<'PY'
import base64, hashlib, socket, sys

def exactly(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data

mode = sys.argv[1]
listener = socket.create_server(("127.0.0.1", 0))
print(f"[INFO] Listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
while True:
    conn, _ = listener.accept()
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            request += exactly(conn, 1)
        key = [line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:")][0]
        if mode == "wrong-accept":
            key = key[::-1]
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        if mode != "wrong-accept":
            size = exactly(conn, 2)[1] & 0x7F  # a masked frame of at most 125 bytes
            mask = exactly(conn, 4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(exactly(conn, size)))
            print(f"[INFO] Received {payload!r}", flush=True)
            conn.sendall(bytes([0x81 if mode == "echo" else 0x82, size]) + payload)
            conn.recv(1)  # the load's close frame, or its end of stream
PY
    start_server "$PYTHON" "$BATS_TEST_TMPDIR/fake.py" "$1"
}

@test "bench: WebSocket mode checks the accept key: a wrong one is a failed connect" {
    fake_websocket_server echo
    run -0 "$LOAD" -p "$PORT" -W -c 1 -n 1 -s 5 -t 5
    assert_equal "$(figure failed_connects)" 0
    assert_equal "$(figure round_trips)" 1
    stop_server
    fake_websocket_server wrong-accept
    run -1 "$LOAD" -p "$PORT" -W -c 2 -n 1 -t 5
    assert_equal "$(figure failed_connects)" 2
    assert_equal "$(figure complete)" 0
}

@test "bench: WebSocket mode checks the echo: the payload as a binary frame is a bad reply" {
    fake_websocket_server binary-echo
    run -1 "$LOAD" -p "$PORT" -W -c 1 -n 3 -s 5 -t 5
    assert_equal "$(figure failed_connects)" 0
    assert_equal "$(figure bad_replies)" 1
    assert_equal "$(figure round_trips)" 0
    assert_equal "$(figure complete)" 0
    # the stand-in unmasked our frame: the payload went out masked, as sent
    run grep -c "Received b'xxxxx'" "$SERVER_LOG"
    assert_output 1
}

@test "bench: load's SHA-1 and base64 give the published vectors (RFC 3174, RFC 4648, RFC 6455)" {
    cat >"$BATS_TEST_TMPDIR/vectors.c" <<C
#define main load_main
#include "$REPO_ROOT/bench/load.c"
#undef main
static void digest_of(const char *text, size_t size)
{
    unsigned char digest[20];
    sha1((const unsigned char *)text, size, digest);
    for (int i = 0; i < 20; i++)
        printf("%02x", digest[i]);
    printf("\n");
}
int main(void)
{
    static char million[1000000];
    memset(million, 'a', sizeof million);
    digest_of("abc", 3);
    digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
    digest_of(million, sizeof million);
    const char *words[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    char out[16];
    for (int i = 0; i < 7; i++)
        printf("[%s]\n", base64((const unsigned char *)words[i], strlen(words[i]), out));
    char accept[ACCEPT_SIZE + 1];
    accept_for("dGhlIHNhbXBsZSBub25jZQ==", accept);
    printf("%s\n", accept);
    return 0;
}
C
    run -0 "${CC:-cc}" -std=c11 -Wall -Wextra -Werror -o "$BATS_TEST_TMPDIR/vectors" "$BATS_TEST_TMPDIR/vectors.c"
    run -0 "$BATS_TEST_TMPDIR/vectors"
    assert_output "a9993e364706816aba3e25717850c26c9cd0d89d
84983e441c3bd26ebaae4aa1f95129e5e54670f1
34aa973cd4c4daa4f61eeb2bdbad27316534016f
[]
[Zg==]
[Zm8=]
[Zm9v]
[Zm9vYg==]
[Zm9vYmE=]
[Zm9vYmFy]
s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
}

@test "bench: bad options are usage errors" {
    run -2 "$LOAD"
    run -2 "$LOAD" -p 80 -c 0
    assert_output --partial "load: not a number from 1 to 100000: 0"
    run -2 "$LOAD" -p 80 -d 0
    assert_output --partial "load: not a number from 1 to 3600000: 0"
    run -2 "$LOAD" -p 80 -P 0
    assert_output --partial "load: not a number from 1 to 2147483647: 0"
    run -2 "$LOAD" -f -W # the floor's peer speaks plain TCP
}
