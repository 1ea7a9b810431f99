/* File times on the guest's clock (syscalls/ftimes.c).
 *
 * The guest's clock is virtual, so a change the guest makes to a file must carry the
 * guest's time, as Linux's own updates (file_update_time, inode_set_ctime_current) carry
 * the kernel's. Each inode the guest changed is kept here with its three times; stat,
 * fstat, fstatat and statx answer those, and atime/mtime are also written to the host
 * file (so host tools and later runs see them). */
#ifndef UNIEMU_FTIMES_H
#define UNIEMU_FTIMES_H
#include <stdbool.h>
#include <time.h>

struct open_file;
struct stat;
struct statx;

#define FT_A 1   /* access time */
#define FT_M 2   /* modification time */
#define FT_C 4   /* status-change time */
#define FT_B 8   /* birth (statx): the guest made the inode */
#define FT_NEW (FT_A | FT_M | FT_C | FT_B)

/* The virtual CLOCK_REALTIME as a timespec. */
struct timespec ftimes_now(void);
/* The file behind an open file changed (write, truncate, fallocate, chmod...): its
 * times in `what` become now. Pipes, terminals and devices are left alone. The host
 * file gets them when the open file is released (ftimes_release). */
void ftimes_file(struct open_file *f, unsigned what);
void ftimes_release(struct open_file *f);
/* A read through f: the atime of a file the guest changed, by the mount's rule. */
void ftimes_read(struct open_file *f);
/* The same for a host (dirfd, path) (follow: a final symlink is followed), written
 * to the host file at once. */
void ftimes_path(int dirfd, const char *path, bool follow, unsigned what);
/* A name was made or removed in the directory holding path: its mtime and ctime. */
void ftimes_parent(int dirfd, const char *path);
/* utimensat succeeded on (dirfd, path) (path NULL or "": dirfd itself): ts is what the
 * guest passed (NULL: both now; UTIME_NOW, UTIME_OMIT). */
void ftimes_utimens(int dirfd, const char *path, bool follow, const struct timespec *ts);
/* An inode lost a name (unlink, rmdir, rename over it); victim is the host's lstat
 * of it from before. Its last name gone, it is dropped (the host may reuse its inode
 * number), else its ctime changes. */
void ftimes_unlinked(const struct stat *victim);
/* The guest's view of a host stat result. */
void ftimes_fix_stat(struct stat *st);
void ftimes_fix_statx(struct statx *stx);
#endif
