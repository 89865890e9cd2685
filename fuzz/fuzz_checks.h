/* fuzz_checks.h - invariants of a corpus after a run, shared by the
 * harnesses that run the whole pipeline (fuzz_checks.c). */
#ifndef DEDUP_FUZZ_CHECKS_H
#define DEDUP_FUZZ_CHECKS_H

#include "dedup.h"

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
