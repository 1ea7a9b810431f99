/* Floating-point exception flags as the CPU raises them, SSE (double) and x87 (long
 * double): fetestexcept after each kind of exception, flags that stay until cleared,
 * feclearexcept of one flag, fegetenv/fesetenv, a signal handler that starts with
 * none and a thread of its own. Under uniemu, fetestexcept once said "none" to all:
 * the emulated CPU kept the flags where the guest could not see them. */
#include <fenv.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *names(int e)
{
    static char b[80];
    b[0] = 0;
    if (e & FE_INVALID) strcat(b, "invalid ");
    if (e & FE_DIVBYZERO) strcat(b, "divbyzero ");
    if (e & FE_OVERFLOW) strcat(b, "overflow ");
    if (e & FE_UNDERFLOW) strcat(b, "underflow ");
    if (e & FE_INEXACT) strcat(b, "inexact ");
    return b[0] ? b : "none";
}

static volatile double z = 0, one = 1, big = 1e308, tiny = 1e-308, three = 3, r;
/* (lz / lz) / lz: NaN / 0, no exception at all; 0 / 0 is invalid, not a division by zero. */
static volatile float fbig = 3e38f, fr;
static volatile long double lz = 0, lone = 1, lbig = 1e4900L, ltiny = 1e-4900L, lr;

#define T(expr)                                                                   \
    do {                                                                          \
        feclearexcept(FE_ALL_EXCEPT);                                             \
        expr;                                                                     \
        printf("%-24s %s\n", #expr, names(fetestexcept(FE_ALL_EXCEPT)));          \
    } while (0)

static void on_usr1(int sig)
{
    (void)sig;
    printf("handler starts with: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));
    r = one / z;   /* gone when the handler returns */
}

static void *thread_main(void *arg)
{
    (void)arg;
    feclearexcept(FE_ALL_EXCEPT);
    r = big * big;
    printf("thread: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));
    return NULL;
}

int main(void)
{
    printf("at start: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));
    T(r = one / z);
    T(r = z / z);
    T(r = big * big);
    T(r = tiny * tiny);
    T(r = one / three);
    T(r = one + one);
    T(fr = fbig * 10);
    T(r = (double)fbig * 10);
    T(lr = lone / lz);
    T(lr = lz / lz);
    T(lr = (lz / lz) / lz);
    T(lr = logl(lz));
    T(lr = log1pl(-lone));
    T(lr = logl(-lone));
    T(lr = expl(lbig));
    T(r = nearbyint(2.5));
    T(fr = nearbyintf(2.5f));
    T(lr = nearbyintl(2.5L));
    T(r = rint(2.5));
    T(lr = rintl(2.5L));
    T(lr = lbig * lbig);
    T(lr = ltiny * ltiny);
    T(lr = lone / 3);
    T(lr = lone + lone);

    feclearexcept(FE_ALL_EXCEPT);
    r = one / z;
    lr = lbig * lbig;
    printf("sticky: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_DIVBYZERO);
    printf("after clearing divbyzero: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));

    fenv_t env;
    fegetenv(&env);
    feclearexcept(FE_ALL_EXCEPT);
    r = one / three;
    printf("before fesetenv: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));
    fesetenv(&env);
    printf("after fesetenv: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));
    feraiseexcept(FE_UNDERFLOW);
    printf("after feraiseexcept(underflow): %s\n", names(fetestexcept(FE_ALL_EXCEPT)));

    feclearexcept(FE_ALL_EXCEPT);
    r = tiny * tiny;
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    printf("after the handler: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));

    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    printf("main after thread: %s\n", names(fetestexcept(FE_ALL_EXCEPT)));
    return 0;
}
