/* remove.c - documents out: removed by id, or expired by date.  What the
 * add counted is taken back (line counts, document frequencies, LSH
 * entries); a copy group whose representative leaves takes its next
 * best member.  Groups and stories never split: ids keep their meaning. */
#include "service/index_private.h"

void dedup__index_live_sync(dedup_index *ix, uint32_t slot) {
  if (ix->n_live == ix->n_docs) {
    dedup__free(ix->live);
    ix->live = NULL;
    return;
  }
  if (ix->live && slot != IX_NONE) {
    uint32_t *l = dedup__reallocarray(ix->live, ix->n_live, sizeof *l);
    if (l) {
      l[ix->n_live - 1] = slot;
      ix->live = l;
      return;
    }
  }
  dedup__free(ix->live);
  ix->live = dedup__reallocarray(NULL, ix->n_live ? ix->n_live : 1,
                                 sizeof *ix->live);
  if (!ix->live) /* dedup_index_doc says DEDUP_ESTATE until the next */
    return;
  size_t k = 0;
  for (size_t i = 0; i < ix->n_docs; i++)
    if (ix->docs[i].state != IXD_DEAD)
      ix->live[k++] = (uint32_t)i;
}

/* Subtracts one from each line key's count (each was counted once by
 * this document's add, so none goes below 0, and the key is there:
 * nothing is allocated). */
static void lines_sub(dedup__lines *l, const uint64_t *keys, size_t n) {
  for (size_t i = 0; i < n; i++)
    /* Adding 2^32 - 1 to a count of at least 1 is subtracting 1. */
    (void)dedup__countmap_add(
        &l->part[keys[i] >> (64 - DEDUP__LINE_BITS)].map, keys[i],
        UINT32_MAX);
}

/* Everything that can fail comes first (the copy LSH words, room for a
 * new representative's terms in df); then the slot is taken out with
 * steps that cannot fail.  A new representative's vector is weighed at
 * once, or (out of memory) on its next use: the old one stays, stale. */
static int remove_slot(dedup_index *ix, uint32_t sl) {
  ixdoc *d = &ix->docs[sl];
  if (d->state == IXD_LIVE) {
    uint32_t g = dedup__group_root(ix, d->group);
    ixgroup *G = &ix->groups[g];
    uint32_t r = IX_NONE; /* the next representative */
    if (G->rep == sl)
      for (uint32_t x = G->head; x != IX_NONE; x = ix->docs[x].next)
        if (x != sl)
          r = dedup__index_better(ix, r, x);
    uint64_t *w = dedup__malloc(((size_t)ix->copy_b * ix->copy_r + 1) *
                                sizeof *w);
    if (!w || (r != IX_NONE && dedup__countmap_reserve(
                                   &ix->df, ix->docs[r].n_terms) != DEDUP_OK)) {
      dedup__free(w);
      return DEDUP_ENOMEM;
    }
    /* From here on nothing fails. */
    if (d->words) {
      dedup__index_copy_words(ix, ix->sigs + (size_t)sl * ix->sig32, w);
      dedup__lsh_remove(ix->copy_lsh, sl, w);
    }
    dedup__free(w);
    /* The exact-copy table names the next live copy of its text (exact
     * copies are in one group, whose list is in slot order). */
    if (dedup__countmap_get(&ix->exact, d->text_hash) == sl + 1) {
      uint32_t other = 0;
      for (uint32_t x = G->head; x != IX_NONE && !other; x = ix->docs[x].next)
        if (x != sl && ix->docs[x].words &&
            ix->docs[x].text_hash == d->text_hash)
          other = x + 1;
      /* Counts add modulo 2^32: this sets the value (a known key). */
      (void)dedup__countmap_add(&ix->exact, d->text_hash, other - (sl + 1));
    }
    /* Out of its group's member list; the group's date again. */
    uint32_t *link = &G->head, last = IX_NONE;
    while (*link != sl) {
      last = *link;
      link = &ix->docs[*link].next;
    }
    *link = d->next;
    if (G->tail == sl)
      G->tail = last;
    G->n_members--;
    G->dated = 0;
    for (uint32_t x = G->head; x != IX_NONE; x = ix->docs[x].next)
      if (ix->docs[x].has_date && (!G->dated || ix->docs[x].date < G->date)) {
        G->dated = 1;
        G->date = ix->docs[x].date;
      }
    /* Its counts taken back (known keys: nothing grows): lines, embedded
     * articles, and its terms when it represented the group. */
    lines_sub(ix->lines, ixdoc_lines(d), d->n_lines);
    const uint64_t *bg = ixdoc_bg(d);
    for (uint32_t j = 0; j < d->n_bg; j++)
      (void)dedup__countmap_add(&ix->df, bg[j], UINT32_MAX);
    ix->N[dedup__ixdoc_lt(d)] -= d->n_bg_arts;
    if (G->rep == sl) {
      (void)dedup__index_count_rep(ix, d, -1);
      if (r != IX_NONE) {
        (void)dedup__index_count_rep(ix, &ix->docs[r], 1); /* has room */
        G->rep = r;
        G->weighed_n = 0; /* stale: weighed now or on its next use */
        if (dedup__index_reweigh(ix, g) != DEDUP_OK)
          dedup__journal_lost(ix); /* weighed later: no redo does that */
      } else {
        (void)dedup__index_set_rep(ix, g, IX_NONE); /* allocates nothing */
      }
    }
    if (G->n_members == 0)
      ix->stories[dedup__story_root(ix, G->story)].n_groups--;
  } else if (d->state == IXD_DEFERRED) {
    ix->n_deferred--;
  }
  dedup__journal_remove(ix, sl);
  dedup__index_unmap(ix, sl);
  dedup__ixdoc_free(d);
  d->state = IXD_DEAD;
  d->group = IX_NONE;
  ix->n_live--;
  return DEDUP_OK;
}

DEDUP_API int dedup_index_remove(dedup_index *ix, const char *id) {
  if (!ix || !id)
    return DEDUP_EINVAL;
  if (ix->flags & DEDUP_INDEX_READ_ONLY)
    return DEDUP_ESTATE;
  uint32_t sl = dedup__index_find(ix, id);
  if (sl == IX_NONE)
    return DEDUP_ENOTFOUND;
  return dedup__index_remove_slot(ix, sl);
}

int dedup__index_remove_slot(dedup_index *ix, uint32_t sl) {
  int rc = remove_slot(ix, sl);
  dedup__index_live_sync(ix, IX_NONE);
  return rc;
}

DEDUP_API int dedup_index_expire(dedup_index *ix, int64_t before,
                                 size_t *n_removed) {
  if (n_removed)
    *n_removed = 0;
  if (!ix)
    return DEDUP_EINVAL;
  if (ix->flags & DEDUP_INDEX_READ_ONLY)
    return DEDUP_ESTATE;
  int rc = DEDUP_OK;
  size_t k = 0;
  for (size_t i = 0; i < ix->n_docs && rc == DEDUP_OK; i++) {
    const ixdoc *d = &ix->docs[i];
    if (d->state == IXD_DEAD || !d->has_date || d->date >= before)
      continue;
    if ((rc = remove_slot(ix, (uint32_t)i)) == DEDUP_OK)
      k++;
  }
  dedup__index_live_sync(ix, IX_NONE);
  if (n_removed)
    *n_removed = k;
  return rc;
}
