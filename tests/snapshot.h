/* snapshot.h - everything a run produced, as one string (dedup.h only), so
 * tests can require byte-identical results.  Items appear by name, never
 * by id alone, so two corpora are compared by what a user would see. */
#ifndef DEDUP_SNAPSHOT_H
#define DEDUP_SNAPSHOT_H

#include "dedup.h"
#include "testgen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* printf onto a testgen.h buffer. */
static inline void snap_printf(tg_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *t = k < 0 ? NULL : malloc((size_t)k + 1);
  if (!t)
    abort();
  va_start(ap, fmt);
  vsnprintf(t, (size_t)k + 1, fmt, ap);
  va_end(ap);
  tg_put(b, t, (size_t)k);
  free(t);
}

/* Items, then for each level its clusters (members by name) and links
 * (names and similarity).  Caller frees with free(). */
static inline char *snapshot(const dedup_corpus *c) {
  tg_buf b = {0};
  size_t n = dedup_corpus_item_count(c);
  snap_printf(&b, "%zu items\n", n);
  for (size_t i = 0; i < n; i++)
    snap_printf(&b, "%s\n", dedup_corpus_item_name(c, i));
  for (int l = 0; l < 2; l++) {
    dedup_level level = l ? DEDUP_LEVEL_COPY : DEDUP_LEVEL_STORY;
    size_t nc = dedup_corpus_cluster_count(c, level);
    snap_printf(&b, "level %d: %zu clusters\n", l, nc);
    for (size_t k = 0; k < nc; k++) {
      size_t m;
      const size_t *mem = dedup_corpus_cluster_members(c, level, k, &m);
      snap_printf(&b, "%zu:", k);
      for (size_t j = 0; j < m; j++)
        snap_printf(&b, " %s", dedup_corpus_item_name(c, mem[j]));
      snap_printf(&b, "\n");
    }
    size_t nl = dedup_corpus_link_count(c, level);
    for (size_t i = 0; i < nl; i++) {
      size_t a, bb;
      double s;
      if (dedup_corpus_link(c, level, i, &a, &bb, &s) != DEDUP_OK)
        abort();
      snap_printf(&b, "link %s %s %.9f\n", dedup_corpus_item_name(c, a),
                  dedup_corpus_item_name(c, bb), s);
    }
  }
  return b.p;
}

/* The cluster (at level) holding the item called name, or SIZE_MAX. */
static inline size_t cluster_of_name(const dedup_corpus *c, dedup_level level,
                                     const char *name) {
  for (size_t i = 0; i < dedup_corpus_item_count(c); i++)
    if (!strcmp(dedup_corpus_item_name(c, i), name))
      return dedup_corpus_cluster_of(c, level, i);
  return SIZE_MAX;
}

#endif
