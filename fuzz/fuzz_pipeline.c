/* fuzz_pipeline.c - bytes to clusters through the public API.
 *
 * The first byte picks parameters (method, MinHash kind, flags, shingle
 * size); the rest is cut at "\n===\n" into up to 8 documents.  A single
 * document is also added as two near copies of itself (its first and
 * second halves joined differently), so the copy level has work to do.
 * Checked besides memory safety: every item is in exactly one cluster,
 * members ascend, links join members of one cluster with a similarity in
 * [0, 1], copy groups nest inside stories, and a second corpus built in
 * reverse order on two threads gives the same clusters. */
#include "fuzz.h"
#include "fuzz_checks.h"
#include "dedup.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum { MAX_DOCS = 8 };
static const char SEP[] = "\n===\n";


/* Cluster memberships by item name, one line per cluster. */
static char *render(const dedup_corpus *c) {
  size_t cap = 64, len = 0;
  char *out = malloc(cap);
  CHECK(out);
  for (int l = 0; l < 2; l++) {
    size_t nc = dedup_corpus_cluster_count(c, (dedup_level)l);
    for (size_t k = 0; k < nc; k++) {
      size_t m;
      const size_t *mem = dedup_corpus_cluster_members(c, (dedup_level)l, k,
                                                       &m);
      for (size_t j = 0; j <= m; j++) {
        const char *s = j < m ? dedup_corpus_item_name(c, mem[j]) : "\n";
        size_t sl = strlen(s) + 1;
        if (len + sl + 1 > cap) {
          while (len + sl + 1 > cap)
            cap *= 2;
          out = realloc(out, cap);
          CHECK(out);
        }
        memcpy(out + len, s, sl - 1);
        len += sl - 1;
        out[len++] = ' ';
      }
    }
  }
  out[len] = '\0';
  return out;
}

static dedup_corpus *build(const dedup_params *p,
                           const dedup_run_options *o, const piece *d,
                           size_t nd, int reverse) {
  dedup_corpus *c;
  CHECK(dedup_corpus_new(&c, p) == DEDUP_OK);
  for (size_t k = 0; k < nd; k++) {
    size_t i = reverse ? nd - 1 - k : k;
    char name[32];
    snprintf(name, sizeof name, "d%zu", i);
    size_t inv;
    int rc = dedup_corpus_add(c, name, d[i].p, d[i].n, i % 2 ? &inv : NULL);
    CHECK(rc == DEDUP_OK || rc == DEDUP_EEMPTY || rc == DEDUP_EBINARY);
  }
  CHECK(dedup_corpus_run_with(c, o) == DEDUP_OK);
  return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > (1u << 20))
    return 0;
  unsigned sel = data[0];
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  p.method = sel & 1 ? DEDUP_METHOD_SIMHASH : DEDUP_METHOD_MINHASH;
  p.minhash_kind = sel & 2 ? DEDUP_MINHASH_CLASSIC : DEDUP_MINHASH_OPH;
  p.flags = (sel >> 2) & 3;
  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  o.levels = sel & 16 ? DEDUP_RUN_COPY : DEDUP_RUN_ALL;
  o.threads = 1;
  p.shingle_k = 1 + (sel >> 5); /* 1..8 */
  p.num_perm = 32;
  piece d[MAX_DOCS + 2];
  size_t nd =
      fuzz_split((const char *)data + 1, size - 1, SEP, sizeof SEP - 1,
                 MAX_DOCS, d);
  char *joined = NULL;
  if (nd == 1 && d[0].n >= 2) {
    /* Two copies of the one document: its halves swapped, and whole. */
    size_t h = d[0].n / 2;
    joined = malloc(d[0].n);
    CHECK(joined);
    memcpy(joined, d[0].p + h, d[0].n - h);
    memcpy(joined + d[0].n - h, d[0].p, h);
    d[nd++] = (piece){joined, d[0].n};
    d[nd++] = d[0];
  }
  dedup_corpus *c = build(&p, &o, d, nd, 0);
  int story = dedup_corpus_has_level(c, DEDUP_LEVEL_STORY);
  CHECK(story == (o.levels == DEDUP_RUN_ALL));
  if (story)
    fuzz_check_level(c, DEDUP_LEVEL_STORY);
  else
    CHECK(dedup_corpus_cluster_count(c, DEDUP_LEVEL_STORY) == 0);
  fuzz_check_level(c, DEDUP_LEVEL_COPY);
  size_t n = dedup_corpus_item_count(c);
  for (size_t i = 0; i < n; i++) {
    CHECK(dedup_corpus_item_name(c, i) != NULL);
    for (size_t j = i + 1; j < n && story; j++)
      if (dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, i) ==
          dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, j))
        CHECK(dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, i) ==
              dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, j));
  }
  o.threads = 2;
  dedup_corpus *r = build(&p, &o, d, nd, 1);
  char *a = render(c), *b = render(r);
  CHECK(!strcmp(a, b));
  free(a);
  free(b);
  dedup_corpus_free(c);
  dedup_corpus_free(r);
  free(joined);
  return 0;
}
