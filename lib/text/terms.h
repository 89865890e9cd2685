/* terms.h - story-level features: weighted terms of an article.
 *
 * A story told by two outlets shares few word runs but many names, places,
 * numbers and topic words.  Terms are single content words (stop words and
 * one-letter words dropped), counted with more weight in the title, the
 * lead and for capitalised words inside a line (names).  The corpus turns
 * counts into TF-IDF weights over the documents being clustered and
 * compares articles by cosine. */
#ifndef DEDUP_TERMS_H
#define DEDUP_TERMS_H

#include "text/lang.h"
#include "text/page.h"
#include "text/stem.h"
#include "text/tokenise.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dedup__term {
  uint64_t id; /* token hash */
  float w;     /* boosted count, later the TF-IDF weight */
} dedup__term;

typedef struct dedup__termvec {
  dedup__term *v; /* sorted by id, ids distinct */
  size_t n, cap;
} dedup__termvec;

/* Boosts, relative to a plain body word (doc/tuning.md has the figures
 * that chose them). */
#define DEDUP__TERM_TITLE 2.0f
#define DEDUP__TERM_LEAD 2.5f
#define DEDUP__TERM_LEAD_WORDS 60 /* the lead: body lines until this many */
#define DEDUP__TERM_CAP 2.5f

/* How terms are made: the run's seed, the document's language (words of
 * a language without a stemmer are their case fold; Han and Kana runs
 * are character bigrams, Thai runs libthai's words, Hangul words
 * syllable bigrams), and the thread's stemmer (NULL: no stemming, no Thai
 * breaking).  langs holds the Thai stop words (NULL: none). */
typedef struct dedup__termctx {
  uint64_t seed;
  unsigned lang;
  const dedup__langs *langs;
  dedup__stemmer *stem;
} dedup__termctx;

/* Counts the terms of article a of a page (title and body lines) into out
 * (reset first), given the tokens of the whole page text (offsets into
 * text) and the page's body lines. */
int dedup__terms_count_tokens(dedup__termvec *out, const char *text,
                              const dedup__token *tok, size_t n_tok,
                              const dedup__span *lines,
                              const dedup__article *a,
                              const dedup__termctx *tc);

/* The same with a given title (the document's metadata, not a line of
 * the page): its tokens gtok[0..n_gtok), offsets into gtitle, count as
 * the title instead of a->title.  gtitle NULL: as above. */
int dedup__terms_count_titled(dedup__termvec *out, const char *text,
                              const dedup__token *tok, size_t n_tok,
                              const dedup__span *lines,
                              const dedup__article *a, const char *gtitle,
                              const dedup__token *gtok, size_t n_gtok,
                              const dedup__termctx *tc);

/* The same, tokenising the article's text itself; tv is scratch. */
int dedup__terms_count(dedup__termvec *out, dedup__tokvec *tv,
                       const char *text, const dedup__page *pg,
                       const dedup__article *a,
                       const dedup__termctx *tc);

/* Each term of the tokens tok[0..n) of span s (a line, or a title with
 * s = {0, UINT32_MAX}), in text order, handed to fn with the bytes of
 * text it is made of (a word, a character bigram): what explain needs to
 * spell a term.  Stops at fn's first status other than DEDUP_OK. */
typedef int (*dedup__term_fn)(void *arg, uint64_t id, uint32_t off,
                              uint32_t len);
int dedup__terms_spell(const dedup__termctx *tc, const char *text,
                       const dedup__token *tok, size_t n, dedup__span s,
                       dedup__term_fn fn, void *arg);

/* Sorts by id and sums duplicates. */
void dedup__terms_compact(dedup__termvec *tv);

/* Cosine of two weight vectors (both sorted by id, L2-normalised). */
double dedup__terms_dot(const dedup__termvec *a, const dedup__termvec *b);

void dedup__termvec_free(dedup__termvec *tv);

/* An item's counted terms as kept until the story level: ids and counts
 * in one block of exactly n of each (12 bytes a term; a counting vector
 * keeps 16 and the room it grew to). */
typedef struct dedup__termset {
  uint64_t *id; /* ascending; the block's start */
  float *w;     /* counts, after the ids */
  size_t n;
} dedup__termset;

/* *ts = a copy of tv (sorted, ids distinct).  DEDUP_OK or DEDUP_ENOMEM
 * (ts empty). */
int dedup__termset_set(dedup__termset *ts, const dedup__termvec *tv);
void dedup__termset_free(dedup__termset *ts);

/* A representative's TF-IDF vector: terms as indexes into the run's
 * sorted table of term ids (corpus story_ids), so index order is id
 * order, and float weights: 8 bytes a term. */
typedef struct dedup__wterm {
  uint32_t ix;
  float w;
} dedup__wterm;

typedef struct dedup__wvec {
  dedup__wterm *v; /* ix ascending */
  size_t n;
} dedup__wvec;

/* Cosine of two L2-normalised vectors by a merge, summed in index (= id)
 * order, as the story level sums it. */
double dedup__wvec_dot(const dedup__wvec *a, const dedup__wvec *b);
void dedup__wvec_free(dedup__wvec *v);

#endif
