/* fuzz_checks.h - invariants of a corpus after a run, shared by the
 * harnesses that run the whole pipeline (fuzz_checks.c). */
#ifndef DEDUP_FUZZ_CHECKS_H
#define DEDUP_FUZZ_CHECKS_H

#include "dedup.h"

/* A piece of the fuzz input: one document's bytes. */
typedef struct piece {
  const char *p;
  size_t n;
} piece;

/* Cuts s[0..n) at each sep[0..sl) (sl >= 1) into at most max pieces (the
 * last takes the rest); returns how many. */
size_t fuzz_split(const char *s, size_t n, const char *sep, size_t sl,
                  size_t max, piece *out);

/* One level: every item in exactly one cluster, clusters largest first,
 * members ascending, cluster_of agreeing with the members, links sorted
 * by (a, b) with a < b inside one cluster and a similarity in [0, 1]. */
void fuzz_check_level(const dedup_corpus *c, dedup_level level);

/* Both levels, and copy groups nested inside stories. */
void fuzz_check_corpus(const dedup_corpus *c);

/* Two corpora with the same documents: the same item names in the same
 * order, the same clusters and the same links at both levels. */
void fuzz_check_same(const dedup_corpus *x, const dedup_corpus *y);

#endif
