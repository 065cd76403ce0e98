#!/usr/bin/env bats
# make handout DIR=...: the students' copy has no instructor material, in its
# files or anywhere in its history, and still works: the book checks, and
# make grade (run as a normal user, as a student would) scores 0.

bats_require_minimum_version 1.5.0
load helpers

BATS_TEST_TIMEOUT=240

setup_file() {
    [[ -x $REPO_ROOT/instructor/make-handout ]] || return 0
    # Outside bats' own temporary folder, which only its owner may enter:
    # one test runs make grade in the copy as another user.
    HANDOUT_PARENT=$(mktemp -d "${TMPDIR:-/tmp}/socket-steps-handout.XXXXXX")
    chmod 755 "$HANDOUT_PARENT"
    export HANDOUT_PARENT HANDOUT=$HANDOUT_PARENT/copy
    make -s --no-print-directory -C "$REPO_ROOT" handout DIR="$HANDOUT" >"$BATS_FILE_TMPDIR/made" 2>&1
}

teardown_file() { [[ -z ${HANDOUT_PARENT:-} ]] || rm -rf "$HANDOUT_PARENT"; }

setup() {
    [[ -x $REPO_ROOT/instructor/make-handout ]] ||
        skip "instructor/ is not here (this is a students' copy): there is no handout to make"
}

@test "handout: one commit, and no file or object in it holds instructor material" {
    run cat "$BATS_FILE_TMPDIR/made"
    assert_line --regexp "^Wrote the students' copy to .*: [0-9]+ files, one commit, no instructor/\.$"
    # The exercise machinery's test fixture keeps its folder of that name.
    [[ -f $HANDOUT/tests/fixtures/exercise-machinery/instructor/solutions/01-greeter/exercise-1.patch ]]
    run git -C "$HANDOUT" rev-list --all --count
    assert_output 1
    # Every path in the history; the exercise machinery's test fixture has
    # a patch of its own, which is no solution.
    run bash -c "git -C '$HANDOUT' log --all --name-only --format= | grep -v '^tests/fixtures/'"
    assert_success
    assert_line 'steps/01-blocking-server/server.c'
    refute_line --regexp '^instructor/'
    refute_line --regexp '\.patch$'
    refute_output --partial 'answers'
    # Every line a solution adds, searched for in every object of the
    # handout's repository (history, dangling objects and all).
    run "$PYTHON" - "$REPO_ROOT" "$HANDOUT" <<'EOF'
import glob, os, subprocess, sys
repo, handout = sys.argv[1:]
# What the rest of the repository holds anyway is no secret.
files = subprocess.run(["git", "-C", repo, "ls-files", "--cached", "--others", "--exclude-standard"],
                       capture_output=True, text=True, check=True).stdout.split()
sources = "".join(open(os.path.join(repo, p), encoding="utf-8", errors="replace").read()
                  for p in files
                  if not p.startswith("instructor/") and os.path.isfile(os.path.join(repo, p)))
added = set()
for patch in glob.glob(os.path.join(repo, "instructor/solutions/*/*.patch")):
    for line in open(patch, encoding="utf-8"):
        text = line[1:].strip()
        # A line only a solution has, long enough to be its own.
        if line.startswith("+") and not line.startswith("+++") and len(text) > 25 \
                and text not in sources:
            added.add(text)
assert len(added) > 50, f"only {len(added)} solution lines found to look for"
blobs = subprocess.run(["git", "-C", handout, "cat-file", "--batch-all-objects", "--batch"],
                       capture_output=True, check=True).stdout.decode("utf-8", "replace")
found = sorted(line for line in added if line in blobs)
print(f"{len(added)} solution lines looked for, {len(found)} found")
for line in found:
    print("found:", line)
sys.exit(1 if found else 0)
EOF
    assert_success
    assert_line --regexp '^[0-9]+ solution lines looked for, 0 found$'
}

@test "handout: the book has no instructor chapter, the README no word for instructors, and the book still checks" {
    run grep -c 'instructor/' "$HANDOUT/README.md"
    assert_output 0
    run grep -c '^## For instructors' "$REPO_ROOT/README.md"
    assert_output 1
    [[ -f $HANDOUT/chapters/ORDER ]]
    run grep -c '^instructor/' "$HANDOUT/chapters/ORDER"
    assert_output 0
    run grep -c '^instructor/' "$REPO_ROOT/chapters/ORDER"
    refute_output 0
    run "$PYTHON" "$HANDOUT/docs/book.py" check
    assert_success
}

@test "handout: make grade, run as a student (a normal user), scores 0 on every exercise" {
    local as_student=()
    if [[ $(id -u) -eq 0 ]]; then
        # As root (as on CI), the students' copy is given to "nobody".
        chown -R nobody "$HANDOUT"
        as_student=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$BATS_FILE_TMPDIR")
    fi
    run "${as_student[@]}" make -s --no-print-directory -C "$HANDOUT" grade
    assert_success
    assert_line --regexp '^grade: 0/[1-9][0-9]*$'
    run "$PYTHON" -c 'import json, sys
grade = json.load(open(sys.argv[1]))
print(sum(e["points"] for e in grade["exercises"]), grade["points"], len(grade["exercises"]))' \
        "$HANDOUT/build/grade.json"
    assert_output --regexp '^0 0 [1-9][0-9]*$'
}

@test "make handout: without DIR, into a folder not empty, or from a students' copy, it says why (status 2)" {
    run -2 make -s --no-print-directory -C "$REPO_ROOT" handout
    assert_line --index 0 "Say where to write the handout, e.g.: make handout DIR=../socket-steps-handout"
    run -2 make -s --no-print-directory -C "$REPO_ROOT" handout DIR="$HANDOUT"
    assert_line --index 0 "$HANDOUT is not an empty folder: a handout is written only into a new or empty one."
    run -2 make -s --no-print-directory -C "$HANDOUT" handout DIR="$BATS_TEST_TMPDIR/again"
    assert_line --index 0 "This copy has no instructor/ folder: it is a handout already."
}
