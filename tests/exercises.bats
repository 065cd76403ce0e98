#!/usr/bin/env bats
# The exercises' checks are themselves checked. Nothing lists the exercises:
# every tests/exercises/NN-name/exercise-K.bats found is one, graded by
# tests/exercises/grade (one point per @test, a check):
#   - on the steps as they are, every check must fail (the step lacks the
#     feature: a check that passed there would detect nothing): grade.bats;
#   - with instructor/solutions/NN-name/exercise-K.patch applied on its own to
#     a copy of the steps, exercise K must earn all its points and the step's
#     other exercises none; a patch that no longer applies, or a patched
#     program that does not compile, fails and says so. Without
#     instructor/solutions/ (a student's handout has none) that is skipped,
#     saying why: exercise-solutions.bats, -03.bats and -05.bats.
#
# A new exercise K of step NN-name needs:
#   steps/NN-name/exercises.md          states the exercise
#   tests/exercises/NN-name/exercise-K.bats
#                                       its check: @tests that load ../exercise
#                                       and run $PROGRAM; see the helpers in
#                                       tests/exercises/exercise.bash
#   instructor/solutions/NN-name/exercise-K.patch  the reference solution, a unified diff
#                                       against the step's source, made from
#                                       the repository's root with
#                                         git diff steps/NN-name/server.c > instructor/solutions/NN-name/exercise-K.patch
#   .github/workflows/classroom.yml     its GitHub Classroom entry: remake the
#                                       file with  tests/exercises/grade --classroom > .github/workflows/classroom.yml
# This file checks that machinery on a fixture that does not change with the
# steps (tests/fixtures/exercise-machinery: a tiny "01-greeter" step with one
# exercise and its patch).

bats_require_minimum_version 1.5.0
load helpers
load lib/exercises

BATS_TEST_TIMEOUT=120

setup_file() {
    export FIXTURE=$BATS_FILE_TMPDIR/fixture
    make_fixture "$FIXTURE"
}

# fixture_copy: a copy of the fixture for this test alone (tests may run in
# parallel, and make builds into the copy).
fixture_copy() {
    cp -R "$FIXTURE" "$BATS_TEST_TMPDIR/repo"
    echo "$BATS_TEST_TMPDIR/repo"
}

# apply_in REPO PATCH: applies PATCH to REPO's own steps, as a student who
# wrote the solution would have them.
apply_in() { (cd "$1" && GIT_CEILING_DIRECTORIES=$BATS_TEST_TMPDIR git apply "$2"); }

@test "make step-01 exercise-9 names the problem" {
    run -2 as_a_student make -s -C "$REPO_ROOT" step-01 exercise-9
    assert_line --index 0 "Step 01 has no exercise 9"
}

@test "exercise machinery: a failed check shows what was done, expected/got and the hint, not bats' internals" {
    local repo
    repo=$(fixture_copy)
    run -2 student_make "$repo" 01-greeter 1
    assert_line --index 0 "Step 01, exercise 1: checking steps/01-greeter/greeter"
    assert_line "  ✗ the greeting is in capitals"
    assert_line "      What the check did:"
    assert_line --regexp '^        - ran: greeter -n [a-zA-Z]{8}$'
    assert_line --regexp '^        HELLO, [A-Z]{8}$'
    assert_line --regexp '^        hello, [a-zA-Z]{8}$'
    assert_line "      Hint: toupper() changes one letter; call it on each"
    assert_line "2 of 2 checks failed."
    refute_output --partial "from function"
    refute_output --partial "in test file"
    refute_output --partial "bats"
}

# grade_fixture REPO: grades REPO's own steps, its JSON in REPO/grade.json.
grade_fixture() { grade_steps "$1" "$1" "$1/grade.json"; }

@test "exercise machinery: the fixture's check fails on its step and passes with its patch" {
    local repo
    repo=$(fixture_copy)
    run -0 grade_fixture "$repo"
    assert_line --index -1 "grade: 0/2"
    run verify_scores_zero "$repo/grade.json"
    assert_success
    run verify_solutions "$repo" 0 99
    assert_success
    assert_line --index 0 "instructor/solutions/01-greeter/exercise-1.patch: grade 2/2 (exercise 1 2/2)"
    assert_line --index 1 "summed over the 1 solutions, each graded on its own: 2/2"
    # A student who wrote the solution into the step sees every check pass.
    apply_in "$repo" instructor/solutions/01-greeter/exercise-1.patch
    run -0 student_make "$repo" 01-greeter 1
    assert_line "  ✓ the greeting is in capitals"
    assert_line "All 2 checks pass."
}

@test "exercise machinery: a patch that no longer applies fails, saying so" {
    local repo
    repo=$(fixture_copy)
    sed -i 's/"hello, %s\\n"/"hello there, %s\\n"/' "$repo/steps/01-greeter/greeter.c"
    run verify_solutions "$repo" 0 99
    assert_failure
    assert_line "instructor/solutions/01-greeter/exercise-1.patch:"
    assert_line "    instructor/solutions/01-greeter/exercise-1.patch no longer applies to steps/01-greeter/ (the step changed after the patch was made)."
    assert_line "1 of 1 reference solutions are wrong (above)."
}

@test "exercise machinery: a patched program that does not compile fails, saying so" {
    local repo
    repo=$(fixture_copy)
    sed -i 's/^+\(.*toupper.*\);$/+\1/' "$repo/instructor/solutions/01-greeter/exercise-1.patch"
    run verify_solutions "$repo" 0 99
    assert_failure
    assert_line "    steps/01-greeter with instructor/solutions/01-greeter/exercise-1.patch applied does not compile:"
}

@test "exercise machinery: a check that passes on the unmodified step is reported" {
    local repo
    repo=$(fixture_copy)
    apply_in "$repo" instructor/solutions/01-greeter/exercise-1.patch
    run -0 grade_fixture "$repo"
    run verify_scores_zero "$repo/grade.json"
    assert_failure
    assert_line "step 01-greeter, exercise 1 (tests/exercises/01-greeter/exercise-1.bats): its check \"the greeting is in capitals\" passes on the unmodified steps/01-greeter/: this check cannot tell a solution from the step"
    assert_line "On the unmodified steps, the grade is 2/2; it must be 0."
}

@test "exercise machinery: a check that passes with another exercise's solution is reported, a missing solution too" {
    local repo
    repo=$(fixture_copy)
    # Exercise 2's check is exercise 1's: exercise 1's solution passes it.
    cp "$repo/tests/exercises/01-greeter/exercise-1.bats" "$repo/tests/exercises/01-greeter/exercise-2.bats"
    cp "$repo/tests/exercises/01-greeter/exercise-1.bats" "$repo/tests/exercises/01-greeter/exercise-3.bats"
    cp "$repo/instructor/solutions/01-greeter/exercise-1.patch" "$repo/instructor/solutions/01-greeter/exercise-2.patch"
    run verify_solutions "$repo" 0 99
    assert_failure
    assert_line "step 01-greeter, exercise 3 (tests/exercises/01-greeter/exercise-3.bats) has no reference solution: instructor/solutions/01-greeter/exercise-3.patch is missing"
    assert_line "instructor/solutions/01-greeter/exercise-1.patch: grade 6/6 (exercise 1 2/2, exercise 2 2/2, exercise 3 2/2)"
    assert_line --partial "    tests/exercises/01-greeter/exercise-2.bats: its check \"the greeting is in capitals\" passes with instructor/solutions/01-greeter/exercise-1.patch applied, the solution of another exercise: it cannot tell a solution of exercise 2 from the step"
}

@test "exercise machinery: a patch with no check, or a solution left as a full copy, is reported" {
    local repo
    repo=$(fixture_copy)
    cp "$repo/instructor/solutions/01-greeter/exercise-1.patch" "$repo/instructor/solutions/01-greeter/exercise-2.patch"
    mkdir -p "$repo/instructor/solutions/01-greeter/exercise-3"
    cp "$repo/steps/01-greeter/greeter.c" "$repo/instructor/solutions/01-greeter/exercise-3/"
    run verify_every_patch_has_a_check "$repo"
    assert_failure
    assert_line "instructor/solutions/01-greeter/exercise-2.patch has no check: tests/exercises/01-greeter/exercise-2.bats is missing"
    assert_line "instructor/solutions/01-greeter/exercise-3/ is a full copy of the program: a solution is a patch now. Make one with:"
}

@test "exercise machinery: a student's compile error is the compiler's, then one plain sentence" {
    local repo
    repo=$(fixture_copy)
    sed -i 's/return 0;/return 0/' "$repo/steps/01-greeter/greeter.c"
    run -2 student_make "$repo" 01-greeter 1
    assert_line --regexp '^steps/01-greeter/greeter.c:[0-9]+:[0-9]+: error: expected '
    assert_line "Your steps/01-greeter/greeter.c does not compile: the compiler says why above (fix its first error first)."
    assert_line "Then run again:  make step-01 exercise-1"
    refute_output --partial "✗"
}

@test "exercise machinery: make step-NN exercise-K needs only a compiler, bats and python3" {
    local repo bin command
    repo=$(fixture_copy)
    # A machine without the other packages, and without apt-get (so, like a
    # student without root, nothing can be installed): every command but those.
    bin=$BATS_TEST_TMPDIR/bin
    mkdir -p "$bin"
    for command in /usr/bin/* /usr/sbin/*; do
        case ${command##*/} in
        cppcheck* | clang-tidy* | pandoc | parallel | chromium | git | apt-get) ;;
        *) ln -sf "$command" "$bin/" ;;
        esac
    done
    # ... and without bats-support and bats-assert.
    PATH=$bin BATS_LIB_PATH=$BATS_TEST_TMPDIR/no-libraries run -2 student_make "$repo" 01-greeter 1
    assert_line "  ✗ the greeting is in capitals"
    # ... and so does make grade's grader.
    PATH=$bin BATS_LIB_PATH=$BATS_TEST_TMPDIR/no-libraries run -0 grade_fixture "$repo"
    assert_line --index -1 "grade: 0/2"
    # The whole suite's dependencies are missing there, and said so exactly.
    PATH=$bin run -1 "$repo/tests/ensure-deps"
    assert_line "The tests need these packages, which are missing: parallel git cppcheck clang-tidy pandoc chromium"
    assert_line "On Debian or Ubuntu:  sudo apt-get install --no-install-recommends parallel git cppcheck clang-tidy pandoc && sudo apt-get install chromium"
}
