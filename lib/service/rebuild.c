/* rebuild.c - the index recomputed from its texts as a batch run over
 * them would: one dedup_corpus run (which hands over its statistics and
 * every document's records, dedup__keep), then the index made again from
 * those, and the old ids carried over to the new clusters. */
#include "service/index_private.h"

#include "common/sort.h"

#include <stdlib.h>
#include <string.h>

typedef struct offer {
  uint64_t old;   /* an old id */
  uint32_t cl;    /* a new cluster holding some of its documents */
  uint32_t count; /* how many */
} offer;

static int cmp_offer_old(const void *x, const void *y) {
  const offer *a = x, *b = y;
  if (a->old != b->old)
    return a->old < b->old ? -1 : 1;
  return (a->cl > b->cl) - (a->cl < b->cl);
}

/* Ids of the nc new clusters (cl[k] for document k of n; old[k] its old
 * id, 0 for none) into id[]: an old id goes with the new cluster holding
 * most of its documents (ties: the cluster of the older first document,
 * the smaller number); a cluster takes the oldest id that went with it,
 * and the others that went with it are logged as merged into it; a
 * cluster no old id went with gets a new one.  So a cluster the rebuild
 * left as it was keeps its id, and a part split off gets a new one. */
static int carry_ids(dedup_index *ix, int level, const uint32_t *cl,
                     const uint64_t *old, size_t n, size_t nc,
                     uint64_t *next, uint64_t *id) {
  offer *o = dedup__malloc((n ? n : 1) * sizeof *o);
  uint64_t *took = dedup__calloc(nc ? nc : 1, sizeof *took);
  int rc = DEDUP_ENOMEM;
  if (!o || !took)
    goto out;
  size_t m = 0;
  for (size_t k = 0; k < n; k++)
    if (old[k])
      o[m++] = (offer){old[k], cl[k], 1};
  qsort(o, m, sizeof *o, cmp_offer_old);
  /* Runs of one (old, cluster) counted; per old id the largest run. */
  size_t w = 0;
  for (size_t i = 0; i < m;) {
    size_t j = i;
    while (j < m && o[j].old == o[i].old && o[j].cl == o[i].cl)
      j++;
    o[w++] = (offer){o[i].old, o[i].cl, (uint32_t)(j - i)};
    i = j;
  }
  size_t g = 0; /* offers kept: one per old id */
  for (size_t i = 0; i < w;) {
    size_t j = i, best = i;
    for (; j < w && o[j].old == o[i].old; j++)
      if (o[j].count > o[best].count)
        best = j; /* ties keep the smaller cluster (sorted) */
    o[g++] = o[best];
    i = j;
  }
  /* Old ids ascend in o: a cluster's first offer is its oldest. */
  for (size_t i = 0; i < g; i++) {
    uint32_t c = o[i].cl;
    if (!took[c]) {
      took[c] = o[i].old;
      continue;
    }
    if ((rc = dedup__index_log_merge(ix, level, o[i].old, took[c])) !=
        DEDUP_OK)
      goto out;
  }
  for (size_t c = 0; c < nc; c++)
    id[c] = took[c] ? took[c] : (*next)++;
  rc = DEDUP_OK;
out:
  dedup__free(o);
  dedup__free(took);
  return rc;
}

/* The run's corpus of the index's documents (slots[0..n), in order). */
static int make_corpus(const dedup_index *ix, const uint32_t *slots,
                       size_t n, dedup_corpus **out) {
  dedup_corpus *c;
  int rc = dedup_corpus_new(&c, &ix->p);
  if (rc != DEDUP_OK)
    return rc;
  for (size_t k = 0; k < n && rc == DEDUP_OK; k++) {
    const ixdoc *d = &ix->docs[slots[k]];
    dedup_doc_meta m = DEDUP_DOC_META_INIT;
    m.title = d->title;
    m.title_len = d->title_len;
    m.has_date = d->has_date;
    m.date = d->date;
    m.lang = d->lang_state == CDOC_LANG_GIVEN ? dedup__lang_code(d->lang)
                                              : NULL;
    /* The kept text is normalised already; normalising is idempotent,
     * so the run sees what it would have seen of the original bytes. */
    rc = dedup_corpus_add_doc(c, d->id, d->text, d->len, &m, NULL);
  }
  if (rc != DEDUP_OK) {
    dedup_corpus_free(c);
    return rc == DEDUP_ENOMEM ? rc : DEDUP_EFORMAT;
  }
  *out = c;
  return DEDUP_OK;
}

/* Document k of the new index from corpus document i and the kept
 * records. */
static int make_doc(dedup_index *nx, const dedup_index *ix, uint32_t slot,
                    size_t k, const dedup_corpus *c, size_t i,
                    dedup__keep *kp, dedup__scratch *s) {
  const ixdoc *o = &ix->docs[slot];
  const cdoc *cd = &c->docs[i];
  const citem *it = &c->items[i];
  ixdoc *d = &nx->docs[k];
  *d = (ixdoc){0};
  d->group = d->next = IX_NONE;
  d->id = dedup__strdup(o->id);
  if (!d->id)
    return DEDUP_ENOMEM;
  if (nx->flags & DEDUP_INDEX_KEEP_TEXTS) {
    d->text = dedup__malloc(o->len + 1);
    if (!d->text)
      return DEDUP_ENOMEM;
    memcpy(d->text, o->text, o->len + 1);
    d->len = o->len;
    if (o->title) {
      d->title = dedup__malloc(o->title_len + 1);
      if (!d->title)
        return DEDUP_ENOMEM;
      memcpy(d->title, o->title, o->title_len + 1);
      d->title_len = o->title_len;
    }
  }
  d->has_date = o->has_date;
  d->date = o->date;
  d->lang = cd->lang;
  d->lang_state = cd->lang_state;
  d->state = IXD_LIVE;
  d->words = it->empty ? 0 : it->words;
  d->text_hash = o->text_hash;
  /* Records: terms, embedded articles' terms, line keys (made again:
   * the run counted them, this document's own are a function of its
   * text). */
  s->sh.n = 0;
  if (!(nx->p.flags & DEDUP_F_NO_CLEAN)) {
    if (dedup__page_keys(&s->sh, &s->page, cd->text, cd->len, nx->p.seed) !=
        DEDUP_OK)
      return DEDUP_ENOMEM;
    dedup__u64_sort_unique(s->sh.v, &s->sh.n);
  }
  const dedup__termset *ts = &kp->counts[i];
  const dedup__u64vec *bg = &kp->bg[i];
  d->n_terms = (uint32_t)ts->n;
  d->n_bg = (uint32_t)bg->n;
  d->n_lines = (uint32_t)s->sh.n;
  d->n_bg_arts = (uint32_t)kp->n_bg[i];
  if (d->n_terms || d->n_bg || d->n_lines) {
    d->rec = dedup__malloc(ixdoc_rec_bytes(d->n_terms, d->n_bg, d->n_lines));
    if (!d->rec)
      return DEDUP_ENOMEM;
    if (ts->n)
      memcpy(ixdoc_terms(d), ts->id, ts->n * sizeof(uint64_t));
    if (bg->n)
      memcpy(ixdoc_bg(d), bg->v, bg->n * sizeof(uint64_t));
    if (s->sh.n)
      memcpy(ixdoc_lines(d), s->sh.v, s->sh.n * sizeof(uint64_t));
    if (ts->n)
      memcpy(ixdoc_counts(d), ts->w, ts->n * sizeof(float));
  }
  uint32_t *sig = nx->sigs + k * nx->sig32;
  const uint64_t *cs = c->sigs + i * c->sig_words;
  if (nx->p.method == DEDUP_METHOD_SIMHASH) {
    sig[0] = (uint32_t)cs[0];
    sig[1] = (uint32_t)(cs[0] >> 32);
  } else {
    memcpy(sig, cs, nx->sig32 * sizeof *sig);
  }
  return DEDUP_OK;
}

/* The new index nx from the run over the n documents slots[] of ix. */
static int make_index(dedup_index *nx, const dedup_index *ix,
                      const uint32_t *slots, size_t n, dedup_corpus *c,
                      dedup__keep *kp) {
  int rc = DEDUP_ENOMEM;
  const struct clevel *C = &c->lv[DEDUP_LEVEL_COPY];
  const struct clevel *S = &c->lv[DEDUP_LEVEL_STORY];
  uint32_t *gof = dedup__malloc((C->n_clusters + 1) * sizeof *gof);
  uint32_t *sof = dedup__malloc((S->n_clusters + 1) * sizeof *sof);
  uint32_t *gcl = dedup__malloc((n + 1) * sizeof *gcl);
  uint32_t *scl = dedup__malloc((n + 1) * sizeof *scl);
  uint64_t *gold = dedup__calloc(n + 1, sizeof *gold);
  uint64_t *sold = dedup__calloc(n + 1, sizeof *sold);
  uint64_t *gid = NULL, *sid = NULL, *w = NULL;
  dedup__scratch s;
  int have_s = 0;
  if (!gof || !sof || !gcl || !scl || !gold || !sold)
    goto out;
  if (dedup__scratch_init(&s, &nx->p) != DEDUP_OK)
    goto out;
  have_s = 1;
  /* Statistics: the run's line counts and heavy runs. */
  dedup__lines_free(nx->lines);
  dedup__free(nx->lines);
  nx->lines = kp->lines;
  kp->lines = NULL;
  nx->heavy = kp->heavy;
  kp->heavy = (dedup__countmap){0};
  /* Documents in their order; groups and stories numbered by their
   * first document. */
  for (size_t i = 0; i <= C->n_clusters; i++)
    gof[i] = IX_NONE;
  for (size_t i = 0; i <= S->n_clusters; i++)
    sof[i] = IX_NONE;
  for (size_t k = 0; k < n; k++) {
    if ((rc = dedup__index_room(nx, 1, 1, 1)) != DEDUP_OK)
      goto out;
    size_t i = c->doc_at[k]; /* items are documents: item i is doc i */
    /* Counted first: what make_doc made is freed with nx if it fails. */
    nx->n_docs = k + 1;
    if ((rc = make_doc(nx, ix, slots[k], k, c, i, kp, &s)) != DEDUP_OK)
      goto out;
    nx->n_live = k + 1;
    if ((rc = dedup__index_map(nx, (uint32_t)k)) != DEDUP_OK)
      goto out;
    if (!dedup__countmap_get(&nx->exact, nx->docs[k].text_hash) &&
        (rc = dedup__countmap_add(&nx->exact, nx->docs[k].text_hash,
                                  (uint32_t)k + 1)) != DEDUP_OK)
      goto out;
    rc = DEDUP_ENOMEM;
    uint32_t gl = C->label[i], sl = S->label[i];
    if (sof[sl] == IX_NONE) {
      uint32_t st = (uint32_t)nx->n_stories++;
      nx->stories[st] = (ixstory){0, st, 0, IX_NONE, IX_NONE};
      sof[sl] = st;
    }
    if (gof[gl] == IX_NONE) {
      uint32_t g = (uint32_t)nx->n_groups++;
      ixgroup *G = &nx->groups[g];
      *G = (ixgroup){0};
      G->parent = g;
      G->rep = G->head = G->tail = IX_NONE;
      gof[gl] = g;
      ixstory *T = &nx->stories[sof[sl]];
      G->story = sof[sl];
      G->snext = IX_NONE;
      if (T->head == IX_NONE)
        T->head = g;
      else
        nx->groups[T->tail].snext = g;
      T->tail = g;
      T->n_groups++;
    }
    uint32_t g = gof[gl];
    ixgroup *G = &nx->groups[g];
    ixdoc *d = &nx->docs[k];
    d->group = g;
    if (G->head == IX_NONE)
      G->head = (uint32_t)k;
    else
      nx->docs[G->tail].next = (uint32_t)k;
    G->tail = (uint32_t)k;
    G->n_members++;
    G->rep = dedup__index_better(nx, G->rep, (uint32_t)k);
    if (d->has_date && (!G->dated || d->date < G->date)) {
      G->dated = 1;
      G->date = d->date;
    }
    gcl[k] = g;
    scl[k] = sof[sl];
    /* Its old ids, as they are now. */
    const ixdoc *od = &ix->docs[slots[k]];
    if (od->state == IXD_LIVE) {
      uint32_t og = dedup__group_root(ix, od->group);
      gold[k] = ix->groups[og].copy_id;
      sold[k] = ix->stories[dedup__story_root(ix, ix->groups[og].story)]
                    .story_id;
    }
  }
  /* df and N as the batch counts them: representatives and every
   * document's embedded articles. */
  for (size_t k = 0; k < n; k++) {
    const ixdoc *d = &nx->docs[k];
    const uint64_t *bg = ixdoc_bg(d);
    for (uint32_t j = 0; j < d->n_bg; j++)
      if ((rc = dedup__countmap_add(&nx->df, bg[j], 1)) != DEDUP_OK)
        goto out;
    nx->N[dedup__ixdoc_lt(d)] += d->n_bg_arts;
  }
  for (size_t g = 0; g < nx->n_groups; g++)
    if ((rc = dedup__index_count_rep(nx, &nx->docs[nx->groups[g].rep], 1)) !=
        DEDUP_OK)
      goto out;
  /* Vectors and both LSH tables. */
  w = dedup__malloc(((size_t)nx->copy_b * nx->copy_r + 1) * sizeof *w);
  if (!w) {
    rc = DEDUP_ENOMEM;
    goto out;
  }
  for (size_t k = 0; k < n; k++) {
    if (!nx->docs[k].words)
      continue;
    dedup__index_copy_words(nx, nx->sigs + k * nx->sig32, w);
    if ((rc = dedup__lsh_insert(nx->copy_lsh, (uint32_t)k, w)) != DEDUP_OK)
      goto out;
  }
  for (size_t g = 0; g < nx->n_groups; g++) {
    uint32_t r = nx->groups[g].rep;
    nx->groups[g].rep = IX_NONE;
    if ((rc = dedup__index_set_rep(nx, (uint32_t)g, r)) != DEDUP_OK)
      goto out;
  }
  /* Ids: the old ones carried over, merges logged. */
  nx->next_copy_id = ix->next_copy_id;
  nx->next_story_id = ix->next_story_id;
  if (ix->n_merges) {
    if ((rc = dedup__index_merge_room(nx, ix->n_merges)) != DEDUP_OK)
      goto out;
    memcpy(nx->merges, ix->merges, ix->n_merges * sizeof *ix->merges);
    nx->n_merges = ix->n_merges;
  }
  gid = dedup__malloc((nx->n_groups + 1) * sizeof *gid);
  sid = dedup__malloc((nx->n_stories + 1) * sizeof *sid);
  if (!gid || !sid) {
    rc = DEDUP_ENOMEM;
    goto out;
  }
  if ((rc = carry_ids(nx, DEDUP_LEVEL_COPY, gcl, gold, n, nx->n_groups,
                      &nx->next_copy_id, gid)) != DEDUP_OK ||
      (rc = carry_ids(nx, DEDUP_LEVEL_STORY, scl, sold, n, nx->n_stories,
                      &nx->next_story_id, sid)) != DEDUP_OK)
    goto out;
  for (size_t g = 0; g < nx->n_groups; g++)
    nx->groups[g].copy_id = gid[g];
  for (size_t t = 0; t < nx->n_stories; t++)
    nx->stories[t].story_id = sid[t];
  rc = DEDUP_OK;
out:
  if (have_s)
    dedup__scratch_free(&s);
  dedup__free(gof);
  dedup__free(sof);
  dedup__free(gcl);
  dedup__free(scl);
  dedup__free(gold);
  dedup__free(sold);
  dedup__free(gid);
  dedup__free(sid);
  dedup__free(w);
  return rc;
}

DEDUP_API int dedup_index_rebuild(dedup_index *ix,
                                  const dedup_run_options *opts) {
  if (!ix)
    return DEDUP_EINVAL;
  if (ix->flags & DEDUP_INDEX_READ_ONLY)
    return DEDUP_ESTATE;
  dedup__runopts ro;
  int rc = dedup__runopts_resolve(&ro, opts);
  if (rc != DEDUP_OK)
    return rc;
  size_t n = 0;
  uint32_t *slots = dedup__malloc((ix->n_live ? ix->n_live : 1) *
                                  sizeof *slots);
  if (!slots)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < ix->n_docs; i++) {
    const ixdoc *d = &ix->docs[i];
    if (d->state == IXD_DEAD)
      continue;
    if (!d->text) { /* the run needs every text */
      dedup__free(slots);
      return DEDUP_ESTATE;
    }
    slots[n++] = (uint32_t)i;
  }
  dedup_corpus *c = NULL;
  dedup__keep keep = {0};
  dedup_index *nx = NULL;
  if ((rc = make_corpus(ix, slots, n, &c)) != DEDUP_OK)
    goto out;
  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  o.threads = ro.threads;
  o.levels = DEDUP_RUN_ALL;
  o.progress = ro.progress;
  o.progress_ctx = ro.progress_ctx;
  c->keep = &keep;
  rc = dedup_corpus_run_with(c, &o);
  c->keep = NULL;
  if (rc != DEDUP_OK)
    goto out;
  if ((rc = dedup__index_alloc(&nx, &ix->p,
                               ix->flags & DEDUP_INDEX_KEEP_TEXTS)) !=
          DEDUP_OK ||
      (rc = make_index(nx, ix, slots, n, c, &keep)) != DEDUP_OK)
    goto out;
  /* The new state in the old handle: its path and lock stay. */
  nx->path = ix->path;
  nx->lock_fd = ix->lock_fd;
  ix->path = NULL;
  ix->lock_fd = -1;
  dedup_index tmp = *ix;
  *ix = *nx;
  *nx = tmp;
  dedup__index_live_sync(ix, IX_NONE);
  dedup__journal_lost(ix); /* no operation says what a rebuild did */
out:
  dedup__keep_free(&keep, c ? c->n_docs : 0);
  dedup_corpus_free(c);
  dedup_index_free(nx);
  dedup__free(slots);
  return rc;
}
