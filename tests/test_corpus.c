/* test_corpus.c - the corpus' storage choices, seen through dedup.h only.
 *
 * The corpus keeps MinHash signatures as 32-bit words (the low halves of
 * the 64-bit minima) and texts in a pool; these tests check that neither
 * shows: copy-level similarities equal the public 64-bit MinHash
 * estimate, and documents stored every way the pool stores them (large,
 * normalised at add, grown by normalisation) cluster as their twins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup.h"
#include "testgen.h"
#include "runopt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BASES = 12, COPIES = 4, NDOCS = BASES * (1 + COPIES), K = 128 };

static char *texts[NDOCS];
static char names[NDOCS][32];

/* Bases on topics of their own, and copies with 0..COPIES^2*2 words
 * replaced: similarities from 1 down to about the copy threshold. */
static int setup(void **state) {
  (void)state;
  size_t d = 0;
  for (size_t b = 0; b < BASES; b++) {
    tg_buf base = {0};
    tg_article(&base, 100 + b, 7 + b, 250);
    for (size_t c = 0; c <= COPIES; c++) {
      tg_buf t = {0};
      if (c == 0)
        tg_puts(&t, base.p);
      else
        tg_copy(&t, base.p, 1000 * b + c, c * c * 2);
      texts[d] = t.p;
      snprintf(names[d], sizeof names[d], "b%02zu-c%zu", b, c);
      d++;
    }
    tg_free(&base);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (size_t d = 0; d < NDOCS; d++)
    free(texts[d]);
  return 0;
}

static size_t find(const char *name) {
  for (size_t d = 0; d < NDOCS; d++)
    if (!strcmp(names[d], name))
      return d;
  fail_msg("unknown item %s", name);
  return 0;
}

/* The public 64-bit signature of a whole text. */
static void sign(uint64_t *sig, dedup_minhash *mh, const char *text,
                 uint64_t seed) {
  uint64_t *sh;
  size_t n;
  assert_int_equal(dedup_shingles(&sh, &n, text, strlen(text), 5, seed),
                   DEDUP_OK);
  dedup_minhash_reset(mh, seed);
  dedup_minhash_update(mh, sh, n);
  dedup_minhash_digest(mh, sig);
  dedup_free(sh);
}

/* Whole texts (no cleaning), so the run signs what dedup_shingles gives:
 * every link's similarity is exactly the 64-bit estimate, and every pair
 * estimated well above the threshold is linked. */
static void test_links_equal_64bit_estimate(void **state) {
  (void)state;
  const uint64_t seed = 31;
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  p.seed = seed;
  p.flags = DEDUP_F_NO_CLEAN;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  for (size_t d = 0; d < NDOCS; d++)
    assert_int_equal(dedup_corpus_add(c, names[d], texts[d],
                                      strlen(texts[d]), NULL),
                     DEDUP_OK);
  assert_int_equal(run_opts(c, 0, DEDUP_RUN_COPY), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_count(c), NDOCS);

  static uint64_t sig[NDOCS][K]; /* by item */
  dedup_minhash *mh;
  assert_int_equal(dedup_minhash_new(&mh, K, DEDUP_MINHASH_OPH), DEDUP_OK);
  for (size_t i = 0; i < NDOCS; i++)
    sign(sig[i], mh, texts[find(dedup_corpus_item_name(c, i))], seed);
  dedup_minhash_free(mh);

  size_t nl = dedup_corpus_link_count(c, DEDUP_LEVEL_COPY), high = 0;
  /* Copies do link: LSH finds most pairs the 64-bit estimate puts over
   * the threshold (it may miss a few just over it, none far over it; see
   * the 0.85 check below). */
  size_t over = 0;
  for (size_t a = 0; a < NDOCS; a++)
    for (size_t b = a + 1; b < NDOCS; b++)
      over += dedup_minhash_jaccard(sig[a], sig[b], K) >= 0.5;
  assert_true(over >= BASES * 2);
  assert_true(nl * 10 >= over * 8);
  for (size_t l = 0; l < nl; l++) {
    size_t a, b;
    double s;
    assert_int_equal(dedup_corpus_link(c, DEDUP_LEVEL_COPY, l, &a, &b, &s),
                     DEDUP_OK);
    double e = dedup_minhash_jaccard(sig[a], sig[b], K);
    assert_true(e >= 0.5);
    assert_true(s == (double)(float)e);
  }
  for (size_t a = 0; a < NDOCS; a++)
    for (size_t b = a + 1; b < NDOCS; b++) {
      if (dedup_minhash_jaccard(sig[a], sig[b], K) < 0.85)
        continue;
      high++;
      assert_int_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, a),
                       dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, b));
    }
  assert_true(high >= BASES); /* the lightly edited copies */
  /* A base and a copy of another base never link. */
  for (size_t l = 0; l < nl; l++) {
    size_t a, b;
    double s;
    dedup_corpus_link(c, DEDUP_LEVEL_COPY, l, &a, &b, &s);
    assert_memory_equal(dedup_corpus_item_name(c, a),
                        dedup_corpus_item_name(c, b), 3);
  }
  dedup_corpus_free(c);
}

/* Copy clusters of a corpus, as "name name ...\n" lines in cluster
 * order. */
static char *clusters(const dedup_corpus *c) {
  tg_buf b = {0};
  size_t nc = dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY);
  for (size_t k = 0; k < nc; k++) {
    size_t m;
    const size_t *mem = dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY, k,
                                                     &m);
    for (size_t i = 0; i < m; i++) {
      const char *n = dedup_corpus_item_name(c, mem[i]);
      tg_puts(&b, i ? " " : "");
      tg_puts(&b, n);
    }
    tg_puts(&b, "\n");
  }
  return b.p;
}

/* A text grown past the pool's block limit (4 MB), texts normalised at
 * add (n_invalid asked for) and texts that grow when normalised (invalid
 * bytes become 3-byte U+FFFD): each is a copy of its twin, stored the
 * plain way, and links to it with similarity 1. */
static void test_storage_paths(void **state) {
  (void)state;
  tg_buf big = {0};
  while (big.n < ((size_t)5 << 20)) {
    tg_puts(&big, texts[0]);
    tg_puts(&big, "\n\n");
  }
  tg_buf bad = {0};
  tg_puts(&bad, texts[5]);
  for (int i = 0; i < 40; i++)
    tg_puts(&bad, " \xff\xfe");
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  size_t inv = 99;
  assert_int_equal(dedup_corpus_add(c, "big-1", big.p, big.n, NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "big-2", big.p, big.n, &inv),
                   DEDUP_OK);
  assert_int_equal(inv, 0);
  assert_int_equal(dedup_corpus_add(c, "bad-1", bad.p, bad.n, NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "bad-2", bad.p, bad.n, &inv),
                   DEDUP_OK);
  assert_int_equal(inv, 80);
  for (size_t d = 10; d < 20; d++)
    assert_int_equal(dedup_corpus_add(c, names[d], texts[d],
                                      strlen(texts[d]), d % 2 ? &inv : NULL),
                     DEDUP_OK);
  assert_int_equal(run_opts(c, 2, DEDUP_RUN_COPY), DEDUP_OK);
  size_t n = dedup_corpus_item_count(c);
  assert_int_equal(n, 14);
  for (size_t i = 0; i < n; i += 2) {
    const char *x = dedup_corpus_item_name(c, i);
    const char *y = dedup_corpus_item_name(c, i + 1);
    if (!strncmp(x, "bad", 3) || !strncmp(x, "big", 3)) {
      assert_memory_equal(x, y, 4);
      assert_int_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, i),
                       dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, i + 1));
    }
  }
  char *first = clusters(c);
  /* Added after the run: the next run redoes everything and the old
   * documents come out as before. */
  assert_int_equal(dedup_corpus_add(c, "zz-late", texts[30],
                                    strlen(texts[30]), NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_count(c), 15);
  char *second = clusters(c);
  /* The same clusters, and zz-late alone and last (it sorts last). */
  tg_buf want = {0};
  tg_puts(&want, first);
  tg_puts(&want, "zz-late\n");
  assert_string_equal(second, want.p);
  tg_free(&want);
  free(first);
  free(second);
  dedup_corpus_free(c);
  tg_free(&big);
  tg_free(&bad);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_links_equal_64bit_estimate),
      cmocka_unit_test(test_storage_paths),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
