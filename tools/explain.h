/* Explanations in words: mapping history, warnings at the moment of a mistake, and the
 * extra lines of a crash report. */
#ifndef UNIEMU_EXPLAIN_H
#define UNIEMU_EXPLAIN_H
#include <stdbool.h>
#include <stdint.h>
struct task;
struct addr_space;

/* --warn: on unless --warn=none. */
extern bool explain_warnings;
/* t mapped, unmapped, protected or moved [start, end) (what: "mmap", "munmap"...). */
void explain_map_event(struct task *t, const char *what, uint64_t start, uint64_t end);
/* t is taking [start, end) away (munmap, mprotect, mremap): warn if another task's
 * stack pointer is in it. */
void explain_check_taken(struct task *t, const char *what, uint64_t start, uint64_t end);
/* A clone gave child a stack: warn (and remember, for its crash report) when it cannot
 * be right: outside any mapping, or clone3's `stack` at the end of a mapping. */
void explain_clone_stack(struct task *parent, struct task *child, uint64_t stack, uint64_t size, bool clone3);
/* Crash report lines about a faulting address, then the backtrace and the tasks. */
void explain_address(struct task *t, uint64_t addr);
void explain_tasks_and_backtrace(struct task *t, uint64_t fault_rip);
/* The address space is gone: its history too. */
void explain_forget(struct addr_space *as);
void explain_forget_all(void);
#endif
