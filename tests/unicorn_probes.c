/* Probes of the Unicorn 2.1.1 behaviours that core/ works around. Each prints what
 * Unicorn does now; the test fails when one changes, so that the workaround is looked
 * at again (dropped if Unicorn fixed the bug, or fixed if it now breaks). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define CODE 0x1000
#define DATA 0x200000

static int failed;

static void expect(const char *what, int still, const char *workaround)
{
    printf("%-58s %s\n", what, still ? "yes (as worked around)" : "NO: Unicorn changed");
    if (!still) {
        printf("  review: %s\n", workaround);
        failed = 1;
    }
}

static uc_engine *engine(const uint8_t *code, size_t len)
{
    uc_engine *uc;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) return NULL;
    uc_ctl_set_cpu_model(uc, UC_CPU_X86_NEHALEM);
    uc_mem_map(uc, CODE, 0x1000, UC_PROT_ALL);
    uc_mem_write(uc, CODE, code, len);
    uint64_t rsp = CODE + 0xf00;
    uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
    return uc;
}

static bool refuse(uc_engine *uc, uc_mem_type t, uint64_t a, int s, int64_t v, void *u)
{
    (void)uc; (void)t; (void)a; (void)s; (void)v; (void)u;
    return false;
}

static bool map_and_retry(uc_engine *uc, uc_mem_type t, uint64_t a, int s, int64_t v, void *u)
{
    (void)t; (void)s; (void)v; (void)u;
    return uc_mem_map(uc, a & ~0xfffULL, 0x1000, UC_PROT_READ | UC_PROT_WRITE) == UC_ERR_OK;
}

int main(void)
{
    /* push rbx; nop; mov [DATA], rax; nop */
    static const uint8_t fault_code[] = { 0x53, 0x90, 0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00, 0x90 };
    uc_engine *uc = engine(fault_code, sizeof fault_code);
    if (!uc) { puts("cannot open a Unicorn engine"); return 2; }

    uint64_t fcw = 0, mxcsr = 0;
    uc_reg_read(uc, UC_X86_REG_FPCW, &fcw);
    uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
    expect("a new engine starts with x87 control word 0 and MXCSR 0", fcw == 0 && mxcsr == 0,
           "cpu_fpu_init (core/cpu.c) sets Linux's 0x37f / 0x1f80");

    uc_hook h;
    uc_hook_add(uc, &h, UC_HOOK_MEM_INVALID, (void *)refuse, NULL, 1, 0);
    uc_emu_start(uc, CODE, CODE + sizeof fault_code, 0, 0);
    uint64_t rip = 0, rsp = 0;
    uc_reg_read(uc, UC_X86_REG_RIP, &rip);
    uc_reg_read(uc, UC_X86_REG_RSP, &rsp);
    expect("after a refused write, RIP is the block's start (#1323)", rip == CODE && rsp == CODE + 0xf00 - 8,
           "locate_faulting_insn (core/cpu.c) guesses the instruction; stack growth is done in the hook");
    uc_close(uc);

    uc = engine(fault_code, sizeof fault_code);
    uc_hook_add(uc, &h, UC_HOOK_MEM_INVALID, (void *)map_and_retry, NULL, 1, 0);
    uint64_t rax = 0x1234;
    uc_reg_write(uc, UC_X86_REG_RAX, &rax);
    uc_err err = uc_emu_start(uc, CODE, CODE + sizeof fault_code, 0, 0);
    uint64_t got = 0;
    uc_mem_read(uc, DATA, &got, 8);
    uc_reg_read(uc, UC_X86_REG_RIP, &rip);
    expect("memory mapped inside the hook, the access retried, runs on", err == UC_ERR_OK && got == 0x1234 &&
           rip == CODE + sizeof fault_code, "as_grow_stack from on_bad_mem (core/cpu.c)");
    uc_close(uc);

    /* mov eax, 1; hlt. Run without `until`, as uniemu does: an `until` address makes
     * Unicorn translate the block again on every start. */
    static const uint8_t imm_code[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4 };
    uc = engine(imm_code, sizeof imm_code);
    uc_emu_start(uc, CODE, 0, 0, 0);
    uint8_t two = 2;
    uc_mem_write(uc, CODE + 1, &two, 1);
    uc_emu_start(uc, CODE, 0, 0, 0);
    rax = 0;
    uc_reg_read(uc, UC_X86_REG_RAX, &rax);
    expect("code rewritten with uc_mem_write keeps its old translation", rax == 1,
           "guest_mem.c's written() drops translations after host-side writes to code");
    uc_close(uc);
    /* ldmxcsr [DATA]; movsd xmm0, [DATA+8]; divsd xmm0, [DATA+16]; fld qword [DATA+8];
     * fdiv qword [DATA+16]; hlt: 1/0 in SSE and in x87, all exceptions masked. */
    static const uint8_t div_code[] = {
        0x0f, 0xae, 0x14, 0x25, 0x00, 0x00, 0x20, 0x00,
        0xf2, 0x0f, 0x10, 0x04, 0x25, 0x08, 0x00, 0x20, 0x00,
        0xf2, 0x0f, 0x5e, 0x04, 0x25, 0x10, 0x00, 0x20, 0x00,
        0xdd, 0x04, 0x25, 0x08, 0x00, 0x20, 0x00,
        0xdc, 0x34, 0x25, 0x10, 0x00, 0x20, 0x00,
        0xf4,
    };
    uc = engine(div_code, sizeof div_code);
    uc_mem_map(uc, DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    uint32_t mx = 0x1f80;
    double operands[2] = { 1.0, 0.0 };
    uc_mem_write(uc, DATA, &mx, 4);
    uc_mem_write(uc, DATA + 8, operands, sizeof operands);
    uc_emu_start(uc, CODE, 0, 0, 0);
    uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
    uc_context *ctx;
    uc_context_alloc(uc, &ctx);
    uc_context_save(uc, ctx);
    const uint8_t *raw = (const uint8_t *)ctx;
    expect("SSE 1/0 leaves MXCSR's flags clear, softfloat's at offset 798", (mxcsr & 0x3f) == 0 && raw[798] == 0x04,
           "fold_fp_flags (core/cpu.c): CTX_SSE_STATUS_FLAGS");
    expect("x87 1/0 leaves softfloat's flags at offset 766", raw[766] == 0x04,
           "fold_fp_flags (core/cpu.c): CTX_FP_STATUS_FLAGS");
    uc_context_free(ctx);
    uc_close(uc);

    /* mov rax, [DATA+0x1000]; hlt: read once (a TLB entry), the second page of the
     * region made PROT_NONE, the TLB flushed, read again. (The stale entry itself shows
     * only with the guest at CPL 3, as uniemu runs it: tests/guest/fault_exec.c fails
     * without the flush.) */
    static const uint8_t read_code[] = { 0x48, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x20, 0x00, 0xf4 };
    uc = engine(read_code, sizeof read_code);
    uc_mem_map(uc, DATA, 0x2000, UC_PROT_READ | UC_PROT_WRITE);
    uc_emu_start(uc, CODE, 0, 0, 0);
    uc_mem_protect(uc, DATA + 0x1000, 0x1000, UC_PROT_NONE);
    uc_ctl_flush_tlb(uc);
    err = uc_emu_start(uc, CODE, 0, 0, 0);
    expect("after uc_ctl_flush_tlb a read of a PROT_NONE page faults", err == UC_ERR_READ_PROT,
           "the TLB flush of as_protect (core/addr_space.c)");
    uc_close(uc);

    /* mov ecx, 9; lock cmpxchg [DATA], ecx; hlt with [DATA] = EAX = 5: it succeeds. */
    static const uint8_t cx_code[] = { 0xb9, 0x09, 0x00, 0x00, 0x00, 0xf0, 0x0f, 0xb1, 0x0c, 0x25, 0x00, 0x00, 0x20, 0x00, 0xf4 };
    uc = engine(cx_code, sizeof cx_code);
    uc_mem_map(uc, DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    uint32_t five = 5;
    uc_mem_write(uc, DATA, &five, 4);
    rax = 0x1234567800000005ULL;
    uc_reg_write(uc, UC_X86_REG_RAX, &rax);
    uc_emu_start(uc, CODE, 0, 0, 0);
    uc_reg_read(uc, UC_X86_REG_RAX, &rax);
    expect("a 32-bit cmpxchg that succeeds clears RAX's upper half", rax == 5,
           "FIX_CMPXCHG32 (core/cpu.c) puts RAX back");
    uc_close(uc);

    /* movq mm0, [DATA]; phaddw mm0, mm0; movq [DATA+8], mm0; hlt */
    static const uint8_t hadd_code[] = { 0x0f, 0x6f, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00, 0x0f, 0x38, 0x01, 0xc0,
                                         0x0f, 0x7f, 0x04, 0x25, 0x08, 0x00, 0x20, 0x00, 0xf4 };
    uc = engine(hadd_code, sizeof hadd_code);
    uc_mem_map(uc, DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    uint64_t words = 0x0004000300020001ULL, sum = 0;
    uc_mem_write(uc, DATA, &words, 8);
    uc_emu_start(uc, CODE, 0, 0, 0);
    uc_mem_read(uc, DATA + 8, &sum, 8);
    expect("phaddw mm0, mm0 of 1,2,3,4 reads its half-written result", sum == 0x000e000a00070003ULL,
           "FIX_MMX (core/cpu.c, core/host_insn.c) runs it on the host");
    uc_close(uc);
    return failed;
}
