/* files: exercises file-system system calls inside a fresh directory created
 * under the directory given in argv[1] (created if missing).  One line is
 * printed per step; every failing call prints strerror(errno).  Nothing
 * machine-dependent (inode numbers, times other than those set explicitly,
 * absolute paths) is printed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int failures;

/* Report the result of a call that returns -1 on error. */
static long step(const char *what, long ret)
{
    if (ret < 0) {
        printf("%s: error: %s\n", what, strerror(errno));
        failures++;
    } else {
        printf("%s: ok\n", what);
    }
    fflush(stdout);
    return ret;
}

/* Report a call that is expected to fail. */
static void expect_fail(const char *what, long ret)
{
    if (ret < 0)
        printf("%s: fails as expected: %s\n", what, strerror(errno));
    else {
        printf("%s: FAIL: unexpectedly succeeded (%ld)\n", what, ret);
        failures++;
    }
    fflush(stdout);
}

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
    fflush(stdout);
}

static const char *ftype(mode_t m)
{
    if (S_ISREG(m)) return "regular file";
    if (S_ISDIR(m)) return "directory";
    if (S_ISLNK(m)) return "symbolic link";
    if (S_ISCHR(m)) return "character device";
    if (S_ISBLK(m)) return "block device";
    if (S_ISFIFO(m)) return "fifo";
    if (S_ISSOCK(m)) return "socket";
    return "unknown";
}

static void show_stat(const char *what, const struct stat *st)
{
    printf("%s: size=%lld type=%s mode=%03o nlink=%lu\n", what,
           (long long)st->st_size, ftype(st->st_mode),
           (unsigned)(st->st_mode & 0777), (unsigned long)st->st_nlink);
    fflush(stdout);
}

static void do_stat(const char *path)
{
    struct stat st;
    char label[256];
    snprintf(label, sizeof label, "stat %s", path);
    if (stat(path, &st) < 0) {
        printf("%s: error: %s\n", label, strerror(errno));
        failures++;
        return;
    }
    show_stat(label, &st);
}

static void do_lstat(const char *path)
{
    struct stat st;
    char label[256];
    snprintf(label, sizeof label, "lstat %s", path);
    if (lstat(path, &st) < 0) {
        printf("%s: error: %s\n", label, strerror(errno));
        failures++;
        return;
    }
    show_stat(label, &st);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: error: %s\n", path, strerror(errno));
        failures++;
        return;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL && n < 256)
        names[n++] = strdup(e->d_name);
    if (errno != 0) {
        printf("readdir %s: error: %s\n", path, strerror(errno));
        failures++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    printf("listing %s (%zu entries):", path, n);
    for (size_t i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    fflush(stdout);
}

static void show_bytes(const char *what, const char *buf, long n)
{
    printf("%s: %ld bytes \"", what, n);
    for (long i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c >= 32 && c < 127 && c != '"' && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    printf("\"\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "w";
    char dir[4096], buf[256];
    struct stat st;
    long r;
    int fd;

    umask(022);

    if (mkdir(base, 0755) < 0 && errno != EEXIST) {
        printf("mkdir %s: error: %s\n", base, strerror(errno));
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/t", base);
    step("mkdir t", mkdir(dir, 0755));
    expect_fail("mkdir t again", mkdir(dir, 0755));
    if (step("chdir t", chdir(dir)) < 0)
        return 1;
    if (getcwd(buf, sizeof buf) == NULL) {
        printf("getcwd: error: %s\n", strerror(errno));
        failures++;
    } else {
        const char *slash = strrchr(buf, '/');
        printf("getcwd basename: %s (absolute: %d)\n", slash ? slash + 1 : buf, buf[0] == '/');
    }

    /* open / write / pwrite */
    fd = (int)step("open a.txt O_CREAT|O_WRONLY|O_TRUNC", open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0666));
    r = write(fd, "hello file\n", 11);
    printf("write: %ld\n", r);
    r = pwrite(fd, "XYZ", 3, 20);
    printf("pwrite at 20: %ld\n", r);
    r = lseek(fd, 0, SEEK_CUR);
    printf("offset after pwrite (unchanged): %ld\n", r);
    struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
    r = lseek(fd, 30, SEEK_SET);
    printf("lseek SEEK_SET 30: %ld\n", r);
    r = writev(fd, iov, 2);
    printf("writev: %ld\n", r);
    step("close a.txt", close(fd));
    expect_fail("open missing.txt O_RDONLY", open("missing.txt", O_RDONLY));
    expect_fail("open a.txt O_CREAT|O_EXCL", open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));

    /* creat */
    fd = (int)step("creat b.txt 0600", creat("b.txt", 0600));
    r = write(fd, "bbb", 3);
    printf("write b.txt: %ld\n", r);
    step("close b.txt", close(fd));

    /* read side */
    fd = (int)step("open a.txt O_RDWR", open("a.txt", O_RDWR));
    r = pread(fd, buf, 5, 0);
    show_bytes("pread 5 at 0", buf, r);
    r = pread(fd, buf, sizeof buf, 0);
    show_bytes("pread whole file", buf, r);
    r = lseek(fd, 0, SEEK_END);
    printf("lseek SEEK_END: %ld\n", r);
    r = lseek(fd, 6, SEEK_SET);
    printf("lseek SEEK_SET 6: %ld\n", r);
    r = read(fd, buf, 4);
    show_bytes("read 4", buf, r);
    r = lseek(fd, -2, SEEK_CUR);
    printf("lseek SEEK_CUR -2: %ld\n", r);
    char b1[3] = {0}, b2[5] = {0};
    struct iovec riov[2] = { { b1, 3 }, { b2, 5 } };
    r = readv(fd, riov, 2);
    printf("readv: %ld\n", r);
    show_bytes("readv part 1", b1, 3);
    show_bytes("readv part 2", b2, 5);
    r = lseek(fd, 0, SEEK_END);
    r = read(fd, buf, sizeof buf);
    printf("read at EOF: %ld\n", r);
    expect_fail("lseek to negative offset", lseek(fd, -100, SEEK_SET));
    if (fstat(fd, &st) == 0)
        show_stat("fstat a.txt", &st);
    else
        step("fstat a.txt", -1);
    do_stat("a.txt");
    do_stat("b.txt");
    step("ftruncate a.txt to 8", ftruncate(fd, 8));
    if (fstat(fd, &st) == 0)
        show_stat("fstat after ftruncate", &st);
    r = pread(fd, buf, sizeof buf, 0);
    show_bytes("content after ftruncate", buf, r);
    step("ftruncate a.txt to 12", ftruncate(fd, 12));
    r = pread(fd, buf, sizeof buf, 0);
    show_bytes("content after growing ftruncate", buf, r);
    step("close a.txt", close(fd));
    step("truncate b.txt to 1", truncate("b.txt", 1));
    do_stat("b.txt");

    /* rename, links */
    step("rename a.txt -> c.txt", rename("a.txt", "c.txt"));
    expect_fail("stat a.txt after rename", stat("a.txt", &st));
    do_stat("c.txt");
    step("symlink c.txt <- link", symlink("c.txt", "link"));
    r = readlink("link", buf, sizeof buf);
    if (r >= 0)
        show_bytes("readlink link", buf, r);
    else
        step("readlink link", -1);
    expect_fail("readlink of regular file", readlink("c.txt", buf, sizeof buf));
    do_lstat("link");
    do_stat("link");
    step("symlink dangling <- dlink", symlink("dangling-target", "dlink"));
    expect_fail("stat dangling symlink", stat("dlink", &st));
    do_lstat("dlink");
    step("link c.txt hard", link("c.txt", "hard"));
    do_stat("c.txt");

    /* directories */
    step("mkdir sub 0750", mkdir("sub", 0750));
    do_stat("sub");
    fd = (int)step("open sub/inner.txt", open("sub/inner.txt", O_CREAT | O_WRONLY, 0640));
    r = write(fd, "inner\n", 6);
    printf("write inner: %ld\n", r);
    close(fd);
    do_stat("sub/inner.txt");
    int dfd = (int)step("open sub O_DIRECTORY", open("sub", O_RDONLY | O_DIRECTORY));
    fd = (int)step("openat(sub, inner.txt)", openat(dfd, "inner.txt", O_RDONLY));
    r = read(fd, buf, sizeof buf);
    show_bytes("read via openat", buf, r);
    close(fd);
    if (fstatat(dfd, "inner.txt", &st, 0) == 0)
        show_stat("fstatat(sub, inner.txt)", &st);
    else
        step("fstatat", -1);
    close(dfd);
    expect_fail("open regular file with O_DIRECTORY", open("c.txt", O_RDONLY | O_DIRECTORY));
    list_dir(".");
    list_dir("sub");

    /* access */
    step("access c.txt F_OK", access("c.txt", F_OK));
    step("access c.txt R_OK", access("c.txt", R_OK));
    expect_fail("access missing F_OK", access("missing", F_OK));
    expect_fail("access missing R_OK", access("missing", R_OK));
    expect_fail("access missing/x F_OK", access("missing/x", F_OK));
    expect_fail("access c.txt/x F_OK", access("c.txt/x", F_OK));

    /* dup / dup2 / fcntl */
    fd = (int)step("open c.txt O_RDONLY|O_CLOEXEC", open("c.txt", O_RDONLY | O_CLOEXEC));
    printf("F_GETFD with O_CLOEXEC: %d\n", fcntl(fd, F_GETFD));
    printf("F_GETFL & O_ACCMODE == O_RDONLY: %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
    int d = (int)step("dup", dup(fd));
    check("dup returns a different fd", d != fd);
    printf("F_GETFD of dup: %d\n", fcntl(d, F_GETFD));
    step("F_SETFD FD_CLOEXEC", fcntl(d, F_SETFD, FD_CLOEXEC));
    printf("F_GETFD after F_SETFD: %d\n", fcntl(d, F_GETFD));
    step("F_SETFD 0", fcntl(d, F_SETFD, 0));
    printf("F_GETFD after clearing: %d\n", fcntl(d, F_GETFD));
    lseek(fd, 3, SEEK_SET);
    printf("dup shares the offset: %d\n", lseek(d, 0, SEEK_CUR) == 3);
    r = dup2(fd, 100);
    printf("dup2(fd, 100): %ld\n", r);
    printf("F_GETFD of dup2 target: %d\n", fcntl(100, F_GETFD));
    r = dup2(fd, fd);
    check("dup2(fd, fd) returns fd", r == fd);
    r = fcntl(fd, F_DUPFD, 50);
    check("F_DUPFD 50 returns >= 50", r >= 50);
    if (r >= 0)
        close((int)r);
    r = fcntl(fd, F_DUPFD_CLOEXEC, 60);
    check("F_DUPFD_CLOEXEC 60 returns >= 60", r >= 60);
    printf("F_GETFD of F_DUPFD_CLOEXEC: %d\n", r >= 0 ? fcntl((int)r, F_GETFD) : -1);
    if (r >= 0)
        close((int)r);
    step("close dup", close(d));
    int again = dup(fd);
    check("dup reuses the lowest free fd", again == d);
    close(again);
    step("close 100", close(100));
    expect_fail("close 100 again", close(100));
    expect_fail("fcntl F_GETFD on closed fd", fcntl(100, F_GETFD));
    expect_fail("read from closed fd", read(100, buf, 1));

    /* utimensat */
    struct timespec ts[2] = { { 1000000000, 0 }, { 1234567890, 123456789 } };
    step("utimensat c.txt", utimensat(AT_FDCWD, "c.txt", ts, 0));
    if (stat("c.txt", &st) == 0) {
        printf("atime: %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
        printf("mtime: %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
    struct timespec ts2[2] = { { 0, UTIME_OMIT }, { 1500000000, 0 } };
    step("futimens with UTIME_OMIT atime", futimens(fd, ts2));
    if (fstat(fd, &st) == 0) {
        printf("atime: %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
        printf("mtime: %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }

    /* chmod / fchmod */
    step("chmod c.txt 0600", chmod("c.txt", 0600));
    do_stat("c.txt");
    step("fchmod c.txt 0640", fchmod(fd, 0640));
    if (fstat(fd, &st) == 0)
        show_stat("fstat after fchmod", &st);
    step("fchmodat c.txt 0444", fchmodat(AT_FDCWD, "c.txt", 0444, 0));
    do_stat("c.txt");
    close(fd);

    /* removal */
    expect_fail("rmdir non-empty sub", rmdir("sub"));
    expect_fail("unlink directory sub", unlink("sub"));
    expect_fail("rmdir regular file", rmdir("c.txt"));
    step("unlink sub/inner.txt", unlink("sub/inner.txt"));
    step("rmdir sub", rmdir("sub"));
    step("unlink link", unlink("link"));
    step("unlink dlink", unlink("dlink"));
    step("unlink hard", unlink("hard"));
    do_stat("c.txt");
    step("unlink c.txt", unlink("c.txt"));
    step("unlink b.txt", unlink("b.txt"));
    expect_fail("unlink missing", unlink("c.txt"));
    list_dir(".");
    step("chdir ..", chdir(".."));
    step("rmdir t", rmdir("t"));
    expect_fail("chdir t after rmdir", chdir("t"));
    list_dir(".");

    printf("files: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
