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
 * (dedup__malloc'd, caller frees with dedup__free).
 *   - invalid UTF-8 sequences -> U+FFFD, counted in *n_invalid (may be NULL);
 *     NUL and other C0 controls except \t \n \r \f -> space;
 *   - NFKC (utf8proc), case folding if DEDUP__NORM_CASEFOLD;
 *   - U+2018/2019/201A/201B/2032/02BC... -> '\'', U+201C/201D/201E/2033/
 *     U+00AB/00BB -> '"', U+2010..2015/2212/FE58/FE63/FF0D -> '-',
 *     Unicode spaces (Zs, U+00A0, U+2000..200A, U+3000, ...) -> ' ',
 *     zero-width characters (U+200B..200D, U+FEFF, soft hyphen) dropped;
 *   - \r\n and \r -> \n; spaces/tabs runs -> one space; spaces at line
 *     start/end dropped; runs of blank lines -> one blank line; no leading
 *     or trailing blank lines.
 * ASCII runs take a fast path that never calls utf8proc.
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

/* Decodes one code point from valid UTF-8 at s (len > 0 bytes available);
 * returns its byte length (1..4) and stores it in *cp.  On an invalid
 * sequence returns 1 and stores 0xFFFD. */
size_t dedup__utf8_next(const char *s, size_t len, int32_t *cp);

/* Case-folds a UTF-8 word (already NFKC) into buf of cap bytes; returns the
 * folded length, or a value > cap when buf is too small (nothing useful
 * written then).  ASCII is folded inline. */
size_t dedup__casefold_word(char *buf, size_t cap, const char *w, size_t len);

/* True if cp is an uppercase or titlecase letter (Lu, Lt). */
int dedup__is_upper(int32_t cp);

#endif
