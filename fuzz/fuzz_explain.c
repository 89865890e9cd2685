/* fuzz_explain.c - dedup_corpus_explain on every pair of a small corpus,
 * and a save/load round trip of that corpus.
 *
 * Input: byte 0 picks parameters (params_from), byte 1 is the separator,
 * the rest is cut on it into 2..6 documents (one piece is added twice, so
 * there are always two).  After the run, every pair (a, b), a == b
 * included, is explained and checked: similarities in [0, 1], at most 3
 * passages of at most 200 bytes plus "...", at most 10 terms, the counts
 * consistent with each other, with the run's clusters and with the pair
 * the other way round.  Then the corpus is saved to a file under /tmp,
 * loaded and run: it must give the same items, clusters and links, and
 * the same explanations (its texts are exact-size allocations, so a read
 * past a text's end is caught there by ASan). */
#include "fuzz.h"
#include "dedup.h"
#include "fuzz_checks.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_DOCS = 6, MAX_PASSAGES = 3, MAX_TERMS = 10, PASSAGE_BYTES = 200 };

/* The parameters, set by name only: the struct is being redesigned. */
static dedup_params params_from(unsigned sel) {
  dedup_params p = DEDUP_PARAMS_INIT;
  p.method = sel & 1 ? DEDUP_METHOD_SIMHASH : DEDUP_METHOD_MINHASH;
  p.minhash_kind = sel & 2 ? DEDUP_MINHASH_CLASSIC : DEDUP_MINHASH_OPH;
  /* 0: the method's own default (INIT holds MinHash's 0.5, which for
   * SimHash would join nearly every pair). */
  p.threshold = 0;
  p.flags = (sel & 4 ? DEDUP_F_NO_CLEAN : 0u) |
            (sel & 8 ? DEDUP_F_SPLIT_EMBEDDED : 0u);
  p.shingle_k = 1 + ((sel >> 4) & 7); /* 1..8; 0x40 gives the default 5 */
  p.num_perm = sel & 0x80 ? 16 : 64;
  return p;
}

static int unit(double x) { return x >= 0 && x <= 1; }

/* Term weights are floats, L2-normalised: one may round a hair above 1. */
static int weight(double x) { return x >= 0 && x <= 1 + 1e-6; }

static void check_one(const dedup_explanation *e, const dedup_corpus *c,
                      size_t a, size_t b) {
  size_t n = dedup_corpus_item_count(c);
  CHECK(e->a == a && e->b == b);
  CHECK(unit(e->copy_similarity) && unit(e->copy_threshold));
  CHECK(unit(e->minhash_jaccard) && unit(e->simhash_similarity));
  CHECK(unit(e->minhash_threshold) && unit(e->simhash_threshold));
  CHECK(unit(e->jaccard));
  CHECK(e->simhash_distance <= 64);
  CHECK(e->copy_similarity == (e->method == DEDUP_METHOD_MINHASH
                                   ? e->minhash_jaccard
                                   : e->simhash_similarity));
  CHECK(e->shingles_shared <= e->shingles_a &&
        e->shingles_shared <= e->shingles_b);
  /* Words and shingles: a text of w >= 1 words has 1..w shingles. */
  CHECK(e->shingles_a <= e->words_a && e->shingles_b <= e->words_b);
  CHECK((e->shingles_a == 0) == (e->words_a == 0));
  CHECK((e->shingles_b == 0) == (e->words_b == 0));
  size_t uni = e->shingles_a + e->shingles_b - e->shingles_shared;
  CHECK(uni ? fabs(e->jaccard - (double)e->shingles_shared / (double)uni) <
                  1e-12
            : e->jaccard == 0);
  int same_copy = dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, a) ==
                  dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, b);
  CHECK(e->same_copy_group == same_copy);
  CHECK(!e->copy_linked || e->same_copy_group);
  CHECK(e->n_passages <= MAX_PASSAGES);
  CHECK(e->n_passages == 0 || e->passages != NULL);
  CHECK(e->n_passages == 0 || e->shingles_shared > 0);
  for (size_t i = 0; i < e->n_passages; i++) {
    const dedup_explain_passage *q = &e->passages[i];
    CHECK(q->text != NULL);
    size_t len = strlen(q->text);
    CHECK(len <= PASSAGE_BYTES + 3);
    CHECK(q->words >= 1 && q->words <= e->words_a);
    CHECK(i == 0 || q->words <= e->passages[i - 1].words); /* longest first */
    CHECK(!memchr(q->text, '\n', len)); /* line breaks shown as spaces */
  }
  if (a == b) {
    CHECK(e->words_a == e->words_b && e->shingles_a == e->shingles_b);
    CHECK(e->shingles_shared == e->shingles_a);
    CHECK(e->simhash_distance == 0);
    CHECK(e->same_copy_group && !e->copy_linked);
    CHECK(e->words_a == 0 || (e->jaccard == 1 && e->n_passages >= 1));
    CHECK(e->words_a == 0 || e->minhash_jaccard == 1);
  }
  CHECK(e->story_computed); /* the harness never skips the story level */
  CHECK(unit(e->story_threshold) && unit(e->story_cosine));
  CHECK(e->rep_a < n && e->rep_b < n);
  CHECK(dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, e->rep_a) ==
        dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, a));
  CHECK(dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, e->rep_b) ==
        dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, b));
  CHECK(e->same_story == (dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, a) ==
                          dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, b)));
  CHECK(e->n_terms <= MAX_TERMS);
  CHECK(e->n_terms == 0 || e->terms != NULL);
  double sum = 0;
  for (size_t i = 0; i < e->n_terms; i++) {
    const dedup_explain_term *t = &e->terms[i];
    CHECK(t->word != NULL && t->word[0] != '\0');
    CHECK(weight(t->weight_a) && weight(t->weight_b));
    CHECK(t->contribution > 0 && t->contribution <= 1 + 1e-6);
    CHECK(i == 0 || t->contribution <= e->terms[i - 1].contribution);
    sum += t->contribution;
  }
  /* The top terms are a part of the cosine (kept as floats: a margin). */
  CHECK(sum <= e->story_cosine + 1e-5);
}

/* Explanations of the same pair in two corpora with the same documents. */
static void check_equal(const dedup_explanation *x,
                        const dedup_explanation *y) {
  CHECK(x->words_a == y->words_a && x->words_b == y->words_b);
  CHECK(x->copy_similarity == y->copy_similarity);
  CHECK(x->minhash_jaccard == y->minhash_jaccard);
  CHECK(x->simhash_distance == y->simhash_distance);
  CHECK(x->jaccard == y->jaccard && x->shingles_shared == y->shingles_shared);
  CHECK(x->same_copy_group == y->same_copy_group);
  CHECK(x->copy_linked == y->copy_linked);
  CHECK(x->n_passages == y->n_passages);
  for (size_t i = 0; i < x->n_passages; i++) {
    CHECK(x->passages[i].words == y->passages[i].words);
    CHECK(!strcmp(x->passages[i].text, y->passages[i].text));
  }
  CHECK(x->story_cosine == y->story_cosine && x->same_story == y->same_story);
  CHECK(x->rep_a == y->rep_a && x->rep_b == y->rep_b);
  CHECK(x->n_terms == y->n_terms);
  for (size_t i = 0; i < x->n_terms; i++) {
    CHECK(!strcmp(x->terms[i].word, y->terms[i].word));
    CHECK(x->terms[i].contribution == y->terms[i].contribution);
  }
}

/* Every pair of c (and of d, a copy of c, when d is not NULL). */
static void explain_all(const dedup_corpus *c, const dedup_corpus *d) {
  size_t n = dedup_corpus_item_count(c);
  dedup_explanation *e = (dedup_explanation *)1;
  CHECK(dedup_corpus_explain(&e, c, n, 0) == DEDUP_EINVAL && e == NULL);
  /* The kept text of each item: as long as it says, the same in the
   * copy d, and empty exactly for items of no words. */
  for (size_t a = 0; a < n; a++) {
    char *t, *u;
    size_t tl, ul;
    CHECK(dedup_corpus_item_text(&t, &tl, c, a) == DEDUP_OK && t);
    CHECK(strlen(t) == tl);
    if (d) {
      CHECK(dedup_corpus_item_text(&u, &ul, d, a) == DEDUP_OK && u);
      CHECK(ul == tl && !memcmp(t, u, tl));
      dedup_free(u);
    }
    dedup_free(t);
  }
  for (size_t a = 0; a < n; a++)
    for (size_t b = 0; b < n; b++) {
      dedup_explanation *x, *y;
      CHECK(dedup_corpus_explain(&x, c, a, b) == DEDUP_OK && x);
      check_one(x, c, a, b);
      if (b < a) { /* the pair the other way round */
        CHECK(dedup_corpus_explain(&y, c, b, a) == DEDUP_OK && y);
        CHECK(x->words_a == y->words_b && x->words_b == y->words_a);
        CHECK(x->jaccard == y->jaccard);
        CHECK(x->shingles_shared == y->shingles_shared);
        CHECK(x->minhash_jaccard == y->minhash_jaccard);
        CHECK(x->simhash_distance == y->simhash_distance);
        CHECK(x->copy_linked == y->copy_linked);
        CHECK(x->rep_a == y->rep_b && x->rep_b == y->rep_a);
        CHECK(fabs(x->story_cosine - y->story_cosine) < 1e-9);
        dedup_explanation_free(y);
      }
      if (d) {
        CHECK(dedup_corpus_explain(&y, d, a, b) == DEDUP_OK && y);
        check_one(y, d, a, b);
        check_equal(x, y);
        dedup_explanation_free(y);
      }
      dedup_explanation_free(x);
    }
}

static void round_trip(const dedup_corpus *c) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/fuzz_explain.%ld.idx", (long)getpid());
  CHECK(dedup_corpus_save(c, path) == DEDUP_OK);
  dedup_corpus *d = NULL;
  int rc = dedup_corpus_load(&d, path);
  remove(path);
  CHECK(rc == DEDUP_OK && d);
  CHECK(dedup_corpus_run(d) == DEDUP_OK);
  fuzz_check_corpus(d);
  fuzz_check_same(c, d);
  explain_all(d, c);
  dedup_corpus_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2 || size > (1u << 16))
    return 0;
  dedup_params p = params_from(data[0]);
  piece d[MAX_DOCS + 1];
  size_t nd = fuzz_split((const char *)data + 2, size - 2,
                         (const char *)data + 1, 1, MAX_DOCS, d);
  if (nd == 1)
    d[nd++] = d[0];
  dedup_corpus *c;
  CHECK(dedup_corpus_new(&c, &p) == DEDUP_OK);
  for (size_t i = 0; i < nd; i++) {
    char name[32];
    snprintf(name, sizeof name, "d%zu", i);
    int rc = dedup_corpus_add(c, name, d[i].p, d[i].n, NULL);
    CHECK(rc == DEDUP_OK || rc == DEDUP_EEMPTY || rc == DEDUP_EBINARY);
  }
  dedup_explanation *e = (dedup_explanation *)1;
  CHECK(dedup_corpus_explain(&e, c, 0, 0) == DEDUP_ESTATE && e == NULL);
  CHECK(dedup_corpus_run(c) == DEDUP_OK);
  fuzz_check_corpus(c);
  explain_all(c, NULL);
  round_trip(c);
  dedup_corpus_free(c);
  return 0;
}
