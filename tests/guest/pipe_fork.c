/* Pipes between processes: a 200 KiB transfer through the 64 KiB pipe buffer,
 * a 100-message ping-pong, poll() with timeouts, pipe2 flags and EOF. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOTAL (200 * 1024)

static unsigned char pattern(long i) { return (unsigned char)(i * 7 + i / 251); }

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static const char *wstatus(int st)
{
    static char b[32];
    if (WIFEXITED(st))
        snprintf(b, sizeof b, "exit %d", WEXITSTATUS(st));
    else
        snprintf(b, sizeof b, "signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    return b;
}

int main(void)
{
    int p[2], st;
    static unsigned char buf[16384];
    fflush(stdout);

    /* 1. bulk transfer */
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        for (long off = 0; off < TOTAL; off += (long)sizeof buf) {
            size_t len = TOTAL - off < (long)sizeof buf ? (size_t)(TOTAL - off) : sizeof buf;
            for (size_t i = 0; i < len; i++)
                buf[i] = pattern(off + (long)i);
            if (write_all(p[1], buf, len) < 0)
                _exit(1);
        }
        _exit(0);
    }
    close(p[1]);
    long count = 0, bad = 0;
    unsigned long sum = 0;
    for (ssize_t r; (r = read(p[0], buf, 5000)) != 0;) {
        if (r < 0) {
            printf("read error %s\n", strerror(errno));
            return 1;
        }
        for (ssize_t i = 0; i < r; i++, count++) {
            sum = sum * 31 + buf[i];
            bad += buf[i] != pattern(count);
        }
    }
    close(p[0]);
    waitpid(c, &st, 0);
    printf("bulk: %ld bytes, checksum %016lx, mismatches %ld, child %s\n", count, sum, bad, wstatus(st));

    /* 2. ping-pong */
    int req[2], rsp[2];
    pipe(req);
    pipe(rsp);
    c = fork();
    if (c == 0) {
        close(req[1]);
        close(rsp[0]);
        int v, n = 0;
        while (read_all(req[0], &v, sizeof v) == 0) {
            v = v * 2 + 1;
            write_all(rsp[1], &v, sizeof v);
            n++;
        }
        _exit(n == 100 ? 0 : 2);
    }
    close(req[0]);
    close(rsp[1]);
    long psum = 0;
    int pok = 1;
    for (int i = 0; i < 100; i++) {
        int v = i;
        write_all(req[1], &v, sizeof v);
        if (read_all(rsp[0], &v, sizeof v) < 0 || v != i * 2 + 1)
            pok = 0;
        psum += v;
    }
    close(req[1]);
    char x;
    ssize_t eof = read(rsp[0], &x, 1);
    close(rsp[0]);
    waitpid(c, &st, 0);
    printf("pingpong: 100 messages %s, sum=%ld, eof read=%zd, child %s\n", pok ? "ok" : "BAD", psum, eof, wstatus(st));

    /* 3. poll */
    pipe(p);
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    int n = poll(&pf, 1, 20);
    printf("poll empty: %d revents=0x%x\n", n, pf.revents);
    write(p[1], "z", 1);
    n = poll(&pf, 1, 1000);
    printf("poll data: %d revents=%s\n", n, pf.revents == POLLIN ? "POLLIN" : "?");
    struct pollfd wf = { .fd = p[1], .events = POLLOUT };
    n = poll(&wf, 1, 0);
    printf("poll write end: %d revents=%s\n", n, wf.revents == POLLOUT ? "POLLOUT" : "?");
    read(p[0], &x, 1);
    close(p[1]);
    n = poll(&pf, 1, 1000);
    printf("poll after close: %d %s\n", n, (pf.revents & POLLHUP) ? "POLLHUP" : "?");
    /* 4. EOF */
    ssize_t r = read(p[0], &x, 1);
    printf("eof: read=%zd\n", r);
    close(p[0]);

    /* 5. pipe2 flags */
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
        printf("pipe2 failed\n");
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(p[i], F_GETFL), fd = fcntl(p[i], F_GETFD);
        int acc = fl & O_ACCMODE;
        printf("pipe2 end %d: %s%s%s\n", i, acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : "O_RDWR",
               (fl & O_NONBLOCK) ? "|O_NONBLOCK" : "", (fd & FD_CLOEXEC) ? " cloexec" : "");
    }
    errno = 0;
    r = read(p[0], &x, 1);
    printf("pipe2 nonblock read: %zd %s\n", r, errno == EAGAIN ? "EAGAIN" : "?");
    close(p[0]);
    close(p[1]);
    return 0;
}
