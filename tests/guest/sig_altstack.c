/* sig_altstack: sigaltstack with a malloc'd stack.  A SA_ONSTACK handler must
 * run on it (local variable inside it, sigaltstack reports SS_ONSTACK); a
 * handler without SA_ONSTACK runs on the normal stack; a stack overflow from
 * infinite recursion is caught on the alternate stack and left with
 * siglongjmp; finally the alternate stack is disabled. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALT_SIZE (256 * 1024)

static char *alt_base;
static sigjmp_buf env;
static volatile sig_atomic_t ran, on_alt, ss_onstack, ss_flags_seen, segv_on_alt;
static volatile int keep_going = 1;
static int failures;

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

static int in_alt(const void *p)
{
    return (const char *)p >= alt_base && (const char *)p < alt_base + ALT_SIZE;
}

static void usr1_handler(int sig)
{
    volatile int local = sig;
    stack_t cur;
    ran++;
    on_alt = in_alt((const void *)&local);
    if (sigaltstack(NULL, &cur) == 0) {
        ss_flags_seen = cur.ss_flags;
        ss_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
    }
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
    volatile int local = sig;
    (void)si;
    (void)uc;
    segv_on_alt = in_alt((const void *)&local);
    siglongjmp(env, 1);
}

static int recurse(int n)
{
    volatile char buf[1024];
    buf[0] = (char)n;
    buf[sizeof buf - 1] = (char)n;
    if (!keep_going)
        return buf[0];
    return recurse(n + 1) + buf[0] + buf[sizeof buf - 1];
}

static void install(int sig, void (*h)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigaction");
        exit(1);
    }
}

int main(void)
{
    stack_t ss, old;

    if (sigaltstack(NULL, &old) == 0)
        printf("initial altstack: %s\n", old.ss_flags & SS_DISABLE ? "SS_DISABLE" : "enabled");
    alt_base = malloc(ALT_SIZE);
    if (!alt_base)
        return 1;
    ss.ss_sp = alt_base;
    ss.ss_size = ALT_SIZE;
    ss.ss_flags = 0;
    check("sigaltstack install", sigaltstack(&ss, NULL) == 0);
    if (sigaltstack(NULL, &old) == 0) {
        check("query: ss_sp matches", old.ss_sp == alt_base);
        check("query: ss_size matches", old.ss_size == ALT_SIZE);
        check("query: flags 0 outside handler", old.ss_flags == 0);
    }

    /* handler with SA_ONSTACK */
    install(SIGUSR1, usr1_handler, SA_ONSTACK);
    ran = on_alt = ss_onstack = 0;
    raise(SIGUSR1);
    printf("SA_ONSTACK handler: ran=%d on alt stack: %s, SS_ONSTACK reported: %s\n", (int)ran,
           on_alt ? "yes" : "no", ss_onstack ? "yes" : "no");
    check("SA_ONSTACK handler on alternate stack", ran == 1 && on_alt && ss_onstack);

    /* same handler without SA_ONSTACK, sent with kill() */
    install(SIGUSR1, usr1_handler, 0);
    ran = on_alt = ss_onstack = 0;
    kill(getpid(), SIGUSR1);
    printf("plain handler: ran=%d on alt stack: %s, SS_ONSTACK reported: %s, flags=%d\n", (int)ran,
           on_alt ? "yes" : "no", ss_onstack ? "yes" : "no", (int)ss_flags_seen);
    check("plain handler on normal stack", ran == 1 && !on_alt && !ss_onstack);

    /* stack overflow caught on the alternate stack */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    segv_on_alt = 0;
    if (sigsetjmp(env, 1) == 0) {
        int r = recurse(0);
        printf("recursion returned %d: FAIL\n", r);
        failures++;
    } else {
        printf("overflow caught, handler on alt stack: %s\n", segv_on_alt ? "yes" : "no");
        check("overflow handler on alternate stack", segv_on_alt);
    }
    if (sigaltstack(NULL, &old) == 0)
        check("after siglongjmp: not SS_ONSTACK", (old.ss_flags & SS_ONSTACK) == 0);

    /* altstack still usable after the overflow */
    install(SIGUSR1, usr1_handler, SA_ONSTACK);
    ran = on_alt = 0;
    raise(SIGUSR1);
    check("SA_ONSTACK handler again after overflow", ran == 1 && on_alt);

    /* disable */
    ss.ss_flags = SS_DISABLE;
    ss.ss_sp = NULL;
    ss.ss_size = 0;
    check("sigaltstack disable", sigaltstack(&ss, NULL) == 0);
    if (sigaltstack(NULL, &old) == 0)
        printf("final altstack: %s\n", old.ss_flags & SS_DISABLE ? "SS_DISABLE" : "enabled");
    ran = on_alt = 0;
    raise(SIGUSR1);
    check("SA_ONSTACK handler with disabled altstack runs on normal stack", ran == 1 && !on_alt);
    free(alt_base);
    printf("failures: %d\n", failures);
    return failures != 0;
}
