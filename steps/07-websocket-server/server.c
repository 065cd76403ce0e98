/*
 * Step 07: a WebSocket server (RFC 6455), on step 05's poll() event loop.
 *
 * Steps 01 to 06 speak plain TCP: bytes in, bytes out. A browser cannot
 * open a plain TCP connection; it can open a WebSocket. This step speaks
 * that protocol: an HTTP/1.1 request asks to "upgrade" the connection
 * (the opening handshake), and from then on both sides exchange framed
 * messages over the same TCP connection, until one side sends a close frame
 * (the closing handshake).
 *
 * The server echoes every message back as it came (text as text, binary as
 * binary), and logs each one as
 *     [CONNECTION] Received text "DATA" from IP:PORT
 * A plain GET / gets a small page whose script talks to the server.
 *
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o server server.c
 * Run:   ./server [-H host] [-p port], then open http://127.0.0.1:9797/
 *
 * SPDX-License-Identifier: 0BSD
 */

#define _POSIX_C_SOURCE 200809L /* getaddrinfo, sigaction, clock_gettime */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "9797"
#define BACKLOG SOMAXCONN
/* Bigger than step 05's 1024: messages of megabytes come through here. */
#define RECV_SIZE ((size_t)64 * 1024)
/* "[" IPv6 "]:" port: numeric addresses only, so this always fits. */
#define ADDRESS_SIZE (INET6_ADDRSTRLEN + 16)
// [limits]
/* The opening handshake is a few hundred bytes; a longer request is refused. */
#define MAX_REQUEST 8192
/* A bigger message is refused with close code 1009 (Message Too Big). */
#define MAX_MESSAGE ((uint64_t)64 * 1024 * 1024) /* 64 MiB */
/* We stop reading a client while this much of our output waits unread:
 * a client that sends but never reads is slowed down, not buffered for. */
#define PAUSE_READING ((size_t)1024 * 1024) /* 1 MiB */
/* So output never passes: what was pending when we last read (less than
 * PAUSE_READING), plus the echo of the biggest message, plus the replies to
 * one read (each control frame's reply is no longer than the frame). */
#define MAX_PENDING (PAUSE_READING + MAX_MESSAGE + RECV_SIZE + 16)
/* Once our last bytes are queued (a close frame, the page, an HTTP error),
 * the client may go this long without taking any of them, then as long
 * again to close its side after our FIN; then we close anyway. A stop waits
 * twice this long at most. */
#define CLOSE_TIMEOUT_MS 2000
/* A log line shows at most this many bytes of a message. */
#define LOG_PREVIEW 200
// [/limits]

static const char *program_name = "server";

/*
 * The "self-pipe": the stop signal handler writes a byte into stop_pipe[1],
 * and every wait watches stop_pipe[0]. The byte stays there, unread, so
 * every later wait sees it too.
 */
static int stop_pipe[2] = {-1, -1};

static void usage(FILE *out)
{
    fprintf(out, "usage: %s [-H host] [-p port]\n"
                 "  -H host  address to listen on (default " DEFAULT_HOST ")\n"
                 "  -p port  port to listen on, 0-65535, 0 = any free port"
                 " (default " DEFAULT_PORT ")\n"
                 "  -h       show this help\n",
            program_name);
}

/* Prints a one-line reason and the usage, then exits 2: the caller's mistake. */
static void usage_error(const char *reason, const char *detail)
{
    fprintf(stderr, "%s: %s%s\n", program_name, reason, detail);
    usage(stderr);
    exit(2);
}

/* Names the option getopt() stopped at, as "-x", for a message. */
static const char *option_name(int option)
{
    static char name[3] = "-?";
    name[1] = (char)option;
    return name;
}

/* Reports a failed system call as "call: reason" and exits 1. */
static void die(const char *call)
{
    perror(call);
    exit(1);
}

/* A port is a whole decimal number from 0 to 65535, and nothing else. */
static int is_valid_port(const char *text)
{
    if (text[0] < '0' || text[0] > '9') /* strtol() would take " 1", "+1", "-1" */
        return 0;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    return errno == 0 && *end == '\0' && value <= 65535;
}

/*
 * Writes DATA escaped C-style into out (which must hold 4 * size + 1 bytes):
 * printable ASCII as is, quote and backslash escaped, \n \r \t, and every
 * other byte as \xNN. A client can then never make us print raw control
 * bytes, such as terminal escape sequences, to anyone's screen.
 */
static size_t escape_bytes(const unsigned char *data, size_t size, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    for (size_t i = 0; i < size; i++) {
        unsigned char c = data[i];
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (c == '\r') {
            out[n++] = '\\';
            out[n++] = 'r';
        } else if (c == '\t') {
            out[n++] = '\\';
            out[n++] = 't';
        } else if (c >= 0x20 && c < 0x7f) {
            out[n++] = (char)c;
        } else {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 0x0f];
        }
    }
    out[n] = '\0';
    return n;
}

/* Formats a socket address as "IP:PORT" ("[IP]:PORT" for IPv6). */
static void format_address(const struct sockaddr *address, socklen_t length,
                           char *out, size_t out_size)
{
    char host[INET6_ADDRSTRLEN];
    char port[sizeof "65535"];
    int rc = getnameinfo(address, length, host, sizeof host, port, sizeof port,
                         NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0)
        snprintf(out, out_size, "(unknown: %s)", gai_strerror(rc));
    else if (address->sa_family == AF_INET6)
        snprintf(out, out_size, "[%s]:%s", host, port);
    else
        snprintf(out, out_size, "%s:%s", host, port);
}

static void on_stop_signal(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno; /* write() could change errno under the code we interrupted */
    char byte = 1;
    if (write(stop_pipe[1], &byte, 1) == -1) {
        /* The pipe is full: a byte is waiting already, nothing is lost. */
    }
    errno = saved_errno;
}

/*
 * SIGPIPE is ignored: a send() to a client that has gone away then fails
 * with EPIPE, and loses that client only, instead of ending the server.
 * SIGINT and SIGTERM write to the self-pipe, which wakes poll().
 */
static void install_signal_handlers(void)
{
    if (pipe(stop_pipe) == -1)
        die("pipe");
    /* The handler must never block, even if signals keep coming. */
    if (fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK) == -1)
        die("fcntl");

    struct sigaction ignore = {0};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGPIPE, &ignore, NULL) == -1)
        die("sigaction");

    struct sigaction stop = {0};
    stop.sa_handler = on_stop_signal;
    stop.sa_flags = SA_RESTART; /* other calls carry on; poll() wakes up anyway */
    sigemptyset(&stop.sa_mask);
    if (sigaction(SIGINT, &stop, NULL) == -1 || sigaction(SIGTERM, &stop, NULL) == -1)
        die("sigaction");
}

/*
 * Resolves host and port, then creates, binds and listens on the first
 * address that works. Exits with "call: reason" if none does.
 */
static int open_listener(const char *host, const char *port)
{
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;     /* IPv4 or IPv6, whichever host is */
    hints.ai_socktype = SOCK_STREAM; /* TCP */
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;

    struct addrinfo *addresses;
    int rc = getaddrinfo(host, port, &hints, &addresses);
    if (rc != 0) {
        fprintf(stderr, "getaddrinfo: %s: %s\n", host, gai_strerror(rc));
        exit(1);
    }

    int listener = -1;
    const char *failed_call = "socket";
    int saved_errno = 0;
    for (struct addrinfo *a = addresses; a != NULL && listener == -1; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd == -1) {
            failed_call = "socket";
            saved_errno = errno;
            continue;
        }
        /* Lets a restarted server bind while old connections sit in TIME_WAIT. */
        int on = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
            failed_call = "setsockopt";
        else if (bind(fd, a->ai_addr, a->ai_addrlen) == -1)
            failed_call = "bind";
        else if (listen(fd, BACKLOG) == -1)
            failed_call = "listen";
        else {
            listener = fd;
            break;
        }
        saved_errno = errno;
        close(fd);
    }
    freeaddrinfo(addresses);

    if (listener == -1) {
        errno = saved_errno;
        die(failed_call);
    }
    return listener;
}

/* Prints "[INFO] Listening on IP:PORT" with the port the kernel really gave us. */
static void announce_listening(int listener)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getsockname(listener, (struct sockaddr *)&address, &length) == -1)
        die("getsockname");
    char text[ADDRESS_SIZE];
    format_address((struct sockaddr *)&address, length, text, sizeof text);
    printf("[INFO] Listening on %s\n", text);
}

/*
 * A non-blocking socket never makes a call wait: accept(), recv() or send()
 * that cannot proceed at once fail with EAGAIN (or EWOULDBLOCK) instead.
 */
/* Returns 0, or -1 with errno set if fcntl() failed. */
static int set_non_blocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
        return -1;
    return 0;
}

static int would_block(int error)
{
    return error == EAGAIN || error == EWOULDBLOCK;
}

/* Each client costs a descriptor: raise the limit as far as allowed. */
static void raise_descriptor_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == -1) {
        perror("getrlimit");
        return;
    }
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == -1)
        perror("setrlimit");
}

// [sha1]
/*
 * SHA-1 (RFC 3174), needed for one thing only: the handshake's accept key.
 * (SHA-1 is broken for signatures; here it only proves that the server
 * read the request, and no security rests on it: RFC 6455 section 10.8.)
 *
 * The message is cut into 64-byte blocks; each block is mixed into five
 * 32-bit words (the state) in 80 rounds. The last block is padded with a
 * 1 bit, zeros, and the message's length in bits.
 */
#define SHA1_SIZE 20

struct sha1 {
    uint32_t state[5];
    unsigned char block[64]; /* bytes waiting for a full block */
    size_t block_size;
    uint64_t length; /* bytes hashed so far */
};

static uint32_t rotate_left(uint32_t word, int bits)
{
    return (word << bits) | (word >> (32 - bits));
}

static void sha1_init(struct sha1 *sha)
{
    static const uint32_t initial[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    memcpy(sha->state, initial, sizeof initial);
    sha->block_size = 0;
    sha->length = 0;
}

/* Mixes one 64-byte block into the state (RFC 3174 section 6.1). */
static void sha1_block(struct sha1 *sha, const unsigned char *block)
{
    uint32_t w[80];
    for (size_t t = 0; t < 16; t++) /* the block, as 16 big-endian words */
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
               (uint32_t)block[4 * t + 2] << 8 | (uint32_t)block[4 * t + 3];
    for (int t = 16; t < 80; t++)
        w[t] = rotate_left(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = sha->state[0], b = sha->state[1], c = sha->state[2];
    uint32_t d = sha->state[3], e = sha->state[4];
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
        uint32_t temp = rotate_left(a, 5) + f + e + w[t] + k;
        e = d;
        d = c;
        c = rotate_left(b, 30);
        b = a;
        a = temp;
    }
    sha->state[0] += a;
    sha->state[1] += b;
    sha->state[2] += c;
    sha->state[3] += d;
    sha->state[4] += e;
}

static void sha1_update(struct sha1 *sha, const void *data, size_t size)
{
    const unsigned char *bytes = data;
    sha->length += size;
    while (size > 0) {
        size_t take = sizeof sha->block - sha->block_size;
        if (take > size)
            take = size;
        memcpy(sha->block + sha->block_size, bytes, take);
        sha->block_size += take;
        bytes += take;
        size -= take;
        if (sha->block_size == sizeof sha->block) {
            sha1_block(sha, sha->block);
            sha->block_size = 0;
        }
    }
}

/* Pads the message (RFC 3174 section 4) and writes the 20-byte digest. */
static void sha1_final(struct sha1 *sha, unsigned char digest[SHA1_SIZE])
{
    uint64_t bits = sha->length * 8;
    static const unsigned char one_bit = 0x80, zero = 0;
    sha1_update(sha, &one_bit, 1);
    while (sha->block_size != 56) /* leave 8 bytes for the length */
        sha1_update(sha, &zero, 1);
    unsigned char length[8];
    for (int i = 0; i < 8; i++)
        length[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha1_update(sha, length, sizeof length);
    for (int i = 0; i < SHA1_SIZE; i++)
        digest[i] = (unsigned char)(sha->state[i / 4] >> (24 - 8 * (i % 4)));
}
// [/sha1]

// [base64]
/*
 * Base64 (RFC 4648 section 4): every 3 bytes become 4 characters of 6 bits
 * each; the last group is padded with "=" to 4 characters.
 */
static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Writes size bytes as base64 into out (4 * ((size + 2) / 3) + 1 bytes). */
static size_t base64_encode(const unsigned char *data, size_t size, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t group = (uint32_t)data[i] << 16;
        if (i + 1 < size)
            group |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < size)
            group |= data[i + 2];
        out[n++] = base64_alphabet[(group >> 18) & 63];
        out[n++] = base64_alphabet[(group >> 12) & 63];
        out[n++] = '='; /* padding, unless there was a byte for it */
        out[n++] = '=';
        if (i + 1 < size)
            out[n - 2] = base64_alphabet[(group >> 6) & 63];
        if (i + 2 < size)
            out[n - 1] = base64_alphabet[group & 63];
    }
    out[n] = '\0';
    return n;
}

/* The 6-bit value of a base64 character, or -1 if it is not one. */
static int base64_value(char c)
{
    const char *found = c == '\0' ? NULL : strchr(base64_alphabet, c);
    return found == NULL ? -1 : (int)(found - base64_alphabet);
}

/*
 * Decodes base64 text (a multiple of 4 characters, padded) into out, which
 * must hold 3 * size / 4 bytes. Returns the number of bytes, or -1 if the
 * text is not canonical base64: a character outside the alphabet, padding
 * anywhere but at the end, or leftover bits that are not zero.
 */
static long base64_decode(const char *text, size_t size, unsigned char *out)
{
    if (size % 4 != 0)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < size; i += 4) {
        int last = i + 4 == size;
        int padding = last && text[i + 3] == '=' ? (text[i + 2] == '=' ? 2 : 1) : 0;
        uint32_t group = 0;
        for (int j = 0; j < 4; j++) {
            int value = j >= 4 - padding ? 0 : base64_value(text[i + j]);
            if (value < 0)
                return -1;
            group = group << 6 | (uint32_t)value;
        }
        /* "Zh==" would carry bits that "Zg==" leaves at zero: not canonical. */
        if ((padding == 2 && (group & 0xFFFF) != 0) || (padding == 1 && (group & 0xFF) != 0))
            return -1;
        out[n++] = (unsigned char)(group >> 16);
        if (padding < 2)
            out[n++] = (unsigned char)(group >> 8);
        if (padding < 1)
            out[n++] = (unsigned char)group;
    }
    return (long)n;
}
// [/base64]

// [accept-key]
/*
 * The server proves it understood the handshake (RFC 6455 section 4.2.2):
 * Sec-WebSocket-Accept = base64(SHA-1(key + this GUID)). The GUID, fixed by
 * the RFC, is unlikely to be known to other servers (section 1.3).
 */
#define WEBSOCKET_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define KEY_SIZE 24        /* base64 of 16 bytes: 22 characters and "==" */
#define ACCEPT_SIZE 28     /* base64 of SHA-1's 20 bytes */

static void accept_key(const char *key, char accept[ACCEPT_SIZE + 1])
{
    struct sha1 sha;
    unsigned char digest[SHA1_SIZE];
    sha1_init(&sha);
    sha1_update(&sha, key, strlen(key));
    sha1_update(&sha, WEBSOCKET_GUID, strlen(WEBSOCKET_GUID));
    sha1_final(&sha, digest);
    base64_encode(digest, sizeof digest, accept);
}

/* The key must be base64 of 16 bytes (RFC 6455 section 4.1, item 7). */
static int is_valid_key(const char *value, size_t size)
{
    unsigned char nonce[KEY_SIZE];
    return size == KEY_SIZE && base64_decode(value, size, nonce) == 16;
}
// [/accept-key]

// [http-request]
/*
 * The opening handshake is an HTTP/1.1 request (RFC 6455 section 4.1,
 * RFC 7230 for the syntax):
 *     GET / HTTP/1.1\r\n
 *     Host: 127.0.0.1:9797\r\n
 *     Upgrade: websocket\r\n
 *     Connection: Upgrade\r\n
 *     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n
 *     Sec-WebSocket-Version: 13\r\n
 *     \r\n
 * Header names and the tokens in Upgrade and Connection are case-insensitive;
 * Connection is a comma-separated list ("keep-alive, Upgrade" is common).
 * What the parser found goes here; the answer is decided afterwards.
 */
struct handshake {
    int status;         /* the HTTP answer: 101, 200, or an error */
    const char *reason; /* why an error, for the log and the answer's body */
    int path_is_root;   /* the request is for "/" */
    int http10;         /* an HTTP/1.0 request: it cannot upgrade */
    int host_count;
    int upgrade_websocket;  /* Upgrade lists "websocket" */
    int connection_upgrade; /* Connection lists "upgrade" */
    int version_count;
    int version_13;
    int key_count;
    int key_valid;
    char key[KEY_SIZE + 1];
};

/* Records an error answer, unless an earlier one was found first. */
static void refuse(struct handshake *hs, int status, const char *reason)
{
    if (hs->status == 0) {
        hs->status = status;
        hs->reason = reason;
    }
}

/* ASCII only: tolower() would follow the locale. */
static int ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Compares size bytes of text with word, ignoring ASCII case. */
static int same_word(const char *text, size_t size, const char *word)
{
    if (strlen(word) != size)
        return 0;
    for (size_t i = 0; i < size; i++) {
        if (ascii_lower(text[i]) != ascii_lower(word[i]))
            return 0;
    }
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A "tchar" of RFC 7230 section 3.2.6: what names and methods are made of. */
static int is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_token(const char *text, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (!is_token_char(text[i]))
            return 0;
    }
    return size > 0;
}

/* Does a comma-separated list ("keep-alive, Upgrade") hold token? */
static int list_has_token(const char *list, size_t size, const char *token)
{
    size_t start = 0;
    while (start <= size) {
        size_t end = start;
        while (end < size && list[end] != ',')
            end++;
        size_t first = start, last = end;
        while (first < last && is_blank(list[first]))
            first++;
        while (last > first && is_blank(list[last - 1]))
            last--;
        if (same_word(list + first, last - first, token))
            return 1;
        start = end + 1;
    }
    return 0;
}

/*
 * The version: "HTTP/1.1", or a later 1.x, which RFC 6455 section 4.1 asks
 * for ("HTTP/1.1 or higher"; RFC 7230 section 2.6 has a server treat a later
 * minor version as the highest it knows), or HTTP/1.0, which is served but
 * cannot upgrade. Returns 0 for those, 505 for another major version, 400
 * for what is no version at all.
 */
static int version_status(const char *version, size_t size, struct handshake *hs)
{
    if (size != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return 400;
    if (version[5] != '1')
        return 505;
    hs->http10 = version[7] == '0';
    return 0;
}

/*
 * The path of a request target: "/chat?x" as it is, or the path inside an
 * absolute URI, "http://host:9797/chat?x", which a server must accept too
 * (RFC 7230 section 5.3.2). RFC 6455 section 4.2.1 allows the http and
 * https schemes only, and RFC 7230 section 2.7.1 wants a host and no user
 * information ("user@"). Returns NULL for anything else.
 */
static const char *target_path(const char *target, size_t size, size_t *path_size)
{
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)target[i];
        if (c <= ' ' || c >= 0x7f || c == '#') /* printable ASCII, no fragment */
            return NULL;
    }
    if (size > 0 && target[0] == '/') {
        *path_size = size;
        return target;
    }
    size_t colon = 0;
    while (colon < size && target[colon] != ':')
        colon++;
    if (!(same_word(target, colon, "http") || same_word(target, colon, "https")) ||
        size - colon < 3 || memcmp(target + colon, "://", 3) != 0)
        return NULL;
    const char *authority = target + colon + 3;
    const char *path = authority;
    while (path < target + size && *path != '/' && *path != '?')
        path++;
    size_t authority_size = (size_t)(path - authority);
    if (authority_size == 0 || authority[0] == ':' || memchr(authority, '@', authority_size) != NULL)
        return NULL;
    *path_size = (size_t)(target + size - path);
    return path; /* an empty path means "/" (RFC 7230 section 5.3.1) */
}

/*
 * "GET /path HTTP/1.1": method, target and version, one space apart. The
 * version and the method are judged before the target, so that "OPTIONS *"
 * gets its 405 and "PRI * HTTP/2.0" its 505.
 */
static void parse_request_line(const char *line, size_t size, struct handshake *hs)
{
    const char *space1 = memchr(line, ' ', size);
    const char *space2 = space1 == NULL ? NULL : memchr(space1 + 1, ' ', size - (size_t)(space1 + 1 - line));
    if (space2 == NULL || !is_token(line, (size_t)(space1 - line))) {
        refuse(hs, 400, "malformed request line");
        return;
    }
    const char *version = space2 + 1;
    int status = version_status(version, size - (size_t)(version - line), hs);
    if (status != 0) {
        refuse(hs, status, status == 505 ? "only HTTP/1.x is spoken here" : "malformed request line");
        return;
    }
    /* Methods are case-sensitive (RFC 7230 section 3.1.1). */
    if ((size_t)(space1 - line) != 3 || memcmp(line, "GET", 3) != 0) {
        refuse(hs, 405, "only GET is served");
        return;
    }
    size_t path_size = 0;
    const char *path = target_path(space1 + 1, (size_t)(space2 - (space1 + 1)), &path_size);
    if (path == NULL) {
        refuse(hs, 400, "malformed request line");
        return;
    }
    hs->path_is_root = path_size == 0 || path[0] == '?' || path_size == 1 || path[1] == '?';
}

/* Uses one header: "Name: value", the value without its blanks around. */
static void use_header(const char *name, size_t name_size, const char *value, size_t size,
                       struct handshake *hs)
{
    if (same_word(name, name_size, "Host")) {
        hs->host_count++;
    } else if (same_word(name, name_size, "Upgrade")) {
        /* RFC 7230 section 6.7: ignored in an HTTP/1.0 request. */
        if (!hs->http10 && list_has_token(value, size, "websocket"))
            hs->upgrade_websocket = 1;
    } else if (same_word(name, name_size, "Connection")) {
        if (list_has_token(value, size, "upgrade"))
            hs->connection_upgrade = 1;
    } else if (same_word(name, name_size, "Sec-WebSocket-Version")) {
        hs->version_count++;
        hs->version_13 = size == 2 && memcmp(value, "13", 2) == 0;
    } else if (same_word(name, name_size, "Sec-WebSocket-Key")) {
        hs->key_count++;
        hs->key_valid = is_valid_key(value, size);
        if (hs->key_valid) {
            memcpy(hs->key, value, KEY_SIZE);
            hs->key[KEY_SIZE] = '\0';
        }
    }
    /* Anything else is ignored, Sec-WebSocket-Extensions included: an
     * extension the answer does not name is declined (section 9.1). */
}

/* "Name: value": a token, a colon at once, then printable text. */
static void parse_header_line(const char *line, size_t size, struct handshake *hs)
{
    const char *colon = memchr(line, ':', size);
    if (colon == NULL || !is_token(line, (size_t)(colon - line))) {
        /* Also a line folded onto the one before (starting with a blank),
         * which RFC 7230 section 3.2.4 lets a server reject with 400. */
        refuse(hs, 400, "malformed header line");
        return;
    }
    const char *value = colon + 1;
    size_t value_size = size - (size_t)(value - line);
    while (value_size > 0 && is_blank(value[0])) {
        value++;
        value_size--;
    }
    while (value_size > 0 && is_blank(value[value_size - 1]))
        value_size--;
    for (size_t i = 0; i < value_size; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) { /* a stray CR, LF or NUL */
            refuse(hs, 400, "control character in a header");
            return;
        }
    }
    use_header(line, (size_t)(colon - line), value, value_size, hs);
}

// [/http-request]

// [handshake]
/*
 * Decides the answer to a parsed request (RFC 6455 section 4.2.1, the
 * version before the key): an HTTP error, the page (200) for a plain GET /,
 * or 101. The first rule broken decides (refuse() keeps the first).
 */
static void decide_answer(struct handshake *hs)
{
    /* HTTP/1.1 requires Host; HTTP/1.0 may leave it out (RFC 7230 5.4). */
    if (hs->host_count > 1 || (hs->host_count == 0 && !hs->http10))
        refuse(hs, 400, "there must be one Host header");
    if (!hs->upgrade_websocket) /* not a WebSocket request: the page */
        refuse(hs, hs->path_is_root ? 200 : 404, hs->path_is_root ? "the page" : "no such page");
    if (!hs->path_is_root)
        refuse(hs, 404, "no such WebSocket");
    if (!hs->connection_upgrade)
        refuse(hs, 400, "Connection does not list upgrade");
    if (hs->version_count != 1)
        refuse(hs, 400, "there must be one Sec-WebSocket-Version header");
    if (!hs->version_13) /* section 4.2.2: say which version we speak */
        refuse(hs, 426, "Sec-WebSocket-Version must be 13");
    if (hs->key_count != 1 || !hs->key_valid)
        refuse(hs, 400, "Sec-WebSocket-Key must be base64 of 16 bytes, once");
    refuse(hs, 101, "WebSocket");
}

/*
 * Parses a whole request (it ends with the empty line "\r\n\r\n") and
 * decides the answer in hs->status: 101 to switch to WebSocket, 200 for the
 * page, or an HTTP error (with hs->reason).
 */
static void parse_handshake(const char *request, size_t size, struct handshake *hs)
{
    *hs = (struct handshake){0};
    size_t start = 0;
    int first = 1;
    while (start < size && hs->status == 0) {
        size_t end = start;
        while (end + 1 < size && !(request[end] == '\r' && request[end + 1] == '\n'))
            end++;
        if (end + 1 >= size) /* no CRLF: the caller passes whole requests only */
            break;
        if (end == start) /* the empty line: end of the headers */
            break;
        if (first)
            parse_request_line(request + start, end - start, hs);
        else
            parse_header_line(request + start, end - start, hs);
        first = 0;
        start = end + 2;
    }
    if (first)
        refuse(hs, 400, "malformed request line");
    decide_answer(hs);
}

static const char *status_text(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}
// [/handshake]

// [page]
/* What a browser gets for GET /: a page that opens a WebSocket back to the
 * server it came from (location.host) and shows what comes back. */
static const char page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<meta charset=\"utf-8\">\n"
    "<title>Socket Steps: WebSocket echo</title>\n"
    "<h1>WebSocket echo</h1>\n"
    "<form id=\"form\"><input id=\"message\" autocomplete=\"off\" autofocus>\n"
    "<button>Send</button></form>\n"
    "<pre id=\"log\"></pre>\n"
    "<script>\n"
    "const log = document.getElementById('log');\n"
    "const input = document.getElementById('message');\n"
    "function show(line) { log.textContent += line + '\\n'; }\n"
    "const url = 'ws://' + location.host + '/';\n"
    "const socket = new WebSocket(url);\n"
    "socket.onopen = () => show('[INFO] Connected to ' + url);\n"
    "socket.onmessage = (event) => show('Received \"' + event.data + '\"');\n"
    "socket.onclose = (event) => show('[INFO] Closed (' + event.code + ')');\n"
    "document.getElementById('form').onsubmit = (event) => {\n"
    "  event.preventDefault();\n"
    "  socket.send(input.value);\n"
    "  input.value = '';\n"
    "};\n"
    "</script>\n"
    "</html>\n";
/* The page goes out in one answer buffer of 4096 bytes, headers included. */
_Static_assert(sizeof page < 3500, "the page fits in the answer buffer");
// [/page]

// [answer]
/* Writes the HTTP answer to a parsed request into out; returns its length. */
static size_t format_answer(const struct handshake *hs, char *out, size_t size)
{
    int n;
    if (hs->status == 101) {
        char accept[ACCEPT_SIZE + 1];
        accept_key(hs->key, accept);
        n = snprintf(out, size,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    } else if (hs->status == 200) {
        n = snprintf(out, size,
                     "HTTP/1.1 200 OK\r\n"
                     "Content-Type: text/html; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     strlen(page), page);
    } else {
        /* 426 names the version we speak (RFC 6455 section 4.2.2) and the
         * protocol to upgrade to (RFC 7231 section 6.5.15); 405 the method. */
        const char *extra = hs->status == 426   ? "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                            : hs->status == 405 ? "Allow: GET\r\n"
                                                : "";
        n = snprintf(out, size,
                     "HTTP/1.1 %d %s\r\n%s"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s\n",
                     hs->status, status_text(hs->status), extra, strlen(hs->reason) + 1, hs->reason);
    }
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}
// [/answer]

// [utf8]
/*
 * A text message must be valid UTF-8 (RFC 6455 section 8.1; RFC 3629
 * section 4 for what is valid). The check goes byte by byte and keeps its
 * state between calls, so that a character split between two frames, or
 * two recv() calls, is checked all the same, and the first wrong byte is
 * caught as soon as it arrives.
 *
 * A lead byte says how many continuation bytes (10xxxxxx) follow. Some
 * leads narrow the range of the next byte: that is how overlong forms
 * (E0 80..9F, F0 80..8F), UTF-16 surrogates (ED A0..BF) and code points
 * above U+10FFFF (F4 90..BF) are refused. C0, C1 and F5..FF never appear.
 */
struct utf8_check {
    int needed;                /* continuation bytes still to come */
    unsigned char low, high;   /* the range the next one must be in */
};

/* Takes one more byte; returns 0 if the text can still be valid, -1 if not. */
static int utf8_next(struct utf8_check *check, unsigned char byte)
{
    if (check->needed > 0) {
        if (byte < check->low || byte > check->high)
            return -1;
        check->needed--;
        check->low = 0x80;
        check->high = 0xBF;
        return 0;
    }
    check->low = 0x80;
    check->high = 0xBF;
    if (byte <= 0x7F)
        return 0;
    if (byte >= 0xC2 && byte <= 0xDF)
        check->needed = 1;
    else if (byte >= 0xE0 && byte <= 0xEF)
        check->needed = 2;
    else if (byte >= 0xF0 && byte <= 0xF4)
        check->needed = 3;
    else
        return -1; /* a continuation byte without a lead, C0, C1, F5..FF */
    if (byte == 0xE0)
        check->low = 0xA0; /* E0 80..9F would be overlong */
    else if (byte == 0xED)
        check->high = 0x9F; /* ED A0..BF would be a surrogate, U+D800..DFFF */
    else if (byte == 0xF0)
        check->low = 0x90; /* F0 80..8F would be overlong */
    else if (byte == 0xF4)
        check->high = 0x8F; /* F4 90..BF would be above U+10FFFF */
    return 0;
}

/* Takes size more bytes: 0 if the text can still be valid, -1 if not. */
static int utf8_feed(struct utf8_check *check, const unsigned char *bytes, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (utf8_next(check, bytes[i]) == -1)
            return -1;
    }
    return 0;
}

/* At the end of the text, no character may be left unfinished. */
static int utf8_complete(const struct utf8_check *check)
{
    return check->needed == 0;
}
// [/utf8]

// [frame-header]
/*
 * Every message travels in frames (RFC 6455 section 5.2):
 *
 *   byte 0: FIN (last frame of its message), RSV1-3 (0 unless an extension
 *           says otherwise), opcode (4 bits: what the frame carries)
 *   byte 1: MASK (1 from a client), payload length in 7 bits, where
 *           126 means "the length is in the next 2 bytes" and
 *           127 means "the length is in the next 8 bytes" (network order)
 *   then:   the 4-byte masking key, if MASK; then the payload.
 */
enum opcode {
    OP_CONTINUATION = 0x0,
    OP_TEXT = 0x1,
    OP_BINARY = 0x2,
    OP_CLOSE = 0x8,
    OP_PING = 0x9,
    OP_PONG = 0xA,
};
#define MAX_HEADER_SIZE 14 /* 2 + 8 (length) + 4 (mask) */

struct frame_header {
    int fin;
    int rsv;    /* the three reserved bits */
    int opcode;
    int masked;
    uint64_t length;
    unsigned char mask[4];
};

/* How long the header is, from its first two bytes. */
static size_t frame_header_size(const unsigned char *bytes)
{
    size_t size = 2;
    if ((bytes[1] & 0x7F) == 126)
        size += 2;
    else if ((bytes[1] & 0x7F) == 127)
        size += 8;
    if (bytes[1] & 0x80)
        size += 4;
    return size;
}

/*
 * Decodes a frame header from the first available bytes. Returns its size,
 * or 0 if more bytes are needed to know it all.
 */
static size_t decode_frame_header(const unsigned char *bytes, size_t available,
                                  struct frame_header *header)
{
    if (available < 2 || available < frame_header_size(bytes))
        return 0;
    header->fin = bytes[0] >> 7;
    header->rsv = (bytes[0] >> 4) & 0x7;
    header->opcode = bytes[0] & 0x0F;
    header->masked = bytes[1] >> 7;
    header->length = bytes[1] & 0x7F;
    size_t at = 2;
    int extra = header->length == 126 ? 2 : header->length == 127 ? 8 : 0;
    if (extra > 0) {
        header->length = 0;
        for (int i = 0; i < extra; i++)
            header->length = header->length << 8 | bytes[at++];
    }
    if (header->masked) {
        memcpy(header->mask, bytes + at, 4);
        at += 4;
    }
    return at;
}

/*
 * Encodes the header of an unmasked frame (a server never masks, section
 * 5.1) with the shortest length form (section 5.2 says senders must).
 * Returns its size, at most 10 bytes.
 */
static size_t encode_frame_header(int fin, int opcode, uint64_t length, unsigned char *out)
{
    out[0] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (length <= 125) {
        out[1] = (unsigned char)length;
        return 2;
    }
    int extra = length <= 0xFFFF ? 2 : 8;
    out[1] = extra == 2 ? 126 : 127;
    for (int i = 0; i < extra; i++)
        out[2 + i] = (unsigned char)(length >> (8 * (extra - 1 - i)));
    return 2 + (size_t)extra;
}
// [/frame-header]

// [connection]
/*
 * One client. It starts in the HANDSHAKE phase (reading an HTTP request),
 * moves to OPEN (exchanging frames) if the handshake succeeds, and to
 * CLOSING once our last bytes are queued (a close frame, the page, or an
 * HTTP error): then we only wait for the client to take them and close, and
 * read and drop whatever it still sends, until a deadline that moves only
 * while it takes them.
 */
enum phase { HANDSHAKE, OPEN, CLOSING };

struct connection {
    int fd;
    char peer[ADDRESS_SIZE];
    enum phase phase;
    int finished;        /* the client has closed its side */
    int write_shut;      /* we have sent everything, and our FIN */
    long long close_deadline; /* in CLOSING, when we give up waiting (ms) */

    char *request;       /* HANDSHAKE: the request so far (NULL when none) */
    size_t request_size;

    /* OPEN: the frame being read */
    unsigned char header_bytes[MAX_HEADER_SIZE];
    size_t header_size;  /* bytes of the header read so far */
    struct frame_header frame; /* once the header is complete */
    uint64_t frame_read; /* payload bytes read so far */
    int in_frame;        /* the header is complete: payload bytes follow */
    unsigned char control[125]; /* a control frame's payload */

    /* OPEN: the message being put together from its frames */
    int message_opcode;  /* OP_TEXT or OP_BINARY; 0 when none is in progress */
    unsigned char *message;
    size_t message_size;
    size_t message_capacity;
    struct utf8_check utf8;

    char *pending;       /* output not sent yet (NULL when none) */
    size_t pending_size;
    size_t pending_capacity;
};

/*
 * Everything the event loop watches, in the one array poll() takes:
 * watched[STOP_PIPE] the self-pipe, watched[LISTENER] the listening socket,
 * and watched[FIRST_CLIENT + i] the socket of clients[i].
 */
enum { STOP_PIPE, LISTENER, FIRST_CLIENT };
struct server {
    struct pollfd *watched;
    struct connection *clients;
    size_t client_count;
    size_t capacity; /* clients allocated; watched has FIRST_CLIENT more */
    int stopping;    /* a stop signal came: closing down */
    long long stop_deadline; /* when stopping, when we close what is left (ms) */
};

/* Frees what a client holds in memory (its descriptor is closed elsewhere). */
static void free_connection(struct connection *client)
{
    free(client->request);
    free(client->message);
    free(client->pending);
    client->request = NULL;
    client->message = NULL;
    client->pending = NULL;
}

/* Milliseconds on a clock that never jumps (unlike the time of day). */
static long long now_ms(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
        die("clock_gettime");
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * Our last bytes are queued: from now on we only wait for the client to
 * take them and close. The clock starts now, not once they are sent: a
 * client that never reads would otherwise keep its descriptor, and the
 * output waiting for it, for ever. It starts again each time the client
 * takes some of them (send_pending): a slow reader gets them all.
 */
static void start_closing(struct connection *client)
{
    client->phase = CLOSING;
    client->close_deadline = now_ms() + CLOSE_TIMEOUT_MS;
}
// [/connection]

// [pending-output]
/*
 * Adds bytes to the client's pending output. Returns -1 if memory ran out
 * or if that would pass MAX_PENDING (which reading less should prevent).
 */
static int queue_output(struct connection *client, const void *data, size_t size)
{
    size_t needed = client->pending_size + size;
    if (needed > MAX_PENDING) {
        printf("[CONNECTION] Dropped %s: more than %zu bytes of output unread\n",
               client->peer, (size_t)MAX_PENDING);
        return -1;
    }
    if (needed > client->pending_capacity) {
        size_t capacity = client->pending_capacity == 0 ? 4096 : client->pending_capacity;
        while (capacity < needed)
            capacity *= 2;
        if (capacity > MAX_PENDING) /* needed is at most MAX_PENDING: checked */
            capacity = MAX_PENDING;
        char *pending = realloc(client->pending, capacity);
        if (pending == NULL) {
            perror("realloc");
            return -1;
        }
        client->pending = pending;
        client->pending_capacity = capacity;
    }
    if (size > 0)
        memcpy(client->pending + client->pending_size, data, size);
    client->pending_size = needed;
    return 0;
}

/*
 * Sends as much pending output as the socket takes now. A partial send is
 * normal here: what is left stays pending for the next round. Returns -1
 * if the connection failed.
 */
static int send_pending(struct connection *client)
{
    size_t sent_total = 0;
    while (sent_total < client->pending_size) {
        ssize_t sent = send(client->fd, client->pending + sent_total,
                            client->pending_size - sent_total, 0);
        if (sent == -1) {
            if (would_block(errno))
                break; /* no room: poll() will say when there is */
            perror("send");
            return -1;
        }
        sent_total += (size_t)sent;
    }
    /* One move per round, not one per send(): a big echo leaves in many
     * pieces, and moving megabytes each time would cost more than sending. */
    client->pending_size -= sent_total;
    if (client->phase == CLOSING && sent_total > 0)
        client->close_deadline = now_ms() + CLOSE_TIMEOUT_MS; /* it reads: more time */
    if (client->pending_size > 0) {
        memmove(client->pending, client->pending + sent_total, client->pending_size);
        return 0;
    }
    /* All sent: give the memory back, so that an idle client costs little. */
    free(client->pending);
    client->pending = NULL;
    client->pending_capacity = 0;
    return 0;
}
// [/pending-output]

// [send-frame]
/* Queues one whole unmasked frame: FIN set, the payload as given. */
static int queue_frame(struct connection *client, int opcode, const unsigned char *payload,
                       size_t size)
{
    unsigned char header[MAX_HEADER_SIZE];
    size_t header_size = encode_frame_header(1, opcode, size, header);
    if (queue_output(client, header, header_size) == -1)
        return -1;
    return queue_output(client, payload, size);
}
// [/send-frame]

// [close]
/*
 * Close codes a client may put in a close frame (RFC 6455 section 7.4 and
 * the IANA "WebSocket Close Code Number Registry"): 1000-1003 and 1007-1011
 * from the RFC, 1012-1014 registered since; 3000-3999 for libraries and
 * frameworks, 4000-4999 for applications. Below 1000 is unused; 1004 is
 * reserved; 1005, 1006 and 1015 stand for "no code", "dropped" and "TLS
 * failed" in an API and must never be sent; 1016-2999 are not assigned.
 */
static int is_valid_close_code(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/*
 * Queues our close frame (with no code if code is 0), and stops reading
 * frames: after a close, nothing more is sent (section 5.5.1), and once it
 * is out the server closes the TCP connection first (section 7.1.1).
 */
static int send_close(struct connection *client, unsigned code)
{
    unsigned char payload[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    start_closing(client);
    return queue_frame(client, OP_CLOSE, payload, code == 0 ? 0 : sizeof payload);
}

/* "Fail the WebSocket Connection" (section 7.1.7): a close frame with the
 * reason's code, then close, without reading anything more. */
static int fail_connection(struct connection *client, unsigned code, const char *reason)
{
    printf("[CONNECTION] Failing %s with %u: %s\n", client->peer, code, reason);
    return send_close(client, code);
}

/*
 * The client sent a close frame (section 5.5.1): its payload is empty, or
 * a 2-byte code and a UTF-8 reason. We answer with the same code (section
 * 5.5.1: an endpoint "typically echos" it), or with an empty close.
 */
static int on_close_frame(struct connection *client, const unsigned char *payload, size_t size)
{
    if (size == 0) {
        printf("[CONNECTION] Close with no code from %s\n", client->peer);
        return send_close(client, 0);
    }
    if (size == 1)
        return fail_connection(client, 1002, "close frame of 1 byte");
    unsigned code = (unsigned)payload[0] << 8 | payload[1];
    if (!is_valid_close_code(code))
        return fail_connection(client, 1002, "invalid close code");
    struct utf8_check check = {0};
    if (utf8_feed(&check, payload + 2, size - 2) == -1 || !utf8_complete(&check))
        return fail_connection(client, 1007, "close reason is not UTF-8");
    char reason[4 * 123 + 1];
    escape_bytes(payload + 2, size - 2, reason);
    printf("[CONNECTION] Close %u \"%s\" from %s\n", code, reason, client->peer);
    return send_close(client, code);
}
// [/close]

// [control-frames]
/* A ping gets a pong with the same payload (section 5.5.2); a pong that
 * nobody asked for is allowed, and ignored (section 5.5.3). */
static int on_control_frame(struct connection *client)
{
    size_t size = (size_t)client->frame.length; /* at most 125: checked */
    switch (client->frame.opcode) {
    case OP_PING:
        return queue_frame(client, OP_PONG, client->control, size);
    case OP_CLOSE:
        return on_close_frame(client, client->control, size);
    default: /* OP_PONG */
        return 0;
    }
}
// [/control-frames]

// [messages]
/* Logs a message, its first LOG_PREVIEW bytes escaped. */
static void log_message(const struct connection *client)
{
    static char escaped[4 * LOG_PREVIEW + 1];
    size_t shown = client->message_size < LOG_PREVIEW ? client->message_size : LOG_PREVIEW;
    escape_bytes(client->message, shown, escaped);
    const char *kind = client->message_opcode == OP_TEXT ? "text" : "binary";
    if (shown == client->message_size)
        printf("[CONNECTION] Received %s \"%s\" from %s\n", kind, escaped, client->peer);
    else
        printf("[CONNECTION] Received %s \"%s\"... (%zu bytes) from %s\n", kind, escaped,
               client->message_size, client->peer);
}

/* Makes room for needed bytes of message; -1 if memory ran out. */
static int reserve_message(struct connection *client, size_t needed)
{
    if (needed <= client->message_capacity)
        return 0;
    size_t capacity = client->message_capacity == 0 ? 4096 : client->message_capacity;
    while (capacity < needed)
        capacity *= 2;
    if (capacity > MAX_MESSAGE) /* needed is at most MAX_MESSAGE: checked */
        capacity = MAX_MESSAGE;
    unsigned char *message = realloc(client->message, capacity);
    if (message == NULL) {
        perror("realloc");
        return -1;
    }
    client->message = message;
    client->message_capacity = capacity;
    return 0;
}

/*
 * Adds payload bytes (unmasked) of a text or binary frame to the message.
 * A text message is checked as its bytes arrive: the first invalid byte
 * fails the connection with 1007 at once (section 8.1), even in the middle
 * of a frame.
 */
static int add_to_message(struct connection *client, const unsigned char *bytes, size_t size)
{
    if (client->message_opcode == OP_TEXT && utf8_feed(&client->utf8, bytes, size) == -1)
        return fail_connection(client, 1007, "invalid UTF-8 in a text message");
    if (reserve_message(client, client->message_size + size) == -1)
        return -1;
    memcpy(client->message + client->message_size, bytes, size);
    client->message_size += size;
    return 0;
}

/* The last frame of a message is in: echo the message as one frame. */
static int finish_message(struct connection *client)
{
    if (client->message_opcode == OP_TEXT && !utf8_complete(&client->utf8))
        return fail_connection(client, 1007, "text message ends inside a character");
    log_message(client);
    int result = queue_frame(client, client->message_opcode, client->message, client->message_size);
    client->message_opcode = 0;
    client->message_size = 0;
    if (client->message_capacity > RECV_SIZE) { /* idle clients keep little memory */
        free(client->message);
        client->message = NULL;
        client->message_capacity = 0;
    }
    return result;
}
// [/messages]

// [frame-rules]
/*
 * Checks a frame header against the rules of RFC 6455 section 5. Returns 0
 * if the frame may be read, or the close code to fail the connection with,
 * and the reason.
 */
static unsigned check_frame(const struct connection *client, const struct frame_header *frame,
                            const char **reason)
{
    int control = frame->opcode & 0x8; /* opcodes 8 to 15 (section 5.5) */
    if (frame->rsv != 0)
        *reason = "reserved bits set, with no extension agreed";
    else if (frame->opcode > OP_BINARY && frame->opcode < OP_CLOSE)
        *reason = "reserved data opcode";
    else if (frame->opcode > OP_PONG)
        *reason = "reserved control opcode";
    else if (!frame->masked) /* section 5.1: a client masks every frame */
        *reason = "unmasked frame from a client";
    else if (control && !frame->fin)
        *reason = "fragmented control frame";
    else if (control && frame->length > 125)
        *reason = "control frame over 125 bytes";
    else if (frame->length >> 63) /* section 5.2: the top bit must be 0 */
        *reason = "64-bit length with its top bit set";
    else if (frame->opcode == OP_CONTINUATION && client->message_opcode == 0)
        *reason = "continuation frame with no message to continue";
    else if ((frame->opcode == OP_TEXT || frame->opcode == OP_BINARY) && client->message_opcode != 0)
        *reason = "new message before the last one's final frame";
    else if (!control && client->message_size + frame->length > MAX_MESSAGE) {
        *reason = "message over the size limit";
        return 1009;
    } else
        return 0;
    return 1002;
}
// [/frame-rules]

// [unmask]
/* Section 5.3: byte i of the payload was XORed with mask[i % 4]; XOR
 * again gives it back. offset says where in the payload these bytes are. */
static void unmask(unsigned char *bytes, size_t size, const unsigned char mask[4], uint64_t offset)
{
    for (size_t i = 0; i < size; i++)
        bytes[i] ^= mask[(offset + i) % 4];
}
// [/unmask]

// [read-frames]
/* The frame's payload is all in: act on it. */
static int end_frame(struct connection *client)
{
    client->in_frame = 0;
    client->header_size = 0;
    if (client->frame.opcode & 0x8)
        return on_control_frame(client);
    return client->frame.fin ? finish_message(client) : 0;
}

/* The frame's header is complete: check it, and get ready for its payload. */
static int start_frame(struct connection *client)
{
    const char *reason = NULL;
    unsigned code = check_frame(client, &client->frame, &reason);
    if (code != 0)
        return fail_connection(client, code, reason);
    if (client->frame.opcode == OP_TEXT || client->frame.opcode == OP_BINARY) {
        client->message_opcode = client->frame.opcode; /* a new message */
        client->utf8 = (struct utf8_check){0};
    }
    client->in_frame = 1;
    client->frame_read = 0;
    return client->frame.length == 0 ? end_frame(client) : 0;
}
/* Takes payload bytes of the current frame (no more than it has left). */
static int take_payload(struct connection *client, unsigned char *bytes, size_t size)
{
    unmask(bytes, size, client->frame.mask, client->frame_read);
    if (client->frame.opcode & 0x8)
        memcpy(client->control + client->frame_read, bytes, size);
    else if (add_to_message(client, bytes, size) == -1)
        return -1;
    client->frame_read += size;
    if (client->phase == OPEN && client->frame_read == client->frame.length)
        return end_frame(client);
    return 0;
}

/* Takes bytes of a frame header, as many as it still needs and are there. */
static size_t take_header_bytes(struct connection *client, const unsigned char *bytes, size_t size)
{
    size_t used = 0;
    while (used < size) {
        size_t wanted = client->header_size < 2 ? 2 : frame_header_size(client->header_bytes);
        if (client->header_size == wanted)
            break;
        client->header_bytes[client->header_size++] = bytes[used++];
    }
    return used;
}

/*
 * Reads frames from bytes just received. A frame may come in pieces, split
 * anywhere (even inside its header), and one recv() may hold several
 * frames: the state between pieces lives in the connection. Returns -1 if
 * the client must be dropped at once.
 */
static int read_frames(struct connection *client, unsigned char *bytes, size_t size)
{
    size_t used = 0;
    while (used < size && client->phase == OPEN) {
        if (!client->in_frame) {
            used += take_header_bytes(client, bytes + used, size - used);
            if (decode_frame_header(client->header_bytes, client->header_size, &client->frame) != 0 &&
                start_frame(client) == -1)
                return -1;
            continue;
        }
        uint64_t left = client->frame.length - client->frame_read;
        size_t take = size - used < left ? size - used : (size_t)left;
        if (take_payload(client, bytes + used, take) == -1)
            return -1;
        used += take;
    }
    return 0;
}
// [/read-frames]

// [read-handshake]
/* Where the request ends ("\r\n\r\n"), searching from `from`; 0 if not yet. */
static size_t end_of_request(const char *text, size_t size, size_t from)
{
    for (size_t i = from; i + 4 <= size; i++) {
        if (memcmp(text + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    }
    return 0;
}

/* Answers a whole request (or one too long): the HTTP answer, then either
 * OPEN or CLOSING. */
static int answer_request(struct connection *client, const struct handshake *hs)
{
    static char answer[4096]; /* the page and its headers fit (see [page]) */
    size_t size = format_answer(hs, answer, sizeof answer);
    if (queue_output(client, answer, size) == -1)
        return -1;
    if (hs->status == 101) {
        printf("[CONNECTION] WebSocket opened with %s\n", client->peer);
        client->phase = OPEN;
    } else {
        if (hs->status == 200)
            printf("[CONNECTION] Sent the page to %s\n", client->peer);
        else
            printf("[CONNECTION] Answered %s with %d %s: %s\n", client->peer, hs->status,
                   status_text(hs->status), hs->reason);
        start_closing(client); /* Connection: close */
    }
    return 0;
}

/*
 * Adds received bytes to the request until it ends with an empty line. It
 * may come one byte at a time, or followed at once by the first frames.
 */
static int read_handshake(struct connection *client, unsigned char *bytes, size_t size)
{
    if (client->request == NULL && (client->request = malloc(MAX_REQUEST)) == NULL) {
        perror("malloc");
        return -1;
    }
    size_t old_size = client->request_size;
    size_t take = MAX_REQUEST - old_size < size ? MAX_REQUEST - old_size : size;
    memcpy(client->request + old_size, bytes, take);
    client->request_size += take;
    /* The end may straddle the old bytes and the new ones. */
    size_t end = end_of_request(client->request, client->request_size, old_size < 3 ? 0 : old_size - 3);

    struct handshake hs;
    if (end != 0)
        parse_handshake(client->request, end, &hs);
    else if (client->request_size < MAX_REQUEST)
        return 0; /* not all there yet */
    else
        hs = (struct handshake){.status = 431, .reason = "request over 8192 bytes"};
    free(client->request);
    client->request = NULL;
    client->request_size = 0;
    if (answer_request(client, &hs) == -1)
        return -1;
    size_t used = end == 0 ? size : end - old_size; /* the rest is frames */
    return client->phase == OPEN ? read_frames(client, bytes + used, size - used) : 0;
}

/* The client ended its stream in the middle of a request (the step 03
 * client does, after "Hello world!"): it gets a 400 before we close. */
static int end_unfinished_request(struct connection *client)
{
    free(client->request);
    client->request = NULL;
    client->request_size = 0;
    struct handshake hs = {.status = 400, .reason = "the request ended before its empty line"};
    return answer_request(client, &hs);
}
// [/read-handshake]

// [receive]
/* Acts on bytes received from a client, in whatever phase it is. */
static int receive_bytes(struct connection *client, unsigned char *bytes, size_t size)
{
    switch (client->phase) {
    case HANDSHAKE:
        return read_handshake(client, bytes, size);
    case OPEN:
        return read_frames(client, bytes, size);
    default: /* CLOSING: whatever the client still sends is dropped */
        return 0;
    }
}
// [/receive]

// [add-remove]
/* Makes room for more clients; returns -1 if memory ran out. */
static int grow(struct server *server)
{
    size_t capacity = server->capacity == 0 ? 64 : 2 * server->capacity;
    struct connection *clients = realloc(server->clients, capacity * sizeof *clients);
    if (clients == NULL)
        return -1;
    server->clients = clients;
    struct pollfd *watched = realloc(server->watched, (FIRST_CLIENT + capacity) * sizeof *watched);
    if (watched == NULL)
        return -1;
    server->watched = watched;
    server->capacity = capacity;
    return 0;
}

static void add_client(struct server *server, int fd, const char *peer)
{
    if (server->client_count == server->capacity && grow(server) == -1) {
        perror("realloc");
        close(fd);
        return;
    }
    size_t i = server->client_count++;
    struct connection *client = &server->clients[i];
    *client = (struct connection){.fd = fd, .phase = HANDSHAKE};
    snprintf(client->peer, sizeof client->peer, "%s", peer);
    server->watched[FIRST_CLIENT + i] = (struct pollfd){.fd = fd, .events = POLLIN};
    printf("[CONNECTION] Connected to %s\n", peer);
}

/* Closes client i, and moves the last client into its place. */
static void remove_client(struct server *server, size_t i)
{
    struct connection *client = &server->clients[i];
    if (close(client->fd) == -1)
        perror("close");
    printf("[CONNECTION] Disconnected from %s\n", client->peer);
    free_connection(client);
    size_t last = --server->client_count;
    server->clients[i] = server->clients[last];
    server->watched[FIRST_CLIENT + i] = server->watched[FIRST_CLIENT + last];
    /* A descriptor is free again: if we had stopped accepting, start again. */
    server->watched[LISTENER].events = POLLIN;
}
// [/add-remove]

// [closing]
/*
 * Everything we had to say is sent: send our FIN with shutdown(), but keep
 * reading until the client closes too. Closing at once, with bytes from the
 * client still unread, would make the kernel send a reset, which can
 * destroy our last bytes before the client reads them.
 */
static int finish_sending(struct connection *client)
{
    if (shutdown(client->fd, SHUT_WR) == -1) {
        if (errno != ENOTCONN) /* ENOTCONN: the client reset it; gone already */
            perror("shutdown");
        return -1;
    }
    client->write_shut = 1;
    client->close_deadline = now_ms() + CLOSE_TIMEOUT_MS; /* as long again to close */
    return 0;
}

/* How long poll() may sleep: until the first closing deadline or the
 * stop's, or forever. */
static int poll_timeout(const struct server *server)
{
    long long first = -1;
    for (size_t i = 0; i < server->client_count; i++) {
        const struct connection *client = &server->clients[i];
        if (client->phase == CLOSING && (first == -1 || client->close_deadline < first))
            first = client->close_deadline;
    }
    if (server->stopping && (first == -1 || server->stop_deadline < first))
        first = server->stop_deadline;
    if (first == -1)
        return -1;
    long long wait = first - now_ms();
    return wait < 0 ? 0 : (int)wait;
}

/* Closes the connections whose client has not taken our last bytes, or has
 * not closed after our FIN, in time; when stopping, all of them once the
 * stop's own time is up. */
static void close_overdue(struct server *server)
{
    long long now = now_ms();
    int stop_is_over = server->stopping && server->stop_deadline <= now;
    for (size_t i = server->client_count; i > 0; i--) {
        struct connection *client = &server->clients[i - 1];
        if (client->phase != CLOSING)
            continue;
        if (client->close_deadline <= now)
            printf("[CONNECTION] %s did not %s within %d ms\n", client->peer,
                   client->write_shut ? "close" : "take our last bytes", CLOSE_TIMEOUT_MS);
        else if (stop_is_over)
            printf("[CONNECTION] %s was still closing when the stop's time ran out\n", client->peer);
        else
            continue;
        remove_client(server, i - 1);
    }
}
// [/closing]

// [read-client]
/*
 * Reads what a client sent and acts on it. Returns -1 if the connection
 * failed or the client is to be dropped.
 */
static int read_from_client(struct connection *client)
{
    /* One thread, so one buffer serves every client in turn. */
    static unsigned char data[RECV_SIZE];

    ssize_t received = recv(client->fd, data, sizeof data, 0);
    if (received == 0) {
        client->finished = 1; /* end of stream: close once our output is out */
        if (client->phase == HANDSHAKE && client->request_size > 0)
            return end_unfinished_request(client);
        return 0;
    }
    if (received == -1) {
        if (would_block(errno))
            return 0; /* nothing after all: next round */
        perror("recv");
        return -1;
    }
    return receive_bytes(client, data, (size_t)received);
}
// [/read-client]

// [handle-client]
/* Does what client i's socket is ready for, and closes it once it is done. */
static void handle_client(struct server *server, size_t i)
{
    struct connection *client = &server->clients[i];
    struct pollfd *watch = &server->watched[FIRST_CLIENT + i];
    int failed = 0;

    if ((watch->revents & (POLLIN | POLLHUP | POLLERR)) && !client->finished)
        failed = read_from_client(client);
    if (!failed)
        failed = send_pending(client); /* at once: there is usually room */
    if (!failed && client->phase == CLOSING && client->pending_size == 0 && !client->write_shut &&
        !client->finished)
        failed = finish_sending(client);
    if (failed || (client->finished && client->pending_size == 0)) {
        remove_client(server, i);
        return;
    }
    /* Next round: stop reading an open connection while much of our output
     * waits (the client reads slowly, or not at all): its own sends then
     * block, and our memory stays bounded. Wait for room to send only while
     * something is pending. */
    short events = 0;
    if (!client->finished && (client->phase != OPEN || client->pending_size < PAUSE_READING))
        events |= POLLIN;
    if (client->pending_size > 0)
        events |= POLLOUT;
    watch->events = events;
}
// [/handle-client]

// [out-of-descriptors]
/*
 * accept() failed. Most errors lose only the client being accepted. Out of
 * descriptors (EMFILE, ENFILE), the client stays in the queue and the
 * listener stays readable: we stop watching it until a client leaves
 * (remove_client), instead of a busy loop. With no client connected, none
 * will ever leave: we stop.
 */
static void handle_accept_error(struct server *server)
{
    int error = errno;
    if (error == ECONNABORTED)
        return;
    perror("accept");
    if (error != EMFILE && error != ENFILE)
        return; /* that one client is lost; the next one may be fine */
    if (server->client_count == 0)
        exit(1);
    server->watched[LISTENER].events = 0; /* watch for nothing */
}
// [/out-of-descriptors]

// [accept-clients]
/* Accepts every client waiting in the queue, until it is empty (EAGAIN). */
static void accept_clients(struct server *server, int listener)
{
    for (;;) {
        struct sockaddr_storage address;
        socklen_t length = sizeof address;
        int client = accept(listener, (struct sockaddr *)&address, &length);
        if (client == -1) {
            if (!would_block(errno))
                handle_accept_error(server);
            return;
        }
        if (set_non_blocking(client) == -1) {
            perror("fcntl"); /* a blocking client could stall everyone: drop it */
            close(client);
            continue;
        }
        char peer[ADDRESS_SIZE];
        format_address((struct sockaddr *)&address, length, peer, sizeof peer);
        add_client(server, client, peer);
    }
}
// [/accept-clients]

// [stop]
/*
 * A stop signal ends the server the way each connection would end on its
 * own. No new clients: the listening socket is closed, so connecting is
 * refused. An open WebSocket gets a close frame that says why (1001, "going
 * away", section 7.4.1) and the same deadlines as any closing connection,
 * within twice CLOSE_TIMEOUT_MS for the whole stop. A client still sending
 * its request is dropped. The event loop goes on until the last one is gone.
 * The stop pipe is no longer watched: a second signal changes nothing.
 */
static void begin_stop(struct server *server, int listener)
{
    if (close(listener) == -1) /* first: once we say so, connecting is refused */
        die("close");
    server->watched[LISTENER].fd = -1; /* poll() skips a negative descriptor */
    server->watched[STOP_PIPE].fd = -1;
    printf("[INFO] Shutting down\n");
    server->stopping = 1;
    server->stop_deadline = now_ms() + 2LL * CLOSE_TIMEOUT_MS;
    for (size_t i = server->client_count; i > 0; i--) {
        struct connection *client = &server->clients[i - 1];
        int failed = client->phase == OPEN && send_close(client, 1001) == -1;
        if (failed || client->phase != CLOSING)
            remove_client(server, i - 1);
        else if (client->pending_size > 0)
            server->watched[FIRST_CLIENT + i - 1].events |= POLLOUT;
    }
}
// [/stop]

// [event-loop]
/*
 * The event loop of step 05: sleep in poll() until some sockets are ready
 * (or a closing connection's deadline, or the stop's, comes), deal with
 * each ready one without ever waiting on it, and go round again. After a
 * stop signal, it goes on until the last connection has closed.
 */
static void serve(struct server *server, int listener)
{
    server->watched[STOP_PIPE] = (struct pollfd){.fd = stop_pipe[0], .events = POLLIN};
    server->watched[LISTENER] = (struct pollfd){.fd = listener, .events = POLLIN};
    while (!server->stopping || server->client_count > 0) {
        nfds_t count = (nfds_t)(FIRST_CLIENT + server->client_count);
        if (poll(server->watched, count, poll_timeout(server)) == -1) {
            if (errno == EINTR)
                continue; /* a signal: poll() is never restarted */
            die("poll");
        }
        if (server->watched[STOP_PIPE].revents != 0) {
            begin_stop(server, listener);
            continue; /* the listener is closed: its revents must not lead to accept() */
        }
        /* Clients first, from the last one: removing client i moves the
         * last client into its place, and that one is dealt with already. */
        for (size_t i = server->client_count; i > 0; i--) {
            if (server->watched[FIRST_CLIENT + i - 1].revents != 0)
                handle_client(server, i - 1);
        }
        close_overdue(server);
        if (server->watched[LISTENER].revents != 0)
            accept_clients(server, listener);
    }
}
// [/event-loop]

static void parse_arguments(int argc, char **argv, const char **host, const char **port)
{
    opterr = 0; /* we print our own messages */
    int option;
    while ((option = getopt(argc, argv, ":H:p:h")) != -1) {
        switch (option) {
        case 'H':
            *host = optarg;
            break;
        case 'p':
            if (!is_valid_port(optarg))
                usage_error("port must be a number from 0 to 65535: ", optarg);
            *port = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case ':':
            usage_error("option needs a value: ", option_name(optopt));
            break;
        default:
            usage_error("unknown option: ", option_name(optopt));
        }
    }
    if (optind < argc)
        usage_error("unexpected argument: ", argv[optind]);
}

int main(int argc, char **argv)
{
    const char *host = DEFAULT_HOST;
    const char *port = DEFAULT_PORT;
    parse_arguments(argc, argv, &host, &port);

    /* Line-buffered: each log line shows up at once, even through a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    install_signal_handlers();

    raise_descriptor_limit();

    int listener = open_listener(host, port);
    if (set_non_blocking(listener) == -1)
        die("fcntl");
    announce_listening(listener);

    struct server server = {0};
    if (grow(&server) == -1)
        die("realloc");
    serve(&server, listener); /* returns once stopped, the listener closed */

    free(server.clients);
    free(server.watched);
    return 0;
}
