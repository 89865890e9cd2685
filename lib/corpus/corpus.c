/* corpus.c - owns documents and runs the stages over them.
 *
 *   add:  copy the name and bytes into the corpus' pool (binary and size
 *         checks only)
 *   run:  A  normalise every document (in place), count the keys of its
 *            short lines into the corpus' line counts      (threads)
 *         C  per document: tokenise it once, split the page into articles
 *            with the line counts (chrome evidence); per item: word
 *            shingles -> MinHash or SimHash, and term counts  (threads)
 *         D  copy level: LSH candidates, verified on the estimate,
 *            union-find
 *         E  story level over one representative per copy group:
 *            TF-IDF over the representatives, candidates from an
 *            inverted index, exact cosine, average-link clustering
 *
 * Threads only ever write to the slot of the item they work on (the line
 * counts are sums, whatever order they are added in), so the result does
 * not depend on the thread count; documents are sorted by name first, so
 * it does not depend on the order of insertion either. */

#include "common/dedup_private.h"
#include "common/sort.h"

#include "cluster/cluster.h"
#include "corpus/corpus_private.h"
#include "common/hash.h"
#include "index/lsh.h"
#include "sketch/minhash.h"
#include "text/normalise.h"
#include "text/page.h"
#include "text/shingle.h"
#include "sketch/simhash.h"
#include "text/terms.h"
#include "text/tokenise.h"
#include "sketch/wminhash.h"

#include <math.h>
#include <stdatomic.h>
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


/* The pool's slabs grow from POOL_MIN to POOL_MAX bytes; a text larger
 * than POOL_OWN gets a block of its own. */
#define POOL_MIN ((size_t)1 << 16)
#define POOL_MAX ((size_t)64 << 20)
#define POOL_OWN ((size_t)4 << 20)

/* Line counts are split by the top bits of the key over DF_PARTS maps,
 * each behind a lock of its own, so threads rarely wait for each other. */
#define DF_BITS 6
#define DF_PARTS (1u << DF_BITS)

/* LSH over 32-bit signature words: bands are widened to 64-bit words in
 * groups of this many bytes at most. */
#define LSH_BUDGET ((size_t)16 << 20)

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

DEDUP_API int dedup_corpus_set_threads(dedup_corpus *c, unsigned threads) {
  if (!c || threads > 1024)
    return DEDUP_EINVAL;
  c->p.threads = threads ? threads : dedup__cpu_count();
  return DEDUP_OK;
}

/* ---- the pool ---------------------------------------------------------- */

/* Room for n bytes, or NULL (out of memory).  n <= POOL_OWN. */
static char *pool_alloc(cpool *p, size_t n) {
  if (n > p->left) {
    size_t size = p->next ? p->next : POOL_MIN;
    while (size < n)
      size *= 2;
    if (dedup__grow((void **)&p->slab, &p->cap_slab, p->n_slab, 1,
                    sizeof *p->slab) != DEDUP_OK)
      return NULL;
    char *s = dedup__malloc(size);
    if (!s)
      return NULL;
    dedup__hint_huge(s, size);
    p->slab[p->n_slab++] = s;
    p->at = s;
    p->left = size;
    p->next = DEDUP__MIN(size * 2, POOL_MAX);
  }
  char *r = p->at;
  p->at += n;
  p->left -= n;
  return r;
}

static void pool_free(cpool *p) {
  for (size_t i = 0; i < p->n_slab; i++)
    dedup__free(p->slab[i]);
  dedup__free(p->slab);
  memset(p, 0, sizeof *p);
}

/* ---- documents --------------------------------------------------------- */

static void free_results(dedup_corpus *c) {
  for (size_t i = 0; i < c->n_items; i++) {
    if (c->items[i].art) /* art 0 borrows the document's name */
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

static void doc_free(cdoc *d) {
  if (!(d->pooled & CDOC_POOL_NAME))
    dedup__free(d->name);
  if (!(d->pooled & CDOC_POOL_RAW))
    dedup__free(d->raw);
  if (!(d->pooled & CDOC_POOL_TEXT))
    dedup__free(d->text);
  dedup__free(d->arts);
  dedup__free(d->lines);
  dedup__u64vec_free(&d->bg);
}

DEDUP_API void dedup_corpus_free(dedup_corpus *c) {
  if (!c)
    return;
  free_results(c);
  for (size_t i = 0; i < c->n_docs; i++)
    doc_free(&c->docs[i]);
  dedup__free(c->docs);
  pool_free(&c->pool);
  dedup__free(c);
}

/* Text has few control bytes; binary data (images, executables, UTF-16)
 * has many.  NUL and other stray controls inside text are tolerated (the
 * normaliser turns them into spaces). */
static int looks_binary(const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = DEDUP__MIN(len, (size_t)BINARY_SNIFF);
  unsigned ctl = 0; /* n <= 65536: no overflow */
  /* Branch-free, so the compiler can vectorise it: C0 controls other
   * than \t \n \v \f \r (9..13) and ESC. */
  for (size_t i = 0; i < n; i++)
    ctl += (u[i] < 0x20) & ((unsigned char)(u[i] - 9) > 4) & (u[i] != 0x1b);
  return (size_t)ctl * 100 > n; /* more than 1% */
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

/* A copy of s[0..len) plus a NUL, in the pool when it is not too large
 * (*pooled gets flag then).  NULL when out of memory. */
static char *keep_bytes(dedup_corpus *c, const char *s, size_t len,
                        unsigned flag, unsigned *pooled) {
  char *d;
  if (len < POOL_OWN) {
    d = pool_alloc(&c->pool, len + 1);
    if (d)
      *pooled |= flag;
  } else {
    d = dedup__malloc(len + 1);
  }
  if (d) {
    if (len)
      memcpy(d, s, len);
    d[len] = '\0';
  }
  return d;
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
  size_t cap = c->cap_docs;
  if (dedup__grow((void **)&c->docs, &c->cap_docs, c->n_docs, 1,
                  sizeof *c->docs) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (c->cap_docs != cap)
    dedup__hint_huge(c->docs, c->cap_docs * sizeof *c->docs);
  cdoc d = {0};
  char *tmp = NULL;
  size_t tlen = 0;
  /* Count invalid UTF-8 now, so the caller can report it per document;
   * otherwise the normalised text is made later, in parallel, by run. */
  if (n_invalid &&
      dedup__normalise(&tmp, &tlen, text, len, 0, n_invalid) != DEDUP_OK)
    return DEDUP_ENOMEM;
  d.name = keep_bytes(c, name, strlen(name), CDOC_POOL_NAME, &d.pooled);
  if (tmp) {
    d.text = keep_bytes(c, tmp, tlen, CDOC_POOL_TEXT, &d.pooled);
    d.len = tlen;
    d.n_invalid = *n_invalid;
    dedup__free(tmp);
  } else {
    d.raw = keep_bytes(c, text, len, CDOC_POOL_RAW, &d.pooled);
    d.raw_len = len;
  }
  if (!d.name || (!d.raw && !d.text)) {
    /* What the pool lent stays unused until the corpus is freed. */
    doc_free(&d);
    if (n_invalid)
      *n_invalid = 0;
    return DEDUP_ENOMEM;
  }
  c->docs[c->n_docs++] = d;
  free_results(c);
  return DEDUP_OK;
}

/* ---- run: per-worker scratch ----------------------------------------- */

typedef struct scratch {
  dedup__page page;
  dedup__tokvec tok;  /* the document's tokens */
  dedup__tokvec itok; /* an item's tokens: title, then body lines */
  dedup__u64vec sh;   /* its shingles; line keys in phase A */
  uint64_t *mins;     /* a 64-bit MinHash signature */
  dedup__termvec terms;
} scratch;

static void scratch_free(scratch *s) {
  dedup__page_free(&s->page);
  dedup__tokvec_free(&s->tok);
  dedup__tokvec_free(&s->itok);
  dedup__u64vec_free(&s->sh);
  dedup__free(s->mins);
  s->mins = NULL;
  dedup__termvec_free(&s->terms);
}

/* One share of the line counts. */
typedef struct dfpart {
  atomic_flag lock;
  dedup__countmap map;
} dfpart;

/* Items of one document, made in phase C when the number of items per
 * document is not known beforehand (DEDUP_F_SPLIT_EMBEDDED). */
typedef struct docitems {
  citem *items;
  uint64_t *sigs;
  size_t n;
} docitems;

typedef struct run_ctx {
  dedup_corpus *c;
  scratch *ws;
  dfpart *df;
  docitems *split; /* per document, with DEDUP_F_SPLIT_EMBEDDED */
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

/* Normalises a document; the text takes the place of the raw bytes when
 * it fits there (it nearly always does: normalising mostly removes). */
static int normalise_doc(cdoc *d) {
  char *t;
  size_t tlen;
  if (dedup__normalise(&t, &tlen, d->raw, d->raw_len, 0, &d->n_invalid) !=
      DEDUP_OK)
    return DEDUP_ENOMEM;
  if ((d->pooled & CDOC_POOL_RAW) && tlen <= d->raw_len) {
    memcpy(d->raw, t, tlen + 1);
    dedup__free(t);
    t = d->raw;
    d->pooled = (d->pooled & ~(unsigned)CDOC_POOL_RAW) | CDOC_POOL_TEXT;
  } else if (!(d->pooled & CDOC_POOL_RAW)) {
    dedup__free(d->raw);
  } else {
    d->pooled &= ~(unsigned)CDOC_POOL_RAW; /* its room stays unused */
  }
  d->raw = NULL;
  d->raw_len = 0;
  d->text = t;
  d->len = tlen;
  return DEDUP_OK;
}

/* Adds one to the count of each key of keys[0..n) (sorted, distinct):
 * those of one share lie together, so each share is locked once. */
static int df_add(dfpart *df, const uint64_t *keys, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned part = (unsigned)(keys[i] >> (64 - DF_BITS));
    dfpart *p = &df[part];
    while (atomic_flag_test_and_set_explicit(&p->lock, memory_order_acquire))
      ; /* held for a few inserts at most */
    int rc = DEDUP_OK;
    for (; i < n && (unsigned)(keys[i] >> (64 - DF_BITS)) == part; i++)
      if ((rc = dedup__countmap_add(&p->map, keys[i], 1)) != DEDUP_OK)
        break;
    atomic_flag_clear_explicit(&p->lock, memory_order_release);
    if (rc != DEDUP_OK)
      return rc;
  }
  return DEDUP_OK;
}

static uint32_t line_df(const void *ctx, uint64_t key) {
  const dfpart *df = ctx;
  return dedup__countmap_get(&df[key >> (64 - DF_BITS)].map, key);
}

/* A: normalise, count line keys. */
static int phase_prepare(void *vctx, unsigned worker, size_t i) {
  run_ctx *r = vctx;
  cdoc *d = &r->c->docs[i];
  if (!d->text && normalise_doc(d) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (r->c->p.flags & DEDUP_F_NO_CLEAN)
    return DEDUP_OK;
  scratch *s = &r->ws[worker];
  s->sh.n = 0;
  if (dedup__page_keys(&s->sh, &s->page, d->text, d->len, r->c->p.seed) !=
      DEDUP_OK)
    return DEDUP_ENOMEM;
  return df_add(r->df, s->sh.v, s->sh.n);
}

/* Signature of an empty item: what an empty set gives. */
static void sign_empty(const dedup_corpus *c, uint64_t *sig) {
  for (size_t k = 0; k < c->sig_words; k++)
    sig[k] = UINT64_MAX;
}

/* Shingles, signature and terms of article art of document d, whose
 * tokens and page are in s. */
static int sign_item(const dedup_corpus *c, scratch *s, const cdoc *d,
                     const dedup__article *art, citem *item, uint64_t *sig) {
  const dedup__page *pg = &s->page;
  s->itok.n = 0;
  if (art->title.len && dedup__span_take(&s->itok, &s->tok, art->title))
    return DEDUP_ENOMEM;
  for (uint32_t l = 0; l < art->count; l++)
    if (dedup__span_take(&s->itok, &s->tok, pg->lines[art->first + l]))
      return DEDUP_ENOMEM;
  item->words = (uint32_t)s->itok.n;
  item->empty = s->itok.n == 0;
  s->sh.n = 0;
  if (dedup__shingle_words(&s->sh, s->itok.v, s->itok.n, c->p.shingle_k,
                           c->p.seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (c->p.method == DEDUP_METHOD_SIMHASH) {
    sig[0] = dedup__simhash(s->sh.v, NULL, s->sh.n, c->p.seed);
  } else {
    unsigned k = c->p.num_perm;
    if (c->p.minhash_kind == DEDUP_MINHASH_CLASSIC)
      dedup__minhash_classic(s->mins, k, s->sh.v, s->sh.n, c->p.seed);
    else
      dedup__minhash_oph(s->mins, k, s->sh.v, s->sh.n, c->p.seed);
    /* The low halves: the minima are uniform there (a bin's minima share
     * their top bits), and two different ones agree with chance 2^-32. */
    sig[c->sig_words - 1] = 0;
    uint32_t *w = (uint32_t *)(void *)sig;
    for (unsigned j = 0; j < k; j++)
      w[j] = (uint32_t)s->mins[j];
  }
  if (!(c->p.flags & DEDUP_F_COPY_ONLY) &&
      dedup__terms_count_tokens(&item->terms, d->text, s->tok.v, s->tok.n,
                                pg->lines, art, c->p.seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  return DEDUP_OK;
}

static int item_name(citem *item, const cdoc *d, size_t a) {
  if (a == 0) {
    item->name = d->name;
    return DEDUP_OK;
  }
  size_t n = strlen(d->name) + 24;
  item->name = dedup__malloc(n);
  if (!item->name)
    return DEDUP_ENOMEM;
  snprintf(item->name, n, "%s#%zu", d->name, a + 1);
  return DEDUP_OK;
}

/* C: tokenise once, cut the page, sign its items. */
static int phase_items(void *vctx, unsigned worker, size_t i) {
  run_ctx *r = vctx;
  dedup_corpus *c = r->c;
  scratch *s = &r->ws[worker];
  cdoc *d = &c->docs[i];
  dedup__page *pg = &s->page;
  s->tok.n = 0;
  if (dedup__tokenise(&s->tok, d->text, d->len, c->p.seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  int rc;
  if (c->p.flags & DEDUP_F_NO_CLEAN)
    rc = dedup__page_whole(pg, d->text, d->len);
  else
    rc = dedup__page_parse_tokens(pg, d->text, d->len, s->tok.v, s->tok.n,
                                  c->p.seed, line_df, r->df);
  if (rc != DEDUP_OK)
    return DEDUP_ENOMEM;
  size_t keep = (c->p.flags & DEDUP_F_SPLIT_EMBEDDED)
                    ? pg->n_arts
                    : DEDUP__MIN(pg->n_arts, 1);
  size_t n = keep ? keep : 1; /* a page of no words is still an item */
  citem *items;
  uint64_t *sigs;
  if (r->split) {
    docitems *o = &r->split[i];
    o->items = dedup__calloc(n, sizeof *o->items);
    o->sigs = dedup__malloc(n * c->sig_words * sizeof *o->sigs);
    if (!o->items || !o->sigs)
      return DEDUP_ENOMEM;
    o->n = n;
    items = o->items;
    sigs = o->sigs;
  } else {
    items = &c->items[i];
    sigs = c->sigs + i * c->sig_words;
  }
  for (size_t a = 0; a < n; a++) {
    citem *item = &items[a];
    uint64_t *sig = sigs + a * c->sig_words;
    item->doc = (uint32_t)i;
    item->art = (uint32_t)a;
    if (item_name(item, d, a) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (keep == 0) {
      item->empty = 1;
      sign_empty(c, sig);
    } else if (sign_item(c, s, d, &pg->arts[a], item, sig) != DEDUP_OK) {
      return DEDUP_ENOMEM;
    }
  }
  /* Articles embedded in the page but not items: their term sets. */
  d->bg.n = 0;
  d->n_bg = 0;
  if (c->p.flags & DEDUP_F_COPY_ONLY)
    return DEDUP_OK;
  for (size_t a = keep; a < pg->n_arts; a++) {
    if (dedup__terms_count_tokens(&s->terms, d->text, s->tok.v, s->tok.n,
                                  pg->lines, &pg->arts[a],
                                  c->p.seed) != DEDUP_OK ||
        dedup__u64vec_reserve(&d->bg, s->terms.n) != DEDUP_OK)
      return DEDUP_ENOMEM;
    for (size_t j = 0; j < s->terms.n; j++)
      d->bg.v[d->bg.n++] = s->terms.v[j].id;
    d->n_bg++;
  }
  return DEDUP_OK;
}

/* DEDUP_F_SPLIT_EMBEDDED: the items of every document, in order. */
static int gather_split(dedup_corpus *c, docitems *split) {
  size_t n = 0;
  for (size_t i = 0; i < c->n_docs; i++)
    n += split[i].n;
  if (n > UINT32_MAX)
    return DEDUP_ETOOBIG;
  c->items = dedup__calloc(n ? n : 1, sizeof *c->items);
  c->sigs = dedup__reallocarray(NULL, (n ? n : 1) * c->sig_words,
                                sizeof *c->sigs);
  if (!c->items || !c->sigs)
    return DEDUP_ENOMEM;
  dedup__hint_huge(c->items, n * sizeof *c->items);
  dedup__hint_huge(c->sigs, n * c->sig_words * sizeof *c->sigs);
  size_t at = 0;
  for (size_t i = 0; i < c->n_docs; i++) {
    docitems *o = &split[i];
    memcpy(c->items + at, o->items, o->n * sizeof *o->items);
    memcpy(c->sigs + at * c->sig_words, o->sigs,
           o->n * c->sig_words * sizeof *o->sigs);
    at += o->n;
    c->n_items = at; /* they own the items' names and terms now */
    dedup__free(o->items);
    dedup__free(o->sigs);
    *o = (docitems){0};
  }
  return DEDUP_OK;
}

static void free_split(docitems *split, size_t nd) {
  for (size_t i = 0; split && i < nd; i++) {
    for (size_t a = 0; a < split[i].n; a++) {
      if (split[i].items[a].art)
        dedup__free(split[i].items[a].name);
      dedup__termvec_free(&split[i].items[a].terms);
    }
    dedup__free(split[i].items);
    dedup__free(split[i].sigs);
  }
  dedup__free(split);
}

/* ---- copy level ------------------------------------------------------- */

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

/* Candidate pairs of the MinHash signatures: b bands of r words.  The
 * batch LSH takes 64-bit words, so the bands are widened a group at a
 * time (LSH_BUDGET bytes) and the groups' pairs merged: the same pairs as
 * one batch over all bands of 64-bit words. */
static int minhash_pairs(dedup__pairvec *out, const dedup_corpus *c,
                         unsigned b, unsigned r) {
  size_t n = c->n_items;
  size_t per = (size_t)r * sizeof(uint64_t) * (n ? n : 1);
  size_t g = DEDUP__MAX(LSH_BUDGET / per, (size_t)1);
  g = DEDUP__MIN(g, (size_t)b);
  uint64_t *wide = dedup__reallocarray(NULL, (n ? n : 1) * g * r,
                                       sizeof *wide);
  dedup__u64vec acc = {0};
  dedup__pairvec pv = {0};
  size_t done = 0;
  int rc = DEDUP_ENOMEM;
  if (!wide)
    goto out;
  dedup__hint_huge(wide, (n ? n : 1) * g * r * sizeof *wide);
  for (unsigned j0 = 0; j0 < b; j0 += (unsigned)g) {
    size_t gn = DEDUP__MIN(g, (size_t)(b - j0)), w = gn * r;
    for (size_t i = 0; i < n; i++) {
      const uint32_t *s = sig32(c, i) + (size_t)j0 * r;
      uint64_t *o = wide + i * w;
      for (size_t t = 0; t < w; t++)
        o[t] = s[t];
    }
    rc = dedup__lsh_pairs(&pv, wide, n, w, (unsigned)gn, r, MAX_BUCKET);
    if (rc != DEDUP_OK)
      goto out;
    rc = DEDUP_ENOMEM;
    if (dedup__u64vec_reserve(&acc, pv.n) != DEDUP_OK)
      goto out;
    for (size_t i = 0; i < pv.n; i++)
      acc.v[acc.n++] = (uint64_t)pv.v[i].a << 32 | pv.v[i].b;
    /* True copies share most groups: deduplicate when the list has
     * doubled, so it stays near twice the distinct pairs. */
    if (acc.n > 2 * done) {
      dedup__u64_sort_unique(acc.v, &acc.n);
      done = acc.n;
    }
  }
  dedup__u64_sort_unique(acc.v, &acc.n);
  dedup__pairvec_free(out);
  if (acc.n) {
    out->v = dedup__reallocarray(NULL, acc.n, sizeof *out->v);
    if (!out->v)
      goto out;
    for (size_t i = 0; i < acc.n; i++)
      out->v[i] = (dedup__pair){(uint32_t)(acc.v[i] >> 32),
                                (uint32_t)acc.v[i]};
    out->n = out->cap = acc.n;
  }
  rc = DEDUP_OK;
out:
  dedup__pairvec_free(&pv);
  dedup__u64vec_free(&acc);
  dedup__free(wide);
  return rc;
}

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
    if (c->p.method == DEDUP_METHOD_SIMHASH) {
      unsigned dist = dedup__popcount64(c->sigs[a] ^ c->sigs[b]);
      v->sim[i] = dist <= v->maxd ? 1.0f - dist / 64.0f : -1;
    } else {
      double e = est32(sig32(c, a), sig32(c, b), c->p.num_perm);
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
    rc = minhash_pairs(&pv, c, b, r);
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

/* Story candidates: weighted MinHash (ICWS, wminhash.h) of every
 * representative's terms, one sample a band; each candidate pair is then
 * scored by its exact cosine.  The sketch only proposes pairs: its
 * estimate of the weighted Jaccard J has a standard error of
 * sqrt(J (1-J) / k), 0.02-0.04 at k = 128 for story pairs, and J is no
 * function of the cosine (cos / J from 2 to 5 measured), far too coarse
 * to decide against a threshold of 0.245.
 *
 * One sample a band: measured on labelled news (2,770 and 50
 * representatives), pairs near the story threshold have a weighted
 * Jaccard of about cos / 2 on average and cos / 5 at the 1st percentile
 * (0.05 at cos 0.25).  Bands of 2 samples would need thousands of samples
 * to find them; bands of 1 find a pair of Jaccard J in one of k bands with
 * probability 1 - (1-J)^k.  So k comes from the threshold t: a pair of
 * Jaccard STORY_JAC_COS * STORY_NEAR * t is missed with probability
 * STORY_MISS at most (pairs a little below t still count in the averages
 * of average link).  t = 0.245 gives k = 128.  Squared weights (they sum
 * to 1) give the samples to the heavy terms (names, places).
 *
 * Candidates per representative, not per bucket: every band's (sample,
 * rep) entries are sorted so a bucket is a run, ids ascending.  Rep i
 * walks its run in each band, MAX_BUCKET entries each side of its own
 * place at most (a bigger bucket is a common term, as at the copy level),
 * and counts the samples each other rep shares with it.  Its STORY_TOP_M
 * reps of most shared samples (ties: smaller id) are scored; those of
 * cosine >= STORY_EDGE_MIN become edges, a pair found from both sides
 * once.  So work and memory are O(n (k + M)), with no list of all
 * candidate pairs: on a corpus of one topic every pair shares some
 * sample, and taking every bucket pair gave 67% of all pairs as
 * candidates on 5,000 generated pages (7.7M edges; 16 s / 644 MB,
 * 20,000 pages 192 s / 3.7 GB, 100,000 538 s / 20.8 GB, end to end).
 * Now 5,000 take 2.6 s / 68 MB, 20,000 9.7 s / 262 MB, 100,000 42 s /
 * 1.2 GB (2 cores), with fewer spurious merges of pages of one topic;
 * the labelled sets score as before or better (gva-dev pairwise F1
 * 0.746, B-cubed 0.908; newswcl50 0.947, 0.958; M of 32 and 128 score
 * within 0.002 of 64). */
#define STORY_MIN_K 64   /* samples at least: ICWS draws 64 at a time */
#define STORY_MAX_K 1024 /* samples at most (thresholds below ~0.02);
                          * shared-sample counts fit 16 bits */
#define STORY_JAC_COS 0.2
#define STORY_NEAR 0.8
#define STORY_MISS 0.01
#define STORY_SALT 0x5d0f7e6a3c1b2d49ULL
/* Candidates scored per representative: a story is rarely more than a
 * few dozen copies-apart reports, and average link needs only the strong
 * links of each rep to find its story; the rest of a topic-wide
 * neighbourhood scores below the threshold anyway. */
#define STORY_TOP_M 64
_Static_assert(STORY_TOP_M <= UINT8_MAX, "npart counts fit 8 bits");
_Static_assert(STORY_MAX_K <= UINT16_MAX, "sample counts fit 16 bits");

static unsigned story_samples(double t) {
  double j = STORY_JAC_COS * STORY_NEAR * t;
  double k = ceil(log(STORY_MISS) / log1p(-DEDUP__MIN(j, 0.5)));
  k = ceil(k / STORY_MIN_K) * STORY_MIN_K;
  return (unsigned)DEDUP__MIN(DEDUP__MAX(k, (double)STORY_MIN_K),
                              (double)STORY_MAX_K);
}

typedef struct story_ctx {
  const dedup_corpus *c;
  const uint32_t *reps;
  size_t n;
  unsigned k;
  uint64_t seed;
  uint64_t *sig;    /* k words per representative */
  uint64_t *f;      /* per worker: max_terms feature ids */
  float *w;         /* per worker: max_terms weights */
  size_t max_terms;
  dedup__kid *sbuf;  /* per worker: 2 n entries to sort a band */
  uint32_t *run;    /* band q, place p: run (bucket) number, q n + p */
  uint32_t *ids;    /* band q, place p: rep, q n + p */
  uint32_t *pos;    /* rep i, band q: its place, i k + q */
  uint16_t *cnt;    /* per worker: n shared-sample counts, kept at 0 */
  uint32_t *touch;  /* per worker: tcap reps with a count */
  uint32_t *tie;    /* per worker: tcap reps */
  uint32_t *hist;   /* per worker: k + 1 counts of counts */
  size_t tcap;
  uint32_t *part;   /* rep i: its edges' other ends, i M.., ascending */
  float *psim;      /* ... and their cosines */
  uint8_t *npart;   /* rep i: how many */
} story_ctx;

static int story_sign(void *vctx, unsigned worker, size_t g) {
  story_ctx *s = vctx;
  const dedup__termvec *tv = &s->c->items[s->reps[g]].terms;
  uint64_t *f = s->f + (size_t)worker * s->max_terms;
  float *w = s->w + (size_t)worker * s->max_terms;
  uint64_t *sig = s->sig + g * s->k;
  for (size_t j = 0; j < tv->n; j++) {
    f[j] = tv->v[j].id;
    w[j] = tv->v[j].w * tv->v[j].w;
  }
  dedup__wminhash_icws(sig, s->k, f, w, tv->n, s->seed);
  /* No usable term: all words would be UINT64_MAX and all such
   * representatives one bucket.  Words of their own instead. */
  if (sig[0] == UINT64_MAX)
    for (unsigned q = 0; q < s->k; q++)
      sig[q] = g;
  return DEDUP_OK;
}


/* Band q: sorts its (sample, rep) entries, numbers the runs of equal
 * samples and notes every rep's place. */
static int story_band(void *vctx, unsigned worker, size_t q) {
  story_ctx *s = vctx;
  size_t n = s->n, k = s->k;
  dedup__kid *v = s->sbuf + (size_t)worker * 2 * n;
  for (size_t i = 0; i < n; i++)
    v[i] = (dedup__kid){s->sig[i * k + q], (uint32_t)i};
  dedup__kid_radix(v, v + n, n);
  uint32_t *run = s->run + q * n, *ids = s->ids + q * n;
  uint32_t r = 0;
  for (size_t p = 0; p < n; p++) {
    r += p > 0 && v[p].key != v[p - 1].key;
    run[p] = r;
    ids[p] = v[p].id;
    s->pos[(size_t)v[p].id * k + q] = (uint32_t)p;
  }
  return DEDUP_OK;
}


/* Rep i: counts the samples other reps share with it (its runs, at most
 * MAX_BUCKET places each side), scores its STORY_TOP_M best and keeps
 * those of cosine >= STORY_EDGE_MIN, other ends ascending. */
static int story_cand(void *vctx, unsigned worker, size_t i) {
  story_ctx *s = vctx;
  size_t n = s->n, k = s->k;
  uint16_t *cnt = s->cnt + (size_t)worker * n;
  uint32_t *touch = s->touch + (size_t)worker * s->tcap;
  uint32_t *tie = s->tie + (size_t)worker * s->tcap;
  uint32_t *hist = s->hist + (size_t)worker * (k + 1);
  size_t nt = 0;
  for (size_t q = 0; q < k; q++) {
    const uint32_t *run = s->run + q * n, *ids = s->ids + q * n;
    size_t p = s->pos[i * k + q];
    uint32_t r = run[p];
    size_t lo = p > MAX_BUCKET ? p - MAX_BUCKET : 0;
    size_t hi = DEDUP__MIN(n - 1, p + MAX_BUCKET);
    for (size_t x = p; x > lo && run[x - 1] == r; x--) {
      uint32_t j = ids[x - 1];
      if (!cnt[j]++)
        touch[nt++] = j;
    }
    for (size_t x = p; x < hi && run[x + 1] == r; x++) {
      uint32_t j = ids[x + 1];
      if (!cnt[j]++)
        touch[nt++] = j;
    }
  }
  /* The best M: all reps above some count c, the smallest ids of those
   * at c for the rest.  Counts go back to 0 for the worker's next rep. */
  uint32_t *sel = touch;
  size_t ns = nt;
  if (nt > STORY_TOP_M) {
    memset(hist, 0, (k + 1) * sizeof *hist);
    for (size_t t = 0; t < nt; t++)
      hist[cnt[touch[t]]]++;
    size_t above = 0, c = k;
    while (above + hist[c] < STORY_TOP_M)
      above += hist[c--];
    size_t nties = 0;
    ns = 0;
    for (size_t t = 0; t < nt; t++) {
      uint32_t j = touch[t];
      size_t cj = cnt[j];
      cnt[j] = 0;
      if (cj > c)
        tie[ns++] = j;
      else if (cj == c)
        touch[nties++] = j; /* nties <= t: not read again */
    }
    dedup__u32_select(touch, nties, STORY_TOP_M - above);
    memcpy(tie + ns, touch, (STORY_TOP_M - above) * sizeof *tie);
    ns = STORY_TOP_M;
    sel = tie;
  } else {
    for (size_t t = 0; t < nt; t++)
      cnt[touch[t]] = 0;
  }
  dedup__u32_insertion_sort(sel, ns);
  const citem *it = s->c->items;
  const dedup__termvec *a = &it[s->reps[i]].terms;
  uint32_t *part = s->part + i * STORY_TOP_M;
  float *psim = s->psim + i * STORY_TOP_M;
  unsigned m = 0;
  for (size_t t = 0; t < ns; t++) {
    const dedup__termvec *b = &it[s->reps[sel[t]]].terms;
    /* Same order of terms either way: the same sum from both ends. */
    double x = sel[t] < i ? dedup__terms_dot(b, a) : dedup__terms_dot(a, b);
    if (x >= STORY_EDGE_MIN) {
      part[m] = sel[t];
      psim[m++] = (float)DEDUP__MIN(x, 1.0);
    }
  }
  s->npart[i] = (uint8_t)m;
  return DEDUP_OK;
}

static int story_has(const story_ctx *s, size_t j, uint32_t i) {
  const uint32_t *v = s->part + j * STORY_TOP_M;
  size_t lo = 0, hi = s->npart[j];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < i)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->npart[j] && v[lo] == i;
}

static void story_free(story_ctx *s) {
  dedup__free(s->sig);
  dedup__free(s->f);
  dedup__free(s->w);
  dedup__free(s->sbuf);
  dedup__free(s->run);
  dedup__free(s->ids);
  dedup__free(s->pos);
  dedup__free(s->cnt);
  dedup__free(s->touch);
  dedup__free(s->tie);
  dedup__free(s->hist);
  dedup__free(s->part);
  dedup__free(s->psim);
  dedup__free(s->npart);
  s->sig = NULL;
  s->f = NULL;
  s->w = NULL;
  s->sbuf = NULL;
  s->run = s->ids = s->pos = s->touch = s->tie = s->hist = s->part = NULL;
  s->cnt = NULL;
  s->psim = NULL;
  s->npart = NULL;
}

/* Story edges of the n representatives (a < b, cosine >=
 * STORY_EDGE_MIN, each pair once) into *out, *ne. */
static int story_pairs(dedup__edge **out, size_t *ne, story_ctx *s,
                       size_t n) {
  const dedup_corpus *c = s->c;
  unsigned th = c->p.threads;
  size_t k = s->k;
  int rc = DEDUP_ENOMEM;
  dedup__edge *e = NULL;
  *out = NULL;
  *ne = 0;
  s->n = n;
  s->seed = dedup__mix64(c->p.seed ^ STORY_SALT);
  s->max_terms = 1;
  for (size_t g = 0; g < n; g++)
    s->max_terms = DEDUP__MAX(s->max_terms, c->items[s->reps[g]].terms.n);
  size_t n1 = n ? n : 1;
  s->sig = dedup__reallocarray(NULL, n1, k * sizeof *s->sig);
  s->f = dedup__reallocarray(NULL, th, s->max_terms * sizeof *s->f);
  s->w = dedup__reallocarray(NULL, th, s->max_terms * sizeof *s->w);
  if (!s->sig || !s->f || !s->w)
    goto out;
  rc = dedup__parallel_for(th, n, story_sign, s);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  dedup__free(s->f);
  dedup__free(s->w);
  s->f = NULL;
  s->w = NULL;
  /* Per-worker scratch for as many workers as there are tasks at most:
   * threads x n would be large on many cores. */
  unsigned thb = (unsigned)DEDUP__MIN((size_t)th, (size_t)k);
  unsigned thc = (unsigned)DEDUP__MIN((size_t)th, n1);
  if (n1 > SIZE_MAX / 2 / sizeof *s->sbuf)
    goto out;
  s->sbuf = dedup__reallocarray(NULL, thb, 2 * n1 * sizeof *s->sbuf);
  s->run = dedup__reallocarray(NULL, n1, k * sizeof *s->run);
  s->ids = dedup__reallocarray(NULL, n1, k * sizeof *s->ids);
  s->pos = dedup__reallocarray(NULL, n1, k * sizeof *s->pos);
  if (!s->sbuf || !s->run || !s->ids || !s->pos)
    goto out;
  rc = dedup__parallel_for(thb, n ? k : 0, story_band, s);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  dedup__free(s->sig);
  dedup__free(s->sbuf);
  s->sig = NULL;
  s->sbuf = NULL;
  s->tcap = DEDUP__MIN(n1, 2 * (size_t)MAX_BUCKET * k + 1);
  s->cnt = dedup__calloc(thc, n1 * sizeof *s->cnt);
  s->touch = dedup__reallocarray(NULL, thc, s->tcap * sizeof *s->touch);
  s->tie = dedup__reallocarray(NULL, thc, s->tcap * sizeof *s->tie);
  s->hist = dedup__reallocarray(NULL, thc, (k + 1) * sizeof *s->hist);
  s->part = dedup__reallocarray(NULL, n1, STORY_TOP_M * sizeof *s->part);
  s->psim = dedup__reallocarray(NULL, n1, STORY_TOP_M * sizeof *s->psim);
  s->npart = dedup__malloc(n1 * sizeof *s->npart);
  if (!s->cnt || !s->touch || !s->tie || !s->hist || !s->part ||
      !s->psim || !s->npart)
    goto out;
  rc = dedup__parallel_for(thc, n, story_cand, s);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  dedup__free(s->run);
  dedup__free(s->ids);
  dedup__free(s->pos);
  dedup__free(s->cnt);
  s->run = s->ids = s->pos = NULL;
  s->cnt = NULL;
  /* A pair both ends found is taken from its smaller end. */
  size_t tot = 0;
  for (size_t i = 0; i < n; i++)
    tot += s->npart[i];
  e = dedup__malloc((tot ? tot : 1) * sizeof *e);
  if (!e)
    goto out;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t *pv = s->part + i * STORY_TOP_M;
    const float *ps = s->psim + i * STORY_TOP_M;
    for (size_t t = 0; t < s->npart[i]; t++)
      if (pv[t] > i || !story_has(s, pv[t], (uint32_t)i))
        e[m++] = (dedup__edge){DEDUP__MIN(pv[t], (uint32_t)i),
                               DEDUP__MAX(pv[t], (uint32_t)i), ps[t]};
  }
  *out = e;
  *ne = m;
  e = NULL;
  rc = DEDUP_OK;
out:
  dedup__free(e);
  story_free(s);
  return rc;
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
  dedup__countmap df = {0};
  dedup__edge *e = NULL;
  size_t ne = 0;
  if (!rep_of || !reps || !rlabel)
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

  /* Edges from the sketch, scored by the exact cosine (story_pairs). */
  story_ctx s = {0};
  s.c = c;
  s.reps = reps;
  s.k = story_samples(c->p.story_threshold);
  rc = story_pairs(&e, &ne, &s, n_copy);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
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
  dedup__countmap_free(&df);
  dedup__free(e);
  dedup__free(rep_of);
  dedup__free(reps);
  dedup__free(rlabel);
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

  c->sig_words = c->p.method == DEDUP_METHOD_SIMHASH
                     ? 1
                     : ((size_t)c->p.num_perm + 1) / 2;
  r.ws = dedup__calloc(c->p.threads, sizeof *r.ws);
  r.df = dedup__calloc(DF_PARTS, sizeof *r.df);
  if (!r.ws || !r.df)
    goto out;
  for (unsigned t = 0; t < DF_PARTS; t++)
    atomic_flag_clear(&r.df[t].lock);
  for (unsigned t = 0; t < c->p.threads; t++) {
    r.ws[t].mins = dedup__reallocarray(NULL, c->p.num_perm,
                                       sizeof *r.ws[t].mins);
    if (!r.ws[t].mins)
      goto out;
  }

  /* A: normalise; in how many documents each short line appears. */
  rc = dedup__parallel_for(c->p.threads, nd, phase_prepare, &r);
  if (rc != DEDUP_OK)
    goto out;
  for (size_t i = 1; i < nd; i++) {
    /* Documents are usually added in order already. */
    if (cmp_doc(&c->docs[i - 1], &c->docs[i]) > 0) {
      qsort(c->docs, nd, sizeof *c->docs, cmp_doc);
      break;
    }
  }

  /* C: pages to items, items to signatures and terms. */
  rc = DEDUP_ENOMEM;
  if (c->p.flags & DEDUP_F_SPLIT_EMBEDDED) {
    r.split = dedup__calloc(nd ? nd : 1, sizeof *r.split);
    if (!r.split)
      goto out;
  } else {
    if (nd > UINT32_MAX) {
      rc = DEDUP_ETOOBIG;
      goto out;
    }
    c->items = dedup__calloc(nd ? nd : 1, sizeof *c->items);
    c->sigs = dedup__reallocarray(NULL, (nd ? nd : 1) * c->sig_words,
                                  sizeof *c->sigs);
    if (!c->items || !c->sigs)
      goto out;
    dedup__hint_huge(c->items, nd * sizeof *c->items);
    dedup__hint_huge(c->sigs, nd * c->sig_words * sizeof *c->sigs);
    c->n_items = nd;
  }
  rc = dedup__parallel_for(c->p.threads, nd, phase_items, &r);
  if (rc == DEDUP_OK && r.split)
    rc = gather_split(c, r.split);
  if (rc != DEDUP_OK)
    goto out;
  for (unsigned t = 0; t < DF_PARTS; t++)
    dedup__countmap_free(&r.df[t].map);
  for (unsigned t = 0; t < c->p.threads; t++)
    scratch_free(&r.ws[t]);

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
  if (rc == DEDUP_OK) {
    rc = set_level(c, DEDUP_LEVEL_STORY, story_label, n_story, se, nse);
    se = NULL; /* owned by set_level only once it was called */
  }
  if (rc == DEDUP_OK)
    c->ran = 1;
out:
  if (r.ws) {
    for (unsigned t = 0; t < c->p.threads; t++)
      scratch_free(&r.ws[t]);
  }
  if (r.df) {
    for (unsigned t = 0; t < DF_PARTS; t++)
      dedup__countmap_free(&r.df[t].map);
  }
  for (size_t i = 0; i < nd; i++)
    dedup__u64vec_free(&c->docs[i].bg);
  free_split(r.split, nd);
  dedup__free(r.df);
  dedup__free(r.ws);
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
