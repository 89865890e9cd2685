/* copy.c - the copy level: near-verbatim copies.
 *
 * MinHash: banded LSH over the items' signatures, bands and rows chosen
 * from the threshold as datasketch does, every candidate verified on the
 * estimated Jaccard.  SimHash: fingerprints cut into blocks (pigeonhole:
 * within distance d two fingerprints agree on one of d+1 blocks), every
 * candidate verified on the Hamming distance.  run.c joins the links
 * into copy groups by union-find. */
#include "corpus/corpus_private.h"

#include "common/hash.h"
#include "common/sort.h"
#include "index/lsh.h"
#include "sketch/simhash.h"

#include <math.h>
#include <string.h>

/* LSH over 32-bit signature words: bands are widened to 64-bit words in
 * groups of this many bytes at most. */
#define LSH_BUDGET ((size_t)16 << 20)

/* More items than this with one signature (exact copies, as the same
 * wire story on hundreds of pages, or a crawl that fetched one page a
 * million times) are linked to their first member directly and only that
 * one goes through LSH: in LSH they would fill every band's bucket, each
 * pairing with DEDUP__MAX_BUCKET neighbours in every band (a million
 * copies: 246 s, 3.5 GB, against 14 s for a million distinct pages).  As
 * many as a bucket pairs in full are left to LSH as before, so their
 * links, and every result without such a crowd, are unchanged. */
#define DUP_CROWD DEDUP__DUP_CROWD

static inline const uint32_t *sig32(const dedup_corpus *c, size_t item) {
  return (const uint32_t *)(const void *)(c->sigs + item * c->sig_words);
}

/* Share of equal words (dedup__minhash_est on the 32-bit words). */
static double est32(const uint32_t *a, const uint32_t *b, unsigned k) {
  unsigned eq = 0;
  for (unsigned i = 0; i < k; i++)
    eq += (unsigned)(a[i] == b[i]);
  return k ? (double)eq / (double)k : 0.0;
}

double dedup__corpus_minhash_est(const dedup_corpus *c, size_t a, size_t b) {
  return est32(sig32(c, a), sig32(c, b), c->p.num_perm);
}

/* SimHash: the largest Hamming distance that links, and the blocks a
 * fingerprint is cut into (pigeonhole: within distance d two
 * fingerprints agree exactly on at least one of d+1 blocks, so blocks
 * are exact-match bands). */
static unsigned simhash_maxd(const dedup_params *p) {
  return (unsigned)floor((1.0 - p->threshold) * 64.0 + 1e-9);
}

static unsigned simhash_blocks(const dedup_params *p) {
  return DEDUP__MIN(simhash_maxd(p) + 1, 16u);
}

static void simhash_cut(uint64_t f, unsigned blocks, uint64_t *out) {
  for (unsigned k = 0; k < blocks; k++) {
    unsigned lo = k * 64 / blocks, hi = (k + 1) * 64 / blocks;
    uint64_t mask = hi - lo == 64 ? UINT64_MAX
                                  : ((UINT64_C(1) << (hi - lo)) - 1);
    out[k] = (f >> lo) & mask;
  }
}

unsigned dedup__copy_bands(const dedup_params *p, unsigned *r) {
  if (p->method == DEDUP_METHOD_SIMHASH) {
    *r = 1;
    return simhash_blocks(p);
  }
  unsigned b;
  dedup__lsh_params(p->threshold, p->num_perm, 0.5, 0.5, &b, r);
  return b;
}

void dedup__copy_band_keys(const dedup_corpus *c, const uint64_t *sig,
                           unsigned b, unsigned r, uint64_t *keys,
                           uint64_t *scratch) {
  if (c->p.method == DEDUP_METHOD_SIMHASH) {
    simhash_cut(sig[0], b, scratch);
    dedup__lsh_band_keys(keys, scratch, b, 1);
    return;
  }
  const uint32_t *s = (const uint32_t *)(const void *)sig;
  for (size_t t = 0; t < (size_t)b * r; t++) /* widened, as the batch */
    scratch[t] = s[t];
  dedup__lsh_band_keys(keys, scratch, b, r);
}

float dedup__copy_sim(const dedup_corpus *c, const uint64_t *x,
                      const uint64_t *y) {
  if (c->p.method == DEDUP_METHOD_SIMHASH) {
    unsigned dist = dedup__popcount64(x[0] ^ y[0]);
    return dist <= simhash_maxd(&c->p) ? 1.0f - dist / 64.0f : -1;
  }
  double e = est32((const uint32_t *)(const void *)x,
                   (const uint32_t *)(const void *)y, c->p.num_perm);
  return e >= c->p.threshold ? (float)e : -1;
}

/* Candidate pairs of the MinHash signatures' bands [j_lo, j_hi) of r
 * words, packed (a << 32 | b, positions in ids), sorted and unique into
 * *acc.  The batch LSH takes 64-bit words, so the bands are widened a
 * group at a time (budget bytes) and the groups' pairs merged: the same
 * pairs as one batch over all those bands of 64-bit words. */
static int band_range_pairs(dedup__u64vec *acc, const dedup_corpus *c,
                            const uint32_t *ids, size_t n, unsigned j_lo,
                            unsigned j_hi, unsigned r, size_t budget) {
  size_t per = (size_t)r * sizeof(uint64_t) * (n ? n : 1);
  size_t g = DEDUP__MAX(budget / per, (size_t)1);
  g = DEDUP__MIN(g, (size_t)(j_hi - j_lo));
  uint64_t *wide = dedup__reallocarray(NULL, (n ? n : 1) * g * r,
                                       sizeof *wide);
  dedup__pairvec pv = {0};
  size_t done = 0;
  int rc = DEDUP_ENOMEM;
  if (!wide)
    goto out;
  dedup__hint_huge(wide, (n ? n : 1) * g * r * sizeof *wide);
  for (unsigned j0 = j_lo; j0 < j_hi; j0 += (unsigned)g) {
    size_t gn = DEDUP__MIN(g, (size_t)(j_hi - j0)), w = gn * r;
    for (size_t i = 0; i < n; i++) {
      const uint32_t *s = sig32(c, ids[i]) + (size_t)j0 * r;
      uint64_t *o = wide + i * w;
      for (size_t t = 0; t < w; t++)
        o[t] = s[t];
    }
    rc = dedup__lsh_pairs(&pv, wide, n, w, (unsigned)gn, r, DEDUP__MAX_BUCKET);
    if (rc != DEDUP_OK)
      goto out;
    rc = DEDUP_ENOMEM;
    if (dedup__u64vec_reserve(acc, pv.n) != DEDUP_OK)
      goto out;
    for (size_t i = 0; i < pv.n; i++)
      acc->v[acc->n++] = (uint64_t)pv.v[i].a << 32 | pv.v[i].b;
    /* True copies share most groups: deduplicate when the list has
     * doubled, so it stays near twice the distinct pairs. */
    if (acc->n > 2 * done) {
      dedup__u64_sort_unique(acc->v, &acc->n);
      done = acc->n;
    }
  }
  dedup__u64_sort_unique(acc->v, &acc->n);
  rc = DEDUP_OK;
out:
  dedup__pairvec_free(&pv);
  dedup__free(wide);
  return rc;
}

typedef struct bands_ctx {
  const dedup_corpus *c;
  const uint32_t *ids;
  size_t n;
  unsigned b, r, parts;
  dedup__u64vec *acc; /* one per part */
} bands_ctx;

/* Part p of the bands: a contiguous range, so every part's list is a
 * function of the bands alone, never of which thread ran it. */
static int bands_part(void *vctx, unsigned worker, size_t p) {
  (void)worker;
  bands_ctx *x = vctx;
  unsigned lo = (unsigned)((size_t)x->b * p / x->parts);
  unsigned hi = (unsigned)((size_t)x->b * (p + 1) / x->parts);
  return band_range_pairs(&x->acc[p], x->c, x->ids, x->n, lo, hi, x->r,
                          LSH_BUDGET / x->parts);
}

/* Merges the sorted unique list b[0..nb) into *a (sorted unique too);
 * tmp: scratch, swapped with *a. */
static int merge_unique(dedup__u64vec *a, const uint64_t *b, size_t nb,
                        dedup__u64vec *tmp) {
  tmp->n = 0;
  if (dedup__u64vec_reserve(tmp, a->n + nb) != DEDUP_OK)
    return DEDUP_ENOMEM;
  const uint64_t *x = a->v;
  size_t i = 0, j = 0, k = 0, na = a->n;
  uint64_t *o = tmp->v;
  while (i < na && j < nb) {
    uint64_t v = x[i] <= b[j] ? x[i] : b[j];
    i += x[i] == v;
    j += b[j] == v;
    o[k++] = v;
  }
  while (i < na)
    o[k++] = x[i++];
  while (j < nb)
    o[k++] = b[j++];
  tmp->n = k;
  dedup__u64vec sw = *a;
  *a = *tmp;
  *tmp = sw;
  return DEDUP_OK;
}

/* Candidate pairs of the MinHash signatures: b bands of r words, the
 * bands split into one range per thread and the ranges' lists merged: the
 * union of sorted unique lists is one list whatever the split, so the
 * pairs are the same at every thread count. */
static int minhash_pairs(dedup__pairvec *out, const dedup_corpus *c,
                         const uint32_t *ids, size_t n, unsigned b,
                         unsigned r, unsigned threads) {
  unsigned parts = DEDUP__MAX(DEDUP__MIN(threads, b), 1u);
  dedup__u64vec *acc = dedup__calloc(parts, sizeof *acc);
  dedup__u64vec tmp = {0};
  int rc = DEDUP_ENOMEM;
  if (!acc)
    return rc;
  bands_ctx x = {c, ids, n, b, r, parts, acc};
  if ((rc = dedup__parallel_for(threads, parts, bands_part, &x)) != DEDUP_OK)
    goto out;
  for (unsigned p = 1; p < parts; p++)
    if ((rc = merge_unique(&acc[0], acc[p].v, acc[p].n, &tmp)) != DEDUP_OK)
      goto out;
  rc = DEDUP_ENOMEM;
  dedup__pairvec_free(out);
  if (acc[0].n) {
    out->v = dedup__reallocarray(NULL, acc[0].n, sizeof *out->v);
    if (!out->v)
      goto out;
    for (size_t i = 0; i < acc[0].n; i++) /* ids ascend: a < b stays */
      out->v[i] = (dedup__pair){ids[acc[0].v[i] >> 32],
                                ids[(uint32_t)acc[0].v[i]]};
    out->n = out->cap = acc[0].n;
  }
  rc = DEDUP_OK;
out:
  for (unsigned p = 0; p < parts; p++)
    dedup__u64vec_free(&acc[p]);
  dedup__free(acc);
  dedup__u64vec_free(&tmp);
  return rc;
}

typedef struct verify_ctx {
  const dedup_corpus *c;
  size_t n_pairs;
  const dedup__pair *pairs;
  float *sim;
} verify_ctx;

#define VERIFY_CHUNK 4096

static int verify_chunk(void *vctx, unsigned worker, size_t chunk) {
  (void)worker;
  verify_ctx *v = vctx;
  const dedup_corpus *c = v->c;
  size_t lo = chunk * VERIFY_CHUNK;
  size_t hi = DEDUP__MIN(lo + VERIFY_CHUNK, v->n_pairs);
  for (size_t i = lo; i < hi; i++) {
    uint32_t a = v->pairs[i].a, b = v->pairs[i].b;
    v->sim[i] = c->items[a].empty || c->items[b].empty
                    ? -1
                    : dedup__copy_sim(c, c->sigs + (size_t)a * c->sig_words,
                                      c->sigs + (size_t)b * c->sig_words);
  }
  return DEDUP_OK;
}

/* The items that go through LSH into *lsh_ids (ascending) and the links
 * of the crowds of exact copies (DUP_CROWD) into *dup; empty items go
 * nowhere (they link to nothing). */
static int split_crowds(const dedup_corpus *c, uint32_t **lsh_ids,
                        size_t *n_lsh, dedup__edge **dup, size_t *n_dup) {
  size_t n = c->n_items, m = 0;
  size_t words = c->sig_words;
  dedup__kid *v = dedup__malloc(2 * (n ? n : 1) * sizeof *v);
  uint8_t *out = dedup__calloc(n ? n : 1, 1); /* 1: linked, not in LSH */
  *lsh_ids = dedup__malloc((n ? n : 1) * sizeof **lsh_ids);
  *dup = NULL;
  *n_dup = *n_lsh = 0;
  int rc = DEDUP_ENOMEM;
  if (!v || !out || !*lsh_ids)
    goto fail;
  for (size_t i = 0; i < n; i++)
    if (!c->items[i].empty)
      v[m++] = (dedup__kid){
          dedup__hash(c->sigs + i * words, words * sizeof *c->sigs, 0),
          (uint32_t)i};
  dedup__kid_radix(v, v + m, m); /* ids ascend within a key */
  size_t nd = 0, cap = 0;
  for (size_t s = 0; s < m;) {
    size_t e = s + 1;
    while (e < m && v[e].key == v[s].key)
      e++;
    if (e - s > DUP_CROWD) {
      const uint64_t *first = c->sigs + (size_t)v[s].id * words;
      for (size_t q = s + 1; q < e; q++) {
        /* A hash collision is not a copy: it goes through LSH. */
        if (memcmp(first, c->sigs + (size_t)v[q].id * words,
                   words * sizeof *first))
          continue;
        if (nd == cap) {
          cap = cap ? 2 * cap : 1024;
          dedup__edge *t = dedup__reallocarray(*dup, cap, sizeof *t);
          if (!t)
            goto fail;
          *dup = t;
        }
        (*dup)[nd++] = (dedup__edge){v[s].id, v[q].id, 1.0f};
        out[v[q].id] = 1;
      }
    }
    s = e;
  }
  m = 0;
  for (size_t i = 0; i < n; i++)
    if (!c->items[i].empty && !out[i])
      (*lsh_ids)[m++] = (uint32_t)i;
  *n_lsh = m;
  *n_dup = nd;
  rc = DEDUP_OK;
fail:
  if (rc != DEDUP_OK) {
    dedup__free(*dup);
    dedup__free(*lsh_ids);
    *dup = NULL;
    *lsh_ids = NULL;
  }
  dedup__free(v);
  dedup__free(out);
  return rc;
}

int dedup__copy_links(const dedup_corpus *c, unsigned threads,
                      dedup__edge **edges, size_t *ne) {
  dedup__pairvec pv = {0};
  uint32_t *ids;
  dedup__edge *dup;
  size_t n, n_dup;
  *edges = NULL;
  *ne = 0;
  int rc = split_crowds(c, &ids, &n, &dup, &n_dup);
  if (rc != DEDUP_OK)
    return rc;
  if (c->p.method == DEDUP_METHOD_SIMHASH) {
    unsigned blocks = simhash_blocks(&c->p);
    uint64_t *bs = dedup__malloc((n ? n : 1) * blocks * sizeof *bs);
    rc = DEDUP_ENOMEM;
    if (bs) {
      for (size_t i = 0; i < n; i++)
        simhash_cut(c->sigs[ids[i]], blocks, bs + i * blocks);
      rc = dedup__lsh_pairs(&pv, bs, n, blocks, blocks, 1,
                            DEDUP__MAX_BUCKET);
      for (size_t i = 0; rc == DEDUP_OK && i < pv.n; i++)
        pv.v[i] = (dedup__pair){ids[pv.v[i].a], ids[pv.v[i].b]};
      dedup__free(bs);
    }
  } else {
    unsigned b, r;
    dedup__lsh_params(c->p.threshold, c->p.num_perm, 0.5, 0.5, &b, &r);
    rc = minhash_pairs(&pv, c, ids, n, b, r, threads);
  }
  dedup__free(ids);
  float *sim = rc == DEDUP_OK ? dedup__malloc((pv.n ? pv.n : 1) * sizeof *sim)
                              : NULL;
  if (!sim) {
    dedup__pairvec_free(&pv);
    dedup__free(dup);
    return rc == DEDUP_OK ? DEDUP_ENOMEM : rc;
  }
  verify_ctx v = {c, pv.n, pv.v, sim};
  rc = dedup__parallel_for(threads, (pv.n + VERIFY_CHUNK - 1) / VERIFY_CHUNK,
                           verify_chunk, &v);
  size_t k = 0;
  dedup__edge *e = rc == DEDUP_OK
                       ? dedup__reallocarray(NULL, pv.n + n_dup + 1, sizeof *e)
                       : NULL;
  if (e) {
    for (size_t i = 0; i < pv.n; i++)
      if (sim[i] >= 0)
        e[k++] = (dedup__edge){pv.v[i].a, pv.v[i].b, sim[i]};
    if (n_dup)
      memcpy(e + k, dup, n_dup * sizeof *dup);
    k += n_dup;
  } else if (rc == DEDUP_OK) {
    rc = DEDUP_ENOMEM;
  }
  dedup__free(sim);
  dedup__free(dup);
  dedup__pairvec_free(&pv);
  *edges = e;
  *ne = k;
  return rc;
}
