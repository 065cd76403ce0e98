# source: steps/07-websocket-server/server.c
# flaw: does not check that a control frame is at most 125 bytes long
s/^    else if (control && frame->length > 125)$/    else if (0)/
