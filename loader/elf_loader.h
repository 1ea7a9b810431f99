/* Loading an x86-64 ELF program (static, static-PIE, or dynamic with its interpreter)
 * and building its initial stack, as Linux's load_elf_binary does with ASLR off. */
#ifndef UNIEMU_ELF_LOADER_H
#define UNIEMU_ELF_LOADER_H
#include <stddef.h>
#include <stdint.h>
struct addr_space;

/* ELF_ET_DYN_BASE with ASLR off: where a PIE with an interpreter is loaded. */
#define ELF_ET_DYN_BASE 0x555555554000ULL

struct loaded_program {
    uint64_t entry;                /* the program's entry (AT_ENTRY) */
    uint64_t start;                /* where execution starts: the interpreter's entry if any */
    uint64_t interp_base;          /* AT_BASE: the interpreter's load address, 0 if none */
    uint64_t vdso;                 /* AT_SYSINFO_EHDR: the vDSO's address */
    uint64_t phdr, phent, phnum;   /* for the aux vector */
    uint64_t load_bias;            /* 0 for ET_EXEC */
    uint64_t brk;
    uint64_t random_at;            /* where elf_build_stack put AT_RANDOM's 16 bytes */
};

/* How the loader finds another file it must load (an ELF interpreter, a script's
 * interpreter): resolve() turns the name as written into the file's real path (abs, for
 * /proc/self/maps and exe) and the host file to read (load: the same, or a replay's copy
 * from the record). Returns 0 or -errno as execve would see it. */
struct exec_files {
    int (*resolve)(void *ctx, const char *name, char abs[], char load[]);
    void *ctx;
};

/* Maps the program's segments (named abs_path in /proc/self/maps), its interpreter's (found
 * through files), the vdso area and sets brk. On failure returns -errno for execve
 * (ENOEXEC: not a program this loader knows) and writes a one-line reason into err. */
int elf_load(struct addr_space *as, const char *path, const char *abs_path, const struct exec_files *files,
             struct loaded_program *lp, char *err, size_t errlen);

/* Writes a one-line reason into err (n bytes); returns -1. */
int loader_fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Maps the stack and writes argc, argv, envp and the aux vector; returns the initial
 * stack pointer, or 0 when it does not fit. execfn is the path as given to exec. */
uint64_t elf_build_stack(struct addr_space *as, struct loaded_program *lp, char *const argv[],
                         char *const envp[], const char *execfn);
#endif
