/* items.c - documents to items: the per-document phases of a run.
 *
 *   A  normalise every document (in place) and count the keys of its
 *      short lines into the corpus' line counts: the evidence of chrome
 *      that repeats across pages
 *   C  tokenise it once, cut the page into articles with those counts;
 *      per item (the main story, and with DEDUP_F_SPLIT_EMBEDDED every
 *      embedded article): word shingles -> MinHash or SimHash, and term
 *      counts for the story level
 *
 * explain.c cuts and shingles an item again with these same calls, so
 * what it shows is what the run saw.  Threads only ever write to the slot
 * of the document they work on (line counts are sums, whatever order they
 * are added in), so nothing depends on the thread count. */
#include "corpus/corpus_private.h"

#include "common/hash.h"
#include "common/sort.h"
#include "sketch/minhash.h"
#include "sketch/simhash.h"
#include "text/normalise.h"
#include "text/shingle.h"
#include "text/tokenise.h"

#include <stdio.h>
#include <string.h>

/* ---- line counts ------------------------------------------------------ */

void dedup__lines_init(dedup__lines *l) {
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++) {
    atomic_flag_clear(&l->part[t].lock);
    l->part[t].map = (dedup__countmap){0};
  }
}

void dedup__lines_free(dedup__lines *l) {
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++)
    dedup__countmap_free(&l->part[t].map);
}

uint32_t dedup__lines_df(const void *ctx, uint64_t key) {
  const dedup__lines *l = ctx;
  return dedup__countmap_get(&l->part[key >> (64 - DEDUP__LINE_BITS)].map,
                             key);
}

/* Adds one to the count of each key of keys[0..n) (sorted, distinct):
 * those of one share lie together, so each share is locked once. */
int dedup__lines_add(dedup__lines *l, const uint64_t *keys, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned part = (unsigned)(keys[i] >> (64 - DEDUP__LINE_BITS));
    dedup__linepart *p = &l->part[part];
    while (atomic_flag_test_and_set_explicit(&p->lock, memory_order_acquire))
      ; /* held for a few inserts at most */
    int rc = DEDUP_OK;
    for (; i < n && (unsigned)(keys[i] >> (64 - DEDUP__LINE_BITS)) == part;
         i++)
      if ((rc = dedup__countmap_add(&p->map, keys[i], 1)) != DEDUP_OK)
        break;
    atomic_flag_clear_explicit(&p->lock, memory_order_release);
    if (rc != DEDUP_OK)
      return rc;
  }
  return DEDUP_OK;
}

int dedup__lines_reserve(dedup__lines *l, const uint64_t *keys, size_t n) {
  size_t per[DEDUP__LINE_PARTS] = {0};
  for (size_t i = 0; i < n; i++)
    per[keys[i] >> (64 - DEDUP__LINE_BITS)]++;
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++)
    if (per[t] && dedup__countmap_reserve(&l->part[t].map, per[t]) != DEDUP_OK)
      return DEDUP_ENOMEM;
  return DEDUP_OK;
}

/* ---- scratch ---------------------------------------------------------- */

int dedup__scratch_init(dedup__scratch *s, const dedup_params *p) {
  *s = (dedup__scratch){0};
  s->mins = dedup__reallocarray(NULL, p->num_perm, sizeof *s->mins);
  return s->mins ? DEDUP_OK : DEDUP_ENOMEM;
}

void dedup__scratch_free(dedup__scratch *s) {
  dedup__page_free(&s->page);
  dedup__tokvec_free(&s->tok);
  dedup__tokvec_free(&s->itok);
  dedup__tokvec_free(&s->ttok);
  dedup__u64vec_free(&s->sh);
  dedup__free(s->mins);
  s->mins = NULL;
  dedup__termvec_free(&s->terms);
  dedup__langid_free(&s->langid);
  dedup__stemmer_free(s->stem);
  s->stem = NULL;
}

/* ---- phase A ---------------------------------------------------------- */

int dedup__doc_normalise(cdoc *d) {
  char *t;
  size_t tlen;
  if (dedup__normalise(&t, &tlen, d->raw, d->raw_len, 0, &d->n_invalid) !=
      DEDUP_OK)
    return DEDUP_ENOMEM;
  /* Normalising nearly always shortens: the text takes the raw bytes'
   * room in the pool. */
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

/* Key of the word run tok[0..DEDUP__GRAM_K): a hash of its token hashes
 * (salted apart from the line keys in the same table). */
#define GRAM_SALT 0x9e3779b97f4a7c15ULL
static uint64_t gram_key(const dedup__token *tok, uint64_t seed) {
  uint64_t h[DEDUP__GRAM_K];
  for (size_t j = 0; j < DEDUP__GRAM_K; j++)
    h[j] = tok[j].hash;
  return dedup__hash(h, sizeof h, seed ^ GRAM_SALT);
}

int dedup__doc_count_lines(dedup__lines *lines, dedup__scratch *s,
                           const cdoc *d, const dedup_params *p) {
  if (p->flags & DEDUP_F_NO_CLEAN)
    return DEDUP_OK;
  s->sh.n = 0;
  if (dedup__page_keys(&s->sh, &s->page, d->text, d->len, p->seed) !=
      DEDUP_OK)
    return DEDUP_ENOMEM;
  return dedup__lines_add(lines, s->sh.v, s->sh.n);
}

typedef struct prep_ctx {
  dedup_corpus *c;
  dedup__scratch *ws;
  dedup__lines *lines; /* NULL: normalise only */
} prep_ctx;

static int phase_prepare(void *vctx, unsigned worker, size_t i) {
  prep_ctx *r = vctx;
  cdoc *d = &r->c->docs[i];
  if (!d->text && dedup__doc_normalise(d) != DEDUP_OK)
    return DEDUP_ENOMEM;
  return r->lines ? dedup__doc_count_lines(r->lines, &r->ws[worker], d,
                                           &r->c->p)
                  : DEDUP_OK;
}

int dedup__docs_prepare(dedup_corpus *c, dedup__scratch *ws,
                        dedup__lines *lines, unsigned threads) {
  prep_ctx pr = {c, ws, lines};
  return dedup__parallel_for(threads, c->n_docs, phase_prepare, &pr);
}

/* ---- word runs many documents share ------------------------------------ */

/* Counting every distinct run at once would hold a count for nearly
 * every word of the corpus (1.4 bytes a byte of text measured: 20,000
 * generated pages 254 -> 384 MB).  Only the runs of more than
 * DEDUP__GRAM_DF documents are kept, so the keys are counted in passes,
 * one range of key values (key % parts) at a time, each pass's heavy keys
 * kept and its counts freed, for one more tokenising of the corpus a
 * pass (the range: the key's high half modulo the passes, so it is
 * independent of the shards' key ownership, the low bits: shard_stats.c
 * counts a shard in passes too).  A pass takes GRAM_PASS_BYTES of text at least and a quarter of
 * the corpus at most: its counts then stay within a third of the texts
 * the corpus holds anyway (and below the story level's own arrays),
 * while the passes, each a full tokenising, stay GRAM_PASSES_MAX at most
 * (passes of 32 MB made 1M generated pages 64 passes, 100,000 pages 10;
 * bench/README.md has the times).  Counts are sums, so the result
 * depends on neither order nor threads, nor on the number of passes
 * (the same clusters in 1 and 3 passes on 20,000 pages; byte-identical
 * output of 100,000 pages in 10 and 2). */
#define GRAM_PASS_BYTES ((size_t)256 << 20)
#define GRAM_PASSES_MAX 4

typedef struct gram_ctx {
  const dedup_corpus *c;
  dedup__scratch *ws;
  dedup__lines *counts;
  unsigned part, parts;
} gram_ctx;

static int phase_grams(void *vctx, unsigned worker, size_t i) {
  gram_ctx *g = vctx;
  dedup__scratch *s = &g->ws[worker];
  const cdoc *d = &g->c->docs[i];
  uint64_t seed = g->c->p.seed;
  s->tok.n = 0;
  s->sh.n = 0;
  if (dedup__tokenise(&s->tok, d->text, d->len, seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (s->tok.n < DEDUP__GRAM_K)
    return DEDUP_OK;
  size_t ng = s->tok.n - DEDUP__GRAM_K + 1;
  if (dedup__u64vec_reserve(&s->sh, ng) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (size_t j = 0; j < ng; j++) {
    uint64_t k = gram_key(s->tok.v + j, seed);
    if ((k >> 32) % g->parts == g->part)
      s->sh.v[s->sh.n++] = k;
  }
  /* Sorted: the keys of one share together, as lines_add wants them. */
  dedup__u64_sort_unique(s->sh.v, &s->sh.n);
  return dedup__lines_add(g->counts, s->sh.v, s->sh.n);
}

int dedup__grams_count(dedup__lines *counts, const dedup_corpus *c,
                       dedup__scratch *ws, unsigned threads, unsigned part,
                       unsigned parts) {
  gram_ctx g = {c, ws, counts, part, parts};
  return dedup__parallel_for(threads, c->n_docs, phase_grams, &g);
}

int dedup__grams_keep_heavy(dedup__countmap *heavy,
                            const dedup__lines *counts) {
  int rc = DEDUP_OK;
  for (unsigned t = 0; t < DEDUP__LINE_PARTS && rc == DEDUP_OK; t++) {
    const dedup__countmap *m = &counts->part[t].map;
    for (size_t j = 0; j < m->cap && rc == DEDUP_OK; j++)
      if (m->counts[j] > DEDUP__GRAM_DF)
        rc = dedup__countmap_add(heavy, m->keys[j], 1);
    if (m->zero_count > DEDUP__GRAM_DF && rc == DEDUP_OK)
      rc = dedup__countmap_add(heavy, 0, 1);
  }
  return rc;
}

unsigned dedup__grams_parts(const dedup_corpus *c) {
  size_t bytes = 0;
  for (size_t i = 0; i < c->n_docs; i++)
    bytes += c->docs[i].text ? c->docs[i].len : c->docs[i].raw_len;
  return (unsigned)DEDUP__MIN(bytes / GRAM_PASS_BYTES + 1, GRAM_PASSES_MAX);
}

int dedup__grams_heavy(dedup__countmap *heavy, const dedup_corpus *c,
                       dedup__scratch *ws, unsigned threads) {
  unsigned parts = dedup__grams_parts(c);
  dedup__lines *counts = dedup__malloc(sizeof *counts);
  if (!counts)
    return DEDUP_ENOMEM;
  int rc = DEDUP_OK;
  for (unsigned part = 0; part < parts && rc == DEDUP_OK; part++) {
    dedup__lines_init(counts);
    rc = dedup__grams_count(counts, c, ws, threads, part, parts);
    if (rc == DEDUP_OK)
      rc = dedup__grams_keep_heavy(heavy, counts);
    dedup__lines_free(counts);
  }
  dedup__free(counts);
  return rc;
}

/* Marks DEDUP__TOK_CHROME the tokens of s->tok inside a word run more
 * than DEDUP__GRAM_DF documents share (heavy: dedup__grams_heavy). */
static void mark_chrome(dedup__scratch *s, const dedup__countmap *heavy,
                        uint64_t seed) {
  if (s->tok.n < DEDUP__GRAM_K || !heavy->n)
    return;
  /* The keys of a window of runs looked up together (marking changes
   * only flags, which the keys do not read). */
  enum { WINDOW = 64 };
  uint64_t key[WINDOW];
  uint32_t count[WINDOW];
  size_t ng = s->tok.n - DEDUP__GRAM_K + 1, until = 0;
  for (size_t i0 = 0; i0 < ng; i0 += WINDOW) {
    size_t nw = DEDUP__MIN(ng - i0, (size_t)WINDOW);
    for (size_t w = 0; w < nw; w++)
      key[w] = gram_key(s->tok.v + i0 + w, seed);
    dedup__countmap_get_many(heavy, key, nw, count);
    for (size_t w = 0, i = i0; w < nw; w++, i++)
      if (count[w])
        for (until = DEDUP__MAX(until, i); until < i + DEDUP__GRAM_K; until++)
          s->tok.v[until].flags |= DEDUP__TOK_CHROME;
  }
}

/* An article whose body is mostly shared runs is a copy many pages
 * carry: its words are the story after all, unmarked. */
static void keep_copied(dedup__scratch *s, const dedup__article *a) {
  size_t all = 0, marked = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t l = 0; l < a->count; l++) {
      size_t f, e;
      dedup__span_tokens(s->tok.v, s->tok.n, s->page.lines[a->first + l], &f,
                         &e);
      for (size_t i = f; i < e; i++) {
        if (pass == 0) {
          all++;
          marked += (s->tok.v[i].flags & DEDUP__TOK_CHROME) != 0;
        } else {
          s->tok.v[i].flags &= (uint8_t)~DEDUP__TOK_CHROME;
        }
      }
    }
    if (pass == 0 && 2 * marked <= all)
      return;
  }
}

/* ---- phase C ---------------------------------------------------------- */

/* The language of a document just tokenised into s->tok. */
static unsigned doc_lang(dedup__scratch *s, const cdoc *d,
                         const dedup_params *p, const dedup__langs *langs) {
  if (d->lang_state != CDOC_LANG_UNKNOWN)
    return d->lang;
  if (p->flags & DEDUP_F_NO_LANGID)
    return DEDUP__LANG_EN;
  return dedup__lang_identify(langs, &s->langid, d->text, d->len, s->tok.v,
                              s->tok.n);
}

int dedup__doc_termctx(dedup__termctx *tc, dedup__scratch *s,
                       const dedup_params *p, const dedup__langs *langs) {
  if (!s->stem && !(s->stem = dedup__stemmer_new()))
    return DEDUP_ENOMEM;
  /* An undetermined page (too little text to tell) is read as English,
   * so that it still meets the English pages it most likely belongs
   * with. */
  *tc = (dedup__termctx){p->seed, dedup__lang_terms(s->lang), langs,
                         s->stem};
  return DEDUP_OK;
}

int dedup__doc_cut(dedup__scratch *s, const cdoc *d, const dedup_params *p,
                   const dedup__lines *lines, const dedup__langs *langs) {
  return dedup__doc_cut_with(s, d, p, dedup__lines_df, lines, langs);
}

int dedup__doc_cut_with(dedup__scratch *s, const cdoc *d,
                        const dedup_params *p, dedup__df_fn df,
                        const void *df_ctx, const dedup__langs *langs) {
  s->tok.n = 0;
  s->ttok.n = 0;
  if (dedup__tokenise(&s->tok, d->text, d->len, p->seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  s->lang = doc_lang(s, d, p, langs);
  /* Prose is told by its stop words: this language's. */
  dedup__langs_flag_stops(langs, s->lang, s->tok.v, s->tok.n);
  s->page.stop_scale = dedup__lang_stop_scale(s->lang);
  s->page.blind_prose = s->lang != DEDUP__LANG_UND &&
                        (!dedup__lang_has_stoplist(s->lang) ||
                         dedup__lang_words_of(s->lang) == DEDUP__WORDS_THAI);
  /* A given title is the title: tokenised on its own (it is no line of
   * the page) and marked, so whoever reads a token's bytes knows which
   * string its offset is into. */
  s->title = d->title;
  if (d->title) {
    if (dedup__tokenise(&s->ttok, d->title, d->title_len, p->seed) !=
        DEDUP_OK)
      return DEDUP_ENOMEM;
    dedup__langs_flag_stops(langs, s->lang, s->ttok.v, s->ttok.n);
    for (size_t i = 0; i < s->ttok.n; i++)
      s->ttok.v[i].flags |= DEDUP__TOK_TITLE;
  }
  s->page.given_title = d->title != NULL;
  int rc;
  if (p->flags & DEDUP_F_NO_CLEAN)
    rc = dedup__page_whole(&s->page, d->text, d->len);
  else
    rc = dedup__page_parse_tokens(&s->page, d->text, d->len, s->tok.v,
                                  s->tok.n, p->seed, df, df_ctx);
  return rc == DEDUP_OK ? DEDUP_OK : DEDUP_ENOMEM;
}

int dedup__item_tokens(dedup__tokvec *out, dedup__u64vec *sh,
                       const dedup__scratch *s, const dedup__article *art,
                       const dedup_params *p) {
  out->n = 0;
  sh->n = 0;
  if (s->title && art == s->page.arts) {
    if (dedup__grow((void **)&out->v, &out->cap, 0, s->ttok.n,
                    sizeof *out->v) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (s->ttok.n)
      memcpy(out->v, s->ttok.v, s->ttok.n * sizeof *out->v);
    out->n = s->ttok.n;
  } else if (art->title.len && dedup__span_take(out, &s->tok, art->title)) {
    return DEDUP_ENOMEM;
  }
  for (uint32_t l = 0; l < art->count; l++)
    if (dedup__span_take(out, &s->tok, s->page.lines[art->first + l]))
      return DEDUP_ENOMEM;
  return dedup__shingle_words(sh, out->v, out->n, p->shingle_k, p->seed);
}

void dedup__item_minhash(uint64_t *mins, const uint64_t *sh, size_t n,
                         const dedup_params *p) {
  if (p->minhash_kind == DEDUP_MINHASH_CLASSIC)
    dedup__minhash_classic(mins, p->num_perm, sh, n, p->seed);
  else
    dedup__minhash_oph(mins, p->num_perm, sh, n, p->seed);
}

/* Items of one document, made in phase C when the number of items per
 * document is not known beforehand (DEDUP_F_SPLIT_EMBEDDED). */
typedef struct docitems {
  citem *items;
  uint64_t *sigs;
  size_t n;
} docitems;

typedef struct items_ctx {
  dedup_corpus *c;
  dedup__scratch *ws;
  const dedup__lines *lines;
  const dedup__countmap *heavy; /* word runs many documents share */
  const dedup__langs *langs;    /* stop words of every language */
  docitems *split; /* per document, with DEDUP_F_SPLIT_EMBEDDED */
  int story;       /* count terms for the story level */
} items_ctx;

/* Signature of an empty item: what an empty set gives. */
static void sign_empty(const dedup_corpus *c, uint64_t *sig) {
  for (size_t k = 0; k < c->sig_words; k++)
    sig[k] = UINT64_MAX;
}

/* Shingles, signature and terms of article art of document d, whose
 * tokens and page are in s. */
static int sign_item(const dedup_params *p, size_t sig_words,
                     const dedup__langs *langs, int story, dedup__scratch *s,
                     const cdoc *d, const dedup__article *art, citem *item,
                     uint64_t *sig) {
  if (dedup__item_tokens(&s->itok, &s->sh, s, art, p) != DEDUP_OK)
    return DEDUP_ENOMEM;
  item->words = (uint32_t)s->itok.n;
  item->empty = s->itok.n == 0;
  if (p->method == DEDUP_METHOD_SIMHASH) {
    sig[0] = dedup__simhash(s->sh.v, NULL, s->sh.n, p->seed);
  } else {
    dedup__item_minhash(s->mins, s->sh.v, s->sh.n, p);
    /* The low halves: the minima are uniform there (a bin's minima share
     * their top bits), and two different ones agree with chance 2^-32. */
    sig[sig_words - 1] = 0;
    uint32_t *w = (uint32_t *)(void *)sig;
    for (unsigned j = 0; j < p->num_perm; j++)
      w[j] = (uint32_t)s->mins[j];
  }
  item->lang = s->lang;
  if (!story)
    return DEDUP_OK;
  keep_copied(s, art);
  dedup__termctx tc;
  if (dedup__doc_termctx(&tc, s, p, langs) != DEDUP_OK ||
      dedup__terms_count_titled(
          &s->terms, d->text, s->tok.v, s->tok.n, s->page.lines, art,
          art == s->page.arts ? d->title : NULL, s->ttok.v, s->ttok.n,
          &tc) != DEDUP_OK ||
      dedup__termset_set(&item->counts, &s->terms) != DEDUP_OK)
    return DEDUP_ENOMEM;
  return DEDUP_OK;
}

/* The term ids of the page's articles from `from` on (embedded, not
 * items) into d->bg, one set each, and their number into d->n_bg. */
static int doc_bg(dedup__scratch *s, cdoc *d, const dedup_params *p,
                  const dedup__langs *langs, size_t from) {
  const dedup__page *pg = &s->page;
  d->bg.n = 0;
  d->n_bg = 0;
  dedup__termctx tc;
  if (from < pg->n_arts && dedup__doc_termctx(&tc, s, p, langs) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (size_t a = from; a < pg->n_arts; a++) {
    keep_copied(s, &pg->arts[a]);
    if (dedup__terms_count_tokens(&s->terms, d->text, s->tok.v, s->tok.n,
                                  pg->lines, &pg->arts[a],
                                  &tc) != DEDUP_OK ||
        dedup__u64vec_reserve(&d->bg, s->terms.n) != DEDUP_OK)
      return DEDUP_ENOMEM;
    for (size_t j = 0; j < s->terms.n; j++)
      d->bg.v[d->bg.n++] = s->terms.v[j].id;
    d->n_bg++;
  }
  return DEDUP_OK;
}

int dedup__doc_sign_main(dedup__scratch *s, cdoc *d, const dedup_params *p,
                         size_t sig_words, dedup__df_fn df,
                         const void *df_ctx, const dedup__countmap *heavy,
                         const dedup__langs *langs, citem *item,
                         uint64_t *sig) {
  if (dedup__doc_cut_with(s, d, p, df, df_ctx, langs) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (!(p->flags & DEDUP_F_NO_CLEAN))
    mark_chrome(s, heavy, p->seed);
  *item = (citem){0};
  item->lang = s->lang;
  if (s->page.n_arts == 0) {
    item->empty = 1;
    for (size_t k = 0; k < sig_words; k++)
      sig[k] = UINT64_MAX;
  } else if (sign_item(p, sig_words, langs, 1, s, d, &s->page.arts[0], item,
                       sig) != DEDUP_OK) {
    return DEDUP_ENOMEM;
  }
  return doc_bg(s, d, p, langs, 1);
}

int dedup__item_name(citem *item, const cdoc *d, size_t a) {
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
  items_ctx *r = vctx;
  dedup_corpus *c = r->c;
  dedup__scratch *s = &r->ws[worker];
  cdoc *d = &c->docs[i];
  const dedup__page *pg = &s->page;
  if (dedup__doc_cut(s, d, &c->p, r->lines, r->langs) != DEDUP_OK)
    return DEDUP_ENOMEM;
  /* Found once: explain and later runs read it, as a function of the
   * text it needs no finding again (only this document's worker writes
   * it). */
  if (d->lang_state == CDOC_LANG_UNKNOWN &&
      !(c->p.flags & DEDUP_F_NO_LANGID)) {
    d->lang = (uint8_t)s->lang;
    d->lang_state = CDOC_LANG_FOUND;
  }
  if (r->story && !(c->p.flags & DEDUP_F_NO_CLEAN))
    mark_chrome(s, r->heavy, c->p.seed);
  size_t keep = (c->p.flags & DEDUP_F_SPLIT_EMBEDDED)
                    ? pg->n_arts
                    : DEDUP__MIN(pg->n_arts, 1);
  size_t n = keep ? keep : 1; /* a page of no words is still an item */
  citem *items;
  uint64_t *sigs;
  if (r->split) {
    docitems *o = &r->split[i];
    o->items = dedup__calloc(n, sizeof *o->items);
    o->sigs = dedup__reallocarray(NULL, n * c->sig_words, sizeof *o->sigs);
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
    if (dedup__item_name(item, d, a) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (keep == 0) {
      item->empty = 1;
      item->lang = s->lang;
      sign_empty(c, sig);
    } else if (sign_item(&c->p, c->sig_words, r->langs, r->story, s, d,
                         &pg->arts[a], item, sig) != DEDUP_OK) {
      return DEDUP_ENOMEM;
    }
  }
  /* Articles embedded in the page but not items: their term sets. */
  d->bg.n = 0;
  d->n_bg = 0;
  if (!r->story)
    return DEDUP_OK;
  return doc_bg(s, d, &c->p, r->langs, keep);
}

/* The corpus' arrays of n items and their signatures (zeroed items). */
static int alloc_items(dedup_corpus *c, size_t n) {
  if (n > UINT32_MAX)
    return DEDUP_ETOOBIG;
  c->items = dedup__calloc(n ? n : 1, sizeof *c->items);
  c->sigs = dedup__reallocarray(NULL, (n ? n : 1) * c->sig_words,
                                sizeof *c->sigs);
  if (!c->items || !c->sigs)
    return DEDUP_ENOMEM;
  dedup__hint_huge(c->items, n * sizeof *c->items);
  dedup__hint_huge(c->sigs, n * c->sig_words * sizeof *c->sigs);
  return DEDUP_OK;
}

/* DEDUP_F_SPLIT_EMBEDDED: the items of every document, in order. */
static int gather_split(dedup_corpus *c, docitems *split) {
  size_t n = 0;
  for (size_t i = 0; i < c->n_docs; i++)
    n += split[i].n;
  int rc = alloc_items(c, n);
  if (rc != DEDUP_OK)
    return rc;
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
      dedup__termset_free(&split[i].items[a].counts);
    }
    dedup__free(split[i].items);
    dedup__free(split[i].sigs);
  }
  dedup__free(split);
}

int dedup__items_make(dedup_corpus *c, dedup__scratch *ws,
                      const dedup__lines *lines,
                      const dedup__countmap *heavy,
                      const dedup__langs *langs,
                      const dedup__runopts *o) {
  size_t nd = c->n_docs;
  items_ctx r = {c,     ws,   lines, heavy,
                 langs, NULL, (o->levels & DEDUP_RUN_STORY) != 0};
  c->sig_words = c->p.method == DEDUP_METHOD_SIMHASH
                     ? 1
                     : ((size_t)c->p.num_perm + 1) / 2;
  if (c->p.flags & DEDUP_F_SPLIT_EMBEDDED) {
    r.split = dedup__calloc(nd ? nd : 1, sizeof *r.split);
    if (!r.split)
      return DEDUP_ENOMEM;
  } else {
    int rc = alloc_items(c, nd);
    if (rc != DEDUP_OK)
      return rc;
    c->n_items = nd;
  }
  int rc = dedup__parallel_for(o->threads, nd, phase_items, &r);
  if (rc == DEDUP_OK && r.split)
    rc = gather_split(c, r.split);
  free_split(r.split, nd);
  return rc;
}
