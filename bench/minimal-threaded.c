/*
 * minimal-threaded: the yardstick for step 02 in make bench (not a step).
 *
 * The least a thread-per-client server of this protocol can do: accept, one
 * detached thread per client, and per round trip one blocking recv() and one
 * send() of the same reply line that the steps send. No logging, no
 * options but -p, no error reports beyond the first failed call: it exists
 * only so that make bench can show how close step 02 comes to it.
 * SIGTERM ends it (status 143), as it ends step 02.
 *
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -pthread -o minimal-threaded minimal-threaded.c
 * Run:   ./minimal-threaded -p 0     (127.0.0.1; prints "[INFO] Listening on 127.0.0.1:PORT")
 * SPDX-License-Identifier: 0BSD
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECV_SIZE 1024
#define ADDRESS_SIZE sizeof "255.255.255.255:65535"

struct client {
    int fd;
    char peer[ADDRESS_SIZE];
};

static void die(const char *call)
{
    perror(call);
    exit(1);
}

/* The steps' escaping, so that the reply costs the same to build. */
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

static void *serve(void *argument)
{
    struct client *client = argument;
    unsigned char data[RECV_SIZE];
    char escaped[4 * RECV_SIZE + 1], reply[4 * RECV_SIZE + ADDRESS_SIZE + 64];
    ssize_t received;
    while ((received = recv(client->fd, data, sizeof data, 0)) > 0) {
        escape_bytes(data, (size_t)received, escaped);
        int length = snprintf(reply, sizeof reply, "[CONNECTION] Received \"%s\" from %s\n",
                              escaped, client->peer);
        if (send(client->fd, reply, (size_t)length, 0) != length)
            break; /* a short send of a short line: the bench never sees one */
    }
    close(client->fd);
    free(client);
    return NULL;
}

int main(int argc, char **argv)
{
    int port = argc == 3 && strcmp(argv[1], "-p") == 0 ? atoi(argv[2]) : 0;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener == -1 || bind(listener, (struct sockaddr *)&address, sizeof address) == -1 ||
        listen(listener, 5) == -1 || getsockname(listener, (struct sockaddr *)&address, &length) == -1)
        die("listen");
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("[INFO] Listening on 127.0.0.1:%u\n", (unsigned)ntohs(address.sin_port));
    for (;;) {
        length = sizeof address;
        int fd = accept(listener, (struct sockaddr *)&address, &length);
        if (fd == -1)
            continue;
        struct client *client = malloc(sizeof *client);
        if (client == NULL)
            die("malloc");
        client->fd = fd;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &address.sin_addr, ip, sizeof ip);
        snprintf(client->peer, sizeof client->peer, "%s:%u", ip, (unsigned)ntohs(address.sin_port));
        pthread_t thread;
        if (pthread_create(&thread, NULL, serve, client) != 0)
            die("pthread_create");
        pthread_detach(thread);
    }
}
