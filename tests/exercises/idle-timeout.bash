# Loaded by the checks of the idle-timeout exercises, steps 02, 05, 06 and
# 07 (load ../idle-timeout, after load ../exercise): the server's -t SECONDS
# option, and the check steps 02 to 06 make of a client that falls silent;
# then the checks steps 05 and 06 share, one event loop timing every client.
# Step 07's checks, over WebSocket, use only the first part. Each
# step's clients.py has the scenarios they run (05's, which 06's reuses),
# printing the same lines.
#
# T_OPTION_HINT: what to say when the server does not start with -t. It is
# the hint of steps 05 and 06, whose -t takes 0 to 3600 (check_t_from_0_to_3600);
# step 02's check file sets its own.
T_OPTION_HINT="add the -t option, parsed as -p is: a whole number of seconds, from 0 to 3600."

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

# start_with SECONDS: starts the server with -t SECONDS, or fails saying why.
start_with() { start_with_option -t "$1" "$T_OPTION_HINT"; }

has_disconnected_line() { grep -q '^\[CONNECTION\] Disconnected' "$SERVER_LOG"; }

# check_silent_client_closed NOT_CLOSED LATE NOT_LOGGED ON_STDERR: with -t 1,
# a client says a word, reads the reply and falls silent. The server must
# close it after about 1 s, log why (Timed out, then Disconnected), and print
# nothing on standard error. Each argument is the hint for the failure it
# names: not closed, closed too early or too late, not logged so, something
# on standard error.
check_silent_client_closed() {
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
        fail "The server did not close the connection: $closed." "$1"
    local tenths=$((BASH_REMATCH[1] * 10 + BASH_REMATCH[2]))
    ((tenths >= 8 && tenths <= 25)) ||
        fail "The server closed the connection ${closed#closed }: expected about 1 s (from 0.8 to 2.5 s) with -t 1." "$2"
    wait_until 3 has_disconnected_line || true
    output=$(grep -E '^\[CONNECTION\] (Timed out|Disconnected)' "$SERVER_LOG")
    expect "[CONNECTION] Timed out waiting for $client
[CONNECTION] Disconnected from $client" "$3"
    output=$(cat "$SERVER_ERR")
    expect "" "$4"
}

# --- One event loop, every client's own deadline (steps 05 and 06) -----------------

# check_each_silent_client_on_its_own_time HINT
check_each_silent_client_on_its_own_time() {
    start_with 2
    note "the server was started with -t 2"
    note "client A sent a word, read the reply and fell silent; 1.5 s later, client B did the same"
    note "\"about 2 s\" means from 1.7 to 2.8 s, counted from each client's own last word"
    note "meanwhile the check read the server's CPU time in /proc/$SERVER_PID/stat"
    run clients two-silent "$SERVER_PID" 2 1.5
    expect "A: closed after about 2 s of silence
B: closed after about 2 s of silence
meanwhile the server used under 0.1 s of CPU" "$1"
}

# check_silent_client_closed_beside_talker HINT
check_silent_client_closed_beside_talker() {
    start_with 2
    note "the server was started with -t 2"
    note "client A sent a word, read the reply and fell silent; meanwhile client B sent a word every 0.3 s for 3.5 s, reading each reply"
    note "\"about 2 s\" means from 1.7 to 2.8 s after A's word"
    run clients talker 2 0.3 3.5
    expect "A: closed after about 2 s of silence
B, talking every 0.3 s for 3.5 s: every word got its reply" "$1"
}

# check_server_sleeps_while_waiting SCENARIO HINT [ALSO_READ ALSO_SEEN]: the
# test has started the server with -t 5 (start_with 5). One client falls
# silent until the server closes it; meanwhile the server must sleep.
# SCENARIO (sleeping, or a step's own) may also read what ALSO_READ says (the
# end of a note), and then print ALSO_SEEN.
check_server_sleeps_while_waiting() {
    note "the server was started with -t 5"
    note "a client sent a word, read the reply and fell silent, until the server closed it"
    note "meanwhile the check read the server's CPU time and its count of voluntary context switches (each time it went to sleep) in /proc/$SERVER_PID/stat and /proc/$SERVER_PID/status${3:-}"
    run clients "$1" "$SERVER_PID" 5
    expect "closed after about 5 s
meanwhile the server used under 0.1 s of CPU
and woke up at most 3 times${4:+
$4}" "$2"
}

# check_zero_means_no_timeout HINT
check_zero_means_no_timeout() {
    start_with 0
    local word
    word=$(random_word)
    note "the server was started with -t 0"
    note "a client sent \"$word\", read the reply, then stayed silent for 2 s"
    run clients idle "$word" 2
    output=${lines[2]:-}
    expect "still open after 2 s" "$1"
}

check_t_from_0_to_3600() {
    local value
    start_with 3600
    note "the server was started with -t 3600: it started"
    stop_server
    for value in soon 3601 -1; do
        note "the server was started with -t $value"
        run timeout 5 "$PROGRAM" -p 0 -t "$value"
        expect_status 2 "refuse a -t value that is not a whole number from 0 to 3600, as -p refuses a bad port: usage_error() exits 2."
    done
}
