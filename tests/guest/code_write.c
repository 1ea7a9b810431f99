/* Code written into executable memory runs as written, whoever wrote it: the program's
 * own stores, a read() from a pipe, a pread() from a file, a W^X JIT's mprotect dance.
 * Under uniemu a read() into code once left the old translation running. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

/* mov eax, N; ret */
static void ret_n(unsigned char code[6], int n)
{
    code[0] = 0xb8;
    memcpy(code + 1, &n, 4);
    code[5] = 0xc3;
}

static int call(unsigned char *p) { return ((int (*)(void))p)(); }

int main(void)
{
    unsigned char *p = mmap(0, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    unsigned char code[6];
    ret_n(code, 1);
    memcpy(p, code, 6);
    printf("stored: %d\n", call(p));

    int fds[2];
    if (pipe(fds)) return 2;
    ret_n(code, 2);
    write(fds[1], code, 6);
    read(fds[0], p, 6);
    printf("after read: %d\n", call(p));

    ret_n(code, 3);
    struct iovec iov = { code, 6 };
    writev(fds[1], &iov, 1);
    struct iovec in = { p, 6 };
    readv(fds[0], &in, 1);
    printf("after readv: %d\n", call(p));

    char name[] = "code_write_XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) return 2;
    unlink(name);
    ret_n(code, 4);
    pwrite(fd, code, 6, 0);
    pread(fd, p, 6, 0);
    printf("after pread: %d\n", call(p));
    close(fd);

    /* W^X: write while writable, run while executable, twice over the same page. */
    unsigned char *q = p + 4096;
    for (int n = 5; n <= 6; n++) {
        mprotect(q, 4096, PROT_READ | PROT_WRITE);
        ret_n(code, n);
        memcpy(q, code, 6);
        mprotect(q, 4096, PROT_READ | PROT_EXEC);
        printf("W^X round %d: %d\n", n - 4, call(q));
    }
    return 0;
}
