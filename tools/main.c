/* The uniemu command line. */
#include "scheduler/run.h"
#include "tools/record.h"
#include "tools/explore.h"
#include "tools/minimize.h"
#include "tools/explain.h"
#include "core/cpu.h"
#include "tools/timeline.h"
#include <fcntl.h>
#include "syscalls/syscall.h"
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNIEMU_VERSION "0.1.0"

extern char **environ;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: uniemu run [options] PROGRAM [ARGS...]\n"
            "       uniemu record -o FILE [--no-embed] [options] PROGRAM [ARGS...]\n"
            "       uniemu replay [--strace[=FILE]] [-s N] FILE\n"
            "       uniemu explore [--runs N] [--jobs J] [--sched S] [--out DIR] [--stop-on crash|new]\n"
            "                      [--shard K/N] PROGRAM [ARGS...]   |   uniemu explore --merge DIR...\n"
            "       uniemu minimize RECORD -o OUT\n"
            "       uniemu timeline RECORD -o OUT.html\n"
            "\n"
            "Runs a static x86-64 Linux program inside the emulator, deterministically.\n"
            "record also writes FILE: the program, its arguments, environment and options,\n"
            "every scheduling decision and every input from outside; replay runs it again\n"
            "from FILE alone and reports where it departs from the record (status 124).\n"
            "\n"
            "options:\n"
            "  --strace[=FILE]   log system calls like strace (to stderr, or FILE)\n"
            "  -s N, --strace-strsize=N\n"
            "                    show at most N bytes of each string in the log (default 32)\n"
            "  --seed N          seed for getrandom, AT_RANDOM and scheduling (default 0)\n"
            "  --aslr            a random address layout (stack, mmap base, brk) from the seed\n"
            "  --net-faults      the network misbehaves as Linux allows, by seed: short reads and\n"
            "                    non-blocking writes, lost UDP datagrams, TCP resets\n"
            "  --warn=none       no warnings at the moment of a mistake (default: --warn=all)\n"
            "  --trace=K[,K]     trace each insn (with the registers it changed), block, or mem\n"
            "                    access; --trace-file F, --trace-range A-B (addresses),\n"
            "                    --trace-task TID, --trace-window N-M (instruction counts)\n"
            "  --sched S         how threads take turns: rr, random (default), pct[:D[:H]]\n"
            "                    (PCT with depth D, default 3, change points in the first H\n"
            "                    instructions, default 1000000)\n"
            "  --quantum N       instructions per turn (rr), mean turn (random), default 10000\n"
            "  --max-insns N     stop the run after N instructions in all (status 123)\n"
            "  --decisions-out F write every scheduling decision to F\n"
            "  --decisions-in F  force the decisions read from F (replays a schedule)\n"
            "  -h, --help        this text\n"
            "  --version         uniemu's version\n"
            "\n"
            "Exit status: the first process's own, 128+N when signal N killed it, 126 when it\n"
            "cannot be loaded, 127 when it does not exist, 125 for a deadlock (every thread\n"
            "blocked for ever) or a decisions file that does not fit, 124 when a replay\n"
            "departs from its record, 123 when --max-insns stopped it, 2 for a usage error.\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !*s || *end || s[0] == '-') return -1;
    *out = v;
    return 0;
}

/* Like execvp: a name without a slash is looked up in PATH. */
static const char *find_program(const char *name, char *buf, size_t n)
{
    if (strchr(name, '/')) return name;
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(buf, n, "%.*s%s%s", (int)len, p, len ? "/" : "", name);
        if (access(buf, X_OK) == 0) return buf;
        if (!colon) break;
        p = colon + 1;
    }
    return name;
}

/* Parses run options from argv[i...]; returns the index of the program, or -1 after
 * printing an error (usage error, status 2). `record` also takes -o FILE, --no-embed. */
static int parse_run_options(int argc, char **argv, int i, struct run_options *opt, bool record)
{
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (!strcmp(a, "--strace")) opt->strace_path = "";
        else if (!strncmp(a, "--strace=", 9)) opt->strace_path = a + 9;
        else if (record && (!strcmp(a, "-o") || !strncmp(a, "--output=", 9))) {
            const char *v = a[1] == 'o' ? (i + 1 < argc ? argv[++i] : NULL) : a + 9;
            if (!v || !*v) { fprintf(stderr, "uniemu: record: -o needs a file\n"); return -1; }
            opt->record_path = v;
        } else if (record && !strcmp(a, "--no-embed")) opt->record_no_embed = true;
        else if (!strcmp(a, "--aslr")) opt->aslr = true;
        else if (!strcmp(a, "--net-faults")) opt->net_faults = true;
        else if (!strncmp(a, "--trace=", 8)) {
            char kinds[64];
            snprintf(kinds, sizeof kinds, "%s", a + 8);
            for (char *k = strtok(kinds, ","); k; k = strtok(NULL, ",")) {
                if (!strcmp(k, "insn")) cpu_trace.insn = true;
                else if (!strcmp(k, "block")) cpu_trace.block = true;
                else if (!strcmp(k, "mem")) cpu_trace.mem = true;
                else { fprintf(stderr, "uniemu: --trace takes insn, block, mem (comma-separated)\n"); return -1; }
            }
        } else if (!strcmp(a, "--trace-file") || !strcmp(a, "--trace-range") || !strcmp(a, "--trace-task") ||
                   !strcmp(a, "--trace-window")) {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            unsigned long long x, y;
            if (!v) { fprintf(stderr, "uniemu: %s needs a value\n", a); return -1; }
            if (a[8] == 'f') {
                if (!(cpu_trace.out = fopen(v, "we"))) { fprintf(stderr, "uniemu: %s: %s\n", v, strerror(errno)); return -1; }
            } else if (a[8] == 't') {
                cpu_trace.tid = atoi(v);
            } else if (sscanf(v, "%lli-%lli", &x, &y) == 2 && x < y) {
                if (a[8] == 'r') { cpu_trace.lo = x; cpu_trace.hi = y; }
                else { cpu_trace.from = x; cpu_trace.to = y; }
            } else {
                fprintf(stderr, "uniemu: %s takes A-B (numbers, 0x for hex)\n", a);
                return -1;
            }
        }
        else if (!strcmp(a, "--warn=none")) explain_warnings = false;
        else if (!strcmp(a, "--warn=all") || !strcmp(a, "--warn")) explain_warnings = true;
        else if (!strcmp(a, "--seed") || !strncmp(a, "--seed=", 7)) {
            const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || parse_u64(v, &opt->seed)) { fprintf(stderr, "uniemu: --seed needs a number\n"); return -1; }
        } else if (!strcmp(a, "--sched") || !strncmp(a, "--sched=", 8)) {
            const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || sched_parse(v, &opt->sched)) {
                fprintf(stderr, "uniemu: --sched takes rr, random, pct, pct:D or pct:D:H\n");
                return -1;
            }
        } else if (!strcmp(a, "--quantum") || !strncmp(a, "--quantum=", 10)) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || parse_u64(v, &opt->sched.quantum) || opt->sched.quantum == 0 || opt->sched.quantum > (1ULL << 40)) {
                fprintf(stderr, "uniemu: --quantum needs a number of instructions (1 or more)\n");
                return -1;
            }
        } else if (!strcmp(a, "--max-insns") || !strncmp(a, "--max-insns=", 12)) {
            const char *v = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || parse_u64(v, &opt->max_insns) || opt->max_insns == 0) {
                fprintf(stderr, "uniemu: --max-insns needs a number of instructions (1 or more)\n");
                return -1;
            }
        } else if (!strcmp(a, "--decisions-out") || !strcmp(a, "--decisions-in")) {
            if (i + 1 >= argc) { fprintf(stderr, "uniemu: %s needs a file\n", a); return -1; }
            if (a[12] == 'o') opt->sched.decisions_out = argv[++i];
            else opt->sched.decisions_in = argv[++i];
        } else if (!strcmp(a, "-s") || !strncmp(a, "--strace-strsize=", 17)) {
            const char *v = a[1] == 's' ? (i + 1 < argc ? argv[++i] : NULL) : a + 17;
            uint64_t n;
            if (!v || parse_u64(v, &n) || n > 1 << 20) { fprintf(stderr, "uniemu: -s needs a number\n"); return -1; }
            strace_strsize = (int)n;
        } else { fprintf(stderr, "uniemu: unknown option '%s'\n", a); return -1; }
    }
    if (i >= argc) { fprintf(stderr, "uniemu: %s: no program given\n", record ? "record" : "run"); return -1; }
    return i;
}

static int open_log(struct run_options *opt)
{
    if (!opt->strace_path) return 0;
    if (!*opt->strace_path || !strcmp(opt->strace_path, "-")) strace_out = stderr;
    else if (!(strace_out = fopen(opt->strace_path, "we"))) {
        fprintf(stderr, "uniemu: %s: %s\n", opt->strace_path, strerror(errno));
        return -1;
    }
    setvbuf(strace_out, NULL, _IOLBF, 0);
    return 0;
}

/* A replay interrupted (Ctrl-C) removes the temporary copies of the record's programs. */
static void replay_interrupted(int sig)
{
    rec_remove_temp();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_interrupts(void)
{
    signal(SIGINT, replay_interrupted);
    signal(SIGTERM, replay_interrupted);
    signal(SIGHUP, replay_interrupted);
}

static int cmd_replay(int argc, char **argv)
{
    struct run_options opt = { 0 };
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (!strcmp(a, "--strace")) opt.strace_path = "";
        else if (!strncmp(a, "--strace=", 9)) opt.strace_path = a + 9;
        else if (!strcmp(a, "-s") || !strncmp(a, "--strace-strsize=", 17)) {
            const char *v = a[1] == 's' ? (i + 1 < argc ? argv[++i] : NULL) : a + 17;
            uint64_t n;
            if (!v || parse_u64(v, &n) || n > 1 << 20) { fprintf(stderr, "uniemu: -s needs a number\n"); return 2; }
            strace_strsize = (int)n;
        } else { fprintf(stderr, "uniemu: replay: unknown option '%s'\n", a); return 2; }
    }
    if (i + 1 != argc) { fprintf(stderr, "uniemu: usage: uniemu replay [--strace[=FILE]] [-s N] RECORD\n"); return 2; }
    struct rec_run run;
    if (rec_replay_load(argv[i], &run) != 0) { rec_run_free(&run); return 2; }
    catch_interrupts();
    rec_run_options(&run, &opt);
    if (open_log(&opt) != 0) { rec_run_free(&run); return 2; }
    int status = run_program(run.bin_file, run.argv, run.envp, &opt);
    if (status != run.status && status != REPLAY_DIVERGED) {
        fprintf(stderr, "uniemu: replay diverged: exit status %d, the record has %d\n", status, run.status);
        status = REPLAY_DIVERGED;
    }
    if (strace_out && strace_out != stderr) fclose(strace_out);
    rec_run_free(&run);
    return status;
}

/* uniemu timeline RECORD -o OUT.html: replays the record (its output thrown away) and
 * draws what each task did. */
static int cmd_timeline(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!in) in = argv[i];
        else { in = NULL; break; }
    }
    if (!in || !out) { fprintf(stderr, "usage: uniemu timeline RECORD -o OUT.html\n"); return 2; }
    struct rec_run run;
    if (rec_replay_load(in, &run) != 0) { rec_run_free(&run); return 2; }
    catch_interrupts();
    struct run_options opt = { 0 };
    rec_run_options(&run, &opt);
    int keep = dup(2), null = open("/dev/null", O_WRONLY);
    if (keep < 0 || null < 0) return 2;
    fflush(NULL);
    dup2(null, 1);
    dup2(null, 2);
    timeline_on = true;
    int status = run_program(run.bin_file, run.argv, run.envp, &opt);
    fflush(NULL);
    dup2(keep, 2);
    const char *name = strrchr(run.exe_path, '/');
    char title[512];
    snprintf(title, sizeof title, "%s (seed %llu, status %d)", name ? name + 1 : run.exe_path, (unsigned long long)run.seed, status);
    int rc = timeline_write_html(out, title);
    timeline_free();
    rec_run_free(&run);
    if (rc) { fprintf(stderr, "uniemu: %s: %s\n", out, strerror(errno)); return 2; }
    if (status == REPLAY_DIVERGED) { fprintf(stderr, "uniemu: %s: the replay diverged; the timeline stops there\n", in); return REPLAY_DIVERGED; }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) { usage(stderr); return 2; }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) { usage(stdout); return 0; }
    if (!strcmp(argv[1], "--version")) { printf("uniemu %s\n", UNIEMU_VERSION); return 0; }
    /* A guest writing to a closed pipe gets EPIPE and its own SIGPIPE; uniemu lives on. */
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(argv[1], "replay")) return cmd_replay(argc, argv);
    if (!strcmp(argv[1], "explore")) return cmd_explore(argc, argv);
    if (!strcmp(argv[1], "minimize")) return cmd_minimize(argc, argv);
    if (!strcmp(argv[1], "timeline")) return cmd_timeline(argc, argv);
    bool record = !strcmp(argv[1], "record");
    if (strcmp(argv[1], "run") != 0 && !record) {
        fprintf(stderr, "uniemu: unknown command '%s' (try: uniemu run PROGRAM)\n", argv[1]);
        return 2;
    }
    struct run_options opt = { 0 };
    opt.sched.kind = SCHED_RANDOM;
    cpu_trace.out = stderr;
    int i = parse_run_options(argc, argv, 2, &opt, record);
    if (i < 0) return 2;
    if (record && !opt.record_path) { fprintf(stderr, "uniemu: record: -o FILE is required\n"); return 2; }
    if (open_log(&opt) != 0) return 2;
    char found[PATH_MAX];
    const char *prog = find_program(argv[i], found, sizeof found);
    opt.execfn = prog;
    int status = run_program(prog, &argv[i], environ, &opt);
    if (strace_out && strace_out != stderr) fclose(strace_out);
    return status;
}
