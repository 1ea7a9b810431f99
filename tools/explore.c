/* uniemu explore: run a program under many schedules and group the runs by outcome.
 *
 * Each run is a child process of uniemu (fork) that runs the program with one seed,
 * its stdout and stderr going to files; the child reports how every guest process
 * ended (exit status or killing signal, and for a fault the instruction and address).
 * The outcome is that, the status, and a hash of the output. The first run of each
 * outcome is run again with `record` into DIR/<name>.rec. */
#include "tools/explore.h"
#include "tools/record.h"
#include "scheduler/run.h"
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "scheduler/task.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_JOBS 64
#define OUTCOME_MAX 1024

struct outcome {
    char desc[OUTCOME_MAX];
    int status;
    uint64_t out_hash;
    uint64_t count, first_seed;
    char record[64];         /* its record (a run of first_seed), or "" */
    uint64_t record_seed;
    bool crash;
};

static struct outcome *outcomes;
/* The program loaded once in the explore process; each run forks from it. */
static struct prepared_run *prepared;
static int noutcomes;

struct job {
    pid_t pid;
    uint64_t seed;
    int pipe_fd;
    char out[PATH_MAX], err[PATH_MAX];
};

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

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static void print_table(FILE *f, uint64_t runs)
{
    fprintf(f, "%llu runs, %d distinct outcome%s\n", (unsigned long long)runs, noutcomes, noutcomes == 1 ? "" : "s");
    fprintf(f, "%8s  %10s  %6s  %s\n", "runs", "first seed", "status", "outcome (per process; output hash)");
    for (int i = 0; i < noutcomes; i++) {
        struct outcome *o = &outcomes[i];
        fprintf(f, "%8llu  %10llu  %6d  %s; out %016llx%s%s\n", (unsigned long long)o->count,
                (unsigned long long)o->first_seed, o->status, o->desc, (unsigned long long)o->out_hash,
                o->record[0] ? "  -> " : "", o->record);
    }
}

static int write_summary(const char *dir, const char *prog, char *const args[], const char *sched, uint64_t runs,
                         const char *shard)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    /* A temporary file renamed into place: an interrupted explore keeps the old summary. */
    struct out_file out;
    if (out_open(&out, path) != 0) { fprintf(stderr, "uniemu: %s: %s\n", path, strerror(errno)); return -1; }
    FILE *f = out.f;
    fprintf(f, "{\n  \"program\": ");
    json_str(f, prog);
    fprintf(f, ",\n  \"args\": [");
    for (int i = 0; args && args[i]; i++) { if (i) fputs(", ", f); json_str(f, args[i]); }
    fprintf(f, "],\n  \"sched\": ");
    json_str(f, sched);
    fprintf(f, ",\n  \"shard\": ");
    json_str(f, shard);
    fprintf(f, ",\n  \"runs\": %llu,\n  \"outcomes\": [\n", (unsigned long long)runs);
    for (int i = 0; i < noutcomes; i++) {
        struct outcome *o = &outcomes[i];
        fprintf(f, "    {\"outcome\": ");
        json_str(f, o->desc);
        fprintf(f, ", \"status\": %d, \"output_hash\": \"%016llx\", \"count\": %llu, \"first_seed\": %llu, \"record\": ",
                o->status, (unsigned long long)o->out_hash, (unsigned long long)o->count, (unsigned long long)o->first_seed);
        json_str(f, o->record);
        fprintf(f, "}%s\n", i + 1 < noutcomes ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    if (ferror(f)) { out_abort(&out); fprintf(stderr, "uniemu: %s: cannot write\n", path); return -1; }
    if (out_commit(&out) != 0) { fprintf(stderr, "uniemu: %s: %s\n", path, strerror(errno)); return -1; }
    return 0;
}

static struct outcome *find_or_add(const char *desc, int status, uint64_t hash, bool *is_new)
{
    for (int i = 0; i < noutcomes; i++)
        if (outcomes[i].status == status && outcomes[i].out_hash == hash && !strcmp(outcomes[i].desc, desc)) {
            *is_new = false;
            return &outcomes[i];
        }
    struct outcome *n = realloc(outcomes, (noutcomes + 1) * sizeof *n);
    if (!n) { fprintf(stderr, "uniemu: out of memory\n"); exit(2); }
    outcomes = n;
    struct outcome *o = &outcomes[noutcomes++];
    memset(o, 0, sizeof *o);
    snprintf(o->desc, sizeof o->desc, "%s", desc);
    o->status = status;
    o->out_hash = hash;
    o->count = 0;
    o->crash = strstr(desc, ":SIG") || strchr(desc, '@') || status >= 128;
    *is_new = true;
    return o;
}

/* A child: one run with this seed, outputs to files, the outcome to the pipe. */
static void child_run(const struct run_options *base, const char *prog, char *const argv[], uint64_t seed,
                      const struct job *j, int wfd, const char *record_path)
{
    int out = open(j->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = open(j->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || err < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(2);
    if (prepared) {
        /* The prepared guest's stdin, stdout and stderr are duplicates made when it was
         * loaded: point them at this run's files. */
        for (int k = 0; k < 3; k++) {
            struct open_file *f = prepared->task->files->fd[k].f;
            if (f && f->stdio) dup2(k, f->host_fd);
        }
    }
    diag_out = fopen("/dev/null", "w");   /* uniemu's own words are not the guest's output */
    struct run_options opt = *base;
    opt.seed = seed;
    char desc[OUTCOME_MAX];
    opt.outcome = desc;
    opt.outcome_size = sizeof desc;
    opt.record_path = record_path;
    opt.execfn = prog;
    desc[0] = 0;
    int status;
    if (prepared) {
        /* Recording starts here, before the first instruction, as in a fresh run. */
        if (record_path && rec_record_start(record_path, prepared->exe, prepared->exe, argv, environ, &opt, true) != 0) _exit(2);
        status = run_prepared(prepared, &opt);
    } else {
        status = run_program(prog, argv, environ, &opt);
    }
    fflush(NULL);
    dprintf(wfd, "%d\t%s\n", status, desc);
    _exit(0);
}

static pid_t spawn(const struct run_options *base, const char *prog, char *const argv[], uint64_t seed, struct job *j,
                   const char *record_path)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { close(p[0]); close(p[1]); return -1; }
    if (pid == 0) { close(p[0]); child_run(base, prog, argv, seed, j, p[1], record_path); }
    close(p[1]);
    j->pid = pid;
    j->seed = seed;
    j->pipe_fd = p[0];
    return pid;
}

static int finish(struct job *j, int *status, char *desc, size_t n)
{
    char buf[OUTCOME_MAX + 32];
    ssize_t got = 0, r;
    while (got < (ssize_t)sizeof buf - 1 && (r = read(j->pipe_fd, buf + got, sizeof buf - 1 - got)) > 0) got += r;
    close(j->pipe_fd);
    buf[got > 0 ? got : 0] = 0;
    char *tab = strchr(buf, '\t');
    if (!tab) { *status = -1; snprintf(desc, n, "uniemu itself failed"); return -1; }
    *tab = 0;
    *status = atoi(buf);
    char *nl = strchr(tab + 1, '\n');
    if (nl) *nl = 0;
    snprintf(desc, n, "%s", tab + 1);
    return 0;
}

/* A run in which uniemu itself failed (it died, or ended without an outcome): what it
 * said is kept, with what it takes to run that seed again. The first of each kind only. */
static void report_failure(const struct job *j, const char *desc, const char *out_dir)
{
    fprintf(stderr, "uniemu: explore: seed %llu: %s; run it again with uniemu run --seed %llu\n",
            (unsigned long long)j->seed, desc, (unsigned long long)j->seed);
    int fd = open(j->err, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char path[PATH_MAX];
    struct out_file keep = { 0 };
    bool kept = false;
    if (out_dir) {
        snprintf(path, sizeof path, "%s/failure-seed-%llu.stderr", out_dir, (unsigned long long)j->seed);
        kept = out_open(&keep, path) == 0;
    }
    /* Its stderr (the guest's and uniemu's words) into DIR, or its last 2 KiB here. */
    char buf[65536];
    ssize_t n;
    off_t size = lseek(fd, 0, SEEK_END);
    lseek(fd, kept || size < 2048 ? 0 : size - 2048, SEEK_SET);
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, kept ? keep.f : stderr);
    close(fd);
    if (kept && out_commit(&keep) == 0) fprintf(stderr, "uniemu: explore: its stderr is in %s\n", path);
}

static int usage_explore(void)
{
    fprintf(stderr, "usage: uniemu explore [--runs N] [--jobs J] [--sched S] [--quantum N] [--first-seed S] [--aslr] [--net-faults]\n"
                    "                      [--out DIR] [--stop-on crash|new] [--shard K/N] PROGRAM [ARGS...]\n"
                    "       uniemu explore --merge DIR... [--out DIR]\n");
    return 2;
}

/* Reads the outcomes of a summary.json written above (one outcome per line). */
static int merge_dir(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "uniemu: %s: %s\n", path, strerror(errno)); return -1; }
    char line[4 * OUTCOME_MAX];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char *o = strstr(line, "{\"outcome\": \"");
        if (!o) continue;
        char desc[OUTCOME_MAX];
        size_t k = 0;
        for (o += 13; *o && *o != '"' && k + 1 < sizeof desc; o++) {
            if (*o == '\\' && o[1]) o++;
            desc[k++] = *o;
        }
        desc[k] = 0;
        int status;
        unsigned long long hash, count, first;
        char rec[64] = "";
        char *st = strstr(o, "\"status\": "), *hs = strstr(o, "\"output_hash\": \""), *cn = strstr(o, "\"count\": "),
             *fs = strstr(o, "\"first_seed\": "), *rc = strstr(o, "\"record\": \"");
        if (!st || !hs || !cn || !fs || sscanf(st + 10, "%d", &status) != 1 || sscanf(hs + 16, "%llx", &hash) != 1 ||
            sscanf(cn + 9, "%llu", &count) != 1 || sscanf(fs + 14, "%llu", &first) != 1) {
            fprintf(stderr, "uniemu: %s: a malformed outcome line\n", path);
            fclose(f);
            return -1;
        }
        if (rc) sscanf(rc + 11, "%63[^\"]", rec);
        bool is_new;
        struct outcome *out = find_or_add(desc, status, hash, &is_new);
        if (is_new || first < out->first_seed) {
            out->first_seed = first;
            if (rec[0]) snprintf(out->record, sizeof out->record, "%.40s/%.20s", dir, rec);
        }
        out->count += count;
        found++;
    }
    fclose(f);
    return found;
}

int cmd_explore(int argc, char **argv)
{
    struct run_options opt = { 0 };
    opt.sched.kind = SCHED_RANDOM;
    uint64_t runs = 100, first_seed = 0;
    int jobs = 1, shard_k = 1, shard_n = 1;
    const char *out_dir = NULL, *stop_on = NULL, *sched_name = "random";
    bool merge = false;
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) { i++; break; }
        if (!strcmp(a, "--merge")) { merge = true; continue; }
        if (!strcmp(a, "--aslr")) { opt.aslr = true; continue; }
        if (!strcmp(a, "--net-faults")) { opt.net_faults = true; continue; }
        if (!v) return usage_explore();
        i++;
        if (!strcmp(a, "--runs")) runs = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--jobs")) jobs = atoi(v);
        else if (!strcmp(a, "--first-seed")) first_seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--out")) out_dir = v;
        else if (!strcmp(a, "--stop-on")) stop_on = v;
        else if (!strcmp(a, "--quantum")) opt.sched.quantum = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--sched")) {
            if (sched_parse(v, &opt.sched)) return usage_explore();
            /* rr takes no decision from the seed: every run would be the same run. */
            if (opt.sched.kind == SCHED_RR) {
                fprintf(stderr, "uniemu: explore: --sched rr gives the same schedule for every seed; "
                                "use random or pct (or uniemu run --sched rr --quantum N for one schedule)\n");
                return 2;
            }
            sched_name = v;
        } else if (!strcmp(a, "--shard")) {
            if (sscanf(v, "%d/%d", &shard_k, &shard_n) != 2 || shard_n < 1 || shard_k < 1 || shard_k > shard_n) {
                fprintf(stderr, "uniemu: explore: --shard takes K/N with 1 <= K <= N\n");
                return 2;
            }
        } else return usage_explore();
    }
    if (merge) {
        int ndirs = 0;
        for (; i < argc; i++) {
            if (!strcmp(argv[i], "--out") && i + 1 < argc) { out_dir = argv[++i]; continue; }
            if (merge_dir(argv[i]) < 0) return 2;
            ndirs++;
        }
        if (!ndirs) return usage_explore();
        uint64_t total = 0;
        for (int k = 0; k < noutcomes; k++) total += outcomes[k].count;
        print_table(stdout, total);
        if (out_dir) {
            mkdir(out_dir, 0755);
            if (write_summary(out_dir, "(merged)", NULL, "", total, "merged") != 0) return 2;
        }
        return 0;
    }
    if (i >= argc || runs == 0 || jobs < 1 || jobs > MAX_JOBS) return usage_explore();
    if (stop_on && strcmp(stop_on, "crash") && strcmp(stop_on, "new")) return usage_explore();
    char *const *pargv = &argv[i];
    const char *prog = argv[i];
    if (out_dir && mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "uniemu: %s: %s\n", out_dir, strerror(errno));
        return 2;
    }
    char tmp[PATH_MAX - 64];
    snprintf(tmp, sizeof tmp, "%.*s/uniemu-explore-XXXXXX", PATH_MAX - 128, getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp)) { fprintf(stderr, "uniemu: %s: %s\n", tmp, strerror(errno)); return 2; }
    struct job slots[MAX_JOBS];
    memset(slots, 0, sizeof slots);
    for (int k = 0; k < jobs; k++) {
        snprintf(slots[k].out, sizeof slots[k].out, "%s/out%d", tmp, k);
        snprintf(slots[k].err, sizeof slots[k].err, "%s/err%d", tmp, k);
    }
    /* Load the program once; every run is then a fork of this process (the address
     * layout must not depend on the seed: not with --aslr). */
    static struct prepared_run pr;
    if (!opt.aslr) {
        struct run_options popt = opt;
        popt.execfn = prog;
        int rc = run_prepare(prog, pargv, environ, &popt, &pr);
        if (rc) return rc;
        prepared = &pr;
    }
    bool tty = isatty(2);
    uint64_t next = 0, done = 0;
    int running = 0;
    bool stop = false;
    char shard[32];
    snprintf(shard, sizeof shard, "%d/%d", shard_k, shard_n);
    while ((next < runs && !stop) || running) {
        while (!stop && next < runs && running < jobs) {
            uint64_t idx = next++;
            if ((int)(idx % (uint64_t)shard_n) != shard_k - 1) continue;
            int k = 0;
            while (slots[k].pid) k++;
            if (spawn(&opt, prog, pargv, first_seed + idx, &slots[k], NULL) < 0) {
                fprintf(stderr, "uniemu: explore: fork: %s\n", strerror(errno));
                stop = true;
                break;
            }
            running++;
        }
        if (!running) break;
        int ws;
        pid_t pid = waitpid(-1, &ws, 0);
        if (pid < 0) { if (errno == EINTR) continue; break; }
        int k = 0;
        while (k < jobs && slots[k].pid != pid) k++;
        if (k == jobs) continue;
        running--;
        struct job *j = &slots[k];
        j->pid = 0;
        int status;
        char desc[OUTCOME_MAX];
        bool failed = finish(j, &status, desc, sizeof desc) != 0 || WIFSIGNALED(ws);
        if (WIFSIGNALED(ws)) snprintf(desc, sizeof desc, "uniemu killed by SIG%s", sigabbrev_np(WTERMSIG(ws)));
        else if (failed) snprintf(desc, sizeof desc, "uniemu itself failed (exit status %d)", WEXITSTATUS(ws));
        uint64_t h = hash_file(j->err, hash_file(j->out, 0xcbf29ce484222325ULL));
        bool is_new;
        struct outcome *o = find_or_add(desc, status, h, &is_new);
        if (failed && is_new) report_failure(j, desc, out_dir);
        if (is_new || j->seed < o->first_seed) o->first_seed = j->seed;
        o->count++;
        done++;
        /* Keep this run: the same seed again, recorded. With several jobs a later seed
         * can finish first: an earlier seed with the same outcome records it again, so
         * the record is always the first seed's. */
        /* (Not when uniemu itself failed: that run is not the guest's outcome.) */
        if (out_dir && !failed && (is_new || j->seed < o->record_seed || !o->record[0])) {
            char name[64], rec[PATH_MAX];
            snprintf(name, sizeof name, "outcome-%d.rec", (int)(o - outcomes) + 1);
            snprintf(rec, sizeof rec, "%s/%s", out_dir, name);
            struct job rj = *j;
            bool same = false;
            if (spawn(&opt, prog, pargv, j->seed, &rj, rec) > 0) {
                int rws, rs;
                char rd[OUTCOME_MAX];
                waitpid(rj.pid, &rws, 0);
                finish(&rj, &rs, rd, sizeof rd);
                /* Deterministic, so the same outcome; a record that says otherwise is
                 * not kept under this outcome's name. */
                uint64_t rh = hash_file(rj.err, hash_file(rj.out, 0xcbf29ce484222325ULL));
                same = !WIFSIGNALED(rws) && !WIFSIGNALED(ws) && rs == status && rh == h && !strcmp(rd, desc);
            }
            if (same) {
                snprintf(o->record, sizeof o->record, "%s", name);
                o->record_seed = j->seed;
            } else if (!o->record[0] || o->record_seed == j->seed) {
                unlink(rec);
                o->record[0] = 0;
            }
        }
        if (stop_on && is_new && (!strcmp(stop_on, "new") ? noutcomes > 1 : o->crash)) stop = true;
        if (tty) fprintf(stderr, "\rexplore: %llu/%llu runs, %d outcome%s ", (unsigned long long)done,
                         (unsigned long long)(runs / shard_n + (runs % shard_n >= (uint64_t)shard_k)), noutcomes,
                         noutcomes == 1 ? "" : "s");
    }
    if (tty) fputc('\n', stderr);
    for (int k = 0; k < jobs; k++) { unlink(slots[k].out); unlink(slots[k].err); }
    rmdir(tmp);
    print_table(stdout, done);
    if (out_dir && write_summary(out_dir, prog, pargv + 1, sched_name, done, shard) != 0) return 2;
    return 0;
}
