/* sig_context: signal frames and ucontext.  SIGILL from ud2 (si_code, si_addr,
 * handler edits RAX and skips the instruction via REG_RIP), SIGFPE from
 * integer division (left with siglongjmp), SIGTRAP from int3 (returns
 * normally), and preservation of xmm registers and MXCSR across a handler
 * that does its own floating-point work. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int got_code;
static void *volatile got_addr;
static volatile uintptr_t got_rip;
static volatile double handler_result;
static volatile uintptr_t fpe_site; /* memory, so it survives siglongjmp */
static int failures;

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

static void install(int sig, void (*h)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void ill_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    got_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uc->uc_mcontext.gregs[REG_RAX] = 42;
    uc->uc_mcontext.gregs[REG_RIP] += 2; /* skip ud2 */
}

static void fpe_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    got_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    siglongjmp(env, 1);
}

static void trap_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    got_code = si->si_code;
    got_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

static void fp_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)si;
    (void)ucv;
    volatile double a = sig, b = 0.5;
    double acc = 0;
    for (int i = 0; i < 10; i++)
        acc = acc * b + a / (i + 1.0);
    handler_result = acc;
    uint64_t junk = 0x7ff8dead0000beefULL;
    uint32_t csr = 0x7f80; /* round toward zero + all exceptions masked */
    __asm__ volatile("movq %0, %%xmm8\n\tmovq %0, %%xmm0\n\tldmxcsr %1"
                     :: "r"(junk), "m"(csr) : "xmm0", "xmm8");
}

static int fpe_case(const char *name, int dividend, int divisor)
{
    got_code = 0;
    fpe_site = 0;
    if (sigsetjmp(env, 1) == 0) {
        int q;
        __asm__ volatile("lea 1f(%%rip), %%rdx\n\tmov %%rdx, %1\n\tcltd\n1:\tidivl %3"
                         : "=a"(q), "=m"(fpe_site) : "a"(dividend), "r"(divisor) : "rdx", "cc");
        printf("%s: no SIGFPE (q=%d): FAIL\n", name, q);
        failures++;
        return 0;
    }
    uintptr_t site = fpe_site;
    printf("%s: SIGFPE si_code=%s, si_addr==idiv: %s, RIP==idiv: %s\n", name,
           got_code == FPE_INTDIV ? "FPE_INTDIV" : got_code == FPE_INTOVF ? "FPE_INTOVF" : "other",
           (uintptr_t)got_addr == site ? "yes" : "no", got_rip == site ? "yes" : "no");
    return got_code == FPE_INTDIV && (uintptr_t)got_addr == site && got_rip == site;
}

int main(void)
{
    /* SIGILL: ud2, handler sets RAX=42 and skips the 2-byte instruction */
    install(SIGILL, ill_handler);
    uintptr_t site;
    int out;
    __asm__ volatile("lea 1f(%%rip), %1\n\tmov $1, %%eax\n1:\tud2\n\tmov %%eax, %0"
                     : "=r"(out), "=&r"(site) : : "rax", "memory");
    printf("SIGILL: si_code=%s, si_addr==ud2: %s, RIP==ud2: %s, eax after return=%d\n",
           got_code == ILL_ILLOPN ? "ILL_ILLOPN" : "other", (uintptr_t)got_addr == site ? "yes" : "no",
           got_rip == site ? "yes" : "no", out);
    check("SIGILL context edit", got_code == ILL_ILLOPN && (uintptr_t)got_addr == site && out == 42);

    /* SIGFPE: division by zero and INT_MIN / -1, left with siglongjmp */
    install(SIGFPE, fpe_handler);
    check("divide by zero", fpe_case("1/0", 1, 0));
    check("INT_MIN / -1", fpe_case("INT_MIN/-1", INT32_MIN, -1));
    volatile int num = 7, den = 0;
    got_code = 0;
    if (sigsetjmp(env, 1) == 0) {
        printf("C division: no SIGFPE (%d): FAIL\n", num / den);
        failures++;
    } else {
        check("C division by volatile zero -> FPE_INTDIV", got_code == FPE_INTDIV);
    }

    /* SIGTRAP: int3, handler returns, RIP already past the int3 */
    install(SIGTRAP, trap_handler);
    uintptr_t after;
    got_code = -1;
    __asm__ volatile("lea 1f(%%rip), %0\n\tint3\n1:" : "=r"(after) : : "memory");
    printf("SIGTRAP: si_code=%d, RIP==after int3: %s\n", got_code, got_rip == after ? "yes" : "no");
    check("SIGTRAP si_code is SI_KERNEL", got_code == SI_KERNEL);

    /* xmm8 / xmm0 / MXCSR preserved across a handler that clobbers them */
    install(SIGUSR1, fp_handler);
    volatile double x = 1.1;
    double before = x * x + 0.25;
    uint64_t in8 = 0x400921fb54442d18ULL, out8 = 0; /* pi */
    uint32_t csr_before = 0, csr_after = 0;
    long pid = getpid();
    __asm__ volatile("stmxcsr %[cb]\n\t"
                     "movq %[in], %%xmm8\n\t"
                     "mov %[nr], %%eax\n\tmov %[pid], %%rdi\n\tmov %[sig], %%esi\n\tsyscall\n\t"
                     "movq %%xmm8, %[out]\n\t"
                     "stmxcsr %[ca]"
                     : [out] "=r"(out8), [cb] "=m"(csr_before), [ca] "=m"(csr_after)
                     : [in] "r"(in8), [nr] "i"(SYS_kill), [pid] "r"(pid), [sig] "i"(SIGUSR1)
                     : "rax", "rdi", "rsi", "rcx", "r11", "xmm8", "memory");
    double after_d = x * x + 0.25;
    printf("handler computed %.6f\n", handler_result);
    check("xmm8 preserved across handler", out8 == in8);
    check("MXCSR preserved across handler", csr_before == csr_after);
    check("double computation unaffected", before == after_d && before > 1.459 && before < 1.461);

    printf("failures: %d\n", failures);
    return failures != 0;
}
