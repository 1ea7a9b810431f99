/* The flags and RIP a SIGSEGV handler finds in its ucontext, after arithmetic right
 * before a read of an unmapped address: each kind of flag-setting instruction (add,
 * sub, cmp, logic, inc, dec, neg, shifts, multiply, bit tests, adc, sbb, the xor/sub
 * of a register with itself), each operand size, and a fault whose address register
 * was just written (the read before it used the same register). Under uniemu the
 * flags were those of the block's start (0x246 where Linux has 0xa96) and RIP could be
 * an earlier read through the same register. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile unsigned long flags, rip;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)si;
    ucontext_t *uc = ctx;
    flags = (unsigned long)uc->uc_mcontext.gregs[REG_EFL];
    rip = (unsigned long)uc->uc_mcontext.gregs[REG_RIP];
    siglongjmp(jb, 1);
}

/* OP with inputs a (in rdx) and b (in rcx), then a read of address 0 (rax = 0); the
 * flags compared are those the instruction defines (the CPU's "undefined" ones, OF after
 * a shift by more than one, imul's SF/ZF/AF/PF..., are its own). */
#define CASE(name, text, defined)                                                                 \
    static const unsigned long name##_mask = defined;                                             \
    extern char name##_at[];                                                                      \
    static __attribute__((noinline, noclone)) void name(unsigned long a, unsigned long b)        \
    {                                                                                             \
        __asm__ volatile("mov %0, %%rdx\n\tmov %1, %%rcx\n\t" text "\n\tmov $0, %%eax\n"          \
                         ".globl " #name "_at\n" #name "_at: mov (%%rax), %%rax"                 \
                         : : "r"(a), "r"(b) : "rax", "rcx", "rdx", "memory", "cc");               \
    }
CASE(c_add, "add %%rcx, %%rdx", 0x8d5)
CASE(c_add32, "add %%ecx, %%edx", 0x8d5)
CASE(c_add8, "add %%cl, %%dl", 0x8d5)
CASE(c_add16, "add %%cx, %%dx", 0x8d5)
CASE(c_sub, "sub %%rcx, %%rdx", 0x8d5)
CASE(c_cmp, "cmp %%rcx, %%rdx", 0x8d5)
CASE(c_cmp32, "cmp %%ecx, %%edx", 0x8d5)
CASE(c_and, "and %%rcx, %%rdx", 0x8c5)
CASE(c_or, "or %%rcx, %%rdx", 0x8c5)
CASE(c_xor, "xor %%rcx, %%rdx", 0x8c5)
CASE(c_test, "test %%rcx, %%rdx", 0x8c5)
CASE(c_inc, "inc %%rdx", 0x8d5)
CASE(c_dec, "dec %%edx", 0x8d5)
CASE(c_neg, "neg %%rdx", 0x8d5)
CASE(c_shl, "shl $3, %%rdx", 0xc5)
CASE(c_sar, "sar $1, %%edx", 0xc5)
CASE(c_shl0, "add %%rcx, %%rdx\n\tshl $0, %%rdx", 0x8d5)
CASE(c_shlcl, "shl %%cl, %%rdx", 0xc5)
CASE(c_imul, "imul %%rcx, %%rdx", 0x801)
CASE(c_bt, "bt %%rcx, %%rdx", 0x1)
CASE(c_adc, "stc\n\tadc %%rcx, %%rdx", 0x8d5)
CASE(c_sbb, "stc\n\tsbb %%rcx, %%rdx", 0x8d5)
CASE(c_xorself, "add %%rcx, %%rdx\n\txor %%edx, %%edx", 0x8d5)
CASE(c_subself, "add %%rcx, %%rdx\n\tsub %%rdx, %%rdx", 0x8d5)
CASE(c_then_mov, "add %%rcx, %%rdx\n\tmov %%rdx, %%rsi\n\tlea 8(%%rsi), %%rsi", 0x8d5)

/* A read through rax that works, rax set to 0, a read through rax that faults. */
static const unsigned long c_reuse_mask = 0x8d5;
extern char c_reuse_at[];
static __attribute__((noinline, noclone)) void c_reuse(unsigned long a, unsigned long b)
{
    static unsigned long cell = 7;
    __asm__ volatile("lea %2, %%rax\n\tmov (%%rax), %%rdx\n\tadd %1, %%rdx\n\tmov %0, %%rcx\n\tmov $0, %%eax\n"
                     ".globl c_reuse_at\nc_reuse_at: mov (%%rax), %%rax"
                     : : "r"(a), "r"(b), "m"(cell) : "rax", "rcx", "rdx", "memory", "cc");
}

static const unsigned long inputs[][2] = {
    { 0, 0 }, { 1, 2 }, { 0x7fffffffffffffffUL, 1 }, { ~0UL, 1 }, { 5, 5 }, { 0x80, 0x80 },
    { 0x7fffffff, 1 }, { 0x8000000000000000UL, ~0UL }, { 0x0f, 0x01 }, { 3, 63 },
};

#define RUN(name)                                                                                 \
    for (volatile size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {                      \
        flags = rip = 0;                                                                          \
        if (!sigsetjmp(jb, 1)) name(inputs[i][0], inputs[i][1]);                                  \
        printf("%-10s %#18lx %#18lx: eflags %#lx rip%+ld\n", #name, inputs[i][0], inputs[i][1],     \
               flags & name##_mask, (long)(rip - (unsigned long)name##_at));                            \
    }

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    RUN(c_add) RUN(c_add32) RUN(c_add8) RUN(c_add16) RUN(c_sub) RUN(c_cmp) RUN(c_cmp32) RUN(c_and) RUN(c_or)
    RUN(c_xor) RUN(c_test) RUN(c_inc) RUN(c_dec) RUN(c_neg) RUN(c_shl) RUN(c_sar) RUN(c_shl0) RUN(c_shlcl)
    RUN(c_imul) RUN(c_bt) RUN(c_adc) RUN(c_sbb) RUN(c_xorself) RUN(c_subself) RUN(c_then_mov) RUN(c_reuse)
    return 0;
}
