/* Probes of the Unicorn 2.1.1 behaviours that core/ works around. Each prints what
 * Unicorn does now; the test fails when one changes, so that the workaround is looked
 * at again (dropped if Unicorn fixed the bug, or fixed if it now breaks). */
#include <cpuid.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* ---- CPU extensions and SSE4.2 string compares: Unicorn against the host ---- */

/* Each snippet runs between a prologue that loads registers from a block at rdi and an
 * epilogue that stores them back: the same bytes on the host and in Unicorn. */
struct regs { uint64_t rax, rbx, rcx, rdx, rsi, r8, r9, r10, flags, mem[2]; };
#define SNIP(name, text) ".globl s_" name "\ns_" name ": " text "\n.globl e_" name "\ne_" name ":\n"
__asm__(".pushsection .rodata\n.intel_syntax noprefix\n"
    SNIP("pro", "push rbx; push r15; mov r15, rdi; mov rax, [r15]; mov rbx, [r15+8]; mov rcx, [r15+16]; mov rdx, [r15+24];"
                "mov rsi, [r15+32]; mov r8, [r15+40]; mov r9, [r15+48]; mov r10, [r15+56]; push qword ptr [r15+64]; popfq")
    SNIP("epi", "pushfq; pop qword ptr [r15+64]; mov [r15], rax; mov [r15+8], rbx; mov [r15+16], rcx; mov [r15+24], rdx;"
                "mov [r15+32], rsi; mov [r15+40], r8; mov [r15+48], r9; mov [r15+56], r10; pop r15; pop rbx; ret")
    SNIP("andn", "andn rdx, rax, rbx") SNIP("andn32", "andn edx, eax, ebx")
    SNIP("bextr", "bextr rdx, rax, rbx") SNIP("bextr32", "bextr edx, eax, ebx")
    SNIP("blsi", "blsi rdx, rax") SNIP("blsi32", "blsi edx, eax")
    SNIP("blsmsk", "blsmsk rdx, rax") SNIP("blsmsk32", "blsmsk edx, eax")
    SNIP("blsr", "blsr rdx, rax") SNIP("blsr32", "blsr edx, eax")
    SNIP("tzcnt", "tzcnt rdx, rax") SNIP("tzcnt32", "tzcnt edx, eax") SNIP("tzcnt16", "tzcnt dx, ax")
    SNIP("lzcnt", "lzcnt rdx, rax") SNIP("lzcnt32", "lzcnt edx, eax") SNIP("lzcnt16", "lzcnt dx, ax")
    SNIP("popcnt", "popcnt rdx, rax") SNIP("popcnt32", "popcnt edx, eax") SNIP("popcnt16", "popcnt dx, ax")
    SNIP("bzhi", "bzhi rdx, rax, rbx") SNIP("bzhi32", "bzhi edx, eax, ebx")
    SNIP("mulx", "mulx r8, r9, rax") SNIP("mulx32", "mulx r8d, r9d, eax")
    SNIP("pdep", "pdep rdx, rax, rbx") SNIP("pdep32", "pdep edx, eax, ebx")
    SNIP("pext", "pext rdx, rax, rbx") SNIP("pext32", "pext edx, eax, ebx")
    SNIP("rorx", "rorx rdx, rax, 13") SNIP("rorx32", "rorx edx, eax, 7")
    SNIP("sarx", "sarx rdx, rax, rbx") SNIP("sarx32", "sarx edx, eax, ebx")
    SNIP("shlx", "shlx rdx, rax, rbx") SNIP("shlx32", "shlx edx, eax, ebx")
    SNIP("shrx", "shrx rdx, rax, rbx") SNIP("shrx32", "shrx edx, eax, ebx")
    SNIP("adcx", "adcx rdx, rax") SNIP("adcx32", "adcx edx, eax")
    SNIP("adox", "adox rdx, rax") SNIP("adox32", "adox edx, eax")
    SNIP("movbe", "movbe rdx, [r15+72]") SNIP("movbe32", "movbe edx, [r15+72]") SNIP("movbe16", "movbe dx, [r15+72]")
    SNIP("movbes", "movbe [r15+72], rax") SNIP("movbes32", "movbe [r15+72], eax")
    SNIP("fsbase", "rdfsbase r9; wrfsbase rax; rdfsbase rdx; wrfsbase r9; xor r9d, r9d")
    SNIP("gsbase", "rdgsbase r9; wrgsbase rax; rdgsbase rdx; wrgsbase r9; xor r9d, r9d")
    SNIP("fsbase32", "rdfsbase r9; wrfsbase eax; rdfsbase edx; wrfsbase r9; xor r9d, r9d")
    SNIP("aesenc", "movq xmm0, rax; pinsrq xmm0, rbx, 1; movq xmm1, rcx; pinsrq xmm1, rsi, 1; aesenc xmm0, xmm1; movq rdx, xmm0; pextrq r8, xmm0, 1")
    SNIP("aesdec", "movq xmm0, rax; pinsrq xmm0, rbx, 1; movq xmm1, rcx; pinsrq xmm1, rsi, 1; aesdec xmm0, xmm1; movq rdx, xmm0; pextrq r8, xmm0, 1")
    SNIP("aesenclast", "movq xmm0, rax; pinsrq xmm0, rbx, 1; movq xmm1, rcx; pinsrq xmm1, rsi, 1; aesenclast xmm0, xmm1; movq rdx, xmm0; pextrq r8, xmm0, 1")
    SNIP("aesdeclast", "movq xmm0, rax; pinsrq xmm0, rbx, 1; movq xmm1, rcx; pinsrq xmm1, rsi, 1; aesdeclast xmm0, xmm1; movq rdx, xmm0; pextrq r8, xmm0, 1")
    SNIP("aesimc", "movq xmm1, rcx; pinsrq xmm1, rsi, 1; aesimc xmm0, xmm1; movq rdx, xmm0; pextrq r8, xmm0, 1")
    SNIP("aeskeygen", "movq xmm1, rcx; pinsrq xmm1, rsi, 1; aeskeygenassist xmm0, xmm1, 0x1b; movq rdx, xmm0; pextrq r8, xmm0, 1")
    SNIP("pclmul00", "movq xmm0, rax; pinsrq xmm0, rbx, 1; movq xmm1, rcx; pinsrq xmm1, rsi, 1; pclmulqdq xmm0, xmm1, 0x00; movq rdx, xmm0; pextrq r8, xmm0, 1")
    SNIP("pclmul11", "movq xmm0, rax; pinsrq xmm0, rbx, 1; movq xmm1, rcx; pinsrq xmm1, rsi, 1; pclmulqdq xmm0, xmm1, 0x11; movq rdx, xmm0; pextrq r8, xmm0, 1")
    SNIP("crc32", "crc32 rdx, rax") SNIP("crc32b", "crc32 edx, al")
    ".att_syntax\n.popsection\n");
__asm__(".pushsection .rodata\n.intel_syntax noprefix\n"
    SNIP("xload", "pxor xmm0, xmm0; movq xmm1, r8; pinsrq xmm1, r9, 1; movq xmm2, r10; pinsrq xmm2, rsi, 1")
    SNIP("istri", "pcmpistri xmm1, xmm2, 0") SNIP("istrm", "pcmpistrm xmm1, xmm2, 0")
    SNIP("estri", "pcmpestri xmm1, xmm2, 0") SNIP("estrm", "pcmpestrm xmm1, xmm2, 0")
    SNIP("xout", "movq rbx, xmm0; pextrq r9, xmm0, 1")
    ".att_syntax\n.popsection\n");

enum { F_BMI1, F_BMI2, F_ADX, F_MOVBE, F_FSGSBASE, F_POPCNT, F_ABM, F_AES, F_PCLMUL, F_SSE42, F_N };
static const char *const feat_names[F_N] = { "BMI1", "BMI2", "ADX", "MOVBE", "FSGSBASE", "POPCNT", "LZCNT", "AES", "PCLMULQDQ", "SSE4.2" };
static bool host_has(int f)
{
    unsigned a, b, c, d;
    switch (f) {
    case F_BMI1: case F_BMI2: case F_ADX: case F_FSGSBASE:
        if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
        return f == F_BMI1 ? b & (1 << 3) : f == F_BMI2 ? b & (1 << 8) : f == F_ADX ? b & (1 << 19) : b & 1;
    case F_ABM:
        if (!__get_cpuid(0x80000001, &a, &b, &c, &d)) return false;
        return c & (1 << 5);
    default:
        if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
        return f == F_MOVBE ? c & (1 << 22) : f == F_POPCNT ? c & (1 << 23) : f == F_AES ? c & (1 << 25) :
               f == F_PCLMUL ? c & (1 << 1) : c & (1 << 20);
    }
}

#define X(n) extern const uint8_t s_##n[], e_##n[];
X(pro) X(epi) X(xload) X(istri) X(istrm) X(estri) X(estrm) X(xout)
X(andn) X(andn32) X(bextr) X(bextr32) X(blsi) X(blsi32) X(blsmsk) X(blsmsk32) X(blsr) X(blsr32)
X(tzcnt) X(tzcnt32) X(tzcnt16) X(lzcnt) X(lzcnt32) X(lzcnt16) X(popcnt) X(popcnt32) X(popcnt16)
X(bzhi) X(bzhi32) X(mulx) X(mulx32) X(pdep) X(pdep32) X(pext) X(pext32) X(rorx) X(rorx32)
X(sarx) X(sarx32) X(shlx) X(shlx32) X(shrx) X(shrx32) X(adcx) X(adcx32) X(adox) X(adox32)
X(movbe) X(movbe32) X(movbe16) X(movbes) X(movbes32) X(fsbase) X(gsbase) X(fsbase32)
X(aesenc) X(aesdec) X(aesenclast) X(aesdeclast) X(aesimc) X(aeskeygen) X(pclmul00) X(pclmul11) X(crc32) X(crc32b)
#undef X
struct snip { const char *name; const uint8_t *s, *e; int feat; uint64_t fmask; };
#define S(n, f, m) { #n, s_##n, e_##n, f, m }
static const struct snip snips[] = {
    S(andn, F_BMI1, 0x8c1), S(andn32, F_BMI1, 0x8c1), S(bextr, F_BMI1, 0x841), S(bextr32, F_BMI1, 0x841),
    S(blsi, F_BMI1, 0x8c1), S(blsi32, F_BMI1, 0x8c1), S(blsmsk, F_BMI1, 0x8c1), S(blsmsk32, F_BMI1, 0x8c1),
    S(blsr, F_BMI1, 0x8c1), S(blsr32, F_BMI1, 0x8c1), S(tzcnt, F_BMI1, 0x41), S(tzcnt32, F_BMI1, 0x41), S(tzcnt16, F_BMI1, 0x41),
    S(bzhi, F_BMI2, 0x8c1), S(bzhi32, F_BMI2, 0x8c1), S(mulx, F_BMI2, 0x8d5), S(mulx32, F_BMI2, 0x8d5),
    S(pdep, F_BMI2, 0x8d5), S(pdep32, F_BMI2, 0x8d5), S(pext, F_BMI2, 0x8d5), S(pext32, F_BMI2, 0x8d5),
    S(rorx, F_BMI2, 0x8d5), S(rorx32, F_BMI2, 0x8d5), S(sarx, F_BMI2, 0x8d5), S(sarx32, F_BMI2, 0x8d5),
    S(shlx, F_BMI2, 0x8d5), S(shlx32, F_BMI2, 0x8d5), S(shrx, F_BMI2, 0x8d5), S(shrx32, F_BMI2, 0x8d5),
    S(adcx, F_ADX, 0x8d5), S(adcx32, F_ADX, 0x8d5), S(adox, F_ADX, 0x8d5), S(adox32, F_ADX, 0x8d5),
    S(movbe, F_MOVBE, 0x8d5), S(movbe32, F_MOVBE, 0x8d5), S(movbe16, F_MOVBE, 0x8d5), S(movbes, F_MOVBE, 0x8d5), S(movbes32, F_MOVBE, 0x8d5),
    S(fsbase, F_FSGSBASE, 0x8d5), S(gsbase, F_FSGSBASE, 0x8d5), S(fsbase32, F_FSGSBASE, 0x8d5),
    S(popcnt, F_POPCNT, 0x8d5), S(popcnt32, F_POPCNT, 0x8d5), S(popcnt16, F_POPCNT, 0x8d5),
    S(lzcnt, F_ABM, 0x41), S(lzcnt32, F_ABM, 0x41), S(lzcnt16, F_ABM, 0x41),
    S(aesenc, F_AES, 0x8d5), S(aesdec, F_AES, 0x8d5), S(aesenclast, F_AES, 0x8d5), S(aesdeclast, F_AES, 0x8d5),
    S(aesimc, F_AES, 0x8d5), S(aeskeygen, F_AES, 0x8d5), S(pclmul00, F_PCLMUL, 0x8d5), S(pclmul11, F_PCLMUL, 0x8d5),
    S(crc32, F_SSE42, 0x8d5), S(crc32b, F_SSE42, 0x8d5),
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static uint64_t operand(void)
{
    switch (rnd() % 6) {
    case 0: return 0;
    case 1: return 1ULL << (rnd() % 64);
    case 2: return rnd() % 200;
    case 3: return ~0ULL >> (rnd() % 64);
    case 4: return (uint32_t)rnd();
    default: return rnd();
    }
}
/* String bytes: few distinct values (matches and ranges), some zeros (string ends). */
static uint64_t str_bytes(void)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t r = rnd() % 16, b = r == 0 ? 0 : r < 12 ? 'a' + r % 4 : rnd() & 0xff;
        v |= b << (8 * i);
    }
    return v;
}

static uint8_t *host_page;
static size_t build(uint8_t *out, const uint8_t *const parts[][2], int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) { memcpy(out + len, parts[i][0], (size_t)(parts[i][1] - parts[i][0])); len += (size_t)(parts[i][1] - parts[i][0]); }
    return len;
}

#define XCODE 0x10000
#define XDATA 0x20000
static uc_engine *xeng;
static void run_both(const uint8_t *code, size_t len, struct regs *h, struct regs *u)
{
    memcpy(host_page, code, len);
    __builtin___clear_cache((char *)host_page, (char *)host_page + len);
    ((void (*)(struct regs *))host_page)(h);
    uc_ctl_remove_cache(xeng, XCODE, XCODE + 0x1000);
    uc_mem_write(xeng, XCODE, code, len);
    uc_mem_write(xeng, XDATA, u, sizeof *u);
    uint64_t rdi = XDATA, rsp = XDATA + 0xf00;
    uc_reg_write(xeng, UC_X86_REG_RDI, &rdi);
    uc_reg_write(xeng, UC_X86_REG_RSP, &rsp);
    uc_emu_start(xeng, XCODE, XCODE + len - 1, 0, 0);   /* up to the epilogue's ret */
    uc_mem_read(xeng, XDATA, u, sizeof *u);
}

static bool same(const struct regs *a, const struct regs *b, uint64_t fmask)
{
    return a->rax == b->rax && a->rbx == b->rbx && a->rcx == b->rcx && a->rdx == b->rdx && a->rsi == b->rsi &&
           a->r8 == b->r8 && a->r9 == b->r9 && a->r10 == b->r10 && !((a->flags ^ b->flags) & fmask) &&
           a->mem[0] == b->mem[0];
}

/* xor eax, eax; add rdx, rcx; mov eax, 0; mov rax, [rax]; hlt: a read of address 0 refused
 * by the hook after an add. The add's operands are in the state, the kind of its flags
 * (cc_op, at offset 188 of a saved context: 9 = CC_OP_ADDQ) is the block's start's. */
static void probe_fault_flags(void)
{
    static const uint8_t code[] = { 0x31, 0xc0, 0x48, 0x01, 0xca, 0xb8, 0, 0, 0, 0, 0x48, 0x8b, 0x00, 0xf4 };
    static const uint8_t add_code[] = { 0x48, 0x01, 0xca, 0xf4 };
    int32_t cc_fault = -1, cc_add = -1;
    for (int k = 0; k < 2; k++) {
        uc_engine *uc;
        uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
        uc_ctl_set_cpu_model(uc, UC_CPU_X86_BROADWELL);
        uc_mem_map(uc, CODE, 0x1000, UC_PROT_ALL);
        uc_mem_write(uc, CODE, k ? add_code : code, k ? sizeof add_code : sizeof code);
        uc_hook h;
        uc_hook_add(uc, &h, UC_HOOK_MEM_INVALID, (void *)refuse, NULL, 1, 0);
        uint64_t rdx = 0x7fffffffffffffffULL, rcx = 1;
        uc_reg_write(uc, UC_X86_REG_RDX, &rdx);
        uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
        uc_emu_start(uc, CODE, 0, 0, 0);
        uc_context *c;
        uc_context_alloc(uc, &c);
        uc_context_save(uc, c);
        memcpy(k ? &cc_add : &cc_fault, (const uint8_t *)c + 188, 4);
        uc_context_free(c);
        uc_close(uc);
    }
    expect("a refused read leaves cc_op (offset 188) as the block began", cc_fault == 1 && cc_add == 9,
           "fault_flags (core/cpu.c) writes the faulting instruction's: CTX_CC_OP");
}

/* Each extension's instructions on random operands, in Unicorn (the model uniemu uses)
 * and on the host: those core/cpu.c offers in CPUID (FIX_CPUID) must agree, and
 * those it leaves out must still be wrong (or it could offer them). */
static void probe_extensions(void)
{
    host_page = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uc_open(UC_ARCH_X86, UC_MODE_64, &xeng);
    uc_ctl_set_cpu_model(xeng, UC_CPU_X86_BROADWELL);
    uc_mem_map(xeng, XCODE, 0x1000, UC_PROT_ALL);
    uc_mem_map(xeng, XDATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    uint64_t cr4 = 0;
    uc_reg_read(xeng, UC_X86_REG_CR4, &cr4);
    cr4 |= 0x20 | 0x200 | 0x400 | 0x10000;
    uc_reg_write(xeng, UC_X86_REG_CR4, &cr4);
    uint8_t code[512];
    int wrong[F_N] = { 0 }, tried[F_N] = { 0 };
    for (size_t k = 0; k < sizeof snips / sizeof snips[0]; k++) {
        const struct snip *sn = &snips[k];
        if (!host_has(sn->feat)) continue;
        const uint8_t *parts[][2] = { { s_pro, e_pro }, { sn->s, sn->e }, { s_epi, e_epi } };
        size_t len = build(code, parts, 3);
        int bad = 0;
        for (int i = 0; i < 300; i++) {
            struct regs in = { operand(), operand(), operand(), operand(), operand(), operand(), operand(), operand(),
                               0x202 | (rnd() & 0x8d5), { operand(), 0 } };
            if (sn->feat == F_FSGSBASE) in.rax &= 0x00007fffffffffffULL;   /* canonical */
            struct regs h = in, u = in;
            run_both(code, len, &h, &u);
            if (!same(&h, &u, sn->fmask)) bad++;
        }
        tried[sn->feat]++;
        if (bad) { printf("  %s: %d of 300 differ from the host\n", sn->name, bad); wrong[sn->feat]++; }
    }
    for (int f = 0; f < F_N; f++) {
        char what[80];
        snprintf(what, sizeof what, "%s executes as the host's%s", feat_names[f], tried[f] ? "" : " (host lacks it: not probed)");
        if (f == F_BMI1 || f == F_BMI2) {
            /* QEMU 5.0: blsi's CF inverted, a 32-bit bextr of bits past 31; bzhi with an
             * index past the operand size, a 32-bit pdep's upper half. */
            snprintf(what, sizeof what, "%s: some instructions differ from the host's", feat_names[f]);
            if (tried[f])
                expect(what, wrong[f] > 0, "FIX_CPUID (core/cpu.c) leaves it out of CPUID: offer it if all agree now");
            continue;
        }
        expect(what, !wrong[f], "FIX_CPUID (core/cpu.c) offers it in CPUID: leave it out, or correct it");
    }
    /* pcmp[ie]str[im], every imm8: only the equal-ordered aggregation (imm bits 3:2 = 3) is wrong. */
    const struct { const char *name; const uint8_t *s, *e; } pc[] = {
        { "pcmpistri", s_istri, e_istri }, { "pcmpistrm", s_istrm, e_istrm },
        { "pcmpestri", s_estri, e_estri }, { "pcmpestrm", s_estrm, e_estrm } };
    if (!host_has(F_SSE42)) { puts("(host lacks SSE4.2: pcmpistri not probed)"); uc_close(xeng); return; }
    for (int k = 0; k < 4; k++) {
        int bad_by_agg[4] = { 0 };
        for (int imm = 0; imm < 256; imm++) {
            const uint8_t *parts[][2] = { { s_pro, e_pro }, { s_xload, e_xload }, { pc[k].s, pc[k].e }, { s_xout, e_xout }, { s_epi, e_epi } };
            size_t len = build(code, parts, 5);
            size_t at = (size_t)(e_pro - s_pro) + (size_t)(e_xload - s_xload) + (size_t)(pc[k].e - pc[k].s) - 1;
            code[at] = (uint8_t)imm;
            for (int i = 0; i < 30; i++) {
                struct regs in = { (uint64_t)(int64_t)((int)(rnd() % 40) - 20), operand(), operand(), (uint64_t)(int64_t)((int)(rnd() % 40) - 20),
                                   str_bytes(), str_bytes(), str_bytes(), str_bytes(), 0x202 | (rnd() & 0x8d5), { 0, 0 } };
                struct regs h = in, u = in;
                run_both(code, len, &h, &u);
                if (!same(&h, &u, 0x8d5)) bad_by_agg[(imm >> 2) & 3]++;
            }
        }
        char what[80];
        snprintf(what, sizeof what, "%s: equal-ordered modes differ, the others agree", pc[k].name);
        expect(what, bad_by_agg[3] > 0 && !bad_by_agg[0] && !bad_by_agg[1] && !bad_by_agg[2],
               "FIX_PCMPSTR (core/cpu.c, core/host_insn.c) runs the equal-ordered ones on the host");
    }
    uc_close(xeng);
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
    /* Shared memory (core/addr_space.c): two engines map the same host pages with
     * uc_mem_map_ptr. Splitting such a region with uc_mem_protect and uc_mem_unmap
     * must keep the pieces on the caller's memory. */
    static uint8_t shared[4 * 0x1000] __attribute__((aligned(4096)));
    uc_engine *ea, *eb;
    uc_open(UC_ARCH_X86, UC_MODE_64, &ea);
    uc_open(UC_ARCH_X86, UC_MODE_64, &eb);
    uc_mem_map_ptr(ea, DATA, sizeof shared, UC_PROT_ALL, shared);
    uc_mem_map_ptr(eb, DATA, sizeof shared, UC_PROT_ALL, shared);
    uint32_t mark = 0x1234, seen = 0;
    bool split_ok = uc_mem_protect(ea, DATA + 0x1000, 0x1000, UC_PROT_READ) == UC_ERR_OK &&
                    uc_mem_unmap(ea, DATA + 0x2000, 0x1000) == UC_ERR_OK;
    uc_mem_write(eb, DATA + 0x3000, &mark, 4);
    uc_mem_read(ea, DATA + 0x3000, &seen, 4);
    split_ok = split_ok && seen == mark;
    mark = 0x5678;
    uc_mem_write(ea, DATA, &mark, 4);
    uc_mem_read(eb, DATA, &seen, 4);
    expect("a split uc_mem_map_ptr region still maps the caller's memory", split_ok && seen == mark,
           "as_map_obj/as_protect/as_unmap (core/addr_space.c) rely on it: map shared memory in pieces");
    /* Code in shared memory that another engine rewrote: the first engine runs its
     * old translation until that range is dropped from its cache (as_enter). */
    static const uint8_t mov1[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4 }, mov2[] = { 0xb8, 0x02, 0x00, 0x00, 0x00, 0xf4 };
    uc_mem_write(ea, DATA, mov1, sizeof mov1);
    uint64_t eax1 = 0, eax2 = 0, eax3 = 0;
    uc_emu_start(ea, DATA, 0, 0, 0);
    uc_reg_read(ea, UC_X86_REG_RAX, &eax1);
    uc_mem_write(eb, DATA, mov2, sizeof mov2);
    uc_emu_start(ea, DATA, 0, 0, 0);
    uc_reg_read(ea, UC_X86_REG_RAX, &eax2);
    uc_ctl_remove_cache(ea, DATA, DATA + 0x1000);
    uc_emu_start(ea, DATA, 0, 0, 0);
    uc_reg_read(ea, UC_X86_REG_RAX, &eax3);
    expect("code rewritten through another engine runs stale until its cache range is dropped",
           eax1 == 1 && eax2 == 1 && eax3 == 2, "as_enter (core/addr_space.c) drops shared executable ranges");
    uc_close(ea);
    uc_close(eb);
    probe_fault_flags();  /* issue 10: EFLAGS at a fault */
    probe_extensions();   /* issue 10: CPU extensions, pcmpistri */
    return failed;
}
