/* Three tasks for the timeline test: main and two threads that each do some work and
 * some system calls, then meet at a join. Prints a deterministic summary. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static long results[2];

static void *work(void *arg)
{
    long id = (long)arg, sum = 0;
    for (int round = 0; round < 4; round++) {
        for (long i = 0; i < 20000; i++) sum += i % (id + 3);
        sched_yield();
    }
    results[id] = sum;
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    printf("results: %ld %ld\n", results[0], results[1]);
    return 0;
}
