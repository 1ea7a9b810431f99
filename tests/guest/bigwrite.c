/* bigwrite: writes 1 MiB to stdout through stdio (printf and puts), then
 * checks that readlink("/proc/self/exe") ends with the basename of argv[0]. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    /* 16384 lines of 64 bytes = 1 MiB; even lines via printf, odd via puts. */
    char line[64];
    unsigned long total = 0;
    for (int i = 0; i < 16384; i++) {
        if (i % 2 == 0) {
            int n = printf("printf line %05d %045d\n", i, i * 7);
            total += (unsigned long)n;
        } else {
            snprintf(line, sizeof line, "puts   line %05d %045d", i, i * 3);
            if (puts(line) < 0)
                return 1;
            total += strlen(line) + 1;
        }
    }
    fflush(stdout);
    fprintf(stderr, "bigwrite: %lu bytes written\n", total);

    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) {
        printf("readlink /proc/self/exe: %s\n", strerror(errno));
        return 1;
    }
    exe[n] = '\0';
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    size_t bl = strlen(base);
    int ends = (size_t)n >= bl && strcmp(exe + n - bl, base) == 0;
    printf("/proc/self/exe is absolute: %d\n", exe[0] == '/');
    printf("/proc/self/exe ends with basename(argv[0]): %d\n", ends);
    return 0;
}
