/* stoplists.h - Snowball's stop-word lists, generated at build time
 * (scripts/gen-stoplists.py) from Debian's liblingua-stopwords-perl. */
#ifndef DEDUP_STOPLISTS_H
#define DEDUP_STOPLISTS_H

#include <stddef.h>

typedef struct dedup__stoplist {
  const char *lang;  /* ISO 639-1 code; NULL ends the table */
  size_t n;          /* words */
  const char *words; /* n lowercase UTF-8 words, each NUL-terminated */
} dedup__stoplist;

extern const dedup__stoplist dedup__snowball_stoplists[];

#endif
