/* A thread that is not the process's leader faults while the leader waits for it: the
 * whole process dies of SIGSEGV (status 139). uniemu's crash report names the process
 * and the faulting thread, and its task list shows the faulting instruction. */
#include <pthread.h>
#include <stdio.h>

static volatile int *volatile target;

static void *worker(void *arg)
{
    (void)arg;
    *target = 1;   /* NULL: SEGV_MAPERR at address 0 */
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) return 1;
    pthread_join(t, NULL);
    puts("not reached");
    return 0;
}
