/* The legacy vsyscall page: gettimeofday, time and getcpu called at their fixed
 * addresses, as old static binaries do; Linux emulates the calls (vsyscall=xonly).
 * A call elsewhere in the page is SIGSEGV. Prints only what is the same on every run:
 * that the calls returned, and that the time they gave agrees with time(). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef long (*gettimeofday_fn)(struct timeval *, struct timezone *);
typedef long (*time_fn)(time_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    printf("SIGSEGV (signal %d, code %d) for a call inside the page\n", sig, si->si_code);
    fflush(stdout);
    _exit(0);
}

int main(void)
{
    gettimeofday_fn vgtod = (gettimeofday_fn)0xffffffffff600000UL;
    time_fn vtime = (time_fn)0xffffffffff600400UL;
    getcpu_fn vgetcpu = (getcpu_fn)0xffffffffff600800UL;

    struct timeval tv = { 0, 0 };
    long r = vgtod(&tv, NULL);
    time_t now = time(NULL);
    printf("gettimeofday: %ld, agrees with time(): %s\n", r, tv.tv_sec <= now && now - tv.tv_sec < 5 ? "yes" : "no");
    time_t t2 = 0;
    long r2 = vtime(&t2);
    /* The kernel's time() is the coarse clock: up to a tick behind gettimeofday, so a
     * second behind when the calls straddle a second's boundary. */
    printf("time: returned == stored: %s, agrees: %s\n", r2 == (long)t2 ? "yes" : "no",
           t2 >= tv.tv_sec - 1 && t2 - tv.tv_sec < 5 ? "yes" : "no");
    printf("time(NULL) works: %s\n", vtime(NULL) >= tv.tv_sec - 1 ? "yes" : "no");
    unsigned cpu = 99, node = 99;
    long r3 = vgetcpu(&cpu, &node, NULL);
    printf("getcpu: %ld, cpu is a number: %s\n", r3, cpu < 4096 ? "yes" : "no");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    ((time_fn)0xffffffffff600100UL)(NULL);
    puts("no signal");
    return 1;
}
