#!/usr/bin/env bats
# Step 03, exercise 3: send each line of standard input (-i), printing each reply.
bats_require_minimum_version 1.5.0
load ../exercise

# client_lines LINE...: runs the client with -i -w 0, the lines on its stdin.
client_lines() {
    run --separate-stderr timeout 10 "$PROGRAM" -i -p "$PORT" -w 0 < <(printf '%s\n' "$@")
    expect_option_known "$status" -i
    ((status != 124)) ||
        fail "The client was still running after 10 s." \
            "the client waits for a reply to each line: an empty line sends no byte, so no reply comes; skip empty lines."
}

without_address() { sed -E 's/ from 127\.0\.0\.1:[0-9]+$//' <<<"$1"; }

@test "each line of standard input gets its own reply, in order" {
    start_server "$PYTHON" "$BATS_TEST_DIRNAME/server.py" echo
    local lines_in=() wanted=() i word
    for ((i = 0; i < 20; i++)); do
        word=$(random_word $((3 + RANDOM % 10)))
        lines_in+=("$word")
        wanted+=("[CONNECTION] Received \"$word\"")
        ((i != 9)) || lines_in+=("")
    done
    note "the client ran with -i against a server that replies as step 02 does; its standard input was 20 lines of random letters, and an empty line after the 10th: ${lines_in[*]}"
    client_lines "${lines_in[@]}"
    output=$(without_address "$output")
    expect "$(printf '%s\n' "${wanted[@]}")" \
        "send each line without its \\n, then read its whole reply line before you send the next: the server replies to each recv(), and lines sent together arrive together. Skip empty lines."
    expect_status 0
}

@test "a reply that arrives in pieces is read whole before the next line is sent" {
    start_server "$PYTHON" "$BATS_TEST_DIRNAME/server.py" slow
    local lines_in=() wanted=() i
    for i in 1 2 3 4; do
        lines_in+=("$(random_word)")
        wanted+=("[CONNECTION] Received \"${lines_in[-1]}\"")
    done
    note "the client ran with -i; its standard input: ${lines_in[*]}"
    note "the server replied as step 02 does, but sent each reply in 3 pieces, 0.1 s apart"
    client_lines "${lines_in[@]}"
    output=$(without_address "$output")
    expect "$(printf '%s\n' "${wanted[@]}")" \
        "one recv() can return part of a reply line: keep reading until the \\n before you send the next line, or the next lines arrive together."
}
