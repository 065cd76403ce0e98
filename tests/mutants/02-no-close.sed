# source: steps/02-threaded-server/server.c
# flaw: a client's thread never closes its socket: one descriptor leaks per client
/if (close(client->fd) == -1)/{
N
s/.*/    (void)client->fd;/
}
