#include "core/det.h"
#include <string.h>

static uint64_t seed_, rng_[4], insns_, slept_ns_;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next64(void)
{
    uint64_t r = rotl(rng_[1] * 5, 7) * 9, t = rng_[1] << 17;
    rng_[2] ^= rng_[0]; rng_[3] ^= rng_[1]; rng_[1] ^= rng_[2]; rng_[0] ^= rng_[3];
    rng_[2] ^= t; rng_[3] = rotl(rng_[3], 45);
    return r;
}

void det_init(uint64_t seed)
{
    uint64_t x = seed;
    seed_ = seed;
    for (int i = 0; i < 4; i++) rng_[i] = splitmix64(&x);
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
void det_advance_ns(uint64_t ns) { slept_ns_ += ns; }
void det_add_insns(uint64_t n) { insns_ += n; }
uint64_t det_insns(void) { return insns_; }
