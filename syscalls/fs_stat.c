/* Path-based file-system calls: stat and friends, readlink, access, the working
 * directory, creating, linking, renaming and removing names, permissions, owners,
 * times, truncate, statfs, umask and mknod.
 *
 * Guest files are host files. A guest path is resolved the way the kernel would for
 * the guest: a relative path against the guest's dirfd argument (AT_FDCWD is the
 * guest's own working directory, a host O_PATH descriptor), an absolute path as is,
 * never against the emulator's own working directory. Every call goes to the host
 * as the raw *at() system call, so the host kernel does the checking and answers
 * with the same errors the guest's kernel would.
 *
 * /proc paths that name the guest itself are rewritten to what they name for the
 * guest: /proc/self/exe is the guest's program (not uniemu), /proc/self/cwd the
 * guest's working directory, and /proc/self/fd/N the host descriptor behind guest
 * fd N (the host numbers differ from the guest's). */
#include "syscalls/syscall.h"
#include "syscalls/cred.h"
#include "syscalls/locks.h"
#include "syscalls/fdtable.h"
#include "syscalls/procfs.h"
#include "syscalls/ftimes.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <sys/xattr.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>


#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif
#define AT_RECURSIVE_ 0x8000         /* not in every libc's headers */
#define AT_STATX_SYNC_TYPE_ 0x6000

static int64_t host_ret(long r) { return r < 0 ? -errno : r; }

/* ---- guest paths to host paths ---- */

enum follow {
    RAW,        /* the name itself is the object (unlink, mkdir, rename): no rewriting */
    FOLLOW,     /* a final symlink is followed: /proc/self/exe is the guest's program */
    NOFOLLOW,   /* the final symlink itself: /proc/self/exe is a symlink */
    READLINK,   /* NOFOLLOW, for reading the link: /proc/self/cwd must give the guest's */
};

#define PATH_EMPTY_OK 1   /* AT_EMPTY_PATH given: "" names the dirfd itself */
#define PATH_NULL_OK  2   /* with PATH_EMPTY_OK, a NULL path means "" (Linux 6.11) */

#define PATH_MODIFY   4   /* the call changes the object (chmod, chown, times, truncate) */

struct hpath {
    int dirfd;            /* host dirfd for *at(); AT_FDCWD when path is absolute */
    const char *path;     /* host path, relative to dirfd */
    bool exe;             /* the guest named its own program through /proc */
    bool model;           /* a node of the guest's /proc (pn) */
    struct proc_node pn;
    char guest[PATH_MAX];
    char host[PATH_MAX + 32];
};

/* A guest /proc path (syscalls/procfs.c) to the host path standing in for it: a stat of
 * uniemu's own /proc/self entry of the same name, or what a link leads to. */
static int proc_translate(struct task *t, struct hpath *hp, const char *abs, enum follow how, unsigned opts)
{
    int rc = procfs_resolve(t, abs, how == FOLLOW, &hp->pn);
    if (rc) return rc;
    hp->dirfd = AT_FDCWD;
    hp->path = hp->host;
    if (hp->pn.kind == PK_PASS) {
        snprintf(hp->host, sizeof hp->host, "%s", abs);
        return 0;
    }
    /* Nothing under /proc/PID is made, removed or changed by path. */
    if (how == RAW || (opts & PATH_MODIFY)) return how == RAW ? -EACCES : -EPERM;
    hp->model = true;
    hp->exe = hp->pn.kind == PK_EXE && !*hp->pn.tail;
    return procfs_stat_path(t, &hp->pn, how == FOLLOW, hp->host, sizeof hp->host);
}

int proc_host_path(struct task *t, const char *guest, char *out, size_t n)
{
    char abs[PATH_MAX];
    int rc = procfs_guest_path(t, AT_FDCWD, guest, abs);
    if (rc <= 0) return rc < 0 ? rc : 1;
    struct proc_node pn;
    rc = procfs_resolve(t, abs, true, &pn);
    if (rc) return rc;
    if (pn.kind == PK_PASS) { snprintf(out, n, "%s", abs); return 0; }
    /* Only the links lead to something that is not made up from guest state. */
    if (pn.kind != PK_FD && pn.kind != PK_CWD && pn.kind != PK_EXE && pn.kind != PK_ROOT) return -EACCES;
    return procfs_follow_path(&pn, out, n);
}

/* Copies in the guest path at addr and finds the host (dirfd, path) naming the same
 * file, with the kernel's order of errors: a bad pointer or overlong path, then an
 * empty path (ENOENT unless PATH_EMPTY_OK), then a bad dirfd (only looked at for a
 * relative path). A path into /proc, however it gets there, goes through the guest's
 * /proc model. */
static int hpath_get(struct task *t, int gdirfd, uint64_t addr, unsigned opts, enum follow how,
                     struct hpath *hp)
{
    hp->exe = false;
    hp->model = false;
    if (!addr && (opts & PATH_NULL_OK) && (opts & PATH_EMPTY_OK)) {
        hp->guest[0] = 0;
    } else {
        int rc = path_in(t, addr, hp->guest);
        if (rc) return rc;
    }
    hp->path = hp->guest;
    if (hp->guest[0] == '/') {
        hp->dirfd = AT_FDCWD;
    } else {
        if (!hp->guest[0] && !(opts & PATH_EMPTY_OK)) return -ENOENT;
        hp->dirfd = at_dirfd(t, gdirfd);
        if (hp->dirfd < 0) return hp->dirfd;
        if (!hp->guest[0]) return 0;
    }
    char abs[PATH_MAX];
    int rc = procfs_guest_path(t, gdirfd, hp->guest, abs);
    if (rc == 0 && how != RAW) rc = procfs_host_check(t, hp->dirfd, hp->guest, how != FOLLOW, abs);
    if (rc <= 0) return rc;
    return proc_translate(t, hp, abs, how, opts);
}

static enum follow follow_unless(int flags, int nofollow_flag)
{
    return (flags & nofollow_flag) ? NOFOLLOW : FOLLOW;
}

/* ---- stat ---- */

static int64_t do_fstatat(struct syscall *sc, int dirfd, uint64_t path, uint64_t buf, int flags)
{
    struct task *t = sc->t;
    struct hpath hp;
    int rc = hpath_get(t, dirfd, path, (flags & AT_EMPTY_PATH) ? PATH_EMPTY_OK | PATH_NULL_OK : 0,
                       follow_unless(flags, AT_SYMLINK_NOFOLLOW), &hp);
    if (rc) return rc;
    struct stat st;
    if (syscall(SYS_newfstatat, hp.dirfd, hp.path, &st, flags) < 0) return -errno;
    ftimes_fix_stat(&st);
    if (!hp.path[0] && dirfd >= 0) {
        internal_stat_fix(fd_get(t, dirfd), &st);
        struct proc_file *pf = procfs_file(hp.dirfd);
        if (pf) procfs_fstat_fix(pf, &st);
    }
    return guest_write(t->as, buf, &st, sizeof st) ? -EFAULT : 0;
}

static int64_t sys_stat(struct syscall *sc) { return do_fstatat(sc, AT_FDCWD, sc->a[0], sc->a[1], 0); }
/* lstat of /proc/self/exe stats the host's /proc/self/exe link: a symlink like the
 * guest's, though its inode, owner and times are uniemu's /proc entry's. */
static int64_t sys_lstat(struct syscall *sc) { return do_fstatat(sc, AT_FDCWD, sc->a[0], sc->a[1], AT_SYMLINK_NOFOLLOW); }
static int64_t sys_newfstatat(struct syscall *sc) { return do_fstatat(sc, (int)sc->a[0], sc->a[1], sc->a[2], (int)sc->a[3]); }

static int64_t sys_fstat(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    struct stat st;
    if (fstat(hfd, &st) < 0) return -errno;
    ftimes_fix_stat(&st);
    internal_stat_fix(fd_get(sc->t, (int)sc->a[0]), &st);
    struct proc_file *pf = procfs_file(hfd);
    if (pf) procfs_fstat_fix(pf, &st);
    return guest_write(sc->t->as, sc->a[1], &st, sizeof st) ? -EFAULT : 0;
}

static int64_t sys_statx(struct syscall *sc)
{
    struct task *t = sc->t;
    int flags = (int)sc->a[2];
    struct hpath hp;
    int rc = hpath_get(t, (int)sc->a[0], sc->a[1], (flags & AT_EMPTY_PATH) ? PATH_EMPTY_OK | PATH_NULL_OK : 0,
                       follow_unless(flags, AT_SYMLINK_NOFOLLOW), &hp);
    if (rc) return rc;
    struct statx stx;
    if (syscall(SYS_statx, hp.dirfd, hp.path, flags, (unsigned)sc->a[3], &stx) < 0) return -errno;
    ftimes_fix_statx(&stx);
    if (!hp.path[0] && (int)sc->a[0] >= 0) internal_statx_fix(fd_get(t, (int)sc->a[0]), &stx);
    return guest_write(t->as, sc->a[4], &stx, sizeof stx) ? -EFAULT : 0;
}

/* ---- readlink ---- */

static int64_t do_readlinkat(struct syscall *sc, int dirfd, uint64_t path, uint64_t buf, uint64_t size)
{
    struct task *t = sc->t;
    int bufsiz = (int)size;
    if (bufsiz <= 0) return -EINVAL;
    struct hpath hp;
    int rc = hpath_get(t, dirfd, path, PATH_EMPTY_OK, READLINK, &hp);
    if (rc) return rc;
    char tmp[PATH_MAX];
    size_t cap = (size_t)bufsiz < sizeof tmp ? (size_t)bufsiz : sizeof tmp;
    /* A /proc link of the guest's is read from the guest's objects (exe: the guest's
     * program, cut to the buffer, no NUL, as Linux does); past one (a tail), the host
     * path it leads to is read. */
    if (hp.model && (hp.pn.kind == PK_SELF_LINK || !*hp.pn.tail)) {
        int n = procfs_readlink(t, &hp.pn, tmp, cap);
        if (n < 0) return n;
        return guest_write(t->as, buf, tmp, n) ? -EFAULT : n;
    }
    ssize_t n = readlinkat(hp.dirfd, hp.path, tmp, cap);
    if (n < 0) return -errno;
    return guest_write(t->as, buf, tmp, n) ? -EFAULT : n;
}

static int64_t sys_readlink(struct syscall *sc) { return do_readlinkat(sc, AT_FDCWD, sc->a[0], sc->a[1], sc->a[2]); }
static int64_t sys_readlinkat(struct syscall *sc) { return do_readlinkat(sc, (int)sc->a[0], sc->a[1], sc->a[2], sc->a[3]); }

/* ---- access ---- */

static int64_t do_faccessat(struct syscall *sc, int dirfd, uint64_t path, uint64_t mode, int flags, bool has_flags)
{
    if (mode & ~(uint64_t)(R_OK | W_OK | X_OK)) return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    (void)has_flags;
    /* The real ids decide, unless AT_EACCESS: the host thread takes them as its file
     * ids (syscalls/cred.c) and the host checks with AT_EACCESS. */
    if (!(flags & AT_EACCESS)) cred_enter_access(sc->t->proc);
    struct hpath hp;
    int rc = hpath_get(sc->t, dirfd, path, (flags & AT_EMPTY_PATH) ? PATH_EMPTY_OK : 0,
                       follow_unless(flags, AT_SYMLINK_NOFOLLOW), &hp);
    if (rc) return rc;
    return host_ret(syscall(SYS_faccessat2, hp.dirfd, hp.path, (int)mode, flags | AT_EACCESS));
}

static int64_t sys_access(struct syscall *sc) { return do_faccessat(sc, AT_FDCWD, sc->a[0], sc->a[1], 0, false); }
static int64_t sys_faccessat(struct syscall *sc) { return do_faccessat(sc, (int)sc->a[0], sc->a[1], sc->a[2], 0, false); }
static int64_t sys_faccessat2(struct syscall *sc) { return do_faccessat(sc, (int)sc->a[0], sc->a[1], sc->a[2], (int)sc->a[3], true); }

/* ---- the working directory ---- */

static int64_t sys_getcwd(struct syscall *sc)
{
    struct task *t = sc->t;
    struct stat st;
    /* A removed working directory has no path: Linux answers ENOENT. */
    if (fstat(t->fs->cwd_fd, &st) == 0 && st.st_nlink == 0) return -ENOENT;
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", t->fs->cwd_fd);
    ssize_t n = readlink(link, buf, sizeof buf);
    if (n < 0) return -errno;
    if ((size_t)n >= sizeof buf) return -ENAMETOOLONG;
    buf[n] = 0;
    uint64_t len = (uint64_t)n + 1;          /* the kernel counts the NUL */
    if (sc->a[1] < len) return -ERANGE;
    return guest_write(t->as, sc->a[0], buf, len) ? -EFAULT : (int64_t)len;
}

/* Makes host descriptor fd (a directory) the guest's working directory. */
static int64_t set_cwd(struct task *t, int fd)
{
    /* chdir needs search permission on the directory itself, which an O_PATH open
     * does not check. */
    if (syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) < 0 && errno == EACCES) {
        close(fd);
        return -EACCES;
    }
    int old = t->fs->cwd_fd;
    t->fs->cwd_fd = fd;
    if (old >= 0) close(old);
    return 0;
}

static int64_t sys_chdir(struct syscall *sc)
{
    struct hpath hp;
    int rc = hpath_get(sc->t, AT_FDCWD, sc->a[0], 0, FOLLOW, &hp);
    if (rc) return rc;
    /* A /proc/PID directory: the model's stand-in, never uniemu's own /proc entry. */
    if (hp.model && hp.pn.kind != PK_FD && hp.pn.kind != PK_CWD && hp.pn.kind != PK_ROOT) {
        int fd = procfs_open(sc->t, &hp.pn, O_PATH | O_DIRECTORY, 0);
        return fd < 0 ? fd : set_cwd(sc->t, fd);
    }
    int fd = openat(hp.dirfd, hp.path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    return set_cwd(sc->t, fd);
}

static int64_t sys_fchdir(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    struct stat st;
    if (fstat(hfd, &st) < 0) return -errno;
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    int fd = fcntl(hfd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return -errno;
    return set_cwd(sc->t, fd);
}

static int64_t sys_umask(struct syscall *sc)
{
    unsigned old = sc->t->fs->umask;
    sc->t->fs->umask = (unsigned)sc->a[0] & 0777;
    return old;
}

/* ---- making and removing names ---- */

/* A new inode under hp's name: its times are now, and its directory's mtime/ctime. */
static void made_name(const struct hpath *hp)
{
    ftimes_path(hp->dirfd, hp->path, false, FT_NEW);
    ftimes_parent(hp->dirfd, hp->path);
}

/* The host's lstat of a name about to go (unlink, rmdir, rename over it); false when
 * there is none. */
static bool victim_stat(const struct hpath *hp, struct stat *st)
{
    return syscall(SYS_newfstatat, hp->dirfd, hp->path, st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int64_t do_mkdirat(struct syscall *sc, int dirfd, uint64_t path, uint64_t mode)
{
    struct hpath hp;
    int rc = hpath_get(sc->t, dirfd, path, 0, RAW, &hp);
    if (rc) return rc;
    unsigned m = (uint16_t)mode & ~sc->t->fs->umask;
    if (syscall(SYS_mkdirat, hp.dirfd, hp.path, m) < 0) return -errno;
    made_name(&hp);
    return 0;
}

static int64_t sys_mkdir(struct syscall *sc) { return do_mkdirat(sc, AT_FDCWD, sc->a[0], sc->a[1]); }
static int64_t sys_mkdirat(struct syscall *sc) { return do_mkdirat(sc, (int)sc->a[0], sc->a[1], sc->a[2]); }

/* Files, FIFOs, sockets and device nodes, made by the host with the guest's
 * credentials: a guest with CAP_MKNOD (root) makes a device node as root does (LTP's
 * statx01 reads one's stx_rdev), one without gets the kernel's EPERM, as with mount. */
static int64_t do_mknodat(struct syscall *sc, int dirfd, uint64_t path, uint64_t mode_arg, uint64_t dev)
{
    unsigned mode = (uint16_t)mode_arg;      /* umode_t */
    switch (mode & S_IFMT) {
    case 0: mode |= S_IFREG; break;
    case S_IFREG: case S_IFIFO: case S_IFCHR: case S_IFBLK: case S_IFSOCK: break;
    case S_IFDIR: return -EPERM;
    default: return -EINVAL;
    }
    struct hpath hp;
    int rc = hpath_get(sc->t, dirfd, path, 0, RAW, &hp);
    if (rc) return rc;
    mode = (mode & S_IFMT) | (mode & 07777 & ~sc->t->fs->umask);
    if (syscall(SYS_mknodat, hp.dirfd, hp.path, mode, (unsigned)dev) < 0) return -errno;
    made_name(&hp);
    return 0;
}

static int64_t sys_mknod(struct syscall *sc) { return do_mknodat(sc, AT_FDCWD, sc->a[0], sc->a[1], sc->a[2]); }
static int64_t sys_mknodat(struct syscall *sc) { return do_mknodat(sc, (int)sc->a[0], sc->a[1], sc->a[2], sc->a[3]); }

static int64_t do_unlinkat(struct syscall *sc, int dirfd, uint64_t path, int flags)
{
    if (flags & ~AT_REMOVEDIR) return -EINVAL;
    struct hpath hp;
    int rc = hpath_get(sc->t, dirfd, path, 0, RAW, &hp);
    if (rc) return rc;
    struct stat victim;
    bool had = victim_stat(&hp, &victim);
    if (syscall(SYS_unlinkat, hp.dirfd, hp.path, flags) < 0) return -errno;
    if (had) ftimes_unlinked(&victim);
    ftimes_parent(hp.dirfd, hp.path);
    return 0;
}

static int64_t sys_unlink(struct syscall *sc) { return do_unlinkat(sc, AT_FDCWD, sc->a[0], 0); }
static int64_t sys_rmdir(struct syscall *sc) { return do_unlinkat(sc, AT_FDCWD, sc->a[0], AT_REMOVEDIR); }
static int64_t sys_unlinkat(struct syscall *sc) { return do_unlinkat(sc, (int)sc->a[0], sc->a[1], (int)sc->a[2]); }

static int64_t do_renameat2(struct syscall *sc, int olddir, uint64_t oldp, int newdir, uint64_t newp, unsigned flags)
{
    if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -EINVAL;
    if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE)) return -EINVAL;
    struct hpath from, to;
    int rc = hpath_get(sc->t, olddir, oldp, 0, RAW, &from);
    if (rc) return rc;
    rc = hpath_get(sc->t, newdir, newp, 0, RAW, &to);
    if (rc) return rc;
    struct stat victim;
    bool had = !(flags & RENAME_EXCHANGE) && victim_stat(&to, &victim);
    if (syscall(SYS_renameat2, from.dirfd, from.path, to.dirfd, to.path, flags) < 0) return -errno;
    struct stat moved;
    if (had && !(victim_stat(&to, &moved) && moved.st_ino == victim.st_ino && moved.st_dev == victim.st_dev))
        ftimes_unlinked(&victim);   /* not a rename onto another name of itself */
    /* The moved inode's ctime (both, for an exchange), then both directories. */
    ftimes_path(to.dirfd, to.path, false, FT_C);
    if (flags & RENAME_EXCHANGE) ftimes_path(from.dirfd, from.path, false, FT_C);
    ftimes_parent(from.dirfd, from.path);
    ftimes_parent(to.dirfd, to.path);
    return 0;
}

static int64_t sys_rename(struct syscall *sc) { return do_renameat2(sc, AT_FDCWD, sc->a[0], AT_FDCWD, sc->a[1], 0); }
static int64_t sys_renameat(struct syscall *sc) { return do_renameat2(sc, (int)sc->a[0], sc->a[1], (int)sc->a[2], sc->a[3], 0); }
static int64_t sys_renameat2(struct syscall *sc) { return do_renameat2(sc, (int)sc->a[0], sc->a[1], (int)sc->a[2], sc->a[3], (unsigned)sc->a[4]); }

static int64_t do_linkat(struct syscall *sc, int olddir, uint64_t oldp, int newdir, uint64_t newp, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    struct hpath from, to;
    /* The source is looked up (linkat(AT_FDCWD, "/proc/self/fd/N", ..., AT_SYMLINK_FOLLOW)
     * is how an O_TMPFILE file gets a name), the new name is not. */
    int rc = hpath_get(sc->t, olddir, oldp, (flags & AT_EMPTY_PATH) ? PATH_EMPTY_OK : 0,
                       (flags & AT_SYMLINK_FOLLOW) ? FOLLOW : NOFOLLOW, &from);
    if (rc) return rc;
    rc = hpath_get(sc->t, newdir, newp, 0, RAW, &to);
    if (rc) return rc;
    if (syscall(SYS_linkat, from.dirfd, from.path, to.dirfd, to.path, flags) < 0) return -errno;
    ftimes_path(to.dirfd, to.path, false, FT_C);
    ftimes_parent(to.dirfd, to.path);
    return 0;
}

static int64_t sys_link(struct syscall *sc) { return do_linkat(sc, AT_FDCWD, sc->a[0], AT_FDCWD, sc->a[1], 0); }
static int64_t sys_linkat(struct syscall *sc) { return do_linkat(sc, (int)sc->a[0], sc->a[1], (int)sc->a[2], sc->a[3], (int)sc->a[4]); }

static int64_t do_symlinkat(struct syscall *sc, uint64_t target_p, int newdir, uint64_t newp)
{
    char target[PATH_MAX];
    int rc = path_in(sc->t, target_p, target);   /* the target is stored as text, never resolved */
    if (rc) return rc;
    if (!target[0]) return -ENOENT;
    struct hpath to;
    rc = hpath_get(sc->t, newdir, newp, 0, RAW, &to);
    if (rc) return rc;
    if (syscall(SYS_symlinkat, target, to.dirfd, to.path) < 0) return -errno;
    made_name(&to);
    return 0;
}

static int64_t sys_symlink(struct syscall *sc) { return do_symlinkat(sc, sc->a[0], AT_FDCWD, sc->a[1]); }
static int64_t sys_symlinkat(struct syscall *sc) { return do_symlinkat(sc, sc->a[0], (int)sc->a[1], sc->a[2]); }

/* ---- permissions and owners ---- */

static int64_t do_fchmodat(struct syscall *sc, int dirfd, uint64_t path, uint64_t mode, int flags, bool has_flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    struct hpath hp;
    int rc = hpath_get(sc->t, dirfd, path, PATH_MODIFY | ((flags & AT_EMPTY_PATH) ? PATH_EMPTY_OK : 0),
                       follow_unless(flags, AT_SYMLINK_NOFOLLOW), &hp);
    if (rc) return rc;
    long r = has_flags ? syscall(SYS_fchmodat2, hp.dirfd, hp.path, (unsigned)(uint16_t)mode, flags)
                       : syscall(SYS_fchmodat, hp.dirfd, hp.path, (unsigned)(uint16_t)mode);
    if (r < 0) return -errno;
    ftimes_path(hp.dirfd, hp.path, !(flags & AT_SYMLINK_NOFOLLOW), FT_C);
    return 0;
}

static int64_t sys_chmod(struct syscall *sc) { return do_fchmodat(sc, AT_FDCWD, sc->a[0], sc->a[1], 0, false); }
static int64_t sys_fchmodat(struct syscall *sc) { return do_fchmodat(sc, (int)sc->a[0], sc->a[1], sc->a[2], 0, false); }
static int64_t sys_fchmodat2(struct syscall *sc) { return do_fchmodat(sc, (int)sc->a[0], sc->a[1], sc->a[2], (int)sc->a[3], true); }

static int64_t sys_fchmod(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    if (syscall(SYS_fchmod, hfd, (unsigned)(uint16_t)sc->a[1]) < 0) return -errno;
    ftimes_file(fd_get(sc->t, (int)sc->a[0]), FT_C);
    return 0;
}

static int64_t do_fchownat(struct syscall *sc, int dirfd, uint64_t path, uint64_t uid, uint64_t gid, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    struct hpath hp;
    int rc = hpath_get(sc->t, dirfd, path, PATH_MODIFY | ((flags & AT_EMPTY_PATH) ? PATH_EMPTY_OK : 0),
                       follow_unless(flags, AT_SYMLINK_NOFOLLOW), &hp);
    if (rc) return rc;
    if (syscall(SYS_fchownat, hp.dirfd, hp.path, (unsigned)uid, (unsigned)gid, flags) < 0) return -errno;
    ftimes_path(hp.dirfd, hp.path, !(flags & AT_SYMLINK_NOFOLLOW), FT_C);
    return 0;
}

static int64_t sys_chown(struct syscall *sc) { return do_fchownat(sc, AT_FDCWD, sc->a[0], sc->a[1], sc->a[2], 0); }
static int64_t sys_lchown(struct syscall *sc) { return do_fchownat(sc, AT_FDCWD, sc->a[0], sc->a[1], sc->a[2], AT_SYMLINK_NOFOLLOW); }
static int64_t sys_fchownat(struct syscall *sc) { return do_fchownat(sc, (int)sc->a[0], sc->a[1], sc->a[2], sc->a[3], (int)sc->a[4]); }

static int64_t sys_fchown(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    if (syscall(SYS_fchown, hfd, (unsigned)sc->a[1], (unsigned)sc->a[2]) < 0) return -errno;
    ftimes_file(fd_get(sc->t, (int)sc->a[0]), FT_C);
    return 0;
}

/* ---- times ---- */

/* ts is NULL (now) or two timespecs already copied in. A NULL path names the dirfd
 * itself (Linux's utimensat and futimesat extension). */
static int64_t do_utimes(struct syscall *sc, int dirfd, uint64_t path, const struct timespec *ts, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    if (!path) {
        if (dirfd == AT_FDCWD) return -EFAULT;
        int hfd = fd_host(sc->t, dirfd);
        if (hfd < 0) return hfd;
        if (syscall(SYS_utimensat, hfd, NULL, ts, flags) < 0) return -errno;
        ftimes_utimens(hfd, NULL, true, ts);
        return 0;
    }
    struct hpath hp;
    int rc = hpath_get(sc->t, dirfd, path, PATH_MODIFY | ((flags & AT_EMPTY_PATH) ? PATH_EMPTY_OK : 0),
                       follow_unless(flags, AT_SYMLINK_NOFOLLOW), &hp);
    if (rc) return rc;
    if (syscall(SYS_utimensat, hp.dirfd, hp.path, ts, flags) < 0) return -errno;
    ftimes_utimens(hp.dirfd, hp.path, !(flags & AT_SYMLINK_NOFOLLOW), ts);
    return 0;
}

static int64_t sys_utimensat(struct syscall *sc)
{
    struct timespec ts[2];
    if (sc->a[2] && guest_read(sc->t->as, sc->a[2], ts, sizeof ts)) return -EFAULT;
    return do_utimes(sc, (int)sc->a[0], sc->a[1], sc->a[2] ? ts : NULL, (int)sc->a[3]);
}

static int64_t do_futimesat(struct syscall *sc, int dirfd, uint64_t path, uint64_t tvp)
{
    struct timeval tv[2];
    struct timespec ts[2];
    if (tvp) {
        if (guest_read(sc->t->as, tvp, tv, sizeof tv)) return -EFAULT;
        for (int k = 0; k < 2; k++) {
            if (tv[k].tv_usec < 0 || tv[k].tv_usec >= 1000000) return -EINVAL;
            ts[k].tv_sec = tv[k].tv_sec;
            ts[k].tv_nsec = tv[k].tv_usec * 1000;
        }
    }
    return do_utimes(sc, dirfd, path, tvp ? ts : NULL, 0);
}

static int64_t sys_utimes(struct syscall *sc) { return do_futimesat(sc, AT_FDCWD, sc->a[0], sc->a[1]); }
static int64_t sys_futimesat(struct syscall *sc) { return do_futimesat(sc, (int)sc->a[0], sc->a[1], sc->a[2]); }

static int64_t sys_utime(struct syscall *sc)
{
    struct { int64_t actime, modtime; } ub;
    struct timespec ts[2];
    if (sc->a[1]) {
        if (guest_read(sc->t->as, sc->a[1], &ub, sizeof ub)) return -EFAULT;
        ts[0].tv_sec = ub.actime; ts[0].tv_nsec = 0;
        ts[1].tv_sec = ub.modtime; ts[1].tv_nsec = 0;
    }
    return do_utimes(sc, AT_FDCWD, sc->a[0], sc->a[1] ? ts : NULL, 0);
}

/* ---- truncate, statfs ---- */

/* Calls without an *at() form reach a relative path through an O_PATH descriptor of
 * it and its /proc/self/fd link, which the host kernel follows to the file itself. */
static int64_t sys_truncate(struct syscall *sc)
{
    if ((int64_t)sc->a[1] < 0) return -EINVAL;
    struct hpath hp;
    int rc = hpath_get(sc->t, AT_FDCWD, sc->a[0], PATH_MODIFY, FOLLOW, &hp);
    if (rc) return rc;
    int64_t lr = locks_break_lease(sc->t, hp.dirfd, hp.path, O_WRONLY);   /* as an open for writing */
    if (lr) return lr == -EWOULDBLOCK ? -EAGAIN : lr;
    if (hp.dirfd == AT_FDCWD) {
        if (truncate(hp.path, (off_t)sc->a[1]) < 0) return -errno;
        ftimes_path(AT_FDCWD, hp.path, true, FT_M | FT_C);
        return 0;
    }
    int fd = openat(hp.dirfd, hp.path, O_PATH | O_CLOEXEC);
    if (fd < 0) return -errno;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int64_t r = host_ret(truncate(link, (off_t)sc->a[1]));
    if (r == 0) ftimes_path(fd, "", true, FT_M | FT_C);
    close(fd);
    return r;
}

static int64_t sys_statfs(struct syscall *sc)
{
    struct hpath hp;
    int rc = hpath_get(sc->t, AT_FDCWD, sc->a[0], 0, FOLLOW, &hp);
    if (rc) return rc;
    struct statfs sf;
    if (hp.dirfd == AT_FDCWD) {
        if (statfs(hp.path, &sf) < 0) return -errno;
    } else {
        int fd = openat(hp.dirfd, hp.path, O_PATH | O_CLOEXEC);
        if (fd < 0) return -errno;
        int r = fstatfs(fd, &sf);
        int e = errno;
        close(fd);
        if (r < 0) return -e;
    }
    return guest_write(sc->t->as, sc->a[1], &sf, sizeof sf) ? -EFAULT : 0;
}

static int64_t sys_fstatfs(struct syscall *sc)
{
    int hfd = fd_host(sc->t, (int)sc->a[0]);
    if (hfd < 0) return hfd;
    struct statfs sf;
    if (fstatfs(hfd, &sf) < 0) return -errno;
    return guest_write(sc->t->as, sc->a[1], &sf, sizeof sf) ? -EFAULT : 0;
}

/* ---- how arguments print (strace 6.1) ---- */

/* strace's printflags(): names of set bits in table order, leftover bits in hex; a
 * zero value prints a zero-valued name if the table starts with one, else "0" when
 * there is a default; a value with no known bit gets the default as a comment. */
static void sb_xflags(struct strbuf *sb, uint64_t v, const struct flag_name *t, const char *dflt)
{
    unsigned n = 0;
    for (; t->name && (v || !n); t++) {
        if (v == t->val || (t->val && (v & t->val) == t->val)) {
            sb_printf(sb, "%s%s", n++ ? "|" : "", t->name);
            v &= ~t->val;
        }
        if (!v) break;
    }
    if (n) {
        if (v) sb_printf(sb, "|%#llx", (unsigned long long)v);
    } else if (v) {
        sb_printf(sb, "%#llx", (unsigned long long)v);
        if (dflt) sb_printf(sb, " /* %s */", dflt);
    } else if (dflt) {
        sb_putc(sb, '0');
    }
}

void sb_stat_mode(struct strbuf *sb, unsigned mode)
{
    static const struct flag_name types[] = {
        { S_IFREG, "S_IFREG" }, { S_IFSOCK, "S_IFSOCK" }, { S_IFIFO, "S_IFIFO" }, { S_IFLNK, "S_IFLNK" },
        { S_IFDIR, "S_IFDIR" }, { S_IFBLK, "S_IFBLK" }, { S_IFCHR, "S_IFCHR" }, { 0, NULL },
    };
    const char *ifmt = "";
    if (mode & S_IFMT) {
        ifmt = NULL;
        for (const struct flag_name *t = types; t->name; t++)
            if (t->val == (mode & S_IFMT)) ifmt = t->name;
    }
    if (!ifmt) { sb_printf(sb, "%#03o", mode); return; }   /* not a file type: all in octal */
    sb_printf(sb, "%s%s%s%s%s%#03o", ifmt, ifmt[0] ? "|" : "",
              (mode & S_ISUID) ? "S_ISUID|" : "", (mode & S_ISGID) ? "S_ISGID|" : "",
              (mode & S_ISVTX) ? "S_ISVTX|" : "", mode & ~(unsigned)(S_IFMT | S_ISUID | S_ISGID | S_ISVTX));
}

static void sb_dev(struct strbuf *sb, uint64_t dev)
{
    sb_printf(sb, "makedev(%#x, %#x)", major(dev), minor(dev));
}

/* strace's time comment: local time, with the fraction when there is one; none for
 * zero or an out-of-range fraction. */
static void sb_time_comment(struct strbuf *sb, long long sec, unsigned long long part,
                            unsigned long long max_part, int width)
{
    if ((sec == 0 && part == 0) || part > max_part) return;
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!localtime_r(&tt, &tm)) return;
    char buf[128];
    size_t pos = strftime(buf, sizeof buf, "%FT%T", &tm);
    if (!pos) return;
    if (part) pos += snprintf(buf + pos, sizeof buf - pos, ".%0*llu", width, part);
    if (pos >= sizeof buf || !strftime(buf + pos, sizeof buf - pos, "%z", &tm)) return;
    sb_printf(sb, " /* %s */", buf);
}

static const struct flag_name at_flag_names[] = {
    { AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW" }, { AT_REMOVEDIR, "AT_REMOVEDIR" },
    { AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW" }, { AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT" },
    { AT_EMPTY_PATH, "AT_EMPTY_PATH" }, { AT_RECURSIVE_, "AT_RECURSIVE" }, { 0, NULL },
};

static void fmt_atflags(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_xflags(sb, (unsigned)sc->a[i], at_flag_names, "AT_???");
}

static void fmt_faccessat_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name f[] = {
        { AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW" }, { AT_EACCESS, "AT_EACCESS" },
        { AT_EMPTY_PATH, "AT_EMPTY_PATH" }, { 0, NULL },
    };
    sb_xflags(sb, (unsigned)sc->a[i], f, "AT_???");
}

static void fmt_access_mode(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name m[] = {
        { F_OK, "F_OK" }, { R_OK, "R_OK" }, { W_OK, "W_OK" }, { X_OK, "X_OK" }, { 0, NULL },
    };
    sb_xflags(sb, (unsigned)sc->a[i], m, "?_OK");
}

static void fmt_rename_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name f[] = {
        { RENAME_NOREPLACE, "RENAME_NOREPLACE" }, { RENAME_EXCHANGE, "RENAME_EXCHANGE" },
        { RENAME_WHITEOUT, "RENAME_WHITEOUT" }, { 0, NULL },
    };
    sb_xflags(sb, (unsigned)sc->a[i], f, "RENAME_??");
}

/* A umode_t argument (chmod, mkdir, umask): 16 bits, in octal. */
static void fmt_umode(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_printf(sb, "%#03o", (unsigned)(uint16_t)sc->a[i]);
}

static void ret_umask(struct strbuf *sb, struct syscall *sc)
{
    sb_printf(sb, "%#03llo", (unsigned long long)sc->ret);
}

static void fmt_mknod_mode(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_stat_mode(sb, (uint16_t)sc->a[i]);
}

/* The device number prints only for device nodes. */
static void fmt_mknod_dev(struct strbuf *sb, struct syscall *sc, int i)
{
    unsigned type = (uint16_t)sc->a[i - 1] & S_IFMT;
    if (type == S_IFCHR || type == S_IFBLK) sb_dev(sb, (uint32_t)sc->a[i]);
}

static void fmt_id(struct strbuf *sb, struct syscall *sc, int i)
{
    unsigned id = (unsigned)sc->a[i];
    if (id == (unsigned)-1) sb_puts(sb, "-1");
    else sb_printf(sb, "%u", id);
}

static void fmt_stat(struct strbuf *sb, struct syscall *sc, int i)
{
    struct stat st;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], &st, sizeof st)) { fmt_ptr(sb, sc, i); return; }
    sb_puts(sb, "{st_mode=");
    sb_stat_mode(sb, st.st_mode);
    switch (st.st_mode & S_IFMT) {
    case S_IFCHR: case S_IFBLK:
        sb_puts(sb, ", st_rdev=");
        sb_dev(sb, st.st_rdev);
        break;
    default:
        sb_printf(sb, ", st_size=%llu", (unsigned long long)st.st_size);
    }
    sb_puts(sb, ", ...}");
}

static const struct flag_name statx_mask_names[] = {
    { 0xfff, "STATX_ALL" }, { 0x7ff, "STATX_BASIC_STATS" },
    { 0x1, "STATX_TYPE" }, { 0x2, "STATX_MODE" }, { 0x4, "STATX_NLINK" }, { 0x8, "STATX_UID" },
    { 0x10, "STATX_GID" }, { 0x20, "STATX_ATIME" }, { 0x40, "STATX_MTIME" }, { 0x80, "STATX_CTIME" },
    { 0x100, "STATX_INO" }, { 0x200, "STATX_SIZE" }, { 0x400, "STATX_BLOCKS" }, { 0x800, "STATX_BTIME" },
    { 0x1000, "STATX_MNT_ID" }, { 0x2000, "STATX_DIOALIGN" }, { 0, NULL },
};

static void fmt_statx_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name sync[] = {
        { 0, "AT_STATX_SYNC_AS_STAT" }, { 0x2000, "AT_STATX_FORCE_SYNC" }, { 0x4000, "AT_STATX_DONT_SYNC" },
        { 0x6000, "AT_STATX_SYNC_TYPE" }, { 0, NULL },
    };
    unsigned flags = (unsigned)sc->a[i];
    sb_xflags(sb, flags & AT_STATX_SYNC_TYPE_, sync, NULL);
    flags &= ~AT_STATX_SYNC_TYPE_;
    if (flags) {
        sb_putc(sb, '|');
        sb_xflags(sb, flags, at_flag_names, NULL);
    }
}

static void fmt_statx_mask(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_xflags(sb, (unsigned)sc->a[i], statx_mask_names, "STATX_???");
}

static void fmt_statx(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name attrs[] = {
        { 0x4, "STATX_ATTR_COMPRESSED" }, { 0x10, "STATX_ATTR_IMMUTABLE" }, { 0x20, "STATX_ATTR_APPEND" },
        { 0x40, "STATX_ATTR_NODUMP" }, { 0x800, "STATX_ATTR_ENCRYPTED" }, { 0x1000, "STATX_ATTR_AUTOMOUNT" },
        { 0x2000, "STATX_ATTR_MOUNT_ROOT" }, { 0x100000, "STATX_ATTR_VERITY" }, { 0x200000, "STATX_ATTR_DAX" },
        { 0, NULL },
    };
    struct statx stx;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], &stx, sizeof stx)) { fmt_ptr(sb, sc, i); return; }
    sb_puts(sb, "{stx_mask=");
    sb_xflags(sb, stx.stx_mask, statx_mask_names, "STATX_???");
    sb_puts(sb, ", stx_attributes=");
    sb_xflags(sb, stx.stx_attributes, attrs, "STATX_ATTR_???");
    sb_puts(sb, ", stx_mode=");
    sb_stat_mode(sb, stx.stx_mode);
    sb_printf(sb, ", stx_size=%llu, ...}", (unsigned long long)stx.stx_size);
}

static void fmt_statfs(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name magic[] = {
        { 0x0000002f, "QNX4_SUPER_MAGIC" }, { 0x00000033, "Z3FOLD_MAGIC" }, { 0x00000187, "AUTOFS_SUPER_MAGIC" },
        { 0x00001373, "DEVFS_SUPER_MAGIC" }, { 0x0000137d, "EXT_SUPER_MAGIC" }, { 0x0000137f, "MINIX_SUPER_MAGIC" },
        { 0x0000138f, "MINIX_SUPER_MAGIC2" }, { 0x00001cd1, "DEVPTS_SUPER_MAGIC" }, { 0x00002468, "MINIX2_SUPER_MAGIC" },
        { 0x00002478, "MINIX2_SUPER_MAGIC2" }, { 0x00003434, "NILFS_SUPER_MAGIC" }, { 0x00004244, "HFS_SUPER_MAGIC" },
        { 0x0000482b, "HFSPLUS_SUPER_MAGIC" }, { 0x00004d44, "MSDOS_SUPER_MAGIC" }, { 0x00004d5a, "MINIX3_SUPER_MAGIC" },
        { 0x0000517b, "SMB_SUPER_MAGIC" }, { 0x0000564c, "NCP_SUPER_MAGIC" }, { 0x00005df5, "EXOFS_SUPER_MAGIC" },
        { 0x00006969, "NFS_SUPER_MAGIC" }, { 0x00007275, "ROMFS_MAGIC" }, { 0x000072b6, "JFFS2_SUPER_MAGIC" },
        { 0x00009660, "ISOFS_SUPER_MAGIC" }, { 0x00009fa0, "PROC_SUPER_MAGIC" }, { 0x00009fa1, "OPENPROM_SUPER_MAGIC" },
        { 0x00009fa2, "USBDEVICE_SUPER_MAGIC" }, { 0x0000adf5, "ADFS_SUPER_MAGIC" }, { 0x0000adff, "AFFS_SUPER_MAGIC" },
        { 0x0000ef51, "EXT2_OLD_SUPER_MAGIC" }, { 0x0000ef53, "EXT2_SUPER_MAGIC" }, { 0x0000f15f, "ECRYPTFS_SUPER_MAGIC" },
        { 0x00011954, "UFS_MAGIC" }, { 0x0027e0eb, "CGROUP_SUPER_MAGIC" }, { 0x00414a53, "EFS_SUPER_MAGIC" },
        { 0x00c0ffee, "HOSTFS_SUPER_MAGIC" }, { 0x00c36400, "CEPH_SUPER_MAGIC" }, { 0x01021994, "TMPFS_MAGIC" },
        { 0x01021997, "V9FS_MAGIC" }, { 0x01161970, "GFS2_MAGIC" }, { 0x012fd16d, "XIAFS_SUPER_MAGIC" },
        { 0x012ff7b4, "XENIX_SUPER_MAGIC" }, { 0x012ff7b5, "SYSV4_SUPER_MAGIC" }, { 0x012ff7b6, "SYSV2_SUPER_MAGIC" },
        { 0x012ff7b7, "COH_SUPER_MAGIC" }, { 0x02011994, "SHMFS_SUPER_MAGIC" }, { 0x09041934, "ANON_INODE_FS_MAGIC" },
        { 0x0bad1dea, "FUTEXFS_SUPER_MAGIC" }, { 0x11307854, "MTD_INODE_FS_MAGIC" }, { 0x13661366, "BALLOON_KVM_MAGIC" },
        { 0x15013346, "UDF_SUPER_MAGIC" }, { 0x1badface, "BFS_MAGIC" }, { 0x2011bab0, "EXFAT_SUPER_MAGIC" },
        { 0x24051905, "UBIFS_SUPER_MAGIC" }, { 0x28cd3d45, "CRAMFS_MAGIC" }, { 0x2fc12fc1, "ZFS_SUPER_MAGIC" },
        { 0x3153464a, "JFS_SUPER_MAGIC" }, { 0x42465331, "BEFS_SUPER_MAGIC" }, { 0x42494e4d, "BINFMTFS_MAGIC" },
        { 0x43415d53, "SMACK_MAGIC" }, { 0x444d4142, "DMA_BUF_MAGIC" }, { 0x453dcd28, "CRAMFS_MAGIC_WEND" },
        { 0x454d444d, "DEVMEM_MAGIC" }, { 0x47504653, "GPFS_SUPER_MAGIC" }, { 0x50495045, "PIPEFS_MAGIC" },
        { 0x52654973, "REISERFS_SUPER_MAGIC" }, { 0x5345434d, "SECRETMEM_MAGIC" }, { 0x5346414f, "AFS_SUPER_MAGIC" },
        { 0x5346544e, "NTFS_SB_MAGIC" }, { 0x534f434b, "SOCKFS_MAGIC" }, { 0x54190100, "UFS_CIGAM" },
        { 0x565a4653, "VZFS_SUPER_MAGIC" }, { 0x57ac6e9d, "STACK_END_MAGIC" }, { 0x58295829, "ZSMALLOC_MAGIC" },
        { 0x58465342, "XFS_SUPER_MAGIC" }, { 0x5a3c69f0, "AAFS_MAGIC" }, { 0x5a4f4653, "ZONEFS_MAGIC" },
        { 0x6165676c, "PSTOREFS_MAGIC" }, { 0x61756673, "AUFS_SUPER_MAGIC" }, { 0x62646576, "BDEVFS_MAGIC" },
        { 0x62656570, "CONFIGFS_MAGIC" }, { 0x62656572, "SYSFS_MAGIC" }, { 0x63677270, "CGROUP2_SUPER_MAGIC" },
        { 0x64626720, "DEBUGFS_MAGIC" }, { 0x64646178, "DAXFS_MAGIC" }, { 0x65735543, "FUSE_CTL_SUPER_MAGIC" },
        { 0x65735546, "FUSE_SUPER_MAGIC" }, { 0x68191122, "QNX6_SUPER_MAGIC" }, { 0x6b414653, "AFS_FS_MAGIC" },
        { 0x6c6f6f70, "BINDERFS_SUPER_MAGIC" }, { 0x6e736673, "NSFS_MAGIC" }, { 0x73636673, "SECURITYFS_MAGIC" },
        { 0x73717368, "SQUASHFS_MAGIC" }, { 0x73727279, "BTRFS_TEST_MAGIC" }, { 0x73757245, "CODA_SUPER_MAGIC" },
        { 0x7461636f, "OCFS2_SUPER_MAGIC" }, { 0x74726163, "TRACEFS_MAGIC" }, { 0x794c7630, "OVERLAYFS_SUPER_MAGIC" },
        { 0x858458f6, "RAMFS_MAGIC" }, { 0x9123683e, "BTRFS_SUPER_MAGIC" }, { 0x958458f6, "HUGETLBFS_MAGIC" },
        { 0xa501fcf5, "VXFS_SUPER_MAGIC" }, { 0xabba1974, "XENFS_SUPER_MAGIC" }, { 0xc7571590, "PPC_CMM_MAGIC" },
        { 0xc97e8168, "LOGFS_MAGIC" }, { 0xcafe4a11, "BPF_FS_MAGIC" }, { 0xde5e81e4, "EFIVARFS_MAGIC" },
        { 0xe0f5e1e2, "EROFS_SUPER_MAGIC_V1" }, { 0xf2f52010, "F2FS_SUPER_MAGIC" }, { 0xf97cff8c, "SELINUX_MAGIC" },
        { 0xf995e849, "HPFS_SUPER_MAGIC" }, { 0xfe534d42, "SMB2_SUPER_MAGIC" }, { 0xff534d42, "CIFS_SUPER_MAGIC" },
        { 0, NULL },
    };
    static const struct flag_name st_flags[] = {
        { 0x0020, "ST_VALID" }, { 0x0001, "ST_RDONLY" }, { 0x0002, "ST_NOSUID" }, { 0x0004, "ST_NODEV" },
        { 0x0008, "ST_NOEXEC" }, { 0x0010, "ST_SYNCHRONOUS" }, { 0x0040, "ST_MANDLOCK" }, { 0x0400, "ST_NOATIME" },
        { 0x0800, "ST_NODIRATIME" }, { 0x1000, "ST_RELATIME" }, { 0x2000, "ST_NOSYMFOLLOW" }, { 0, NULL },
    };
    struct statfs f;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], &f, sizeof f)) { fmt_ptr(sb, sc, i); return; }
    sb_puts(sb, "{f_type=");
    sb_enum(sb, (unsigned long)f.f_type, magic, "%#llx");
    sb_printf(sb, ", f_bsize=%llu, f_blocks=%llu, f_bfree=%llu, f_bavail=%llu, f_files=%llu, f_ffree=%llu",
              (unsigned long long)f.f_bsize, (unsigned long long)f.f_blocks, (unsigned long long)f.f_bfree,
              (unsigned long long)f.f_bavail, (unsigned long long)f.f_files, (unsigned long long)f.f_ffree);
    int fsid[2];
    memcpy(fsid, &f.f_fsid, sizeof fsid);
    sb_printf(sb, ", f_fsid={val=[%#x, %#x]}, f_namelen=%llu, f_frsize=%llu", (unsigned)fsid[0], (unsigned)fsid[1],
              (unsigned long long)f.f_namelen, (unsigned long long)f.f_frsize);
    if (f.f_flags & 0x20) {   /* ST_VALID: the kernel filled f_flags in */
        sb_puts(sb, ", f_flags=");
        sb_xflags(sb, (unsigned long)f.f_flags, st_flags, "ST_???");
    }
    sb_putc(sb, '}');
}

/* readlink's buffer: the bytes returned, no NUL, cut at the string size limit. */
static void fmt_readlink_buf(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret < 0) fmt_ptr(sb, sc, i);
    else sb_guest_bytes(sb, sc->t, sc->a[i], (size_t)sc->ret);
}

/* getcwd's buffer: a path (never cut at the string size limit); the return value
 * counts its NUL. */
static void fmt_getcwd_buf(struct strbuf *sb, struct syscall *sc, int i)
{
    char buf[PATH_MAX];
    size_t n = sc->ret > 0 ? (size_t)sc->ret - 1 : 0;
    if (n >= sizeof buf) n = sizeof buf - 1;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], buf, n)) { fmt_ptr(sb, sc, i); return; }
    sb_quoted(sb, (const unsigned char *)buf, strnlen(buf, n), false);
}

static void sb_timespec_utime(struct strbuf *sb, const struct timespec *ts)
{
    if (ts->tv_nsec == UTIME_NOW) { sb_puts(sb, "UTIME_NOW"); return; }
    if (ts->tv_nsec == UTIME_OMIT) { sb_puts(sb, "UTIME_OMIT"); return; }
    unsigned long long nsec = (unsigned long)ts->tv_nsec;
    sb_printf(sb, "{tv_sec=%lld, tv_nsec=%llu}", (long long)ts->tv_sec, nsec);
    sb_time_comment(sb, ts->tv_sec, nsec, 999999999, 9);
}

static void fmt_utimens(struct strbuf *sb, struct syscall *sc, int i)
{
    struct timespec ts[2];
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, sc->a[i], ts, sizeof ts)) { fmt_ptr(sb, sc, i); return; }
    sb_putc(sb, '[');
    sb_timespec_utime(sb, &ts[0]);
    sb_puts(sb, ", ");
    sb_timespec_utime(sb, &ts[1]);
    sb_putc(sb, ']');
}

static void fmt_timevals(struct strbuf *sb, struct syscall *sc, int i)
{
    struct timeval tv[2];
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, sc->a[i], tv, sizeof tv)) { fmt_ptr(sb, sc, i); return; }
    sb_putc(sb, '[');
    for (int k = 0; k < 2; k++) {
        unsigned long long usec = (unsigned long)tv[k].tv_usec;
        sb_printf(sb, "%s{tv_sec=%lld, tv_usec=%llu}", k ? ", " : "", (long long)tv[k].tv_sec, usec);
        sb_time_comment(sb, tv[k].tv_sec, usec, 999999, 6);
    }
    sb_putc(sb, ']');
}

static void fmt_utimbuf(struct strbuf *sb, struct syscall *sc, int i)
{
    int64_t ub[2];
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, sc->a[i], ub, sizeof ub)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "{actime=%lld", (long long)ub[0]);
    sb_time_comment(sb, ub[0], 0, 0, 0);
    sb_printf(sb, ", modtime=%lld", (long long)ub[1]);
    sb_time_comment(sb, ub[1], 0, 0, 0);
    sb_putc(sb, '}');
}

/* ---- extended attributes ---- */

#define XATTR_NAME_MAX_ 255
#define XATTR_SIZE_MAX_ 65536
#define XATTR_LIST_MAX_ 65536

/* The attribute name, as the kernel copies it: ERANGE when empty or too long. */
static int xattr_name_in(struct task *t, uint64_t addr, char name[XATTR_NAME_MAX_ + 1])
{
    long n = guest_read_str(t->as, addr, name, XATTR_NAME_MAX_ + 1);
    if (n == -EFAULT) return -EFAULT;
    if (n < 0 || n == 0) return -ERANGE;
    return 0;
}

/* A host path naming the same object as the guest's path, for the xattr calls (which
 * have no *at form): relative paths go through the directory's /proc/self/fd link. */
static int xattr_path(struct task *t, uint64_t addr, enum follow how, struct hpath *hp, char out[PATH_MAX + 64])
{
    int rc = hpath_get(t, AT_FDCWD, addr, 0, how, hp);
    if (rc) return rc;
    if (hp->model) return -EOPNOTSUPP;   /* /proc nodes of the guest's model have none */
    if (hp->dirfd == AT_FDCWD) snprintf(out, PATH_MAX + 64, "%s", hp->path);
    else snprintf(out, PATH_MAX + 64, "/proc/self/fd/%d/%s", hp->dirfd, hp->path);
    return 0;
}

static int xattr_fd(struct task *t, int fd)
{
    struct open_file *f = fd_get(t, fd);
    if (!f) return -EBADF;
    if (f->internal || f->sigfd || f->host_fd < 0) return -EOPNOTSUPP;   /* pipes, eventfds: no xattrs */
    return f->host_fd;
}

enum xattr_via { XV_PATH, XV_LPATH, XV_FD };

static int64_t do_getxattr(struct syscall *sc, enum xattr_via via)
{
    struct task *t = sc->t;
    char name[XATTR_NAME_MAX_ + 1], path[PATH_MAX + 64];
    struct hpath hp;
    int h = -1, rc;
    if (via == XV_FD) { if ((h = xattr_fd(t, (int)sc->a[0])) < 0) return h; }
    if ((rc = xattr_name_in(t, sc->a[1], name))) return rc;
    if (via != XV_FD && (rc = xattr_path(t, sc->a[0], via == XV_PATH ? FOLLOW : NOFOLLOW, &hp, path))) return rc;
    size_t size = sc->a[3] > XATTR_SIZE_MAX_ ? XATTR_SIZE_MAX_ : sc->a[3];
    char *buf = size ? malloc(size) : NULL;
    if (size && !buf) return -ENOMEM;
    ssize_t n = via == XV_FD ? fgetxattr(h, name, buf, size)
              : via == XV_PATH ? getxattr(path, name, buf, size) : lgetxattr(path, name, buf, size);
    int64_t r = n < 0 ? -errno : n;
    if (n > 0 && size && guest_write(t->as, sc->a[2], buf, (size_t)n)) r = -EFAULT;
    free(buf);
    return r;
}

static int64_t do_setxattr(struct syscall *sc, enum xattr_via via)
{
    struct task *t = sc->t;
    char name[XATTR_NAME_MAX_ + 1], path[PATH_MAX + 64];
    struct hpath hp;
    int h = -1, rc, flags = (int)sc->a[4];
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return -EINVAL;
    if (via == XV_FD) { if ((h = xattr_fd(t, (int)sc->a[0])) < 0) return h; }
    if ((rc = xattr_name_in(t, sc->a[1], name))) return rc;
    size_t size = sc->a[3];
    if (size > XATTR_SIZE_MAX_) return -E2BIG;
    char *buf = malloc(size ? size : 1);
    if (!buf) return -ENOMEM;
    if (size && guest_read(t->as, sc->a[2], buf, size)) { free(buf); return -EFAULT; }
    if (via != XV_FD && (rc = xattr_path(t, sc->a[0], via == XV_PATH ? FOLLOW : NOFOLLOW, &hp, path))) { free(buf); return rc; }
    int n = via == XV_FD ? fsetxattr(h, name, buf, size, flags)
          : via == XV_PATH ? setxattr(path, name, buf, size, flags) : lsetxattr(path, name, buf, size, flags);
    free(buf);
    return n < 0 ? -errno : 0;
}

static int64_t do_listxattr(struct syscall *sc, enum xattr_via via)
{
    struct task *t = sc->t;
    char path[PATH_MAX + 64];
    struct hpath hp;
    int h = -1, rc;
    if (via == XV_FD) { if ((h = xattr_fd(t, (int)sc->a[0])) < 0) return h; }
    else if ((rc = xattr_path(t, sc->a[0], via == XV_PATH ? FOLLOW : NOFOLLOW, &hp, path))) return rc;
    size_t size = sc->a[2] > XATTR_LIST_MAX_ ? XATTR_LIST_MAX_ : sc->a[2];
    char *buf = size ? malloc(size) : NULL;
    if (size && !buf) return -ENOMEM;
    ssize_t n = via == XV_FD ? flistxattr(h, buf, size) : via == XV_PATH ? listxattr(path, buf, size) : llistxattr(path, buf, size);
    int64_t r = n < 0 ? -errno : n;
    if (n > 0 && size && guest_write(t->as, sc->a[1], buf, (size_t)n)) r = -EFAULT;
    free(buf);
    return r;
}

static int64_t do_removexattr(struct syscall *sc, enum xattr_via via)
{
    struct task *t = sc->t;
    char name[XATTR_NAME_MAX_ + 1], path[PATH_MAX + 64];
    struct hpath hp;
    int h = -1, rc;
    if (via == XV_FD) { if ((h = xattr_fd(t, (int)sc->a[0])) < 0) return h; }
    if ((rc = xattr_name_in(t, sc->a[1], name))) return rc;
    if (via != XV_FD && (rc = xattr_path(t, sc->a[0], via == XV_PATH ? FOLLOW : NOFOLLOW, &hp, path))) return rc;
    int n = via == XV_FD ? fremovexattr(h, name) : via == XV_PATH ? removexattr(path, name) : lremovexattr(path, name);
    return n < 0 ? -errno : 0;
}

static int64_t sys_getxattr(struct syscall *sc) { return do_getxattr(sc, XV_PATH); }
static int64_t sys_lgetxattr(struct syscall *sc) { return do_getxattr(sc, XV_LPATH); }
static int64_t sys_fgetxattr(struct syscall *sc) { return do_getxattr(sc, XV_FD); }
static int64_t sys_setxattr(struct syscall *sc) { return do_setxattr(sc, XV_PATH); }
static int64_t sys_lsetxattr(struct syscall *sc) { return do_setxattr(sc, XV_LPATH); }
static int64_t sys_fsetxattr(struct syscall *sc) { return do_setxattr(sc, XV_FD); }
static int64_t sys_listxattr(struct syscall *sc) { return do_listxattr(sc, XV_PATH); }
static int64_t sys_llistxattr(struct syscall *sc) { return do_listxattr(sc, XV_LPATH); }
static int64_t sys_flistxattr(struct syscall *sc) { return do_listxattr(sc, XV_FD); }
static int64_t sys_removexattr(struct syscall *sc) { return do_removexattr(sc, XV_PATH); }
static int64_t sys_lremovexattr(struct syscall *sc) { return do_removexattr(sc, XV_LPATH); }
static int64_t sys_fremovexattr(struct syscall *sc) { return do_removexattr(sc, XV_FD); }

/* The value read: bytes up to the return value (strace shows it as a string). */
static void fmt_xattr_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    int f = (int)sc->a[i];
    if (f == 0) sb_puts(sb, "0");
    else if (f == XATTR_CREATE) sb_puts(sb, "XATTR_CREATE");
    else if (f == XATTR_REPLACE) sb_puts(sb, "XATTR_REPLACE");
    else sb_printf(sb, "%#x", f);
}

/* A list of NUL-separated names, as strace shows it: ["user.a", "user.b"]. */
static void fmt_xattr_list(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret <= 0 || !sc->a[i]) { fmt_ptr(sb, sc, i); return; }
    size_t n = (size_t)sc->ret;
    char *buf = malloc(n + 1);
    if (!buf || guest_read(sc->t->as, sc->a[i], buf, n)) { free(buf); fmt_ptr(sb, sc, i); return; }
    buf[n] = 0;
    sb_puts(sb, "[");
    for (size_t k = 0; k < n;) {
        size_t l = strnlen(buf + k, n - k);
        sb_printf(sb, "%s\"%.*s\"", k ? ", " : "", (int)l, buf + k);
        k += l + 1;
    }
    sb_puts(sb, "]");
    free(buf);
}

const struct syscall_def fs_stat_syscalls[] = {
    { SYS_getxattr, "getxattr", sys_getxattr, 4, { IN(fmt_path), IN(fmt_path), OUT(fmt_buf_len_ret), IN(fmt_uint) }, NULL },
    { SYS_lgetxattr, "lgetxattr", sys_lgetxattr, 4, { IN(fmt_path), IN(fmt_path), OUT(fmt_buf_len_ret), IN(fmt_uint) }, NULL },
    { SYS_fgetxattr, "fgetxattr", sys_fgetxattr, 4, { IN(fmt_fd), IN(fmt_path), OUT(fmt_buf_len_ret), IN(fmt_uint) }, NULL },
    { SYS_setxattr, "setxattr", sys_setxattr, 5, { IN(fmt_path), IN(fmt_path), IN(fmt_buf_len_next), IN(fmt_uint), IN(fmt_xattr_flags) }, NULL },
    { SYS_lsetxattr, "lsetxattr", sys_lsetxattr, 5, { IN(fmt_path), IN(fmt_path), IN(fmt_buf_len_next), IN(fmt_uint), IN(fmt_xattr_flags) }, NULL },
    { SYS_fsetxattr, "fsetxattr", sys_fsetxattr, 5, { IN(fmt_fd), IN(fmt_path), IN(fmt_buf_len_next), IN(fmt_uint), IN(fmt_xattr_flags) }, NULL },
    { SYS_listxattr, "listxattr", sys_listxattr, 3, { IN(fmt_path), OUT(fmt_xattr_list), IN(fmt_uint) }, NULL },
    { SYS_llistxattr, "llistxattr", sys_llistxattr, 3, { IN(fmt_path), OUT(fmt_xattr_list), IN(fmt_uint) }, NULL },
    { SYS_flistxattr, "flistxattr", sys_flistxattr, 3, { IN(fmt_fd), OUT(fmt_xattr_list), IN(fmt_uint) }, NULL },
    { SYS_removexattr, "removexattr", sys_removexattr, 2, { IN(fmt_path), IN(fmt_path) }, NULL },
    { SYS_lremovexattr, "lremovexattr", sys_lremovexattr, 2, { IN(fmt_path), IN(fmt_path) }, NULL },
    { SYS_fremovexattr, "fremovexattr", sys_fremovexattr, 2, { IN(fmt_fd), IN(fmt_path) }, NULL },
    { SYS_stat, "stat", sys_stat, 2, { IN(fmt_path), OUT(fmt_stat) }, NULL },
    { SYS_fstat, "fstat", sys_fstat, 2, { IN(fmt_fd), OUT(fmt_stat) }, NULL },
    { SYS_lstat, "lstat", sys_lstat, 2, { IN(fmt_path), OUT(fmt_stat) }, NULL },
    { SYS_newfstatat, "newfstatat", sys_newfstatat, 4, { IN(fmt_dirfd), IN(fmt_path), OUT(fmt_stat), IN(fmt_atflags) }, NULL },
    { SYS_statx, "statx", sys_statx, 5, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_statx_flags), IN(fmt_statx_mask), OUT(fmt_statx) }, NULL },
    { SYS_readlink, "readlink", sys_readlink, 3, { IN(fmt_path), OUT(fmt_readlink_buf), IN(fmt_uint) }, NULL },
    { SYS_readlinkat, "readlinkat", sys_readlinkat, 4, { IN(fmt_dirfd), IN(fmt_path), OUT(fmt_readlink_buf), IN(fmt_uint) }, NULL },
    { SYS_access, "access", sys_access, 2, { IN(fmt_path), IN(fmt_access_mode) }, NULL },
    { SYS_faccessat, "faccessat", sys_faccessat, 3, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_access_mode) }, NULL },
    { SYS_faccessat2, "faccessat2", sys_faccessat2, 4, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_access_mode), IN(fmt_faccessat_flags) }, NULL },
    { SYS_getcwd, "getcwd", sys_getcwd, 2, { OUT(fmt_getcwd_buf), IN(fmt_uint) }, NULL },
    { SYS_chdir, "chdir", sys_chdir, 1, { IN(fmt_path) }, NULL },
    { SYS_fchdir, "fchdir", sys_fchdir, 1, { IN(fmt_fd) }, NULL },
    { SYS_umask, "umask", sys_umask, 1, { IN(fmt_umode) }, ret_umask },
    { SYS_mkdir, "mkdir", sys_mkdir, 2, { IN(fmt_path), IN(fmt_umode) }, NULL },
    { SYS_mkdirat, "mkdirat", sys_mkdirat, 3, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_umode) }, NULL },
    { SYS_mknod, "mknod", sys_mknod, 3, { IN(fmt_path), IN(fmt_mknod_mode), IN(fmt_mknod_dev) }, NULL },
    { SYS_mknodat, "mknodat", sys_mknodat, 4, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_mknod_mode), IN(fmt_mknod_dev) }, NULL },
    { SYS_rmdir, "rmdir", sys_rmdir, 1, { IN(fmt_path) }, NULL },
    { SYS_unlink, "unlink", sys_unlink, 1, { IN(fmt_path) }, NULL },
    { SYS_unlinkat, "unlinkat", sys_unlinkat, 3, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_atflags) }, NULL },
    { SYS_rename, "rename", sys_rename, 2, { IN(fmt_path), IN(fmt_path) }, NULL },
    { SYS_renameat, "renameat", sys_renameat, 4, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_dirfd), IN(fmt_path) }, NULL },
    { SYS_renameat2, "renameat2", sys_renameat2, 5, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_dirfd), IN(fmt_path), IN(fmt_rename_flags) }, NULL },
    { SYS_link, "link", sys_link, 2, { IN(fmt_path), IN(fmt_path) }, NULL },
    { SYS_linkat, "linkat", sys_linkat, 5, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_dirfd), IN(fmt_path), IN(fmt_atflags) }, NULL },
    { SYS_symlink, "symlink", sys_symlink, 2, { IN(fmt_path), IN(fmt_path) }, NULL },
    { SYS_symlinkat, "symlinkat", sys_symlinkat, 3, { IN(fmt_path), IN(fmt_dirfd), IN(fmt_path) }, NULL },
    { SYS_chmod, "chmod", sys_chmod, 2, { IN(fmt_path), IN(fmt_umode) }, NULL },
    { SYS_fchmod, "fchmod", sys_fchmod, 2, { IN(fmt_fd), IN(fmt_umode) }, NULL },
    { SYS_fchmodat, "fchmodat", sys_fchmodat, 3, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_umode) }, NULL },
    { SYS_fchmodat2, "fchmodat2", sys_fchmodat2, 4, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_umode), IN(fmt_atflags) }, NULL },
    { SYS_chown, "chown", sys_chown, 3, { IN(fmt_path), IN(fmt_id), IN(fmt_id) }, NULL },
    { SYS_fchown, "fchown", sys_fchown, 3, { IN(fmt_fd), IN(fmt_id), IN(fmt_id) }, NULL },
    { SYS_lchown, "lchown", sys_lchown, 3, { IN(fmt_path), IN(fmt_id), IN(fmt_id) }, NULL },
    { SYS_fchownat, "fchownat", sys_fchownat, 5, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_id), IN(fmt_id), IN(fmt_atflags) }, NULL },
    { SYS_utimensat, "utimensat", sys_utimensat, 4, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_utimens), IN(fmt_atflags) }, NULL },
    { SYS_utime, "utime", sys_utime, 2, { IN(fmt_path), IN(fmt_utimbuf) }, NULL },
    { SYS_utimes, "utimes", sys_utimes, 2, { IN(fmt_path), IN(fmt_timevals) }, NULL },
    { SYS_futimesat, "futimesat", sys_futimesat, 3, { IN(fmt_dirfd), IN(fmt_path), IN(fmt_timevals) }, NULL },
    { SYS_truncate, "truncate", sys_truncate, 2, { IN(fmt_path), IN(fmt_uint) }, NULL },
    { SYS_statfs, "statfs", sys_statfs, 2, { IN(fmt_path), OUT(fmt_statfs) }, NULL },
    { SYS_fstatfs, "fstatfs", sys_fstatfs, 2, { IN(fmt_fd), OUT(fmt_statfs) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
