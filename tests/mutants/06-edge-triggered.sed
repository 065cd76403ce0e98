# source: steps/06-epoll-server/server.c
# flaw: edge-triggered (EPOLLET) with one recv() per event, not read until EAGAIN: data left in a socket waits for an event that never comes
s/^    struct epoll_event event = {\.events = events, /    struct epoll_event event = {.events = events | EPOLLET, /
