#!/usr/bin/env bats
# make grade (tests/exercises/grade): every exercise's check run on the
# programs in steps/, one point per check passed, written as JSON for an
# autograder. Here: the unmodified steps score 0 on every exercise (so every
# check fails there, in the check itself: a check that passed would detect
# nothing); the grader's JSON, table, options and failures; and the GitHub
# Classroom workflow that calls the same checks. The reference solutions are
# graded in exercise-solutions*.bats; the grader's machinery on the fixture
# (tests/fixtures/exercise-machinery) in exercises.bats too.

bats_require_minimum_version 1.5.0
load helpers
load lib/exercises

# The first test waits for the grade of every exercise (setup_file); a check
# that hangs is stopped by the grader.
BATS_TEST_TIMEOUT=150

setup_file() {
    # The unmodified steps, graded once for the tests that read the grade.
    export UNMODIFIED=$BATS_FILE_TMPDIR/unmodified
    copy_steps "$REPO_ROOT" "$UNMODIFIED"
    local status=0
    grade_steps "$REPO_ROOT" "$UNMODIFIED" "$UNMODIFIED/grade.json" >"$UNMODIFIED/grade.out" 2>&1 || status=$?
    echo "$status" >"$UNMODIFIED/grade.status"
    export FIXTURE=$BATS_FILE_TMPDIR/fixture
    make_fixture "$FIXTURE"
}

# unmodified_grade: fails, showing what the grader said, unless it graded.
unmodified_grade() {
    [[ $(cat "$UNMODIFIED/grade.status") == 0 ]] ||
        fail "tests/exercises/grade exited with status $(cat "$UNMODIFIED/grade.status") on the unmodified steps. It said:
$(cat "$UNMODIFIED/grade.out")"
}

# two_step_fixture: a copy of the fixture with a second step, 02-greeter:
# the same program with its exercise 1 solved, and the same check.
two_step_fixture() {
    local repo=$BATS_TEST_TMPDIR/repo
    cp -R "$FIXTURE" "$repo"
    cp -R "$repo/steps/01-greeter" "$repo/steps/02-greeter"
    mkdir -p "$repo/tests/exercises/02-greeter"
    cp "$repo/tests/exercises/01-greeter/exercise-1.bats" "$repo/tests/exercises/02-greeter/"
    sed 's|/01-greeter/|/02-greeter/|' "$repo/instructor/solutions/01-greeter/exercise-1.patch" |
        (cd "$repo" && GIT_CEILING_DIRECTORIES=$BATS_TEST_TMPDIR git apply)
    echo "$repo"
}

@test "grade: the unmodified steps score 0 on every exercise: every check fails, in the check itself" {
    unmodified_grade
    run verify_scores_zero "$UNMODIFIED/grade.json"
    assert_success
    run tail -n 1 "$UNMODIFIED/grade.out"
    assert_output --regexp '^grade: 0/[1-9][0-9]*$'
}

@test "grade: the JSON has each exercise's step, number, title, check, points possible and earned, and its failed checks' text" {
    unmodified_grade
    local checks
    checks=$(exercise_checks "$REPO_ROOT")
    # Each check's number of @tests, counted here on its own.
    run "$PYTHON" - "$UNMODIFIED/grade.json" "$REPO_ROOT" "$UNMODIFIED/grade.out" $checks <<'PYTHON'
import json, re, sys
grade_json, root, table = sys.argv[1:4]
checks = sys.argv[4:]
grade = json.load(open(grade_json))
problems = []
def need(condition, message):
    if not condition:
        problems.append(message)
need(isinstance(grade.get("points"), int) and isinstance(grade.get("points_possible"), int), "no whole-number points, points_possible")
need(grade.get("seconds", 999) < 120, f"the grade took {grade.get('seconds')} s: more than 2 minutes")
need([e.get("check") for e in grade["exercises"]] == checks, f"the exercises are not the check files, in order: {[e.get('check') for e in grade['exercises']]}")
need(sum(e["points_possible"] for e in grade["exercises"]) == grade["points_possible"], "points_possible is not the exercises' sum")
need(sum(e["points"] for e in grade["exercises"]) == grade["points"], "points is not the exercises' sum")
for e in grade["exercises"]:
    name = e.get("check")
    step, number = re.fullmatch(r"tests/exercises/(\d\d-[^/]+)/exercise-(\d+)\.bats", name).groups()
    need(e.get("step") == step and e.get("exercise") == int(number), f"{name}: step {e.get('step')}, exercise {e.get('exercise')}")
    need(isinstance(e.get("title"), str) and e["title"], f"{name}: no title")
    need(e.get("program") in (f"steps/{step}/server", f"steps/{step}/client"), f"{name}: program {e.get('program')}")
    tests = len(re.findall(r"^@test ", open(f"{root}/{name}").read(), re.M))
    need(e.get("points_possible") == tests, f"{name}: points_possible {e.get('points_possible')}, but it has {tests} @tests")
    need(e.get("points") == len(e.get("passed", [])), f"{name}: points is not its number of passed checks")
    need(len(e["passed"]) + len(e["failed"]) == tests, f"{name}: passed and failed are not its {tests} checks")
    for failure in e["failed"]:
        need(set(failure) == {"check", "output"} and failure["check"] and failure["output"].strip(), f"{name}: a failed check without its name and text: {failure}")
# The table: a row per exercise, then the total.
rows = [line.split() for line in open(table).read().splitlines() if re.match(r"\d\d-", line)]
need([(r[0], r[1], r[2]) for r in rows] == [(e["step"], str(e["exercise"]), f"{e['points']}/{e['points_possible']}") for e in grade["exercises"]],
     "the table's rows are not the exercises with their points")
need(open(table).read().splitlines()[-1] == f"grade: {grade['points']}/{grade['points_possible']}", "the last line is not grade: EARNED/POSSIBLE")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PYTHON
    assert_success
}

@test "grade: a failed check's text in the JSON is what the student sees from make step-NN exercise-K" {
    local repo=$BATS_TEST_TMPDIR/repo
    cp -R "$FIXTURE" "$repo"
    run -0 grade_steps "$repo" "$repo" "$repo/grade.json"
    run "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["exercises"][0]["failed"][1]["output"])' "$repo/grade.json"
    assert_output "Expected:
  HELLO, WORLD
Got:
  hello, world"
    run -2 student_make "$repo" 01-greeter 1
    assert_output --partial "  ✗ a greeting with no name is in capitals too

      Expected:
        HELLO, WORLD
      Got:
        hello, world
"
}

@test "grade: a step that does not compile scores 0 on its exercises, saying so; the other steps are graded" {
    local repo
    repo=$(two_step_fixture)
    sed -i 's/return 0;/return 0/' "$repo/steps/01-greeter/greeter.c"
    run -0 grade_steps "$repo" "$repo" "$repo/grade.json"
    assert_line "steps/01-greeter/ does not compile: its exercises score 0."
    assert_line --regexp '^    steps/01-greeter/greeter.c:[0-9]+:[0-9]+: error: expected '
    assert_line --regexp '^01-greeter +1 +0/2 *$'
    assert_line --regexp '^02-greeter +1 +2/2 *$'
    assert_line --index -1 "grade: 2/4"
    run "$PYTHON" -c '
import json, sys
grade = json.load(open(sys.argv[1]))
first = grade["exercises"][0]
print(first["notes"][0].splitlines()[0])
print(first["failed"][0]["output"])
print(grade["steps"]["01-greeter"]["compiles"], grade["steps"]["02-greeter"]["compiles"])' "$repo/grade.json"
    assert_output "steps/01-greeter/greeter.c does not compile; the compiler said:
Not run: steps/01-greeter/greeter does not compile.
False True"
}

@test "grade: --step and --check choose what is graded; a wrong option is a usage error (status 2)" {
    local repo
    repo=$(two_step_fixture)
    run -0 grade_steps "$repo" "$repo" "$repo/grade.json" --step 02-greeter
    assert_line --index -1 "grade: 2/2"
    refute_line --regexp '^01-greeter'
    run -0 grade_steps "$repo" "$repo" "$repo/grade.json" --step 02 --check tests/exercises/01-greeter/exercise-1.bats
    assert_line --regexp '^01-greeter +1 +0/2'
    assert_line --index -1 "grade: 2/4"
    run -2 grade_steps "$repo" "$repo" "$repo/grade.json" --step 07
    assert_line --partial "no exercises for step '07'; steps with exercises: 01-greeter 02-greeter"
    run -2 grade_steps "$repo" "$repo" "$repo/grade.json" --check tests/exercises/01-greeter/exercise-9.bats
    assert_line --partial "tests/exercises/01-greeter/exercise-9.bats is not one of the exercise checks"
    run -2 grade_steps "$repo" "$BATS_TEST_TMPDIR/nowhere" "$repo/grade.json"
    assert_line --partial "has no steps/ folder to grade"
    run -2 grade_steps "$repo" "$repo" "$repo/grade.json" --jobs 0
    run -2 grade_steps "$repo" "$repo" "$repo/grade.json" --bogus
}

@test "grade: when it cannot grade, it says why and exits 1; it installs nothing" {
    local repo bin command
    repo=$(two_step_fixture)
    # Without bats, and without apt-get or sudo: nothing can be installed.
    bin=$BATS_TEST_TMPDIR/bin
    mkdir -p "$bin"
    for command in /usr/bin/* /usr/sbin/* /usr/local/bin/*; do
        case ${command##*/} in
        bats | apt-get | apt | sudo | dpkg) ;;
        *) ln -sf "$command" "$bin/" ;;
        esac
    done
    PATH=$bin run -1 grade_steps "$repo" "$repo" "$repo/grade.json"
    assert_output "grade: cannot grade: grading needs bats, which is not installed. tests/ensure-deps --exercises says how to install them."
    # A JSON file that cannot be written.
    touch "$BATS_TEST_TMPDIR/file"
    run -1 grade_steps "$repo" "$repo" "$BATS_TEST_TMPDIR/file/grade.json" --step 02
    assert_line --index -1 --regexp "^grade: cannot grade: could not write $BATS_TEST_TMPDIR/file/grade.json: "
}

# processes_running PATH: how many processes have PATH in their command line.
processes_running() {
    local file count=0
    for file in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' 2>/dev/null <"$file" | grep -qF -- "$1" && count=$((count + 1))
    done
    echo "$count"
}
grader_gone() { ! kill -0 "$1" 2>/dev/null; }
servers_started() { (($(processes_running "$BATS_TEST_TMPDIR/steps/") > 0)); }

@test "grade: stopped by SIGTERM (or Ctrl-C), it stops every check it started, and gives no grade" {
    local pid
    copy_steps "$REPO_ROOT" "$BATS_TEST_TMPDIR"
    # Started directly, so that the signal goes to the grader itself.
    "$REPO_ROOT/tests/exercises/grade" --root "$BATS_TEST_TMPDIR" --json "$BATS_TEST_TMPDIR/grade.json" --step 05 \
        >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    wait_until 30 servers_started || fail "no check had started a server of $BATS_TEST_TMPDIR/steps/ within 30 s"
    kill -TERM "$pid"
    # Step 05's checks take 10 s and more: the grader must not wait for them.
    wait_until 5 grader_gone "$pid" || fail "the grader was still running 5 s after SIGTERM"
    local status=0
    wait "$pid" || status=$?
    assert_equal "$status" 1
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line --index -1 "grade: stopped before the end: no grade"
    run processes_running "$BATS_TEST_TMPDIR/steps/"
    assert_output 0
    [[ ! -e $BATS_TEST_TMPDIR/grade.json ]]
}

@test "classroom: .github/workflows/classroom.yml is what tests/exercises/grade --classroom writes" {
    run -0 "$REPO_ROOT/tests/exercises/grade" --classroom
    local made=$output
    run cat "$REPO_ROOT/.github/workflows/classroom.yml"
    [[ $output == "$made" ]] ||
        fail ".github/workflows/classroom.yml is not what the checks make it now; remake it with:
    tests/exercises/grade --classroom > .github/workflows/classroom.yml
$(diff <(echo "$made") "$REPO_ROOT/.github/workflows/classroom.yml")"
}

@test "classroom: the workflow is well-formed, with one entry per exercise, naming its check, worth its points; a broken copy fails" {
    unmodified_grade
    local config=$REPO_ROOT/.github/workflows/classroom.yml broken=$BATS_TEST_TMPDIR/classroom.yml
    run verify_classroom "$config" "$UNMODIFIED/grade.json" "$REPO_ROOT"
    assert_success
    # The same check must catch each of these.
    # An exercise with no entry: step 01's exercise 2 left out.
    awk '/^      - name: .Step 01, exercise 2:/ { skip = 1; next } /^      - name: / { skip = 0 } !skip' "$config" >"$broken"
    run verify_classroom "$broken" "$UNMODIFIED/grade.json" "$REPO_ROOT"
    assert_failure
    assert_line "$broken: tests/exercises/01-blocking-server/exercise-2.bats has no entry: add one (make step-NN exercise-K, its points its number of checks)"
    # Points that are not the exercise's number of checks.
    sed '0,/max-score: 2$/s//max-score: 3/' "$config" >"$broken"
    run verify_classroom "$broken" "$UNMODIFIED/grade.json" "$REPO_ROOT"
    assert_failure
    assert_line "$broken: entry step-01-exercise-1: max-score is 3, but tests/exercises/01-blocking-server/exercise-1.bats has 2 checks (its points in make grade)"
    # An entry for a check that does not exist.
    sed 's/command: make step-01 exercise-3$/command: make step-01 exercise-9/' "$config" >"$broken"
    run verify_classroom "$broken" "$UNMODIFIED/grade.json" "$REPO_ROOT"
    assert_failure
    assert_line "$broken: entry step-01-exercise-3: \"make step-01 exercise-9\" names no existing check (tests/exercises/01-blocking-server/exercise-9.bats is not there)"
    # Not well-formed: a line indented wrongly.
    sed '0,/^          command: /s//         command: /' "$config" >"$broken"
    run verify_classroom "$broken" "$UNMODIFIED/grade.json" "$REPO_ROOT"
    assert_failure
    assert_output --partial "$broken is not well-formed YAML of the kind it is written in: line "
}

@test "solutions: every patch has a check, and none is left as a full copy of the program" {
    [[ -d $REPO_ROOT/instructor/solutions ]] ||
        skip "instructor/solutions/ is not here (a student's handout has none): no reference solution to check"
    run verify_every_patch_has_a_check "$REPO_ROOT"
    assert_success
}
