/* Two threads increment a plain global int without synchronisation. Each
 * iteration really loads and stores memory (volatile), so updates can be lost
 * when the threads interleave. The OUTPUT IS RACY: do not compare with native.
 * usage: race_counter [iterations-per-thread]   (default 100000) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static volatile int counter;
static long iters = 100000;

static void *bump(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++)
        counter++; /* separate load, add, store: not atomic */
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        iters = atol(argv[1]);
    pthread_t a, b;
    pthread_create(&a, NULL, bump, NULL);
    pthread_create(&b, NULL, bump, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("counter=%d\n", counter);
    printf("lost=%ld\n", 2 * iters - counter);
    return 0;
}
