/* Unmasked floating-point exceptions raise SIGFPE, as on Linux. SSE: the faulting
 * instruction itself (#XM): si_addr and the saved RIP are its address, its result is
 * not written, the flag is set in the saved MXCSR; the handler masks the exception in
 * the saved MXCSR and the instruction runs again. x87: the exception is pending and
 * raised by the next waiting x87 instruction (#MF), si_code from the status word and
 * the control word's masks; fnstsw does not wait. Under uniemu these once never came:
 * the emulated CPU (QEMU 5.0) does not raise #XM, and its x87 flags were not the
 * status word's. Written with inline asm (musl has no feenableexcept). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int count, code;
static volatile uintptr_t addr, rip;
static volatile unsigned mxcsr, swd, cwd;
static volatile long trapno, err;

static void on_fpe(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    ucontext_t *uc = ctx;
    count++;
    code = si->si_code;
    addr = (uintptr_t)si->si_addr;
    rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
    err = uc->uc_mcontext.gregs[REG_ERR];
    mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    swd = uc->uc_mcontext.fpregs->swd;
    cwd = uc->uc_mcontext.fpregs->cwd;
    if (count > 3) {
        static const char m[] = "SIGFPE again and again\n";
        write(1, m, sizeof m - 1);
        _exit(3);
    }
    /* Mask everything: the instruction runs again and completes (the flags stay). */
    uc->uc_mcontext.fpregs->mxcsr |= 0x1f80;
    uc->uc_mcontext.fpregs->cwd |= 0x3f;
    uc->uc_mcontext.fpregs->swd &= ~0x8080;   /* error summary and busy */
}

static const char *code_name(int c)
{
    switch (c) {
    case FPE_FLTDIV: return "FPE_FLTDIV";
    case FPE_FLTINV: return "FPE_FLTINV";
    case FPE_FLTOVF: return "FPE_FLTOVF";
    case FPE_FLTUND: return "FPE_FLTUND";
    case FPE_FLTRES: return "FPE_FLTRES";
    case FPE_INTDIV: return "FPE_INTDIV";
    }
    return "?";
}

static void reset(void) { count = 0; code = 0; addr = rip = 0; mxcsr = swd = cwd = 0; trapno = err = -1; }

/* Not compared (uniemu differs, see docs/testing.md): the x87 C1 bit (0x200, "rounded
 * up"), which QEMU 5.0 never sets, and the x87 result of an unmasked overflow or
 * underflow (the CPU writes it with its exponent scaled by 2^24576, uniemu the masked
 * result): NO_RESULT. */
#define NO_RESULT ~0ULL
static void report(const char *name, uintptr_t at, uint64_t result, unsigned after)
{
    swd &= ~0x200u;
    after &= ~0x200u;
    printf("%-22s", name);
    if (count)
        printf(" signals %d %s si_addr%+ld rip%+ld trapno %ld err %ld mxcsr %#x swd %#x cwd %#x", count, code_name(code),
               (long)(addr - at), (long)(rip - at), trapno, err, mxcsr, swd, cwd);
    else
        printf(" no signal");
    if (result != NO_RESULT) printf(" -> %#llx", (unsigned long long)result);
    printf(", flags after %#x\n", after);
}

/* ---- SSE ---- */
static unsigned get_mxcsr(void) { unsigned v; asm volatile("stmxcsr %0" : "=m"(v)); return v; }
/* Through base + index: uniemu cannot read such an operand before the instruction and
 * looks after it (fldcw below is through rsp + disp, read before). */
static void set_mxcsr(unsigned v)
{
    static unsigned cell[4];
    long i = 2;
    cell[2] = v;
    asm volatile("ldmxcsr (%0,%1,4)" : : "r"(cell), "r"(i), "m"(cell[2]));
}

#define SSE_OP(fn, insn)                                                                     \
    extern char fn##_at[];                                                                   \
    static __attribute__((noinline, noclone)) double fn(double x, double y)                  \
    {                                                                                        \
        asm volatile(".globl " #fn "_at\n" #fn "_at: " insn " %1, %0" : "+x"(x) : "x"(y));     \
        return x;                                                                            \
    }
SSE_OP(op_divsd, "divsd")
SSE_OP(op_mulsd, "mulsd")
SSE_OP(op_addsd, "addsd")
SSE_OP(op_sqrtsd, "sqrtsd")
SSE_OP(op_divps, "divps")
SSE_OP(op_cvtsd2ss, "cvtsd2ss")

extern char op_cvttsd2si_at[], op_comisd_at[];
static __attribute__((noinline, noclone)) long op_cvttsd2si(double x)
{
    long r;
    asm volatile(".globl op_cvttsd2si_at\nop_cvttsd2si_at: cvttsd2si %1, %0" : "=r"(r) : "x"(x));
    return r;
}
static __attribute__((noinline, noclone)) long op_comisd(double x, double y)
{
    long r = 0;
    asm volatile(".globl op_comisd_at\nop_comisd_at: comisd %2, %1\n\tsetb %b0" : "+r"(r) : "x"(x), "x"(y) : "cc");
    return r;
}

static double d(uint64_t bits) { double v; memcpy(&v, &bits, 8); return v; }
static uint64_t bits(double v) { uint64_t b; memcpy(&b, &v, 8); return b; }

/* unmask: the MXCSR exception bits (IE 1, DE 2, ZE 4, OE 8, UE 16, PE 32) unmasked. */
#define SSE_CASE(name, unmask, fn, at, ...)                                                 \
    do {                                                                                    \
        reset();                                                                            \
        set_mxcsr(0x1f80 & ~((unmask) << 7));                                                \
        uint64_t r_ = bits(fn(__VA_ARGS__));                                                \
        unsigned after_ = get_mxcsr();                                                      \
        set_mxcsr(0x1f80);                                                                  \
        report(name, (uintptr_t)at, r_, after_);                                            \
    } while (0)
#define SSE_CASE_L(name, unmask, fn, at, ...)                                               \
    do {                                                                                    \
        reset();                                                                            \
        set_mxcsr(0x1f80 & ~((unmask) << 7));                                                \
        uint64_t r_ = (uint64_t)fn(__VA_ARGS__);                                            \
        unsigned after_ = get_mxcsr();                                                      \
        set_mxcsr(0x1f80);                                                                  \
        report(name, (uintptr_t)at, r_, after_);                                            \
    } while (0)

/* ---- x87 ---- */
static volatile long double lzero = 0, lone = 1, lthree = 3, lbig = 1e4900L, ltiny = 1e-4900L, lminus = -1, lres;

static unsigned get_fsw(void) { unsigned short v; asm volatile("fnstsw %0" : "=m"(v)); return v; }
static void set_fcw(unsigned v) { unsigned short w = (unsigned short)v; asm volatile("fldcw %0" : : "m"(w)); }

/* st0 = *xa OP *xb, then the instruction `next` (which raises the pending exception). */
static volatile long double *xa, *xb;
#define X87_OP2(fn, insn, next)                                                              \
    extern char fn##_at[];                                                                   \
    static __attribute__((noinline, noclone)) void fn(void)                                  \
    {                                                                                        \
        asm volatile("fldt (%1)\n\tfldt (%0)\n\t" insn "\n.globl " #fn "_at\n" #fn "_at: " next \
                     "\n\tfstpt %2\n\tfstp %%st(0)"                                          \
                     : : "r"(xa), "r"(xb), "m"(lres) : "memory", "st", "st(1)");            \
    }
/* st0 = xa, st1 = xb */
X87_OP2(x_div_fwait, "fdiv %%st(1), %%st", "fwait")
X87_OP2(x_div_fld, "fdiv %%st(1), %%st", "fld %%st(0)\n\tfstp %%st(0)")
X87_OP2(x_mul_fstp, "fmul %%st(1), %%st", "fstpt %2\n\tfldt %2")
X87_OP2(x_add_fadd, "fadd %%st(1), %%st", "fadd %%st(1), %%st")
X87_OP2(x_div_fadd, "fdiv %%st(1), %%st", "fadd %%st(1), %%st")
X87_OP2(x_sqrt_fwait, "fsqrt", "fwait")

extern char x_nowait_at[];
static volatile unsigned nowait_sw;
static __attribute__((noinline, noclone)) void x_nowait(void)
{
    unsigned short sw;
    asm volatile("fldt (%1)\n\tfldt (%2)\n\tfdiv %%st(1), %%st\n.globl x_nowait_at\nx_nowait_at: fnstsw %0\n\tfnclex\n\tfwait\n\t"
                 "fstpt %3\n\tfstp %%st(0)"
                 : "=m"(sw) : "r"(xb), "r"(xa), "m"(lres) : "memory", "st", "st(1)");
    nowait_sw = sw;
}

static uint64_t lres_bits(void)
{
    long double v = lres;
    uint64_t m;
    uint16_t e;
    memcpy(&m, (const void *)&v, 8);
    memcpy(&e, (const char *)&v + 8, 2);
    return m ^ ((uint64_t)e << 48);
}

#define X87_CASE(name, unmask, fn, a, b, show)                                                  \
    do {                                                                                    \
        reset();                                                                            \
        xa = &(a); xb = &(b);                                                               \
        asm volatile("fnclex");                                                             \
        set_fcw(0x37f & ~(unmask));                                                         \
        fn();                                                                               \
        unsigned after_ = get_fsw();                                                        \
        set_fcw(0x37f);                                                                     \
        asm volatile("fnclex");                                                             \
        report(name, (uintptr_t)fn##_at, (show) ? lres_bits() : NO_RESULT, after_);                           \
    } while (0)

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);
    setvbuf(stdout, NULL, _IONBF, 0);

    double inf = d(0x7ff0000000000000ULL), qnan = d(0x7ff8000000000000ULL);
    (void)inf;
    SSE_CASE("divsd 1/0 ZE", 0x04, op_divsd, op_divsd_at, 1.0, 0.0);
    SSE_CASE("divsd 0/0 IE", 0x01, op_divsd, op_divsd_at, 0.0, 0.0);
    SSE_CASE("divsd 0/0 ZE only", 0x04, op_divsd, op_divsd_at, 0.0, 0.0);
    SSE_CASE("divsd 1/0 PE only", 0x20, op_divsd, op_divsd_at, 1.0, 0.0);
    SSE_CASE("sqrtsd -1 IE", 0x01, op_sqrtsd, op_sqrtsd_at, 0.0, -1.0);
    SSE_CASE("mulsd big OE", 0x08, op_mulsd, op_mulsd_at, 1e308, 1e308);
    SSE_CASE("mulsd big PE only", 0x20, op_mulsd, op_mulsd_at, 1e308, 1e308);
    SSE_CASE("mulsd tiny UE", 0x10, op_mulsd, op_mulsd_at, 1e-200, 1e-200);
    SSE_CASE("mulsd tiny PE only", 0x20, op_mulsd, op_mulsd_at, 1e-200, 1e-200);
    SSE_CASE("divsd 1/3 PE", 0x20, op_divsd, op_divsd_at, 1.0, 3.0);
    SSE_CASE("divsd 1/3 all", 0x3f, op_divsd, op_divsd_at, 1.0, 3.0);
    SSE_CASE("addsd exact all", 0x3f, op_addsd, op_addsd_at, 1.0, 2.0);
    SSE_CASE("divps 1/0 ZE", 0x04, op_divps, op_divps_at, 1.0, 0.0);
    SSE_CASE("cvtsd2ss big OE", 0x08, op_cvtsd2ss, op_cvtsd2ss_at, 0.0, 1e300);
    SSE_CASE_L("cvttsd2si nan IE", 0x01, op_cvttsd2si, op_cvttsd2si_at, qnan);
    SSE_CASE_L("cvttsd2si 1e30 IE", 0x01, op_cvttsd2si, op_cvttsd2si_at, 1e30);
    SSE_CASE_L("comisd nan IE", 0x01, op_comisd, op_comisd_at, qnan, 1.0);
    SSE_CASE_L("comisd 1<2 all", 0x3f, op_comisd, op_comisd_at, 1.0, 2.0);

    X87_CASE("x87 1/0 ZE fwait", 0x04, x_div_fwait, lone, lzero, 1);
    X87_CASE("x87 0/0 IE fld", 0x01, x_div_fld, lzero, lzero, 1);
    X87_CASE("x87 1/0 PE only", 0x20, x_div_fwait, lone, lzero, 1);
    X87_CASE("x87 big OE fstp", 0x08, x_mul_fstp, lbig, lbig, 0);
    X87_CASE("x87 tiny UE fstp", 0x10, x_mul_fstp, ltiny, ltiny, 0);
    X87_CASE("x87 1/3 PE fwait", 0x20, x_div_fwait, lone, lthree, 1);
    X87_CASE("x87 1/3 PE fadd", 0x20, x_div_fadd, lone, lthree, 1);
    X87_CASE("x87 1+3 exact all", 0x3f, x_add_fadd, lone, lthree, 1);
    X87_CASE("x87 sqrt -1 IE", 0x01, x_sqrt_fwait, lminus, lone, 1);
    X87_CASE("x87 fnstsw no wait", 0x04, x_nowait, lone, lzero, 1);
    printf("fnstsw saw %#x\n", nowait_sw);

    /* A child inherits the unmasked MXCSR: its first division by zero traps. */
    set_mxcsr(0x1f80 & ~(0x04 << 7));
    pid_t pid = fork();
    if (pid == 0) {
        reset();
        uint64_t r = bits(op_divsd(1.0, 0.0));
        report("child divsd 1/0 ZE", (uintptr_t)op_divsd_at, r, get_mxcsr());
        _exit(0);
    }
    set_mxcsr(0x1f80);
    int status;
    waitpid(pid, &status, 0);
    printf("child status %#x\n", status);
    return 0;
}
