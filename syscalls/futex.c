/* futex: waiting on a 32-bit word of guest memory. A waiter is a task blocked with
 * WAIT_FUTEX on (address space, address); wakes go in the order tasks began to wait.
 * A word in shared memory (MAP_SHARED, SysV shm) is keyed by its place in the shared
 * object, as the kernel keys a shared futex by inode and offset, so that processes
 * mapping it meet there; other words by (address space, address). Timeouts are in
 * virtual time. */
#include "syscalls/syscall.h"
#include "scheduler/sched.h"
#include "scheduler/task.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include "core/addr_space.h"
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS 1000000000ULL

struct fkey { const void *space; uint64_t off; };

static struct fkey key_of(struct addr_space *as, uint64_t addr)
{
    const struct vma *v = as_find(as, addr);
    if (v && v->obj) return (struct fkey){ v->obj, v->obj_off + (addr - v->start) };
    return (struct fkey){ as, addr };
}

/* Blocked waiters on (as, addr) matching bitset, oldest first. */
static int waiters(struct addr_space *as, uint64_t addr, uint32_t bitset, struct task **out, int max)
{
    int n = 0, nlive;
    struct task *const *live = sched_live(&nlive);
    struct fkey k = key_of(as, addr);
    for (int i = 0; i < nlive && n < max; i++) {
        struct task *t = live[i];
        if (t->state != TASK_BLOCKED || t->wait != WAIT_FUTEX || !(t->wait_bitset & bitset)) continue;
        struct fkey tk = key_of(t->as, t->wait_addr);
        if (tk.space == k.space && tk.off == k.off)
            out[n++] = t;
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
    for (int i = 0; i < k; i++) sched_wake(w[i], 0);
    free(w);
    return k;
}

int futex_wake_addr(struct addr_space *as, uint64_t addr, int n) { return wake(as, addr, FUTEX_BITSET_MATCH_ANY, n); }

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
        else if (moved < nreq) { w[i]->wait_addr = addr2; moved++; }
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

static int64_t sys_futex(struct syscall *sc)
{
    struct task *t = sc->t;
    uint64_t addr = sc->a[0], tmo = sc->a[3], addr2 = sc->a[4];
    int op = (int)sc->a[1], cmd = op & FUTEX_CMD_MASK;
    uint32_t val = (uint32_t)sc->a[2], val3 = (uint32_t)sc->a[5];
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET) return -ENOSYS;
    switch (cmd) {
    case FUTEX_WAIT: return futex_wait(t, addr, val, tmo, FUTEX_BITSET_MATCH_ANY, false, false);
    case FUTEX_WAIT_BITSET: return futex_wait(t, addr, val, tmo, val3, true, realtime);
    case FUTEX_WAKE:
        if (addr & 3) return -EINVAL;
        return wake(t->as, addr, FUTEX_BITSET_MATCH_ANY, (int)val);
    case FUTEX_WAKE_BITSET:
        if (addr & 3 || !val3) return -EINVAL;
        return wake(t->as, addr, val3, (int)val);
    case FUTEX_REQUEUE: return futex_requeue(t, addr, (int)val, (int)tmo, addr2, false, 0);
    case FUTEX_CMP_REQUEUE: return futex_requeue(t, addr, (int)val, (int)tmo, addr2, true, val3);
    case FUTEX_WAKE_OP: return futex_wake_op(t, addr, (int)val, (int)tmo, addr2, val3);
    default: return -ENOSYS;   /* priority-inheritance futexes are not offered */
    }
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
static void fmt_futex_val(struct strbuf *sb, struct syscall *sc, int i) { sb_printf(sb, "%u", (unsigned)sc->a[i]); }

static void fmt_futex_a3(struct strbuf *sb, struct syscall *sc, int i)
{
    int cmd = cmd_of(sc);
    if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) {
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
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
