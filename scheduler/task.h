/* The kernel's task objects (DESIGN.md, "The model"): a thread points at the parts it
 * may share with others (address space, file table, fs info, signal handlers) and at
 * its thread group (the process). clone flags choose what is shared. */
#ifndef UNIEMU_TASK_H
#define UNIEMU_TASK_H
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include "syscalls/syscall.h"

struct addr_space;
struct fd_table;
struct cpu_ctx;

/* Pids and tids are handed out from here, in order, so every run sees the same ones. */
#define FIRST_PID 1000
/* The parent of the first process, and of orphans (init). */
#define OUTSIDE_PPID (FIRST_PID - 1)
#define INIT_PID 1

struct fs_info {
    int refs;
    int cwd_fd;          /* host O_PATH descriptor of the guest's working directory */
    unsigned umask;
};

struct k_sigaction {
    uint64_t handler, flags, restorer, mask;
};

struct sighand {
    int refs;
    struct k_sigaction act[64];
};

enum task_state {
    TASK_RUNNABLE,
    TASK_BLOCKED,        /* in a system call that waits (see enum wait_kind) */
    TASK_DEAD,
};

/* What a blocked task waits for. */
enum wait_kind {
    WAIT_NONE,
    WAIT_FUTEX,          /* a futex word: woken by FUTEX_WAKE or its timeout */
    WAIT_IO,             /* a pipe or eventfd: the call is retried after any I/O on one */
    WAIT_CHILD,          /* wait4/waitid: retried when a child changes state */
    WAIT_SLEEP,          /* nanosleep: only its timeout */
    WAIT_VFORK,          /* vfork: until the child execs or exits */
    WAIT_SIGNAL,         /* pause, rt_sigsuspend, rt_sigtimedwait */
    WAIT_STOPPED,        /* its process is stopped (SIGSTOP) */
};

/* Pending signals: a set, and the queued siginfo of each (one per standard signal,
 * every one for real-time signals). */
struct queued_sig {
    siginfo_t info;
    struct queued_sig *next;
};
struct sigpending {
    uint64_t set;
    struct queued_sig *head;
};

/* A process's credentials, as the kernel's struct cred (syscalls/cred.c): first those
 * of uniemu itself, read at first use; then changed only by the guest's own calls. */
struct cred {
    bool known;
    uint32_t uid, euid, suid, fsuid;
    uint32_t gid, egid, sgid, fsgid;
    int ngroups;
    uint32_t *groups;            /* sorted, as the kernel keeps them */
    uint64_t cap_eff, cap_prm, cap_inh, cap_bnd, cap_amb;
    unsigned securebits;         /* SECBIT_KEEP_CAPS and friends (prctl) */
};

/* A POSIX timer or an itimer (syscalls/timer.c). */
struct guest_timer;

struct process {
    int pid, pgid, sid;
    struct process *parent;      /* NULL: the outside world or init (see ppid) */
    int ppid;
    char *exe;                   /* absolute host path of the program: /proc/self/exe */
    int exit_signal;             /* sent to the parent at death (SIGCHLD, or another) */
    int nthreads;                /* live threads */
    bool group_exiting;          /* exit_group or a fatal signal is ending it */
    int group_status;
    bool zombie;                 /* dead, waiting for its parent to reap it */
    bool reaped;
    int wait_status;             /* as wait4 encodes it */
    struct task *vfork_parent;   /* blocked in vfork until this process execs or exits */
    struct sigpending shared;    /* process-directed signals */
    int fatal_sig;               /* a signal whose default action ends it (SIGKILL...) */
    siginfo_t fatal_info;
    bool stopped;                /* SIGSTOP and friends: no thread runs until SIGCONT */
    int stop_report;             /* for the parent's wait: 0, or the stop or continue status */
    uint64_t cpu_insns;          /* instructions its threads retired: its CPU time */
    struct guest_timer *timers;  /* itimers and POSIX timers */
    uint64_t fault_rip, fault_addr; /* the fault that killed it, if one did */
    int fault_sig;
    struct cred cred;            /* uids, gids, groups, capabilities (syscalls/cred.c) */
    struct rlimit rlim[RLIM_NLIMITS];   /* resource limits (syscalls/limits.c), once rlim_known */
    bool rlim_known;
    /* prctl's process state (syscalls/prctl.c): the signal it gets when its parent
     * dies, whether orphans below it come to it instead of init, no_new_privs,
     * dumpable (the mm's, here the process's), and personality(2)'s persona. */
    int pdeathsig;
    bool child_subreaper;
    bool no_new_privs;
    int dumpable;
    unsigned personality;
    /* CPU time (retired instructions) of its reaped children and theirs: RUSAGE_CHILDREN. */
    uint64_t children_insns;
};

struct task {
    int tid;
    struct process *proc;
    struct addr_space *as;
    struct fd_table *files;
    struct fs_info *fs;
    struct sighand *sighand;
    struct cpu_ctx *ctx;         /* registers while not loaded in the engine */
    uint64_t sigmask;
    struct sigpending pending;   /* thread-directed signals */
    struct { uint64_t sp, size; int flags; } altstack;
    uint64_t saved_mask;         /* rt_sigsuspend's mask to restore after the handler */
    bool has_saved_mask;
    uint64_t sigwait_set;        /* rt_sigtimedwait: the signals it waits for */
    bool interrupted;            /* a signal woke it from a blocked call */
    int restart_code;            /* ERESTART* of a call cut short, until delivery settles it */
    int restart_nr;
    bool fault_pending;          /* a CPU fault queued as a signal: its sigcontext details */
    int fault_sig;
    uint64_t fault_trapno, fault_err, fault_cr2;
    uint64_t clear_child_tid, robust_list, robust_len;
    /* rseq registration (syscalls/rseq.c); rseq_event: preempted since the fields were
     * last brought up to date. */
    uint64_t rseq_addr;
    uint32_t rseq_len, rseq_sig;
    bool rseq_event;
    enum task_state state;

    /* A system call that blocked: kept to be completed (or retried) when woken. */
    struct syscall sc;
    bool in_syscall;             /* sc is pending */
    bool retry;                  /* run the handler again when woken */
    enum wait_kind wait;
    uint64_t wait_addr;          /* WAIT_FUTEX: the word; WAIT_IO: unused */
    uint32_t wait_bitset;        /* 0: waits on a PI futex (FUTEX_LOCK_PI) */
    int pi_owner;                /* that futex's owner (syscalls/futex.c) */
    uint64_t *waitv;             /* futex_waitv: the words it waits on (waitv_n of them) */
    int waitv_n;
    uint64_t wake_at_ns;         /* virtual time of the timeout; 0: none */
    uint64_t block_seq;          /* order of blocking: FIFO wake of futex waiters */
    bool timed_out;              /* woken by the timeout */
    int64_t wake_result;         /* result of a non-retried call when woken */
    uint64_t io_done;            /* bytes a blocking write has moved so far */
    struct strbuf log_head;      /* "name(args, " of a blocked call, for the log */
    bool log_unfinished;         /* "<unfinished ...>" was printed for it */
    enum { EXIT_NONE, EXIT_THREAD, EXIT_GROUP } exit_pending;  /* exit or exit_group was called */
    int exit_status;
    bool exec_done;
    /* The thread's name (PR_SET_NAME, /proc/PID/task/TID/comm), its timer slack, and its
     * scheduling policy, real-time priority, nice value and CPU affinity as set (read
     * back only: uniemu's scheduler decides who runs). syscalls/prctl.c and
     * syscalls/sched_policy.c. */
    char comm[16];
    uint64_t cpu_insns;          /* instructions this thread retired (RUSAGE_THREAD) */
    uint64_t timer_slack_ns, default_timer_slack_ns;
    int sched_policy, sched_priority, nice;
    bool sched_reset_on_fork;
    uint64_t dl_runtime, dl_deadline, dl_period;   /* SCHED_DEADLINE's, as set */
    uint64_t affinity;
    char clone_note[512];        /* what was wrong with the stack it was created with */              /* execve replaced the program: registers are fresh */
};

/* The first task of the first process. */
struct task *task_create_initial(const char *exe);
/* All tasks ever created, in creation (tid) order; dead ones stay, marked TASK_DEAD. */
extern struct task **all_tasks;
extern int ntasks;
int task_next_pid(void);
/* A new task record (registered in all_tasks); the caller fills in the parts. */
struct task *task_new(int tid);
/* The thread's name from a program path: its last component, 15 bytes at most. */
void task_set_comm(struct task *t, const char *path);
struct process *process_new(int pid);
/* The process is gone for good (reaped, or never waited for). */
void process_reap(struct process *p);
/* Processes created and not yet reaped (zombies count, as for RLIMIT_NPROC). */
int processes_unreaped(void);
/* Live task with this tid, or NULL. */
struct task *task_by_tid(int tid);
/* Process with this pid that has not been reaped, or NULL. */
struct process *process_by_pid(int pid);
void fs_put(struct fs_info *fs);
void sighand_put(struct sighand *sh);
/* Wakes up to n futex waiters on addr in as (syscalls/futex.c). Returns how many. */
int futex_wake_addr(struct addr_space *as, uint64_t addr, int n);
/* A thread ends or execs: its robust list is walked (robust mutexes it held get
 * FUTEX_OWNER_DIED and a waiter is woken) and the PI futexes it held go to their
 * waiters (syscalls/futex.c). */
void futex_task_release(struct task *t);
/* get_robust_list of another task (NULL: init, outside the guest, never): ptrace_may_access's
 * check with real ids. */
bool futex_may_read_robust(struct task *caller, struct task *target);
/* Frees every record at the end of the run. */
void tasks_free_all(void);
/* Each process's end, in pid order: "1000:exit0 1001:SEGV@0x401000[0x10]" (explore). */
void tasks_describe(char *out, size_t n);
#endif
