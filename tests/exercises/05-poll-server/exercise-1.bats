#!/usr/bin/env bats
# Step 05, exercise 1: a chat room: every line goes to every client.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

@test "a line from one client reaches every client at once, even those that never speak" {
    start_server "$PROGRAM"
    local one two three
    one=$(random_word) two=$(random_word) three=$(random_word)
    note "clients A, B and C connected; A sent \"$one\", then B sent \"$two\"; then C left, and A sent \"$three\""
    note "each client read one line after each word, waiting up to 1 s (\"from A\" stands for A's address)"
    run clients everyone "$SERVER_LOG" "$one" "$two" "$three"
    expect "A got: [CONNECTION] Received \"$one\" from A
B got: [CONNECTION] Received \"$one\" from A
C got: [CONNECTION] Received \"$one\" from A
A got: [CONNECTION] Received \"$two\" from B
B got: [CONNECTION] Received \"$two\" from B
C got: [CONNECTION] Received \"$two\" from B
A got: [CONNECTION] Received \"$three\" from A
B got: [CONNECTION] Received \"$three\" from A" \
        "queue the line for every client in the table, the sender included, with queue_reply(). A client that never speaks is only handled when poll() reports its socket: add POLLOUT to its events, so that poll() says when its line can go out."
}

@test "a listener that reads nothing for a while gets every line, whole and in order, once it reads" {
    start_server "$PROGRAM"
    note "clients A and D connected. D read nothing while A sent random bytes, 1,000 per send() (each 4 characters in a line: \\xNN), reading its own lines"
    note "A went on until D's socket was full and the server had to keep at least 256 KiB of D's lines itself; then D read everything"
    run clients slow-listener "$SERVER_LOG"
    expect "A got each of its lines, whole and in order
A went on until D's socket held at least 256 KiB less than A's lines
D, reading at last, got every line A sent, whole and in order" \
        "send() takes only what fits in the socket's buffer, and fails with EAGAIN when nothing does: keep what it did not take in that client's pending output (queue_reply() does), and send it when poll() reports POLLOUT for that client, even one that never speaks. The server's own replies already work this way: handle_client() sets POLLOUT while something is pending."
}

@test "a listener that stops reading does not hold up the others, and is dropped past 1 MiB" {
    start_server "$PROGRAM"
    note "clients C, A and B connected, in that order; C never read"
    note "A and B took turns sending 1,000 random bytes, each waiting until both had the line, up to 1 s, until the server dropped C; then A sent a word"
    run clients stalled "$SERVER_LOG" 4000000
    local c=${lines[-1]:-}
    output=$(printf '%s\n' "${lines[@]:0:3}")
    expect "A and B: every line reached both within 1 s
the server dropped C, which never read
then A sent a word: B got it within 1 s" \
        "never wait for one client: its socket may stay full for ever. Keep its lines in its pending output; past MAX_PENDING, log the Dropped line and close it. Careful: closing a client with remove_client() while you loop over the table moves another client into its place; mark it, and close it after the loop."
    output=$(grep -c '^\[CONNECTION\] Dropped 127\.0\.0\.1:[0-9]*: more than 1048576 bytes of replies unread$' "$SERVER_LOG")
    expect 1 "log one line for the dropped client, as the server does today for a client whose own replies pile up: [CONNECTION] Dropped IP:PORT: more than 1048576 bytes of replies unread"
    output=$c
    expect "C, reading at last: the server had closed its connection" \
        "close the dropped client's socket: its lines would pile up again."
}
