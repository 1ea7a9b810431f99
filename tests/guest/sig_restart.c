/* sig_restart: a blocking pipe read interrupted by SIGALRM (20 ms one-shot
 * ITIMER_REAL) returns EINTR without SA_RESTART and is transparently
 * restarted with SA_RESTART (the handler writes one byte into the pipe, so
 * the restarted read returns 1).  nanosleep and poll are never restarted:
 * EINTR even with SA_RESTART, nanosleep filling in the remaining time. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int pfd[2];
static volatile sig_atomic_t count, write_byte;
static int failures;

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

static void on_alrm(int sig)
{
    (void)sig;
    count++;
    if (write_byte) {
        int saved = errno;
        if (write(pfd[1], "x", 1) != 1)
            _exit(3);
        errno = saved;
    }
}

static void setup(int flags, int wb)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alrm;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    count = 0;
    write_byte = wb;
    struct itimerval it = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

static const char *err_name(int r, int e)
{
    return r >= 0 ? "none" : e == EINTR ? "EINTR" : "other";
}

int main(void)
{
    char buf[8];
    int r, e;
    if (pipe(pfd) != 0) {
        perror("pipe");
        return 1;
    }

    /* (a) no SA_RESTART: read fails with EINTR even though the handler wrote */
    setup(0, 1);
    errno = 0;
    r = (int)read(pfd[0], buf, sizeof buf);
    e = errno;
    printf("without SA_RESTART: read returned %d errno %s, handler ran %d\n", r, err_name(r, e),
           (int)count);
    r = (int)read(pfd[0], buf, sizeof buf);
    printf("  byte written by the handler read afterwards: %d '%c'\n", r, r == 1 ? buf[0] : '?');

    /* (b) SA_RESTART: the read is restarted and returns the handler's byte */
    setup(SA_RESTART, 1);
    errno = 0;
    r = (int)read(pfd[0], buf, sizeof buf);
    e = errno;
    printf("with SA_RESTART: read returned %d errno %s, handler ran %d, data '%c'\n", r,
           err_name(r, e), (int)count, r == 1 ? buf[0] : '?');

    /* (c) nanosleep is interrupted and reports the remaining time */
    setup(0, 0);
    struct timespec req = { 1, 0 }, rem = { 0, 0 };
    r = nanosleep(&req, &rem);
    e = errno;
    printf("nanosleep 1 s: returned %d errno %s, handler ran %d\n", r, err_name(r, e), (int)count);
    printf("  remaining > 0: %s, remaining < 1 s: %s\n",
           rem.tv_sec > 0 || rem.tv_nsec > 0 ? "yes" : "no", rem.tv_sec == 0 ? "yes" : "no");

    /* (d) nanosleep with SA_RESTART is still not restarted */
    setup(SA_RESTART, 0);
    rem.tv_sec = rem.tv_nsec = 0;
    r = nanosleep(&req, &rem);
    e = errno;
    printf("nanosleep with SA_RESTART: returned %d errno %s, remaining > 0: %s\n", r,
           err_name(r, e), rem.tv_sec > 0 || rem.tv_nsec > 0 ? "yes" : "no");

    /* (e) poll with SA_RESTART is not restarted either */
    setup(SA_RESTART, 1);
    struct pollfd p = { .fd = pfd[0], .events = POLLIN };
    r = poll(&p, 1, -1);
    e = errno;
    printf("poll with SA_RESTART: returned %d errno %s, handler ran %d\n", r, err_name(r, e),
           (int)count);
    r = poll(&p, 1, 0);
    printf("  poll again: %d, POLLIN: %s\n", r, (p.revents & POLLIN) ? "yes" : "no");
    r = (int)read(pfd[0], buf, sizeof buf);
    check("handler's byte readable after poll", r == 1 && buf[0] == 'x');

    /* (f) clock_nanosleep returns the error number directly */
    setup(0, 0);
    rem.tv_sec = rem.tv_nsec = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    printf("clock_nanosleep: returned %s, remaining > 0: %s\n", r == EINTR ? "EINTR" : "other",
           rem.tv_sec > 0 || rem.tv_nsec > 0 ? "yes" : "no");

    check("no byte left in the pipe", poll(&p, 1, 0) == 0);
    printf("failures: %d\n", failures);
    return failures != 0;
}
