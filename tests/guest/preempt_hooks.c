/* Threads preempted at every kind of point while uniemu hooks single instructions (the
 * x87 and cmpxchg fix sites; --trace hooks them all). A preempted thread once resumed
 * at a stale RIP whenever any code hook existed, running the previous block's last
 * instruction again (a call pushed twice). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long double lres[2];
static long cres[2];
static volatile int shared;
static int rounds = 3000;   /* fewer where every instruction is traced */

__attribute__((noinline)) static long step(long x) { return x * 3 + 1; }

static int cas(volatile int *p, int t, int s)
{
    __asm__ __volatile__("lock cmpxchg %3, %1" : "=a"(t), "=m"(*p) : "a"(t), "r"(s) : "memory");
    return t;
}

static void *work(void *arg)
{
    long k = (long)arg, sum = 0;
    long double acc = 0;
    for (int i = 1; i <= rounds; i++) {
        sum += step(i + k);
        acc += sinl((long double)i / 1000 + k) * expl(-(long double)i / rounds);
        for (;;) {
            int old = shared;
            if (cas(&shared, old, old + 1) == old) break;
        }
    }
    lres[k] = acc;
    cres[k] = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) rounds = atoi(argv[1]);
    pthread_t t[2];
    for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    printf("%.18Lg %.18Lg %ld %ld %d\n", lres[0], lres[1], cres[0], cres[1], shared);
    return 0;
}
