/* page.h - a scraped page to its main story and embedded articles.
 *
 * Knows no site: every decision comes from generic signals of each line
 * (length, stop-word density, sentence shape), repetition inside the page
 * and across the corpus, and position (after jusText, Pomikalek 2011). */
#ifndef DEDUP_PAGE_H
#define DEDUP_PAGE_H

#include "common/dedup_private.h"
#include "text/tokenise.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dedup__span {
  uint32_t off, len; /* bytes of the normalised page text */
} dedup__span;

typedef struct dedup__article {
  dedup__span title;      /* len 0 when the article has no title line */
  uint32_t first, count;  /* its body lines: page->lines[first..+count) */
  uint32_t words;         /* words in the body */
} dedup__article;

typedef struct dedup__page {
  dedup__article *arts; /* arts[0] is the main story; then embedded ones */
  size_t n_arts, cap_arts;
  dedup__span *lines;   /* body lines of all articles, in page order */
  size_t n_lines, cap_lines;
  /* scratch reused across calls (no allocation per line) */
  dedup__tokvec tv;
  void *scratch;
  size_t scratch_cap;
  uint64_t *keys; /* in-page repeats */
  size_t keys_cap;
  /* Set by the caller before parsing: the main story's title is given
   * (metadata), so no line of the page is taken as its title; the first
   * line of a page cut whole stays in the body. */
  int given_title;
  /* Set by the caller too: the factor on the stop-word shares that make
   * prose (dedup__lang_stop_scale of the page's language); 0 means 1. */
  double stop_scale;
  /* ... and whether its language's stop words cannot tell its prose at
   * all (see whole_page in page.c). */
  int blind_prose;
} dedup__page;

/* How many documents of the corpus hold a line key (see page_keys). */
typedef uint32_t (*dedup__df_fn)(const void *ctx, uint64_t key);

/* Appends to out the distinct keys of one page that the corpus counts to
 * find repeated chrome: one per line short enough to be judged by
 * repetition (REPEAT_MAX_WORDS in page.c; the hash of its word tokens;
 * longer lines are never looked up, so they are tokenised only as far as
 * needed to tell) and one per
 * separator-delimited part of the first lines, so that a site name after
 * "Title - " is recognised when other pages carry it too. */
int dedup__page_keys(dedup__u64vec *out, dedup__page *scratch,
                     const char *text, size_t len, uint64_t seed);

/* Splits normalised text into articles, given the tokens of the whole
 * text (dedup__tokenise of text[0..len), so offsets are into text; tokens
 * never cross a line break, so a line's tokens are those inside it).
 * df may be NULL (no corpus evidence).  A page in which nothing looks
 * like article prose (no stop words of its language: the caller marks
 * them, see lang.h) becomes one article of all its lines, so no text is
 * ever lost for a language the heuristics do not know.  Reuses pg's buffers; returns DEDUP_OK or DEDUP_ENOMEM. */
int dedup__page_parse_tokens(dedup__page *pg, const char *text, size_t len,
                             const dedup__token *tok, size_t n_tok,
                             uint64_t seed, dedup__df_fn df, const void *ctx);

/* The same, tokenising text itself (into pg->tv). */
int dedup__page_parse(dedup__page *pg, const char *text, size_t len,
                      uint64_t seed, dedup__df_fn df, const void *ctx);

/* Tokens inside text[s.off .. s.off+s.len) of a token vector sorted by
 * offset: tok[*first .. *end).  For a line, or a part of one cut at
 * spaces, they are exactly the tokens dedup__tokenise gives for it. */
void dedup__span_tokens(const dedup__token *tok, size_t n_tok, dedup__span s,
                        size_t *first, size_t *end);

/* Appends to *it the tokens of doc (sorted by offset) inside span sp.
 * Returns DEDUP_OK or DEDUP_ENOMEM (*it unchanged). */
int dedup__span_take(dedup__tokvec *it, const dedup__tokvec *doc,
                     dedup__span sp);

/* The page as one article of every non-blank line and no title: what
 * DEDUP_F_NO_CLEAN compares.  Returns DEDUP_OK or DEDUP_ENOMEM. */
int dedup__page_whole(dedup__page *pg, const char *text, size_t len);

void dedup__page_free(dedup__page *pg);

#endif
