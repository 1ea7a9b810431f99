/* signalfd: blocked signals read as signalfd_siginfo records (the thread's own first,
 * then the process's), a non-blocking read with none pending, and a blocking read that
 * waits until another thread sends one. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static void *sender(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    kill(getpid(), SIGUSR1);
    return NULL;
}

int main(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int fd = signalfd(-1, &m, SFD_CLOEXEC);
    raise(SIGUSR2);
    kill(getpid(), SIGUSR1);
    struct signalfd_siginfo si[4];
    ssize_t n = read(fd, si, sizeof si);
    printf("read %zd bytes\n", n);
    for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++)
        printf("signal %u code %d pid right: %s\n", si[i].ssi_signo, si[i].ssi_code,
               si[i].ssi_pid == (unsigned)getpid() ? "yes" : "no");
    int fd2 = signalfd(-1, &m, SFD_NONBLOCK);
    n = read(fd2, si, sizeof si);
    printf("non-blocking read with nothing pending: %zd %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "other");
    pthread_t t;
    pthread_create(&t, NULL, sender, NULL);
    n = read(fd, si, sizeof si);
    printf("blocking read: %zd bytes, signal %u\n", n, n > 0 ? si[0].ssi_signo : 0);
    pthread_join(t, NULL);
    return 0;
}
