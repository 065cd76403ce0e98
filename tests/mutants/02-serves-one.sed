# source: steps/02-threaded-server/server.c
# flaw: waits for each client's thread to finish before accepting the next: back to one at a time
s/pthread_create(&thread, &attributes, client_thread, client);/pthread_create(\&thread, NULL, client_thread, client); if (rc == 0) pthread_join(thread, NULL);/
