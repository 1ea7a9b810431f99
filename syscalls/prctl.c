/* prctl(2) and personality(2).
 *
 * What the kernel keeps for them is kept in the guest's task and process (the thread's
 * name, timer slack; the parent-death signal, child-subreaper, no_new_privs, dumpable,
 * persona) and read back as set, with Linux's argument checks: options whose unused
 * arguments must be zero say EINVAL otherwise, an unknown option is EINVAL. Capability
 * options (PR_CAPBSET_*, keepcaps, securebits) are syscalls/cred.c's. Effects uniemu
 * gives: the name in /proc/PID/comm and /proc/PID/task/TID/comm, the parent-death
 * signal and subreaper adoption when a parent dies (scheduler/run.c). Not modelled:
 * timer slack on timeouts (virtual time is exact), dumpable's effect on core dumps
 * and /proc ownership, no_new_privs on set-user-ID execs. */
#include "syscalls/syscall.h"
#include "syscalls/prctl.h"
#include "syscalls/cred.h"
#include "scheduler/task.h"
#include "core/cpu.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS 40
#endif

void task_inherit(struct task *c, const struct task *t)
{
    memcpy(c->comm, t->comm, sizeof c->comm);
    /* A child's default slack is its parent's current one. */
    c->timer_slack_ns = c->default_timer_slack_ns = t->timer_slack_ns;
    c->affinity = t->affinity;
    if (t->sched_reset_on_fork) {   /* real-time and deadline become fair, negative nice 0 */
        bool rt = t->sched_policy == SCHED_FIFO || t->sched_policy == SCHED_RR || t->sched_policy == 6;
        c->sched_policy = rt ? SCHED_OTHER : t->sched_policy;
        c->sched_priority = 0;
        c->nice = t->nice < 0 ? 0 : t->nice;
    } else {
        c->sched_policy = t->sched_policy;
        c->sched_priority = t->sched_priority;
        c->nice = t->nice;
    }
}

void process_inherit(struct process *np, const struct process *p)
{
    np->no_new_privs = p->no_new_privs;
    np->dumpable = p->dumpable;
    np->personality = p->personality;
    np->pdeathsig = 0;
    np->child_subreaper = false;
}

struct process *prctl_new_reaper(const struct process *dying)
{
    for (struct process *a = dying->parent; a; a = a->parent)
        if (a->child_subreaper && !a->zombie && !a->group_exiting) return a;
    return NULL;
}

/* strncpy_from_user of 15 bytes: a name that is longer is cut, a bad pointer EFAULT
 * (only if the bytes before its end or a NUL cannot be read). */
static int name_in(struct task *t, uint64_t addr, char out[16])
{
    memset(out, 0, 16);
    for (int i = 0; i < 15; i++) {
        if (guest_read(t->as, addr + i, &out[i], 1)) return -EFAULT;
        if (!out[i]) break;
    }
    return 0;
}

static int put_int(struct task *t, uint64_t addr, int v)
{
    return guest_write(t->as, addr, &v, sizeof v) ? -EFAULT : 0;
}

static int64_t sys_prctl(struct syscall *sc)
{
    struct task *t = sc->t;
    struct process *p = t->proc;
    bool handled;
    int64_t r = cred_prctl(p, (int)sc->a[0], sc->a[1], &handled);
    if (handled) return r;
    uint64_t a2 = sc->a[1], a3 = sc->a[2], a4 = sc->a[3], a5 = sc->a[4];
    switch ((int)sc->a[0]) {
    case PR_SET_NAME: {
        char name[16];
        if (name_in(t, a2, name)) return -EFAULT;
        memcpy(t->comm, name, sizeof name);
        return 0;
    }
    case PR_GET_NAME: return guest_write(t->as, a2, t->comm, 16) ? -EFAULT : 0;
    case PR_SET_PDEATHSIG:
        if (a2 > 64) return -EINVAL;
        p->pdeathsig = (int)a2;
        return 0;
    case PR_GET_PDEATHSIG: return put_int(t, a2, p->pdeathsig);
    case PR_SET_CHILD_SUBREAPER: p->child_subreaper = a2 != 0; return 0;
    case PR_GET_CHILD_SUBREAPER: return put_int(t, a2, p->child_subreaper);
    case PR_SET_NO_NEW_PRIVS:
        if (a2 != 1 || a3 || a4 || a5) return -EINVAL;
        p->no_new_privs = true;
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        if (a2 || a3 || a4 || a5) return -EINVAL;
        return p->no_new_privs;
    case PR_SET_DUMPABLE:
        if (a2 != 0 && a2 != 1) return -EINVAL;
        p->dumpable = (int)a2;
        return 0;
    case PR_GET_DUMPABLE: return p->dumpable;
    case PR_SET_TIMERSLACK:
        t->timer_slack_ns = a2 ? a2 : t->default_timer_slack_ns;
        return 0;
    case PR_GET_TIMERSLACK: return (int64_t)t->timer_slack_ns;
    case PR_GET_TID_ADDRESS: return guest_write(t->as, a2, &t->clear_child_tid, 8) ? -EFAULT : 0;
    case PR_SET_THP_DISABLE:
        if (a3 || a4 || a5) return -EINVAL;
        return 0;
    case PR_GET_THP_DISABLE:
        if (a2 || a3 || a4 || a5) return -EINVAL;
        return 0;
    case PR_SET_TIMING: return a2 == PR_TIMING_STATISTICAL ? 0 : -EINVAL;
    case PR_GET_TIMING: return PR_TIMING_STATISTICAL;
    case PR_SET_TSC:
        if (a2 != PR_TSC_ENABLE && a2 != PR_TSC_SIGSEGV) return -EINVAL;
        cpu_set_tsc_sigsegv(t->as, a2 == PR_TSC_SIGSEGV);
        return 0;
    case PR_GET_TSC: return put_int(t, a2, cpu_tsc_sigsegv(t->as) ? PR_TSC_SIGSEGV : PR_TSC_ENABLE);
    case PR_GET_SECCOMP: return 0;   /* no filter, not strict */
    case PR_SET_VMA: return 0;       /* names of anonymous mappings: accepted, not shown */
    default: return -EINVAL;
    }
}

/* The persona and its flags, as set: 0xffffffff asks without changing. */
static int64_t sys_personality(struct syscall *sc)
{
    struct process *p = sc->t->proc;
    unsigned old = p->personality, v = (unsigned)sc->a[0];
    if (v != 0xffffffffu) p->personality = v;
    return old;
}

/* ---- how arguments print ---- */

static const struct flag_name prctl_options[] = {
    { PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG" }, { PR_GET_PDEATHSIG, "PR_GET_PDEATHSIG" },
    { PR_GET_DUMPABLE, "PR_GET_DUMPABLE" }, { PR_SET_DUMPABLE, "PR_SET_DUMPABLE" },
    { PR_GET_KEEPCAPS, "PR_GET_KEEPCAPS" }, { PR_SET_KEEPCAPS, "PR_SET_KEEPCAPS" },
    { PR_GET_TIMING, "PR_GET_TIMING" }, { PR_SET_TIMING, "PR_SET_TIMING" },
    { PR_SET_NAME, "PR_SET_NAME" }, { PR_GET_NAME, "PR_GET_NAME" },
    { PR_GET_SECCOMP, "PR_GET_SECCOMP" }, { PR_SET_SECCOMP, "PR_SET_SECCOMP" },
    { PR_CAPBSET_READ, "PR_CAPBSET_READ" }, { PR_CAPBSET_DROP, "PR_CAPBSET_DROP" },
    { PR_GET_SECUREBITS, "PR_GET_SECUREBITS" }, { PR_SET_SECUREBITS, "PR_SET_SECUREBITS" },
    { PR_GET_TIMERSLACK, "PR_GET_TIMERSLACK" }, { PR_SET_TIMERSLACK, "PR_SET_TIMERSLACK" },
    { PR_SET_CHILD_SUBREAPER, "PR_SET_CHILD_SUBREAPER" }, { PR_GET_CHILD_SUBREAPER, "PR_GET_CHILD_SUBREAPER" },
    { PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS" }, { PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS" },
    { PR_GET_TID_ADDRESS, "PR_GET_TID_ADDRESS" }, { PR_SET_THP_DISABLE, "PR_SET_THP_DISABLE" },
    { PR_GET_THP_DISABLE, "PR_GET_THP_DISABLE" }, { PR_CAP_AMBIENT, "PR_CAP_AMBIENT" },
    { PR_SET_VMA, "PR_SET_VMA" }, { PR_GET_TSC, "PR_GET_TSC" }, { PR_SET_TSC, "PR_SET_TSC" }, { 0, NULL } };

static void fmt_prctl_option(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_enum(sb, (uint32_t)sc->a[i], prctl_options, "%#llx");
}

/* The argument the option reads, as strace shows it: a name, a signal, a number. */
static void fmt_prctl_arg2(struct strbuf *sb, struct syscall *sc, int i)
{
    switch ((int)sc->a[0]) {
    case PR_SET_NAME: fmt_path(sb, sc, i); break;
    case PR_GET_NAME: if (sc->ret == 0) fmt_path(sb, sc, i); else fmt_ptr(sb, sc, i); break;
    case PR_SET_PDEATHSIG: sb_signame(sb, (int)sc->a[i]); break;
    case PR_GET_DUMPABLE: case PR_GET_TIMING: case PR_GET_SECCOMP: case PR_GET_TIMERSLACK:
    case PR_GET_NO_NEW_PRIVS: case PR_GET_THP_DISABLE: case PR_GET_KEEPCAPS: case PR_GET_SECUREBITS:
        break;
    case PR_GET_PDEATHSIG: case PR_GET_CHILD_SUBREAPER: case PR_GET_TID_ADDRESS: case PR_GET_TSC:
        fmt_ptr(sb, sc, i); break;
    default: sb_printf(sb, "%llu", (unsigned long long)sc->a[i]);
    }
}

static void fmt_persona(struct strbuf *sb, struct syscall *sc, int i)
{
    uint32_t v = (uint32_t)sc->a[i];
    if (v == 0xffffffffu) sb_puts(sb, "0xffffffff");
    else if (v == 0) sb_puts(sb, "PER_LINUX");
    else sb_printf(sb, "%#x", v);
}

const struct syscall_def prctl_syscalls[] = {
    { SYS_prctl, "prctl", sys_prctl, 2, { IN(fmt_prctl_option), OUT(fmt_prctl_arg2) }, NULL },
    { SYS_personality, "personality", sys_personality, 1, { IN(fmt_persona) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
