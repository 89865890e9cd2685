/* fuzz_shards.c - the shardable passes' decoders (lib/corpus/shard_*.c)
 * on arbitrary bytes.
 *
 * The first byte chooses (mod 3): a statistics table; a shard's records
 * or heads; a buffer of pass 4 spread over the shards (ids, keys, pairs,
 * probes, links: each decoder is given it, against a small signed shard
 * and its heads).  The rest is decoded twice: as it is (almost always
 * refused by its checksum), and with the checksum made right, so the
 * fuzzer reaches the checks behind it.  A table that is taken must encode
 * again and answer; records that are taken must run and give every item
 * a cluster. */
#include "fuzz.h"
#include "common/hash.h"
#include "dedup.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void try_stats(const uint8_t *p, size_t len) {
  dedup_stats *st;
  CHECK(dedup_stats_new(&st) == DEDUP_OK);
  int rc = dedup_stats_add_encoded(st, p, len);
  CHECK(rc == DEDUP_OK || rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION ||
        rc == DEDUP_ENOMEM);
  if (rc == DEDUP_OK) {
    void *a;
    size_t an;
    int ra = dedup_stats_answer(st, p, len, &a, &an);
    CHECK(ra == DEDUP_OK || ra == DEDUP_ENOMEM);
    if (ra == DEDUP_OK) {
      dedup_stats *back;
      CHECK(dedup_stats_new(&back) == DEDUP_OK);
      CHECK(dedup_stats_add_encoded(back, a, an) == DEDUP_OK);
      dedup_stats_free(back);
      dedup_free(a);
    }
    for (unsigned parts = 1; parts <= 3; parts++) {
      void *e;
      size_t en;
      int re = dedup_stats_encode(st, parts - 1, parts, &e, &en);
      CHECK(re == DEDUP_OK || re == DEDUP_ENOMEM);
      dedup_free(e);
    }
  }
  dedup_stats_free(st);
}

static void try_records(const uint8_t *p, size_t len) {
  dedup_corpus *c;
  CHECK(dedup_corpus_new(&c, NULL) == DEDUP_OK);
  int rc = dedup_corpus_records_add(c, p, len);
  CHECK(rc == DEDUP_OK || rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION ||
        rc == DEDUP_EINVAL || rc == DEDUP_ETOOBIG || rc == DEDUP_ENOMEM);
  CHECK(rc == DEDUP_OK || dedup_corpus_doc_count(c) == 0);
  /* Large corpora on every input are slow, not interesting. */
  if (rc == DEDUP_OK && dedup_corpus_doc_count(c) <= 256) {
    dedup_run_options o;
    CHECK(dedup_run_options_init(&o, DEDUP_RUN_OPTIONS_VERSION) == DEDUP_OK);
    o.threads = 1;
    int rs = dedup_corpus_run_records(c, &o);
    if (rs == DEDUP_ESTATE) { /* heads: they run with links */
      o.levels = DEDUP_RUN_COPY;
      rs = dedup_corpus_run_links(c, NULL, NULL, 0, &o);
    }
    if (rs == DEDUP_EINVAL) { /* copy-level records */
      o.levels = DEDUP_RUN_COPY;
      dedup_corpus_free(c);
      CHECK(dedup_corpus_new(&c, NULL) == DEDUP_OK);
      CHECK(dedup_corpus_records_add(c, p, len) == DEDUP_OK);
      rs = dedup_corpus_run_records(c, &o);
    }
    CHECK(rs == DEDUP_OK || rs == DEDUP_ENOMEM || rs == DEDUP_ETOOBIG);
    if (rs == DEDUP_OK) {
      size_t n = dedup_corpus_item_count(c);
      for (size_t i = 0; i < n; i++) {
        CHECK(dedup_corpus_item_name(c, i) != NULL);
        CHECK(dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, i) <
              dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY));
      }
    }
  }
  dedup_corpus_free(c);
}

static int known(int rc) {
  return rc == DEDUP_OK || rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION ||
         rc == DEDUP_EINVAL || rc == DEDUP_ESTATE || rc == DEDUP_ENOMEM;
}

/* A two-document shard, signed at the copy level (story: at both), with
 * its ids set (one shard of one), and a corpus of its heads. */
static void small_shard_at(dedup_corpus **sh, dedup_corpus **heads,
                           int story) {
  static const char t[] = "The council voted on the new budget for the "
                          "city schools on Monday evening after a long "
                          "debate about teachers and their pay.";
  dedup_run_options o;
  CHECK(dedup_run_options_init(&o, DEDUP_RUN_OPTIONS_VERSION) == DEDUP_OK);
  o.levels = story ? DEDUP_RUN_COPY | DEDUP_RUN_STORY : DEDUP_RUN_COPY;
  o.threads = 1;
  dedup_stats *st;
  CHECK(dedup_corpus_new(sh, NULL) == DEDUP_OK);
  CHECK(dedup_corpus_new(heads, NULL) == DEDUP_OK);
  CHECK(dedup_stats_new(&st) == DEDUP_OK);
  CHECK(dedup_corpus_add(*sh, "a", t, sizeof t - 1, NULL) == DEDUP_OK);
  CHECK(dedup_corpus_add(*sh, "b", t, sizeof t - 1, NULL) == DEDUP_OK);
  CHECK(dedup_corpus_count(*sh, st, &o) == DEDUP_OK);
  CHECK(dedup_corpus_sign(*sh, st, &o) == DEDUP_OK);
  dedup_stats_free(st);
  void *b;
  size_t n;
  CHECK(dedup_corpus_heads_encode(*sh, &b, &n) == DEDUP_OK);
  CHECK(dedup_corpus_records_add(*heads, b, n) == DEDUP_OK);
  dedup_free(b);
  CHECK(dedup_corpus_ids_encode(*heads, 0, &b, &n) == DEDUP_OK);
  CHECK(dedup_corpus_ids_set(*sh, b, n) == DEDUP_OK);
  dedup_free(b);
}

static void small_shard(dedup_corpus **sh, dedup_corpus **heads) {
  small_shard_at(sh, heads, 0);
}

/* One all-to-all step of one shard: in to out. */
#define ONE(call)                                                              \
  do {                                                                         \
    const void *in_[1] = {one};                                                \
    size_t inl_[1] = {one_len};                                                \
    void *out_[1];                                                             \
    size_t outl_[1];                                                           \
    CHECK((call) == DEDUP_OK);                                                 \
    dedup_free(one);                                                           \
    one = out_[0];                                                             \
    one_len = outl_[0];                                                        \
    (void)in_;                                                                 \
    (void)inl_;                                                                \
  } while (0)

/* The story level's steps on a shard of its own, up to `upto` (1: groups
 * and representatives set, 2: weighed); fed p where the step `upto`
 * would take its input, and the steps after it run when it is taken. */
static void try_story(const uint8_t *p, size_t len, int upto) {
  dedup_corpus *sh, *heads;
  small_shard_at(&sh, &heads, 1);
  void *one = NULL, *l[2];
  size_t one_len = 0, ll[2];
  for (int stage = DEDUP_SPREAD_CROWDS; stage <= DEDUP_SPREAD_BANDS;
       stage++) {
    void *k[1], *pr[1], *q[1];
    size_t kl[1], pl[1], ql[1];
    CHECK(dedup_corpus_keys_encode(sh, (dedup_spread_stage)stage, 1, k, kl) ==
          DEDUP_OK);
    CHECK(dedup_spread_pairs((const void *const *)k, kl, 1, pr, pl) ==
          DEDUP_OK);
    CHECK(dedup_corpus_probes(sh, (const void *const *)pr, pl, 1, q, ql) ==
          DEDUP_OK);
    CHECK(dedup_corpus_verify(sh, (const void *const *)q, ql, 1,
                              &l[stage - 1], &ll[stage - 1]) == DEDUP_OK);
    dedup_free(k[0]);
    dedup_free(pr[0]);
    dedup_free(q[0]);
  }
  CHECK(dedup_corpus_groups_set(heads, (const void *const *)l, ll, 2) ==
        DEDUP_OK);
  dedup_free(l[0]);
  dedup_free(l[1]);
  const void *in[1] = {p};
  size_t in_len[1] = {len};
  int rc = dedup_corpus_reps_set(sh, p, len);
  CHECK(known(rc));
  if (rc != DEDUP_OK) {
    CHECK(dedup_corpus_reps_encode(heads, 0, &one, &one_len) == DEDUP_OK);
    CHECK(dedup_corpus_reps_set(sh, one, one_len) == DEDUP_OK);
    dedup_free(one);
  }
  void *out[1];
  size_t out_len[1];
  rc = dedup_spread_terms_answer(in, in_len, 1, out, out_len);
  CHECK(known(rc));
  if (rc == DEDUP_OK)
    dedup_free(out[0]);
  if (upto >= 1) {
    rc = dedup_corpus_weigh(sh, in, in_len, 1);
    CHECK(known(rc));
    if (rc != DEDUP_OK) {
      CHECK(dedup_corpus_terms_encode(sh, 1, out, out_len) == DEDUP_OK);
      one = out[0];
      one_len = out_len[0];
      ONE(dedup_spread_terms_answer(in_, inl_, 1, out_, outl_));
      CHECK(dedup_corpus_weigh(sh, (const void *const *)&one, &one_len, 1) ==
            DEDUP_OK);
      dedup_free(one);
    }
    rc = dedup_spread_runs(in, in_len, 1, out, out_len);
    CHECK(known(rc));
    if (rc == DEDUP_OK)
      dedup_free(out[0]);
    rc = dedup_corpus_vectors_encode(sh, in, in_len, 1, out, out_len);
    CHECK(known(rc));
    if (rc == DEDUP_OK)
      dedup_free(out[0]);
    void *e;
    size_t el;
    rc = dedup_corpus_score(sh, in, in_len, 1, &e, &el);
    CHECK(known(rc));
    if (rc == DEDUP_OK)
      dedup_free(e);
  }
  dedup_run_options o;
  CHECK(dedup_run_options_init(&o, DEDUP_RUN_OPTIONS_VERSION) == DEDUP_OK);
  o.threads = 1;
  rc = dedup_corpus_run_links(heads, in, in_len, 1, &o);
  CHECK(known(rc));
  if (rc == DEDUP_OK)
    for (size_t i = 0; i < dedup_corpus_item_count(heads); i++)
      CHECK(dedup_corpus_cluster_of(heads, DEDUP_LEVEL_STORY, i) <
            dedup_corpus_cluster_count(heads, DEDUP_LEVEL_STORY));
  dedup_corpus_free(sh);
  dedup_corpus_free(heads);
}

static void try_spread(const uint8_t *p, size_t len) {
  dedup_corpus *sh, *heads;
  small_shard(&sh, &heads);
  const void *in[1] = {p};
  size_t in_len[1] = {len};
  void *out[1], *one;
  size_t out_len[1], one_len;
  CHECK(known(dedup_corpus_ids_set(sh, p, len)));
  int rc = dedup_spread_pairs(in, in_len, 1, out, out_len);
  CHECK(known(rc));
  if (rc == DEDUP_OK)
    dedup_free(out[0]);
  rc = dedup_corpus_probes(sh, in, in_len, 1, out, out_len);
  CHECK(known(rc));
  if (rc == DEDUP_OK)
    dedup_free(out[0]);
  rc = dedup_corpus_verify(sh, in, in_len, 1, &one, &one_len);
  CHECK(known(rc));
  if (rc == DEDUP_OK)
    dedup_free(one);
  dedup_run_options o;
  CHECK(dedup_run_options_init(&o, DEDUP_RUN_OPTIONS_VERSION) == DEDUP_OK);
  o.levels = DEDUP_RUN_COPY;
  o.threads = 1;
  rc = dedup_corpus_run_links(heads, in, in_len, 1, &o);
  CHECK(known(rc));
  if (rc == DEDUP_OK)
    for (size_t i = 0; i < dedup_corpus_item_count(heads); i++)
      CHECK(dedup_corpus_cluster_of(heads, DEDUP_LEVEL_COPY, i) <
            dedup_corpus_cluster_count(heads, DEDUP_LEVEL_COPY));
  dedup_corpus_free(sh);
  dedup_corpus_free(heads);
  try_story(p, len, len % 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  void (*try_it)(const uint8_t *, size_t) =
      data[0] % 3 == 0 ? try_stats : data[0] % 3 == 1 ? try_records
                                                      : try_spread;
  const uint8_t *p = data + 1;
  size_t len = size - 1;
  try_it(p, len);
  if (len >= 8) { /* the checksum made right */
    uint8_t *q = malloc(len);
    CHECK(q);
    memcpy(q, p, len);
    uint64_t s = dedup__hash(q, len - 8, 0);
    for (int i = 0; i < 8; i++)
      q[len - 8 + i] = (uint8_t)(s >> (8 * i));
    try_it(q, len);
    free(q);
  }
  return 0;
}
