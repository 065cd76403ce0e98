#!/usr/bin/env bats
# Step 02, exercise 1: number each client's replies: state that belongs to one thread.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

@test "each client's replies are numbered 1, 2, 3... on their own, however clients take turns" {
    start_server "$PROGRAM"
    local turns=() name count
    # A talks first and most, so a count shared by all clients shows at B's
    # first reply; the order of turns is random.
    local a_count=$((3 + RANDOM % 3)) b_count=$((2 + RANDOM % 2))
    turns+=("A:$(random_word)")
    local left_a=$((a_count - 1)) left_b=$b_count
    while ((left_a + left_b > 0)); do
        if ((left_b == 0 || (left_a > 0 && RANDOM % 2))); then
            turns+=("A:$(random_word)") left_a=$((left_a - 1))
        else
            turns+=("B:$(random_word)") left_b=$((left_b - 1))
        fi
    done
    note "two clients, A and B, stayed connected and took turns; each sent a word and waited for its reply: ${turns[*]}"
    run clients interleave "${turns[@]}"
    local a=${lines[0]#A } b=${lines[1]#B }
    output=$(printf '%s\n' "${lines[@]:2}")
    local wanted=() turn a_n=0 b_n=0
    for turn in "${turns[@]}"; do
        name=${turn%%:*}
        if [[ $name == A ]]; then
            a_n=$((a_n + 1)) count=$a_n
            wanted+=("A got: [CONNECTION] Received \"${turn#*:}\" from $a (reply $count)")
        else
            b_n=$((b_n + 1)) count=$b_n
            wanted+=("B got: [CONNECTION] Received \"${turn#*:}\" from $b (reply $count)")
        fi
    done
    expect "$(printf '%s\n' "${wanted[@]}")" \
        "count in a variable that belongs to one client: a local variable of serve_client() lives on that client's thread's stack. A global or static variable is one count shared by every client."
}
