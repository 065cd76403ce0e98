# Socket Steps: build, run and test every step.
#
#   make                  build every step (binaries next to their sources)
#   make test             install what the tests need (when it can), build, run them all
#   make check            the suite under ASan+UBSan and TSan, cppcheck and clang-tidy,
#                         and the mutants
#   make step-02 run      build step 02 and start it (HOST=, PORT= override)
#   make step-03 run      build the client and run it against HOST:PORT
#                         (MESSAGE= and WAIT= set its -m and -w)
#   make step-02 test     run one step's tests
#   make step-02 exercise-1  build your step 02 and check exercise 1 on it
#                         (needs only a C compiler, bats and python3)
#   make grade            every exercise's check on your steps: points per check
#                         passed, in build/grade.json and a last line "grade: N/M"
#   make handout DIR=D    a fresh one-commit repository for students in D:
#                         no instructor/ (solutions, answers), no history
#   make mutants          build broken variants of the steps; each must fail a test
#   make bench            measure steps 01, 02, 04, 05, 06 and 07 side by side (bench/results.md)
#   make html             build the HTML notes into docs/html/
#   make pdf              the whole book as one PDF, build/book.pdf (via Chromium)
#   make diagrams         redraw docs/diagrams/*.svg from their sources
#   make fuzz             libFuzzer on step 07's frame reader and handshake parser
#                         (clang; FUZZ_SECONDS each, 60 by default)
#   make regions          refresh the code copies in the chapters from the sources
#   make clean

CFLAGS ?= -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -g
HOST ?= 127.0.0.1
PORT ?= 9797
# Where binaries go: "." puts each next to its source; make check builds elsewhere.
OUT ?= .
BATS ?= bats
# The system's python3: a version manager's shim can be slow to start.
PYTHON ?= $(shell command -v /usr/bin/python3 || command -v python3)
export BATS_TEST_TIMEOUT ?= 30
# make test runs this many test files at a time (bats --jobs, with GNU
# parallel), each file's tests one after another: book.bats shares one copy
# of the repository between its tests. Most tests wait on sockets and timers,
# so more jobs than cores pays. Measured on 2 cores shared with other work:
# 41-50 s with 8 files at once, 101 s one file at a time; with the tests
# within files in parallel too, 47-70 s (more contention, no gain: the book's
# file sets the pace).
JOBS ?= 8

STEPS := $(notdir $(wildcard steps/[0-9][0-9]-*))
STEP_TESTS := $(wildcard tests/[0-9][0-9]-*.bats)
# Every step is one program: steps/NN-name/server.c (or client.c).
SOURCES := $(wildcard steps/[0-9][0-9]-*/*.c)
# Step 06 uses epoll, which only Linux has: elsewhere it is left out, and
# said so once (SYSTEM= pretends to be another system, for the tests).
SYSTEM ?= $(shell uname -s)
ifneq ($(SYSTEM),Linux)
LINUX_ONLY := $(wildcard steps/*-epoll-*/*.c)
SOURCES := $(filter-out $(LINUX_ONLY),$(SOURCES))
STEP_TESTS := $(filter-out $(patsubst steps/%/,tests/%.bats,$(dir $(LINUX_ONLY))),$(STEP_TESTS))
LINUX_ONLY_STEPS := $(patsubst steps/%/,%,$(dir $(LINUX_ONLY)))
ifneq ($(LINUX_ONLY_STEPS),)
ifeq ($(filter-out all test check,$(or $(MAKECMDGOALS),all)),)
$(info Skipping $(LINUX_ONLY_STEPS): it uses epoll, which only Linux has (this is $(SYSTEM)).)
endif
endif
endif
BINARIES := $(patsubst %.c,$(OUT)/%,$(SOURCES))

.PHONY: all test check run clean deps lint sanitize-address sanitize-thread html pdf diagrams regions mutants bench grade handout fuzz fuzz-short
.DEFAULT_GOAL := all

all: $(BINARIES)

# Each step builds alone, from its one source file, as its chapter shows.
# -pthread for all: the steps that start no thread are not changed by it.
# $(call step_cc,BINARY,SOURCE)
step_cc = $(CC) $(CFLAGS) -o $(1) $(2) $(LDFLAGS) -pthread

$(OUT)/steps/%: steps/%.c
	@mkdir -p $(@D) && $(call step_cc,$@,$<)

# --- one step: make step-NN [run|test] ------------------------------------
# "make step-02 run" names the step as one goal and the action as another.
STEP_NUMBER := $(patsubst step-%,%,$(filter step-%,$(MAKECMDGOALS)))
STEP_DIR := $(wildcard steps/$(STEP_NUMBER)-*)
STEP_SOURCE := $(wildcard $(STEP_DIR)/*.c)
STEP_BINARY := $(STEP_SOURCE:.c=)
EXERCISE_GOAL := $(filter exercise-%,$(MAKECMDGOALS))

# An exercise builds the step itself, to explain a compile error.
step-%: $(if $(filter $(notdir $(STEP_DIR)),$(LINUX_ONLY_STEPS)),,$(if $(EXERCISE_GOAL),,$(STEP_BINARY)))
	@test -n "$(STEP_DIR)" || { echo "No step $*. Steps: $(STEPS)" >&2; exit 2; }
	@test -z "$(filter $(notdir $(STEP_DIR)),$(LINUX_ONLY_STEPS))" || \
	    { echo "Step $* uses epoll, which only Linux has (this is $(SYSTEM))." >&2; exit 2; }

# The client's own options, only when given: MESSAGE='Hi there' WAIT=0.
CLIENT_OPTIONS = $(if $(MESSAGE),-m '$(MESSAGE)') $(if $(WAIT),-w $(WAIT))

run: $(if $(STEP_NUMBER),step-$(STEP_NUMBER))
	@test -n "$(STEP_NUMBER)" || { echo "Say which step to run, e.g.: make step-01 run" >&2; exit 2; }
	$(strip $(STEP_BINARY) -H $(HOST) -p $(PORT) $(if $(filter %/client,$(STEP_BINARY)),$(CLIENT_OPTIONS)))

# make step-02 exercise-1: builds your program in that step's folder (and
# the other steps, which a check may start too), then runs that exercise's
# check on it (tests/exercises/check). Needs only a compiler, bats, python3.
EXERCISE_CHECK = tests/exercises/$(notdir $(STEP_DIR))/exercise-$*.bats
define not_compiling
printf '\nYour %s does not compile: the compiler says why above (fix its first error first).\nThen run again:  make step-%s exercise-%s\n' \
    $(STEP_SOURCE) $(STEP_NUMBER) $* >&2
endef

exercise-%: $(if $(STEP_NUMBER),step-$(STEP_NUMBER))
	@test -n "$(STEP_NUMBER)" || { echo "Say which step, e.g.: make step-02 exercise-1" >&2; exit 2; }
	@test -f $(EXERCISE_CHECK) || { echo "Step $(STEP_NUMBER) has no exercise $*" >&2; exit 2; }
	@tests/ensure-deps --exercises
	@$(MAKE) -q $(STEP_BINARY) 2>/dev/null || $(call step_cc,$(STEP_BINARY),$(STEP_SOURCE)) || \
	    { $(not_compiling); exit 1; }
	@$(MAKE) -s --no-print-directory all || \
	    { echo "The check may start the other steps' programs too, and one does not compile (above)." >&2; exit 1; }
	@tests/exercises/check $(EXERCISE_CHECK) $(STEP_BINARY)

deps:
	@tests/ensure-deps

# make grade: every exercise's check on the programs in steps/, one point per
# check passed, as a student runs it: it needs only a compiler, bats and
# python3, and installs nothing (it says what is missing). GRADE_JSON= names
# the JSON file an autograder reads (build/grade.json).
grade:
	@tests/exercises/grade $(if $(GRADE_JSON),--json $(GRADE_JSON))

# make handout DIR=../socket-steps-class: instructor material stays here.
handout:
	@test -n "$(DIR)" || { echo "Say where to write the handout, e.g.: make handout DIR=../socket-steps-handout" >&2; exit 2; }
	@test -x instructor/make-handout || { echo "This copy has no instructor/ folder: it is a handout already." >&2; exit 2; }
	@instructor/make-handout "$(DIR)"

test: deps all bench/load
	$(BATS) --jobs $(JOBS) --no-parallelize-within-files \
	    $(if $(STEP_NUMBER),tests/$(notdir $(STEP_DIR)).bats,tests)

# Tests the tests: every deliberately broken program must fail some test
# (part of make check: it runs each step's tests once per mutant).
mutants: all
	$(PYTHON) tests/mutants/run.py

# --- make bench: every step measured side by side ------------------------
bench/load: bench/load.c
	$(CC) $(CFLAGS) -o $@ $<

bench: all bench/load
	$(PYTHON) bench/run.py

# --- the book ---------------------------------------------------------------
html:
	$(PYTHON) docs/book.py html docs/html

pdf:
	$(PYTHON) docs/book.py pdf build/book.pdf

diagrams:
	$(PYTHON) docs/diagrams.py

regions:
	$(PYTHON) docs/book.py refresh

# --- make check: sanitizers and static analysis ---------------------------
SANITIZER_CFLAGS := -std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g -fno-omit-frame-pointer
# Any report makes the program exit non-zero, and the tests read its stderr.
export ASAN_OPTIONS := detect_leaks=1
export UBSAN_OPTIONS := halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS := halt_on_error=1

check: deps sanitize-address sanitize-thread lint mutants fuzz-short

# make fuzz: libFuzzer targets (tests/fuzz/) include step 07's server.c and
# feed its frame reader and handshake parser; they build into build/fuzz/.
FUZZ_SECONDS ?= 60
fuzz:
	tests/fuzz/run $(FUZZ_SECONDS)

# A short bounded run inside make check.
fuzz-short:
	tests/fuzz/run 20

sanitize-address:
	$(MAKE) --no-print-directory OUT=build/asan \
	    CFLAGS='$(SANITIZER_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all'
	SANITIZER=address STEPS_ROOT=build/asan/steps $(BATS) $(STEP_TESTS) $(wildcard tests/websocket-clients.bats)

sanitize-thread:
	$(MAKE) --no-print-directory OUT=build/tsan CFLAGS='$(SANITIZER_CFLAGS) -fsanitize=thread'
	SANITIZER=thread STEPS_ROOT=build/tsan/steps $(BATS) tests/02-threaded-server.bats tests/04-robust-server.bats

# The solutions too, when they are there (an instructor may delete them):
# each patch applied to a copy of its step, in build/solutions/NN-name/exercise-K/.
SOLUTIONS := $(patsubst instructor/solutions/%.patch,build/solutions/%,$(wildcard instructor/solutions/*/exercise-*.patch))
LINTED = $(wildcard steps/*/*.c) $(foreach s,$(SOLUTIONS),$(wildcard $(s)/steps/*/*.c))

build/solutions/%: instructor/solutions/%.patch $(wildcard steps/*/*.c)
	@rm -rf $@ && tests/exercises/patched-step $< $@

lint: $(SOLUTIONS)
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,style,performance,portability \
	    --inline-suppr $(LINTED)
	clang-tidy --quiet $(LINTED) -- -std=c11 -pthread

clean:
	rm -rf build docs/html bench/load $(BINARIES)
