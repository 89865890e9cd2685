/* shard_stats.c - a run split over shards (dedup.h, "Shardable passes";
 * doc/shards.md has the byte layouts), its first passes:
 *
 *   count    pass 1: a shard's line and word-run counts (run.c's phase A)
 *   stats    their exchange by key ownership: parts, sums, answers
 *   sign     pass 3: phase C with the merged statistics
 *
 * shard_records.c has the records and the run over them.  The passes
 * call the batch run's own code for every step (items.c, copy.c,
 * story.c, run.c), so the clusters are those of one corpus. */
#include "corpus/corpus_private.h"

#include "common/bytes.h"
#include "common/hash.h"
#include "common/sort.h"

#include <stdlib.h>
#include <string.h>

/* ---- statistics --------------------------------------------------------- */

/* What the cleaning asks of the counts: a line in NEED_LINE documents or
 * more is repeated (page.c), a word run in NEED_RUN or more is chrome
 * (items.c, mark_chrome).  Smaller counts change nothing. */
#define NEED_LINE 2
#define NEED_RUN (DEDUP__GRAM_DF + 1)

DEDUP_API int dedup_stats_new(dedup_stats **out) {
  if (!out)
    return DEDUP_EINVAL;
  *out = dedup__malloc(sizeof **out);
  if (!*out)
    return DEDUP_ENOMEM;
  dedup__lines_init(&(*out)->lines);
  dedup__lines_init(&(*out)->grams);
  return DEDUP_OK;
}

DEDUP_API void dedup_stats_free(dedup_stats *st) {
  if (!st)
    return;
  dedup__lines_free(&st->lines);
  dedup__lines_free(&st->grams);
  dedup__free(st);
}

/* What every pass over a shard's documents needs: resolved options and a
 * scratch per thread. */
typedef struct pass {
  dedup__runopts o;
  dedup__scratch *ws;
  unsigned n_ws;
} pass;

static void pass_free(pass *x) {
  for (unsigned t = 0; x->ws && t < x->n_ws; t++)
    dedup__scratch_free(&x->ws[t]);
  dedup__free(x->ws);
  x->ws = NULL;
}

static int pass_init(pass *x, const dedup_corpus *c,
                     const dedup_run_options *opts) {
  *x = (pass){0};
  int rc = dedup__runopts_resolve(&x->o, opts);
  if (rc != DEDUP_OK)
    return rc;
  x->ws = dedup__calloc(x->o.threads, sizeof *x->ws);
  if (!x->ws)
    return DEDUP_ENOMEM;
  for (; x->n_ws < x->o.threads; x->n_ws++)
    if (dedup__scratch_init(&x->ws[x->n_ws], &c->p) != DEDUP_OK) {
      pass_free(x);
      return DEDUP_ENOMEM;
    }
  return DEDUP_OK;
}

/* A pass over a shard of texts (not records) begins: its options and
 * scratch made, the results of any earlier run dropped. */
static int pass_begin(pass *x, dedup_corpus *c,
                      const dedup_run_options *opts) {
  if (c->records || c->texts_dropped)
    return DEDUP_ESTATE;
  int rc = pass_init(x, c, opts);
  if (rc == DEDUP_OK)
    dedup__corpus_free_results(c);
  return rc;
}

/* Normalises every document, counting its line keys into lines (NULL:
 * none) and then, for runs_parts > 0, its word runs of part runs_part. */
static int count_pass(dedup_corpus *c, dedup__lines *lines,
                      dedup__lines *runs, unsigned runs_part,
                      unsigned runs_parts, const dedup_run_options *opts) {
  pass x;
  int rc = pass_begin(&x, c, opts);
  if (rc != DEDUP_OK)
    return rc;
  rc = dedup__docs_prepare(c, x.ws, lines, x.o.threads);
  /* Word runs only where the batch counts them: for the story level's
   * terms, on cleaned pages. */
  if (rc == DEDUP_OK && runs && (x.o.levels & DEDUP_RUN_STORY) &&
      !(c->p.flags & DEDUP_F_NO_CLEAN))
    rc = dedup__grams_count(runs, c, x.ws, x.o.threads, runs_part,
                            runs_parts);
  pass_free(&x);
  return rc;
}

DEDUP_API int dedup_corpus_count(dedup_corpus *c, dedup_stats *st,
                                 const dedup_run_options *opts) {
  if (!c || !st)
    return DEDUP_EINVAL;
  return count_pass(c, &st->lines, &st->grams, 0, 1, opts);
}

DEDUP_API int dedup_corpus_count_lines(dedup_corpus *c, dedup_stats *st,
                                       const dedup_run_options *opts) {
  if (!c || !st)
    return DEDUP_EINVAL;
  return count_pass(c, &st->lines, NULL, 0, 0, opts);
}

DEDUP_API int dedup_corpus_count_runs(dedup_corpus *c, dedup_stats *st,
                                      unsigned part, unsigned parts,
                                      const dedup_run_options *opts) {
  if (!c || !st || !parts || part >= parts)
    return DEDUP_EINVAL;
  return count_pass(c, NULL, &st->grams, part, parts, opts);
}

DEDUP_API unsigned dedup_corpus_count_parts(const dedup_corpus *c) {
  return c ? dedup__grams_parts(c) : 1;
}

/* Room in `to` for every key of `from`. */
static int reserve_lines(dedup__lines *to, const dedup__lines *from) {
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++)
    if (from->part[t].map.n &&
        dedup__countmap_reserve(&to->part[t].map, from->part[t].map.n) !=
            DEDUP_OK)
      return DEDUP_ENOMEM;
  return DEDUP_OK;
}

/* Adds every count of `from` to `to`, which has room for them
 * (reserve_lines): nothing fails. */
static void add_lines(dedup__lines *to, const dedup__lines *from) {
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++) {
    const dedup__countmap *m = &from->part[t].map;
    dedup__countmap *o = &to->part[t].map;
    for (size_t j = 0; j < m->cap; j++)
      if (m->keys[j] && m->counts[j]) {
        uint32_t had = dedup__countmap_get(o, m->keys[j]);
        (void)dedup__countmap_add(o, m->keys[j],
                                  DEDUP__MIN(m->counts[j], UINT32_MAX - had));
      }
    o->zero_count += DEDUP__MIN(m->zero_count, UINT32_MAX - o->zero_count);
  }
}

DEDUP_API int dedup_stats_add(dedup_stats *to, const dedup_stats *from) {
  if (!to || !from || to == from)
    return DEDUP_EINVAL;
  /* Room in both tables first: an add that fails changes no count. */
  if (reserve_lines(&to->lines, &from->lines) != DEDUP_OK ||
      reserve_lines(&to->grams, &from->grams) != DEDUP_OK)
    return DEDUP_ENOMEM;
  add_lines(&to->lines, &from->lines);
  add_lines(&to->grams, &from->grams);
  return DEDUP_OK;
}

/* The counts of l of at least min into kept (initialised by the caller;
 * freed by it on failure). */
static int prune_lines(dedup__lines *kept, const dedup__lines *l,
                       uint32_t min) {
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++) {
    const dedup__countmap *m = &l->part[t].map;
    dedup__countmap *o = &kept->part[t].map;
    size_t n = 0;
    for (size_t j = 0; j < m->cap; j++)
      n += m->keys[j] && m->counts[j] >= min;
    if (n && dedup__countmap_reserve(o, n) != DEDUP_OK)
      return DEDUP_ENOMEM;
    for (size_t j = 0; j < m->cap; j++)
      if (m->keys[j] && m->counts[j] >= min)
        (void)dedup__countmap_add(o, m->keys[j], m->counts[j]);
    if (m->zero_count >= min)
      o->zero_count = m->zero_count;
  }
  return DEDUP_OK;
}

/* l's maps become kept's (l's freed). */
static void take_lines(dedup__lines *l, dedup__lines *kept) {
  dedup__lines_free(l);
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++)
    l->part[t].map = kept->part[t].map;
}

DEDUP_API int dedup_stats_prune(dedup_stats *st) {
  if (!st)
    return DEDUP_EINVAL;
  /* What the cleaning asks of the counts (dedup_stats_answer); both
   * tables made before either is replaced, so a failure changes
   * nothing. */
  dedup__lines lines, grams;
  dedup__lines_init(&lines);
  dedup__lines_init(&grams);
  if (prune_lines(&lines, &st->lines, NEED_LINE) != DEDUP_OK ||
      prune_lines(&grams, &st->grams, NEED_RUN) != DEDUP_OK) {
    dedup__lines_free(&lines);
    dedup__lines_free(&grams);
    return DEDUP_ENOMEM;
  }
  take_lines(&st->lines, &lines);
  take_lines(&st->grams, &grams);
  return DEDUP_OK;
}

/* The encoded table:
 *   "DEDUPSTA", u32 version, u32 part, u32 parts, u32 0,
 *   u64 n_lines, u64 n_grams, (u64 key, u32 count) x (n_lines + n_grams),
 *   keys ascending within each table, counts > 0,
 *   u64 XXH3 of every byte before it. */
#define ST_MAGIC "DEDUPSTA"
#define ST_VERSION 1
#define ST_HEAD 40
#define ST_ENTRY 12

/* The keys of l that are part modulo parts (all: parts 1) with their
 * counts, ascending, in *out (dedup__free()); how many in *n. */
static int table_part(dedup__kid **out, size_t *n, const dedup__lines *l,
                      unsigned part, unsigned parts, uint32_t min) {
  size_t m = 0;
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++)
    m += l->part[t].map.n;
  m++; /* key 0 is counted aside (zero_count), not in map.n */
  dedup__kid *v = dedup__malloc(2 * m * sizeof *v);
  *out = NULL;
  *n = 0;
  if (!v)
    return DEDUP_ENOMEM;
  size_t k = 0;
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++) {
    const dedup__countmap *cm = &l->part[t].map;
    for (size_t j = 0; j < cm->cap; j++)
      if (cm->counts[j] >= min && cm->counts[j] && cm->keys[j] % parts == part)
        v[k++] = (dedup__kid){cm->keys[j], cm->counts[j]};
    if (cm->zero_count >= min && cm->zero_count && part == 0)
      v[k++] = (dedup__kid){0, cm->zero_count};
  }
  dedup__kid_radix(v, v + k, k);
  *out = v;
  *n = k;
  return DEDUP_OK;
}

static int encode_tables(void **buf, size_t *len, unsigned part,
                         unsigned parts, const dedup__kid *a, size_t na,
                         const dedup__kid *b, size_t nb) {
  size_t total = ST_HEAD + (na + nb) * ST_ENTRY + 8;
  unsigned char *p = dedup__malloc(total);
  if (!p)
    return DEDUP_ENOMEM;
  memcpy(p, ST_MAGIC, 8);
  dedup__put32(p + 8, ST_VERSION);
  dedup__put32(p + 12, part);
  dedup__put32(p + 16, parts);
  dedup__put32(p + 20, 0);
  dedup__put64(p + 24, na);
  dedup__put64(p + 32, nb);
  unsigned char *q = p + ST_HEAD;
  for (size_t i = 0; i < na + nb; i++, q += ST_ENTRY) {
    const dedup__kid *e = i < na ? &a[i] : &b[i - na];
    dedup__put64(q, e->key);
    dedup__put32(q + 8, e->id);
  }
  dedup__put64(q, dedup__hash(p, total - 8, 0));
  *buf = p;
  *len = total;
  return DEDUP_OK;
}

DEDUP_API int dedup_stats_encode(const dedup_stats *st, unsigned part,
                                 unsigned parts, void **buf, size_t *len) {
  if (buf)
    *buf = NULL;
  if (len)
    *len = 0;
  if (!st || !buf || !len || !parts || part >= parts)
    return DEDUP_EINVAL;
  dedup__kid *a = NULL, *b = NULL;
  size_t na, nb;
  int rc = table_part(&a, &na, &st->lines, part, parts, 1);
  if (rc == DEDUP_OK)
    rc = table_part(&b, &nb, &st->grams, part, parts, 1);
  if (rc == DEDUP_OK)
    rc = encode_tables(buf, len, part, parts, a, na, b, nb);
  dedup__free(a);
  dedup__free(b);
  return rc;
}

/* Checks an encoded table whole; its two tables' entries at *lines and
 * *grams, their numbers in *nl, *ng. */
static int decode_tables(const void *buf, size_t len,
                         const unsigned char **lines, size_t *nl,
                         const unsigned char **grams, size_t *ng) {
  const unsigned char *p = buf;
  if (len < ST_HEAD + 8 || memcmp(p, ST_MAGIC, 8))
    return DEDUP_EFORMAT;
  if (dedup__get32(p + 8) != ST_VERSION)
    return DEDUP_EVERSION;
  uint64_t a = dedup__get64(p + 24), b = dedup__get64(p + 32);
  uint32_t part = dedup__get32(p + 12), parts = dedup__get32(p + 16);
  size_t room = (len - ST_HEAD - 8) / ST_ENTRY;
  if (!parts || part >= parts || a > room || b > room - a ||
      ST_HEAD + (a + b) * ST_ENTRY + 8 != len ||
      dedup__get64(p + len - 8) != dedup__hash(p, len - 8, 0))
    return DEDUP_EFORMAT;
  const unsigned char *e = p + ST_HEAD;
  for (int t = 0; t < 2; t++) {
    size_t n = t ? b : a;
    for (size_t i = 0; i < n; i++) {
      const unsigned char *q = e + i * ST_ENTRY;
      uint64_t k = dedup__get64(q);
      if (!dedup__get32(q + 8) || k % parts != part ||
          (i && k <= dedup__get64(q - ST_ENTRY)))
        return DEDUP_EFORMAT;
    }
    if (t == 0) {
      *lines = e;
      *nl = n;
    } else {
      *grams = e;
      *ng = n;
    }
    e += n * ST_ENTRY;
  }
  return DEDUP_OK;
}

/* Adds n entries to l, which has room for them (dedup__lines_reserve):
 * nothing fails.  Sums stop at UINT32_MAX (4 billion documents). */
static void add_entries(dedup__lines *l, const unsigned char *e, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint64_t key = dedup__get64(e + i * ST_ENTRY);
    dedup__countmap *m = &l->part[key >> (64 - DEDUP__LINE_BITS)].map;
    uint32_t had = dedup__countmap_get(m, key);
    uint32_t add = dedup__get32(e + i * ST_ENTRY + 8);
    (void)dedup__countmap_add(m, key, DEDUP__MIN(add, UINT32_MAX - had));
  }
}

DEDUP_API int dedup_stats_add_encoded(dedup_stats *st, const void *buf,
                                      size_t len) {
  if (!st || !buf)
    return DEDUP_EINVAL;
  const unsigned char *a, *b;
  size_t na, nb;
  int rc = decode_tables(buf, len, &a, &na, &b, &nb);
  if (rc != DEDUP_OK)
    return rc;
  /* Room in both tables first: an add that fails changes no count. */
  uint64_t *keys = dedup__malloc((na + nb + 1) * sizeof *keys);
  if (!keys)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < na; i++)
    keys[i] = dedup__get64(a + i * ST_ENTRY);
  for (size_t i = 0; i < nb; i++)
    keys[na + i] = dedup__get64(b + i * ST_ENTRY);
  rc = dedup__lines_reserve(&st->lines, keys, na);
  if (rc == DEDUP_OK)
    rc = dedup__lines_reserve(&st->grams, keys + na, nb);
  dedup__free(keys);
  if (rc != DEDUP_OK)
    return rc;
  add_entries(&st->lines, a, na);
  add_entries(&st->grams, b, nb);
  return DEDUP_OK;
}

/* Of the n entries e asked, those whose count in l is at least min, with
 * that count, into out (room for n). */
static size_t answer_table(dedup__kid *out, const dedup__lines *l,
                           const unsigned char *e, size_t n, uint32_t min) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t key = dedup__get64(e + i * ST_ENTRY);
    uint32_t v = dedup__lines_df(l, key);
    if (v >= min)
      out[k++] = (dedup__kid){key, v};
  }
  return k;
}

DEDUP_API int dedup_stats_answer(const dedup_stats *owner, const void *asked,
                                 size_t asked_len, void **buf, size_t *len) {
  if (buf)
    *buf = NULL;
  if (len)
    *len = 0;
  if (!owner || !asked || !buf || !len)
    return DEDUP_EINVAL;
  const unsigned char *a, *b;
  size_t na, nb;
  int rc = decode_tables(asked, asked_len, &a, &na, &b, &nb);
  if (rc != DEDUP_OK)
    return rc;
  const unsigned char *p = asked;
  dedup__kid *v = dedup__malloc((na + nb + 1) * sizeof *v);
  if (!v)
    return DEDUP_ENOMEM;
  /* What the cleaning asks of the counts: a line in 2 documents or more
   * is repeated (page.c), a word run in more than DEDUP__GRAM_DF is
   * chrome (items.c). */
  size_t ka = answer_table(v, &owner->lines, a, na, NEED_LINE);
  size_t kb = answer_table(v + ka, &owner->grams, b, nb, NEED_RUN);
  rc = encode_tables(buf, len, dedup__get32(p + 12), dedup__get32(p + 16), v,
                     ka, v + ka, kb);
  dedup__free(v);
  return rc;
}

/* ---- pass 3: sign ------------------------------------------------------- */

DEDUP_API int dedup_corpus_sign(dedup_corpus *c, const dedup_stats *st,
                                const dedup_run_options *opts) {
  if (!c || !st)
    return DEDUP_EINVAL;
  pass x;
  int rc = pass_begin(&x, c, opts);
  if (rc != DEDUP_OK)
    return rc;
  for (size_t i = 0; i < c->n_docs; i++)
    dedup__u64vec_free(&c->docs[i].bg);
  dedup__countmap heavy = {0};
  dedup__langs *langs = NULL;
  rc = dedup__docs_prepare(c, x.ws, NULL, x.o.threads);
  if (rc == DEDUP_OK)
    rc = dedup__langs_new(&langs, c->p.seed);
  if (rc == DEDUP_OK) {
    dedup__docs_sort(c);
    /* The word runs of more than DEDUP__GRAM_DF documents, as
     * dedup__grams_heavy keeps them. */
    if ((x.o.levels & DEDUP_RUN_STORY) && !(c->p.flags & DEDUP_F_NO_CLEAN))
      rc = dedup__grams_keep_heavy(&heavy, &st->grams);
  }
  if (rc == DEDUP_OK)
    rc = dedup__items_make(c, x.ws, &st->lines, &heavy, langs, &x.o);
  if (rc == DEDUP_OK)
    rc = dedup__set_doc_at(c);
  if (rc == DEDUP_OK)
    c->signed_levels = x.o.levels | DEDUP_RUN_COPY;
  else
    dedup__corpus_free_results(c);
  dedup__countmap_free(&heavy);
  dedup__langs_free(langs);
  pass_free(&x);
  return rc;
}
