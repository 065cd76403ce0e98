# source: steps/05-poll-server/server.c
# flaw: leaves client sockets blocking, so one client that stops reading stalls every other
s/^        if (set_non_blocking(client) == -1) {$/        if (client == -1) {/
