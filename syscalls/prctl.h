/* prctl and personality: per-thread and per-process state that the kernel keeps for
 * them (scheduler/task.h), how it passes to children, and what a parent's death does
 * with it (syscalls/prctl.c). */
#ifndef UNIEMU_PRCTL_H
#define UNIEMU_PRCTL_H
struct task;
struct process;

/* A new thread c of t (clone): name, timer slack, scheduling attributes. */
void task_inherit(struct task *c, const struct task *t);
/* A new process np forked from p: what a child keeps (no_new_privs, dumpable,
 * personality) and what it does not (pdeathsig, being a subreaper). */
void process_inherit(struct process *np, const struct process *p);
/* Where the orphans of a dying process go: its nearest living ancestor that is a
 * child subreaper (PR_SET_CHILD_SUBREAPER), or NULL for init. */
struct process *prctl_new_reaper(const struct process *dying);
#endif
