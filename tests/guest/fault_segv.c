/* fault_segv: prints "before" with write(2), then dereferences address 0x10:
 * the process must die of SIGSEGV. */
#include <unistd.h>

int main(void)
{
    if (write(1, "before\n", 7) != 7)
        return 2;
    volatile int *p = (volatile int *)0x10;
    *p = 42;
    return 0;
}
