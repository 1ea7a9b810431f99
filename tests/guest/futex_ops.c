/* Raw futex(2) operations: WAIT value mismatch, relative and absolute timeouts,
 * WAKE with no waiters, private variants, CMP_REQUEUE, WAKE_OP, error cases,
 * a real two-thread handoff, and nanosleep against clock_gettime. Only
 * timing-independent results are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts, volatile int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static const char *res(long r)
{
    static char buf[8][24];
    static int n;
    char *b = buf[n++ & 7];
    if (r >= 0) {
        snprintf(b, 24, "%ld", r);
        return b;
    }
    switch (errno) {
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EFAULT: return "EFAULT";
    case EINTR: return "EINTR";
    default: snprintf(b, 24, "errno %d", errno); return b;
    }
}

static volatile int word, reply;

static void *waiter(void *arg)
{
    (void)arg;
    while (word == 0)
        futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    reply = word + 41;
    futex(&reply, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

int main(void)
{
    volatile int f = 5, g = 0;
    struct timespec ms1 = { 0, 1000000 };

    printf("WAIT mismatch: %s\n", res(futex(&f, FUTEX_WAIT, 4, NULL, NULL, 0)));
    printf("WAIT_PRIVATE mismatch: %s\n", res(futex(&f, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0)));
    printf("WAIT 1ms timeout: %s\n", res(futex(&f, FUTEX_WAIT, 5, &ms1, NULL, 0)));
    printf("WAIT_PRIVATE 1ms timeout: %s\n", res(futex(&f, FUTEX_WAIT_PRIVATE, 5, &ms1, NULL, 0)));
    printf("WAKE nobody: %s\n", res(futex(&f, FUTEX_WAKE, 10, NULL, NULL, 0)));
    printf("WAKE_PRIVATE nobody: %s\n", res(futex(&f, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));

    struct timespec now, past;
    clock_gettime(CLOCK_MONOTONIC, &now);
    past = now;
    past.tv_sec -= 1;
    printf("WAIT_BITSET past deadline: %s\n",
           res(futex(&f, FUTEX_WAIT_BITSET, 5, &past, NULL, (int)FUTEX_BITSET_MATCH_ANY)));
    printf("WAIT_BITSET_PRIVATE past deadline: %s\n",
           res(futex(&f, FUTEX_WAIT_BITSET_PRIVATE, 5, &past, NULL, (int)FUTEX_BITSET_MATCH_ANY)));
    printf("WAIT_BITSET mismatch: %s\n",
           res(futex(&f, FUTEX_WAIT_BITSET, 6, &past, NULL, (int)FUTEX_BITSET_MATCH_ANY)));
    printf("WAIT_BITSET bitset 0: %s\n", res(futex(&f, FUTEX_WAIT_BITSET, 5, &past, NULL, 0)));
    printf("WAKE_BITSET nobody: %s\n", res(futex(&f, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0xff)));
    struct timespec bad = { 0, 2000000000L };
    printf("WAIT bad timeout: %s\n", res(futex(&f, FUTEX_WAIT, 5, &bad, NULL, 0)));

    printf("CMP_REQUEUE wrong val3: %s\n",
           res(futex(&f, FUTEX_CMP_REQUEUE, 1, (const struct timespec *)(uintptr_t)1, &g, 4)));
    printf("CMP_REQUEUE_PRIVATE right val3: %s\n",
           res(futex(&f, FUTEX_CMP_REQUEUE_PRIVATE, 1, (const struct timespec *)(uintptr_t)1, &g, 5)));

    g = 10;
    long r = futex(&f, FUTEX_WAKE_OP, 1, (const struct timespec *)(uintptr_t)1, &g,
                   FUTEX_OP(FUTEX_OP_ADD, 7, FUTEX_OP_CMP_EQ, 10));
    printf("WAKE_OP add: %s, g=%d\n", res(r), g);
    r = futex(&f, FUTEX_WAKE_OP_PRIVATE, 1, (const struct timespec *)(uintptr_t)1, &g,
              FUTEX_OP(FUTEX_OP_SET, 3, FUTEX_OP_CMP_GT, 0));
    printf("WAKE_OP_PRIVATE set: %s, g=%d\n", res(r), g);
    r = futex(&f, FUTEX_WAKE_OP, 1, (const struct timespec *)(uintptr_t)1, &g,
              FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_NE, 0));
    printf("WAKE_OP or-shift: %s, g=%d\n", res(r), g);

    char raw[8] __attribute__((aligned(8))) = { 0 };
    printf("WAIT misaligned: %s\n", res(futex((volatile int *)(raw + 1), FUTEX_WAIT, 0, NULL, NULL, 0)));
    printf("unknown op: %s\n", res(futex(&f, 99, 0, NULL, NULL, 0)));

    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    word = 1;
    futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    while (reply == 0)
        futex(&reply, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    pthread_join(t, NULL);
    printf("handoff %s (reply=%d)\n", reply == 42 ? "ok" : "BAD", reply);

    struct timespec a, b, ten = { 0, 10000000 };
    clock_gettime(CLOCK_MONOTONIC, &a);
    int nr = nanosleep(&ten, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
    printf("%s\n", nr == 0 && ns >= 10000000L ? "slept ok" : "slept too little");
    return 0;
}
