#!/usr/bin/env bats
# Step 07, exercise 1: a chat room: every message goes to every open
# WebSocket, the sender included, and a client that never reads holds up
# nobody.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

@test "a message goes to every open WebSocket, the sender included, once, as it came" {
    start_server "$PROGRAM"
    local word
    word=$(random_word)
    note "clients A, B and C opened WebSockets; A sent the text message \"$word\"; then B sent a binary message of 300 random bytes, in two frames (a fragmented message)"
    note "each client waited up to 2 s for each message, then 0.5 s for anything more"
    run clients everyone "$word"
    expect "A's text message: A got it
A's text message: B got it
A's text message: C got it
B's binary message: A got it
B's binary message: B got it
B's binary message: C got it
A: nothing more
B: nothing more
C: nothing more" \
        "finish_message() queues the message for its sender only (queue_frame(client, ...)). Queue it instead for every client of the server whose phase is OPEN, as one frame of the same opcode; the sender gets its copy as before. A connection does not know the others: give struct connection a pointer to the server (set in add_client()), or pass the server down to finish_message()."
    output=$(grep -c '^\[CONNECTION\] Received text' "$SERVER_LOG" || true)
    note "then the check counted the Received text lines in the server's log"
    expect 1 "log each message once, when it comes in (log_message()), not once per client it goes to."
}

@test "only open WebSockets get the messages: not a client still sending its handshake, nor one that has closed" {
    start_server "$PROGRAM"
    local word
    word=$(random_word)
    note "clients A and B opened WebSockets; client H connected and sent the first 20 bytes of its opening handshake; client C opened a WebSocket, sent a close frame, read the close frame the server sent back, and kept its TCP connection open"
    note "then A sent \"$word\"; then H sent the rest of its handshake"
    run clients only-open "$word"
    expect "C sent a close frame and got close 1000 back; it keeps its connection
A's message: A got it
A's message: B got it
H finished its handshake, and got: HTTP/1.1 101 Switching Protocols
H: nothing more
C: nothing more, then the end of the stream" \
        "send messages to the clients whose phase is OPEN, and to no other: a client in the HANDSHAKE phase has not asked for WebSocket frames yet (its answer must start with HTTP/1.1 101), and one in the CLOSING phase has had our close frame, after which nothing more may be sent (RFC 6455 section 5.5.1)."
    note "then the check read what the server wrote on standard error"
    output=$(cat "$SERVER_ERR")
    expect "" "nothing should fail: a frame queued for a CLOSING client, whose sending side is shut down (shutdown()), makes send() fail with EPIPE."
}

@test "a client that never reads holds up nobody, and is dropped alone once its unread messages pass MAX_PENDING" {
    start_server "$PROGRAM"
    note "clients A, B and D opened WebSockets; D never read anything"
    note "A sent binary messages of 4 MiB, one after the other (at most 40), and A and B read each copy (waiting up to 5 s for it), until the server logged that it dropped D"
    note "then A sent a text message, and D read what it had"
    run clients stalled "$SERVER_LOG"
    [[ $output != *"the server dropped D"* ]] || output=$(sed 's/(after [0-9]* messages, [0-9]* MiB)/(after N messages)/' <<<"$output")
    expect "while D did not read, A sent messages of 4 MiB: A and B got every one, whole, within 5 s
the server dropped D (after N messages)
A's next message: A got it, B got it
D, reading at last: its connection ended" \
        "queue_output() returns -1 once a client's pending output would pass MAX_PENDING (about 65 MiB), and logs the Dropped line. When that happens to a client other than the sender, do not return -1 (that would drop the sender): mark that client (a new field, dropped), go on with the others, and close the marked ones with remove_client() after the event loop has handled every ready client (removing one inside the loop moves the last client into its place). Give each client you queue for POLLOUT in its poll entry (server->watched[FIRST_CLIENT + j].events), or its copy waits until it speaks."
    note "then the check read the server's log and standard error"
    output=$(grep -c '^\[CONNECTION\] Dropped' "$SERVER_LOG" || true)
    expect 1 "only D should be dropped, once."
    output=$(cat "$SERVER_ERR")
    expect "" "nothing should fail on the way."
}
