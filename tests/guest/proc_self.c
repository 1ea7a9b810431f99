/* /proc/PID of the program itself and of its children, checked against what the
 * program knows (getpid, getppid, its descriptors, its argv): the same natively and
 * under uniemu, whose pids are its own. Run as root natively (oom_score_adj -1000).
 * Usage: proc_self [ARGS...] */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[16384];

/* The whole file at path into buf (NUL-terminated); its length or -errno. */
static int slurp_at(int dirfd, const char *path)
{
    int fd = openat(dirfd, path, O_RDONLY);
    if (fd < 0) return -errno;
    int n = 0, r;
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
    close(fd);
    buf[n] = 0;
    return n;
}
static int slurp(const char *path) { return slurp_at(AT_FDCWD, path); }

/* The number after "key:" in buf, or -1. */
static long field(const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\n%s:", key);
    const char *p = strstr(buf, k);
    if (!p && !strncmp(buf, k + 1, strlen(k + 1))) p = buf - 1;
    return p ? strtol(p + strlen(k), NULL, 0) : -1;
}

static const char *yes(int c) { return c ? "yes" : "NO"; }

static void check_stat(const char *path, int pid, int ppid)
{
    if (slurp(path) < 0) { printf("%s: %s\n", path, strerror(errno)); return; }
    int spid = -1, sppid = -1;
    char state = '?';
    const char *rp = strrchr(buf, ')');
    sscanf(buf, "%d", &spid);
    if (rp) sscanf(rp + 1, " %c %d", &state, &sppid);
    printf("stat: pid %s, ppid %s, state %c\n", yes(spid == pid), yes(sppid == ppid), state);
}

static void check_status(const char *path, int pid, int ppid)
{
    if (slurp(path) < 0) { printf("%s: %s\n", path, strerror(errno)); return; }
    printf("status: Pid %s, Tgid %s, PPid %s, Threads %ld, Uid %s, TracerPid %ld, State %s\n",
           yes(field("Pid") == pid), yes(field("Tgid") == pid), yes(field("PPid") == ppid), field("Threads"),
           yes(field("Uid") == (long)getuid()), field("TracerPid"), yes(strstr(buf, "State:\tR") != NULL));
    /* A blocked SIGUSR1 and an ignored SIGUSR2 show in their masks. */
    unsigned long long blk = 0, ign = 0;
    const char *p = strstr(buf, "SigBlk:");
    if (p) blk = strtoull(p + 7, NULL, 16);
    p = strstr(buf, "SigIgn:");
    if (p) ign = strtoull(p + 7, NULL, 16);
    printf("status: SIGUSR1 blocked %s, SIGUSR2 ignored %s\n", yes(blk & (1ULL << (SIGUSR1 - 1))),
           yes(ign & (1ULL << (SIGUSR2 - 1))));
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void list_numbers(const char *path)
{
    DIR *d = opendir(path);
    if (!d) { printf("ls %s: %s\n", path, strerror(errno)); return; }
    int v[256], n = 0, own = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9') v[n++] = atoi(e->d_name);
    closedir(d);
    qsort(v, n, sizeof v[0], cmp_int);
    printf("ls %s:", strncmp(path, "/proc/self", 10) ? "/proc/PID/..." : path);
    for (int i = 0; i < n; i++) {
        if (v[i] == own) printf(" (dir)");
        else if (v[i] == getpid()) printf(" (pid)");
        else printf(" %d", v[i]);
    }
    printf("\n");
}

static int write_str(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -errno;
    int r = write(fd, s, strlen(s)) < 0 ? -errno : 0;
    close(fd);
    return r;
}

int main(int argc, char **argv)
{
    int pid = getpid(), ppid = getppid();
    char path[128], link[256];
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGUSR2, SIG_IGN);

    check_stat("/proc/self/stat", pid, ppid);
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    check_stat(path, pid, ppid);
    check_status("/proc/self/status", pid, ppid);
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, pid);
    check_status(path, pid, ppid);
    check_status("/proc/thread-self/status", pid, ppid);

    /* comm is the program's name, cmdline its arguments. */
    slurp("/proc/self/comm");
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    printf("comm: %s\n", yes(!strncmp(buf, base, 15) && buf[strlen(buf) - 1] == '\n'));
    int n = slurp("/proc/self/cmdline");
    int want = 0;
    for (int i = 0; i < argc; i++) want += strlen(argv[i]) + 1;
    int same = n == want;
    for (int i = 0, at = 0; same && i < argc; at += strlen(argv[i]) + 1, i++) same = !strcmp(buf + at, argv[i]);
    printf("cmdline: %d args, same %s\n", argc, yes(same));

    /* The links. */
    n = readlink("/proc/self", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("readlink /proc/self: %s\n", yes(atoi(link) == pid && strspn(link, "0123456789") == strlen(link)));
    n = readlink("/proc/thread-self", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(path, sizeof path, "%d/task/%ld", pid, (long)syscall(SYS_gettid));
    printf("readlink /proc/thread-self: %s\n", yes(!strcmp(link, path)));
    struct stat st, st2;
    printf("stat /proc/self: dir %s; lstat: link %s\n", yes(stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode)),
           yes(lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode)));
    snprintf(path, sizeof path, "/proc/%d", pid);
    printf("stat /proc/PID: dir %s\n", yes(stat(path, &st) == 0 && S_ISDIR(st.st_mode)));

    /* Relative to an open /proc/PID directory, and to /proc. */
    int dfd = open(path, O_RDONLY | O_DIRECTORY);
    printf("open /proc/PID O_DIRECTORY: %s\n", yes(dfd >= 0));
    printf("fstat of it: dir %s\n", yes(fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode)));
    if (slurp_at(dfd, "status") > 0) printf("openat(dir, status): Pid %s\n", yes(field("Pid") == pid));
    else printf("openat(dir, status): %s\n", strerror(errno));
    close(dfd);
    int proc = open("/proc", O_RDONLY | O_DIRECTORY);
    snprintf(path, sizeof path, "%d/status", pid);
    if (slurp_at(proc, path) > 0) printf("openat(/proc, PID/status): Pid %s\n", yes(field("Pid") == pid));
    else printf("openat(/proc, PID/status): %s\n", strerror(errno));
    close(proc);
    printf("/proc/self/../self/status: %s\n", yes(slurp("/proc/self/../self/status") > 0 && field("Pid") == pid));

    /* The descriptors: exactly 0, 1, 2, the listing's own, and ours. */
    int a = open("/proc/self/exe", O_RDONLY);
    int b = dup2(a, 9);
    list_numbers("/proc/self/fd");
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    list_numbers(path);
    char exe[256];
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    snprintf(path, sizeof path, "/proc/self/fd/%d", b);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("readlink fd/9 is the program: %s\n", yes(!strcmp(link, exe)));
    snprintf(path, sizeof path, "/dev/fd/%d", b);
    fstat(b, &st);
    printf("stat /dev/fd/9 is fd 9: %s\n", yes(stat(path, &st2) == 0 && st.st_ino == st2.st_ino && st.st_dev == st2.st_dev));
    printf("open /proc/self/fd/7 (not open): %s\n", open("/proc/self/fd/7", O_RDONLY) < 0 ? strerror(errno) : "opened");
    close(b);
    close(a);
    list_numbers("/proc/self/task");

    /* /proc lists this process. */
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d))) if (atoi(e->d_name) == pid) found = 1;
    if (d) closedir(d);
    printf("/proc lists getpid(): %s\n", yes(found));

    /* oom_score_adj: written, read back, range-checked, inherited by a child. */
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", pid);
    printf("write -1000: %s\n", strerror(-write_str(path, "-1000")));
    slurp(path);
    printf("read back: %s", buf);
    slurp("/proc/self/oom_score");
    printf("oom_score at -1000: %s", buf);
    printf("write 1001: %s\n", strerror(-write_str(path, "1001")));
    printf("write -1001: %s\n", strerror(-write_str(path, "-1001")));
    printf("write junk: %s\n", strerror(-write_str(path, "12x")));
    printf("write \" 300\\n\": %s\n", strerror(-write_str(path, " 300\n")));
    slurp(path);
    printf("read back: %s", buf);
    int fds[2];
    pipe(fds);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        slurp("/proc/self/oom_score_adj");
        int inherited = atoi(buf);
        write_str("/proc/self/oom_score_adj", "100");
        slurp("/proc/self/oom_score_adj");
        printf("child: inherited %d, now %d, ppid %s\n", inherited, atoi(buf), yes(getppid() == pid));
        check_stat("/proc/self/stat", getpid(), pid);
        fflush(stdout);
        char ch;
        read(fds[0], &ch, 1);     /* until the parent has looked at this process */
        _exit(0);
    }
    snprintf(path, sizeof path, "/proc/%d/status", c);
    int seen = 0;
    for (int i = 0; i < 1000 && !seen; i++) {
        /* The child may not have run yet: wait for its own change. */
        char p2[64];
        snprintf(p2, sizeof p2, "/proc/%d/oom_score_adj", c);
        if (slurp(p2) > 0 && atoi(buf) == 100) seen = 1;
        else usleep(1000);
    }
    printf("child's oom_score_adj seen: %s\n", yes(seen));
    printf("/proc/CHILD/status: PPid %s\n", yes(slurp(path) > 0 && field("PPid") == pid && field("Pid") == c));
    slurp("/proc/self/oom_score_adj");
    printf("parent's still: %s", buf);
    write(fds[1], "x", 1);
    waitpid(c, NULL, 0);
    printf("/proc/CHILD/status after reaping: %s\n", slurp(path) < 0 ? strerror(errno) : "still there");
    snprintf(path, sizeof path, "/proc/%d/task/%d", pid, c);
    printf("/proc/PID/task/CHILD: %s\n", stat(path, &st) < 0 ? strerror(errno) : "exists");
    printf("restore 0: %s\n", strerror(-write_str("/proc/self/oom_score_adj", "0")));
    slurp("/proc/self/oom_score_adj");
    printf("read back: %s", buf);
    return 0;
}
