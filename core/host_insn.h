/* Instructions Unicorn gets wrong, run on the host CPU with the guest's operands
 * (see host_insn.c). */
#ifndef UNIEMU_HOST_INSN_H
#define UNIEMU_HOST_INSN_H
#include <stdbool.h>
#include <stdint.h>

enum {
    X87_F2XM1, X87_FYL2X, X87_FYL2XP1, X87_FPATAN, X87_FPTAN, X87_FSIN, X87_FCOS,
    X87_FSINCOS, X87_FPREM, X87_FPREM1, X87_FSCALE, X87_FXTRACT, X87_NOPS
};

struct x87_operands { uint8_t st0[10], st1[10]; uint16_t fcw; };
/* st0 (and st1 when two) as the guest's registers must be after the instruction, and
 * the host's status word after it (condition codes, exception flags). */
struct x87_result { uint8_t st0[10], st1[10]; uint16_t fsw, defined; bool two; };

/* X87_* for Capstone's mnemonic, or -1. */
int x87_op_of(const char *mnemonic);
/* The instruction's two bytes still encode op. */
bool x87_op_matches(int op, const unsigned char bytes[2]);
void x87_host_run(int op, const struct x87_operands *in, struct x87_result *out);

/* MMX phaddw/phaddd/phaddsw/phsubw/phsubd/phsubsw with one register as both operands,
 * which QEMU 5.0 computes from the half-written destination. */
enum { MMX_PHADDW, MMX_PHADDD, MMX_PHADDSW, MMX_PHSUBW, MMX_PHSUBD, MMX_PHSUBSW, MMX_NOPS };
/* MMX_* for the third opcode byte of 0F 38 xx, or -1. */
int mmx_hop_of(uint8_t opcode3);
uint64_t mmx_hop_host(int op, uint64_t v);

/* pcmpistri/pcmpistrm/pcmpestri/pcmpestrm (QEMU 5.0's equal-ordered mode is wrong):
 * the operands (a: the first, an XMM register; b: the second, register or memory;
 * rax/rdx: the explicit lengths) and the results (ECX or XMM0, and CF ZF SF OF; the
 * other arithmetic flags are cleared). pcmpstr_host_ok: the host has SSE4.2. */
enum { PCMP_ISTRI, PCMP_ISTRM, PCMP_ESTRI, PCMP_ESTRM };
struct pcmpstr_in { uint8_t a[16], b[16]; uint64_t rax, rdx; };
struct pcmpstr_out { uint8_t xmm0[16]; uint32_t ecx; uint32_t flags; };
bool pcmpstr_host_ok(void);
void pcmpstr_host(int op, uint8_t imm, const struct pcmpstr_in *in, struct pcmpstr_out *out);
#endif
