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
#include "scheduler/run.h"
#include "scheduler/sched.h"
#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include <errno.h>
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
static struct guide_event events[MAX_EVENTS];
static int nevents;
static int pipe_w = -1;
static char tmpdir[PATH_MAX - 64];
static int tests_run;

struct outcome { int status; char desc[OUTCOME_MAX]; uint64_t hash; };

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
    struct guide_event ev = { now, chosen };
    if (write(pipe_w, &ev, sizeof ev) != sizeof ev) _exit(3);
}

static uint64_t task_rip(struct task *t)
{
    if (!t->as) return 0;
    return t->as->loaded == t ? cpu_get(t->as, R_RIP) : cpu_ctx_get(t->ctx, R_RIP);
}

/* The words for one switch: what the stopped task was doing, who runs next. */
static void explain_switch(uint64_t at, struct task *from, struct task *to)
{
    char line[512], what[200] = "";
    if (from && from->state != TASK_DEAD && from->as) {
        uint64_t rip = task_rip(from);
        char dis[128] = "";
        int len;
        if (from->in_syscall) snprintf(what, sizeof what, "blocked in system call %d", from->sc.nr);
        else if (from->as->loaded == from && cpu_disasm(from->as, rip, dis, sizeof dis, &len) == 0) {
            const char *call = !strcmp(dis, "syscall") ? syscall_name((int)cpu_get(from->as, R_RAX)) : NULL;
            snprintf(what, sizeof what, "stopped before %#llx: %s%s%s%s", (unsigned long long)rip, dis,
                     call ? " (" : "", call ? call : "", call ? ")" : "");
        }
        else snprintf(what, sizeof what, "stopped before %#llx", (unsigned long long)rip);
    }
    uint64_t to_rip = task_rip(to);
    snprintf(line, sizeof line, "after %llu instructions: task %d %s; task %d runs (from %#llx)\n",
             (unsigned long long)at, from ? from->tid : 0, what[0] ? what : "(gone)", to->tid,
             (unsigned long long)to_rip);
    if (write(pipe_w, line, strlen(line)) < 0) _exit(3);
}

/* One run in a child process: the record's program under the given guide events (or a
 * replay when guided is false). Returns the outcome; extra is filled from the pipe. */
static int run_child(bool replay, const struct guide_event *ev, int n, const char *record_out, bool explain,
                     struct outcome *out, char *extra, size_t extra_size)
{
    char outf[PATH_MAX], errf[PATH_MAX];
    snprintf(outf, sizeof outf, "%s/out", tmpdir);
    snprintf(errf, sizeof errf, "%s/err", tmpdir);
    int p[2], q[2];
    if (pipe2(p, O_CLOEXEC) < 0 || pipe2(q, O_CLOEXEC) < 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(p[0]); close(q[0]);
        int o = open(outf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), e = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (o < 0 || e < 0 || in < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(2);
        diag_out = fopen("/dev/null", "w");   /* uniemu's own words are not the guest's output */
        struct run_options opt = { 0 };
        opt.seed = rr.seed;
        opt.aslr = rr.aslr;
        opt.net_faults = rr.net_faults;
        opt.exe_override = rr.exe_path;
        opt.execfn = rr.execfn;
        opt.sched.quantum = rr.quantum;
        opt.sched.pct_depth = rr.pct_depth;
        opt.sched.pct_horizon = rr.pct_horizon;
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
            sched_set_guide(ev, n);
            opt.record_path = record_out;
            if (explain) sched_guide_applied = explain_switch;
        }
        int status = run_program(rr.bin_file, rr.argv, rr.envp, &opt);
        fflush(NULL);
        dprintf(p[1], "%d\t%s\n", status, desc);
        _exit(0);
    }
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
    waitpid(pid, &ws, 0);
    tests_run++;
    buf[n2 > 0 ? n2 : 0] = 0;
    char *tab = strchr(buf, '\t');
    memset(out, 0, sizeof *out);
    if (!tab) { out->status = -1; snprintf(out->desc, sizeof out->desc, "uniemu failed"); return (int)got; }
    *tab = 0;
    out->status = atoi(buf);
    char *nl = strchr(tab + 1, '\n');
    if (nl) *nl = 0;
    snprintf(out->desc, sizeof out->desc, "%s", tab + 1);
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

int cmd_minimize(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!in) in = argv[i];
        else { in = NULL; break; }
    }
    if (!in || !out) { fprintf(stderr, "usage: uniemu minimize RECORD -o OUT\n"); return 2; }
    if (rec_replay_load(in, &rr) != 0) { rec_run_free(&rr); return 2; }
    if (!rr.execfn) rr.execfn = strdup(rr.exe_path);
    snprintf(tmpdir, sizeof tmpdir, "%.*s/uniemu-minimize-XXXXXX", PATH_MAX - 128, getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) { fprintf(stderr, "uniemu: %s: %s\n", tmpdir, strerror(errno)); rec_run_free(&rr); return 2; }

    /* 1. The record's outcome, and where its schedule departs from the plain one. */
    static char raw[MAX_EVENTS * sizeof(struct guide_event)];
    int got = run_child(true, NULL, 0, NULL, false, &target, raw, sizeof raw);
    nevents = got / (int)sizeof(struct guide_event);
    memcpy(events, raw, (size_t)nevents * sizeof *events);
    rec_mode = REC_OFF;
    printf("record: %s; status %d; %d preemption%s\n", target.desc, target.status, nevents, nevents == 1 ? "" : "s");
    if (target.status == REPLAY_DIVERGED || target.status < 0) {
        fprintf(stderr, "uniemu: %s does not replay here: nothing to minimize\n", in);
        return 2;
    }
    /* 2. They must reproduce the outcome as guide events, or the run depends on more
     * than the schedule (the files it reads changed since). */
    if (!test(events, nevents)) {
        fprintf(stderr, "uniemu: the record's schedule no longer gives its outcome when run again here "
                        "(minimize runs the program again: its input files must be as when recorded)\n");
        return 2;
    }
    int n = ddmin(events, nevents);
    printf("minimized: %d preemption%s (%d runs)\n", n, n == 1 ? "" : "s", tests_run);

    /* 3. The smaller record, and the switches in words. */
    struct outcome o;
    char words[8192] = "";
    run_child(false, events, n, out, true, &o, words, sizeof words - 1);
    if (!same(&o)) { fprintf(stderr, "uniemu: the minimized schedule did not record the same outcome\n"); return 2; }
    printf("%s", words);

    /* 4. The critical pair of each switch: delay it until the outcome flips. */
    for (int k = 0; k < n; k++) {
        static struct guide_event shifted[MAX_EVENTS];
        memcpy(shifted, events, (size_t)n * sizeof *events);
        uint64_t lo = 0, hi = 1;   /* delay lo keeps the outcome; find the first that does not */
        while (hi < (1ULL << 24)) {
            shifted[k].at = events[k].at + hi;
            if (k + 1 < n && shifted[k].at >= events[k + 1].at) break;
            if (!test(shifted, n)) break;
            lo = hi;
            hi *= 2;
        }
        if (hi >= (1ULL << 24) || (k + 1 < n && events[k].at + hi >= events[k + 1].at)) {
            printf("switch %d: the outcome does not depend on exactly when it happens\n", k + 1);
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
    printf("wrote %s (%d runs in all)\n", out, tests_run);
    char f[PATH_MAX];
    snprintf(f, sizeof f, "%s/out", tmpdir); unlink(f);
    snprintf(f, sizeof f, "%s/err", tmpdir); unlink(f);
    rmdir(tmpdir);
    rec_run_free(&rr);
    return 0;
}
