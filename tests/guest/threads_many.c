/* 64 threads alive at once: all are created before any is joined, all meet
 * main at a barrier of 65, then each computes a small value. Small stacks. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NT 64

static pthread_barrier_t bar;
static int arrived;
static int seen_all[NT];
static unsigned long results[NT];

static void *worker(void *arg)
{
    int idx = (int)(intptr_t)arg;
    __atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
    pthread_barrier_wait(&bar);
    /* after the barrier every thread must have arrived */
    seen_all[idx] = __atomic_load_n(&arrived, __ATOMIC_SEQ_CST) == NT;
    unsigned long h = 1469598103934665603ul ^ (unsigned long)idx;
    for (int i = 0; i < 200; i++)
        h = (h ^ (unsigned long)(i + idx)) * 1099511628211ul;
    results[idx] = h;
    return (void *)(intptr_t)(idx * idx);
}

int main(void)
{
    pthread_t th[NT];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (pthread_attr_setstacksize(&attr, 64 * 1024) != 0) {
        printf("setstacksize failed\n");
        return 1;
    }
    pthread_barrier_init(&bar, NULL, NT + 1);
    int created = 0;
    for (int i = 0; i < NT; i++)
        if (pthread_create(&th[i], &attr, worker, (void *)(intptr_t)i) == 0)
            created++;
    pthread_attr_destroy(&attr);
    if (created != NT) {
        printf("created only %d threads\n", created);
        return 1;
    }
    pthread_barrier_wait(&bar);
    long sq = 0;
    for (int i = 0; i < NT; i++) {
        void *r;
        pthread_join(th[i], &r);
        sq += (long)(intptr_t)r;
    }
    pthread_barrier_destroy(&bar);
    unsigned long x = 0;
    int ok = 0;
    for (int i = 0; i < NT; i++) {
        x = x * 31 + results[i];
        ok += seen_all[i];
    }
    printf("threads=%d arrived=%d saw-all=%d\n", created, arrived, ok);
    printf("sum of squares=%ld hash=%016lx\n", sq, x);
    return 0;
}
