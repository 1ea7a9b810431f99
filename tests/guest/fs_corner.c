/* File-system calls at their corners: fallocate's modes and errors, statx's fields and
 * flags, rename/renameat2, link, unlink, mkdir, rmdir, truncate and utimensat errors in
 * Linux's order. Prints each call's result or errno name.
 * Usage: fs_corner DIR (an empty directory). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4
#endif

#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#define AT_STATX_DONT_SYNC 0x4000
#endif

#define BAD_PTR ((void *)8)

static void show(const char *what, long r)
{
    if (r < 0) printf("%-44s -1 %s\n", what, strerror(errno));
    else printf("%-44s %ld\n", what, r);
}
#define T(call) show(#call, (long)(call))

static long sys_renameat2(int od, const char *o, int nd, const char *n, unsigned flags)
{
    return syscall(SYS_renameat2, od, o, nd, n, flags);
}

static long do_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
    return syscall(SYS_statx, dirfd, path, flags, mask, stx);
}

static void put(const char *name, const char *text)
{
    int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0) { write(fd, text, strlen(text)); close(fd); }
}

static void show_file(const char *name)
{
    char buf[64] = { 0 };
    int fd = open(name, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    printf("%s: %zd '%s'\n", name, n, n > 0 ? buf : "");
}

static void fallocate_cases(void)
{
    printf("-- fallocate\n");
    int fd = open("fa", O_CREAT | O_RDWR | O_TRUNC, 0644);
    int ro = open("fa", O_RDONLY);
    int pfd[2];
    pipe(pfd);
    int efd = eventfd(0, 0);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    int null = open("/dev/null", O_WRONLY);
    struct stat st;
    T(fallocate(-1, 0, 0, 4096));
    T(fallocate(999, 0, 0, 4096));
    T(fallocate(fd, 0, -1, 4096));
    T(fallocate(fd, 0, 0, 0));
    T(fallocate(fd, 0, 0, -5));
    T(fallocate(fd, 0x8000, 0, 4096));
    T(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
    T(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    T(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    T(fallocate(ro, 0, 0, 4096));
    T(fallocate(pfd[1], 0, 0, 4096));
    T(fallocate(pfd[0], 0, 0, 4096));
    T(fallocate(efd, 0, 0, 4096));
    T(fallocate(dfd, 0, 0, 4096));
    T(fallocate(null, 0, 0, 4096));
    T(fallocate(fd, 0, LLONG_MAX - 10, 100));
    T(fallocate(fd, 0, 0, 8192));
    fstat(fd, &st);
    printf("size after mode 0: %lld\n", (long long)st.st_size);
    T(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
    fstat(fd, &st);
    printf("size after KEEP_SIZE: %lld\n", (long long)st.st_size);
    char block[8192];
    memset(block, 'x', sizeof block);
    pwrite(fd, block, sizeof block, 0);
    T(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000, 100));
    char got[8];
    pread(fd, got, 4, 998);
    printf("after punch: %d %d %d %d\n", got[0], got[1], got[2], got[3]);
    long zr = fallocate(fd, FALLOC_FL_ZERO_RANGE, 2000, 100);
    if (zr == 0) { pread(fd, got, 4, 1998); printf("after zero range: %d %d %d %d\n", got[0], got[1], got[2], got[3]); }
    else printf("zero range: %s\n", strerror(errno));
    fstat(fd, &st);
    printf("size now: %lld\n", (long long)st.st_size);
    close(fd); close(ro); close(pfd[0]); close(pfd[1]); close(efd); close(dfd); close(null);
    unlink("fa");
}

static void statx_cases(void)
{
    printf("-- statx\n");
    struct statx stx;
    put("sx", "12345");
    T(do_statx(AT_FDCWD, "sx", 0x6000, STATX_BASIC_STATS, &stx));
    T(do_statx(AT_FDCWD, "sx", 0x40000000, STATX_BASIC_STATS, &stx));
    T(do_statx(AT_FDCWD, "sx", 0, 0x80000000u, &stx));
    T(do_statx(AT_FDCWD, "sx", 0, STATX_BASIC_STATS, BAD_PTR));
    T(do_statx(AT_FDCWD, BAD_PTR, 0, STATX_BASIC_STATS, &stx));
    T(do_statx(AT_FDCWD, "", 0, STATX_BASIC_STATS, &stx));
    T(do_statx(AT_FDCWD, "nothere", 0, STATX_BASIC_STATS, &stx));
    T(do_statx(AT_FDCWD, "sx/x", 0, STATX_BASIC_STATS, &stx));
    T(do_statx(-1, "sx", 0, STATX_BASIC_STATS, &stx));
    T(do_statx(AT_FDCWD, "sx", AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx));
    T(do_statx(AT_FDCWD, "sx", AT_STATX_DONT_SYNC, STATX_BASIC_STATS | STATX_BTIME, &stx));
    memset(&stx, 0xff, sizeof stx);
    if (do_statx(AT_FDCWD, "sx", 0, STATX_SIZE, &stx) == 0)
        printf("size-only: size %llu mode %o basic-in-mask %d\n", (unsigned long long)stx.stx_size,
               stx.stx_mode & S_IFMT, (stx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    if (do_statx(AT_FDCWD, "sx", 0, STATX_BASIC_STATS | STATX_BTIME, &stx) == 0)
        printf("file: size %llu nlink %u type %o btime-asked %d\n", (unsigned long long)stx.stx_size,
               stx.stx_nlink, stx.stx_mode & S_IFMT, !!(stx.stx_mask & STATX_BTIME));
    int pfd[2];
    pipe(pfd);
    memset(&stx, 0, sizeof stx);
    T(do_statx(pfd[0], "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx));
    printf("pipe: type %o nlink %u size %llu blksize %u mask-basic %d\n", stx.stx_mode & S_IFMT, stx.stx_nlink,
           (unsigned long long)stx.stx_size, stx.stx_blksize, (stx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    T(do_statx(pfd[0], "", 0, STATX_BASIC_STATS, &stx));
    int fd = open("sx", O_RDONLY);
    T(do_statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx));
    printf("by fd: size %llu\n", (unsigned long long)stx.stx_size);
    symlink("sx", "sxl");
    do_statx(AT_FDCWD, "sxl", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx);
    printf("nofollow type %o size %llu\n", stx.stx_mode & S_IFMT, (unsigned long long)stx.stx_size);
    do_statx(AT_FDCWD, "sxl", 0, STATX_BASIC_STATS, &stx);
    printf("follow type %o size %llu\n", stx.stx_mode & S_IFMT, (unsigned long long)stx.stx_size);
    close(fd); close(pfd[0]); close(pfd[1]);
    unlink("sxl");
    unlink("sx");
}

static void rename_cases(void)
{
    printf("-- rename\n");
    char longname[NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    put("a", "A");
    put("b", "B");
    mkdir("d1", 0755);
    mkdir("d2", 0755);
    mkdir("full", 0755);
    put("full/x", "X");
    symlink("loop", "loop");
    T(rename("a", "a"));
    T(rename("nothere", "z"));
    T(rename("a", "d1"));
    T(rename("d1", "a"));
    T(rename("d1", "full"));
    T(rename("d1", "d1/sub"));
    T(rename("a", "nodir/z"));
    T(rename("a", "b/z"));
    T(rename(BAD_PTR, "z"));
    T(rename("a", BAD_PTR));
    T(rename("a", longname));
    T(rename("loop/x", "z"));
    T(rename("a", "loop/x"));
    T(rename("", "z"));
    T(rename(".", "z"));
    T(rename("d1", "."));
    T(rename("d1/..", "z"));
    T(renameat(-1, "a", AT_FDCWD, "z"));
    T(renameat(AT_FDCWD, "a", -1, "z"));
    T(sys_renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE));
    T(sys_renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE | RENAME_EXCHANGE));
    T(sys_renameat2(AT_FDCWD, "a", AT_FDCWD, "b", 0x80));
    T(sys_renameat2(AT_FDCWD, "a", AT_FDCWD, "nothere", RENAME_EXCHANGE));
    T(sys_renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE));
    show_file("a");
    show_file("b");
    T(sys_renameat2(AT_FDCWD, "a", AT_FDCWD, "d1", RENAME_EXCHANGE));
    show_file("d1");
    T(sys_renameat2(AT_FDCWD, "d1", AT_FDCWD, "a", RENAME_EXCHANGE));
    T(sys_renameat2(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
    show_file("c");
    T(rename("c", "b"));
    show_file("b");
    T(rename("d2", "d1"));
    struct stat st;
    printf("d2 gone: %d\n", stat("d2", &st) < 0 && errno == ENOENT);
    unlink("loop");
    unlink("b");
    unlink("full/x");
    rmdir("full");
    rmdir("d1");
}

static void names_cases(void)
{
    printf("-- link, unlink, mkdir, rmdir\n");
    char longname[NAME_MAX + 2], longpath[PATH_MAX + 10];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = 0;
    for (int i = 10; i < PATH_MAX; i += 10) longpath[i] = '/';
    put("f", "F");
    mkdir("d", 0755);
    put("d/x", "X");
    symlink("loop", "loop");
    symlink("f", "fl");
    T(link("f", "g"));
    T(link("f", "g"));
    T(link("nothere", "h"));
    T(link("d", "dl"));
    T(link("f", "nodir/h"));
    T(link("f/x", "h"));
    T(link("f", longname));
    T(link(BAD_PTR, "h"));
    T(link("loop/x", "h"));
    T(linkat(AT_FDCWD, "f", AT_FDCWD, "h", 0x1));
    T(linkat(AT_FDCWD, "fl", AT_FDCWD, "hl", 0));
    struct stat st;
    lstat("hl", &st);
    printf("linkat without follow: symlink %d\n", S_ISLNK(st.st_mode));
    T(linkat(AT_FDCWD, "fl", AT_FDCWD, "hf", AT_SYMLINK_FOLLOW));
    lstat("hf", &st);
    printf("linkat follow: regular %d nlink %lu\n", S_ISREG(st.st_mode), (unsigned long)st.st_nlink);
    int fd = open("f", O_RDONLY);
    T(linkat(fd, "", AT_FDCWD, "he", AT_EMPTY_PATH));
    T(linkat(fd, "", AT_FDCWD, "he2", 0));
    close(fd);
    T(unlink("d"));
    T(unlink("nothere"));
    T(unlink("f/x"));
    T(unlink(""));
    T(unlink(BAD_PTR));
    T(unlink(longname));
    T(unlink(longpath));
    T(unlink("loop/x"));
    T(unlinkat(AT_FDCWD, "f", 0x1));
    T(unlinkat(AT_FDCWD, "f", AT_REMOVEDIR));
    T(unlinkat(-1, "f", 0));
    T(rmdir("f"));
    T(rmdir("d"));
    T(rmdir("."));
    T(rmdir("d/."));
    T(rmdir(".."));
    T(rmdir("nothere"));
    T(rmdir("fl"));
    T(mkdir("d", 0755));
    T(mkdir("f", 0755));
    T(mkdir("f/x", 0755));
    T(mkdir("nodir/x", 0755));
    T(mkdir(longname, 0755));
    T(mkdir(longpath, 0755));
    T(mkdir(BAD_PTR, 0755));
    T(mkdir("loop/x", 0755));
    T(mkdir("loop", 0755));
    T(mkdir("", 0755));
    T(mkdirat(-1, "x", 0755));
    T(mkdir("m/", 0700));
    stat("m", &st);
    printf("mkdir mode %o (umask 022)\n", st.st_mode & 07777);
    T(mkdir("m2", 07777));
    stat("m2", &st);
    printf("mkdir 07777 gives %o\n", st.st_mode & 07777);
    T(rmdir("m/"));
    T(rmdir("m2"));
    T(truncate("d", 0));
    T(truncate("f", -1));
    T(truncate("nothere", 0));
    T(truncate(BAD_PTR, 0));
    fd = open("f", O_RDONLY);
    T(ftruncate(fd, 0));
    close(fd);
    fd = open("f", O_WRONLY);
    T(ftruncate(fd, -1));
    T(ftruncate(fd, 100));
    close(fd);
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    T(utimensat(AT_FDCWD, "f", bad, 0));
    T(utimensat(AT_FDCWD, "f", NULL, 0x4));
    T(utimensat(AT_FDCWD, "nothere", NULL, 0));
    T(syscall(SYS_utimensat, AT_FDCWD, "f", BAD_PTR, 0));
    T(syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0));
    unlink("loop"); unlink("fl"); unlink("f"); unlink("g"); unlink("hl"); unlink("hf"); unlink("he"); unlink("he2");
    unlink("d/x"); rmdir("d");
}

/* Inode flags (chattr): an append-only file takes appends only. */
static void flags_cases(void)
{
    printf("-- inode flags\n");
    put("fl", "abc");
    int fd = open("fl", O_RDONLY);
    int flags = -1;
    long r = ioctl(fd, FS_IOC_GETFLAGS, &flags);
    show("ioctl(fd, FS_IOC_GETFLAGS, &flags)", r);
    if (r == 0) {
        int app = flags | FS_APPEND_FL;
        T(ioctl(fd, FS_IOC_SETFLAGS, &app));
        T(open("fl", O_WRONLY));
        int wfd = open("fl", O_WRONLY | O_APPEND);
        T(wfd >= 0 ? write(wfd, "d", 1) : -1);
        if (wfd >= 0) close(wfd);
        T(unlink("fl"));
        T(ioctl(fd, FS_IOC_SETFLAGS, &flags));
        show_file("fl");
    }
    T(ioctl(fd, FS_IOC_GETFLAGS, (int *)8));
    close(fd);
    unlink("fl");

    printf("-- mknod\n");
    T(mknod("cdev", S_IFCHR | 0600, makedev(1, 3)));
    struct stat st;
    if (stat("cdev", &st) == 0) printf("char %d rdev %u:%u mode %o\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
    int nfd = open("cdev", O_WRONLY);
    T(nfd >= 0 ? write(nfd, "abc", 3) : -1);
    if (nfd >= 0) close(nfd);
    T(mknod("cdev", S_IFCHR | 0600, makedev(1, 3)));
    T(mknod("fifo", S_IFIFO | 0644, 0));
    T(mknod("dir", S_IFDIR | 0755, 0));
    T(mknod("bad", 0170000 | 0644, 0));
    T(mknod("nodir/x", S_IFREG | 0644, 0));
    unlink("cdev");
    unlink("fifo");
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]) < 0) { perror("chdir"); return 1; }
    umask(022);
    setvbuf(stdout, NULL, _IONBF, 0);
    fallocate_cases();
    statx_cases();
    rename_cases();
    names_cases();
    flags_cases();
    return 0;
}
