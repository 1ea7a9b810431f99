/* The dispatch table: built once from each family's rows; every call goes through
 * syscall_dispatch, which also writes the strace-style log line. */
#include "syscalls/syscall.h"
#include "syscalls/cred.h"
#include "syscalls/limits.h"
#include "syscall_names.h"   /* generated from the host's <asm/unistd_64.h> */
#include "scheduler/task.h"
#include "scheduler/sched.h"
#include "scheduler/signals.h"
#include "tools/record.h"
#include "tools/timeline.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_SYSCALL 512
static const struct syscall_def *table[MAX_SYSCALL];

void syscalls_init(void)
{
    const struct syscall_def *families[] = { fs_syscalls, fs_stat_syscalls, mm_syscalls,
        process_syscalls, time_syscalls, signal_syscalls, poll_syscalls, clone_syscalls, futex_syscalls,
        pipe_syscalls, timer_syscalls, cred_syscalls, locks_syscalls, ipc_syscalls, rseq_syscalls, socket_syscalls,
        prctl_syscalls, sched_policy_syscalls, namespace_syscalls };
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const struct syscall_def *d = families[f]; d->name; d++)
            if (d->nr >= 0 && d->nr < MAX_SYSCALL) table[d->nr] = d;
}

static const char *name_of(int nr)
{
    if (nr >= 0 && nr < MAX_SYSCALL && table[nr]) return table[nr]->name;
    if (nr >= 0 && nr < (int)(sizeof syscall_names / sizeof syscall_names[0]) && syscall_names[nr])
        return syscall_names[nr];
    return NULL;
}

const char *syscall_name(int nr) { return name_of(nr); }

static void format_ret(struct strbuf *sb, const struct syscall_def *d, struct syscall *sc)
{
    if (sc->ret == RET_NORETURN) { sb_puts(sb, "?"); return; }
    /* A call cut short by a signal, as strace shows it before the signal decides. */
    switch (sc->ret) {
    case -ERESTARTSYS: sb_puts(sb, "? ERESTARTSYS (To be restarted if SA_RESTART is set)"); return;
    case -ERESTARTNOINTR: sb_puts(sb, "? ERESTARTNOINTR (To be restarted)"); return;
    case -ERESTARTNOHAND: sb_puts(sb, "? ERESTARTNOHAND (To be restarted if no handler)"); return;
    case -ERESTART_RESTARTBLOCK: sb_puts(sb, "? ERESTART_RESTARTBLOCK (Interrupted by signal)"); return;
    }
    if (sc->ret < 0 && sc->ret >= -4095) {
        int e = (int)-sc->ret;
        const char *name = strerrorname_np(e);
        if (name) sb_printf(sb, "-1 %s (%s)", name, strerror(e));
        else sb_printf(sb, "-1 errno %d", e);
        return;
    }
    if (d && d->ret) d->ret(sb, sc);
    else sb_printf(sb, "%lld", (long long)sc->ret);
}

/* Argument i formatted (inputs before the call, outputs after it). */
static void format_arg(struct strbuf *out, const struct syscall_def *d, struct syscall *sc, int i)
{
    if (!d) { sb_printf(out, "%#llx", (unsigned long long)sc->a[i]); return; }
    d->args[i].fmt(out, sc, i);
}

/* Appends args [from, to) with their separators; a printer that writes nothing drops
 * its argument (open's mode without O_CREAT). `first` says whether none came before. */
static void append_args(struct strbuf *line, struct strbuf *args, int from, int to, bool *first)
{
    for (int i = from; i < to; i++) {
        if (!args[i].len) continue;
        if (!*first) sb_puts(line, ", ");
        sb_puts(line, args[i].p);
        *first = false;
    }
}

static const struct syscall_def *def_of(int nr) { return nr >= 0 && nr < MAX_SYSCALL ? table[nr] : NULL; }

static int first_out_arg(const struct syscall_def *d, int nargs)
{
    for (int i = 0; d && i < nargs; i++)
        if (d->args[i].out) return i;
    return nargs;
}

/* Writes the log line of a finished call: whole, or as "<... name resumed>" when its
 * head was already printed as unfinished. */
static void timeline_call(struct syscall *sc)
{
    if (!timeline_on) return;
    const char *name = name_of(sc->nr);
    char text[96];
    if (sc->ret == RET_NORETURN) snprintf(text, sizeof text, "%s", name ? name : "?");
    else snprintf(text, sizeof text, "%s = %lld", name ? name : "?", (long long)sc->ret);
    timeline_event(sc->t->tid, 's', text);
}

static void log_call(struct syscall *sc)
{
    struct task *t = sc->t;
    const struct syscall_def *d = def_of(sc->nr);
    int nargs = d ? d->nargs : 6;
    const char *name = name_of(sc->nr);
    char fallback[32];
    if (!name) { snprintf(fallback, sizeof fallback, "syscall_%#x", (unsigned)sc->nr); name = fallback; }
    int from = 0;
    struct strbuf line = { 0 };
    bool first = true;
    if (t->log_unfinished) {
        sb_printf(&line, "<... %s resumed>", name);
        from = first_out_arg(d, nargs);
        first = t->log_head.len == 0 || t->log_head.p[t->log_head.len - 1] == '(';
        if (!first && from < nargs) first = true;   /* the head ends with ", " already */
    } else {
        sb_printf(&line, "%s(", name);
    }
    struct strbuf args[6] = { 0 };
    for (int i = from; i < nargs; i++) format_arg(&args[i], d, sc, i);
    append_args(&line, args, from, nargs, &first);
    for (int i = 0; i < 6; i++) sb_free(&args[i]);
    sb_putc(&line, ')');
    struct strbuf ret = { 0 };
    format_ret(&ret, d, sc);
    strace_log_call(t, line.p, ret.p, -1);
    sb_free(&line);
    sb_free(&ret);
    t->log_unfinished = false;
    sb_free(&t->log_head);
}

/* The head of a blocked call, "name(in1, in2, ", kept to print "<unfinished ...>" if
 * another task logs before this call ends. */
static void keep_log_head(struct syscall *sc)
{
    struct task *t = sc->t;
    const struct syscall_def *d = def_of(sc->nr);
    int nargs = d ? d->nargs : 6, upto = first_out_arg(d, nargs);
    const char *name = name_of(sc->nr);
    sb_free(&t->log_head);
    if (name) sb_printf(&t->log_head, "%s(", name);
    else sb_printf(&t->log_head, "syscall_%#x(", (unsigned)sc->nr);
    struct strbuf args[6] = { 0 };
    for (int i = 0; i < upto; i++) format_arg(&args[i], d, sc, i);
    bool first = true;
    append_args(&t->log_head, args, 0, upto, &first);
    if (!first && upto < nargs) sb_puts(&t->log_head, ", ");
    for (int i = 0; i < 6; i++) sb_free(&args[i]);
}

int64_t syscall_call_quiet(struct syscall *sc)
{
    const struct syscall_def *d = def_of(sc->nr);
    if (!d) return -ENOSYS;
    cred_enter(sc->t->proc);   /* the host checks files with the guest's credentials */
    limits_enter(sc->t);       /* and their sizes with its RLIMIT_FSIZE */
    if (rec_is_external(sc)) rec_external_call(sc, d->fn);
    else sc->ret = d->fn(sc);
    limits_leave(sc->t);
    return sc->ret;
}

bool syscall_dispatch(struct syscall *sc)
{
    const struct syscall_def *d = def_of(sc->nr);
    int nargs = d ? d->nargs : 6;
    struct strbuf args[6] = { 0 };
    /* Inputs print as they were before the call (a buffer the call overwrites, say). */
    if (strace_out && d)
        for (int i = 0; i < nargs; i++)
            if (!d->args[i].out) d->args[i].fmt(&args[i], sc, i);

    int live_at_entry = sched_live_tasks();
    cred_enter(sc->t->proc);   /* the host checks files with the guest's credentials */
    struct task *t = sc->t;
    limits_enter(t);           /* and their sizes with its RLIMIT_FSIZE */
    if (d && rec_is_external(sc)) rec_external_call(sc, d->fn);   /* an input: recorded or replayed */
    else sc->ret = d ? d->fn(sc) : -ENOSYS;
    limits_leave(t);
    if (sc->ret == RET_BLOCK) {
        for (int i = 0; i < 6; i++) sb_free(&args[i]);
        t->sc = *sc;
        t->in_syscall = true;
        if (strace_out) keep_log_head(sc);
        return false;
    }
    timeline_call(sc);
    if (!strace_out) return true;
    struct strbuf line = { 0 };
    const char *name = name_of(sc->nr);
    if (name) sb_printf(&line, "%s(", name);
    else sb_printf(&line, "syscall_%#x(", (unsigned)sc->nr);
    for (int i = 0; i < nargs; i++)
        if (d && d->args[i].out) d->args[i].fmt(&args[i], sc, i);
        else if (!d) format_arg(&args[i], d, sc, i);
    bool first = true;
    append_args(&line, args, 0, nargs, &first);
    for (int i = 0; i < 6; i++) sb_free(&args[i]);
    sb_putc(&line, ')');
    struct strbuf ret = { 0 };
    format_ret(&ret, d, sc);
    strace_log_call(t, line.p, ret.p, live_at_entry);
    sb_free(&line);
    sb_free(&ret);
    return true;
}

bool syscall_resume(struct task *t)
{
    struct syscall *sc = &t->sc;
    if (t->interrupted) {
        t->interrupted = false;
        sc->ret = sig_interrupted_result(t);
    } else if (t->retry) {
        const struct syscall_def *d = def_of(sc->nr);
        cred_enter(sc->t->proc);
        limits_enter(t);
        sc->ret = d ? d->fn(sc) : -ENOSYS;
        limits_leave(t);
        if (sc->ret == RET_BLOCK) return false;
    } else {
        sc->ret = t->wake_result;
    }
    t->in_syscall = false;
    timeline_call(sc);
    if (strace_out) log_call(sc);
    return true;
}

void syscall_abandon(struct task *t)
{
    if (!t->in_syscall) return;
    t->in_syscall = false;
    if (!strace_out) return;
    /* strace -f shows a call cut short by the task's death as "<... name resumed>) = ?". */
    const char *name = name_of(t->sc.nr);
    char fallback[32];
    if (!name) { snprintf(fallback, sizeof fallback, "syscall_%#x", (unsigned)t->sc.nr); name = fallback; }
    if (!t->log_unfinished && t->log_head.len) {
        struct strbuf head = { 0 };
        sb_printf(&head, "%s <unfinished ...>", t->log_head.p);
        strace_log_line(t, head.p);
        sb_free(&head);
    }
    struct strbuf line = { 0 };
    sb_printf(&line, "<... %s resumed>)", name);
    strace_log_call(t, line.p, "?", -1);
    sb_free(&line);
    t->log_unfinished = false;
    sb_free(&t->log_head);
}
