/* lsh.c - banded LSH: parameter choice, incremental index, batch pairs.
 *
 * Two MinHash signatures of similarity s agree on each word with
 * probability s, so on a band of r words with s^r and on at least one of b
 * bands with 1-(1-s^r)^b: an S-curve stepping near (1/b)^(1/r).  A band is
 * reduced to one 64-bit key (XXH3 of its words) and items sharing a key
 * become candidates. */
#include "index/lsh.h"
#include "common/sort.h"

#include "common/dedup_private.h"
#include "common/hash.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters ------------------------------------------------------- */

/* Simpson intervals per integral (even).  The curves are smooth, so 200
 * gives the areas to ~1e-9, far below the gaps between (b, r) choices. */
enum { SIMPSON_N = 200 };

static double simpson(const double *f, double h) {
  double s = f[0] + f[SIMPSON_N];
  for (int i = 1; i < SIMPSON_N; i++)
    s += (i & 1 ? 4.0 : 2.0) * f[i];
  return s * h / 3.0;
}

void dedup__lsh_params(double t, unsigned k, double w_fp, double w_fn,
                       unsigned *b, unsigned *r) {
  assert(b && r);
  *b = *r = 0;
  if (k == 0)
    return;
  if (isnan(t))
    t = 0.5;
  t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
  if (!(w_fp >= 0.0) || !(w_fn >= 0.0) || !(w_fp + w_fn > 0.0))
    w_fp = w_fn = 0.5;
  /* log1p(-s^r) at the Simpson nodes depends on r only; for each b the
   * integrands are then one exp away: 1-(1-s^r)^b = -expm1(b log1p(-s^r))
   * (no cancellation when s^r is tiny) and (1-s^r)^b = exp(b log1p(-s^r)).
   */
  double lo[SIMPSON_N + 1], hi[SIMPSON_N + 1], f[SIMPSON_N + 1];
  double hl = t / SIMPSON_N, hh = (1.0 - t) / SIMPSON_N;
  double best = INFINITY;
  unsigned bb = 1, br = 1;
  for (unsigned rr = 1; rr <= k; rr++) {
    for (int i = 0; i <= SIMPSON_N; i++) {
      double sl = i == SIMPSON_N ? t : i * hl;
      double sh = i == SIMPSON_N ? 1.0 : t + i * hh;
      lo[i] = log1p(-pow(sl, rr));
      hi[i] = log1p(-pow(sh, rr));
    }
    for (unsigned nb = 1; nb <= k / rr; nb++) {
      for (int i = 0; i <= SIMPSON_N; i++)
        f[i] = -expm1(nb * lo[i]);
      double fp = simpson(f, hl);
      for (int i = 0; i <= SIMPSON_N; i++)
        f[i] = exp(nb * hi[i]);
      double fn = simpson(f, hh);
      double err = w_fp * fp + w_fn * fn;
      if (err < best || (err == best && (nb < bb || (nb == bb && rr < br)))) {
        best = err;
        bb = nb;
        br = rr;
      }
    }
  }
  *b = bb;
  *r = br;
}

double dedup__lsh_prob(double s, unsigned b, unsigned r) {
  if (!(s > 0.0) || b == 0)
    return 0.0;
  if (s >= 1.0)
    return 1.0;
  return -expm1(b * log1p(-pow(s, r)));
}

/* ---- band keys -------------------------------------------------------- */

/* Keys hash the words' little-endian bytes so that they are the same on
 * every machine (band keys may be grouped by other programs). */
static uint64_t band_key(const uint64_t *w, unsigned r, unsigned band) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  XXH3_state_t st;
  memset(&st, 0, sizeof st); /* reset_withSeed reads st.seed */
  XXH3_64bits_reset_withSeed(&st, band);
  for (unsigned i = 0; i < r; i++) {
    unsigned char le[8];
    for (int j = 0; j < 8; j++)
      le[j] = (unsigned char)(w[i] >> (8 * j));
    XXH3_64bits_update(&st, le, sizeof le);
  }
  return XXH3_64bits_digest(&st);
#else
  return dedup__hash(w, (size_t)r * sizeof *w, band);
#endif
}

void dedup__lsh_band_keys(uint64_t *keys, const uint64_t *sig, unsigned b,
                          unsigned r) {
  for (unsigned j = 0; j < b; j++)
    keys[j] = band_key(sig + (size_t)j * r, r, j);
}


/* ---- incremental index ------------------------------------------------ */

#define NIL UINT32_MAX
/* The head of a slot whose ids were all removed: the slot stays occupied
 * (linear probing must not stop at it) and its key may take ids again.
 * Node indices stay below it. */
#define DEAD (UINT32_MAX - 1)

/* One hash table a band: open addressing with linear probing, slots map a
 * band key to the head of a singly linked list of ids kept in a per-band
 * node pool, so an insert allocates only when an array doubles and a big
 * bucket (many exact copies) never lengthens other keys' probe runs.
 * Removed nodes go on a free list (free_nd: index + 1, 0 when empty) that
 * inserts take from first. */
typedef struct slot {
  uint64_t key;
  uint32_t head; /* NIL: empty slot; DEAD: no ids left; else a node */
  uint32_t len;  /* ids in the list */
} slot;

typedef struct node {
  uint32_t id, next;
} node;

typedef struct table {
  slot *s;
  size_t cap, used; /* cap: 0 or a power of two; used: slots not NIL */
  size_t dead;      /* of them DEAD: dropped when the table is rebuilt */
  node *nd;
  size_t n_nd, cap_nd;
  uint32_t free_nd;
} table;

struct dedup__lsh {
  unsigned b, r;
  size_t max_bucket; /* ids a bucket takes at most (0: any number) */
  table *t;
};

void dedup__lsh_set_max_bucket(dedup__lsh *l, size_t max_bucket) {
  l->max_bucket = max_bucket;
}

static size_t probe(const slot *s, size_t mask, uint64_t key) {
  /* Keys are XXH3 output: the low bits are already uniform. */
  size_t i = (size_t)key & mask;
  while (s[i].head != NIL && s[i].key != key)
    i = (i + 1) & mask;
  return i;
}

/* Makes room for one more slot: a new table without the DEAD slots (which
 * hold no ids), twice as large unless dropping them frees half of it.  So
 * inserts and removes of ever new keys (a sliding window of documents)
 * keep the table at twice the live keys, not at every key ever seen. */
static int table_grow(table *t) {
  size_t live = t->used - t->dead;
  size_t nc = t->cap && (live + 1) * 2 <= t->cap ? t->cap
              : t->cap                            ? t->cap * 2
                                                  : 16;
  if (nc > SIZE_MAX / 2 / sizeof(slot))
    return DEDUP_ENOMEM;
  slot *ns = dedup__reallocarray(NULL, nc, sizeof *ns);
  if (!ns)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < nc; i++)
    ns[i].head = NIL;
  for (size_t i = 0; i < t->cap; i++)
    if (t->s[i].head != NIL && t->s[i].head != DEAD)
      ns[probe(ns, nc - 1, t->s[i].key)] = t->s[i];
  dedup__free(t->s);
  t->s = ns;
  t->cap = nc;
  t->used = live;
  t->dead = 0;
  return DEDUP_OK;
}

int dedup__lsh_new(dedup__lsh **out, unsigned b, unsigned r) {
  assert(out);
  *out = NULL;
  if (b == 0 || r == 0)
    return DEDUP_EINVAL;
  dedup__lsh *l = dedup__malloc(sizeof *l);
  if (!l)
    return DEDUP_ENOMEM;
  l->t = dedup__calloc(b, sizeof *l->t);
  if (!l->t) {
    dedup__free(l);
    return DEDUP_ENOMEM;
  }
  l->b = b;
  l->r = r;
  l->max_bucket = 0;
  *out = l;
  return DEDUP_OK;
}

void dedup__lsh_free(dedup__lsh *l) {
  if (!l)
    return;
  for (unsigned j = 0; j < l->b; j++) {
    dedup__free(l->t[j].s);
    dedup__free(l->t[j].nd);
  }
  dedup__free(l->t);
  dedup__free(l);
}

int dedup__lsh_insert(dedup__lsh *l, uint32_t id, const uint64_t *sig) {
  assert(l && sig);
  /* Make room in every band first, so a failure leaves no partial item
   * (growing a table does not change what it holds). */
  for (unsigned j = 0; j < l->b; j++) {
    table *t = &l->t[j];
    if ((t->used + 1) * 4 > t->cap * 3 && table_grow(t) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (t->free_nd)
      continue;
    if (t->n_nd >= DEAD)
      return DEDUP_ENOMEM;
    void *p = t->nd;
    if (dedup__grow(&p, &t->cap_nd, t->n_nd, 1, sizeof *t->nd) != DEDUP_OK)
      return DEDUP_ENOMEM;
    t->nd = p;
  }
  for (unsigned j = 0; j < l->b; j++) {
    table *t = &l->t[j];
    uint64_t key = band_key(sig + (size_t)j * l->r, l->r, j);
    size_t i = probe(t->s, t->cap - 1, key);
    if (t->s[i].head == NIL) {
      t->s[i].key = key;
      t->s[i].len = 0;
      t->used++;
    } else if (t->s[i].head == DEAD) {
      t->dead--;
    } else if (l->max_bucket && t->s[i].len >= l->max_bucket) {
      continue; /* full: the ids it has stand for the key */
    }
    t->s[i].len++;
    uint32_t x;
    if (t->free_nd) {
      x = t->free_nd - 1;
      t->free_nd = t->nd[x].next;
    } else {
      x = (uint32_t)t->n_nd++;
    }
    t->nd[x].id = id;
    t->nd[x].next = t->s[i].head == DEAD ? NIL : t->s[i].head;
    t->s[i].head = x;
  }
  return DEDUP_OK;
}

size_t dedup__lsh_remove(dedup__lsh *l, uint32_t id, const uint64_t *sig) {
  assert(l && sig);
  size_t removed = 0;
  for (unsigned j = 0; j < l->b; j++) {
    table *t = &l->t[j];
    if (t->cap == 0)
      continue;
    uint64_t key = band_key(sig + (size_t)j * l->r, l->r, j);
    size_t i = probe(t->s, t->cap - 1, key);
    int occupied = t->s[i].head != NIL;
    uint32_t *link = &t->s[i].head;
    while (*link != NIL && *link != DEAD) {
      uint32_t x = *link;
      if (t->nd[x].id != id) {
        link = &t->nd[x].next;
        continue;
      }
      *link = t->nd[x].next;
      t->nd[x].next = t->free_nd;
      t->free_nd = x + 1;
      t->s[i].len--;
      removed++;
    }
    if (occupied && t->s[i].head == NIL) {
      t->s[i].head = DEAD;
      t->dead++;
    }
  }
  return removed;
}

int dedup__lsh_query(const dedup__lsh *l, const uint64_t *sig, uint32_t **ids,
                     size_t *n_ids, size_t *cap_ids) {
  assert(l && sig && ids && n_ids && cap_ids);
  size_t n = 0;
  *n_ids = 0;
  for (unsigned j = 0; j < l->b; j++) {
    const table *t = &l->t[j];
    if (t->cap == 0)
      continue;
    uint64_t key = band_key(sig + (size_t)j * l->r, l->r, j);
    size_t i = probe(t->s, t->cap - 1, key);
    for (uint32_t x = t->s[i].head; x != NIL && x != DEAD;
         x = t->nd[x].next) {
      if (n == *cap_ids) {
        void *p = *ids;
        if (dedup__grow(&p, cap_ids, n, 1, sizeof **ids) != DEDUP_OK)
          return DEDUP_ENOMEM;
        *ids = p;
      }
      (*ids)[n++] = t->nd[x].id;
    }
  }
  *n_ids = dedup__u32_sort_unique(*ids, n);
  return DEDUP_OK;
}

/* Bands walked together and the nodes of each list read ahead: a list is
 * a chain of dependent loads (one cache miss a node in a large index),
 * and walking WALK_BANDS of them a node a round, the next nodes'
 * loads started, overlaps their misses.  The ids are still appended
 * band by band, in list order, as a walk of one band after the other
 * would. */
enum { WALK_BANDS = 32, WALK_DEPTH = 16 };

int dedup__lsh_query_all(const dedup__lsh *l, const uint64_t *sig,
                         size_t max_bucket, uint32_t **ids, size_t *n_ids,
                         size_t *cap_ids) {
  assert(l && sig && ids && n_ids && cap_ids);
  size_t n = 0;
  *n_ids = 0;
  for (unsigned j0 = 0; j0 < l->b; j0 += WALK_BANDS) {
    unsigned nb = DEDUP__MIN(l->b - j0, (unsigned)WALK_BANDS);
    const table *t = l->t + j0;
    uint64_t key[WALK_BANDS];
    uint32_t at[WALK_BANDS]; /* the next node of each list (< DEAD) */
    uint32_t got[WALK_BANDS][WALK_DEPTH];
    size_t m[WALK_BANDS];
    for (unsigned k = 0; k < nb; k++) {
      if (t[k].cap == 0)
        continue;
      key[k] = band_key(sig + (size_t)(j0 + k) * l->r, l->r, j0 + k);
      __builtin_prefetch(&t[k].s[(size_t)key[k] & (t[k].cap - 1)]);
    }
    for (unsigned k = 0; k < nb; k++) {
      m[k] = 0;
      at[k] = NIL;
      if (t[k].cap == 0)
        continue;
      at[k] = t[k].s[probe(t[k].s, t[k].cap - 1, key[k])].head;
      if (at[k] < DEAD)
        __builtin_prefetch(&t[k].nd[at[k]]);
    }
    for (unsigned d = 0, more = 1; d < WALK_DEPTH && more; d++) {
      more = 0;
      for (unsigned k = 0; k < nb; k++) {
        if (at[k] >= DEAD || m[k] >= max_bucket)
          continue;
        node x = t[k].nd[at[k]];
        got[k][m[k]++] = x.id;
        at[k] = x.next;
        if (x.next < DEAD)
          __builtin_prefetch(&t[k].nd[x.next]);
        more = 1;
      }
    }
    for (unsigned k = 0; k < nb; k++) {
      void *p = *ids;
      if (m[k]) {
        if (dedup__grow(&p, cap_ids, n, m[k], sizeof **ids) != DEDUP_OK)
          return DEDUP_ENOMEM;
        *ids = p;
        memcpy(*ids + n, got[k], m[k] * sizeof **ids);
        n += m[k];
      }
      /* A list longer than WALK_DEPTH: the rest of it alone. */
      for (size_t mk = m[k]; at[k] < DEAD && mk < max_bucket;
           at[k] = t[k].nd[at[k]].next, mk++) {
        if (n == *cap_ids) {
          p = *ids;
          if (dedup__grow(&p, cap_ids, n, 1, sizeof **ids) != DEDUP_OK)
            return DEDUP_ENOMEM;
          *ids = p;
        }
        (*ids)[n++] = t[k].nd[at[k]].id;
      }
    }
  }
  *n_ids = n;
  return DEDUP_OK;
}

/* ---- to a file and back ---------------------------------------------- */

static void le32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static void le64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t rd32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint64_t rd64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

#define LSH_HEAD 8       /* b, r */
#define LSH_TABLE 36     /* cap, used, dead, n_nd, free_nd */
#define LSH_SLOT 12      /* key, head */
#define LSH_NODE 8       /* id, next */
#define LSH_CHUNK 4096   /* bytes handed to put at a time */

uint64_t dedup__lsh_bytes(const dedup__lsh *l) {
  uint64_t n = LSH_HEAD;
  for (unsigned j = 0; j < l->b; j++)
    n += LSH_TABLE + (uint64_t)l->t[j].cap * LSH_SLOT +
         (uint64_t)l->t[j].n_nd * LSH_NODE;
  return n;
}

int dedup__lsh_write(const dedup__lsh *l, dedup__put_fn put, void *ctx) {
  unsigned char buf[LSH_CHUNK];
  int rc;
  le32(buf, l->b);
  le32(buf + 4, l->r);
  if ((rc = put(ctx, buf, LSH_HEAD)) != DEDUP_OK)
    return rc;
  for (unsigned j = 0; j < l->b; j++) {
    const table *t = &l->t[j];
    le64(buf, t->cap);
    le64(buf + 8, t->used);
    le64(buf + 16, t->dead);
    le64(buf + 24, t->n_nd);
    le32(buf + 32, t->free_nd);
    if ((rc = put(ctx, buf, LSH_TABLE)) != DEDUP_OK)
      return rc;
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++) {
      /* An empty slot's key is whatever the memory held: 0 instead, so
       * the file says nothing of the heap and equal tables write equal
       * bytes. */
      le64(buf + k, t->s[i].head == NIL ? 0 : t->s[i].key);
      le32(buf + k + 8, t->s[i].head);
      k += LSH_SLOT;
      if (k + LSH_SLOT > sizeof buf || i + 1 == t->cap) {
        if ((rc = put(ctx, buf, k)) != DEDUP_OK)
          return rc;
        k = 0;
      }
    }
    for (size_t i = 0; i < t->n_nd; i++) {
      le32(buf + k, t->nd[i].id);
      le32(buf + k + 4, t->nd[i].next);
      k += LSH_NODE;
      if (k + LSH_NODE > sizeof buf || i + 1 == t->n_nd) {
        if ((rc = put(ctx, buf, k)) != DEDUP_OK)
          return rc;
        k = 0;
      }
    }
  }
  return DEDUP_OK;
}

/* Probe steps a loaded table may take in all to find each of its keys:
 * at the 3/4 load inserts keep, linear probing takes 2.5 steps a key on
 * average, so this is far beyond any table inserts made, and it bounds
 * the time a crafted file (one long run of colliding keys) costs. */
#define PROBE_BUDGET(cap) (64 * (uint64_t)(cap) + 65536)

/* What a table must be for every probe and list walk to end and every
 * removal to find what it removes: counts as the slots say, room to
 * spare, every key where a probe for it stops (so no key twice; within
 * a budget), every node on exactly one list (so each list ends), every
 * id allowed and under the key its band's words give.  w: r words of
 * scratch. */
static int table_check(const table *t, unsigned band, unsigned r,
                       dedup__band_fn words, void *ctx, uint64_t *w) {
  if ((t->cap & (t->cap - 1)) || t->used > t->cap ||
      t->used * 4 > t->cap * 3 || t->dead > t->used ||
      t->n_nd >= DEAD || t->free_nd > t->n_nd)
    return DEDUP_EFORMAT;
  size_t n_used = 0, n_dead = 0;
  for (size_t i = 0; i < t->cap; i++) {
    uint32_t h = t->s[i].head;
    if (h != NIL && h != DEAD && h >= t->n_nd)
      return DEDUP_EFORMAT;
    n_used += h != NIL;
    n_dead += h == DEAD;
  }
  if (n_used != t->used || n_dead != t->dead)
    return DEDUP_EFORMAT;
  uint64_t steps = 0, budget = PROBE_BUDGET(t->cap);
  size_t mask = t->cap - 1;
  for (size_t i = 0; i < t->cap; i++) {
    if (t->s[i].head == NIL)
      continue;
    size_t k = (size_t)t->s[i].key & mask;
    while (k != i) {
      if (t->s[k].head == NIL || t->s[k].key == t->s[i].key ||
          ++steps > budget)
        return DEDUP_EFORMAT;
      k = (k + 1) & mask;
    }
  }
  unsigned char *seen = dedup__calloc(t->n_nd ? t->n_nd : 1, 1);
  if (!seen)
    return DEDUP_ENOMEM;
  size_t reached = 0;
  int rc = DEDUP_EFORMAT;
  for (size_t i = 0; i < t->cap; i++) {
    for (uint32_t x = t->s[i].head; x != NIL && x != DEAD;
         x = t->nd[x].next) {
      if (x >= t->n_nd || seen[x] || !words(ctx, t->nd[x].id, band, w) ||
          band_key(w, r, band) != t->s[i].key)
        goto out;
      seen[x] = 1;
      reached++;
    }
  }
  for (uint32_t f = t->free_nd; f; f = t->nd[f - 1].next) {
    if (f > t->n_nd || seen[f - 1])
      goto out;
    seen[f - 1] = 1;
    reached++;
  }
  if (reached == t->n_nd)
    rc = DEDUP_OK;
out:
  dedup__free(seen);
  return rc;
}

int dedup__lsh_check(const dedup__lsh *l, dedup__band_fn words, void *ctx) {
  uint64_t *w = dedup__reallocarray(NULL, l->r, sizeof *w);
  if (!w)
    return DEDUP_ENOMEM;
  int rc = DEDUP_OK;
  for (unsigned j = 0; j < l->b && rc == DEDUP_OK; j++)
    rc = table_check(&l->t[j], j, l->r, words, ctx, w);
  dedup__free(w);
  return rc;
}

/* Reads and checks band table t from p[0..len) (*used: bytes taken). */
static int table_read(table *t, unsigned band, unsigned r,
                      const unsigned char *p, size_t len, size_t *used,
                      dedup__band_fn words, void *ctx, uint64_t *w) {
  if (len < LSH_TABLE)
    return DEDUP_EFORMAT;
  uint64_t cap = rd64(p), nused = rd64(p + 8), ndead = rd64(p + 16);
  uint64_t n_nd = rd64(p + 24);
  uint32_t free_nd = rd32(p + 32);
  p += LSH_TABLE;
  len -= LSH_TABLE;
  /* Sizes against the bytes there before anything is allocated. */
  if (cap > len / LSH_SLOT || n_nd > (len - cap * LSH_SLOT) / LSH_NODE ||
      n_nd >= DEAD)
    return DEDUP_EFORMAT;
  /* cap 0 or a power of two; inserts keep used <= 3/4 cap, so a probe
   * always meets an empty slot. */
  if ((cap & (cap - 1)) || nused > cap || nused * 4 > cap * 3 ||
      ndead > nused || (!cap && (n_nd || free_nd)) || free_nd > n_nd)
    return DEDUP_EFORMAT;
  *used = LSH_TABLE + (size_t)cap * LSH_SLOT + (size_t)n_nd * LSH_NODE;
  if (cap) {
    t->s = dedup__reallocarray(NULL, (size_t)cap, sizeof *t->s);
    if (!t->s)
      return DEDUP_ENOMEM;
  }
  if (n_nd) {
    t->nd = dedup__reallocarray(NULL, (size_t)n_nd, sizeof *t->nd);
    if (!t->nd)
      return DEDUP_ENOMEM;
  }
  t->cap = (size_t)cap;
  t->cap_nd = t->n_nd = (size_t)n_nd;
  t->free_nd = free_nd;
  t->used = (size_t)nused;
  t->dead = (size_t)ndead;
  size_t n_used = 0, n_dead = 0;
  for (size_t i = 0; i < t->cap; i++, p += LSH_SLOT) {
    t->s[i].key = rd64(p);
    t->s[i].head = rd32(p + 8);
    uint32_t h = t->s[i].head;
    if (h == NIL && t->s[i].key)
      return DEDUP_EFORMAT;
    if (h != NIL && h != DEAD && h >= n_nd)
      return DEDUP_EFORMAT;
    n_used += h != NIL;
    n_dead += h == DEAD;
  }
  for (size_t i = 0; i < t->n_nd; i++, p += LSH_NODE) {
    t->nd[i].id = rd32(p);
    t->nd[i].next = rd32(p + 4);
  }
  if (n_used != t->used || n_dead != t->dead)
    return DEDUP_EFORMAT;
  return table_check(t, band, r, words, ctx, w);
}

int dedup__lsh_read(dedup__lsh **out, unsigned b, unsigned r,
                    const unsigned char *buf, size_t len,
                    dedup__band_fn words, void *ctx) {
  assert(out);
  *out = NULL;
  if (len < LSH_HEAD || rd32(buf) != b || rd32(buf + 4) != r)
    return DEDUP_EFORMAT;
  dedup__lsh *l;
  int rc = dedup__lsh_new(&l, b, r);
  if (rc != DEDUP_OK)
    return rc == DEDUP_EINVAL ? DEDUP_EFORMAT : rc;
  uint64_t *w = dedup__reallocarray(NULL, r, sizeof *w);
  if (!w)
    rc = DEDUP_ENOMEM;
  size_t at = LSH_HEAD;
  for (unsigned j = 0; j < b && rc == DEDUP_OK; j++) {
    size_t used = 0;
    rc = table_read(&l->t[j], j, r, buf + at, len - at, &used, words, ctx,
                    w);
    at += used;
  }
  dedup__free(w);
  if (rc == DEDUP_OK && at != len)
    rc = DEDUP_EFORMAT;
  if (rc != DEDUP_OK) {
    dedup__lsh_free(l);
    return rc;
  }
  *out = l;
  return DEDUP_OK;
}

/* ---- batch pairs ------------------------------------------------------ */

void dedup__pairvec_free(dedup__pairvec *pv) {
  if (!pv)
    return;
  dedup__free(pv->v);
  pv->v = NULL;
  pv->n = pv->cap = 0;
}

/* Band keys computed per pass at most (at least one band's worth). */
#define KEY_BUDGET ((size_t)64 << 20)

typedef dedup__kid kid;


/* Pairs (a << 32 | b) of one run of equal keys, ids ascending. */
static int emit_run(dedup__u64vec *acc, const kid *e, size_t m,
                    size_t max_bucket) {
  size_t w = m <= max_bucket ? m - 1 : max_bucket;
  for (size_t i = 0; i + 1 < m; i++) {
    size_t cnt = DEDUP__MIN(w, m - 1 - i);
    if (dedup__u64vec_reserve(acc, cnt) != DEDUP_OK)
      return DEDUP_ENOMEM;
    uint64_t hi = (uint64_t)e[i].id << 32, *o = acc->v + acc->n;
    for (size_t j = 0; j < cnt; j++)
      o[j] = hi | e[i + 1 + j].id;
    acc->n += cnt;
  }
  return DEDUP_OK;
}


/* acc[0..done) is sorted and unique: sorts and deduplicates the rest and
 * merges it in.  tmp is scratch grown to acc->n words; the two swap. */
static int compact(dedup__u64vec *acc, dedup__u64vec *tmp, size_t done) {
  if (acc->n > tmp->cap && dedup__u64vec_reserve(tmp, acc->n) != DEDUP_OK)
    return DEDUP_ENOMEM;
  uint64_t *a = acc->v, *t = acc->v + done, *o = tmp->v;
  size_t m = acc->n - done, i = 0, j = 0, k = 0;
  dedup__u64_radix(t, o, m);
  m = dedup__u64_unique(t, m);
  while (i < done && j < m) {
    uint64_t x = a[i] <= t[j] ? a[i] : t[j];
    i += a[i] == x;
    j += t[j] == x;
    o[k++] = x;
  }
  while (i < done)
    o[k++] = a[i++];
  while (j < m)
    o[k++] = t[j++];
  dedup__u64vec sw = *acc;
  *acc = *tmp;
  *tmp = sw;
  acc->n = k;
  tmp->n = 0;
  return DEDUP_OK;
}

/* Emits the pairs of one band whose keys are keys[0..n) (item i's at i).
 * One MSD radix pass on the keys' top bits (about two items a bucket),
 * then a tiny sort per bucket, puts equal keys next to each other with
 * ascending ids. */
static int band_pairs(dedup__u64vec *acc, const uint64_t *keys, size_t n,
                      kid *ent, uint32_t *cnt, unsigned bits,
                      size_t max_bucket) {
  size_t nq = (size_t)1 << bits;
  unsigned shift = 64 - bits;
  memset(cnt, 0, nq * sizeof *cnt);
  for (size_t i = 0; i < n; i++)
    cnt[keys[i] >> shift]++;
  uint32_t sum = 0;
  for (size_t q = 0; q < nq; q++) {
    uint32_t c = cnt[q];
    cnt[q] = sum;
    sum += c;
  }
  for (size_t i = 0; i < n; i++) {
    kid *e = &ent[cnt[keys[i] >> shift]++];
    e->key = keys[i];
    e->id = (uint32_t)i;
  }
  /* cnt[q] is now the end of bucket q. */
  size_t s = 0;
  for (size_t q = 0; q < nq; q++) {
    size_t e = cnt[q];
    if (e - s >= 2) {
      dedup__kid_sort(ent + s, e - s);
      for (size_t x = s, y; x < e; x = y) {
        for (y = x + 1; y < e && ent[y].key == ent[x].key; y++)
          ;
        if (y - x > 1 && emit_run(acc, ent + x, y - x, max_bucket))
          return DEDUP_ENOMEM;
      }
    }
    s = e;
  }
  return DEDUP_OK;
}

_Static_assert(sizeof(dedup__pair) == sizeof(uint64_t),
               "pairs are converted in place from packed words");

int dedup__lsh_pairs(dedup__pairvec *out, const uint64_t *sigs, size_t n,
                     size_t stride, unsigned b, unsigned r,
                     size_t max_bucket) {
  assert(out);
  dedup__pairvec_free(out);
  if (b == 0 || r == 0 || n > UINT32_MAX)
    return DEDUP_EINVAL;
  if (n < 2)
    return DEDUP_OK;
  assert(sigs && stride >= (size_t)b * r);
  if (max_bucket == 0)
    max_bucket = SIZE_MAX;

  /* Band keys are computed for g bands at a time, item by item: reading
   * a signature's bands together is several times faster than a strided
   * pass per band.  g keeps the keys within KEY_BUDGET bytes. */
  size_t g = KEY_BUDGET / (n * sizeof(uint64_t));
  g = g < 1 ? 1 : g > b ? b : g;
  unsigned bits = 1;
  while (bits < 18 && ((size_t)1 << bits) < n / 2)
    bits++;
  uint64_t *keys = dedup__reallocarray(NULL, n * g, sizeof *keys);
  kid *ent = dedup__reallocarray(NULL, n, sizeof *ent);
  uint32_t *cnt = dedup__reallocarray(NULL, (size_t)1 << bits, sizeof *cnt);
  dedup__u64vec acc = {0}, tmp = {0};
  size_t done = 0; /* acc[0..done) is sorted and unique */
  int rc = DEDUP_ENOMEM;
  if (!keys || !ent || !cnt)
    goto out;

  for (unsigned j0 = 0; j0 < b; j0 += (unsigned)g) {
    unsigned gn = (unsigned)DEDUP__MIN(g, (size_t)(b - j0));
    for (size_t i = 0; i < n; i++) {
      const uint64_t *w = sigs + i * stride + (size_t)j0 * r;
      for (unsigned t = 0; t < gn; t++)
        keys[t * n + i] = band_key(w + (size_t)t * r, r, j0 + t);
    }
    for (unsigned t = 0; t < gn; t++) {
      if (band_pairs(&acc, keys + t * n, n, ent, cnt, bits, max_bucket))
        goto out;
      /* True duplicates share most bands; deduplicate whenever the raw
       * list has doubled, so memory stays near twice the distinct pairs. */
      if (acc.n > 65536 && acc.n > 2 * done) {
        if (compact(&acc, &tmp, done) != DEDUP_OK)
          goto out;
        done = acc.n;
      }
    }
  }
  if (acc.n != done && compact(&acc, &tmp, done) != DEDUP_OK)
    goto out;

  dedup__pair *pv = (dedup__pair *)(void *)acc.v;
  for (size_t i = 0; i < acc.n; i++) {
    uint64_t x = acc.v[i];
    dedup__pair p = {(uint32_t)(x >> 32), (uint32_t)x};
    memcpy(&pv[i], &p, sizeof p);
  }
  out->v = pv;
  out->n = acc.n;
  out->cap = acc.cap;
  acc.v = NULL;
  rc = DEDUP_OK;
out:
  dedup__u64vec_free(&acc);
  dedup__u64vec_free(&tmp);
  dedup__free(keys);
  dedup__free(ent);
  dedup__free(cnt);
  return rc;
}

/* ---- public API (dedup.h) --------------------------------------------- */

struct dedup_lsh {
  dedup__lsh *in;
};

DEDUP_API int dedup_lsh_new(dedup_lsh **out, double threshold, unsigned k) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  if (!(threshold > 0 && threshold < 1) || k == 0 || k > 4096)
    return DEDUP_EINVAL;
  unsigned b, r;
  dedup__lsh_params(threshold, k, 0.5, 0.5, &b, &r);
  dedup_lsh *l = dedup__malloc(sizeof *l);
  if (!l)
    return DEDUP_ENOMEM;
  int rc = dedup__lsh_new(&l->in, b, r);
  if (rc != DEDUP_OK) {
    dedup__free(l);
    return rc;
  }
  *out = l;
  return DEDUP_OK;
}

DEDUP_API void dedup_lsh_free(dedup_lsh *l) {
  if (!l)
    return;
  dedup__lsh_free(l->in);
  dedup__free(l);
}

DEDUP_API void dedup_lsh_shape(const dedup_lsh *l, unsigned *bands,
                               unsigned *rows) {
  if (!l) {
    if (bands)
      *bands = 0;
    if (rows)
      *rows = 0;
    return;
  }
  if (bands)
    *bands = l->in->b;
  if (rows)
    *rows = l->in->r;
}

DEDUP_API int dedup_lsh_insert(dedup_lsh *l, uint32_t id,
                               const uint64_t *sig) {
  if (!l || !sig)
    return DEDUP_EINVAL;
  return dedup__lsh_insert(l->in, id, sig);
}

DEDUP_API int dedup_lsh_query(const dedup_lsh *l, const uint64_t *sig,
                              uint32_t **ids, size_t *n) {
  size_t cap = 0;
  if (!ids || !n)
    return DEDUP_EINVAL;
  *ids = NULL;
  *n = 0;
  if (!l || !sig)
    return DEDUP_EINVAL;
  int rc = dedup__lsh_query(l->in, sig, ids, n, &cap);
  if (rc != DEDUP_OK || *n == 0) {
    dedup__free(*ids);
    *ids = NULL;
    *n = 0;
  }
  return rc;
}

DEDUP_API int dedup_lsh_remove(dedup_lsh *l, uint32_t id,
                               const uint64_t *sig) {
  if (!l || !sig)
    return DEDUP_EINVAL;
  return dedup__lsh_remove(l->in, id, sig) ? DEDUP_OK : DEDUP_EINVAL;
}
