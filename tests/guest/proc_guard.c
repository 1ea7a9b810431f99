/* Under uniemu only (tests/proc_isolation.py): the guest's /proc reaches no host
 * process, not uniemu's own memory or descriptors. Natively most of these succeed.
 * Usage: proc_guard UNIEMU_HOST_PID OTHER_HOST_PID DIR
 * (DIR: a scratch directory for symlinks). Waits for a line on stdin before it ends,
 * so that the caller can look at uniemu's own oom_score_adj meanwhile. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* By name: musl's and glibc's strerror texts differ. */
static const char *res(int r)
{
    static char other[32];
    if (r >= 0) return "ok";
    switch (errno) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ELOOP: return "ELOOP";
    case EPERM: return "EPERM";
    default: snprintf(other, sizeof other, "errno %d", errno); return other;
    }
}

static void try_open(const char *label, const char *path, int flags)
{
    int fd = open(path, flags);
    printf("%s: %s\n", label, res(fd));
    if (fd >= 0) close(fd);
}

static void list(const char *label, const char *path, int hide1, int hide2)
{
    DIR *d = opendir(path);
    if (!d) { printf("%s: %s\n", label, res(-1)); return; }
    struct dirent *e;
    printf("%s:", label);
    while ((e = readdir(d))) {
        int v = atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (v == hide1 || v == hide2) printf(" HOST-PID");
        else printf(" %s", e->d_name);
    }
    printf("\n");
    closedir(d);
}

int main(int argc, char **argv)
{
    if (argc < 4) return 2;
    int me = atoi(argv[1]), other = atoi(argv[2]);
    char p[512];

    snprintf(p, sizeof p, "/proc/%d/status", other);
    try_open("other host process status", p, O_RDONLY);
    snprintf(p, sizeof p, "/proc/%d/oom_score_adj", other);
    try_open("other host process oom_score_adj", p, O_WRONLY);
    struct stat st;
    snprintf(p, sizeof p, "/proc/%d", other);
    printf("stat other host process: %s\n", res(stat(p, &st)));
    snprintf(p, sizeof p, "/proc/%d/exe", other);
    char link[256];
    printf("readlink other host exe: %s\n", res((int)readlink(p, link, sizeof link)));
    snprintf(p, sizeof p, "/proc/%d/status", other);
    printf("access other host status: %s\n", res(access(p, R_OK)));
    snprintf(p, sizeof p, "/proc/%d/mem", me);
    try_open("uniemu's mem", p, O_RDWR);
    snprintf(p, sizeof p, "/proc/%d/status", me);
    try_open("uniemu's status", p, O_RDONLY);
    try_open("/proc/1/cmdline", "/proc/1/cmdline", O_RDONLY);
    try_open("/proc/self/mem rw", "/proc/self/mem", O_RDWR);
    try_open("/proc/self/mem ro", "/proc/self/mem", O_RDONLY);
    try_open("/proc/thread-self/mem", "/proc/thread-self/mem", O_RDWR);
    try_open("/proc/self/pagemap", "/proc/self/pagemap", O_RDONLY);
    try_open("/proc/self/status for writing", "/proc/self/status", O_WRONLY);
    try_open("/proc/self/nosuch", "/proc/self/nosuch", O_RDONLY);
    try_open("/proc/config.gz (uniemu's kernel has none)", "/proc/config.gz", O_RDONLY);

    /* Relative to /proc, and through symlinks the guest makes. */
    int proc = open("/proc", O_RDONLY | O_DIRECTORY);
    snprintf(p, sizeof p, "%d/mem", me);
    printf("openat(/proc, UNIEMU/mem): %s\n", res(openat(proc, p, O_RDWR)));
    snprintf(p, sizeof p, "%d/status", other);
    printf("openat(/proc, OTHER/status): %s\n", res(openat(proc, p, O_RDONLY)));
    snprintf(p, sizeof p, "/proc/%d", me);
    char l1[512];
    snprintf(l1, sizeof l1, "%s/uniemu", argv[3]);
    symlink(p, l1);
    snprintf(p, sizeof p, "%s/uniemu/mem", argv[3]);
    try_open("symlink to uniemu's /proc dir, mem", p, O_RDWR);
    snprintf(p, sizeof p, "%s/uniemu/status", argv[3]);
    int fd = open(p, O_RDONLY);
    char buf[4096] = "";
    if (fd >= 0) { int n = read(fd, buf, sizeof buf - 1); buf[n > 0 ? n : 0] = 0; close(fd); }
    printf("symlink to uniemu's /proc dir, status: %s\n", strstr(buf, "\nPid:\t1000\n") ? "the guest's" : res(fd));
    snprintf(l1, sizeof l1, "%s/fd3", argv[3]);
    symlink("/proc/self/fd/3", l1);
    try_open("symlink to /proc/self/fd/3", l1, O_RDONLY);
    snprintf(l1, sizeof l1, "%s/fd5", argv[3]);
    symlink("/proc/self/fd/5", l1);
    try_open("symlink to /proc/self/fd/5", l1, O_RDONLY);
    close(proc);

    /* uniemu's own descriptors (its --strace log among them) are not the guest's. */
    list("fds", "/proc/self/fd", -1, -1);
    int open_ones = 0;
    for (int i = 3; i < 64; i++) {
        snprintf(p, sizeof p, "/proc/self/fd/%d", i);
        if (access(p, F_OK) == 0) open_ones++;
        snprintf(p, sizeof p, "/dev/fd/%d", i);
        if (access(p, F_OK) == 0) open_ones++;
    }
    printf("fd 3..63 reachable: %d\n", open_ones);
    list("/proc", "/proc", me, other);
    list("/proc/self/task", "/proc/self/task", me, other);

    /* What the guest reads is its own, the same in every run. */
    fd = open("/proc/self/stat", O_RDONLY);
    int n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("stat: %s", buf);
    close(fd);
    fd = open("/proc/self/oom_score_adj", O_WRONLY);
    printf("write own oom_score_adj 700: %s\n", res((int)write(fd, "700", 3)));
    close(fd);
    fflush(stdout);
    fgets(buf, sizeof buf, stdin);
    printf("done\n");
    return 0;
}
