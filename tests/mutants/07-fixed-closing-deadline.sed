# source: steps/07-websocket-server/server.c
# flaw: the closing deadline never starts again while the client takes our bytes: a slow reader is cut off mid-echo
s|^        client->close_deadline = now_ms() + CLOSE_TIMEOUT_MS; /\* it reads: more time \*/$|        (void)0;|
