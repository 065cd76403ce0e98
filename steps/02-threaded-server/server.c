/* Step 02: a TCP server that starts one thread per client, the C port of the
 * second server in "Socket Programming in Python". It answers each chunk a
 * client sends with: [CONNECTION] Received "DATA" from IP:PORT
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -pthread -o server server.c
 * SPDX-License-Identifier: 0BSD */
#define _POSIX_C_SOURCE 200809L /* POSIX functions, under -std=c11 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG 5      /* the article's listen(5) */
#define RECV_SIZE 1024 /* the article's recv(1024) */
#define ADDRESS_SIZE sizeof "255.255.255.255:65535"

static const char usage_text[] =
    "usage: server [-H host] [-p port]\n"
    "  -H host  IPv4 address to listen on (default 127.0.0.1)\n"
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
static void parse_arguments(int argc, char **argv, struct sockaddr_in *address)
{
    const char *host = "127.0.0.1";
    long port = 9797;
    char *end, option_name[3] = "-?";
    int option;
    opterr = 0; /* we print our own messages */
    while ((option = getopt(argc, argv, ":H:p:h")) != -1) {
        option_name[1] = (char)optopt;
        if (option == 'H') {
            host = optarg;
        } else if (option == 'p') { /* strtol() alone takes "", " 1", "+1", "-1" */
            port = strtol(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || port > 65535)
                usage_error("port must be a number from 0 to 65535: ", optarg);
        } else if (option == 'h') {
            fputs(usage_text, stdout);
            exit(0);
        } else { /* ':' is a missing value, '?' an unknown option */
            usage_error(option == ':' ? "option needs a value: " : "unknown option: ", option_name);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument: ", argv[optind]);

    address->sin_family = AF_INET;
    address->sin_port = htons((uint16_t)port); /* network byte order */
    if (inet_pton(AF_INET, host, &address->sin_addr) != 1)
        usage_error("host must be an IPv4 address such as 127.0.0.1: ", host);
}
// [/arguments]

// [listen]
static int open_listener(const struct sockaddr_in *address)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener == -1)
        die("socket");
    /* Lets a restarted server bind while old connections sit in TIME_WAIT. */
    int on = 1;
    if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
        die("setsockopt");
    if (bind(listener, (const struct sockaddr *)address, sizeof *address) == -1)
        die("bind");
    if (listen(listener, BACKLOG) == -1)
        die("listen");
    return listener;
}
// [/listen]

// [reply-text]
static void format_address(const struct sockaddr_in *address, char *out)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &address->sin_addr, ip, sizeof ip); /* cannot fail: room for any */
    snprintf(out, ADDRESS_SIZE, "%s:%u", ip, (unsigned)ntohs(address->sin_port));
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

// [serve-client]
/* send() may take fewer bytes than asked: keep going until all are sent. */
static int send_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send(fd, data, size, 0);
        if (sent == -1)
            return -1;
        data += sent;
        size -= (size_t)sent;
    }
    return 0;
}

/* Replies to each chunk until the client closes its side, or fails. */
static void serve_client(int client, const char *peer)
{
    unsigned char data[RECV_SIZE];
    char escaped[4 * RECV_SIZE + 1]; /* a byte escapes to at most 4: \xNN */
    char reply[sizeof escaped + ADDRESS_SIZE + 64];
    ssize_t received;
    while ((received = recv(client, data, sizeof data, 0)) > 0) {
        escape_bytes(data, (size_t)received, escaped);
        int length = snprintf(reply, sizeof reply,
                              "[CONNECTION] Received \"%s\" from %s\n", escaped, peer);
        if (send_all(client, reply, (size_t)length) == -1) {
            perror("send");
            return;
        }
    }
    if (received == -1)
        perror("recv"); /* e.g. "Connection reset by peer" */
}
// [/serve-client]

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
    serve_client(client->fd, client->peer);
    if (close(client->fd) == -1)
        perror("close");
    printf("[CONNECTION] Disconnected from %s\n", client->peer);
    free(client);
    return NULL;
}

/* Starts a detached thread for the client: nobody joins it, so its resources
 * go back to the system as soon as it returns. */
static void start_client_thread(int fd, const struct sockaddr_in *address)
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

    pthread_t thread;
    int error = pthread_create(&thread, NULL, client_thread, client);
    if (error != 0) { /* pthread functions return the error; errno tells nothing */
        fprintf(stderr, "pthread_create: %s\n", strerror(error));
        if (close(fd) == -1) /* only this client is lost */
            perror("close");
        free(client);
        return;
    }
    error = pthread_detach(thread);
    if (error != 0) /* the thread runs anyway: it still owns its client */
        fprintf(stderr, "pthread_detach: %s\n", strerror(error));
}

// [main]
int main(int argc, char **argv)
{
    struct sockaddr_in address = {0};
    parse_arguments(argc, argv, &address);
    setvbuf(stdout, NULL, _IOLBF, 0); /* each log line at once, even into a pipe */
    int listener = open_listener(&address);
    socklen_t length = sizeof address; /* port 0: which one did the kernel pick? */
    if (getsockname(listener, (struct sockaddr *)&address, &length) == -1)
        die("getsockname");
    char address_text[ADDRESS_SIZE];
    format_address(&address, address_text);
    printf("[INFO] Listening on %s\n", address_text);

    for (;;) { /* a thread for each client, until the process is killed */
        length = sizeof address;
        int client = accept(listener, (struct sockaddr *)&address, &length);
        if (client == -1) {
            perror("accept"); /* a network error, or out of resources: go on */
            continue;
        }
        start_client_thread(client, &address);
    }
}
// [/main]
