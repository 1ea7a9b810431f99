/* The guest's /proc (syscalls/procfs.c): every /proc/PID path names a guest process or
 * thread, answered from the guest's own state, never a host process, uniemu's own
 * memory or uniemu's host descriptors. Paths that name no process (/proc/cpuinfo,
 * /proc/sys/...) are the host's, but for the System V IPC limits and /proc/sysvipc,
 * which are the model's (syscalls/ipc.c). */
#ifndef UNIEMU_PROCFS_H
#define UNIEMU_PROCFS_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
struct task;
struct process;
struct stat;

enum proc_kind {
    PK_PASS,        /* names no process: the host's /proc answers (path is the host path) */
    PK_SELF_LINK,   /* the symlinks /proc/self and /proc/thread-self themselves */
    PK_PID_DIR,     /* /proc/PID, /proc/PID/task/TID */
    PK_FD_DIR,
    PK_TASK_DIR,
    PK_FILE,        /* generated from guest state: stat, status, cmdline, ... */
    PK_HOST_FILE,   /* carries no pid: the host's own (mountinfo, mounts), read-only */
    PK_EXE,         /* the links, each with what follows it in tail */
    PK_CWD,
    PK_ROOT,
    PK_FD,
};

struct proc_node {
    enum proc_kind kind;
    struct process *p;
    struct task *t;          /* the thread named, or a live thread of p; NULL: a zombie */
    bool thread;             /* named as a thread (task/TID, thread-self) */
    int fd;                  /* PK_FD: the guest descriptor */
    char name[48];           /* PK_FILE, PK_HOST_FILE: the entry ("/" + a path: machine-wide) */
    const char *tail;        /* the links: "" or "/rest" to follow past them */
    char link[64];           /* PK_SELF_LINK: its target ("1000", "1000/task/1001") */
    char path[PATH_MAX];     /* the canonical guest path (for the tail, a copy) */
};

/* Finds the absolute guest path a call's (dirfd, path) names when it lies in /proc
 * (also /dev/fd/N and /dev/std*, which are /proc/self/fd links): 1 with out set, 0
 * when it does not (the host path is used as is), -errno for a bad dirfd. */
int procfs_guest_path(struct task *t, int gdirfd, const char *path, char out[PATH_MAX]);
/* For a path outside /proc: whether the host resolves it into /proc anyway (through a
 * symlink). 0: no; 1: out is the guest /proc path it names; -ELOOP: it goes through
 * one of the host's magic links (/proc/PID/fd/N...), which are uniemu's, not the guest's. */
int procfs_host_check(struct task *t, int hdirfd, const char *hpath, bool nofollow, char out[PATH_MAX]);
/* Resolves a normalized absolute /proc path (from procfs_guest_path). follow: a final
 * /proc/self is followed. 0 with pn filled, or -ENOENT/-EACCES/-ENOTDIR. */
int procfs_resolve(struct task *t, const char *abs, bool follow, struct proc_node *pn);
/* Opens a resolved node (not PK_PASS) with the guest's open flags: a host descriptor. */
int procfs_open(struct task *t, const struct proc_node *pn, int flags, unsigned mode);
/* A host path that stats like the node (uniemu's own /proc/self entry of the same
 * name, never opened for the guest). The links: follow decides. */
int procfs_stat_path(struct task *t, const struct proc_node *pn, bool follow, char *out, size_t n);
/* readlink of a node: the length written to out (no NUL), or -EINVAL (not a link). */
int procfs_readlink(struct task *t, const struct proc_node *pn, char *out, size_t n);
/* The host path a link node leads to when followed (fd/N, cwd, exe, root plus tail). */
int procfs_follow_path(const struct proc_node *pn, char *out, size_t n);

/* Open /proc files made by procfs_open (and host /proc itself, whose listing shows
 * guest pids): looked up by host descriptor. */
struct proc_file;
struct proc_file *procfs_file(int host_fd);
void procfs_register_proc_root(int host_fd);
const char *procfs_file_path(const struct proc_file *pf);
bool procfs_file_is_dir(const struct proc_file *pf);
/* getdents64 into the guest buffer. */
int64_t procfs_getdents(struct task *t, struct proc_file *pf, int host_fd, uint64_t buf, size_t count);
/* A write through a descriptor of a /proc file: oom_score_adj takes a value, nothing
 * else is writable. */
/* Linux makes a /proc file's text as it is read (seq_file): before a read that starts at
 * offset 0 (off, or the file's offset when off is -1), the text is made again, so that
 * what happened since the open, or since an earlier read, shows. */
void procfs_before_read(struct task *caller, int host_fd, int64_t off);
int64_t procfs_write(struct task *t, struct proc_file *pf, int host_fd, const char *data, size_t len);
/* lseek on a directory: its listing position. */
int64_t procfs_lseek(struct proc_file *pf, int64_t off, int whence);
/* fstat of such a descriptor: what stat of its path shows. */
void procfs_fstat_fix(struct proc_file *pf, struct stat *st);
#endif
