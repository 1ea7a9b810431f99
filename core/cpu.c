/* The run loop's side of Unicorn: hooks that stop the engine at a syscall, a fault or
 * the end of an instruction budget, and the count of retired instructions.
 * Workarounds for Unicorn 2.1.1 live here (see DESIGN.md, "what bites"). */
#include "core/cpu.h"
#include "core/addr_space.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include "core/host_insn.h"
#include <capstone/capstone.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

const char *const greg_names[R_NREGS] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
    "r12", "r13", "r14", "r15", "rip", "eflags", "fs_base", "gs_base",
};
static const int uc_reg_of[R_NREGS] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
    UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9,
    UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
    UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_EFLAGS, UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE,
};

/* Instruction counts of translated blocks, decoded once with Capstone. Direct-mapped:
 * a miss only costs a decode. */
#define BLOCK_CACHE_SIZE 16384
struct block_count { uint64_t addr; uint32_t size, insns; };

enum pending { PEND_NONE, PEND_SYSCALL, PEND_FAULT, PEND_BUDGET, PEND_SPLIT, PEND_RDTSC, PEND_FIX_SITES };

struct cpu_state {
    struct addr_space *as;
    uc_hook h_block, h_syscall, h_mem, h_intr, h_code, h_rw;
    csh cs;
    cs_insn *insn;
    uint64_t icount, deadline;
    uint64_t split_at;       /* PEND_SPLIT: address of the instruction to stop before */
    uint64_t split_block, split_size;  /* ... inside this block */
    uint64_t last_block, last_size;    /* the block running now (for rdtsc) */
    uint64_t block_stop;     /* a stop asked for by the block hook lands before this block */
    bool tsc_sigsegv;        /* PR_SET_TSC(PR_TSC_SIGSEGV): rdtsc faults, as with CR4.TSD on Linux */
    uint32_t last_insns;
    /* Tracing */
    int trace_tid;
    uint64_t run_base;       /* det_insns() when this run started */
    uint64_t run_before;     /* icount when this run started */
    uint64_t insn_in_block;  /* index of the traced instruction in its block */
    bool have_pending;       /* an instruction line waits for its register changes */
    char trace_line[320];
    char mem_lines[1024];    /* memory accesses of the pending instruction */
    size_t mem_len;
    uint64_t regs[R_NREGS];
    enum pending pending;
    struct fault fault;
    uc_context *scratch_ctx; /* ctx_bytes */
    bool ze_known, ze_prev;  /* the x87 ZE flag as the last fold left it (fold_fp_flags) */
    uint8_t round_pe;        /* FIX_ROUND: softfloat's inexact flag before */
    /* Instructions Unicorn gets wrong (fix sites, below): their sites, hooked one
     * address each, the new ones found while decoding, and the correction waiting for
     * the next instruction. */
    struct fix_site {
        uint64_t addr;
        int op;
        uint8_t size;
        bool wait;          /* a waiting x87 instruction (unmasked exceptions) */
        int8_t ea_reg;      /* loads of FCW/MXCSR: the operand's base register (16: RIP), -1 */
        bool ea_fx;         /* fxrstor/xrstor: MXCSR at +24 too */
        int32_t ea_disp;
    } *fix_sites, fix_new[8];
    size_t nfix, capfix, nfix_new;
    bool fix_armed;
    int fix_op;              /* the armed site's op */
    uint64_t fix_next;
    uint8_t x87_sf_flags;
    uint16_t x87_fsw_before;
    struct x87_result x87_res;
    uint64_t fix_rax;        /* FIX_CMPXCHG32: RAX before */
    int fix_mmreg;           /* FIX_MMX_*: the register, and its right value */
    uint64_t fix_mmval;
    struct pcmpstr_out pcmp_out;   /* FIX_PCMPSTR: the host's results */
    /* Unmasked exceptions (SIGFPE): the sites that check for them exist once a program
     * has unmasked one (MXCSR: SSE, FCW: x87); the state before the instruction. */
    bool xm_sse_on, xm_x87_on, need_flush;
    uc_context *xm_ctx;
    uint64_t xm_addr;
    struct block_count cache[BLOCK_CACHE_SIZE];
};


/* ---- FPU exception flags ----
 * QEMU 5.0's SSE and x87 helpers leave the exception flags in softfloat's own status
 * (sse_status, fp_status) and never copy them to MXCSR or the x87 status word (later
 * QEMU does, after each operation): fetestexcept after 1.0/0.0 said nothing. uniemu
 * copies them over, and clears softfloat's, right before each instruction that reads
 * the flags (stmxcsr, fnstsw, fxsave...) or sets them (ldmxcsr, fnclex, fldenv,
 * fxrstor...): those are fix sites (below); and before the signal frame is written or
 * read back. Code without such instructions pays nothing. The softfloat flag bytes live at fixed offsets
 * of a saved context (found by diffing contexts around a division by zero; checked by
 * tests/unicorn_probes.c). */
#define CTX_FP_STATUS_FLAGS  766   /* env->fp_status.float_exception_flags (x87) */
#define CTX_SSE_STATUS_FLAGS 798   /* env->sse_status.float_exception_flags */

/* Instructions that read the exception flags (FOLD_READ), clear them (FOLD_CLEAR) or
 * load them from memory (FOLD_LOAD); fldcw (FOLD_CW: no fold, it may unmask); 0 for
 * others. */
enum { FOLD_READ = 1, FOLD_CLEAR, FOLD_LOAD_SSE, FOLD_LOAD_X87, FOLD_CW };
static int fp_flags_use(const char *m)
{
    static const struct { const char *name; int use; } names[] = {
        { "stmxcsr", FOLD_READ }, { "fnstsw", FOLD_READ }, { "fstsw", FOLD_READ }, { "fnstenv", FOLD_READ },
        { "fstenv", FOLD_READ }, { "fnsave", FOLD_CLEAR }, { "fsave", FOLD_CLEAR }, { "fxsave", FOLD_READ },
        { "fxsave64", FOLD_READ }, { "xsave", FOLD_READ }, { "xsave64", FOLD_READ }, { "xsaveopt", FOLD_READ },
        { "xsaveopt64", FOLD_READ }, { "xsavec", FOLD_READ }, { "xsavec64", FOLD_READ },
        { "fnclex", FOLD_CLEAR }, { "fclex", FOLD_CLEAR }, { "fninit", FOLD_CLEAR }, { "finit", FOLD_CLEAR },
        { "ldmxcsr", FOLD_LOAD_SSE }, { "fldenv", FOLD_LOAD_X87 }, { "frstor", FOLD_LOAD_X87 },
        { "fxrstor", FOLD_LOAD_X87 }, { "fxrstor64", FOLD_LOAD_X87 }, { "xrstor", FOLD_LOAD_X87 },
        { "xrstor64", FOLD_LOAD_X87 }, { "fldcw", FOLD_CW },
    };
    if (m[0] != 's' && m[0] != 'l' && m[0] != 'f' && m[0] != 'x') return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(m, names[i].name)) return names[i].use;
    return 0;
}

/* softfloat's flag bits -> the x86 ones (IE 1, DE 2, ZE 4, OE 8, UE 16, PE 32). */
static unsigned x86_flags_of(uint8_t sf)
{
    return (sf & 0x01 ? 0x01 : 0) |           /* invalid */
           (sf & 0x04 ? 0x04 : 0) |           /* divide by zero */
           (sf & 0x08 ? 0x08 : 0) |           /* overflow */
           (sf & 0x10 ? 0x10 : 0) |           /* underflow */
           (sf & 0x20 ? 0x20 : 0) |           /* inexact */
           (sf & 0x80 ? 0x30 : 0);            /* output flushed to zero: underflow, inexact */
}

/* The other way, for the x87 status word's exception flags (DE is input-denormal). */
static uint8_t softfloat_flags_of(unsigned fsw)
{
    return (uint8_t)((fsw & 0x01 ? 0x01 : 0) | (fsw & 0x04 ? 0x04 : 0) | (fsw & 0x08 ? 0x08 : 0) |
                     (fsw & 0x10 ? 0x10 : 0) | (fsw & 0x20 ? 0x20 : 0) | (fsw & 0x02 ? 0x40 : 0));
}

/* For the x87 status word, softfloat's input-denormal flag is DE. */
static unsigned x87_flags_of(uint8_t sf)
{
    return x86_flags_of(sf) | (sf & 0x40 ? 0x02 : 0);
}

/* The engine's state saved into the scratch context, as bytes (softfloat's flags, the
 * exception marker: fields the API has no register for); uc_context_restore(uc,
 * st->scratch_ctx) writes changes back. NULL when no context can be had. */
static uint8_t *ctx_bytes(struct cpu_state *st, uc_engine *uc)
{
    if (!st->scratch_ctx && uc_context_alloc(uc, &st->scratch_ctx) != UC_ERR_OK) { st->scratch_ctx = NULL; return NULL; }
    uc_context_save(uc, st->scratch_ctx);
    return (uint8_t *)st->scratch_ctx;
}

static void fold_fp_flags(struct cpu_state *st, uc_engine *uc)
{
    uint8_t *raw = ctx_bytes(st, uc);
    if (!raw) return;
    uint8_t x87 = raw[CTX_FP_STATUS_FLAGS], sse = raw[CTX_SSE_STATUS_FLAGS];
    uint64_t fsw0 = 0;
    uc_reg_read(uc, UC_X86_REG_FPSW, &fsw0);
    /* QEMU 5.0's fdiv sets ZE itself for any zero divisor, also for 0/0, inf/0 and NaN/0
     * (none of them a division by zero: 0/0 is invalid). softfloat raises divide-by-zero
     * exactly when it is one: a ZE that appeared since the last fold without it is
     * QEMU's, and goes. */
    bool spurious_ze = st->ze_known && !st->ze_prev && (fsw0 & 0x04) && !(x87 & 0x04);
    if (x87 || sse) {
        raw[CTX_FP_STATUS_FLAGS] = raw[CTX_SSE_STATUS_FLAGS] = 0;
        uc_context_restore(uc, st->scratch_ctx);
    }
    if (sse) {
        uint32_t mxcsr = 0;
        uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
        mxcsr |= x86_flags_of(sse);
        uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr);
    }
    uint64_t fsw = fsw0;
    if (x87 || spurious_ze) {
        uint64_t fcw = 0;
        uc_reg_read(uc, UC_X86_REG_FPCW, &fcw);
        if (spurious_ze) fsw &= ~0x04ULL;
        fsw |= x87_flags_of(x87);
        fsw &= ~0x8080ULL;
        if (fsw & ~fcw & 0x3f) fsw |= 0x8080;   /* an unmasked one: error summary and busy */
        uc_reg_write(uc, UC_X86_REG_FPSW, &fsw);
    }
    st->ze_prev = fsw & 0x04;
    st->ze_known = true;
}

/* ---- fix sites: instructions Unicorn 2.1.1 gets wrong ----
 * Ops: X87_* (run on the host, core/host_insn.c); FIX_CMPXCHG32, a 32-bit cmpxchg that
 * succeeds, where QEMU 5.0 writes EAX anyway and so clears RAX's upper half (the CPU
 * leaves RAX alone); FIX_MMX + MMX_*, a horizontal add/subtract of one MMX register
 * with itself. */
#define FIX_CMPXCHG32 100
#define FIX_MMX 200
#define FIX_FOLD 300         /* + FOLD_*: fold the flags right before it */
#define FIX_ROUND 400        /* roundsd/ss/pd/ps with imm bit 3: no inexact (QEMU 5.0 ignores it) */
#define FIX_XM_SSE 500       /* an SSE operation while MXCSR unmasks an exception (below) */
#define FIX_XM_X87 501       /* an x87 operation while FCW unmasks invalid or divide-by-zero */
#define FIX_MODE 502         /* (armed only) after ldmxcsr, fldcw...: has an exception been unmasked? */
#define FIX_CPUID 600        /* cpuid: only the extensions that execute correctly (cpu_init) */
#define FIX_PCMPSTR 700      /* + PCMP_*: pcmp[ie]str[im] equal-ordered, run on the host (host_insn.c) */

/* ---- unmasked exceptions: SIGFPE ----
 * QEMU 5.0 never raises #XM (SSE) and raises #MF (x87) only at fwait, for the few
 * flags it sets itself: with an exception unmasked (feenableexcept), Linux delivers
 * SIGFPE where uniemu went on with the masked result. Checking costs a hook per
 * floating-point instruction, so the checks exist only once the guest has unmasked
 * one (seen after ldmxcsr, fldcw, fldenv, fxrstor... and at the start of each run:
 * sigreturn, fork): then the translations are dropped and the blocks decoded again
 * with these sites, which stay (they return at once while everything is masked).
 * SSE (FIX_XM_SSE): the state before the instruction is saved; if the instruction
 * raised an unmasked exception, it is put back (no result, as the CPU's #XM fault),
 * the flags are set in MXCSR and SIGFPE is delivered at the instruction.
 * x87: a waiting x87 instruction (all but fnstsw, fnstcw, fnclex, fninit, fnstenv,
 * fnsave) with an unmasked exception pending in the status word raises SIGFPE at
 * itself (#MF); an operation raising an unmasked invalid or divide-by-zero leaves its
 * destination as it was (FIX_XM_X87) and sets the exception pending. */
static bool sse_fp_insn(const char *m)
{
    if (!strncmp(m, "cvt", 3)) return true;
    size_t n = strlen(m);
    if (n < 5) return false;
    const char *t = m + n - 2;
    if (strcmp(t, "ss") && strcmp(t, "sd") && strcmp(t, "ps") && strcmp(t, "pd")) return false;
    static const char *const ops[] = { "add", "sub", "mul", "div", "sqrt", "min", "max", "cmp",
                                       "comi", "ucomi", "hadd", "hsub", "dp", "round" };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strncmp(m, ops[i], strlen(ops[i]))) return true;
    return false;
}

/* An x87 instruction at b (after prefixes): 1 waiting, 2 waiting and an operation
 * that can raise invalid or divide-by-zero, 0 neither. */
static int x87_kind(const uint8_t *b, size_t n)
{
    if (n < 1) return 0;
    if (b[0] == 0x9b) return 1;   /* fwait, and fstsw, fstcw... (fwait first) */
    if (b[0] < 0xd8 || b[0] > 0xdf || n < 2) return 0;
    uint8_t m = b[1], r = (m >> 3) & 7;
    bool mem = (m >> 6) != 3;
    if ((b[0] == 0xdf && m == 0xe0) || (b[0] == 0xdb && (m == 0xe2 || m == 0xe3))) return 0;  /* fnstsw ax, fnclex, fninit */
    if (mem && ((b[0] == 0xd9 && (r == 6 || r == 7)) || (b[0] == 0xdd && (r == 6 || r == 7)))) return 0;  /* fnstenv, fnstcw, fnsave, fnstsw */
    if (mem && ((b[0] == 0xd9 && (r == 4 || r == 5)) || (b[0] == 0xdd && r == 4))) return 1;  /* fldenv, fldcw, frstor */
    return 2;
}

/* The memory operand of ldmxcsr, fldcw, fldenv, frstor, fxrstor, xrstor when it is a
 * register plus a displacement (or RIP-relative, reg 16), as compilers write them:
 * its value can be read before the instruction runs. -1 for any other form. */
static int8_t simple_ea(const cs_insn *in, int32_t *disp)
{
    const uint8_t *b = in->bytes;
    size_t i = 0, n = in->size;
    bool rex_b = false, rex_x = false;
    while (i < n && (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0x2e || b[i] == 0x3e || b[i] == 0x26 || b[i] == 0x36)) i++;
    if (i < n && (b[i] & 0xf0) == 0x40) { rex_b = b[i] & 1; rex_x = b[i] & 2; i++; }
    if (i + 1 >= n) return -1;
    if (b[i] == 0x0f && b[i + 1] == 0xae) i += 2;
    else if (b[i] == 0xd9 || b[i] == 0xdd) i += 1;
    else return -1;
    if (i >= n) return -1;
    uint8_t modrm = b[i++], mod = modrm >> 6, rm = modrm & 7;
    int reg;
    if (mod == 3) return -1;
    if (rm == 4) {
        if (i >= n) return -1;
        uint8_t sib = b[i++];
        if ((((sib >> 3) & 7) | (rex_x ? 8 : 0)) != 4) return -1;   /* an index */
        if ((sib & 7) == 5 && mod == 0) return -1;
        reg = (sib & 7) | (rex_b ? 8 : 0);
    } else if (rm == 5 && mod == 0) {
        reg = 16;
    } else {
        reg = rm | (rex_b ? 8 : 0);
    }
    int32_t d = 0;
    if (mod == 1) { if (i + 1 > n) return -1; d = (int8_t)b[i]; }
    else if (mod == 2 || reg == 16) { if (i + 4 > n) return -1; memcpy(&d, b + i, 4); }
    *disp = d;
    return (int8_t)reg;
}

/* The site's op for an instruction Capstone decoded, or -1; *wait: a waiting x87
 * instruction to check for a pending exception. */
static int fix_op_of(const struct cpu_state *st, const cs_insn *in, bool *wait)
{
    *wait = false;
    int kind = 0;
    if (st->xm_x87_on) {
        const uint8_t *p = in->bytes;
        size_t k = 0;
        while (k < in->size && (p[k] == 0x66 || p[k] == 0x67 || p[k] == 0x2e || p[k] == 0x3e || p[k] == 0x26 ||
                                p[k] == 0x64 || p[k] == 0x65 || p[k] == 0x36 || (p[k] & 0xf0) == 0x40))
            k++;
        kind = x87_kind(p + k, in->size - k);
        *wait = kind != 0;
    }
    int op = x87_op_of(in->mnemonic);
    if (op >= 0) return op;
    int use = fp_flags_use(in->mnemonic);
    if (use) return FIX_FOLD + use;
    if (!strncmp(in->mnemonic, "round", 5) && in->size >= 6 && (in->bytes[in->size - 1] & 0x08) &&
        (!strcmp(in->mnemonic, "roundsd") || !strcmp(in->mnemonic, "roundss") || !strcmp(in->mnemonic, "roundpd") ||
         !strcmp(in->mnemonic, "roundps")))
        return FIX_ROUND;
    if (kind == 2) return FIX_XM_X87;
    if (!strcmp(in->mnemonic, "cpuid")) return FIX_CPUID;
    if (!strncmp(in->mnemonic, "pcmp", 4) && in->size >= 6 && ((in->bytes[in->size - 1] >> 2) & 3) == 3) {
        static int host_ok = -1;
        if (host_ok < 0) host_ok = pcmpstr_host_ok();
        int which = !strcmp(in->mnemonic, "pcmpistri") ? PCMP_ISTRI : !strcmp(in->mnemonic, "pcmpistrm") ? PCMP_ISTRM :
                    !strcmp(in->mnemonic, "pcmpestri") ? PCMP_ESTRI : !strcmp(in->mnemonic, "pcmpestrm") ? PCMP_ESTRM : -1;
        bool rex_w = false;   /* (64-bit lengths: left to Unicorn) */
        for (size_t k = 0; k < in->size && (in->bytes[k] == 0x66 || (in->bytes[k] & 0xf0) == 0x40); k++)
            if ((in->bytes[k] & 0xf8) == 0x48) rex_w = true;
        if (which >= 0 && host_ok && !rex_w) return FIX_PCMPSTR + which;
    }
    if (st->xm_sse_on && sse_fp_insn(in->mnemonic)) return FIX_XM_SSE;
    const uint8_t *b = in->bytes;
    size_t i = 0, n = in->size;
    bool opsize16 = false, rex_w = false, rex_b = false, rex_r = false;
    while (i < n && (b[i] == 0xf0 || b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0x66 || b[i] == 0x2e ||
                     b[i] == 0x3e || b[i] == 0x26 || b[i] == 0x64 || b[i] == 0x65 || b[i] == 0x36)) {
        if (b[i] == 0x66) opsize16 = true;
        i++;
    }
    if (i < n && (b[i] & 0xf0) == 0x40) { rex_w = b[i] & 8; rex_r = b[i] & 4; rex_b = b[i] & 1; i++; }
    size_t ml = strlen(in->mnemonic);   /* "lock cmpxchg": Capstone names the prefix too */
    if (ml >= 7 && !strcmp(in->mnemonic + ml - 7, "cmpxchg") && i + 2 < n + 1 && b[i] == 0x0f && b[i + 1] == 0xb1 && !opsize16 && !rex_w) {
        uint8_t modrm = i + 2 < n ? b[i + 2] : 0;
        /* cmpxchg eax, r32 writes EAX itself: nothing to keep. */
        if ((modrm >> 6) == 3 && (modrm & 7) == 0 && !rex_b) return -1;
        return FIX_CMPXCHG32;
    }
    if (!opsize16 && !rex_r && !rex_b && i + 3 < n + 1 && b[i] == 0x0f && b[i + 1] == 0x38 && i + 3 < n) {
        int hop = mmx_hop_of(b[i + 2]);
        uint8_t modrm = b[i + 3];
        if (hop >= 0 && (modrm >> 6) == 3 && ((modrm >> 3) & 7) == (modrm & 7)) return FIX_MMX + hop;
    }
    return -1;
}

/* ---- fix sites: how they are hooked and corrected ----
 * Each site gets a code hook on its own address (Unicorn instruments only that
 * instruction) and, unless it is a flag fold, one on the next instruction's. Before the
 * instruction the hook takes what the correction needs (for x87 ones, the hardware's
 * result from the guest's operands); the guest's instruction then runs as Unicorn does
 * it (the x87 stack moves as it should, the values are off), and at the next
 * instruction the hook writes the right values. A run that stops in between gets them
 * as it returns. */

/* The hooked address's record: a site (op >= 0), or only the next instruction of one
 * (op -1). One record and one hook per address. */
static struct fix_site *find_site(struct cpu_state *st, uint64_t addr)
{
    for (size_t i = 0; i < st->nfix; i++)
        if (st->fix_sites[i].addr == addr) return &st->fix_sites[i];
    return NULL;
}

static void fix_site_found(struct cpu_state *st, const cs_insn *in, int op, bool wait)
{
    uint64_t addr = in->address;
    const struct fix_site *s = find_site(st, addr);
    if (s && s->op == op && s->wait == wait) return;
    for (size_t i = 0; i < st->nfix_new; i++)
        if (st->fix_new[i].addr == addr) return;
    int32_t disp = 0;
    int8_t ea = -1;
    if (op == FIX_FOLD + FOLD_LOAD_SSE || op == FIX_FOLD + FOLD_LOAD_X87 || op == FIX_FOLD + FOLD_CW) ea = simple_ea(in, &disp);
    bool fx = !strncmp(in->mnemonic, "fxrstor", 7) || !strncmp(in->mnemonic, "xrstor", 6);
    if (st->nfix_new < sizeof st->fix_new / sizeof st->fix_new[0])
        st->fix_new[st->nfix_new++] = (struct fix_site){ addr, op, (uint8_t)in->size, wait, ea, fx, disp };
}

/* CPUID as the guest sees it: what the model (Broadwell, filtered by QEMU to what TCG
 * knows) says, less what does not execute as the CPU does (tests/unicorn_probes.c
 * compares each with the host): BMI1 (QEMU 5.0's blsi sets CF inverted, a 32-bit bextr
 * takes bits past 31), BMI2 (bzhi with an index past the operand size keeps no top bit
 * and sets no CF, a 32-bit pdep leaves the upper half), RDRAND (not deterministic),
 * RDTSCP (a #GP at CPL 3 with CR4.TSD, rdtsc alone is emulated), XSAVE, SMEP and SMAP
 * (nothing a program runs). Left: FSGSBASE, ERMS, ADX (leaf 7); MOVBE, POPCNT, AES,
 * PCLMULQDQ, SSE4.2 (leaf 1); LZCNT (ABM, 0x80000001). */
static void cpuid_filter(uint32_t leaf, uint32_t sub, uint64_t *a, uint64_t *b, uint64_t *c, uint64_t *d)
{
    if (leaf == 1) *c &= ~((1ULL << 30) | (1ULL << 26) | (1ULL << 27));
    else if (leaf == 7 && sub == 0) *b &= (1ULL << 0) | (1ULL << 9) | (1ULL << 19);
    else if (leaf == 0x80000001) *d &= ~(1ULL << 27);
    else if (leaf == 0xd) *a = *b = *c = *d = 0;
}

/* si_code for the unmasked exceptions in err, as Linux's fpu__exception_code. */
static int fpe_code(unsigned err)
{
    if (err & 0x01) return FPE_FLTINV;
    if (err & 0x04) return FPE_FLTDIV;
    if (err & 0x08) return FPE_FLTOVF;
    if (err & 0x12) return FPE_FLTUND;
    if (err & 0x20) return FPE_FLTRES;
    return 0;
}

static void raise_fpe(struct cpu_state *st, uc_engine *uc, uint64_t addr, int code, int trapno)
{
    struct fault *f = &st->fault;
    memset(f, 0, sizeof *f);
    f->signo = SIGFPE;
    f->code = code;
    f->addr = f->rip = addr;   /* (the hook has RIP there already) */
    f->trapno = trapno;
    st->pending = PEND_FAULT;
    uc_emu_stop(uc);
}

/* Has the guest unmasked an exception for which the checks do not exist yet? Then
 * they are made (need_flush: the translations go, outside the engine). */
static bool xm_mode_check(struct cpu_state *st, uc_engine *uc)
{
    uint32_t mxcsr = 0x1f80;
    uint64_t fcw = 0x37f;
    bool changed = false;
    if (!st->xm_sse_on) {
        uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
        if (~(mxcsr >> 7) & 0x3f) st->xm_sse_on = changed = true;
    }
    if (!st->xm_x87_on) {
        uc_reg_read(uc, UC_X86_REG_FPCW, &fcw);
        if (~fcw & 0x3f) st->xm_x87_on = changed = true;
    }
    if (changed) st->need_flush = true;
    return changed;
}

static void xm_flush(struct cpu_state *st, uc_engine *uc)
{
    if (!st->need_flush) return;
    st->need_flush = false;
    uc_ctl_flush_tb(uc);
    memset(st->cache, 0, sizeof st->cache);
}

/* Before an instruction that loads FCW or MXCSR from [reg + disp]: does the value
 * unmask an exception the checks are not made for? Then they are made first: the run
 * stops before the instruction (true). */
static bool xm_mode_ahead(struct cpu_state *st, uc_engine *uc, const struct fix_site *site, int use)
{
    static const int regs[16] = { UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP,
                                  UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8, UC_X86_REG_R9,
                                  UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
                                  UC_X86_REG_R15 };
    uint64_t ea = 0;
    if (site->ea_reg == 16) ea = site->addr + site->size;
    else uc_reg_read(uc, regs[site->ea_reg], &ea);
    ea += (uint64_t)(int64_t)site->ea_disp;
    bool on = false, fx = site->ea_fx;   /* fxrstor/xrstor load MXCSR at +24 too */
    if (use == FOLD_CW || use == FOLD_LOAD_X87) {
        uint16_t fcw = 0x37f;
        if (!st->xm_x87_on && !guest_peek(st->as, ea, &fcw, 2) && (~fcw & 0x3f)) on = st->xm_x87_on = true;
    }
    if (use == FOLD_LOAD_SSE || fx) {
        uint32_t mxcsr = 0x1f80;
        if (!st->xm_sse_on && !guest_peek(st->as, ea + (fx ? 24 : 0), &mxcsr, 4) && (~(mxcsr >> 7) & 0x3f))
            on = st->xm_sse_on = true;
    }
    if (!on) return false;
    st->need_flush = true;
    st->pending = PEND_FIX_SITES;   /* cpu_run drops the translations and runs it again */
    uc_emu_stop(uc);
    return true;
}

/* After a fix site. true when it stopped the run (a fault, or new checks to make). */
static bool fix_apply(struct cpu_state *st, uc_engine *uc)
{
    st->fix_armed = false;
    if (st->fix_op == FIX_MODE) {
        if (!xm_mode_check(st, uc)) return false;
        st->pending = PEND_FIX_SITES;   /* cpu_run drops the translations and runs on */
        uc_emu_stop(uc);
        return true;
    }
    if (st->fix_op == FIX_XM_SSE) {
        uint8_t *raw = ctx_bytes(st, uc);
        if (!raw) return false;
        unsigned flags = x86_flags_of(raw[CTX_SSE_STATUS_FLAGS]);
        uint32_t mxcsr = 0;
        uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
        unsigned unmasked = flags & ~(mxcsr >> 7) & 0x3f;
        if (!unmasked) return false;   /* the flags stay for the next fold */
        /* The CPU checks invalid, denormal and divide-by-zero before computing: one of
         * them unmasked, no overflow, underflow or inexact is looked for (probe on the
         * host: 0/0 with IE unmasked leaves MXCSR's IE only). */
        unsigned set = (unmasked & 0x07) ? (flags & 0x07) : flags;
        uc_context_restore(uc, st->xm_ctx);   /* before the instruction: no result */
        uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
        mxcsr |= set;
        uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr);
        raise_fpe(st, uc, st->xm_addr, fpe_code(~(mxcsr >> 7) & mxcsr & 0x3f), 19);
        return true;
    }
    if (st->fix_op == FIX_XM_X87) {
        uint8_t *raw = ctx_bytes(st, uc);
        if (!raw) return false;
        unsigned flags = x87_flags_of(raw[CTX_FP_STATUS_FLAGS]);
        uint64_t fcw = 0, fsw = 0;
        uc_reg_read(uc, UC_X86_REG_FPCW, &fcw);
        if (!(flags & ~fcw & 0x05)) return false;   /* others: written, pending at the next fold */
        /* Unmasked invalid or divide-by-zero: the destination keeps its value and the
         * exception is pending (the next waiting instruction raises it). The run stops
         * and goes on here, in a new translation (this one's idea of the flags state
         * may be the instruction's). */
        uint64_t next = st->fix_next;
        uc_context_reg_write(st->xm_ctx, UC_X86_REG_RIP, &next);
        uc_context_restore(uc, st->xm_ctx);
        uc_reg_read(uc, UC_X86_REG_FPSW, &fsw);
        fsw |= (flags & 0x07) | 0x8080;
        uc_reg_write(uc, UC_X86_REG_FPSW, &fsw);
        st->ze_prev = fsw & 0x04;
        st->ze_known = true;
        st->pending = PEND_FIX_SITES;
        uc_emu_stop(uc);
        return true;
    }
    if (st->fix_op >= FIX_PCMPSTR) {
        const struct pcmpstr_out *o = &st->pcmp_out;
        if (st->fix_op == FIX_PCMPSTR + PCMP_ISTRI || st->fix_op == FIX_PCMPSTR + PCMP_ESTRI) {
            uint64_t rcx = o->ecx;
            uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
        } else {
            uc_reg_write(uc, UC_X86_REG_XMM0, o->xmm0);
        }
        uint64_t fl = 0;
        uc_reg_read(uc, UC_X86_REG_EFLAGS, &fl);
        fl = (fl & ~0x8d5ULL) | o->flags;
        uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl);
        return false;
    }
    if (st->fix_op == FIX_CPUID) {
        uint64_t a = 0, b = 0, c = 0, d = 0;
        uc_reg_read(uc, UC_X86_REG_RAX, &a);
        uc_reg_read(uc, UC_X86_REG_RBX, &b);
        uc_reg_read(uc, UC_X86_REG_RCX, &c);
        uc_reg_read(uc, UC_X86_REG_RDX, &d);
        cpuid_filter((uint32_t)st->fix_rax, (uint32_t)st->fix_mmval, &a, &b, &c, &d);
        uc_reg_write(uc, UC_X86_REG_RAX, &a);
        uc_reg_write(uc, UC_X86_REG_RBX, &b);
        uc_reg_write(uc, UC_X86_REG_RCX, &c);
        uc_reg_write(uc, UC_X86_REG_RDX, &d);
        return false;
    }
    if (st->fix_op == FIX_ROUND) {
        uint8_t *raw = ctx_bytes(st, uc);
        if (raw && (raw[CTX_SSE_STATUS_FLAGS] & 0x20) != st->round_pe) {
            raw[CTX_SSE_STATUS_FLAGS] = (uint8_t)((raw[CTX_SSE_STATUS_FLAGS] & ~0x20) | st->round_pe);
            uc_context_restore(uc, st->scratch_ctx);
        }
        return false;
    }
    if (st->fix_op == FIX_CMPXCHG32) {
        uint64_t rax = 0;
        uc_reg_read(uc, UC_X86_REG_RAX, &rax);
        /* It succeeded when EAX still holds what it compared (on failure EAX takes the
         * other value, which differed): then RAX is as it was. */
        if ((uint32_t)rax == (uint32_t)st->fix_rax) uc_reg_write(uc, UC_X86_REG_RAX, &st->fix_rax);
        return false;
    }
    if (st->fix_op >= FIX_MMX) {
        /* Unicorn 2.1.1 has no MMX register access: MMi is the mantissa of physical x87
         * register i, which is ST(i) after an MMX instruction (TOP 0). */
        uint8_t reg[16] = { 0 };
        uc_reg_read(uc, UC_X86_REG_ST0 + st->fix_mmreg, reg);
        memcpy(reg, &st->fix_mmval, 8);
        uc_reg_write(uc, UC_X86_REG_ST0 + st->fix_mmreg, reg);
        return false;
    }
    /* QEMU's own (double) computation raised flags of its own: put softfloat's back,
     * with the host's exceptions added there (in softfloat's bits), so that the next fold
     * shows them, and knows a ZE from fyl2x(0) for a real one. */
    uint8_t *raw = ctx_bytes(st, uc);
    if (raw) {
        raw[CTX_FP_STATUS_FLAGS] = st->x87_sf_flags | softfloat_flags_of(st->x87_res.fsw);
        uc_context_restore(uc, st->scratch_ctx);
    }
    const struct x87_result *r = &st->x87_res;
    uint8_t reg[16] = { 0 };
    memcpy(reg, r->st0, 10);
    uc_reg_write(uc, UC_X86_REG_ST0, reg);
    if (r->two) {
        memcpy(reg, r->st1, 10);
        uc_reg_write(uc, UC_X86_REG_ST1, reg);
    }
    uint64_t fsw = 0;
    uc_reg_read(uc, UC_X86_REG_FPSW, &fsw);
    /* C0-C3: those the instruction defines from the host, the others as before it; a
     * stack fault as the host saw it (the exception flags went to softfloat's above). */
    fsw = (fsw & ~0x4700ULL) | (st->x87_fsw_before & 0x4700 & ~r->defined) | (r->fsw & r->defined) | (r->fsw & 0x40);
    uc_reg_write(uc, UC_X86_REG_FPSW, &fsw);
    return false;
}

/* Saves the state before an instruction that may raise an unmasked exception. */
static bool xm_arm(struct cpu_state *st, uc_engine *uc, int op, uint64_t addr, uint8_t size)
{
    if (!st->xm_ctx && uc_context_alloc(uc, &st->xm_ctx) != UC_ERR_OK) { st->xm_ctx = NULL; return false; }
    uc_context_save(uc, st->xm_ctx);
    st->fix_op = op;
    st->xm_addr = addr;
    st->fix_armed = true;
    st->fix_next = addr + size;
    return true;
}

static bool reg_by_name(uc_engine *uc, const char *name, uint64_t *v);

/* The operands of the pcmp[ie]str[im] at code (decoded again with details), run on the
 * host: the results wait in st->pcmp_out. */
static bool pcmpstr_operands(struct cpu_state *st, uc_engine *uc, const uint8_t *code, size_t size, int which)
{
    cs_option(st->cs, CS_OPT_DETAIL, CS_OPT_ON);
    const uint8_t *p = code;
    size_t left = size;
    uint64_t a = st->insn->address;
    bool ok = cs_disasm_iter(st->cs, &p, &left, &a, st->insn);
    cs_x86 *x = &st->insn->detail->x86;
    struct pcmpstr_in in;
    memset(&in, 0, sizeof in);
    if (ok) ok = x->op_count == 3 && x->operands[0].type == X86_OP_REG && x->operands[2].type == X86_OP_IMM;
    if (ok) ok = uc_reg_read(uc, UC_X86_REG_XMM0 + (x->operands[0].reg - X86_REG_XMM0), in.a) == UC_ERR_OK;
    if (ok && x->operands[1].type == X86_OP_REG) {
        ok = uc_reg_read(uc, UC_X86_REG_XMM0 + (x->operands[1].reg - X86_REG_XMM0), in.b) == UC_ERR_OK;
    } else if (ok) {
        const cs_x86_op *m = &x->operands[1];
        uint64_t ea = (uint64_t)m->mem.disp, v, fs = 0, gs = 0;
        if (m->mem.base == X86_REG_RIP) ea += st->insn->address + st->insn->size;
        else if (m->mem.base != X86_REG_INVALID) ok = reg_by_name(uc, cs_reg_name(st->cs, m->mem.base), &v) && (ea += v, true);
        if (ok && m->mem.index != X86_REG_INVALID) ok = reg_by_name(uc, cs_reg_name(st->cs, m->mem.index), &v) && (ea += v * (uint64_t)m->mem.scale, true);
        if (m->mem.segment == X86_REG_FS) { uc_reg_read(uc, UC_X86_REG_FS_BASE, &fs); ea += fs; }
        if (m->mem.segment == X86_REG_GS) { uc_reg_read(uc, UC_X86_REG_GS_BASE, &gs); ea += gs; }
        /* An unreadable operand: Unicorn runs it and faults as the CPU would. */
        if (ok) ok = !guest_read(st->as, ea, in.b, 16);
    }
    uint8_t imm = ok ? (uint8_t)x->operands[2].imm : 0;
    cs_option(st->cs, CS_OPT_DETAIL, CS_OPT_OFF);
    if (!ok) return false;
    uc_reg_read(uc, UC_X86_REG_RAX, &in.rax);
    uc_reg_read(uc, UC_X86_REG_RDX, &in.rdx);
    pcmpstr_host(which, imm, &in, &st->pcmp_out);
    return true;
}

static void on_fix_site(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    (void)size;
    struct cpu_state *st = user;
    if (st->fix_armed && addr == st->fix_next && fix_apply(st, uc)) return;
    const struct fix_site *site = find_site(st, addr);
    if (!site) return;
    if (site->wait) {
        /* A waiting x87 instruction: an unmasked exception pending raises #MF here. */
        uint64_t fcw = 0x37f, fsw = 0;
        uc_reg_read(uc, UC_X86_REG_FPCW, &fcw);
        if (~fcw & 0x3f) {
            fold_fp_flags(st, uc);
            uc_reg_read(uc, UC_X86_REG_FPSW, &fsw);
            if (fsw & ~fcw & 0x3f) {
                raise_fpe(st, uc, addr, fpe_code((unsigned)(fsw & ~fcw & 0x3f)), 16);
                return;
            }
        }
    }
    if (site->op < 0) return;
    int op = site->op;
    if (op >= FIX_FOLD && op < FIX_ROUND) {
        /* Right before an instruction that reads, clears or loads the flags. */
        int use = op - FIX_FOLD;
        if (use != FOLD_CW) fold_fp_flags(st, uc);
        if (use == FOLD_CLEAR) st->ze_prev = false;
        if (use == FOLD_LOAD_X87) st->ze_known = false;
        /* It may unmask an exception: look at what it loads (or after it), until both
         * kinds are checked. */
        if ((use == FOLD_LOAD_SSE && !st->xm_sse_on) || ((use == FOLD_LOAD_X87 || use == FOLD_CW) && !st->xm_x87_on)) {
            if (site->ea_reg >= 0 && xm_mode_ahead(st, uc, site, use)) return;
            if (site->ea_reg < 0) {
                st->fix_op = FIX_MODE;
                st->fix_armed = true;
                st->fix_next = addr + site->size;
            }
        }
        return;
    }
    if (op == FIX_XM_SSE) {
        uint32_t mxcsr = 0x1f80;
        uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
        if (!(~(mxcsr >> 7) & 0x3f)) return;   /* all masked */
        fold_fp_flags(st, uc);                 /* softfloat's flags are now this instruction's */
        xm_arm(st, uc, op, addr, site->size);
        return;
    }
    if (op == FIX_XM_X87) {
        uint64_t fcw = 0x37f;
        uc_reg_read(uc, UC_X86_REG_FPCW, &fcw);
        if (!(~fcw & 0x05)) return;
        if (!site->wait) fold_fp_flags(st, uc);   /* (the check above folded) */
        xm_arm(st, uc, op, addr, site->size);
        return;
    }
    if (op >= FIX_CMPXCHG32) {
        /* The code may have changed since: decode it again (cheap, and rare). */
        uint8_t code[16];
        const uint8_t *p = code;
        size_t left = sizeof code;
        uint64_t a = addr;
        if (uc_mem_read(uc, addr, code, sizeof code) != UC_ERR_OK || !cs_disasm_iter(st->cs, &p, &left, &a, st->insn) ||
            fix_op_of(st, st->insn, &(bool){ false }) != op || st->insn->size != site->size)
            return;
        st->fix_op = op;
        if (op >= FIX_PCMPSTR) {
            if (!pcmpstr_operands(st, uc, code, site->size, op - FIX_PCMPSTR)) return;
        } else if (op == FIX_CPUID) {
            uint64_t leaf = 0, sub = 0;
            uc_reg_read(uc, UC_X86_REG_RAX, &leaf);
            uc_reg_read(uc, UC_X86_REG_RCX, &sub);
            st->fix_rax = (uint32_t)leaf;
            st->fix_mmval = (uint32_t)sub;
        } else if (op == FIX_ROUND) {
            uint8_t *raw = ctx_bytes(st, uc);
            if (!raw) return;
            st->round_pe = raw[CTX_SSE_STATUS_FLAGS] & 0x20;
        } else if (op == FIX_CMPXCHG32) {
            uc_reg_read(uc, UC_X86_REG_RAX, &st->fix_rax);
        } else {
            uint8_t modrm = code[st->insn->size - 1], reg[16] = { 0 };
            uint64_t v = 0, top = 0;
            st->fix_mmreg = modrm & 7;
            /* ST(i) is physical register TOP+i: MMi is ST((i - TOP) & 7). */
            uc_reg_read(uc, UC_X86_REG_FPSW, &top);
            top = (top >> 11) & 7;
            uc_reg_read(uc, UC_X86_REG_ST0 + (int)((st->fix_mmreg - top) & 7), reg);
            memcpy(&v, reg, 8);
            st->fix_mmval = mmx_hop_host(op - FIX_MMX, v);
        }
        st->fix_armed = true;
        st->fix_next = addr + site->size;
        return;
    }
    unsigned char bytes[2];
    if (uc_mem_read(uc, addr, bytes, 2) != UC_ERR_OK || !x87_op_matches(op, bytes)) return;
    st->fix_op = op;
    struct x87_operands in;
    uint8_t reg[16];
    uint64_t fcw = 0;
    uc_reg_read(uc, UC_X86_REG_ST0, reg); memcpy(in.st0, reg, 10);
    uc_reg_read(uc, UC_X86_REG_ST1, reg); memcpy(in.st1, reg, 10);
    uc_reg_read(uc, UC_X86_REG_FPCW, &fcw);
    uint64_t fsw = 0;
    uc_reg_read(uc, UC_X86_REG_FPSW, &fsw);
    st->x87_fsw_before = (uint16_t)fsw;
    in.fcw = (uint16_t)(fcw | 0x3f);   /* exceptions masked on the host: the flags say what happened */
    x87_host_run(op, &in, &st->x87_res);
    uint8_t *raw = ctx_bytes(st, uc);
    st->x87_sf_flags = raw ? raw[CTX_FP_STATUS_FLAGS] : 0;
    st->fix_armed = true;
    st->fix_next = addr + 2;
}

/* Outside the engine: hook the sites found while decoding, and drop the translations
 * that were made without those hooks. */
static void hook_new_fix_sites(struct cpu_state *st, uc_engine *uc)
{
    for (size_t i = 0; i < st->nfix_new; i++) {
        uint64_t a = st->fix_new[i].addr;
        if (st->nfix + 2 > st->capfix) {
            size_t cap = st->capfix ? st->capfix * 2 : 16;
            struct fix_site *n = realloc(st->fix_sites, cap * sizeof *n);
            if (!n) break;
            st->fix_sites = n;
            st->capfix = cap;
        }
        uc_hook h;
        struct fix_site *s = find_site(st, a);
        if (s) {
            /* Hooked already as the next instruction of another site (fsin; fcos). */
            *s = st->fix_new[i];
        } else {
            st->fix_sites[st->nfix++] = st->fix_new[i];
            uc_hook_add(uc, &h, UC_HOOK_CODE, (void *)on_fix_site, st, a, a);
        }
        uint64_t next = a + st->fix_new[i].size;
        int op = st->fix_new[i].op;
        /* Nothing after a fold (or a wait check), but after what may unmask exceptions
         * when its operand cannot be read before it. */
        bool none = op < 0 || (op >= FIX_FOLD && op < FIX_ROUND &&
                               ((op != FIX_FOLD + FOLD_LOAD_SSE && op != FIX_FOLD + FOLD_LOAD_X87 && op != FIX_FOLD + FOLD_CW) ||
                                st->fix_new[i].ea_reg >= 0));
        if (!none && !find_site(st, next)) {
            st->fix_sites[st->nfix++] = (struct fix_site){ next, -1, 0, false, -1, false, 0 };
            uc_hook_add(uc, &h, UC_HOOK_CODE, (void *)on_fix_site, st, next, next);
        }
        uc_ctl_remove_cache(uc, a, next + 1);
    }
    st->nfix_new = 0;
}

/* The miss path: decode the block with Capstone. Kept out of line, so that the hit path
 * in block_insns has no big stack frame (and no stack-protector check) on every block. */
static __attribute__((noinline)) uint32_t decode_block(struct cpu_state *st, uc_engine *uc, struct block_count *b,
                                                       uint64_t addr, uint32_t size)
{
    uint8_t buf[4096];
    uint32_t n = 0;
    if (size <= sizeof buf && uc_mem_read(uc, addr, buf, size) == UC_ERR_OK) {
        const uint8_t *code = buf;
        size_t left = size;
        uint64_t a = addr;
        while (left && cs_disasm_iter(st->cs, &code, &left, &a, st->insn)) {
            n++;
            bool wait;
            int op = fix_op_of(st, st->insn, &wait);
            if (op >= 0 || wait) fix_site_found(st, st->insn, op, wait);
        }
        if (left) n++;   /* an instruction Capstone does not know still retires */
    }
    if (!n) n = 1;
    b->addr = addr; b->size = size; b->insns = n;
    return n;
}

static inline uint32_t block_insns(struct cpu_state *st, uc_engine *uc, uint64_t addr, uint32_t size)
{
    struct block_count *b = &st->cache[(addr ^ (addr >> 14)) & (BLOCK_CACHE_SIZE - 1)];
    if (b->addr == addr && b->size == size && b->insns) return b->insns;
    return decode_block(st, uc, b, addr, size);
}

/* Address of the k-th instruction (k >= 1) of the block at addr; 0 when it cannot be
 * decoded. */
static __attribute__((noinline)) uint64_t insn_addr_in_block(struct cpu_state *st, uc_engine *uc, uint64_t addr, uint32_t size, uint64_t k)
{
    uint8_t buf[4096];
    if (size > sizeof buf || uc_mem_read(uc, addr, buf, size) != UC_ERR_OK) return 0;
    const uint8_t *code = buf;
    size_t left = size;
    uint64_t a = addr;
    for (uint64_t n = 0; n < k; n++)
        if (!left || !cs_disasm_iter(st->cs, &code, &left, &a, st->insn)) return 0;
    return left ? a : 0;
}

/* ---- tracing ---- */

struct cpu_trace cpu_trace;

void cpu_trace_task(struct addr_space *as, int tid) { as->cpu->trace_tid = tid; }

static bool traced(const struct cpu_state *st, uint64_t addr, uint64_t icount)
{
    if (!st->trace_tid) return false;   /* uniemu's own set-up code (enter_user_mode) */
    if (cpu_trace.tid && cpu_trace.tid != st->trace_tid) return false;
    if (addr < cpu_trace.lo || (cpu_trace.hi && addr >= cpu_trace.hi)) return false;
    if (icount < cpu_trace.from || (cpu_trace.to && icount >= cpu_trace.to)) return false;
    return true;
}

/* The number of the instruction at the start of the current block, counted from 1. */
static uint64_t block_first_icount(const struct cpu_state *st)
{
    return st->run_base + (st->icount - st->run_before) - st->last_insns + 1;
}

static void flush_pending(struct cpu_state *st, uc_engine *uc)
{
    static const char *const names[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10",
                                         "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "fs_base", "gs_base" };
    static const int ucr[] = { UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
                               UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9,
                               UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
                               UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_EFLAGS, UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE };
    char diff[512] = "";
    size_t at = 0;
    for (int r = 0; r < R_NREGS; r++) {
        uint64_t v = 0;
        uc_reg_read(uc, ucr[r], &v);
        if (r != R_RIP && v != st->regs[r] && st->have_pending && at < sizeof diff - 40)
            at += (size_t)snprintf(diff + at, sizeof diff - at, " %s=%#llx", names[r], (unsigned long long)v);
        st->regs[r] = v;
    }
    if (st->have_pending) fprintf(cpu_trace.out, "%s%s%s\n%s", st->trace_line, at ? "  ;" : "", diff, st->mem_lines);
    st->have_pending = false;
    st->mem_len = 0;
    st->mem_lines[0] = 0;
}

/* Everything but the common case of on_block: a stop due, a block not yet counted or
 * with new fix sites, a switch inside it, block tracing. Kept out of line so that the
 * hook's common path saves no registers (it runs once per executed block). */
static __attribute__((noinline)) void on_block_slow(uc_engine *uc, struct cpu_state *st, uint64_t addr, uint32_t size)
{
    /* icount never passes deadline: a block that would cross it is split below. */
    uint64_t left = st->deadline - st->icount;
    /* A stop requested here lands before this block, and the hook fires again when the
     * run resumes: count the block only when it really runs. */
    if (__builtin_expect(left == 0, 0)) {
        st->pending = PEND_BUDGET;
        st->block_stop = addr;
        uc_emu_stop(uc);
        return;
    }
    uint32_t n = block_insns(st, uc, addr, size);
    if (__builtin_expect(st->nfix_new != 0, 0)) {
        /* Stop before this block: it is translated again once its fix sites are hooked
         * (and counted then). */
        st->cache[(addr ^ (addr >> 14)) & (BLOCK_CACHE_SIZE - 1)].insns = 0;
        st->pending = PEND_FIX_SITES;
        st->block_stop = addr;
        uc_emu_stop(uc);
        return;
    }
    if (__builtin_expect(n > left, 0)) {
        /* The switch is due inside this block: stop before it, and let cpu_run run
         * again up to the instruction where the deadline falls (DESIGN.md: `until`). */
        uint64_t at = insn_addr_in_block(st, uc, addr, size, left);
        if (at) {
            st->split_at = at;
            st->split_block = addr;
            st->split_size = size;
            st->pending = PEND_SPLIT;
            st->block_stop = addr;
            uc_emu_stop(uc);
            return;
        }
        st->deadline = st->icount + n;   /* undecodable: the switch lands after the block */
    }
    st->icount += n;
    st->last_block = addr;
    st->last_size = size;
    st->last_insns = n;
    if (cpu_trace.block && traced(st, addr, block_first_icount(st)))
        fprintf(cpu_trace.out, "%d %llu %#llx  block size %u, %u instructions\n", st->trace_tid,
                (unsigned long long)block_first_icount(st), (unsigned long long)addr, size, n);
}

static void on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    struct cpu_state *st = user;
    const struct block_count *b = &st->cache[(addr ^ (addr >> 14)) & (BLOCK_CACHE_SIZE - 1)];
    uint32_t n = b->insns;
    /* Common case: a block already counted that ends before the deadline. */
    if (__builtin_expect(b->addr == addr && b->size == size && n && n <= st->deadline - st->icount &&
                         !st->nfix_new, 1)) {
        st->icount += n;
        st->last_block = addr;
        st->last_size = size;
        st->last_insns = n;
        return;
    }
    on_block_slow(uc, st, addr, size);
}

/* The block hook under --trace=block: every block takes the slow path, which traces. */
static void on_block_traced(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    on_block_slow(uc, user, addr, size);
}

static void on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    struct cpu_state *st = user;
    flush_pending(st, uc);
    st->insn_in_block = addr == st->last_block ? 0 : st->insn_in_block + 1;
    uint64_t icount = block_first_icount(st) + st->insn_in_block;
    if (!cpu_trace.insn || !traced(st, addr, icount)) return;
    uint8_t bytes[16];
    size_t n = size < sizeof bytes ? size : sizeof bytes;
    if (uc_mem_read(uc, addr, bytes, n) != UC_ERR_OK) n = 0;
    char hex[64] = "", text[160] = "(bad)";
    for (size_t i = 0; i < n; i++) snprintf(hex + 3 * i, sizeof hex - 3 * i, "%02x ", bytes[i]);
    const uint8_t *code = bytes;
    size_t left = n;
    uint64_t a = addr;
    if (n && cs_disasm_iter(st->cs, &code, &left, &a, st->insn))
        snprintf(text, sizeof text, "%.31s%s%.120s", st->insn->mnemonic, st->insn->op_str[0] ? " " : "", st->insn->op_str);
    snprintf(st->trace_line, sizeof st->trace_line, "%d %llu %#llx  %-30s %s", st->trace_tid, (unsigned long long)icount,
             (unsigned long long)addr, hex, text);
    st->have_pending = true;
}

static void on_rw(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
    struct cpu_state *st = user;
    uint64_t pc = 0;
    uc_reg_read(uc, UC_X86_REG_RIP, &pc);
    uint64_t icount = block_first_icount(st) + st->insn_in_block;
    if (!traced(st, pc, icount)) return;
    uint64_t v = (uint64_t)value;
    if (type == UC_MEM_READ) {
        v = 0;
        uc_mem_read(uc, addr, &v, size > 8 ? 8 : (size_t)size);
    }
    char line[160];
    snprintf(line, sizeof line, "%d %llu %#llx  mem %s %#llx size %d value %#llx\n", st->trace_tid, (unsigned long long)icount,
             (unsigned long long)pc, type == UC_MEM_READ ? "read " : "write", (unsigned long long)addr, size,
             (unsigned long long)(size >= 8 ? v : v & ((1ULL << (8 * size)) - 1)));
    /* With the instruction trace, accesses follow their instruction's line. */
    size_t n = strlen(line);
    if (cpu_trace.insn && st->have_pending && st->mem_len + n < sizeof st->mem_lines) {
        memcpy(st->mem_lines + st->mem_len, line, n + 1);
        st->mem_len += n;
    } else if (!cpu_trace.insn || !st->have_pending) {
        fputs(line, cpu_trace.out);
    }
}

static void on_syscall(uc_engine *uc, void *user)
{
    struct cpu_state *st = user;
    st->pending = PEND_SYSCALL;
    uc_emu_stop(uc);
}

static bool on_bad_mem(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
    (void)size; (void)value;
    struct cpu_state *st = user;
    /* An access below the stack grows it here, inside the hook, and the access is
     * retried: the run goes on as if the memory had been there. Stopping instead and
     * resuming at the faulting instruction would need its exact address, which Unicorn
     * 2.1.1 does not give (RIP is the block's start, #1323): guessed from the block,
     * it picked an earlier push with the same stack address and ran it twice
     * (tests/guest/stack_grow.c). */
    if ((type == UC_MEM_READ_UNMAPPED || type == UC_MEM_WRITE_UNMAPPED) && as_grow_stack(st->as, addr))
        return true;
    struct fault *f = &st->fault;
    memset(f, 0, sizeof *f);
    f->signo = SIGSEGV;
    f->addr = addr;
    uc_reg_read(uc, UC_X86_REG_RIP, &f->rip);
    switch (type) {
    case UC_MEM_READ_UNMAPPED: f->code = SEGV_MAPERR; f->access = "read"; break;
    case UC_MEM_WRITE_UNMAPPED: f->code = SEGV_MAPERR; f->access = "write"; break;
    case UC_MEM_FETCH_UNMAPPED: f->code = SEGV_MAPERR; f->access = "execute"; break;
    case UC_MEM_READ_PROT: f->code = SEGV_ACCERR; f->access = "read"; break;
    case UC_MEM_WRITE_PROT: f->code = SEGV_ACCERR; f->access = "write"; break;
    case UC_MEM_FETCH_PROT: f->code = SEGV_ACCERR; f->access = "execute"; break;
    default: f->code = SEGV_MAPERR; break;
    }
    /* Not in the engine but in a mapping: a reservation (VMA_UNBACKED), PROT_NONE. */
    if (f->code == SEGV_MAPERR && as_find(st->as, addr)) f->code = SEGV_ACCERR;
    /* Addresses beyond the 47-bit user half are non-canonical or kernel addresses:
     * Linux reports those as a general protection fault, si_addr 0. */
    if (addr >= 0x800000000000ULL) { f->code = SI_KERNEL; f->addr = 0; }
    st->pending = PEND_FAULT;
    return false;
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    struct cpu_state *st = user;
    struct fault *f = &st->fault;
    memset(f, 0, sizeof *f);
    uc_reg_read(uc, UC_X86_REG_RIP, &f->rip);
    uint8_t op[2];
    if (intno == 13 && !st->tsc_sigsegv && uc_mem_read(uc, f->rip, op, 2) == UC_ERR_OK && op[0] == 0x0f && op[1] == 0x31) {
        /* rdtsc at CPL 3 with CR4.TSD: cpu_run supplies the virtual time stamp. */
        st->pending = PEND_RDTSC;
        uc_emu_stop(uc);
        return;
    }
    switch (intno) {
    case 0: f->signo = SIGFPE; f->code = FPE_INTDIV; f->addr = f->rip; break;
    case 1: f->signo = SIGTRAP; f->code = TRAP_BRKPT; break;
    case 3: f->signo = SIGTRAP; f->code = SI_KERNEL; f->rip -= 1; break; /* int3 traps after itself */
    case 4: f->signo = SIGSEGV; f->code = SI_KERNEL; break;
    case 6: f->signo = SIGILL; f->code = ILL_ILLOPN; f->addr = f->rip; break;
    case 16: case 19: f->signo = SIGFPE; f->code = 0; f->addr = f->rip; break;
    case 17: f->signo = SIGBUS; f->code = BUS_ADRALN; break;
    default: f->signo = SIGSEGV; f->code = SI_KERNEL; break; /* #GP and software ints */
    }
    st->pending = PEND_FAULT;
    uc_emu_stop(uc);
}

/* Value of a register named by Capstone ("rax", "r8d", "esi"...) as an address part. */
static bool reg_by_name(uc_engine *uc, const char *name, uint64_t *v)
{
    static const char *const r64[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp" };
    static const char *const r32[] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp" };
    static const int ucr[] = { UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
                               UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP };
    for (int i = 0; i < 8; i++) {
        if (!strcmp(name, r64[i])) { uc_reg_read(uc, ucr[i], v); return true; }
        if (!strcmp(name, r32[i])) { uc_reg_read(uc, ucr[i], v); *v &= 0xffffffff; return true; }
    }
    int n;
    char suffix = 0;
    if (sscanf(name, "r%d%c", &n, &suffix) >= 1 && n >= 8 && n <= 15) {
        uc_reg_read(uc, UC_X86_REG_R8 + (n - 8), v);
        if (suffix == 'd') *v &= 0xffffffff;
        return true;
    }
    return false;
}

static bool covers(uint64_t start, uint64_t len, uint64_t addr) { return addr >= start && addr - start < (len ? len : 1); }

/* The general register a Capstone register is part of (rax for eax, ax, al, ah), as a
 * bit (0: rax ... 15: r15), or 0. */
static unsigned gpr_bit(const char *n)
{
    static const char *const base[] = { "ax", "bx", "cx", "dx", "si", "di", "bp", "sp" };
    if (!n) return 0;
    if (n[0] == 'r' && n[1] >= '0' && n[1] <= '9') {
        int k = atoi(n + 1);
        return k >= 8 && k <= 15 ? 1u << k : 0;
    }
    const char *m = (n[0] == 'r' || n[0] == 'e') && strlen(n) == 3 ? n + 1 : n;
    for (int i = 0; i < 8; i++) {
        if (!strncmp(m, base[i], 2) && (m[2] == 0 || m[2] == 'l')) return 1u << i;   /* ax, sil, spl */
        if (i < 4 && m[0] == base[i][0] && (m[1] == 'l' || m[1] == 'h') && m[2] == 0) return 1u << i;   /* al, ah */
    }
    return 0;
}

/* Unicorn 2.1.1 leaves RIP at the start of the translated block after a memory fault
 * (upstream issue #1323), while the registers already hold the state just before the
 * faulting instruction. Find that instruction: walk the block and take the first one
 * whose memory operand, computed from the current registers, covers the fault address,
 * unless an instruction after it and before the next such one writes a register of its
 * address (then its address was another when it ran, or it would have faulted: a later
 * one is the faulting instruction; "mov (%rax),%rdx; mov $0,%rax; mov (%rax),%rax" with
 * the fault at 0 picked the first). With no other, the first. */
static uint64_t locate_faulting_insn(struct cpu_state *st, uc_engine *uc, uint64_t block, uint64_t addr)
{
    uint8_t code[512];
    size_t got = 0;
    while (got < sizeof code && uc_mem_read(uc, block + got, code + got, 16) == UC_ERR_OK) got += 16;
    if (!got) return block;
    cs_option(st->cs, CS_OPT_DETAIL, CS_OPT_ON);
    const uint8_t *p = code;
    size_t left = got;
    uint64_t a = block, rsp, rbp, fs, gs;
    uint64_t hits[64];
    unsigned hit_regs[64], writes_after[64];   /* per hit: its address registers; written since */
    int nhits = 0;
    uc_reg_read(uc, UC_X86_REG_RSP, &rsp);
    uc_reg_read(uc, UC_X86_REG_RBP, &rbp);
    uc_reg_read(uc, UC_X86_REG_FS_BASE, &fs);
    uc_reg_read(uc, UC_X86_REG_GS_BASE, &gs);
    for (int n = 0; n < 64 && cs_disasm_iter(st->cs, &p, &left, &a, st->insn); n++) {
        cs_insn *in = st->insn;
        cs_x86 *x = &in->detail->x86;
        bool hit = false;
        unsigned regs = 0;
        switch (in->id) {
        case X86_INS_PUSH: case X86_INS_CALL: case X86_INS_PUSHFQ: hit = covers(rsp - 8, 8, addr); regs = 1u << 7; break;
        case X86_INS_POP: case X86_INS_RET: case X86_INS_POPFQ: hit = covers(rsp, 8, addr); regs = 1u << 7; break;
        case X86_INS_LEAVE: hit = covers(rbp, 8, addr); regs = 1u << 6; break;
        default: break;
        }
        for (int k = 0; !hit && k < x->op_count && in->id != X86_INS_LEA && in->id != X86_INS_NOP; k++) {
            cs_x86_op *op = &x->operands[k];
            if (op->type != X86_OP_MEM) continue;
            uint64_t ea = (uint64_t)op->mem.disp, v;
            regs = 0;
            if (op->mem.base == X86_REG_RIP) ea += in->address + in->size;
            else if (op->mem.base != X86_REG_INVALID && reg_by_name(uc, cs_reg_name(st->cs, op->mem.base), &v)) {
                ea += v;
                regs |= gpr_bit(cs_reg_name(st->cs, op->mem.base));
            }
            if (op->mem.index != X86_REG_INVALID && reg_by_name(uc, cs_reg_name(st->cs, op->mem.index), &v)) {
                ea += v * op->mem.scale;
                regs |= gpr_bit(cs_reg_name(st->cs, op->mem.index));
            }
            if (op->mem.segment == X86_REG_FS) ea += fs;
            if (op->mem.segment == X86_REG_GS) ea += gs;
            hit = covers(ea, op->size, addr);
        }
        if (!hit && (x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE ||
                     in->id == X86_INS_MOVSB || in->id == X86_INS_STOSB || in->id == X86_INS_LODSB)) {
            uint64_t rsi, rdi;
            uc_reg_read(uc, UC_X86_REG_RSI, &rsi);
            uc_reg_read(uc, UC_X86_REG_RDI, &rdi);
            hit = covers(rsi, 16, addr) || covers(rdi, 16, addr);
            regs = (1u << 4) | (1u << 5);
        }
        /* What this instruction writes counts against the hits before it. */
        cs_regs rr, ww;
        uint8_t nr = 0, nw = 0;
        unsigned written = 0;
        if (cs_regs_access(st->cs, in, rr, &nr, ww, &nw) == CS_ERR_OK)
            for (int k = 0; k < nw; k++) written |= gpr_bit(cs_reg_name(st->cs, ww[k]));
        else
            written = ~0u;
        if (nhits) writes_after[nhits - 1] |= written;
        if (hit) {
            if (nhits && !(hit_regs[nhits - 1] & writes_after[nhits - 1])) break;   /* the previous one stands */
            hits[nhits] = in->address;
            hit_regs[nhits] = regs;
            writes_after[nhits] = 0;
            nhits++;
        }
        /* The block (QEMU's translation) ends at a jump, call, return or interrupt. */
        if (cs_insn_group(st->cs, in, CS_GRP_JUMP) || cs_insn_group(st->cs, in, CS_GRP_CALL) ||
            cs_insn_group(st->cs, in, CS_GRP_RET) || cs_insn_group(st->cs, in, CS_GRP_INT) ||
            cs_insn_group(st->cs, in, CS_GRP_IRET) || in->id == X86_INS_SYSCALL)
            break;
    }
    cs_option(st->cs, CS_OPT_DETAIL, CS_OPT_OFF);
    for (int i = 0; i < nhits; i++)
        if (i == nhits - 1 || !(hit_regs[i] & writes_after[i])) return hits[i];
    return nhits ? hits[0] : block;
}

static void check_exception_marker(struct addr_space *as);

/* The guest runs at CPL 3, as on Linux, with CR4.TSD set: then rdtsc raises #GP and
 * uniemu answers it from the virtual clock (Unicorn 2.1.1 cannot hook rdtsc; writing
 * CS/SS does not change the privilege level, an iretq does: probes in the design notes).
 * A scratch page above TASK_SIZE holds a GDT and the iretq while it runs, then goes. */
#define SCRATCH_PAGE 0x7ffffffff000ULL
static void enter_user_mode(struct addr_space *as)
{
    uc_engine *uc = as->uc;
    if (uc_mem_map(uc, SCRATCH_PAGE, 0x1000, UC_PROT_ALL) != UC_ERR_OK) return;
    uint64_t gdt[8] = { 0 };
    gdt[1] = 0x00af9b000000ffffULL;   /* kernel code, 64-bit */
    gdt[2] = 0x00cf93000000ffffULL;   /* kernel data */
    gdt[5] = 0x00cff3000000ffffULL;   /* user data, DPL 3: selector 0x2b */
    gdt[6] = 0x00affb000000ffffULL;   /* user code, 64-bit, DPL 3: selector 0x33 */
    const uint8_t code[] = { 0x48, 0xcf, 0x90, 0x90 };   /* iretq; landing pad */
    uint64_t frame[5] = { SCRATCH_PAGE + 0x802, 0x33, 0x202, SCRATCH_PAGE + 0xf00, 0x2b };
    uc_mem_write(uc, SCRATCH_PAGE, gdt, sizeof gdt);
    uc_mem_write(uc, SCRATCH_PAGE + 0x800, code, sizeof code);
    uc_mem_write(uc, SCRATCH_PAGE + 0xe00, frame, sizeof frame);
    uc_x86_mmr gdtr = { 0, SCRATCH_PAGE, sizeof gdt - 1, 0 };
    uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
    uint64_t cs = 0x08, ss = 0x10, rsp = SCRATCH_PAGE + 0xe00, cr4 = 0;
    uc_reg_write(uc, UC_X86_REG_SS, &ss);
    uc_reg_write(uc, UC_X86_REG_CS, &cs);
    uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
    uc_reg_read(uc, UC_X86_REG_CR4, &cr4);
    /* Unicorn reads CR4 as 0 yet runs SSE; writing it recomputes the flags: keep PAE,
     * OSFXSR and OSXMMEXCPT (or SSE raises #UD), add TSD and FSGSBASE (Linux sets
     * it: rdfsbase and friends work at CPL 3, AT_HWCAP2 says so). */
    cr4 |= 0x20 | 0x200 | 0x400 | (1 << 2) | (1 << 16);
    uc_reg_write(uc, UC_X86_REG_CR4, &cr4);
    as->cpu->deadline = UINT64_MAX;
    uc_emu_start(uc, SCRATCH_PAGE + 0x800, SCRATCH_PAGE + 0x802, 0, 0);
    uc_mem_unmap(uc, SCRATCH_PAGE, 0x1000);
    uc_ctl_remove_cache(uc, SCRATCH_PAGE, SCRATCH_PAGE + 0x1000);
    as->cpu->icount = 0;
    memset(as->cpu->cache, 0, sizeof as->cpu->cache);
}

int cpu_init(struct addr_space *as)
{
    struct cpu_state *st = calloc(1, sizeof *st);
    if (!st) return -1;
    st->as = as;
    /* QEMU drops from a model's CPUID what TCG cannot execute (AVX, AVX2, FMA: glibc's
     * IFUNCs would pick code that raises #UD). Broadwell has SSE4.2, POPCNT, MOVBE,
     * AES, PCLMULQDQ, LZCNT, ADX, FSGSBASE; the cpuid fix site hides the rest, which
     * does not execute correctly (FIX_CPUID). */
    uc_ctl_set_cpu_model(as->uc, UC_CPU_X86_BROADWELL);
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &st->cs) != CS_ERR_OK) { free(st); return -1; }
    /* Room for operand details (used to locate faults); counting runs with details off. */
    cs_option(st->cs, CS_OPT_DETAIL, CS_OPT_ON);
    st->insn = cs_malloc(st->cs);
    cs_option(st->cs, CS_OPT_DETAIL, CS_OPT_OFF);
    uc_engine *uc = as->uc;
    uc_hook_add(uc, &st->h_block, UC_HOOK_BLOCK, cpu_trace.block ? (void *)on_block_traced : (void *)on_block, st, 1, 0);
    uc_hook_add(uc, &st->h_syscall, UC_HOOK_INSN, (void *)on_syscall, st, 1, 0, UC_X86_INS_SYSCALL);
    uc_hook_add(uc, &st->h_mem, UC_HOOK_MEM_INVALID, (void *)on_bad_mem, st, 1, 0);
    uc_hook_add(uc, &st->h_intr, UC_HOOK_INTR, (void *)on_interrupt, st, 1, 0);
    /* Per-instruction and memory hooks cost much: only when a trace asks for them. */
    if (cpu_trace.insn || cpu_trace.mem)
        uc_hook_add(uc, &st->h_code, UC_HOOK_CODE, (void *)on_code, st, 1, 0);
    if (cpu_trace.mem)
        uc_hook_add(uc, &st->h_rw, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)on_rw, st, 1, 0);
    as->cpu = st;
    static bool checked;
    if (!checked) { checked = true; check_exception_marker(as); }
    enter_user_mode(as);
    return 0;
}

void cpu_fini(struct addr_space *as)
{
    struct cpu_state *st = as->cpu;
    if (!st) return;
    cs_free(st->insn, 1);
    cs_close(&st->cs);
    if (st->scratch_ctx) uc_context_free(st->scratch_ctx);
    if (st->xm_ctx) uc_context_free(st->xm_ctx);
    free(st->fix_sites);
    free(st);
    as->cpu = NULL;
}

uint64_t cpu_icount(struct addr_space *as) { return as->cpu->icount; }

/* The time stamp counter of the virtual CPU: 1 GHz, the virtual clock in nanoseconds. */
static void rdtsc_emulate(struct cpu_state *st, struct addr_space *as, uint64_t before)
{
    uint64_t rip = cpu_get(as, R_RIP);
    /* The block hook counted the whole block; only up to rdtsc ran. The rest runs again
     * as a new block after rdtsc and is counted then. */
    if (st->last_block <= rip && rip < st->last_block + st->last_size) {
        uint64_t ran = 0, a = st->last_block;
        uint8_t buf[4096];
        if (st->last_size <= sizeof buf && uc_mem_read(as->uc, a, buf, st->last_size) == UC_ERR_OK) {
            const uint8_t *code = buf;
            size_t left = st->last_size;
            while (a <= rip && left && cs_disasm_iter(st->cs, &code, &left, &a, st->insn)) ran++;
            if (ran <= st->last_insns) st->icount -= st->last_insns - ran;
        }
    }
    uint64_t tsc = det_now_ns() + (st->icount - before);
    cpu_set(as, R_RAX, tsc & 0xffffffff);
    cpu_set(as, R_RDX, tsc >> 32);
    cpu_set(as, R_RIP, rip + 2);
    cpu_clear_exception(as);
}

static uint64_t fetch_fault_insn(struct cpu_state *st, uc_engine *uc, uint64_t block, uint64_t addr)
{
    if (addr <= block || addr - block > 4096) return addr;
    uint8_t code[4096 + 16];
    size_t n = (size_t)(addr - block) + 15;
    if (uc_mem_read(uc, block, code, n) != UC_ERR_OK) return addr;
    const uint8_t *p = code;
    size_t left = n;
    uint64_t a = block;
    while (a < addr) {
        uint64_t start = a;
        if (!cs_disasm_iter(st->cs, &p, &left, &a, st->insn)) return addr;
        if (a > addr) return start;   /* this instruction runs into the faulting page */
    }
    return addr;
}

/* The flags at a memory fault. QEMU keeps EFLAGS lazily: the operands of the last
 * flag-setting instruction (cc_src, cc_dst, in the engine's state at a fault) and its
 * kind, cc_op, which the translator knows while translating and stores only at the end
 * of a block or where it must. A fault reported through a memory hook leaves cc_op as
 * the block began (Unicorn 2.1.1 does not restore the state of the faulting
 * instruction, #1323), so EFLAGS came out from the new operands under the old kind:
 * 0x246 in a SIGSEGV handler where Linux says 0xa96. The kind is found again here from
 * the last instruction before the fault that sets flags, as QEMU 5.0's translator names
 * it (CC_OP_* of target/i386/cpu.h, at its offset in a saved context: found by diffing
 * contexts after add, sub and and; tests/unicorn_probes.c checks it). Instructions
 * whose kind is not known here (or is decided while running: shifts by CL, which
 * store it) leave the engine's. */
#define CTX_CC_OP 188
enum { CC_OP_MULB = 2, CC_OP_ADDB = 6, CC_OP_ADCB = 10, CC_OP_SUBB = 14, CC_OP_SBBB = 18, CC_OP_LOGICB = 22,
       CC_OP_INCB = 26, CC_OP_DECB = 30, CC_OP_SHLB = 34, CC_OP_SARB = 38, CC_OP_CLR = 49 };

/* The cc_op an instruction leaves, -1 when not known here, -2 when it leaves it as it was. */
static int cc_op_of(const cs_insn *in)
{
    const cs_x86 *x = &in->detail->x86;
    if (x->op_count < 1) return -1;
    int size = x->operands[0].size, ot = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;
    if (ot < 0) return -1;
    bool same_regs = x->op_count == 2 && x->operands[0].type == X86_OP_REG && x->operands[1].type == X86_OP_REG &&
                     x->operands[0].reg == x->operands[1].reg;
    switch (in->id) {
    case X86_INS_ADD: case X86_INS_XADD: return CC_OP_ADDB + ot;
    case X86_INS_ADC: return CC_OP_ADCB + ot;
    case X86_INS_SUB: if (same_regs) return CC_OP_CLR; return CC_OP_SUBB + ot;   /* sub r, r and xor r, r: QEMU's "clear" */
    case X86_INS_CMP: case X86_INS_NEG: case X86_INS_CMPXCHG: return CC_OP_SUBB + ot;
    case X86_INS_SBB: return CC_OP_SBBB + ot;
    case X86_INS_XOR: if (same_regs) return CC_OP_CLR; return CC_OP_LOGICB + ot;
    case X86_INS_AND: case X86_INS_OR: case X86_INS_TEST: return CC_OP_LOGICB + ot;
    case X86_INS_INC: return CC_OP_INCB + ot;
    case X86_INS_DEC: return CC_OP_DECB + ot;
    case X86_INS_MUL: case X86_INS_IMUL: return CC_OP_MULB + ot;
    case X86_INS_BT: case X86_INS_BTS: case X86_INS_BTR: case X86_INS_BTC: return CC_OP_SARB + ot;
    case X86_INS_SHL: case X86_INS_SAL: case X86_INS_SHR: case X86_INS_SAR: {
        int64_t count;
        if (x->op_count == 1) count = 1;   /* shl r/m, 1 */
        else if (x->operands[1].type == X86_OP_IMM) count = x->operands[1].imm;
        else return -1;                    /* by CL: decided while running, and stored */
        if (!(count & (ot == 3 ? 63 : 31))) return -2;
        return (in->id == X86_INS_SHL || in->id == X86_INS_SAL ? CC_OP_SHLB : CC_OP_SARB) + ot;
    }
    }
    return -1;
}

static void fault_flags(struct cpu_state *st, uc_engine *uc, uint64_t block, uint64_t insn)
{
    if (insn <= block || insn - block > 4096) return;
    uint8_t code[4096 + 16];
    size_t n = (size_t)(insn - block);
    if (uc_mem_read(uc, block, code, n) != UC_ERR_OK) return;
    cs_option(st->cs, CS_OPT_DETAIL, CS_OPT_ON);
    const uint64_t writes = X86_EFLAGS_MODIFY_AF | X86_EFLAGS_MODIFY_CF | X86_EFLAGS_MODIFY_SF | X86_EFLAGS_MODIFY_ZF |
                            X86_EFLAGS_MODIFY_PF | X86_EFLAGS_MODIFY_OF | X86_EFLAGS_RESET_OF | X86_EFLAGS_RESET_CF |
                            X86_EFLAGS_RESET_SF | X86_EFLAGS_RESET_AF | X86_EFLAGS_RESET_PF | X86_EFLAGS_RESET_ZF |
                            X86_EFLAGS_SET_CF | X86_EFLAGS_SET_OF | X86_EFLAGS_SET_SF | X86_EFLAGS_SET_ZF |
                            X86_EFLAGS_SET_AF | X86_EFLAGS_SET_PF | X86_EFLAGS_UNDEFINED_OF | X86_EFLAGS_UNDEFINED_SF |
                            X86_EFLAGS_UNDEFINED_ZF | X86_EFLAGS_UNDEFINED_PF | X86_EFLAGS_UNDEFINED_AF |
                            X86_EFLAGS_UNDEFINED_CF;
    const uint8_t *p = code;
    size_t left = n;
    uint64_t a = block;
    int cc = -1;
    bool ok = true;
    while (a < insn) {
        if (!cs_disasm_iter(st->cs, &p, &left, &a, st->insn)) { ok = false; break; }
        if (!(st->insn->detail->x86.eflags & writes)) continue;
        int k = cc_op_of(st->insn);
        if (k != -2) cc = k;
    }
    cs_option(st->cs, CS_OPT_DETAIL, CS_OPT_OFF);
    if (!ok || a != insn || cc < 0) return;
    uint8_t *raw = ctx_bytes(st, uc);
    if (!raw) return;
    int32_t v = cc;
    memcpy(raw + CTX_CC_OP, &v, 4);
    uc_context_restore(uc, st->scratch_ctx);
}

static enum stop_reason finish_run(struct cpu_state *st, struct addr_space *as, uc_err err, struct fault *f)
{
    switch (st->pending) {
    case PEND_SYSCALL: return STOP_SYSCALL;
    case PEND_BUDGET: case PEND_SPLIT: case PEND_RDTSC: case PEND_FIX_SITES: return STOP_BUDGET;
    case PEND_FAULT:
        *f = st->fault;
        if (f->access) f->rip = cpu_get(as, R_RIP);
        if (f->access && strcmp(f->access, "execute") != 0 && st->last_block) {
            /* The block the fault is in is the one whose block hook ran last: Unicorn's
             * RIP is the start of the last block entered from its main loop, older when
             * blocks were chained (a second call of the same code got a RIP in its
             * caller). */
            f->rip = st->last_block;
        }
        uint64_t block = f->rip;
        if (f->access && strcmp(f->access, "execute") != 0) f->rip = locate_faulting_insn(st, as->uc, f->rip, f->addr);
        if (f->access && !strcmp(f->access, "execute") && f->code != SI_KERNEL) {
            /* Unicorn's RIP is the block's start; the fetch that failed is at the hook's
             * address (the block ran on into an unmapped or PROT_NONE page). RIP is the
             * instruction there, or the one that straddles into it. */
            f->rip = fetch_fault_insn(st, as->uc, f->rip, f->addr);
        }
        if (f->access) fault_flags(st, as->uc, block, f->rip);
        return STOP_FAULT;
    case PEND_NONE: break;
    }
    memset(f, 0, sizeof *f);
    f->rip = cpu_get(as, R_RIP);
    if (err == UC_ERR_INSN_INVALID) {
        f->signo = SIGILL; f->code = ILL_ILLOPN; f->addr = f->rip;
    } else {
        /* The engine ended without telling why (hlt and other privileged instructions
         * end a run in Unicorn): in user mode those raise #GP, that is SIGSEGV. */
        f->signo = SIGSEGV; f->code = SI_KERNEL;
    }
    return STOP_FAULT;
}

/* Runs the engine from RIP. A stop that the block hook asked for lands before that
 * block, but Unicorn 2.1.1 puts RIP back at the block's start only while no code hook
 * exists at all (cpu-exec.c: with one it trusts the hooks to have synced RIP, which
 * they do only for the instructions they cover): so RIP is set here. Without this, any
 * code hook (a fix site, --trace) made a preempted task resume at a stale RIP and run
 * the last instruction of the previous block again. */
static uc_err run_engine(struct cpu_state *st, struct addr_space *as, uint64_t from, uint64_t until)
{
    st->block_stop = 0;
    uc_err err = uc_emu_start(as->uc, from, until, 0, 0);
    if (st->block_stop && (st->pending == PEND_BUDGET || st->pending == PEND_SPLIT || st->pending == PEND_FIX_SITES))
        cpu_set(as, R_RIP, st->block_stop);
    return err;
}

enum stop_reason cpu_run(struct addr_space *as, uint64_t budget, struct fault *f)
{
    struct cpu_state *st = as->cpu;
    uint64_t rip = cpu_get(as, R_RIP), before = st->icount;
    st->run_base = det_insns();
    st->run_before = before;
    st->pending = PEND_NONE;
    st->deadline = budget > UINT64_MAX - st->icount ? UINT64_MAX : st->icount + budget;
    xm_mode_check(st, as->uc);   /* unmasked by sigreturn, inherited by fork... */
    xm_flush(st, as->uc);
    uc_err err = run_engine(st, as, rip, 0);
    while (st->pending == PEND_RDTSC || st->pending == PEND_FIX_SITES) {
        if (st->pending == PEND_FIX_SITES) {
            hook_new_fix_sites(st, as->uc);
            xm_flush(st, as->uc);
        } else {
            rdtsc_emulate(st, as, before);
            if (st->icount >= st->deadline) { st->pending = PEND_BUDGET; break; }
        }
        st->pending = PEND_NONE;
        err = run_engine(st, as, cpu_get(as, R_RIP), 0);
    }
    if (st->pending == PEND_SPLIT) {
        /* Run the head of the block up to the instruction where the deadline falls.
         * The block is translated again, cut at `until`; the hook sees the cut size. */
        uint64_t until = st->split_at;
        st->pending = PEND_NONE;
        /* Unicorn 2.1.1 honours `until` only while translating: a block already in the
         * translation cache would run past it (probe: the loop ran to its end). Drop the
         * cached block first; after the run Unicorn drops the cut one by itself. */
        uc_ctl_remove_cache(as->uc, st->split_block, st->split_block + st->split_size);
        st->deadline = UINT64_MAX;
        err = run_engine(st, as, cpu_get(as, R_RIP), until);
        if (st->pending == PEND_NONE && cpu_get(as, R_RIP) == until) st->pending = PEND_SPLIT;
    }
    if (st->have_pending) flush_pending(st, as->uc);
    if (st->fix_armed) {
        /* Stopped between a fix site and the next instruction. */
        enum pending was = st->pending;
        if (cpu_get(as, R_RIP) == st->fix_next && fix_apply(st, as->uc) && st->pending == PEND_FIX_SITES)
            st->pending = was;   /* (new checks: made as the next run starts) */
        st->fix_armed = false;
    }
    det_add_insns(st->icount - before);
    return finish_run(st, as, err, f);
}

void cpu_set_tsc_sigsegv(struct addr_space *as, bool on) { as->cpu->tsc_sigsegv = on; }
bool cpu_tsc_sigsegv(struct addr_space *as) { return as->cpu->tsc_sigsegv; }

uint64_t cpu_get(struct addr_space *as, enum greg r)
{
    uint64_t v = 0;
    uc_reg_read(as->uc, uc_reg_of[r], &v);
    return v;
}

void cpu_set(struct addr_space *as, enum greg r, uint64_t v)
{
    uc_reg_write(as->uc, uc_reg_of[r], &v);
}

void cpu_flush_code(struct addr_space *as, uint64_t start, uint64_t end)
{
    uc_ctl_remove_cache(as->uc, start, end);
    struct cpu_state *st = as->cpu;
    for (size_t i = 0; i < BLOCK_CACHE_SIZE; i++)
        if (st->cache[i].addr >= start && st->cache[i].addr < end) st->cache[i].insns = 0;
}

int cpu_disasm(struct addr_space *as, uint64_t addr, char *buf, size_t n, int *len)
{
    uint8_t code[16];
    size_t got = 0;
    while (got < sizeof code && uc_mem_read(as->uc, addr + got, code + got, 1) == UC_ERR_OK) got++;
    cs_insn *insn;
    size_t cnt = got ? cs_disasm(as->cpu->cs, code, got, addr, 1, &insn) : 0;
    if (!cnt) { snprintf(buf, n, "(bad)"); if (len) *len = 0; return -1; }
    snprintf(buf, n, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
    if (len) *len = insn->size;
    cs_free(insn, cnt);
    return 0;
}

uint64_t cpu_hwcap(void) { return 0x178bfbff; }

/* CPUID of the guest's CPU, run in an engine of its own (for /proc/cpuinfo). */
static void guest_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    memset(r, 0, 4 * sizeof r[0]);
    uc_engine *uc;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) return;
    uc_ctl_set_cpu_model(uc, UC_CPU_X86_BROADWELL);
    static const uint8_t code[] = { 0x0f, 0xa2 };
    uint64_t a = leaf, b = 0, c = sub, d = 0;
    if (uc_mem_map(uc, 0x1000, 0x1000, UC_PROT_ALL) == UC_ERR_OK && uc_mem_write(uc, 0x1000, code, 2) == UC_ERR_OK) {
        uc_reg_write(uc, UC_X86_REG_RAX, &a);
        uc_reg_write(uc, UC_X86_REG_RCX, &c);
        if (uc_emu_start(uc, 0x1000, 0x1002, 0, 0) == UC_ERR_OK) {
            uc_reg_read(uc, UC_X86_REG_RAX, &a);
            uc_reg_read(uc, UC_X86_REG_RBX, &b);
            uc_reg_read(uc, UC_X86_REG_RCX, &c);
            uc_reg_read(uc, UC_X86_REG_RDX, &d);
            cpuid_filter(leaf, sub, &a, &b, &c, &d);
            r[0] = (uint32_t)a; r[1] = (uint32_t)b; r[2] = (uint32_t)c; r[3] = (uint32_t)d;
        }
    }
    uc_close(uc);
}

/* /proc/cpuinfo of the guest's CPUs: the flags are Linux's names for the CPUID bits
 * the guest sees (so they agree with CPUID), in Linux's order; a 1 GHz TSC. */
void cpu_cpuinfo(FILE *out, int ncpus)
{
    static const struct { uint8_t word, bit; const char *name; } names[] = {
        /* 1.EDX */
        { 0, 0, "fpu" }, { 0, 1, "vme" }, { 0, 2, "de" }, { 0, 3, "pse" }, { 0, 4, "tsc" }, { 0, 5, "msr" },
        { 0, 6, "pae" }, { 0, 7, "mce" }, { 0, 8, "cx8" }, { 0, 9, "apic" }, { 0, 11, "sep" }, { 0, 12, "mtrr" },
        { 0, 13, "pge" }, { 0, 14, "mca" }, { 0, 15, "cmov" }, { 0, 16, "pat" }, { 0, 17, "pse36" },
        { 0, 19, "clflush" }, { 0, 23, "mmx" }, { 0, 24, "fxsr" }, { 0, 25, "sse" }, { 0, 26, "sse2" },
        { 0, 27, "ss" }, { 0, 28, "ht" },
        /* 0x80000001.EDX */
        { 1, 11, "syscall" }, { 1, 20, "nx" }, { 1, 22, "mmxext" }, { 1, 26, "pdpe1gb" }, { 1, 27, "rdtscp" },
        { 1, 29, "lm" },
        /* 1.ECX */
        { 2, 0, "pni" }, { 2, 1, "pclmulqdq" }, { 2, 3, "monitor" }, { 2, 9, "ssse3" }, { 2, 12, "fma" },
        { 2, 13, "cx16" }, { 2, 19, "sse4_1" }, { 2, 20, "sse4_2" }, { 2, 21, "x2apic" }, { 2, 22, "movbe" },
        { 2, 23, "popcnt" }, { 2, 25, "aes" }, { 2, 26, "xsave" }, { 2, 28, "avx" }, { 2, 29, "f16c" },
        { 2, 30, "rdrand" }, { 2, 31, "hypervisor" },
        /* 0x80000001.ECX */
        { 3, 0, "lahf_lm" }, { 3, 5, "abm" }, { 3, 6, "sse4a" }, { 3, 8, "3dnowprefetch" },
        /* 7.0.EBX */
        { 4, 0, "fsgsbase" }, { 4, 3, "bmi1" }, { 4, 5, "avx2" }, { 4, 7, "smep" }, { 4, 8, "bmi2" },
        { 4, 9, "erms" }, { 4, 18, "rdseed" }, { 4, 19, "adx" }, { 4, 20, "smap" }, { 4, 23, "clflushopt" },
        { 4, 29, "sha_ni" },
    };
    uint32_t l0[4], l1[4], x1[4], l7[4], brand[12];
    guest_cpuid(0, 0, l0);
    guest_cpuid(1, 0, l1);
    guest_cpuid(0x80000001, 0, x1);
    guest_cpuid(7, 0, l7);
    for (uint32_t i = 0; i < 3; i++) guest_cpuid(0x80000002 + i, 0, brand + 4 * i);
    uint32_t words[5] = { l1[3], x1[3], l1[2], x1[2], l7[1] };
    char vendor[13];
    memcpy(vendor, &l0[1], 4); memcpy(vendor + 4, &l0[3], 4); memcpy(vendor + 8, &l0[2], 4);
    vendor[12] = 0;
    char model[49];
    memcpy(model, brand, 48);
    model[48] = 0;
    const char *m = model;
    while (*m == ' ') m++;
    unsigned fam = (l1[0] >> 8) & 0xf, mod = (l1[0] >> 4) & 0xf, step = l1[0] & 0xf;
    if (fam == 6 || fam == 15) mod |= ((l1[0] >> 16) & 0xf) << 4;
    if (fam == 15) fam += (l1[0] >> 20) & 0xff;
    for (int cpu = 0; cpu < ncpus; cpu++) {
        fprintf(out, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
                     "stepping\t: %u\ncpu MHz\t\t: 1000.000\ncache size\t: 16384 KB\nphysical id\t: 0\n"
                     "siblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\n"
                     "fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\nflags\t\t:",
                cpu, vendor, fam, mod, *m ? m : "QEMU TCG CPU", step, ncpus, cpu, ncpus, cpu, cpu, l0[0]);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (words[names[i].word] & (1u << names[i].bit)) fprintf(out, " %s", names[i].name);
        fprintf(out, "\nbogomips\t: 2000.00\nclflush size\t: 64\ncache_alignment\t: 64\n"
                     "address sizes\t: 40 bits physical, 48 bits virtual\npower management:\n\n");
    }
}
uint64_t cpu_hwcap2(void) { return 1 << 1; }   /* HWCAP2_FSGSBASE */

int cpu_insns_before(struct addr_space *as, uint64_t rip, uint64_t out[], int max)
{
    /* x86 cannot be decoded backwards: walk forward from the start of the block that
     * was running, which is where the faulting instruction is. */
    struct cpu_state *st = as->cpu;
    if (!(st->last_block <= rip && rip < st->last_block + st->last_size)) return 0;
    uint8_t buf[4096];
    if (st->last_size > sizeof buf || uc_mem_read(as->uc, st->last_block, buf, st->last_size) != UC_ERR_OK) return 0;
    const uint8_t *code = buf;
    size_t left = st->last_size;
    uint64_t a = st->last_block, seen[64];
    int n = 0;
    while (a < rip && left && n < 64) {
        seen[n++] = a;
        if (!cs_disasm_iter(st->cs, &code, &left, &a, st->insn)) return 0;
    }
    int from = n > max ? n - max : 0;
    for (int i = from; i < n; i++) out[i - from] = seen[i];
    return n - from;
}

/* ---- saved CPU contexts: one per task, so tasks can share an engine ---- */

struct cpu_ctx { uc_context *uc; };

struct cpu_ctx *cpu_ctx_new(struct addr_space *as)
{
    struct cpu_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (uc_context_alloc(as->uc, &c->uc) != UC_ERR_OK) { free(c); return NULL; }
    return c;
}

void cpu_ctx_free(struct cpu_ctx *c)
{
    if (!c) return;
    uc_context_free(c->uc);
    free(c);
}

/* A context saved from one engine restores into another engine of the same CPU model
 * (checked with a probe): fork copies the parent's registers this way. */
void cpu_ctx_save(struct addr_space *as, struct cpu_ctx *c) { uc_context_save(as->uc, c->uc); }
void cpu_ctx_load(struct addr_space *as, const struct cpu_ctx *c)
{
    uc_context_restore(as->uc, c->uc);
    as->cpu->ze_known = false;   /* another task's FPU: the fold's memory is not its */
}
void cpu_ctx_set(struct cpu_ctx *c, enum greg r, uint64_t v) { uc_context_reg_write(c->uc, uc_reg_of[r], &v); }
uint64_t cpu_ctx_get(const struct cpu_ctx *c, enum greg r)
{
    uint64_t v = 0;
    uc_context_reg_read(c->uc, uc_reg_of[r], &v);
    return v;
}

/* ---- FPU/SSE state as FXSAVE lays it out (the signal frame's fpstate) ---- */

void cpu_get_fxsave(struct addr_space *as, uint8_t fx[512])
{
    uc_engine *uc = as->uc;
    fold_fp_flags(as->cpu, uc);
    memset(fx, 0, 512);
    uint64_t v = 0;
    uc_reg_read(uc, UC_X86_REG_FPCW, &v); memcpy(fx + 0, &v, 2);
    v = 0; uc_reg_read(uc, UC_X86_REG_FPSW, &v); memcpy(fx + 2, &v, 2);
    v = 0; uc_reg_read(uc, UC_X86_REG_FPTAG, &v);
    uint8_t abridged = 0;   /* FXSAVE keeps one bit per register: 1 = not empty */
    for (int i = 0; i < 8; i++)
        if (((v >> (2 * i)) & 3) != 3) abridged |= 1 << i;
    fx[4] = abridged;
    uint32_t mxcsr = 0;
    uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
    memcpy(fx + 24, &mxcsr, 4);
    uint32_t mask = 0xffff;    /* MXCSR_MASK of the model: every defined bit writable */
    memcpy(fx + 28, &mask, 4);
    for (int i = 0; i < 8; i++) {
        uint8_t st[16] = { 0 };
        uc_reg_read(uc, UC_X86_REG_ST0 + i, st);
        memcpy(fx + 32 + 16 * i, st, 10);
    }
    for (int i = 0; i < 16; i++) uc_reg_read(uc, UC_X86_REG_XMM0 + i, fx + 160 + 16 * i);
}

void cpu_set_fxsave(struct addr_space *as, const uint8_t fx[512])
{
    uc_engine *uc = as->uc;
    fold_fp_flags(as->cpu, uc);   /* softfloat's flags cleared: the frame's are the state now */
    as->cpu->ze_prev = fx[2] & 0x04;
    uint64_t v = 0;
    memcpy(&v, fx + 0, 2); uc_reg_write(uc, UC_X86_REG_FPCW, &v);
    v = 0; memcpy(&v, fx + 2, 2); uc_reg_write(uc, UC_X86_REG_FPSW, &v);
    uint64_t tag = 0;
    for (int i = 0; i < 8; i++) tag |= (uint64_t)((fx[4] >> i) & 1 ? 0 : 3) << (2 * i);
    uc_reg_write(uc, UC_X86_REG_FPTAG, &tag);
    uint32_t mxcsr;
    memcpy(&mxcsr, fx + 24, 4);
    mxcsr &= 0xffff;
    uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr);
    for (int i = 0; i < 8; i++) {
        uint8_t st[16] = { 0 };
        memcpy(st, fx + 32 + 16 * i, 10);
        uc_reg_write(uc, UC_X86_REG_ST0 + i, st);
    }
    for (int i = 0; i < 16; i++) uc_reg_write(uc, UC_X86_REG_XMM0 + i, fx + 160 + 16 * i);
}

/* The FPU state Linux gives a new program and a signal handler (fpstate_init): x87
 * control word 0x37f (all exceptions masked, 64-bit precision, round to nearest), all
 * x87 registers empty, MXCSR 0x1f80, XMM registers zero. Unicorn starts its CPU with
 * FCW 0 and MXCSR 0 (24-bit x87 precision, every exception unmasked). */
void cpu_fpu_init(struct addr_space *as)
{
    uint8_t fx[512] = { 0 };
    fx[0] = 0x7f; fx[1] = 0x03;
    fx[24] = 0x80; fx[25] = 0x1f;
    cpu_set_fxsave(as, fx);
}

void cpu_start_user(struct addr_space *as, uint64_t sp, uint64_t entry)
{
    for (int r = 0; r < R_NREGS; r++) cpu_set(as, r, 0);
    cpu_set(as, R_RSP, sp);
    cpu_set(as, R_RIP, entry);
    cpu_set(as, R_RFLAGS, 0x202);
    cpu_fpu_init(as);
}

/* Unicorn 2.1.1 never clears its "exception in progress" marker after an exception
 * handled in a hook (upstream #1883): the next #DE/#UD becomes a double fault and the
 * one after ends the run silently (probe: three divisions by zero gave intno 0, 8, none).
 * The marker is QEMU's exception_index, an int32 inside the saved context; resetting it
 * to -1 through a context save/restore fixes that (probe: 0, 0, 0). Its offset was found
 * by diffing contexts around an exception; cpu_init checks it still holds -1 in a fresh
 * context before trusting it. */
#define EXCEPTION_INDEX_OFFSET 5484
static int exception_index_offset = -1;

static void check_exception_marker(struct addr_space *as)
{
    uc_context *c;
    if (uc_context_alloc(as->uc, &c) != UC_ERR_OK) return;
    uc_context_save(as->uc, c);
    int32_t v;
    if (uc_context_size(as->uc) > EXCEPTION_INDEX_OFFSET + 4) {
        memcpy(&v, (char *)c + EXCEPTION_INDEX_OFFSET, 4);
        if (v == -1) exception_index_offset = EXCEPTION_INDEX_OFFSET;
    }
    uc_context_free(c);
}

void cpu_clear_exception(struct addr_space *as)
{
    if (exception_index_offset < 0) return;
    uint8_t *raw = ctx_bytes(as->cpu, as->uc);
    if (!raw) return;
    int32_t none = -1;
    memcpy(raw + exception_index_offset, &none, 4);
    uc_context_restore(as->uc, as->cpu->scratch_ctx);
}
