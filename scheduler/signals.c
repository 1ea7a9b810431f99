#include "syscalls/cred.h"
#include "scheduler/signals.h"
#include "scheduler/run.h"
#include "scheduler/sched.h"
#include "tools/timeline.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/guest_mem.h"
#include "syscalls/syscall.h"
#include "core/det.h"
#include <errno.h>
#include <sys/mman.h>
#include <time.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool default_ignore(int sig) { return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT; }
static bool default_stop(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

bool sig_ignored(struct task *t, int sig)
{
    const struct k_sigaction *ka = &t->sighand->act[sig - 1];
    return ka->handler == (uint64_t)SIG_IGN || (ka->handler == (uint64_t)SIG_DFL && default_ignore(sig));
}

/* ---- pending sets ---- */

static void pend_add(struct sigpending *p, const siginfo_t *info)
{
    int sig = info->si_signo;
    /* A standard signal already pending is not queued twice; real-time ones queue. */
    if (sig < SIGRTMIN && (p->set & sigbit(sig))) return;
    struct queued_sig *q = calloc(1, sizeof *q), **tail = &p->head;
    if (!q) return;
    q->info = *info;
    while (*tail) tail = &(*tail)->next;
    *tail = q;
    p->set |= sigbit(sig);
}

static bool pend_take(struct sigpending *p, int sig, siginfo_t *out)
{
    struct queued_sig **q = &p->head;
    while (*q && (*q)->info.si_signo != sig) q = &(*q)->next;
    if (!*q) return false;
    struct queued_sig *x = *q;
    *out = x->info;
    *q = x->next;
    free(x);
    bool more = false;
    for (struct queued_sig *r = p->head; r; r = r->next) more |= r->info.si_signo == sig;
    if (!more) p->set &= ~sigbit(sig);
    return true;
}

static void pend_drop(struct sigpending *p, uint64_t set)
{
    siginfo_t dummy;
    for (int s = 1; s <= NSIG_GUEST; s++)
        if (set & sigbit(s)) while (pend_take(p, s, &dummy)) {}
}

void sig_free_pending(struct sigpending *p)
{
    while (p->head) { struct queued_sig *q = p->head; p->head = q->next; free(q); }
    p->set = 0;
}

uint64_t sig_pending_set(struct task *t) { return t->pending.set | t->proc->shared.set; }

bool sig_deliverable(struct task *t) { return (sig_pending_set(t) & ~t->sigmask) != 0; }

int sig_dequeue_from(struct task *t, uint64_t set, siginfo_t *info)
{
    /* As the kernel's dequeue_signal: the thread's own pending signals first. */
    uint64_t ready = t->pending.set & set;
    struct sigpending *from = &t->pending;
    if (!ready) { ready = t->proc->shared.set & set; from = &t->proc->shared; }
    if (!ready) return 0;
    int sig = __builtin_ctzll(ready) + 1;
    return pend_take(from, sig, info) ? sig : 0;
}

/* ---- the log ---- */

const char *sig_code_name(const siginfo_t *si)
{
    switch (si->si_code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TIMER: return "SI_TIMER";
    case SI_MESGQ: return "SI_MESGQ";
    case SI_ASYNCIO: return "SI_ASYNCIO";
    case SI_SIGIO: return "SI_SIGIO";
    case SI_TKILL: return "SI_TKILL";
    }
    if (si->si_code > 0) {
        switch (si->si_signo) {
        case SIGSEGV: return si->si_code == SEGV_MAPERR ? "SEGV_MAPERR" : si->si_code == SEGV_ACCERR ? "SEGV_ACCERR" : NULL;
        case SIGBUS: return si->si_code == BUS_ADRALN ? "BUS_ADRALN" : si->si_code == BUS_ADRERR ? "BUS_ADRERR" : NULL;
        case SIGILL: return si->si_code == ILL_ILLOPN ? "ILL_ILLOPN" : si->si_code == ILL_ILLOPC ? "ILL_ILLOPC" : NULL;
        case SIGFPE:
            switch (si->si_code) {
            case FPE_INTDIV: return "FPE_INTDIV";
            case FPE_FLTDIV: return "FPE_FLTDIV";
            case FPE_FLTOVF: return "FPE_FLTOVF";
            case FPE_FLTUND: return "FPE_FLTUND";
            case FPE_FLTRES: return "FPE_FLTRES";
            case FPE_FLTINV: return "FPE_FLTINV";
            }
            return NULL;
        case SIGTRAP: return si->si_code == TRAP_BRKPT ? "TRAP_BRKPT" : NULL;
        case SIGCHLD:
            switch (si->si_code) {
            case CLD_EXITED: return "CLD_EXITED";
            case CLD_KILLED: return "CLD_KILLED";
            case CLD_DUMPED: return "CLD_DUMPED";
            case CLD_STOPPED: return "CLD_STOPPED";
            case CLD_CONTINUED: return "CLD_CONTINUED";
            }
        }
    }
    return NULL;
}

void sig_log(struct task *t, const siginfo_t *si)
{
    if (timeline_on) {
        struct strbuf tl = { 0 };
        sb_signame(&tl, si->si_signo);
        bool fault = si->si_code > 0 && (si->si_signo == SIGSEGV || si->si_signo == SIGBUS || si->si_signo == SIGILL ||
                                         si->si_signo == SIGFPE);
        if (fault) sb_printf(&tl, " at address %p", si->si_addr);
        timeline_event(t->tid, fault ? 'f' : 'g', tl.p);
        sb_free(&tl);
    }
    if (!strace_out) return;
    struct strbuf sb = { 0 }, name = { 0 };
    sb_signame(&name, si->si_signo);
    sb_printf(&sb, "--- %s ", name.p);
    sig_format_info(&sb, si);
    sb_puts(&sb, " ---");
    strace_log_line(t, sb.p);
    sb_free(&sb);
    sb_free(&name);
}

void sig_format_info(struct strbuf *out, const siginfo_t *si)
{
    struct strbuf sb = { 0 }, name = { 0 };
    sb_signame(&name, si->si_signo);
    sb_printf(&sb, "{si_signo=%s, si_code=", name.p);
    const char *cn = sig_code_name(si);
    if (cn) sb_puts(&sb, cn); else sb_printf(&sb, "%d", si->si_code);
    int sig = si->si_signo;
    bool fault = si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP);
    if (sig == SIGCHLD && si->si_code > 0) {
        struct strbuf st = { 0 };
        if (si->si_code == CLD_EXITED) sb_printf(&st, "%d", si->si_status); else sb_signame(&st, si->si_status);
        sb_printf(&sb, ", si_pid=%d, si_uid=%u, si_status=%s, si_utime=0, si_stime=0", si->si_pid, (unsigned)si->si_uid, st.p);
        sb_free(&st);
    } else if (fault) {
        if (si->si_addr) sb_printf(&sb, ", si_addr=%p", si->si_addr); else sb_puts(&sb, ", si_addr=NULL");
    } else if (si->si_code == SI_TIMER) {
        sb_printf(&sb, ", si_timerid=%#x, si_overrun=%d, si_int=%d, si_ptr=", si->si_timerid, si->si_overrun, si->si_int);
        if (si->si_ptr) sb_printf(&sb, "%p", si->si_ptr); else sb_puts(&sb, "NULL");
    } else if (si->si_code == SI_USER || si->si_code == SI_TKILL || si->si_code == SI_QUEUE || si->si_code < 0) {
        sb_printf(&sb, ", si_pid=%d, si_uid=%u", si->si_pid, (unsigned)si->si_uid);
        if (si->si_code == SI_QUEUE || (si->si_code < 0 && si->si_code != SI_TKILL)) {
            sb_printf(&sb, ", si_int=%d, si_ptr=", si->si_int);
            if (si->si_ptr) sb_printf(&sb, "%p", si->si_ptr); else sb_puts(&sb, "NULL");
        }
    }
    sb_putc(&sb, '}');
    sb_puts(out, sb.p);
    sb_free(&sb);
    sb_free(&name);
}

/* ---- sending ---- */

/* A thread of p that can take sig: want first, then the main thread, then the others. */
static struct task *pick_thread(struct process *p, int sig, struct task *want)
{
    if (want && want->proc == p && want->state != TASK_DEAD && !(want->sigmask & sigbit(sig))) return want;
    int n;
    struct task *const *live = sched_live(&n);
    for (int i = 0; i < n; i++)
        if (live[i]->proc == p && live[i]->tid == p->pid && !(live[i]->sigmask & sigbit(sig))) return live[i];
    for (int i = 0; i < n; i++)
        if (live[i]->proc == p && !(live[i]->sigmask & sigbit(sig))) return live[i];
    return NULL;
}

static bool interruptible(const struct task *t)
{
    return t->state == TASK_BLOCKED && t->in_syscall &&
           (t->wait == WAIT_FUTEX || t->wait == WAIT_IO || t->wait == WAIT_CHILD || t->wait == WAIT_SLEEP ||
            t->wait == WAIT_SIGNAL);
}

static void interrupt(struct task *t)
{
    if (!interruptible(t)) return;
    t->interrupted = true;
    sched_wake(t, 0);
}

static void set_fatal(struct process *p, const siginfo_t *info)
{
    if (!p->fatal_sig) { p->fatal_sig = info->si_signo; p->fatal_info = *info; }
    int n;
    struct task *const *live = sched_live(&n);
    for (int i = 0; i < n; i++)
        if (live[i]->proc == p && live[i]->state == TASK_BLOCKED) {
            live[i]->interrupted = true;
            live[i]->state = TASK_RUNNABLE;
            live[i]->wait = WAIT_NONE;
        }
}

static void notify_parent_stop(struct process *p, int code, int status)
{
    struct process *parent = p->parent;
    if (!parent || parent->zombie) return;
    struct task *pt = pick_thread(parent, SIGCHLD, NULL);
    if (!pt) {
        int n;
        struct task *const *live = sched_live(&n);
        for (int i = 0; i < n && !pt; i++) if (live[i]->proc == parent) pt = live[i];
    }
    if (pt && !(pt->sighand->act[SIGCHLD - 1].flags & SA_NOCLDSTOP)) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        si.si_signo = SIGCHLD;
        si.si_code = code;
        si.si_pid = p->pid;
        si.si_uid = getuid();
        si.si_status = status;
        sig_send(pt, &si, false);
    }
    sched_wake_child_waiters(parent);
}

static void continue_process(struct process *p)
{
    pend_drop(&p->shared, sigbit(SIGSTOP) | sigbit(SIGTSTP) | sigbit(SIGTTIN) | sigbit(SIGTTOU));
    if (!p->stopped) return;
    p->stopped = false;
    int n;
    struct task *const *live = sched_live(&n);
    for (int i = 0; i < n; i++)
        if (live[i]->proc == p && live[i]->state == TASK_BLOCKED && live[i]->wait == WAIT_STOPPED) sched_wake(live[i], 0);
    p->stop_report = 0xffff;
    notify_parent_stop(p, CLD_CONTINUED, SIGCONT);
}

static void stop_process(struct task *t, int sig)
{
    struct process *p = t->proc;
    p->stopped = true;
    int n;
    struct task *const *live = sched_live(&n);
    for (int i = 0; i < n; i++)
        if (live[i]->proc == p && live[i]->state == TASK_RUNNABLE && !live[i]->in_syscall)
            sched_block(live[i], WAIT_STOPPED, 0, false, 0);
    p->stop_report = (sig << 8) | 0x7f;
    notify_parent_stop(p, CLD_STOPPED, sig);
}

void sig_send(struct task *t, const siginfo_t *info, bool to_thread)
{
    int sig = info->si_signo;
    struct process *p = t->proc;
    if (t->state == TASK_DEAD || p->zombie || sig < 1 || sig > NSIG_GUEST) return;
    if (sig == SIGKILL) { set_fatal(p, info); return; }
    if (sig == SIGCONT) continue_process(p);
    if (default_stop(sig)) pend_drop(&p->shared, sigbit(SIGCONT));
    pend_add(to_thread ? &t->pending : &p->shared, info);
    struct task *u = to_thread ? t : pick_thread(p, sig, t);
    if (!u || (u->sigmask & sigbit(sig))) {
        /* Blocked everywhere: it waits. A thread in rt_sigtimedwait for it wakes. */
        int n;
        struct task *const *live = sched_live(&n);
        for (int i = 0; i < n; i++)
            if (live[i]->proc == p && (!to_thread || live[i] == t) && live[i]->state == TASK_BLOCKED &&
                live[i]->wait == WAIT_SIGNAL && (live[i]->sigwait_set & sigbit(sig)))
                sched_wake(live[i], 0);
        return;
    }
    /* Ignored: Linux drops it at once; uniemu keeps it only for the log line strace
     * shows, and it interrupts nothing. */
    if (sig_ignored(u, sig)) return;
    const struct k_sigaction *ka = &u->sighand->act[sig - 1];
    if (ka->handler == (uint64_t)SIG_DFL && !default_stop(sig)) {
        /* A fatal signal ends the whole process at once. */
        siginfo_t dummy;
        pend_take(to_thread ? &t->pending : &p->shared, sig, &dummy);
        set_fatal(p, info);
        return;
    }
    interrupt(u);
}

void sig_send_simple(struct task *t, int sig, int code, int from_pid, bool to_thread)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = code;
    if (code == SI_USER || code == SI_TKILL) {
        struct process *from = process_by_pid(from_pid);
        si.si_pid = from_pid;
        si.si_uid = from ? cred_of(from)->uid : getuid();   /* the sender's real uid */
    }
    sig_send(t, &si, to_thread);
}

/* ---- interrupted system calls ---- */

/* Settles a call cut short by a signal: run it again (RIP back on the syscall
 * instruction, RAX its number) or return EINTR. */
static void settle_restart(struct task *t, const struct k_sigaction *ka)
{
    int code = t->restart_code;
    if (!code) return;
    t->restart_code = 0;
    struct addr_space *as = t->as;
    bool again = code == ERESTARTNOINTR || !ka || (code == ERESTARTSYS && (ka->flags & SA_RESTART));
    if (again) {
        cpu_set(as, R_RAX, (uint64_t)t->restart_nr);
        cpu_set(as, R_RIP, cpu_get(as, R_RIP) - 2);
    } else {
        cpu_set(as, R_RAX, (uint64_t)-EINTR);
        cpu_set(as, R_RCX, cpu_get(as, R_RIP));
        cpu_set(as, R_R11, cpu_get(as, R_RFLAGS));
    }
}

int64_t sig_interrupted_result(struct task *t)
{
    struct syscall *sc = &t->sc;
    switch (sc->nr) {
    case SYS_nanosleep: case SYS_clock_nanosleep: {
        uint64_t rem_addr = sc->nr == SYS_nanosleep ? sc->a[1] : (sc->a[1] & TIMER_ABSTIME ? 0 : sc->a[3]);
        if (rem_addr) {
            uint64_t now = det_now_ns(), left = t->wake_at_ns > now ? t->wake_at_ns - now : 0;
            struct timespec ts = { (time_t)(left / 1000000000ULL), (long)(left % 1000000000ULL) };
            guest_write(t->as, rem_addr, &ts, sizeof ts);
        }
        return -ERESTART_RESTARTBLOCK;
    }
    case SYS_futex: {
        int cmd = (int)sc->a[1] & 127;
        bool timed = (cmd == 0 || cmd == 9) && sc->a[3];   /* FUTEX_WAIT, FUTEX_WAIT_BITSET */
        if (cmd == 6 || cmd == 13) return -ERESTARTNOINTR;  /* FUTEX_LOCK_PI(2) always starts over */
        return timed ? -ERESTART_RESTARTBLOCK : -ERESTARTSYS;
    }
    case SYS_poll:   /* poll restarts through restart_syscall, with the time left */
        return -ERESTART_RESTARTBLOCK;
    case SYS_ppoll: case SYS_select: case SYS_pselect6: case SYS_epoll_wait: case SYS_epoll_pwait:
    case SYS_pause: case SYS_rt_sigsuspend:
        return -ERESTARTNOHAND;
    case SYS_rt_sigtimedwait: case SYS_semop: case SYS_semtimedop:
        return -EINTR;
    case SYS_msgsnd: case SYS_msgrcv:
        return -ERESTARTNOHAND;
    default:
        return -ERESTARTSYS;
    }
}

/* ---- the signal frame (arch/x86/include/asm/sigframe.h, uapi sigcontext.h) ---- */

struct k_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2, fpstate, reserved1[8];
};
struct k_stack { uint64_t ss_sp; int32_t ss_flags, pad; uint64_t ss_size; };
struct k_ucontext {
    uint64_t uc_flags, uc_link;
    struct k_stack uc_stack;
    struct k_sigcontext uc_mcontext;
    uint64_t uc_sigmask;
};
struct k_rt_sigframe {
    uint64_t pretcode;
    struct k_ucontext uc;
    siginfo_t info;
};
_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext layout");
_Static_assert(offsetof(struct k_rt_sigframe, uc.uc_sigmask) == 8 + 296, "ucontext layout");
_Static_assert(sizeof(struct k_rt_sigframe) == 440, "rt_sigframe layout");

#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FXSAVE_SIZE 512
#define REDZONE 128
/* The flags a handler may change through the saved context (the kernel's FIX_EFLAGS). */
#define FIX_EFLAGS 0x50dd5ULL

static bool on_altstack(const struct task *t, uint64_t sp)
{
    return t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
}

static int altstack_flags(const struct task *t, uint64_t sp)
{
    if (!t->altstack.size || (t->altstack.flags & SS_DISABLE)) return SS_DISABLE;
    return on_altstack(t, sp) ? SS_ONSTACK : (t->altstack.flags & SS_AUTODISARM);
}

static const enum greg sc_order[] = { R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15, R_RDI, R_RSI, R_RBP,
                                      R_RBX, R_RDX, R_RAX, R_RCX, R_RSP, R_RIP, R_RFLAGS };

static bool setup_frame(struct task *t, int sig, const siginfo_t *info, const struct k_sigaction *ka, uint64_t oldmask)
{
    struct addr_space *as = t->as;
    uint64_t sp = cpu_get(as, R_RSP);
    bool use_alt = (ka->flags & SA_ONSTACK) && t->altstack.size && !(t->altstack.flags & SS_DISABLE) && !on_altstack(t, sp);
    struct k_stack saved_stack = { t->altstack.sp, altstack_flags(t, sp), 0, t->altstack.size };
    if (use_alt) {
        sp = t->altstack.sp + t->altstack.size;
        if (t->altstack.flags & SS_AUTODISARM) { t->altstack.sp = 0; t->altstack.size = 0; t->altstack.flags = SS_DISABLE; }
    } else {
        sp -= REDZONE;
    }
    uint64_t fpstate = (sp - FXSAVE_SIZE) & ~63ULL;
    uint64_t frame = ((fpstate - sizeof(struct k_rt_sigframe)) & ~15ULL) - 8;

    uint8_t fx[FXSAVE_SIZE];
    cpu_get_fxsave(as, fx);
    struct k_rt_sigframe f;
    memset(&f, 0, sizeof f);
    f.pretcode = ka->restorer;
    f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f.uc.uc_stack = saved_stack;
    uint64_t *regs = &f.uc.uc_mcontext.r8;
    for (size_t i = 0; i < sizeof sc_order / sizeof sc_order[0]; i++) regs[i] = cpu_get(as, sc_order[i]);
    f.uc.uc_mcontext.cs = 0x33;
    f.uc.uc_mcontext.ss = 0x2b;
    if (t->fault_pending && info->si_signo == t->fault_sig) {
        f.uc.uc_mcontext.err = t->fault_err;
        f.uc.uc_mcontext.trapno = t->fault_trapno;
        f.uc.uc_mcontext.cr2 = t->fault_cr2;
        /* The CPU saves RF set for a fault (not for the int3 and debug traps). */
        if (t->fault_trapno != 3 && t->fault_trapno != 1) f.uc.uc_mcontext.eflags |= 0x10000;
        t->fault_pending = false;
    }
    f.uc.uc_mcontext.oldmask = oldmask;
    f.uc.uc_mcontext.fpstate = fpstate;
    f.uc.uc_sigmask = oldmask;
    f.info = *info;
    if (!(ka->flags & 0x04000000)) return false;   /* no SA_RESTORER: nowhere to return to */
    if (guest_write(as, fpstate, fx, sizeof fx) || guest_write(as, frame, &f, sizeof f)) return false;

    cpu_set(as, R_RSP, frame);
    cpu_set(as, R_RIP, ka->handler);
    cpu_fpu_init(as);   /* the handler starts with a fresh FPU; rt_sigreturn restores it */
    cpu_set(as, R_RDI, (uint64_t)sig);
    cpu_set(as, R_RSI, frame + offsetof(struct k_rt_sigframe, info));
    cpu_set(as, R_RDX, frame + offsetof(struct k_rt_sigframe, uc));
    cpu_set(as, R_RAX, 0);
    /* Handlers start with the direction and trap flags clear, as the kernel leaves them. */
    cpu_set(as, R_RFLAGS, cpu_get(as, R_RFLAGS) & ~(0x400ULL | 0x100ULL | 0x10000ULL));
    return true;
}

int64_t sig_return(struct task *t)
{
    struct addr_space *as = t->as;
    uint64_t frame = cpu_get(as, R_RSP) - 8;
    struct k_rt_sigframe f;
    if (guest_read(as, frame, &f, sizeof f)) {
        sig_send_simple(t, SIGSEGV, SI_KERNEL, 0, true);
        return -EFAULT;
    }
    const uint64_t *regs = &f.uc.uc_mcontext.r8;
    uint64_t flags = cpu_get(as, R_RFLAGS);
    for (size_t i = 0; i < sizeof sc_order / sizeof sc_order[0]; i++) {
        if (sc_order[i] == R_RFLAGS) cpu_set(as, R_RFLAGS, (flags & ~FIX_EFLAGS) | (regs[i] & FIX_EFLAGS));
        else cpu_set(as, sc_order[i], regs[i]);
    }
    if (f.uc.uc_mcontext.fpstate) {
        uint8_t fx[FXSAVE_SIZE];
        if (guest_read(as, f.uc.uc_mcontext.fpstate, fx, sizeof fx) == 0) cpu_set_fxsave(as, fx);
    }
    t->sigmask = f.uc.uc_sigmask & ~SIG_UNBLOCKABLE;
    /* The alternate stack as it was (SS_AUTODISARM turned it off for the handler). */
    if (!on_altstack(t, cpu_get(as, R_RSP)) && f.uc.uc_stack.ss_size && !(f.uc.uc_stack.ss_flags & SS_DISABLE)) {
        t->altstack.sp = f.uc.uc_stack.ss_sp;
        t->altstack.size = f.uc.uc_stack.ss_size;
        t->altstack.flags = f.uc.uc_stack.ss_flags & SS_AUTODISARM;
    }
    t->exec_done = true;   /* the registers are the restored ones: leave RCX and R11 */
    return (int64_t)cpu_get(as, R_RAX);
}

/* ---- delivery ---- */

static int next_signal(struct task *t)
{
    uint64_t ready = t->pending.set & ~t->sigmask;
    if (!ready) ready = t->proc->shared.set & ~t->sigmask;
    if (!ready) return 0;
    /* Synchronous faults first, as the kernel does, then the lowest number. */
    const uint64_t sync = sigbit(SIGSEGV) | sigbit(SIGBUS) | sigbit(SIGILL) | sigbit(SIGTRAP) | sigbit(SIGFPE) | sigbit(SIGSYS);
    if (ready & sync) ready &= sync;
    return __builtin_ctzll(ready) + 1;
}

void sig_deliver(struct task *t)
{
    bool handled = false;
    for (int guard = 0; guard < 2 * NSIG_GUEST && t->state != TASK_DEAD; guard++) {
        int sig = next_signal(t);
        if (!sig) break;
        siginfo_t info;
        if (!pend_take(&t->pending, sig, &info) && !pend_take(&t->proc->shared, sig, &info)) break;
        sig_log(t, &info);
        struct k_sigaction *ka = &t->sighand->act[sig - 1];
        if (ka->handler == (uint64_t)SIG_IGN) continue;
        if (ka->handler == (uint64_t)SIG_DFL) {
            if (default_ignore(sig)) continue;
            if (default_stop(sig)) {
                settle_restart(t, NULL);
                stop_process(t, sig);
                return;
            }
            t->proc->fatal_sig = sig;
            t->proc->fatal_info = info;
            task_kill(t, sig);
            return;
        }
        settle_restart(t, ka);
        uint64_t oldmask = t->has_saved_mask ? t->saved_mask : t->sigmask;
        t->has_saved_mask = false;
        if (!setup_frame(t, sig, &info, ka, oldmask)) {
            /* The frame cannot be written (a bad stack): the kernel kills with SIGSEGV. */
            siginfo_t segv;
            memset(&segv, 0, sizeof segv);
            segv.si_signo = SIGSEGV;
            segv.si_code = SI_KERNEL;
            sig_log(t, &segv);
            task_kill(t, SIGSEGV);
            return;
        }
        handled = true;
        t->sigmask |= ka->mask | (ka->flags & SA_NODEFER ? 0 : sigbit(sig));
        t->sigmask &= ~SIG_UNBLOCKABLE;
        if (ka->flags & SA_RESETHAND) ka->handler = (uint64_t)SIG_DFL;
    }
    if (t->state == TASK_DEAD) return;
    /* No handler ran: an interrupted call runs again, a temporary mask goes back. */
    settle_restart(t, NULL);
    if (!handled && t->has_saved_mask) {
        t->sigmask = t->saved_mask;
        t->has_saved_mask = false;
    }
}

/* ---- faults ---- */

static int trapno_of(const struct fault *f)
{
    if (f->access) return 14;   /* page fault */
    switch (f->signo) {
    case SIGFPE: return f->trapno;
    case SIGILL: return 6;
    case SIGTRAP: return 3;
    default: return 13;
    }
}

void sig_fault(struct task *t, const struct fault *fault)
{
    struct fault fb = *fault;
    const struct fault *f = &fb;
    if (fb.signo == SIGSEGV && fb.code == SEGV_ACCERR && fb.access) {
        /* A page of a file mapping past the end of its file (mm.c blocks those pages in
         * the engine only): the mapping allows the access, the file has no byte there. */
        const struct vma *v = as_find(t->as, fb.addr);
        bool allowed = v && v->ino && !(v->flags & MAP_ANONYMOUS) &&
                       ((!strcmp(fb.access, "read") && (v->prot & PROT_READ)) ||
                        (!strcmp(fb.access, "write") && (v->prot & PROT_WRITE)) ||
                        (!strcmp(fb.access, "execute") && (v->prot & PROT_EXEC)));
        if (allowed) { fb.signo = SIGBUS; fb.code = BUS_ADRERR; }
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = f->signo;
    si.si_code = f->code;
    if (f->signo != SIGTRAP && f->code != SI_KERNEL) si.si_addr = (void *)(uintptr_t)f->addr;
    const struct k_sigaction *ka = &t->sighand->act[f->signo - 1];
    bool catchable = ka->handler != (uint64_t)SIG_DFL && ka->handler != (uint64_t)SIG_IGN &&
                     !(t->sigmask & sigbit(f->signo));
    if (!catchable) {
        /* Blocked, ignored or default: the kernel forces the default action. */
        sig_log(t, &si);
        report_fault(t, f);
        t->proc->fault_sig = f->signo;
        t->proc->fault_rip = f->rip;
        t->proc->fault_addr = f->addr;
        task_kill(t, f->signo);
        return;
    }
    struct addr_space *as = t->as;
    /* The handler sees the faulting instruction in the saved RIP (after int3 for a trap). */
    if (f->signo != SIGTRAP) cpu_set(as, R_RIP, f->rip);
    cpu_clear_exception(as);
    t->fault_pending = true;
    t->fault_sig = f->signo;
    t->fault_trapno = trapno_of(f);
    t->fault_err = f->access ? (4 | (strcmp(f->access, "write") == 0 ? 2 : 0) | (f->code == SEGV_ACCERR ? 1 : 0) |
                                (strcmp(f->access, "execute") == 0 ? 16 : 0)) : 0;
    t->fault_cr2 = f->access ? f->addr : 0;
    pend_add(&t->pending, &si);
}
