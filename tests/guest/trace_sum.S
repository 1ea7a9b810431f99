/* A hand-written program for the instruction-trace test: sums 5+4+3+2+1 in a loop,
 * stores and reloads the sum, and exits with it (status 15). tests/data/trace_sum.*
 * hold its hand-checked traces. */
    .globl _start
    .text
_start:
    mov $5, %ecx
    xor %eax, %eax
1:  add %rcx, %rax
    dec %rcx
    jnz 1b
    lea buf(%rip), %rdi
    mov %rax, (%rdi)
    mov (%rdi), %rdx
    mov $60, %eax
    mov %rdx, %rdi
    syscall
    .data
buf: .quad 0
