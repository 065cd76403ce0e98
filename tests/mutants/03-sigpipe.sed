# source: steps/03-client/client.c
# flaw: sends without MSG_NOSIGNAL, so a server that goes while it sends kills it silently with SIGPIPE
s/send(server, data, size, MSG_NOSIGNAL)/send(server, data, size, 0)/
