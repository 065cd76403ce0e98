# source: steps/04-robust-server/server.c
# flaw: no cap on threads: every client that connects gets one, as in step 02
s/^#define MAX_CLIENTS 512 /#define MAX_CLIENTS 100000 /
