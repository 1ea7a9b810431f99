/* File locks between guest processes: POSIX record locks (fcntl F_SETLK, F_SETLKW,
 * F_GETLK), open file description locks (F_OFD_*) and flock.
 *
 * Every guest process lives in the one uniemu host process, so the host's locks cannot
 * tell them apart: the locks are kept here, as the kernel keeps them (fs/locks.c), on
 * the host file's (device, inode). A POSIX lock belongs to its file table (the kernel's
 * fl_owner, current->files: the threads of a process share it, a forked child does not)
 * and goes at any close of a descriptor of that file by the owner; F_GETLK reports the
 * guest pid that set it. OFD locks and flock locks belong to the open file description
 * and go when its last descriptor closes; F_OFD_GETLK reports l_pid -1. POSIX and OFD
 * locks conflict with each other; flock locks are a separate space (as on Linux, where
 * they do not interact). Ranges are split and merged per owner as the kernel does.
 *
 * A call that must wait (F_SETLKW, F_OFD_SETLKW, flock without LOCK_NB) blocks in the
 * scheduler and is retried when any lock is released (an unlock, a close, an exit); a
 * signal interrupts it (ERESTARTSYS: EINTR, or restarted with SA_RESTART). Before an
 * F_SETLKW waits, the chain of POSIX owners waiting for each other is followed as
 * posix_locks_deadlock does: EDEADLK when it comes back to the caller. Guest processes
 * blocked in a lock wait that nothing can end are a deadlock, reported as others are.
 *
 * The locks are not the host's: programs outside uniemu neither see nor respect them. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "syscalls/locks.h"
#include "scheduler/task.h"
#include "scheduler/sched.h"
#include "core/guest_mem.h"
#include "core/det.h"
#include "scheduler/signals.h"
#include "syscalls/cred.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define OFFSET_MAX INT64_MAX

enum lock_kind { LK_POSIX, LK_OFD, LK_FLOCK, LK_LEASE };

struct file_lock {
    enum lock_kind kind;
    int type;                    /* F_RDLCK or F_WRLCK (flock: LOCK_SH as F_RDLCK, LOCK_EX as F_WRLCK) */
    int64_t start, end;          /* inclusive; end OFFSET_MAX: to the end of the file, for ever */
    const void *owner;           /* POSIX: the fd_table; OFD and flock: the open_file */
    int pid;                     /* the guest process that set it (POSIX: F_GETLK's l_pid) */
    /* A lease being broken: the type it must come down to, and when it is forced to. */
    bool breaking;
    int break_to;
    uint64_t break_deadline;
    struct file_lock *next;
};

struct inode_locks {
    dev_t dev;
    ino_t ino;
    struct file_lock *locks;
    struct inode_locks *next;
};

static struct inode_locks *inodes;
static int nlocks;               /* every lock held: closes are free while there are none */

static struct inode_locks *inode_of(int host_fd, bool create)
{
    struct stat st;
    if (fstat(host_fd, &st) != 0) return NULL;
    for (struct inode_locks *n = inodes; n; n = n->next)
        if (n->dev == st.st_dev && n->ino == st.st_ino) return n;
    if (!create) return NULL;
    struct inode_locks *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->dev = st.st_dev; n->ino = st.st_ino;
    n->next = inodes;
    inodes = n;
    return n;
}

/* POSIX and OFD locks meet; flock locks and leases are spaces of their own. */
static int space(enum lock_kind k) { return k == LK_FLOCK ? 1 : k == LK_LEASE ? 2 : 0; }
static bool same_space(enum lock_kind a, enum lock_kind b) { return space(a) == space(b); }

static bool conflicts(const struct file_lock *held, enum lock_kind kind, const void *owner, int type, int64_t s, int64_t e)
{
    if (!same_space(held->kind, kind) || held->owner == owner) return false;
    if (held->type != F_WRLCK && type != F_WRLCK) return false;
    return held->start <= e && s <= held->end;
}

static struct file_lock *first_conflict(struct inode_locks *n, enum lock_kind kind, const void *owner, int type, int64_t s, int64_t e)
{
    for (struct file_lock *l = n ? n->locks : NULL; l; l = l->next)
        if (conflicts(l, kind, owner, type, s, e)) return l;
    return NULL;
}

static struct file_lock *lock_new(enum lock_kind kind, int type, int64_t s, int64_t e, const void *owner, int pid)
{
    struct file_lock *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->kind = kind; l->type = type; l->start = s; l->end = e; l->owner = owner; l->pid = pid;
    nlocks++;
    return l;
}

static void lock_free(struct file_lock *l) { free(l); nlocks--; }

/* The list is kept in order of start, as F_GETLK finds the first conflict. */
static void lock_insert(struct inode_locks *n, struct file_lock *nl)
{
    struct file_lock **pp = &n->locks;
    while (*pp && (*pp)->start <= nl->start) pp = &(*pp)->next;
    nl->next = *pp;
    *pp = nl;
}

static void released(void) { sched_wake_io(); }   /* waiters retry */

/* The owner's locks on n after setting [s, e] to type (F_UNLCK: removing it): overlapping
 * locks of another type are cut, same-type ones that overlap or touch are merged. */
static int apply(struct inode_locks *n, enum lock_kind kind, const void *owner, int pid, int type, int64_t s, int64_t e)
{
    bool changed = true;
    if (type != F_UNLCK)
        while (changed) {
            changed = false;
            for (struct file_lock **pp = &n->locks; *pp; pp = &(*pp)->next) {
                struct file_lock *l = *pp;
                if (l->kind != kind || l->owner != owner || l->type != type) continue;
                bool touch = l->start <= (e == OFFSET_MAX ? e : e + 1) && s <= (l->end == OFFSET_MAX ? l->end : l->end + 1);
                if (!touch) continue;
                if (l->start < s) s = l->start;
                if (l->end > e) e = l->end;
                *pp = l->next;
                lock_free(l);
                changed = true;
                break;
            }
        }
    bool freed = false;
    for (struct file_lock **pp = &n->locks; *pp;) {
        struct file_lock *l = *pp;
        if (l->kind != kind || l->owner != owner || l->end < s || l->start > e) { pp = &l->next; continue; }
        /* Overlaps: keep what lies outside [s, e]. */
        if (l->start < s && l->end > e) {
            struct file_lock *r = lock_new(kind, l->type, e + 1, l->end, owner, l->pid);
            if (!r) return -ENOLCK;
            l->end = s - 1;
            r->next = l->next;   /* right after l: still in order of start */
            l->next = r;
            pp = &r->next;
        } else if (l->start < s) {
            l->end = s - 1;
            pp = &l->next;
        } else if (l->end > e) {
            /* Its start moves up: out of the list and back in order. */
            *pp = l->next;
            l->start = e + 1;
            lock_insert(n, l);
            freed = true;
            continue;
        } else {
            *pp = l->next;
            lock_free(l);
            continue;
        }
        freed = true;
    }
    if (type != F_UNLCK) {
        struct file_lock *nl = lock_new(kind, type, s, e, owner, pid);
        if (!nl) return -ENOLCK;
        lock_insert(n, nl);
    }
    if (freed || type == F_UNLCK) released();
    return 0;
}

/* Every lock of this owner and kind on n goes (close, release). */
static bool drop_owner(struct inode_locks *n, enum lock_kind kind, const void *owner)
{
    bool any = false;
    for (struct file_lock **pp = &n->locks; *pp;) {
        struct file_lock *l = *pp;
        if (l->owner == owner && (kind == LK_POSIX ? l->kind == LK_POSIX : l->kind != LK_POSIX)) {
            *pp = l->next;
            lock_free(l);
            any = true;
        } else {
            pp = &l->next;
        }
    }
    return any;
}

void locks_file_closed(struct fd_table *owner, struct open_file *f)
{
    if (!nlocks || !f) return;
    struct inode_locks *n = inode_of(f->host_fd, false);
    if (n && drop_owner(n, LK_POSIX, owner)) released();
}

void locks_file_released(struct open_file *f)
{
    if (!nlocks || !f) return;
    struct inode_locks *n = inode_of(f->host_fd, false);
    if (n && drop_owner(n, LK_OFD, f)) released();
}

/* ---- fcntl ---- */

/* The guest's struct flock (x86-64: short, short, off_t, off_t, int). */
struct guest_flock {
    int16_t l_type, l_whence;
    int64_t l_start, l_len;
    int32_t l_pid;
    int32_t pad;
};

/* flock_to_posix_lock: the range [s, e] a struct flock names. */
static int lock_range(struct open_file *f, const struct guest_flock *fl, int64_t *s, int64_t *e)
{
    int64_t base;
    switch (fl->l_whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = lseek(f->host_fd, 0, SEEK_CUR); if (base < 0) base = 0; break;
    case SEEK_END: { struct stat st; if (fstat(f->host_fd, &st)) return -errno; base = st.st_size; break; }
    default: return -EINVAL;
    }
    if (fl->l_start > OFFSET_MAX - base) return -EOVERFLOW;
    int64_t start = base + fl->l_start;
    if (start < 0) return -EINVAL;
    int64_t end;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > OFFSET_MAX - start) return -EOVERFLOW;
        end = start + fl->l_len - 1;
    } else if (fl->l_len < 0) {
        end = start - 1;
        start += fl->l_len;
        if (start < 0) return -EINVAL;
    } else {
        end = OFFSET_MAX;
    }
    *s = start; *e = end;
    return 0;
}

/* The first lock that blocks task u's pending F_SETLKW, or NULL. */
static struct file_lock *waiting_for(struct task *u)
{
    if (u->state != TASK_BLOCKED || !u->in_syscall || u->sc.nr != SYS_fcntl || (int)u->sc.a[1] != F_SETLKW) return NULL;
    struct open_file *f = fd_get(u, (int)u->sc.a[0]);
    struct guest_flock fl;
    int64_t s, e;
    if (!f || guest_read(u->as, u->sc.a[2], &fl, sizeof fl) || lock_range(f, &fl, &s, &e)) return NULL;
    return first_conflict(inode_of(f->host_fd, false), LK_POSIX, u->files, fl.l_type, s, e);
}

/* posix_locks_deadlock: does the owner of `block` wait (through others) for `me`? */
static bool deadlock(const struct fd_table *me, struct file_lock *block)
{
    for (int depth = 0; block && depth < 10; depth++) {
        if (block->kind != LK_POSIX) return false;
        struct file_lock *next = NULL;
        for (int i = 0; i < ntasks && !next; i++) {
            struct task *u = all_tasks[i];
            if (u->state == TASK_BLOCKED && u->files == block->owner) next = waiting_for(u);
        }
        if (!next) return false;
        if (next->owner == me) return true;
        block = next;
    }
    return false;
}

static int64_t lease_fcntl(struct task *t, struct open_file *f, int cmd, int arg);

int64_t locks_fcntl(struct task *t, struct open_file *f, int cmd, uint64_t arg)
{
    if (cmd == F_SETLEASE || cmd == F_GETLEASE) return lease_fcntl(t, f, cmd, (int)arg);
    struct guest_flock fl;
    if (guest_read(t->as, arg, &fl, sizeof fl)) return -EFAULT;
    bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
    bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
    bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
    enum lock_kind kind = ofd ? LK_OFD : LK_POSIX;
    const void *owner = ofd ? (const void *)f : (const void *)t->files;
    if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && (get || fl.l_type != F_UNLCK)) return -EINVAL;
    if (ofd && fl.l_pid != 0) return -EINVAL;
    int64_t s, e;
    int rc = lock_range(f, &fl, &s, &e);
    if (rc) return rc;
    if (get) {
        struct file_lock *l = first_conflict(inode_of(f->host_fd, false), kind, owner, fl.l_type, s, e);
        if (!l) fl.l_type = F_UNLCK;
        else {
            fl.l_type = (int16_t)l->type;
            fl.l_whence = SEEK_SET;
            fl.l_start = l->start;
            fl.l_len = l->end == OFFSET_MAX ? 0 : l->end - l->start + 1;
            fl.l_pid = l->kind == LK_OFD ? -1 : l->pid;
        }
        return guest_write(t->as, arg, &fl, sizeof fl) ? -EFAULT : 0;
    }
    /* A read lock needs a descriptor open for reading, a write lock one for writing. */
    int acc = fcntl(f->host_fd, F_GETFL);
    if (acc < 0 || (acc & O_PATH)) return -EBADF;
    acc &= O_ACCMODE;
    if ((fl.l_type == F_RDLCK && acc == O_WRONLY) || (fl.l_type == F_WRLCK && acc == O_RDONLY))
        return -EBADF;
    struct inode_locks *n = inode_of(f->host_fd, fl.l_type != F_UNLCK);
    if (!n) return fl.l_type == F_UNLCK ? 0 : -ENOLCK;
    if (fl.l_type != F_UNLCK) {
        struct file_lock *l = first_conflict(n, kind, owner, fl.l_type, s, e);
        if (l) {
            if (!wait) return -EAGAIN;
            if (!ofd && deadlock(t->files, l)) return -EDEADLK;
            sched_block(t, WAIT_IO, 0, true, 0);
            return RET_BLOCK;
        }
    }
    return apply(n, kind, owner, t->proc->pid, fl.l_type, s, e);
}

/* ---- leases (F_SETLEASE, F_GETLEASE) ----
 * generic_setlease and __break_lease: a lease belongs to the open file description. An
 * open by anyone that conflicts with it (for writing: any lease; for reading: a write
 * lease) sends SIGIO to the process that set it and waits until the holder removes or
 * downgrades it, or until the lease-break time (the host's /proc/sys/fs/lease-break-time,
 * in virtual seconds) has passed, when it is broken by force; O_NONBLOCK: EWOULDBLOCK.
 * truncate() breaks leases as an open for writing does. Only guest processes count. */

static struct file_lock *lease_of(struct inode_locks *n, const struct open_file *f)
{
    for (struct file_lock *l = n ? n->locks : NULL; l; l = l->next)
        if (l->kind == LK_LEASE && l->owner == f) return l;
    return NULL;
}

/* Other open file descriptions of the guest on this inode: how many for reading, for writing. */
static void open_counts(struct inode_locks *n, const struct open_file *self, int *readers, int *writers)
{
    *readers = *writers = 0;
    const struct open_file **seen = NULL;
    int nseen = 0, cap = 0;
    for (int i = 0; i < ntasks; i++) {
        struct task *u = all_tasks[i];
        if (u->state == TASK_DEAD || !u->files) continue;
        for (int fd = 0; fd < MAX_FDS; fd++) {
            struct open_file *g = u->files->fd[fd].f;
            if (!g || g == self) continue;
            bool dup = false;
            for (int k = 0; k < nseen && !dup; k++) dup = seen[k] == g;
            if (dup) continue;
            if (nseen == cap) {
                cap = cap ? 2 * cap : 16;
                const struct open_file **m = realloc(seen, (size_t)cap * sizeof *m);
                if (!m) { free(seen); return; }
                seen = m;
            }
            seen[nseen++] = g;
            struct stat st;
            if (fstat(g->host_fd, &st) || st.st_dev != n->dev || st.st_ino != n->ino) continue;
            int fl = fcntl(g->host_fd, F_GETFL);
            if (fl < 0 || (fl & O_PATH)) continue;
            if ((fl & O_ACCMODE) != O_WRONLY) (*readers)++;
            if ((fl & O_ACCMODE) != O_RDONLY) (*writers)++;
        }
    }
    free(seen);
}

static uint64_t lease_break_ns(void)
{
    long s = 45;
    FILE *fp = fopen("/proc/sys/fs/lease-break-time", "r");
    if (fp) { if (fscanf(fp, "%ld", &s) != 1) s = 45; fclose(fp); }
    return (uint64_t)(s < 0 ? 0 : s) * 1000000000ULL;
}

static int64_t lease_fcntl(struct task *t, struct open_file *f, int cmd, int arg)
{
    struct stat st;
    if (fstat(f->host_fd, &st)) return -EBADF;
    struct inode_locks *n = inode_of(f->host_fd, arg != F_UNLCK && cmd == F_SETLEASE);
    struct file_lock *l = lease_of(n, f);
    if (cmd == F_GETLEASE) return !l ? F_UNLCK : l->breaking ? l->break_to : l->type;
    if (arg != F_RDLCK && arg != F_WRLCK && arg != F_UNLCK) return -EINVAL;
    if (!S_ISREG(st.st_mode)) return -EINVAL;
    struct cred *c = cred_of(t->proc);
    if (c->fsuid != st.st_uid && !(guest_cap_effective(t->proc) & (1ULL << 28))) return -EACCES;   /* CAP_LEASE */
    if (arg == F_UNLCK) {
        if (!l) return -EAGAIN;
        for (struct file_lock **pp = &n->locks; *pp; pp = &(*pp)->next)
            if (*pp == l) { *pp = l->next; lock_free(l); break; }
        released();
        return 0;
    }
    if (!n) return -ENOLCK;
    if (l && l->breaking) {
        /* While breaking: only down to what the breaker needs, or below. */
        if (arg == F_WRLCK || (arg == F_RDLCK && l->break_to == F_UNLCK)) return -EAGAIN;
        l->type = F_RDLCK;
        l->breaking = false;
        released();
        return 0;
    }
    int fl = fcntl(f->host_fd, F_GETFL);
    bool self_w = (fl & O_ACCMODE) != O_RDONLY;
    int readers, writers;
    open_counts(n, f, &readers, &writers);
    if (arg == F_RDLCK && (self_w || writers)) return -EAGAIN;
    if (arg == F_WRLCK && (readers || writers)) return -EAGAIN;
    for (struct file_lock *o = n->locks; o; o = o->next)
        if (o->kind == LK_LEASE && o != l && (arg == F_WRLCK || o->type == F_WRLCK || o->breaking)) return -EAGAIN;
    if (l) { l->type = arg; released(); return 0; }
    struct file_lock *nl = lock_new(LK_LEASE, arg, 0, OFFSET_MAX, f, t->proc->pid);
    if (!nl) return -ENOLCK;
    lock_insert(n, nl);
    return 0;
}

int64_t locks_break_lease(struct task *t, int hdir, const char *path, int flags)
{
    bool any = false;
    for (struct inode_locks *n = inodes; n && !any; n = n->next)
        for (struct file_lock *l = n->locks; l && !any; l = l->next) any = l->kind == LK_LEASE;
    if (!any) return 0;
    struct stat st;
    if (fstatat(hdir, path, &st, (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0)) return 0;
    struct inode_locks *n = NULL;
    for (struct inode_locks *m = inodes; m; m = m->next)
        if (m->dev == st.st_dev && m->ino == st.st_ino) n = m;
    if (!n) return 0;
    bool want_write = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
    uint64_t now = det_now_ns(), wake = 0;
    bool blocked = false;
    for (struct file_lock **pp = &n->locks; *pp;) {
        struct file_lock *l = *pp;
        if (l->kind != LK_LEASE || (!want_write && l->type != F_WRLCK)) { pp = &l->next; continue; }
        int to = want_write ? F_UNLCK : F_RDLCK;
        if (!l->breaking || (to == F_UNLCK && l->break_to != F_UNLCK)) {
            if (!l->breaking) l->break_deadline = now + lease_break_ns();
            l->breaking = true;
            l->break_to = to;
            for (int i = 0; i < ntasks; i++) {
                struct task *h = all_tasks[i];
                if (h->state != TASK_DEAD && h->proc->pid == l->pid && !h->proc->zombie) {
                    sig_send_simple(h, SIGIO, SI_KERNEL, 0, false);
                    break;
                }
            }
        }
        if (now >= l->break_deadline) {
            /* The holder did not answer in time: broken by force. */
            if (l->break_to == F_UNLCK) { *pp = l->next; lock_free(l); continue; }
            l->type = F_RDLCK;
            l->breaking = false;
            pp = &l->next;
            continue;
        }
        blocked = true;
        if (!wake || l->break_deadline < wake) wake = l->break_deadline;
        pp = &l->next;
    }
    if (!blocked) return 0;
    if (flags & O_NONBLOCK) return -EWOULDBLOCK;
    sched_block(t, WAIT_IO, wake, true, 0);
    return RET_BLOCK;
}

/* ---- flock ---- */

static int64_t sys_flock(struct syscall *sc)
{
    struct task *t = sc->t;
    struct open_file *f = fd_get(t, (int)sc->a[0]);
    if (!f) return -EBADF;
    int op = (int)sc->a[1], how = op & ~LOCK_NB;
    int type = how == LOCK_SH ? F_RDLCK : how == LOCK_EX ? F_WRLCK : how == LOCK_UN ? F_UNLCK : -1;
    if (type < 0) return -EINVAL;
    int acc = fcntl(f->host_fd, F_GETFL);
    if (acc >= 0 && (acc & O_PATH)) return -EBADF;
    struct inode_locks *n = inode_of(f->host_fd, type != F_UNLCK);
    if (!n) return type == F_UNLCK ? 0 : -ENOLCK;
    struct file_lock *mine = NULL;
    for (struct file_lock *l = n->locks; l; l = l->next)
        if (l->kind == LK_FLOCK && l->owner == f) mine = l;
    if (mine && mine->type == type) return 0;
    /* flock_lock_inode: a conversion drops the old lock first (others may take it). */
    if (mine) apply(n, LK_FLOCK, f, t->proc->pid, F_UNLCK, 0, OFFSET_MAX);
    if (type == F_UNLCK) return 0;
    if (first_conflict(n, LK_FLOCK, f, type, 0, OFFSET_MAX)) {
        if (op & LOCK_NB) return -EWOULDBLOCK;
        sched_block(t, WAIT_IO, 0, true, 0);
        return RET_BLOCK;
    }
    return apply(n, LK_FLOCK, f, t->proc->pid, type, 0, OFFSET_MAX);
}

static void fmt_flock_op(struct strbuf *sb, struct syscall *sc, int i)
{
    int op = (int)sc->a[i], how = op & ~LOCK_NB;
    const char *name = how == LOCK_SH ? "LOCK_SH" : how == LOCK_EX ? "LOCK_EX" : how == LOCK_UN ? "LOCK_UN" : NULL;
    if (name) sb_puts(sb, name);
    else sb_printf(sb, "%#x", (unsigned)how);
    if (op & LOCK_NB) sb_puts(sb, "|LOCK_NB");
}

const struct syscall_def locks_syscalls[] = {
    { SYS_flock, "flock", sys_flock, 2, { IN(fmt_fd), IN(fmt_flock_op) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
