/* exitcode: writes a line to stderr and exits with atoi(argv[1]). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int code = argc > 1 ? atoi(argv[1]) : 0;
    fprintf(stderr, "exitcode: exiting with status %d\n", code);
    printf("stdout line before exit\n");
    return code;
}
