# source: steps/07-websocket-server/server.c
# flaw: the stop has no deadline of its own: a client that keeps reading slowly holds it for as long as it likes
s|^    server->stop_deadline = now_ms() + 2LL \* CLOSE_TIMEOUT_MS;$|    server->stop_deadline = now_ms() + 1000LL * CLOSE_TIMEOUT_MS;|
