/* Running guest code: the engine's hooks, why a run stopped, registers.
 * Only core/ talks to Unicorn; everything else uses this interface. */
#ifndef UNIEMU_CPU_H
#define UNIEMU_CPU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
struct addr_space;

enum greg {
    R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
    R_RIP, R_RFLAGS, R_FS_BASE, R_GS_BASE, R_NREGS
};
extern const char *const greg_names[R_NREGS];

enum stop_reason {
    STOP_SYSCALL,   /* a syscall instruction retired; RIP is after it */
    STOP_FAULT,     /* the guest faulted; see struct fault */
    STOP_BUDGET,    /* the instruction budget ran out */
};

struct fault {
    int signo;          /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
    int code;           /* si_code: SEGV_MAPERR, SEGV_ACCERR, ILL_ILLOPN, FPE_INTDIV, ... */
    uint64_t addr;      /* si_addr */
    uint64_t rip;       /* the faulting instruction */
    const char *access; /* "read", "write", "execute" or NULL */
    int trapno;         /* SIGFPE: 16 (#MF, x87), 19 (#XM, SSE), 0 (#DE) */
};

/* Instruction, block and memory traces (--trace): on when any kind is set, before the
 * first engine is made (the hooks they need are added then, and only then). */
struct cpu_trace {
    bool insn, block, mem;
    uint64_t lo, hi;         /* addresses traced: [lo, hi) */
    int tid;                 /* only this task (0: all) */
    uint64_t from, to;       /* instruction counts traced: [from, to) */
    FILE *out;
};
extern struct cpu_trace cpu_trace;
/* The task whose instructions the next cpu_run executes (for the trace lines). */
void cpu_trace_task(struct addr_space *as, int tid);

/* Sets up the engine of a new address space: CPU model, hooks. 0 or -1. */
int cpu_init(struct addr_space *as);
void cpu_fini(struct addr_space *as);
/* Runs until a syscall, a fault, or exactly `budget` more instructions have retired
 * (the stop can land inside a basic block). */
enum stop_reason cpu_run(struct addr_space *as, uint64_t budget, struct fault *f);
/* Instructions retired in this address space's engine so far. */
uint64_t cpu_icount(struct addr_space *as);

uint64_t cpu_get(struct addr_space *as, enum greg r);
void cpu_set(struct addr_space *as, enum greg r, uint64_t v);
/* Forget translated code in [start, end) after the host changed it. */
void cpu_flush_code(struct addr_space *as, uint64_t start, uint64_t end);
/* Disassembles one instruction at addr into buf ("mov rax, qword ptr [rbx]"). */
int cpu_disasm(struct addr_space *as, uint64_t addr, char *buf, size_t n, int *len);
/* A task's saved registers (all of them: GPRs, flags, FS/GS base, SSE and x87). */
struct cpu_ctx;
struct cpu_ctx *cpu_ctx_new(struct addr_space *as);
void cpu_ctx_free(struct cpu_ctx *c);
void cpu_ctx_save(struct addr_space *as, struct cpu_ctx *c);
void cpu_ctx_load(struct addr_space *as, const struct cpu_ctx *c);
void cpu_ctx_set(struct cpu_ctx *c, enum greg r, uint64_t v);
uint64_t cpu_ctx_get(const struct cpu_ctx *c, enum greg r);
/* The x87/SSE state in FXSAVE layout (512 bytes), for signal frames. */
/* PR_SET_TSC: with on, rdtsc raises SIGSEGV (SI_KERNEL) instead of reading the
 * virtual clock, as Linux's PR_TSC_SIGSEGV (per address space here). */
void cpu_set_tsc_sigsegv(struct addr_space *as, bool on);
bool cpu_tsc_sigsegv(struct addr_space *as);
void cpu_get_fxsave(struct addr_space *as, uint8_t fx[512]);
void cpu_set_fxsave(struct addr_space *as, const uint8_t fx[512]);
/* The x87/SSE state Linux gives a new program and a signal handler. */
void cpu_fpu_init(struct addr_space *as);
/* The registers at a program's entry, as Linux leaves them: all zero but rsp and rip,
 * flags 0x202, the FPU in its initial state. */
void cpu_start_user(struct addr_space *as, uint64_t sp, uint64_t entry);
/* After a CPU exception the guest survives (a signal handler ran): let the engine take
 * the next exception normally (works around Unicorn #1883). */
void cpu_clear_exception(struct addr_space *as);
/* Up to max addresses of the instructions just before rip in its basic block. */
int cpu_insns_before(struct addr_space *as, uint64_t rip, uint64_t out[], int max);
/* AT_HWCAP for the emulated CPU model (CPUID.1:EDX). */
uint64_t cpu_hwcap(void);
/* AT_HWCAP2: HWCAP2_FSGSBASE, as Linux with CR4.FSGSBASE on. */
uint64_t cpu_hwcap2(void);
/* /proc/cpuinfo of ncpus guest CPUs: its flags are the CPUID the guest sees. */
void cpu_cpuinfo(FILE *out, int ncpus);
#endif
