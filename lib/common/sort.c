/* sort.c - the library's sorts, one place: radix sorts for hashes and
 * (key, id) entries, small insertion sorts, selection.  Keys are uniform
 * hashes almost everywhere, which is why radix sorts pay: O(n), and
 * deterministic (no pivot choice depends on anything but the keys). */
#include "common/sort.h"

#include <stdlib.h>
#include <string.h>

/* In-place MSD radix sort, one byte a level (American flag sort): hashes
 * are uniform, so buckets shrink 256-fold a level and the sort is O(n)
 * without scratch memory; depth is at most 8 levels whatever the input. */
static void insertion_sort(uint64_t *v, size_t n) {
  for (size_t i = 1; i < n; i++) {
    uint64_t x = v[i];
    size_t j = i;
    while (j > 0 && v[j - 1] > x) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
}

static void flag_sort(uint64_t *v, size_t n, unsigned shift) {
  if (n <= 48) {
    insertion_sort(v, n);
    return;
  }
  size_t start[257], next[256];
  memset(start, 0, sizeof start);
  for (size_t i = 0; i < n; i++)
    start[((v[i] >> shift) & 0xFF) + 1]++;
  for (unsigned b = 0; b < 256; b++) {
    start[b + 1] += start[b];
    next[b] = start[b];
  }
  /* Cycle leader: each displaced word is carried to its bucket's next free
   * slot until one belonging here turns up. */
  for (unsigned b = 0; b < 256; b++) {
    while (next[b] < start[b + 1]) {
      uint64_t x = v[next[b]];
      unsigned d = (unsigned)((x >> shift) & 0xFF);
      while (d != b) {
        uint64_t y = v[next[d]];
        v[next[d]++] = x;
        x = y;
        d = (unsigned)((x >> shift) & 0xFF);
      }
      v[next[b]++] = x;
    }
  }
  if (shift == 0)
    return;
  for (unsigned b = 0; b < 256; b++) {
    size_t nb = start[b + 1] - start[b];
    if (nb > 1)
      flag_sort(v + start[b], nb, shift - 8);
  }
}

void dedup__u64_sort_unique(uint64_t *v, size_t *n) {
  size_t m = *n;
  if (m < 2)
    return;
  flag_sort(v, m, 56);
  size_t o = 1;
  for (size_t i = 1; i < m; i++)
    if (v[i] != v[o - 1])
      v[o++] = v[i];
  *n = o;
}

size_t dedup__u64_unique(uint64_t *v, size_t n) {
  size_t m = n ? 1 : 0;
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[m - 1])
      v[m++] = v[i];
  return m;
}

static int cmp_u32(const void *pa, const void *pb) {
  uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
  return (a > b) - (a < b);
}

/* Sorts and deduplicates v[0..n); returns the new length. */
size_t dedup__u32_sort_unique(uint32_t *v, size_t n) {
  if (n < 2)
    return n;
  if (n <= 16) {
    dedup__u32_insertion_sort(v, n);
  } else {
    qsort(v, n, sizeof *v, cmp_u32);
  }
  size_t m = 1;
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[m - 1])
      v[m++] = v[i];
  return m;
}

/* LSD radix sort, 8 bits a pass; passes where every key has the same digit
 * (the high bytes of small ids) are skipped. */
void dedup__u64_radix(uint64_t *v, uint64_t *tmp, size_t n) {
  size_t cnt[8][256];
  memset(cnt, 0, sizeof cnt);
  for (size_t i = 0; i < n; i++) {
    uint64_t x = v[i];
    for (int d = 0; d < 8; d++)
      cnt[d][(x >> (8 * d)) & 255]++;
  }
  uint64_t *src = v, *dst = tmp;
  for (int d = 0; d < 8; d++) {
    int sh = 8 * d;
    if (n == 0 || cnt[d][(src[0] >> sh) & 255] == n)
      continue;
    size_t sum = 0;
    for (int q = 0; q < 256; q++) {
      size_t c = cnt[d][q];
      cnt[d][q] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      dst[cnt[d][(src[i] >> sh) & 255]++] = src[i];
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != v)
    memcpy(v, src, n * sizeof *v);
}

static int cmp_kid(const void *pa, const void *pb) {
  const dedup__kid *a = pa, *b = pb;
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

/* Sorts one radix bucket by (key, id).  Its ids arrive ascending (stable
 * scatter), so a stable sort on the key alone suffices; a long bucket is
 * usually one key repeated (exact copies) and already sorted. */
void dedup__kid_sort(dedup__kid *e, size_t m) {
  if (m <= 24) {
    for (size_t i = 1; i < m; i++) {
      dedup__kid x = e[i];
      size_t j = i;
      for (; j > 0 && e[j - 1].key > x.key; j--)
        e[j] = e[j - 1];
      e[j] = x;
    }
    return;
  }
  for (size_t i = 1; i < m; i++)
    if (e[i - 1].key > e[i].key) {
      qsort(e, m, sizeof *e, cmp_kid);
      return;
    }
}

/* Stable LSD radix sort on the key, 8 bits a pass (passes where every key
 * has the same digit are skipped): entries that come in id order leave in
 * (key, id) order.  Result in v; tmp is scratch of n entries. */
void dedup__kid_radix(dedup__kid *v, dedup__kid *tmp, size_t n) {
  dedup__kid *src = v, *dst = tmp;
  for (unsigned sh = 0; sh < 64 && n > 1; sh += 8) {
    size_t cnt[256] = {0};
    for (size_t i = 0; i < n; i++)
      cnt[(src[i].key >> sh) & 255]++;
    if (cnt[(src[0].key >> sh) & 255] == n)
      continue;
    size_t at = 0;
    for (unsigned d = 0; d < 256; d++) {
      size_t m = cnt[d];
      cnt[d] = at;
      at += m;
    }
    for (size_t i = 0; i < n; i++)
      dst[cnt[(src[i].key >> sh) & 255]++] = src[i];
    dedup__kid *t = src;
    src = dst;
    dst = t;
  }
  if (src != v)
    memcpy(v, src, n * sizeof *v);
}

/* Leaves the r smallest of the distinct values v[0..n) in v[0..r). */
void dedup__u32_select(uint32_t *v, size_t n, size_t r) {
  size_t lo = 0, hi = n;
  while (hi - lo > 1) {
    uint32_t x = v[lo], y = v[lo + (hi - lo) / 2], z = v[hi - 1];
    uint32_t piv = x < y ? (y < z ? y : (x < z ? z : x))
                         : (x < z ? x : (y < z ? z : y));
    size_t a = lo;
    for (size_t i = lo; i < hi; i++)
      if (v[i] < piv) {
        uint32_t t = v[a];
        v[a++] = v[i];
        v[i] = t;
      }
    for (size_t i = a; i < hi; i++)
      if (v[i] == piv) {
        v[i] = v[a];
        v[a] = piv;
        break;
      }
    /* v[lo..a) < piv = v[a] < v(a..hi) */
    if (r <= a)
      hi = a;
    else if (r <= a + 1)
      return;
    else
      lo = a + 1;
  }
}

void dedup__u32_insertion_sort(uint32_t *v, size_t n) {
  for (size_t i = 1; i < n; i++) {
    uint32_t x = v[i];
    size_t j = i;
    for (; j > 0 && v[j - 1] > x; j--)
      v[j] = v[j - 1];
    v[j] = x;
  }
}
