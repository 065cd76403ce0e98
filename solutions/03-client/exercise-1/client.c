/*
 * Step 03: a TCP client that sends one message and prints the reply.
 * Exercise 1 solution: -i sends each line of standard input, printing each reply.
 *
 * The C port of the client in "Socket Programming in Python": connect,
 * send "Hello world!", wait, shut down the sending side. Unlike the
 * article's client, it then reads and prints everything the server sent.
 *
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o client client.c
 * Run:   ./client [-H host] [-p port] [-m message] [-w seconds]
 *
 * SPDX-License-Identifier: 0BSD
 */

// [includes]
#define _POSIX_C_SOURCE 200809L /* getaddrinfo, sigaction, nanosleep */

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
// [/includes]

// [settings]
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "9797"
#define DEFAULT_MESSAGE "Hello world!"
#define DEFAULT_WAIT 4      /* seconds: the article's time.sleep(4) */
#define MAX_WAIT 3600
#define RECV_SIZE 1024
// [/settings]

static const char *program_name = "client";

static void usage(FILE *out)
{
    fprintf(out, "usage: %s [-H host] [-p port] [-m message] [-w seconds] [-i]\n"
                 "  -H host     server to connect to (default " DEFAULT_HOST ")\n"
                 "  -p port     server port, 1-65535 (default " DEFAULT_PORT ")\n"
                 "  -m message  what to send (default \"" DEFAULT_MESSAGE "\")\n"
                 "  -w seconds  how long to wait before shutting down the"
                 " sending side, 0-3600 (default 4)\n"
                 "  -i          send each line of standard input, print each reply\n"
                 "  -h          show this help\n",
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

/* Reads a whole decimal number from min to max; returns -1 if text is not one. */
static long parse_number(const char *text, long min, long max)
{
    if (text[0] < '0' || text[0] > '9') /* strtol() would take " 1", "+1", "-1" */
        return -1;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return -1;
    return value;
}

// [connect]
/*
 * Resolves host and port, then tries each address until one connects.
 * Exits with "call: reason" (e.g. "connect: Connection refused") if none does.
 */
static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;     /* IPv4 or IPv6, whichever host is */
    hints.ai_socktype = SOCK_STREAM; /* TCP */
    hints.ai_flags = AI_NUMERICSERV;

    struct addrinfo *addresses;
    int rc = getaddrinfo(host, port, &hints, &addresses);
    if (rc != 0) {
        fprintf(stderr, "getaddrinfo: %s: %s\n", host, gai_strerror(rc));
        exit(1);
    }

    int server = -1;
    const char *failed_call = "socket";
    int saved_errno = 0;
    for (struct addrinfo *a = addresses; a != NULL; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd == -1) {
            failed_call = "socket";
            saved_errno = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            server = fd;
            break;
        }
        failed_call = "connect";
        saved_errno = errno;
        close(fd);
    }
    freeaddrinfo(addresses);

    if (server == -1) {
        errno = saved_errno;
        die(failed_call);
    }
    return server;
}
// [/connect]

// [send-all]
/*
 * send() may write fewer bytes than asked (a partial send), or be
 * interrupted before writing any (EINTR). Keep going until all are sent.
 */
static void send_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send(fd, data, size, 0);
        if (sent == -1) {
            if (errno == EINTR)
                continue;
            die("send");
        }
        data += sent;
        size -= (size_t)sent;
    }
}
// [/send-all]

/* Sleeps whole seconds, going back to sleep if a signal wakes us early. */
static void wait_seconds(long seconds)
{
    struct timespec left = {.tv_sec = seconds, .tv_nsec = 0};
    while (nanosleep(&left, &left) == -1) {
        if (errno != EINTR)
            die("nanosleep");
    }
}

/* Exercise 1: prints one reply line; returns 0 if the server closed first. */
static int print_reply_line(int server)
{
    char c;
    do {
        ssize_t received = recv(server, &c, 1, 0); /* a byte at a time: simple, slow */
        if (received == 0)
            return 0;
        if (received == -1) {
            if (errno == EINTR)
                continue;
            die("recv");
        }
        if (putchar(c) == EOF)
            die("putchar");
    } while (c != '\n');
    return 1;
}

/* Exercise 1: sends each line of standard input (without its newline) and
 * prints the reply to it before sending the next. */
static void send_lines(int server)
{
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &capacity, stdin)) != -1) {
        if (length > 0 && line[length - 1] == '\n')
            line[--length] = '\0';
        if (length == 0)
            continue; /* nothing to send, so no reply would come */
        send_all(server, line, (size_t)length);
        if (!print_reply_line(server))
            break;
    }
    if (ferror(stdin))
        die("getline");
    free(line);
}

// [print-replies]
/* Copies everything the server sends to stdout, until it closes (EOF). */
static void print_replies(int server)
{
    char data[RECV_SIZE];
    for (;;) {
        ssize_t received = recv(server, data, sizeof data, 0);
        if (received == 0)
            return; /* end of stream: the server closed its side */
        if (received == -1) {
            if (errno == EINTR)
                continue;
            die("recv");
        }
        if (fwrite(data, 1, (size_t)received, stdout) != (size_t)received)
            die("fwrite");
    }
}
// [/print-replies]

static void parse_arguments(int argc, char **argv, const char **host,
                            const char **port, const char **message, long *wait,
                            int *from_stdin)
{
    opterr = 0; /* we print our own messages */
    int option;
    while ((option = getopt(argc, argv, ":H:p:m:w:ih")) != -1) {
        switch (option) {
        case 'H':
            *host = optarg;
            break;
        case 'p':
            if (parse_number(optarg, 1, 65535) == -1)
                usage_error("port must be a number from 1 to 65535: ", optarg);
            *port = optarg;
            break;
        case 'm':
            *message = optarg;
            break;
        case 'w':
            *wait = parse_number(optarg, 0, MAX_WAIT);
            if (*wait == -1)
                usage_error("seconds must be a number from 0 to 3600: ", optarg);
            break;
        case 'i':
            *from_stdin = 1;
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

// [main]
int main(int argc, char **argv)
{
    const char *host = DEFAULT_HOST;
    const char *port = DEFAULT_PORT;
    const char *message = DEFAULT_MESSAGE;
    long wait = DEFAULT_WAIT;
    int from_stdin = 0;
    parse_arguments(argc, argv, &host, &port, &message, &wait, &from_stdin);

    /* If the server has gone, send() fails with EPIPE (which we report)
     * instead of SIGPIPE silently killing the client. */
    struct sigaction ignore = {0};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGPIPE, &ignore, NULL) == -1)
        die("sigaction");

    int server = connect_to(host, port);
    if (from_stdin)
        send_lines(server);
    else
        send_all(server, message, strlen(message));
    wait_seconds(wait);

    /* The article's shutdown(1): "I will send nothing more". The server
     * sees end of stream, but we can still read what it sends back. */
    if (shutdown(server, SHUT_WR) == -1)
        die("shutdown");
    print_replies(server);

    if (close(server) == -1)
        die("close");
    if (fflush(stdout) == EOF)
        die("fflush");
    return 0;
}
// [/main]
