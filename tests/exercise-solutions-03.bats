#!/usr/bin/env bats
# The reference solutions of steps 03 and 04, graded as exercise-solutions.bats
# says (a file of their own, so that make test grades them at the same time as
# the others).

bats_require_minimum_version 1.5.0
load helpers
load lib/exercises

# Each solution's step is graded, its exercises' checks four at a time.
BATS_TEST_TIMEOUT=240

@test "exercises: each solution of steps 03 and 04 earns its exercise's points and no other's; summed, full marks" {
    [[ -d $REPO_ROOT/instructor/solutions ]] ||
        skip "instructor/solutions/ is not here (a student's handout has none): no reference solution to check"
    run verify_solutions "$REPO_ROOT" 3 4
    assert_success
}
