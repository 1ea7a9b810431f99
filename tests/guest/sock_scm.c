/* Descriptors and credentials passed over AF_UNIX sockets: SCM_RIGHTS between forked
 * processes (the file offset is shared, a pipe passed works), MSG_CTRUNC when the
 * control buffer is short, SCM_CREDENTIALS with SO_PASSCRED, MSG_CMSG_CLOEXEC, and
 * a stream read that stops after the bytes that carried descriptors. */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long rc)
{
    printf("%-40s %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

static int send_fds(int s, const char *data, const int *fds, int n)
{
    char ctl[CMSG_SPACE(8 * sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec v = { (void *)data, strlen(data) };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
    if (n) {
        m.msg_control = ctl;
        m.msg_controllen = CMSG_SPACE(n * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    return sendmsg(s, &m, 0);
}

/* Receives into buf; returns the count, fills fds (up to 8), *nfds, *flags. */
static int recv_fds(int s, char *buf, size_t len, int *fds, int *nfds, size_t ctlroom, int *flags, int rflags)
{
    char ctl[256];
    struct iovec v = { buf, len };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = ctlroom };
    int r = recvmsg(s, &m, rflags);
    *nfds = 0;
    *flags = m.msg_flags;
    if (r < 0) return r;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + *nfds, CMSG_DATA(c), n * sizeof(int));
            *nfds += n;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred u;
            memcpy(&u, CMSG_DATA(c), sizeof u);
            printf("  credentials: pid %s, uid %s\n", u.pid == getppid() || u.pid == getpid() ? "known" : "?", u.uid == getuid() ? "ours" : "?");
        }
    }
    return r;
}

int main(void)
{
    int sv[2], go[2];
    check("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int tmp = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check("write file", write(tmp, "0123456789", 10));
    lseek(tmp, 2, SEEK_SET);
    int pp[2];
    pipe(pp);
    pipe(go);
    fflush(stdout);
    /* The child's lines come out as one block when it exits, the parent's at its end:
     * stdout is a pipe, fully buffered. */
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        char buf[64];
        int fds[8], n, fl;
        read(go[0], buf, 1);   /* everything is queued by now */
        int r = recv_fds(sv[1], buf, sizeof buf, fds, &n, 256, &fl, MSG_CMSG_CLOEXEC);
        printf("child: recvmsg %d bytes \"%.*s\", %d fds, flags %#x\n", r, r, buf, n, fl);
        if (n == 2) {
            printf("child: cloexec %d\n", fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
            char c[4] = { 0 };
            printf("child: read file: %zd \"%.3s\"\n", read(fds[0], c, 3), c);
            printf("child: write pipe: %zd\n", write(fds[1], "via passed pipe", 15));
            close(fds[0]); close(fds[1]);
        }
        /* Three descriptors with room for one: MSG_CTRUNC. */
        r = recv_fds(sv[1], buf, sizeof buf, fds, &n, CMSG_SPACE(sizeof(int)), &fl, 0);
        printf("child: short control: %d \"%.*s\", %d fds, MSG_CTRUNC %s\n", r, r, buf, n, fl & MSG_CTRUNC ? "set" : "clear");
        for (int i = 0; i < n; i++) close(fds[i]);
        /* "abc" then "def"+fd: one read gets "abcdef" and the fd, and stops there. */
        r = recv_fds(sv[1], buf, sizeof buf, fds, &n, 256, &fl, 0);
        printf("child: glued read: %d \"%.*s\", %d fds\n", r, r, buf, n);
        for (int i = 0; i < n; i++) close(fds[i]);
        r = recv_fds(sv[1], buf, sizeof buf, fds, &n, 256, &fl, 0);
        printf("child: next read: %d \"%.*s\", %d fds\n", r, r, buf, n);
        /* Credentials. */
        int one = 1;
        setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
        write(sv[1], "R", 1);
        r = recv_fds(sv[1], buf, sizeof buf, fds, &n, 256, &fl, 0);
        printf("child: with SO_PASSCRED: %d \"%.*s\"\n", r, r, buf);
        fflush(stdout);
        _exit(0);
    }
    close(sv[1]);
    int two[2] = { tmp, pp[1] };
    check("sendmsg 2 fds", send_fds(sv[0], "fds!", two, 2));
    int three[3] = { tmp, pp[0], pp[1] };
    check("sendmsg 3 fds", send_fds(sv[0], "three", three, 3));
    check("send abc", send(sv[0], "abc", 3, 0));
    check("sendmsg def+fd", send_fds(sv[0], "def", &tmp, 1));
    check("send ghi", send(sv[0], "ghi", 3, 0));
    write(go[1], "g", 1);
    char buf[64] = { 0 };
    check("read pipe", read(pp[0], buf, sizeof buf));
    printf("  pipe said \"%s\"\n", buf);
    printf("  file offset now %ld\n", (long)lseek(tmp, 0, SEEK_CUR));
    char c;
    check("read R", read(sv[0], &c, 1));
    check("send with creds", send(sv[0], "creds", 5, 0));
    int st;
    waitpid(pid, &st, 0);
    printf("child exit %d\n", WEXITSTATUS(st));
    int bad = 999;
    check("sendmsg bad fd", send_fds(sv[0], "x", &bad, 1));
    unlink("data.txt");
    return 0;
}
