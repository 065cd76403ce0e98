#!/usr/bin/env bats
# The teaching apparatus (docs/apparatus.py): every learner chapter has its
# "You will learn" list at the top, five self-check questions at the end, a
# time estimate in each exercise's heading, and instructor/answers.md five
# answers for each chapter. The repository passes; on copies of its chapters,
# taking away any one of those parts fails, naming the file and the part.

bats_require_minimum_version 1.5.0
load helpers

# A copy of what the check reads: chapters/ORDER, the chapters, the files they
# include, instructor/answers.md and the check itself. Never the repository.
setup() {
    COPY=$BATS_TEST_TMPDIR/repo
    mkdir -p "$COPY"
    (
        cd "$REPO_ROOT" || exit 1
        files=(chapters/ORDER docs/apparatus.py instructor/answers.md steps/*/exercises.md bench/results.md)
        while read -r name; do
            [[ -z $name || $name == \#* ]] || files+=("$name")
        done <chapters/ORDER
        # A student handout has no instructor/: copy what there is.
        for name in "${files[@]}"; do
            [[ ! -e $name ]] || cp --parents "$name" "$COPY" || exit 1
        done
    )
}

apparatus() { "$PYTHON" "$COPY/docs/apparatus.py" "$@"; }

# edit FILE PYTHON: runs PYTHON on the text of FILE (in the copy) as `text`,
# and writes back what it leaves in `text`; fails if it changed nothing.
edit() {
    "$PYTHON" - "$COPY/$1" "$2" <<'EOF'
import re, sys
path, code = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    text = before = f.read()

def drop_section(title):
    """Removes '## title' and everything up to the next '## ' heading."""
    return re.sub(r"(?ms)^## " + re.escape(title) + r"\n.*?(?=^## |\Z)", "", text, count=1)

def drop_item(title, number):
    """Removes item `number` ('N. ' and its indented lines) of section '## title'."""
    start = text.index("\n## " + title + "\n")
    end = text.find("\n## ", start + 1)
    end = len(text) if end == -1 else end
    section = re.sub(r"(?m)^" + str(number) + r"\. .*\n(?:[ \t]+\S.*\n)*", "", text[start:end], count=1)
    return text[:start] + section + text[end:]

exec(code)
if text == before:
    sys.exit(f"edit: {code!r} changed nothing in {path}")
with open(path, "w", encoding="utf-8") as f:
    f.write(text)
EOF
}

@test "apparatus: the repository has every part" {
    run "$PYTHON" "$REPO_ROOT/docs/apparatus.py"
    assert_success
    assert_output ""
}

@test "apparatus: a copy passes, with instructor/answers.md and without instructor/ at all" {
    run apparatus "$COPY"
    assert_success
    assert_output ""
    # A student handout leaves instructor/ out: its absence is not a problem.
    rm -rf "$COPY/instructor"
    run apparatus
    assert_success
    assert_output ""
}

@test "apparatus: a chapter without its 'You will learn' section fails, naming it" {
    edit steps/03-client/README.md 'text = drop_section("You will learn")'
    run apparatus
    assert_failure 1
    assert_output "steps/03-client/README.md: has no '## You will learn' section (a list of at least 3 things the reader will be able to do, before the chapter's first other '##' section)"
}

@test "apparatus: a 'You will learn' list of one bullet, or one after another section, fails" {
    edit chapters/00-introduction.md 'text = re.sub(r"(?m)^## You will learn\n\n(- .*\n(?:  .*\n)*){3}", "## You will learn\n\n", text, count=1)'
    edit steps/05-poll-server/README.md 'text = text.replace("## You will learn\n", "## Before\n\nA section first.\n\n## You will learn\n", 1)'
    run apparatus
    assert_failure 1
    assert_line "chapters/00-introduction.md: its '## You will learn' section has 1 bullet ('- ...' lines); it needs at least 3"
    assert_line --regexp "^steps/05-poll-server/README.md: its '## You will learn' section must come before its first other '##' section, '## Before' \\(line [0-9]+\\)$"
    assert_equal "${#lines[@]}" 2
}

@test "apparatus: a self-check with a question missing fails, naming the chapter" {
    edit chapters/measuring.md 'text = drop_item("Self-check", 4)'
    run apparatus
    assert_failure 1
    assert_output "chapters/measuring.md: its '## Self-check' section has 4 numbered questions ('1. ...' lines); it needs exactly 5"
}

@test "apparatus: a chapter without a self-check, or with a section after it, fails" {
    edit steps/02-threaded-server/README.md 'text = drop_section("Self-check")'
    edit steps/04-robust-server/README.md 'text += "\n## Afterword\n\nOne more section.\n"'
    run apparatus
    assert_failure 1
    assert_line "steps/02-threaded-server/README.md: has no '## Self-check' section (exactly 5 numbered questions, as the chapter's last '##' section)"
    assert_line --regexp "^steps/04-robust-server/README.md: its '## Self-check' section must be its last '##' section, but '## Afterword' \(line [0-9]+\) comes after it$"
    assert_equal "${#lines[@]}" 2
}

@test "apparatus: an exercise heading without its time estimate fails, naming exercises.md and the line" {
    edit steps/01-blocking-server/exercises.md 'text = text.replace("### Exercise 2: count the bytes (about 20 minutes)", "### Exercise 2: count the bytes", 1)'
    local number
    number=$(grep -n '^### Exercise 2: count the bytes$' "$COPY/steps/01-blocking-server/exercises.md" | cut -d: -f1)
    run apparatus
    assert_failure 1
    assert_output "steps/01-blocking-server/exercises.md:$number: the heading of exercise 2 has no time estimate at its end, such as '(about 20 minutes)', '(about an hour)' or '(about 2 hours)': ### Exercise 2: count the bytes"
}

@test "apparatus: an estimate that is not a time, or is not at the heading's end, fails" {
    edit steps/05-poll-server/exercises.md 'text = text.replace("(about an hour)", "(about a while)", 1)'
    edit steps/04-robust-server/exercises.md 'text = text.replace("(about 20 minutes)\n", "(about 20 minutes), or more\n", 1)'
    run apparatus
    assert_failure 1
    assert_line --regexp "^steps/05-poll-server/exercises.md:[0-9]+: the heading of exercise 2 has no time estimate .*: ### Exercise 2: hang up on silence \(about a while\)$"
    assert_line --regexp "^steps/04-robust-server/exercises.md:[0-9]+: the heading of exercise 1 has no time estimate .*, or more$"
    assert_equal "${#lines[@]}" 2
}

@test "apparatus: instructor/answers.md with an answer missing fails, naming the chapter's section" {
    [[ -e $COPY/instructor/answers.md ]] || skip "no instructor/answers.md here (a student handout)"
    edit instructor/answers.md 'text = drop_item("Step 02: One thread per client", 3)'
    run apparatus
    assert_failure 1
    assert_output --regexp "^instructor/answers.md:[0-9]+: the section '## Step 02: One thread per client' has 4 numbered answers \('1. ...' lines\); it needs exactly 5, one for each self-check question of steps/02-threaded-server/README.md$"
}

@test "apparatus: instructor/answers.md without a chapter's section, or with a stale one, fails" {
    [[ -e $COPY/instructor/answers.md ]] || skip "no instructor/answers.md here (a student handout)"
    edit instructor/answers.md 'text = drop_section("Step 05: One thread, many clients: poll()")'
    edit chapters/measuring.md 'text = text.replace("# Measuring the difference\n", "# Measuring servers\n", 1)'
    run apparatus
    assert_failure 1
    assert_line "instructor/answers.md: has no section '## Step 05: One thread, many clients: poll()' with the answers to the self-check questions of steps/05-poll-server/README.md"
    assert_line "instructor/answers.md: has no section '## Measuring servers' with the answers to the self-check questions of chapters/measuring.md"
    assert_line --regexp "^instructor/answers.md:[0-9]+: the section '## Measuring the difference' is not the title of any learner chapter in chapters/ORDER \(was a chapter renamed\?\)$"
    assert_equal "${#lines[@]}" 3
}

@test "apparatus: instructor chapters are not learner chapters; problems() is importable" {
    # instructor/README.md is in chapters/ORDER, with no self-check of its own.
    grep -qx 'instructor/README.md' "$COPY/chapters/ORDER" || skip "chapters/ORDER names no instructor chapter"
    "$PYTHON" - "$COPY" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("apparatus", sys.argv[1] + "/docs/apparatus.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert module.problems(sys.argv[1]) == [], module.problems(sys.argv[1])
assert "instructor/README.md" not in module.learner_chapters(sys.argv[1])
EOF
}
