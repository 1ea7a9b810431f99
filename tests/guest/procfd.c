/* /proc/self/fd/N and /proc/self/cwd name the program's own descriptors and directory
 * (under uniemu, never the emulator's own: its log file is one of them). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    int a = open("/proc/self/exe", O_RDONLY);
    char path[64], head[4] = { 0 };
    snprintf(path, sizeof path, "/proc/self/fd/%d", a);
    int b = open(path, O_RDONLY);
    printf("fd %d reopened as %d: %s\n", a, b, b >= 0 && read(b, head, 4) == 4 && !memcmp(head, "\177ELF", 4) ? "ELF" : "wrong");
    for (int fd = 5; fd < 12; fd++) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        int c = open(path, O_RDONLY);
        printf("%s: %s\n", path, c < 0 ? strerror(errno) : "opened");
    }
    int d = open("/proc/self/cwd/.", O_RDONLY | O_DIRECTORY);
    printf("cwd: %s\n", d >= 0 ? "opened" : strerror(errno));
    return 0;
}
