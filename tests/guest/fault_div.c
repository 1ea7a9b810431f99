/* fault_div: integer division by a divisor read from argv[1] ("0" in the
 * test): the process must die of SIGFPE. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    volatile int divisor = argc > 1 ? atoi(argv[1]) : 0;
    volatile int dividend = 100;
    if (write(1, "before\n", 7) != 7)
        return 2;
    int q = dividend / divisor;
    printf("quotient %d\n", q);
    return 0;
}
