/* What a SIGSEGV handler sees for execution that runs into a PROT_NONE page: falling
 * through from the page before, an instruction straddling the boundary, and a read of
 * the page after a compare (the saved flags, with RF as the CPU sets it for a fault).
 * Under uniemu si_addr and RIP were once the start of the block that ran into it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static unsigned char *page;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], base = (uintptr_t)page;
    char where[40];
    if (rip - base < 8192) snprintf(where, sizeof where, "page+%lu", (unsigned long)(rip - base));
    else snprintf(where, sizeof where, "%#lx (the program)", (unsigned long)rip);
    printf("  signal %d code %d si_addr page+%ld rip %s eflags %#llx\n", sig, si->si_code,
           (long)((unsigned char *)si->si_addr - page), where, (unsigned long long)uc->uc_mcontext.gregs[REG_EFL]);
    fflush(stdout);
    _exit(0);
}

static void run(const char *what, int kind)
{
    printf("%s\n", what);
    fflush(stdout);
    if (fork() == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        page = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memset(page, 0x90, 4096);   /* nops up to the boundary */
        if (kind == 1) { page[4094] = 0x48; page[4095] = 0x31; }   /* xor r/m64: its modrm is past it */
        mprotect(page + 4096, 4096, PROT_NONE);
        if (kind == 2) {
            volatile int *q = (volatile int *)(page + 4096);
            __asm__ volatile("cmp $1, %%eax" ::"a"(2));
            (void)*q;
        }
        ((void (*)(void))(page + 4000))();
        _exit(1);
    }
    int status;
    wait(&status);
    if (!WIFEXITED(status) || WEXITSTATUS(status)) printf("  child status %#x\n", status);
}

int main(void)
{
    run("runs into a PROT_NONE page:", 0);
    run("an instruction straddles into it:", 1);
    run("a read of it:", 2);
    return 0;
}
