/* The scheduler: which guest task runs next, and for how many instructions.
 * One task runs at a time. Every choice goes through sched_next(), as a stream of
 * decisions (task, slice) that can be written out and forced back in: the base of
 * record/replay. Blocking and waking of tasks also live here. */
#ifndef UNIEMU_SCHED_H
#define UNIEMU_SCHED_H
#include <stdbool.h>
#include <stdint.h>
#include "scheduler/task.h"

enum sched_kind { SCHED_RR, SCHED_RANDOM, SCHED_PCT, SCHED_GUIDED };

/* SCHED_GUIDED (minimize): run the current task as long as it can run (but give way to
 * the next tid after a long stretch while others could run: sched.c's guided_fair), else
 * the lowest tid; and at each guide event's instruction count switch to its task (an
 * event for the running task itself is a "stay": it restarts that stretch). */
struct guide_event { uint64_t at; int tid; };
void sched_set_guide(const struct guide_event *ev, int n);
/* Called, while replaying to extract a record's deviations, at each decision where the
 * task chosen is not the one the guided policy would choose (canonical), and with
 * canonical -1 where the guided run needs a stay to keep following the record. */
extern void (*sched_trace)(uint64_t now, int chosen, int canonical);
/* Called when a guide event switches tasks (minimize explains the switches). */
extern void (*sched_guide_applied)(uint64_t at, struct task *from, struct task *to);

struct sched_options {
    enum sched_kind kind;
    uint64_t quantum;            /* instructions per slice (rr), mean slice (random), cap (pct) */
    int pct_depth;               /* PCT's d: d-1 priority change points */
    uint64_t pct_horizon;        /* change points fall in [1, horizon] retired instructions */
    const char *decisions_out;   /* write each decision here ("tid slice" lines) */
    const char *decisions_in;    /* force the decisions read from here */
};

#define SCHED_DEFAULT_QUANTUM 10000
#define SCHED_DEFAULT_PCT_HORIZON 1000000

/* Parses "rr", "random", "pct", "pct:D" or "pct:D:H". 0 or -1. */
int sched_parse(const char *spec, struct sched_options *o);
/* 0, or -1 with a message on stderr (a decisions file that cannot be opened). */
int sched_init(const struct sched_options *o);
void sched_fini(void);

enum sched_status { SCHED_OK, SCHED_DONE, SCHED_DEADLOCK, SCHED_DIVERGED };
/* The task to run next and its budget of instructions. NULL with the reason when no
 * task can run. Wakes tasks whose timeout has come, moving virtual time forward when
 * every live task sleeps. */
struct task *sched_next(uint64_t *budget, enum sched_status *status);

/* Whether the last sched_next made a decision (more than one task could run). */
bool sched_decided(void);

/* A task joins (clone, fork) or leaves (death) the set of live tasks. */
void sched_add(struct task *t);
void sched_remove(struct task *t);
int sched_live_tasks(void);
/* The live tasks, in tid order (valid until the next sched_add/sched_remove). */
struct task *const *sched_live(int *n);
/* The running task used up its slice. */
void sched_preempted(struct task *t);
/* The task yields (sched_yield): others go first. */
void sched_yield_task(struct task *t);

/* Parks t in its current system call. timeout_ns is an absolute virtual time (0: none);
 * timeout_result is what a non-retried call returns when the timeout comes. */
void sched_block(struct task *t, enum wait_kind kind, uint64_t timeout_ns, bool retry, int64_t timeout_result);
/* A task just blocked (retried) also waits for these host descriptors: when nothing
 * else can run the scheduler polls them (for real only while no virtual timeout is
 * pending) and retries the task's call when one is ready. */
struct pollfd;
void sched_watch_host(struct task *t, const struct pollfd *fds, int n);
/* Makes a blocked task runnable; a non-retried call returns result. */
void sched_wake(struct task *t, int64_t result);
/* Retries every call waiting for pipe or eventfd I/O. */
void sched_wake_io(void);
/* Retries the wait4/waitid calls of a process's threads. */
void sched_wake_child_waiters(struct process *p);
#endif
