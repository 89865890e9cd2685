/* cluster.c - from scored links to clusters: union-find (single link, for
 * copies; also public as dedup_components) and sparse average link
 * (refuses chains, for stories). */
#include "cluster/cluster.h"

#include "common/dedup_private.h"
#include "common/hash.h"

#include <assert.h>
#include <string.h>

#define NIL UINT32_MAX

static uint32_t find(uint32_t *parent, uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]]; /* path halving */
    x = parent[x];
  }
  return x;
}

/* The label of item i's tree: map[root] is given the next number the
 * first time the tree is met.  map is n words of scratch, NIL at first. */
static uint32_t tree_label(uint32_t *parent, uint32_t *map, uint32_t i,
                           uint32_t *next) {
  uint32_t r = find(parent, i);
  if (map[r] == NIL)
    map[r] = (*next)++;
  return map[r];
}

/* Numbers the trees of parent in order of their smallest member: scanning
 * items upwards meets each tree first at its smallest member.  map is n
 * words of scratch. */
static size_t canonical(uint32_t *labels, uint32_t *parent, uint32_t *map,
                        size_t n) {
  for (size_t i = 0; i < n; i++)
    map[i] = NIL;
  uint32_t next = 0;
  for (size_t i = 0; i < n; i++)
    labels[i] = tree_label(parent, map, (uint32_t)i, &next);
  return next;
}

/* Union-find state over n (<= UINT32_MAX) items, each its own tree.
 * Returns DEDUP_OK or DEDUP_ENOMEM (nothing allocated then). */
static int uf_new(uint32_t **parent, uint32_t **size, size_t n) {
  *parent = dedup__reallocarray(NULL, n, sizeof **parent);
  *size = dedup__reallocarray(NULL, n, sizeof **size);
  if (!*parent || !*size) {
    dedup__free(*parent);
    dedup__free(*size);
    *parent = *size = NULL;
    return DEDUP_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    (*parent)[i] = (uint32_t)i;
    (*size)[i] = 1;
  }
  return DEDUP_OK;
}

/* Joins the trees of a and b (both < n). */
static void uf_link(uint32_t *parent, uint32_t *size, uint32_t a,
                    uint32_t b) {
  uint32_t ra = find(parent, a), rb = find(parent, b);
  if (ra == rb)
    return;
  if (size[ra] < size[rb]) { /* union by size keeps trees shallow */
    uint32_t t = ra;
    ra = rb;
    rb = t;
  }
  parent[rb] = ra;
  size[ra] += size[rb];
}

size_t dedup__cluster_union(uint32_t *labels, size_t n, const dedup__edge *e,
                            size_t ne) {
  if (n == 0)
    return 0;
  assert(labels && (e || ne == 0));
  if (n > UINT32_MAX)
    return (size_t)-1;
  uint32_t *parent, *size;
  if (uf_new(&parent, &size, n) != DEDUP_OK)
    return (size_t)-1;
  for (size_t i = 0; i < ne; i++) {
    assert(e[i].a < n && e[i].b < n);
    if (e[i].a >= n || e[i].b >= n)
      continue;
    uf_link(parent, size, e[i].a, e[i].b);
  }
  size_t k = canonical(labels, parent, size, n);
  dedup__free(parent);
  dedup__free(size);
  return k;
}

DEDUP_API int dedup_components(size_t *labels, size_t *n_components,
                               size_t n, const uint32_t *a, const uint32_t *b,
                               size_t n_pairs) {
  if (n_components)
    *n_components = 0;
  if (!n_components || (n_pairs > 0 && (!a || !b)) || (n > 0 && !labels))
    return DEDUP_EINVAL;
  for (size_t i = 0; i < n_pairs; i++) /* checked before anything changes */
    if (a[i] >= n || b[i] >= n)
      return DEDUP_EINVAL;
  if (n == 0)
    return DEDUP_OK;
  if (n > UINT32_MAX)
    return DEDUP_ETOOBIG;
  uint32_t *parent, *size;
  if (uf_new(&parent, &size, n) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < n_pairs; i++)
    uf_link(parent, size, a[i], b[i]);
  /* size[] is no longer needed: it serves as the labelling scratch */
  for (size_t i = 0; i < n; i++)
    size[i] = NIL;
  uint32_t next = 0;
  for (size_t i = 0; i < n; i++)
    labels[i] = tree_label(parent, size, (uint32_t)i, &next);
  *n_components = next;
  dedup__free(parent);
  dedup__free(size);
  return DEDUP_OK;
}

/* ---- average link ------------------------------------------------------
 *
 * Candidates follow the "generic" scheme of Muellner (2011, "Modern
 * hierarchical, agglomerative clustering algorithms"): each cluster X has
 * bound[X], the priority of its best pair when last computed, and nb[X],
 * that pair's other cluster; an indexed heap holds the clusters (not the
 * pairs, so it stays small and in cache) by bound.  Invariant: every pair
 * is covered, i.e. at least one of its two clusters has a bound >= the
 * pair's priority.  So the top bound is >= every pair: if the top X's
 * bound is still exact, (X, nb[X]) is the best pair of all and merges;
 * otherwise X is recomputed (which covers all its pairs) and sinks.  A
 * merge changes only the pairs of the merged cluster, which is computed
 * afresh, so the invariant holds.
 *
 * Each cluster has a hash map neighbour -> sum of the sims between them.
 * Maps are updated lazily: a merge builds the merged cluster's map from
 * its two parts (keys renamed through union-find, entries for the same
 * cluster added up) and only marks its neighbours dirty; a dirty map still
 * holds correct partial sums under old names and is cleaned the same way
 * when its cluster reaches the top.  A clean cluster's bound is exact (no
 * neighbour changed size or sum since), so it merges without a look.
 *
 * Sums are integers (sims in units of 2^-32): exact in any order, so
 * lazy and eager sums agree, ties are real ties, and with the tie-break on
 * smallest members the result does not depend on the order of edges. */

#define FIX_ONE 4294967296.0 /* 2^32: one unit of similarity */

typedef struct nmap {
  uint64_t *v; /* sums, in 2^-32 units */
  uint32_t *k; /* neighbour slots (maybe merged away since), NIL: empty */
  uint32_t cap, cnt;
  int own; /* v (and k after it) is its own allocation, not the arena */
} nmap;

static uint32_t home(uint32_t key, uint32_t mask) {
  return (uint32_t)dedup__mix64(key) & mask;
}

static uint32_t nm_slot(const nmap *m, uint32_t key) {
  uint32_t mask = m->cap - 1, i = home(key, mask);
  while (m->k[i] != NIL && m->k[i] != key)
    i = (i + 1) & mask;
  return i;
}

/* Smallest power of two >= 4 holding cnt keys at load <= 3/4. */
static uint32_t cap_for(size_t cnt) {
  uint32_t c = 4;
  while ((size_t)c * 3 < cnt * 4)
    c *= 2;
  return c;
}

/* Priority of a candidate merge: higher average first, then the smaller
 * pair of smallest members (ma < mb). */
typedef struct prio {
  double avg; /* -1: no candidate */
  uint32_t ma, mb;
} prio;

static int better(const prio *x, const prio *y) {
  if (x->avg != y->avg)
    return x->avg > y->avg;
  if (x->ma != y->ma)
    return x->ma < y->ma;
  return x->mb < y->mb;
}

static int prio_eq(const prio *x, const prio *y) {
  return x->avg == y->avg && x->ma == y->ma && x->mb == y->mb;
}

typedef struct member {
  uint32_t size; /* 0: slot merged away */
  uint32_t minmem;
} member;

typedef struct kv {
  uint64_t v;
  uint32_t k;
} kv;

typedef struct avg_state {
  nmap *m;
  member *c; /* read together when pricing a pair */
  uint32_t *parent;
  prio *bound;  /* exact when the cluster is clean */
  uint32_t *nb; /* the other cluster of bound's pair */
  uint8_t *dirty;
  uint32_t *hp;  /* heap of live slots by bound */
  uint32_t *pos; /* slot -> index in hp */
  size_t hn;
  kv *tmp; /* scratch for rebuilding a map */
  size_t tmp_cap;
} avg_state;

static prio pair_prio(const avg_state *st, uint64_t sum, uint32_t a,
                      uint32_t b) {
  member x = st->c[a], y = st->c[b];
  prio p;
  p.avg = (double)sum / FIX_ONE / ((double)x.size * (double)y.size);
  p.ma = DEDUP__MIN(x.minmem, y.minmem);
  p.mb = DEDUP__MAX(x.minmem, y.minmem);
  return p;
}

/* ---- indexed 4-ary max-heap of clusters, keyed by bound[] ---- */

static void hp_set(avg_state *st, size_t i, uint32_t x) {
  st->hp[i] = x;
  st->pos[x] = (uint32_t)i;
}

static void hp_up(avg_state *st, size_t i) {
  uint32_t x = st->hp[i];
  while (i > 0) {
    size_t p = (i - 1) / 4;
    if (!better(&st->bound[x], &st->bound[st->hp[p]]))
      break;
    hp_set(st, i, st->hp[p]);
    i = p;
  }
  hp_set(st, i, x);
}

static void hp_down(avg_state *st, size_t i) {
  uint32_t x = st->hp[i];
  for (;;) {
    size_t c = 4 * i + 1;
    if (c >= st->hn)
      break;
    size_t end = DEDUP__MIN(c + 4, st->hn), best = c;
    for (size_t d = c + 1; d < end; d++)
      if (better(&st->bound[st->hp[d]], &st->bound[st->hp[best]]))
        best = d;
    if (!better(&st->bound[st->hp[best]], &st->bound[x]))
      break;
    hp_set(st, i, st->hp[best]);
    i = best;
  }
  hp_set(st, i, x);
}

static void hp_fix(avg_state *st, uint32_t x) {
  hp_up(st, st->pos[x]);
  hp_down(st, st->pos[x]);
}

static void hp_remove(avg_state *st, uint32_t x) {
  size_t i = st->pos[x];
  uint32_t last = st->hp[--st->hn];
  if (last == x)
    return;
  hp_set(st, i, last);
  hp_fix(st, last);
}

/* Gathers map entries under current names, dropping x itself. */
static int gather(avg_state *st, size_t *n, const nmap *m, uint32_t x) {
  void *p = st->tmp;
  if (dedup__grow(&p, &st->tmp_cap, *n, m->cnt, sizeof *st->tmp))
    return DEDUP_ENOMEM;
  st->tmp = p;
  for (uint32_t i = 0; i < m->cap; i++) {
    if (m->k[i] == NIL)
      continue;
    uint32_t r = find(st->parent, m->k[i]);
    if (r != x) {
      st->tmp[*n].k = r;
      st->tmp[*n].v = m->v[i];
      ++*n;
    }
  }
  return DEDUP_OK;
}

/* Rebuilds x's map under current names, folding in y's map when y is not
 * NIL (y already merged into x). */
static int relabel(avg_state *st, uint32_t x, uint32_t y) {
  nmap *m = &st->m[x];
  size_t n = 0;
  if (gather(st, &n, m, x) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (y != NIL && gather(st, &n, &st->m[y], x) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if ((size_t)m->cap * 3 < n * 4) {
    if (n > UINT32_MAX / 4)
      return DEDUP_ENOMEM;
    uint32_t nc = cap_for(n);
    uint64_t *v =
        dedup__reallocarray(NULL, nc, sizeof(uint64_t) + sizeof(uint32_t));
    if (!v)
      return DEDUP_ENOMEM;
    if (m->own)
      dedup__free(m->v);
    m->v = v;
    m->k = (uint32_t *)(void *)(v + nc);
    m->cap = nc;
    m->own = 1;
  }
  for (uint32_t i = 0; i < m->cap; i++)
    m->k[i] = NIL;
  m->cnt = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t j = nm_slot(m, st->tmp[i].k);
    if (m->k[j] == NIL) {
      m->k[j] = st->tmp[i].k;
      m->v[j] = 0;
      m->cnt++;
    }
    m->v[j] += st->tmp[i].v;
  }
  if (y != NIL) {
    if (st->m[y].own)
      dedup__free(st->m[y].v);
    memset(&st->m[y], 0, sizeof st->m[y]);
  }
  return DEDUP_OK;
}

/* Makes bound[x] exact from its (current-named) map.  After a merge the
 * neighbours' pairs have changed: mark_dirty marks them. */
static void price(avg_state *st, uint32_t x, int mark_dirty) {
  const nmap *m = &st->m[x];
  prio best = {-1.0, 0, 0};
  uint32_t nb = NIL;
  for (uint32_t i = 0; i < m->cap; i++) {
    uint32_t c = m->k[i];
    if (c == NIL)
      continue;
    prio p = pair_prio(st, m->v[i], x, c);
    if (nb == NIL || better(&p, &best)) {
      best = p;
      nb = c;
    }
    if (mark_dirty)
      st->dirty[c] = 1;
  }
  st->bound[x] = best;
  st->nb[x] = nb;
  st->dirty[x] = 0;
}

/* Merges slots a and b; the one with the larger map keeps its storage. */
static int merge(avg_state *st, uint32_t a, uint32_t b) {
  if (st->m[a].cap < st->m[b].cap) {
    uint32_t t = a;
    a = b;
    b = t;
  }
  hp_remove(st, b);
  st->c[a].size += st->c[b].size;
  st->c[b].size = 0;
  st->c[a].minmem = DEDUP__MIN(st->c[a].minmem, st->c[b].minmem);
  st->parent[b] = a;
  if (relabel(st, a, b) != DEDUP_OK)
    return DEDUP_ENOMEM;
  price(st, a, 1);
  hp_fix(st, a);
  return DEDUP_OK;
}

static int avg_run(avg_state *st, double thr) {
  while (st->hn) {
    uint32_t x = st->hp[0];
    if (!(st->bound[x].avg >= thr))
      break; /* every pair is below some bound, so below thr */
    if (st->dirty[x]) {
      prio old = st->bound[x];
      if (relabel(st, x, NIL) != DEDUP_OK)
        return DEDUP_ENOMEM;
      price(st, x, 0);
      if (!prio_eq(&old, &st->bound[x])) {
        hp_down(st, 0);
        continue;
      }
    }
    if (merge(st, x, st->nb[x]) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  return DEDUP_OK;
}

static int edge_ok(const dedup__edge *e, size_t n) {
  assert(e->a < n && e->b < n);
  return e->a < n && e->b < n && e->a != e->b && e->sim > 0.0f;
}

/* A sim in 2^-32 units; sims above 1 count as 1 so that no sum can
 * overflow (at most 2^32 edges). */
static uint64_t fixed(float sim) {
  if (sim >= 1.0f)
    return (uint64_t)1 << 32;
  return (uint64_t)((double)sim * FIX_ONE + 0.5);
}

size_t dedup__cluster_average(uint32_t *labels, size_t n, const dedup__edge *e,
                              size_t ne, double threshold) {
  if (n == 0)
    return 0;
  assert(labels && (e || ne == 0));
  if (n > UINT32_MAX || ne > UINT32_MAX)
    return (size_t)-1;
  if (threshold <= 0.0) {
    memset(labels, 0, n * sizeof *labels);
    return 1;
  }
  avg_state st;
  memset(&st, 0, sizeof st);
  size_t k = (size_t)-1;
  uint64_t *arena_v = NULL;
  uint32_t *arena_k = NULL;
  st.m = dedup__calloc(n, sizeof *st.m);
  st.c = dedup__reallocarray(NULL, n, sizeof *st.c);
  st.parent = dedup__reallocarray(NULL, n, sizeof *st.parent);
  st.bound = dedup__reallocarray(NULL, n, sizeof *st.bound);
  st.nb = dedup__reallocarray(NULL, n, sizeof *st.nb);
  st.dirty = dedup__calloc(n, sizeof *st.dirty);
  st.hp = dedup__reallocarray(NULL, n, sizeof *st.hp);
  st.pos = dedup__reallocarray(NULL, n, sizeof *st.pos);
  if (!st.m || !st.c || !st.parent || !st.bound || !st.nb || !st.dirty ||
      !st.hp || !st.pos)
    goto out;

  /* Initial maps live in one arena, sized from the degrees (an upper
   * bound: repeated pairs count twice), so building them neither
   * allocates nor grows.  parent[] counts degrees meanwhile. */
  memset(st.parent, 0, n * sizeof *st.parent);
  for (size_t i = 0; i < ne; i++)
    if (edge_ok(&e[i], n)) {
      st.parent[e[i].a]++;
      st.parent[e[i].b]++;
    }
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t d = st.parent[i];
    if (d > UINT32_MAX / 4)
      goto out;
    st.m[i].cap = d ? cap_for(d) : 0;
    total += st.m[i].cap;
  }
  arena_v = dedup__reallocarray(NULL, total, sizeof *arena_v);
  arena_k = dedup__reallocarray(NULL, total, sizeof *arena_k);
  if (!arena_v || !arena_k)
    goto out;
  total = 0;
  for (size_t i = 0; i < n; i++) {
    st.m[i].v = arena_v + total;
    st.m[i].k = arena_k + total;
    for (uint32_t j = 0; j < st.m[i].cap; j++)
      st.m[i].k[j] = NIL;
    total += st.m[i].cap;
    st.c[i].size = 1;
    st.c[i].minmem = st.parent[i] = (uint32_t)i;
  }
  for (size_t i = 0; i < ne; i++) {
    if (!edge_ok(&e[i], n))
      continue;
    /* A repeated pair keeps its larger sim, the same on both sides. */
    uint64_t s = fixed(e[i].sim);
    for (int side = 0; side < 2; side++) {
      nmap *m = &st.m[side ? e[i].b : e[i].a];
      uint32_t key = side ? e[i].a : e[i].b;
      uint32_t j = nm_slot(m, key);
      if (m->k[j] == NIL) {
        m->k[j] = key;
        m->v[j] = s;
        m->cnt++;
      } else if (s > m->v[j]) {
        m->v[j] = s;
      }
    }
  }

  for (size_t i = 0; i < n; i++) {
    price(&st, (uint32_t)i, 0);
    hp_set(&st, i, (uint32_t)i);
  }
  st.hn = n;
  for (size_t i = n / 4 + 1; i-- > 0;)
    hp_down(&st, i);

  if (avg_run(&st, threshold) != DEDUP_OK)
    goto out;
  /* nb[] is no longer needed: it serves as the labelling scratch */
  k = canonical(labels, st.parent, st.nb, n);
out:
  if (st.m)
    for (size_t i = 0; i < n; i++)
      if (st.m[i].own)
        dedup__free(st.m[i].v);
  dedup__free(st.m);
  dedup__free(arena_v);
  dedup__free(arena_k);
  dedup__free(st.c);
  dedup__free(st.parent);
  dedup__free(st.bound);
  dedup__free(st.nb);
  dedup__free(st.dirty);
  dedup__free(st.hp);
  dedup__free(st.pos);
  dedup__free(st.tmp);
  return k;
}
