/* hello: greeting plus a line describing argv.
 * The greeting is written with a single write(2) so that an strace log shows
 *   write(1, "hello, world\n", 13) = 13
 * regardless of how the libc buffers or flushes stdio (musl uses writev). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static const char greeting[] = "hello, world\n";
    if (write(1, greeting, sizeof greeting - 1) != (ssize_t)(sizeof greeting - 1))
        return 2;
    printf("argc=%d", argc);
    for (int i = 1; i < argc; i++)
        printf(" argv[%d]=\"%s\"", i, argv[i]);
    printf("\n");
    return 0;
}
