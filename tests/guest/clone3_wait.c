/* The seed's "second experiment": seed_clone3.c with flags = 0. The child is a
 * fork-like process with its own copy of memory, but it still gets the bogus
 * stack: the seed passes stack = block + 1 MiB and the kernel starts the child
 * at stack + stack_size = block + 2 MiB, i.e. 1 MiB past the end of the
 * malloc'd block, in unmapped memory. The child has to return through the libc
 * syscall() wrapper on that stack, faults on it, and dies of SIGSEGV before
 * printing anything.
 * The parent reaps it with wait4(-1, ...) and reports how it ended.
 * Expected output: "Parent process running" then "child killed by signal 11". */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int clone3_call(struct clone_args *args, size_t size)
{
    return (int)syscall(SYS_clone3, args, size);
}

void child_func(void *arg)
{
    (void)arg;
    printf("Child process running\n");
    exit(0);
}

int main(void)
{
    char *stack = malloc(1024 * 1024);
    if (!stack) {
        perror("malloc");
        return 1;
    }
    struct clone_args args = {
        .flags = 0,
        .exit_signal = SIGCHLD,
        .stack = (unsigned long long)(unsigned long)(stack + 1024 * 1024), /* the seed's bug */
        .stack_size = 1024 * 1024,
        .tls = 0,
    };
    /* no core file for the crashing child */
    struct rlimit nocore = { 0, 0 };
    setrlimit(RLIMIT_CORE, &nocore);
    fflush(stdout);
    int ret = clone3_call(&args, sizeof(args));
    if (ret < 0) {
        perror("clone3");
        return 1;
    }
    /* only the parent gets here: the child crashes returning from syscall() */
    printf("Parent process running\n");
    fflush(stdout);
    int status = 0;
    pid_t w = wait4(-1, &status, 0, NULL);
    if (w != ret) {
        printf("wait4 returned an unexpected value\n");
        return 1;
    }
    if (WIFSIGNALED(status))
        printf("child killed by signal %d\n", WTERMSIG(status));
    else if (WIFEXITED(status))
        printf("child exited %d\n", WEXITSTATUS(status));
    else
        printf("child status 0x%x\n", status);
    free(stack);
    return 0;
}
