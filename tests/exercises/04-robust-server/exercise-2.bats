#!/usr/bin/env bats
# Step 04, exercise 2: the cap on client threads as an option, -c MAX.
bats_require_minimum_version 1.5.0
load ../exercise
load clients

# start_with ARGS...: starts the server with ARGS, or fails saying why.
start_with() {
    PORT=
    start_server "$PROGRAM" "$@" 2>/dev/null || true
    { [[ -n $PORT ]] && server_alive; } ||
        fail "The server did not start with $*. It said:
$(indented "$(cat "$SERVER_ERR")")" \
            "add the -c option to getopt()'s list (\"c:\": it takes a value), and read its value as -p's is read."
}

# fills_up_to MAX HINT ARGS...: with the server started with ARGS, exactly
# MAX clients are served at once (or HINT); the next one waits, and is served
# once one of them leaves. The clients are "fillMAX" (start_clients).
fills_up_to() {
    local max=$1 hint=$2 name=fill$1
    shift 2
    start_with "$@"
    note "the server was started ${*:+with }${*:-without options}"
    start_clients "$name" fill $((max + 3))
    note "clients connected one after another, each sending a word while all the earlier ones stayed connected, until one got no reply within 1 s"
    await "$name" "[0-9]* clients served at once" 20
    output=$(clients_said "$name")
    expect "$max clients served at once; the next one got no reply within 1 s" "$hint"
    tell "$name" leave
    note "then the first client left"
    await "$name" "after one left" 10
    output=$(clients_said "$name" | tail -n 1)
    expect "after one left, the one waiting was served" \
        "a client that leaves counts itself out (count_clients(-1)), which wakes the main thread: keep that as it is."
}

# end_fill MAX: the clients "fillMAX" leave, and the server stops.
end_fill() {
    local fd=${INPUTS[fill$1]}
    exec {fd}>&-
    unset "INPUTS[fill$1]"
    kill "${RUNNING[fill$1]}" 2>/dev/null || true
    stop_server
}

@test "with -c MAX (MAX from 1 to 5), MAX clients are served at once, one more waits until one leaves; without -c, 512" {
    local max=$((1 + RANDOM % 5))
    fills_up_to "$max" "main() waits with wait_for_clients_below() until fewer than the cap have a thread: give it the -c value instead of MAX_CLIENTS. With -c N, N clients are served, and client N + 1 waits." -c "$max"
    end_fill "$max"
    note "then those clients left, and the server was stopped"
    fills_up_to 512 "without -c, the cap stays MAX_CLIENTS (512): give the variable that value before getopt() reads the options."
}

@test "-c takes a whole number from 1 to 10000, nothing else; -h shows it" {
    local value hint
    for value in 0 10001 "$((2 + RANDOM % 8))x" -3 " 4" ""; do
        note "the server was started with -c \"$value\" (and -p 0)"
        # -k: a server stuck where no stop reaches it ignores timeout's SIGTERM.
        run timeout -k 1 3 "$PROGRAM" -c "$value" -p 0
        case $value in
        0) hint="refuse 0: with -c 0, wait_for_clients_below(0) never returns, and main() would sleep on the condition variable for ever, deaf even to Ctrl-C." ;;
        10001) hint="refuse a value above 10000, as -p refuses a port above 65535." ;;
        *) hint="refuse a value that is not a whole number, as -p does: strtol() alone takes \" 4\" and \"-3\", and stops at the x of \"5x\" without a word; test its end pointer and the first character." ;;
        esac
        ((status != 124 && status != 137)) || output="(nothing: it was still running after 3 s)"
        expect_status 2 "$hint"
    done
    run timeout -k 1 3 "$PROGRAM" -h
    note "the server was started with -h"
    [[ $output =~ (^|$'\n')\ +-c\  ]] ||
        fail "Its help has no line for -c. It printed:
$(indented "$output")" "add a line for -c to usage_text, in the style of -p's, and [-c max] to its first line."
}
