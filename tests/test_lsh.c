/* test_lsh.c - band/row choice, incremental index and batch pairs.
 *
 * Signatures are simulated rather than computed: two MinHash signatures of
 * sets with Jaccard J agree on each word independently with probability J,
 * so a pair is made by copying each word of one into the other with
 * probability J and drawing a fresh random word otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dedup_private.h"
#include "common/hash.h"
#include "index/lsh.h"

static uint64_t rnd(uint64_t *s) {
  *s += 0x9e3779b97f4a7c15ULL;
  return dedup__mix64(*s);
}

static double unif(uint64_t *s) { return (double)(rnd(s) >> 11) * 0x1p-53; }

/* sig b[0..k) agrees with a[0..k) on each word with probability j. */
static void make_like(uint64_t *b, const uint64_t *a, unsigned k, double j,
                      uint64_t *s) {
  for (unsigned i = 0; i < k; i++)
    b[i] = unif(s) < j ? a[i] : rnd(s);
}

static void make_random(uint64_t *a, unsigned k, uint64_t *s) {
  for (unsigned i = 0; i < k; i++)
    a[i] = rnd(s);
}

/* Weighted FP/FN error by a different rule (midpoint, 2000 steps) than
 * the library's Simpson, so the optimality check is independent. */
static double weighted_error(double t, unsigned b, unsigned r, double wfp,
                             double wfn) {
  enum { STEPS = 2000 };
  double fp = 0, fn = 0;
  for (int i = 0; i < STEPS; i++) {
    double s = t * (i + 0.5) / STEPS;
    fp += 1.0 - pow(1.0 - pow(s, r), b);
    s = t + (1.0 - t) * (i + 0.5) / STEPS;
    fn += pow(1.0 - pow(s, r), b);
  }
  return wfp * fp * t / STEPS + wfn * fn * (1.0 - t) / STEPS;
}

static void check_optimal(double t, unsigned k, double wfp, double wfn,
                          unsigned *b, unsigned *r) {
  dedup__lsh_params(t, k, wfp, wfn, b, r);
  assert_true(*b >= 1 && *r >= 1);
  assert_true((size_t)*b * *r <= k);
  double got = weighted_error(t, *b, *r, wfp, wfn), best = INFINITY;
  for (unsigned bb = 1; bb <= k; bb++)
    for (unsigned rr = 1; rr <= k / bb; rr++) {
      double e = weighted_error(t, bb, rr, wfp, wfn);
      if (e < best)
        best = e;
    }
  assert_true(got <= best + 1e-7);
}

static void params_are_optimal(void **state) {
  (void)state;
  unsigned b3, r3, b5, r5, b8, r8, b, r;
  check_optimal(0.3, 128, 0.5, 0.5, &b3, &r3);
  check_optimal(0.5, 128, 0.5, 0.5, &b5, &r5);
  check_optimal(0.8, 128, 0.5, 0.5, &b8, &r8);
  /* A higher threshold needs longer bands. */
  assert_true(r3 < r5 && r5 < r8);
  assert_true(b3 > b5 && b5 > b8);
  /* The S-curve steps near t: neither certain nor hopeless there. */
  double p3 = dedup__lsh_prob(0.3, b3, r3), p5 = dedup__lsh_prob(0.5, b5, r5),
         p8 = dedup__lsh_prob(0.8, b8, r8);
  assert_true(p3 > 0.25 && p3 < 0.75);
  assert_true(p5 > 0.25 && p5 < 0.75);
  assert_true(p8 > 0.25 && p8 < 0.75);
  /* and far from t it is decisive */
  assert_true(dedup__lsh_prob(0.9, b5, r5) > 0.999);
  assert_true(dedup__lsh_prob(0.1, b5, r5) < 0.001);

  /* Penalising false negatives more moves the step left. */
  check_optimal(0.5, 128, 0.1, 0.9, &b, &r);
  assert_true(dedup__lsh_prob(0.5, b, r) > p5);
  check_optimal(0.5, 64, 0.5, 0.5, &b, &r);
  check_optimal(0.7, 256, 0.5, 0.5, &b, &r);

  /* Degenerate inputs. */
  dedup__lsh_params(0.5, 0, 0.5, 0.5, &b, &r);
  assert_int_equal(b, 0);
  assert_int_equal(r, 0);
  dedup__lsh_params(0.5, 1, 0.5, 0.5, &b, &r);
  assert_int_equal(b, 1);
  assert_int_equal(r, 1);
  /* t = 0 wants every pair: most bands of one row; t = 1 the opposite. */
  dedup__lsh_params(0.0, 32, 0.5, 0.5, &b, &r);
  assert_int_equal(b, 32);
  assert_int_equal(r, 1);
  dedup__lsh_params(1.0, 32, 0.5, 0.5, &b, &r);
  assert_int_equal(b, 1);
  assert_int_equal(r, 32);
  /* Bad weights fall back to 0.5/0.5. */
  unsigned bd, rd;
  dedup__lsh_params(0.5, 128, -1.0, 0.0, &bd, &rd);
  assert_int_equal(bd, b5);
  assert_int_equal(rd, r5);
}

static void prob_formula(void **state) {
  (void)state;
  assert_true(fabs(dedup__lsh_prob(0.5, 20, 5) - (1 - pow(31.0 / 32, 20))) <
              1e-12);
  assert_true(dedup__lsh_prob(0.0, 20, 5) == 0.0);
  assert_true(dedup__lsh_prob(1.0, 20, 5) == 1.0);
  double prev = 0.0;
  for (int i = 1; i <= 100; i++) {
    double p = dedup__lsh_prob(i / 100.0, 25, 5);
    assert_true(p >= prev);
    prev = p;
  }
  /* Tiny s^r: still accurate (b s^r), not rounded to 0. */
  double p = dedup__lsh_prob(1e-3, 10, 4);
  assert_true(fabs(p / 1e-11 - 1.0) < 1e-6);
}

static void band_keys_are_per_band(void **state) {
  (void)state;
  enum { B = 8, R = 4 };
  uint64_t s = 7, sig[B * R], k1[B], k2[B];
  make_random(sig, B * R, &s);
  dedup__lsh_band_keys(k1, sig, B, R);
  for (unsigned j = 0; j < B; j++) {
    /* little-endian byte form on this (little-endian) test machine */
    if (((const unsigned char *)&(uint16_t){1})[0] == 1)
      assert_true(k1[j] == dedup__hash(sig + j * R, R * 8, j));
    for (unsigned i = 0; i < j; i++)
      assert_true(k1[i] != k1[j]);
  }
  /* The same words in another band give another key (seeded by band). */
  uint64_t same[B * R];
  for (unsigned j = 0; j < B; j++)
    memcpy(same + j * R, sig, R * sizeof *sig);
  dedup__lsh_band_keys(k2, same, B, R);
  for (unsigned j = 1; j < B; j++)
    assert_true(k2[j] != k2[0]);
  /* Changing a word changes its band's key only. */
  sig[3 * R + 1] ^= 1;
  dedup__lsh_band_keys(k2, sig, B, R);
  for (unsigned j = 0; j < B; j++)
    assert_true((k1[j] != k2[j]) == (j == 3));
}

static int has_id(const uint32_t *v, size_t n, uint32_t x) {
  for (size_t i = 0; i < n; i++)
    if (v[i] == x)
      return 1;
  return 0;
}

static void assert_ascending_unique(const uint32_t *v, size_t n) {
  for (size_t i = 1; i < n; i++)
    assert_true(v[i - 1] < v[i]);
}

/* Index over 1000 similar pairs (J in [0.6,1]) and 1000 dissimilar pairs
 * (J in [0,0.2]) at t = 0.5, k = 128. */
static void recall_and_false_positives(void **state) {
  (void)state;
  enum { K = 128, NP = 1000, N = 4 * NP };
  unsigned b, r;
  dedup__lsh_params(0.5, K, 0.5, 0.5, &b, &r);
  uint64_t s = 12345;
  uint64_t *sigs = malloc((size_t)N * K * sizeof *sigs);
  assert_non_null(sigs);
  double jsum = 0;
  for (uint32_t p = 0; p < 2 * NP; p++) {
    double j = p < NP ? 0.6 + 0.4 * unif(&s) : 0.2 * unif(&s);
    if (p < NP)
      jsum += dedup__lsh_prob(j, b, r);
    make_random(sigs + (size_t)2 * p * K, K, &s);
    make_like(sigs + (size_t)(2 * p + 1) * K, sigs + (size_t)2 * p * K, K, j,
              &s);
  }
  dedup__lsh *l;
  assert_int_equal(dedup__lsh_new(&l, b, r), DEDUP_OK);
  /* Insert in a scrambled order: results must still come out sorted. */
  uint32_t *order = malloc(N * sizeof *order);
  assert_non_null(order);
  for (uint32_t i = 0; i < N; i++)
    order[i] = i;
  for (uint32_t i = N - 1; i > 0; i--) {
    uint32_t j = (uint32_t)(rnd(&s) % (i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (uint32_t i = 0; i < N; i++)
    assert_int_equal(
        dedup__lsh_insert(l, order[i], sigs + (size_t)order[i] * K),
        DEDUP_OK);
  uint32_t *ids = NULL;
  size_t n_ids = 0, cap = 0;
  unsigned hit_hi = 0, hit_lo = 0;
  for (uint32_t p = 0; p < 2 * NP; p++) {
    assert_int_equal(
        dedup__lsh_query(l, sigs + (size_t)2 * p * K, &ids, &n_ids, &cap),
        DEDUP_OK);
    assert_ascending_unique(ids, n_ids);
    /* itself always; its partner maybe; nobody else (random words) */
    assert_true(has_id(ids, n_ids, 2 * p));
    int partner = has_id(ids, n_ids, 2 * p + 1);
    assert_int_equal(n_ids, 1 + partner);
    if (partner)
      *(p < NP ? &hit_hi : &hit_lo) += 1;
  }
  double recall = (double)hit_hi / NP, fpr = (double)hit_lo / NP;
  print_message("b=%u r=%u recall %.3f (expected %.3f), low-J rate %.4f\n",
                b, r, recall, jsum / NP, fpr);
  assert_true(recall >= 0.95);
  assert_true(fabs(recall - jsum / NP) < 0.03);
  assert_true(fpr <= 0.05);
  /* A signature never inserted finds nothing. */
  uint64_t fresh[K];
  make_random(fresh, K, &s);
  assert_int_equal(dedup__lsh_query(l, fresh, &ids, &n_ids, &cap), DEDUP_OK);
  assert_int_equal(n_ids, 0);
  dedup__free(ids);
  dedup__lsh_free(l);
  free(order);
  free(sigs);
}

static int cmp_pair(const void *pa, const void *pb) {
  const dedup__pair *a = pa, *b = pb;
  if (a->a != b->a)
    return a->a < b->a ? -1 : 1;
  return (a->b > b->b) - (a->b < b->b);
}

/* Families of near and exact copies around random bases. */
static uint64_t *make_families(size_t n, unsigned k, size_t stride,
                               unsigned fam, uint64_t seed) {
  uint64_t s = seed;
  uint64_t *base = malloc((size_t)fam * k * sizeof *base);
  uint64_t *sigs = calloc(n * stride, sizeof *sigs);
  assert_true(base && sigs);
  for (unsigned f = 0; f < fam; f++)
    make_random(base + (size_t)f * k, k, &s);
  for (size_t i = 0; i < n; i++) {
    unsigned f = (unsigned)(rnd(&s) % fam);
    double j = (rnd(&s) & 3) == 0 ? 1.0 : 0.3 + 0.7 * unif(&s);
    make_like(sigs + i * stride, base + (size_t)f * k, k, j, &s);
    for (size_t w = k; w < stride; w++) /* padding must be ignored */
      sigs[i * stride + w] = rnd(&s);
  }
  free(base);
  return sigs;
}

/* Candidate pairs by inserting every item and querying each. */
static dedup__pair *incremental_pairs(const uint64_t *sigs, size_t n,
                                      size_t stride, unsigned b, unsigned r,
                                      size_t *nref_out) {
  dedup__lsh *l;
  assert_int_equal(dedup__lsh_new(&l, b, r), DEDUP_OK);
  for (uint32_t i = 0; i < n; i++)
    assert_int_equal(dedup__lsh_insert(l, i, sigs + (size_t)i * stride),
                     DEDUP_OK);
  dedup__pair *ref = NULL;
  size_t nref = 0, capref = 0;
  uint32_t *ids = NULL;
  size_t n_ids = 0, cap = 0;
  for (uint32_t i = 0; i < n; i++) {
    assert_int_equal(
        dedup__lsh_query(l, sigs + (size_t)i * stride, &ids, &n_ids, &cap),
        DEDUP_OK);
    assert_ascending_unique(ids, n_ids);
    assert_true(has_id(ids, n_ids, i));
    for (size_t x = 0; x < n_ids; x++) {
      if (ids[x] <= i) /* each pair once, from its smaller end */
        continue;
      if (nref == capref) {
        capref = capref ? 2 * capref : 1024;
        ref = realloc(ref, capref * sizeof *ref);
        assert_non_null(ref);
      }
      ref[nref].a = i;
      ref[nref++].b = ids[x];
    }
  }
  qsort(ref, nref, sizeof *ref, cmp_pair);
  dedup__free(ids);
  dedup__lsh_free(l);
  *nref_out = nref;
  return ref;
}

static void batch_matches_incremental(void **state) {
  (void)state;
  enum { N = 3000, B = 16, R = 4, K = B * R, STRIDE = K + 5 };
  uint64_t *sigs = make_families(N, K, STRIDE, 250, 99);
  size_t nref;
  dedup__pair *ref = incremental_pairs(sigs, N, STRIDE, B, R, &nref);
  print_message("%zu candidate pairs\n", nref);
  assert_true(nref > 5000); /* the families really do collide */

  dedup__pairvec pv = {0}, pv2 = {0};
  assert_int_equal(dedup__lsh_pairs(&pv, sigs, N, STRIDE, B, R, 0), DEDUP_OK);
  assert_int_equal(pv.n, nref);
  assert_memory_equal(pv.v, ref, nref * sizeof *ref);
  /* A bound no bucket reaches changes nothing; reruns are identical (and
   * overwriting a filled vector leaks nothing). */
  assert_int_equal(dedup__lsh_pairs(&pv2, sigs, N, STRIDE, B, R, N),
                   DEDUP_OK);
  assert_int_equal(pv2.n, nref);
  assert_memory_equal(pv2.v, ref, nref * sizeof *ref);
  assert_int_equal(dedup__lsh_pairs(&pv2, sigs, N, STRIDE, B, R, 0),
                   DEDUP_OK);
  assert_memory_equal(pv2.v, pv.v, nref * sizeof *ref);

  /* A tight bound gives a sorted subset. */
  assert_int_equal(dedup__lsh_pairs(&pv2, sigs, N, STRIDE, B, R, 2),
                   DEDUP_OK);
  assert_true(pv2.n < nref);
  for (size_t i = 0; i < pv2.n; i++) {
    assert_true(pv2.v[i].a < pv2.v[i].b);
    if (i)
      assert_true(cmp_pair(&pv2.v[i - 1], &pv2.v[i]) < 0);
    assert_non_null(bsearch(&pv2.v[i], ref, nref, sizeof *ref, cmp_pair));
  }
  dedup__pairvec_free(&pv);
  dedup__pairvec_free(&pv2);
  free(ref);
  free(sigs);
}

/* Ten groups of 30 items that agree on band 0 only, among 700 unrelated
 * items: with about two items a radix bucket, each group's bucket also
 * holds other keys, which must not split the group's run. */
static void batch_mixed_buckets(void **state) {
  (void)state;
  enum { N = 1000, B = 8, R = 2, K = B * R, G = 10, GS = 30 };
  uint64_t s = 31, base[G][R];
  uint64_t *sigs = malloc(N * K * sizeof *sigs);
  uint32_t *group = malloc(N * sizeof *group);
  assert_true(sigs && group);
  for (unsigned i = 0; i < N; i++)
    group[i] = i < G * GS ? i / GS : G;
  for (unsigned i = N - 1; i > 0; i--) {
    unsigned j = (unsigned)(rnd(&s) % (i + 1));
    uint32_t t = group[i];
    group[i] = group[j];
    group[j] = t;
  }
  make_random(&base[0][0], G * R, &s);
  for (unsigned i = 0; i < N; i++) {
    make_random(sigs + i * K, K, &s);
    if (group[i] < G)
      memcpy(sigs + i * K, base[group[i]], sizeof base[0]);
  }
  size_t nref;
  dedup__pair *ref = incremental_pairs(sigs, N, K, B, R, &nref);
  assert_int_equal(nref, G * (GS * (GS - 1) / 2));
  dedup__pairvec pv = {0};
  assert_int_equal(dedup__lsh_pairs(&pv, sigs, N, K, B, R, 0), DEDUP_OK);
  assert_int_equal(pv.n, nref);
  assert_memory_equal(pv.v, ref, nref * sizeof *ref);
  for (size_t i = 0; i < pv.n; i++)
    assert_int_equal(group[pv.v[i].a], group[pv.v[i].b]);
  dedup__pairvec_free(&pv);
  free(ref);
  free(sigs);
  free(group);
}

/* Every band splits the items into two big random groups, so each band
 * emits ~62k pairs, many of them new: the raw pair list is compacted and
 * merged several times along the way. */
static void batch_compaction(void **state) {
  (void)state;
  enum { N = 500, B = 6, R = 2, K = B * R };
  uint64_t s = 8, base[B][2][R];
  uint64_t *sigs = malloc(N * K * sizeof *sigs);
  assert_non_null(sigs);
  make_random(&base[0][0][0], B * 2 * R, &s);
  for (unsigned i = 0; i < N; i++)
    for (unsigned j = 0; j < B; j++)
      memcpy(sigs + i * K + j * R, base[j][rnd(&s) & 1], sizeof base[j][0]);
  size_t nref;
  dedup__pair *ref = incremental_pairs(sigs, N, K, B, R, &nref);
  assert_true(nref > 100000 && nref < N * (N - 1) / 2);
  dedup__pairvec pv = {0};
  assert_int_equal(dedup__lsh_pairs(&pv, sigs, N, K, B, R, 0), DEDUP_OK);
  assert_int_equal(pv.n, nref);
  assert_memory_equal(pv.v, ref, nref * sizeof *ref);
  dedup__pairvec_free(&pv);
  free(ref);
  free(sigs);
}

/* 50 copies of one signature at even ids among 50 unrelated ones. */
static void max_bucket_bound(void **state) {
  (void)state;
  enum { N = 100, B = 10, R = 3, K = B * R };
  uint64_t s = 5, sigs[N * K];
  make_random(sigs, K, &s);
  for (unsigned i = 1; i < N; i++) {
    if (i % 2 == 0)
      memcpy(sigs + i * K, sigs, K * sizeof *sigs);
    else
      make_random(sigs + i * K, K, &s);
  }
  static const size_t bounds[] = {1, 10, 48, 49, 50, 0};
  for (size_t t = 0; t < sizeof bounds / sizeof *bounds; t++) {
    size_t mb = bounds[t], w = mb && mb < 50 ? mb : 49;
    dedup__pairvec pv = {0};
    assert_int_equal(dedup__lsh_pairs(&pv, sigs, N, K, B, R, mb), DEDUP_OK);
    /* members 2i with the next w members 2j, j in (i, i + w] */
    size_t x = 0;
    for (uint32_t i = 0; i < 50; i++)
      for (uint32_t j = i + 1; j < 50 && j <= i + w; j++, x++) {
        assert_true(x < pv.n);
        assert_int_equal(pv.v[x].a, 2 * i);
        assert_int_equal(pv.v[x].b, 2 * j);
      }
    assert_int_equal(pv.n, x);
    dedup__pairvec_free(&pv);
  }
}

/* dedup__lsh_query_all walks many bands at once: its ids must still come
 * band by band, each list newest first and cut at max_bucket, with more
 * bands than are walked together, lists longer than are read ahead, and
 * emptied (DEAD) and missing keys. */
static void query_all_in_band_order(void **state) {
  (void)state;
  enum { N = 90, B = 37, A = 3 };
  uint64_t s = 11, sigs[N * B], q[B];
  for (unsigned i = 0; i < N; i++)
    for (unsigned j = 0; j < B; j++)
      sigs[i * B + j] = rnd(&s) % A;
  for (unsigned i = 0; i < N; i += 5)
    sigs[i * B] = 7; /* band 0's key 7: only removed ids */
  for (unsigned j = 0; j < B; j++)
    q[j] = rnd(&s) % A;
  q[0] = 7;
  q[B - 1] = 99; /* no such key */
  dedup__lsh *l;
  assert_int_equal(dedup__lsh_new(&l, B, 1), DEDUP_OK);
  for (uint32_t i = 0; i < N; i++)
    assert_int_equal(dedup__lsh_insert(l, i, sigs + i * B), DEDUP_OK);
  for (uint32_t i = 0; i < N; i += 5)
    assert_int_equal(dedup__lsh_remove(l, i, sigs + i * B), B);
  static const size_t bounds[] = {0, 1, 5, 15, 16, 17, 40, SIZE_MAX};
  uint32_t *ids = NULL, want[N * B];
  size_t n_ids, cap = 0;
  for (size_t t = 0; t < sizeof bounds / sizeof *bounds; t++) {
    size_t n = 0;
    for (unsigned j = 0; j < B; j++)
      for (uint32_t i = N, m = 0; i-- > 0 && m < bounds[t];)
        if (i % 5 && sigs[i * B + j] == q[j])
          want[n++] = i, m++;
    assert_int_equal(
        dedup__lsh_query_all(l, q, bounds[t], &ids, &n_ids, &cap), DEDUP_OK);
    assert_int_equal(n_ids, n);
    for (size_t x = 0; x < n; x++)
      assert_int_equal(ids[x], want[x]);
  }
  dedup__free(ids);
  dedup__lsh_free(l);
}

static void degenerate_inputs(void **state) {
  (void)state;
  uint64_t sig[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  dedup__pairvec pv = {0};
  assert_int_equal(dedup__lsh_pairs(&pv, sig, 0, 8, 4, 2, 0), DEDUP_OK);
  assert_int_equal(pv.n, 0);
  assert_int_equal(dedup__lsh_pairs(&pv, sig, 1, 8, 4, 2, 0), DEDUP_OK);
  assert_int_equal(pv.n, 0);
  assert_int_equal(dedup__lsh_pairs(&pv, sig, 1, 8, 0, 2, 0), DEDUP_EINVAL);
  assert_int_equal(dedup__lsh_pairs(&pv, sig, 1, 8, 4, 0, 0), DEDUP_EINVAL);
  /* two identical items: one pair */
  uint64_t two[16];
  memcpy(two, sig, sizeof sig);
  memcpy(two + 8, sig, sizeof sig);
  assert_int_equal(dedup__lsh_pairs(&pv, two, 2, 8, 4, 2, 0), DEDUP_OK);
  assert_int_equal(pv.n, 1);
  assert_int_equal(pv.v[0].a, 0);
  assert_int_equal(pv.v[0].b, 1);
  dedup__pairvec_free(&pv);
  dedup__pairvec_free(&pv); /* idempotent */

  dedup__lsh *l = (dedup__lsh *)(void *)&pv; /* must be reset to NULL */
  assert_int_equal(dedup__lsh_new(&l, 0, 4), DEDUP_EINVAL);
  assert_null(l);
  dedup__lsh_free(NULL);
  assert_int_equal(dedup__lsh_new(&l, 4, 2), DEDUP_OK);
  uint32_t *ids = NULL;
  size_t n_ids = 7, cap = 0;
  assert_int_equal(dedup__lsh_query(l, sig, &ids, &n_ids, &cap), DEDUP_OK);
  assert_int_equal(n_ids, 0);
  /* the same id twice under one key is reported once */
  assert_int_equal(dedup__lsh_insert(l, 3, sig), DEDUP_OK);
  assert_int_equal(dedup__lsh_insert(l, 3, sig), DEDUP_OK);
  assert_int_equal(dedup__lsh_query(l, sig, &ids, &n_ids, &cap), DEDUP_OK);
  assert_int_equal(n_ids, 1);
  assert_int_equal(ids[0], 3);
  dedup__free(ids);
  dedup__lsh_free(l);
}

/* Growth: many distinct keys and one huge bucket in the same tables. */
static void index_growth(void **state) {
  (void)state;
  enum { N = 20000, B = 4, R = 2, K = B * R };
  uint64_t s = 77, dup[K], sig[K];
  make_random(dup, K, &s);
  dedup__lsh *l;
  assert_int_equal(dedup__lsh_new(&l, B, R), DEDUP_OK);
  uint64_t s2 = s;
  for (uint32_t i = 0; i < N; i++) {
    if (i % 4 == 0) {
      assert_int_equal(dedup__lsh_insert(l, i, dup), DEDUP_OK);
    } else {
      make_random(sig, K, &s);
      assert_int_equal(dedup__lsh_insert(l, i, sig), DEDUP_OK);
    }
  }
  uint32_t *ids = NULL;
  size_t n_ids, cap = 0;
  assert_int_equal(dedup__lsh_query(l, dup, &ids, &n_ids, &cap), DEDUP_OK);
  assert_int_equal(n_ids, N / 4);
  for (size_t i = 0; i < n_ids; i++)
    assert_int_equal(ids[i], 4 * i);
  /* Replay the random signatures: each finds exactly itself. */
  for (uint32_t i = 0; i < N; i++) {
    if (i % 4 == 0)
      continue;
    make_random(sig, K, &s2);
    assert_int_equal(dedup__lsh_query(l, sig, &ids, &n_ids, &cap), DEDUP_OK);
    assert_int_equal(n_ids, 1);
    assert_int_equal(ids[0], i);
  }
  dedup__free(ids);
  dedup__lsh_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(params_are_optimal),
      cmocka_unit_test(prob_formula),
      cmocka_unit_test(band_keys_are_per_band),
      cmocka_unit_test(recall_and_false_positives),
      cmocka_unit_test(batch_matches_incremental),
      cmocka_unit_test(batch_mixed_buckets),
      cmocka_unit_test(batch_compaction),
      cmocka_unit_test(max_bucket_bound),
      cmocka_unit_test(query_all_in_band_order),
      cmocka_unit_test(degenerate_inputs),
      cmocka_unit_test(index_growth),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
