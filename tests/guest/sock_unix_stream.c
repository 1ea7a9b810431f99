/* An AF_UNIX stream server on a path in the working directory with three forked
 * clients: the socket file, names, peer credentials, EOF after shutdown, poll on the
 * listener, unlink and the abstract namespace. Prints only what Linux fixes (replies
 * sorted, not in arrival order). */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long rc)
{
    printf("%-40s %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

static socklen_t mkaddr(struct sockaddr_un *a, const char *path, int abstract)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (abstract) { memcpy(a->sun_path + 1, path, strlen(path)); return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path); }
    strcpy(a->sun_path, path);
    return sizeof *a;
}

static void show_name(const char *what, struct sockaddr_un *a, socklen_t len)
{
    if (len <= offsetof(struct sockaddr_un, sun_path)) printf("%-40s len=%u unnamed\n", what, len);
    else if (a->sun_path[0]) printf("%-40s len=%u path=%s\n", what, len, a->sun_path);
    else {
        /* Abstract names carry our pid (the host's namespace is shared with other runs
         * natively): shown as PID. */
        char n[128], pid[16];
        snprintf(n, sizeof n, "%.*s", (int)(len - offsetof(struct sockaddr_un, sun_path) - 1), a->sun_path + 1);
        snprintf(pid, sizeof pid, "%07d", (int)getpid());
        char *at = strstr(n, pid);
        if (at) { char rest[128]; snprintf(rest, sizeof rest, "%s", at + strlen(pid)); snprintf(at, sizeof n - (at - n), "PID%s", rest); }
        printf("%-40s len=%u abstract=%s\n", what, len, n);
    }
}

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

static void client(int i, const char *path, int abstract)
{
    struct sockaddr_un a;
    socklen_t len = mkaddr(&a, path, abstract);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, len) < 0) _exit(10);
    char msg[64];
    int n = snprintf(msg, sizeof msg, "hello from client %d", i);
    if (write(c, msg, n) != n) _exit(11);
    shutdown(c, SHUT_WR);
    char buf[128];
    int got = 0, r;
    while ((r = read(c, buf + got, sizeof buf - got)) > 0) got += r;
    if (r < 0) _exit(12);
    buf[got] = 0;
    /* The reply is the message upper-cased. */
    for (int k = 0; k < n; k++) if (buf[k] != (msg[k] >= 'a' && msg[k] <= 'z' ? msg[k] - 32 : msg[k])) _exit(13);
    _exit(got == n ? i : 14);
}

static void serve(const char *path, int abstract)
{
    struct sockaddr_un a, b;
    socklen_t len = mkaddr(&a, path, abstract), blen;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check("bind", bind(s, (struct sockaddr *)&a, len));
    if (!abstract) {
        struct stat st;
        check("stat socket file", stat(path, &st));
        printf("%-40s %s mode=%o\n", "file type", S_ISSOCK(st.st_mode) ? "socket" : "other", st.st_mode & 07777);
        int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
        check("bind same path again", bind(s2, (struct sockaddr *)&a, len));
        close(s2);
    } else {
        int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
        check("bind same abstract name again", bind(s2, (struct sockaddr *)&a, len));
        close(s2);
    }
    check("bind twice on one socket", bind(s, (struct sockaddr *)&a, len));
    blen = sizeof b;
    check("getsockname", getsockname(s, (struct sockaddr *)&b, &blen));
    show_name("  name", &b, blen);
    check("listen", listen(s, 5));
    int v; socklen_t vl = sizeof v;
    check("SO_ACCEPTCONN", (getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl), v));
    struct stat lst;
    fstat(s, &lst);
    char link[64], target[64] = "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", s);
    readlink(link, target, sizeof target - 1);
    printf("%-40s %s, link %.8s\n", "fstat listener", S_ISSOCK(lst.st_mode) ? "socket" : "other", target);
    struct pollfd p = { s, POLLIN | POLLOUT, 0 };
    check("poll listener, nobody yet", poll(&p, 1, 0));
    fflush(stdout);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) if ((kids[i] = fork()) == 0) client(i + 1, path, abstract);
    char msgs[3][128];
    for (int i = 0; i < 3; i++) {
        blen = sizeof b;
        int c = accept(s, (struct sockaddr *)&b, &blen);
        if (c < 0) { check("accept", c); exit(1); }
        if (i == 0) {
            show_name("  accept: peer", &b, blen);
            blen = sizeof b;
            getsockname(c, (struct sockaddr *)&b, &blen);
            show_name("  accepted: getsockname", &b, blen);
            blen = sizeof b;
            getpeername(c, (struct sockaddr *)&b, &blen);
            show_name("  accepted: getpeername", &b, blen);
        }
        struct ucred cr; socklen_t cl = sizeof cr;
        getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
        int known = 0;
        for (int k = 0; k < 3; k++) known |= cr.pid == kids[k];
        if (i == 0) printf("%-40s pid=%s uid=%s gid=%s\n", "  SO_PEERCRED", known ? "a client" : "?", cr.uid == getuid() ? "ours" : "?", cr.gid == getgid() ? "ours" : "?");
        int got = 0, r;
        while ((r = read(c, msgs[i] + got, sizeof msgs[i] - 1 - got)) > 0) got += r;
        msgs[i][got] = 0;
        char up[128];
        for (int k = 0; k <= got; k++) up[k] = msgs[i][k] >= 'a' && msgs[i][k] <= 'z' ? msgs[i][k] - 32 : msgs[i][k];
        if (write(c, up, got) != got) printf("short write\n");
        close(c);
    }
    qsort(msgs, 3, sizeof msgs[0], cmp);
    for (int i = 0; i < 3; i++) printf("  got: %s\n", msgs[i]);
    for (int i = 0; i < 3; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        printf("  client %d exit %d\n", i + 1, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    close(s);
    if (!abstract) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        check("connect after close (file stays)", connect(c, (struct sockaddr *)&a, len));
        close(c);
        check("unlink", unlink(path));
        c = socket(AF_UNIX, SOCK_STREAM, 0);
        check("connect after unlink", connect(c, (struct sockaddr *)&a, len));
        close(c);
    } else {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        check("connect abstract after close", connect(c, (struct sockaddr *)&a, len));
        close(c);
    }
}

int main(void)
{
    umask(022);
    unlink("srv.sock");
    printf("-- path\n");
    serve("srv.sock", 0);
    printf("-- abstract\n");
    char name[64];
    snprintf(name, sizeof name, "uniemu-test-%07d", (int)getpid());
    serve(name, 1);
    /* A full backlog: listen(0) queues one connection; the next non-blocking connect
     * is EAGAIN, a blocking one waits until accept makes room. */
    printf("-- backlog\n");
    struct sockaddr_un q;
    char bname[64];
    snprintf(bname, sizeof bname, "uniemu-test-backlog-%07d", (int)getpid());
    socklen_t ql = mkaddr(&q, bname, 1);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind", bind(l, (struct sockaddr *)&q, ql));
    check("listen 0", listen(l, 0));
    int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    check("connect 1 (non-blocking)", connect(c1, (struct sockaddr *)&q, ql));
    check("connect 2 (non-blocking, full)", connect(c2, (struct sockaddr *)&q, ql));
    struct pollfd lp = { l, POLLIN, 0 };
    check("poll listener with one pending", poll(&lp, 1, 0));
    printf("%-40s %s\n", "  revents", lp.revents == POLLIN ? "POLLIN" : "other");
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) {
        int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
        int r = connect(c3, (struct sockaddr *)&q, ql);   /* waits for room */
        write(c3, "late", 4);
        _exit(r == 0 ? 0 : 1);
    }
    usleep(50000);
    int a1 = accept(l, NULL, NULL), a2 = accept(l, NULL, NULL);
    char lb[8] = { 0 };
    check("read from the waiting connect", read(a2, lb, 4));
    int kst;
    waitpid(k, &kst, 0);
    printf("%-40s %s, child exit %d\n", "  got", lb, WEXITSTATUS(kst));
    close(a1); close(a2); close(c1); close(c2); close(l);
    /* Autobind: an address of the family alone gives an abstract name of 5 hex digits. */
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX }, b;
    check("autobind", bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
    socklen_t blen = sizeof b;
    getsockname(s, (struct sockaddr *)&b, &blen);
    printf("%-40s len=%u first=%d\n", "  autobind name", blen, b.sun_path[0]);
    return 0;
}
