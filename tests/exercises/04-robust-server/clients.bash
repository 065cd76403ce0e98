# Loaded by the step 04 exercise checks (load clients), after ../exercise:
# clients.py's scenarios, in the foreground or held in the background.

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

# start_clients NAME SCENARIO ARGS...: runs clients.py SCENARIO in the
# background, its output in $BATS_TEST_TMPDIR/NAME.out, its standard input a
# FIFO that the check keeps open ("tell NAME" sends it commands): the hold
# and fill scenarios keep their clients until it closes.
BACKGROUND_PIDS=()
declare -gA INPUTS=() RUNNING=()
start_clients() {
    local name=$1 fifo=$BATS_TEST_TMPDIR/$1.in fd
    shift
    mkfifo "$fifo"
    clients "$@" <"$fifo" >"$BATS_TEST_TMPDIR/$name.out" 2>&1 3>&- &
    BACKGROUND_PIDS+=($!)
    RUNNING[$name]=$!
    # Opening the FIFO for writing lets the reader's open go on.
    exec {fd}>"$fifo"
    INPUTS[$name]=$fd
}

# tell NAME COMMAND: sends a command to the clients NAME.
tell() { echo "$2" >&"${INPUTS[$1]}"; }

# said NAME TEXT: whether the background clients NAME printed a line
# starting with TEXT. clients_said NAME: all they printed.
said() { grep -q -- "^$2" "$BATS_TEST_TMPDIR/$1.out" 2>/dev/null; }
said_or_ended() { said "$@" || ! kill -0 "${RUNNING[$1]}" 2>/dev/null; }
clients_said() { cat "$BATS_TEST_TMPDIR/$1.out" 2>/dev/null; }

# await NAME TEXT SECONDS: waits for the background clients NAME to print a
# line starting with TEXT; fails, showing what they printed, if they do not
# within SECONDS or stop first.
await() {
    wait_until "$3" said_or_ended "$1" "$2" || true
    said "$1" "$2" && return 0
    fail "The clients did not say \"$2...\" (the check waited up to $3 s). What they said:
$(indented "$(clients_said "$1")")" "${4:-}"
}

disconnected_lines() { grep -c '^\[CONNECTION\] Disconnected' "$SERVER_LOG" || true; }
has_disconnected_lines() { (($(disconnected_lines) >= $1)); }

teardown() {
    local pid fd
    for fd in "${INPUTS[@]}"; do exec {fd}>&-; done
    for pid in "${BACKGROUND_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    stop_server
    assert_no_sanitizer_report
}
