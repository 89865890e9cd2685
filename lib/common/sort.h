/* sort.h - the library's sorts (sort.c).  All are deterministic: equal
 * input, equal output, whatever else runs. */
#ifndef DEDUP_SORT_H
#define DEDUP_SORT_H

#include <stddef.h>
#include <stdint.h>

/* A key and the id of what it belongs to (band keys, sketch samples). */
typedef struct dedup__kid {
  uint64_t key;
  uint32_t id;
} dedup__kid;

/* Sorts v[0..*n) ascending and drops repeats; *n receives the new count.
 * In-place MSD radix sort: O(n), no allocation. */
void dedup__u64_sort_unique(uint64_t *v, size_t *n);
/* Drops repeats from sorted v[0..n); returns the new count. */
size_t dedup__u64_unique(uint64_t *v, size_t n);
/* LSD radix sort of v[0..n) with scratch tmp of n words; result in v. */
void dedup__u64_radix(uint64_t *v, uint64_t *tmp, size_t n);
/* Sorts and deduplicates v[0..n); returns the new count. */
size_t dedup__u32_sort_unique(uint32_t *v, size_t n);
/* Insertion sort: for the short lists (tens) where it is fastest. */
void dedup__u32_insertion_sort(uint32_t *v, size_t n);
/* Leaves the r smallest of the distinct values v[0..n) in v[0..r). */
void dedup__u32_select(uint32_t *v, size_t n, size_t r);
/* Sorts e[0..m) by (key, id) when the ids already ascend (entries come
 * from a stable scatter): stable on the key alone. */
void dedup__kid_sort(dedup__kid *e, size_t m);
/* Stable LSD radix sort on the key, 8 bits a pass (passes where every
 * key has the same digit are skipped): entries that come in id order
 * leave in (key, id) order.  tmp is scratch of n entries; result in v. */
void dedup__kid_radix(dedup__kid *v, dedup__kid *tmp, size_t n);

#endif
