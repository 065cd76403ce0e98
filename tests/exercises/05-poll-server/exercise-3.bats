#!/usr/bin/env bats
# Step 05, exercise 3: a clean stop: on SIGTERM, accept nobody new, let the
# clients connected finish (every reply delivered), for 3 s at most; exit 0.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

# exits_within SECONDS: fails, saying so, unless the server exits in time;
# then stop_server sets SERVER_STATUS.
exits_within() {
    wait_until "$1" server_gone ||
        fail "The server was still running $1 s later." \
            "once every client has left, or the 3 s are up, serve() returns and main() exits with status 0."
    stop_server
}

@test "after SIGTERM, a client with many replies unread gets every one, then the server exits 0" {
    start_server "$PROGRAM"
    note "client R sent random bytes and read nothing, until the server had to keep at least 256 KiB of R's replies in its pending output (R's socket and the kernel's buffers held a few MB more); then R closed its sending side"
    note "the check sent SIGTERM to the server; 0.3 s later a new client tried to connect; then R read everything"
    run clients drain "$SERVER_PID"
    expect "R sent bytes and read nothing, until the server had to keep at least 256 KiB of its replies itself
after SIGTERM, a new client: refused
R, reading at last, got a reply for every byte it sent, in order
then: the end of the stream" \
        "a stop signal must not cut the clients off: go on serving them (their pending output goes out when poll() says POLLOUT) while they finish. Close the listening socket at once, so that a newcomer is refused rather than left waiting in the queue."
    exits_within 2
    output=$SERVER_STATUS
    expect 0 "after a stop signal the server exits with status 0, once its clients are done."
    output=$(grep -E '^\[INFO\] Shutting down$|^\[CONNECTION\] Disconnected' "$SERVER_LOG" | sed -E 's/ from 127\.0\.0\.1:[0-9]+$/ from R/')
    expect "[INFO] Shutting down
[CONNECTION] Disconnected from R" \
        "log [INFO] Shutting down when the signal comes, once; then each client's Disconnected line when it leaves."
}

@test "a client connected at SIGTERM is still served, for 3 s at most, the server sleeping meanwhile; with none, SIGINT stops it at once" {
    start_server "$PROGRAM"
    note "client I sent a word, read the reply, and stayed connected"
    note "the check sent SIGTERM to the server; 0.5 s later, I sent another word"
    note "then the check read the server's CPU time in /proc/$SERVER_PID/stat for 1 s, and waited for the server to close I"
    run clients drain-idle "$SERVER_PID"
    expect "0.5 s after SIGTERM, I said a word: it got its reply
the next second, the server used under 0.1 s of CPU
the server closed I 2.5 to 4.5 s after SIGTERM" \
        "until its clients have left, or 3 s after the signal, the server serves them as before; then it closes those left. poll()'s last argument is how long it may sleep, in milliseconds: give it the time left until the 3 s are up. And stop watching the self-pipe once the signal has come: its byte stays there, so poll() would return at once, every time (set that entry's fd to -1: poll() skips it)."
    exits_within 2
    output=$SERVER_STATUS
    expect 0 "after a stop signal the server exits with status 0."

    start_server "$PROGRAM"
    note "then the server was started again; with no client connected, the check sent SIGINT (Ctrl-C) to it"
    kill -INT "$SERVER_PID"
    exits_within 1
    output=$SERVER_STATUS
    expect 0 "a stop signal with nobody to wait for ends the server at once, with status 0, as before."
    output=$(grep -c '^\[INFO\] Shutting down$' "$SERVER_LOG")
    expect 1 "log [INFO] Shutting down once, when the signal comes."
}
