/* Scheduling strategies and the decision stream.
 *
 * A decision is made at every scheduling point (a syscall, the end of a slice, a task
 * blocking, waking, starting or ending) when more than one task can run; with one, it
 * runs without a decision. A decision is (tid, slice): run this task for at most slice
 * instructions. rr keeps the current task until its quantum ends; random picks a task
 * and a slice length from the seeded RNG; PCT (Burckhardt et al., ASPLOS 2010) runs
 * the highest-priority task, and lowers the running task's priority at d-1 change
 * points drawn at random over the first `horizon` instructions. */
#include "scheduler/sched.h"
#include "core/det.h"
#include "scheduler/signals.h"
#include "tools/record.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PCT_DEPTH 64

static struct sched_options opt;
static struct task **live;
static int nlive, live_cap;
static struct task *cur;           /* the task given the last slice */
static uint64_t slice_end;         /* det_insns() at which cur's slice ends */
static uint64_t cur_since;         /* det_insns() since cur has run while others could (guided) */
static bool cur_alone;             /* cur was the only runnable task at the last decision */
static uint64_t block_counter;
static FILE *dec_out, *dec_in;
static uint64_t ndecisions;
static const struct guide_event *guide;
static int nguide, next_guide;
void (*sched_trace)(uint64_t now, int chosen, int canonical);
void (*sched_guide_applied)(uint64_t at, struct task *from, struct task *to);

void sched_set_guide(const struct guide_event *ev, int n) { guide = ev; nguide = n; next_guide = 0; }

/* Tasks blocked in poll/select/epoll_wait that also wait for host descriptors. Nothing
 * on the host wakes them, so the scheduler polls their descriptors: without waiting
 * while another task can run (every HOST_CHECK_NS of virtual time) or a virtual timeout
 * is pending, for real only when nothing else can ever happen. */
struct host_wait { struct task *t; struct pollfd *fds; int n; };
static struct host_wait *hwaits;
static int nhwaits, hwaits_cap;
static uint64_t next_host_check;
#define HOST_CHECK_NS 1000000ULL

static void unwatch_host(struct task *t)
{
    for (int i = 0; i < nhwaits; i++)
        if (hwaits[i].t == t) {
            free(hwaits[i].fds);
            hwaits[i] = hwaits[--nhwaits];
            return;
        }
}

void sched_watch_host(struct task *t, const struct pollfd *fds, int n)
{
    unwatch_host(t);
    if (n <= 0) return;
    if (nhwaits == hwaits_cap) {
        hwaits_cap = hwaits_cap ? hwaits_cap * 2 : 8;
        hwaits = realloc(hwaits, hwaits_cap * sizeof *hwaits);
        if (!hwaits) abort();
    }
    struct pollfd *copy = malloc(n * sizeof *copy);
    if (!copy) abort();
    memcpy(copy, fds, n * sizeof *copy);
    /* Kept in tid order, so that the combined poll (recorded) is the same each run. */
    int at = nhwaits;
    while (at > 0 && hwaits[at - 1].t->tid > t->tid) { hwaits[at] = hwaits[at - 1]; at--; }
    hwaits[at] = (struct host_wait){ t, copy, n };
    nhwaits++;
}

/* One host poll over every watched descriptor; retries the calls of the tasks that
 * have one ready. timeout_ms -1 waits until one is. */
static void poll_host_waits(int timeout_ms)
{
    int total = 0;
    for (int i = 0; i < nhwaits; i++) total += hwaits[i].n;
    struct pollfd *all = malloc(total * sizeof *all);
    if (!all) abort();
    for (int i = 0, k = 0; i < nhwaits; k += hwaits[i].n, i++) memcpy(all + k, hwaits[i].fds, hwaits[i].n * sizeof *all);
    int r = rec_host_poll(all, total, timeout_ms);
    struct task *ready[nhwaits > 0 ? nhwaits : 1];
    int nready = 0;
    for (int i = 0, k = 0; r > 0 && i < nhwaits; k += hwaits[i].n, i++)
        for (int j = 0; j < hwaits[i].n; j++)
            if (all[k + j].revents) { ready[nready++] = hwaits[i].t; break; }
    free(all);
    for (int i = 0; i < nready; i++) sched_wake(ready[i], 0);   /* also unwatches */
}
static bool decided;

bool sched_decided(void) { return decided; }
/* PCT */
static uint64_t change_points[MAX_PCT_DEPTH];
static int nchange, next_change;
static int64_t *prio_of;           /* by index in all_tasks */
static int prio_cap;
static int64_t lowest_prio;

int sched_parse(const char *spec, struct sched_options *o)
{
    if (!strcmp(spec, "rr")) { o->kind = SCHED_RR; return 0; }
    if (!strcmp(spec, "random")) { o->kind = SCHED_RANDOM; return 0; }
    if (strncmp(spec, "pct", 3)) return -1;
    o->kind = SCHED_PCT;
    o->pct_depth = 3;
    const char *p = spec + 3;
    if (!*p) return 0;
    char *end;
    if (*p != ':') return -1;
    long d = strtol(p + 1, &end, 10);
    if (end == p + 1 || d < 1 || d > MAX_PCT_DEPTH) return -1;
    o->pct_depth = (int)d;
    if (!*end) return 0;
    if (*end != ':') return -1;
    p = end + 1;
    unsigned long long h = strtoull(p, &end, 10);
    if (end == p || *end || h < 1) return -1;
    o->pct_horizon = h;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int sched_init(const struct sched_options *o)
{
    opt = *o;
    if (!opt.quantum) opt.quantum = SCHED_DEFAULT_QUANTUM;
    if (!opt.pct_horizon) opt.pct_horizon = SCHED_DEFAULT_PCT_HORIZON;
    /* A stream written as the run goes; created as open(O_CREAT, 0666) would under the
     * user's umask (uniemu's own is 0 once the guest exists). */
    int dfd = opt.decisions_out ? open(opt.decisions_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666 & ~out_umask()) : -1;
    if (opt.decisions_out && (dfd < 0 || !(dec_out = fdopen(dfd, "w")))) {
        if (dfd >= 0) close(dfd);
        fprintf(stderr, "uniemu: %s: %s\n", opt.decisions_out, strerror(errno));
        return -1;
    }
    if (opt.decisions_in && !(dec_in = fopen(opt.decisions_in, "r"))) {
        fprintf(stderr, "uniemu: %s: %s\n", opt.decisions_in, strerror(errno));
        return -1;
    }
    if (opt.kind == SCHED_PCT) {
        nchange = opt.pct_depth - 1;
        for (int i = 0; i < nchange; i++) change_points[i] = 1 + det_sched_random() % opt.pct_horizon;
        qsort(change_points, nchange, sizeof change_points[0], cmp_u64);
        lowest_prio = 0;
    }
    return 0;
}

void sched_fini(void)
{
    if (dec_out) fclose(dec_out);
    if (dec_in) fclose(dec_in);
    dec_out = dec_in = NULL;
    free(live); live = NULL; nlive = live_cap = 0;
    free(prio_of); prio_of = NULL; prio_cap = 0;
    while (nhwaits) unwatch_host(hwaits[0].t);
    free(hwaits); hwaits = NULL; hwaits_cap = 0; next_host_check = 0;
    cur = NULL;
    cur_since = 0;
    cur_alone = false;
}

static int task_index(struct task *t)
{
    for (int i = ntasks; i-- > 0;)
        if (all_tasks[i] == t) return i;
    return -1;
}

static int64_t *prio(struct task *t)
{
    int i = task_index(t);
    if (i >= prio_cap) {
        int cap = prio_cap ? prio_cap : 16;
        while (cap <= i) cap *= 2;
        int64_t *n = realloc(prio_of, cap * sizeof *n);
        if (!n) abort();
        memset(n + prio_cap, 0, (cap - prio_cap) * sizeof *n);
        prio_of = n;
        prio_cap = cap;
    }
    return &prio_of[i];
}

void sched_add(struct task *t)
{
    if (nlive == live_cap) {
        live_cap = live_cap ? live_cap * 2 : 16;
        live = realloc(live, live_cap * sizeof *live);
        if (!live) abort();
    }
    /* Kept in tid order: new tids are always the highest. */
    live[nlive++] = t;
    /* PCT: a new task gets a random priority above every change-point priority. */
    if (opt.kind == SCHED_PCT) *prio(t) = MAX_PCT_DEPTH + (int64_t)(det_sched_random() >> 2);
}

void sched_remove(struct task *t)
{
    for (int i = 0; i < nlive; i++)
        if (live[i] == t) {
            memmove(&live[i], &live[i + 1], (nlive - i - 1) * sizeof *live);
            nlive--;
            break;
        }
    if (cur == t) cur = NULL;
    unwatch_host(t);
}

int sched_live_tasks(void) { return nlive; }
struct task *const *sched_live(int *n) { *n = nlive; return live; }

void sched_preempted(struct task *t)
{
    /* PCT's own change points are handled in sched_next; a task that used a whole
     * quantum without reaching one goes below the others, so that a spinning task
     * cannot starve the one it waits for. */
    if (opt.kind == SCHED_PCT && t == cur && !(next_change < nchange && det_insns() >= change_points[next_change]))
        *prio(t) = --lowest_prio;
    slice_end = 0;
}

void sched_yield_task(struct task *t)
{
    if (opt.kind == SCHED_PCT) *prio(t) = --lowest_prio;
    if (t == cur) slice_end = 0;
}

void sched_block(struct task *t, enum wait_kind kind, uint64_t timeout_ns, bool retry, int64_t timeout_result)
{
    unwatch_host(t);
    t->state = TASK_BLOCKED;
    t->wait = kind;
    t->wake_at_ns = timeout_ns;
    t->retry = retry;
    t->timed_out = false;
    t->wake_result = timeout_result;
    t->block_seq = ++block_counter;
}

void sched_wake(struct task *t, int64_t result)
{
    if (t->state != TASK_BLOCKED) return;
    unwatch_host(t);
    t->state = TASK_RUNNABLE;
    t->wait = WAIT_NONE;
    t->wake_result = result;
}

void sched_wake_io(void)
{
    for (int i = 0; i < nlive; i++)
        if (live[i]->state == TASK_BLOCKED && live[i]->wait == WAIT_IO) sched_wake(live[i], 0);
}

void sched_wake_child_waiters(struct process *p)
{
    for (int i = 0; i < nlive; i++)
        if (live[i]->proc == p && live[i]->state == TASK_BLOCKED && live[i]->wait == WAIT_CHILD)
            sched_wake(live[i], 0);
}

/* Wakes the tasks whose timeout has come; returns the earliest timeout still ahead. */
static uint64_t wake_timeouts(uint64_t now)
{
    uint64_t next = 0;
    for (int i = 0; i < nlive; i++) {
        struct task *t = live[i];
        if (t->state != TASK_BLOCKED || !t->wake_at_ns) continue;
        if (t->wake_at_ns <= now) {
            int64_t r = t->wake_result;
            sched_wake(t, r);
            t->timed_out = true;
        } else if (!next || t->wake_at_ns < next) {
            next = t->wake_at_ns;
        }
    }
    return next;
}

static void record(struct task *t, uint64_t slice)
{
    ndecisions++;
    if (dec_out) fprintf(dec_out, "%d %" PRIu64 "\n", t->tid, slice);
    if (rec_mode == REC_RECORD) rec_put_decision(t->tid, slice);
}

/* SCHED_GUIDED (minimize's candidate runs): between guide events the current task keeps
 * running, but not for ever while another could run: after guided_fair() instructions in
 * a row it gives way to the next task by tid, so that a candidate whose switches were
 * taken away still ends when a task spin-waits for another. The replay that finds the
 * guide events sees the same rule (guided_default), and marks where the record kept a
 * task running for long with "stay" events that restart the count. */

static uint64_t guided_fair(void)
{
    return opt.quantum < (1000000 / 64) ? 1000000 : opt.quantum * 64;
}

/* What a guided run picks when no guide event applies. */
static struct task *guided_default(struct task **run, int n, uint64_t now)
{
    int at = -1;
    for (int i = 0; i < n; i++) if (run[i] == cur) at = i;
    if (at < 0) return run[0];
    if (now - cur_since < guided_fair()) return cur;
    return run[(at + 1) % n];
}

static struct task *strategy_pick(struct task **run, int n, uint64_t *slice)
{
    uint64_t now = det_insns();
    switch (opt.kind) {
    case SCHED_RR: {
        for (int i = 0; i < n; i++)
            if (run[i] == cur && now < slice_end) { *slice = slice_end - now; return cur; }
        int i = 0;
        if (cur) while (i < n && run[i]->tid <= cur->tid) i++;
        if (i == n) i = 0;
        *slice = opt.quantum;
        return run[i];
    }
    case SCHED_RANDOM:
        *slice = 1 + det_sched_random() % (2 * opt.quantum);
        return run[det_sched_random() % n];
    case SCHED_GUIDED: {
        /* Guide events whose time has passed apply now (if their task can run). */
        struct task *pick = NULL;
        while (next_guide < nguide && guide[next_guide].at <= now) {
            int tid = guide[next_guide++].tid;
            for (int i = 0; i < n; i++)
                if (run[i]->tid == tid) pick = run[i];
        }
        if (pick && pick != cur && sched_guide_applied) sched_guide_applied(now, cur, pick);
        if (pick) cur_since = now;   /* a switch, or a stay: the count starts again */
        else pick = guided_default(run, n, now);
        uint64_t used = pick == cur ? now - cur_since : 0;
        *slice = guided_fair() - used;
        if (next_guide < nguide && guide[next_guide].at > now && guide[next_guide].at - now < *slice)
            *slice = guide[next_guide].at - now;
        return pick;
    }
    case SCHED_PCT: {
        while (next_change < nchange && now >= change_points[next_change]) {
            if (cur) *prio(cur) = nchange - next_change;   /* d-1, d-2, ... */
            next_change++;
        }
        struct task *best = run[0];
        for (int i = 1; i < n; i++)
            if (*prio(run[i]) > *prio(best)) best = run[i];
        /* The starvation bound (see sched_preempted) is drawn at random too, so that
         * where a long-running task loses the CPU varies with the seed. */
        *slice = 1 + det_sched_random() % (20 * opt.quantum);
        if (next_change < nchange && change_points[next_change] - now < *slice)
            *slice = change_points[next_change] - now;
        return best;
    }
    }
    return run[0];
}

struct task *sched_next(uint64_t *budget, enum sched_status *status)
{
    *status = SCHED_OK;
    if (!nlive) { *status = SCHED_DONE; return NULL; }
    timers_fire_due();
    uint64_t now = det_now_ns();
    uint64_t next_timeout = wake_timeouts(now), next_timer = timers_next_deadline();
    if (next_timer && (!next_timeout || next_timer < next_timeout)) next_timeout = next_timer;
    struct task *run[nlive];
    int n = 0;
    for (int i = 0; i < nlive; i++)
        if (live[i]->state == TASK_RUNNABLE) run[n++] = live[i];
    if (nhwaits && (!n || now >= next_host_check)) {
        /* Waiting for real only when no task and no virtual timeout could end the wait. */
        poll_host_waits(!n && !next_timeout ? -1 : 0);
        next_host_check = now + HOST_CHECK_NS;
        n = 0;
        for (int i = 0; i < nlive; i++)
            if (live[i]->state == TASK_RUNNABLE) run[n++] = live[i];
    }
    if (!n) {
        if (!next_timeout) { *status = SCHED_DEADLOCK; return NULL; }
        /* Every live task sleeps: virtual time jumps to the first timeout. */
        det_advance_ns(next_timeout - now);
        now = next_timeout;
        timers_fire_due();
        next_timeout = wake_timeouts(now);
        next_timer = timers_next_deadline();
        if (next_timer && (!next_timeout || next_timer < next_timeout)) next_timeout = next_timer;
        for (int i = 0; i < nlive; i++)
            if (live[i]->state == TASK_RUNNABLE) run[n++] = live[i];
        if (!n) { *status = SCHED_DEADLOCK; return NULL; }
    }
    struct task *t;
    uint64_t slice = 1;
    /* Time a task runs alone does not count as keeping others from running. */
    if (n > 1 && (cur_alone || !cur)) { cur_since = det_insns(); cur_alone = false; }
    if (n == 1) {
        cur_alone = true;
        /* No choice to make: run until something happens. */
        t = run[0];
        slice = UINT64_MAX;
        if (t != cur) slice_end = 0;
        /* Guided: stop at the next guide event, which may find another task runnable. */
        if (opt.kind == SCHED_GUIDED) {
            uint64_t now_i = det_insns();
            while (next_guide < nguide && guide[next_guide].at <= now_i) next_guide++;
            if (next_guide < nguide) slice = guide[next_guide].at - now_i;
        }
    } else if (rec_mode == REC_REPLAY) {
        int tid;
        uint64_t s;
        if (rec_get_decision(&tid, &s) != 0) { *status = SCHED_DIVERGED; return NULL; }
        t = NULL;
        for (int i = 0; i < n; i++)
            if (run[i]->tid == tid) t = run[i];
        if (!t || !s) {
            fprintf(stderr, "uniemu: replay diverged: the record runs task %d, which cannot run here\n", tid);
            *status = SCHED_DIVERGED;
            return NULL;
        }
        slice = s;
        ndecisions++;
        slice_end = det_insns() + slice;
        if (sched_trace) {
            uint64_t now_i = det_insns();
            struct task *canon = guided_default(run, n, now_i);
            if (t != canon) sched_trace(now_i, t->tid, canon->tid);
            else if (t == cur && now_i - cur_since >= guided_fair() / 2) {
                sched_trace(now_i, t->tid, -1);   /* a stay: see guided_fair */
                cur_since = now_i;
            }
        }
    } else if (dec_in) {
        int tid;
        unsigned long long s;
        if (fscanf(dec_in, "%d %llu", &tid, &s) != 2 || s == 0) {
            fprintf(stderr, "uniemu: decision %" PRIu64 ": the decisions file ends or is malformed\n", ndecisions + 1);
            *status = SCHED_DIVERGED;
            return NULL;
        }
        t = NULL;
        for (int i = 0; i < n; i++)
            if (run[i]->tid == tid) t = run[i];
        if (!t) {
            fprintf(stderr, "uniemu: decision %" PRIu64 ": task %d is not runnable here: the run diverged\n",
                    ndecisions + 1, tid);
            *status = SCHED_DIVERGED;
            return NULL;
        }
        slice = s;
        record(t, slice);
        slice_end = det_insns() + slice;
    } else {
        t = strategy_pick(run, n, &slice);
        record(t, slice);
        slice_end = det_insns() + slice;
    }
    if (t != cur) cur_since = det_insns();
    cur = t;
    decided = n > 1;
    /* A sleeper's timeout also ends the slice: time is counted in instructions. */
    if (next_timeout && next_timeout - now < slice) slice = next_timeout - now;
    *budget = slice ? slice : 1;
    return t;
}
