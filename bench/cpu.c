/* CPU-bound work with few syscalls: integer mixing over an array, then a checksum. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], 0, 0) : 50000000UL, s = 1;
    static unsigned a[4096];
    for (unsigned long i = 0; i < n; i++) {
        s = s * 6364136223846793005UL + 1442695040888963407UL;
        a[i & 4095] += (unsigned)(s >> 33);
    }
    unsigned long sum = 0;
    for (int i = 0; i < 4096; i++) sum += a[i];
    printf("%lu\n", sum);
    return 0;
}
