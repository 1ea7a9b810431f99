/* A TCP server on 127.0.0.1 with accept4 and epoll, and four client threads: each sends
 * a line, reads it back upper-cased, and stores the result; the main thread joins them in
 * order and prints. Also names on both ends, SO_ERROR after a non-blocking connect,
 * EPOLLRDHUP after the peer's shutdown, and an IPv6 listener. */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in srv;
static char results[4][64];

static void check(const char *what, long rc)
{
    printf("%-40s %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

static void *client(void *arg)
{
    long i = (long)arg;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&srv, sizeof srv) < 0) { snprintf(results[i], 64, "connect: %s", strerror(errno)); return NULL; }
    char msg[32];
    int n = snprintf(msg, sizeof msg, "client %ld says hi", i);
    write(c, msg, n);
    shutdown(c, SHUT_WR);
    char buf[64];
    int got = 0, r;
    while ((r = read(c, buf + got, sizeof buf - 1 - got)) > 0) got += r;
    buf[got] = 0;
    snprintf(results[i], 64, "%s", buf);
    close(c);
    return NULL;
}

int main(void)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    check("SO_REUSEADDR", setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    srv.sin_family = AF_INET;
    srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check("bind", bind(l, (struct sockaddr *)&srv, sizeof srv));
    socklen_t sl = sizeof srv;
    getsockname(l, (struct sockaddr *)&srv, &sl);
    int port = ntohs(srv.sin_port);
    printf("  port in range %d\n", port >= 32768 && port <= 60999);
    check("listen", listen(l, 8));
    check("accept4 nothing yet", accept4(l, NULL, NULL, SOCK_NONBLOCK));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };
    check("epoll_ctl listener", epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
    pthread_t th[4];
    for (long i = 0; i < 4; i++) pthread_create(&th[i], NULL, client, (void *)i);
    char bufs[64][64];
    int lens[64] = { 0 };
    int done = 0, first = 1;
    while (done < 4) {
        struct epoll_event evs[8];
        int n = epoll_wait(ep, evs, 8, -1);
        for (int k = 0; k < n; k++) {
            int fd = evs[k].data.fd;
            if (fd == l) {
                struct sockaddr_in peer; socklen_t pl = sizeof peer;
                int c;
                while ((c = accept4(l, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    if (first) {
                        char ip[32];
                        struct sockaddr_in me; socklen_t ml = sizeof me;
                        getsockname(c, (struct sockaddr *)&me, &ml);
                        printf("  accepted: peer %s (port in range %d), local port is the listener's %d, flags nonblock %d\n",
                               inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip), ntohs(peer.sin_port) >= 32768,
                               me.sin_port == srv.sin_port, (fcntl(c, F_GETFL) & O_NONBLOCK) != 0);
                        first = 0;
                    }
                    struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                    pl = sizeof peer;
                }
            } else {
                int r;
                while ((r = read(fd, bufs[fd] + lens[fd], 63 - lens[fd])) > 0) lens[fd] += r;
                if (r == 0) {
                    for (int j = 0; j < lens[fd]; j++) if (bufs[fd][j] >= 'a' && bufs[fd][j] <= 'z') bufs[fd][j] -= 32;
                    write(fd, bufs[fd], lens[fd]);
                    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                    close(fd);
                    lens[fd] = 0;
                    done++;
                }
            }
        }
    }
    for (int i = 0; i < 4; i++) { pthread_join(th[i], NULL); printf("  thread %d: %s\n", i, results[i]); }
    /* Non-blocking connect: EINPROGRESS, then writable with SO_ERROR 0. */
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&srv, sizeof srv);
    printf("  non-blocking connect: %s\n", r == 0 ? "0" : strerror(errno));
    struct epoll_event ce = { .events = EPOLLOUT, .data.fd = c };
    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
    struct epoll_event out;
    check("epoll_wait writable", epoll_wait(ep, &out, 1, 1000));
    int err = -1; socklen_t el = sizeof err;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el);
    printf("  SO_ERROR %d\n", err);
    int s = accept4(l, NULL, NULL, 0);
    check("accept4 blocking-mode socket", s >= 0);
    struct epoll_event se = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = s };
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &se);
    shutdown(c, SHUT_WR);
    epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL);
    check("epoll_wait after peer shutdown", epoll_wait(ep, &out, 1, 1000));
    printf("  events EPOLLIN %d EPOLLRDHUP %d\n", (out.events & EPOLLIN) != 0, (out.events & EPOLLRDHUP) != 0);
    close(c); close(s);
    /* Sockets put in an epoll set before listen and before connect stay in it. */
    int ep2 = epoll_create1(0);
    int l2 = socket(AF_INET, SOCK_STREAM, 0);
    struct epoll_event e2 = { .events = EPOLLIN, .data.u32 = 1 };
    check("epoll_ctl before listen", epoll_ctl(ep2, EPOLL_CTL_ADD, l2, &e2));
    struct sockaddr_in a2 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bind(l2, (struct sockaddr *)&a2, sizeof a2);
    socklen_t a2l = sizeof a2;
    getsockname(l2, (struct sockaddr *)&a2, &a2l);
    listen(l2, 4);
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    check("connect", connect(c2, (struct sockaddr *)&a2, sizeof a2));
    struct epoll_event o2 = { 0 };
    check("epoll_wait: the listener", epoll_wait(ep2, &o2, 1, 1000));
    printf("  data %u EPOLLIN %d\n", o2.data.u32, (o2.events & EPOLLIN) != 0);
    int s2 = accept(l2, NULL, NULL);
    int c3 = socket(AF_INET, SOCK_STREAM, 0);
    struct epoll_event e3 = { .events = EPOLLIN, .data.u32 = 3 };
    epoll_ctl(ep2, EPOLL_CTL_DEL, l2, NULL);
    check("epoll_ctl before connect", epoll_ctl(ep2, EPOLL_CTL_ADD, c3, &e3));
    connect(c3, (struct sockaddr *)&a2, sizeof a2);
    int s3 = accept(l2, NULL, NULL);
    write(s3, "x", 1);
    check("epoll_wait: the connected socket", epoll_wait(ep2, &o2, 1, 1000));
    printf("  data %u EPOLLIN %d\n", o2.data.u32, (o2.events & EPOLLIN) != 0);
    close(s2); close(s3); close(c2); close(c3); close(l2); close(ep2);
    /* IPv6 loopback TCP. */
    int l6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    check("bind [::1]:0", bind(l6, (struct sockaddr *)&a6, sizeof a6));
    socklen_t al = sizeof a6;
    getsockname(l6, (struct sockaddr *)&a6, &al);
    check("listen", listen(l6, 1));
    int c6 = socket(AF_INET6, SOCK_STREAM, 0);
    check("connect [::1]", connect(c6, (struct sockaddr *)&a6, sizeof a6));
    struct sockaddr_in6 p6; socklen_t p6l = sizeof p6;
    int s6 = accept(l6, (struct sockaddr *)&p6, &p6l);
    char ip[64];
    printf("  accepted from %s len %u\n", inet_ntop(AF_INET6, &p6.sin6_addr, ip, sizeof ip), p6l);
    check("send", send(c6, "six", 3, 0));
    char b[8];
    check("recv", recv(s6, b, sizeof b, 0));
    /* MSG_MORE holds bytes back until a send without it. */
    check("send MSG_MORE", send(c6, "ab", 2, MSG_MORE));
    check("recv nothing yet", recv(s6, b, sizeof b, MSG_DONTWAIT));
    check("send rest", send(c6, "c", 1, 0));
    check("recv all", recv(s6, b, sizeof b, 0));
    return 0;
}
