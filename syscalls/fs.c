/* File descriptors and I/O: the file table, open/close/dup, read/write and friends. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "syscalls/limits.h"
#include "syscalls/locks.h"
#include "syscalls/procfs.h"
#include "syscalls/ftimes.h"
#include "scheduler/sched.h"
#include "scheduler/signals.h"
#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/guest_mem.h"
#include "core/det.h"
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#define IO_CHUNK (1 << 20)       /* bytes moved per host call */
#define MAX_RW_COUNT 0x7ffff000  /* Linux caps one read or write at this */
#define IOV_MAX_GUEST 1024

/* ---- the file table ---- */

struct open_file *file_new(int host_fd, const char *path)
{
    struct open_file *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->refs = 1;
    f->host_fd = host_fd;
    f->path = path ? strdup(path) : NULL;
    return f;
}

void file_put(struct open_file *f)
{
    if (!f || --f->refs > 0) return;
    locks_file_released(f);   /* its OFD and flock locks */
    /* A pipe end closing means EOF or EPIPE for whoever waits on the other end. */
    if (f->internal) sched_wake_io();
    ftimes_release(f);
    sock_release(f);
    close(f->host_fd);
    free(f->path);
    free(f);
}

struct fd_table *fdtable_new_stdio(void)
{
    struct fd_table *ft = calloc(1, sizeof *ft);
    if (!ft) return NULL;
    ft->refs = 1;
    /* The guest gets its own duplicates of the emulator's stdio: closing them in the
     * guest leaves uniemu's own stderr (the log, error reports) usable. */
    for (int i = 0; i < 3; i++) {
        int h = fcntl(i, F_DUPFD_CLOEXEC, 3);
        if (h >= 0 && (ft->fd[i].f = file_new(h, NULL))) ft->fd[i].f->stdio = true;
    }
    return ft;
}

void fdtable_put(struct fd_table *ft)
{
    if (!ft || --ft->refs > 0) return;
    for (int i = 0; i < MAX_FDS; i++) { locks_file_closed(ft, ft->fd[i].f); file_put(ft->fd[i].f); }
    free(ft);
}

struct fd_table *fdtable_dup(const struct fd_table *ft)
{
    struct fd_table *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->refs = 1;
    for (int i = 0; i < MAX_FDS; i++) {
        n->fd[i] = ft->fd[i];
        if (n->fd[i].f) n->fd[i].f->refs++;
    }
    return n;
}

struct open_file *fd_get(struct task *t, int fd)
{
    if (fd < 0 || fd >= MAX_FDS) return NULL;
    return t->files->fd[fd].f;
}

int fd_host(struct task *t, int fd)
{
    struct open_file *f = fd_get(t, fd);
    return f ? f->host_fd : -EBADF;
}

int fd_install(struct task *t, struct open_file *f, bool cloexec, int min_fd)
{
    int limit = limits_nofile(t);   /* RLIMIT_NOFILE */
    for (int i = min_fd < 0 ? 0 : min_fd; i < limit; i++) {
        if (!t->files->fd[i].f) {
            f->refs++;
            t->files->fd[i].f = f;
            t->files->fd[i].cloexec = cloexec;
            return i;
        }
    }
    return -EMFILE;
}

int fd_close(struct task *t, int fd)
{
    struct open_file *f = fd_get(t, fd);
    if (!f) return -EBADF;
    t->files->fd[fd].f = NULL;
    t->files->fd[fd].cloexec = false;
    locks_file_closed(t->files, f);   /* any close drops the process's POSIX locks */
    file_put(f);
    return 0;
}

int at_dirfd(struct task *t, int dirfd)
{
    if (dirfd == AT_FDCWD) return t->fs->cwd_fd;
    return fd_host(t, dirfd);
}

int path_in(struct task *t, uint64_t addr, char buf[PATH_MAX])
{
    long n = guest_read_str(t->as, addr, buf, PATH_MAX);
    return n < 0 ? (int)n : 0;
}

bool path_is_proc_exe(struct task *t, const char *path)
{
    char own[64];
    snprintf(own, sizeof own, "/proc/%d/exe", t->proc->pid);
    return strcmp(path, "/proc/self/exe") == 0 || strcmp(path, "/proc/thread-self/exe") == 0 ||
           strcmp(path, own) == 0;
}

/* ---- open, close, dup ---- */

/* A /proc path is answered by the guest's /proc model (syscalls/procfs.c), whether it is
 * written as one, reached relative to a /proc directory, or through a symlink. */
static int64_t install_opened(struct task *t, struct open_file *f, int hd, int flags)
{
    struct stat st;
    if (fstat(hd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
        (minor(st.st_rdev) == 8 || minor(st.st_rdev) == 9))
        f->random_dev = true;
    int fd = fd_install(t, f, flags & O_CLOEXEC, 0);
    file_put(f);
    return fd;
}

static int64_t do_openat(struct syscall *sc, int dirfd, uint64_t path_addr, int flags, unsigned mode)
{
    struct task *t = sc->t;
    char path[PATH_MAX], abs[PATH_MAX];
    int rc = path_in(t, path_addr, path);
    if (rc) return rc;
    if (!path[0]) return -ENOENT;
    int hdir = path[0] == '/' ? AT_FDCWD : at_dirfd(t, dirfd);
    if (hdir < 0 && hdir != AT_FDCWD) return hdir;
    mode &= ~t->fs->umask;
    rc = procfs_guest_path(t, dirfd, path, abs);
    if (rc == 0) rc = procfs_host_check(t, hdir, path, flags & O_NOFOLLOW, abs);
    if (rc < 0) return rc;
    int hd;
    if (rc == 1) {
        struct proc_node pn;
        rc = procfs_resolve(t, abs, !(flags & O_NOFOLLOW), &pn);
        if (rc) return rc;
        if (pn.kind == PK_PASS) {
            hd = openat(AT_FDCWD, abs, flags | O_CLOEXEC, mode);
            if (hd < 0) return -errno;
            if (!strcmp(abs, "/proc") && !(flags & O_PATH)) procfs_register_proc_root(hd);
        } else {
            hd = procfs_open(t, &pn, flags, mode);
            if (hd < 0) return hd;
        }
    } else {
        int64_t lr = locks_break_lease(t, hdir, path, flags);   /* may wait for a lease holder */
        if (lr) return lr;
        /* Whether the open makes the file decides its times and its directory's. */
        struct stat before;
        bool creating = (flags & O_CREAT) && (flags & O_TMPFILE) != O_TMPFILE &&
                        fstatat(hdir, path, &before, (flags & O_EXCL) ? AT_SYMLINK_NOFOLLOW : 0) < 0;
        hd = openat(hdir, path, flags | O_CLOEXEC, mode);
        if (hd < 0) return -errno;
        struct open_file *nf = file_new(hd, path);
        if (!nf) { close(hd); return -ENOMEM; }
        if (creating || (flags & O_TMPFILE) == O_TMPFILE) ftimes_file(nf, FT_NEW);
        else if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) ftimes_file(nf, FT_M | FT_C);
        if (creating) ftimes_parent(hdir, path);
        return install_opened(t, nf, hd, flags);
    }
    struct open_file *f = file_new(hd, path);
    if (!f) { close(hd); return -ENOMEM; }
    return install_opened(t, f, hd, flags);
}

static int64_t sys_open(struct syscall *sc) { return do_openat(sc, AT_FDCWD, sc->a[0], (int)sc->a[1], (unsigned)sc->a[2]); }
static int64_t sys_openat(struct syscall *sc) { return do_openat(sc, (int)sc->a[0], sc->a[1], (int)sc->a[2], (unsigned)sc->a[3]); }
static int64_t sys_creat(struct syscall *sc) { return do_openat(sc, AT_FDCWD, sc->a[0], O_CREAT | O_WRONLY | O_TRUNC, (unsigned)sc->a[1]); }
static int64_t sys_close(struct syscall *sc) { return fd_close(sc->t, (int)sc->a[0]); }

static int64_t sys_dup(struct syscall *sc)
{
    struct open_file *f = fd_get(sc->t, (int)sc->a[0]);
    return f ? fd_install(sc->t, f, false, 0) : -EBADF;
}

static int64_t do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
    struct open_file *f = fd_get(t, oldfd);
    if (!f) return -EBADF;
    if (newfd < 0 || newfd >= limits_nofile(t)) return -EBADF;
    if (flags & ~O_CLOEXEC) return -EINVAL;
    if (oldfd == newfd) return flags < 0 ? newfd : -EINVAL;
    f->refs++;
    struct open_file *old = t->files->fd[newfd].f;
    t->files->fd[newfd].f = f;
    t->files->fd[newfd].cloexec = flags & O_CLOEXEC;
    locks_file_closed(t->files, old);
    file_put(old);
    return newfd;
}

static int64_t sys_dup2(struct syscall *sc)
{
    int oldfd = (int)sc->a[0], newfd = (int)sc->a[1];
    if (oldfd == newfd) return fd_get(sc->t, oldfd) ? newfd : -EBADF;
    return do_dup3(sc->t, oldfd, newfd, 0);
}

static int64_t sys_dup3(struct syscall *sc) { return do_dup3(sc->t, (int)sc->a[0], (int)sc->a[1], (int)sc->a[2]); }

static int64_t sys_fcntl(struct syscall *sc)
{
    struct task *t = sc->t;
    int fd = (int)sc->a[0], cmd = (int)sc->a[1];
    struct open_file *f = fd_get(t, fd);
    if (!f) return -EBADF;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if ((int64_t)sc->a[2] < 0 || sc->a[2] >= (uint64_t)limits_nofile(t)) return -EINVAL;
        return fd_install(t, f, cmd == F_DUPFD_CLOEXEC, (int)sc->a[2]);
    case F_GETFD: return t->files->fd[fd].cloexec ? FD_CLOEXEC : 0;
    case F_SETFD: t->files->fd[fd].cloexec = sc->a[2] & FD_CLOEXEC; return 0;
    case F_GETFL: {
        int r = fcntl(f->host_fd, F_GETFL);
        if (r >= 0 && f->internal) r = (r & ~O_NONBLOCK) | (f->guest_nonblock ? O_NONBLOCK : 0);
        return r < 0 ? -errno : r;
    }
    case F_SETFL:
        if (f->internal) {
            f->guest_nonblock = sc->a[2] & O_NONBLOCK;
            return fcntl(f->host_fd, F_SETFL, (int)sc->a[2] | O_NONBLOCK) < 0 ? -errno : 0;
        }
        return fcntl(f->host_fd, F_SETFL, (int)sc->a[2]) < 0 ? -errno : 0;
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
    case F_SETLEASE: case F_GETLEASE:
        return locks_fcntl(t, f, cmd, sc->a[2]);   /* uniemu's own, between guest processes */
    case F_GETPIPE_SZ: case F_SETPIPE_SZ: case F_GET_SEALS: case F_ADD_SEALS: {
        int r = fcntl(f->host_fd, cmd, (int)sc->a[2]);
        return r < 0 ? -errno : r;
    }
    default: return -EINVAL;
    }
}

/* ---- read and write ---- */

/* A read of /dev/random or /dev/urandom: the seed's bytes. */
static int64_t random_into_guest(struct task *t, uint64_t buf, size_t count)
{
    if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
    unsigned char tmp[4096];
    size_t done = 0;
    while (done < count) {
        size_t n = count - done < sizeof tmp ? count - done : sizeof tmp;
        det_random(tmp, n);
        if (guest_write(t->as, buf + done, tmp, n)) return done ? (int64_t)done : -EFAULT;
        done += n;
    }
    return (int64_t)done;
}

static int64_t read_into_guest(struct task *t, int hfd, uint64_t buf, size_t count, int64_t off)
{
    procfs_before_read(t, hfd, off);
    if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
    size_t chunk = count < IO_CHUNK ? count : IO_CHUNK;
    char *tmp = malloc(chunk ? chunk : 1);
    if (!tmp) return -ENOMEM;
    int64_t total = 0;
    while ((size_t)total < count) {
        size_t want = count - total < chunk ? count - total : chunk;
        ssize_t n = off >= 0 ? pread(hfd, tmp, want, off + total) : read(hfd, tmp, want);
        if (n < 0) { if (!total) total = -errno; break; }
        if (n > 0 && guest_write(t->as, buf + total, tmp, n)) { if (!total) total = -EFAULT; break; }
        total += n;
        if ((size_t)n < want) break;   /* end of file, or a pipe or terminal gave what it had */
    }
    free(tmp);
    return total;
}

static int64_t write_from_guest(struct task *t, int hfd, uint64_t buf, size_t count, int64_t off)
{
    if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
    size_t chunk = count < IO_CHUNK ? count : IO_CHUNK;
    char *tmp = malloc(chunk ? chunk : 1);
    if (!tmp) return -ENOMEM;
    int64_t total = 0;
    if (count == 0) {   /* a zero-length write still reports errors such as EBADF */
        ssize_t n = off >= 0 ? pwrite(hfd, tmp, 0, off) : write(hfd, tmp, 0);
        free(tmp);
        return n < 0 ? -errno : 0;
    }
    while ((size_t)total < count) {
        size_t want = count - total < chunk ? count - total : chunk;
        if (guest_read(t->as, buf + total, tmp, want)) { if (!total) total = -EFAULT; break; }
        ssize_t n = off >= 0 ? pwrite(hfd, tmp, want, off + total) : write(hfd, tmp, want);
        if (n < 0) { if (!total) total = -errno; break; }
        total += n;
        if ((size_t)n < want) break;
    }
    free(tmp);
    return total;
}

/* Guest bytes [buf, buf+count) gathered into a host buffer (writes to internal files). */
static char *gather(struct task *t, uint64_t buf, size_t count, int64_t *err)
{
    char *data = malloc(count ? count : 1);
    if (!data) { *err = -ENOMEM; return NULL; }
    if (count && guest_read(t->as, buf, data, count)) { free(data); *err = -EFAULT; return NULL; }
    return data;
}

static int64_t sys_read(struct syscall *sc)
{
    struct open_file *f = fd_get(sc->t, (int)sc->a[0]);
    if (!f) return -EBADF;
    if (f->sigfd) return signalfd_read(sc->t, f, sc->a[1], sc->a[2]);
    if (f->random_dev) return random_into_guest(sc->t, sc->a[1], sc->a[2]);
    if (f->sk) {
        struct iovec v = { (void *)sc->a[1], sc->a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : sc->a[2] };
        return sock_rw(sc->t, f, &v, 1, false);
    }
    int64_t n = read_into_guest(sc->t, f->host_fd, sc->a[1], sc->a[2], -1);
    if (f->internal) return internal_read_result(sc->t, f, n);
    if (n >= 0) ftimes_read(f);
    return n;
}

static int64_t sys_write(struct syscall *sc)
{
    struct open_file *f = fd_get(sc->t, (int)sc->a[0]);
    if (!f) return -EBADF;
    int64_t n;
    if (f->sk) {
        struct iovec v = { (void *)sc->a[1], sc->a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : sc->a[2] };
        return sock_rw(sc->t, f, &v, 1, true);
    }
    if (f->internal) {
        size_t count = sc->a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : sc->a[2];
        char *data = gather(sc->t, sc->a[1], count, &n);
        if (!data) return n;
        n = internal_write(sc->t, f, data, count);
        free(data);
        return n;
    }
    struct proc_file *pf = procfs_file(f->host_fd);
    if (pf) {
        size_t count = sc->a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : sc->a[2];
        char *data = gather(sc->t, sc->a[1], count, &n);
        if (!data) return n;
        n = procfs_write(sc->t, pf, f->host_fd, data, count);
        free(data);
        return n;
    }
    n = write_from_guest(sc->t, f->host_fd, sc->a[1], sc->a[2], -1);
    if (n == -EPIPE) sig_send_simple(sc->t, SIGPIPE, SI_USER, sc->t->proc->pid, true);
    if (n > 0) ftimes_file(f, FT_M | FT_C);
    return n;
}

static int64_t sys_pread64(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    if ((int64_t)sc->a[3] < 0) return -EINVAL;
    struct open_file *f = fd_get(sc->t, (int)sc->a[0]);
    if (f->random_dev) return random_into_guest(sc->t, sc->a[1], sc->a[2]);   /* offsets do not matter */
    int64_t n = read_into_guest(sc->t, hfd, sc->a[1], sc->a[2], (int64_t)sc->a[3]);
    if (n >= 0) ftimes_read(f);
    return n;
}

static int64_t sys_pwrite64(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    if ((int64_t)sc->a[3] < 0) return -EINVAL;
    struct proc_file *pf = procfs_file(hfd);
    if (pf) {   /* /proc files take a value whole, whatever the offset */
        int64_t err;
        size_t count = sc->a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : sc->a[2];
        char *data = gather(sc->t, sc->a[1], count, &err);
        if (!data) return err;
        err = procfs_write(sc->t, pf, hfd, data, count);
        free(data);
        return err;
    }
    int64_t n = write_from_guest(sc->t, hfd, sc->a[1], sc->a[2], (int64_t)sc->a[3]);
    if (n > 0) ftimes_file(fd_get(sc->t, (int)sc->a[0]), FT_M | FT_C);
    return n;
}

/* readv and writev on a pipe or eventfd: through one host buffer, so that blocking
 * and partial progress work as for read and write. */
static int64_t internal_iov(struct task *t, struct open_file *f, const struct iovec *iov, uint64_t iovcnt, bool writing)
{
    size_t total = 0;
    for (uint64_t i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > MAX_RW_COUNT - total) return -EINVAL;
        total += iov[i].iov_len;
    }
    char *data = malloc(total ? total : 1);
    if (!data) return -ENOMEM;
    int64_t n;
    if (writing) {
        size_t at = 0;
        for (uint64_t i = 0; i < iovcnt; i++) {
            if (iov[i].iov_len && guest_read(t->as, (uint64_t)iov[i].iov_base, data + at, iov[i].iov_len)) { free(data); return -EFAULT; }
            at += iov[i].iov_len;
        }
        n = internal_write(t, f, data, total);
    } else {
        ssize_t r = read(f->host_fd, data, total);
        n = internal_read_result(t, f, r < 0 ? -errno : r);
        size_t at = 0;
        for (uint64_t i = 0; n > 0 && i < iovcnt && at < (size_t)n; i++) {
            size_t k = iov[i].iov_len < (size_t)n - at ? iov[i].iov_len : (size_t)n - at;
            if (k && guest_write(t->as, (uint64_t)iov[i].iov_base, data + at, k)) { n = -EFAULT; break; }
            at += k;
        }
    }
    free(data);
    return n;
}

static int64_t do_iov(struct syscall *sc, bool writing, int64_t off)
{
    struct task *t = sc->t;
    int hfd = fd_host(t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    uint64_t iovcnt = sc->a[2];
    if (iovcnt > IOV_MAX_GUEST) return -EINVAL;
    struct iovec iov[IOV_MAX_GUEST];
    if (guest_read(t->as, sc->a[1], iov, iovcnt * sizeof iov[0])) return -EFAULT;
    struct open_file *f = fd_get(t, (int)sc->a[0]);
    if (f->sk && off < 0) return sock_rw(t, f, iov, (int)iovcnt, writing);
    if (f->internal && off < 0) return internal_iov(t, f, iov, iovcnt, writing);
    if (f->random_dev && !writing) {
        int64_t total = 0;
        for (uint64_t i = 0; i < iovcnt; i++) {
            if (!iov[i].iov_len) continue;
            int64_t n = random_into_guest(t, (uint64_t)iov[i].iov_base, iov[i].iov_len);
            if (n < 0) return total ? total : n;
            total += n;
        }
        return total;
    }
    struct proc_file *pf = writing ? procfs_file(hfd) : NULL;
    if (pf) {   /* one value, gathered from all the buffers */
        size_t total = 0;
        for (uint64_t i = 0; i < iovcnt; i++) total += iov[i].iov_len;
        if (total > MAX_RW_COUNT) return -EINVAL;
        char *data = malloc(total ? total : 1);
        if (!data) return -ENOMEM;
        size_t at = 0;
        for (uint64_t i = 0; i < iovcnt; i++) {
            if (iov[i].iov_len && guest_read(t->as, (uint64_t)iov[i].iov_base, data + at, iov[i].iov_len)) { free(data); return -EFAULT; }
            at += iov[i].iov_len;
        }
        int64_t n = procfs_write(t, pf, hfd, data, total);
        free(data);
        return n;
    }
    int64_t total = 0, n_err = 0;
    for (uint64_t i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len == 0) continue;
        int64_t pos = off >= 0 ? off + total : -1;
        int64_t n = writing ? write_from_guest(t, hfd, (uint64_t)iov[i].iov_base, iov[i].iov_len, pos)
                            : read_into_guest(t, hfd, (uint64_t)iov[i].iov_base, iov[i].iov_len, pos);
        if (n < 0) {
            n_err = n;
            if (n == -EPIPE && writing && !total) sig_send_simple(t, SIGPIPE, SI_USER, t->proc->pid, true);
            break;
        }
        total += n;
        if ((size_t)n < iov[i].iov_len) break;
    }
    if (writing && total > 0) ftimes_file(f, FT_M | FT_C);
    if (!writing && !n_err) ftimes_read(f);
    return total ? total : n_err;
}

static int64_t sys_readv(struct syscall *sc) { return do_iov(sc, false, -1); }
static int64_t sys_writev(struct syscall *sc) { return do_iov(sc, true, -1); }
static int64_t sys_preadv(struct syscall *sc) { return do_iov(sc, false, (int64_t)sc->a[3]); }
static int64_t sys_pwritev(struct syscall *sc) { return do_iov(sc, true, (int64_t)sc->a[3]); }

static int64_t sys_lseek(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    struct proc_file *pf = procfs_file(hfd);
    if (pf && procfs_file_is_dir(pf)) return procfs_lseek(pf, (int64_t)sc->a[1], (int)sc->a[2]);
    off_t r = lseek(hfd, (off_t)sc->a[1], (int)sc->a[2]);
    return r < 0 ? -errno : r;
}

static int64_t sys_sendfile(struct syscall *sc)
{
    struct task *t = sc->t;
    int out = fd_host(t, (int)sc->a[0]), in = fd_host(t, (int)sc->a[1]);
    if (out < 0 || in < 0) return -EBADF;
    off_t off;
    if (sc->a[2] && guest_read(t->as, sc->a[2], &off, sizeof off)) return -EFAULT;
    size_t count = sc->a[3] > MAX_RW_COUNT ? MAX_RW_COUNT : sc->a[3];
    procfs_before_read(t, in, sc->a[2] ? off : -1);
    ssize_t n = sendfile(out, in, sc->a[2] ? &off : NULL, count);
    if (n < 0) return -errno;
    if (n > 0) ftimes_file(fd_get(t, (int)sc->a[0]), FT_M | FT_C);
    if (sc->a[2] && guest_write(t->as, sc->a[2], &off, sizeof off)) return -EFAULT;
    return n;
}

static int64_t sys_copy_file_range(struct syscall *sc)
{
    struct task *t = sc->t;
    int in = fd_host(t, (int)sc->a[0]), out = fd_host(t, (int)sc->a[2]);
    if (out < 0 || in < 0) return -EBADF;
    loff_t offin, offout;
    if (sc->a[1] && guest_read(t->as, sc->a[1], &offin, 8)) return -EFAULT;
    if (sc->a[3] && guest_read(t->as, sc->a[3], &offout, 8)) return -EFAULT;
    ssize_t n = copy_file_range(in, sc->a[1] ? &offin : NULL, out, sc->a[3] ? &offout : NULL, sc->a[4], (unsigned)sc->a[5]);
    if (n < 0) return -errno;
    if (n > 0) ftimes_file(fd_get(t, (int)sc->a[2]), FT_M | FT_C);
    if (sc->a[1]) guest_write(t->as, sc->a[1], &offin, 8);
    if (sc->a[3]) guest_write(t->as, sc->a[3], &offout, 8);
    return n;
}

static int64_t sys_getdents64(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    size_t count = sc->a[2] > IO_CHUNK ? IO_CHUNK : sc->a[2];
    struct proc_file *pf = procfs_file(hfd);
    if (pf) return procfs_getdents(sc->t, pf, hfd, sc->a[1], count);
    char *tmp = malloc(count ? count : 1);
    if (!tmp) return -ENOMEM;
    long n = syscall(SYS_getdents64, hfd, tmp, count);
    int64_t r = n < 0 ? -errno : n;
    if (n > 0 && guest_write(sc->t->as, sc->a[1], tmp, n)) r = -EFAULT;
    free(tmp);
    return r;
}

static int64_t sys_ftruncate(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    if (ftruncate(hfd, (off_t)sc->a[1]) < 0) return -errno;
    ftimes_file(fd_get(sc->t, (int)sc->a[0]), FT_M | FT_C);
    return 0;
}

/* The host kernel checks what Linux checks, in its order (EINVAL for offset and length,
 * EOPNOTSUPP for modes, EBADF for a descriptor not open for writing, ESPIPE for a pipe,
 * EISDIR, ENODEV, EFBIG, then what the file system supports): guest files are host
 * files, and uniemu's pipes, eventfds and socketpairs are host ones too. */
static int64_t sys_fallocate(struct syscall *sc)
{
    struct open_file *f = fd_get(sc->t, (int)sc->a[0]);
    if (!f) return -EBADF;
    if (fallocate(f->host_fd, (int)sc->a[1], (off_t)sc->a[2], (off_t)sc->a[3]) < 0) return -errno;
    ftimes_file(f, FT_M | FT_C);
    return 0;
}

static int64_t sys_fsync(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    return fsync(hfd) < 0 ? -errno : 0;
}

static int64_t sys_fdatasync(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    return fdatasync(hfd) < 0 ? -errno : 0;
}

static void fmt_fadvice(struct strbuf *sb, struct syscall *sc, int i)
{
    static const char *const names[] = { "POSIX_FADV_NORMAL", "POSIX_FADV_RANDOM", "POSIX_FADV_SEQUENTIAL",
                                         "POSIX_FADV_WILLNEED", "POSIX_FADV_DONTNEED", "POSIX_FADV_NOREUSE" };
    int v = (int)sc->a[i];
    if (v >= 0 && v < 6) sb_puts(sb, names[v]);
    else sb_printf(sb, "%d", v);
}

static void fmt_falloc_mode(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name modes[] = {
        { 0x01, "FALLOC_FL_KEEP_SIZE" }, { 0x02, "FALLOC_FL_PUNCH_HOLE" }, { 0x04, "FALLOC_FL_NO_HIDE_STALE" },
        { 0x08, "FALLOC_FL_COLLAPSE_RANGE" }, { 0x10, "FALLOC_FL_ZERO_RANGE" }, { 0x20, "FALLOC_FL_INSERT_RANGE" },
        { 0x40, "FALLOC_FL_UNSHARE_RANGE" }, { 0x80, "FALLOC_FL_WRITE_ZEROES" }, { 0, NULL } };
    sb_flags(sb, (uint32_t)sc->a[i], modes, "0");
}

static int64_t sys_fadvise64(struct syscall *sc)
{
    return fd_host(sc->t, (int)sc->a[0]) < 0 ? -EBADF : 0;
}

/* Terminal queries go to the host terminal; anything else is not a terminal's. */
static int64_t sys_ioctl(struct syscall *sc)
{
    struct task *t = sc->t;
    int hfd = fd_host(t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    unsigned long req = (uint32_t)sc->a[1];   /* the kernel takes an unsigned int (musl passes an int) */
    union { struct winsize ws; struct termios tio; int i; char raw[64]; } u;
    size_t in = 0, out = 0;
    switch (req) {
    case TIOCGWINSZ: out = sizeof(struct winsize); break;
    case TIOCSWINSZ: in = sizeof(struct winsize); break;
    case TCGETS: out = 36; break;           /* the kernel's struct termios */
    case TCSETS: case TCSETSW: case TCSETSF: in = 36; break;
    case TIOCGPGRP: case TIOCGSID: case FIONREAD: out = sizeof(int); break;
    case FIONBIO: case TIOCSPGRP: in = sizeof(int); break;
    case FIOCLEX: t->files->fd[(int)sc->a[0]].cloexec = true; return 0;
    case FIONCLEX: t->files->fd[(int)sc->a[0]].cloexec = false; return 0;
    default: {
        /* The host's block and loop devices take their own ioctls (syscalls/blockdev.c). */
        bool handled;
        int64_t r = blockdev_ioctl(t, hfd, req, sc->a[2], &handled);
        return handled ? r : -ENOTTY;
    }
    }
    memset(&u, 0, sizeof u);
    if (in && guest_read(t->as, sc->a[2], &u, in)) return -EFAULT;
    struct open_file *f = fd_get(t, (int)sc->a[0]);
    if (req == FIONBIO && f->internal) {
        /* A pipe's or socketpair's host descriptor never blocks: the guest's mode is
         * kept apart (as fcntl's F_SETFL does). */
        f->guest_nonblock = u.i != 0;
        return 0;
    }
    if (ioctl(hfd, req, &u) < 0) return -errno;
    if (out && guest_write(t->as, sc->a[2], &u, out)) return -EFAULT;
    return 0;
}

/* ---- how arguments print ---- */

/* In strace's order (which is not the order of the bits). */
static const struct flag_name open_flag_names[] = {
    { O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" }, { O_TRUNC, "O_TRUNC" },
    { O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" }, { O_SYNC, "O_SYNC" }, { O_DSYNC, "O_DSYNC" },
    { O_ASYNC, "O_ASYNC" }, { O_DIRECT, "O_DIRECT" }, { 0100000, "O_LARGEFILE" }, { O_NOFOLLOW, "O_NOFOLLOW" },
    { O_NOATIME, "O_NOATIME" }, { O_CLOEXEC, "O_CLOEXEC" }, { O_PATH, "O_PATH" }, { O_TMPFILE, "O_TMPFILE" },
    { O_DIRECTORY, "O_DIRECTORY" }, { 0, NULL },
};

void sb_open_flags(struct strbuf *sb, uint64_t v)
{
    static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
    sb_puts(sb, acc[v & O_ACCMODE]);
    v &= ~(uint64_t)O_ACCMODE;
    if (v) { sb_putc(sb, '|'); sb_flags(sb, v, open_flag_names, NULL); }
}

static void fmt_open_flags(struct strbuf *sb, struct syscall *sc, int i) { sb_open_flags(sb, sc->a[i]); }

/* The mode prints only when the flags make the kernel look at it. */
static void fmt_open_mode(struct strbuf *sb, struct syscall *sc, int i)
{
    if ((sc->a[i - 1] & O_CREAT) || (sc->a[i - 1] & O_TMPFILE) == O_TMPFILE) sb_printf(sb, "%#03llo", (unsigned long long)sc->a[i]);
}

static void fmt_whence(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name w[] = { { SEEK_SET, "SEEK_SET" }, { SEEK_CUR, "SEEK_CUR" },
        { SEEK_END, "SEEK_END" }, { SEEK_DATA, "SEEK_DATA" }, { SEEK_HOLE, "SEEK_HOLE" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], w, "%#llx");
}

static void fmt_iov(struct strbuf *sb, struct syscall *sc, int i, bool out)
{
    struct task *t = sc->t;
    uint64_t cnt = sc->a[i + 1];
    if (out && sc->ret < 0) { fmt_ptr(sb, sc, i); return; }
    struct iovec iov;
    int64_t left = out ? sc->ret : INT64_MAX;
    sb_putc(sb, '[');
    for (uint64_t k = 0; k < cnt && k < IOV_MAX_GUEST; k++) {
        if (guest_read(t->as, sc->a[i] + k * sizeof iov, &iov, sizeof iov)) { sb_puts(sb, "..."); break; }
        if (k) sb_puts(sb, ", ");
        size_t show = iov.iov_len < (uint64_t)left ? iov.iov_len : (size_t)left;
        sb_puts(sb, "{iov_base=");
        if (iov.iov_base) sb_guest_bytes(sb, t, (uint64_t)iov.iov_base, show);
        else sb_puts(sb, "NULL");
        sb_printf(sb, ", iov_len=%zu}", iov.iov_len);
        left -= show;
    }
    sb_putc(sb, ']');
}
static void fmt_iov_in(struct strbuf *sb, struct syscall *sc, int i) { fmt_iov(sb, sc, i, false); }
static void fmt_iov_out(struct strbuf *sb, struct syscall *sc, int i) { fmt_iov(sb, sc, i, true); }

static void fmt_fcntl_cmd(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name c[] = { { F_DUPFD, "F_DUPFD" }, { F_GETFD, "F_GETFD" }, { F_SETFD, "F_SETFD" },
        { F_GETFL, "F_GETFL" }, { F_SETFL, "F_SETFL" }, { F_GETLK, "F_GETLK" }, { F_SETLK, "F_SETLK" },
        { F_SETLKW, "F_SETLKW" }, { F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC" }, { F_GETPIPE_SZ, "F_GETPIPE_SZ" },
        { F_SETPIPE_SZ, "F_SETPIPE_SZ" }, { F_OFD_GETLK, "F_OFD_GETLK" }, { F_OFD_SETLK, "F_OFD_SETLK" },
        { F_OFD_SETLKW, "F_OFD_SETLKW" }, { F_SETLEASE, "F_SETLEASE" }, { F_GETLEASE, "F_GETLEASE" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], c, "%#llx");
}

static void fmt_fcntl_arg(struct strbuf *sb, struct syscall *sc, int i)
{
    switch ((int)sc->a[i - 1]) {
    case F_GETFD: case F_GETFL: case F_GETPIPE_SZ: case F_GETLEASE: return;   /* strace shows no third argument */
    case F_SETLEASE: {
        int a = (int)sc->a[i];
        if (a == F_RDLCK) sb_puts(sb, "F_RDLCK"); else if (a == F_WRLCK) sb_puts(sb, "F_WRLCK");
        else if (a == F_UNLCK) sb_puts(sb, "F_UNLCK"); else fmt_int(sb, sc, i);
        return;
    }
    case F_SETFD: sb_puts(sb, sc->a[i] & FD_CLOEXEC ? "FD_CLOEXEC" : "0"); return;
    case F_SETFL: sb_open_flags(sb, sc->a[i]); return;
    case F_DUPFD: case F_DUPFD_CLOEXEC: case F_SETPIPE_SZ: fmt_int(sb, sc, i); return;
    default: fmt_ptr(sb, sc, i);
    }
}

static void ret_fcntl(struct strbuf *sb, struct syscall *sc)
{
    int cmd = (int)sc->a[1];
    if (cmd == F_GETFD) sb_printf(sb, "%s", sc->ret & FD_CLOEXEC ? "0x1 (flags FD_CLOEXEC)" : "0");
    else if (cmd == F_GETFL) { sb_printf(sb, "%#llx (flags ", (unsigned long long)sc->ret); sb_open_flags(sb, sc->ret); sb_putc(sb, ')'); }
    else sb_printf(sb, "%lld", (long long)sc->ret);
}

static void fmt_ioctl_req(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name r[] = { { TCGETS, "TCGETS" }, { TCSETS, "TCSETS" }, { TCSETSW, "TCSETSW" },
        { TCSETSF, "TCSETSF" }, { TIOCGWINSZ, "TIOCGWINSZ" }, { TIOCSWINSZ, "TIOCSWINSZ" },
        { TIOCGPGRP, "TIOCGPGRP" }, { TIOCSPGRP, "TIOCSPGRP" }, { TIOCGSID, "TIOCGSID" },
        { FIONREAD, "FIONREAD" }, { FIONBIO, "FIONBIO" }, { FIOCLEX, "FIOCLEX" }, { FIONCLEX, "FIONCLEX" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], r, "%#llx");
}

static void fmt_ioctl_arg(struct strbuf *sb, struct syscall *sc, int i)
{
    struct task *t = sc->t;
    if (sc->ret == 0 && sc->a[1] == TIOCGWINSZ) {
        struct winsize ws;
        if (!guest_read(t->as, sc->a[i], &ws, sizeof ws)) {
            sb_printf(sb, "{ws_row=%u, ws_col=%u, ws_xpixel=%u, ws_ypixel=%u}", ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);
            return;
        }
    }
    if (sc->a[1] == FIOCLEX || sc->a[1] == FIONCLEX) return;
    fmt_ptr(sb, sc, i);
}

const struct syscall_def fs_syscalls[] = {
    { SYS_read, "read", sys_read, 3, { IN(fmt_fd), OUT(fmt_buf_len_ret), IN(fmt_uint) }, NULL },
    { SYS_write, "write", sys_write, 3, { IN(fmt_fd), IN(fmt_buf_len_next), IN(fmt_uint) }, NULL },
    { SYS_pread64, "pread64", sys_pread64, 4, { IN(fmt_fd), OUT(fmt_buf_len_ret), IN(fmt_uint), IN(fmt_int) }, NULL },
    { SYS_pwrite64, "pwrite64", sys_pwrite64, 4, { IN(fmt_fd), IN(fmt_buf_len_next), IN(fmt_uint), IN(fmt_int) }, NULL },
    { SYS_readv, "readv", sys_readv, 3, { IN(fmt_fd), OUT(fmt_iov_out), IN(fmt_uint) }, NULL },
    { SYS_writev, "writev", sys_writev, 3, { IN(fmt_fd), IN(fmt_iov_in), IN(fmt_uint) }, NULL },
    { SYS_preadv, "preadv", sys_preadv, 4, { IN(fmt_fd), OUT(fmt_iov_out), IN(fmt_uint), IN(fmt_int) }, NULL },
    { SYS_pwritev, "pwritev", sys_pwritev, 4, { IN(fmt_fd), IN(fmt_iov_in), IN(fmt_uint), IN(fmt_int) }, NULL },
    { SYS_open, "open", sys_open, 3, { IN(fmt_path), IN(fmt_open_flags), IN(fmt_open_mode) }, NULL },
    { SYS_openat, "openat", sys_openat, 4, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_open_flags), IN(fmt_open_mode) }, NULL },
    { SYS_creat, "creat", sys_creat, 2, { IN(fmt_path), IN(fmt_octal) }, NULL },
    { SYS_close, "close", sys_close, 1, { IN(fmt_fd) }, NULL },
    { SYS_lseek, "lseek", sys_lseek, 3, { IN(fmt_fd), IN(fmt_int), IN(fmt_whence) }, NULL },
    { SYS_dup, "dup", sys_dup, 1, { IN(fmt_fd) }, NULL },
    { SYS_dup2, "dup2", sys_dup2, 2, { IN(fmt_fd), IN(fmt_fd) }, NULL },
    { SYS_dup3, "dup3", sys_dup3, 3, { IN(fmt_fd), IN(fmt_fd), IN(fmt_open_flags) }, NULL },
    { SYS_fcntl, "fcntl", sys_fcntl, 3, { IN(fmt_fd), IN(fmt_fcntl_cmd), IN(fmt_fcntl_arg) }, ret_fcntl },
    { SYS_ioctl, "ioctl", sys_ioctl, 3, { IN(fmt_fd), IN(fmt_ioctl_req), OUT(fmt_ioctl_arg) }, NULL },
    { SYS_sendfile, "sendfile", sys_sendfile, 4, { IN(fmt_fd), IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_copy_file_range, "copy_file_range", sys_copy_file_range, 6, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint), IN(fmt_uint) }, NULL },
    { SYS_getdents64, "getdents64", sys_getdents64, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_ftruncate, "ftruncate", sys_ftruncate, 2, { IN(fmt_fd), IN(fmt_int) }, NULL },
    { SYS_fallocate, "fallocate", sys_fallocate, 4, { IN(fmt_fd), IN(fmt_falloc_mode), IN(fmt_int), IN(fmt_int) }, NULL },
    { SYS_fsync, "fsync", sys_fsync, 1, { IN(fmt_fd) }, NULL },
    { SYS_fdatasync, "fdatasync", sys_fdatasync, 1, { IN(fmt_fd) }, NULL },
    { SYS_fadvise64, "fadvise64", sys_fadvise64, 4, { IN(fmt_fd), IN(fmt_int), IN(fmt_int), IN(fmt_fadvice) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
