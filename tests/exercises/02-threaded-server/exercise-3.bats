#!/usr/bin/env bats
# Step 02, exercise 3: serve at most 3 clients at once; tell one more "busy".
# The clients are step 03's: a "busy" lost to a connection reset shows there.
bats_require_minimum_version 1.5.0
load ../exercise

HOLDERS=()

teardown() {
    local pid
    for pid in "${HOLDERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    stop_server
    assert_no_sanitizer_report
}

connected_lines() { grep -c '^\[CONNECTION\] Connected to' "$SERVER_LOG"; }
has_connected_lines() { (($(connected_lines) >= $1)); }
holders_gone() {
    local pid
    for pid in "${HOLDERS[@]}"; do ! kill -0 "$pid" 2>/dev/null || return 1; done
}

# reply_of FILE: a client's output, without the " from IP:PORT" of its reply.
reply_of() { sed -E 's/ from 127\.0\.0\.1:[0-9]+$//' "$1"; }

@test "with 3 clients served, a 4th gets \"busy\" at once; the 3 are served; then a newcomer is" {
    local client words=() i
    client=$(client_binary)
    [[ -x $client ]] || fail "The step 03 client ($client) is not built." "run make first."
    start_server "$PROGRAM"
    for i in 0 1 2; do
        words+=("$(random_word)")
        timeout 15 "$client" -p "$PORT" -m "${words[i]}" -w 5 >"$BATS_TEST_TMPDIR/holder$i" 2>&1 3>&- &
        HOLDERS+=($!)
    done
    note "three step 03 clients connected, sent ${words[*]}, and waited 5 s before reading"
    wait_until 5 has_connected_lines 3 ||
        fail "The server logged $(connected_lines) \"[CONNECTION] Connected to\" lines within 5 s of the three clients' arrival; expected 3." \
            "a client that gets a place is logged as before: Connected to, its replies, Disconnected from."

    local fourth
    fourth=$(random_word)
    note "while they waited, a 4th client (client -m $fourth -w 1) connected, sent $fourth, waited 1 s, then read"
    run timeout 10 "$client" -p "$PORT" -m "$fourth" -w 1
    expect "busy" \
        "with 3 clients being served, the 4th must get the line \"busy\" and nothing else. If it said \"Transport endpoint is not connected\" or \"Connection reset by peer\": closing a connection whose request you have not read makes the kernel send a reset (RST) instead of the usual end of stream, and the client fails before it prints your \"busy\". Send it, call shutdown(fd, SHUT_WR), recv() until it returns 0, then close."
    expect_status 0 "the 4th client should end normally, after printing busy."

    wait_until 12 holders_gone || fail "The first three clients had not finished 12 s after they started."
    output=$(for i in 0 1 2; do printf 'client %d: %s\n' $((i + 1)) "$(reply_of "$BATS_TEST_TMPDIR/holder$i")"; done)
    expect "client 1: [CONNECTION] Received \"${words[0]}\"
client 2: [CONNECTION] Received \"${words[1]}\"
client 3: [CONNECTION] Received \"${words[2]}\"" \
        "the three clients that got a place should be served as usual, while others are refused."

    local newcomer
    newcomer=$(random_word)
    note "once the three had left, a newcomer connected and sent $newcomer"
    run timeout 10 "$client" -p "$PORT" -m "$newcomer" -w 0
    output=${output% from *}
    expect "[CONNECTION] Received \"$newcomer\"" \
        "when a served client leaves, give its place back (under the mutex): a newcomer then has a free place."
}
