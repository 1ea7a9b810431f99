/* Forks without ever reaping its children: uniemu must answer EAGAIN (as Linux at
 * RLIMIT_NPROC) once 1024 processes are unreaped, not exhaust the host. Natively it
 * would fork until the user's process limit: do not compare with native. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    for (int n = 0;; n++) {
        pid_t p = fork();
        if (p < 0) {
            printf("fork failed after %d children: %s\n", n, errno == EAGAIN ? "EAGAIN" : "other");
            return 0;
        }
        if (p == 0) _exit(0);
    }
}
