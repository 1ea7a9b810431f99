/* The one way to touch guest memory. Every call checks the guest's own mapping table
 * (protections included, as the kernel's copy_from_user/copy_to_user do), so a bad
 * guest pointer becomes -EFAULT, never a host crash. */
#ifndef UNIEMU_GUEST_MEM_H
#define UNIEMU_GUEST_MEM_H
#include <stddef.h>
#include <stdint.h>
struct addr_space;

int guest_read(struct addr_space *as, uint64_t addr, void *dst, size_t len);
int guest_write(struct addr_space *as, uint64_t addr, const void *src, size_t len);
int guest_zero(struct addr_space *as, uint64_t addr, size_t len);
/* Copies a NUL-terminated string of at most max-1 bytes into dst.
 * Returns its length, -EFAULT, or -ENAMETOOLONG when no NUL within max-1 bytes. */
long guest_read_str(struct addr_space *as, uint64_t addr, char *dst, size_t max);
/* Like guest_read, but copies what is readable: returns bytes copied (for the log). */
size_t guest_read_partial(struct addr_space *as, uint64_t addr, void *dst, size_t len);
/* Raw engine access that ignores guest protections: for the loader and for moving
 * mappings (mremap), never for guest pointers given to a syscall. */
int guest_poke(struct addr_space *as, uint64_t addr, const void *src, size_t len);
int guest_peek(struct addr_space *as, uint64_t addr, void *dst, size_t len);
/* Called for every write done through this API while set (recording a system call's
 * effects on guest memory, tools/record.c). */
extern void (*guest_mem_observer)(uint64_t addr, const void *data, size_t len);
#endif
