/* simsearch.h - SimHash near-neighbour search within Hamming distance k
 * (Manku, Jain, Das Sarma 2007: permuted blocks). */
#ifndef DEDUP_SIMSEARCH_H
#define DEDUP_SIMSEARCH_H

#include "common/dedup_private.h"

#include <stddef.h>
#include <stdint.h>

/* Most blocks a plan cuts the 64 bits into: the dedupe table has 2^b
 * entries and there are C(b, k) tables. */
#define DEDUP__SS_MAX_BLOCKS 16

/* The blocks the pair search cuts fingerprints into for n of them at
 * distance k, chosen by a cost model (tables to sort against candidates
 * to verify); 0 means brute force (every pair compared: k >= 16, or n so
 * small that sorting costs more). */
unsigned dedup__simsearch_blocks(size_t n, unsigned k);
/* The same choice for the query index, which keeps every table in memory
 * (12 bytes an entry), so it allows at most 2 (k + 1) tables. */
unsigned dedup__simsearch_index_blocks(size_t n, unsigned k);

/* Every pair i < j of fp[0..n) with popcount(fp[i] ^ fp[j]) <= k, each
 * once, as (i << 32 | j), ascending, in *out (its old buffer freed).
 * blocks as dedup__simsearch_blocks() returns (0 or k < blocks <=
 * DEDUP__SS_MAX_BLOCKS; anything else means brute force too), so tests
 * can check every plan against each other.  threads 0: all cores.
 * Scratch: 32 n bytes per worker (min(threads, tables) workers), plus the
 * pairs.  Returns DEDUP_OK, DEDUP_ETOOBIG (n > UINT32_MAX),
 * DEDUP_ENOMEM (*out empty). */
int dedup__simsearch_pairs(dedup__u64vec *out, const uint64_t *fp, size_t n,
                           unsigned k, unsigned threads, unsigned blocks);

#endif
