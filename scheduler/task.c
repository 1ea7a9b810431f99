#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "syscalls/fdtable.h"
#include "scheduler/signals.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/wait.h>

static int next_pid = FIRST_PID;
struct task **all_tasks;
int ntasks;
static int tasks_cap;
static struct process **all_procs;
static int nprocs, procs_cap, nunreaped;

void process_reap(struct process *p)
{
    if (!p->reaped) { p->reaped = true; nunreaped--; }
}

int processes_unreaped(void) { return nunreaped; }

int task_next_pid(void) { return next_pid++; }

struct task *task_new(int tid)
{
    if (ntasks == tasks_cap) {
        int cap = tasks_cap ? tasks_cap * 2 : 16;
        struct task **n = realloc(all_tasks, cap * sizeof *n);
        if (!n) return NULL;
        all_tasks = n;
        tasks_cap = cap;
    }
    struct task *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->tid = tid;
    t->timer_slack_ns = t->default_timer_slack_ns = 50000;   /* Linux's default */
    all_tasks[ntasks++] = t;
    return t;
}

void task_set_comm(struct task *t, const char *path)
{
    const char *b = strrchr(path, '/');
    snprintf(t->comm, sizeof t->comm, "%s", b ? b + 1 : path);
}

struct process *process_new(int pid)
{
    if (nprocs == procs_cap) {
        int cap = procs_cap ? procs_cap * 2 : 16;
        struct process **n = realloc(all_procs, cap * sizeof *n);
        if (!n) return NULL;
        all_procs = n;
        procs_cap = cap;
    }
    struct process *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->pid = p->pgid = p->sid = pid;
    p->dumpable = 1;
    all_procs[nprocs++] = p;
    nunreaped++;
    return p;
}

struct task *task_by_tid(int tid)
{
    for (int i = 0; i < ntasks; i++)
        if (all_tasks[i]->tid == tid && all_tasks[i]->state != TASK_DEAD) return all_tasks[i];
    return NULL;
}

struct process *process_by_pid(int pid)
{
    for (int i = 0; i < nprocs; i++)
        if (all_procs[i]->pid == pid && !all_procs[i]->reaped) return all_procs[i];
    return NULL;
}

struct task *task_create_initial(const char *exe)
{
    struct process *p = process_new(task_next_pid());
    struct task *t = p ? task_new(p->pid) : NULL;
    struct fs_info *fs = calloc(1, sizeof *fs);
    struct sighand *sh = calloc(1, sizeof *sh);
    if (!t || !fs || !sh) { free(fs); free(sh); return NULL; }
    p->ppid = OUTSIDE_PPID;
    p->exe = strdup(exe);
    task_set_comm(t, exe);
    p->exit_signal = 17; /* SIGCHLD */
    p->nthreads = 1;
    fs->refs = 1;
    fs->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    /* The guest applies its own umask; the host's stays out of the way. */
    fs->umask = umask(0);
    sh->refs = 1;
    t->proc = p;
    t->fs = fs;
    t->sighand = sh;
    t->files = fdtable_new_stdio();
    t->as = as_create();
    if (!t->files || !t->as || fs->cwd_fd < 0) return NULL;
    t->ctx = cpu_ctx_new(t->as);
    if (!t->ctx) return NULL;
    t->as->loaded = t;
    return t;
}

void fs_put(struct fs_info *fs)
{
    if (!fs || --fs->refs > 0) return;
    if (fs->cwd_fd >= 0) close(fs->cwd_fd);
    free(fs);
}

void sighand_put(struct sighand *sh)
{
    if (sh && --sh->refs == 0) free(sh);
}

void tasks_describe(char *out, size_t n)
{
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < nprocs && at + 1 < n; i++) {
        struct process *p = all_procs[i];
        int ws = p->wait_status, w;
        if (!p->zombie) w = snprintf(out + at, n - at, "%s%d:running", at ? " " : "", p->pid);
        else if (WIFSIGNALED(ws) && p->fault_sig)
            w = snprintf(out + at, n - at, "%s%d:%s@%#llx[%#llx]", at ? " " : "", p->pid, sigabbrev_np(WTERMSIG(ws)),
                         (unsigned long long)p->fault_rip, (unsigned long long)p->fault_addr);
        else if (WIFSIGNALED(ws)) w = snprintf(out + at, n - at, "%s%d:SIG%s", at ? " " : "", p->pid, sigabbrev_np(WTERMSIG(ws)));
        else w = snprintf(out + at, n - at, "%s%d:exit%d", at ? " " : "", p->pid, WEXITSTATUS(ws));
        if (w < 0) break;
        at += (size_t)w;
    }
}

void tasks_free_all(void)
{
    for (int i = 0; i < ntasks; i++) {
        struct task *t = all_tasks[i];
        /* Tasks still holding their parts (the run ended early) let go of them here. */
        as_put(t->as);
        fdtable_put(t->files);
        fs_put(t->fs);
        sighand_put(t->sighand);
        cpu_ctx_free(t->ctx);
        sb_free(&t->log_head);
        sig_free_pending(&t->pending);
        free(t->waitv);
        free(t);
    }
    for (int i = 0; i < nprocs; i++) {
        struct process *p = all_procs[i];
        sig_free_pending(&p->shared);
        timers_free(p);
        free(p->exe);
        free(p->cred.groups);
        free(p);
    }
    free(all_tasks); free(all_procs);
    all_tasks = NULL; all_procs = NULL;
    ntasks = tasks_cap = nprocs = procs_cap = nunreaped = 0;
}
