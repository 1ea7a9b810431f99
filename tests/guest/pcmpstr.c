/* SSE4.2 string compares as the CPU computes them: pcmpistri, pcmpistrm, pcmpestri and
 * pcmpestrm in several imm8 modes (equal any, ranges, equal each, equal ordered; bytes
 * and words, signed and unsigned, polarities, index and mask forms), register and
 * memory operands, on strings that match in places. Under uniemu the equal-ordered
 * (substring search) mode once gave wrong indexes, masks and flags (QEMU 5.0). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct { uint8_t b[16]; } __attribute__((aligned(16))) v16;

static uint64_t rng = 12345;
static uint8_t rbyte(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    unsigned r = (unsigned)(rng >> 33) % 16;
    return r == 0 ? 0 : r < 12 ? (uint8_t)('a' + r % 4) : (uint8_t)(rng >> 50);
}

/* flags: CF ZF SF OF as bits 0-3 */
#define ISTRI(imm, a, b, idx, fl)                                                                    \
    __asm__("movdqu %[x], %%xmm1\n\tpcmpistri $" #imm ", %[y], %%xmm1\n\tsetc %b[f]\n\tsetz %%al\n\tshl $1, %%al\n\t" \
            "or %%al, %b[f]\n\tsets %%al\n\tshl $2, %%al\n\tor %%al, %b[f]\n\tseto %%al\n\tshl $3, %%al\n\tor %%al, %b[f]\n\tmov %%ecx, %[i]" \
            : [i] "=r"(idx), [f] "=&q"(fl) : [x] "m"(a), [y] "x"(b) : "xmm1", "rax", "rcx", "cc")
#define ISTRI_MEM(imm, a, b, idx, fl)                                                                \
    __asm__("movdqu %[x], %%xmm1\n\tpcmpistri $" #imm ", %[y], %%xmm1\n\tsetc %b[f]\n\tsetz %%al\n\tshl $1, %%al\n\t" \
            "or %%al, %b[f]\n\tsets %%al\n\tshl $2, %%al\n\tor %%al, %b[f]\n\tseto %%al\n\tshl $3, %%al\n\tor %%al, %b[f]\n\tmov %%ecx, %[i]" \
            : [i] "=r"(idx), [f] "=&q"(fl) : [x] "m"(a), [y] "m"(b) : "xmm1", "rax", "rcx", "cc")
#define ESTRI(imm, a, la, b, lb, idx, fl)                                                            \
    __asm__("movdqu %[x], %%xmm1\n\tmov %[la], %%eax\n\tmov %[lb], %%edx\n\tpcmpestri $" #imm ", %[y], %%xmm1\n\t" \
            "setc %b[f]\n\tsetz %%al\n\tshl $1, %%al\n\tor %%al, %b[f]\n\tsets %%al\n\tshl $2, %%al\n\tor %%al, %b[f]\n\t" \
            "seto %%al\n\tshl $3, %%al\n\tor %%al, %b[f]\n\tmov %%ecx, %[i]"                          \
            : [i] "=r"(idx), [f] "=&q"(fl) : [x] "m"(a), [y] "x"(b), [la] "r"(la), [lb] "r"(lb) : "xmm1", "rax", "rcx", "rdx", "cc")
#define ISTRM(imm, a, b, m, fl)                                                                      \
    __asm__("movdqu %[x], %%xmm1\n\tpcmpistrm $" #imm ", %[y], %%xmm1\n\tsetc %b[f]\n\tsetz %%al\n\tshl $1, %%al\n\t" \
            "or %%al, %b[f]\n\tsets %%al\n\tshl $2, %%al\n\tor %%al, %b[f]\n\tseto %%al\n\tshl $3, %%al\n\tor %%al, %b[f]\n\tmovdqu %%xmm0, %[o]" \
            : [o] "=m"(m), [f] "=&q"(fl) : [x] "m"(a), [y] "x"(b) : "xmm0", "xmm1", "rax", "cc")
#define ESTRM(imm, a, la, b, lb, m, fl)                                                              \
    __asm__("movdqu %[x], %%xmm1\n\tmov %[la], %%eax\n\tmov %[lb], %%edx\n\tpcmpestrm $" #imm ", %[y], %%xmm1\n\t" \
            "setc %b[f]\n\tsetz %%al\n\tshl $1, %%al\n\tor %%al, %b[f]\n\tsets %%al\n\tshl $2, %%al\n\tor %%al, %b[f]\n\t" \
            "seto %%al\n\tshl $3, %%al\n\tor %%al, %b[f]\n\tmovdqu %%xmm0, %[o]"                      \
            : [o] "=m"(m), [f] "=&q"(fl) : [x] "m"(a), [y] "x"(b), [la] "r"(la), [lb] "r"(lb) : "xmm0", "xmm1", "rax", "rdx", "cc")

static unsigned long sum_i, sum_f, n_lines;
static void line(const char *what, int k, unsigned idx, unsigned fl, const v16 *m)
{
    /* Every result in a checksum, a sample printed. */
    sum_i = sum_i * 31 + idx + 1;
    sum_f = sum_f * 7 + fl;
    if (m) for (int i = 0; i < 16; i++) sum_i = sum_i * 131 + m->b[i];
    if (k % 50 == 0) {
        printf("%s #%d: idx %u flags %x", what, k, idx, fl);
        if (m) { printf(" mask "); for (int i = 15; i >= 0; i--) printf("%02x", m->b[i]); }
        printf("\n");
    }
    n_lines++;
}

#define ALL_I(imm)                                                        \
    do {                                                                  \
        unsigned idx; uint8_t fl; v16 m;                                  \
        ISTRI(imm, a, b, idx, fl); line("istri " #imm, k, idx, fl, NULL); \
        ISTRI_MEM(imm, a, b, idx, fl); line("istri mem " #imm, k, idx, fl, NULL); \
        ESTRI(imm, a, la, b, lb, idx, fl); line("estri " #imm, k, idx, fl, NULL); \
        ISTRM(imm, a, b, m, fl); line("istrm " #imm, k, 0, fl, &m);       \
        ESTRM(imm, a, la, b, lb, m, fl); line("estrm " #imm, k, 0, fl, &m); \
    } while (0)

int main(void)
{
    for (int k = 0; k < 400; k++) {
        v16 a, b;
        for (int i = 0; i < 16; i++) { a.b[i] = rbyte(); b.b[i] = rbyte(); }
        if (k % 3 == 0) memcpy(b.b + k % 10, a.b, 4);   /* a substring of b */
        int la = (int)(rng >> 20) % 40 - 20, lb = (int)(rng >> 30) % 40 - 20;
        ALL_I(0x0c); ALL_I(0x0d); ALL_I(0x4c); ALL_I(0x1c); ALL_I(0x3c); ALL_I(0x0e); ALL_I(0x4f);
        ALL_I(0x7c); ALL_I(0x00); ALL_I(0x04); ALL_I(0x08); ALL_I(0x18); ALL_I(0x44); ALL_I(0x01);
    }
    printf("%lu results, checksums %lx %lx\n", n_lines, sum_i, sum_f);
    return 0;
}
