/* Mounts, the root directory, namespaces and ptrace: Linux's own refusals.
 *
 * uniemu's guest sees the host's file system through the host's mounts, one mount and
 * user namespace, and is traced by no one. Emulating mounts, chroot or a namespace
 * would mean translating every path and id; programs that try these have fallbacks
 * for the refusal Linux gives a process that lacks the capability (CAP_SYS_ADMIN,
 * CAP_SYS_CHROOT) or that a security policy stops (ptrace under Yama's
 * ptrace_scope 3, as in many containers), so each call answers as Linux does there:
 * argument errors Linux finds first (EINVAL for unknown flags, EFAULT, a path that does
 * not exist or is not a directory, EBADF for a closed descriptor), then EPERM. Never
 * ENOSYS for a call Linux has. unshare is syscalls/clone.c's. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* A string argument mount copies in before anything else (NULL allowed). */
static int str_arg(struct task *t, uint64_t addr)
{
    char buf[PATH_MAX];
    return addr ? path_in(t, addr, buf) : 0;
}

/* The strings are copied and the target looked up; then may_mount() fails: the guest
 * has no mount namespace of its own to change. */
static int64_t sys_mount(struct syscall *sc)
{
    int rc;
    if ((rc = str_arg(sc->t, sc->a[2])) || (rc = str_arg(sc->t, sc->a[0]))) return rc;
    if ((rc = dir_lookup(sc->t, sc->a[1], false))) return rc;
    return -EPERM;
}

static int64_t sys_umount2(struct syscall *sc)
{
    if ((int)sc->a[1] & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) return -EINVAL;
    int rc = dir_lookup(sc->t, sc->a[0], false);
    return rc ? rc : -EPERM;
}

static int64_t sys_pivot_root(struct syscall *sc) { (void)sc; return -EPERM; }

/* chroot looks the directory up and checks search permission before the capability. */
static int64_t sys_chroot(struct syscall *sc)
{
    int rc = dir_lookup(sc->t, sc->a[0], true);
    return rc ? rc : -EPERM;
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
