/* The errors of socket calls, as Linux gives them: ECONNREFUSED, EADDRINUSE, ENOENT,
 * EPIPE and SIGPIPE (and MSG_NOSIGNAL), ENOTCONN, listen on datagram sockets, EISCONN,
 * EPROTOTYPE, EINVAL for bad arguments, ENOTSOCK, EAFNOSUPPORT. */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

static void check(const char *what, long rc)
{
    printf("%-44s %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

static socklen_t mk(struct sockaddr_un *a, const char *p)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, p);
    return sizeof *a;
}

int main(void)
{
    signal(SIGPIPE, on_pipe);
    unlink("e.sock");
    struct sockaddr_un A;
    socklen_t al = mk(&A, "e.sock");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect, no such path", connect(s, (struct sockaddr *)&A, al));
    check("listen unbound unix", listen(s, 1));
    check("bind", bind(s, (struct sockaddr *)&A, al));
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect, bound but not listening", connect(s2, (struct sockaddr *)&A, al));
    check("bind in use", bind(s2, (struct sockaddr *)&A, al));
    check("send unconnected", send(s2, "x", 1, 0));
    char buf[16];
    check("recv unconnected", recv(s2, buf, sizeof buf, 0));
    struct sockaddr_un pn; socklen_t pl = sizeof pn;
    check("getpeername unconnected", getpeername(s2, (struct sockaddr *)&pn, &pl));
    check("accept not listening", accept(s, NULL, NULL));
    check("listen", listen(s, 1));
    check("connect", connect(s2, (struct sockaddr *)&A, al));
    check("connect again", connect(s2, (struct sockaddr *)&A, al));
    int c = accept(s, NULL, NULL);
    check("accept", c >= 0);
    check("accept4 bad flags", syscall(SYS_accept4, s, NULL, NULL, 0x40000000));
    check("shutdown bad how", shutdown(c, 7));
    check("shutdown SHUT_RD", shutdown(c, SHUT_RD));
    close(c);
    check("send after peer closed", send(s2, "x", 1, 0));
    printf("  SIGPIPEs %d\n", sigpipes);
    check("send MSG_NOSIGNAL", send(s2, "x", 1, MSG_NOSIGNAL));
    printf("  SIGPIPEs %d\n", sigpipes);
    check("write after peer closed", write(s2, "x", 1));
    printf("  SIGPIPEs %d\n", sigpipes);
    check("read after peer closed", read(s2, buf, sizeof buf));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("listen on unix dgram", listen(d, 1));
    check("accept on unix dgram", accept(d, NULL, NULL));
    check("connect dgram to stream listener", connect(d, (struct sockaddr *)&A, al));
    check("connect short address", connect(d, (struct sockaddr *)&A, 1));
    check("bind wrong family", bind(d, (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET }, sizeof(struct sockaddr_un)));
    check("socket bad family", socket(12345, SOCK_STREAM, 0));
    check("socket bad type", socket(AF_UNIX, 77, 0));
    check("socket bad protocol", socket(AF_UNIX, SOCK_STREAM, 5));
    check("socketpair inet", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){ 0, 0 }));
    check("bind on a pipe", bind(0, (struct sockaddr *)&A, al));
    int opt = 0; socklen_t ol = sizeof opt;
    check("getsockopt unknown", getsockopt(s, SOL_SOCKET, 9999, &opt, &ol));
    check("setsockopt short", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &opt, 2));
    /* TCP */
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    check("listen on udp", listen(u, 1));
    int t = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    check("tcp bind port 0", bind(t, (struct sockaddr *)&in, sizeof in));
    socklen_t il = sizeof in;
    getsockname(t, (struct sockaddr *)&in, &il);
    int t2 = socket(AF_INET, SOCK_STREAM, 0);
    check("tcp connect, bound not listening", connect(t2, (struct sockaddr *)&in, sizeof in));
    close(t2);
    t2 = socket(AF_INET, SOCK_STREAM, 0);
    check("tcp bind same port", bind(t2, (struct sockaddr *)&in, sizeof in));
    check("tcp bind short", bind(t2, (struct sockaddr *)&in, 8));
    check("tcp send unconnected", send(t2, "x", 1, 0));
    printf("  SIGPIPEs %d\n", sigpipes);
    check("tcp recv unconnected", recv(t2, buf, 1, 0));
    check("tcp shutdown unconnected", shutdown(t2, SHUT_RDWR));
    check("tcp getpeername unconnected", getpeername(t2, (struct sockaddr *)&in, &il));
    check("tcp listen", listen(t, 4));
    check("tcp connect", connect(t2, (struct sockaddr *)&in, sizeof in));
    check("tcp connect again", connect(t2, (struct sockaddr *)&in, sizeof in));
    int one = 1;
    check("TCP_NODELAY", setsockopt(t2, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    ol = sizeof opt;
    getsockopt(t2, IPPROTO_TCP, TCP_NODELAY, &opt, &ol);
    printf("  TCP_NODELAY reads %d\n", opt != 0);
    ol = sizeof opt;
    getsockopt(t2, SOL_SOCKET, SO_TYPE, &opt, &ol);
    printf("  SO_TYPE %d SO_PROTOCOL ", opt);
    ol = sizeof opt;
    getsockopt(t2, SOL_SOCKET, SO_PROTOCOL, &opt, &ol);
    printf("%d\n", opt);
    check("udp socket on unix protocol", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
    check("raw socket without protocol", socket(AF_INET, SOCK_RAW, 0));
    /* Buffer sizes are doubled, with a floor. */
    int small = 1000, got; socklen_t gl = sizeof got;
    setsockopt(t2, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    getsockopt(t2, SOL_SOCKET, SO_RCVBUF, &got, &gl);
    printf("  SO_RCVBUF 1000 reads %d\n", got);
    small = 5000;
    setsockopt(t2, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    getsockopt(t2, SOL_SOCKET, SO_SNDBUF, &got, &gl);
    printf("  SO_SNDBUF 5000 reads %d\n", got);
    check("getsockopt level 500 on tcp", getsockopt(t2, 500, SO_OOBINLINE, &opt, &ol));
    check("getsockopt udp level on tcp", getsockopt(t2, IPPROTO_UDP, SO_OOBINLINE, &opt, &ol));
    check("getsockopt unknown tcp option", getsockopt(t2, IPPROTO_TCP, 9999, &opt, &ol));
    check("recv MSG_OOB on tcp", recv(t2, buf, 1, MSG_OOB));
    check("recv MSG_ERRQUEUE on tcp", recv(t2, buf, 1, MSG_ERRQUEUE));
    /* SCM_RIGHTS means nothing to TCP: the data goes, the descriptor does not. */
    char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
    struct iovec v = { "tcpfd", 5 };
    struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &t, sizeof t);
    /* t2 was shut down while unconnected (ENOTCONN, but Linux keeps the flags). */
    check("tcp sendmsg after that shutdown", sendmsg(t2, &mh, MSG_NOSIGNAL));
    close(accept(t, NULL, NULL));
    int t3 = socket(AF_INET, SOCK_STREAM, 0);
    check("tcp connect another", connect(t3, (struct sockaddr *)&in, sizeof in));
    check("tcp sendmsg with SCM_RIGHTS", sendmsg(t3, &mh, 0));
    int acc = accept(t, NULL, NULL);
    char rctl[64];
    char rb[8];
    struct iovec rv = { rb, sizeof rb };
    struct msghdr rh = { .msg_iov = &rv, .msg_iovlen = 1, .msg_control = rctl, .msg_controllen = sizeof rctl };
    check("tcp recvmsg", recvmsg(acc, &rh, 0));
    printf("  controllen %zu\n", (size_t)rh.msg_controllen);
    struct sockaddr_in uin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = in.sin_port };
    static char big[65508];
    check("udp sendto 65508 bytes", sendto(u, big, sizeof big, 0, (struct sockaddr *)&uin, sizeof uin));
    check("udp sendto MSG_OOB", sendto(u, big, 1, MSG_OOB, (struct sockaddr *)&uin, sizeof uin));
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    struct sockaddr_un pa; socklen_t pal = sizeof pa;
    check("getpeername on socketpair", getpeername(sp[0], (struct sockaddr *)&pa, &pal));
    printf("  len %u family %d\n", pal, pa.sun_family);
    check("getpeername to a bad address", getpeername(sp[0], (struct sockaddr *)-1, &pal));
    /* A multicast membership of a listener is not its accepted sockets' (CVE-2017-8890). */
    struct group_req gr = { 0 };
    struct sockaddr_in *ga = (struct sockaddr_in *)&gr.gr_group;
    ga->sin_family = AF_INET;
    ga->sin_addr.s_addr = htonl(0xe0000001);
    check("MCAST_JOIN_GROUP on the listener", setsockopt(t, IPPROTO_IP, MCAST_JOIN_GROUP, &gr, sizeof gr));
    int t4 = socket(AF_INET, SOCK_STREAM, 0);
    connect(t4, (struct sockaddr *)&in, sizeof in);
    int acc4 = accept(t, NULL, NULL);
    check("MCAST_LEAVE_GROUP on the accepted socket", setsockopt(acc4, IPPROTO_IP, MCAST_LEAVE_GROUP, &gr, sizeof gr));
    check("MCAST_LEAVE_GROUP on the listener", setsockopt(t, IPPROTO_IP, MCAST_LEAVE_GROUP, &gr, sizeof gr));
    check("MCAST_LEAVE_GROUP again", setsockopt(t, IPPROTO_IP, MCAST_LEAVE_GROUP, &gr, sizeof gr));
    int op = open(".", O_PATH);
    check("accept on an O_PATH descriptor", accept(op, NULL, NULL));
    unlink("e.sock");
    return 0;
}
