/* Resource limits (syscalls/limits.c): the kernel's signal->rlim of each process,
 * copied at fork, kept across execve, enforced where Linux enforces them. */
#ifndef UNIEMU_LIMITS_H
#define UNIEMU_LIMITS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

struct task;
struct process;

/* The process's limits (Linux's defaults for a shell until the guest changes them). */
struct rlimit *limits_of(struct process *p);
/* A new process's limits: a copy of from's (fork, clone without CLONE_THREAD). */
void limits_copy(struct process *to, struct process *from);
/* prlimit64 (pid 0: the caller); getrlimit and setrlimit are prlimit64 on the caller. */
int64_t limits_prlimit(struct task *t, int pid, unsigned res, uint64_t new_addr, uint64_t old_addr);
/* The task's address space takes its process's stack and address-space limits (after
 * execve built a new one). */
void limits_attach(struct task *t);

/* /proc/PID/limits, as proc_pid_limits writes it. */
void limits_show(FILE *out, struct process *p);
/* RLIMIT_NOFILE: descriptors are below this (never above the file table's size). */
int limits_nofile(struct task *t);
/* RLIMIT_AS and RLIMIT_DATA (may_expand_vm): may len bytes with prot and flags be
 * mapped at start (replacing what lies there; start 0: nothing is replaced)? 0 or
 * -ENOMEM. */
int limits_may_map(struct task *t, uint64_t start, uint64_t len, int prot, int flags);
/* RLIMIT_DATA at mprotect: private memory made writable becomes data. 0 or -ENOMEM. */
int limits_may_protect(struct task *t, uint64_t start, uint64_t len, int prot);
/* RLIMIT_MEMLOCK: may the task lock memory at all (can_do_mlock: CAP_IPC_LOCK or a
 * limit above 0)? And may it lock [start, start+len) more (len 0: all its memory,
 * mlockall)? 0 or -ENOMEM. */
bool limits_can_mlock(struct task *t);
int limits_may_mlock(struct task *t, uint64_t start, uint64_t len);
/* RLIMIT_NPROC at fork and clone: 0 or -EAGAIN (root and CAP_SYS_RESOURCE are exempt). */
int limits_may_fork(struct task *t);
/* RLIMIT_CPU: instructions the process may still run before the next SIGXCPU or the
 * SIGKILL; and the check after it ran, which sends them. */
uint64_t limits_cpu_budget(struct process *p);
void limits_cpu_check(struct task *t);
/* RLIMIT_FSIZE is the host's own for the duration of a guest call (its write, truncate
 * and fallocate then stop where Linux stops, EFBIG); the SIGXFSZ the host raised goes to
 * the guest afterwards. Nothing is done while the guest's limit is infinite. */
void limits_enter(struct task *t);
void limits_leave(struct task *t);
#endif
