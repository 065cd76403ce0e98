#!/usr/bin/env bats
# Step 06, exercise 2: disconnect a client that stays silent for -t seconds,
# with a timerfd in the interest list: no sleeping, no waking up for nothing.
bats_require_minimum_version 1.5.0
load ../exercise
load ../idle-timeout

T_OPTION_HINT="add the -t option, parsed as -p is: a whole number of seconds, from 0 to 3600."

@test "with -t 1, a client silent for 1 s is disconnected, and the log says why" {
    check_silent_client_closed \
        "create a timer with timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), add it to the interest list, and set it (timerfd_settime) for the moment the quietest client's silence reaches -t seconds; when epoll_wait() reports it, close every client whose time is up." \
        "count the silence from the client's last bytes (or from its arrival), and use the -t value: the deadline is that moment plus -t seconds." \
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
        "every client has its own deadline: its last bytes plus -t seconds. When the timer goes off, close the clients whose time is up, then set it again for the earliest deadline left (or disarm it, with a zero it_value, once nobody is left). Never leave it armed with it_interval: a timer that repeats wakes the server for nothing."
}

@test "a silent client is closed on time while another one keeps talking" {
    start_with 2
    note "the server was started with -t 2"
    note "client A sent a word, read the reply and fell silent; meanwhile client B sent a word every 0.3 s for 3.5 s, reading each reply"
    note "\"about 2 s\" means from 1.7 to 2.8 s after A's word"
    run clients talker 2 0.3 3.5
    expect "A: closed after about 2 s of silence
B, talking every 0.3 s for 3.5 s: every word got its reply" \
        "count each client's silence from its own last bytes, not from its arrival: B, who talks, must stay. And the timer must still go off while B keeps the server busy: it is a descriptor like the others, reported in the same batches as B's socket."
}

@test "while it waits for a silent client, the server sleeps, with a timerfd in its interest list" {
    start_with 5
    note "the server was started with -t 5"
    note "a client sent a word, read the reply and fell silent, until the server closed it"
    note "meanwhile the check read the server's CPU time and its count of voluntary context switches (each time it went to sleep) in /proc/$SERVER_PID/stat and /proc/$SERVER_PID/status, and, 0.3 s into the silence, its descriptors (/proc/$SERVER_PID/fd) and its epoll interest list (/proc/$SERVER_PID/fdinfo)"
    run clients sleeping-timer "$SERVER_PID" 5
    expect "closed after about 5 s
meanwhile the server used under 0.1 s of CPU
and woke up at most 3 times
the server has a timerfd in its epoll interest list" \
        "the timer is a descriptor: timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), added with epoll_ctl(EPOLL_CTL_ADD) and EPOLLIN. epoll_wait() then sleeps with no timeout (-1) until a client or the timer is ready. Set the timer (timerfd_settime, TFD_TIMER_ABSTIME) for the earliest deadline exactly, with no it_interval, and read() it when it goes off."
}

@test "-t 0 means no timeout: a silent client stays connected" {
    start_with 0
    local word
    word=$(random_word)
    note "the server was started with -t 0"
    note "a client sent \"$word\", read the reply, then stayed silent for 2 s"
    run clients idle "$word" 2
    output=${lines[2]:-}
    expect "still open after 2 s" "with -t 0 (or without -t), clients may stay silent as long as they like, as before: leave the timer unset (or create none)."
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
