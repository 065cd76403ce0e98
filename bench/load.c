/*
 * load: a load generator for the Socket Steps servers (C11 + POSIX).
 *
 * Active mode: C connections, each doing N request/reply round trips of an
 * S-byte message, then closing. One thread drives them all with poll(), so
 * the generator itself never waits on one connection.
 *
 * With -d D (milliseconds) in place of -n, each connection does round trips
 * for D ms instead of a fixed number of them: every server then gets the
 * same time to show its rate, however fast or slow it is.
 *
 * Connects are paced: at most R connections may be waiting for their first
 * reply at a time (-r 0: no limit, a burst). A server that listens with a
 * small backlog (the article's 5) then never sees its accept queue overflow,
 * so servers are compared like with like; -r 0 shows what a burst does.
 *
 * Idle mode (-i I): one connection first does N round trips (or D ms of
 * them) alone (the baseline: alone_rate, alone_p50_us); then I connections
 * each do one round trip and stay open, and one more connection does N
 * round trips (or D ms of them):
 * the latency an active client sees while the server holds I idle ones,
 * measured seconds after its baseline, on the same server.
 *
 * Server CPU (-P pid): load reads the server's CPU-time clock (all its
 * threads, clock_getcpuclockid) just before and just after each measured
 * phase, and reports the server's CPU time per round trip of that phase
 * (server_cpu_us; in idle mode also alone_server_cpu_us): in idle mode that
 * leaves out what setting up the idle connections cost the server.
 *
 * Floor mode (-f): no server needed: forks a minimal blocking echo peer and
 * does N round trips over one connection, the least loopback can cost.
 *
 * Prints one line of key=value figures. Exits 1 if the run did not complete.
 *
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -o load load.c
 * SPDX-License-Identifier: 0BSD
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

enum state { WAITING, CONNECTING, ACTIVE, IDLE, DONE };

struct connection {
    int fd;
    enum state state;
    long rounds;           /* round trips completed */
    int stopped_in_time;   /* -d: ended because its time was up */
    double connect_start;  /* when connect() was called */
    double sent_at;        /* when the current request went out */
};

struct options {
    const char *host;
    int port;
    long connections, rounds, size, pacing, idle, duration_ms;
    double seconds;
    int floor;
    long server_pid; /* -P: 0 if not given */
};

struct results {
    double *latencies; /* microseconds, one per round trip */
    long count, capacity;
    double slowest_first_reply; /* milliseconds */
    long failed_connects;
};

static char *message;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *call)
{
    perror(call);
    exit(1);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: load -p port [-H host] [-c connections] [-n round-trips | -d milliseconds]\n"
            "            [-s size] [-r pacing] [-t seconds] [-i idle-connections] [-P server-pid]\n"
            "       load -f [-n round-trips] [-s size]     (the loopback floor)\n");
    exit(2);
}

static long number(const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || text[0] == '\0' || value < min || value > max) {
        fprintf(stderr, "load: not a number from %ld to %ld: %s\n", min, max, text);
        usage();
    }
    return value;
}

static void record(struct results *results, double microseconds)
{
    if (results->count == results->capacity) {
        results->capacity = results->capacity ? 2 * results->capacity : 4096;
        results->latencies = realloc(results->latencies, (size_t)results->capacity * sizeof(double));
        if (results->latencies == NULL)
            die("realloc");
    }
    results->latencies[results->count++] = microseconds;
}

static int start_connect(const struct options *options, struct connection *c)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)options->port)};
    if (inet_pton(AF_INET, options->host, &address.sin_addr) != 1) {
        fprintf(stderr, "load: -H takes an IPv4 address: %s\n", options->host);
        exit(2);
    }
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd == -1)
        die("socket");
    int on = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (fcntl(c->fd, F_SETFL, O_NONBLOCK) == -1)
        die("fcntl");
    c->connect_start = now();
    c->state = CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&address, sizeof address) == -1 && errno != EINPROGRESS)
        return -1;
    return 0;
}

static void send_request(const struct options *options, struct connection *c)
{
    c->sent_at = now();
    ssize_t sent = send(c->fd, message, (size_t)options->size, 0);
    if (sent != options->size) /* a small message into an empty buffer: all or error */
        die("send");
}

/* Reads what has arrived; returns 1 once a whole reply line is in, -1 on EOF or error. */
static int reply_arrived(int fd)
{
    char buffer[8192];
    ssize_t received = recv(fd, buffer, sizeof buffer, 0);
    if (received == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (received <= 0)
        return -1;
    return memchr(buffer, '\n', (size_t)received) != NULL;
}

static void finish(struct connection *c)
{
    close(c->fd);
    c->state = DONE;
}

/* Moves one connection on after poll() said its socket is ready; it ends
 * after rounds round trips, or at the first reply after stop_at (if not 0). */
static void step(const struct options *options, struct connection *c, short revents,
                 long rounds, double stop_at, struct results *results)
{
    if (c->state == CONNECTING) {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0 || (revents & (POLLERR | POLLHUP))) {
            results->failed_connects++;
            finish(c);
            return;
        }
        c->state = ACTIVE;
        send_request(options, c);
        return;
    }
    int arrived = reply_arrived(c->fd);
    if (arrived == -1) {
        finish(c); /* the server closed early: counts as incomplete rounds */
        return;
    }
    if (!arrived)
        return;
    double t = now();
    if (c->rounds == 0 && (t - c->connect_start) * 1e3 > results->slowest_first_reply)
        results->slowest_first_reply = (t - c->connect_start) * 1e3;
    record(results, (t - c->sent_at) * 1e6);
    c->stopped_in_time = stop_at > 0 && t >= stop_at;
    if (++c->rounds >= rounds || c->stopped_in_time) {
        if (options->idle > 0 && rounds == 1)
            c->state = IDLE; /* idle mode: stay connected */
        else
            finish(c);
        return;
    }
    send_request(options, c);
}

/*
 * Drives count connections, each doing rounds round trips (or, with
 * duration_ms, round trips for that long), until all are done (or idle) or
 * the deadline has passed. Returns 1 if all completed.
 */
static int drive(const struct options *options, struct connection *connections, long count,
                 long rounds, double duration_ms, struct results *results, double deadline)
{
    double stop_at = duration_ms > 0 ? now() + duration_ms / 1e3 : 0;
    struct pollfd *watched = calloc((size_t)count, sizeof *watched);
    long *index = calloc((size_t)count, sizeof *index);
    if (watched == NULL || index == NULL)
        die("calloc");
    long started = 0;
    for (;;) {
        long waiting_first = 0, busy = 0;
        for (long i = 0; i < started; i++) {
            if (connections[i].state == CONNECTING || (connections[i].state == ACTIVE && connections[i].rounds == 0))
                waiting_first++;
            if (connections[i].state == CONNECTING || connections[i].state == ACTIVE)
                busy++;
        }
        while (started < count && (options->pacing == 0 || waiting_first < options->pacing)) {
            if (start_connect(options, &connections[started]) == -1) {
                results->failed_connects++;
                finish(&connections[started]);
            } else {
                waiting_first++;
                busy++;
            }
            started++;
        }
        if (busy == 0 && started == count)
            break;
        if (now() > deadline)
            break;
        nfds_t n = 0;
        for (long i = 0; i < started; i++) {
            struct connection *c = &connections[i];
            if (c->state == CONNECTING || c->state == ACTIVE) {
                watched[n] = (struct pollfd){.fd = c->fd, .events = c->state == CONNECTING ? POLLOUT : POLLIN};
                index[n++] = i;
            }
        }
        int ready = poll(watched, n, 100);
        if (ready == -1 && errno != EINTR)
            die("poll");
        for (nfds_t k = 0; ready > 0 && k < n; k++) {
            if (watched[k].revents != 0)
                step(options, &connections[index[k]], watched[k].revents, rounds, stop_at, results);
        }
    }
    free(watched);
    free(index);
    for (long i = 0; i < count; i++) {
        if (connections[i].rounds < rounds && !connections[i].stopped_in_time)
            return 0;
    }
    return 1;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(struct results *results, double p)
{
    if (results->count == 0)
        return 0;
    long i = (long)(p * (double)(results->count - 1));
    return results->latencies[i];
}

/* The server's CPU-time clock (-P), or -1 without -P. */
static clockid_t server_clock(const struct options *options)
{
    clockid_t clock = -1;
    if (options->server_pid == 0)
        return clock;
    int error = clock_getcpuclockid((pid_t)options->server_pid, &clock);
    if (error != 0) { /* returns the error; errno is not set */
        fprintf(stderr, "clock_getcpuclockid: %s\n", strerror(error));
        exit(1);
    }
    return clock;
}

/* The CPU time (seconds) the server has used so far; 0 without -P. */
static double server_cpu(clockid_t clock)
{
    struct timespec t;
    if (clock == (clockid_t)-1)
        return 0;
    if (clock_gettime(clock, &t) == -1)
        die("clock_gettime (server CPU time)"); /* the server has ended */
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Microseconds of server CPU time per round trip. */
static double per_round_trip(double cpu_seconds, long round_trips)
{
    return round_trips > 0 ? cpu_seconds * 1e6 / (double)round_trips : 0;
}

static void raise_descriptor_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/* The floor: a minimal blocking echo peer in a child process, on port 0. */
static int start_floor_peer(struct options *options)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (listener == -1 || bind(listener, (struct sockaddr *)&address, sizeof address) == -1 ||
        listen(listener, 1) == -1 || getsockname(listener, (struct sockaddr *)&address, &length) == -1)
        die("floor peer");
    options->port = ntohs(address.sin_port);
    pid_t child = fork();
    if (child == -1)
        die("fork");
    if (child == 0) {
        int fd = accept(listener, NULL, NULL);
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        char buffer[65536];
        ssize_t received;
        while ((received = recv(fd, buffer, sizeof buffer - 1, 0)) > 0) {
            buffer[received] = '\n'; /* a reply line as long as the request, plus a newline */
            if (send(fd, buffer, (size_t)received + 1, 0) == -1)
                break;
        }
        _exit(0);
    }
    close(listener);
    return child;
}

int main(int argc, char **argv)
{
    struct options options = {.host = "127.0.0.1", .connections = 1, .rounds = 1000,
                              .size = 64, .pacing = 4, .seconds = 60};
    int option;
    while ((option = getopt(argc, argv, "H:p:c:n:d:s:r:t:i:fP:")) != -1) {
        switch (option) {
        case 'H': options.host = optarg; break;
        case 'p': options.port = (int)number(optarg, 1, 65535); break;
        case 'c': options.connections = number(optarg, 1, 100000); break;
        case 'n': options.rounds = number(optarg, 1, 100000000); break;
        case 'd': options.duration_ms = number(optarg, 1, 3600000); break;
        case 's': options.size = number(optarg, 1, 1000); break;
        case 'r': options.pacing = number(optarg, 0, 100000); break;
        case 't': options.seconds = (double)number(optarg, 1, 3600); break;
        case 'i': options.idle = number(optarg, 1, 100000); break;
        case 'f': options.floor = 1; break;
        case 'P': options.server_pid = number(optarg, 1, 2147483647L); break;
        default: usage();
        }
    }
    if (optind < argc || (options.port == 0 && !options.floor))
        usage();
    if (options.duration_ms > 0)
        options.rounds = 100000000; /* the time, not a count, ends the round trips */

    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ignore, NULL);
    raise_descriptor_limit();
    message = malloc((size_t)options.size);
    if (message == NULL)
        die("malloc");
    memset(message, 'x', (size_t)options.size);

    pid_t floor_peer = options.floor ? start_floor_peer(&options) : 0;
    if (options.floor)
        options.connections = 1;

    clockid_t clock = server_clock(&options);
    struct results results = {0};
    double deadline = now() + options.seconds;
    double started = now();
    double cpu_started = server_cpu(clock);
    int complete = 1;
    long held = 0;
    double alone_rate = 0, alone_p50 = 0, alone_cpu = 0;
    struct connection *idle = NULL;
    if (options.idle > 0) {
        struct options active = options;
        active.idle = 0;
        struct connection baseline = {0};
        complete = drive(&active, &baseline, 1, options.rounds, options.duration_ms, &results, deadline);
        alone_rate = (double)results.count / (now() - started);
        alone_cpu = per_round_trip(server_cpu(clock) - cpu_started, results.count);
        qsort(results.latencies, (size_t)results.count, sizeof(double), compare);
        alone_p50 = percentile(&results, 0.50);
        results.count = 0;
        idle = calloc((size_t)options.idle, sizeof *idle);
        if (idle == NULL)
            die("calloc");
        complete &= drive(&options, idle, options.idle, 1, 0, &results, deadline);
        for (long i = 0; i < options.idle; i++)
            held += idle[i].state == IDLE;
        results.count = 0; /* only the active client's round trips count */
        results.slowest_first_reply = 0;
        started = now();
        cpu_started = server_cpu(clock);
        struct connection one = {0};
        complete &= drive(&active, &one, 1, options.rounds, options.duration_ms, &results, deadline);
    } else {
        struct connection *connections = calloc((size_t)options.connections, sizeof *connections);
        if (connections == NULL)
            die("calloc");
        complete = drive(&options, connections, options.connections, options.rounds, options.duration_ms,
                         &results, deadline);
        free(connections);
    }
    double elapsed = now() - started;
    double cpu = server_cpu(clock) - cpu_started;

    qsort(results.latencies, (size_t)results.count, sizeof(double), compare);
    printf("round_trips=%ld seconds=%.3f rate=%.0f p50_us=%.1f p99_us=%.1f "
           "slowest_first_reply_ms=%.1f failed_connects=%ld idle_held=%ld complete=%d",
           results.count, elapsed, (double)results.count / elapsed, percentile(&results, 0.50),
           percentile(&results, 0.99), results.slowest_first_reply, results.failed_connects,
           held, complete);
    if (idle != NULL)
        printf(" alone_rate=%.0f alone_p50_us=%.1f", alone_rate, alone_p50);
    if (options.server_pid != 0) {
        printf(" server_cpu_us=%.2f", per_round_trip(cpu, results.count));
        if (idle != NULL)
            printf(" alone_server_cpu_us=%.2f", alone_cpu);
    }
    printf("\n");
    fflush(stdout);
    if (idle != NULL) {
        /* Idle mode: hold the connections until stdin closes, so that the
         * caller can measure the server while they are open. */
        char c;
        while (read(STDIN_FILENO, &c, 1) > 0)
            continue;
    }
    if (floor_peer > 0)
        waitpid(floor_peer, NULL, 0);
    free(idle);
    free(results.latencies);
    free(message);
    return complete ? 0 : 1;
}
