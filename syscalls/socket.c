/* Sockets, all inside uniemu: AF_UNIX (stream, datagram, seqpacket; path names and the
 * abstract namespace) and AF_INET/AF_INET6 on loopback (TCP as a stream, UDP as
 * datagrams). No guest socket ever reaches the host's network.
 *
 * The bytes live in host AF_UNIX sockets that never block (the kernel keeps buffers,
 * message boundaries, EOF, EPIPE, and poll/epoll readiness for free), but every
 * decision is uniemu's, made inside one guest system call at a time:
 * - a connection is a host socketpair made by connect() and queued on the listener;
 * - a datagram socket owns a host datagram socketpair as its receive queue: uniemu
 *   writes into the hidden end the messages sent to it, the guest's fd reads the other;
 * - a listener's host descriptor is an eventfd counting its pending connections, so it
 *   is readable exactly when accept() has something;
 * - what the host cannot carry (sender addresses, passed descriptors, credentials) goes
 *   in a side queue of records kept in step with the receive queue's bytes or messages.
 * A guest that must wait waits in the scheduler (WAIT_IO, retried after any I/O), as for
 * pipes (syscalls/pipe.c). Names are uniemu's: a bound path is a socket file made with
 * mknod and found again by its (device, inode); abstract names and ports are keys in
 * the list of live sockets; ephemeral ports are handed out in order. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "syscalls/cred.h"
#include "scheduler/sched.h"
#include "scheduler/signals.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include "core/det.h"
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_IO (1 << 20)      /* bytes moved per call at most (the host's buffers are smaller anyway) */
#define MAX_IOV 1024
#define SCM_MAX_FD 253        /* descriptors in one SCM_RIGHTS message, as Linux */
#define SOMAXCONN_LINUX 4096
#define EPHEMERAL_LO 32768    /* /proc/sys/net/ipv4/ip_local_port_range's default */
#define EPHEMERAL_HI 60999
#define RMEM_MAX 212992       /* net.core.rmem_max / wmem_max / *_default, Linux's defaults */
#define CAP_NET_BIND_SERVICE_BIT 10

enum sock_state { SK_NEW, SK_LISTEN, SK_CONNECTED };

/* What the host queue cannot say about a stretch of it: for a stream, bytes
 * [start, end) of the receive stream; for datagrams and seqpackets, message start. */
struct rec {
    struct rec *next;
    uint64_t start, end;
    int nfds;
    struct open_file **fds;
    struct ucred cred;
    uint32_t fromlen;
    struct sockaddr_storage from;
};

struct sock {
    struct sock *next;              /* every live socket, newest first */
    struct open_file *file;         /* not counted: the file owns the socket */
    int domain, type, protocol;
    enum sock_state state;
    bool bound;
    struct sockaddr_storage name;   /* local name (unbound AF_UNIX: the family alone) */
    uint32_t namelen;
    struct sockaddr_storage peername;
    uint32_t peerlen;
    bool key_valid;                 /* bound to a path: the socket file's identity */
    dev_t dev;
    ino_t ino;
    /* A listener: connections made but not accepted, oldest first. */
    int backlog;
    struct open_file **pending;
    int npending;
    /* Stream and seqpacket: the other end; datagrams: where send() goes (connect). */
    struct sock *peer;
    bool peer_gone;                 /* a connected datagram socket whose peer closed */
    int rx_w;                       /* datagrams: the hidden end of the receive queue, else -1 */
    struct rec *rx_head, *rx_tail;
    uint64_t rx_in, rx_out;         /* bytes (stream) or messages (others) in and out */
    bool has_peercred;
    struct ucred peercred, own_cred;
    int so_error;
    bool shut_rd, shut_wr;
    /* Options kept and read back. */
    int rcvbuf, sndbuf;
    bool reuseaddr, reuseport, keepalive, passcred, broadcast, oobinline, dontroute, nodelay, v6only, cork_opt;
    struct linger linger;
    struct timeval rcvtimeo, sndtimeo;
    int rcvlowat, priority, ip_ttl, ip_tos, tcp_keepidle, tcp_keepintvl, tcp_keepcnt, tcp_maxseg;
    int mcast_groups;               /* multicast memberships joined (nothing is ever sent to them) */
    /* The guest's epoll sets that hold this socket (references taken): its host
     * descriptor changes at connect and listen, and goes back into each. */
    struct epoll_note { struct open_file *ep; struct epoll_event ev; } *epolls;
    int nepolls;
    /* MSG_MORE (and TCP_CORK): bytes held back until a send without it. */
    char *cork;
    size_t corklen;
};

static struct sock *all_socks;
bool sock_net_faults;

/* --net-faults: one chance in `one_in`, from the network's own random stream (so the
 * guest's random bytes and the scheduler's choices stay as they were). */
static bool net_fault(unsigned one_in) { return sock_net_faults && det_net_random() % one_in == 0; }
static size_t net_fault_len(size_t n) { return n > 1 ? 1 + (size_t)(det_net_random() % n) : n; }

/* A TCP connection cut (--net-faults): both ends get ECONNRESET once, then EOF/EPIPE. */
static void conn_reset(struct sock *s)
{
    s->so_error = ECONNRESET;
    shutdown(s->file->host_fd, SHUT_RDWR);
    s->shut_rd = s->shut_wr = true;
    if (s->peer) {
        s->peer->so_error = ECONNRESET;
        s->peer->shut_wr = true;
        shutdown(s->peer->file->host_fd, SHUT_RDWR);
    }
    sched_wake_io();
}
static uint64_t next_autobind;      /* AF_UNIX autobind names, in order */
static int next_port = EPHEMERAL_LO;

static bool conn_based(const struct sock *s) { return s->type != SOCK_DGRAM; }
static bool is_inet(const struct sock *s) { return s->domain == AF_INET || s->domain == AF_INET6; }

static struct sock *sock_of(struct open_file *f) { return f ? f->sk : NULL; }

/* Parks t until socket I/O happens, or until the SO_RCVTIMEO/SO_SNDTIMEO time (virtual)
 * has passed: then the retried call gets -EAGAIN here. */
static int64_t sock_wait(struct task *t, const struct timeval *timeo)
{
    if (t->in_syscall && t->timed_out) return -EAGAIN;
    uint64_t deadline = 0;
    if (timeo->tv_sec || timeo->tv_usec) {
        if (t->in_syscall && t->wake_at_ns) deadline = t->wake_at_ns;
        else deadline = det_now_ns() + (uint64_t)timeo->tv_sec * 1000000000u + (uint64_t)timeo->tv_usec * 1000u;
    }
    sched_block(t, WAIT_IO, deadline, true, 0);
    return RET_BLOCK;
}

/* The guest's socket behind fd, or NULL with *err set (EBADF, ENOTSOCK). */
static struct sock *sock_get(struct task *t, int fd, int64_t *err)
{
    struct open_file *f = fd_get(t, fd);
    if (!f) { *err = -EBADF; return NULL; }
    if (!f->sk) {
        int fl = f->internal ? 0 : fcntl(f->host_fd, F_GETFL);
        *err = fl >= 0 && (fl & O_PATH) ? -EBADF : -ENOTSOCK;   /* an O_PATH descriptor is no file to sockfd_lookup */
        return NULL;
    }
    return f->sk;
}

static void rec_free(struct rec *r)
{
    for (int i = 0; i < r->nfds; i++) file_put(r->fds[i]);
    free(r->fds);
    free(r);
}

static struct ucred cred_now(struct task *t, bool effective)
{
    struct cred *c = cred_of(t->proc);
    struct ucred u = { t->proc->pid, effective ? c->euid : c->uid, effective ? c->egid : c->gid };
    return u;
}

static struct sock *sock_new(struct open_file *f, int domain, int type, int protocol)
{
    struct sock *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->file = f;
    s->domain = domain;
    s->type = type;
    s->protocol = protocol;
    s->rx_w = -1;
    /* Linux's defaults: net.core.[rw]mem_default, for TCP tcp_rmem[1] and tcp_wmem[1]. */
    bool tcp = (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM;
    s->rcvbuf = tcp ? 131072 : RMEM_MAX;
    s->sndbuf = tcp ? 16384 : RMEM_MAX;
    s->ip_ttl = 64;
    s->tcp_keepidle = 7200; s->tcp_keepintvl = 75; s->tcp_keepcnt = 9; s->tcp_maxseg = 536;
    s->rcvlowat = 1;
    s->name.ss_family = (sa_family_t)domain;
    s->namelen = domain == AF_UNIX ? sizeof(sa_family_t) : domain == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    s->next = all_socks;
    all_socks = s;
    f->sk = s;
    f->sock = true;
    return s;
}

static void cork_flush(struct task *t, struct sock *s);

void sock_release(struct open_file *f)
{
    struct sock *s = f->sk;
    if (!s) return;
    cork_flush(NULL, s);   /* held-back TCP bytes still go, as at close on Linux */
    f->sk = NULL;
    for (struct sock **p = &all_socks; *p; p = &(*p)->next)
        if (*p == s) { *p = s->next; break; }
    for (struct sock *o = all_socks; o; o = o->next)
        if (o->peer == s) { o->peer = NULL; o->peer_gone = true; }
    for (int i = 0; i < s->npending; i++) file_put(s->pending[i]);
    free(s->pending);
    while (s->rx_head) { struct rec *r = s->rx_head; s->rx_head = r->next; rec_free(r); }
    if (s->rx_w >= 0) close(s->rx_w);
    free(s->cork);
    for (int i = 0; i < s->nepolls; i++) file_put(s->epolls[i].ep);
    free(s->epolls);
    free(s);
}

/* The host descriptor behind f becomes h (same number), and goes back into the guest's
 * epoll sets that held the old one (the host dropped it from them with its file). */
static int replace_host_fd(struct open_file *f, int h)
{
    int r = dup3(h, f->host_fd, O_CLOEXEC);
    int e = errno;
    close(h);
    if (r < 0) return -e;
    struct sock *s = f->sk;
    for (int i = 0; s && i < s->nepolls; i++) {
        struct epoll_event ev = s->epolls[i].ev;
        if (epoll_ctl(s->epolls[i].ep->host_fd, EPOLL_CTL_ADD, f->host_fd, &ev) < 0 && errno == EEXIST)
            epoll_ctl(s->epolls[i].ep->host_fd, EPOLL_CTL_MOD, f->host_fd, &ev);
    }
    return 0;
}

void sock_epoll_noted(struct open_file *ep, struct open_file *f, int op, const struct epoll_event *ev)
{
    struct sock *s = f->sk;
    if (!s) return;
    int i;
    for (i = 0; i < s->nepolls && s->epolls[i].ep != ep; i++) {}
    if (op == EPOLL_CTL_DEL) {
        if (i == s->nepolls) return;
        file_put(s->epolls[i].ep);
        s->epolls[i] = s->epolls[--s->nepolls];
        return;
    }
    if (i == s->nepolls) {
        struct epoll_note *n = realloc(s->epolls, (size_t)(s->nepolls + 1) * sizeof *n);
        if (!n) return;
        s->epolls = n;
        s->epolls[s->nepolls++].ep = ep;
        ep->refs++;
    }
    s->epolls[i].ev = *ev;
}

/* A datagram socket's receive queue: the guest reads end 0, uniemu writes end 1. */
static int make_rx_queue(struct sock *s)
{
    int h[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, h) < 0) return -errno;
    int r = replace_host_fd(s->file, h[0]);
    if (r) { close(h[1]); return r; }
    s->rx_w = h[1];
    return 0;
}

static struct open_file *sock_file(int host_fd)
{
    struct open_file *f = file_new(host_fd, "socket");
    if (!f) { close(host_fd); return NULL; }
    f->internal = true;
    f->sock = true;
    internal_file_identity(f);
    return f;
}

/* ---- names ---- */

/* Address families a name may have, and loopback. */
static bool v4_is_loopback(uint32_t a_net) { return (ntohl(a_net) >> 24) == 127; }
static bool v6_is_any(const struct in6_addr *a) { return IN6_IS_ADDR_UNSPECIFIED(a); }
static bool v6_is_lo(const struct in6_addr *a) { return IN6_IS_ADDR_LOOPBACK(a); }

/* What part of the loopback network an inet name covers: v4 (0 = none, 1 = any,
 * 2 = the address in a4) and v6 (0 none, 1 any, 2 ::1). */
struct cover { int v4; uint32_t a4; int v6; uint16_t port; };

static struct cover cover_of(const struct sock *s, const struct sockaddr_storage *ss)
{
    struct cover c = { 0, 0, 0, 0 };
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)ss;
        c.port = ntohs(in->sin_port);
        c.v4 = in->sin_addr.s_addr == htonl(INADDR_ANY) ? 1 : 2;
        c.a4 = in->sin_addr.s_addr;
    } else {
        const struct sockaddr_in6 *in6 = (const void *)ss;
        c.port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            memcpy(&c.a4, &in6->sin6_addr.s6_addr[12], 4);
            c.v4 = c.a4 == htonl(INADDR_ANY) ? 1 : 2;
        } else if (v6_is_any(&in6->sin6_addr)) {
            c.v6 = 1;
            c.v4 = s->v6only ? 0 : 1;
        } else c.v6 = 2;
    }
    return c;
}

static bool covers_overlap(struct cover a, struct cover b)
{
    if (a.port != b.port) return false;
    if (a.v4 && b.v4 && (a.v4 == 1 || b.v4 == 1 || a.a4 == b.a4)) return true;
    if (a.v6 && b.v6) return true;   /* any or ::1 on either side */
    return false;
}

/* Another live socket of the same transport that holds a name overlapping c. */
static struct sock *inet_conflict(const struct sock *self, struct cover c, bool listening_only)
{
    for (struct sock *o = all_socks; o; o = o->next) {
        if (o == self || !is_inet(o) || !o->bound || o->protocol != self->protocol) continue;
        if (listening_only && o->state != SK_LISTEN) continue;
        if (!covers_overlap(c, cover_of(o, &o->name))) continue;
        if (self->reuseport && o->reuseport) continue;
        if (!listening_only && self->reuseaddr && o->reuseaddr && (self->type == SOCK_DGRAM || o->state != SK_LISTEN)) continue;
        return o;
    }
    return NULL;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET) ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t get_port(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* An ephemeral port for s's name (address already set): the next free one in Linux's
 * range, in order, so that every run picks the same. */
static int pick_port(struct sock *s)
{
    for (int tries = 0; tries <= EPHEMERAL_HI - EPHEMERAL_LO; tries++) {
        int p = next_port++;
        if (next_port > EPHEMERAL_HI) next_port = EPHEMERAL_LO;
        set_port(&s->name, (uint16_t)p);
        struct cover c = cover_of(s, &s->name);
        if (!inet_conflict(s, c, false)) return 0;
    }
    return -EADDRINUSE;
}

/* Reads an inet address argument: checks length and family as Linux's bind/connect do. */
static int inet_addr_in(struct sock *s, const void *addr, uint32_t len, struct sockaddr_storage *out, bool for_bind)
{
    memset(out, 0, sizeof *out);
    sa_family_t fam;
    if (len < sizeof fam) return -EINVAL;
    memcpy(&fam, addr, sizeof fam);
    if (s->domain == AF_INET) {
        if (len < sizeof(struct sockaddr_in)) return -EINVAL;
        struct sockaddr_in in;
        memcpy(&in, addr, sizeof in);
        if (fam != AF_INET) {
            if (for_bind && fam == AF_UNSPEC && in.sin_addr.s_addr == htonl(INADDR_ANY)) fam = AF_INET;
            else return -EAFNOSUPPORT;
        }
        in.sin_family = AF_INET;
        memset(in.sin_zero, 0, sizeof in.sin_zero);
        memcpy(out, &in, sizeof in);
        return 0;
    }
    if (len < sizeof(struct sockaddr_in6)) return -EINVAL;
    if (fam != AF_INET6) return -EAFNOSUPPORT;
    struct sockaddr_in6 in6;
    memcpy(&in6, addr, sizeof in6);
    in6.sin6_flowinfo = 0;
    memcpy(out, &in6, sizeof in6);
    return 0;
}

static bool inet_is_local(const struct sockaddr_storage *ss, bool v6only)
{
    if (ss->ss_family == AF_INET) {
        uint32_t a = ((const struct sockaddr_in *)ss)->sin_addr.s_addr;
        return a == htonl(INADDR_ANY) || v4_is_loopback(a);
    }
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
        uint32_t a;
        memcpy(&a, &a6->s6_addr[12], 4);
        return !v6only && (a == htonl(INADDR_ANY) || v4_is_loopback(a));
    }
    return v6_is_any(a6) || v6_is_lo(a6);
}

/* The loopback address a socket of family fam speaks from. */
static void loopback_name(int fam, struct sockaddr_storage *ss, bool v4_mapped)
{
    uint16_t port = get_port(ss);
    memset(ss, 0, sizeof *ss);
    if (fam == AF_INET) {
        struct sockaddr_in *in = (void *)ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
        struct sockaddr_in6 *in6 = (void *)ss;
        in6->sin6_family = AF_INET6;
        if (v4_mapped) { in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff; in6->sin6_addr.s6_addr[12] = 127; in6->sin6_addr.s6_addr[15] = 1; }
        else in6->sin6_addr = in6addr_loopback;
    }
    set_port(ss, port);
}

static bool name_is_any(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) { uint32_t a; memcpy(&a, &a6->s6_addr[12], 4); return a == 0; }
    return v6_is_any(a6);
}

/* The destination as an address of family fam (a v4 address seen by a v6 socket is
 * v4-mapped, a mapped one seen by a v4 socket is plain). Connecting to "any" means
 * loopback, as on Linux. */
static void convert_name(const struct sockaddr_storage *in, int fam, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    uint32_t a4 = 0;
    bool is4 = false;
    if (in->ss_family == AF_INET) { a4 = ((const struct sockaddr_in *)in)->sin_addr.s_addr; is4 = true; }
    else {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)in)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) { memcpy(&a4, &a6->s6_addr[12], 4); is4 = true; }
    }
    uint16_t port = get_port(in);
    if (fam == AF_INET) {
        struct sockaddr_in *o = (void *)out;
        o->sin_family = AF_INET;
        o->sin_addr.s_addr = a4;
    } else {
        struct sockaddr_in6 *o = (void *)out;
        o->sin6_family = AF_INET6;
        if (is4) { o->sin6_addr.s6_addr[10] = o->sin6_addr.s6_addr[11] = 0xff; memcpy(&o->sin6_addr.s6_addr[12], &a4, 4); }
        else o->sin6_addr = ((const struct sockaddr_in6 *)in)->sin6_addr;
    }
    set_port(out, port);
    if (name_is_any(out)) loopback_name(fam, out, fam == AF_INET6 && is4);
}

static bool same_inet_name(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family || get_port(a) != get_port(b)) return false;
    if (a->ss_family == AF_INET) return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

/* The one-line note for an address outside uniemu's network. */
static void note_unreachable(const struct sockaddr_storage *ss)
{
    static bool said;
    if (said) return;
    said = true;
    char buf[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, sizeof buf);
    else inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, sizeof buf);
    fprintf(stderr, "uniemu: %s is outside the guest's network (loopback only): ENETUNREACH\n", buf);
}

/* The inet socket of protocol proto bound to dst (a listener for streams), the most
 * specific first. */
static struct sock *inet_lookup(bool stream, int proto, const struct sockaddr_storage *dst)
{
    struct sock tmp = { 0 };
    struct cover c = cover_of(&tmp, dst);
    if (c.v4 == 1) { c.v4 = 2; c.a4 = htonl(INADDR_LOOPBACK); }
    if (c.v6 == 1) { c.v6 = 2; c.v4 = 0; }
    struct sock *best = NULL;
    int best_score = -1;
    for (struct sock *o = all_socks; o; o = o->next) {
        if (!is_inet(o) || !o->bound || (o->type != SOCK_DGRAM) != stream || o->protocol != proto) continue;
        if (stream && o->state != SK_LISTEN) continue;
        struct cover oc = cover_of(o, &o->name);
        if (!covers_overlap(c, oc)) continue;
        int score = (c.v4 && oc.v4 == 2) || (c.v6 && oc.v6 == 2) ? 1 : 0;
        if (score > best_score) { best = o; best_score = score; }
    }
    return best;
}

/* An AF_UNIX address argument (unix_mkname's rules): 0 and the name (path NUL-ended,
 * length as Linux keeps it), or -EINVAL. */
static int unix_addr_in(const void *addr, uint32_t len, struct sockaddr_un *out, uint32_t *outlen)
{
    if (len <= offsetof(struct sockaddr_un, sun_path) || len > sizeof(struct sockaddr_un)) return -EINVAL;
    memset(out, 0, sizeof *out);
    memcpy(out, addr, len);
    if (out->sun_family != AF_UNIX) return -EINVAL;
    if (out->sun_path[0]) {
        size_t n = strnlen(out->sun_path, len - offsetof(struct sockaddr_un, sun_path));
        if (n >= sizeof out->sun_path) n = sizeof out->sun_path - 1;
        out->sun_path[n] = 0;
        *outlen = (uint32_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    } else *outlen = len;
    return 0;
}

/* The bound AF_UNIX socket a name leads to: by the socket file's identity, or by the
 * abstract name. 0, -ENOENT (no such file), -ECONNREFUSED (not a socket or nobody
 * bound), -EACCES. */
static int unix_lookup(struct task *t, const struct sockaddr_un *a, uint32_t alen, struct sock **out)
{
    *out = NULL;
    if (a->sun_path[0]) {
        struct stat st;
        int dir = a->sun_path[0] == '/' ? AT_FDCWD : at_dirfd(t, AT_FDCWD);
        if (fstatat(dir, a->sun_path, &st, 0) < 0) return -errno;
        if (faccessat(dir, a->sun_path, W_OK, AT_EACCESS) < 0 && errno == EACCES) return -EACCES;
        if (!S_ISSOCK(st.st_mode)) return -ECONNREFUSED;
        for (struct sock *o = all_socks; o; o = o->next)
            if (o->domain == AF_UNIX && o->key_valid && o->dev == st.st_dev && o->ino == st.st_ino) { *out = o; return 0; }
        return -ECONNREFUSED;
    }
    for (struct sock *o = all_socks; o; o = o->next)
        if (o->domain == AF_UNIX && o->bound && !o->key_valid && o->namelen == alen && !memcmp(&o->name, a, alen)) { *out = o; return 0; }
    return -ECONNREFUSED;
}

static int unix_autobind(struct sock *s)
{
    struct sockaddr_un *un = (void *)&s->name;
    for (;;) {
        memset(un, 0, sizeof *un);
        un->sun_family = AF_UNIX;
        char name[8];
        snprintf(name, sizeof name, "%05llx", (unsigned long long)(next_autobind++ & 0xfffff));
        memcpy(un->sun_path + 1, name, 5);
        s->namelen = offsetof(struct sockaddr_un, sun_path) + 6;
        bool taken = false;
        for (struct sock *o = all_socks; o; o = o->next)
            if (o != s && o->domain == AF_UNIX && o->bound && !o->key_valid && o->namelen == s->namelen && !memcmp(&o->name, un, s->namelen)) taken = true;
        if (!taken) break;
    }
    s->bound = true;
    return 0;
}

static int inet_autobind(struct sock *s)
{
    if (s->bound) return 0;
    struct sockaddr_storage any = { 0 };
    any.ss_family = (sa_family_t)s->domain;
    s->name = any;
    int r = pick_port(s);
    if (r) return r;
    s->bound = true;
    return 0;
}

/* ---- socket, socketpair ---- */

static int check_type(int domain, int type, int proto, int *kind, int *flags)
{
    *flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    *kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain != AF_UNIX && domain != AF_INET && domain != AF_INET6) return -EAFNOSUPPORT;
    if (*kind != SOCK_STREAM && *kind != SOCK_DGRAM && *kind != SOCK_SEQPACKET && *kind != SOCK_RAW && *kind != SOCK_RDM)
        return -EINVAL;
    if (domain == AF_UNIX) {
        if (proto != 0 && proto != PF_UNIX) return -EPROTONOSUPPORT;
        if (*kind == SOCK_RAW) *kind = SOCK_DGRAM;   /* as unix_create does */
        if (*kind == SOCK_RDM) return -ESOCKTNOSUPPORT;
        return 0;
    }
    if (*kind == SOCK_STREAM && (proto == 0 || proto == IPPROTO_TCP)) return 0;
    if (*kind == SOCK_DGRAM && (proto == 0 || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE)) return 0;   /* UDP-Lite: UDP with its own ports */
    if (*kind == SOCK_RAW) return proto ? -EPERM : -EPROTONOSUPPORT;   /* no raw sockets inside uniemu */
    return -EPROTONOSUPPORT;
}

static int64_t sys_socket(struct syscall *sc)
{
    struct task *t = sc->t;
    int domain = (int)sc->a[0], proto = (int)sc->a[2], kind, flags;
    int r = check_type(domain, (int)sc->a[1], proto, &kind, &flags);
    if (r) return r;
    if (domain != AF_UNIX && !proto) proto = kind == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    /* An unconnected host AF_UNIX socket of the same type stands in until connect or
     * listen: its poll answers are those of an unconnected socket. */
    int h = socket(AF_UNIX, (kind == SOCK_STREAM ? SOCK_STREAM : kind == SOCK_SEQPACKET ? SOCK_SEQPACKET : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (h < 0) return -errno;
    struct open_file *f = sock_file(h);
    if (!f) return -ENOMEM;
    f->guest_nonblock = flags & SOCK_NONBLOCK;
    struct sock *s = sock_new(f, domain, kind, domain == AF_UNIX ? 0 : proto);
    if (!s) { file_put(f); return -ENOMEM; }
    s->own_cred = cred_now(t, true);
    if (kind == SOCK_DGRAM && (r = make_rx_queue(s))) { file_put(f); return r; }
    int fd = fd_install(t, f, flags & SOCK_CLOEXEC, 0);
    file_put(f);
    return fd < 0 ? -EMFILE : fd;
}

static void link_pair(struct sock *a, struct sock *b, struct ucred cred)
{
    a->peer = b; b->peer = a;
    a->state = b->state = SK_CONNECTED;
    a->has_peercred = b->has_peercred = true;
    a->peercred = b->peercred = cred;
}

static int64_t sys_socketpair(struct syscall *sc)
{
    struct task *t = sc->t;
    int domain = (int)sc->a[0], proto = (int)sc->a[2], kind, flags;
    int r = check_type(domain, (int)sc->a[1], proto, &kind, &flags);
    if (r) return r;
    if (domain != AF_UNIX) return -EOPNOTSUPP;
    int h[2];
    if (socketpair(AF_UNIX, kind | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, h) < 0) return -errno;
    struct open_file *f[2] = { sock_file(h[0]), sock_file(h[1]) };
    struct sock *s[2] = { NULL, NULL };
    for (int i = 0; i < 2; i++) {
        if (f[i]) { f[i]->guest_nonblock = flags & SOCK_NONBLOCK; s[i] = sock_new(f[i], AF_UNIX, kind, 0); }
    }
    if (!s[0] || !s[1]) { file_put(f[0]); file_put(f[1]); return -ENOMEM; }
    link_pair(s[0], s[1], cred_now(t, true));
    for (int i = 0; i < 2; i++) { s[i]->peername = s[1 - i]->name; s[i]->peerlen = s[1 - i]->namelen; }
    if (kind == SOCK_DGRAM)
        for (int i = 0; i < 2 && !r; i++) r = make_rx_queue(s[i]);
    if (r) { file_put(f[0]); file_put(f[1]); return r; }
    int g[2] = { fd_install(t, f[0], flags & SOCK_CLOEXEC, 0), -1 };
    if (g[0] >= 0) g[1] = fd_install(t, f[1], flags & SOCK_CLOEXEC, 0);
    file_put(f[0]);
    file_put(f[1]);
    if (g[1] < 0) { if (g[0] >= 0) fd_close(t, g[0]); return -EMFILE; }
    if (guest_write(t->as, sc->a[3], g, sizeof g)) { fd_close(t, g[0]); fd_close(t, g[1]); return -EFAULT; }
    return 0;
}

/* ---- bind, listen, connect, accept ---- */

static int addr_copy_in(struct task *t, uint64_t addr, uint64_t len, char buf[sizeof(struct sockaddr_storage)])
{
    if ((int)len < 0 || len > sizeof(struct sockaddr_storage)) return -EINVAL;
    if (len && guest_read(t->as, addr, buf, len)) return -EFAULT;
    return 0;
}

static int unix_bind(struct task *t, struct sock *s, const char *addr, uint32_t len)
{
    if (len == offsetof(struct sockaddr_un, sun_path) && ((const struct sockaddr *)addr)->sa_family == AF_UNIX)
        return s->bound ? -EINVAL : unix_autobind(s);
    struct sockaddr_un un;
    uint32_t ulen;
    int r = unix_addr_in(addr, len, &un, &ulen);
    if (r) return r;
    if (un.sun_path[0]) {
        /* The file first, as unix_bind_bsd: an existing path is EADDRINUSE even for a
         * socket already bound. */
        int dir = un.sun_path[0] == '/' ? AT_FDCWD : at_dirfd(t, AT_FDCWD);
        if (mknodat(dir, un.sun_path, S_IFSOCK | (0777 & ~t->fs->umask), 0) < 0) return errno == EEXIST ? -EADDRINUSE : -errno;
        if (s->bound) { unlinkat(dir, un.sun_path, 0); return -EINVAL; }
        struct stat st;
        if (fstatat(dir, un.sun_path, &st, AT_SYMLINK_NOFOLLOW) < 0) return -errno;
        /* A socket whose file was unlinked keeps its name but nobody reaches it: if the
         * new file reuses the inode, the new socket is the one found. */
        for (struct sock *o = all_socks; o; o = o->next)
            if (o->key_valid && o->dev == st.st_dev && o->ino == st.st_ino) o->key_valid = false;
        s->key_valid = true;
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    } else {
        if (s->bound) return -EINVAL;
        for (struct sock *o = all_socks; o; o = o->next)
            if (o->domain == AF_UNIX && o->bound && !o->key_valid && o->namelen == ulen && !memcmp(&o->name, &un, ulen)) return -EADDRINUSE;
    }
    memcpy(&s->name, &un, sizeof un);
    s->namelen = ulen;
    s->bound = true;
    return 0;
}

static int inet_bind(struct task *t, struct sock *s, const char *addr, uint32_t len)
{
    struct sockaddr_storage ss;
    int r = inet_addr_in(s, addr, len, &ss, true);
    if (r) return r;
    if (s->bound) return -EINVAL;
    if (!inet_is_local(&ss, s->v6only)) return -EADDRNOTAVAIL;
    uint16_t port = get_port(&ss);
    if (port && port < 1024 && !(guest_cap_effective(t->proc) & (1ull << CAP_NET_BIND_SERVICE_BIT))) return -EACCES;
    s->name = ss;
    if (!port) return (r = pick_port(s)) ? r : (s->bound = true, 0);
    if (inet_conflict(s, cover_of(s, &ss), false)) return -EADDRINUSE;
    s->bound = true;
    return 0;
}

static int64_t sys_bind(struct syscall *sc)
{
    int64_t err;
    struct sock *s = sock_get(sc->t, (int)sc->a[0], &err);
    if (!s) return err;
    char buf[sizeof(struct sockaddr_storage)];
    int r = addr_copy_in(sc->t, sc->a[1], sc->a[2], buf);
    if (r) return r;
    return s->domain == AF_UNIX ? unix_bind(sc->t, s, buf, (uint32_t)sc->a[2]) : inet_bind(sc->t, s, buf, (uint32_t)sc->a[2]);
}

static int64_t sys_listen(struct syscall *sc)
{
    int64_t err;
    struct sock *s = sock_get(sc->t, (int)sc->a[0], &err);
    if (!s) return err;
    if (s->type == SOCK_DGRAM) return -EOPNOTSUPP;
    if (s->state == SK_CONNECTED) return -EINVAL;
    int backlog = (int)sc->a[1];
    if ((unsigned)backlog > SOMAXCONN_LINUX) backlog = SOMAXCONN_LINUX;
    if (s->state == SK_LISTEN) { s->backlog = backlog; return 0; }
    if (s->domain == AF_UNIX && !s->bound) return -EINVAL;
    if (is_inet(s)) {
        int r = inet_autobind(s);
        if (r) return r;
        if (inet_conflict(s, cover_of(s, &s->name), true)) return -EADDRINUSE;
    }
    int h = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    if (h < 0) return -errno;
    int r = replace_host_fd(s->file, h);
    if (r) return r;
    s->backlog = backlog;
    s->state = SK_LISTEN;
    s->own_cred = cred_now(sc->t, true);
    return 0;
}

/* A stream or seqpacket connect to listener l: a host socketpair, one end becoming
 * the caller's, the other a new socket queued for accept. */
static int connect_to(struct task *t, struct sock *s, struct sock *l, const struct sockaddr_storage *dst)
{
    if (l->npending > l->backlog) return -EAGAIN;
    int h[2];
    if (socketpair(AF_UNIX, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, h) < 0) return -errno;
    struct open_file *nf = sock_file(h[1]);
    if (!nf) { close(h[0]); return -ENOMEM; }
    struct sock *n = sock_new(nf, l->domain, l->type, l->protocol);
    struct open_file **q = n ? realloc(l->pending, (l->npending + 1) * sizeof *q) : NULL;
    if (!q) { close(h[0]); file_put(nf); return -ENOMEM; }
    l->pending = q;
    int r = replace_host_fd(s->file, h[0]);
    if (r) { file_put(nf); return r; }
    n->own_cred = l->own_cred;
    n->nodelay = l->nodelay; n->keepalive = l->keepalive; n->passcred = l->passcred;
    n->rcvbuf = l->rcvbuf; n->sndbuf = l->sndbuf;
    link_pair(s, n, l->own_cred);
    n->peercred = cred_now(t, true);
    if (is_inet(s)) {
        /* The caller speaks from loopback on its port; the accepted end has the address
         * connected to, on the listener's port. */
        if (name_is_any(&s->name)) {
            bool mapped = s->domain == AF_INET6 && (dst->ss_family == AF_INET || IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)dst)->sin6_addr));
            loopback_name(s->domain, &s->name, mapped);
        }
        convert_name(dst, l->domain, &n->name);
        n->namelen = l->domain == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        convert_name(&s->name, l->domain, &n->peername);
        n->peerlen = n->namelen;
        s->peername = *dst;
        s->peerlen = s->namelen;
    } else {
        n->name = l->name;
        n->namelen = l->namelen;   /* the listener's name, but not bound: lookups skip it */
        n->peername = s->name;
        n->peerlen = s->namelen;
        s->peername = l->name;
        s->peerlen = l->namelen;
    }
    l->pending[l->npending++] = nf;
    uint64_t one = 1;
    if (write(l->file->host_fd, &one, sizeof one) < 0) { /* an eventfd never fills at this count */ }
    sched_wake_io();
    return 0;
}

static int64_t sys_connect(struct syscall *sc)
{
    struct task *t = sc->t;
    int64_t err;
    struct sock *s = sock_get(t, (int)sc->a[0], &err);
    if (!s) return err;
    char buf[sizeof(struct sockaddr_storage)];
    uint32_t len = (uint32_t)sc->a[2];
    int r = addr_copy_in(t, sc->a[1], sc->a[2], buf);
    if (r) return r;
    bool nonblock = s->file->guest_nonblock;
    sa_family_t fam = AF_UNSPEC;
    if (len >= sizeof fam) memcpy(&fam, buf, sizeof fam);
    if (s->type == SOCK_DGRAM && fam == AF_UNSPEC && len >= sizeof fam) {
        /* Dissolves the association. */
        s->peer = NULL; s->peer_gone = false; s->peerlen = 0; s->state = SK_NEW;
        return 0;
    }
    struct sockaddr_storage dst = { 0 };
    struct sock *target = NULL;
    if (s->domain == AF_UNIX) {
        struct sockaddr_un un;
        uint32_t ulen;
        if ((r = unix_addr_in(buf, len, &un, &ulen))) return r;
        if (conn_based(s)) {
            if (s->state == SK_CONNECTED) return -EISCONN;
            if (s->state == SK_LISTEN) return -EINVAL;
        }
        if ((r = unix_lookup(t, &un, ulen, &target))) return r;
        if (target->type != s->type) return -EPROTOTYPE;
        if (conn_based(s) && target->state != SK_LISTEN) return -ECONNREFUSED;
        memcpy(&dst, &un, sizeof un);
    } else {
        if ((r = inet_addr_in(s, buf, len, &dst, false))) return r;
        if (conn_based(s)) {
            if (s->state == SK_CONNECTED) return -EISCONN;
            if (s->state == SK_LISTEN) return -EISCONN;
        }
        if (!inet_is_local(&dst, false) || (s->domain == AF_INET6 && s->v6only && dst.ss_family == AF_INET6 &&
                                           IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&dst)->sin6_addr))) {
            note_unreachable(&dst);
            return -ENETUNREACH;
        }
        if ((r = inet_autobind(s))) return r;
        target = inet_lookup(conn_based(s), s->protocol, &dst);
        struct sockaddr_storage d2;
        convert_name(&dst, s->domain, &d2);
        dst = d2;
        if (conn_based(s) && !target) return -ECONNREFUSED;
    }
    if (!conn_based(s)) {
        s->peer = target;
        s->peer_gone = target == NULL;
        s->peername = dst;
        s->peerlen = s->domain == AF_UNIX ? target->namelen : s->namelen;
        if (s->domain == AF_UNIX) s->peername = target->name;
        s->state = SK_CONNECTED;
        if (is_inet(s) && name_is_any(&s->name)) loopback_name(s->domain, &s->name, false);
        return 0;
    }
    r = connect_to(t, s, target, &dst);
    if (r == -EAGAIN) {
        if (nonblock) return is_inet(s) ? -EINPROGRESS : -EAGAIN;
        return sock_wait(t, &s->sndtimeo);
    }
    if (r == 0 && nonblock && is_inet(s)) return -EINPROGRESS;   /* done at once, reported as Linux does */
    return r;
}

static int name_out(struct task *t, uint64_t addr, uint64_t lenp, const void *name, uint32_t namelen)
{
    if (!addr) return 0;
    uint32_t len;
    if (guest_read(t->as, lenp, &len, sizeof len)) return -EFAULT;
    if ((int32_t)len < 0) return -EINVAL;
    if (len && namelen && guest_write(t->as, addr, name, len < namelen ? len : namelen)) return -EFAULT;
    return guest_write(t->as, lenp, &namelen, sizeof namelen) ? -EFAULT : 0;
}

static int64_t do_accept(struct syscall *sc, int flags)
{
    struct task *t = sc->t;
    int64_t err;
    struct sock *s = sock_get(t, (int)sc->a[0], &err);
    if (!s) return err;
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
    if (s->type == SOCK_DGRAM) return -EOPNOTSUPP;
    if (s->state != SK_LISTEN) return -EINVAL;
    if (!s->npending) {
        if (s->file->guest_nonblock) return -EAGAIN;
        return sock_wait(t, &s->rcvtimeo);
    }
    struct open_file *nf = s->pending[0];
    /* The name is written first: a bad pointer keeps the connection queued. */
    struct sock *n = nf->sk;
    if (sc->a[1] && sc->a[2]) {
        uint32_t len;
        if (guest_read(t->as, sc->a[2], &len, sizeof len)) return -EFAULT;
        if ((int32_t)len < 0) return -EINVAL;
    }
    int fd = fd_install(t, nf, flags & SOCK_CLOEXEC, 0);
    if (fd < 0) return -EMFILE;
    memmove(s->pending, s->pending + 1, (size_t)(s->npending - 1) * sizeof *s->pending);
    s->npending--;
    uint64_t v;
    if (read(s->file->host_fd, &v, sizeof v) < 0) { /* the count matches npending */ }
    nf->guest_nonblock = flags & SOCK_NONBLOCK;
    file_put(nf);   /* the queue's reference: the table holds it now */
    sched_wake_io();   /* a connect waiting for room in the backlog */
    if (sc->a[1] && sc->a[2]) {
        int r = name_out(t, sc->a[1], sc->a[2], &n->peername, n->peerlen);
        if (r) { fd_close(t, fd); return r; }
    }
    return fd;
}

static int64_t sys_accept(struct syscall *sc) { return do_accept(sc, 0); }
static int64_t sys_accept4(struct syscall *sc) { return do_accept(sc, (int)sc->a[3]); }

static int64_t sys_getsockname(struct syscall *sc)
{
    int64_t err;
    struct sock *s = sock_get(sc->t, (int)sc->a[0], &err);
    if (!s) return err;
    return name_out(sc->t, sc->a[1] ? sc->a[1] : 1, sc->a[2], &s->name, s->namelen);
}

static int64_t sys_getpeername(struct syscall *sc)
{
    int64_t err;
    struct sock *s = sock_get(sc->t, (int)sc->a[0], &err);
    if (!s) return err;
    if (s->state != SK_CONNECTED) return -ENOTCONN;
    return name_out(sc->t, sc->a[1] ? sc->a[1] : 1, sc->a[2], &s->peername, s->peerlen);
}

/* ---- moving data ---- */

struct msg_io {
    struct iovec iov[MAX_IOV];    /* guest addresses */
    int iovlen;
    size_t total;
    const char *dst;              /* sendto's address (host copy), or NULL */
    uint32_t dstlen;
    const char *ctl;              /* sendmsg's control data (host copy) */
    size_t ctllen;
    /* recvmsg's outputs */
    uint64_t ctl_addr;            /* the guest's control buffer */
    size_t ctl_room, ctl_used;
    int msg_flags;
    struct sockaddr_storage from;
    uint32_t fromlen;
};

static char *gather(struct task *t, const struct msg_io *m, int64_t *err)
{
    char *data = malloc(m->total ? m->total : 1);
    if (!data) { *err = -ENOMEM; return NULL; }
    size_t at = 0;
    for (int i = 0; i < m->iovlen && at < m->total; i++) {
        size_t k = m->iov[i].iov_len < m->total - at ? m->iov[i].iov_len : m->total - at;   /* total may be capped */
        if (k && guest_read(t->as, (uint64_t)m->iov[i].iov_base, data + at, k)) { free(data); *err = -EFAULT; return NULL; }
        at += k;
    }
    return data;
}

static int scatter(struct task *t, const struct msg_io *m, const char *data, size_t n, size_t skip)
{
    size_t at = 0;
    for (int i = 0; i < m->iovlen && at < skip + n; i++) {
        size_t lo = at, hi = at + m->iov[i].iov_len;
        at = hi;
        if (hi <= skip) continue;
        size_t from = lo < skip ? skip : lo, to = hi < skip + n ? hi : skip + n;
        if (to > from && guest_write(t->as, (uint64_t)m->iov[i].iov_base + (from - lo), data + (from - skip), to - from)) return -EFAULT;
    }
    return 0;
}

/* Control messages of sendmsg: descriptors (references taken) and credentials. */
static int parse_control(struct task *t, struct sock *s, const struct msg_io *m, struct rec *r)
{
    size_t at = 0;
    while (at + sizeof(struct cmsghdr) <= m->ctllen) {
        struct cmsghdr h;
        memcpy(&h, m->ctl + at, sizeof h);
        if (h.cmsg_len < sizeof h || h.cmsg_len > m->ctllen - at) return -EINVAL;
        const char *data = m->ctl + at + CMSG_LEN(0);
        size_t dlen = h.cmsg_len - CMSG_LEN(0);
        if (h.cmsg_level != SOL_SOCKET) { if (s->domain == AF_UNIX) return -EINVAL; }
        else if (s->domain != AF_UNIX) { /* SCM_RIGHTS and friends mean nothing to TCP and UDP */ }
        else if (h.cmsg_type == SCM_RIGHTS) {
            int n = (int)(dlen / sizeof(int));
            if (n <= 0 || r->nfds + n > SCM_MAX_FD) return -EINVAL;
            struct open_file **fds = realloc(r->fds, (size_t)(r->nfds + n) * sizeof *fds);
            if (!fds) return -ENOMEM;
            r->fds = fds;
            for (int i = 0; i < n; i++) {
                int fd;
                memcpy(&fd, data + i * sizeof(int), sizeof fd);
                struct open_file *f = fd_get(t, fd);
                if (!f) return -EBADF;
                f->refs++;
                r->fds[r->nfds++] = f;
            }
        } else if (h.cmsg_type == SCM_CREDENTIALS) {
            if (h.cmsg_len != CMSG_LEN(sizeof(struct ucred))) return -EINVAL;
            struct ucred u;
            memcpy(&u, data, sizeof u);
            struct cred *c = cred_of(t->proc);
            bool root = c->euid == 0;
            if (u.pid != t->proc->pid && !root) return -EPERM;
            if (u.uid != c->uid && u.uid != c->euid && u.uid != c->suid && !root) return -EPERM;
            if (u.gid != c->gid && u.gid != c->egid && u.gid != c->sgid && !root) return -EPERM;
            r->cred = u;
        } else return -EINVAL;
        at += CMSG_ALIGN(h.cmsg_len);
    }
    return 0;
}

static void push_rec(struct sock *to, struct rec *r, bool stream, size_t n)
{
    r->start = to->rx_in;
    r->end = to->rx_in + (stream ? n : 1);
    to->rx_in = r->end;
    struct rec *tail = to->rx_tail;
    if (stream && tail && !tail->nfds && !r->nfds && tail->end == r->start && !memcmp(&tail->cred, &r->cred, sizeof r->cred) &&
        tail->fromlen == r->fromlen && !memcmp(&tail->from, &r->from, r->fromlen)) {
        tail->end = r->end;
        rec_free(r);
        return;
    }
    r->next = NULL;
    if (tail) tail->next = r; else to->rx_head = r;
    to->rx_tail = r;
}

/* A datagram for socket `to`: into its receive queue, with the sender's record.
 * 0, -EAGAIN (full), -EMSGSIZE. */
static int deliver_dgram(struct sock *to, const char *data, size_t len, struct rec *r)
{
    ssize_t n = send(to->rx_w, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) return -errno;
    push_rec(to, r, false, 0);
    sched_wake_io();
    return 0;
}

static void sigpipe(struct task *t) { sig_send_simple(t, SIGPIPE, SI_USER, t->proc->pid, true); }

/* The sender's name as its receiver sees it. */
static void from_name(struct sock *s, struct rec *r, const struct sockaddr_storage *dst)
{
    if (s->domain == AF_UNIX) {
        r->fromlen = s->namelen > sizeof(sa_family_t) ? s->namelen : 0;
        memcpy(&r->from, &s->name, sizeof r->from);
        return;
    }
    r->from = s->name;
    if (name_is_any(&r->from)) {
        bool mapped = s->domain == AF_INET6 && dst && (dst->ss_family == AF_INET || IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)dst)->sin6_addr));
        loopback_name(s->domain, &r->from, mapped);
    }
    r->fromlen = s->namelen;
}

static int cork_add(struct sock *s, const char *data, size_t len)
{
    char *n = realloc(s->cork, s->corklen + len + 1);
    if (!n) return -ENOMEM;
    memcpy(n + s->corklen, data, len);
    s->cork = n;
    s->corklen += len;
    return 0;
}

/* A TCP stream's held-back bytes go out (what fits now; the rest stays held). */
static void cork_flush(struct task *t, struct sock *s)
{
    if (!s->corklen || s->type != SOCK_STREAM || !s->peer) return;
    ssize_t n = send(s->file->host_fd, s->cork, s->corklen, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) return;
    struct rec *r = calloc(1, sizeof *r);
    if (!r) return;
    if (t) r->cred = cred_now(t, false);   /* no task at close: TCP shows no credentials anyway */
    from_name(s, r, NULL);
    push_rec(s->peer, r, true, (size_t)n);
    memmove(s->cork, s->cork + n, s->corklen - (size_t)n);
    s->corklen -= (size_t)n;
    sched_wake_io();
}

static int64_t do_sendmsg(struct task *t, struct sock *s, struct msg_io *m, int flags)
{
    struct open_file *f = s->file;
    bool nonblock = f->guest_nonblock || (flags & MSG_DONTWAIT);
    if (flags & MSG_OOB && s->type != SOCK_STREAM) return -EOPNOTSUPP;
    /* The largest UDP payload (the IP length field; IPv6's excludes its header). */
    if (is_inet(s) && s->type == SOCK_DGRAM && m->total > (s->domain == AF_INET ? 65507u : 65527u)) return -EMSGSIZE;
    if (is_inet(s) && s->type == SOCK_STREAM && s->state == SK_CONNECTED && net_fault(128)) conn_reset(s);
    if (s->so_error) { int e = s->so_error; s->so_error = 0; return -e; }
    struct rec *r = calloc(1, sizeof *r);
    if (!r) return -ENOMEM;
    r->cred = cred_now(t, false);
    int64_t err = parse_control(t, s, m, r);
    if (err) { rec_free(r); return err; }
    if (m->total > MAX_IO) m->total = MAX_IO;
    char *data = gather(t, m, &err);
    if (!data) { rec_free(r); return err; }
    int64_t ret;
    bool more = (flags & MSG_MORE) || (s->cork_opt && s->type == SOCK_STREAM);
    if (is_inet(s) && more && !(s->type == SOCK_STREAM && s->state != SK_CONNECTED)) {
        /* Held back: a datagram grows until a send without MSG_MORE, a stream waits. */
        ret = cork_add(s, data, m->total);
        free(data);
        rec_free(r);
        return ret ? ret : (int64_t)m->total;
    }
    size_t user_len = m->total;
    if (is_inet(s) && s->type == SOCK_DGRAM && s->corklen) {
        if ((ret = cork_add(s, data, m->total))) { free(data); rec_free(r); return ret; }
        free(data);
        data = s->cork;
        m->total = s->corklen;
        s->cork = NULL;
        s->corklen = 0;
    }
    if (is_inet(s) && s->type == SOCK_STREAM) cork_flush(t, s);
    if (s->type == SOCK_DGRAM) {
        struct sock *to = s->peer;
        struct sockaddr_storage dst = { 0 };
        bool udp = is_inet(s);
        if (s->shut_wr) { ret = -EPIPE; goto out_pipe; }
        if (m->dst && m->dstlen) {
            if (udp) {
                if ((ret = inet_addr_in(s, m->dst, m->dstlen, &dst, false))) goto out;
                if (!inet_is_local(&dst, false)) { note_unreachable(&dst); ret = -ENETUNREACH; goto out; }
                if ((ret = inet_autobind(s))) goto out;
                to = inet_lookup(false, s->protocol, &dst);
                if (!to) { ret = (int64_t)user_len; goto out; }   /* nobody bound: the datagram is lost */
            } else {
                struct sockaddr_un un;
                uint32_t ulen;
                if ((ret = unix_addr_in(m->dst, m->dstlen, &un, &ulen))) goto out;
                if ((ret = unix_lookup(t, &un, ulen, &to))) goto out;
                if (to->type != SOCK_DGRAM) { ret = -EPROTOTYPE; goto out; }
            }
        } else if (!to) {
            if (s->peer_gone && udp) { ret = (int64_t)user_len; goto out; }
            ret = s->peer_gone ? -ECONNREFUSED : udp ? -EDESTADDRREQ : -ENOTCONN;
            goto out;
        } else if (udp) dst = s->peername;
        if (to->shut_rd && !udp) { ret = -EPIPE; goto out_pipe; }
        if (s->domain == AF_UNIX && to->peer && to->peer != s && to != s) { ret = -EPERM; goto out; }
        if (udp && net_fault(8)) { ret = (int64_t)user_len; goto out; }   /* lost on the way */
        from_name(s, r, &dst);
        if (udp) {   /* as the receiver's family sees it (v4-mapped for an IPv6 socket) */
            struct sockaddr_storage c;
            convert_name(&r->from, to->domain, &c);
            r->from = c;
            r->fromlen = to->domain == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
            /* A connected UDP socket takes datagrams from its peer only. */
            if (to->state == SK_CONNECTED && to->peerlen && !same_inet_name(&r->from, &to->peername)) { ret = (int64_t)user_len; goto out; }
        }
        int d = deliver_dgram(to, data, m->total, r);
        if (d == 0) { r = NULL; ret = (int64_t)user_len; }
        else if (d == -EAGAIN && udp) ret = (int64_t)user_len;   /* a full UDP queue drops */
        else if (d == -EAGAIN && !nonblock) {
            free(data); rec_free(r);
            return sock_wait(t, &s->sndtimeo);
        } else ret = d;
        goto out;
    }
    /* Connection-based. */
    if (m->dst && m->dstlen && s->domain == AF_UNIX) { ret = s->state == SK_CONNECTED ? -EISCONN : -EOPNOTSUPP; goto out; }
    if (s->state != SK_CONNECTED) {
        ret = is_inet(s) ? -EPIPE : -ENOTCONN;
        if (ret == -EPIPE) goto out_pipe;
        goto out;
    }
    if (s->shut_wr || !s->peer) { ret = -EPIPE; goto out_pipe; }
    bool stream = s->type == SOCK_STREAM;
    size_t done = t->in_syscall ? t->io_done : 0;
    ssize_t n = 0;
    int host_flags = MSG_DONTWAIT | MSG_NOSIGNAL | (flags & MSG_EOR) | (s->domain == AF_UNIX ? flags & MSG_OOB : 0);
    from_name(s, r, NULL);
    if (!stream) {
        n = send(f->host_fd, data, m->total, host_flags);
        if (n >= 0) { push_rec(s->peer, r, false, 0); r = NULL; sched_wake_io(); ret = n; goto out; }
        if (errno == EAGAIN && !nonblock) { free(data); rec_free(r); return sock_wait(t, &s->sndtimeo); }
        ret = -errno;
        if (ret == -EPIPE) goto out_pipe;
        goto out;
    }
    if (m->total == 0) { ret = 0; goto out; }
    /* A non-blocking write may move less than asked (a blocking one moves everything). */
    size_t limit = nonblock && net_fault(4) ? done + net_fault_len(m->total - done) : m->total;
    while (done < limit) {
        n = send(f->host_fd, data + done, limit - done, host_flags);
        if (n <= 0) break;
        struct rec *piece = r;
        if (!piece) { piece = calloc(1, sizeof *piece); if (!piece) break; piece->cred = cred_now(t, false); from_name(s, piece, NULL); }
        if (!s->peer) { rec_free(piece); break; }
        push_rec(s->peer, piece, true, (size_t)n);
        r = NULL;
        done += (size_t)n;
        sched_wake_io();
    }
    int e = n < 0 ? errno : 0;
    if (done < m->total && (e == EAGAIN || n > 0 || limit < m->total) && !nonblock) {
        free(data); if (r) rec_free(r);
        int64_t w = sock_wait(t, &s->sndtimeo);
        t->io_done = w == RET_BLOCK ? done : 0;
        return w == RET_BLOCK || !done ? w : (int64_t)done;
    }
    t->io_done = 0;
    if (done) { ret = (int64_t)done; goto out; }
    ret = e ? -e : 0;
    if (ret == -EPIPE) goto out_pipe;
out:
    free(data);
    if (r) rec_free(r);
    return ret;
out_pipe:
    if (!(flags & MSG_NOSIGNAL)) sigpipe(t);
    free(data);
    if (r) rec_free(r);
    return -EPIPE;
}

/* Writes one control message into the guest's buffer (put_cmsg's rules). */
static void put_cmsg(struct task *t, struct msg_io *m, int type, const void *data, size_t len)
{
    if (!m->ctl_addr || m->ctl_room - m->ctl_used < sizeof(struct cmsghdr)) { m->msg_flags |= MSG_CTRUNC; return; }
    size_t room = m->ctl_room - m->ctl_used, cmlen = CMSG_LEN(len);
    if (room < cmlen) { m->msg_flags |= MSG_CTRUNC; cmlen = room; }
    char buf[CMSG_SPACE(SCM_MAX_FD * sizeof(int))];
    memset(buf, 0, sizeof buf);
    struct cmsghdr h = { .cmsg_len = cmlen, .cmsg_level = SOL_SOCKET, .cmsg_type = type };
    memcpy(buf, &h, sizeof h);
    memcpy(buf + CMSG_LEN(0), data, len);
    if (guest_write(t->as, m->ctl_addr + m->ctl_used, buf, cmlen)) { m->msg_flags |= MSG_CTRUNC; return; }
    size_t adv = CMSG_SPACE(len);
    m->ctl_used += adv < room ? adv : room;
}

/* The descriptors and credentials of a received record, into the guest's control buffer. */
static void deliver_control(struct task *t, struct sock *s, struct msg_io *m, struct rec *r, int flags)
{
    if (s->passcred && r) put_cmsg(t, m, SCM_CREDENTIALS, &r->cred, sizeof r->cred);
    if (!r || !r->nfds) return;
    size_t room = m->ctl_addr && m->ctl_room - m->ctl_used > CMSG_LEN(0) ? m->ctl_room - m->ctl_used - CMSG_LEN(0) : 0;
    int fit = (int)(room / sizeof(int));
    if (fit > r->nfds) fit = r->nfds;
    int fds[SCM_MAX_FD], got = 0;
    for (int i = 0; i < fit; i++) {
        int fd = fd_install(t, r->fds[i], flags & MSG_CMSG_CLOEXEC, 0);
        if (fd < 0) break;
        fds[got++] = fd;
    }
    if (got) put_cmsg(t, m, SCM_RIGHTS, fds, got * sizeof(int));
    if (got < r->nfds) m->msg_flags |= MSG_CTRUNC;
    for (int i = 0; i < r->nfds; i++) file_put(r->fds[i]);
    free(r->fds);
    r->fds = NULL;
    r->nfds = 0;
}

static void pop_recs(struct sock *s)
{
    while (s->rx_head && s->rx_head->end <= s->rx_out) {
        struct rec *r = s->rx_head;
        s->rx_head = r->next;
        if (!s->rx_head) s->rx_tail = NULL;
        rec_free(r);
    }
}

static int64_t do_recvmsg(struct task *t, struct sock *s, struct msg_io *m, int flags)
{
    struct open_file *f = s->file;
    bool nonblock = f->guest_nonblock || (flags & MSG_DONTWAIT);
    m->fromlen = 0;
    m->msg_flags = flags & MSG_CMSG_CLOEXEC;   /* as ___sys_recvmsg starts it */
    if (is_inet(s) && s->type == SOCK_STREAM && s->state == SK_CONNECTED && net_fault(128)) conn_reset(s);
    if (s->so_error) { int e = s->so_error; s->so_error = 0; return -e; }
    if (flags & MSG_ERRQUEUE) return is_inet(s) ? -EAGAIN : -EOPNOTSUPP;   /* nothing ever queues an error */
    /* Out-of-band data: AF_UNIX streams keep it in the host socketpair; TCP never has any. */
    if (flags & MSG_OOB && (is_inet(s) || s->type != SOCK_STREAM)) return s->type == SOCK_STREAM ? -EINVAL : -EOPNOTSUPP;
    if (conn_based(s) && s->state != SK_CONNECTED) return is_inet(s) ? -ENOTCONN : -EINVAL;
    if (s->state == SK_LISTEN) return -ENOTCONN;
    size_t len = m->total > MAX_IO ? MAX_IO : m->total;
    bool stream = s->type == SOCK_STREAM;
    size_t done = stream && t->in_syscall ? t->io_done : 0;
    size_t want = len - done;
    /* A stream read stops after the bytes that carried descriptors (and, when
     * credentials are asked for, where the writer changes), as Linux's does. */
    struct rec *r = s->rx_head;
    if (stream) {
        for (struct rec *q = r; q; q = q->next) {
            if (q->start >= s->rx_out + want) break;
            if (q->nfds || s->passcred) { uint64_t lim = q->end - s->rx_out; if (lim < want) want = (size_t)lim; break; }
        }
    }
    /* A stream read may return less than is there. */
    if (stream && want > 1 && net_fault(2)) want = net_fault_len(want);
    char *data = malloc(len ? len : 1);
    if (!data) return -ENOMEM;
    struct iovec hv = { data, want };
    struct msghdr hm = { .msg_iov = &hv, .msg_iovlen = 1 };
    ssize_t n = recvmsg(f->host_fd, &hm, MSG_DONTWAIT | (flags & (MSG_PEEK | MSG_TRUNC | MSG_OOB)));
    int e = n < 0 ? errno : 0;
    /* A datagram socket after SHUT_RD: the queue still drains, then 0. */
    if (n < 0 && e == EAGAIN && s->type == SOCK_DGRAM && s->shut_rd) { n = 0; e = 0; }
    if (n < 0) {
        free(data);
        if (e == EAGAIN) {
            if (done && (nonblock || (t->in_syscall && t->timed_out))) { t->io_done = 0; return (int64_t)done; }
            if (nonblock) return -EAGAIN;
            int64_t w = sock_wait(t, &s->rcvtimeo);
            if (w != RET_BLOCK) t->io_done = 0;
            return w;
        }
        t->io_done = 0;
        return -e;
    }
    size_t copy = (size_t)n < want ? (size_t)n : want;
    if (scatter(t, m, data, copy, done)) { free(data); t->io_done = 0; return -EFAULT; }
    free(data);
    if (hm.msg_flags & MSG_TRUNC) m->msg_flags |= MSG_TRUNC;
    if (flags & MSG_PEEK) {
        if (r && !stream) { m->fromlen = r->fromlen; m->from = r->from; }
        if (r && s->passcred) put_cmsg(t, m, SCM_CREDENTIALS, &r->cred, sizeof r->cred);
        t->io_done = 0;
        return (int64_t)(done + ((flags & MSG_TRUNC) && !stream ? (size_t)n : copy));
    }
    if (stream) {
        for (struct rec *q = r; q && q->start < s->rx_out + (uint64_t)n; q = q->next) {
            if (!m->fromlen) { m->fromlen = q->fromlen; m->from = q->from; }
            if (q->nfds || (s->passcred && q == r)) deliver_control(t, s, m, q, flags);
        }
        s->rx_out += (uint64_t)n;
    } else {
        if (r) { m->fromlen = r->fromlen; m->from = r->from; deliver_control(t, s, m, r, flags); }
        s->rx_out++;
    }
    pop_recs(s);
    if (n > 0) sched_wake_io();
    done += copy;
    /* MSG_WAITALL goes on until the buffer is full, the end, or descriptors came. */
    if (stream && n > 0 && (flags & MSG_WAITALL) && done < len && !nonblock && !m->ctl_used && !(m->msg_flags & MSG_CTRUNC)) {
        t->io_done = done;
        int64_t w = sock_wait(t, &s->rcvtimeo);
        if (w == RET_BLOCK) return w;
        t->io_done = 0;
        return (int64_t)done;
    }
    t->io_done = 0;
    if (is_inet(s) && stream) m->fromlen = 0;   /* TCP gives no address */
    if ((flags & MSG_TRUNC) && !stream) return n;
    return (int64_t)done;
}

/* read, write, readv, writev on a socket (syscalls/fs.c). */
int64_t sock_rw(struct task *t, struct open_file *f, const struct iovec *iov, int iovcnt, bool writing)
{
    struct sock *s = sock_of(f);
    struct msg_io *m = calloc(1, sizeof *m);
    if (!m) return -ENOMEM;
    if (iovcnt > MAX_IOV) iovcnt = MAX_IOV;
    for (int i = 0; i < iovcnt; i++) { m->iov[i] = iov[i]; m->total += iov[i].iov_len; }
    m->iovlen = iovcnt;
    int64_t r = writing ? do_sendmsg(t, s, m, 0) : do_recvmsg(t, s, m, 0);
    free(m);
    return r;
}

static int iov_in(struct task *t, uint64_t addr, uint64_t n, struct msg_io *m)
{
    if (n > MAX_IOV) return -EMSGSIZE;
    if (n && guest_read(t->as, addr, m->iov, n * sizeof m->iov[0])) return -EFAULT;
    m->iovlen = (int)n;
    m->total = 0;
    for (uint64_t i = 0; i < n; i++) {
        if ((ssize_t)m->iov[i].iov_len < 0 || m->iov[i].iov_len > (size_t)0x7ffff000 - m->total) return -EINVAL;
        m->total += m->iov[i].iov_len;
    }
    return 0;
}

/* The message of sendto/recvfrom: one guest buffer. NULL when out of memory. */
static struct msg_io *msg_io_one(uint64_t buf, uint64_t len)
{
    struct msg_io *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->iov[0].iov_base = (void *)buf;
    m->iov[0].iov_len = len;
    m->iovlen = 1;
    m->total = len;
    return m;
}

static int64_t sys_sendto(struct syscall *sc)
{
    struct task *t = sc->t;
    int64_t err;
    struct sock *s = sock_get(t, (int)sc->a[0], &err);
    if (!s) return err;
    struct msg_io *m = msg_io_one(sc->a[1], sc->a[2]);
    if (!m) return -ENOMEM;
    char addr[sizeof(struct sockaddr_storage)];
    if (sc->a[4]) {
        if ((err = addr_copy_in(t, sc->a[4], sc->a[5], addr))) { free(m); return err; }
        m->dst = addr;
        m->dstlen = (uint32_t)sc->a[5];
    }
    err = do_sendmsg(t, s, m, (int)sc->a[3]);
    free(m);
    return err;
}

static int64_t sys_recvfrom(struct syscall *sc)
{
    struct task *t = sc->t;
    int64_t err;
    struct sock *s = sock_get(t, (int)sc->a[0], &err);
    if (!s) return err;
    struct msg_io *m = msg_io_one(sc->a[1], sc->a[2]);
    if (!m) return -ENOMEM;
    err = do_recvmsg(t, s, m, (int)sc->a[3]);
    if (err >= 0 && sc->a[4] && sc->a[5]) {
        int r = name_out(t, sc->a[4], sc->a[5], &m->from, m->fromlen);
        if (r) err = r;
    }
    free(m);
    return err;
}

/* The kernel's struct user_msghdr. */
struct guest_msghdr {
    uint64_t name;
    uint32_t namelen, pad0;
    uint64_t iov, iovlen, control, controllen;
    uint32_t flags, pad1;
};

static int64_t sendmsg_one(struct task *t, struct sock *s, uint64_t addr, int flags)
{
    struct guest_msghdr h;
    if (guest_read(t->as, addr, &h, sizeof h)) return -EFAULT;
    struct msg_io *m = calloc(1, sizeof *m);
    if (!m) return -ENOMEM;
    char name[sizeof(struct sockaddr_storage)];
    char *ctl = NULL;
    int64_t r = iov_in(t, h.iov, h.iovlen, m);
    if (!r && h.name && h.namelen) {
        if (h.namelen > sizeof name) r = -EINVAL;
        else if (guest_read(t->as, h.name, name, h.namelen)) r = -EFAULT;
        else { m->dst = name; m->dstlen = h.namelen; }
    }
    if (!r && h.controllen) {
        if (h.controllen > 65536) r = -ENOBUFS;
        else if (!(ctl = malloc(h.controllen))) r = -ENOMEM;
        else if (guest_read(t->as, h.control, ctl, h.controllen)) r = -EFAULT;
        else { m->ctl = ctl; m->ctllen = h.controllen; }
    }
    if (!r) r = do_sendmsg(t, s, m, flags);
    free(ctl);
    free(m);
    return r;
}

static int64_t recvmsg_one(struct task *t, struct sock *s, uint64_t addr, int flags)
{
    struct guest_msghdr h;
    if (guest_read(t->as, addr, &h, sizeof h)) return -EFAULT;
    struct msg_io *m = calloc(1, sizeof *m);
    if (!m) return -ENOMEM;
    int64_t r = iov_in(t, h.iov, h.iovlen, m);
    if (r) { free(m); return r; }
    if ((int32_t)h.namelen < 0) { free(m); return -EINVAL; }
    m->ctl_addr = h.control;
    m->ctl_room = h.controllen;
    r = do_recvmsg(t, s, m, flags);
    if (r >= 0) {
        uint32_t nl = 0;
        if (h.name) {
            nl = m->fromlen;
            if (nl && h.namelen && guest_write(t->as, h.name, &m->from, nl < h.namelen ? nl : h.namelen)) r = -EFAULT;
        }
        h.namelen = nl;
        h.controllen = m->ctl_used;
        h.flags = (uint32_t)m->msg_flags;
        if (r >= 0 && guest_write(t->as, addr, &h, sizeof h)) r = -EFAULT;
    }
    free(m);
    return r;
}

static int64_t sys_sendmsg(struct syscall *sc)
{
    int64_t err;
    struct sock *s = sock_get(sc->t, (int)sc->a[0], &err);
    return s ? sendmsg_one(sc->t, s, sc->a[1], (int)sc->a[2]) : err;
}

static int64_t sys_recvmsg(struct syscall *sc)
{
    int64_t err;
    struct sock *s = sock_get(sc->t, (int)sc->a[0], &err);
    return s ? recvmsg_one(sc->t, s, sc->a[1], (int)sc->a[2]) : err;
}

/* struct mmsghdr: a msghdr and the byte count of its message. */
#define MMSG_SIZE (sizeof(struct guest_msghdr) + 8)

static int64_t sys_sendmmsg(struct syscall *sc)
{
    struct task *t = sc->t;
    int64_t err;
    struct sock *s = sock_get(t, (int)sc->a[0], &err);
    if (!s) return err;
    unsigned vlen = (unsigned)sc->a[2] > 1024 ? 1024 : (unsigned)sc->a[2];
    int flags = (int)sc->a[3];
    unsigned i;
    for (i = 0; i < vlen; i++) {
        /* After the first message the rest never waits: a partial count is the answer. */
        int64_t r = sendmsg_one(t, s, sc->a[1] + i * MMSG_SIZE, i ? flags | MSG_DONTWAIT : flags);
        if (r == RET_BLOCK) { if (i == 0) return r; t->io_done = 0; break; }
        if (r < 0) { if (i == 0) return r; break; }
        uint32_t n = (uint32_t)r;
        if (guest_write(t->as, sc->a[1] + i * MMSG_SIZE + sizeof(struct guest_msghdr), &n, sizeof n)) return i ? (int64_t)i : -EFAULT;
    }
    return i;
}

static int64_t sys_recvmmsg(struct syscall *sc)
{
    struct task *t = sc->t;
    int64_t err;
    struct sock *s = sock_get(t, (int)sc->a[0], &err);
    if (!s) return err;
    unsigned vlen = (unsigned)sc->a[2] > 1024 ? 1024 : (unsigned)sc->a[2];
    int flags = (int)sc->a[3];
    if (sc->a[4]) {
        struct timespec ts;
        if (guest_read(t->as, sc->a[4], &ts, sizeof ts)) return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -EINVAL;
    }
    /* Messages already taken on an earlier turn of this call are counted in io_done
     * (a datagram read never uses it otherwise). */
    unsigned i = t->in_syscall && s->type != SOCK_STREAM ? (unsigned)t->io_done : 0;
    for (; i < vlen; i++) {
        int f = flags & ~MSG_WAITFORONE;
        if (i && (flags & MSG_WAITFORONE)) f |= MSG_DONTWAIT;
        int64_t r = recvmsg_one(t, s, sc->a[1] + i * MMSG_SIZE, f);
        if (r == RET_BLOCK) {
            if (i == 0 || s->type == SOCK_STREAM) return i ? (t->io_done = 0, (int64_t)i) : r;
            t->io_done = i;
            return RET_BLOCK;
        }
        if (r < 0) { t->io_done = 0; if (i == 0) return r; break; }
        uint32_t n = (uint32_t)r;
        if (guest_write(t->as, sc->a[1] + i * MMSG_SIZE + sizeof(struct guest_msghdr), &n, sizeof n)) { t->io_done = 0; return i ? (int64_t)i : -EFAULT; }
    }
    t->io_done = 0;
    return i;
}

static int64_t sys_shutdown(struct syscall *sc)
{
    int64_t err;
    struct sock *s = sock_get(sc->t, (int)sc->a[0], &err);
    if (!s) return err;
    int how = (int)sc->a[1];
    if (how < SHUT_RD || how > SHUT_RDWR) return -EINVAL;
    if (how != SHUT_RD) cork_flush(sc->t, s);
    if (how != SHUT_WR) s->shut_rd = true;
    if (how != SHUT_RD) s->shut_wr = true;
    /* Linux keeps the flags even then: a later connect's writes fail with EPIPE. */
    if (is_inet(s) && s->state == SK_NEW) return -ENOTCONN;
    if (s->state == SK_CONNECTED && conn_based(s)) {
        if (shutdown(s->file->host_fd, how) < 0) return -errno;
        if (s->peer && how != SHUT_WR) s->peer->shut_wr = true;   /* the peer's writes now fail (EPIPE) */
    }
    sched_wake_io();   /* a reader now sees the end */
    return 0;
}

/* ---- options ---- */

static int64_t opt_out(struct task *t, uint64_t val, uint64_t lenp, uint32_t len, const void *v, uint32_t vlen)
{
    if (len > vlen) len = vlen;
    if (len && guest_write(t->as, val, v, len)) return -EFAULT;
    return guest_write(t->as, lenp, &len, sizeof len) ? -EFAULT : 0;
}

static int64_t sys_getsockopt(struct syscall *sc)
{
    struct task *t = sc->t;
    int64_t err;
    struct sock *s = sock_get(t, (int)sc->a[0], &err);
    if (!s) return err;
    int level = (int)sc->a[1], name = (int)sc->a[2];
    uint32_t len;
    if (guest_read(t->as, sc->a[4], &len, sizeof len)) return -EFAULT;
    if ((int32_t)len < 0) return -EINVAL;
    int v = 0;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_TYPE: v = s->type; break;
        case SO_DOMAIN: v = s->domain; break;
        case SO_PROTOCOL: v = s->protocol; break;
        case SO_ERROR: v = s->so_error; s->so_error = 0; break;
        case SO_ACCEPTCONN: v = s->state == SK_LISTEN; break;
        case SO_REUSEADDR: v = s->reuseaddr; break;
        case SO_REUSEPORT: v = s->reuseport; break;
        case SO_KEEPALIVE: v = s->keepalive; break;
        case SO_PASSCRED: v = s->passcred; break;
        case SO_BROADCAST: v = s->broadcast; break;
        case SO_OOBINLINE: v = s->oobinline; break;
        case SO_DONTROUTE: v = s->dontroute; break;
        case SO_RCVBUF: v = s->rcvbuf; break;
        case SO_SNDBUF: v = s->sndbuf; break;
        case SO_RCVLOWAT: v = s->rcvlowat; break;
        case SO_SNDLOWAT: v = 1; break;
        case SO_PRIORITY: v = s->priority; break;
        case SO_LINGER: return opt_out(t, sc->a[3], sc->a[4], len, &s->linger, sizeof s->linger);
        case SO_RCVTIMEO: return opt_out(t, sc->a[3], sc->a[4], len, &s->rcvtimeo, sizeof s->rcvtimeo);
        case SO_SNDTIMEO: return opt_out(t, sc->a[3], sc->a[4], len, &s->sndtimeo, sizeof s->sndtimeo);
        case SO_PEERCRED: {
            struct ucred u = { 0, (uid_t)-1, (gid_t)-1 };
            if (s->has_peercred && s->domain == AF_UNIX) u = s->peercred;
            return opt_out(t, sc->a[3], sc->a[4], len, &u, sizeof u);
        }
        default: return -ENOPROTOOPT;
        }
    } else if (level == IPPROTO_TCP && is_inet(s) && s->type == SOCK_STREAM) {
        switch (name) {
        case TCP_NODELAY: v = s->nodelay; break;
        case TCP_CORK: v = s->cork_opt; break;
        case TCP_KEEPIDLE: v = s->tcp_keepidle; break;
        case TCP_KEEPINTVL: v = s->tcp_keepintvl; break;
        case TCP_KEEPCNT: v = s->tcp_keepcnt; break;
        case TCP_MAXSEG: v = s->tcp_maxseg; break;
        default: return -ENOPROTOOPT;
        }
    } else if (level == IPPROTO_IPV6 && s->domain == AF_INET6 && name == IPV6_V6ONLY) {
        v = s->v6only;
    } else if (level == IPPROTO_IP && is_inet(s) && (name == IP_TTL || name == IP_TOS)) {
        v = name == IP_TTL ? s->ip_ttl : s->ip_tos;
    } else if (s->domain == AF_UNIX || (s->domain == AF_INET && level != IPPROTO_IP &&
                                        !(level == IPPROTO_TCP && s->type == SOCK_STREAM) && !(level == IPPROTO_UDP && s->type == SOCK_DGRAM))) {
        return -EOPNOTSUPP;   /* a level the protocol does not have (ip_getsockopt, unix) */
    } else return -ENOPROTOOPT;
    return opt_out(t, sc->a[3], sc->a[4], len, &v, sizeof v);
}

static int64_t sys_setsockopt(struct syscall *sc)
{
    struct task *t = sc->t;
    int64_t err;
    struct sock *s = sock_get(t, (int)sc->a[0], &err);
    if (!s) return err;
    int level = (int)sc->a[1], name = (int)sc->a[2];
    uint64_t len = sc->a[4];
    if ((int)len < 0) return -EINVAL;
    char buf[32] = { 0 };
    if (len && guest_read(t->as, sc->a[3], buf, len < sizeof buf ? len : sizeof buf)) return -EFAULT;
    int v;
    memcpy(&v, buf, sizeof v);
    bool need_int = !(level == SOL_SOCKET && (name == SO_LINGER || name == SO_RCVTIMEO || name == SO_SNDTIMEO));
    if (need_int && len < sizeof(int)) return -EINVAL;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: s->reuseaddr = v != 0; return 0;
        case SO_REUSEPORT: s->reuseport = v != 0; return 0;
        case SO_KEEPALIVE: s->keepalive = v != 0; return 0;
        case SO_PASSCRED: s->passcred = v != 0; return 0;
        case SO_BROADCAST: s->broadcast = v != 0; return 0;
        case SO_OOBINLINE: s->oobinline = v != 0; return 0;
        case SO_DONTROUTE: s->dontroute = v != 0; return 0;
        case SO_PRIORITY: s->priority = v; return 0;
        case SO_RCVLOWAT: s->rcvlowat = v <= 0 ? 1 : v; return 0;
        case SO_RCVBUF: case SO_SNDBUF: case SO_RCVBUFFORCE: case SO_SNDBUFFORCE: {
            /* As sock_setsockopt: capped at the maximum, doubled, at least the minimum. */
            unsigned u = (unsigned)v;
            if (u > RMEM_MAX && name != SO_RCVBUFFORCE && name != SO_SNDBUFFORCE) u = RMEM_MAX;
            if (u > INT32_MAX / 2) u = INT32_MAX / 2;
            int d = (int)(u * 2);
            bool rcv = name == SO_RCVBUF || name == SO_RCVBUFFORCE;
            int min = rcv ? 2304 : 4608;
            if (d < min) d = min;
            if (rcv) s->rcvbuf = d; else s->sndbuf = d;
            return 0;
        }
        case SO_LINGER:
            if (len < sizeof(struct linger)) return -EINVAL;
            memcpy(&s->linger, buf, sizeof s->linger);
            s->linger.l_onoff = s->linger.l_onoff != 0;
            return 0;
        case SO_RCVTIMEO: case SO_SNDTIMEO: {
            struct timeval tv;
            if (len < sizeof tv) return -EINVAL;
            memcpy(&tv, buf, sizeof tv);
            if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -EDOM;
            if (tv.tv_sec < 0) tv.tv_sec = tv.tv_usec = 0;
            /* Kept in jiffies as Linux does: up to the next 4 ms tick (HZ 250, the coarse
             * clocks' resolution here). */
            tv.tv_usec = (tv.tv_usec + 3999) / 4000 * 4000;
            if (tv.tv_usec == 1000000) { tv.tv_sec++; tv.tv_usec = 0; }
            if (name == SO_RCVTIMEO) s->rcvtimeo = tv; else s->sndtimeo = tv;
            return 0;
        }
        case SO_TYPE: case SO_DOMAIN: case SO_PROTOCOL: case SO_ERROR: case SO_ACCEPTCONN: case SO_PEERCRED:
            return -ENOPROTOOPT;
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_TCP && is_inet(s) && s->type == SOCK_STREAM) {
        switch (name) {
        case TCP_NODELAY: s->nodelay = v != 0; return 0;
        case TCP_CORK: s->cork_opt = v != 0; if (!v) cork_flush(t, s); return 0;
        case TCP_KEEPIDLE: if (v < 1 || v > 32767) return -EINVAL; s->tcp_keepidle = v; return 0;
        case TCP_KEEPINTVL: if (v < 1 || v > 32767) return -EINVAL; s->tcp_keepintvl = v; return 0;
        case TCP_KEEPCNT: if (v < 1 || v > 127) return -EINVAL; s->tcp_keepcnt = v; return 0;
        case TCP_MAXSEG: if (v && (v < 88 || v > 32767)) return -EINVAL; s->tcp_maxseg = v ? v : 536; return 0;
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_IPV6 && s->domain == AF_INET6 && name == IPV6_V6ONLY) {
        if (s->bound) return -EINVAL;
        s->v6only = v != 0;
        return 0;
    }
    if (level == IPPROTO_IP && is_inet(s) && name == IP_TTL) {
        if (v == -1) v = 64;
        if (v < 1 || v > 255) return -EINVAL;
        s->ip_ttl = v;
        return 0;
    }
    if (level == IPPROTO_IP && is_inet(s) && name == IP_TOS) { s->ip_tos = v & 0xff; return 0; }
    if (level == IPPROTO_IP && s->domain == AF_INET && (name == MCAST_JOIN_GROUP || name == MCAST_LEAVE_GROUP ||
                                                     name == IP_ADD_MEMBERSHIP || name == IP_DROP_MEMBERSHIP)) {
        /* Memberships are counted, never used: loopback carries no multicast here. An
         * accepted socket starts with none (CVE-2017-8890's point). */
        bool mcast_req = name == MCAST_JOIN_GROUP || name == MCAST_LEAVE_GROUP;
        if (len < (mcast_req ? sizeof(struct group_req) : sizeof(struct ip_mreq))) return -EINVAL;
        if (name == MCAST_JOIN_GROUP || name == IP_ADD_MEMBERSHIP) { s->mcast_groups++; return 0; }
        if (!s->mcast_groups) return -EADDRNOTAVAIL;
        s->mcast_groups--;
        return 0;
    }
    if (s->domain == AF_UNIX) return -EOPNOTSUPP;
    return -ENOPROTOOPT;
}

/* poll's answer for a socket, where the host stand-in says more than Linux: a
 * listener (an eventfd) is never writable. (syscalls/poll.c) */
short sock_poll_fix(const struct open_file *f, short revents)
{
    if (f && f->sk && f->sk->state == SK_LISTEN) revents &= (short)~(POLLOUT | POLLWRNORM);
    return revents;
}

/* ---- how arguments print ---- */

static const struct flag_name af_names[] = {
    { AF_UNSPEC, "AF_UNSPEC" }, { AF_UNIX, "AF_UNIX" }, { AF_INET, "AF_INET" }, { AF_INET6, "AF_INET6" },
    { AF_NETLINK, "AF_NETLINK" }, { AF_PACKET, "AF_PACKET" }, { 0, NULL },
};

static void sb_sockaddr(struct strbuf *sb, const unsigned char *a, uint32_t len)
{
    sa_family_t fam;
    if (len < sizeof fam) { sb_puts(sb, "{sa_family=???}"); return; }
    memcpy(&fam, a, sizeof fam);
    sb_puts(sb, "{sa_family=");
    sb_enum(sb, fam, af_names, "%llu");
    if (fam == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
        const unsigned char *p = a + offsetof(struct sockaddr_un, sun_path);
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        sb_puts(sb, ", sun_path=");
        if (p[0] == 0) { sb_putc(sb, '@'); sb_quoted(sb, p + 1, n - 1, false); }
        else { size_t k = strnlen((const char *)p, n); sb_quoted(sb, p, k, false); }
    } else if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in in;
        memcpy(&in, a, sizeof in);
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &in.sin_addr, ip, sizeof ip);
        sb_printf(sb, ", sin_port=htons(%u), sin_addr=inet_addr(\"%s\")", ntohs(in.sin_port), ip);
    } else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6;
        memcpy(&in6, a, sizeof in6);
        char ip[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &in6.sin6_addr, ip, sizeof ip);
        sb_printf(sb, ", sin6_port=htons(%u), sin6_flowinfo=htonl(%u), inet_pton(AF_INET6, \"%s\", &sin6_addr), sin6_scope_id=%u",
                  ntohs(in6.sin6_port), ntohl(in6.sin6_flowinfo), ip, in6.sin6_scope_id);
    } else if (len > sizeof fam) sb_puts(sb, ", sa_data=...");
    sb_putc(sb, '}');
}

static void sb_guest_sockaddr(struct strbuf *sb, struct syscall *sc, uint64_t addr, uint64_t len)
{
    unsigned char buf[sizeof(struct sockaddr_storage)];
    if (!addr) { sb_puts(sb, "NULL"); return; }
    if (len > sizeof buf) len = sizeof buf;
    if (guest_read(sc->t->as, addr, buf, len)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_sockaddr(sb, buf, (uint32_t)len);
}

/* An address in, its length the next argument. */
static void fmt_sockaddr_in(struct strbuf *sb, struct syscall *sc, int i) { sb_guest_sockaddr(sb, sc, sc->a[i], sc->a[i + 1]); }

/* An address out, its length behind the next argument. */
static void fmt_sockaddr_out(struct strbuf *sb, struct syscall *sc, int i)
{
    uint32_t len;
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (sc->ret < 0 || !sc->a[i + 1] || guest_read(sc->t->as, sc->a[i + 1], &len, sizeof len)) { fmt_ptr(sb, sc, i); return; }
    sb_guest_sockaddr(sb, sc, sc->a[i], len);
}

static void fmt_socklen_out(struct strbuf *sb, struct syscall *sc, int i)
{
    uint32_t len;
    if (!sc->a[i] || guest_read(sc->t->as, sc->a[i], &len, sizeof len)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "[%u]", len);
}

static void fmt_family(struct strbuf *sb, struct syscall *sc, int i) { sb_enum(sb, sc->a[i], af_names, "%llu"); }

static const struct flag_name sock_types[] = {
    { SOCK_STREAM, "SOCK_STREAM" }, { SOCK_DGRAM, "SOCK_DGRAM" }, { SOCK_RAW, "SOCK_RAW" }, { SOCK_RDM, "SOCK_RDM" },
    { SOCK_SEQPACKET, "SOCK_SEQPACKET" }, { 0, NULL },
};
static const struct flag_name sock_flags[] = { { SOCK_NONBLOCK, "SOCK_NONBLOCK" }, { SOCK_CLOEXEC, "SOCK_CLOEXEC" }, { 0, NULL } };

static void fmt_socktype(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t v = sc->a[i] & 0xffffffffu;
    sb_enum(sb, v & 0xf, sock_types, "%#llx");
    if (v & ~0xfull) { sb_putc(sb, '|'); sb_flags(sb, v & ~0xfull, sock_flags, "0"); }
}

static void fmt_sockflags(struct strbuf *sb, struct syscall *sc, int i) { sb_flags(sb, sc->a[i] & 0xffffffffu, sock_flags, "0"); }

static void fmt_protocol(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name p[] = { { IPPROTO_TCP, "IPPROTO_TCP" }, { IPPROTO_UDP, "IPPROTO_UDP" }, { 0, NULL } };
    if (sc->a[0] == AF_INET || sc->a[0] == AF_INET6) sb_enum(sb, sc->a[i], p, "%lld");
    else sb_printf(sb, "%d", (int)sc->a[i]);
}

static const struct flag_name msg_flag_names[] = {
    { MSG_OOB, "MSG_OOB" }, { MSG_PEEK, "MSG_PEEK" }, { MSG_DONTROUTE, "MSG_DONTROUTE" }, { MSG_CTRUNC, "MSG_CTRUNC" },
    { MSG_TRUNC, "MSG_TRUNC" }, { MSG_DONTWAIT, "MSG_DONTWAIT" }, { MSG_EOR, "MSG_EOR" }, { MSG_WAITALL, "MSG_WAITALL" },
    { MSG_CONFIRM, "MSG_CONFIRM" }, { MSG_ERRQUEUE, "MSG_ERRQUEUE" }, { MSG_NOSIGNAL, "MSG_NOSIGNAL" }, { MSG_MORE, "MSG_MORE" },
    { MSG_WAITFORONE, "MSG_WAITFORONE" }, { MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC" }, { 0, NULL },
};

static void fmt_msgflags(struct strbuf *sb, struct syscall *sc, int i) { sb_flags(sb, sc->a[i] & 0xffffffffu, msg_flag_names, "0"); }

static void fmt_shut_how(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name h[] = { { SHUT_RD, "SHUT_RD" }, { SHUT_WR, "SHUT_WR" }, { SHUT_RDWR, "SHUT_RDWR" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], h, "%lld");
}

static const struct flag_name level_names[] = {
    { SOL_SOCKET, "SOL_SOCKET" }, { IPPROTO_TCP, "SOL_TCP" }, { IPPROTO_IP, "SOL_IP" }, { IPPROTO_IPV6, "SOL_IPV6" },
    { IPPROTO_UDP, "SOL_UDP" }, { 0, NULL },
};

static void fmt_level(struct strbuf *sb, struct syscall *sc, int i) { sb_enum(sb, sc->a[i], level_names, "%lld"); }

static void fmt_optname(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name so[] = {
        { SO_DEBUG, "SO_DEBUG" }, { SO_REUSEADDR, "SO_REUSEADDR" }, { SO_TYPE, "SO_TYPE" }, { SO_ERROR, "SO_ERROR" },
        { SO_DONTROUTE, "SO_DONTROUTE" }, { SO_BROADCAST, "SO_BROADCAST" }, { SO_SNDBUF, "SO_SNDBUF" }, { SO_RCVBUF, "SO_RCVBUF" },
        { SO_KEEPALIVE, "SO_KEEPALIVE" }, { SO_OOBINLINE, "SO_OOBINLINE" }, { SO_PRIORITY, "SO_PRIORITY" }, { SO_LINGER, "SO_LINGER" },
        { SO_REUSEPORT, "SO_REUSEPORT" }, { SO_PASSCRED, "SO_PASSCRED" }, { SO_PEERCRED, "SO_PEERCRED" }, { SO_RCVLOWAT, "SO_RCVLOWAT" },
        { SO_SNDLOWAT, "SO_SNDLOWAT" }, { SO_RCVTIMEO, "SO_RCVTIMEO_OLD" }, { SO_SNDTIMEO, "SO_SNDTIMEO_OLD" },
        { SO_ACCEPTCONN, "SO_ACCEPTCONN" }, { SO_PROTOCOL, "SO_PROTOCOL" }, { SO_DOMAIN, "SO_DOMAIN" },
        { SO_SNDBUFFORCE, "SO_SNDBUFFORCE" }, { SO_RCVBUFFORCE, "SO_RCVBUFFORCE" }, { 0, NULL },
    };
    static const struct flag_name tcp[] = {
        { TCP_NODELAY, "TCP_NODELAY" }, { TCP_MAXSEG, "TCP_MAXSEG" }, { TCP_CORK, "TCP_CORK" }, { TCP_KEEPIDLE, "TCP_KEEPIDLE" },
        { TCP_KEEPINTVL, "TCP_KEEPINTVL" }, { TCP_KEEPCNT, "TCP_KEEPCNT" }, { 0, NULL },
    };
    static const struct flag_name ip[] = { { IP_TOS, "IP_TOS" }, { IP_TTL, "IP_TTL" }, { 0, NULL } };
    static const struct flag_name ip6[] = { { IPV6_V6ONLY, "IPV6_V6ONLY" }, { 0, NULL } };
    int level = (int)sc->a[i - 1];
    static const struct flag_name none[] = { { 0, NULL } };
    sb_enum(sb, sc->a[i], level == SOL_SOCKET ? so : level == IPPROTO_TCP ? tcp : level == IPPROTO_IP ? ip : level == IPPROTO_IPV6 ? ip6 : none, "%lld");
}

/* An option value: an int in brackets, or the structures strace knows. */
static void sb_optval(struct strbuf *sb, struct syscall *sc, uint64_t addr, uint32_t len)
{
    int level = (int)sc->a[1], name = (int)sc->a[2];
    if (!addr) { sb_puts(sb, "NULL"); return; }
    unsigned char buf[32];
    if (len > sizeof buf || guest_read(sc->t->as, addr, buf, len)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    if (level == SOL_SOCKET && name == SO_PEERCRED && len >= sizeof(struct ucred)) {
        struct ucred u; memcpy(&u, buf, sizeof u);
        sb_printf(sb, "{pid=%d, uid=%u, gid=%u}", u.pid, u.uid, u.gid);
    } else if (level == SOL_SOCKET && name == SO_LINGER && len >= sizeof(struct linger)) {
        struct linger l; memcpy(&l, buf, sizeof l);
        sb_printf(sb, "{l_onoff=%d, l_linger=%d}", l.l_onoff, l.l_linger);
    } else if (len == sizeof(int)) {
        int v; memcpy(&v, buf, sizeof v);
        sb_printf(sb, "[%d]", v);
    } else sb_quoted_hex(sb, buf, len, false);
}

static void fmt_optval_in(struct strbuf *sb, struct syscall *sc, int i) { sb_optval(sb, sc, sc->a[i], (uint32_t)sc->a[i + 1]); }

static void fmt_optval_out(struct strbuf *sb, struct syscall *sc, int i)
{
    uint32_t len;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i + 1], &len, sizeof len)) { fmt_ptr(sb, sc, i); return; }
    sb_optval(sb, sc, sc->a[i], len);
}

static void sb_iov(struct strbuf *sb, struct syscall *sc, uint64_t addr, uint64_t n, int64_t limit)
{
    sb_putc(sb, '[');
    for (uint64_t k = 0; k < n && k < 16; k++) {
        struct iovec v;
        if (guest_read(sc->t->as, addr + k * sizeof v, &v, sizeof v)) break;
        size_t show = v.iov_len;
        if (limit >= 0 && show > (uint64_t)limit) show = (size_t)limit;
        sb_printf(sb, "%s{iov_base=", k ? ", " : "");
        sb_guest_bytes(sb, sc->t, (uint64_t)v.iov_base, show);
        sb_printf(sb, ", iov_len=%zu}", v.iov_len);
        if (limit >= 0) limit -= (int64_t)show;
    }
    sb_putc(sb, ']');
}

static void sb_cmsgs(struct strbuf *sb, struct syscall *sc, uint64_t addr, uint64_t len)
{
    if (!len || !addr) { sb_puts(sb, "NULL"); return; }
    unsigned char buf[1024];
    if (len > sizeof buf) len = sizeof buf;
    if (guest_read(sc->t->as, addr, buf, len)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_putc(sb, '[');
    size_t at = 0;
    bool first = true;
    while (at + sizeof(struct cmsghdr) <= len) {
        struct cmsghdr h;
        memcpy(&h, buf + at, sizeof h);
        if (h.cmsg_len < sizeof h) break;
        sb_printf(sb, "%s{cmsg_len=%zu, cmsg_level=", first ? "" : ", ", (size_t)h.cmsg_len);
        sb_enum(sb, (uint64_t)h.cmsg_level, level_names, "%lld");
        size_t dlen = h.cmsg_len > len - at ? len - at - CMSG_LEN(0) : h.cmsg_len - CMSG_LEN(0);
        if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
            sb_puts(sb, ", cmsg_type=SCM_RIGHTS, cmsg_data=[");
            for (size_t k = 0; k + sizeof(int) <= dlen; k += sizeof(int)) {
                int fd; memcpy(&fd, buf + at + CMSG_LEN(0) + k, sizeof fd);
                sb_printf(sb, "%s%d", k ? ", " : "", fd);
            }
            sb_puts(sb, "]}");
        } else if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_CREDENTIALS && dlen >= sizeof(struct ucred)) {
            struct ucred u; memcpy(&u, buf + at + CMSG_LEN(0), sizeof u);
            sb_printf(sb, ", cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=%d, uid=%u, gid=%u}}", u.pid, u.uid, u.gid);
        } else sb_printf(sb, ", cmsg_type=%#x, ...}", (unsigned)h.cmsg_type);
        first = false;
        at += CMSG_ALIGN(h.cmsg_len);
    }
    sb_putc(sb, ']');
}

static void sb_msghdr(struct strbuf *sb, struct syscall *sc, uint64_t addr, int64_t limit, bool out)
{
    struct guest_msghdr h;
    if (guest_read(sc->t->as, addr, &h, sizeof h)) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    sb_puts(sb, "{msg_name=");
    if (h.name && h.namelen) sb_guest_sockaddr(sb, sc, h.name, h.namelen);
    else sb_puts(sb, h.name ? "0x..." : "NULL");
    sb_printf(sb, ", msg_namelen=%u, msg_iov=", h.namelen);
    sb_iov(sb, sc, h.iov, h.iovlen, limit);
    sb_printf(sb, ", msg_iovlen=%llu, msg_control=", (unsigned long long)h.iovlen);
    sb_cmsgs(sb, sc, h.control, h.controllen);
    sb_printf(sb, ", msg_controllen=%llu, msg_flags=", (unsigned long long)h.controllen);
    sb_flags(sb, out ? h.flags : h.flags, msg_flag_names, "0");
    sb_putc(sb, '}');
}

static void fmt_msghdr_in(struct strbuf *sb, struct syscall *sc, int i) { sb_msghdr(sb, sc, sc->a[i], -1, false); }

static void fmt_msghdr_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret < 0) { fmt_ptr(sb, sc, i); return; }
    sb_msghdr(sb, sc, sc->a[i], sc->ret, true);
}

static void fmt_mmsg(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret <= 0) { fmt_ptr(sb, sc, i); return; }
    sb_putc(sb, '[');
    for (int64_t k = 0; k < sc->ret && k < 8; k++) {
        uint32_t n = 0;
        uint64_t at = sc->a[i] + (uint64_t)k * MMSG_SIZE;
        if (guest_read(sc->t->as, at + sizeof(struct guest_msghdr), &n, sizeof n)) break;
        sb_puts(sb, k ? ", {msg_hdr=" : "{msg_hdr=");
        sb_msghdr(sb, sc, at, n, sc->nr == SYS_recvmmsg);
        sb_printf(sb, ", msg_len=%u}", n);
    }
    sb_putc(sb, ']');
}

static void fmt_sockfds(struct strbuf *sb, struct syscall *sc, int i)
{
    int fds[2];
    if (sc->ret || guest_read(sc->t->as, sc->a[i], fds, sizeof fds)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "[%d, %d]", fds[0], fds[1]);
}

static void fmt_timespec_in(struct strbuf *sb, struct syscall *sc, int i)
{
    struct timespec ts;
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, sc->a[i], &ts, sizeof ts)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "{tv_sec=%lld, tv_nsec=%ld}", (long long)ts.tv_sec, ts.tv_nsec);
}

/* recvfrom's buffer: what was read (the return value can exceed the buffer with MSG_TRUNC). */
static void fmt_recv_buf(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret < 0) { fmt_ptr(sb, sc, i); return; }
    sb_guest_bytes(sb, sc->t, sc->a[i], (uint64_t)sc->ret < sc->a[i + 1] ? (size_t)sc->ret : sc->a[i + 1]);
}

const struct syscall_def socket_syscalls[] = {
    { SYS_socket, "socket", sys_socket, 3, { IN(fmt_family), IN(fmt_socktype), IN(fmt_protocol) }, NULL },
    { SYS_socketpair, "socketpair", sys_socketpair, 4, { IN(fmt_family), IN(fmt_socktype), IN(fmt_int), OUT(fmt_sockfds) }, NULL },
    { SYS_bind, "bind", sys_bind, 3, { IN(fmt_fd), IN(fmt_sockaddr_in), IN(fmt_uint) }, NULL },
    { SYS_listen, "listen", sys_listen, 2, { IN(fmt_fd), IN(fmt_int) }, NULL },
    { SYS_connect, "connect", sys_connect, 3, { IN(fmt_fd), IN(fmt_sockaddr_in), IN(fmt_uint) }, NULL },
    { SYS_accept, "accept", sys_accept, 3, { IN(fmt_fd), OUT(fmt_sockaddr_out), OUT(fmt_socklen_out) }, NULL },
    { SYS_accept4, "accept4", sys_accept4, 4, { IN(fmt_fd), OUT(fmt_sockaddr_out), OUT(fmt_socklen_out), IN(fmt_sockflags) }, NULL },
    { SYS_getsockname, "getsockname", sys_getsockname, 3, { IN(fmt_fd), OUT(fmt_sockaddr_out), OUT(fmt_socklen_out) }, NULL },
    { SYS_getpeername, "getpeername", sys_getpeername, 3, { IN(fmt_fd), OUT(fmt_sockaddr_out), OUT(fmt_socklen_out) }, NULL },
    { SYS_getsockopt, "getsockopt", sys_getsockopt, 5, { IN(fmt_fd), IN(fmt_level), IN(fmt_optname), OUT(fmt_optval_out), OUT(fmt_socklen_out) }, NULL },
    { SYS_setsockopt, "setsockopt", sys_setsockopt, 5, { IN(fmt_fd), IN(fmt_level), IN(fmt_optname), IN(fmt_optval_in), IN(fmt_uint) }, NULL },
    { SYS_shutdown, "shutdown", sys_shutdown, 2, { IN(fmt_fd), IN(fmt_shut_how) }, NULL },
    { SYS_sendto, "sendto", sys_sendto, 6, { IN(fmt_fd), IN(fmt_buf_len_next), IN(fmt_uint), IN(fmt_msgflags), IN(fmt_sockaddr_in), IN(fmt_uint) }, NULL },
    { SYS_recvfrom, "recvfrom", sys_recvfrom, 6, { IN(fmt_fd), OUT(fmt_recv_buf), IN(fmt_uint), IN(fmt_msgflags), OUT(fmt_sockaddr_out), OUT(fmt_socklen_out) }, NULL },
    { SYS_sendmsg, "sendmsg", sys_sendmsg, 3, { IN(fmt_fd), IN(fmt_msghdr_in), IN(fmt_msgflags) }, NULL },
    { SYS_recvmsg, "recvmsg", sys_recvmsg, 3, { IN(fmt_fd), OUT(fmt_msghdr_out), IN(fmt_msgflags) }, NULL },
    { SYS_sendmmsg, "sendmmsg", sys_sendmmsg, 4, { IN(fmt_fd), OUT(fmt_mmsg), IN(fmt_uint), IN(fmt_msgflags) }, NULL },
    { SYS_recvmmsg, "recvmmsg", sys_recvmmsg, 5, { IN(fmt_fd), OUT(fmt_mmsg), IN(fmt_uint), IN(fmt_msgflags), IN(fmt_timespec_in) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
