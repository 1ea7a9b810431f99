/* Instructions Unicorn 2.1.1 computes wrongly, as the CPU computes them: a 32-bit
 * cmpxchg that succeeds leaves RAX's upper half alone (QEMU 5.0 cleared it), and the
 * MMX horizontal adds and subtracts of one register with itself use the register's
 * value from before (QEMU 5.0 read back its half-written result). */
#include <stdint.h>
#include <stdio.h>

static void cmpxchg32(void)
{
    uint32_t mem = 5, nv = 9;
    uint64_t rax = 0x1234567800000005ULL;
    __asm__ volatile("lock cmpxchgl %2, %1" : "+a"(rax), "+m"(mem) : "r"(nv));
    printf("lock cmpxchg, equal:     rax %#llx mem %u\n", (unsigned long long)rax, mem);
    rax = 0x1234567800000001ULL;
    __asm__ volatile("lock cmpxchgl %2, %1" : "+a"(rax), "+m"(mem) : "r"(nv));
    printf("lock cmpxchg, different: rax %#llx mem %u\n", (unsigned long long)rax, mem);
    uint32_t r = 7;
    rax = 0xabcd000000000007ULL;
    __asm__ volatile("cmpxchgl %2, %1" : "+a"(rax), "+r"(r) : "r"(nv));
    printf("cmpxchg r32, equal:      rax %#llx r %u\n", (unsigned long long)rax, r);
    register uint32_t r9 __asm__("r9") = 3;
    rax = 0x7700000000000003ULL;
    __asm__ volatile("cmpxchgl %2, %1" : "+a"(rax), "+r"(r9) : "r"(nv));
    printf("cmpxchg r9d, equal:      rax %#llx r9 %u\n", (unsigned long long)rax, r9);
    uint64_t mem64 = 4, rax64 = 4;
    __asm__ volatile("lock cmpxchgq %2, %1" : "+a"(rax64), "+m"(mem64) : "r"((uint64_t)11));
    printf("lock cmpxchg 64, equal:  rax %#llx mem %llu\n", (unsigned long long)rax64, (unsigned long long)mem64);
}

#define HOP(insn, reg, v)                                                              \
    do {                                                                               \
        uint64_t out;                                                                  \
        __asm__ volatile("movq %1, %%" reg "\n\t" insn " %%" reg ", %%" reg "\n\tmovq %%" reg ", %0\n\temms" \
                         : "=r"(out) : "r"((uint64_t)(v)) : reg);                     \
        printf("%-8s %s, %s of %#018llx: %#018llx\n", insn, reg, reg, (unsigned long long)(v), (unsigned long long)out); \
    } while (0)

int main(void)
{
    cmpxchg32();
    HOP("phaddw", "mm0", 0x0004000300020001ULL);
    HOP("phaddd", "mm1", 0x0000000500000003ULL);
    HOP("phaddsw", "mm2", 0x7fff7fff00010002ULL);
    HOP("phsubw", "mm3", 0x0004000300020001ULL);
    HOP("phsubd", "mm5", 0x0000000500000003ULL);
    HOP("phsubsw", "mm7", 0x80007fff00050001ULL);
    return 0;
}
