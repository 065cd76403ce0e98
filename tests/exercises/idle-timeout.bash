# Loaded by the checks of the idle-timeout exercises, steps 02 and 05
# (load ../idle-timeout, after load ../exercise): the server's -t SECONDS
# option, and the check both make of a client that falls silent. Each step's
# clients.py has an idle scenario that prints the same lines.
#
# The check file sets T_OPTION_HINT: what to say when the server does not
# start with -t.

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

# start_with SECONDS: starts the server with -t SECONDS, or fails saying why.
start_with() {
    PORT=
    start_server "$PROGRAM" -t "$1" 2>/dev/null || true
    { [[ -n $PORT ]] && server_alive; } ||
        fail "The server did not start with -t $1. It said: $(cat "$SERVER_ERR")" "$T_OPTION_HINT"
}

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
