/* Loading a static x86-64 ELF program and building its initial stack, as Linux's
 * load_elf_binary does with ASLR off. */
#ifndef UNIEMU_ELF_LOADER_H
#define UNIEMU_ELF_LOADER_H
#include <stddef.h>
#include <stdint.h>
struct addr_space;

struct loaded_program {
    uint64_t entry;
    uint64_t phdr, phent, phnum;   /* for the aux vector */
    uint64_t load_bias;            /* 0 for ET_EXEC */
    uint64_t brk;
    uint64_t random_at;            /* where elf_build_stack put AT_RANDOM's 16 bytes */
};

/* Maps the program's segments (named abs_path in /proc/self/maps), the vdso area and
 * sets brk. On failure returns -1 and writes a one-line reason into err. */
int elf_load(struct addr_space *as, const char *path, const char *abs_path, struct loaded_program *lp,
             char *err, size_t errlen);

/* Maps the stack and writes argc, argv, envp and the aux vector; returns the initial
 * stack pointer, or 0 when it does not fit. execfn is the path as given to exec. */
uint64_t elf_build_stack(struct addr_space *as, struct loaded_program *lp, char *const argv[],
                         char *const envp[], const char *execfn);
#endif
