/* test_explain.c - dedup_corpus_explain() against what the run decided.
 *
 * The explanation recomputes each item's article and shingles; the copy
 * signature of the method the run did NOT use is computed fresh, the other
 * is read from the run.  Running the same corpus once with each method and
 * comparing the two explanations therefore checks that the recomputation
 * reproduces the run exactly.  API test: dedup.h only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dedup.h"

typedef struct doc {
  char name[4096];
  char *text;
  size_t len;
} doc;

/* The three seed pages, a verbatim copy of the first, and an edited copy
 * of the second (every 8th line dropped, a paragraph of its own added). */
typedef struct fixture {
  doc d[8];
  size_t n;
} fixture;

static int cmp_doc(const void *a, const void *b) {
  return strcmp(((const doc *)a)->name, ((const doc *)b)->name);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *t = malloc(*len + 1);
  assert_non_null(t);
  assert_int_equal(fread(t, 1, *len, f), *len);
  t[*len] = '\0';
  fclose(f);
  return t;
}

static char *edited(const char *text, size_t *len) {
  static const char extra[] =
      "An added paragraph that no other outlet printed, written here so "
      "that the copy differs from its source in more than cut lines.\n";
  char *out = malloc(strlen(text) + sizeof extra + 1);
  assert_non_null(out);
  size_t n = 0, line = 0;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);
    if (line++ % 8 != 5) {
      memcpy(out + n, p, l);
      n += l;
    }
    if (line == 6) {
      memcpy(out + n, extra, sizeof extra - 1);
      n += sizeof extra - 1;
    }
    p += l;
  }
  out[n] = '\0';
  *len = n;
  return out;
}

static int setup(void **state) {
  const char *dir = getenv("DEDUP_SEEDS");
  assert_non_null(dir);
  fixture *f = calloc(1, sizeof *f);
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)) && f->n < 3) {
    size_t nl = strlen(e->d_name);
    if (nl < 4 || strcmp(e->d_name + nl - 4, ".txt"))
      continue;
    doc *x = &f->d[f->n++];
    snprintf(x->name, sizeof x->name, "%s/%s", dir, e->d_name);
    x->text = slurp(x->name, &x->len);
  }
  closedir(d);
  assert_int_equal(f->n, 3);
  qsort(f->d, f->n, sizeof *f->d, cmp_doc);
  /* Names sort after the seeds: items 3 and 4. */
  doc *cp = &f->d[3], *ed = &f->d[4];
  snprintf(cp->name, sizeof cp->name, "%s/~copy-of-0.txt", dir);
  cp->text = malloc(f->d[0].len + 1);
  memcpy(cp->text, f->d[0].text, f->d[0].len + 1);
  cp->len = f->d[0].len;
  snprintf(ed->name, sizeof ed->name, "%s/~edit-of-1.txt", dir);
  ed->text = edited(f->d[1].text, &ed->len);
  f->n = 5;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (size_t i = 0; i < f->n; i++)
    free(f->d[i].text);
  free(f);
  return 0;
}

/* flags: DEDUP_F_*; levels: DEDUP_RUN_* (0: both). */
static dedup_corpus *run(const fixture *f, dedup_method method,
                         unsigned flags, unsigned levels) {
  dedup_params p = DEDUP_PARAMS_INIT; /* threshold: the method's default */
  p.method = method;
  p.flags = flags;
  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  o.threads = 2;
  o.levels = levels;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  for (size_t i = 0; i < f->n; i++)
    assert_int_equal(dedup_corpus_add(c, f->d[i].name, f->d[i].text,
                                      f->d[i].len, NULL),
                     DEDUP_OK);
  assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_OK);
  return c;
}

static size_t item(const dedup_corpus *c, const char *name) {
  for (size_t i = 0; i < dedup_corpus_item_count(c); i++)
    if (!strcmp(dedup_corpus_item_name(c, i), name))
      return i;
  fail_msg("no item %s", name);
  return 0;
}

static dedup_explanation *explain(const dedup_corpus *c, size_t a, size_t b) {
  dedup_explanation *e = NULL;
  assert_int_equal(dedup_corpus_explain(&e, c, a, b), DEDUP_OK);
  assert_non_null(e);
  assert_int_equal(e->a, a);
  assert_int_equal(e->b, b);
  return e;
}

static double link_sim(const dedup_corpus *c, dedup_level level, size_t a,
                       size_t b) {
  size_t x, y;
  double s;
  for (size_t i = 0; i < dedup_corpus_link_count(c, level); i++) {
    assert_int_equal(dedup_corpus_link(c, level, i, &x, &y, &s), DEDUP_OK);
    if (x == (a < b ? a : b) && y == (a < b ? b : a))
      return s;
  }
  return -1;
}

/* Same documents, the other method: every score computed fresh in one run
 * is the stored one in the other. */
static void check_methods_agree(const fixture *f, unsigned flags,
                                const char *na, const char *nb) {
  dedup_corpus *cm = run(f, DEDUP_METHOD_MINHASH, flags, 0);
  dedup_corpus *cs = run(f, DEDUP_METHOD_SIMHASH, flags, 0);
  dedup_explanation *em = explain(cm, item(cm, na), item(cm, nb));
  dedup_explanation *es = explain(cs, item(cs, na), item(cs, nb));
  assert_int_equal(em->method, DEDUP_METHOD_MINHASH);
  assert_int_equal(es->method, DEDUP_METHOD_SIMHASH);
  assert_true(fabs(em->minhash_jaccard - es->minhash_jaccard) < 1e-12);
  assert_int_equal(em->simhash_distance, es->simhash_distance);
  assert_true(em->copy_similarity == em->minhash_jaccard);
  assert_true(es->copy_similarity == es->simhash_similarity);
  assert_true(fabs(es->simhash_similarity -
                   (1 - es->simhash_distance / 64.0)) < 1e-12);
  assert_true(em->jaccard == es->jaccard);
  assert_int_equal(em->shingles_a, es->shingles_a);
  assert_int_equal(em->shingles_shared, es->shingles_shared);
  assert_int_equal(em->words_a, es->words_a);
  assert_int_equal(em->words_b, es->words_b);
  assert_true(em->copy_threshold == 0.5 && em->minhash_threshold == 0.5);
  assert_true(es->copy_threshold == 0.9 && es->simhash_threshold == 0.9);
  dedup_explanation_free(em);
  dedup_explanation_free(es);
  dedup_corpus_free(cm);
  dedup_corpus_free(cs);
}

static void methods_agree(void **state) {
  const fixture *f = *state;
  char a[4200], b[4200];
  check_methods_agree(f, 0, f->d[1].name, f->d[4].name);
  check_methods_agree(f, 0, f->d[0].name, f->d[2].name);
  check_methods_agree(f, DEDUP_F_NO_CLEAN, f->d[1].name, f->d[4].name);
  /* An embedded article against its page's main story's edited copy. */
  snprintf(a, sizeof a, "%s#2", f->d[1].name);
  snprintf(b, sizeof b, "%s#2", f->d[4].name);
  check_methods_agree(f, DEDUP_F_SPLIT_EMBEDDED, a, b);
}

static void verbatim_copy(void **state) {
  const fixture *f = *state;
  dedup_corpus *c = run(f, DEDUP_METHOD_MINHASH, 0, 0);
  size_t a = item(c, f->d[0].name), b = item(c, f->d[3].name);
  dedup_explanation *e = explain(c, a, b);
  assert_true(e->words_a > 50);
  assert_int_equal(e->words_a, e->words_b);
  assert_true(e->jaccard == 1.0);
  assert_true(e->minhash_jaccard == 1.0);
  assert_int_equal(e->simhash_distance, 0);
  assert_int_equal(e->shingles_shared, e->shingles_a);
  assert_int_equal(e->same_copy_group, 1);
  assert_int_equal(e->copy_linked, 1);
  assert_true(fabs(link_sim(c, DEDUP_LEVEL_COPY, a, b) - 1.0) < 1e-6);
  /* The whole article is one shared passage. */
  assert_int_equal(e->n_passages, 1);
  assert_int_equal(e->passages[0].words, e->words_a);
  assert_true(strlen(e->passages[0].text) <= 203);
  assert_string_equal(e->passages[0].text + strlen(e->passages[0].text) - 3,
                      "...");
  /* Copies are one story and share their representative. */
  assert_int_equal(e->story_computed, 1);
  assert_int_equal(e->same_story, 1);
  assert_int_equal(e->rep_a, e->rep_b);
  dedup_explanation_free(e);
  dedup_corpus_free(c);
}

static void edited_copy(void **state) {
  const fixture *f = *state;
  dedup_corpus *c = run(f, DEDUP_METHOD_MINHASH, 0, 0);
  size_t a = item(c, f->d[1].name), b = item(c, f->d[4].name);
  dedup_explanation *e = explain(c, a, b);
  assert_true(e->jaccard > 0.3 && e->jaccard < 1.0);
  assert_true(fabs(e->jaccard - (double)e->shingles_shared /
                                    (double)(e->shingles_a + e->shingles_b -
                                             e->shingles_shared)) < 1e-12);
  /* 128 words: the estimate's sd is at most 0.045. */
  assert_true(fabs(e->minhash_jaccard - e->jaccard) < 0.15);
  assert_int_equal(e->same_copy_group,
                   dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, a) ==
                       dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, b));
  double ls = link_sim(c, DEDUP_LEVEL_COPY, a, b);
  assert_int_equal(e->copy_linked, ls >= 0);
  if (ls >= 0)
    assert_true(fabs(ls - e->copy_similarity) < 1e-6);
  /* Cut lines split the shared text into passages, longest first. */
  assert_true(e->n_passages >= 2 && e->n_passages <= 3);
  for (size_t i = 0; i < e->n_passages; i++) {
    assert_true(e->passages[i].words >= 5);
    assert_null(strchr(e->passages[i].text, '\n'));
    if (i)
      assert_true(e->passages[i].words <= e->passages[i - 1].words);
  }
  dedup_explanation_free(e);
  dedup_corpus_free(c);
}

static void story_terms(void **state) {
  const fixture *f = *state;
  dedup_corpus *c = run(f, DEDUP_METHOD_MINHASH, 0, 0);
  size_t a = item(c, f->d[0].name), b = item(c, f->d[2].name);
  dedup_explanation *e = explain(c, a, b);
  assert_int_equal(e->story_computed, 1);
  assert_true(e->story_threshold > 0 && e->story_threshold < 1);
  assert_int_equal(e->same_story,
                   dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, a) ==
                       dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, b));
  assert_int_equal(e->same_copy_group, 0);
  assert_int_equal(e->rep_a, a); /* no longer copy of seed 2 */
  assert_int_equal(e->rep_b, b);
  /* The cosine is the one the story level linked them with. */
  double ls = link_sim(c, DEDUP_LEVEL_STORY, a, b);
  if (e->story_cosine >= e->story_threshold && e->same_story)
    assert_true(fabs(ls - e->story_cosine) < 1e-6);
  assert_true(e->n_terms > 0 && e->n_terms <= 10);
  double sum = 0;
  int names = 0;
  for (size_t i = 0; i < e->n_terms; i++) {
    const dedup_explain_term *t = &e->terms[i];
    assert_true(t->contribution > 0);
    assert_true(fabs(t->contribution - t->weight_a * t->weight_b) < 1e-9);
    if (i)
      assert_true(t->contribution <= e->terms[i - 1].contribution);
    assert_true(strlen(t->word) > 1);
    names += !strcasecmp(t->word, "musk") || !strcasecmp(t->word, "russia");
    sum += t->contribution;
  }
  assert_true(sum <= e->story_cosine + 1e-6);
  assert_true(names >= 1); /* the story is Musk and Russia */
  dedup_explanation_free(e);

  /* The copy of seed 0 is represented by seed 0 (first of equals). */
  e = explain(c, item(c, f->d[3].name), b);
  assert_int_equal(e->rep_a, a);
  dedup_explanation *e0 = explain(c, a, b);
  assert_true(e->story_cosine == e0->story_cosine);
  assert_int_equal(e->n_terms, e0->n_terms);
  for (size_t i = 0; i < e->n_terms; i++)
    assert_string_equal(e->terms[i].word, e0->terms[i].word);
  dedup_explanation_free(e);
  dedup_explanation_free(e0);
  dedup_corpus_free(c);
}

/* Two made-up texts sharing exactly the words w10..w29 (a line break in
 * the middle of them in A), compared whole (DEDUP_F_NO_CLEAN). */
static void exact_passage(void **state) {
  (void)state;
  char a[1024] = "", b[1024] = "", want[1024] = "";
  for (int i = 0; i < 40; i++) {
    char w[16];
    snprintf(w, sizeof w, "w%d%s", i, i == 19 ? "\n" : " ");
    strcat(a, w);
  }
  for (int i = 0; i < 10; i++) {
    char w[16];
    snprintf(w, sizeof w, "x%d ", i);
    strcat(b, w);
  }
  for (int i = 10; i < 30; i++) {
    char w[16];
    snprintf(w, sizeof w, "w%d ", i);
    strcat(b, w);
    snprintf(w, sizeof w, i < 29 ? "w%d " : "w%d", i);
    strcat(want, w);
  }
  for (int i = 0; i < 10; i++) {
    char w[16];
    snprintf(w, sizeof w, "y%d ", i);
    strcat(b, w);
  }
  dedup_params p = DEDUP_PARAMS_INIT;
  p.flags = DEDUP_F_NO_CLEAN;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "a", a, strlen(a), NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "b", b, strlen(b), NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  dedup_explanation *e = explain(c, 0, 1);
  assert_int_equal(e->words_a, 40);
  assert_int_equal(e->words_b, 40);
  assert_int_equal(e->shingles_a, 36);
  assert_int_equal(e->shingles_b, 36);
  assert_int_equal(e->shingles_shared, 16);
  assert_true(fabs(e->jaccard - 16.0 / 56.0) < 1e-12);
  assert_int_equal(e->n_passages, 1);
  assert_int_equal(e->passages[0].words, 20);
  assert_string_equal(e->passages[0].text, want);
  assert_int_equal(e->same_copy_group, 0);
  dedup_explanation_free(e);

  /* An item against itself. */
  e = explain(c, 1, 1);
  assert_true(e->jaccard == 1.0 && e->minhash_jaccard == 1.0);
  assert_int_equal(e->same_copy_group, 1);
  assert_int_equal(e->same_story, 1);
  dedup_explanation_free(e);
  dedup_corpus_free(c);
}

static void copy_only(void **state) {
  const fixture *f = *state;
  dedup_corpus *c = run(f, DEDUP_METHOD_MINHASH, 0, DEDUP_RUN_COPY);
  dedup_explanation *e = explain(c, 0, 3);
  assert_int_equal(e->story_computed, 0);
  assert_int_equal(e->n_terms, 0);
  assert_null(e->terms);
  assert_true(e->jaccard == 1.0);
  dedup_explanation_free(e);
  dedup_corpus_free(c);
}

static void errors(void **state) {
  const fixture *f = *state;
  dedup_corpus *c;
  dedup_explanation *e = (dedup_explanation *)&e; /* must become NULL */
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "a", f->d[0].text, f->d[0].len,
                                    NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_explain(&e, c, 0, 0), DEDUP_ESTATE);
  assert_null(e);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  e = (dedup_explanation *)&e;
  assert_int_equal(dedup_corpus_explain(&e, c, 0, 1), DEDUP_EINVAL);
  assert_null(e);
  /* Adding drops the results. */
  assert_int_equal(dedup_corpus_add(c, "b", f->d[1].text, f->d[1].len,
                                    NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_explain(&e, c, 0, 1), DEDUP_ESTATE);
  assert_null(e);
  dedup_explanation_free(NULL);
  dedup_corpus_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(methods_agree), cmocka_unit_test(verbatim_copy),
      cmocka_unit_test(edited_copy),   cmocka_unit_test(story_terms),
      cmocka_unit_test(exact_passage), cmocka_unit_test(copy_only),
      cmocka_unit_test(errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
