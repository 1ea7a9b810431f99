/* Loading what execve (or `uniemu run`) names: `#!` scripts, whose interpreter is found
 * and loaded in their place (Linux's binfmt_script), and ELF programs with their
 * interpreter (elf_loader.h). */
#ifndef UNIEMU_EXEC_H
#define UNIEMU_EXEC_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "loader/elf_loader.h"

struct exec_result {
    struct loaded_program lp;
    char **argv;           /* the arguments the program gets (a script's interpreter's) */
    char exe[PATH_MAX];    /* the ELF file that runs: /proc/self/exe */
    bool elf;              /* the last file looked at was an ELF file (for messages) */
};

/* Loads the file named filename (as execve was given it), read from load, whose real path
 * is abs, into as; files finds interpreters. argv is copied (res->argv, free with
 * strv_free). Returns 0, or -errno for execve with a reason in err. */
int exec_load(struct addr_space *as, const char *filename, const char *load, const char *abs, char *const argv[],
              const struct exec_files *files, struct exec_result *res, char *err, size_t errlen);

/* Parses a `#!` line as binfmt_script does from the first n bytes of a file (at most 256
 * matter). Returns 1 when it is not a script, 0 with the interpreter's name and its
 * optional argument, or -ENOEXEC when the line is unusable. */
int script_parse(const char *buf, size_t n, char *name, size_t name_size, char *arg, size_t arg_size, bool *has_arg);

void strv_free(char **v);
#endif
