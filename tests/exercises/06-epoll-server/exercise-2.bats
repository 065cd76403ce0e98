#!/usr/bin/env bats
# Step 06, exercise 2: disconnect a client that stays silent for -t seconds,
# with a timerfd in the interest list: no sleeping, no waking up for nothing.
bats_require_minimum_version 1.5.0
load ../exercise
load ../idle-timeout

@test "with -t 1, a client silent for 1 s is disconnected, and the log says why" {
    check_silent_client_closed \
        "create a timer with timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), add it to the interest list, and set it (timerfd_settime) for the moment the quietest client's silence reaches -t seconds; when epoll_wait() reports it, close every client whose time is up." \
        "count the silence from the client's last bytes (or from its arrival), and use the -t value: the deadline is that moment plus -t seconds." \
        "log the Timed out line, then close the client with remove_client(), which logs Disconnected." \
        "a timeout is not an error: log it on standard output, not with perror()."
}

@test "two silent clients are each closed on their own time" {
    check_each_silent_client_on_its_own_time \
        "every client has its own deadline: its last bytes plus -t seconds. When the timer goes off, close the clients whose time is up, then set it again for the earliest deadline left (or disarm it, with a zero it_value, once nobody is left). Never leave it armed with it_interval: a timer that repeats wakes the server for nothing."
}

@test "a silent client is closed on time while another one keeps talking" {
    check_silent_client_closed_beside_talker \
        "count each client's silence from its own last bytes, not from its arrival: B, who talks, must stay. And the timer must still go off while B keeps the server busy: it is a descriptor like the others, reported in the same batches as B's socket."
}

@test "while it waits for a silent client, the server sleeps, with a timerfd in its interest list" {
    start_with 5
    check_server_sleeps_while_waiting sleeping-timer \
        "the timer is a descriptor: timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), added with epoll_ctl(EPOLL_CTL_ADD) and EPOLLIN. epoll_wait() then sleeps with no timeout (-1) until a client or the timer is ready. Set the timer (timerfd_settime, TFD_TIMER_ABSTIME) for the earliest deadline exactly, with no it_interval, and read() it when it goes off." \
        ", and, 0.3 s into the silence, its descriptors (/proc/$SERVER_PID/fd) and its epoll interest list (/proc/$SERVER_PID/fdinfo)" \
        "the server has a timerfd in its epoll interest list"
}

@test "-t 0 means no timeout: a silent client stays connected" {
    check_zero_means_no_timeout \
        "with -t 0 (or without -t), clients may stay silent as long as they like, as before: leave the timer unset (or create none)."
}

@test "-t takes a whole number from 0 to 3600: -t 3600 starts the server, anything else is a usage error" { check_t_from_0_to_3600; }
