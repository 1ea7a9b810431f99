/* Signals as Linux x86-64 delivers them: pending sets and queues per thread and per
 * process, default actions, handlers run on a signal frame the kernel's way (siginfo,
 * ucontext, FXSAVE state), rt_sigreturn, interrupted and restarted system calls. */
#ifndef UNIEMU_SIGNALS_H
#define UNIEMU_SIGNALS_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "scheduler/task.h"

#define NSIG_GUEST 64
static inline uint64_t sigbit(int sig) { return 1ULL << (sig - 1); }
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)

/* Timers (syscalls/timer.c): fire the due ones, the next deadline on the virtual clock
 * (0: none), the CPU time left before a CPU-time timer of p fires, freeing p's. */
void timers_fire_due(void);
uint64_t timers_next_deadline(void);
uint64_t timers_cpu_budget(struct process *p);
void timers_free(struct process *p);
#endif
/* The kernel's MINSIGSTKSZ for x86 (glibc's may be a sysconf call). */
#define GUEST_MINSIGSTKSZ 2048
#define SIG_UNBLOCKABLE (sigbit(SIGKILL) | sigbit(SIGSTOP))

/* The kernel's restart codes: a blocked call cut short by a signal returns one of these
 * until the signal's delivery decides between EINTR and running the call again. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

struct fault;

/* Sends info->si_signo to thread t (to_thread) or to t's whole process. */
void sig_send(struct task *t, const siginfo_t *info, bool to_thread);
/* The same with a plain siginfo: code SI_USER, SI_TKILL, SI_KERNEL..., sender pid. */
void sig_send_simple(struct task *t, int sig, int code, int from_pid, bool to_thread);
/* Before t returns to user mode: settles an interrupted call (EINTR or restart) and
 * runs the pending signals it does not block (handlers get frames; default actions act). */
void sig_deliver(struct task *t);
/* A CPU fault in t: to its handler if it has one and does not block or ignore it, else
 * the process dies of it (with the crash report). */
void sig_fault(struct task *t, const struct fault *f);
/* What a blocked call returns when a signal cuts it short (an ERESTART* code; a sleep
 * also writes the time left). */
int64_t sig_interrupted_result(struct task *t);
/* rt_sigreturn: restores the context saved in the frame on the stack. */
int64_t sig_return(struct task *t);
/* True when t has a pending signal it does not block. */
bool sig_deliverable(struct task *t);
/* A signal in `set` is pending for t (rt_sigtimedwait): dequeues it into *info. */
int sig_dequeue_from(struct task *t, uint64_t set, siginfo_t *info);
uint64_t sig_pending_set(struct task *t);
void sig_free_pending(struct sigpending *p);
/* "{si_signo=SIGX, si_code=..., ...}" as strace prints a siginfo. */
void sig_format_info(struct strbuf *sb, const siginfo_t *info);
/* si_code's name as strace prints it (SEGV_MAPERR, FPE_FLTDIV, SI_USER...), or NULL. */
const char *sig_code_name(const siginfo_t *si);
/* The log line "--- SIGX {...} ---" for info. */
void sig_log(struct task *t, const siginfo_t *info);
/* Whether the signal's action is to be ignored (SIG_IGN, or SIG_DFL of an ignoring signal). */
bool sig_ignored(struct task *t, int sig);

/* Timers (syscalls/timer.c): fire the due ones, the next deadline on the virtual clock
 * (0: none), the CPU time left before a CPU-time timer of p fires, freeing p's. */
void timers_fire_due(void);
uint64_t timers_next_deadline(void);
uint64_t timers_cpu_budget(struct process *p);
void timers_free(struct process *p);
#endif
