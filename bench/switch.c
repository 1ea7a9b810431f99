/* Context-switch benchmarks.
 *   switch pingpong N   two threads hand a token back and forth N times through
 *                       futexes: 2N blocking switches
 *   switch spin N       two threads each count to N without any system call: every
 *                       switch between them is a preemption by the scheduler */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int turn;
static long rounds;

static void wait_for(int v)
{
    while (turn != v) syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, !v, NULL, NULL, 0);
}

static void pass_to(int v)
{
    turn = v;
    syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *pong(void *arg)
{
    (void)arg;
    for (long i = 0; i < rounds; i++) { wait_for(1); pass_to(0); }
    return NULL;
}

static void *spin(void *arg)
{
    volatile long *n = arg;
    for (long i = 0; i < rounds; i++) (*n)++;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: switch pingpong|spin N\n"); return 2; }
    rounds = atol(argv[2]);
    pthread_t t;
    if (!strcmp(argv[1], "pingpong")) {
        pthread_create(&t, NULL, pong, NULL);
        for (long i = 0; i < rounds; i++) { pass_to(1); wait_for(0); }
        pthread_join(t, NULL);
        printf("%ld round trips\n", rounds);
    } else {
        long a = 0, b = 0;
        pthread_t u;
        pthread_create(&t, NULL, spin, &a);
        pthread_create(&u, NULL, spin, &b);
        pthread_join(t, NULL);
        pthread_join(u, NULL);
        printf("%ld %ld\n", a, b);
    }
    return 0;
}
