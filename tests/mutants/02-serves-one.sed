# source: steps/02-threaded-server/server.c
# flaw: waits for each client's thread to finish before accepting the next: back to one at a time
s/^    int error = pthread_create(&thread, NULL, client_thread, client);$/&\n    if (error == 0) { pthread_join(thread, NULL); return; }/
