/* The signal system calls: dispositions, masks, sending, waiting, the alternate stack,
 * rt_sigreturn. Delivery itself is in scheduler/signals.c. */
#include "syscalls/syscall.h"
#include "syscalls/cred.h"
#include "scheduler/task.h"
#include "scheduler/signals.h"
#include "core/cpu.h"
#include "core/det.h"
#include "scheduler/sched.h"
#include "syscalls/fdtable.h"
#include "scheduler/run.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <time.h>
#include <sys/syscall.h>

#define SIGSET_SIZE 8
#define MAX_KILL_TARGETS 4096


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
    if (sc->a[1]) {
        nka.mask &= ~SIG_UNBLOCKABLE;
        /* The kernel keeps only the flags it knows (UAPI_SA_FLAGS). */
        nka.flags &= SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER |
                     SA_RESETHAND | 0x04000000 /* SA_RESTORER */ | 0x800 /* SA_EXPOSE_TAGBITS */;
        *ka = nka;
        /* POSIX: setting a pending signal to be ignored discards it. */
        if (sig_ignored(t, sig)) {
            siginfo_t dummy;
            while (sig_dequeue_from(t, sigbit(sig), &dummy)) {}
        }
    }
    return 0;
}

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
        t->sigmask &= ~SIG_UNBLOCKABLE;
        /* Signals it unblocks are delivered on the way back to user mode. */
    }
    return 0;
}

static int64_t sys_rt_sigpending(struct syscall *sc)
{
    if (sc->a[1] > SIGSET_SIZE) return -EINVAL;
    uint64_t set = sig_pending_set(sc->t) & sc->t->sigmask;
    return guest_write(sc->t->as, sc->a[0], &set, sc->a[1]) ? -EFAULT : 0;
}

struct guest_stack { uint64_t ss_sp; int32_t ss_flags, pad; uint64_t ss_size; };

static int64_t sys_sigaltstack(struct syscall *sc)
{
    struct task *t = sc->t;
    uint64_t sp = cpu_get(t->as, R_RSP);
    bool on = t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
    struct guest_stack old = { t->altstack.sp, 0, 0, t->altstack.size }, ss;
    old.ss_flags = !t->altstack.size || (t->altstack.flags & SS_DISABLE) ? SS_DISABLE
                 : on ? SS_ONSTACK : (t->altstack.flags & SS_AUTODISARM);
    if (sc->a[0]) {
        if (guest_read(t->as, sc->a[0], &ss, sizeof ss)) return -EFAULT;
        if (on) return -EPERM;
        int mode = ss.ss_flags & ~SS_AUTODISARM;
        if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0) return -EINVAL;
        if (mode == SS_DISABLE) {
            t->altstack.sp = 0; t->altstack.size = 0; t->altstack.flags = SS_DISABLE;
        } else {
            if (ss.ss_size < GUEST_MINSIGSTKSZ) return -ENOMEM;
            t->altstack.sp = ss.ss_sp; t->altstack.size = ss.ss_size; t->altstack.flags = ss.ss_flags & SS_AUTODISARM;
        }
    }
    if (sc->a[1] && guest_write(t->as, sc->a[1], &old, sizeof old)) return -EFAULT;
    return 0;
}

/* Some live thread of the process with this pid. */
static struct task *thread_of(int pid)
{
    int n;
    struct task *const *live = sched_live(&n);
    for (int i = 0; i < n; i++)
        if (live[i]->proc->pid == pid && !live[i]->proc->zombie) return live[i];
    return NULL;
}

/* check_kill_permission: the ids must match (or CAP_KILL); SIGCONT within a session. */
static bool may_kill(struct process *from, struct process *to, int sig)
{
    if (sig == SIGCONT && from->sid == to->sid) return true;
    return cred_may_signal(from, to);
}

static int64_t sys_kill(struct syscall *sc)
{
    struct task *t = sc->t;
    int pid = (int)sc->a[0], sig = (int)sc->a[1];
    if (sig < 0 || sig > NSIG_GUEST) return -EINVAL;
    if (pid > 0) {
        struct task *u = thread_of(pid);
        /* A zombie still exists: signalling it succeeds and does nothing. */
        if (!u) {
            struct process *z = process_by_pid(pid);
            return !z ? -ESRCH : may_kill(t->proc, z, sig) ? 0 : -EPERM;
        }
        if (!may_kill(t->proc, u->proc, sig)) return -EPERM;
        if (sig) sig_send_simple(u, sig, SI_USER, t->proc->pid, false);
        return 0;
    }
    /* A group (0: the caller's, -N: group N) or every process (-1) of the guest. */
    int pgid = pid == 0 ? t->proc->pgid : -pid;
    int found = 0, denied = 0, n;
    struct task *targets[MAX_KILL_TARGETS];
    struct task *const *live = sched_live(&n);
    for (int i = 0; i < n && found < MAX_KILL_TARGETS; i++) {
        struct task *u = live[i];
        if (u->tid != u->proc->pid || u->proc->zombie) continue;
        if (pid != -1 && u->proc->pgid != pgid) continue;
        if (pid == -1 && u->proc == t->proc) continue;
        if (!may_kill(t->proc, u->proc, sig)) { denied++; continue; }
        targets[found++] = u;
    }
    for (int i = 0; i < found; i++)
        if (sig) sig_send_simple(targets[i], sig, SI_USER, t->proc->pid, false);
    if (pid == -1) { if (sig) sig_send_simple(t, sig, SI_USER, t->proc->pid, false); return 0; }
    return found ? 0 : denied ? -EPERM : -ESRCH;
}

static int64_t sys_tkill(struct syscall *sc)
{
    if ((int)sc->a[0] <= 0 || (int)sc->a[1] < 0 || (int)sc->a[1] > NSIG_GUEST) return -EINVAL;
    struct task *u = task_by_tid((int)sc->a[0]);
    if (!u) return -ESRCH;
    if (sc->a[1]) sig_send_simple(u, (int)sc->a[1], SI_TKILL, sc->t->proc->pid, true);
    return 0;
}

static int64_t sys_tgkill(struct syscall *sc)
{
    if ((int)sc->a[0] <= 0 || (int)sc->a[1] <= 0 || (int)sc->a[2] < 0 || (int)sc->a[2] > NSIG_GUEST) return -EINVAL;
    struct task *u = task_by_tid((int)sc->a[1]);
    if (!u || u->proc->pid != (int)sc->a[0]) return -ESRCH;
    if (sc->a[2]) sig_send_simple(u, (int)sc->a[2], SI_TKILL, sc->t->proc->pid, true);
    return 0;
}

/* rt_sigqueueinfo / rt_tgsigqueueinfo: the sender supplies the siginfo. */
static int64_t queue_info(struct syscall *sc, struct task *u, int sig, uint64_t uinfo, bool to_thread)
{
    siginfo_t si;
    if (guest_read(sc->t->as, uinfo, &si, sizeof si)) return -EFAULT;
    /* Only the kernel may claim kernel codes, except to oneself. */
    if ((si.si_code >= 0 || si.si_code == SI_TKILL) && u->proc != sc->t->proc) return -EPERM;
    if (!u) return -ESRCH;
    si.si_signo = sig;
    if (sig) sig_send(u, &si, to_thread);
    return 0;
}

static int64_t sys_rt_sigqueueinfo(struct syscall *sc)
{
    int sig = (int)sc->a[1];
    if (sig < 0 || sig > NSIG_GUEST) return -EINVAL;
    struct task *u = thread_of((int)sc->a[0]);
    if (!u) return -ESRCH;
    return queue_info(sc, u, sig, sc->a[2], false);
}

static int64_t sys_rt_tgsigqueueinfo(struct syscall *sc)
{
    int sig = (int)sc->a[2];
    if (sig < 0 || sig > NSIG_GUEST || (int)sc->a[0] <= 0 || (int)sc->a[1] <= 0) return -EINVAL;
    struct task *u = task_by_tid((int)sc->a[1]);
    if (!u || u->proc->pid != (int)sc->a[0]) return -ESRCH;
    return queue_info(sc, u, sig, sc->a[3], true);
}

/* pause and rt_sigsuspend sleep until a signal is delivered: ERESTARTNOHAND, which
 * becomes EINTR when a handler runs (scheduler/signals.c). */
static int64_t sys_pause(struct syscall *sc)
{
    if (sig_deliverable(sc->t)) return -ERESTARTNOHAND;
    sched_block(sc->t, WAIT_SIGNAL, 0, false, 0);
    return RET_BLOCK;
}

static int64_t sys_rt_sigsuspend(struct syscall *sc)
{
    struct task *t = sc->t;
    if (t->in_syscall) return -ERESTARTNOHAND;
    if (sc->a[1] != SIGSET_SIZE) return -EINVAL;
    uint64_t set;
    if (guest_read(t->as, sc->a[0], &set, 8)) return -EFAULT;
    t->saved_mask = t->sigmask;
    t->has_saved_mask = true;
    t->sigmask = set & ~SIG_UNBLOCKABLE;
    if (sig_deliverable(t)) return -ERESTARTNOHAND;
    sched_block(t, WAIT_SIGNAL, 0, false, 0);
    return RET_BLOCK;
}

static int64_t sys_rt_sigtimedwait(struct syscall *sc)
{
    struct task *t = sc->t;
    if (sc->a[3] != SIGSET_SIZE) return -EINVAL;
    uint64_t set;
    if (guest_read(t->as, sc->a[0], &set, 8)) return -EFAULT;
    set &= ~SIG_UNBLOCKABLE;
    siginfo_t si;
    int sig = sig_dequeue_from(t, set, &si);
    if (sig) {
        if (sc->a[1] && guest_write(t->as, sc->a[1], &si, sizeof si)) return -EFAULT;
        return sig;
    }
    if (t->in_syscall && t->timed_out) return -EAGAIN;
    uint64_t deadline = 0;
    if (t->in_syscall) deadline = t->wake_at_ns;
    else if (sc->a[2]) {
        struct timespec ts;
        if (guest_read(t->as, sc->a[2], &ts, sizeof ts)) return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L) return -EINVAL;
        uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        if (!ns) return -EAGAIN;
        deadline = det_now_ns() + ns;
    }
    t->sigwait_set = set;
    sched_block(t, WAIT_SIGNAL, deadline, true, 0);
    return RET_BLOCK;
}

static int64_t sys_rt_sigreturn(struct syscall *sc) { return sig_return(sc->t); }

/* ---- signalfd ---- */

int64_t signalfd_read(struct task *t, struct open_file *f, uint64_t buf, uint64_t count)
{
    struct signalfd_siginfo out;
    if (count < sizeof out) return -EINVAL;
    int64_t done = 0;
    siginfo_t si;
    while ((uint64_t)done + sizeof out <= count && sig_dequeue_from(t, f->sigfd_mask, &si)) {
        memset(&out, 0, sizeof out);
        out.ssi_signo = (uint32_t)si.si_signo;
        out.ssi_errno = si.si_errno;
        out.ssi_code = si.si_code;
        out.ssi_pid = (uint32_t)si.si_pid;
        out.ssi_uid = si.si_uid;
        out.ssi_status = si.si_status;
        out.ssi_int = si.si_int;
        out.ssi_ptr = (uint64_t)(uintptr_t)si.si_ptr;
        out.ssi_addr = (uint64_t)(uintptr_t)si.si_addr;
        if (si.si_code == SI_TIMER) { out.ssi_tid = (uint32_t)si.si_timerid; out.ssi_overrun = (uint32_t)si.si_overrun; }
        if (guest_write(t->as, buf + (uint64_t)done, &out, sizeof out)) return done ? done : -EFAULT;
        done += (int64_t)sizeof out;
    }
    if (done) return done;
    if (f->guest_nonblock) return -EAGAIN;
    t->sigwait_set = f->sigfd_mask;
    sched_block(t, WAIT_SIGNAL, 0, true, 0);
    return RET_BLOCK;
}

static int64_t sys_signalfd4(struct syscall *sc)
{
    struct task *t = sc->t;
    int fd = (int)sc->a[0], flags = (int)sc->a[3];
    if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) return -EINVAL;
    if (sc->a[2] != SIGSET_SIZE) return -EINVAL;
    uint64_t mask;
    if (guest_read(t->as, sc->a[1], &mask, 8)) return -EFAULT;
    mask &= ~SIG_UNBLOCKABLE;
    if (fd != -1) {
        struct open_file *f = fd_get(t, fd);
        if (!f) return -EBADF;
        if (!f->sigfd) return -EINVAL;
        f->sigfd_mask = mask;
        return fd;
    }
    /* Its host side is an eventfd, only so that the descriptor is a real one; poll and
     * epoll do not see the signals (docs/run.md). */
    int h = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (h < 0) return -errno;
    struct open_file *f = file_new(h, "anon_inode:[signalfd]");
    if (!f) { close(h); return -ENOMEM; }
    f->sigfd = true;
    f->internal = true;
    internal_file_identity(f);
    f->sigfd_mask = mask;
    f->guest_nonblock = flags & SFD_NONBLOCK;
    int r = fd_install(t, f, flags & SFD_CLOEXEC, 0);
    file_put(f);
    return r;
}

static int64_t sys_signalfd(struct syscall *sc)
{
    sc->a[3] = 0;
    return sys_signalfd4(sc);
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

/* In strace's order. */
static const struct flag_name sa_flag_names[] = {
    { 0x04000000, "SA_RESTORER" }, { SA_ONSTACK, "SA_ONSTACK" }, { SA_RESTART, "SA_RESTART" },
    { SA_NODEFER, "SA_NODEFER" }, { SA_RESETHAND, "SA_RESETHAND" }, { SA_SIGINFO, "SA_SIGINFO" },
    { SA_NOCLDSTOP, "SA_NOCLDSTOP" }, { SA_NOCLDWAIT, "SA_NOCLDWAIT" }, { 0, NULL },
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

static void sb_stack_at(struct strbuf *sb, struct syscall *sc, uint64_t addr)
{
    struct guest_stack ss;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, addr, &ss, sizeof ss)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    static const struct flag_name f[] = { { SS_ONSTACK, "SS_ONSTACK" }, { SS_DISABLE, "SS_DISABLE" },
                                          { SS_AUTODISARM, "SS_AUTODISARM" }, { 0, NULL } };
    sb_puts(sb, "{ss_sp=");
    if (ss.ss_sp) sb_printf(sb, "%#llx", (unsigned long long)ss.ss_sp); else sb_puts(sb, "NULL");
    sb_puts(sb, ", ss_flags=");
    sb_flags(sb, (uint32_t)ss.ss_flags, f, "0");
    sb_printf(sb, ", ss_size=%llu}", (unsigned long long)ss.ss_size);
}
static void fmt_stack_in(struct strbuf *sb, struct syscall *sc, int i) { sb_stack_at(sb, sc, sc->a[i]); }
static void fmt_stack_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret) fmt_ptr(sb, sc, i); else sb_stack_at(sb, sc, sc->a[i]);
}

/* rt_sigreturn({mask=[...]}): the mask the frame restores. */
static void fmt_sigreturn(struct strbuf *sb, struct syscall *sc, int i)
{
    (void)i;
    uint64_t mask;
    uint64_t at = cpu_get(sc->t->as, R_RSP) + 296;   /* ucontext.uc_sigmask, RSP = &ucontext */
    if (guest_read(sc->t->as, at, &mask, 8)) { sb_puts(sb, "{mask=?}"); return; }
    sb_puts(sb, "{mask=");
    sb_sigset(sb, mask);
    sb_putc(sb, '}');
}
static void ret_sigreturn(struct strbuf *sb, struct syscall *sc) { sb_printf(sb, "%lld", (long long)sc->ret); }

static void sb_siginfo_at(struct strbuf *sb, struct syscall *sc, uint64_t addr)
{
    siginfo_t si;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, addr, &si, sizeof si)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sig_format_info(sb, &si);
}
static void fmt_siginfo_in(struct strbuf *sb, struct syscall *sc, int i) { sb_siginfo_at(sb, sc, sc->a[i]); }
static void fmt_siginfo_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret <= 0) fmt_ptr(sb, sc, i); else sb_siginfo_at(sb, sc, sc->a[i]);
}
static void fmt_timespec_ptr(struct strbuf *sb, struct syscall *sc, int i)
{
    struct timespec ts;
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, sc->a[i], &ts, sizeof ts)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "{tv_sec=%lld, tv_nsec=%ld}", (long long)ts.tv_sec, ts.tv_nsec);
}
static void ret_signal(struct strbuf *sb, struct syscall *sc)
{
    struct strbuf name = { 0 };
    sb_signame(&name, (int)sc->ret);
    sb_printf(sb, "%lld (%s)", (long long)sc->ret, name.p);
    sb_free(&name);
}

static void fmt_sfd_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name f[] = { { SFD_CLOEXEC, "SFD_CLOEXEC" }, { SFD_NONBLOCK, "SFD_NONBLOCK" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], f, "0");
}

const struct syscall_def signal_syscalls[] = {
    { SYS_rt_sigaction, "rt_sigaction", sys_rt_sigaction, 4, { IN(fmt_signal), IN(fmt_sigaction_in), OUT(fmt_sigaction_out), IN(fmt_uint) }, NULL },
    { SYS_rt_sigprocmask, "rt_sigprocmask", sys_rt_sigprocmask, 4, { IN(fmt_how), IN(fmt_sigset_in), OUT(fmt_sigset_out), IN(fmt_uint) }, NULL },
    { SYS_sigaltstack, "sigaltstack", sys_sigaltstack, 2, { IN(fmt_stack_in), OUT(fmt_stack_out) }, NULL },
    { SYS_rt_sigpending, "rt_sigpending", sys_rt_sigpending, 2, { OUT(fmt_sigset_out), IN(fmt_uint) }, NULL },
    { SYS_rt_sigsuspend, "rt_sigsuspend", sys_rt_sigsuspend, 2, { IN(fmt_sigset_in), IN(fmt_uint) }, NULL },
    { SYS_pause, "pause", sys_pause, 0, { { 0 } }, NULL },
    { SYS_rt_sigtimedwait, "rt_sigtimedwait", sys_rt_sigtimedwait, 4,
      { IN(fmt_sigset_in), OUT(fmt_siginfo_out), IN(fmt_timespec_ptr), IN(fmt_uint) }, ret_signal },
    { SYS_rt_sigqueueinfo, "rt_sigqueueinfo", sys_rt_sigqueueinfo, 3, { IN(fmt_int), IN(fmt_signal), IN(fmt_siginfo_in) }, NULL },
    { SYS_rt_tgsigqueueinfo, "rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo, 4,
      { IN(fmt_int), IN(fmt_int), IN(fmt_signal), IN(fmt_siginfo_in) }, NULL },
    { SYS_signalfd4, "signalfd4", sys_signalfd4, 4, { IN(fmt_int), IN(fmt_sigset_in), IN(fmt_uint), IN(fmt_sfd_flags) }, NULL },
    { SYS_signalfd, "signalfd", sys_signalfd, 3, { IN(fmt_int), IN(fmt_sigset_in), IN(fmt_uint) }, NULL },
    { SYS_rt_sigreturn, "rt_sigreturn", sys_rt_sigreturn, 1, { IN(fmt_sigreturn) }, ret_sigreturn },
    { SYS_kill, "kill", sys_kill, 2, { IN(fmt_int), IN(fmt_signal) }, NULL },
    { SYS_tkill, "tkill", sys_tkill, 2, { IN(fmt_int), IN(fmt_signal) }, NULL },
    { SYS_tgkill, "tgkill", sys_tgkill, 3, { IN(fmt_int), IN(fmt_int), IN(fmt_signal) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
