/* wire.h - writing and reading the shardable passes' byte strings
 * (shard_records.c, shard_story.c): a buffer that grows as fields are
 * put, and a cursor that refuses to read past the end.  Fields are
 * little-endian (common/bytes.h). */
#ifndef DEDUP_WIRE_H
#define DEDUP_WIRE_H

#include "common/bytes.h"
#include "common/dedup_private.h"

#include <stdint.h>
#include <string.h>

typedef struct dedup__wbuf {
  unsigned char *p;
  size_t n, cap;
  int failed; /* out of memory once: every later put is dropped */
} dedup__wbuf;

/* Room for k more bytes at the end (their place), or NULL. */
static inline unsigned char *dedup__wb_room(dedup__wbuf *b, size_t k) {
  if (b->failed)
    return NULL;
  if (b->cap - b->n < k) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < k) {
      if (cap > SIZE_MAX / 2) {
        b->failed = 1;
        return NULL;
      }
      cap *= 2;
    }
    unsigned char *q = dedup__realloc(b->p, cap);
    if (!q) {
      b->failed = 1;
      return NULL;
    }
    b->p = q;
    b->cap = cap;
  }
  unsigned char *at = b->p + b->n;
  b->n += k;
  return at;
}

static inline void dedup__wb_u8(dedup__wbuf *b, unsigned v) {
  unsigned char *q = dedup__wb_room(b, 1);
  if (q)
    *q = (unsigned char)v;
}

static inline void dedup__wb_u32(dedup__wbuf *b, uint32_t v) {
  unsigned char *q = dedup__wb_room(b, 4);
  if (q)
    dedup__put32(q, v);
}

static inline void dedup__wb_u64(dedup__wbuf *b, uint64_t v) {
  unsigned char *q = dedup__wb_room(b, 8);
  if (q)
    dedup__put64(q, v);
}

static inline void dedup__wb_bytes(dedup__wbuf *b, const void *s, size_t n) {
  unsigned char *q = dedup__wb_room(b, n);
  if (q && n)
    memcpy(q, s, n);
}

typedef struct dedup__rcur {
  const unsigned char *p;
  size_t left;
  int bad; /* a read past the end: it and every later one give 0 */
} dedup__rcur;

static inline const unsigned char *dedup__rc_take(dedup__rcur *r, size_t k) {
  if (r->bad || r->left < k) {
    r->bad = 1;
    return NULL;
  }
  const unsigned char *at = r->p;
  r->p += k;
  r->left -= k;
  return at;
}

static inline unsigned dedup__rc_u8(dedup__rcur *r) {
  const unsigned char *q = dedup__rc_take(r, 1);
  return q ? *q : 0;
}

static inline uint32_t dedup__rc_u32(dedup__rcur *r) {
  const unsigned char *q = dedup__rc_take(r, 4);
  return q ? dedup__get32(q) : 0;
}

static inline uint64_t dedup__rc_u64(dedup__rcur *r) {
  const unsigned char *q = dedup__rc_take(r, 8);
  return q ? dedup__get64(q) : 0;
}

#endif
