#!/usr/bin/env bats
# Step 07, exercise 3: with -t SECONDS, ping a WebSocket silent that long,
# and close it (code 1001) if it stays silent as long again.
bats_require_minimum_version 1.5.0
load ../exercise
load ../idle-timeout

@test "with -t 1, a silent WebSocket gets a ping after 1 s, and close 1001 1 s later; the log says why" {
    start_with 1
    local word
    word=$(random_word)
    note "the server was started with -t 1"
    note "a client opened a WebSocket, sent \"$word\" and read it back, then stayed silent, answering nothing"
    note "\"about 1 s\" means from 0.8 to 2 s; meanwhile the check read the server's CPU time in /proc/$SERVER_PID/stat"
    run clients silent "$word" "$SERVER_PID" 1
    expect "echo: got it
then a ping, after about 1 s of silence
then close 1001, about 1 s after the ping
then the server closed the connection
meanwhile the server used under 0.1 s of CPU" \
        "keep, for each client, when it last sent bytes (after each recv() that returned some), and whether it has been pinged since. poll() must wake up when the first open WebSocket's silence reaches -t (poll_timeout()); then queue a ping (queue_frame(client, OP_PING, ...)) and add POLLOUT to its poll entry. Silent -t seconds more: send_close(client, 1001), and the closing of [closing] does the rest (it shuts down our side once the close frame is out). Compute the time poll() may sleep exactly, in milliseconds: waking up early and often burns CPU."
    note "then the client closed its connection, and the check read the server's log"
    wait_until 3 has_disconnected_line || true
    local client
    client=$(sed -nE 's/^\[CONNECTION\] WebSocket opened with (.*)$/\1/p' "$SERVER_LOG")
    output=$(grep -E '^\[CONNECTION\] (Timed out|Disconnected|.* did not close)' "$SERVER_LOG")
    expect "[CONNECTION] Timed out waiting for $client
[CONNECTION] Disconnected from $client" \
        "log the Timed out line when you send the close frame; Disconnected comes as before, once the client has closed its side (here at once)."
    output=$(cat "$SERVER_ERR")
    expect "" "a timeout is not an error: log it on standard output, not with perror()."
}

@test "a WebSocket that answers each ping with a pong stays open" {
    start_with 1
    note "the server was started with -t 1"
    note "a client opened a WebSocket and sent nothing for 5 s but a pong for each ping, with the ping's payload (as a browser does); \"about one ping every 1 s\" means 3 to 6 pings"
    note "then it sent a message"
    run clients answering 1 5
    expect "in 5 s, it got about one ping every 1 s, and answered each
then it sent a message, and got it back" \
        "any bytes from the client end its silence, a pong too: after each recv() that returned bytes, note the time and that no ping is waiting for an answer. Its next ping then comes -t seconds after the pong."
    output=$(grep -c '^\[CONNECTION\] Timed out' "$SERVER_LOG" || true)
    expect 0 "a client that answers is alive: it must not time out."
}

@test "each WebSocket has its own clock: one that talks gets no ping, while a silent one is closed on time" {
    start_with 2
    note "the server was started with -t 2"
    note "client A sent a message every 0.5 s for 5 s, reading each echo; meanwhile client B sent one message, then stayed silent, answering nothing"
    note "\"about 2 s\" means from 1.6 to 3 s"
    run clients talker 2 0.5 5
    expect "A, talking every 0.5 s for 5 s: every message came back, and no ping came
B, silent: a ping after about 2 s, then close 1001 about 2 s later" \
        "count each client's silence from its own last bytes; poll() must wake up for the earliest deadline of all clients, while others keep it busy: after every poll(), whatever it returned, look for the clients whose time is up."
}

@test "-t 0 means no pings: a silent WebSocket stays open" {
    start_with 0
    note "the server was started with -t 0"
    note "a client opened a WebSocket, sent a message and read it back, then stayed silent for 2.5 s"
    run "$PYTHON" "$TESTS_DIR/lib/websocket.py" hold "$PORT" 2.5
    expect "echoed
the connection stayed open for 2.5 s" \
        "with -t 0 (or without -t), clients may stay silent as long as they like, as before: no ping, no close."
}

@test "-t takes a whole number from 0 to 3600: -t 3600 starts the server, anything else is a usage error" {
    local value
    start_with 3600
    note "the server was started with -t 3600: it started"
    stop_server
    for value in soon 3601 -1 1.5; do
        note "the server was started with -t $value"
        run timeout 5 "$PROGRAM" -p 0 -t "$value"
        expect_status 2 "refuse a -t value that is not a whole number from 0 to 3600, as -p refuses a bad port: usage_error() exits 2."
    done
}
