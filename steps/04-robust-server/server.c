/* Step 04: the threaded server of step 02, made to survive the real world:
 * clients that reset or never read, Ctrl-C, running out of descriptors,
 * too many clients, and hosts given by name or as IPv6 addresses. It answers
 * each chunk a client sends with: [CONNECTION] Received "DATA" from IP:PORT
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -pthread -o server server.c
 * SPDX-License-Identifier: 0BSD */
#define _POSIX_C_SOURCE 200809L /* POSIX functions, under -std=c11 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG 5      /* the article's listen(5) */
#define RECV_SIZE 1024 /* the article's recv(1024) */
#define ADDRESS_SIZE (INET6_ADDRSTRLEN + sizeof "[]:65535")
#define MAX_CLIENTS 512 /* threads serving clients at once; more wait in the queue,
                            or in connect() once the queue is full */

static const char usage_text[] =
    "usage: server [-H host] [-p port]\n"
    "  -H host  name or address, IPv4 or IPv6, to listen on (default 127.0.0.1)\n"
    "  -p port  port to listen on, 0-65535, 0 = any free port (default 9797)\n"
    "  -h       show this help\n";

/* The caller's mistake: say what it was, show the usage, exit 2. */
static void usage_error(const char *reason, const char *detail)
{
    fprintf(stderr, "server: %s%s\n%s", reason, detail, usage_text);
    exit(2);
}

/* A failed call that leaves nothing to do: print "call: reason", exit 1. */
static void die(const char *call)
{
    perror(call);
    exit(1);
}

// [arguments]
static void parse_arguments(int argc, char **argv, const char **host, const char **port)
{
    *host = "127.0.0.1";
    *port = "9797";
    char *end, option_name[3] = "-?";
    int option;
    opterr = 0; /* we print our own messages */
    while ((option = getopt(argc, argv, ":H:p:h")) != -1) {
        option_name[1] = (char)optopt;
        if (option == 'H') {
            *host = optarg;
        } else if (option == 'p') { /* strtol() alone takes "", " 1", "+1", "-1" */
            long number = strtol(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || number > 65535)
                usage_error("port must be a number from 0 to 65535: ", optarg);
            *port = optarg;
        } else if (option == 'h') {
            fputs(usage_text, stdout);
            exit(0);
        } else { /* ':' is a missing value, '?' an unknown option */
            usage_error(option == ':' ? "option needs a value: " : "unknown option: ", option_name);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument: ", argv[optind]);
}
// [/arguments]

// [listen]
/* A socket listening on one address, or -1: then errno and *failed_call say why. */
static int listen_on(const struct addrinfo *address, const char **failed_call)
{
    int listener = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
    if (listener == -1) {
        *failed_call = "socket";
        return -1;
    }
    /* Lets a restarted server bind while old connections sit in TIME_WAIT. */
    int on = 1;
    if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
        *failed_call = "setsockopt";
    else if (bind(listener, address->ai_addr, address->ai_addrlen) == -1)
        *failed_call = "bind";
    else if (listen(listener, BACKLOG) == -1)
        *failed_call = "listen";
    else
        return listener;
    int error = errno; /* close() could change it */
    close(listener);
    errno = error;
    return -1;
}

/* Listens on the first of host's addresses that works: a name can have
 * several, IPv4 and IPv6, and this machine may lack one of the two. */
static int open_listener(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *addresses;
    hints.ai_family = AF_UNSPEC;     /* IPv4 or IPv6, whichever host is */
    hints.ai_socktype = SOCK_STREAM; /* TCP */
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV; /* to listen on; port is a number */
    int error = getaddrinfo(host, port, &hints, &addresses);
    if (error != 0) { /* its own error codes, not errno */
        fprintf(stderr, "getaddrinfo: %s: %s\n", host, gai_strerror(error));
        exit(1);
    }
    int listener = -1;
    const char *failed_call = "getaddrinfo";
    for (struct addrinfo *a = addresses; a != NULL && listener == -1; a = a->ai_next)
        listener = listen_on(a, &failed_call);
    if (listener == -1)
        die(failed_call); /* why the last address failed */
    freeaddrinfo(addresses);
    return listener;
}
// [/listen]

// [reply-text]
static void format_address(const struct sockaddr_storage *address, char *out)
{
    char ip[INET6_ADDRSTRLEN];
    if (address->ss_family == AF_INET6) { /* [::1]:9797, so the port stands out */
        const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)address;
        inet_ntop(AF_INET6, &ipv6->sin6_addr, ip, sizeof ip); /* cannot fail: room for any */
        snprintf(out, ADDRESS_SIZE, "[%s]:%u", ip, (unsigned)ntohs(ipv6->sin6_port));
        return;
    }
    const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)address;
    inet_ntop(AF_INET, &ipv4->sin_addr, ip, sizeof ip); /* cannot fail: room for any */
    snprintf(out, ADDRESS_SIZE, "%s:%u", ip, (unsigned)ntohs(ipv4->sin_port));
}

/* Escapes C-style into out (room for 4 * size + 1): no client can make us
 * print raw control bytes, such as terminal escapes, to anyone's screen. */
static void escape_bytes(const unsigned char *data, size_t size, char *out)
{
    for (size_t i = 0; i < size; i++) {
        unsigned char c = data[i];
        if (c == '"' || c == '\\')
            out += sprintf(out, "\\%c", c);
        else if (c == '\n' || c == '\r' || c == '\t')
            out += sprintf(out, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
        else if (c >= 0x20 && c < 0x7f)
            *out++ = (char)c;
        else
            out += sprintf(out, "\\x%02x", c);
    }
    *out = '\0';
}
// [/reply-text]

/* The self-pipe: a stop signal's handler writes a byte into stop_pipe[1];
 * every wait for a socket, in every thread, also watches stop_pipe[0].
 * Nobody reads the byte, so each wait, now or later, sees it. */
static int stop_pipe[2];

static void on_stop_signal(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno; /* the code we interrupted may read errno next */
    if (write(stop_pipe[1], "", 1) == -1) {
        /* the pipe is full of stop bytes already: one more adds nothing */
    }
    errno = saved_errno;
}

/* With O_NONBLOCK, a call on fd that would sleep fails with EAGAIN instead. */
static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags == -1 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void handle_signals(void)
{
    struct sigaction action = {0};
    sigemptyset(&action.sa_mask);
    action.sa_handler = SIG_IGN; /* send() to a closed connection fails with EPIPE instead */
    if (sigaction(SIGPIPE, &action, NULL) == -1)
        die("sigaction");

    if (pipe(stop_pipe) == -1)
        die("pipe");
    if (set_nonblocking(stop_pipe[1]) == -1) /* a handler must never block */
        die("fcntl");
    action.sa_handler = on_stop_signal;
    action.sa_flags = SA_RESTART; /* blocked calls carry on, poll() excepted */
    if (sigaction(SIGINT, &action, NULL) == -1 || sigaction(SIGTERM, &action, NULL) == -1)
        die("sigaction");
}

/* Sleeps until fd has one of events, or a stop signal came: returns true
 * for the first, false for the second. */
static bool wait_for(int fd, short events)
{
    struct pollfd watched[2] = {{.fd = fd, .events = events},
                                {.fd = stop_pipe[0], .events = POLLIN}};
    while (poll(watched, 2, -1) == -1)
        if (errno != EINTR) /* poll() fails with EINTR even with SA_RESTART */
            die("poll");
    return watched[1].revents == 0;
}

// [serve-client]
/* send() may take fewer bytes than asked: keep going until all are sent.
 * The socket is non-blocking, so when its buffer is full send() fails with
 * EAGAIN instead of sleeping, and we wait for room, or for the stop.
 * Returns -1 with errno ECANCELED on a stop. */
static int send_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send(fd, data, size, 0);
        if (sent == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_for(fd, POLLOUT)) {
                errno = ECANCELED;
                return -1;
            }
            continue;
        }
        if (sent == -1)
            return -1;
        data += sent;
        size -= (size_t)sent;
    }
    return 0;
}

/* Replies to each chunk until the client closes its side, fails, or a stop
 * signal comes. Once poll() says the socket is readable, recv() returns at
 * once: with data, 0 for the end, or an error. */
static void serve_client(int client, const char *peer)
{
    unsigned char data[RECV_SIZE];
    char escaped[4 * RECV_SIZE + 1]; /* a byte escapes to at most 4: \xNN */
    char reply[sizeof escaped + ADDRESS_SIZE + 64];
    ssize_t received = 0;
    while (wait_for(client, POLLIN) && (received = recv(client, data, sizeof data, 0)) > 0) {
        escape_bytes(data, (size_t)received, escaped);
        int length = snprintf(reply, sizeof reply,
                              "[CONNECTION] Received \"%s\" from %s\n", escaped, peer);
        if (send_all(client, reply, (size_t)length) == -1) {
            if (errno != ECANCELED)
                perror("send"); /* e.g. "Broken pipe": the client left */
            return;
        }
    }
    if (received == -1)
        perror("recv"); /* e.g. "Connection reset by peer" */
}
// [/serve-client]

/* How many clients have a thread: the main thread waits on it, each
 * client's thread changes it, so a mutex guards it. */
static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t clients_changed = PTHREAD_COND_INITIALIZER;
static int client_count = 0;

static void count_clients(int change)
{
    pthread_mutex_lock(&clients_lock);
    client_count += change;
    pthread_cond_signal(&clients_changed); /* wakes the main thread, if it waits */
    pthread_mutex_unlock(&clients_lock);
}

/* Sleeps until fewer than limit clients have a thread. */
static void wait_for_clients_below(int limit)
{
    pthread_mutex_lock(&clients_lock);
    while (client_count >= limit)
        pthread_cond_wait(&clients_changed, &clients_lock);
    pthread_mutex_unlock(&clients_lock);
}

/* What a client's thread needs. Each thread gets its own copy, on the heap:
 * the accept loop reuses its variables for the next client at once. */
struct client {
    int fd;
    char peer[ADDRESS_SIZE];
};

static void *client_thread(void *argument)
{
    struct client *client = argument;
    printf("[CONNECTION] Connected to %s\n", client->peer);
    if (set_nonblocking(client->fd) == -1) /* see send_all() */
        perror("fcntl");
    else
        serve_client(client->fd, client->peer);
    if (close(client->fd) == -1)
        perror("close");
    printf("[CONNECTION] Disconnected from %s\n", client->peer);
    free(client);
    count_clients(-1); /* last: the main thread may be waiting to log its last line */
    return NULL;
}

/* Starts a detached thread for the client: nobody joins it, so its resources
 * go back to the system as soon as it returns. */
static void start_client_thread(int fd, const struct sockaddr_storage *address)
{
    struct client *client = malloc(sizeof *client);
    if (client == NULL) {
        perror("malloc");
        if (close(fd) == -1) /* only this client is lost */
            perror("close");
        return;
    }
    client->fd = fd;
    format_address(address, client->peer);
    printf("[INFO] Starting thread for connection %s\n", client->peer);

    count_clients(+1); /* before the thread runs, which counts itself out */
    pthread_t thread;
    int error = pthread_create(&thread, NULL, client_thread, client);
    if (error != 0) { /* pthread functions return the error; errno tells nothing */
        fprintf(stderr, "pthread_create: %s\n", strerror(error));
        if (close(fd) == -1) /* only this client is lost */
            perror("close");
        free(client);
        count_clients(-1);
        return;
    }
    error = pthread_detach(thread);
    if (error != 0) /* the thread runs anyway: it still owns its client */
        fprintf(stderr, "pthread_detach: %s\n", strerror(error));
}

/* accept() failed. Most errors lose only the client being accepted. Out of
 * descriptors, though, the connection stays queued and accept() would fail
 * again at once, in a busy loop: wait for a client to leave, which gives a
 * descriptor back. With none of ours connected, none can (EMFILE: our own
 * limit; ENFILE, the system's, is treated alike, which is simple, not best). */
static void handle_accept_error(void)
{
    int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK)
        return; /* none after all: on some systems, a client that resets leaves the queue */
    perror("accept");
    if (error != EMFILE && error != ENFILE)
        return; /* e.g. ECONNABORTED: the next client may be fine */
    pthread_mutex_lock(&clients_lock);
    int count = client_count;
    pthread_mutex_unlock(&clients_lock);
    if (count == 0)
        exit(1); /* accept's reason is printed above */
    wait_for_clients_below(count);
}

// [main]
int main(int argc, char **argv)
{
    const char *host, *port;
    parse_arguments(argc, argv, &host, &port);
    setvbuf(stdout, NULL, _IOLBF, 0); /* each log line at once, even into a pipe */
    handle_signals();
    int listener = open_listener(host, port);
    if (set_nonblocking(listener) == -1) /* see handle_accept_error() */
        die("fcntl");
    struct sockaddr_storage address; /* room for an IPv4 or an IPv6 address */
    socklen_t length = sizeof address; /* port 0: which one did the kernel pick? */
    if (getsockname(listener, (struct sockaddr *)&address, &length) == -1)
        die("getsockname");
    char address_text[ADDRESS_SIZE];
    format_address(&address, address_text);
    printf("[INFO] Listening on %s\n", address_text);

    for (;;) { /* a thread for each client, until a stop signal */
        wait_for_clients_below(MAX_CLIENTS); /* newcomers wait in the queue */
        if (!wait_for(listener, POLLIN))
            break;
        length = sizeof address;
        int client = accept(listener, (struct sockaddr *)&address, &length);
        if (client == -1) {
            handle_accept_error();
            continue;
        }
        start_client_thread(client, &address);
    }
    wait_for_clients_below(1); /* every client's thread has seen the stop too */
    printf("[INFO] Shutting down\n");
    return 0;
}
// [/main]
