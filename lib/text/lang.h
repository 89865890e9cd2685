/* lang.h - the language of a document: the table of languages the
 * library knows, identification, and stop words per language.
 *
 * A language is an index into a fixed table (0 = "und", undetermined):
 * ISO 639-1 codes, each with what the library has for it (a Snowball
 * stemmer, a stop-word list, how its words are written).  Identification
 * counts, over the prose-like lines of a page, the tokens of each
 * stop-word list (Snowball's lists, and short lists of function
 * characters for Chinese and Japanese written for libdedup) and the
 * characters of scripts without spaces; only a page that none of them
 * decides goes to libexttextcat (whose n-gram models cover 160 languages
 * but cost about 0.6 ms a page, as much as the rest of the story level).
 */
#ifndef DEDUP_LANG_H
#define DEDUP_LANG_H

#include "text/tokenise.h"

#include <stddef.h>
#include <stdint.h>

enum { DEDUP__LANG_UND = 0, DEDUP__LANG_EN = 1 };

/* How a language's story terms are made from its tokens. */
typedef enum dedup__lang_words {
  DEDUP__WORDS_SPACED = 0, /* words between spaces, stemmed if it can be */
  DEDUP__WORDS_BIGRAM,     /* Han/Kana (and Hangul syllables): bigrams */
  DEDUP__WORDS_THAI        /* Thai: words found by libthai */
} dedup__lang_words;

/* Languages in the table. */
size_t dedup__lang_count(void);
/* Its ISO 639-1 code ("en"), "und" for 0; NULL out of range. */
const char *dedup__lang_code(unsigned lang);
/* The language of a code: ISO 639-1 ("de"), with a region or script
 * after '-' or '_' ("de-AT", "zh_Hans"), ISO 639-2 ("deu") or the English
 * name Snowball uses ("german"), any case.  "und" and "" are 0.  Returns
 * -1 for a code the table does not hold. */
int dedup__lang_from_code(const char *s, size_t len);
/* True when libstemmer has a stemmer for it. */
int dedup__lang_has_stemmer(unsigned lang);
/* True when it has a stop-word list (so its pages can be cleaned). */
int dedup__lang_has_stoplist(unsigned lang);
dedup__lang_words dedup__lang_words_of(unsigned lang);
/* Factor on the page cleaner's stop-word shares: the share of prose that
 * a language's list covers differs (lang.c says why each is what it
 * is). */
double dedup__lang_stop_scale(unsigned lang);
/* A salt that keeps term ids of one language apart from another's. */
uint64_t dedup__lang_salt(unsigned lang);
/* The id of a story term of language lang whose form (its stem, its case
 * fold, a character bigram) hashes to h: the one rule terms.c and stem.c
 * share. */
uint64_t dedup__lang_term_id(unsigned lang, uint64_t h);
/* The language whose term rules and statistics a document of lang
 * follows: its own, English for the undetermined (read as English, the
 * library's language before it knew others). */
unsigned dedup__lang_terms(unsigned lang);

/* The stop-word lists hashed as the tokeniser hashes words (seeded XXH3
 * of the case-folded word), one table for every list: built once per
 * run, read-only afterwards, so any number of threads may share it. */
typedef struct dedup__langs dedup__langs;
int dedup__langs_new(dedup__langs **out, uint64_t seed);
void dedup__langs_free(dedup__langs *l);
/* True when the token hash h is a stop word of lang. */
int dedup__langs_is_stop(const dedup__langs *l, unsigned lang, uint64_t h);
/* Sets DEDUP__TOK_STOP on tokens tok[0..n) as lang's list says (English
 * and undetermined keep the tokeniser's English flags; a language
 * without a list has no stop words). */
void dedup__langs_flag_stops(const dedup__langs *l, unsigned lang,
                             dedup__token *tok, size_t n);

/* What one thread keeps for identification: a libexttextcat handle,
 * loaded the first time a page needs it (15 ms). */
typedef struct dedup__langid {
  void *textcat;
  int tried;
} dedup__langid;

/* The language of a normalised text whose tokens (dedup__tokenise of the
 * whole text) are tok[0..n).  w may be NULL (no libexttextcat then: a
 * page no list decides is undetermined).  Deterministic: a function of
 * the text alone. */
unsigned dedup__lang_identify(const dedup__langs *l, dedup__langid *w,
                              const char *text, size_t len,
                              const dedup__token *tok, size_t n);
void dedup__langid_free(dedup__langid *w);

#endif
