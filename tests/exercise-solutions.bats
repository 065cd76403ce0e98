#!/usr/bin/env bats
# Every exercise's check passes on a copy of its step with its reference
# solution, instructor/solutions/NN-name/exercise-K.patch, applied. (The other half,
# every check failing on the step as it is, and the machinery's own tests,
# are in exercises.bats; this loop has a file of its own so that make test
# runs both loops at the same time.)

bats_require_minimum_version 1.5.0
load helpers
load lib/exercises

# The loop runs every exercise's check, four at a time.
BATS_TEST_TIMEOUT=180

# Built once here, so the checks that run in parallel find every program up
# to date and never build the same one at once.
setup_file() { make -s --no-print-directory -C "$REPO_ROOT" all; }

@test "exercises: every check passes on its step with instructor/solutions/NN-name/exercise-K.patch applied" {
    [[ -d $REPO_ROOT/instructor/solutions ]] ||
        skip "instructor/solutions/ is not here (an instructor may have removed it): no reference solution to check"
    local report=() status=0
    run verify_every_patch_has_a_check "$REPO_ROOT"
    ((status == 0)) || report+=("$output")
    run for_each_check "$REPO_ROOT" verify_passes_with_patch
    ((status == 0)) || report+=("$output")
    ((${#report[@]} == 0)) || fail "$(printf '%s\n\n' "${report[@]}")"
}
