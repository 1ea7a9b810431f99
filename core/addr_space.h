/* An address space (the kernel's mm): one Unicorn engine, the guest's own mapping
 * table (what /proc/self/maps shows), and brk. Shared by tasks cloned with CLONE_VM. */
#ifndef UNIEMU_ADDR_SPACE_H
#define UNIEMU_ADDR_SPACE_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PAGE_SIZE 4096ULL
#define PAGE_DOWN(x) ((uint64_t)(x) & ~(PAGE_SIZE - 1))
#define PAGE_UP(x) (((uint64_t)(x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* Linux x86-64 with ASLR off (measured with setarch -R, kernel 6.18). */
#define TASK_SIZE_64      0x7ffffffff000ULL
#define STACK_TOP         0x7ffffffff000ULL
#define MMAP_BASE         0x7ffff7fff000ULL  /* TASK_SIZE - 128 MiB gap */
#define STATIC_PIE_BRK    0x555555555000ULL  /* ELF_ET_DYN_BASE, brk of a static-PIE */
#define MMAP_MIN_ADDR     0x10000ULL
#define STACK_RLIMIT      (8ULL << 20)       /* RLIMIT_STACK's default */
#define STACK_GUARD_GAP   (256 * PAGE_SIZE)  /* Linux's stack_guard_gap */
#define STACK_GROW_STEP   (256 * 1024ULL)

/* Linux's VM_ACCOUNT, for private file mappings: set once the mapping is writable and
 * never cleared, so a RELRO part made read-only again stays a mapping of its own in
 * /proc/self/maps (it does not merge with the read-only one before it). */
#define VMA_ACCOUNT 0x40000000
/* A private anonymous PROT_NONE mapping that was never accessible (a reservation, as
 * musl's malloc and Go's runtime make by the tens of GiB): kept in the mapping table
 * only, with no engine memory behind it, until mprotect opens part of it. Its pages
 * read as zero then, as fresh anonymous memory does. Asked for by mmap; such a vma
 * does not merge with a backed neighbour in the table, but /proc/self/maps shows them
 * merged as Linux does (as_same_kind). */
#define VMA_UNBACKED 0x20000000
/* mlock'ed (VM_LOCKED); madvise's MADV_WIPEONFORK and MADV_DONTFORK (VM_WIPEONFORK,
 * VM_DONTCOPY: a fork's copy is zero, or absent); a shared mapping of a file opened
 * without write access (VM_MAYWRITE clear: mprotect cannot add PROT_WRITE). */
#define VMA_LOCKED 0x10000000
#define VMA_WIPEONFORK 0x08000000
#define VMA_DONTFORK 0x04000000
#define VMA_NOMAYWRITE 0x02000000

struct uc_struct;
struct cpu_state;

struct vma {
    uint64_t start, end;     /* [start, end), page aligned */
    int prot;                /* PROT_READ|PROT_WRITE|PROT_EXEC as the guest asked */
    int flags;               /* MAP_PRIVATE / MAP_SHARED, MAP_ANONYMOUS, VMA_ACCOUNT, VMA_UNBACKED */
    uint64_t offset;         /* file offset of start, for file mappings */
    uint64_t dev, ino;
    char *name;              /* file path, "[heap]", "[stack]", ... or NULL */
    struct shm_obj *obj;     /* shared memory behind it (MAP_SHARED, shmat), or NULL */
    uint64_t obj_off;        /* offset of start in obj */
};

/* Memory that several address spaces map (the kernel's shmem inode): MAP_SHARED
 * anonymous and file mappings and SysV segments. Host memory mapped into each engine
 * with uc_mem_map_ptr, so after fork both engines see the same pages. Each vma that
 * maps it holds one reference; so may its owner (a SysV segment). */
struct shm_obj {
    int refs;
    uint8_t *mem;            /* host memory, size bytes, zero-filled at creation */
    uint64_t size;           /* page aligned */
    uint64_t ino;            /* what /proc/self/maps shows */
    void *owner;             /* a SysV segment (syscalls/ipc.c) or NULL */
    /* Called when the last reference but the owner's goes (refs drops to 1). */
    void (*last_map)(struct shm_obj *obj);
};
#define SHMEM_DEV 1ULL       /* 00:01, the device Linux shows for shmem */
struct shm_obj *shm_obj_new(uint64_t size);
void shm_obj_get(struct shm_obj *obj);
void shm_obj_put(struct shm_obj *obj);

/* A writable MAP_SHARED file mapping: its memory goes back to the file on msync, munmap
 * and exit (syscalls/mm.c). */
struct shared_file_map {
    uint64_t start, end, offset;
    int host_fd;             /* uniemu's own duplicate */
};

struct addr_space {
    struct uc_struct *uc;
    struct vma *vmas;        /* sorted by start, never overlapping */
    size_t nvmas, cap;
    uint64_t brk_start, brk_cur;
    uint64_t mmap_base;      /* anonymous mmaps grow down from below here */
    uint64_t stack_top;      /* the initial stack ends here */
    uint64_t brk_random;     /* added to the start of brk */
    /* RLIMIT_STACK and RLIMIT_AS of the process (syscalls/limits.c), for stack growth. */
    uint64_t stack_limit, vm_limit;
    bool lock_future;        /* mlockall(MCL_FUTURE): new mappings are VMA_LOCKED */
    /* What exec put on the stack, as the kernel's mm keeps it for /proc/PID/auxv and
     * environ: the aux vector (pairs, AT_NULL last) and where the environment lies. */
    uint64_t saved_auxv[64];
    size_t saved_auxv_words;
    uint64_t env_start, env_end;
    int refs;
    struct shared_file_map *shared;
    size_t nshared;
    struct cpu_state *cpu;   /* owned by core/cpu.c */
    void *loaded;            /* the task whose registers are in the engine now */
};

/* With as_aslr set, each new address space (a program, an execve) gets a layout drawn
 * from the seed within Linux's own ranges: stack top, mmap base, brk. */
extern bool as_aslr;
struct addr_space *as_create(void);
void as_put(struct addr_space *as);
/* A new engine holding a copy of every mapping and its contents (fork). NULL on error. */
struct addr_space *as_clone(struct addr_space *as);

/* Map [start, start+len) replacing whatever was there (MAP_FIXED semantics).
 * Memory reads as zero. Returns 0 or -errno. */
int as_map(struct addr_space *as, uint64_t start, uint64_t len, int prot, int flags,
           const char *name, uint64_t offset, uint64_t dev, uint64_t ino);
/* As as_map, but the memory is [obj_off, obj_off+len) of obj: the new vma takes a
 * reference. Pages past the object's end are mapped without access (SIGBUS on Linux). */
int as_map_obj(struct addr_space *as, uint64_t start, uint64_t len, int prot, int flags,
               const char *name, uint64_t offset, uint64_t dev, uint64_t ino,
               struct shm_obj *obj, uint64_t obj_off);
/* Before running a task of this address space: when another engine ran last, code in
 * its shared executable mappings may have been written there, so their translations
 * are dropped (cheap; nothing when there is no executable shared mapping). */
void as_enter(struct addr_space *as);
int as_unmap(struct addr_space *as, uint64_t start, uint64_t len);
int as_protect(struct addr_space *as, uint64_t start, uint64_t len, int prot);
/* Takes all access away from [start, start+len) in the engine only, the mapping table
 * unchanged: pages of a file mapping past the end of the file, where an access is
 * SIGBUS (see sig_fault). */
void as_block_access(struct addr_space *as, uint64_t start, uint64_t len);
/* Highest free gap of len bytes below `below` (top-down, as Linux). 0 when none. */
uint64_t as_find_free(struct addr_space *as, uint64_t len, uint64_t below);
bool as_range_free(struct addr_space *as, uint64_t start, uint64_t len);
const struct vma *as_find(const struct addr_space *as, uint64_t addr);
/* Grows a MAP_GROWSDOWN mapping (the stack) down over addr, as Linux does for an access
 * below it within the stack rlimit and not closer than the guard gap to the mapping
 * below. True when addr is mapped now. Safe inside a Unicorn memory hook: it only adds
 * an engine region below the stack's. */
bool as_grow_stack(struct addr_space *as, uint64_t addr);
/* Sets (on) or clears flag in the vmas of [start, start+len), splitting and merging
 * them as mlock and madvise do. 0 or -errno. */
int as_set_flag(struct addr_space *as, uint64_t start, uint64_t len, int flag, bool on);
/* Would Linux merge a and b (a just below b)? The engine's backing does not count. */
bool as_same_kind(const struct vma *a, const struct vma *b);
/* True when [start,end) is fully covered by mappings. */
bool as_range_mapped(const struct addr_space *as, uint64_t start, uint64_t end);
#endif
