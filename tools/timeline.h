/* Events for `uniemu timeline`: collected while a record is replayed. */
#ifndef UNIEMU_TIMELINE_H
#define UNIEMU_TIMELINE_H
#include <stdbool.h>
#include <stdint.h>

extern bool timeline_on;
/* Task tid ran from instruction count start to end. */
void timeline_run(int tid, uint64_t start, uint64_t end);
/* Something happened to tid now: kind 's' syscall, 'g' signal, 'f' fault, 'x' end, 'c' created. */
void timeline_event(int tid, char kind, const char *text);
/* Writes the page: a lane per task, along instruction-count time. 0 or -1. */
int timeline_write_html(const char *path, const char *title);
void timeline_free(void);
#endif
