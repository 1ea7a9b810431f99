#define _GNU_SOURCE
/* MAP_SHARED memory across fork: anonymous and file mappings are the same pages in
 * parent and child (writes both ways, after the other unmapped it, after mremap and
 * mprotect and a partial munmap), MADV_DONTNEED keeps shared contents, and process-shared
 * mutexes and semaphores in shared memory work between the two, and code the child
 * rewrites in shared memory runs new in the parent. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_child(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid) { perror("waitpid"); exit(1); }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void anon_both_ways(void)
{
    volatile int *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    p[0] = 1;
    pid_t pid = fork();
    if (pid == 0) {
        printf("child sees %d\n", p[0]);
        fflush(stdout);
        p[1] = 42;
        p[1024] = 43;                   /* second page */
        while (p[2] != 7) usleep(1000);  /* the parent writes after it saw ours */
        printf("child sees parent's %d\n", p[2]);
        fflush(stdout);
        munmap((void *)p, 3 * 4096);
        _exit(0);
    }
    while (p[1] != 42) usleep(1000);
    printf("parent sees child's %d %d\n", p[1], p[1024]);
    fflush(stdout);
    p[2] = 7;
    int st = wait_child(pid);
    /* The child unmapped it and exited: the memory is still ours. */
    p[3] = 5;
    printf("child exit %d, after its munmap p[1]=%d p[3]=%d\n", st, p[1], p[3]);
    munmap((void *)p, 3 * 4096);
}

static void after_parent_unmaps(void)
{
    volatile int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int pfd[2];
    if (pipe(pfd)) exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(pfd[1]);
        read(pfd[0], &c, 1);           /* the parent has unmapped it */
        printf("child after parent's munmap: %d\n", p[0]);
        fflush(stdout);
        _exit(0);
    }
    close(pfd[0]);
    p[0] = 99;
    munmap((void *)p, 4096);
    write(pfd[1], "x", 1);
    close(pfd[1]);
    wait_child(pid);
}

static void changes_keep_sharing(void)
{
    char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(p, 'a', 4 * 4096);
    munmap(p + 4096, 4096);                          /* split: [0] and [2,3] */
    mprotect(p + 2 * 4096, 4096, PROT_READ);          /* split again */
    madvise(p, 4096, MADV_DONTNEED);                  /* shared: contents stay */
    printf("after DONTNEED: %c\n", p[0]);
    pid_t pid = fork();
    if (pid == 0) {
        p[0] = 'b';
        p[3 * 4096] = 'c';
        _exit(0);
    }
    wait_child(pid);
    printf("split pieces shared: %c %c %c\n", p[0], p[2 * 4096], p[3 * 4096]);
    /* mremap moves the pages, still shared with a child forked afterwards. */
    char *q = mremap(p + 3 * 4096, 4096, 8192, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) { perror("mremap"); exit(1); }
    printf("moved: %c\n", q[0]);
    pid = fork();
    if (pid == 0) { q[1] = 'd'; _exit(0); }
    wait_child(pid);
    printf("moved shared: %c\n", q[1]);
    /* Linux's /proc/self/maps names shared anonymous memory a deleted /dev/zero. */
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (!strstr(line, "/dev/zero (deleted)")) continue;
        char perms[8];
        sscanf(line, "%*s %7s", perms);
        printf("maps: %s /dev/zero (deleted)\n", perms);
        n++;
    }
    if (f) fclose(f);
    printf("%d shared anonymous mappings\n", n);
    munmap(p, 4096);
    munmap(p + 2 * 4096, 4096);
    munmap(q, 8192);
}

static void file_mapping(void)
{
    char path[] = "shared_fork_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { perror("mkstemp"); exit(1); }
    unlink(path);
    if (ftruncate(fd, 8192)) exit(1);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) { perror("mmap file"); exit(1); }
    strcpy(p, "parent");
    pid_t pid = fork();
    if (pid == 0) {
        printf("child reads file mapping: %s\n", p);
        fflush(stdout);
        strcpy(p + 4096, "child");
        msync(p, 8192, MS_SYNC);
        _exit(0);
    }
    wait_child(pid);
    printf("parent sees child's write: %s\n", p + 4096);
    char buf[8] = "";
    pread(fd, buf, 5, 4096);
    printf("file holds: %s\n", buf);
    munmap(p, 8192);
    close(fd);
}

struct shared {
    pthread_mutex_t m;
    sem_t ready, done;
    int counter;
};

static void process_shared_sync(void)
{
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->m, &a);
    sem_init(&s->ready, 1, 0);
    sem_init(&s->done, 1, 0);
    pid_t pid = fork();
    if (pid == 0) {
        sem_wait(&s->ready);           /* blocks until the parent posts */
        for (int i = 0; i < 10000; i++) {
            pthread_mutex_lock(&s->m);
            s->counter++;
            pthread_mutex_unlock(&s->m);
        }
        sem_post(&s->done);
        _exit(0);
    }
    pthread_mutex_lock(&s->m);
    sem_post(&s->ready);
    usleep(10000);                     /* the child waits on the mutex meanwhile */
    s->counter += 100;
    pthread_mutex_unlock(&s->m);
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&s->m);
        s->counter++;
        pthread_mutex_unlock(&s->m);
    }
    sem_wait(&s->done);
    wait_child(pid);
    printf("counter %d\n", s->counter);
}

/* Code in shared memory rewritten by the child: the parent must not run its old
 * translation. */
static void shared_code(void)
{
    unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) { perror("mmap rwx"); exit(1); }
    static const unsigned char ret1[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };   /* mov eax, 1; ret */
    memcpy(code, ret1, sizeof ret1);
    int (*fn)(void) = (int (*)(void))code;
    int before = 0;
    for (int i = 0; i < 3; i++) before += fn();
    pid_t pid = fork();
    if (pid == 0) { code[1] = 0x02; _exit(0); }                                    /* mov eax, 2 */
    wait_child(pid);
    printf("shared code: %d then %d\n", before, fn());
    munmap(code, 4096);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    anon_both_ways();
    after_parent_unmaps();
    changes_keep_sharing();
    file_mapping();
    process_shared_sync();
    shared_code();
    return 0;
}
