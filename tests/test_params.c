/* test_params.c - the model and run options through dedup.h: versions,
 * zero means the default, run options never change a result, misuse gets
 * a status code, and the queries the CLI and bench use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Three stories of two copies each plus a stranger, as chrome-free pages. */
static const char *const texts[] = {
    "The harbour council approved the new bridge budget on Monday after a "
    "long public meeting about river traffic and the old ferry service.",
    "Home | News\n\nThe harbour council approved the new bridge budget on "
    "Monday after a long public meeting about river traffic and the old "
    "ferry service.",
    "A storm closed the mountain railway for the week, and the village "
    "school moved its spring festival to the museum hall until it reopens.",
    "A storm closed the mountain railway for the week, and the village "
    "school moved its spring festival to the museum hall until it reopens "
    "next month.",
    "Scientists at the northern observatory recorded a bright comet that "
    "will pass close to the sun in early autumn, visible without a "
    "telescope.",
    "Scientists at the northern observatory recorded a bright comet that "
    "will pass close to the sun in early autumn, visible without a "
    "telescope at dawn.",
    "Farmers in the valley sold record amounts of cheese at the weekly "
    "market while the price of milk fell for the third month running.",
};
#define N_TEXTS (sizeof texts / sizeof texts[0])

static dedup_corpus *make(const dedup_params *p) {
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, p), DEDUP_OK);
  for (size_t i = 0; i < N_TEXTS; i++) {
    char name[16];
    snprintf(name, sizeof name, "doc-%zu", N_TEXTS - 1 - i); /* unsorted */
    assert_int_equal(dedup_corpus_add(c, name, texts[i], strlen(texts[i]),
                                      NULL),
                     DEDUP_OK);
  }
  return c;
}

static void test_versions(void **state) {
  (void)state;
  dedup_params p, q = DEDUP_PARAMS_INIT;
  memset(&p, 0xAB, sizeof p);
  assert_int_equal(dedup_params_init(&p, DEDUP_PARAMS_VERSION), DEDUP_OK);
  assert_memory_equal(&p, &q, sizeof p);
  assert_int_equal(p.version, DEDUP_PARAMS_VERSION);
  assert_int_equal(dedup_params_init(&p, 0), DEDUP_EINVAL);
  assert_int_equal(dedup_params_init(&p, DEDUP_PARAMS_VERSION + 1),
                   DEDUP_EINVAL);
  assert_int_equal(dedup_params_init(NULL, DEDUP_PARAMS_VERSION),
                   DEDUP_EINVAL);
  dedup_run_options o;
  assert_int_equal(dedup_run_options_init(&o, DEDUP_RUN_OPTIONS_VERSION),
                   DEDUP_OK);
  assert_true(o.threads == 0 && o.levels == 0 && !o.progress);
  assert_int_equal(dedup_run_options_init(&o, 7), DEDUP_EINVAL);
  /* A struct of an unknown version is refused, not misread. */
  dedup_corpus *c = (dedup_corpus *)&p;
  q.version = 0;
  assert_int_equal(dedup_corpus_new(&c, &q), DEDUP_EINVAL);
  assert_null(c);
  q.version = DEDUP_PARAMS_VERSION + 1;
  assert_int_equal(dedup_corpus_new(&c, &q), DEDUP_EINVAL);
}

/* Zero is the default in every field, resolved per method. */
static void test_defaults_resolved(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT, r;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_params(c, &r, DEDUP_PARAMS_VERSION),
                   DEDUP_OK);
  assert_true(r.shingle_k == 5 && r.num_perm == 128 && r.threshold == 0.5 &&
              r.story_threshold == 0.265);
  dedup_corpus_free(c);
  p.method = DEDUP_METHOD_SIMHASH;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_params(c, &r, DEDUP_PARAMS_VERSION),
                   DEDUP_OK);
  assert_true(r.threshold == 0.9);
  dedup_corpus_free(c);
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_params(c, &r, DEDUP_PARAMS_VERSION),
                   DEDUP_OK);
  assert_true(r.threshold == 0.5 && r.method == DEDUP_METHOD_MINHASH);
  assert_int_equal(dedup_corpus_params(c, &r, 0), DEDUP_EINVAL);
  dedup_corpus_free(c);
}

/* The trap of 0.1: DEDUP_PARAMS_INIT held 0.5, so choosing SimHash after
 * it linked fingerprints up to 32 bits apart, i.e. unrelated texts.  Now
 * the unrelated pairs of these texts (about 32 bits apart) stay apart. */
static void test_simhash_after_init(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.method = DEDUP_METHOD_SIMHASH;
  p.flags = DEDUP_F_NO_CLEAN;
  dedup_corpus *c = make(&p);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  size_t n = dedup_corpus_item_count(c), close_unrelated = 0;
  for (size_t a = 0; a < n; a++)
    for (size_t b = a + 1; b < n; b++) {
      dedup_explanation *e;
      assert_int_equal(dedup_corpus_explain(&e, c, a, b), DEDUP_OK);
      int related = e->jaccard > 0.3;
      if (!related) {
        assert_false(e->same_copy_group);
        /* Pairs that 0.5 (<= 32 bits) would have linked. */
        close_unrelated += e->simhash_distance <= 32;
      }
      dedup_explanation_free(e);
    }
  assert_true(close_unrelated > 0); /* the case is really tested */
  dedup_corpus_free(c);
}

static char *copy_snapshot(const dedup_corpus *c, dedup_level level) {
  size_t cap = 1 << 16, at = 0;
  char *s = malloc(cap);
  assert_non_null(s);
  size_t nc = dedup_corpus_cluster_count(c, level);
  for (size_t k = 0; k < nc; k++) {
    size_t n;
    const size_t *m = dedup_corpus_cluster_members(c, level, k, &n);
    for (size_t i = 0; i < n; i++)
      at += (size_t)snprintf(s + at, cap - at, "%zu:%s ", k,
                             dedup_corpus_item_name(c, m[i]));
  }
  size_t nl = dedup_corpus_link_count(c, level);
  for (size_t i = 0; i < nl; i++) {
    size_t a, b;
    double sim;
    assert_int_equal(dedup_corpus_link(c, level, i, &a, &b, &sim), DEDUP_OK);
    at += (size_t)snprintf(s + at, cap - at, "%zu-%zu:%.6f ", a, b, sim);
  }
  assert_true(at < cap);
  return s;
}

typedef struct seen {
  int phases[8];
  int n;
  int stop_at; /* phase that answers "stop"; -1 never */
} seen;

static int on_phase(void *ctx, dedup_phase ph) {
  seen *s = ctx;
  if (s->n < 8)
    s->phases[s->n++] = (int)ph;
  return (int)ph == s->stop_at;
}

/* Threads and levels never change the copy level; the story level is
 * there only when asked for; progress reports every phase in order and
 * can stop the run. */
static void test_run_options(void **state) {
  (void)state;
  dedup_corpus *c = make(NULL);
  char *want = NULL;
  for (unsigned t = 1; t <= 3; t++) {
    for (unsigned lv = 0; lv < 2; lv++) {
      dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
      o.threads = t;
      o.levels = lv ? DEDUP_RUN_COPY : DEDUP_RUN_ALL;
      assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_OK);
      assert_int_equal(dedup_corpus_has_level(c, DEDUP_LEVEL_COPY), 1);
      assert_int_equal(dedup_corpus_has_level(c, DEDUP_LEVEL_STORY), !lv);
      char *got = copy_snapshot(c, DEDUP_LEVEL_COPY);
      if (!want)
        want = got;
      else {
        assert_string_equal(want, got);
        free(got);
      }
      if (lv) { /* no story results, not the copy level under its name */
        size_t n = 9;
        assert_int_equal(dedup_corpus_cluster_count(c, DEDUP_LEVEL_STORY), 0);
        assert_null(dedup_corpus_cluster_members(c, DEDUP_LEVEL_STORY, 0, &n));
        assert_int_equal(n, 0);
        assert_int_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, 0),
                         SIZE_MAX);
        assert_null(dedup_corpus_story_copy_groups(c, 0, &n));
        dedup_explanation *e;
        assert_int_equal(dedup_corpus_explain(&e, c, 0, 1), DEDUP_OK);
        assert_int_equal(e->story_computed, 0);
        dedup_explanation_free(e);
      }
    }
  }
  /* three copy pairs found */
  assert_int_equal(dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY), 4);
  free(want);

  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  seen s = {{0}, 0, -1};
  o.progress = on_phase;
  o.progress_ctx = &s;
  assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_OK);
  assert_int_equal(s.n, 5);
  for (int i = 0; i < 5; i++)
    assert_int_equal(s.phases[i], i);
  s = (seen){{0}, 0, DEDUP_PHASE_COPY};
  assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_ECANCELED);
  assert_int_equal(s.n, 3);
  assert_int_equal(dedup_corpus_item_count(c), 0); /* no results */
  assert_int_equal(dedup_corpus_has_level(c, DEDUP_LEVEL_COPY), 0);
  o.progress = NULL;
  o.threads = 1025;
  assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_EINVAL);
  o.threads = 0;
  o.levels = 1u << 5;
  assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_EINVAL);
  o.levels = 0;
  o.version = 99;
  assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_EINVAL);
  dedup_corpus_free(c);
}

/* Misuse answered, never a crash. */
static void test_null_and_range(void **state) {
  (void)state;
  size_t n = 7, a, b, it;
  double sim;
  assert_int_equal(dedup_corpus_new(NULL, NULL), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_add(NULL, "x", "y", 1, NULL), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_run(NULL), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_run_with(NULL, NULL), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_doc_count(NULL), 0);
  assert_int_equal(dedup_corpus_item_count(NULL), 0);
  assert_null(dedup_corpus_item_name(NULL, 0));
  assert_int_equal(dedup_corpus_cluster_count(NULL, DEDUP_LEVEL_COPY), 0);
  assert_null(dedup_corpus_cluster_members(NULL, DEDUP_LEVEL_COPY, 0, &n));
  assert_int_equal(n, 0);
  assert_int_equal(dedup_corpus_cluster_of(NULL, DEDUP_LEVEL_COPY, 0),
                   SIZE_MAX);
  assert_int_equal(dedup_corpus_link_count(NULL, DEDUP_LEVEL_COPY), 0);
  assert_int_equal(dedup_corpus_link(NULL, DEDUP_LEVEL_COPY, 0, &a, &b, &sim),
                   DEDUP_EINVAL);
  assert_null(dedup_corpus_cluster_links(NULL, DEDUP_LEVEL_COPY, 0, &n));
  assert_null(dedup_corpus_story_copy_groups(NULL, 0, &n));
  assert_int_equal(dedup_corpus_item_find(NULL, "x", &it), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_has_level(NULL, DEDUP_LEVEL_COPY), 0);
  assert_int_equal(dedup_corpus_save(NULL, "/tmp/x.idx"), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_load(NULL, "/tmp/x.idx"), DEDUP_EINVAL);
  dedup_explanation *e;
  assert_int_equal(dedup_corpus_explain(&e, NULL, 0, 0), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_explain(NULL, NULL, 0, 0), DEDUP_EINVAL);
  dedup_corpus_free(NULL);

  /* The sketches, the LSH index and the one-shot calls. */
  uint64_t sig[4] = {1, 2, 3, 4}, h = 7, *hv = (uint64_t *)sig;
  char *t = (char *)"x";
  assert_int_equal(dedup_minhash_new(NULL, 4, DEDUP_MINHASH_OPH),
                   DEDUP_EINVAL);
  dedup_minhash_reset(NULL, 1);
  dedup_minhash_update(NULL, &h, 1);
  dedup_minhash_digest(NULL, sig);
  assert_true(sig[0] == 1); /* untouched */
  assert_int_equal(dedup_minhash_size(NULL), 0);
  assert_true(dedup_minhash_jaccard(NULL, sig, 4) == 0.0);
  dedup_minhash *mh;
  assert_int_equal(dedup_minhash_new(&mh, 4, DEDUP_MINHASH_OPH), DEDUP_OK);
  dedup_minhash_update(mh, NULL, 3);
  dedup_minhash_digest(mh, NULL);
  dedup_minhash_free(mh);
  assert_int_equal(dedup_simhash_new(NULL), DEDUP_EINVAL);
  dedup_simhash_reset(NULL, 1);
  dedup_simhash_update(NULL, &h, NULL, 1);
  assert_true(dedup_simhash_digest(NULL) == 0);
  dedup_simhash_free(NULL);
  unsigned bands = 9, rows = 9;
  dedup_lsh_shape(NULL, &bands, &rows);
  assert_true(bands == 0 && rows == 0);
  assert_int_equal(dedup_lsh_insert(NULL, 1, sig), DEDUP_EINVAL);
  uint32_t *ids = (uint32_t *)sig;
  assert_int_equal(dedup_lsh_query(NULL, sig, &ids, &n), DEDUP_EINVAL);
  assert_null(ids);
  assert_int_equal(n, 0);
  assert_int_equal(dedup_lsh_query(NULL, sig, NULL, NULL), DEDUP_EINVAL);
  assert_int_equal(dedup_lsh_remove(NULL, 1, sig), DEDUP_EINVAL);
  dedup_lsh *l;
  assert_int_equal(dedup_lsh_new(&l, 0.5, 4), DEDUP_OK);
  assert_int_equal(dedup_lsh_insert(l, 1, NULL), DEDUP_EINVAL);
  assert_int_equal(dedup_lsh_query(l, NULL, &ids, &n), DEDUP_EINVAL);
  dedup_lsh_free(l);
  assert_int_equal(dedup_normalise(NULL, NULL, "x", 1, NULL), DEDUP_EINVAL);
  assert_int_equal(dedup_normalise(&t, NULL, NULL, 1, NULL), DEDUP_EINVAL);
  assert_null(t);
  assert_int_equal(dedup_shingles(NULL, &n, "x", 1, 5, 0), DEDUP_EINVAL);
  assert_int_equal(dedup_shingles(&hv, NULL, "x", 1, 5, 0), DEDUP_EINVAL);
  assert_int_equal(dedup_char_shingles(&hv, &n, NULL, 4, 3, 0),
                   DEDUP_EINVAL);
  assert_null(hv);
  dedup_scores sc;
  assert_int_equal(dedup_eval_scores(NULL, &n, &n, 1), DEDUP_EINVAL);
  assert_int_equal(dedup_eval_scores(&sc, NULL, &n, 1), DEDUP_EINVAL);

  dedup_corpus *c = make(NULL);
  /* Before a run: empty answers and ESTATE. */
  assert_int_equal(dedup_corpus_doc_count(c), N_TEXTS);
  assert_int_equal(dedup_corpus_item_count(c), 0);
  assert_int_equal(dedup_corpus_item_find(c, "doc-0", &it), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_link(c, DEDUP_LEVEL_COPY, 0, &a, &b, &sim),
                   DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_explain(&e, c, 0, 0), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  size_t ni = dedup_corpus_item_count(c);
  assert_null(dedup_corpus_item_name(c, ni));
  assert_int_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, ni),
                   SIZE_MAX);
  assert_int_equal(dedup_corpus_cluster_of(c, (dedup_level)7, 0), SIZE_MAX);
  assert_null(dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY, ni, &n));
  assert_null(dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY, 0, NULL));
  assert_int_equal(dedup_corpus_link(c, DEDUP_LEVEL_COPY,
                                     dedup_corpus_link_count(c,
                                                             DEDUP_LEVEL_COPY),
                                     &a, &b, &sim),
                   DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_link(c, DEDUP_LEVEL_COPY, 0, NULL, &b, &sim),
                   DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_explain(&e, c, 0, ni), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_add(c, NULL, "x", 1, NULL), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_add(c, "x", NULL, 1, NULL), DEDUP_EINVAL);
  dedup_corpus_free(c);
}

/* The queries the CLI used to compute itself. */
static void test_queries(void **state) {
  (void)state;
  dedup_corpus *c = make(NULL);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  size_t ni = dedup_corpus_item_count(c), it;
  for (size_t i = 0; i < ni; i++) {
    assert_int_equal(dedup_corpus_item_find(c, dedup_corpus_item_name(c, i),
                                            &it),
                     DEDUP_OK);
    assert_int_equal(it, i);
  }
  assert_int_equal(dedup_corpus_item_find(c, "doc-", &it), DEDUP_ENOTFOUND);
  assert_int_equal(it, SIZE_MAX);
  assert_int_equal(dedup_corpus_item_find(c, "zzz", &it), DEDUP_ENOTFOUND);
  for (int lv = 0; lv < 2; lv++) {
    dedup_level level = (dedup_level)lv;
    size_t nc = dedup_corpus_cluster_count(c, level), total = 0;
    for (size_t k = 0; k < nc; k++) {
      size_t nl;
      const size_t *li = dedup_corpus_cluster_links(c, level, k, &nl);
      /* exactly the links whose ends lie in k, ascending */
      size_t want = 0, all = dedup_corpus_link_count(c, level);
      for (size_t i = 0; i < all; i++) {
        size_t a, b;
        double s;
        assert_int_equal(dedup_corpus_link(c, level, i, &a, &b, &s),
                         DEDUP_OK);
        assert_int_equal(dedup_corpus_cluster_of(c, level, a),
                         dedup_corpus_cluster_of(c, level, b));
        if (dedup_corpus_cluster_of(c, level, a) == k) {
          assert_true(want < nl);
          assert_int_equal(li[want], i);
          want++;
        }
      }
      assert_int_equal(want, nl);
      total += nl;
    }
    assert_int_equal(total, dedup_corpus_link_count(c, level));
  }
  /* Every copy group in exactly one story, listed by first member. */
  size_t ns = dedup_corpus_cluster_count(c, DEDUP_LEVEL_STORY), seen_g = 0;
  for (size_t s = 0; s < ns; s++) {
    size_t ng, nm, prev_first = 0;
    const size_t *g = dedup_corpus_story_copy_groups(c, s, &ng);
    dedup_corpus_cluster_members(c, DEDUP_LEVEL_STORY, s, &nm);
    size_t covered = 0;
    for (size_t j = 0; j < ng; j++) {
      size_t gn;
      const size_t *gm = dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY,
                                                      g[j], &gn);
      assert_true(j == 0 || gm[0] > prev_first);
      prev_first = gm[0];
      for (size_t q = 0; q < gn; q++)
        assert_int_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, gm[q]),
                         s);
      covered += gn;
    }
    assert_int_equal(covered, nm);
    seen_g += ng;
  }
  assert_int_equal(seen_g, dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY));
  dedup_corpus_free(c);
}

/* Names of embedded articles sort out of document order ("a#2" after
 * "a!"): found all the same. */
static void test_find_split(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.flags = DEDUP_F_SPLIT_EMBEDDED;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  char page[4096];
  snprintf(page, sizeof page, "%s\n\n%s\n\n%s\n", texts[0], texts[2],
           texts[4]);
  assert_int_equal(dedup_corpus_add(c, "a", page, strlen(page), NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "a!", texts[6], strlen(texts[6]),
                                    NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  size_t ni = dedup_corpus_item_count(c), it;
  for (size_t i = 0; i < ni; i++) {
    assert_int_equal(dedup_corpus_item_find(c, dedup_corpus_item_name(c, i),
                                            &it),
                     DEDUP_OK);
    assert_int_equal(it, i);
  }
  dedup_corpus_free(c);
}

/* dedup_corpus_item_text: what the run kept.  Menu lines every page
 * carries are gone, the article is there; without cleaning, every line. */
static void test_item_text(void **state) {
  (void)state;
  for (int clean = 0; clean < 2; clean++) {
    dedup_params p = DEDUP_PARAMS_INIT;
    p.flags = clean ? 0 : DEDUP_F_NO_CLEAN;
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
    for (int i = 0; i < 4; i++) {
      /* An article of 30+ words (two sentences): shorter is no article
       * to the cleaner, and the page is kept whole. */
      char page[2048], name[8];
      snprintf(page, sizeof page,
               "Home | World | Sport | Weather | Contact us\n\n%s %s\n\n"
               "Copyright 2026 The Daily Example. All rights reserved.\n",
               texts[2 * i], texts[2 * i]);
      snprintf(name, sizeof name, "p%d", i);
      assert_int_equal(dedup_corpus_add(c, name, page, strlen(page), NULL),
                       DEDUP_OK);
    }
    char *t = (char *)1;
    size_t n = 9;
    assert_int_equal(dedup_corpus_item_text(&t, &n, c, 0), DEDUP_ESTATE);
    assert_null(t);
    assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
    for (size_t i = 0; i < 4; i++) {
      assert_int_equal(dedup_corpus_item_text(&t, &n, c, i), DEDUP_OK);
      assert_int_equal(strlen(t), n);
      assert_true(n > 0 && t[n - 1] == '\n');
      /* the article is there, whole (items are in name order p0..p3) */
      assert_non_null(strstr(t, texts[2 * i]));
      int menu = strstr(t, "Weather") != NULL;
      assert_int_equal(menu, !clean);
      dedup_free(t);
    }
    assert_int_equal(dedup_corpus_item_text(&t, NULL, c, 4), DEDUP_EINVAL);
    assert_int_equal(dedup_corpus_item_text(NULL, NULL, c, 0), DEDUP_EINVAL);
    assert_int_equal(dedup_corpus_item_text(&t, NULL, NULL, 0), DEDUP_EINVAL);
    dedup_corpus_free(c);
  }
}

/* Issue 16's explain defect: on the whole-page fallback the first line
 * was title and body at once, so a one-line page of 10 words counted 20,
 * and a passage running from the body back into the title read past the
 * text.  Page A ends in five words that open page B, which goes on with
 * A's first six words. */
static void test_whole_page_passages(void **state) {
  (void)state;
  const char *b = "alpha bravo charlie delta echo one two three four five six";
  char a[4096] = "one two three four five six";
  for (int i = 0; i < 40; i++)
    strcat(a, " lorem ipsum dolor sit amet consectetur");
  strcat(a, " alpha bravo charlie delta echo");
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "a", a, strlen(a), NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "b", b, strlen(b), NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  dedup_explanation *e;
  assert_int_equal(dedup_corpus_explain(&e, c, 0, 1), DEDUP_OK);
  assert_int_equal(e->words_a, 6 + 40 * 6 + 5);
  assert_int_equal(e->words_b, 11);
  for (size_t i = 0; i < e->n_passages; i++) {
    const char *t = e->passages[i].text;
    assert_true(strlen(t) <= 203);
    /* each passage is words of A, in A's order */
    assert_true(strstr(a, t) != NULL || strstr(t, "...") != NULL);
  }
  dedup_explanation_free(e);
  assert_int_equal(dedup_corpus_explain(&e, c, 1, 0), DEDUP_OK);
  assert_int_equal(e->words_a, 11);
  assert_true(e->n_passages >= 1);
  for (size_t i = 0; i < e->n_passages; i++)
    assert_true(strstr(b, e->passages[i].text) != NULL);
  dedup_explanation_free(e);
  dedup_corpus_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_versions),
      cmocka_unit_test(test_defaults_resolved),
      cmocka_unit_test(test_simhash_after_init),
      cmocka_unit_test(test_run_options),
      cmocka_unit_test(test_null_and_range),
      cmocka_unit_test(test_queries),
      cmocka_unit_test(test_find_split),
      cmocka_unit_test(test_item_text),
      cmocka_unit_test(test_whole_page_passages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
