/* wminhash.h - weighted MinHash for weighted sets (story level). */
#ifndef DEDUP_WMINHASH_H
#define DEDUP_WMINHASH_H

#include <stddef.h>
#include <stdint.h>

/* ICWS (Ioffe, ICDM 2010), 0-bit form: for each of k samples, every feature
 * f[j] with weight w[j] > 0 draws (r, c, beta) from a seeded hash of
 * (f[j], sample) and the feature with the least a = c / (y e^r) wins; the
 * sample is the winner's feature hash mixed with its t.  P[sig_a[i] ==
 * sig_b[i]] approximates the weighted Jaccard sum min / sum max.
 * Features must be distinct.  n == 0 gives UINT64_MAX words. */
void dedup__wminhash_icws(uint64_t *sig, unsigned k, const uint64_t *f,
                          const float *w, size_t n, uint64_t seed);

/* Exact weighted Jaccard of two weighted sets given sorted by feature. */
double dedup__weighted_jaccard(const uint64_t *fa, const float *wa, size_t na,
                               const uint64_t *fb, const float *wb,
                               size_t nb);

#endif
