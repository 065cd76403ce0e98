/*
 * libFuzzer target: step 07's opening handshake. The input is what a
 * client sends first, cut into pieces as the first byte says. The parser
 * must answer every request with a known status; a 101 only to a request
 * with a valid key and version 13; its answer must be one HTTP response;
 * and whatever follows a 101 is read as frames (checked as in frames.c).
 *
 * Build: clang -std=c11 -Wall -Wextra -Wpedantic -Werror -g -O1 \
 *            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *            -o handshake tests/fuzz/handshake.c
 */
#include "fuzz-common.h"

/* Where the HTTP answer in pending ends (just past "\r\n\r\n"). */
static size_t answer_size(const struct connection *client)
{
    size_t end = end_of_request(client->pending, client->pending_size, 0);
    if (end == 0)
        broken("the answer is a whole HTTP response");
    return end;
}

/* The Content-Length the answer announces. */
static size_t body_size(const struct connection *client, size_t end)
{
    static const char name[] = "\r\nContent-Length: ";
    for (size_t i = 0; i + sizeof name - 1 < end; i++) {
        if (memcmp(client->pending + i, name, sizeof name - 1) == 0)
            return (size_t)strtoul(client->pending + i + sizeof name - 1, NULL, 10);
    }
    broken("an answer with a body says its Content-Length");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t piece;
    if (!take_piece_size(&data, &size, &piece))
        return 0;

    /* The parser alone, on the input as one request. */
    struct handshake hs;
    parse_handshake((const char *)data, size, &hs);
    static const int known[] = {101, 200, 400, 404, 405, 426, 505};
    int is_known = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        is_known |= hs.status == known[i];
    if (!is_known || hs.reason == NULL)
        broken("every request gets a known status and a reason");
    if (hs.status == 101 && (!hs.key_valid || !hs.version_13 || hs.host_count != 1))
        broken("101 only with one Host, a valid key and version 13");

    /* The whole connection, fed in pieces. */
    struct connection client = {.fd = -1, .phase = HANDSHAKE};
    unsigned char *copy;
    int dropped = feed_in_pieces(&client, data, size, piece, &copy);
    if (dropped == -1)
        return 0;
    if (client.request_size > MAX_REQUEST)
        broken("the request stays within MAX_REQUEST");
    if (!dropped && client.phase != HANDSHAKE) {
        size_t end = answer_size(&client);
        if (end < 13 || memcmp(client.pending, "HTTP/1.1 ", 9) != 0)
            broken("the answer starts with a status line");
        if (memcmp(client.pending, "HTTP/1.1 101 ", 13) == 0)
            check_frames((const unsigned char *)client.pending + end, client.pending_size - end,
                         client.phase == CLOSING);
        else if (client.phase != CLOSING || body_size(&client, end) != client.pending_size - end)
            broken("an HTTP error or the page, its Content-Length right, then only closing");
    }
    free_connection(&client);
    free(copy);
    return 0;
}
