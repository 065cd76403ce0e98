# source: steps/02-threaded-server/server.c
# cflags: -fsanitize=thread -O1 -g
# flaw: counts served clients in a shared variable with no lock: a data race
s/^struct client {$/static long clients_served = 0;\n&/
s/^    serve_client(client->fd, client->peer);$/&\n    clients_served++;/
