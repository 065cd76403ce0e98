# source: steps/01-blocking-server/server.c
# flaw: never closes a client's socket: one descriptor leaks per client
/if (close(client) == -1)/{
N
s/.*/        (void)client;/
}
