# source: steps/05-poll-server/server.c
# flaw: leaves client sockets blocking, so one client that stops reading stalls every other
s/^        set_non_blocking(client);$/        (void)client;/
