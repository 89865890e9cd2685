/* shingle.c - tokens to 64-bit shingle hashes; set helpers.
 *
 * A word shingle is XXH3-64 (seeded) of the little-endian bytes of its k
 * token hashes, so it is stable across machines and never depends on the
 * token text beyond its hash.  A character n-gram is XXH3-64 of the UTF-8
 * bytes of its n code points. */
#include "text/shingle.h"

#include "common/hash.h"
#include "text/normalise.h"

#include <string.h>

/* Token hashes are laid out little-endian before hashing, so a shingle is
 * the same number on every machine. */
static inline uint64_t to_le64(uint64_t x) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return __builtin_bswap64(x);
#else
  return x;
#endif
}

int dedup__shingle_words(dedup__u64vec *out, const dedup__token *t, size_t n,
                         unsigned k, uint64_t seed) {
  if (k == 0)
    return DEDUP_EINVAL;
  if (n == 0)
    return DEDUP_OK;
  /* The token hashes are gathered into the output's own spare room, then
   * window i is hashed from slots [i, i+k) and written to slot i: later
   * windows read only slots > i, so the overwrite is safe and no scratch
   * buffer is needed (n slots are reserved, n-k+1 are kept). */
  if (dedup__u64vec_reserve(out, n) != DEDUP_OK)
    return DEDUP_ENOMEM;
  uint64_t *w = out->v + out->n;
  for (size_t i = 0; i < n; i++)
    w[i] = to_le64(t[i].hash);
  if (n < k) {
    w[0] = dedup__hash(w, n * sizeof *w, seed);
    out->n += 1;
    return DEDUP_OK;
  }
  size_t m = n - k + 1;
  size_t bytes = (size_t)k * sizeof *w;
  for (size_t i = 0; i < m; i++)
    w[i] = dedup__hash(w + i, bytes, seed);
  out->n += m;
  return DEDUP_OK;
}

/* UTF-8 continuation bytes are 10xxxxxx; every other byte starts a code
 * point (invalid input was already replaced by the normaliser). */
static inline int is_cp_start(unsigned char c) { return (c & 0xC0) != 0x80; }

int dedup__shingle_chars(dedup__u64vec *out, const char *text, size_t len,
                         unsigned n, uint64_t seed) {
  if (n == 0)
    return DEDUP_EINVAL;
  const unsigned char *s = (const unsigned char *)text;
  size_t ncp = 0;
  for (size_t i = 0; i < len; i++)
    ncp += (size_t)is_cp_start(s[i]);
  if (ncp == 0)
    return DEDUP_OK;
  if (ncp < n) {
    if (dedup__u64vec_reserve(out, 1) != DEDUP_OK)
      return DEDUP_ENOMEM;
    out->v[out->n++] = dedup__hash(text, len, seed);
    return DEDUP_OK;
  }
  size_t m = ncp - n + 1;
  if (dedup__u64vec_reserve(out, m) != DEDUP_OK)
    return DEDUP_ENOMEM;
  /* Two cursors: lo at the first byte of the window, hi just past its last
   * code point; each step moves both by one code point, O(len) in all. */
  size_t lo = 0, hi = 0;
  while (lo < len && !is_cp_start(s[lo]))
    lo++; /* stray leading continuation bytes belong to no window start */
  hi = lo;
  for (unsigned c = 0; c < n; c++) {
    hi++;
    while (hi < len && !is_cp_start(s[hi]))
      hi++;
  }
  uint64_t *w = out->v + out->n;
  for (size_t i = 0;; i++) {
    w[i] = dedup__hash(text + lo, hi - lo, seed);
    if (i + 1 == m)
      break;
    lo++;
    while (lo < len && !is_cp_start(s[lo]))
      lo++;
    hi++;
    while (hi < len && !is_cp_start(s[hi]))
      hi++;
  }
  out->n += m;
  return DEDUP_OK;
}


/* dedup_shingles and dedup_char_shingles: normalise (case-folded), make
 * the hashes with words (k-shingles) or not (character n-grams). */
static int public_shingles(uint64_t **out, size_t *n, const char *text,
                           size_t len, unsigned k, uint64_t seed, int words) {
  if (out)
    *out = NULL;
  if (n)
    *n = 0;
  if (!out || !n || k == 0 || (!text && len))
    return DEDUP_EINVAL;
  char *norm = NULL;
  size_t nlen = 0;
  int rc = dedup__normalise(&norm, &nlen, text, len, DEDUP__NORM_CASEFOLD,
                            NULL);
  if (rc != DEDUP_OK)
    return rc;
  dedup__tokvec tv = {0};
  dedup__u64vec sv = {0};
  if (words) {
    rc = dedup__tokenise(&tv, norm, nlen, seed);
    if (rc == DEDUP_OK)
      rc = dedup__shingle_words(&sv, tv.v, tv.n, k, seed);
  } else {
    rc = dedup__shingle_chars(&sv, norm, nlen, k, seed);
  }
  /* A successful call always hands back a buffer, even for no shingles,
   * so callers may treat *out == NULL as failure. */
  if (rc == DEDUP_OK && sv.v == NULL)
    rc = dedup__u64vec_reserve(&sv, 1);
  dedup__tokvec_free(&tv);
  dedup__free(norm);
  if (rc != DEDUP_OK) {
    dedup__u64vec_free(&sv);
    return rc;
  }
  *out = sv.v;
  *n = sv.n;
  return DEDUP_OK;
}

DEDUP_API int dedup_shingles(uint64_t **out, size_t *n, const char *text,
                             size_t len, unsigned k, uint64_t seed) {
  return public_shingles(out, n, text, len, k, seed, 1);
}

DEDUP_API int dedup_char_shingles(uint64_t **out, size_t *n, const char *text,
                                  size_t len, unsigned ngram, uint64_t seed) {
  return public_shingles(out, n, text, len, ngram, seed, 0);
}

DEDUP_API uint64_t dedup_hash_bytes(const void *p, size_t n, uint64_t seed) {
  return dedup__hash(n ? p : "", n, seed);
}
