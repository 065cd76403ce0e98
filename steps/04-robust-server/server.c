/*
 * Step 04: a TCP server that starts one thread per client.
 *
 * The C port of the second server in "Socket Programming in Python".
 * For every chunk a client sends, it replies with one line:
 *     [CONNECTION] Received "DATA" from IP:PORT
 * where DATA is the chunk escaped C-style.
 *
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -pthread -o server server.c
 * Run:   ./server [-H host] [-p port]
 *
 * SPDX-License-Identifier: 0BSD
 */

#define _POSIX_C_SOURCE 200809L /* getaddrinfo, sigaction, nanosleep */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "9797"
#define BACKLOG 5          /* the article's listen(5) */
#define RECV_SIZE 1024     /* the article's recv(1024) */
/* "[" IPv6 "]:" port: numeric addresses only, so this always fits. */
#define ADDRESS_SIZE (INET6_ADDRSTRLEN + 16)
/* Escaping turns one byte into at most four ("\xNN"). */
#define REPLY_SIZE (4 * RECV_SIZE + ADDRESS_SIZE + 64)

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
 * SIGPIPE is ignored, so writing to a client that has gone away fails with
 * EPIPE instead of killing the whole server.
 *
 * SIGINT and SIGTERM write to the self-pipe. A flag would not do: a signal
 * arriving just after we checked the flag, but before we went to sleep in
 * poll(), would be missed. A byte in the pipe wakes poll() whenever it came.
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
 * Sleeps until fd is ready for events: POLLIN, something to read (or the
 * peer hung up); POLLOUT, room to write. Returns 0 then, or -1 once a stop
 * signal has arrived.
 */
static int wait_for(int fd, short events)
{
    struct pollfd watched[2] = {
        {.fd = fd, .events = events},
        {.fd = stop_pipe[0], .events = POLLIN},
    };
    for (;;) {
        if (poll(watched, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (watched[1].revents != 0)
            return -1;
        if (watched[0].revents != 0)
            return 0;
    }
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
 * send() may write fewer bytes than asked (a partial send), or be
 * interrupted before writing any (EINTR). Keep going until all are sent.
 * Returns 0, or -1 with errno set if the connection failed.
 */
static int send_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send(fd, data, size, 0);
        if (sent == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += sent;
        size -= (size_t)sent;
    }
    return 0;
}

/* Talks to one client until it closes the connection or fails. */
static void serve_client(int client, const char *peer)
{
    unsigned char data[RECV_SIZE];
    char escaped[4 * RECV_SIZE + 1];
    char reply[REPLY_SIZE];

    for (;;) {
        ssize_t received = recv(client, data, sizeof data, 0);
        if (received == 0)
            return; /* the client closed its side: end of stream */
        if (received == -1) {
            if (errno == EINTR)
                continue;
            perror("recv"); /* e.g. "Connection reset by peer" */
            return;
        }
        escape_bytes(data, (size_t)received, escaped);
        int length = snprintf(reply, sizeof reply,
                              "[CONNECTION] Received \"%s\" from %s\n", escaped, peer);
        if (send_all(client, reply, (size_t)length) == -1) {
            perror("send"); /* e.g. "Broken pipe": the client left */
            return;
        }
    }
}

/*
 * A failed accept() ends no one but that one client: it may have left
 * already (ECONNABORTED), or we may be out of descriptors (EMFILE), in
 * which case we pause briefly rather than spin, and try again.
 */
static void report_accept_error(void)
{
    if (errno == EINTR || errno == ECONNABORTED)
        return;
    perror("accept");
    if (errno == EMFILE || errno == ENFILE) {
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000000L}; /* 0.1 s */
        nanosleep(&pause, NULL);
    }
}

// [client-thread]
/* What a client's thread needs; it owns both and frees them when done. */
struct client {
    int fd;
    char peer[ADDRESS_SIZE];
};

static void *client_thread(void *argument)
{
    struct client *client = argument;
    printf("[CONNECTION] Connected to %s\n", client->peer);
    serve_client(client->fd, client->peer);
    if (close(client->fd) == -1)
        perror("close");
    printf("[CONNECTION] Disconnected from %s\n", client->peer);
    free(client);
    return NULL;
}

/*
 * Starts a detached thread for the client: nobody joins it, and the system
 * frees its resources as soon as it returns. If no thread can be made,
 * that one client is dropped and the server goes on.
 */
static void start_client_thread(struct client *client)
{
    printf("[INFO] Starting thread for connection %s\n", client->peer);

    pthread_attr_t attributes;
    pthread_t thread;
    int rc = pthread_attr_init(&attributes);
    if (rc == 0)
        rc = pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    if (rc == 0)
        rc = pthread_create(&thread, &attributes, client_thread, client);
    pthread_attr_destroy(&attributes);
    if (rc != 0) {
        errno = rc; /* pthread functions return the error instead of setting errno */
        perror("pthread_create");
        close(client->fd);
        free(client);
    }
}
// [/client-thread]

// [accept-loop]
/* Accepts clients and hands each one to a thread of its own. */
static void accept_clients(int listener)
{
    while (wait_for(listener, POLLIN) == 0) {
        struct sockaddr_storage address;
        socklen_t length = sizeof address;
        int client = accept(listener, (struct sockaddr *)&address, &length);
        if (client == -1) {
            report_accept_error();
            continue;
        }

        struct client *new_client = malloc(sizeof *new_client);
        if (new_client == NULL) {
            perror("malloc");
            close(client);
            continue;
        }
        new_client->fd = client;
        format_address((struct sockaddr *)&address, length,
                       new_client->peer, sizeof new_client->peer);
        start_client_thread(new_client);
    }
}
// [/accept-loop]

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

    int listener = open_listener(host, port);
    announce_listening(listener);
    accept_clients(listener);

    /* Returning from main ends the process, and with it every client
     * thread: the kernel closes their sockets, so no client waits on us. */
    printf("[INFO] Shutting down\n");
    if (close(listener) == -1)
        die("close");
    return 0;
}
