/* corpus.c - the corpus handle: documents in, results out.
 *
 * dedup_corpus_add copies a document's name and bytes into the corpus'
 * pool (binary and size checks only; the run normalises in parallel).
 * The run itself is run.c; the queries here only read what it left. */
#include "corpus/corpus_private.h"

#include "text/normalise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BINARY_SNIFF 65536 /* bytes looked at to tell binary data */

/* The pool's slabs grow from POOL_MIN to POOL_MAX bytes; a text larger
 * than POOL_OWN gets a block of its own. */
#define POOL_MIN ((size_t)1 << 16)
#define POOL_MAX ((size_t)64 << 20)
#define POOL_OWN ((size_t)4 << 20)

DEDUP_API int dedup_corpus_new(dedup_corpus **out, const dedup_params *params) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  dedup_params p;
  int rc = dedup__params_resolve(&p, params);
  if (rc != DEDUP_OK)
    return rc;
  dedup_corpus *c = dedup__calloc(1, sizeof *c);
  if (!c)
    return DEDUP_ENOMEM;
  c->p = p;
  *out = c;
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

void dedup__corpus_free_results(dedup_corpus *c) {
  for (size_t i = 0; i < c->n_items; i++) {
    if (c->items[i].art) /* art 0 borrows the document's name */
      dedup__free(c->items[i].name);
    dedup__termset_free(&c->items[i].counts);
    dedup__wvec_free(&c->items[i].tfidf);
  }
  dedup__free(c->story_ids);
  c->story_ids = NULL;
  c->n_story_ids = 0;
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
    dedup__free(c->lv[l].link_ids);
    dedup__free(c->lv[l].link_start);
    dedup__free(c->lv[l].groups);
    dedup__free(c->lv[l].group_start);
    memset(&c->lv[l], 0, sizeof c->lv[l]);
  }
  dedup__free(c->by_name);
  c->by_name = NULL;
  dedup__free(c->doc_at);
  c->doc_at = NULL;
  c->ran = 0;
  c->has_story = 0;
  c->signed_levels = 0;
  dedup__spread_free(c);
}

void dedup__doc_free(cdoc *d) {
  if (!(d->pooled & CDOC_POOL_NAME))
    dedup__free(d->name);
  if (!(d->pooled & CDOC_POOL_RAW))
    dedup__free(d->raw);
  if (!(d->pooled & CDOC_POOL_TEXT))
    dedup__free(d->text);
  if (!(d->pooled & CDOC_POOL_TITLE))
    dedup__free(d->title);
  dedup__u64vec_free(&d->bg);
}

DEDUP_API void dedup_corpus_free(dedup_corpus *c) {
  if (!c)
    return;
  dedup__corpus_free_results(c);
  for (size_t i = 0; i < c->n_docs; i++)
    dedup__doc_free(&c->docs[i]);
  dedup__free(c->docs);
  dedup__free(c->rec_start);
  dedup__free(c->rec_gid);
  pool_free(&c->pool);
  dedup__free(c);
}

DEDUP_API int dedup_corpus_drop_texts(dedup_corpus *c) {
  if (!c)
    return DEDUP_EINVAL;
  if (!c->signed_levels || c->records)
    return DEDUP_ESTATE;
  if (c->texts_dropped)
    return DEDUP_OK;
  size_t nd = c->n_docs;
  /* The names leave the pool first, all or none. */
  char **names = dedup__calloc(nd ? nd : 1, sizeof *names);
  if (!names)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < nd; i++) {
    if (!(c->docs[i].pooled & CDOC_POOL_NAME))
      continue;
    size_t n = strlen(c->docs[i].name) + 1;
    if (!(names[i] = dedup__malloc(n))) {
      for (size_t j = 0; j < i; j++)
        dedup__free(names[j]);
      dedup__free(names);
      return DEDUP_ENOMEM;
    }
    memcpy(names[i], c->docs[i].name, n);
  }
  for (size_t i = 0; i < nd; i++) {
    cdoc *d = &c->docs[i];
    if (names[i]) {
      d->name = names[i];
      d->pooled &= ~(unsigned)CDOC_POOL_NAME;
    }
    char *keep = d->name;
    d->name = NULL; /* dedup__doc_free frees the rest, not the name */
    unsigned pooled = d->pooled;
    d->pooled = pooled | CDOC_POOL_NAME;
    dedup__u64vec bg = d->bg;
    d->bg = (dedup__u64vec){0};
    dedup__doc_free(d);
    d->name = keep;
    d->pooled = 0;
    d->bg = bg;
    d->raw = d->text = d->title = NULL;
    d->raw_len = d->title_len = 0; /* len stays: the heads carry it */
  }
  for (size_t i = 0; i < c->n_items; i++) /* art 0 borrows the name */
    if (!c->items[i].art)
      c->items[i].name = c->docs[c->items[i].doc].name;
  dedup__free(names);
  pool_free(&c->pool);
  c->texts_dropped = 1;
  return DEDUP_OK;
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

int dedup__has_word_byte(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char b = (unsigned char)s[i];
    if (b >= 0x80 || (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' &&
                                                (b | 0x20) <= 'z'))
      return 1;
  }
  return 0;
}

int dedup__doc_check(const char *text, size_t len) {
  if (looks_binary(text, len))
    return DEDUP_EBINARY;
  if (!dedup__has_word_byte(text, len))
    return DEDUP_EEMPTY;
  return DEDUP_OK;
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

#define MAX_TITLE_BYTES ((size_t)1 << 16)

DEDUP_API int dedup_corpus_add(dedup_corpus *c, const char *name,
                               const char *text, size_t len,
                               size_t *n_invalid) {
  return dedup_corpus_add_doc(c, name, text, len, NULL, n_invalid);
}

/* Room in c->docs for one more document (ids are 32-bit). */
static int docs_room(dedup_corpus *c) {
  if (c->n_docs >= UINT32_MAX)
    return DEDUP_ETOOBIG;
  size_t cap = c->cap_docs;
  if (dedup__grow((void **)&c->docs, &c->cap_docs, c->n_docs, 1,
                  sizeof *c->docs) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (c->cap_docs != cap)
    dedup__hint_huge(c->docs, c->cap_docs * sizeof *c->docs);
  return DEDUP_OK;
}

/* What an add refuses that depends on the document alone (the corpus is
 * not read: the batch add checks on several threads); *lang gets the
 * given language's index, 0 when none is given. */
int dedup__add_check(const char *name, const char *text, size_t len,
                     const dedup_doc_meta *meta, int *lang) {
  *lang = 0;
  if (!name || (!text && len))
    return DEDUP_EINVAL;
  /* Version 1 (0.2) ends before lang: never read past its end. */
  if (meta && ((meta->version != 1 && meta->version != 2) ||
               (!meta->title && meta->title_len) ||
               meta->title_len > MAX_TITLE_BYTES))
    return DEDUP_EINVAL;
  const char *given = meta && meta->version >= 2 ? meta->lang : NULL;
  if (given && *given &&
      (*lang = dedup__lang_from_code(given, strlen(given))) < 0)
    return DEDUP_EINVAL;
  if (len > DEDUP_MAX_DOC_BYTES)
    return DEDUP_ETOOBIG;
  return dedup__doc_check(text, len);
}

DEDUP_API int dedup_corpus_add_doc(dedup_corpus *c, const char *name,
                                   const char *text, size_t len,
                                   const dedup_doc_meta *meta,
                                   size_t *n_invalid) {
  if (n_invalid)
    *n_invalid = 0;
  if (!c)
    return DEDUP_EINVAL;
  if (c->records || c->texts_dropped) /* no texts to run again */
    return DEDUP_ESTATE;
  int lang;
  int rc = dedup__add_check(name, text, len, meta, &lang);
  if (rc != DEDUP_OK)
    return rc;
  if ((rc = docs_room(c)) != DEDUP_OK)
    return rc;
  cdoc d = {0};
  d.seq = (uint32_t)c->n_docs;
  char *tmp = NULL;
  size_t tlen = 0;
  /* Count invalid UTF-8 now, so the caller can report it per document;
   * otherwise the normalised text is made later, in parallel, by run. */
  if (n_invalid &&
      dedup__normalise(&tmp, &tlen, text, len, 0, n_invalid) != DEDUP_OK)
    return DEDUP_ENOMEM;
  d.name = keep_bytes(c, name, strlen(name), CDOC_POOL_NAME, &d.pooled);
  /* A title of no words ("", "!!!": how datasets often say "none") is
   * no title: the page keeps its own headline. */
  if (meta && meta->title &&
      dedup__has_word_byte(meta->title, meta->title_len)) {
    char *t = NULL;
    size_t tl = 0;
    /* Normalised now (it is small), as the text will be. */
    if (dedup__normalise(&t, &tl, meta->title, meta->title_len, 0, NULL) !=
        DEDUP_OK) {
      dedup__doc_free(&d);
      dedup__free(tmp);
      if (n_invalid)
        *n_invalid = 0;
      return DEDUP_ENOMEM;
    }
    d.title = keep_bytes(c, t, tl, CDOC_POOL_TITLE, &d.pooled);
    d.title_len = tl;
    dedup__free(t);
    if (!d.title) {
      dedup__doc_free(&d);
      dedup__free(tmp);
      if (n_invalid)
        *n_invalid = 0;
      return DEDUP_ENOMEM;
    }
  }
  if (meta && meta->has_date) {
    d.has_date = 1;
    d.date = meta->date;
  }
  if (lang > 0) { /* "und" given is none given: identified */
    d.lang = (uint8_t)lang;
    d.lang_state = CDOC_LANG_GIVEN;
  }
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
    dedup__doc_free(&d);
    if (n_invalid)
      *n_invalid = 0;
    return DEDUP_ENOMEM;
  }
  c->docs[c->n_docs++] = d;
  dedup__corpus_free_results(c);
  return DEDUP_OK;
}

/* ---- many documents at once ------------------------------------------ */

typedef struct many_ctx {
  dedup_corpus *c;
  const dedup_doc_in *docs;
  int *status;
  size_t *at; /* docs[i] -> its index in c->docs, SIZE_MAX: not kept */
} many_ctx;

static int many_check(void *vctx, unsigned worker, size_t i) {
  (void)worker;
  many_ctx *m = vctx;
  const dedup_doc_in *d = &m->docs[i];
  int lang;
  m->status[i] = dedup__add_check(d->name, d->text, d->len, d->meta, &lang);
  return DEDUP_OK;
}

/* The bytes into the room the serial pass kept: the first touch of fresh
 * pool memory (slow on VMs, see bench/README.md) spread over threads. */
static int many_copy(void *vctx, unsigned worker, size_t i) {
  (void)worker;
  many_ctx *m = vctx;
  if (m->at[i] != SIZE_MAX) {
    cdoc *d = &m->c->docs[m->at[i]];
    memcpy(d->raw, m->docs[i].text, d->raw_len);
    d->raw[d->raw_len] = '\0';
  }
  return DEDUP_OK;
}

/* Keeps docs[i] (checked) without its bytes, which many_copy copies:
 * name, pool room, date and language. */
static int many_keep(dedup_corpus *c, const dedup_doc_in *in) {
  int rc = docs_room(c);
  if (rc != DEDUP_OK)
    return rc;
  cdoc d = {0};
  d.seq = (uint32_t)c->n_docs;
  d.name = keep_bytes(c, in->name, strlen(in->name), CDOC_POOL_NAME,
                      &d.pooled);
  if (in->len < POOL_OWN) {
    d.raw = pool_alloc(&c->pool, in->len + 1);
    if (d.raw)
      d.pooled |= CDOC_POOL_RAW;
  } else {
    d.raw = dedup__malloc(in->len + 1);
  }
  d.raw_len = in->len;
  if (!d.name || !d.raw) {
    dedup__doc_free(&d);
    return DEDUP_ENOMEM;
  }
  const dedup_doc_meta *meta = in->meta;
  if (meta && meta->has_date) {
    d.has_date = 1;
    d.date = meta->date;
  }
  const char *given = meta && meta->version >= 2 ? meta->lang : NULL;
  int lang = given && *given ? dedup__lang_from_code(given, strlen(given))
                             : 0;
  if (lang > 0) { /* checked by dedup__add_check; "und" is none given */
    d.lang = (uint8_t)lang;
    d.lang_state = CDOC_LANG_GIVEN;
  }
  c->docs[c->n_docs++] = d;
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_add_many(dedup_corpus *c, const dedup_doc_in *docs,
                                    size_t n, unsigned threads,
                                    int *status) {
  if (!c || (n && (!docs || !status)))
    return DEDUP_EINVAL;
  if (c->records || c->texts_dropped)
    return DEDUP_ESTATE;
  if (!n)
    return DEDUP_OK;
  if (!threads)
    threads = dedup__cpu_count();
  threads = DEDUP__MIN(threads, (unsigned)DEDUP__MAX_THREADS);
  size_t *at = n <= SIZE_MAX / sizeof *at ? dedup__malloc(n * sizeof *at)
                                          : NULL;
  if (!at) { /* none tried: every status says so */
    for (size_t i = 0; i < n; i++)
      status[i] = DEDUP_ENOMEM;
    return DEDUP_ENOMEM;
  }
  many_ctx m = {c, docs, status, at};
  (void)dedup__parallel_for(threads, n, many_check, &m);
  int rc = DEDUP_OK, added = 0;
  for (size_t i = 0; i < n; i++) {
    at[i] = SIZE_MAX;
    if (rc != DEDUP_OK) {
      status[i] = DEDUP_ENOMEM; /* not tried */
      continue;
    }
    if (status[i] != DEDUP_OK)
      continue;
    const dedup_doc_meta *meta = docs[i].meta;
    if (meta && meta->title &&
        dedup__has_word_byte(meta->title, meta->title_len)) {
      /* A title is normalised as it is kept: the one-by-one add. */
      status[i] = dedup_corpus_add_doc(c, docs[i].name, docs[i].text,
                                       docs[i].len, meta, NULL);
    } else {
      status[i] = many_keep(c, &docs[i]);
      if (status[i] == DEDUP_OK)
        at[i] = c->n_docs - 1;
    }
    if (status[i] == DEDUP_OK)
      added = 1;
    else if (status[i] == DEDUP_ENOMEM)
      rc = DEDUP_ENOMEM;
  }
  (void)dedup__parallel_for(threads, n, many_copy, &m);
  dedup__free(at);
  if (added)
    dedup__corpus_free_results(c);
  return rc;
}

/* ---- queries ---------------------------------------------------------- */

DEDUP_API size_t dedup_corpus_doc_count(const dedup_corpus *c) {
  return c ? c->n_docs : 0;
}

DEDUP_API int dedup_corpus_doc_invalid(const dedup_corpus *c, size_t doc,
                                       size_t *n_invalid) {
  if (n_invalid)
    *n_invalid = 0;
  if (!c || !n_invalid || doc >= c->n_docs)
    return DEDUP_EINVAL;
  if (!c->ran && !c->signed_levels) /* a shard knows after its sign */
    return DEDUP_ESTATE;
  *n_invalid = c->docs[c->doc_at[doc]].n_invalid;
  return DEDUP_OK;
}

DEDUP_API size_t dedup_corpus_item_count(const dedup_corpus *c) {
  return c ? c->n_items : 0;
}

DEDUP_API const char *dedup_corpus_item_name(const dedup_corpus *c,
                                             size_t item) {
  return c && item < c->n_items ? c->items[item].name : NULL;
}

DEDUP_API const char *dedup_corpus_item_lang(const dedup_corpus *c,
                                             size_t item) {
  return c && c->ran && item < c->n_items
             ? dedup__lang_code(c->items[item].lang)
             : NULL;
}

DEDUP_API const char *dedup_lang_code(const char *name) {
  int l = name ? dedup__lang_from_code(name, strlen(name)) : -1;
  return l < 0 ? NULL : dedup__lang_code((unsigned)l);
}

DEDUP_API int dedup_corpus_item_find(const dedup_corpus *c, const char *name,
                                     size_t *item) {
  if (item)
    *item = SIZE_MAX;
  if (!c || !name || !item)
    return DEDUP_EINVAL;
  if (!c->ran)
    return DEDUP_ESTATE;
  /* by_name: item ids sorted by (name, id), made by the run. */
  size_t lo = 0, hi = c->n_items;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(c->items[c->by_name[mid]].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < c->n_items && !strcmp(c->items[c->by_name[lo]].name, name)) {
    *item = c->by_name[lo];
    return DEDUP_OK;
  }
  return DEDUP_ENOTFOUND;
}

static int level_ok(const dedup_corpus *c, dedup_level level) {
  return c && c->ran &&
         (level == DEDUP_LEVEL_COPY ||
          (level == DEDUP_LEVEL_STORY && c->has_story));
}

DEDUP_API int dedup_corpus_has_level(const dedup_corpus *c,
                                     dedup_level level) {
  return level_ok(c, level);
}

DEDUP_API size_t dedup_corpus_cluster_count(const dedup_corpus *c,
                                            dedup_level level) {
  return level_ok(c, level) ? c->lv[level].n_clusters : 0;
}

/* Group k of ids grouped by start (run.c's group_by), or NULL and 0 when
 * the level is not there or k out of range (n may not be NULL). */
static const size_t *group(const dedup_corpus *c, dedup_level level,
                           const size_t *ids, const size_t *start,
                           size_t k, size_t *n) {
  if (!n)
    return NULL;
  *n = 0;
  if (!level_ok(c, level) || k >= c->lv[level].n_clusters)
    return NULL;
  *n = start[k + 1] - start[k];
  return *n ? ids + start[k] : NULL;
}

DEDUP_API const size_t *dedup_corpus_cluster_members(const dedup_corpus *c,
                                                     dedup_level level,
                                                     size_t cluster,
                                                     size_t *n) {
  const struct clevel *L = level_ok(c, level) ? &c->lv[level] : NULL;
  return group(c, level, L ? L->members : NULL, L ? L->start : NULL,
               cluster, n);
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
  if (!c || !a || !b || !similarity)
    return DEDUP_EINVAL;
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

DEDUP_API const size_t *dedup_corpus_cluster_links(const dedup_corpus *c,
                                                   dedup_level level,
                                                   size_t cluster,
                                                   size_t *n) {
  const struct clevel *L = level_ok(c, level) ? &c->lv[level] : NULL;
  return group(c, level, L ? L->link_ids : NULL, L ? L->link_start : NULL,
               cluster, n);
}

DEDUP_API const size_t *dedup_corpus_story_copy_groups(const dedup_corpus *c,
                                                       size_t story,
                                                       size_t *n) {
  const struct clevel *L =
      level_ok(c, DEDUP_LEVEL_STORY) ? &c->lv[DEDUP_LEVEL_STORY] : NULL;
  return group(c, DEDUP_LEVEL_STORY, L ? L->groups : NULL,
               L ? L->group_start : NULL, story, n);
}
