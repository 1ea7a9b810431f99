/* Threads and processes: clone, clone3, fork, vfork, execve, wait4, waitid.
 * clone flags choose which of the task's parts the child shares (scheduler/task.h);
 * without CLONE_VM the child gets its own engine with a copy of every mapping. */
#include "syscalls/syscall.h"
#include "syscalls/cred.h"
#include "syscalls/limits.h"
#include "syscalls/prctl.h"
#include "core/det.h"
#include "syscalls/fdtable.h"
#include "scheduler/sched.h"
#include "scheduler/run.h"
#include "scheduler/task.h"
#include "tools/record.h"
#include "tools/explain.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/guest_mem.h"
#include "loader/elf_loader.h"
#include "loader/exec.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_ARGS_SIZE_VER2 88     /* what this kernel knows: up to `cgroup` */
#define MAX_PID_NS_LEVEL 32
#define NSIG_GUEST 64
#define NAMESPACE_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
                         CLONE_NEWNET | CLONE_NEWCGROUP)

struct clone_req {
    uint64_t flags, stack, stack_size, tls, parent_tid, child_tid;
    int exit_signal;
    bool clone3;
};

static struct fs_info *fs_copy(const struct fs_info *fs)
{
    struct fs_info *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->refs = 1;
    n->umask = fs->umask;
    n->cwd_fd = fcntl(fs->cwd_fd, F_DUPFD_CLOEXEC, 3);
    if (n->cwd_fd < 0) { free(n); return NULL; }
    return n;
}

static struct sighand *sighand_copy(const struct sighand *sh)
{
    struct sighand *n = malloc(sizeof *n);
    if (!n) return NULL;
    *n = *sh;
    n->refs = 1;
    return n;
}

/* The checks copy_process makes, in the kernel's order. */
static int check_flags(uint64_t flags)
{
    if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS)) return -EINVAL;
    if ((flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS)) return -EINVAL;
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND)) return -EINVAL;
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM)) return -EINVAL;
    /* uniemu offers no namespaces and no pidfds. */
    if (flags & NAMESPACE_FLAGS) return -EPERM;
    if (flags & (CLONE_PIDFD | CLONE_INTO_CGROUP)) return -EINVAL;
    return 0;
}

/* Tasks and unreaped processes at most: a fork bomb (or a parent that never reaps) meets
 * EAGAIN, as at RLIMIT_NPROC, before it exhausts the host: each process without CLONE_VM
 * is a whole engine. */
#define MAX_LIVE_TASKS 4096
#define MAX_PROCESSES 1024

static int64_t do_clone(struct task *t, const struct clone_req *r)
{
    int rc = check_flags(r->flags);
    if (rc) return rc;
    if (sched_live_tasks() >= MAX_LIVE_TASKS) return -EAGAIN;
    if (!(r->flags & CLONE_THREAD) && processes_unreaped() >= MAX_PROCESSES) return -EAGAIN;
    if ((rc = limits_may_fork(t))) return rc;   /* RLIMIT_NPROC */
    uint64_t flags = r->flags;
    bool thread = flags & CLONE_THREAD;
    int tid = task_next_pid();
    struct task *c = task_new(tid);
    if (!c) return -ENOMEM;
    c->state = TASK_DEAD;   /* until complete: a failure leaves a dead record behind */
    struct process *p = t->proc;
    if (!thread) {
        struct process *np = process_new(tid);
        if (!np) return -ENOMEM;
        np->pgid = p->pgid;
        np->sid = p->sid;
        np->exe = strdup(p->exe);
        cred_copy(np, p);   /* a child has its parent's credentials */
        limits_copy(np, p);   /* and its resource limits */
        process_inherit(np, p);
        if (flags & CLONE_PARENT) { np->parent = p->parent; np->ppid = p->ppid; np->exit_signal = p->exit_signal; }
        else { np->parent = p; np->ppid = p->pid; np->exit_signal = r->exit_signal; }
        p = np;
    }
    c->proc = p;
    if (flags & CLONE_VM) { c->as = t->as; c->as->refs++; }
    else if (!(c->as = as_clone(t->as))) goto nomem;
    if (flags & CLONE_FILES) { c->files = t->files; c->files->refs++; }
    else if (!(c->files = fdtable_dup(t->files))) goto nomem;
    if (flags & CLONE_FS) { c->fs = t->fs; c->fs->refs++; }
    else if (!(c->fs = fs_copy(t->fs))) goto nomem;
    if (flags & CLONE_SIGHAND) { c->sighand = t->sighand; c->sighand->refs++; }
    else if (!(c->sighand = sighand_copy(t->sighand))) goto nomem;
    if (flags & CLONE_CLEAR_SIGHAND)
        for (int i = 0; i < NSIG_GUEST; i++)
            if (c->sighand->act[i].handler != (uint64_t)SIG_IGN) memset(&c->sighand->act[i], 0, sizeof c->sighand->act[i]);
    if (!(c->ctx = cpu_ctx_new(c->as))) goto nomem;

    /* The child's registers: the parent's at the syscall, returning 0. */
    cpu_ctx_save(t->as, c->ctx);
    uint64_t rip = cpu_get(t->as, R_RIP);
    cpu_ctx_set(c->ctx, R_RAX, 0);
    cpu_ctx_set(c->ctx, R_RCX, rip);
    cpu_ctx_set(c->ctx, R_R11, cpu_get(t->as, R_RFLAGS));
    if (r->stack != 0) {
        cpu_ctx_set(c->ctx, R_RSP, r->clone3 ? r->stack + r->stack_size : r->stack);
        explain_clone_stack(t, c, r->stack, r->stack_size, r->clone3);
    }
    if (flags & CLONE_SETTLS) cpu_ctx_set(c->ctx, R_FS_BASE, r->tls);
    c->sigmask = t->sigmask;
    task_inherit(c, t);
    if (!(flags & CLONE_VM)) {   /* a fork keeps its rseq registration; a thread has none */
        c->rseq_addr = t->rseq_addr; c->rseq_len = t->rseq_len; c->rseq_sig = t->rseq_sig;
        c->rseq_event = c->rseq_addr != 0;
    }

    uint32_t tid32 = (uint32_t)tid;
    if ((flags & CLONE_PARENT_SETTID) && guest_write(t->as, r->parent_tid, &tid32, 4)) { rc = -EFAULT; goto fail; }
    if (flags & CLONE_CHILD_SETTID) guest_write(c->as, r->child_tid, &tid32, 4);
    if (flags & CLONE_CHILD_CLEARTID) c->clear_child_tid = r->child_tid;

    p->nthreads++;
    c->state = TASK_RUNNABLE;
    sched_add(c);
    if (flags & CLONE_VFORK) {
        /* The parent sleeps until the child execs or exits; then the call returns tid. */
        p->vfork_parent = t;
        sched_block(t, WAIT_VFORK, 0, false, tid);
        return RET_BLOCK;
    }
    return tid;
nomem:
    rc = -ENOMEM;
fail:
    if (c->as) { as_put(c->as); c->as = NULL; }
    fdtable_put(c->files); c->files = NULL;
    fs_put(c->fs); c->fs = NULL;
    sighand_put(c->sighand); c->sighand = NULL;
    cpu_ctx_free(c->ctx); c->ctx = NULL;
    if (!thread) process_reap(p);
    return rc;
}

/* clone(flags, stack, parent_tid, child_tid, tls): the x86-64 argument order. */
static int64_t sys_clone(struct syscall *sc)
{
    struct clone_req r = { .flags = sc->a[0] & ~0xffULL, .exit_signal = (int)(sc->a[0] & 0xff), .stack = sc->a[1],
                           .parent_tid = sc->a[2], .child_tid = sc->a[3], .tls = sc->a[4] };
    r.flags &= 0xffffffffULL;
    if ((r.flags & (CLONE_THREAD | CLONE_PARENT)) && r.exit_signal) r.exit_signal = 0;  /* ignored, as Linux */
    if (r.exit_signal > NSIG_GUEST) return -EINVAL;
    return do_clone(sc->t, &r);
}

static int64_t sys_fork(struct syscall *sc)
{
    struct clone_req r = { .exit_signal = SIGCHLD };
    return do_clone(sc->t, &r);
}

static int64_t sys_vfork(struct syscall *sc)
{
    struct clone_req r = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };
    return do_clone(sc->t, &r);
}

/* clone3's argument checks, in the order of the kernel's copy_clone_args_from_user
 * and clone3_args_valid. */
static int64_t sys_clone3(struct syscall *sc)
{
    struct task *t = sc->t;
    uint64_t size = sc->a[1];
    uint64_t a[11] = { 0 };   /* flags pidfd child_tid parent_tid exit_signal stack stack_size tls set_tid set_tid_size cgroup */
    if (size > PAGE_SIZE) return -E2BIG;
    if (size < CLONE_ARGS_SIZE_VER0) return -EINVAL;
    if (guest_read(t->as, sc->a[0], a, size < sizeof a ? size : sizeof a)) return -EFAULT;
    if (size > CLONE_ARGS_SIZE_VER2) {
        /* A bigger struct from a newer libc is fine if what this kernel doesn't know is 0. */
        uint8_t tail[PAGE_SIZE];
        if (guest_read(t->as, sc->a[0] + CLONE_ARGS_SIZE_VER2, tail, size - CLONE_ARGS_SIZE_VER2)) return -EFAULT;
        for (uint64_t i = 0; i < size - CLONE_ARGS_SIZE_VER2; i++)
            if (tail[i]) return -E2BIG;
    }
    uint64_t flags = a[0], exit_signal = a[4], stack = a[5], stack_size = a[6], set_tid = a[8], set_tid_size = a[9];
    if (set_tid_size > MAX_PID_NS_LEVEL) return -EINVAL;
    if (!set_tid && set_tid_size) return -EINVAL;
    if (set_tid && !set_tid_size) return -EINVAL;
    if ((exit_signal & ~(uint64_t)CSIGNAL) || exit_signal > NSIG_GUEST) return -EINVAL;
    if ((flags & CLONE_INTO_CGROUP) && (a[10] > INT_MAX || size < CLONE_ARGS_SIZE_VER2)) return -EINVAL;
    if (flags & ~(0xffffffffULL | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)) return -EINVAL;
    if (flags & (CLONE_DETACHED | CSIGNAL)) return -EINVAL;
    if ((flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) == (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) return -EINVAL;
    if ((flags & (CLONE_THREAD | CLONE_PARENT)) && exit_signal) return -EINVAL;
    if (!stack && stack_size) return -EINVAL;
    if (stack && (!stack_size || stack + stack_size < stack || stack + stack_size > TASK_SIZE_64)) return -EINVAL;
    /* Choosing pids needs privileges in the pid namespace: uniemu hands them out itself. */
    if (set_tid) return -EPERM;
    struct clone_req r = { .flags = flags, .exit_signal = (int)exit_signal, .stack = stack, .stack_size = stack_size,
                           .tls = a[7], .parent_tid = a[3], .child_tid = a[2], .clone3 = true };
    return do_clone(t, &r);
}

/* ---- unshare ---- */

/* The tables a task may take private copies of (CLONE_FILES, CLONE_FS; CLONE_SYSVSEM,
 * whose undo list is per process here already). Namespaces are refused as Linux
 * refuses them a process without CAP_SYS_ADMIN in its user namespace (EPERM), as
 * clone does: uniemu offers none, and programs fall back. CLONE_THREAD, CLONE_SIGHAND
 * and CLONE_VM are only possible for a single-threaded process (nothing to unshare). */
#define CLONE_NEWTIME_ 0x80
static int64_t sys_unshare(struct syscall *sc)
{
    struct task *t = sc->t;
    uint64_t flags = sc->a[0];
    uint64_t known = CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES |
                     CLONE_SYSVSEM | NAMESPACE_FLAGS | CLONE_NEWTIME_;
    if (flags & ~known) return -EINVAL;
    if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) {
        if (t->proc->nthreads > 1) return -EINVAL;
        if ((flags & CLONE_VM) && t->as->refs > 1) return -EINVAL;
    }
    if ((flags & CLONE_NEWNS) && !(flags & CLONE_FS)) flags |= CLONE_FS;
    if (flags & (NAMESPACE_FLAGS | CLONE_NEWTIME_)) return -EPERM;
    if ((flags & CLONE_FILES) && t->files->refs > 1) {
        struct fd_table *n = fdtable_dup(t->files);
        if (!n) return -ENOMEM;
        fdtable_put(t->files);
        t->files = n;
    }
    if ((flags & CLONE_FS) && t->fs->refs > 1) {
        struct fs_info *n = fs_copy(t->fs);
        if (!n) return -ENOMEM;
        fs_put(t->fs);
        t->fs = n;
    }
    return 0;
}

static void fmt_unshare_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name f[] = {
        { CLONE_VM, "CLONE_VM" }, { CLONE_FS, "CLONE_FS" }, { CLONE_FILES, "CLONE_FILES" },
        { CLONE_SIGHAND, "CLONE_SIGHAND" }, { CLONE_THREAD, "CLONE_THREAD" }, { CLONE_NEWNS, "CLONE_NEWNS" },
        { CLONE_SYSVSEM, "CLONE_SYSVSEM" }, { CLONE_NEWCGROUP, "CLONE_NEWCGROUP" }, { CLONE_NEWUTS, "CLONE_NEWUTS" },
        { CLONE_NEWIPC, "CLONE_NEWIPC" }, { CLONE_NEWUSER, "CLONE_NEWUSER" }, { CLONE_NEWPID, "CLONE_NEWPID" },
        { CLONE_NEWNET, "CLONE_NEWNET" }, { CLONE_NEWTIME_, "CLONE_NEWTIME" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], f, "0");
}

/* ---- execve ---- */

#define MAX_ARG_STRINGS 4096
#define MAX_ARG_BYTES (2 << 20)


/* Copies a NULL-terminated array of guest strings in. */
static int strv_in(struct task *t, uint64_t addr, char ***out)
{
    char **v = calloc(MAX_ARG_STRINGS + 1, sizeof *v);
    if (!v) return -ENOMEM;
    size_t total = 0;
    for (int i = 0; addr; i++) {
        uint64_t p;
        if (i == MAX_ARG_STRINGS) { strv_free(v); return -E2BIG; }
        if (guest_read(t->as, addr + 8 * (uint64_t)i, &p, 8)) { strv_free(v); return -EFAULT; }
        if (!p) break;
        char buf[PATH_MAX * 4];
        long n = guest_read_str(t->as, p, buf, sizeof buf);
        if (n < 0) { strv_free(v); return n == -EFAULT ? -EFAULT : -E2BIG; }
        total += (size_t)n + 1;
        if (total > MAX_ARG_BYTES) { strv_free(v); return -E2BIG; }
        if (!(v[i] = strdup(buf))) { strv_free(v); return -ENOMEM; }
    }
    *out = v;
    return 0;
}

/* The host path of the program a guest execve names, with the kernel's errors. */
static int exec_path(struct task *t, const char *guest, char abs[PATH_MAX])
{
    if (!guest[0]) return -ENOENT;
    if (path_is_proc_exe(t, guest)) { snprintf(abs, PATH_MAX, "%s", t->proc->exe); return 0; }
    char host[PATH_MAX];
    const char *path = guest;
    int rc = proc_host_path(t, guest, host, sizeof host);
    if (rc < 0) return rc;
    if (rc == 0) path = host;
    /* O_PATH: the path's directories must be searchable, the file need not be readable. */
    int fd = openat(t->fs->cwd_fd, path, O_PATH | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { close(fd); return -EACCES; }
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, abs, PATH_MAX - 1);
    /* Checked on the file found, not by its absolute path (whose directories the guest
     * may not be allowed to search: it found it relative to its working directory). */
    int x = (int)syscall(SYS_faccessat2, fd, "", X_OK, AT_EACCESS | AT_EMPTY_PATH) < 0 ? -errno : 0;
    close(fd);
    if (n < 0) return -errno;
    abs[n] = 0;
    return x;
}

/* The old program is gone: the task's other threads end, shared tables are unshared,
 * close-on-exec descriptors close and caught signals go back to their defaults. */
static void exec_commit(struct task *t, struct addr_space *as, uint64_t sp, uint64_t entry, const char *abs)
{
    struct process *p = t->proc;
    for (int i = 0; i < ntasks; i++)
        if (all_tasks[i] != t && all_tasks[i]->proc == p && all_tasks[i]->state != TASK_DEAD)
            task_exit(all_tasks[i], 0, false);
    if (t->files->refs > 1) {
        struct fd_table *n = fdtable_dup(t->files);
        if (n) { fdtable_put(t->files); t->files = n; }
    }
    for (int fd = 0; fd < MAX_FDS; fd++)
        if (t->files->fd[fd].f && t->files->fd[fd].cloexec) fd_close(t, fd);
    if (t->sighand->refs > 1) {
        struct sighand *n = sighand_copy(t->sighand);
        if (n) { sighand_put(t->sighand); t->sighand = n; }
    }
    for (int i = 0; i < NSIG_GUEST; i++)
        if (t->sighand->act[i].handler != (uint64_t)SIG_IGN) memset(&t->sighand->act[i], 0, sizeof t->sighand->act[i]);
    if (p->vfork_parent) { sched_wake(p->vfork_parent, p->pid); p->vfork_parent = NULL; }
    futex_task_release(t);   /* the old program's robust mutexes and PI futexes */

    struct addr_space *old = t->as;
    if (old->loaded == t) old->loaded = NULL;
    if (old->refs == 1) { mm_writeback(old, 0, TASK_SIZE_64); explain_forget(old); }
    as_put(old);
    t->as = as;
    limits_attach(t);
    cpu_ctx_free(t->ctx);
    t->ctx = cpu_ctx_new(as);
    as->loaded = t;
    cpu_start_user(as, sp, entry);
    t->exec_done = true;
    t->clear_child_tid = 0;
    cred_exec(p, abs);
    t->rseq_addr = 0;
    free(p->exe);
    p->exe = strdup(abs);
}

/* The loader's way to the files an exec chain names (a script's interpreter, an ELF
 * interpreter): the guest's view of the file system, each resolution recorded. */
static int exec_resolve(void *ctx, const char *name, char abs[], char load[])
{
    struct task *t = ctx;
    if (rec_mode == REC_REPLAY) {
        const char *l = NULL;
        int rc = (int)rec_exec_replay(abs, &l);
        if (!rc) snprintf(load, PATH_MAX, "%s", l);
        return rc;
    }
    int rc = exec_path(t, name, abs);
    rec_exec_result(rc, abs);
    if (!rc) snprintf(load, PATH_MAX, "%s", abs);
    return rc;
}

int exec_resolve_initial(struct task *t, const char *name, char abs[], char load[])
{
    return exec_resolve(t, name, abs, load);
}

/* execveat's (dirfd, path, flags) as execve's terms: the path to resolve (the guest's
 * own for AT_FDCWD or an absolute path, else the host path of dirfd joined with it) and
 * the name the new program sees (AT_EXECFN, a script interpreter's argument): Linux
 * names a program reached through a descriptor "/dev/fd/N[/path]". */
static int execveat_paths(struct task *t, int dirfd, const char *path, int flags,
                          char resolve[PATH_MAX], char shown[PATH_MAX])
{
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -EINVAL;
    if (!path[0] && !(flags & AT_EMPTY_PATH)) return -ENOENT;
    int hdir = AT_FDCWD;
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        hdir = fd_host(t, dirfd);
        if (hdir < 0) return hdir;
    }
    if (flags & AT_SYMLINK_NOFOLLOW) {
        struct stat st;
        int base = hdir == AT_FDCWD ? t->fs->cwd_fd : hdir;
        if (fstatat(base, path, &st, AT_SYMLINK_NOFOLLOW | (path[0] ? 0 : AT_EMPTY_PATH)) == 0 && S_ISLNK(st.st_mode))
            return -ELOOP;
    }
    if (hdir == AT_FDCWD) {
        snprintf(resolve, PATH_MAX, "%s", path);
        snprintf(shown, PATH_MAX, "%s", path);
        return 0;
    }
    char link[64], dir[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", hdir);
    ssize_t n = readlink(link, dir, sizeof dir - 1);
    if (n < 0) return -errno;
    dir[n] = 0;
    if (path[0]) {
        struct stat st;
        if (fstat(hdir, &st) == 0 && !S_ISDIR(st.st_mode)) return -ENOTDIR;
        if (snprintf(resolve, PATH_MAX, "%s/%s", dir, path) >= PATH_MAX) return -ENAMETOOLONG;
        if (snprintf(shown, PATH_MAX, "/dev/fd/%d/%s", dirfd, path) >= PATH_MAX) return -ENAMETOOLONG;
    } else {
        snprintf(resolve, PATH_MAX, "%s", dir);
        snprintf(shown, PATH_MAX, "/dev/fd/%d", dirfd);
    }
    return 0;
}

static int64_t do_execveat(struct task *t, int dirfd, uint64_t path_addr, uint64_t argv_addr, uint64_t envp_addr,
                           int flags)
{
    char given[PATH_MAX], name[PATH_MAX], guest[PATH_MAX], abs[PATH_MAX], load[PATH_MAX];
    int rc = path_in(t, path_addr, given);
    if (rc) return rc;
    if ((rc = execveat_paths(t, dirfd, given, flags, name, guest))) return rc;
    char **argv = NULL, **envp = NULL;
    if ((rc = strv_in(t, argv_addr, &argv)) || (rc = strv_in(t, envp_addr, &envp))) { strv_free(argv); return rc; }
    struct exec_files files = { exec_resolve, t };
    if ((rc = exec_resolve(t, name, abs, load))) goto out;
    struct addr_space *as = as_create();
    if (!as) { rc = -ENOMEM; goto out; }
    /* exec_path checked the guest's right to execute it; the kernel then reads the file
     * whatever its read permission (a mode 0711 program runs): so does the loader. (An
     * interpreter it finds is then checked with uniemu's own credentials.) */
    cred_host_restore();
    struct exec_result res;
    char err[PATH_MAX + 256];
    if ((rc = exec_load(as, guest, load, abs, argv, &files, &res, err, sizeof err))) {
        /* Linux says nothing; an ELF file uniemu cannot run (one Linux might) is worth
         * a line on uniemu's stderr. */
        if (res.elf && rc == -ENOEXEC) fprintf(stderr, "uniemu: pid %d: execve: %s\n", t->proc->pid, err);
        as_put(as);
        goto out;
    }
    uint64_t sp = elf_build_stack(as, &res.lp, res.argv, envp, guest);
    strv_free(res.argv);
    if (!sp) { as_put(as); rc = -E2BIG; goto out; }
    exec_commit(t, as, sp, res.lp.start, res.exe);
    /* Reached through a descriptor ("/dev/fd/N..."), the name is the file's own, as
     * Linux 6.14 on gives it (bprm->fdpath). */
    task_set_comm(t, strcmp(name, guest) ? res.exe : guest);
    t->proc->dumpable = 1;
    rc = 0;
out:
    strv_free(argv);
    strv_free(envp);
    return rc;
}

static int64_t sys_execve(struct syscall *sc) { return do_execveat(sc->t, AT_FDCWD, sc->a[0], sc->a[1], sc->a[2], 0); }
static int64_t sys_execveat(struct syscall *sc)
{
    return do_execveat(sc->t, (int)sc->a[0], sc->a[1], sc->a[2], sc->a[3], (int)sc->a[4]);
}

/* ---- wait4 and waitid ---- */

enum { WHO_ANY, WHO_PID, WHO_PGID };

/* What a wait reports of a child's resources: its CPU time (virtual: instructions at
 * one per nanosecond), its own and its waited-for children's, as user time. */
static void child_rusage(const struct process *c, struct rusage *ru)
{
    memset(ru, 0, sizeof *ru);
    uint64_t us = (c->cpu_insns + c->children_insns) * DET_NS_PER_INSN / 1000;
    ru->ru_utime.tv_sec = (time_t)(us / 1000000);
    ru->ru_utime.tv_usec = (suseconds_t)(us % 1000000);
}

/* A zombie waited for: its times join its parent's children's (RUSAGE_CHILDREN, times'
 * tms_cutime), then it is gone. */
static void reap_waited(struct process *waiter, struct process *c)
{
    waiter->children_insns += c->cpu_insns + c->children_insns;
    process_reap(c);
}

/* The child that a wait would report: a zombie if there is one. *any says whether the
 * caller has children that match at all (else ECHILD). */
static struct process *find_zombie(struct task *t, int who, int id, int options, bool *any)
{
    *any = false;
    for (int i = 0; i < ntasks; i++) {
        struct task *ct = all_tasks[i];
        struct process *c = ct->proc;
        if (!c || ct->tid != c->pid || c->parent != t->proc || c->reaped) continue;
        if (who == WHO_PID && c->pid != id) continue;
        if (who == WHO_PGID && c->pgid != id) continue;
        /* A "clone" child (exit signal other than SIGCHLD) needs __WCLONE; __WALL takes all. */
        bool clone_child = c->exit_signal != SIGCHLD;
        if (!(options & __WALL) && clone_child != !!(options & __WCLONE)) continue;
        *any = true;
        if (c->zombie) return c;
        /* A stop or a continuation is reported once, to WUNTRACED or WCONTINUED. */
        if ((options & WUNTRACED) && (c->stop_report & 0xff) == 0x7f) return c;
        if ((options & WCONTINUED) && c->stop_report == 0xffff) return c;
    }
    return NULL;
}

static int64_t sys_wait4(struct syscall *sc)
{
    struct task *t = sc->t;
    int pid = (int)sc->a[0], options = (int)sc->a[2];
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) return -EINVAL;
    if (pid == INT_MIN) return -ESRCH;
    int who = pid == -1 ? WHO_ANY : pid > 0 ? WHO_PID : WHO_PGID;
    int id = pid > 0 ? pid : pid == 0 ? t->proc->pgid : -pid;
    bool any;
    struct process *c = find_zombie(t, who, id, options, &any);
    if (!any) return -ECHILD;
    if (!c) {
        if (options & WNOHANG) return 0;
        sched_block(t, WAIT_CHILD, 0, true, 0);
        return RET_BLOCK;
    }
    int status = c->zombie ? c->wait_status : c->stop_report;
    if (sc->a[1] && guest_write(t->as, sc->a[1], &status, 4)) return -EFAULT;
    if (sc->a[3]) {
        struct rusage ru;
        child_rusage(c, &ru);
        if (guest_write(t->as, sc->a[3], &ru, sizeof ru)) return -EFAULT;
    }
    if (c->zombie) reap_waited(t->proc, c);
    else c->stop_report = 0;
    return c->pid;
}

static void fill_child_info(siginfo_t *si, const struct process *c)
{
    memset(si, 0, sizeof *si);
    si->si_signo = SIGCHLD;
    si->si_pid = c->pid;
    si->si_uid = cred_of((struct process *)c)->uid;   /* the child's real uid */
    int ws = c->wait_status;
    if (!c->zombie && c->stop_report == 0xffff) { si->si_code = CLD_CONTINUED; si->si_status = SIGCONT; return; }
    if (!c->zombie) { si->si_code = CLD_STOPPED; si->si_status = (c->stop_report >> 8) & 0xff; return; }
    if (WIFSIGNALED(ws)) { si->si_code = WCOREDUMP(ws) ? CLD_DUMPED : CLD_KILLED; si->si_status = WTERMSIG(ws); }
    else { si->si_code = CLD_EXITED; si->si_status = WEXITSTATUS(ws); }
}

static int64_t sys_waitid(struct syscall *sc)
{
    struct task *t = sc->t;
    int idtype = (int)sc->a[0], id = (int)sc->a[1], options = (int)sc->a[3];
    if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) return -EINVAL;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) return -EINVAL;
    int who;
    switch (idtype) {
    case P_ALL: who = WHO_ANY; break;
    case P_PID: if (id <= 0) return -EINVAL; who = WHO_PID; break;
    case P_PGID: if (id < 0) return -EINVAL; who = WHO_PGID; if (!id) id = t->proc->pgid; break;
    case 3:   /* P_PIDFD: uniemu makes no pidfds, and Linux says EBADF for a descriptor
               * that is not one */
        return -EBADF;
    default: return -EINVAL;
    }
    bool any;
    /* waitid's WSTOPPED is wait4's WUNTRACED. */
    int wopts = options | ((options & WSTOPPED) ? WUNTRACED : 0);
    struct process *c = find_zombie(t, who, id, wopts, &any);
    if (c && c->zombie && !(options & WEXITED)) c = NULL;
    if (!any) return -ECHILD;
    if (!c) {
        if (options & WNOHANG) {
            /* No child ready: Linux clears the fields a caller checks. */
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (sc->a[2] && guest_write(t->as, sc->a[2], &si, sizeof si)) return -EFAULT;
            return 0;
        }
        sched_block(t, WAIT_CHILD, 0, true, 0);
        return RET_BLOCK;
    }
    siginfo_t si;
    fill_child_info(&si, c);
    if (sc->a[2] && guest_write(t->as, sc->a[2], &si, sizeof si)) return -EFAULT;
    if (sc->a[4]) {
        struct rusage ru;
        child_rusage(c, &ru);
        if (guest_write(t->as, sc->a[4], &ru, sizeof ru)) return -EFAULT;
    }
    if (!(options & WNOWAIT)) {
        if (c->zombie) reap_waited(t->proc, c);
        else c->stop_report = 0;
    }
    return 0;
}

/* ---- how arguments print (as strace) ---- */

static const struct flag_name clone_flag_names[] = {
    { CLONE_VM, "CLONE_VM" }, { CLONE_FS, "CLONE_FS" }, { CLONE_FILES, "CLONE_FILES" },
    { CLONE_SIGHAND, "CLONE_SIGHAND" }, { CLONE_PIDFD, "CLONE_PIDFD" }, { CLONE_PTRACE, "CLONE_PTRACE" },
    { CLONE_VFORK, "CLONE_VFORK" }, { CLONE_PARENT, "CLONE_PARENT" }, { CLONE_THREAD, "CLONE_THREAD" },
    { CLONE_NEWNS, "CLONE_NEWNS" }, { CLONE_SYSVSEM, "CLONE_SYSVSEM" }, { CLONE_SETTLS, "CLONE_SETTLS" },
    { CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID" }, { CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID" },
    { CLONE_DETACHED, "CLONE_DETACHED" }, { CLONE_UNTRACED, "CLONE_UNTRACED" },
    { CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID" }, { CLONE_NEWCGROUP, "CLONE_NEWCGROUP" },
    { CLONE_NEWUTS, "CLONE_NEWUTS" }, { CLONE_NEWIPC, "CLONE_NEWIPC" }, { CLONE_NEWUSER, "CLONE_NEWUSER" },
    { CLONE_NEWPID, "CLONE_NEWPID" }, { CLONE_NEWNET, "CLONE_NEWNET" }, { CLONE_IO, "CLONE_IO" },
    { CLONE_CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND" }, { CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP" }, { 0, NULL },
};

/* struct clone_args as strace shows it: the fields that are set. */
static void fmt_clone_args(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t a[11] = { 0 };
    size_t size = sc->a[1] < sizeof a ? sc->a[1] : sizeof a;
    if (size < 64 || guest_read(sc->t->as, sc->a[i], a, size)) { fmt_ptr(sb, sc, i); return; }
    sb_puts(sb, "{flags=");
    sb_flags(sb, a[0], clone_flag_names, "0");
    if (a[1]) sb_printf(sb, ", pidfd=%#llx", (unsigned long long)a[1]);
    if (a[2]) sb_printf(sb, ", child_tid=%#llx", (unsigned long long)a[2]);
    if (a[3]) sb_printf(sb, ", parent_tid=%#llx", (unsigned long long)a[3]);
    sb_puts(sb, ", exit_signal=");
    sb_signame(sb, (int)a[4]);
    sb_printf(sb, ", stack=%#llx, stack_size=%#llx", (unsigned long long)a[5], (unsigned long long)a[6]);
    if (a[7]) sb_printf(sb, ", tls=%#llx", (unsigned long long)a[7]);
    sb_putc(sb, '}');
}

/* clone(child_stack=..., flags=CLONE_VM|...|SIGCHLD, parent_tid=..., child_tidptr=..., tls=...) */
static void fmt_clone_legacy(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t flags = sc->a[0];
    (void)i;
    sb_puts(sb, "child_stack=");
    if (sc->a[1]) sb_printf(sb, "%#llx", (unsigned long long)sc->a[1]); else sb_puts(sb, "NULL");
    sb_puts(sb, ", flags=");
    if (flags & ~0xffULL) sb_flags(sb, flags & ~0xffULL, clone_flag_names, "0");
    if (flags & 0xff) {
        if (flags & ~0xffULL) sb_putc(sb, '|');
        sb_signame(sb, (int)(flags & 0xff));
    } else if (!(flags & ~0xffULL)) sb_putc(sb, '0');
    if (flags & CLONE_PARENT_SETTID) sb_printf(sb, ", parent_tid=%#llx", (unsigned long long)sc->a[2]);
    if (flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) sb_printf(sb, ", child_tidptr=%#llx", (unsigned long long)sc->a[3]);
    if (flags & CLONE_SETTLS) sb_printf(sb, ", tls=%#llx", (unsigned long long)sc->a[4]);
}

static void fmt_envp(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t addr = sc->a[i], p;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    int n = 0;
    while (n < MAX_ARG_STRINGS && !guest_read(sc->t->as, addr + 8 * (uint64_t)n, &p, 8) && p) n++;
    sb_printf(sb, "%#llx /* %d var%s */", (unsigned long long)addr, n, n == 1 ? "" : "s");
}

static void fmt_wait_status(struct strbuf *sb, struct syscall *sc, int i)
{
    int st;
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (sc->ret <= 0 || guest_read(sc->t->as, sc->a[i], &st, 4)) { fmt_ptr(sb, sc, i); return; }
    if (WIFEXITED(st)) { sb_printf(sb, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", WEXITSTATUS(st)); return; }
    struct strbuf name = { 0 };
    sb_signame(&name, WTERMSIG(st));
    sb_printf(sb, "[{WIFSIGNALED(s) && WTERMSIG(s) == %s%s}]", name.p, WCOREDUMP(st) ? " && WCOREDUMP(s)" : "");
    sb_free(&name);
}

static const struct flag_name wait_options[] = {
    { WNOHANG, "WNOHANG" }, { WUNTRACED, "WSTOPPED" }, { WEXITED, "WEXITED" }, { WCONTINUED, "WCONTINUED" },
    { WNOWAIT, "WNOWAIT" }, { __WNOTHREAD, "__WNOTHREAD" }, { __WALL, "__WALL" }, { __WCLONE, "__WCLONE" }, { 0, NULL },
};
static void fmt_wait_options(struct strbuf *sb, struct syscall *sc, int i) { sb_flags(sb, (uint32_t)sc->a[i], wait_options, "0"); }

static void fmt_idtype(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name t[] = { { P_ALL, "P_ALL" }, { P_PID, "P_PID" }, { P_PGID, "P_PGID" }, { P_PIDFD, "P_PIDFD" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], t, "%lld");
}

static void fmt_siginfo_out(struct strbuf *sb, struct syscall *sc, int i)
{
    siginfo_t si;
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], &si, sizeof si)) { fmt_ptr(sb, sc, i); return; }
    if (!si.si_signo) { sb_puts(sb, "{}"); return; }
    struct strbuf st = { 0 };
    if (si.si_code == CLD_EXITED) sb_printf(&st, "%d", si.si_status); else sb_signame(&st, si.si_status);
    sb_printf(sb, "{si_signo=SIGCHLD, si_code=%s, si_pid=%d, si_uid=%u, si_status=%s, si_utime=0, si_stime=0}",
              si.si_code == CLD_EXITED ? "CLD_EXITED" : si.si_code == CLD_KILLED ? "CLD_KILLED" : "CLD_DUMPED",
              si.si_pid, (unsigned)si.si_uid, st.p);
    sb_free(&st);
}

static void fmt_nothing(struct strbuf *sb, struct syscall *sc, int i) { (void)sb; (void)sc; (void)i; }

const struct syscall_def clone_syscalls[] = {
    { SYS_unshare, "unshare", sys_unshare, 1, { IN(fmt_unshare_flags) }, NULL },
    { SYS_clone, "clone", sys_clone, 5, { IN(fmt_clone_legacy), IN(fmt_nothing), IN(fmt_nothing), IN(fmt_nothing), IN(fmt_nothing) }, NULL },
    { SYS_clone3, "clone3", sys_clone3, 2, { IN(fmt_clone_args), IN(fmt_uint) }, NULL },
    { SYS_fork, "fork", sys_fork, 0, { { 0 } }, NULL },
    { SYS_vfork, "vfork", sys_vfork, 0, { { 0 } }, NULL },
    { SYS_execve, "execve", sys_execve, 3, { IN(fmt_path), IN(fmt_strarray), IN(fmt_envp) }, NULL },
    { SYS_execveat, "execveat", sys_execveat, 5, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_strarray), IN(fmt_envp), IN(fmt_at_flags) }, NULL },
    { SYS_wait4, "wait4", sys_wait4, 4, { IN(fmt_int), OUT(fmt_wait_status), IN(fmt_wait_options), IN(fmt_ptr) }, NULL },
    { SYS_waitid, "waitid", sys_waitid, 5, { IN(fmt_idtype), IN(fmt_int), OUT(fmt_siginfo_out), IN(fmt_wait_options), IN(fmt_ptr) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
