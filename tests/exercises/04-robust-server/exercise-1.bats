#!/usr/bin/env bats
# Step 04, exercise 1: say which signal stopped the server.
bats_require_minimum_version 1.5.0
load ../exercise
load clients

# stops_naming SIGNAL: with clients connected, SIGNAL stops the server, every
# client first, and its last line names SIGNAL.
stops_naming() {
    local signal=$1 count words=() i
    start_server "$PROGRAM"
    # Many clients, so that each of their threads must see the stop for
    # itself: one that misses it keeps the server from ending.
    count=$((12 + RANDOM % 13))
    for ((i = 0; i < count; i++)); do words+=("$(random_word)"); done
    start_clients held hold "${words[@]}"
    await held "held $count" 10
    note "$count clients connected; each sent a random word, got its reply and stayed connected"
    kill -"$signal" "$SERVER_PID"
    note "the check sent SIG$signal to the server (kill -$signal $SERVER_PID$([[ $signal == INT ]] && echo ', as Ctrl-C does'))"
    if ! wait_until 5 server_gone; then
        output=$(tail -n 3 "$SERVER_LOG")
        fail "The server was still running 5 s after SIG$signal. Its last lines:
$(indented "$output")" \
            "each client's thread learns of the stop from the byte in the stop pipe, when its poll() sees it. If the main thread reads that byte as soon as it wakes up, a thread that polls after that sees an empty pipe, and sleeps on: read the byte only once no client thread is left, after wait_for_clients_below(1)."
    fi
    stop_server
    status=$SERVER_STATUS output=$(cat "$SERVER_LOG")
    expect_status 0 "stop as the step does: the main thread leaves its loop and main() returns 0."
    output=$(tail -n 1 "$SERVER_LOG")
    expect "[INFO] Shutting down (SIG$signal)" \
        "the handler may call only async-signal-safe functions (man 7 signal-safety): write() is one, printf() is not. It can write the signal's number as the byte it puts in the stop pipe; main() reads that byte back at the very end, and prints SIGINT or SIGTERM by name. The line must stay the last one, after every client's Disconnected."
    output=$(disconnected_lines)
    expect "$count" "every connected client's thread logs its Disconnected line before the server's last line."
}

@test "Ctrl-C (SIGINT), with clients connected: the last line is [INFO] Shutting down (SIGINT)" {
    stops_naming INT
}

@test "SIGTERM, with clients connected: the last line is [INFO] Shutting down (SIGTERM)" {
    stops_naming TERM
}

@test "the server still serves clients, and a stop at once, with no client, is named too" {
    local signal word
    signal=$( ((RANDOM % 2)) && echo INT || echo TERM)
    word=$(random_word)
    start_server "$PROGRAM"
    note "a client sent \"$word\" and read the reply, then left"
    run clients exchanges "$word"
    expect "all 1 clients got their reply" "serve clients as the step does."
    kill -"$signal" "$SERVER_PID"
    note "with no client connected, the check sent SIG$signal to the server"
    wait_until 5 server_gone || fail "The server was still running 5 s after SIG$signal."
    stop_server
    output=$(tail -n 1 "$SERVER_LOG")
    expect "[INFO] Shutting down (SIG$signal)" "name the signal whichever it was, with or without clients."
    output=$SERVER_STATUS
    expect 0 "a clean stop exits with status 0, as the step does."
}
