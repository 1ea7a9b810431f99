/* The dispatch table: built once from each family's rows; every call goes through
 * syscall_dispatch, which also writes the strace-style log line. */
#include "syscalls/syscall.h"
#include "syscall_names.h"   /* generated from the host's <asm/unistd_64.h> */
#include "scheduler/task.h"
#include <errno.h>
#include <string.h>

#define MAX_SYSCALL 512
static const struct syscall_def *table[MAX_SYSCALL];

void syscalls_init(void)
{
    const struct syscall_def *families[] = { fs_syscalls, fs_stat_syscalls, mm_syscalls,
        process_syscalls, time_syscalls, signal_syscalls, poll_syscalls };
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

static void format_ret(struct strbuf *sb, const struct syscall_def *d, struct syscall *sc)
{
    if (sc->ret == RET_NORETURN) { sb_puts(sb, "?"); return; }
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

void syscall_dispatch(struct syscall *sc)
{
    const struct syscall_def *d = (sc->nr >= 0 && sc->nr < MAX_SYSCALL) ? table[sc->nr] : NULL;
    int nargs = d ? d->nargs : 6;
    struct strbuf args[6] = { 0 };

    if (strace_out && d)
        for (int i = 0; i < nargs; i++)
            if (!d->args[i].out) d->args[i].fmt(&args[i], sc, i);

    sc->ret = d ? d->fn(sc) : -ENOSYS;

    if (!strace_out) return;
    struct strbuf line = { 0 };
    const char *name = name_of(sc->nr);
    if (name) sb_printf(&line, "%s(", name);
    else sb_printf(&line, "syscall_%#x(", (unsigned)sc->nr);
    for (int i = 0; i < nargs; i++) {
        if (!d) {
            if (i) sb_puts(&line, ", ");
            sb_printf(&line, "%#llx", (unsigned long long)sc->a[i]);
            continue;
        }
        if (d->args[i].out) d->args[i].fmt(&args[i], sc, i);
        /* A printer that writes nothing drops its argument (open's mode without O_CREAT). */
        if (args[i].len) {
            if (i) sb_puts(&line, ", ");
            sb_puts(&line, args[i].p);
        }
        sb_free(&args[i]);
    }
    sb_putc(&line, ')');
    /* strace lines the results up at column 40. */
    while (line.len < 39) sb_putc(&line, ' ');
    sb_puts(&line, " = ");
    format_ret(&line, d, sc);
    strace_log_line(sc->t, line.p);
    sb_free(&line);
}
