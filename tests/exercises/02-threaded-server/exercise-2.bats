#!/usr/bin/env bats
# Step 02, exercise 2: disconnect a client that stays silent for -t seconds.
bats_require_minimum_version 1.5.0
load ../exercise
load ../idle-timeout

T_OPTION_HINT="add the -t option, parsed as -p is: a whole number of seconds."

@test "with -t 1, a client silent for 1 s is disconnected, and the log says why" {
    check_silent_client_closed \
        "setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ...) with a struct timeval of -t seconds makes a recv() that waits that long fail." \
        "use the -t value for the timeout, counted from the client's last bytes." \
        "when recv() fails with errno EAGAIN or EWOULDBLOCK, the timeout has passed: log the Timed out line instead of perror(\"recv\")." \
        "a timeout is not an error of recv(): log it on stdout, as a Timed out line, not with perror()."
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

@test "-t takes a whole number of seconds: -t 3600 starts the server, -t soon is a usage error" {
    start_with 3600
    note "the server was started with -t 3600: it started"
    stop_server
    run timeout 5 "$PROGRAM" -t soon -p 0
    note "the server was started with -t soon"
    expect_status 2 "refuse a -t value that is not a whole number, as -p does: usage_error() exits 2."
}
