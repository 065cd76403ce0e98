#!/usr/bin/env bats
# Step 01, exercise 3: a recv is not a message: reply once per line.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

# send_pieces PIECE...: a client sends each piece with a send() of its own,
# 50 ms apart, then closes its sending side and reads the replies until the
# server closes. Sets $client to its address and $output to the replies.
send_pieces() {
    run clients send "$@"
    client=${lines[0]#client }
    output=$(printf '%s\n' "${lines[@]:1}")
}

# replies LINE...: the replies the server should send, one per line.
replies() {
    local line
    for line in "$@"; do
        printf '[CONNECTION] Received "%s" from %s\n' "$line" "$client"
    done
}

# shown PIECE...: the pieces, quoted, with each newline written \n.
shown() {
    local piece quoted=()
    for piece in "$@"; do
        quoted+=("\"${piece//$'\n'/\\n}\"")
    done
    echo "${quoted[*]}"
}

@test "a line sent in two pieces, split at each place in turn, is answered once, whole" {
    start_server "$PROGRAM"
    local pieces=() sent=() line k
    for ((k = 1; k <= 8; k++)); do
        line=$(random_word 8)
        pieces+=("${line:0:k}" "${line:k}"$'\n')
        sent+=("$line")
    done
    note "a client sent 8 lines of 8 letters, each in two send()s: the first line split after its 1st letter, the second after its 2nd, ..., the last just before its \\n"
    note "its 16 send()s, 50 ms apart: $(shown "${pieces[@]}")"
    send_pieces "${pieces[@]}"
    expect "$(replies "${sent[@]}")" \
        "one recv() can return part of a line: keep the bytes after the last \\n, add the next recv()'s bytes after them, and reply only when the \\n arrives."
}

@test "a line sent one byte at a time is answered once, whole" {
    start_server "$PROGRAM"
    local line pieces=() i
    line=$(random_word 10)
    for ((i = 0; i < ${#line}; i++)); do
        pieces+=("${line:i:1}")
    done
    pieces+=($'\n')
    note "a client sent \"$line\\n\" one byte per send(), 50 ms apart"
    send_pieces "${pieces[@]}"
    expect "$(replies "$line")" \
        "one recv() can return a single byte of a line: keep what has come until the \\n arrives."
}

@test "two lines joined in one send() get two replies" {
    start_server "$PROGRAM"
    local a b c d e
    a=$(random_word) b=$(random_word) c=$(random_word) d=$(random_word 4) e=$(random_word 4)
    local pieces=("$a"$'\n'"$b"$'\n' "$c"$'\n'"$d" "$e"$'\n')
    note "a client sent three send()s, 50 ms apart: $(shown "${pieces[@]}")"
    send_pieces "${pieces[@]}"
    expect "$(replies "$a" "$b" "$c" "$d$e")" \
        "one recv() can return several lines: reply to each \\n-ended line in what it returned, and keep what follows the last \\n for the next recv()."
}

@test "a last line without its \\n is answered when the client closes its side" {
    start_server "$PROGRAM"
    local a b
    a=$(random_word) b=$(random_word)
    note "a client sent \"$a\\n$b\" (no \\n after $b), then closed its sending side (shutdown)"
    send_pieces "$a"$'\n'"$b"
    expect "$(replies "$a" "$b")" \
        "when recv() returns 0, the client will send nothing more: reply to the bytes still waiting for their \\n before you close."
}

@test "a line longer than the 1024-byte buffer is answered in full, in pieces" {
    start_server "$PROGRAM"
    local long after
    long=$(random_word 3000) after=$(random_word)
    note "a client sent a line of 3000 random letters, then \"$after\\n\", in one send()"
    send_pieces "$long"$'\n'"$after"$'\n'
    local all=("${lines[@]:1}")
    local last=${all[-1]:-} data
    data=$(printf '%s\n' "${all[@]:0:${#all[@]}-1}" | sed -E 's/^\[CONNECTION\] Received "(.*)" from .*$/\1/' | tr -d '\n')
    [[ $data == "$long" ]] ||
        fail "The replies before the last one do not hold the 3000 letters of the long line, in order (they hold ${#data} characters, starting \"${data:0:40}\", where the line starts \"${long:0:40}\")." \
            "when your buffer is full and holds no \\n, reply with what it holds and start filling it again from its beginning: never let recv() write past its end."
    output=$last
    expect "$(replies "$after")" \
        "after the long line, the next line should get its own reply."
}
