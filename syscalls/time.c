/* Clocks and sleeping, all virtual (core/det.h): time advances with retired
 * instructions and jumps forward when the guest sleeps, so a sleep costs no real time. */
#include "syscalls/syscall.h"
#include "scheduler/sched.h"
#include "scheduler/task.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#define NS 1000000000ULL

static uint64_t realtime_ns(void) { return (uint64_t)DET_EPOCH_SEC * NS + det_now_ns(); }

static int clock_ns(int clk, uint64_t *ns)
{
    switch (clk) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_TAI: case CLOCK_REALTIME_ALARM:
        *ns = realtime_ns(); return 0;
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
        *ns = det_monotonic_ns(); return 0;
    case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
        *ns = det_insns() * DET_NS_PER_INSN; return 0;
    default:
        return -EINVAL;
    }
}

static int64_t sys_clock_gettime(struct syscall *sc)
{
    uint64_t ns;
    int rc = clock_ns((int)sc->a[0], &ns);
    if (rc) return rc;
    struct timespec ts = { (time_t)(ns / NS), (long)(ns % NS) };
    return guest_write(sc->t->as, sc->a[1], &ts, sizeof ts) ? -EFAULT : 0;
}

static int64_t sys_clock_getres(struct syscall *sc)
{
    uint64_t ns;
    int rc = clock_ns((int)sc->a[0], &ns);
    if (rc) return rc;
    int clk = (int)sc->a[0];
    bool coarse = clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE;
    struct timespec ts = { 0, coarse ? 4000000 : 1 };
    if (sc->a[1] && guest_write(sc->t->as, sc->a[1], &ts, sizeof ts)) return -EFAULT;
    return 0;
}

static int64_t sys_gettimeofday(struct syscall *sc)
{
    uint64_t ns = realtime_ns();
    struct timeval tv = { (time_t)(ns / NS), (suseconds_t)(ns % NS / 1000) };
    if (sc->a[0] && guest_write(sc->t->as, sc->a[0], &tv, sizeof tv)) return -EFAULT;
    if (sc->a[1]) {
        struct timezone tz = { 0, 0 };
        if (guest_write(sc->t->as, sc->a[1], &tz, sizeof tz)) return -EFAULT;
    }
    return 0;
}

static int64_t sys_time(struct syscall *sc)
{
    int64_t now = (int64_t)(realtime_ns() / NS);
    if (sc->a[0] && guest_write(sc->t->as, sc->a[0], &now, 8)) return -EFAULT;
    return now;
}

static int64_t sys_times(struct syscall *sc)
{
    /* Clock ticks (100 Hz) of virtual CPU time, all user time: the process's and its
     * waited-for children's. */
    struct process *p = sc->t->proc;
    struct tms tm = { (clock_t)(p->cpu_insns * DET_NS_PER_INSN / (NS / 100)), 0,
                      (clock_t)(p->children_insns * DET_NS_PER_INSN / (NS / 100)), 0 };
    if (sc->a[0] && guest_write(sc->t->as, sc->a[0], &tm, sizeof tm)) return -EFAULT;
    return (int64_t)(det_monotonic_ns() / (NS / 100));
}

static int read_timespec(struct task *t, uint64_t addr, uint64_t *ns)
{
    struct timespec ts;
    if (guest_read(t->as, addr, &ts, sizeof ts)) return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NS) return -EINVAL;
    /* Saturates: tv_sec near INT64_MAX would wrap to a short sleep. */
    uint64_t sec = (uint64_t)ts.tv_sec, sub = (uint64_t)ts.tv_nsec;
    *ns = sec > (UINT64_MAX - sub) / NS ? UINT64_MAX : sec * NS + sub;
    return 0;
}

/* A sleep parks the task until the virtual clock reaches its end: other tasks run
 * meanwhile, and when all sleep the clock jumps (scheduler/sched.c). */
static int64_t sleep_for(struct task *t, uint64_t ns)
{
    if (ns == 0) return 0;
    /* An end past the clock's range never comes: no timeout at all (0). */
    uint64_t now = det_now_ns();
    sched_block(t, WAIT_SLEEP, ns < UINT64_MAX - now ? now + ns : 0, false, 0);
    return RET_BLOCK;
}

static int64_t sys_nanosleep(struct syscall *sc)
{
    uint64_t ns;
    int rc = read_timespec(sc->t, sc->a[0], &ns);
    if (rc) return rc;
    return sleep_for(sc->t, ns);
}

static int64_t sys_clock_nanosleep(struct syscall *sc)
{
    uint64_t ns, now;
    int clk = (int)sc->a[0];
    if (clk == CLOCK_THREAD_CPUTIME_ID) return -EINVAL;
    int rc = clock_ns(clk, &now);
    if (rc) return rc;
    if ((rc = read_timespec(sc->t, sc->a[2], &ns))) return rc;
    if (sc->a[1] & TIMER_ABSTIME) ns = ns > now ? ns - now : 0;
    return sleep_for(sc->t, ns);
}

/* ---- how arguments print ---- */

static const struct flag_name clock_names[] = {
    { CLOCK_REALTIME, "CLOCK_REALTIME" }, { CLOCK_MONOTONIC, "CLOCK_MONOTONIC" },
    { CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID" }, { CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID" },
    { CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW" }, { CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE" },
    { CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE" }, { CLOCK_BOOTTIME, "CLOCK_BOOTTIME" },
    { CLOCK_REALTIME_ALARM, "CLOCK_REALTIME_ALARM" }, { CLOCK_BOOTTIME_ALARM, "CLOCK_BOOTTIME_ALARM" },
    { CLOCK_TAI, "CLOCK_TAI" }, { 0, NULL },
};
static void fmt_clock(struct strbuf *sb, struct syscall *sc, int i) { sb_enum(sb, sc->a[i], clock_names, "%lld"); }

static void sb_timespec_at(struct strbuf *sb, struct syscall *sc, uint64_t addr)
{
    struct timespec ts;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, addr, &ts, sizeof ts)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_printf(sb, "{tv_sec=%lld, tv_nsec=%ld}", (long long)ts.tv_sec, ts.tv_nsec);
}
static void fmt_timespec_in(struct strbuf *sb, struct syscall *sc, int i) { sb_timespec_at(sb, sc, sc->a[i]); }
static void fmt_timespec_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret) fmt_ptr(sb, sc, i); else sb_timespec_at(sb, sc, sc->a[i]);
}

static void fmt_timeval_out(struct strbuf *sb, struct syscall *sc, int i)
{
    struct timeval tv;
    if (sc->ret || !sc->a[i] || guest_read(sc->t->as, sc->a[i], &tv, sizeof tv)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "{tv_sec=%lld, tv_usec=%ld}", (long long)tv.tv_sec, (long)tv.tv_usec);
}

/* The time left, shown when a signal cut the sleep short. */
static void fmt_sleep_rem(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->a[i] && (sc->ret == -516 || sc->ret == -EINTR)) sb_timespec_at(sb, sc, sc->a[i]);
    else fmt_ptr(sb, sc, i);
}

static void fmt_sleep_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_puts(sb, sc->a[i] & TIMER_ABSTIME ? "TIMER_ABSTIME" : "0");
}

const struct syscall_def time_syscalls[] = {
    { SYS_clock_gettime, "clock_gettime", sys_clock_gettime, 2, { IN(fmt_clock), OUT(fmt_timespec_out) }, NULL },
    { SYS_clock_getres, "clock_getres", sys_clock_getres, 2, { IN(fmt_clock), OUT(fmt_timespec_out) }, NULL },
    { SYS_gettimeofday, "gettimeofday", sys_gettimeofday, 2, { OUT(fmt_timeval_out), IN(fmt_ptr) }, NULL },
    { SYS_time, "time", sys_time, 1, { IN(fmt_ptr) }, NULL },
    { SYS_times, "times", sys_times, 1, { IN(fmt_ptr) }, NULL },
    { SYS_nanosleep, "nanosleep", sys_nanosleep, 2, { IN(fmt_timespec_in), OUT(fmt_sleep_rem) }, NULL },
    { SYS_clock_nanosleep, "clock_nanosleep", sys_clock_nanosleep, 4, { IN(fmt_clock), IN(fmt_sleep_flags), IN(fmt_timespec_in), OUT(fmt_sleep_rem) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
