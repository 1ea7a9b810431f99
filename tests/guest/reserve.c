/* Big PROT_NONE reservations, as musl's malloc and Go's runtime make them: tens of TiB
 * at once, parts opened with mprotect, faults in the closed parts (SEGV_ACCERR), the
 * contents of opened parts kept across mprotect and fork, MAP_FIXED over them, mremap
 * and munmap of pieces, /proc/self/maps merging the pieces as Linux does, and the
 * whole 47-bit address space filled with reservations. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

static sigjmp_buf jb;
static volatile int fault_code;

static void on_segv(int s, siginfo_t *si, void *c)
{
    (void)s; (void)c;
    fault_code = si->si_code;
    siglongjmp(jb, 1);
}

static const char *probe(volatile char *p, int write)
{
    fault_code = 0;
    if (sigsetjmp(jb, 1) == 0) {
        if (write) *p = 7; else (void)*p;
        return "ok";
    }
    return fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other";
}

/* The lines of /proc/self/maps inside [lo, hi), as offsets from lo and permissions.
 * Read without stdio: a malloc'd buffer could land in the window. */
static void maps(const char *what, uintptr_t lo, uintptr_t hi)
{
    static char buf[1 << 16];
    int fd = open("/proc/self/maps", O_RDONLY);
    size_t n = 0;
    ssize_t k;
    while (fd >= 0 && n < sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)k;
    if (fd >= 0) close(fd);
    buf[n] = 0;
    printf("%s:\n", what);
    for (char *line = buf, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) break;
        unsigned long a, b;
        char perm[8];
        if (sscanf(line, "%lx-%lx %7s", &a, &b, perm) != 3 || b <= lo || a >= hi) continue;
        /* Clipped to the window: how Linux merges what lies outside depends on its
         * anon_vma bookkeeping. */
        if (a < lo) a = lo;
        if (b > hi) b = hi;
        printf("  +%#lx-+%#lx %s\n", a - lo, b - lo, perm);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);

    size_t len = 64 * TiB;
    char *r = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    printf("64 TiB reservation: %s\n", r == MAP_FAILED ? "failed" : "ok");
    if (r == MAP_FAILED) return 1;
    printf("read closed: %s\n", probe(r + 5 * GiB, 0));
    printf("write closed: %s\n", probe(r + 5 * GiB, 1));

    char *a = r + 10 * GiB;
    printf("mprotect 1 MiB RW: %d\n", mprotect(a, 1 << 20, PROT_READ | PROT_WRITE));
    printf("fresh page reads %d\n", a[100]);
    strcpy(a, "hello");
    printf("write opened: %s, reads %s\n", probe(a + 4096, 1), a);
    printf("page after the opened part: %s\n", probe(a + (1 << 20), 0));
    maps("after opening", (uintptr_t)r, (uintptr_t)r + len);

    /* Closed again and reopened: the contents stay. */
    mprotect(a, 1 << 20, PROT_NONE);
    printf("closed again: %s\n", probe(a, 0));
    maps("closed again", (uintptr_t)r, (uintptr_t)r + len);
    mprotect(a, 1 << 20, PROT_READ);
    printf("reopened read-only: %s, write %s\n", a, probe(a, 1));
    mprotect(a, 1 << 20, PROT_READ | PROT_WRITE);

    /* A fork sees the opened part and the reservation. */
    pid_t c = fork();
    if (c == 0) {
        printf("child reads %s, closed part %s\n", a, probe(r + 20 * GiB, 0));
        mprotect(r + 20 * GiB, 4096, PROT_READ | PROT_WRITE);
        r[20 * GiB] = 1;
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child exit %d\n", WEXITSTATUS(st));

    /* MAP_FIXED PROT_NONE over the opened part drops its contents. */
    mmap(a, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    mprotect(a, 4096, PROT_READ);
    printf("after MAP_FIXED over it: %d\n", a[0]);
    mprotect(a, 4096, PROT_NONE);

    /* A hole, then a reservation piece moved into its middle (not touching its sides:
     * Linux would not merge a moved anonymous piece with its new neighbours, as its
     * page offset comes along from where it was). */
    printf("munmap 4 GiB piece: %d\n", munmap(r + 30 * GiB, 4 * GiB));
    printf("hole: %s\n", probe(r + 30 * GiB, 0));
    char *m = mremap(r + 40 * GiB, GiB, 2 * GiB, MREMAP_MAYMOVE | MREMAP_FIXED, r + 31 * GiB);
    printf("mremap of a reserved piece: %s\n", m == MAP_FAILED ? "failed" : m == r + 31 * GiB ? "moved" : "?");
    printf("moved piece: %s\n", probe(r + 32 * GiB, 0));
    printf("its old place: %s\n", probe(r + 40 * GiB + 4096, 0));
    maps("pieces", (uintptr_t)r + 28 * GiB, (uintptr_t)r + 42 * GiB);
    printf("munmap all: %d\n", munmap(r, len));

    /* The same through a private mapping of /dev/zero (libc-test's vmfill without
     * MAP_ANONYMOUS). */
    int zfd = open("/dev/zero", O_RDWR);
    char *z = mmap(NULL, 16 * TiB, PROT_NONE, MAP_PRIVATE, zfd, 0);
    printf("16 TiB of /dev/zero: %s\n", z == MAP_FAILED ? "failed" : "ok");
    if (z != MAP_FAILED) {
        mprotect(z + TiB, 4096, PROT_READ | PROT_WRITE);
        printf("opened page reads %d, write %s\n", z[TiB], probe(z + TiB, 1));
        munmap(z, 16 * TiB);
    }
    close(zfd);

    /* Fill the address space with reservations, halving the size each time one fails. */
    uint64_t total = 0, size = 64 * TiB;
    int n = 0;
    while (size >= 4096) {
        void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) { size /= 2; continue; }
        total += size;
        n++;
    }
    printf("filled: %llu TiB reserved in %s mappings\n", (unsigned long long)(total / TiB), n > 10 ? "many" : "few");
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("one more page: %s\n", p == MAP_FAILED ? "ENOMEM" : "ok");
    return 0;
}
