/* Record files: format and the two modes (see record.h, docs/record.md).
 *
 * File: "UNIEMURC" (8 bytes), format version (u32 LE), payload size (u64 LE), CRC-32 of
 * the payload (u32 LE), compressed size (u64 LE), then the payload compressed with
 * zlib. The payload is a sequence of sections, each a kind byte and a varint length:
 *   'M' meta: varint-length strings, key then value (argv and env as numbered keys)
 *   'B' an embedded program: path, then its bytes (or, with --no-embed, size and CRC-32)
 *   'E' the event stream:
 *       'D' tid slice                     a scheduling decision
 *       'C' insns tid hash                a checkpoint after a decision
 *       'S' nr ret nwrites {addr len bytes} nouts {fd len bytes}
 *                                          an external system call and its effects
 *       'X' ret path                      an execve and the program it loaded
 *       'P' ret n {revents}               a host poll (poll, select, the scheduler's wait)
 *       'W' ret {event bytes}             a host epoll_wait
 * Integers are LEB128 varints; signed ones zigzag-encoded. */
#include "tools/record.h"
#include "scheduler/run.h"
#include "scheduler/sched.h"
#include "scheduler/task.h"
#include "scheduler/signals.h"
#include "syscalls/fdtable.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

enum rec_mode rec_mode;

static const char MAGIC[8] = { 'U', 'N', 'I', 'E', 'M', 'U', 'R', 'C' };
#define HEADER_SIZE 32
#define MAX_PAYLOAD (1ULL << 34)
#define MEM_HASH_EVERY 64

struct buf { uint8_t *p; size_t len, cap; };

static void put_bytes(struct buf *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) { fprintf(stderr, "uniemu: out of memory recording\n"); exit(125); }
        b->p = np;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, d, n);
    b->len += n;
}
static void put_u8(struct buf *b, uint8_t v) { put_bytes(b, &v, 1); }
static void put_var(struct buf *b, uint64_t v)
{
    do { uint8_t c = v & 0x7f; v >>= 7; if (v) c |= 0x80; put_u8(b, c); } while (v);
}
static void put_svar(struct buf *b, int64_t v) { put_var(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
static void put_blob(struct buf *b, const void *d, size_t n) { put_var(b, n); put_bytes(b, d, n); }
static void put_str(struct buf *b, const char *s) { put_blob(b, s, strlen(s)); }
static void buf_free(struct buf *b) { free(b->p); b->p = NULL; b->len = b->cap = 0; }

struct rd { const uint8_t *p; size_t len, pos; bool bad; };
static uint8_t get_u8(struct rd *r) { if (r->pos >= r->len) { r->bad = true; return 0; } return r->p[r->pos++]; }
static uint64_t get_var(struct rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t c = get_u8(r);
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return v;
    }
    r->bad = true;
    return 0;
}
static int64_t get_svar(struct rd *r) { uint64_t v = get_var(r); return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }
static const uint8_t *get_blob(struct rd *r, size_t *n)
{
    *n = get_var(r);
    if (r->bad || *n > r->len - r->pos) { r->bad = true; *n = 0; return NULL; }
    const uint8_t *p = r->p + r->pos;
    r->pos += *n;
    return p;
}
static char *get_str(struct rd *r)
{
    size_t n;
    const uint8_t *p = get_blob(r, &n);
    char *s = malloc(n + 1);
    if (!s) { r->bad = true; return NULL; }
    if (p) memcpy(s, p, n);
    s[n] = 0;
    return s;
}

/* ---- output files ---- */

/* task_create_initial sets uniemu's umask to 0 (the guest applies its own): keep the
 * one the user gave, read before main runs. */
static mode_t start_umask = 022;
__attribute__((constructor)) static void save_umask(void)
{
    start_umask = umask(0);
    umask(start_umask);
}
mode_t out_umask(void) { return start_umask; }

int out_open(struct out_file *o, const char *path)
{
    memset(o, 0, sizeof *o);
    size_t n = strlen(path);
    o->path = strdup(path);
    o->tmp = malloc(n + 16);
    if (!o->path || !o->tmp) { free(o->path); free(o->tmp); errno = ENOMEM; return -1; }
    /* Beside the target, so that rename() replaces it atomically (same file system). */
    snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkostemp(o->tmp, O_CLOEXEC);
    if (fd < 0) { int e = errno; free(o->path); free(o->tmp); errno = e; return -1; }
    /* mkostemp creates mode 0600; the file gets what open(O_CREAT, 0666) would give. */
    if (fchmod(fd, 0666 & ~start_umask) != 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        free(o->path); free(o->tmp);
        errno = e;
        return -1;
    }
    return 0;
}

void out_abort(struct out_file *o)
{
    if (o->f) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    free(o->path); free(o->tmp);
    memset(o, 0, sizeof *o);
}

int out_commit(struct out_file *o)
{
    int rc = 0;
    if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0) rc = -1;
    int e = errno;
    if (fclose(o->f) != 0 && !rc) { rc = -1; e = errno; }
    o->f = NULL;
    if (!rc && rename(o->tmp, o->path) != 0) { rc = -1; e = errno; }
    if (rc) unlink(o->tmp);
    free(o->path); free(o->tmp);
    memset(o, 0, sizeof *o);
    errno = e;
    return rc;
}

int out_check(const char *path)
{
    struct out_file o;
    if (out_open(&o, path) != 0) return -1;
    out_abort(&o);
    return 0;
}

/* ---- state ---- */

static struct buf events, meta, binaries;
static char *out_path;
static bool embed_binaries = true;
static struct rd replay;          /* the event stream being replayed */
static uint8_t *replay_payload;
static bool diverged;
static uint64_t checkpoints;
struct bin { char *path; char *file; };
static struct bin *bins;          /* replay: embedded programs written to temporary files */
static int nbins;
static char tmpdir[PATH_MAX];
static char **recorded_bins;      /* record: programs already embedded */
static int nrecorded;

bool rec_diverged(void) { return diverged; }

static void diverge(const char *what)
{
    if (diverged) return;
    diverged = true;
    int n;
    struct task *const *live = sched_live(&n);
    fprintf(stderr, "uniemu: replay diverged from the record after %llu instructions: %s\n",
            (unsigned long long)det_insns(), what);
    for (int i = 0; i < n; i++)
        if (live[i]->as && live[i]->as->loaded == live[i])
            fprintf(stderr, "  task %d at %#llx\n", live[i]->tid, (unsigned long long)cpu_get(live[i]->as, R_RIP));
}

static void meta_kv(const char *k, const char *v) { put_str(&meta, k); put_str(&meta, v); }
static void meta_kn(const char *k, uint64_t v) { char s[32]; snprintf(s, sizeof s, "%llu", (unsigned long long)v); meta_kv(k, s); }

/* Embeds the file at path, its bytes read from `from` (the copy that was loaded, which
 * for minimize's runs is the record's own copy of a program since deleted). */
static int embed_from(const char *path, const char *from)
{
    for (int i = 0; i < nrecorded; i++)
        if (!strcmp(recorded_bins[i], path)) return 0;
    int fd = open(from, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > (1ULL << 31)) { close(fd); return -1; }
    uint8_t *data = malloc(st.st_size ? st.st_size : 1);
    ssize_t got = data ? read(fd, data, st.st_size) : -1;
    close(fd);
    if (got != st.st_size) { free(data); return -1; }
    put_u8(&binaries, embed_binaries ? 'B' : 'H');
    struct buf sec = { 0 };
    put_str(&sec, path);
    if (embed_binaries) put_blob(&sec, data, st.st_size);
    else { put_var(&sec, st.st_size); put_var(&sec, crc32(0, data, st.st_size)); }
    put_blob(&binaries, sec.p, sec.len);
    buf_free(&sec);
    free(data);
    char **n = realloc(recorded_bins, (nrecorded + 1) * sizeof *n);
    if (!n) return -1;
    recorded_bins = n;
    recorded_bins[nrecorded++] = strdup(path);
    return 0;
}

static int embed(const char *path) { return embed_from(path, path); }

struct initial_file { int64_t ret; char *abs; };
static struct initial_file *initial_files;
static int ninitial;

void rec_initial_reset(void)
{
    for (int i = 0; i < ninitial; i++) free(initial_files[i].abs);
    free(initial_files);
    initial_files = NULL;
    ninitial = 0;
}

void rec_note_initial(int64_t ret, const char *abs)
{
    struct initial_file *n = realloc(initial_files, (ninitial + 1) * sizeof *n);
    if (!n) return;
    initial_files = n;
    initial_files[ninitial].ret = ret;
    initial_files[ninitial++].abs = strdup(ret == 0 ? abs : "");
}

int rec_record_start(const char *path, const char *exe_abs, const char *exe_file, char *const argv[], char *const envp[],
                     const struct run_options *opt, bool embed_bins)
{
    rec_mode = REC_RECORD;
    out_path = strdup(path);
    embed_binaries = embed_bins;
    /* The file is written only at the end (an earlier record there stays whole until
     * then); whether it can be is checked now. */
    if (out_check(path) != 0) { fprintf(stderr, "uniemu: %s: %s\n", path, strerror(errno)); return -1; }
    meta_kv("uniemu-record", "1");
    meta_kv("exe", exe_abs);
    meta_kv("execfn", opt->execfn ? opt->execfn : exe_abs);
    int argc = 0, envc = 0;
    while (argv[argc]) argc++;
    while (envp[envc]) envc++;
    meta_kn("argc", argc);
    for (int i = 0; i < argc; i++) meta_kv("arg", argv[i]);
    meta_kn("envc", envc);
    for (int i = 0; i < envc; i++) meta_kv("env", envp[i]);
    meta_kn("seed", opt->seed);
    meta_kn("aslr", opt->aslr);
    meta_kn("net_faults", opt->net_faults);
    meta_kn("sched", opt->sched.kind);
    meta_kn("quantum", opt->sched.quantum);
    meta_kn("pct_depth", opt->sched.pct_depth);
    meta_kn("pct_horizon", opt->sched.pct_horizon);
    if (opt->max_insns) meta_kn("max_insns", opt->max_insns);
    if (embed_from(exe_abs, exe_file) != 0) { fprintf(stderr, "uniemu: %s: cannot read the program to record it\n", exe_abs); return -1; }
    for (int i = 0; i < ninitial; i++) {
        if (initial_files[i].ret == 0 && embed(initial_files[i].abs) != 0) {
            fprintf(stderr, "uniemu: %s: cannot read the file to record it\n", initial_files[i].abs);
            return -1;
        }
        rec_exec_result(initial_files[i].ret, initial_files[i].abs);
    }
    return 0;
}

int rec_record_finish(int status)
{
    meta_kn("status", (uint64_t)status);
    meta_kn("instructions", det_insns());
    struct buf payload = { 0 };
    put_u8(&payload, 'M');
    put_blob(&payload, meta.p, meta.len);
    put_bytes(&payload, binaries.p, binaries.len);
    put_u8(&payload, 'E');
    put_blob(&payload, events.p, events.len);
    uLongf zlen = compressBound(payload.len);
    uint8_t *z = malloc(HEADER_SIZE + zlen);
    int rc = -1;
    if (z && compress2(z + HEADER_SIZE, &zlen, payload.p, payload.len, 6) == Z_OK) {
        uint32_t version = RECORD_FORMAT_VERSION, crc = crc32(0, payload.p, payload.len);
        uint64_t plen = payload.len, clen = zlen;
        memcpy(z, MAGIC, 8);
        memcpy(z + 8, &version, 4);
        memcpy(z + 12, &plen, 8);
        memcpy(z + 20, &crc, 4);
        memcpy(z + 24, &clen, 8);
        struct out_file o;
        if (out_open(&o, out_path) == 0) {
            if (fwrite(z, 1, HEADER_SIZE + zlen, o.f) == HEADER_SIZE + zlen) rc = out_commit(&o);
            else { int e = errno; out_abort(&o); errno = e; }
        }
    }
    if (rc) fprintf(stderr, "uniemu: %s: cannot write the record: %s\n", out_path, strerror(errno));
    free(z);
    buf_free(&payload); buf_free(&meta); buf_free(&binaries); buf_free(&events);
    for (int i = 0; i < nrecorded; i++) free(recorded_bins[i]);
    free(recorded_bins); recorded_bins = NULL; nrecorded = 0;
    free(out_path); out_path = NULL;
    rec_mode = REC_OFF;
    return rc;
}

/* ---- replay: reading the file ---- */

static int bad_record(const char *path, const char *why)
{
    fprintf(stderr, "uniemu: %s: not a usable record: %s\n", path, why);
    return -1;
}

static const char *write_binary(const char *path, const uint8_t *data, size_t n)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "%s/uniemu-replay-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(tmpdir)) { tmpdir[0] = 0; return NULL; }
    }
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/prog%d", tmpdir, nbins);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    if (fd < 0) return NULL;
    bool ok = write(fd, data, n) == (ssize_t)n;
    close(fd);
    if (!ok) { unlink(file); return NULL; }
    struct bin *nb = realloc(bins, (nbins + 1) * sizeof *nb);
    if (!nb) return NULL;
    bins = nb;
    bins[nbins].path = strdup(path);
    bins[nbins].file = strdup(file);
    return bins[nbins++].file;
}

static const char *binary_file(const char *path)
{
    for (int i = 0; i < nbins; i++)
        if (!strcmp(bins[i].path, path)) return bins[i].file;
    return NULL;
}

/* --no-embed: the program must be at its recorded path, with the recorded size and CRC. */
static const char *check_binary(const char *path, uint64_t size, uint64_t crc)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    uint8_t *data = NULL;
    bool ok = fstat(fd, &st) == 0 && (uint64_t)st.st_size == size && (data = malloc(size ? size : 1)) &&
              read(fd, data, size) == (ssize_t)size && crc32(0, data, size) == crc;
    close(fd);
    free(data);
    if (!ok) return NULL;
    struct bin *nb = realloc(bins, (nbins + 1) * sizeof *nb);
    if (!nb) return NULL;
    bins = nb;
    bins[nbins].path = strdup(path);
    bins[nbins].file = strdup(path);
    return bins[nbins++].file;
}

int rec_replay_load(const char *path, struct rec_run *run)
{
    memset(run, 0, sizeof *run);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { fprintf(stderr, "uniemu: %s: %s\n", path, strerror(errno)); return -1; }
    struct stat st;
    uint8_t hdr[HEADER_SIZE];
    if (fstat(fd, &st) < 0 || read(fd, hdr, HEADER_SIZE) != HEADER_SIZE) { close(fd); return bad_record(path, "too short"); }
    if (memcmp(hdr, MAGIC, 8)) { close(fd); return bad_record(path, "not a uniemu record (bad magic)"); }
    uint32_t version, crc;
    uint64_t plen, clen;
    memcpy(&version, hdr + 8, 4);
    memcpy(&plen, hdr + 12, 8);
    memcpy(&crc, hdr + 20, 4);
    memcpy(&clen, hdr + 24, 8);
    if (version != RECORD_FORMAT_VERSION) {
        close(fd);
        char why[96];
        snprintf(why, sizeof why, "format version %u, this uniemu reads version %d", version, RECORD_FORMAT_VERSION);
        return bad_record(path, why);
    }
    if (clen != (uint64_t)st.st_size - HEADER_SIZE) { close(fd); return bad_record(path, "truncated or extended (size does not match)"); }
    if (plen > MAX_PAYLOAD) { close(fd); return bad_record(path, "absurd payload size"); }
    uint8_t *z = malloc(clen ? clen : 1), *p = malloc(plen ? plen : 1);
    if (!z || !p || read(fd, z, clen) != (ssize_t)clen) { close(fd); free(z); free(p); return bad_record(path, "cannot read it"); }
    close(fd);
    uLongf got = plen;
    int zrc = uncompress(p, &got, z, clen);
    free(z);
    if (zrc != Z_OK || got != plen) { free(p); return bad_record(path, "corrupt (does not decompress)"); }
    if (crc32(0, p, plen) != crc) { free(p); return bad_record(path, "corrupt (checksum mismatch)"); }
    replay_payload = p;
    struct rd r = { p, plen, 0, false };
    int argc = -1, envc = -1, nargs = 0, nenv = 0;
    bool have_events = false;
    while (!r.bad && r.pos < r.len) {
        uint8_t kind = get_u8(&r);
        size_t n;
        const uint8_t *sec = get_blob(&r, &n);
        if (r.bad) break;
        struct rd s = { sec, n, 0, false };
        if (kind == 'M') {
            while (!s.bad && s.pos < s.len) {
                char *k = get_str(&s), *v = get_str(&s);
                if (!k || !v) { free(k); free(v); s.bad = true; break; }
                if (!strcmp(k, "exe")) { run->exe_path = v; v = NULL; }
                else if (!strcmp(k, "execfn")) { free(run->execfn); run->execfn = v; v = NULL; }
                else if (!strcmp(k, "argc")) { argc = atoi(v); run->argv = calloc(argc + 1, sizeof *run->argv); }
                else if (!strcmp(k, "envc")) { envc = atoi(v); run->envp = calloc(envc + 1, sizeof *run->envp); }
                else if (!strcmp(k, "arg") && run->argv && nargs < argc) { run->argv[nargs++] = v; v = NULL; }
                else if (!strcmp(k, "env") && run->envp && nenv < envc) { run->envp[nenv++] = v; v = NULL; }
                else if (!strcmp(k, "seed")) run->seed = strtoull(v, NULL, 10);
                else if (!strcmp(k, "aslr")) run->aslr = atoi(v) != 0;
                else if (!strcmp(k, "net_faults")) run->net_faults = atoi(v) != 0;
                else if (!strcmp(k, "sched")) run->sched_kind = atoi(v);
                else if (!strcmp(k, "quantum")) run->quantum = strtoull(v, NULL, 10);
                else if (!strcmp(k, "pct_depth")) run->pct_depth = atoi(v);
                else if (!strcmp(k, "pct_horizon")) run->pct_horizon = strtoull(v, NULL, 10);
                else if (!strcmp(k, "max_insns")) run->max_insns = strtoull(v, NULL, 10);
                else if (!strcmp(k, "status")) run->status = atoi(v);
                free(k); free(v);
            }
        } else if (kind == 'B' || kind == 'H') {
            char *bpath = get_str(&s);
            const char *file = NULL;
            if (kind == 'B') {
                size_t bn;
                const uint8_t *data = get_blob(&s, &bn);
                if (!s.bad && bpath) file = write_binary(bpath, data, bn);
                if (!file && !s.bad) { free(bpath); return bad_record(path, "cannot write the embedded program to a temporary file"); }
            } else {
                uint64_t size = get_var(&s), bcrc = get_var(&s);
                if (!s.bad && bpath && !(file = check_binary(bpath, size, bcrc))) {
                    fprintf(stderr, "uniemu: %s: recorded with --no-embed: %s is missing or not the recorded program\n", path, bpath);
                    free(bpath);
                    return -1;
                }
            }
            free(bpath);
        } else if (kind == 'E') {
            replay = (struct rd){ sec, n, 0, false };
            have_events = true;
        }
        if (s.bad) r.bad = true;
    }
    if (r.bad || !have_events || !run->exe_path || !run->argv || !run->envp || nargs != argc || nenv != envc)
        return bad_record(path, "incomplete or malformed sections");
    const char *bin = binary_file(run->exe_path);
    if (!bin) return bad_record(path, "the program is missing from the record");
    run->bin_file = strdup(bin);
    rec_mode = REC_REPLAY;
    return 0;
}

void rec_run_options(const struct rec_run *run, struct run_options *opt)
{
    opt->seed = run->seed;
    opt->aslr = run->aslr;
    opt->sched.kind = (enum sched_kind)run->sched_kind;
    opt->sched.quantum = run->quantum;
    opt->sched.pct_depth = run->pct_depth;
    opt->sched.pct_horizon = run->pct_horizon;
    opt->max_insns = run->max_insns;
    opt->net_faults = run->net_faults;
    opt->exe_override = run->exe_path;
    opt->execfn = run->execfn;
}

const char *rec_binary_copy(const char *path) { return binary_file(path); }

void rec_remove_temp(void)
{
    for (int i = 0; i < nbins; i++)
        if (tmpdir[0] && !strncmp(bins[i].file, tmpdir, strlen(tmpdir))) unlink(bins[i].file);
    if (tmpdir[0]) rmdir(tmpdir);
}

void rec_run_free(struct rec_run *run)
{
    free(run->exe_path);
    free(run->execfn);
    free(run->bin_file);
    for (int i = 0; run->argv && run->argv[i]; i++) free(run->argv[i]);
    for (int i = 0; run->envp && run->envp[i]; i++) free(run->envp[i]);
    free(run->argv);
    free(run->envp);
    for (int i = 0; i < nbins; i++) {
        if (tmpdir[0] && !strncmp(bins[i].file, tmpdir, strlen(tmpdir))) unlink(bins[i].file);
        free(bins[i].path);
        free(bins[i].file);
    }
    free(bins); bins = NULL; nbins = 0;
    if (tmpdir[0]) rmdir(tmpdir);
    tmpdir[0] = 0;
    free(replay_payload); replay_payload = NULL;
    rec_mode = REC_OFF;
}

int rec_replay_finish(void)
{
    if (diverged) return -1;
    if (replay.pos != replay.len) {
        diverge("the run ended before the record did");
        return -1;
    }
    return 0;
}

/* ---- decisions and checkpoints ---- */

void rec_put_decision(int tid, uint64_t slice)
{
    put_u8(&events, 'D');
    put_var(&events, (uint64_t)tid);
    put_var(&events, slice);
}

static bool expect(uint8_t kind, const char *what)
{
    if (diverged) return false;
    if (replay.pos >= replay.len) {
        char m[160];
        snprintf(m, sizeof m, "the record ends, the run wants %s", what);
        diverge(m);
        return false;
    }
    uint8_t k = replay.p[replay.pos];
    if (k != kind) {
        char m[160];
        snprintf(m, sizeof m, "the run wants %s, the record has %s next", what,
                 k == 'D' ? "a scheduling decision" : k == 'S' ? "a system call" : k == 'C' ? "a checkpoint" :
                 k == 'X' ? "an execve" : k == 'P' ? "a host poll" : k == 'W' ? "an epoll wait" :
                 "something unknown");
        diverge(m);
        return false;
    }
    replay.pos++;
    return true;
}

int rec_get_decision(int *tid, uint64_t *slice)
{
    if (!expect('D', "a scheduling decision")) return -1;
    *tid = (int)get_var(&replay);
    *slice = get_var(&replay);
    if (replay.bad) { diverge("a malformed decision"); return -1; }
    return 0;
}

/* ---- host readiness ----
 * Which host descriptors are ready is an input: recorded at every host poll (never a
 * whole system call, so a poll that blocks in the scheduler and is retried replays the
 * same way), replayed without touching the host. */

int rec_host_poll(struct pollfd *fds, int n, int timeout_ms)
{
    if (rec_mode == REC_REPLAY) {
        if (!expect('P', "a host poll")) return 0;
        int64_t ret = get_svar(&replay);
        uint64_t k = get_var(&replay);
        if (k != (uint64_t)n) { diverge("a host poll over a different number of descriptors"); return 0; }
        for (int i = 0; i < n; i++) fds[i].revents = (short)get_var(&replay);
        if (replay.bad) { diverge("a malformed host poll record"); return 0; }
        return (int)ret;
    }
    int r;
    while ((r = poll(fds, (nfds_t)n, timeout_ms)) < 0 && errno == EINTR) {}
    if (r < 0) r = -errno;
    if (rec_mode == REC_RECORD) {
        put_u8(&events, 'P');
        put_svar(&events, r);
        put_var(&events, (uint64_t)n);
        for (int i = 0; i < n; i++) put_var(&events, (uint16_t)fds[i].revents);
    }
    return r;
}

int rec_host_epoll_wait(int epfd, struct epoll_event *ev, int max)
{
    if (rec_mode == REC_REPLAY) {
        if (!expect('W', "an epoll wait")) return 0;
        int64_t ret = get_svar(&replay);
        size_t len;
        const uint8_t *d = get_blob(&replay, &len);
        if (replay.bad || ret > max || (ret > 0 && len != (size_t)ret * sizeof *ev)) {
            diverge("a malformed epoll wait record");
            return 0;
        }
        if (ret > 0) memcpy(ev, d, len);
        return (int)ret;
    }
    int r = epoll_wait(epfd, ev, max, 0);
    if (r < 0) r = -errno;
    if (rec_mode == REC_RECORD) {
        put_u8(&events, 'W');
        put_svar(&events, r);
        put_blob(&events, ev, r > 0 ? (size_t)r * sizeof *ev : 0);
    }
    return r;
}

static uint64_t fnv(uint64_t h, const void *d, size_t n)
{
    const uint8_t *p = d;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ULL; }
    return h;
}

static uint64_t state_hash(struct task *t, bool with_memory)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int r = 0; r < R_NREGS; r++) {
        uint64_t v = cpu_get(t->as, r);
        h = fnv(h, &v, sizeof v);
    }
    if (!with_memory) return h;
    /* The task's writable memory: what a wrong input would change first. */
    static uint8_t chunk[65536];
    for (size_t i = 0; i < t->as->nvmas; i++) {
        const struct vma *v = &t->as->vmas[i];
        if (!(v->prot & PROT_WRITE)) continue;
        for (uint64_t a = v->start; a < v->end; a += sizeof chunk) {
            size_t n = v->end - a < sizeof chunk ? v->end - a : sizeof chunk;
            if (guest_peek(t->as, a, chunk, n) == 0) h = fnv(h, chunk, n);
        }
    }
    return h;
}

void rec_checkpoint(struct task *t)
{
    if (rec_mode == REC_OFF || !t->as || t->as->loaded != t) return;
    bool mem = ++checkpoints % MEM_HASH_EVERY == 0;
    uint64_t h = state_hash(t, mem);
    if (rec_mode == REC_RECORD) {
        put_u8(&events, 'C');
        put_var(&events, det_insns());
        put_var(&events, (uint64_t)t->tid);
        put_var(&events, h);
        return;
    }
    if (!expect('C', "a checkpoint")) return;
    uint64_t insns = get_var(&replay), tid = get_var(&replay), want = get_var(&replay);
    if (insns != det_insns() || tid != (uint64_t)t->tid || want != h) {
        char m[200];
        snprintf(m, sizeof m, "checkpoint %llu: recorded %llu instructions, task %llu, state %s; here %llu, task %d, state %s",
                 (unsigned long long)checkpoints, (unsigned long long)insns, (unsigned long long)tid,
                 mem ? "(registers and memory)" : "(registers)", (unsigned long long)det_insns(), t->tid,
                 want == h ? "equal" : "different");
        diverge(m);
    }
}

/* ---- external system calls ---- */

static bool fd_external(struct task *t, int fd)
{
    struct open_file *f = fd_get(t, fd);
    return f && !f->internal && !f->sigfd;
}

bool rec_is_external(struct syscall *sc)
{
    if (rec_mode == REC_OFF) return false;
    struct task *t = sc->t;
    int fd0 = (int)sc->a[0];
    switch (sc->nr) {
    case SYS_read: case SYS_pread64: case SYS_readv: case SYS_preadv: case SYS_write: case SYS_pwrite64:
    case SYS_writev: case SYS_pwritev: case SYS_lseek: case SYS_fstat: case SYS_fstatfs: case SYS_getdents64:
    case SYS_ftruncate: case SYS_fsync: case SYS_fdatasync: case SYS_fadvise64: case SYS_ioctl: case SYS_fchmod:
    case SYS_fchown: case SYS_fchdir: case SYS_fgetxattr: case SYS_fsetxattr: case SYS_flistxattr: case SYS_fremovexattr:
        return fd_external(t, fd0);
    case SYS_fcntl: {
        int cmd = (int)sc->a[1];
        /* Locks are uniemu's own (syscalls/locks.c), not the host's. */
        bool table_only = cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_GETFD || cmd == F_SETFD ||
                          cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_GETLK ||
                          cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW || cmd == F_SETLEASE || cmd == F_GETLEASE;
        return !table_only && fd_external(t, fd0);
    }
    case SYS_sendfile: return fd_external(t, fd0) || fd_external(t, (int)sc->a[1]);
    case SYS_copy_file_range: return fd_external(t, fd0) || fd_external(t, (int)sc->a[2]);
    case SYS_mmap: return !(sc->a[3] & MAP_ANONYMOUS) && fd_external(t, (int)sc->a[4]);
    case SYS_open: case SYS_openat: case SYS_creat: case SYS_stat: case SYS_lstat: case SYS_newfstatat:
    case SYS_statx: case SYS_access: case SYS_faccessat: case SYS_faccessat2: case SYS_readlink:
    case SYS_readlinkat: case SYS_getcwd: case SYS_chdir: case SYS_mkdir: case SYS_mkdirat: case SYS_rmdir:
    case SYS_unlink: case SYS_unlinkat: case SYS_rename: case SYS_renameat: case SYS_renameat2: case SYS_link:
    case SYS_linkat: case SYS_symlink: case SYS_symlinkat: case SYS_chmod: case SYS_fchmodat: case SYS_chown:
    case SYS_lchown: case SYS_fchownat: case SYS_utimensat: case SYS_utime: case SYS_utimes: case SYS_futimesat:
    case SYS_truncate: case SYS_statfs: case SYS_mknod: case SYS_mknodat:
    case SYS_getuid: case SYS_geteuid: case SYS_getgid: case SYS_getegid: case SYS_getresuid: case SYS_getresgid:
    case SYS_getgroups: case SYS_getxattr: case SYS_lgetxattr: case SYS_setxattr: case SYS_lsetxattr:
    case SYS_listxattr: case SYS_llistxattr: case SYS_removexattr: case SYS_lremovexattr:
        return true;
#ifdef SYS_fchmodat2
    case SYS_fchmodat2: return true;
#endif
    default:
        return false;
    }
}

static struct buf capture;
static uint64_t capture_count;

static void observe(uint64_t addr, const void *data, size_t len)
{
    put_var(&capture, addr);
    put_blob(&capture, data, len);
    capture_count++;
}

static bool is_stdio(struct task *t, int fd)
{
    struct open_file *f = fd_get(t, fd);
    return f && f->stdio;
}

static void record_call(struct syscall *sc, int64_t (*fn)(struct syscall *))
{
    struct task *t = sc->t;
    /* sendfile from a file to the terminal or to a pipe of the guest: the bytes come
     * from outside, keep them for the replay to send again. */
    int64_t in_off = -1;
    int sf_in = -1;
    struct open_file *sf_out = sc->nr == SYS_sendfile ? fd_get(t, (int)sc->a[0]) : NULL;
    if (sf_out && (sf_out->stdio || sf_out->internal) && fd_external(t, (int)sc->a[1])) {
        sf_in = fd_host(t, (int)sc->a[1]);
        if (sc->a[2]) { int64_t o; if (guest_read(t->as, sc->a[2], &o, 8) == 0) in_off = o; }
        else in_off = lseek(sf_in, 0, SEEK_CUR);
    }
    capture.len = 0;
    capture_count = 0;
    guest_mem_observer = observe;
    sc->ret = fn(sc);
    guest_mem_observer = NULL;
    put_u8(&events, 'S');
    put_var(&events, (uint64_t)sc->nr);
    put_svar(&events, sc->ret);
    put_var(&events, capture_count);
    put_bytes(&events, capture.p, capture.len);
    if (sf_in >= 0 && in_off >= 0 && sc->ret > 0) {
        uint8_t *data = malloc(sc->ret);
        if (data && pread(sf_in, data, sc->ret, in_off) == sc->ret) {
            put_var(&events, 1);
            put_var(&events, (uint64_t)sc->a[0]);
            put_blob(&events, data, sc->ret);
        } else {
            put_var(&events, 0);
        }
        free(data);
    } else {
        put_var(&events, 0);
    }
}

/* An open that succeeded in the record: a placeholder takes its descriptor number. */
static void replay_open(struct syscall *sc)
{
    int flags = sc->nr == SYS_open ? (int)sc->a[1] : sc->nr == SYS_openat ? (int)sc->a[2] : 0;
    int h = open("/dev/null", O_RDWR | O_CLOEXEC);
    struct open_file *f = h >= 0 ? file_new(h, "(replayed)") : NULL;
    if (!f) { if (h >= 0) close(h); diverge("cannot open /dev/null for a replayed descriptor"); return; }
    int fd = fd_install(sc->t, f, flags & O_CLOEXEC, 0);
    file_put(f);
    if (fd != sc->ret) {
        char m[120];
        snprintf(m, sizeof m, "open gave descriptor %d in the record, %d here", (int)sc->ret, fd);
        diverge(m);
    }
}

static void replay_output(struct task *t, struct syscall *sc, size_t len)
{
    int h = fd_host(t, (int)sc->a[0]);
    if (h < 0) return;
    uint8_t *data = malloc(len);
    if (!data) return;
    size_t got = 0;
    if (sc->nr == SYS_write || sc->nr == SYS_pwrite64) {
        if (guest_read(t->as, sc->a[1], data, len) == 0) got = len;
    } else {
        for (uint64_t i = 0; i < sc->a[2] && got < len; i++) {
            struct { uint64_t base, len; } iov;
            if (guest_read(t->as, sc->a[1] + 16 * i, &iov, sizeof iov)) break;
            size_t k = iov.len < len - got ? iov.len : len - got;
            if (k && guest_read(t->as, iov.base, data + got, k)) break;
            got += k;
        }
    }
    if (got && write(h, data, got) < 0) { /* a reader gone: the guest saw what the record says */ }
    free(data);
}

static void replay_call(struct syscall *sc, int64_t (*fn)(struct syscall *))
{
    struct task *t = sc->t;
    char what[64];
    snprintf(what, sizeof what, "system call %d", sc->nr);
    if (!expect('S', what)) { sc->ret = -EIO; return; }
    uint64_t nr = get_var(&replay);
    int64_t ret = get_svar(&replay);
    if (nr != (uint64_t)sc->nr) {
        char m[120];
        snprintf(m, sizeof m, "the record has system call %llu where the run makes %d", (unsigned long long)nr, sc->nr);
        diverge(m);
        sc->ret = -EIO;
        return;
    }
    /* Output to the inherited stdout and stderr happens again (what the record says was
     * written, ignoring errors here: a closed pipe must not change the replayed run). */
    bool output = (sc->nr == SYS_write || sc->nr == SYS_writev || sc->nr == SYS_pwrite64 || sc->nr == SYS_pwritev) &&
                  is_stdio(t, (int)sc->a[0]);
    (void)fn;
    if (output && ret > 0) replay_output(t, sc, (size_t)ret);
    sc->ret = ret;
    bool writing = sc->nr == SYS_write || sc->nr == SYS_writev || sc->nr == SYS_pwrite64 || sc->nr == SYS_pwritev ||
                   sc->nr == SYS_sendfile;
    if (writing && ret == -EPIPE) sig_send_simple(t, SIGPIPE, SI_USER, t->proc->pid, true);   /* as the handler did */
    if (sc->nr == SYS_mmap && ret >= 0 && (uint64_t)ret < TASK_SIZE_64) {
        /* A MAP_SHARED file mapping is shared memory, as in the record: a fork shares it. */
        uint64_t len = PAGE_UP(sc->a[1]);
        struct shm_obj *obj = (sc->a[3] & 3) != MAP_PRIVATE ? shm_obj_new(len) : NULL;
        if (obj) as_map_obj(t->as, (uint64_t)ret, len, (int)sc->a[2], MAP_SHARED, NULL, 0, 0, 0, obj, 0);
        else as_map(t->as, (uint64_t)ret, len, (int)sc->a[2], MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, 0, 0);
        shm_obj_put(obj);
    }
    uint64_t n = get_var(&replay);
    for (uint64_t i = 0; i < n && !replay.bad; i++) {
        uint64_t addr = get_var(&replay);
        size_t len;
        const uint8_t *d = get_blob(&replay, &len);
        if (d && guest_poke(t->as, addr, d, len)) diverge("a recorded write lands outside guest memory");
    }
    uint64_t nouts = get_var(&replay);
    for (uint64_t i = 0; i < nouts && !replay.bad; i++) {
        int fd = (int)get_var(&replay);
        size_t len;
        const uint8_t *d = get_blob(&replay, &len);
        int h = fd_host(t, fd);
        if (d && h >= 0 && write(h, d, len) < 0) { /* the reader went away: as natively */ }
    }
    if (replay.bad) { diverge("a malformed system call record"); return; }
    if ((sc->nr == SYS_open || sc->nr == SYS_openat || sc->nr == SYS_creat) && ret >= 0) replay_open(sc);
}

void rec_external_call(struct syscall *sc, int64_t (*fn)(struct syscall *))
{
    if (rec_mode == REC_RECORD) record_call(sc, fn);
    else replay_call(sc, fn);
}

bool rec_mmap_replay(struct syscall *sc) { (void)sc; return rec_mode == REC_REPLAY; }

void rec_exec_result(int64_t ret, const char *abs)
{
    if (rec_mode != REC_RECORD) return;
    if (ret == 0 && embed(abs) != 0) ret = -EIO;
    put_u8(&events, 'X');
    put_svar(&events, ret);
    put_str(&events, ret == 0 ? abs : "");
}

int64_t rec_exec_replay(char *abs, const char **load)
{
    if (!expect('X', "an execve")) return -EIO;
    int64_t ret = get_svar(&replay);
    char *path = get_str(&replay);
    if (!path || replay.bad) { free(path); diverge("a malformed execve record"); return -EIO; }
    if (ret == 0) {
        snprintf(abs, PATH_MAX, "%s", path);
        *load = binary_file(path);
        if (!*load) { diverge("the exec'd program is missing from the record"); ret = -EIO; }
    }
    free(path);
    return ret;
}
