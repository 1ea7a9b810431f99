/* What execve loads: `#!` scripts by the rules of Linux's binfmt_script, then the ELF
 * program at the end of the chain (loader/elf_loader.c), as exec_binprm does. */
#include "loader/exec.h"
#include "loader/elf_loader.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BINPRM_BUF_SIZE 256   /* how much of a file the kernel looks at to pick a format */
#define MAX_INTERP_DEPTH 5    /* exec_binprm: ELOOP past five interpreters */

static bool spacetab(char c) { return c == ' ' || c == '\t'; }

static const char *next_non_spacetab(const char *p, const char *last)
{
    for (; p <= last; p++)
        if (!spacetab(*p)) return p;
    return NULL;
}

static const char *next_terminator(const char *p, const char *last)
{
    for (; p <= last; p++)
        if (spacetab(*p) || !*p) return p;
    return NULL;
}

int script_parse(const char *buf, size_t n, char *name, size_t name_size, char *arg, size_t arg_size, bool *has_arg)
{
    char b[BINPRM_BUF_SIZE] = { 0 };   /* a shorter file reads as NUL-padded */
    memcpy(b, buf, n < sizeof b ? n : sizeof b);
    if (b[0] != '#' || b[1] != '!') return 1;
    /* The interpreter's path must not be cut by the buffer's end: either the line ends
     * in it, or a blank or NUL follows the path. Arguments may be cut. */
    const char *buf_end = b + sizeof b - 1;
    const char *i_end = memchr(b, '\n', sizeof b);
    if (!i_end) {
        i_end = next_non_spacetab(b + 2, buf_end);
        if (!i_end || !next_terminator(i_end, buf_end)) return -ENOEXEC;
        i_end = buf_end;
    }
    while (i_end > b + 2 && spacetab(i_end[-1])) i_end--;
    const char *i_name = next_non_spacetab(b + 2, i_end);
    if (!i_name || i_name == i_end) return -ENOEXEC;
    const char *i_sep = next_terminator(i_name, i_end);
    const char *i_arg = NULL;
    if (i_sep && *i_sep) i_arg = next_non_spacetab(i_sep, i_end);
    const char *name_end = i_sep && i_sep < i_end ? i_sep : i_end;
    /* The name stops at its first NUL, the argument likewise (they are C strings). */
    size_t nl = strnlen(i_name, (size_t)(name_end - i_name));
    if (nl + 1 > name_size) return -ENAMETOOLONG;
    memcpy(name, i_name, nl);
    name[nl] = 0;
    *has_arg = i_arg != NULL;
    if (i_arg) {
        size_t al = strnlen(i_arg, (size_t)(i_end - i_arg));
        if (al + 1 > arg_size) al = arg_size - 1;
        memcpy(arg, i_arg, al);
        arg[al] = 0;
    }
    return 0;
}


static char **strv_copy(char *const v[])
{
    size_t n = 0;
    while (v && v[n]) n++;
    char **c = calloc(n + 1, sizeof *c);
    if (!c) return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(c[i] = strdup(v[i]))) { strv_free(c); return NULL; }
    return c;
}

void strv_free(char **v)
{
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}

/* argv for the script's interpreter: [name, arg?, script, argv[1]...]. argv[0] goes, as
 * remove_arg_zero does (nothing goes when argv is empty). */
static char **script_argv(char **argv, const char *name, const char *arg, const char *script)
{
    size_t n = 0;
    while (argv[n]) n++;
    size_t keep_from = n ? 1 : 0;
    char **c = calloc(n - keep_from + 4, sizeof *c);
    if (!c) return NULL;
    size_t k = 0;
    bool ok = (c[k++] = strdup(name)) != NULL;
    if (ok && arg) ok = (c[k++] = strdup(arg)) != NULL;
    if (ok) ok = (c[k++] = strdup(script)) != NULL;
    for (size_t i = keep_from; ok && i < n; i++) ok = (c[k++] = strdup(argv[i])) != NULL;
    if (!ok) { strv_free(c); return NULL; }
    return c;
}

int exec_load(struct addr_space *as, const char *filename, const char *load, const char *abs, char *const argv_in[],
              const struct exec_files *files, struct exec_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    err[0] = 0;
    /* Linux gives a program started with no arguments an empty argv[0]. */
    static char *const empty_argv[] = { "", NULL };
    char **argv = strv_copy(argv_in && argv_in[0] ? argv_in : empty_argv);
    if (!argv) return -ENOMEM;
    char cur_load[PATH_MAX], cur_abs[PATH_MAX], interp[PATH_MAX];
    snprintf(cur_load, sizeof cur_load, "%s", load);
    snprintf(cur_abs, sizeof cur_abs, "%s", abs);
    snprintf(interp, sizeof interp, "%s", filename);   /* bprm->interp: what a script's interpreter is told */
    int rc;
    for (int depth = 0;; depth++) {
        if (depth > MAX_INTERP_DEPTH) { rc = -ELOOP; loader_fail(err, errlen, "%s: too many levels of interpreters", filename); break; }
        char buf[BINPRM_BUF_SIZE];
        int fd = open(cur_load, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { rc = -errno; loader_fail(err, errlen, "%s: %s", cur_abs, strerror(errno)); break; }
        ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        if (n < 0) { rc = -EIO; loader_fail(err, errlen, "%s: cannot read", cur_abs); break; }
        char name[BINPRM_BUF_SIZE], arg[BINPRM_BUF_SIZE];
        bool has_arg = false;
        rc = script_parse(buf, (size_t)n, name, sizeof name, arg, sizeof arg, &has_arg);
        if (rc < 0) { loader_fail(err, errlen, "%s: bad #! line", cur_abs); break; }
        if (rc == 0) {
            char **nv = script_argv(argv, name, has_arg ? arg : NULL, interp);
            if (!nv) { rc = -ENOMEM; break; }
            strv_free(argv);
            argv = nv;
            snprintf(interp, sizeof interp, "%s", name);
            if (!files || !files->resolve) { rc = -ENOEXEC; loader_fail(err, errlen, "%s: a script", cur_abs); break; }
            if ((rc = files->resolve(files->ctx, name, cur_abs, cur_load))) {
                loader_fail(err, errlen, "%s: its interpreter %s: %s", filename, name, strerror(-rc));
                break;
            }
            continue;
        }
        rc = elf_load(as, cur_load, cur_abs, files, &res->lp, err, errlen);
        /* Linux has no other format for x86-64: what is neither a script nor an ELF file
         * is ENOEXEC, and says nothing. An ELF file uniemu cannot run does. */
        res->elf = n >= 4 && !memcmp(buf, ELFMAG, SELFMAG);
        if (!rc) snprintf(res->exe, sizeof res->exe, "%s", cur_abs);
        break;
    }
    if (rc) { strv_free(argv); return rc; }
    res->argv = argv;
    return 0;
}
