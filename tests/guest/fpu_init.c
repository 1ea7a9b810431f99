/* The FPU as Linux sets it up: at program start, in a signal handler (fresh state,
 * the interrupted one back after it returns), inherited by fork and by threads, fresh
 * again after execve. And the digits that depend on it: printf, strtod, long double.
 * Under uniemu the x87 control word once started as 0 (24-bit precision): printf
 * of 0.1 gave 0.10000000149011612 from its second call on. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct fpu { unsigned short cw, sw, tw; unsigned mxcsr; };

static struct fpu read_fpu(void)
{
    struct fpu f;
    unsigned char env[28];
    __asm__ volatile("fnstenv %0; fldenv %0" : "=m"(env));
    __asm__ volatile("fnstcw %0; fnstsw %1; stmxcsr %2" : "=m"(f.cw), "=m"(f.sw), "=m"(f.mxcsr));
    f.tw = (unsigned short)(env[8] | env[9] << 8);
    return f;
}

static void show(const char *where)
{
    struct fpu f = read_fpu();
    /* Of the status word only the stack top: its flags and condition codes are left by
     * the arithmetic before (exception flags are another test's matter). */
    printf("%-14s fcw %#06x top %d ftw %#06x mxcsr %#06x\n", where, f.cw, (f.sw >> 11) & 7, f.tw, f.mxcsr);
}

static void set_fpu(unsigned short cw, unsigned mxcsr)
{
    /* fnclex: the status word's flags would show x87 exceptions raised so far, which
     * is another matter (tests of exception flags). */
    __asm__ volatile("fnclex; fldcw %0; ldmxcsr %1" ::"m"(cw), "m"(mxcsr));
}

static void on_usr1(int sig)
{
    (void)sig;
    show("in handler");
    set_fpu(0x0c7f, 0x7f80);   /* changed here, gone after the handler returns */
}

static void *thread_main(void *arg)
{
    (void)arg;
    show("in thread");
    return NULL;
}

static void digits(void)
{
    volatile double tenth = 0.1, third = 1.0 / 3;
    for (int i = 0; i < 3; i++) printf("%.17g %.17g %a\n", tenth, third, tenth * 3);
    printf("%.21Lg %.21Lg\n", 1.0L / 3, (long double)tenth * 10);
    printf("strtod %.17g %.17g\n", strtod("0.1", NULL), strtod("2.2250738585072014e-308", NULL));
    printf("strtold %.21Lg\n", strtold("0.3333333333333333333333", NULL));
    printf("%g %g %.3e\n", 1e300 * 10, 123456789.0, 2.0 / 3);
}

int main(int argc, char **argv)
{
    if (argc > 1) { show("after execve"); return 0; }
    show("at start");
    digits();
    signal(SIGUSR1, on_usr1);
    set_fpu(0x027f, 0x9fc0);   /* 53-bit precision; flush-to-zero, denormals-are-zero */
    raise(SIGUSR1);
    show("after handler");
    pid_t pid = fork();
    if (pid == 0) { show("in child"); fflush(stdout); _exit(0); }
    waitpid(pid, NULL, 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "again", (char *)NULL);
    perror("execl");
    return 1;
}
