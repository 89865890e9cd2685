/* minhash.c - MinHash signatures: one-permutation hashing (OPH) with
 * optimal densification, and classic k-hash MinHash.
 *
 * The streaming state holds the running per-word minima; the one-shot forms
 * run the very same update and finish functions on the caller's signature
 * buffer, so one-shot, one big update, element-by-element updates and
 * updates in any order or with repeats all give the same words (min is
 * commutative and idempotent).
 *
 * OPH (Li, Owen, Zhang 2012; Shrivastava, ICML 2017).  Each element h is
 * mixed once, x = mix64(h ^ s), a seeded bijection of the 64-bit space that
 * acts as the one random permutation.  Its bin is the top 32 bits of x
 * scaled to [0, k) (fastrange), so bins are contiguous ranges of the
 * permutation, and bin b keeps the least x that fell in it.  An empty bin i
 * is filled at digest time by probing bins j = fastrange(g(i, attempt)) for
 * attempt = 0, 1, ... (g a seeded hash of the bin index and attempt only,
 * never of the data) and copying the first non-empty bin's value unchanged.
 * Two sets then agree on bin i exactly as often as the Jaccard predicts,
 * with the lowest variance of the known densifications (Shrivastava 2017).
 * A bin whose minimum is UINT64_MAX counts as empty: an element must mix to
 * exactly 2^64-1 for that to lose information (probability 2^-64).
 *
 * CLASSIC (Broder 1997).  Word i is min over elements of
 * h_i(x) = fmix(x * a_i + b_i), x = mix64(h ^ s) as above, a_i odd and b_i
 * drawn from the seed, fmix a xorshift-multiply finaliser.  Elements are
 * taken in chunks: a_i, b_i are derived on the fly once a chunk (no tables,
 * so the one-shot form needs no memory) and the inner loop is a plain min
 * reduction over the chunk that the compiler can vectorise. */
#include "sketch/minhash.h"

#include "common/dedup_private.h"
#include "common/hash.h"

#include <assert.h>
#include <string.h>

#define EMPTY UINT64_MAX
#define GOLDEN 0x9e3779b97f4a7c15ULL

/* Seed derivation: independent-looking streams for the element mix, the
 * densification probes and the classic parameters. */
#define SALT_ELEM 0x6a09e667f3bcc909ULL
#define SALT_PROBE 0xbb67ae8584caa73bULL
#define SALT_A 0x3c6ef372fe94f82bULL
#define SALT_B 0xa54ff53a5f1d36f1ULL

struct dedup_minhash {
  unsigned k;
  dedup_minhash_kind kind;
  uint64_t seed;
  uint64_t *mins; /* k running minima (OPH: per bin; classic: per hash) */
};

static inline uint64_t elem_key(uint64_t seed) {
  return dedup__mix64(seed ^ SALT_ELEM);
}

/* x * k >> 32 on the top 32 bits: a uniform index in [0, k) without a
 * division (Lemire's fastrange); bias at most k / 2^32. */
static inline unsigned fastrange32(uint64_t x, unsigned k) {
  return (unsigned)(((x >> 32) * (uint64_t)k) >> 32);
}

/* ---- OPH ---------------------------------------------------------------- */

static void oph_update(uint64_t *mins, unsigned k, const uint64_t *h,
                       size_t n, uint64_t seed) {
  const uint64_t s = elem_key(seed);
  for (size_t e = 0; e < n; e++) {
    uint64_t x = dedup__mix64(h[e] ^ s);
    unsigned b = fastrange32(x, k);
    if (x < mins[b])
      mins[b] = x;
  }
}

/* Writes the densified signature of the minima src[0..k) to sig[0..k).
 * sig may equal src: only empty bins are written, and probes read only
 * bins that were non-empty in src (recorded in a bitmap first). */
static void oph_finish(uint64_t *sig, const uint64_t *src, unsigned k,
                       uint64_t seed) {
  assert(k >= 1 && k <= DEDUP__MINHASH_MAX_K);
  uint64_t full[DEDUP__MINHASH_MAX_K / 64];
  unsigned nfull = 0;
  memset(full, 0, sizeof full);
  for (unsigned i = 0; i < k; i++) {
    int f = src[i] != EMPTY;
    full[i >> 6] |= (uint64_t)f << (i & 63);
    nfull += (unsigned)f;
  }
  if (sig != src)
    memcpy(sig, src, (size_t)k * sizeof *sig);
  if (nfull == 0 || nfull == k)
    return; /* empty set: all ones; full: nothing to borrow */
  const uint64_t ps = dedup__mix64(seed ^ SALT_PROBE);
  for (unsigned i = 0; i < k; i++) {
    if (full[i >> 6] >> (i & 63) & 1)
      continue;
    /* Probe sequence of bin i: a splitmix64 stream keyed by (seed, i).
     * Expected k / nfull probes; terminates since some bin is full. */
    uint64_t base = dedup__mix64(ps ^ i);
    for (uint64_t t = 1;; t++) {
      unsigned j = fastrange32(dedup__mix64(base + t * GOLDEN), k);
      if (full[j >> 6] >> (j & 63) & 1) {
        sig[i] = src[j];
        break;
      }
    }
  }
}

/* ---- CLASSIC ------------------------------------------------------------ */

#define CLASSIC_CHUNK 128

static inline uint64_t classic_a(uint64_t sa, unsigned i) {
  return dedup__mix64(sa + (uint64_t)i * GOLDEN) | 1u;
}

static inline uint64_t classic_b(uint64_t sb, unsigned i) {
  return dedup__mix64(sb + (uint64_t)i * GOLDEN);
}

/* Affine map then a two-round xorshift-multiply: the affine part makes the
 * k functions differ, the finaliser makes their orders independent. */
static inline uint64_t classic_h(uint64_t x, uint64_t a, uint64_t b) {
  uint64_t v = x * a + b;
  v ^= v >> 32;
  v *= 0xd6e8feb86659fd93ULL;
  v ^= v >> 32;
  return v;
}

static void classic_update(uint64_t *mins, unsigned k, const uint64_t *h,
                           size_t n, uint64_t seed) {
  const uint64_t s = elem_key(seed);
  const uint64_t sa = dedup__mix64(seed ^ SALT_A);
  const uint64_t sb = dedup__mix64(seed ^ SALT_B);
  uint64_t x[CLASSIC_CHUNK];
  for (size_t at = 0; at < n; at += CLASSIC_CHUNK) {
    size_t m = DEDUP__MIN((size_t)CLASSIC_CHUNK, n - at);
    for (size_t e = 0; e < m; e++)
      x[e] = dedup__mix64(h[at + e] ^ s);
    for (unsigned i = 0; i < k; i++) {
      const uint64_t a = classic_a(sa, i), b = classic_b(sb, i);
      uint64_t lo = mins[i];
      for (size_t e = 0; e < m; e++) {
        uint64_t v = classic_h(x[e], a, b);
        lo = v < lo ? v : lo;
      }
      mins[i] = lo;
    }
  }
}

/* ---- one-shot forms ----------------------------------------------------- */

static void fill_empty(uint64_t *v, unsigned k) {
  for (unsigned i = 0; i < k; i++)
    v[i] = EMPTY;
}

void dedup__minhash_oph(uint64_t *sig, unsigned k, const uint64_t *h,
                        size_t n, uint64_t seed) {
  if (k == 0)
    return;
  fill_empty(sig, k);
  oph_update(sig, k, h, n, seed);
  oph_finish(sig, sig, k, seed);
}

void dedup__minhash_classic(uint64_t *sig, unsigned k, const uint64_t *h,
                            size_t n, uint64_t seed) {
  fill_empty(sig, k);
  classic_update(sig, k, h, n, seed);
}

double dedup__minhash_est(const uint64_t *a, const uint64_t *b, unsigned k) {
  if (k == 0)
    return 0.0;
  unsigned eq = 0;
  for (unsigned i = 0; i < k; i++)
    eq += (unsigned)(a[i] == b[i]);
  return (double)eq / (double)k;
}

/* ---- streaming API ------------------------------------------------------ */

DEDUP_API int dedup_minhash_new(dedup_minhash **out, unsigned k,
                                dedup_minhash_kind kind) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  if (k == 0 || k > DEDUP__MINHASH_MAX_K)
    return DEDUP_EINVAL;
  if (kind != DEDUP_MINHASH_OPH && kind != DEDUP_MINHASH_CLASSIC)
    return DEDUP_EINVAL;
  dedup_minhash *mh = dedup__malloc(sizeof *mh);
  if (!mh)
    return DEDUP_ENOMEM;
  mh->mins = dedup__malloc((size_t)k * sizeof *mh->mins);
  if (!mh->mins) {
    dedup__free(mh);
    return DEDUP_ENOMEM;
  }
  mh->k = k;
  mh->kind = kind;
  dedup_minhash_reset(mh, 0);
  *out = mh;
  return DEDUP_OK;
}

DEDUP_API void dedup_minhash_free(dedup_minhash *mh) {
  if (!mh)
    return;
  dedup__free(mh->mins);
  dedup__free(mh);
}

DEDUP_API void dedup_minhash_reset(dedup_minhash *mh, uint64_t seed) {
  if (!mh)
    return;
  mh->seed = seed;
  fill_empty(mh->mins, mh->k);
}

DEDUP_API void dedup_minhash_update(dedup_minhash *mh, const uint64_t *hashes,
                                    size_t n) {
  if (!mh || !hashes || n == 0)
    return;
  if (mh->kind == DEDUP_MINHASH_OPH)
    oph_update(mh->mins, mh->k, hashes, n, mh->seed);
  else
    classic_update(mh->mins, mh->k, hashes, n, mh->seed);
}

DEDUP_API void dedup_minhash_digest(const dedup_minhash *mh, uint64_t *sig) {
  if (!mh || !sig)
    return;
  if (mh->kind == DEDUP_MINHASH_OPH)
    oph_finish(sig, mh->mins, mh->k, mh->seed);
  else
    memcpy(sig, mh->mins, (size_t)mh->k * sizeof *sig);
}

DEDUP_API unsigned dedup_minhash_size(const dedup_minhash *mh) {
  return mh ? mh->k : 0;
}

DEDUP_API double dedup_minhash_jaccard(const uint64_t *a, const uint64_t *b,
                                       unsigned k) {
  return a && b ? dedup__minhash_est(a, b, k) : 0.0;
}
