/* Sockets, so far: socketpair(AF_UNIX), whose two ends stay inside uniemu like a pipe's
 * (a host socketpair that never blocks; a guest waiting on it waits in the scheduler, as
 * for pipes: syscalls/pipe.c), and the answers for descriptors that are not sockets
 * (ENOTSOCK; EBADF when not open: bash asks getpeername of its stdin). socket() itself
 * is still ENOSYS: named sockets and the network are issue 15. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "scheduler/sched.h"
#include "scheduler/signals.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_IO (1 << 20)   /* bytes moved per call at most (the host's buffers are smaller anyway) */

/* The guest's socket behind fd, or NULL with *err set (EBADF, ENOTSOCK). */
static struct open_file *sock_get(struct task *t, int fd, int64_t *err)
{
    struct open_file *f = fd_get(t, fd);
    if (!f) { *err = -EBADF; return NULL; }
    if (!f->sock) { *err = -ENOTSOCK; return NULL; }
    return f;
}

static int64_t sys_socketpair(struct syscall *sc)
{
    struct task *t = sc->t;
    int domain = (int)sc->a[0], type = (int)sc->a[1], proto = (int)sc->a[2];
    int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC), kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (kind != SOCK_STREAM && kind != SOCK_DGRAM && kind != SOCK_SEQPACKET) return domain == AF_UNIX ? -EINVAL : -EAFNOSUPPORT;
    if (domain != AF_UNIX) return domain == AF_INET || domain == AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
    if (proto != 0 && proto != PF_UNIX) return -EPROTONOSUPPORT;
    int h[2];
    if (socketpair(AF_UNIX, kind | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, h) < 0) return -errno;
    struct open_file *f[2] = { file_new(h[0], "socket"), file_new(h[1], "socket") };
    if (!f[0] || !f[1]) {
        if (f[0]) file_put(f[0]); else close(h[0]);
        if (f[1]) file_put(f[1]); else close(h[1]);
        return -ENOMEM;
    }
    for (int i = 0; i < 2; i++) {
        f[i]->internal = true;
        f[i]->sock = true;
        f[i]->guest_nonblock = flags & SOCK_NONBLOCK;
        internal_file_identity(f[i]);
    }
    int g[2] = { fd_install(t, f[0], flags & SOCK_CLOEXEC, 0), -1 };
    if (g[0] >= 0) g[1] = fd_install(t, f[1], flags & SOCK_CLOEXEC, 0);
    file_put(f[0]);
    file_put(f[1]);
    if (g[1] < 0) { if (g[0] >= 0) fd_close(t, g[0]); return -EMFILE; }
    if (guest_write(t->as, sc->a[3], g, sizeof g)) { fd_close(t, g[0]); fd_close(t, g[1]); return -EFAULT; }
    return 0;
}

/* send/sendto without an address (the pair is connected: with one, EISCONN). */
static int64_t do_send(struct syscall *sc, uint64_t buf, uint64_t len, int flags, uint64_t addr)
{
    struct task *t = sc->t;
    int64_t err;
    struct open_file *f = sock_get(t, (int)sc->a[0], &err);
    if (!f) return err;
    if (addr) return -EISCONN;
    if (len > MAX_IO) len = MAX_IO;
    char *data = malloc(len ? len : 1);
    if (!data) return -ENOMEM;
    if (len && guest_read(t->as, buf, data, len)) { free(data); return -EFAULT; }
    size_t done = t->in_syscall ? t->io_done : 0;
    ssize_t n = 0;
    int host_flags = MSG_DONTWAIT | MSG_NOSIGNAL | (flags & (MSG_EOR | MSG_OOB));
    if (len == 0) n = send(f->host_fd, data, 0, host_flags);
    while (done < len) {
        n = send(f->host_fd, data + done, len - done, host_flags);
        if (n <= 0) break;
        done += (size_t)n;
        sched_wake_io();
    }
    int e = n < 0 ? errno : 0;
    free(data);
    bool nonblock = f->guest_nonblock || (flags & MSG_DONTWAIT);
    if (done < len && (e == EAGAIN || n > 0) && !nonblock) {
        t->io_done = done;
        sched_block(t, WAIT_IO, 0, true, 0);
        return RET_BLOCK;
    }
    t->io_done = 0;
    if (done) return (int64_t)done;
    if (e == EPIPE && !(flags & MSG_NOSIGNAL)) sig_send_simple(t, SIGPIPE, SI_USER, t->proc->pid, true);
    return e ? -e : 0;
}

static int64_t do_recv(struct syscall *sc, uint64_t buf, uint64_t len, int flags, uint64_t addr, uint64_t addrlen)
{
    struct task *t = sc->t;
    int64_t err;
    struct open_file *f = sock_get(t, (int)sc->a[0], &err);
    if (!f) return err;
    if (len > MAX_IO) len = MAX_IO;
    char *data = malloc(len ? len : 1);
    if (!data) return -ENOMEM;
    ssize_t n = recv(f->host_fd, data, len, MSG_DONTWAIT | (flags & (MSG_PEEK | MSG_TRUNC | MSG_OOB)));
    int64_t r = n < 0 ? -errno : n;
    if (n > 0 && guest_write(t->as, buf, data, (size_t)n < len ? (size_t)n : len)) r = -EFAULT;
    free(data);
    if (r >= 0 && addr && addrlen) {
        /* The peer of a socketpair has no name: an address of length 0. */
        uint32_t zero = 0;
        if (guest_write(t->as, addrlen, &zero, sizeof zero)) return -EFAULT;
    }
    if (r == -EAGAIN && !f->guest_nonblock && !(flags & MSG_DONTWAIT)) {
        sched_block(t, WAIT_IO, 0, true, 0);
        return RET_BLOCK;
    }
    if (r > 0 && !(flags & MSG_PEEK)) sched_wake_io();
    return r;
}

static int64_t sys_sendto(struct syscall *sc) { return do_send(sc, sc->a[1], sc->a[2], (int)sc->a[3], sc->a[4]); }
static int64_t sys_recvfrom(struct syscall *sc) { return do_recv(sc, sc->a[1], sc->a[2], (int)sc->a[3], sc->a[4], sc->a[5]); }

/* A socketpair end's name and its peer's: AF_UNIX without a path. */
static int64_t sys_getname(struct syscall *sc)
{
    int64_t err;
    if (!sock_get(sc->t, (int)sc->a[0], &err)) return err;
    uint32_t len;
    if (guest_read(sc->t->as, sc->a[2], &len, sizeof len)) return -EFAULT;
    if ((int32_t)len < 0) return -EINVAL;
    sa_family_t fam = AF_UNIX;
    if (len && guest_write(sc->t->as, sc->a[1], &fam, len < sizeof fam ? len : sizeof fam)) return -EFAULT;
    len = sizeof fam;
    return guest_write(sc->t->as, sc->a[2], &len, sizeof len) ? -EFAULT : 0;
}

static int64_t sys_getsockopt(struct syscall *sc)
{
    int64_t err;
    struct open_file *f = sock_get(sc->t, (int)sc->a[0], &err);
    if (!f) return err;
    uint32_t len;
    if (guest_read(sc->t->as, sc->a[4], &len, sizeof len)) return -EFAULT;
    if ((int32_t)len < 0) return -EINVAL;
    char v[256];
    socklen_t hl = len < sizeof v ? len : sizeof v;
    if (getsockopt(f->host_fd, (int)sc->a[1], (int)sc->a[2], v, &hl) < 0) return -errno;
    if (hl && guest_write(sc->t->as, sc->a[3], v, hl)) return -EFAULT;
    len = hl;
    return guest_write(sc->t->as, sc->a[4], &len, sizeof len) ? -EFAULT : 0;
}

static int64_t sys_setsockopt(struct syscall *sc)
{
    int64_t err;
    struct open_file *f = sock_get(sc->t, (int)sc->a[0], &err);
    if (!f) return err;
    char v[256];
    uint64_t len = sc->a[4];
    if (len > sizeof v) return -EINVAL;
    if (len && guest_read(sc->t->as, sc->a[3], v, len)) return -EFAULT;
    return setsockopt(f->host_fd, (int)sc->a[1], (int)sc->a[2], v, (socklen_t)len) < 0 ? -errno : 0;
}

static int64_t sys_shutdown(struct syscall *sc)
{
    int64_t err;
    struct open_file *f = sock_get(sc->t, (int)sc->a[0], &err);
    if (!f) return err;
    int r = shutdown(f->host_fd, (int)sc->a[1]);
    if (r == 0) sched_wake_io();   /* a reader now sees the end */
    return r < 0 ? -errno : 0;
}

/* The calls a connected pair has no use for, or that need the network. */
static int64_t not_a_socket(struct syscall *sc)
{
    int64_t err;
    if (!sock_get(sc->t, (int)sc->a[0], &err)) return err;
    switch (sc->nr) {
    case SYS_listen: case SYS_accept: case SYS_accept4: return -EINVAL;
    case SYS_connect:
        /* An AF_UNIX address is checked first (unix_mkname), then the pair is connected. */
        if (sc->a[2] <= offsetof(struct sockaddr_un, sun_path) || sc->a[2] > sizeof(struct sockaddr_un)) return -EINVAL;
        return -EISCONN;
    default: return -EOPNOTSUPP;
    }
}

static void fmt_sockfds(struct strbuf *sb, struct syscall *sc, int i)
{
    int fds[2];
    if (sc->ret || guest_read(sc->t->as, sc->a[i], fds, sizeof fds)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "[%d, %d]", fds[0], fds[1]);
}

const struct syscall_def socket_syscalls[] = {
    { SYS_socketpair, "socketpair", sys_socketpair, 4, { IN(fmt_int), IN(fmt_hex), IN(fmt_int), OUT(fmt_sockfds) }, NULL },
    { SYS_getpeername, "getpeername", sys_getname, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_getsockname, "getsockname", sys_getname, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_getsockopt, "getsockopt", sys_getsockopt, 5, { IN(fmt_fd), IN(fmt_int), IN(fmt_int), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_setsockopt, "setsockopt", sys_setsockopt, 5, { IN(fmt_fd), IN(fmt_int), IN(fmt_int), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_shutdown, "shutdown", sys_shutdown, 2, { IN(fmt_fd), IN(fmt_int) }, NULL },
    { SYS_bind, "bind", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_listen, "listen", not_a_socket, 2, { IN(fmt_fd), IN(fmt_int) }, NULL },
    { SYS_connect, "connect", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_accept, "accept", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_accept4, "accept4", not_a_socket, 4, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_ptr), IN(fmt_hex) }, NULL },
    { SYS_sendto, "sendto", sys_sendto, 6, { IN(fmt_fd), IN(fmt_buf_len_next), IN(fmt_uint), IN(fmt_hex), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_recvfrom, "recvfrom", sys_recvfrom, 6, { IN(fmt_fd), OUT(fmt_buf_len_ret), IN(fmt_uint), IN(fmt_hex), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_sendmsg, "sendmsg", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_hex) }, NULL },
    { SYS_recvmsg, "recvmsg", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_hex) }, NULL },
    { SYS_sendmmsg, "sendmmsg", not_a_socket, 4, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex) }, NULL },
    { SYS_recvmmsg, "recvmmsg", not_a_socket, 5, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex), IN(fmt_ptr) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
