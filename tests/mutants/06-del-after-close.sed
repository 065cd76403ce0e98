# source: steps/06-epoll-server/server.c
# flaw: closes a client's descriptor before EPOLL_CTL_DEL, which then fails (EBADF) at every disconnection
/^    if (epoll_ctl(server->epoll, EPOLL_CTL_DEL, fd, NULL) == -1)$/{
N
h
d
}
/^        perror("close");$/G
