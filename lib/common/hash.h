/* hash.h - the one place lib/ reaches xxhash: every hash is seeded XXH3. */
#ifndef DEDUP_HASH_H
#define DEDUP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t dedup__hash(const void *p, size_t len, uint64_t seed) {
  return XXH3_64bits_withSeed(p, len, seed);
}

/* Cheap 64-bit mixer (splitmix64 finaliser) for deriving many values from
 * one hash; a bijection, so distinct inputs stay distinct. */
static inline uint64_t dedup__mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/* XXH64 (seed 0) as the checksum of index files (index_io.c): the file
 * format names this hash, so it stays XXH64 whatever the keys use.
 * Streaming, because files are checked while they are read. */
typedef XXH64_state_t dedup__xxh64_state;

static inline void dedup__xxh64_reset(dedup__xxh64_state *s) {
  XXH64_reset(s, 0);
}

/* Not inlined: GCC's -Warray-bounds misreads XXH64_update's buffer
 * arithmetic when it sees the caller's small fixed-size arrays (a false
 * positive at -O3 that -Werror would turn into a failed build). */
#if defined(__GNUC__)
__attribute__((noinline, unused))
#endif
static void dedup__xxh64_update(dedup__xxh64_state *s, const void *p,
                                size_t len) {
  XXH64_update(s, p, len);
}

static inline uint64_t dedup__xxh64_digest(const dedup__xxh64_state *s) {
  return XXH64_digest(s);
}

#endif
