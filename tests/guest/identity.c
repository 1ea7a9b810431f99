/* identity: process identity and limits, printed as booleans or as values
 * that are fixed for a run (the umask is set by the test driver). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    printf("getuid()==geteuid(): %d\n", getuid() == geteuid());
    printf("getgid()==getegid(): %d\n", getgid() == getegid());
    printf("getpid()>0: %d\n", getpid() > 0);
    printf("getppid()>0: %d\n", getppid() > 0);
    printf("getpid()!=getppid(): %d\n", getpid() != getppid());
    printf("gettid()==getpid(): %d\n", (long)syscall(SYS_gettid) == (long)getpid());
    printf("getpgrp()>0: %d\n", getpgrp() > 0);

    mode_t old = umask(022);
    mode_t back = umask(old);
    printf("umask(022) returned %03o\n", (unsigned)old);
    printf("umask(old) returned %03o\n", (unsigned)back);
    printf("umask restored: %d\n", umask(old) == old);

    struct rlimit rl;
    int r = getrlimit(RLIMIT_STACK, &rl);
    printf("getrlimit(RLIMIT_STACK) succeeds: %d\n", r == 0);
    if (r == 0)
        printf("RLIMIT_STACK soft <= hard: %d\n",
               rl.rlim_max == RLIM_INFINITY || (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= rl.rlim_max));
    else
        printf("getrlimit: %s\n", strerror(errno));
    r = getrlimit(RLIMIT_NOFILE, &rl);
    printf("getrlimit(RLIMIT_NOFILE) succeeds: %d\n", r == 0);
    if (r == 0)
        printf("RLIMIT_NOFILE soft >= 64: %d\n", rl.rlim_cur >= 64);

    long n = sysconf(_SC_NPROCESSORS_ONLN);
    printf("sysconf(_SC_NPROCESSORS_ONLN)>0: %d\n", n > 0);
    printf("sysconf(_SC_PAGESIZE): %ld\n", sysconf(_SC_PAGESIZE));

    cpu_set_t set;
    CPU_ZERO(&set);
    r = sched_getaffinity(0, sizeof set, &set);
    printf("sched_getaffinity succeeds: %d\n", r == 0);
    if (r == 0)
        printf("CPU_COUNT>0: %d\n", CPU_COUNT(&set) > 0);
    else
        printf("sched_getaffinity: %s\n", strerror(errno));
    return 0;
}
