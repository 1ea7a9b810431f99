/* Signals, for now: dispositions and masks are recorded; a signal sent to oneself with
 * its default action ends the process as Linux would. Delivery to handlers comes with
 * the signals work (issue 4). */
#include "syscalls/syscall.h"
#include "scheduler/task.h"
#include "scheduler/sched.h"
#include "syscalls/fdtable.h"
#include "scheduler/run.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

#define NSIG_GUEST 64
#define SIGSET_SIZE 8

static uint64_t sigbit(int sig) { return 1ULL << (sig - 1); }
static const uint64_t unblockable = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));

static int64_t sys_rt_sigaction(struct syscall *sc)
{
    struct task *t = sc->t;
    int sig = (int)sc->a[0];
    if (sc->a[3] != SIGSET_SIZE) return -EINVAL;
    if (sig < 1 || sig > NSIG_GUEST) return -EINVAL;
    struct k_sigaction *ka = &t->sighand->act[sig - 1], nka;
    if (sc->a[1]) {
        if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
        if (guest_read(t->as, sc->a[1], &nka, sizeof nka)) return -EFAULT;
    }
    if (sc->a[2] && guest_write(t->as, sc->a[2], ka, sizeof *ka)) return -EFAULT;
    if (sc->a[1]) { nka.mask &= ~unblockable; *ka = nka; }
    return 0;
}

static int64_t send_to(struct task *t, int sig, int from_pid, int code);

static int64_t sys_rt_sigprocmask(struct syscall *sc)
{
    struct task *t = sc->t;
    int how = (int)sc->a[0];
    if (sc->a[3] != SIGSET_SIZE) return -EINVAL;
    uint64_t set = 0, old = t->sigmask;
    if (sc->a[1]) {
        if (guest_read(t->as, sc->a[1], &set, 8)) return -EFAULT;
        if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) return -EINVAL;
    }
    if (sc->a[2] && guest_write(t->as, sc->a[2], &old, 8)) return -EFAULT;
    if (sc->a[1]) {
        if (how == SIG_BLOCK) t->sigmask |= set;
        else if (how == SIG_UNBLOCK) t->sigmask &= ~set;
        else t->sigmask = set;
        t->sigmask &= ~unblockable;
        uint64_t ready = t->sig_pending & ~t->sigmask;
        if (ready) {
            int sig = __builtin_ctzll(ready) + 1;
            t->sig_pending &= ~sigbit(sig);
            send_to(t, sig, t->sig_pending_from, t->sig_pending_code);
        }
    }
    return 0;
}

static int64_t sys_sigaltstack(struct syscall *sc)
{
    stack_t ss = { 0 };
    ss.ss_flags = SS_DISABLE;
    if (sc->a[1] && guest_write(sc->t->as, sc->a[1], &ss, sizeof ss)) return -EFAULT;
    if (sc->a[0] && guest_read(sc->t->as, sc->a[0], &ss, sizeof ss)) return -EFAULT;
    return 0;
}

static bool ignored_by_default(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

/* A signal sent to task t (and its process): for now only what its default action does.
 * A fatal signal is marked on the process; the run loop ends it at its next step,
 * after the sender's call is logged, as strace shows it. */
static int64_t send_to(struct task *t, int sig, int from_pid, int code)
{
    if (sig == 0) return 0;
    if (sig < 1 || sig > NSIG_GUEST) return -EINVAL;
    struct k_sigaction *ka = &t->sighand->act[sig - 1];
    if (sig != SIGKILL) {
        if (ka->handler == (uint64_t)SIG_IGN) return 0;
        if (ignored_by_default(sig) && ka->handler == (uint64_t)SIG_DFL) return 0;
        if (ka->handler != (uint64_t)SIG_DFL) {
            /* Handlers arrive with the signals work: for now the signal is dropped. */
            return 0;
        }
        if (t->sigmask & sigbit(sig)) {
            /* Blocked: it stays pending until unblocked (raise() in musl does this). */
            t->sig_pending |= sigbit(sig);
            t->sig_pending_from = from_pid;
            t->sig_pending_code = code;
            return 0;
        }
    }
    struct process *p = t->proc;
    if (!p->fatal_sig) { p->fatal_sig = sig; p->fatal_from = from_pid; p->fatal_code = code; }
    for (int i = 0; i < ntasks; i++)
        if (all_tasks[i]->proc == p && all_tasks[i]->state == TASK_BLOCKED) sched_wake(all_tasks[i], -EINTR);
    return 0;
}

void signal_send_default(struct task *t, int sig) { send_to(t, sig, t->proc->pid, SI_USER); }

/* Some live thread of the process with this pid. */
static struct task *thread_of(int pid)
{
    for (int i = 0; i < ntasks; i++) {
        struct task *u = all_tasks[i];
        if (u->state != TASK_DEAD && u->proc->pid == pid && !u->proc->zombie) return u;
    }
    return NULL;
}

static int64_t sys_kill(struct syscall *sc)
{
    struct task *t = sc->t;
    int pid = (int)sc->a[0], sig = (int)sc->a[1];
    if (sig < 0 || sig > NSIG_GUEST) return -EINVAL;
    if (pid > 0) {
        struct task *u = thread_of(pid);
        if (!u) {
            /* A zombie still exists: signalling it succeeds and does nothing. */
            struct process *z = process_by_pid(pid);
            return z ? 0 : -ESRCH;
        }
        return send_to(u, sig, t->proc->pid, SI_USER);
    }
    /* A group (0: the caller's, -N: group N) or every process (-1) the guest owns. */
    int pgid = pid == 0 ? t->proc->pgid : -pid;
    int found = 0;
    for (int i = 0; i < ntasks; i++) {
        struct task *u = all_tasks[i];
        if (u->state == TASK_DEAD || u->tid != u->proc->pid || u->proc->zombie) continue;
        if (pid != -1 && u->proc->pgid != pgid) continue;
        if (pid == -1 && u->proc == t->proc) continue;
        found++;
        send_to(u, sig, t->proc->pid, SI_USER);
    }
    if (pid == -1) { send_to(t, sig, t->proc->pid, SI_USER); return 0; }
    return found ? 0 : -ESRCH;
}

static int64_t sys_tkill(struct syscall *sc)
{
    struct task *u = task_by_tid((int)sc->a[0]);
    if ((int)sc->a[0] <= 0) return -EINVAL;
    if (!u) return -ESRCH;
    return send_to(u, (int)sc->a[1], sc->t->proc->pid, SI_TKILL);
}

static int64_t sys_tgkill(struct syscall *sc)
{
    if ((int)sc->a[0] <= 0 || (int)sc->a[1] <= 0) return -EINVAL;
    struct task *u = task_by_tid((int)sc->a[1]);
    if (!u || u->proc->pid != (int)sc->a[0]) return -ESRCH;
    return send_to(u, (int)sc->a[2], sc->t->proc->pid, SI_TKILL);
}

/* ---- how arguments print ---- */

void sb_signame(struct strbuf *sb, int sig)
{
    const char *abbrev = sig > 0 && sig < 32 ? sigabbrev_np(sig) : NULL;
    if (abbrev) sb_printf(sb, "SIG%s", abbrev);
    else if (sig == 32) sb_puts(sb, "SIGRTMIN");     /* strace counts from the kernel's 32 */
    else if (sig > 32 && sig <= NSIG_GUEST) sb_printf(sb, "SIGRT_%d", sig - 32);
    else sb_printf(sb, "%d", sig);
}

static void fmt_signal(struct strbuf *sb, struct syscall *sc, int i) { sb_signame(sb, (int)sc->a[i]); }

static void sb_sigset(struct strbuf *sb, uint64_t set)
{
    /* strace prints a mostly-full set as its complement: ~[...]. */
    bool inverted = __builtin_popcountll(set) > 32;
    if (inverted) { sb_putc(sb, '~'); set = ~set; }
    sb_putc(sb, '[');
    bool first = true;
    for (int s = 1; s <= NSIG_GUEST; s++) {
        if (!(set & sigbit(s))) continue;
        if (!first) sb_putc(sb, ' ');
        first = false;
        struct strbuf name = { 0 };
        sb_signame(&name, s);
        sb_puts(sb, name.p + (strncmp(name.p, "SIG", 3) == 0 ? 3 : 0));
        sb_free(&name);
    }
    sb_putc(sb, ']');
}

static void sb_sigset_at(struct strbuf *sb, struct syscall *sc, uint64_t addr)
{
    uint64_t set;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, addr, &set, 8)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_sigset(sb, set);
}
static void fmt_sigset_in(struct strbuf *sb, struct syscall *sc, int i) { sb_sigset_at(sb, sc, sc->a[i]); }
static void fmt_sigset_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret) fmt_ptr(sb, sc, i); else sb_sigset_at(sb, sc, sc->a[i]);
}

static void fmt_how(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name h[] = { { SIG_BLOCK, "SIG_BLOCK" }, { SIG_UNBLOCK, "SIG_UNBLOCK" }, { SIG_SETMASK, "SIG_SETMASK" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], h, "%#llx");
}

static const struct flag_name sa_flag_names[] = {
    { SA_NOCLDSTOP, "SA_NOCLDSTOP" }, { SA_NOCLDWAIT, "SA_NOCLDWAIT" }, { SA_SIGINFO, "SA_SIGINFO" },
    { 0x04000000, "SA_RESTORER" }, { SA_ONSTACK, "SA_ONSTACK" }, { SA_RESTART, "SA_RESTART" },
    { SA_NODEFER, "SA_NODEFER" }, { SA_RESETHAND, "SA_RESETHAND" }, { 0, NULL },
};

static void sb_sigaction_at(struct strbuf *sb, struct syscall *sc, uint64_t addr)
{
    struct k_sigaction ka;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, addr, &ka, sizeof ka)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_puts(sb, "{sa_handler=");
    if (ka.handler == (uint64_t)SIG_DFL) sb_puts(sb, "SIG_DFL");
    else if (ka.handler == (uint64_t)SIG_IGN) sb_puts(sb, "SIG_IGN");
    else sb_printf(sb, "%#llx", (unsigned long long)ka.handler);
    sb_puts(sb, ", sa_mask=");
    sb_sigset(sb, ka.mask);
    sb_puts(sb, ", sa_flags=");
    sb_flags(sb, ka.flags, sa_flag_names, "0");
    if (ka.flags & 0x04000000) sb_printf(sb, ", sa_restorer=%#llx", (unsigned long long)ka.restorer);
    sb_putc(sb, '}');
}
static void fmt_sigaction_in(struct strbuf *sb, struct syscall *sc, int i) { sb_sigaction_at(sb, sc, sc->a[i]); }
static void fmt_sigaction_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret) fmt_ptr(sb, sc, i); else sb_sigaction_at(sb, sc, sc->a[i]);
}

const struct syscall_def signal_syscalls[] = {
    { SYS_rt_sigaction, "rt_sigaction", sys_rt_sigaction, 4, { IN(fmt_signal), IN(fmt_sigaction_in), OUT(fmt_sigaction_out), IN(fmt_uint) }, NULL },
    { SYS_rt_sigprocmask, "rt_sigprocmask", sys_rt_sigprocmask, 4, { IN(fmt_how), IN(fmt_sigset_in), OUT(fmt_sigset_out), IN(fmt_uint) }, NULL },
    { SYS_sigaltstack, "sigaltstack", sys_sigaltstack, 2, { IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_kill, "kill", sys_kill, 2, { IN(fmt_int), IN(fmt_signal) }, NULL },
    { SYS_tkill, "tkill", sys_tkill, 2, { IN(fmt_int), IN(fmt_signal) }, NULL },
    { SYS_tgkill, "tgkill", sys_tgkill, 3, { IN(fmt_int), IN(fmt_int), IN(fmt_signal) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
