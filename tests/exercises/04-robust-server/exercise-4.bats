#!/usr/bin/env bats
# Step 04, exercise 4: at the cap, tell newcomers "busy" instead of leaving
# them waiting, without a thread for them and without losing the "busy" to a
# reset. The refused clients include step 03's client, as a user would run it.
bats_require_minimum_version 1.5.0
load ../exercise
load clients

# start_at_cap CAP: starts the server with -c CAP, then CAP clients connect,
# are served and stay. Sets CLIENT (the step 03 client) and THREADS (the
# server's threads then).
start_at_cap() {
    local cap=$1 words=() i
    CLIENT=$(client_binary)
    [[ -x $CLIENT ]] || fail "The step 03 client ($CLIENT) is not built." "run make first."
    PORT=
    start_server "$PROGRAM" -c "$cap" 2>/dev/null || true
    { [[ -n $PORT ]] && server_alive; } ||
        fail "The server did not start with -c $cap. It said:
$(indented "$(cat "$SERVER_ERR")")" \
            "this exercise builds on exercise 2: add its -c option first."
    note "the server was started with -c $cap"
    for ((i = 0; i < cap; i++)); do words+=("$(random_word)"); done
    start_clients held hold "${words[@]}"
    await held "held $cap" 10 "with -c $cap, $cap clients must be served as before."
    note "$cap client(s) connected, each sent a random word, got its reply and stayed connected"
    THREADS=$(thread_count)
}

busy_lines() { grep -c '^\[CONNECTION\] Busy: refused 127\.0\.0\.1:[0-9]*$' "$SERVER_LOG" || true; }
has_busy_lines() { (($(busy_lines) >= $1)); }
threads_are_down_to() { [[ $(thread_count) -le $1 ]]; }

# step03 SECONDS ARGS...: runs the step 03 client for at most SECONDS.
step03() {
    local seconds=$1
    shift
    timeout "$seconds" "$CLIENT" -p "$PORT" "$@" 2>&1
}

@test "at the cap, a step 03 client gets \"busy\" and ends normally; the others are served; a place freed is given" {
    local cap=$((1 + RANDOM % 3)) word
    start_at_cap "$cap"
    word=$(random_word)
    note "then a step 03 client ran: client -m $word -w 1 (it sends $word, waits 1 s, shuts down its sending side, prints what it reads)"
    run step03 4 -m "$word" -w 1
    expect "busy" \
        "with $cap clients served, the next must get the line \"busy\" and nothing else. If it got nothing (and the check waited): main() still waits, in wait_for_clients_below(), with the newcomers in the queue; accept them, and refuse those that come at the cap. If it said \"shutdown: Transport endpoint is not connected\" or \"Connection reset by peer\": closing a socket with unread input sends a reset (RST), and the client fails before it reads your \"busy\". After sending busy, shutdown(fd, SHUT_WR), then read and drop what the client sends until recv() returns 0, and only then close."
    expect_status 0 "the refused client should end normally, after printing busy."
    output=$(busy_lines)
    expect 1 "log each refused client once, as [CONNECTION] Busy: refused IP:PORT."

    word=$(random_word)
    tell held "ask $word"
    note "then each of the $cap served clients sent \"$word\""
    await held "asked" 10
    output=$(clients_said held | tail -n 1)
    expect "asked: all $cap replied" "the clients that have a place are served as before."

    tell held leave
    note "then one of them left"
    await held "left" 5
    # Its thread counts itself out after its last line: wait for it to end.
    wait_until 5 threads_are_down_to $((THREADS - 1)) ||
        fail "The leaving client's thread had not ended 5 s after it left."
    word=$(random_word)
    note "then a step 03 client ran: client -m $word -w 0"
    run step03 10 -m "$word" -w 0
    output=${output% from *}
    expect "[CONNECTION] Received \"$word\"" \
        "once a client leaves, its place is free: the next newcomer is served, not refused."
}

@test "a refused client gets no thread; one slow to send still gets \"busy\" and a normal end" {
    local cap=$((1 + RANDOM % 3)) word
    start_at_cap "$cap"
    word=$(random_word)
    start_clients slow slow "$word" 0.4
    note "then one more client connected, waited 0.4 s, sent $word, waited 0.4 s, shut down its sending side (shutdown(SHUT_WR)) and read until the end"
    await slow "sent" 5
    local threads
    threads=$(thread_count)
    note "when it sent $word, the check counted the server's threads"
    output="$threads threads"
    expect "$THREADS threads" \
        "the cap is on threads: a refused client must not get one, even for a moment. Let the main thread, which accepted it, refuse it. Then refusing must not keep the main thread for long (the next test)."
    await slow "got\|could not" 5
    output=$(clients_said slow | tail -n 1)
    expect 'got "busy\n", then the end of the stream' \
        "the client's bytes may arrive after you accepted it: a recv() that finds nothing yet does not mean it has finished. If you close while it still sends, the kernel answers with a reset. After shutdown(fd, SHUT_WR), wait for its bytes with poll() and read them, until recv() returns 0 (its end), for at most 1 s."
}

@test "a refused client that never finishes holds the server up 1 s at most" {
    local cap=$((1 + RANDOM % 3)) word started elapsed
    start_at_cap "$cap"
    start_clients trickler trickle 8
    note "then one more client, A, connected, and sent a byte every 0.4 s for 8 s, never shutting down its side"
    await trickler "connected" 5
    wait_until 5 has_busy_lines 1 || true
    word=$(random_word)
    note "just after, a step 03 client, B, ran: client -m $word -w 0"
    started=$(now_ms)
    run step03 5 -m "$word" -w 0
    elapsed=$(($(now_ms) - started))
    local hint="a client that never ends its side must not hold the main thread for ever. Give it 1 s in all: compute the deadline once, and before each poll() pass it the time left (poll() that waits 1 s each time waits for ever for a client that sends a byte every 0.4 s). At the deadline, close it anyway."
    ((status != 124)) ||
        fail "B had no answer 5 s later (expected one within 1 s, and the check allows 3): the server was waiting for A all that time, and accepted nobody." "$hint"
    expect "busy" "B too comes at the cap, and must get busy."
    ((elapsed <= 3000)) ||
        fail "B got its answer after $((elapsed / 1000)).$((elapsed / 100 % 10)) s (expected 1 s at most, and the check allows 3): the server was waiting for A all that time, and accepted nobody." "$hint"
    await trickler "got" 5
    output=$(clients_said trickler | sed -n 2p)
    expect 'got "busy\n", then the end of the stream' \
        "A too must get busy, then the end of the stream: your shutdown(fd, SHUT_WR)."
}
