/* Linux makes /proc/self/maps's text when it is read, not when it is opened: a mapping
 * made between the open and the first read shows. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0) { perror("open"); return 1; }
    char *p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    static char buf[1 << 16];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
    buf[len] = 0;
    char line[64];
    snprintf(line, sizeof line, "%lx-%lx r--p", (unsigned long)p, (unsigned long)p + 3 * 4096);
    printf("mapping made after the open %s\n", strstr(buf, line) ? "shows" : "is missing");
    /* A read from the start again (pread) makes the text anew. */
    munmap(p, 3 * 4096);
    n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    printf("after munmap, pread from 0 %s it\n", strstr(buf, line) ? "still shows" : "no longer shows");
    close(fd);
    return 0;
}
