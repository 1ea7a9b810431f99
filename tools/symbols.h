/* Names for guest addresses in reports (tools/symbols.c, elfutils' libdwfl). */
#ifndef UNIEMU_SYMBOLS_H
#define UNIEMU_SYMBOLS_H
#include <stddef.h>
#include <stdint.h>

struct addr_space;
/* "main+0x12" (or "counter", a data object): 0, or -1 when no symbol covers addr. */
int sym_name(const struct addr_space *as, uint64_t addr, char *buf, size_t n);
/* "prog.c:17" from the DWARF line table: 0, or -1 without line information. */
int sym_line(const struct addr_space *as, uint64_t addr, char *buf, size_t n);
/* " <main+0x12> (prog.c:17)", " <main+0x12>", or "" (stripped, or not in a file):
 * ready to follow an address in a report. Returns buf. */
const char *sym_describe(const struct addr_space *as, uint64_t addr, char *buf, size_t n);
/* Drops what was read (at the end of a run: address spaces are freed). */
void sym_forget(void);
#endif
