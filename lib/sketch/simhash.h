/* simhash.h - 64-bit SimHash (Charikar 2002; Manku et al. 2007). */
#ifndef DEDUP_SIMHASH_H
#define DEDUP_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

/* Fingerprint of features f[0..n) with weights w (NULL: all 1): bit i is set
 * when the weighted vote of the features' (seeded, mixed) bit i is > 0.
 * Votes are summed in double, in feature order; equals the digest of
 * dedup_simhash_update() with the same weights as doubles.  Weights must be
 * finite; a weight of 0 is an absent feature. */
uint64_t dedup__simhash(const uint64_t *f, const float *w, size_t n,
                        uint64_t seed);

static inline unsigned dedup__popcount64(uint64_t x) {
  return (unsigned)__builtin_popcountll(x);
}

#endif
