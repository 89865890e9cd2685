/* test_wminhash.c - ICWS weighted MinHash against exact weighted Jaccard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "sketch/wminhash.h"

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) {
  return ((double)(rng_next(s) >> 11) + 0.5) * 0x1p-53;
}

/* cmocka's float assertion works in float; these need double. */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

static double est(const uint64_t *a, const uint64_t *b, unsigned k) {
  unsigned eq = 0;
  for (unsigned i = 0; i < k; i++)
    eq += a[i] == b[i];
  return (double)eq / k;
}

/* ---- exact weighted Jaccard on hand-computed cases ---------------------- */

static void exact_hand_computed(void **state) {
  (void)state;
  /* A = {1:1, 2:2, 3:3}, B = {2:1, 3:3, 4:4}:
   * min = 0 + 1 + 3 + 0 = 4, max = 1 + 2 + 3 + 4 = 10 -> 0.4 */
  const uint64_t fa[] = {1, 2, 3}, fb[] = {2, 3, 4};
  const float wa[] = {1, 2, 3}, wb[] = {1, 3, 4};
  assert_near(dedup__weighted_jaccard(fa, wa, 3, fb, wb, 3), 0.4,
                      1e-12);
  assert_near(dedup__weighted_jaccard(fb, wb, 3, fa, wa, 3), 0.4,
                      1e-12);
  /* unit weights: plain Jaccard |{2,3}| / |{1,2,3,4}| */
  const float one[] = {1, 1, 1};
  assert_near(dedup__weighted_jaccard(fa, one, 3, fb, one, 3), 0.5,
                      1e-12);
  /* {5:2} vs {5:8}: 2/8 */
  const uint64_t f5[] = {5};
  const float w2[] = {2}, w8[] = {8};
  assert_near(dedup__weighted_jaccard(f5, w2, 1, f5, w8, 1), 0.25,
                      1e-12);
  /* identical, disjoint, one side empty, both empty */
  assert_near(dedup__weighted_jaccard(fa, wa, 3, fa, wa, 3), 1.0, 0);
  const uint64_t fc[] = {7, 8};
  assert_near(dedup__weighted_jaccard(fa, wa, 3, fc, wa, 2), 0.0, 0);
  assert_near(dedup__weighted_jaccard(fa, wa, 3, NULL, NULL, 0), 0.0,
                      0);
  assert_near(dedup__weighted_jaccard(NULL, NULL, 0, NULL, NULL, 0),
                      1.0, 0);
  /* a zero weight is an absent feature: {1:1, 2:0, 3:3} vs {2:5, 3:3}
   * min = 0 + 0 + 3, max = 1 + 5 + 3 -> 3/9 */
  const float wz[] = {1, 0, 3}, wy[] = {5, 3};
  const uint64_t fy[] = {2, 3};
  assert_near(dedup__weighted_jaccard(fa, wz, 3, fy, wy, 2),
                      3.0 / 9.0, 1e-12);
}

/* Frozen output of the sketch as first implemented, so that a change of
 * the draws or the selection rule is caught: features (i + 1) * G with
 * weights 1 + (i % 7) / 2 for i < 100, seed 0x5eed, first 4 of 64 words. */
static void known_answer(void **state) {
  (void)state;
  uint64_t f[100], sig[64];
  float w[100];
  for (int i = 0; i < 100; i++) {
    f[i] = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
    w[i] = 1.0f + (float)(i % 7) / 2.0f;
  }
  static const uint64_t want[4] = {
      0x0b2da4ad81a90f67ULL, 0xac7feb00313f2989ULL, 0x410fd19658c3ebb6ULL,
      0x79bedd5b94808229ULL};
  dedup__wminhash_icws(sig, 64, f, w, 100, 0x5eed);
  for (int i = 0; i < 4; i++)
    if (sig[i] != want[i])
      printf("KAT word %d: got 0x%016llxULL\n", i,
             (unsigned long long)sig[i]);
  assert_memory_equal(sig, want, sizeof want);
}

/* ---- the sketch --------------------------------------------------------- */

typedef struct wset {
  uint64_t *f;
  float *w;
  size_t n;
} wset;

typedef struct fw {
  uint64_t f;
  float w;
} fw;

static int cmp_fw(const void *x, const void *y) {
  uint64_t a = ((const fw *)x)->f, b = ((const fw *)y)->f;
  return (a > b) - (a < b);
}

/* Sorted by feature, as dedup__weighted_jaccard wants. */
static wset make_wset(const fw *v, size_t n) {
  fw *tmp = malloc((n + 1) * sizeof *tmp);
  assert_non_null(tmp);
  memcpy(tmp, v, n * sizeof *tmp);
  qsort(tmp, n, sizeof *tmp, cmp_fw);
  wset s = {malloc((n + 1) * sizeof(uint64_t)),
            malloc((n + 1) * sizeof(float)), n};
  assert_non_null(s.f);
  assert_non_null(s.w);
  for (size_t i = 0; i < n; i++) {
    s.f[i] = tmp[i].f;
    s.w[i] = tmp[i].w;
  }
  free(tmp);
  return s;
}

static void free_wset(wset *s) {
  free(s->f);
  free(s->w);
}

/* A random weighted pair: a share of shared features whose weights differ
 * between the sides by a random factor, plus features of one side only;
 * weights skewed over 0.1..10, like tf-idf.  Weighted Jaccards cover
 * 0..1. */
static void make_wpair(uint64_t *rs, wset *a, wset *b) {
  size_t u = 30 + (size_t)(rng_next(rs) % 271);
  double share = rng_unit(rs);
  double spread = 1.5 * rng_unit(rs); /* log-ratio range on shared */
  fw *va = malloc(u * sizeof *va), *vb = malloc(u * sizeof *vb);
  assert_non_null(va);
  assert_non_null(vb);
  size_t na = 0, nb = 0;
  for (size_t i = 0; i < u; i++) {
    uint64_t f = rng_next(rs);
    float w = (float)(0.1 + 10 * pow(rng_unit(rs), 3));
    double r = rng_unit(rs);
    if (r < share) {
      va[na++] = (fw){f, w};
      float w2 = (float)(w * exp(spread * (2 * rng_unit(rs) - 1)));
      vb[nb++] = (fw){f, w2};
    } else if (r < share + (1 - share) / 2) {
      va[na++] = (fw){f, w};
    } else {
      vb[nb++] = (fw){f, w};
    }
  }
  *a = make_wset(va, na);
  *b = make_wset(vb, nb);
  free(va);
  free(vb);
}

/* P(|X/k - j| > tol), X ~ Binomial(k, j). */
static double binom_miss(unsigned k, double j, double tol) {
  if (j <= 0.0 || j >= 1.0)
    return 0.0;
  double p = 0.0;
  for (unsigned x = 0; x <= k; x++) {
    if (fabs((double)x / k - j) <= tol)
      continue;
    double lc = lgamma(k + 1.0) - lgamma(x + 1.0) - lgamma(k - x + 1.0);
    p += exp(lc + x * log(j) + (k - x) * log1p(-j));
  }
  return p;
}

/* k = 256: sd of a k-sample estimate is up to 0.031, so +-0.07 is 2.2 sd
 * at J = 0.5 and a few percent of pairs near there must miss it by the
 * binomial law alone.  Asserted: misses no more than an ideal binomial
 * estimator would make on the same pairs (+4 sd), every error within
 * +-0.15 (4.8 sd), and no bias (0-bit ICWS is close to unbiased). */
static void estimate_matches_weighted_jaccard(void **state) {
  (void)state;
  enum { PAIRS = 200, K = 256 };
  uint64_t rs = 2024, sa[K], sb[K];
  unsigned miss = 0;
  double expect = 0, var = 0, mae = 0, bias = 0, maxe = 0, jmin = 1, jmax = 0;
  for (int t = 0; t < PAIRS; t++) {
    wset a, b;
    make_wpair(&rs, &a, &b);
    double j = dedup__weighted_jaccard(a.f, a.w, a.n, b.f, b.w, b.n);
    dedup__wminhash_icws(sa, K, a.f, a.w, a.n, 99);
    dedup__wminhash_icws(sb, K, b.f, b.w, b.n, 99);
    double e = est(sa, sb, K) - j;
    mae += fabs(e);
    bias += e;
    maxe = fabs(e) > maxe ? fabs(e) : maxe;
    miss += fabs(e) > 0.07 + 1e-12;
    double pm = binom_miss(K, j, 0.07);
    expect += pm;
    var += pm * (1 - pm);
    jmin = j < jmin ? j : jmin;
    jmax = j > jmax ? j : jmax;
    free_wset(&a);
    free_wset(&b);
  }
  mae /= PAIRS;
  bias /= PAIRS;
  printf("icws k=%d: %d pairs, weighted J in [%.3f, %.3f], mae %.4f "
         "bias %+.4f max %.3f, outside +-0.07: %u (binomial expects %.1f)\n",
         K, PAIRS, jmin, jmax, mae, bias, maxe, miss, expect);
  assert_true(jmin < 0.1 && jmax > 0.9);
  assert_true(miss <= expect + 4 * sqrt(var) + 1);
  assert_true(maxe <= 0.15);
  assert_true(fabs(bias) <= 0.01);
  assert_true(mae <= 0.03);
}

/* Weighted Jaccard is scale-free; ICWS is scale-equivariant in law, so the
 * estimate for scaled weights is another estimate of the same number. */
static void scaling_invariance(void **state) {
  (void)state;
  enum { PAIRS = 40, K = 256 };
  static const double scales[] = {0.01, 3.7, 1000.0};
  uint64_t rs = 77, sa[K], sb[K];
  double dev = 0;
  int cases = 0;
  for (int t = 0; t < PAIRS; t++) {
    wset a, b;
    make_wpair(&rs, &a, &b);
    double j = dedup__weighted_jaccard(a.f, a.w, a.n, b.f, b.w, b.n);
    for (size_t s = 0; s < sizeof scales / sizeof *scales; s++) {
      /* same features, scaled weights */
      wset a2 = {a.f, malloc((a.n + 1) * sizeof(float)), a.n};
      wset b2 = {b.f, malloc((b.n + 1) * sizeof(float)), b.n};
      assert_non_null(a2.w);
      assert_non_null(b2.w);
      for (size_t i = 0; i < a.n; i++)
        a2.w[i] = (float)(a.w[i] * scales[s]);
      for (size_t i = 0; i < b.n; i++)
        b2.w[i] = (float)(b.w[i] * scales[s]);
      double j2 = dedup__weighted_jaccard(a2.f, a2.w, a2.n, b2.f, b2.w, b2.n);
      assert_near(j2, j, 1e-5); /* float rounding of the weights */
      dedup__wminhash_icws(sa, K, a2.f, a2.w, a2.n, 5);
      dedup__wminhash_icws(sb, K, b2.f, b2.w, b2.n, 5);
      double e = est(sa, sb, K);
      assert_true(fabs(e - j) <= 0.15);
      dev += fabs(e - j);
      cases++;
      free(a2.w);
      free(b2.w);
    }
    free_wset(&a);
    free_wset(&b);
  }
  printf("scaled weights: mean |estimate - J| %.4f over %d cases\n",
         dev / cases, cases);
  assert_true(dev / cases <= 0.035);
}

static void identical_order_and_zero_weights(void **state) {
  (void)state;
  enum { K = 128, N = 50 };
  uint64_t rs = 9, f[N + 1], fr[N + 1], s1[K], s2[K];
  float w[N + 1], wr[N + 1];
  for (int i = 0; i < N; i++) {
    f[i] = rng_next(&rs);
    w[i] = (float)(0.1 + 5 * rng_unit(&rs));
    fr[N - 1 - i] = f[i];
    wr[N - 1 - i] = w[i];
  }
  dedup__wminhash_icws(s1, K, f, w, N, 1);
  dedup__wminhash_icws(s2, K, f, w, N, 1);
  assert_memory_equal(s1, s2, sizeof s1);
  assert_true(est(s1, s2, K) == 1.0);
  /* feature order does not matter */
  dedup__wminhash_icws(s2, K, fr, wr, N, 1);
  assert_memory_equal(s1, s2, sizeof s1);
  /* zero, negative and NaN weights: features left out */
  f[N] = rng_next(&rs);
  w[N] = 0.0f;
  dedup__wminhash_icws(s2, K, f, w, N + 1, 1);
  assert_memory_equal(s1, s2, sizeof s1);
  w[N] = -3.0f;
  dedup__wminhash_icws(s2, K, f, w, N + 1, 1);
  assert_memory_equal(s1, s2, sizeof s1);
  w[N] = NAN;
  dedup__wminhash_icws(s2, K, f, w, N + 1, 1);
  assert_memory_equal(s1, s2, sizeof s1);
  /* but a positive weight counts */
  w[N] = 100.0f;
  dedup__wminhash_icws(s2, K, f, w, N + 1, 1);
  assert_true(est(s1, s2, K) < 0.9);
  /* another seed: other samples */
  dedup__wminhash_icws(s2, K, f, w, N, 2);
  assert_true(est(s1, s2, K) < 0.2);
  /* empty set, and k not a multiple of the block size */
  uint64_t e[70];
  dedup__wminhash_icws(e, 70, f, w, 0, 1);
  for (int i = 0; i < 70; i++)
    assert_int_equal(e[i], UINT64_MAX);
  dedup__wminhash_icws(e, 70, f, w, N, 1);
  assert_memory_equal(e, s1, 64 * sizeof *e); /* prefix: same samples */
  for (int i = 64; i < 70; i++)
    assert_true(e[i] != UINT64_MAX);
}

/* A heavier weight wins more samples: the share of samples won by feature
 * x in {x: w} + {y: 1} tends to w / (w + 1) (consistent sampling). */
static void heavier_feature_wins_more(void **state) {
  (void)state;
  enum { K = 1024 };
  uint64_t f[2] = {111, 222}, sx[K], sy[K], s[K];
  float w1[1] = {1.0f};
  dedup__wminhash_icws(sx, K, f, w1, 1, 4);
  dedup__wminhash_icws(sy, K, f + 1, w1, 1, 4);
  for (int wi = 1; wi <= 4; wi++) {
    float w[2] = {(float)wi, 1.0f};
    dedup__wminhash_icws(s, K, f, w, 2, 4);
    double share = est(s, sx, K);
    /* every sample is won by x or by y */
    assert_true(fabs(share + est(s, sy, K) - 1.0) < 1e-12);
    /* sd <= 0.016 */
    assert_true(fabs(share - (double)wi / (wi + 1)) < 0.06);
  }
}

static void throughput(void **state) {
  (void)state;
  enum { K = 128, N = 2000 };
  uint64_t rs = 1, f[N], s[K];
  float w[N];
  for (int i = 0; i < N; i++) {
    f[i] = rng_next(&rs);
    w[i] = (float)(0.1 + rng_unit(&rs));
  }
  clock_t t0 = clock();
  for (int r = 0; r < 5; r++)
    dedup__wminhash_icws(s, K, f, w, N, (uint64_t)r);
  double sec = (double)(clock() - t0) / CLOCKS_PER_SEC;
  printf("icws k=%d: %.2f M (feature, sample) pairs/s = %.0f k features/s\n",
         K, sec > 0 ? (double)N * K * 5 / sec / 1e6 : 0.0,
         sec > 0 ? (double)N * 5 / sec / 1e3 : 0.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exact_hand_computed),
      cmocka_unit_test(known_answer),
      cmocka_unit_test(estimate_matches_weighted_jaccard),
      cmocka_unit_test(scaling_invariance),
      cmocka_unit_test(identical_order_and_zero_weights),
      cmocka_unit_test(heavier_feature_wins_more),
      cmocka_unit_test(throughput),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
