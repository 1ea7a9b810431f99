/* The file table (the kernel's files_struct) and open file descriptions. Guest files are
 * host files opened on the guest's behalf: a guest fd names an open_file that holds a
 * host descriptor. Paths are resolved against the guest's own working directory (a
 * host O_PATH descriptor), never the emulator's. */
#ifndef UNIEMU_FDTABLE_H
#define UNIEMU_FDTABLE_H
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
struct task;

#define MAX_FDS 1024

struct open_file {
    int refs;
    int host_fd;
    char *path;          /* as opened, for the log and /proc/self/fd */
    /* A pipe or eventfd made by uniemu: its host descriptor never blocks (a guest
     * task waiting on it blocks in the scheduler instead), and guest_nonblock is the
     * O_NONBLOCK the guest asked for. */
    bool internal;
    bool guest_nonblock;
    /* A signalfd: reads take the signals of this set pending for the reader. */
    bool sigfd;
    bool stdio;          /* one of the emulator's own stdin, stdout, stderr */
    /* /dev/random or /dev/urandom (any name for char devices 1:8 and 1:9): reads give
     * the seed's random bytes, as getrandom does, never the host's. */
    bool random_dev;
    /* A socket (internal like a pipe); sk is its state (syscalls/socket.c). */
    bool sock;
    struct sock *sk;
    uint64_t ino;        /* internal files: the inode number the guest sees */
    /* File times (syscalls/ftimes.c): whether the file's times are the guest's to keep
     * (a file or directory; not a host terminal or pipe), its host identity, and
     * whether its atime/mtime still have to be written to the host file. */
    enum { FT_UNKNOWN, FT_TRACKED, FT_UNTRACKED } ft_state;
    bool ft_dirty;
    uint8_t ft_atime_mode;   /* 0 unknown, 1 noatime, 2 relatime, 3 strictatime */
    uint64_t ft_dev, ft_ino;
    uint64_t sigfd_mask;
};

struct fd_table {
    int refs;
    struct fd_slot { struct open_file *f; bool cloexec; } fd[MAX_FDS];
};

struct fd_table *fdtable_new_stdio(void);
void fdtable_put(struct fd_table *ft);
/* A copy sharing every open file (fork without CLONE_FILES, exec of a shared table). */
struct fd_table *fdtable_dup(const struct fd_table *ft);
struct open_file *file_new(int host_fd, const char *path);
void file_put(struct open_file *f);

/* The open file behind guest fd, or NULL (the caller answers -EBADF). */
struct open_file *fd_get(struct task *t, int fd);
/* Host descriptor behind guest fd, or -EBADF. */
int fd_host(struct task *t, int fd);
/* Installs f at the lowest free guest fd >= min_fd. Takes a reference. fd or -EMFILE. */
int fd_install(struct task *t, struct open_file *f, bool cloexec, int min_fd);
int fd_close(struct task *t, int fd);
/* Turns the result of I/O on an internal file into what a blocking call does: parks
 * the task (RET_BLOCK) when it would block, wakes the tasks waiting for I/O after
 * progress. (syscalls/pipe.c) */
int64_t internal_read_result(struct task *t, struct open_file *f, int64_t n);
int64_t internal_write(struct task *t, struct open_file *f, const char *data, size_t len);


/* Sockets (syscalls/socket.c): the end of f's socket when f closes; read/write and
 * readv/writev on one (iov holds guest addresses); poll's answer made Linux's. */
struct iovec;
void sock_release(struct open_file *f);
/* --net-faults: what Linux allows a network to do, drawn from the seed (docs/network.md). */
extern bool sock_net_faults;
int64_t sock_rw(struct task *t, struct open_file *f, const struct iovec *iov, int iovcnt, bool writing);
short sock_poll_fix(const struct open_file *f, short revents);
/* A socket joined, changed in or left an epoll set (syscalls/poll.c tells). */
struct epoll_event;
void sock_epoll_noted(struct open_file *ep, struct open_file *f, int op, const struct epoll_event *ev);

/* Host directory descriptor to use with *at() calls for the guest's dirfd argument
 * (AT_FDCWD means the guest's cwd). -EBADF when the guest fd is not open. */
int at_dirfd(struct task *t, int dirfd);
/* Copies a path argument in from guest memory: 0, -EFAULT, -ENAMETOOLONG. Empty paths
 * are allowed here (callers answer -ENOENT unless AT_EMPTY_PATH). */
int path_in(struct task *t, uint64_t addr, char buf[PATH_MAX]);
/* True when path names the guest's own program through /proc (/proc/self/exe or
 * /proc/<pid>/exe): readlink and open must see the guest's program, not uniemu. */
bool path_is_proc_exe(struct task *t, const char *path);
/* For a /proc/self/... path whose meaning is the guest's (fd/N, cwd, exe): writes the
 * host path naming the same object into out and returns 0; 1 when the path needs no
 * rewriting; -errno when it names nothing, or uniemu's own memory. (syscalls/fs_stat.c) */
int proc_host_path(struct task *t, const char *guest, char *out, size_t n);
/* The file an exec of name runs, as execve finds it (the guest's cwd and /proc view,
 * the kernel's errors), recorded or replayed: its real path (abs) and the host file to
 * read (load). 0 or -errno. (syscalls/clone.c) */
int exec_resolve_initial(struct task *t, const char *name, char abs[], char load[]);
/* An ioctl of a host block device or of /dev/loop-control, passed to the host with
 * its arguments (syscalls/blockdev.c); *handled false for any other. */
int64_t blockdev_ioctl(struct task *t, int hfd, unsigned long req, uint64_t arg, bool *handled);
/* read() on a signalfd (syscalls/signal.c). */
int64_t signalfd_read(struct task *t, struct open_file *f, uint64_t buf, uint64_t count);
/* For a pipe, eventfd or epoll of the guest: the inode number, device and times it sees
 * instead of the host's (which differ from run to run). (syscalls/pipe.c) */
void internal_file_identity(struct open_file *f);
struct stat;
struct statx;
void internal_stat_fix(struct open_file *f, struct stat *st);
void internal_statx_fix(struct open_file *f, struct statx *stx);
#endif
