/* Syscall-bound work: many small writes and reads. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    int out = open("/dev/null", O_WRONLY), in = open("/dev/zero", O_RDONLY);
    char c = 'x';
    for (int i = 0; i < n; i++) {
        if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1) return 1;
    }
    return 0;
}
