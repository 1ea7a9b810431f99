/* Names for guest addresses in uniemu's reports: function (or data object) + offset and
 * file:line, from the mapped files' symbol tables and DWARF, with elfutils' libdwfl.
 * Only reports call this (crash reports, deadlocks, minimize's words): never the run.
 *
 * The files are those the address space maps (the program, its interpreter and
 * libraries, by the host paths their mappings carry); a replayed program that is gone
 * is read from the record's copy. One Dwfl is kept for the address space last asked
 * about and rebuilt when its file mappings change. */
#include "tools/symbols.h"
#include "tools/record.h"
#include "core/addr_space.h"
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static Dwfl *dwfl;
static const struct addr_space *dwfl_as;
static uint64_t dwfl_key;

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/* A cheap fingerprint of the file mappings: where each file starts. */
static uint64_t files_key(const struct addr_space *as)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < as->nvmas; i++) {
        const struct vma *v = &as->vmas[i];
        if (!v->name || v->name[0] != '/' || v->offset) continue;
        h = (h ^ v->start) * 0x100000001b3ULL;
        h = (h ^ v->ino) * 0x100000001b3ULL;
    }
    return h;
}

static void report_file(const struct vma *v)
{
    const char *path = v->name;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const char *copy = rec_binary_copy(path);
        if (!copy || (fd = open(copy, O_RDONLY | O_CLOEXEC)) < 0) return;
    }
    /* ET_EXEC sits where its headers say; anything else where offset 0 was mapped. */
    dwfl_report_elf(dwfl, strrchr(path, '/') + 1, path, fd, v->start, false);
}

static Dwfl *dwfl_for(const struct addr_space *as)
{
    uint64_t key = files_key(as);
    if (dwfl && dwfl_as == as && dwfl_key == key) return dwfl;
    sym_forget();
    if (!(dwfl = dwfl_begin(&callbacks))) return NULL;
    dwfl_report_begin(dwfl);
    for (size_t i = 0; i < as->nvmas; i++) {
        const struct vma *v = &as->vmas[i];
        if (v->name && v->name[0] == '/' && v->offset == 0) report_file(v);
    }
    dwfl_report_end(dwfl, NULL, NULL);
    dwfl_as = as;
    dwfl_key = key;
    return dwfl;
}

void sym_forget(void)
{
    if (dwfl) dwfl_end(dwfl);
    dwfl = NULL;
    dwfl_as = NULL;
}

int sym_name(const struct addr_space *as, uint64_t addr, char *buf, size_t n)
{
    buf[0] = 0;
    Dwfl *d = dwfl_for(as);
    Dwfl_Module *m = d ? dwfl_addrmodule(d, addr) : NULL;
    if (!m) return -1;
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
    if (!name || !*name) return -1;
    if (off) snprintf(buf, n, "%s+%#" PRIx64, name, (uint64_t)off);
    else snprintf(buf, n, "%s", name);
    return 0;
}

int sym_line(const struct addr_space *as, uint64_t addr, char *buf, size_t n)
{
    buf[0] = 0;
    Dwfl *d = dwfl_for(as);
    Dwfl_Module *m = d ? dwfl_addrmodule(d, addr) : NULL;
    Dwfl_Line *line = m ? dwfl_module_getsrc(m, addr) : NULL;
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (!file || lineno <= 0) return -1;
    const char *base = strrchr(file, '/');
    snprintf(buf, n, "%s:%d", base ? base + 1 : file, lineno);
    return 0;
}

const char *sym_describe(const struct addr_space *as, uint64_t addr, char *buf, size_t n)
{
    char name[256], line[256];
    buf[0] = 0;
    if (n < 8 || sym_name(as, addr, name, sizeof name) != 0) return buf;
    if (sym_line(as, addr, line, sizeof line) == 0) snprintf(buf, n, " <%s> (%s)", name, line);
    else snprintf(buf, n, " <%s>", name);
    return buf;
}
