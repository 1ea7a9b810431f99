/* Process identity and lifetime for now: exit, ids, arch_prctl, uname, limits.
 * Identity values the guest can see are fixed (pids from FIRST_PID, a fixed uname);
 * credentials (uids, gids, capabilities) are in syscalls/cred.c. */
#include "syscalls/syscall.h"
#include "syscalls/limits.h"
#include "syscalls/machine.h"
#include "scheduler/task.h"
#include "scheduler/sched.h"
#include "scheduler/run.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include "syscalls/cred.h"
#include <asm/prctl.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>


/* The run loop ends the task once the call is logged (strace shows "exit(0) = ?"
 * before "+++ exited with 0 +++"). */
static int64_t sys_exit(struct syscall *sc)
{
    sc->t->exit_pending = EXIT_THREAD;
    sc->t->exit_status = ((int)sc->a[0] & 0xff) << 8;
    return RET_NORETURN;
}

static int64_t sys_exit_group(struct syscall *sc)
{
    sc->t->exit_pending = EXIT_GROUP;
    sc->t->exit_status = ((int)sc->a[0] & 0xff) << 8;
    return RET_NORETURN;
}

static int64_t sys_getpid(struct syscall *sc) { return sc->t->proc->pid; }
static int64_t sys_getppid(struct syscall *sc) { return sc->t->proc->ppid; }
static int64_t sys_gettid(struct syscall *sc) { return sc->t->tid; }
static int64_t sys_getpgrp(struct syscall *sc) { return sc->t->proc->pgid; }
static int64_t sys_getpgid(struct syscall *sc)
{
    int pid = (int)sc->a[0];
    return (pid == 0 || pid == sc->t->proc->pid) ? sc->t->proc->pgid : -ESRCH;
}
static int64_t sys_getsid(struct syscall *sc)
{
    int pid = (int)sc->a[0];
    return (pid == 0 || pid == sc->t->proc->pid) ? sc->t->proc->sid : -ESRCH;
}
static int64_t sys_setpgid(struct syscall *sc)
{
    int pid = (int)sc->a[0], pgid = (int)sc->a[1];
    if (pid != 0 && pid != sc->t->proc->pid) return -ESRCH;
    if (pgid < 0) return -EINVAL;
    sc->t->proc->pgid = pgid ? pgid : sc->t->proc->pid;
    return 0;
}
static int64_t sys_setsid(struct syscall *sc)
{
    struct process *p = sc->t->proc;
    if (p->pgid == p->pid) return -EPERM;
    p->sid = p->pgid = p->pid;
    return p->sid;
}

static int64_t sys_set_tid_address(struct syscall *sc)
{
    sc->t->clear_child_tid = sc->a[0];
    return sc->t->tid;
}

static int64_t sys_set_robust_list(struct syscall *sc)
{
    if (sc->a[1] != 24) return -EINVAL;   /* sizeof(struct robust_list_head) */
    sc->t->robust_list = sc->a[0];
    sc->t->robust_len = sc->a[1];
    return 0;
}

static int64_t sys_get_robust_list(struct syscall *sc)
{
    struct task *u = sc->a[0] ? task_by_tid((int)sc->a[0]) : sc->t;
    /* init stands outside the guest: a root process whose list is not known here. */
    bool init = !u && (int)sc->a[0] == INIT_PID;
    if ((!u && !init) || (int)sc->a[0] < 0) return -ESRCH;
    if (!futex_may_read_robust(sc->t, u)) return -EPERM;
    uint64_t head = u ? u->robust_list : 0, len = 24;
    /* The length first, as the kernel writes them. */
    if (guest_write(sc->t->as, sc->a[2], &len, 8) || guest_write(sc->t->as, sc->a[1], &head, 8)) return -EFAULT;
    return 0;
}

/* rseq is optional for libc (glibc falls back when it fails). */
static int64_t sys_rseq(struct syscall *sc) { (void)sc; return -ENOSYS; }

static int64_t sys_arch_prctl(struct syscall *sc)
{
    struct addr_space *as = sc->t->as;
    uint64_t v;
    switch ((int)sc->a[0]) {
    case ARCH_SET_FS:
        if (sc->a[1] >= TASK_SIZE_64) return -EPERM;
        cpu_set(as, R_FS_BASE, sc->a[1]);
        return 0;
    case ARCH_SET_GS:
        if (sc->a[1] >= TASK_SIZE_64) return -EPERM;
        cpu_set(as, R_GS_BASE, sc->a[1]);
        return 0;
    case ARCH_GET_FS:
        v = cpu_get(as, R_FS_BASE);
        return guest_write(as, sc->a[1], &v, 8) ? -EFAULT : 0;
    case ARCH_GET_GS:
        v = cpu_get(as, R_GS_BASE);
        return guest_write(as, sc->a[1], &v, 8) ? -EFAULT : 0;
    case ARCH_GET_CPUID:
        return 1;
    case ARCH_SET_CPUID:
        return -ENODEV;
    default:
        return -EINVAL;
    }
}

static int64_t sys_uname(struct syscall *sc)
{
    struct utsname u;
    memset(&u, 0, sizeof u);
    strcpy(u.sysname, GUEST_SYSNAME);
    strcpy(u.nodename, GUEST_NODENAME);
    strcpy(u.release, GUEST_RELEASE);
    strcpy(u.version, GUEST_VERSION);
    strcpy(u.machine, "x86_64");
    strcpy(u.domainname, GUEST_DOMAINNAME);
    return guest_write(sc->t->as, sc->a[0], &u, sizeof u) ? -EFAULT : 0;
}

static int64_t sys_sysinfo(struct syscall *sc)
{
    struct sysinfo si;
    memset(&si, 0, sizeof si);
    si.uptime = (long)(det_monotonic_ns() / 1000000000ULL);
    si.totalram = GUEST_MEM_BYTES;
    si.freeram = GUEST_FREE_BYTES;
    si.procs = 1;
    si.mem_unit = 1;
    return guest_write(sc->t->as, sc->a[0], &si, sizeof si) ? -EFAULT : 0;
}

/* The limits themselves are syscalls/limits.c's. */
static int64_t sys_prlimit64(struct syscall *sc) { return limits_prlimit(sc->t, (int)sc->a[0], (unsigned)sc->a[1], sc->a[2], sc->a[3]); }
static int64_t sys_getrlimit(struct syscall *sc) { return limits_prlimit(sc->t, 0, (unsigned)sc->a[0], 0, sc->a[1]); }
static int64_t sys_setrlimit(struct syscall *sc) { return limits_prlimit(sc->t, 0, (unsigned)sc->a[0], sc->a[1], 0); }

static int64_t sys_sched_yield(struct syscall *sc) { sched_yield_task(sc->t); return 0; }

static int64_t sys_getcpu(struct syscall *sc)
{
    uint32_t zero = 0;
    if (sc->a[0] && guest_write(sc->t->as, sc->a[0], &zero, 4)) return -EFAULT;
    if (sc->a[1] && guest_write(sc->t->as, sc->a[1], &zero, 4)) return -EFAULT;
    return 0;
}

static int64_t sys_getrandom(struct syscall *sc)
{
    uint64_t len = sc->a[1];
    if (sc->a[2] & ~7ULL) return -EINVAL;
    if (len > 33554431) len = 33554431;
    unsigned char buf[4096];
    uint64_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof buf ? len - done : sizeof buf;
        det_random(buf, n);
        if (guest_write(sc->t->as, sc->a[0] + done, buf, n)) return done ? (int64_t)done : -EFAULT;
        done += n;
    }
    return len;
}

/* CPU time is virtual (one instruction per nanosecond), all of it user time: the
 * process's threads (RUSAGE_SELF), the calling thread (RUSAGE_THREAD), or the children
 * it waited for and theirs (RUSAGE_CHILDREN). */
static int64_t sys_getrusage(struct syscall *sc)
{
    struct task *t = sc->t;
    uint64_t insns;
    switch ((int)sc->a[0]) {
    case RUSAGE_SELF: insns = t->proc->cpu_insns; break;
    case RUSAGE_THREAD: insns = t->cpu_insns; break;
    case RUSAGE_CHILDREN: insns = t->proc->children_insns; break;
    default: return -EINVAL;
    }
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    uint64_t us = insns * DET_NS_PER_INSN / 1000;
    ru.ru_utime.tv_sec = us / 1000000;
    ru.ru_utime.tv_usec = us % 1000000;
    return guest_write(t->as, sc->a[1], &ru, sizeof ru) ? -EFAULT : 0;
}

/* ---- how arguments print ---- */

static void fmt_arch_prctl_code(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name c[] = { { ARCH_SET_GS, "ARCH_SET_GS" }, { ARCH_SET_FS, "ARCH_SET_FS" },
        { ARCH_GET_FS, "ARCH_GET_FS" }, { ARCH_GET_GS, "ARCH_GET_GS" }, { ARCH_GET_CPUID, "ARCH_GET_CPUID" },
        { ARCH_SET_CPUID, "ARCH_SET_CPUID" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], c, "%#llx");
}

static void fmt_uname(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret) { fmt_ptr(sb, sc, i); return; }
    sb_puts(sb, "{sysname=\"Linux\", nodename=\"uniemu\", ...}");
}

static const struct flag_name rlimit_names[] = {
    { RLIMIT_CPU, "RLIMIT_CPU" }, { RLIMIT_FSIZE, "RLIMIT_FSIZE" }, { RLIMIT_DATA, "RLIMIT_DATA" },
    { RLIMIT_STACK, "RLIMIT_STACK" }, { RLIMIT_CORE, "RLIMIT_CORE" }, { RLIMIT_RSS, "RLIMIT_RSS" },
    { RLIMIT_NPROC, "RLIMIT_NPROC" }, { RLIMIT_NOFILE, "RLIMIT_NOFILE" }, { RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK" },
    { RLIMIT_AS, "RLIMIT_AS" }, { RLIMIT_LOCKS, "RLIMIT_LOCKS" }, { RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING" },
    { RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE" }, { RLIMIT_NICE, "RLIMIT_NICE" }, { RLIMIT_RTPRIO, "RLIMIT_RTPRIO" },
    { RLIMIT_RTTIME, "RLIMIT_RTTIME" }, { 0, NULL },
};
static void fmt_rlimit_res(struct strbuf *sb, struct syscall *sc, int i) { sb_enum(sb, sc->a[i], rlimit_names, "%llu"); }

static void sb_rlim_val(struct strbuf *sb, uint64_t v)
{
    if (v == RLIM_INFINITY) sb_puts(sb, "RLIM64_INFINITY");
    else if (v && v % 1024 == 0) sb_printf(sb, "%llu*1024", (unsigned long long)(v / 1024));
    else sb_printf(sb, "%llu", (unsigned long long)v);
}

static void sb_rlimit_at(struct strbuf *sb, struct syscall *sc, uint64_t addr)
{
    struct rlimit rl;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, addr, &rl, sizeof rl)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_puts(sb, "{rlim_cur=");
    sb_rlim_val(sb, rl.rlim_cur);
    sb_puts(sb, ", rlim_max=");
    sb_rlim_val(sb, rl.rlim_max);
    sb_putc(sb, '}');
}
static void fmt_rlimit_in(struct strbuf *sb, struct syscall *sc, int i) { sb_rlimit_at(sb, sc, sc->a[i]); }
static void fmt_rlimit_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret) fmt_ptr(sb, sc, i); else sb_rlimit_at(sb, sc, sc->a[i]);
}

static void fmt_getrandom_buf(struct strbuf *sb, struct syscall *sc, int i)
{
    unsigned char buf[256];
    size_t show = sc->ret < 0 ? 0 : (size_t)sc->ret < (size_t)strace_strsize ? (size_t)sc->ret : (size_t)strace_strsize;
    if (show > sizeof buf) show = sizeof buf;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], buf, show)) { fmt_ptr(sb, sc, i); return; }
    sb_quoted_hex(sb, buf, show, show < (size_t)sc->ret);
}
static void fmt_getrandom_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name f[] = { { 1, "GRND_NONBLOCK" }, { 2, "GRND_RANDOM" }, { 4, "GRND_INSECURE" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], f, "0");
}

static void fmt_who(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name w[] = { { RUSAGE_SELF, "RUSAGE_SELF" }, { (uint64_t)(int64_t)RUSAGE_CHILDREN, "RUSAGE_CHILDREN" },
        { RUSAGE_THREAD, "RUSAGE_THREAD" }, { 0, NULL } };
    if ((int)sc->a[i] == RUSAGE_SELF) { sb_puts(sb, "RUSAGE_SELF"); return; }
    sb_enum(sb, (uint64_t)(int64_t)(int)sc->a[i], w, "%lld");
}

const struct syscall_def process_syscalls[] = {
    { SYS_exit, "exit", sys_exit, 1, { IN(fmt_int) }, NULL },
    { SYS_exit_group, "exit_group", sys_exit_group, 1, { IN(fmt_int) }, NULL },
    { SYS_getpid, "getpid", sys_getpid, 0, { { 0 } }, NULL },
    { SYS_getppid, "getppid", sys_getppid, 0, { { 0 } }, NULL },
    { SYS_gettid, "gettid", sys_gettid, 0, { { 0 } }, NULL },
    { SYS_getpgrp, "getpgrp", sys_getpgrp, 0, { { 0 } }, NULL },
    { SYS_getpgid, "getpgid", sys_getpgid, 1, { IN(fmt_int) }, NULL },
    { SYS_getsid, "getsid", sys_getsid, 1, { IN(fmt_int) }, NULL },
    { SYS_setpgid, "setpgid", sys_setpgid, 2, { IN(fmt_int), IN(fmt_int) }, NULL },
    { SYS_setsid, "setsid", sys_setsid, 0, { { 0 } }, NULL },
    { SYS_set_tid_address, "set_tid_address", sys_set_tid_address, 1, { IN(fmt_ptr) }, NULL },
    { SYS_set_robust_list, "set_robust_list", sys_set_robust_list, 2, { IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_get_robust_list, "get_robust_list", sys_get_robust_list, 3, { IN(fmt_int), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_rseq, "rseq", sys_rseq, 4, { IN(fmt_ptr), IN(fmt_hex), IN(fmt_int), IN(fmt_hex) }, NULL },
    { SYS_arch_prctl, "arch_prctl", sys_arch_prctl, 2, { IN(fmt_arch_prctl_code), IN(fmt_ptr) }, NULL },
    { SYS_uname, "uname", sys_uname, 1, { OUT(fmt_uname) }, NULL },
    { SYS_sysinfo, "sysinfo", sys_sysinfo, 1, { IN(fmt_ptr) }, NULL },
    { SYS_prlimit64, "prlimit64", sys_prlimit64, 4, { IN(fmt_int), IN(fmt_rlimit_res), IN(fmt_rlimit_in), OUT(fmt_rlimit_out) }, NULL },
    { SYS_getrlimit, "getrlimit", sys_getrlimit, 2, { IN(fmt_rlimit_res), OUT(fmt_rlimit_out) }, NULL },
    { SYS_setrlimit, "setrlimit", sys_setrlimit, 2, { IN(fmt_rlimit_res), IN(fmt_rlimit_in) }, NULL },
    { SYS_sched_yield, "sched_yield", sys_sched_yield, 0, { { 0 } }, NULL },
    { SYS_getcpu, "getcpu", sys_getcpu, 3, { IN(fmt_ptr), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_getrandom, "getrandom", sys_getrandom, 3, { OUT(fmt_getrandom_buf), IN(fmt_uint), IN(fmt_getrandom_flags) }, NULL },
    { SYS_getrusage, "getrusage", sys_getrusage, 2, { IN(fmt_who), IN(fmt_ptr) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
