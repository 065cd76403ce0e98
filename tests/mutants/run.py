#!/usr/bin/env python3
"""Tests the tests: builds deliberately broken variants of the step programs
(mutants) and runs the step's own bats tests against each. A mutant that no
test catches is a gap in the suite.

Usage: tests/mutants/run.py [NAME...]   (default: every tests/mutants/*.sed)

Each mutant is a sed script whose header (sed comments) says what it breaks:
  # source: steps/01-blocking-server/server.c
  # flaw: never closes a client's socket
  # cflags: -fsanitize=thread      (optional: how to build it)
It runs against tests/<step>.bats, which stops at its first failing test.
Prints one line per mutant, and exits 1 unless every mutant was caught.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

MUTANTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(MUTANTS))
BASE_CFLAGS = ["-std=c11", "-O1", "-g", "-pthread"]  # no -Werror: a mutant may warn


def header(path):
    fields = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            match = re.match(r"# (\w+): (.*)", line)
            if match:
                fields[match.group(1)] = match.group(2).strip()
    return fields


def build(source, output, cflags):
    os.makedirs(os.path.dirname(output), exist_ok=True)
    command = [os.environ.get("CC", "cc"), *BASE_CFLAGS, *cflags, "-o", output, source]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"does not compile:\n{result.stderr}")


def build_steps(steps_root):
    """The unmodified programs, which a mutant's tests also use."""
    for folder in sorted(os.listdir(os.path.join(REPO, "steps"))):
        for name in os.listdir(os.path.join(REPO, "steps", folder)):
            if name.endswith(".c"):
                build(os.path.join(REPO, "steps", folder, name),
                      os.path.join(steps_root, folder, name[:-2]), [])


def make_mutant(sed_script, fields, work):
    original = os.path.join(REPO, fields["source"])
    mutated = os.path.join(work, os.path.basename(original))
    with open(mutated, "w", encoding="utf-8") as out:
        subprocess.run(["sed", "-f", sed_script, original], stdout=out, check=True)
    with open(original, encoding="utf-8") as a, open(mutated, encoding="utf-8") as b:
        if a.read() == b.read():
            raise RuntimeError("the sed script changed nothing: has the source moved on?")
    return mutated


def first_failure(bats_file, steps_root, sanitizer):
    """Runs a bats file; returns the name of its first failing test, or None."""
    env = dict(os.environ, STEPS_ROOT=steps_root)
    if sanitizer:
        env["SANITIZER"] = sanitizer
    process = subprocess.Popen(["bats", "--tap", bats_file], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    failed = None
    try:
        for line in process.stdout:
            match = re.match(r"not ok \d+ (.*)", line)
            if match:
                failed = match.group(1).split(" # ")[0]
                break
    finally:
        os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None
        process.wait()
    return failed


def run_mutant(sed_script, steps_root):
    fields = header(sed_script)
    step = fields["source"].split("/")[1]
    work = tempfile.mkdtemp(prefix="mutant-")
    try:
        mutated = make_mutant(sed_script, fields, work)
        binary = os.path.join(steps_root, step, os.path.basename(mutated)[:-2])
        cflags = fields.get("cflags", "").split()
        build(mutated, binary, cflags)
        sanitizer = "thread" if "-fsanitize=thread" in cflags else None
        return first_failure(os.path.join(REPO, "tests", f"{step}.bats"), steps_root, sanitizer)
    finally:
        shutil.rmtree(work)


def judge(script, unmodified):
    """Runs one mutant; returns its table line and whether it was caught."""
    steps_root = tempfile.mkdtemp(prefix="mutant-steps-")
    try:
        shutil.copytree(unmodified, steps_root, dirs_exist_ok=True)
        caught_by = run_mutant(os.path.join(MUTANTS, script), steps_root)
        result = "caught" if caught_by else "NOT caught"
        detail = caught_by or header(os.path.join(MUTANTS, script))["flaw"]
    except RuntimeError as error:
        result, detail = "BROKEN", str(error)
    finally:
        shutil.rmtree(steps_root)
    return f"{script[:-4]:<24} {result:<11} {detail}", result == "caught"


def main(names):
    scripts = sorted(f for f in os.listdir(MUTANTS) if f.endswith(".sed"))
    if names:
        scripts = [f"{name}.sed" for name in names]
    unmodified = tempfile.mkdtemp(prefix="mutant-base-")
    build_steps(unmodified)
    print(f"{'mutant':<24} {'result':<11} test that caught it")
    # Two at a time: the machine has two cores, and every server uses its own port.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda script: judge(script, unmodified), scripts))
    shutil.rmtree(unmodified)
    for line, _ in results:
        print(line)
    return 0 if all(caught for _, caught in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
