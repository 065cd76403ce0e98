# What the tests of the exercises do to each exercise, for any repository
# root (the real one, or the self-test fixture tests/fixtures/exercise-machinery):
# exercises.bats checks the machinery on the fixture; grade.bats grades the
# unmodified steps (every check must fail) and the exercise-solutions*.bats
# grade each reference solution (its checks must pass, the others fail).
# Each verify_* function prints nothing and returns 0 when the exercise is
# right, or prints in plain words what is wrong and returns 1.

# exercise_checks ROOT: every tests/exercises/NN-name/exercise-K.bats of
# ROOT, relative to it, in step then exercise order.
exercise_checks() {
    (cd "$1" && compgen -G 'tests/exercises/[0-9][0-9]-*/exercise-*.bats' | sort -V) || true
}

# The step folder and exercise number a check file is for:
# tests/exercises/01-blocking-server/exercise-2.bats -> 01-blocking-server 2
check_step() { basename "$(dirname "$1")"; }
check_number() { local name=${1##*/exercise-}; echo "${name%.bats}"; }
solution_patch() { echo "instructor/solutions/$(check_step "$1")/exercise-$(check_number "$1").patch"; }

indent() { sed 's/^/    /'; }

# as_a_student COMMAND...: runs it as from a student's shell: without what
# the outer bats and make put in the environment (bats' variables and its
# own folder first on PATH; make's MAKEFLAGS, which would change what make
# prints).
as_a_student() {
    local unset=(-u MAKELEVEL -u MAKEFLAGS -u MFLAGS) name path
    for name in $(compgen -e); do
        [[ $name == BATS_* && $name != BATS_TEST_TIMEOUT && $name != BATS_LIB_PATH ]] && unset+=(-u "$name")
    done
    path=$(tr ':' '\n' <<<"$PATH" | grep -v '/bats-core' | paste -sd: -)
    env "${unset[@]}" PATH="$path" "$@"
}

# student_make ROOT STEP K: "make step-NN exercise-K" in ROOT, as typed.
student_make() {
    as_a_student timeout 120 make -s -C "$1" "step-${2%%-*}" "exercise-$3"
}

# verify_every_patch_has_a_check ROOT: a patch with no check, or a solution
# left in the old form (a full copy of the program), is reported.
verify_every_patch_has_a_check() {
    local root=$1 patch folder source status=0 step
    while read -r patch; do
        [[ -n $patch ]] || continue
        step=${patch#instructor/solutions/}
        step=${step%%/*}
        if [[ ! -f $root/tests/exercises/$step/$(basename "$patch" .patch).bats ]]; then
            echo "$patch has no check: tests/exercises/$step/$(basename "$patch" .patch).bats is missing"
            status=1
        fi
    done < <(cd "$root" && compgen -G 'instructor/solutions/*/exercise-*.patch' | sort -V)
    while read -r folder; do
        [[ -n $folder ]] || continue
        for source in "$root/$folder"/*.c; do
            [[ -f $source ]] || continue
            step=${folder#instructor/solutions/}
            step=${step%%/*}
            echo "$folder/ is a full copy of the program: a solution is a patch now. Make one with:"
            echo "    diff -u --label a/steps/$step/${source##*/} --label b/steps/$step/${source##*/} steps/$step/${source##*/} $folder/${source##*/} > $folder.patch"
            status=1
        done
    done < <(cd "$root" && compgen -G 'instructor/solutions/*/exercise-*/' | sed 's|/$||' | sort -V)
    return $status
}

# make_fixture DEST: the exercise machinery's fixture as a repository of its
# own in DEST: its step, check and patch (tests/fixtures/exercise-machinery),
# with this repository's Makefile and exercise machinery.
make_fixture() {
    mkdir -p "$1/tests"
    cp -R "$TESTS_DIR/fixtures/exercise-machinery/." "$1/"
    cp "$REPO_ROOT/Makefile" "$1/"
    cp -R "$TESTS_DIR/ensure-deps" "$TESTS_DIR/lib" "$TESTS_DIR/peer.py" "$1/tests/"
    cp "$TESTS_DIR"/exercises/{check,report,patched-step,exercise.bash,grade} "$1/tests/exercises/"
}

# --- grading (tests/exercises/grade) ----------------------------------------

# copy_steps ROOT DEST: ROOT's steps, their sources only, in DEST/steps/.
copy_steps() {
    local folder step
    for folder in "$1"/steps/[0-9][0-9]-*/; do
        step=$(basename "$folder")
        mkdir -p "$2/steps/$step"
        cp "$folder"*.c "$2/steps/$step/"
    done
}

# grade_steps ROOT STEPS JSON [OPTIONS...]: ROOT's grader, run as from a
# student's shell, on STEPS/steps/, its JSON in JSON.
grade_steps() {
    as_a_student timeout 600 "$1/tests/exercises/grade" --root "$2" --json "$3" "${@:4}"
}

# verify_scores_zero JSON: in a grade of unmodified steps, every exercise
# must score 0, every check failing in the check itself (a check that passes
# there cannot tell a solution from the step).
verify_scores_zero() {
    "$PYTHON" - "$1" <<'PYTHON'
import json, sys
grade = json.load(open(sys.argv[1]))
problems = []
for e in grade["exercises"]:
    where = f"step {e['step']}, exercise {e['exercise']} ({e['check']})"
    for name in e["passed"]:
        problems.append(f"{where}: its check \"{name}\" passes on the unmodified steps/{e['step']}/: this check cannot tell a solution from the step")
    for note in e["notes"]:
        problems.append(f"{where}: {note}")
    for failure in e["failed"]:
        if failure["output"].startswith(("This check did not run", "Not run:")):
            problems.append(f"{where}: its check \"{failure['check']}\" failed before it ran:")
            problems += ["    " + line for line in failure["output"].splitlines()]
if problems:
    print("\n".join(problems))
    print(f"\nOn the unmodified steps, the grade is {grade['points']}/{grade['points_possible']}; it must be 0.")
sys.exit(1 if problems else 0)
PYTHON
}

# A solution that builds on another exercise also passes some of that
# exercise's checks: "PATCH: CHECK FILE: CHECK NAME" for each. With any other
# exercise's patch, every check of a step must fail.
BUILDS_ON=(
    "04-robust-server/exercise-4: 04-robust-server/exercise-2: -c takes a whole number from 1 to 10000, nothing else; -h shows it"
)

# verify_solution ROOT PATCH: PATCH applied on its own to a copy of ROOT's
# steps, graded with its step (see verify_solutions). Prints a line, and what
# is wrong; fails if something is.
verify_solution() {
    local root=$1 patch=$2 step number work
    step=${patch#instructor/solutions/} number=${patch##*/exercise-}
    step=${step%%/*} number=${number%.patch}
    work=$BATS_TEST_TMPDIR/solutions/$step-$number
    copy_steps "$root" "$work"
    rm -rf "${work:?}/steps/$step"
    if ! "$root/tests/exercises/patched-step" "$root/$patch" "$work" --build >"$work.out" 2>&1; then
        echo "$patch:"
        indent <"$work.out"
        return 1
    fi
    if ! grade_steps "$root" "$work" "$work.json" --step "$step" >"$work.out" 2>&1; then
        echo "$patch: the grader could not grade steps/$step/ with it applied. It said:"
        indent <"$work.out"
        return 1
    fi
    "$PYTHON" - "$work.json" "$patch" "$step" "$number" "${BUILDS_ON[@]}" <<'PYTHON'
import json, sys
grade_json, patch, step, number = sys.argv[1:5]
builds_on = [line.split(": ", 2) for line in sys.argv[5:]]
grade = json.load(open(grade_json))
own = f"{step}/exercise-{number}"
problems, parts = [], []
for e in grade["exercises"]:
    this = f"{e['step']}/exercise-{e['exercise']}"
    parts.append(f"exercise {e['exercise']} {e['points']}/{e['points_possible']}")
    if this == own:
        with open(grade_json + ".own", "w") as own_points:
            print(e["points"], e["points_possible"], file=own_points)
        if e["points"] != e["points_possible"]:
            problems.append(f"{e['check']} fails on steps/{step}/ with {patch} applied; the checks that failed:")
            for failure in e["failed"]:
                problems.append(f"  ✗ {failure['check']}")
                problems += ["      " + line if line else "" for line in failure["output"].splitlines()]
        continue
    expected = {name for p, c, name in builds_on if p == own and c == this}
    for name in e["passed"]:
        if name not in expected:
            problems.append(f"{e['check']}: its check \"{name}\" passes with {patch} applied, the solution of another exercise:"
                            f" it cannot tell a solution of exercise {e['exercise']} from the step (or, if exercise {number} builds on"
                            f" exercise {e['exercise']}, add that check to BUILDS_ON in tests/lib/exercises.bash)")
    for name in sorted(expected - set(e["passed"])):
        problems.append(f"{e['check']}: its check \"{name}\" no longer passes with {patch} applied, as BUILDS_ON in tests/lib/exercises.bash says it should")
print(f"{patch}: grade {grade['points']}/{grade['points_possible']} ({', '.join(parts)})")
for line in problems:
    print("    " + line if line else "")
sys.exit(1 if problems else 0)
PYTHON
}

# verify_solutions ROOT FIRST LAST: each reference solution of ROOT's steps
# FIRST to LAST (their numbers), applied on its own to a copy of the steps,
# graded with its step: it must earn its exercise's points, all of them, and
# no other exercise's (BUILDS_ON aside). Prints a line per patch and the
# sum, then what is wrong, in plain words; fails if something is.
verify_solutions() {
    local root=$1 first=$2 last=$3 patch check step number wrong=0 patches=() checks=()
    mapfile -t checks < <(exercise_checks "$root")
    for check in "${checks[@]}"; do
        step=$(check_step "$check")
        ((10#${step%%-*} >= first && 10#${step%%-*} <= last)) || continue
        patch=$(solution_patch "$check")
        if [[ -f $root/$patch ]]; then
            patches+=("$patch")
        else
            echo "step $step, exercise $(check_number "$check") ($check) has no reference solution: $patch is missing"
            wrong=$((wrong + 1))
        fi
    done
    ((${#patches[@]})) || {
        echo "no reference solutions for steps $first to $last in $root/instructor/solutions/"
        return 1
    }
    # Two solutions at a time: each grade runs its step's checks four at a
    # time, and they mostly wait on sockets and timers.
    local pids=() index=0
    mkdir -p "$BATS_TEST_TMPDIR/solutions"
    for patch in "${patches[@]}"; do
        index=$((index + 1))
        while (($(jobs -rp | wc -l) >= 2)); do wait -n || true; done
        verify_solution "$root" "$patch" >"$BATS_TEST_TMPDIR/solutions/$index.report" 2>&1 3>&- &
        pids+=($!)
    done
    index=0
    for patch in "${patches[@]}"; do
        index=$((index + 1))
        wait "${pids[index - 1]}" || wrong=$((wrong + 1))
        cat "$BATS_TEST_TMPDIR/solutions/$index.report"
    done
    # Summed over the solutions, each earning its own exercise's points: full marks.
    local earned=0 possible=0 points
    for patch in "${patches[@]}"; do
        step=${patch#instructor/solutions/} number=${patch##*/exercise-}
        step=${step%%/*} number=${number%.patch}
        [[ -f $BATS_TEST_TMPDIR/solutions/$step-$number.json.own ]] || continue
        read -ra points <"$BATS_TEST_TMPDIR/solutions/$step-$number.json.own"
        earned=$((earned + points[0])) possible=$((possible + points[1]))
    done
    echo "summed over the ${#patches[@]} solutions, each graded on its own: $earned/$possible"
    ((wrong == 0)) || {
        echo
        echo "$wrong of ${#patches[@]} reference solutions are wrong (above)."
        return 1
    }
}

# verify_classroom CONFIG GRADE_JSON ROOT: CONFIG, a GitHub Classroom
# autograding workflow, is well-formed (the block YAML it is written in, read
# by a strict reader of that subset: Python has no YAML parser of its own),
# has the shape Classroom's reporter needs, and one command-grader entry per
# exercise check of ROOT, "make step-NN exercise-K", worth the points the
# grade in GRADE_JSON gives that exercise. Prints what is wrong.
verify_classroom() {
    "$PYTHON" - "$@" <<'PYTHON'
import json, os, re, sys

config, grade_json, root = sys.argv[1:4]
problems = []


class Bad(Exception):
    pass


def read_lines(path):
    """(line number, indent, text) of each line that is not blank or a comment."""
    lines = []
    for number, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "\t" in line:
            raise Bad(f"line {number}: a tab (YAML indents with spaces)")
        text = line.lstrip(" ")
        lines.append([number, len(line) - len(text), text.rstrip()])
    return lines


KEY = re.compile(r"^('(?:[^']|'')*'|[A-Za-z0-9_.-]+):(?: +(.*))?$")


def scalar(text, number):
    if text.startswith("'"):
        if not re.fullmatch(r"'(?:[^']|'')*'", text):
            raise Bad(f"line {number}: a badly quoted string: {text}")
        return text[1:-1].replace("''", "'")
    if text.startswith('"'):
        if not re.fullmatch(r'"[^"\\]*"', text):
            raise Bad(f"line {number}: a badly quoted string: {text}")
        return text[1:-1]
    if text[0] in "&*!|>%@`{}[],?:-#" or " #" in text or ": " in text:
        raise Bad(f"line {number}: write this value in quotes: {text}")
    return text


def parse(lines):
    position = 0

    def node(indent):
        if lines[position][2].startswith("- "):
            return sequence(indent)
        return mapping(indent)

    def sequence(indent):
        nonlocal position
        items = []
        while position < len(lines) and lines[position][1] == indent and lines[position][2].startswith("- "):
            number, _, text = lines[position]
            rest = text[2:].lstrip(" ")
            if KEY.match(rest):
                # "- key: value" opens a mapping indented as its first key.
                lines[position] = [number, indent + len(text) - len(rest), rest]
                items.append(mapping(lines[position][1]))
            else:
                items.append(scalar(rest, number))
                position += 1
        return items

    def mapping(indent):
        nonlocal position
        result = {}
        while position < len(lines) and lines[position][1] == indent and not lines[position][2].startswith("- "):
            number, _, text = lines[position]
            match = KEY.match(text)
            if not match:
                raise Bad(f"line {number}: not \"key: value\": {text}")
            key = scalar(match.group(1), number)
            if key in result:
                raise Bad(f"line {number}: {key} twice in one mapping")
            position += 1
            if match.group(2):
                result[key] = scalar(match.group(2), number)
            elif position < len(lines) and lines[position][1] > indent:
                result[key] = node(lines[position][1])
            elif position < len(lines) and lines[position][1] == indent and lines[position][2].startswith("- "):
                result[key] = sequence(indent)
            else:
                raise Bad(f"line {number}: {key} has no value")
        if position < len(lines) and lines[position][1] > indent:
            raise Bad(f"line {lines[position][0]}: indented more than the lines before it")
        return result

    document = node(0)
    if position != len(lines):
        raise Bad(f"line {lines[position][0]}: indented less than the document")
    return document


try:
    workflow = parse(read_lines(config))
except Bad as problem:
    print(f"{config} is not well-formed YAML of the kind it is written in: {problem}")
    sys.exit(1)


def need(condition, message):
    if not condition:
        problems.append(message)
    return condition


grade = json.load(open(grade_json))
points = {e["check"]: e["points_possible"] for e in grade["exercises"]}
checks = sorted(
    os.path.relpath(os.path.join(folder, name), root)
    for folder, _, names in os.walk(os.path.join(root, "tests", "exercises"))
    for name in names
    if re.fullmatch(r"exercise-\d+\.bats", name) and re.fullmatch(r"\d\d-.*", os.path.basename(folder))
)
need(workflow.get("name") == "Autograding Tests", "its name must be \"Autograding Tests\" (Classroom's reporter reads only that workflow)")
need(isinstance(workflow.get("on"), list) and "push" in workflow["on"], "it must run on push")
jobs = workflow.get("jobs") or {}
need(list(jobs) == ["run-autograding-tests"], "it must have one job, run-autograding-tests (Classroom's reporter reads only that one)")
steps = (jobs.get("run-autograding-tests") or {}).get("steps") or []
need(isinstance(steps, list) and len(steps) > 2, "its job has no list of steps")
entries = {}
ids = []
for step in steps if isinstance(steps, list) else []:
    if not isinstance(step, dict) or step.get("uses") != "classroom-resources/autograding-command-grader@v1":
        continue
    settings = step.get("with") or {}
    runner = step.get("id", "")
    ids.append(runner)
    command = settings.get("command", "")
    match = re.fullmatch(r"make step-(\d\d) exercise-(\d+)", command)
    if not need(match, f"entry {runner or '(no id)'}: its command must be \"make step-NN exercise-K\", not \"{command}\""):
        continue
    folders = [f for f in os.listdir(os.path.join(root, "steps")) if f.startswith(match.group(1) + "-")]
    check = f"tests/exercises/{folders[0] if folders else match.group(1) + '-?'}/exercise-{match.group(2)}.bats"
    if not need(check in checks, f"entry {runner}: \"{command}\" names no existing check ({check} is not there)"):
        continue
    need(check not in entries, f"{check} has two entries: {entries.get(check)} and {runner}")
    entries[check] = runner
    need(runner == f"step-{match.group(1)}-exercise-{match.group(2)}", f"entry {runner}: its id should be step-{match.group(1)}-exercise-{match.group(2)}")
    need(settings.get("test-name"), f"entry {runner}: it has no test-name")
    need(re.fullmatch(r"[1-9]\d*", str(settings.get("timeout", ""))), f"entry {runner}: its timeout must be a whole number of minutes")
    need(str(settings.get("max-score")) == str(points.get(check)),
         f"entry {runner}: max-score is {settings.get('max-score')}, but {check} has {points.get(check)} checks (its points in make grade)")
for check in checks:
    need(check in entries, f"{check} has no entry: add one (make step-NN exercise-K, its points its number of checks)")
reporter = [s for s in steps if isinstance(s, dict) and s.get("uses") == "classroom-resources/autograding-grading-reporter@v1"]
if need(len(reporter) == 1 and steps[-1] is reporter[0], "its last step must be classroom-resources/autograding-grading-reporter@v1, once"):
    runners = (reporter[0].get("with") or {}).get("runners", "")
    need(runners.split(",") == ids, f"the reporter's runners must be the entries' ids, in order: {','.join(ids)}")
    wanted = {f"{runner.upper()}_RESULTS": f"${{{{steps.{runner}.outputs.result}}}}" for runner in ids}
    need(reporter[0].get("env") == wanted, "the reporter's env must hold ID_RESULTS: \"${{steps.ID.outputs.result}}\" for each entry's ID, in capitals, and nothing else")
for problem in problems:
    print(f"{config}: {problem}")
sys.exit(1 if problems else 0)
PYTHON
}
