#!/usr/bin/env python3
"""Checks the teaching apparatus of every learner chapter.

  python3 docs/apparatus.py [ROOT]    print every problem; exit 1 if any, 0 if none

ROOT is the repository's top (default: the one this file is in). The learner
chapters are the entries of chapters/ORDER that are not under instructor/.
Each must have:

- a "## You will learn" section, before its first other "##" section, with at
  least 3 bullets ("- ..." lines);
- a "## Self-check" section, its last "##" section, with exactly 5 numbered
  questions ("1. ...");
- a time estimate in every exercise heading, e.g.
  "### Exercise 2: count the bytes (about 20 minutes)": "(about N minutes)",
  "(about an hour)" or "(about N hours)". Headings in a file that the chapter
  includes with <!-- file exercises.md --> are checked in that file.

And when instructor/answers.md exists (a student handout leaves instructor/
out, so its absence is fine), it must have, for each learner chapter, a
section "## TITLE", TITLE being the chapter's "# " line, with exactly 5
numbered answers, and no section for a chapter that does not exist.

docs/book.py check calls problems() too.
"""
import os
import re
import sys

ORDER = os.path.join("chapters", "ORDER")
ANSWERS = os.path.join("instructor", "answers.md")
LEARN = "You will learn"
SELF_CHECK = "Self-check"
MIN_BULLETS = 3
QUESTIONS = 5

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^[-*+]\s+\S")
NUMBERED = re.compile(r"^\d+[.)]\s+\S")
INCLUDE = re.compile(r"^<!-- file (.+?) -->$")
END_INCLUDE = "<!-- end file -->"
EXERCISE = re.compile(r"^###\s+Exercise\s+(\d+)\b:?\s*(.*?)\s*$")
ESTIMATE = re.compile(r"\(about (?:[1-9]\d* minutes|an hour|[1-9]\d* hours)\)$")


def learner_chapters(root):
    """The learner chapters' paths from ROOT, in the book's order."""
    with open(os.path.join(root, ORDER), encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    return [name for name in names if not name.startswith("instructor/")]


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


def outside_fences(lines):
    """Yields (number, line) for each line not inside a fenced block."""
    fenced = False
    for number, line in enumerate(lines, 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def sections(lines):
    """The "##" sections of a markdown text: a list of (title, line number,
    [their lines]), a section ending at the next "#" or "##" heading."""
    found = []
    for number, line in outside_fences(lines):
        match = HEADING.match(line)
        if match and len(match.group(1)) <= 2:
            if len(match.group(1)) == 2:
                found.append((match.group(2), number, []))
                continue
            found.append((None, number, []))  # a "# " title ends a section
            continue
        if found:
            found[-1][2].append(line)
    return [(title, number, body) for title, number, body in found if title is not None]


def title_of(lines):
    for _, line in outside_fences(lines):
        match = HEADING.match(line)
        if match and len(match.group(1)) == 1:
            return match.group(2)
    return None


def count(pattern, body):
    return sum(1 for line in body if pattern.match(line))


def plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def structure_problems(name, lines):
    """The "You will learn" and "Self-check" sections of one chapter."""
    problems = []
    found = sections(lines)
    titles = [title for title, _, _ in found]

    learn = [i for i, title in enumerate(titles) if title == LEARN]
    if not learn:
        problems.append(f"{name}: has no '## {LEARN}' section (a list of at least {MIN_BULLETS} "
                        "things the reader will be able to do, before the chapter's first other '##' section)")
    else:
        if len(learn) > 1:
            problems.append(f"{name}: has {len(learn)} '## {LEARN}' sections; it needs one")
        if learn[0] != 0:
            problems.append(f"{name}: its '## {LEARN}' section must come before its first other '##' "
                            f"section, '## {titles[0]}' (line {found[0][1]})")
        bullets = count(BULLET, found[learn[0]][2])
        if bullets < MIN_BULLETS:
            problems.append(f"{name}: its '## {LEARN}' section has {plural(bullets, 'bullet')} "
                            f"('- ...' lines); it needs at least {MIN_BULLETS}")

    check = [i for i, title in enumerate(titles) if title == SELF_CHECK]
    if not check:
        problems.append(f"{name}: has no '## {SELF_CHECK}' section (exactly {QUESTIONS} numbered "
                        "questions, as the chapter's last '##' section)")
    else:
        if len(check) > 1:
            problems.append(f"{name}: has {len(check)} '## {SELF_CHECK}' sections; it needs one")
        if check[-1] != len(found) - 1:
            after = found[check[-1] + 1]
            problems.append(f"{name}: its '## {SELF_CHECK}' section must be its last '##' section, "
                            f"but '## {after[0]}' (line {after[1]}) comes after it")
        questions = count(NUMBERED, found[check[-1]][2])
        if questions != QUESTIONS:
            problems.append(f"{name}: its '## {SELF_CHECK}' section has {plural(questions, 'numbered question')}"
                            f" ('1. ...' lines); it needs exactly {QUESTIONS}")
    return problems


def estimate_problems(name, lines):
    """Exercise headings without a time estimate, in the lines given."""
    problems = []
    for number, line in outside_fences(lines):
        match = EXERCISE.match(line)
        if match and not ESTIMATE.search(line.rstrip()):
            problems.append(f"{name}:{number}: the heading of exercise {match.group(1)} has no time "
                            "estimate at its end, such as '(about 20 minutes)', '(about an hour)' "
                            f"or '(about 2 hours)': {line.strip()}")
    return problems


def own_and_included(root, name, lines):
    """Splits a chapter into its own lines (included ones blanked, so that line
    numbers stay right) and the files it includes with <!-- file F -->."""
    own, included, inside = [], [], False
    for line in lines:
        match = INCLUDE.match(line)
        if match and not inside:
            inside = True
            included.append(os.path.normpath(os.path.join(os.path.dirname(name), match.group(1))))
            own.append(line)
        elif inside:
            inside = line != END_INCLUDE
            own.append(line if not inside else "")
        else:
            own.append(line)
    return own, included


def answer_problems(root, titles):
    """instructor/answers.md: a section with 5 answers for each chapter."""
    path = os.path.join(root, ANSWERS)
    if not os.path.exists(path):
        return []  # a student handout has no instructor/: nothing to check
    problems = []
    found = sections(read_lines(path))
    answers = {}
    for title, number, body in found:
        if title in answers:
            problems.append(f"{ANSWERS}:{number}: a second section '## {title}'; each chapter needs one")
            continue
        answers[title] = (number, count(NUMBERED, body))
    wanted = {title for title, _ in titles}
    for title, name in titles:
        if title not in answers:
            problems.append(f"{ANSWERS}: has no section '## {title}' with the answers to the "
                            f"self-check questions of {name}")
            continue
        number, given = answers[title]
        if given != QUESTIONS:
            problems.append(f"{ANSWERS}:{number}: the section '## {title}' has {plural(given, 'numbered answer')}"
                            f" ('1. ...' lines); it needs exactly {QUESTIONS}, one for each "
                            f"self-check question of {name}")
    for title, (number, _) in answers.items():
        if title not in wanted:
            problems.append(f"{ANSWERS}:{number}: the section '## {title}' is not the title of any "
                            f"learner chapter in {ORDER} (was a chapter renamed?)")
    return problems


def problems(repo_root):
    """Every problem with the teaching apparatus, in plain words; [] if none."""
    root = os.path.abspath(repo_root)
    if not os.path.exists(os.path.join(root, ORDER)):
        return [f"{ORDER} is missing: it lists the chapters to check"]
    found, titles = [], []
    for name in learner_chapters(root):
        path = os.path.join(root, name)
        if not os.path.exists(path):
            found.append(f"{ORDER} names {name}, which does not exist")
            continue
        lines = read_lines(path)
        title = title_of(lines)
        if title is None:
            found.append(f"{name}: has no '# ' title line")
        else:
            titles.append((title, name))
        found += structure_problems(name, lines)
        own, included = own_and_included(root, name, lines)
        found += estimate_problems(name, own)
        for include in included:
            if os.path.exists(os.path.join(root, include)):
                found += estimate_problems(include, read_lines(os.path.join(root, include)))
    found += answer_problems(root, titles)
    return found


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__.strip(), file=sys.stderr if len(argv) > 2 else sys.stdout)
        return 2 if len(argv) > 2 else 0
    root = argv[1] if len(argv) == 2 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = problems(root)
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
