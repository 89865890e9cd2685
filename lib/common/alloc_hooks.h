/* alloc_hooks.h - where lib/common/alloc.c sends the library's heap when built
 * with -DDEDUP_ALLOC_HOOKS (the static library tests/test_oom.c links).
 * The test defines these on cmocka's test_malloc family, so a leak fails
 * the test, and makes a chosen allocation return NULL. */
#ifndef DEDUP_ALLOC_HOOKS_H
#define DEDUP_ALLOC_HOOKS_H

#include <stddef.h>

void *dedup_test_malloc(size_t n);
void *dedup_test_calloc(size_t count, size_t size);
/* On failure returns NULL and leaves p allocated, as realloc does. */
void *dedup_test_realloc(void *p, size_t n);
void dedup_test_free(void *p);

#endif
