/* The CPU extensions a program finds in CPUID (and AT_HWCAP2) execute as the hardware's.
 * For each instruction: its result when CPUID offers it, else the result computed in C,
 * so that the output is the same on any correct CPU (native or uniemu, whatever the
 * host has). With the argument "uniemu": checks that CPUID and AT_HWCAP2 offer exactly
 * what uniemu's CPU executes correctly (core/cpu.c, FIX_CPUID; tests/unicorn_probes.c
 * compares each with the host), exit status 1 if not. */
#include <cpuid.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif

static unsigned l1c, l7b, l7c, x1c;
static const uint64_t vals[] = { 0, 1, 2, 0x80, 0xff00, 0x12345678, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL,
                                 0x0123456789abcdefULL, 0x8000000000000000ULL, 0xfffffffffffffffeULL, ~0ULL };
#define NV (sizeof vals / sizeof vals[0])

static uint64_t lzcnt64(uint64_t x) { return x ? (uint64_t)__builtin_clzll(x) : 64; }

int main(int argc, char **argv)
{
    unsigned a, b, d;
    __get_cpuid(1, &a, &b, &l1c, &d);
    __get_cpuid_count(7, 0, &a, &l7b, &l7c, &d);
    __get_cpuid(0x80000001, &a, &b, &x1c, &d);
    unsigned long hwcap2 = getauxval(AT_HWCAP2);
    bool popcnt = l1c & (1 << 23), movbe = l1c & (1 << 22), adx = l7b & (1 << 19), lzcnt = x1c & (1 << 5);
    bool fsgs = hwcap2 & 2;   /* Linux enables rdfsbase... at CPL 3 only with CR4.FSGSBASE: HWCAP2 says so */

    if (argc > 1 && !strcmp(argv[1], "uniemu")) {
        int bad = 0;
#define WANT(cond, what) do { if (!(cond)) { printf("CPUID disagrees with uniemu's CPU: %s\n", what); bad = 1; } } while (0)
        WANT(popcnt && movbe && (l1c & (1 << 20)) && (l1c & (1 << 25)) && (l1c & (1 << 1)), "POPCNT, MOVBE, SSE4.2, AES, PCLMULQDQ offered");
        WANT(!(l1c & (1 << 28)) && !(l1c & (1 << 12)) && !(l1c & (1 << 30)), "no AVX, FMA, RDRAND");
        WANT((l7b & 1) && adx && !(l7b & (1 << 3)) && !(l7b & (1 << 8)) && !(l7b & (1 << 5)), "FSGSBASE, ADX; no BMI1, BMI2, AVX2");
        WANT(lzcnt, "LZCNT (ABM) offered");
        WANT(fsgs == (bool)(l7b & 1), "AT_HWCAP2 FSGSBASE as CPUID");
        /* /proc/cpuinfo's flags: each CPUID bit by its Linux name, present exactly when set. */
        static const struct { const char *name; unsigned *word; int bit; } flags[] = {
            { "pni", &l1c, 0 }, { "pclmulqdq", &l1c, 1 }, { "ssse3", &l1c, 9 }, { "fma", &l1c, 12 }, { "cx16", &l1c, 13 },
            { "sse4_1", &l1c, 19 }, { "sse4_2", &l1c, 20 }, { "movbe", &l1c, 22 }, { "popcnt", &l1c, 23 },
            { "aes", &l1c, 25 }, { "xsave", &l1c, 26 }, { "avx", &l1c, 28 }, { "rdrand", &l1c, 30 },
            { "lahf_lm", &x1c, 0 }, { "abm", &x1c, 5 }, { "fsgsbase", &l7b, 0 }, { "bmi1", &l7b, 3 },
            { "avx2", &l7b, 5 }, { "bmi2", &l7b, 8 }, { "erms", &l7b, 9 }, { "adx", &l7b, 19 },
        };
        FILE *f = fopen("/proc/cpuinfo", "r");
        char line[4096], *fl = NULL;
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "flags", 5)) { fl = strchr(line, ':'); break; }
        if (f) fclose(f);
        WANT(fl != NULL, "/proc/cpuinfo has a flags line");
        for (size_t i = 0; fl && i < sizeof flags / sizeof flags[0]; i++) {
            char word[32], padded[4100];
            snprintf(word, sizeof word, " %s ", flags[i].name);
            snprintf(padded, sizeof padded, "%s ", fl + 1);   /* " fpu vme ... adx " */
            padded[strcspn(padded, "\n")] = ' ';
            bool listed = strstr(padded, word) != NULL;
            if (listed != (bool)(*flags[i].word & (1u << flags[i].bit))) {
                printf("/proc/cpuinfo and CPUID disagree on %s\n", flags[i].name);
                bad = 1;
            }
        }
        if (!bad) puts("CPUID, /proc/cpuinfo and AT_HWCAP2 offer what uniemu's CPU executes");
        return bad;
    }

    for (size_t i = 0; i < NV; i++) {
        uint64_t x = vals[i], r, r32;
        if (popcnt) { __asm__("popcnt %1, %0" : "=r"(r) : "r"(x)); __asm__("popcntl %k1, %k0" : "=r"(r32) : "r"(x)); r32 &= 0xffffffff; }
        else { r = (uint64_t)__builtin_popcountll(x); r32 = (uint64_t)__builtin_popcount((uint32_t)x); }
        printf("popcnt %#llx: %llu %llu\n", (unsigned long long)x, (unsigned long long)r, (unsigned long long)r32);
        uint64_t cf = 0;
        if (lzcnt) { __asm__("lzcnt %2, %0; setc %b1" : "=r"(r), "+r"(cf) : "r"(x) : "cc"); }
        else { r = lzcnt64(x); cf = x == 0; }
        printf("lzcnt %#llx: %llu cf %llu\n", (unsigned long long)x, (unsigned long long)r, (unsigned long long)cf);
        if (movbe) { uint64_t m = x; __asm__("movbe %1, %0" : "=r"(r) : "m"(m)); }
        else r = __builtin_bswap64(x);
        printf("movbe %#llx: %#llx\n", (unsigned long long)x, (unsigned long long)r);
        for (size_t j = 0; j < NV; j += 3) {
            uint64_t y = vals[j], s1 = x, s2 = x, c1 = 0, o1 = 0;
            for (int cin = 0; cin < 2; cin++) {
                if (adx) {
                    /* adcx: CF in and out; adox: OF in and out (set OF from cin first). */
                    s1 = x; s2 = x; c1 = 0; o1 = 0;
                    __asm__("cmp $1, %3; cmc; adcx %4, %0; setc %b2" : "+r"(s1), "+r"(s2), "+r"(c1) : "r"((uint64_t)cin), "r"(y) : "cc");
                    uint64_t t = cin ? 0x7fffffffffffffffULL : 0;
                    __asm__("mov %3, %%rax; add $1, %%rax; adox %4, %0; seto %b1" : "+r"(s2), "+r"(o1) : "r"(s1), "r"(t), "r"(y) : "rax", "cc");
                } else {
                    s1 = x + y + (uint64_t)cin; c1 = s1 < x || (cin && s1 == x);
                    s2 = s1; o1 = c1;
                }
                printf("adx %#llx+%#llx+%d: %#llx c %llu o %llu %#llx\n", (unsigned long long)x, (unsigned long long)y, cin,
                       (unsigned long long)s1, (unsigned long long)c1, (unsigned long long)o1, (unsigned long long)s2);
            }
        }
    }
    /* rdgsbase/wrgsbase (the GS base is free in both libcs). */
    uint64_t gs = 0x123456789000ULL, back = gs;
    if (fsgs) { uint64_t old; __asm__ volatile("rdgsbase %0; wrgsbase %2; rdgsbase %1; wrgsbase %0" : "=&r"(old), "=&r"(back) : "r"(gs)); }
    printf("gsbase %#llx\n", (unsigned long long)back);
    /* Consistency that holds on any Linux: AT_HWCAP2 FSGSBASE only with CPUID's. */
    printf("hwcap2 fsgsbase implies cpuid fsgsbase: %s\n", !fsgs || (l7b & 1) ? "yes" : "no");
    return 0;
}
