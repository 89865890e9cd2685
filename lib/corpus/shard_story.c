/* shard_story.c - the story level of pass 4 spread over the shards
 * (dedup.h, "Pass 4 spread over the shards"; doc/shards.md).
 *
 * The batch's story level (story.c) over one representative per copy
 * group, each step where its data is:
 *   - the assembler numbers the copy groups (by smallest member) and picks
 *     their representatives and dates: it has every item's words and
 *     dates (the heads);
 *   - each shard counts its representatives' terms and its documents'
 *     embedded articles' for the terms' owners, which sum them into the
 *     corpus' document frequencies and answer;
 *   - each shard weighs its representatives (TF-IDF) and samples them
 *     (DartMinHash); each band of samples goes to its owner, which sorts
 *     it into runs of equal samples and sends each shard the part of each
 *     run its representatives' windows see;
 *   - each shard counts, for each of its representatives, the samples the
 *     others share with it (the batch's walk), takes the best
 *     STORY_TOP_M, and sends its vector to their shards, which score the
 *     cosines;
 *   - the assembler clusters the groups by average link over the edges.
 * Every number is the batch's: the same weights in the same order, the
 * same samples, windows, ties and sums (doc/shards.md says why). */
#include "corpus/corpus_private.h"
#include "corpus/spread.h"
#include "corpus/wire.h"

#include "common/bytes.h"
#include "common/hash.h"
#include "common/sort.h"
#include "sketch/wminhash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The shard's steps after the copy level's bands. */
enum { SPS_REPS = 3, SPS_SIGNED = 4, SPS_VECS = 5 };

#define NONE UINT32_MAX

/* ---- a growing byte buffer and the number of entries in it ----------- */

typedef struct obuf {
  dedup__wbuf w;
  uint64_t count; /* entries or blocks written */
} obuf;

static void ob_u32(obuf *b, uint32_t v) { dedup__wb_u32(&b->w, v); }

static void ob_u64(obuf *b, uint64_t v) { dedup__wb_u64(&b->w, v); }

/* The framed buffer of b's bytes (b freed); NULL: out of memory. */
static void *ob_frame(obuf *b, sp_head h, size_t *len) {
  unsigned char *p = NULL;
  if (!b->w.failed) {
    h.n = b->count;
    p = dedup__sp_new(&h, b->w.n, len);
    if (p) {
      if (b->w.n)
        memcpy(p + SP_HEAD, b->w.p, b->w.n);
      dedup__sp_seal(p, *len);
    }
  }
  dedup__free(b->w.p);
  *b = (obuf){0};
  return p;
}

static dedup__rcur body(const void *buf, size_t len) {
  return (dedup__rcur){(const unsigned char *)buf + SP_HEAD, len - SP_HEAD - 8, 0};
}

static void free_bufs(void **bufs, size_t *lens, size_t n) {
  for (size_t i = 0; i < n; i++) {
    dedup__free(bufs[i]);
    bufs[i] = NULL;
    lens[i] = 0;
  }
}

static void clear_bufs(void **bufs, size_t *lens, size_t n) {
  if (bufs && lens)
    for (size_t i = 0; i < n; i++) {
      bufs[i] = NULL;
      lens[i] = 0;
    }
}

/* Every buffer of a shard's call: kind, from shard s, to this shard, of
 * its params; the stage it names is returned in *stage. */
static int check_in(const dedup_corpus *c, const void *const *bufs,
                    const size_t *lens, size_t n, uint32_t kind,
                    sp_head *h0) {
  if (!c || !bufs || !lens)
    return DEDUP_EINVAL;
  if (!c->spread)
    return DEDUP_ESTATE;
  if (n != c->spread->shards)
    return DEDUP_EINVAL;
  uint64_t tag = dedup__sp_tag(&c->p);
  for (size_t s = 0; s < n; s++) {
    sp_head h;
    int rc = dedup__sp_read(&h, bufs[s], lens[s], kind);
    if (rc != DEDUP_OK)
      return rc;
    if (h.tag != tag || h.shards != n || h.from != s ||
        h.to != c->spread->shard)
      return DEDUP_EINVAL;
    if (!s)
      *h0 = h;
  }
  return DEDUP_OK;
}

/* An owner's call: every shard's buffer, of one kind, tag and owner. */
static int check_owner(const void *const *bufs, const size_t *lens,
                       size_t n, uint32_t kind, sp_head *h0) {
  if (!bufs || !lens || !n || n > UINT32_MAX)
    return DEDUP_EINVAL;
  for (size_t s = 0; s < n; s++) {
    sp_head h;
    int rc = dedup__sp_read(&h, bufs[s], lens[s], kind);
    if (rc != DEDUP_OK)
      return rc;
    if (h.shards != n || h.from != s ||
        (s && (h.tag != h0->tag || h.to != h0->to || h.sig_words != h0->sig_words)))
      return DEDUP_EINVAL;
    if (!s)
      *h0 = h;
  }
  return DEDUP_OK;
}

/* ---- the assembler: copy groups, representatives ------------------------ */

DEDUP_API int dedup_corpus_groups_set(dedup_corpus *c,
                                      const void *const *links,
                                      const size_t *links_len, size_t n) {
  if (!c || (n && (!links || !links_len)))
    return DEDUP_EINVAL;
  if (!c->records || !c->records_heads || c->records_spent || c->ran ||
      c->sasm)
    return DEDUP_ESTATE;
  dedup__edge *e;
  size_t m;
  int rc = dedup__spread_read_links(c, links, links_len, n, &e, &m);
  if (rc != DEDUP_OK)
    return rc;
  size_t ni = c->n_items, n1 = ni ? ni : 1;
  dedup__sasm *a = dedup__calloc(1, sizeof *a);
  if (!a) {
    dedup__free(e);
    return DEDUP_ENOMEM;
  }
  a->ce = e;
  a->nce = m;
  a->copy_label = dedup__malloc(n1 * sizeof *a->copy_label);
  rc = DEDUP_ENOMEM;
  if (!a->copy_label)
    goto fail;
  a->n_copy = dedup__cluster_union(a->copy_label, ni, e, m);
  if (a->n_copy == (size_t)-1)
    goto fail;
  size_t g1 = a->n_copy ? a->n_copy : 1;
  a->rep = dedup__malloc(g1 * sizeof *a->rep);
  if (!a->rep)
    goto fail;
  for (size_t g = 0; g < a->n_copy; g++)
    a->rep[g] = NONE;
  /* The batch's representative (story.c's better_rep): most words, the
   * first on a tie. */
  for (size_t i = 0; i < ni; i++) {
    uint32_t g = a->copy_label[i];
    if (a->rep[g] == NONE || c->items[i].words > c->items[a->rep[g]].words)
      a->rep[g] = (uint32_t)i;
  }
  /* A group's date: its earliest dated member's (story.c). */
  if (c->p.story_days > 0) {
    a->gdate = dedup__malloc(g1 * sizeof *a->gdate);
    a->gdated = dedup__calloc(g1, 1);
    if (!a->gdate || !a->gdated)
      goto fail;
    for (size_t i = 0; i < ni; i++) {
      const cdoc *d = &c->docs[c->items[i].doc];
      uint32_t g = a->copy_label[i];
      if (d->has_date && (!a->gdated[g] || d->date < a->gdate[g])) {
        a->gdate[g] = d->date;
        a->gdated[g] = 1;
      }
    }
  }
  c->sasm = a;
  return DEDUP_OK;
fail:
  dedup__free(a->ce);
  dedup__free(a->copy_label);
  dedup__free(a->rep);
  dedup__free(a->gdate);
  dedup__free(a->gdated);
  dedup__free(a);
  return rc;
}

DEDUP_API int dedup_corpus_reps_encode(const dedup_corpus *c, size_t shard,
                                       void **buf, size_t *len) {
  if (buf)
    *buf = NULL;
  if (len)
    *len = 0;
  if (!c || !buf || !len)
    return DEDUP_EINVAL;
  if (!c->sasm)
    return DEDUP_ESTATE;
  if (shard >= c->n_rec)
    return DEDUP_EINVAL;
  const dedup__sasm *a = c->sasm;
  size_t lo = c->rec_start[shard];
  size_t hi = shard + 1 < c->n_rec ? c->rec_start[shard + 1] : c->n_items;
  sp_head h = {SP_REPS, 0, (uint32_t)shard, (uint32_t)shard,
               (uint32_t)c->n_rec, 0, dedup__sp_tag(&c->p), hi - lo};
  unsigned char *p = dedup__sp_new(&h, 8 + 16 * (hi - lo), len);
  if (!p)
    return DEDUP_ENOMEM;
  dedup__put64(p + SP_HEAD, a->n_copy); /* every group number is below */
  for (size_t q = lo; q < hi; q++) {
    uint32_t i = c->rec_gid[q], g = a->copy_label[i];
    int is_rep = a->rep[g] == i, dated = is_rep && a->gdated && a->gdated[g];
    unsigned char *o = p + SP_HEAD + 8 + 16 * (q - lo);
    dedup__put32(o, is_rep ? g : NONE);
    dedup__put32(o + 4, (uint32_t)dated);
    dedup__put64(o + 8, dated ? (uint64_t)a->gdate[g] : 0);
  }
  dedup__sp_seal(p, *len);
  *buf = p;
  return DEDUP_OK;
}

/* ---- a shard: its representatives ------------------------------------ */

static int cmp_rep_g(const void *x, const void *y, void *ctx) {
  const uint32_t *g = ctx;
  uint32_t a = g[*(const uint32_t *)x], b = g[*(const uint32_t *)y];
  return (a > b) - (a < b);
}

/* Sorts ids[0..n) by g[id] (distinct): insertion sort for short lists,
 * else a merge sort (qsort has no context). */
static int sort_by_g(uint32_t *ids, size_t n, const uint32_t *g) {
  uint32_t *tmp = dedup__malloc((n ? n : 1) * sizeof *tmp);
  if (!tmp)
    return DEDUP_ENOMEM;
  uint32_t *src = ids, *dst = tmp;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = DEDUP__MIN(lo + w, n), hi = DEDUP__MIN(lo + 2 * w, n);
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi)
        dst[o++] = cmp_rep_g(&src[i], &src[j], (void *)g) <= 0 ? src[i++]
                                                                : src[j++];
      while (i < mid)
        dst[o++] = src[i++];
      while (j < hi)
        dst[o++] = src[j++];
    }
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != ids)
    memcpy(ids, src, n * sizeof *ids);
  dedup__free(tmp);
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_reps_set(dedup_corpus *c, const void *buf,
                                    size_t len) {
  if (!c || !buf)
    return DEDUP_EINVAL;
  if (!c->spread || c->spread->stage != DEDUP_SPREAD_BANDS ||
      !(c->signed_levels & DEDUP_RUN_STORY))
    return DEDUP_ESTATE;
  dedup__spread *sp = c->spread;
  sp_head h;
  int rc = dedup__sp_read(&h, buf, len, SP_REPS);
  if (rc != DEDUP_OK)
    return rc;
  if (h.tag != dedup__sp_tag(&c->p) || h.to != sp->shard ||
      h.shards != sp->shards)
    return DEDUP_EINVAL;
  if (h.n != c->n_items || h.n > (len - SP_HEAD - 16) / 16 ||
      len != SP_HEAD + 8 + 16 * h.n + 8)
    return DEDUP_EFORMAT;
  uint64_t n_groups = dedup__get64((const unsigned char *)buf + SP_HEAD);
  const unsigned char *e = (const unsigned char *)buf + SP_HEAD + 8;
  size_t nr = 0;
  if (n_groups >= NONE)
    return DEDUP_EFORMAT;
  for (size_t i = 0; i < c->n_items; i++) {
    uint32_t g = dedup__get32(e + 16 * i), dated = dedup__get32(e + 16 * i + 4);
    if (dated > 1 || (g == NONE && dated) || (g != NONE && g >= n_groups))
      return DEDUP_EFORMAT;
    nr += g != NONE;
  }
  size_t r1 = nr ? nr : 1;
  uint32_t *item = dedup__malloc(r1 * sizeof *item);
  uint32_t *gv = dedup__malloc(r1 * sizeof *gv);
  uint8_t *dv = dedup__malloc(r1);
  int64_t *tv = dedup__malloc(r1 * sizeof *tv);
  uint32_t *by = dedup__malloc(r1 * sizeof *by);
  rc = DEDUP_ENOMEM;
  if (!item || !gv || !dv || !tv || !by)
    goto fail;
  for (size_t i = 0, r = 0; i < c->n_items; i++) {
    uint32_t g = dedup__get32(e + 16 * i);
    if (g == NONE)
      continue;
    item[r] = (uint32_t)i;
    gv[r] = g;
    dv[r] = (uint8_t)dedup__get32(e + 16 * i + 4);
    tv[r] = (int64_t)dedup__get64(e + 16 * i + 8);
    by[r] = (uint32_t)r;
    r++;
  }
  if (sort_by_g(by, nr, gv) != DEDUP_OK)
    goto fail;
  for (size_t r = 1; r < nr; r++)
    if (gv[by[r]] == gv[by[r - 1]]) { /* a group represented twice */
      rc = DEDUP_EFORMAT;
      goto fail;
    }
  sp->n_reps = nr;
  sp->n_groups = (uint32_t)n_groups;
  sp->rep_item = item;
  sp->rep_g = gv;
  sp->rep_dated = dv;
  sp->rep_date = tv;
  sp->by_g = by;
  /* Only representatives are weighed (story.c). */
  for (size_t i = 0; i < c->n_items; i++)
    if (dedup__get32(e + 16 * i) == NONE)
      dedup__termset_free(&c->items[i].counts);
  sp->stage = SPS_REPS;
  return DEDUP_OK;
fail:
  dedup__free(item);
  dedup__free(gv);
  dedup__free(dv);
  dedup__free(tv);
  dedup__free(by);
  return rc;
}

/* ---- document frequencies by term owner -------------------------------- */

/* (term id, kind) with kind 0: a representative's term, 1: an embedded
 * article's; sorted, counted into (id, reps, articles) entries. */
DEDUP_API int dedup_corpus_terms_encode(const dedup_corpus *c, size_t n,
                                        void **bufs, size_t *lens) {
  clear_bufs(bufs, lens, n);
  if (!c || !bufs || !lens)
    return DEDUP_EINVAL;
  const dedup__spread *sp = c->spread;
  if (!sp || sp->stage != SPS_REPS)
    return DEDUP_ESTATE;
  if (n != sp->shards)
    return DEDUP_EINVAL;
  size_t nl = dedup__lang_count(), total = 0;
  uint64_t *N = dedup__calloc(nl, sizeof *N);
  for (size_t r = 0; r < sp->n_reps; r++)
    total += c->items[sp->rep_item[r]].counts.n;
  for (size_t i = 0; i < c->n_docs; i++)
    total += c->docs[i].bg.n;
  dedup__kid *v = dedup__malloc((total ? total : 1) * sizeof *v);
  dedup__kid *tmp = dedup__malloc((total ? total : 1) * sizeof *tmp);
  obuf *ob = dedup__calloc(n, sizeof *ob);
  int rc = DEDUP_ENOMEM;
  if (!N || !v || !tmp || !ob)
    goto out;
  size_t m = 0;
  for (size_t r = 0; r < sp->n_reps; r++) {
    const citem *it = &c->items[sp->rep_item[r]];
    N[dedup__lang_terms(it->lang)]++;
    for (size_t j = 0; j < it->counts.n; j++)
      v[m++] = (dedup__kid){it->counts.id[j], 0};
  }
  for (size_t i = 0; i < c->n_docs; i++) {
    const cdoc *d = &c->docs[i];
    N[dedup__story_doc_lang(d)] += d->n_bg;
    for (size_t j = 0; j < d->bg.n; j++)
      v[m++] = (dedup__kid){d->bg.v[j], 1};
  }
  dedup__kid_radix(v, tmp, m);
  for (size_t q = 0; q < n; q++) {
    ob_u32(&ob[q], (uint32_t)nl);
    for (size_t l = 0; l < nl; l++)
      ob_u64(&ob[q], N[l]);
  }
  for (size_t s = 0; s < m;) {
    size_t t = s;
    uint32_t reps = 0, arts = 0;
    for (; t < m && v[t].key == v[s].key; t++) {
      reps += v[t].id == 0;
      arts += v[t].id == 1;
    }
    obuf *o = &ob[v[s].key % n];
    ob_u64(o, v[s].key);
    ob_u32(o, reps);
    ob_u32(o, arts);
    o->count++;
    s = t;
  }
  for (size_t q = 0; q < n; q++) {
    sp_head h = {SP_TERMS, 0, sp->shard, (uint32_t)q, sp->shards, 0,
                 dedup__sp_tag(&c->p), 0};
    bufs[q] = ob_frame(&ob[q], h, &lens[q]);
    if (!bufs[q])
      goto out;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    free_bufs(bufs, lens, n);
  for (size_t q = 0; ob && q < n; q++)
    dedup__free(ob[q].w.p);
  dedup__free(ob);
  dedup__free(N);
  dedup__free(v);
  dedup__free(tmp);
  return rc;
}

/* A terms or df body's language counts; *nl from the first. */
static int read_langs(dedup__rcur *r, uint64_t *N, int add) {
  size_t nl = dedup__lang_count();
  if (dedup__rc_u32(r) != nl)
    return DEDUP_EFORMAT;
  for (size_t l = 0; l < nl; l++) {
    uint64_t x = dedup__rc_u64(r);
    N[l] = add ? N[l] + x : x;
  }
  return r->bad ? DEDUP_EFORMAT : DEDUP_OK;
}

DEDUP_API int dedup_spread_terms_answer(const void *const *terms,
                                        const size_t *terms_len, size_t n,
                                        void **df, size_t *df_len) {
  clear_bufs(df, df_len, n);
  if (!df || !df_len)
    return DEDUP_EINVAL;
  sp_head h0 = {0};
  int rc = check_owner(terms, terms_len, n, SP_TERMS, &h0);
  if (rc != DEDUP_OK)
    return rc;
  size_t nl = dedup__lang_count();
  uint64_t *N = dedup__calloc(nl, sizeof *N);
  dedup__countmap m = {0};
  obuf *ob = dedup__calloc(n, sizeof *ob);
  rc = DEDUP_ENOMEM;
  if (!N || !ob)
    goto out;
  /* The corpus' counts of this owner's terms. */
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = body(terms[s], terms_len[s]);
    sp_head h;
    dedup__sp_read(&h, terms[s], terms_len[s], SP_TERMS);
    if ((rc = read_langs(&r, N, 1)) != DEDUP_OK)
      goto out;
    rc = DEDUP_EFORMAT;
    if (h.n != r.left / 16 || r.left % 16)
      goto out;
    rc = DEDUP_ENOMEM;
    if (dedup__countmap_reserve(&m, h.n) != DEDUP_OK)
      goto out;
    uint64_t prev = 0;
    for (size_t i = 0; i < h.n; i++) {
      uint64_t id = dedup__rc_u64(&r);
      uint32_t reps = dedup__rc_u32(&r), arts = dedup__rc_u32(&r);
      if ((i && id <= prev) || id % n != h0.to || (!reps && !arts)) {
        rc = DEDUP_EFORMAT;
        goto out;
      }
      prev = id;
      /* Wrapping as the batch's counts would (never at 2^32 documents
       * less). */
      dedup__countmap_add(&m, id, reps + arts);
    }
  }
  /* Each shard: the frequencies of the terms its representatives have. */
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = body(terms[s], terms_len[s]);
    sp_head h;
    dedup__sp_read(&h, terms[s], terms_len[s], SP_TERMS);
    dedup__rc_take(&r, 4 + 8 * nl);
    ob_u32(&ob[s], (uint32_t)nl);
    for (size_t l = 0; l < nl; l++)
      ob_u64(&ob[s], N[l]);
    for (size_t i = 0; i < h.n; i++) {
      uint64_t id = dedup__rc_u64(&r);
      uint32_t reps = dedup__rc_u32(&r);
      dedup__rc_u32(&r);
      if (!reps)
        continue;
      ob_u64(&ob[s], id);
      ob_u32(&ob[s], dedup__countmap_get(&m, id));
      ob[s].count++;
    }
    sp_head o = {SP_DF, 0, h0.to, (uint32_t)s, (uint32_t)n, 0, h0.tag, 0};
    df[s] = ob_frame(&ob[s], o, &df_len[s]);
    if (!df[s])
      goto out;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    free_bufs(df, df_len, n);
  for (size_t q = 0; ob && q < n; q++)
    dedup__free(ob[q].w.p);
  dedup__free(ob);
  dedup__free(N);
  dedup__countmap_free(&m);
  return rc;
}

/* ---- weighing and sampling ---------------------------------------------- */

/* As story.c's weigh_rep, with term ids for indexes. */
static int weigh(dedup__svec *out, const dedup__termset *ts,
                 const dedup__countmap *df, double Nl) {
  out->id = dedup__malloc((ts->n ? ts->n : 1) * sizeof *out->id);
  out->w = dedup__malloc((ts->n ? ts->n : 1) * sizeof *out->w);
  if (!out->id || !out->w)
    return DEDUP_ENOMEM;
  double norm = 0;
  uint32_t m = 0;
  for (size_t j = 0; j < ts->n; j++) {
    double w = dedup__story_weight(ts->w[j], dedup__countmap_get(df, ts->id[j]),
                                   Nl);
    if (w <= 0)
      continue;
    out->id[m] = ts->id[j];
    out->w[m] = (float)w;
    norm += w * w;
    m++;
  }
  out->n = m;
  norm = sqrt(norm);
  for (uint32_t j = 0; j < m; j++)
    out->w[j] = norm > 0 ? (float)(out->w[j] / norm) : 0;
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_weigh(dedup_corpus *c, const void *const *df,
                                 const size_t *df_len, size_t n) {
  sp_head h0;
  int rc = check_in(c, df, df_len, n, SP_DF, &h0);
  if (rc != DEDUP_OK)
    return rc;
  dedup__spread *sp = c->spread;
  if (sp->stage != SPS_REPS)
    return DEDUP_ESTATE;
  size_t nl = dedup__lang_count();
  uint64_t *N = dedup__calloc(nl, sizeof *N);
  uint64_t *N2 = dedup__calloc(nl, sizeof *N2);
  dedup__countmap m = {0};
  unsigned k = dedup__story_samples(c->p.story_threshold);
  size_t r1 = sp->n_reps ? sp->n_reps : 1;
  dedup__svec *vec = dedup__calloc(r1, sizeof *vec);
  uint64_t *samples = dedup__reallocarray(NULL, r1, k * sizeof *samples);
  uint64_t *f = NULL;
  float *w = NULL;
  rc = DEDUP_ENOMEM;
  if (!N || !N2 || !vec || !samples)
    goto out;
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = body(df[s], df_len[s]);
    sp_head h;
    dedup__sp_read(&h, df[s], df_len[s], SP_DF);
    if ((rc = read_langs(&r, s ? N2 : N, 0)) != DEDUP_OK)
      goto out;
    rc = DEDUP_EFORMAT;
    if ((s && memcmp(N, N2, nl * sizeof *N)) || h.n != r.left / 12 ||
        r.left % 12)
      goto out;
    rc = DEDUP_ENOMEM;
    if (dedup__countmap_reserve(&m, h.n) != DEDUP_OK)
      goto out;
    for (size_t i = 0; i < h.n; i++) {
      uint64_t id = dedup__rc_u64(&r);
      uint32_t d = dedup__rc_u32(&r);
      if (id % n != s || !d) {
        rc = DEDUP_EFORMAT;
        goto out;
      }
      dedup__countmap_add(&m, id, d);
    }
  }
  size_t most = 1;
  for (size_t q = 0; q < sp->n_reps; q++) {
    const citem *it = &c->items[sp->rep_item[q]];
    for (size_t j = 0; j < it->counts.n; j++)
      if (!dedup__countmap_get(&m, it->counts.id[j])) { /* not answered */
        rc = DEDUP_EFORMAT;
        goto out;
      }
    most = DEDUP__MAX(most, it->counts.n);
  }
  rc = DEDUP_ENOMEM;
  f = dedup__malloc(most * sizeof *f);
  w = dedup__malloc(most * sizeof *w);
  if (!f || !w)
    goto out;
  uint64_t seed = dedup__story_seed(c->p.seed);
  for (size_t q = 0; q < sp->n_reps; q++) {
    const citem *it = &c->items[sp->rep_item[q]];
    if (weigh(&vec[q], &it->counts, &m,
              (double)N[dedup__lang_terms(it->lang)]) != DEDUP_OK)
      goto out;
    /* story.c's story_sign */
    for (uint32_t j = 0; j < vec[q].n; j++) {
      f[j] = vec[q].id[j];
      w[j] = vec[q].w[j] * vec[q].w[j];
    }
    uint64_t *sig = samples + q * k;
    dedup__wminhash_dart(sig, k, f, w, vec[q].n, seed);
    if (sig[0] == UINT64_MAX)
      for (unsigned t = 0; t < k; t++)
        sig[t] = sp->rep_g[q];
  }
  /* Nothing fails from here. */
  for (size_t q = 0; q < sp->n_reps; q++)
    dedup__termset_free(&c->items[sp->rep_item[q]].counts);
  sp->vec = vec;
  sp->samples = samples;
  sp->k = k;
  vec = NULL;
  samples = NULL;
  sp->stage = SPS_SIGNED;
  rc = DEDUP_OK;
out:
  for (size_t q = 0; vec && q < sp->n_reps; q++) {
    dedup__free(vec[q].id);
    dedup__free(vec[q].w);
  }
  dedup__free(vec);
  dedup__free(samples);
  dedup__free(f);
  dedup__free(w);
  dedup__free(N);
  dedup__free(N2);
  dedup__countmap_free(&m);
  return rc;
}

/* ---- bands of samples to their owners, runs back ------------------------ */

DEDUP_API int dedup_corpus_samples_encode(const dedup_corpus *c, size_t n,
                                          void **bufs, size_t *lens) {
  clear_bufs(bufs, lens, n);
  if (!c || !bufs || !lens)
    return DEDUP_EINVAL;
  const dedup__spread *sp = c->spread;
  if (!sp || sp->stage != SPS_SIGNED)
    return DEDUP_ESTATE;
  if (n != sp->shards)
    return DEDUP_EINVAL;
  unsigned k = sp->k;
  for (size_t q = 0; q < n; q++) {
    /* Owner q has the bands b = q mod n. */
    size_t nb = k > q ? (k - q + n - 1) / n : 0;
    sp_head h = {SP_SAMPLES, 0, sp->shard, (uint32_t)q, sp->shards, k,
                 dedup__sp_tag(&c->p), nb * sp->n_reps};
    unsigned char *p = dedup__sp_new(&h, 16 * nb * sp->n_reps, &lens[q]);
    if (!p) {
      free_bufs(bufs, lens, n);
      return DEDUP_ENOMEM;
    }
    unsigned char *o = p + SP_HEAD;
    for (size_t b = q; b < k; b += n)
      for (size_t r = 0; r < sp->n_reps; r++, o += 16) {
        dedup__put64(o, sp->samples[r * k + b]);
        dedup__put32(o + 8, sp->rep_g[r]);
        dedup__put32(o + 12, (uint32_t)b);
      }
    dedup__sp_seal(p, lens[q]);
    bufs[q] = p;
  }
  return DEDUP_OK;
}

typedef struct sent {
  uint64_t sample;
  uint32_t g, band, shard;
} sent;

/* A band's entries, (sample, g) ascending: runs of equal samples, each
 * member's window the batch's (DEDUP__MAX_BUCKET places each side, in
 * its run).  Each shard with a member in a run gets the slice of it its
 * members' windows cover: u32 m, m x (u32 group, u32 shard). */
static void band_runs(obuf *ob, const sent *e, const dedup__kid *ord,
                      size_t m, size_t n) {
  size_t W = DEDUP__MAX_BUCKET;
  for (size_t s = 0; s < m;) {
    size_t t = s + 1;
    while (t < m && e[ord[t].id].sample == e[ord[s].id].sample)
      t++;
    if (t - s >= 2) {
      for (size_t q = 0; q < n; q++) {
        size_t first = SIZE_MAX, last = 0;
        for (size_t x = s; x < t; x++)
          if (e[ord[x].id].shard == q) {
            if (first == SIZE_MAX)
              first = x;
            last = x;
          }
        if (first == SIZE_MAX)
          continue;
        size_t lo = first > s + W ? first - W : s;
        size_t hi = DEDUP__MIN(t, last + W + 1);
        ob_u32(&ob[q], (uint32_t)(hi - lo));
        for (size_t x = lo; x < hi; x++) {
          ob_u32(&ob[q], e[ord[x].id].g);
          ob_u32(&ob[q], e[ord[x].id].shard);
        }
        ob[q].count++;
      }
    }
    s = t;
  }
}

DEDUP_API int dedup_spread_runs(const void *const *samples,
                                const size_t *samples_len, size_t n,
                                void **runs, size_t *runs_len) {
  clear_bufs(runs, runs_len, n);
  if (!runs || !runs_len)
    return DEDUP_EINVAL;
  sp_head h0 = {0};
  int rc = check_owner(samples, samples_len, n, SP_SAMPLES, &h0);
  if (rc != DEDUP_OK)
    return rc;
  size_t total = 0;
  for (size_t s = 0; s < n; s++) {
    sp_head h;
    dedup__sp_read(&h, samples[s], samples_len[s], SP_SAMPLES);
    if (h.n > (samples_len[s] - SP_HEAD - 8) / 16 ||
        samples_len[s] != SP_HEAD + 16 * h.n + 8)
      return DEDUP_EFORMAT;
    total += h.n;
  }
  unsigned k = h0.sig_words;
  sent *e = dedup__malloc((total ? total : 1) * sizeof *e);
  dedup__kid *ord = dedup__malloc((total ? total : 1) * sizeof *ord);
  dedup__kid *tmp = dedup__malloc((total ? total : 1) * sizeof *tmp);
  size_t *start = dedup__calloc((size_t)k + 2, sizeof *start);
  obuf *ob = dedup__calloc(n, sizeof *ob);
  rc = DEDUP_ENOMEM;
  if (!e || !ord || !tmp || !start || !ob)
    goto out;
  size_t m = 0;
  for (size_t s = 0; s < n; s++) {
    const unsigned char *p = (const unsigned char *)samples[s] + SP_HEAD;
    size_t cnt = (samples_len[s] - SP_HEAD - 8) / 16;
    for (size_t i = 0; i < cnt; i++, p += 16) {
      e[m] = (sent){dedup__get64(p), dedup__get32(p + 8), dedup__get32(p + 12),
                    (uint32_t)s};
      if (e[m].band >= k || e[m].band % n != h0.to || e[m].g == NONE) {
        rc = DEDUP_EFORMAT;
        goto out;
      }
      start[e[m].band + 1]++;
      m++;
    }
  }
  /* By band (counting), then in each band by group and by sample (two
   * stable radix sorts): the batch's (sample, group) order. */
  for (size_t b = 0; b < k; b++)
    start[b + 1] += start[b];
  for (size_t i = 0; i < m; i++)
    tmp[start[e[i].band]++] = (dedup__kid){e[i].g, (uint32_t)i};
  for (size_t b = k; b > 0; b--)
    start[b] = start[b - 1];
  start[0] = 0;
  for (size_t b = 0; b < k; b++) {
    size_t lo = start[b], hi = start[b + 1], len = hi - lo;
    if (len < 2)
      continue;
    dedup__kid_radix(tmp + lo, ord + lo, len);
    for (size_t x = lo + 1; x < hi; x++)
      if (tmp[x].key == tmp[x - 1].key) { /* a group twice in a band */
        rc = DEDUP_EFORMAT;
        goto out;
      }
    for (size_t x = lo; x < hi; x++)
      tmp[x] = (dedup__kid){e[tmp[x].id].sample, tmp[x].id};
    dedup__kid_radix(tmp + lo, ord + lo, len);
    band_runs(ob, e, tmp + lo, len, n);
  }
  for (size_t q = 0; q < n; q++) {
    sp_head h = {SP_RUNS, 0, h0.to, (uint32_t)q, (uint32_t)n, 0, h0.tag, 0};
    runs[q] = ob_frame(&ob[q], h, &runs_len[q]);
    if (!runs[q])
      goto out;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    free_bufs(runs, runs_len, n);
  for (size_t q = 0; ob && q < n; q++)
    dedup__free(ob[q].w.p);
  dedup__free(ob);
  dedup__free(e);
  dedup__free(ord);
  dedup__free(tmp);
  dedup__free(start);
  return rc;
}

/* ---- candidates, vectors to their shards -------------------------------- */

/* The rep of group g on this shard, or -1. */
static ptrdiff_t rep_of_g(const dedup__spread *sp, uint32_t g) {
  size_t lo = 0, hi = sp->n_reps;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (sp->rep_g[sp->by_g[mid]] < g)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < sp->n_reps && sp->rep_g[sp->by_g[lo]] == g
             ? (ptrdiff_t)sp->by_g[lo]
             : -1;
}

typedef struct cand {
  uint32_t g, shard, cnt, li; /* li: g's index among the groups seen */
} cand;

static int cmp_cand_g(const void *x, const void *y) {
  const cand *a = x, *b = y;
  return (a->g > b->g) - (a->g < b->g);
}

/* A member of a run slice: where it is, for the rep it is. */
typedef struct place {
  uint32_t rep, slice; /* slice: its first member's index in members */
  uint32_t at, len;    /* its place in the slice, the slice's length */
} place;

static void put_vec(obuf *o, const dedup__spread *sp, size_t r,
                    const cand *sel, size_t ns, uint32_t shard) {
  size_t nj = 0;
  for (size_t t = 0; t < ns; t++)
    nj += sel[t].shard == shard;
  if (!nj)
    return;
  const dedup__svec *v = &sp->vec[r];
  ob_u32(o, sp->rep_g[r]);
  ob_u32(o, sp->rep_dated[r]);
  ob_u64(o, (uint64_t)sp->rep_date[r]);
  ob_u32(o, v->n);
  for (uint32_t t = 0; t < v->n; t++) {
    ob_u64(o, v->id[t]);
    ob_u32(o, dedup__fbits(v->w[t]));
  }
  ob_u32(o, (uint32_t)nj);
  for (size_t t = 0; t < ns; t++)
    if (sel[t].shard == shard)
      ob_u32(o, sel[t].g);
  o->count++;
}

DEDUP_API int dedup_corpus_vectors_encode(const dedup_corpus *c,
                                          const void *const *runs,
                                          const size_t *runs_len, size_t n,
                                          void **vecs, size_t *vecs_len) {
  clear_bufs(vecs, vecs_len, n);
  if (!vecs || !vecs_len)
    return DEDUP_EINVAL;
  sp_head h0;
  int rc = check_in(c, runs, runs_len, n, SP_RUNS, &h0);
  if (rc != DEDUP_OK)
    return rc;
  const dedup__spread *sp = c->spread;
  if (sp->stage != SPS_SIGNED)
    return DEDUP_ESTATE;
  /* Every slice's members, and the places of this shard's reps in them. */
  size_t nm = 0, np = 0;
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = body(runs[s], runs_len[s]);
    sp_head h;
    dedup__sp_read(&h, runs[s], runs_len[s], SP_RUNS);
    for (uint64_t b = 0; b < h.n; b++) {
      uint32_t len = dedup__rc_u32(&r);
      if (r.bad || len < 2 || len > r.left / 8)
        return DEDUP_EFORMAT;
      for (uint32_t x = 0; x < len; x++) {
        dedup__rc_u32(&r);
        uint32_t q = dedup__rc_u32(&r);
        if (q >= n)
          return DEDUP_EFORMAT;
        np += q == sp->shard;
      }
      nm += len;
    }
    if (r.bad || r.left)
      return DEDUP_EFORMAT;
  }
  uint32_t *mg = dedup__malloc((nm ? nm : 1) * sizeof *mg);
  uint32_t *ms = dedup__malloc((nm ? nm : 1) * sizeof *ms);
  place *pl = dedup__malloc((np ? np : 1) * sizeof *pl);
  size_t *first = dedup__calloc(sp->n_reps + 1, sizeof *first);
  place *by = dedup__malloc((np ? np : 1) * sizeof *by);
  cand *cd = NULL, sel[DEDUP__STORY_TOP_M];
  uint32_t *slot = NULL; /* group -> its index in cd + 1, 0: none */
  uint32_t *tie = NULL, *hist = NULL, *uq = NULL, *mi = NULL;
  size_t n_slot = 0;
  obuf *ob = dedup__calloc(n, sizeof *ob);
  rc = DEDUP_ENOMEM;
  if (!mg || !ms || !pl || !first || !by || !ob)
    goto out;
  size_t at = 0, ip = 0;
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = body(runs[s], runs_len[s]);
    sp_head h;
    dedup__sp_read(&h, runs[s], runs_len[s], SP_RUNS);
    for (uint64_t b = 0; b < h.n; b++) {
      uint32_t len = dedup__rc_u32(&r), slice = (uint32_t)at;
      for (uint32_t x = 0; x < len; x++, at++) {
        mg[at] = dedup__rc_u32(&r);
        ms[at] = dedup__rc_u32(&r);
        if (mg[at] >= sp->n_groups ||
            (x && mg[at] <= mg[at - 1])) { /* groups ascend in a run */
          rc = DEDUP_EFORMAT;
          goto out;
        }
        if (ms[at] == sp->shard) {
          ptrdiff_t rep = rep_of_g(sp, mg[at]);
          if (rep < 0) {
            rc = DEDUP_EFORMAT;
            goto out;
          }
          pl[ip++] = (place){(uint32_t)rep, slice, x, len};
        }
      }
    }
  }
  /* Places by rep (counting sort, in the order read). */
  for (size_t i = 0; i < np; i++)
    first[pl[i].rep + 1]++;
  for (size_t r = 0; r < sp->n_reps; r++) {
    if (first[r + 1] > sp->k) { /* a rep has one place a band at most */
      rc = DEDUP_EFORMAT;
      goto out;
    }
    first[r + 1] += first[r];
  }
  {
    size_t *fill = dedup__malloc((sp->n_reps ? sp->n_reps : 1) * sizeof *fill);
    if (!fill)
      goto out;
    memcpy(fill, first, sp->n_reps * sizeof *fill);
    for (size_t i = 0; i < np; i++)
      by[fill[pl[i].rep]++] = pl[i];
    dedup__free(fill);
  }
  /* Groups by their index among those seen: tables of what the runs
   * hold, not of every group in the corpus. */
  uq = dedup__malloc((nm ? nm : 1) * sizeof *uq);
  mi = dedup__malloc((nm ? nm : 1) * sizeof *mi);
  if (!uq || !mi)
    goto out;
  if (nm)
    memcpy(uq, mg, nm * sizeof *uq);
  n_slot = dedup__u32_sort_unique(uq, nm);
  for (size_t x = 0; x < nm; x++) {
    size_t lo = 0, hi = n_slot;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (uq[mid] < mg[x])
        lo = mid + 1;
      else
        hi = mid;
    }
    mi[x] = (uint32_t)lo;
  }
  slot = dedup__calloc(n_slot ? n_slot : 1, sizeof *slot);
  size_t cap = 2 * (size_t)DEDUP__MAX_BUCKET * sp->k + 1;
  cd = dedup__malloc(cap * sizeof *cd);
  tie = dedup__malloc(cap * sizeof *tie);
  hist = dedup__malloc(((size_t)sp->k + 1) * sizeof *hist);
  if (!slot || !cd || !tie || !hist)
    goto out;
  size_t W = DEDUP__MAX_BUCKET;
  for (size_t r = 0; r < sp->n_reps; r++) {
    /* The samples others share with rep r (story.c's story_cand). */
    size_t nt = 0;
    for (size_t i = first[r]; i < first[r + 1]; i++) {
      const place *p = &by[i];
      size_t lo = p->at > W ? p->at - W : 0;
      size_t hi = DEDUP__MIN((size_t)p->len, (size_t)p->at + W + 1);
      for (size_t x = lo; x < hi; x++) {
        if (x == p->at)
          continue;
        uint32_t li = mi[p->slice + x];
        if (!slot[li]) {
          if (nt == cap) { /* a group in more windows than k bands have */
            rc = DEDUP_EFORMAT;
            goto out;
          }
          cd[nt] = (cand){mg[p->slice + x], ms[p->slice + x], 0, li};
          slot[li] = (uint32_t)++nt;
        }
        cd[slot[li] - 1].cnt++;
      }
    }
    /* The best STORY_TOP_M: most shared samples, then smallest group
     * (story.c's selection: every one above some count c, the smallest
     * groups at c for the rest), in group order. */
    size_t ns = nt;
    if (nt > DEDUP__STORY_TOP_M) {
      memset(hist, 0, ((size_t)sp->k + 1) * sizeof *hist);
      for (size_t t = 0; t < nt; t++)
        hist[DEDUP__MIN(cd[t].cnt, sp->k)]++;
      size_t above = 0, cut = sp->k;
      while (above + hist[cut] < DEDUP__STORY_TOP_M)
        above += hist[cut--];
      size_t nties = 0;
      ns = 0;
      for (size_t t = 0; t < nt; t++) {
        if (cd[t].cnt > cut)
          sel[ns++] = cd[t];
        else if (cd[t].cnt == cut)
          tie[nties++] = cd[t].li; /* in the order of the groups */
      }
      dedup__u32_select(tie, nties, DEDUP__STORY_TOP_M - above);
      for (size_t t = 0; t < DEDUP__STORY_TOP_M - above; t++)
        sel[ns++] = cd[slot[tie[t]] - 1];
    } else {
      memcpy(sel, cd, nt * sizeof *sel);
    }
    for (size_t t = 0; t < nt; t++)
      slot[cd[t].li] = 0;
    qsort(sel, ns, sizeof *sel, cmp_cand_g);
    for (size_t q = 0; q < n; q++)
      put_vec(&ob[q], sp, r, sel, ns, (uint32_t)q);
  }
  for (size_t q = 0; q < n; q++) {
    sp_head h = {SP_VECS, 0, sp->shard, (uint32_t)q, sp->shards, 0,
                 dedup__sp_tag(&c->p), 0};
    vecs[q] = ob_frame(&ob[q], h, &vecs_len[q]);
    if (!vecs[q])
      goto out;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    free_bufs(vecs, vecs_len, n);
  for (size_t q = 0; ob && q < n; q++)
    dedup__free(ob[q].w.p);
  dedup__free(ob);
  dedup__free(mg);
  dedup__free(ms);
  dedup__free(pl);
  dedup__free(first);
  dedup__free(by);
  dedup__free(cd);
  dedup__free(slot);
  dedup__free(tie);
  dedup__free(hist);
  dedup__free(uq);
  dedup__free(mi);
  return rc;
}

/* ---- cosines where the candidates are ----------------------------------- */

DEDUP_API int dedup_corpus_score(dedup_corpus *c, const void *const *vecs,
                                 const size_t *vecs_len, size_t n,
                                 void **edges, size_t *edges_len) {
  if (edges)
    *edges = NULL;
  if (edges_len)
    *edges_len = 0;
  if (!edges || !edges_len)
    return DEDUP_EINVAL;
  sp_head h0;
  int rc = check_in(c, vecs, vecs_len, n, SP_VECS, &h0);
  if (rc != DEDUP_OK)
    return rc;
  dedup__spread *sp = c->spread;
  if (sp->stage != SPS_SIGNED)
    return DEDUP_ESTATE;
  obuf ob = {0};
  uint64_t *id = NULL;
  float *w = NULL;
  size_t cap = 0;
  double days = c->p.story_days;
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = body(vecs[s], vecs_len[s]);
    sp_head h;
    dedup__sp_read(&h, vecs[s], vecs_len[s], SP_VECS);
    for (uint64_t b = 0; b < h.n; b++) {
      uint32_t gi = dedup__rc_u32(&r), dated = dedup__rc_u32(&r);
      int64_t date = (int64_t)dedup__rc_u64(&r);
      uint32_t nt = dedup__rc_u32(&r);
      rc = DEDUP_EFORMAT;
      if (r.bad || dated > 1 || nt > r.left / 12 || gi >= sp->n_groups)
        goto out;
      if (nt > cap) {
        rc = DEDUP_ENOMEM;
        uint64_t *ni = dedup__reallocarray(id, nt, sizeof *id);
        if (ni)
          id = ni;
        float *nw = ni ? dedup__reallocarray(w, nt, sizeof *w) : NULL;
        if (!nw)
          goto out;
        w = nw;
        cap = nt;
      }
      rc = DEDUP_EFORMAT;
      for (uint32_t t = 0; t < nt; t++) {
        id[t] = dedup__rc_u64(&r);
        w[t] = dedup__bitsf(dedup__rc_u32(&r));
        if ((t && id[t] <= id[t - 1]) || !isfinite(w[t]))
          goto out;
      }
      uint32_t nj = dedup__rc_u32(&r);
      if (r.bad || nj > r.left / 4)
        goto out;
      for (uint32_t u = 0; u < nj; u++) {
        uint32_t gj = dedup__rc_u32(&r);
        ptrdiff_t q = rep_of_g(sp, gj);
        if (q < 0 || gj == gi)
          goto out;
        /* The batch's sum: the products of the common terms in term
         * order (exact in double), then the time factor. */
        const dedup__svec *v = &sp->vec[q];
        double x = 0;
        for (uint32_t a = 0, bb = 0; a < nt && bb < v->n;) {
          if (id[a] < v->id[bb]) {
            a++;
          } else if (id[a] > v->id[bb]) {
            bb++;
          } else {
            x += (double)w[a] * v->w[bb];
            a++;
            bb++;
          }
        }
        if (days > 0 && dated && sp->rep_dated[q])
          x *= dedup__story_time_factor(days, date, sp->rep_date[q]);
        if (x >= DEDUP__STORY_EDGE_MIN) {
          ob_u32(&ob, DEDUP__MIN(gi, gj));
          ob_u32(&ob, DEDUP__MAX(gi, gj));
          ob_u32(&ob, dedup__fbits((float)DEDUP__MIN(x, 1.0)));
          ob.count++;
        }
      }
    }
    if (r.bad || r.left) {
      rc = DEDUP_EFORMAT;
      goto out;
    }
  }
  sp_head h = {SP_EDGES, 0, sp->shard, 0, sp->shards, 0,
               dedup__sp_tag(&c->p), 0};
  *edges = ob_frame(&ob, h, edges_len);
  rc = *edges ? DEDUP_OK : DEDUP_ENOMEM;
  if (rc == DEDUP_OK)
    sp->stage = SPS_VECS;
out:
  dedup__free(ob.w.p);
  dedup__free(id);
  dedup__free(w);
  return rc;
}

/* ---- the assembler: stories ------------------------------------------- */

int dedup__spread_run_stories(dedup_corpus *c, const void *const *edges,
                              const size_t *edges_len, size_t n,
                              const dedup__runopts *o) {
  dedup__sasm *a = c->sasm;
  uint64_t tag = dedup__sp_tag(&c->p);
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    sp_head h;
    int rc = dedup__sp_read(&h, edges[i], edges_len[i], SP_EDGES);
    if (rc != DEDUP_OK)
      return rc;
    if (h.tag != tag || h.shards != c->n_rec)
      return DEDUP_EINVAL;
    if (h.n > (edges_len[i] - SP_HEAD - 8) / 12 ||
        edges_len[i] != SP_HEAD + 12 * h.n + 8)
      return DEDUP_EFORMAT;
    total += h.n;
  }
  dedup__edge *e = dedup__malloc((total ? total : 1) * sizeof *e);
  if (!e)
    return DEDUP_ENOMEM;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    const unsigned char *p = (const unsigned char *)edges[i] + SP_HEAD;
    size_t k = (edges_len[i] - SP_HEAD - 8) / 12;
    for (size_t j = 0; j < k; j++, p += 12) {
      dedup__edge x = {dedup__get32(p), dedup__get32(p + 4),
                       dedup__bitsf(dedup__get32(p + 8))};
      if (x.a >= x.b || x.b >= a->n_copy ||
          !(x.sim >= DEDUP__STORY_EDGE_MIN - 1e-6 && x.sim <= 1)) {
        dedup__free(e);
        return DEDUP_EFORMAT;
      }
      e[m++] = x;
    }
  }
  /* A pair both its ends found, once (the batch's story_pairs). */
  qsort(e, m, sizeof *e, dedup__edge_cmp);
  size_t u = 0;
  for (size_t i = 0; i < m; i++) {
    if (u && e[i].a == e[u - 1].a && e[i].b == e[u - 1].b) {
      if (e[i].sim > e[u - 1].sim)
        e[u - 1].sim = e[i].sim;
      continue;
    }
    e[u++] = e[i];
  }
  m = u;
  int rc = DEDUP_ENOMEM;
  size_t ni = c->n_items, g1 = a->n_copy ? a->n_copy : 1;
  uint32_t *rlabel = dedup__malloc(g1 * sizeof *rlabel);
  uint32_t *story_label = dedup__malloc((ni ? ni : 1) * sizeof *story_label);
  dedup__edge *se = NULL;
  if (!rlabel || !story_label)
    goto out;
  size_t n_story = dedup__cluster_average(rlabel, a->n_copy, e, m,
                                          c->p.story_threshold);
  if (n_story == (size_t)-1)
    goto out;
  for (size_t i = 0; i < ni; i++)
    story_label[i] = rlabel[a->copy_label[i]];
  /* Links: representative pairs inside one story, in item ids, then the
   * copy links (run.c). */
  se = dedup__malloc((m + a->nce + 1) * sizeof *se);
  if (!se)
    goto out;
  size_t k = 0;
  for (size_t i = 0; i < m; i++) {
    if (rlabel[e[i].a] != rlabel[e[i].b] || e[i].sim < c->p.story_threshold)
      continue;
    uint32_t x = a->rep[e[i].a], y = a->rep[e[i].b];
    se[k++] = (dedup__edge){DEDUP__MIN(x, y), DEDUP__MAX(x, y), e[i].sim};
  }
  if (a->nce)
    memcpy(se + k, a->ce, a->nce * sizeof *se);
  k += a->nce;
  c->records_spent = 1;
  dedup__edge *ce = a->ce;
  size_t nce = a->nce;
  a->ce = NULL;
  rc = dedup__run_finish(c, o, a->copy_label, a->n_copy, ce, nce,
                         story_label, n_story, se, k);
  se = NULL;
  if (rc != DEDUP_OK)
    dedup__corpus_free_results(c);
out:
  dedup__free(e);
  dedup__free(rlabel);
  dedup__free(story_label);
  dedup__free(se);
  return rc;
}
