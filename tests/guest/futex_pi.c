/* Priority-inheritance futexes and robust mutexes: the raw FUTEX_LOCK_PI family on a
 * word (owner TID, FUTEX_WAITERS, EDEADLK, ESRCH, EPERM, timeouts), PTHREAD_PRIO_INHERIT
 * mutexes under contention, and robust mutexes whose owner thread exits, whose owner
 * process dies (exit, SIGKILL, exec) with the mutex in MAP_SHARED memory, with and
 * without a waiter already asleep, with and without priority inheritance. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static const char *err(long r)
{
    if (r >= 0) return "0";
    switch (errno) {
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINVAL: return "EINVAL";
    case EDEADLK: return "EDEADLK";
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    default: return strerror(errno);
    }
}

static const char *rc(int r) { errno = r; return r ? err(-1) : "0"; }

static uint32_t tid(void) { return (uint32_t)syscall(SYS_gettid); }

/* The word as the owner sees it: which TID, and which flag bits. */
static void show(const char *what, uint32_t w, uint32_t me, uint32_t other)
{
    uint32_t t = w & FUTEX_TID_MASK;
    printf("%s: owner=%s%s%s\n", what, !t ? "none" : t == me ? "me" : t == other ? "other" : "?",
           w & FUTEX_WAITERS ? " WAITERS" : "", w & FUTEX_OWNER_DIED ? " OWNER_DIED" : "");
}

static volatile uint32_t word;
static volatile int stage;
static uint32_t thread_tid;

static void *hold_word(void *arg)
{
    (void)arg;
    thread_tid = tid();
    long r = futex(&word, FUTEX_LOCK_PI, 0, NULL);
    printf("thread LOCK_PI: %s\n", err(r));
    __atomic_store_n(&stage, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&stage, __ATOMIC_SEQ_CST) != 2) usleep(1000);
    r = futex(&word, FUTEX_UNLOCK_PI, 0, NULL);
    printf("thread UNLOCK_PI: %s\n", err(r));
    return NULL;
}

static void *just_tid(void *arg) { *(uint32_t *)arg = tid(); return NULL; }

static void raw_ops(void)
{
    uint32_t me = tid();
    long r = futex(&word, FUTEX_LOCK_PI, 0, NULL);
    printf("LOCK_PI free: %s\n", err(r));
    show("word", word, me, 0);
    printf("LOCK_PI again: %s\n", err(futex(&word, FUTEX_LOCK_PI, 0, NULL)));
    printf("TRYLOCK_PI own: %s\n", err(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL)));
    printf("UNLOCK_PI: %s\n", err(futex(&word, FUTEX_UNLOCK_PI, 0, NULL)));
    show("word", word, me, 0);
    printf("UNLOCK_PI not owner: %s\n", err(futex(&word, FUTEX_UNLOCK_PI, 0, NULL)));
    printf("TRYLOCK_PI free: %s\n", err(futex(&word, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL)));
    show("word", word, me, 0);
    printf("UNLOCK_PI_PRIVATE: %s\n", err(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL)));
    printf("LOCK_PI unaligned: %s\n", err(futex((uint32_t *)((char *)&word + 1), FUTEX_LOCK_PI, 0, NULL)));

    /* A TID that is gone: nobody can hand the lock over. */
    pthread_t th;
    uint32_t gone = 0;
    pthread_create(&th, NULL, just_tid, &gone);
    pthread_join(th, NULL);
    word = gone;
    printf("LOCK_PI dead owner: %s\n", err(futex(&word, FUTEX_LOCK_PI, 0, NULL)));
    printf("TRYLOCK_PI dead owner: %s\n", err(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL)));
    word = gone | FUTEX_OWNER_DIED;
    printf("LOCK_PI dead owner OWNER_DIED: %s\n", err(futex(&word, FUTEX_LOCK_PI, 0, NULL)));
    /* OWNER_DIED with no TID: free, and the bit stays for the new owner to see. */
    word = FUTEX_OWNER_DIED;
    printf("LOCK_PI owner died: %s\n", err(futex(&word, FUTEX_LOCK_PI, 0, NULL)));
    show("word", word, me, 0);
    printf("UNLOCK_PI: %s\n", err(futex(&word, FUTEX_UNLOCK_PI, 0, NULL)));
    show("word", word, me, 0);

    /* Held by a live thread: TRYLOCK sets FUTEX_WAITERS, a timed LOCK times out, an
     * untimed one gets the lock at the owner's UNLOCK_PI. */
    word = 0;
    stage = 0;
    pthread_create(&th, NULL, hold_word, NULL);
    while (__atomic_load_n(&stage, __ATOMIC_SEQ_CST) != 1) usleep(1000);
    show("held", word, me, thread_tid);
    printf("TRYLOCK_PI held: %s\n", err(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL)));
    show("after trylock", word, me, thread_tid);
    printf("UNLOCK_PI held by other: %s\n", err(futex(&word, FUTEX_UNLOCK_PI, 0, NULL)));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_nsec -= 1000000000; ts.tv_sec++; }
    printf("LOCK_PI timed: %s\n", err(futex(&word, FUTEX_LOCK_PI, 0, &ts)));
    struct timespec bad = { 0, 1000000000 };
    printf("LOCK_PI bad timeout: %s\n", err(futex(&word, FUTEX_LOCK_PI, 0, &bad)));
    __atomic_store_n(&stage, 2, __ATOMIC_SEQ_CST);
    r = futex(&word, FUTEX_LOCK_PI, 0, NULL);
    pthread_join(th, NULL);
    printf("LOCK_PI after handoff: %s\n", err(r));
    show("word", word, me, thread_tid);
    printf("UNLOCK_PI: %s\n", err(futex(&word, FUTEX_UNLOCK_PI, 0, NULL)));
    show("word", word, me, thread_tid);
}

/* ---- PTHREAD_PRIO_INHERIT under contention ---- */

static pthread_mutex_t pim;
static long counter;

static void *count(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&pim);
        long c = counter;
        if (i % 64 == 0) sched_yield();
        counter = c + 1;
        pthread_mutex_unlock(&pim);
    }
    return NULL;
}

static void pi_contention(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&pim, &a);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, count, NULL);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    printf("PI contention: counter=%ld\n", counter);
    int r = pthread_mutex_trylock(&pim);
    printf("PI trylock free: %s\n", rc(r));
    printf("PI relock errorcheck-free trylock: %s\n", rc(pthread_mutex_trylock(&pim)));
    pthread_mutex_unlock(&pim);
    pthread_mutex_destroy(&pim);

    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&pim, &a);
    pthread_mutex_lock(&pim);
    printf("PI errorcheck relock: %s\n", rc(pthread_mutex_lock(&pim)));
    pthread_mutex_unlock(&pim);
    printf("PI errorcheck unlock unlocked: %s\n", rc(pthread_mutex_unlock(&pim)));
    pthread_mutex_destroy(&pim);
    pthread_mutexattr_destroy(&a);
}

/* ---- robust mutexes ---- */

static void init_robust(pthread_mutex_t *m, int pshared, int pi)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared) pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (pi) pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

static void *lock_and_exit(void *arg)
{
    pthread_mutex_lock(arg);
    return NULL;
}

static volatile int held;

static void *lock_wait_exit(void *arg)
{
    pthread_mutex_lock(arg);
    __atomic_store_n(&held, 1, __ATOMIC_SEQ_CST);
    usleep(20000);   /* the main thread goes to sleep on the mutex meanwhile */
    return NULL;
}

static void robust_threads(int pi)
{
    pthread_mutex_t m;
    pthread_t th;
    init_robust(&m, 0, pi);
    pthread_create(&th, NULL, lock_and_exit, &m);
    pthread_join(th, NULL);
    int r = pthread_mutex_lock(&m);
    printf("pi=%d thread died: lock=%s\n", pi, rc(r));
    printf("pi=%d unlock without consistent: %s\n", pi, rc(pthread_mutex_unlock(&m)));
    printf("pi=%d lock unrecoverable: %s\n", pi, rc(pthread_mutex_lock(&m)));
    pthread_mutex_destroy(&m);

    init_robust(&m, 0, pi);
    pthread_create(&th, NULL, lock_and_exit, &m);
    pthread_join(th, NULL);
    r = pthread_mutex_lock(&m);
    printf("pi=%d thread died: lock=%s consistent=%s", pi, rc(r), rc(pthread_mutex_consistent(&m)));
    printf(" unlock=%s", rc(pthread_mutex_unlock(&m)));
    printf(" relock=%s\n", rc(pthread_mutex_lock(&m)));
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);

    /* A waiter already asleep when the owner exits. */
    init_robust(&m, 0, pi);
    held = 0;
    pthread_create(&th, NULL, lock_wait_exit, &m);
    while (!__atomic_load_n(&held, __ATOMIC_SEQ_CST)) usleep(1000);
    r = pthread_mutex_lock(&m);
    pthread_join(th, NULL);
    printf("pi=%d owner exited under a waiter: lock=%s consistent=%s\n", pi, rc(r), rc(pthread_mutex_consistent(&m)));
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);

    /* Trylock of an orphan reports it too. */
    init_robust(&m, 0, pi);
    pthread_create(&th, NULL, lock_and_exit, &m);
    pthread_join(th, NULL);
    printf("pi=%d trylock orphan: %s\n", pi, rc(pthread_mutex_trylock(&m)));
    pthread_mutex_consistent(&m);
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);
}

/* How a child process holding a shared robust mutex ends. */
enum end { END_EXIT, END_KILL, END_EXEC, END_THREAD_EXIT };

static const char *self_exe;

static void *thread_lock_then_exit(void *arg)
{
    pthread_mutex_lock(arg);
    return NULL;
}

static void robust_process(int pi, enum end how, int waiter)
{
    static const char *const names[] = { "exit", "SIGKILL", "exec", "thread" };
    struct shared { pthread_mutex_t m; volatile int held; } *s =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    init_robust(&s->m, 1, pi);
    s->held = 0;
    pid_t c = fork();
    if (c == 0) {
        if (how == END_THREAD_EXIT) {
            /* The thread that locked it exits; the process lives on a while. */
            pthread_t th;
            pthread_create(&th, NULL, thread_lock_then_exit, &s->m);
            pthread_join(th, NULL);
            s->held = 1;
            usleep(waiter ? 20000 : 0);
            _exit(0);
        }
        pthread_mutex_lock(&s->m);
        s->held = 1;
        if (waiter) usleep(20000);
        if (how == END_KILL) kill(getpid(), SIGKILL);
        if (how == END_EXEC) execl(self_exe, self_exe, "exit", (char *)NULL);
        _exit(0);
    }
    int r;
    if (waiter) {
        while (!s->held) usleep(1000);
        r = pthread_mutex_lock(&s->m);
        waitpid(c, NULL, 0);
    } else {
        waitpid(c, NULL, 0);
        r = pthread_mutex_lock(&s->m);
    }
    printf("pi=%d child %s%s: lock=%s", pi, names[how], waiter ? " under a waiter" : "", rc(r));
    if (r == EOWNERDEAD) printf(" consistent=%s", rc(pthread_mutex_consistent(&s->m)));
    printf(" unlock=%s\n", rc(pthread_mutex_unlock(&s->m)));
    pthread_mutex_destroy(&s->m);
    munmap(s, 4096);
}

/* The robust list itself, as the kernel reads it. */
struct robust_head { void *next; long offset; void *pending; };

static void robust_list_raw(void)
{
    struct robust_head *h = NULL;
    size_t len = 0;
    long r = syscall(SYS_get_robust_list, 0, &h, &len);
    printf("get_robust_list: %s head=%s len=%zu\n", err(r), h ? "set" : "NULL", len);
    struct robust_head mine;
    printf("set_robust_list bad len: %s\n", err(syscall(SYS_set_robust_list, &mine, sizeof mine + 1)));
    printf("get_robust_list bad pid: %s\n", err(syscall(SYS_get_robust_list, 999999, &h, &len)));
    printf("get_robust_list of init: %s\n", err(syscall(SYS_get_robust_list, 1, &h, &len)));
    pid_t parent = getpid();
    pid_t k = fork();
    if (k == 0) {
        printf("child: get_robust_list of the parent: %s\n", err(syscall(SYS_get_robust_list, parent, &h, &len)));
        if (setresuid(54321, 54321, 54321) == 0) {
            printf("child as another user: of the parent %s, of init %s\n",
                   err(syscall(SYS_get_robust_list, parent, &h, &len)), err(syscall(SYS_get_robust_list, 1, &h, &len)));
        }
        _exit(0);
    }
    waitpid(k, NULL, 0);

    /* A shared futex key needs the page, a private one only the address. */
    uint32_t *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, 4096);
    uint32_t *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("FUTEX_WAKE unmapped: %s, private %s\n", err(futex(gone, FUTEX_WAKE, 1, NULL)),
           err(futex(gone, FUTEX_WAKE_PRIVATE, 1, NULL)));
    printf("FUTEX_WAKE PROT_NONE: %s, private %s\n", err(futex(none, FUTEX_WAKE, 1, NULL)),
           err(futex(none, FUTEX_WAKE_PRIVATE, 1, NULL)));
    printf("FUTEX_CMP_REQUEUE to unmapped: %s\n",
           err(syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE, 1, 1, gone, word)));

    /* A child's own list: two held words (the second marked PI), one held by
     * somebody else, and a pending one. */
    struct node { struct node *next; uint32_t word; };
    struct area { struct robust_head head; struct node n[3]; struct node loop[2]; uint32_t pend; } *a =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t c = fork();
    if (c == 0) {
        uint32_t me = tid();
        a->n[0].word = me;
        a->n[1].word = me | FUTEX_WAITERS;
        a->n[2].word = 12345;
        a->pend = me;
        a->n[0].next = &a->n[1];
        a->n[1].next = (struct node *)((uintptr_t)&a->n[2] | 1);
        a->n[2].next = (struct node *)&a->head;
        a->head.next = &a->n[0];
        a->head.offset = (long)offsetof(struct node, word);
        a->head.pending = (char *)&a->pend - offsetof(struct node, word);
        syscall(SYS_set_robust_list, &a->head, sizeof a->head);
        syscall(SYS_exit_group, 0);
    }
    waitpid(c, NULL, 0);
    for (int i = 0; i < 3; i++) show("robust entry", a->n[i].word, 0, 0);
    show("robust pending", a->pend, 0, 0);

    /* A cycle that never comes back to the head: the walk stops at the limit, and the
     * pending entry is still handled. */
    c = fork();
    if (c == 0) {
        uint32_t me = tid();
        a->loop[0].word = me;
        a->loop[1].word = me;
        a->pend = me;
        a->loop[0].next = &a->loop[1];
        a->loop[1].next = &a->loop[0];
        a->head.next = &a->loop[0];
        a->head.offset = (long)offsetof(struct node, word);
        a->head.pending = (char *)&a->pend - offsetof(struct node, word);
        syscall(SYS_set_robust_list, &a->head, sizeof a->head);
        syscall(SYS_exit_group, 0);
    }
    waitpid(c, NULL, 0);
    show("loop entry 0", a->loop[0].word, 0, 0);
    show("loop entry 1", a->loop[1].word, 0, 0);
    show("loop pending", a->pend, 0, 0);
    munmap(a, 4096);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "exit")) return 0;
    self_exe = argv[0];
    setvbuf(stdout, NULL, _IONBF, 0);
    raw_ops();
    pi_contention();
    for (int pi = 0; pi <= 1; pi++) robust_threads(pi);
    for (int pi = 0; pi <= 1; pi++)
        for (int how = END_EXIT; how <= END_THREAD_EXIT; how++)
            for (int waiter = 0; waiter <= 1; waiter++) robust_process(pi, (enum end)how, waiter);
    robust_list_raw();
    return 0;
}
