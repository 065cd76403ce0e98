# source: steps/07-websocket-server/server.c
# flaw: accepts frames a client did not mask (section 5.1 says fail the connection)
s|^    else if (!frame->masked) /\* section 5.1: a client masks every frame \*/$|    else if (0)|
