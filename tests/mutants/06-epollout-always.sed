# source: steps/06-epoll-server/server.c
# flaw: keeps EPOLLOUT asked for with nothing to send: the socket is always writable, so epoll_wait() returns at once, round after round (a busy loop)
s/^    if (client->pending_size > 0)$/    if (1)/
