/* Timers that send signals: alarm, setitimer/getitimer, timer_create and friends.
 * ITIMER_REAL and clock timers run on the virtual clock; ITIMER_VIRTUAL, ITIMER_PROF
 * and CPU-time clocks on the instructions the process's threads retired (1 ns each).
 * The scheduler asks here when the next one is due, so that a turn (or a jump of the
 * clock when all sleep) ends exactly then.
 *
 * A timer never fires early, and on Linux not exactly on time either: hrtimers may
 * fire up to the task's timer slack (50 us by default) late, and more with scheduling
 * latency. Here each expiry is late by a seeded amount within that slack, drawn when
 * the timer is armed (and again for each period), so that where a handler interrupts
 * the program varies with the seed, as a race between a handler and the main loop
 * needs. What the guest reads back (getitimer, timer_gettime, alarm) is the nominal
 * expiry. */
#include "syscalls/syscall.h"
#include "scheduler/sched.h"
#include "scheduler/signals.h"
#include "scheduler/task.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define NS 1000000000ULL
#define NEVER UINT64_MAX   /* an expiry past the clock's range */
/* Timer arithmetic saturates at NEVER: a huge tv_sec must not wrap to a near expiry. */
static uint64_t sat_add(uint64_t a, uint64_t b) { return b > NEVER - a ? NEVER : a + b; }
static uint64_t sat_ns(uint64_t sec, uint64_t sub) { return sec > (NEVER - sub) / NS ? NEVER : sec * NS + sub; }
#define TIMER_SLACK_NS 50000ULL   /* Linux's default timer slack (prctl PR_GET_TIMERSLACK) */
#define ITIMER_KINDS 3          /* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */
#define MAX_TIMERS_PER_PROCESS 256

struct guest_timer {
    struct process *proc;
    int id;                  /* POSIX timer id, or -1 - ITIMER_* for an itimer */
    bool cpu;                /* counts the process's CPU time, not the clock */
    clockid_t clock;
    uint64_t expires;        /* 0: disarmed; else on the virtual clock (ns) or CPU time */
    uint64_t late;           /* it fires this much after expires (within TIMER_SLACK_NS) */
    uint64_t interval;
    int notify;              /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
    int signo, tid, overrun;
    union sigval value;
    struct guest_timer *next;
};

static uint64_t clock_now(const struct guest_timer *g) { return g->cpu ? g->proc->cpu_insns : det_now_ns(); }

/* Arms g for expires (0: disarms it), with its lateness for this expiry. */
static void arm(struct guest_timer *g, uint64_t expires)
{
    g->expires = expires;
    g->late = expires && expires != NEVER ? det_timer_random() % (TIMER_SLACK_NS + 1) : 0;
}

/* When g really fires. */
static uint64_t due(const struct guest_timer *g) { return sat_add(g->expires, g->late); }

/* The processes that have timers, checked at every scheduling point. */
static struct process **with_timers;
static int nwith, capwith;

static void track(struct process *p)
{
    for (int i = 0; i < nwith; i++) if (with_timers[i] == p) return;
    if (nwith == capwith) {
        int cap = capwith ? capwith * 2 : 8;
        struct process **n = realloc(with_timers, cap * sizeof *n);
        if (!n) return;
        with_timers = n;
        capwith = cap;
    }
    with_timers[nwith++] = p;
}

static struct guest_timer *find(struct process *p, int id)
{
    for (struct guest_timer *g = p->timers; g; g = g->next)
        if (g->id == id) return g;
    return NULL;
}

void timers_free(struct process *p)
{
    while (p->timers) { struct guest_timer *g = p->timers; p->timers = g->next; free(g); }
    for (int i = 0; i < nwith; i++)
        if (with_timers[i] == p) { with_timers[i] = with_timers[--nwith]; break; }
    if (!nwith) { free(with_timers); with_timers = NULL; capwith = 0; }
}

static struct task *target_thread(struct guest_timer *g)
{
    int n;
    struct task *const *live = sched_live(&n);
    struct task *any = NULL;
    for (int i = 0; i < n; i++) {
        if (live[i]->proc != g->proc) continue;
        if (g->notify == SIGEV_THREAD_ID && live[i]->tid == g->tid) return live[i];
        if (!any) any = live[i];
    }
    return g->notify == SIGEV_THREAD_ID ? NULL : any;
}

static void fire(struct guest_timer *g, uint64_t now)
{
    uint64_t missed = 0;
    if (g->interval) {
        missed = (now - g->expires) / g->interval;
        uint64_t step = missed + 1 > NEVER / g->interval ? NEVER : (missed + 1) * g->interval;
        arm(g, sat_add(g->expires, step));
    } else {
        arm(g, 0);
    }
    if (g->notify == SIGEV_NONE) return;
    struct task *t = target_thread(g);
    if (!t) return;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = g->signo;
    if (g->id < 0) {
        si.si_code = SI_KERNEL;
    } else {
        si.si_code = SI_TIMER;
        si.si_timerid = g->id;
        si.si_overrun = g->overrun = (int)(missed > 0x7fffffff ? 0x7fffffff : missed);
        si.si_value = g->value;
    }
    sig_send(t, &si, g->notify == SIGEV_THREAD_ID);
}

/* Fires the timers that are due; called by the scheduler at every decision. */
void timers_fire_due(void)
{
    for (int i = 0; i < nwith; i++) {
        if (with_timers[i]->zombie) continue;
        for (struct guest_timer *g = with_timers[i]->timers; g; g = g->next)
            if (g->expires && g->expires != NEVER && clock_now(g) >= due(g)) fire(g, clock_now(g));
    }
}

uint64_t timers_next_deadline(void)
{
    uint64_t next = 0;
    for (int i = 0; i < nwith; i++) {
        if (with_timers[i]->zombie) continue;
        for (struct guest_timer *g = with_timers[i]->timers; g; g = g->next)
            if (g->expires && g->expires != NEVER && !g->cpu && (!next || due(g) < next)) next = due(g);
    }
    return next;
}

uint64_t timers_cpu_budget(struct process *p)
{
    uint64_t left = UINT64_MAX;
    for (struct guest_timer *g = p->timers; g; g = g->next)
        if (g->expires && g->cpu) {
            uint64_t l = due(g) > p->cpu_insns ? due(g) - p->cpu_insns : 1;
            if (l < left) left = l;
        }
    return left;
}

static struct guest_timer *new_timer(struct process *p, int id)
{
    int count = 0;
    for (struct guest_timer *g = p->timers; g; g = g->next) count++;
    if (count >= MAX_TIMERS_PER_PROCESS) return NULL;
    struct guest_timer *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->proc = p;
    g->id = id;
    g->next = p->timers;
    p->timers = g;
    track(p);
    return g;
}

/* ---- itimers ---- */

static struct guest_timer *itimer(struct process *p, int which)
{
    struct guest_timer *g = find(p, -1 - which);
    if (g) return g;
    if (!(g = new_timer(p, -1 - which))) return NULL;
    static const int sigs[ITIMER_KINDS] = { SIGALRM, SIGVTALRM, SIGPROF };
    g->cpu = which != ITIMER_REAL;
    g->notify = SIGEV_SIGNAL;
    g->signo = sigs[which];
    return g;
}

static uint64_t tv_ns(const struct timeval *tv) { return sat_ns((uint64_t)tv->tv_sec, (uint64_t)tv->tv_usec * 1000); }
static struct timeval ns_tv(uint64_t ns) { struct timeval tv = { (time_t)(ns / NS), (suseconds_t)((ns % NS + 999) / 1000) }; if (tv.tv_usec == 1000000) { tv.tv_sec++; tv.tv_usec = 0; } return tv; }

static void itimer_get(struct guest_timer *g, struct itimerval *v)
{
    memset(v, 0, sizeof *v);
    if (!g || !g->expires) { if (g) v->it_interval = ns_tv(g->interval); return; }
    uint64_t now = clock_now(g);
    v->it_value = ns_tv(g->expires > now ? g->expires - now : 1000);
    v->it_interval = ns_tv(g->interval);
}

static int64_t sys_setitimer(struct syscall *sc)
{
    struct task *t = sc->t;
    int which = (int)sc->a[0];
    if (which < 0 || which >= ITIMER_KINDS) return -EINVAL;
    struct itimerval nv, ov;
    if (sc->a[1]) {
        if (guest_read(t->as, sc->a[1], &nv, sizeof nv)) return -EFAULT;
        if (nv.it_value.tv_usec < 0 || nv.it_value.tv_usec >= 1000000 || nv.it_interval.tv_usec < 0 ||
            nv.it_interval.tv_usec >= 1000000 || nv.it_value.tv_sec < 0 || nv.it_interval.tv_sec < 0)
            return -EINVAL;
    } else {
        memset(&nv, 0, sizeof nv);
    }
    struct guest_timer *g = itimer(t->proc, which);
    if (!g) return -ENOMEM;
    itimer_get(g, &ov);
    uint64_t value = tv_ns(&nv.it_value);
    g->interval = tv_ns(&nv.it_interval);
    arm(g, value ? sat_add(clock_now(g), value) : 0);
    if (sc->a[2] && guest_write(t->as, sc->a[2], &ov, sizeof ov)) return -EFAULT;
    return 0;
}

static int64_t sys_getitimer(struct syscall *sc)
{
    int which = (int)sc->a[0];
    if (which < 0 || which >= ITIMER_KINDS) return -EINVAL;
    struct itimerval v;
    itimer_get(find(sc->t->proc, -1 - which), &v);
    return guest_write(sc->t->as, sc->a[1], &v, sizeof v) ? -EFAULT : 0;
}

static int64_t sys_alarm(struct syscall *sc)
{
    struct guest_timer *g = itimer(sc->t->proc, ITIMER_REAL);
    if (!g) return -ENOMEM;
    uint64_t now = det_now_ns(), left = g->expires > now ? g->expires - now : 0;
    /* The seconds left, rounded to the nearest, and never 0 while armed. */
    int64_t old = g->expires ? (int64_t)((left + NS / 2) / NS) : 0;
    if (g->expires && !old) old = 1;
    g->interval = 0;
    arm(g, sc->a[0] ? now + (uint64_t)(unsigned)sc->a[0] * NS : 0);
    return old;
}

/* ---- POSIX timers ---- */

struct guest_sigevent { union sigval value; int signo, notify; int tid; int pad[11]; };

static bool clock_ok(clockid_t c, bool *cpu)
{
    switch (c) {
    case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
    case CLOCK_TAI:
        *cpu = false; return true;
    case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
        *cpu = true; return true;
    }
    return false;
}

/* Virtual-clock time of an absolute value on clock c. */
static uint64_t from_clock(clockid_t c, uint64_t abs)
{
    uint64_t base = (c == CLOCK_REALTIME || c == CLOCK_REALTIME_ALARM || c == CLOCK_TAI) ? (uint64_t)DET_EPOCH_SEC * NS
                  : DET_UPTIME_AT_START_NS;
    return abs > base ? abs - base : 0;
}

static int64_t sys_timer_create(struct syscall *sc)
{
    struct task *t = sc->t;
    clockid_t c = (clockid_t)sc->a[0];
    bool cpu;
    if (!clock_ok(c, &cpu)) return -EINVAL;
    struct guest_sigevent ev = { .value.sival_int = 0, .signo = SIGALRM, .notify = SIGEV_SIGNAL };
    if (sc->a[1] && guest_read(t->as, sc->a[1], &ev, sizeof ev)) return -EFAULT;
    if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_NONE && ev.notify != SIGEV_THREAD_ID) return -EINVAL;
    if (ev.notify != SIGEV_NONE && (ev.signo < 1 || ev.signo > NSIG_GUEST)) return -EINVAL;
    if (ev.notify == SIGEV_THREAD_ID) {
        struct task *u = task_by_tid(ev.tid);
        if (!u || u->proc != t->proc) return -EINVAL;
    }
    int id = 0;
    while (find(t->proc, id)) id++;
    struct guest_timer *g = new_timer(t->proc, id);
    if (!g) return -EAGAIN;
    g->clock = c;
    g->cpu = cpu;
    g->notify = ev.notify;
    g->signo = ev.signo;
    g->tid = ev.tid;
    g->value = sc->a[1] ? ev.value : (union sigval){ .sival_int = id };
    int32_t gid = id;
    if (guest_write(t->as, sc->a[2], &gid, 4)) {
        struct guest_timer **pp = &t->proc->timers;
        while (*pp != g) pp = &(*pp)->next;
        *pp = g->next;
        free(g);
        return -EFAULT;
    }
    return 0;
}

static uint64_t ts_ns(const struct timespec *ts) { return sat_ns((uint64_t)ts->tv_sec, (uint64_t)ts->tv_nsec); }
static struct timespec ns_ts(uint64_t ns) { struct timespec ts = { (time_t)(ns / NS), (long)(ns % NS) }; return ts; }

static void timer_value(struct guest_timer *g, struct itimerspec *v)
{
    memset(v, 0, sizeof *v);
    v->it_interval = ns_ts(g->interval);
    if (!g->expires) return;
    uint64_t now = clock_now(g);
    v->it_value = ns_ts(g->expires > now ? g->expires - now : 1);
}

static int64_t sys_timer_settime(struct syscall *sc)
{
    struct task *t = sc->t;
    struct guest_timer *g = (int)sc->a[0] >= 0 ? find(t->proc, (int)sc->a[0]) : NULL;
    if (!g) return -EINVAL;
    struct itimerspec nv, ov;
    if (guest_read(t->as, sc->a[2], &nv, sizeof nv)) return -EFAULT;
    if (nv.it_value.tv_nsec < 0 || nv.it_value.tv_nsec >= (long)NS || nv.it_interval.tv_nsec < 0 ||
        nv.it_interval.tv_nsec >= (long)NS || nv.it_value.tv_sec < 0 || nv.it_interval.tv_sec < 0)
        return -EINVAL;
    timer_value(g, &ov);
    uint64_t value = ts_ns(&nv.it_value);
    g->interval = ts_ns(&nv.it_interval);
    g->overrun = 0;
    if (!value) arm(g, 0);
    else if (sc->a[1] & TIMER_ABSTIME) {
        uint64_t at = g->cpu ? value : from_clock(g->clock, value);
        arm(g, at ? at : 1);
    } else {
        arm(g, sat_add(clock_now(g), value));
    }
    if (sc->a[3] && guest_write(t->as, sc->a[3], &ov, sizeof ov)) return -EFAULT;
    return 0;
}

static int64_t sys_timer_gettime(struct syscall *sc)
{
    struct guest_timer *g = (int)sc->a[0] >= 0 ? find(sc->t->proc, (int)sc->a[0]) : NULL;
    if (!g) return -EINVAL;
    struct itimerspec v;
    timer_value(g, &v);
    return guest_write(sc->t->as, sc->a[1], &v, sizeof v) ? -EFAULT : 0;
}

static int64_t sys_timer_getoverrun(struct syscall *sc)
{
    struct guest_timer *g = (int)sc->a[0] >= 0 ? find(sc->t->proc, (int)sc->a[0]) : NULL;
    return g ? g->overrun : -EINVAL;
}

static int64_t sys_timer_delete(struct syscall *sc)
{
    struct process *p = sc->t->proc;
    for (struct guest_timer **pp = &p->timers; *pp; pp = &(*pp)->next)
        if ((*pp)->id == (int)sc->a[0] && (int)sc->a[0] >= 0) {
            struct guest_timer *g = *pp;
            *pp = g->next;
            free(g);
            return 0;
        }
    return -EINVAL;
}

/* ---- how arguments print ---- */

static void fmt_which(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name w[] = { { ITIMER_REAL, "ITIMER_REAL" }, { ITIMER_VIRTUAL, "ITIMER_VIRTUAL" },
                                          { ITIMER_PROF, "ITIMER_PROF" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], w, "%lld");
}

static void sb_itimerval(struct strbuf *sb, struct syscall *sc, uint64_t addr)
{
    struct itimerval v;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, addr, &v, sizeof v)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_printf(sb, "{it_interval={tv_sec=%lld, tv_usec=%ld}, it_value={tv_sec=%lld, tv_usec=%ld}}",
              (long long)v.it_interval.tv_sec, (long)v.it_interval.tv_usec, (long long)v.it_value.tv_sec, (long)v.it_value.tv_usec);
}
static void fmt_itimerval_in(struct strbuf *sb, struct syscall *sc, int i) { sb_itimerval(sb, sc, sc->a[i]); }
static void fmt_itimerval_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret) fmt_ptr(sb, sc, i); else sb_itimerval(sb, sc, sc->a[i]);
}

static void sb_itimerspec(struct strbuf *sb, struct syscall *sc, uint64_t addr)
{
    struct itimerspec v;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, addr, &v, sizeof v)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_printf(sb, "{it_interval={tv_sec=%lld, tv_nsec=%ld}, it_value={tv_sec=%lld, tv_nsec=%ld}}",
              (long long)v.it_interval.tv_sec, v.it_interval.tv_nsec, (long long)v.it_value.tv_sec, v.it_value.tv_nsec);
}
static void fmt_itimerspec_in(struct strbuf *sb, struct syscall *sc, int i) { sb_itimerspec(sb, sc, sc->a[i]); }
static void fmt_itimerspec_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret) fmt_ptr(sb, sc, i); else sb_itimerspec(sb, sc, sc->a[i]);
}

static void fmt_timer_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_puts(sb, sc->a[i] & TIMER_ABSTIME ? "TIMER_ABSTIME" : "0");
}

static void fmt_timer_id_out(struct strbuf *sb, struct syscall *sc, int i)
{
    int32_t id;
    if (sc->ret || guest_read(sc->t->as, sc->a[i], &id, 4)) fmt_ptr(sb, sc, i);
    else sb_printf(sb, "[%d]", id);
}

const struct syscall_def timer_syscalls[] = {
    { SYS_alarm, "alarm", sys_alarm, 1, { IN(fmt_uint) }, NULL },
    { SYS_setitimer, "setitimer", sys_setitimer, 3, { IN(fmt_which), IN(fmt_itimerval_in), OUT(fmt_itimerval_out) }, NULL },
    { SYS_getitimer, "getitimer", sys_getitimer, 2, { IN(fmt_which), OUT(fmt_itimerval_out) }, NULL },
    { SYS_timer_create, "timer_create", sys_timer_create, 3, { IN(fmt_int), IN(fmt_ptr), OUT(fmt_timer_id_out) }, NULL },
    { SYS_timer_settime, "timer_settime", sys_timer_settime, 4,
      { IN(fmt_int), IN(fmt_timer_flags), IN(fmt_itimerspec_in), OUT(fmt_itimerspec_out) }, NULL },
    { SYS_timer_gettime, "timer_gettime", sys_timer_gettime, 2, { IN(fmt_int), OUT(fmt_itimerspec_out) }, NULL },
    { SYS_timer_getoverrun, "timer_getoverrun", sys_timer_getoverrun, 1, { IN(fmt_int) }, NULL },
    { SYS_timer_delete, "timer_delete", sys_timer_delete, 1, { IN(fmt_int) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
