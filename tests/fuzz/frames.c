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
    if (size == 0)
        return 0;
    size_t piece = (size_t)data[0] + 1;
    data++;
    size--;
    unsigned char *copy = malloc(size + 1); /* the reader unmasks in place */
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);

    struct connection client = {.fd = -1, .phase = OPEN};
    snprintf(client.peer, sizeof client.peer, "fuzz");
    int dropped = 0;
    for (size_t at = 0; at < size && !dropped; at += piece) {
        size_t n = size - at < piece ? size - at : piece;
        dropped = receive_bytes(&client, copy + at, n) == -1;
    }
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
