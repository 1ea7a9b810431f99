/* The kernel's task objects (DESIGN.md, "The model"): a thread points at the parts it
 * may share with others (address space, file table, fs info, signal handlers) and at
 * its thread group (the process). clone flags choose what is shared. */
#ifndef UNIEMU_TASK_H
#define UNIEMU_TASK_H
#include <stdbool.h>
#include <stdint.h>

struct addr_space;
struct fd_table;

/* Pids and tids are handed out from here, in order, so every run sees the same ones. */
#define FIRST_PID 1000

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

enum task_state { TASK_RUNNABLE, TASK_EXITED };

struct process {
    int pid, ppid, pgid, sid;
    char *exe;           /* absolute host path of the program: /proc/self/exe */
    bool exited;
    int wait_status;     /* as wait4 encodes it */
};

struct task {
    int tid;
    struct process *proc;
    struct addr_space *as;
    struct fd_table *files;
    struct fs_info *fs;
    struct sighand *sighand;
    uint64_t sigmask;
    uint64_t clear_child_tid, robust_list, robust_len;
    enum task_state state;
};

struct task *task_create_initial(const char *exe);
void task_destroy(struct task *t);
#endif
