# source: steps/05-poll-server/server.c
# flaw: out of descriptors, pauses 100 ms (the old fix) instead of unwatching the listener: every client waits
s|^#include <unistd.h>$|#include <time.h>\n#include <unistd.h>|
s|^    server->watched\[LISTENER\].events = 0; /\* watch for nothing \*/$|    nanosleep(\&(struct timespec){.tv_nsec = 100000000L}, NULL);|
