/*
 * Step 03: the article's TCP client. It connects, sends one message, waits,
 * shuts down its sending side, prints the replies until the server closes.
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o client client.c
 * SPDX-License-Identifier: 0BSD
 */
#define _POSIX_C_SOURCE 200809L /* getopt, inet_pton, MSG_NOSIGNAL */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
    "usage: client [-H host] [-p port] [-m message] [-w seconds]\n"
    "  -H host     server's IPv4 address (default 127.0.0.1)\n"
    "  -p port     server port, 1-65535 (default 9797)\n"
    "  -m message  what to send (default \"Hello world!\")\n"
    "  -w seconds  how long to wait before shutting down the sending side, 0-3600 (default 4)\n"
    "  -h          show this help\n";

/* The caller's mistake: say what was wrong, show the usage, exit 2. */
static void usage_error(const char *reason, const char *value)
{
    fprintf(stderr, "client: %s: %s\n", reason, value);
    fputs(usage, stderr);
    exit(2);
}

/* A failed call: print "call: reason" (e.g. "connect: Connection refused"), exit 1. */
static void die(const char *call)
{
    perror(call);
    exit(1);
}

/* Reads option -p or -w: a whole decimal number from min to max, or a usage error. */
static long number_option(const char *text, const char *name, long min, long max)
{
    char *end;
    long value = strtol(text, &end, 10); /* too big: LONG_MAX, out of range */
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || value < min || value > max) {
        char reason[64]; /* text[0] refuses what strtol() takes: "", " 1", "+1", "-1" */
        snprintf(reason, sizeof reason, "%s must be a number from %ld to %ld", name, min, max);
        usage_error(reason, text);
    }
    return value;
}

// [send-all]
/* send() may take fewer bytes than asked: then send the rest. MSG_NOSIGNAL:
 * if the server has gone, a later send fails with EPIPE, which we report,
 * instead of raising SIGPIPE, which would kill us without a word. */
static void send_all(int server, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send(server, data, size, MSG_NOSIGNAL);
        if (sent == -1)
            die("send");
        data += sent;
        size -= (size_t)sent;
    }
}
// [/send-all]

// [print-replies]
/* Prints what the server sends, as it comes, until recv() returns 0. */
static void print_replies(int server)
{
    char data[1024];
    ssize_t received;
    while ((received = recv(server, data, sizeof data, 0)) > 0) {
        if (fwrite(data, 1, (size_t)received, stdout) != (size_t)received)
            die("fwrite");
    }
    if (received == -1)
        die("recv");
}
// [/print-replies]

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *message = "Hello world!";
    long port = 9797, wait = 4; /* the article's port and time.sleep(4) */
    opterr = 0;                 /* we print our own messages */
    int option;
    while ((option = getopt(argc, argv, ":H:p:m:w:h")) != -1) {
        const char name[] = {'-', (char)optopt, '\0'};
        switch (option) {
        case 'H': host = optarg; break;
        case 'm': message = optarg; break;
        case 'p': port = number_option(optarg, "port", 1, 65535); break;
        case 'w': wait = number_option(optarg, "seconds", 0, 3600); break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': usage_error("option needs a value", name); break;
        default: usage_error("unknown option", name);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument", argv[optind]);

    // [connect]
    struct sockaddr_in address = {0}; /* the server's: IPv4 (AF_INET), host and port */
    address.sin_family = AF_INET;
    address.sin_port = htons((in_port_t)port); /* in network byte order */
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1)
        usage_error("host must be an IPv4 address such as 127.0.0.1", host);
    int server = socket(AF_INET, SOCK_STREAM, 0);
    if (server == -1)
        die("socket");
    if (connect(server, (struct sockaddr *)&address, sizeof address) == -1)
        die("connect");
    // [/connect]
    // [send-wait-shutdown]
    send_all(server, message, strlen(message));
    sleep((unsigned)wait); /* we catch no signal, so none cuts it short */
    /* The article's shutdown(1): "I will send nothing more". The server's
     * recv() returns 0; we can still read what it sends back. */
    if (shutdown(server, SHUT_WR) == -1)
        die("shutdown");
    // [/send-wait-shutdown]
    // [close]
    print_replies(server);
    if (close(server) == -1)
        die("close");
    if (fflush(stdout) == EOF) /* stdout's last buffer: a full disk shows here */
        die("fflush");
    return 0;
    // [/close]
}
