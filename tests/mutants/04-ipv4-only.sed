# source: steps/04-robust-server/server.c
# flaw: asks getaddrinfo() for IPv4 addresses only: -H ::1 fails
s/^    hints.ai_family = AF_UNSPEC; .*$/    hints.ai_family = AF_INET;/
