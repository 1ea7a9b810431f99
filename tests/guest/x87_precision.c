/* x87 instructions at the hardware's 64-bit precision, bit for bit: f2xm1, fyl2x,
 * fyl2xp1, fpatan, fptan, fsin, fcos, fsincos, fprem, fprem1, fscale, fxtract, with the
 * status word's condition codes they leave, and the long double functions built on them.
 * Under uniemu these once came out at double precision (Unicorn computes them through
 * the host's double). */
#include <math.h>
#include <stdio.h>
#include <string.h>

static void show(const char *what, long double v)
{
    unsigned char b[10];
    memcpy(b, &v, 10);
    printf("%-22s %.21Lg  ", what, v);
    for (int i = 9; i >= 0; i--) printf("%02x", b[i]);
    putchar('\n');
}

#define ONE_AS(label, insn, x)                                                        \
    do {                                                                              \
        long double r, a = (x);                                                       \
        unsigned short sw;                                                            \
        __asm__ volatile("fldt %2\n\t" insn "\n\tfnstsw %1\n\tfstpt %0" : "=m"(r), "=m"(sw) : "m"(a)); \
        show(label "(" #x ")", r);                                                    \
        printf("  C0-C3 %#06x\n", sw & 0x4700);                                       \
    } while (0)
#define ONE(insn, x) ONE_AS(insn, insn, x)
#define TWO_IN(insn, x, y)                                                            \
    do {                                                                              \
        long double r, a = (x), b = (y);                                              \
        unsigned short sw;                                                            \
        __asm__ volatile("fldt %3\n\tfldt %2\n\t" insn "\n\tfnstsw %1\n\tfstpt %0" : "=m"(r), "=m"(sw) : "m"(a), "m"(b)); \
        show(insn "(" #x ", " #y ")", r);                                             \
        printf("  C0-C3 %#06x\n", sw & 0x4700);                                       \
    } while (0)
/* ST1 stays (fprem, fprem1, fscale) */
#define KEEP1(insn, x, y)                                                             \
    do {                                                                              \
        long double r, s, a = (x), b = (y);                                           \
        unsigned short sw;                                                            \
        __asm__ volatile("fldt %4\n\tfldt %3\n\t" insn "\n\tfnstsw %2\n\tfstpt %0\n\tfstpt %1" \
                         : "=m"(r), "=m"(s), "=m"(sw) : "m"(a), "m"(b));              \
        show(insn "(" #x ", " #y ")", r);                                             \
        printf("  C0-C3 %#06x, st1 kept: %s\n", sw & 0x4700, s == b ? "yes" : "no");  \
    } while (0)
/* Two results (fptan, fsincos, fxtract) */
#define TWO_OUT(insn, x)                                                              \
    do {                                                                              \
        long double r0, r1, a = (x);                                                  \
        unsigned short sw;                                                            \
        __asm__ volatile("fldt %3\n\t" insn "\n\tfnstsw %2\n\tfstpt %0\n\tfstpt %1"   \
                         : "=m"(r0), "=m"(r1), "=m"(sw) : "m"(a));                    \
        show(insn "(" #x ") st0", r0);                                                \
        show(insn "(" #x ") st1", r1);                                                \
        printf("  C0-C3 %#06x\n", sw & 0x4700);                                       \
    } while (0)

int main(void)
{
    ONE("f2xm1", 0.5L);
    ONE("f2xm1", -0.75L);
    ONE("f2xm1", 1e-10L);
    ONE("fsin", 3.0L);
    ONE("fsin", 1e10L);
    ONE("fcos", 0.1L);
    ONE("fcos", -2.5L);
    TWO_IN("fyl2x", 3.0L, 0.5L);
    TWO_IN("fyl2x", 10.0L, 1.0L);
    TWO_IN("fyl2xp1", 1e-5L, 2.0L);
    TWO_IN("fpatan", 1.0L, 3.0L);
    TWO_IN("fpatan", -2.0L, 0.5L);
    KEEP1("fprem", 1e30L, 3.0L);
    KEEP1("fprem", 10.5L, 3.0L);
    KEEP1("fprem1", 10.5L, 3.0L);
    KEEP1("fscale", 1.5L, 10.0L);
    KEEP1("fscale", 3.0L, -2.7L);
    TWO_OUT("fptan", 0.7L);
    TWO_OUT("fsincos", 2.0L);
    TWO_OUT("fxtract", 1234.5L);
    /* Two such instructions back to back: the second one's address is also where the
     * first one's result is corrected. */
    ONE_AS("fsin;fcos", "fsin\n\tfcos", 3.0L);
    ONE_AS("f2xm1;fsin", "f2xm1\n\tfsin", 0.5L);

    volatile long double x = 0.5L, y = 3.0L;
    show("expl(0.5)", expl(x));
    show("logl(3)", logl(y));
    show("log2l(3)", log2l(y));
    show("powl(3, 0.5)", powl(y, x));
    show("atanl(3)", atanl(y));
    show("atan2l(3, 0.5)", atan2l(y, x));
    show("sinl(3)", sinl(y));
    show("cosl(3)", cosl(y));
    show("tanl(0.5)", tanl(x));
    show("fmodl(1e30, 3)", fmodl(1e30L, y));
    show("remainderl(10.5, 3)", remainderl(10.5L, y));
    show("exp2l(0.5)", exp2l(x));
    show("expm1l(1e-5)", expm1l(1e-5L));
    show("log1pl(1e-5)", log1pl(1e-5L));
    show("ldexpl(3, -2)", scalbnl(y, -2));
    return 0;
}
