# source: steps/07-websocket-server/server.c
# flaw: a stop signal ends the loop at once, without waiting for closing clients
s|^    while (!server->stopping \|\| server->client_count > 0) {$|    while (!server->stopping) {|
