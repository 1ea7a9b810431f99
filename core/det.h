/* Determinism: everything the guest can observe of time and randomness comes from
 * here, as a function of the seed and the count of retired instructions. */
#ifndef UNIEMU_DET_H
#define UNIEMU_DET_H
#include <stdint.h>
#include <stddef.h>

/* Virtual time starts at this wall-clock instant: 2030-01-01T00:00:00Z. It must lie
 * after the times of the host files a guest meets (they are host times, exactly):
 * then every file is older than the guest's now, as on a machine whose clock is right,
 * and what the guest writes is newer than its sources (syscalls/ftimes.c). */
#define DET_EPOCH_SEC 1893456000LL
/* The virtual CPU retires one instruction per nanosecond (1 GHz). */
#define DET_NS_PER_INSN 1

void det_init(uint64_t seed);
uint64_t det_seed(void);
/* Deterministic random bytes (getrandom, AT_RANDOM): xoshiro256** seeded by splitmix64. */
void det_random(void *buf, size_t len);
/* CLOCK_MONOTONIC reads as if the machine had booted this long before the run began:
 * a real machine's uptime is never near 0 (programs subtract from it). */
#define DET_UPTIME_AT_START_NS (1000ULL * 1000000000ULL)
/* The scheduler's own random stream (separate from the guest's). */
uint64_t det_sched_random(void);
/* The address layout's own stream (--aslr). */
uint64_t det_layout_random(void);
/* Timer expiry's own stream: how late within its slack each timer fires. It is drawn
 * as timers are armed, in the same order in a record and its replay. */
uint64_t det_timer_random(void);
/* The network's faults (--net-faults), a stream of their own. */
uint64_t det_net_random(void);
/* Virtual nanoseconds since boot: retired instructions plus accumulated sleeps. */
uint64_t det_now_ns(void);
/* CLOCK_MONOTONIC: det_now_ns() plus the uptime at start. */
uint64_t det_monotonic_ns(void);
void det_advance_ns(uint64_t ns);
/* Instructions retired by all engines: kept up to date by the run loop. */
void det_add_insns(uint64_t n);
uint64_t det_insns(void);
#endif
