/* terms.c - weighted terms of an article (see terms.h). */
#include "terms.h"

#include <stdlib.h>
#include <string.h>

static int add_span(dedup__termvec *out, dedup__tokvec *tv, const char *text,
                    dedup__span s, uint64_t seed, float boost,
                    size_t *words_seen) {
  tv->n = 0;
  if (dedup__tokenise(tv, text + s.off, s.len, seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (dedup__grow((void **)&out->v, &out->cap, out->n, tv->n,
                  sizeof *out->v) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < tv->n; i++) {
    const dedup__token *t = &tv->v[i];
    if (words_seen)
      (*words_seen)++;
    if (t->flags & DEDUP__TOK_STOP)
      continue;
    /* One-letter words carry no topic ("s" of "Musk's", initials); one
     * character of a script without spaces is a word, though. */
    if (t->len == 1 && !(t->flags & (DEDUP__TOK_NUM | DEDUP__TOK_CHAR)))
      continue;
    float w = boost;
    /* Capitals inside a line mark names; the first word of a line is
     * capitalised anyway. */
    if (i > 0 && (t->flags & DEDUP__TOK_CAP))
      w *= DEDUP__TERM_CAP;
    out->v[out->n].id = t->hash;
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

int dedup__terms_count(dedup__termvec *out, dedup__tokvec *tv,
                       const char *text, const dedup__page *pg,
                       const dedup__article *a, uint64_t seed) {
  out->n = 0;
  if (a->title.len && add_span(out, tv, text, a->title, seed,
                               DEDUP__TERM_TITLE, NULL) != DEDUP_OK)
    return DEDUP_ENOMEM;
  size_t words = 0;
  for (uint32_t i = 0; i < a->count; i++) {
    /* A line belongs to the lead if the lead was not complete when the
     * line started, as a reader would take it. */
    float boost = words < DEDUP__TERM_LEAD_WORDS ? DEDUP__TERM_LEAD : 1.0f;
    if (add_span(out, tv, text, pg->lines[a->first + i], seed, boost,
                 &words) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  dedup__terms_compact(out);
  return DEDUP_OK;
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
