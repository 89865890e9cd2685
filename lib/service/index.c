/* index.c - the service index's handle: made, freed, its documents found
 * by id and listed.  What an add does is assign.c; removals remove.c. */
#include "service/index_private.h"

#include "common/hash.h"

#include <string.h>
#include <unistd.h>

#define ID_SEED 0x1d5eed1dULL

int dedup__index_alloc(dedup_index **out, const dedup_params *p,
                       unsigned flags) {
  *out = NULL;
  dedup_index *ix = dedup__calloc(1, sizeof *ix);
  if (!ix)
    return DEDUP_ENOMEM;
  ix->p = *p;
  ix->flags = flags;
  ix->lock_fd = -1;
  ix->next_copy_id = 1;
  ix->next_story_id = 1;
  ix->sig32 = p->method == DEDUP_METHOD_SIMHASH ? 2 : p->num_perm;
  ix->lines = dedup__malloc(sizeof *ix->lines);
  ix->N = dedup__calloc(dedup__lang_count(), sizeof *ix->N);
  if (ix->lines)
    dedup__lines_init(ix->lines);
  if (!ix->lines || !ix->N || dedup__index_lsh_new(ix) != DEDUP_OK) {
    dedup_index_free(ix);
    return DEDUP_ENOMEM;
  }
  *out = ix;
  return DEDUP_OK;
}

DEDUP_API int dedup_index_new(dedup_index **out, const dedup_params *params,
                              unsigned flags) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  if (flags & ~(unsigned)DEDUP_INDEX_KEEP_TEXTS)
    return DEDUP_EINVAL;
  dedup_params p;
  int rc = dedup__params_resolve(&p, params);
  if (rc != DEDUP_OK)
    return rc;
  if (p.flags & DEDUP_F_SPLIT_EMBEDDED)
    return DEDUP_EINVAL;
  return dedup__index_alloc(out, &p, flags);
}

void dedup__ixdoc_free(ixdoc *d) {
  dedup__free(d->id);
  dedup__free(d->text);
  dedup__free(d->title);
  dedup__free(d->rec);
  d->id = d->text = d->title = NULL;
  d->rec = NULL;
  d->len = d->title_len = 0;
  d->n_terms = d->n_bg = d->n_lines = d->n_bg_arts = 0;
}

DEDUP_API void dedup_index_free(dedup_index *ix) {
  if (!ix)
    return;
  for (size_t i = 0; i < ix->n_docs; i++)
    dedup__ixdoc_free(&ix->docs[i]);
  dedup__free(ix->docs);
  dedup__free(ix->sigs);
  for (size_t g = 0; g < ix->n_groups; g++) {
    dedup__free(ix->groups[g].vid);
    dedup__free(ix->groups[g].smp);
  }
  dedup__free(ix->groups);
  dedup__free(ix->stories);
  dedup__free(ix->merges);
  dedup__free(ix->idmap);
  if (ix->lines) {
    dedup__lines_free(ix->lines);
    dedup__free(ix->lines);
  }
  dedup__countmap_free(&ix->heavy);
  dedup__countmap_free(&ix->df);
  dedup__countmap_free(&ix->exact);
  dedup__free(ix->N);
  dedup__lsh_free(ix->copy_lsh);
  dedup__lsh_free(ix->story_lsh);
  dedup__langs_free(ix->langs);
  dedup__scratch_free(&ix->ws);
  dedup__free(ix->live);
  dedup__free(ix->j.buf);
  dedup__free(ix->path);
  if (ix->lock_fd >= 0)
    close(ix->lock_fd); /* releases the flock */
  dedup__free(ix);
}

int dedup__index_ready(dedup_index *ix) {
  if (ix->langs)
    return DEDUP_OK;
  if (dedup__langs_new(&ix->langs, ix->p.seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (dedup__scratch_init(&ix->ws, &ix->p) != DEDUP_OK) {
    dedup__langs_free(ix->langs);
    ix->langs = NULL;
    return DEDUP_ENOMEM;
  }
  return DEDUP_OK;
}

/* ---- slots ------------------------------------------------------------- */

int dedup__index_room(dedup_index *ix, int docs, int groups, int stories) {
  if (docs) {
    if (ix->n_docs >= IX_TOMB - 1)
      return DEDUP_ETOOBIG;
    size_t cap = ix->cap_docs;
    if (dedup__grow((void **)&ix->docs, &ix->cap_docs, ix->n_docs, 1,
                    sizeof *ix->docs) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (ix->cap_docs != cap) {
      uint32_t *s = dedup__reallocarray(ix->sigs, ix->cap_docs,
                                        ix->sig32 * sizeof *s);
      if (!s) {
        ix->cap_docs = cap; /* the docs array may be larger: harmless */
        return DEDUP_ENOMEM;
      }
      ix->sigs = s;
    }
  }
  if (groups) {
    if (ix->n_groups >= IX_TOMB - 1)
      return DEDUP_ETOOBIG;
    if (dedup__grow((void **)&ix->groups, &ix->cap_groups, ix->n_groups, 1,
                    sizeof *ix->groups) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  if (stories) {
    if (ix->n_stories >= IX_TOMB - 1)
      return DEDUP_ETOOBIG;
    if (dedup__grow((void **)&ix->stories, &ix->cap_stories, ix->n_stories,
                    1, sizeof *ix->stories) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  return DEDUP_OK;
}

uint32_t dedup__group_root(const dedup_index *ix, uint32_t g) {
  while (ix->groups[g].parent != g)
    g = ix->groups[g].parent;
  return g;
}

uint32_t dedup__story_root(const dedup_index *ix, uint32_t s) {
  while (ix->stories[s].parent != s)
    s = ix->stories[s].parent;
  return s;
}

/* ---- ids --------------------------------------------------------------- */

static uint64_t id_hash(const char *id) {
  return dedup__hash(id, strlen(id), ID_SEED);
}

uint32_t dedup__index_find(const dedup_index *ix, const char *id) {
  if (!ix->idcap)
    return IX_NONE;
  size_t mask = ix->idcap - 1, i = (size_t)id_hash(id) & mask;
  for (; ix->idmap[i] != IX_NONE; i = (i + 1) & mask) {
    uint32_t s = ix->idmap[i];
    if (s != IX_TOMB && strcmp(ix->docs[s].id, id) == 0)
      return s;
  }
  return IX_NONE;
}

static int idmap_grow(dedup_index *ix) {
  size_t nc = ix->idcap ? ix->idcap : 64;
  while ((ix->n_live + 1) * 2 > nc)
    nc *= 2;
  uint32_t *m = dedup__reallocarray(NULL, nc, sizeof *m);
  if (!m)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < nc; i++)
    m[i] = IX_NONE;
  for (size_t i = 0; i < ix->idcap; i++) {
    uint32_t s = ix->idmap[i];
    if (s == IX_NONE || s == IX_TOMB)
      continue;
    size_t j = (size_t)id_hash(ix->docs[s].id) & (nc - 1);
    while (m[j] != IX_NONE)
      j = (j + 1) & (nc - 1);
    m[j] = s;
  }
  dedup__free(ix->idmap);
  ix->idmap = m;
  ix->idcap = nc;
  ix->idused = ix->n_live;
  return DEDUP_OK;
}

int dedup__index_map(dedup_index *ix, uint32_t slot) {
  /* Tombstones count as used: a table of removals is rebuilt too. */
  if ((ix->idused + 1) * 4 > ix->idcap * 3 && idmap_grow(ix) != DEDUP_OK)
    return DEDUP_ENOMEM;
  size_t mask = ix->idcap - 1;
  size_t i = (size_t)id_hash(ix->docs[slot].id) & mask;
  while (ix->idmap[i] != IX_NONE)
    i = (i + 1) & mask;
  ix->idmap[i] = slot;
  ix->idused++;
  return DEDUP_OK;
}

void dedup__index_unmap(dedup_index *ix, uint32_t slot) {
  size_t mask = ix->idcap - 1;
  size_t i = (size_t)id_hash(ix->docs[slot].id) & mask;
  while (ix->idmap[i] != slot)
    i = (i + 1) & mask;
  ix->idmap[i] = IX_TOMB;
}

/* ---- what it holds ----------------------------------------------------- */

DEDUP_API size_t dedup_index_doc_count(const dedup_index *ix) {
  return ix ? ix->n_live : 0;
}

DEDUP_API int dedup_index_keeps_texts(const dedup_index *ix) {
  return ix && (ix->flags & DEDUP_INDEX_KEEP_TEXTS) ? 1 : 0;
}

DEDUP_API int dedup_index_params(const dedup_index *ix, dedup_params *out,
                                 unsigned version) {
  if (!ix)
    return DEDUP_EINVAL;
  return dedup__params_copy_out(out, &ix->p, version);
}

static void doc_info(const dedup_index *ix, uint32_t slot,
                     dedup_index_doc_info *out) {
  const ixdoc *d = &ix->docs[slot];
  *out = (dedup_index_doc_info){0};
  out->id = d->id;
  out->has_date = d->has_date;
  out->date = d->has_date ? d->date : 0;
  out->lang = dedup__lang_code(d->lang_state ? d->lang : 0);
  if (d->state == IXD_LIVE) {
    uint32_t g = dedup__group_root(ix, d->group);
    out->copy_id = ix->groups[g].copy_id;
    out->story_id =
        ix->stories[dedup__story_root(ix, ix->groups[g].story)].story_id;
  }
}

DEDUP_API int dedup_index_lookup(const dedup_index *ix, const char *id,
                                 dedup_index_doc_info *out) {
  if (!ix || !id || !out)
    return DEDUP_EINVAL;
  uint32_t s = dedup__index_find(ix, id);
  if (s == IX_NONE)
    return DEDUP_ENOTFOUND;
  doc_info(ix, s, out);
  return DEDUP_OK;
}

DEDUP_API int dedup_index_doc(const dedup_index *ix, size_t i,
                              dedup_index_doc_info *out) {
  if (!ix || !out || i >= ix->n_live)
    return DEDUP_EINVAL;
  /* Without removals slot i is document i; else count live slots (the
   * list is made by writers, which keep it, see remove.c). */
  uint32_t slot;
  if (ix->n_live == ix->n_docs)
    slot = (uint32_t)i;
  else if (ix->live)
    slot = ix->live[i];
  else
    return DEDUP_ESTATE;
  doc_info(ix, slot, out);
  return DEDUP_OK;
}

/* ---- merges ------------------------------------------------------------ */

int dedup__index_merge_room(dedup_index *ix, size_t n) {
  return dedup__grow((void **)&ix->merges, &ix->cap_merges, ix->n_merges, n,
                     sizeof *ix->merges);
}

int dedup__index_log_merge(dedup_index *ix, int level, uint64_t from,
                           uint64_t into) {
  if (dedup__index_merge_room(ix, 1) != DEDUP_OK)
    return DEDUP_ENOMEM;
  ix->merges[ix->n_merges++] = (ixmerge){from, into, (uint8_t)level};
  return DEDUP_OK;
}

DEDUP_API size_t dedup_index_merge_count(const dedup_index *ix) {
  return ix ? ix->n_merges : 0;
}

DEDUP_API int dedup_index_merge(const dedup_index *ix, size_t i,
                                dedup_level *level, uint64_t *from,
                                uint64_t *into) {
  if (!ix || !level || !from || !into || i >= ix->n_merges)
    return DEDUP_EINVAL;
  *level = (dedup_level)ix->merges[i].level;
  *from = ix->merges[i].from;
  *into = ix->merges[i].into;
  return DEDUP_OK;
}

DEDUP_API int dedup_index_resolve(const dedup_index *ix, dedup_level level,
                                  uint64_t id, uint64_t *current) {
  if (!ix || !current ||
      (level != DEDUP_LEVEL_COPY && level != DEDUP_LEVEL_STORY))
    return DEDUP_EINVAL;
  uint64_t next =
      level == DEDUP_LEVEL_COPY ? ix->next_copy_id : ix->next_story_id;
  if (id == 0 || id >= next)
    return DEDUP_ENOTFOUND;
  /* An id is merged away at most once, into an id older than itself, so
   * one pass from the start follows every link in order. */
  for (size_t i = 0; i < ix->n_merges; i++)
    if (ix->merges[i].level == (uint8_t)level && ix->merges[i].from == id)
      id = ix->merges[i].into;
  *current = id;
  return DEDUP_OK;
}
