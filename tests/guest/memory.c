/* memory: exercises heap and mapping system calls.  Prints one ok/FAIL line
 * per check and never prints addresses.  argv[1] names a scratch file used
 * for the file-backed mapping (default "memory_test.bin"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
    fflush(stdout);
}

static void check_errno(const char *what, int cond)
{
    if (cond)
        printf("%s: ok\n", what);
    else {
        printf("%s: FAIL: %s\n", what, strerror(errno));
        failures++;
    }
    fflush(stdout);
}

static unsigned char pattern(size_t i)
{
    return (unsigned char)((i * 131u + (i >> 12)) & 0xff);
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "memory_test.bin";
    long page = sysconf(_SC_PAGESIZE);
    printf("page size: %ld\n", page);

    /* malloc of many sizes; fill and verify each block */
    static const size_t sizes[] = { 1, 7, 16, 24, 100, 1000, 4095, 4096, 4097,
                                    65536, 131072, 262145, 1u << 20, (1u << 20) + 1,
                                    3u << 20, 16u << 20 };
    enum { NS = sizeof sizes / sizeof sizes[0] };
    unsigned char *blocks[NS];
    int ok = 1;
    for (int i = 0; i < NS; i++) {
        blocks[i] = malloc(sizes[i]);
        if (!blocks[i]) {
            ok = 0;
            continue;
        }
        if (((uintptr_t)blocks[i] & 15) != 0)
            ok = 0;
        memset(blocks[i], (int)(i + 1), sizes[i]);
    }
    check("malloc of 16 sizes (1 B .. 16 MiB), 16-byte aligned", ok);
    ok = 1;
    for (int i = 0; i < NS; i++)
        if (!blocks[i] || !all_bytes(blocks[i], sizes[i], (unsigned char)(i + 1)))
            ok = 0;
    check("malloc blocks keep their contents", ok);
    for (int i = 0; i < NS; i += 2)
        free(blocks[i]);
    for (int i = 1; i < NS; i += 2)
        free(blocks[i]);
    check("free of all blocks", 1);

    /* many small allocations */
    void *small[5000];
    ok = 1;
    for (int i = 0; i < 5000; i++) {
        small[i] = malloc((size_t)(i % 97) + 1);
        if (!small[i])
            ok = 0;
        else
            memset(small[i], i & 0xff, (size_t)(i % 97) + 1);
    }
    for (int i = 0; i < 5000; i++)
        if (small[i] && ((unsigned char *)small[i])[i % 97] != (unsigned char)(i & 0xff))
            ok = 0;
    for (int i = 0; i < 5000; i++)
        free(small[i]);
    check("5000 small allocations", ok);

    /* realloc growth */
    size_t n = 16;
    unsigned char *r = malloc(n);
    for (size_t i = 0; i < n; i++)
        r[i] = pattern(i);
    ok = 1;
    while (n < (8u << 20)) {
        size_t nn = n * 2;
        unsigned char *q = realloc(r, nn);
        if (!q) {
            ok = 0;
            break;
        }
        r = q;
        for (size_t i = 0; i < n; i++)
            if (r[i] != pattern(i)) {
                ok = 0;
                break;
            }
        for (size_t i = n; i < nn; i++)
            r[i] = pattern(i);
        n = nn;
    }
    check("realloc growth 16 B -> 8 MiB keeps contents", ok);
    r = realloc(r, 100);
    check("realloc shrink keeps prefix", r && r[99] == pattern(99) && r[0] == pattern(0));
    free(r);

    /* calloc */
    unsigned char *c1 = calloc(1000, 1);
    unsigned char *c2 = calloc(3, 1u << 20);
    check("calloc small is zeroed", c1 && all_bytes(c1, 1000, 0));
    check("calloc 3 MiB is zeroed", c2 && all_bytes(c2, 3u << 20, 0));
    free(c1);
    free(c2);
    volatile size_t huge_n = SIZE_MAX / 2;
    errno = 0;
    void *huge = calloc(huge_n, 4);
    check("calloc overflow returns NULL with ENOMEM", huge == NULL && errno == ENOMEM);

    /* anonymous mmap / mprotect / munmap */
    size_t len = 4 * (size_t)page;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check_errno("mmap anonymous 4 pages", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        check("anonymous mapping starts zeroed", all_bytes(m, len, 0));
        check("anonymous mapping is page aligned", ((uintptr_t)m % (uintptr_t)page) == 0);
        for (size_t i = 0; i < len; i++)
            m[i] = pattern(i);
        check_errno("mprotect PROT_READ", mprotect(m, len, PROT_READ) == 0);
        ok = 1;
        for (size_t i = 0; i < len; i++)
            if (m[i] != pattern(i))
                ok = 0;
        check("read-only mapping still readable", ok);
        check_errno("mprotect back to PROT_READ|PROT_WRITE", mprotect(m, len, PROT_READ | PROT_WRITE) == 0);
        m[0] = 1;
        check("writable again", m[0] == 1);
        m[0] = pattern(0);

        /* mremap grow with MREMAP_MAYMOVE */
        unsigned char *g = mremap(m, len, 64 * (size_t)page, MREMAP_MAYMOVE);
        check_errno("mremap grow 4 -> 64 pages (MREMAP_MAYMOVE)", g != MAP_FAILED);
        if (g != MAP_FAILED) {
            ok = 1;
            for (size_t i = 0; i < len; i++)
                if (g[i] != pattern(i))
                    ok = 0;
            check("mremap kept the contents", ok);
            check("mremap new part is zeroed", all_bytes(g + len, 60 * (size_t)page, 0));
            memset(g + len, 0x5a, 60 * (size_t)page);
            check("mremap new part is writable", all_bytes(g + len, 60 * (size_t)page, 0x5a));
            unsigned char *s = mremap(g, 64 * (size_t)page, 2 * (size_t)page, 0);
            check_errno("mremap shrink to 2 pages", s == g);
            check_errno("munmap", munmap(g, 2 * (size_t)page) == 0);
        }
    }
    errno = 0;
    void *bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap of length 0 fails with EINVAL", bad == MAP_FAILED && errno == EINVAL);

    /* MAP_FIXED inside a reserved region */
    unsigned char *res = mmap(NULL, 8 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check_errno("mmap PROT_NONE reservation of 8 pages", res != MAP_FAILED);
    if (res != MAP_FAILED) {
        unsigned char *f = mmap(res + 2 * page, 2 * (size_t)page, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        check_errno("mmap MAP_FIXED inside the reservation", f == res + 2 * page);
        if (f != MAP_FAILED) {
            memset(f, 0x77, 2 * (size_t)page);
            check("MAP_FIXED mapping writable", all_bytes(f, 2 * (size_t)page, 0x77));
        }
        check_errno("munmap reservation", munmap(res, 8 * (size_t)page) == 0);
    }

    /* madvise(MADV_DONTNEED) on private anonymous memory reads back zeros */
    unsigned char *a = mmap(NULL, 8 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a != MAP_FAILED) {
        memset(a, 0xab, 8 * (size_t)page);
        check_errno("madvise MADV_DONTNEED", madvise(a + 2 * page, 4 * (size_t)page, MADV_DONTNEED) == 0);
        check("MADV_DONTNEED range reads zeros", all_bytes(a + 2 * page, 4 * (size_t)page, 0));
        check("memory outside the range kept", all_bytes(a, 2 * (size_t)page, 0xab) &&
                                               all_bytes(a + 6 * page, 2 * (size_t)page, 0xab));
        munmap(a, 8 * (size_t)page);
    } else {
        check_errno("mmap for madvise", 0);
    }

    /* brk via sbrk */
    void *cur = sbrk(0);
    check("sbrk(0) is non-null", cur != NULL && cur != (void *)-1);
#ifdef __GLIBC__
    {
        char *old = sbrk(0);
        char *prev = sbrk(65536);
        check_errno("sbrk(65536) returns the old break", prev == old);
        check("sbrk(0) moved by 65536", (char *)sbrk(0) == old + 65536);
        memset(prev, 0x33, 65536);
        check("new heap memory is writable", all_bytes((unsigned char *)prev, 65536, 0x33));
        check_errno("sbrk(-65536)", sbrk(-65536) != (void *)-1);
        check("sbrk(0) back at the old break", (char *)sbrk(0) == old);
    }
#endif

    /* file-backed MAP_PRIVATE mapping of a file written here */
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    check_errno("open scratch file", fd >= 0);
    if (fd >= 0) {
        size_t flen = 3 * (size_t)page + 100;
        unsigned char *wb = malloc(flen);
        for (size_t i = 0; i < flen; i++)
            wb[i] = pattern(i);
        check("write scratch file", write(fd, wb, flen) == (ssize_t)flen);
        unsigned char *fm = mmap(NULL, flen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        check_errno("mmap file MAP_PRIVATE", fm != MAP_FAILED);
        if (fm != MAP_FAILED) {
            check("file mapping shows the file content", memcmp(fm, wb, flen) == 0);
            check("file mapping tail past EOF is zero", all_bytes(fm + flen, 4 * (size_t)page - flen, 0));
            fm[0] ^= 0xff;
            unsigned char b0 = 0;
            check("pread works", pread(fd, &b0, 1, 0) == 1);
            check("MAP_PRIVATE write not visible in the file", b0 == wb[0]);
            munmap(fm, flen);
        }
        unsigned char *om = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, fd, 2 * page);
        check_errno("mmap file at offset 2 pages", om != MAP_FAILED);
        if (om != MAP_FAILED) {
            check("offset mapping content", memcmp(om, wb + 2 * page, (size_t)page) == 0);
            munmap(om, (size_t)page);
        }
        unsigned char *sm = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        check_errno("mmap file MAP_SHARED", sm != MAP_FAILED);
        if (sm != MAP_FAILED) {
            sm[1] = 'S';
            check_errno("msync", msync(sm, (size_t)page, MS_SYNC) == 0);
            unsigned char b1 = 0;
            check("MAP_SHARED write visible through pread", pread(fd, &b1, 1, 1) == 1 && b1 == 'S');
            munmap(sm, (size_t)page);
        }
        free(wb);
        close(fd);
        check_errno("unlink scratch file", unlink(path) == 0);
    }

    printf("memory: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
