/* futex: waiting on a 32-bit word of guest memory. A waiter is a task blocked with
 * WAIT_FUTEX on (address space, address); wakes go in the order tasks began to wait.
 * A word in shared memory (MAP_SHARED, SysV shm) is keyed by its place in the shared
 * object, as the kernel keys a shared futex by inode and offset, so that processes
 * mapping it meet there; other words by (address space, address). Timeouts are in
 * virtual time.
 *
 * Priority-inheritance futexes keep the owner's TID in the word (FUTEX_WAITERS when
 * someone sleeps in the kernel, FUTEX_OWNER_DIED after a robust owner died). A PI
 * waiter is a WAIT_FUTEX task with an empty bitset, so no plain wake reaches it, and
 * with the owner it waits for (pi_owner): the kernel's pi_state, kept on the waiters.
 * All tasks have one priority, so the lock goes to the oldest waiter. */
#include "syscalls/syscall.h"
#include "scheduler/sched.h"
#include "scheduler/task.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include "core/addr_space.h"
#include "syscalls/cred.h"
#include <errno.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define NS 1000000000ULL

struct fkey { const void *space; uint64_t off; };

static struct fkey key_of(struct addr_space *as, uint64_t addr)
{
    const struct vma *v = as_find(as, addr);
    if (v && v->obj) return (struct fkey){ v->obj, v->obj_off + (addr - v->start) };
    return (struct fkey){ as, addr };
}

/* Which of the words a blocked task waits on is k: its index (futex_waitv waits on
 * several), or -1. */
static int waits_on(const struct task *t, struct fkey k)
{
    int n = t->waitv_n ? t->waitv_n : 1;
    for (int i = 0; i < n; i++) {
        struct fkey tk = key_of(t->as, t->waitv_n ? t->waitv[i] : t->wait_addr);
        if (tk.space == k.space && tk.off == k.off) return i;
    }
    return -1;
}

/* Blocked waiters on (as, addr) matching bitset (0: the PI waiters), oldest first. */
static int waiters(struct addr_space *as, uint64_t addr, uint32_t bitset, struct task **out, int max)
{
    int n = 0, nlive;
    struct task *const *live = sched_live(&nlive);
    struct fkey k = key_of(as, addr);
    for (int i = 0; i < nlive && n < max; i++) {
        struct task *t = live[i];
        if (t->state != TASK_BLOCKED || t->wait != WAIT_FUTEX) continue;
        /* bitset 0 asks for the PI waiters, which no other bitset reaches. */
        if (bitset ? !(t->wait_bitset & bitset) : t->wait_bitset != 0) continue;
        if (waits_on(t, k) >= 0) out[n++] = t;
    }
    /* Live tasks are in tid order: sort by when each began to wait. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j]->block_seq < out[j - 1]->block_seq; j--) {
            struct task *x = out[j]; out[j] = out[j - 1]; out[j - 1] = x;
        }
    return n;
}

static int wake(struct addr_space *as, uint64_t addr, uint32_t bitset, int n)
{
    if (n <= 0) return 0;
    struct task **w = malloc(ntasks * sizeof *w);
    if (!w) return 0;
    int k = waiters(as, addr, bitset, w, ntasks);
    if (k > n) k = n;
    /* futex_waitv returns the index of the word that woke it. */
    for (int i = 0; i < k; i++) sched_wake(w[i], w[i]->waitv_n ? waits_on(w[i], key_of(as, addr)) : 0);
    free(w);
    return k;
}

int futex_wake_addr(struct addr_space *as, uint64_t addr, int n) { return wake(as, addr, FUTEX_BITSET_MATCH_ANY, n); }

/* A shared futex's key is found through the page (get_futex_key pins it): an address
 * that is not mapped, not readable, or past the end of its file (SIGBUS there) is
 * EFAULT even for calls that do not read the word. A private key is the address. */
static int shared_key_ok(struct task *t, uint64_t addr, bool shared)
{
    if (!shared) return 0;
    uint32_t w;
    if (guest_read(t->as, addr, &w, 4)) return -EFAULT;
    struct addr_space *as = t->as;
    for (size_t i = 0; i < as->nshared; i++) {
        const struct shared_file_map *m = &as->shared[i];
        struct stat st;
        if (addr < m->start || addr >= m->end || fstat(m->host_fd, &st) != 0) continue;
        if (m->offset + (addr - m->start) >= (uint64_t)st.st_size) return -EFAULT;
    }
    return 0;
}

static int read_timeout(struct task *t, uint64_t addr, uint64_t *ns)
{
    struct timespec ts;
    if (guest_read(t->as, addr, &ts, sizeof ts)) return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NS) return -EINVAL;
    /* Saturates: a huge tv_sec must not wrap to a short timeout. */
    uint64_t sec = (uint64_t)ts.tv_sec, sub = (uint64_t)ts.tv_nsec;
    *ns = sec > (UINT64_MAX - sub) / NS ? UINT64_MAX : sec * NS + sub;
    return 0;
}

/* FUTEX_WAIT (relative timeout) and FUTEX_WAIT_BITSET (absolute). */
static int64_t futex_wait(struct task *t, uint64_t addr, uint32_t val, uint64_t tmo, uint32_t bitset, bool absolute, bool realtime)
{
    if (addr & 3) return -EINVAL;
    if (!bitset) return -EINVAL;
    uint64_t deadline = 0;
    bool expired = false;
    if (tmo) {
        uint64_t ns;
        int rc = read_timeout(t, tmo, &ns);
        if (rc) return rc;
        uint64_t now = det_now_ns();
        if (absolute) {
            /* Absolute times count from the clocks' own origins (syscalls/time.c). */
            uint64_t base = realtime ? (uint64_t)DET_EPOCH_SEC * NS : DET_UPTIME_AT_START_NS;
            ns = ns > base ? ns - base : 0;
            expired = ns <= now;
            deadline = ns == UINT64_MAX ? 0 : ns;
        } else {
            expired = ns == 0;
            deadline = ns < UINT64_MAX - now ? now + ns : 0;   /* past the clock's range: none */
        }
    }
    /* The word is checked first: a changed value is EAGAIN even past the deadline. */
    uint32_t cur;
    if (guest_read(t->as, addr, &cur, 4)) return -EFAULT;
    if (cur != val) return -EAGAIN;
    if (expired) return -ETIMEDOUT;
    t->wait_addr = addr;
    t->wait_bitset = bitset;
    t->waitv_n = 0;
    sched_block(t, WAIT_FUTEX, deadline, false, -ETIMEDOUT);
    return RET_BLOCK;
}

static int64_t futex_requeue(struct task *t, uint64_t addr, int nwake, int nreq, uint64_t addr2, bool cmp, uint32_t val3)
{
    if ((addr | addr2) & 3) return -EINVAL;
    if (nwake < 0 || nreq < 0) return -EINVAL;
    if (cmp) {
        uint32_t cur;
        if (guest_read(t->as, addr, &cur, 4)) return -EFAULT;
        if (cur != val3) return -EAGAIN;
    }
    struct task **w = malloc((ntasks ? ntasks : 1) * sizeof *w);
    if (!w) return -ENOMEM;
    int k = waiters(t->as, addr, FUTEX_BITSET_MATCH_ANY, w, ntasks), done = 0, moved = 0;
    for (int i = 0; i < k; i++) {
        if (done < nwake) { sched_wake(w[i], 0); done++; }
        else if (moved < nreq) {
        /* A futex_waitv waiter moves only the word that matched. */
        int at = w[i]->waitv_n ? waits_on(w[i], key_of(t->as, addr)) : -1;
        if (at >= 0) w[i]->waitv[at] = addr2; else w[i]->wait_addr = addr2;
        moved++;
    }
    }
    free(w);
    /* FUTEX_CMP_REQUEUE counts the requeued waiters too. */
    return cmp ? done + moved : done;
}

static int64_t futex_wake_op(struct task *t, uint64_t addr, int nwake, int nwake2, uint64_t addr2, uint32_t op)
{
    if ((addr | addr2) & 3) return -EINVAL;
    int kind = (op >> 28) & 7, cmp = (op >> 24) & 15;
    uint32_t oparg = (op >> 12) & 0xfff, cmparg = op & 0xfff;
    if (op & ((uint32_t)FUTEX_OP_OPARG_SHIFT << 28)) { if (oparg > 31) return -EINVAL; oparg = 1u << oparg; }
    /* Arguments are sign-extended 12-bit values. */
    int32_t soparg = (op & ((uint32_t)FUTEX_OP_OPARG_SHIFT << 28)) ? (int32_t)oparg : ((int32_t)(oparg << 20) >> 20);
    int32_t scmparg = (int32_t)(cmparg << 20) >> 20;
    uint32_t old, nv;
    if (guest_read(t->as, addr2, &old, 4)) return -EFAULT;
    switch (kind) {
    case FUTEX_OP_SET: nv = (uint32_t)soparg; break;
    case FUTEX_OP_ADD: nv = old + (uint32_t)soparg; break;
    case FUTEX_OP_OR: nv = old | (uint32_t)soparg; break;
    case FUTEX_OP_ANDN: nv = old & ~(uint32_t)soparg; break;
    case FUTEX_OP_XOR: nv = old ^ (uint32_t)soparg; break;
    default: return -ENOSYS;
    }
    if (guest_write(t->as, addr2, &nv, 4)) return -EFAULT;
    int r = wake(t->as, addr, FUTEX_BITSET_MATCH_ANY, nwake);
    bool c;
    int32_t o = (int32_t)old;
    switch (cmp) {
    case FUTEX_OP_CMP_EQ: c = o == scmparg; break;
    case FUTEX_OP_CMP_NE: c = o != scmparg; break;
    case FUTEX_OP_CMP_LT: c = o < scmparg; break;
    case FUTEX_OP_CMP_LE: c = o <= scmparg; break;
    case FUTEX_OP_CMP_GT: c = o > scmparg; break;
    case FUTEX_OP_CMP_GE: c = o >= scmparg; break;
    default: return -ENOSYS;
    }
    if (c) r += wake(t->as, addr2, FUTEX_BITSET_MATCH_ANY, nwake2);
    return r;
}

/* ---- priority inheritance (FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI) ---- */

static int pi_waiters(struct addr_space *as, uint64_t addr, struct task ***out)
{
    *out = malloc((ntasks ? ntasks : 1) * sizeof **out);
    return *out ? waiters(as, addr, 0, *out, ntasks) : 0;
}

/* The lock passes to w[0], the oldest waiter: the word gets its TID and FUTEX_WAITERS
 * (the kernel sets it whenever it hands over), keeping OWNER_DIED if asked. */
static void pi_hand_over(struct task **w, int n, uint32_t keep)
{
    struct task *to = w[0];
    uint32_t nv = (uint32_t)to->tid | FUTEX_WAITERS | keep;
    if (guest_write(to->as, to->wait_addr, &nv, 4)) { sched_wake(to, -EFAULT); return; }
    for (int i = 1; i < n; i++) w[i]->pi_owner = to->tid;
    sched_wake(to, 0);
}

/* Would t waiting for owner close a cycle of PI waiters (the rt_mutex chain walk)? */
static bool pi_chain_deadlocks(const struct task *t, int owner)
{
    for (int steps = 0; owner && steps <= ntasks; steps++) {
        if (owner == t->tid) return true;
        struct task *o = task_by_tid(owner);
        if (!o || o->state != TASK_BLOCKED || o->wait != WAIT_FUTEX || o->wait_bitset) return false;
        owner = o->pi_owner;
    }
    return false;
}

static int64_t futex_lock_pi(struct task *t, uint64_t addr, uint64_t tmo, bool trylock, bool realtime)
{
    if (addr & 3) return -EINVAL;
    uint64_t deadline = 0;
    bool expired = false;
    if (tmo && !trylock) {
        uint64_t ns;
        int rc = read_timeout(t, tmo, &ns);
        if (rc) return rc;
        uint64_t base = realtime ? (uint64_t)DET_EPOCH_SEC * NS : DET_UPTIME_AT_START_NS;
        ns = ns > base ? ns - base : 0;
        expired = ns <= det_now_ns();
        deadline = ns == UINT64_MAX ? 0 : ns;
    }
    uint32_t cur;
    if (guest_read(t->as, addr, &cur, 4)) return -EFAULT;
    int owner = (int)(cur & FUTEX_TID_MASK);
    if (owner == t->tid) return -EDEADLK;
    if (!owner) {
        /* Free (perhaps with OWNER_DIED): take it. */
        struct task **w;
        int n = pi_waiters(t->as, addr, &w);
        free(w);
        uint32_t nv = (uint32_t)t->tid | (cur & FUTEX_OWNER_DIED) | (n ? FUTEX_WAITERS : 0);
        return guest_write(t->as, addr, &nv, 4) ? -EFAULT : 0;
    }
    struct task *o = task_by_tid(owner);
    if (!o) return -ESRCH;   /* the owner is gone and nobody cleaned up the word */
    uint32_t nv = cur | FUTEX_WAITERS;
    if (nv != cur && guest_write(t->as, addr, &nv, 4)) return -EFAULT;
    if (trylock) return -EWOULDBLOCK;
    if (pi_chain_deadlocks(t, owner)) return -EDEADLK;
    if (expired) return -ETIMEDOUT;
    t->wait_addr = addr;
    t->wait_bitset = 0;
    t->waitv_n = 0;
    t->pi_owner = owner;
    sched_block(t, WAIT_FUTEX, deadline, false, -ETIMEDOUT);
    return RET_BLOCK;
}

static int64_t futex_unlock_pi(struct task *t, uint64_t addr)
{
    if (addr & 3) return -EINVAL;
    uint32_t cur;
    if (guest_read(t->as, addr, &cur, 4)) return -EFAULT;
    if ((int)(cur & FUTEX_TID_MASK) != t->tid) return -EPERM;
    struct task **w;
    int n = pi_waiters(t->as, addr, &w);
    if (n) pi_hand_over(w, n, 0);
    free(w);
    if (n) return 0;
    uint32_t zero = 0;
    return guest_write(t->as, addr, &zero, 4) ? -EFAULT : 0;
}

/* ---- a task's end: its robust list, then the PI futexes it held ---- */

/* The kernel's handle_futex_death for one word of the dying task t. false: stop. */
static bool robust_death(struct task *t, uint64_t uaddr, bool pi, bool pending)
{
    if (uaddr & 3) return false;
    uint32_t cur;
    if (guest_read(t->as, uaddr, &cur, 4)) return false;
    int owner = (int)(cur & FUTEX_TID_MASK);
    /* Died between taking the pending slot and the lock: the waiter it might have
     * been woken for must not sleep on. */
    if (pending && !pi && !owner) { futex_wake_addr(t->as, uaddr, 1); return true; }
    if (owner != t->tid) return true;
    uint32_t nv = (cur & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if (guest_write(t->as, uaddr, &nv, 4)) return false;
    if (!pi && (cur & FUTEX_WAITERS)) futex_wake_addr(t->as, uaddr, 1);
    return true;
}

#define ROBUST_LIST_LIMIT 2048

/* struct robust_list_head: next (bit 0: the entry is a PI futex), futex_offset,
 * list_op_pending. Every read or write that faults ends the walk. */
static void robust_list_walk(struct task *t)
{
    uint64_t head = t->robust_list, h[3];
    if (!head || guest_read(t->as, head, h, sizeof h)) return;
    uint64_t entry = h[0] & ~1ULL, pending = h[2] & ~1ULL;
    bool pi = h[0] & 1, pending_pi = h[2] & 1;
    int64_t off = (int64_t)h[1];
    for (int limit = ROBUST_LIST_LIMIT; entry != head && limit > 0; limit--) {
        uint64_t next;
        bool bad = guest_read(t->as, entry, &next, 8) != 0;
        if (entry != pending && !robust_death(t, entry + (uint64_t)off, pi, false)) return;
        if (bad) return;
        pi = next & 1;
        entry = next & ~1ULL;
    }
    if (pending) robust_death(t, pending + (uint64_t)off, pending_pi, true);
}

bool futex_may_read_robust(struct task *caller, struct task *target)
{
    const struct cred *c = cred_of(caller->proc);
    if (target && (caller->proc == target->proc || (c->cap_eff & (1ULL << CAP_SYS_PTRACE)))) return true;
    /* init is outside the guest's world (as a container's host init is outside its
     * user namespace): never readable. */
    if (!target) return false;
    const struct cred *t = cred_of(target->proc);
    return c->uid == t->uid && c->uid == t->euid && c->uid == t->suid &&
           c->gid == t->gid && c->gid == t->egid && c->gid == t->sgid;
}

void futex_task_release(struct task *t)
{
    if (!t->as) return;
    robust_list_walk(t);
    t->robust_list = 0;
    /* Each PI futex t owned with waiters goes to its oldest waiter (exit_pi_state_list),
     * OWNER_DIED kept from the robust walk. */
    int nlive;
    struct task *const *live = sched_live(&nlive);
    struct task **w = malloc((ntasks ? ntasks : 1) * sizeof *w);
    if (!w) return;
    for (int i = 0; i < nlive; i++) {
        struct task *x = live[i];
        if (x->state != TASK_BLOCKED || x->wait != WAIT_FUTEX || x->wait_bitset || x->pi_owner != t->tid) continue;
        int n = waiters(x->as, x->wait_addr, 0, w, ntasks);
        uint32_t cur = 0;
        guest_read(w[0]->as, w[0]->wait_addr, &cur, 4);
        pi_hand_over(w, n, cur & FUTEX_OWNER_DIED);
    }
    free(w);
}

static int64_t sys_futex(struct syscall *sc)
{
    struct task *t = sc->t;
    uint64_t addr = sc->a[0], tmo = sc->a[3], addr2 = sc->a[4];
    int op = (int)sc->a[1], cmd = op & FUTEX_CMD_MASK;
    uint32_t val = (uint32_t)sc->a[2], val3 = (uint32_t)sc->a[5];
    bool realtime = op & FUTEX_CLOCK_REALTIME, shared = !(op & FUTEX_PRIVATE_FLAG);
    int rc;
    if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
        return -ENOSYS;
    switch (cmd) {
    case FUTEX_WAIT: return futex_wait(t, addr, val, tmo, FUTEX_BITSET_MATCH_ANY, false, false);
    case FUTEX_WAIT_BITSET: return futex_wait(t, addr, val, tmo, val3, true, realtime);
    case FUTEX_WAKE:
        if (addr & 3) return -EINVAL;
        if ((rc = shared_key_ok(t, addr, shared))) return rc;
        return wake(t->as, addr, FUTEX_BITSET_MATCH_ANY, (int)val);
    case FUTEX_WAKE_BITSET:
        if (addr & 3 || !val3) return -EINVAL;
        if ((rc = shared_key_ok(t, addr, shared))) return rc;
        return wake(t->as, addr, val3, (int)val);
    case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: case FUTEX_WAKE_OP:
        if ((addr | addr2) & 3) return -EINVAL;
        if ((rc = shared_key_ok(t, addr, shared)) || (rc = shared_key_ok(t, addr2, shared))) return rc;
        if (cmd == FUTEX_WAKE_OP) return futex_wake_op(t, addr, (int)val, (int)tmo, addr2, val3);
        return futex_requeue(t, addr, (int)val, (int)tmo, addr2, cmd == FUTEX_CMP_REQUEUE, val3);
    /* LOCK_PI's timeout is on CLOCK_REALTIME; LOCK_PI2's on CLOCK_MONOTONIC unless asked. */
    case FUTEX_LOCK_PI: return futex_lock_pi(t, addr, tmo, false, true);
    case FUTEX_LOCK_PI2: return futex_lock_pi(t, addr, tmo, false, realtime);
    case FUTEX_TRYLOCK_PI: return futex_lock_pi(t, addr, 0, true, false);
    case FUTEX_UNLOCK_PI: return futex_unlock_pi(t, addr);
    default: return -ENOSYS;
    }
}

/* ---- futex_waitv: wait on up to 128 words at once ---- */

#define FUTEX_WAITV_MAX 128
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_SIZE_MASK 0x03
#define FUTEX2_NUMA 0x04
#define FUTEX2_PRIVATE 128

struct futex_waitv_k { uint64_t val, uaddr; uint32_t flags, reserved; };

static int64_t sys_futex_waitv(struct syscall *sc)
{
    struct task *t = sc->t;
    uint64_t list = sc->a[0], tmo = sc->a[3];
    unsigned n = (unsigned)sc->a[1];
    int clock = (int)sc->a[4];
    /* The kernel's order: flags, count, the timeout, then each entry. */
    if (sc->a[2]) return -EINVAL;
    if (!n || n > FUTEX_WAITV_MAX || !list) return -EINVAL;
    uint64_t deadline = 0;
    bool expired = false;
    if (tmo) {
        if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) return -EINVAL;
        uint64_t ns;
        int rc = read_timeout(t, tmo, &ns);
        if (rc) return rc;
        uint64_t base = clock == CLOCK_REALTIME ? (uint64_t)DET_EPOCH_SEC * NS : DET_UPTIME_AT_START_NS;
        ns = ns > base ? ns - base : 0;
        expired = ns <= det_now_ns();
        deadline = ns == UINT64_MAX ? 0 : ns;
    }
    struct futex_waitv_k v[FUTEX_WAITV_MAX];
    if (guest_read(t->as, list, v, n * sizeof v[0])) return -EFAULT;
    for (unsigned i = 0; i < n; i++) {
        if ((v[i].flags & ~(FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_PRIVATE)) || v[i].reserved) return -EINVAL;
        if ((v[i].flags & FUTEX2_SIZE_MASK) != FUTEX2_SIZE_U32 || (v[i].flags & FUTEX2_NUMA)) return -EINVAL;
        if (v[i].val > UINT32_MAX) return -EINVAL;
    }
    for (unsigned i = 0; i < n; i++) if (v[i].uaddr & 3) return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        uint32_t cur;
        if (guest_read(t->as, v[i].uaddr, &cur, 4)) return -EFAULT;
        if (cur != (uint32_t)v[i].val) return -EAGAIN;
    }
    if (expired) return -ETIMEDOUT;
    uint64_t *addrs = realloc(t->waitv, n * sizeof *addrs);
    if (!addrs) return -ENOMEM;
    for (unsigned i = 0; i < n; i++) addrs[i] = v[i].uaddr;
    t->waitv = addrs;
    t->waitv_n = (int)n;
    t->wait_addr = v[0].uaddr;
    t->wait_bitset = FUTEX_BITSET_MATCH_ANY;
    sched_block(t, WAIT_FUTEX, deadline, false, -ETIMEDOUT);
    return RET_BLOCK;
}

/* ---- how arguments print (as strace) ---- */

static const struct flag_name futex_cmds[] = {
    { FUTEX_WAIT, "FUTEX_WAIT" }, { FUTEX_WAKE, "FUTEX_WAKE" }, { FUTEX_FD, "FUTEX_FD" },
    { FUTEX_REQUEUE, "FUTEX_REQUEUE" }, { FUTEX_CMP_REQUEUE, "FUTEX_CMP_REQUEUE" },
    { FUTEX_WAKE_OP, "FUTEX_WAKE_OP" }, { FUTEX_LOCK_PI, "FUTEX_LOCK_PI" },
    { FUTEX_UNLOCK_PI, "FUTEX_UNLOCK_PI" }, { FUTEX_TRYLOCK_PI, "FUTEX_TRYLOCK_PI" },
    { FUTEX_WAIT_BITSET, "FUTEX_WAIT_BITSET" }, { FUTEX_WAKE_BITSET, "FUTEX_WAKE_BITSET" },
    { FUTEX_WAIT_REQUEUE_PI, "FUTEX_WAIT_REQUEUE_PI" }, { FUTEX_CMP_REQUEUE_PI, "FUTEX_CMP_REQUEUE_PI" },
    { FUTEX_LOCK_PI2, "FUTEX_LOCK_PI2" }, { 0, NULL },
};

static void fmt_futex_op(struct strbuf *sb, struct syscall *sc, int i)
{
    int op = (int)sc->a[i];
    sb_enum(sb, op & FUTEX_CMD_MASK, futex_cmds, "%#llx");
    if (op & FUTEX_PRIVATE_FLAG) sb_puts(sb, "_PRIVATE");
    if (op & FUTEX_CLOCK_REALTIME) sb_puts(sb, "|FUTEX_CLOCK_REALTIME");
}

static int cmd_of(struct syscall *sc) { return (int)sc->a[1] & FUTEX_CMD_MASK; }

/* The remaining arguments depend on the command, as strace shows them. */
static bool is_pi_lock(int cmd) { return cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_TRYLOCK_PI || cmd == FUTEX_UNLOCK_PI; }

static void fmt_futex_val(struct strbuf *sb, struct syscall *sc, int i)
{
    if (!is_pi_lock(cmd_of(sc))) sb_printf(sb, "%u", (unsigned)sc->a[i]);
}

static void fmt_futex_a3(struct strbuf *sb, struct syscall *sc, int i)
{
    int cmd = cmd_of(sc);
    if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2) {
        struct timespec ts;
        if (!sc->a[i]) sb_puts(sb, "NULL");
        else if (guest_read(sc->t->as, sc->a[i], &ts, sizeof ts)) sb_printf(sb, "%#llx", (unsigned long long)sc->a[i]);
        else sb_printf(sb, "{tv_sec=%lld, tv_nsec=%ld}", (long long)ts.tv_sec, ts.tv_nsec);
    } else if (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP) {
        sb_printf(sb, "%u", (unsigned)sc->a[i]);
    }
}

static void fmt_futex_a4(struct strbuf *sb, struct syscall *sc, int i)
{
    int cmd = cmd_of(sc);
    if (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP) fmt_ptr(sb, sc, i);
    else if (cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET) sb_puts(sb, "NULL");
}

static void fmt_futex_a5(struct strbuf *sb, struct syscall *sc, int i)
{
    int cmd = cmd_of(sc);
    uint32_t v = (uint32_t)sc->a[i];
    if (cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET) {
        if (v == FUTEX_BITSET_MATCH_ANY) sb_puts(sb, "FUTEX_BITSET_MATCH_ANY");
        else sb_printf(sb, "%#x", v);
    } else if (cmd == FUTEX_CMP_REQUEUE) {
        sb_printf(sb, "%u", v);
    } else if (cmd == FUTEX_WAKE_OP) {
        static const char *const ops[] = { "FUTEX_OP_SET", "FUTEX_OP_ADD", "FUTEX_OP_OR", "FUTEX_OP_ANDN", "FUTEX_OP_XOR" };
        static const char *const cmps[] = { "FUTEX_OP_CMP_EQ", "FUTEX_OP_CMP_NE", "FUTEX_OP_CMP_LT",
                                            "FUTEX_OP_CMP_LE", "FUTEX_OP_CMP_GT", "FUTEX_OP_CMP_GE" };
        int kind = (v >> 28) & 7, cmp = (v >> 24) & 15;
        sb_printf(sb, "{op=%s%s, oparg=%u, cmp=%s, cmparg=%u}", kind < 5 ? ops[kind] : "?",
                  (v >> 28) & 8 ? "<<" : "", (v >> 12) & 0xfff, cmp < 6 ? cmps[cmp] : "?", v & 0xfff);
    }
}

/* strace prints only the arguments a command uses: the formatters above write nothing
 * for the others, and an empty argument is dropped from the line. */
const struct syscall_def futex_syscalls[] = {
    { SYS_futex, "futex", sys_futex, 6,
      { IN(fmt_ptr), IN(fmt_futex_op), IN(fmt_futex_val), IN(fmt_futex_a3), IN(fmt_futex_a4), IN(fmt_futex_a5) }, NULL },
    { SYS_futex_waitv, "futex_waitv", sys_futex_waitv, 5, { IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex), IN(fmt_ptr), IN(fmt_int) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
