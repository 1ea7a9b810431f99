/* System V shared memory: get by key and IPC_PRIVATE, IPC_CREAT|IPC_EXCL, attach in
 * parent and child (fork inherits attaches), shm_nattch, IPC_STAT/IPC_SET, the
 * segment living on after IPC_RMID until its last detach, errors. No raw ids printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY 0x75e12a01

static void check(const char *what, long r)
{
    if (r < 0) printf("%s: %s\n", what, strerror(errno));
    else printf("%s: ok\n", what);
}

static unsigned long nattch(int id)
{
    struct shmid_ds d;
    if (shmctl(id, IPC_STAT, &d) < 0) return (unsigned long)-1;
    return d.shm_nattch;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int old = shmget(KEY, 0, 0);
    if (old >= 0) shmctl(old, IPC_RMID, NULL);   /* left over from an interrupted run */
    int id = shmget(KEY, 10000, IPC_CREAT | IPC_EXCL | 0600);
    check("shmget create", id);
    check("shmget excl again", shmget(KEY, 10000, IPC_CREAT | IPC_EXCL | 0600));
    printf("same id by key: %d\n", shmget(KEY, 5000, 0) == id);
    check("shmget larger", shmget(KEY, 20000, 0));
    check("shmget missing key", shmget(KEY + 1, 100, 0));
    check("shmget size 0", shmget(IPC_PRIVATE, 0, 0600));
    struct shmid_ds d;
    shmctl(id, IPC_STAT, &d);
    printf("segsz %zu mode %o nattch %lu cpid-is-me %d key-ok %d\n", d.shm_segsz, d.shm_perm.mode & 0777,
           d.shm_nattch, d.shm_cpid == getpid(), d.shm_perm.__key == KEY);

    char *p = shmat(id, NULL, 0);
    if (p == (char *)-1) { perror("shmat"); return 1; }
    printf("zero-filled: %d, nattch %lu\n", p[0] == 0 && p[9999] == 0, nattch(id));
    strcpy(p, "from parent");
    char *q = shmat(id, NULL, SHM_RDONLY);
    printf("second attach sees: %s, nattch %lu\n", q, nattch(id));
    shmdt(q);

    pid_t pid = fork();
    if (pid == 0) {
        printf("child inherits attach: %s, nattch %lu\n", p, nattch(id));
        strcpy(p + 5000, "from child");
        /* A fresh attach in the child sees the same pages too. */
        char *c = shmat(id, NULL, 0);
        printf("child's own attach: %s\n", c);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("parent sees: %s, nattch after child exit %lu\n", p + 5000, nattch(id));

    d.shm_perm.mode = 0640;
    check("IPC_SET", shmctl(id, IPC_SET, &d));
    shmctl(id, IPC_STAT, &d);
    printf("mode now %o\n", d.shm_perm.mode & 0777);

    /* Removed while attached: still usable, gone from the key, gone after detach. */
    check("IPC_RMID", shmctl(id, IPC_RMID, NULL));
    shmctl(id, IPC_STAT, &d);
    printf("marked dest %d, key cleared %d\n", !!(d.shm_perm.mode & SHM_DEST), d.shm_perm.__key == 0);
    check("get removed key", shmget(KEY, 0, 0));
    strcpy(p, "still here");
    printf("%s\n", p);
    check("shmdt", shmdt(p));
    check("stat after last detach", shmctl(id, IPC_STAT, &d));
    check("shmdt again", shmdt(p));
    check("shmat removed", (long)shmat(id, NULL, 0));
    int mis = shmget(IPC_PRIVATE, 4096, 0600);
    check("shmat misaligned", (long)shmat(mis, (void *)0x10001000 + 1, 0));
    shmctl(mis, IPC_RMID, NULL);
    check("shmctl bad cmd", shmctl(0, 12345, &d));

    /* IPC_PRIVATE segments are always new; attach at a fixed address with SHM_RND. */
    int a = shmget(IPC_PRIVATE, 4096, 0600), b = shmget(IPC_PRIVATE, 4096, 0600);
    printf("private distinct: %d\n", a != b && a >= 0 && b >= 0);
    char *f = shmat(a, (void *)0x600000001000ULL + 5, SHM_RND);
    printf("SHM_RND address: %#lx\n", (unsigned long)f);
    f[0] = 'x';
    shmdt(f);
    shmctl(a, IPC_RMID, NULL);
    shmctl(b, IPC_RMID, NULL);
    /* The kernel's struct shminfo, through the system call itself (libcs differ). */
    unsigned long info[9] = { 0 };
    long r = syscall(SYS_shmctl, 0, IPC_INFO, info);
    printf("IPC_INFO ok %d shmmin %lu shmmni %lu\n", r >= 0, info[1], info[2]);
    return 0;
}
