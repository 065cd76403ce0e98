#!/usr/bin/env bats
# Step 04, exercise 3: on SIGUSR1, say how many clients there are, and go on.
bats_require_minimum_version 1.5.0
load ../exercise
load clients

clients_lines() { grep -c '^\[INFO\] Clients' "$SERVER_LOG" || true; }
has_clients_lines() { (($(clients_lines) >= $1)); }
has_clients_lines_or_gone() { has_clients_lines "$1" || server_gone; }
threads_are_down_to() { [[ $(thread_count) -le $1 ]]; }

# hush / unhush: should SIGUSR1 kill the server, bash would announce it on
# standard error ("12345 User defined signal 1 ..."), at a moment of its
# choosing, in the middle of what a student reads. Between hush and unhush,
# such notices go to a file; fail_if_gone says it in plain words instead.
hush() { exec {STDERR_COPY}>&2 2>>"$BATS_TEST_TMPDIR/bash-notices"; }
unhush() { exec 2>&"$STDERR_COPY" {STDERR_COPY}>&-; }

# fail_if_gone: unhushes; fails, saying how, if the server has exited.
fail_if_gone() {
    server_gone || { unhush; return 0; }
    stop_server # reaps it: bash's notice, if any, is written by now
    unhush
    status=$SERVER_STATUS output=$(tail -n 3 "$SERVER_LOG")
    if ((status == 138)); then
        fail "The server died of SIGUSR1 (exit status 138, that is 128 + 10, SIGUSR1's number)." \
            "a signal with no handler kills the process: install one for SIGUSR1 with sigaction(), as handle_signals() does for SIGINT and SIGTERM."
    fi
    if grep -q "Interrupted system call" "$SERVER_ERR"; then
        fail "The server exited, with status $status, after: $(tail -n 1 "$SERVER_ERR")" \
            "SA_RESTART does not restart poll(): a signal handled while main() waits in poll() makes it fail with EINTR. Call poll() again in that case, as wait_for() does."
    fi
    fail "The server exited, with status $status, instead of reporting. Its last lines:
$(indented "$output")" \
        "SIGUSR1 must not stop the server. Its byte cannot go into the stop pipe: every thread stops once that pipe is readable. Give SIGUSR1 a pipe of its own."
}

# report_shows N LINE HINT: after a SIGUSR1, the Nth "[INFO] Clients" line
# comes within 3 s, and it is LINE; and no other comes within 0.5 s.
report_shows() {
    local n=$1 wanted=$2 hint=$3
    hush
    kill -USR1 "$SERVER_PID"
    wait_until 3 has_clients_lines_or_gone "$n" || true
    fail_if_gone
    if ! has_clients_lines "$n"; then
        output=$(tail -n 3 "$SERVER_LOG")
        fail "No \"[INFO] Clients\" line came within 3 s of the SIGUSR1. The server's last lines:
$(indented "$output")" \
            "while it waits, the main thread sleeps in poll(): a handler that only sets a flag does not wake it (the chapter's \"why a flag is not enough\"). Have the handler write a byte into a pipe of its own, and have the main thread's poll() watch that pipe too, beside the listening socket and the stop pipe."
    fi
    sleep 0.5
    local more=$(($(clients_lines) - n))
    output=$(grep '^\[INFO\] Clients' "$SERVER_LOG" | tail -n +"$n" | head -n 3)
    ((more <= 2)) || output+=$'\n'"(and $((more - 2)) more lines like these)"
    expect "$wanted" "$hint"
}

@test "SIGUSR1: [INFO] Clients: CONNECTED connected, ALL since start; again after one leaves" {
    local gone=$((1 + RANDOM % 4)) held=$((2 + RANDOM % 3)) words=() i
    start_server "$PROGRAM"
    for ((i = 0; i < gone; i++)); do words+=("$(random_word)"); done
    note "$gone client(s) came one after the other, each sent a word, read the reply and left"
    run clients exchanges "${words[@]}"
    expect "all $gone clients got their reply" "serve clients as the step does."
    wait_until 5 has_disconnected_lines "$gone" || fail "The server did not log $gone Disconnected lines within 5 s."
    words=()
    for ((i = 0; i < held; i++)); do words+=("$(random_word)"); done
    start_clients held hold "${words[@]}"
    await held "held $held" 10
    note "then $held clients connected, each sent a word, read the reply and stayed connected"
    note "then the check sent SIGUSR1 to the server (kill -USR1 $SERVER_PID)"
    report_shows 1 "[INFO] Clients: $held connected, $((gone + held)) since start" \
        "count the clients that have a thread now (client_count, read under clients_lock, since client threads change it) and all those that have had one since the start; print one line for each SIGUSR1. If the line came several times: read the byte the handler wrote, or the pipe stays readable and poll() wakes up again at once."

    tell held leave
    wait_until 5 has_disconnected_lines $((gone + 1)) || fail "The server did not log the leaving client's Disconnected line within 5 s."
    # The thread counts itself out just after its last line: wait for it to end.
    wait_until 5 threads_are_down_to "$held" || true
    note "then one of the $held held clients left, and the check sent SIGUSR1 again"
    report_shows 2 "[INFO] Clients: $((held - 1)) connected, $((gone + held)) since start" \
        "read the count anew for each report; \"since start\" never goes down."

    local word
    word=$(random_word)
    note "then a new client sent \"$word\""
    run clients exchanges "$word"
    expect "all 1 clients got their reply" "after a report, the server goes on serving clients."
}

@test "SIGUSR1 while a client talks disturbs no one, and Ctrl-C still stops the server" {
    local words=() i
    start_server "$PROGRAM"
    for ((i = 0; i < 12; i++)); do words+=("$(random_word)"); done
    start_clients talker talk 0.2 "${words[@]}"
    note "a client sent 12 random words, 0.2 s apart, reading each reply"
    note "meanwhile the check sent SIGUSR1 three times, 0.5 s apart"
    hush
    for i in 1 2 3; do
        sleep 0.5
        kill -USR1 "$SERVER_PID" 2>/dev/null || true
    done
    sleep 0.2
    fail_if_gone
    await talker "all 12 words" 10 "a SIGUSR1 must change nothing for the clients: only the main thread needs to hear it."
    local count hint="one \"[INFO] Clients\" line per SIGUSR1, each within a moment of its signal."
    count=$(clients_lines)
    ((count < 3)) || hint+=" More: read what the handler wrote into the pipe, or poll() finds it readable again at once, and again."
    ((count > 0)) || hint+=" None: the main thread sleeps in poll(), and must be woken by a byte in a pipe that poll() watches; a flag wakes nobody."
    output="$count lines"
    expect "3 lines" "$hint"
    kill -INT "$SERVER_PID"
    note "then the check sent SIGINT (Ctrl-C)"
    wait_until 5 server_gone || fail "The server was still running 5 s after SIGINT." \
        "the stop pipe must stay as it was: nobody reads it, and every wait watches it."
    stop_server
    status=$SERVER_STATUS output=$(tail -n 3 "$SERVER_LOG")
    expect_status 0 "a stop ends the server with status 0, as before."
    output=$(tail -n 1 "$SERVER_LOG")
    expect "[INFO] Shutting down" "a stop ends the server as before."
}
