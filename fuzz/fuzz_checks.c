/* fuzz_checks.c - see fuzz_checks.h.  Public API only. */
#include "fuzz_checks.h"
#include "fuzz.h"

#include <stdint.h>
#include <string.h>

void fuzz_check_level(const dedup_corpus *c, dedup_level level) {
  size_t n = dedup_corpus_item_count(c);
  size_t nc = dedup_corpus_cluster_count(c, level), seen = 0;
  CHECK(n == 0 || (nc >= 1 && nc <= n));
  CHECK(n != 0 || nc == 0);
  size_t prev_size = SIZE_MAX;
  for (size_t k = 0; k < nc; k++) {
    size_t m = 0;
    const size_t *mem = dedup_corpus_cluster_members(c, level, k, &m);
    CHECK(mem && m >= 1 && m <= prev_size); /* largest first */
    prev_size = m;
    for (size_t j = 0; j < m; j++) {
      CHECK(mem[j] < n);
      CHECK(j == 0 || mem[j] > mem[j - 1]);
      CHECK(dedup_corpus_cluster_of(c, level, mem[j]) == k);
    }
    seen += m;
  }
  /* Members ascend and each names its own cluster, so no item is in two;
   * the count then says every item is in one. */
  CHECK(seen == n);
  for (size_t i = 0; i < n; i++)
    CHECK(dedup_corpus_cluster_of(c, level, i) < nc);
  size_t nl = dedup_corpus_link_count(c, level);
  size_t pa = 0, pb = 0;
  for (size_t i = 0; i < nl; i++) {
    size_t a = SIZE_MAX, b = SIZE_MAX;
    double s = -1;
    CHECK(dedup_corpus_link(c, level, i, &a, &b, &s) == DEDUP_OK);
    CHECK(a < b && b < n);
    CHECK(i == 0 || a > pa || (a == pa && b > pb)); /* sorted, unique */
    pa = a;
    pb = b;
    CHECK(dedup_corpus_cluster_of(c, level, a) ==
          dedup_corpus_cluster_of(c, level, b));
    CHECK(s >= 0 && s <= 1);
  }
}

void fuzz_check_corpus(const dedup_corpus *c) {
  fuzz_check_level(c, DEDUP_LEVEL_STORY);
  fuzz_check_level(c, DEDUP_LEVEL_COPY);
  size_t n = dedup_corpus_item_count(c);
  for (size_t i = 0; i < n; i++) {
    const char *name = dedup_corpus_item_name(c, i);
    CHECK(name != NULL);
  }
  /* Copy groups nest inside stories: each copy cluster's members share
   * one story. */
  size_t nc = dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY);
  for (size_t k = 0; k < nc; k++) {
    size_t m;
    const size_t *mem = dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY, k,
                                                     &m);
    for (size_t j = 1; j < m; j++)
      CHECK(dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, mem[j]) ==
            dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, mem[0]));
  }
}

void fuzz_check_same(const dedup_corpus *x, const dedup_corpus *y) {
  size_t n = dedup_corpus_item_count(x);
  CHECK(dedup_corpus_item_count(y) == n);
  for (size_t i = 0; i < n; i++)
    CHECK(!strcmp(dedup_corpus_item_name(x, i),
                  dedup_corpus_item_name(y, i)));
  for (int l = 0; l < 2; l++) {
    dedup_level level = (dedup_level)l;
    size_t nc = dedup_corpus_cluster_count(x, level);
    CHECK(dedup_corpus_cluster_count(y, level) == nc);
    for (size_t k = 0; k < nc; k++) {
      size_t mx, my;
      const size_t *a = dedup_corpus_cluster_members(x, level, k, &mx);
      const size_t *b = dedup_corpus_cluster_members(y, level, k, &my);
      CHECK(mx == my && !memcmp(a, b, mx * sizeof *a));
    }
    size_t nl = dedup_corpus_link_count(x, level);
    CHECK(dedup_corpus_link_count(y, level) == nl);
    for (size_t i = 0; i < nl; i++) {
      size_t a1, b1, a2, b2;
      double s1, s2;
      CHECK(dedup_corpus_link(x, level, i, &a1, &b1, &s1) == DEDUP_OK);
      CHECK(dedup_corpus_link(y, level, i, &a2, &b2, &s2) == DEDUP_OK);
      CHECK(a1 == a2 && b1 == b2 && s1 == s2);
    }
  }
}

size_t fuzz_split(const char *s, size_t n, const char *sep, size_t sl,
                  size_t max, piece *out) {
  size_t k = 0;
  while (k + 1 < max) {
    const char *hit = NULL;
    for (size_t i = 0; i + sl <= n; i++)
      if (!memcmp(s + i, sep, sl)) {
        hit = s + i;
        break;
      }
    if (!hit)
      break;
    out[k++] = (piece){s, (size_t)(hit - s)};
    n -= (size_t)(hit - s) + sl;
    s = hit + sl;
  }
  out[k++] = (piece){s, n};
  return k;
}
