/* fuzz_lsh_sketch.c - the public streaming sketches (MinHash, SimHash) and
 * the incremental LSH index, with their shape taken from the input.
 *
 * Input: bytes 0-1 k (little-endian value v: 1 + v mod 4096 when byte 2
 * has bits 3-5 set, else 1 + v mod 64), byte 2 bit 0 the MinHash kind,
 * bit 1 SimHash weights from the bytes (else NULL), bit 2 insert the
 * first set's id twice; byte 3 the LSH threshold
 * ((t + 1) / 257, in (0, 1)); bytes 4-11 the seed.  The rest is cut on
 * 0xFF into up to MAX_SETS sets; a set's elements are the hashes of its
 * byte pairs (so sets of similar bytes overlap), and its first byte says
 * where its updates are split in two.
 *
 * Checked: digest does not change the state (twice the same, and equal
 * to a state fed in one update), adding elements again changes nothing,
 * a signature's Jaccard with itself is 1 and any Jaccard is in [0, 1]
 * and symmetric, SimHash distances are symmetric and 0 to itself, the
 * LSH shape fits k, every inserted signature's query returns its id,
 * query ids ascend, are unique and were inserted, and signatures that
 * are equal find each other. */
#include "fuzz.h"
#include "dedup.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SETS = 16, HEADER = 12 };

/* Elements times k, per set: classic MinHash hashes each element k
 * times, so the bound keeps an input fast whatever k is. */
#define WORK_PER_SET ((size_t)1 << 16)

static uint64_t mix(uint64_t x) { /* splitmix64's finaliser */
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

typedef struct set {
  uint64_t *h;
  double *w;
  size_t n, cut;
  uint32_t id;
} set;

static void check_minhash(dedup_minhash *mh, const set *s, unsigned k,
                          dedup_minhash_kind kind, uint64_t seed,
                          uint64_t *sig) {
  dedup_minhash_reset(mh, seed);
  CHECK(dedup_minhash_size(mh) == k);
  dedup_minhash_update(mh, s->h, s->cut);
  dedup_minhash_update(mh, s->h + s->cut, s->n - s->cut);
  uint64_t *again = malloc(k * sizeof *again);
  CHECK(again);
  dedup_minhash_digest(mh, sig);
  dedup_minhash_digest(mh, again);
  CHECK(!memcmp(sig, again, k * sizeof *sig));
  /* A set: adding its elements again, or none, changes nothing. */
  dedup_minhash_update(mh, s->h, s->n);
  dedup_minhash_update(mh, s->h, 0);
  dedup_minhash_digest(mh, again);
  CHECK(!memcmp(sig, again, k * sizeof *sig));
  /* The same set in one update, on a state of its own. */
  dedup_minhash *one;
  CHECK(dedup_minhash_new(&one, k, kind) == DEDUP_OK && one);
  dedup_minhash_reset(one, seed);
  dedup_minhash_update(one, s->h, s->n);
  dedup_minhash_digest(one, again);
  CHECK(!memcmp(sig, again, k * sizeof *sig));
  dedup_minhash_free(one);
  free(again);
  CHECK(dedup_minhash_jaccard(sig, sig, k) == 1.0);
}

static uint64_t check_simhash(dedup_simhash *sh, const set *s, uint64_t seed) {
  dedup_simhash_reset(sh, seed);
  dedup_simhash_update(sh, s->h, s->w, s->cut);
  dedup_simhash_update(sh, s->h + s->cut, s->w ? s->w + s->cut : NULL,
                       s->n - s->cut);
  uint64_t f = dedup_simhash_digest(sh);
  CHECK(dedup_simhash_digest(sh) == f);
  CHECK(dedup_simhash_distance(f, f) == 0);
  /* The same features in one update on a fresh state: the same votes in
   * the same order, so the same bits. */
  dedup_simhash *one;
  CHECK(dedup_simhash_new(&one) == DEDUP_OK && one);
  dedup_simhash_reset(one, seed);
  dedup_simhash_update(one, s->h, s->w, s->n);
  CHECK(dedup_simhash_digest(one) == f);
  dedup_simhash_free(one);
  return f;
}

static void check_query(const dedup_lsh *l, const uint64_t *sig, uint32_t id,
                        const set *sets, size_t ns, const uint64_t *sigs,
                        unsigned k) {
  uint32_t *ids = (uint32_t *)sigs; /* overwritten: must become NULL or ids */
  size_t n = SIZE_MAX;
  CHECK(dedup_lsh_query(l, sig, &ids, &n) == DEDUP_OK);
  CHECK((n == 0) == (ids == NULL));
  int own = 0;
  for (size_t i = 0; i < n; i++) {
    CHECK(i == 0 || ids[i] > ids[i - 1]); /* ascending, unique */
    own |= ids[i] == id;
    int known = 0;
    for (size_t j = 0; j < ns; j++)
      known |= sets[j].id == ids[i];
    CHECK(known);
  }
  CHECK(own);
  /* Equal signatures share every band. */
  for (size_t j = 0; j < ns; j++) {
    if (memcmp(sigs + j * k, sig, k * sizeof *sig))
      continue;
    int found = 0;
    for (size_t i = 0; i < n; i++)
      found |= ids[i] == sets[j].id;
    CHECK(found);
  }
  dedup_free(ids);
}

static void check_bad_args(void) {
  dedup_lsh *l = (dedup_lsh *)1;
  CHECK(dedup_lsh_new(&l, 0.0, 16) == DEDUP_EINVAL && l == NULL);
  l = (dedup_lsh *)1;
  CHECK(dedup_lsh_new(&l, 1.0, 16) == DEDUP_EINVAL && l == NULL);
  CHECK(dedup_lsh_new(&l, 0.5, 0) == DEDUP_EINVAL && l == NULL);
  CHECK(dedup_lsh_new(&l, 0.5, 4097) == DEDUP_EINVAL && l == NULL);
  dedup_minhash *mh = (dedup_minhash *)1;
  CHECK(dedup_minhash_new(&mh, 0, DEDUP_MINHASH_OPH) == DEDUP_EINVAL &&
        mh == NULL);
  CHECK(dedup_minhash_new(&mh, 4097, DEDUP_MINHASH_OPH) == DEDUP_EINVAL &&
        mh == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 16))
    return 0;
  uint8_t hd[HEADER] = {0};
  memcpy(hd, data, size < HEADER ? size : HEADER);
  const uint8_t *rest = data + (size < HEADER ? size : HEADER);
  size_t left = size < HEADER ? 0 : size - HEADER;
  /* Choosing the LSH shape costs O(k log k) integrals (18 ms at k = 256,
   * 250 ms at 4096 under ASan and the fuzzer's instrumentation), so k
   * above 64 takes three flag bits: the fuzzer still reaches it without
   * spending most of its time there. */
  unsigned v = hd[0] | hd[1] << 8;
  unsigned k = 1 + ((hd[2] & 0x38) == 0x38 ? v % 4096 : v % 64);
  dedup_minhash_kind kind =
      hd[2] & 1 ? DEDUP_MINHASH_CLASSIC : DEDUP_MINHASH_OPH;
  double threshold = (hd[3] + 1) / 257.0;
  uint64_t seed = 0;
  for (int i = 0; i < 8; i++)
    seed |= (uint64_t)hd[4 + i] << (8 * i);
  if (size == 0)
    check_bad_args();

  size_t max_n = WORK_PER_SET / k;
  set sets[MAX_SETS];
  size_t ns = 0;
  while (ns < MAX_SETS && (left || ns == 0)) {
    const uint8_t *end = memchr(rest, 0xFF, left);
    size_t len = end ? (size_t)(end - rest) : left;
    set *s = &sets[ns];
    s->n = len < 2 ? len : len - 1; /* byte pairs; one byte is one pair */
    if (s->n > max_n)
      s->n = max_n;
    s->h = malloc((s->n ? s->n : 1) * sizeof *s->h);
    s->w = hd[2] & 2 ? malloc((s->n ? s->n : 1) * sizeof *s->w) : NULL;
    CHECK(s->h && (s->w || !(hd[2] & 2)));
    for (size_t i = 0; i < s->n; i++) {
      uint64_t pair = rest[i] | (uint64_t)(i + 1 < len ? rest[i + 1] : 0) << 8;
      s->h[i] = mix(pair);
      if (s->w) /* finite weights, negative ones too */
        s->w[i] = ((double)rest[i] - 100.0) / 8.0;
    }
    s->cut = s->n && len ? rest[0] % (s->n + 1) : 0;
    s->id = (uint32_t)(ns * 2654435761u); /* the caller's ids: any value */
    ns++;
    if (!end)
      break;
    rest = end + 1;
    left -= len + 1;
  }

  dedup_minhash *mh;
  dedup_simhash *sh;
  dedup_lsh *l;
  CHECK(dedup_minhash_new(&mh, k, kind) == DEDUP_OK && mh);
  CHECK(dedup_simhash_new(&sh) == DEDUP_OK && sh);
  CHECK(dedup_lsh_new(&l, threshold, k) == DEDUP_OK && l);
  unsigned bands = 0, rows = 0;
  dedup_lsh_shape(l, &bands, &rows);
  CHECK(bands >= 1 && rows >= 1 && (uint64_t)bands * rows <= k);
  dedup_lsh_shape(l, NULL, NULL);

  uint64_t *sigs = malloc(ns * k * sizeof *sigs);
  uint64_t fp[MAX_SETS];
  CHECK(sigs);
  for (size_t i = 0; i < ns; i++) {
    check_minhash(mh, &sets[i], k, kind, seed, sigs + i * k);
    fp[i] = check_simhash(sh, &sets[i], seed);
    CHECK(dedup_lsh_insert(l, sets[i].id, sigs + i * k) == DEDUP_OK);
  }
  if (hd[2] & 4) /* an id twice: still one answer per query */
    CHECK(dedup_lsh_insert(l, sets[0].id, sigs) == DEDUP_OK);
  for (size_t i = 0; i < ns; i++) {
    for (size_t j = 0; j < ns; j++) {
      double x = dedup_minhash_jaccard(sigs + i * k, sigs + j * k, k);
      CHECK(x >= 0 && x <= 1);
      CHECK(x == dedup_minhash_jaccard(sigs + j * k, sigs + i * k, k));
      unsigned d = dedup_simhash_distance(fp[i], fp[j]);
      CHECK(d <= 64 && d == dedup_simhash_distance(fp[j], fp[i]));
    }
    check_query(l, sigs + i * k, sets[i].id, sets, ns, sigs, k);
  }
  free(sigs);
  for (size_t i = 0; i < ns; i++) {
    free(sets[i].h);
    free(sets[i].w);
  }
  dedup_lsh_free(l);
  dedup_simhash_free(sh);
  dedup_minhash_free(mh);
  return 0;
}
