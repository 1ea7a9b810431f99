/* sig_default: default signal actions as seen by the parent through waitpid.
 * Children: (a) SIGUSR1 with no handler (terminate), (b) SIGUSR1 ignored,
 * (c) SIGCHLD (default: ignore), (d) SIGSTOP then SIGCONT from the parent
 * (WUNTRACED / WCONTINUED), (e) abort() with core dumps disabled, (f) SIGURG,
 * SIGWINCH and SIGCONT (default: ignore / continue). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void describe(char label, int st)
{
    if (WIFEXITED(st))
        printf("(%c) exited with %d\n", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("(%c) killed by signal %d (%s), core flag: %s\n", label, WTERMSIG(st),
               WTERMSIG(st) == SIGUSR1 ? "SIGUSR1" : WTERMSIG(st) == SIGABRT ? "SIGABRT" : "other",
               WCOREDUMP(st) ? "yes" : "no");
    else if (WIFSTOPPED(st))
        printf("(%c) stopped by signal %d (%s)\n", label, WSTOPSIG(st),
               WSTOPSIG(st) == SIGSTOP ? "SIGSTOP" : "other");
    else if (WIFCONTINUED(st))
        printf("(%c) continued\n", label);
    else
        printf("(%c) unknown status 0x%x\n", label, st);
}

static int gate[2];

static void child(char label)
{
    switch (label) {
    case 'a':
        raise(SIGUSR1);
        _exit(50);
    case 'b':
        signal(SIGUSR1, SIG_IGN);
        raise(SIGUSR1);
        _exit(0);
    case 'c':
        raise(SIGCHLD);
        _exit(0);
    case 'd': {
        raise(SIGSTOP);
        char c;
        /* wait until the parent has seen the WCONTINUED report */
        if (read(gate[0], &c, 1) != 1)
            _exit(51);
        _exit(5);
    }
    case 'e': {
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* also covers a piped core_pattern */
        abort();
    }
    case 'f':
        raise(SIGURG);
        raise(SIGWINCH);
        raise(SIGCONT);
        _exit(0);
    }
    _exit(52);
}

static pid_t spawn(char label)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0)
        child(label);
    return pid;
}

static int wait_st(pid_t pid, int flags)
{
    int st = 0;
    pid_t r = waitpid(pid, &st, flags);
    if (r != pid) {
        printf("waitpid failed\n");
        exit(1);
    }
    return st;
}

int main(void)
{
    for (const char *l = "abcdef"; *l; l++) {
        if (*l != 'd') {
            describe(*l, wait_st(spawn(*l), 0));
            continue;
        }
        if (pipe(gate) != 0)
            return 1;
        pid_t pid = spawn('d');
        close(gate[0]);
        describe('d', wait_st(pid, WUNTRACED));
        kill(pid, SIGCONT);
        describe('d', wait_st(pid, WCONTINUED));
        if (write(gate[1], "g", 1) != 1)
            return 1;
        close(gate[1]);
        describe('d', wait_st(pid, 0));
    }
    return 0;
}
