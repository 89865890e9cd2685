/* shingle.h - tokens to 64-bit shingle hashes. */
#ifndef DEDUP_SHINGLE_H
#define DEDUP_SHINGLE_H

#include "dedup_private.h"
#include "tokenise.h"

/* Appends the word k-shingles of tokens t[0..n) to out: one 64-bit hash per
 * window of k consecutive token hashes, seeded.  If 0 < n < k, appends one
 * shingle over all n tokens.  Nothing for n == 0.  Returns DEDUP_OK or
 * DEDUP_ENOMEM. */
int dedup__shingle_words(dedup__u64vec *out, const dedup__token *t, size_t n,
                         unsigned k, uint64_t seed);

/* Appends character n-gram hashes (over code points, spaces included) of
 * normalised text. */
int dedup__shingle_chars(dedup__u64vec *out, const char *text, size_t len,
                         unsigned n, uint64_t seed);

/* Sorts and deduplicates v[0..*n) in place (set semantics). */
void dedup__u64_sort_unique(uint64_t *v, size_t *n);

#endif
