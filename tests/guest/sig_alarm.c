/* sig_alarm: alarm()+pause(), periodic ITIMER_REAL counted with sigsuspend,
 * getitimer after cancel, alarm(0) returning the remaining seconds,
 * ITIMER_VIRTUAL and ITIMER_PROF on a busy loop, and a POSIX timer
 * delivering SIGRTMIN with SI_TIMER and a sigev_value. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alrm_count, vt_flag, prof_flag, rt_count, rt_code, rt_value;
static int failures;

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

static void on_alrm(int sig) { (void)sig; alrm_count++; }
static void on_vt(int sig) { (void)sig; vt_flag = 1; }
static void on_prof(int sig) { (void)sig; prof_flag = 1; }

static void on_rt(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    rt_count++;
    rt_code = si->si_code;
    rt_value = si->si_value.sival_int;
}

static void install(int sig, void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* spins until *flag is set or 3 s of wall time have passed */
static int spin_until(volatile sig_atomic_t *flag)
{
    long long start = now_ms();
    volatile unsigned long x = 0;
    while (!*flag) {
        for (int i = 0; i < 1000; i++)
            x += i;
        if (now_ms() - start > 3000)
            return 0;
    }
    return 1;
}

int main(void)
{
    install(SIGALRM, on_alrm);

    /* alarm + pause */
    long long t0 = now_ms();
    alarm(1);
    errno = 0;
    int r = pause();
    int e = errno;
    long long t1 = now_ms();
    printf("pause: returned %d errno %s, SIGALRM handler ran %d\n", r, e == EINTR ? "EINTR" : "other",
           (int)alrm_count);
    printf("elapsed >= 1 s: %s\n", t1 - t0 >= 1000 ? "yes" : "no");

    /* periodic ITIMER_REAL, 5 expirations */
    sigset_t blk, old;
    sigemptyset(&blk);
    sigaddset(&blk, SIGALRM);
    sigaddset(&blk, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &blk, &old);
    alrm_count = 0;
    struct itimerval it = { { 0, 10000 }, { 0, 10000 } }, cur;
    t0 = now_ms();
    check("setitimer(ITIMER_REAL, 10 ms)", setitimer(ITIMER_REAL, &it, NULL) == 0);
    while (alrm_count < 5)
        sigsuspend(&old);
    t1 = now_ms();
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    printf("periodic timer: %d SIGALRMs, elapsed >= 50 ms: %s\n", (int)alrm_count,
           t1 - t0 >= 50 ? "yes" : "no");
    getitimer(ITIMER_REAL, &cur);
    printf("after cancel: it_value zero: %s, it_interval zero: %s\n",
           cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0 ? "yes" : "no",
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0 ? "yes" : "no");
    /* discard a SIGALRM that may have become pending before the cancel */
    sigset_t only_alrm;
    sigemptyset(&only_alrm);
    sigaddset(&only_alrm, SIGALRM);
    struct timespec zero = { 0, 0 };
    sigtimedwait(&only_alrm, NULL, &zero);

    /* alarm(0) returns the remaining seconds */
    alarm(5);
    unsigned rem = alarm(0);
    printf("alarm(5); alarm(0) returned >= 4: %s\n", rem >= 4 && rem <= 5 ? "yes" : "no");
    printf("alarm(0) after cancel returned %u\n", alarm(0));

    /* ITIMER_VIRTUAL and ITIMER_PROF */
    install(SIGVTALRM, on_vt);
    install(SIGPROF, on_prof);
    struct itimerval one = { { 0, 0 }, { 0, 10000 } };
    check("setitimer(ITIMER_VIRTUAL)", setitimer(ITIMER_VIRTUAL, &one, NULL) == 0);
    printf("%s\n", spin_until(&vt_flag) ? "vtalrm ok" : "vtalrm FAIL: timeout");
    check("setitimer(ITIMER_PROF)", setitimer(ITIMER_PROF, &one, NULL) == 0);
    printf("%s\n", spin_until(&prof_flag) ? "prof ok" : "prof FAIL: timeout");
    getitimer(ITIMER_VIRTUAL, &cur);
    check("one-shot ITIMER_VIRTUAL disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

    /* POSIX timer with SIGEV_SIGNAL */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGRTMIN, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    sev.sigev_value.sival_int = 77;
    timer_t tid;
    if (timer_create(CLOCK_MONOTONIC, &sev, &tid) != 0) {
        perror("timer_create");
        return 1;
    }
    struct itimerspec its = { { 0, 0 }, { 0, 5000000 } }, left;
    t0 = now_ms();
    check("timer_settime 5 ms", timer_settime(tid, 0, &its, NULL) == 0);
    while (rt_count == 0)
        sigsuspend(&old);
    t1 = now_ms();
    printf("POSIX timer: handler ran %d, si_code %s, si_value %d, elapsed >= 5 ms: %s\n",
           (int)rt_count, rt_code == SI_TIMER ? "SI_TIMER" : "other", (int)rt_value,
           t1 - t0 >= 5 ? "yes" : "no");
    timer_gettime(tid, &left);
    printf("one-shot timer disarmed: %s, overrun %d\n",
           left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0 ? "yes" : "no",
           timer_getoverrun(tid));
    check("timer_delete", timer_delete(tid) == 0);
    sigprocmask(SIG_SETMASK, &old, NULL);

    printf("failures: %d\n", failures);
    return failures != 0;
}
