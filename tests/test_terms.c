/* test_terms.c - story-level term counts: boosts for title, lead and
 * names, stop words and one-letter words out, plurals folded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/hash.h"
#include "text/terms.h"

#define SEED 11

/* Weight of a word's term in tv (0 if absent). */
static float weight(const dedup__termvec *tv, const char *word) {
  uint64_t id = dedup__hash(word, strlen(word), SEED);
  for (size_t i = 0; i < tv->n; i++)
    if (tv->v[i].id == id)
      return tv->v[i].w;
  return 0;
}

/* One article: title = line 0, body = lines 1.. of text. */
static void count(dedup__termvec *tv, const char *text) {
  static dedup__span lines[32];
  dedup__article a = {{0, 0}, 0, 0, 0};
  size_t n = 0, pos = 0, len = strlen(text);
  while (pos < len && n < 32) {
    const char *nl = strchr(text + pos, '\n');
    size_t end = nl ? (size_t)(nl - text) : len;
    dedup__span s = {(uint32_t)pos, (uint32_t)(end - pos)};
    if (n == 0)
      a.title = s;
    else
      lines[a.count++] = s;
    n++;
    pos = end + 1;
  }
  dedup__page pg = {0};
  pg.lines = lines;
  dedup__tokvec scratch = {0};
  assert_int_equal(dedup__terms_count(tv, &scratch, text, &pg, &a, SEED),
                   DEDUP_OK);
  dedup__tokvec_free(&scratch);
  for (size_t i = 1; i < tv->n; i++)
    assert_true(tv->v[i - 1].id < tv->v[i].id); /* sorted, distinct */
}

static void boosts_and_filters(void **state) {
  (void)state;
  dedup__termvec tv = {0};
  /* 60+ words of body first, so the last line is past the lead. */
  count(&tv, "Flood hits town\n"
             "water rose over the bank of the river and a road was closed "
             "by the police near the old mill while crews worked on the "
             "pumps through the night and into the early hours of the "
             "morning as people watched from the hill above the valley "
             "where most of the houses stand in rows along the road and "
             "the rain kept falling all day\n"
             "later water crews met Mayor Jones in the hall to talk\n");
  /* Title words count DEDUP__TERM_TITLE. */
  assert_true(weight(&tv, "flood") == DEDUP__TERM_TITLE);
  assert_true(weight(&tv, "town") == DEDUP__TERM_TITLE);
  /* Stop words and one-letter words are not terms. */
  assert_true(weight(&tv, "the") == 0);
  assert_true(weight(&tv, "a") == 0);
  assert_true(weight(&tv, "of") == 0);
  /* "water" twice: once in the lead, once after it. */
  assert_true(weight(&tv, "water") == DEDUP__TERM_LEAD + 1.0f);
  /* A capitalised word inside a sentence is a name. */
  /* (folded like any word, so "Jones" at a sentence start matches) */
  assert_true(weight(&tv, "jone") == DEDUP__TERM_CAP);
  assert_true(weight(&tv, "mayor") == DEDUP__TERM_CAP);
  /* Plurals fold: "crews" (twice) and "pumps" count as singulars. */
  assert_true(weight(&tv, "crew") == DEDUP__TERM_LEAD + 1.0f);
  assert_true(weight(&tv, "crews") == 0);
  assert_true(weight(&tv, "pump") == DEDUP__TERM_LEAD);
  assert_true(weight(&tv, "house") == DEDUP__TERM_LEAD);
  /* Words ending in -ss, -us, -is keep their s. */
  count(&tv, "t\nthe bus crossed the grass near his campus\n");
  assert_true(weight(&tv, "bus") > 0);
  assert_true(weight(&tv, "grass") > 0);
  assert_true(weight(&tv, "campus") > 0);
  /* -ies folds to -y: "parties" counts as "party", never as itself. */
  count(&tv, "t\nboth parties said so\n");
  assert_true(weight(&tv, "party") > 0);
  assert_true(weight(&tv, "parties") == 0);
  dedup__termvec_free(&tv);
}

/* After a full stop the next capital starts a sentence, not a name. */
static void sentence_starts_are_not_names(void **state) {
  (void)state;
  dedup__termvec tv = {0};
  count(&tv, "t\nrain fell. Heavy rain fell! \"Heavy storms came\n");
  assert_true(weight(&tv, "heavy") == 2 * DEDUP__TERM_LEAD);
  count(&tv, "t\nrain fell on Heavy Street\n");
  assert_true(weight(&tv, "heavy") == DEDUP__TERM_LEAD * DEDUP__TERM_CAP);
  dedup__termvec_free(&tv);
}

static void dot_of_sorted_vectors(void **state) {
  (void)state;
  dedup__term a[] = {{1, 0.6f}, {3, 0.8f}};
  dedup__term b[] = {{2, 0.6f}, {3, 0.8f}};
  dedup__termvec va = {a, 2, 2}, vb = {b, 2, 2};
  assert_float_equal(dedup__terms_dot(&va, &vb), 0.64, 1e-6);
  assert_float_equal(dedup__terms_dot(&va, &va), 1.0, 1e-6);
  dedup__termvec empty = {0};
  assert_float_equal(dedup__terms_dot(&va, &empty), 0.0, 0);
  /* compact sums duplicates and sorts */
  dedup__term c[] = {{5, 1}, {2, 1}, {5, 2}, {2, 0.5f}};
  dedup__termvec vc = {c, 4, 4};
  dedup__terms_compact(&vc);
  assert_int_equal(vc.n, 2);
  assert_true(c[0].id == 2 && c[0].w == 1.5f);
  assert_true(c[1].id == 5 && c[1].w == 3.0f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(boosts_and_filters),
      cmocka_unit_test(sentence_starts_are_not_names),
      cmocka_unit_test(dot_of_sorted_vectors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
