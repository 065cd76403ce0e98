# source: steps/01-blocking-server/server.c
# flaw: echoes the client's raw bytes, control characters and terminal escapes included
s/^        escape_bytes(data, (size_t)received, escaped);$/        for (ssize_t i = 0; i < received; i++) escaped[i] = (char)data[i]; escaped[received] = '\\0';/
