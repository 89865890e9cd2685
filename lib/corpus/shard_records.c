/* shard_records.c - a signed shard's per-document records (dedup.h,
 * "Shardable passes"; doc/shards.md has the layout), their decoding into
 * one corpus, and pass 4: the batch run's phases D and E over them. */
#include "corpus/corpus_private.h"
#include "corpus/wire.h"

#include "common/bytes.h"
#include "common/hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- records ------------------------------------------------------------ */

/* A shard's records:
 *   "DEDUPREC", u32 version, u32 flags (1: story terms; 2: heads, with
 *   sig_words 0 and no terms),
 *   u32 shingle_k, u32 num_perm, u32 method, u32 minhash_kind,
 *   u64 seed, u32 params flags, u32 sig_words, u64 n_docs, u64 n_items,
 *   per document: u32 name bytes, the name, u64 normalised length,
 *     u64 invalid UTF-8 count, u8 has_date, i64 date, u8 lang,
 *     u8 lang_state, u32 items, u64 other articles, u64 their term ids,
 *     those ids (u64 each);
 *     per item of it: u32 words, u8 empty, u8 lang, sig_words u64,
 *       u64 terms, (u64 id ascending, f32 count) each,
 *   u64 XXH3 of every byte before it. */
#define REC_MAGIC "DEDUPREC"
#define REC_VERSION 1
#define REC_STORY 1u
#define REC_HEADS 2u
#define REC_HEAD 64

static void put_params(dedup__wbuf *b, const dedup_params *p) {
  dedup__wb_u32(b, p->shingle_k);
  dedup__wb_u32(b, p->num_perm);
  dedup__wb_u32(b, (uint32_t)p->method);
  dedup__wb_u32(b, (uint32_t)p->minhash_kind);
  dedup__wb_u64(b, p->seed);
  dedup__wb_u32(b, p->flags);
}

static int records_encode(const dedup_corpus *c, int heads, void **buf,
                          size_t *len) {
  if (buf)
    *buf = NULL;
  if (len)
    *len = 0;
  if (!c || !buf || !len)
    return DEDUP_EINVAL;
  if (!c->signed_levels || c->records)
    return DEDUP_ESTATE;
  int story = !heads && (c->signed_levels & DEDUP_RUN_STORY) != 0;
  size_t sw = heads ? 0 : c->sig_words;
  dedup__wbuf b = {0};
  dedup__wb_bytes(&b, REC_MAGIC, 8);
  dedup__wb_u32(&b, REC_VERSION);
  dedup__wb_u32(&b, (story ? REC_STORY : 0) | (heads ? REC_HEADS : 0));
  put_params(&b, &c->p);
  dedup__wb_u32(&b, (uint32_t)sw);
  dedup__wb_u64(&b, c->n_docs);
  dedup__wb_u64(&b, c->n_items);
  size_t it = 0;
  for (size_t i = 0; i < c->n_docs; i++) {
    const cdoc *d = &c->docs[i];
    size_t nl = strlen(d->name), first = it;
    if (nl > UINT32_MAX) { /* the layout's u32 */
      dedup__free(b.p);
      return DEDUP_ETOOBIG;
    }
    while (it < c->n_items && c->items[it].doc == i)
      it++;
    dedup__wb_u32(&b, (uint32_t)nl);
    dedup__wb_bytes(&b, d->name, nl);
    dedup__wb_u64(&b, d->len);
    dedup__wb_u64(&b, d->n_invalid);
    dedup__wb_u8(&b, (unsigned)d->has_date);
    dedup__wb_u64(&b, (uint64_t)d->date);
    dedup__wb_u8(&b, d->lang);
    dedup__wb_u8(&b, d->lang_state);
    dedup__wb_u32(&b, (uint32_t)(it - first));
    size_t nbg = story ? d->bg.n : 0;
    dedup__wb_u64(&b, story ? d->n_bg : 0);
    dedup__wb_u64(&b, nbg);
    for (size_t j = 0; j < nbg; j++)
      dedup__wb_u64(&b, d->bg.v[j]);
    for (size_t k = first; k < it; k++) {
      const citem *t = &c->items[k];
      dedup__wb_u32(&b, t->words);
      dedup__wb_u8(&b, (unsigned)t->empty);
      dedup__wb_u8(&b, t->lang);
      for (size_t w = 0; w < sw; w++)
        dedup__wb_u64(&b, c->sigs[k * c->sig_words + w]);
      size_t nt = story ? t->counts.n : 0;
      dedup__wb_u64(&b, nt);
      for (size_t j = 0; j < nt; j++) {
        dedup__wb_u64(&b, t->counts.id[j]);
        dedup__wb_u32(&b, dedup__fbits(t->counts.w[j]));
      }
    }
  }
  unsigned char *sum = dedup__wb_room(&b, 8);
  if (b.failed) {
    dedup__free(b.p);
    return DEDUP_ENOMEM;
  }
  dedup__put64(sum, dedup__hash(b.p, b.n - 8, 0));
  *buf = b.p;
  *len = b.n;
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_records_encode(const dedup_corpus *c, void **buf,
                                          size_t *len) {
  return records_encode(c, 0, buf, len);
}

DEDUP_API int dedup_corpus_heads_encode(const dedup_corpus *c, void **buf,
                                        size_t *len) {
  return records_encode(c, 1, buf, len);
}

/* Documents and items decoded, not yet the corpus'. */
typedef struct decoded {
  cdoc *docs;
  size_t nd;
  citem *items;
  uint64_t *sigs;
  size_t ni, cap_items; /* items decoded, room for */
} decoded;

static void decoded_free(decoded *x) {
  for (size_t i = 0; i < x->ni; i++) {
    if (x->items[i].art)
      dedup__free(x->items[i].name);
    dedup__termset_free(&x->items[i].counts);
  }
  for (size_t i = 0; i < x->nd; i++)
    dedup__doc_free(&x->docs[i]);
  dedup__free(x->docs);
  dedup__free(x->items);
  dedup__free(x->sigs);
  *x = (decoded){0};
}

/* An item's terms: ids ascending, counts positive and finite. */
static int read_terms(dedup__rcur *r, dedup__termset *ts) {
  uint64_t n = dedup__rc_u64(r);
  if (r->bad || n > r->left / 12)
    return DEDUP_EFORMAT;
  if (!n)
    return DEDUP_OK;
  dedup__termvec tv = {0};
  tv.v = dedup__malloc(n * sizeof *tv.v);
  if (!tv.v)
    return DEDUP_ENOMEM;
  tv.n = tv.cap = n;
  for (size_t j = 0; j < n; j++) {
    tv.v[j].id = dedup__rc_u64(r);
    tv.v[j].w = dedup__bitsf(dedup__rc_u32(r));
    if (!(tv.v[j].w > 0) || !isfinite(tv.v[j].w) ||
        (j && tv.v[j].id <= tv.v[j - 1].id)) {
      dedup__termvec_free(&tv);
      return DEDUP_EFORMAT;
    }
  }
  int rc = dedup__termset_set(ts, &tv);
  dedup__termvec_free(&tv);
  return rc;
}

static int read_doc(dedup__rcur *r, decoded *x, size_t sig_words, int story,
                    int split) {
  cdoc *d = &x->docs[x->nd];
  *d = (cdoc){0};
  uint32_t nl = dedup__rc_u32(r);
  const unsigned char *name = dedup__rc_take(r, nl); /* "" is a name too */
  if (!name || memchr(name, 0, nl))
    return DEDUP_EFORMAT;
  d->name = dedup__malloc((size_t)nl + 1);
  if (!d->name)
    return DEDUP_ENOMEM;
  memcpy(d->name, name, nl);
  d->name[nl] = '\0';
  x->nd++; /* decoded_free frees it from here on */
  d->len = (size_t)dedup__rc_u64(r);
  d->n_invalid = (size_t)dedup__rc_u64(r);
  d->has_date = (int)dedup__rc_u8(r);
  d->date = (int64_t)dedup__rc_u64(r);
  d->lang = (uint8_t)dedup__rc_u8(r);
  d->lang_state = (uint8_t)dedup__rc_u8(r);
  uint32_t n_items = dedup__rc_u32(r);
  d->n_bg = (size_t)dedup__rc_u64(r);
  uint64_t nbg = dedup__rc_u64(r);
  if (r->bad || d->has_date > 1 || d->lang_state > CDOC_LANG_GIVEN ||
      d->lang >= dedup__lang_count() || !n_items ||
      (!split && n_items != 1) || nbg > r->left / 8 ||
      (!story && (nbg || d->n_bg)) || (nbg && !d->n_bg))
    return DEDUP_EFORMAT;
  if (nbg && dedup__u64vec_reserve(&d->bg, nbg) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (size_t j = 0; j < nbg; j++)
    d->bg.v[d->bg.n++] = dedup__rc_u64(r);
  for (uint32_t a = 0; a < n_items; a++) {
    if (x->ni >= x->cap_items || r->left / (sig_words * 8 + 14) == 0)
      return DEDUP_EFORMAT;
    citem *t = &x->items[x->ni];
    *t = (citem){0};
    t->doc = (uint32_t)(x->nd - 1);
    t->art = a;
    t->words = dedup__rc_u32(r);
    t->empty = (int)dedup__rc_u8(r);
    t->lang = dedup__rc_u8(r);
    if (r->bad || t->empty > 1 || t->lang >= dedup__lang_count())
      return DEDUP_EFORMAT;
    if (dedup__item_name(t, d, a) != DEDUP_OK)
      return DEDUP_ENOMEM;
    x->ni++;
    uint64_t *sig = x->sigs + (x->ni - 1) * sig_words;
    for (size_t w = 0; w < sig_words; w++)
      sig[w] = dedup__rc_u64(r);
    int rc = read_terms(r, &t->counts);
    if (rc != DEDUP_OK)
      return rc;
    if (!story && t->counts.n)
      return DEDUP_EFORMAT;
  }
  return r->bad ? DEDUP_EFORMAT : DEDUP_OK;
}

static int decode_records(decoded *x, const dedup_corpus *c, const void *buf,
                          size_t len, int *story, int *heads) {
  const unsigned char *p = buf;
  *x = (decoded){0};
  if (len < REC_HEAD + 8 || memcmp(p, REC_MAGIC, 8))
    return DEDUP_EFORMAT;
  if (dedup__get32(p + 8) != REC_VERSION)
    return DEDUP_EVERSION;
  if (dedup__get64(p + len - 8) != dedup__hash(p, len - 8, 0))
    return DEDUP_EFORMAT;
  dedup__rcur r = {p + 12, len - 12 - 8, 0};
  uint32_t flags = dedup__rc_u32(&r);
  if ((flags & ~(REC_STORY | REC_HEADS)) || flags == (REC_STORY | REC_HEADS))
    return DEDUP_EFORMAT;
  *story = (flags & REC_STORY) != 0;
  *heads = (flags & REC_HEADS) != 0;
  /* The params that shape records must be the corpus' own. */
  dedup__wbuf want = {0};
  put_params(&want, &c->p);
  const unsigned char *got = dedup__rc_take(&r, 28);
  int same = !want.failed && got && !memcmp(got, want.p, 28);
  dedup__free(want.p);
  if (want.failed)
    return DEDUP_ENOMEM;
  if (!same)
    return DEDUP_EINVAL;
  size_t sig_words = dedup__rc_u32(&r);
  uint64_t nd = dedup__rc_u64(&r), ni = dedup__rc_u64(&r);
  size_t want_words = *heads ? 0
                      : c->p.method == DEDUP_METHOD_SIMHASH
                          ? 1
                          : ((size_t)c->p.num_perm + 1) / 2;
  /* A document takes 40 bytes at least, an item 14 + its signature. */
  if (r.bad || sig_words != want_words || nd > r.left / 40 ||
      ni > r.left / (14 + 8 * sig_words) || ni < nd ||
      c->n_docs + nd >= UINT32_MAX || c->n_items + ni > UINT32_MAX)
    return r.bad || sig_words != want_words ? DEDUP_EFORMAT
           : c->n_docs + nd >= UINT32_MAX || c->n_items + ni > UINT32_MAX
               ? DEDUP_ETOOBIG
               : DEDUP_EFORMAT;
  x->docs = dedup__calloc(nd ? nd : 1, sizeof *x->docs);
  x->items = dedup__calloc(ni ? ni : 1, sizeof *x->items);
  x->sigs = dedup__reallocarray(NULL, (ni ? ni : 1) * DEDUP__MAX(sig_words, 1),
                                sizeof *x->sigs);
  if (!x->docs || !x->items || !x->sigs)
    return DEDUP_ENOMEM;
  x->cap_items = ni;
  int split = (c->p.flags & DEDUP_F_SPLIT_EMBEDDED) != 0;
  for (size_t i = 0; i < nd; i++) {
    int rc = read_doc(&r, x, sig_words, *story, split);
    if (rc != DEDUP_OK)
      return rc;
  }
  if (x->ni != ni || r.left != 0)
    return DEDUP_EFORMAT;
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_records_add(dedup_corpus *c, const void *buf,
                                       size_t len) {
  if (!c || !buf)
    return DEDUP_EINVAL;
  if ((c->n_docs && !c->records) || c->ran || c->records_spent)
    return DEDUP_ESTATE;
  if (c->rec_gid) /* the heads are in the run's order already */
    return DEDUP_ESTATE;
  decoded x;
  int story = 0, heads = 0;
  int rc = decode_records(&x, c, buf, len, &story, &heads);
  if (rc == DEDUP_OK && c->records &&
      (story != c->records_story || heads != c->records_heads))
    rc = DEDUP_EINVAL; /* every shard signed at the same levels */
  size_t sw = heads ? 0
              : c->p.method == DEDUP_METHOD_SIMHASH
                  ? 1
                  : ((size_t)c->p.num_perm + 1) / 2;
  if (rc == DEDUP_OK) {
    size_t *st = dedup__reallocarray(c->rec_start, c->n_rec + 1,
                                     sizeof *st);
    if (st)
      c->rec_start = st; /* room only: n_rec counts it below */
    else
      rc = DEDUP_ENOMEM;
  }
  if (rc == DEDUP_OK && c->cap_docs < c->n_docs + x.nd) {
    cdoc *d = dedup__reallocarray(c->docs, c->n_docs + x.nd, sizeof *d);
    if (d) {
      c->docs = d;
      c->cap_docs = c->n_docs + x.nd;
    } else {
      rc = DEDUP_ENOMEM;
    }
  }
  if (rc == DEDUP_OK) {
    citem *it = dedup__reallocarray(c->items, c->n_items + x.ni + 1,
                                    sizeof *it);
    if (it)
      c->items = it;
    uint64_t *sg = it ? dedup__reallocarray(c->sigs,
                                            (c->n_items + x.ni + 1) *
                                                DEDUP__MAX(sw, 1),
                                            sizeof *sg)
                      : NULL;
    if (sg)
      c->sigs = sg;
    else
      rc = DEDUP_ENOMEM;
  }
  if (rc != DEDUP_OK) {
    decoded_free(&x);
    return rc;
  }
  /* Nothing fails from here: the records become the corpus'. */
  for (size_t i = 0; i < x.nd; i++) {
    x.docs[i].seq = (uint32_t)(c->n_docs + i);
    c->docs[c->n_docs + i] = x.docs[i];
  }
  for (size_t i = 0; i < x.ni; i++) {
    x.items[i].doc += (uint32_t)c->n_docs;
    c->items[c->n_items + i] = x.items[i];
  }
  if (sw)
    memcpy(c->sigs + c->n_items * sw, x.sigs, x.ni * sw * sizeof *x.sigs);
  c->rec_start[c->n_rec++] = c->n_items;
  c->n_docs += x.nd;
  c->n_items += x.ni;
  c->sig_words = sw;
  c->records = 1;
  c->records_story = story;
  c->records_heads = heads;
  dedup__free(x.docs);
  dedup__free(x.items);
  dedup__free(x.sigs);
  return DEDUP_OK;
}

/* ---- pass 4: run -------------------------------------------------------- */

/* A document's place in the run's order: by name, then normalised length
 * (as run.c's cmp_doc), then order of adding: documents of one name come
 * from one shard, in that shard's order already. */
typedef struct docpos {
  const char *name;
  size_t len;
  uint32_t at;
} docpos;

static int cmp_docpos(const void *x, const void *y) {
  const docpos *a = x, *b = y;
  int r = strcmp(a->name, b->name);
  if (r)
    return r;
  if (a->len != b->len)
    return a->len < b->len ? -1 : 1;
  return (a->at > b->at) - (a->at < b->at);
}

/* Documents (and their items, signatures) into the run's order; for
 * heads, c->rec_gid maps each item as added to its place in it. */
int dedup__order_records(dedup_corpus *c) {
  size_t nd = c->n_docs, ni = c->n_items, sw = c->sig_words;
  docpos *pos = dedup__malloc((nd ? nd : 1) * sizeof *pos);
  size_t *first = dedup__malloc((nd + 1) * sizeof *first);
  cdoc *docs = dedup__malloc((nd ? nd : 1) * sizeof *docs);
  citem *items = dedup__malloc((ni ? ni : 1) * sizeof *items);
  uint64_t *sigs = dedup__reallocarray(NULL, (ni ? ni : 1) * DEDUP__MAX(sw, 1),
                                       sizeof *sigs);
  uint32_t *gid = c->records_heads
                      ? dedup__malloc((ni ? ni : 1) * sizeof *gid)
                      : NULL;
  int rc = DEDUP_ENOMEM;
  if (!pos || !first || !docs || !items || !sigs ||
      (c->records_heads && !gid))
    goto out;
  for (size_t i = 0; i < nd; i++)
    pos[i] = (docpos){c->docs[i].name, c->docs[i].len, (uint32_t)i};
  qsort(pos, nd, sizeof *pos, cmp_docpos);
  /* Items are grouped by document in the order added. */
  for (size_t i = 0, t = 0; i <= nd; i++) {
    first[i] = t;
    while (i < nd && t < ni && c->items[t].doc == i)
      t++;
  }
  size_t t = 0;
  for (size_t k = 0; k < nd; k++) {
    size_t d = pos[k].at;
    docs[k] = c->docs[d];
    for (size_t q = first[d]; q < first[d + 1]; q++, t++) {
      items[t] = c->items[q];
      items[t].doc = (uint32_t)k;
      if (sw)
        memcpy(sigs + t * sw, c->sigs + q * sw, sw * sizeof *sigs);
      if (gid)
        gid[q] = (uint32_t)t;
    }
  }
  if (nd) /* no documents: c->docs may be NULL, which memcpy must not get */
    memcpy(c->docs, docs, nd * sizeof *docs);
  dedup__free(c->items);
  dedup__free(c->sigs);
  c->items = items;
  c->sigs = sigs;
  if (gid) {
    dedup__free(c->rec_gid);
    c->rec_gid = gid;
  }
  items = NULL;
  sigs = NULL;
  gid = NULL;
  rc = DEDUP_OK;
out:
  dedup__free(gid);
  dedup__free(pos);
  dedup__free(first);
  dedup__free(docs);
  dedup__free(items);
  dedup__free(sigs);
  return rc;
}

DEDUP_API int dedup_corpus_run_records(dedup_corpus *c,
                                       const dedup_run_options *opts) {
  if (!c)
    return DEDUP_EINVAL;
  if (!c->records || c->records_spent || c->records_heads)
    return DEDUP_ESTATE;
  dedup__runopts o;
  int rc = dedup__runopts_resolve(&o, opts);
  if (rc != DEDUP_OK)
    return rc;
  if ((o.levels & DEDUP_RUN_STORY) && !c->records_story)
    return DEDUP_EINVAL;
  if ((rc = dedup__order_records(c)) != DEDUP_OK)
    return rc;
  /* The story level weighs the terms away as it goes: one run. */
  c->records_spent = 1;
  return dedup__run_back(c, &o, NULL, 0);
}
