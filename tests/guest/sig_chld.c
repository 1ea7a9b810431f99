/* sig_chld: SIGCHLD with SA_SIGINFO|SA_RESTART.  Four children are created one
 * at a time (each reaped before the next is forked, so no SIGCHLD can be
 * coalesced): three exit with codes 1..3, one kills itself with SIGTERM.
 * The handler records si_pid/si_code/si_status; the parent prints, per child,
 * the waitpid status and what the handler saw. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NCHILD 4

static volatile sig_atomic_t count;
static volatile pid_t rec_pid[16];
static volatile int rec_code[16], rec_status[16], rec_signo[16];
static int failures;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int n = count;
    if (n < 16) {
        rec_signo[n] = sig;
        rec_pid[n] = si->si_pid;
        rec_code[n] = si->si_code;
        rec_status[n] = si->si_status;
    }
    count = n + 1;
}

static const char *code_name(int c)
{
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "other";
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }

    pid_t pids[NCHILD];
    int status[NCHILD];
    int seen_after_wait[NCHILD];
    for (int i = 0; i < NCHILD; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            if (i < 3)
                _exit(i + 1);
            kill(getpid(), SIGTERM);
            _exit(99);
        }
        pids[i] = pid;
        pid_t w;
        do
            w = waitpid(pid, &status[i], 0);
        while (w < 0 && errno == EINTR);
        if (w != pid) {
            perror("waitpid");
            return 1;
        }
        seen_after_wait[i] = count;
    }

    printf("handler ran: %s, count=%d\n", count > 0 ? "yes" : "no", (int)count);
    for (int i = 0; i < NCHILD; i++) {
        int st = status[i];
        if (WIFEXITED(st))
            printf("child %d: waitpid: exited with %d", i, WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
            printf("child %d: waitpid: killed by signal %d%s", i, WTERMSIG(st),
                   WCOREDUMP(st) ? " (core)" : "");
        else
            printf("child %d: waitpid: status 0x%x", i, st);
        int found = -1;
        for (int k = 0; k < count && k < 16; k++)
            if (rec_pid[k] == pids[i])
                found = k;
        if (found < 0) {
            printf("; handler: no record\n");
            failures++;
            continue;
        }
        printf("; handler: record #%d signo=%s si_code=%s si_status=%d; handled before waitpid returned: %s\n",
               found, rec_signo[found] == SIGCHLD ? "SIGCHLD" : "other", code_name(rec_code[found]),
               rec_status[found], seen_after_wait[i] >= found + 1 ? "yes" : "no");
    }
    int ok = count == NCHILD;
    for (int i = 0; i < NCHILD && ok; i++)
        ok = rec_pid[i] == pids[i] &&
             (i < 3 ? rec_code[i] == CLD_EXITED && rec_status[i] == i + 1
                    : rec_code[i] == CLD_KILLED && rec_status[i] == SIGTERM);
    printf("all SIGCHLD records as expected: %s\n", ok ? "ok" : "FAIL");
    if (!ok)
        failures++;
    errno = 0;
    int r = (int)waitpid(-1, NULL, 0);
    int e = errno;
    printf("waitpid with no children: %d %s\n", r, e == ECHILD ? "ECHILD" : "other");
    return failures != 0;
}
