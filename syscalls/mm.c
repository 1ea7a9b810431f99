/* Memory: brk, mmap, munmap, mprotect, mremap, madvise, msync, mincore, mlock. The layout follows Linux
 * with ASLR off: mappings are placed top-down below the mmap base. */
#include "syscalls/syscall.h"
#include "tools/explain.h"
#include "syscalls/fdtable.h"
#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/guest_mem.h"
#include "syscalls/ipc.h"
#include "syscalls/limits.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

/* Range checks are written as comparisons against TASK_SIZE_64 minus the length, never
 * as addr + len, which wraps for addresses near 2^64 (a fuzzer's mremap of the last
 * page once reached a NULL mapping this way). */
static bool page_aligned(uint64_t v) { return !(v & (PAGE_SIZE - 1)); }
/* PAGE_UP that says when the length rounds past 2^64. */
static bool page_up(uint64_t len, uint64_t *out)
{
    if (len > UINT64_MAX - (PAGE_SIZE - 1)) return false;
    *out = PAGE_UP(len);
    return true;
}
/* [addr, addr+len) lies within user space. */
static bool user_range(uint64_t addr, uint64_t len)
{
    return len <= TASK_SIZE_64 && addr <= TASK_SIZE_64 - len;
}

static int64_t sys_brk(struct syscall *sc)
{
    struct addr_space *as = sc->t->as;
    uint64_t want = sc->a[0];
    /* Past user space, PAGE_UP(want) would wrap to 0 and "shrink" the heap away. */
    if (want < as->brk_start || want > TASK_SIZE_64) return as->brk_cur;
    uint64_t old_end = PAGE_UP(as->brk_cur), new_end = PAGE_UP(want);
    if (new_end > old_end) {
        /* Like Linux, refuse to grow into another mapping (and keep a page of gap). */
        if (new_end - old_end > TASK_SIZE_64 - PAGE_SIZE ||
            !as_range_free(as, old_end, new_end - old_end + PAGE_SIZE)) return as->brk_cur;
        if (limits_may_map(sc->t, 0, new_end - old_end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS))
            return as->brk_cur;   /* RLIMIT_DATA, RLIMIT_AS */
        if (as_map(as, old_end, new_end - old_end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, "[heap]", 0, 0, 0))
            return as->brk_cur;
    } else if (new_end < old_end) {
        as_unmap(as, new_end, old_end - new_end);
    }
    as->brk_cur = want;
    return want;
}

/* Copies file contents into a fresh private mapping. Pages past the end of the file
 * read as zero (Linux would raise SIGBUS there; see the signals work). */
static int fill_from_file(struct addr_space *as, int hfd, uint64_t addr, uint64_t len, uint64_t off)
{
    char *buf = malloc(1 << 20);
    if (!buf) return -ENOMEM;
    uint64_t done = 0;
    int rc = 0;
    while (done < len) {
        size_t want = len - done < (1 << 20) ? len - done : (1 << 20);
        ssize_t n = pread(hfd, buf, want, off + done);
        if (n < 0) { rc = -errno; break; }
        if (n == 0) break;
        guest_poke(as, addr + done, buf, n);
        done += n;
    }
    free(buf);
    return rc;
}

/* Writes [start, end) of the shared file mappings back to their files, never past the
 * file's end (a mapping does not grow its file). */
void mm_writeback(struct addr_space *as, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < as->nshared; i++) {
        struct shared_file_map *m = &as->shared[i];
        uint64_t lo = m->start > start ? m->start : start, hi = m->end < end ? m->end : end;
        struct stat st;
        if (lo >= hi || fstat(m->host_fd, &st) != 0) continue;
        uint64_t off = m->offset + (lo - m->start);
        if (off >= (uint64_t)st.st_size) continue;
        if (hi - lo > (uint64_t)st.st_size - off) hi = lo + (st.st_size - off);
        char *buf = malloc(hi - lo);
        if (buf && guest_peek(as, lo, buf, hi - lo) == 0 && pwrite(m->host_fd, buf, hi - lo, off) < 0) {
            /* Nothing to tell the guest: Linux writes dirty pages back later too. */
        }
        free(buf);
    }
}

/* Forgets the shared mappings inside [start, end), after writing them back. */
static void forget_shared(struct addr_space *as, uint64_t start, uint64_t end)
{
    mm_writeback(as, start, end);
    for (size_t i = 0; i < as->nshared;) {
        struct shared_file_map *m = &as->shared[i];
        if (m->start >= start && m->end <= end) {
            close(m->host_fd);
            as->shared[i] = as->shared[--as->nshared];
            continue;
        }
        if (m->start < start && m->end > start) m->end = start;               /* keep the part below */
        else if (m->start < end && m->end > end) { m->offset += end - m->start; m->start = end; }
        i++;
    }
}

void mm_forget_shared(struct addr_space *as, uint64_t start, uint64_t end) { forget_shared(as, start, end); }

static int remember_shared(struct addr_space *as, uint64_t start, uint64_t len, uint64_t off, int host_fd)
{
    struct shared_file_map *n = realloc(as->shared, (as->nshared + 1) * sizeof *n);
    if (!n) return -ENOMEM;
    as->shared = n;
    int fd = fcntl(host_fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return -errno;
    as->shared[as->nshared++] = (struct shared_file_map){ start, start + len, off, fd };
    return 0;
}

static int64_t sys_mmap(struct syscall *sc)
{
    struct task *t = sc->t;
    struct addr_space *as = t->as;
    uint64_t addr = sc->a[0], len = sc->a[1], off = sc->a[5];
    int prot = (int)sc->a[2], flags = (int)sc->a[3], fd = (int)sc->a[4];
    int type = flags & MAP_SHARED_VALIDATE;
    /* Linux's order: offset, descriptor, length, placement, then the mapping's type. */
    if (!page_aligned(off)) return -EINVAL;
    if (!(flags & MAP_ANONYMOUS) && !fd_get(t, fd)) return -EBADF;
    if (len == 0) return -EINVAL;
    if (!page_up(len, &len) || len > TASK_SIZE_64) return -ENOMEM;
    /* Unknown protection bits are ignored, as by Linux. */
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (!user_range(addr, len)) return -ENOMEM;
        if (!page_aligned(addr)) return -EINVAL;
    }
    if (type != MAP_PRIVATE && type != MAP_SHARED && (type != MAP_SHARED_VALIDATE || (flags & MAP_ANONYMOUS)))
        return -EINVAL;

    struct open_file *f = NULL;
    struct stat st = { 0 };
    char path[PATH_MAX] = "";
    bool dev_zero = false;
    if (!(flags & MAP_ANONYMOUS)) {
        f = fd_get(t, fd);
        if (!f) return -EBADF;
        if (fstat(f->host_fd, &st) != 0) return -errno;
        /* /dev/zero (1:5): private is anonymous memory still naming the file, shared is
         * shared anonymous memory (mmap_zero, shmem_zero_setup). */
        dev_zero = S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 5;
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) && !dev_zero) return -ENODEV;
        int acc = fcntl(f->host_fd, F_GETFL) & O_ACCMODE;
        if (acc == O_WRONLY) return -EACCES;
        if (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR) return -EACCES;
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", f->host_fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        path[n > 0 ? n : 0] = 0;
    }

    uint64_t at;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (addr < MMAP_MIN_ADDR) return -EPERM;
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && !as_range_free(as, addr, len)) return -EEXIST;
        at = addr;
    } else {
        uint64_t hint = PAGE_DOWN(addr);
        if (hint >= MMAP_MIN_ADDR && user_range(hint, len) && as_range_free(as, hint, len))
            at = hint;
        else if (!(at = as_find_free(as, len, as->mmap_base)))
            return -ENOMEM;
    }
    /* MAP_SHARED_VALIDATE refuses flags it does not know (LEGACY_MAP_MASK). */
    const int known = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |
                      0x4000000 /* MAP_UNINITIALIZED */ | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |
                      MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_FIXED_NOREPLACE;
    if (f && type == MAP_SHARED_VALIDATE && (flags & ~known)) return -EOPNOTSUPP;
    int vflags = (type == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED) | (flags & MAP_ANONYMOUS);
    if (f && type != MAP_PRIVATE && (fcntl(f->host_fd, F_GETFL) & O_ACCMODE) != O_RDWR) vflags |= VMA_NOMAYWRITE;
    int rc = limits_may_map(t, at, len, prot, vflags | (flags & MAP_GROWSDOWN));   /* RLIMIT_AS, RLIMIT_DATA */
    if (rc) return rc;
    forget_shared(as, at, at + len);
    if (type != MAP_PRIVATE) {
        /* Shared memory: an object that a fork's engine maps too. Shared anonymous
         * memory is a deleted /dev/zero file to /proc/self/maps, as on Linux. */
        struct shm_obj *obj = shm_obj_new(len);
        if (!obj) return -ENOMEM;
        if (dev_zero) { vflags |= MAP_ANONYMOUS; f = NULL; }
        if (f) rc = as_map_obj(as, at, len, prot, vflags, path, off, st.st_dev, st.st_ino, obj, 0);
        else rc = as_map_obj(as, at, len, prot, vflags, "/dev/zero (deleted)", 0, SHMEM_DEV, obj->ino, obj, 0);
        shm_obj_put(obj);
    } else {
        /* Anonymous PROT_NONE memory (private /dev/zero too) is a reservation: no
         * engine memory until opened. */
        int unbacked = (!f || dev_zero) && !prot ? VMA_UNBACKED : 0;
        rc = as_map(as, at, len, prot, vflags | unbacked, f ? path : NULL, f ? off : 0, f ? st.st_dev : 0, f ? st.st_ino : 0);
    }
    if (rc) return rc;
    if (dev_zero) f = NULL;   /* nothing to read, write back or refuse past an end */
    if (f && (rc = fill_from_file(as, f->host_fd, at, len, off))) { as_unmap(as, at, len); return rc; }
    if (f && type != MAP_PRIVATE && (rc = remember_shared(as, at, len, off, f->host_fd))) { as_unmap(as, at, len); return rc; }
    explain_map_event(t, "mmap", at, at + len);
    if ((flags & MAP_LOCKED) || as->lock_future) as_set_flag(as, at, len, VMA_LOCKED, true);
    if (f && S_ISREG(st.st_mode)) {
        /* Whole pages past the end of the file: an access there is SIGBUS on Linux. */
        uint64_t in_file = (uint64_t)st.st_size > off ? PAGE_UP((uint64_t)st.st_size - off) : 0;
        if (in_file < len) as_block_access(as, at + in_file, len - in_file);
    }
    return at;
}

static int64_t sys_munmap(struct syscall *sc)
{
    uint64_t addr = sc->a[0], len = sc->a[1];
    if (!page_aligned(addr) || !user_range(addr, len)) return -EINVAL;
    len = PAGE_UP(len);   /* no wrap: len <= TASK_SIZE_64 */
    if (len == 0) return -EINVAL;
    explain_check_taken(sc->t, "unmaps", addr, addr + len);
    explain_map_event(sc->t, "munmap", addr, addr + len);
    forget_shared(sc->t->as, addr, addr + len);
    return as_unmap(sc->t->as, addr, len);
}

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

static int64_t sys_mprotect(struct syscall *sc)
{
    struct addr_space *as = sc->t->as;
    uint64_t addr = sc->a[0], len;
    int prot = (int)sc->a[2], grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
    prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
    /* Linux's order of checks (do_mprotect_pkey). */
    if (grows == (PROT_GROWSDOWN | PROT_GROWSUP)) return -EINVAL;
    if (!page_aligned(addr)) return -EINVAL;
    if (sc->a[1] == 0) return 0;
    if (!page_up(sc->a[1], &len) || len == 0 || len > UINT64_MAX - addr) return -ENOMEM;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) return -EINVAL;
    if (!user_range(addr, len)) return -ENOMEM;
    const struct vma *v = as_find(as, addr);
    if (!v) return -ENOMEM;
    /* x86-64 has no grows-up mappings; grows-down extends to the mapping's start. */
    if (grows & PROT_GROWSUP) return -EINVAL;
    if (grows & PROT_GROWSDOWN) {
        if (!(v->flags & MAP_GROWSDOWN)) return -EINVAL;
        len += addr - v->start;
        addr = v->start;
    }
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
    if (prot & PROT_WRITE)
        for (uint64_t a = addr; a < addr + len;) {
            const struct vma *w = as_find(as, a);
            if (!w) break;
            if (w->flags & VMA_NOMAYWRITE) return -EACCES;   /* shared, from a file not opened for writing */
            a = w->end;
        }
    if (!(prot & PROT_WRITE)) explain_check_taken(sc->t, "takes write access from", addr, addr + len);
    int rc = limits_may_protect(sc->t, addr, len, prot);   /* RLIMIT_DATA */
    if (rc) return rc;
    rc = as_protect(as, addr, len, prot);
    if (!rc) explain_map_event(sc->t, "mprotect", addr, addr + len);
    return rc;
}

/* Maps [at, at+len) of a moved or grown shared mapping: the object's pages from obj_off
 * on (as_map_obj refuses access past the object's end, SIGBUS on Linux). */
static int map_obj_part(struct addr_space *as, uint64_t at, uint64_t len, const struct vma *keep, uint64_t obj_off)
{
    uint64_t off = keep->ino ? keep->offset + (obj_off - keep->obj_off) : 0;
    return as_map_obj(as, at, len, keep->prot, keep->flags, keep->name, off, keep->dev, keep->ino, keep->obj, obj_off);
}

/* The host descriptor a shared file mapping at addr writes back through, or -1. */
static int shared_fd_at(struct addr_space *as, uint64_t addr)
{
    for (size_t i = 0; i < as->nshared; i++)
        if (as->shared[i].start <= addr && addr < as->shared[i].end) return as->shared[i].host_fd;
    return -1;
}

/* A shared file mapping grown past its object's end (its file may have grown since the
 * mmap): [old, old+old_len) becomes one new object of new_len at dest, its pages
 * copied, the rest read from the file (pages past the file's end refuse access,
 * SIGBUS), written back from there on. A fork that shared the old object no longer
 * shares these pages. */
static int regrow_shared_file(struct addr_space *as, const struct vma *keep, uint64_t old, uint64_t old_len,
                              uint64_t new_len, uint64_t dest, int host_fd)
{
    uint64_t obj_off = keep->obj_off + (old - keep->start), foff = keep->offset + (old - keep->start);
    uint64_t in = obj_off < keep->obj->size ? keep->obj->size - obj_off : 0;
    if (in > old_len) in = old_len;
    mm_writeback(as, old, old + old_len);
    struct shm_obj *o = shm_obj_new(new_len);
    if (!o) return -ENOMEM;
    memcpy(o->mem, keep->obj->mem + obj_off, in);
    for (uint64_t got = in; got < new_len;) {
        ssize_t k = pread(host_fd, o->mem + got, new_len - got, (off_t)(foff + got));
        if (k <= 0) break;
        got += (uint64_t)k;
    }
    int fd = fcntl(host_fd, F_DUPFD_CLOEXEC, 3);
    char *name = keep->name ? strdup(keep->name) : NULL;
    struct vma k = *keep;
    forget_shared(as, old, old + old_len);
    as_unmap(as, old, old_len);
    int rc = as_map_obj(as, dest, new_len, k.prot, k.flags, name, foff, k.dev, k.ino, o, 0);
    shm_obj_put(o);
    struct stat st;
    if (!rc && fd >= 0 && fstat(fd, &st) == 0) {
        uint64_t in_file = (uint64_t)st.st_size > foff ? PAGE_UP((uint64_t)st.st_size - foff) : 0;
        if (in_file < new_len) as_block_access(as, dest + in_file, new_len - in_file);
        rc = remember_shared(as, dest, new_len, foff, fd);
    }
    if (fd >= 0) close(fd);
    free(name);
    return rc;
}

static int64_t sys_mremap(struct syscall *sc)
{
    struct addr_space *as = sc->t->as;
    uint64_t old = sc->a[0], old_len, new_len, dest = sc->a[4];
    int flags = (int)sc->a[3];
    /* Linux's order: flags, alignment, lengths, the destination, then the mapping. */
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
    if (!page_aligned(old)) return -EINVAL;
    if (!page_up(sc->a[1], &old_len) || !page_up(sc->a[2], &new_len) || new_len == 0) return -EINVAL;
    if (old_len > TASK_SIZE_64 || new_len > TASK_SIZE_64) return -EINVAL;
    if (flags & MREMAP_FIXED) {
        if (!user_range(dest, new_len) || !page_aligned(dest)) return -EINVAL;
        if (old < TASK_SIZE_64 && dest < old + old_len && old < dest + new_len) return -EINVAL;
    }
    const struct vma *v = as_find(as, old);
    /* The whole old range must lie in one mapping (as_find is NULL past user space). */
    if (!v) return -EFAULT;
    /* A zero old length duplicates a shared mapping on Linux (not done here); for a
     * private one it is EINVAL there too. */
    if (old_len == 0) return -EINVAL;
    if (old_len > v->end - old) return -EFAULT;
    explain_check_taken(sc->t, "moves or shrinks", old, old + old_len);
    explain_map_event(sc->t, "mremap", old, old + old_len);
    struct vma keep = *v;
    /* Growing asks RLIMIT_AS and RLIMIT_DATA (vma_to_resize). */
    if (new_len > old_len) {
        int rc = limits_may_map(sc->t, 0, new_len - old_len, keep.prot, keep.flags);
        if (rc) return rc;
    }
    if (!(flags & MREMAP_FIXED)) {
        if (new_len <= old_len) {
            if (new_len < old_len) as_unmap(as, old + new_len, old_len - new_len);
            return old;
        }
        if (user_range(old, new_len) && as_range_free(as, old + old_len, new_len - old_len)) {
            int fd = keep.obj && keep.ino && !keep.obj->owner ? shared_fd_at(as, old) : -1;
            if (fd >= 0 && keep.obj_off + (old - keep.start) + new_len > keep.obj->size) {
                int rc = regrow_shared_file(as, &keep, old, old_len, new_len, old, fd);
                return rc ? rc : (int64_t)old;
            }
            if (keep.obj) {
                int rc = map_obj_part(as, old + old_len, new_len - old_len, &keep, keep.obj_off + (old + old_len - keep.start));
                return rc ? rc : (int64_t)old;
            }
            int rc = as_map(as, old + old_len, new_len - old_len, keep.prot, keep.flags, keep.name,
                            keep.ino ? keep.offset + (old + old_len - keep.start) : 0, keep.dev, keep.ino);
            return rc ? rc : (int64_t)old;
        }
        if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
        if (!(dest = as_find_free(as, new_len, as->mmap_base))) return -ENOMEM;
    }
    int sfd = keep.obj && keep.ino && !keep.obj->owner ? shared_fd_at(as, old) : -1;
    if (sfd >= 0 && keep.obj_off + (old - keep.start) + new_len > keep.obj->size) {
        int rc = regrow_shared_file(as, &keep, old, old_len, new_len, dest, sfd);
        return rc ? rc : (int64_t)dest;
    }
    if (keep.obj) {
        /* The pages move without copying: the destination maps the same object; a file
         * mapping keeps writing back to its file from there. */
        struct shm_obj *obj = keep.obj;
        shm_obj_get(obj);
        char *name = keep.name ? strdup(keep.name) : NULL;
        keep.name = name;
        int fd = sfd >= 0 ? fcntl(sfd, F_DUPFD_CLOEXEC, 3) : -1;
        int rc = map_obj_part(as, dest, new_len, &keep, keep.obj_off + (old - keep.start));
        if (!rc) {
            forget_shared(as, old, old + old_len);
            as_unmap(as, old, old_len);
            if (fd >= 0) rc = remember_shared(as, dest, new_len, keep.offset + (old - keep.start), fd);
        }
        if (fd >= 0) close(fd);
        free(name);
        shm_obj_put(obj);
        return rc ? rc : (int64_t)dest;
    }
    uint64_t copy = old_len < new_len ? old_len : new_len;
    if (keep.flags & VMA_UNBACKED) copy = 0;   /* a reservation holds nothing to move */
    char *buf = malloc(copy ? copy : 1);
    if (!buf) return -ENOMEM;
    if (copy) guest_peek(as, old, buf, copy);
    char *name = keep.name ? strdup(keep.name) : NULL;
    int rc = as_map(as, dest, new_len, keep.prot, keep.flags, name,
                    keep.ino ? keep.offset + (old - keep.start) : 0, keep.dev, keep.ino);
    free(name);
    if (!rc) {
        if (copy) guest_poke(as, dest, buf, copy);
        as_unmap(as, old, old_len);
    }
    free(buf);
    return rc ? rc : (int64_t)dest;
}

/* remap_file_pages: deprecated, and emulated by Linux since 4.0 as a new mmap of the
 * mapping's file at another offset (mm/mmap.c). Here: the shared object mapped again
 * at pgoff. A SysV segment removed meanwhile is gone once the old pages are unmapped
 * (its last detach), and the call fails with EIDRM, the range left unmapped, as on
 * Linux. */
static int64_t sys_remap_file_pages(struct syscall *sc)
{
    struct addr_space *as = sc->t->as;
    uint64_t start = PAGE_DOWN(sc->a[0]), size = PAGE_DOWN(sc->a[1]), pgoff = sc->a[3];
    if (sc->a[2] || (sc->a[4] & ~(uint64_t)MAP_NONBLOCK)) return -EINVAL;
    if (start + size <= start) return -EINVAL;
    if (pgoff > (UINT64_MAX >> 12) - (size >> 12)) return -EINVAL;
    const struct vma *v = as_find(as, start);
    if (!v || !(v->flags & MAP_SHARED) || !v->obj || start + size > v->end) return -EINVAL;
    struct vma keep = *v;
    struct shm_obj *obj = v->obj;
    /* Where pgoff lies in the object: a file mapping's object starts at its file offset. */
    uint64_t base = keep.ino && !obj->owner ? keep.offset - keep.obj_off : 0;
    if (pgoff * PAGE_SIZE < base) return -EINVAL;
    uint64_t off = pgoff * PAGE_SIZE - base;
    char *name = keep.name ? strdup(keep.name) : NULL;
    shm_obj_get(obj);
    as_unmap(as, start, size);
    int rc = ipc_shm_usable(obj);
    if (!rc) rc = as_map_obj(as, start, size, keep.prot, keep.flags, name, keep.ino ? base + off : 0, keep.dev, keep.ino, obj, off);
    free(name);
    shm_obj_put(obj);
    return rc;
}

/* [start, end) of the private mapping v back to what an untouched mapping holds: zero
 * pages, or the file's contents read again (zero past its end). The file is found by
 * its path and must still be the same inode; otherwise the pages read as zero. */
static void drop_private(struct addr_space *as, const struct vma *v, uint64_t start, uint64_t end)
{
    enum { CHUNK = 1 << 20 };
    char *buf = calloc(1, CHUNK);
    if (!buf) return;
    int hfd = -1;
    if (!(v->flags & MAP_ANONYMOUS) && v->name && v->ino) {
        struct stat st;
        hfd = open(v->name, O_RDONLY | O_CLOEXEC);
        if (hfd >= 0 && (fstat(hfd, &st) != 0 || st.st_ino != v->ino || st.st_dev != v->dev)) { close(hfd); hfd = -1; }
    }
    uint64_t off = v->offset + (start - v->start);
    for (uint64_t a = start; a < end; a += CHUNK, off += CHUNK) {
        size_t n = end - a < CHUNK ? end - a : CHUNK;
        if (hfd < 0) {
            /* Pages already zero are left alone: writing them would make them resident. */
            bool zero = guest_peek(as, a, buf, n) == 0;
            for (size_t i = 0; zero && i < n; i += 8) zero = !*(uint64_t *)(buf + i);
            if (zero) continue;
        }
        memset(buf, 0, n);
        if (hfd >= 0) {
            for (size_t got = 0; got < n;) {
                ssize_t k = pread(hfd, buf + got, n - got, (off_t)(off + got));
                if (k <= 0) break;
                got += (size_t)k;
            }
        }
        guest_poke(as, a, buf, n);
    }
    if (hfd >= 0) close(hfd);
    free(buf);
}

/* The advice values this kernel knows (madvise_behavior_valid); others are EINVAL. */
static bool advice_valid(int advice)
{
    return (advice >= MADV_NORMAL && advice <= MADV_DONTNEED) || (advice >= 8 && advice <= 25) ||
           advice == 102 || advice == 103;   /* MADV_GUARD_INSTALL, MADV_GUARD_REMOVE */
}

static int64_t sys_madvise(struct syscall *sc)
{
    struct addr_space *as = sc->t->as;
    uint64_t addr = sc->a[0], len;
    int advice = (int)sc->a[2];
    if (!advice_valid(advice) || !page_aligned(addr)) return -EINVAL;
    if (!page_up(sc->a[1], &len) || (sc->a[1] && !len) || len > UINT64_MAX - addr) return -EINVAL;
    if (len == 0) return 0;
    if (!user_range(addr, len) || !as_range_mapped(as, addr, addr + len)) return -ENOMEM;
    if (advice == MADV_DONTNEED || advice == MADV_FREE || advice == MADV_REMOVE)
        for (uint64_t a = addr; a < addr + len;) {
            const struct vma *v = as_find(as, a);
            if (v->flags & VMA_LOCKED) return -EINVAL;   /* locked pages stay */
            a = v->end;
        }
    if (advice == MADV_WIPEONFORK || advice == MADV_KEEPONFORK) {
        /* Only private anonymous memory can be wiped in a fork's copy. */
        for (uint64_t a = addr; a < addr + len;) {
            const struct vma *v = as_find(as, a);
            if (advice == MADV_WIPEONFORK && (!(v->flags & MAP_ANONYMOUS) || (v->flags & MAP_SHARED))) return -EINVAL;
            a = v->end;
        }
        return as_set_flag(as, addr, len, VMA_WIPEONFORK, advice == MADV_WIPEONFORK);
    }
    if (advice == MADV_DONTFORK || advice == MADV_DOFORK) return as_set_flag(as, addr, len, VMA_DONTFORK, advice == MADV_DONTFORK);
    if (advice == MADV_FREE) {
        /* Only private anonymous memory can be freed lazily (madvise_free_single_vma). */
        for (uint64_t a = addr; a < addr + len;) {
            const struct vma *v = as_find(as, a);
            if (!(v->flags & MAP_ANONYMOUS) || (v->flags & MAP_SHARED)) return -EINVAL;
            a = v->end;
        }
    }
    if (advice == MADV_DONTNEED || advice == MADV_FREE) {
        /* Private memory loses its changes: anonymous pages read as zero afterwards,
         * those of a file mapping as the file holds them now. */
        for (uint64_t a = addr; a < addr + len;) {
            const struct vma *v = as_find(as, a);
            uint64_t end = v->end < addr + len ? v->end : addr + len;
            if (!(v->flags & (MAP_SHARED | VMA_UNBACKED))) drop_private(as, v, a, end);
            a = end;
        }
    }
    return 0;
}

static int64_t sys_msync(struct syscall *sc)
{
    uint64_t addr = sc->a[0], len = sc->a[1];
    int flags = (int)sc->a[2];
    if (sc->a[2] & ~(uint64_t)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) return -EINVAL;
    if (!page_aligned(addr) || ((flags & MS_ASYNC) && (flags & MS_SYNC))) return -EINVAL;
    /* Linux rounds with wrap-around: a length within a page of 2^64 becomes 0. */
    len = PAGE_UP(len);
    if (len > UINT64_MAX - addr) return -ENOMEM;
    if (len == 0) return 0;
    if (!user_range(addr, len) || !as_range_mapped(sc->t->as, addr, addr + len)) return -ENOMEM;
    if (flags & MS_INVALIDATE)
        for (uint64_t a = addr; a < addr + len;) {
            const struct vma *v = as_find(sc->t->as, a);
            if (v->flags & VMA_LOCKED) return -EBUSY;   /* locked pages cannot be dropped */
            a = v->end;
        }
    mm_writeback(sc->t->as, addr, addr + len);
    return 0;
}

static int64_t sys_mincore(struct syscall *sc)
{
    struct addr_space *as = sc->t->as;
    uint64_t addr = sc->a[0], len = sc->a[1];
    if (!page_aligned(addr)) return -EINVAL;
    if (!user_range(addr, len)) return -ENOMEM;
    len = PAGE_UP(len);
    if (len == 0) return 0;
    if (!as_range_mapped(as, addr, addr + len)) return -ENOMEM;
    /* Resident: locked pages, file pages (the page cache has them), and anonymous
     * pages that hold something; never-touched (zero) anonymous pages and unopened
     * reservations are not. The vector goes out a page of entries at a time. */
    static unsigned char vec[PAGE_SIZE];
    static uint64_t page[PAGE_SIZE / 8];
    for (uint64_t i = 0, n = len / PAGE_SIZE; i < n; i += PAGE_SIZE) {
        uint64_t k = n - i < PAGE_SIZE ? n - i : PAGE_SIZE;
        for (uint64_t j = 0; j < k; j++) {
            uint64_t a = addr + (i + j) * PAGE_SIZE;
            const struct vma *v = as_find(as, a);
            bool in = false;
            if (v->flags & VMA_LOCKED) in = true;
            else if (v->flags & VMA_UNBACKED) in = false;
            else if (v->ino && !(v->flags & MAP_ANONYMOUS) && !v->obj) in = true;
            else if (guest_peek(as, a, page, PAGE_SIZE) == 0)
                for (size_t w = 0; w < PAGE_SIZE / 8 && !in; w++) in = page[w] != 0;
            else in = v->ino != 0;
            vec[j] = in;
        }
        if (guest_write(as, sc->a[2] + i, vec, k)) return -EFAULT;
    }
    return 0;
}

/* mlock and friends: memory is never swapped here, so a lock is the mapping's
 * VMA_LOCKED (mincore, VmLck, msync's EBUSY, madvise's EINVAL) and RLIMIT_MEMLOCK. */
static int64_t lock_range(struct task *t, uint64_t addr, uint64_t len, bool lock)
{
    struct addr_space *as = t->as;
    if (lock && !limits_can_mlock(t)) return -EPERM;
    len += addr & (PAGE_SIZE - 1);   /* the kernel rounds start down and length up */
    addr = PAGE_DOWN(addr);
    if (!page_up(len, &len) || len > UINT64_MAX - addr) return -EINVAL;
    if (len == 0) return 0;
    if (lock) {
        int rc = limits_may_mlock(t, addr, len);
        if (rc) return rc;
    }
    if (!user_range(addr, len) || !as_range_mapped(as, addr, addr + len)) return -ENOMEM;
    return as_set_flag(as, addr, len, VMA_LOCKED, lock);
}

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static int64_t sys_mlock(struct syscall *sc) { return lock_range(sc->t, sc->a[0], sc->a[1], true); }
static int64_t sys_munlock(struct syscall *sc) { return lock_range(sc->t, sc->a[0], sc->a[1], false); }

static int64_t sys_mlock2(struct syscall *sc)
{
    if (sc->a[2] & ~(uint64_t)MLOCK_ONFAULT) return -EINVAL;
    return lock_range(sc->t, sc->a[0], sc->a[1], true);
}

static int64_t sys_mlockall(struct syscall *sc)
{
    uint64_t f = sc->a[0];
    if (!f || (f & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || f == MCL_ONFAULT) return -EINVAL;
    if (!limits_can_mlock(sc->t)) return -EPERM;
    struct addr_space *as = sc->t->as;
    if (f & MCL_CURRENT) {
        int rc = limits_may_mlock(sc->t, 0, 0);
        if (rc) return rc;
        for (size_t i = 0; i < as->nvmas; i++) as->vmas[i].flags |= VMA_LOCKED;
        as_set_flag(as, MMAP_MIN_ADDR, TASK_SIZE_64 - MMAP_MIN_ADDR, 0, true);   /* merge */
    }
    as->lock_future = f & MCL_FUTURE;
    return 0;
}

static int64_t sys_munlockall(struct syscall *sc)
{
    struct addr_space *as = sc->t->as;
    as->lock_future = false;
    return as_set_flag(as, MMAP_MIN_ADDR, TASK_SIZE_64 - MMAP_MIN_ADDR, VMA_LOCKED, false);
}

/* ---- how arguments print ---- */

static const struct flag_name prot_names[] = {
    { PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" },
    { PROT_GROWSDOWN, "PROT_GROWSDOWN" }, { PROT_GROWSUP, "PROT_GROWSUP" }, { 0, NULL },
};
static void fmt_prot(struct strbuf *sb, struct syscall *sc, int i) { sb_flags(sb, sc->a[i], prot_names, "PROT_NONE"); }

static const struct flag_name map_names[] = {
    { MAP_FIXED, "MAP_FIXED" }, { MAP_ANONYMOUS, "MAP_ANONYMOUS" }, { MAP_32BIT, "MAP_32BIT" },
    { MAP_GROWSDOWN, "MAP_GROWSDOWN" }, { MAP_DENYWRITE, "MAP_DENYWRITE" }, { MAP_EXECUTABLE, "MAP_EXECUTABLE" },
    { MAP_LOCKED, "MAP_LOCKED" }, { MAP_NORESERVE, "MAP_NORESERVE" }, { MAP_POPULATE, "MAP_POPULATE" },
    { MAP_NONBLOCK, "MAP_NONBLOCK" }, { MAP_STACK, "MAP_STACK" }, { MAP_HUGETLB, "MAP_HUGETLB" },
    { MAP_SYNC, "MAP_SYNC" }, { MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" }, { 0, NULL },
};
static void fmt_map_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const char *const type[] = { "0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE" };
    uint64_t v = sc->a[i];
    sb_puts(sb, type[v & 3]);
    if (v & ~3ULL) { sb_putc(sb, '|'); sb_flags(sb, v & ~3ULL, map_names, NULL); }
}

static void fmt_mremap_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = { { MREMAP_MAYMOVE, "MREMAP_MAYMOVE" }, { MREMAP_FIXED, "MREMAP_FIXED" },
        { MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], m, "0");
}

/* mremap's fifth argument exists only with MREMAP_FIXED. */
static void fmt_mremap_dest(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->a[3] & MREMAP_FIXED) fmt_ptr(sb, sc, i);
}

static void fmt_advice(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = { { MADV_NORMAL, "MADV_NORMAL" }, { MADV_RANDOM, "MADV_RANDOM" },
        { MADV_SEQUENTIAL, "MADV_SEQUENTIAL" }, { MADV_WILLNEED, "MADV_WILLNEED" }, { MADV_DONTNEED, "MADV_DONTNEED" },
        { MADV_FREE, "MADV_FREE" }, { MADV_REMOVE, "MADV_REMOVE" }, { MADV_DONTFORK, "MADV_DONTFORK" },
        { MADV_DOFORK, "MADV_DOFORK" }, { MADV_HUGEPAGE, "MADV_HUGEPAGE" }, { MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE" },
        { MADV_DONTDUMP, "MADV_DONTDUMP" }, { MADV_DODUMP, "MADV_DODUMP" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], m, "%#llx");
}

static void fmt_msync_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = { { MS_ASYNC, "MS_ASYNC" }, { MS_INVALIDATE, "MS_INVALIDATE" }, { MS_SYNC, "MS_SYNC" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], m, "0");
}

const struct syscall_def mm_syscalls[] = {
    { SYS_brk, "brk", sys_brk, 1, { IN(fmt_ptr) }, ret_hex },
    { SYS_mmap, "mmap", sys_mmap, 6, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_prot), IN(fmt_map_flags), IN(fmt_int), IN(fmt_hex) }, ret_hex },
    { SYS_munmap, "munmap", sys_munmap, 2, { IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_mprotect, "mprotect", sys_mprotect, 3, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_prot) }, NULL },
    { SYS_mremap, "mremap", sys_mremap, 5, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_uint), IN(fmt_mremap_flags), IN(fmt_mremap_dest) }, ret_hex },
    { SYS_remap_file_pages, "remap_file_pages", sys_remap_file_pages, 5, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_prot), IN(fmt_uint), IN(fmt_map_flags) }, NULL },
    { SYS_madvise, "madvise", sys_madvise, 3, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_advice) }, NULL },
    { SYS_msync, "msync", sys_msync, 3, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_msync_flags) }, NULL },
    { SYS_mincore, "mincore", sys_mincore, 3, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_ptr) }, NULL },
    { SYS_mlock, "mlock", sys_mlock, 2, { IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_munlock, "munlock", sys_munlock, 2, { IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_mlock2, "mlock2", sys_mlock2, 3, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex) }, NULL },
    { SYS_mlockall, "mlockall", sys_mlockall, 1, { IN(fmt_hex) }, NULL },
    { SYS_munlockall, "munlockall", sys_munlockall, 0, { { 0 } }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
