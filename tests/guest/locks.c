/* File locks between processes: POSIX record locks (conflicts, F_GETLK's holder pid,
 * split and merged ranges, release at any close and at exit, F_SETLKW waiting and
 * EDEADLK), OFD locks and flock. Argument: a directory for the lock file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static char file[256];
static pid_t parent;

static int lk(int fd, int cmd, int type, off_t start, off_t len)
{
    struct flock fl = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &fl);
}

static void res(const char *what, int r)
{
    if (r < 0) printf("%-36s -1 %s\n", what, strerror(errno));
    else printf("%-36s %d\n", what, r);
    fflush(stdout);
}

static void getlk(const char *what, int fd, int cmd, int type, off_t start, off_t len)
{
    struct flock fl = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    if (fcntl(fd, cmd, &fl) < 0) { res(what, -1); return; }
    const char *t = fl.l_type == F_RDLCK ? "F_RDLCK" : fl.l_type == F_WRLCK ? "F_WRLCK" : fl.l_type == F_UNLCK ? "F_UNLCK" : "?";
    if (fl.l_type == F_UNLCK) printf("%-36s F_UNLCK\n", what);
    else printf("%-36s %s start %lld len %lld pid %s\n", what, t, (long long)fl.l_start, (long long)fl.l_len,
                fl.l_pid == parent ? "parent" : fl.l_pid == -1 ? "-1" : fl.l_pid == getpid() ? "self" : "other");
    fflush(stdout);
}

static int reopen(int flags) { return open(file, flags); }

/* Runs fn in a child with its own descriptor, and waits for it. */
static void in_child(void (*fn)(int fd))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) { int fd = reopen(O_RDWR); fn(fd); fflush(stdout); _exit(0); }
    waitpid(pid, NULL, 0);
}

static void c_conflict(int fd)
{
    res("child: F_SETLK W [5,15)", lk(fd, F_SETLK, F_WRLCK, 5, 10));
    res("child: F_SETLK R [5,15)", lk(fd, F_SETLK, F_RDLCK, 5, 10));
    getlk("child: F_GETLK W [5,15)", fd, F_GETLK, F_WRLCK, 5, 10);
    res("child: F_SETLK W [10,20)", lk(fd, F_SETLK, F_WRLCK, 10, 10));
    getlk("child: F_GETLK W [0,1)", fd, F_GETLK, F_WRLCK, 0, 1);
}

static void c_ranges(int fd)
{
    getlk("child: W [0,1)", fd, F_GETLK, F_WRLCK, 0, 1);
    getlk("child: W [45,46)", fd, F_GETLK, F_WRLCK, 45, 1);
    getlk("child: W [70,71)", fd, F_GETLK, F_WRLCK, 70, 1);
    getlk("child: R [45,46)", fd, F_GETLK, F_RDLCK, 45, 1);
    getlk("child: W [200, eof)", fd, F_GETLK, F_WRLCK, 200, 0);
}

static void c_free(int fd)
{
    getlk("child: W whole file", fd, F_GETLK, F_WRLCK, 0, 0);
}

static void c_flock(int fd)
{
    res("child: flock EX|NB (own open)", flock(fd, LOCK_EX | LOCK_NB));
    res("child: flock SH|NB (own open)", flock(fd, LOCK_SH | LOCK_NB));
    res("child: fcntl W (flock is apart)", lk(fd, F_SETLK, F_WRLCK, 0, 0));
}

static void c_flock_sh(int fd)
{
    res("child: flock SH|NB", flock(fd, LOCK_SH | LOCK_NB));
    res("child: flock EX|NB", flock(fd, LOCK_EX | LOCK_NB));
}

static void posix(void)
{
    int fd = reopen(O_RDWR);
    printf("-- conflicts\n");
    res("parent: F_SETLK W [0,10)", lk(fd, F_SETLK, F_WRLCK, 0, 10));
    res("parent: F_SETLK R [10,20)", lk(fd, F_SETLK, F_RDLCK, 10, 10));
    in_child(c_conflict);
    getlk("parent: own locks never conflict", fd, F_GETLK, F_WRLCK, 0, 20);

    printf("-- split and merge\n");
    res("parent: W [0,100)", lk(fd, F_SETLK, F_WRLCK, 0, 100));
    res("parent: unlock [40,60)", lk(fd, F_SETLK, F_UNLCK, 40, 20));
    in_child(c_ranges);
    res("parent: R [40,60)", lk(fd, F_SETLK, F_RDLCK, 40, 20));
    in_child(c_ranges);
    res("parent: W [40,60) merges", lk(fd, F_SETLK, F_WRLCK, 40, 20));
    in_child(c_ranges);
    res("parent: W [100, eof)", lk(fd, F_SETLK, F_WRLCK, 100, 0));
    in_child(c_ranges);
    struct flock neg = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 300, .l_len = -50 };
    res("parent: unlock all", lk(fd, F_SETLK, F_UNLCK, 0, 0));
    res("parent: W start 300 len -50", fcntl(fd, F_SETLK, &neg));
    getlk("parent: as seen by itself", fd, F_GETLK, F_WRLCK, 0, 0);
    in_child(c_free);

    printf("-- any close releases\n");
    int fd2 = reopen(O_RDONLY);
    close(fd2);
    in_child(c_free);

    printf("-- errors\n");
    int ro = reopen(O_RDONLY), wo = reopen(O_WRONLY);
    res("W lock on O_RDONLY", lk(ro, F_SETLK, F_WRLCK, 0, 1));
    res("R lock on O_WRONLY", lk(wo, F_SETLK, F_RDLCK, 0, 1));
    res("unlock on O_RDONLY", lk(ro, F_SETLK, F_UNLCK, 0, 1));
    struct flock bad = { .l_type = F_WRLCK, .l_whence = 7 };
    res("l_whence 7", fcntl(fd, F_SETLK, &bad));
    res("F_GETLK of F_UNLCK", lk(fd, F_GETLK, F_UNLCK, 0, 1));
    res("l_type 9", lk(fd, F_SETLK, 9, 0, 1));
    res("start -1", lk(fd, F_SETLK, F_WRLCK, -1, 1));
    res("bad pointer", fcntl(fd, F_SETLK, (struct flock *)8));
    close(ro); close(wo);
    close(fd);
}

/* Until process pid sleeps (in the call it was about to make), as /proc shows it. */
static void wait_sleeping(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 1000; i++) {
        usleep(10000);
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0) close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        char *rp = strrchr(buf, ')');
        if (rp && rp[1] == ' ' && rp[2] == 'S') return;
    }
}

static void waiting(void)
{
    printf("-- F_SETLKW waits, exit releases\n");
    int fd = reopen(O_RDWR);
    int p[2];
    if (pipe(p)) return;
    res("parent: W [0,10)", lk(fd, F_SETLK, F_WRLCK, 0, 10));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = reopen(O_RDWR);
        write(p[1], "x", 1);
        int r = lk(cfd, F_SETLKW, F_WRLCK, 5, 1);
        res("child: F_SETLKW W [5,6)", r);
        _exit(0);
    }
    char c;
    read(p[0], &c, 1);
    wait_sleeping(pid);
    printf("parent: unlocking\n");
    fflush(stdout);
    lk(fd, F_SETLK, F_UNLCK, 0, 0);
    waitpid(pid, NULL, 0);

    printf("-- EDEADLK\n");
    res("parent: W [0,1)", lk(fd, F_SETLK, F_WRLCK, 0, 1));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int cfd = reopen(O_RDWR);
        res("child: W [1,2)", lk(cfd, F_SETLK, F_WRLCK, 1, 1));
        write(p[1], "x", 1);
        res("child: F_SETLKW [0,1)", lk(cfd, F_SETLKW, F_WRLCK, 0, 1));
        _exit(0);
    }
    read(p[0], &c, 1);
    wait_sleeping(pid);
    res("parent: F_SETLKW [1,2)", lk(fd, F_SETLKW, F_WRLCK, 1, 1));
    printf("parent: unlocking [0,1)\n");
    fflush(stdout);
    lk(fd, F_SETLK, F_UNLCK, 0, 1);
    waitpid(pid, NULL, 0);
    printf("child gone:\n");
    getlk("parent: W whole file", fd, F_GETLK, F_WRLCK, 0, 0);
    close(fd);
    close(p[0]); close(p[1]);
}

static void ofd(void)
{
    printf("-- OFD locks\n");
    int a = reopen(O_RDWR), b = reopen(O_RDWR);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    res("A: F_OFD_SETLK W [0,10)", fcntl(a, F_OFD_SETLK, &fl));
    res("B: F_OFD_SETLK W [0,10)", fcntl(b, F_OFD_SETLK, &fl));
    getlk("B: F_OFD_GETLK", b, F_OFD_GETLK, F_WRLCK, 0, 10);
    getlk("B: F_GETLK (POSIX vs OFD)", b, F_GETLK, F_WRLCK, 0, 10);
    res("B: F_SETLK W (POSIX vs OFD)", lk(b, F_SETLK, F_WRLCK, 5, 1));
    in_child(c_free);
    fl.l_pid = 5;
    res("F_OFD_SETLK with l_pid 5", fcntl(b, F_OFD_SETLK, &fl));
    fl.l_pid = 0;
    int a2 = dup(a);
    close(a);
    res("B: after closing A (dup open)", fcntl(b, F_OFD_SETLK, &fl));
    close(a2);
    res("B: after closing the dup", fcntl(b, F_OFD_SETLK, &fl));
    close(b);
}

static void flocks(void)
{
    printf("-- flock\n");
    int fd = reopen(O_RDWR);
    res("parent: flock EX", flock(fd, LOCK_EX));
    in_child(c_flock);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        res("child: flock EX|NB inherited fd", flock(fd, LOCK_EX | LOCK_NB));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    res("parent: flock SH (convert)", flock(fd, LOCK_SH));
    in_child(c_flock_sh);
    res("flock bad op", flock(fd, 0));
    res("flock bad fd", flock(99, LOCK_SH));
    int p[2];
    if (pipe(p)) return;
    res("parent: flock EX again", flock(fd, LOCK_EX));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(fd);   /* its copy of the description's descriptor */
        int cfd = reopen(O_RDWR);
        write(p[1], "x", 1);
        res("child: flock EX waits", flock(cfd, LOCK_EX));
        _exit(0);
    }
    char c;
    read(p[0], &c, 1);
    wait_sleeping(pid);
    printf("parent: closing\n");
    fflush(stdout);
    close(fd);
    waitpid(pid, NULL, 0);
}

static const char *lease_name(int r)
{
    return r == F_RDLCK ? "F_RDLCK" : r == F_WRLCK ? "F_WRLCK" : r == F_UNLCK ? "F_UNLCK" : "?";
}

/* A lease: an open by another process that conflicts sends SIGIO to the holder and
 * waits until the holder gives the lease up or downgrades it. */
static void leases(void)
{
    printf("-- leases\n");
    int fd = reopen(O_RDONLY);
    sigset_t io;
    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    sigprocmask(SIG_BLOCK, &io, NULL);
    /* (An open of its own would break the lease too, and wait for it.) */
    int rw = reopen(O_RDWR);
    res("F_SETLEASE F_RDLCK on O_RDWR", fcntl(rw, F_SETLEASE, F_RDLCK));
    res("F_SETLEASE F_WRLCK, other open", fcntl(fd, F_SETLEASE, F_WRLCK));
    close(rw);
    res("F_SETLEASE F_WRLCK", fcntl(fd, F_SETLEASE, F_WRLCK));
    printf("F_GETLEASE = %s\n", lease_name(fcntl(fd, F_GETLEASE)));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = reopen(O_RDONLY);
        res("child: open O_RDONLY returned", cfd < 0 ? -1 : 0);
        _exit(0);
    }
    siginfo_t si;
    int sig = sigwaitinfo(&io, &si);
    printf("parent: %s\n", sig == SIGIO ? "SIGIO" : "no signal");
    printf("F_GETLEASE while breaking = %s\n", lease_name(fcntl(fd, F_GETLEASE)));
    fflush(stdout);
    int r = fcntl(fd, F_SETLEASE, F_RDLCK);   /* lets the child's open go on */
    waitpid(pid, NULL, 0);
    res("F_SETLEASE F_RDLCK (downgrade)", r);
    res("F_SETLEASE F_UNLCK", fcntl(fd, F_SETLEASE, F_UNLCK));
    printf("F_GETLEASE = %s\n", lease_name(fcntl(fd, F_GETLEASE)));
    close(fd);
    sigprocmask(SIG_UNBLOCK, &io, NULL);
}

int main(int argc, char **argv)
{
    snprintf(file, sizeof file, "%s/lockfile", argc > 1 ? argv[1] : ".");
    parent = getpid();
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    close(fd);
    posix();
    waiting();
    ofd();
    flocks();
    leases();
    unlink(file);
    return 0;
}
