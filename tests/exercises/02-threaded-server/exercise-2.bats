#!/usr/bin/env bats
# Step 02, exercise 2: disconnect a client that stays silent for -t seconds.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

# start_with SECONDS: starts the server with -t SECONDS, or fails saying why.
start_with() {
    PORT=
    start_server "$PROGRAM" -t "$1" 2>/dev/null || true
    { [[ -n $PORT ]] && server_alive; } ||
        fail "The server did not start with -t $1. It said: $(cat "$SERVER_ERR")" \
            "add the -t option, parsed as -p is: a whole number of seconds."
}

timeout_lines() { grep -E '^\[CONNECTION\] (Timed out|Disconnected)' "$SERVER_LOG"; }
has_disconnected_line() { grep -q '^\[CONNECTION\] Disconnected' "$SERVER_LOG"; }

@test "with -t 1, a client silent for 1 s is disconnected, and the log says why" {
    start_with 1
    local word
    word=$(random_word)
    note "the server was started with -t 1"
    note "a client sent \"$word\", read the reply, then stayed silent (for up to 5 s)"
    run clients idle "$word" 5
    local client=${lines[0]#client } closed=${lines[2]:-}
    output=${lines[1]:-}
    expect "reply: [CONNECTION] Received \"$word\" from $client" \
        "the client should be served as before the timeout came in."
    [[ $closed =~ ^closed\ after\ ([0-9]+)\.([0-9])\ s$ ]] ||
        fail "The server did not close the connection: $closed." \
            "setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ...) with a struct timeval of -t seconds makes a recv() that waits that long fail."
    local tenths=$((BASH_REMATCH[1] * 10 + BASH_REMATCH[2]))
    ((tenths >= 8 && tenths <= 25)) ||
        fail "The server closed the connection ${closed#closed }: expected about 1 s (from 0.8 to 2.5 s) with -t 1." \
            "use the -t value for the timeout, counted from the client's last bytes."
    wait_until 3 has_disconnected_line || true
    output=$(timeout_lines)
    expect "[CONNECTION] Timed out waiting for $client
[CONNECTION] Disconnected from $client" \
        "when recv() fails with errno EAGAIN or EWOULDBLOCK, the timeout has passed: log the Timed out line instead of perror(\"recv\")."
    output=$(cat "$SERVER_ERR")
    expect "" "a timeout is not an error of recv(): log it on stdout, as a Timed out line, not with perror()."
}

@test "with -t 3, a client that pauses 2.2 s between words stays connected" {
    start_with 3
    local words=() i
    for i in 1 2 3; do words+=("$(random_word)"); done
    note "the server was started with -t 3"
    note "a client sent ${words[*]}, 2.2 s apart (4.4 s in all), each time reading the reply"
    run clients talk 2.2 "${words[@]}"
    local client=${lines[0]#client } wanted=() word
    output=$(printf '%s\n' "${lines[@]:1}")
    for word in "${words[@]}"; do
        wanted+=("reply: [CONNECTION] Received \"$word\" from $client")
    done
    expect "$(printf '%s\n' "${wanted[@]}")" \
        "use the -t value, and let it time each recv(): silence is measured from the start of each recv(), not from the client's arrival."
}

@test "-t with something other than a number of seconds is a usage error" {
    run timeout 5 "$PROGRAM" -t soon -p 0
    note "the server was started with -t soon"
    expect_status 2 "refuse a -t value that is not a whole number, as -p does: usage_error() exits 2."
}
