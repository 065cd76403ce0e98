#!/usr/bin/env bats
# Step 06, exercise 1: edge-triggered epoll (EPOLLET), every behaviour kept.
# Each check looks, in /proc/PID/fdinfo, for EPOLLET on the epoll entries it
# uses, then does what edge-triggered code gets wrong when it stops short of
# EAGAIN: several reads' worth of data with the end of stream, several
# newcomers queued at once, replies that must resume.
bats_require_minimum_version 1.5.0
load ../exercise

clients() { "$PYTHON" "$BATS_TEST_DIRNAME/clients.py" "$1" "$PORT" "${@:2}"; }

DRAIN_HINT="With EPOLLET, epoll_wait() reports a socket once when it becomes ready, not again while it stays ready: at each event, call recv() again and again, until it fails with EAGAIN or returns 0 (the end of the stream). One recv() per event leaves the rest of the data, and the end of the stream, waiting for an event that never comes."

@test "edge-triggered: data and the end of stream arriving together are all answered, then the client is closed" {
    start_server "$PROGRAM"
    local size=$((4000 + RANDOM % 4000))
    note "a client connected; the check stopped the server (SIGSTOP), and meanwhile the client sent $size random bytes (several recv() of 1024 bytes' worth) and closed its sending side; then the server was continued (SIGCONT)"
    note "the check read the server's epoll interest list in /proc/$SERVER_PID/fdinfo (EPOLLET is 0x80000000 in an entry's events)"
    run clients end-of-stream "$SERVER_PID" "$SERVER_LOG" "$size"
    expect "the server watches the client's connection edge-triggered (EPOLLET)
the client got a reply for every byte it sent, in order
then: the end of the stream
and the server logged Disconnected" \
        "add EPOLLET to the events of every epoll_ctl() in watch(). $DRAIN_HINT"
}

@test "edge-triggered: clients queued together at the listening socket are all accepted and answered" {
    start_server "$PROGRAM"
    local count=$((4 + RANDOM % 5))
    note "the check stopped the server (SIGSTOP); meanwhile $count clients connected and each sent a random word; then the server was continued (SIGCONT)"
    note "each client waited up to 3 s for its reply; then the check read the server's epoll interest list in /proc/$SERVER_PID/fdinfo"
    run clients queued-newcomers "$SERVER_PID" "$SERVER_LOG" "$count"
    expect "all $count clients were accepted and answered
the server watches its listening socket edge-triggered (EPOLLET)" \
        "watch the listening socket with EPOLLET too. One event then stands for every newcomer in the queue: accept() until it fails with EAGAIN (accept_clients() does), and, if accept() fails otherwise, do not leave the rest of the queue without an event: EPOLL_CTL_MOD re-arms the listener, and epoll reports it again if newcomers are waiting."
}

@test "edge-triggered: a client that reads late still gets every reply, then the end of the stream" {
    start_server "$PROGRAM"
    note "client R sent random bytes and read nothing, until the server had to keep at least 256 KiB of R's replies in its pending output; then the check read the server's epoll interest list in /proc/$SERVER_PID/fdinfo"
    note "then R closed its sending side and read everything"
    run clients slow-reader "$SERVER_PID" "$SERVER_LOG"
    expect "R sent bytes and read nothing, until the server had to keep at least 256 KiB of its replies itself
the server watches R's connection edge-triggered (EPOLLET)
R, reading at last, got a reply for every byte it sent, in order
then: the end of the stream" \
        "with EPOLLET, EPOLLOUT too comes once, when a full socket gets room again: send until send() fails with EAGAIN (send_pending() does), and keep EPOLLOUT in the client's events while something is pending. The end of the stream comes as an EPOLLIN event of its own: read it then, and close the client once its replies are out. $DRAIN_HINT"
}
