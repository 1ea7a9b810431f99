/* sig_kill_thread: pthread_kill delivers to the chosen thread; a
 * process-directed kill() goes to the only thread not blocking the signal;
 * a thread-directed signal stays with its (blocking) target thread; SIGKILL
 * terminates a child blocked in pause() even with all signals blocked. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NT 3

static volatile pid_t handler_tid;
static volatile sig_atomic_t handled;
static volatile pid_t tids[NT];
static volatile int ready, done;
static int failures;

static pid_t my_tid(void) { return (pid_t)syscall(SYS_gettid); }

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { 0, ms * 1000000L };
    nanosleep(&ts, NULL);
}

static void on_usr1(int sig)
{
    (void)sig;
    handler_tid = my_tid();
    handled++;
}

static void *worker(void *arg)
{
    int idx = (int)(long)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    tids[idx] = my_tid();
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&done, __ATOMIC_SEQ_CST))
        sleep_ms(1);
    return NULL;
}

static void wait_for(volatile int *v, int n)
{
    for (int i = 0; i < 5000 && __atomic_load_n(v, __ATOMIC_SEQ_CST) < n; i++)
        sleep_ms(1);
}

static void wait_handled(void)
{
    for (int i = 0; i < 5000 && !handled; i++)
        sleep_ms(1);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    /* 1: pthread_kill to worker 1 of 3 */
    pthread_t th[NT];
    for (int i = 0; i < NT; i++)
        pthread_create(&th[i], NULL, worker, (void *)(long)i);
    wait_for(&ready, NT);
    handled = 0;
    pthread_kill(th[1], SIGUSR1);
    wait_handled();
    printf("pthread_kill: handled %d, delivered to target: %s\n", (int)handled,
           handler_tid == tids[1] ? "yes" : "no");
    check("pthread_kill target", handled == 1 && handler_tid == tids[1]);
    done = 1;
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);

    /* 2: main blocks SIGUSR1, one worker does not: kill() goes to the worker */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    done = 0;
    ready = 0;
    pthread_t w;
    pthread_create(&w, NULL, worker, (void *)0L);
    wait_for(&ready, 1);
    handled = 0;
    kill(getpid(), SIGUSR1);
    wait_handled();
    printf("kill(getpid()) with main blocking: handled %d, ran on worker: %s\n", (int)handled,
           handler_tid == tids[0] ? "yes" : "no");
    check("process-directed signal to unblocked thread", handled == 1 && handler_tid == tids[0]);

    /* 3: thread-directed to main (blocked) is not taken by the worker */
    handled = 0;
    pthread_kill(pthread_self(), SIGUSR1);
    sleep_ms(10);
    sigset_t pend;
    sigpending(&pend);
    printf("pthread_kill(self) while blocked: handled after 10 ms: %d, pending: %s\n",
           (int)handled, sigismember(&pend, SIGUSR1) ? "yes" : "no");
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    printf("after unblock: handled %d, ran on main: %s\n", (int)handled,
           handler_tid == my_tid() ? "yes" : "no");
    done = 1;
    pthread_join(w, NULL);

    /* 4: SIGKILL cannot be caught, ignored or blocked */
    errno = 0;
    int r = sigaction(SIGKILL, &sa, NULL);
    int e = errno;
    printf("sigaction(SIGKILL): %d %s\n", r, e == EINVAL ? "EINVAL" : "other");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        for (;;)
            pause();
    }
    sleep_ms(10);
    kill(pid, SIGKILL);
    int st = 0;
    pid_t got = waitpid(pid, &st, 0);
    printf("child in pause(): waitpid ok: %s, signaled: %s, WTERMSIG %d\n", got == pid ? "yes" : "no",
           WIFSIGNALED(st) ? "yes" : "no", WIFSIGNALED(st) ? WTERMSIG(st) : -1);

    printf("failures: %d\n", failures);
    return failures != 0;
}
