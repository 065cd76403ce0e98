# source: steps/04-robust-server/server.c
# flaw: treats poll()'s EINTR as an error, as if SA_RESTART restarted poll(): a stop signal ends the server with status 1
s/^        if (errno != EINTR) .*$/        if (errno != 0)/
