/* A growable text buffer for building log lines. */
#ifndef UNIEMU_STRBUF_H
#define UNIEMU_STRBUF_H
#include <stddef.h>
struct strbuf { char *p; size_t len, cap; };
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_putc(struct strbuf *sb, char c);
void sb_puts(struct strbuf *sb, const char *s);
void sb_reset(struct strbuf *sb);
void sb_free(struct strbuf *sb);
#endif
