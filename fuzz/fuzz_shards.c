/* fuzz_shards.c - the shardable passes' decoders (lib/corpus/shard_*.c)
 * on arbitrary bytes.
 *
 * The first byte chooses: even, a statistics table; odd, a shard's
 * records.  The rest is decoded twice: as it is (almost always refused by
 * its checksum), and with the checksum made right, so the fuzzer reaches
 * the checks behind it.  A table that is taken must encode again and
 * answer; records that are taken must run and give every item a cluster. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  int records = data[0] & 1;
  const uint8_t *p = data + 1;
  size_t len = size - 1;
  (records ? try_records : try_stats)(p, len);
  if (len >= 8) { /* the checksum made right */
    uint8_t *q = malloc(len);
    CHECK(q);
    memcpy(q, p, len);
    uint64_t s = dedup__hash(q, len - 8, 0);
    for (int i = 0; i < 8; i++)
      q[len - 8 + i] = (uint8_t)(s >> (8 * i));
    (records ? try_records : try_stats)(q, len);
    free(q);
  }
  return 0;
}
