# source: steps/04-robust-server/server.c
# flaw: does not wait for the client threads on a stop: "Shutting down" comes before their last lines, which are lost
/^    wait_for_clients_below(1);/d
