/* shard_spread.c - pass 4 spread over the shards, copy level (dedup.h,
 * "Pass 4 spread over the shards"; doc/shards.md has the layouts).
 *
 * The batch's copy level (copy.c) links the crowds of exact copies to
 * their first member, puts the rest through banded LSH (a bucket's ids
 * ascending, each paired with the next DEDUP__MAX_BUCKET) and verifies
 * every candidate on its signatures.  Here each of those steps runs where
 * its data is: a bucket is whole at the owner of its key, so its pairs are
 * the batch's; a pair's first item's shard sends its signature to the
 * other's, which verifies.  The run's ids (the batch's item order: by
 * document name, which the assembler of the heads alone sees) make every
 * order the batch's. */
#include "corpus/corpus_private.h"
#include "corpus/spread.h"

#include "common/bytes.h"
#include "common/hash.h"
#include "common/sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SP_MAGIC "DEDUPSP4"
#define SP_VERSION 1

uint64_t dedup__sp_tag(const dedup_params *p) {
  unsigned char b[56];
  dedup__put32(b, p->shingle_k);
  dedup__put32(b + 4, p->num_perm);
  dedup__put32(b + 8, (uint32_t)p->method);
  dedup__put32(b + 12, (uint32_t)p->minhash_kind);
  dedup__put64(b + 16, p->seed);
  dedup__put32(b + 24, p->flags);
  dedup__put64(b + 28, dedup__dbits(p->threshold));
  dedup__put32(b + 36, SP_VERSION);
  dedup__put64(b + 40, dedup__dbits(p->story_threshold));
  dedup__put64(b + 48, dedup__dbits(p->story_days));
  return dedup__hash(b, sizeof b, 0);
}

#define params_tag dedup__sp_tag

static size_t entry_size(uint32_t kind, uint32_t sig_words) {
  switch (kind) {
  case SP_IDS:
    return 4;
  case SP_KEYS:
    return 16; /* u64 key, u32 id, u32 band */
  case SP_PAIRS:
    return 12; /* u32 a, u32 b, u32 b's shard */
  case SP_PROBES:
    return 8 + 8 * (size_t)sig_words; /* u32 a, u32 b, a's signature */
  default:
    return 12; /* links: u32 a, u32 b, f32 similarity */
  }
}

/* A buffer of n entries with its header written; NULL: out of memory. */
static unsigned char *sp_new(const sp_head *h, size_t *len) {
  size_t es = entry_size(h->kind, h->sig_words);
  if (h->n > (SIZE_MAX - SP_HEAD - 8) / es)
    return NULL;
  return dedup__sp_new(h, (size_t)h->n * es, len);
}

unsigned char *dedup__sp_new(const sp_head *h, size_t body, size_t *len) {
  if (body > SIZE_MAX - SP_HEAD - 8)
    return NULL;
  *len = SP_HEAD + body + 8;
  unsigned char *p = dedup__malloc(*len);
  if (!p)
    return NULL;
  memcpy(p, SP_MAGIC, 8);
  dedup__put32(p + 8, SP_VERSION);
  dedup__put32(p + 12, h->kind);
  dedup__put32(p + 16, h->stage);
  dedup__put32(p + 20, h->from);
  dedup__put32(p + 24, h->to);
  dedup__put32(p + 28, h->shards);
  dedup__put32(p + 32, h->sig_words);
  dedup__put64(p + 36, h->tag);
  dedup__put64(p + 44, h->n);
  return p;
}

void dedup__sp_seal(unsigned char *p, size_t len) {
  dedup__put64(p + len - 8, dedup__hash(p, len - 8, 0));
}

/* Checks a buffer's frame and reads its header; the entries start at
 * SP_HEAD. */
static int sp_read(sp_head *h, const void *buf, size_t len, uint32_t kind) {
  int rc = dedup__sp_read(h, buf, len, kind);
  if (rc != DEDUP_OK)
    return rc;
  if (kind != SP_PROBES && h->sig_words)
    return DEDUP_EFORMAT;
  size_t es = entry_size(kind, h->sig_words);
  if (h->n > (len - SP_HEAD - 8) / es || SP_HEAD + h->n * es + 8 != len)
    return DEDUP_EFORMAT;
  return DEDUP_OK;
}

int dedup__sp_read(sp_head *h, const void *buf, size_t len, uint32_t kind) {
  const unsigned char *p = buf;
  if (!buf || len < SP_HEAD + 8 || memcmp(p, SP_MAGIC, 8))
    return DEDUP_EFORMAT;
  if (dedup__get32(p + 8) != SP_VERSION)
    return DEDUP_EVERSION;
  if (dedup__get64(p + len - 8) != dedup__hash(p, len - 8, 0))
    return DEDUP_EFORMAT;
  h->kind = dedup__get32(p + 12);
  h->stage = dedup__get32(p + 16);
  h->from = dedup__get32(p + 20);
  h->to = dedup__get32(p + 24);
  h->shards = dedup__get32(p + 28);
  h->sig_words = dedup__get32(p + 32);
  h->tag = dedup__get64(p + 36);
  h->n = dedup__get64(p + 44);
  if (h->kind != kind || h->sig_words > 4096)
    return DEDUP_EFORMAT;
  if (!h->shards || h->from >= h->shards || h->to >= h->shards)
    return DEDUP_EFORMAT;
  return DEDUP_OK;
}

void dedup__spread_free(dedup_corpus *c) {
  dedup__spread *sp = c->spread;
  if (sp) {
    for (size_t r = 0; sp->vec && r < sp->n_reps; r++) {
      dedup__free(sp->vec[r].id);
      dedup__free(sp->vec[r].w);
    }
    dedup__free(sp->vec);
    dedup__free(sp->samples);
    dedup__free(sp->rep_item);
    dedup__free(sp->rep_g);
    dedup__free(sp->rep_dated);
    dedup__free(sp->rep_date);
    dedup__free(sp->by_g);
    dedup__free(sp->gid);
    dedup__free(sp->crowd);
    dedup__free(sp);
    c->spread = NULL;
  }
  dedup__sasm *a = c->sasm;
  if (a) {
    dedup__free(a->ce);
    dedup__free(a->copy_label);
    dedup__free(a->rep);
    dedup__free(a->gdate);
    dedup__free(a->gdated);
    dedup__free(a);
    c->sasm = NULL;
  }
}

void dedup__sp_free_bufs(void **bufs, size_t *lens, size_t n) {
  for (size_t i = 0; i < n; i++) {
    dedup__free(bufs[i]);
    bufs[i] = NULL;
    lens[i] = 0;
  }
}

void dedup__sp_clear_bufs(void **bufs, size_t *lens, size_t n) {
  if (bufs && lens)
    for (size_t i = 0; i < n; i++) {
      bufs[i] = NULL;
      lens[i] = 0;
    }
}

#define free_bufs dedup__sp_free_bufs

void *dedup__sp_frame(sp_obuf *b, sp_head h, size_t *len) {
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
  *b = (sp_obuf){0};
  return p;
}

/* The copy level's kinds have entries of one size (entry_size). */
static int read_any(sp_head *h, const void *buf, size_t len, uint32_t kind) {
  return kind <= SP_LINKS ? sp_read(h, buf, len, kind)
                          : dedup__sp_read(h, buf, len, kind);
}

static int same_part(const sp_head *h, const sp_head *h0) {
  return h->stage == h0->stage && h->sig_words == h0->sig_words;
}

int dedup__sp_shard_in(const dedup_corpus *c, const void *const *bufs,
                       const size_t *lens, size_t n, uint32_t kind,
                       sp_head *h0) {
  if (!c || !bufs || !lens)
    return DEDUP_EINVAL;
  if (!c->spread)
    return DEDUP_ESTATE;
  if (n != c->spread->shards)
    return DEDUP_EINVAL;
  uint64_t tag = params_tag(&c->p);
  for (size_t s = 0; s < n; s++) {
    sp_head h;
    int rc = read_any(&h, bufs[s], lens[s], kind);
    if (rc != DEDUP_OK)
      return rc;
    if (h.tag != tag || h.shards != n || h.from != s ||
        h.to != c->spread->shard || (s && !same_part(&h, h0)))
      return DEDUP_EINVAL;
    if (!s)
      *h0 = h;
  }
  return DEDUP_OK;
}

int dedup__sp_owner_in(const void *const *bufs, const size_t *lens,
                       size_t n, uint32_t kind, sp_head *h0) {
  if (!bufs || !lens || !n || n > UINT32_MAX)
    return DEDUP_EINVAL;
  for (size_t s = 0; s < n; s++) {
    sp_head h;
    int rc = read_any(&h, bufs[s], lens[s], kind);
    if (rc != DEDUP_OK)
      return rc;
    if (h.shards != n || h.from != s ||
        (s && (h.tag != h0->tag || h.to != h0->to || !same_part(&h, h0))))
      return DEDUP_EINVAL;
    if (!s)
      *h0 = h;
  }
  return DEDUP_OK;
}

/* ---- 4.1 the run's ids ------------------------------------------------- */

DEDUP_API int dedup_corpus_ids_encode(dedup_corpus *c, size_t shard,
                                      void **buf, size_t *len) {
  if (buf)
    *buf = NULL;
  if (len)
    *len = 0;
  if (!c || !buf || !len)
    return DEDUP_EINVAL;
  if (!c->records || !c->records_heads || c->ran || c->records_spent)
    return DEDUP_ESTATE;
  if (shard >= c->n_rec || c->n_rec > UINT32_MAX)
    return DEDUP_EINVAL;
  if (!c->rec_gid) {
    int rc = dedup__order_records(c);
    if (rc != DEDUP_OK)
      return rc;
  }
  size_t lo = c->rec_start[shard];
  size_t hi = shard + 1 < c->n_rec ? c->rec_start[shard + 1] : c->n_items;
  sp_head h = {SP_IDS, 0, (uint32_t)shard, (uint32_t)shard,
               (uint32_t)c->n_rec, 0, params_tag(&c->p), hi - lo};
  unsigned char *p = sp_new(&h, len);
  if (!p)
    return DEDUP_ENOMEM;
  for (size_t i = lo; i < hi; i++)
    dedup__put32(p + SP_HEAD + 4 * (i - lo), c->rec_gid[i]);
  dedup__sp_seal(p, *len);
  *buf = p;
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_ids_set(dedup_corpus *c, const void *buf,
                                   size_t len) {
  if (!c || !buf)
    return DEDUP_EINVAL;
  if (!c->signed_levels || c->records)
    return DEDUP_ESTATE;
  sp_head h;
  int rc = sp_read(&h, buf, len, SP_IDS);
  if (rc != DEDUP_OK)
    return rc;
  if (h.tag != params_tag(&c->p))
    return DEDUP_EINVAL;
  if (h.n != c->n_items || h.from != h.to)
    return DEDUP_EFORMAT;
  const unsigned char *e = (const unsigned char *)buf + SP_HEAD;
  for (size_t i = 1; i < c->n_items; i++) /* the shard's own order */
    if (dedup__get32(e + 4 * i) <= dedup__get32(e + 4 * (i - 1)))
      return DEDUP_EFORMAT;
  dedup__spread *sp = dedup__calloc(1, sizeof *sp);
  size_t n1 = c->n_items ? c->n_items : 1;
  if (sp) {
    sp->gid = dedup__malloc(n1 * sizeof *sp->gid);
    sp->crowd = dedup__calloc(n1, 1);
  }
  if (!sp || !sp->gid || !sp->crowd) {
    if (sp) {
      dedup__free(sp->gid);
      dedup__free(sp->crowd);
    }
    dedup__free(sp);
    return DEDUP_ENOMEM;
  }
  for (size_t i = 0; i < c->n_items; i++)
    sp->gid[i] = dedup__get32(e + 4 * i);
  sp->shard = h.from;
  sp->shards = h.shards;
  dedup__spread_free(c);
  c->spread = sp;
  return DEDUP_OK;
}

/* The item of this shard with the run's id g, or -1. */
static ptrdiff_t local_of(const dedup_corpus *c, uint32_t g) {
  const uint32_t *v = c->spread->gid;
  size_t lo = 0, hi = c->n_items;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < g)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < c->n_items && v[lo] == g ? (ptrdiff_t)lo : -1;
}

static int stage_ok(dedup_spread_stage s) {
  return s == DEDUP_SPREAD_CROWDS || s == DEDUP_SPREAD_BANDS;
}

/* ---- 4.2 keys to their owners ------------------------------------------ */

typedef struct keyvec {
  unsigned char *p; /* entries only; framed when done */
  size_t n, cap;
} keyvec;

static int kv_push(keyvec *v, uint64_t key, uint32_t id, uint32_t band) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 256;
    unsigned char *q = dedup__reallocarray(v->p, cap, 16);
    if (!q)
      return DEDUP_ENOMEM;
    v->p = q;
    v->cap = cap;
  }
  unsigned char *e = v->p + 16 * v->n++;
  dedup__put64(e, key);
  dedup__put32(e + 8, id);
  dedup__put32(e + 12, band);
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_keys_encode(const dedup_corpus *c,
                                       dedup_spread_stage stage, size_t n,
                                       void **bufs, size_t *lens) {
  dedup__sp_clear_bufs(bufs, lens, n);
  if (!c || !bufs || !lens || !stage_ok(stage))
    return DEDUP_EINVAL;
  if (!c->spread || c->spread->stage != (unsigned)stage - 1)
    return DEDUP_ESTATE;
  const dedup__spread *sp = c->spread;
  if (n != sp->shards)
    return DEDUP_EINVAL;
  size_t sw = c->sig_words;
  unsigned rows = 1;
  unsigned nb = stage == DEDUP_SPREAD_BANDS ? dedup__copy_bands(&c->p, &rows)
                                            : 1;
  keyvec *kv = dedup__calloc(n, sizeof *kv);
  uint64_t *keys = dedup__malloc(nb * sizeof *keys);
  uint64_t *scratch = dedup__malloc((c->p.num_perm + 16) * sizeof *scratch);
  int rc = DEDUP_ENOMEM;
  if (!kv || !keys || !scratch)
    goto out;
  for (size_t i = 0; i < c->n_items; i++) {
    const uint64_t *sig = c->sigs + i * sw;
    if (c->items[i].empty || (stage == DEDUP_SPREAD_BANDS && sp->crowd[i]))
      continue;
    if (stage == DEDUP_SPREAD_CROWDS)
      keys[0] = dedup__hash(sig, sw * sizeof *sig, 0); /* as split_crowds */
    else
      dedup__copy_band_keys(c, sig, nb, rows, keys, scratch);
    for (unsigned j = 0; j < nb; j++)
      if (kv_push(&kv[keys[j] % n], keys[j], sp->gid[i], j) != DEDUP_OK)
        goto out;
  }
  for (size_t q = 0; q < n; q++) {
    sp_head h = {SP_KEYS,   (uint32_t)stage,   sp->shard, (uint32_t)q,
                 sp->shards, 0, params_tag(&c->p), kv[q].n};
    unsigned char *p = sp_new(&h, &lens[q]);
    if (!p)
      goto out;
    if (kv[q].n)
      memcpy(p + SP_HEAD, kv[q].p, 16 * kv[q].n);
    dedup__sp_seal(p, lens[q]);
    bufs[q] = p;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    free_bufs(bufs, lens, n);
  for (size_t q = 0; kv && q < n; q++)
    dedup__free(kv[q].p);
  dedup__free(kv);
  dedup__free(keys);
  dedup__free(scratch);
  return rc;
}

/* ---- 4.2 an owner's buckets into pairs ---------------------------------- */

typedef struct ent {
  uint64_t key;
  uint32_t id, band, shard;
} ent;

/* (band, id): the order inside a run of one key (bands apart are other
 * buckets that only share a hash). */
static int cmp_band_id(const void *x, const void *y) {
  const ent *a = x, *b = y;
  if (a->band != b->band)
    return a->band < b->band ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

/* Per destination shard: (a << 32 | b) keys with b's shard as id. */
typedef struct pairout {
  dedup__kid *v;
  size_t n, cap;
} pairout;

static int po_push(pairout *o, const ent *a, const ent *b) {
  if (o->n == o->cap) {
    size_t cap = o->cap ? 2 * o->cap : 256;
    dedup__kid *q = dedup__reallocarray(o->v, cap, sizeof *q);
    if (!q)
      return DEDUP_ENOMEM;
    o->v = q;
    o->cap = cap;
  }
  o->v[o->n++] = (dedup__kid){(uint64_t)a->id << 32 | b->id, b->shard};
  return DEDUP_OK;
}

/* A bucket's pairs: at the crowd stage a crowd's first with each other
 * member (more than DEDUP__DUP_CROWD of one signature, split_crowds); in
 * the bands each id with the next DEDUP__MAX_BUCKET (lsh.c's emit_run). */
static int bucket_pairs(pairout *po, const ent *e, size_t m,
                        uint32_t stage) {
  if (stage == DEDUP_SPREAD_CROWDS) {
    if (m <= DEDUP__DUP_CROWD)
      return DEDUP_OK;
    for (size_t q = 1; q < m; q++)
      if (po_push(&po[e[0].shard], &e[0], &e[q]) != DEDUP_OK)
        return DEDUP_ENOMEM;
    return DEDUP_OK;
  }
  size_t w = m <= DEDUP__MAX_BUCKET ? m - 1 : DEDUP__MAX_BUCKET;
  for (size_t i = 0; i + 1 < m; i++) {
    size_t cnt = DEDUP__MIN(w, m - 1 - i);
    for (size_t j = 0; j < cnt; j++)
      if (po_push(&po[e[i].shard], &e[i], &e[i + 1 + j]) != DEDUP_OK)
        return DEDUP_ENOMEM;
  }
  return DEDUP_OK;
}

/* Sorts o's pairs and drops repeats (bands of one pair found it again). */
static int po_unique(pairout *o) {
  if (o->n < 2)
    return DEDUP_OK;
  dedup__kid *tmp = dedup__malloc(o->n * sizeof *tmp);
  if (!tmp)
    return DEDUP_ENOMEM;
  dedup__kid_radix(o->v, tmp, o->n);
  dedup__free(tmp);
  size_t k = 1;
  for (size_t i = 1; i < o->n; i++)
    if (o->v[i].key != o->v[k - 1].key)
      o->v[k++] = o->v[i];
  o->n = k;
  return DEDUP_OK;
}

DEDUP_API int dedup_spread_pairs(const void *const *keys,
                                 const size_t *key_lens, size_t n,
                                 void **pairs, size_t *pair_lens) {
  dedup__sp_clear_bufs(pairs, pair_lens, n);
  if (!pairs || !pair_lens)
    return DEDUP_EINVAL;
  sp_head h0 = {0};
  int rc = dedup__sp_owner_in(keys, key_lens, n, SP_KEYS, &h0);
  if (rc != DEDUP_OK)
    return rc;
  if (!stage_ok((dedup_spread_stage)h0.stage))
    return DEDUP_EINVAL;
  size_t total = 0;
  for (size_t s = 0; s < n; s++)
    total += dedup__sp_count(keys[s]);
  ent *e = dedup__malloc((total ? total : 1) * sizeof *e);
  dedup__kid *k = dedup__malloc((total ? total : 1) * sizeof *k);
  dedup__kid *tmp = dedup__malloc((total ? total : 1) * sizeof *tmp);
  pairout *po = dedup__calloc(n, sizeof *po);
  rc = DEDUP_ENOMEM;
  if (!e || !k || !tmp || !po)
    goto out;
  size_t m = 0;
  for (size_t s = 0; s < n; s++) {
    const unsigned char *p = (const unsigned char *)keys[s] + SP_HEAD;
    size_t cnt = dedup__sp_count(keys[s]);
    for (size_t i = 0; i < cnt; i++, p += 16) {
      e[m] = (ent){dedup__get64(p), dedup__get32(p + 8),
                   dedup__get32(p + 12), (uint32_t)s};
      if (e[m].key % n != h0.to) { /* not this owner's */
        rc = DEDUP_EFORMAT;
        goto out;
      }
      m++;
    }
  }
  /* By id first (a stable sort on the key then keeps ids ascending in
   * each bucket), then by key. */
  for (size_t i = 0; i < m; i++)
    k[i] = (dedup__kid){e[i].id, (uint32_t)i};
  dedup__kid_radix(k, tmp, m);
  for (size_t i = 0; i < m; i++)
    k[i] = (dedup__kid){e[k[i].id].key, k[i].id};
  dedup__kid_radix(k, tmp, m);
  dedup__free(tmp);
  tmp = NULL;
  ent *run = dedup__malloc((m ? m : 1) * sizeof *run);
  if (!run)
    goto out;
  for (size_t s = 0; s < m;) {
    size_t t = s + 1;
    while (t < m && k[t].key == k[s].key)
      t++;
    for (size_t i = s; i < t; i++)
      run[i - s] = e[k[i].id];
    size_t len = t - s;
    int mixed = 0;
    for (size_t i = 1; i < len; i++)
      mixed |= run[i].band != run[0].band || run[i].id == run[i - 1].id;
    if (mixed) /* another band's bucket with the same hash */
      qsort(run, len, sizeof *run, cmp_band_id);
    for (size_t i = 0; i < len;) {
      size_t j = i + 1;
      while (j < len && run[j].band == run[i].band)
        j++;
      for (size_t q = i + 1; q < j; q++)
        if (run[q].id == run[q - 1].id) { /* an id twice in a bucket */
          dedup__free(run);
          rc = DEDUP_EFORMAT;
          goto out;
        }
      if (j - i > 1 && bucket_pairs(po, run + i, j - i, h0.stage) != DEDUP_OK) {
        dedup__free(run);
        goto out;
      }
      i = j;
    }
    s = t;
  }
  dedup__free(run);
  for (size_t q = 0; q < n; q++) {
    if (po_unique(&po[q]) != DEDUP_OK)
      goto out;
    sp_head h = {SP_PAIRS, h0.stage, h0.to, (uint32_t)q, (uint32_t)n, 0,
                 h0.tag, po[q].n};
    unsigned char *p = sp_new(&h, &pair_lens[q]);
    if (!p)
      goto out;
    for (size_t i = 0; i < po[q].n; i++) {
      unsigned char *o = p + SP_HEAD + 12 * i;
      dedup__put32(o, (uint32_t)(po[q].v[i].key >> 32));
      dedup__put32(o + 4, (uint32_t)po[q].v[i].key);
      dedup__put32(o + 8, po[q].v[i].id);
    }
    dedup__sp_seal(p, pair_lens[q]);
    pairs[q] = p;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    free_bufs(pairs, pair_lens, n);
  for (size_t q = 0; po && q < n; q++)
    dedup__free(po[q].v);
  dedup__free(po);
  dedup__free(e);
  dedup__free(k);
  dedup__free(tmp);
  return rc;
}

/* ---- 4.2 probes and their verification ---------------------------------- */

/* The stage every buffer of a call names (each from shard s, to this
 * shard), the shard's next, or 0 with *rc set. */
static uint32_t check_parts(const dedup_corpus *c, const void *const *bufs,
                            const size_t *lens, size_t n, uint32_t kind,
                            int *rc) {
  sp_head h0;
  if ((*rc = dedup__sp_shard_in(c, bufs, lens, n, kind, &h0)) != DEDUP_OK)
    return 0;
  if (!stage_ok((dedup_spread_stage)h0.stage) ||
      (kind == SP_PROBES && h0.sig_words != c->sig_words)) {
    *rc = DEDUP_EINVAL;
    return 0;
  }
  if (h0.stage != c->spread->stage + 1) {
    *rc = DEDUP_ESTATE;
    return 0;
  }
  return h0.stage;
}

DEDUP_API int dedup_corpus_probes(const dedup_corpus *c,
                                  const void *const *pairs,
                                  const size_t *pair_lens, size_t n,
                                  void **probes, size_t *probe_lens) {
  dedup__sp_clear_bufs(probes, probe_lens, n);
  if (!probes || !probe_lens)
    return DEDUP_EINVAL;
  int rc;
  uint32_t stage = check_parts(c, pairs, pair_lens, n, SP_PAIRS, &rc);
  if (!stage)
    return rc;
  size_t total = 0;
  for (size_t s = 0; s < n; s++)
    total += dedup__sp_count(pairs[s]);
  dedup__kid *v = dedup__malloc((total ? total : 1) * sizeof *v);
  dedup__kid *tmp = dedup__malloc((total ? total : 1) * sizeof *tmp);
  size_t *cnt = dedup__calloc(n, sizeof *cnt);
  size_t *fill = dedup__calloc(n, sizeof *fill);
  rc = DEDUP_ENOMEM;
  if (!v || !tmp || !cnt || !fill)
    goto out;
  size_t m = 0;
  for (size_t s = 0; s < n; s++) {
    const unsigned char *p = (const unsigned char *)pairs[s] + SP_HEAD;
    size_t k = dedup__sp_count(pairs[s]);
    for (size_t i = 0; i < k; i++, p += 12) {
      uint32_t a = dedup__get32(p), b = dedup__get32(p + 4);
      uint32_t sb = dedup__get32(p + 8);
      if (a >= b || sb >= n || local_of(c, a) < 0) {
        rc = DEDUP_EFORMAT;
        goto out;
      }
      v[m++] = (dedup__kid){(uint64_t)a << 32 | b, sb};
    }
  }
  /* Owners of other bands find one pair again: once each. */
  dedup__kid_radix(v, tmp, m);
  size_t u = 0;
  for (size_t i = 0; i < m; i++) {
    if (u && v[i].key == v[u - 1].key) {
      if (v[i].id != v[u - 1].id) { /* b in two shards */
        rc = DEDUP_EFORMAT;
        goto out;
      }
      continue;
    }
    v[u++] = v[i];
  }
  size_t sw = c->sig_words;
  for (size_t i = 0; i < u; i++)
    cnt[v[i].id]++;
  for (size_t q = 0; q < n; q++) {
    sp_head h = {SP_PROBES, stage, c->spread->shard, (uint32_t)q,
                 (uint32_t)n, (uint32_t)sw, params_tag(&c->p), cnt[q]};
    probes[q] = sp_new(&h, &probe_lens[q]);
    if (!probes[q])
      goto out;
  }
  size_t es = entry_size(SP_PROBES, (uint32_t)sw);
  for (size_t i = 0; i < u; i++) {
    uint32_t a = (uint32_t)(v[i].key >> 32), q = v[i].id;
    const uint64_t *sig = c->sigs + (size_t)local_of(c, a) * sw;
    unsigned char *o = (unsigned char *)probes[q] + SP_HEAD + es * fill[q]++;
    dedup__put32(o, a);
    dedup__put32(o + 4, (uint32_t)v[i].key);
    for (size_t w = 0; w < sw; w++)
      dedup__put64(o + 8 + 8 * w, sig[w]);
  }
  for (size_t q = 0; q < n; q++)
    dedup__sp_seal(probes[q], probe_lens[q]);
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    free_bufs(probes, probe_lens, n);
  dedup__free(v);
  dedup__free(tmp);
  dedup__free(cnt);
  dedup__free(fill);
  return rc;
}

DEDUP_API int dedup_corpus_verify(dedup_corpus *c, const void *const *probes,
                                  const size_t *probe_lens, size_t n,
                                  void **links, size_t *links_len) {
  if (links)
    *links = NULL;
  if (links_len)
    *links_len = 0;
  if (!links || !links_len)
    return DEDUP_EINVAL;
  int rc;
  uint32_t stage = check_parts(c, probes, probe_lens, n, SP_PROBES, &rc);
  if (!stage)
    return rc;
  size_t sw = c->sig_words, es = entry_size(SP_PROBES, (uint32_t)sw);
  size_t total = 0;
  for (size_t s = 0; s < n; s++)
    total += dedup__sp_count(probes[s]);
  dedup__edge *e = dedup__malloc((total ? total : 1) * sizeof *e);
  uint8_t *crowd = dedup__malloc(c->n_items ? c->n_items : 1);
  uint64_t *sig_a = dedup__malloc((sw ? sw : 1) * sizeof *sig_a);
  rc = DEDUP_ENOMEM;
  if (!e || !crowd || !sig_a)
    goto out;
  if (c->n_items)
    memcpy(crowd, c->spread->crowd, c->n_items);
  size_t m = 0;
  for (size_t s = 0; s < n; s++) {
    const unsigned char *p = (const unsigned char *)probes[s] + SP_HEAD;
    size_t k = dedup__sp_count(probes[s]);
    for (size_t i = 0; i < k; i++, p += es) {
      uint32_t a = dedup__get32(p), b = dedup__get32(p + 4);
      ptrdiff_t lb = local_of(c, b);
      if (a >= b || lb < 0) {
        rc = DEDUP_EFORMAT;
        goto out;
      }
      if (c->items[lb].empty) /* as the batch's verify_chunk */
        continue;
      for (size_t w = 0; w < sw; w++)
        sig_a[w] = dedup__get64(p + 8 + 8 * w);
      const uint64_t *sig_b = c->sigs + (size_t)lb * sw;
      float sim;
      if (stage == DEDUP_SPREAD_CROWDS) {
        /* A hash collision is not a copy: it goes through the bands. */
        if (memcmp(sig_a, sig_b, sw * sizeof *sig_b))
          continue;
        sim = 1.0f;
        crowd[lb] = 1;
      } else {
        sim = dedup__copy_sim(c, sig_a, sig_b);
        if (sim < 0)
          continue;
      }
      e[m++] = (dedup__edge){a, b, sim};
    }
  }
  sp_head h = {SP_LINKS, stage, c->spread->shard, 0, c->spread->shards, 0,
               params_tag(&c->p), m};
  unsigned char *p = sp_new(&h, links_len);
  if (!p)
    goto out;
  for (size_t i = 0; i < m; i++) {
    unsigned char *o = p + SP_HEAD + 12 * i;
    dedup__put32(o, e[i].a);
    dedup__put32(o + 4, e[i].b);
    dedup__put32(o + 8, dedup__fbits(e[i].sim));
  }
  dedup__sp_seal(p, *links_len);
  *links = p;
  /* Nothing fails from here. */
  if (c->n_items)
    memcpy(c->spread->crowd, crowd, c->n_items);
  c->spread->stage = stage;
  rc = DEDUP_OK;
out:
  dedup__free(e);
  dedup__free(crowd);
  dedup__free(sig_a);
  return rc;
}

/* ---- 4.3 the assembler clusters with the links ------------------------- */

int dedup__spread_read_links(dedup_corpus *c, const void *const *links,
                             const size_t *links_len, size_t n,
                             dedup__edge **out, size_t *out_n) {
  *out = NULL;
  *out_n = 0;
  uint64_t tag = params_tag(&c->p);
  size_t total = 0;
  int rc;
  for (size_t i = 0; i < n; i++) {
    sp_head h;
    if ((rc = sp_read(&h, links[i], links_len[i], SP_LINKS)) != DEDUP_OK)
      return rc;
    if (h.tag != tag || !stage_ok((dedup_spread_stage)h.stage) ||
        h.shards != c->n_rec)
      return DEDUP_EINVAL;
    total += h.n;
  }
  if (!c->rec_gid && (rc = dedup__order_records(c)) != DEDUP_OK)
    return rc;
  dedup__edge *e = dedup__malloc((total ? total : 1) * sizeof *e);
  if (!e)
    return DEDUP_ENOMEM;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    const unsigned char *p = (const unsigned char *)links[i];
    size_t k = dedup__get64(p + 44);
    p += SP_HEAD;
    for (size_t j = 0; j < k; j++, p += 12) {
      dedup__edge x = {dedup__get32(p), dedup__get32(p + 4),
                       dedup__bitsf(dedup__get32(p + 8))};
      if (x.a >= x.b || x.b >= c->n_items || c->items[x.a].empty ||
          c->items[x.b].empty || !(x.sim >= 0 && x.sim <= 1)) {
        dedup__free(e);
        return DEDUP_EFORMAT;
      }
      e[m++] = x;
    }
  }
  qsort(e, m, sizeof *e, dedup__edge_cmp);
  for (size_t i = 1; i < m; i++)
    if (e[i].a == e[i - 1].a && e[i].b == e[i - 1].b) {
      dedup__free(e);
      return DEDUP_EFORMAT;
    }
  *out = e;
  *out_n = m;
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_run_links(dedup_corpus *c,
                                     const void *const *links,
                                     const size_t *links_len, size_t n,
                                     const dedup_run_options *opts) {
  if (!c || (n && (!links || !links_len)))
    return DEDUP_EINVAL;
  if (!c->records || !c->records_heads || c->records_spent || c->ran)
    return DEDUP_ESTATE;
  dedup__runopts o;
  int rc = dedup__runopts_resolve(&o, opts);
  if (rc != DEDUP_OK)
    return rc;
  /* After dedup_corpus_groups_set(): the story level's edges. */
  if (c->sasm)
    return o.levels & DEDUP_RUN_STORY
               ? dedup__spread_run_stories(c, links, links_len, n, &o)
               : DEDUP_EINVAL;
  if (o.levels & DEDUP_RUN_STORY)
    return DEDUP_EINVAL;
  dedup__edge *e;
  size_t m;
  if ((rc = dedup__spread_read_links(c, links, links_len, n, &e, &m)) !=
      DEDUP_OK)
    return rc;
  c->records_spent = 1;
  return dedup__run_back(c, &o, e, m);
}
