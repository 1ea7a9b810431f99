/* A race between a timer's signal handler and the main loop: main keeps two counters
 * equal, one store at a time; the handler, run once by a one-shot ITIMER_REAL, looks
 * whether it interrupted main between the two stores. Which it finds depends on where
 * the timer fires, which on Linux is never exactly on time: it prints "torn" or "even"
 * and exits 0 either way. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

static volatile unsigned long a, b;
static volatile sig_atomic_t done, torn;

static void on_alarm(int sig)
{
    (void)sig;
    torn = a != b;
    done = 1;
}

int main(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 0 }, { 0, 1000 } };   /* once, after 1 ms */
    setitimer(ITIMER_REAL, &it, NULL);
    while (!done) {
        a = a + 1;
        b = b + 1;
    }
    puts(torn ? "torn" : "even");
    return 0;
}
