/* System V semaphores: SETVAL/GETVAL/SETALL/GETALL, semop with several operations
 * done all at once or not at all, IPC_NOWAIT, blocking between parent and child,
 * GETNCNT/GETZCNT of a waiter, semtimedop's timeout, SEM_UNDO undone at exit, EIDRM
 * for a waiter whose set is removed, EINTR for one a signal interrupts, ERANGE, EFBIG,
 * E2BIG, the /proc/sys/kernel limits. No raw ids printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static void check(const char *what, long r)
{
    if (r < 0) printf("%s: %s\n", what, strerror(errno));
    else printf("%s: %ld\n", what, r);
}

static void on_alarm(int sig) { (void)sig; }

static int op(int id, int num, int delta, int flg)
{
    struct sembuf b = { (unsigned short)num, (short)delta, (short)flg };
    return semop(id, &b, 1);
}

static void wait_for_waiters(int id, int num, int cmd, int n)
{
    while (semctl(id, num, cmd) < n) usleep(1000);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The limits, as Linux's defaults (served by the model under uniemu). */
    const char *lim[] = { "sem", "shmmni", "msgmax", "msgmnb", "msgmni" };
    for (int i = 0; i < 5; i++) {
        char path[64], line[128] = "";
        snprintf(path, sizeof path, "/proc/sys/kernel/%s", lim[i]);
        FILE *f = fopen(path, "r");
        if (f) { if (!fgets(line, sizeof line, f)) line[0] = 0; fclose(f); }
        printf("%s: %s", lim[i], line);
    }
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    if (id < 0) { perror("semget"); return 1; }
    struct semid_ds ds;
    union semun u = { .buf = &ds };
    semctl(id, 0, IPC_STAT, u);
    printf("nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
    check("semget too many", semget(IPC_PRIVATE, 100000, 0600));
    check("semget 0", semget(IPC_PRIVATE, 0, 0600));

    u.val = 2;
    check("SETVAL", semctl(id, 0, SETVAL, u));
    check("GETVAL", semctl(id, 0, GETVAL));
    check("GETPID is me", semctl(id, 0, GETPID) == getpid());
    u.val = 40000;
    check("SETVAL range", semctl(id, 0, SETVAL, u));
    unsigned short all[3] = { 5, 0, 7 }, got[3];
    u.array = all;
    check("SETALL", semctl(id, 0, SETALL, u));
    u.array = got;
    semctl(id, 0, GETALL, u);
    printf("GETALL %u %u %u\n", got[0], got[1], got[2]);

    /* All or nothing: the second operation would block, so nothing changes. */
    struct sembuf two[2] = { { 0, -1, 0 }, { 1, -1, IPC_NOWAIT } };
    check("semop all-or-nothing", semop(id, two, 2));
    printf("sem0 still %d\n", semctl(id, 0, GETVAL));
    check("semop NOWAIT", op(id, 1, -1, IPC_NOWAIT));
    check("semop zero-wait NOWAIT", op(id, 0, 0, IPC_NOWAIT));
    check("semop EFBIG", op(id, 5, 1, 0));
    check("semop ERANGE", op(id, 2, 32767, 0));
    struct sembuf many[600];
    memset(many, 0, sizeof many);
    check("semop E2BIG", semop(id, many, 600));

    /* A child blocks on sem 1 until the parent posts it. */
    pid_t pid = fork();
    if (pid == 0) {
        if (op(id, 1, -1, 0) < 0) { perror("child semop"); _exit(1); }
        printf("child got sem 1\n");
        _exit(0);
    }
    wait_for_waiters(id, 1, GETNCNT, 1);
    printf("GETNCNT %d\n", semctl(id, 1, GETNCNT));
    op(id, 1, 1, 0);
    int st;
    waitpid(pid, &st, 0);
    printf("child exit %d, sem1 %d\n", WEXITSTATUS(st), semctl(id, 1, GETVAL));

    /* Waiting for zero. */
    pid = fork();
    if (pid == 0) {
        op(id, 2, 0, 0);
        printf("child saw sem 2 reach zero\n");
        _exit(0);
    }
    wait_for_waiters(id, 2, GETZCNT, 1);
    printf("GETZCNT %d\n", semctl(id, 2, GETZCNT));
    op(id, 2, -7, 0);
    waitpid(pid, &st, 0);

    /* semtimedop times out. */
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    struct sembuf w = { 1, -1, 0 };
    check("semtimedop timeout", semtimedop(id, &w, 1, &ts));

    /* SEM_UNDO: the child's decrement is given back when it exits. */
    u.val = 3;
    semctl(id, 0, SETVAL, u);
    pid = fork();
    if (pid == 0) {
        op(id, 0, -2, SEM_UNDO);
        printf("child holds: %d\n", semctl(id, 0, GETVAL));
        _exit(0);
    }
    waitpid(pid, &st, 0);
    printf("after child exit: %d\n", semctl(id, 0, GETVAL));

    /* A waiter whose set is removed gets EIDRM. */
    pid = fork();
    if (pid == 0) {
        int r = op(id, 1, -1, 0);
        printf("child waiter: %s\n", r < 0 ? strerror(errno) : "ok");
        _exit(0);
    }
    wait_for_waiters(id, 1, GETNCNT, 1);
    long rm = semctl(id, 0, IPC_RMID);
    waitpid(pid, &st, 0);   /* the child prints first */
    check("IPC_RMID", rm);
    check("GETVAL removed", semctl(id, 0, GETVAL));

    /* A signal ends a blocked semop with EINTR, even under SA_RESTART. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    int si = semget(IPC_PRIVATE, 1, 0600);
    alarm(1);
    check("semop interrupted", op(si, 0, -1, 0));
    semctl(si, 0, IPC_RMID);

    /* By key, with IPC_EXCL. */
    key_t key = 0x75e12a02;
    int old = semget(key, 0, 0);
    if (old >= 0) semctl(old, 0, IPC_RMID);
    int k = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    check("semget key", k >= 0 ? 0 : -1);
    check("semget key excl", semget(key, 2, IPC_CREAT | IPC_EXCL | 0600));
    check("semget key more sems", semget(key, 3, 0));
    printf("same id: %d\n", semget(key, 1, 0) == k);
    semctl(k, 0, IPC_RMID);
    return 0;
}
