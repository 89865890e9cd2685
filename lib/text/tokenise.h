/* tokenise.h - normalised text to word tokens with 64-bit hashes. */
#ifndef DEDUP_TOKENISE_H
#define DEDUP_TOKENISE_H

#include <stddef.h>
#include <stdint.h>

enum {
  DEDUP__TOK_STOP = 1u << 0, /* English stop word (stopwords.c) */
  DEDUP__TOK_NUM = 1u << 1,  /* all digits */
  DEDUP__TOK_CAP = 1u << 2,  /* first letter upper/titlecase in the text */
  DEDUP__TOK_CHAR = 1u << 3, /* single character of a no-space script */
  DEDUP__TOK_TITLE = 1u << 4, /* set by items.c: a token of the document's
                                 given title, its offset into that title */
  DEDUP__TOK_CHROME = 1u << 5 /* set by items.c: inside a word run many
                                 other pages share (captions, bylines);
                                 no story term */
};

typedef struct dedup__token {
  uint64_t hash; /* seeded XXH3 of the case-folded token bytes */
  uint32_t off;  /* byte offset of the token in the text */
  uint16_t len;  /* byte length in the text (words > 65535 bytes are cut) */
  uint8_t flags; /* DEDUP__TOK_* */
  uint8_t pad;
} dedup__token;

typedef struct dedup__tokvec {
  dedup__token *v;
  size_t n, cap;
} dedup__tokvec;

/* Appends the tokens of text[0..len) (normalised UTF-8, see normalise.h;
 * need not be case-folded) to out.  A token is a maximal run of
 * DEDUP__CC_WORD characters; each DEDUP__CC_NOSPACE character is a token of
 * its own (with the combining marks that follow it, so Thai "ดี" is one
 * token).  Apostrophes and hyphens split words ("musk's" -> "musk", "s").
 * Hash is seeded XXH3 of the case-folded bytes (dedup__casefold_word), so
 * "Musk" and "musk" hash alike; long words are folded in chunks cut at
 * dedup__safe_cut points and hashed with XXH3's streaming form, which gives
 * the same value as hashing the whole folded word at once.  Words longer
 * than 65535 bytes are cut into several tokens.  No allocation unless out
 * must grow.  Returns DEDUP_OK, DEDUP_ETOOBIG (len > UINT32_MAX: offsets are
 * 32-bit) or DEDUP_ENOMEM (out->n is left as it was then). */
int dedup__tokenise(dedup__tokvec *out, const char *text, size_t len,
                    uint64_t seed);
/* Frees the tokens and leaves an empty vector; fine on an empty one. */
void dedup__tokvec_free(dedup__tokvec *tv);

/* True if the case-folded ASCII word w[0..len) is an English stop word
 * (a small built-in table in stopwords.c). */
int dedup__is_stopword(const char *w, size_t len);

/* The same test on a word of 1..10 letters a-z already packed as
 * stopwords.c packs it: key = key << 5 | (letter - 'a' + 1) for each
 * letter in order.  For callers that loop over the letters anyway (the
 * tokeniser), saving a second pass and its mispredicted loop exit. */
int dedup__is_stopword_key(uint64_t key);

/* Words in the table (tests check it holds their list and nothing else). */
size_t dedup__stopword_count(void);

/* The table's word in slot (0..dedup__stopword_slots()) into buf, NUL
 * terminated; returns its length, 0 for an empty slot.  For building
 * other tables from the same list (lang.c). */
size_t dedup__stopword_slots(void);
size_t dedup__stopword_word(size_t slot, char buf[11]);

#endif
