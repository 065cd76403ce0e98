# source: steps/04-robust-server/server.c
# flaw: leaves SIGPIPE at its default action: a client that resets mid-reply kills the server
s/^    action.sa_handler = SIG_IGN; .*$/    action.sa_handler = SIG_DFL;/
