/* File times on the guest's clock.
 *
 * Why this way. The guest's CLOCK_REALTIME is virtual (core/det.c: a fixed epoch plus
 * retired instructions); the host stamps the files the guest writes with the host's
 * time. Two answers were possible:
 *  - translate every host time in stat results into the guest's time line: no
 *    translation is both deterministic (the host clock may not enter) and exact for
 *    times the guest itself sets (touch -r, tar x, cp -p must read back what they
 *    wrote) and for archives the guest makes of host files (tar c must store the
 *    files' real times);
 *  - leave host times as they are (they are inputs, like file contents), and give
 *    every change the guest makes the guest's time, as the kernel does with its own.
 * uniemu does the second. A host file's times are then what the host says, exactly;
 * a file the guest writes "now" has the guest's now. The virtual epoch (core/det.h)
 * lies after the host's files, so that every file met is older than the guest's now,
 * as on a machine with a right clock, and make sees targets the guest builds newer
 * than their host sources.
 *
 * The host cannot be told a ctime, and a host write stamps the host's mtime, so each
 * inode the guest changed is kept here, keyed by (device, inode), with its three
 * times; stat results for it are answered from here. atime and mtime are also written
 * to the host file (utimensat): at once for changes by path, when the open file is
 * released for writes through a descriptor (one host call per file, not per write).
 * That write can fail (a file the guest may write but not own): the table still
 * answers, for the rest of the run.
 *
 * A read updates the atime of a file whose times are the guest's, as the mount's
 * noatime/relatime/strictatime says. Not modelled: mtime updates through shared
 * mappings, O_NOATIME, and a host process reusing the inode number of a file the guest removed
 * while still holding it open. */
#include "syscalls/ftimes.h"
#include "syscalls/fdtable.h"
#include "core/det.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct ftime {
    struct ftime *next;
    uint64_t dev, ino;
    struct timespec a, m, c;
    bool has_b;           /* made by the guest: its birth time is the guest's */
    struct timespec b;
};

#define NBUCKETS 4096
static struct ftime *buckets[NBUCKETS];

static unsigned bucket_of(uint64_t dev, uint64_t ino)
{
    uint64_t h = (ino * 0x9e3779b97f4a7c15ULL) ^ dev;
    return (unsigned)(h >> 52) % NBUCKETS;
}

static struct ftime *lookup(uint64_t dev, uint64_t ino)
{
    for (struct ftime *e = buckets[bucket_of(dev, ino)]; e; e = e->next)
        if (e->dev == dev && e->ino == ino) return e;
    return NULL;
}

/* The entry for a host stat result, made from the host's times when new. */
static struct ftime *entry_for(const struct stat *st)
{
    struct ftime *e = lookup(st->st_dev, st->st_ino);
    if (e) return e;
    e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->a = st->st_atim;
    e->m = st->st_mtim;
    e->c = st->st_ctim;
    unsigned b = bucket_of(e->dev, e->ino);
    e->next = buckets[b];
    buckets[b] = e;
    return e;
}

static void drop(uint64_t dev, uint64_t ino)
{
    for (struct ftime **p = &buckets[bucket_of(dev, ino)]; *p; p = &(*p)->next)
        if ((*p)->dev == dev && (*p)->ino == ino) {
            struct ftime *e = *p;
            *p = e->next;
            free(e);
            return;
        }
}

struct timespec ftimes_now(void)
{
    uint64_t ns = det_now_ns();
    struct timespec ts = { DET_EPOCH_SEC + (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };
    return ts;
}

/* Only what the guest owns the times of: files, directories, symlinks. A terminal or
 * a pipe of the host (uniemu's own stdio) keeps the host's. */
static bool tracked(const struct stat *st)
{
    return S_ISREG(st->st_mode) || S_ISDIR(st->st_mode) || S_ISLNK(st->st_mode);
}

static void apply(struct ftime *e, unsigned what)
{
    struct timespec now = ftimes_now();
    if (what & FT_A) e->a = now;
    if (what & FT_M) e->m = now;
    if (what & FT_C) e->c = now;
    if (what & FT_B) { e->b = now; e->has_b = true; }
}

/* atime and mtime to the host inode; failures are left to the table. */
static void write_through(int dirfd, const char *path, int flags, const struct ftime *e)
{
    struct timespec ts[2] = { e->a, e->m };
    syscall(SYS_utimensat, dirfd, path, ts, flags);
}

/* Whether f's times are the guest's to keep (learnt once per open file: its inode). */
static bool file_tracked(struct open_file *f)
{
    if (!f || f->internal || f->ft_state == FT_UNTRACKED) return false;
    if (f->ft_state == FT_UNKNOWN) {
        struct stat st;
        if (fstat(f->host_fd, &st) < 0 || !tracked(&st)) { f->ft_state = FT_UNTRACKED; return false; }
        f->ft_state = FT_TRACKED;
        f->ft_dev = st.st_dev;
        f->ft_ino = st.st_ino;
    }
    return true;
}

void ftimes_file(struct open_file *f, unsigned what)
{
    if (!file_tracked(f)) return;
    struct ftime *e = lookup(f->ft_dev, f->ft_ino);
    if (!e) {   /* new to the table, or dropped since (its last name went): from the host's */
        struct stat st;
        if (fstat(f->host_fd, &st) < 0 || !(e = entry_for(&st))) return;
    }
    apply(e, what);
    if (what & (FT_A | FT_M)) f->ft_dirty = true;
}

/* A read of a file whose times are the guest's: its atime, as the mount says
 * (noatime: never; relatime: when it is not newer than mtime or ctime, or a day old;
 * strictatime: always). Files the guest has not changed keep the host's atime. */
void ftimes_read(struct open_file *f)
{
    if (!file_tracked(f)) return;
    struct ftime *e = lookup(f->ft_dev, f->ft_ino);
    if (!e) return;
    if (!f->ft_atime_mode) {
        struct statfs sf;
        f->ft_atime_mode = fstatfs(f->host_fd, &sf) < 0 ? 2 : (sf.f_flags & ST_NOATIME) ? 1 : (sf.f_flags & ST_RELATIME) ? 2 : 3;
    }
    if (f->ft_atime_mode == 1) return;
    struct timespec now = ftimes_now();
    if (f->ft_atime_mode == 2) {
        int64_t a = (int64_t)e->a.tv_sec * 1000000000 + e->a.tv_nsec;
        int64_t m = (int64_t)e->m.tv_sec * 1000000000 + e->m.tv_nsec;
        int64_t c = (int64_t)e->c.tv_sec * 1000000000 + e->c.tv_nsec;
        int64_t n = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
        if (a > m && a > c && n - a < 86400LL * 1000000000) return;
    }
    e->a = now;
    f->ft_dirty = true;
}

void ftimes_release(struct open_file *f)
{
    if (!f->ft_dirty) return;
    f->ft_dirty = false;
    struct ftime *e = lookup(f->ft_dev, f->ft_ino);
    if (e) write_through(f->host_fd, NULL, 0, e);
}

void ftimes_path(int dirfd, const char *path, bool follow, unsigned what)
{
    struct stat st;
    int flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;
    if (!path || !path[0]) { path = ""; flags |= AT_EMPTY_PATH; }
    if (fstatat(dirfd, path, &st, flags) < 0 || !tracked(&st)) return;
    struct ftime *e = entry_for(&st);
    if (!e) return;
    apply(e, what);
    if (what & (FT_A | FT_M)) write_through(dirfd, path, flags, e);
}

void ftimes_parent(int dirfd, const char *path)
{
    char dir[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof dir) return;
    memcpy(dir, path, n + 1);
    while (n > 1 && dir[n - 1] == '/') dir[--n] = 0;     /* "a/b/" names b */
    char *slash = strrchr(dir, '/');
    if (!slash) { ftimes_path(dirfd, "", true, FT_M | FT_C); return; }
    if (slash == dir) slash[1] = 0; else *slash = 0;      /* "/x" is in "/" */
    ftimes_path(dirfd, dir, true, FT_M | FT_C);
}

void ftimes_utimens(int dirfd, const char *path, bool follow, const struct timespec *ts)
{
    struct stat st;
    int flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;
    if (!path || !path[0]) { path = ""; flags |= AT_EMPTY_PATH; }
    if (fstatat(dirfd, path, &st, flags) < 0 || !tracked(&st)) return;
    struct ftime *e = entry_for(&st);
    if (!e) return;
    struct timespec now = ftimes_now();
    struct timespec *dst[2] = { &e->a, &e->m };
    bool now_used = false;
    for (int k = 0; k < 2; k++) {
        if (!ts || ts[k].tv_nsec == UTIME_NOW) { *dst[k] = now; now_used = true; }
        else if (ts[k].tv_nsec != UTIME_OMIT) *dst[k] = ts[k];
    }
    e->c = now;
    /* The host already holds explicit times; "now" must become the guest's now. */
    if (now_used) write_through(dirfd, path, flags, e);
}

void ftimes_unlinked(const struct stat *victim)
{
    if (S_ISDIR(victim->st_mode) || victim->st_nlink <= 1) { drop(victim->st_dev, victim->st_ino); return; }
    struct ftime *e = entry_for(victim);
    if (e) apply(e, FT_C);
}

void ftimes_fix_stat(struct stat *st)
{
    struct ftime *e = lookup(st->st_dev, st->st_ino);
    if (!e) return;
    st->st_atim = e->a;
    st->st_mtim = e->m;
    st->st_ctim = e->c;
}

static struct statx_timestamp stx_ts(struct timespec ts)
{
    struct statx_timestamp r = { ts.tv_sec, (uint32_t)ts.tv_nsec, 0 };
    return r;
}

void ftimes_fix_statx(struct statx *stx)
{
    struct ftime *e = lookup(makedev(stx->stx_dev_major, stx->stx_dev_minor), stx->stx_ino);
    if (!e) return;
    if (stx->stx_mask & STATX_ATIME) stx->stx_atime = stx_ts(e->a);
    if (stx->stx_mask & STATX_MTIME) stx->stx_mtime = stx_ts(e->m);
    if (stx->stx_mask & STATX_CTIME) stx->stx_ctime = stx_ts(e->c);
    if ((stx->stx_mask & STATX_BTIME) && e->has_b) stx->stx_btime = stx_ts(e->b);
}
