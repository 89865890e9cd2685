/* wminhash.c - weighted MinHash by DartMinHash (Christiani, 2020).
 *
 * The weighted set x is the region under its weights: feature f covers
 * the strip {f} x [0, x_f) of weight, times [0, inf) of rank.  A seeded
 * Poisson process of intensity T (darts per unit of weight x rank) over
 * every strip, each dart assigned to one of the k samples at random, and
 * sample i of x is the dart of least rank among those of sample i under
 * x.  For two sets, that dart lies under the union max(x, y) of the
 * region, and it is the same for both exactly when it lies under the
 * intersection min(x, y): P = sum min / sum max, the weighted Jaccard,
 * with no approximation (ICWS's 0-bit form, the previous sampler, was
 * only close to it), and the k samples are independent.  The word is a
 * hash of the dart, so equal words mean the same dart.
 *
 * Finding the least ranks without drawing all darts: only darts of rank
 * below m = theta / sum(x) are drawn.  Each sample then gets a Poisson
 * number of darts of mean T m sum(x) / k = T theta / k, and with
 * T = k (ln k + DART_SLACK), theta = 1, a sample has none with
 * probability e^-DART_SLACK / k, so all k are filled but for about 2% of
 * sets; those are drawn again with theta doubled.  The least dart of rank
 * below m is the least dart of all, so the result does not depend on m
 * or theta: it is exact and a pure function of the set.
 *
 * Drawing the darts of rank < m under a weight x_f, consistently for
 * every set: the quadrant of (weight, rank) is cut into regions, region
 * (nu, rho) being weights [(2^nu - 1) / T, (2^(nu+1) - 1) / T) times ranks
 * [2^rho - 1, 2^(rho+1) - 1), and each region into 2^rho columns x 2^nu
 * rows of cells of area 1 / T each.  A cell holds a Poisson(1) number of
 * darts, uniform in the cell, all drawn from a hash of (seed, f, nu, rho,
 * column, row, dart).  A set visits only the cells that begin below x_f
 * and below m, and keeps the darts inside: every cell is a fixed
 * rectangle, so two sets see the same darts where they overlap.  A
 * feature visits T x_f m to twice that many cells (its last region's
 * cells reach past x_f) plus one or two a region, in (log2(1 + T x_f) +
 * 1) x (log2(1 + m) + 1) regions.  Per set: 1 to 2 T theta cells plus a
 * few a feature, a Poisson(1) count of darts in each, 1 mix a cell and 2
 * a dart; no log() and no divide in the loop.  Measured at k = 128 (T =
 * 1133) on weights summing to 1: 1,900 cells at 50 terms, 2,600 at 400,
 * 4,900 at 2,000, as many darts, 1,170 of them under the set, against
 * ICWS's k n = 6,400-51,200 draws of 5 mixes and 3 logs at 50-400 terms
 * (test_wminhash's throughput: 3-17x faster there).  The paper's
 * T = k ln k + 2k fails on 13% of sets and redraws them; DART_SLACK 4
 * draws 29% more darts a pass (at k = 128) and redraws 2%. */
#include "sketch/wminhash.h"

#include "common/dedup_private.h"
#include "common/hash.h"

#include <assert.h>
#include <math.h>

#define GOLDEN 0x9e3779b97f4a7c15ULL
#define SALT_DRAW 0x9b05688c2b3e6c1fULL
#define SALT_WORD 0x1f83d9abfb41bd6bULL
#define SALT_RANK 0xd6e8feb86659fd93ULL
#define SALT_CELL 0xa0761d6478bd642fULL
/* Darts a sample expects on the first pass: ln k + DART_SLACK, so that a
 * set is drawn twice with probability about e^-4 (2%); a larger slack
 * draws more darts on every set to save rarer second passes. */
#define DART_SLACK 4.0

/* A uniform double in the open interval (0,1) from the top 52 bits: the
 * midpoint of one of 2^52 cells, exact in a double. */
static inline double unit(uint64_t z) {
  return ((double)(z >> 12) + 0.5) * 0x1p-52;
}

static inline int usable(float w) {
  return w > 0.0f && isfinite(w);
}

/* P[X <= p] for X ~ Poisson(1), p = 0..17; beyond, 1 in a double.  A
 * count is found by inversion: the number of entries below u. */
static const double poisson1_cdf[] = {
    0.36787944117144233, 0.7357588823428847, 0.9196986029286058,
    0.9810118431238463,  0.9963401531726563, 0.9994058151824183,
    0.999916758850712,   0.9999897508033253, 0.999998874797402,
    0.9999998885745216,  0.9999999899522336, 0.9999999991683892,
    0.9999999999364022,  0.9999999999954802, 0.9999999999997,
    0.9999999999999813,  0.9999999999999989, 0.9999999999999999};
#define POISSON_MAX (sizeof poisson1_cdf / sizeof *poisson1_cdf)

typedef struct dart_state {
  double inv_rate; /* 1 / T, T darts per unit area */
  double maxr;   /* m: ranks drawn are below it */
  unsigned k;
  uint64_t *id;  /* sample i: its least dart's hash so far */
  double *rank;  /* ... and its rank (INFINITY: none yet) */
} dart_state;

/* Darts of one cell [w0, w0 + dw) x [r0, r0 + dr): those under weight x
 * and below the rank bound compete for their samples.  Ties of rank
 * (measure zero) go to the smaller hash, so that the feature order never
 * matters. */
static inline void cell_darts(dart_state *s, uint64_t key, double x,
                              double w0, double dw, double r0, double dr) {
  double u = unit(key);
  /* Counts up to 5 without a branch (a count is a coin the predictor
   * cannot guess); the rest, 0.06% of cells, by the loop. */
  unsigned p = (u > poisson1_cdf[0]) + (u > poisson1_cdf[1]) +
               (u > poisson1_cdf[2]) + (u > poisson1_cdf[3]) +
               (u > poisson1_cdf[4]);
  if (p == 5)
    while (p < POISSON_MAX && u > poisson1_cdf[p])
      p++;
  for (unsigned q = 0; q < p; q++) {
    uint64_t h = dedup__mix64(key + (uint64_t)(q + 1) * GOLDEN);
    if (!(w0 + dw * unit(h) < x))
      continue;
    /* From the key, not from h: the two mixes run side by side. */
    uint64_t g = dedup__mix64((key ^ SALT_RANK) + (uint64_t)(q + 1) * GOLDEN);
    double r = r0 + dr * ((double)(g >> 20) + 0.5) * 0x1p-44;
    if (!(r < s->maxr))
      continue;
    /* The rank from the top 44 bits of g, the sample from the low 20: a
     * multiply-shift, exactly fair when k divides 2^20 (k = 128) and
     * within k / 2^20 of it otherwise.  Fairness only sets how many darts
     * a sample gets, never whom they match: every sample's collision
     * probability is J all the same.  (Equal ranks, about 2^-44 a pair
     * of darts in one row, fall to the smaller g.) */
    unsigned i = (unsigned)(((g & 0xfffff) * s->k) >> 20);
    uint64_t id = g;
    if (r < s->rank[i] || (r == s->rank[i] && id < s->id[i])) {
      s->rank[i] = r;
      s->id[i] = id;
    }
  }
}

/* Every cell of feature hash fh that begins below weight x and rank m.
 * Sizes are scaled by powers of two (exact) and by 1 / T, so that no
 * divide is left; a cell's hash is one mix of its region's plus its
 * column and row, each times an odd constant. */
static void feature_darts(dart_state *s, uint64_t fh, double x) {
  double two_nu = 1.0, half_nu = 1.0;
  for (unsigned nu = 0;; nu++, two_nu *= 2, half_nu *= 0.5) {
    double W = (two_nu - 1) * s->inv_rate;
    if (!(W < x) || !isfinite(two_nu))
      break;
    double two_rho = 1.0, half_rho = 1.0;
    for (unsigned rho = 0;; rho++, two_rho *= 2, half_rho *= 0.5) {
      double R = two_rho - 1;
      if (!(R < s->maxr) || !isfinite(two_rho))
        break;
      /* The region's 2^rho columns of width dw, 2^nu rows of height dr. */
      double dw = two_nu * s->inv_rate * half_rho;
      double dr = two_rho * half_nu;
      uint64_t ncol = rho < 63 ? (uint64_t)1 << rho : UINT64_MAX;
      uint64_t nrow = nu < 63 ? (uint64_t)1 << nu : UINT64_MAX;
      uint64_t rh = dedup__mix64(fh + ((uint64_t)nu << 32 | rho) * GOLDEN);
      for (uint64_t c = 0; c < ncol; c++) {
        double w0 = W + (double)c * dw;
        if (!(w0 < x))
          break;
        uint64_t ch = rh + (c + 1) * SALT_CELL;
        for (uint64_t r = 0; r < nrow; r++) {
          double r0 = R + (double)r * dr;
          if (!(r0 < s->maxr))
            break;
          cell_darts(s, dedup__mix64(ch + (r + 1) * GOLDEN), x, w0, dw, r0,
                     dr);
        }
      }
    }
  }
}

void dedup__wminhash_dart(uint64_t *sig, unsigned k, const uint64_t *f,
                          const float *w, size_t n, uint64_t seed) {
  assert(k <= DEDUP__WMINHASH_MAX_K);
  const uint64_t ds = dedup__mix64(seed ^ SALT_DRAW);
  const uint64_t ws = dedup__mix64(seed ^ SALT_WORD);
  double rank[DEDUP__WMINHASH_MAX_K];
  double total = 0.0;
  for (size_t j = 0; j < n; j++)
    if (usable(w[j]))
      total += w[j];
  for (unsigned i = 0; i < k; i++)
    sig[i] = UINT64_MAX;
  if (!(total > 0.0) || k == 0)
    return;
  dart_state s = {1.0 / ((double)k * (log((double)k) + DART_SLACK)), 0.0, k,
                  sig, rank};
  /* theta doubles until every sample has a dart (in law, 2% of sets pass
   * twice, 0.04% three times); each pass draws the earlier ones again. */
  for (double theta = 1.0;; theta *= 2) {
    s.maxr = theta / total;
    for (unsigned i = 0; i < k; i++) {
      rank[i] = INFINITY;
      sig[i] = UINT64_MAX;
    }
    for (size_t j = 0; j < n; j++)
      if (usable(w[j]))
        feature_darts(&s, dedup__mix64(f[j] ^ ds), (double)w[j]);
    unsigned filled = 0;
    for (unsigned i = 0; i < k; i++)
      filled += rank[i] < INFINITY;
    if (filled == k)
      break;
  }
  for (unsigned i = 0; i < k; i++)
    sig[i] = dedup__mix64(sig[i] ^ ws);
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
