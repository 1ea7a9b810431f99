/* stdin_echo: copies stdin to stdout in 7-byte read() chunks, uppercasing
 * ASCII letters; reports the total number of bytes on stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(void)
{
    char buf[7];
    unsigned long total = 0, reads = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "read: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        reads++;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] = (char)(buf[i] - 'a' + 'A');
        if (write_all(1, buf, (size_t)n) < 0) {
            fprintf(stderr, "write: %s\n", strerror(errno));
            return 1;
        }
        total += (unsigned long)n;
    }
    fprintf(stderr, "stdin_echo: %lu bytes\n", total);
    (void)reads;
    return 0;
}
