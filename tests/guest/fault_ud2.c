/* fault_ud2: executes ud2: the process must die of SIGILL. */
#include <unistd.h>

int main(void)
{
    if (write(1, "before\n", 7) != 7)
        return 2;
    __asm__ volatile("ud2");
    return 0;
}
