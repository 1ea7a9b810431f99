/* fork + the wait family: exit statuses, death by SIGKILL/SIGTERM (default
 * actions only), WNOHANG polling with wait4/waitpid, waitid(P_PID), getppid,
 * copy-on-write memory. Results are printed in child-index order, no pids. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NC 7
#define WAITID_CHILD 6

static int global_value = 100;

static void child(int idx, pid_t parent)
{
    switch (idx) {
    case 0: _exit(0);
    case 1: _exit(3);
    case 2: _exit(42);
    case 3: kill(getpid(), SIGKILL); _exit(99);
    case 4: raise(SIGTERM); _exit(98);
    case 5:
        global_value = 555;
        _exit(getppid() == parent && global_value == 555 ? 10 : 11);
    case 6: _exit(9);
    }
    _exit(97);
}

static void describe(char *buf, size_t n, int status)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exited %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, n, "status 0x%x", status);
}

int main(void)
{
    pid_t pids[NC], me = getpid();
    char res[NC][48];
    int reaped = 0;
    fflush(stdout);
    for (int i = 0; i < NC; i++) {
        pid_t p = fork();
        if (p < 0) {
            printf("fork failed: %s\n", strerror(errno));
            return 1;
        }
        if (p == 0)
            child(i, me);
        pids[i] = p;
        strcpy(res[i], "not reaped");
    }

    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, (id_t)pids[WAITID_CHILD], &si, WEXITED);
    if (r == 0 && si.si_pid == pids[WAITID_CHILD] && si.si_signo == SIGCHLD)
        snprintf(res[WAITID_CHILD], sizeof res[0], "waitid: code=%s status=%d",
                 si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status);
    else
        snprintf(res[WAITID_CHILD], sizeof res[0], "waitid failed");
    reaped++;

    int polls = 0;
    while (reaped < NC) {
        int status = 0;
        pid_t p;
        if (polls++ & 1) {
            struct rusage ru;
            p = wait4(-1, &status, WNOHANG, &ru);
        } else {
            p = waitpid(-1, &status, WNOHANG);
        }
        if (p < 0) {
            printf("wait failed: %s\n", strerror(errno));
            return 1;
        }
        if (p == 0) {
            sched_yield();
            continue;
        }
        int idx = -1;
        for (int i = 0; i < NC; i++)
            if (pids[i] == p)
                idx = i;
        if (idx < 0) {
            printf("unknown child reaped\n");
            return 1;
        }
        describe(res[idx], sizeof res[0], status);
        reaped++;
    }
    for (int i = 0; i < NC; i++)
        printf("child %d: %s\n", i, res[i]);

    errno = 0;
    r = waitpid(-1, NULL, WNOHANG);
    printf("no children left: %d %s\n", r, errno == ECHILD ? "ECHILD" : "?");
    printf("%s\n", strcmp(res[5], "exited 10") == 0 ? "ppid ok" : "ppid BAD");
    printf("parent global_value=%d\n", global_value);
    return 0;
}
