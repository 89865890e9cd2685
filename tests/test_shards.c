/* test_shards.c - the shardable passes (dedup.h): documents split over
 * shards, statistics exchanged by key ownership, records clustered in one
 * corpus, give what one corpus run over all of them gives, byte for byte.
 * Texts: seeds/ and testgen.h, with chrome lines, word runs and embedded
 * articles that repeat across shards, so the exchange decides cleaning. */
#include "dedup.h"
#include "snapshot.h"
#include "testgen.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct tdoc {
  char *name;
  char *text;
  int has_date;
  int64_t date;
  const char *title;
} tdoc;

static tdoc docs[600];
static size_t n_docs;

static void add(const char *name, const char *text, int64_t date,
                const char *title) {
  assert_true(n_docs < sizeof docs / sizeof *docs);
  docs[n_docs].name = strdup(name);
  docs[n_docs].text = strdup(text);
  docs[n_docs].has_date = date != 0;
  docs[n_docs].date = date;
  docs[n_docs].title = title;
  assert_non_null(docs[n_docs].name);
  assert_non_null(docs[n_docs].text);
  n_docs++;
}

/* A caption many pages carry inside their paragraphs (sub-line chrome: a
 * word run of more than five documents). */
static const char caption[] =
    "Photo by the staff photographer for the daily herald image one of "
    "twelve caption close";

static int setup(void **state) {
  (void)state;
  const char *dir = getenv("DEDUP_SEEDS");
  const char *seeds[] = {"cnn.txt", "foxnews.txt", "ap.txt"};
  for (size_t i = 0; i < 3; i++) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir ? dir : "seeds", seeds[i]);
    char *t = tg_slurp(p, NULL);
    if (t) { /* the seeds where the checkout has them */
      add(seeds[i], t, 0, NULL);
      free(t);
    }
  }
  int64_t day = 1700000000;
  for (uint64_t topic = 0; topic < 30; topic++) {
    char nm[64];
    tg_buf a = {0}, t = {0};
    tg_article(&t, 300 + topic, 1, 120 + 25 * (topic % 5));
    /* The caption inside the second paragraph, after its first sentence,
     * in 14 of the pages (with the copies). */
    const char *at = strstr(t.p, "\n\n");
    at = at ? strstr(at + 2, "\n\n") : NULL;
    at = at ? strstr(at + 2, ". ") : NULL;
    assert_non_null(at);
    char *cut = t.p + (at - t.p) + 2, kept = *cut;
    *cut = '\0'; /* the text up to the cut */
    tg_puts(&a, t.p);
    *cut = kept;
    if (topic % 3 == 0) {
      tg_puts(&a, caption);
      tg_puts(&a, ". ");
    }
    tg_puts(&a, at + 2);
    tg_free(&t);
    for (size_t c = 1; c <= topic % 4; c++) {
      tg_buf b = {0};
      tg_copy(&b, a.p, topic * 10 + c, 1 + c);
      if (c == 2) { /* an unrelated article below the story */
        tg_puts(&b, "\n\nMore from this site\n\n");
        tg_article(&b, 900 + topic % 7, 5, 150);
      }
      snprintf(nm, sizeof nm, "t%02u-copy%zu.txt", (unsigned)topic, c);
      add(nm, b.p, c % 2 ? day + (int64_t)topic * 86400 : 0,
          c == 3 ? "A title of its own" : NULL);
      tg_free(&b);
    }
    if (topic % 4 == 1) { /* same topic, other sentences */
      tg_buf o = {0};
      tg_article(&o, 300 + topic, 2, 200);
      snprintf(nm, sizeof nm, "t%02u-other.txt", (unsigned)topic);
      add(nm, o.p, day + (int64_t)topic * 86400 + 3600, NULL);
      tg_free(&o);
    }
    snprintf(nm, sizeof nm, "t%02u.txt", (unsigned)topic);
    add(nm, a.p, day + (int64_t)topic * 86400, NULL);
    tg_free(&a);
  }
  /* Two documents of one name (they must share a shard) and a page with
   * invalid UTF-8. */
  tg_buf d = {0};
  tg_article(&d, 777, 3, 150);
  add("same.txt", d.p, 0, NULL);
  tg_copy(&d, docs[n_docs - 1].text, 1, 3);
  add("same.txt", d.p, 0, NULL);
  tg_free(&d);
  tg_article(&d, 778, 3, 150);
  tg_puts(&d, "bad \xff\xfe bytes here\n");
  add("invalid.txt", d.p, 0, NULL);
  tg_free(&d);
  /* A crowd: more exact copies of one page than a bucket pairs in full
   * (the copy level links them to their first directly).  Then two sets
   * of as many copies as a bucket pairs in full, of two versions of a
   * page a word apart: in the bands where the versions agree their
   * bucket is cut (each id paired with the next 64 only). */
  tg_article(&d, 779, 4, 160);
  for (int k = 0; k < 70; k++) {
    char nm[32];
    snprintf(nm, sizeof nm, "crowd-%02d.txt", k);
    add(nm, d.p, 0, NULL);
  }
  tg_free(&d);
  tg_buf v[2] = {{0}, {0}};
  tg_article(&d, 780, 4, 160);
  tg_copy(&v[0], d.p, 1, 0);
  tg_copy(&v[1], d.p, 2, 1);
  for (int k = 0; k < 64; k++)
    for (int x = 0; x < 2; x++) {
      char nm[32];
      snprintf(nm, sizeof nm, "dup-%02d-%c.txt", k, "ab"[x]);
      add(nm, v[x].p, 0, NULL);
    }
  tg_free(&v[0]);
  tg_free(&v[1]);
  tg_free(&d);
  /* Many reports of one topic in other words, dated over a year: each
   * shares samples with more representatives than the story level scores
   * (its best 64), in runs longer than its window (64 places each
   * side). */
  for (int k = 0; k < 150; k++) {
    char nm[32];
    snprintf(nm, sizeof nm, "topic-%03d.txt", k);
    tg_article(&d, 990, 100 + (uint64_t)k, 120);
    add(nm, d.p, k % 3 ? day + (int64_t)k * 2 * 86400 : 0, NULL);
    tg_free(&d);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (size_t i = 0; i < n_docs; i++) {
    free(docs[i].name);
    free(docs[i].text);
  }
  return 0;
}

static void add_to(dedup_corpus *c, const tdoc *d) {
  dedup_doc_meta m = DEDUP_DOC_META_INIT;
  m.has_date = d->has_date;
  m.date = d->date;
  if (d->title) {
    m.title = d->title;
    m.title_len = strlen(d->title);
  }
  assert_int_equal(dedup_corpus_add_doc(c, d->name, d->text, strlen(d->text),
                                        &m, NULL),
                   DEDUP_OK);
}

static dedup_run_options opts(unsigned levels, unsigned threads) {
  dedup_run_options o;
  assert_int_equal(dedup_run_options_init(&o, DEDUP_RUN_OPTIONS_VERSION),
                   DEDUP_OK);
  o.levels = levels;
  o.threads = threads;
  return o;
}

/* Every document's name and invalid-UTF-8 count, in name order. */
static char *invalid_counts(const dedup_corpus *c) {
  tg_buf b = {0};
  for (size_t i = 0; i < dedup_corpus_doc_count(c); i++) {
    size_t k = 99;
    assert_int_equal(dedup_corpus_doc_invalid(c, i, &k), DEDUP_OK);
    if (k)
      snap_printf(&b, "%zu;", k);
  }
  return b.p ? b.p : strdup("");
}

static char *batch(const dedup_params *p, unsigned levels, char **invalid) {
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, p), DEDUP_OK);
  for (size_t i = 0; i < n_docs; i++)
    add_to(c, &docs[i]);
  dedup_run_options o = opts(levels, 2);
  assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_OK);
  char *s = snapshot(c);
  *invalid = invalid_counts(c);
  dedup_corpus_free(c);
  return s;
}

/* The shard of a document: by its name, so one name is one shard. */
static unsigned shard_of(const char *name, unsigned parts) {
  return (unsigned)(dedup_hash_bytes(name, strlen(name), 0) % parts);
}

/* The exchange by key ownership among P shards in one process: every
 * shard's part q to owner q, which sums them and answers each shard;
 * the answers are added to merged[r]. */
static void exchange_into(dedup_stats *const *st, dedup_stats **merged,
                          unsigned P) {
  void *part[8][8], *ans[8][8];
  size_t plen[8][8], alen[8][8];
  for (unsigned r = 0; r < P; r++)
    for (unsigned q = 0; q < P; q++)
      assert_int_equal(dedup_stats_encode(st[r], q, P, &part[r][q],
                                          &plen[r][q]),
                       DEDUP_OK);
  for (unsigned q = 0; q < P; q++) {
    dedup_stats *own;
    assert_int_equal(dedup_stats_new(&own), DEDUP_OK);
    for (unsigned r = 0; r < P; r++)
      assert_int_equal(dedup_stats_add_encoded(own, part[r][q], plen[r][q]),
                       DEDUP_OK);
    for (unsigned r = 0; r < P; r++)
      assert_int_equal(dedup_stats_answer(own, part[r][q], plen[r][q],
                                          &ans[q][r], &alen[q][r]),
                       DEDUP_OK);
    dedup_stats_free(own);
  }
  for (unsigned r = 0; r < P; r++)
    for (unsigned q = 0; q < P; q++) {
      assert_int_equal(dedup_stats_add_encoded(merged[r], ans[q][r],
                                               alen[q][r]),
                       DEDUP_OK);
      dedup_free(part[r][q]);
      dedup_free(ans[q][r]);
    }
}

/* Passes 1-3 as an engine drives them, P shards in one process: counts
 * (all at once, or with `parts` > 0 the lines and then the word runs in
 * parts, each exchanged), then each shard signed. */
static void signed_shards(dedup_corpus **sh, const dedup_params *p,
                          const dedup_run_options *po, unsigned P,
                          unsigned parts) {
  dedup_stats *st[8], *merged[8];
  const dedup_run_options o = *po;
  assert_true(P <= 8);
  for (unsigned r = 0; r < P; r++) {
    assert_int_equal(dedup_corpus_new(&sh[r], p), DEDUP_OK);
    assert_int_equal(dedup_stats_new(&st[r]), DEDUP_OK);
    assert_int_equal(dedup_stats_new(&merged[r]), DEDUP_OK);
  }
  for (size_t i = 0; i < n_docs; i++)
    add_to(sh[shard_of(docs[i].name, P)], &docs[i]);
  for (unsigned r = 0; r < P; r++)
    assert_int_equal(parts ? dedup_corpus_count_lines(sh[r], st[r], &o)
                           : dedup_corpus_count(sh[r], st[r], &o),
                     DEDUP_OK);
  exchange_into(st, merged, P);
  for (unsigned k = 0; k < parts; k++) {
    dedup_stats *runs[8];
    for (unsigned r = 0; r < P; r++) {
      assert_int_equal(dedup_stats_new(&runs[r]), DEDUP_OK);
      assert_int_equal(dedup_corpus_count_runs(sh[r], runs[r], k, parts, &o),
                       DEDUP_OK);
    }
    exchange_into(runs, merged, P);
    for (unsigned r = 0; r < P; r++)
      dedup_stats_free(runs[r]);
  }
  for (unsigned r = 0; r < P; r++) {
    assert_int_equal(dedup_corpus_sign(sh[r], merged[r], &o), DEDUP_OK);
    dedup_stats_free(st[r]);
    dedup_stats_free(merged[r]);
  }
}

/* The passes with pass 4 on one corpus of every shard's records. */
static char *sharded(const dedup_params *p, unsigned levels, unsigned P,
                     unsigned parts, char **invalid) {
  dedup_corpus *sh[8];
  dedup_run_options o = opts(levels, 1 + P % 2);
  signed_shards(sh, p, &o, P, parts);
  dedup_corpus *all;
  assert_int_equal(dedup_corpus_new(&all, p), DEDUP_OK);
  for (unsigned r = 0; r < P; r++) {
    void *rec;
    size_t rlen;
    assert_int_equal(dedup_corpus_records_encode(sh[r], &rec, &rlen),
                     DEDUP_OK);
    assert_int_equal(dedup_corpus_records_add(all, rec, rlen), DEDUP_OK);
    dedup_free(rec);
  }
  assert_int_equal(dedup_corpus_run_records(all, &o), DEDUP_OK);
  char *s = snapshot(all);
  *invalid = invalid_counts(all);
  dedup_corpus_free(all);
  for (unsigned r = 0; r < P; r++)
    dedup_corpus_free(sh[r]);
  return s;
}

/* Every shard's buffers for shard q, in shard order. */
static void column(void *(*grid)[8], size_t (*lens)[8], unsigned P,
                   unsigned q, const void **col, size_t *col_len) {
  for (unsigned r = 0; r < P; r++) {
    col[r] = grid[r][q];
    col_len[r] = lens[r][q];
  }
}

/* The passes with pass 4 spread over the shards (copy level): heads to an
 * assembler, the run's ids back, then crowds and bands each through keys,
 * owners' pairs, probes and verification, the links to the assembler;
 * with story set, the story level spread too (5.1-5.4). */
static char *spread_run(const dedup_params *p, unsigned P, unsigned parts,
                        char **invalid, int story) {
  dedup_corpus *sh[8], *all;
  dedup_run_options o = opts(story ? DEDUP_RUN_COPY | DEDUP_RUN_STORY
                                   : DEDUP_RUN_COPY,
                             1 + P % 2);
  signed_shards(sh, p, &o, P, parts);
  /* The passes after the sign need no texts: dropped on some shards. */
  for (unsigned r = 0; r < P; r += 2)
    assert_int_equal(dedup_corpus_drop_texts(sh[r]), DEDUP_OK);
  assert_int_equal(dedup_corpus_new(&all, p), DEDUP_OK);
  for (unsigned r = 0; r < P; r++) {
    void *h;
    size_t hl;
    assert_int_equal(dedup_corpus_heads_encode(sh[r], &h, &hl), DEDUP_OK);
    assert_int_equal(dedup_corpus_records_add(all, h, hl), DEDUP_OK);
    dedup_free(h);
  }
  for (unsigned r = 0; r < P; r++) {
    void *ids;
    size_t il;
    assert_int_equal(dedup_corpus_ids_encode(all, r, &ids, &il), DEDUP_OK);
    assert_int_equal(dedup_corpus_ids_set(sh[r], ids, il), DEDUP_OK);
    dedup_free(ids);
  }
  void *links[16];
  size_t ll[16], nl = 0;
  void *g1[8][8], *g2[8][8], *g3[8][8];
  size_t l1[8][8], l2[8][8], l3[8][8];
  const void *col[8];
  size_t cl[8];
  for (int stage = DEDUP_SPREAD_CROWDS; stage <= DEDUP_SPREAD_BANDS;
       stage++) {
    for (unsigned r = 0; r < P; r++)
      assert_int_equal(dedup_corpus_keys_encode(sh[r],
                                                (dedup_spread_stage)stage, P,
                                                g1[r], l1[r]),
                       DEDUP_OK);
    for (unsigned q = 0; q < P; q++) { /* owner q */
      column(g1, l1, P, q, col, cl);
      assert_int_equal(dedup_spread_pairs(col, cl, P, g2[q], l2[q]),
                       DEDUP_OK);
    }
    for (unsigned r = 0; r < P; r++) {
      column(g2, l2, P, r, col, cl);
      assert_int_equal(dedup_corpus_probes(sh[r], col, cl, P, g3[r], l3[r]),
                       DEDUP_OK);
    }
    for (unsigned r = 0; r < P; r++) {
      column(g3, l3, P, r, col, cl);
      assert_int_equal(dedup_corpus_verify(sh[r], col, cl, P, &links[nl],
                                           &ll[nl]),
                       DEDUP_OK);
      nl++;
    }
    for (unsigned r = 0; r < P; r++)
      for (unsigned q = 0; q < P; q++) {
        dedup_free(g1[r][q]);
        dedup_free(g2[r][q]);
        dedup_free(g3[r][q]);
      }
  }
  const void *const *lk = (const void *const *)links;
  if (story) {
    assert_int_equal(dedup_corpus_groups_set(all, lk, ll, nl), DEDUP_OK);
    for (size_t i = 0; i < nl; i++)
      dedup_free(links[i]);
    for (unsigned r = 0; r < P; r++) {
      void *b;
      size_t bl;
      assert_int_equal(dedup_corpus_reps_encode(all, r, &b, &bl), DEDUP_OK);
      assert_int_equal(dedup_corpus_reps_set(sh[r], b, bl), DEDUP_OK);
      dedup_free(b);
    }
    for (unsigned r = 0; r < P; r++)
      assert_int_equal(dedup_corpus_terms_encode(sh[r], P, g1[r], l1[r]),
                       DEDUP_OK);
    for (unsigned q = 0; q < P; q++) {
      column(g1, l1, P, q, col, cl);
      assert_int_equal(dedup_spread_terms_answer(col, cl, P, g2[q], l2[q]),
                       DEDUP_OK);
    }
    for (unsigned r = 0; r < P; r++) {
      column(g2, l2, P, r, col, cl);
      assert_int_equal(dedup_corpus_weigh(sh[r], col, cl, P), DEDUP_OK);
    }
    for (unsigned r = 0; r < P; r++)
      for (unsigned q = 0; q < P; q++) {
        dedup_free(g1[r][q]);
        dedup_free(g2[r][q]);
      }
    for (unsigned r = 0; r < P; r++)
      assert_int_equal(dedup_corpus_samples_encode(sh[r], P, g1[r], l1[r]),
                       DEDUP_OK);
    for (unsigned q = 0; q < P; q++) {
      column(g1, l1, P, q, col, cl);
      assert_int_equal(dedup_spread_runs(col, cl, P, g2[q], l2[q]),
                       DEDUP_OK);
    }
    for (unsigned r = 0; r < P; r++) {
      column(g2, l2, P, r, col, cl);
      assert_int_equal(dedup_corpus_vectors_encode(sh[r], col, cl, P, g3[r],
                                                   l3[r]),
                       DEDUP_OK);
    }
    nl = 0;
    for (unsigned r = 0; r < P; r++) {
      column(g3, l3, P, r, col, cl);
      assert_int_equal(dedup_corpus_score(sh[r], col, cl, P, &links[nl],
                                          &ll[nl]),
                       DEDUP_OK);
      nl++;
    }
    for (unsigned r = 0; r < P; r++)
      for (unsigned q = 0; q < P; q++) {
        dedup_free(g1[r][q]);
        dedup_free(g2[r][q]);
        dedup_free(g3[r][q]);
      }
  }
  for (unsigned r = 0; r < P; r++)
    dedup_corpus_free(sh[r]);
  assert_int_equal(dedup_corpus_run_links(all, lk, ll, nl, &o), DEDUP_OK);
  for (size_t i = 0; i < nl; i++)
    dedup_free(links[i]);
  char *s = snapshot(all);
  *invalid = invalid_counts(all);
  dedup_corpus_free(all);
  return s;
}


/* One process counting in parts: each part pruned, then added. */
static char *one_in_parts(const dedup_params *p, unsigned levels,
                          unsigned parts) {
  dedup_run_options o = opts(levels, 2);
  dedup_corpus *c, *all;
  dedup_stats *st;
  assert_int_equal(dedup_corpus_new(&c, p), DEDUP_OK);
  assert_int_equal(dedup_stats_new(&st), DEDUP_OK);
  for (size_t i = 0; i < n_docs; i++)
    add_to(c, &docs[i]);
  assert_int_equal(dedup_corpus_count_lines(c, st, &o), DEDUP_OK);
  assert_int_equal(dedup_stats_prune(st), DEDUP_OK);
  for (unsigned k = 0; k < parts; k++) {
    dedup_stats *runs;
    assert_int_equal(dedup_stats_new(&runs), DEDUP_OK);
    assert_int_equal(dedup_corpus_count_runs(c, runs, k, parts, &o),
                     DEDUP_OK);
    assert_int_equal(dedup_stats_prune(runs), DEDUP_OK);
    assert_int_equal(dedup_stats_add(st, runs), DEDUP_OK);
    dedup_stats_free(runs);
  }
  assert_int_equal(dedup_stats_add(st, st), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_sign(c, st, &o), DEDUP_OK);
  void *rec;
  size_t rlen;
  assert_int_equal(dedup_corpus_records_encode(c, &rec, &rlen), DEDUP_OK);
  assert_int_equal(dedup_corpus_new(&all, p), DEDUP_OK);
  assert_int_equal(dedup_corpus_records_add(all, rec, rlen), DEDUP_OK);
  dedup_free(rec);
  assert_int_equal(dedup_corpus_run_records(all, &o), DEDUP_OK);
  char *s = snapshot(all);
  dedup_corpus_free(all);
  dedup_corpus_free(c);
  dedup_stats_free(st);
  return s;
}

static void same_as_batch(const dedup_params *p, unsigned levels) {
  char *inv_b, *inv_s;
  char *want = batch(p, levels, &inv_b);
  /* A test that cannot fail would compare nothing: the corpus has
   * copies and stories. */
  assert_non_null(strstr(want, "link "));
  for (unsigned P = 1; P <= 5; P += (P == 3 ? 2 : 1)) {
    for (unsigned parts = 0; parts <= 3; parts += 3) {
      char *got = sharded(p, levels, P, parts, &inv_s);
      assert_string_equal(got, want);
      assert_string_equal(inv_s, inv_b);
      free(got);
      free(inv_s);
    }
  }
  char *one = one_in_parts(p, levels, 2);
  assert_string_equal(one, want);
  free(one);
  /* Pass 4 spread over the shards: the copy level, and with it the story
   * level. */
  for (unsigned P = 1; P <= 5; P += (P == 3 ? 2 : 1)) {
    char *got = spread_run(p, P, P % 2 ? 0 : 3, &inv_s,
                           (levels & DEDUP_RUN_STORY) != 0);
    assert_string_equal(got, want);
    assert_string_equal(inv_s, inv_b);
    free(got);
    free(inv_s);
  }
  assert_non_null(strchr(inv_b, ';')); /* the invalid bytes were seen */
  free(want);
  free(inv_b);
}

static void shards_default(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  same_as_batch(&p, DEDUP_RUN_COPY | DEDUP_RUN_STORY);
}

static void shards_copy_level(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  same_as_batch(&p, DEDUP_RUN_COPY);
}

static void shards_split_embedded(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.flags = DEDUP_F_SPLIT_EMBEDDED;
  p.seed = 7;
  same_as_batch(&p, DEDUP_RUN_COPY | DEDUP_RUN_STORY);
}

static void shards_simhash(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.method = DEDUP_METHOD_SIMHASH;
  same_as_batch(&p, DEDUP_RUN_COPY | DEDUP_RUN_STORY);
}

/* Pass 4 spread over the shards, at the copy level with each method and
 * with embedded articles split (items that are no documents). */
static void shards_spread_params(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.method = DEDUP_METHOD_SIMHASH;
  same_as_batch(&p, DEDUP_RUN_COPY);
  p = (dedup_params)DEDUP_PARAMS_INIT;
  p.flags = DEDUP_F_SPLIT_EMBEDDED;
  p.threshold = 0.7;
  same_as_batch(&p, DEDUP_RUN_COPY);
}

/* The exchange matters: a shard that cleans with its own counts only
 * misses chrome the others share, and its records differ. */
static void shards_exchange_matters(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  dedup_run_options o = opts(DEDUP_RUN_COPY | DEDUP_RUN_STORY, 1);
  void *rec[2];
  size_t len[2];
  for (int k = 0; k < 2; k++) {
    dedup_corpus *all, *one;
    dedup_stats *st;
    assert_int_equal(dedup_corpus_new(&all, &p), DEDUP_OK);
    assert_int_equal(dedup_corpus_new(&one, &p), DEDUP_OK);
    assert_int_equal(dedup_stats_new(&st), DEDUP_OK);
    for (size_t i = 0; i < n_docs; i++) {
      add_to(all, &docs[i]);
      if (shard_of(docs[i].name, 3) == 0)
        add_to(one, &docs[i]);
    }
    /* k 0: the whole corpus' table; k 1: the shard's own */
    assert_int_equal(dedup_corpus_count(k ? one : all, st, &o), DEDUP_OK);
    assert_int_equal(dedup_corpus_sign(one, st, &o), DEDUP_OK);
    assert_int_equal(dedup_corpus_records_encode(one, &rec[k], &len[k]),
                     DEDUP_OK);
    dedup_stats_free(st);
    dedup_corpus_free(all);
    dedup_corpus_free(one);
  }
  assert_false(len[0] == len[1] && !memcmp(rec[0], rec[1], len[0]));
  dedup_free(rec[0]);
  dedup_free(rec[1]);
}

/* Damaged bytes are refused whole, and so are calls out of order. */
static void shards_refusals(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  dedup_run_options o = opts(DEDUP_RUN_COPY | DEDUP_RUN_STORY, 1);
  dedup_corpus *c, *r;
  dedup_stats *st, *st2;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  assert_int_equal(dedup_stats_new(&st), DEDUP_OK);
  assert_int_equal(dedup_stats_new(&st2), DEDUP_OK);
  for (size_t i = 0; i < 12; i++)
    add_to(c, &docs[i]);
  void *buf;
  size_t len;
  assert_int_equal(dedup_corpus_records_encode(c, &buf, &len), DEDUP_ESTATE);
  assert_null(buf);
  assert_int_equal(dedup_corpus_count_runs(c, st, 3, 3, &o), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_count_parts(c), 1); /* < 256 MB of text */
  assert_int_equal(dedup_corpus_count(c, st, &o), DEDUP_OK);
  assert_int_equal(dedup_stats_encode(st, 2, 2, &buf, &len), DEDUP_EINVAL);
  assert_int_equal(dedup_stats_encode(st, 0, 0, &buf, &len), DEDUP_EINVAL);
  assert_int_equal(dedup_stats_encode(st, 1, 3, &buf, &len), DEDUP_OK);
  unsigned char *b = buf;
  for (size_t i = 0; i < len; i++) { /* every byte flipped */
    b[i] ^= 0x20;
    int rc = dedup_stats_add_encoded(st2, b, len);
    assert_true(rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION);
    b[i] ^= 0x20;
  }
  for (size_t k = 0; k < len; k += 1 + k / 8) /* truncated */
    assert_int_equal(dedup_stats_add_encoded(st2, b, k), DEDUP_EFORMAT);
  assert_int_equal(dedup_stats_add_encoded(st2, b, len), DEDUP_OK);
  dedup_free(buf);

  assert_int_equal(dedup_corpus_sign(c, st, &o), DEDUP_OK);
  assert_int_equal(dedup_corpus_records_encode(c, &buf, &len), DEDUP_OK);
  b = buf;
  assert_int_equal(dedup_corpus_new(&r, &p), DEDUP_OK);
  for (size_t i = 0; i < len; i += 1 + i / 64) {
    b[i] ^= 0x01;
    int rc = dedup_corpus_records_add(r, b, len);
    assert_true(rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION);
    b[i] ^= 0x01;
  }
  for (size_t k = 0; k < len; k += 1 + k / 8)
    assert_int_equal(dedup_corpus_records_add(r, b, k), DEDUP_EFORMAT);
  assert_int_equal(dedup_corpus_doc_count(r), 0);
  /* Other params, or a corpus of texts: refused. */
  dedup_params q = p;
  q.seed = 99;
  dedup_corpus *other;
  assert_int_equal(dedup_corpus_new(&other, &q), DEDUP_OK);
  assert_int_equal(dedup_corpus_records_add(other, buf, len), DEDUP_EINVAL);
  dedup_corpus_free(other);
  assert_int_equal(dedup_corpus_records_add(c, buf, len), DEDUP_ESTATE);
  /* A corpus of records runs once, and has no texts. */
  assert_int_equal(dedup_corpus_run_records(r, &o), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_records_add(r, buf, len), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(r, "x", "some words", 10, NULL),
                   DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_run(r), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_run_records(r, &o), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_count(r), 12);
  char *text;
  size_t tl;
  assert_int_equal(dedup_corpus_item_text(&text, &tl, r, 0), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_run_records(r, &o), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_records_add(r, buf, len), DEDUP_ESTATE);
  /* Copy-level records cannot make stories. */
  dedup_run_options oc = opts(DEDUP_RUN_COPY, 1);
  assert_int_equal(dedup_corpus_sign(c, st, &oc), DEDUP_OK);
  dedup_free(buf);
  assert_int_equal(dedup_corpus_records_encode(c, &buf, &len), DEDUP_OK);
  dedup_corpus *r2;
  assert_int_equal(dedup_corpus_new(&r2, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_records_add(r2, buf, len), DEDUP_OK);
  assert_int_equal(dedup_corpus_run_records(r2, &o), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_run_records(r2, &oc), DEDUP_OK);
  dedup_corpus_free(r2);
  dedup_free(buf);
  dedup_corpus_free(r);
  dedup_corpus_free(c);
  dedup_stats_free(st);
  dedup_stats_free(st2);
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p) {
  return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

/* A spread buffer's checksum made right after an edit: what a damaged
 * buffer whose checksum still holds looks like. */
static void reseal(unsigned char *p, size_t len) {
  put64(p + len - 8, dedup_hash_bytes(p, len - 8, 0));
}

/* Every byte of a spread buffer flipped, and every truncation: refused by
 * call (a buffer for shard 0 of two, from shard `from`). */
typedef int (*spread_call)(void *ctx, const void *const *bufs,
                           const size_t *lens);

static void flips_refused(spread_call call, void *ctx, void *buf, size_t len,
                          const void *other, size_t other_len,
                          unsigned from) {
  const void *bufs[2];
  size_t lens[2];
  bufs[from] = buf;
  lens[from] = len;
  bufs[1 - from] = other;
  lens[1 - from] = other_len;
  unsigned char *b = buf;
  for (size_t i = 0; i < len; i += 1 + i / 32) {
    b[i] ^= 0x10;
    int rc = call(ctx, bufs, lens);
    assert_true(rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION ||
                rc == DEDUP_EINVAL);
    b[i] ^= 0x10;
  }
  for (size_t k = 0; k < len; k += 1 + k / 8) {
    lens[from] = k;
    assert_int_equal(call(ctx, bufs, lens), DEDUP_EFORMAT);
  }
}

static int call_pairs(void *ctx, const void *const *bufs,
                      const size_t *lens) {
  (void)ctx;
  void *out[2];
  size_t ol[2];
  int rc = dedup_spread_pairs(bufs, lens, 2, out, ol);
  assert_null(out[0]); /* nothing returned on failure */
  return rc;
}

static int call_probes(void *ctx, const void *const *bufs,
                       const size_t *lens) {
  void *out[2];
  size_t ol[2];
  int rc = dedup_corpus_probes(ctx, bufs, lens, 2, out, ol);
  assert_null(out[0]);
  return rc;
}

static int call_verify(void *ctx, const void *const *bufs,
                       const size_t *lens) {
  void *out;
  size_t ol;
  int rc = dedup_corpus_verify(ctx, bufs, lens, 2, &out, &ol);
  assert_null(out);
  return rc;
}

static int call_ids(void *ctx, const void *const *bufs, const size_t *lens) {
  return dedup_corpus_ids_set(ctx, bufs[0], lens[0]);
}

/* Pass 4 spread: calls out of order, damaged bytes and links that do not
 * fit are refused, changing nothing: the run that follows is the
 * batch's. */
static void shards_spread_refusals(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  dedup_run_options o = opts(DEDUP_RUN_COPY, 1);
  dedup_corpus *sh[2], *all, *rec;
  signed_shards(sh, &p, &o, 2, 0);
  /* Without texts a shard goes on with the passes, and refuses what
   * needs them. */
  dedup_corpus *unsigned_c;
  assert_int_equal(dedup_corpus_new(&unsigned_c, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_drop_texts(unsigned_c), DEDUP_ESTATE);
  dedup_corpus_free(unsigned_c);
  assert_int_equal(dedup_corpus_drop_texts(sh[1]), DEDUP_OK);
  assert_int_equal(dedup_corpus_drop_texts(sh[1]), DEDUP_OK);
  {
    char *tx;
    size_t txl;
    dedup_stats *st;
    assert_int_equal(dedup_corpus_item_text(&tx, &txl, sh[1], 0),
                     DEDUP_ESTATE);
    assert_int_equal(dedup_corpus_add(sh[1], "z", "more words", 10, NULL),
                     DEDUP_ESTATE);
    assert_int_equal(dedup_stats_new(&st), DEDUP_OK);
    assert_int_equal(dedup_corpus_count(sh[1], st, &o), DEDUP_ESTATE);
    assert_int_equal(dedup_corpus_sign(sh[1], st, &o), DEDUP_ESTATE);
    dedup_stats_free(st);
  }
  assert_int_equal(dedup_corpus_new(&all, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_new(&rec, &p), DEDUP_OK);
  void *b, *keys[2][2], *pairs[2][2], *probes[2][2], *links[4];
  size_t bl, kl[2][2], pl[2][2], ql[2][2], ll[4];
  const void *col[2];
  size_t cl[2];
  /* No ids yet. */
  assert_int_equal(dedup_corpus_keys_encode(sh[0], DEDUP_SPREAD_CROWDS, 2,
                                            keys[0], kl[0]),
                   DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_ids_encode(all, 0, &b, &bl), DEDUP_ESTATE);
  for (int r = 0; r < 2; r++) {
    assert_int_equal(dedup_corpus_heads_encode(sh[r], &b, &bl), DEDUP_OK);
    assert_int_equal(dedup_corpus_records_add(all, b, bl), DEDUP_OK);
    dedup_free(b);
  }
  /* Heads and records do not mix; heads do not run as records. */
  assert_int_equal(dedup_corpus_records_encode(sh[0], &b, &bl), DEDUP_OK);
  assert_int_equal(dedup_corpus_records_add(all, b, bl), DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_records_add(rec, b, bl), DEDUP_OK);
  dedup_free(b);
  assert_int_equal(dedup_corpus_ids_encode(rec, 0, &b, &bl), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_run_links(rec, NULL, NULL, 0, &o),
                   DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_run_records(all, &o), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_ids_encode(all, 2, &b, &bl), DEDUP_EINVAL);
  void *ids[2];
  size_t il[2];
  for (int r = 0; r < 2; r++)
    assert_int_equal(dedup_corpus_ids_encode(all, (size_t)r, &ids[r], &il[r]),
                     DEDUP_OK);
  assert_int_equal(dedup_corpus_heads_encode(sh[0], &b, &bl), DEDUP_OK);
  assert_int_equal(dedup_corpus_records_add(all, b, bl), DEDUP_ESTATE);
  dedup_free(b);
  /* Another shard's ids, and damaged ones. */
  if (il[0] != il[1])
    assert_int_equal(dedup_corpus_ids_set(sh[0], ids[1], il[1]),
                     DEDUP_EFORMAT);
  flips_refused(call_ids, sh[0], ids[0], il[0], NULL, 0, 0);
  for (int r = 0; r < 2; r++) {
    assert_int_equal(dedup_corpus_ids_set(sh[r], ids[r], il[r]), DEDUP_OK);
    dedup_free(ids[r]);
  }
  assert_int_equal(dedup_corpus_keys_encode(sh[0], DEDUP_SPREAD_BANDS, 2,
                                            keys[0], kl[0]),
                   DEDUP_ESTATE); /* crowds first */
  assert_int_equal(dedup_corpus_keys_encode(sh[0], DEDUP_SPREAD_CROWDS, 3,
                                            keys[0], kl[0]),
                   DEDUP_EINVAL);
  size_t nl = 0;
  for (int stage = DEDUP_SPREAD_CROWDS; stage <= DEDUP_SPREAD_BANDS;
       stage++) {
    for (int r = 0; r < 2; r++)
      assert_int_equal(dedup_corpus_keys_encode(sh[r],
                                                (dedup_spread_stage)stage, 2,
                                                keys[r], kl[r]),
                       DEDUP_OK);
    flips_refused(call_pairs, NULL, keys[1][0], kl[1][0], keys[0][0],
                  kl[0][0], 1);
    for (int q = 0; q < 2; q++) {
      col[0] = keys[0][q];
      col[1] = keys[1][q];
      cl[0] = kl[0][q];
      cl[1] = kl[1][q];
      if (q == 0) { /* shards swapped: not from shard s */
        const void *sw[2] = {col[1], col[0]};
        size_t swl[2] = {cl[1], cl[0]};
        assert_int_equal(call_pairs(NULL, sw, swl), DEDUP_EINVAL);
      }
      assert_int_equal(dedup_spread_pairs(col, cl, 2, pairs[q], pl[q]),
                       DEDUP_OK);
    }
    flips_refused(call_probes, sh[0], pairs[1][0], pl[1][0], pairs[0][0],
                  pl[0][0], 1);
    for (int r = 0; r < 2; r++) {
      col[0] = pairs[0][r];
      col[1] = pairs[1][r];
      cl[0] = pl[0][r];
      cl[1] = pl[1][r];
      if (r == 1) /* shard 0's pairs are not shard 1's */
        assert_int_equal(call_probes(sh[1], (const void *const[]){pairs[0][0], pairs[1][0]},
                                     (const size_t[]){pl[0][0], pl[1][0]}),
                         DEDUP_EINVAL);
      assert_int_equal(dedup_corpus_probes(sh[r], col, cl, 2, probes[r],
                                           ql[r]),
                       DEDUP_OK);
    }
    flips_refused(call_verify, sh[0], probes[1][0], ql[1][0], probes[0][0],
                  ql[0][0], 1);
    for (int r = 0; r < 2; r++) {
      col[0] = probes[0][r];
      col[1] = probes[1][r];
      cl[0] = ql[0][r];
      cl[1] = ql[1][r];
      assert_int_equal(dedup_corpus_verify(sh[r], col, cl, 2, &links[nl],
                                           &ll[nl]),
                       DEDUP_OK);
      nl++;
      /* A stage verified once. */
      assert_int_equal(call_verify(sh[r], col, cl), DEDUP_ESTATE);
    }
    for (int r = 0; r < 2; r++)
      for (int q = 0; q < 2; q++) {
        dedup_free(keys[r][q]);
        dedup_free(pairs[r][q]);
        dedup_free(probes[r][q]);
      }
  }
  /* The links: with the story level, twice, damaged: refused. */
  dedup_run_options os = opts(DEDUP_RUN_COPY | DEDUP_RUN_STORY, 1);
  const void *const *lk = (const void *const *)links;
  assert_int_equal(dedup_corpus_run_links(all, lk, ll, nl, &os),
                   DEDUP_EINVAL);
  size_t most = 0;
  for (size_t i = 1; i < nl; i++)
    if (ll[i] > ll[most])
      most = i;
  assert_true(ll[most] > 60); /* it holds links */
  const void *twice[2] = {links[most], links[most]};
  size_t twice_len[2] = {ll[most], ll[most]};
  assert_int_equal(dedup_corpus_run_links(all, twice, twice_len, 2, &o),
                   DEDUP_EFORMAT);
  unsigned char *lb = links[most];
  for (size_t i = 0; i < ll[most]; i += 1 + i / 16) {
    lb[i] ^= 0x04;
    int rc = dedup_corpus_run_links(all, lk, ll, nl, &o);
    assert_true(rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION ||
                rc == DEDUP_EINVAL);
    lb[i] ^= 0x04;
  }
  assert_int_equal(dedup_corpus_run_links(all, lk, ll, nl, &o), DEDUP_OK);
  assert_int_equal(dedup_corpus_run_links(all, lk, ll, nl, &o),
                   DEDUP_ESTATE);
  char *inv, *want = batch(&p, DEDUP_RUN_COPY, &inv), *got = snapshot(all);
  assert_string_equal(got, want);
  free(inv);
  free(want);
  free(got);
  for (size_t i = 0; i < nl; i++)
    dedup_free(links[i]);
  dedup_corpus_free(all);
  dedup_corpus_free(rec);
  dedup_corpus_free(sh[0]);
  dedup_corpus_free(sh[1]);
}

static int call_reps(void *ctx, const void *const *bufs, const size_t *lens) {
  return dedup_corpus_reps_set(ctx, bufs[0], lens[0]);
}

static int call_terms(void *ctx, const void *const *bufs,
                      const size_t *lens) {
  (void)ctx;
  void *out[2] = {NULL, NULL};
  size_t ol[2];
  int rc = dedup_spread_terms_answer(bufs, lens, 2, out, ol);
  assert_null(out[0]);
  return rc;
}

static int call_weigh(void *ctx, const void *const *bufs,
                      const size_t *lens) {
  return dedup_corpus_weigh(ctx, bufs, lens, 2);
}

static int call_runs(void *ctx, const void *const *bufs, const size_t *lens) {
  (void)ctx;
  void *out[2] = {NULL, NULL};
  size_t ol[2];
  int rc = dedup_spread_runs(bufs, lens, 2, out, ol);
  assert_null(out[0]);
  return rc;
}

static int call_vectors(void *ctx, const void *const *bufs,
                        const size_t *lens) {
  void *out[2] = {NULL, NULL};
  size_t ol[2];
  int rc = dedup_corpus_vectors_encode(ctx, bufs, lens, 2, out, ol);
  assert_null(out[0]);
  return rc;
}

static int call_score(void *ctx, const void *const *bufs,
                      const size_t *lens) {
  void *out = NULL;
  size_t ol;
  int rc = dedup_corpus_score(ctx, bufs, lens, 2, &out, &ol);
  assert_null(out);
  return rc;
}

/* Column q of a 2 x 2 grid. */
#define COL2(g, l, q)                                                          \
  const void *col[2] = {g[0][q], g[1][q]};                                     \
  size_t cl[2] = {l[0][q], l[1][q]}

/* The story level spread: calls out of order and damaged bytes are
 * refused at every step, changing nothing: the run that follows is the
 * batch's. */
static void shards_spread_story_refusals(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  dedup_run_options o = opts(DEDUP_RUN_COPY | DEDUP_RUN_STORY, 1);
  dedup_run_options oc = opts(DEDUP_RUN_COPY, 1);
  dedup_corpus *sh[2], *all;
  signed_shards(sh, &p, &o, 2, 0);
  assert_int_equal(dedup_corpus_new(&all, &p), DEDUP_OK);
  void *b, *links[4], *g1[2][2], *g2[2][2], *g3[2][2];
  size_t bl, ll[4], l1[2][2], l2[2][2], l3[2][2];
  for (int r = 0; r < 2; r++) {
    assert_int_equal(dedup_corpus_heads_encode(sh[r], &b, &bl), DEDUP_OK);
    assert_int_equal(dedup_corpus_records_add(all, b, bl), DEDUP_OK);
    dedup_free(b);
  }
  for (int r = 0; r < 2; r++) {
    assert_int_equal(dedup_corpus_ids_encode(all, (size_t)r, &b, &bl),
                     DEDUP_OK);
    assert_int_equal(dedup_corpus_ids_set(sh[r], b, bl), DEDUP_OK);
    dedup_free(b);
  }
  assert_int_equal(dedup_corpus_reps_encode(all, 0, &b, &bl), DEDUP_ESTATE);
  size_t nl = 0;
  for (int stage = DEDUP_SPREAD_CROWDS; stage <= DEDUP_SPREAD_BANDS;
       stage++) {
    for (int r = 0; r < 2; r++)
      assert_int_equal(dedup_corpus_keys_encode(sh[r],
                                                (dedup_spread_stage)stage, 2,
                                                g1[r], l1[r]),
                       DEDUP_OK);
    for (int q = 0; q < 2; q++) {
      COL2(g1, l1, q);
      assert_int_equal(dedup_spread_pairs(col, cl, 2, g2[q], l2[q]),
                       DEDUP_OK);
    }
    for (int r = 0; r < 2; r++) {
      COL2(g2, l2, r);
      assert_int_equal(dedup_corpus_probes(sh[r], col, cl, 2, g3[r], l3[r]),
                       DEDUP_OK);
    }
    for (int r = 0; r < 2; r++, nl++) {
      COL2(g3, l3, r);
      assert_int_equal(dedup_corpus_verify(sh[r], col, cl, 2, &links[nl],
                                           &ll[nl]),
                       DEDUP_OK);
    }
    for (int r = 0; r < 2; r++)
      for (int q = 0; q < 2; q++) {
        dedup_free(g1[r][q]);
        dedup_free(g2[r][q]);
        dedup_free(g3[r][q]);
      }
  }
  const void *const *lk = (const void *const *)links;
  assert_int_equal(dedup_corpus_terms_encode(sh[0], 2, g1[0], l1[0]),
                   DEDUP_ESTATE); /* no representatives yet */
  assert_int_equal(dedup_corpus_groups_set(all, lk, ll, nl), DEDUP_OK);
  assert_int_equal(dedup_corpus_groups_set(all, lk, ll, nl), DEDUP_ESTATE);
  assert_int_equal(dedup_corpus_run_links(all, NULL, NULL, 0, &oc),
                   DEDUP_EINVAL); /* groups set: the story level's edges */
  for (size_t i = 0; i < nl; i++)
    dedup_free(links[i]);
  void *reps[2];
  size_t rl[2];
  for (int r = 0; r < 2; r++)
    assert_int_equal(dedup_corpus_reps_encode(all, (size_t)r, &reps[r],
                                              &rl[r]),
                     DEDUP_OK);
  flips_refused(call_reps, sh[0], reps[0], rl[0], NULL, 0, 0);
  if (rl[0] != rl[1]) /* another shard's */
    assert_int_equal(dedup_corpus_reps_set(sh[0], reps[1], rl[1]),
                     DEDUP_EINVAL);
  /* A group shard 0 represents and one it does not (for the crafted runs
   * below; layout in doc/shards.md). */
  uint32_t own_g = UINT32_MAX, other_g = UINT32_MAX;
  {
    const unsigned char *e0 = (const unsigned char *)reps[0] + 52 + 8;
    const unsigned char *e1 = (const unsigned char *)reps[1] + 52 + 8;
    for (size_t i = 0; (i + 1) * 16 + 68 <= rl[0] && own_g == UINT32_MAX; i++)
      own_g = get32(e0 + 16 * i);
    for (size_t i = 0; (i + 1) * 16 + 68 <= rl[1] && other_g == UINT32_MAX;
         i++)
      other_g = get32(e1 + 16 * i);
  }
  assert_true(own_g != UINT32_MAX && other_g != UINT32_MAX);
  for (int r = 0; r < 2; r++) {
    assert_int_equal(dedup_corpus_reps_set(sh[r], reps[r], rl[r]), DEDUP_OK);
    dedup_free(reps[r]);
  }
  for (int r = 0; r < 2; r++)
    assert_int_equal(dedup_corpus_terms_encode(sh[r], 2, g1[r], l1[r]),
                     DEDUP_OK);
  flips_refused(call_terms, NULL, g1[1][0], l1[1][0], g1[0][0], l1[0][0], 1);
  for (int q = 0; q < 2; q++) {
    COL2(g1, l1, q);
    assert_int_equal(dedup_spread_terms_answer(col, cl, 2, g2[q], l2[q]),
                     DEDUP_OK);
  }
  flips_refused(call_weigh, sh[0], g2[1][0], l2[1][0], g2[0][0], l2[0][0], 1);
  assert_int_equal(dedup_corpus_samples_encode(sh[0], 2, g3[0], l3[0]),
                   DEDUP_ESTATE); /* not weighed */
  for (int r = 0; r < 2; r++) {
    COL2(g2, l2, r);
    assert_int_equal(dedup_corpus_weigh(sh[r], col, cl, 2), DEDUP_OK);
    assert_int_equal(dedup_corpus_weigh(sh[r], col, cl, 2), DEDUP_ESTATE);
  }
  for (int r = 0; r < 2; r++)
    for (int q = 0; q < 2; q++) {
      dedup_free(g1[r][q]);
      dedup_free(g2[r][q]);
    }
  for (int r = 0; r < 2; r++)
    assert_int_equal(dedup_corpus_samples_encode(sh[r], 2, g1[r], l1[r]),
                     DEDUP_OK);
  flips_refused(call_runs, NULL, g1[1][0], l1[1][0], g1[0][0], l1[0][0], 1);
  /* An entry count that wraps the length check: refused (review). */
  {
    unsigned char *x = g1[1][0];
    put64(x + 44, get64(x + 44) + ((uint64_t)1 << 61));
    reseal(x, l1[1][0]);
    assert_int_equal(call_runs(NULL, (const void *const[]){g1[0][0], x},
                               (const size_t[]){l1[0][0], l1[1][0]}),
                     DEDUP_EFORMAT);
    put64(x + 44, get64(x + 44) - ((uint64_t)1 << 61));
    reseal(x, l1[1][0]);
  }
  unsigned k = get32((const unsigned char *)g1[0][0] + 32);
  for (int q = 0; q < 2; q++) {
    COL2(g1, l1, q);
    assert_int_equal(dedup_spread_runs(col, cl, 2, g2[q], l2[q]), DEDUP_OK);
  }
  flips_refused(call_vectors, sh[0], g2[1][0], l2[1][0], g2[0][0], l2[0][0],
                1);
  /* A representative in more runs than there are bands (a right checksum
   * on wrong runs): refused, never more than 64 candidates (review). */
  {
    size_t blen = 52 + (size_t)(k + 1) * 20 + 8;
    unsigned char *x = malloc(blen);
    assert_non_null(x);
    memcpy(x, g2[0][0], 52);
    put64(x + 44, k + 1);
    uint32_t lo = own_g < other_g ? own_g : other_g;
    uint32_t hi = own_g < other_g ? other_g : own_g;
    for (unsigned band = 0; band <= k; band++) {
      unsigned char *w = x + 52 + 20 * (size_t)band;
      put32(w, 2);
      put32(w + 4, lo);
      put32(w + 8, lo == own_g ? 0 : 1);
      put32(w + 12, hi);
      put32(w + 16, hi == own_g ? 0 : 1);
    }
    reseal(x, blen);
    assert_int_equal(call_vectors(sh[0], (const void *const[]){x, g2[1][0]},
                                  (const size_t[]){blen, l2[1][0]}),
                     DEDUP_EFORMAT);
    free(x);
  }
  for (int r = 0; r < 2; r++) {
    COL2(g2, l2, r);
    assert_int_equal(dedup_corpus_vectors_encode(sh[r], col, cl, 2, g3[r],
                                                 l3[r]),
                     DEDUP_OK);
  }
  flips_refused(call_score, sh[0], g3[1][0], l3[1][0], g3[0][0], l3[0][0], 1);
  void *edges[2];
  size_t el[2];
  for (int r = 0; r < 2; r++) {
    COL2(g3, l3, r);
    assert_int_equal(dedup_corpus_score(sh[r], col, cl, 2, &edges[r],
                                        &el[r]),
                     DEDUP_OK);
    assert_int_equal(call_score(sh[r], col, cl), DEDUP_ESTATE);
  }
  for (int r = 0; r < 2; r++)
    for (int q = 0; q < 2; q++) {
      dedup_free(g1[r][q]);
      dedup_free(g2[r][q]);
      dedup_free(g3[r][q]);
    }
  /* The edges: damaged, refused; then the batch's clusters. */
  size_t most = el[0] > el[1] ? 0 : 1;
  assert_true(el[most] > 60);
  const void *const *ek = (const void *const *)edges;
  unsigned char *eb = edges[most];
  for (size_t i = 0; i < el[most]; i += 1 + i / 16) {
    eb[i] ^= 0x04;
    int rc = dedup_corpus_run_links(all, ek, el, 2, &o);
    assert_true(rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION ||
                rc == DEDUP_EINVAL);
    eb[i] ^= 0x04;
  }
  assert_int_equal(dedup_corpus_run_links(all, ek, el, 2, &o), DEDUP_OK);
  char *inv, *want = batch(&p, DEDUP_RUN_COPY | DEDUP_RUN_STORY, &inv);
  char *got = snapshot(all);
  assert_string_equal(got, want);
  free(inv);
  free(want);
  free(got);
  dedup_free(edges[0]);
  dedup_free(edges[1]);
  dedup_corpus_free(all);
  dedup_corpus_free(sh[0]);
  dedup_corpus_free(sh[1]);
}

/* Names are any string dedup_corpus_add takes, "" too, and the records
 * carry them: the same clusters as the batch. */
static void shards_odd_documents(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  dedup_run_options o = opts(DEDUP_RUN_COPY | DEDUP_RUN_STORY, 1);
  dedup_corpus *c, *r, *b;
  dedup_stats *st;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_new(&b, &p), DEDUP_OK);
  assert_int_equal(dedup_stats_new(&st), DEDUP_OK);
  const char *names[] = {"", "\xc3\xa9t\xc3\xa9", docs[0].name, "x"};
  const char *texts[] = {docs[0].text, docs[1].text, docs[0].text,
                         "A short note."};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(dedup_corpus_add(c, names[i], texts[i],
                                      strlen(texts[i]), NULL),
                     DEDUP_OK);
    assert_int_equal(dedup_corpus_add(b, names[i], texts[i],
                                      strlen(texts[i]), NULL),
                     DEDUP_OK);
  }
  assert_int_equal(dedup_corpus_count(c, st, &o), DEDUP_OK);
  assert_int_equal(dedup_corpus_sign(c, st, &o), DEDUP_OK);
  void *buf;
  size_t len;
  assert_int_equal(dedup_corpus_records_encode(c, &buf, &len), DEDUP_OK);
  assert_int_equal(dedup_corpus_new(&r, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_records_add(r, buf, len), DEDUP_OK);
  assert_int_equal(dedup_corpus_run_records(r, &o), DEDUP_OK);
  assert_int_equal(dedup_corpus_run_with(b, &o), DEDUP_OK);
  char *want = snapshot(b), *got = snapshot(r);
  assert_string_equal(got, want);
  assert_int_equal(dedup_corpus_item_count(r), 4);
  assert_string_equal(dedup_corpus_item_name(r, 0), "");
  free(want);
  free(got);
  dedup_free(buf);
  dedup_corpus_free(r);
  dedup_corpus_free(b);
  dedup_corpus_free(c);
  dedup_stats_free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shards_default),
      cmocka_unit_test(shards_copy_level),
      cmocka_unit_test(shards_split_embedded),
      cmocka_unit_test(shards_simhash),
      cmocka_unit_test(shards_spread_params),
      cmocka_unit_test(shards_exchange_matters),
      cmocka_unit_test(shards_refusals),
      cmocka_unit_test(shards_spread_refusals),
      cmocka_unit_test(shards_spread_story_refusals),
      cmocka_unit_test(shards_odd_documents),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
