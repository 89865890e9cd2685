/* shingle.h - tokens to 64-bit shingle hashes. */
#ifndef DEDUP_SHINGLE_H
#define DEDUP_SHINGLE_H

#include "common/dedup_private.h"
#include "text/tokenise.h"

/* Appends the word k-shingles of tokens t[0..n) to out: one 64-bit hash per
 * window of k consecutive token hashes, seeded: XXH3-64(seed) of the k
 * hashes as little-endian bytes, so shingles are the same on every
 * machine.  If 0 < n < k, appends one shingle over all n tokens (equal to
 * the n-window shingle).  Nothing for n == 0.  No allocation beyond growing
 * out (n slots are reserved, n-k+1 kept).  Returns DEDUP_OK, DEDUP_EINVAL
 * (k == 0), DEDUP_ENOMEM (out unchanged then). */
int dedup__shingle_words(dedup__u64vec *out, const dedup__token *t, size_t n,
                         unsigned k, uint64_t seed);

/* Appends character n-gram hashes (over code points, spaces included) of
 * normalised text: XXH3-64(seed) of the UTF-8 bytes of each window of n
 * code points.  A text of fewer than n (but at least one) code points gives
 * one hash of all of it; an empty text nothing.  Returns DEDUP_OK,
 * DEDUP_EINVAL (n == 0), DEDUP_ENOMEM. */
int dedup__shingle_chars(dedup__u64vec *out, const char *text, size_t len,
                         unsigned n, uint64_t seed);


#endif
