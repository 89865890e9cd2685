/* wminhash.h - weighted MinHash for weighted sets (story level). */
#ifndef DEDUP_WMINHASH_H
#define DEDUP_WMINHASH_H

#include <stddef.h>
#include <stdint.h>

/* ICWS (Ioffe, ICDM 2010), 0-bit form (Li, KDD 2015): for each of k
 * samples, every feature f[j] with weight w[j] > 0 (finite; others are
 * left out) draws (r, c, beta) from a seeded hash of (f[j], sample) and the
 * feature with the least a = c / (y e^r) wins; the sample word is the
 * winner's feature hash, mixed with the seed (its t is dropped: the 0-bit
 * form).  P[sig_a[i] == sig_b[i]] approximates the weighted Jaccard
 * sum min / sum max (Ioffe's (f, t) pair gives it exactly; dropping t
 * raises it very slightly).  Features must be distinct; their order does
 * not matter.  n == 0 gives UINT64_MAX words.  Allocates nothing.  Cost
 * k n (5 mixes, 3 logs); see wminhash.c for the formulas. */
void dedup__wminhash_icws(uint64_t *sig, unsigned k, const uint64_t *f,
                          const float *w, size_t n, uint64_t seed);

/* Exact weighted Jaccard sum min / sum max of two weighted sets given
 * sorted ascending by feature (distinct features).  Weights not positive
 * and finite count as 0.  Two empty sets give 1.0 (as their signatures
 * do). */
double dedup__weighted_jaccard(const uint64_t *fa, const float *wa, size_t na,
                               const uint64_t *fb, const float *wb,
                               size_t nb);

#endif
