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
 * same samples, windows, ties and sums (doc/shards.md says why).  This
 * file has the groups, the frequencies, the weighing and the assembler's
 * clustering; shard_story_cands.c the bands, candidates and cosines. */
#include "corpus/corpus_private.h"
#include "corpus/spread.h"

#include "common/sort.h"
#include "sketch/wminhash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    a->rep[g] = SP_NONE;
  /* The batch's representative (story.c's better_rep): most words, the
   * first on a tie. */
  for (size_t i = 0; i < ni; i++) {
    uint32_t g = a->copy_label[i];
    if (a->rep[g] == SP_NONE || c->items[i].words > c->items[a->rep[g]].words)
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
    dedup__put32(o, is_rep ? g : SP_NONE);
    dedup__put32(o + 4, (uint32_t)dated);
    dedup__put64(o + 8, dated ? (uint64_t)a->gdate[g] : 0);
  }
  dedup__sp_seal(p, *len);
  *buf = p;
  return DEDUP_OK;
}

/* ---- a shard: its representatives ------------------------------------ */

/* ids[0..n) (the reps 0..n-1) sorted by their groups g[] (distinct): a
 * radix sort of (group, rep). */
static int sort_by_g(uint32_t *ids, size_t n, const uint32_t *g) {
  dedup__kid *v = dedup__malloc((n ? n : 1) * sizeof *v);
  dedup__kid *tmp = dedup__malloc((n ? n : 1) * sizeof *tmp);
  if (!v || !tmp) {
    dedup__free(v);
    dedup__free(tmp);
    return DEDUP_ENOMEM;
  }
  for (size_t r = 0; r < n; r++)
    v[r] = (dedup__kid){g[r], (uint32_t)r};
  dedup__kid_radix(v, tmp, n);
  for (size_t r = 0; r < n; r++)
    ids[r] = v[r].id;
  dedup__free(v);
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
  if (n_groups >= SP_NONE)
    return DEDUP_EFORMAT;
  for (size_t i = 0; i < c->n_items; i++) {
    uint32_t g = dedup__get32(e + 16 * i), dated = dedup__get32(e + 16 * i + 4);
    if (dated > 1 || (g == SP_NONE && dated) || (g != SP_NONE && g >= n_groups))
      return DEDUP_EFORMAT;
    nr += g != SP_NONE;
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
    if (g == SP_NONE)
      continue;
    item[r] = (uint32_t)i;
    gv[r] = g;
    dv[r] = (uint8_t)dedup__get32(e + 16 * i + 4);
    tv[r] = (int64_t)dedup__get64(e + 16 * i + 8);
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
    if (dedup__get32(e + 16 * i) == SP_NONE)
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
  dedup__sp_clear_bufs(bufs, lens, n);
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
  sp_obuf *ob = dedup__calloc(n, sizeof *ob);
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
    sp_ob_u32(&ob[q], (uint32_t)nl);
    for (size_t l = 0; l < nl; l++)
      sp_ob_u64(&ob[q], N[l]);
  }
  for (size_t s = 0; s < m;) {
    size_t t = s;
    uint32_t reps = 0, arts = 0;
    for (; t < m && v[t].key == v[s].key; t++) {
      reps += v[t].id == 0;
      arts += v[t].id == 1;
    }
    sp_obuf *o = &ob[v[s].key % n];
    sp_ob_u64(o, v[s].key);
    sp_ob_u32(o, reps);
    sp_ob_u32(o, arts);
    o->count++;
    s = t;
  }
  for (size_t q = 0; q < n; q++) {
    sp_head h = {SP_TERMS, 0, sp->shard, (uint32_t)q, sp->shards, 0,
                 dedup__sp_tag(&c->p), 0};
    bufs[q] = dedup__sp_frame(&ob[q], h, &lens[q]);
    if (!bufs[q])
      goto out;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    dedup__sp_free_bufs(bufs, lens, n);
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
  dedup__sp_clear_bufs(df, df_len, n);
  if (!df || !df_len)
    return DEDUP_EINVAL;
  sp_head h0 = {0};
  int rc = dedup__sp_owner_in(terms, terms_len, n, SP_TERMS, &h0);
  if (rc != DEDUP_OK)
    return rc;
  size_t nl = dedup__lang_count();
  uint64_t *N = dedup__calloc(nl, sizeof *N);
  dedup__countmap m = {0};
  sp_obuf *ob = dedup__calloc(n, sizeof *ob);
  rc = DEDUP_ENOMEM;
  if (!N || !ob)
    goto out;
  /* The corpus' counts of this owner's terms. */
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = dedup__sp_body(terms[s], terms_len[s]);
    uint64_t hn = dedup__sp_count(terms[s]);
    if ((rc = read_langs(&r, N, 1)) != DEDUP_OK)
      goto out;
    rc = DEDUP_EFORMAT;
    if (hn != r.left / 16 || r.left % 16)
      goto out;
    rc = DEDUP_ENOMEM;
    if (dedup__countmap_reserve(&m, hn) != DEDUP_OK)
      goto out;
    uint64_t prev = 0;
    for (size_t i = 0; i < hn; i++) {
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
    dedup__rcur r = dedup__sp_body(terms[s], terms_len[s]);
    uint64_t hn = dedup__sp_count(terms[s]);
    dedup__rc_take(&r, 4 + 8 * nl);
    sp_ob_u32(&ob[s], (uint32_t)nl);
    for (size_t l = 0; l < nl; l++)
      sp_ob_u64(&ob[s], N[l]);
    for (size_t i = 0; i < hn; i++) {
      uint64_t id = dedup__rc_u64(&r);
      uint32_t reps = dedup__rc_u32(&r);
      dedup__rc_u32(&r);
      if (!reps)
        continue;
      sp_ob_u64(&ob[s], id);
      sp_ob_u32(&ob[s], dedup__countmap_get(&m, id));
      ob[s].count++;
    }
    sp_head o = {SP_DF, 0, h0.to, (uint32_t)s, (uint32_t)n, 0, h0.tag, 0};
    df[s] = dedup__sp_frame(&ob[s], o, &df_len[s]);
    if (!df[s])
      goto out;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    dedup__sp_free_bufs(df, df_len, n);
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
  int rc = dedup__sp_shard_in(c, df, df_len, n, SP_DF, &h0);
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
    dedup__rcur r = dedup__sp_body(df[s], df_len[s]);
    uint64_t hn = dedup__sp_count(df[s]);
    if ((rc = read_langs(&r, s ? N2 : N, 0)) != DEDUP_OK)
      goto out;
    rc = DEDUP_EFORMAT;
    if ((s && memcmp(N, N2, nl * sizeof *N)) || hn != r.left / 12 ||
        r.left % 12)
      goto out;
    rc = DEDUP_ENOMEM;
    if (dedup__countmap_reserve(&m, hn) != DEDUP_OK)
      goto out;
    for (size_t i = 0; i < hn; i++) {
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
