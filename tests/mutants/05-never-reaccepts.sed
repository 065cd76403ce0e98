# source: steps/05-poll-server/server.c
# flaw: once out of descriptors, never watches the listener again: newcomers wait forever
/^    server->watched\[LISTENER\].events = POLLIN;$/d
