# source: steps/04-robust-server/server.c
# cflags: -fsanitize=thread -O1 -g
# flaw: changes the client count without the lock: a data race between the threads
/^static void count_clients(int change)$/,/^}$/{
/pthread_mutex_lock/d
/pthread_mutex_unlock/d
}
