/* Waiting for descriptors: poll, ppoll, select, pselect6. Host descriptors are polled
 * without waiting (through the record, as their readiness is an input); with nothing
 * ready the task waits in the scheduler, retried after I/O on a pipe or eventfd of the
 * guest, when the scheduler finds one of its host descriptors ready, or at its timeout.
 * A call never waits in the host itself: the other tasks and the timers go on. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "scheduler/task.h"
#include "scheduler/sched.h"
#include "tools/record.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>
#include <time.h>

#define MAX_POLL_FDS 1024
#define NS 1000000000LL
#define NO_TIMEOUT (-1)          /* a timeout_ns that never comes */

/* Nothing is ready: wait in the scheduler until retried or the timeout (ns, NO_TIMEOUT
 * for none) comes; the host descriptors in `host` (n of them) are watched meanwhile.
 * 0 when the timeout has come (or is 0). */
static int64_t wait_in_scheduler(struct task *t, int64_t timeout_ns, const struct pollfd *host, int n)
{
    if (timeout_ns == 0 || (t->in_syscall && t->timed_out)) return 0;
    uint64_t deadline = 0, now = det_now_ns();
    if (t->in_syscall) deadline = t->wake_at_ns;
    else if (timeout_ns > 0 && (uint64_t)timeout_ns < UINT64_MAX - now) deadline = now + (uint64_t)timeout_ns;
    /* (a deadline past the clock's range is none at all) */
    sched_block(t, WAIT_IO, deadline, true, 0);
    if (host) sched_watch_host(t, host, n);
    return RET_BLOCK;
}

/* ms -> ns for poll and epoll_wait's int timeouts: negative waits for ever. */
static int64_t ms_timeout(int ms) { return ms < 0 ? NO_TIMEOUT : (int64_t)ms * 1000000; }

/* A valid timespec as a timeout in ns, saturated (INT64_MAX seconds must not overflow). */
static int64_t ts_timeout(int64_t sec, int64_t nsec)
{
    if (sec > (INT64_MAX - nsec) / NS) return NO_TIMEOUT;
    return sec * NS + nsec;
}

/* A poll that does not wait. Guest pipes are deterministic; with host descriptors in the
 * set, readiness is an input and goes through the record. 0, a count or -errno. */
static int poll_now(struct pollfd *fds, int n, bool host)
{
    if (host) return rec_host_poll(fds, n, 0);
    int r = poll(fds, (nfds_t)n, 0);
    return r < 0 ? -errno : r;
}

/* Host poll over the guest's pollfd array. */
static int64_t do_poll(struct task *t, uint64_t addr, uint64_t nfds, int64_t timeout_ns)
{
    if (nfds > MAX_POLL_FDS) return -EINVAL;
    struct pollfd gfds[MAX_POLL_FDS], hfds[MAX_POLL_FDS], watch[MAX_POLL_FDS];
    if (nfds && guest_read(t->as, addr, gfds, nfds * sizeof gfds[0])) return -EFAULT;
    int bad = 0, nwatch = 0;
    for (uint64_t i = 0; i < nfds; i++) {
        hfds[i] = gfds[i];
        hfds[i].revents = 0;
        if (gfds[i].fd < 0) { hfds[i].fd = -1; continue; }
        struct open_file *f = fd_get(t, gfds[i].fd);
        if (!f) { hfds[i].fd = -1; bad++; continue; }
        hfds[i].fd = f->host_fd;
        if (!f->internal) watch[nwatch++] = hfds[i];
    }
    int n = poll_now(hfds, (int)nfds, nwatch > 0);
    if (n < 0) return n;
    /* A closed guest fd is POLLNVAL at once, and so is every wait with one. */
    if (n == 0 && !bad) {
        int64_t r = wait_in_scheduler(t, timeout_ns, nwatch ? watch : NULL, nwatch);
        if (r) return r;
    }
    for (uint64_t i = 0; i < nfds; i++) {
        gfds[i].revents = hfds[i].revents;
        if (gfds[i].fd >= 0 && hfds[i].fd >= 0) {
            short fixed = sock_poll_fix(fd_get(t, gfds[i].fd), gfds[i].revents);
            if (gfds[i].revents && !fixed) n--;
            gfds[i].revents = fixed;
        }
        if (gfds[i].fd >= 0 && hfds[i].fd < 0) { gfds[i].revents = POLLNVAL; n++; }
    }
    if (nfds && guest_write(t->as, addr, gfds, nfds * sizeof gfds[0])) return -EFAULT;
    return n;
}

static int64_t sys_poll(struct syscall *sc) { return do_poll(sc->t, sc->a[0], sc->a[1], ms_timeout((int)sc->a[2])); }

/* ppoll, pselect6, epoll_pwait2: NULL waits for ever. */
static int timeout_from_timespec(struct task *t, uint64_t addr, int64_t *timeout_ns)
{
    if (!addr) { *timeout_ns = NO_TIMEOUT; return 0; }
    struct timespec ts;
    if (guest_read(t->as, addr, &ts, sizeof ts)) return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NS) return -EINVAL;
    *timeout_ns = ts_timeout(ts.tv_sec, ts.tv_nsec);
    return 0;
}

/* The signal mask argument of ppoll and pselect6, checked as the kernel does before it
 * waits (the mask itself is not applied while waiting). */
static int check_sigmask(struct task *t, uint64_t mask, uint64_t size)
{
    if (!mask) return 0;
    if (size != sizeof(uint64_t)) return -EINVAL;
    uint64_t m;
    return guest_read(t->as, mask, &m, sizeof m) ? -EFAULT : 0;
}

static int64_t sys_ppoll(struct syscall *sc)
{
    int64_t ns;
    int rc = timeout_from_timespec(sc->t, sc->a[2], &ns);
    if (!rc) rc = check_sigmask(sc->t, sc->a[3], sc->a[4]);
    return rc ? rc : do_poll(sc->t, sc->a[0], sc->a[1], ns);
}

/* select is poll over the bits of three fd_sets. */
static int64_t do_select(struct task *t, int nfds, uint64_t rd, uint64_t wr, uint64_t ex, int64_t timeout_ns)
{
    if (nfds < 0) return -EINVAL;
    if (nfds > FD_SETSIZE) nfds = FD_SETSIZE;   /* the kernel caps nfds at the table's size */
    fd_set sets[3];
    uint64_t addrs[3] = { rd, wr, ex };
    size_t bytes = (nfds + 7) / 8;
    for (int k = 0; k < 3; k++) {
        FD_ZERO(&sets[k]);
        if (addrs[k] && guest_read(t->as, addrs[k], &sets[k], bytes)) return -EFAULT;
    }
    struct pollfd pf[FD_SETSIZE], watch[FD_SETSIZE];
    int map[FD_SETSIZE], n = 0, nwatch = 0;
    for (int fd = 0; fd < nfds; fd++) {
        short ev = (FD_ISSET(fd, &sets[0]) ? POLLIN : 0) | (FD_ISSET(fd, &sets[1]) ? POLLOUT : 0) |
                   (FD_ISSET(fd, &sets[2]) ? POLLPRI : 0);
        if (!ev) continue;
        struct open_file *f = fd_get(t, fd);
        if (!f) return -EBADF;
        pf[n].fd = f->host_fd; pf[n].events = ev; pf[n].revents = 0; map[n] = fd;
        if (!f->internal) watch[nwatch++] = pf[n];
        n++;
    }
    int r = poll_now(pf, n, nwatch > 0);
    if (r < 0) return r;
    if (r == 0) {
        int64_t w = wait_in_scheduler(t, timeout_ns, nwatch ? watch : NULL, nwatch);
        if (w) return w;
    }
    for (int k = 0; k < 3; k++) FD_ZERO(&sets[k]);
    int count = 0;
    for (int i = 0; i < n; i++) {
        short re = sock_poll_fix(fd_get(t, map[i]), pf[i].revents);
        if ((pf[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) { FD_SET(map[i], &sets[0]); count++; }
        if ((pf[i].events & POLLOUT) && (re & (POLLOUT | POLLERR))) { FD_SET(map[i], &sets[1]); count++; }
        if ((pf[i].events & POLLPRI) && (re & POLLPRI)) { FD_SET(map[i], &sets[2]); count++; }
    }
    for (int k = 0; k < 3; k++)
        if (addrs[k] && guest_write(t->as, addrs[k], &sets[k], bytes)) return -EFAULT;
    return count;
}

static int64_t sys_select(struct syscall *sc)
{
    int64_t ns = NO_TIMEOUT;
    if (sc->a[4]) {
        struct { int64_t sec, usec; } tv;
        if (guest_read(sc->t->as, sc->a[4], &tv, sizeof tv)) return -EFAULT;
        /* As the kernel: whole seconds of tv_usec move into tv_sec (wrapping as its
         * unsigned arithmetic does), then the timespec must be valid. */
        int64_t sec = (int64_t)((uint64_t)tv.sec + (uint64_t)(tv.usec / 1000000));
        int64_t nsec = (tv.usec % 1000000) * 1000;
        if (sec < 0 || nsec < 0) return -EINVAL;
        ns = ts_timeout(sec, nsec);
    }
    return do_select(sc->t, (int)sc->a[0], sc->a[1], sc->a[2], sc->a[3], ns);
}

static int64_t sys_pselect6(struct syscall *sc)
{
    int64_t ns;
    int rc = timeout_from_timespec(sc->t, sc->a[4], &ns);
    if (rc) return rc;
    /* The sixth argument points at { const sigset_t *ss; size_t ss_len; }. */
    if (sc->a[5]) {
        struct { uint64_t ss, len; } d;
        if (guest_read(sc->t->as, sc->a[5], &d, sizeof d)) return -EFAULT;
        if ((rc = check_sigmask(sc->t, d.ss, d.len))) return rc;
    }
    return do_select(sc->t, (int)sc->a[0], sc->a[1], sc->a[2], sc->a[3], ns);
}

/* ---- epoll ----
 * An epoll instance is a host epoll descriptor over the host descriptors behind the
 * guest's: the kernel keeps the interest list, level and edge triggering, and the
 * data word. Waiting never blocks the host: with nothing ready the task waits in the
 * scheduler and tries again after I/O on a pipe or eventfd, or at its timeout. */

#define MAX_EPOLL_EVENTS 1024

/* The epoll instances that were given a host descriptor: only those are watched on the
 * host while their waiter blocks (one of guest pipes only must still end as a deadlock
 * when nothing can write them). Compared by address only, never dereferenced. */
static const struct open_file **host_epolls;
static size_t nhost_epolls;

static bool epoll_has_host(const struct open_file *ep)
{
    for (size_t i = 0; i < nhost_epolls; i++)
        if (host_epolls[i] == ep) return true;
    return false;
}

static int64_t sys_epoll_create1(struct syscall *sc)
{
    int flags = (int)sc->a[0];
    if (flags & ~EPOLL_CLOEXEC) return -EINVAL;
    int h = epoll_create1(EPOLL_CLOEXEC);
    if (h < 0) return -errno;
    struct open_file *f = file_new(h, "anon_inode:[eventpoll]");
    if (!f) { close(h); return -ENOMEM; }
    f->internal = true;
    internal_file_identity(f);
    int fd = fd_install(sc->t, f, flags & EPOLL_CLOEXEC, 0);
    file_put(f);
    return fd;
}

static int64_t sys_epoll_create(struct syscall *sc)
{
    if ((int)sc->a[0] <= 0) return -EINVAL;
    sc->a[0] = 0;
    return sys_epoll_create1(sc);
}

static int64_t sys_epoll_ctl(struct syscall *sc)
{
    struct task *t = sc->t;
    struct open_file *ep = fd_get(t, (int)sc->a[0]), *f = fd_get(t, (int)sc->a[2]);
    if (!ep || !f) return -EBADF;
    int op = (int)sc->a[1];
    struct epoll_event ev = { 0 };
    if (op != EPOLL_CTL_DEL && guest_read(t->as, sc->a[3], &ev, sizeof ev)) return -EFAULT;
    if (epoll_ctl(ep->host_fd, op, f->host_fd, op == EPOLL_CTL_DEL ? NULL : &ev) < 0) return -errno;
    if (f->sk) sock_epoll_noted(ep, f, op, &ev);
    if (op == EPOLL_CTL_ADD && !f->internal && !epoll_has_host(ep)) {
        const struct open_file **n = realloc(host_epolls, (nhost_epolls + 1) * sizeof *n);
        if (n) { host_epolls = n; host_epolls[nhost_epolls++] = ep; }
    }
    return 0;
}

static int64_t do_epoll_wait(struct task *t, int epfd, uint64_t events, int maxevents, int64_t timeout_ns)
{
    struct open_file *ep = fd_get(t, epfd);
    if (!ep) return -EBADF;
    if (maxevents <= 0 || maxevents > MAX_EPOLL_EVENTS) return -EINVAL;
    struct epoll_event ev[MAX_EPOLL_EVENTS];
    /* The interest list may hold host descriptors: what is ready is an input. */
    int n = rec_host_epoll_wait(ep->host_fd, ev, maxevents);
    if (n < 0) return n;
    if (n == 0) {
        /* The epoll descriptor itself is readable when one of its descriptors is. */
        struct pollfd w = { .fd = ep->host_fd, .events = POLLIN };
        int64_t r = wait_in_scheduler(t, timeout_ns, epoll_has_host(ep) ? &w : NULL, 1);
        if (r) return r;
        return 0;
    }
    if (guest_write(t->as, events, ev, (size_t)n * sizeof ev[0])) return -EFAULT;
    return n;
}

static int64_t sys_epoll_wait(struct syscall *sc)
{
    return do_epoll_wait(sc->t, (int)sc->a[0], sc->a[1], (int)sc->a[2], ms_timeout((int)sc->a[3]));
}

static int64_t sys_epoll_pwait(struct syscall *sc)
{
    /* The signal mask argument is applied by the signals work when it matters; Go and
     * libc pass NULL here. */
    return do_epoll_wait(sc->t, (int)sc->a[0], sc->a[1], (int)sc->a[2], ms_timeout((int)sc->a[3]));
}

static int64_t sys_epoll_pwait2(struct syscall *sc)
{
    int64_t ns;
    int rc = timeout_from_timespec(sc->t, sc->a[3], &ns);
    return rc ? rc : do_epoll_wait(sc->t, (int)sc->a[0], sc->a[1], (int)sc->a[2], ns);
}

/* ---- how arguments print ---- */

static const struct flag_name poll_events[] = {
    { POLLIN, "POLLIN" }, { POLLPRI, "POLLPRI" }, { POLLOUT, "POLLOUT" }, { POLLERR, "POLLERR" },
    { POLLHUP, "POLLHUP" }, { POLLNVAL, "POLLNVAL" }, { POLLRDNORM, "POLLRDNORM" }, { POLLRDBAND, "POLLRDBAND" },
    { POLLWRNORM, "POLLWRNORM" }, { POLLWRBAND, "POLLWRBAND" }, { POLLRDHUP, "POLLRDHUP" }, { 0, NULL },
};

static void fmt_pollfds(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t n = sc->a[i + 1];
    struct pollfd p;
    sb_putc(sb, '[');
    for (uint64_t k = 0; k < n && k < 32; k++) {
        if (guest_read(sc->t->as, sc->a[i] + k * sizeof p, &p, sizeof p)) break;
        sb_printf(sb, "%s{fd=%d, events=", k ? ", " : "", p.fd);
        sb_flags(sb, (unsigned short)p.events, poll_events, "0");
        sb_putc(sb, '}');
    }
    sb_putc(sb, ']');
}

static void ret_poll(struct strbuf *sb, struct syscall *sc)
{
    sb_printf(sb, "%lld", (long long)sc->ret);
    if (sc->ret == 0) { sb_puts(sb, " (Timeout)"); return; }
    struct pollfd p;
    sb_puts(sb, " ([");
    bool first = true;
    for (uint64_t k = 0; k < sc->a[1] && k < 32; k++) {
        if (guest_read(sc->t->as, sc->a[0] + k * sizeof p, &p, sizeof p)) break;
        if (!p.revents) continue;
        sb_printf(sb, "%s{fd=%d, revents=", first ? "" : ", ", p.fd);
        sb_flags(sb, (unsigned short)p.revents, poll_events, "0");
        sb_putc(sb, '}');
        first = false;
    }
    sb_puts(sb, "])");
}

static void fmt_poll_timeout(struct strbuf *sb, struct syscall *sc, int i) { sb_printf(sb, "%d", (int)sc->a[i]); }

static void fmt_timespec_ptr(struct strbuf *sb, struct syscall *sc, int i)
{
    struct timespec ts;
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, sc->a[i], &ts, sizeof ts)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "{tv_sec=%lld, tv_nsec=%ld}", (long long)ts.tv_sec, ts.tv_nsec);
}

static const struct flag_name epoll_event_names[] = {
    { EPOLLIN, "EPOLLIN" }, { EPOLLPRI, "EPOLLPRI" }, { EPOLLOUT, "EPOLLOUT" }, { EPOLLERR, "EPOLLERR" },
    { EPOLLHUP, "EPOLLHUP" }, { EPOLLRDNORM, "EPOLLRDNORM" }, { EPOLLRDBAND, "EPOLLRDBAND" },
    { EPOLLWRNORM, "EPOLLWRNORM" }, { EPOLLWRBAND, "EPOLLWRBAND" }, { EPOLLMSG, "EPOLLMSG" },
    { EPOLLRDHUP, "EPOLLRDHUP" }, { EPOLLEXCLUSIVE, "EPOLLEXCLUSIVE" }, { EPOLLWAKEUP, "EPOLLWAKEUP" },
    { EPOLLONESHOT, "EPOLLONESHOT" }, { EPOLLET, "EPOLLET" }, { 0, NULL },
};

static void sb_epoll_event(struct strbuf *sb, const struct epoll_event *e)
{
    sb_puts(sb, "{events=");
    sb_flags(sb, e->events, epoll_event_names, "0");
    sb_printf(sb, ", data={u32=%u, u64=%llu}}", (unsigned)e->data.u32, (unsigned long long)e->data.u64);
}

static void fmt_epoll_ctl_op(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name ops[] = { { EPOLL_CTL_ADD, "EPOLL_CTL_ADD" }, { EPOLL_CTL_DEL, "EPOLL_CTL_DEL" },
                                            { EPOLL_CTL_MOD, "EPOLL_CTL_MOD" }, { 0, NULL } };
    sb_enum(sb, sc->a[i], ops, "%lld");
}

static void fmt_epoll_event_in(struct strbuf *sb, struct syscall *sc, int i)
{
    struct epoll_event e;
    if (!sc->a[i]) { sb_puts(sb, "NULL"); return; }
    if (guest_read(sc->t->as, sc->a[i], &e, sizeof e)) { fmt_ptr(sb, sc, i); return; }
    sb_epoll_event(sb, &e);
}

static void fmt_epoll_events_out(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret <= 0) { if (sc->ret < 0) fmt_ptr(sb, sc, i); else sb_puts(sb, "[]"); return; }
    sb_putc(sb, '[');
    for (int64_t k = 0; k < sc->ret && k < 32; k++) {
        struct epoll_event e;
        if (guest_read(sc->t->as, sc->a[i] + (uint64_t)k * sizeof e, &e, sizeof e)) break;
        if (k) sb_puts(sb, ", ");
        sb_epoll_event(sb, &e);
    }
    sb_putc(sb, ']');
}

static void fmt_epoll_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_puts(sb, sc->a[i] & EPOLL_CLOEXEC ? "EPOLL_CLOEXEC" : "0");
}

const struct syscall_def poll_syscalls[] = {
    { SYS_epoll_create, "epoll_create", sys_epoll_create, 1, { IN(fmt_int) }, NULL },
    { SYS_epoll_create1, "epoll_create1", sys_epoll_create1, 1, { IN(fmt_epoll_flags) }, NULL },
    { SYS_epoll_ctl, "epoll_ctl", sys_epoll_ctl, 4, { IN(fmt_fd), IN(fmt_epoll_ctl_op), IN(fmt_fd), IN(fmt_epoll_event_in) }, NULL },
    { SYS_epoll_wait, "epoll_wait", sys_epoll_wait, 4, { IN(fmt_fd), OUT(fmt_epoll_events_out), IN(fmt_int), IN(fmt_int) }, NULL },
    { SYS_epoll_pwait, "epoll_pwait", sys_epoll_pwait, 6,
      { IN(fmt_fd), OUT(fmt_epoll_events_out), IN(fmt_int), IN(fmt_int), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_epoll_pwait2, "epoll_pwait2", sys_epoll_pwait2, 6,
      { IN(fmt_fd), OUT(fmt_epoll_events_out), IN(fmt_int), IN(fmt_timespec_ptr), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_poll, "poll", sys_poll, 3, { IN(fmt_pollfds), IN(fmt_uint), IN(fmt_poll_timeout) }, ret_poll },
    { SYS_ppoll, "ppoll", sys_ppoll, 5, { IN(fmt_pollfds), IN(fmt_uint), IN(fmt_timespec_ptr), IN(fmt_ptr), IN(fmt_uint) }, ret_poll },
    { SYS_select, "select", sys_select, 5, { IN(fmt_int), IN(fmt_ptr), IN(fmt_ptr), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_pselect6, "pselect6", sys_pselect6, 6, { IN(fmt_int), IN(fmt_ptr), IN(fmt_ptr), IN(fmt_ptr), IN(fmt_timespec_ptr), IN(fmt_ptr) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
