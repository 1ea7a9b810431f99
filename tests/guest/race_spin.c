/* A race under a spin-wait: main reads `data` before it waits for the thread's flag.
 * Exit 1 when the read saw the thread's store (it ran first). minimize's candidate runs
 * spin in main's loop when the switch to the thread is taken away. */
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
static atomic_int flag; static int data;
static void *w(void *a){ (void)a; data = 42; atomic_store(&flag,1); return 0; }
int main(void){ pthread_t t; pthread_create(&t,0,w,0);
  int seen = data;              /* racy read before the flag */
  while(!atomic_load(&flag)) ;  /* spin-wait */
  pthread_join(t,0); printf("%d\n", seen); return seen == 42; }
