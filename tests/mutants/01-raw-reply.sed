# source: steps/01-blocking-server/server.c
# flaw: echoes the client's raw bytes, control characters and terminal escapes included
s/^        escape_bytes(data, (size_t)received, escaped);$/        memcpy(escaped, data, (size_t)received); escaped[received] = '\\0';/
