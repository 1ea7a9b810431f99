/* Corrected version of seed_clone3.c. Fixes:
 *  - clone_args.stack is the LOWEST address of the stack block; the kernel
 *    starts the child with rsp = stack + stack_size.
 *  - the child cannot return through the libc syscall() wrapper on a fresh
 *    stack, so clone3 is issued from an inline-asm trampoline: in the child
 *    (rax == 0) it aligns the stack, calls child_func and then issues the raw
 *    exit syscall.
 *  - the child never uses stdio or exit(): it shares memory (CLONE_VM) with the
 *    parent, so it writes with a raw write syscall and leaves with SYS_exit.
 *  - the parent waits for the child before freeing the stack.
 * Output: "Child process running" and "Parent process running", in a RACY order
 * by default (the parent prints before waiting). With argv[1] == "sorted" the
 * parent waits first, so the order is deterministic (child first). Exit 0. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

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

static void child_func(void *arg)
{
    say((const char *)arg);
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

int main(int argc, char **argv)
{
    int sorted = argc > 1 && strcmp(argv[1], "sorted") == 0;
    char *stack = malloc(STACK_SIZE);
    if (!stack) {
        perror("malloc");
        return 1;
    }
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND;
    args.exit_signal = SIGCHLD;
    args.stack = (unsigned long long)(unsigned long)stack; /* lowest address */
    args.stack_size = STACK_SIZE;

    fflush(stdout);
    long pid = clone3_run(&args, sizeof args, child_func, "Child process running\n");
    if (pid < 0) {
        fprintf(stderr, "clone3: %s\n", strerror((int)-pid));
        return 1;
    }
    if (!sorted)
        say("Parent process running\n");
    int status = 0;
    if (waitpid((pid_t)pid, &status, 0) != (pid_t)pid) {
        perror("waitpid");
        return 1;
    }
    if (sorted)
        say("Parent process running\n");
    free(stack);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child status 0x%x\n", status);
        return 1;
    }
    return 0;
}
