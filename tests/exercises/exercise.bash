# Loaded by every exercise check. EXERCISE_PROGRAM is the program to check:
# "make step-NN exercise-K" sets it to your build of that step.
load ../../helpers

PROGRAM=${EXERCISE_PROGRAM:?set EXERCISE_PROGRAM to the program to check, or run: make step-NN exercise-K}

# expect WHAT: fails with a message for a learner unless $output is WHAT.
expect() {
    [[ $output == "$1" ]] && return 0
    fail "$(printf 'expected:\n%s\n\ngot:\n%s' "$1" "${output:-nothing}")"
}

# expect_option_known STATUS OPTION: a usage error (2) means a missing option.
expect_option_known() {
    ((status != 2)) || fail "the program answered '$2' with a usage error (status 2): add the $2 option first"
}

# check_busy_limit N: with N clients connected, one more gets "busy"; once
# one leaves, a newcomer is served.
check_busy_limit() {
    start_server "$PROGRAM"
    run -0 peer busy "$1"
    expect "the $1 allowed: replied
one more: got busy, then the connection closed
first, again: replied
a newcomer after one left: served"
}
