/* The run loop: run the task in its engine until it stops, then act on why it stopped
 * (a syscall, a fault, the end of its budget). System calls run here, outside any
 * Unicorn callback. */
#include "syscalls/cred.h"
#include "syscalls/prctl.h"
#include "scheduler/run.h"
#include "syscalls/limits.h"
#include "scheduler/task.h"
#include "scheduler/sched.h"
#include "scheduler/signals.h"
#include "tools/record.h"
#include "tools/symbols.h"
#include "tools/explain.h"
#include "tools/timeline.h"
#include "syscalls/fdtable.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include "loader/elf_loader.h"
#include "loader/exec.h"
#include "syscalls/syscall.h"
#include "syscalls/ipc.h"
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* Instructions per run of the engine; a run also ends at every syscall. */
#define RUN_BUDGET (1ULL << 24)

static struct process *first_process;
FILE *diag_out;

static void log_task_end(struct task *t, int wait_status)
{
    if (!strace_out) return;
    struct strbuf sb = { 0 };
    if (WIFSIGNALED(wait_status)) {
        struct strbuf name = { 0 };
        sb_signame(&name, WTERMSIG(wait_status));
        sb_printf(&sb, "+++ killed by %s +++", name.p);
        sb_free(&name);
    } else {
        sb_printf(&sb, "+++ exited with %d +++", WEXITSTATUS(wait_status));
    }
    strace_log_line(t, sb.p);
    sb_free(&sb);
}

/* The signal a child's death sends its parent (SIGCHLD, or the exit signal it chose). */
static void signal_parent(struct process *parent, struct process *child)
{
    struct task *pt = NULL;
    int n;
    struct task *const *live = sched_live(&n);
    for (int i = 0; i < n && !pt; i++)
        if (live[i]->proc == parent) pt = live[i];
    if (!pt) return;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int ws = child->wait_status;
    si.si_signo = child->exit_signal;
    si.si_pid = child->pid;
    si.si_uid = cred_of(child)->uid;   /* the child's real uid */
    if (WIFSIGNALED(ws)) { si.si_code = WCOREDUMP(ws) ? CLD_DUMPED : CLD_KILLED; si.si_status = WTERMSIG(ws); }
    else { si.si_code = CLD_EXITED; si.si_status = WEXITSTATUS(ws); }
    sig_send(pt, &si, false);
}

/* The last thread of p is gone: p becomes a zombie for its parent to reap. */
static void process_die(struct process *p, int wait_status)
{
    p->zombie = true;
    p->wait_status = wait_status;
    timers_free(p);
    ipc_process_exit(p);   /* SEM_UNDO */
    /* Orphans go to the nearest child subreaper above (PR_SET_CHILD_SUBREAPER), else to
     * init, which reaps them; each gets its parent-death signal (PR_SET_PDEATHSIG). */
    struct process *reaper = prctl_new_reaper(p);
    for (int i = 0; i < ntasks; i++) {   /* the signal first, to a live thread of each */
        struct task *ct = all_tasks[i];
        struct process *c = ct->proc;
        if (c && c->parent == p && c != p && c->pdeathsig > 0 && !c->zombie && ct->state != TASK_DEAD) {
            sig_send_simple(ct, c->pdeathsig, SI_USER, p->pid, false);
            c->pdeathsig = -c->pdeathsig;   /* sent: once per process (made positive below) */
        }
    }
    for (int i = 0; i < ntasks; i++) {
        struct process *c = all_tasks[i]->proc;
        if (!c || c->parent != p || c == p) continue;
        if (c->pdeathsig < 0) c->pdeathsig = -c->pdeathsig;
        c->parent = reaper;
        c->ppid = reaper ? reaper->pid : INIT_PID;
        if (c->zombie && !c->reaped) {
            if (!reaper) process_reap(c);
            else { if (c->exit_signal) signal_parent(reaper, c); sched_wake_child_waiters(reaper); }
        }
    }
    if (p->vfork_parent) { sched_wake(p->vfork_parent, p->pid); p->vfork_parent = NULL; }
    struct process *parent = p->parent;
    if (!parent || parent->zombie) { process_reap(p); return; }
    /* A parent that ignores SIGCHLD explicitly (or asks SA_NOCLDWAIT) never sees zombies. */
    struct task *pt = NULL;
    for (int i = 0; i < ntasks && !pt; i++)
        if (all_tasks[i]->proc == parent && all_tasks[i]->state != TASK_DEAD) pt = all_tasks[i];
    const struct k_sigaction *ka = pt ? &pt->sighand->act[SIGCHLD - 1] : NULL;
    if (ka && p->exit_signal == SIGCHLD && (ka->handler == (uint64_t)SIG_IGN || (ka->flags & SA_NOCLDWAIT))) process_reap(p);
    else if (p->exit_signal) signal_parent(parent, p);
    sched_wake_child_waiters(parent);
}

/* Ends one thread: the log line, clear_child_tid, its share of the parts. */
static void thread_end(struct task *t, int wait_status)
{
    if (t->state == TASK_DEAD) return;
    syscall_abandon(t);
    log_task_end(t, wait_status);
    if (timeline_on) {
        char what[64];
        if (WIFSIGNALED(wait_status)) snprintf(what, sizeof what, "killed by SIG%s", sigabbrev_np(WTERMSIG(wait_status)));
        else snprintf(what, sizeof what, "exited with %d", WEXITSTATUS(wait_status));
        timeline_event(t->tid, 'x', what);
    }
    struct process *p = t->proc;
    futex_task_release(t);
    if (t->clear_child_tid && t->as && t->as->refs > 1) {
        /* CLONE_CHILD_CLEARTID: zero the tid word and wake one futex waiter (join). */
        uint32_t zero = 0;
        if (guest_write(t->as, t->clear_child_tid, &zero, 4) == 0) futex_wake_addr(t->as, t->clear_child_tid, 1);
    }
    t->state = TASK_DEAD;
    sched_remove(t);
    if (t->as) {
        if (t->as->loaded == t) t->as->loaded = NULL;
        if (t->as->refs == 1) { mm_writeback(t->as, 0, TASK_SIZE_64); explain_forget(t->as); }
        as_put(t->as);
        t->as = NULL;
    }
    fdtable_put(t->files); t->files = NULL;
    fs_put(t->fs); t->fs = NULL;
    sighand_put(t->sighand); t->sighand = NULL;
    cpu_ctx_free(t->ctx); t->ctx = NULL;
    if (--p->nthreads == 0) process_die(p, p->group_exiting ? p->group_status : wait_status);
}

void task_exit(struct task *t, int wait_status, bool whole_process)
{
    struct process *p = t->proc;
    if (whole_process && !p->group_exiting) {
        p->group_exiting = true;
        p->group_status = wait_status;
        for (int i = 0; i < ntasks; i++)
            if (all_tasks[i] != t && all_tasks[i]->proc == p) thread_end(all_tasks[i], wait_status);
    }
    thread_end(t, wait_status);
}

void task_kill(struct task *t, int sig)
{
    task_exit(t, sig & 0x7f, true);
}

/* A fault's si_code by name (signals.c names them for the log too); "0" for none. */
static const char *si_code_name(int signo, int code)
{
    siginfo_t si = { .si_signo = signo, .si_code = code };
    const char *n = code > 0 || code == SI_KERNEL ? sig_code_name(&si) : NULL;
    return n ? n : "0";
}

static const char *fault_words(const struct fault *f)
{
    switch (f->signo) {
    case SIGSEGV:
        if (f->code == SEGV_MAPERR) return "address not mapped";
        if (f->code == SEGV_ACCERR) return "access not allowed by the mapping's protection";
        return "general protection fault";
    case SIGFPE:
        switch (f->code) {
        case FPE_INTDIV: return "integer division by zero";
        case FPE_FLTDIV: return "floating-point division by zero (unmasked)";
        case FPE_FLTOVF: return "floating-point overflow (unmasked)";
        case FPE_FLTUND: return "floating-point underflow (unmasked)";
        case FPE_FLTRES: return "floating-point inexact result (unmasked)";
        case FPE_FLTINV: return "floating-point invalid operation (unmasked)";
        }
        return "floating-point exception";
    case SIGILL: return "illegal instruction";
    case SIGTRAP: return "breakpoint trap";
    case SIGBUS: return "bus error";
    }
    return "fault";
}

/* The short crash report on stderr: signal, address, instruction, registers. */
void report_fault(struct task *t, const struct fault *f)
{
    struct addr_space *as = t->as;
    struct strbuf name = { 0 };
    sb_signame(&name, f->signo);
    /* The process dies; the thread that faulted is named when it is not the leader. */
    char who[48] = "";
    if (t->tid != t->proc->pid) snprintf(who, sizeof who, " (thread %d)", t->tid);
    fprintf(DIAG, "uniemu: pid %d%s killed by %s (%s, %s)", t->proc->pid, who, name.p,
            si_code_name(f->signo, f->code), fault_words(f));
    if (f->access) fprintf(DIAG, ": %s of %#llx", f->access, (unsigned long long)f->addr);
    fputc('\n', DIAG);
    char text[160];
    int len = 0;
    uint64_t before[4];
    int nb = cpu_insns_before(as, f->rip, before, 4);
    for (int i = 0; i < nb; i++)
        if (cpu_disasm(as, before[i], text, sizeof text, &len) == 0)
            fprintf(DIAG, "     %#llx: %s\n", (unsigned long long)before[i], text);
    char where[512];
    sym_describe(as, f->rip, where, sizeof where);
    if (cpu_disasm(as, f->rip, text, sizeof text, &len) == 0)
        fprintf(DIAG, "  at %#llx%s: %s\n", (unsigned long long)f->rip, where, text);
    else
        fprintf(DIAG, "  at %#llx%s: (code not readable)\n", (unsigned long long)f->rip, where);
    uint8_t op[4];
    if (f->signo == SIGILL && guest_peek(as, f->rip, op, sizeof op) == 0) {
        /* VEX (c4, c5) and EVEX (62) prefixes in 64-bit mode: AVX, AVX2, FMA, AVX-512.
         * (A few VEX forms do run in QEMU 5.0, as their SSE twins: CPUID offers none.) */
        int kind = op[0] == 0xc4 || op[0] == 0xc5 ? 1 : op[0] == 0x62 ? 2 : 0;
        if (kind)
            fprintf(DIAG, "  this is an %s instruction: uniemu's CPU (Unicorn, QEMU 5.0's TCG) does not execute\n"
                          "  them, and its CPUID says so; the program was built for a newer x86-64 level\n"
                          "  (x86-64-v3 or -v4, -march=native) or uses them without asking CPUID\n",
                    kind == 1 ? "AVX (VEX-encoded)" : "AVX-512 (EVEX-encoded)");
    }
    if (f->access) {
        const struct vma *v = as_find(as, f->addr);
        if (v) fprintf(DIAG, "  %#llx lies in %llx-%llx %c%c%c %s\n", (unsigned long long)f->addr,
                       (unsigned long long)v->start, (unsigned long long)v->end, v->prot & PROT_READ ? 'r' : '-',
                       v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-', v->name ? v->name : "[anon]");
        else fprintf(DIAG, "  %#llx is not inside any mapping\n", (unsigned long long)f->addr);
        explain_address(t, f->addr);
    }
    for (int r = 0; r <= R_R15; r++)
        fprintf(DIAG, "  %-3s %016llx%s", greg_names[r], (unsigned long long)cpu_get(as, r), r % 4 == 3 ? "\n" : "");
    fprintf(DIAG, "  rip %016llx  eflags %08llx  fs_base %016llx\n", (unsigned long long)f->rip,
            (unsigned long long)cpu_get(as, R_RFLAGS), (unsigned long long)cpu_get(as, R_FS_BASE));
    explain_tasks_and_backtrace(t, f->rip);
    sb_free(&name);
}

/* The vsyscall page (0xffffffffff600000): old binaries call gettimeofday, time and
 * getcpu at fixed addresses there. Linux (vsyscall=xonly, the default) traps the fetch
 * and emulates the call: the result in RAX, then a return to the caller on the stack.
 * Other addresses in the page, or an unreadable return address, are SIGSEGV. Buffers
 * the call cannot write are SIGSEGV (SEGV_MAPERR at the buffer) too, not -EFAULT. */
#define VSYSCALL_PAGE 0xffffffffff600000ULL
static bool vsyscall_emulate(struct task *t, uint64_t rip)
{
    struct addr_space *as = t->as;
    static const int nrs[3] = { SYS_gettimeofday, SYS_time, SYS_getcpu };
    uint64_t off = rip - VSYSCALL_PAGE, caller, sp = cpu_get(as, R_RSP);
    if ((off & 0x3ff) || off > 0x800 || guest_read(as, sp, &caller, 8)) return false;
    struct syscall sc = { .t = t, .nr = nrs[off >> 10] };
    static const enum greg argreg[3] = { R_RDI, R_RSI, R_RDX };
    for (int i = 0; i < 3; i++) sc.a[i] = cpu_get(as, argreg[i]);
    int64_t ret = syscall_call_quiet(&sc);
    if (ret == -EFAULT) {
        /* The first argument that cannot take its result. */
        static const size_t sizes[3][3] = { { 16, 8, 0 }, { 8, 0, 0 }, { 4, 4, 0 } };
        uint64_t bad = 0;
        for (int i = 0; i < 3 && !bad; i++) {
            uint8_t probe[16] = { 0 };
            size_t n = sizes[off >> 10][i];
            if (n && sc.a[i] && guest_read(as, sc.a[i], probe, n)) bad = sc.a[i];
        }
        struct fault f = { .signo = SIGSEGV, .code = SEGV_MAPERR, .addr = bad, .rip = rip, .access = "write" };
        sig_fault(t, &f);
        return true;
    }
    cpu_set(as, R_RAX, (uint64_t)ret);
    cpu_set(as, R_RIP, caller);
    cpu_set(as, R_RSP, sp + 8);
    return true;
}

/* Puts a finished call's result in the registers, as the kernel's syscall return:
 * RAX the result, RCX the return address, R11 the flags. */
static void finish_syscall(struct task *t, int nr, int64_t ret)
{
    if (t->state == TASK_DEAD) return;
    struct addr_space *as = t->as;
    if (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND || ret == -ERESTART_RESTARTBLOCK) {
        /* Cut short by a signal: its delivery decides (signals.c, settle_restart). */
        t->restart_code = (int)-ret;
        t->restart_nr = nr;
        return;
    }
    cpu_set(as, R_RAX, (uint64_t)ret);
    if (t->exec_done) { t->exec_done = false; return; }   /* a fresh program: registers set by execve */
    cpu_set(as, R_RCX, cpu_get(as, R_RIP));
    cpu_set(as, R_R11, cpu_get(as, R_RFLAGS));
}

static void do_syscall(struct task *t)
{
    struct addr_space *as = t->as;
    struct syscall sc = { .t = t, .nr = (int)cpu_get(as, R_RAX) };
    static const enum greg argreg[6] = { R_RDI, R_RSI, R_RDX, R_R10, R_R8, R_R9 };
    for (int i = 0; i < 6; i++) sc.a[i] = cpu_get(as, argreg[i]);
    if (syscall_dispatch(&sc)) finish_syscall(t, sc.nr, sc.ret);
    if (t->exit_pending) task_exit(t, t->exit_status, t->exit_pending == EXIT_GROUP);
}

/* Makes t's registers the engine's: tasks sharing an address space share its engine. */
static void load_task(struct task *t)
{
    struct addr_space *as = t->as;
    as_enter(as);
    if (as->loaded == t) return;
    if (as->loaded) cpu_ctx_save(as, ((struct task *)as->loaded)->ctx);
    cpu_ctx_load(as, t->ctx);
    as->loaded = t;
}

static const char *wait_words(const struct task *t)
{
    switch (t->wait) {
    case WAIT_FUTEX: return "waits on a futex";
    case WAIT_IO: return "waits for a pipe or eventfd";
    case WAIT_CHILD: return "waits for a child";
    case WAIT_SLEEP: return "sleeps";
    case WAIT_VFORK: return "waits for its vfork child";
    case WAIT_SIGNAL: return "waits for a signal";
    case WAIT_STOPPED: return "is stopped";
    case WAIT_NONE: break;
    }
    return "is blocked";
}

/* The futex a task waits on, in words: its address and symbol, its value, and whose it
 * is where that is known (a thread's exit word, which pthread_join waits on; a word that
 * holds a live task's tid, as PI and robust mutexes keep their owner). */
static void describe_futex_wait(struct task *t)
{
    char sym[512];
    uint32_t word;
    fprintf(DIAG, " at %#llx%s", (unsigned long long)t->wait_addr, sym_describe(t->as, t->wait_addr, sym, sizeof sym));
    if (guest_peek(t->as, t->wait_addr, &word, sizeof word) != 0) return;
    fprintf(DIAG, " (holding %u", word);
    for (int i = 0; i < ntasks; i++) {
        struct task *u = all_tasks[i];
        if (u == t || u->state == TASK_DEAD || u->as != t->as) continue;
        if (u->clear_child_tid == t->wait_addr) { fprintf(DIAG, ": task %d's exit word, so it waits for task %d to end", u->tid, u->tid); break; }
        if ((word & FUTEX_TID_MASK) == (uint32_t)u->tid) { fprintf(DIAG, ": task %d's tid, its owner", u->tid); break; }
    }
    fputc(')', DIAG);
}

static void report_deadlock(void)
{
    fprintf(DIAG, "uniemu: deadlock: every live task is blocked and nothing can wake one\n");
    for (int i = 0; i < ntasks; i++) {
        struct task *t = all_tasks[i];
        if (t->state == TASK_DEAD) continue;
        fprintf(DIAG, "  pid %d tid %d %s", t->proc->pid, t->tid, wait_words(t));
        if (t->wait == WAIT_FUTEX) describe_futex_wait(t);
        if (t->in_syscall) {
            /* The call as the log shows it when there is a log, else its name. */
            const char *name = syscall_name(t->sc.nr);
            if (t->log_head.len) fprintf(DIAG, " in %s", t->log_head.p);
            else if (name) fprintf(DIAG, " in %s()", name);
            else fprintf(DIAG, " in system call %d", t->sc.nr);
        }
        fputc('\n', DIAG);
    }
}

/* A signal whose default action kills reached t's process: end it now. */
static void die_of_signal(struct task *t)
{
    struct process *p = t->proc;
    int sig = p->fatal_sig;
    if (sig != SIGKILL) sig_log(t, &p->fatal_info);
    task_kill(t, sig);
}

static void kill_all(void)
{
    for (int i = 0; i < ntasks; i++)
        if (all_tasks[i]->state != TASK_DEAD) task_kill(all_tasks[i], SIGKILL);
}

/* Runs every task until all have ended, or until max_insns (0: none) instructions have
 * run. Returns 0, DEADLOCK_STATUS, LIMIT_STATUS or REPLAY_DIVERGED. */
static int run_all(uint64_t max_insns)
{
    for (;;) {
        if (max_insns && det_insns() >= max_insns) {
            fprintf(DIAG, "uniemu: the run reached its limit of %" PRIu64 " instructions (--max-insns) and was stopped\n",
                    max_insns);
            kill_all();
            return LIMIT_STATUS;
        }
        uint64_t budget;
        enum sched_status st;
        struct task *t = sched_next(&budget, &st);
        if (!t) {
            if (st == SCHED_DONE) return rec_diverged() ? REPLAY_DIVERGED : 0;
            if (st == SCHED_DEADLOCK) report_deadlock();
            kill_all();
            return rec_diverged() || st == SCHED_DIVERGED ? (rec_mode == REC_REPLAY ? REPLAY_DIVERGED : DEADLOCK_STATUS)
                                                      : DEADLOCK_STATUS;
        }
        load_task(t);
        if (sched_decided()) rec_checkpoint(t);
        if (rec_diverged()) {
            kill_all();
            return REPLAY_DIVERGED;
        }
        if (t->proc->fatal_sig) { die_of_signal(t); continue; }
        if (t->in_syscall) {
            /* Woken in a blocked call: finish it; that is a scheduling point too. */
            if (syscall_resume(t)) finish_syscall(t, t->sc.nr, t->sc.ret);
            continue;
        }
        rseq_resume(t, sig_deliverable(t));
        sig_deliver(t);
        if (t->state != TASK_RUNNABLE) continue;   /* killed, or stopped, by a signal */
        struct fault f;
        uint64_t before = det_insns(), cpu_left = timers_cpu_budget(t->proc);
        if (cpu_left < budget) budget = cpu_left;   /* a CPU-time timer fires exactly then */
        cpu_left = limits_cpu_budget(t->proc);      /* and RLIMIT_CPU's signals */
        if (cpu_left < budget) budget = cpu_left;
        if (max_insns && max_insns - before < budget) budget = max_insns - before;
        cpu_trace_task(t->as, t->tid);
        enum stop_reason why = cpu_run(t->as, budget, &f);
        t->proc->cpu_insns += det_insns() - before;
        t->cpu_insns += det_insns() - before;
        limits_cpu_check(t);
        timeline_run(t->tid, before, det_insns());
        switch (why) {
        case STOP_SYSCALL:
            do_syscall(t);
            if (t->state != TASK_DEAD && t->proc->fatal_sig) die_of_signal(t);
            break;
        case STOP_BUDGET:
            t->rseq_event = true;
            sched_preempted(t);
            break;
        case STOP_FAULT:
            if (f.access && !strcmp(f.access, "execute") && f.rip - VSYSCALL_PAGE < PAGE_SIZE &&
                vsyscall_emulate(t, f.rip))
                break;
            sig_fault(t, &f);
            break;
        }
    }
}

/* The initial program's chain (a script's interpreter, the ELF interpreter): found as an
 * execve would find them, and noted for a record that starts later. */
static int initial_resolve(void *ctx, const char *name, char abs[], char load[])
{
    int rc = exec_resolve_initial(ctx, name, abs, load);
    if (rec_mode != REC_REPLAY) rec_note_initial(rc, abs);
    return rc;
}

int run_prepare(const char *prog, char *const argv[], char *const envp[], const struct run_options *opt,
                struct prepared_run *pr)
{
    det_init(opt->seed);
    syscalls_init();
    as_aslr = opt->aslr;
    sock_net_faults = opt->net_faults;
    char exe[PATH_MAX];
    if (opt->exe_override) snprintf(exe, sizeof exe, "%s", opt->exe_override);
    else if (!realpath(prog, exe)) {
        fprintf(stderr, "uniemu: %s: %s\n", prog, strerror(errno));
        return errno == ENOENT ? 127 : 126;
    }
    struct task *t = task_create_initial(exe);
    if (!t) { fprintf(stderr, "uniemu: cannot create the guest task (out of memory?)\n"); tasks_free_all(); return 126; }
    struct exec_result res;
    char err[PATH_MAX + 256];
    struct exec_files files = { initial_resolve, t };
    rec_initial_reset();
    int lrc = exec_load(t->as, opt->execfn ? opt->execfn : prog, prog, exe, argv, &files, &res, err, sizeof err);
    if (lrc) {
        fprintf(stderr, "uniemu: %s\n", err[0] ? err : strerror(-lrc));
        tasks_free_all();
        return lrc == -ENOENT ? 127 : 126;   /* as a shell answers: not found, cannot run */
    }
    /* Recording starts once the program is loaded, with the files its loading found
     * (explore starts its records the same way, after one load for all runs). */
    if (opt->record_path && rec_record_start(opt->record_path, exe, prog, argv, envp, opt, !opt->record_no_embed) != 0) {
        strv_free(res.argv);
        tasks_free_all();
        return 2;
    }
    free(t->proc->exe);
    t->proc->exe = strdup(res.exe);
    task_set_comm(t, opt->execfn ? opt->execfn : prog);   /* a replay names the recorded program */
    /* Without --aslr the layout is Linux's with ASLR off, and the persona says so, as
     * under `setarch -R` (ADDR_NO_RANDOMIZE). */
    if (!opt->aslr) t->proc->personality = 0x0040000;
    uint64_t sp = elf_build_stack(t->as, &res.lp, res.argv, envp, opt->execfn ? opt->execfn : prog);
    strv_free(res.argv);
    if (!sp) {
        fprintf(stderr, "uniemu: %s: argument list too long\n", prog);
        tasks_free_all();
        return 126;
    }
    cpu_start_user(t->as, sp, res.lp.start);
    pr->task = t;
    pr->random_at = res.lp.random_at;
    snprintf(pr->exe, sizeof pr->exe, "%s", exe);
    return 0;
}

int run_prepared(struct prepared_run *pr, const struct run_options *opt)
{
    struct task *t = pr->task;
    /* A prepared program may run under another seed than it was loaded with: its
     * random streams start again, and AT_RANDOM's bytes are the new seed's (the only
     * part of the initial state that depends on it, without --aslr). */
    if (opt->seed != det_seed()) {
        det_init(opt->seed);
        unsigned char rnd[16];
        det_random(rnd, sizeof rnd);
        guest_poke(t->as, pr->random_at, rnd, sizeof rnd);
    }
    sock_net_faults = opt->net_faults;
    if (sched_init(&opt->sched) != 0) { tasks_free_all(); return 2; }
    first_process = t->proc;
    sched_add(t);
    int rc = run_all(opt->max_insns);
    cred_host_restore();   /* uniemu's own files are written with its own credentials */
    int st = first_process->wait_status;
    int status = rc ? rc : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    if (rec_mode == REC_RECORD && rec_record_finish(status) != 0 && !rc) status = 2;
    if (rec_mode == REC_REPLAY && !rc && rec_replay_finish() != 0) status = REPLAY_DIVERGED;
    if (opt->outcome) tasks_describe(opt->outcome, opt->outcome_size);
    sched_fini();
    sym_forget();
    tasks_free_all();
    explain_forget_all();
    first_process = NULL;
    return status;
}

int run_program(const char *prog, char *const argv[], char *const envp[], const struct run_options *opt)
{
    struct prepared_run pr;
    int rc = run_prepare(prog, argv, envp, opt, &pr);
    return rc ? rc : run_prepared(&pr, opt);
}
