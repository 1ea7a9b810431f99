#include "core/det.h"
#include <string.h>

static uint64_t seed_, rng_[4], sched_rng_[4], layout_rng_[4], timer_rng_[4], net_rng_[4], insns_, slept_ns_;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoshiro(uint64_t *s)
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static uint64_t next64(void) { return xoshiro(rng_); }
uint64_t det_sched_random(void) { return xoshiro(sched_rng_); }
uint64_t det_layout_random(void) { return xoshiro(layout_rng_); }
uint64_t det_timer_random(void) { return xoshiro(timer_rng_); }
uint64_t det_net_random(void) { return xoshiro(net_rng_); }

void det_init(uint64_t seed)
{
    uint64_t x = seed;
    seed_ = seed;
    for (int i = 0; i < 4; i++) rng_[i] = splitmix64(&x);
    /* The scheduler draws from its own stream, so that a forced schedule (replay)
     * leaves the guest's random bytes as they were. */
    x = seed ^ 0x5ced5ced5ced5cedULL;
    for (int i = 0; i < 4; i++) sched_rng_[i] = splitmix64(&x);
    x = seed ^ 0xa5124a5124a5124aULL;
    for (int i = 0; i < 4; i++) layout_rng_[i] = splitmix64(&x);
    x = seed ^ 0x7133e57133e57133ULL;
    for (int i = 0; i < 4; i++) timer_rng_[i] = splitmix64(&x);
    x = seed ^ 0x0e7fa0170e7fa017ULL;
    for (int i = 0; i < 4; i++) net_rng_[i] = splitmix64(&x);
    insns_ = slept_ns_ = 0;
}

uint64_t det_seed(void) { return seed_; }

void det_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        uint64_t v = next64();
        size_t n = len < 8 ? len : 8;
        memcpy(p, &v, n);
        p += n; len -= n;
    }
}

uint64_t det_now_ns(void) { return insns_ * DET_NS_PER_INSN + slept_ns_; }
uint64_t det_monotonic_ns(void) { return DET_UPTIME_AT_START_NS + det_now_ns(); }
void det_advance_ns(uint64_t ns) { slept_ns_ += ns; }
void det_add_insns(uint64_t n) { insns_ += n; }
uint64_t det_insns(void) { return insns_; }
