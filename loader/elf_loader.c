#include "loader/elf_loader.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern const unsigned char vdso_image[];   /* generated from loader/vdso/ */
extern const size_t vdso_image_size;

#define MAX_PROGRAM_SIZE (1ULL << 31)
#define STACK_EXPAND (128 * 1024)  /* Linux grows the first stack by 128 KiB below argv */

int loader_fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int prot_of(uint32_t pf)
{
    return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) | (pf & PF_X ? PROT_EXEC : 0);
}

/* Reads the whole file: programs are small next to the machine, and the segments are
 * copied into the engine anyway. */
static unsigned char *slurp(const char *path, size_t *size, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { loader_fail(err, errlen, "%s: %s", path, strerror(errno)); return NULL; }
    if (fstat(fd, st) != 0) { loader_fail(err, errlen, "%s: %s", path, strerror(errno)); close(fd); return NULL; }
    if (S_ISDIR(st->st_mode)) { loader_fail(err, errlen, "%s: is a directory", path); close(fd); return NULL; }
    if (!S_ISREG(st->st_mode)) { loader_fail(err, errlen, "%s: not a regular file", path); close(fd); return NULL; }
    if ((uint64_t)st->st_size > MAX_PROGRAM_SIZE) { loader_fail(err, errlen, "%s: file too large", path); close(fd); return NULL; }
    size_t n = st->st_size;
    unsigned char *buf = malloc(n ? n : 1);
    size_t got = 0;
    while (buf && got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) break;
        got += r;
    }
    close(fd);
    if (!buf || got < n) { free(buf); loader_fail(err, errlen, "%s: cannot read", path); return NULL; }
    *size = n;
    return buf;
}

/* One ELF file read into memory and checked: the program or its interpreter. */
struct elf_file {
    unsigned char *img;
    size_t size;
    struct stat st;
    Elf *e;
    GElf_Ehdr eh;
    size_t phnum;
    uint64_t lo, hi;          /* page-aligned span of the PT_LOAD segments (unbiased) */
    uint64_t first_vaddr;     /* p_vaddr of the first PT_LOAD */
    uint64_t max_align;       /* the largest power-of-two p_align, at least a page */
    uint64_t phdr_vaddr;
    char interp[PATH_MAX];    /* PT_INTERP, "" when none */
};

static void elf_close(struct elf_file *f)
{
    if (f->e) elf_end(f->e);
    free(f->img);
    memset(f, 0, sizeof *f);
}

/* Reads and checks path. On failure returns -errno for the guest (ENOEXEC for what is not
 * an x86-64 ELF executable) with the reason in err. */
static int elf_open(const char *path, struct elf_file *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (!(f->img = slurp(path, &f->size, &f->st, err, errlen))) return -EACCES;
    unsigned char *img = f->img;
    size_t size = f->size;
    elf_version(EV_CURRENT);
    int rc = -ENOEXEC;
    if (size < 4 || memcmp(img, ELFMAG, SELFMAG) != 0) { loader_fail(err, errlen, "%s: not an ELF file", path); goto bad; }
    if (size < EI_NIDENT || img[EI_CLASS] != ELFCLASS64) { loader_fail(err, errlen, "%s: not a 64-bit ELF file (only x86-64 programs run)", path); goto bad; }
    if (!(f->e = elf_memory((char *)img, size)) || elf_kind(f->e) != ELF_K_ELF) { loader_fail(err, errlen, "%s: corrupt ELF file", path); goto bad; }
    GElf_Ehdr *eh = &f->eh;
    if (!gelf_getehdr(f->e, eh)) { loader_fail(err, errlen, "%s: corrupt ELF header", path); goto bad; }
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64) { loader_fail(err, errlen, "%s: not an x86-64 program (machine %u)", path, eh->e_machine); goto bad; }
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) { loader_fail(err, errlen, "%s: not an executable (ELF type %u)", path, eh->e_type); goto bad; }
    size_t phnum;
    if (elf_getphdrnum(f->e, &phnum) != 0 || phnum == 0 || phnum > 1024 ||
        eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size || phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff) {
        loader_fail(err, errlen, "%s: corrupt ELF program headers", path); goto bad;
    }
    f->phnum = phnum;
    uint64_t lo = UINT64_MAX, hi = 0, prev_end = 0;
    bool have_phdr = false, have_interp = false;
    f->max_align = PAGE_SIZE;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(f->e, (int)i, &ph)) { loader_fail(err, errlen, "%s: corrupt program header %zu", path, i); goto bad; }
        if (ph.p_type == PT_INTERP) {
            /* Linux takes the first one: a NUL-terminated path inside the file. */
            if (have_interp) continue;
            have_interp = true;
            if (ph.p_filesz < 2 || ph.p_filesz > PATH_MAX || ph.p_offset > size || ph.p_filesz > size - ph.p_offset ||
                img[ph.p_offset + ph.p_filesz - 1] != 0) {
                loader_fail(err, errlen, "%s: corrupt ELF: bad interpreter path (PT_INTERP)", path); goto bad;
            }
            memcpy(f->interp, img + ph.p_offset, ph.p_filesz);
            continue;
        }
        if (ph.p_type == PT_PHDR) { f->phdr_vaddr = ph.p_vaddr; have_phdr = true; }
        if (ph.p_type != PT_LOAD) continue;
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > size || ph.p_filesz > size - ph.p_offset) {
            loader_fail(err, errlen, "%s: corrupt ELF: segment %zu lies beyond the end of the file", path, i); goto bad;
        }
        if (ph.p_memsz > TASK_SIZE_64 || ph.p_vaddr > TASK_SIZE_64 - ph.p_memsz) {
            loader_fail(err, errlen, "%s: corrupt ELF: segment %zu does not fit in the address space", path, i); goto bad;
        }
        if (ph.p_align > 1 && ((ph.p_align & (ph.p_align - 1)) || (ph.p_vaddr - ph.p_offset) % PAGE_SIZE)) {
            loader_fail(err, errlen, "%s: corrupt ELF: segment %zu is misaligned", path, i); goto bad;
        }
        if (ph.p_vaddr < prev_end) { loader_fail(err, errlen, "%s: corrupt ELF: segments overlap or are out of order", path); goto bad; }
        if (lo == UINT64_MAX) f->first_vaddr = ph.p_vaddr;
        prev_end = ph.p_vaddr + ph.p_memsz;
        if (ph.p_vaddr < lo) lo = ph.p_vaddr;
        if (ph.p_vaddr + ph.p_memsz > hi) hi = ph.p_vaddr + ph.p_memsz;
        if (ph.p_align > f->max_align && ph.p_align <= (1ULL << 30)) f->max_align = ph.p_align;
        if (!have_phdr && ph.p_offset <= eh->e_phoff && eh->e_phoff < ph.p_offset + ph.p_filesz)
            f->phdr_vaddr = ph.p_vaddr + (eh->e_phoff - ph.p_offset);
    }
    if (lo == UINT64_MAX) { loader_fail(err, errlen, "%s: ELF file has no loadable segment", path); goto bad; }
    f->lo = PAGE_DOWN(lo);
    f->hi = PAGE_UP(hi);
    return 0;
bad:
    elf_close(f);
    return rc;
}

/* Maps f's segments at bias as load_elf_binary does: file pages from the file (the page
 * before a segment's start and the rest of its last page too, as mmap of the file gives),
 * the bss zeroed. */
static int elf_map(struct addr_space *as, struct elf_file *f, uint64_t bias, const char *path, const char *abs_path,
                   char *err, size_t errlen)
{
    for (size_t i = 0; i < f->phnum; i++) {
        GElf_Phdr ph;
        gelf_getphdr(f->e, (int)i, &ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        uint64_t va = ph.p_vaddr + bias;
        uint64_t start = PAGE_DOWN(va), file_end = PAGE_UP(va + ph.p_filesz), mem_end = PAGE_UP(va + ph.p_memsz);
        int prot = prot_of(ph.p_flags);
        if (file_end > start) {
            if (as_map(as, start, file_end - start, prot, MAP_PRIVATE, abs_path, PAGE_DOWN(ph.p_offset), f->st.st_dev, f->st.st_ino))
                return loader_fail(err, errlen, "%s: cannot map segment at %#llx", path, (unsigned long long)start);
            uint64_t foff = PAGE_DOWN(ph.p_offset);
            size_t span = file_end - start;
            size_t avail = f->size - foff < span ? f->size - foff : span;
            guest_poke(as, start, f->img + foff, avail);
            /* Bytes after p_filesz within the last file page belong to bss: zero. */
            uint64_t fz = va + ph.p_filesz;
            if (ph.p_memsz > ph.p_filesz && fz < file_end) {
                static const unsigned char zeros[PAGE_SIZE];
                guest_poke(as, fz, zeros, file_end - fz);
            }
        }
        if (mem_end > file_end && mem_end > start) {
            uint64_t bss = file_end > start ? file_end : start;
            if (as_map(as, bss, mem_end - bss, prot, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, 0, 0))
                return loader_fail(err, errlen, "%s: cannot map bss at %#llx", path, (unsigned long long)bss);
        }
    }
    return 0;
}

int elf_load(struct addr_space *as, const char *path, const char *abs_path, const struct exec_files *files,
             struct loaded_program *lp, char *err, size_t errlen)
{
    struct elf_file prog, interp;
    memset(&interp, 0, sizeof interp);
    memset(lp, 0, sizeof *lp);
    int rc = elf_open(path, &prog, err, errlen);
    if (rc) return rc;
    bool dynamic = prog.interp[0] != 0;
    char interp_abs[PATH_MAX], interp_load[PATH_MAX];
    if (dynamic) {
        /* The interpreter is opened as an exec (its errors are execve's), then must be
         * an x86-64 ELF itself (ELIBBAD otherwise), without an interpreter of its own. */
        if (!files || !files->resolve) { rc = -ENOEXEC; loader_fail(err, errlen, "%s: dynamically linked program", path); goto out; }
        if ((rc = files->resolve(files->ctx, prog.interp, interp_abs, interp_load))) {
            loader_fail(err, errlen, "%s: its interpreter %s: %s", path, prog.interp, strerror(-rc));
            goto out;
        }
        char why[PATH_MAX + 128];
        if (elf_open(interp_load, &interp, why, sizeof why) != 0 || interp.interp[0]) {
            loader_fail(err, errlen, "%s: its interpreter %s is not an x86-64 ELF interpreter", path, prog.interp);
            rc = -ELIBBAD;
            goto out;
        }
    }
    rc = -ENOMEM;
    uint64_t bias = 0;
    if (prog.eh.e_type == ET_DYN && dynamic) {
        /* A PIE with an interpreter goes at ELF_ET_DYN_BASE (ASLR off), aligned to its
         * largest segment alignment. */
        uint64_t base = ELF_ET_DYN_BASE;
        /* --aslr: arch_mmap_rnd()'s 28 bits of pages, as Linux adds to the base. */
        if (as_aslr) base += (det_layout_random() % (1ULL << 28)) << 12;
        base &= ~(prog.max_align - 1);
        bias = PAGE_DOWN(base - prog.first_vaddr);
        if (prog.hi + bias > as->mmap_base || !as_range_free(as, prog.lo + bias, prog.hi - prog.lo)) {
            loader_fail(err, errlen, "%s: program too large", path); goto out;
        }
    } else if (prog.eh.e_type == ET_DYN) {
        /* A static-PIE goes at the top of the mmap area, like any mapping. */
        if (!as_find_free(as, prog.hi - prog.lo + prog.max_align, as->mmap_base)) { loader_fail(err, errlen, "%s: program too large", path); goto out; }
        uint64_t at = (as->mmap_base - (prog.hi - prog.lo)) & ~(prog.max_align - 1);
        bias = at - prog.lo;
    } else if (prog.lo < MMAP_MIN_ADDR) {
        loader_fail(err, errlen, "%s: program wants to load at %#llx, below the lowest allowed address", path, (unsigned long long)prog.lo);
        rc = -EPERM;
        goto out;
    }
    if (elf_map(as, &prog, bias, path, abs_path, err, errlen)) goto out;

    uint64_t vdso_top = prog.eh.e_type == ET_DYN && !dynamic ? prog.lo + bias : as->mmap_base;
    lp->entry = prog.eh.e_entry + bias;
    lp->start = lp->entry;
    if (dynamic) {
        /* The interpreter: wherever the mmap area puts it (top-down), as mmap would. */
        uint64_t ibias = 0;
        if (interp.eh.e_type == ET_DYN) {
            uint64_t len = interp.hi - interp.lo;
            uint64_t at = as_find_free(as, len + interp.max_align - PAGE_SIZE, as->mmap_base);
            if (!at) { loader_fail(err, errlen, "%s: no room for the interpreter", path); goto out; }
            at = (at + interp.max_align - PAGE_SIZE) & ~(interp.max_align - 1);
            ibias = at - interp.lo;
        }
        if (elf_map(as, &interp, ibias, interp_load, interp_abs, err, errlen)) goto out;
        lp->interp_base = interp.lo + ibias;
        lp->start = interp.eh.e_entry + ibias;
        vdso_top = interp.lo + ibias;
    }
    /* [vvar], [vvar_vclock] and [vdso] take the next 8 pages below, as on Linux, so that
     * later mappings land where they land natively. The vDSO is uniemu's own
     * (loader/vdso/): its functions make the real system calls, so time stays virtual
     * and libc's work with it (the link map glibc makes for it, say) is Linux's. */
    as_map(as, vdso_top - 0x8000, 0x4000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, "[vvar]", 0, 0, 0);
    as_map(as, vdso_top - 0x4000, 0x2000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, "[vvar_vclock]", 0, 0, 0);
    as_map(as, vdso_top - 0x2000, 0x2000, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, "[vdso]", 0, 0, 0);
    if (vdso_image_size <= 0x2000) {
        guest_poke(as, vdso_top - 0x2000, vdso_image, vdso_image_size);
        lp->vdso = vdso_top - 0x2000;
    }

    lp->phdr = prog.phdr_vaddr + bias;
    lp->phent = sizeof(Elf64_Phdr);
    lp->phnum = prog.phnum;
    lp->load_bias = bias;
    lp->brk = (prog.eh.e_type == ET_DYN && !dynamic ? STATIC_PIE_BRK : bias + prog.hi) + as->brk_random;
    as->brk_start = as->brk_cur = lp->brk;
    rc = 0;
out:
    elf_close(&prog);
    elf_close(&interp);
    return rc;
}

uint64_t elf_build_stack(struct addr_space *as, struct loaded_program *lp, char *const argv[],
                         char *const envp[], const char *execfn)
{
    size_t argc = 0, envc = 0, strings = 8 + strlen(execfn) + 1;
    while (argv[argc]) strings += strlen(argv[argc++]) + 1;
    while (envp[envc]) strings += strlen(envp[envc++]) + 1;
    if (strings > 4 * 1024 * 1024) return 0;   /* like E2BIG past a quarter of the 8 MiB rlimit */

    /* Strings at the top: argv then envp then the program's name, then 8 zero bytes. */
    uint64_t p = as->stack_top - strings;
    uint64_t stack_lo = PAGE_DOWN(p) - STACK_EXPAND;
    if (as_map(as, stack_lo, as->stack_top - stack_lo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN,
               "[stack]", 0, 0, 0))
        return 0;
    uint64_t *argv_at = calloc(argc + 1, 8), *envp_at = calloc(envc + 1, 8);
    uint64_t at = p;
    for (size_t i = 0; i < argc; i++) { size_t n = strlen(argv[i]) + 1; guest_poke(as, at, argv[i], n); argv_at[i] = at; at += n; }
    for (size_t i = 0; i < envc; i++) { size_t n = strlen(envp[i]) + 1; guest_poke(as, at, envp[i], n); envp_at[i] = at; at += n; }
    uint64_t execfn_at = at;
    as->env_start = envc ? envp_at[0] : at;
    as->env_end = at;
    guest_poke(as, at, execfn, strlen(execfn) + 1);

    p &= ~15ULL;
    static const char platform[] = "x86_64";
    p -= sizeof platform;
    uint64_t platform_at = p;
    guest_poke(as, p, platform, sizeof platform);
    unsigned char rnd[16];
    det_random(rnd, sizeof rnd);
    p -= 16;
    uint64_t random_at = p;
    guest_poke(as, p, rnd, 16);
    lp->random_at = random_at;

    uint64_t auxv[][2] = {
        { lp->vdso ? AT_SYSINFO_EHDR : AT_IGNORE, lp->vdso },
        { AT_MINSIGSTKSZ, 0xd30 },
        { AT_HWCAP, cpu_hwcap() },
        { AT_PAGESZ, PAGE_SIZE },
        { AT_CLKTCK, 100 },
        { AT_PHDR, lp->phdr },
        { AT_PHENT, lp->phent },
        { AT_PHNUM, lp->phnum },
        { AT_BASE, lp->interp_base },
        { AT_FLAGS, 0 },
        { AT_ENTRY, lp->entry },
        { AT_UID, getuid() },
        { AT_EUID, geteuid() },
        { AT_GID, getgid() },
        { AT_EGID, getegid() },
        { AT_SECURE, 0 },
        { AT_RANDOM, random_at },
        { AT_HWCAP2, cpu_hwcap2() },
        { AT_EXECFN, execfn_at },
        { AT_PLATFORM, platform_at },
        { 27 /* AT_RSEQ_FEATURE_SIZE */, 0x1c },
        { 28 /* AT_RSEQ_ALIGN */, 0x20 },
        { AT_NULL, 0 },
    };
    size_t nauxv = sizeof auxv / sizeof auxv[0];
    _Static_assert(sizeof auxv <= sizeof as->saved_auxv, "saved_auxv holds the aux vector");
    memcpy(as->saved_auxv, auxv, sizeof auxv);
    as->saved_auxv_words = 2 * nauxv;
    size_t items = 1 + argc + 1 + envc + 1 + 2 * nauxv;
    uint64_t sp = (p - items * 8) & ~15ULL;
    uint64_t w = sp;
    uint64_t v = argc;
    guest_poke(as, w, &v, 8); w += 8;
    guest_poke(as, w, argv_at, 8 * (argc + 1)); w += 8 * (argc + 1);
    guest_poke(as, w, envp_at, 8 * (envc + 1)); w += 8 * (envc + 1);
    guest_poke(as, w, auxv, sizeof auxv);
    free(argv_at);
    free(envp_at);
    return sp;
}
