# source: steps/04-robust-server/server.c
# flaw: out of descriptors, calls accept() again at once: a busy loop, as in step 02
s/^    wait_for_clients_below(count);$/    (void)count;/
