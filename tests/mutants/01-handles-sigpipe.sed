# source: steps/01-blocking-server/server.c
# flaw: silently fixes a limit the chapter names (SIGPIPE ignored), so the chapter would be wrong
s/^    parse_arguments(argc, argv, &address);$/&\n    signal(SIGPIPE, SIG_IGN);/
s/^#include <stdio.h>$/#include <signal.h>\n&/
