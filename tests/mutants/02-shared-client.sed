# source: steps/02-threaded-server/server.c
# flaw: hands every thread the same static struct: the next accept overwrites a running client's socket
s/^    struct client \*client = malloc(sizeof \*client);$/    static struct client shared; struct client *client = \&shared;/
s/^    free(client);$/    (void)client;/
s/^        free(client);$/        (void)client;/
