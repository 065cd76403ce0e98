# source: steps/03-client/client.c
# flaw: like the article's client, never reads the reply
s/^    print_replies(server);$/    (void)print_replies;/
