/* normalise.h - bytes to normalised UTF-8; the only user of utf8proc. */
#ifndef DEDUP_NORMALISE_H
#define DEDUP_NORMALISE_H

#include <stddef.h>
#include <stdint.h>

enum {
  /* Apply Unicode case folding (default for dedup_normalise()).  The corpus
   * normalises without it so that page cleaning and term weighting can still
   * see capitals; the tokeniser folds each token instead. */
  DEDUP__NORM_CASEFOLD = 1u << 0
};

/* Normalises len bytes of in into a new NUL-terminated buffer *out
 * (dedup__malloc'd, caller frees with dedup__free).  in may be NULL when
 * len is 0; out_len and n_invalid may be NULL.
 *   - invalid UTF-8 -> U+FFFD, one per maximal ill-formed subpart (Unicode
 *     "best practice", as Python's errors="replace"): "\xC0\xAF" gives two,
 *     a surrogate "\xED\xA0\x80" three, a truncated "\xE2\x82" one; the
 *     count goes to *n_invalid;
 *   - NUL, other C0 controls except \t \n \r \f, DEL and C1 controls ->
 *     space; \f, U+0085, U+2028 and U+2029 -> line break;
 *   - NFKC (utf8proc), case folding if DEDUP__NORM_CASEFOLD;
 *   - U+2018/2019/201A/201B/2032/2035/02BC/00B4/2039/203A -> '\'',
 *     U+201C/201D/201E/201F/2033/2036/00AB/00BB/301D..301F -> '"',
 *     U+2010..2015/2043/2212/2E3A/2E3B/FE58/FE63/FF0D -> '-',
 *     Unicode spaces (Zs: U+00A0, U+1680, U+2000..200A, U+202F, U+205F,
 *     U+3000) -> ' ', default-ignorable characters (zero width U+200B..200D,
 *     U+2060, U+FEFF, soft hyphen U+00AD, variation selectors...) dropped;
 *   - \r\n and \r -> \n; spaces/tabs runs -> one space; spaces at line
 *     start/end dropped; runs of blank lines -> one blank line; no leading
 *     or trailing blank lines and no final line break.
 * ASCII runs take a fast path that never calls utf8proc.  Non-ASCII text is
 * normalised in segments cut wherever normalisation cannot cross (see
 * dedup__safe_cut); one-character segments go through a dedup__cpmemo.  A
 * run of more than 256 bytes of combining marks is cut anyway (stream-safe,
 * as UAX #15 section 13), so such pathological input may come out not
 * quite NFKC.
 * Returns DEDUP_OK or DEDUP_ENOMEM (*out NULL then). */
int dedup__normalise(char **out, size_t *out_len, const char *in, size_t len,
                     unsigned flags, size_t *n_invalid);

/* Character classes the tokeniser needs, from Unicode general category and
 * script (via utf8proc). */
typedef enum dedup__cclass {
  DEDUP__CC_OTHER = 0, /* punctuation, symbols, spaces, controls */
  DEDUP__CC_WORD = 1,  /* letters (L*), marks (M*), digits (Nd, Nl, No) */
  DEDUP__CC_NOSPACE = 2 /* letters of scripts written without spaces:
                           Han, Hiragana, Katakana, Thai, Lao, Khmer,
                           Myanmar: one token per character */
} dedup__cclass;

dedup__cclass dedup__char_class(int32_t cp);

/* True if text may be cut just before cp without changing its NFKC or case
 * folding, i.e. cp is not a combining mark (M*), not a Hangul medial/final
 * jamo and does not decompose to something starting with a mark.  The
 * tokeniser also uses it to keep marks with the character they follow. */
int dedup__safe_cut(int32_t cp);

/* Decodes one code point from valid UTF-8 at s (len > 0 bytes available);
 * returns its byte length (1..4) and stores it in *cp.  On an invalid
 * sequence returns 1 and stores 0xFFFD. */
size_t dedup__utf8_next(const char *s, size_t len, int32_t *cp);

/* Case-folds a UTF-8 word (already NFKC) into buf of cap bytes; returns the
 * folded length, or a value > cap when buf is too small (nothing useful
 * written then).  ASCII is folded inline.  The fold is the one
 * dedup__normalise applies with DEDUP__NORM_CASEFOLD (NFKC + full case
 * folding), so folding a word here and normalising it with case folding
 * give the same bytes.  Words that fold to more than 256 code points need
 * one temporary heap buffer. */
size_t dedup__casefold_word(char *buf, size_t cap, const char *w, size_t len);

/* Memo of what normalisation makes of single code points, so that text in
 * other scripts costs a table lookup per character instead of a utf8proc
 * call.  Direct-mapped, 16 KB: meant for the stack of one call.
 * Initialise with dedup__cpmemo_init before use. */
enum { DEDUP__CPMEMO_SLOTS = 1024 };
typedef struct dedup__cpmemo_entry {
  int32_t cp;    /* -1: empty slot */
  uint8_t cut;   /* dedup__safe_cut(cp) */
  uint8_t cls;   /* dedup__char_class(cp) */
  uint8_t upper; /* dedup__is_upper(cp) */
  uint8_t len;   /* bytes in s; 0: no plain form (see dedup__cpmemo_get) */
  char s[8];
} dedup__cpmemo_entry;
typedef struct dedup__cpmemo {
  dedup__cpmemo_entry slot[DEDUP__CPMEMO_SLOTS];
  unsigned flags;
} dedup__cpmemo;

void dedup__cpmemo_init(dedup__cpmemo *m, unsigned flags);

/* Fills the slot of cp (a miss in dedup__cpmemo_get). */
const dedup__cpmemo_entry *dedup__cpmemo_fill(dedup__cpmemo *m, int32_t cp);

/* The entry for cp (>= 0x80); valid until the next call.  s holds what
 * dedup__normalise(flags) makes of cp standing alone, which is what it
 * makes of cp in any text where cp and the character after it are safe
 * cuts.  len is 0 when that is not short plain text (a space, a line
 * break, nothing, more than 8 bytes): take the general path then.  With
 * DEDUP__NORM_CASEFOLD, s equals dedup__casefold_word of cp.  Inline: a
 * hit is a load and a compare. */
static inline const dedup__cpmemo_entry *
dedup__cpmemo_get(dedup__cpmemo *m, int32_t cp) {
  /* Direct-mapped on the low bits: a script's letters are contiguous, so
   * the characters of one text rarely collide. */
  const dedup__cpmemo_entry *e =
      &m->slot[(uint32_t)cp & (DEDUP__CPMEMO_SLOTS - 1)];
  return e->cp == cp ? e : dedup__cpmemo_fill(m, cp);
}

/* True if cp is an uppercase or titlecase letter (Lu, Lt). */
int dedup__is_upper(int32_t cp);

#endif
