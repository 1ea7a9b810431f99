/* Memory corners: mmap of /dev/zero (private: anonymous memory naming the file; shared:
 * shared anonymous memory, seen by a fork), MADV_DONTNEED on a private file mapping
 * (the file's contents again, as it is now), on anonymous memory (zero) and on shared
 * memory (kept), MADV_FREE only on private anonymous memory.
 * Argument: a scratch directory (guest_test's CWD_TMP). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* The name and permissions /proc/self/maps gives the mapping at p. */
static void maps_line(const char *what, void *p)
{
    static char buf[1 << 16];
    int fd = open("/proc/self/maps", O_RDONLY);
    size_t n = 0;
    ssize_t k;
    while (n < sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)k;
    close(fd);
    buf[n] = 0;
    for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        unsigned long a, b;
        char perm[8];
        int name_at = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &a, &b, perm, &name_at) < 3) continue;
        if ((unsigned long)p < a || (unsigned long)p >= b) continue;
        printf("%s: %s %s\n", what, perm, name_at ? line + name_at : "");
        return;
    }
    printf("%s: not found\n", what);
}

static void dev_zero(void)
{
    int fd = open("/dev/zero", O_RDWR);
    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private /dev/zero: %s, reads %d\n", p == MAP_FAILED ? strerror(errno) : "ok", p == MAP_FAILED ? -1 : p[5000]);
    if (p == MAP_FAILED) return;
    maps_line("private /dev/zero", p);
    strcpy(p, "parent");
    pid_t c = fork();
    if (c == 0) { strcpy(p, "child"); _exit(0); }
    waitpid(c, NULL, 0);
    printf("private after the child wrote: %s\n", p);
    /* (What it reads afterwards is not printed: this kernel, 6.18, keeps the private
     * copy here, where the manual promises zero-fill pages; uniemu zero-fills.) */
    printf("MADV_DONTNEED on it: %d\n", madvise(p, 4096, MADV_DONTNEED));

    char *s = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shared /dev/zero: %s\n", s == MAP_FAILED ? strerror(errno) : "ok");
    if (s == MAP_FAILED) return;
    maps_line("shared /dev/zero", s);
    c = fork();
    if (c == 0) { strcpy(s + 4096, "from the child"); _exit(0); }
    waitpid(c, NULL, 0);
    printf("shared after the child wrote: %s\n", s + 4096);
    printf("MADV_DONTNEED on it: %d, reads %s\n", madvise(s, 2 * 4096, MADV_DONTNEED), s + 4096);
    close(fd);

    fd = open("/dev/zero", O_WRONLY);
    p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("write-only /dev/zero: %s\n", p == MAP_FAILED ? (errno == EACCES ? "EACCES" : strerror(errno)) : "ok");
    close(fd);
    fd = open("/dev/null", O_RDWR);
    p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("/dev/null: %s\n", p == MAP_FAILED ? (errno == ENODEV ? "ENODEV" : strerror(errno)) : "ok");
    close(fd);
}

static void dontneed(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/dontneed.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    char page[8192];
    memset(page, 'a', sizeof page);
    memcpy(page, "file text", 9);
    write(fd, page, 6000);   /* the second page is partly past the end */
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    memcpy(p, "changed", 7);
    p[7000] = 'Z';
    printf("private file before: %.9s %c\n", p, p[7000]);
    printf("MADV_DONTNEED: %d\n", madvise(p, 8192, MADV_DONTNEED));
    printf("private file after: %.9s, past the end %d, at 5999 %c\n", p, p[7000], p[5999]);
    /* Not printed between these two: an untouched private page is still the file's
     * own page on Linux and shows the write at once; uniemu's private mappings are
     * copies taken at mmap. */
    pwrite(fd, "FILE", 4, 0);
    madvise(p, 4096, MADV_DONTNEED);
    printf("file changed, after MADV_DONTNEED: %.9s\n", p);
    printf("MADV_FREE on a file mapping: %s\n", madvise(p, 4096, MADV_FREE) ? (errno == EINVAL ? "EINVAL" : strerror(errno)) : "ok");
    munmap(p, 8192);

    char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(s, "shared", 6);
    madvise(s, 4096, MADV_DONTNEED);
    printf("shared file mapping after MADV_DONTNEED: %.9s\n", s);
    munmap(s, 4096);
    close(fd);
    unlink(path);

    char *a = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 'q', 4 * 4096);
    printf("anonymous MADV_DONTNEED middle: %d\n", madvise(a + 4096, 2 * 4096, MADV_DONTNEED));
    printf("anonymous pages: %c %d %d %c\n", a[0], a[4096], a[2 * 4096 + 7], a[3 * 4096]);
    printf("anonymous MADV_FREE: %d\n", madvise(a, 4096, MADV_FREE));
    char *sa = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    strcpy(sa, "kept");
    madvise(sa, 4096, MADV_DONTNEED);
    printf("shared anonymous after MADV_DONTNEED: %s\n", sa);
    printf("MADV_FREE on shared anonymous: %s\n", madvise(sa, 4096, MADV_FREE) ? (errno == EINVAL ? "EINVAL" : strerror(errno)) : "ok");
}

static const char *e(int r)
{
    if (r == 0) return "0";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EACCES: return "EACCES";
    case ENOMEM: return "ENOMEM";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return strerror(errno);
    }
}

/* The VmLck line of /proc/self/status, in kB. */
static long vm_locked(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f)) sscanf(line, "VmLck: %ld", &kb);
    if (f) fclose(f);
    return kb;
}

static void residency(const char *what, char *p, int pages)
{
    unsigned char v[16];
    mincore(p, (size_t)pages * 4096, v);
    printf("%s:", what);
    for (int i = 0; i < pages; i++) printf(" %d", v[i] & 1);
    printf("\n");
}

static void locks_and_forks(const char *dir)
{
    char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    residency("fresh anonymous", p, 4);
    p[4096] = 1;
    residency("second page written", p, 4);
    long before = vm_locked();
    const char *r1 = e(mlock(p + 2 * 4096, 2 * 4096));
    printf("mlock 2 pages: %s, VmLck +%ld kB\n", r1, vm_locked() - before);
    residency("locked", p, 4);
    printf("MADV_DONTNEED on locked: %s\n", e(madvise(p, 4 * 4096, MADV_DONTNEED)));
    r1 = e(munlock(p, 4 * 4096));
    printf("munlock: %s, VmLck +%ld kB\n", r1, vm_locked() - before);
    char *l = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    printf("MAP_LOCKED: VmLck +%ld kB\n", vm_locked() - before);
    munmap(l, 2 * 4096);
    char *r = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    residency("reservation", r, 2);

    char path[4096];
    snprintf(path, sizeof path, "%s/locks.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    ftruncate(fd, 8192);
    char *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    mlock(s, 4096);
    printf("msync MS_INVALIDATE on locked: %s\n", e(msync(s, 8192, MS_INVALIDATE)));
    printf("msync MS_SYNC on locked: %s\n", e(msync(s, 8192, MS_SYNC)));
    munlock(s, 4096);
    printf("msync MS_INVALIDATE unlocked: %s\n", e(msync(s, 8192, MS_INVALIDATE)));
    munmap(s, 8192);
    close(fd);
    fd = open(path, O_RDONLY);
    s = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("mprotect write, shared read-only file: %s\n", e(mprotect(s, 4096, PROT_READ | PROT_WRITE)));
    munmap(s, 4096);
    s = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mprotect write, private read-only file: %s\n", e(mprotect(s, 4096, PROT_READ | PROT_WRITE)));
    munmap(s, 4096);
    s = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x400, fd, 0);
    printf("MAP_SHARED_VALIDATE with an unknown flag: %s\n", s == MAP_FAILED ? e(-1) : "ok");
    close(fd);
    unlink(path);

    /* What a fork gets of memory marked MADV_WIPEONFORK and MADV_DONTFORK. */
    char *w = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(w, 'w', 3 * 4096);
    printf("MADV_WIPEONFORK: %s\n", e(madvise(w + 4096, 4096, MADV_WIPEONFORK)));
    printf("MADV_DONTFORK: %s\n", e(madvise(w + 2 * 4096, 4096, MADV_DONTFORK)));
    char *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("MADV_WIPEONFORK on shared: %s\n", e(madvise(sh, 4096, MADV_WIPEONFORK)));
    pid_t c = fork();
    if (c == 0) {
        unsigned char v;
        printf("child, mincore of the dontfork page: %s\n", e(mincore(w + 2 * 4096, 4096, &v)));
        printf("child: %c %d\n", w[0], w[4096]);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("parent: %c %c %c\n", w[0], w[4096], w[2 * 4096]);
    madvise(w + 4096, 4096, MADV_KEEPONFORK);
    c = fork();
    if (c == 0) { printf("child after KEEPONFORK: %c\n", w[4096]); _exit(0); }
    waitpid(c, NULL, 0);
}

/* A shared file mapping moved and grown by mremap keeps writing to its file, also in
 * the part the file grew into after the mmap. */
static void mremap_file(const char *dir)
{
    char path[4096], buf[16] = { 0 };
    snprintf(path, sizeof path, "%s/mremap.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    ftruncate(fd, 2 * 4096);
    char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *block = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    (void)block;
    ftruncate(fd, 8 * 4096);   /* the file grows after the mmap */
    char *q = mremap(p, 2 * 4096, 8 * 4096, MREMAP_MAYMOVE);
    printf("mremap grow: %s\n", q == MAP_FAILED ? strerror(errno) : "ok");
    if (q == MAP_FAILED) return;
    strcpy(q + 10, "first");
    strcpy(q + 6 * 4096, "grown");
    msync(q, 8 * 4096, MS_SYNC);
    pread(fd, buf, 5, 10);
    printf("file at 10: %s\n", buf);
    pread(fd, buf, 5, 6 * 4096);
    printf("file at page 6: %s\n", buf);
    char *r = mremap(q, 8 * 4096, 8 * 4096, MREMAP_MAYMOVE | MREMAP_FIXED, q + 64 * 4096);
    printf("mremap move: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
    if (r != MAP_FAILED) {
        strcpy(r + 20, "moved");
        strcpy(r + 7 * 4096, "moved too");
        munmap(r, 8 * 4096);
        pread(fd, buf, 5, 20);
        printf("file at 20: %s\n", buf);
        pread(fd, buf, 9, 7 * 4096);
        printf("file at page 7: %s\n", buf);
    }
    close(fd);
    unlink(path);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    dev_zero();
    dontneed(argc > 1 ? argv[1] : ".");
    locks_and_forks(argc > 1 ? argv[1] : ".");
    mremap_file(argc > 1 ? argv[1] : ".");
    return 0;
}
