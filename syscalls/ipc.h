/* System V IPC (syscalls/ipc.c): the limits /proc/sys/kernel shows, and the exit hook. */
#ifndef UNIEMU_IPC_H
#define UNIEMU_IPC_H
#include <stddef.h>
#include <stdint.h>

/* /proc/sys/kernel/{shmmax,shmall,shmmni,sem,msgmax,msgmnb,msgmni}, Linux's defaults. */
struct ipc_limits {
    uint64_t shmmax, shmall, shmmni;
    int semmsl, semmns, semopm, semmni;   /* the four numbers of "sem" */
    int msgmax, msgmnb, msgmni;
};
extern struct ipc_limits ipc_limits;

/* "sys/kernel/NAME" (a path below /proc) when it is one of the limits: 0, with its
 * contents in out (when out), else -ENOENT. */
int ipc_sysctl(const char *name, char *out, size_t n);
/* A write to one of them, parsed as Linux does: len or -EINVAL. */
long ipc_sysctl_write(const char *name, const char *data, size_t len);

/* The files below /proc the model answers for IPC: "sys/kernel/..." (the limits) and
 * "sysvipc/{shm,sem,msg}". 0 when name is one (its contents written to out when
 * out is not NULL), else -ENOENT. */
#include <stdio.h>
int ipc_proc_show(const char *name, FILE *out);

struct shm_obj;
/* Whether shared memory may be mapped again (remap_file_pages) by a caller holding a
 * reference of its own: -EIDRM for a SysV segment removed whose attaches are all gone. */
int ipc_shm_usable(const struct shm_obj *obj);

struct process;
/* A process ends: its SEM_UNDO adjustments are applied. */
void ipc_process_exit(struct process *p);
#endif
