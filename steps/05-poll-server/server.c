/*
 * Step 05: one thread serves every client, with poll().
 *
 * Beyond "Socket Programming in Python": the same protocol as its servers,
 * but one thread, non-blocking sockets and an event loop instead of a
 * thread per client.
 * For every chunk a client sends, it replies with one line:
 *     [CONNECTION] Received "DATA" from IP:PORT
 * where DATA is the chunk escaped C-style.
 *
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o server server.c
 * Run:   ./server [-H host] [-p port]
 *
 * SPDX-License-Identifier: 0BSD
 */

#define _POSIX_C_SOURCE 200809L /* getaddrinfo, sigaction, setrlimit */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "9797"
/* As long a queue as the system allows (the kernel caps it at
 * net.core.somaxconn): this server is meant for load. */
#define BACKLOG SOMAXCONN
#define RECV_SIZE 1024     /* the article's recv(1024) */
/* "[" IPv6 "]:" port: numeric addresses only, so this always fits. */
#define ADDRESS_SIZE (INET6_ADDRSTRLEN + 16)
/* Escaping turns one byte into at most four ("\xNN"). */
#define REPLY_SIZE (4 * RECV_SIZE + ADDRESS_SIZE + 64)
/* A client whose unread replies pass this much is dropped. */
#define MAX_PENDING ((size_t)1024 * 1024) /* 1 MiB */

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
 * SIGPIPE is ignored. A client that has gone away answers our first send()
 * with a reset; the next send() would raise SIGPIPE, which ends the whole
 * server. Ignored, it leaves that send() failing with EPIPE: one client lost.
 *
 * SIGINT and SIGTERM write to the self-pipe. A flag would not do: a signal
 * arriving just after we checked the flag, but before we went to sleep in
 * poll(), would be missed. A byte in the pipe wakes poll() whenever it came:
 * the event loop watches the pipe along with every socket.
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

// [non-blocking]
/*
 * A non-blocking socket never makes a call wait: accept(), recv() or send()
 * that cannot proceed at once fail with EAGAIN (or EWOULDBLOCK) instead.
 * One thread serving every client must never wait on any single one. And
 * a call that never waits is never interrupted by a signal: no EINTR.
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
// [/non-blocking]

/*
 * Each client costs this server a descriptor, not a thread: raise the limit
 * on open descriptors (often 1024) as far as the system allows.
 */
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

// [connection]
/*
 * One client. The event loop never waits for a client to read: replies it
 * cannot send at once wait in `pending`, and go out when the socket has
 * room again.
 */
struct connection {
    int fd;
    char peer[ADDRESS_SIZE];
    char *pending;           /* replies not sent yet (NULL when none) */
    size_t pending_size;     /* bytes in pending */
    size_t pending_capacity; /* bytes allocated for pending */
    int finished;            /* the client has closed its side */
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
};
// [/connection]

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
    *client = (struct connection){.fd = fd};
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
    free(client->pending);
    size_t last = --server->client_count;
    server->clients[i] = server->clients[last];
    server->watched[FIRST_CLIENT + i] = server->watched[FIRST_CLIENT + last];
    /* A descriptor is free again: if we had stopped accepting, start again. */
    server->watched[LISTENER].events = POLLIN;
}
// [/add-remove]

// [pending-output]
/* Adds a reply to the client's pending output; -1 if that passes MAX_PENDING. */
static int queue_reply(struct connection *client, const char *reply, size_t size)
{
    size_t needed = client->pending_size + size;
    if (needed > MAX_PENDING)
        return -1;
    if (needed > client->pending_capacity) {
        size_t capacity = client->pending_capacity == 0 ? 4096 : client->pending_capacity;
        while (capacity < needed)
            capacity *= 2;
        char *pending = realloc(client->pending, capacity);
        if (pending == NULL) {
            perror("realloc");
            return -1;
        }
        client->pending = pending;
        client->pending_capacity = capacity;
    }
    memcpy(client->pending + client->pending_size, reply, size);
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
    while (client->pending_size > 0) {
        ssize_t sent = send(client->fd, client->pending, client->pending_size, 0);
        if (sent == -1) {
            if (would_block(errno))
                return 0; /* no room: poll() will say when there is */
            perror("send");
            return -1;
        }
        client->pending_size -= (size_t)sent;
        memmove(client->pending, client->pending + sent, client->pending_size);
    }
    /* All sent: give the memory back, so that an idle client costs little. */
    free(client->pending);
    client->pending = NULL;
    client->pending_capacity = 0;
    return 0;
}
// [/pending-output]

// [read-client]
/*
 * Reads one chunk from a client and queues the reply. Returns -1 if the
 * connection failed or the client is to be dropped.
 */
static int read_from_client(struct connection *client)
{
    /* One thread, so one set of buffers serves every client in turn. */
    static unsigned char data[RECV_SIZE];
    static char escaped[4 * RECV_SIZE + 1];
    static char reply[REPLY_SIZE];

    ssize_t received = recv(client->fd, data, sizeof data, 0);
    if (received == 0) {
        client->finished = 1; /* end of stream: close once the replies are out */
        return 0;
    }
    if (received == -1) {
        if (would_block(errno))
            return 0; /* nothing after all: next round */
        perror("recv");
        return -1;
    }
    escape_bytes(data, (size_t)received, escaped);
    int length = snprintf(reply, sizeof reply,
                          "[CONNECTION] Received \"%s\" from %s\n", escaped, client->peer);
    if (queue_reply(client, reply, (size_t)length) == -1) {
        printf("[CONNECTION] Dropped %s: more than %zu bytes of replies unread\n",
               client->peer, MAX_PENDING);
        return -1;
    }
    return 0;
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
    if (failed || (client->finished && client->pending_size == 0)) {
        remove_client(server, i);
        return;
    }
    /* Next round: read unless the client has finished, and wait for room
     * to send only while something is pending. */
    short events = client->finished ? 0 : POLLIN;
    if (client->pending_size > 0)
        events |= POLLOUT;
    watch->events = events;
}
// [/handle-client]

// [out-of-descriptors]
/*
 * accept() failed. Most errors lose only the client being accepted (it may
 * have left already: ECONNABORTED). Out of descriptors (EMFILE, ENFILE),
 * though, the client stays in the queue, so the listener stays readable and
 * poll() would report it again at once, round after round: a busy loop.
 * Instead, we stop watching the listener until a client leaves and gives a
 * descriptor back (remove_client). Meanwhile newcomers wait in the queue,
 * and the clients we have are served as before. With no client connected,
 * none will ever leave: we stop. (On Linux, accept() looks for a free
 * descriptor before it looks at the queue: it says EMFILE even when nobody
 * waits.)
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

// [event-loop]
/*
 * The event loop: sleep in poll() until some sockets are ready, deal with
 * each ready one without ever waiting on it, and go round again, until a
 * stop signal.
 */
static void serve(struct server *server, int listener)
{
    server->watched[STOP_PIPE] = (struct pollfd){.fd = stop_pipe[0], .events = POLLIN};
    server->watched[LISTENER] = (struct pollfd){.fd = listener, .events = POLLIN};
    for (;;) {
        nfds_t count = (nfds_t)(FIRST_CLIENT + server->client_count);
        if (poll(server->watched, count, -1) == -1) {
            if (errno == EINTR)
                continue; /* a signal: poll() is never restarted */
            die("poll");
        }
        if (server->watched[STOP_PIPE].revents != 0)
            return;
        /* Clients first, from the last one: removing client i moves the
         * last client into its place, and that one is dealt with already. */
        for (size_t i = server->client_count; i > 0; i--) {
            if (server->watched[FIRST_CLIENT + i - 1].revents != 0)
                handle_client(server, i - 1);
        }
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
    serve(&server, listener);

    printf("[INFO] Shutting down\n");
    while (server.client_count > 0)
        remove_client(&server, server.client_count - 1);
    free(server.clients);
    free(server.watched);
    if (close(listener) == -1)
        die("close");
    return 0;
}
