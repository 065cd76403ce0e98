#!/usr/bin/env bats
# Step 01, exercise 1: reply in upper case.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

@test "the reply shows the client's letters in upper case" {
    start_server "$PROGRAM"
    local word
    word=$(random_word 12)
    note "a client sent \"$word\" and read the reply"
    run clients send "$word"
    local client=${lines[0]#client }
    output=$(printf '%s\n' "${lines[@]:1}")
    expect "[CONNECTION] Received \"${word^^}\" from $client" \
        "change each byte the client sent with toupper() (from <ctype.h>); \"[CONNECTION] Received\" and the address stay as they are."
}

@test "only letters change: tabs, quotes and other bytes are escaped as before" {
    start_server "$PROGRAM"
    local one two three
    one=$(random_word 6) two=$(random_word 6) three=$(random_word 6)
    # Shown as the server escapes it: \t is a tab, \x1b the byte 27 (ESC)...
    local sent_escaped="$one"'\t\"'"$two"'\" \\ \x1b[1m'"$three"'\xe9\n'
    note "a client sent \"$sent_escaped\" (written here as the server escapes it: \\t is a tab, \\x1b the byte 27, \\xe9 the byte 233, \\n a newline)"
    run clients send "$one"$'\t"'"$two"'" \ '$'\e[1m'"$three"$'\xe9\n'
    local client=${lines[0]#client }
    output=$(printf '%s\n' "${lines[@]:1}")
    expect "[CONNECTION] Received \"${one^^}"'\t\"'"${two^^}"'\" \\ \x1b[1M'"${three^^}"'\xe9\n'"\" from $client" \
        "upper-case the bytes the client sent, then escape them: upper-casing the escaped text would turn \\x1b into \\X1B and \\n into \\N."
}
