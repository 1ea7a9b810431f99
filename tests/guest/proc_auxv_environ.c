/* /proc/self/auxv is the aux vector the program started with (getauxval agrees, entry by
 * entry), and /proc/self/environ the environment exec gave it (a later setenv does not
 * show there, as on Linux). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;

int main(void)
{
    static char buf[1 << 16];
    FILE *f = fopen("/proc/self/auxv", "rb");
    if (!f) { perror("auxv"); return 1; }
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unsigned long *v = (unsigned long *)buf;
    size_t pairs = n / 16, same = 0, last_null = pairs && v[2 * (pairs - 1)] == AT_NULL;
    for (size_t i = 0; i < pairs; i++)
        if (v[2 * i] != AT_NULL && v[2 * i] != AT_IGNORE && getauxval(v[2 * i]) == v[2 * i + 1]) same++;
    printf("auxv: %zu entries, AT_NULL last: %s, all match getauxval: %s\n", pairs, last_null ? "yes" : "no",
           same == pairs - 1 ? "yes" : "no");
    char *initial[64];
    int k = 0;
    for (char **e = environ; *e && k < 64; e++) initial[k++] = *e;
    setenv("ADDED_LATER", "1", 1);
    f = fopen("/proc/self/environ", "rb");
    if (!f) { perror("environ"); return 1; }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    int count = 0, match = 1;
    for (size_t at = 0; at < n; at += strlen(buf + at) + 1) {
        if (count >= k || strcmp(buf + at, initial[count])) match = 0;
        count++;
    }
    printf("environ: %d strings, the initial environment: %s\n", count, match && count == k ? "yes" : "no");
    return 0;
}
