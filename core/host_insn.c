/* Instructions Unicorn 2.1.1 gets wrong, run on the host CPU.
 *
 * x87 instructions that Unicorn 2.1.1 (QEMU 5.0) computes through the host's `double`
 * (53 bits where the hardware gives 64): f2xm1, fyl2x, fyl2xp1, fpatan, fptan, fsin,
 * fcos, fsincos, fprem, fprem1, fscale, fxtract. The host is an x86-64 CPU: running the
 * same instruction there on the guest's operands, under the guest's control word, gives
 * the hardware's own result and status word (QEMU 7.2 computes them in softfloat instead;
 * the host way is exact for this CPU, though another vendor's fsin may differ in the
 * last bit). */
#include "core/host_insn.h"
#include <string.h>

static const char *const names[X87_NOPS] = {
    [X87_F2XM1] = "f2xm1", [X87_FYL2X] = "fyl2x", [X87_FYL2XP1] = "fyl2xp1", [X87_FPATAN] = "fpatan",
    [X87_FPTAN] = "fptan", [X87_FSIN] = "fsin", [X87_FCOS] = "fcos", [X87_FSINCOS] = "fsincos",
    [X87_FPREM] = "fprem", [X87_FPREM1] = "fprem1", [X87_FSCALE] = "fscale", [X87_FXTRACT] = "fxtract",
};
/* Their encodings (all D9 xx): checked again before each use, in case the code changed. */
static const unsigned char opcode2[X87_NOPS] = {
    [X87_F2XM1] = 0xf0, [X87_FYL2X] = 0xf1, [X87_FYL2XP1] = 0xf9, [X87_FPATAN] = 0xf3,
    [X87_FPTAN] = 0xf2, [X87_FSIN] = 0xfe, [X87_FCOS] = 0xff, [X87_FSINCOS] = 0xfb,
    [X87_FPREM] = 0xf8, [X87_FPREM1] = 0xf5, [X87_FSCALE] = 0xfd, [X87_FXTRACT] = 0xf4,
};

int x87_op_of(const char *mnemonic)
{
    if (mnemonic[0] != 'f') return -1;
    for (int i = 0; i < X87_NOPS; i++)
        if (!strcmp(mnemonic, names[i])) return i;
    return -1;
}

bool x87_op_matches(int op, const unsigned char bytes[2])
{
    return op >= 0 && op < X87_NOPS && bytes[0] == 0xd9 && bytes[1] == opcode2[op];
}

typedef unsigned char ext80[10];

/* One asm statement per shape, so that nothing of the compiler's lives on the x87 stack
 * meanwhile: fninit empties it, the guest's control word goes in, the status word is
 * read right after the instruction (a store would change C1), and the host's control
 * word comes back. */
#define RUN1(insn)                                                                        \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\t"  \
                     "fstpt %[r0]\n\tfninit\n\tfldcw %[host]"                             \
                     : [r0] "=m"(*(ext80 *)out->st0), [sw] "=m"(sw)                      \
                     : [a] "m"(*(const ext80 *)in->st0), [cw] "m"(in->fcw), [host] "m"(host_cw))
#define RUN2IN(insn)                                                                      \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\t"     \
                     "fnstsw %[sw]\n\tfstpt %[r0]\n\tfninit\n\tfldcw %[host]"             \
                     : [r0] "=m"(*(ext80 *)out->st0), [sw] "=m"(sw)                      \
                     : [a] "m"(*(const ext80 *)in->st0), [b] "m"(*(const ext80 *)in->st1),  \
                       [cw] "m"(in->fcw), [host] "m"(host_cw))
#define RUN2OUT(insn, nb)                                                                 \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" nb "fldt %[a]\n\t" insn "\n\t"             \
                     "fnstsw %[sw]\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit\n\tfldcw %[host]" \
                     : [r0] "=m"(*(ext80 *)out->st0), [r1] "=m"(*(ext80 *)out->st1), [sw] "=m"(sw) \
                     : [a] "m"(*(const ext80 *)in->st0), [b] "m"(*(const ext80 *)in->st1),  \
                       [cw] "m"(in->fcw), [host] "m"(host_cw))

void x87_host_run(int op, const struct x87_operands *in, struct x87_result *out)
{
    unsigned short host_cw, sw = 0;
    __asm__ volatile("fnstcw %0" : "=m"(host_cw));
    memset(out, 0, sizeof *out);
    switch (op) {
    case X87_F2XM1: RUN1("f2xm1"); break;
    case X87_FSIN: RUN1("fsin"); break;
    case X87_FCOS: RUN1("fcos"); break;
    case X87_FYL2X: RUN2IN("fyl2x"); break;
    case X87_FYL2XP1: RUN2IN("fyl2xp1"); break;
    case X87_FPATAN: RUN2IN("fpatan"); break;
    /* ST1 stays; popped into st1 to leave the host stack empty. */
    case X87_FPREM: RUN2OUT("fprem", "fldt %[b]\n\t"); break;
    case X87_FPREM1: RUN2OUT("fprem1", "fldt %[b]\n\t"); break;
    case X87_FSCALE: RUN2OUT("fscale", "fldt %[b]\n\t"); break;
    /* Two results; out of range (C2 set) fptan and fsincos leave one. */
    case X87_FPTAN: RUN2OUT("fptan", ""); break;
    case X87_FSINCOS: RUN2OUT("fsincos", ""); break;
    case X87_FXTRACT: RUN2OUT("fxtract", ""); break;
    default: return;
    }
    out->fsw = sw;
    /* Condition codes the instruction defines; the others keep their value. */
    out->defined = op == X87_FPREM || op == X87_FPREM1 ? 0x4700
                 : op == X87_FPTAN || op == X87_FSIN || op == X87_FCOS || op == X87_FSINCOS ? 0x0600 : 0x0200;
    out->two = op == X87_FXTRACT || ((op == X87_FPTAN || op == X87_FSINCOS) && !(sw & 0x400));
}

/* ---- MMX horizontal add/subtract, one register as source and destination ----
 * QEMU 5.0 writes the low half of the destination before it reads the source's high
 * half: phaddw mm0, mm0 of 1,2,3,4 gave 3,7,10,14 where the CPU gives 3,7,3,7. */
int mmx_hop_of(uint8_t opcode3)
{
    switch (opcode3) {
    case 0x01: return MMX_PHADDW;
    case 0x02: return MMX_PHADDD;
    case 0x03: return MMX_PHADDSW;
    case 0x05: return MMX_PHSUBW;
    case 0x06: return MMX_PHSUBD;
    case 0x07: return MMX_PHSUBSW;
    }
    return -1;
}

#define MMX_RUN(insn) __asm__ volatile("movq %1, %%mm0\n\t" insn " %%mm0, %%mm0\n\tmovq %%mm0, %0\n\temms" \
                                       : "=r"(out) : "r"(v) : "mm0")
uint64_t mmx_hop_host(int op, uint64_t v)
{
    uint64_t out = v;
    switch (op) {
    case MMX_PHADDW: MMX_RUN("phaddw"); break;
    case MMX_PHADDD: MMX_RUN("phaddd"); break;
    case MMX_PHADDSW: MMX_RUN("phaddsw"); break;
    case MMX_PHSUBW: MMX_RUN("phsubw"); break;
    case MMX_PHSUBD: MMX_RUN("phsubd"); break;
    case MMX_PHSUBSW: MMX_RUN("phsubsw"); break;
    }
    return out;
}

/* SSE4.2 pcmpistri/pcmpistrm/pcmpestri/pcmpestrm with the equal-ordered aggregation
 * (imm8 bits 3:2 = 3, substring search): QEMU 5.0 gives a wrong index, mask and flags
 * on many inputs (tests/unicorn_probes.c, every imm8 mode on random strings: only these
 * modes differ; QEMU fixed it later). The imm8 must be an assembly constant: one asm
 * statement per value. */
#define PCMP_ONE(insn, i, extra_in)                                                                      \
    __asm__("movdqu %[a], %%xmm1\n\tmovdqu %[b], %%xmm2\n\tpxor %%xmm0, %%xmm0\n\t" insn " %[imm], %%xmm2, %%xmm1\n\t" \
            "movdqu %%xmm0, %[m]\n\tmovl %%ecx, %[c]\n\tsetc %[cf]\n\tsetz %[zf]\n\tsets %[sf]\n\tseto %[of]"     \
            : [m] "=m"(out->xmm0), [c] "=m"(out->ecx), [cf] "=m"(cf), [zf] "=m"(zf), [sf] "=m"(sf), [of] "=m"(of) \
            : [a] "m"(in->a), [b] "m"(in->b), [imm] "i"(i) extra_in                                     \
            : "xmm0", "xmm1", "xmm2", "ecx", "cc")
#define PCMP_CASE(i)                                                                                     \
    case i:                                                                                              \
        switch (op) {                                                                                    \
        case PCMP_ISTRI: PCMP_ONE("pcmpistri", i, ); break;                                              \
        case PCMP_ISTRM: PCMP_ONE("pcmpistrm", i, ); break;                                              \
        case PCMP_ESTRI: PCMP_ONE("pcmpestri", i, PCMP_LENS); break;                                     \
        case PCMP_ESTRM: PCMP_ONE("pcmpestrm", i, PCMP_LENS); break;                                     \
        }                                                                                                \
        break;
#define PCMP_LENS , "a"(in->rax), "d"(in->rdx)
#define PCMP_C4(n) PCMP_CASE(n) PCMP_CASE(n + 1) PCMP_CASE(n + 2) PCMP_CASE(n + 3)
#define PCMP_C16(n) PCMP_C4(n) PCMP_C4(n + 4) PCMP_C4(n + 8) PCMP_C4(n + 12)
#define PCMP_C64(n) PCMP_C16(n) PCMP_C16(n + 16) PCMP_C16(n + 32) PCMP_C16(n + 48)

bool pcmpstr_host_ok(void) { return __builtin_cpu_supports("sse4.2"); }

void pcmpstr_host(int op, uint8_t imm, const struct pcmpstr_in *in, struct pcmpstr_out *out)
{
    uint8_t cf = 0, zf = 0, sf = 0, of = 0;
    memset(out, 0, sizeof *out);
    switch (imm) {
        PCMP_C64(0) PCMP_C64(64) PCMP_C64(128) PCMP_C64(192)
    }
    out->flags = (cf ? 0x001u : 0) | (zf ? 0x040u : 0) | (sf ? 0x080u : 0) | (of ? 0x800u : 0);
}
