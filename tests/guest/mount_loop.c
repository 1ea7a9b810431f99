/* mount, umount2 and loop devices as root: a tmpfs mounted on a directory here (statfs
 * sees tmpfs, a file made in it goes with the umount), mount errors in the kernel's
 * order, and a file attached to a free loop device (its size through BLKGETSIZE64,
 * LOOP_GET_STATUS64's offset), then detached. Without root every step prints the
 * kernel's refusal, the same natively and under uniemu.
 * Usage: mount_loop DIR (an empty directory). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    if (r < 0) printf("%-50s -1 %s\n", what, strerror(errno));
    else printf("%-50s %ld\n", what, r);
}
#define T(call) show(#call, (long)(call))

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]) < 0) { perror("chdir"); return 1; }
    setvbuf(stdout, NULL, _IONBF, 0);
    mkdir("mnt", 0755);
    T(mount("none", "mnt", "tmpfs", 0, "size=1m,mode=0700"));
    struct statfs sf;
    if (statfs("mnt", &sf) == 0) printf("tmpfs: %d\n", sf.f_type == TMPFS_MAGIC);
    struct stat st;
    if (stat("mnt", &st) == 0) printf("root mode %o\n", st.st_mode & 07777);
    int fd = open("mnt/f", O_CREAT | O_WRONLY, 0644);
    T(fd >= 0);
    if (fd >= 0) { write(fd, "x", 1); close(fd); }
    T(umount2("mnt", 0x100));
    T(umount2("nothere", 0));
    T(mount("none", "nothere", "tmpfs", 0, NULL));
    T(mount("none", "mnt", "no-such-fs-type", 0, NULL));
    T(umount2("mnt", 0));
    T(umount2("mnt", 0));
    T(stat("mnt/f", &st));

    /* A loop device backed by a 1 MiB file. */
    fd = open("img", O_CREAT | O_RDWR, 0644);
    ftruncate(fd, 1 << 20);
    int ctl = open("/dev/loop-control", O_RDWR);
    long n = ctl >= 0 ? ioctl(ctl, LOOP_CTL_GET_FREE) : -1;
    printf("free loop device: %s\n", n >= 0 ? "yes" : strerror(errno));
    if (n >= 0) {
        char dev[32];
        snprintf(dev, sizeof dev, "/dev/loop%ld", n);
        int lfd = open(dev, O_RDWR);
        T(lfd >= 0);
        T(ioctl(lfd, LOOP_SET_FD, fd));
        unsigned long long size = 0;
        T(ioctl(lfd, BLKGETSIZE64, &size));
        printf("device size %llu\n", size);
        int ssz = 0;
        T(ioctl(lfd, BLKSSZGET, &ssz));
        printf("sector size %d\n", ssz);
        struct loop_info64 li;
        memset(&li, 0, sizeof li);
        T(ioctl(lfd, LOOP_GET_STATUS64, &li));
        printf("offset %llu\n", (unsigned long long)li.lo_offset);
        T(ioctl(lfd, LOOP_SET_FD, 999));
        T(ioctl(lfd, LOOP_CLR_FD));
        close(lfd);
    }
    if (ctl >= 0) close(ctl);
    close(fd);
    unlink("img");
    rmdir("mnt");
    return 0;
}
