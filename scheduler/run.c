/* The run loop: run the task in its engine until it stops, then act on why it stopped
 * (a syscall, a fault, the end of its budget). System calls run here, outside any
 * Unicorn callback. */
#include "scheduler/run.h"
#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include "loader/elf_loader.h"
#include "syscalls/syscall.h"
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_RLIMIT (8ULL << 20)
#define STACK_GUARD_GAP (256 * PAGE_SIZE)
/* Instructions per run of the engine; a run also ends at every syscall. */
#define RUN_BUDGET (1ULL << 24)

void task_exit(struct task *t, int wait_status, bool whole_process)
{
    (void)whole_process;   /* one thread per process for now */
    t->state = TASK_EXITED;
    t->proc->exited = true;
    t->proc->wait_status = wait_status;
}

void task_kill(struct task *t, int sig)
{
    task_exit(t, sig & 0x7f, true);
}

/* Linux grows a stack mapping down when an access lands below it, within the stack
 * rlimit and not closer than the guard gap to the mapping below. */
static bool grow_stack(struct addr_space *as, uint64_t addr)
{
    size_t i = 0;
    while (i < as->nvmas && as->vmas[i].end <= addr) i++;
    if (i == as->nvmas) return false;
    const struct vma *v = &as->vmas[i];
    if (!(v->flags & MAP_GROWSDOWN) || addr >= v->start) return false;
    if (v->end - PAGE_DOWN(addr) > STACK_RLIMIT) return false;
    if (i > 0 && as->vmas[i - 1].end + STACK_GUARD_GAP > PAGE_DOWN(addr)) return false;
    struct vma copy = *v;
    return as_map(as, PAGE_DOWN(addr), copy.start - PAGE_DOWN(addr), copy.prot, copy.flags, copy.name, 0, 0, 0) == 0;
}

static const char *si_code_name(int signo, int code)
{
    if (code == SI_KERNEL) return "SI_KERNEL";
    switch (signo) {
    case SIGSEGV: return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "0";
    case SIGBUS: return code == BUS_ADRALN ? "BUS_ADRALN" : code == BUS_ADRERR ? "BUS_ADRERR" : "0";
    case SIGILL: return code == ILL_ILLOPN ? "ILL_ILLOPN" : "0";
    case SIGFPE: return code == FPE_INTDIV ? "FPE_INTDIV" : "0";
    case SIGTRAP: return code == TRAP_BRKPT ? "TRAP_BRKPT" : "0";
    }
    return "0";
}

static void log_fault_signal(struct task *t, const struct fault *f)
{
    if (!strace_out) return;
    struct strbuf sb = { 0 }, name = { 0 };
    sb_signame(&name, f->signo);
    sb_printf(&sb, "--- %s {si_signo=%s, si_code=%s", name.p, name.p, si_code_name(f->signo, f->code));
    if (f->signo != SIGTRAP) {
        if (f->addr) sb_printf(&sb, ", si_addr=%#llx", (unsigned long long)f->addr);
        else sb_puts(&sb, ", si_addr=NULL");
    }
    sb_puts(&sb, "} ---");
    strace_log_line(t, sb.p);
    sb_free(&sb);
    sb_free(&name);
}

static const char *fault_words(const struct fault *f)
{
    switch (f->signo) {
    case SIGSEGV:
        if (f->code == SEGV_MAPERR) return "address not mapped";
        if (f->code == SEGV_ACCERR) return "access not allowed by the mapping's protection";
        return "general protection fault";
    case SIGFPE: return "integer division by zero";
    case SIGILL: return "illegal instruction";
    case SIGTRAP: return "breakpoint trap";
    case SIGBUS: return "bus error";
    }
    return "fault";
}

/* The short crash report on stderr: signal, address, instruction, registers. */
static void report_fault(struct task *t, const struct fault *f)
{
    struct addr_space *as = t->as;
    struct strbuf name = { 0 };
    sb_signame(&name, f->signo);
    fprintf(stderr, "uniemu: pid %d killed by %s (%s, %s)", t->proc->pid, name.p,
            si_code_name(f->signo, f->code), fault_words(f));
    if (f->access) fprintf(stderr, ": %s of %#llx", f->access, (unsigned long long)f->addr);
    fputc('\n', stderr);
    char text[160];
    int len = 0;
    if (cpu_disasm(as, f->rip, text, sizeof text, &len) == 0)
        fprintf(stderr, "  at %#llx: %s\n", (unsigned long long)f->rip, text);
    else
        fprintf(stderr, "  at %#llx: (code not readable)\n", (unsigned long long)f->rip);
    if (f->access) {
        const struct vma *v = as_find(as, f->addr);
        if (v) fprintf(stderr, "  %#llx lies in %llx-%llx %c%c%c %s\n", (unsigned long long)f->addr,
                       (unsigned long long)v->start, (unsigned long long)v->end, v->prot & PROT_READ ? 'r' : '-',
                       v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-', v->name ? v->name : "[anon]");
        else fprintf(stderr, "  %#llx is not inside any mapping\n", (unsigned long long)f->addr);
    }
    for (int r = 0; r <= R_R15; r++)
        fprintf(stderr, "  %-3s %016llx%s", greg_names[r], (unsigned long long)cpu_get(as, r), r % 4 == 3 ? "\n" : "");
    fprintf(stderr, "  rip %016llx  eflags %08llx  fs_base %016llx\n", (unsigned long long)f->rip,
            (unsigned long long)cpu_get(as, R_RFLAGS), (unsigned long long)cpu_get(as, R_FS_BASE));
    sb_free(&name);
}

static void do_syscall(struct task *t)
{
    struct addr_space *as = t->as;
    struct syscall sc = { .t = t, .nr = (int)cpu_get(as, R_RAX) };
    static const enum greg argreg[6] = { R_RDI, R_RSI, R_RDX, R_R10, R_R8, R_R9 };
    for (int i = 0; i < 6; i++) sc.a[i] = cpu_get(as, argreg[i]);
    syscall_dispatch(&sc);
    if (t->state == TASK_EXITED) return;
    /* As the kernel's syscall return: RCX gets the return address, R11 the flags. */
    cpu_set(as, R_RAX, (uint64_t)sc.ret);
    cpu_set(as, R_RCX, cpu_get(as, R_RIP));
    cpu_set(as, R_R11, cpu_get(as, R_RFLAGS));
}

static void run_task(struct task *t)
{
    struct fault f;
    while (t->state != TASK_EXITED) {
        switch (cpu_run(t->as, RUN_BUDGET, &f)) {
        case STOP_SYSCALL:
            do_syscall(t);
            break;
        case STOP_BUDGET:
            break;
        case STOP_FAULT:
            if (f.signo == SIGSEGV && f.code == SEGV_MAPERR && grow_stack(t->as, f.addr)) break;
            log_fault_signal(t, &f);
            report_fault(t, &f);
            task_kill(t, f.signo);
            break;
        }
    }
}

static void log_exit(struct task *t)
{
    if (!strace_out) return;
    int st = t->proc->wait_status;
    struct strbuf sb = { 0 };
    if (WIFSIGNALED(st)) {
        struct strbuf name = { 0 };
        sb_signame(&name, WTERMSIG(st));
        sb_printf(&sb, "+++ killed by %s +++", name.p);
        sb_free(&name);
    } else {
        sb_printf(&sb, "+++ exited with %d +++", WEXITSTATUS(st));
    }
    strace_log_line(t, sb.p);
    sb_free(&sb);
}

int run_program(const char *prog, char *const argv[], char *const envp[], const struct run_options *opt)
{
    det_init(opt->seed);
    syscalls_init();
    char exe[PATH_MAX];
    if (!realpath(prog, exe)) {
        fprintf(stderr, "uniemu: %s: %s\n", prog, strerror(errno));
        return errno == ENOENT ? 127 : 126;
    }
    struct task *t = task_create_initial(exe);
    if (!t) { fprintf(stderr, "uniemu: cannot create the guest task (out of memory?)\n"); return 126; }
    struct loaded_program lp;
    char err[PATH_MAX + 256];
    if (elf_load(t->as, prog, exe, &lp, err, sizeof err) != 0) {
        fprintf(stderr, "uniemu: %s\n", err);
        task_destroy(t);
        return 126;
    }
    uint64_t sp = elf_build_stack(t->as, &lp, argv, envp, prog);
    if (!sp) {
        fprintf(stderr, "uniemu: %s: argument list too long\n", prog);
        task_destroy(t);
        return 126;
    }
    /* The registers at entry, as Linux leaves them: all zero but rsp and rip. */
    for (int r = 0; r < R_NREGS; r++) cpu_set(t->as, r, 0);
    cpu_set(t->as, R_RSP, sp);
    cpu_set(t->as, R_RIP, lp.entry);
    cpu_set(t->as, R_RFLAGS, 0x202);

    run_task(t);
    mm_writeback(t->as, 0, TASK_SIZE_64);
    log_exit(t);
    int st = t->proc->wait_status, status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    task_destroy(t);
    return status;
}
