#!/usr/bin/env bats
# Step 07, exercise 2: with -P NAME, agree to the subprotocol NAME when a
# client offers it in Sec-WebSocket-Protocol, and name no subprotocol
# otherwise.
bats_require_minimum_version 1.5.0
load ../exercise

# handshake OPTION...: tests/lib/websocket.py's handshake scenario: sends an
# opening handshake (with the headers the options add), prints the answer's
# status line and headers, then whether a message sent after it came back.
handshake() { "$PYTHON" "$TESTS_DIR/lib/websocket.py" handshake "$PORT" "$@"; }

P_OPTION_HINT="add the -P option, taking the subprotocol's name, as -p takes the port."

# start_with NAME: starts the server with -P NAME, or fails saying why.
start_with() { start_with_option -P "$1" "$P_OPTION_HINT"; }

# opened_with [HEADER_LINE]: what the handshake scenario prints for a 101
# answer (with HEADER_LINE among its headers, if given) and a working echo.
opened_with() {
    printf '%s\n' "HTTP/1.1 101 Switching Protocols" "accept key: right" "upgrade: websocket" \
        "connection: Upgrade" "$@" "then a message came back as text \"after the handshake\""
}

@test "with -P NAME, a client that offers NAME gets it back in the 101 answer" {
    local name other
    name=$(random_word) other=$(random_word 5)
    start_with "$name"
    note "the server was started with -P $name"
    note "a client sent an opening handshake with \"Sec-WebSocket-Protocol: $other, $name, v2.$other\", then a text message"
    run handshake "header=Sec-WebSocket-Protocol:$other, $name, v2.$other"
    expect "$(opened_with "sec-websocket-protocol: $name")" \
        "Sec-WebSocket-Protocol is a comma-separated list, with blanks around the commas (as Connection is): look for NAME among its items, then add \"Sec-WebSocket-Protocol: NAME\" to the 101 answer (format_answer())."
    note "a client offered \"Sec-WebSocket-Protocol: $name\" alone"
    run handshake "header=Sec-WebSocket-Protocol:$name"
    expect "$(opened_with "sec-websocket-protocol: $name")" \
        "a list may hold one item: NAME alone must match too."
    note "a client offered its subprotocols in two header lines: \"Sec-WebSocket-Protocol: $other\", then \"Sec-WebSocket-Protocol: $name\""
    run handshake "header=Sec-WebSocket-Protocol:$other" "header=Sec-WebSocket-Protocol:$name"
    expect "$(opened_with "sec-websocket-protocol: $name")" \
        "the header may come more than once in a request, each line a part of one list (RFC 6455 section 11.3.4): look in every Sec-WebSocket-Protocol line, and still name NAME once in the answer, which must hold the header at most once."
}

@test "a client that does not offer NAME gets no Sec-WebSocket-Protocol, and its WebSocket opens all the same" {
    local name other
    name=$(random_word) other=$(random_word 5)
    start_with "$name"
    note "the server was started with -P $name"
    note "a client sent an opening handshake with no Sec-WebSocket-Protocol, then a text message"
    run handshake
    expect "$(opened_with)" \
        "a client that offers no subprotocol gets none: the 101 answer names none, as before."
    note "a client offered \"Sec-WebSocket-Protocol: $other, v2.$other\""
    run handshake "header=Sec-WebSocket-Protocol:$other, v2.$other"
    expect "$(opened_with)" \
        "the server may name only a subprotocol the client offered (a client fails the connection otherwise, RFC 6455 section 4.1), and declines the others by naming none: the WebSocket opens without one."
    note "a client offered \"Sec-WebSocket-Protocol: ${name~~}, ${name}x, x$name\": NAME in other letter cases, and names that contain NAME"
    run handshake "header=Sec-WebSocket-Protocol:${name~~}, ${name}x, x$name"
    expect "$(opened_with)" \
        "compare each whole item of the list with NAME, byte for byte: subprotocol names are case-sensitive (RFC 7936), and a name that merely contains NAME is another name."
}

@test "-P takes one name, a token of 1 to 64 characters: anything else is a usage error" {
    local name value
    name=$(random_word 64)
    start_with "$name"
    note "the server was started with -P followed by 64 letters: it started"
    stop_server
    for value in "" "two words" "$(random_word),$(random_word)" "a/b" "x$name"; do
        note "the server was started with -P \"$value\""
        run timeout 5 "$PROGRAM" -p 0 -P "$value"
        expect_status 2 "a subprotocol's name is a token (RFC 6455 section 4.1: printable ASCII, no separator such as space, comma or slash; is_token() checks that), of 1 to 64 characters: refuse anything else as -p refuses a bad port, with usage_error(), which exits 2."
    done
    note "the server was run with -h"
    run timeout 5 "$PROGRAM" -h
    [[ $status == 0 && $output == *"-P "* ]] ||
        fail "$(printf 'The usage text (-h) does not show -P. It printed:\n%s' "$(indented "$output")")" \
            "add -P to usage(), as -H and -p are."
}
