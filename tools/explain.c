/* Explanations in words: the history of each address space's mappings (who mapped or
 * unmapped what, when, from where), warnings at the moment of a mistake (memory taken
 * away under another task's stack pointer, a clone stack that cannot be right), and
 * the parts of a crash report that use them (docs/run.md, "Crash reports"). */
#include "tools/explain.h"
#include "tools/symbols.h"
#include "scheduler/sched.h"
#include "scheduler/run.h"
#include "scheduler/task.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include "core/det.h"
#include "core/guest_mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool explain_warnings = true;

#define MAX_HISTORY 4096

struct map_event {
    uint64_t start, end;
    const char *what;
    int tid;
    uint64_t insns, rip;
};

/* Per address space; kept apart from struct addr_space so core/ stays about the engine. */
struct history {
    struct addr_space *as;
    struct map_event *ev;
    int n;
    struct history *next;
};
static struct history *histories;

static struct history *history_of(struct addr_space *as, bool create)
{
    for (struct history *h = histories; h; h = h->next)
        if (h->as == as) return h;
    if (!create) return NULL;
    struct history *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->as = as;
    h->next = histories;
    histories = h;
    return h;
}

void explain_forget(struct addr_space *as)
{
    for (struct history **p = &histories; *p; p = &(*p)->next)
        if ((*p)->as == as) {
            struct history *h = *p;
            *p = h->next;
            free(h->ev);
            free(h);
            return;
        }
}

void explain_forget_all(void)
{
    while (histories) {
        struct history *h = histories;
        histories = h->next;
        free(h->ev);
        free(h);
    }
}

static uint64_t task_sp(struct task *t)
{
    if (!t->as) return 0;
    return t->as->loaded == t ? cpu_get(t->as, R_RSP) : cpu_ctx_get(t->ctx, R_RSP);
}

static uint64_t task_pc(struct task *t)
{
    if (!t->as) return 0;
    return t->as->loaded == t ? cpu_get(t->as, R_RIP) : cpu_ctx_get(t->ctx, R_RIP);
}

void explain_map_event(struct task *t, const char *what, uint64_t start, uint64_t end)
{
    struct history *h = history_of(t->as, true);
    if (!h) return;
    if (h->n == MAX_HISTORY) {   /* keep the newest */
        memmove(h->ev, h->ev + 1, (MAX_HISTORY - 1) * sizeof *h->ev);
        h->n--;
    }
    if (!h->ev && !(h->ev = calloc(MAX_HISTORY, sizeof *h->ev))) return;
    h->ev[h->n++] = (struct map_event){ start, end, what, t->tid, det_insns(), task_pc(t) };
}

void explain_check_taken(struct task *t, const char *what, uint64_t start, uint64_t end)
{
    if (!explain_warnings) return;
    int n;
    struct task *const *live = sched_live(&n);
    for (int i = 0; i < n; i++) {
        struct task *u = live[i];
        if (u == t || u->as != t->as) continue;
        uint64_t sp = task_sp(u);
        /* The page just below the stack pointer is part of it too (the next push). */
        if (sp - 1 >= start && sp - 1 < end)
            fprintf(DIAG, "uniemu: warning: task %d (at %#llx) %s [%#llx, %#llx), which holds task %d's stack (its "
                            "stack pointer is %#llx): task %d will fault at its next stack access\n",
                    t->tid, (unsigned long long)task_pc(t), what, (unsigned long long)start, (unsigned long long)end,
                    u->tid, (unsigned long long)sp, u->tid);
    }
}

void explain_clone_stack(struct task *parent, struct task *child, uint64_t stack, uint64_t size, bool clone3)
{
    uint64_t sp = clone3 ? stack + size : stack;
    const struct vma *v = as_find(child->as, sp - 1);
    char note[512] = "";
    if (v) return;   /* the stack pointer lands in memory: nothing to say */
    if (clone3) {
        /* clone_args.stack is the lowest address of the stack: a value at the end of a
         * mapping is the classic mistake of passing its top. */
        const struct vma *below = as_find(parent->as, stack - 1);
        if (below && below->end == PAGE_UP(stack) && stack - below->start <= size + 64)
            snprintf(note, sizeof note,
                     "clone3's clone_args.stack is %#llx, the END of the mapping [%#llx, %#llx) (the top of the "
                     "stack block, it seems); the kernel starts the child at stack + stack_size = %#llx, %llu KiB "
                     "(stack_size) past the end of the block, outside any mapping: `stack` must be the block's "
                     "lowest address",
                     (unsigned long long)stack, (unsigned long long)below->start, (unsigned long long)below->end,
                     (unsigned long long)sp, (unsigned long long)(size >> 10));
    }
    if (!note[0])
        snprintf(note, sizeof note, "the child's stack pointer %#llx (from %s) lies outside any mapping",
                 (unsigned long long)sp, clone3 ? "clone_args.stack + stack_size" : "clone's stack argument");
    if (!note[0]) return;
    snprintf(child->clone_note, sizeof child->clone_note, "%s", note);
    if (explain_warnings)
        fprintf(DIAG, "uniemu: warning: task %d (at %#llx) creates task %d: %s\n", parent->tid,
                (unsigned long long)task_pc(parent), child->tid, note);
}

/* What the history says about addr: the last event that covered it, and the mapping
 * it is past the end of. */
void explain_address(struct task *t, uint64_t addr)
{
    struct history *h = history_of(t->as, false);
    const struct vma *v = as_find(t->as, addr);
    if (!v) {
        /* The nearest mapping below: how far past its end. */
        const struct vma *below = NULL;
        for (size_t i = 0; i < t->as->nvmas && t->as->vmas[i].end <= addr; i++) below = &t->as->vmas[i];
        if (below && addr - below->end < (64ULL << 20))
            fprintf(DIAG, "  %#llx is %#llx bytes past the end of %llx-%llx %s\n", (unsigned long long)addr,
                    (unsigned long long)(addr - below->end), (unsigned long long)below->start,
                    (unsigned long long)below->end, below->name ? below->name : "[anon]");
    }
    /* Its history, newest first: who mapped, protected, moved or unmapped it. */
    int shown = 0;
    for (int i = h ? h->n - 1 : -1; i >= 0 && shown < 5; i--) {
        struct map_event *e = &h->ev[i];
        if (addr < e->start || addr >= e->end) continue;
        fprintf(DIAG, "  it was %s covered by %s of [%#llx, %#llx) by task %d at instruction %llu, from %#llx\n",
                shown ? "before that" : "last", e->what, (unsigned long long)e->start, (unsigned long long)e->end,
                e->tid, (unsigned long long)e->insns, (unsigned long long)e->rip);
        shown++;
    }
    if (t->clone_note[0]) {
        uint64_t sp = task_sp(t);
        if (addr + 0x10000 > sp && addr < sp + 0x10000)
            fprintf(DIAG, "  the fault is at the stack pointer, and at its creation: %s\n", t->clone_note);
    }
}

/* fault_rip: the faulting instruction (t's own RIP is still its block's start). */
void explain_tasks_and_backtrace(struct task *t, uint64_t fault_rip)
{
    /* A backtrace by frame pointers, where the code keeps them. */
    uint64_t rbp = cpu_get(t->as, R_RBP);
    int frames = 0;
    char sym[512];
    for (; frames < 16 && rbp && !(rbp & 7); frames++) {
        uint64_t frame[2];
        if (guest_read(t->as, rbp, frame, sizeof frame)) break;
        if (!frames) fprintf(DIAG, "  backtrace (frame pointers):\n");
        /* A return address: the call is the instruction before it. */
        fprintf(DIAG, "    %#llx%s\n", (unsigned long long)frame[1],
                sym_describe(t->as, frame[1] ? frame[1] - 1 : 0, sym, sizeof sym));
        if (frame[0] <= rbp) break;
        rbp = frame[0];
    }
    int n;
    struct task *const *live = sched_live(&n);
    if (n > 1) {
        fprintf(DIAG, "  tasks:");
        for (int i = 0; i < n; i++)
            fprintf(DIAG, " %d(%s at %#llx)", live[i]->tid,
                    live[i] == t ? "faulted" : live[i]->state == TASK_BLOCKED ? "blocked" : "runnable",
                    (unsigned long long)(live[i] == t ? fault_rip : task_pc(live[i])));
        fputc('\n', DIAG);
    }
}
