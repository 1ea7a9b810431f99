#include "core/guest_mem.h"
#include "core/addr_space.h"
#include "core/cpu.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unicorn/unicorn.h>

/* Bytes from addr (at most len) that the guest may access with `need`. */
static size_t accessible(struct addr_space *as, uint64_t addr, size_t len, int need)
{
    size_t ok = 0;
    while (ok < len) {
        const struct vma *v = as_find(as, addr + ok);
        if (!v) break;
        int eff = v->prot;
        if (eff & (PROT_WRITE | PROT_EXEC)) eff |= PROT_READ;
        if ((eff & need) != need) break;
        uint64_t room = v->end - (addr + ok);
        ok += room < len - ok ? room : len - ok;
    }
    return ok;
}

/* Like accessible, but a range running below the stack first grows it, as the kernel's
 * copy_to_user/copy_from_user do (a read() into a large stack buffer not yet touched). */
static bool accessible_growing(struct addr_space *as, uint64_t addr, size_t len, int need)
{
    size_t ok = accessible(as, addr, len, need);
    if (ok == len) return true;
    if (!as_grow_stack(as, addr + ok)) return false;
    return accessible(as, addr, len, need) == len;
}

int guest_read(struct addr_space *as, uint64_t addr, void *dst, size_t len)
{
    if (len == 0) return 0;
    if (addr + len < addr || !accessible_growing(as, addr, len, PROT_READ)) return -EFAULT;
    return uc_mem_read(as->uc, addr, dst, len) == UC_ERR_OK ? 0 : -EFAULT;
}

size_t guest_read_partial(struct addr_space *as, uint64_t addr, void *dst, size_t len)
{
    if (addr + len < addr) len = (size_t)(UINT64_MAX - addr);
    size_t n = accessible(as, addr, len, PROT_READ);
    if (n && uc_mem_read(as->uc, addr, dst, n) != UC_ERR_OK) return 0;
    return n;
}

void (*guest_mem_observer)(uint64_t addr, const void *data, size_t len);

/* Unicorn keeps translated code when the host side writes memory (uc_mem_write does not
 * invalidate it): a read() into executable memory would leave the old code running
 * (tests/guest/code_write.c). Drop the translations of what was written over. */
static void written(struct addr_space *as, uint64_t addr, const void *src, size_t len)
{
    for (uint64_t a = addr; a - addr < len;) {
        const struct vma *v = as_find(as, a);
        if (!v) break;
        if (v->prot & PROT_EXEC) { cpu_flush_code(as, addr, addr + len); break; }
        a = v->end;
    }
    if (guest_mem_observer) guest_mem_observer(addr, src, len);
}

int guest_write(struct addr_space *as, uint64_t addr, const void *src, size_t len)
{
    if (len == 0) return 0;
    if (addr + len < addr || !accessible_growing(as, addr, len, PROT_WRITE)) return -EFAULT;
    if (uc_mem_write(as->uc, addr, src, len) != UC_ERR_OK) return -EFAULT;
    written(as, addr, src, len);
    return 0;
}

int guest_zero(struct addr_space *as, uint64_t addr, size_t len)
{
    static const char zeros[4096];
    while (len) {
        size_t n = len < sizeof zeros ? len : sizeof zeros;
        int rc = guest_write(as, addr, zeros, n);
        if (rc) return rc;
        addr += n; len -= n;
    }
    return 0;
}

int guest_poke(struct addr_space *as, uint64_t addr, const void *src, size_t len)
{
    if (uc_mem_write(as->uc, addr, src, len) != UC_ERR_OK) return -EFAULT;
    written(as, addr, src, len);
    return 0;
}

long guest_read_str(struct addr_space *as, uint64_t addr, char *dst, size_t max)
{
    size_t got = 0;
    while (got < max) {
        /* Read up to the end of the current page so a string ending just before an
         * unmapped page is still fine. */
        uint64_t a = addr + got;
        size_t chunk = PAGE_SIZE - (a & (PAGE_SIZE - 1));
        if (chunk > max - got) chunk = max - got;
        if (guest_read(as, a, dst + got, chunk)) return -EFAULT;
        char *nul = memchr(dst + got, 0, chunk);
        if (nul) return nul - dst;
        got += chunk;
    }
    if (max) dst[max - 1] = 0;
    return -ENAMETOOLONG;
}

int guest_peek(struct addr_space *as, uint64_t addr, void *dst, size_t len)
{
    return uc_mem_read(as->uc, addr, dst, len) == UC_ERR_OK ? 0 : -EFAULT;
}
