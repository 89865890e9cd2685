/* test_simsearch.c - SimHash search within Hamming distance k against an
 * O(n^2) reference: every plan of blocks, the public pairs call and the
 * query index, on random fingerprints with planted near copies and exact
 * duplicates, and on fingerprints that share most bits (long runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/dedup_private.h"
#include "common/hash.h"
#include "index/simsearch.h"
#include "sketch/simhash.h"

static uint64_t rnd(uint64_t *s) {
  *s += 0x9e3779b97f4a7c15ULL;
  return dedup__mix64(*s);
}

/* n fingerprints: a quarter copies of an earlier one with 0..kmax+2 bits
 * flipped (so some land just inside k, some just outside), a tenth exact
 * duplicates, the rest random.  With narrow set, only the low 12 bits
 * vary: every fingerprint shares its high blocks, so runs are long. */
static uint64_t *make_fps(size_t n, unsigned kmax, uint64_t seed,
                          int narrow) {
  uint64_t *fp = malloc((n ? n : 1) * sizeof *fp), s = seed;
  assert_non_null(fp);
  for (size_t i = 0; i < n; i++) {
    unsigned r = (unsigned)(rnd(&s) % 20);
    if (i > 0 && r < 5) {
      uint64_t f = fp[rnd(&s) % i];
      unsigned d = (unsigned)(rnd(&s) % (kmax + 3));
      for (unsigned q = 0; q < d; q++)
        f ^= UINT64_C(1) << (narrow ? rnd(&s) % 12 : rnd(&s) % 64);
      fp[i] = f;
    } else if (i > 0 && r < 7) {
      fp[i] = fp[rnd(&s) % i];
    } else {
      fp[i] = narrow ? (rnd(&s) & 0xfff) | 0xabcd000000000000ULL : rnd(&s);
    }
  }
  return fp;
}

/* The reference: all pairs i < j within k, in (i, j) order. */
static dedup_pair *brute(const uint64_t *fp, size_t n, unsigned k,
                         size_t *m) {
  size_t cap = 64, c = 0;
  dedup_pair *v = malloc(cap * sizeof *v);
  assert_non_null(v);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (dedup__popcount64(fp[i] ^ fp[j]) <= k) {
        if (c == cap) {
          cap *= 2;
          v = realloc(v, cap * sizeof *v);
          assert_non_null(v);
        }
        v[c++] = (dedup_pair){(uint32_t)i, (uint32_t)j};
      }
  *m = c;
  return v;
}

static void same_pairs(const dedup_pair *got, size_t n_got,
                       const dedup_pair *want, size_t n_want) {
  assert_int_equal(n_got, n_want);
  for (size_t i = 0; i < n_want; i++) {
    assert_int_equal(got[i].a, want[i].a);
    assert_int_equal(got[i].b, want[i].b);
  }
}

static void check_public(const uint64_t *fp, size_t n, unsigned k,
                         unsigned threads) {
  size_t nw, ng = 12345;
  dedup_pair *want = brute(fp, n, k, &nw), *got = (dedup_pair *)1;
  assert_int_equal(dedup_simhash_pairs(&got, &ng, fp, n, k, threads),
                   DEDUP_OK);
  same_pairs(got, ng, want, nw);
  if (ng == 0)
    assert_null(got);
  dedup_free(got);
  free(want);
}

static void test_public_vs_brute(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 1, 2, 3, 17, 200, 1500};
  for (unsigned k = 0; k <= 8; k++)
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
      for (int narrow = 0; narrow < 2; narrow++) {
        uint64_t *fp = make_fps(sizes[si], k, 100 * k + si + narrow, narrow);
        check_public(fp, sizes[si], k, 1);
        check_public(fp, sizes[si], k, 2);
        free(fp);
      }
    }
}

/* Every plan (brute force, and b = k+1 .. 16 blocks) is exact, so each
 * one's pairs are the reference's; the cost model only picks among them. */
static void test_every_plan(void **state) {
  (void)state;
  for (unsigned k = 0; k <= 8; k++) {
    size_t n = 400, nw;
    uint64_t *fp = make_fps(n, k, 7 + k, k % 2);
    dedup_pair *want = brute(fp, n, k, &nw);
    assert_true(nw > 0);
    /* Brute force, b = k+1 .. k+6 and 16 (C(16, 8) = 12870 tables). */
    unsigned plans[8], np = 0;
    plans[np++] = 0;
    for (unsigned b = k + 1; b <= k + 6 && b < DEDUP__SS_MAX_BLOCKS; b++)
      plans[np++] = b;
    plans[np++] = DEDUP__SS_MAX_BLOCKS;
    for (unsigned pi = 0; pi < np; pi++) {
      dedup__u64vec v = {0};
      assert_int_equal(dedup__simsearch_pairs(&v, fp, n, k, 2, plans[pi]),
                       DEDUP_OK);
      assert_int_equal(v.n, nw);
      for (size_t i = 0; i < nw; i++)
        assert_true(v.v[i] == ((uint64_t)want[i].a << 32 | want[i].b));
      dedup__u64vec_free(&v);
    }
    free(want);
    free(fp);
  }
}

/* Distances from 64 on take every pair, without a block plan. */
static void test_all_pairs(void **state) {
  (void)state;
  static const unsigned ks[] = {16, 40, 63, 64, 65, 1000, UINT32_MAX};
  size_t n = 60;
  uint64_t *fp = make_fps(n, 3, 5, 0);
  fp[0] = 0;
  fp[1] = UINT64_MAX; /* distance 64 */
  for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
    check_public(fp, n, ks[i], 1);
    check_public(fp, n, ks[i], 3);
  }
  dedup_pair *p;
  size_t m;
  assert_int_equal(dedup_simhash_pairs(&p, &m, fp, n, 64, 0), DEDUP_OK);
  assert_int_equal(m, n * (n - 1) / 2);
  assert_int_equal(p[0].a, 0);
  assert_int_equal(p[0].b, 1);
  dedup_free(p);
  assert_int_equal(dedup_simhash_pairs(&p, &m, fp, n, 63, 0), DEDUP_OK);
  assert_int_equal(m, n * (n - 1) / 2 - 1); /* all but (0, 1) */
  dedup_free(p);
  free(fp);
}

/* k = 0 is exact duplicates: n copies are n(n-1)/2 pairs. */
static void test_duplicates(void **state) {
  (void)state;
  size_t n = 300, m;
  uint64_t *fp = malloc(n * sizeof *fp);
  assert_non_null(fp);
  for (size_t i = 0; i < n; i++)
    fp[i] = i % 3 == 0 ? 0x123456789abcdef0ULL : 0x0fedcba987654321ULL + i;
  dedup_pair *p;
  assert_int_equal(dedup_simhash_pairs(&p, &m, fp, n, 0, 2), DEDUP_OK);
  assert_int_equal(m, 100 * 99 / 2);
  for (size_t i = 0; i < m; i++) {
    assert_int_equal(p[i].a % 3, 0);
    assert_int_equal(p[i].b % 3, 0);
    assert_true(p[i].a < p[i].b);
    if (i)
      assert_true(p[i - 1].a < p[i].a ||
                  (p[i - 1].a == p[i].a && p[i - 1].b < p[i].b));
  }
  dedup_free(p);
  free(fp);
}

/* The same bytes at every thread count. */
static void test_threads(void **state) {
  (void)state;
  size_t n = 5000;
  uint64_t *fp = make_fps(n, 3, 99, 0);
  dedup_pair *ref;
  size_t nref;
  assert_int_equal(dedup_simhash_pairs(&ref, &nref, fp, n, 3, 1), DEDUP_OK);
  assert_true(nref > 1000);
  static const unsigned th[] = {0, 2, 3, 4, 7, 16};
  for (size_t i = 0; i < sizeof th / sizeof *th; i++) {
    dedup_pair *p;
    size_t m;
    assert_int_equal(dedup_simhash_pairs(&p, &m, fp, n, 3, th[i]), DEDUP_OK);
    assert_int_equal(m, nref);
    assert_memory_equal(p, ref, m * sizeof *p);
    dedup_free(p);
  }
  dedup_free(ref);
  free(fp);
}

static void test_bad_args(void **state) {
  (void)state;
  uint64_t fp[2] = {1, 3};
  dedup_pair *p = (dedup_pair *)1;
  size_t m = 7;
  assert_int_equal(dedup_simhash_pairs(NULL, &m, fp, 2, 3, 1), DEDUP_EINVAL);
  assert_int_equal(m, 0);
  assert_int_equal(dedup_simhash_pairs(&p, NULL, fp, 2, 3, 1), DEDUP_EINVAL);
  assert_null(p);
  p = (dedup_pair *)1;
  m = 7;
  assert_int_equal(dedup_simhash_pairs(&p, &m, NULL, 2, 3, 1), DEDUP_EINVAL);
  assert_null(p);
  assert_int_equal(m, 0);
  assert_int_equal(dedup_simhash_pairs(&p, &m, NULL, 0, 3, 1), DEDUP_OK);
  assert_null(p);
  assert_int_equal(m, 0);
#if SIZE_MAX > UINT32_MAX
  /* Refused before fp is read. */
  assert_int_equal(dedup_simhash_pairs(&p, &m, fp, (size_t)UINT32_MAX + 1, 3,
                                       1),
                   DEDUP_ETOOBIG);
  assert_null(p);
  dedup_simhash_index *x = (dedup_simhash_index *)1;
  assert_int_equal(dedup_simhash_index_new(&x, fp, (size_t)UINT32_MAX + 1, 3),
                   DEDUP_ETOOBIG);
  assert_null(x);
#endif
  dedup_simhash_index *x2 = (dedup_simhash_index *)1;
  assert_int_equal(dedup_simhash_index_new(NULL, fp, 2, 3), DEDUP_EINVAL);
  assert_int_equal(dedup_simhash_index_new(&x2, NULL, 2, 3), DEDUP_EINVAL);
  assert_null(x2);
  assert_int_equal(dedup_simhash_index_new(&x2, fp, 2, 3), DEDUP_OK);
  uint32_t *ids = (uint32_t *)1;
  size_t ni = 5;
  assert_int_equal(dedup_simhash_index_query(NULL, 1, &ids, &ni),
                   DEDUP_EINVAL);
  assert_null(ids);
  assert_int_equal(ni, 0);
  assert_int_equal(dedup_simhash_index_query(x2, 1, NULL, &ni), DEDUP_EINVAL);
  assert_int_equal(dedup_simhash_index_query(x2, 1, &ids, NULL),
                   DEDUP_EINVAL);
  assert_int_equal(dedup_simhash_index_query(x2, 1, &ids, &ni), DEDUP_OK);
  assert_int_equal(ni, 2);
  assert_int_equal(ids[0], 0);
  assert_int_equal(ids[1], 1);
  dedup_free(ids);
  dedup_simhash_index_free(x2);
  dedup_simhash_index_free(NULL);
  assert_string_equal(dedup_strerror(DEDUP_ETOOBIG),
                      dedup_strerror(DEDUP_ETOOBIG)); /* static text */
}

/* Queries: each indexed fingerprint, and fresh ones near them, against a
 * scan of all. */
static void check_index(const uint64_t *fp, size_t n, unsigned k,
                        uint64_t seed) {
  dedup_simhash_index *x;
  assert_int_equal(dedup_simhash_index_new(&x, fp, n, k), DEDUP_OK);
  uint64_t s = seed;
  uint32_t *want = malloc((n ? n : 1) * sizeof *want);
  assert_non_null(want);
  for (size_t qi = 0; qi < n + 50; qi++) {
    uint64_t q = qi < n ? fp[qi] : rnd(&s);
    if (qi >= n && n && qi % 2) {
      q = fp[rnd(&s) % n];
      unsigned d = (unsigned)(rnd(&s) % (k + 3));
      for (unsigned t = 0; t < d; t++)
        q ^= UINT64_C(1) << (rnd(&s) % 64);
    }
    size_t nw = 0;
    for (size_t i = 0; i < n; i++)
      if (dedup__popcount64(fp[i] ^ q) <= k)
        want[nw++] = (uint32_t)i;
    uint32_t *ids;
    size_t ni;
    assert_int_equal(dedup_simhash_index_query(x, q, &ids, &ni), DEDUP_OK);
    assert_int_equal(ni, nw);
    if (nw)
      assert_memory_equal(ids, want, nw * sizeof *want);
    else
      assert_null(ids);
    if (qi < n && k < 64)
      assert_true(ni >= 1); /* itself */
    dedup_free(ids);
  }
  free(want);
  dedup_simhash_index_free(x);
}

static void test_index(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 1, 2, 300, 2000};
  static const unsigned ks[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 64, 70};
  for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
      for (int narrow = 0; narrow < 2; narrow++) {
        if (sizes[si] > 300 && ks[ki] > 8)
          continue;
        uint64_t *fp = make_fps(sizes[si], ks[ki] > 8 ? 8 : ks[ki],
                                31 * ki + si + narrow, narrow);
        check_index(fp, sizes[si], ks[ki], ki);
        free(fp);
      }
}

/* The cost model's choices stay exact plans (b > k) or brute force, and
 * the index keeps at most 2 (k + 1) tables. */
static void test_plan_choice(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 2, 100, 10000, 1000000, 100000000};
  for (unsigned k = 0; k < 70; k++)
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
      unsigned b = dedup__simsearch_blocks(sizes[si], k);
      assert_true(b == 0 || (b > k && b <= DEDUP__SS_MAX_BLOCKS));
      b = dedup__simsearch_index_blocks(sizes[si], k);
      assert_true(b == 0 || (b > k && b <= DEDUP__SS_MAX_BLOCKS));
    }
  /* At a million, k = 3 takes blocks rather than brute force. */
  assert_true(dedup__simsearch_blocks(1000000, 3) > 3);
  assert_int_equal(dedup__simsearch_index_blocks(1000000, 3), 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_public_vs_brute),
      cmocka_unit_test(test_every_plan),
      cmocka_unit_test(test_all_pairs),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_bad_args),
      cmocka_unit_test(test_index),
      cmocka_unit_test(test_plan_choice),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
