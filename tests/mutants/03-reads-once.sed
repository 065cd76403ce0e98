# source: steps/03-client/client.c
# flaw: reads once instead of until the end of stream, so it misses later replies
s/while ((received = recv(server, data, sizeof data, 0)) > 0) {/if ((received = recv(server, data, sizeof data, 0)) > 0) {/
