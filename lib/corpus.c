/* corpus.c - owns documents and runs the stages over them.
 *
 *   add:  copy the bytes (binary and size checks only)
 *   run:  A  normalise every document, collect its line keys   (threads)
 *         B  count line keys over the corpus (chrome evidence)
 *         C  split pages into articles; per item: word shingles ->
 *            MinHash or SimHash, and term counts               (threads)
 *         D  copy level: LSH candidates, verified on the estimate,
 *            union-find
 *         E  story level over one representative per copy group:
 *            TF-IDF over the representatives, candidates from an
 *            inverted index, exact cosine, average-link clustering
 *
 * Threads only ever write to the slot of the item they work on, so the
 * result does not depend on the thread count; documents are sorted by
 * name first, so it does not depend on the order of insertion either. */
#include "dedup_private.h"

#include "cluster.h"
#include "corpus_private.h"
#include "hash.h"
#include "lsh.h"
#include "minhash.h"
#include "normalise.h"
#include "page.h"
#include "shingle.h"
#include "simhash.h"
#include "terms.h"
#include "tokenise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOC_BYTES ((size_t)INT32_MAX)
#define BINARY_SNIFF 65536    /* bytes looked at to tell binary data */
#define MAX_BUCKET 64         /* LSH bucket members paired with each other */
#define STORY_EDGE_MIN 0.05   /* weaker story links are noise, not kept */
#define STORY_MAX_DF 0.2      /* terms in more reps than this share ... */
#define STORY_MAX_DF_MIN_N 50 /* ... do not make candidates (N > this) */
#define SINGLE_DOC_WEIGHT 0.3 /* weight of a term no other rep has */

void dedup_params_init(dedup_params *p) {
  dedup_params d = DEDUP_PARAMS_INIT;
  *p = d;
}

static int resolve_params(dedup_params *p) {
  if (!p->shingle_k)
    p->shingle_k = 5;
  if (!p->num_perm)
    p->num_perm = 128;
  if (p->threshold == 0)
    p->threshold = p->method == DEDUP_METHOD_SIMHASH
                       ? DEDUP_SIMHASH_THRESHOLD
                       : DEDUP_MINHASH_THRESHOLD;
  if (p->story_threshold == 0)
    p->story_threshold = DEDUP_STORY_THRESHOLD;
  if (!p->threads)
    p->threads = dedup__cpu_count();
  if (p->shingle_k > 64 || p->num_perm > DEDUP__MINHASH_MAX_K ||
      !(p->threshold > 0 && p->threshold <= 1) ||
      !(p->story_threshold > 0 && p->story_threshold <= 1) ||
      (p->method != DEDUP_METHOD_MINHASH &&
       p->method != DEDUP_METHOD_SIMHASH) ||
      (p->minhash_kind != DEDUP_MINHASH_OPH &&
       p->minhash_kind != DEDUP_MINHASH_CLASSIC) ||
      p->threads > 1024 ||
      (p->flags & ~(unsigned)(DEDUP_F_NO_CLEAN | DEDUP_F_SPLIT_EMBEDDED |
                              DEDUP_F_COPY_ONLY)))
    return DEDUP_EINVAL;
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_new(dedup_corpus **out, const dedup_params *params) {
  *out = NULL;
  dedup_corpus *c = dedup__calloc(1, sizeof *c);
  if (!c)
    return DEDUP_ENOMEM;
  if (params)
    c->p = *params;
  else
    dedup_params_init(&c->p);
  int rc = resolve_params(&c->p);
  if (rc != DEDUP_OK) {
    dedup__free(c);
    return rc;
  }
  *out = c;
  return DEDUP_OK;
}

static void free_results(dedup_corpus *c) {
  for (size_t i = 0; i < c->n_items; i++) {
    dedup__free(c->items[i].name);
    dedup__termvec_free(&c->items[i].terms);
  }
  dedup__free(c->items);
  c->items = NULL;
  c->n_items = 0;
  dedup__free(c->sigs);
  c->sigs = NULL;
  for (int l = 0; l < 2; l++) {
    dedup__free(c->lv[l].label);
    dedup__free(c->lv[l].members);
    dedup__free(c->lv[l].start);
    dedup__free(c->lv[l].links);
    memset(&c->lv[l], 0, sizeof c->lv[l]);
  }
  c->ran = 0;
}

DEDUP_API void dedup_corpus_free(dedup_corpus *c) {
  if (!c)
    return;
  free_results(c);
  for (size_t i = 0; i < c->n_docs; i++) {
    dedup__free(c->docs[i].name);
    dedup__free(c->docs[i].raw);
    dedup__free(c->docs[i].text);
  }
  dedup__free(c->docs);
  dedup__free(c);
}

/* Text has few control bytes; binary data (images, executables, UTF-16)
 * has many.  NUL and other stray controls inside text are tolerated (the
 * normaliser turns them into spaces). */
static int looks_binary(const char *s, size_t len) {
  size_t n = DEDUP__MIN(len, (size_t)BINARY_SNIFF), ctl = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char b = (unsigned char)s[i];
    ctl += b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' &&
           b != '\v' && b != 0x1b;
  }
  return ctl * 100 > n; /* more than 1% */
}

static int has_word_byte(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char b = (unsigned char)s[i];
    if (b >= 0x80 || (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' &&
                                                (b | 0x20) <= 'z'))
      return 1;
  }
  return 0;
}

DEDUP_API int dedup_corpus_add(dedup_corpus *c, const char *name,
                               const char *text, size_t len,
                               size_t *n_invalid) {
  if (n_invalid)
    *n_invalid = 0;
  if (!name || (!text && len))
    return DEDUP_EINVAL;
  if (len > MAX_DOC_BYTES)
    return DEDUP_ETOOBIG;
  if (looks_binary(text, len))
    return DEDUP_EBINARY;
  if (!has_word_byte(text, len))
    return DEDUP_EEMPTY;
  if (dedup__grow((void **)&c->docs, &c->cap_docs, c->n_docs, 1,
                  sizeof *c->docs) != DEDUP_OK)
    return DEDUP_ENOMEM;
  cdoc d = {0};
  d.name = dedup__strdup(name);
  d.raw = dedup__malloc(len + 1);
  if (!d.name || !d.raw) {
    dedup__free(d.name);
    dedup__free(d.raw);
    return DEDUP_ENOMEM;
  }
  memcpy(d.raw, text, len);
  d.raw[len] = '\0';
  d.raw_len = len;
  /* Count invalid UTF-8 now, so the caller can report it per document;
   * the normalised text is made later, in parallel, by run. */
  if (n_invalid) {
    char *tmp;
    size_t tlen;
    if (dedup__normalise(&tmp, &tlen, text, len, 0, n_invalid) != DEDUP_OK) {
      dedup__free(d.name);
      dedup__free(d.raw);
      return DEDUP_ENOMEM;
    }
    d.text = tmp;
    d.len = tlen;
    dedup__free(d.raw);
    d.raw = NULL;
  }
  c->docs[c->n_docs++] = d;
  free_results(c);
  return DEDUP_OK;
}

/* ---- run: per-worker scratch ----------------------------------------- */

typedef struct scratch {
  dedup__page page;
  dedup__tokvec tv, all;
  dedup__u64vec sh;
  dedup__termvec terms;
} scratch;

static void scratch_free(scratch *s) {
  dedup__page_free(&s->page);
  dedup__tokvec_free(&s->tv);
  dedup__tokvec_free(&s->all);
  dedup__u64vec_free(&s->sh);
  dedup__termvec_free(&s->terms);
}

typedef struct run_ctx {
  dedup_corpus *c;
  scratch *ws;
  dedup__countmap linedf;
  /* phase C output per document */
  size_t *n_arts;       /* items made from document d */
  size_t *first_item;   /* index of its first item */
} run_ctx;

static int cmp_doc(const void *a, const void *b) {
  const cdoc *x = a, *y = b;
  int r = strcmp(x->name, y->name);
  if (r)
    return r;
  if (x->len != y->len)
    return x->len < y->len ? -1 : 1;
  return memcmp(x->text, y->text, x->len);
}

static int phase_normalise(void *vctx, unsigned worker, size_t i) {
  run_ctx *r = vctx;
  cdoc *d = &r->c->docs[i];
  if (!d->text) {
    if (dedup__normalise(&d->text, &d->len, d->raw, d->raw_len, 0,
                         &d->n_invalid) != DEDUP_OK)
      return DEDUP_ENOMEM;
    dedup__free(d->raw);
    d->raw = NULL;
  }
  dedup__u64vec_free(&d->keys);
  if (r->c->p.flags & DEDUP_F_NO_CLEAN)
    return DEDUP_OK;
  return dedup__page_keys(&d->keys, &r->ws[worker].page, d->text, d->len,
                          r->c->p.seed);
}

static uint32_t line_df(const void *ctx, uint64_t key) {
  return dedup__countmap_get(ctx, key);
}

static int phase_parse(void *vctx, unsigned worker, size_t i) {
  run_ctx *r = vctx;
  dedup_corpus *c = r->c;
  cdoc *d = &c->docs[i];
  dedup__page *pg = &r->ws[worker].page;
  if (c->p.flags & DEDUP_F_NO_CLEAN) {
    if (dedup__page_parse(pg, d->text, d->len, c->p.seed, NULL, NULL))
      return DEDUP_ENOMEM;
    /* Whole text as one item: every line, no title. */
    pg->n_lines = 0;
    size_t pos = 0;
    while (pos < d->len) {
      const char *nl = memchr(d->text + pos, '\n', d->len - pos);
      size_t end = nl ? (size_t)(nl - d->text) : d->len;
      if (end > pos) {
        if (dedup__grow((void **)&pg->lines, &pg->cap_lines, pg->n_lines, 1,
                        sizeof *pg->lines))
          return DEDUP_ENOMEM;
        pg->lines[pg->n_lines++] = (dedup__span){(uint32_t)pos,
                                                 (uint32_t)(end - pos)};
      }
      pos = end + 1;
    }
    pg->n_arts = 0;
    if (dedup__grow((void **)&pg->arts, &pg->cap_arts, 0, 1,
                    sizeof *pg->arts))
      return DEDUP_ENOMEM;
    pg->arts[0] = (dedup__article){{0, 0}, 0, (uint32_t)pg->n_lines, 0};
    pg->n_arts = 1;
  } else if (dedup__page_parse(pg, d->text, d->len, c->p.seed, line_df,
                               &r->linedf) != DEDUP_OK) {
    return DEDUP_ENOMEM;
  }
  size_t keep = (c->p.flags & DEDUP_F_SPLIT_EMBEDDED) ? pg->n_arts
                                                     : DEDUP__MIN(pg->n_arts, 1);
  /* Store the articles compactly on the document for phase C2. */
  dedup__free(d->arts);
  dedup__free(d->lines);
  d->arts = NULL;
  d->lines = NULL;
  /* All articles are kept for the run: those that are not items still
   * tell the story level which words are common in news. */
  d->n_arts = pg->n_arts;
  d->n_items = keep;
  if (pg->n_arts) {
    d->arts = dedup__malloc(pg->n_arts * sizeof *d->arts);
    size_t nl = 0;
    for (size_t a = 0; a < pg->n_arts; a++)
      nl = DEDUP__MAX(nl, (size_t)pg->arts[a].first + pg->arts[a].count);
    d->lines = dedup__malloc((nl ? nl : 1) * sizeof *d->lines);
    if (!d->arts || !d->lines)
      return DEDUP_ENOMEM;
    memcpy(d->arts, pg->arts, pg->n_arts * sizeof *d->arts);
    memcpy(d->lines, pg->lines, nl * sizeof *d->lines);
  }
  r->n_arts[i] = keep ? keep : 1; /* a page of no words is still an item */
  return DEDUP_OK;
}

/* Tokens of an item: title, then body lines, as one stream. */
static int item_tokens(dedup__tokvec *all, const cdoc *d,
                       const dedup__article *a, uint64_t seed) {
  all->n = 0;
  if (a->title.len &&
      dedup__tokenise(all, d->text + a->title.off, a->title.len, seed))
    return DEDUP_ENOMEM;
  for (uint32_t l = 0; l < a->count; l++) {
    dedup__span s = d->lines[a->first + l];
    if (dedup__tokenise(all, d->text + s.off, s.len, seed))
      return DEDUP_ENOMEM;
  }
  return DEDUP_OK;
}

static int phase_sign(void *vctx, unsigned worker, size_t i) {
  run_ctx *r = vctx;
  dedup_corpus *c = r->c;
  scratch *s = &r->ws[worker];
  cdoc *d = &c->docs[i];
  for (size_t a = 0; a < r->n_arts[i]; a++) {
    size_t it = r->first_item[i] + a;
    citem *item = &c->items[it];
    item->doc = (uint32_t)i;
    item->art = (uint32_t)a;
    if (a == 0) {
      item->name = dedup__strdup(d->name);
    } else {
      size_t n = strlen(d->name) + 24;
      item->name = dedup__malloc(n);
      if (item->name)
        snprintf(item->name, n, "%s#%zu", d->name, a + 1);
    }
    if (!item->name)
      return DEDUP_ENOMEM;
    uint64_t *sig = c->sigs + it * c->sig_words;
    if (d->n_items == 0) {
      item->empty = 1;
      for (size_t k = 0; k < c->sig_words; k++)
        sig[k] = UINT64_MAX;
      continue;
    }
    const dedup__article *art = &d->arts[a];
    if (item_tokens(&s->all, d, art, c->p.seed) != DEDUP_OK)
      return DEDUP_ENOMEM;
    item->words = (uint32_t)s->all.n;
    item->empty = s->all.n == 0;
    s->sh.n = 0;
    if (dedup__shingle_words(&s->sh, s->all.v, s->all.n, c->p.shingle_k,
                             c->p.seed) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (c->p.method == DEDUP_METHOD_SIMHASH) {
      sig[0] = dedup__simhash(s->sh.v, NULL, s->sh.n, c->p.seed);
    } else if (c->p.minhash_kind == DEDUP_MINHASH_CLASSIC) {
      dedup__minhash_classic(sig, c->p.num_perm, s->sh.v, s->sh.n,
                             c->p.seed);
    } else {
      dedup__minhash_oph(sig, c->p.num_perm, s->sh.v, s->sh.n, c->p.seed);
    }
    if (!(c->p.flags & DEDUP_F_COPY_ONLY) &&
        dedup__terms_count(&item->terms, &s->tv, d->text,
                           &(dedup__page){.lines = d->lines}, art,
                           c->p.seed) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  /* Articles embedded in the page but not items: their term sets. */
  d->bg.n = 0;
  d->n_bg = 0;
  if (c->p.flags & DEDUP_F_COPY_ONLY)
    return DEDUP_OK;
  for (size_t a = d->n_items; a < d->n_arts; a++) {
    if (dedup__terms_count(&s->terms, &s->tv, d->text,
                           &(dedup__page){.lines = d->lines}, &d->arts[a],
                           c->p.seed) != DEDUP_OK ||
        dedup__u64vec_reserve(&d->bg, s->terms.n) != DEDUP_OK)
      return DEDUP_ENOMEM;
    for (size_t j = 0; j < s->terms.n; j++)
      d->bg.v[d->bg.n++] = s->terms.v[j].id;
    d->n_bg++;
  }
  return DEDUP_OK;
}

/* ---- copy level ------------------------------------------------------- */

typedef struct verify_ctx {
  dedup_corpus *c;
  const dedup__pair *pairs;
  float *sim;
  unsigned maxd; /* simhash: largest Hamming distance that links */
} verify_ctx;

#define VERIFY_CHUNK 4096

static int verify_chunk(void *vctx, unsigned worker, size_t chunk) {
  (void)worker;
  verify_ctx *v = vctx;
  const dedup_corpus *c = v->c;
  size_t lo = chunk * VERIFY_CHUNK;
  size_t hi = DEDUP__MIN(lo + VERIFY_CHUNK, v->c->n_pairs_tmp);
  for (size_t i = lo; i < hi; i++) {
    uint32_t a = v->pairs[i].a, b = v->pairs[i].b;
    if (c->items[a].empty || c->items[b].empty) {
      v->sim[i] = -1;
      continue;
    }
    const uint64_t *sa = c->sigs + (size_t)a * c->sig_words;
    const uint64_t *sb = c->sigs + (size_t)b * c->sig_words;
    if (c->p.method == DEDUP_METHOD_SIMHASH) {
      unsigned dist = dedup__popcount64(sa[0] ^ sb[0]);
      v->sim[i] = dist <= v->maxd ? 1.0f - dist / 64.0f : -1;
    } else {
      double e = dedup__minhash_est(sa, sb, c->p.num_perm);
      v->sim[i] = e >= c->p.threshold ? (float)e : -1;
    }
  }
  return DEDUP_OK;
}

static int copy_level(dedup_corpus *c, dedup__edge **edges, size_t *ne) {
  size_t n = c->n_items;
  dedup__pairvec pv = {0};
  unsigned maxd = 0;
  int rc;
  if (c->p.method == DEDUP_METHOD_SIMHASH) {
    /* Pigeonhole: two fingerprints within distance d agree exactly on at
     * least one of d+1 blocks, so blocks are exact-match bands. */
    maxd = (unsigned)floor((1.0 - c->p.threshold) * 64.0 + 1e-9);
    unsigned blocks = DEDUP__MIN(maxd + 1, 16u);
    uint64_t *bs = dedup__malloc((n ? n : 1) * blocks * sizeof *bs);
    if (!bs)
      return DEDUP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
      uint64_t f = c->sigs[i];
      for (unsigned k = 0; k < blocks; k++) {
        unsigned lo = k * 64 / blocks, hi = (k + 1) * 64 / blocks;
        uint64_t mask = hi - lo == 64 ? UINT64_MAX
                                      : ((UINT64_C(1) << (hi - lo)) - 1);
        bs[i * blocks + k] = (f >> lo) & mask;
      }
    }
    rc = dedup__lsh_pairs(&pv, bs, n, blocks, blocks, 1, MAX_BUCKET);
    dedup__free(bs);
  } else {
    unsigned b, r;
    dedup__lsh_params(c->p.threshold, c->p.num_perm, 0.5, 0.5, &b, &r);
    rc = dedup__lsh_pairs(&pv, c->sigs, n, c->sig_words, b, r, MAX_BUCKET);
  }
  if (rc != DEDUP_OK)
    return rc;
  float *sim = dedup__malloc((pv.n ? pv.n : 1) * sizeof *sim);
  if (!sim) {
    dedup__pairvec_free(&pv);
    return DEDUP_ENOMEM;
  }
  verify_ctx v = {c, pv.v, sim, maxd};
  c->n_pairs_tmp = pv.n;
  rc = dedup__parallel_for(c->p.threads, (pv.n + VERIFY_CHUNK - 1) /
                                             VERIFY_CHUNK,
                           verify_chunk, &v);
  size_t k = 0;
  dedup__edge *e = rc == DEDUP_OK
                       ? dedup__malloc((pv.n ? pv.n : 1) * sizeof *e)
                       : NULL;
  if (e) {
    for (size_t i = 0; i < pv.n; i++)
      if (sim[i] >= 0)
        e[k++] = (dedup__edge){pv.v[i].a, pv.v[i].b, sim[i]};
  } else if (rc == DEDUP_OK) {
    rc = DEDUP_ENOMEM;
  }
  dedup__free(sim);
  dedup__pairvec_free(&pv);
  *edges = e;
  *ne = k;
  return rc;
}

/* ---- story level ------------------------------------------------------ */

typedef struct posting {
  uint32_t *ids;
  size_t n, cap;
} posting;

/* TF-IDF over the representatives: idf = ln((N+1)/(df+0.5)), tf damped by
 * a log; a term only one representative has cannot link it to anything
 * and would only dilute its norm, so it counts little.  L2-normalised. */
static int weigh_terms(dedup_corpus *c, const uint32_t *reps, size_t nr,
                       dedup__countmap *df) {
  for (size_t k = 0; k < nr; k++) {
    const dedup__termvec *tv = &c->items[reps[k]].terms;
    for (size_t j = 0; j < tv->n; j++)
      if (dedup__countmap_add(df, tv->v[j].id, 1) != DEDUP_OK)
        return DEDUP_ENOMEM;
  }
  /* Embedded articles that are not items count as documents of the
   * collection too: more text to learn which words are common from. */
  size_t n_bg = 0;
  for (size_t i = 0; i < c->n_docs; i++) {
    const cdoc *d = &c->docs[i];
    for (size_t j = 0; j < d->bg.n; j++)
      if (dedup__countmap_add(df, d->bg.v[j], 1) != DEDUP_OK)
        return DEDUP_ENOMEM;
    n_bg += d->n_bg;
  }
  double N = (double)(nr + n_bg);
  for (size_t k = 0; k < nr; k++) {
    dedup__termvec *tv = &c->items[reps[k]].terms;
    double norm = 0;
    size_t m = 0;
    for (size_t j = 0; j < tv->n; j++) {
      uint32_t dfv = dedup__countmap_get(df, tv->v[j].id);
      double idf = log((N + 1) / (dfv + 0.5));
      if (idf <= 0)
        continue;
      double tf = tv->v[j].w;
      if (dfv < 2)
        tf *= SINGLE_DOC_WEIGHT;
      double w = tf >= 1 ? (1 + log(tf)) * idf : tf * idf;
      tv->v[m].id = tv->v[j].id;
      tv->v[m].w = (float)w;
      norm += w * w;
      m++;
    }
    tv->n = m;
    norm = sqrt(norm);
    for (size_t j = 0; j < m; j++)
      tv->v[j].w = norm > 0 ? (float)(tv->v[j].w / norm) : 0;
  }
  return DEDUP_OK;
}

static int story_level(dedup_corpus *c, const uint32_t *copy_label,
                       size_t n_copy, uint32_t *story_label,
                       dedup__edge **out_edges, size_t *out_ne,
                       size_t *n_story) {
  size_t n = c->n_items;
  int rc = DEDUP_ENOMEM;
  /* One representative per copy group: its longest member. */
  uint32_t *rep_of = dedup__malloc((n_copy ? n_copy : 1) * sizeof *rep_of);
  uint32_t *reps = dedup__malloc((n_copy ? n_copy : 1) * sizeof *reps);
  uint32_t *rlabel = dedup__malloc((n_copy ? n_copy : 1) * sizeof *rlabel);
  uint32_t *stamp = dedup__calloc(n_copy ? n_copy : 1, sizeof *stamp);
  uint32_t *cand = dedup__malloc((n_copy ? n_copy : 1) * sizeof *cand);
  posting *post = NULL;
  dedup__countmap df = {0}, term_slot = {0};
  dedup__edge *e = NULL;
  size_t ne = 0, cap_e = 0, n_post = 0, cap_post = 0;
  if (!rep_of || !reps || !rlabel || !stamp || !cand)
    goto out;
  for (size_t g = 0; g < n_copy; g++)
    rep_of[g] = UINT32_MAX;
  for (size_t i = 0; i < n; i++) {
    uint32_t g = copy_label[i];
    if (rep_of[g] == UINT32_MAX ||
        c->items[i].words > c->items[rep_of[g]].words)
      rep_of[g] = (uint32_t)i;
  }
  for (size_t g = 0; g < n_copy; g++)
    reps[g] = rep_of[g];
  if (weigh_terms(c, reps, n_copy, &df) != DEDUP_OK)
    goto out;

  /* Candidates: representatives sharing a term that is not in too many of
   * them (those carry little weight and would make the pair count
   * quadratic); each candidate pair is then scored by the exact cosine. */
  size_t max_df = n_copy > STORY_MAX_DF_MIN_N
                      ? (size_t)(STORY_MAX_DF * (double)n_copy)
                      : n_copy;
  for (size_t g = 0; g < n_copy; g++) {
    const dedup__termvec *tv = &c->items[reps[g]].terms;
    size_t nc = 0;
    for (size_t j = 0; j < tv->n; j++) {
      uint64_t id = tv->v[j].id;
      if (dedup__countmap_get(&df, id) > max_df)
        continue;
      uint32_t slot = dedup__countmap_get(&term_slot, id);
      if (!slot) {
        if (dedup__grow((void **)&post, &cap_post, n_post, 1, sizeof *post))
          goto out;
        post[n_post] = (posting){0};
        n_post++;
        slot = (uint32_t)n_post;
        if (dedup__countmap_add(&term_slot, id, slot) != DEDUP_OK)
          goto out;
      }
      posting *p = &post[slot - 1];
      for (size_t q = 0; q < p->n; q++) {
        uint32_t h = p->ids[q];
        if (stamp[h] != g + 1) {
          stamp[h] = (uint32_t)g + 1;
          cand[nc++] = h;
        }
      }
      if (dedup__grow((void **)&p->ids, &p->cap, p->n, 1, sizeof *p->ids))
        goto out;
      p->ids[p->n++] = (uint32_t)g;
    }
    for (size_t q = 0; q < nc; q++) {
      uint32_t h = cand[q];
      double s = dedup__terms_dot(tv, &c->items[reps[h]].terms);
      if (s < STORY_EDGE_MIN)
        continue;
      if (dedup__grow((void **)&e, &cap_e, ne, 1, sizeof *e))
        goto out;
      e[ne++] = (dedup__edge){h, (uint32_t)g, (float)DEDUP__MIN(s, 1.0)};
    }
  }
  *n_story = dedup__cluster_average(rlabel, n_copy, e, ne,
                                    c->p.story_threshold);
  if (*n_story == (size_t)-1)
    goto out;
  for (size_t i = 0; i < n; i++)
    story_label[i] = rlabel[copy_label[i]];
  /* Links: representative pairs inside one story, in item ids. */
  size_t k = 0;
  for (size_t i = 0; i < ne; i++) {
    if (rlabel[e[i].a] != rlabel[e[i].b] || e[i].sim < c->p.story_threshold)
      continue;
    uint32_t a = reps[e[i].a], b = reps[e[i].b];
    e[k++] = (dedup__edge){DEDUP__MIN(a, b), DEDUP__MAX(a, b), e[i].sim};
  }
  *out_edges = e;
  *out_ne = k;
  e = NULL;
  rc = DEDUP_OK;
out:
  for (size_t i = 0; i < n_post; i++)
    dedup__free(post[i].ids);
  dedup__free(post);
  dedup__countmap_free(&df);
  dedup__countmap_free(&term_slot);
  dedup__free(e);
  dedup__free(rep_of);
  dedup__free(reps);
  dedup__free(rlabel);
  dedup__free(stamp);
  dedup__free(cand);
  return rc;
}

/* ---- results ---------------------------------------------------------- */

static int cmp_edge(const void *x, const void *y) {
  const dedup__edge *a = x, *b = y;
  if (a->a != b->a)
    return a->a < b->a ? -1 : 1;
  return (a->b > b->b) - (a->b < b->b);
}

/* Clusters numbered by size (largest first), then first member. */
typedef struct cinfo {
  uint32_t label, size, first;
} cinfo;

static int cmp_cinfo(const void *x, const void *y) {
  const cinfo *a = x, *b = y;
  if (a->size != b->size)
    return a->size > b->size ? -1 : 1;
  return (a->first > b->first) - (a->first < b->first);
}

static int set_level(dedup_corpus *c, int level, const uint32_t *label,
                     size_t n_clusters, dedup__edge *links, size_t n_links) {
  struct clevel *L = &c->lv[level];
  size_t n = c->n_items;
  cinfo *ci = dedup__calloc(n_clusters ? n_clusters : 1, sizeof *ci);
  uint32_t *renum = dedup__malloc((n_clusters ? n_clusters : 1) *
                                  sizeof *renum);
  L->label = dedup__malloc((n ? n : 1) * sizeof *L->label);
  L->members = dedup__malloc((n ? n : 1) * sizeof *L->members);
  L->start = dedup__malloc((n_clusters + 1) * sizeof *L->start);
  if (!ci || !renum || !L->label || !L->members || !L->start) {
    dedup__free(ci);
    dedup__free(renum);
    dedup__free(links);
    return DEDUP_ENOMEM;
  }
  for (size_t k = 0; k < n_clusters; k++)
    ci[k] = (cinfo){(uint32_t)k, 0, UINT32_MAX};
  for (size_t i = 0; i < n; i++) {
    cinfo *x = &ci[label[i]];
    x->size++;
    if (x->first == UINT32_MAX)
      x->first = (uint32_t)i;
  }
  qsort(ci, n_clusters, sizeof *ci, cmp_cinfo);
  L->start[0] = 0;
  for (size_t k = 0; k < n_clusters; k++) {
    renum[ci[k].label] = (uint32_t)k;
    L->start[k + 1] = L->start[k] + ci[k].size;
  }
  size_t *fill = dedup__malloc((n_clusters ? n_clusters : 1) * sizeof *fill);
  if (!fill) {
    dedup__free(ci);
    dedup__free(renum);
    dedup__free(links);
    return DEDUP_ENOMEM;
  }
  memcpy(fill, L->start, n_clusters * sizeof *fill);
  for (size_t i = 0; i < n; i++) {
    uint32_t k = renum[label[i]];
    L->label[i] = k;
    L->members[fill[k]++] = i;
  }
  L->n_clusters = n_clusters;
  qsort(links, n_links, sizeof *links, cmp_edge);
  L->links = links;
  L->n_links = n_links;
  dedup__free(fill);
  dedup__free(ci);
  dedup__free(renum);
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_run(dedup_corpus *c) {
  free_results(c);
  size_t nd = c->n_docs;
  run_ctx r = {0};
  r.c = c;
  int rc = DEDUP_ENOMEM;
  uint32_t *copy_label = NULL, *story_label = NULL;
  dedup__edge *ce = NULL, *se = NULL;
  size_t nce = 0, nse = 0;

  r.ws = dedup__calloc(c->p.threads, sizeof *r.ws);
  r.n_arts = dedup__calloc(nd ? nd : 1, sizeof *r.n_arts);
  r.first_item = dedup__calloc(nd + 1, sizeof *r.first_item);
  if (!r.ws || !r.n_arts || !r.first_item)
    goto out;

  /* A: normalise (documents added with n_invalid are done already). */
  rc = dedup__parallel_for(c->p.threads, nd, phase_normalise, &r);
  if (rc != DEDUP_OK)
    goto out;
  if (nd) /* docs is NULL in an empty corpus: qsort(NULL, 0) is UB */
    qsort(c->docs, nd, sizeof *c->docs, cmp_doc);

  /* B: in how many documents each line appears. */
  for (size_t i = 0; i < nd; i++) {
    for (size_t k = 0; k < c->docs[i].keys.n; k++)
      if (dedup__countmap_add(&r.linedf, c->docs[i].keys.v[k], 1))
        goto out;
    dedup__u64vec_free(&c->docs[i].keys);
  }

  /* C: pages to items, items to signatures and terms. */
  rc = dedup__parallel_for(c->p.threads, nd, phase_parse, &r);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  for (size_t i = 0; i < nd; i++)
    r.first_item[i + 1] = r.first_item[i] + r.n_arts[i];
  c->n_items = r.first_item[nd];
  if (c->n_items > UINT32_MAX) {
    rc = DEDUP_ETOOBIG;
    goto out;
  }
  c->sig_words = c->p.method == DEDUP_METHOD_SIMHASH ? 1 : c->p.num_perm;
  c->items = dedup__calloc(c->n_items ? c->n_items : 1, sizeof *c->items);
  c->sigs = dedup__malloc((c->n_items ? c->n_items : 1) * c->sig_words *
                          sizeof *c->sigs);
  if (!c->items || !c->sigs)
    goto out;
  rc = dedup__parallel_for(c->p.threads, nd, phase_sign, &r);
  if (rc != DEDUP_OK)
    goto out;
  for (size_t i = 0; i < nd; i++) {
    dedup__free(c->docs[i].arts);
    dedup__free(c->docs[i].lines);
    c->docs[i].arts = NULL;
    c->docs[i].lines = NULL;
  }

  /* D: copy level. */
  rc = copy_level(c, &ce, &nce);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  size_t n = c->n_items;
  copy_label = dedup__malloc((n ? n : 1) * sizeof *copy_label);
  story_label = dedup__malloc((n ? n : 1) * sizeof *story_label);
  if (!copy_label || !story_label)
    goto out;
  size_t n_copy = dedup__cluster_union(copy_label, n, ce, nce);
  if (n_copy == (size_t)-1)
    goto out;

  /* E: story level. */
  size_t n_story = n_copy;
  if (c->p.flags & DEDUP_F_COPY_ONLY) {
    memcpy(story_label, copy_label, n * sizeof *story_label);
  } else {
    rc = story_level(c, copy_label, n_copy, story_label, &se, &nse,
                     &n_story);
    if (rc != DEDUP_OK)
      goto out;
  }
  /* Story links include the copy links: copies are the same story. */
  rc = DEDUP_ENOMEM;
  dedup__edge *all = dedup__reallocarray(se, nse + nce + 1, sizeof *all);
  if (!all)
    goto out;
  se = all;
  memcpy(se + nse, ce, nce * sizeof *ce);
  nse += nce;
  rc = set_level(c, DEDUP_LEVEL_COPY, copy_label, n_copy, ce, nce);
  ce = NULL; /* set_level owns it now, also on failure */
  if (rc == DEDUP_OK)
    rc = set_level(c, DEDUP_LEVEL_STORY, story_label, n_story, se, nse);
  se = NULL;
  if (rc == DEDUP_OK)
    c->ran = 1;
out:
  if (r.ws) {
    for (unsigned t = 0; t < c->p.threads; t++)
      scratch_free(&r.ws[t]);
  }
  for (size_t i = 0; i < nd; i++) {
    dedup__u64vec_free(&c->docs[i].keys);
    dedup__u64vec_free(&c->docs[i].bg);
    dedup__free(c->docs[i].arts);
    dedup__free(c->docs[i].lines);
    c->docs[i].arts = NULL;
    c->docs[i].lines = NULL;
  }
  dedup__countmap_free(&r.linedf);
  dedup__free(r.ws);
  dedup__free(r.n_arts);
  dedup__free(r.first_item);
  dedup__free(copy_label);
  dedup__free(story_label);
  dedup__free(ce);
  dedup__free(se);
  if (rc != DEDUP_OK)
    free_results(c);
  return rc;
}

/* ---- queries ---------------------------------------------------------- */

DEDUP_API size_t dedup_corpus_item_count(const dedup_corpus *c) {
  return c->n_items;
}

DEDUP_API const char *dedup_corpus_item_name(const dedup_corpus *c,
                                             size_t item) {
  return item < c->n_items ? c->items[item].name : NULL;
}

static int level_ok(const dedup_corpus *c, dedup_level level) {
  return c->ran && (level == DEDUP_LEVEL_STORY || level == DEDUP_LEVEL_COPY);
}

DEDUP_API size_t dedup_corpus_cluster_count(const dedup_corpus *c,
                                            dedup_level level) {
  return level_ok(c, level) ? c->lv[level].n_clusters : 0;
}

DEDUP_API const size_t *dedup_corpus_cluster_members(const dedup_corpus *c,
                                                     dedup_level level,
                                                     size_t cluster,
                                                     size_t *n) {
  *n = 0;
  if (!level_ok(c, level) || cluster >= c->lv[level].n_clusters)
    return NULL;
  const struct clevel *L = &c->lv[level];
  *n = L->start[cluster + 1] - L->start[cluster];
  return L->members + L->start[cluster];
}

DEDUP_API size_t dedup_corpus_cluster_of(const dedup_corpus *c,
                                         dedup_level level, size_t item) {
  if (!level_ok(c, level) || item >= c->n_items)
    return SIZE_MAX;
  return c->lv[level].label[item];
}

DEDUP_API size_t dedup_corpus_link_count(const dedup_corpus *c,
                                         dedup_level level) {
  return level_ok(c, level) ? c->lv[level].n_links : 0;
}

DEDUP_API int dedup_corpus_link(const dedup_corpus *c, dedup_level level,
                                size_t i, size_t *a, size_t *b,
                                double *similarity) {
  if (!level_ok(c, level))
    return DEDUP_ESTATE;
  if (i >= c->lv[level].n_links)
    return DEDUP_EINVAL;
  const dedup__edge *e = &c->lv[level].links[i];
  *a = e->a;
  *b = e->b;
  *similarity = e->sim;
  return DEDUP_OK;
}
