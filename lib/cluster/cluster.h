/* cluster.h - from scored links to clusters. */
#ifndef DEDUP_CLUSTER_H
#define DEDUP_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct dedup__edge {
  uint32_t a, b; /* a != b */
  float sim;     /* 0..1 */
} dedup__edge;

/* Union-find over items 0..n-1 linked by edges e[0..ne) (every edge
 * links, whatever its sim; endpoints must be < n).  labels[i]
 * receives a cluster number; clusters are numbered 0.. in order of their
 * smallest member, so the result depends only on the set of edges.
 * Returns the number of clusters, or (size_t)-1 on ENOMEM. */
size_t dedup__cluster_union(uint32_t *labels, size_t n, const dedup__edge *e,
                            size_t ne);

/* Average-link agglomerative clustering over sparse similarities: pairs
 * without an edge count as similarity 0.  Repeatedly merges the two
 * clusters of highest average similarity (sum of sims between them /
 * (|A| |B|)) while it is >= threshold.  Ties go to the pair whose smallest
 * members (lower, higher) are lexicographically first, so the result is
 * deterministic.  labels numbered as in dedup__cluster_union.
 * A pair given twice counts once, with its larger sim; self-links and sims
 * <= 0 (or NaN) are ignored, sims > 1 count as 1.  Sims are rounded to
 * multiples of 2^-32 and summed exactly, so the result does not depend on
 * the order of the edges.  threshold <= 0 merges everything (every
 * average is >= 0); a NaN threshold merges nothing.  Time about
 * O(sum of map sizes over merges); memory O(n + ne).
 * Returns the number of clusters, or (size_t)-1 on ENOMEM (or ne >=
 * 2^32). */
size_t dedup__cluster_average(uint32_t *labels, size_t n,
                              const dedup__edge *e, size_t ne,
                              double threshold);

#endif
