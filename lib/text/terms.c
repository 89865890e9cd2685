/* terms.c - weighted terms of an article (see terms.h). */
#include "text/terms.h"

#include "common/hash.h"
#include "text/lang.h"
#include "text/stem.h"

#include <stdlib.h>
#include <string.h>

/* True if the token at byte off of a line starts a sentence: only spaces
 * and opening quotes since a full stop, question or exclamation mark. */
static int sentence_start(const char *line, uint32_t off) {
  while (off > 0) {
    char ch = line[--off];
    if (ch == ' ' || ch == '"' || ch == '\'' || ch == '(')
      continue;
    return ch == '.' || ch == '!' || ch == '?' || ch == ':';
  }
  return 1;
}

/* A term's id in the document's language: ids of one language never
 * meet another's, so IDF is counted within a language and a German page
 * never links an English one on "Berlin" alone. */
static uint64_t lang_id(const dedup__termctx *tc, uint64_t h) {
  return dedup__lang_term_id(tc->lang, h);
}

typedef struct emit {
  dedup__termvec *out;   /* counting: terms appended here */
  dedup__term_fn fn;     /* spelling: or each term handed to fn */
  void *arg;
} emit;

static int put(emit *e, uint64_t id, float w, uint32_t off, uint32_t len) {
  if (!e->out)
    return e->fn(e->arg, id, off, len);
  if (e->out->n == e->out->cap &&
      dedup__grow((void **)&e->out->v, &e->out->cap, e->out->n, 1,
                  sizeof *e->out->v) != DEDUP_OK)
    return DEDUP_ENOMEM;
  e->out->v[e->out->n].id = id;
  e->out->v[e->out->n].w = w;
  e->out->n++;
  return DEDUP_OK;
}

static int is_thai(const char *s) {
  /* U+0E00..U+0E7F: E0 B8 80 .. E0 B9 BF */
  return (unsigned char)s[0] == 0xE0 &&
         ((unsigned char)s[1] == 0xB8 || (unsigned char)s[1] == 0xB9);
}

static int is_hangul_syllable(const char *s, size_t len) {
  /* U+AC00..U+D7A3: EA B0 80 .. ED 9E A3, three bytes each */
  unsigned char b = (unsigned char)s[0];
  return len >= 3 && b >= 0xEA && b <= 0xED &&
         !(b == 0xEA && (unsigned char)s[1] < 0xB0) &&
         !(b == 0xED && (unsigned char)s[1] > 0x9E);
}

/* A run of adjacent characters of scripts without spaces, tok[0..n):
 * character bigrams, as Lucene's CJK bigram filter makes them (a word of
 * Chinese or Japanese is most often two characters; a bigram keeps the
 * word where single characters give only "区", "工"), or one term for a
 * lone character.  Bigrams take function characters in too: IDF weighs
 * them down, and dropping them would join characters that never
 * touch. */
static int bigrams(const dedup__termctx *tc, const char *text,
                   const dedup__token *tok, size_t n, float boost, emit *e) {
  if (n == 1) {
    if (tok[0].flags & (DEDUP__TOK_STOP | DEDUP__TOK_CHROME))
      return DEDUP_OK;
    return put(e, lang_id(tc, tok[0].hash), boost, tok[0].off, tok[0].len);
  }
  for (size_t k = 0; k + 1 < n; k++) {
    if ((tok[k].flags | tok[k + 1].flags) & DEDUP__TOK_CHROME)
      continue;
    uint32_t off = tok[k].off, len = tok[k + 1].off + tok[k + 1].len - off;
    int rc = put(e, lang_id(tc, dedup__hash(text + off, len, tc->seed)),
                 boost, off, len);
    if (rc != DEDUP_OK)
      return rc;
  }
  return DEDUP_OK;
}

/* A run of Thai characters: the words libthai finds, stop words out;
 * bigrams when it cannot. */
static int thai_words(const dedup__termctx *tc, const char *text,
                      const dedup__token *tok, size_t n, float boost,
                      emit *e) {
  uint32_t cuts[1024];
  uint32_t base = tok[0].off, len = tok[n - 1].off + tok[n - 1].len - base;
  size_t nc = tc->stem ? dedup__thai_words(tc->stem, text + base, len, cuts,
                                           sizeof cuts / sizeof *cuts)
                       : 0;
  if (nc == SIZE_MAX)
    return DEDUP_ENOMEM;
  if (nc == 0)
    return bigrams(tc, text, tok, n, boost, e);
  unsigned th = (unsigned)dedup__lang_from_code("th", 2);
  size_t t = 0;
  uint32_t from = 0;
  for (size_t c = 0; c < nc; c++) {
    uint32_t a = base + from, b = base + cuts[c];
    from = cuts[c];
    int chrome = 0;
    for (; t < n && tok[t].off < b; t++)
      chrome |= (tok[t].flags & DEDUP__TOK_CHROME) != 0;
    uint64_t h = dedup__hash(text + a, b - a, tc->seed);
    if (chrome || dedup__langs_is_stop(tc->langs, th, h))
      continue;
    int rc = put(e, lang_id(tc, h), boost, a, b - a);
    if (rc != DEDUP_OK)
      return rc;
  }
  return DEDUP_OK;
}

/* A Hangul word: its syllable bigrams (particles are written onto Korean
 * words, "서울에서" = "서울" + "에서"; bigrams keep "서울" in common). */
static int hangul_bigrams(const dedup__termctx *tc, const char *text,
                          const dedup__token *t, float boost, emit *e) {
  const char *w = text + t->off;
  size_t n = t->len / 3;
  for (size_t k = 0; k + 1 < n; k++) {
    uint64_t h = dedup__hash(w + 3 * k, 6, tc->seed);
    int rc = put(e, lang_id(tc, h), boost, t->off + 3 * (uint32_t)k, 6);
    if (rc != DEDUP_OK)
      return rc;
  }
  return DEDUP_OK;
}

/* True if the token is all Hangul syllables (three bytes each). */
static int hangul_word(const char *w, size_t len) {
  if (len < 6 || len % 3)
    return 0;
  for (size_t i = 0; i < len; i += 3)
    if (!is_hangul_syllable(w + i, len - i))
      return 0;
  return 1;
}

/* The terms of the tokens tok[0..n) of span s (offsets into text). */
static int walk_span(const dedup__termctx *tc, const char *text,
                     const dedup__token *tok, size_t n, dedup__span s,
                     float boost, emit *e) {
  const char *line = text + s.off;
  for (size_t i = 0; i < n;) {
    const dedup__token *t = &tok[i];
    int rc = DEDUP_OK;
    if (t->flags & DEDUP__TOK_CHAR) {
      /* The run of characters written together. */
      size_t j = i + 1;
      int thai = is_thai(text + t->off);
      while (j < n && (tok[j].flags & DEDUP__TOK_CHAR) &&
             tok[j].off == tok[j - 1].off + tok[j - 1].len &&
             is_thai(text + tok[j].off) == thai)
        j++;
      rc = thai ? thai_words(tc, text, tok + i, j - i, boost, e)
                : bigrams(tc, text, tok + i, j - i, boost, e);
      if (rc != DEDUP_OK)
        return rc;
      i = j;
      continue;
    }
    i++;
    if (t->flags & (DEDUP__TOK_STOP | DEDUP__TOK_CHROME))
      continue;
    /* One-letter words carry no topic ("s" of "Musk's", initials). */
    if (t->len == 1 && !(t->flags & DEDUP__TOK_NUM))
      continue;
    if (hangul_word(text + t->off, t->len)) {
      rc = hangul_bigrams(tc, text, t, boost, e);
      if (rc != DEDUP_OK)
        return rc;
      continue;
    }
    float w = boost;
    /* Capitals inside a sentence mark names; the first word of a line or
     * of a sentence is capitalised anyway. */
    int name = t != tok && (t->flags & DEDUP__TOK_CAP) &&
               !sentence_start(line, t->off - s.off);
    if (name)
      w *= DEDUP__TERM_CAP;
    /* Stems: outlets telling one story inflect its words differently.
     * Names stem too ("Jones" -> "jone"): a name at the start of a
     * sentence must give the same term as inside one. */
    uint64_t id = (t->flags & DEDUP__TOK_NUM)
                      ? lang_id(tc, t->hash)
                      : dedup__stem_id(tc->stem, tc->lang, text + t->off,
                                       t->len, t->hash, tc->seed);
    if ((rc = put(e, id, w, t->off, t->len)) != DEDUP_OK)
      return rc;
  }
  return DEDUP_OK;
}

static int add_span(dedup__termvec *out, const char *text,
                    const dedup__token *tok, size_t n, dedup__span s,
                    const dedup__termctx *tc, float boost) {
  emit e = {out, NULL, NULL};
  return walk_span(tc, text, tok, n, s, boost, &e);
}

int dedup__terms_spell(const dedup__termctx *tc, const char *text,
                       const dedup__token *tok, size_t n, dedup__span s,
                       dedup__term_fn fn, void *arg) {
  emit e = {NULL, fn, arg};
  return walk_span(tc, text, tok, n, s, 1.0f, &e);
}

static int cmp_term(const void *a, const void *b) {
  uint64_t x = ((const dedup__term *)a)->id, y = ((const dedup__term *)b)->id;
  return (x > y) - (x < y);
}

/* Stable LSD radix sort of v[0..n) by id, 8 bits a pass, with scratch
 * tmp of n entries; the 8 histograms are counted in one read, and passes
 * where all ids share the digit are skipped.  Stable, like glibc's qsort
 * (a merge sort at these sizes): duplicates are summed in the order they
 * were counted, so the float sums are those qsort gave. */
static void radix_terms(dedup__term *v, dedup__term *tmp, size_t n) {
  size_t cnt[8][256] = {{0}};
  for (size_t i = 0; i < n; i++)
    for (unsigned d = 0; d < 8; d++)
      cnt[d][(v[i].id >> (8 * d)) & 255]++;
  dedup__term *src = v, *dst = tmp;
  for (unsigned d = 0; d < 8; d++) {
    size_t *c = cnt[d], sh = 8 * d;
    if (c[(src[0].id >> sh) & 255] == n)
      continue;
    size_t at = 0;
    for (unsigned b = 0; b < 256; b++) {
      size_t m = c[b];
      c[b] = at;
      at += m;
    }
    for (size_t i = 0; i < n; i++)
      dst[c[(src[i].id >> sh) & 255]++] = src[i];
    dedup__term *t = src;
    src = dst;
    dst = t;
  }
  if (src != v)
    memcpy(v, src, n * sizeof *v);
}

void dedup__terms_compact(dedup__termvec *tv) {
  if (tv->n < 2)
    return;
  /* The radix sort needs n entries of room after the terms; counting
   * (terms_count_titled) leaves them, callers with none get qsort. */
  if (tv->cap - tv->n >= tv->n && tv->n > 32)
    radix_terms(tv->v, tv->v + tv->n, tv->n);
  else
    qsort(tv->v, tv->n, sizeof *tv->v, cmp_term);
  size_t k = 0;
  for (size_t i = 1; i < tv->n; i++) {
    if (tv->v[i].id == tv->v[k].id)
      tv->v[k].w += tv->v[i].w;
    else
      tv->v[++k] = tv->v[i];
  }
  tv->n = k + 1;
}

int dedup__terms_count_tokens(dedup__termvec *out, const char *text,
                              const dedup__token *tok, size_t n_tok,
                              const dedup__span *lines,
                              const dedup__article *a,
                              const dedup__termctx *tc) {
  return dedup__terms_count_titled(out, text, tok, n_tok, lines, a, NULL,
                                   NULL, 0, tc);
}

int dedup__terms_count_titled(dedup__termvec *out, const char *text,
                              const dedup__token *tok, size_t n_tok,
                              const dedup__span *lines,
                              const dedup__article *a, const char *gtitle,
                              const dedup__token *gtok, size_t n_gtok,
                              const dedup__termctx *tc) {
  out->n = 0;
  size_t f, e;
  if (gtitle) {
    dedup__span all = {0, UINT32_MAX};
    if (add_span(out, gtitle, gtok, n_gtok, all, tc, DEDUP__TERM_TITLE) !=
        DEDUP_OK)
      return DEDUP_ENOMEM;
  } else if (a->title.len) {
    dedup__span_tokens(tok, n_tok, a->title, &f, &e);
    if (add_span(out, text, tok + f, e - f, a->title, tc,
                 DEDUP__TERM_TITLE) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  size_t words = 0;
  for (uint32_t i = 0; i < a->count; i++) {
    /* A line belongs to the lead if the lead was not complete when the
     * line started, as a reader would take it. */
    float boost = words < DEDUP__TERM_LEAD_WORDS ? DEDUP__TERM_LEAD : 1.0f;
    dedup__span s = lines[a->first + i];
    dedup__span_tokens(tok, n_tok, s, &f, &e);
    if (add_span(out, text, tok + f, e - f, s, tc, boost) != DEDUP_OK)
      return DEDUP_ENOMEM;
    words += e - f;
  }
  /* Room for the radix sort's scratch (the vector is a worker's, reused
   * from item to item, so it grows once). */
  if (out->cap - out->n < out->n &&
      dedup__grow((void **)&out->v, &out->cap, out->n, out->n,
                  sizeof *out->v) != DEDUP_OK)
    return DEDUP_ENOMEM;
  dedup__terms_compact(out);
  return DEDUP_OK;
}

int dedup__terms_count(dedup__termvec *out, dedup__tokvec *tv,
                       const char *text, const dedup__page *pg,
                       const dedup__article *a,
                       const dedup__termctx *tc) {
  /* Only the article's lines are needed; tokenising from the first of
   * them (or the title) to the end of the last covers them all. */
  uint32_t lo = a->title.len ? a->title.off : UINT32_MAX, hi = 0;
  if (a->title.len)
    hi = a->title.off + a->title.len;
  for (uint32_t i = 0; i < a->count; i++) {
    dedup__span s = pg->lines[a->first + i];
    lo = DEDUP__MIN(lo, s.off);
    hi = DEDUP__MAX(hi, s.off + s.len);
  }
  out->n = 0;
  if (lo >= hi)
    return DEDUP_OK;
  tv->n = 0;
  if (dedup__tokenise(tv, text + lo, hi - lo, tc->seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < tv->n; i++)
    tv->v[i].off += lo;
  return dedup__terms_count_tokens(out, text, tv->v, tv->n, pg->lines, a,
                                   tc);
}

double dedup__terms_dot(const dedup__termvec *a, const dedup__termvec *b) {
  double s = 0;
  size_t i = 0, j = 0;
  while (i < a->n && j < b->n) {
    if (a->v[i].id < b->v[j].id)
      i++;
    else if (a->v[i].id > b->v[j].id)
      j++;
    else
      s += (double)a->v[i++].w * b->v[j++].w;
  }
  return s;
}

void dedup__termvec_free(dedup__termvec *tv) {
  dedup__free(tv->v);
  memset(tv, 0, sizeof *tv);
}

int dedup__termset_set(dedup__termset *ts, const dedup__termvec *tv) {
  *ts = (dedup__termset){0};
  if (!tv->n)
    return DEDUP_OK;
  ts->id = dedup__reallocarray(NULL, tv->n, sizeof *ts->id + sizeof *ts->w);
  if (!ts->id)
    return DEDUP_ENOMEM;
  ts->w = (float *)(void *)(ts->id + tv->n);
  for (size_t j = 0; j < tv->n; j++) {
    ts->id[j] = tv->v[j].id;
    ts->w[j] = tv->v[j].w;
  }
  ts->n = tv->n;
  return DEDUP_OK;
}

void dedup__termset_free(dedup__termset *ts) {
  dedup__free(ts->id);
  *ts = (dedup__termset){0};
}

double dedup__wvec_dot(const dedup__wvec *a, const dedup__wvec *b) {
  double s = 0;
  size_t i = 0, j = 0;
  while (i < a->n && j < b->n) {
    if (a->v[i].ix < b->v[j].ix)
      i++;
    else if (a->v[i].ix > b->v[j].ix)
      j++;
    else
      s += (double)a->v[i++].w * b->v[j++].w;
  }
  return s;
}

void dedup__wvec_free(dedup__wvec *v) {
  dedup__free(v->v);
  *v = (dedup__wvec){0};
}
