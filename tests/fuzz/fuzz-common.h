/*
 * What both fuzz targets share: step 07's server.c, included as it is (its
 * main() renamed, never run), its log lines sent to /dev/null, and a check
 * of what the server would send: a run of well-formed server frames.
 */
#define main step07_main
#include "../../steps/07-websocket-server/server.c"
#undef main

#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The connection's log lines would drown libFuzzer's own. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (freopen("/dev/null", "w", stdout) == NULL) {
        perror("freopen");
        exit(1);
    }
    return 0;
}

/* Stops the run with a message: libFuzzer saves the input that did it. */
static void broken(const char *rule)
{
    fprintf(stderr, "broken rule: %s\n", rule);
    abort();
}

/* The input's first byte says how big the pieces are (1 to 256 bytes);
 * takes it off the input. Returns 0 for an empty input. */
static int take_piece_size(const uint8_t **data, size_t *size, size_t *piece)
{
    if (*size == 0)
        return 0;
    *piece = (size_t)(*data)[0] + 1;
    (*data)++;
    (*size)--;
    return 1;
}

/*
 * Feeds a copy of data (the reader unmasks in place) to client, piece bytes
 * at a time, as recv() would hand them over. Returns 1 if the server dropped
 * the client (receive_bytes() failed), 0 if not, -1 if out of memory. The
 * caller frees *copy, which the client's buffers may still point into.
 */
static int feed_in_pieces(struct connection *client, const uint8_t *data, size_t size, size_t piece,
                          unsigned char **copy)
{
    *copy = malloc(size + 1);
    if (*copy == NULL)
        return -1;
    memcpy(*copy, data, size);
    snprintf(client->peer, sizeof client->peer, "fuzz");
    int dropped = 0;
    for (size_t at = 0; at < size && !dropped; at += piece) {
        size_t n = size - at < piece ? size - at : piece;
        dropped = receive_bytes(client, *copy + at, n) == -1;
    }
    return dropped;
}

/*
 * Checks bytes the server queued, from `at`: server frames only (section
 * 5): unmasked, RSV 0, FIN 1, a known opcode, the shortest length form,
 * control frames of 125 bytes at most, nothing after a close frame.
 */
static void check_frames(const unsigned char *bytes, size_t size, int ends_with_close)
{
    size_t at = 0;
    int closed = 0;
    while (at < size) {
        if (closed)
            broken("a frame after our close frame");
        struct frame_header frame;
        size_t header = decode_frame_header(bytes + at, size - at, &frame);
        if (header == 0)
            broken("a truncated frame header");
        if (frame.masked || frame.rsv != 0 || !frame.fin)
            broken("a server frame is unmasked, with RSV 0 and FIN 1");
        if (frame.opcode != OP_TEXT && frame.opcode != OP_BINARY && frame.opcode != OP_CLOSE &&
            frame.opcode != OP_PONG)
            broken("the server sends text, binary, close or pong only");
        if ((frame.length <= 125 && header != 2) || (frame.length > 125 && frame.length <= 0xFFFF && header != 4))
            broken("the shortest length form");
        if ((frame.opcode & 0x8) && frame.length > 125)
            broken("a control frame over 125 bytes");
        if (frame.length > size - at - header)
            broken("a frame longer than what was queued");
        if (frame.opcode == OP_CLOSE) {
            if (frame.length == 1)
                broken("a close frame of 1 byte");
            if (frame.length >= 2 &&
                !is_valid_close_code((unsigned)bytes[at + header] << 8 | bytes[at + header + 1]))
                broken("an invalid close code");
            closed = 1;
        }
        at += header + (size_t)frame.length;
    }
    if (ends_with_close && !closed)
        broken("a failed or closed connection sends a close frame");
}
