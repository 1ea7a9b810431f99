/* Block devices and loop devices: the ioctls of the host's own devices.
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

struct blk_ioctl { unsigned long req; enum arg_kind kind; size_t size; bool control; };

static const struct blk_ioctl blk_ioctls[] = {
    { BLKROGET, A_OUT, sizeof(int), false }, { BLKRRPART, A_NONE, 0, false },
    { BLKGETSIZE, A_OUT, sizeof(long), false }, { BLKFLSBUF, A_NONE, 0, false },
    { BLKSSZGET, A_OUT, sizeof(int), false }, { BLKBSZGET, A_OUT, sizeof(int), false },
    { BLKGETSIZE64, A_OUT, sizeof(uint64_t), false }, { BLKDISCARD, A_IN, 2 * sizeof(uint64_t), false },
    { BLKIOMIN, A_OUT, sizeof(int), false }, { BLKIOOPT, A_OUT, sizeof(int), false },
    { BLKALIGNOFF, A_OUT, sizeof(int), false }, { BLKPBSZGET, A_OUT, sizeof(int), false },
    { BLKSECDISCARD, A_IN, 2 * sizeof(uint64_t), false }, { BLKZEROOUT, A_IN, 2 * sizeof(uint64_t), false },
    { LOOP_SET_FD, A_FD, 0, false }, { LOOP_CLR_FD, A_NONE, 0, false },
    { LOOP_SET_STATUS, A_IN, sizeof(struct loop_info), false }, { LOOP_GET_STATUS, A_OUT, sizeof(struct loop_info), false },
    { LOOP_SET_STATUS64, A_IN, sizeof(struct loop_info64), false },
    { LOOP_GET_STATUS64, A_OUT, sizeof(struct loop_info64), false },
    { LOOP_CHANGE_FD, A_FD, 0, false }, { LOOP_SET_CAPACITY, A_NONE, 0, false },
    { LOOP_SET_DIRECT_IO, A_VALUE, 0, false }, { LOOP_SET_BLOCK_SIZE, A_VALUE, 0, false },
    { LOOP_CONFIGURE, A_CONFIG, sizeof(struct loop_config), false },
    { LOOP_CTL_ADD, A_VALUE, 0, true }, { LOOP_CTL_REMOVE, A_VALUE, 0, true },
    { LOOP_CTL_GET_FREE, A_NONE, 0, true },
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
    if (d->control ? !control : !S_ISBLK(st.st_mode)) return 0;
    *handled = true;
    union { struct loop_config cfg; struct loop_info64 i64; struct loop_info i; uint64_t u[2]; int n; long l; } u;
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
