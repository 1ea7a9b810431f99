/* Scheduling attributes the guest sets and reads back: policy and real-time priority
 * (sched_setscheduler, sched_setparam, sched_setattr and their getters), nice values
 * (setpriority, getpriority), CPU affinity on the machine of GUEST_NCPUS CPUs
 * (syscalls/machine.h), and the priority ranges and round-robin slice Linux reports.
 *
 * uniemu's own scheduler decides which task runs (the seed and the strategy): these
 * values change nothing about it, as on a machine where every task gets its turn. They
 * are kept per thread, checked as Linux checks them (EINVAL for a bad policy or
 * priority, ESRCH for no such thread, EPERM for a real-time policy and EACCES for a
 * lower nice value without CAP_SYS_NICE), inherited by clone (SCHED_RESET_ON_FORK
 * honoured) and read back as set. */
#include "syscalls/syscall.h"
#include "syscalls/machine.h"
#include "syscalls/cred.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define SCHED_DEADLINE_ 6
#define SCHED_RESET_ON_FORK_ 0x40000000
#define CAP_SYS_NICE_ 23
#define RR_TIMESLICE_NS 100000000ULL   /* Linux's RR_TIMESLICE: 100 ms */

struct sched_attr_ {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};
#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_FLAG_RESET_ON_FORK_ 0x01

static uint64_t all_cpus(void) { return GUEST_NCPUS >= 64 ? ~0ULL : (1ULL << GUEST_NCPUS) - 1; }
static uint64_t affinity_of(const struct task *t) { return t->affinity ? t->affinity : all_cpus(); }

/* Init (pid 1) is outside the guest, but it exists for a guest asking about it, as
 * on Linux: a root task with the default policy, whose attributes only a privileged
 * caller may change (and changing them changes nothing). */
static struct process init_proc = { .pid = INIT_PID, .pgid = INIT_PID, .sid = INIT_PID, .cred = { .known = true } };
static struct task init_task = { .tid = INIT_PID, .proc = &init_proc };

/* The thread a pid argument names: 0 is the caller. A process's leader that has died
 * is still there until it is reaped (a zombie keeps its attributes). */
static struct task *target(struct task *t, int pid)
{
    if (pid == 0) return t;
    if (pid == INIT_PID) return &init_task;
    struct task *u = task_by_tid(pid);
    if (u) return u;
    for (int i = 0; i < ntasks; i++) {
        u = all_tasks[i];
        if (u->tid == pid && u->proc && u->tid == u->proc->pid && u->proc->zombie && !u->proc->reaped) return u;
    }
    return NULL;
}

static bool may_nice(const struct task *t)
{
    return guest_cap_effective(t->proc) & (1ULL << CAP_SYS_NICE_);
}

/* check_same_owner: the caller's euid is the target's uid or euid. */
static bool same_owner(struct task *t, struct task *u)
{
    struct cred *c = cred_of(t->proc), *tc = cred_of(u->proc);
    return c->euid == tc->euid || c->euid == tc->uid;
}

static bool valid_policy(int policy)
{
    return policy == SCHED_OTHER || policy == SCHED_FIFO || policy == SCHED_RR || policy == SCHED_BATCH ||
           policy == SCHED_IDLE || policy == SCHED_DEADLINE_;
}

static bool rt_policy(int policy) { return policy == SCHED_FIFO || policy == SCHED_RR; }

/* SCHED_DEADLINE's parameters as __checkparam_dl accepts them: a deadline, a runtime
 * of at least 1024 ns that fits in it, a period (0: the deadline) not shorter. */
struct dl_params { uint64_t runtime, deadline, period; };
static bool dl_ok(const struct dl_params *d)
{
    if (!d || d->deadline == 0 || d->runtime < 1024) return false;
    if ((d->deadline | d->period) & (1ULL << 63)) return false;
    if (d->period && d->period < d->deadline) return false;
    return d->runtime <= d->deadline;
}

/* __sched_setscheduler's checks and the change. policy -1: keep the policy. dl: the
 * deadline parameters (sched_setattr), NULL for the older calls. */
static int64_t set_sched(struct task *t, struct task *u, int policy, int prio, bool reset, int nice, bool set_nice,
                         const struct dl_params *dl)
{
    if (policy == -1) policy = u->sched_policy;
    if (!valid_policy(policy)) return -EINVAL;
    if (prio < 0 || prio > 99) return -EINVAL;
    if (rt_policy(policy) != (prio != 0)) return -EINVAL;
    if (policy == SCHED_DEADLINE_ && !dl_ok(dl)) return -EINVAL;
    if (!may_nice(t)) {
        if (rt_policy(policy) && (!rt_policy(u->sched_policy) || prio > u->sched_priority)) return -EPERM;
        if (policy == SCHED_DEADLINE_) return -EPERM;
        if (set_nice && nice < u->nice) return -EPERM;
        if (u->sched_reset_on_fork && !reset) return -EPERM;
        if (!same_owner(t, u)) return -EPERM;
    }
    if (u == &init_task) return 0;
    if (dl && policy == SCHED_DEADLINE_) {
        u->dl_runtime = dl->runtime;
        u->dl_deadline = dl->deadline;
        u->dl_period = dl->period ? dl->period : dl->deadline;
    }
    u->sched_policy = policy;
    u->sched_priority = prio;
    u->sched_reset_on_fork = reset;
    if (set_nice) u->nice = nice;
    return 0;
}

static int64_t sys_sched_setscheduler(struct syscall *sc)
{
    int pid = (int)sc->a[0], policy = (int)sc->a[1];
    if (!sc->a[2] || pid < 0) return -EINVAL;
    struct sched_param sp;
    if (guest_read(sc->t->as, sc->a[2], &sp, sizeof sp)) return -EFAULT;
    if (policy < 0) return -EINVAL;
    struct task *u = target(sc->t, pid);
    if (!u) return -ESRCH;
    bool reset = policy & SCHED_RESET_ON_FORK_;
    return set_sched(sc->t, u, policy & ~SCHED_RESET_ON_FORK_, sp.sched_priority, reset, 0, false, NULL);
}

static int64_t sys_sched_setparam(struct syscall *sc)
{
    int pid = (int)sc->a[0];
    if (!sc->a[1] || pid < 0) return -EINVAL;
    struct sched_param sp;
    if (guest_read(sc->t->as, sc->a[1], &sp, sizeof sp)) return -EFAULT;
    struct task *u = target(sc->t, pid);
    if (!u) return -ESRCH;
    return set_sched(sc->t, u, -1, sp.sched_priority, u->sched_reset_on_fork, 0, false, NULL);
}

static int64_t sys_sched_getscheduler(struct syscall *sc)
{
    int pid = (int)sc->a[0];
    if (pid < 0) return -EINVAL;
    struct task *u = target(sc->t, pid);
    if (!u) return -ESRCH;
    return u->sched_policy | (u->sched_reset_on_fork ? SCHED_RESET_ON_FORK_ : 0);
}

static int64_t sys_sched_getparam(struct syscall *sc)
{
    int pid = (int)sc->a[0];
    if (!sc->a[1] || pid < 0) return -EINVAL;
    struct task *u = target(sc->t, pid);
    if (!u) return -ESRCH;
    struct sched_param sp = { .sched_priority = u->sched_priority };
    return guest_write(sc->t->as, sc->a[1], &sp, sizeof sp) ? -EFAULT : 0;
}

static int64_t sys_sched_setattr(struct syscall *sc)
{
    struct task *t = sc->t;
    int pid = (int)sc->a[0];
    if (!sc->a[1] || pid < 0 || sc->a[2]) return -EINVAL;
    uint32_t size;
    if (guest_read(t->as, sc->a[1], &size, 4)) return -EFAULT;
    if (size == 0) size = SCHED_ATTR_SIZE_VER0;
    if (size < SCHED_ATTR_SIZE_VER0 || size > 4096) {
        uint32_t ours = sizeof(struct sched_attr_);
        guest_write(t->as, sc->a[1], &ours, 4);
        return -E2BIG;
    }
    struct sched_attr_ a;
    memset(&a, 0, sizeof a);
    if (guest_read(t->as, sc->a[1], &a, size < sizeof a ? size : sizeof a)) return -EFAULT;
    /* Bytes past what Linux knows must be zero. */
    for (uint32_t off = sizeof a; off < size; off++) {
        unsigned char b;
        if (guest_read(t->as, sc->a[1] + off, &b, 1)) return -EFAULT;
        if (b) {
            uint32_t ours = sizeof a;
            guest_write(t->as, sc->a[1], &ours, 4);
            return -E2BIG;
        }
    }
    if ((int)a.sched_policy < 0) return -EINVAL;
    if (a.sched_flags & ~(uint64_t)0x7f) return -EINVAL;
    struct task *u = target(t, pid);
    if (!u) return -ESRCH;
    int nice = a.sched_nice < -20 ? -20 : a.sched_nice > 19 ? 19 : a.sched_nice;
    bool fair = !rt_policy((int)a.sched_policy) && a.sched_policy != SCHED_DEADLINE_;
    struct dl_params dl = { a.sched_runtime, a.sched_deadline, a.sched_period };
    return set_sched(t, u, (int)a.sched_policy, (int)a.sched_priority, a.sched_flags & SCHED_FLAG_RESET_ON_FORK_,
                     nice, fair, &dl);
}

static int64_t sys_sched_getattr(struct syscall *sc)
{
    struct task *t = sc->t;
    int pid = (int)sc->a[0];
    uint32_t usize = (uint32_t)sc->a[2];
    if (!sc->a[1] || pid < 0 || usize > 4096 || usize < SCHED_ATTR_SIZE_VER0 || sc->a[3]) return -EINVAL;
    struct task *u = target(t, pid);
    if (!u) return -ESRCH;
    struct sched_attr_ a;
    memset(&a, 0, sizeof a);
    size_t n = usize < sizeof a ? usize : sizeof a;
    a.size = (uint32_t)n;
    a.sched_policy = (uint32_t)u->sched_policy;
    a.sched_flags = u->sched_reset_on_fork ? SCHED_FLAG_RESET_ON_FORK_ : 0;
    if (rt_policy(u->sched_policy)) a.sched_priority = (uint32_t)u->sched_priority;
    else if (u->sched_policy == SCHED_DEADLINE_) {
        a.sched_runtime = u->dl_runtime;
        a.sched_deadline = u->dl_deadline;
        a.sched_period = u->dl_period;
    } else a.sched_nice = u->nice;
    a.sched_util_max = 1024;   /* SCHED_CAPACITY_SCALE: no clamp */
    return guest_write(t->as, sc->a[1], &a, n) ? -EFAULT : 0;
}

static int64_t sys_sched_get_priority_max(struct syscall *sc)
{
    int policy = (int)sc->a[0];
    if (rt_policy(policy)) return 99;
    return valid_policy(policy) ? 0 : -EINVAL;
}

static int64_t sys_sched_get_priority_min(struct syscall *sc)
{
    int policy = (int)sc->a[0];
    if (rt_policy(policy)) return 1;
    return valid_policy(policy) ? 0 : -EINVAL;
}

/* SCHED_RR's slice is Linux's 100 ms; FIFO has none; a fair task's is the slice CFS
 * would give it alone on a CPU (sysctl_sched_base_slice, 3 ms on Linux 6.6+). */
static int64_t sys_sched_rr_get_interval(struct syscall *sc)
{
    int pid = (int)sc->a[0];
    if (pid < 0) return -EINVAL;
    struct task *u = target(sc->t, pid);
    if (!u) return -ESRCH;
    uint64_t ns = u->sched_policy == SCHED_RR ? RR_TIMESLICE_NS : u->sched_policy == SCHED_FIFO ? 0 : 3000000;
    struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };
    return guest_write(sc->t->as, sc->a[1], &ts, sizeof ts) ? -EFAULT : 0;
}

/* ---- CPU affinity ---- */

static int64_t sys_sched_getaffinity(struct syscall *sc)
{
    uint64_t size = sc->a[1];
    if (size * 8 < GUEST_NCPUS || (size & 7)) return -EINVAL;
    int pid = (int)sc->a[0];
    struct task *u = pid < 0 ? NULL : target(sc->t, pid);
    if (!u) return -ESRCH;
    uint64_t mask = affinity_of(u);
    if (guest_write(sc->t->as, sc->a[2], &mask, 8)) return -EFAULT;
    return 8;
}

static int64_t sys_sched_setaffinity(struct syscall *sc)
{
    uint64_t mask = 0, len = sc->a[1];
    if (guest_read(sc->t->as, sc->a[2], &mask, len < 8 ? len : 8)) return -EFAULT;
    int pid = (int)sc->a[0];
    struct task *u = pid < 0 ? NULL : target(sc->t, pid);
    if (!u) return -ESRCH;
    if (!may_nice(sc->t) && !same_owner(sc->t, u)) return -EPERM;
    mask &= all_cpus();
    if (!mask) return -EINVAL;
    if (u != &init_task) u->affinity = mask;
    return 0;
}

/* ---- nice values ---- */

/* The tasks `which`/`who` names (PRIO_PROCESS: one thread; PRIO_PGRP: a process group's
 * threads; PRIO_USER: a real uid's), passed to fn; how many there were. */
static int for_each_prio_target(struct task *t, int which, int who, int64_t (*fn)(struct task *, struct task *, void *),
                                void *arg, int64_t *err)
{
    int found = 0;
    if (which == PRIO_PROCESS) {
        struct task *u = who < 0 ? NULL : target(t, who);
        if (u) { found++; int64_t r = fn(t, u, arg); if (r) *err = r; }
        return found;
    }
    int pgrp = who ? who : t->proc->pgid;
    unsigned uid = who ? (unsigned)who : cred_of(t->proc)->uid;
    for (int i = 0; i < ntasks; i++) {
        struct task *u = all_tasks[i];
        if (u->state == TASK_DEAD || !u->proc) continue;
        if (which == PRIO_PGRP ? u->proc->pgid != pgrp : cred_of(u->proc)->uid != uid) continue;
        found++;
        int64_t r = fn(t, u, arg);
        if (r) *err = r;
    }
    return found;
}

/* set_one_prio: another user's task needs CAP_SYS_NICE (EPERM), a lower nice value too
 * (EACCES). */
static int64_t set_nice_one(struct task *t, struct task *u, void *arg)
{
    int nice = *(int *)arg;
    struct cred *c = cred_of(t->proc), *tc = cred_of(u->proc);
    if (tc->uid != c->euid && tc->euid != c->euid && !may_nice(t)) return -EPERM;
    if (nice < u->nice && !may_nice(t)) return -EACCES;
    if (u != &init_task) u->nice = nice;
    return 0;
}

static int64_t max_prio_one(struct task *t, struct task *u, void *arg)
{
    (void)t;
    int *best = arg;
    if (20 - u->nice > *best) *best = 20 - u->nice;
    return 0;
}

static int64_t sys_setpriority(struct syscall *sc)
{
    int which = (int)sc->a[0], who = (int)sc->a[1], nice = (int)sc->a[2];
    if (which < PRIO_PROCESS || which > PRIO_USER) return -EINVAL;
    if (nice < -20) nice = -20;
    if (nice > 19) nice = 19;
    int64_t err = 0;
    if (!for_each_prio_target(sc->t, which, who, set_nice_one, &nice, &err)) return -ESRCH;
    return err;
}

/* The kernel's answer is 20 - nice (1..40), the highest among the targets: libc turns
 * it back into a nice value. */
static int64_t sys_getpriority(struct syscall *sc)
{
    int which = (int)sc->a[0], who = (int)sc->a[1];
    if (which < PRIO_PROCESS || which > PRIO_USER) return -EINVAL;
    int best = 0;
    int64_t err = 0;
    if (!for_each_prio_target(sc->t, which, who, max_prio_one, &best, &err)) return -ESRCH;
    return best;
}

/* ---- how arguments print ---- */

static const struct flag_name policies[] = {
    { SCHED_OTHER, "SCHED_OTHER" }, { SCHED_FIFO, "SCHED_FIFO" }, { SCHED_RR, "SCHED_RR" },
    { SCHED_BATCH, "SCHED_BATCH" }, { SCHED_IDLE, "SCHED_IDLE" }, { SCHED_DEADLINE_, "SCHED_DEADLINE" }, { 0, NULL } };

static void fmt_policy(struct strbuf *sb, struct syscall *sc, int i)
{
    uint32_t v = (uint32_t)sc->a[i];
    sb_enum(sb, v & ~SCHED_RESET_ON_FORK_, policies, "%#llx");
    if (v & SCHED_RESET_ON_FORK_) sb_puts(sb, "|SCHED_RESET_ON_FORK");
}

static void ret_policy(struct strbuf *sb, struct syscall *sc)
{
    sb_enum(sb, (uint64_t)sc->ret & ~SCHED_RESET_ON_FORK_, policies, "%#llx");
    if (sc->ret & SCHED_RESET_ON_FORK_) sb_puts(sb, "|SCHED_RESET_ON_FORK");
}

static void fmt_param(struct strbuf *sb, struct syscall *sc, int i)
{
    struct sched_param sp;
    if (!sc->a[i] || sc->ret < 0 || guest_read(sc->t->as, sc->a[i], &sp, sizeof sp)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "[%d]", sp.sched_priority);
}

static void fmt_which(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name w[] = { { PRIO_PROCESS, "PRIO_PROCESS" }, { PRIO_PGRP, "PRIO_PGRP" },
                                          { PRIO_USER, "PRIO_USER" }, { 0, NULL } };
    sb_enum(sb, (uint32_t)sc->a[i], w, "%#llx");
}

static void fmt_affinity_out(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t mask;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], &mask, 8)) { fmt_ptr(sb, sc, i); return; }
    sb_putc(sb, '[');
    bool first = true;
    for (int c = 0; c < 64; c++)
        if (mask & (1ULL << c)) { sb_printf(sb, first ? "%d" : " %d", c); first = false; }
    sb_putc(sb, ']');
}

static void fmt_affinity_in(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t mask = 0, len = sc->a[1];
    if (guest_read(sc->t->as, sc->a[i], &mask, len < 8 ? len : 8)) { fmt_ptr(sb, sc, i); return; }
    sb_putc(sb, '[');
    bool first = true;
    for (int c = 0; c < 64; c++)
        if (mask & (1ULL << c)) { sb_printf(sb, first ? "%d" : " %d", c); first = false; }
    sb_putc(sb, ']');
}

static void fmt_rr_interval(struct strbuf *sb, struct syscall *sc, int i)
{
    struct timespec ts;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], &ts, sizeof ts)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "{tv_sec=%lld, tv_nsec=%ld}", (long long)ts.tv_sec, ts.tv_nsec);
}

const struct syscall_def sched_policy_syscalls[] = {
    { SYS_sched_setscheduler, "sched_setscheduler", sys_sched_setscheduler, 3, { IN(fmt_int), IN(fmt_policy), IN(fmt_param) }, NULL },
    { SYS_sched_getscheduler, "sched_getscheduler", sys_sched_getscheduler, 1, { IN(fmt_int) }, ret_policy },
    { SYS_sched_setparam, "sched_setparam", sys_sched_setparam, 2, { IN(fmt_int), IN(fmt_param) }, NULL },
    { SYS_sched_getparam, "sched_getparam", sys_sched_getparam, 2, { IN(fmt_int), OUT(fmt_param) }, NULL },
    { SYS_sched_setattr, "sched_setattr", sys_sched_setattr, 3, { IN(fmt_int), IN(fmt_ptr), IN(fmt_hex) }, NULL },
    { SYS_sched_getattr, "sched_getattr", sys_sched_getattr, 4, { IN(fmt_int), IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex) }, NULL },
    { SYS_sched_get_priority_max, "sched_get_priority_max", sys_sched_get_priority_max, 1, { IN(fmt_policy) }, NULL },
    { SYS_sched_get_priority_min, "sched_get_priority_min", sys_sched_get_priority_min, 1, { IN(fmt_policy) }, NULL },
    { SYS_sched_rr_get_interval, "sched_rr_get_interval", sys_sched_rr_get_interval, 2, { IN(fmt_int), OUT(fmt_rr_interval) }, NULL },
    { SYS_sched_getaffinity, "sched_getaffinity", sys_sched_getaffinity, 3, { IN(fmt_int), IN(fmt_uint), OUT(fmt_affinity_out) }, NULL },
    { SYS_sched_setaffinity, "sched_setaffinity", sys_sched_setaffinity, 3, { IN(fmt_int), IN(fmt_uint), IN(fmt_affinity_in) }, NULL },
    { SYS_setpriority, "setpriority", sys_setpriority, 3, { IN(fmt_which), IN(fmt_int), IN(fmt_int) }, NULL },
    { SYS_getpriority, "getpriority", sys_getpriority, 2, { IN(fmt_which), IN(fmt_int) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
