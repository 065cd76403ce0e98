/*
 * Step 06: one thread serves every client, with epoll (Linux only).
 *
 * Beyond "Socket Programming in Python": the same protocol as its servers,
 * and step 05's event loop, but the kernel keeps the list of sockets to
 * watch (epoll_ctl), and each wait returns only the ready ones (epoll_wait).
 * For every chunk a client sends, it replies with one line:
 *     [CONNECTION] Received "DATA" from IP:PORT
 * where DATA is the chunk escaped C-style.
 *
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o server server.c
 * Run:   ./server [-H host] [-p port]
 *
 * SPDX-License-Identifier: 0BSD
 */

// [includes]
#define _POSIX_C_SOURCE 200809L /* getaddrinfo, sigaction, setrlimit */
/* <sys/epoll.h> needs no feature macro: it is no standard header, and glibc
 * declares all of it whatever the -std (checked with gcc 12 and clang 14). */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
// [/includes]

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
 * epoll_wait(), would be missed. A byte in the pipe wakes it whenever it came:
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
    stop.sa_flags = SA_RESTART; /* other calls carry on; epoll_wait() wakes up anyway */
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
    uint32_t events;         /* what epoll watches it for (EPOLLIN, EPOLLOUT) */
};

/*
 * What the event loop watches is no array of ours now: it is the epoll
 * instance's interest list, in the kernel. epoll_wait() hands back, for each
 * ready descriptor, the data we registered with it: here the descriptor
 * itself. So the clients are kept by descriptor: clients[fd] is the client on
 * socket fd (its .fd is -1 while that place is free), found without a search.
 * (Descriptors are small numbers: the kernel gives out the lowest free one.)
 */
struct server {
    int epoll;                  /* the epoll instance */
    int listener;               /* the listening socket */
    int accepting;              /* the listener is watched (see handle_accept_error) */
    struct connection *clients; /* indexed by descriptor */
    size_t client_count;
    size_t capacity; /* places in clients: descriptors 0 to capacity - 1 */
};
// [/connection]

// [interest-list]
/*
 * Registers fd (op EPOLL_CTL_ADD), or changes what it is watched for
 * (EPOLL_CTL_MOD): EPOLLIN, EPOLLOUT, both, or 0 for nothing. Returns -1
 * with errno set if epoll_ctl() failed.
 *
 * Level-triggered, epoll's default (no EPOLLET): epoll_wait() reports a
 * socket for as long as it is ready, as poll() does, so step 05's logic stays
 * as it was: one recv() per ready client per round, and what is left is
 * reported again. Edge-triggered, it would report a socket only when it
 * becomes ready: each client would have to be read until EAGAIN at every
 * event, or the rest of its data would wait for an event that never comes;
 * and a client that sends without pause would keep that loop, and the
 * server, to itself, unless we kept a list of our own to go round.
 *
 * No EPOLLRDHUP (peer shut down its sending side): level-triggered, the end
 * of stream already makes the socket readable, and recv() returning 0 says
 * so. It helps edge-triggered code that stops reading before recv()
 * returns 0: without it, such code would miss an end that came with the
 * last data.
 * EPOLLHUP and EPOLLERR need no asking: epoll_wait() always reports them.
 */
static int watch(int epoll, int op, int fd, uint32_t events)
{
    /* data, which epoll_wait() hands back, is a union of 8 bytes: the
     * descriptor goes into all of them (as .fd, 4 would be left undefined). */
    struct epoll_event event = {.events = events, .data.u64 = (uint64_t)fd};
    return epoll_ctl(epoll, op, fd, &event);
}

/* Watches the listener for newcomers (accepting 1), or for nothing (0). */
static void watch_listener(struct server *server, int accepting)
{
    uint32_t events = accepting ? EPOLLIN : 0;
    if (watch(server->epoll, EPOLL_CTL_MOD, server->listener, events) == -1)
        die("epoll_ctl"); /* we could neither accept nor stop spinning */
    server->accepting = accepting;
}
// [/interest-list]

// [add-remove]
/* Makes room for clients on descriptors up to fd; returns -1 if memory ran out. */
static int grow(struct server *server, int fd)
{
    size_t capacity = server->capacity == 0 ? 64 : server->capacity;
    while (capacity <= (size_t)fd)
        capacity *= 2;
    struct connection *clients = realloc(server->clients, capacity * sizeof *clients);
    if (clients == NULL)
        return -1;
    for (size_t i = server->capacity; i < capacity; i++)
        clients[i].fd = -1; /* free */
    server->clients = clients;
    server->capacity = capacity;
    return 0;
}

static void add_client(struct server *server, int fd, const char *peer)
{
    if ((size_t)fd >= server->capacity && grow(server, fd) == -1) {
        perror("realloc");
        close(fd);
        return;
    }
    /* Into the interest list, once: from now on the kernel watches it. This
     * fails with ENOSPC past fs.epoll.max_user_watches, which caps what one
     * user may register; the client is then lost, not the server. */
    if (watch(server->epoll, EPOLL_CTL_ADD, fd, EPOLLIN) == -1) {
        perror("epoll_ctl");
        close(fd);
        return;
    }
    server->client_count++;
    struct connection *client = &server->clients[fd];
    *client = (struct connection){.fd = fd, .events = EPOLLIN};
    snprintf(client->peer, sizeof client->peer, "%s", peer);
    printf("[CONNECTION] Connected to %s\n", peer);
}

/*
 * Takes the client on descriptor fd out of the interest list, then closes it.
 *
 * close() alone would do here, but only because this program never copies a
 * descriptor. An entry of the interest list belongs to the socket itself (the
 * open file description) as much as to the number, and epoll drops it only
 * once every descriptor for that socket is closed. After a dup(), or a fork()
 * whose child keeps a copy, close() leaves the entry, and epoll_wait() goes
 * on reporting a number that we closed, and may have given to a new client
 * since: the classic bug. Nor can that entry be removed any more:
 * EPOLL_CTL_DEL with the closed number fails (EBADF), or removes the entry of
 * whatever has that number now; with the copy's, it fails (ENOENT). So
 * EPOLL_CTL_DEL first, then close(): right in every case.
 */
static void remove_client(struct server *server, int fd)
{
    struct connection *client = &server->clients[fd];
    if (epoll_ctl(server->epoll, EPOLL_CTL_DEL, fd, NULL) == -1)
        perror("epoll_ctl");
    if (close(fd) == -1)
        perror("close");
    printf("[CONNECTION] Disconnected from %s\n", client->peer);
    free(client->pending);
    client->fd = -1; /* free */
    server->client_count--;
    /* A descriptor is free again: if we had stopped accepting, start again. */
    if (!server->accepting)
        watch_listener(server, 1);
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
                return 0; /* no room: epoll_wait() will say when there is */
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
/* Does what the client on socket fd is ready for (ready: the events
 * epoll_wait() reported), and closes it once it is done. */
static void handle_client(struct server *server, int fd, uint32_t ready)
{
    struct connection *client = &server->clients[fd];
    int failed = 0;

    if ((ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !client->finished)
        failed = read_from_client(client);
    if (!failed)
        failed = send_pending(client); /* at once: there is usually room */
    if (failed || (client->finished && client->pending_size == 0)) {
        remove_client(server, fd);
        return;
    }
    /* Next round: read unless the client has finished, and wait for room
     * to send only while something is pending. */
    uint32_t events = client->finished ? 0 : EPOLLIN;
    if (client->pending_size > 0)
        events |= EPOLLOUT;
    /* A system call now, where step 05 wrote to its own array: only on a change. */
    if (events != client->events) {
        if (watch(server->epoll, EPOLL_CTL_MOD, fd, events) == -1) {
            perror("epoll_ctl");
            remove_client(server, fd);
            return;
        }
        client->events = events;
    }
}
// [/handle-client]

// [out-of-descriptors]
/*
 * accept() failed. Most errors lose only the client being accepted (it may
 * have left already: ECONNABORTED). Out of descriptors (EMFILE, ENFILE),
 * though, the client stays in the queue, so the listener stays readable and
 * epoll_wait() would report it again at once, round after round: a busy loop.
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
    watch_listener(server, 0); /* watch for nothing */
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
 * At most this many ready descriptors per epoll_wait(): a batch. With more
 * ready, the rest come with the next call (they are still ready: level-
 * triggered), and epoll_wait() goes round all of the ready ones in turn
 * (man 2 epoll_wait), so none waits for ever. The size only trades calls
 * against stack, not correctness.
 */
#define MAX_EVENTS 64

/*
 * The event loop: sleep in epoll_wait() until some sockets are ready, deal
 * with each ready one without ever waiting on it, and go round again, until
 * a stop signal. Each wait costs what is ready, not what is watched: the
 * kernel keeps the ready ones on a list of their own as they become ready.
 */
static void serve(struct server *server, int listener)
{
    server->listener = listener;
    server->accepting = 1;
    if (watch(server->epoll, EPOLL_CTL_ADD, stop_pipe[0], EPOLLIN) == -1 ||
        watch(server->epoll, EPOLL_CTL_ADD, listener, EPOLLIN) == -1)
        die("epoll_ctl");
    for (;;) {
        struct epoll_event ready[MAX_EVENTS];
        int count = epoll_wait(server->epoll, ready, MAX_EVENTS, -1);
        if (count == -1) {
            if (errno == EINTR)
                continue; /* a signal: epoll_wait() is never restarted */
            die("epoll_wait");
        }
        /* Each event is about a descriptor still open: handling a client
         * closes no other one, and one epoll_wait() reports each registered
         * descriptor once at most. So a descriptor closed earlier in this
         * batch, and perhaps accepted again since, has no later event in this
         * batch. */
        for (int i = 0; i < count; i++) {
            int fd = (int)ready[i].data.u64;
            if (fd == stop_pipe[0])
                return;
            if (fd == listener)
                accept_clients(server, listener);
            else
                handle_client(server, fd, ready[i].events);
        }
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

    // [start-stop]
    struct server server = {0};
    if (grow(&server, 0) == -1)
        die("realloc");
    server.epoll = epoll_create1(0);
    if (server.epoll == -1)
        die("epoll_create1");
    serve(&server, listener);

    printf("[INFO] Shutting down\n");
    for (size_t fd = 0; fd < server.capacity; fd++) {
        if (server.clients[fd].fd != -1)
            remove_client(&server, (int)fd);
    }
    free(server.clients);
    if (close(server.epoll) == -1)
        die("close");
    if (close(listener) == -1)
        die("close");
    // [/start-stop]
    return 0;
}
