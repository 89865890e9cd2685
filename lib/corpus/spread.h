/* spread.h - the frame every buffer of pass 4 spread over the shards
 * has (shard_spread.c: the copy level; shard_story.c: the story level):
 *   "DEDUPSP4", u32 version, u32 kind, u32 stage, u32 from, u32 to,
 *   u32 shards, u32 aux (probes: signature words; samples: k), u64 params
 *   tag, u64 entries, the body, u64 XXH3 of every byte before it. */
#ifndef DEDUP_SPREAD_H
#define DEDUP_SPREAD_H

#include "corpus/corpus_private.h"
#include "corpus/wire.h"

#include "common/bytes.h"

#define SP_HEAD 52

enum {
  SP_IDS = 1,
  SP_KEYS = 2,
  SP_PAIRS = 3,
  SP_PROBES = 4,
  SP_LINKS = 5,
  SP_REPS = 6,    /* the assembler's: each item's group if a rep */
  SP_TERMS = 7,   /* a shard's term counts for an owner */
  SP_DF = 8,      /* an owner's document frequencies for a shard */
  SP_SAMPLES = 9, /* a shard's samples of the bands an owner has */
  SP_RUNS = 10,   /* an owner's runs of equal samples for a shard */
  SP_VECS = 11,   /* a shard's vectors and their candidates */
  SP_EDGES = 12   /* a shard's scored candidates for the assembler */
};

typedef struct sp_head {
  uint32_t kind, stage, from, to, shards, sig_words;
  uint64_t tag, n;
} sp_head;

/* The params that shape pass 4 hashed: buffers of other params are
 * refused. */
uint64_t dedup__sp_tag(const dedup_params *p);
/* A buffer of body bytes after its header (written from h); NULL: out of
 * memory. */
unsigned char *dedup__sp_new(const sp_head *h, size_t body, size_t *len);
void dedup__sp_seal(unsigned char *p, size_t len);
/* Checks the frame (magic, version, checksum, kind, shard numbers) and
 * reads the header; the body is p + SP_HEAD, len - SP_HEAD - 8 bytes. */
int dedup__sp_read(sp_head *h, const void *buf, size_t len, uint32_t kind);

/* The copy links of n buffers, checked (ids in range, non-empty items,
 * each pair once) and sorted by (a, b); the assembler's heads are put in
 * the run's order first (shard_spread.c). */
int dedup__spread_read_links(dedup_corpus *c, const void *const *links,
                             const size_t *links_len, size_t n,
                             struct dedup__edge **out, size_t *out_n);
/* The assembler's story level over the shards' edges (shard_story.c). */
int dedup__spread_run_stories(dedup_corpus *c, const void *const *edges,
                              const size_t *edges_len, size_t n,
                              const dedup__runopts *o);

/* The entries (or blocks) a checked buffer holds. */
static inline uint64_t dedup__sp_count(const void *buf) {
  return dedup__get64((const unsigned char *)buf + 44);
}

/* A cursor over a checked buffer's body. */
static inline dedup__rcur dedup__sp_body(const void *buf, size_t len) {
  return (dedup__rcur){(const unsigned char *)buf + SP_HEAD,
                       len - SP_HEAD - 8, 0};
}

/* Every buffer of a shard's call: bufs[s] of this kind from shard s to
 * this shard, of c's params, all naming the first's stage and aux
 * (returned in *h0).  DEDUP_ESTATE: no ids set. */
int dedup__sp_shard_in(const dedup_corpus *c, const void *const *bufs,
                       const size_t *lens, size_t n, uint32_t kind,
                       sp_head *h0);
/* Every buffer of an owner's call: bufs[s] of this kind from shard s of
 * n, all to one owner with one tag, stage and aux (the first's: *h0). */
int dedup__sp_owner_in(const void *const *bufs, const size_t *lens,
                       size_t n, uint32_t kind, sp_head *h0);
/* Outputs freed (on failure) or emptied (before a call fills them). */
void dedup__sp_free_bufs(void **bufs, size_t *lens, size_t n);
void dedup__sp_clear_bufs(void **bufs, size_t *lens, size_t n);

/* A body being written and the entries (or blocks) in it; framed (and
 * freed) by dedup__sp_frame, NULL when out of memory. */
typedef struct sp_obuf {
  dedup__wbuf w;
  uint64_t count;
} sp_obuf;

void *dedup__sp_frame(sp_obuf *b, sp_head h, size_t *len);

static inline void sp_ob_u32(sp_obuf *b, uint32_t v) {
  dedup__wb_u32(&b->w, v);
}

static inline void sp_ob_u64(sp_obuf *b, uint64_t v) {
  dedup__wb_u64(&b->w, v);
}

/* The story level (shard_story.c, shard_story_cands.c): a shard's steps
 * after the copy level's bands, and "no group". */
enum { SPS_REPS = 3, SPS_SIGNED = 4, SPS_VECS = 5 };
#define SP_NONE UINT32_MAX

#endif
