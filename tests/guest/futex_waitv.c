/* futex_waitv(2): the argument checks in the kernel's order, EAGAIN for a changed
 * word, absolute timeouts on both clocks, and a wake of one of several words (the
 * result is its index), private and in SysV shared memory woken by another process. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
struct waitv { uint64_t val, uaddr; uint32_t flags, reserved; };
#define SIZE_U32 0x02
#define PRIV 128

static long waitv(struct waitv *w, unsigned n, unsigned flags, struct timespec *ts, int clock)
{
    return syscall(SYS_futex_waitv, w, n, flags, ts, clock);
}

static const char *res(long r)
{
    static char b[32];
    if (r >= 0) { snprintf(b, sizeof b, "%ld", r); return b; }
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return strerror(errno);
    }
}

static struct timespec in_ms(int clock, int ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_nsec += ms * 1000000L;
    while (ts.tv_nsec >= 1000000000L) { ts.tv_nsec -= 1000000000L; ts.tv_sec++; }
    return ts;
}

static uint32_t words[4];

static void *waker(void *arg)
{
    (void)arg;
    /* Until somebody was woken: the waiter may not sleep yet. */
    while (syscall(SYS_futex, &words[2], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 1) usleep(1000);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct waitv w[4];
    for (int i = 0; i < 4; i++) w[i] = (struct waitv){ 0, (uintptr_t)&words[i], SIZE_U32 | PRIV, 0 };
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 10);
    printf("flags: %s\n", res(waitv(w, 1, 1, &ts, CLOCK_MONOTONIC)));
    printf("none: %s\n", res(waitv(w, 0, 0, &ts, CLOCK_MONOTONIC)));
    printf("129: %s\n", res(waitv(w, 129, 0, &ts, CLOCK_MONOTONIC)));
    printf("NULL list: %s\n", res(waitv(NULL, 1, 0, &ts, CLOCK_MONOTONIC)));
    printf("CLOCK_TAI: %s\n", res(waitv(w, 1, 0, &ts, CLOCK_TAI)));
    struct timespec bad = { 0, 2000000000L };
    printf("bad timeout: %s\n", res(waitv(w, 1, 0, &bad, CLOCK_MONOTONIC)));
    w[0].flags = PRIV;
    printf("no size: %s\n", res(waitv(w, 1, 0, &ts, CLOCK_MONOTONIC)));
    w[0].flags = SIZE_U32 | PRIV;
    w[0].reserved = 1;
    printf("reserved: %s\n", res(waitv(w, 1, 0, &ts, CLOCK_MONOTONIC)));
    w[0].reserved = 0;
    w[0].uaddr = 1;
    printf("unaligned: %s\n", res(waitv(w, 1, 0, &ts, CLOCK_MONOTONIC)));
    w[0].uaddr = 0;
    printf("NULL word: %s\n", res(waitv(w, 1, 0, &ts, CLOCK_MONOTONIC)));
    w[0].uaddr = (uintptr_t)&words[0];
    w[3].val = 1;
    printf("changed word: %s\n", res(waitv(w, 4, 0, &ts, CLOCK_MONOTONIC)));
    w[3].val = 0;
    ts = in_ms(CLOCK_MONOTONIC, 10);
    printf("timeout monotonic: %s\n", res(waitv(w, 4, 0, &ts, CLOCK_MONOTONIC)));
    ts = in_ms(CLOCK_REALTIME, 10);
    printf("timeout realtime: %s\n", res(waitv(w, 4, 0, &ts, CLOCK_REALTIME)));
    ts = (struct timespec){ 0, 0 };
    printf("past deadline: %s\n", res(waitv(w, 4, 0, &ts, CLOCK_MONOTONIC)));

    pthread_t th;
    pthread_create(&th, NULL, waker, NULL);
    ts = in_ms(CLOCK_MONOTONIC, 5000);
    printf("woken by word 2: %s\n", res(waitv(w, 4, 0, &ts, CLOCK_MONOTONIC)));
    pthread_join(th, NULL);

    /* Shared words in two SysV segments; another process wakes the second. */
    int id[2];
    uint32_t *seg[2];
    for (int i = 0; i < 2; i++) {
        id[i] = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        seg[i] = shmat(id[i], NULL, 0);
        *seg[i] = 0;
        w[i] = (struct waitv){ 0, (uintptr_t)seg[i], SIZE_U32, 0 };
    }
    pid_t c = fork();
    if (c == 0) {
        while (syscall(SYS_futex, seg[1], FUTEX_WAKE, 1, NULL, NULL, 0) < 1) usleep(1000);
        _exit(0);
    }
    ts = in_ms(CLOCK_MONOTONIC, 5000);
    printf("shared, woken by another process: %s\n", res(waitv(w, 2, 0, &ts, CLOCK_MONOTONIC)));
    waitpid(c, NULL, 0);
    for (int i = 0; i < 2; i++) { shmdt(seg[i]); shmctl(id[i], IPC_RMID, NULL); }
    return 0;
}
