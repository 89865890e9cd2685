/* vec.c - growable arrays. */
#include "dedup_private.h"

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
