# source: steps/04-robust-server/server.c
# flaw: leaves client sockets blocking: a thread whose client never reads sleeps in send() and never sees the stop
s/^    if (set_nonblocking(client->fd) == -1) .*$/    if (0)/
