#!/usr/bin/env bats
# The exercises' checks are themselves checked: each must pass on its
# reference solution and fail on the unmodified step (the feature is missing
# there, so a check that passes would detect nothing).

bats_require_minimum_version 1.5.0
load helpers

# as_a_student COMMAND...: runs it without what the outer bats adds to the
# environment (its variables, and its internal folder first on PATH, where
# "bats" is not the real command): a student's shell has neither.
as_a_student() {
    local unset=() name path
    for name in $(compgen -e); do
        [[ $name == BATS_* && $name != BATS_TEST_TIMEOUT ]] && unset+=(-u "$name")
    done
    path=$(tr ':' '\n' <<<"$PATH" | grep -v bats-core | paste -sd:)
    env "${unset[@]}" PATH="$path" "$@"
}

# check_fails_on_step STEP N: "make step-NN exercise-N", as a student types it.
check_fails_on_step() {
    run as_a_student make -s -C "$REPO_ROOT" "step-${1%%-*}" "exercise-$2"
    assert_failure
    assert_output --partial "not ok 1 "
}

# check_passes_on_solution STEP N
check_passes_on_solution() {
    local solution=$REPO_ROOT/solutions/$1/exercise-$2
    [[ -d $REPO_ROOT/solutions ]] ||
        skip "solutions/ is not here (an instructor may have removed it): no solution to check"
    cc -std=c11 -Wall -Wextra -Wpedantic -Werror -pthread -o "$BATS_TEST_TMPDIR/program" "$solution"/*.c
    EXERCISE_PROGRAM=$BATS_TEST_TMPDIR/program run bats "$TESTS_DIR/exercises/$1/exercise-$2.bats"
    assert_success
}

@test "exercise 01-1 (upper case): fails on step 01" { check_fails_on_step 01-blocking-server 1; }
@test "exercise 01-1 (upper case): passes on its solution" { check_passes_on_solution 01-blocking-server 1; }
@test "exercise 01-2 (busy): fails on step 01" { check_fails_on_step 01-blocking-server 2; }
@test "exercise 01-2 (busy): passes on its solution" { check_passes_on_solution 01-blocking-server 2; }
@test "exercise 01-3 (idle timeout): fails on step 01" { check_fails_on_step 01-blocking-server 3; }
@test "exercise 01-3 (idle timeout): passes on its solution" { check_passes_on_solution 01-blocking-server 3; }
@test "exercise 02-1 (at most 3 clients): fails on step 02" { check_fails_on_step 02-threaded-server 1; }
@test "exercise 02-1 (at most 3 clients): passes on its solution" { check_passes_on_solution 02-threaded-server 1; }
@test "exercise 02-2 (broadcast): fails on step 02" { check_fails_on_step 02-threaded-server 2; }
@test "exercise 02-2 (broadcast): passes on its solution" { check_passes_on_solution 02-threaded-server 2; }
@test "exercise 02-3 (graceful shutdown): fails on step 02" { check_fails_on_step 02-threaded-server 3; }
@test "exercise 02-3 (graceful shutdown): passes on its solution" { check_passes_on_solution 02-threaded-server 3; }
@test "exercise 03-1 (lines from stdin): fails on step 03" { check_fails_on_step 03-client 1; }
@test "exercise 03-1 (lines from stdin): passes on its solution" { check_passes_on_solution 03-client 1; }
@test "exercise 03-2 (connect timeout): fails on step 03" { check_fails_on_step 03-client 2; }
@test "exercise 03-2 (connect timeout): passes on its solution" { check_passes_on_solution 03-client 2; }
@test "exercise 03-3 (retry with backoff): fails on step 03" { check_fails_on_step 03-client 3; }
@test "exercise 03-3 (retry with backoff): passes on its solution" { check_passes_on_solution 03-client 3; }

@test "make step-01 exercise-9 names the problem" {
    run -2 as_a_student make -s -C "$REPO_ROOT" step-01 exercise-9
    assert_output --partial "Step 01 has no exercise 9"
}
