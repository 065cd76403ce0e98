#!/usr/bin/env bats
# Step 07's building blocks against their published vectors: tests/ws-unit/
# unit.c includes the step's server.c as it is and calls its functions (SHA-1,
# base64, the accept key, frame headers, unmasking, the UTF-8 check, close
# codes, the handshake parser, the frame reader fed in pieces). It is built
# with the project's flags under gcc and clang, with ASan and UBSan; then a
# few deliberately broken copies of server.c show that the checks bite.

bats_require_minimum_version 1.5.0
load helpers

UNIT_FLAGS=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g -fno-omit-frame-pointer
            -fsanitize=address,undefined -fno-sanitize-recover=all)

# build_and_run_unit COMPILER ROOT: builds ROOT/tests/ws-unit/unit.c (which
# includes ROOT/steps/07-websocket-server/server.c) and runs it.
build_and_run_unit() {
    local compiler=$1 root=$2
    command -v "$compiler" >/dev/null || skip "$compiler is not installed"
    run -0 "$compiler" "${UNIT_FLAGS[@]}" -o "$BATS_TEST_TMPDIR/unit-$compiler" \
        "$root/tests/ws-unit/unit.c"
    run "$BATS_TEST_TMPDIR/unit-$compiler"
}

@test "ws-unit: every vector passes, built with gcc (ASan, UBSan)" {
    build_and_run_unit gcc "$REPO_ROOT"
    assert_success
    refute_output --partial "not ok"
    assert_line "ok 1 - SHA-1 of \"abc\" (RFC 3174 TEST1)"
    assert_line --partial "SHA-1 of a million \"a\""
    assert_line --partial "base64 of \"foobar\" is \"Zm9vYmFy\""
    assert_line --partial "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert_line --partial "length 65536 encodes as 827f0000000000010000"
    assert_line --regexp '^1\.\.[0-9]+$'
}

@test "ws-unit: every vector passes, built with clang (ASan, UBSan)" {
    build_and_run_unit clang "$REPO_ROOT"
    assert_success
    refute_output --partial "not ok"
    assert_line --regexp '^1\.\.[0-9]+$'
}

# broken_copy SED_EXPRESSION: a copy of the tree's unit.c and server.c, with
# server.c changed by the expression (which must change something).
broken_copy() {
    BROKEN=$BATS_TEST_TMPDIR/broken
    mkdir -p "$BROKEN/tests/ws-unit" "$BROKEN/steps/07-websocket-server"
    cp "$REPO_ROOT/tests/ws-unit/unit.c" "$BROKEN/tests/ws-unit/"
    sed -e "$1" "$REPO_ROOT/steps/07-websocket-server/server.c" \
        >"$BROKEN/steps/07-websocket-server/server.c"
    ! cmp -s "$REPO_ROOT/steps/07-websocket-server/server.c" \
        "$BROKEN/steps/07-websocket-server/server.c" || fail "the expression $1 changed nothing"
}

@test "ws-unit bites: a wrong GUID fails the accept key check" {
    broken_copy 's/C5AB0DC85B11"/C5AB0DC85B12"/'
    build_and_run_unit gcc "$BROKEN"
    assert_failure
    assert_line --regexp '^not ok [0-9]+ - accept key of dGhlIHNhbXBsZSBub25jZQ== '
    assert_line --regexp '^ok [0-9]+ - SHA-1 of "abc"' # only what the change breaks fails
}

@test "ws-unit bites: a wrong SHA-1 round constant fails the RFC 3174 vectors" {
    broken_copy 's/k = 0x6ED9EBA1;/k = 0x6ED9EBA0;/'
    build_and_run_unit gcc "$BROKEN"
    assert_failure
    assert_line "not ok 1 - SHA-1 of \"abc\" (RFC 3174 TEST1)"
    assert_line --regexp '^not ok [0-9]+ - accept key of'  # built on SHA-1
}

@test "ws-unit bites: accepting surrogates fails the UTF-8 checks" {
    broken_copy 's/check->high = 0x9F; \/\* ED/check->high = 0xBF; \/\* ED/'
    build_and_run_unit gcc "$BROKEN"
    assert_failure
    assert_line --regexp '^not ok [0-9]+ - the surrogate U\+D800 \(ED A0 80\) is refused'
    assert_line --regexp '^not ok [0-9]+ - a surrogate split across two pieces is refused'
    assert_line --regexp '^ok [0-9]+ - U\+D7FF, just below the surrogates, is valid$' 
}

@test "ws-unit bites: a 126-byte payload in the 7-bit form fails the header checks" {
    broken_copy 's/if (length <= 125) {/if (length <= 126) {/'
    build_and_run_unit gcc "$BROKEN"
    assert_failure
    assert_line --regexp '^not ok [0-9]+ - length 126 encodes as 827e007e$'
    assert_line --regexp '^ok [0-9]+ - length 125 encodes as 827d$' 
}
