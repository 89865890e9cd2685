/* minhash.h - MinHash signatures (internal one-shot forms). */
#ifndef DEDUP_MINHASH_H
#define DEDUP_MINHASH_H

#include "dedup.h"

#include <stddef.h>
#include <stdint.h>

/* Largest signature (public limit of dedup_minhash_new() too). */
#define DEDUP__MINHASH_MAX_K 4096u

/* One-shot signatures of the set h[0..n) (duplicates allowed, they do not
 * matter) into sig[0..k), k <= DEDUP__MINHASH_MAX_K (k == 0 writes
 * nothing).  Both allocate nothing.  An empty set gives UINT64_MAX words.
 * They give exactly the words of the streaming API (dedup_minhash_*) for
 * the same kind, k and seed.
 *
 * OPH: one-permutation hashing with optimal densification (Shrivastava,
 * ICML 2017): each element is mixed once; its bin is chosen from the mixed
 * value, and the bin keeps the minimum; empty bins then borrow from the bin
 * found by a seeded probe sequence of their own index.  Cost O(n) for the
 * elements plus O(k * k / m) probes at digest time, m = non-empty bins
 * (no probes once every bin is hit, i.e. for sets well above k log k).
 * CLASSIC: k seeded hash functions per element, min of each.  Cost O(n k).
 */
void dedup__minhash_oph(uint64_t *sig, unsigned k, const uint64_t *h,
                        size_t n, uint64_t seed);
void dedup__minhash_classic(uint64_t *sig, unsigned k, const uint64_t *h,
                            size_t n, uint64_t seed);

/* Share of equal words of two k-word signatures. */
double dedup__minhash_est(const uint64_t *a, const uint64_t *b, unsigned k);

#endif
