/* Mounts, the root directory, namespaces and ptrace.
 *
 * The guest's files are the host's, seen through the host's mounts, and its
 * credentials are applied to the host thread for every call (syscalls/cred.c). So
 * mount and umount2 are the host's own, with the guest's paths made host paths: a
 * guest running as root mounts as root does (LTP's device tests attach a loop device,
 * make a file system and mount it: syscalls/blockdev.c), one without CAP_SYS_ADMIN gets
 * the host kernel's EPERM, in the kernel's order of errors. Nothing under the guest's
 * /proc is a mount point.
 *
 * chroot, pivot_root, namespaces and ptrace would change what every later path or id
 * means for uniemu itself (its own root, its one mount and user namespace) or need a
 * tracer uniemu does not have: they answer as Linux answers a process that lacks the
 * capability (CAP_SYS_CHROOT, CAP_SYS_ADMIN) or that Yama's ptrace_scope 3 stops:
 * argument errors Linux finds first (EINVAL for unknown flags, EFAULT, a path that does
 * not exist or is not a directory, EBADF for a closed descriptor), then EPERM, so that
 * programs take their fallbacks. Never ENOSYS for a call Linux has. unshare is
 * syscalls/clone.c's. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory a path argument names, looked up as the guest's: 0 or the lookup's
 * error (EFAULT, ENAMETOOLONG, ENOENT, ENOTDIR, ELOOP, EACCES). */
static int dir_lookup(struct task *t, uint64_t addr, bool must_be_dir)
{
    char path[PATH_MAX];
    int rc = path_in(t, addr, path);
    if (rc) return rc;
    if (!path[0]) return -ENOENT;
    struct stat st;
    if (fstatat(path[0] == '/' ? AT_FDCWD : at_dirfd(t, AT_FDCWD), path, &st, 0) < 0) return -errno;
    if (must_be_dir && !S_ISDIR(st.st_mode)) return -ENOTDIR;
    return 0;
}

/* A guest path as an absolute host path (the guest's working directory for a relative
 * one); -EACCES for a path into /proc. */
static int host_path(struct task *t, const char *guest, char out[PATH_MAX])
{
    if (guest[0] == '/') {
        if (!strncmp(guest, "/proc", 5) && (guest[5] == '/' || !guest[5])) return -EACCES;
        snprintf(out, PATH_MAX, "%s", guest);
        return 0;
    }
    char link[64], cwd[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", t->fs->cwd_fd);
    ssize_t n = readlink(link, cwd, sizeof cwd - 1);
    if (n < 0) return -errno;
    cwd[n] = 0;
    if (snprintf(out, PATH_MAX, "%s/%s", cwd, guest) >= PATH_MAX) return -ENAMETOOLONG;
    return 0;
}

/* mount's strings: NULL stays NULL; a source that names a file here (a device, a bind
 * mount's directory) becomes a host path, any other (tmpfs's "none") stays as is. */
static int mount_str(struct task *t, uint64_t addr, char buf[PATH_MAX], const char **out, bool maybe_path)
{
    *out = NULL;
    if (!addr) return 0;
    int rc = path_in(t, addr, buf);
    if (rc) return rc;
    *out = buf;
    if (maybe_path && buf[0]) {
        struct stat st;
        char host[PATH_MAX];
        if (fstatat(buf[0] == '/' ? AT_FDCWD : at_dirfd(t, AT_FDCWD), buf, &st, 0) == 0 &&
            host_path(t, buf, host) == 0)
            snprintf(buf, PATH_MAX, "%s", host);
    }
    return 0;
}

static int64_t sys_mount(struct syscall *sc)
{
    struct task *t = sc->t;
    char src[PATH_MAX], type[PATH_MAX], target[PATH_MAX], host_target[PATH_MAX];
    const char *srcp, *typep, *tp;
    int rc;
    if ((rc = mount_str(t, sc->a[2], type, &typep, false)) || (rc = mount_str(t, sc->a[0], src, &srcp, true)))
        return rc;
    if ((rc = mount_str(t, sc->a[1], target, &tp, false))) return rc;
    if (!tp) return -EFAULT;
    if (!tp[0]) return -ENOENT;
    if ((rc = host_path(t, tp, host_target))) return rc;
    /* The data page: a string for the file systems a guest mounts (options). */
    char data[4096];
    const char *datap = NULL;
    if (sc->a[4]) {
        long n = guest_read_str(t->as, sc->a[4], data, sizeof data);
        if (n == -EFAULT) return -EFAULT;
        data[sizeof data - 1] = 0;
        datap = data;
    }
    return mount(srcp, host_target, typep, sc->a[3], datap) < 0 ? -errno : 0;
}

static int64_t sys_umount2(struct syscall *sc)
{
    char target[PATH_MAX], host[PATH_MAX];
    int rc = path_in(sc->t, sc->a[0], target);
    if (rc) return rc;
    if (!target[0]) return -ENOENT;
    if ((rc = host_path(sc->t, target, host))) return rc;
    return umount2(host, (int)sc->a[1]) < 0 ? -errno : 0;
}

static int64_t sys_pivot_root(struct syscall *sc) { (void)sc; return -EPERM; }

/* chroot looks the directory up and checks search permission on it (a lookup of "."
 * inside it, by the host with the guest's ids) before the capability. */
static int64_t sys_chroot(struct syscall *sc)
{
    int rc = dir_lookup(sc->t, sc->a[0], true);
    if (rc) return rc;
    char path[PATH_MAX + 2];
    if (path_in(sc->t, sc->a[0], path)) return -EFAULT;
    strcat(path, "/.");
    struct stat st;
    if (fstatat(path[0] == '/' ? AT_FDCWD : at_dirfd(sc->t, AT_FDCWD), path, &st, 0) < 0) return -errno;
    return -EPERM;
}

/* A descriptor that is open but no namespace (uniemu has no nsfs) is EINVAL. */
static int64_t sys_setns(struct syscall *sc)
{
    return fd_get(sc->t, (int)sc->a[0]) ? -EINVAL : -EBADF;
}

static int64_t sys_ptrace(struct syscall *sc) { (void)sc; return -EPERM; }

static void fmt_ptrace_req(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name r[] = {
        { 0, "PTRACE_TRACEME" }, { 1, "PTRACE_PEEKTEXT" }, { 2, "PTRACE_PEEKDATA" }, { 4, "PTRACE_POKETEXT" },
        { 5, "PTRACE_POKEDATA" }, { 7, "PTRACE_CONT" }, { 8, "PTRACE_KILL" }, { 9, "PTRACE_SINGLESTEP" },
        { 12, "PTRACE_GETREGS" }, { 13, "PTRACE_SETREGS" }, { 16, "PTRACE_ATTACH" }, { 17, "PTRACE_DETACH" },
        { 24, "PTRACE_SYSCALL" }, { 0x4200, "PTRACE_SETOPTIONS" }, { 0x4206, "PTRACE_SEIZE" }, { 0, NULL } };
    if (sc->a[i] == 0) { sb_puts(sb, "PTRACE_TRACEME"); return; }
    sb_enum(sb, sc->a[i], r, "%#llx");
}

static void fmt_umount_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name f[] = { { MNT_FORCE, "MNT_FORCE" }, { MNT_DETACH, "MNT_DETACH" },
        { MNT_EXPIRE, "MNT_EXPIRE" }, { UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW" }, { 0, NULL } };
    sb_flags(sb, (uint32_t)sc->a[i], f, "0");
}

const struct syscall_def namespace_syscalls[] = {
    { SYS_mount, "mount", sys_mount, 5, { IN(fmt_path), IN(fmt_path), IN(fmt_path), IN(fmt_hex), IN(fmt_ptr) }, NULL },
    { SYS_umount2, "umount2", sys_umount2, 2, { IN(fmt_path), IN(fmt_umount_flags) }, NULL },
    { SYS_pivot_root, "pivot_root", sys_pivot_root, 2, { IN(fmt_path), IN(fmt_path) }, NULL },
    { SYS_chroot, "chroot", sys_chroot, 1, { IN(fmt_path) }, NULL },
    { SYS_setns, "setns", sys_setns, 2, { IN(fmt_fd), IN(fmt_hex) }, NULL },
    { SYS_ptrace, "ptrace", sys_ptrace, 4, { IN(fmt_ptrace_req), IN(fmt_int), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
