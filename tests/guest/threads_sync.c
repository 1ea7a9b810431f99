/* Synchronisation primitives: mutex counter, condvar bounded buffer, barrier
 * rounds, rwlock invariant, POSIX semaphores. Results are printed by main. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>

/* 1. mutex counter */
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static void *inc(void *a)
{
    (void)a;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&mtx);
        counter++;
        pthread_mutex_unlock(&mtx);
    }
    return NULL;
}

/* 2. bounded buffer */
#define QCAP 4
#define PER_PRODUCER 300
static int q[QCAP], qhead, qlen;
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static void put(int v)
{
    pthread_mutex_lock(&qm);
    while (qlen == QCAP)
        pthread_cond_wait(&not_full, &qm);
    q[(qhead + qlen++) % QCAP] = v;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&qm);
}
static int get(void)
{
    pthread_mutex_lock(&qm);
    while (qlen == 0)
        pthread_cond_wait(&not_empty, &qm);
    int v = q[qhead];
    qhead = (qhead + 1) % QCAP;
    qlen--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&qm);
    return v;
}
static void *producer(void *a)
{
    int base = (int)(intptr_t)a * 1000;
    for (int i = 1; i <= PER_PRODUCER; i++)
        put(base + i);
    put(-1); /* one end marker per producer */
    return NULL;
}
static void *consumer(void *a)
{
    (void)a;
    long sum = 0, n = 0;
    for (int v; (v = get()) != -1; n++)
        sum += v;
    return (void *)(intptr_t)(sum * 1000 + n); /* folded, unfolded by main */
}

/* 3. barrier */
#define BT 4
#define ROUNDS 5
static pthread_barrier_t bar;
static int slots[BT];
static int round_ok = 1, serial_count;
static void *bworker(void *a)
{
    int idx = (int)(intptr_t)a;
    for (int r = 0; r < ROUNDS; r++) {
        slots[idx] = r * 10 + idx;
        if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD)
            __atomic_fetch_add(&serial_count, 1, __ATOMIC_RELAXED);
        for (int j = 0; j < BT; j++)
            if (slots[j] != r * 10 + j)
                round_ok = 0;
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

/* 4. rwlock: writers keep a == b; readers check it */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long ra, rb;
static int rw_bad;
static void *writer(void *x)
{
    (void)x;
    for (int i = 0; i < 500; i++) {
        pthread_rwlock_wrlock(&rw);
        ra++;
        sched_yield();
        rb++;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}
static void *reader(void *x)
{
    (void)x;
    for (int i = 0; i < 500; i++) {
        pthread_rwlock_rdlock(&rw);
        if (ra != rb)
            __atomic_store_n(&rw_bad, 1, __ATOMIC_RELAXED);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

/* 5. semaphores */
static sem_t s_items, s_done;
static int sem_sum;
static void *sem_worker(void *x)
{
    (void)x;
    for (int i = 0; i < 10; i++) {
        sem_wait(&s_items);
        sem_sum += i;
    }
    sem_post(&s_done);
    return NULL;
}

int main(void)
{
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, inc, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    printf("mutex: counter=%ld\n", counter);

    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, producer, (void *)(intptr_t)(i + 1));
    for (int i = 2; i < 4; i++)
        pthread_create(&t[i], NULL, consumer, NULL);
    long total = 0, items = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        if (i >= 2) {
            total += (long)(intptr_t)r / 1000;
            items += (long)(intptr_t)r % 1000;
        }
    }
    printf("condvar: consumed %ld items, sum=%ld, left=%d\n", items, total, qlen);

    pthread_barrier_init(&bar, NULL, BT);
    for (int i = 0; i < BT; i++)
        pthread_create(&t[i], NULL, bworker, (void *)(intptr_t)i);
    for (int i = 0; i < BT; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&bar);
    printf("barrier: rounds=%d %s, serial=%d\n", ROUNDS, round_ok ? "ok" : "BAD", serial_count);

    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, writer, NULL);
    for (int i = 2; i < 6; i++)
        pthread_create(&t[i], NULL, reader, NULL);
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    printf("rwlock: a=%ld b=%ld invariant %s\n", ra, rb, rw_bad ? "BROKEN" : "held");

    sem_init(&s_items, 0, 0);
    sem_init(&s_done, 0, 0);
    int r = sem_trywait(&s_items);
    printf("sem: trywait on 0 -> %d %s\n", r, r < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    pthread_create(&t[0], NULL, sem_worker, NULL);
    for (int i = 0; i < 10; i++)
        sem_post(&s_items);
    sem_wait(&s_done);
    pthread_join(t[0], NULL);
    int v = -1;
    sem_getvalue(&s_items, &v);
    printf("sem: worker sum=%d, value=%d\n", sem_sum, v);
    sem_post(&s_items);
    sem_post(&s_items);
    int a = sem_trywait(&s_items), b = sem_trywait(&s_items), c = sem_trywait(&s_items);
    printf("sem: trywait after 2 posts -> %d %d %d\n", a, b, c);
    return 0;
}
