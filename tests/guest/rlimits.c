/* Resource limits, set and enforced: the calls' errors, RLIMIT_NOFILE (EMFILE, dup2's
 * EBADF, F_DUPFD's EINVAL), RLIMIT_AS and RLIMIT_DATA (mmap, brk, mremap, malloc),
 * RLIMIT_FSIZE (short write, EFBIG, SIGXFSZ), RLIMIT_NPROC for a user that is not root,
 * RLIMIT_CPU (SIGXCPU, then SIGKILL), RLIMIT_STACK (SIGSEGV), inheritance across fork
 * and exec. Only values it set itself are printed: the defaults are the host's.
 * Argument: a scratch directory (guest_test's CWD_TMP). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r)
{
    if (r != -1) return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case ESRCH: return "ESRCH";
    case EMFILE: return "EMFILE";
    case EBADF: return "EBADF";
    case ENOMEM: return "ENOMEM";
    case EFBIG: return "EFBIG";
    case EAGAIN: return "EAGAIN";
    default: return strerror(errno);
    }
}

static void set(int res, rlim_t cur, rlim_t max)
{
    struct rlimit r = { cur, max };
    if (setrlimit(res, &r)) printf("setrlimit(%d): %s\n", res, err(-1));
}

static void show_wait(const char *what, pid_t c)
{
    int st;
    waitpid(c, &st, 0);
    const int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    const char *name = sig == SIGKILL ? "SIGKILL" : sig == SIGSEGV ? "SIGSEGV" : sig == SIGXFSZ ? "SIGXFSZ" :
                       sig == SIGXCPU ? "SIGXCPU" : "another signal";
    if (sig) printf("%s: killed by %s\n", what, name);
    else printf("%s: exit %d\n", what, WEXITSTATUS(st));
}

static void calls(void)
{
    struct rlimit r, old;
    getrlimit(RLIMIT_NOFILE, &old);
    r = (struct rlimit){ 100, 50 };
    printf("cur > max: %s\n", err(setrlimit(RLIMIT_NOFILE, &r)));
    printf("bad resource get: %s\n", err(syscall(SYS_getrlimit, 99, &r)));
    printf("bad resource set: %s\n", err(syscall(SYS_setrlimit, 99, &r)));
    printf("get EFAULT: %s\n", err(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)8)));
    printf("set EFAULT: %s\n", err(syscall(SYS_setrlimit, RLIMIT_NOFILE, (void *)8)));
    printf("prlimit bad pid: %s\n", err(syscall(SYS_prlimit64, 999999, RLIMIT_NOFILE, NULL, &r)));
    r = (struct rlimit){ 64, 2000000 };
    printf("NOFILE above nr_open: %s\n", err(setrlimit(RLIMIT_NOFILE, &r)));
    struct rlimit nl = { 300, 400 }, got;
    printf("prlimit self: %s", err(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, &nl, &got)));
    getrlimit(RLIMIT_NOFILE, &r);
    printf(" now %lu/%lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
    /* (Raising the hard limit again needs CAP_SYS_RESOURCE, which depends on where
     * the test runs: not printed.) */
    setrlimit(RLIMIT_NOFILE, &old);
    r = (struct rlimit){ 7, 9 };
    setrlimit(RLIMIT_RTTIME, &r);
    pid_t c = fork();
    if (c == 0) {
        getrlimit(RLIMIT_RTTIME, &r);
        printf("child inherits: %lu/%lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
        /* prlimit on the parent, which has the same ids. */
        printf("prlimit parent: %s", err(syscall(SYS_prlimit64, getppid(), RLIMIT_RTTIME, NULL, &r)));
        printf(" %lu/%lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
        _exit(0);
    }
    show_wait("child", c);
}

static void nofile(void)
{
    pid_t c = fork();
    if (c == 0) {
        set(RLIMIT_NOFILE, 10, 10);
        int last = -1, fd;
        while ((fd = open("/dev/null", O_RDONLY)) >= 0) last = fd;
        printf("open until %s, last fd %d\n", err(fd), last);
        printf("dup: %s\n", err(dup(0)));
        int p[2];
        printf("pipe: %s\n", err(pipe(p)));
        printf("socketpair: %s\n", err(socketpair(AF_UNIX, SOCK_STREAM, 0, p)));
        printf("dup2 to limit: %s\n", err(dup2(0, 10)));
        printf("dup2 below: %s\n", err(dup2(0, 9)));
        printf("F_DUPFD at limit: %s\n", err(fcntl(0, F_DUPFD, 10)));
        close(9);
        close(8);
        printf("pipe with two free: %s\n", err(pipe(p)));
        close(p[0]);
        printf("pipe with one free: %s\n", err(pipe(p)));
        /* Lowering the limit closes nothing. */
        set(RLIMIT_NOFILE, 5, 10);
        printf("fd 9 still open: %s\n", err(fcntl(p[1], F_GETFD)));
        printf("dup with limit 5: %s\n", err(dup(0)));
        _exit(0);
    }
    show_wait("nofile child", c);
}

static void memory(void)
{
    pid_t c = fork();
    if (c == 0) {
        set(RLIMIT_AS, 512 << 20, 512 << 20);
        void *p = mmap(NULL, 1UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("AS: 1 GiB PROT_NONE: %s\n", err(p == MAP_FAILED ? -1 : 0));
        p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("AS: 16 MiB: %s\n", err(p == MAP_FAILED ? -1 : 0));
        void *q = mremap(p, 16 << 20, 1UL << 30, MREMAP_MAYMOVE);
        printf("AS: mremap to 1 GiB: %s\n", err(q == MAP_FAILED ? -1 : 0));
        q = mremap(p, 16 << 20, 32 << 20, MREMAP_MAYMOVE);
        printf("AS: mremap to 32 MiB: %s\n", err(q == MAP_FAILED ? -1 : 0));
        errno = 0;
        void *m = malloc(1UL << 30);
        printf("AS: malloc 1 GiB: %s errno %s\n", m ? "ok" : "NULL", err(-1));
        void *b = sbrk(1 << 30);
        printf("AS: sbrk 1 GiB: %s\n", err(b == (void *)-1 ? -1 : 0));
        _exit(0);
    }
    show_wait("AS child", c);
    c = fork();
    if (c == 0) {
        set(RLIMIT_DATA, 64 << 20, 64 << 20);
        void *p = mmap(NULL, 128 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("DATA: 128 MiB private writable: %s\n", err(p == MAP_FAILED ? -1 : 0));
        p = mmap(NULL, 128 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("DATA: 128 MiB read-only: %s\n", err(p == MAP_FAILED ? -1 : 0));
        printf("DATA: mprotect it writable: %s\n", err(mprotect(p, 128 << 20, PROT_READ | PROT_WRITE)));
        printf("DATA: mprotect 1 MiB of it writable: %s\n", err(mprotect(p, 1 << 20, PROT_READ | PROT_WRITE)));
        p = mmap(NULL, 128 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        printf("DATA: 128 MiB shared: %s\n", err(p == MAP_FAILED ? -1 : 0));
        void *b = sbrk(128 << 20);
        printf("DATA: sbrk 128 MiB: %s\n", err(b == (void *)-1 ? -1 : 0));
        b = sbrk(1 << 20);
        printf("DATA: sbrk 1 MiB: %s\n", err(b == (void *)-1 ? -1 : 0));
        errno = 0;
        void *m = malloc(100 << 20);
        printf("DATA: malloc 100 MiB: %s errno %s\n", m ? "ok" : "NULL", err(-1));
        set(RLIMIT_DATA, 0, 0);
        b = sbrk(1 << 20);
        printf("DATA 0: sbrk 1 MiB: %s\n", err(b == (void *)-1 ? -1 : 0));
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("DATA 0: one page: %s\n", err(p == MAP_FAILED ? -1 : 0));
        _exit(0);
    }
    show_wait("DATA child", c);
}

static volatile sig_atomic_t xfsz, xcpu;
static void on_xfsz(int s) { (void)s; xfsz++; }

static void fsize(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fsize.dat", dir);
    static char buf[20000];
    memset(buf, 'x', sizeof buf);
    pid_t c = fork();
    if (c == 0) {
        signal(SIGXFSZ, on_xfsz);
        set(RLIMIT_FSIZE, 10000, 10000);
        int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
        long n = write(fd, buf, sizeof buf);
        printf("FSIZE: write 20000: %ld, signals %d\n", n, (int)xfsz);
        const char *e = err(write(fd, buf, 10));
        printf("FSIZE: write at limit: %s, signals %d\n", e, (int)xfsz);
        printf("FSIZE: pwrite across: %ld\n", (long)pwrite(fd, buf, 100, 9990));
        e = err(ftruncate(fd, 20000));
        printf("FSIZE: ftruncate past: %s, signals %d\n", e, (int)xfsz);
        printf("FSIZE: ftruncate below: %s\n", err(ftruncate(fd, 500)));
        printf("FSIZE: write to a pipe is not limited: ");
        int p[2];
        pipe(p);
        printf("%ld\n", (long)write(p[1], buf, 12000 < 65536 ? 12000 : 0));
        struct stat st;
        fstat(fd, &st);
        printf("FSIZE: size %ld\n", (long)st.st_size);
        close(fd);
        _exit(0);
    }
    show_wait("FSIZE child", c);
    c = fork();
    if (c == 0) {
        set(RLIMIT_FSIZE, 100, 100);
        int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        write(fd, buf, 100);
        write(fd, buf, 1);   /* SIGXFSZ's default action */
        _exit(0);
    }
    show_wait("FSIZE default action", c);
    unlink(path);
}

static void nproc(void)
{
    pid_t c = fork();
    if (c == 0) {
        set(RLIMIT_NPROC, 2, 2);
        if (setresuid(54321, 54321, 54321)) { printf("setresuid: %s\n", err(-1)); _exit(1); }
        pid_t a = fork();
        if (a == 0) { pause(); _exit(0); }
        printf("NPROC: first fork: %s\n", err(a));
        pid_t b = fork();
        if (b == 0) _exit(0);
        printf("NPROC: second fork: %s\n", err(b));
        kill(a, SIGKILL);
        waitpid(a, NULL, 0);
        b = fork();
        if (b == 0) _exit(0);
        printf("NPROC: after reaping: %s\n", err(b));
        if (b > 0) waitpid(b, NULL, 0);
        _exit(0);
    }
    show_wait("NPROC child", c);
    c = fork();
    if (c == 0) {
        set(RLIMIT_NPROC, 1, 1);
        pid_t b = fork();
        if (b == 0) _exit(0);
        printf("NPROC: root forks anyway: %s\n", err(b));
        if (b > 0) waitpid(b, NULL, 0);
        _exit(0);
    }
    show_wait("NPROC root child", c);
}

static void on_xcpu(int s) { (void)s; xcpu++; }

static void cpu(void)
{
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        /* A soft limit of 0 s is passed at once: SIGXCPU, and the soft limit moves on
         * by a second. A hard limit of 0 s then: SIGKILL. (Waiting for whole seconds of
         * CPU time would cost seconds of emulation.) */
        signal(SIGXCPU, on_xcpu);
        set(RLIMIT_CPU, 0, RLIM_INFINITY);
        int seen = 0;
        for (volatile unsigned long i = 0;; i++)
            if (xcpu != seen) {
                seen = xcpu;
                struct rlimit r;
                getrlimit(RLIMIT_CPU, &r);
                char line[64];
                int n = snprintf(line, sizeof line, "SIGXCPU %d, soft now %lu\n", seen, (unsigned long)r.rlim_cur);
                write(p[1], line, n);
                set(RLIMIT_CPU, 0, 0);
            }
    }
    close(p[1]);
    char out[256];
    long n = read(p[0], out, sizeof out - 1);
    out[n > 0 ? n : 0] = 0;
    printf("%s", out);
    show_wait("CPU child", c);
    close(p[0]);
}

static int depth(int n)
{
    volatile char pad[4096];
    pad[0] = (char)n;
    return n ? depth(n - 1) + pad[0] : 0;
}

static void stack(void)
{
    pid_t c = fork();
    if (c == 0) {
        set(RLIMIT_STACK, 256 << 10, 256 << 10);
        depth(200);   /* 800 KiB: past the limit */
        _exit(0);
    }
    show_wait("STACK 256 KiB, 800 KiB deep", c);
    c = fork();
    if (c == 0) {
        set(RLIMIT_STACK, 2 << 20, 2 << 20);
        depth(200);
        _exit(0);
    }
    show_wait("STACK 2 MiB, 800 KiB deep", c);
}

static void exec_keeps(const char *self)
{
    pid_t c = fork();
    if (c == 0) {
        set(RLIMIT_NOFILE, 33, 44);
        execl(self, self, "show", (char *)NULL);
        _exit(127);
    }
    show_wait("exec child", c);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "show")) {
        struct rlimit r;
        getrlimit(RLIMIT_NOFILE, &r);
        printf("after exec: NOFILE %lu/%lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
        /* /proc/self/limits: the header and the lines of limits this test set. */
        FILE *f = fopen("/proc/self/limits", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Limit ", 6) || !strncmp(line, "Max open files", 14) || !strncmp(line, "Max realtime timeout", 20))
                fputs(line, stdout);
        if (f) fclose(f);
        return 0;
    }
    const char *dir = argc > 1 ? argv[1] : ".";
    calls();
    nofile();
    memory();
    fsize(dir);
    nproc();
    cpu();
    stack();
    exec_keeps(argv[0]);
    return 0;
}
