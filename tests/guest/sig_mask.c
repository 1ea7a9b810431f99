/* sig_mask: blocking, pending, coalescing of standard signals, queueing of
 * real-time signals (with si_value order), SA_NODEFER, sa_mask, SA_RESETHAND,
 * sigsuspend, sigtimedwait and sigwaitinfo. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t count, self_blocked, usr2_blocked, nvals, last_code;
static volatile int vals[8];
static int failures;

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

static void handler(int sig, siginfo_t *si, void *uc)
{
    sigset_t cur;
    (void)uc;
    count++;
    last_code = si->si_code;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    self_blocked = sigismember(&cur, sig);
    usr2_blocked = sigismember(&cur, SIGUSR2);
    if (nvals < 8)
        vals[nvals++] = si->si_value.sival_int;
}

static void install(int sig, int flags, int extra_mask_sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (extra_mask_sig)
        sigaddset(&sa.sa_mask, extra_mask_sig);
    sigaction(sig, &sa, NULL);
}

static void block(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static const char *code_name(int c)
{
    switch (c) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    case SI_QUEUE: return "SI_QUEUE";
    default: return "other";
    }
}

int main(void)
{
    sigset_t pend, empty;
    sigemptyset(&empty);
    install(SIGUSR1, 0, 0);
    install(SIGUSR2, 0, 0);
    install(SIGRTMIN, 0, 0);

    /* block, raise, pending, unblock -> delivered before sigprocmask returns */
    block(SIG_BLOCK, SIGUSR1);
    count = 0;
    raise(SIGUSR1);
    sigpending(&pend);
    check("blocked SIGUSR1 is pending", sigismember(&pend, SIGUSR1) == 1);
    check("handler not run while blocked", count == 0);
    block(SIG_UNBLOCK, SIGUSR1);
    check("handler ran on unblock", count == 1);
    printf("raise(): handler si_code=%s\n", code_name(last_code));
    kill(getpid(), SIGUSR1);
    printf("kill(getpid()): handler si_code=%s\n", code_name(last_code));
    sigpending(&pend);
    check("no longer pending", sigismember(&pend, SIGUSR1) == 0);

    /* standard signals coalesce */
    block(SIG_BLOCK, SIGUSR2);
    count = 0;
    raise(SIGUSR2);
    raise(SIGUSR2);
    raise(SIGUSR2);
    block(SIG_UNBLOCK, SIGUSR2);
    printf("SIGUSR2 raised 3x while blocked: handler ran %d time(s)\n", (int)count);

    /* real-time signals queue, in order */
    block(SIG_BLOCK, SIGRTMIN);
    count = 0;
    nvals = 0;
    for (int i = 1; i <= 3; i++) {
        union sigval v = { .sival_int = i };
        if (sigqueue(getpid(), SIGRTMIN, v) != 0)
            perror("sigqueue");
    }
    block(SIG_UNBLOCK, SIGRTMIN);
    printf("SIGRTMIN queued 3x: handler ran %d time(s), values %d %d %d\n", (int)count, vals[0],
           vals[1], vals[2]);

    /* default: signal blocked in its handler; SA_NODEFER: not blocked */
    raise(SIGUSR1);
    printf("default: SIGUSR1 blocked inside handler: %s\n", self_blocked ? "yes" : "no");
    install(SIGUSR1, SA_NODEFER, 0);
    raise(SIGUSR1);
    printf("SA_NODEFER: SIGUSR1 blocked inside handler: %s\n", self_blocked ? "yes" : "no");

    /* sa_mask adds signals while the handler runs */
    install(SIGUSR1, 0, SIGUSR2);
    raise(SIGUSR1);
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    printf("sa_mask: SIGUSR2 blocked inside handler: %s, after return: %s\n",
           usr2_blocked ? "yes" : "no", sigismember(&cur, SIGUSR2) ? "yes" : "no");

    /* SA_RESETHAND */
    install(SIGUSR1, SA_RESETHAND, 0);
    count = 0;
    raise(SIGUSR1);
    struct sigaction old;
    sigaction(SIGUSR1, NULL, &old);
    printf("SA_RESETHAND: handler ran %d, disposition afterwards is SIG_DFL: %s\n", (int)count,
           old.sa_handler == SIG_DFL ? "yes" : "no");
    install(SIGUSR1, 0, 0);

    /* sigsuspend */
    block(SIG_BLOCK, SIGUSR1);
    count = 0;
    raise(SIGUSR1);
    errno = 0;
    int r = sigsuspend(&empty);
    int e = errno;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    printf("sigsuspend: returned %d errno %s, handler ran %d, mask restored: %s\n", r,
           e == EINTR ? "EINTR" : "other", (int)count, sigismember(&cur, SIGUSR1) ? "yes" : "no");

    /* sigtimedwait / sigwaitinfo (SIGUSR1 is still blocked) */
    block(SIG_BLOCK, SIGUSR2);
    siginfo_t si;
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    count = 0;
    raise(SIGUSR2);
    r = sigtimedwait(&(sigset_t){ 0 }, &si, &ts); /* empty set: must time out */
    e = errno;
    printf("sigtimedwait(empty set): %d %s\n", r, r == -1 && e == EAGAIN ? "EAGAIN" : "other");
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR2);
    /* raw syscall: glibc's wrapper rewrites SI_TKILL to SI_USER */
    r = (int)syscall(SYS_rt_sigtimedwait, &w, &si, &ts, 8);
    printf("rt_sigtimedwait: got %s, si_code=%s, si_pid is self: %s, handler ran: %s\n",
           r == SIGUSR2 ? "SIGUSR2" : "other", code_name(si.si_code),
           si.si_pid == getpid() ? "yes" : "no", count ? "yes" : "no");
    r = sigtimedwait(&w, &si, &ts);
    e = errno;
    printf("sigtimedwait nothing pending: %d %s\n", r, r == -1 && e == EAGAIN ? "EAGAIN" : "other");
    kill(getpid(), SIGUSR2);
    r = sigwaitinfo(&w, &si);
    printf("sigwaitinfo after kill: got %s, si_code=%s\n", r == SIGUSR2 ? "SIGUSR2" : "other",
           code_name(si.si_code));
    sigaddset(&w, SIGUSR1);
    union sigval v = { .sival_int = 99 };
    sigqueue(getpid(), SIGUSR1, v);
    r = sigwaitinfo(&w, &si);
    printf("sigwaitinfo after sigqueue: got %s, si_code=%s, value=%d\n",
           r == SIGUSR1 ? "SIGUSR1" : "other", code_name(si.si_code), si.si_value.sival_int);
    sigpending(&pend);
    check("nothing left pending", !sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2));
    check("handler never ran for waited signals", count == 0);

    printf("failures: %d\n", failures);
    return failures != 0;
}
