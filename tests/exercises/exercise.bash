# Loaded by every exercise check (load ../exercise). It needs bats alone, no
# bats library: a student checks an exercise with a C compiler, bats and
# python3, nothing more.
#
# An exercise is three files (NN-name is the step's folder, K its number):
#   steps/NN-name/README.md            the chapter states exercise K
#   tests/exercises/NN-name/exercise-K.bats   its check (this file's user)
#   instructor/solutions/NN-name/exercise-K.patch the reference solution: a unified diff
#                                      against steps/NN-name/server.c (or
#                                      client.c), paths a/steps/... b/steps/...
# A student runs "make step-NN exercise-K": it builds their steps/NN-name
# program and runs the check on it through tests/exercises/check, which shows
# each @test's name and, for a failed one, only what `fail` printed.
# tests/exercises.bats finds every check by its file name and proves it:
# it must fail on the unmodified step and pass once the patch is applied.
#
# A check file looks like this:
#   #!/usr/bin/env bats
#   # Step 01, exercise 1: reply in upper case.
#   bats_require_minimum_version 1.5.0
#   load ../exercise
#
#   @test "the reply shows what the client sent in upper case" {
#       start_server "$PROGRAM"
#       local word; word=$(random_word)
#       note "a client sent \"$word\" and read the reply"
#       run -0 peer exchange "$word"
#       output=${lines[1]%% from *}
#       expect "[CONNECTION] Received \"${word^^}\"" "change each letter with toupper()"
#   }
#
# What a check can use:
#   PROGRAM                  the program under check (EXERCISE_PROGRAM)
#   note TEXT                says in plain words what the check just did ("a
#                            client sent ..."); a failure lists every note
#   expect WANTED [HINT]     fails unless $output is exactly WANTED, showing
#                            the notes, expected/got, and HINT
#   expect_status N [HINT]   the same for $status (shows $output too)
#   fail MESSAGE [HINT]      fails with the notes, MESSAGE and HINT
#   expect_option_known STATUS OPTION
#                            fails in plain words if STATUS is a usage error
#   random_word [LENGTH]     random letters, so a hard-coded reply cannot pass
#   and everything in tests/lib/core.bash: start_server BINARY [ARGS],
#   stop_server [SIGNAL] (sets SERVER_STATUS), server_binary NN-name,
#   client_binary, peer COMMAND ARGS (tests/peer.py), wait_until SECONDS CMD,
#   wait_for_log REGEX [SECONDS], closed_port, SERVER_LOG, SERVER_PID, PORT.
# Write every failure through expect/fail: a bare command that fails shows up
# as "The check stopped at: COMMAND", which tells a student little.

# shellcheck source=tests/lib/core.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib/core.bash"

PROGRAM=${EXERCISE_PROGRAM:?set EXERCISE_PROGRAM to the program to check, or run: make step-NN exercise-K}

NOTES=()

# note TEXT: what the check did, in plain words, for a failure to show.
note() { NOTES+=("$1"); }

# fail MESSAGE [HINT]: prints what the check did, MESSAGE and HINT; fails.
fail() {
    {
        if ((${#NOTES[@]})); then
            printf 'What the check did:\n'
            printf '  - %s\n' "${NOTES[@]}"
            printf '\n'
        fi
        printf '%s\n' "$1"
        [[ -z ${2:-} ]] || printf '\nHint: %s\n' "$2"
    } >&2
    return 1
}

# indented TEXT: TEXT with each line indented, or "(nothing)".
indented() {
    [[ -n $1 ]] || { printf '  (nothing)'; return; }
    sed 's/^/  /' <<<"$1"
}

# expect WANTED [HINT]: fails unless $output is exactly WANTED.
expect() {
    [[ ${output-} == "$1" ]] && return 0
    local message
    message=$(printf 'Expected:\n%s\nGot:\n%s' "$(indented "$1")" "$(indented "${output-}")")
    if [[ $(printf '%s' "$1" | tr -d ' \t\r') == $(printf '%s' "${output-}" | tr -d ' \t\r') ]]; then
        message+=$'\n(They differ only in spaces, tabs or carriage returns.)'
    fi
    fail "$message" "${2:-}"
}

# expect_status N [HINT]: fails unless the last run's $status is N, showing
# what it printed. (Prefer "run CMD; expect_status N" to "run -N CMD": bats
# reports a failed "run -N" without its output.)
expect_status() {
    [[ ${status-} == "$1" ]] && return 0
    fail "$(printf 'Expected exit status %s, got %s. It printed:\n%s' "$1" "${status:-none}" "$(indented "${output-}")")" "${2:-}"
}

# expect_option_known STATUS OPTION: a usage error (2) means a missing option.
expect_option_known() {
    (($1 != 2)) ||
        fail "The program answered $2 with a usage error (exit status 2)." "add the $2 option first"
}

# start_with_option OPTION VALUE HINT: starts the student's server with
# OPTION VALUE, or fails with what it said on standard error, and HINT.
start_with_option() {
    PORT=
    start_server "$PROGRAM" "$1" "$2" 2>/dev/null || true
    { [[ -n $PORT ]] && server_alive; } ||
        fail "The server did not start with $1 $2. It said: $(cat "$SERVER_ERR")" "$3"
}

# random_word [LENGTH]: LENGTH (default 8) random letters, mixed case.
random_word() {
    local letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ word="" i
    for ((i = 0; i < ${1:-8}; i++)); do
        word+=${letters:RANDOM % ${#letters}:1}
    done
    printf '%s\n' "$word"
}

# check_busy_limit N: with N clients connected, one more gets "busy"; once
# one leaves, a newcomer is served.
check_busy_limit() {
    start_server "$PROGRAM"
    note "$1 client(s) connected and stayed, then one more connected"
    run -0 peer busy "$1"
    expect "the $1 allowed: replied
one more: got busy, then the connection closed
first, again: replied
a newcomer after one left: served"
}
