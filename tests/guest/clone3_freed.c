/* The race of the seed report, with the child started right: the child runs on a
 * proper stack (lowest address in clone_args.stack), but the parent frees that stack
 * right after clone3, without waiting. Depending on the interleaving the child
 * finishes first, or is still using its stack when it goes (and dies of SIGSEGV),
 * and the lines come out in either order. For `uniemu explore`; racy by design,
 * not compared with native. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)

static long raw_syscall3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
}

static void say(const char *s)
{
    raw_syscall3(SYS_write, 1, (long)s, (long)strlen(s));
}


/* Returns the child's pid (or -errno) in the parent; never returns in the child. */
static long clone3_run(struct clone_args *args, size_t size, void (*fn)(void *), void *arg)
{
    register void (*r12)(void *) __asm__("r12") = fn;
    register void *r13 __asm__("r13") = arg;
    long ret;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     /* child: fresh stack at stack + stack_size */
                     "xor %%ebp, %%ebp\n\t"
                     "and $-16, %%rsp\n\t"
                     "mov %%r13, %%rdi\n\t"
                     "call *%%r12\n\t"
                     "mov %[nr_exit], %%eax\n\t"
                     "xor %%edi, %%edi\n\t"
                     "syscall\n\t"
                     "hlt\n\t"
                     "1:"
                     : "=a"(ret)
                     : "a"((long)SYS_clone3), "D"(args), "S"(size), "r"(r12), "r"(r13),
                       [nr_exit] "i"(SYS_exit)
                     : "rcx", "r11", "memory");
    return ret;
}


/* Some work on the child's stack, so that the free can land in the middle of it. */
static void child_work(void *arg)
{
    volatile char buf[256];
    for (int i = 0; i < 256; i++) buf[i] = (char)i;
    say((const char *)arg);
    for (int i = 0; i < 256; i++) buf[i] ^= 1;
}

int main(void)
{
    /* mmap, so that freeing it really unmaps it (as malloc does for big blocks). */
    char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) return 1;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND;
    args.exit_signal = SIGCHLD;
    args.stack = (unsigned long long)stack;
    args.stack_size = STACK_SIZE;
    long pid = clone3_run(&args, sizeof args, child_work, "child ran\n");
    if (pid < 0) return 1;
    munmap(stack, STACK_SIZE);   /* the bug: the child may still be running on it */
    say("parent done\n");
    return 0;
}
