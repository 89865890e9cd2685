/* test_cluster.c - union-find and sparse average-link clustering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "common/dedup_private.h"
#include "common/hash.h"

static uint64_t rnd(uint64_t *s) {
  *s += 0x9e3779b97f4a7c15ULL;
  return dedup__mix64(*s);
}

static double unif(uint64_t *s) { return (double)(rnd(s) >> 11) * 0x1p-53; }

static uint32_t below(uint64_t *s, uint32_t n) {
  return (uint32_t)(rnd(s) % n);
}

/* Shuffles the edge list and swaps endpoints at random. */
static void shuffle_edges(dedup__edge *e, size_t ne, uint64_t *s) {
  for (size_t i = ne; i > 1; i--) {
    size_t j = (size_t)(rnd(s) % i);
    dedup__edge t = e[i - 1];
    e[i - 1] = e[j];
    e[j] = t;
  }
  for (size_t i = 0; i < ne; i++)
    if (rnd(s) & 1) {
      uint32_t t = e[i].a;
      e[i].a = e[i].b;
      e[i].b = t;
    }
}

/* Labels are canonical: scanning items in order, each new cluster gets the
 * next number.  Returns the number of clusters. */
static size_t assert_canonical(const uint32_t *labels, size_t n) {
  uint32_t next = 0;
  for (size_t i = 0; i < n; i++) {
    assert_true(labels[i] <= next);
    if (labels[i] == next)
      next++;
  }
  return next;
}

static size_t max_cluster(const uint32_t *labels, size_t n, size_t k) {
  size_t *cnt = calloc(k ? k : 1, sizeof *cnt), m = 0;
  assert_non_null(cnt);
  for (size_t i = 0; i < n; i++)
    if (++cnt[labels[i]] > m)
      m = cnt[labels[i]];
  free(cnt);
  return m;
}

#define E(a, b, s) {(a), (b), (float)(s)}

/* ---- union ------------------------------------------------------------ */

static void union_hand_made(void **state) {
  (void)state;
  const dedup__edge e1[] = {E(5, 6, 0.1), E(0, 3, 0.9), E(3, 4, 0.5),
                            E(2, 1, 0.7)};
  const uint32_t want1[] = {0, 1, 1, 0, 0, 2, 2};
  uint32_t lab[8];
  assert_int_equal(dedup__cluster_union(lab, 7, e1, 4), 3);
  assert_memory_equal(lab, want1, sizeof want1);

  /* A cluster is numbered by its smallest member, not its first edge. */
  const dedup__edge e2[] = {E(5, 0, 1), E(4, 2, 1), E(2, 3, 1)};
  const uint32_t want2[] = {0, 1, 2, 2, 2, 0};
  assert_int_equal(dedup__cluster_union(lab, 6, e2, 3), 3);
  assert_memory_equal(lab, want2, sizeof want2);

  /* A cycle plus a self-link plus a repeated edge. */
  const dedup__edge e3[] = {E(1, 2, 1), E(2, 3, 1), E(3, 1, 1), E(4, 4, 1),
                            E(2, 1, 1)};
  const uint32_t want3[] = {0, 1, 1, 1, 2};
  assert_int_equal(dedup__cluster_union(lab, 5, e3, 5), 3);
  assert_memory_equal(lab, want3, sizeof want3);

  /* No edges: singletons; n = 0: nothing. */
  assert_int_equal(dedup__cluster_union(lab, 5, NULL, 0), 5);
  for (uint32_t i = 0; i < 5; i++)
    assert_int_equal(lab[i], i);
  assert_int_equal(dedup__cluster_union(NULL, 0, NULL, 0), 0);
}

static void union_permutation_invariant(void **state) {
  (void)state;
  enum { N = 300, NE = 220 };
  uint64_t s = 2024;
  dedup__edge e[NE];
  for (size_t i = 0; i < NE; i++) {
    e[i].a = below(&s, N);
    e[i].b = (e[i].a + 1 + below(&s, N - 1)) % N;
    e[i].sim = (float)unif(&s);
  }
  uint32_t want[N], got[N];
  size_t k = dedup__cluster_union(want, N, e, NE);
  assert_int_equal(assert_canonical(want, N), k);
  assert_true(k > 50 && k < N - 50); /* neither trivial nor all singletons */
  for (int t = 0; t < 100; t++) {
    shuffle_edges(e, NE, &s);
    assert_int_equal(dedup__cluster_union(got, N, e, NE), k);
    assert_memory_equal(got, want, sizeof want);
  }
}

/* 100k random edges over 150k items against breadth-first search. */
static void union_matches_bfs(void **state) {
  (void)state;
  enum { N = 150000, NE = 100000 };
  uint64_t s = 77;
  dedup__edge *e = malloc(NE * sizeof *e);
  uint32_t *lab = malloc(N * sizeof *lab), *ref = malloc(N * sizeof *ref);
  uint32_t *off = calloc(N + 1, sizeof *off), *adj = malloc(2 * NE * 4);
  uint32_t *queue = malloc(N * sizeof *queue);
  assert_true(e && lab && ref && off && adj && queue);
  for (size_t i = 0; i < NE; i++) {
    e[i].a = below(&s, N);
    e[i].b = below(&s, N);
    e[i].sim = 1.0f;
    off[e[i].a + 1]++;
    off[e[i].b + 1]++;
  }
  for (size_t i = 0; i < N; i++)
    off[i + 1] += off[i];
  uint32_t *fill = malloc(N * sizeof *fill);
  assert_non_null(fill);
  memcpy(fill, off, N * sizeof *fill);
  for (size_t i = 0; i < NE; i++) {
    adj[fill[e[i].a]++] = e[i].b;
    adj[fill[e[i].b]++] = e[i].a;
  }
  free(fill);
  /* BFS from each unvisited item in order numbers components canonically */
  uint32_t next = 0;
  for (size_t i = 0; i < N; i++)
    ref[i] = UINT32_MAX;
  for (uint32_t i = 0; i < N; i++) {
    if (ref[i] != UINT32_MAX)
      continue;
    size_t qh = 0, qt = 0;
    ref[i] = next;
    queue[qt++] = i;
    while (qh < qt) {
      uint32_t x = queue[qh++];
      for (uint32_t j = off[x]; j < off[x + 1]; j++)
        if (ref[adj[j]] == UINT32_MAX) {
          ref[adj[j]] = next;
          queue[qt++] = adj[j];
        }
    }
    next++;
  }
  assert_int_equal(dedup__cluster_union(lab, N, e, NE), next);
  assert_memory_equal(lab, ref, N * sizeof *lab);
  for (size_t i = 0; i < NE; i++)
    assert_int_equal(lab[e[i].a], lab[e[i].b]);
  free(e);
  free(lab);
  free(ref);
  free(off);
  free(adj);
  free(queue);
}

/* ---- average link: hand-made graphs ------------------------------------ */

static void average_hand_made(void **state) {
  (void)state;
  uint32_t lab[16];
  /* 0-1 and 1-2 tie at 0.75: (0,1) goes first; then {0,1}-2 averages
   * (0.75 + 0.25) / 2 = 0.5 exactly. */
  const dedup__edge tri[] = {E(1, 2, 0.75), E(0, 2, 0.25), E(0, 1, 0.75)};
  assert_int_equal(dedup__cluster_average(lab, 3, tri, 3, 0.5), 1);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 0}), 3 * sizeof *lab);
  assert_int_equal(dedup__cluster_average(lab, 3, tri, 3, 0.5001), 2);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 1}), 3 * sizeof *lab);

  /* Tie-break decides: without 0-2, merging (1,2) first would leave 0
   * alone; (0,1) has the smaller members and wins. */
  const dedup__edge path[] = {E(2, 1, 0.75), E(1, 0, 0.75)};
  assert_int_equal(dedup__cluster_average(lab, 3, path, 2, 0.4), 2);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 1}), 3 * sizeof *lab);
  assert_int_equal(dedup__cluster_average(lab, 3, path, 2, 0.375), 1);
  /* ... and the tie key is the smallest members, not the slot: with 3
   * joined to 0 first, {0,3}-{1} beats (1,2) only on the tie. */
  const dedup__edge tie2[] = {E(0, 3, 1.0), E(1, 2, 0.5), E(3, 1, 1.0)};
  /* {0,3} first (1.0); then {0,3}-1 = 1/2 ties (1,2) = 0.5; (0,1) < (1,2) */
  assert_int_equal(dedup__cluster_average(lab, 4, tie2, 3, 0.5), 2);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 1, 0}), 4 * sizeof *lab);

  /* Two pairs joined completely at 0.5: merge at exactly 0.5. */
  const dedup__edge quad[] = {E(0, 1, 1), E(2, 3, 1), E(0, 2, 0.5),
                              E(0, 3, 0.5), E(1, 2, 0.5), E(1, 3, 0.5)};
  assert_int_equal(dedup__cluster_average(lab, 4, quad, 6, 0.5), 1);
  assert_int_equal(dedup__cluster_average(lab, 5, quad, 6, 0.51), 3);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 1, 1, 2}), 5 * sizeof *lab);

  /* Duplicates keep the larger sim; self-links and sim 0 are ignored. */
  const dedup__edge dup[] = {E(0, 1, 0.25), E(1, 0, 0.75), E(2, 2, 1.0),
                             E(1, 2, 0.0)};
  assert_int_equal(dedup__cluster_average(lab, 3, dup, 4, 0.7), 2);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 1}), 3 * sizeof *lab);
  assert_int_equal(dedup__cluster_average(lab, 3, dup, 4, 0.8), 3);

  /* A sim above 1 counts as 1: {0,1} and {2,3} form first (ties at 1,
   * smallest members first), then average 1/4 between them. */
  const dedup__edge big[] = {E(0, 1, 1), E(2, 3, 1), E(0, 2, 4.0)};
  assert_int_equal(dedup__cluster_average(lab, 4, big, 3, 0.3), 2);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 1, 1}), 4 * sizeof *lab);
  assert_int_equal(dedup__cluster_average(lab, 4, big, 3, 0.25), 1);

  /* Thresholds at the edges. */
  assert_int_equal(dedup__cluster_average(lab, 4, quad, 6, 1.5), 4);
  assert_int_equal(dedup__cluster_average(lab, 5, quad, 6, 0.0), 1);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 0, 0, 0}), 5 * sizeof *lab);
  assert_int_equal(dedup__cluster_average(lab, 4, quad, 6, NAN), 4);
  assert_int_equal(dedup__cluster_average(NULL, 0, NULL, 0, 0.5), 0);
  assert_int_equal(dedup__cluster_average(lab, 3, NULL, 0, 0.5), 3);
}

/* A long path of strong links: single link joins it all, average link at
 * 0.5 only pairs neighbours ({2i, 2i+1}: a pair and its neighbour share
 * one 0.9 link over 2 or 4 pairs of members). */
static void average_refuses_chains(void **state) {
  (void)state;
  enum { N = 101 };
  dedup__edge e[N - 1];
  for (uint32_t i = 0; i + 1 < N; i++)
    e[i] = (dedup__edge)E(i, i + 1, 0.9);
  uint32_t lab[N];
  assert_int_equal(dedup__cluster_union(lab, N, e, N - 1), 1);
  size_t k = dedup__cluster_average(lab, N, e, N - 1, 0.5);
  assert_int_equal(k, (N + 1) / 2);
  assert_int_equal(max_cluster(lab, N, k), 2);
  for (uint32_t i = 0; i < N; i++)
    assert_int_equal(lab[i], i / 2);
  /* reversed edge order, same answer */
  uint64_t s = 3;
  shuffle_edges(e, N - 1, &s);
  uint32_t lab2[N];
  assert_int_equal(dedup__cluster_average(lab2, N, e, N - 1, 0.5), k);
  assert_memory_equal(lab2, lab, sizeof lab);
}

/* Two cliques of 0.9 joined by one 0.6 bridge stay apart at 0.5: once
 * formed, their average is 0.6 / 25. */
static void average_weak_bridge(void **state) {
  (void)state;
  dedup__edge e[64];
  size_t ne = 0;
  for (uint32_t g = 0; g < 2; g++)
    for (uint32_t i = 0; i < 5; i++)
      for (uint32_t j = i + 1; j < 5; j++)
        e[ne++] = (dedup__edge)E(5 * g + i, 5 * g + j, 0.9);
  e[ne++] = (dedup__edge)E(4, 5, 0.6);
  uint32_t lab[10];
  assert_int_equal(dedup__cluster_union(lab, 10, e, ne), 1);
  assert_int_equal(dedup__cluster_average(lab, 10, e, ne, 0.5), 2);
  assert_memory_equal(lab, ((uint32_t[]){0, 0, 0, 0, 0, 1, 1, 1, 1, 1}),
                      sizeof lab);
  /* below 0.6/25 = 0.024 they do join */
  assert_int_equal(dedup__cluster_average(lab, 10, e, ne, 0.02), 1);
  assert_int_equal(dedup__cluster_average(lab, 10, e, ne, 0.03), 2);
}

/* ---- average link: reference and properties --------------------------- */

/* O(n^3) average link over a dense matrix (0 = no edge): recompute every
 * cluster pair's sum at every step, take the highest average, ties to the
 * lexicographically smallest (min member, min member). */
static size_t ref_average(uint32_t *labels, size_t n, const double *sim,
                          double thr) {
  uint32_t *cl = malloc(n * sizeof *cl), *sz = calloc(n, sizeof *sz);
  double *sum = malloc(n * n * sizeof *sum);
  assert_true(cl && sz && sum);
  for (uint32_t i = 0; i < n; i++)
    cl[i] = i; /* cluster id = smallest member */
  for (;;) {
    memset(sz, 0, n * sizeof *sz);
    memset(sum, 0, n * n * sizeof *sum);
    for (size_t i = 0; i < n; i++)
      sz[cl[i]]++;
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++)
        if (cl[i] < cl[j])
          sum[cl[i] * n + cl[j]] += sim[i * n + j];
    double best = -1;
    size_t ba = 0, bb = 0;
    for (size_t a = 0; a < n; a++)
      for (size_t b = a + 1; b < n; b++) {
        if (!sz[a] || !sz[b])
          continue;
        double avg = sum[a * n + b] / ((double)sz[a] * (double)sz[b]);
        if (avg > best) {
          best = avg;
          ba = a;
          bb = b;
        }
      }
    if (!(best >= thr))
      break;
    for (size_t i = 0; i < n; i++)
      if (cl[i] == bb)
        cl[i] = (uint32_t)ba;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    sz[i] = UINT32_MAX;
  for (size_t i = 0; i < n; i++) {
    if (sz[cl[i]] == UINT32_MAX)
      sz[cl[i]] = (uint32_t)k++;
    labels[i] = sz[cl[i]];
  }
  free(cl);
  free(sz);
  free(sum);
  return k;
}

/* Random graphs of up to 40 items with sims in multiples of 1/64, so that
 * every sum is exact and ties really are ties in both implementations. */
static void average_matches_reference(void **state) {
  (void)state;
  enum { MAXN = 40, SEEDS = 400 };
  uint64_t s = 4242;
  double sim[MAXN * MAXN];
  dedup__edge e[MAXN * MAXN];
  uint32_t got[MAXN], want[MAXN];
  size_t merged = 0, multi = 0;
  for (int seed = 0; seed < SEEDS; seed++) {
    uint32_t n = 2 + below(&s, MAXN - 1);
    double p = 0.05 + 0.6 * unif(&s);
    /* Coarse levels make exact ties frequent. */
    uint32_t levels = (rnd(&s) & 1) ? 4 : 64;
    size_t ne = 0;
    memset(sim, 0, sizeof sim);
    for (uint32_t i = 0; i < n; i++)
      for (uint32_t j = i + 1; j < n; j++) {
        if (unif(&s) >= p)
          continue;
        double v = (double)(1 + below(&s, levels)) / levels;
        sim[i * n + j] = sim[j * n + i] = v;
        e[ne++] = (dedup__edge)E(i, j, v);
        if (below(&s, 10) == 0) /* a weaker duplicate, reversed */
          e[ne++] = (dedup__edge)E(j, i, v / 2);
      }
    if (n > 2 && below(&s, 4) == 0)
      e[ne++] = (dedup__edge)E(1, 1, 1.0);
    shuffle_edges(e, ne, &s);
    double thr = (rnd(&s) & 1) ? (double)(1 + below(&s, 16)) / 32
                               : 0.05 + 0.8 * unif(&s);
    size_t kw = ref_average(want, n, sim, thr);
    size_t kg = dedup__cluster_average(got, n, e, ne, thr);
    assert_int_equal(kg, kw);
    assert_memory_equal(got, want, n * sizeof *got);
    merged += n - kw;
    multi += max_cluster(want, n, kw) > 2;
  }
  /* the cases really cluster, beyond pairs */
  assert_true(merged > SEEDS);
  assert_true(multi > SEEDS / 10);
}

/* Planted groups with noise: n items in groups of ~size g, dense links
 * inside (sim 0.5..1), random cross links (sim 0..0.6). */
static size_t planted(dedup__edge *e, size_t n, size_t g, size_t per_item,
                      uint64_t *s) {
  size_t ne = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t t = 0; t < per_item; t++) {
      uint32_t j;
      float v;
      if (t % 3 != 2) {
        j = (uint32_t)((i / g) * g + below(s, (uint32_t)g));
        v = (float)(0.5 + 0.5 * unif(s));
      } else {
        j = below(s, (uint32_t)n);
        v = (float)(0.6 * unif(s));
      }
      if (j == i || j >= n)
        continue;
      e[ne++] = (dedup__edge)E((uint32_t)i, j, v);
    }
  return ne;
}

static uint64_t pkey(const dedup__edge *e) {
  return (uint64_t)DEDUP__MIN(e->a, e->b) << 32 | DEDUP__MAX(e->a, e->b);
}

/* By unordered pair, then larger sim first. */
static int cmp_edge(const void *pa, const void *pb) {
  const dedup__edge *a = pa, *b = pb;
  uint64_t ka = pkey(a), kb = pkey(b);
  if (ka != kb)
    return ka < kb ? -1 : 1;
  return (a->sim < b->sim) - (a->sim > b->sim);
}

static void average_permutation_invariant(void **state) {
  (void)state;
  enum { N = 400, PER = 6 };
  uint64_t s = 99;
  dedup__edge *e = malloc(N * PER * sizeof *e);
  assert_non_null(e);
  size_t ne = planted(e, N, 8, PER, &s);
  uint32_t want[N], got[N];
  size_t k = dedup__cluster_average(want, N, e, ne, 0.3);
  assert_int_equal(assert_canonical(want, N), k);
  assert_true(k > 20 && k < N - 100);
  for (int t = 0; t < 100; t++) {
    shuffle_edges(e, ne, &s);
    assert_int_equal(dedup__cluster_average(got, N, e, ne, 0.3), k);
    assert_memory_equal(got, want, sizeof want);
  }
  free(e);
}

/* On a larger graph: when clustering stops, no two clusters average
 * >= threshold, and clusters are groups of linked items. */
static void average_stops_right(void **state) {
  (void)state;
  enum { N = 20000, PER = 10 };
  const double thr = 0.35;
  uint64_t s = 5;
  dedup__edge *e = malloc(N * PER * sizeof *e);
  uint32_t *lab = malloc(N * sizeof *lab), *ul = malloc(N * sizeof *ul);
  assert_true(e && lab && ul);
  size_t ne = planted(e, N, 12, PER, &s);
  size_t k = dedup__cluster_average(lab, N, e, ne, thr);
  assert_int_equal(assert_canonical(lab, N), k);
  size_t ku = dedup__cluster_union(ul, N, e, ne);
  assert_true(k > ku && k < N / 4);
  /* each average cluster lies inside one connected component */
  for (size_t i = 0; i < ne; i++)
    if (lab[e[i].a] == lab[e[i].b])
      assert_int_equal(ul[e[i].a], ul[e[i].b]);
  uint32_t *size = calloc(k, sizeof *size);
  assert_non_null(size);
  for (size_t i = 0; i < N; i++)
    size[lab[i]]++;
  /* sums between clusters over distinct pairs (each keeps its max sim) */
  qsort(e, ne, sizeof *e, cmp_edge);
  size_t m = 0;
  for (size_t i = 0; i < ne; i++)
    if (!m || pkey(&e[m - 1]) != pkey(&e[i]))
      e[m++] = e[i];
  for (size_t i = 0; i < m; i++) { /* relabel endpoints by cluster */
    uint32_t a = lab[e[i].a], b = lab[e[i].b];
    e[i].a = DEDUP__MIN(a, b);
    e[i].b = DEDUP__MAX(a, b);
  }
  qsort(e, m, sizeof *e, cmp_edge);
  size_t checked = 0;
  for (size_t i = 0; i < m;) {
    size_t j = i;
    double sum = 0;
    for (; j < m && e[j].a == e[i].a && e[j].b == e[i].b; j++)
      sum += e[j].sim;
    if (e[i].a != e[i].b) {
      assert_true(sum / ((double)size[e[i].a] * size[e[i].b]) < thr);
      checked++;
    }
    i = j;
  }
  assert_true(checked > 1000);
  free(size);
  free(e);
  free(lab);
  free(ul);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(union_hand_made),
      cmocka_unit_test(union_permutation_invariant),
      cmocka_unit_test(union_matches_bfs),
      cmocka_unit_test(average_hand_made),
      cmocka_unit_test(average_refuses_chains),
      cmocka_unit_test(average_weak_bridge),
      cmocka_unit_test(average_matches_reference),
      cmocka_unit_test(average_permutation_invariant),
      cmocka_unit_test(average_stops_right),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
