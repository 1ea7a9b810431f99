/* uniemu minimize: shrink a record's schedule to the fewest preemptions that still give
 * its outcome (docs/minimize.md).
 *
 * The record is replayed once to learn its outcome and where its schedule departs from
 * the plain one (run the current task while it can run, else the lowest tid): each
 * departure is a guide event (instruction count, task). Delta debugging (Zeller's ddmin)
 * then looks for a small subset of events that, run under SCHED_GUIDED, gives the same
 * outcome (how each process ended, the status, the output). The survivors are written
 * as a new record, explained in words, and for each the critical pair is found: the
 * switch is delayed instruction by instruction (a binary search) until the outcome
 * flips; the instruction of the stopped task that flips it, and the first instruction
 * of the task switched to, are the two events whose order decides the outcome. */
#include "tools/minimize.h"
#include "tools/record.h"
#include "tools/symbols.h"
#include "scheduler/run.h"
#include "scheduler/sched.h"
#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/det.h"
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTCOME_MAX 1024
#define MAX_EVENTS 100000
#define MAX_TESTS 4000

static struct rec_run rr;
static struct guide_event events[MAX_EVENTS];   /* the record's switches (what ddmin shrinks) */
static int nevents;
static struct guide_event stays[MAX_EVENTS];    /* where the record kept a task on: always kept */
static int nstays;
static int pipe_w = -1;
static char tmpdir[PATH_MAX - 64];
static int tests_run;
/* Bounds of every candidate run, from the record's own run: a candidate that would run
 * for ever (a spin-wait never switched away from) is stopped and counts as another outcome. */
static uint64_t cand_max_insns;
static unsigned cand_max_seconds;
static volatile sig_atomic_t child_pid;

/* A switch or a stay, as the replay reports it through the pipe. */
struct trace_rec { uint64_t at; int tid; int stay; };

struct outcome { int status; char desc[OUTCOME_MAX]; uint64_t hash, insns; };

static uint64_t hash_file(const char *path, uint64_t h)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return h;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++) { h ^= (uint8_t)buf[i]; h *= 0x100000001b3ULL; }
    close(fd);
    return h;
}

static void trace_event(uint64_t now, int chosen, int canonical)
{
    if (chosen == canonical) return;
    struct trace_rec ev = { now, chosen, canonical < 0 };
    if (write(pipe_w, &ev, sizeof ev) != sizeof ev) _exit(3);
}

static void remove_temp(void)
{
    if (!tmpdir[0]) return;
    static const char *const names[] = { "out", "err", "min.rec" };
    char f[PATH_MAX];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(f, sizeof f, "%s/%s", tmpdir, names[i]);
        unlink(f);
    }
    rmdir(tmpdir);
    tmpdir[0] = 0;
}

/* Interrupted: the candidate run goes too, and nothing is left behind. */
static void on_signal(int sig)
{
    if (child_pid > 0) kill(child_pid, SIGKILL);
    remove_temp();
    rec_remove_temp();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A candidate: the record's stays merged, in time order, with the switches kept. */
static int with_stays(const struct guide_event *ev, int n, struct guide_event *all)
{
    int i = 0, j = 0, m = 0;
    while (i < n || j < nstays)
        all[m++] = j >= nstays || (i < n && ev[i].at <= stays[j].at) ? ev[i++] : stays[j++];
    return m;
}

static uint64_t task_rip(struct task *t)
{
    if (!t->as) return 0;
    return t->as->loaded == t ? cpu_get(t->as, R_RIP) : cpu_ctx_get(t->ctx, R_RIP);
}

/* The words for one switch: what the stopped task was doing, who runs next. */
static void explain_switch(uint64_t at, struct task *from, struct task *to)
{
    char line[1400], what[700] = "", sym[300];
    if (from && from->state != TASK_DEAD && from->as) {
        uint64_t rip = task_rip(from);
        char dis[128] = "";
        int len;
        if (from->in_syscall) snprintf(what, sizeof what, "blocked in system call %d", from->sc.nr);
        else if (from->as->loaded == from && cpu_disasm(from->as, rip, dis, sizeof dis, &len) == 0) {
            const char *call = !strcmp(dis, "syscall") ? syscall_name((int)cpu_get(from->as, R_RAX)) : NULL;
            snprintf(what, sizeof what, "stopped before %#llx%s: %s%s%s%s", (unsigned long long)rip,
                     sym_describe(from->as, rip, sym, sizeof sym), dis, call ? " (" : "", call ? call : "", call ? ")" : "");
        }
        else snprintf(what, sizeof what, "stopped before %#llx%s", (unsigned long long)rip,
                      sym_describe(from->as, rip, sym, sizeof sym));
    }
    uint64_t to_rip = task_rip(to);
    snprintf(line, sizeof line, "after %llu instructions: task %d %s; task %d runs (from %#llx%s)\n",
             (unsigned long long)at, from ? from->tid : 0, what[0] ? what : "(gone)", to->tid,
             (unsigned long long)to_rip, to->as ? sym_describe(to->as, to_rip, sym, sizeof sym) : "");
    if (write(pipe_w, line, strlen(line)) < 0) _exit(3);
}

/* One run in a child process: the record's program under the given guide events (or a
 * replay when guided is false). Returns the outcome; extra is filled from the pipe. */
static int run_child(bool replay, const struct guide_event *ev_in, int n_in, const char *record_out, bool explain,
                     struct outcome *out, char *extra, size_t extra_size)
{
    static struct guide_event ev[2 * MAX_EVENTS];
    int n = replay ? 0 : with_stays(ev_in, n_in, ev);
    char outf[PATH_MAX], errf[PATH_MAX];
    snprintf(outf, sizeof outf, "%s/out", tmpdir);
    snprintf(errf, sizeof errf, "%s/err", tmpdir);
    int p[2], q[2];
    if (pipe2(p, O_CLOEXEC) < 0 || pipe2(q, O_CLOEXEC) < 0) return -1;
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        /* Dies with minimize; and a candidate that hangs on the host is stopped too. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(3);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (!replay) alarm(cand_max_seconds);
        close(p[0]); close(q[0]);
        int o = open(outf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), e = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (o < 0 || e < 0 || in < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(2);
        diag_out = fopen("/dev/null", "w");   /* uniemu's own words are not the guest's output */
        struct run_options opt = { 0 };
        rec_run_options(&rr, &opt);
        char desc[OUTCOME_MAX] = "";
        opt.outcome = desc;
        opt.outcome_size = sizeof desc;
        pipe_w = q[1];
        if (replay) {
            opt.sched.kind = (enum sched_kind)rr.sched_kind;
            sched_trace = trace_event;
        } else {
            rec_mode = REC_OFF;
            opt.sched.kind = SCHED_GUIDED;
            if (!opt.max_insns || cand_max_insns < opt.max_insns) opt.max_insns = cand_max_insns;
            sched_set_guide(ev, n);
            opt.record_path = record_out;
            if (explain) sched_guide_applied = explain_switch;
        }
        int status = run_program(rr.bin_file, rr.argv, rr.envp, &opt);
        fflush(NULL);
        dprintf(p[1], "%d\t%" PRIu64 "\t%s\n", status, det_insns(), desc);
        _exit(0);
    }
    child_pid = pid;
    close(p[1]);
    close(q[1]);
    size_t got = 0;
    ssize_t r;
    char tmp[4096];
    while ((r = read(q[0], tmp, sizeof tmp)) > 0) {
        size_t k = (size_t)r;
        if (extra && got + k > extra_size) k = got < extra_size ? extra_size - got : 0;
        if (extra && k) memcpy(extra + got, tmp, k);
        got += k;
    }
    close(q[0]);
    char buf[OUTCOME_MAX + 32];
    ssize_t n2 = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
    child_pid = 0;
    tests_run++;
    buf[n2 > 0 ? n2 : 0] = 0;
    char *tab = strchr(buf, '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
    memset(out, 0, sizeof *out);
    if (!tab2) {
        out->status = -1;
        snprintf(out->desc, sizeof out->desc, WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM ? "time limit" : "uniemu failed");
        return (int)got;
    }
    *tab = *tab2 = 0;
    out->status = atoi(buf);
    out->insns = strtoull(tab + 1, NULL, 10);
    char *nl = strchr(tab2 + 1, '\n');
    if (nl) *nl = 0;
    snprintf(out->desc, sizeof out->desc, "%s", tab2 + 1);
    out->hash = hash_file(errf, hash_file(outf, 0xcbf29ce484222325ULL));
    return (int)got;
}

static struct outcome target;

static bool same(const struct outcome *o)
{
    return o->status == target.status && o->hash == target.hash && !strcmp(o->desc, target.desc);
}

static bool test(const struct guide_event *ev, int n)
{
    struct outcome o;
    run_child(false, ev, n, NULL, false, &o, NULL, 0);
    return same(&o);
}

/* ddmin: the smallest subset of events[0..n) (1-minimal) that still passes test. */
static int ddmin(struct guide_event *ev, int n)
{
    static struct guide_event cand[MAX_EVENTS];
    int chunks = 2;
    while (n >= 2 && tests_run < MAX_TESTS) {
        bool reduced = false;
        int size = (n + chunks - 1) / chunks;
        /* Try each complement: drop one chunk. */
        for (int c = 0; c < chunks && !reduced && tests_run < MAX_TESTS; c++) {
            int lo = c * size, hi = lo + size < n ? lo + size : n, m = 0;
            for (int i = 0; i < n; i++) if (i < lo || i >= hi) cand[m++] = ev[i];
            if (m < n && test(cand, m)) {
                memcpy(ev, cand, m * sizeof *ev);
                n = m;
                chunks = chunks > 2 ? chunks - 1 : 2;
                reduced = true;
            }
        }
        if (!reduced) {
            if (chunks >= n) break;
            chunks = chunks * 2 < n ? chunks * 2 : n;
        }
    }
    if (n == 1 && test(ev, 0)) n = 0;
    return n;
}

/* Copies the minimized record from the temporary directory to the user's file (written
 * whole or not at all: out_open/out_commit). */
static int publish(const char *from, const char *to)
{
    int fd = open(from, O_RDONLY | O_CLOEXEC);
    struct out_file o;
    if (fd < 0) return -1;
    if (out_open(&o, to) != 0) { close(fd); return -1; }
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (fwrite(buf, 1, (size_t)n, o.f) != (size_t)n) { n = -1; break; }
    close(fd);
    if (n < 0) { out_abort(&o); return -1; }
    return out_commit(&o);
}

static int fail(const char *msg, const char *arg)
{
    fprintf(stderr, "uniemu: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\n");
    remove_temp();
    rec_run_free(&rr);
    return 2;
}

int cmd_minimize(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!in) in = argv[i];
        else { in = NULL; break; }
    }
    if (!in || !out) { fprintf(stderr, "usage: uniemu minimize RECORD -o OUT\n"); return 2; }
    if (out_check(out) != 0) { fprintf(stderr, "uniemu: %s: %s\n", out, strerror(errno)); return 2; }
    if (rec_replay_load(in, &rr) != 0) { rec_run_free(&rr); return 2; }
    if (!rr.execfn) rr.execfn = strdup(rr.exe_path);
    snprintf(tmpdir, sizeof tmpdir, "%.*s/uniemu-minimize-XXXXXX", PATH_MAX - 128, getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) { fprintf(stderr, "uniemu: %s: %s\n", tmpdir, strerror(errno)); tmpdir[0] = 0; rec_run_free(&rr); return 2; }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);

    /* 1. The record's outcome, and where its schedule departs from the plain one. */
    static struct trace_rec raw[2 * MAX_EVENTS];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int got = run_child(true, NULL, 0, NULL, false, &target, (char *)raw, sizeof raw);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int nraw = got / (int)sizeof(struct trace_rec);
    nevents = nstays = 0;
    for (int i = 0; i < nraw; i++) {
        struct guide_event ev = { raw[i].at, raw[i].tid };
        if (raw[i].stay) { if (nstays < MAX_EVENTS) stays[nstays++] = ev; }
        else if (nevents < MAX_EVENTS) events[nevents++] = ev;
    }
    rec_mode = REC_OFF;
    printf("record: %s; status %d; %d preemption%s\n", target.desc, target.status, nevents, nevents == 1 ? "" : "s");
    if (target.status == REPLAY_DIVERGED || target.status < 0) return fail("%s does not replay here: nothing to minimize", in);
    if (nraw >= 2 * MAX_EVENTS || nevents >= MAX_EVENTS) return fail("%s: too many preemptions to minimize", in);
    /* Candidates run at most 4 times the record's instructions (plus room for the guided
     * policy's turns) and 20 times its time (at least 10 s). */
    cand_max_insns = target.insns * 4 + 10000000;
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cand_max_seconds = secs * 20 < 10 ? 10 : secs * 20 > 3600 ? 3600 : (unsigned)(secs * 20) + 1;

    /* 2. They must reproduce the outcome as guide events, or the run depends on more
     * than the schedule (the files it reads changed since). */
    if (!test(events, nevents)) {
        return fail("%s: the record's schedule no longer gives its outcome when run again here "
                    "(minimize runs the program again: the files it reads must be as when recorded)", in);
    }
    int n = ddmin(events, nevents);
    printf("minimized: %d preemption%s (%d runs)\n", n, n == 1 ? "" : "s", tests_run);

    /* 3. The smaller record, and the switches in words. */
    struct outcome o;
    char words[8192] = "", minrec[PATH_MAX];
    snprintf(minrec, sizeof minrec, "%s/min.rec", tmpdir);
    run_child(false, events, n, minrec, true, &o, words, sizeof words - 1);
    if (!same(&o)) return fail("%s: the minimized schedule, run again to record it, gave another outcome", in);
    printf("%s", words);

    /* 4. The critical pair of each switch: delay it until the outcome flips. */
    for (int k = 0; k < n; k++) {
        static struct guide_event shifted[MAX_EVENTS];
        memcpy(shifted, events, (size_t)n * sizeof *events);
        uint64_t lo = 0, hi = 1;   /* delay lo keeps the outcome; find the first that does not */
        bool flipped = false;
        for (; hi < (1ULL << 24); hi *= 2) {
            if (k + 1 < n && events[k].at + hi >= events[k + 1].at) break;
            shifted[k].at = events[k].at + hi;
            if (!test(shifted, n)) { flipped = true; break; }
            lo = hi;
        }
        if (!flipped) {
            printf("switch %d: delayed by up to %" PRIu64 " instructions%s, the outcome stayed the same\n", k + 1, lo,
                   k + 1 < n ? " (short of the next switch)" : "");
            continue;
        }
        while (hi - lo > 1) {
            uint64_t mid = lo + (hi - lo) / 2;
            shifted[k].at = events[k].at + mid;
            if (test(shifted, n)) lo = mid; else hi = mid;
        }
        /* With the switch after lo instructions the outcome holds; one more flips it:
         * that instruction of the stopped task, and the switched-to task's next one,
         * are the pair whose order decides. */
        shifted[k].at = events[k].at + lo;
        char w[8192] = "";
        run_child(false, shifted, n, NULL, true, &o, w, sizeof w - 1);
        char *line = w;
        for (int skip = 0; skip < k && line; skip++) { line = strchr(line, '\n'); if (line) line++; }
        char *end = line ? strchr(line, '\n') : NULL;
        if (end) *end = 0;
        printf("critical pair of switch %d: %s -- if that instruction runs first, the outcome changes\n", k + 1,
               line && *line ? line : "(not found)");
    }
    if (publish(minrec, out) != 0) return fail("%s: cannot write the minimized record", out);
    printf("wrote %s (%d runs in all)\n", out, tests_run);
    remove_temp();
    rec_run_free(&rr);
    return 0;
}
