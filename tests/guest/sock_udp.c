/* A UDP echo on 127.0.0.1 between forked processes, then on ::1: ports from bind(0) lie
 * in Linux's ephemeral range, the sender's name is seen by the receiver, connect filters,
 * datagram boundaries. Only what Linux fixes is printed (port numbers are not). */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long rc)
{
    printf("%-40s %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

static int in_range(int p) { return p >= 32768 && p <= 60999; }

int main(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, f;
    check("bind 127.0.0.1:0", bind(s, (struct sockaddr *)&a, sizeof a));
    socklen_t l = sizeof a;
    check("getsockname", getsockname(s, (struct sockaddr *)&a, &l));
    char ip[32];
    printf("  len %u addr %s port in range %d\n", l, inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip), in_range(ntohs(a.sin_port)));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_DGRAM, 0);
        char buf[64];
        for (int i = 0; i < 3; i++) {
            char msg[16];
            int n = snprintf(msg, sizeof msg, "ping %d", i);
            sendto(c, msg, n, 0, (struct sockaddr *)&a, sizeof a);
            struct sockaddr_in from; socklen_t fl = sizeof from;
            int r = recvfrom(c, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
            printf("client: %d \"%.*s\" from server %s\n", r, r, buf, from.sin_port == a.sin_port && from.sin_addr.s_addr == a.sin_addr.s_addr ? "yes" : "no");
        }
        struct sockaddr_in me; socklen_t ml = sizeof me;
        getsockname(c, (struct sockaddr *)&me, &ml);
        printf("client: autobound port in range %d, addr %s\n", in_range(ntohs(me.sin_port)), inet_ntop(AF_INET, &me.sin_addr, ip, sizeof ip));
        fflush(stdout);
        _exit(0);
    }
    char buf[64];
    for (int i = 0; i < 3; i++) {
        l = sizeof f;
        int r = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&f, &l);
        for (int k = 0; k < r; k++) if (buf[k] >= 'a' && buf[k] <= 'z') buf[k] -= 32;
        sendto(s, buf, r, 0, (struct sockaddr *)&f, l);
        if (i == 0) printf("server: from %s, port in range %d, len %u\n", inet_ntop(AF_INET, &f.sin_addr, ip, sizeof ip), in_range(ntohs(f.sin_port)), l);
    }
    int st;
    waitpid(pid, &st, 0);
    /* IPv6 loopback, message boundaries. */
    int s6 = socket(AF_INET6, SOCK_DGRAM, 0), c6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    check("bind [::1]:0", bind(s6, (struct sockaddr *)&a6, sizeof a6));
    l = sizeof a6;
    getsockname(s6, (struct sockaddr *)&a6, &l);
    printf("  len %u addr %s\n", l, inet_ntop(AF_INET6, &a6.sin6_addr, ip, sizeof ip));
    check("connect c6", connect(c6, (struct sockaddr *)&a6, sizeof a6));
    check("send 1", send(c6, "abc", 3, 0));
    check("send 2", send(c6, "de", 2, 0));
    check("recv 1 (buf 64)", recv(s6, buf, sizeof buf, 0));
    check("recv 2", recv(s6, buf, sizeof buf, 0));
    check("recv empty", recv(s6, buf, sizeof buf, MSG_DONTWAIT));
    /* MSG_MORE: one datagram of both sends. */
    check("send MSG_MORE", send(c6, "ab", 2, MSG_MORE));
    check("recv nothing yet", recv(s6, buf, sizeof buf, MSG_DONTWAIT));
    check("send rest", send(c6, "cd", 2, 0));
    check("recv one datagram", recv(s6, buf, sizeof buf, MSG_DONTWAIT));
    /* A v4 packet to a v6 socket bound to any arrives with a mapped address. */
    int any6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 z6 = { .sin6_family = AF_INET6 };
    check("bind [::]:0", bind(any6, (struct sockaddr *)&z6, sizeof z6));
    l = sizeof z6;
    getsockname(any6, (struct sockaddr *)&z6, &l);
    struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_port = z6.sin6_port, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int c4 = socket(AF_INET, SOCK_DGRAM, 0);
    check("sendto v4 -> [::]", sendto(c4, "v4", 2, 0, (struct sockaddr *)&to4, sizeof to4));
    struct sockaddr_in6 f6; socklen_t f6l = sizeof f6;
    check("recvfrom", recvfrom(any6, buf, sizeof buf, 0, (struct sockaddr *)&f6, &f6l));
    printf("  from %s len %u\n", inet_ntop(AF_INET6, &f6.sin6_addr, ip, sizeof ip), f6l);
    int v6o = 1; socklen_t vl = sizeof v6o;
    int fresh = socket(AF_INET6, SOCK_DGRAM, 0);
    check("IPV6_V6ONLY set", setsockopt(fresh, IPPROTO_IPV6, IPV6_V6ONLY, &v6o, sizeof v6o));
    v6o = 0;
    getsockopt(fresh, IPPROTO_IPV6, IPV6_V6ONLY, &v6o, &vl);
    printf("  IPV6_V6ONLY reads %d\n", v6o);
    /* A connected UDP socket takes datagrams from its peer only. */
    int ua = socket(AF_INET, SOCK_DGRAM, 0), ub = socket(AF_INET, SOCK_DGRAM, 0), uo = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in pa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, pb = pa;
    bind(ua, (struct sockaddr *)&pa, sizeof pa);
    bind(ub, (struct sockaddr *)&pb, sizeof pb);
    l = sizeof pa; getsockname(ua, (struct sockaddr *)&pa, &l);
    l = sizeof pb; getsockname(ub, (struct sockaddr *)&pb, &l);
    check("connect a to b", connect(ua, (struct sockaddr *)&pb, sizeof pb));
    check("sendto a from another", sendto(uo, "other", 5, 0, (struct sockaddr *)&pa, sizeof pa));
    check("sendto a from b", sendto(ub, "peer", 4, 0, (struct sockaddr *)&pa, sizeof pa));
    check("recv on a", recv(ua, buf, sizeof buf, MSG_DONTWAIT));
    printf("  got %.4s\n", buf);
    check("recv on a again", recv(ua, buf, sizeof buf, MSG_DONTWAIT));
    /* UDP-Lite has ports of its own: the same number as a UDP socket's is free. */
    int lite = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    check("udplite socket", lite >= 0);
    check("udplite bind on a UDP socket's port", bind(lite, (struct sockaddr *)&pa, sizeof pa));
    int lite2 = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    check("udplite sendto", sendto(lite2, "lite", 4, 0, (struct sockaddr *)&pa, sizeof pa));
    check("udplite recv", recv(lite, buf, sizeof buf, MSG_DONTWAIT));
    check("udp socket on that port got nothing", recv(ua, buf, sizeof buf, MSG_DONTWAIT));
    /* Two sockets on one port: EADDRINUSE; with SO_REUSEADDR on both, allowed. */
    int d1 = socket(AF_INET, SOCK_DGRAM, 0), d2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in p = a;
    p.sin_port = 0;
    bind(d1, (struct sockaddr *)&p, sizeof p);
    l = sizeof p;
    getsockname(d1, (struct sockaddr *)&p, &l);
    check("bind taken port", bind(d2, (struct sockaddr *)&p, sizeof p));
    return 0;
}
