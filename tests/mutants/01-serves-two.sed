# source: steps/01-blocking-server/server.c
# flaw: "blocking" server that accidentally serves two clients at once (a child process each)
s/^        serve_client(client, address_text);$/        if (fork() == 0) { serve_client(client, address_text); _exit(0); }/
