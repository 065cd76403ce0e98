#!/usr/bin/env bats
# Step 07 with real WebSocket clients, none written by us: Python's
# `websockets` (Debian's python3-websockets), the npm `ws` client, and headless
# Chromium opening the step's page (driven by playwright-core). Each client is
# a script in tests/ws-clients/ that prints one line per thing its user would
# see; these tests assert those lines.
#
# tests/ensure-deps (run by make test) installs the clients: the Debian
# packages, and the npm ones with `npm ci` from tests/ws-clients/package-lock.json.
# A test is skipped, saying so, only when its client is not installed.
#
# WS_SCREENSHOT=FILE.png keeps the browser test's screenshot of the page.

bats_require_minimum_version 1.5.0
load helpers

CLIENTS=$TESTS_DIR/ws-clients

setup() {
    SERVER=$(server_binary 07-websocket-server)
}

need_node_package() {
    command -v node >/dev/null || skip "node is not installed (tests/ensure-deps installs it)"
    [[ -d $CLIENTS/node_modules/$1 ]] ||
        skip "the npm package $1 is not installed: cd tests/ws-clients && npm ci"
}

# The lines every client prints for the same exchanges, in the same words.
# Sizes straddle the frame length encodings: 7 bits (up to 125), 16 bits (up
# to 65535), 64 bits, and 1 MiB.
assert_echoes() {
    local kind size
    for kind in text binary; do
        for size in 0 1 125 126 65535 65536 1048576; do
            assert_line "$kind $size bytes: echoed as $kind, equal"
        done
    done
}

# Fails, showing the server's stderr, if the server has exited.
assert_server_alive() {
    server_alive || {
        echo "--- the server exited; its stderr:" >&2
        cat "$SERVER_ERR" >&2
        return 1
    }
}

@test "07 clients: Python websockets: echoes, 16 MiB, ping, fragments, close codes echoed" {
    "$PYTHON" -c 'import websockets' 2>/dev/null ||
        skip "python3-websockets is not installed (tests/ensure-deps installs it: apt-get install python3-websockets)"
    start_server "$SERVER"
    run timeout 25 "$PYTHON" "$CLIENTS/websockets-client.py" "$PORT"
    refute_line --partial FAIL
    # It offers permessage-deflate; the server declines by not answering.
    assert_line "connected to ws://127.0.0.1:$PORT/, extensions []"
    assert_echoes
    assert_line "binary 16777216 bytes: echoed as binary, equal"
    assert_line 'ping: pong with the same payload "are you there?"'
    assert_line 'ping between fragments: pong "between fragments"'
    assert_line 'fragmented text in 4 frames: echoed as one text message "Hello, fragmented world ✓"'
    assert_line "fragmented binary in 3 frames: echoed as one binary message of 6 bytes"
    assert_line "close 1000: server echoed 1000"
    assert_line "close 4000: server echoed 4000"
    assert_success
    assert_server_alive
}

@test "07 clients: npm ws: echoes up to 1 MiB, ping, fragments, close codes echoed" {
    need_node_package ws
    start_server "$SERVER"
    run timeout 25 node "$CLIENTS/ws-client.js" "$PORT"
    refute_line --partial FAIL
    assert_line "connected to ws://127.0.0.1:$PORT/, extensions \"\""
    assert_echoes
    assert_line 'ping: pong with the same payload "are you there?"'
    assert_line 'ping between fragments: pong "between fragments"'
    assert_line 'fragmented text in 3 frames: echoed as one text message "Hello, fragmented world ✓"'
    assert_line "fragmented binary in 2 frames: echoed as one binary message of 6 bytes"
    assert_line "close 1000: server echoed 1000"
    assert_line "close 4000: server echoed 4000"
    assert_success
    assert_server_alive
}

@test "07 clients: headless Chromium: the page shows what was typed coming back, over WebSocket frames" {
    command -v chromium >/dev/null || skip "chromium is not installed (tests/ensure-deps installs it)"
    need_node_package playwright-core
    local screenshot=${WS_SCREENSHOT:-$BATS_TEST_TMPDIR/page.png}
    rm -f "$screenshot"
    start_server "$SERVER"
    run timeout 25 node "$CLIENTS/browser.js" "$PORT" "$screenshot"
    refute_line --partial FAIL
    assert_line --regexp "^GET http://127.0.0.1:$PORT/: 200 text/html"
    assert_line "the page opened 1 WebSocket: ws://127.0.0.1:$PORT/"
    local message
    for message in 'Hello, WebSocket!' 'Grüße from Chromium ✓'; do
        assert_line "the page shows: Received \"$message\""
        assert_line "browser sent a text frame: $message"
        assert_line "browser received a text frame: $message"
    done
    assert_line "close 1000: the page saw code 1000, wasClean true"
    # A PNG of the page was written (its signature: \x89PNG).
    [[ $(head -c 4 "$screenshot" | od -An -c | tr -d ' ') == '211PNG' ]]
    assert_success
    assert_server_alive
}

# The wrong server: step 02, plain TCP, answers every chunk with one line,
# the handshake's HTTP request too. The chapter's "The wrong client, the wrong
# server" shows what two real clients make of that.

# For every test in this file. In the tests below, the clients' target is
# step 02 (start_server's SERVER_PID and PORT); the Chromium test also needs a
# page, from step 07, whose server is kept apart in PAGE_PID and PAGE_PORT,
# and stopped here too.
teardown() {
    stop_page_server
    stop_server
    assert_no_sanitizer_report
    [[ -z ${PAGE_ERR:-} ]] || SERVER_ERR=$PAGE_ERR assert_no_sanitizer_report
}
stop_page_server() {
    [[ -n ${PAGE_PID:-} ]] || return 0
    local SERVER_PID=$PAGE_PID # stop_server's, for this call only
    stop_server
}

# start_page_server: step 07 on its own port, for its page; its log and
# stderr are moved aside (the server keeps writing to them) so that
# start_server can then start the target.
start_page_server() {
    start_server "$SERVER"
    PAGE_PID=$SERVER_PID PAGE_PORT=$PORT SERVER_PID=
    PAGE_ERR=$BATS_TEST_TMPDIR/page-server.err
    mv "$SERVER_LOG" "$BATS_TEST_TMPDIR/page-server.out"
    mv "$SERVER_ERR" "$PAGE_ERR"
}

# Step 02's log, once its one client has gone: that client's connection and
# disconnection, nothing else, and nothing on stderr. Sets CLIENT, the
# client's address. Leaves bats' $output and $status, the client's, alone.
assert_step02_saw_one_client_come_and_go() {
    wait_for_log '^\[CONNECTION\] Disconnected from '
    CLIENT=$(sed -nE 's/^\[INFO\] Starting thread for connection (.+)$/\1/p' "$SERVER_LOG")
    assert_equal "$(<"$SERVER_LOG")" "[INFO] Listening on 127.0.0.1:$PORT
[INFO] Starting thread for connection $CLIENT
[CONNECTION] Connected to $CLIENT
[CONNECTION] Disconnected from $CLIENT"
    assert_equal "$(<"$SERVER_ERR")" ""
}

@test "07 clients: against step 02 (plain TCP), Python websockets fails the handshake: InvalidMessage, a reply line without CRLF" {
    "$PYTHON" -c 'import websockets' 2>/dev/null ||
        skip "python3-websockets is not installed (tests/ensure-deps installs it: apt-get install python3-websockets)"
    start_server "$(server_binary 02-threaded-server)"
    run timeout 15 "$PYTHON" "$CLIENTS/websockets-vs-tcp.py" "$PORT"
    refute_line --partial FAIL
    assert_line "websockets: InvalidMessage: did not receive a valid HTTP response"
    assert_line "caused by: EOFError: connection closed while reading HTTP status line"
    assert_line "caused by: EOFError: line without CRLF"
    # What step 02 sent back: one line, the client's request escaped, ending
    # in a bare LF.
    assert_equal "$(grep -c '^server sent' <<<"$output")" 1
    assert_line --regexp '^server sent: \[CONNECTION\] Received "GET / HTTP/1\.1\\r\\nHost: 127\.0\.0\.1:'"$PORT"'\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: [A-Za-z0-9+/]{22}==\\r\\nSec-WebSocket-Version: 13\\r\\n.*\\r\\n\\r\\n" from 127\.0\.0\.1:[0-9]+$'
    assert_line "  ending in LF alone, not CRLF"
    assert_line "the connection is closed"
    assert_success
    # Step 02 saw that one client come and go: the one its line names.
    assert_step02_saw_one_client_come_and_go
    assert_line --regexp "^server sent: .* from ${CLIENT//./\\.}\$"
}

@test "07 clients: against step 02 (plain TCP), headless Chromium fails the handshake: ERR_INVALID_HTTP_RESPONSE, error, close 1006" {
    command -v chromium >/dev/null || skip "chromium is not installed (tests/ensure-deps installs it)"
    need_node_package playwright-core
    start_page_server
    start_server "$(server_binary 02-threaded-server)"
    run timeout 25 node "$CLIENTS/browser-vs-tcp.js" "$PAGE_PORT" "$PORT"
    refute_line --partial FAIL
    assert_line "GET http://127.0.0.1:$PAGE_PORT/: 200"
    assert_line "console error: WebSocket connection to 'ws://127.0.0.1:$PORT/' failed: Error during WebSocket handshake: net::ERR_INVALID_HTTP_RESPONSE"
    assert_line "the page's socket got: error, close"
    assert_line "close: code 1006, wasClean false"
    assert_success
    assert_step02_saw_one_client_come_and_go
}
