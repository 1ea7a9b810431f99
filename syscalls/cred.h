/* Guest credentials (syscalls/cred.c): uids, gids, groups and capabilities per process,
 * and the host thread switched to them for the host's own permission checks. */
#ifndef UNIEMU_CRED_H
#define UNIEMU_CRED_H
#include <stdbool.h>
#include <stdint.h>

struct process;
struct cred;
/* The process's credentials (uniemu's own until it changes them). */
struct cred *cred_of(struct process *p);
/* A new process's credentials: a copy of from's (fork, clone). */
void cred_copy(struct process *to, struct process *from);
/* Before a guest system call: the host thread takes p's fsuid, fsgid, groups and
 * effective capabilities, when they differ from what it has. */
void cred_enter(struct process *p);
/* Before access()/faccessat(): the real uid and gid instead, with the capabilities the
 * kernel gives access(). The next cred_enter switches back. */
void cred_enter_access(struct process *p);
/* The host thread gets uniemu's own credentials back (end of the run). */
void cred_host_restore(void);
/* execve: set-user-ID bits of path, root's capabilities, SECBIT_KEEP_CAPS cleared. */
void cred_exec(struct process *p, const char *path);
/* prctl options about capabilities and securebits; *handled false for any other. */
int64_t cred_prctl(struct process *p, int option, uint64_t arg2, bool *handled);
/* kill(): may from signal to? (ids match, or CAP_KILL) */
bool cred_may_signal(struct process *from, struct process *to);
/* Is gid the process's fsgid or one of its supplementary groups? (in_group_p) */
bool cred_in_group(struct process *p, uint32_t gid);
#endif
