#!/usr/bin/env bats
# Step 05, exercise 2: disconnect a client that stays silent for -t seconds,
# with poll()'s timeout: no sleeping, no waking up for nothing.
bats_require_minimum_version 1.5.0
load ../exercise
load ../idle-timeout

T_OPTION_HINT="add the -t option, parsed as -p is: a whole number of seconds, from 0 to 3600."

@test "with -t 1, a client silent for 1 s is disconnected, and the log says why" {
    check_silent_client_closed \
        "poll()'s last argument is how long it may sleep, in milliseconds (-1: for ever). Give it the time left until the first client's silence reaches -t seconds; when poll() returns, close every client whose time is up." \
        "count the silence from the client's last bytes (or from its arrival), in milliseconds, and use the -t value." \
        "log the Timed out line, then close the client with remove_client(), which logs Disconnected." \
        "a timeout is not an error: log it on standard output, not with perror()."
}

@test "two silent clients are each closed on their own time" {
    start_with 2
    note "the server was started with -t 2"
    note "client A sent a word, read the reply and fell silent; 1.5 s later, client B did the same"
    note "\"about 2 s\" means from 1.7 to 2.8 s, counted from each client's own last word"
    note "meanwhile the check read the server's CPU time in /proc/$SERVER_PID/stat"
    run clients two-silent "$SERVER_PID" 2 1.5
    expect "A: closed after about 2 s of silence
B: closed after about 2 s of silence
meanwhile the server used under 0.1 s of CPU" \
        "every client has its own deadline: its last bytes plus -t seconds. poll() must wake up at the earliest deadline of all, not -t seconds after whatever happened last: compute its timeout anew before every call, in milliseconds. Rounded down to whole seconds, 0.5 s left becomes 0, and poll() returns at once, again and again, until the time is up."
}

@test "a silent client is closed on time while another one keeps talking" {
    start_with 2
    note "the server was started with -t 2"
    note "client A sent a word, read the reply and fell silent; meanwhile client B sent a word every 0.3 s for 3.5 s, reading each reply"
    note "\"about 2 s\" means from 1.7 to 2.8 s after A's word"
    run clients talker 2 0.3 3.5
    expect "A: closed after about 2 s of silence
B, talking every 0.3 s for 3.5 s: every word got its reply" \
        "poll() returns early whenever some client sends something: after every poll(), whatever it returned, look for clients whose time is up. And count each client's silence from its own last bytes, not from its arrival: B, who talks, must stay."
}

@test "while it waits for a silent client, the server sleeps: little CPU, no needless wake-ups" {
    start_with 5
    note "the server was started with -t 5"
    note "a client sent a word, read the reply and fell silent, until the server closed it"
    note "meanwhile the check read the server's CPU time and its count of voluntary context switches (each time it went to sleep) in /proc/$SERVER_PID/stat and /proc/$SERVER_PID/status"
    run clients sleeping "$SERVER_PID" 5
    expect "closed after about 5 s
meanwhile the server used under 0.1 s of CPU
and woke up at most 3 times" \
        "poll() with a timeout of 0 returns at once, and the loop spins; a short fixed timeout (say, every 100 ms or every second, to look at the clocks) wakes the server for nothing. Give poll() exactly the time left until the earliest deadline, rounded up to a whole millisecond."
}

@test "-t 0 means no timeout: a silent client stays connected" {
    start_with 0
    local word
    word=$(random_word)
    note "the server was started with -t 0"
    note "a client sent \"$word\", read the reply, then stayed silent for 2 s"
    run clients idle "$word" 2
    output=${lines[2]:-}
    expect "still open after 2 s" "with -t 0 (or without -t), clients may stay silent as long as they like, as before: poll() then gets -1."
}

@test "-t takes a whole number from 0 to 3600: -t 3600 starts the server, anything else is a usage error" {
    local value
    start_with 3600
    note "the server was started with -t 3600: it started"
    stop_server
    for value in soon 3601 -1; do
        note "the server was started with -t $value"
        run timeout 5 "$PROGRAM" -p 0 -t "$value"
        expect_status 2 "refuse a -t value that is not a whole number from 0 to 3600, as -p refuses a bad port: usage_error() exits 2."
    done
}
