#!/usr/bin/env bats
# Step 03, exercise 2: retry a refused connect (-r tries), waiting longer each time.
bats_require_minimum_version 1.5.0
load ../exercise

CLIENT_PID=

teardown() {
    [[ -z $CLIENT_PID ]] || kill "$CLIENT_PID" 2>/dev/null || true
    stop_server
}

@test "-r 3 where nothing listens: 3 tries, 100 then 200 ms apart, then the last error" {
    local port started
    port=$(closed_port)
    note "the client ran with -r 3 against port $port, where nothing listens"
    started=$(now_ms)
    run --separate-stderr timeout 10 "$PROGRAM" -r 3 -p "$port" -w 0
    local took=$(($(now_ms) - started))
    expect_option_known "$status" -r
    output=$stderr
    expect "connect: Connection refused; retrying in 100 ms
connect: Connection refused; retrying in 200 ms
connect: Connection refused" \
        "each refused try but the last says so and waits; the last one ends the program as before, with perror(\"connect\")."
    expect_status 1 "after the last try, exit with status 1, as for any failed call."
    ((took >= 280 && took < 2000)) ||
        fail "The client took $took ms; with waits of 100 and 200 ms it should take from 300 ms to about 1 s." \
            "nanosleep() takes a struct timespec: 100 ms is { .tv_sec = 0, .tv_nsec = 100000000 }."
}

@test "-r 6: a server that starts late is reached" {
    local port word
    port=$(closed_port) word=$(random_word)
    timeout 15 "$PROGRAM" -r 6 -p "$port" -m "$word" -w 0 \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
    CLIENT_PID=$!
    sleep 0.5 # its first tries find nothing listening
    note "the client ran with -r 6 -m $word against port $port, where a server that replies as step 02 does started 0.5 s later"
    start_server "$PYTHON" "$BATS_TEST_DIRNAME/server.py" echo -p "$port"
    status=0
    wait "$CLIENT_PID" || status=$?
    CLIENT_PID=
    expect_option_known "$status" -r
    output=$(sed -E 's/ from 127\.0\.0\.1:[0-9]+$//' "$BATS_TEST_TMPDIR/out")
    expect "[CONNECTION] Received \"$word\"" \
        "once connected, the client goes on as before: it sends its message and prints the reply."
    expect_status 0
    output=$(head -n 2 "$BATS_TEST_TMPDIR/err")
    expect "connect: Connection refused; retrying in 100 ms
connect: Connection refused; retrying in 200 ms" \
        "each refused try says so on stderr before it waits: 100 ms, then twice as long each time."
}

@test "-r takes 1 to 10 tries: -r 1 tries once, without retrying; -r 0 and -r 11 are usage errors" {
    local port
    port=$(closed_port)
    note "the client ran with -r 1 against port $port, where nothing listens"
    run --separate-stderr timeout 10 "$PROGRAM" -r 1 -p "$port" -w 0
    expect_option_known "$status" -r
    output=$stderr
    expect "connect: Connection refused" \
        "-r 1 is one try in all: the refusal ends the program at once, as it does without -r, with perror(\"connect\") and no retrying line."
    expect_status 1 "a refused connect ends the program with status 1, as any failed call does."
    local value
    for value in 0 11; do
        note "the client ran with -r $value"
        run timeout 10 "$PROGRAM" -r "$value" -p "$port" -w 0
        expect_status 2 "-r takes a number of tries from 1 to 10: refuse $value as a usage error (number_option() does that)."
    done
}
