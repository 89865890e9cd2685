/* stem.h - words to the forms the story level compares: Snowball stems
 * (libstemmer) and Thai words (libthai), per thread.
 *
 * Outlets telling one story inflect its words differently ("Streik",
 * "Streiks", "streikten"); a stem makes them one term.  libstemmer's
 * stemmers and libthai's breaker keep state while they work, so each
 * thread owns its own, made the first time its language is met. */
#ifndef DEDUP_STEM_H
#define DEDUP_STEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct dedup__stemmer dedup__stemmer;

/* NULL on ENOMEM. */
dedup__stemmer *dedup__stemmer_new(void);
void dedup__stemmer_free(dedup__stemmer *s);

/* The term id of word w[0..len) (normalised text, not case-folded) of
 * language lang, whose token hash (seeded XXH3 of its case fold) is hash:
 * mix64(XXH3(stem of the fold, seed) ^ dedup__lang_salt(lang)).  Without
 * a stemmer for lang (or s NULL) the stem is the fold itself.  Memoised
 * per (lang, hash): a page repeats its words, a corpus its vocabulary. */
uint64_t dedup__stem_id(dedup__stemmer *s, unsigned lang, const char *w,
                        size_t len, uint64_t hash, uint64_t seed);

/* Word boundaries of a run of Thai text s[0..len) (UTF-8): the byte
 * offsets where words end, ascending, the last = len, into cuts (room
 * for cap).  Returns how many, 0 when libthai cannot be loaded or the
 * run is too long for one call (then the caller makes bigrams), SIZE_MAX
 * when out of memory.  Stemmers libstemmer cannot make (a language this
 * libstemmer lacks, or no memory: it does not say which) leave words
 * unstemmed; libthai missing its dictionary leaves Thai to bigrams. */
size_t dedup__thai_words(dedup__stemmer *s, const char *text, size_t len,
                         uint32_t *cuts, size_t cap);

#endif
