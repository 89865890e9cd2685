/* simhash.c - 64-bit SimHash (Charikar 2002; Manku et al. 2007).
 *
 * Each feature hash f is mixed with the seed, x = mix64(f ^ s), and votes
 * +w on every bit set in x and -w on every bit clear.  Bit i of the
 * fingerprint is set when its vote total is > 0, so a feature's pull is
 * proportional to its weight, and two sets sharing most of their weight
 * agree on most bits.  The state is the 64 vote totals (doubles: float
 * sums lose small weights next to big ones); the one-shot form runs the
 * same per-feature vote, so it matches the streaming digest exactly. */
#include "sketch/simhash.h"

#include "common/dedup_private.h"
#include "common/hash.h"

#include <assert.h>

#define SALT_FEAT 0x510e527fade682d1ULL

struct dedup_simhash {
  double vote[64];
  uint64_t key; /* mixed seed */
};

static inline uint64_t feat_key(uint64_t seed) {
  return dedup__mix64(seed ^ SALT_FEAT);
}

/* Vote signs by nibble: row i holds +1 for each set bit of i, -1 for each
 * clear one.  Adding w * row[nibble] to four counters at a time
 * vectorises (a per-bit shift does not without per-lane shifts) and keeps
 * each counter's additions in feature order, so any split of the input
 * into updates gives bit-identical sums.  512 bytes, stays in L1. */
#define SG(i, t) (((i) >> (t)) & 1 ? 1.0 : -1.0)
#define ROW(i) {SG(i, 0), SG(i, 1), SG(i, 2), SG(i, 3)}
static const double sign4[16][4] = {
    ROW(0),  ROW(1),  ROW(2),  ROW(3),  ROW(4),  ROW(5),  ROW(6),  ROW(7),
    ROW(8),  ROW(9),  ROW(10), ROW(11), ROW(12), ROW(13), ROW(14), ROW(15)};
#undef ROW
#undef SG

static inline void vote(double *restrict v, uint64_t x, double w) {
  for (unsigned j = 0; j < 16; j++) {
    const double *s = sign4[(x >> (4 * j)) & 15];
    for (unsigned t = 0; t < 4; t++)
      v[4 * j + t] += s[t] * w;
  }
}

static uint64_t finish(const double *v) {
  uint64_t fp = 0;
  for (unsigned b = 0; b < 64; b++)
    fp |= (uint64_t)(v[b] > 0.0) << b;
  return fp;
}

uint64_t dedup__simhash(const uint64_t *f, const float *w, size_t n,
                        uint64_t seed) {
  double v[64] = {0};
  const uint64_t key = feat_key(seed);
  for (size_t i = 0; i < n; i++)
    vote(v, dedup__mix64(f[i] ^ key), w ? (double)w[i] : 1.0);
  return finish(v);
}

DEDUP_API int dedup_simhash_new(dedup_simhash **out) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  dedup_simhash *sh = dedup__malloc(sizeof *sh);
  if (!sh)
    return DEDUP_ENOMEM;
  dedup_simhash_reset(sh, 0);
  *out = sh;
  return DEDUP_OK;
}

DEDUP_API void dedup_simhash_free(dedup_simhash *sh) { dedup__free(sh); }

DEDUP_API void dedup_simhash_reset(dedup_simhash *sh, uint64_t seed) {
  if (!sh)
    return;
  for (unsigned b = 0; b < 64; b++)
    sh->vote[b] = 0.0;
  sh->key = feat_key(seed);
}

DEDUP_API void dedup_simhash_update(dedup_simhash *sh,
                                    const uint64_t *features,
                                    const double *weights, size_t n) {
  if (!sh || !features)
    return;
  for (size_t i = 0; i < n; i++)
    vote(sh->vote, dedup__mix64(features[i] ^ sh->key),
         weights ? weights[i] : 1.0);
}

DEDUP_API uint64_t dedup_simhash_digest(const dedup_simhash *sh) {
  return sh ? finish(sh->vote) : 0;
}

DEDUP_API unsigned dedup_simhash_distance(uint64_t a, uint64_t b) {
  return dedup__popcount64(a ^ b);
}
