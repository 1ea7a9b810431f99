/* uniemu's vDSO: each entry makes the real system call, so that time stays uniemu's
 * virtual time and every call shows in the --strace log. */
#define ENTRY(name, nr)        \
    .globl name;               \
    .type name, @function;     \
name:                          \
    mov $nr, %eax;             \
    syscall;                   \
    ret;                       \
    .size name, . - name

    .text
ENTRY(__vdso_clock_gettime, 228)
ENTRY(__vdso_gettimeofday, 96)
ENTRY(__vdso_time, 201)
ENTRY(__vdso_getcpu, 309)
ENTRY(__vdso_clock_getres, 229)
    .weak clock_gettime, gettimeofday, time, getcpu, clock_getres
    .set clock_gettime, __vdso_clock_gettime
    .set gettimeofday, __vdso_gettimeofday
    .set time, __vdso_time
    .set getcpu, __vdso_getcpu
    .set clock_getres, __vdso_clock_getres
    .section .note.GNU-stack,"",@progbits
