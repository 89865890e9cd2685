/* dedup_private.h - internal helpers shared by lib/ modules; never installed.
 *
 * Helpers shared across files are named dedup__x (two underscores). */
#ifndef DEDUP_PRIVATE_H
#define DEDUP_PRIVATE_H

#include "dedup.h"

#include <stddef.h>
#include <stdint.h>

/* One allocation point (alloc.c), so tests can inject failures.  All heap
 * use in lib/ goes through these; buffers handed to callers are freed with
 * dedup_free(), which is dedup__free(). */
void *dedup__malloc(size_t n);
void *dedup__calloc(size_t count, size_t size);
void *dedup__realloc(void *p, size_t n);
/* Overflow-checked realloc of count*size bytes; NULL on overflow or OOM
 * (p is left untouched then). */
void *dedup__reallocarray(void *p, size_t count, size_t size);
void dedup__free(void *p);
char *dedup__strdup(const char *s);
/* Hands the free pages of the heap back to the system (glibc's
 * malloc_trim; nothing elsewhere): after many small blocks are freed
 * amid live ones, which free alone leaves resident. */
void dedup__heap_trim(void);

/* Growable arrays (vec.c).  Grow geometrically; a failed grow leaves the
 * vector as it was and returns DEDUP_ENOMEM. */
typedef struct dedup__u64vec {
  uint64_t *v;
  size_t n, cap;
} dedup__u64vec;

int dedup__u64vec_reserve(dedup__u64vec *vec, size_t extra);
int dedup__u64vec_push(dedup__u64vec *vec, uint64_t x);
void dedup__u64vec_free(dedup__u64vec *vec);

/* Generic reserve for any element size: ensures room for `extra` more
 * elements in (*p, *n, *cap).  Used by the typed vectors. */
int dedup__grow(void **p, size_t *cap, size_t n, size_t extra, size_t elem);
/* Asks the kernel for huge pages under a large block (vec.c). */
void dedup__hint_huge(void *p, size_t n);

/* Counts of 64-bit keys (vec.c): open addressing, linear probing, key 0
 * is stored aside so every key value works. */
typedef struct dedup__countmap {
  uint64_t *keys;
  uint32_t *counts;
  size_t n, cap; /* cap is 0 or a power of two */
  uint32_t zero_count;
} dedup__countmap;

/* Adds delta to key's count; returns DEDUP_OK or DEDUP_ENOMEM. */
int dedup__countmap_add(dedup__countmap *m, uint64_t key, uint32_t delta);
/* Room for `extra` more keys: the adds of that many new keys (and any
 * of keys already there) cannot fail after it. */
int dedup__countmap_reserve(dedup__countmap *m, size_t extra);
uint32_t dedup__countmap_get(const dedup__countmap *m, uint64_t key);
/* counts[i] = dedup__countmap_get(m, keys[i]) for i in [0, n), the slots
 * of later keys prefetched while earlier ones are looked up. */
void dedup__countmap_get_many(const dedup__countmap *m, const uint64_t *keys,
                              size_t n, uint32_t *counts);
void dedup__countmap_free(dedup__countmap *m);
/* The keys of m with a count (in slot order) into out, room for m->n + 1;
 * returns how many. */
size_t dedup__countmap_keys(const dedup__countmap *m, uint64_t *out);

/* Runs fn(ctx, worker, i) for i in [0, n) on up to `threads` threads
 * (parallel.c); worker is in [0, threads) and names per-thread scratch.
 * Items are handed out in order; each runs exactly once, so results
 * written to slot i do not depend on the thread count.  Returns DEDUP_OK
 * or the first non-OK status of fn (the rest of the work is skipped).
 * When threads cannot be made (no memory, pthread_create fails) the work
 * runs on the threads there are, down to the calling thread alone: never
 * a failure of its own. */
typedef int (*dedup__task_fn)(void *ctx, unsigned worker, size_t i);
int dedup__parallel_for(unsigned threads, size_t n, dedup__task_fn fn,
                        void *ctx);
/* Online cores, at least 1. */
unsigned dedup__cpu_count(void);

#define DEDUP__MIN(a, b) ((a) < (b) ? (a) : (b))
#define DEDUP__MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
