/* Credentials: real, effective, saved and file-system uids and gids, supplementary
 * groups and capabilities, per process (thread group), with Linux's rules for changing
 * them (kernel/sys.c, security/commoncap.c).
 *
 * Linux keeps credentials per thread, and both glibc and musl make set*id change every
 * thread of the process (they signal each thread to make the call itself). What a guest
 * built on either can observe is one set per process, which is what is kept here: a raw
 * set*id system call in one thread changes its siblings too (on Linux it would not).
 *
 * A guest process starts with uniemu's own credentials and capabilities (inputs, read
 * at first use). The effect on files is the host's: guest files are host files, and
 * before each of the guest's system calls uniemu gives its own (single) host thread the
 * guest process's fsuid, fsgid, groups and effective capabilities (setfsuid, setfsgid,
 * setgroups and capset as raw system calls affect only the calling thread), only when
 * they differ from what is already set. The host kernel then makes every check it makes
 * for a process with those credentials (generic_permission, sticky directories, chown,
 * utimes, exec...), files are created with the guest's fsuid and fsgid, and the errors
 * are the kernel's. access() and faccessat() check the real ids: for them the host
 * thread gets the real uid and gid as fsuid/fsgid and the capabilities the kernel gives
 * access() (all permitted ones for uid 0, none otherwise), and calls faccessat2 with
 * AT_EACCESS. When uniemu itself is not root it cannot switch: the guest then starts
 * with uniemu's unprivileged ids and can only move among them, which the host checks
 * as they are. */
#include "syscalls/syscall.h"
#include "syscalls/cred.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAP_V1 0x19980330u
#define CAP_V2 0x20071026u
#define CAP_V3 0x20080522u
struct cap_data { uint32_t effective, permitted, inheritable; };

#define CAPB(n) (1ULL << (n))
#define CAP_KILL_ 5
#define CAP_SETGID_ 6
#define CAP_SETUID_ 7
#define CAP_SETPCAP_ 8
/* The capabilities a change of fsuid to or from 0 drops or raises (CAP_FS_MASK). */
#define CAP_FS_MASK (CAPB(0) | CAPB(1) | CAPB(2) | CAPB(3) | CAPB(4) | CAPB(9) | CAPB(27) | CAPB(32))
#define NGROUPS_MAX_ 65536
#define INVALID_ID 0xffffffffu

#define SECBIT_NOROOT_ (1u << 0)
#define SECBIT_NO_SETUID_FIXUP_ (1u << 2)
#define SECBIT_KEEP_CAPS_ (1u << 4)
#define SECBIT_NO_CAP_AMBIENT_RAISE_ (1u << 6)
#define SECURE_ALL_BITS_ 0x55u
#define SECURE_ALL_LOCKS_ 0xaau

static int host_capget(struct cap_data d[2])
{
    struct { uint32_t version; int pid; } hdr = { CAP_V3, 0 };
    memset(d, 0, 2 * sizeof d[0]);
    return (int)syscall(SYS_capget, &hdr, d);
}

static uint64_t cap_last_mask(void)
{
    static uint64_t mask;
    if (!mask) {
        int last = 40;
        while (last > 0 && prctl(PR_CAPBSET_READ, last, 0, 0, 0) < 0) last--;
        mask = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
    }
    return mask;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* uniemu's own credentials, read once before the host thread's are ever switched: the
 * first process's. */
static struct cred own;

static void own_load(void)
{
    struct cred *c = &own;
    if (c->known) return;
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    c->uid = r; c->euid = e; c->suid = s; c->fsuid = (uint32_t)syscall(SYS_setfsuid, -1);
    c->gid = gr; c->egid = ge; c->sgid = gs; c->fsgid = (uint32_t)syscall(SYS_setfsgid, -1);
    int n = getgroups(0, NULL);
    gid_t *g = n > 0 ? calloc((size_t)n, sizeof *g) : NULL;
    if (g) n = getgroups(n, g);
    else n = 0;
    c->ngroups = n > 0 ? n : 0;
    c->groups = c->ngroups ? calloc((size_t)c->ngroups, 4) : NULL;
    if (!c->groups) c->ngroups = 0;
    for (int i = 0; i < c->ngroups; i++) c->groups[i] = g[i];
    free(g);
    if (c->ngroups > 1) qsort(c->groups, (size_t)c->ngroups, 4, cmp_u32);
    struct cap_data d[2];
    if (host_capget(d) == 0) {
        c->cap_eff = d[0].effective | (uint64_t)d[1].effective << 32;
        c->cap_prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
        c->cap_inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
    }
    c->cap_bnd = 0;
    uint64_t all = cap_last_mask();
    for (int i = 0; i < 64; i++)
        if ((all & CAPB(i)) && prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1) c->cap_bnd |= CAPB(i);
    c->cap_amb = 0;
    c->securebits = (unsigned)prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
    if ((int)c->securebits < 0) c->securebits = 0;
    c->known = true;
}

static void cred_load(struct cred *c)
{
    if (c->known) return;
    own_load();
    *c = own;
    c->groups = NULL;
    if (own.ngroups && (c->groups = malloc((size_t)own.ngroups * 4))) memcpy(c->groups, own.groups, (size_t)own.ngroups * 4);
    else c->ngroups = 0;
}

struct cred *cred_of(struct process *p)
{
    cred_load(&p->cred);
    return &p->cred;
}

void cred_copy(struct process *to, struct process *from)
{
    struct cred *c = cred_of(from);
    to->cred = *c;
    to->cred.groups = NULL;
    if (c->ngroups) {
        to->cred.groups = malloc((size_t)c->ngroups * 4);
        if (to->cred.groups) memcpy(to->cred.groups, c->groups, (size_t)c->ngroups * 4);
        else to->cred.ngroups = 0;
    }
}

uint64_t guest_cap_effective(struct process *p) { return cred_of(p)->cap_eff; }

static bool capable(struct process *p, int cap) { return cred_of(p)->cap_eff & CAPB(cap); }

bool cred_in_group(struct process *p, uint32_t gid)
{
    struct cred *c = cred_of(p);
    if (gid == c->fsgid) return true;
    for (int i = 0; i < c->ngroups; i++) if (c->groups[i] == gid) return true;
    return false;
}

/* ---- the host thread's credentials ---- */

static struct {
    bool init, can_switch;
    uint64_t prm, inh;               /* uniemu's own */
    uint32_t fsuid, fsgid;           /* what the host thread has now */
    uint64_t eff;
    int ngroups;
    uint32_t *groups;
} host;

static void host_init(void)
{
    if (host.init) return;
    host.init = true;
    own_load();
    host.prm = own.cap_prm; host.inh = own.cap_inh; host.eff = own.cap_eff;
    host.fsuid = own.fsuid; host.fsgid = own.fsgid;
    host.ngroups = own.ngroups;
    host.groups = own.ngroups ? malloc((size_t)own.ngroups * 4) : NULL;
    if (host.groups) memcpy(host.groups, own.groups, (size_t)own.ngroups * 4);
    else host.ngroups = 0;
    host.can_switch = (own.cap_prm & CAPB(CAP_SETUID_)) && (own.cap_prm & CAPB(CAP_SETGID_));
}

static int host_capset(uint64_t eff)
{
    struct { uint32_t version; int pid; } hdr = { CAP_V3, 0 };
    struct cap_data d[2] = {
        { (uint32_t)eff, (uint32_t)host.prm, (uint32_t)host.inh },
        { (uint32_t)(eff >> 32), (uint32_t)(host.prm >> 32), (uint32_t)(host.inh >> 32) },
    };
    return (int)syscall(SYS_capset, &hdr, d);
}

static void host_set(uint32_t fsuid, uint32_t fsgid, const uint32_t *groups, int ngroups, uint64_t eff)
{
    host_init();
    if (!host.can_switch) return;
    eff &= host.prm;
    bool same_groups = ngroups == host.ngroups &&
                       (!ngroups || memcmp(groups, host.groups, (size_t)ngroups * 4) == 0);
    if (fsuid == host.fsuid && fsgid == host.fsgid && eff == host.eff && same_groups) return;
    /* Changing ids needs CAP_SETUID/CAP_SETGID in the thread's effective set first. */
    host_capset(host.prm);
    if (!same_groups) {
        gid_t *g = ngroups ? malloc((size_t)ngroups * sizeof *g) : NULL;
        for (int i = 0; g && i < ngroups; i++) g[i] = groups[i];
        if (syscall(SYS_setgroups, g ? ngroups : 0, g) == 0) {
            free(host.groups);
            host.groups = NULL;
            host.ngroups = g ? ngroups : 0;
            if (host.ngroups && (host.groups = malloc((size_t)ngroups * 4))) memcpy(host.groups, groups, (size_t)ngroups * 4);
            else host.ngroups = 0;
        }
        free(g);
    }
    syscall(SYS_setfsgid, fsgid);
    syscall(SYS_setfsuid, fsuid);
    host.fsuid = (uint32_t)syscall(SYS_setfsuid, -1);
    host.fsgid = (uint32_t)syscall(SYS_setfsgid, -1);
    host_capset(eff);
    host.eff = eff;
}

void cred_enter(struct process *p)
{
    if (!p->cred.known && !host.init) return;   /* nothing changed yet: uniemu's own */
    struct cred *c = cred_of(p);
    host_set(c->fsuid, c->fsgid, c->groups, c->ngroups, c->cap_eff);
}

void cred_enter_access(struct process *p)
{
    struct cred *c = cred_of(p);
    uint64_t eff = c->cap_eff;
    if (!(c->securebits & SECBIT_NO_SETUID_FIXUP_)) eff = c->uid == 0 ? c->cap_prm : 0;
    host_set(c->uid, c->gid, c->groups, c->ngroups, eff);
}

void cred_host_restore(void)
{
    if (!host.init) return;
    host_set(own.fsuid, own.fsgid, own.groups, own.ngroups, own.cap_eff);
}

/* ---- execve ---- */

/* The kernel's capability and id rules at exec (no file capabilities, no_new_privs off):
 * set-user-ID and set-group-ID bits, root's full set, SECBIT_KEEP_CAPS cleared. */
void cred_exec(struct process *p, const char *path)
{
    struct cred *c = cred_of(p);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (st.st_mode & S_ISUID) c->euid = st.st_uid;
        if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) c->egid = st.st_gid;
    }
    bool root = !(c->securebits & SECBIT_NOROOT_) && (c->uid == 0 || c->euid == 0);
    if (c->euid != c->uid || c->egid != c->gid) c->cap_amb = 0;
    uint64_t prm = root ? c->cap_inh | c->cap_bnd : c->cap_amb;
    c->cap_prm = prm;
    c->cap_eff = root && c->euid == 0 ? prm : (c->cap_amb & prm);
    c->suid = c->euid; c->fsuid = c->euid;
    c->sgid = c->egid; c->fsgid = c->egid;
    c->securebits &= ~SECBIT_KEEP_CAPS_;
}

/* ---- uid changes ---- */

/* cap_emulate_setxuid: leaving uid 0 drops capabilities, as the kernel does. */
static void fix_setuid(struct cred *c, const struct cred *old)
{
    if (c->securebits & SECBIT_NO_SETUID_FIXUP_) return;
    if ((old->uid == 0 || old->euid == 0 || old->suid == 0) && c->uid != 0 && c->euid != 0 && c->suid != 0) {
        if (!(c->securebits & SECBIT_KEEP_CAPS_)) { c->cap_prm = 0; c->cap_eff = 0; }
        c->cap_amb = 0;
    }
    if (old->euid == 0 && c->euid != 0) c->cap_eff = 0;
    if (old->euid != 0 && c->euid == 0) c->cap_eff = c->cap_prm;
    /* The fsuid follows the euid here; with the fixup its capability change is the
     * euid's, already done above. */
}

static void fix_setfsuid(struct cred *c, uint32_t old_fsuid)
{
    if (c->securebits & SECBIT_NO_SETUID_FIXUP_) return;
    if (old_fsuid == 0 && c->fsuid != 0) c->cap_eff &= ~CAP_FS_MASK;
    if (old_fsuid != 0 && c->fsuid == 0) c->cap_eff |= c->cap_prm & CAP_FS_MASK;
}

static bool is_id(const struct cred *c, uint32_t id, bool gid)
{
    return gid ? (id == c->gid || id == c->egid || id == c->sgid) : (id == c->uid || id == c->euid || id == c->suid);
}

static int64_t sys_setuid(struct syscall *sc)
{
    struct cred *c = cred_of(sc->t->proc), old = *c;
    uint32_t uid = (uint32_t)sc->a[0];
    if (uid == INVALID_ID) return -EINVAL;
    if (capable(sc->t->proc, CAP_SETUID_)) { c->uid = c->suid = uid; }
    else if (uid != c->uid && uid != c->suid) return -EPERM;
    c->euid = c->fsuid = uid;
    fix_setuid(c, &old);
    return 0;
}

static int64_t sys_setgid(struct syscall *sc)
{
    struct cred *c = cred_of(sc->t->proc);
    uint32_t gid = (uint32_t)sc->a[0];
    if (gid == INVALID_ID) return -EINVAL;
    if (capable(sc->t->proc, CAP_SETGID_)) { c->gid = c->sgid = gid; }
    else if (gid != c->gid && gid != c->sgid) return -EPERM;
    c->egid = c->fsgid = gid;
    return 0;
}

/* setreuid/setregid: -1 keeps a value; an unprivileged caller may swap real and
 * effective, or set either to the saved one (the effective only). */
static int set_re(struct syscall *sc, bool gid)
{
    struct process *p = sc->t->proc;
    struct cred *c = cred_of(p), old = *c;
    uint32_t r = (uint32_t)sc->a[0], e = (uint32_t)sc->a[1];
    bool priv = capable(p, gid ? CAP_SETGID_ : CAP_SETUID_);
    uint32_t *R = gid ? &c->gid : &c->uid, *E = gid ? &c->egid : &c->euid, *S = gid ? &c->sgid : &c->suid,
             *F = gid ? &c->fsgid : &c->fsuid;
    uint32_t oR = *R, oE = *E, oS = *S;
    uint32_t nR = oR, nE = oE, nS = oS;
    if (r != INVALID_ID) {
        nR = r;
        if (r != oR && r != oE && !priv) return -EPERM;
    }
    if (e != INVALID_ID) {
        nE = e;
        if (e != oR && e != oE && e != oS && !priv) return -EPERM;
    }
    if (r != INVALID_ID || (e != INVALID_ID && e != oR)) nS = nE;
    *R = nR; *E = nE; *S = nS; *F = nE;
    if (!gid) fix_setuid(c, &old);
    return 0;
}

static int64_t sys_setreuid(struct syscall *sc) { return set_re(sc, false); }
static int64_t sys_setregid(struct syscall *sc) { return set_re(sc, true); }

static int set_res(struct syscall *sc, bool gid)
{
    struct process *p = sc->t->proc;
    struct cred *c = cred_of(p), old = *c;
    uint32_t v[3] = { (uint32_t)sc->a[0], (uint32_t)sc->a[1], (uint32_t)sc->a[2] };
    if (!capable(p, gid ? CAP_SETGID_ : CAP_SETUID_))
        for (int i = 0; i < 3; i++)
            if (v[i] != INVALID_ID && !is_id(c, v[i], gid)) return -EPERM;
    uint32_t *dst[3] = { gid ? &c->gid : &c->uid, gid ? &c->egid : &c->euid, gid ? &c->sgid : &c->suid };
    for (int i = 0; i < 3; i++) if (v[i] != INVALID_ID) *dst[i] = v[i];
    if (gid) c->fsgid = c->egid; else c->fsuid = c->euid;
    if (!gid) fix_setuid(c, &old);
    return 0;
}

static int64_t sys_setresuid(struct syscall *sc) { return set_res(sc, false); }
static int64_t sys_setresgid(struct syscall *sc) { return set_res(sc, true); }

/* setfsuid/setfsgid return the old value whether or not they changed it. */
static int64_t sys_setfsuid(struct syscall *sc)
{
    struct process *p = sc->t->proc;
    struct cred *c = cred_of(p);
    uint32_t old = c->fsuid, u = (uint32_t)sc->a[0];
    if (u == INVALID_ID) return old;
    if (u == c->uid || u == c->euid || u == c->suid || u == c->fsuid || capable(p, CAP_SETUID_)) {
        if (u != old) { c->fsuid = u; fix_setfsuid(c, old); }
    }
    return old;
}

static int64_t sys_setfsgid(struct syscall *sc)
{
    struct process *p = sc->t->proc;
    struct cred *c = cred_of(p);
    uint32_t old = c->fsgid, g = (uint32_t)sc->a[0];
    if (g == INVALID_ID) return old;
    if (g == c->gid || g == c->egid || g == c->sgid || g == c->fsgid || capable(p, CAP_SETGID_)) c->fsgid = g;
    return old;
}

static int64_t sys_getuid(struct syscall *sc) { return cred_of(sc->t->proc)->uid; }
static int64_t sys_geteuid(struct syscall *sc) { return cred_of(sc->t->proc)->euid; }
static int64_t sys_getgid(struct syscall *sc) { return cred_of(sc->t->proc)->gid; }
static int64_t sys_getegid(struct syscall *sc) { return cred_of(sc->t->proc)->egid; }

static int64_t put_res(struct syscall *sc, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t id[3] = { a, b, c };
    for (int i = 0; i < 3; i++)
        if (guest_write(sc->t->as, sc->a[i], &id[i], 4)) return -EFAULT;
    return 0;
}

static int64_t sys_getresuid(struct syscall *sc)
{
    struct cred *c = cred_of(sc->t->proc);
    return put_res(sc, c->uid, c->euid, c->suid);
}

static int64_t sys_getresgid(struct syscall *sc)
{
    struct cred *c = cred_of(sc->t->proc);
    return put_res(sc, c->gid, c->egid, c->sgid);
}

static int64_t sys_getgroups(struct syscall *sc)
{
    struct cred *c = cred_of(sc->t->proc);
    int size = (int)sc->a[0];
    if (size < 0) return -EINVAL;
    if (size == 0) return c->ngroups;
    if (size < c->ngroups) return -EINVAL;
    return c->ngroups && guest_write(sc->t->as, sc->a[1], c->groups, 4 * (size_t)c->ngroups) ? -EFAULT : c->ngroups;
}

static int64_t sys_setgroups(struct syscall *sc)
{
    struct process *p = sc->t->proc;
    int n = (int)sc->a[0];
    if (n < 0 || n > NGROUPS_MAX_) return -EINVAL;
    uint32_t *g = n ? malloc((size_t)n * 4) : NULL;
    if (n && !g) return -ENOMEM;
    if (n && guest_read(sc->t->as, sc->a[1], g, (size_t)n * 4)) { free(g); return -EFAULT; }
    if (!capable(p, CAP_SETGID_)) { free(g); return -EPERM; }
    if (n > 1) qsort(g, (size_t)n, 4, cmp_u32);
    struct cred *c = cred_of(p);
    free(c->groups);
    c->groups = g;
    c->ngroups = n;
    return 0;
}

/* ---- capabilities ---- */

/* The header's version: how many data words, or -EINVAL after writing the preferred one. */
static int cap_words(struct syscall *sc, int *pid)
{
    struct { uint32_t version; int pid; } hdr;
    if (guest_read(sc->t->as, sc->a[0], &hdr, sizeof hdr)) return -EFAULT;
    if (hdr.version != CAP_V1 && hdr.version != CAP_V2 && hdr.version != CAP_V3) {
        uint32_t v = CAP_V3;
        if (guest_write(sc->t->as, sc->a[0], &v, 4)) return -EFAULT;
        return -EINVAL;
    }
    *pid = hdr.pid;
    return hdr.version == CAP_V1 ? 1 : 2;
}

static int64_t sys_capget(struct syscall *sc)
{
    int pid = 0, n = cap_words(sc, &pid);
    if (!sc->a[1]) return n == -EINVAL || n > 0 ? 0 : n;
    if (n < 0) return n;
    if (pid < 0) return -EINVAL;
    struct process *p = sc->t->proc;
    if (pid && pid != p->pid) {
        struct task *o = task_by_tid(pid);
        if (!o || o->state == TASK_DEAD) return -ESRCH;
        p = o->proc;
    }
    struct cred *c = cred_of(p);
    struct cap_data d[2] = {
        { (uint32_t)c->cap_eff, (uint32_t)c->cap_prm, (uint32_t)c->cap_inh },
        { (uint32_t)(c->cap_eff >> 32), (uint32_t)(c->cap_prm >> 32), (uint32_t)(c->cap_inh >> 32) },
    };
    return guest_write(sc->t->as, sc->a[1], d, (size_t)n * sizeof d[0]) ? -EFAULT : 0;
}

static int64_t sys_capset(struct syscall *sc)
{
    int pid = 0, n = cap_words(sc, &pid);
    if (n < 0) return n;
    struct process *p = sc->t->proc;
    if (pid && pid != p->pid) return -EPERM;
    struct cap_data d[2] = { { 0 } };
    if (guest_read(sc->t->as, sc->a[1], d, (size_t)n * sizeof d[0])) return -EFAULT;
    uint64_t eff = d[0].effective | (uint64_t)d[1].effective << 32;
    uint64_t prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
    uint64_t inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
    struct cred *c = cred_of(p);
    /* cap_capset: no new permitted ones, effective within permitted, inheritable within
     * the old inheritable and permitted ones (with CAP_SETPCAP: and the bounding set). */
    uint64_t inh_lim = c->cap_inh | ((c->cap_eff & CAPB(CAP_SETPCAP_)) ? c->cap_bnd : c->cap_prm);
    if ((c->cap_eff & CAPB(CAP_SETPCAP_)) && (inh & ~(c->cap_inh | c->cap_bnd))) return -EPERM;
    if ((prm & ~c->cap_prm) || (eff & ~prm) || (inh & ~inh_lim)) return -EPERM;
    c->cap_eff = eff; c->cap_prm = prm; c->cap_inh = inh;
    c->cap_amb &= prm & inh;
    return 0;
}

int64_t cred_prctl(struct process *p, int option, uint64_t arg2, bool *handled)
{
    struct cred *c = cred_of(p);
    *handled = true;
    switch (option) {
    case PR_GET_KEEPCAPS: return !!(c->securebits & SECBIT_KEEP_CAPS_);
    case PR_SET_KEEPCAPS:
        if (arg2 > 1) return -EINVAL;
        if (c->securebits & (SECBIT_KEEP_CAPS_ << 1)) return -EPERM;   /* locked */
        if (arg2) c->securebits |= SECBIT_KEEP_CAPS_; else c->securebits &= ~SECBIT_KEEP_CAPS_;
        return 0;
    case PR_GET_SECUREBITS: return c->securebits;
    case PR_SET_SECUREBITS:
        if (arg2 & ~(uint64_t)(SECURE_ALL_BITS_ | SECURE_ALL_LOCKS_)) return -EINVAL;
        /* Locked bits may not change, and only with CAP_SETPCAP. */
        if ((((c->securebits & SECURE_ALL_LOCKS_) >> 1) & (c->securebits ^ (unsigned)arg2)) ||
            (c->securebits & SECURE_ALL_LOCKS_ & ~(unsigned)arg2) || !capable(p, CAP_SETPCAP_))
            return -EPERM;
        c->securebits = (unsigned)arg2;
        return 0;
    case PR_CAPBSET_READ:
        if (arg2 > 63 || !(cap_last_mask() & CAPB(arg2))) return -EINVAL;
        return !!(c->cap_bnd & CAPB(arg2));
    case PR_CAPBSET_DROP:
        if (arg2 > 63 || !(cap_last_mask() & CAPB(arg2))) return -EINVAL;
        if (!capable(p, CAP_SETPCAP_)) return -EPERM;
        c->cap_bnd &= ~CAPB(arg2);
        return 0;
    default:
        *handled = false;
        return 0;
    }
}

/* kill_ok_by_cred: a signal to another process needs matching ids or CAP_KILL. */
bool cred_may_signal(struct process *from, struct process *to)
{
    if (from == to) return true;
    struct cred *a = cred_of(from), *b = cred_of(to);
    if (a->euid == b->suid || a->euid == b->uid || a->uid == b->suid || a->uid == b->uid) return true;
    return capable(from, CAP_KILL_);
}

/* ---- how arguments print ---- */

static void fmt_id(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_printf(sb, "%d", (int)(uint32_t)sc->a[i]);
}

/* getresuid's outputs: [N], or the address when the call failed. */
static void fmt_id_out(struct strbuf *sb, struct syscall *sc, int i)
{
    uint32_t v;
    if (sc->ret < 0 || guest_read(sc->t->as, sc->a[i], &v, 4)) { fmt_ptr(sb, sc, i); return; }
    sb_printf(sb, "[%u]", v);
}

static void fmt_groups(struct strbuf *sb, struct syscall *sc, int i, int n)
{
    if (n <= 0 || !sc->a[i]) { fmt_ptr(sb, sc, i); return; }
    sb_putc(sb, '[');
    for (int k = 0; k < n && k < 32; k++) {
        uint32_t v;
        if (guest_read(sc->t->as, sc->a[i] + 4 * (uint64_t)k, &v, 4)) { sb_puts(sb, "..."); break; }
        sb_printf(sb, k ? ", %u" : "%u", v);
    }
    if (n > 32) sb_puts(sb, ", ...");
    sb_putc(sb, ']');
}

static void fmt_getgroups_list(struct strbuf *sb, struct syscall *sc, int i)
{
    fmt_groups(sb, sc, i, (int)sc->a[0] == 0 ? 0 : (int)sc->ret);
}

static void fmt_setgroups_list(struct strbuf *sb, struct syscall *sc, int i)
{
    fmt_groups(sb, sc, i, (int)sc->a[0]);
}

const struct syscall_def cred_syscalls[] = {
    { SYS_capget, "capget", sys_capget, 2, { IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_capset, "capset", sys_capset, 2, { IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_getuid, "getuid", sys_getuid, 0, { { 0 } }, NULL },
    { SYS_geteuid, "geteuid", sys_geteuid, 0, { { 0 } }, NULL },
    { SYS_getgid, "getgid", sys_getgid, 0, { { 0 } }, NULL },
    { SYS_getegid, "getegid", sys_getegid, 0, { { 0 } }, NULL },
    { SYS_getresuid, "getresuid", sys_getresuid, 3, { OUT(fmt_id_out), OUT(fmt_id_out), OUT(fmt_id_out) }, NULL },
    { SYS_getresgid, "getresgid", sys_getresgid, 3, { OUT(fmt_id_out), OUT(fmt_id_out), OUT(fmt_id_out) }, NULL },
    { SYS_getgroups, "getgroups", sys_getgroups, 2, { IN(fmt_int), OUT(fmt_getgroups_list) }, NULL },
    { SYS_setgroups, "setgroups", sys_setgroups, 2, { IN(fmt_int), IN(fmt_setgroups_list) }, NULL },
    { SYS_setuid, "setuid", sys_setuid, 1, { IN(fmt_id) }, NULL },
    { SYS_setgid, "setgid", sys_setgid, 1, { IN(fmt_id) }, NULL },
    { SYS_setreuid, "setreuid", sys_setreuid, 2, { IN(fmt_id), IN(fmt_id) }, NULL },
    { SYS_setregid, "setregid", sys_setregid, 2, { IN(fmt_id), IN(fmt_id) }, NULL },
    { SYS_setresuid, "setresuid", sys_setresuid, 3, { IN(fmt_id), IN(fmt_id), IN(fmt_id) }, NULL },
    { SYS_setresgid, "setresgid", sys_setresgid, 3, { IN(fmt_id), IN(fmt_id), IN(fmt_id) }, NULL },
    { SYS_setfsuid, "setfsuid", sys_setfsuid, 1, { IN(fmt_id) }, NULL },
    { SYS_setfsgid, "setfsgid", sys_setfsgid, 1, { IN(fmt_id) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
