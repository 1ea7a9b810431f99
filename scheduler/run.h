/* The run loop: runs guest tasks until every process has ended. */
#ifndef UNIEMU_RUN_H
#define UNIEMU_RUN_H
#include <stdbool.h>
#include <stdint.h>
struct task;

#include "scheduler/sched.h"

/* uniemu's exit status when every task is blocked for ever (a deadlock) or a forced
 * schedule does not fit the run. */
#define DEADLOCK_STATUS 125
/* uniemu's exit status when the run reached its --max-insns budget and was stopped. */
#define LIMIT_STATUS 123

struct run_options {
    uint64_t seed;
    bool aslr;                 /* random address layout from the seed */
    bool net_faults;           /* short reads and writes, lost datagrams, resets, by seed */
    struct sched_options sched;
    const char *strace_path;   /* NULL: no log; "" or "-": stderr */
    const char *exe_override;  /* replay: the program's recorded absolute path */
    const char *execfn;        /* the program as the command line named it (AT_EXECFN) */
    const char *record_path;   /* record the run into this file */
    bool record_no_embed;      /* keep only the program's size and CRC in the record */
    char *outcome;             /* if set: filled with the run's outcome (explore) */
    size_t outcome_size;
    uint64_t max_insns;        /* stop the run (LIMIT_STATUS) after this many instructions; 0: no limit */
};

/* Loads and runs prog. Returns uniemu's exit status: the guest's exit code, 128+signal
 * when a signal killed it, or 126/127 when the program cannot be loaded. */
int run_program(const char *prog, char *const argv[], char *const envp[], const struct run_options *opt);

/* run_program in two steps, so that explore loads a program once and forks for each
 * seed: run_prepare loads it (0, or the status of a failure); run_prepared runs it
 * with opt's seed and scheduler (without --aslr the layout does not depend on the seed). */
/* exe: the real path of the file the command line named (a script, not its interpreter). */
struct prepared_run { struct task *task; uint64_t random_at; char exe[4096]; };
int run_prepare(const char *prog, char *const argv[], char *const envp[], const struct run_options *opt,
                struct prepared_run *pr);
int run_prepared(struct prepared_run *pr, const struct run_options *opt);

/* Ends the task (exit) or its whole process (exit_group) with a wait status. */
void task_exit(struct task *t, int wait_status, bool whole_process);
/* Where uniemu's own words about the guest go (crash reports, warnings, deadlocks):
 * stderr unless set (explore and minimize keep them out of the guest's output). */
#include <stdio.h>
extern FILE *diag_out;
#define DIAG (diag_out ? diag_out : stderr)
/* The crash report on stderr for a fault that kills. */
struct fault;
void report_fault(struct task *t, const struct fault *f);
/* Ends the process of t as the default action of sig does. */
void task_kill(struct task *t, int sig);
#endif
