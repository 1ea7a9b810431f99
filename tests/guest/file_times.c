/* File times against the clock: files the program makes or changes carry "now" (the
 * clock the program reads), files it did not make are older than now, and times it
 * sets read back exactly. Prints relations only (times differ from run to run).
 * Usage: file_times DIR (an empty directory). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int64_t ns_of(struct timespec ts) { return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec; }

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ns_of(ts);
}

/* Linux stamps files from the coarse clock (a tick behind the fine one at most). */
#define SLACK 20000000LL

static void within(const char *what, struct timespec ts, int64_t lo, int64_t hi)
{
    int64_t t = ns_of(ts);
    printf("%-28s %s\n", what, t >= lo - SLACK && t <= hi + SLACK ? "now" :
                               t < lo ? "before" : "after");
}

static void pause_a_bit(void)
{
    struct timespec d = { 0, 30000000 };   /* longer than a tick */
    nanosleep(&d, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]) < 0) { perror("chdir"); return 1; }
    struct stat st, st2;

    /* libc-test's stat: the working directory is not from the future. */
    stat(".", &st);
    time_t t = time(NULL);
    printf("cwd times <= time(): %d %d %d\n", st.st_ctime <= t, st.st_mtime <= t, st.st_atime <= t);
    stat(argv[0], &st);
    printf("program older than now: %d\n", st.st_mtime <= t);

    pause_a_bit();
    int64_t t0 = now_ns();
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    int64_t t1 = now_ns();
    fstat(fd, &st);
    within("new file mtime", st.st_mtim, t0, t1);
    within("new file atime", st.st_atim, t0, t1);
    within("new file ctime", st.st_ctim, t0, t1);
    stat(".", &st2);
    within("dir mtime after create", st2.st_mtim, t0, t1);

    pause_a_bit();
    t0 = now_ns();
    write(fd, "hello", 5);
    t1 = now_ns();
    fstat(fd, &st2);
    within("mtime after write", st2.st_mtim, t0, t1);
    printf("mtime advanced by write: %d\n", ns_of(st2.st_mtim) > ns_of(st.st_mtim));
    printf("atime kept by write: %d\n", ns_of(st2.st_atim) == ns_of(st.st_atim));
    close(fd);
    stat("f", &st);
    printf("close keeps mtime: %d\n", ns_of(st.st_mtim) == ns_of(st2.st_mtim));

    /* relatime (this file system's mount): a read after a change updates atime, the
     * next one does not. */
    char buf[8];
    pause_a_bit();
    fd = open("f", O_RDONLY);
    t0 = now_ns();
    read(fd, buf, sizeof buf);
    t1 = now_ns();
    fstat(fd, &st);
    within("atime after read", st.st_atim, t0, t1);
    pause_a_bit();
    lseek(fd, 0, SEEK_SET);
    read(fd, buf, sizeof buf);
    fstat(fd, &st2);
    printf("second read keeps atime: %d\n", ns_of(st2.st_atim) == ns_of(st.st_atim));
    close(fd);

    /* Times the program sets read back as set (touch -r, tar x). */
    struct timespec set[2] = { { 1000000000, 123456789 }, { 1200000000, 987654321 } };
    pause_a_bit();
    t0 = now_ns();
    utimensat(AT_FDCWD, "f", set, 0);
    t1 = now_ns();
    stat("f", &st);
    printf("explicit atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    within("ctime after utimensat", st.st_ctim, t0, t1);

    /* touch -r: another file's times copied. */
    fd = open("g", O_CREAT | O_WRONLY, 0644);
    close(fd);
    struct timespec ref[2] = { st.st_atim, st.st_mtim };
    utimensat(AT_FDCWD, "g", ref, 0);
    stat("g", &st2);
    printf("touch -r copy equal: %d\n", ns_of(st2.st_mtim) == ns_of(st.st_mtim) && ns_of(st2.st_atim) == ns_of(st.st_atim));

    struct timespec omit_now[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
    pause_a_bit();
    t0 = now_ns();
    utimensat(AT_FDCWD, "f", omit_now, 0);
    t1 = now_ns();
    stat("f", &st);
    printf("UTIME_OMIT keeps atime: %d\n", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789);
    within("UTIME_NOW mtime", st.st_mtim, t0, t1);
    pause_a_bit();
    t0 = now_ns();
    utimensat(AT_FDCWD, "g", NULL, 0);
    t1 = now_ns();
    stat("g", &st);
    within("NULL times atime", st.st_atim, t0, t1);
    within("NULL times mtime", st.st_mtim, t0, t1);

    /* make: a target written now is newer than a source set in the past. */
    utimensat(AT_FDCWD, "f", set, 0);
    fd = open("target", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "x", 1);
    close(fd);
    stat("f", &st);
    stat("target", &st2);
    printf("target newer than source: %d\n", ns_of(st2.st_mtim) > ns_of(st.st_mtim));

    /* chmod and rename change ctime only. */
    pause_a_bit();
    t0 = now_ns();
    chmod("f", 0600);
    t1 = now_ns();
    stat("f", &st);
    within("ctime after chmod", st.st_ctim, t0, t1);
    printf("chmod keeps mtime: %d\n", st.st_mtim.tv_sec == 1200000000);
    pause_a_bit();
    t0 = now_ns();
    rename("f", "f2");
    t1 = now_ns();
    stat("f2", &st);
    within("ctime after rename", st.st_ctim, t0, t1);
    printf("rename keeps mtime: %d\n", st.st_mtim.tv_sec == 1200000000);

    /* Directories: mkdir, a new name in it, its removal. */
    pause_a_bit();
    t0 = now_ns();
    mkdir("d", 0755);
    t1 = now_ns();
    stat("d", &st);
    within("new dir mtime", st.st_mtim, t0, t1);
    pause_a_bit();
    t0 = now_ns();
    symlink("nowhere", "d/l");
    t1 = now_ns();
    stat("d", &st);
    within("dir mtime after symlink", st.st_mtim, t0, t1);
    lstat("d/l", &st);
    within("symlink mtime", st.st_mtim, t0, t1);
    pause_a_bit();
    t0 = now_ns();
    unlink("d/l");
    t1 = now_ns();
    stat("d", &st);
    within("dir mtime after unlink", st.st_mtim, t0, t1);

    /* truncate and ftruncate. */
    utimensat(AT_FDCWD, "g", set, 0);
    pause_a_bit();
    t0 = now_ns();
    truncate("g", 3);
    t1 = now_ns();
    stat("g", &st);
    within("mtime after truncate", st.st_mtim, t0, t1);

    /* tmpfile(): made, unlinked, written, fstat'ed (libc-test's stat). */
    FILE *f = tmpfile();
    if (f) {
        fputs("hello", f);
        fflush(f);
        fstat(fileno(f), &st);
        t = time(NULL);
        printf("tmpfile times <= time(): %d %d %d size %lld\n", st.st_ctime <= t, st.st_mtime <= t,
               st.st_atime <= t, (long long)st.st_size);
        fclose(f);
    }

    unlink("g");
    unlink("f2");
    unlink("target");
    rmdir("d");
    return 0;
}
