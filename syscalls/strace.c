/* The strace-style log: text helpers and the argument printers shared by families. */
#include "syscalls/syscall.h"
#include "scheduler/sched.h"
#include "scheduler/task.h"
#include "core/guest_mem.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

FILE *strace_out;
int strace_strsize = 32;

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = sb->cap - sb->len;
        va_start(ap, fmt);
        int n = vsnprintf(sb->p ? sb->p + sb->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if ((size_t)n < room) { sb->len += n; return; }
        size_t cap = sb->cap ? sb->cap : 128;
        while (cap < sb->len + n + 1) cap *= 2;
        char *p = realloc(sb->p, cap);
        if (!p) return;
        sb->p = p; sb->cap = cap;
    }
}

void sb_putc(struct strbuf *sb, char c) { sb_printf(sb, "%c", c); }
void sb_puts(struct strbuf *sb, const char *s) { sb_printf(sb, "%s", s); }
void sb_reset(struct strbuf *sb) { sb->len = 0; if (sb->p) sb->p[0] = 0; }
void sb_free(struct strbuf *sb) { free(sb->p); sb->p = NULL; sb->len = sb->cap = 0; }

void sb_flags(struct strbuf *sb, uint64_t v, const struct flag_name *t, const char *zero)
{
    if (v == 0 && zero) { sb_puts(sb, zero); return; }
    bool any = false;
    for (; t->name; t++) {
        if (t->val && (v & t->val) == t->val) {
            sb_printf(sb, "%s%s", any ? "|" : "", t->name);
            v &= ~t->val;
            any = true;
        }
    }
    if (v || !any) sb_printf(sb, "%s%#llx", any ? "|" : "", (unsigned long long)v);
}

void sb_enum(struct strbuf *sb, uint64_t v, const struct flag_name *t, const char *fallback)
{
    for (; t->name; t++)
        if (t->val == v) { sb_puts(sb, t->name); return; }
    sb_printf(sb, fallback ? fallback : "%#llx", (unsigned long long)v);
}

void sb_quoted(struct strbuf *sb, const unsigned char *s, size_t n, bool truncated_more)
{
    sb_putc(sb, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        switch (c) {
        case '"': sb_puts(sb, "\\\""); continue;
        case '\\': sb_puts(sb, "\\\\"); continue;
        case '\f': sb_puts(sb, "\\f"); continue;
        case '\n': sb_puts(sb, "\\n"); continue;
        case '\r': sb_puts(sb, "\\r"); continue;
        case '\t': sb_puts(sb, "\\t"); continue;
        case '\v': sb_puts(sb, "\\v"); continue;
        }
        if (c >= 0x20 && c < 0x7f) { sb_putc(sb, c); continue; }
        /* Octal as strace writes it: three digits only when an octal digit follows. */
        if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7') sb_printf(sb, "\\%03o", c);
        else sb_printf(sb, "\\%o", c);
    }
    sb_putc(sb, '"');
    if (truncated_more) sb_puts(sb, "...");
}

void sb_quoted_hex(struct strbuf *sb, const unsigned char *s, size_t n, bool truncated_more)
{
    sb_putc(sb, '"');
    for (size_t i = 0; i < n; i++) sb_printf(sb, "\\x%02x", s[i]);
    sb_putc(sb, '"');
    if (truncated_more) sb_puts(sb, "...");
}

void sb_guest_bytes(struct strbuf *sb, struct task *t, uint64_t addr, size_t len)
{
    size_t show = len < (size_t)strace_strsize ? len : (size_t)strace_strsize;
    unsigned char *buf = malloc(show ? show : 1);
    if (!buf || guest_read(t->as, addr, buf, show)) {
        sb_printf(sb, "%#llx", (unsigned long long)addr);
    } else {
        sb_quoted(sb, buf, show, show < len);
    }
    free(buf);
}

void sb_guest_str(struct strbuf *sb, struct task *t, uint64_t addr)
{
    char buf[4096];
    if (!addr) { sb_puts(sb, "NULL"); return; }
    long n = guest_read_str(t->as, addr, buf, sizeof buf);
    if (n == -EFAULT) { sb_printf(sb, "%#llx", (unsigned long long)addr); return; }
    if (n < 0) n = sizeof buf - 1;
    sb_quoted(sb, (unsigned char *)buf, n, n == (long)sizeof buf - 1);
}

void fmt_int(struct strbuf *sb, struct syscall *sc, int i) { sb_printf(sb, "%d", (int)sc->a[i]); }
void fmt_uint(struct strbuf *sb, struct syscall *sc, int i) { sb_printf(sb, "%llu", (unsigned long long)sc->a[i]); }
void fmt_hex(struct strbuf *sb, struct syscall *sc, int i) { sb_printf(sb, "%#llx", (unsigned long long)sc->a[i]); }
void fmt_octal(struct strbuf *sb, struct syscall *sc, int i) { sb_printf(sb, "%#03llo", (unsigned long long)sc->a[i]); }
void fmt_fd(struct strbuf *sb, struct syscall *sc, int i) { sb_printf(sb, "%d", (int)sc->a[i]); }

void fmt_ptr(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->a[i]) sb_printf(sb, "%#llx", (unsigned long long)sc->a[i]);
    else sb_puts(sb, "NULL");
}

void fmt_dirfd(struct strbuf *sb, struct syscall *sc, int i)
{
    if ((int)sc->a[i] == AT_FDCWD) sb_puts(sb, "AT_FDCWD");
    else sb_printf(sb, "%d", (int)sc->a[i]);
}

void fmt_path(struct strbuf *sb, struct syscall *sc, int i) { sb_guest_str(sb, sc->t, sc->a[i]); }

void fmt_buf_len_next(struct strbuf *sb, struct syscall *sc, int i)
{
    sb_guest_bytes(sb, sc->t, sc->a[i], sc->a[i + 1]);
}

void fmt_buf_len_ret(struct strbuf *sb, struct syscall *sc, int i)
{
    if (sc->ret < 0) fmt_ptr(sb, sc, i);
    else sb_guest_bytes(sb, sc->t, sc->a[i], sc->ret);
}

void fmt_strarray(struct strbuf *sb, struct syscall *sc, int i)
{
    uint64_t addr = sc->a[i], p;
    if (!addr) { sb_puts(sb, "NULL"); return; }
    sb_putc(sb, '[');
    for (int k = 0;; k++) {
        if (guest_read(sc->t->as, addr + 8 * k, &p, 8)) { sb_puts(sb, "..."); break; }
        if (!p) break;
        if (k) sb_puts(sb, ", ");
        if (k >= 32) { sb_puts(sb, "..."); break; }
        sb_guest_str(sb, sc->t, p);
    }
    sb_putc(sb, ']');
}

static const struct flag_name at_flags[] = {
    { AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW" }, { AT_REMOVEDIR, "AT_REMOVEDIR" },
    { AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW" }, { AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT" },
    { AT_EMPTY_PATH, "AT_EMPTY_PATH" }, { AT_EACCESS, "AT_EACCESS" }, { 0, NULL },
};
void fmt_at_flags(struct strbuf *sb, struct syscall *sc, int i) { sb_flags(sb, sc->a[i], at_flags, "0"); }

void ret_hex(struct strbuf *sb, struct syscall *sc) { sb_printf(sb, "%#llx", (unsigned long long)sc->ret); }

static void pid_prefix_n(struct strbuf *sb, struct task *t, int live)
{
    if (live > 1) sb_printf(sb, "[pid %5d] ", t->tid);
}
static void pid_prefix(struct strbuf *sb, struct task *t) { pid_prefix_n(sb, t, sched_live_tasks()); }

/* strace -f marks a call left blocked when another task's line comes in between. */
static void flush_unfinished(struct task *except)
{
    for (int i = 0; i < ntasks; i++) {
        struct task *u = all_tasks[i];
        if (u == except || !u->in_syscall || u->log_unfinished || !u->log_head.len || u->state == TASK_DEAD) continue;
        struct strbuf sb = { 0 };
        pid_prefix(&sb, u);
        sb_printf(&sb, "%s <unfinished ...>\n", u->log_head.p);
        fputs(sb.p, strace_out);
        sb_free(&sb);
        u->log_unfinished = true;
    }
}

void strace_log_line(struct task *t, const char *text)
{
    if (!strace_out) return;
    flush_unfinished(t);
    struct strbuf sb = { 0 };
    pid_prefix(&sb, t);
    sb_puts(&sb, text);
    sb_putc(&sb, '\n');
    fputs(sb.p, strace_out);
    sb_free(&sb);
}

void strace_log_call(struct task *t, const char *text, const char *ret, int live_at_entry)
{
    if (!strace_out) return;
    flush_unfinished(t);
    struct strbuf sb = { 0 };
    /* strace -f prints a call's line with the prefix only if several tasks lived
     * both when it began and when it ended (clone's own line has none). */
    int live = sched_live_tasks();
    pid_prefix_n(&sb, t, live_at_entry >= 0 && live_at_entry < live ? live_at_entry : live);
    sb_puts(&sb, text);
    /* strace lines the results up at column 40, counting the [pid N] prefix. */
    while (sb.len < 39) sb_putc(&sb, ' ');
    sb_printf(&sb, " = %s\n", ret);
    fputs(sb.p, strace_out);
    sb_free(&sb);
}
