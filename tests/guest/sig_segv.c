/* sig_segv: SIGSEGV handling with SA_SIGINFO.  (a) write to a PROT_NONE page
 * -> SEGV_ACCERR, (b) read of an unmapped page -> SEGV_MAPERR, both leaving
 * the handler with siglongjmp (mask restored); (c) a handler that
 * mprotect()s the page read-write and returns, so the write is retried. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile sig_atomic_t got_code;
static void *volatile got_addr;
static void *volatile fix_page;
static volatile sig_atomic_t fix_count;
static int failures;

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

static void jump_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(env, 1);
}

static void fix_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fix_count++;
    got_code = si->si_code;
    got_addr = si->si_addr;
    if (mprotect(fix_page, 4096, PROT_READ | PROT_WRITE) != 0)
        _exit(3);
}

static const char *code_name(int c)
{
    return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

static int segv_blocked(void)
{
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    return sigismember(&cur, SIGSEGV);
}

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = jump_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }

    /* (a) write to a PROT_NONE page */
    char *p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    got_code = 0;
    got_addr = NULL;
    if (sigsetjmp(env, 1) == 0) {
        *(volatile char *)(p + 123) = 1;
        printf("case a: no fault: FAIL\n");
        failures++;
    } else {
        printf("case a: caught SIGSEGV, si_code=%s, si_addr==page+123: %s\n",
               code_name(got_code), got_addr == (void *)(p + 123) ? "yes" : "no");
        check("case a: si_code is SEGV_ACCERR", got_code == SEGV_ACCERR);
        check("case a: SIGSEGV unblocked after siglongjmp", !segv_blocked());
    }
    munmap(p, pg);

    /* (b) read of an unmapped page */
    char *q = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED || munmap(q, pg) != 0) {
        perror("mmap/munmap");
        return 1;
    }
    got_code = 0;
    got_addr = NULL;
    if (sigsetjmp(env, 1) == 0) {
        volatile char c = *(volatile char *)(q + 456);
        (void)c;
        printf("case b: no fault: FAIL\n");
        failures++;
    } else {
        printf("case b: caught SIGSEGV, si_code=%s, si_addr==page+456: %s\n",
               code_name(got_code), got_addr == (void *)(q + 456) ? "yes" : "no");
        check("case b: si_code is SEGV_MAPERR", got_code == SEGV_MAPERR);
        check("case b: SIGSEGV unblocked after siglongjmp", !segv_blocked());
    }

    /* (c) handler fixes the protection and returns: the write is retried */
    char *r = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    fix_page = r;
    fix_count = 0;
    sa.sa_sigaction = fix_handler;
    sigaction(SIGSEGV, &sa, NULL);
    *(volatile char *)(r + 789) = 77;
    printf("case c: handler ran %d time(s), si_code=%s, si_addr==page+789: %s, value after retry=%d\n",
           (int)fix_count, code_name(got_code), got_addr == (void *)(r + 789) ? "yes" : "no",
           *(volatile char *)(r + 789));
    check("case c: write retried after mprotect", fix_count == 1 && r[789] == 77);
    check("case c: SIGSEGV unblocked after handler return", !segv_blocked());
    munmap(r, pg);

    printf("failures: %d\n", failures);
    return failures != 0;
}
