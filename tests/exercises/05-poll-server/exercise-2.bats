#!/usr/bin/env bats
# Step 05, exercise 2: disconnect a client that stays silent for -t seconds,
# with poll()'s timeout: no sleeping, no waking up for nothing.
bats_require_minimum_version 1.5.0
load ../exercise
load ../idle-timeout

@test "with -t 1, a client silent for 1 s is disconnected, and the log says why" {
    check_silent_client_closed \
        "poll()'s last argument is how long it may sleep, in milliseconds (-1: for ever). Give it the time left until the first client's silence reaches -t seconds; when poll() returns, close every client whose time is up." \
        "count the silence from the client's last bytes (or from its arrival), in milliseconds, and use the -t value." \
        "log the Timed out line, then close the client with remove_client(), which logs Disconnected." \
        "a timeout is not an error: log it on standard output, not with perror()."
}

@test "two silent clients are each closed on their own time" {
    check_each_silent_client_on_its_own_time \
        "every client has its own deadline: its last bytes plus -t seconds. poll() must wake up at the earliest deadline of all, not -t seconds after whatever happened last: compute its timeout anew before every call, in milliseconds. Rounded down to whole seconds, 0.5 s left becomes 0, and poll() returns at once, again and again, until the time is up."
}

@test "a silent client is closed on time while another one keeps talking" {
    check_silent_client_closed_beside_talker \
        "poll() returns early whenever some client sends something: after every poll(), whatever it returned, look for clients whose time is up. And count each client's silence from its own last bytes, not from its arrival: B, who talks, must stay."
}

@test "while it waits for a silent client, the server sleeps: little CPU, no needless wake-ups" {
    start_with 5
    check_server_sleeps_while_waiting sleeping \
        "poll() with a timeout of 0 returns at once, and the loop spins; a short fixed timeout (say, every 100 ms or every second, to look at the clocks) wakes the server for nothing. Give poll() exactly the time left until the earliest deadline, rounded up to a whole millisecond."
}

@test "-t 0 means no timeout: a silent client stays connected" {
    check_zero_means_no_timeout \
        "with -t 0 (or without -t), clients may stay silent as long as they like, as before: poll() then gets -1."
}

@test "-t takes a whole number from 0 to 3600: -t 3600 starts the server, anything else is a usage error" { check_t_from_0_to_3600; }
