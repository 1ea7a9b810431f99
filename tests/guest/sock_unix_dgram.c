/* AF_UNIX datagrams between bound paths: sender names, message boundaries, MSG_PEEK,
 * MSG_TRUNC, connect and its filtering, sendmmsg/recvmmsg, SEQPACKET over a named
 * listener, and blocking across fork. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long rc)
{
    printf("%-40s %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

static socklen_t mk(struct sockaddr_un *a, const char *p)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, p);
    return offsetof(struct sockaddr_un, sun_path) + strlen(p) + 1;
}

int main(void)
{
    unlink("a.sock"); unlink("b.sock"); unlink("q.sock");
    struct sockaddr_un A, B, from;
    socklen_t al = mk(&A, "a.sock"), bl = mk(&B, "b.sock"), fl;
    int a = socket(AF_UNIX, SOCK_DGRAM, 0), b = socket(AF_UNIX, SOCK_DGRAM, 0), u = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("bind a", bind(a, (struct sockaddr *)&A, al));
    check("bind b", bind(b, (struct sockaddr *)&B, bl));
    check("sendto b from a", sendto(a, "first", 5, 0, (struct sockaddr *)&B, bl));
    check("sendto b from a", sendto(a, "second!", 7, 0, (struct sockaddr *)&B, bl));
    check("sendto b from unbound", sendto(u, "anon", 4, 0, (struct sockaddr *)&B, bl));
    char buf[64];
    fl = sizeof from;
    check("recvfrom peek", recvfrom(b, buf, sizeof buf, MSG_PEEK, (struct sockaddr *)&from, &fl));
    printf("  from len %u path %s\n", fl, fl > 2 ? from.sun_path : "-");
    fl = sizeof from;
    check("recvfrom short buffer MSG_TRUNC", recvfrom(b, buf, 2, MSG_TRUNC, (struct sockaddr *)&from, &fl));
    printf("  data %.2s from %s\n", buf, from.sun_path);
    struct iovec v = { buf, 3 };
    struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &v, .msg_iovlen = 1 };
    check("recvmsg short", recvmsg(b, &m, 0));
    printf("  flags MSG_TRUNC %s, namelen %u\n", m.msg_flags & MSG_TRUNC ? "set" : "clear", m.msg_namelen);
    fl = sizeof from;
    check("recvfrom unbound sender", recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    printf("  from len %u\n", fl);
    check("recv empty dontwait", recv(b, buf, sizeof buf, MSG_DONTWAIT));
    check("send unconnected", send(a, "x", 1, 0));
    check("connect a->b", connect(a, (struct sockaddr *)&B, bl));
    check("send connected", send(a, "conn", 4, 0));
    check("recv", recv(b, buf, sizeof buf, 0));
    struct sockaddr_un pn; socklen_t pl = sizeof pn;
    check("getpeername", getpeername(a, (struct sockaddr *)&pn, &pl));
    printf("  peer %s\n", pn.sun_path);
    /* b connected to a: datagrams from others are refused. */
    check("connect b->a", connect(b, (struct sockaddr *)&A, al));
    check("sendto b from unbound (b connected elsewhere)", sendto(u, "no", 2, 0, (struct sockaddr *)&B, bl));
    struct sockaddr_un un = { .sun_family = AF_UNSPEC };
    check("disconnect b", connect(b, (struct sockaddr *)&un, sizeof(sa_family_t)));
    /* sendmmsg / recvmmsg */
    struct mmsghdr mm[3];
    struct iovec iv[3];
    const char *words[3] = { "one", "two", "three" };
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) { iv[i].iov_base = (void *)words[i]; iv[i].iov_len = strlen(words[i]); mm[i].msg_hdr.msg_iov = &iv[i]; mm[i].msg_hdr.msg_iovlen = 1; }
    check("sendmmsg", sendmmsg(a, mm, 3, 0));
    char rb[3][16];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) { iv[i].iov_base = rb[i]; iv[i].iov_len = 16; mm[i].msg_hdr.msg_iov = &iv[i]; mm[i].msg_hdr.msg_iovlen = 1; }
    check("recvmmsg", recvmmsg(b, mm, 3, 0, NULL));
    for (int i = 0; i < 3; i++) printf("  msg %d: %u \"%.*s\"\n", i, mm[i].msg_len, (int)mm[i].msg_len, rb[i]);
    /* A blocking receive across fork. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c[16];
        int n = recv(b, c, sizeof c, 0);
        printf("child got %d \"%.*s\"\n", n, n, c);
        fflush(stdout);
        _exit(0);
    }
    usleep(20000);
    send(a, "wake", 4, 0);
    int st;
    waitpid(pid, &st, 0);
    /* SEQPACKET over a named listener keeps message boundaries. */
    struct sockaddr_un Q;
    socklen_t ql = mk(&Q, "q.sock");
    int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    check("seqpacket bind", bind(l, (struct sockaddr *)&Q, ql));
    check("seqpacket listen", listen(l, 1));
    int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    check("seqpacket connect", connect(c, (struct sockaddr *)&Q, ql));
    int s = accept(l, NULL, NULL);
    check("seqpacket accept", s >= 0);
    send(c, "alpha", 5, 0);
    send(c, "be", 2, 0);
    check("seqpacket recv 1", recv(s, buf, sizeof buf, 0));
    check("seqpacket recv 2", recv(s, buf, sizeof buf, 0));
    int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("dgram connect to seqpacket listener", connect(dg, (struct sockaddr *)&Q, ql));
    /* SO_RCVTIMEO: a receive and an accept that wait no longer than that. */
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    struct timeval tv = { 0, 50000 };
    check("SO_RCVTIMEO", setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    struct timeval back; socklen_t bl2 = sizeof back;
    getsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &back, &bl2);
    printf("  reads back %ld.%06ld\n", (long)back.tv_sec, (long)back.tv_usec);
    check("recv with timeout, nothing comes", recv(sp[0], buf, sizeof buf, 0));
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    check("accept with timeout, nobody comes", accept(l, NULL, NULL));
    /* MSG_WAITALL: one receive of pieces written apart. */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        write(sp[1], "ab", 2);
        usleep(20000);
        write(sp[1], "cd", 2);
        usleep(20000);
        write(sp[1], "ef", 2);
        _exit(0);
    }
    tv.tv_usec = 0;
    setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    check("recv MSG_WAITALL 6", recv(sp[0], buf, 6, MSG_WAITALL));
    printf("  %.6s\n", buf);
    waitpid(pid, &st, 0);
    unlink("a.sock"); unlink("b.sock"); unlink("q.sock");
    return 0;
}
