/* Basic pthreads: create/join with return values, a detached thread signalling
 * through a semaphore, pthread_once, __thread TLS and thread-specific data with
 * destructors. All output is printed by main after the threads are finished. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NT 5

static __thread int tls_val = 42;
static __thread char tls_buf[16];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_calls;
static pthread_key_t key;
static int dtor_calls;
static int dtor_sum;
static pthread_mutex_t dtor_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t done_sem;
static int detached_result;
static int tls_ok[NT];

static void init_once(void) { once_calls++; }

static void dtor(void *p)
{
    pthread_mutex_lock(&dtor_lock);
    dtor_calls++;
    dtor_sum += *(int *)p;
    pthread_mutex_unlock(&dtor_lock);
    free(p);
}

static void *worker(void *arg)
{
    int idx = (int)(intptr_t)arg;
    pthread_once(&once, init_once);
    int ok = tls_val == 42 && tls_buf[0] == 0;
    tls_val = 100 + idx;
    tls_buf[0] = (char)('a' + idx);
    int *p = malloc(sizeof *p);
    *p = idx + 1;
    pthread_setspecific(key, p);
    long sum = 0;
    for (int i = 0; i <= 1000 * (idx + 1); i++)
        sum += i;
    int *q = pthread_getspecific(key);
    ok = ok && tls_val == 100 + idx && tls_buf[0] == 'a' + idx && q == p && *q == idx + 1;
    tls_ok[idx] = ok;
    return (void *)(intptr_t)sum;
}

static void *detached(void *arg)
{
    (void)arg;
    pthread_once(&once, init_once);
    tls_val = 7;
    detached_result = tls_val * 6;
    sem_post(&done_sem);
    return NULL;
}

int main(void)
{
    pthread_t th[NT];
    long rets[NT];
    if (pthread_key_create(&key, dtor) != 0) {
        printf("key_create failed\n");
        return 1;
    }
    sem_init(&done_sem, 0, 0);
    tls_val = 1;
    for (int i = 0; i < NT; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            printf("create failed\n");
            return 1;
        }
    for (int i = 0; i < NT; i++) {
        void *r;
        pthread_join(th[i], &r);
        rets[i] = (long)(intptr_t)r;
    }
    printf("join:");
    for (int i = 0; i < NT; i++)
        printf(" %ld", rets[i]);
    printf("\n");

    pthread_t d;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&d, &attr, detached, NULL);
    pthread_attr_destroy(&attr);
    sem_wait(&done_sem);
    printf("detached: result=%d\n", detached_result);

    pthread_once(&once, init_once);
    printf("once: calls=%d\n", once_calls);

    int all = 1;
    for (int i = 0; i < NT; i++)
        all &= tls_ok[i];
    printf("tls: threads %s, main tls_val=%d\n", all ? "ok" : "BAD", tls_val);

    pthread_mutex_lock(&dtor_lock);
    printf("tsd: destructor calls=%d sum=%d\n", dtor_calls, dtor_sum);
    pthread_mutex_unlock(&dtor_lock);
    printf("tsd: main value %s\n", pthread_getspecific(key) == NULL ? "null" : "set");
    pthread_key_delete(key);
    return 0;
}
