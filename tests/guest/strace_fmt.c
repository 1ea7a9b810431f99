/* Syscalls whose strace lines uniemu must print exactly as strace does
 * (tests/strace_vs_native.py compares the two logs line by line). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
    int d = open("/tmp", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
    int p = open("/tmp", O_PATH | O_CLOEXEC | O_DIRECTORY);
    int f = open("/nonexistent/file", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0640);
    close(p);
    close(d);
    close(f);
    close(-1);
    int z = open("/dev/zero", O_RDONLY);
    char buf[64];
    read(z, buf, 40);
    lseek(z, 5, SEEK_SET);
    fcntl(z, F_GETFD);
    fcntl(z, F_SETFD, FD_CLOEXEC);
    fcntl(z, F_GETFL);
    int z2 = dup(z);
    dup2(z2, 9);
    close(9);
    close(z2);
    close(z);
    struct iovec v[3] = { { NULL, 0 }, { "tab\there \"quoted\"\n", 18 }, { "\x01\x02\x7f\xff", 4 } };
    writev(1, v, 3);
    write(1, "0123456789012345678901234567890123456789\n", 41);
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(m + 4096, 4096, PROT_NONE);
    mprotect(m, 4096, PROT_READ | PROT_EXEC);
    madvise(m, 4096, MADV_DONTNEED);
    munmap(m, 3 * 4096);
    mmap((void *)0x10000000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    munmap((void *)0x10000001, 4096);
    access("/nonexistent", F_OK);
    umask(027);
    _exit(7);
}
