#!/usr/bin/env bats
# The book: chapters never drift from the code, every session a chapter shows
# is replayed and compared, and the HTML notes build, link, show their
# pictures and render. (The PDF: tests/pdf.bats.)
#
# Everything runs in a fresh copy of the repository's files, as a clone
# would have them, so a reader's first build is what gets tested.

bats_require_minimum_version 1.5.0
load helpers

# Replay commands in a reader's environment, not inside "make test"'s: a make
# that inherits these prints "make[1]: Entering directory".
unset MAKELEVEL MAKEFLAGS MFLAGS

setup_file() {
    export BOOK_COPY=$BATS_FILE_TMPDIR/repo
    mkdir -p "$BOOK_COPY"
    (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 tar -cf -) | tar -C "$BOOK_COPY" -xf -
    make -s -C "$BOOK_COPY" >/dev/null
    # The notes, built once: tests that change something build their own.
    export HTML=$BOOK_COPY/docs/html
    make -s -C "$BOOK_COPY" html >"$BATS_FILE_TMPDIR/html.out" 2>"$BATS_FILE_TMPDIR/html.err" ||
        echo "make html failed" >>"$BATS_FILE_TMPDIR/html.err"
}

teardown() {
    # A session server runs in its own process group (make, and the server
    # under it), as in a terminal: end the whole group.
    local pid
    for pid in ${SERVER_PID:-} ${OTHER_SERVER_PID:-}; do
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

book() { "$PYTHON" "$BOOK_COPY/docs/book.py" "$@"; }

# replay ID: types the transcript's commands ("$ " lines) into one shell in
# the copy, and prints what the terminal shows: each command, then its output.
# With REPLAY_PORT set, a command's PORT=12345 (OWN_PORT) runs as
# PORT=$REPLAY_PORT, though the command shown is the chapter's.
replay() {
    local command script=""
    while IFS= read -r command; do
        # Print the prompt without losing the previous command's status ($?).
        script+="status=\$?; printf '%s\\n' $(printf '%q' "\$ $command"); (exit \$status); "
        script+="${command//PORT=$OWN_PORT/PORT=${REPLAY_PORT:-$OWN_PORT}}"$'\n'
    done < <(book transcript "$1" | sed -n 's/^\$ //p')
    (cd "$BOOK_COPY" && bash -c "$script" 2>&1)
}

# The client's wait in sessions where one client must stay connected while
# another runs: long enough for the other to start and finish (a fraction of
# a second, but make test runs 8 files at once on 2 cores, and under load
# starting a client has taken over a second), and no longer than the 4 s
# that the chapters' client waits.
HELD_WAIT=4

# The port the chapters show for "a port of your own".
OWN_PORT=12345

# replay_client ID [SECONDS]: replay, with the client's wait (4 s, unless the
# command sets WAIT) made SECONDS (default 0): make then echoes the client's
# command with "-w SECONDS" at its end, which is taken out again, so that the
# session compares with the chapter's, where the client waited 4 s.
replay_client() {
    local seconds=${2:-0}
    WAIT=$seconds replay "$1" | awk -v option=" -w $seconds" '
        /^\$ / { chosen = / WAIT=/; print; next }
        !chosen && /^steps\/03-client\/client / &&
            substr($0, length($0) - length(option) + 1) == option {
            $0 = substr($0, 1, length($0) - length(option))
        }
        { print }'
}

# check_transcript ID: replays a one-terminal session and compares it.
check_transcript() {
    replay "$1" >"$BATS_TEST_TMPDIR/$1"
    run book compare "$1" "$BATS_TEST_TMPDIR/$1"
    assert_success
}

# start_session_server ID [PORT]: runs the transcript's one command in its
# own process group, as a terminal would, with PORT=0 so no fixed port is
# used; or, for a command that names its own port (PORT=12345), on PORT.
# Job control (set -m) also keeps SIGINT at its default: without it, bash
# starts background commands with SIGINT ignored, and Ctrl-C would not reach
# make or a server that does not catch it.
start_session_server() {
    local command
    command=$(book transcript "$1" | sed -n 's/^\$ //p')
    [[ -z ${2:-} ]] || command=${command//PORT=$OWN_PORT/PORT=$2}
    SERVER_LOG=$BATS_TEST_TMPDIR/$1
    SERVER_ERR=$SERVER_LOG
    printf '$ %s\n' "$command" >"$SERVER_LOG"
    cd "$BOOK_COPY"
    set -m
    PORT=0 env --default-signal=INT bash -c "$command" >>"$SERVER_LOG" 2>&1 3>&- &
    SERVER_PID=$!
    set +m
    cd - >/dev/null
    wait_for_log '^\[INFO\] Listening on .*:[0-9]+$' 10
    PORT=$(sed -nE 's/^\[INFO\] Listening on .*:([0-9]+)$/\1/p' "$SERVER_LOG")
}

# interrupt_session_server ID [own-port]: Ctrl-C (SIGINT to the group), then
# compare (with own-port: the chapter shows the server's port as OWN_PORT).
# Sets SESSION_STATUS, what the shell's $? would say, and MAKE_RACE.
interrupt_session_server() {
    kill -INT -- "-$SERVER_PID"
    wait_until 5 server_gone || fail "the server did not stop within 5 s of Ctrl-C"
    SESSION_STATUS=0
    wait "$SERVER_PID" || SESSION_STATUS=$?
    SERVER_PID=
    # GNU make 4.3, interrupted, sometimes loses a race to reap the server and,
    # instead of its usual words (or none, when the server exits 0), says
    # "wait: No child processes.  Stop." twice, "Waiting for unfinished
    # jobs...." between, and exits 2: 2 times in 12 in a real terminal. Those
    # lines tell nothing about the server; the chapter's words replace them.
    MAKE_RACE=no
    if grep -q '^make: \*\*\* wait: No child processes\.  Stop\.$' "$SERVER_LOG"; then
        MAKE_RACE=yes
        sed -i -E '/^make: \*\*\* (wait: No child processes\.  Stop\.|Waiting for unfinished jobs\.\.\.\.|\[Makefile:[0-9]+: run\] Interrupt)$/d' "$SERVER_LOG"
        book transcript "$1" | sed -nE 's/^(\^C)?(make: \*\*\* .*)$/\2/p' >>"$SERVER_LOG"
    fi
    if [[ ${2:-} == own-port ]]; then
        # The chapter shows the port as OWN_PORT.
        sed -i -E "s/(-p |:|PORT=)$PORT\b/\1$OWN_PORT/g" "$SERVER_LOG"
        run book compare "$1" "$SERVER_LOG"
    else
        run book compare "$1" "$SERVER_LOG" "$PORT"
    fi
    assert_success
}

# check_session SERVER_ID CLIENT_ID: a server in one terminal, the client's
# commands one after the other in another, then Ctrl-C on the server.
check_session() {
    start_session_server "$1"
    PORT=$PORT replay_client "$2" >"$BATS_TEST_TMPDIR/$2"
    interrupt_session_server "$1"
    run book compare "$2" "$BATS_TEST_TMPDIR/$2" "$PORT"
    assert_success
}

# check_overlapping_session SERVER_ID CLIENT_ID [SECOND_ID OUTCOME]: a
# server in one terminal; in a second, the session CLIENT_ID, whose client
# waits before it says it has finished; while that one waits, in a third, the
# session SECOND_ID (CLIENT_ID again if not given). Then Ctrl-C on the server.
# OUTCOME, the experiment of chapters 01 and 02, says when the third terminal
# gets its reply:
#   after-first  only once the first client has left (step 01 blocks);
#   at-once      while the first client still waits (step 02).
check_overlapping_session() {
    local second_id=${3:-$2} outcome=${4:-}
    local first_out=$BATS_TEST_TMPDIR/first second_out=$BATS_TEST_TMPDIR/second
    start_session_server "$1"
    local first_started first_pid second_started
    PORT=$PORT replay_client "$2" "$HELD_WAIT" >"$first_out" 3>&- &
    first_pid=$!
    wait_for_log 'Connected to' 10
    # The first client's wait starts once it is connected (under load,
    # starting it can take seconds).
    first_started=$(now_ms)
    second_started=$(now_ms)
    # A client that waits (no WAIT= in its command) waits HELD_WAIT here too.
    PORT=$PORT replay_client "$second_id" "$HELD_WAIT" >"$second_out"
    wait "$first_pid"
    wait_for_log_count 'Disconnected from' 2 10
    # What happened when, as the server saw it: its log, in order.
    local order
    order=$(log_order)
    interrupt_session_server "$1"
    run book compare "$2" "$first_out" "$PORT"
    assert_success
    run book compare "$second_id" "$second_out" "$PORT"
    assert_success
    ((second_started - first_started < HELD_WAIT * 1000)) ||
        fail "the second client started $((second_started - first_started)) ms after the first connected, which waits only $HELD_WAIT s: too late to show anything"
    case $outcome in
    "") ;;
    after-first)
        [[ $order == "first connected, first left, second connected, second left" ]] ||
            fail "the server's log says: $order. A blocking server takes the second client only once the first has left."
        ;;
    at-once)
        [[ $order == "first connected, second connected, second left, first left" ]] ||
            fail "the server's log says: $order. The second client should come and go while the first stays."
        ;;
    *) fail "check_overlapping_session: unknown outcome '$outcome'" ;;
    esac
}

# wait_for_log_count REGEX N SECONDS: until the server's log has N such lines.
wait_for_log_count() { wait_until "$3" log_count_is_at_least "$1" "$2"; }
log_count_is_at_least() { (($(grep -cE -- "$1" "$SERVER_LOG") >= $2)); }

# log_order: the server log's Connected and Disconnected lines, in plain
# words ("first connected, second connected, ..."), the first client being
# the one that connected first.
log_order() {
    sed -nE 's/^\[CONNECTION\] (Connected to|Disconnected from) (.*)$/\1 \2/p' "$SERVER_LOG" |
        awk '{ who = $NF; if (!(who in name)) name[who] = (++n == 1 ? "first" : "second")
               out = out sep name[who] ($1 == "Connected" ? " connected" : " left"); sep = ", " }
             END { print out }'
}

@test "book: 01's build session" { check_transcript 01-build; }
@test "book: 01's error session" { check_transcript 01-errors; }

@test "book: 01's experiment: the second client's reply waits for the first client" {
    check_overlapping_session 01-server 01-client 01-second-client after-first
    # The chapter: after Ctrl-C, echo $? prints 130 (2 when make lost its race).
    if [[ $MAKE_RACE == yes ]]; then
        assert_equal "$SESSION_STATUS" 2
    else
        assert_equal "$SESSION_STATUS" 130
    fi
}

# check_own_port_sessions SERVER_ID CLIENT_ID TAKEN_ID: two people on one
# machine, each with a port of their own: the session SERVER_ID twice at
# once from one checkout, on two free ports, each answering the session
# CLIENT_ID replayed with its port; and, while one server holds its port, the
# session TAKEN_ID (a server started on that same port) fails as it shows.
check_own_port_sessions() {
    local first_port second_port first_pid first_log port
    first_port=$(closed_port)
    second_port=$(closed_port)
    [[ $first_port != "$second_port" ]] || second_port=$(closed_port)
    # The comparisons below take any 127.0.0.1:PORT for a client's address:
    # the server's own port is checked here.
    run book transcript "$1"
    assert_line "\$ make step-01 run PORT=$OWN_PORT"
    assert_line "[INFO] Listening on 127.0.0.1:$OWN_PORT"
    start_session_server "$1" "$first_port"
    first_pid=$SERVER_PID first_log=$BATS_TEST_TMPDIR/first-server
    mv "$SERVER_LOG" "$first_log"
    OTHER_SERVER_PID=$first_pid
    start_session_server "$1" "$second_port"
    for port in "$first_port" "$second_port"; do
        REPLAY_PORT=$port replay_client "$2" >"$BATS_TEST_TMPDIR/client-$port"
        sed -i -E "s/(-p |:)$port\b/\1$OWN_PORT/g" "$BATS_TEST_TMPDIR/client-$port"
        run book compare "$2" "$BATS_TEST_TMPDIR/client-$port"
        assert_success
    done
    # The clash: the chapter's plain "make step-01 run" (PORT comes from the
    # environment) on the port the first server holds.
    (export PORT=$first_port && replay "$3") >"$BATS_TEST_TMPDIR/taken" 3>&- || true
    run book compare "$3" "$BATS_TEST_TMPDIR/taken" "$first_port"
    assert_success
    # Ctrl-C on each: each log shows its own client, and only that one.
    PORT=$second_port interrupt_session_server "$1" own-port
    SERVER_PID=$first_pid SERVER_LOG=$first_log OTHER_SERVER_PID=
    PORT=$first_port interrupt_session_server "$1" own-port
}

@test "lab: two servers from one checkout, each on its own port, each answers its own client" {
    check_own_port_sessions 01-own-port-server 01-own-port-client 01-port-taken
}

@test "book: 02's build session" { check_transcript 02-build; }

@test "book: 02's experiment: the second client is answered while the first waits" {
    check_overlapping_session 02-server 02-client 02-second-client at-once
}

@test "book: 03's build session" { check_transcript 03-build; }
@test "book: 03's client session" { check_session 03-server 03-client; }
@test "book: 03's refused connection" { check_transcript 03-refused; }
@test "book: 04's build session" { check_transcript 04-build; }
@test "book: 04's two clients, at the same time" { check_overlapping_session 04-server 04-client; }
@test "book: 05's build session" { check_transcript 05-build; }
@test "book: 05's two clients, at the same time" { check_overlapping_session 05-server 05-client; }
@test "book: 06's build session" { check_transcript 06-build; }
@test "book: 06's two clients, at the same time" { check_overlapping_session 06-server 06-client; }
@test "book: 07's build session" { check_transcript 07-build; }

@test "book: every code copy matches its source, every region and marker is used" {
    run book check
    assert_success
    assert_output ""
}

@test "book: the drift check catches a stale copy, a missing region and an unused marker" {
    local source=$BOOK_COPY/steps/01-blocking-server/server.c
    cp "$source" "$BATS_TEST_TMPDIR/server.c"
    sed -i 's|/\* Lets a restarted server bind while|/* Lets a server restarted at once bind while|' "$source"
    sed -i 's|^// \[/main\]|// [main-end]\n// [/main-end]\n// [/main]|' "$source"
    sed -i 's|^// \[reply-text\]$|// [reply-texts]|; s|^// \[/reply-text\]$|// [/reply-texts]|' "$source"
    run book check
    cp "$BATS_TEST_TMPDIR/server.c" "$source"
    assert_failure
    assert_line --partial "the copy of 'include server.c [listen]' differs from the source"
    assert_line --partial "steps/01-blocking-server/server.c has no region [reply-text]"
    assert_line --partial "region [main-end] is used by no chapter"
}

@test "book: a console block without a transcript the tests run is refused" {
    local chapter=$BOOK_COPY/steps/03-client/README.md
    cp "$chapter" "$BATS_TEST_TMPDIR/README.md"
    printf '\n```console\n$ make step-03 run\n```\n' >>"$chapter"
    run book check
    cp "$BATS_TEST_TMPDIR/README.md" "$chapter"
    assert_failure
    assert_output --partial "console block with no <!-- transcript ID -->"
}

@test "book: a chapter citing a test that no longer exists is refused" {
    local chapter=$BOOK_COPY/steps/01-blocking-server/README.md
    cp "$chapter" "$BATS_TEST_TMPDIR/README.md"
    printf '\nThe test `01 limit: a test renamed since` shows it.\n' >>"$chapter"
    run book check
    cp "$BATS_TEST_TMPDIR/README.md" "$chapter"
    assert_failure
    assert_output --partial "cites the test '01 limit: a test renamed since', which no test is named"
}

@test "book: check reports what docs/apparatus.py finds, and its failure" {
    # docs/apparatus.py checks the chapters' teaching parts; check runs it when it is there.
    local apparatus=$BOOK_COPY/docs/apparatus.py kept=$BATS_TEST_TMPDIR/apparatus.py
    [[ ! -e $apparatus ]] || mv "$apparatus" "$kept"
    printf 'def problems(repo_root):\n    return ["apparatus: a problem in " + repo_root]\n' >"$apparatus"
    run book check
    local first_status=$status first_output=$output
    printf 'def problems(repo_root):\n    raise ValueError("broken")\n' >"$apparatus"
    run book check
    rm "$apparatus"
    [[ ! -e $kept ]] || mv "$kept" "$apparatus"
    assert_failure
    assert_line "docs/apparatus.py failed: ValueError: broken"
    ((first_status == 1)) || fail "check passed although docs/apparatus.py reported a problem"
    grep -qxF "apparatus: a problem in $BOOK_COPY" <<<"$first_output" ||
        fail "check did not report docs/apparatus.py's problem: $first_output"
}

@test "book: a chapter's picture shows in the HTML notes; a missing one fails check and the link check" {
    local chapter=$BOOK_COPY/steps/01-blocking-server/README.md
    local picture=$BOOK_COPY/docs/diagrams/book-test-picture.svg html=$BATS_TEST_TMPDIR/html
    cp "$chapter" "$BATS_TEST_TMPDIR/README.md"
    mkdir -p "$(dirname "$picture")"
    printf '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n' >"$picture"
    printf '\n![A test picture](../../docs/diagrams/book-test-picture.svg)\n' >>"$chapter"
    run book html "$html"
    local built=$status
    rm "$picture"
    run book check
    cp "$BATS_TEST_TMPDIR/README.md" "$chapter"
    assert_failure
    assert_line "steps/01-blocking-server/README.md: missing image: ../../docs/diagrams/book-test-picture.svg"
    # The notes carry their own copy: the page needs nothing outside its folder.
    ((built == 0)) || fail "book html failed"
    grep -q '<img src="images/docs/diagrams/book-test-picture.svg"' "$html/01-blocking-server.html"
    grep -q '<rect width="10" height="10"/>' "$html/images/docs/diagrams/book-test-picture.svg"
    run book links "$html"
    assert_success
    rm "$html/images/docs/diagrams/book-test-picture.svg"
    run book links "$html"
    assert_failure
    assert_output --partial "01-blocking-server.html: missing resource: images/docs/diagrams/book-test-picture.svg"
}

@test "book: make html builds every page, with no pandoc warning" {
    run cat "$BATS_FILE_TMPDIR/html.err"
    assert_output ""
    local page
    for page in index 00-introduction 01-blocking-server 02-threaded-server 03-client \
        04-robust-server 05-poll-server 06-epoll-server 07-websocket-server measuring; do
        [[ -s $HTML/$page.html ]] || fail "no page $page.html"
    done
}

@test "book: the HTML shows the code as the source has it now, not the markdown copy" {
    local source=$BOOK_COPY/steps/01-blocking-server/server.c
    cp "$source" "$BATS_TEST_TMPDIR/server.c"
    # A line of step 01's [main] region that step 02's diff shows as context.
    sed -i 's|/\* a network error, or out of resources: go on \*/|/* Changed after the copy was made. */|' "$source"
    run book html "$BATS_TEST_TMPDIR/html"
    cp "$BATS_TEST_TMPDIR/server.c" "$source"
    assert_success
    grep -q "Changed after the copy was made" "$BATS_TEST_TMPDIR/html/01-blocking-server.html"
    run grep -c "a network error, or out of resources" "$BATS_TEST_TMPDIR/html/01-blocking-server.html"
    assert_output 0
    # The step 02 chapter shows the diff, made at build time as well.
    grep -q "Changed after the copy was made" "$BATS_TEST_TMPDIR/html/02-threaded-server.html"
}

@test "book: every page has a title, contents, navigation and highlighted C" {
    local page=$HTML/01-blocking-server.html
    grep -q '<title>Step 01: A blocking server</title>' "$page"
    grep -q '<nav id="TOC"' "$page"
    grep -q '<a rel="prev" href="00-introduction.html">' "$page"
    grep -q '<a rel="next" href="02-threaded-server.html">' "$page"
    grep -q 'href="../../steps/01-blocking-server/server.c"' "$page"
    grep -q '<pre class="sourceCode c">' "$page"
    grep -q '<a href="02-threaded-server.html">Step 02</a>' "$page"
    run grep -c '<!-- ' "$page"
    assert_output 0 # the directives are gone
}

@test "book: every internal link and #anchor resolves, and nothing is loaded from the network" {
    run book links "$HTML"
    assert_success
}

@test "book: the link check catches a broken anchor and an external resource" {
    cp -r "$HTML" "$BATS_TEST_TMPDIR/html"
    local page=$BATS_TEST_TMPDIR/html/01-blocking-server.html
    sed -i 's|href="#the-backlog-and-the-accept-queue"|href="#no-such-section"|' "$page"
    sed -i 's|</head>|<script src="https://cdn.example/x.js"></script></head>|' "$page"
    run book links "$BATS_TEST_TMPDIR/html"
    assert_failure
    assert_output --partial "no anchor #no-such-section in 01-blocking-server.html"
    assert_output --partial "loads an external resource: https://cdn.example/x.js"
}

@test "book: a chapter page renders in headless Chromium" {
    command -v chromium >/dev/null || skip "chromium is not installed (tests/ensure-deps --with-browser installs it)"
    local page=file://$HTML/01-blocking-server.html
    # The screenshot is kept as a build artefact (docs/html is not in git).
    local shot=$REPO_ROOT/docs/html/screenshot-01-blocking-server.png
    mkdir -p "$(dirname "$shot")"
    local browser=(timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        "--user-data-dir=$BATS_TEST_TMPDIR/chromium" --window-size=1200,1600)
    "${browser[@]}" "--screenshot=$shot" "$page" 2>/dev/null
    run "$PYTHON" "$TESTS_DIR/png_stats.py" "$shot"
    assert_output --regexp '^1200x1600 [0-9.]+% drawn$'
    local drawn=${output#* }
    drawn=${drawn%%.*}
    ((drawn >= 2)) || fail "the screenshot is almost blank: $output"
    run "${browser[@]}" --dump-dom "$page"
    assert_output --partial '<h1 class="title">Step 01: A blocking server</h1>'
}
