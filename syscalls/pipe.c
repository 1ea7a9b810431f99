/* Pipes and eventfds between guest tasks. They are host pipes and eventfds in
 * non-blocking mode (so the kernel keeps the buffer, its 64 KiB size, EOF and EPIPE),
 * and a guest task that would block is parked in the scheduler, then retried after
 * any I/O on such a file: who runs when stays uniemu's choice. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include "scheduler/sched.h"
#include "scheduler/signals.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include "core/det.h"
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

int64_t internal_read_result(struct task *t, struct open_file *f, int64_t n)
{
    if (n == -EAGAIN && !f->guest_nonblock) {
        sched_block(t, WAIT_IO, 0, true, 0);
        return RET_BLOCK;
    }
    if (n > 0) sched_wake_io();   /* room for writers, a counter that changed */
    return n;
}

int64_t internal_write(struct task *t, struct open_file *f, const char *data, size_t len)
{
    /* A blocking write moves everything before it returns, waiting for room as often
     * as needed; t->io_done keeps its progress across the waits. */
    size_t done = t->in_syscall ? t->io_done : 0;
    ssize_t n = 0;
    if (len == 0) n = write(f->host_fd, data, 0);
    while (done < len) {
        n = write(f->host_fd, data + done, len - done);
        if (n <= 0) break;
        done += (size_t)n;
        sched_wake_io();
    }
    int err = n < 0 ? errno : 0;
    if (done < len && (err == EAGAIN || n > 0) && !f->guest_nonblock) {
        t->io_done = done;
        sched_block(t, WAIT_IO, 0, true, 0);
        return RET_BLOCK;
    }
    t->io_done = 0;
    if (done) return (int64_t)done;
    if (err == EPIPE) sig_send_simple(t, SIGPIPE, SI_USER, t->proc->pid, true);
    return err ? -err : 0;
}

/* Inode numbers of the guest's pipes and eventfds, handed out in order (pipefs numbers
 * are small on Linux too). */
static uint64_t next_ino = 4096;

void internal_file_identity(struct open_file *f) { f->ino = next_ino++; }

void internal_stat_fix(struct open_file *f, struct stat *st)
{
    if (!f || !f->internal) return;
    st->st_ino = f->ino;
    st->st_dev = 0xf;   /* the anonymous pipefs device (as seen on this kernel) */
    if (f->sock) st->st_mode = S_IFSOCK | 0777;   /* whatever stands in on the host (an eventfd for a listener) */
    struct timespec t = { DET_EPOCH_SEC, 0 };
    st->st_atim = st->st_mtim = st->st_ctim = t;
}

void internal_statx_fix(struct open_file *f, struct statx *stx)
{
    if (!f || !f->internal) return;
    stx->stx_ino = f->ino;
    stx->stx_dev_major = 0;
    stx->stx_dev_minor = 0xf;
    if (f->sock) stx->stx_mode = S_IFSOCK | 0777;
    struct statx_timestamp t = { DET_EPOCH_SEC, 0, 0 };
    stx->stx_atime = stx->stx_mtime = stx->stx_ctime = stx->stx_btime = t;
}

static struct open_file *internal_file(int host_fd, const char *name, bool nonblock)
{
    struct open_file *f = file_new(host_fd, name);
    if (!f) { close(host_fd); return NULL; }
    f->internal = true;
    f->guest_nonblock = nonblock;
    internal_file_identity(f);
    return f;
}

static int64_t do_pipe2(struct task *t, uint64_t addr, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -EINVAL;
    int hfd[2];
    if (pipe2(hfd, O_CLOEXEC | O_NONBLOCK | (flags & O_DIRECT)) < 0) return -errno;
    struct open_file *r = internal_file(hfd[0], "pipe", flags & O_NONBLOCK);
    struct open_file *w = internal_file(hfd[1], "pipe", flags & O_NONBLOCK);
    if (!r || !w) { file_put(r); file_put(w); return -ENOMEM; }
    int gfd[2] = { fd_install(t, r, flags & O_CLOEXEC, 0), -1 };
    if (gfd[0] >= 0) gfd[1] = fd_install(t, w, flags & O_CLOEXEC, 0);
    file_put(r);
    file_put(w);
    if (gfd[1] < 0) { if (gfd[0] >= 0) fd_close(t, gfd[0]); return -EMFILE; }
    if (guest_write(t->as, addr, gfd, sizeof gfd)) { fd_close(t, gfd[0]); fd_close(t, gfd[1]); return -EFAULT; }
    return 0;
}

static int64_t sys_pipe(struct syscall *sc) { return do_pipe2(sc->t, sc->a[0], 0); }
static int64_t sys_pipe2(struct syscall *sc) { return do_pipe2(sc->t, sc->a[0], (int)sc->a[1]); }

static int64_t do_eventfd(struct task *t, unsigned initval, int flags)
{
    if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) return -EINVAL;
    int h = eventfd(initval, EFD_CLOEXEC | EFD_NONBLOCK | (flags & EFD_SEMAPHORE));
    if (h < 0) return -errno;
    struct open_file *f = internal_file(h, "anon_inode:[eventfd]", flags & EFD_NONBLOCK);
    if (!f) return -ENOMEM;
    int fd = fd_install(t, f, flags & EFD_CLOEXEC, 0);
    file_put(f);
    return fd;
}

static int64_t sys_eventfd(struct syscall *sc) { return do_eventfd(sc->t, (unsigned)sc->a[0], 0); }
static int64_t sys_eventfd2(struct syscall *sc) { return do_eventfd(sc->t, (unsigned)sc->a[0], (int)sc->a[1]); }

/* ---- how arguments print ---- */

static void fmt_pipefds(struct strbuf *sb, struct syscall *sc, int i)
{
    int fds[2];
    if (sc->ret || guest_read(sc->t->as, sc->a[i], fds, sizeof fds)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "[%d, %d]", fds[0], fds[1]);
}

static void fmt_pipe_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name f[] = { { O_CLOEXEC, "O_CLOEXEC" }, { O_NONBLOCK, "O_NONBLOCK" },
                                          { O_DIRECT, "O_DIRECT" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], f, "0");
}

static void fmt_efd_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    static const struct flag_name f[] = { { EFD_SEMAPHORE, "EFD_SEMAPHORE" }, { EFD_CLOEXEC, "EFD_CLOEXEC" },
                                          { EFD_NONBLOCK, "EFD_NONBLOCK" }, { 0, NULL } };
    sb_flags(sb, sc->a[i], f, "0");
}

const struct syscall_def pipe_syscalls[] = {
    { SYS_pipe, "pipe", sys_pipe, 1, { OUT(fmt_pipefds) }, NULL },
    { SYS_pipe2, "pipe2", sys_pipe2, 2, { OUT(fmt_pipefds), IN(fmt_pipe_flags) }, NULL },
    { SYS_eventfd, "eventfd", sys_eventfd, 1, { IN(fmt_uint) }, NULL },
    { SYS_eventfd2, "eventfd2", sys_eventfd2, 2, { IN(fmt_uint), IN(fmt_efd_flags) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
