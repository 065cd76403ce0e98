/*
 * libFuzzer target: step 07's frame reader, on an open connection with no
 * socket. The first input byte says how the rest is cut into pieces (as
 * recv() could cut it), the rest is what the client sends. After it all,
 * the server's output must be well-formed frames, the memory bounded, and
 * a connection that was failed or closed must have sent a close frame.
 *
 * Build: clang -std=c11 -Wall -Wextra -Wpedantic -Werror -g -O1 \
 *            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *            -o frames tests/fuzz/frames.c
 */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t piece;
    if (!take_piece_size(&data, &size, &piece))
        return 0;
    struct connection client = {.fd = -1, .phase = OPEN};
    unsigned char *copy;
    int dropped = feed_in_pieces(&client, data, size, piece, &copy);
    if (dropped == -1)
        return 0;
    if (client.pending_size > MAX_PENDING || client.message_size > MAX_MESSAGE)
        broken("memory stays within MAX_PENDING and MAX_MESSAGE");
    if (client.message_opcode == 0 && client.message_size != 0)
        broken("no message in progress holds no bytes");
    if (!dropped)
        check_frames((const unsigned char *)client.pending, client.pending_size, client.phase == CLOSING);
    free_connection(&client);
    free(copy);
    return 0;
}
