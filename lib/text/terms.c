/* terms.c - weighted terms of an article (see terms.h). */
#include "text/terms.h"

#include "common/hash.h"

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

/* Term id of a token.  English plurals fold to the singular (Porter's
 * step 1a: "officials" -> "official", "parties" -> "party"), since
 * outlets telling one story inflect its words differently; other tokens
 * keep the tokeniser's hash of their case-folded form. */
static uint64_t term_id(const char *w, const dedup__token *t, uint64_t seed) {
  char buf[64];
  size_t n = t->len;
  if (n < 4 || n >= sizeof buf || (t->flags & DEDUP__TOK_NUM))
    return t->hash;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)w[i];
    if (ch >= 0x80)
      return t->hash;
    buf[i] = (char)(ch | ((ch >= 'A' && ch <= 'Z') ? 0x20 : 0));
  }
  if (buf[n - 1] != 's')
    return t->hash;
  if (n > 4 && !memcmp(buf + n - 3, "ies", 3)) {
    buf[n - 3] = 'y';
    n -= 2;
  } else if (!memcmp(buf + n - 4, "sses", 4)) {
    n -= 2;
  } else if (buf[n - 2] != 's' && buf[n - 2] != 'u' && buf[n - 2] != 'i') {
    n -= 1;
  } else {
    return t->hash;
  }
  return dedup__hash(buf, n, seed);
}

/* Adds the terms of the tokens tok[0..n) of span s (offsets into text). */
static int add_span(dedup__termvec *out, const char *text,
                    const dedup__token *tok, size_t n, dedup__span s,
                    uint64_t seed, float boost) {
  if (dedup__grow((void **)&out->v, &out->cap, out->n, n, sizeof *out->v) !=
      DEDUP_OK)
    return DEDUP_ENOMEM;
  const char *line = text + s.off;
  for (size_t i = 0; i < n; i++) {
    const dedup__token *t = &tok[i];
    if (t->flags & (DEDUP__TOK_STOP | DEDUP__TOK_CHROME))
      continue;
    /* One-letter words carry no topic ("s" of "Musk's", initials); one
     * character of a script without spaces is a word, though. */
    if (t->len == 1 && !(t->flags & (DEDUP__TOK_NUM | DEDUP__TOK_CHAR)))
      continue;
    float w = boost;
    /* Capitals inside a sentence mark names; the first word of a line or
     * of a sentence is capitalised anyway. */
    int name = i > 0 && (t->flags & DEDUP__TOK_CAP) &&
               !sentence_start(line, t->off - s.off);
    if (name)
      w *= DEDUP__TERM_CAP;
    /* Names fold too ("Jones" -> "jone"): a name at the start of a
     * sentence must give the same term as inside one. */
    out->v[out->n].id = term_id(text + t->off, t, seed);
    out->v[out->n].w = w;
    out->n++;
  }
  return DEDUP_OK;
}

static int cmp_term(const void *a, const void *b) {
  uint64_t x = ((const dedup__term *)a)->id, y = ((const dedup__term *)b)->id;
  return (x > y) - (x < y);
}

void dedup__terms_compact(dedup__termvec *tv) {
  if (tv->n < 2)
    return;
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
                              const dedup__article *a, uint64_t seed) {
  return dedup__terms_count_titled(out, text, tok, n_tok, lines, a, NULL,
                                   NULL, 0, seed);
}

int dedup__terms_count_titled(dedup__termvec *out, const char *text,
                              const dedup__token *tok, size_t n_tok,
                              const dedup__span *lines,
                              const dedup__article *a, const char *gtitle,
                              const dedup__token *gtok, size_t n_gtok,
                              uint64_t seed) {
  out->n = 0;
  size_t f, e;
  if (gtitle) {
    dedup__span all = {0, UINT32_MAX};
    if (add_span(out, gtitle, gtok, n_gtok, all, seed, DEDUP__TERM_TITLE) !=
        DEDUP_OK)
      return DEDUP_ENOMEM;
  } else if (a->title.len) {
    dedup__span_tokens(tok, n_tok, a->title, &f, &e);
    if (add_span(out, text, tok + f, e - f, a->title, seed,
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
    if (add_span(out, text, tok + f, e - f, s, seed, boost) != DEDUP_OK)
      return DEDUP_ENOMEM;
    words += e - f;
  }
  dedup__terms_compact(out);
  return DEDUP_OK;
}

int dedup__terms_count(dedup__termvec *out, dedup__tokvec *tv,
                       const char *text, const dedup__page *pg,
                       const dedup__article *a, uint64_t seed) {
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
  if (dedup__tokenise(tv, text + lo, hi - lo, seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < tv->n; i++)
    tv->v[i].off += lo;
  return dedup__terms_count_tokens(out, text, tv->v, tv->n, pg->lines, a,
                                   seed);
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
