/* test_simhash.c - SimHash fingerprints: streaming == one-shot, distances
 * of near-duplicates and unrelated sets, weights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dedup.h"
#include "sketch/simhash.h"

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t sh_of(const uint64_t *f, const double *w, size_t n,
                      uint64_t seed) {
  dedup_simhash *sh;
  assert_int_equal(dedup_simhash_new(&sh), DEDUP_OK);
  dedup_simhash_reset(sh, seed);
  dedup_simhash_update(sh, f, w, n);
  uint64_t d = dedup_simhash_digest(sh);
  dedup_simhash_free(sh);
  return d;
}

static void distance_is_hamming(void **state) {
  (void)state;
  assert_int_equal(dedup_simhash_distance(0, 0), 0);
  assert_int_equal(dedup_simhash_distance(0, UINT64_MAX), 64);
  assert_int_equal(dedup_simhash_distance(0xF0, 0x0F), 8);
  assert_int_equal(dedup_simhash_distance(1ULL << 63, 1), 2);
  assert_int_equal(dedup_simhash_distance(0x123456789abcdefULL,
                                          0x123456789abcdeeULL),
                   1);
}

/* Frozen fingerprints of the algorithm as first implemented: features
 * (i + 1) * G for i < 100, seed 0x5eed, unit weights and weights
 * 1 + (i % 7) / 2. */
static void known_answer(void **state) {
  (void)state;
  uint64_t f[100];
  float w[100];
  for (int i = 0; i < 100; i++) {
    f[i] = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
    w[i] = 1.0f + (float)(i % 7) / 2.0f;
  }
  uint64_t got[2] = {dedup__simhash(f, NULL, 100, 0x5eed),
                     dedup__simhash(f, w, 100, 0x5eed)};
  static const uint64_t want[2] = {0x73d34d01c3e26ff9ULL,
                                   0x77d34f63e3ea4fffULL};
  for (int i = 0; i < 2; i++)
    if (got[i] != want[i])
      printf("KAT %d: got 0x%016llxULL\n", i, (unsigned long long)got[i]);
  assert_memory_equal(got, want, sizeof want);
}

static void streaming_matches_one_shot(void **state) {
  (void)state;
  enum { N = 1000 };
  uint64_t rs = 1, f[N];
  double wd[N];
  float wf[N];
  for (int i = 0; i < N; i++) {
    f[i] = rng_next(&rs);
    /* weights exactly representable as float, so both paths see the same
     * numbers */
    wf[i] = (float)(1 + rng_next(&rs) % 64) / 8.0f;
    wd[i] = wf[i];
  }
  uint64_t one = dedup__simhash(f, wf, N, 17);
  assert_int_equal(sh_of(f, wd, N, 17), one);
  dedup_simhash *sh;
  assert_int_equal(dedup_simhash_new(&sh), DEDUP_OK);
  assert_int_equal(dedup_simhash_digest(sh), 0); /* empty */
  dedup_simhash_update(sh, f, NULL, 10);
  dedup_simhash_reset(sh, 17); /* forgets the above */
  for (int i = 0; i < N; i += 7) {
    size_t m = N - i < 7 ? (size_t)(N - i) : 7;
    dedup_simhash_update(sh, f + i, wd + i, m);
    (void)dedup_simhash_digest(sh); /* digest does not disturb the state */
  }
  assert_int_equal(dedup_simhash_digest(sh), one);
  assert_int_equal(dedup_simhash_digest(sh), one);
  /* NULL weights mean 1 */
  for (int i = 0; i < N; i++)
    wf[i] = 1.0f;
  dedup_simhash_reset(sh, 17);
  dedup_simhash_update(sh, f, NULL, N);
  assert_int_equal(dedup_simhash_digest(sh), dedup__simhash(f, wf, N, 17));
  assert_int_equal(dedup_simhash_digest(sh), dedup__simhash(f, NULL, N, 17));
  dedup_simhash_free(sh);
  dedup_simhash_free(NULL);
  /* a different seed gives an unrelated fingerprint */
  unsigned d = dedup_simhash_distance(dedup__simhash(f, NULL, N, 17),
                                      dedup__simhash(f, NULL, N, 18));
  assert_true(d >= 16);
}

static void identical_sets_distance_zero(void **state) {
  (void)state;
  uint64_t rs = 2, a[300], b[300];
  for (int t = 0; t < 20; t++) {
    for (int i = 0; i < 300; i++)
      a[i] = rng_next(&rs);
    for (int i = 0; i < 300; i++)
      b[i] = a[299 - i]; /* same set, other order */
    assert_int_equal(dedup_simhash_distance(dedup__simhash(a, NULL, 300, 5),
                                            dedup__simhash(b, NULL, 300, 5)),
                     0);
  }
}

/* Two sets of n unit-weight features sharing a fraction s have cosine s,
 * and each bit differs with probability angle/pi (Charikar), so at 95%
 * shared E[distance] = 64 * acos(0.95) / pi = 6.5 (sd 2.4): a few pairs
 * reach 10 by chance, none should reach 16. */
static void near_duplicates_close(void **state) {
  (void)state;
  enum { PAIRS = 200, N = 200, SHARED = 190 };
  uint64_t rs = 3, a[N], b[N];
  unsigned below10 = 0, maxd = 0;
  double sum = 0;
  for (int t = 0; t < PAIRS; t++) {
    for (int i = 0; i < N; i++)
      a[i] = b[i] = rng_next(&rs);
    for (int i = SHARED; i < N; i++)
      b[i] = rng_next(&rs);
    unsigned d = dedup_simhash_distance(dedup__simhash(a, NULL, N, 7),
                                        dedup__simhash(b, NULL, N, 7));
    below10 += d < 10;
    maxd = d > maxd ? d : maxd;
    sum += d;
  }
  double mean = sum / PAIRS;
  printf("95%% shared: mean distance %.2f (theory %.2f), %u/%d below 10, "
         "max %u\n",
         mean, 64 * acos(0.95) / acos(-1.0), below10, PAIRS, maxd);
  assert_true(mean >= 5.0 && mean <= 8.0);
  assert_true(below10 >= PAIRS * 85 / 100);
  assert_true(maxd < 16);
}

/* Unrelated sets: each bit a fair coin, distance ~ Binomial(64, 1/2),
 * mean 32, sd 4; 18..46 is 3.5 sd. */
static void unrelated_sets_far(void **state) {
  (void)state;
  enum { PAIRS = 100, N = 150 };
  uint64_t rs = 4, a[N], b[N];
  double sum = 0;
  for (int t = 0; t < PAIRS; t++) {
    for (int i = 0; i < N; i++) {
      a[i] = rng_next(&rs);
      b[i] = rng_next(&rs);
    }
    unsigned d = dedup_simhash_distance(dedup__simhash(a, NULL, N, 9),
                                        dedup__simhash(b, NULL, N, 9));
    assert_true(d >= 18 && d <= 46);
    sum += d;
  }
  printf("unrelated: mean distance %.2f\n", sum / PAIRS);
  assert_true(sum / PAIRS >= 29 && sum / PAIRS <= 35);
}

/* A feature heavier than all others together decides every bit: the
 * fingerprint becomes the feature's own.  At weight 1 it is one voice of
 * many and the fingerprint stays far from it. */
static void weights_matter(void **state) {
  (void)state;
  enum { N = 100 };
  uint64_t rs = 6, f[N];
  float w[N];
  for (int t = 0; t < 20; t++) {
    for (int i = 0; i < N; i++) {
      f[i] = rng_next(&rs);
      w[i] = 1.0f;
    }
    uint64_t alone = dedup__simhash(f, NULL, 1, 11);
    unsigned light = dedup_simhash_distance(dedup__simhash(f, w, N, 11),
                                            alone);
    w[0] = (float)N; /* > sum of the other 99 weights */
    unsigned heavy = dedup_simhash_distance(dedup__simhash(f, w, N, 11),
                                            alone);
    assert_int_equal(heavy, 0);
    assert_true(light >= 14);
    /* a middling weight pulls part of the way */
    w[0] = 10.0f;
    unsigned mid = dedup_simhash_distance(dedup__simhash(f, w, N, 11),
                                          alone);
    assert_true(mid < light);
    /* zero weight: as if absent */
    w[0] = 0.0f;
    assert_int_equal(dedup__simhash(f, w, N, 11),
                     dedup__simhash(f + 1, w + 1, N - 1, 11));
  }
}

static void throughput(void **state) {
  (void)state;
  enum { N = 1 << 15 };
  uint64_t rs = 8;
  uint64_t *f = malloc(N * sizeof *f);
  assert_non_null(f);
  for (int i = 0; i < N; i++)
    f[i] = rng_next(&rs);
  uint64_t acc = 0;
  clock_t t0 = clock();
  for (int r = 0; r < 20; r++)
    acc ^= dedup__simhash(f, NULL, N, (uint64_t)r);
  double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
  printf("simhash: %.1f M features/s (%llx)\n",
         s > 0 ? (double)N * 20 / s / 1e6 : 0.0, (unsigned long long)acc);
  free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(distance_is_hamming),
      cmocka_unit_test(known_answer),
      cmocka_unit_test(streaming_matches_one_shot),
      cmocka_unit_test(identical_sets_distance_zero),
      cmocka_unit_test(near_duplicates_close),
      cmocka_unit_test(unrelated_sets_far),
      cmocka_unit_test(weights_matter),
      cmocka_unit_test(throughput),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
