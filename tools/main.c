/* The uniemu command line. */
#include "scheduler/run.h"
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
            "\n"
            "Runs a static x86-64 Linux program inside the emulator, deterministically.\n"
            "\n"
            "options:\n"
            "  --strace[=FILE]   log system calls like strace (to stderr, or FILE)\n"
            "  -s N, --strace-strsize=N\n"
            "                    show at most N bytes of each string in the log (default 32)\n"
            "  --seed N          seed for getrandom, AT_RANDOM and scheduling (default 0)\n"
            "  --sched S         how threads take turns: rr, random (default), pct[:D[:H]]\n"
            "                    (PCT with depth D, default 3, change points in the first H\n"
            "                    instructions, default 1000000)\n"
            "  --quantum N       instructions per turn (rr), mean turn (random), default 10000\n"
            "  --decisions-out F write every scheduling decision to F\n"
            "  --decisions-in F  force the decisions read from F (replays a schedule)\n"
            "  -h, --help        this text\n"
            "  --version         uniemu's version\n"
            "\n"
            "Exit status: the first process's own, 128+N when signal N killed it, 126 when it\n"
            "cannot be loaded, 127 when it does not exist, 125 for a deadlock (every thread\n"
            "blocked for ever) or a decisions file that does not fit, 2 for a usage error.\n");
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

int main(int argc, char **argv)
{
    if (argc < 2) { usage(stderr); return 2; }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) { usage(stdout); return 0; }
    if (!strcmp(argv[1], "--version")) { printf("uniemu %s\n", UNIEMU_VERSION); return 0; }
    if (strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "uniemu: unknown command '%s' (try: uniemu run PROGRAM)\n", argv[1]);
        return 2;
    }
    struct run_options opt = { 0 };
    opt.sched.kind = SCHED_RANDOM;
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (!strcmp(a, "--strace")) opt.strace_path = "";
        else if (!strncmp(a, "--strace=", 9)) opt.strace_path = a + 9;
        else if (!strcmp(a, "--seed") || !strncmp(a, "--seed=", 7)) {
            const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || parse_u64(v, &opt.seed)) { fprintf(stderr, "uniemu: --seed needs a number\n"); return 2; }
        } else if (!strcmp(a, "--sched") || !strncmp(a, "--sched=", 8)) {
            const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || sched_parse(v, &opt.sched)) {
                fprintf(stderr, "uniemu: --sched takes rr, random, pct, pct:D or pct:D:H\n");
                return 2;
            }
        } else if (!strcmp(a, "--quantum") || !strncmp(a, "--quantum=", 10)) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || parse_u64(v, &opt.sched.quantum) || opt.sched.quantum == 0 || opt.sched.quantum > (1ULL << 40)) {
                fprintf(stderr, "uniemu: --quantum needs a number of instructions (1 or more)\n");
                return 2;
            }
        } else if (!strcmp(a, "--decisions-out") || !strcmp(a, "--decisions-in")) {
            if (i + 1 >= argc) { fprintf(stderr, "uniemu: %s needs a file\n", a); return 2; }
            if (a[12] == 'o') opt.sched.decisions_out = argv[++i];
            else opt.sched.decisions_in = argv[++i];
        } else if (!strcmp(a, "-s") || !strncmp(a, "--strace-strsize=", 17)) {
            const char *v = a[1] == 's' ? (i + 1 < argc ? argv[++i] : NULL) : a + 17;
            uint64_t n;
            if (!v || parse_u64(v, &n) || n > 1 << 20) { fprintf(stderr, "uniemu: -s needs a number\n"); return 2; }
            strace_strsize = (int)n;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        else { fprintf(stderr, "uniemu: unknown option '%s'\n", a); return 2; }
    }
    if (i >= argc) { fprintf(stderr, "uniemu: run: no program given\n"); return 2; }

    if (opt.strace_path) {
        if (!*opt.strace_path || !strcmp(opt.strace_path, "-")) strace_out = stderr;
        else if (!(strace_out = fopen(opt.strace_path, "we"))) {
            fprintf(stderr, "uniemu: %s: %s\n", opt.strace_path, strerror(errno));
            return 2;
        }
        setvbuf(strace_out, NULL, _IOLBF, 0);
    }
    /* A guest writing to a closed pipe gets EPIPE and its own SIGPIPE; uniemu lives on. */
    signal(SIGPIPE, SIG_IGN);
    char found[PATH_MAX];
    const char *prog = find_program(argv[i], found, sizeof found);
    int status = run_program(prog, &argv[i], environ, &opt);
    if (strace_out && strace_out != stderr) fclose(strace_out);
    return status;
}
