# source: steps/01-blocking-server/server.c
# flaw: does not ignore SIGPIPE, so a client that vanishes mid-reply kills the server
s/if (sigaction(SIGPIPE, &ignore, NULL) == -1)/if (0)/
