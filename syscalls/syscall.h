/* The syscall layer: one table of definitions (handler + how arguments print), each
 * family contributing its rows from its own file. */
#ifndef UNIEMU_SYSCALL_H
#define UNIEMU_SYSCALL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include "syscalls/strbuf.h"

struct task;

struct syscall {
    struct task *t;
    int nr;
    uint64_t a[6];
    int64_t ret;
};

/* Prints argument i of a call. Called before the call for inputs, after it for outputs. */
typedef void (*arg_fmt)(struct strbuf *sb, struct syscall *sc, int i);
/* Prints a successful return value (errors always print as -1 ENAME (text)). */
typedef void (*ret_fmt)(struct strbuf *sb, struct syscall *sc);

struct arg_def { arg_fmt fmt; bool out; };

struct syscall_def {
    int nr;
    const char *name;
    int64_t (*fn)(struct syscall *sc);
    int nargs;
    struct arg_def args[6];
    ret_fmt ret;
};

#define IN(f) { f, false }
#define OUT(f) { f, true }
/* A return value that tells the run loop the task is gone (exit, exit_group). */
#define RET_NORETURN INT64_MIN
/* A handler that must wait calls sched_block() and returns this: the call stays
 * pending in the task, and is completed (or run again) when the task is woken. */
#define RET_BLOCK (INT64_MIN + 1)

/* Each family's table, terminated by a row with name NULL. */
extern const struct syscall_def fs_syscalls[], fs_stat_syscalls[], mm_syscalls[],
    process_syscalls[], time_syscalls[], signal_syscalls[], poll_syscalls[], clone_syscalls[],
    futex_syscalls[], pipe_syscalls[], timer_syscalls[], cred_syscalls[], locks_syscalls[];
extern const struct syscall_def ipc_syscalls[], rseq_syscalls[], socket_syscalls[];
extern const struct syscall_def prctl_syscalls[], sched_policy_syscalls[], namespace_syscalls[];
/* Before a task goes back to the guest: its rseq fields, and the abort of a critical
 * section it was preempted (or is about to get a signal) in. (syscalls/rseq.c) */
void rseq_resume(struct task *t, bool signal_pending);

void syscalls_init(void);
/* The name of a system call number, or NULL. */
const char *syscall_name(int nr);
/* Runs the call in sc (nr and args filled in), logs it, stores the result in sc->ret.
 * False when the call blocked: it is kept in the task (syscall_resume finishes it). */
bool syscall_dispatch(struct syscall *sc);
/* The effective capabilities of a guest process (capget's answer). */
struct process;
uint64_t guest_cap_effective(struct process *p);
/* Runs the handler of sc->nr without logging it (the kernel's vsyscall emulation is not
 * a system call to strace). The result, or -ENOSYS. Never blocks: for calls that don't. */
int64_t syscall_call_quiet(struct syscall *sc);
/* Completes a blocked call after its task was woken: true when done (t->sc.ret). */
bool syscall_resume(struct task *t);
/* The task dies inside a blocked call: the log ends the call with "= ?". */
void syscall_abandon(struct task *t);

struct addr_space;
/* Writes shared file mappings in [start, end) back to their files (at msync, munmap, exit). */
void mm_writeback(struct addr_space *as, uint64_t start, uint64_t end);
/* Forgets the shared file mappings in [start, end) after writing them back (a mapping
 * replaces them: mmap, shmat). */
void mm_forget_shared(struct addr_space *as, uint64_t start, uint64_t end);

/* The strace-style log: NULL when off. */
extern FILE *strace_out;
extern int strace_strsize;      /* like strace -s: bytes of a string shown, default 32 */
/* One log line of task t: "[pid N] " first while several tasks live (as strace -f),
 * after "<unfinished ...>" for the calls other tasks have left blocked. */
void strace_log_line(struct task *t, const char *text);
/* A call's line: text is "name(args)", padded to strace's column before " = ret".
 * live_at_entry: how many tasks lived when the call began (-1: unknown). */
void strace_log_call(struct task *t, const char *text, const char *ret, int live_at_entry);

/* Common argument printers (syscalls/strace.c). */
void fmt_int(struct strbuf *, struct syscall *, int);
void fmt_uint(struct strbuf *, struct syscall *, int);
void fmt_hex(struct strbuf *, struct syscall *, int);
void fmt_ptr(struct strbuf *, struct syscall *, int);      /* NULL or 0x... */
void fmt_octal(struct strbuf *, struct syscall *, int);    /* 0644 */
void fmt_fd(struct strbuf *, struct syscall *, int);
void fmt_dirfd(struct strbuf *, struct syscall *, int);    /* AT_FDCWD or fd */
void fmt_path(struct strbuf *, struct syscall *, int);     /* quoted NUL-terminated string */
void fmt_buf_len_next(struct strbuf *, struct syscall *, int); /* bytes, length = next arg */
void fmt_buf_len_ret(struct strbuf *, struct syscall *, int);  /* bytes, length = return value */
void fmt_strarray(struct strbuf *, struct syscall *, int);  /* ["a", "b"] */
void fmt_at_flags(struct strbuf *, struct syscall *, int);  /* AT_SYMLINK_NOFOLLOW|... */
void ret_hex(struct strbuf *, struct syscall *);
void sb_open_flags(struct strbuf *sb, uint64_t flags);   /* O_RDONLY|O_CLOEXEC */
void sb_signame(struct strbuf *sb, int sig);              /* SIGSEGV, SIGRT_3 */
void sb_stat_mode(struct strbuf *sb, unsigned mode);      /* S_IFREG|0644 */

/* Flag tables for decoding: {value, "NAME"}, terminated by name NULL. */
struct flag_name { uint64_t val; const char *name; };
/* Prints the names of set bits joined by '|', the rest in hex; `zero` when v == 0. */
void sb_flags(struct strbuf *sb, uint64_t v, const struct flag_name *t, const char *zero);
/* Prints the name of v if the table has it, else the number with `fallback` format. */
void sb_enum(struct strbuf *sb, uint64_t v, const struct flag_name *t, const char *fallback);
/* Quoted string the way strace shows it: escapes, and "..." past strace_strsize. */
void sb_quoted(struct strbuf *sb, const unsigned char *s, size_t n, bool truncated_more);
/* Every byte as \xHH, as strace shows random data. */
void sb_quoted_hex(struct strbuf *sb, const unsigned char *s, size_t n, bool truncated_more);
/* Guest bytes at addr, length len, quoted, read with the checked API. */
void sb_guest_bytes(struct strbuf *sb, struct task *t, uint64_t addr, size_t len);
void sb_guest_str(struct strbuf *sb, struct task *t, uint64_t addr);
#endif
