/* Credentials: set*id/getres*id sequences and the capabilities they change, fork
 * inheriting them, /proc/self/status, and what a process that dropped to "nobody" may
 * do to root's files (run as root, in a fresh directory: argument DIR). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static const char *dir;

static void path(char *out, const char *name) { snprintf(out, 256, "%s/%s", dir, name); }

static void ids(const char *what)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    int fsu = (int)syscall(SYS_setfsuid, -1), fsg = (int)syscall(SYS_setfsgid, -1);
    printf("%-28s uid %u %u %u fs %d  gid %u %u %u fs %d\n", what, r, e, s, fsu, gr, ge, gs, fsg);
}

/* Capabilities as /proc/self/status shows them: 0, all (the bounding set) or some. */
static void caps(const char *what)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256], bnd[64] = "";
    char eff[64] = "?", prm[64] = "?";
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "CapEff:", 7)) sscanf(line + 7, "%63s", eff);
        if (!strncmp(line, "CapPrm:", 7)) sscanf(line + 7, "%63s", prm);
        if (!strncmp(line, "CapBnd:", 7)) sscanf(line + 7, "%63s", bnd);
    }
    if (f) fclose(f);
    printf("%-28s eff %s prm %s\n", what,
           !strcmp(eff, bnd) ? "all" : strspn(eff, "0") == strlen(eff) ? "none" : "some",
           !strcmp(prm, bnd) ? "all" : strspn(prm, "0") == strlen(prm) ? "none" : "some");
}

static void status_ids(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) || !strncmp(line, "Groups:", 7))
            fputs(line, stdout);
    if (f) fclose(f);
}

static void res(const char *what, int r)
{
    if (r < 0) printf("%-28s -1 %s\n", what, strerror(errno));
    else printf("%-28s %d\n", what, r);
}

static int run_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) { fn(); fflush(stdout); _exit(0); }
    int st;
    waitpid(pid, &st, 0);
    return st;
}

static void seq_res(void)
{
    ids("start");
    res("setresuid(-1,65534,-1)", setresuid(-1, NOBODY, -1));
    ids("euid nobody");
    caps("euid nobody");
    res("setresuid(-1,0,-1)", setresuid(-1, 0, -1));
    caps("euid back to 0");
    res("setreuid(65534,-1)", setreuid(NOBODY, -1));
    ids("ruid nobody");
    res("setreuid(-1,65534)", setreuid(-1, NOBODY));
    ids("euid nobody, saved");
    caps("euid nobody, saved 0");
    res("setreuid(-1,0)", setreuid(-1, 0));
    ids("euid 0 from saved");
    res("setresuid(65534,65534,65534)", setresuid(NOBODY, NOBODY, NOBODY));
    caps("all nobody");
    res("setresuid(-1,0,-1)", setresuid(-1, 0, -1));
    res("setuid(0)", setuid(0));
    res("setuid(65534)", setuid(NOBODY));
    res("setuid(-1)", setuid((uid_t)-1));
    res("setfsuid(0)", (int)syscall(SYS_setfsuid, 0));
    ids("after setfsuid(0)");
}

static void seq_gid(void)
{
    gid_t g[] = { 50, 7, 3 };
    res("setgroups(3)", setgroups(3, g));
    gid_t out[8];
    int n = getgroups(8, out);
    printf("getgroups = %d:", n);
    for (int i = 0; i < n; i++) printf(" %u", out[i]);
    printf("\n");
    res("getgroups(1) too small", getgroups(1, out));
    res("getgroups(0)", getgroups(0, NULL));
    res("setresgid(100,200,300)", setresgid(100, 200, 300));
    ids("gids set");
    res("setregid(-1,300)", setregid(-1, 300));
    ids("egid from saved");
    res("setfsgid(7)", (int)syscall(SYS_setfsgid, 7));
    ids("fsgid 7");
    res("setgid(100)", setgid(100));
    ids("setgid as root");
    res("setuid(65534)", setuid(NOBODY));
    res("setgid(5)", setgid(5));
    res("setgroups(0) as nobody", setgroups(0, NULL));
    res("setresgid(-1,100,-1)", setresgid(-1, 100, -1));
    res("setregid(100,100)", setregid(100, 100));
    res("setfsgid(9) = old", (int)syscall(SYS_setfsgid, 9));
    res("setfsgid(-1) = old", (int)syscall(SYS_setfsgid, -1));
    status_ids();
}

static void seq_keepcaps(void)
{
    res("prctl(PR_GET_KEEPCAPS)", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    res("prctl(PR_SET_KEEPCAPS,1)", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    res("setresuid(65534 x3)", setresuid(NOBODY, NOBODY, NOBODY));
    caps("nobody with keepcaps");
    res("prctl(PR_GET_KEEPCAPS)", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
}

static pthread_barrier_t bar;

static void *thread_fn(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&bar);   /* the main thread changes ids */
    pthread_barrier_wait(&bar);
    ids("other thread");
    return NULL;
}

/* libc changes every thread's ids (glibc and musl signal each thread). */
static void seq_threads(void)
{
    pthread_t th;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_create(&th, NULL, thread_fn, NULL);
    pthread_barrier_wait(&bar);
    res("setresgid(1,2,3)", setresgid(1, 2, 3));
    res("setresuid(4,5,0)", setresuid(4, 5, 0));
    pthread_barrier_wait(&bar);
    pthread_join(th, NULL);
    ids("main thread");
}

static void grandchild(void) { ids("grandchild"); status_ids(); }

static void seq_fork(void)
{
    setgroups(0, NULL);
    setresgid(NOBODY, NOBODY, 0);
    setresuid(NOBODY, NOBODY, 0);
    run_child(grandchild);
    res("kill(parent, 0)", kill(getppid(), 0));
    res("kill(self, 0)", kill(getpid(), 0));
}

static void try_open(const char *name, int flags)
{
    char p[256], what[64];
    path(p, name);
    int fd = open(p, flags, 0644);
    snprintf(what, sizeof what, "open %s %s", name, (flags & O_ACCMODE) == O_RDONLY ? "r" : (flags & O_ACCMODE) == O_WRONLY ? "w" : "rw");
    res(what, fd < 0 ? -1 : 0);
    if (fd >= 0) close(fd);
}

static void file_ops(void)
{
    char a[256], b[256];
    try_open("f600", O_RDONLY);
    try_open("f644", O_RDONLY);
    try_open("f644", O_WRONLY);
    try_open("d755/inner", O_RDONLY);
    try_open("d711/inner", O_RDONLY);
    try_open("d700/inner", O_RDONLY);
    try_open("new", O_WRONLY | O_CREAT);
    path(a, "f600"); res("access f600 R_OK", access(a, R_OK));
    path(a, "f644"); res("access f644 R_OK", access(a, R_OK));
    res("access f644 W_OK", access(a, W_OK));
    res("faccessat f644 W_OK EACCESS", faccessat(AT_FDCWD, a, W_OK, AT_EACCESS));
    path(a, "d755/sub"); res("mkdir d755/sub", mkdir(a, 0755));
    path(a, "d755/inner"); res("unlink d755/inner", unlink(a));
    path(b, "d755/moved"); res("rename d755/inner", rename(a, b));
    path(a, "f644"); res("chmod f644", chmod(a, 0666));
    res("chown f644", chown(a, NOBODY, NOBODY));
    res("truncate f644", truncate(a, 0));
    path(a, "d755"); res("rmdir d755", rmdir(a));
    path(a, "x700");
    char *argv[] = { a, NULL };
    res("execve x700", execve(a, argv, argv + 1));
    path(a, "pub/mine");
    int fd = open(a, O_WRONLY | O_CREAT, 0640);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) printf("created pub/mine: uid %u gid %u\n", st.st_uid, st.st_gid);
    else printf("create pub/mine: %s\n", strerror(errno));
    if (fd >= 0) close(fd);
    res("chmod pub/mine (owner)", chmod(a, 0600));
    res("unlink pub/mine (owner)", unlink(a));
}

/* A program with mode 0711 runs for anyone, though only root may read it. */
static void exec_711(void)
{
    char a[256];
    path(a, "p711");
    char *argv[] = { a, "--hello", NULL };
    execve(a, argv, argv + 2);
    printf("execve p711: %s\n", strerror(errno));
}

static void drop_files(void)
{
    setgroups(0, NULL);
    setgid(NOBODY);
    setuid(NOBODY);
    ids("dropped");
    file_ops();
    run_child(exec_711);
}

/* Real uid nobody, effective root: access() says no where open() says yes. */
static void real_nobody(void)
{
    setresuid(NOBODY, 0, 0);
    char a[256];
    path(a, "f600");
    res("ruid nobody: access f600", access(a, R_OK));
    try_open("f600", O_RDONLY);
    setresuid(0, NOBODY, 0);
    res("euid nobody: access f600", access(a, R_OK));
    try_open("f600", O_RDONLY);
}

/* SIGCHLD and a signal sent by a child carry the child's real uid. */
static void sig_uids(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setresuid(NOBODY, 0, 0);   /* real nobody, effective root: may signal the parent */
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    siginfo_t si;
    for (int i = 0; i < 2; i++) {
        if (sigwaitinfo(&s, &si) < 0) break;
        printf("%s si_uid %u\n", si.si_signo == SIGCHLD ? "SIGCHLD" : "SIGUSR1", si.si_uid);
    }
    waitpid(pid, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void mk(const char *name, int mode, bool is_dir)
{
    char p[256];
    path(p, name);
    if (is_dir) mkdir(p, (mode_t)mode);
    else close(open(p, O_WRONLY | O_CREAT | O_TRUNC, mode));
    chmod(p, (mode_t)mode);
}

static void rm(const char *name, bool is_dir)
{
    char p[256];
    path(p, name);
    if (is_dir) rmdir(p); else unlink(p);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--hello")) { ids("exec'd p711"); return 0; }
    dir = argc > 1 ? argv[1] : ".";
    umask(022);
    mk("f600", 0600, false);
    mk("f644", 0644, false);
    mk("x700", 0700, false);
    mk("d755", 0755, true);
    mk("d755/inner", 0644, false);
    mk("d711", 0711, true);
    mk("d711/inner", 0644, false);
    mk("d700", 0700, true);
    mk("d700/inner", 0644, false);
    mk("pub", 01777, true);
    /* p711: a copy of this program. */
    char p711[256];
    path(p711, "p711");
    int in = open("/proc/self/exe", O_RDONLY), out = open(p711, O_WRONLY | O_CREAT | O_TRUNC, 0700);
    char buf[65536];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0) write(out, buf, (size_t)n);
    close(in); close(out);
    chmod(p711, 0711);

    printf("-- set*uid\n"); run_child(seq_res);
    printf("-- gids and groups\n"); run_child(seq_gid);
    printf("-- keepcaps\n"); run_child(seq_keepcaps);
    printf("-- fork\n"); run_child(seq_fork);
    printf("-- threads\n"); run_child(seq_threads);
    printf("-- files as nobody\n"); run_child(drop_files);
    printf("-- real vs effective\n"); run_child(real_nobody);
    printf("-- signals\n"); sig_uids();
    ids("parent at the end");

    rm("pub/mine", false); rm("pub", true);
    rm("d700/inner", false); rm("d700", true);
    rm("d711/inner", false); rm("d711", true);
    rm("d755/inner", false); rm("d755/moved", false); rm("d755/sub", true); rm("d755", true);
    rm("x700", false); rm("p711", false); rm("f644", false); rm("f600", false); rm("new", false);
    return 0;
}
