# The helpers' core: starting and stopping servers on ephemeral ports,
# bounded polling, and reading /proc. It loads no bats library, so the
# exercise checks (tests/exercises/exercise.bash) can use it on a machine
# with bats alone; tests/helpers.bash adds bats-support and bats-assert for
# the main suite.
#
# STEPS_ROOT (default: the repository's steps/) says where the binaries are,
# so make check can run the same tests against sanitizer builds.

# Found from this file, so that test files in any folder can load it.
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$TESTS_DIR/.." && pwd)
STEPS_ROOT=$(cd "${STEPS_ROOT:-$REPO_ROOT/steps}" && pwd)
# The system's python3: a version manager's shim can take 0.4 s to start.
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

server_binary() { echo "$STEPS_ROOT/$1/server"; }
client_binary() { echo "$STEPS_ROOT/03-client/client"; }

# now_ms: the time in milliseconds, for deadlines.
now_ms() {
    local now=${EPOCHREALTIME/./}
    echo $((now / 1000))
}

# wait_until SECONDS COMMAND...: runs COMMAND every 20 ms until it succeeds;
# fails if SECONDS pass first.
wait_until() {
    local deadline=$(($(now_ms) + $1 * 1000))
    shift
    until "$@"; do
        (($(now_ms) < deadline)) || return 1
        sleep 0.02
    done
}

server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }
server_gone() { ! server_alive; }

log_has() { grep -qE -- "$1" "$SERVER_LOG"; }

# wait_for_log REGEX [SECONDS]: waits until the server's stdout has a
# matching line. Fails at once if the server has exited.
wait_for_log() {
    local pattern=$1 seconds=${2:-5}
    # "|| true": under bats' errexit a timeout here would end the function
    # before it can say what it waited for; the check below decides.
    wait_until "$seconds" log_has_or_server_gone "$pattern" || true
    log_has "$pattern" || {
        echo "expected a server log line matching '$pattern' within $seconds s" >&2
        echo "--- server stdout:" >&2; cat "$SERVER_LOG" >&2
        echo "--- server stderr:" >&2; cat "$SERVER_ERR" >&2
        return 1
    }
}
log_has_or_server_gone() { log_has "$1" || server_gone; }

# start_server BINARY [ARGS...]: starts it on port 0 (unless ARGS name a
# port) with fd 3 closed, so bats never waits on it, then sets SERVER_PID and
# PORT from its Listening line.
start_server() {
    SERVER_LOG=$BATS_TEST_TMPDIR/server.out
    SERVER_ERR=$BATS_TEST_TMPDIR/server.err
    local port_option=(-p 0)
    [[ " $* " == *" -p "* ]] && port_option=()
    # Job control (set -m) puts the server in its own process group, as a
    # terminal would, and keeps SIGINT at its default: without it, bash starts
    # background commands with SIGINT ignored, and Ctrl-C could not be tested.
    # But a shell cannot undo an ignore it inherited (a suite started in the
    # background, as "cmd &" does, inherits SIGINT ignored): env resets it.
    set -m
    env --default-signal=INT "$@" "${port_option[@]}" >"$SERVER_LOG" 2>"$SERVER_ERR" 3>&- &
    SERVER_PID=$!
    set +m
    wait_for_log '^\[INFO\] Listening on .*:[0-9]+$'
    PORT=$(sed -nE 's/^\[INFO\] Listening on .*:([0-9]+)$/\1/p' "$SERVER_LOG")
}

# stop_server [SIGNAL]: signals the server (TERM by default), waits up to
# 5 s for it to exit, kills it if it has not, and sets SERVER_STATUS.
stop_server() {
    [[ -n ${SERVER_PID:-} ]] || return 0
    kill -"${1:-TERM}" "$SERVER_PID" 2>/dev/null || true
    if ! wait_until 5 server_gone; then
        echo "the server did not exit within 5 s of SIG${1:-TERM}; killing it" >&2
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_STATUS=0
    wait "$SERVER_PID" || SERVER_STATUS=$?
    SERVER_PID=
}

# Fails if a sanitizer reported anything on the server's stderr.
assert_no_sanitizer_report() {
    [[ -f ${SERVER_ERR:-} ]] || return 0
    if grep -qE 'Sanitizer|runtime error:' "$SERVER_ERR"; then
        echo "--- a sanitizer reported, on the server's stderr:" >&2
        cat "$SERVER_ERR" >&2
        return 1
    fi
}

# The default teardown: stop the server, then look for sanitizer reports.
teardown() {
    stop_server
    assert_no_sanitizer_report
}

peer() { "$PYTHON" "$TESTS_DIR/peer.py" "$1" "$PORT" "${@:2}"; }

open_descriptors() { find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
thread_count() { awk '/^Threads:/ { print $2 }' "/proc/$SERVER_PID/status"; }

# start_server_warm BINARY: start_server, then one exchange, so that counts
# taken afterwards include what a runtime starts lazily (TSan starts a thread
# of its own with the first client thread).
start_server_warm() {
    start_server "$@"
    peer exchange >/dev/null
}

# descriptors_are N / threads_are N: true when the server's count is N.
descriptors_are() { [[ $(open_descriptors) -eq $1 ]]; }
threads_are() { [[ $(thread_count) -eq $1 ]]; }

# A port nothing listens on: bind to port 0, note the port, close.
closed_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
