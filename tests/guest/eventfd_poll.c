/* eventfd written by a thread and read (blocking) by main, EFD_SEMAPHORE and
 * EFD_NONBLOCK semantics, poll over an eventfd and a pipe, select() and
 * ppoll() timeouts. All output comes from main; only totals are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static int efd;

static void *writer(void *arg)
{
    (void)arg;
    for (uint64_t v = 1; v <= 3; v++)
        if (write(efd, &v, sizeof v) != sizeof v)
            return (void *)1;
    return NULL;
}

static const char *err(long r)
{
    if (r >= 0)
        return "ok";
    return errno == EAGAIN ? "EAGAIN" : errno == EINVAL ? "EINVAL" : "other";
}

int main(void)
{
    uint64_t v = 0, total = 0;
    int reads = 0;
    efd = eventfd(0, 0);
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    while (total < 6 && read(efd, &v, sizeof v) == sizeof v) {
        total += v;
        reads++;
    }
    void *tr;
    pthread_join(t, &tr);
    printf("eventfd blocking: total=%llu, reads in 1..3: %s, writer %s\n", (unsigned long long)total,
           reads >= 1 && reads <= 3 ? "yes" : "no", tr == NULL ? "ok" : "failed");
    close(efd);

    int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    printf("semaphore reads:");
    for (int i = 0; i < 4; i++) {
        v = 0;
        long r = read(s, &v, sizeof v);
        if (r == sizeof v)
            printf(" %llu", (unsigned long long)v);
        else
            printf(" %s", err(r));
    }
    printf("\n");
    v = 2;
    write(s, &v, sizeof v);
    int n = 0;
    while (read(s, &v, sizeof v) == sizeof v)
        n++;
    printf("semaphore after +2: %d reads\n", n);
    close(s);

    int nb = eventfd(0, EFD_NONBLOCK);
    printf("nonblock read on 0: %s\n", err(read(nb, &v, sizeof v)));
    char small[4];
    printf("read 4-byte buffer: %s\n", err(read(nb, small, sizeof small)));
    v = UINT64_MAX;
    printf("write UINT64_MAX: %s\n", err(write(nb, &v, sizeof v)));
    v = 0xfffffffffffffffeULL;
    printf("write max-1: %s\n", err(write(nb, &v, sizeof v)));
    v = 1;
    printf("write overflow nonblock: %s\n", err(write(nb, &v, sizeof v)));
    read(nb, &v, sizeof v);
    printf("read back: %s\n", v == 0xfffffffffffffffeULL ? "max-1" : "?");

    int p[2];
    pipe(p);
    struct pollfd pf[2] = { { .fd = nb, .events = POLLIN | POLLOUT }, { .fd = p[0], .events = POLLIN } };
    n = poll(pf, 2, 0);
    printf("poll idle: %d efd=%s pipe=0x%x\n", n, pf[0].revents == POLLOUT ? "POLLOUT" : "?", pf[1].revents);
    write(p[1], "ab", 2);
    n = poll(pf, 2, 100);
    printf("poll pipe data: %d pipe=%s\n", n, pf[1].revents == POLLIN ? "POLLIN" : "?");
    v = 9;
    write(nb, &v, sizeof v);
    n = poll(pf, 2, 100);
    printf("poll both: %d efd=%s\n", n, pf[0].revents == (POLLIN | POLLOUT) ? "POLLIN|POLLOUT" : "?");
    char buf[4];
    read(p[0], buf, sizeof buf);
    read(nb, &v, sizeof v);

    fd_set rf;
    FD_ZERO(&rf);
    FD_SET(p[0], &rf);
    struct timeval tv = { 0, 20000 };
    n = select(p[0] + 1, &rf, NULL, NULL, &tv);
    printf("select timeout: %d ready, set %s\n", n, FD_ISSET(p[0], &rf) ? "kept" : "cleared");
    write(p[1], "x", 1);
    FD_SET(p[0], &rf);
    tv.tv_sec = 1;
    tv.tv_usec = 0;
    n = select(p[0] + 1, &rf, NULL, NULL, &tv);
    printf("select data: %d ready, set %s\n", n, FD_ISSET(p[0], &rf) ? "kept" : "cleared");
    read(p[0], buf, 1);

    struct pollfd one = { .fd = p[0], .events = POLLIN };
    struct timespec ts = { 0, 5000000 };
    n = ppoll(&one, 1, &ts, NULL);
    printf("ppoll timeout: %d\n", n);
    write(p[1], "y", 1);
    ts.tv_sec = 1;
    ts.tv_nsec = 0;
    n = ppoll(&one, 1, &ts, NULL);
    printf("ppoll data: %d %s\n", n, one.revents == POLLIN ? "POLLIN" : "?");
    close(p[1]);
    read(p[0], buf, 1);
    n = ppoll(&one, 1, NULL, NULL);
    printf("ppoll hangup: %d %s\n", n, (one.revents & POLLHUP) ? "POLLHUP" : "?");
    close(p[0]);
    close(nb);
    return 0;
}
