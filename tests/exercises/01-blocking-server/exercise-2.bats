#!/usr/bin/env bats
# Step 01, exercise 2: say in the Disconnected line how many bytes the client sent.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

disconnected_lines() { grep -c '^\[CONNECTION\] Disconnected' "$SERVER_LOG"; }
has_disconnected_lines() { (($(disconnected_lines) >= $1)); }

@test "each Disconnected line counts the bytes its own client sent" {
    start_server "$PROGRAM"
    local first=$((1500 + RANDOM % 2000)) second=$((200 + RANDOM % 1000))
    note "a first client sent $first random bytes in three send()s, 50 ms apart, read the replies and left"
    note "a second client connected and left without sending anything"
    note "a third client sent $second random bytes in the same way, and left"
    run clients sessions "$first" 0 "$second"
    local addresses=()
    mapfile -t addresses < <(sed -n 's/^client //p' <<<"$output")
    wait_until 5 has_disconnected_lines 3 ||
        fail "The server logged $(disconnected_lines) Disconnected lines within 5 s of the three clients' leaving; expected 3."
    output=$(grep '^\[CONNECTION\] Disconnected' "$SERVER_LOG")
    expect "[CONNECTION] Disconnected from ${addresses[0]:-?} (received $first bytes)
[CONNECTION] Disconnected from ${addresses[1]:-?} (received 0 bytes)
[CONNECTION] Disconnected from ${addresses[2]:-?} (received $second bytes)" \
        "add up what every recv() returned for this client, starting from 0 for each client: count the bytes received, not the calls, nor the escaped or replied bytes."
}
