/* SIGBUS past the end of a file mapping: the page that holds the file's last byte reads
 * zeros after it, a whole page past the end faults with BUS_ADRERR at the address. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int code;
static void *volatile addr;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    code = si->si_code;
    addr = si->si_addr;
    siglongjmp(env, 1);
}

int main(void)
{
    char name[] = "/tmp/uniemu-busXXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) return 1;
    unlink(name);
    if (write(fd, "hello", 5) != 5) return 1;
    char *p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return 1;
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    printf("first byte: %c, rest of the page: %d\n", p[0], p[100]);
    for (int page = 1; page < 3; page++) {
        if (!sigsetjmp(env, 1)) {
            volatile char c = p[page * 4096 + 8];
            (void)c;
            printf("page %d: no fault\n", page);
        } else {
            printf("page %d: SIGBUS %s, address right: %s\n", page, code == BUS_ADRERR ? "BUS_ADRERR" : "other",
                   addr == p + page * 4096 + 8 ? "yes" : "no");
        }
    }
    return 0;
}
