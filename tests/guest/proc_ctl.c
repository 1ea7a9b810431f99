/* Process controls read back as set: prctl (name in /proc/self/comm and the thread's
 * comm, parent-death signal, child subreaper adoption, no_new_privs, dumpable, timer
 * slack, tid address, unknown options), personality, scheduling policies and
 * priorities, nice values, affinity, CPU time of waited-for children, execveat, and
 * the refusals of mount, chroot, setns and unshare for an unprivileged process.
 * Prints only what Linux determines (no pids, no times, no host CPU count). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS 40
#endif

static void show(const char *what, long r)
{
    if (r < 0) printf("%-52s -1 %s\n", what, strerror(errno));
    else printf("%-52s %ld\n", what, r);
}
#define T(call) show(#call, (long)(call))

static void cat(const char *path)
{
    char buf[64] = { 0 };
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    printf("%s: %s", strstr(path, "task") ? "task comm" : path, n > 0 ? buf : "(none)\n");
}

static volatile sig_atomic_t got_sig;
static void on_sig(int s) { got_sig = s; }

static void burn(void)
{
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 20000000; i++) x += i;
}

static void prctl_cases(void)
{
    printf("-- prctl\n");
    char name[32];
    T(prctl(PR_SET_NAME, "renamed-task-with-long-name"));
    memset(name, 0, sizeof name);
    T(prctl(PR_GET_NAME, name));
    printf("name: %s\n", name);
    cat("/proc/self/comm");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", (long)syscall(SYS_gettid));
    cat(path);
    T(prctl(PR_SET_NAME, (char *)8));
    T(prctl(PR_GET_NAME, (char *)8));
    int v = -1;
    T(prctl(PR_SET_PDEATHSIG, 65));
    T(prctl(PR_SET_PDEATHSIG, SIGUSR1));
    T(prctl(PR_GET_PDEATHSIG, &v));
    printf("pdeathsig %d\n", v);
    T(prctl(PR_SET_PDEATHSIG, 0));
    T(prctl(PR_GET_DUMPABLE));
    T(prctl(PR_SET_DUMPABLE, 2));
    T(prctl(PR_SET_DUMPABLE, 0));
    T(prctl(PR_GET_DUMPABLE));
    T(prctl(PR_SET_DUMPABLE, 1));
    T(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    T(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
    T(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    T(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
    T(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    T(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    T(prctl(PR_GET_TIMERSLACK));
    T(prctl(PR_SET_TIMERSLACK, 123456));
    T(prctl(PR_GET_TIMERSLACK));
    T(prctl(PR_SET_TIMERSLACK, 0));
    T(prctl(PR_GET_TIMERSLACK));
    T(prctl(PR_GET_CHILD_SUBREAPER, &v));
    printf("subreaper %d\n", v);
    T(prctl(PR_GET_CHILD_SUBREAPER, (int *)8));
    T(prctl(PR_GET_SECCOMP));
    T(prctl(PR_GET_TIMING));
    T(prctl(PR_SET_TIMING, 1));
    T(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
    T(prctl(PR_SET_THP_DISABLE, 0, 1, 0, 0));
    T(prctl(12345));
    T(prctl(-1));
    T(prctl(PR_GET_TSC, &v));
    printf("tsc mode %d\n", v);
    T(prctl(PR_SET_TSC, 3));
    pid_t c = fork();
    if (c == 0) {
        prctl(PR_SET_TSC, PR_TSC_SIGSEGV);
        unsigned lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        _exit(lo == hi ? 5 : 6);
    }
    int st;
    waitpid(c, &st, 0);
    printf("rdtsc after PR_TSC_SIGSEGV: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "ran");
    int *tidaddr = NULL;
    T(prctl(PR_GET_TID_ADDRESS, &tidaddr));
    printf("tid address set: %d\n", tidaddr != NULL);
}

/* A child that dies leaves its own child to the subreaper (this process), which then
 * reaps it; a child with a parent-death signal gets it when its parent dies. */
static void reaper_cases(void)
{
    printf("-- subreaper and pdeathsig\n");
    T(prctl(PR_SET_CHILD_SUBREAPER, 1));
    int v = 0;
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    printf("subreaper now %d\n", v);
    pid_t me = getpid();
    int pfd[2];
    pipe(pfd);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t grand = fork();
        if (grand == 0) {
            close(pfd[0]);
            signal(SIGUSR2, on_sig);
            prctl(PR_SET_PDEATHSIG, SIGUSR2);
            write(pfd[1], "r", 1);   /* ready */
            for (int i = 0; i < 2000 && (got_sig == 0 || getppid() != me); i++) usleep(1000);
            char msg[2] = { got_sig == SIGUSR2 ? 'S' : 's', getppid() == me ? 'P' : 'p' };
            write(pfd[1], msg, 2);
            _exit(7);
        }
        char c;
        read(pfd[0], &c, 1);
        _exit(3);
    }
    close(pfd[1]);
    int st;
    waitpid(mid, &st, 0);
    printf("middle exited %d\n", WEXITSTATUS(st));
    char buf[3] = { 0 };
    read(pfd[0], buf, 1);
    read(pfd[0], buf, 2);
    printf("grandchild: pdeathsig %s, adopted by subreaper %s\n", buf[0] == 'S' ? "yes" : "no", buf[1] == 'P' ? "yes" : "no");
    pid_t w = wait(&st);
    printf("subreaper reaped it: %d status %d\n", w > 0, WEXITSTATUS(st));
    T(wait(&st));
    close(pfd[0]);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void sched_cases(void)
{
    printf("-- sched\n");
    struct sched_param sp = { 0 };
    T(sched_getscheduler(0));
    T(sched_getscheduler(-1));
    T(sched_getscheduler(999999));
    T(sched_get_priority_max(SCHED_FIFO));
    T(sched_get_priority_min(SCHED_FIFO));
    T(sched_get_priority_max(SCHED_OTHER));
    T(sched_get_priority_min(SCHED_BATCH));
    T(sched_get_priority_max(77));
    T(sched_getparam(0, &sp));
    printf("priority %d\n", sp.sched_priority);
    T(syscall(SYS_sched_getparam, 0, NULL));
    T(sched_getparam(-1, &sp));
    sp.sched_priority = 5;
    T(sched_setscheduler(0, SCHED_OTHER, &sp));
    T(sched_setscheduler(0, 99, &sp));
    sp.sched_priority = 100;
    T(sched_setscheduler(0, SCHED_RR, &sp));
    sp.sched_priority = 0;
    T(sched_setscheduler(0, SCHED_RR, &sp));
    T(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
    T(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)8));
    sp.sched_priority = 0;
    T(sched_setscheduler(0, SCHED_BATCH, &sp));
    T(sched_getscheduler(0));
    T(sched_setscheduler(0, SCHED_IDLE, &sp));
    T(sched_getscheduler(0));
    T(sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &sp));
    T(sched_getscheduler(0));
    T(sched_setscheduler(0, SCHED_OTHER, &sp));
    T(sched_getscheduler(0));
    T(sched_getparam(1, &sp));
    pid_t z = fork();
    if (z == 0) _exit(0);
    sp.sched_priority = 0;
    T(sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &sp));
    usleep(20000);   /* the child is a zombie now */
    T(sched_getscheduler(z));
    T(sched_getparam(z, &sp));
    waitpid(z, NULL, 0);
    T(sched_getscheduler(z));
    struct { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t prio; uint64_t runtime, deadline, period; uint32_t umin, umax; } at;
    memset(&at, 0, sizeof at);
    at.size = 48; at.policy = 6; at.runtime = 10; at.deadline = 5;
    T(syscall(SYS_sched_setattr, 0, &at, 0));
    at.size = 48; at.policy = SCHED_BATCH; at.nice = 3; at.runtime = at.deadline = 0;
    T(syscall(SYS_sched_setattr, 0, &at, 1));
    T(syscall(SYS_sched_setattr, 0, &at, 0));
    memset(&at, 0, sizeof at);
    T(syscall(SYS_sched_getattr, 0, &at, sizeof at, 0));
    printf("getattr: size %u policy %u nice %d prio %u\n", at.size, at.policy, at.nice, at.prio);
    T(syscall(SYS_sched_getattr, 0, &at, 20, 0));
    T(syscall(SYS_sched_getattr, 0, &at, sizeof at, 1));
    T(getpriority(PRIO_PROCESS, 0));
    T(setpriority(PRIO_PROCESS, 0, 0));
    sp.sched_priority = 0;
    T(sched_setscheduler(0, SCHED_OTHER, &sp));
    pid_t me = getpid();
    z = fork();
    if (z == 0) {
        if (setuid(65534)) _exit(1);
        T(setpriority(PRIO_PROCESS, me, 5));
        T(setpriority(PRIO_PROCESS, 0, 5));
        T(setpriority(PRIO_PROCESS, 0, 3));
        T(sched_setparam(me, &sp));
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        T(sched_setaffinity(me, sizeof one, &one));
        sp.sched_priority = 1;
        T(sched_setscheduler(0, SCHED_FIFO, &sp));
        _exit(0);
    }
    waitpid(z, NULL, 0);
    struct timespec ts = { 9, 9 };
    T(sched_rr_get_interval(-1, &ts));
    T(sched_rr_get_interval(999999, &ts));
    T(setpriority(PRIO_PROCESS, 0, 5));
    errno = 0;
    T(getpriority(PRIO_PROCESS, 0));
    T(syscall(SYS_getpriority, PRIO_PROCESS, 0));
    T(setpriority(PRIO_PROCESS, 0, 40));
    T(getpriority(PRIO_PROCESS, 0));
    T(setpriority(7, 0, 1));
    T(getpriority(7, 0));
    T(setpriority(PRIO_PROCESS, 999999, 1));
    T(nice(0));
    T(setpriority(PRIO_PROCESS, 0, 0));
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    T(sched_setaffinity(0, sizeof set, &set));
    CPU_ZERO(&set);
    T(sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1);
    T(CPU_ISSET(0, &set));
    T(syscall(SYS_sched_getaffinity, 0, 3, &set));
    T(sched_getaffinity(999999, sizeof set, &set));
    CPU_ZERO(&set);
    T(sched_setaffinity(0, sizeof set, &set));
    T(sched_setaffinity(0, sizeof set, (cpu_set_t *)8));
}

static void personality_cases(void)
{
    printf("-- personality\n");
    T(personality(0xffffffff));
    T(personality(PER_LINUX | ADDR_NO_RANDOMIZE));
    T(personality(0xffffffff));
    T(personality(PER_LINUX));
    T(personality(0xffffffff));
}

static void usage_cases(void)
{
    printf("-- rusage\n");
    struct rusage ru;
    T(getrusage(5, &ru));
    T(getrusage(RUSAGE_CHILDREN, &ru));
    pid_t c = fork();
    if (c == 0) { burn(); _exit(0); }
    struct rusage cru;
    int st;
    wait4(c, &st, 0, &cru);
    printf("wait4 rusage of busy child > 0: %d\n", cru.ru_utime.tv_sec > 0 || cru.ru_utime.tv_usec > 0);
    getrusage(RUSAGE_CHILDREN, &ru);
    printf("children after > 0: %d\n", ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0);
    struct tms tm;
    T(times(&tm) != (clock_t)-1);
    burn();
    getrusage(RUSAGE_SELF, &ru);
    printf("self > 0: %d\n", ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0);
    getrusage(RUSAGE_THREAD, &ru);
    printf("thread > 0: %d\n", ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0);
}

static void wait_cases(void)
{
    printf("-- wait\n");
    siginfo_t si;
    int fd = open("/", O_RDONLY);
    T(waitid(P_ALL, 0, &si, 0));
    T(waitid(P_ALL, 0, &si, 0x12345678));
    T(waitid(P_PID, 0, &si, WEXITED));
    T(waitid(P_PGID, -1, &si, WEXITED));
    T(waitid(7, 0, &si, WEXITED));
    T(waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
    T(waitid((idtype_t)3, fd, &si, WEXITED));
    T(waitid((idtype_t)3, 500, &si, WEXITED));
    T(waitpid(-1, NULL, 0x40000));
    T(waitpid(-1, NULL, WNOHANG));
    T(wait4(-1, NULL, 0, NULL));
    close(fd);
}

static void refusal_cases(void)
{
    printf("-- as nobody: mount, chroot, setns, unshare\n");
    pid_t c = fork();
    if (c == 0) {
        if (setgid(65534) || setuid(65534)) { perror("setuid"); _exit(1); }
        T(mount("none", "/tmp", "tmpfs", 0, NULL));
        T(mount("none", "/nonexistent-dir", "tmpfs", 0, NULL));
        T(mount("none", "/tmp", (char *)8, 0, NULL));
        T(umount2("/tmp", 0));
        T(umount2("/tmp", 0x100));
        T(umount2("/nonexistent-dir", 0));
        T(chroot("/"));
        T(chroot("/nonexistent-dir"));
        T(chroot("/etc/passwd"));
        T(chroot("/root"));
        T(syscall(SYS_pivot_root, "/", "/"));
        T(setns(500, 0));
        T(setns(0, 0));
        T(unshare(CLONE_NEWNS));
        T(unshare(CLONE_NEWUTS));
        T(unshare(CLONE_NEWIPC));
        T(unshare(CLONE_FILES | CLONE_FS));
        T(unshare(0x1000));
        T(unshare(0));
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "execveat-child")) {
        printf("execveat child: argv0 %s comm ", argv[0]);
        cat("/proc/self/comm");
        return 9;
    }
    prctl_cases();
    reaper_cases();
    sched_cases();
    personality_cases();
    usage_cases();
    wait_cases();
    refusal_cases();

    printf("-- execveat\n");
    char *args[] = { "child-name", "execveat-child", NULL };
    char *env[] = { NULL };
    T(syscall(SYS_execveat, AT_FDCWD, "", args, env, 0));
    T(syscall(SYS_execveat, AT_FDCWD, "x", args, env, 0x1));
    T(syscall(SYS_execveat, 500, "x", args, env, 0));
    T(syscall(SYS_execveat, AT_FDCWD, "/nonexistent", args, env, 0));
    pid_t c = fork();
    if (c == 0) {
        int fd = open("/proc/self/exe", O_RDONLY);
        syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
        perror("execveat");
        _exit(1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("by fd: status %d\n", WEXITSTATUS(st));
    c = fork();
    if (c == 0) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0) _exit(1);
        self[n] = 0;
        char *slash = strrchr(self, '/');
        *slash = 0;
        int dfd = open(self, O_RDONLY | O_DIRECTORY);
        syscall(SYS_execveat, dfd, slash + 1, args, env, 0);
        perror("execveat");
        _exit(1);
    }
    waitpid(c, &st, 0);
    printf("relative to dirfd: status %d\n", WEXITSTATUS(st));
    return 0;
}
