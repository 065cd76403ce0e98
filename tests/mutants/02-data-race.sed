# source: steps/02-threaded-server/server.c
# cflags: -fsanitize=thread -O1 -g
# flaw: counts served clients in a shared variable with no lock: a data race
s/^static int stop_pipe\[2\] = {-1, -1};$/&\nstatic long clients_served = 0;/
s/^    serve_client(client->fd, client->peer);$/&\n    clients_served++;/
