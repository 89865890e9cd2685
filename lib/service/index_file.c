/* index_file.c - the service index to a file and back; the writer's lock.
 *
 * The file holds the index as it is in memory, so opening it is reading,
 * not recomputing: every slot (dead ones too, so slot numbers keep their
 * meaning), every group and story, the statistics and both LSH tables
 * raw.  What is made again on open: the id map (from the live and
 * deferred slots), the list dedup_index_doc reads, and the writer's stop
 * tables and scratch (lazily, dedup__index_ready).
 *
 * Layout; integers little-endian, doubles as IEEE-754 binary64 bits,
 * floats as binary32 bits, no padding anywhere:
 *
 *   header, 16 bytes:  8 magic "DEDUPSVC"   4 format version (1)
 *                      4 number of sections (14)
 *   then each section, in this order, as
 *     4 tag (1..14, its place)  8 payload length  8 XXH3-64 (seed 0) of
 *     the payload, then the payload; nothing after the last one.
 *
 *    1 params   52 bytes: 4 shingle_k  4 num_perm  8 threshold
 *               8 story_threshold  4 method  4 minhash_kind  8 seed
 *               4 flags  8 story_days (resolved: no zero "default")
 *    2 flags     4 bytes: the index's flags (DEDUP_INDEX_KEEP_TEXTS)
 *    3 counters 36 bytes: 8 next copy id  8 next story id  4 revisit
 *               8 live + deferred documents  8 deferred documents
 *    4 docs     8 slot count, then each slot: 1 state  1 has_date  1 lang
 *               1 lang_state  8 date  4 group  4 next  4 words
 *               8 text hash (XXH3 of the normalised text: exact copies)
 *               4 n_terms  4 n_bg  4 n_lines  4 n_bg_arts  4 id length
 *               8 text length  8 title length (both ~0: none), then the
 *               id, title and text bytes (no NULs), then the records:
 *               n_terms + n_bg + n_lines 8-byte keys, n_terms 4-byte
 *               float counts
 *    5 sigs     sig32 4-byte words a slot (0 for a slot not live)
 *    6 groups   8 count, then each: 8 copy_id  4 parent  4 rep  4 head
 *               4 tail  4 n_members  4 story  4 snext  1 dated  8 date
 *               4 weighed_n  4 nv  4 sampled_n  4 samples (story_k when
 *               nv is not 0, else 0)  4 n_links (<= IX_LINKS), then nv
 *               8-byte term ids, nv floats, the 4-byte samples, n_links
 *               links of (4 group slot, 4 float score)
 *    7 stories  8 count, then each: 8 story_id  4 parent  4 n_groups
 *               4 head  4 tail
 *    8 merges   8 count, then each: 8 from  8 into  1 level
 *    9 lines    8 count, then (8 key, 4 count) by key ascending, counts
 *               of 0 left out (the 64 maps of ix->lines: a key's map is
 *               its top bits)
 *   10 heavy    8 count, then 8-byte keys ascending
 *   11 df       as lines
 *   12 N        4 languages (dedup__lang_count()), then 4 a language
 *   13 copy LSH, 14 story LSH: dedup__lsh_write's bytes (lsh.h)
 *
 * Counts are written sorted so that equal indexes write equal files
 * whatever order their hash maps hold them in.
 *
 * Opening trusts nothing: the sections' lengths are checked against the
 * file and their checksums before any is read; then every count against
 * the bytes of its section before anything is allocated (so memory taken
 * is bounded by a small multiple of the file's size), every slot number
 * against its array, every linked list and union-find chain for cycles,
 * the structure as a whole (dedup__index_validate) as the code that reads it
 * expects it, and every LSH entry against the key its item's words give
 * (so a removal finds it again and none outlives its item): a damaged
 * or crafted file is refused whole (DEDUP_EFORMAT) and never half used.
 * Saving checks the same of the index in memory first (DEDUP_ESTATE): a
 * file that would not open is never written.
 *
 * Saving writes "PATH.tmp.PID.N" next to the target, syncs it and
 * renames it over the target, as dedup_corpus_save() does; a writer
 * holds an exclusive flock on "PATH.lock" from open to free.  Reading is
 * index_read.c. */
#include "service/index_file.h"

#include "common/bytes.h"
#include "common/hash.h"
#include "corpus/index_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


/* ---- the structure, checked ------------------------------------------ */

/* Parent arrays of union-find: every chain ends at a root (par[i] == i).
 * st: n bytes of scratch.  Each element is walked once: a chain stops at
 * an element already known to end (2); meeting one on the current walk
 * (1) is a cycle. */
static int forest_ok(const uint32_t *par, size_t n, unsigned char *st) {
  memset(st, 0, n);
  for (size_t i = 0; i < n; i++) {
    size_t x = i;
    while (!st[x] && par[x] != x) {
      st[x] = 1;
      x = par[x];
      if (x >= n)
        return 0;
    }
    if (st[x] == 1)
      return 0;
    for (size_t y = i; st[y] != 2;) {
      st[y] = 2;
      if (par[y] == y)
        break;
      y = par[y];
    }
  }
  return 1;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The invariants the rest of lib/service/ relies on (what assign.c and
 * remove.c keep), so a file that passes cannot make them crash or loop:
 *   - a live doc is in the member list of its group, which is a root;
 *     nothing else is; a list is as long as n_members, tail its last
 *   - a group merged away is empty (no members, rep, vector)
 *   - a root group has a representative, one of its members, exactly
 *     when it has members; a group has samples exactly when it has a
 *     vector; its story links are to group slots
 *   - every group is in exactly one story's list, the story its field
 *     names, which is a root; a story merged away has an empty list;
 *     n_groups counts the list's root groups with members
 *   - ids in range and not given twice; merges between given ids. */
int dedup__index_validate(const dedup_index *ix) {
  size_t nd = ix->n_docs, ng = ix->n_groups, ns = ix->n_stories;
  if (nd >= IX_TOMB - 1 || ng >= IX_TOMB - 1 || ns >= IX_TOMB - 1 ||
      !ix->next_copy_id || !ix->next_story_id ||
      (ng ? ix->revisit >= ng : ix->revisit != 0)) /* a group slot */
    return DEDUP_EFORMAT;
  size_t big = DEDUP__MAX(DEDUP__MAX(nd, ng), ns);
  unsigned char *mark = dedup__malloc(big ? big : 1);
  uint32_t *par = dedup__malloc((big ? big : 1) * sizeof *par);
  uint64_t *ids = dedup__malloc((big ? big : 1) * sizeof *ids);
  int rc = DEDUP_ENOMEM;
  if (!mark || !par || !ids)
    goto out;
  rc = DEDUP_EFORMAT;
  size_t live = 0, deferred = 0;
  for (size_t i = 0; i < nd; i++) {
    const ixdoc *d = &ix->docs[i];
    if (d->next != IX_NONE && d->next >= nd)
      goto out;
    if (d->state == IXD_LIVE) {
      if (d->group >= ng)
        goto out;
      live++;
    } else if (d->group != IX_NONE) {
      goto out;
    }
    if (d->state == IXD_DEFERRED) {
      if (!d->text || d->next != IX_NONE)
        goto out;
      deferred++;
    }
    if ((d->state == IXD_DEAD) != (d->id == NULL))
      goto out;
  }
  if (live + deferred != ix->n_live || deferred != ix->n_deferred)
    goto out;
  /* Groups: a forest, roots holding their members. */
  for (size_t g = 0; g < ng; g++) {
    const ixgroup *G = &ix->groups[g];
    if (G->parent >= ng || G->story >= ns ||
        (G->snext != IX_NONE && G->snext >= ng) || !G->copy_id ||
        G->copy_id >= ix->next_copy_id || (G->nv != 0) != (G->smp != NULL) ||
        G->n_links > IX_LINKS)
      goto out;
    for (uint32_t j = 0; j < G->n_links; j++)
      if (G->links[j].g >= ng) /* a slot assign.c finds the root of */
        goto out;
    par[g] = G->parent;
  }
  if (!forest_ok(par, ng, mark))
    goto out;
  memset(mark, 0, nd);
  size_t n_roots = 0;
  for (size_t g = 0; g < ng; g++) {
    const ixgroup *G = &ix->groups[g];
    if (G->parent != g) {
      if (G->head != IX_NONE || G->tail != IX_NONE || G->n_members ||
          G->rep != IX_NONE || G->nv)
        goto out;
      continue;
    }
    ids[n_roots++] = G->copy_id;
    size_t cnt = 0;
    uint32_t last = IX_NONE;
    for (uint32_t x = G->head; x != IX_NONE; x = ix->docs[x].next) {
      /* Marks make the walk end: no doc twice, so at most nd steps. */
      if (x >= nd || mark[x] || ix->docs[x].state != IXD_LIVE ||
          ix->docs[x].group != g)
        goto out;
      mark[x] = 1;
      cnt++;
      last = x;
    }
    if (cnt != G->n_members || G->tail != last ||
        (G->rep == IX_NONE) != (cnt == 0) ||
        (G->rep != IX_NONE &&
         (G->rep >= nd || ix->docs[G->rep].group != g)))
      goto out;
  }
  for (size_t i = 0; i < nd; i++)
    if (ix->docs[i].state == IXD_LIVE && !mark[i])
      goto out;
  qsort(ids, n_roots, sizeof *ids, cmp_u64);
  for (size_t i = 1; i < n_roots; i++)
    if (ids[i] == ids[i - 1])
      goto out;
  /* Stories: a forest, roots listing groups. */
  for (size_t s = 0; s < ns; s++) {
    const ixstory *S = &ix->stories[s];
    if (S->parent >= ns || !S->story_id ||
        S->story_id >= ix->next_story_id)
      goto out;
    par[s] = S->parent;
  }
  if (!forest_ok(par, ns, mark))
    goto out;
  memset(mark, 0, ng);
  n_roots = 0;
  for (size_t s = 0; s < ns; s++) {
    const ixstory *S = &ix->stories[s];
    if (S->parent != s) {
      if (S->head != IX_NONE || S->tail != IX_NONE || S->n_groups)
        goto out;
      continue;
    }
    ids[n_roots++] = S->story_id;
    size_t cnt = 0;
    uint32_t last = IX_NONE;
    for (uint32_t g = S->head; g != IX_NONE; g = ix->groups[g].snext) {
      if (g >= ng || mark[g] || ix->groups[g].story != s)
        goto out;
      mark[g] = 1;
      cnt += ix->groups[g].parent == g && ix->groups[g].n_members;
      last = g;
    }
    if (cnt != S->n_groups || S->tail != last)
      goto out;
  }
  for (size_t g = 0; g < ng; g++)
    if (!mark[g])
      goto out;
  qsort(ids, n_roots, sizeof *ids, cmp_u64);
  for (size_t i = 1; i < n_roots; i++)
    if (ids[i] == ids[i - 1])
      goto out;
  for (size_t i = 0; i < ix->n_merges; i++) {
    const ixmerge *m = &ix->merges[i];
    uint64_t next = m->level == DEDUP_LEVEL_COPY ? ix->next_copy_id
                                                 : ix->next_story_id;
    if ((m->level != DEDUP_LEVEL_COPY && m->level != DEDUP_LEVEL_STORY) ||
        !m->from || !m->into || m->from >= next || m->into >= next ||
        m->from == m->into)
      goto out;
  }
  rc = DEDUP_OK;
out:
  dedup__free(mark);
  dedup__free(par);
  dedup__free(ids);
  return rc;
}

/* What an item of each table was inserted under (dedup__band_fn): at
 * the copy level a live slot with words, its signature's words; at the
 * story level a root group with a vector, its kept samples.  Every entry
 * checked so is one a removal finds again: none can outlive its slot or
 * group (what is found is followed further without checks). */
int dedup__index_copy_band(void *ctx, uint32_t id, unsigned band,
                           uint64_t *out) {
  const dedup_index *ix = ctx;
  if (id >= ix->n_docs || ix->docs[id].state != IXD_LIVE ||
      !ix->docs[id].words)
    return 0;
  const uint32_t *sig = ix->sigs + (size_t)id * ix->sig32;
  if (ix->p.method == DEDUP_METHOD_SIMHASH) {
    uint64_t all[64];
    dedup__index_copy_words(ix, sig, all); /* copy_b <= 16 blocks */
    out[0] = all[band];
  } else {
    for (unsigned i = 0; i < ix->copy_r; i++)
      out[i] = sig[(size_t)band * ix->copy_r + i];
  }
  return 1;
}

int dedup__index_story_band(void *ctx, uint32_t id, unsigned band,
                            uint64_t *out) {
  const dedup_index *ix = ctx;
  if (id >= ix->n_groups)
    return 0;
  const ixgroup *G = &ix->groups[id];
  if (G->parent != id || G->rep == IX_NONE || !G->nv)
    return 0;
  out[0] = G->smp[band];
  return 1;
}

/* ---- writing ---------------------------------------------------------- */

/* A buffered writer of sections: each is begun with a placeholder header
 * that is patched (pwrite) with its length and checksum at its end, so
 * no section is ever held in memory whole. */
typedef struct fw {
  int fd;
  unsigned char *buf; /* WBUF bytes */
  size_t n;
  uint64_t off;       /* file offset of buf[0] */
  uint64_t sec_at;    /* offset of the open section's header */
  uint64_t sec_len;
  XXH3_state_t h;     /* the open section's checksum (on the stack: XXH3
                         wants it 64-byte aligned) */
  uint64_t tag;       /* the file's tag so far (index_file.h) */
  int rc;
} fw;

static int fw_flush(fw *w) {
  size_t done = 0;
  while (w->rc == DEDUP_OK && done < w->n) {
    ssize_t k = write(w->fd, w->buf + done, w->n - done);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      w->rc = DEDUP_EIO;
    else
      done += (size_t)k;
  }
  w->off += w->n;
  w->n = 0;
  return w->rc;
}

static void fw_raw(fw *w, const void *p, size_t n) {
  const unsigned char *s = p;
  while (n && w->rc == DEDUP_OK) {
    size_t k = DEDUP__MIN(n, WBUF - w->n);
    memcpy(w->buf + w->n, s, k);
    w->n += k;
    s += k;
    n -= k;
    if (w->n == WBUF)
      fw_flush(w);
  }
}

/* Payload bytes of the open section (a dedup__put_fn). */
static int fw_put(void *ctx, const void *p, size_t n) {
  fw *w = ctx;
  if (w->rc != DEDUP_OK || !n)
    return w->rc;
  (void)XXH3_64bits_update(&w->h, p, n);
  w->sec_len += n;
  fw_raw(w, p, n);
  return w->rc;
}

static void w8(fw *w, uint8_t v) { fw_put(w, &v, 1); }

static void w32(fw *w, uint32_t v) {
  unsigned char b[4];
  dedup__put32(b, v);
  fw_put(w, b, 4);
}

static void w64(fw *w, uint64_t v) {
  unsigned char b[8];
  dedup__put64(b, v);
  fw_put(w, b, 8);
}

static void sec_begin(fw *w) {
  static const unsigned char zero[SEC_HEADER];
  fw_flush(w);
  w->sec_at = w->off;
  w->sec_len = 0;
  fw_raw(w, zero, sizeof zero);
  (void)XXH3_64bits_reset(&w->h);
}

static void sec_end(fw *w, unsigned tag) {
  unsigned char h[SEC_HEADER];
  dedup__put32(h, tag);
  dedup__put64(h + 4, w->sec_len);
  dedup__put64(h + 12, XXH3_64bits_digest(&w->h));
  w->tag = dedup__index_tag_step(w->tag, h);
  if (fw_flush(w) != DEDUP_OK)
    return;
  size_t done = 0;
  while (done < sizeof h) {
    ssize_t k = pwrite(w->fd, h + done, sizeof h - done,
                       (off_t)(w->sec_at + done));
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      w->rc = DEDUP_EIO;
      return;
    }
    done += (size_t)k;
  }
}

typedef struct kc {
  uint64_t key;
  uint32_t count;
} kc;

static int cmp_kc(const void *a, const void *b) {
  uint64_t x = ((const kc *)a)->key, y = ((const kc *)b)->key;
  return (x > y) - (x < y);
}

/* The (key, count) pairs of m with a count, sorted, into *v (room grown
 * as needed; *n set). */
static int map_pairs(const dedup__countmap *m, kc **v, size_t *cap,
                     size_t *n) {
  size_t need = m->n + 1;
  if (need > *cap) {
    kc *p = dedup__reallocarray(*v, need, sizeof *p);
    if (!p)
      return DEDUP_ENOMEM;
    *v = p;
    *cap = need;
  }
  size_t k = 0;
  if (m->zero_count)
    (*v)[k++] = (kc){0, m->zero_count};
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] && m->counts[i])
      (*v)[k++] = (kc){m->keys[i], m->counts[i]};
  qsort(*v, k, sizeof **v, cmp_kc);
  *n = k;
  return DEDUP_OK;
}

static size_t map_nonzero(const dedup__countmap *m) {
  size_t k = m->zero_count != 0;
  for (size_t i = 0; i < m->cap; i++)
    k += m->keys[i] && m->counts[i];
  return k;
}

/* A countmap's pairs (keys only: heavy) as a section's payload. */
static int write_map(fw *w, const dedup__countmap *m, int keys_only,
                     kc **v, size_t *cap) {
  size_t n;
  if (map_pairs(m, v, cap, &n) != DEDUP_OK)
    return DEDUP_ENOMEM;
  w64(w, n);
  for (size_t i = 0; i < n; i++) {
    w64(w, (*v)[i].key);
    if (!keys_only)
      w32(w, (*v)[i].count);
  }
  return DEDUP_OK;
}

static void write_doc(fw *w, const ixdoc *d) {
  w8(w, d->state);
  w8(w, d->has_date);
  w8(w, d->lang);
  w8(w, d->lang_state);
  w64(w, (uint64_t)d->date);
  w32(w, d->group);
  w32(w, d->next);
  w32(w, d->words);
  w64(w, d->text_hash);
  w32(w, d->n_terms);
  w32(w, d->n_bg);
  w32(w, d->n_lines);
  w32(w, d->n_bg_arts);
  size_t il = d->id ? strlen(d->id) : 0;
  w32(w, (uint32_t)il);
  w64(w, d->text ? d->len : NO_STRING);
  w64(w, d->text && d->title ? d->title_len : NO_STRING);
  fw_put(w, d->id, il);
  if (d->text && d->title)
    fw_put(w, d->title, d->title_len);
  if (d->text)
    fw_put(w, d->text, d->len);
  size_t nk = (size_t)d->n_terms + d->n_bg + d->n_lines;
  for (size_t j = 0; j < nk; j++)
    w64(w, d->rec[j]);
  const float *c = d->n_terms ? ixdoc_counts(d) : NULL;
  for (uint32_t j = 0; j < d->n_terms; j++)
    w32(w, dedup__fbits(c[j]));
}

static int write_index(const dedup_index *ix, fw *w) {
  unsigned char h[SVC_HEADER];
  memcpy(h, SVC_MAGIC, 8);
  dedup__put32(h + 8, SVC_VERSION);
  dedup__put32(h + 12, N_SECTIONS);
  fw_raw(w, h, sizeof h);
  const dedup_params *p = &ix->p;
  sec_begin(w);
  w32(w, p->shingle_k);
  w32(w, p->num_perm);
  w64(w, dedup__dbits(p->threshold));
  w64(w, dedup__dbits(p->story_threshold));
  w32(w, (uint32_t)p->method);
  w32(w, (uint32_t)p->minhash_kind);
  w64(w, p->seed);
  w32(w, p->flags);
  w64(w, dedup__dbits(p->story_days));
  sec_end(w, SEC_PARAMS);
  sec_begin(w);
  w32(w, ix->flags & DEDUP_INDEX_KEEP_TEXTS);
  sec_end(w, SEC_FLAGS);
  sec_begin(w);
  w64(w, ix->next_copy_id);
  w64(w, ix->next_story_id);
  w32(w, ix->revisit);
  w64(w, ix->n_live);
  w64(w, ix->n_deferred);
  sec_end(w, SEC_COUNTERS);
  sec_begin(w);
  w64(w, ix->n_docs);
  for (size_t i = 0; i < ix->n_docs && w->rc == DEDUP_OK; i++)
    write_doc(w, &ix->docs[i]);
  sec_end(w, SEC_DOCS);
  sec_begin(w);
  for (size_t i = 0; i < ix->n_docs && w->rc == DEDUP_OK; i++) {
    /* Only a live slot's words were ever written (a deferred slot's are
     * whatever the heap held). */
    const uint32_t *s = ix->sigs + i * ix->sig32;
    int live = ix->docs[i].state == IXD_LIVE;
    for (size_t j = 0; j < ix->sig32; j++)
      w32(w, live ? s[j] : 0);
  }
  sec_end(w, SEC_SIGS);
  sec_begin(w);
  w64(w, ix->n_groups);
  for (size_t g = 0; g < ix->n_groups && w->rc == DEDUP_OK; g++) {
    const ixgroup *G = &ix->groups[g];
    w64(w, G->copy_id);
    w32(w, G->parent);
    w32(w, G->rep);
    w32(w, G->head);
    w32(w, G->tail);
    w32(w, G->n_members);
    w32(w, G->story);
    w32(w, G->snext);
    w8(w, G->dated);
    w64(w, (uint64_t)G->date);
    w32(w, G->weighed_n);
    w32(w, G->nv);
    w32(w, G->sampled_n);
    uint32_t ns = G->nv ? ix->story_k : 0;
    w32(w, ns);
    w32(w, G->n_links);
    for (uint32_t j = 0; j < G->nv; j++)
      w64(w, G->vid[j]);
    for (uint32_t j = 0; j < G->nv; j++)
      w32(w, dedup__fbits(G->vw[j]));
    for (uint32_t j = 0; j < ns; j++)
      w32(w, G->smp[j]);
    for (uint32_t j = 0; j < G->n_links; j++) {
      w32(w, G->links[j].g);
      w32(w, dedup__fbits(G->links[j].x));
    }
  }
  sec_end(w, SEC_GROUPS);
  sec_begin(w);
  w64(w, ix->n_stories);
  for (size_t s = 0; s < ix->n_stories; s++) {
    const ixstory *S = &ix->stories[s];
    w64(w, S->story_id);
    w32(w, S->parent);
    w32(w, S->n_groups);
    w32(w, S->head);
    w32(w, S->tail);
  }
  sec_end(w, SEC_STORIES);
  sec_begin(w);
  w64(w, ix->n_merges);
  for (size_t i = 0; i < ix->n_merges; i++) {
    w64(w, ix->merges[i].from);
    w64(w, ix->merges[i].into);
    w8(w, ix->merges[i].level);
  }
  sec_end(w, SEC_MERGES);
  /* Line counts: each map's pairs sorted; a key's map is its top bits,
   * so the maps in order are all pairs in key order. */
  kc *v = NULL;
  size_t cap = 0, total = 0;
  for (unsigned t = 0; t < DEDUP__LINE_PARTS; t++)
    total += map_nonzero(&ix->lines->part[t].map);
  sec_begin(w);
  w64(w, total);
  int rc = DEDUP_OK;
  for (unsigned t = 0; t < DEDUP__LINE_PARTS && rc == DEDUP_OK; t++) {
    size_t n;
    rc = map_pairs(&ix->lines->part[t].map, &v, &cap, &n);
    for (size_t i = 0; rc == DEDUP_OK && i < n; i++) {
      w64(w, v[i].key);
      w32(w, v[i].count);
    }
  }
  sec_end(w, SEC_LINES);
  if (rc == DEDUP_OK) {
    sec_begin(w);
    rc = write_map(w, &ix->heavy, 1, &v, &cap);
    sec_end(w, SEC_HEAVY);
  }
  if (rc == DEDUP_OK) {
    sec_begin(w);
    rc = write_map(w, &ix->df, 0, &v, &cap);
    sec_end(w, SEC_DF);
  }
  dedup__free(v);
  if (rc != DEDUP_OK)
    return rc;
  sec_begin(w);
  size_t nl = dedup__lang_count();
  w32(w, (uint32_t)nl);
  for (size_t i = 0; i < nl; i++)
    w32(w, ix->N[i]);
  sec_end(w, SEC_N);
  sec_begin(w);
  (void)dedup__lsh_write(ix->copy_lsh, fw_put, w);
  sec_end(w, SEC_COPY_LSH);
  sec_begin(w);
  (void)dedup__lsh_write(ix->story_lsh, fw_put, w);
  sec_end(w, SEC_STORY_LSH);
  return fw_flush(w);
}

/* "PATH.lock" locked exclusively into *fd: DEDUP_OK, DEDUP_ELOCKED (held
 * by another open file description: another writer, in this process or
 * another), DEDUP_EIO, DEDUP_ENOMEM. */
int dedup__index_take_lock(const char *path, int *fd) {
  *fd = -1;
  size_t n = strlen(path) + sizeof ".lock";
  char *lp = dedup__malloc(n);
  if (!lp)
    return DEDUP_ENOMEM;
  snprintf(lp, n, "%s.lock", path);
  /* Read-only is enough for flock, and lets a writer lock an index whose
   * lock file it may not write. */
  int f = open(lp, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  dedup__free(lp);
  if (f < 0)
    return DEDUP_EIO;
  if (flock(f, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    close(f);
    errno = e;
    return e == EWOULDBLOCK ? DEDUP_ELOCKED : DEDUP_EIO;
  }
  *fd = f;
  return DEDUP_OK;
}

/* 1 when ix's own lock is path's (the same lock file, however named). */
int dedup__index_holds_lock(const dedup_index *ix, const char *path) {
  if (ix->lock_fd < 0)
    return 0;
  size_t n = strlen(path) + sizeof ".lock";
  char *lp = dedup__malloc(n);
  if (!lp)
    return -1;
  snprintf(lp, n, "%s.lock", path);
  struct stat a, b;
  int same = stat(lp, &a) == 0 && fstat(ix->lock_fd, &b) == 0 &&
             a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  dedup__free(lp);
  return same;
}

/* What write_to writes and what it tells of the file written. */
typedef struct wctx {
  const dedup_index *ix;
  uint64_t tag, bytes;
} wctx;

/* The index through the buffered writer (fw) onto dedup__save_atomic's
 * temporary file. */
static int write_to(void *ctx, int fd) {
  wctx *x = ctx;
  unsigned char *buf = dedup__malloc(WBUF);
  if (!buf)
    return DEDUP_ENOMEM;
  fw w;
  memset(&w, 0, sizeof w);
  w.fd = fd;
  w.buf = buf;
  w.tag = TAG_SEED;
  w.rc = DEDUP_OK;
  int rc = write_index(x->ix, &w);
  x->tag = w.tag;
  x->bytes = w.off;
  dedup__free(buf);
  return rc;
}

/* The index written whole at path; a file of its own path starts a new
 * journal (the old one removed after the rename: until then it is the
 * old file's).  At another path, the journal of the file replaced there
 * is removed first: a file of the same bytes would have the same tag
 * (equal states write equal files, as an empty index does), and that
 * journal would be done again on it. */
static int save_atomic(dedup_index *ix, const char *path, int own) {
  wctx x = {ix, 0, 0};
  if (!own) {
    char *jp = dedup__journal_path(path);
    if (!jp)
      return DEDUP_ENOMEM;
    int rc = unlink(jp) == 0 || errno == ENOENT ? DEDUP_OK : DEDUP_EIO;
    dedup__free(jp);
    if (rc != DEDUP_OK)
      return rc;
  }
  int rc = dedup__save_atomic(path, write_to, &x);
  if (rc == DEDUP_OK && own)
    dedup__journal_reset(ix, x.tag, x.bytes);
  return rc;
}

static int save(dedup_index *ix, const char *path, int compact) {
  if (!ix)
    return DEDUP_EINVAL;
  if (ix->flags & DEDUP_INDEX_READ_ONLY)
    return DEDUP_ESTATE;
  if (!path) {
    if (!ix->path)
      return DEDUP_ESTATE;
    path = ix->path;
  }
  if (!*path)
    return DEDUP_EINVAL;
  /* To its own file: the changes appended to its journal, when they can
   * be (journal.c). */
  int held = dedup__index_holds_lock(ix, path);
  if (held < 0)
    return DEDUP_ENOMEM;
  int own = ix->path && held, rc, done = 0;
  if (own && !compact &&
      ((rc = dedup__journal_save(ix, &done)) != DEDUP_OK || done))
    return rc;
  /* A file that open would refuse is not written: the old one stays. */
  rc = dedup__index_validate(ix);
  if (rc == DEDUP_OK)
    rc = dedup__lsh_check(ix->copy_lsh, dedup__index_copy_band, ix);
  if (rc == DEDUP_OK)
    rc = dedup__lsh_check(ix->story_lsh, dedup__index_story_band, ix);
  if (rc != DEDUP_OK)
    return rc == DEDUP_EFORMAT ? DEDUP_ESTATE : rc;
  int lock = -1;
  if (!held && (rc = dedup__index_take_lock(path, &lock)) != DEDUP_OK)
    return rc;
  rc = save_atomic(ix, path, own);
  if (lock >= 0) {
    int e = errno;
    close(lock);
    errno = e;
  }
  return rc;
}

DEDUP_API int dedup_index_save(dedup_index *ix, const char *path) {
  return save(ix, path, 0);
}

DEDUP_API int dedup_index_compact(dedup_index *ix) {
  if (!ix)
    return DEDUP_EINVAL;
  if (!ix->path || ix->lock_fd < 0)
    return DEDUP_ESTATE;
  return save(ix, ix->path, 1);
}

DEDUP_API int dedup_index_create(dedup_index **out, const char *path,
                                 const dedup_params *params,
                                 unsigned flags) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  if (!path || !*path)
    return DEDUP_EINVAL;
  dedup_index *ix;
  int rc = dedup_index_new(&ix, params, flags);
  if (rc != DEDUP_OK)
    return rc;
  /* The lock first, then the look at the path: of two creators one gets
   * the lock, the other DEDUP_ELOCKED, or DEDUP_EEXIST once the first
   * has saved. */
  if ((rc = dedup__index_take_lock(path, &ix->lock_fd)) != DEDUP_OK) {
    dedup_index_free(ix);
    return rc;
  }
  struct stat st;
  if (lstat(path, &st) == 0) {
    dedup_index_free(ix);
    return DEDUP_EEXIST;
  }
  if (errno != ENOENT || !(ix->path = dedup__strdup(path))) {
    rc = errno != ENOENT ? DEDUP_EIO : DEDUP_ENOMEM;
    dedup_index_free(ix);
    return rc;
  }
  if ((rc = save_atomic(ix, path, 1)) != DEDUP_OK) {
    dedup_index_free(ix);
    return rc;
  }
  *out = ix;
  return DEDUP_OK;
}
