/* System V IPC: shared memory segments, semaphore sets and message queues, in the
 * kernel's shape (ipc/shm.c, ipc/sem.c, ipc/msg.c): one id space per kind, ids made
 * of a slot index and a sequence number as Linux allocates them (the index cyclic,
 * the sequence bumped when the index wraps), so every run sees the same ids; keys,
 * IPC_PRIVATE, IPC_CREAT|IPC_EXCL; Linux's permission checks against the guest's
 * credentials; the limits of /proc/sys/kernel (ipc_limits, served by procfs.c).
 *
 * A segment's memory is a shared object (core/addr_space.h) that each attach maps, so
 * attaches in different processes and across fork see the same pages; the segment
 * lives until IPC_RMID and its last detach. Blocking semop/msgsnd/msgrcv park the task
 * (WAIT_IO, retried after every IPC change), with timeouts in virtual time; a set or
 * queue removed meanwhile gives EIDRM. SEM_UNDO adjustments are kept per process and
 * applied when it exits. */
#include "syscalls/syscall.h"
#include "syscalls/ipc.h"
#include "syscalls/cred.h"
#include "scheduler/sched.h"
#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include "tools/explain.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#define IPCMNI 32768
#define IPCID_SEQ_MAX (0x7fffffff / IPCMNI)
#define SEMVMX 32767
#define SEMAEM SEMVMX
#define CAP_IPC_LOCK_ 14
#define CAP_IPC_OWNER_ 15
#define CAP_SYS_ADMIN_ 21
#define CAP_SYS_RESOURCE_ 24
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif
#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif
#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif
#ifndef SHM_REMAP
#define SHM_REMAP 040000
#endif
#ifndef SHM_DEST
#define SHM_DEST 01000
#endif
#ifndef SHM_LOCKED
#define SHM_LOCKED 02000
#endif

struct ipc_limits ipc_limits = {
    .shmmax = 0xffffffffffffffffULL - (1ULL << 24), .shmall = 0xffffffffffffffffULL - (1ULL << 24),
    .shmmni = 4096, .semmsl = 32000, .semmns = 1024000000, .semopm = 500, .semmni = 32000,
    .msgmax = 8192, .msgmnb = 16384, .msgmni = 32000,
};

/* ---- the kernel's common part: ids, keys, permissions ---- */

struct kperm { int32_t key; uint32_t uid, gid, cuid, cgid; uint32_t mode; uint16_t seq; int id; };

struct ipc_ids {
    void **slot;        /* IPCMNI entries; each object starts with its struct kperm */
    int in_use, last_idx, seq, max_idx;
    int next_id;        /* /proc/sys/kernel/{shm,sem,msg}_next_id (checkpoint/restore): -1, or the next id */
};
static struct ipc_ids shm_ids = { NULL, 0, -1, 0, -1, -1 }, sem_ids = { NULL, 0, -1, 0, -1, -1 },
                      msg_ids = { NULL, 0, -1, 0, -1, -1 };

static void sysvipc_show(const char *which, FILE *out);

int ipc_proc_show(const char *name, FILE *out)
{
    if (!strcmp(name, "sysvipc/shm") || !strcmp(name, "sysvipc/sem") || !strcmp(name, "sysvipc/msg")) {
        if (out) sysvipc_show(name + 8, out);
        return 0;
    }
    char v[96];
    if (ipc_sysctl(name, v, sizeof v)) return -ENOENT;
    if (out) fputs(v, out);
    return 0;
}

int ipc_sysctl(const char *name, char *out, size_t n)
{
    struct ipc_limits *l = &ipc_limits;
    char v[96];
    if (!strcmp(name, "sys/kernel/shmmax")) snprintf(v, sizeof v, "%llu\n", (unsigned long long)l->shmmax);
    else if (!strcmp(name, "sys/kernel/shmall")) snprintf(v, sizeof v, "%llu\n", (unsigned long long)l->shmall);
    else if (!strcmp(name, "sys/kernel/shmmni")) snprintf(v, sizeof v, "%llu\n", (unsigned long long)l->shmmni);
    else if (!strcmp(name, "sys/kernel/sem")) snprintf(v, sizeof v, "%d\t%d\t%d\t%d\n", l->semmsl, l->semmns, l->semopm, l->semmni);
    else if (!strcmp(name, "sys/kernel/msgmax")) snprintf(v, sizeof v, "%d\n", l->msgmax);
    else if (!strcmp(name, "sys/kernel/msgmnb")) snprintf(v, sizeof v, "%d\n", l->msgmnb);
    else if (!strcmp(name, "sys/kernel/msgmni")) snprintf(v, sizeof v, "%d\n", l->msgmni);
    else if (!strcmp(name, "sys/kernel/shm_next_id")) snprintf(v, sizeof v, "%d\n", shm_ids.next_id);
    else if (!strcmp(name, "sys/kernel/sem_next_id")) snprintf(v, sizeof v, "%d\n", sem_ids.next_id);
    else if (!strcmp(name, "sys/kernel/msg_next_id")) snprintf(v, sizeof v, "%d\n", msg_ids.next_id);
    else return -ENOENT;
    if (out) snprintf(out, n, "%s", v);
    return 0;
}

long ipc_sysctl_write(const char *name, const char *data, size_t len)
{
    char buf[128];
    size_t k = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, data, k);
    buf[k] = 0;
    struct ipc_limits *l = &ipc_limits;
    char *end;
    errno = 0;
    if (!strcmp(name, "sys/kernel/sem")) {
        long v[4];
        char *p = buf;
        for (int i = 0; i < 4; i++) {
            v[i] = strtol(p, &end, 10);
            if (end == p || v[i] < 0 || v[i] > 0x7fffffff) return -EINVAL;
            p = end;
        }
        if (v[3] > IPCMNI) return -EINVAL;
        l->semmsl = (int)v[0]; l->semmns = (int)v[1]; l->semopm = (int)v[2]; l->semmni = (int)v[3];
        return (long)len;
    }
    if (!strncmp(name, "sys/kernel/shm", 14) && strcmp(name, "sys/kernel/shm_next_id")) {
        unsigned long long v = strtoull(buf, &end, 10);
        if (end == buf || errno) return -EINVAL;
        if (!strcmp(name, "sys/kernel/shmmax")) l->shmmax = v;
        else if (!strcmp(name, "sys/kernel/shmall")) l->shmall = v;
        else { if (v > IPCMNI) return -EINVAL; l->shmmni = v; }
        return (long)len;
    }
    long v = strtol(buf, &end, 10);
    if (end == buf || errno || v < -1 || v > 0x7fffffff) return -EINVAL;
    struct ipc_ids *next = !strcmp(name, "sys/kernel/shm_next_id") ? &shm_ids
                         : !strcmp(name, "sys/kernel/sem_next_id") ? &sem_ids
                         : !strcmp(name, "sys/kernel/msg_next_id") ? &msg_ids : NULL;
    if (next) { next->next_id = (int)v; return (long)len; }
    if (v < 0) return -EINVAL;
    if (!strcmp(name, "sys/kernel/msgmax")) l->msgmax = (int)v;
    else if (!strcmp(name, "sys/kernel/msgmnb")) l->msgmnb = (int)v;
    else if (!strcmp(name, "sys/kernel/msgmni")) { if (v > IPCMNI) return -EINVAL; l->msgmni = (int)v; }
    else return -EINVAL;
    return (long)len;
}

static struct kperm *perm_at(struct ipc_ids *ids, int idx) { return ids->slot ? ids->slot[idx] : NULL; }

static void *ipc_find(struct ipc_ids *ids, int id)
{
    if (id < 0 || !ids->slot) return NULL;
    struct kperm *p = ids->slot[id % IPCMNI];
    return p && p->id == id ? p : NULL;
}

static void *ipc_find_key(struct ipc_ids *ids, int32_t key)
{
    for (int i = 0; ids->slot && i <= ids->max_idx; i++) {
        struct kperm *p = ids->slot[i];
        if (p && p->key == key) return p;
    }
    return NULL;
}

static int ipc_add(struct ipc_ids *ids, struct kperm *p, int limit)
{
    if (ids->in_use >= limit) return -ENOSPC;
    if (!ids->slot && !(ids->slot = calloc(IPCMNI, sizeof *ids->slot))) return -ENOMEM;
    int idx = -1;
    if (ids->next_id >= 0) {
        /* The id asked for, or the first free index above it with its sequence. */
        int seq = ids->next_id / IPCMNI;
        for (int i = ids->next_id % IPCMNI; i < IPCMNI && idx < 0; i++) if (!ids->slot[i]) idx = i;
        ids->next_id = -1;
        if (idx < 0) return -ENOSPC;
        p->seq = (uint16_t)seq;
        p->id = seq * IPCMNI + idx;
    } else {
        for (int i = ids->last_idx + 1; i < IPCMNI && idx < 0; i++) if (!ids->slot[i]) idx = i;
        for (int i = 0; i <= ids->last_idx && idx < 0; i++) if (!ids->slot[i]) idx = i;
        if (idx < 0) return -ENOSPC;
        if (idx <= ids->last_idx && ++ids->seq > IPCID_SEQ_MAX) ids->seq = 0;
        ids->last_idx = idx;
        p->seq = (uint16_t)ids->seq;
        p->id = ids->seq * IPCMNI + idx;
    }
    ids->slot[idx] = p;
    ids->in_use++;
    if (idx > ids->max_idx) ids->max_idx = idx;
    return p->id;
}

static void ipc_remove(struct ipc_ids *ids, struct kperm *p)
{
    int idx = p->id % IPCMNI;
    ids->slot[idx] = NULL;
    ids->in_use--;
    while (ids->max_idx >= 0 && !ids->slot[ids->max_idx]) ids->max_idx--;
}

static bool capable(struct task *t, int cap) { return guest_cap_effective(t->proc) & (1ULL << cap); }

static void perm_init(struct task *t, struct kperm *p, int32_t key, int flg)
{
    struct cred *c = cred_of(t->proc);
    p->key = key;
    p->uid = p->cuid = c->euid;
    p->gid = p->cgid = c->egid;
    p->mode = flg & 0777;
}

/* ipcperms: flg holds the requested S_IRUGO/S_IWUGO bits. */
static int ipcperms(struct task *t, const struct kperm *p, int flg)
{
    struct cred *c = cred_of(t->proc);
    int requested = (flg >> 6) | (flg >> 3) | flg, granted = (int)p->mode;
    if (c->euid == p->cuid || c->euid == p->uid) granted >>= 6;
    else if (cred_in_group(t->proc, p->cgid) || cred_in_group(t->proc, p->gid)) granted >>= 3;
    if ((requested & ~granted & 0007) && !capable(t, CAP_IPC_OWNER_)) return -EACCES;
    return 0;
}

/* IPC_SET and IPC_RMID: the owner, the creator, or CAP_SYS_ADMIN. */
static int owner_check(struct task *t, const struct kperm *p)
{
    struct cred *c = cred_of(t->proc);
    if (c->euid == p->cuid || c->euid == p->uid || capable(t, CAP_SYS_ADMIN_)) return 0;
    return -EPERM;
}

static void perm_out(const struct kperm *p, struct ipc_perm *o)
{
    memset(o, 0, sizeof *o);
    o->__key = p->key;
    o->uid = p->uid; o->gid = p->gid; o->cuid = p->cuid; o->cgid = p->cgid;
    o->mode = (unsigned short)p->mode;
    o->__seq = p->seq;
}

static void perm_set(struct kperm *p, const struct ipc_perm *in)
{
    p->uid = in->uid;
    p->gid = in->gid;
    p->mode = (p->mode & ~0777u) | (in->mode & 0777u);
}

static int64_t now_sec(void) { return DET_EPOCH_SEC + (int64_t)(det_now_ns() / 1000000000ULL); }

/* A call that ran again after blocking (its task was woken). */
static bool retrying(struct task *t) { return t->in_syscall; }

/* Parks t until an IPC object changes (or its deadline, absolute virtual ns, 0: none). */
static int64_t ipc_block(struct task *t, uint64_t deadline)
{
    sched_block(t, WAIT_IO, deadline, true, -EAGAIN);
    return RET_BLOCK;
}

static void ipc_changed(void) { sched_wake_io(); }

/* ---- shared memory ---- */

struct shm_seg {
    struct kperm perm;
    struct shm_obj *obj;     /* holds one reference for the segment itself */
    uint64_t segsz;
    int64_t atime, dtime, ctime;
    int cpid, lpid;
};
static uint64_t shm_tot;     /* pages of all segments */

static uint64_t shm_nattch(const struct shm_seg *s) { return (uint64_t)(s->obj->refs - 1); }

/* Resident pages: Linux counts the pages touched; here the pages not all zero (what a
 * guest can tell apart, and the same in every run). */
static uint64_t shm_rss(const struct shm_seg *s)
{
    uint64_t n = 0;
    for (uint64_t off = 0; off < s->obj->size; off += PAGE_SIZE) {
        const uint64_t *w = (const uint64_t *)(s->obj->mem + off);
        for (size_t k = 0; k < PAGE_SIZE / 8; k++) if (w[k]) { n++; break; }
    }
    return n;
}

static void shm_destroy(struct shm_seg *s)
{
    ipc_remove(&shm_ids, &s->perm);
    shm_tot -= s->obj->size / PAGE_SIZE;
    s->obj->owner = NULL;
    shm_obj_put(s->obj);
    free(s);
}

static void shm_last_detach(struct shm_obj *obj)
{
    struct shm_seg *s = obj->owner;
    s->dtime = now_sec();
    if (s->perm.mode & SHM_DEST) shm_destroy(s);
}

int ipc_shm_usable(const struct shm_obj *obj)
{
    const struct shm_seg *s = obj->owner;
    if (s && (s->perm.mode & SHM_DEST) && obj->refs <= 2) return -EIDRM;
    return 0;
}

static int64_t sys_shmget(struct syscall *sc)
{
    struct task *t = sc->t;
    int32_t key = (int32_t)sc->a[0];
    uint64_t size = sc->a[1];
    int flg = (int)sc->a[2];
    struct shm_seg *s = key == IPC_PRIVATE ? NULL : ipc_find_key(&shm_ids, key);
    if (s) {
        if ((flg & IPC_CREAT) && (flg & IPC_EXCL)) return -EEXIST;
        int rc = ipcperms(t, &s->perm, flg);
        if (rc) return rc;
        if (s->segsz < size) return -EINVAL;
        return s->perm.id;
    }
    if (key != IPC_PRIVATE && !(flg & IPC_CREAT)) return -ENOENT;
    if (size < 1 || size > ipc_limits.shmmax) return -EINVAL;
    uint64_t pages = PAGE_UP(size) / PAGE_SIZE;
    if (PAGE_UP(size) < size || shm_tot + pages < shm_tot || shm_tot + pages > ipc_limits.shmall) return -ENOSPC;
    if (flg & SHM_HUGETLB) {
        /* hugetlbfs: CAP_IPC_LOCK or the hugetlb_shm_group (0); the model has no huge
         * pages reserved (vm.nr_hugepages 0), so a permitted caller gets ENOMEM. */
        if (!capable(t, CAP_IPC_LOCK_) && !cred_in_group(t->proc, 0)) return -EPERM;
        return -ENOMEM;
    }
    if (shm_ids.in_use >= (int)ipc_limits.shmmni) return -ENOSPC;
    s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    if (!(s->obj = shm_obj_new(pages * PAGE_SIZE))) { free(s); return -ENOMEM; }
    perm_init(t, &s->perm, key, flg);
    s->segsz = size;
    s->cpid = t->proc->pid;
    s->ctime = now_sec();
    int id = ipc_add(&shm_ids, &s->perm, (int)ipc_limits.shmmni);
    if (id < 0) { shm_obj_put(s->obj); free(s); return id; }
    s->obj->owner = s;
    s->obj->last_map = shm_last_detach;
    s->obj->ino = (uint64_t)id;   /* /proc/self/maps shows the shmid as the inode */
    shm_tot += pages;
    return id;
}

static int64_t sys_shmat(struct syscall *sc)
{
    struct task *t = sc->t;
    struct addr_space *as = t->as;
    int id = (int)sc->a[0], flg = (int)sc->a[2];
    uint64_t addr = sc->a[1];
    if (addr & (PAGE_SIZE - 1)) {
        if (!(flg & SHM_RND)) return -EINVAL;
        addr = PAGE_DOWN(addr);
        if (!addr) return -EINVAL;
    }
    if ((flg & SHM_REMAP) && !addr) return -EINVAL;
    int acc = 0444, prot = PROT_READ;
    if (!(flg & SHM_RDONLY)) { acc |= 0222; prot |= PROT_WRITE; }
    if (flg & SHM_EXEC) { acc |= 0111; prot |= PROT_EXEC; }
    struct shm_seg *s = ipc_find(&shm_ids, id);
    if (!s) return -EINVAL;
    int rc = ipcperms(t, &s->perm, acc);
    if (rc) return rc;
    uint64_t len = s->obj->size;
    if (addr) {
        if (addr < MMAP_MIN_ADDR || addr > TASK_SIZE_64 - len) return -EINVAL;
        if (!(flg & SHM_REMAP) && !as_range_free(as, addr, len)) return -EINVAL;
    } else if (!(addr = as_find_free(as, len, as->mmap_base))) {
        return -ENOMEM;
    }
    char name[64];
    snprintf(name, sizeof name, "/SYSV%08x (deleted)", (unsigned)s->perm.key);
    mm_forget_shared(as, addr, addr + len);
    if ((rc = as_map_obj(as, addr, len, prot, MAP_SHARED, name, 0, SHMEM_DEV, (uint64_t)s->perm.id, s->obj, 0)))
        return rc;
    explain_map_event(t, "shmat", addr, addr + len);
    s->atime = now_sec();
    s->lpid = t->proc->pid;
    return (int64_t)addr;
}

static int64_t sys_shmdt(struct syscall *sc)
{
    struct task *t = sc->t;
    struct addr_space *as = t->as;
    uint64_t addr = sc->a[0];
    if (addr & (PAGE_SIZE - 1)) return -EINVAL;
    const struct vma *v = as_find(as, addr);
    if (!v || v->start != addr || !v->obj || !v->obj->owner || v->obj_off != 0) return -EINVAL;
    struct shm_obj *obj = v->obj;
    struct shm_seg *s = obj->owner;
    uint64_t end = addr + obj->size;
    s->lpid = t->proc->pid;
    s->dtime = now_sec();
    shm_obj_get(obj);   /* the segment may go with its last detach: keep obj readable here */
    explain_map_event(t, "shmdt", addr, end);
    /* Every piece of this attach: the vmas of the object from addr on. */
    for (uint64_t a = addr; a < end;) {
        const struct vma *w = as_find(as, a);
        if (!w) {
            size_t i = 0;
            while (i < as->nvmas && as->vmas[i].start < a) i++;
            if (i == as->nvmas || as->vmas[i].start >= end) break;
            a = as->vmas[i].start;
            continue;
        }
        uint64_t ws = w->start, we = w->end;
        bool mine = w->obj == obj && w->obj_off == ws - addr;
        if (mine) as_unmap(as, ws, we - ws);
        a = we;
    }
    shm_obj_put(obj);
    return 0;
}

static int shm_stat_out(struct task *t, const struct shm_seg *s, uint64_t buf)
{
    struct shmid_ds d;
    memset(&d, 0, sizeof d);
    perm_out(&s->perm, &d.shm_perm);
    d.shm_segsz = s->segsz;
    d.shm_atime = s->atime; d.shm_dtime = s->dtime; d.shm_ctime = s->ctime;
    d.shm_cpid = s->cpid; d.shm_lpid = s->lpid;
    d.shm_nattch = shm_nattch(s);
    return guest_write(t->as, buf, &d, sizeof d);
}

static int64_t sys_shmctl(struct syscall *sc)
{
    struct task *t = sc->t;
    int id = (int)sc->a[0], cmd = (int)sc->a[1];
    uint64_t buf = sc->a[2];
    if (cmd < 0 || id < 0) return -EINVAL;
    switch (cmd) {
    case IPC_INFO: {
        struct shminfo i = { .shmmax = ipc_limits.shmmax, .shmmin = 1, .shmmni = ipc_limits.shmmni,
                             .shmseg = ipc_limits.shmmni, .shmall = ipc_limits.shmall };
        if (guest_write(t->as, buf, &i, sizeof i)) return -EFAULT;
        return shm_ids.max_idx < 0 ? 0 : shm_ids.max_idx;
    }
    case SHM_INFO: {
        struct shm_info i;
        memset(&i, 0, sizeof i);
        i.used_ids = shm_ids.in_use;
        i.shm_tot = shm_tot;
        for (int k = 0; k <= shm_ids.max_idx; k++) {
            struct shm_seg *s = (struct shm_seg *)perm_at(&shm_ids, k);
            if (s) i.shm_rss += shm_rss(s);
        }
        if (guest_write(t->as, buf, &i, sizeof i)) return -EFAULT;
        return shm_ids.max_idx < 0 ? 0 : shm_ids.max_idx;
    }
    case SHM_STAT: case SHM_STAT_ANY: case IPC_STAT: {
        struct shm_seg *s = cmd == IPC_STAT ? ipc_find(&shm_ids, id)
                            : (id < IPCMNI ? (struct shm_seg *)perm_at(&shm_ids, id) : NULL);
        if (!s) return -EINVAL;
        if (cmd != SHM_STAT_ANY) { int rc = ipcperms(t, &s->perm, 0444); if (rc) return rc; }
        if (shm_stat_out(t, s, buf)) return -EFAULT;
        return cmd == IPC_STAT ? 0 : s->perm.id;
    }
    case IPC_SET: case IPC_RMID: case SHM_LOCK: case SHM_UNLOCK: {
        struct shmid_ds d;
        if (cmd == IPC_SET && guest_read(t->as, buf, &d, sizeof d)) return -EFAULT;
        struct shm_seg *s = ipc_find(&shm_ids, id);
        if (!s) return -EINVAL;
        if (cmd == SHM_LOCK || cmd == SHM_UNLOCK) {
            struct cred *c = cred_of(t->proc);
            if (!capable(t, CAP_IPC_LOCK_) && c->euid != s->perm.uid && c->euid != s->perm.cuid) return -EPERM;
            if (cmd == SHM_LOCK) s->perm.mode |= SHM_LOCKED; else s->perm.mode &= ~(uint32_t)SHM_LOCKED;
            return 0;
        }
        int rc = owner_check(t, &s->perm);
        if (rc) return rc;
        if (cmd == IPC_SET) {
            perm_set(&s->perm, &d.shm_perm);
            s->ctime = now_sec();
            return 0;
        }
        if (shm_nattch(s) == 0) { shm_destroy(s); return 0; }
        s->perm.mode |= SHM_DEST;
        s->perm.key = IPC_PRIVATE;   /* no longer found by its key */
        return 0;
    }
    default:
        return -EINVAL;
    }
}

/* ---- semaphores ---- */

struct ksem { int val, pid; };
struct sem_set {
    struct kperm perm;
    int nsems;
    struct ksem *sems;
    int64_t otime, ctime;
};
static uint64_t used_sems;

/* SEM_UNDO adjustments of one process for one set. */
struct sem_undo {
    int pid, semid, nsems;
    short *adj;
    struct sem_undo *next;
};
static struct sem_undo *undos;

static void undo_forget_set(int semid)
{
    for (struct sem_undo **u = &undos; *u;) {
        if ((*u)->semid == semid) { struct sem_undo *x = *u; *u = x->next; free(x->adj); free(x); }
        else u = &(*u)->next;
    }
}

static void undo_clear(int semid, int semnum)
{
    for (struct sem_undo *u = undos; u; u = u->next)
        if (u->semid == semid) {
            if (semnum < 0) memset(u->adj, 0, (size_t)u->nsems * sizeof *u->adj);
            else if (semnum < u->nsems) u->adj[semnum] = 0;
        }
}

static struct sem_undo *undo_get(int pid, struct sem_set *s)
{
    for (struct sem_undo *u = undos; u; u = u->next)
        if (u->pid == pid && u->semid == s->perm.id) return u;
    struct sem_undo *u = calloc(1, sizeof *u);
    if (!u || !(u->adj = calloc((size_t)s->nsems, sizeof *u->adj))) { free(u); return NULL; }
    u->pid = pid; u->semid = s->perm.id; u->nsems = s->nsems;
    u->next = undos;
    undos = u;
    return u;
}

static void sem_destroy(struct sem_set *s)
{
    undo_forget_set(s->perm.id);
    ipc_remove(&sem_ids, &s->perm);
    used_sems -= (uint64_t)s->nsems;
    free(s->sems);
    free(s);
    ipc_changed();   /* waiters see EIDRM */
}

static int64_t sys_semget(struct syscall *sc)
{
    struct task *t = sc->t;
    int32_t key = (int32_t)sc->a[0];
    int nsems = (int)sc->a[1], flg = (int)sc->a[2];
    if (nsems < 0 || nsems > ipc_limits.semmsl) return -EINVAL;
    struct sem_set *s = key == IPC_PRIVATE ? NULL : ipc_find_key(&sem_ids, key);
    if (s) {
        if ((flg & IPC_CREAT) && (flg & IPC_EXCL)) return -EEXIST;
        int rc = ipcperms(t, &s->perm, flg);
        if (rc) return rc;
        if (nsems > s->nsems) return -EINVAL;
        return s->perm.id;
    }
    if (key != IPC_PRIVATE && !(flg & IPC_CREAT)) return -ENOENT;
    if (!nsems) return -EINVAL;
    if (used_sems + (uint64_t)nsems > (uint64_t)ipc_limits.semmns) return -ENOSPC;
    s = calloc(1, sizeof *s);
    if (!s || !(s->sems = calloc((size_t)nsems, sizeof *s->sems))) { free(s); return -ENOMEM; }
    perm_init(t, &s->perm, key, flg);
    s->nsems = nsems;
    s->ctime = now_sec();
    int id = ipc_add(&sem_ids, &s->perm, ipc_limits.semmni);
    if (id < 0) { free(s->sems); free(s); return id; }
    used_sems += (uint64_t)nsems;
    return id;
}

/* The sembuf that blocks the operations, or -1 when they can all be done now;
 * -ERANGE past SEMVMX. */
static int sem_try(const struct sem_set *s, const struct sembuf *ops, int n, const struct sem_undo *u, int *blocker)
{
    int vals[64], *v = vals;
    int *heap = NULL;
    if (s->nsems > 64) { if (!(heap = malloc((size_t)s->nsems * sizeof *heap))) return -ENOMEM; v = heap; }
    for (int i = 0; i < s->nsems; i++) v[i] = s->sems[i].val;
    int rc = 0;
    *blocker = -1;
    for (int i = 0; i < n; i++) {
        int cur = v[ops[i].sem_num], op = ops[i].sem_op;
        if (!op) { if (cur) { *blocker = i; break; } continue; }
        if (cur + op < 0) { *blocker = i; break; }
        if (cur + op > SEMVMX) { rc = -ERANGE; break; }
        if ((ops[i].sem_flg & SEM_UNDO) && u) {
            int a = u->adj[ops[i].sem_num] - op;
            if (a < -SEMAEM - 1 || a > SEMAEM) { rc = -ERANGE; break; }
        }
        v[ops[i].sem_num] = cur + op;
    }
    free(heap);
    return rc;
}

static int64_t do_semop(struct syscall *sc, uint64_t tmo)
{
    struct task *t = sc->t;
    int id = (int)sc->a[0];
    uint64_t nsops = sc->a[2];
    if (nsops < 1 || id < 0) return -EINVAL;
    if (nsops > (uint64_t)ipc_limits.semopm) return -E2BIG;
    struct sembuf *ops = malloc(nsops * sizeof *ops);
    if (!ops) return -ENOMEM;
    int64_t rc = 0;
    if (guest_read(t->as, sc->a[1], ops, nsops * sizeof *ops)) { rc = -EFAULT; goto out; }
    uint64_t deadline = 0;
    if (retrying(t)) {
        deadline = t->wake_at_ns;
    } else if (tmo) {
        struct timespec ts;
        if (guest_read(t->as, tmo, &ts, sizeof ts)) { rc = -EFAULT; goto out; }
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L) { rc = -EINVAL; goto out; }
        uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        deadline = det_now_ns() + (ns ? ns : 1);
    }
    int maxnum = 0;
    bool undo = false, alter = false;
    for (uint64_t i = 0; i < nsops; i++) {
        if (ops[i].sem_num > maxnum) maxnum = ops[i].sem_num;
        if (ops[i].sem_flg & SEM_UNDO) undo = true;
        if (ops[i].sem_op) alter = true;
    }
    struct sem_set *s = ipc_find(&sem_ids, id);
    if (!s) { rc = retrying(t) ? -EIDRM : -EINVAL; goto out; }
    if (maxnum >= s->nsems) { rc = -EFBIG; goto out; }
    if ((rc = ipcperms(t, &s->perm, alter ? 0222 : 0444))) goto out;
    struct sem_undo *u = undo ? undo_get(t->proc->pid, s) : NULL;
    if (undo && !u) { rc = -ENOMEM; goto out; }
    int blocker;
    if ((rc = sem_try(s, ops, (int)nsops, u, &blocker))) goto out;
    if (blocker >= 0) {
        if (ops[blocker].sem_flg & IPC_NOWAIT) { rc = -EAGAIN; goto out; }
        if (tmo && !retrying(t) && deadline && det_now_ns() >= deadline) { rc = -EAGAIN; goto out; }
        if (retrying(t) && t->timed_out) { rc = -EAGAIN; goto out; }
        free(ops);
        return ipc_block(t, deadline);
    }
    for (uint64_t i = 0; i < nsops; i++) {
        struct ksem *k = &s->sems[ops[i].sem_num];
        k->val += ops[i].sem_op;
        k->pid = t->proc->pid;
        if ((ops[i].sem_flg & SEM_UNDO) && u) u->adj[ops[i].sem_num] -= ops[i].sem_op;
    }
    s->otime = now_sec();
    if (alter) ipc_changed();
out:
    free(ops);
    return rc;
}

static int64_t sys_semop(struct syscall *sc) { return do_semop(sc, 0); }
static int64_t sys_semtimedop(struct syscall *sc) { return do_semop(sc, sc->a[3]); }

/* How many tasks wait on semaphore num of set id for it to grow (zero: to be 0). */
static int sem_count_waiters(struct sem_set *s, int num, bool zero)
{
    int n = 0, nlive;
    struct task *const *live = sched_live(&nlive);
    for (int i = 0; i < nlive; i++) {
        struct task *w = live[i];
        if (w->state != TASK_BLOCKED || w->wait != WAIT_IO || !w->in_syscall) continue;
        if ((w->sc.nr != SYS_semop && w->sc.nr != SYS_semtimedop) || (int)w->sc.a[0] != s->perm.id) continue;
        uint64_t nops = w->sc.a[2];
        if (!nops || nops > 500) continue;
        struct sembuf ops[500];
        if (guest_read(w->as, w->sc.a[1], ops, nops * sizeof ops[0])) continue;
        bool bad = false;
        for (uint64_t k = 0; k < nops; k++) if (ops[k].sem_num >= s->nsems) bad = true;
        if (bad) continue;
        int blocker;
        if (sem_try(s, ops, (int)nops, NULL, &blocker) || blocker < 0) continue;
        if (ops[blocker].sem_num != num) continue;
        if (zero ? ops[blocker].sem_op == 0 : ops[blocker].sem_op < 0) n++;
    }
    return n;
}

static int sem_stat_out(struct task *t, const struct sem_set *s, uint64_t buf)
{
    struct semid_ds d;
    memset(&d, 0, sizeof d);
    perm_out(&s->perm, &d.sem_perm);
    d.sem_otime = s->otime;
    d.sem_ctime = s->ctime;
    d.sem_nsems = (unsigned long)s->nsems;
    return guest_write(t->as, buf, &d, sizeof d);
}

static int64_t sys_semctl(struct syscall *sc)
{
    struct task *t = sc->t;
    int id = (int)sc->a[0], num = (int)sc->a[1], cmd = (int)sc->a[2];
    uint64_t arg = sc->a[3];
    if (id < 0 || cmd < 0) return -EINVAL;
    switch (cmd) {
    case IPC_INFO: case SEM_INFO: {
        struct seminfo i = { .semmap = ipc_limits.semmns, .semmni = ipc_limits.semmni, .semmns = ipc_limits.semmns,
                             .semmnu = ipc_limits.semmns, .semmsl = ipc_limits.semmsl, .semopm = ipc_limits.semopm,
                             .semume = ipc_limits.semopm, .semusz = 20, .semvmx = SEMVMX, .semaem = SEMAEM };
        if (cmd == SEM_INFO) { i.semusz = sem_ids.in_use; i.semaem = (int)used_sems; }
        if (guest_write(t->as, arg, &i, sizeof i)) return -EFAULT;
        return sem_ids.max_idx < 0 ? 0 : sem_ids.max_idx;
    }
    case SEM_STAT: case SEM_STAT_ANY: case IPC_STAT: {
        struct sem_set *s = cmd == IPC_STAT ? ipc_find(&sem_ids, id)
                            : (id < IPCMNI ? (struct sem_set *)perm_at(&sem_ids, id) : NULL);
        if (!s) return -EINVAL;
        if (cmd != SEM_STAT_ANY) { int rc = ipcperms(t, &s->perm, 0444); if (rc) return rc; }
        if (sem_stat_out(t, s, arg)) return -EFAULT;
        return cmd == IPC_STAT ? 0 : s->perm.id;
    }
    case SETVAL: {
        int val = (int)arg;
        if (val < 0 || val > SEMVMX) return -ERANGE;
        struct sem_set *s = ipc_find(&sem_ids, id);
        if (!s) return -EINVAL;
        int rc = ipcperms(t, &s->perm, 0222);
        if (rc) return rc;
        if (num < 0 || num >= s->nsems) return -EINVAL;
        undo_clear(id, num);
        s->sems[num].val = val;
        s->sems[num].pid = t->proc->pid;
        s->ctime = now_sec();
        ipc_changed();
        return 0;
    }
    case GETVAL: case GETPID: case GETNCNT: case GETZCNT: case GETALL: case SETALL: {
        struct sem_set *s = ipc_find(&sem_ids, id);
        if (!s) return -EINVAL;
        int rc = ipcperms(t, &s->perm, cmd == SETALL ? 0222 : 0444);
        if (rc) return rc;
        if (cmd == GETALL || cmd == SETALL) {
            unsigned short *v = malloc((size_t)s->nsems * sizeof *v);
            if (!v) return -ENOMEM;
            if (cmd == GETALL) {
                for (int i = 0; i < s->nsems; i++) v[i] = (unsigned short)s->sems[i].val;
                rc = guest_write(t->as, arg, v, (size_t)s->nsems * sizeof *v) ? -EFAULT : 0;
            } else if (guest_read(t->as, arg, v, (size_t)s->nsems * sizeof *v)) {
                rc = -EFAULT;
            } else {
                for (int i = 0; i < s->nsems && !rc; i++) if (v[i] > SEMVMX) rc = -ERANGE;
                if (!rc) {
                    undo_clear(id, -1);
                    for (int i = 0; i < s->nsems; i++) { s->sems[i].val = v[i]; s->sems[i].pid = t->proc->pid; }
                    s->ctime = now_sec();
                    ipc_changed();
                }
            }
            free(v);
            return rc;
        }
        if (num < 0 || num >= s->nsems) return -EINVAL;
        if (cmd == GETVAL) return s->sems[num].val;
        if (cmd == GETPID) return s->sems[num].pid;
        return sem_count_waiters(s, num, cmd == GETZCNT);
    }
    case IPC_SET: case IPC_RMID: {
        struct semid_ds d;
        if (cmd == IPC_SET && guest_read(t->as, arg, &d, sizeof d)) return -EFAULT;
        struct sem_set *s = ipc_find(&sem_ids, id);
        if (!s) return -EINVAL;
        int rc = owner_check(t, &s->perm);
        if (rc) return rc;
        if (cmd == IPC_SET) { perm_set(&s->perm, &d.sem_perm); s->ctime = now_sec(); return 0; }
        sem_destroy(s);
        return 0;
    }
    default:
        return -EINVAL;
    }
}

void ipc_process_exit(struct process *p)
{
    bool changed = false;
    for (struct sem_undo **u = &undos; *u;) {
        struct sem_undo *x = *u;
        if (x->pid != p->pid) { u = &x->next; continue; }
        struct sem_set *s = ipc_find(&sem_ids, x->semid);
        for (int i = 0; s && i < x->nsems && i < s->nsems; i++) {
            if (!x->adj[i]) continue;
            int v = s->sems[i].val + x->adj[i];
            s->sems[i].val = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
            s->sems[i].pid = p->pid;
            changed = true;
        }
        *u = x->next;
        free(x->adj);
        free(x);
    }
    if (changed) ipc_changed();
}

/* ---- message queues ---- */

struct kmsg { long type; size_t len; struct kmsg *next; char text[]; };
struct msg_queue {
    struct kperm perm;
    struct kmsg *head;
    uint64_t cbytes, qnum, qbytes;
    int lspid, lrpid;
    int64_t stime, rtime, ctime;
};
static uint64_t msg_total, msg_bytes;

static void msg_destroy(struct msg_queue *q)
{
    for (struct kmsg *m = q->head, *n; m; m = n) { n = m->next; msg_total--; msg_bytes -= m->len; free(m); }
    ipc_remove(&msg_ids, &q->perm);
    free(q);
    ipc_changed();
}

static int64_t sys_msgget(struct syscall *sc)
{
    struct task *t = sc->t;
    int32_t key = (int32_t)sc->a[0];
    int flg = (int)sc->a[1];
    struct msg_queue *q = key == IPC_PRIVATE ? NULL : ipc_find_key(&msg_ids, key);
    if (q) {
        if ((flg & IPC_CREAT) && (flg & IPC_EXCL)) return -EEXIST;
        int rc = ipcperms(t, &q->perm, flg);
        return rc ? rc : q->perm.id;
    }
    if (key != IPC_PRIVATE && !(flg & IPC_CREAT)) return -ENOENT;
    q = calloc(1, sizeof *q);
    if (!q) return -ENOMEM;
    perm_init(t, &q->perm, key, flg);
    q->qbytes = (uint64_t)ipc_limits.msgmnb;
    q->ctime = now_sec();
    int id = ipc_add(&msg_ids, &q->perm, ipc_limits.msgmni);
    if (id < 0) free(q);
    return id;
}

static int64_t sys_msgsnd(struct syscall *sc)
{
    struct task *t = sc->t;
    int id = (int)sc->a[0], flg = (int)sc->a[3];
    uint64_t msgp = sc->a[1];
    int64_t sz = (int64_t)sc->a[2];
    long type;
    if (guest_read(t->as, msgp, &type, sizeof type)) return -EFAULT;
    if (sz > ipc_limits.msgmax || sz < 0 || id < 0) return -EINVAL;
    if (type < 1) return -EINVAL;
    struct kmsg *m = malloc(sizeof *m + (size_t)sz);
    if (!m) return -ENOMEM;
    if (guest_read(t->as, msgp + sizeof type, m->text, (size_t)sz)) { free(m); return -EFAULT; }
    m->type = type; m->len = (size_t)sz; m->next = NULL;
    struct msg_queue *q = ipc_find(&msg_ids, id);
    int rc;
    if (!q) rc = retrying(t) ? -EIDRM : -EINVAL;
    else if ((rc = ipcperms(t, &q->perm, 0222))) {}
    else if (q->cbytes + (uint64_t)sz > q->qbytes || q->qnum + 1 > q->qbytes) {
        free(m);
        if (flg & IPC_NOWAIT) return -EAGAIN;
        return ipc_block(t, 0);
    } else {
        struct kmsg **e = &q->head;
        while (*e) e = &(*e)->next;
        *e = m;
        q->cbytes += (uint64_t)sz; q->qnum++;
        msg_total++; msg_bytes += (uint64_t)sz;
        q->lspid = t->proc->pid;
        q->stime = now_sec();
        ipc_changed();
        return 0;
    }
    free(m);
    return rc;
}

static int64_t sys_msgrcv(struct syscall *sc)
{
    struct task *t = sc->t;
    int id = (int)sc->a[0], flg = (int)sc->a[4];
    uint64_t msgp = sc->a[1];
    int64_t sz = (int64_t)sc->a[2];
    long typ = (long)sc->a[3];
    if (id < 0 || sz < 0) return -EINVAL;
    if (flg & MSG_COPY) {
        if ((flg & MSG_EXCEPT) || !(flg & IPC_NOWAIT)) return -EINVAL;
    }
    struct msg_queue *q = ipc_find(&msg_ids, id);
    if (!q) return retrying(t) ? -EIDRM : -EINVAL;
    int rc = ipcperms(t, &q->perm, 0444);
    if (rc) return rc;
    struct kmsg **found = NULL, **best = NULL;
    long idx = 0;
    for (struct kmsg **e = &q->head; *e && !found; e = &(*e)->next, idx++) {
        long mt = (*e)->type;
        if (flg & MSG_COPY) { if (idx == typ) found = e; }
        else if (typ == 0) found = e;
        else if (typ > 0) { if ((flg & MSG_EXCEPT) ? mt != typ : mt == typ) found = e; }
        else if (mt <= (typ == LONG_MIN ? LONG_MAX : -typ) && (!best || mt < (*best)->type)) best = e;
    }
    if (!found) found = best;
    if (!found) {
        if (flg & IPC_NOWAIT) return -ENOMSG;
        return ipc_block(t, 0);
    }
    struct kmsg *m = *found;
    if ((int64_t)m->len > sz && !(flg & MSG_NOERROR)) return -E2BIG;
    size_t n = (int64_t)m->len > sz ? (size_t)sz : m->len;
    if (flg & MSG_COPY) {
        if (guest_write(t->as, msgp, &m->type, sizeof m->type) || guest_write(t->as, msgp + sizeof m->type, m->text, n))
            return -EFAULT;
        return (int64_t)n;
    }
    *found = m->next;
    q->cbytes -= m->len; q->qnum--;
    msg_total--; msg_bytes -= m->len;
    q->lrpid = t->proc->pid;
    q->rtime = now_sec();
    ipc_changed();
    int64_t r = (int64_t)n;
    if (guest_write(t->as, msgp, &m->type, sizeof m->type) || guest_write(t->as, msgp + sizeof m->type, m->text, n))
        r = -EFAULT;
    free(m);
    return r;
}

static int64_t sys_msgctl(struct syscall *sc)
{
    struct task *t = sc->t;
    int id = (int)sc->a[0], cmd = (int)sc->a[1];
    uint64_t buf = sc->a[2];
    if (id < 0 || cmd < 0) return -EINVAL;
    switch (cmd) {
    case IPC_INFO: case MSG_INFO: {
        struct msginfo i = { .msgpool = 512000 /* MSGPOOL: MSGMNI*MSGMNB/1024 */, .msgmap = 16384,
                             .msgmax = ipc_limits.msgmax, .msgmnb = ipc_limits.msgmnb, .msgmni = ipc_limits.msgmni,
                             .msgssz = 16, .msgtql = 16384, .msgseg = 0xffff };
        if (cmd == MSG_INFO) { i.msgpool = msg_ids.in_use; i.msgmap = (int)msg_total; i.msgtql = (int)msg_bytes; }
        if (guest_write(t->as, buf, &i, sizeof i)) return -EFAULT;
        return msg_ids.max_idx < 0 ? 0 : msg_ids.max_idx;
    }
    case MSG_STAT: case MSG_STAT_ANY: case IPC_STAT: {
        struct msg_queue *q = cmd == IPC_STAT ? ipc_find(&msg_ids, id)
                              : (id < IPCMNI ? (struct msg_queue *)perm_at(&msg_ids, id) : NULL);
        if (!q) return -EINVAL;
        if (cmd != MSG_STAT_ANY) { int rc = ipcperms(t, &q->perm, 0444); if (rc) return rc; }
        struct msqid_ds d;
        memset(&d, 0, sizeof d);
        perm_out(&q->perm, &d.msg_perm);
        d.msg_stime = q->stime; d.msg_rtime = q->rtime; d.msg_ctime = q->ctime;
        d.__msg_cbytes = q->cbytes; d.msg_qnum = q->qnum; d.msg_qbytes = q->qbytes;
        d.msg_lspid = q->lspid; d.msg_lrpid = q->lrpid;
        if (guest_write(t->as, buf, &d, sizeof d)) return -EFAULT;
        return cmd == IPC_STAT ? 0 : q->perm.id;
    }
    case IPC_SET: case IPC_RMID: {
        struct msqid_ds d;
        if (cmd == IPC_SET && guest_read(t->as, buf, &d, sizeof d)) return -EFAULT;
        struct msg_queue *q = ipc_find(&msg_ids, id);
        if (!q) return -EINVAL;
        int rc = owner_check(t, &q->perm);
        if (rc) return rc;
        if (cmd == IPC_RMID) { msg_destroy(q); return 0; }
        if (d.msg_qbytes > (msglen_t)ipc_limits.msgmnb && !capable(t, CAP_SYS_RESOURCE_)) return -EPERM;
        q->qbytes = d.msg_qbytes;
        perm_set(&q->perm, &d.msg_perm);
        q->ctime = now_sec();
        ipc_changed();   /* senders may fit now */
        return 0;
    }
    default:
        return -EINVAL;
    }
}

/* ---- how arguments print (as strace) ---- */

static void fmt_ipc_key(struct strbuf *sb, struct syscall *sc, int i)
{
    int32_t k = (int32_t)sc->a[i];
    if (k == IPC_PRIVATE) sb_puts(sb, "IPC_PRIVATE");
    else sb_printf(sb, "%#x", (unsigned)k);
}

/* IPC_CREAT|IPC_EXCL|0600, strace's way (the permission bits last, in octal). The
 * control calls' structures print as pointers (strace decodes them). */
static void sb_ipc_flags(struct strbuf *sb, uint64_t v, const struct flag_name *extra)
{
    static const struct flag_name base[] = { { IPC_CREAT, "IPC_CREAT" }, { IPC_EXCL, "IPC_EXCL" }, { IPC_NOWAIT, "IPC_NOWAIT" }, { 0, NULL } };
    uint64_t rest = v & ~0777ULL;
    bool any = false;
    for (const struct flag_name *f = base; f->name; f++)
        if (rest & f->val) { sb_printf(sb, "%s%s", any ? "|" : "", f->name); rest &= ~f->val; any = true; }
    for (const struct flag_name *f = extra; f && f->name; f++)
        if (rest & f->val) { sb_printf(sb, "%s%s", any ? "|" : "", f->name); rest &= ~f->val; any = true; }
    if (rest) { sb_printf(sb, "%s%#llx", any ? "|" : "", (unsigned long long)rest); any = true; }
    sb_printf(sb, "%s%#03llo", any ? "|" : "", (unsigned long long)(v & 0777));   /* 000 when none */
}

static const struct flag_name shm_flag_names[] = { { SHM_HUGETLB, "SHM_HUGETLB" }, { SHM_NORESERVE, "SHM_NORESERVE" }, { 0, NULL } };
static void fmt_shmget_flags(struct strbuf *sb, struct syscall *sc, int i) { sb_ipc_flags(sb, sc->a[i], shm_flag_names); }
static void fmt_ipcget_flags(struct strbuf *sb, struct syscall *sc, int i) { sb_ipc_flags(sb, sc->a[i], NULL); }

static void fmt_shmat_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = { { SHM_RDONLY, "SHM_RDONLY" }, { SHM_RND, "SHM_RND" }, { SHM_REMAP, "SHM_REMAP" },
        { SHM_EXEC, "SHM_EXEC" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], m, "0");
}

static void sb_ipc_cmd(struct strbuf *sb, uint64_t v, const struct flag_name *t)
{
    static const struct flag_name base[] = { { IPC_RMID, "IPC_RMID" }, { IPC_SET, "IPC_SET" }, { IPC_STAT, "IPC_STAT" },
        { IPC_INFO, "IPC_INFO" }, { 0, NULL } };
    for (const struct flag_name *f = base; f->name; f++) if (f->val == v) { sb_puts(sb, f->name); return; }
    sb_enum(sb, v, t, "%#llx");
}

static void fmt_shmctl_cmd(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = { { SHM_STAT, "SHM_STAT" }, { SHM_INFO, "SHM_INFO" }, { SHM_STAT_ANY, "SHM_STAT_ANY" },
        { SHM_LOCK, "SHM_LOCK" }, { SHM_UNLOCK, "SHM_UNLOCK" }, { 0, NULL } };
    sb_ipc_cmd(sb, sc->a[i], m);
}

static void fmt_semctl_cmd(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = { { GETPID, "GETPID" }, { GETVAL, "GETVAL" }, { GETALL, "GETALL" },
        { GETNCNT, "GETNCNT" }, { GETZCNT, "GETZCNT" }, { SETVAL, "SETVAL" }, { SETALL, "SETALL" },
        { SEM_STAT, "SEM_STAT" }, { SEM_INFO, "SEM_INFO" }, { SEM_STAT_ANY, "SEM_STAT_ANY" }, { 0, NULL } };
    sb_ipc_cmd(sb, sc->a[i], m);
}


static void fmt_msgctl_cmd(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = { { MSG_STAT, "MSG_STAT" }, { MSG_INFO, "MSG_INFO" }, { MSG_STAT_ANY, "MSG_STAT_ANY" }, { 0, NULL } };
    sb_ipc_cmd(sb, sc->a[i], m);
}

/* [{sem_num=0, sem_op=-1, sem_flg=SEM_UNDO}] */
static void fmt_sembufs(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t n = sc->a[i + 1];
    if (!n || n > 64) { fmt_ptr(sb, sc, i); return; }
    struct sembuf ops[64];
    if (guest_read(sc->t->as, sc->a[i], ops, n * sizeof ops[0])) { fmt_ptr(sb, sc, i); return; }
    sb_putc(sb, '[');
    static const struct flag_name f[] = { { IPC_NOWAIT, "IPC_NOWAIT" }, { SEM_UNDO, "SEM_UNDO" }, { 0, NULL } };
    for (uint64_t k = 0; k < n; k++) {
        sb_printf(sb, "%s{sem_num=%u, sem_op=%d, sem_flg=", k ? ", " : "", ops[k].sem_num, ops[k].sem_op);
        sb_flags(sb, (uint16_t)ops[k].sem_flg, f, "0");
        sb_putc(sb, '}');
    }
    sb_putc(sb, ']');
}

static void fmt_timespec_ptr(struct strbuf *sb, struct syscall *sc, int i)
{
    struct timespec ts;
    if (!sc->a[i]) sb_puts(sb, "NULL");
    else if (guest_read(sc->t->as, sc->a[i], &ts, sizeof ts)) fmt_ptr(sb, sc, i);
    else sb_printf(sb, "{tv_sec=%lld, tv_nsec=%ld}", (long long)ts.tv_sec, ts.tv_nsec);
}

/* {mtype=1, mtext="hello"} */
static void fmt_msgbuf(struct strbuf *sb, struct syscall *sc, int i, uint64_t len)
{
    long type;
    if (guest_read(sc->t->as, sc->a[i], &type, sizeof type)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "{mtype=%ld, mtext=", type);
    sb_guest_bytes(sb, sc->t, sc->a[i] + sizeof type, len);
    sb_putc(sb, '}');
}
static void fmt_msgsnd_buf(struct strbuf *sb, struct syscall *sc, int i) { fmt_msgbuf(sb, sc, i, sc->a[2]); }
static void fmt_msgrcv_buf(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret < 0) fmt_ptr(sb, sc, i);
    else fmt_msgbuf(sb, sc, i, sc->a[2]);   /* strace shows the whole buffer */
}

static void fmt_msg_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = { { IPC_NOWAIT, "IPC_NOWAIT" }, { MSG_NOERROR, "MSG_NOERROR" },
        { MSG_EXCEPT, "MSG_EXCEPT" }, { MSG_COPY, "MSG_COPY" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], m, "0");
}

static void fmt_long(struct strbuf *sb, struct syscall *sc, int i) { sb_printf(sb, "%ld", (long)sc->a[i]); }

const struct syscall_def ipc_syscalls[] = {
    { SYS_shmget, "shmget", sys_shmget, 3, { IN(fmt_ipc_key), IN(fmt_uint), IN(fmt_shmget_flags) }, NULL },
    { SYS_shmat, "shmat", sys_shmat, 3, { IN(fmt_int), IN(fmt_ptr), IN(fmt_shmat_flags) }, ret_hex },
    { SYS_shmdt, "shmdt", sys_shmdt, 1, { IN(fmt_ptr) }, NULL },
    { SYS_shmctl, "shmctl", sys_shmctl, 3, { IN(fmt_int), IN(fmt_shmctl_cmd), IN(fmt_ptr) }, NULL },
    { SYS_semget, "semget", sys_semget, 3, { IN(fmt_ipc_key), IN(fmt_int), IN(fmt_ipcget_flags) }, NULL },
    { SYS_semop, "semop", sys_semop, 3, { IN(fmt_int), IN(fmt_sembufs), IN(fmt_uint) }, NULL },
    { SYS_semtimedop, "semtimedop", sys_semtimedop, 4, { IN(fmt_int), IN(fmt_sembufs), IN(fmt_uint), IN(fmt_timespec_ptr) }, NULL },
    { SYS_semctl, "semctl", sys_semctl, 4, { IN(fmt_int), IN(fmt_int), IN(fmt_semctl_cmd), IN(fmt_ptr) }, NULL },
    { SYS_msgget, "msgget", sys_msgget, 2, { IN(fmt_ipc_key), IN(fmt_ipcget_flags) }, NULL },
    { SYS_msgsnd, "msgsnd", sys_msgsnd, 4, { IN(fmt_int), IN(fmt_msgsnd_buf), IN(fmt_uint), IN(fmt_msg_flags) }, NULL },
    { SYS_msgrcv, "msgrcv", sys_msgrcv, 5, { IN(fmt_int), OUT(fmt_msgrcv_buf), IN(fmt_uint), IN(fmt_long), IN(fmt_msg_flags) }, NULL },
    { SYS_msgctl, "msgctl", sys_msgctl, 3, { IN(fmt_int), IN(fmt_msgctl_cmd), IN(fmt_ptr) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};

/* /proc/sysvipc/{shm,sem,msg}, in Linux's columns (ipc/shm.c, sem.c, msg.c). */
static void sysvipc_show(const char *which, FILE *out)
{
    if (!strcmp(which, "shm")) {
        fputs("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid"
              "      atime      dtime      ctime                   rss                  swap\n", out);
        for (int i = 0; i <= shm_ids.max_idx; i++) {
            struct shm_seg *s = (struct shm_seg *)perm_at(&shm_ids, i);
            if (!s) continue;
            fprintf(out, "%10d %10d  %4o %21llu %5u %5u  %5llu %5u %5u %5u %5u %10lld %10lld %10lld %21llu %21llu\n",
                    s->perm.key, s->perm.id, s->perm.mode, (unsigned long long)s->segsz, s->cpid, s->lpid,
                    (unsigned long long)shm_nattch(s), s->perm.uid, s->perm.gid, s->perm.cuid, s->perm.cgid,
                    (long long)s->atime, (long long)s->dtime, (long long)s->ctime,
                    (unsigned long long)(shm_rss(s) * PAGE_SIZE), 0ULL);
        }
    } else if (!strcmp(which, "sem")) {
        fputs("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n", out);
        for (int i = 0; i <= sem_ids.max_idx; i++) {
            struct sem_set *s = (struct sem_set *)perm_at(&sem_ids, i);
            if (!s) continue;
            fprintf(out, "%10d %10d  %4o %10u %5u %5u %5u %5u %10lld %10lld\n", s->perm.key, s->perm.id, s->perm.mode,
                    (unsigned)s->nsems, s->perm.uid, s->perm.gid, s->perm.cuid, s->perm.cgid,
                    (long long)s->otime, (long long)s->ctime);
        }
    } else {
        fputs("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid"
              "      stime      rtime      ctime\n", out);
        for (int i = 0; i <= msg_ids.max_idx; i++) {
            struct msg_queue *q = (struct msg_queue *)perm_at(&msg_ids, i);
            if (!q) continue;
            fprintf(out, "%10d %10d  %4o  %10llu %10llu %5u %5u %5u %5u %5u %5u %10lld %10lld %10lld\n",
                    q->perm.key, q->perm.id, q->perm.mode, (unsigned long long)q->cbytes, (unsigned long long)q->qnum,
                    q->lspid, q->lrpid, q->perm.uid, q->perm.gid, q->perm.cuid, q->perm.cgid,
                    (long long)q->stime, (long long)q->rtime, (long long)q->ctime);
        }
    }
}
