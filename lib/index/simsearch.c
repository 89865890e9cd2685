/* simsearch.c - SimHash near-neighbour search within Hamming distance k:
 * Manku, Jain and Das Sarma's permuted blocks (WWW 2007).
 *
 * The 64 bits are cut into b > k blocks.  Two fingerprints within
 * distance k differ in at most k blocks, so they agree exactly on at
 * least s = b - k of them (pigeonhole).  For each of the C(b, s) choices
 * of s blocks (a "table") the fingerprints are permuted so those blocks
 * come first, radix-sorted on them, and only fingerprints of one run of
 * equal leading blocks are compared.  A pair within k collides in every
 * table whose blocks lie in E, the set of blocks where the two agree; it
 * is emitted only by the first such table (first[E], a table of 2^b
 * entries), so each pair comes out once without a set of pairs seen.
 * Candidates are verified as their run is scanned: nothing but the
 * matches is ever stored.
 *
 * b trades tables (a sort of n entries each) against run lengths (about
 * n / 2^bits for random fingerprints, bits the width of the s blocks):
 * at 1M fingerprints and k = 3, b = 4 gives 4 tables of 16-bit keys and
 * ~30M candidates, b = 5 10 tables of 25-26 bits and almost none.  The
 * cost model below picks it (figures in bench/README.md). */
#include "index/simsearch.h"

#include "common/sort.h"
#include "sketch/simhash.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* A plan: b blocks, the tables' block sets and, per table, where each
 * block goes in the permuted word. */
typedef struct plan {
  unsigned b, k, tables;
  unsigned lo[DEDUP__SS_MAX_BLOCKS]; /* block j is bits lo[j] .. */
  uint64_t mask[DEDUP__SS_MAX_BLOCKS]; /* .. of (f >> lo[j]) & mask[j] */
  uint8_t *dst;   /* [tables][b]: block j lands at bit dst */
  uint8_t *bits;  /* [tables]: key width (the leading s blocks) */
  uint16_t *first; /* [2^b]: first table whose blocks are all in E */
} plan;

/* Entry of a table: the permuted fingerprint and its index. */
typedef struct ent {
  uint64_t f;
  uint32_t id;
} ent;

static double binom(unsigned n, unsigned r) {
  double c = 1;
  for (unsigned i = 0; i < r; i++)
    c = c * (n - i) / (i + 1);
  return c;
}

static unsigned width(unsigned b, unsigned j) {
  return (j + 1) * 64 / b - j * 64 / b;
}

/* Narrowest key of any table: the s narrowest blocks (64 % b of the b
 * blocks are one bit wider than the others). */
static unsigned min_bits(unsigned b, unsigned s) {
  unsigned narrow = b - 64 % b;
  return s * (64 / b) + (s > narrow ? s - narrow : 0);
}

static unsigned radix_passes(unsigned bits) { return (bits + 10) / 11; }

/* Cost in units of ~5 ns on one core: each table fills and scans n
 * entries (1 unit each) and sorts them (1 unit an entry per radix pass:
 * a pass moves 16 bytes an entry), and each candidate in a run costs
 * 1.2 (a popcount, and a mispredicted branch at each run's end).
 * Measured at 1M random fingerprints, k = 3, one core: b = 4 0.25 s
 * (30M candidates), b = 5 0.20 s, b = 6 0.43 s; the model picks 5. */
static double pair_cost(size_t n, unsigned b, unsigned k) {
  double nn = (double)n;
  if (b <= k || b > DEDUP__SS_MAX_BLOCKS) /* brute force */
    return 1.2 * nn * nn / 2;
  unsigned s = b - k, bits = min_bits(b, s);
  double tables = binom(b, s);
  double cand = nn * nn / 2 * ldexp(1.0, -(int)bits);
  return tables * (nn * (1.0 + radix_passes(bits)) + 1.2 * cand);
}

unsigned dedup__simsearch_blocks(size_t n, unsigned k) {
  unsigned best = 0;
  if (k >= DEDUP__SS_MAX_BLOCKS) /* and k + 1 cannot wrap below */
    return 0;
  double cost = pair_cost(n, 0, k);
  for (unsigned b = k + 1; b <= DEDUP__SS_MAX_BLOCKS; b++) {
    double c = pair_cost(n, b, k);
    if (c < cost) {
      cost = c;
      best = b;
    }
  }
  return best;
}

unsigned dedup__simsearch_index_blocks(size_t n, unsigned k) {
  double nn = (double)n, lg = log2(nn + 1) + 1;
  unsigned best = 0;
  double cost = nn; /* brute force: one scan */
  if (k >= DEDUP__SS_MAX_BLOCKS)
    return 0;
  for (unsigned b = k + 1; b <= DEDUP__SS_MAX_BLOCKS; b++) {
    unsigned s = b - k;
    double tables = binom(b, s);
    if (tables > 2.0 * (k + 1))
      break; /* more tables only grow from here */
    double c = tables * (lg + nn * ldexp(1.0, -(int)min_bits(b, s)));
    if (c < cost) {
      cost = c;
      best = b;
    }
  }
  return best;
}

static void plan_free(plan *p) {
  dedup__free(p->dst);
  dedup__free(p->bits);
  dedup__free(p->first);
  memset(p, 0, sizeof *p);
}

/* Builds the plan of b blocks at distance k; b outside (k, MAX] is brute
 * force: one block of 64 bits and one table with an empty key, so every
 * pair is in the one run. */
static int plan_make(plan *p, unsigned b, unsigned k) {
  memset(p, 0, sizeof *p);
  unsigned s;
  if (b <= k || b > DEDUP__SS_MAX_BLOCKS) {
    b = 1;
    s = 0;
  } else {
    s = b - k;
  }
  p->b = b;
  p->k = k;
  p->tables = (unsigned)binom(b, s);
  for (unsigned j = 0; j < b; j++) {
    unsigned w = width(b, j);
    p->lo[j] = j * 64 / b;
    p->mask[j] = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
  }
  p->dst = dedup__malloc((size_t)p->tables * b);
  p->bits = dedup__malloc(p->tables);
  p->first = dedup__malloc(((size_t)1 << b) * sizeof *p->first);
  if (!p->dst || !p->bits || !p->first) {
    plan_free(p);
    return DEDUP_ENOMEM;
  }
  /* Tables are the s-subsets of blocks in ascending order of their bit
   * masks (Gosper's hack); table t puts its blocks first, in block
   * order, then the others. */
  uint32_t full = (uint32_t)((1u << b) - 1);
  uint32_t *sel = dedup__malloc(p->tables * sizeof *sel);
  if (!sel) {
    plan_free(p);
    return DEDUP_ENOMEM;
  }
  uint32_t m = (1u << s) - 1;
  for (unsigned t = 0; t < p->tables; t++) {
    sel[t] = m;
    unsigned top = 64, kb = 0;
    for (int pass = 0; pass < 2; pass++)
      for (unsigned j = 0; j < b; j++)
        if (((m >> j) & 1) == (pass == 0 ? 1u : 0u)) {
          top -= width(b, j);
          p->dst[(size_t)t * b + j] = (uint8_t)top;
          if (pass == 0)
            kb += width(b, j);
        }
    p->bits[t] = (uint8_t)kb;
    if (m) {
      uint32_t c = m & -m, r = m + c;
      m = (((r ^ m) >> 2) / c) | r;
    }
  }
  for (uint32_t e = 0; e <= full; e++) {
    p->first[e] = UINT16_MAX; /* E holds no table: not within k */
    for (unsigned t = 0; t < p->tables; t++)
      if ((sel[t] & ~e) == 0) {
        p->first[e] = (uint16_t)t;
        break;
      }
  }
  dedup__free(sel);
  return DEDUP_OK;
}

static inline uint64_t permute(const plan *p, unsigned t, uint64_t f) {
  const uint8_t *d = p->dst + (size_t)t * p->b;
  uint64_t o = 0;
  for (unsigned j = 0; j < p->b; j++)
    o |= ((f >> p->lo[j]) & p->mask[j]) << d[j];
  return o;
}

/* The table a pair within k is emitted by: x is the xor of the two
 * permuted words of table t (the blocks' places are t's). */
static inline unsigned owner(const plan *p, unsigned t, uint64_t x) {
  const uint8_t *d = p->dst + (size_t)t * p->b;
  uint32_t e = 0;
  for (unsigned j = 0; j < p->b; j++)
    e |= (uint32_t)(((x >> d[j]) & p->mask[j]) == 0) << j;
  return p->first[e];
}

static inline uint64_t key_of(uint64_t f, unsigned bits) {
  return bits ? f >> (64 - bits) : 0;
}

/* Stable LSD radix sort of a[0..n) on the top `bits` bits of f, digits
 * of at most 11 bits (2048 counters stay in L1); passes where every
 * entry has one digit are skipped.  cnt holds 6 * 2048 counters.  The
 * result is in a or tmp: returned. */
static ent *radix(ent *a, ent *tmp, size_t n, unsigned bits, uint32_t *cnt) {
  if (bits == 0 || n < 2)
    return a;
  unsigned passes = radix_passes(bits);
  unsigned w = (bits + passes - 1) / passes;
  size_t nb = (size_t)1 << w;
  uint64_t dm = nb - 1;
  memset(cnt, 0, passes * nb * sizeof *cnt);
  for (size_t i = 0; i < n; i++) {
    uint64_t k = key_of(a[i].f, bits);
    for (unsigned q = 0; q < passes; q++)
      cnt[q * nb + ((k >> (q * w)) & dm)]++;
  }
  for (unsigned q = 0; q < passes; q++) {
    uint32_t *c = cnt + q * nb;
    uint64_t d0 = (key_of(a[0].f, bits) >> (q * w)) & dm;
    if (c[d0] == n)
      continue;
    uint32_t sum = 0;
    for (size_t d = 0; d < nb; d++) {
      uint32_t x = c[d];
      c[d] = sum;
      sum += x;
    }
    for (size_t i = 0; i < n; i++) {
      uint64_t d = (key_of(a[i].f, bits) >> (q * w)) & dm;
      tmp[c[d]++] = a[i];
    }
    ent *t = a;
    a = tmp;
    tmp = t;
  }
  return a;
}

/* Fills and sorts table t: the permuted fingerprints in key order. */
static ent *table_sorted(const plan *p, unsigned t, const uint64_t *fp,
                         size_t n, ent *a, ent *tmp, uint32_t *cnt) {
  for (size_t i = 0; i < n; i++)
    a[i] = (ent){permute(p, t, fp[i]), (uint32_t)i};
  return radix(a, tmp, n, p->bits[t], cnt);
}

#define CNT_WORDS (6 * 2048)

typedef struct worker {
  ent *a, *tmp;
  uint32_t *cnt;
} worker;

typedef struct pairs_ctx {
  const plan *p;
  const uint64_t *fp;
  size_t n;
  worker *w;
  dedup__u64vec *out; /* per table */
} pairs_ctx;

static int pairs_table(void *vctx, unsigned wi, size_t ti) {
  pairs_ctx *c = vctx;
  const plan *p = c->p;
  unsigned t = (unsigned)ti, k = p->k, bits = p->bits[t];
  size_t n = c->n;
  worker *w = &c->w[wi];
  if (!w->a) { /* each worker's scratch, made on its first table */
    w->a = dedup__reallocarray(NULL, n, sizeof *w->a);
    w->tmp = dedup__reallocarray(NULL, n, sizeof *w->tmp);
    w->cnt = dedup__malloc(CNT_WORDS * sizeof *w->cnt);
    if (!w->a || !w->tmp || !w->cnt)
      return DEDUP_ENOMEM;
    dedup__hint_huge(w->a, n * sizeof *w->a);
    dedup__hint_huge(w->tmp, n * sizeof *w->tmp);
  }
  const ent *a = table_sorted(p, t, c->fp, n, w->a, w->tmp, w->cnt);
  dedup__u64vec *o = &c->out[t];
  for (size_t s = 0; s < n;) {
    uint64_t key = key_of(a[s].f, bits);
    size_t e = s + 1;
    while (e < n && key_of(a[e].f, bits) == key)
      e++;
    for (size_t i = s; i + 1 < e; i++)
      for (size_t j = i + 1; j < e; j++) {
        uint64_t x = a[i].f ^ a[j].f;
        if (dedup__popcount64(x) > k || owner(p, t, x) != t)
          continue;
        uint32_t u = a[i].id, v = a[j].id;
        if (u > v) {
          uint32_t z = u;
          u = v;
          v = z;
        }
        if (dedup__u64vec_push(o, (uint64_t)u << 32 | v) != DEDUP_OK)
          return DEDUP_ENOMEM;
      }
    s = e;
  }
  return DEDUP_OK;
}

int dedup__simsearch_pairs(dedup__u64vec *out, const uint64_t *fp, size_t n,
                           unsigned k, unsigned threads, unsigned blocks) {
  dedup__u64vec_free(out);
  if (n > UINT32_MAX)
    return DEDUP_ETOOBIG;
  if (n < 2)
    return DEDUP_OK;
  plan p;
  int rc = plan_make(&p, blocks, k);
  if (rc != DEDUP_OK)
    return rc;
  if (threads == 0)
    threads = dedup__cpu_count();
  /* Workers beyond the tables would idle, each with 32 n bytes. */
  threads = DEDUP__MIN(threads, p.tables);
  worker *w = dedup__calloc(threads, sizeof *w);
  dedup__u64vec *tab = dedup__calloc(p.tables, sizeof *tab);
  rc = DEDUP_ENOMEM;
  if (w && tab) {
    pairs_ctx c = {&p, fp, n, w, tab};
    rc = dedup__parallel_for(threads, p.tables, pairs_table, &c);
  }
  for (unsigned i = 0; w && i < threads; i++) {
    dedup__free(w[i].a);
    dedup__free(w[i].tmp);
    dedup__free(w[i].cnt);
  }
  dedup__free(w);
  if (rc == DEDUP_OK) {
    /* Grow the first table's list to hold all, freeing each other list
     * as it is copied, so the pairs are held about once. */
    size_t total = 0;
    for (unsigned t = 0; t < p.tables; t++)
      total += tab[t].n;
    if (dedup__u64vec_reserve(&tab[0], total - tab[0].n) != DEDUP_OK) {
      rc = DEDUP_ENOMEM;
    } else {
      for (unsigned t = 1; t < p.tables; t++) {
        if (tab[t].n)
          memcpy(tab[0].v + tab[0].n, tab[t].v, tab[t].n * sizeof *tab[t].v);
        tab[0].n += tab[t].n;
        dedup__u64vec_free(&tab[t]);
      }
      /* Each pair came from one table only, so this only orders them:
       * (i, j) order whatever the threads did. */
      size_t m = tab[0].n;
      dedup__u64_sort_unique(tab[0].v, &tab[0].n);
      assert(tab[0].n == m);
      (void)m;
      *out = tab[0];
      tab[0] = (dedup__u64vec){0};
    }
  }
  for (unsigned t = 0; tab && t < p.tables; t++)
    dedup__u64vec_free(&tab[t]);
  dedup__free(tab);
  plan_free(&p);
  return rc;
}

/* ---- public API (dedup.h) --------------------------------------------- */

DEDUP_API int dedup_simhash_pairs(dedup_pair **pairs, size_t *n_pairs,
                                  const uint64_t *fp, size_t n,
                                  unsigned max_distance, unsigned threads) {
  if (pairs)
    *pairs = NULL;
  if (n_pairs)
    *n_pairs = 0;
  if (!pairs || !n_pairs || (!fp && n > 0))
    return DEDUP_EINVAL;
  dedup__u64vec v = {0};
  int rc = dedup__simsearch_pairs(&v, fp, n, max_distance, threads,
                                  dedup__simsearch_blocks(n, max_distance));
  if (rc != DEDUP_OK || v.n == 0) {
    dedup__u64vec_free(&v);
    return rc;
  }
  /* In place: a dedup_pair is 8 bytes, as the packed word it comes from. */
  dedup_pair *pv = (dedup_pair *)(void *)v.v;
  for (size_t i = 0; i < v.n; i++) {
    uint64_t x = v.v[i];
    dedup_pair q = {(uint32_t)(x >> 32), (uint32_t)x};
    memcpy(&pv[i], &q, sizeof q);
  }
  *pairs = pv;
  *n_pairs = v.n;
  return DEDUP_OK;
}

struct dedup_simhash_index {
  plan p;
  size_t n;
  uint64_t *f;  /* [tables][n]: permuted fingerprints in key order */
  uint32_t *id; /* [tables][n]: their indexes */
  /* [tables][2^d + 1]: where each value of the top d bits starts, so a
   * query goes straight to its key's run (a binary search over 1M
   * entries is ~20 cache misses a table).  d <= the narrowest key and
   * about log2 n, so it costs at most 4 bytes an entry. */
  uint32_t *dir;
  unsigned d;
};

DEDUP_API void dedup_simhash_index_free(dedup_simhash_index *x) {
  if (!x)
    return;
  plan_free(&x->p);
  dedup__free(x->f);
  dedup__free(x->id);
  dedup__free(x->dir);
  dedup__free(x);
}

DEDUP_API int dedup_simhash_index_new(dedup_simhash_index **out,
                                      const uint64_t *fp, size_t n,
                                      unsigned max_distance) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  if (!fp && n > 0)
    return DEDUP_EINVAL;
  if (n > UINT32_MAX)
    return DEDUP_ETOOBIG;
  dedup_simhash_index *x = dedup__calloc(1, sizeof *x);
  if (!x)
    return DEDUP_ENOMEM;
  int rc = plan_make(&x->p, dedup__simsearch_index_blocks(n, max_distance),
                     max_distance);
  if (rc != DEDUP_OK) {
    dedup__free(x);
    return rc;
  }
  x->n = n;
  unsigned kb = 64;
  for (unsigned t = 0; t < x->p.tables; t++)
    kb = DEDUP__MIN(kb, (unsigned)x->p.bits[t]);
  while (x->d < kb && x->d < 30 && ((size_t)1 << x->d) < n)
    x->d++;
  size_t m = n ? n : 1, tn = (size_t)x->p.tables * m;
  size_t dn = ((size_t)1 << x->d) + 1;
  x->f = dedup__reallocarray(NULL, tn, sizeof *x->f);
  x->id = dedup__reallocarray(NULL, tn, sizeof *x->id);
  x->dir = dedup__reallocarray(NULL, (size_t)x->p.tables * dn, sizeof *x->dir);
  ent *a = dedup__reallocarray(NULL, m, sizeof *a);
  ent *tmp = dedup__reallocarray(NULL, m, sizeof *tmp);
  uint32_t *cnt = dedup__malloc(CNT_WORDS * sizeof *cnt);
  rc = DEDUP_ENOMEM;
  if (x->f && x->id && x->dir && a && tmp && cnt) {
    for (unsigned t = 0; t < x->p.tables; t++) {
      const ent *s = table_sorted(&x->p, t, fp, n, a, tmp, cnt);
      uint32_t *dir = x->dir + (size_t)t * dn;
      size_t c = 0;
      for (size_t i = 0; i < n; i++) {
        x->f[(size_t)t * n + i] = s[i].f;
        x->id[(size_t)t * n + i] = s[i].id;
        for (uint64_t top = key_of(s[i].f, x->d); c <= top; c++)
          dir[c] = (uint32_t)i;
      }
      for (; c < dn; c++)
        dir[c] = (uint32_t)n;
    }
    rc = DEDUP_OK;
  }
  dedup__free(a);
  dedup__free(tmp);
  dedup__free(cnt);
  if (rc != DEDUP_OK) {
    dedup_simhash_index_free(x);
    return rc;
  }
  *out = x;
  return DEDUP_OK;
}

DEDUP_API int dedup_simhash_index_query(const dedup_simhash_index *x,
                                        uint64_t fp, uint32_t **ids,
                                        size_t *n_ids) {
  if (ids)
    *ids = NULL;
  if (n_ids)
    *n_ids = 0;
  if (!x || !ids || !n_ids)
    return DEDUP_EINVAL;
  const plan *p = &x->p;
  size_t n = x->n, cnt = 0, cap = 0;
  uint32_t *v = NULL;
  for (unsigned t = 0; t < p->tables; t++) {
    const uint64_t *f = x->f + (size_t)t * n;
    const uint32_t *id = x->id + (size_t)t * n;
    unsigned bits = p->bits[t];
    uint64_t q = permute(p, t, fp), key = key_of(q, bits);
    /* The run of q's key: its top d bits' bucket, then the first entry
     * there whose key is not below q's. */
    const uint32_t *dir = x->dir + (size_t)t * (((size_t)1 << x->d) + 1);
    uint64_t top = key_of(q, x->d);
    size_t lo = dir[top], hi = dir[top + 1], end = hi;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (key_of(f[mid], bits) < key)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (size_t i = lo; i < end && key_of(f[i], bits) == key; i++) {
      uint64_t d = f[i] ^ q;
      if (dedup__popcount64(d) > p->k || owner(p, t, d) != t)
        continue;
      if (cnt == cap &&
          dedup__grow((void **)&v, &cap, cnt, 1, sizeof *v) != DEDUP_OK) {
        dedup__free(v);
        return DEDUP_ENOMEM;
      }
      v[cnt++] = id[i];
    }
  }
  /* Each id came from one table only: sorting only orders them. */
  cnt = dedup__u32_sort_unique(v, cnt);
  if (cnt == 0) {
    dedup__free(v);
    return DEDUP_OK;
  }
  *ids = v;
  *n_ids = cnt;
  return DEDUP_OK;
}
