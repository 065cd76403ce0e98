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
 * WebSocket mode (-W): for a WebSocket echo server (step 07). Each
 * connection first does the opening handshake of RFC 6455 (section 4.1):
 * an HTTP/1.1 Upgrade request with a random key, and it checks that the
 * answer is "101" with the Sec-WebSocket-Accept that key calls for (SHA-1
 * and base64 are written below). A refused or wrong handshake counts as a
 * failed connect. Then each round trip sends the same S bytes as one
 * masked text frame and waits for the whole echo: one unmasked text frame,
 * same payload (anything else counts in bad_replies and ends that
 * connection). Round trips and latencies are counted as in TCP mode: the
 * handshake is part of the connect (it shows in slowest_first_reply, not in
 * the latencies). A connection that has done its round trips does the
 * closing handshake: a close frame (1000), then it waits for the server to
 * close the TCP connection (section 7.1.1).
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

/* -W adds UPGRADING (the opening handshake) and CLOSING (the closing one). */
enum state { WAITING, CONNECTING, UPGRADING, ACTIVE, CLOSING, IDLE, DONE };

/* -W: what a connection keeps of the server's answer or of an echo frame
 * (a handshake answer is a few hundred bytes, an echo at most 1,004). */
#define INPUT_SIZE 4096
/* "Sec-WebSocket-Accept: " is base64 of a 20-byte SHA-1: 28 characters. */
#define ACCEPT_SIZE 28

struct connection {
    int fd;
    enum state state;
    long rounds;           /* round trips completed */
    int stopped_in_time;   /* -d: ended because its time was up */
    double connect_start;  /* when connect() was called */
    double sent_at;        /* when the current request went out */
    unsigned char *input;  /* -W: INPUT_SIZE + 1 bytes, while connected */
    size_t have;           /* -W: bytes in input */
    char accept[ACCEPT_SIZE + 1]; /* -W: the answer the handshake must get */
};

struct options {
    const char *host;
    int port;
    long connections, rounds, size, pacing, idle, duration_ms;
    double seconds;
    int floor;
    int websocket;   /* -W */
    long server_pid; /* -P: 0 if not given */
};

struct results {
    double *latencies; /* microseconds, one per round trip */
    long count, capacity;
    double slowest_first_reply; /* milliseconds */
    long failed_connects;
    long bad_replies; /* -W: frames that were not the echo */
};

static char *message;
/* -W: the frame the server must send back for each message (built once). */
static unsigned char *echo_frame;
static size_t echo_frame_size;

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
            "            [-W]                            (-W: WebSocket frames, after a handshake)\n"
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

/* --- -W: what the WebSocket handshake and frames need --------------------- */

static uint32_t rotate_left(uint32_t word, int bits)
{
    return word << bits | word >> (32 - bits);
}

/* One 64-byte block into the SHA-1 state (RFC 3174, section 6.1). */
static void sha1_block(uint32_t h[5], const unsigned char *block)
{
    uint32_t w[80];
    for (size_t t = 0; t < 16; t++)
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
               (uint32_t)block[4 * t + 2] << 8 | (uint32_t)block[4 * t + 3];
    for (int t = 16; t < 80; t++)
        w[t] = rotate_left(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t temp = rotate_left(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rotate_left(b, 30);
        b = a;
        a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

/* The SHA-1 digest of size bytes (RFC 3174), all at once: the blocks, then
 * the padding (0x80, zeros, the length in bits) in one or two more. */
static void sha1(const unsigned char *data, size_t size, unsigned char digest[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t whole = size - size % 64;
    for (size_t i = 0; i < whole; i += 64)
        sha1_block(h, data + i);
    unsigned char tail[128] = {0};
    size_t rest = size - whole;
    if (rest > 0)
        memcpy(tail, data + whole, rest);
    tail[rest] = 0x80;
    size_t tail_size = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)size * 8;
    for (int i = 0; i < 8; i++)
        tail[tail_size - 1 - (size_t)i] = (unsigned char)(bits >> (8 * i));
    for (size_t i = 0; i < tail_size; i += 64)
        sha1_block(h, tail + i);
    for (int i = 0; i < 20; i++)
        digest[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Base64 (RFC 4648, section 4) of size bytes into out, which needs
 * 4 * ((size + 2) / 3) + 1 bytes; returns out. */
static char *base64(const unsigned char *data, size_t size, char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t bits = (uint32_t)data[i] << 16;
        if (i + 1 < size)
            bits |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < size)
            bits |= data[i + 2];
        out[o++] = digits[bits >> 18 & 63];
        out[o++] = digits[bits >> 12 & 63];
        out[o++] = digits[bits >> 6 & 63];
        out[o++] = digits[bits & 63];
    }
    /* A last group of 1 or 2 bytes gives 2 or 3 digits, then '=' padding. */
    if (size % 3 >= 1)
        out[o - 1] = '=';
    if (size % 3 == 1)
        out[o - 2] = '=';
    out[o] = '\0';
    return out;
}

/* The Sec-WebSocket-Accept for a key (RFC 6455, section 4.2.2): base64 of
 * the SHA-1 of the key followed by this fixed GUID. */
static void accept_for(const char *key, char accept[ACCEPT_SIZE + 1])
{
    char joined[64]; /* a key is 24 characters, the GUID 36 */
    unsigned char digest[20];
    int size = snprintf(joined, sizeof joined, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    if (size < 0 || (size_t)size >= sizeof joined)
        die("snprintf");
    sha1((const unsigned char *)joined, (size_t)size, digest);
    base64(digest, sizeof digest, accept);
}

/*
 * The handshake keys and the frames' masks: xorshift64* (Vigna), seeded
 * from /dev/urandom. RFC 6455 asks for keys and masks a proxy cannot guess
 * (sections 4.1 and 10.3); that matters for a browser on the Internet, not
 * for a load generator on loopback, and one read of /dev/urandom per frame
 * would make the generator slower than what it measures.
 */
static uint64_t random_state;

static void seed_random(void)
{
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd == -1 || read(fd, &random_state, sizeof random_state) != (ssize_t)sizeof random_state)
        die("/dev/urandom");
    close(fd);
    random_state |= 1; /* xorshift never leaves 0 */
}

static uint32_t random32(void)
{
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return (uint32_t)((random_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A frame header: FIN, the opcode, the shortest length (RFC 6455, section
 * 5.2: 7 bits, or 126 and 16 bits; -s keeps lengths below 65,536), and the
 * mask bit if masked. Returns its size, without the mask key. */
static size_t frame_header(unsigned char *out, int opcode, size_t length, int masked)
{
    out[0] = (unsigned char)(0x80 | opcode);
    unsigned char mask_bit = masked ? 0x80 : 0;
    if (length <= 125) {
        out[1] = (unsigned char)(mask_bit | length);
        return 2;
    }
    out[1] = (unsigned char)(mask_bit | 126);
    out[2] = (unsigned char)(length >> 8);
    out[3] = (unsigned char)length;
    return 4;
}

/* Sends one masked frame (a client's frames must be, section 5.3): all or
 * error, like a request in TCP mode (a small frame into an empty buffer). */
static int send_masked(int fd, int opcode, const unsigned char *payload, size_t size)
{
    unsigned char frame[4 + 4 + 1000];
    size_t header = frame_header(frame, opcode, size, 1);
    uint32_t mask = random32();
    memcpy(frame + header, &mask, 4);
    for (size_t i = 0; i < size; i++)
        frame[header + 4 + i] = payload[i] ^ frame[header + i % 4];
    size_t total = header + 4 + size;
    return send(fd, frame, total, 0) == (ssize_t)total ? 0 : -1;
}

/* Builds echo_frame: what the server must send back for each message. */
static void build_echo_frame(const struct options *options)
{
    size_t size = (size_t)options->size;
    echo_frame = malloc(4 + size);
    if (echo_frame == NULL)
        die("malloc");
    echo_frame_size = frame_header(echo_frame, 0x1, size, 0);
    memcpy(echo_frame + echo_frame_size, message, size);
    echo_frame_size += size;
}

/* The opening handshake's request (RFC 6455, section 4.1), with a fresh
 * key; notes the accept key the answer must carry. */
static void send_upgrade(const struct options *options, struct connection *c)
{
    unsigned char nonce[16];
    for (size_t i = 0; i < sizeof nonce; i += 4) {
        uint32_t r = random32();
        memcpy(nonce + i, &r, 4);
    }
    char key[25];
    base64(nonce, sizeof nonce, key);
    accept_for(key, c->accept);
    char request[256];
    int size = snprintf(request, sizeof request,
                        "GET / HTTP/1.1\r\n"
                        "Host: %s:%d\r\n"
                        "Upgrade: websocket\r\n"
                        "Connection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n",
                        options->host, options->port, key);
    if (size < 0 || (size_t)size >= sizeof request)
        die("snprintf");
    if (send(c->fd, request, (size_t)size, 0) != size)
        die("send");
}

/* Reads what has arrived into c->input; returns the bytes read, 0 if none
 * yet, -1 on end of stream, error, or a full buffer. */
static ssize_t read_input(struct connection *c)
{
    if (c->have == INPUT_SIZE)
        return -1;
    ssize_t received = recv(c->fd, c->input + c->have, INPUT_SIZE - c->have, 0);
    if (received == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (received <= 0)
        return -1;
    c->have += (size_t)received;
    c->input[c->have] = '\0'; /* input has a byte more: the answer reads as a string */
    return received;
}

/* The value of a header in an HTTP answer (name case-insensitive), spaces
 * and tabs around it left out; its length in *size. NULL if absent. */
static const char *header_value(const char *answer, const char *name, size_t *size)
{
    size_t name_size = strlen(name);
    for (const char *line = strstr(answer, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, name_size) != 0 || line[name_size] != ':')
            continue;
        const char *value = line + name_size + 1;
        const char *end = strstr(value, "\r\n");
        while (*value == ' ' || *value == '\t')
            value++;
        while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        *size = (size_t)(end - value);
        return value;
    }
    return NULL;
}

/*
 * The answer to the opening handshake: 1 once it is a whole "101" answer
 * with the accept key we expect, 0 until it is whole, -1 if it is not that.
 * The status line is checked as soon as it arrives, so that a server that
 * does not speak HTTP (step 05 echoes a line) fails at once. Also checked
 * (section 4.1): Upgrade says websocket. Not checked: that Connection lists
 * Upgrade; the accept key already shows the server read our request.
 */
static int upgrade_answered(struct connection *c)
{
    static const char status[] = "HTTP/1.1 101 ";
    if (read_input(c) == -1)
        return -1;
    size_t compared = c->have < sizeof status - 1 ? c->have : sizeof status - 1;
    if (memcmp(c->input, status, compared) != 0)
        return -1;
    char *answer = (char *)c->input;
    char *end = strstr(answer, "\r\n\r\n");
    if (end == NULL)
        return c->have == INPUT_SIZE ? -1 : 0;
    end += 2; /* headers end with their own CRLF: end is the blank line */
    *end = '\0';
    size_t size;
    const char *upgrade = header_value(answer, "Upgrade", &size);
    if (upgrade == NULL || size != 9 || strncasecmp(upgrade, "websocket", 9) != 0)
        return -1;
    const char *accept = header_value(answer, "Sec-WebSocket-Accept", &size);
    if (accept == NULL || size != ACCEPT_SIZE || memcmp(accept, c->accept, ACCEPT_SIZE) != 0)
        return -1;
    /* Bytes after the answer would be frames: keep them for the echo check. */
    size_t used = (size_t)(end + 2 - answer);
    memmove(c->input, c->input + used, c->have - used);
    c->have -= used;
    return 1;
}

/* Reads what has arrived of the echo; returns 1 once it is whole, 0 until
 * then, -1 on end of stream or error, -2 if it is not the echo. */
static int echo_arrived(struct connection *c)
{
    if (read_input(c) == -1)
        return -1;
    if (c->have > echo_frame_size || memcmp(c->input, echo_frame, c->have) != 0)
        return -2;
    if (c->have < echo_frame_size)
        return 0;
    c->have = 0;
    return 1;
}

/* The closing handshake, our half: a close frame with code 1000 (normal).
 * Returns -1 if it could not be sent (the server is gone already). */
static int send_close(struct connection *c)
{
    static const unsigned char normal[2] = {1000 >> 8, 1000 & 0xff};
    return send_masked(c->fd, 0x8, normal, sizeof normal);
}

/* The server's close frame and its end of stream: done at the end of
 * stream (what comes before it is its close frame, which needs no check). */
static int server_closed(struct connection *c)
{
    char buffer[256];
    ssize_t received = recv(c->fd, buffer, sizeof buffer, 0);
    if (received == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    return received <= 0;
}

/* --- driving the connections ------------------------------------------------ */

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
    if (options->websocket) {
        c->input = malloc(INPUT_SIZE + 1);
        if (c->input == NULL)
            die("malloc");
        c->have = 0;
    }
    c->connect_start = now();
    c->state = CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&address, sizeof address) == -1 && errno != EINPROGRESS)
        return -1;
    return 0;
}

static void send_request(const struct options *options, struct connection *c)
{
    c->sent_at = now();
    if (options->websocket) {
        if (send_masked(c->fd, 0x1, (const unsigned char *)message, (size_t)options->size) == -1)
            die("send");
        return;
    }
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

/* -W: an idle connection reads no more; its input buffer can go. */
static void drop_input(struct connection *c)
{
    free(c->input);
    c->input = NULL;
}

static void finish(struct connection *c)
{
    close(c->fd);
    drop_input(c);
    c->state = DONE;
}

/* A connection is done with its round trips: -W says goodbye first. */
static void end_rounds(const struct options *options, struct connection *c)
{
    if (!options->websocket || send_close(c) == -1) {
        finish(c);
        return;
    }
    drop_input(c);
    c->state = CLOSING;
}

/* Reads the reply to the current request: 1 once it is whole, 0 until then,
 * -1 on end of stream or error, -2 (-W) if it is not the echo. */
static int reply_complete(const struct options *options, struct connection *c)
{
    return options->websocket ? echo_arrived(c) : reply_arrived(c->fd);
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
        if (options->websocket) {
            c->state = UPGRADING;
            send_upgrade(options, c);
            return;
        }
        c->state = ACTIVE;
        send_request(options, c);
        return;
    }
    if (c->state == UPGRADING) {
        int answered = upgrade_answered(c);
        if (answered == -1) { /* refused, or not WebSocket: the connect failed */
            results->failed_connects++;
            finish(c);
        } else if (answered == 1) {
            c->state = ACTIVE;
            send_request(options, c);
        }
        return;
    }
    if (c->state == CLOSING) {
        if (server_closed(c))
            finish(c);
        return;
    }
    int arrived = reply_complete(options, c);
    if (arrived < 0) {
        results->bad_replies += arrived == -2;
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
        if (options->idle > 0 && rounds == 1) {
            c->state = IDLE; /* idle mode: stay connected */
            drop_input(c);
        } else {
            end_rounds(options, c);
        }
        return;
    }
    send_request(options, c);
}

/* Between connect() and the end of the closing handshake. */
static int is_busy(const struct connection *c)
{
    return c->state == CONNECTING || c->state == UPGRADING || c->state == ACTIVE || c->state == CLOSING;
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
            const struct connection *c = &connections[i];
            if (c->state == CONNECTING || c->state == UPGRADING || (c->state == ACTIVE && c->rounds == 0))
                waiting_first++;
            busy += is_busy(c);
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
            if (is_busy(c)) {
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
    for (long i = 0; i < started; i++) {
        if (is_busy(&connections[i])) /* the deadline passed first */
            finish(&connections[i]);
    }
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

/* qsort() of no latencies would pass it NULL, which C does not allow. */
static void sort_latencies(struct results *results)
{
    if (results->count > 0)
        qsort(results->latencies, (size_t)results->count, sizeof(double), compare);
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
    while ((option = getopt(argc, argv, "H:p:c:n:d:s:r:t:i:fP:W")) != -1) {
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
        case 'W': options.websocket = 1; break;
        default: usage();
        }
    }
    if (optind < argc || (options.port == 0 && !options.floor) || (options.floor && options.websocket))
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
    if (options.websocket) {
        seed_random();
        build_echo_frame(&options);
    }

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
        sort_latencies(&results);
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

    sort_latencies(&results);
    printf("round_trips=%ld seconds=%.3f rate=%.0f p50_us=%.1f p99_us=%.1f "
           "slowest_first_reply_ms=%.1f failed_connects=%ld idle_held=%ld complete=%d",
           results.count, elapsed, (double)results.count / elapsed, percentile(&results, 0.50),
           percentile(&results, 0.99), results.slowest_first_reply, results.failed_connects,
           held, complete);
    if (options.websocket)
        printf(" bad_replies=%ld", results.bad_replies);
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
    free(echo_frame);
    return complete ? 0 : 1;
}
