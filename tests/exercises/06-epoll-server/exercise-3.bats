#!/usr/bin/env bats
# Step 06, exercise 3: count the largest batch epoll_wait() returned, and
# log it at the stop. Clients made ready all at once (sent while the server
# is stopped with SIGSTOP) must come back in one batch, up to MAX_EVENTS.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

LINE_HINT="after [INFO] Shutting down, main() logs the largest count epoll_wait() returned, in this form: [INFO] Largest epoll_wait batch: N"

# expect_largest_batch N HINT: the server has stopped; the line after its
# "Shutting down" line must give N as the largest batch.
expect_largest_batch() {
    stop_server
    note "then the check read the line after [INFO] Shutting down in the server's log"
    output=$(grep -A1 '^\[INFO\] Shutting down$' "$SERVER_LOG" | sed -n 2p)
    expect "[INFO] Largest epoll_wait batch: $1" "$2"
}

@test "clients that speak in turn make batches of one: the largest batch is 1" {
    start_server "$PROGRAM"
    local count=$((4 + RANDOM % 4))
    note "$count clients connected and spoke one after the other, each waiting for the server's answer (its Connected line, then its reply) before the next moved: each epoll_wait() had one descriptor ready"
    note "then, the clients still connected, the check sent SIGTERM to the server"
    run clients in-turn "$SERVER_PID" "$SERVER_LOG" "$count"
    expect "$count clients connected and spoke in turn: every one was answered" \
        "the server should serve the clients as before: only count, and log the count at the end."
    expect_largest_batch 1 "$LINE_HINT. Count what epoll_wait() returns (its return value: how many events it wrote), not clients connected, nor events added up over the rounds."
}

@test "clients that become ready at once come back in one batch" {
    start_server "$PROGRAM"
    local count=$((5 + RANDOM % 16))
    note "$count clients connected; the check stopped the server (SIGSTOP), and meanwhile each client sent a random word; then the server was continued (SIGCONT), with $count sockets ready at once"
    note "each client waited up to 3 s for its reply; then, the clients still connected, the check sent SIGTERM to the server"
    run clients together "$SERVER_PID" "$SERVER_LOG" "$count"
    expect "$count clients became ready at once: every one was answered" \
        "the server should serve the clients as before: only count, and log the count at the end."
    expect_largest_batch "$count" "$LINE_HINT. After each epoll_wait(), keep the larger of its return value and the largest so far (a field of struct server)."
}

@test "with more clients ready than MAX_EVENTS (64), a batch holds 64, and every client is answered" {
    start_server "$PROGRAM"
    note "80 clients connected; the check stopped the server (SIGSTOP), and meanwhile each client sent a random word; then the server was continued (SIGCONT), with 80 sockets ready at once"
    note "each client waited up to 3 s for its reply; then, the clients still connected, the check sent SIGTERM to the server"
    run clients together "$SERVER_PID" "$SERVER_LOG" 80
    expect "80 clients became ready at once: every one was answered" \
        "the server should serve the clients as before: the ready clients that do not fit in one batch come with the next epoll_wait()."
    expect_largest_batch 64 "$LINE_HINT. epoll_wait() never returns more than its maxevents argument (MAX_EVENTS, 64: leave it so), whatever is ready: the rest wait for the next call."
}
