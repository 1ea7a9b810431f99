/* Block devices, loop devices and inode flags: the ioctls of the host's own devices and
 * files.
 *
 * A guest that opens /dev/loop-control or a block device (/dev/loop0...) opens the
 * host's, as with any file; running as root (the host checks the guest's capabilities
 * as for every call), it may attach a file to a loop device, make a file system on it
 * and mount it (syscalls/namespace.c), as LTP's device tests and mkfs do. The ioctls
 * pass to the host with their arguments copied in and out of guest memory, a
 * descriptor argument (LOOP_SET_FD, LOOP_CHANGE_FD, LOOP_CONFIGURE's fd) being the
 * host descriptor behind the guest's. What the host answers (device numbers, sizes) is
 * an input, like a file's contents. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

enum arg_kind { A_NONE, A_VALUE, A_FD, A_IN, A_OUT, A_CONFIG };

enum target { T_BLOCK, T_CONTROL, T_FILE };
struct blk_ioctl { unsigned long req; enum arg_kind kind; size_t size; enum target on; };

static const struct blk_ioctl blk_ioctls[] = {
    { BLKROGET, A_OUT, sizeof(int), T_BLOCK }, { BLKRRPART, A_NONE, 0, T_BLOCK },
    { BLKGETSIZE, A_OUT, sizeof(long), T_BLOCK }, { BLKFLSBUF, A_NONE, 0, T_BLOCK },
    { BLKSSZGET, A_OUT, sizeof(int), T_BLOCK }, { BLKBSZGET, A_OUT, sizeof(int), T_BLOCK },
    { BLKGETSIZE64, A_OUT, sizeof(uint64_t), T_BLOCK }, { BLKDISCARD, A_IN, 2 * sizeof(uint64_t), T_BLOCK },
    { BLKIOMIN, A_OUT, sizeof(int), T_BLOCK }, { BLKIOOPT, A_OUT, sizeof(int), T_BLOCK },
    { BLKALIGNOFF, A_OUT, sizeof(int), T_BLOCK }, { BLKPBSZGET, A_OUT, sizeof(int), T_BLOCK },
    { BLKSECDISCARD, A_IN, 2 * sizeof(uint64_t), T_BLOCK }, { BLKZEROOUT, A_IN, 2 * sizeof(uint64_t), T_BLOCK },
    { LOOP_SET_FD, A_FD, 0, T_BLOCK }, { LOOP_CLR_FD, A_NONE, 0, T_BLOCK },
    { LOOP_SET_STATUS, A_IN, sizeof(struct loop_info), T_BLOCK }, { LOOP_GET_STATUS, A_OUT, sizeof(struct loop_info), T_BLOCK },
    { LOOP_SET_STATUS64, A_IN, sizeof(struct loop_info64), T_BLOCK },
    { LOOP_GET_STATUS64, A_OUT, sizeof(struct loop_info64), T_BLOCK },
    { LOOP_CHANGE_FD, A_FD, 0, T_BLOCK }, { LOOP_SET_CAPACITY, A_NONE, 0, T_BLOCK },
    { LOOP_SET_DIRECT_IO, A_VALUE, 0, T_BLOCK }, { LOOP_SET_BLOCK_SIZE, A_VALUE, 0, T_BLOCK },
    { LOOP_CONFIGURE, A_CONFIG, sizeof(struct loop_config), T_BLOCK },
    { LOOP_CTL_ADD, A_VALUE, 0, T_CONTROL }, { LOOP_CTL_REMOVE, A_VALUE, 0, T_CONTROL },
    { LOOP_CTL_GET_FREE, A_NONE, 0, T_CONTROL },
    /* Inode flags and attributes of files and directories (chattr, lsattr, statx's
     * attributes tests); the kernel copies an int, whatever the _IOR says. */
    { FS_IOC_GETFLAGS, A_OUT, sizeof(int), T_FILE }, { FS_IOC_SETFLAGS, A_IN, sizeof(int), T_FILE },
    { FS_IOC_GETVERSION, A_OUT, sizeof(int), T_FILE }, { FS_IOC_SETVERSION, A_IN, sizeof(int), T_FILE },
    { FS_IOC_FSGETXATTR, A_OUT, sizeof(struct fsxattr), T_FILE },
    { FS_IOC_FSSETXATTR, A_IN, sizeof(struct fsxattr), T_FILE },
};

#define LOOP_CONTROL_MAJOR 10
#define LOOP_CONTROL_MINOR 237

int64_t blockdev_ioctl(struct task *t, int hfd, unsigned long req, uint64_t arg, bool *handled)
{
    *handled = false;
    const struct blk_ioctl *d = NULL;
    for (size_t i = 0; i < sizeof blk_ioctls / sizeof blk_ioctls[0]; i++)
        if (blk_ioctls[i].req == req) d = &blk_ioctls[i];
    if (!d) return 0;
    struct stat st;
    if (fstat(hfd, &st) < 0) return 0;
    bool control = S_ISCHR(st.st_mode) && major(st.st_rdev) == LOOP_CONTROL_MAJOR &&
                   minor(st.st_rdev) == LOOP_CONTROL_MINOR;
    bool ok = d->on == T_CONTROL ? control : d->on == T_BLOCK ? S_ISBLK(st.st_mode)
                                                              : S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
    if (!ok) return 0;
    *handled = true;
    union { struct loop_config cfg; struct loop_info64 i64; struct loop_info i; struct fsxattr fx; uint64_t u[2]; int n; long l; } u;
    memset(&u, 0, sizeof u);
    long r;
    switch (d->kind) {
    case A_NONE: r = ioctl(hfd, req, 0); break;
    case A_VALUE: r = ioctl(hfd, req, (unsigned long)arg); break;
    case A_FD: {
        int h = fd_host(t, (int)arg);
        if (h < 0) return -EBADF;
        r = ioctl(hfd, req, h);
        break;
    }
    case A_IN:
        if (guest_read(t->as, arg, &u, d->size)) return -EFAULT;
        r = ioctl(hfd, req, &u);
        break;
    case A_OUT:
        r = ioctl(hfd, req, &u);
        if (r >= 0 && guest_write(t->as, arg, &u, d->size)) return -EFAULT;
        break;
    case A_CONFIG: {
        if (guest_read(t->as, arg, &u.cfg, sizeof u.cfg)) return -EFAULT;
        int h = fd_host(t, (int)u.cfg.fd);
        if (h < 0) return -EBADF;
        u.cfg.fd = (uint32_t)h;
        r = ioctl(hfd, req, &u.cfg);
        break;
    }
    default: return -ENOTTY;
    }
    return r < 0 ? -errno : r;
}
