# source: steps/05-poll-server/server.c
# flaw: out of descriptors, keeps watching the listener: poll() reports it at once, over and over (a busy loop)
/^    server->watched\[LISTENER\].events = 0; \/\* watch for nothing \*\/$/d
