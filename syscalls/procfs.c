/* The guest's /proc. Every /proc/PID path names a guest process or thread (pids from
 * 1000): /proc/self, /proc/thread-self, /proc/<pid>, /proc/<pid>/task/<tid>, and a
 * guest may also name a thread as /proc/<tid>. Anything else numeric is ENOENT, which
 * keeps host processes, uniemu's own memory (/proc/<host pid>/mem) and uniemu's host
 * descriptors out of the guest's reach. What the model answers:
 *
 *   stat status statm cmdline comm maps oom_score oom_score_adj   generated, read-only
 *   auxv environ                         what exec left (core/addr_space.h keeps it)
 *                                        (oom_score_adj is writable: kept per process)
 *   fd/ task/                            listings of the guest's fds and tids
 *   fd/N cwd exe root                    links to what the guest's objects are
 *   mounts mountinfo                     the host's (they carry no pid)
 *   mem pagemap ...                      EACCES; other names ENOENT
 *   /proc/sys/kernel/{shmmax,shmall,shmmni,sem,msgmax,msgmnb,msgmni,*_next_id}
 *   /proc/sysvipc/{shm,sem,msg}          the System V IPC model's (syscalls/ipc.c);
 *                                        the sysctls writable by root
 *   cpuinfo                              the guest's CPUID (core/cpu.c)
 *   meminfo stat uptime loadavg version sys/kernel/{osrelease,hostname,...}
 *                                        the emulated machine's (gen_global)
 *
 * Generated files are memory files filled at open from guest state only (pids, the
 * virtual CPU time, the guest's mappings and signal state), so they read the same in
 * every run. A /proc/PID directory opened by the guest is an empty directory that no
 * longer has a name (made and removed once): lookups relative to it are answered here,
 * never by the host, and it lists what the model has. fstat of it shows uniemu's own
 * /proc/self directory, as stat of the path does (approximation: fstatfs shows tmpfs).
 * /proc itself is the host's, but its listing shows guest pids instead of host ones. */
#include "syscalls/procfs.h"
#include "syscalls/limits.h"
#include "core/cpu.h"
#include "syscalls/fdtable.h"
#include "syscalls/cred.h"
#include "syscalls/ipc.h"
#include "syscalls/machine.h"
#include "core/det.h"
#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/guest_mem.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- paths ---- */

/* Lexical normalization of an absolute path: "//" and "." go, ".." drops the last
 * component. Inside /proc/PID that is what the kernel does too, up to a link (cwd,
 * exe, root, fd/N): from there on the rest is kept as written, for the host to follow. */
static bool is_link_name(const char *c) { return !strcmp(c, "cwd") || !strcmp(c, "exe") || !strcmp(c, "root"); }

static void normalize(const char *in, char *out, size_t cap)
{
    enum { KEEP = 8 };
    char comp[KEEP][NAME_MAX + 1];   /* the first components kept, to spot the links */
    size_t n = 0;
    int depth = 0;
    const char *p = in;
    out[0] = 0;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        size_t len = strcspn(p, "/");
        if (len == 1 && p[0] == '.') {
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n - 1] != '/') n--;
            if (n > 0) n--;
            out[n] = 0;
            if (depth > 0) depth--;
        } else {
            if (n + 1 + len >= cap || len > NAME_MAX) {   /* too long to matter: as written */
                size_t l = strnlen(in, cap - 1);
                memcpy(out, in, l);
                out[l] = 0;
                return;
            }
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
            out[n] = 0;
            if (depth < KEEP) snprintf(comp[depth], sizeof comp[depth], "%.*s", (int)len, p);
            depth++;
            /* /proc/X/{cwd,exe,root}, /proc/X/fd/N, and the same under task/T are links:
             * what follows goes to the host as written. */
            if (depth <= KEEP && !strcmp(comp[0], "proc")) {
                int d = 2;
                if (depth >= 4 && !strcmp(comp[2], "task")) d = 4;
                bool link = (depth == d + 1 && is_link_name(comp[d])) ||
                            (depth == d + 2 && !strcmp(comp[d], "fd"));
                if (link) {
                    p += len;
                    snprintf(out + n, cap - n, "%s", p);
                    return;
                }
            }
        }
        p += len;
    }
    if (n == 0) snprintf(out, cap, "/");
}

static bool numeric(const char *s, size_t len, long *v)
{
    if (!len || len > 9 || (s[0] == '0')) return false;
    long x = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

static bool in_proc(const char *abs) { return !strncmp(abs, "/proc", 5) && (abs[5] == 0 || abs[5] == '/'); }

/* /dev/fd and /dev/std* are the host's links to /proc/self/fd: the guest's own. */
static void dev_fd_alias(char *abs)
{
    static const struct { const char *dev, *proc; } alias[] = {
        { "/dev/fd", "/proc/self/fd" }, { "/dev/stdin", "/proc/self/fd/0" },
        { "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
    };
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++) {
        size_t n = strlen(alias[i].dev);
        if (!strncmp(abs, alias[i].dev, n) && (abs[n] == 0 || abs[n] == '/')) {
            char tmp[PATH_MAX];
            snprintf(tmp, sizeof tmp, "%s%s", alias[i].proc, abs + n);
            snprintf(abs, PATH_MAX, "%s", tmp);
            return;
        }
    }
}

/* A host /proc path of uniemu's own process (the guest got there through the host's
 * /proc/self, as /etc/mtab or a link of its own lead) as the guest's: its pid and tid
 * become the calling task's; any other host pid names nothing the guest has. */
static int host_to_guest(struct task *t, const char *host, char out[PATH_MAX])
{
    const char *p = host + 5;
    if (*p == 0) { snprintf(out, PATH_MAX, "/proc"); return 1; }
    p++;
    size_t len = strcspn(p, "/");
    long pid;
    if (!numeric(p, len, &pid)) { snprintf(out, PATH_MAX, "%s", host); return 1; }
    if (pid != getpid()) return -ENOENT;
    const char *rest = p + len;
    long tid;
    if (!strncmp(rest, "/task/", 6) && numeric(rest + 6, strcspn(rest + 6, "/"), &tid)) {
        if (tid != syscall(SYS_gettid)) return -ENOENT;
        rest += 6 + strcspn(rest + 6, "/");
        snprintf(out, PATH_MAX, "/proc/%d/task/%d%s", t->proc->pid, t->tid, rest);
        return 1;
    }
    snprintf(out, PATH_MAX, "/proc/%d%s", t->proc->pid, rest);
    return 1;
}

struct proc_file {
    int host_fd;
    dev_t dev;
    ino_t ino;
    enum proc_kind kind;          /* PK_PID_DIR, PK_FD_DIR, PK_TASK_DIR, PK_FILE; PK_PASS: /proc */
    int pid, tid;                 /* the process, and the thread the directory or file is of */
    bool thread;
    char name[48];
    char path[PATH_MAX];          /* canonical guest path, as readlink of fd/N shows it */
    char *list;                   /* a directory's listing (dirent64 records) */
    size_t len, pos;
};

static struct proc_file **files;
static size_t nfiles;

struct proc_file *procfs_file(int host_fd)
{
    for (size_t i = 0; i < nfiles; i++) {
        struct proc_file *pf = files[i];
        if (pf->host_fd != host_fd) continue;
        struct stat st;
        /* The host descriptor may have been closed and its number reused since. */
        if (fstat(host_fd, &st) == 0 && st.st_dev == pf->dev && st.st_ino == pf->ino) return pf;
        free(pf->list);
        free(pf);
        files[i] = files[--nfiles];
        return NULL;
    }
    return NULL;
}

static struct proc_file *register_file(int host_fd, enum proc_kind kind, const struct proc_node *pn)
{
    struct stat st;
    if (fstat(host_fd, &st) < 0) return NULL;
    struct proc_file *pf = procfs_file(host_fd);
    if (pf) {                      /* same number, same stand-in directory: a new open */
        free(pf->list);
    } else {
        struct proc_file **n = realloc(files, (nfiles + 1) * sizeof *n);
        if (!n) return NULL;
        files = n;
        if (!(pf = calloc(1, sizeof *pf))) return NULL;
        files[nfiles++] = pf;
    }
    memset(pf, 0, sizeof *pf);
    pf->host_fd = host_fd;
    pf->dev = st.st_dev;
    pf->ino = st.st_ino;
    pf->kind = kind;
    if (pn) {
        pf->pid = pn->p->pid;
        pf->tid = pn->t ? pn->t->tid : pn->p->pid;
        pf->thread = pn->thread;
        snprintf(pf->name, sizeof pf->name, "%s", pn->name);
        snprintf(pf->path, sizeof pf->path, "%s", pn->path);
    } else {
        snprintf(pf->path, sizeof pf->path, "/proc");
    }
    return pf;
}

void procfs_register_proc_root(int host_fd) { register_file(host_fd, PK_PASS, NULL); }
const char *procfs_file_path(const struct proc_file *pf) { return pf->path; }
bool procfs_file_is_dir(const struct proc_file *pf) { return pf->kind != PK_FILE; }

static bool in_list(const char *const *l, const char *s, size_t len);

/* The CPU count libc reads from /sys (glibc's sysconf(_SC_NPROCESSORS_ONLN)): the
 * emulated machine's, as sched_getaffinity says. Made in gen_global. */
static const char *const sys_names[] = {
    "/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible", "/sys/devices/system/cpu/present", NULL,
};

int procfs_guest_path(struct task *t, int gdirfd, const char *path, char out[PATH_MAX])
{
    char joined[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(joined, sizeof joined, "%s", path);
    } else {
        if (!path[0]) return 0;
        int hfd = at_dirfd(t, gdirfd);
        if (hfd < 0) return 0;               /* the caller reports the bad dirfd */
        struct proc_file *pf = procfs_file(hfd);
        char base[PATH_MAX];
        if (pf) {
            snprintf(base, sizeof base, "%s", pf->path);
        } else {
            struct statfs sf;
            if (fstatfs(hfd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) return 0;
            char link[64], host[PATH_MAX];
            snprintf(link, sizeof link, "/proc/self/fd/%d", hfd);
            ssize_t n = readlink(link, host, sizeof host - 1);
            if (n < 0) return 0;
            host[n] = 0;
            if (!in_proc(host)) return 0;
            int rc = host_to_guest(t, host, base);
            if (rc < 0) return rc;
        }
        snprintf(joined, sizeof joined, "%s/%s", base, path);
    }
    normalize(joined, out, PATH_MAX);
    dev_fd_alias(out);
    return in_proc(out) || in_list(sys_names, out, strlen(out)) ? 1 : 0;
}

int procfs_host_check(struct task *t, int hdirfd, const char *hpath, bool nofollow, char out[PATH_MAX])
{
    struct open_how how = { .flags = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0),
                            .resolve = RESOLVE_NO_MAGICLINKS };
    int fd = (int)syscall(SYS_openat2, hdirfd, hpath, &how, sizeof how);
    if (fd < 0) {
        if (errno != ELOOP) return 0;        /* the call itself will say what is wrong */
        /* Through one of the host's magic links (uniemu's fd/N, cwd...)? A true loop
         * of symlinks fails the same without RESOLVE_NO_MAGICLINKS. */
        int plain = openat(hdirfd, hpath, (int)how.flags);
        if (plain < 0) return 0;
        close(plain);
        return -ELOOP;
    }
    struct statfs sf;
    int rc = 0;
    if (fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
        char link[64], host[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, host, sizeof host - 1);
        if (n > 0) {
            host[n] = 0;
            if (in_proc(host)) rc = host_to_guest(t, host, out);
        }
    }
    close(fd);
    return rc;
}

/* ---- the model ---- */

static struct task *live_thread(struct process *p)
{
    struct task *any = NULL;
    for (int i = 0; i < ntasks; i++) {
        struct task *u = all_tasks[i];
        if (u->proc != p || u->state == TASK_DEAD) continue;
        if (u->tid == p->pid) return u;
        if (!any) any = u;
    }
    return any;
}

static struct task *thread_of(struct process *p, long tid)
{
    struct task *u = task_by_tid((int)tid);
    return u && u->proc == p ? u : NULL;
}

static const char *const gen_names[] = {
    "cmdline", "comm", "maps", "oom_score", "oom_score_adj", "stat", "statm", "status", "auxv", "environ", "limits", NULL,
};
static const char *const host_names[] = { "mountinfo", "mounts", NULL };
/* Relative to /proc; generated in gen_global under the name "/" + the path. */
static const char *const global_names[] = {
    "meminfo", "stat", "uptime", "loadavg", "version", "sys/kernel/osrelease", "sys/kernel/ostype",
    "sys/kernel/hostname", "sys/kernel/domainname", "sys/kernel/version", "sys/kernel/pid_max",
    "sys/kernel/random/boot_id", "sys/kernel/random/uuid", "sys/kernel/random/entropy_avail",
    "sys/kernel/random/poolsize", NULL,
};
/* The host's live state with no model here (first path component). */
static const char *const host_state_names[] = {
    "interrupts", "vmstat", "zoneinfo", "diskstats", "partitions", "softirqs", "schedstat", "buddyinfo",
    "slabinfo", "kallsyms", "modules", "kmsg", "timer_list", "pressure", "sched_debug", "vmallocinfo",
    "pagetypeinfo", "iomem", "ioports", "locks", "key-users", "keys", "kpagecount", "kpageflags",
    "kpagecgroup", "kcore", "sysrq-trigger", "net", "swaps", "crypto", "dma", "misc", "mtrr", NULL,
};
/* Real entries the model does not give the guest. */
static const char *const refused_names[] = {
    "mem", "pagemap", "smaps", "smaps_rollup", "numa_maps", "syscall", "stack",
    "wchan", "io", "sched", "schedstat", "personality", "fdinfo", "ns", "attr", "map_files",
    "coredump_filter", "loginuid", "sessionid", "cgroup", "cpuset", "mountstats", "net", "setgroups",
    "uid_map", "gid_map", "projid_map", "timerslack_ns", "clear_refs", "autogroup", "timers", "arch_status",
    "patch_state", "ksm_stat", "ksm_merging_pages", "oom_adj", "latency", "seccomp_cache", NULL,
};

static bool in_list(const char *const *l, const char *s, size_t len)
{
    for (; *l; l++)
        if (strlen(*l) == len && !strncmp(*l, s, len)) return true;
    return false;
}

/* A file of the model that is not per process (generated under the name given). */
static int model_file(struct task *t, struct proc_node *pn, const char *prefix, const char *name)
{
    pn->kind = PK_FILE;
    pn->p = t->proc;
    pn->t = t;
    snprintf(pn->name, sizeof pn->name, "%s%s", prefix, name);
    return 0;
}

int procfs_resolve(struct task *t, const char *abs, bool follow, struct proc_node *pn)
{
    memset(pn, 0, sizeof *pn);
    pn->tail = "";
    snprintf(pn->path, sizeof pn->path, "%s", abs);
    if (in_list(sys_names, abs, strlen(abs))) return model_file(t, pn, "", abs);
    const char *p = abs + 5;
    if (*p == 0) { pn->kind = PK_PASS; return 0; }
    p++;
    size_t len = strcspn(p, "/");
    long id;
    if (len == 4 && !strncmp(p, "self", 4)) {
        pn->p = t->proc;
        pn->t = t;
        snprintf(pn->link, sizeof pn->link, "%d", t->proc->pid);
    } else if (len == 11 && !strncmp(p, "thread-self", 11)) {
        pn->p = t->proc;
        pn->t = t;
        pn->thread = true;
        snprintf(pn->link, sizeof pn->link, "%d/task/%d", t->proc->pid, t->tid);
    } else if (numeric(p, len, &id)) {
        struct process *q = process_by_pid((int)id);
        if (q) {
            pn->p = q;
            pn->t = live_thread(q);
        } else {
            struct task *u = task_by_tid((int)id);   /* a thread, by its tid */
            if (!u) return -ENOENT;
            pn->p = u->proc;
            pn->t = u;
        }
    } else {
        /* uniemu's kernel (uname: 6.1.0-uniemu) has no build config of its own: the
         * host's would describe another kernel (LTP reads it through zcat). */
        if (len == 9 && !strncmp(p, "config.gz", 9)) return -ENOENT;
        /* The System V IPC limits are the model's (syscalls/ipc.c), not the host's. */
        if (ipc_proc_show(p, NULL) == 0) return model_file(t, pn, "", p);
        /* The guest's CPU, not the host's (core/cpu.c: the flags are its CPUID). */
        if (len == 7 && !strncmp(p, "cpuinfo", 7) && !p[7]) return model_file(t, pn, "", "cpuinfo");
        /* The machine-wide files: the emulated machine's, made from its model
         * (syscalls/machine.h) and the virtual clock; those that would show the host's
         * live state and have no model here are absent. */
        if (in_list(global_names, p, strlen(p))) return model_file(t, pn, "/", p);
        if (in_list(host_state_names, p, len)) return -ENOENT;
        pn->kind = PK_PASS;       /* sys/..., and names that do not exist */
        return 0;
    }
    p += len;
    if (pn->link[0] && !*p && !follow) { pn->kind = PK_SELF_LINK; return 0; }
    char canon[96];
    if (pn->link[0]) snprintf(canon, sizeof canon, "/proc/%s", pn->link);
    else snprintf(canon, sizeof canon, "/proc/%ld", id);
    for (;;) {
        while (*p == '/') p++;
        len = strcspn(p, "/");
        if (!len) {
            pn->kind = PK_PID_DIR;
            snprintf(pn->path, sizeof pn->path, "%s", canon);
            return 0;
        }
        if (!pn->thread && len == 4 && !strncmp(p, "task", 4)) {
            p += len;
            while (*p == '/') p++;
            len = strcspn(p, "/");
            if (!len) {
                pn->kind = PK_TASK_DIR;
                snprintf(pn->path, sizeof pn->path, "%s/task", canon);
                return 0;
            }
            struct task *u;
            if (!numeric(p, len, &id) || !(u = thread_of(pn->p, id))) return -ENOENT;
            pn->t = u;
            pn->thread = true;
            snprintf(canon, sizeof canon, "/proc/%d/task/%ld", pn->p->pid, id);
            p += len;
            continue;
        }
        break;
    }
    const char *name = p;
    const char *after = p + len;
    snprintf(pn->name, sizeof pn->name, "%.*s", (int)(len < sizeof pn->name ? len : sizeof pn->name - 1), name);
    snprintf(pn->path, sizeof pn->path, "%s/%.*s", canon, (int)len, name);
    if (len == 2 && !strncmp(name, "fd", 2)) {
        const char *q = after;
        while (*q == '/') q++;
        size_t l2 = strcspn(q, "/");
        if (!l2) { pn->kind = PK_FD_DIR; return 0; }
        long fd;
        if (!numeric(q, l2, &fd) && !(l2 == 1 && q[0] == '0')) return -ENOENT;
        if (l2 == 1 && q[0] == '0') fd = 0;
        if (!pn->t || !fd_get(pn->t, (int)fd)) return -ENOENT;
        pn->kind = PK_FD;
        pn->fd = (int)fd;
        pn->tail = q + l2;
        snprintf(pn->path, sizeof pn->path, "%s/fd/%ld", canon, fd);
        return 0;
    }
    if ((len == 3 && !strncmp(name, "cwd", 3)) || (len == 3 && !strncmp(name, "exe", 3)) ||
        (len == 4 && !strncmp(name, "root", 4))) {
        pn->kind = name[0] == 'c' ? PK_CWD : name[0] == 'e' ? PK_EXE : PK_ROOT;
        if (!pn->t && pn->kind != PK_ROOT) return -ENOENT;   /* a zombie has none */
        pn->tail = after;
        return 0;
    }
    bool gen = in_list(gen_names, name, len), host = in_list(host_names, name, len);
    if (gen || host) {
        if (*after) return -ENOTDIR;
        pn->kind = gen ? PK_FILE : PK_HOST_FILE;
        return 0;
    }
    return in_list(refused_names, name, len) ? -EACCES : -ENOENT;
}

/* ---- per-process values: oom_score_adj ---- */

/* adj, and min: the lowest value it may go back to without CAP_SYS_RESOURCE (Linux's
 * oom_score_adj_min, set by a privileged write, inherited with the value). */
struct oom_entry { struct process *p; int adj, min; };
static struct oom_entry *ooms;
static size_t nooms;

static struct oom_entry *oom_find(struct process *p)
{
    for (size_t i = 0; i < nooms; i++)
        if (ooms[i].p == p) return &ooms[i];
    return NULL;
}

/* A child inherits its parent's value at fork. Processes are not followed from their
 * creation here, so each one gets its entry, its parent's value, the first time /proc
 * is used after it was created (before any value changes); approximation: a child
 * whose parent changed its value, then died, before that, starts from 0. */
static void oom_sync(void)
{
    for (int i = 0; i < ntasks; i++) {
        struct process *p = all_tasks[i]->proc;
        if (!p || p->reaped || oom_find(p)) continue;
        const struct oom_entry *parent = p->parent ? oom_find(p->parent) : NULL;
        struct oom_entry e = { p, parent ? parent->adj : 0, parent ? parent->min : 0 };
        struct oom_entry *n = realloc(ooms, (nooms + 1) * sizeof *n);
        if (!n) return;
        ooms = n;
        ooms[nooms++] = e;
    }
}

static int oom_adj(struct process *p)
{
    oom_sync();
    struct oom_entry *e = oom_find(p);
    return e ? e->adj : 0;
}

/* The process's own capabilities (syscalls/process.c: uniemu's at first, then as capset
 * left them). */
static bool cap_sys_resource(struct process *p)
{
    return guest_cap_effective(p) & (1u << 24);   /* CAP_SYS_RESOURCE */
}

/* ---- generated contents ---- */

static char task_state(struct task *caller, struct process *p, struct task *u)
{
    if (!u || p->zombie) return 'Z';
    if (u == caller) return 'R';
    if (p->stopped) return 'T';
    return u->state == TASK_BLOCKED ? 'S' : 'R';
}

static const char *state_name(char c)
{
    switch (c) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'T': return "T (stopped)";
    default: return "Z (zombie)";
    }
}

static int live_threads(struct process *p)
{
    int n = 0;
    for (int i = 0; i < ntasks; i++)
        if (all_tasks[i]->proc == p && all_tasks[i]->state != TASK_DEAD) n++;
    return n;
}

static void sig_sets(struct task *u, uint64_t *ign, uint64_t *cgt)
{
    *ign = *cgt = 0;
    if (!u || !u->sighand) return;
    for (int s = 1; s <= 64; s++) {
        uint64_t h = u->sighand->act[s - 1].handler;
        if (h == (uint64_t)(uintptr_t)SIG_IGN) *ign |= 1ULL << (s - 1);
        else if (h != (uint64_t)(uintptr_t)SIG_DFL) *cgt |= 1ULL << (s - 1);
    }
}

static int queued(const struct sigpending *sp)
{
    int n = 0;
    for (const struct queued_sig *q = sp->head; q; q = q->next) n++;
    return n;
}

/* A thread's name; for the process, its leader's (as Linux's /proc/PID/comm). */
static void comm_of(struct process *p, struct task *u, char out[16])
{
    if (!u || u->proc != p) u = task_by_tid(p->pid);
    if (u && u->comm[0]) { snprintf(out, 16, "%s", u->comm); return; }
    const char *b = p->exe ? strrchr(p->exe, '/') : NULL;
    snprintf(out, 16, "%s", b ? b + 1 : p->exe ? p->exe : "");
}

/* Bytes mapped, or (locked) only those mlock'ed. */
static uint64_t vm_bytes(struct task *u, bool locked)
{
    uint64_t n = 0;
    if (!u || !u->as) return 0;
    for (size_t i = 0; i < u->as->nvmas; i++)
        if (!locked || (u->as->vmas[i].flags & VMA_LOCKED)) n += u->as->vmas[i].end - u->as->vmas[i].start;
    return n;
}
static uint64_t vm_size(struct task *u) { return vm_bytes(u, false); }

static void gen_stat(FILE *out, struct task *caller, struct process *p, struct task *u)
{
    char comm[16];
    comm_of(p, u, comm);
    uint64_t ign, cgt;
    sig_sets(u, &ign, &cgt);
    uint64_t pend = u ? u->pending.set | p->shared.set : 0;
    /* 100 clock ticks a second of the virtual CPU time (one instruction, 1 ns). */
    unsigned long long ticks = (unsigned long long)(p->cpu_insns / 10000000ULL);
    fprintf(out, "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %llu 0 0 0 20 0 %d 0 0 %llu 0 "
                 "18446744073709551615 0 0 0 0 0 %llu %llu %llu %llu 0 0 0 %d 0 0 0 0 0 0 0 0 %llu 0 0 0 0 %d\n",
            u ? u->tid : p->pid, comm, task_state(caller, p, u), p->ppid, p->pgid, p->sid, ticks,
            live_threads(p), (unsigned long long)vm_size(u), (unsigned long long)pend,
            (unsigned long long)(u ? u->sigmask : 0), (unsigned long long)ign, (unsigned long long)cgt,
            p->exit_signal, (unsigned long long)(u && u->as ? u->as->brk_start : 0),
            p->zombie ? p->wait_status : 0);
}

static void gen_status(FILE *out, struct task *caller, struct process *p, struct task *u)
{
    char comm[16];
    comm_of(p, u, comm);
    uint64_t ign, cgt;
    sig_sets(u, &ign, &cgt);
    int tid = u ? u->tid : p->pid;
    struct cred *cr = cred_of(p);
    struct rlimit rl = { 0, 0 };
    getrlimit(RLIMIT_SIGPENDING, &rl);
    int fdmax = 0;
    if (u && u->files)
        for (int i = 0; i < MAX_FDS; i++) if (u->files->fd[i].f) fdmax = i + 1;
    int fdsize = 64;
    while (fdsize < fdmax) fdsize *= 2;
    fprintf(out, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
            comm, u && u->fs ? u->fs->umask : 022, state_name(task_state(caller, p, u)), p->pid, tid, p->ppid);
    fprintf(out, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t", cr->uid, cr->euid, cr->suid,
            cr->fsuid, cr->gid, cr->egid, cr->sgid, cr->fsgid, fdsize);
    for (int i = 0; i < cr->ngroups; i++) fprintf(out, i ? " %u" : "%u", cr->groups[i]);
    fprintf(out, " \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", p->pid, tid, p->pgid, p->sid);
    if (u && u->as) fprintf(out, "VmSize:\t%8llu kB\nVmLck:\t%8llu kB\n", (unsigned long long)(vm_size(u) >> 10),
                            (unsigned long long)(vm_bytes(u, true) >> 10));
    fprintf(out, "Threads:\t%d\nSigQ:\t%d/%llu\nSigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n"
                 "SigIgn:\t%016llx\nSigCgt:\t%016llx\n",
            live_threads(p), (u ? queued(&u->pending) : 0) + queued(&p->shared), (unsigned long long)rl.rlim_cur,
            (unsigned long long)(u ? u->pending.set : 0), (unsigned long long)p->shared.set,
            (unsigned long long)(u ? u->sigmask : 0), (unsigned long long)ign, (unsigned long long)cgt);
    fprintf(out, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\nCapAmb:\t%016llx\n",
            (unsigned long long)cr->cap_inh, (unsigned long long)cr->cap_prm, (unsigned long long)cr->cap_eff,
            (unsigned long long)cr->cap_bnd, (unsigned long long)cr->cap_amb);
}

static void gen_maps(FILE *out, struct addr_space *as)
{
    for (size_t i = 0; as && i < as->nvmas; i++) {
        const struct vma *v = &as->vmas[i];
        /* Pieces the table keeps apart only for the engine's sake show as one. */
        uint64_t end = v->end;
        while (i + 1 < as->nvmas && as_same_kind(&as->vmas[i], &as->vmas[i + 1])) end = as->vmas[++i].end;
        char line[256];
        snprintf(line, sizeof line, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
                 (unsigned long long)v->start, (unsigned long long)end,
                 v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
                 v->prot & PROT_EXEC ? 'x' : '-', v->flags & MAP_SHARED ? 's' : 'p',
                 (unsigned long long)v->offset, (unsigned)((v->dev >> 8) & 0xfff),
                 (unsigned)((v->dev & 0xff) | ((v->dev >> 12) & 0xfff00)), (unsigned long long)v->ino);
        if (v->name) fprintf(out, "%-73s%s\n", line, v->name);
        else fprintf(out, "%s\n", line);
    }
    /* Outside the user address space, but every x86-64 process shows it. */
    if (as) fprintf(out, "%-73s[vsyscall]\n", "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 ");
}

/* The argument strings, as Linux reads them from the process's memory (arg_start to
 * arg_end). uniemu keeps no copy: the loader's layout finds them (elf_loader.c): the
 * strings end at the stack top (argv, envp, the program's name, 8 zero bytes), the
 * platform string "x86_64" ends just below the 16-aligned start of argv[0], and argv[]
 * itself (after argc) points at each. Empty when the guest has rewritten that area. */
static void gen_cmdline(FILE *out, struct addr_space *as)
{
    if (!as) return;
    const struct vma *v = as_find(as, as->stack_top - 1);
    if (!v) return;
    uint64_t lo = v->start, top = as->stack_top;
    size_t span = top - lo < (5u << 20) ? (size_t)(top - lo) : (5u << 20);
    uint64_t base = top - span;
    char *m = malloc(span);
    if (!m || guest_read(as, base, m, span)) { free(m); return; }
    /* String starts from the top down, after the 8 zero bytes. */
    size_t end = span - 8;           /* index of the last string's NUL + 1 */
    int nstr = 0;
    while (end > 0 && nstr < 100000) {
        size_t s = end - 1;           /* the NUL */
        while (s > 0 && m[s - 1]) s--;
        nstr++;
        uint64_t start = base + s;
        uint64_t q = start & ~15ULL;
        if (q >= base + 7 && q - base <= span && !memcmp(m + (q - 7 - base), "x86_64", 7)) {
            /* argv[] holds start: find it below the random bytes, argc before it. */
            uint64_t from = q - 7 - 16;
            for (uint64_t w = (from - 8) & ~7ULL; w >= base + 8 && w + 4096 * 8 > from; w -= 8) {
                uint64_t word, argc;
                memcpy(&word, m + (w - base), 8);
                if (word != start) continue;
                memcpy(&argc, m + (w - 8 - base), 8);
                if (argc == 0 || argc > (uint64_t)nstr || w + 8 * argc + 8 > top) continue;
                uint64_t nullp, last;
                memcpy(&nullp, m + (w + 8 * argc - base), 8);
                memcpy(&last, m + (w + 8 * (argc - 1) - base), 8);
                if (nullp != 0 || last < start || last >= top) continue;
                size_t e = last - base;
                while (e < span && m[e]) e++;
                if (e < span) fwrite(m + s, 1, e + 1 - s, out);
                free(m);
                return;
            }
        }
        if (s == 0) break;
        end = s;
    }
    free(m);
}

/* A random UUID in the kernel's text form, from the guest's random stream. */
static void put_uuid(FILE *out, const unsigned char r[16])
{
    unsigned char u[16];
    memcpy(u, r, 16);
    u[6] = (u[6] & 0x0f) | 0x40;   /* version 4 */
    u[8] = (u[8] & 0x3f) | 0x80;   /* the RFC 4122 variant */
    for (int i = 0; i < 16; i++) fprintf(out, "%02x%s", u[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
    fputc('\n', out);
}

static void gen_global(FILE *out, const char *n)
{
    uint64_t mono = det_monotonic_ns(), busy = det_insns();
    uint64_t idle = mono > busy ? mono - busy : 0;
    if (!strcmp(n, "/meminfo")) {
        const struct { const char *k; uint64_t kb; } rows[] = {
            { "MemTotal:", GUEST_MEM_BYTES >> 10 }, { "MemFree:", GUEST_FREE_BYTES >> 10 },
            { "MemAvailable:", GUEST_FREE_BYTES >> 10 }, { "Buffers:", 0 }, { "Cached:", 0 }, { "SwapCached:", 0 },
            { "Active:", 0 }, { "Inactive:", 0 }, { "SwapTotal:", 0 }, { "SwapFree:", 0 }, { "Dirty:", 0 },
            { "Writeback:", 0 }, { "AnonPages:", 0 }, { "Mapped:", 0 }, { "Shmem:", 0 }, { "Slab:", 0 },
            { "CommitLimit:", GUEST_FREE_BYTES >> 10 }, { "Committed_AS:", 0 }, { "VmallocTotal:", 34359738367ULL },
            { "HugePages_Total:", 0 }, { "HugePages_Free:", 0 }, { "Hugepagesize:", 2048 },
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            if (!strncmp(rows[i].k, "HugePages_", 10)) fprintf(out, "%-16s%8llu\n", rows[i].k, (unsigned long long)rows[i].kb);
            else fprintf(out, "%-16s%8llu kB\n", rows[i].k, (unsigned long long)rows[i].kb);
        }
    } else if (!strcmp(n, "/stat")) {
        /* USER_HZ ticks: the guest's instructions as user time, the rest idle. */
        unsigned long long u = busy / 10000000, i = idle / 10000000;
        fprintf(out, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\ncpu0 %llu 0 0 %llu 0 0 0 0 0 0\n", u, i, u, i);
        fprintf(out, "intr 0\nctxt 0\nbtime %llu\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n",
                (unsigned long long)(DET_EPOCH_SEC - (long long)((mono - det_now_ns()) / 1000000000ULL)), ntasks);
        fprintf(out, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
    } else if (!strcmp(n, "/uptime")) {
        fprintf(out, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(mono / 1000000000ULL),
                (unsigned long long)(mono / 10000000ULL % 100), (unsigned long long)(idle / 1000000000ULL),
                (unsigned long long)(idle / 10000000ULL % 100));
    } else if (!strcmp(n, "/loadavg")) {
        int live = 0;
        for (int k = 0; k < ntasks; k++) live += all_tasks[k]->state != TASK_DEAD;
        fprintf(out, "0.00 0.00 0.00 1/%d %d\n", live, ntasks ? all_tasks[ntasks - 1]->tid : 0);
    } else if (!strcmp(n, "/version")) {
        fprintf(out, "%s version %s (uniemu@%s) (uniemu) %s\n", GUEST_SYSNAME, GUEST_RELEASE, GUEST_NODENAME, GUEST_VERSION);
    } else if (!strcmp(n, "/sys/kernel/osrelease")) fprintf(out, "%s\n", GUEST_RELEASE);
    else if (!strcmp(n, "/sys/kernel/ostype")) fprintf(out, "%s\n", GUEST_SYSNAME);
    else if (!strcmp(n, "/sys/kernel/hostname")) fprintf(out, "%s\n", GUEST_NODENAME);
    else if (!strcmp(n, "/sys/kernel/domainname")) fprintf(out, "%s\n", GUEST_DOMAINNAME);
    else if (!strcmp(n, "/sys/kernel/version")) fprintf(out, "%s\n", GUEST_VERSION);
    else if (!strcmp(n, "/sys/kernel/pid_max")) fprintf(out, "%d\n", GUEST_PID_MAX);
    else if (!strncmp(n, "/sys/devices/system/cpu/", 24)) {
        if (GUEST_NCPUS == 1) fprintf(out, "0\n");
        else fprintf(out, "0-%d\n", GUEST_NCPUS - 1);
    }
    else if (!strcmp(n, "/sys/kernel/random/entropy_avail") || !strcmp(n, "/sys/kernel/random/poolsize")) fprintf(out, "256\n");
    else if (!strcmp(n, "/sys/kernel/random/uuid")) {
        unsigned char r[16];
        det_random(r, sizeof r);
        put_uuid(out, r);
    } else if (!strcmp(n, "/sys/kernel/random/boot_id")) {
        static unsigned char boot[16];   /* one per run: drawn when first read */
        static bool drawn;
        if (!drawn) { det_random(boot, sizeof boot); drawn = true; }
        put_uuid(out, boot);
    }
}

static char *generate(struct task *caller, const struct proc_node *pn, size_t *len)
{
    char *buf = NULL;
    FILE *out = open_memstream(&buf, len);
    if (!out) return NULL;
    struct process *p = pn->p;
    struct task *u = pn->t;
    struct addr_space *as = u ? u->as : NULL;
    const char *n = pn->name;
    if (n[0] == '/') gen_global(out, n);
    else if (!strcmp(n, "stat")) gen_stat(out, caller, p, u);
    else if (!strcmp(n, "status")) gen_status(out, caller, p, u);
    else if (!strcmp(n, "statm")) {
        unsigned long long pages = (unsigned long long)(vm_size(u) / PAGE_SIZE);
        fprintf(out, "%llu 0 0 0 0 0 0\n", pages);
    } else if (!strcmp(n, "comm")) {
        char comm[16];
        comm_of(p, u, comm);
        fprintf(out, "%s\n", comm);
    } else if (!strcmp(n, "maps")) gen_maps(out, as);
    else if (!strcmp(n, "cmdline")) gen_cmdline(out, as);
    else if (!strcmp(n, "auxv") && as) fwrite(as->saved_auxv, 8, as->saved_auxv_words, out);
    else if (!strcmp(n, "environ") && as && as->env_end > as->env_start && as->env_end - as->env_start <= (4u << 20)) {
        /* As Linux: the bytes where exec put the environment, as they are now. */
        size_t len = as->env_end - as->env_start;
        char *e = malloc(len);
        if (e && guest_read(as, as->env_start, e, len) == 0) fwrite(e, 1, len, out);
        free(e);
    }
    else if (!strcmp(n, "oom_score_adj")) fprintf(out, "%d\n", oom_adj(p));
    else if (!strcmp(n, "limits")) limits_show(out, p);
    else if (!strncmp(n, "sys/", 4) || !strncmp(n, "sysvipc/", 8)) ipc_proc_show(n, out);
    else if (!strcmp(n, "cpuinfo")) cpu_cpuinfo(out, 1);   /* one CPU (GUEST_NCPUS, syscalls/process.c) */
    else if (!strcmp(n, "oom_score")) {
        int adj = oom_adj(p);
        /* Linux's badness with next to no memory in use: (1000 + adj) * 2 / 3. */
        fprintf(out, "%d\n", adj == -1000 ? 0 : (1000 + adj) * 2 / 3);
    }
    fclose(out);
    return buf;
}

/* ---- opening ---- */

static int standin_dir = -1;

/* An O_PATH descriptor of an empty directory that has no name any more: nothing can
 * be looked up through it on the host, and no trace is left behind. */
static int standin(void)
{
    if (standin_dir >= 0) return standin_dir;
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/uniemu-proc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(dir, sizeof dir, "/tmp/uniemu-proc-XXXXXX");
        if (!mkdtemp(dir)) return -EACCES;
    }
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    rmdir(dir);
    if (fd < 0) return -EACCES;
    /* Above the low numbers, which the guest's own stdio duplicates usually take. */
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    if (hi >= 0) { close(fd); fd = hi; }
    return standin_dir = fd;
}

static int reopen(int fd, int flags)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int r = open(link, flags | O_CLOEXEC);
    return r < 0 ? -errno : r;
}

int procfs_follow_path(const struct proc_node *pn, char *out, size_t n)
{
    switch (pn->kind) {
    case PK_FD: {
        int hfd = fd_host(pn->t, pn->fd);
        if (hfd < 0) return -ENOENT;
        snprintf(out, n, "/proc/self/fd/%d%s", hfd, pn->tail);
        return 0;
    }
    case PK_CWD:
        snprintf(out, n, "/proc/self/fd/%d%s", pn->t->fs->cwd_fd, pn->tail);
        return 0;
    case PK_EXE:
        if (*pn->tail) return -ENOTDIR;
        snprintf(out, n, "%s", pn->p->exe);
        return 0;
    case PK_ROOT:
        snprintf(out, n, "%s", *pn->tail ? pn->tail : "/");
        return 0;
    default:
        return -EINVAL;
    }
}

int procfs_open(struct task *t, const struct proc_node *pn, int flags, unsigned mode)
{
    int acc = flags & O_ACCMODE;
    bool opath = flags & O_PATH;
    switch (pn->kind) {
    case PK_SELF_LINK:
        return -ELOOP;                 /* O_NOFOLLOW on the link */
    case PK_FD: case PK_CWD: case PK_EXE: case PK_ROOT: {
        if ((flags & O_NOFOLLOW) && !*pn->tail) return -ELOOP;
        char host[PATH_MAX + 64];
        int rc = procfs_follow_path(pn, host, sizeof host);
        if (rc) return rc;
        int fd;
        if (pn->kind == PK_EXE)   /* the running program: never opened for writing */
            fd = open(host, (flags & ~(O_CREAT | O_TRUNC | O_WRONLY | O_RDWR)) | O_CLOEXEC);
        else
            fd = openat(AT_FDCWD, host, flags | O_CLOEXEC, mode);
        return fd < 0 ? -errno : fd;
    }
    case PK_PID_DIR: case PK_FD_DIR: case PK_TASK_DIR: {
        if (!opath && acc != O_RDONLY) return -EISDIR;
        if (flags & O_CREAT) return -EISDIR;
        int sd = standin();
        if (sd < 0) return sd;
        int fd = reopen(sd, opath ? O_PATH | O_DIRECTORY : O_RDONLY | O_DIRECTORY);
        if (fd < 0) return fd;
        if (!register_file(fd, pn->kind, pn)) { close(fd); return -ENOMEM; }
        return fd;
    }
    case PK_HOST_FILE: {
        if (flags & O_DIRECTORY) return -ENOTDIR;
        if (acc != O_RDONLY) return -EACCES;
        char host[64];
        snprintf(host, sizeof host, "/proc/self/%s", pn->name);
        int fd = open(host, (opath ? O_PATH : O_RDONLY) | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    case PK_FILE: {
        if (flags & O_DIRECTORY) return -ENOTDIR;
        if ((flags & O_CREAT) && (flags & O_EXCL)) return -EEXIST;
        if (!opath && acc != O_RDONLY && strcmp(pn->name, "oom_score_adj") &&
            (strncmp(pn->name, "sys/", 4) || cred_of(t->proc)->fsuid != 0)) return -EACCES;
        size_t len = 0;
        char *data = generate(t, pn, &len);
        if (!data) return -ENOMEM;
        int mfd = memfd_create(pn->name, MFD_CLOEXEC);
        if (mfd < 0) { free(data); return -errno; }
        ssize_t w = len ? write(mfd, data, len) : 0;
        free(data);
        if (w < 0 || (size_t)w != len) { close(mfd); return -EIO; }
        int fd = reopen(mfd, opath ? O_PATH : acc);
        close(mfd);
        if (fd < 0) return fd;
        if (!register_file(fd, PK_FILE, pn)) { close(fd); return -ENOMEM; }
        return fd;
    }
    default:
        return -ENOENT;
    }
}

int procfs_stat_path(struct task *t, const struct proc_node *pn, bool follow, char *out, size_t n)
{
    (void)t;
    const char *self = pn->thread ? "/proc/thread-self" : "/proc/self";
    switch (pn->kind) {
    case PK_SELF_LINK: snprintf(out, n, follow ? "%s/." : "%s", self); return 0;
    case PK_PID_DIR: snprintf(out, n, "%s/.", self); return 0;
    case PK_FD_DIR: snprintf(out, n, "%s/fd", self); return 0;
    case PK_TASK_DIR: snprintf(out, n, "/proc/self/task"); return 0;
    case PK_FILE: case PK_HOST_FILE:
        if (!strncmp(pn->name, "sys/", 4) || !strncmp(pn->name, "sysvipc/", 8) || !strcmp(pn->name, "cpuinfo"))
            snprintf(out, n, "/proc/%s", pn->name);
        else if (!strncmp(pn->name, "/sys/", 5)) snprintf(out, n, "%s", pn->name);
        else if (pn->name[0] == '/') snprintf(out, n, "/proc%s", pn->name);   /* a machine-wide file */
        else snprintf(out, n, "%s/%s", self, pn->name);
        return 0;
    case PK_FD: case PK_CWD: case PK_EXE: case PK_ROOT:
        if (follow || *pn->tail) return procfs_follow_path(pn, out, n);
        if (pn->kind == PK_FD) {
            /* The link itself: the host's link of the same descriptor looks the same. */
            int hfd = fd_host(pn->t, pn->fd);
            if (hfd < 0) return -ENOENT;
            snprintf(out, n, "/proc/self/fd/%d", hfd);
            return 0;
        }
        snprintf(out, n, "/proc/self/%s", pn->kind == PK_CWD ? "cwd" : pn->kind == PK_EXE ? "exe" : "root");
        return 0;
    default:
        return -ENOENT;
    }
}

int procfs_readlink(struct task *t, const struct proc_node *pn, char *out, size_t n)
{
    (void)t;
    char tmp[PATH_MAX];
    const char *s = tmp;
    switch (pn->kind) {
    case PK_SELF_LINK: s = pn->link; break;
    case PK_EXE: s = pn->p->exe; break;
    case PK_ROOT: s = "/"; break;
    case PK_CWD: case PK_FD: {
        struct open_file *f = pn->kind == PK_FD ? fd_get(pn->t, pn->fd) : NULL;
        int hfd = pn->kind == PK_FD ? (f ? f->host_fd : -1) : pn->t->fs->cwd_fd;
        if (hfd < 0) return -ENOENT;
        struct proc_file *pf = f ? procfs_file(hfd) : NULL;
        if (f && f->internal) {
            /* A pipe or eventfd of the guest: its own inode, not the host's. */
            if (f->path && !strcmp(f->path, "pipe")) snprintf(tmp, sizeof tmp, "pipe:[%llu]", (unsigned long long)f->ino);
            else if (f->sock) snprintf(tmp, sizeof tmp, "socket:[%llu]", (unsigned long long)f->ino);
            else snprintf(tmp, sizeof tmp, "%s", f->path ? f->path : "anon_inode:[unknown]");
        } else if (pf) {
            snprintf(tmp, sizeof tmp, "%s", pf->path);
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", hfd);
            ssize_t r = readlink(link, tmp, sizeof tmp - 1);
            if (r < 0) return -errno;
            tmp[r] = 0;
        }
        break;
    }
    default:
        return -EINVAL;
    }
    size_t len = strlen(s);
    if (len > n) len = n;
    memcpy(out, s, len);
    return (int)len;
}

/* ---- directories ---- */

struct listing { char *buf; size_t len, cap; };

static void add_entry(struct listing *l, uint64_t ino, unsigned char type, const char *name)
{
    size_t nl = strlen(name);
    size_t reclen = (19 + nl + 1 + 7) & ~(size_t)7;
    if (l->len + reclen > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        while (cap < l->len + reclen) cap *= 2;
        char *b = realloc(l->buf, cap);
        if (!b) return;
        l->buf = b;
        l->cap = cap;
    }
    char *r = l->buf + l->len;
    memset(r, 0, reclen);
    uint64_t off = l->len + reclen;  /* d_off: where the next entry starts */
    unsigned short rl = (unsigned short)reclen;
    memcpy(r, &ino, 8);
    memcpy(r + 8, &off, 8);
    memcpy(r + 16, &rl, 2);
    r[18] = (char)type;
    memcpy(r + 19, name, nl);
    l->len += reclen;
}

enum { DT_DIR_ = 4, DT_REG_ = 8, DT_LNK_ = 10 };

static void list_pid_dir(struct listing *l, int pid, bool thread)
{
    static const struct { const char *name; unsigned char type; } ents[] = {
        { "task", DT_DIR_ }, { "fd", DT_DIR_ }, { "cmdline", DT_REG_ }, { "comm", DT_REG_ }, { "cwd", DT_LNK_ },
        { "exe", DT_LNK_ }, { "maps", DT_REG_ }, { "mem", DT_REG_ }, { "mountinfo", DT_REG_ },
        { "mounts", DT_REG_ }, { "oom_score", DT_REG_ }, { "oom_score_adj", DT_REG_ }, { "root", DT_LNK_ },
        { "stat", DT_REG_ }, { "statm", DT_REG_ }, { "status", DT_REG_ }, { "limits", DT_REG_ },
    };
    for (size_t i = thread ? 1 : 0; i < sizeof ents / sizeof ents[0]; i++)
        add_entry(l, (uint64_t)pid * 64 + i + 2, ents[i].type, ents[i].name);
}

static void build_listing(struct task *t, struct proc_file *pf, int host_fd, struct listing *l)
{
    add_entry(l, 1, DT_DIR_, ".");
    add_entry(l, 1, DT_DIR_, "..");
    char name[32];
    if (pf->kind == PK_PASS) {
        /* /proc: the host's entries without its pids, then the guest's pids. */
        int fd = openat(host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char buf[8192];
        long n;
        while (fd >= 0 && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
            for (long at = 0; at < n;) {
                uint64_t ino;
                unsigned short rl;
                memcpy(&ino, buf + at, 8);
                memcpy(&rl, buf + at + 16, 2);
                const char *nm = buf + at + 19;
                long v;
                if (strcmp(nm, ".") && strcmp(nm, "..") && !numeric(nm, strlen(nm), &v))
                    add_entry(l, ino, (unsigned char)buf[at + 18], nm);
                at += rl;
            }
        }
        if (fd >= 0) close(fd);
        for (int i = 0; i < ntasks; i++) {
            struct process *p = all_tasks[i]->proc;
            if (all_tasks[i]->tid != p->pid || p->reaped) continue;
            snprintf(name, sizeof name, "%d", p->pid);
            add_entry(l, (uint64_t)p->pid * 64, DT_DIR_, name);
        }
        return;
    }
    struct process *p = process_by_pid(pf->pid);
    if (!p) {
        struct task *u = task_by_tid(pf->pid);
        if (!u) return;                 /* gone: nothing left to list */
        p = u->proc;
    }
    struct task *u = task_by_tid(pf->tid);
    if (!u || u->proc != p) u = live_thread(p);
    switch (pf->kind) {
    case PK_PID_DIR: list_pid_dir(l, p->pid, pf->thread); break;
    case PK_TASK_DIR:
        for (int i = 0; i < ntasks; i++) {
            struct task *v = all_tasks[i];
            if (v->proc != p || v->state == TASK_DEAD) continue;
            snprintf(name, sizeof name, "%d", v->tid);
            add_entry(l, (uint64_t)v->tid * 64, DT_DIR_, name);
        }
        break;
    case PK_FD_DIR:
        for (int i = 0; u && i < MAX_FDS; i++) {
            if (!u->files->fd[i].f) continue;
            snprintf(name, sizeof name, "%d", i);
            add_entry(l, (uint64_t)p->pid * 64 + 1000 + i, DT_LNK_, name);
        }
        break;
    default: break;
    }
    (void)t;
}

int64_t procfs_getdents(struct task *t, struct proc_file *pf, int host_fd, uint64_t buf, size_t count)
{
    if (pf->kind == PK_FILE) return -ENOTDIR;
    if (pf->pos == 0 || !pf->list) {   /* each pass from the start sees the state now */
        struct listing l = { NULL, 0, 0 };
        build_listing(t, pf, host_fd, &l);
        free(pf->list);
        pf->list = l.buf;
        pf->len = l.len;
    }
    size_t at = pf->pos, out = 0;
    while (at < pf->len) {
        unsigned short rl;
        memcpy(&rl, pf->list + at + 16, 2);
        if (out + rl > count) break;
        at += rl;
        out += rl;
    }
    if (out == 0 && at < pf->len) return -EINVAL;   /* the buffer holds not even one */
    if (out && guest_write(t->as, buf, pf->list + pf->pos, out)) return -EFAULT;
    pf->pos = at;
    return (int64_t)out;
}

int64_t procfs_lseek(struct proc_file *pf, int64_t off, int whence)
{
    if (whence == SEEK_SET && off >= 0) { pf->pos = (size_t)off; return off; }
    if (whence == SEEK_CUR && off == 0) return (int64_t)pf->pos;
    return -EINVAL;
}

/* ---- writing ---- */

void procfs_before_read(struct task *caller, int host_fd, int64_t off)
{
    if (!nfiles) return;
    struct proc_file *pf = procfs_file(host_fd);
    if (!pf || pf->kind != PK_FILE || !strcmp(pf->name, "oom_score_adj")) return;
    if ((off >= 0 ? off : lseek(host_fd, 0, SEEK_CUR)) != 0) return;
    struct process *p = process_by_pid(pf->pid);
    if (!p) return;                      /* gone: what the open made stays */
    struct proc_node pn = { .kind = PK_FILE, .p = p, .thread = pf->thread };
    pn.t = pf->thread ? thread_of(p, pf->tid) : live_thread(p);
    if (pf->thread && !pn.t) return;
    snprintf(pn.name, sizeof pn.name, "%s", pf->name);
    size_t len = 0;
    char *data = generate(caller, &pn, &len);
    if (!data) return;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", host_fd);
    int w = open(link, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (w >= 0) {
        if (len && write(w, data, len) < 0) { /* keep what the open made */ }
        close(w);
    }
    free(data);
}

int64_t procfs_write(struct task *t, struct proc_file *pf, int host_fd, const char *data, size_t len)
{
    (void)t;
    (void)host_fd;
    if (pf->kind == PK_FILE && !strncmp(pf->name, "sys/", 4)) return ipc_sysctl_write(pf->name, data, len);
    if (pf->kind != PK_FILE || strcmp(pf->name, "oom_score_adj")) return pf->kind == PK_FILE ? -EBADF : -EISDIR;
    /* As Linux: at most 12 bytes looked at, blanks around, a C integer (base 0). */
    char buf[13];
    size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, data, n);
    buf[n] = 0;
    char *s = buf, *e = buf + n;
    while (*s && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    if (!*s) return -EINVAL;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 0);
    if (errno || *end || v < -1000 || v > 1000) return -EINVAL;
    struct process *p = process_by_pid(pf->pid);
    if (!p) return -ESRCH;
    oom_sync();                         /* children keep the value they inherited */
    struct oom_entry *ent = oom_find(p);
    if (!ent) return -ENOMEM;
    bool cap = cap_sys_resource(t->proc);   /* the writer's */
    if (v < ent->min && !cap) return -EACCES;
    ent->adj = (int)v;
    if (cap) ent->min = (int)v;
    return (int64_t)len;
}

void procfs_fstat_fix(struct proc_file *pf, struct stat *st)
{
    if (pf->kind == PK_PASS) return;
    const char *self = pf->thread ? "/proc/thread-self" : "/proc/self";
    char path[96];
    switch (pf->kind) {
    case PK_PID_DIR: snprintf(path, sizeof path, "%s/.", self); break;
    case PK_FD_DIR: snprintf(path, sizeof path, "%s/fd", self); break;
    case PK_TASK_DIR: snprintf(path, sizeof path, "/proc/self/task"); break;
    default:
        if (!strncmp(pf->name, "sys/", 4) || !strncmp(pf->name, "sysvipc/", 8)) snprintf(path, sizeof path, "/proc/%s", pf->name);
        else snprintf(path, sizeof path, "%s/%s", self, pf->name);
        break;
    }
    struct stat s;
    if (stat(path, &s) == 0) *st = s;
}
