/* explain.c - why two items are or are not clustered together.
 *
 * Recomputes, for two items of a corpus that has run, what the copy level
 * saw: the article cut from the page (cut again with the corpus' line
 * counts, so exactly as the run cut it), its word shingles and both
 * copy-level signatures.  The story level is read from the run's own
 * TF-IDF vectors of the copy groups' representatives.  Nothing on the
 * corpus is written, so concurrent explanations on one frozen corpus are
 * fine. */
#include "common/dedup_private.h"
#include "common/sort.h"

#include "cluster/cluster.h"
#include "corpus/corpus_private.h"
#include "sketch/minhash.h"
#include "text/page.h"
#include "text/shingle.h"
#include "sketch/simhash.h"
#include "text/terms.h"
#include "text/tokenise.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TERMS 10
#define MAX_PASSAGES 3
#define PASSAGE_BYTES 200 /* longer passages are cut (UTF-8 safe) */

/* What is known about one item. */
typedef struct side {
  dedup__scratch s;   /* the document's tokens and page, as cut by items.c */
  dedup__tokvec tok;  /* the item's: title + body, offsets into the text */
  dedup__u64vec sh;   /* shingles in text order (as signed) */
  dedup__u64vec set;  /* distinct shingles, sorted */
} side;

static void side_free(side *s) {
  dedup__scratch_free(&s->s);
  dedup__tokvec_free(&s->tok);
  dedup__u64vec_free(&s->sh);
  dedup__u64vec_free(&s->set);
}

/* In how many documents each line key appears: what run phase A counted
 * (freed after the run, so counted again, with phase A's own call). */
static int count_lines(dedup__lines *lines, const dedup_corpus *c) {
  dedup__scratch s = {0};
  int rc = DEDUP_OK;
  for (size_t i = 0; i < c->n_docs && rc == DEDUP_OK; i++)
    rc = dedup__doc_count_lines(lines, &s, &c->docs[i], &c->p);
  dedup__scratch_free(&s);
  return rc;
}

/* Tokens of an item (title, then body lines) and its shingles, made by
 * the run's own calls (items.c).  The line counts are made on first need
 * and reused for the second item. */
static int item_side(side *sd, const dedup_corpus *c, size_t item,
                     dedup__lines *lines, int *have_lines,
                     const dedup__langs *langs) {
  const citem *it = &c->items[item];
  const cdoc *d = &c->docs[it->doc];
  if (!*have_lines && !(c->p.flags & DEDUP_F_NO_CLEAN)) {
    if (count_lines(lines, c) != DEDUP_OK)
      return DEDUP_ENOMEM;
    *have_lines = 1;
  }
  if (dedup__doc_cut(&sd->s, d, &c->p, lines, langs) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (it->empty)
    return DEDUP_OK;
  if (it->art >= sd->s.page.n_arts)
    return DEDUP_ESTATE; /* the corpus does not match its results */
  if (dedup__item_tokens(&sd->tok, &sd->sh, &sd->s,
                         &sd->s.page.arts[it->art], &c->p) != DEDUP_OK ||
      dedup__u64vec_reserve(&sd->set, sd->sh.n) != DEDUP_OK)
    return DEDUP_ENOMEM;
  memcpy(sd->set.v, sd->sh.v, sd->sh.n * sizeof *sd->sh.v);
  sd->set.n = sd->sh.n;
  dedup__u64_sort_unique(sd->set.v, &sd->set.n);
  return DEDUP_OK;
}

static int has_u64(const dedup__u64vec *set, uint64_t x) {
  size_t lo = 0, hi = set->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (set->v[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < set->n && set->v[lo] == x;
}

/* ---- copy level ------------------------------------------------------- */

static void copy_scores(dedup_explanation *e, const dedup_corpus *c,
                        const side *sa, const side *sb, uint64_t *sig) {
  size_t shared = 0, i = 0, j = 0;
  while (i < sa->set.n && j < sb->set.n) {
    if (sa->set.v[i] < sb->set.v[j]) {
      i++;
    } else if (sa->set.v[i] > sb->set.v[j]) {
      j++;
    } else {
      shared++;
      i++;
      j++;
    }
  }
  size_t uni = sa->set.n + sb->set.n - shared;
  e->shingles_a = sa->set.n;
  e->shingles_b = sb->set.n;
  e->shingles_shared = shared;
  e->jaccard = uni ? (double)shared / (double)uni : 0;

  /* The run's method is read from the run's signatures; the other is
   * computed here over the same shingles. */
  int empty = !sa->sh.n || !sb->sh.n; /* the run never links those */
  int mh = c->p.method == DEDUP_METHOD_MINHASH;
  unsigned k = c->p.num_perm;
  const uint64_t *ga = c->sigs + e->a * c->sig_words;
  const uint64_t *gb = c->sigs + e->b * c->sig_words;
  uint64_t fa, fb;
  if (mh) {
    fa = dedup__simhash(sa->sh.v, NULL, sa->sh.n, c->p.seed);
    fb = dedup__simhash(sb->sh.v, NULL, sb->sh.n, c->p.seed);
  } else {
    dedup__item_minhash(sig, sa->sh.v, sa->sh.n, &c->p);
    dedup__item_minhash(sig + k, sb->sh.v, sb->sh.n, &c->p);
    fa = ga[0];
    fb = gb[0];
    ga = sig;
    gb = sig + k;
  }
  e->minhash_jaccard = empty ? 0
                       : mh ? dedup__corpus_minhash_est(c, e->a, e->b)
                            : dedup__minhash_est(ga, gb, k);
  e->simhash_distance = dedup__popcount64(fa ^ fb);
  e->simhash_similarity = empty ? 0 : 1.0 - e->simhash_distance / 64.0;

  e->method = c->p.method;
  e->copy_threshold = c->p.threshold;
  e->minhash_threshold = mh ? c->p.threshold : DEDUP_MINHASH_THRESHOLD;
  e->simhash_threshold = mh ? DEDUP_SIMHASH_THRESHOLD : c->p.threshold;
  e->copy_similarity = mh ? e->minhash_jaccard : e->simhash_similarity;
}

static int linked(const struct clevel *L, size_t a, size_t b) {
  uint32_t x = (uint32_t)DEDUP__MIN(a, b), y = (uint32_t)DEDUP__MAX(a, b);
  size_t lo = 0, hi = L->n_links;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct dedup__edge *m = &L->links[mid];
    if (m->a < x || (m->a == x && m->b < y))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < L->n_links && L->links[lo].a == x && L->links[lo].b == y;
}

/* Appends n bytes of t to s[*at..cap), stopping on a UTF-8 boundary at
 * cap; returns 0 when it had to stop. */
static int put_text(char *s, size_t *at, size_t cap, const char *t,
                    size_t n) {
  size_t room = cap - *at, m = DEDUP__MIN(n, room);
  if (m < n)
    while (m > 0 && ((unsigned char)t[m] & 0xC0) == 0x80)
      m--;
  for (size_t i = 0; i < m; i++)
    s[*at + i] = t[i] == '\n' ? ' ' : t[i];
  *at += m;
  return m == n;
}

/* Whether token cur comes right after token prev in the document's
 * tokens doc (sorted by offset): nothing of the page was skipped. */
static int adjacent(const dedup__tokvec *doc, const dedup__token *prev,
                    const dedup__token *cur) {
  size_t lo = 0, hi = doc->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (doc->v[mid].off < prev->off)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo + 1 < doc->n && doc->v[lo + 1].off == cur->off;
}

/* The words tok[0..n) of text for display, cut at PASSAGE_BYTES (UTF-8
 * safe, "..." after a cut), line breaks as spaces.  An item's tokens are
 * its title and then its body lines, which need not follow each other in
 * the page (chrome between them, or a title placed after its body): where
 * words of the page were skipped, " ... " stands for them. */
static char *passage_text(const char *text, const char *title,
                          const dedup__tokvec *doc, const dedup__token *tok,
                          size_t n) {
  char *s = dedup__malloc(PASSAGE_BYTES + 4);
  if (!s)
    return NULL;
  size_t at = 0;
  int whole = 1;
  for (size_t i = 0; i < n && whole; i++) {
    /* Tokens of a given title (DEDUP__TOK_TITLE) are read from it; its
     * words follow each other, and the page's body follows it. */
    int tt = (tok[i].flags & DEDUP__TOK_TITLE) != 0;
    const char *src = tt ? title : text;
    if (i > 0) {
      int pt = (tok[i - 1].flags & DEDUP__TOK_TITLE) != 0;
      size_t from = (size_t)tok[i - 1].off + tok[i - 1].len, to = tok[i].off;
      if (pt == tt && to >= from &&
          (tt || adjacent(doc, &tok[i - 1], &tok[i]))) {
        /* What lies between two words (punctuation, spaces, line and
         * paragraph breaks), whitespace runs as one space. */
        size_t g0 = at;
        for (size_t k = from; k < to && whole; k++) {
          /* Two bytes: put_text may look at the byte after a cut (GCC
           * warns of a read past a one-byte object it cannot make). */
          char ch[2] = {src[k] == '\n' ? ' ' : src[k], '\0'};
          if (ch[0] == ' ' && at > g0 && s[at - 1] == ' ')
            continue;
          whole = put_text(s, &at, PASSAGE_BYTES, ch, 1);
        }
      } else if (pt && !tt) { /* from the given title into the body */
        whole = put_text(s, &at, PASSAGE_BYTES, " ", 1);
      } else if (at + 5 <= PASSAGE_BYTES) { /* all of it, or a cut */
        put_text(s, &at, PASSAGE_BYTES, " ... ", 5);
      } else {
        whole = 0;
      }
    }
    if (whole)
      whole = put_text(s, &at, PASSAGE_BYTES, src + tok[i].off, tok[i].len);
  }
  if (!whole) {
    memcpy(s + at, "...", 3);
    at += 3;
  }
  s[at] = '\0';
  return s;
}

/* Longest runs of a's shingles that b also has: shingle i covers tokens
 * i..i+w-1, so a run of shingles i..j is the passage of tokens i..j+w-1. */
static int passages(dedup_explanation *e, const dedup_corpus *c,
                    const side *sa, const side *sb, size_t item_a) {
  size_t best_at[MAX_PASSAGES], best_len[MAX_PASSAGES], nb = 0;
  size_t w = DEDUP__MIN((size_t)c->p.shingle_k, sa->tok.n);
  for (size_t i = 0; i < sa->sh.n;) {
    if (!has_u64(&sb->set, sa->sh.v[i])) {
      i++;
      continue;
    }
    size_t j = i;
    while (j + 1 < sa->sh.n && has_u64(&sb->set, sa->sh.v[j + 1]))
      j++;
    size_t words = j - i + w;
    /* Keep the longest, earlier first on ties. */
    size_t at = nb;
    while (at > 0 && best_len[at - 1] < words)
      at--;
    if (at < MAX_PASSAGES) {
      size_t last = DEDUP__MIN(nb, (size_t)MAX_PASSAGES - 1);
      for (size_t q = last; q > at; q--) {
        best_at[q] = best_at[q - 1];
        best_len[q] = best_len[q - 1];
      }
      best_at[at] = i;
      best_len[at] = words;
      nb = DEDUP__MIN(nb + 1, (size_t)MAX_PASSAGES);
    }
    i = j + 1;
  }
  if (!nb)
    return DEDUP_OK;
  e->passages = dedup__calloc(nb, sizeof *e->passages);
  if (!e->passages)
    return DEDUP_ENOMEM;
  const cdoc *d = &c->docs[c->items[item_a].doc];
  for (size_t q = 0; q < nb; q++) {
    char *s = passage_text(d->text, d->title, &sa->s.tok,
                           &sa->tok.v[best_at[q]],
                           best_len[q]);
    if (!s)
      return DEDUP_ENOMEM;
    e->passages[q] = (dedup_explain_passage){s, best_len[q]};
    e->n_passages++;
  }
  return DEDUP_OK;
}

/* ---- story level ------------------------------------------------------ */

/* Spelling: each term of a text, as terms.c makes it, against the ids
 * still unspelled (stemmed words, character bigrams and Thai words are
 * spelled as the bytes they were made of, first occurrence first). */
typedef struct speller {
  dedup_explain_term *best;
  const uint64_t *ids;
  size_t nb, left;
  const char *text;
} speller;

static int spell_one(void *arg, uint64_t id, uint32_t off, uint32_t len) {
  speller *sp = arg;
  for (size_t q = 0; q < sp->nb && sp->left; q++) {
    if (sp->best[q].word || sp->ids[q] != id)
      continue;
    char *w = dedup__malloc((size_t)len + 1);
    if (!w)
      return DEDUP_ENOMEM;
    memcpy(w, sp->text + off, len);
    w[len] = '\0';
    sp->best[q].word = w;
    sp->left--;
  }
  return DEDUP_OK;
}

/* Spells from text, whose tokens are tok[0..n), line by line (or all of
 * it as one title line when title is set). */
static int spell_from(speller *sp, const dedup__termctx *tc,
                      const char *text, size_t len, const dedup__token *tok,
                      size_t n, int title) {
  sp->text = text;
  if (title)
    return dedup__terms_spell(tc, text, tok, n, (dedup__span){0, UINT32_MAX},
                              spell_one, sp);
  size_t pos = 0;
  while (pos < len && sp->left) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    dedup__span line = {(uint32_t)pos, (uint32_t)(end - pos)};
    size_t f, e;
    dedup__span_tokens(tok, n, line, &f, &e);
    int rc = dedup__terms_spell(tc, text, tok + f, e - f, line, spell_one, sp);
    if (rc != DEDUP_OK)
      return rc;
    pos = end + 1;
  }
  return DEDUP_OK;
}

/* Spells the terms best[0..nb) (ids) as first written in document d of
 * language lang: its given title first (the item's first words), then
 * its text (tokens tv, stop words marked). */
static int spell_terms(dedup_explain_term *best, const uint64_t *ids,
                       size_t nb, const cdoc *d, const dedup__tokvec *tv,
                       unsigned lang, const dedup__langs *langs,
                       uint64_t seed) {
  dedup__tokvec ttok = {0};
  dedup__stemmer *stem = dedup__stemmer_new();
  speller sp = {best, ids, nb, nb, NULL};
  /* The run's rule: the undetermined read as English. */
  dedup__termctx tc = {seed, dedup__lang_terms(lang), langs, stem};
  int rc = stem ? DEDUP_OK : DEDUP_ENOMEM;
  if (rc == DEDUP_OK && d->title) {
    rc = dedup__tokenise(&ttok, d->title, d->title_len, seed);
    if (rc == DEDUP_OK) {
      dedup__langs_flag_stops(langs, lang, ttok.v, ttok.n);
      rc = spell_from(&sp, &tc, d->title, d->title_len, ttok.v, ttok.n, 1);
    }
  }
  if (rc == DEDUP_OK)
    rc = spell_from(&sp, &tc, d->text, d->len, tv->v, tv->n, 0);
  dedup__tokvec_free(&ttok);
  dedup__stemmer_free(stem);
  /* Not found cannot happen (terms come from the text); say so. */
  for (size_t q = 0; q < nb && rc == DEDUP_OK; q++)
    if (!best[q].word && !(best[q].word = dedup__strdup("?")))
      rc = DEDUP_ENOMEM;
  return rc;
}

static int top_terms(dedup_explanation *e, const dedup_corpus *c,
                     const dedup__wvec *wa, const dedup__wvec *wb,
                     const side *sa, const dedup__langs *langs) {
  dedup_explain_term best[MAX_TERMS];
  uint64_t ids[MAX_TERMS];
  size_t nb = 0, i = 0, j = 0;
  while (i < wa->n && j < wb->n) {
    if (wa->v[i].ix < wb->v[j].ix) {
      i++;
      continue;
    }
    if (wa->v[i].ix > wb->v[j].ix) {
      j++;
      continue;
    }
    double x = wa->v[i].w, y = wb->v[j].w, p = x * y;
    uint64_t id = c->story_ids[wa->v[i].ix];
    i++;
    j++;
    if (!(p > 0))
      continue;
    /* Insertion into the top list; ids ascend, so ties keep the lower. */
    size_t at = nb;
    while (at > 0 && best[at - 1].contribution < p)
      at--;
    if (at >= MAX_TERMS)
      continue;
    size_t last = DEDUP__MIN(nb, (size_t)MAX_TERMS - 1);
    for (size_t q = last; q > at; q--) {
      best[q] = best[q - 1];
      ids[q] = ids[q - 1];
    }
    best[at] = (dedup_explain_term){NULL, x, y, p};
    ids[at] = id;
    nb = DEDUP__MIN(nb + 1, (size_t)MAX_TERMS);
  }
  if (!nb)
    return DEDUP_OK;
  e->terms = dedup__calloc(nb, sizeof *e->terms);
  if (!e->terms)
    return DEDUP_ENOMEM;
  /* Spelled as in A's representative, whose tokens sa holds when it is A
   * itself. */
  const cdoc *d = &c->docs[c->items[e->rep_a].doc];
  unsigned lang = c->items[e->rep_a].lang;
  dedup__tokvec own = {0};
  const dedup__tokvec *tv = &sa->s.tok;
  if (c->items[e->rep_a].doc != c->items[e->a].doc) {
    if (dedup__tokenise(&own, d->text, d->len, c->p.seed) != DEDUP_OK) {
      dedup__tokvec_free(&own); /* the tokeniser keeps what it grew */
      return DEDUP_ENOMEM;
    }
    dedup__langs_flag_stops(langs, lang, own.v, own.n);
    tv = &own;
  }
  int rc = spell_terms(best, ids, nb, d, tv, lang, langs, c->p.seed);
  for (size_t q = 0; q < nb; q++) /* the explanation owns them now */
    e->terms[e->n_terms++] = best[q];
  dedup__tokvec_free(&own);
  return rc;
}

/* The story level compares one representative per copy group with the
 * run's TF-IDF vectors (kept for representatives only), so that is what
 * explains its decision. */
static int story(dedup_explanation *e, const dedup_corpus *c,
                 const side *sa, const dedup__langs *langs) {
  e->story_computed = 1;
  e->story_threshold = c->p.story_threshold;
  e->same_story = c->lv[DEDUP_LEVEL_STORY].label[e->a] ==
                  c->lv[DEDUP_LEVEL_STORY].label[e->b];
  const uint32_t *cl = c->lv[DEDUP_LEVEL_COPY].label;
  e->rep_a = dedup__story_rep(c, cl[e->a]);
  e->rep_b = dedup__story_rep(c, cl[e->b]);
  const dedup__wvec *ra = &c->items[e->rep_a].tfidf;
  const dedup__wvec *rb = &c->items[e->rep_b].tfidf;
  e->story_cosine = DEDUP__MIN(dedup__wvec_dot(ra, rb), 1.0);
  int64_t ta = 0, tb = 0;
  e->story_time_factor = 1;
  if (c->p.story_days > 0 && dedup__story_group_date(c, cl[e->a], &ta) &&
      dedup__story_group_date(c, cl[e->b], &tb))
    e->story_time_factor =
        dedup__story_time_factor(c->p.story_days, ta, tb);
  return top_terms(e, c, ra, rb, sa, langs);
}

/* ---- API -------------------------------------------------------------- */

DEDUP_API void dedup_explanation_free(dedup_explanation *e) {
  if (!e)
    return;
  for (size_t i = 0; i < e->n_terms; i++)
    dedup__free((void *)e->terms[i].word);
  for (size_t i = 0; i < e->n_passages; i++)
    dedup__free((void *)e->passages[i].text);
  dedup__free(e->terms);
  dedup__free(e->passages);
  dedup__free(e);
}

DEDUP_API int dedup_corpus_explain(dedup_explanation **out,
                                   const dedup_corpus *c, size_t a,
                                   size_t b) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  if (!c)
    return DEDUP_EINVAL;
  if (!c->ran || c->records || c->texts_dropped)
    return DEDUP_ESTATE;
  if (a >= c->n_items || b >= c->n_items)
    return DEDUP_EINVAL;
  dedup_explanation *e = dedup__calloc(1, sizeof *e);
  uint64_t *sig = dedup__malloc(2 * (size_t)c->p.num_perm * sizeof *sig);
  side sa = {0}, sb = {0};
  dedup__lines *lines = dedup__malloc(sizeof *lines);
  dedup__langs *langs = NULL;
  int have_lines = 0, rc = DEDUP_ENOMEM;
  if (lines)
    dedup__lines_init(lines);
  if (!e || !sig || !lines || dedup__langs_new(&langs, c->p.seed))
    goto out;
  e->a = a;
  e->b = b;
  e->lang_a = dedup__lang_code(c->items[a].lang);
  e->lang_b = dedup__lang_code(c->items[b].lang);
  if ((rc = item_side(&sa, c, a, lines, &have_lines, langs)) != DEDUP_OK ||
      (rc = item_side(&sb, c, b, lines, &have_lines, langs)) != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  e->words_a = sa.tok.n;
  e->words_b = sb.tok.n;
  copy_scores(e, c, &sa, &sb, sig);
  e->same_copy_group = c->lv[DEDUP_LEVEL_COPY].label[a] ==
                       c->lv[DEDUP_LEVEL_COPY].label[b];
  e->copy_linked = linked(&c->lv[DEDUP_LEVEL_COPY], a, b);
  if (passages(e, c, &sa, &sb, a) != DEDUP_OK)
    goto out;
  if (c->has_story && story(e, c, &sa, langs))
    goto out;
  rc = DEDUP_OK;
out:
  dedup__langs_free(langs);
  side_free(&sa);
  side_free(&sb);
  if (lines)
    dedup__lines_free(lines);
  dedup__free(lines);
  dedup__free(sig);
  if (rc != DEDUP_OK) {
    dedup_explanation_free(e);
    e = NULL;
  }
  *out = e;
  return rc;
}

DEDUP_API int dedup_corpus_item_text(char **out, size_t *out_len,
                                     const dedup_corpus *c, size_t item) {
  if (out)
    *out = NULL;
  if (out_len)
    *out_len = 0;
  if (!out || !c)
    return DEDUP_EINVAL;
  if (!c->ran || c->records || c->texts_dropped)
    return DEDUP_ESTATE;
  if (item >= c->n_items)
    return DEDUP_EINVAL;
  const citem *it = &c->items[item];
  const cdoc *d = &c->docs[it->doc];
  side sd = {0};
  dedup__lines *lines = dedup__malloc(sizeof *lines);
  dedup__langs *langs = NULL;
  char *s = NULL;
  int rc = DEDUP_ENOMEM;
  if (!lines)
    goto out;
  dedup__lines_init(lines);
  /* The same cut as the run's (and explain's) for the item. */
  if (!(c->p.flags & DEDUP_F_NO_CLEAN) && count_lines(lines, c) != DEDUP_OK)
    goto out;
  if (dedup__langs_new(&langs, c->p.seed) != DEDUP_OK ||
      dedup__doc_cut(&sd.s, d, &c->p, lines, langs) != DEDUP_OK)
    goto out;
  const dedup__page *pg = &sd.s.page;
  size_t n = 0;
  if (!it->empty) {
    if (it->art >= pg->n_arts) {
      rc = DEDUP_ESTATE;
      goto out;
    }
    const dedup__article *a = &pg->arts[it->art];
    /* The main story's title is the given one when there is one. */
    const char *ttext = d->text + a->title.off;
    size_t tlen = a->title.len;
    if (d->title && it->art == 0) {
      ttext = d->title;
      tlen = d->title_len;
    }
    n = tlen ? tlen + 1 : 0;
    for (uint32_t l = 0; l < a->count; l++)
      n += (size_t)pg->lines[a->first + l].len + 1;
    if (!(s = dedup__malloc(n + 1)))
      goto out;
    size_t at = 0;
    if (tlen) {
      memcpy(s, ttext, tlen);
      at = tlen;
      s[at++] = '\n';
    }
    for (uint32_t l = 0; l < a->count; l++) {
      dedup__span sp = pg->lines[a->first + l];
      memcpy(s + at, d->text + sp.off, sp.len);
      at += sp.len;
      s[at++] = '\n';
    }
    n = at;
  } else if (!(s = dedup__malloc(1))) {
    goto out;
  }
  s[n] = '\0';
  *out = s;
  if (out_len)
    *out_len = n;
  s = NULL;
  rc = DEDUP_OK;
out:
  dedup__free(s);
  dedup__langs_free(langs);
  side_free(&sd);
  if (lines)
    dedup__lines_free(lines);
  dedup__free(lines);
  return rc;
}
