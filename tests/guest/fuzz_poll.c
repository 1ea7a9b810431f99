/* A task blocked for ever in poll/ppoll/select/pselect6/epoll_wait on a host
 * descriptor must not stop the others: each time a parent's 10 ms sleep ends and it
 * kills the blocked child (or a thread's wait is cut short by the process's exit).
 * Then ppoll/pselect6's signal-mask checks, which come before any waiting. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fifo_fd;   /* a FIFO opened read-write: a host descriptor never readable */

static long sc(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}

/* Blocks for ever (fd 0 is an empty file: never ready for no events, never for POLLPRI). */
static void block_forever(int how)
{
    struct pollfd p = { .fd = 0, .events = 0 };
    fd_set ex;
    FD_ZERO(&ex);
    FD_SET(0, &ex);
    switch (how) {
    case 0: sc(SYS_poll, (long)&p, 1, -1, 0, 0, 0); break;
    case 1: sc(SYS_ppoll, (long)&p, 1, 0, 0, 8, 0); break;
    case 2: sc(SYS_select, 1, 0, 0, (long)&ex, 0, 0); break;
    case 3: sc(SYS_pselect6, 1, 0, 0, (long)&ex, 0, 0); break;
    case 4: {
        int ep = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fifo_fd, &ev)) { printf("epoll_ctl: %s\n", strerror(errno)); _exit(3); }
        struct epoll_event out;
        epoll_wait(ep, &out, 1, -1);
        break;
    }
    }
    printf("woke up?\n");
    _exit(2);
}

static const char *const names[] = { "poll", "ppoll", "select", "pselect6", "epoll_wait" };

static void *thread_main(void *arg)
{
    block_forever((int)(intptr_t)arg);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unlink("w/fifo");
    if (mkfifo("w/fifo", 0600) || (fifo_fd = open("w/fifo", O_RDWR)) < 0) { perror("fifo"); return 1; }
    struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
    for (int how = 0; how < 5; how++) {
        pid_t c = fork();
        if (c == 0) block_forever(how);
        nanosleep(&ten_ms, NULL);
        kill(c, SIGKILL);
        int st;
        waitpid(c, &st, 0);
        printf("%s: the parent woke and killed its child: %s\n", names[how],
               WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? "yes" : "no");
    }

    struct pollfd p = { .fd = 0, .events = POLLIN };
    struct timespec zero = { 0, 0 }, badts = { 0, 1000000000 };
    uint64_t mask = 0;
    printf("ppoll mask NULL size 4: %ld\n", sc(SYS_ppoll, (long)&p, 1, (long)&zero, 0, 4, 0));
    printf("ppoll mask ok size 8: %ld\n", sc(SYS_ppoll, (long)&p, 1, (long)&zero, (long)&mask, 8, 0));
    printf("ppoll mask ok size 4: %ld\n", sc(SYS_ppoll, (long)&p, 1, (long)&zero, (long)&mask, 4, 0));
    printf("ppoll mask bad size 8: %ld\n", sc(SYS_ppoll, (long)&p, 1, (long)&zero, 16, 8, 0));
    printf("ppoll mask bad size 4: %ld\n", sc(SYS_ppoll, (long)&p, 1, (long)&zero, 16, 4, 0));
    printf("ppoll mask bad, no timeout: %ld\n", sc(SYS_ppoll, (long)&p, 1, 0, 16, 8, 0));
    printf("ppoll bad timespec, bad mask: %ld\n", sc(SYS_ppoll, (long)&p, 1, (long)&badts, 16, 8, 0));
    printf("ppoll bad fds, bad mask: %ld\n", sc(SYS_ppoll, 16, 1, (long)&zero, 16, 8, 0));
    printf("ppoll bad fds, size 4: %ld\n", sc(SYS_ppoll, 16, 1, (long)&zero, (long)&mask, 4, 0));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(0, &rd);
    struct { uint64_t ss, len; } d = { (uint64_t)&mask, 8 }, d4 = { (uint64_t)&mask, 4 }, dbad = { 16, 8 };
    printf("pselect6 mask ok: %ld\n", sc(SYS_pselect6, 1, (long)&rd, 0, 0, (long)&zero, (long)&d));
    printf("pselect6 size 4: %ld\n", sc(SYS_pselect6, 1, (long)&rd, 0, 0, (long)&zero, (long)&d4));
    printf("pselect6 mask bad: %ld\n", sc(SYS_pselect6, 1, (long)&rd, 0, 0, (long)&zero, (long)&dbad));
    printf("pselect6 data bad: %ld\n", sc(SYS_pselect6, 1, (long)&rd, 0, 0, (long)&zero, 16));

    /* A thread blocked for ever in poll while the main thread sleeps, then exits. */
    pthread_t th;
    pthread_create(&th, NULL, thread_main, (void *)0);
    nanosleep(&ten_ms, NULL);
    printf("main thread woke beside a blocked poll\n");
    unlink("w/fifo");
    return 0;
}
