/* Memory calls with ranges that wrap, reach past TASK_SIZE, are unaligned or empty:
 * each result (0 / an address class / -errno) is printed, to compare with native. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TOP 0x7ffffffff000UL
static uintptr_t base;   /* 4 pages of anonymous memory, then a 2-page hole */

static const char *errname(int e)
{
    switch (e) {
    case EINVAL: return "EINVAL"; case ENOMEM: return "ENOMEM"; case EFAULT: return "EFAULT";
    case EBADF: return "EBADF"; case EPERM: return "EPERM"; case EEXIST: return "EEXIST";
    case EACCES: return "EACCES"; case ENODEV: return "ENODEV"; case EOVERFLOW: return "EOVERFLOW";
    case ENOSYS: return "ENOSYS"; default: return "other";
    }
}

/* Results as text that does not depend on where mappings land. */
static void show(const char *what, long r)
{
    if (r < 0 && r > -4096) printf("%-44s = -%s (%ld)\n", what, errname((int)-r), -r);
    else if (r == 0) printf("%-44s = 0\n", what);
    else if ((uintptr_t)r == base) printf("%-44s = base\n", what);
    else printf("%-44s = addr\n", what);
}
static long sc(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}
/* A mapping that succeeds is removed at once, keeping the hole after base. */
static long mmap_undo(long a, long l, long p, long fl, long off)
{
    long r = sc(SYS_mmap, a, l, p, fl, -1, off);
    if (r > 0 || r < -4095) munmap((void *)r, 0x1000);
    return r;
}
#define MMAP(a, l, p, fl) mmap_undo((long)(a), (long)(l), p, fl, 0)
#define T(expr) show(#expr, expr)

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    base = (uintptr_t)mmap(NULL, 6 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap((void *)(base + 4 * 4096), 2 * 4096);
    const long A = MAP_PRIVATE | MAP_ANONYMOUS, F = A | MAP_FIXED, RW = PROT_READ | PROT_WRITE;
    uintptr_t b = base;

    /* mremap: the fuzzer's crash first. */
    T(sc(SYS_mremap, 0xfffffffffffff000L, 0x1000, 0x2000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, 0xfffffffffffff000L, 0x1000, 0x1000, 0, 0, 0));
    T(sc(SYS_mremap, 0xfffffffffffff000L, 0x2000, 0x1000, 0, 0, 0));
    T(sc(SYS_mremap, TOP, 0x1000, 0x2000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, TOP - 0x1000, 0x2000, 0x3000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b, -4096L, 0x1000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b, 0x1000, -4096L, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b, 0x1000, -1L, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b, 0x1000, 1L << 47, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b, 0x1000, 0, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b + 1, 0x1000, 0x1000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b, 0x1000, 0x1000, MREMAP_FIXED | MREMAP_MAYMOVE, 0xfffffffffffff000L, 0));
    T(sc(SYS_mremap, b, 0x1000, 0x2000, MREMAP_FIXED | MREMAP_MAYMOVE, TOP - 0x1000, 0));
    T(sc(SYS_mremap, b, 0x1000, 0x1000, MREMAP_FIXED | MREMAP_MAYMOVE, 0x10001, 0));
    T(sc(SYS_mremap, b, 0x1000, 0x1000, MREMAP_FIXED, 0x100000, 0));
    T(sc(SYS_mremap, b, 0x1000, 0x1000, 0x80, 0, 0));
    T(sc(SYS_mremap, 0x10000, 0x1000, 0x2000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b, 0x5000, 0x6000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, 0xfffffffffffff000L, 0, 0x1000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, 0x10000, 0x2000, 0x1000, 0, 0, 0));
    T(sc(SYS_mremap, b, 0, 0x1000, MREMAP_MAYMOVE, 0, 0));
    T(sc(SYS_mremap, b + 0x3000, 0x1000, 0x1000, MREMAP_FIXED | MREMAP_MAYMOVE, b + 0x3000, 0));
    T(sc(SYS_mremap, b, 0x1000, 0x1000, MREMAP_FIXED | MREMAP_MAYMOVE, TOP, 0));

    /* mmap */
    T(MMAP(0, 0, RW, A));
    T(MMAP(0, -1L, RW, A));
    T(MMAP(0, -4096L, RW, A));
    T(MMAP(0, 1L << 47, RW, A));
    T(MMAP(0, TOP, RW, A));
    T(MMAP(0xfffffffffffff000L, 0x1000, RW, F));
    T(MMAP(0xfffffffffffff000L, 0x2000, RW, F));
    T(MMAP(TOP, 0x1000, RW, F));
    T(MMAP(TOP - 0x1000, 0x2000, RW, F));
    T(MMAP(0x10001, 0x1000, RW, F));
    T(MMAP(0xfffffffffffff000L, 0x1000, RW, A | MAP_FIXED_NOREPLACE));
    T(MMAP(TOP - 0x1000, 0x2000, RW, A | MAP_FIXED_NOREPLACE));
    T(MMAP(0xfffffffffffff000L, 0x1000, RW, A));
    T(mmap_undo(0, 0x1000, RW, A, 0x123));
    T(mmap_undo(0, 0x1000, RW, A, -4096L));
    T(mmap_undo(0, 0x1000, RW, A | MAP_SHARED, 0));
    T(mmap_undo(0, 0x1000, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, 0));
    T(MMAP(0, 0x1000, 0x100, A));
    T(MMAP(0, 0x1000, RW, 0));

    /* munmap */
    T(sc(SYS_munmap, 0xfffffffffffff000L, 0x1000, 0, 0, 0, 0));
    T(sc(SYS_munmap, 0xfffffffffffff000L, 0x2000, 0, 0, 0, 0));
    T(sc(SYS_munmap, TOP, 0x1000, 0, 0, 0, 0));
    T(sc(SYS_munmap, TOP - 0x1000, 0x2000, 0, 0, 0, 0));
    T(sc(SYS_munmap, TOP - 0x1000, 0x1001, 0, 0, 0, 0));
    T(sc(SYS_munmap, 0x1000, -1L, 0, 0, 0, 0));
    T(sc(SYS_munmap, 0x1000, -4096L, 0, 0, 0, 0));
    T(sc(SYS_munmap, b, 0, 0, 0, 0, 0));
    T(sc(SYS_munmap, b + 1, 0x1000, 0, 0, 0, 0));
    T(sc(SYS_munmap, b + 0x4000, 0x1000, 0, 0, 0, 0));

    /* mprotect */
    T(sc(SYS_mprotect, 0xfffffffffffff000L, 0x1000, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, 0xfffffffffffff000L, 0x2000, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, TOP, 0x1000, PROT_READ, 0, 0, 0));
    /* (Linux changes the pages below TOP, the stack with ASLR off, before failing: keep them RW) */
    T(sc(SYS_mprotect, TOP - 0x1000, 0x2000, RW, 0, 0, 0));
    T(sc(SYS_mprotect, b, -1L, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b, -4096L, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b, 0, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b + 1, 0, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b + 1, 0x1000, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b, 0x1000, 0x100, 0, 0, 0));
    T(sc(SYS_mprotect, b, 0, 0x100, 0, 0, 0));
    T(sc(SYS_mprotect, b, 0x1000, PROT_GROWSDOWN | PROT_GROWSUP | PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b, 0x1000, PROT_GROWSDOWN | PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b, 0x5000, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b, 0x1000, PROT_READ, 0, 0, 0));
    T(sc(SYS_mprotect, b, 0x4000, RW, 0, 0, 0));

    /* madvise */
    T(sc(SYS_madvise, 0xfffffffffffff000L, 0x1000, MADV_DONTNEED, 0, 0, 0));
    T(sc(SYS_madvise, 0xfffffffffffff000L, 0x2000, MADV_DONTNEED, 0, 0, 0));
    T(sc(SYS_madvise, TOP, 0x1000, MADV_DONTNEED, 0, 0, 0));
    T(sc(SYS_madvise, TOP - 0x1000, 0x2000, MADV_NORMAL, 0, 0, 0));
    T(sc(SYS_madvise, b, -1L, MADV_NORMAL, 0, 0, 0));
    T(sc(SYS_madvise, b, -4096L, MADV_NORMAL, 0, 0, 0));
    T(sc(SYS_madvise, b, 0, MADV_NORMAL, 0, 0, 0));
    T(sc(SYS_madvise, b + 1, 0x1000, MADV_NORMAL, 0, 0, 0));
    T(sc(SYS_madvise, b, 0x1000, 9999, 0, 0, 0));
    T(sc(SYS_madvise, b, 0, 9999, 0, 0, 0));
    T(sc(SYS_madvise, b, 0x5000, MADV_NORMAL, 0, 0, 0));
    T(sc(SYS_madvise, b + 0x1000, 0x1000, MADV_DONTNEED, 0, 0, 0));

    /* msync */
    T(sc(SYS_msync, 0xfffffffffffff000L, 0x1000, MS_SYNC, 0, 0, 0));
    T(sc(SYS_msync, 0xfffffffffffff000L, 0x2000, MS_SYNC, 0, 0, 0));
    T(sc(SYS_msync, TOP, 0x1000, MS_SYNC, 0, 0, 0));
    T(sc(SYS_msync, TOP - 0x1000, 0x2000, MS_SYNC, 0, 0, 0));
    T(sc(SYS_msync, b, -1L, MS_SYNC, 0, 0, 0));
    T(sc(SYS_msync, b, 0, MS_SYNC, 0, 0, 0));
    T(sc(SYS_msync, b + 1, 0x1000, MS_SYNC, 0, 0, 0));
    T(sc(SYS_msync, b, 0x1000, MS_SYNC | MS_ASYNC, 0, 0, 0));
    T(sc(SYS_msync, b, 0x1000, 0x100, 0, 0, 0));
    T(sc(SYS_msync, b, 0x5000, MS_SYNC, 0, 0, 0));
    T(sc(SYS_msync, b, 0x1000, MS_SYNC, 0, 0, 0));

    /* mincore (the vector's contents depend on residency: only results print) */
    unsigned char vec[8];
    T(sc(SYS_mincore, 0xfffffffffffff000L, 0x1000, (long)vec, 0, 0, 0));
    T(sc(SYS_mincore, 0xfffffffffffff000L, 0x2000, (long)vec, 0, 0, 0));
    T(sc(SYS_mincore, TOP, 0x1000, (long)vec, 0, 0, 0));
    T(sc(SYS_mincore, TOP - 0x1000, 0x2000, (long)vec, 0, 0, 0));
    T(sc(SYS_mincore, b, -1L, (long)vec, 0, 0, 0));
    T(sc(SYS_mincore, b, 0, (long)vec, 0, 0, 0));
    T(sc(SYS_mincore, b + 1, 0x1000, (long)vec, 0, 0, 0));
    T(sc(SYS_mincore, b, 0x1000, 0, 0, 0, 0));
    T(sc(SYS_mincore, b, 0x1000, (long)TOP, 0, 0, 0));
    T(sc(SYS_mincore, b, 0x5000, (long)vec, 0, 0, 0));
    T(sc(SYS_mincore, b, 0x1000, (long)vec, 0, 0, 0));

    /* mlock family */
    T(sc(SYS_mlock, 0xfffffffffffff000L, 0x2000, 0, 0, 0, 0));
    T(sc(SYS_mlock, TOP - 0x1000, 0x2000, 0, 0, 0, 0));
    T(sc(SYS_mlock, b, 0, 0, 0, 0, 0));
    T(sc(SYS_mlock, b + 1, 0x1000, 0, 0, 0, 0));
    T(sc(SYS_mlock, b, 0x5000, 0, 0, 0, 0));
    T(sc(SYS_mlock, b, 0x1000, 0, 0, 0, 0));
    T(sc(SYS_munlock, 0xfffffffffffff000L, 0x2000, 0, 0, 0, 0));
    T(sc(SYS_munlock, b, 0x5000, 0, 0, 0, 0));
    T(sc(SYS_munlock, b, 0x1000, 0, 0, 0, 0));
    T(sc(SYS_mlock2, b, 0x1000, 0x100, 0, 0, 0));
    T(sc(SYS_mlock2, b, 0x1000, MLOCK_ONFAULT, 0, 0, 0));
    T(sc(SYS_munlock, b, 0x1000, 0, 0, 0, 0));
    T(sc(SYS_mlockall, 0, 0, 0, 0, 0, 0));
    T(sc(SYS_mlockall, MCL_ONFAULT, 0, 0, 0, 0, 0));
    T(sc(SYS_mlockall, 0x100, 0, 0, 0, 0, 0));
    T(sc(SYS_mlockall, MCL_CURRENT, 0, 0, 0, 0, 0));
    T(sc(SYS_munlockall, 0, 0, 0, 0, 0, 0));

    /* brk: asking for absurd ends leaves it where it is */
    long cur = sc(SYS_brk, 0, 0, 0, 0, 0, 0);
    printf("brk(-4096) same: %d\n", sc(SYS_brk, -4096L, 0, 0, 0, 0, 0) == cur);
    printf("brk(-1) same: %d\n", sc(SYS_brk, -1L, 0, 0, 0, 0, 0) == cur);
    printf("brk(TOP) same: %d\n", sc(SYS_brk, (long)TOP, 0, 0, 0, 0, 0) == cur);
    printf("brk(TOP+4096) same: %d\n", sc(SYS_brk, (long)TOP + 4096, 0, 0, 0, 0, 0) == cur);
    printf("brk(0) same: %d\n", sc(SYS_brk, 0, 0, 0, 0, 0, 0) == cur);
    printf("brk(cur+4096) grows: %d\n", sc(SYS_brk, cur + 4096, 0, 0, 0, 0, 0) == cur + 4096);
    *(volatile char *)cur = 1;   /* the heap survived the absurd requests */

    ((volatile char *)b)[0x1000] = 7;
    printf("still mapped: %d\n", ((volatile char *)b)[0x1000]);
    return 0;
}
