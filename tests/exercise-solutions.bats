#!/usr/bin/env bats
# Every reference solution earns its exercise's points, all of them, and no
# other's: instructor/solutions/NN-name/exercise-K.patch, applied on its own
# to a copy of the steps (several patches change the same file), graded with
# tests/exercises/grade --step NN-name. So every check of exercise K passes
# with its patch, and every other check of the step fails with it (a check
# that passed with another exercise's solution could not tell the two apart;
# tests/lib/exercises.bash lists, in BUILDS_ON, the checks a solution that
# builds on another exercise shares with it). Summed over the solutions:
# full marks. A patch that no longer applies, or does not compile, fails and
# says so. Without instructor/solutions/ (a student's handout has none) the
# test is skipped, saying why.
#
# The solutions are graded in three files, so that make test runs them at the
# same time: this one has steps 00 to 02, exercise-solutions-03.bats steps
# 03 and 04, exercise-solutions-05.bats step 05 and every later one. (grade.bats
# grades the unmodified steps: there, every check must fail.)

bats_require_minimum_version 1.5.0
load helpers
load lib/exercises

# Each solution's step is graded, its exercises' checks four at a time.
BATS_TEST_TIMEOUT=240

@test "exercises: each solution of steps 00 to 02 earns its exercise's points and no other's; summed, full marks" {
    [[ -d $REPO_ROOT/instructor/solutions ]] ||
        skip "instructor/solutions/ is not here (a student's handout has none): no reference solution to check"
    run verify_solutions "$REPO_ROOT" 0 2
    assert_success
}
