# source: steps/07-websocket-server/server.c
# flaw: checks a text message's UTF-8 only once the whole message is in: no failing fast at the first invalid byte
s/^    if (client->message_opcode == OP_TEXT && utf8_feed(&client->utf8, bytes, size) == -1)$/    if (0)/
s/^    if (client->message_opcode == OP_TEXT && !utf8_complete(&client->utf8))$/    if (client->message_opcode == OP_TEXT \&\& (utf8_feed(\&client->utf8, client->message, client->message_size) == -1 || !utf8_complete(\&client->utf8)))/
