#include "scheduler/task.h"
#include "core/addr_space.h"
#include "syscalls/fdtable.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int next_pid = FIRST_PID;

struct task *task_create_initial(const char *exe)
{
    struct task *t = calloc(1, sizeof *t);
    struct process *p = calloc(1, sizeof *p);
    struct fs_info *fs = calloc(1, sizeof *fs);
    struct sighand *sh = calloc(1, sizeof *sh);
    if (!t || !p || !fs || !sh) goto fail;
    p->pid = p->pgid = p->sid = next_pid++;
    p->ppid = FIRST_PID - 1;
    p->exe = strdup(exe);
    fs->refs = 1;
    fs->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    /* The guest applies its own umask; the host's stays out of the way. */
    fs->umask = umask(0);
    sh->refs = 1;
    t->tid = p->pid;
    t->proc = p;
    t->fs = fs;
    t->sighand = sh;
    t->files = fdtable_new_stdio();
    t->as = as_create();
    if (!t->files || !t->as || fs->cwd_fd < 0) { task_destroy(t); return NULL; }
    return t;
fail:
    free(t); free(p); free(fs); free(sh);
    return NULL;
}

void task_destroy(struct task *t)
{
    if (!t) return;
    as_put(t->as);
    fdtable_put(t->files);
    if (t->fs && --t->fs->refs == 0) { if (t->fs->cwd_fd >= 0) close(t->fs->cwd_fd); free(t->fs); }
    if (t->sighand && --t->sighand->refs == 0) free(t->sighand);
    if (t->proc) { free(t->proc->exe); free(t->proc); }
    free(t);
}
