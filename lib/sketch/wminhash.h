/* wminhash.h - weighted MinHash for weighted sets (story level). */
#ifndef DEDUP_WMINHASH_H
#define DEDUP_WMINHASH_H

#include <stddef.h>
#include <stdint.h>

/* Samples a signature may have: the sampler keeps one rank a sample on
 * the stack (8 bytes each). */
#define DEDUP__WMINHASH_MAX_K 1024

/* DartMinHash (Christiani, arXiv 2005.11547, 2020): k consistent samples
 * of a weighted set, P[sig_a[i] == sig_b[i]] = sum min(w) / sum max(w)
 * (weighted Jaccard) exactly, each sample independent of the others.  A
 * feature f[j] with weight w[j] > 0 (finite; others are left out) owns the
 * darts of a seeded Poisson process under its weight; every dart is a
 * pure function of (seed, feature, its place), and sample i takes the
 * dart of least rank among those assigned to it.  Features must be
 * distinct; their order does not matter.  n == 0 (or no usable weight)
 * gives UINT64_MAX words.  k <= DEDUP__WMINHASH_MAX_K.  Allocates nothing.
 * Expected cost O(n log(k w_max / sum w) + k log k) mixes, no log() in
 * the loop; see wminhash.c. */
void dedup__wminhash_dart(uint64_t *sig, unsigned k, const uint64_t *f,
                          const float *w, size_t n, uint64_t seed);

/* Exact weighted Jaccard sum min / sum max of two weighted sets given
 * sorted ascending by feature (distinct features).  Weights not positive
 * and finite count as 0.  Two empty sets give 1.0 (as their signatures
 * do). */
double dedup__weighted_jaccard(const uint64_t *fa, const float *wa, size_t na,
                               const uint64_t *fb, const float *wb,
                               size_t nb);

#endif
