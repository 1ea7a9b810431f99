/* Resource limits: each process has the kernel's table of soft and hard limits
 * (signal->rlim), first Linux's defaults for a shell (fixed, so that runs agree), then
 * only what the guest sets; a fork copies it, execve keeps it. Enforced as Linux does:
 * RLIMIT_NOFILE when a descriptor is allocated, RLIMIT_AS and RLIMIT_DATA when memory
 * is mapped (may_expand_vm), RLIMIT_STACK and RLIMIT_AS when the stack grows,
 * RLIMIT_NPROC at fork for a process that is not root, RLIMIT_CPU on the process's
 * virtual CPU time (SIGXCPU each second past the soft limit, SIGKILL at the hard one),
 * and RLIMIT_FSIZE by the host kernel itself during the guest's call (EFBIG and
 * SIGXFSZ exactly where Linux gives them). */
#include "syscalls/limits.h"
#include "syscalls/syscall.h"
#include "syscalls/cred.h"
#include "syscalls/fdtable.h"
#include "scheduler/task.h"
#include "scheduler/sched.h"
#include "scheduler/signals.h"
#include "core/addr_space.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define NS 1000000000ULL
#define NR_OPEN 1048576          /* /proc/sys/fs/nr_open's default */

static const struct rlimit defaults[RLIM_NLIMITS] = {
    [RLIMIT_CPU] = { RLIM_INFINITY, RLIM_INFINITY },
    [RLIMIT_FSIZE] = { RLIM_INFINITY, RLIM_INFINITY },
    [RLIMIT_DATA] = { RLIM_INFINITY, RLIM_INFINITY },
    [RLIMIT_STACK] = { 8 << 20, RLIM_INFINITY },
    [RLIMIT_CORE] = { 0, RLIM_INFINITY },
    [RLIMIT_RSS] = { RLIM_INFINITY, RLIM_INFINITY },
    [RLIMIT_NPROC] = { 63432, 63432 },
    [RLIMIT_NOFILE] = { 1024, 1024 },
    [RLIMIT_MEMLOCK] = { 8 << 20, 8 << 20 },
    [RLIMIT_AS] = { RLIM_INFINITY, RLIM_INFINITY },
    [RLIMIT_LOCKS] = { RLIM_INFINITY, RLIM_INFINITY },
    [RLIMIT_SIGPENDING] = { 63432, 63432 },
    [RLIMIT_MSGQUEUE] = { 819200, 819200 },
    [RLIMIT_NICE] = { 0, 0 },
    [RLIMIT_RTPRIO] = { 0, 0 },
    [RLIMIT_RTTIME] = { RLIM_INFINITY, RLIM_INFINITY },
};

struct rlimit *limits_of(struct process *p)
{
    if (!p->rlim_known) {
        memcpy(p->rlim, defaults, sizeof defaults);
        p->rlim_known = true;
    }
    return p->rlim;
}

void limits_copy(struct process *to, struct process *from)
{
    memcpy(to->rlim, limits_of(from), sizeof to->rlim);
    to->rlim_known = true;
}

static bool capable(struct process *p, int cap) { return cred_of(p)->cap_eff & (1ULL << cap); }

/* What the address space enforces by itself (core/addr_space.c: stack growth). */
static void as_take(struct addr_space *as, struct process *p)
{
    const struct rlimit *l = limits_of(p);
    as->stack_limit = l[RLIMIT_STACK].rlim_cur;
    as->vm_limit = l[RLIMIT_AS].rlim_cur;
}

void limits_attach(struct task *t)
{
    if (t->as) as_take(t->as, t->proc);
}

/* check_prlimit_permission: one's own process, a process of the same ids, or
 * CAP_SYS_RESOURCE. */
static bool may_access(struct process *from, struct process *to)
{
    if (from == to || capable(from, CAP_SYS_RESOURCE)) return true;
    const struct cred *a = cred_of(from), *b = cred_of(to);
    return a->uid == b->euid && a->uid == b->suid && a->uid == b->uid &&
           a->gid == b->egid && a->gid == b->sgid && a->gid == b->gid;
}

int64_t limits_prlimit(struct task *t, int pid, unsigned res, uint64_t new_addr, uint64_t old_addr)
{
    /* Linux's order: the new value is read, the process found and checked, then the
     * resource and the values. */
    struct rlimit nl;
    if (new_addr && guest_read(t->as, new_addr, &nl, sizeof nl)) return -EFAULT;
    struct process *p = t->proc;
    if (pid < 0) return -ESRCH;
    if (pid) {
        struct task *o = task_by_tid(pid);
        if (!o) return -ESRCH;
        p = o->proc;
        if (!may_access(t->proc, p)) return -EPERM;
    }
    if (res >= RLIM_NLIMITS) return -EINVAL;
    struct rlimit *cur = &limits_of(p)[res];
    if (new_addr) {
        if (nl.rlim_cur > nl.rlim_max) return -EINVAL;
        if (res == RLIMIT_NOFILE && nl.rlim_max > NR_OPEN) return -EPERM;
        if (nl.rlim_max > cur->rlim_max && !capable(t->proc, CAP_SYS_RESOURCE)) return -EPERM;
    }
    struct rlimit old = *cur;
    if (new_addr) {
        *cur = nl;
        int n;
        struct task *const *live = sched_live(&n);
        for (int i = 0; i < n; i++)
            if (live[i]->proc == p && live[i]->as) as_take(live[i]->as, p);
    }
    /* The old value is written last: a bad pointer there still leaves the new limit. */
    if (old_addr && guest_write(t->as, old_addr, &old, sizeof old)) return -EFAULT;
    return 0;
}

void limits_show(FILE *out, struct process *p)
{
    static const struct { const char *name, *unit; } rows[RLIM_NLIMITS] = {
        [RLIMIT_CPU] = { "Max cpu time", "seconds" }, [RLIMIT_FSIZE] = { "Max file size", "bytes" },
        [RLIMIT_DATA] = { "Max data size", "bytes" }, [RLIMIT_STACK] = { "Max stack size", "bytes" },
        [RLIMIT_CORE] = { "Max core file size", "bytes" }, [RLIMIT_RSS] = { "Max resident set", "bytes" },
        [RLIMIT_NPROC] = { "Max processes", "processes" }, [RLIMIT_NOFILE] = { "Max open files", "files" },
        [RLIMIT_MEMLOCK] = { "Max locked memory", "bytes" }, [RLIMIT_AS] = { "Max address space", "bytes" },
        [RLIMIT_LOCKS] = { "Max file locks", "locks" }, [RLIMIT_SIGPENDING] = { "Max pending signals", "signals" },
        [RLIMIT_MSGQUEUE] = { "Max msgqueue size", "bytes" }, [RLIMIT_NICE] = { "Max nice priority", NULL },
        [RLIMIT_RTPRIO] = { "Max realtime priority", NULL }, [RLIMIT_RTTIME] = { "Max realtime timeout", "us" },
    };
    const struct rlimit *l = limits_of(p);
    fprintf(out, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (int i = 0; i < RLIM_NLIMITS; i++) {
        fprintf(out, "%-25s ", rows[i].name);
        rlim_t v[2] = { l[i].rlim_cur, l[i].rlim_max };
        for (int k = 0; k < 2; k++) {
            if (v[k] == RLIM_INFINITY) fprintf(out, "%-20s ", "unlimited");
            else fprintf(out, "%-20llu ", (unsigned long long)v[k]);
        }
        if (rows[i].unit) fprintf(out, "%-10s\n", rows[i].unit);
        else fputc('\n', out);
    }
}

/* ---- descriptors ---- */

int limits_nofile(struct task *t)
{
    rlim_t n = limits_of(t->proc)[RLIMIT_NOFILE].rlim_cur;
    return n < MAX_FDS ? (int)n : MAX_FDS;
}

/* ---- memory ---- */

/* A private writable mapping that is not a stack (is_data_mapping). */
static bool is_data(int prot, int flags)
{
    return (prot & PROT_WRITE) && !(flags & MAP_SHARED) && !(flags & MAP_GROWSDOWN);
}

int limits_may_map(struct task *t, uint64_t start, uint64_t len, int prot, int flags)
{
    const struct rlimit *l = limits_of(t->proc);
    rlim_t as_lim = l[RLIMIT_AS].rlim_cur, data_lim = l[RLIMIT_DATA].rlim_cur;
    bool data = is_data(prot, flags);
    if (as_lim == RLIM_INFINITY && (data_lim == RLIM_INFINITY || !data)) return 0;
    struct addr_space *as = t->as;
    uint64_t total = 0, data_vm = 0, replaced = 0, end = start + len;
    for (size_t i = 0; i < as->nvmas; i++) {
        const struct vma *v = &as->vmas[i];
        uint64_t size = v->end - v->start;
        total += size;
        if (is_data(v->prot, v->flags)) data_vm += size;
        if (start && v->start < end && v->end > start)
            replaced += (v->end < end ? v->end : end) - (v->start > start ? v->start : start);
    }
    /* may_expand_vm is asked for the whole length first, then without the pages the
     * new mapping replaces (mmap_region). */
    uint64_t add = len - replaced;
    if (as_lim != RLIM_INFINITY && total + add > as_lim) return -ENOMEM;
    if (data && data_lim != RLIM_INFINITY && data_vm + add > data_lim) return -ENOMEM;
    return 0;
}

int limits_may_protect(struct task *t, uint64_t start, uint64_t len, int prot)
{
    rlim_t data_lim = limits_of(t->proc)[RLIMIT_DATA].rlim_cur;
    if (!(prot & PROT_WRITE) || data_lim == RLIM_INFINITY) return 0;
    struct addr_space *as = t->as;
    uint64_t data_vm = 0, turning = 0, end = start + len;
    for (size_t i = 0; i < as->nvmas; i++) {
        const struct vma *v = &as->vmas[i];
        if (is_data(v->prot, v->flags)) { data_vm += v->end - v->start; continue; }
        if (v->start < end && v->end > start && is_data(prot, v->flags))
            turning += (v->end < end ? v->end : end) - (v->start > start ? v->start : start);
    }
    return turning && data_vm + turning > data_lim ? -ENOMEM : 0;
}

bool limits_can_mlock(struct task *t)
{
    return capable(t->proc, CAP_IPC_LOCK) || limits_of(t->proc)[RLIMIT_MEMLOCK].rlim_cur != 0;
}

int limits_may_mlock(struct task *t, uint64_t start, uint64_t len)
{
    if (capable(t->proc, CAP_IPC_LOCK)) return 0;
    rlim_t lim = limits_of(t->proc)[RLIMIT_MEMLOCK].rlim_cur;
    if (lim == RLIM_INFINITY) return 0;
    struct addr_space *as = t->as;
    uint64_t locked = 0, total = 0, end = start + len;
    for (size_t i = 0; i < as->nvmas; i++) {
        const struct vma *v = &as->vmas[i];
        total += v->end - v->start;
        if (!(v->flags & VMA_LOCKED)) continue;
        locked += v->end - v->start;
        /* Pages of the range already locked count once. */
        if (v->start < end && v->end > start)
            locked -= (v->end < end ? v->end : end) - (v->start > start ? v->start : start);
    }
    if (!len) return total > lim ? -ENOMEM : 0;
    return locked + len > lim ? -ENOMEM : 0;
}

/* ---- processes ---- */

int limits_may_fork(struct task *t)
{
    struct process *p = t->proc;
    const struct cred *c = cred_of(p);
    if (c->uid == 0 || capable(p, CAP_SYS_RESOURCE) || capable(p, CAP_SYS_ADMIN)) return 0;
    rlim_t lim = limits_of(p)[RLIMIT_NPROC].rlim_cur;
    if (lim == RLIM_INFINITY) return 0;
    /* The real uid's tasks, a zombie counting until it is reaped. */
    uint64_t n = 0;
    for (int i = 0; i < ntasks; i++) {
        struct task *x = all_tasks[i];
        struct process *xp = x->proc;
        if (!xp || cred_of(xp)->uid != c->uid) continue;
        if (x->state != TASK_DEAD || (xp->zombie && !xp->reaped && x->tid == xp->pid)) n++;
    }
    return n >= lim ? -EAGAIN : 0;
}

/* ---- CPU time ---- */

uint64_t limits_cpu_budget(struct process *p)
{
    const struct rlimit *l = limits_of(p);
    rlim_t soft = l[RLIMIT_CPU].rlim_cur, hard = l[RLIMIT_CPU].rlim_max;
    if (soft == RLIM_INFINITY) return UINT64_MAX;
    uint64_t at = soft > UINT64_MAX / NS ? UINT64_MAX : soft * NS;
    if (hard != RLIM_INFINITY && hard <= UINT64_MAX / NS && hard * NS < at) at = hard * NS;
    return at > p->cpu_insns ? at - p->cpu_insns : 1;
}

void limits_cpu_check(struct task *t)
{
    struct process *p = t->proc;
    struct rlimit *l = &limits_of(p)[RLIMIT_CPU];
    if (l->rlim_cur == RLIM_INFINITY) return;
    uint64_t used = p->cpu_insns;
    if (l->rlim_max != RLIM_INFINITY && (l->rlim_max > UINT64_MAX / NS || used >= l->rlim_max * NS)) {
        if (l->rlim_max <= UINT64_MAX / NS) sig_send_simple(t, SIGKILL, SI_KERNEL, 0, false);
        return;
    }
    if (l->rlim_cur <= UINT64_MAX / NS && used >= l->rlim_cur * NS) {
        /* One SIGXCPU per second past the soft limit: the kernel moves it on. */
        sig_send_simple(t, SIGXCPU, SI_KERNEL, 0, false);
        if (l->rlim_cur < l->rlim_max) l->rlim_cur++;
    }
}

/* ---- file size ---- */

static bool host_fsize_set;      /* the host's soft RLIMIT_FSIZE is the guest's now */
static rlim_t host_fsize_own = RLIM_INFINITY;
static bool host_known;

void limits_enter(struct task *t)
{
    rlim_t want = limits_of(t->proc)[RLIMIT_FSIZE].rlim_cur;
    if (want == RLIM_INFINITY && !host_fsize_set) return;
    struct rlimit rl;
    if (!host_known) {
        /* SIGXFSZ stays pending in the host, to be passed on. */
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGXFSZ);
        sigprocmask(SIG_BLOCK, &s, NULL);
        if (getrlimit(RLIMIT_FSIZE, &rl) == 0) host_fsize_own = rl.rlim_cur;
        host_known = true;
    }
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0) return;
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_FSIZE, &rl) == 0) host_fsize_set = true;
}

void limits_leave(struct task *t)
{
    if (!host_fsize_set) return;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0) {
        rl.rlim_cur = host_fsize_own < rl.rlim_max ? host_fsize_own : rl.rlim_max;
        setrlimit(RLIMIT_FSIZE, &rl);
    }
    host_fsize_set = false;
    sigset_t pend, s;
    sigemptyset(&s);
    sigaddset(&s, SIGXFSZ);
    if (sigpending(&pend) != 0 || !sigismember(&pend, SIGXFSZ)) return;
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&s, NULL, &zero) == SIGXFSZ) {}
    /* send_sig from the writing task itself (SI_USER, its own pid). */
    if (t && t->state != TASK_DEAD) sig_send_simple(t, SIGXFSZ, SI_USER, t->proc->pid, true);
}
