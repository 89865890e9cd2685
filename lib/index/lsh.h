/* lsh.h - banded LSH over MinHash-like signatures. */
#ifndef DEDUP_LSH_H
#define DEDUP_LSH_H

#include <stddef.h>
#include <stdint.h>

/* Chooses b bands of r rows (b * r <= k) for a similarity threshold t in
 * (0,1): minimises w_fp * FP(t) + w_fn * FN(t), where FP = integral over
 * s in [0,t] of 1-(1-s^r)^b and FN = integral over [t,1] of (1-s^r)^b, as
 * datasketch's _optimal_param does (numeric integration).  Ties go to the
 * smallest b, then r (datasketch's scan order).  t is clamped to [0,1];
 * weights that are negative or both 0 mean 0.5/0.5; k == 0 gives b = r = 0.
 */
void dedup__lsh_params(double t, unsigned k, double w_fp, double w_fn,
                       unsigned *b, unsigned *r);

/* Probability that two items of similarity s share at least one band. */
double dedup__lsh_prob(double s, unsigned b, unsigned r);

/* The b band keys of one signature sig[0..b*r): key j is XXH3-64 of the
 * little-endian bytes of words sig[j*r .. j*r+r), seeded with j.  Stable
 * across machines, so band keys can be grouped by other programs. */
void dedup__lsh_band_keys(uint64_t *keys, const uint64_t *sig, unsigned b,
                          unsigned r);

typedef struct dedup__pair {
  uint32_t a, b; /* a < b */
} dedup__pair;

typedef struct dedup__pairvec {
  dedup__pair *v;
  size_t n, cap;
} dedup__pairvec;
void dedup__pairvec_free(dedup__pairvec *pv);

/* Incremental index: insert signatures one by one, query any time. */
typedef struct dedup__lsh dedup__lsh;
/* Returns DEDUP_OK, DEDUP_EINVAL (b or r 0), DEDUP_ENOMEM. */
int dedup__lsh_new(dedup__lsh **out, unsigned b, unsigned r);
void dedup__lsh_free(dedup__lsh *l);
/* A bucket of max_bucket ids takes no more (0, the default: no limit):
 * its ids stand for a key that common, and a removal or a query walks no
 * longer list than that.  Inserts under a full bucket's key are not kept
 * there (a later remove finds nothing to remove there). */
void dedup__lsh_set_max_bucket(dedup__lsh *l, size_t max_bucket);
/* Inserts item id with signature sig[0..b*r). Returns DEDUP_OK/ENOMEM;
 * after ENOMEM the index is as before the call. */
int dedup__lsh_insert(dedup__lsh *l, uint32_t id, const uint64_t *sig);
/* Removes id from the buckets of sig's band keys (every entry of id there,
 * so an id inserted twice under keys sig shares loses those too).  Never
 * allocates; returns the number of entries removed (0: id was not there).
 * Freed nodes are reused by later inserts. */
size_t dedup__lsh_remove(dedup__lsh *l, uint32_t id, const uint64_t *sig);
/* The tables as they are, for a file (service/index_file.c): b, r, then
 * per band its slot and node arrays raw, little-endian, so reading them
 * back is one pass with nothing hashed again:
 *   4 b   4 r
 *   per band: 8 cap  8 used  8 dead  8 n_nd  4 free_nd (index + 1, 0:
 *             none), cap slots of (8 key, 4 head), n_nd nodes of
 *             (4 id, 4 next)
 * Empty slots are written with key 0.  put(ctx, bytes, n) gets every
 * byte in order; a non-OK status from it is returned at once. */
typedef int (*dedup__put_fn)(void *ctx, const void *p, size_t n);
int dedup__lsh_write(const dedup__lsh *l, dedup__put_fn put, void *ctx);
/* Bytes dedup__lsh_write writes for l. */
uint64_t dedup__lsh_bytes(const dedup__lsh *l);
/* The r words band `band` of item id was inserted under, into out;
 * returns 0 when id may not be in the tables at all. */
typedef int (*dedup__band_fn)(void *ctx, uint32_t id, unsigned band,
                              uint64_t *out);
/* Reads tables written by dedup__lsh_write from buf[0..len) (all of it)
 * into *out, checked: shape b x r, capacities powers of two with room to
 * spare (every probe ends), every key found where probing puts it,
 * counts as the slots say, every node in exactly one bucket list or the
 * free list (no cycles), and every id allowed by words() and in the
 * bucket of the key its band's words give, so that removing an item
 * with its signature takes all of it out.  Returns DEDUP_OK,
 * DEDUP_EFORMAT (*out NULL) or DEDUP_ENOMEM; memory taken is at most
 * about 1.4 x len. */
int dedup__lsh_read(dedup__lsh **out, unsigned b, unsigned r,
                    const unsigned char *buf, size_t len,
                    dedup__band_fn words, void *ctx);
/* The checks of dedup__lsh_read on tables in memory (before they are
 * written): DEDUP_OK, DEDUP_EFORMAT, DEDUP_ENOMEM. */
int dedup__lsh_check(const dedup__lsh *l, dedup__band_fn words, void *ctx);

/* Writes to (*ids)[0..*n_ids) the items sharing a band with sig,
 * ascending and deduplicated.  (*ids, *cap_ids) is a caller-owned buffer
 * (may start NULL/0), reused and grown with dedup__realloc; free it with
 * dedup__free.  Read-only on l.  On ENOMEM *n_ids is 0. */
int dedup__lsh_query(const dedup__lsh *l, const uint64_t *sig, uint32_t **ids,
                     size_t *n_ids, size_t *cap_ids);

/* As dedup__lsh_query, but each id as often as it shares a band with sig,
 * and at most max_bucket ids of a bucket: the last inserted.  The ids come
 * band by band, each bucket's newest first. */
int dedup__lsh_query_all(const dedup__lsh *l, const uint64_t *sig,
                         size_t max_bucket, uint32_t **ids, size_t *n_ids,
                         size_t *cap_ids);

/* Batch form for many items at once: band keys of all n signatures (sig of
 * item i at sigs + i*stride, stride >= b*r) are sorted per band and every
 * pair in a bucket is emitted once (deduplicated, sorted by (a, b)).
 * Buckets larger than max_bucket emit only pairs of each member with the
 * next max_bucket members in id order (enough to connect the bucket,
 * bounded work); max_bucket 0 means no limit.  The same pairs as inserting
 * every item into a dedup__lsh and querying each (when no bucket is cut).
 * *out is overwritten (its old buffer freed); on failure it is empty.
 * Returns DEDUP_OK, DEDUP_EINVAL (n > UINT32_MAX, b or r 0), DEDUP_ENOMEM.
 * Scratch: 16 n bytes, band keys of several bands (64 MiB, at least
 * 8 n bytes) and the pairs. */
int dedup__lsh_pairs(dedup__pairvec *out, const uint64_t *sigs, size_t n,
                     size_t stride, unsigned b, unsigned r,
                     size_t max_bucket);

#endif
