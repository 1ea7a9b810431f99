/* Huge and invalid timeouts: select/pselect6/ppoll/epoll_pwait2 on a ready pipe return
 * at once whatever the timeout; sleeps and futex waits of ~2^64 ns must not wrap to a
 * short one; invalid timespecs are EINVAL. Results compared with native. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long sc(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}

static int pfd[2];
static volatile int woke;
static uint32_t word;
/* 18446744074 s is 2^64 ns plus 0.29 s: wrapping arithmetic makes it a 0.29 s sleep. */
#define WRAPS_SEC 18446744074LL

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec ts = { WRAPS_SEC, 0 };
    nanosleep(&ts, NULL);
    woke = 1;
    return NULL;
}

static void *futex_waiter(void *arg)
{
    (void)arg;
    struct timespec ts = { WRAPS_SEC, 0 };
    long r = sc(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE, 0, (long)&ts, 0, 0);
    printf("futex wait with a huge timeout: %s\n", r == 0 ? "woken" : r == -ETIMEDOUT ? "timed out" : "other");
    return NULL;
}

static void sel(const char *what, long sec, long usec)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(pfd[0], &rd);
    struct timeval tv = { sec, usec };
    printf("select %s: %ld\n", what, sc(SYS_select, pfd[0] + 1, (long)&rd, 0, 0, (long)&tv, 0));
}

static void psel(const char *what, long sec, long nsec)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(pfd[0], &rd);
    struct timespec ts = { sec, nsec };
    printf("pselect6 %s: %ld\n", what, sc(SYS_pselect6, pfd[0] + 1, (long)&rd, 0, 0, (long)&ts, 0));
}

static void pp(const char *what, long sec, long nsec)
{
    struct pollfd p = { .fd = pfd[0], .events = POLLIN };
    struct timespec ts = { sec, nsec };
    printf("ppoll %s: %ld\n", what, sc(SYS_ppoll, (long)&p, 1, (long)&ts, 0, 8, 0));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (pipe(pfd) || write(pfd[1], "x", 1) != 1) return 1;   /* the read end is ready */

    sel("LONG_MAX s", LONG_MAX, 0);
    sel("LONG_MAX s 999999 us", LONG_MAX, 999999);
    sel("huge s", WRAPS_SEC, 0);
    sel("1.5e6 us", 0, 1500000);
    sel("-1 us", 0, -1);
    sel("-1 s", -1, 0);
    psel("INT64_MAX s 999999999 ns", LONG_MAX, 999999999);
    psel("1e9 ns", 0, 1000000000);
    psel("-1 ns", 0, -1);
    psel("-1 s", -1, 0);
    pp("INT64_MAX s 999999999 ns", LONG_MAX, 999999999);
    pp("huge s", WRAPS_SEC, 0);
    pp("1e9 ns", 0, 1000000000);
    pp("-1 ns", 0, -1);
    pp("-1 s", -1, 0);

    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN }, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev);
    struct timespec big = { LONG_MAX, 999999999 }, bad = { 0, 1000000000 };
    printf("epoll_pwait2 INT64_MAX s: %ld\n", sc(SYS_epoll_pwait2, ep, (long)&out, 1, (long)&big, 0, 8));
    printf("epoll_pwait2 1e9 ns: %ld\n", sc(SYS_epoll_pwait2, ep, (long)&out, 1, (long)&bad, 0, 8));
    printf("epoll_wait INT_MAX ms: %ld\n", sc(SYS_epoll_wait, ep, (long)&out, 1, INT_MAX, 0, 0));
    struct pollfd p = { .fd = pfd[0], .events = POLLIN };
    printf("poll INT_MAX ms: %ld\n", sc(SYS_poll, (long)&p, 1, INT_MAX, 0, 0, 0));

    struct timespec ts = { 0, 1000000000 }, neg = { 0, -1 }, negs = { -1, 0 };
    printf("nanosleep 1e9 ns: %ld\n", sc(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0));
    printf("nanosleep -1 ns: %ld\n", sc(SYS_nanosleep, (long)&neg, 0, 0, 0, 0, 0));
    printf("nanosleep -1 s: %ld\n", sc(SYS_nanosleep, (long)&negs, 0, 0, 0, 0, 0));
    printf("clock_nanosleep 1e9 ns: %ld\n", sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)&ts, 0, 0, 0));
    printf("clock_nanosleep abs -1 ns: %ld\n", sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, (long)&neg, 0, 0, 0));
    printf("futex 1e9 ns: %ld\n", sc(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE, 0, (long)&ts, 0, 0));
    printf("futex -1 s: %ld\n", sc(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE, 0, (long)&negs, 0, 0));
    printf("futex huge, value differs: %ld\n", sc(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE, 1, (long)&big, 0, 0));

    /* Timers armed for ~forever stay armed far ahead, never firing now. */
    struct itimerval it = { { 0, 0 }, { LONG_MAX / 4, 0 } }, got;
    printf("setitimer huge: %ld\n", sc(SYS_setitimer, ITIMER_REAL, (long)&it, 0, 0, 0, 0));
    getitimer(ITIMER_REAL, &got);
    printf("itimer still far ahead: %d\n", got.it_value.tv_sec > 1000000000L);
    struct itimerval badit = { { 0, 0 }, { 0, 1000000 } };
    printf("setitimer 1e6 us: %ld\n", sc(SYS_setitimer, ITIMER_REAL, (long)&badit, 0, 0, 0, 0));
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    timer_t tid;
    struct sigevent sev = { .sigev_notify = SIGEV_NONE };
    timer_create(CLOCK_MONOTONIC, &sev, &tid);
    struct itimerspec its = { { WRAPS_SEC, 0 }, { WRAPS_SEC, 0 } }, gts;
    printf("timer_settime huge: %d\n", timer_settime(tid, 0, &its, NULL));
    timer_gettime(tid, &gts);
    printf("timer still far ahead: %d\n", gts.it_value.tv_sec > 1000000000L);
    struct itimerspec badts = { { 0, 0 }, { 0, 1000000000 } };
    printf("timer_settime 1e9 ns: %d %s\n", timer_settime(tid, 0, &badts, NULL), strerror(errno));

    /* A sleep and a futex wait of 2^64 ns + 0.29 s are still asleep after 0.5 s. */
    pthread_t a, b;
    pthread_create(&a, NULL, sleeper, NULL);
    pthread_create(&b, NULL, futex_waiter, NULL);
    struct timespec half = { 0, 500 * 1000 * 1000 };
    nanosleep(&half, NULL);
    printf("huge sleep still asleep: %d\n", !woke);
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    sc(SYS_futex, (long)&word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
    pthread_join(b, NULL);
    return 0;
}
