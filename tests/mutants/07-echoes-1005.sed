# source: steps/07-websocket-server/server.c
# flaw: takes the codes 1005 and 1006, which no endpoint may send, for valid close codes, and echoes them
s/(code >= 1007 && code <= 1014)/(code >= 1005 \&\& code <= 1014)/
