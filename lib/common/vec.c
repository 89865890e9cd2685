/* vec.c - growable arrays. */
/* madvise() and MADV_HUGEPAGE are not in POSIX; glibc shows them with
 * this. */
#define _DEFAULT_SOURCE 1

#include "common/dedup_private.h"

#include <stdint.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* On VMs the first touch of a 4 KiB page costs more than writing it (a
 * 2 MiB page, 20 times less a byte).  Only a hint; the aligned inside of
 * the block is covered. */
void dedup__hint_huge(void *p, size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)2 << 20;
  if (!p || n < 2 * huge)
    return;
  uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
  uintptr_t e = ((uintptr_t)p + n) & ~(huge - 1);
  if (e > a)
    (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
  (void)p;
  (void)n;
#endif
}

int dedup__grow(void **p, size_t *cap, size_t n, size_t extra, size_t elem) {
  if (extra > SIZE_MAX - n)
    return DEDUP_ENOMEM;
  size_t need = n + extra;
  if (need <= *cap)
    return DEDUP_OK;
  size_t nc = *cap ? *cap : 16;
  while (nc < need) {
    if (nc > SIZE_MAX / 2)
      return DEDUP_ENOMEM;
    nc *= 2;
  }
  void *q = dedup__reallocarray(*p, nc, elem);
  if (!q)
    return DEDUP_ENOMEM;
  *p = q;
  *cap = nc;
  return DEDUP_OK;
}

int dedup__u64vec_reserve(dedup__u64vec *vec, size_t extra) {
  return dedup__grow((void **)&vec->v, &vec->cap, vec->n, extra,
                     sizeof *vec->v);
}

int dedup__u64vec_push(dedup__u64vec *vec, uint64_t x) {
  if (vec->n == vec->cap && dedup__u64vec_reserve(vec, 1) != DEDUP_OK)
    return DEDUP_ENOMEM;
  vec->v[vec->n++] = x;
  return DEDUP_OK;
}

void dedup__u64vec_free(dedup__u64vec *vec) {
  dedup__free(vec->v);
  vec->v = NULL;
  vec->n = vec->cap = 0;
}

static size_t slot_of(uint64_t key, size_t cap) {
  /* Keys are hashes already; mix anyway so structured keys spread. */
  uint64_t h = key * 0x9E3779B97F4A7C15ULL;
  return (size_t)(h >> 32) & (cap - 1);
}

static int countmap_grow(dedup__countmap *m) {
  size_t nc = m->cap ? m->cap * 2 : 1024;
  uint64_t *k = dedup__calloc(nc, sizeof *k);
  uint32_t *c = dedup__calloc(nc, sizeof *c);
  if (!k || !c) {
    dedup__free(k);
    dedup__free(c);
    return DEDUP_ENOMEM;
  }
  dedup__hint_huge(k, nc * sizeof *k);
  dedup__hint_huge(c, nc * sizeof *c);
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i])
      continue;
    size_t s = slot_of(m->keys[i], nc);
    while (k[s])
      s = (s + 1) & (nc - 1);
    k[s] = m->keys[i];
    c[s] = m->counts[i];
  }
  dedup__free(m->keys);
  dedup__free(m->counts);
  m->keys = k;
  m->counts = c;
  m->cap = nc;
  return DEDUP_OK;
}

int dedup__countmap_add(dedup__countmap *m, uint64_t key, uint32_t delta) {
  if (key == 0) {
    m->zero_count += delta;
    return DEDUP_OK;
  }
  /* A key already there is counted without growing: a subtraction
   * (delta 2^32 - k) or an add of a known key never allocates. */
  if (m->cap) {
    size_t s = slot_of(key, m->cap);
    while (m->keys[s] && m->keys[s] != key)
      s = (s + 1) & (m->cap - 1);
    if (m->keys[s]) {
      m->counts[s] += delta;
      return DEDUP_OK;
    }
  }
  if ((m->n + 1) * 4 > m->cap * 3 && countmap_grow(m) != DEDUP_OK)
    return DEDUP_ENOMEM;
  size_t s = slot_of(key, m->cap);
  while (m->keys[s])
    s = (s + 1) & (m->cap - 1);
  m->keys[s] = key;
  m->n++;
  m->counts[s] += delta;
  return DEDUP_OK;
}

int dedup__countmap_reserve(dedup__countmap *m, size_t extra) {
  while ((m->n + extra + 1) * 4 > m->cap * 3)
    if (countmap_grow(m) != DEDUP_OK)
      return DEDUP_ENOMEM;
  return DEDUP_OK;
}

uint32_t dedup__countmap_get(const dedup__countmap *m, uint64_t key) {
  if (key == 0)
    return m->zero_count;
  if (!m->cap)
    return 0;
  size_t s = slot_of(key, m->cap);
  while (m->keys[s]) {
    if (m->keys[s] == key)
      return m->counts[s];
    s = (s + 1) & (m->cap - 1);
  }
  return 0;
}

void dedup__countmap_get_many(const dedup__countmap *m, const uint64_t *keys,
                              size_t n, uint32_t *counts) {
  /* Lookups this far ahead have their first slot on its way: in a table
   * larger than the cache each is a miss, and so they overlap. */
  enum { AHEAD = 8 };
  if (m->cap)
    for (size_t i = 0; i < n && i < AHEAD; i++) {
      size_t s = slot_of(keys[i], m->cap);
      __builtin_prefetch(&m->keys[s]);
      __builtin_prefetch(&m->counts[s]);
    }
  for (size_t i = 0; i < n; i++) {
    if (m->cap && i + AHEAD < n) {
      size_t s = slot_of(keys[i + AHEAD], m->cap);
      __builtin_prefetch(&m->keys[s]);
      __builtin_prefetch(&m->counts[s]);
    }
    counts[i] = dedup__countmap_get(m, keys[i]);
  }
}

size_t dedup__countmap_keys(const dedup__countmap *m, uint64_t *out) {
  size_t k = 0;
  if (m->zero_count)
    out[k++] = 0;
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i])
      out[k++] = m->keys[i];
  return k;
}

void dedup__countmap_free(dedup__countmap *m) {
  dedup__free(m->keys);
  dedup__free(m->counts);
  *m = (dedup__countmap){0};
}
