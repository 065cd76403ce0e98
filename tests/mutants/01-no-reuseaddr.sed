# source: steps/01-blocking-server/server.c
# flaw: does not set SO_REUSEADDR, so a restart fails while old connections sit in TIME_WAIT
s/if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)/if (on == 0)/
