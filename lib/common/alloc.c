/* alloc.c - the one allocation point of the library.
 *
 * Unit tests built with DEDUP_ALLOC_HOOKS route these through cmocka's
 * test_malloc family so that leaks are caught and the Nth allocation can
 * be made to fail. */
#include "common/dedup_private.h"

#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__) && !defined(DEDUP_ALLOC_HOOKS)
#include <malloc.h>
#endif

#ifdef DEDUP_ALLOC_HOOKS
#include "common/alloc_hooks.h"
#define RAW_MALLOC(n) dedup_test_malloc(n)
#define RAW_CALLOC(c, s) dedup_test_calloc(c, s)
#define RAW_REALLOC(p, n) dedup_test_realloc(p, n)
#define RAW_FREE(p) dedup_test_free(p)
#else
#define RAW_MALLOC(n) malloc(n)
#define RAW_CALLOC(c, s) calloc(c, s)
#define RAW_REALLOC(p, n) realloc(p, n)
#define RAW_FREE(p) free(p)
#endif

void *dedup__malloc(size_t n) { return RAW_MALLOC(n ? n : 1); }

void *dedup__calloc(size_t count, size_t size) {
  if (count == 0 || size == 0)
    count = size = 1;
  return RAW_CALLOC(count, size);
}

void *dedup__realloc(void *p, size_t n) { return RAW_REALLOC(p, n ? n : 1); }

void *dedup__reallocarray(void *p, size_t count, size_t size) {
  if (size && count > SIZE_MAX / size)
    return NULL;
  return dedup__realloc(p, count * size);
}

void dedup__free(void *p) {
  if (p)
    RAW_FREE(p);
}

void dedup__heap_trim(void) {
#if defined(__GLIBC__) && !defined(DEDUP_ALLOC_HOOKS)
  malloc_trim(0);
#endif
}

char *dedup__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = dedup__malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

DEDUP_API void dedup_free(void *p) { dedup__free(p); }
