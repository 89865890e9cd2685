/* test_determinism.c - same documents, same output, byte for byte, whatever
 * the run, the thread count or the order of insertion (dedup.h only).
 *
 * The documents: the seed pages and generated articles in groups - near
 * copies of one article (copy level) and other articles on the same topic
 * (story level) - so both levels have clusters whose numbering, member
 * order and links could all drift if anything depended on scheduling or
 * insertion order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup.h"
#include "snapshot.h"
#include "testgen.h"
#include "runopt.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DOCS = 128 };

static char *names[MAX_DOCS], *texts[MAX_DOCS];
static size_t n_docs;

static void add_doc(const char *name, char *text) {
  assert_true(n_docs < MAX_DOCS);
  names[n_docs] = strdup(name);
  texts[n_docs] = text;
  n_docs++;
}

static int setup(void **state) {
  (void)state;
  const char *dir = getenv("DEDUP_SEEDS");
  DIR *d = dir ? opendir(dir) : NULL;
  if (!d)
    return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".txt"))
      continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    char *t = tg_slurp(p, NULL);
    if (!t)
      return -1;
    add_doc(e->d_name, t);
  }
  closedir(d);
  for (uint64_t topic = 0; topic < 24; topic++) {
    char nm[64];
    tg_buf a = {0};
    tg_article(&a, 100 + topic, 1, 120 + 30 * (topic % 4));
    for (size_t c = 1; c <= topic % 3; c++) {
      tg_buf b = {0};
      tg_copy(&b, a.p, topic * 10 + c, 1 + c);
      snprintf(nm, sizeof nm, "t%02u-copy%zu.txt", (unsigned)topic, c);
      add_doc(nm, b.p);
    }
    if (topic % 4 == 0) { /* same topic, other sentences: same story */
      tg_buf o = {0};
      tg_article(&o, 100 + topic, 2, 200);
      snprintf(nm, sizeof nm, "t%02u-other.txt", (unsigned)topic);
      add_doc(nm, o.p);
    }
    snprintf(nm, sizeof nm, "t%02u.txt", (unsigned)topic);
    add_doc(nm, a.p);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (size_t i = 0; i < n_docs; i++) {
    free(names[i]);
    free(texts[i]);
  }
  return 0;
}

/* Runs a corpus of all documents, added in order[], on `threads` threads;
 * `split` > 0 adds the first `split` documents and runs once before the
 * rest (results of a run must not leak into the next). */
static char *run_once(const dedup_params *base, unsigned threads,
                      const size_t *order, size_t split) {
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, base), DEDUP_OK);
  for (size_t k = 0; k < n_docs; k++) {
    if (split && k == split)
      assert_int_equal(run_opts(c, threads, 0), DEDUP_OK);
    size_t i = order[k];
    assert_int_equal(dedup_corpus_add(c, names[i], texts[i], strlen(texts[i]),
                                      NULL),
                     DEDUP_OK);
  }
  assert_int_equal(run_opts(c, threads, 0), DEDUP_OK);
  char *s = snapshot(c);
  /* Run again on the same corpus: nothing may change. */
  assert_int_equal(run_opts(c, threads, 0), DEDUP_OK);
  char *again = snapshot(c);
  assert_string_equal(s, again);
  free(again);
  dedup_corpus_free(c);
  return s;
}

static size_t multi_clusters(const char *snap, int level) {
  char key[32];
  snprintf(key, sizeof key, "level %d:", level);
  const char *p = strstr(snap, key);
  assert_non_null(p);
  size_t n = 0;
  for (p = strchr(p, '\n') + 1; *p && strncmp(p, "level", 5); ) {
    const char *eol = strchr(p, '\n');
    size_t spaces = 0;
    for (const char *q = p; q < eol; q++)
      spaces += *q == ' ';
    n += strncmp(p, "link", 4) && spaces >= 2;
    p = eol + 1;
  }
  return n;
}

/* min_copy, min_story: clusters of 2+ items the corpus must have at each
 * level, so the comparison is not between trivial outputs. */
static void check_params(const dedup_params *p, size_t min_copy,
                         size_t min_story) {
  size_t order[MAX_DOCS];
  for (size_t i = 0; i < n_docs; i++)
    order[i] = i;
  char *want = run_once(p, 1, order, 0);
  /* The corpus does cluster, at both levels. */
  assert_true(multi_clusters(want, 1) >= min_copy);
  assert_true(multi_clusters(want, 0) >= min_story);
  static const unsigned threads[] = {1, 2, 4};
  uint64_t seed = 12345;
  for (int round = 0; round < 4; round++) {
    if (round == 1) { /* reversed */
      for (size_t i = 0; i < n_docs; i++)
        order[i] = n_docs - 1 - i;
    } else if (round > 1) { /* Fisher-Yates with a fixed seed */
      for (size_t i = n_docs - 1; i > 0; i--) {
        size_t j = tg_below(&seed, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    for (size_t t = 0; t < 3; t++) {
      char *got = run_once(p, threads[t], order,
                           round == 3 ? n_docs / 2 : 0);
      assert_string_equal(want, got);
      free(got);
    }
  }
  free(want);
}

static void test_default(void **state) {
  (void)state;
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  check_params(&p, 8, 4);
}

static void test_classic_split(void **state) {
  (void)state;
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  p.minhash_kind = DEDUP_MINHASH_CLASSIC;
  p.num_perm = 64;
  p.flags = DEDUP_F_SPLIT_EMBEDDED;
  p.seed = 99;
  check_params(&p, 8, 4);
}

static void test_simhash_copy_only(void **state) {
  (void)state;
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  p.method = DEDUP_METHOD_SIMHASH;
  p.flags = DEDUP_F_NO_CLEAN; /* threshold 0: SimHash's own, 0.9 */
  /* Whole pages (chrome included) within 6 bits: fewer copies found. */
  check_params(&p, 4, 4);
}

/* Two files with the same name are kept apart by their text, and their
 * order in the output does not depend on which came first. */
static void test_same_name(void **state) {
  (void)state;
  const char *a = "alpha words in a first text about rivers and hills";
  const char *b = "beta words in a second text about cities and trains";
  char *s[2];
  for (int r = 0; r < 2; r++) {
    dedup_params p;
    dedup_params_init(&p, DEDUP_PARAMS_VERSION);
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
    const char *x = r ? b : a, *y = r ? a : b;
    assert_int_equal(dedup_corpus_add(c, "same", x, strlen(x), NULL),
                     DEDUP_OK);
    assert_int_equal(dedup_corpus_add(c, "same", y, strlen(y), NULL),
                     DEDUP_OK);
    assert_int_equal(run_opts(c, 2, 0), DEDUP_OK);
    assert_int_equal(dedup_corpus_item_count(c), 2);
    s[r] = snapshot(c);
    dedup_corpus_free(c);
  }
  assert_string_equal(s[0], s[1]);
  free(s[0]);
  free(s[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default),
      cmocka_unit_test(test_classic_split),
      cmocka_unit_test(test_simhash_copy_only),
      cmocka_unit_test(test_same_name),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
