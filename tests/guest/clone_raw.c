/* Legacy clone(2) through the libc clone() wrapper creating a thread the libc
 * does not know about (CLONE_THREAD, PARENT_SETTID, CHILD_CLEARTID); the parent
 * waits on the CLEARTID futex. Then clone3 argument validation via raw
 * syscall(SYS_clone3, ...). The clone'd thread makes no libc calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct cl_args { /* struct clone_args (88 bytes) plus an extra tail word */
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
        set_tid, set_tid_size, cgroup, tail;
};

static volatile int shared[16];
static volatile long child_tid_seen, child_pid_seen;
static volatile pid_t tid_word;

static long raw0(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

static int thread_fn(void *arg)
{
    int base = (int)(intptr_t)arg;
    for (int i = 0; i < 16; i++)
        shared[i] = base + i * i;
    child_tid_seen = raw0(SYS_gettid);
    child_pid_seen = raw0(SYS_getpid);
    return 0;
}

static const char *ename(int e)
{
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case E2BIG: return "E2BIG";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EAGAIN: return "EAGAIN";
    default: return "other";
    }
}

static void try_clone3(const char *name, struct cl_args *a, size_t size)
{
    long r = syscall(SYS_clone3, a, size);
    if (r == 0)
        _exit(0); /* a child was created after all: leave at once */
    if (r > 0) {
        int st = 0;
        waitpid((pid_t)r, &st, 0);
        printf("%s: created child, %s %d\n", name, WIFEXITED(st) ? "exited" : "signal",
               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    } else {
        printf("%s: %s\n", name, ename(errno));
    }
}

int main(void)
{
    /* part 1: clone() thread */
    size_t ssz = 64 * 1024;
    char *stk = mmap(NULL, ssz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stk == MAP_FAILED) {
        printf("mmap failed\n");
        return 1;
    }
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    pid_t tid = clone(thread_fn, stk + ssz, flags, (void *)(intptr_t)1000, &tid_word, NULL, &tid_word);
    if (tid < 0) {
        printf("clone: %s\n", ename(errno));
        return 1;
    }
    for (pid_t v; (v = tid_word) != 0;)
        syscall(SYS_futex, &tid_word, FUTEX_WAIT, v, NULL, NULL, 0);
    munmap(stk, ssz);
    long sum = 0;
    for (int i = 0; i < 16; i++)
        sum += shared[i];
    printf("clone thread: shared sum=%ld, tid word cleared\n", sum);
    printf("clone thread: gettid %s clone result, getpid %s\n", child_tid_seen == tid ? "matches" : "differs from",
           child_pid_seen == getpid() ? "same process" : "DIFFERENT");

    /* part 2: clone3 argument checks */
    struct cl_args a;
    uint64_t set_tid_arr[1] = { 0 };
#define RESET() (memset(&a, 0, sizeof a), a.exit_signal = 17 /* SIGCHLD */)
    RESET();
    try_clone3("size 0", &a, 0);
    try_clone3("size 63", &a, 63);
    try_clone3("size 4097", &a, 4097);
    a.tail = 1;
    try_clone3("size 96 nonzero tail", &a, 96);
    a.tail = 0;
    try_clone3("size 96 zero tail", &a, 96);
    try_clone3("null args", NULL, 88);
    a.stack = (uint64_t)(uintptr_t)set_tid_arr;
    try_clone3("stack without size", &a, 88);
    RESET();
    a.stack_size = 65536;
    try_clone3("size without stack", &a, 88);
    RESET();
    a.flags = CLONE_THREAD | CLONE_VM;
    a.exit_signal = 0;
    try_clone3("CLONE_THREAD without CLONE_SIGHAND", &a, 88);
    RESET();
    a.flags = CLONE_SIGHAND;
    try_clone3("CLONE_SIGHAND without CLONE_VM", &a, 88);
    RESET();
    a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    try_clone3("CLONE_THREAD with exit_signal", &a, 88);
    RESET();
    a.flags = 1ULL << 40;
    try_clone3("unknown flag bit 40", &a, 88);
    RESET();
    a.flags = 17; /* CSIGNAL bits are not allowed in clone3 flags */
    try_clone3("CSIGNAL bits in flags", &a, 88);
    RESET();
    a.exit_signal = 65;
    try_clone3("exit_signal 65", &a, 88);
    RESET();
    a.set_tid = (uint64_t)(uintptr_t)set_tid_arr;
    try_clone3("set_tid with size 0", &a, 88);
    RESET();
    a.set_tid_size = 1;
    try_clone3("set_tid_size without set_tid", &a, 88);
    a.set_tid = (uint64_t)(uintptr_t)set_tid_arr;
    a.set_tid_size = 40;
    try_clone3("set_tid_size 40", &a, 88);
    RESET();
    try_clone3("plain fork-like", &a, 88);
    return 0;
}
