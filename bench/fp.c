/* Floating-point workloads for the cost of uniemu's FPU corrections:
 *   fp nbody N    N steps of a 5-body simulation in double (SSE)
 *   fp ldouble N  N rounds of long double functions (x87: expl, logl, sinl, atan2l, fmodl)
 *   fp fenv N     N rounds of an SSE division and fetestexcept/feclearexcept */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double nbody(long steps)
{
    double x[5][3], v[5][3], m[5];
    for (int i = 0; i < 5; i++) {
        m[i] = 1.0 + i * 0.1;
        for (int k = 0; k < 3; k++) { x[i][k] = i * 1.5 + k * 0.3; v[i][k] = (k - 1) * 0.01 * i; }
    }
    for (long s = 0; s < steps; s++) {
        for (int i = 0; i < 5; i++)
            for (int j = i + 1; j < 5; j++) {
                double d[3], d2 = 0;
                for (int k = 0; k < 3; k++) { d[k] = x[i][k] - x[j][k]; d2 += d[k] * d[k]; }
                double mag = 0.01 / (d2 * sqrt(d2));
                for (int k = 0; k < 3; k++) { v[i][k] -= d[k] * m[j] * mag; v[j][k] += d[k] * m[i] * mag; }
            }
        for (int i = 0; i < 5; i++)
            for (int k = 0; k < 3; k++) x[i][k] += 0.01 * v[i][k];
    }
    return x[0][0] + x[4][2];
}

static long double ldouble(long n)
{
    long double acc = 0;
    for (long i = 1; i <= n; i++) {
        long double a = (long double)i / n;
        acc += expl(a) + logl(a + 1) + sinl(a * 3) + atan2l(a, 0.5L) + fmodl(a * 1e6L, 3.0L);
    }
    return acc;
}

static int fenv(long n)
{
    volatile double z = 0, one = 1, r;
    int seen = 0;
    for (long i = 0; i < n; i++) {
        feclearexcept(FE_ALL_EXCEPT);
        r = (i & 1) ? one / z : one + one;
        seen += fetestexcept(FE_DIVBYZERO) != 0;
    }
    (void)r;
    return seen;
}

int main(int argc, char **argv)
{
    long n = argc > 2 ? atol(argv[2]) : 100000;
    const char *what = argc > 1 ? argv[1] : "nbody";
    if (!strcmp(what, "nbody")) printf("%.9f\n", nbody(n));
    else if (!strcmp(what, "ldouble")) printf("%.12Lf\n", ldouble(n));
    else if (!strcmp(what, "fenv")) printf("%d\n", fenv(n));
    else return 2;
    return 0;
}
