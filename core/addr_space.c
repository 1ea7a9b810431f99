#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/det.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

/* On x86-64 any mapping that can be written or executed can also be read. */
static uint32_t uc_prot_of(int prot)
{
    uint32_t p = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
    if (p & (PROT_WRITE | PROT_EXEC)) p |= PROT_READ;
    return p;
}

bool as_aslr;

static uint64_t next_shm_ino = 1000;   /* deterministic inode numbers for /proc/self/maps */

struct shm_obj *shm_obj_new(uint64_t size)
{
    if (!size || size & (PAGE_SIZE - 1)) return NULL;
    struct shm_obj *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) { free(o); return NULL; }
    o->mem = m;
    o->size = size;
    o->refs = 1;
    o->ino = next_shm_ino++;
    return o;
}

void shm_obj_get(struct shm_obj *obj) { obj->refs++; }

void shm_obj_put(struct shm_obj *obj)
{
    if (!obj) return;
    if (--obj->refs == 0) {
        munmap(obj->mem, obj->size);
        free(obj);
    } else if (obj->refs == 1 && obj->owner && obj->last_map) {
        obj->last_map(obj);
    }
}

/* Maps [start, start+len) of the engine to obj's memory from obj_off on. Pages past the
 * object's end (a shared mapping grown by mremap) get no access: SIGBUS on Linux. */
static uc_err map_engine(struct addr_space *as, uint64_t start, uint64_t len, uint32_t prot, struct shm_obj *obj, uint64_t obj_off)
{
    if (!obj) return uc_mem_map(as->uc, start, len, prot);
    uint64_t in = obj_off < obj->size ? obj->size - obj_off : 0;
    if (in > len) in = len;
    uc_err e = UC_ERR_OK;
    if (in) e = uc_mem_map_ptr(as->uc, start, in, prot, obj->mem + obj_off);
    if (e == UC_ERR_OK && in < len) {
        e = uc_mem_map(as->uc, start + in, len - in, UC_PROT_NONE);
        if (e != UC_ERR_OK && in) uc_mem_unmap(as->uc, start, in);
    }
    return e;
}

static struct addr_space *last_entered;

void as_enter(struct addr_space *as)
{
    if (as == last_entered) return;
    last_entered = as;
    for (size_t i = 0; i < as->nvmas; i++)
        if (as->vmas[i].obj && (as->vmas[i].prot & PROT_EXEC))
            cpu_flush_code(as, as->vmas[i].start, as->vmas[i].end);
}

struct addr_space *as_create(void)
{
    struct addr_space *as = calloc(1, sizeof *as);
    if (!as) return NULL;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &as->uc) != UC_ERR_OK) { free(as); return NULL; }
    as->refs = 1;
    as->mmap_base = MMAP_BASE;
    as->stack_limit = STACK_RLIMIT;
    as->vm_limit = UINT64_MAX;
    as->stack_top = STACK_TOP;
    if (as_aslr) {
        /* Linux x86-64's ranges: the stack top moves down by up to 16 GiB, the mmap base
         * lies below the stack's room (rlimit, guard gap, its random range) by up to
         * 2^28 pages more, brk starts up to 32 MiB further (mm/util.c, arch/x86/mm). */
        uint64_t stack_rnd = (det_layout_random() % 0x400000ULL) << 12;
        uint64_t mmap_rnd = (det_layout_random() % (1ULL << 28)) << 12;
        as->stack_top = STACK_TOP - stack_rnd;
        uint64_t gap = (8ULL << 20) + (256 * PAGE_SIZE) + (0x400000ULL << 12);
        as->mmap_base = PAGE_DOWN(TASK_SIZE_64 - gap - mmap_rnd);
        as->brk_random = (det_layout_random() % 0x2000ULL) << 12;
    }
    if (cpu_init(as) != 0) { uc_close(as->uc); free(as); return NULL; }
    return as;
}

void as_put(struct addr_space *as)
{
    if (!as || --as->refs > 0) return;
    if (last_entered == as) last_entered = NULL;
    cpu_fini(as);
    uc_close(as->uc);
    /* After uc_close: the engine no longer points into the objects' memory. */
    for (size_t i = 0; i < as->nvmas; i++) { free(as->vmas[i].name); shm_obj_put(as->vmas[i].obj); }
    free(as->vmas);
    for (size_t i = 0; i < as->nshared; i++) close(as->shared[i].host_fd);
    free(as->shared);
    free(as);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8)
        if (*(const uint64_t *)(p + i)) return false;
    return true;
}

struct addr_space *as_clone(struct addr_space *src)
{
    struct addr_space *as = as_create();
    if (!as) return NULL;
    as->brk_start = src->brk_start;
    as->brk_cur = src->brk_cur;
    as->mmap_base = src->mmap_base;
    as->stack_top = src->stack_top;
    memcpy(as->saved_auxv, src->saved_auxv, sizeof as->saved_auxv);
    as->saved_auxv_words = src->saved_auxv_words;
    as->env_start = src->env_start;
    as->env_end = src->env_end;
    as->brk_random = src->brk_random;
    as->stack_limit = src->stack_limit;
    as->vm_limit = src->vm_limit;
    as->vmas = calloc(src->nvmas ? src->nvmas : 1, sizeof *as->vmas);
    if (!as->vmas) goto fail;
    as->cap = src->nvmas ? src->nvmas : 1;
    enum { CHUNK = 64 * 1024 };
    uint8_t *buf = malloc(CHUNK);
    if (!buf) goto fail;
    for (size_t i = 0; i < src->nvmas; i++) {
        const struct vma *v = &src->vmas[i];
        if (v->flags & VMA_DONTFORK) continue;   /* MADV_DONTFORK: not in the child */
        if (v->obj) {
            /* Shared memory stays shared: the child's engine maps the same pages. */
            if (map_engine(as, v->start, v->end - v->start, uc_prot_of(v->prot), v->obj, v->obj_off) != UC_ERR_OK) { free(buf); goto fail; }
            struct vma *c = &as->vmas[as->nvmas++];
            *c = *v;
            c->name = v->name ? strdup(v->name) : NULL;
            c->flags &= ~VMA_LOCKED;   /* locks are not inherited */
            shm_obj_get(v->obj);
            /* Pages the parent's engine refuses (past the end of a file) stay refused. */
            uc_mem_region *regs; uint32_t nr;
            if (uc_mem_regions(src->uc, &regs, &nr) == UC_ERR_OK) {
                for (uint32_t r = 0; r < nr; r++)
                    if (regs[r].begin >= v->start && regs[r].end < v->end && regs[r].perms == UC_PROT_NONE && v->prot)
                        uc_mem_protect(as->uc, regs[r].begin, regs[r].end + 1 - regs[r].begin, UC_PROT_NONE);
                uc_free(regs);
            }
            continue;
        }
        if (!(v->flags & VMA_UNBACKED) &&
            uc_mem_map(as->uc, v->start, v->end - v->start, uc_prot_of(v->prot)) != UC_ERR_OK) { free(buf); goto fail; }
        struct vma *c = &as->vmas[as->nvmas++];
        *c = *v;
        c->name = v->name ? strdup(v->name) : NULL;
        c->flags &= ~VMA_LOCKED;
        if (v->flags & (VMA_UNBACKED | VMA_WIPEONFORK)) continue;   /* nothing in it, or wiped */
        /* Pages never written read as zero in both engines: copy only the others, so
         * big reservations (thread stacks, malloc arenas) cost nothing. */
        for (uint64_t a = v->start; a < v->end; a += CHUNK) {
            size_t n = v->end - a < CHUNK ? v->end - a : CHUNK;
            if (uc_mem_read(src->uc, a, buf, n) != UC_ERR_OK) continue;
            if (!all_zero(buf, n)) uc_mem_write(as->uc, a, buf, n);
        }
    }
    free(buf);
    /* Writable shared file mappings: the child writes back through its own descriptor. */
    if (src->nshared) {
        as->shared = calloc(src->nshared, sizeof *as->shared);
        if (!as->shared) goto fail;
        for (size_t i = 0; i < src->nshared; i++) {
            as->shared[i] = src->shared[i];
            as->shared[i].host_fd = fcntl(src->shared[i].host_fd, F_DUPFD_CLOEXEC, 3);
            as->nshared++;
        }
    }
    return as;
fail:
    as_put(as);
    return NULL;
}

/* Index of the first vma whose end is above addr. */
static size_t first_above(const struct addr_space *as, uint64_t addr)
{
    size_t lo = 0, hi = as->nvmas;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (as->vmas[mid].end <= addr) lo = mid + 1; else hi = mid;
    }
    return lo;
}

const struct vma *as_find(const struct addr_space *as, uint64_t addr)
{
    size_t i = first_above(as, addr);
    if (i < as->nvmas && as->vmas[i].start <= addr) return &as->vmas[i];
    return NULL;
}

bool as_range_mapped(const struct addr_space *as, uint64_t start, uint64_t end)
{
    size_t i = first_above(as, start);
    uint64_t at = start;
    for (; i < as->nvmas && at < end; i++) {
        if (as->vmas[i].start > at) return false;
        at = as->vmas[i].end;
    }
    return at >= end;
}

bool as_range_free(struct addr_space *as, uint64_t start, uint64_t len)
{
    size_t i = first_above(as, start);
    return i >= as->nvmas || as->vmas[i].start >= start + len;
}

static int insert_at(struct addr_space *as, size_t i, const struct vma *v)
{
    if (as->nvmas == as->cap) {
        size_t cap = as->cap ? as->cap * 2 : 32;
        struct vma *n = realloc(as->vmas, cap * sizeof *n);
        if (!n) return -ENOMEM;
        as->vmas = n; as->cap = cap;
    }
    memmove(&as->vmas[i + 1], &as->vmas[i], (as->nvmas - i) * sizeof *v);
    as->vmas[i] = *v;
    as->nvmas++;
    return 0;
}

static void remove_at(struct addr_space *as, size_t i)
{
    free(as->vmas[i].name);
    shm_obj_put(as->vmas[i].obj);
    memmove(&as->vmas[i], &as->vmas[i + 1], (as->nvmas - i - 1) * sizeof as->vmas[0]);
    as->nvmas--;
}

/* Splits the vma containing addr so that a vma starts exactly at addr. */
static int split_at(struct addr_space *as, uint64_t addr)
{
    size_t i = first_above(as, addr);
    if (i >= as->nvmas || as->vmas[i].start >= addr) return 0;
    struct vma hi = as->vmas[i];
    hi.name = hi.name ? strdup(hi.name) : NULL;
    if (hi.offset || hi.ino) hi.offset += addr - hi.start;
    if (hi.obj) { hi.obj_off += addr - hi.start; shm_obj_get(hi.obj); }
    hi.start = addr;
    as->vmas[i].end = addr;
    int rc = insert_at(as, i + 1, &hi);
    if (rc) { free(hi.name); shm_obj_put(hi.obj); as->vmas[i].end = hi.end; }
    return rc;
}

static bool kind_alike(const struct vma *a, const struct vma *b, int ignore_flags)
{
    if (a->prot != b->prot || ((a->flags ^ b->flags) & ~ignore_flags) || a->ino != b->ino || a->dev != b->dev) return false;
    if ((a->name == NULL) != (b->name == NULL)) return false;
    if (a->name && strcmp(a->name, b->name) != 0) return false;
    if (a->ino && a->offset + (a->end - a->start) != b->offset) return false;
    if (a->obj != b->obj || (a->obj && a->obj_off + (a->end - a->start) != b->obj_off)) return false;
    return true;
}

static bool same_kind(const struct vma *a, const struct vma *b) { return kind_alike(a, b, 0); }

bool as_same_kind(const struct vma *a, const struct vma *b)
{
    return a->end == b->start && kind_alike(a, b, VMA_UNBACKED);
}

/* Linux merges neighbouring mappings of the same kind; /proc/self/maps shows the result. */
static void merge_around(struct addr_space *as, size_t i)
{
    if (i + 1 < as->nvmas && as->vmas[i].end == as->vmas[i + 1].start &&
        same_kind(&as->vmas[i], &as->vmas[i + 1])) {
        as->vmas[i].end = as->vmas[i + 1].end;
        remove_at(as, i + 1);
    }
    if (i > 0 && as->vmas[i - 1].end == as->vmas[i].start && same_kind(&as->vmas[i - 1], &as->vmas[i])) {
        as->vmas[i - 1].end = as->vmas[i].end;
        remove_at(as, i);
    }
}

int as_unmap(struct addr_space *as, uint64_t start, uint64_t len)
{
    uint64_t end = start + len;
    int rc;
    if ((rc = split_at(as, start)) || (rc = split_at(as, end))) return rc;
    size_t i = first_above(as, start);
    while (i < as->nvmas && as->vmas[i].start < end) {
        if (!(as->vmas[i].flags & VMA_UNBACKED))
            uc_mem_unmap(as->uc, as->vmas[i].start, as->vmas[i].end - as->vmas[i].start);
        if (as->vmas[i].prot & PROT_EXEC) cpu_flush_code(as, as->vmas[i].start, as->vmas[i].end);
        remove_at(as, i);
    }
    return 0;
}

int as_map_obj(struct addr_space *as, uint64_t start, uint64_t len, int prot, int flags,
               const char *name, uint64_t offset, uint64_t dev, uint64_t ino,
               struct shm_obj *obj, uint64_t obj_off)
{
    if (len == 0 || (start & (PAGE_SIZE - 1)) || (len & (PAGE_SIZE - 1))) return -EINVAL;
    if (start + len > TASK_SIZE_64 || start + len < start) return -ENOMEM;
    int rc = as_unmap(as, start, len);
    if (rc) return rc;
    if (prot || obj) flags &= ~VMA_UNBACKED;
    if (!(flags & VMA_UNBACKED) && map_engine(as, start, len, uc_prot_of(prot), obj, obj_off) != UC_ERR_OK) return -ENOMEM;
    /* Translations of code that an earlier mapping at this address held. */
    if (obj && (prot & PROT_EXEC)) cpu_flush_code(as, start, start + len);
    if (ino && (prot & PROT_WRITE) && !(flags & (MAP_SHARED | MAP_ANONYMOUS))) flags |= VMA_ACCOUNT;
    struct vma v = { start, start + len, prot, flags, offset, dev, ino, name ? strdup(name) : NULL, obj, obj_off };
    size_t i = first_above(as, start);
    if ((rc = insert_at(as, i, &v))) {
        free(v.name);
        if (!(flags & VMA_UNBACKED)) uc_mem_unmap(as->uc, start, len);
        return rc;
    }
    if (obj) shm_obj_get(obj);
    merge_around(as, i);
    return 0;
}

int as_map(struct addr_space *as, uint64_t start, uint64_t len, int prot, int flags,
           const char *name, uint64_t offset, uint64_t dev, uint64_t ino)
{
    return as_map_obj(as, start, len, prot, flags, name, offset, dev, ino, NULL, 0);
}

int as_protect(struct addr_space *as, uint64_t start, uint64_t len, int prot)
{
    uint64_t end = start + len;
    if (!as_range_mapped(as, start, end)) return -ENOMEM;
    int rc;
    if ((rc = split_at(as, start)) || (rc = split_at(as, end))) return rc;
    size_t i = first_above(as, start);
    for (; i < as->nvmas && as->vmas[i].start < end; i++) {
        struct vma *v = &as->vmas[i];
        if (v->flags & VMA_UNBACKED) {
            /* A reservation opened: fresh zero pages now back this part. */
            if (prot) {
                if (uc_mem_map(as->uc, v->start, v->end - v->start, uc_prot_of(prot)) != UC_ERR_OK) return -ENOMEM;
                v->flags &= ~VMA_UNBACKED;
            }
        } else if (uc_mem_protect(as->uc, v->start, v->end - v->start, uc_prot_of(prot)) != UC_ERR_OK) return -ENOMEM;
        if ((v->prot ^ prot) & PROT_EXEC) cpu_flush_code(as, v->start, v->end);
        v->prot = prot;
        if (v->ino && (prot & PROT_WRITE) && !(v->flags & (MAP_SHARED | MAP_ANONYMOUS))) v->flags |= VMA_ACCOUNT;
    }
    /* uc_mem_protect leaves the engine's TLB as it was: a page made PROT_NONE stayed
     * readable through it (tests/guest/fault_exec.c). tlb_flush drops only the TLB,
     * not translated code. */
    uc_ctl_flush_tlb(as->uc);
    /* Merge back what became alike, scanning the touched range from its end. */
    for (size_t j = first_above(as, end - 1) + 1; j-- > 0 && j < as->nvmas;) {
        if (as->vmas[j].end < start) break;
        merge_around(as, j);
    }
    return 0;
}

int as_set_flag(struct addr_space *as, uint64_t start, uint64_t len, int flag, bool on)
{
    uint64_t end = start + len;
    int rc;
    if ((rc = split_at(as, start)) || (rc = split_at(as, end))) return rc;
    for (size_t i = first_above(as, start); i < as->nvmas && as->vmas[i].start < end; i++)
        as->vmas[i].flags = on ? as->vmas[i].flags | flag : as->vmas[i].flags & ~flag;
    for (size_t j = first_above(as, end - 1) + 1; j-- > 0 && j < as->nvmas;) {
        if (as->vmas[j].end < start) break;
        merge_around(as, j);
    }
    return 0;
}

bool as_grow_stack(struct addr_space *as, uint64_t addr)
{
    if (addr >= TASK_SIZE_64) return false;
    size_t i = first_above(as, addr);
    if (i == as->nvmas) return false;
    const struct vma *v = &as->vmas[i];
    if (!(v->flags & MAP_GROWSDOWN) || addr >= v->start) return false;
    if (v->end - PAGE_DOWN(addr) > as->stack_limit) return false;
    /* RLIMIT_AS counts the growth too (acct_stack_growth). */
    if (as->vm_limit != UINT64_MAX) {
        uint64_t total = 0;
        for (size_t k = 0; k < as->nvmas; k++) total += as->vmas[k].end - as->vmas[k].start;
        if (total + (v->start - PAGE_DOWN(addr)) > as->vm_limit) return false;
    }
    uint64_t floor = i > 0 ? as->vmas[i - 1].end + STACK_GUARD_GAP : MMAP_MIN_ADDR;
    if (floor > PAGE_DOWN(addr)) return false;
    /* Linux grows the stack to the faulting page. Each growth here is a new Unicorn
     * region, and Unicorn's region allocation is linear in their number: a deep
     * recursion growing 4 KiB at a time cost 12 s for 8 MiB (measured). Grow in
     * 256 KiB-aligned steps instead, within the rlimit and the guard gap: only
     * /proc/self/maps can tell. */
    uint64_t start = PAGE_DOWN(addr) & ~(STACK_GROW_STEP - 1);
    if (v->end - start > as->stack_limit) start = v->end - as->stack_limit;
    if (as->vm_limit != UINT64_MAX) start = PAGE_DOWN(addr);   /* exactly what was touched */
    if (start < floor) start = floor;
    if (start > PAGE_DOWN(addr)) start = PAGE_DOWN(addr);
    uint64_t old_start = v->start;
    int prot = v->prot, flags = v->flags;
    char *name = v->name ? strdup(v->name) : NULL;
    int rc = as_map(as, start, old_start - start, prot, flags, name, 0, 0, 0);
    free(name);
    return rc == 0;
}

void as_block_access(struct addr_space *as, uint64_t start, uint64_t len)
{
    uc_mem_protect(as->uc, start, len, UC_PROT_NONE);
    uc_ctl_flush_tlb(as->uc);
}

uint64_t as_find_free(struct addr_space *as, uint64_t len, uint64_t below)
{
    uint64_t top = below;
    for (size_t i = as->nvmas; i-- > 0;) {
        const struct vma *v = &as->vmas[i];
        if (v->start >= top) continue;
        if (v->end <= top && top - v->end >= len) return top - len;
        top = v->start;
    }
    return top >= len + MMAP_MIN_ADDR ? top - len : 0;
}
