/* Restartable sequences (rseq): a thread registers a struct rseq; uniemu keeps its cpu
 * fields true (every guest thread runs on CPU 0, as getcpu says) and, when a thread is
 * preempted or gets a signal inside a registered critical section, sends it to the
 * section's abort handler, as the kernel's rseq_ip_fixup does. glibc registers one for
 * every thread. */
#include "syscalls/syscall.h"
#include "scheduler/task.h"
#include "scheduler/signals.h"
#include "core/cpu.h"
#include "core/guest_mem.h"
#include "core/addr_space.h"
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#define RSEQ_FLAG_UNREGISTER 1
#define ORIG_RSEQ_SIZE 32          /* the first struct rseq, and its alignment */
#define RSEQ_FEATURE_SIZE 28       /* offsetof(struct rseq, end), as AT_RSEQ_FEATURE_SIZE says */
#define RSEQ_CPU_ID_UNINITIALIZED 0xffffffffu

/* struct rseq's fields uniemu writes, by offset. */
struct rseq_cpu_fields { uint32_t cpu_id_start, cpu_id; };
#define RSEQ_OFF_CS 8
#define RSEQ_OFF_NODE_ID 20
#define RSEQ_OFF_MM_CID 24

struct rseq_cs_desc { uint32_t version, flags; uint64_t start_ip, post_commit_offset, abort_ip; };

static int write_cpu_fields(struct task *t, uint32_t cpu)
{
    struct rseq_cpu_fields f = { cpu == RSEQ_CPU_ID_UNINITIALIZED ? 0 : cpu, cpu };
    uint32_t zero = 0;
    if (guest_write(t->as, t->rseq_addr, &f, sizeof f)) return -EFAULT;
    if (t->rseq_len >= RSEQ_FEATURE_SIZE &&
        (guest_write(t->as, t->rseq_addr + RSEQ_OFF_NODE_ID, &zero, 4) ||
         guest_write(t->as, t->rseq_addr + RSEQ_OFF_MM_CID, &zero, 4)))
        return -EFAULT;
    return 0;
}

static int64_t sys_rseq(struct syscall *sc)
{
    struct task *t = sc->t;
    uint64_t addr = sc->a[0];
    uint32_t len = (uint32_t)sc->a[1], sig = (uint32_t)sc->a[3];
    int flags = (int)sc->a[2];
    if (flags & RSEQ_FLAG_UNREGISTER) {
        if (flags & ~RSEQ_FLAG_UNREGISTER) return -EINVAL;
        if (!t->rseq_addr || t->rseq_addr != addr || len != t->rseq_len) return -EINVAL;
        if (t->rseq_sig != sig) return -EPERM;
        if (write_cpu_fields(t, RSEQ_CPU_ID_UNINITIALIZED)) return -EFAULT;
        t->rseq_addr = 0;
        t->rseq_event = false;
        return 0;
    }
    if (flags) return -EINVAL;
    if (t->rseq_addr) {
        if (t->rseq_addr != addr || len != t->rseq_len) return -EINVAL;
        if (t->rseq_sig != sig) return -EPERM;
        return -EBUSY;
    }
    if (len < ORIG_RSEQ_SIZE || (len == ORIG_RSEQ_SIZE && addr % ORIG_RSEQ_SIZE) ||
        (len != ORIG_RSEQ_SIZE && (addr % 32 || len < RSEQ_FEATURE_SIZE)))
        return -EINVAL;
    if (addr >= TASK_SIZE_64 || len > TASK_SIZE_64 - addr) return -EFAULT;
    t->rseq_addr = addr;
    t->rseq_len = len;
    t->rseq_sig = sig;
    t->rseq_event = true;   /* the fields are filled in on the way back to the guest */
    return 0;
}

/* A critical section is left for its abort handler when the thread was interrupted in
 * it; rseq_cs is cleared either way. False when the guest's rseq data is bad (SIGSEGV). */
static bool fixup_ip(struct task *t)
{
    uint64_t cs_addr;
    if (guest_read(t->as, t->rseq_addr + RSEQ_OFF_CS, &cs_addr, 8)) return false;
    if (!cs_addr) return true;
    struct rseq_cs_desc cs;
    if (guest_read(t->as, cs_addr, &cs, sizeof cs)) return false;
    uint64_t ip = cpu_get(t->as, R_RIP);
    if (cs.version || cs.start_ip >= TASK_SIZE_64 || cs.post_commit_offset >= TASK_SIZE_64 ||
        cs.start_ip + cs.post_commit_offset > TASK_SIZE_64 || cs.abort_ip >= TASK_SIZE_64 ||
        (cs.abort_ip - cs.start_ip < cs.post_commit_offset))
        return false;
    uint64_t zero = 0;
    if (ip - cs.start_ip >= cs.post_commit_offset) {
        /* Outside the section: the kernel clears rseq_cs lazily, and so does uniemu. */
        return guest_write(t->as, t->rseq_addr + RSEQ_OFF_CS, &zero, 8) == 0;
    }
    uint32_t sig;
    if (guest_read(t->as, cs.abort_ip - 4, &sig, 4) || sig != t->rseq_sig) return false;
    if (guest_write(t->as, t->rseq_addr + RSEQ_OFF_CS, &zero, 8)) return false;
    cpu_set(t->as, R_RIP, cs.abort_ip);
    return true;
}

void rseq_resume(struct task *t, bool signal_pending)
{
    if (!t->rseq_addr || (!t->rseq_event && !signal_pending)) return;
    t->rseq_event = false;
    if (!fixup_ip(t) || write_cpu_fields(t, 0)) sig_send_simple(t, SIGSEGV, SI_KERNEL, 0, true);
}

static void fmt_rseq_flags(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->a[i] == RSEQ_FLAG_UNREGISTER) sb_puts(sb, "RSEQ_FLAG_UNREGISTER");
    else sb_printf(sb, "%llu", (unsigned long long)sc->a[i]);
}

const struct syscall_def rseq_syscalls[] = {
    { SYS_rseq, "rseq", sys_rseq, 4, { IN(fmt_ptr), IN(fmt_hex), IN(fmt_rseq_flags), IN(fmt_hex) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
