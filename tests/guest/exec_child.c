/* fork + execve of the program itself (via /proc/self/exe) with arguments and
 * an environment; close-on-exec descriptors are closed in the new image while
 * others stay open; vfork + _exit and vfork + execve. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *fd_state(int fd)
{
    errno = 0;
    int r = fcntl(fd, F_GETFD);
    if (r < 0)
        return errno == EBADF ? "closed (EBADF)" : "error";
    return (r & FD_CLOEXEC) ? "open, cloexec" : "open";
}

static int child_mode(int argc, char **argv)
{
    printf("child: argc=%d", argc);
    for (int i = 1; i < argc; i++)
        printf(" argv[%d]=%s", i, i < 3 ? argv[i] : "<fd>");
    printf("\n");
    int nenv = 0;
    for (char **e = environ; *e; e++)
        nenv++;
    const char *v = getenv("UNIEMU_TEST_VAR");
    printf("child: env count=%d UNIEMU_TEST_VAR=%s\n", nenv, v ? v : "(unset)");
    if (argc >= 5) {
        printf("child: cloexec fd %s\n", fd_state(atoi(argv[3])));
        printf("child: plain fd %s\n", fd_state(atoi(argv[4])));
    }
    fflush(stdout);
    return 7;
}

static void wait_print(const char *what, pid_t p)
{
    int st = 0;
    int r = waitpid(p, &st, 0);
    if (r < 0)
        printf("%s: wait failed\n", what);
    else if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", what, WTERMSIG(st));
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "child") == 0)
        return child_mode(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "quiet") == 0)
        return 3;

    int fd_ce = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd_plain = open("/dev/null", O_RDONLY);
    if (fd_ce < 0 || fd_plain < 0) {
        printf("open failed\n");
        return 1;
    }
    printf("parent: cloexec fd %s, plain fd %s\n", fd_state(fd_ce), fd_state(fd_plain));
    char a3[16], a4[16];
    snprintf(a3, sizeof a3, "%d", fd_ce);
    snprintf(a4, sizeof a4, "%d", fd_plain);
    char *cargv[] = { "exec_child", "child", "hello world", a3, a4, NULL };
    char *cenv[] = { "UNIEMU_TEST_VAR=forty-two", NULL };
    fflush(stdout);

    pid_t p = fork();
    if (p == 0) {
        execve("/proc/self/exe", cargv, cenv);
        printf("execve failed: %s\n", strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    wait_print("fork+execve", p);

    /* execve failure leaves the caller running */
    errno = 0;
    int r = execve("/nonexistent/program", cargv, cenv);
    printf("execve missing: %d %s\n", r, errno == ENOENT ? "ENOENT" : "?");

    volatile int touched = 0;
    p = vfork();
    if (p == 0) {
        touched = 1; /* vfork shares memory until _exit */
        _exit(5);
    }
    wait_print("vfork+_exit", p);
    printf("vfork: shared write %s\n", touched ? "seen" : "not seen");

    char *qargv[] = { "exec_child", "quiet", NULL };
    p = vfork();
    if (p == 0) {
        execve("/proc/self/exe", qargv, environ);
        _exit(126);
    }
    wait_print("vfork+execve", p);
    return 0;
}
