/* test_api.c - the public LSH index (dedup_lsh_*), through dedup.h only:
 * MinHash signatures of generated sets with known Jaccard go in, and the
 * candidates that come out are the similar ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup.h"

#include <stdlib.h>
#include <string.h>

enum { PAIRS = 200, SET = 100, K = 128 };

static uint64_t rng(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void test_errors(void **state) {
  (void)state;
  dedup_lsh *l = (dedup_lsh *)1;
  assert_int_equal(dedup_lsh_new(&l, 0.0, K), DEDUP_EINVAL);
  assert_null(l);
  assert_int_equal(dedup_lsh_new(&l, 1.0, K), DEDUP_EINVAL);
  assert_int_equal(dedup_lsh_new(&l, 0.5, 0), DEDUP_EINVAL);
  assert_int_equal(dedup_lsh_new(&l, 0.5, 5000), DEDUP_EINVAL);
  dedup_lsh_free(NULL);
  /* An empty index has no candidates. */
  assert_int_equal(dedup_lsh_new(&l, 0.5, K), DEDUP_OK);
  uint64_t sig[K] = {0};
  uint32_t *ids = (uint32_t *)1;
  size_t n = 7;
  assert_int_equal(dedup_lsh_query(l, sig, &ids, &n), DEDUP_OK);
  assert_null(ids);
  assert_int_equal(n, 0);
  unsigned b, r;
  dedup_lsh_shape(l, &b, &r);
  assert_true(b >= 1 && r >= 1 && b * r <= K);
  dedup_lsh_free(l);
}

/* PAIRS pairs of sets, pair p with Jaccard p / PAIRS (sets of different
 * pairs share nothing).  Every item is inserted, then queried: its partner
 * comes back when their Jaccard is well over the threshold, rarely when
 * it is well under, and an unrelated item (Jaccard 0) never. */
static void test_candidates(void **state) {
  (void)state;
  const double t = 0.5;
  static uint64_t sig[2 * PAIRS][K];
  static uint64_t a[SET], b[SET];
  dedup_minhash *mh;
  assert_int_equal(dedup_minhash_new(&mh, K, DEDUP_MINHASH_OPH), DEDUP_OK);
  uint64_t s = 42;
  double jac[PAIRS];
  for (size_t p = 0; p < PAIRS; p++) {
    double j = (double)p / PAIRS;
    /* |A & B| = sh, |A | B| = 2 SET - sh: J = sh / (2 SET - sh). */
    size_t sh = (size_t)(2.0 * SET * j / (1.0 + j) + 0.5);
    jac[p] = (double)sh / (double)(2 * SET - sh);
    for (size_t i = 0; i < SET; i++) {
      a[i] = rng(&s);
      b[i] = i < sh ? a[i] : rng(&s);
    }
    dedup_minhash_reset(mh, 7);
    dedup_minhash_update(mh, a, SET);
    dedup_minhash_digest(mh, sig[2 * p]);
    dedup_minhash_reset(mh, 7);
    dedup_minhash_update(mh, b, SET);
    dedup_minhash_digest(mh, sig[2 * p + 1]);
  }
  dedup_minhash_free(mh);

  dedup_lsh *l;
  assert_int_equal(dedup_lsh_new(&l, t, K), DEDUP_OK);
  for (uint32_t i = 0; i < 2 * PAIRS; i++)
    assert_int_equal(dedup_lsh_insert(l, i, sig[i]), DEDUP_OK);
  size_t high = 0, high_found = 0, low = 0, low_found = 0, strangers = 0;
  for (uint32_t i = 0; i < 2 * PAIRS; i++) {
    uint32_t *ids;
    size_t n;
    assert_int_equal(dedup_lsh_query(l, sig[i], &ids, &n), DEDUP_OK);
    int self = 0, partner = 0;
    for (size_t k = 0; k < n; k++) {
      if (k)
        assert_true(ids[k - 1] < ids[k]); /* ascending, each once */
      self |= ids[k] == i;
      partner |= ids[k] == (i ^ 1u);
      strangers += ids[k] != i && ids[k] != (i ^ 1u);
    }
    assert_true(self); /* an item always shares every band with itself */
    double j = jac[i / 2];
    if (j >= t + 0.15) {
      high++;
      high_found += partner;
    } else if (j <= t - 0.3) {
      low++;
      low_found += partner;
    }
    dedup_free(ids);
  }
  assert_true(high > 50 && low > 50);
  assert_true(high_found * 100 >= high * 95); /* recall >= 0.95 */
  assert_true(low_found * 100 <= low * 10);   /* few below */
  assert_int_equal(strangers, 0);
  dedup_lsh_free(l);
}

/* dedup_char_shingles: one hash per window of n code points, after
 * normalisation (so case and curly quotes do not matter). */
static void test_char_shingles(void **state) {
  (void)state;
  uint64_t *a, *b, *c;
  size_t na, nb, nc;
  const char *x = "Caf\xc3\xa9 \xe2\x80\x9cno\xe2\x80\x9d";   /* Café “no” */
  const char *y = "CAF\xc3\x89 \"NO\"";                     /* CAFÉ "NO" */
  assert_int_equal(dedup_char_shingles(&a, &na, x, strlen(x), 3, 5), 0);
  assert_int_equal(dedup_char_shingles(&b, &nb, y, strlen(y), 3, 5), 0);
  assert_int_equal(na, 7); /* 9 code points: café "no" */
  assert_int_equal(nb, na);
  assert_memory_equal(a, b, na * sizeof *a);
  for (size_t i = 1; i < na; i++)
    assert_true(a[i] != a[i - 1]);
  /* Another seed, other hashes; a short text, one hash; bad n. */
  assert_int_equal(dedup_char_shingles(&c, &nc, x, strlen(x), 3, 6), 0);
  assert_int_equal(nc, na);
  assert_true(c[0] != a[0]);
  dedup_free(c);
  assert_int_equal(dedup_char_shingles(&c, &nc, "ab", 2, 3, 5), 0);
  assert_int_equal(nc, 1);
  dedup_free(c);
  assert_int_equal(dedup_char_shingles(&c, &nc, "ab", 2, 0, 5),
                   DEDUP_EINVAL);
  assert_null(c);
  dedup_free(a);
  dedup_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_candidates),
      cmocka_unit_test(test_char_shingles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
