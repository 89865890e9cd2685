/* test_api.c - the public LSH index (dedup_lsh_*), through dedup.h only:
 * MinHash signatures of generated sets with known Jaccard go in, and the
 * candidates that come out are the similar ones; removed ids never come
 * out again.  Also dedup_hash_bytes, character shingles and connected
 * components (dedup_components) against a plain BFS. */
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

/* dedup_lsh_remove: GROUPS groups of COPIES identical signatures (they
 * share every band).  Removing every third id: a query never returns a
 * removed id, still returns every kept member of the group, and removing
 * again (or an id never inserted) is EINVAL with the index unchanged.  A
 * removed id inserted again comes back; slots reused by later inserts do
 * not bring removed ids back. */
enum { GROUPS = 60, COPIES = 4 };

static int has_id(const uint32_t *ids, size_t n, uint32_t id) {
  for (size_t k = 0; k < n; k++)
    if (ids[k] == id)
      return 1;
  return 0;
}

static void test_remove(void **state) {
  (void)state;
  static uint64_t sig[GROUPS][K];
  static uint64_t set[SET];
  dedup_minhash *mh;
  assert_int_equal(dedup_minhash_new(&mh, K, DEDUP_MINHASH_OPH), DEDUP_OK);
  uint64_t s = 99;
  for (size_t g = 0; g < GROUPS; g++) {
    for (size_t i = 0; i < SET; i++)
      set[i] = rng(&s);
    dedup_minhash_reset(mh, 7);
    dedup_minhash_update(mh, set, SET);
    dedup_minhash_digest(mh, sig[g]);
  }
  dedup_minhash_free(mh);
  dedup_lsh *l;
  assert_int_equal(dedup_lsh_new(&l, 0.5, K), DEDUP_OK);
  const uint32_t n_ids = GROUPS * COPIES;
  for (uint32_t id = 0; id < n_ids; id++)
    assert_int_equal(dedup_lsh_insert(l, id, sig[id / COPIES]), DEDUP_OK);
  for (uint32_t id = 0; id < n_ids; id += 3)
    assert_int_equal(dedup_lsh_remove(l, id, sig[id / COPIES]), DEDUP_OK);
  assert_int_equal(dedup_lsh_remove(l, 0, sig[0]), DEDUP_EINVAL);
  assert_int_equal(dedup_lsh_remove(l, n_ids + 5, sig[1]), DEDUP_EINVAL);
  /* id 1 is there, but not under the band keys of another signature */
  assert_int_equal(dedup_lsh_remove(l, 1, sig[2]), DEDUP_EINVAL);
  for (int pass = 0; pass < 2; pass++) {
    for (size_t g = 0; g < GROUPS; g++) {
      uint32_t *ids;
      size_t n;
      assert_int_equal(dedup_lsh_query(l, sig[g], &ids, &n), DEDUP_OK);
      for (uint32_t c = 0; c < COPIES; c++) {
        uint32_t id = (uint32_t)g * COPIES + c;
        int kept = id % 3 != 0 || (pass == 1 && id == 3);
        assert_int_equal(has_id(ids, n, id), kept);
      }
      for (size_t k = 0; k < n; k++) /* no stranger from a reused node */
        assert_true(ids[k] / COPIES == g || ids[k] >= n_ids);
      dedup_free(ids);
    }
    /* Second pass: id 3 comes back; new ids take the freed nodes. */
    assert_int_equal(dedup_lsh_insert(l, 3, sig[0]), DEDUP_OK);
    for (uint32_t id = n_ids; id < n_ids + 20; id++)
      assert_int_equal(dedup_lsh_insert(l, id, sig[GROUPS - 1]), DEDUP_OK);
  }
  /* Emptying a bucket entirely, then filling it again. */
  for (uint32_t c = 0; c < COPIES; c++)
    dedup_lsh_remove(l, 4 + c, sig[1]);
  uint32_t *ids;
  size_t n;
  assert_int_equal(dedup_lsh_query(l, sig[1], &ids, &n), DEDUP_OK);
  assert_int_equal(n, 0);
  assert_null(ids);
  assert_int_equal(dedup_lsh_insert(l, 777, sig[1]), DEDUP_OK);
  assert_int_equal(dedup_lsh_query(l, sig[1], &ids, &n), DEDUP_OK);
  assert_int_equal(n, 1);
  assert_int_equal(ids[0], 777);
  dedup_free(ids);
  dedup_lsh_free(l);
}

/* A sliding window over ever new signatures: insert one, remove the
 * oldest (the tables are rebuilt without their emptied buckets as they
 * fill); the live ones are always found, the removed never. */
static void test_remove_window(void **state) {
  (void)state;
  enum { W = 50, STEPS = 6000, WK = 32 };
  static uint64_t win[W][WK];
  dedup_lsh *l;
  assert_int_equal(dedup_lsh_new(&l, 0.5, WK), DEDUP_OK);
  uint64_t x = 88172645463325252ULL;
  for (uint32_t it = 0; it < STEPS; it++) {
    uint64_t *s = win[it % W];
    if (it >= W)
      assert_int_equal(dedup_lsh_remove(l, it - W, s), DEDUP_OK);
    for (unsigned j = 0; j < WK; j++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      s[j] = x;
    }
    assert_int_equal(dedup_lsh_insert(l, it, s), DEDUP_OK);
    if (it % 997 == 0 || it == STEPS - 1) {
      for (uint32_t q = it >= W - 1 ? it - (W - 1) : 0; q <= it; q++) {
        uint32_t *ids;
        size_t n;
        assert_int_equal(dedup_lsh_query(l, win[q % W], &ids, &n), DEDUP_OK);
        int found = 0;
        for (size_t i = 0; i < n; i++) {
          assert_true(ids[i] + W > it); /* never a removed id */
          found |= ids[i] == q;
        }
        assert_true(found);
        dedup_free(ids);
      }
    }
  }
  dedup_lsh_free(l);
}

/* dedup_hash_bytes: seeded XXH3-64 of the raw bytes (known answers from
 * xxHash itself), no normalisation. */
static void test_hash_bytes(void **state) {
  (void)state;
  assert_true(dedup_hash_bytes(NULL, 0, 0) == 0x2d06800538d394c2ULL);
  assert_true(dedup_hash_bytes("word", 4, 0) == 0xe3ce369cf66c5c55ULL);
  assert_true(dedup_hash_bytes("word", 4, 7) == 0x71c52c93f31338baULL);
  assert_true(dedup_hash_bytes("Word", 4, 0) !=
              dedup_hash_bytes("word", 4, 0));
}

/* Reference components: breadth-first search from each unvisited item in
 * ascending order, so components are numbered by their smallest member. */
static size_t bfs_components(size_t *lab, size_t n, const uint32_t *a,
                             const uint32_t *b, size_t np) {
  size_t *deg = calloc(n + 1, sizeof *deg);
  uint32_t *adj = malloc((2 * np + 1) * sizeof *adj);
  size_t *queue = malloc((n + 1) * sizeof *queue);
  assert_non_null(deg);
  assert_non_null(adj);
  assert_non_null(queue);
  for (size_t i = 0; i < np; i++) {
    deg[a[i] + 1]++;
    deg[b[i] + 1]++;
  }
  for (size_t i = 0; i < n; i++)
    deg[i + 1] += deg[i]; /* deg[x]: where x's neighbours start */
  size_t *fill = malloc((n + 1) * sizeof *fill);
  assert_non_null(fill);
  memcpy(fill, deg, (n + 1) * sizeof *fill);
  for (size_t i = 0; i < np; i++) {
    adj[fill[a[i]]++] = b[i];
    adj[fill[b[i]]++] = a[i];
  }
  for (size_t i = 0; i < n; i++)
    lab[i] = SIZE_MAX;
  size_t nc = 0;
  for (size_t s = 0; s < n; s++) {
    if (lab[s] != SIZE_MAX)
      continue;
    size_t head = 0, tail = 0;
    lab[s] = nc;
    queue[tail++] = s;
    while (head < tail) {
      size_t x = queue[head++];
      for (size_t j = deg[x]; j < deg[x + 1]; j++)
        if (lab[adj[j]] == SIZE_MAX) {
          lab[adj[j]] = nc;
          queue[tail++] = adj[j];
        }
    }
    nc++;
  }
  free(deg);
  free(adj);
  free(queue);
  free(fill);
  return nc;
}

/* Random graphs, sparse to dense, some self-pairs and repeats: the labels
 * equal the BFS's exactly, and stay so with the pairs reversed, swapped
 * and repeated (the result depends only on the set of pairs). */
static void test_components(void **state) {
  (void)state;
  enum { MAXN = 400, MAXP = 3 * MAXN };
  static uint32_t a[2 * MAXP], b[2 * MAXP];
  static size_t got[MAXN], want[MAXN], again[MAXN];
  uint64_t s = 7;
  for (int trial = 0; trial < 200; trial++) {
    size_t n = 1 + (size_t)(rng(&s) % MAXN);
    size_t np = (size_t)(rng(&s) % (size_t)(trial % 4 == 0 ? 3 * n : n));
    for (size_t i = 0; i < np; i++) {
      a[i] = (uint32_t)(rng(&s) % n);
      b[i] = rng(&s) % 16 == 0 ? a[i] : (uint32_t)(rng(&s) % n);
    }
    size_t nc = SIZE_MAX;
    assert_int_equal(dedup_components(got, &nc, n, a, b, np), DEDUP_OK);
    assert_int_equal(nc, bfs_components(want, n, a, b, np));
    assert_memory_equal(got, want, n * sizeof *got);
    /* reversed order, each pair turned round, then all of it twice */
    for (size_t i = 0; i < np; i++) {
      uint32_t x = a[np - 1 - i], y = b[np - 1 - i];
      a[np + i] = y;
      b[np + i] = x;
    }
    size_t nc2 = 0;
    assert_int_equal(dedup_components(again, &nc2, n, a + np, b + np, np),
                     DEDUP_OK);
    assert_int_equal(nc2, nc);
    assert_memory_equal(again, want, n * sizeof *again);
    assert_int_equal(dedup_components(again, &nc2, n, a, b, 2 * np),
                     DEDUP_OK);
    assert_int_equal(nc2, nc);
    assert_memory_equal(again, want, n * sizeof *again);
  }
  /* A chain 0-1-...-(n-1) given backwards is one component. */
  for (uint32_t i = 0; i + 1 < MAXN; i++) {
    a[i] = MAXN - 1 - i;
    b[i] = MAXN - 2 - i;
  }
  size_t nc = 0;
  assert_int_equal(dedup_components(got, &nc, MAXN, a, b, MAXN - 1),
                   DEDUP_OK);
  assert_int_equal(nc, 1);
  for (size_t i = 0; i < MAXN; i++)
    assert_int_equal(got[i], 0);
}

static void test_components_errors(void **state) {
  (void)state;
  size_t lab[5] = {9, 9, 9, 9, 9}, nc = 7;
  uint32_t a[2] = {0, 3}, b[2] = {4, 5}; /* 5 is out of range for n = 5 */
  /* No pairs: every item alone, numbered in order. */
  assert_int_equal(dedup_components(lab, &nc, 5, NULL, NULL, 0), DEDUP_OK);
  assert_int_equal(nc, 5);
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(lab[i], i);
  /* An id >= n: refused before labels is written. */
  for (size_t i = 0; i < 5; i++)
    lab[i] = 9;
  nc = 7;
  assert_int_equal(dedup_components(lab, &nc, 5, a, b, 2), DEDUP_EINVAL);
  assert_int_equal(nc, 0);
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(lab[i], 9);
  b[1] = 4;
  assert_int_equal(dedup_components(lab, &nc, 5, a, b, 2), DEDUP_OK);
  assert_int_equal(nc, 3); /* {0, 3, 4} {1} {2} */
  size_t want[5] = {0, 1, 2, 0, 0};
  assert_memory_equal(lab, want, sizeof want);
  a[0] = UINT32_MAX;
  assert_int_equal(dedup_components(lab, &nc, 5, a, b, 2), DEDUP_EINVAL);
  a[0] = 0;
  /* NULL pointers. */
  assert_int_equal(dedup_components(NULL, &nc, 5, a, b, 2), DEDUP_EINVAL);
  assert_int_equal(dedup_components(lab, NULL, 5, a, b, 2), DEDUP_EINVAL);
  assert_int_equal(dedup_components(lab, &nc, 5, NULL, b, 2), DEDUP_EINVAL);
  assert_int_equal(dedup_components(lab, &nc, 5, a, NULL, 2), DEDUP_EINVAL);
  /* n = 0: no items, no components; any pair is out of range. */
  nc = 7;
  assert_int_equal(dedup_components(NULL, &nc, 0, NULL, NULL, 0), DEDUP_OK);
  assert_int_equal(nc, 0);
  assert_int_equal(dedup_components(NULL, &nc, 0, a, b, 1), DEDUP_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_candidates),
      cmocka_unit_test(test_char_shingles),
      cmocka_unit_test(test_remove),
      cmocka_unit_test(test_remove_window),
      cmocka_unit_test(test_hash_bytes),
      cmocka_unit_test(test_components),
      cmocka_unit_test(test_components_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
