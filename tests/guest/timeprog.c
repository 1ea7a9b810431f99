/* timeprog: clocks, sleeping, randomness and uname.  Prints only values that
 * are the same on every run (checks as ok/FAIL, fixed resolutions, return
 * values). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>

static int failures;

static void check(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

static long long ns(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void)
{
    struct timespec t1, t2, t3, res;

    if (clock_gettime(CLOCK_MONOTONIC, &t1) != 0 || clock_gettime(CLOCK_MONOTONIC, &t2) != 0) {
        printf("clock_gettime: FAIL: %s\n", strerror(errno));
        failures++;
    } else if (ns(&t2) >= ns(&t1)) {
        printf("monotonic ok\n");
    } else {
        printf("monotonic FAIL: went backwards\n");
        failures++;
    }
    check("monotonic tv_nsec in range", t1.tv_nsec >= 0 && t1.tv_nsec < 1000000000L);

    struct timeval tv;
    check("gettimeofday returns 0", gettimeofday(&tv, NULL) == 0);
    check("gettimeofday non-zero", tv.tv_sec != 0);
    check("gettimeofday tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    time_t now = time(NULL);
    check("time() non-zero", now != 0 && now != (time_t)-1);
    check("time() within 2 s of gettimeofday", now - tv.tv_sec >= -2 && now - tv.tv_sec <= 2);
    struct timespec rt;
    check("clock_gettime(CLOCK_REALTIME) returns 0", clock_gettime(CLOCK_REALTIME, &rt) == 0);
    check("CLOCK_REALTIME within 2 s of time()", rt.tv_sec - now >= -2 && rt.tv_sec - now <= 2);

    if (clock_getres(CLOCK_MONOTONIC, &res) == 0)
        printf("CLOCK_MONOTONIC resolution: %lld.%09ld s\n", (long long)res.tv_sec, res.tv_nsec);
    else {
        printf("clock_getres: FAIL: %s\n", strerror(errno));
        failures++;
    }

    struct timespec req = { 0, 1000000 }, rem = { 0, 0 };
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int r = nanosleep(&req, &rem);
    clock_gettime(CLOCK_MONOTONIC, &t3);
    printf("nanosleep 1 ms returned %d\n", r);
    check("monotonic advanced by >= 1 ms across nanosleep", ns(&t3) - ns(&t1) >= 1000000LL);

    unsigned char rnd[16];
    ssize_t g = getrandom(rnd, sizeof rnd, 0);
    printf("getrandom(16) returned %zd\n", g);

    struct utsname u;
    if (uname(&u) == 0) {
        printf("sysname: %s\n", u.sysname);
        printf("machine: %s\n", u.machine);
    } else {
        printf("uname: FAIL: %s\n", strerror(errno));
        failures++;
    }

    printf("timeprog: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
