/* File locks between guest processes (syscalls/locks.c): POSIX record locks, OFD locks
 * and flock, kept by uniemu on the host file's (device, inode). */
#ifndef UNIEMU_LOCKS_H
#define UNIEMU_LOCKS_H
#include <stdint.h>
struct task;
struct open_file;
struct fd_table;
/* fcntl F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ ones; may block (RET_BLOCK). */
int64_t locks_fcntl(struct task *t, struct open_file *f, int cmd, uint64_t arg);
/* open(): breaks the leases of others that the open conflicts with, waiting (RET_BLOCK)
 * until they are given up or broken; 0 to go on, or -EWOULDBLOCK for O_NONBLOCK. */
int64_t locks_break_lease(struct task *t, int hdir, const char *path, int flags);
/* A descriptor of f was closed in this file table: its POSIX locks on the file go. */
void locks_file_closed(struct fd_table *owner, struct open_file *f);
/* The open file description's last reference went: its OFD and flock locks go. */
void locks_file_released(struct open_file *f);
#endif
