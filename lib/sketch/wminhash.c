/* wminhash.c - weighted MinHash by ICWS (Ioffe, ICDM 2010), 0-bit form.
 *
 * For sample i and feature f of weight w > 0, five uniforms in (0,1) come
 * from a seeded splitmix64 stream of the feature:
 *   base = mix64(f ^ s),  u_m = U(mix64(base + (5 i + m + 1) * G)),
 *   m = 0..4, G = 0x9e3779b97f4a7c15, U(z) = ((z >> 12) + 1/2) 2^-52,
 * so every draw depends only on (seed, f, i), never on the rest of the set.
 * Then, as in Ioffe's paper:
 *   r = -ln(u0 u1) ~ Gamma(2,1),  c = -ln(u2 u3) ~ Gamma(2,1),  b = u4,
 *   t = floor(ln w / r + b),  ln y = r (t - b),
 *   ln a = ln c - ln y - r,
 * and the feature with the least a wins sample i.  Ioffe shows the pair
 * (f*, t*) is a consistent sample: P[equal] = sum min(w) / sum max(w).  The
 * 0-bit form (Li, KDD 2015) keeps only f*: the word is mix64(f* ^ s').
 * It loses almost nothing (t* of two sets sharing f* nearly always agree)
 * and makes the word a pure function of the winning feature.
 *
 * Work: k samples x n features, each 5 mixes and 3 logs.  Samples are taken
 * 64 at a time so that ln w and the feature's stream base are computed once
 * per block, and no memory is needed beyond the stack. */
#include "sketch/wminhash.h"

#include "common/dedup_private.h"
#include "common/hash.h"

#include <math.h>

#define GOLDEN 0x9e3779b97f4a7c15ULL
#define SALT_DRAW 0x9b05688c2b3e6c1fULL
#define SALT_WORD 0x1f83d9abfb41bd6bULL
#define BLOCK 64

/* A uniform double in the open interval (0,1) from the top 52 bits: the
 * midpoint of one of 2^52 cells, exact in a double.  (A 53-bit slice plus
 * a half needs 54 bits and its top value would round to 1.0, giving
 * r = 0 and ln w / 0.) */
static inline double unit(uint64_t z) {
  return ((double)(z >> 12) + 0.5) * 0x1p-52;
}

static inline int usable(float w) {
  return w > 0.0f && isfinite(w);
}

void dedup__wminhash_icws(uint64_t *sig, unsigned k, const uint64_t *f,
                          const float *w, size_t n, uint64_t seed) {
  const uint64_t ds = dedup__mix64(seed ^ SALT_DRAW);
  const uint64_t ws = dedup__mix64(seed ^ SALT_WORD);
  double best[BLOCK];
  size_t win[BLOCK];
  for (unsigned i0 = 0; i0 < k; i0 += BLOCK) {
    unsigned nb = DEDUP__MIN((unsigned)BLOCK, k - i0);
    for (unsigned q = 0; q < nb; q++) {
      best[q] = INFINITY;
      win[q] = SIZE_MAX;
    }
    for (size_t j = 0; j < n; j++) {
      if (!usable(w[j]))
        continue;
      const double lw = log((double)w[j]);
      const uint64_t base = dedup__mix64(f[j] ^ ds);
      for (unsigned q = 0; q < nb; q++) {
        uint64_t at = base + (uint64_t)(i0 + q) * 5u * GOLDEN;
        double u0 = unit(dedup__mix64(at + 1 * GOLDEN));
        double u1 = unit(dedup__mix64(at + 2 * GOLDEN));
        double u2 = unit(dedup__mix64(at + 3 * GOLDEN));
        double u3 = unit(dedup__mix64(at + 4 * GOLDEN));
        double b = unit(dedup__mix64(at + 5 * GOLDEN));
        double r = -log(u0 * u1);
        double c = -log(u2 * u3);
        double t = floor(lw / r + b);
        double la = log(c) - r * (t - b) - r;
        /* Strict < keeps the first of (measure-zero) ties: deterministic
         * for a given feature order. */
        if (la < best[q]) {
          best[q] = la;
          win[q] = j;
        }
      }
    }
    for (unsigned q = 0; q < nb; q++)
      sig[i0 + q] = win[q] == SIZE_MAX ? UINT64_MAX
                                       : dedup__mix64(f[win[q]] ^ ws);
  }
}

double dedup__weighted_jaccard(const uint64_t *fa, const float *wa, size_t na,
                               const uint64_t *fb, const float *wb,
                               size_t nb) {
  /* Merge of two sorted lists: a feature missing from one side has weight
   * 0 there, so it adds to the max sum only.  Weights that are not
   * positive and finite count as 0, as in the sketch. */
  double smin = 0.0, smax = 0.0;
  size_t i = 0, j = 0;
  while (i < na || j < nb) {
    double x = 0.0, y = 0.0;
    if (j == nb || (i < na && fa[i] < fb[j])) {
      x = usable(wa[i]) ? wa[i] : 0.0;
      i++;
    } else if (i == na || fb[j] < fa[i]) {
      y = usable(wb[j]) ? wb[j] : 0.0;
      j++;
    } else {
      x = usable(wa[i]) ? wa[i] : 0.0;
      y = usable(wb[j]) ? wb[j] : 0.0;
      i++;
      j++;
    }
    smin += x < y ? x : y;
    smax += x < y ? y : x;
  }
  /* Two empty (or all-zero) sets are identical, as their signatures (all
   * UINT64_MAX) say. */
  return smax > 0.0 ? smin / smax : 1.0;
}
