/* run.c - one run over the corpus, the phases in order:
 *
 *   A  normalise, count lines across pages           (items.c, threads)
 *   C  cut pages into items, sign them, count terms  (items.c, threads)
 *   D  copy level: LSH candidates, verified, union-find      (copy.c)
 *   E  story level over one representative per copy group    (story.c)
 *
 * then both levels' clusters are numbered (largest first) and their links
 * grouped by cluster for the queries.  Documents are sorted by name after
 * A, so nothing depends on the order of insertion. */
#include "corpus/corpus_private.h"

#include <stdlib.h>
#include <string.h>

static int cmp_doc(const void *a, const void *b) {
  const cdoc *x = a, *y = b;
  int r = strcmp(x->name, y->name);
  if (r)
    return r;
  if (x->len != y->len)
    return x->len < y->len ? -1 : 1;
  r = memcmp(x->text, y->text, x->len);
  /* Equal texts under one name: in the order added, whatever qsort
   * does with ties (they may differ in title, date or language). */
  return r ? r : (x->seq > y->seq) - (x->seq < y->seq);
}

void dedup__docs_sort(dedup_corpus *c) {
  for (size_t i = 1; i < c->n_docs; i++) {
    /* Documents are usually added in order already. */
    if (cmp_doc(&c->docs[i - 1], &c->docs[i]) > 0) {
      qsort(c->docs, c->n_docs, sizeof *c->docs, cmp_doc);
      break;
    }
  }
}

int dedup__edge_cmp(const void *x, const void *y) {
  const dedup__edge *a = x, *b = y;
  if (a->a != b->a)
    return a->a < b->a ? -1 : 1;
  return (a->b > b->b) - (a->b < b->b);
}

/* Clusters numbered by size (largest first), then first member. */
typedef struct cinfo {
  uint32_t label, size, first;
} cinfo;

static int cmp_cinfo(const void *x, const void *y) {
  const cinfo *a = x, *b = y;
  if (a->size != b->size)
    return a->size > b->size ? -1 : 1;
  return (a->first > b->first) - (a->first < b->first);
}

/* Ids of the values v[0..n) (each < k) grouped by value, ascending in
 * each group: ids[start[g] .. start[g+1]) hold value g (counting sort). */
static int group_by(size_t **ids, size_t **start, const uint32_t *v,
                    size_t n, size_t k) {
  *ids = dedup__malloc((n ? n : 1) * sizeof **ids);
  *start = dedup__calloc(k + 1, sizeof **start);
  size_t *fill = dedup__malloc((k ? k : 1) * sizeof *fill);
  if (!*ids || !*start || !fill) {
    dedup__free(fill);
    return DEDUP_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    (*start)[v[i] + 1]++;
  for (size_t g = 0; g < k; g++)
    (*start)[g + 1] += (*start)[g];
  memcpy(fill, *start, k * sizeof *fill);
  for (size_t i = 0; i < n; i++)
    (*ids)[fill[v[i]]++] = i;
  dedup__free(fill);
  return DEDUP_OK;
}

/* Numbers the clusters of a level and groups members and links by
 * cluster.  Takes links (freed on failure too). */
static int set_level(dedup_corpus *c, int level, const uint32_t *label,
                     size_t n_clusters, dedup__edge *links, size_t n_links) {
  struct clevel *L = &c->lv[level];
  size_t n = c->n_items, k1 = n_clusters ? n_clusters : 1;
  L->links = links;
  L->n_links = n_links;
  cinfo *ci = dedup__calloc(k1, sizeof *ci);
  uint32_t *renum = dedup__malloc(k1 * sizeof *renum);
  uint32_t *link_cl = dedup__malloc((n_links ? n_links : 1) *
                                    sizeof *link_cl);
  L->label = dedup__malloc((n ? n : 1) * sizeof *L->label);
  int rc = DEDUP_ENOMEM;
  if (!ci || !renum || !link_cl || !L->label)
    goto out;
  for (size_t k = 0; k < n_clusters; k++)
    ci[k] = (cinfo){(uint32_t)k, 0, UINT32_MAX};
  for (size_t i = 0; i < n; i++) {
    cinfo *x = &ci[label[i]];
    x->size++;
    if (x->first == UINT32_MAX)
      x->first = (uint32_t)i;
  }
  qsort(ci, n_clusters, sizeof *ci, cmp_cinfo);
  for (size_t k = 0; k < n_clusters; k++)
    renum[ci[k].label] = (uint32_t)k;
  for (size_t i = 0; i < n; i++)
    L->label[i] = renum[label[i]];
  L->n_clusters = n_clusters;
  if (group_by(&L->members, &L->start, L->label, n, n_clusters) != DEDUP_OK)
    goto out;
  qsort(links, n_links, sizeof *links, dedup__edge_cmp);
  /* A link joins two items of one cluster: file it under a's. */
  for (size_t i = 0; i < n_links; i++)
    link_cl[i] = L->label[links[i].a];
  if (group_by(&L->link_ids, &L->link_start, link_cl, n_links,
               n_clusters) != DEDUP_OK)
    goto out;
  rc = DEDUP_OK;
out:
  dedup__free(ci);
  dedup__free(renum);
  dedup__free(link_cl);
  return rc;
}

/* The story level's copy groups by story, each story's in order of their
 * first members.  A copy group lies inside one story, so its first
 * member's story is the group's. */
static int set_groups(dedup_corpus *c) {
  struct clevel *C = &c->lv[DEDUP_LEVEL_COPY], *S = &c->lv[DEDUP_LEVEL_STORY];
  size_t ng = C->n_clusters, n = c->n_items, k = 0;
  size_t *seq = dedup__malloc((ng ? ng : 1) * sizeof *seq);
  uint32_t *story_of = dedup__malloc((ng ? ng : 1) * sizeof *story_of);
  int rc = DEDUP_ENOMEM;
  if (!seq || !story_of)
    goto out;
  for (size_t i = 0; i < n; i++) {
    uint32_t g = C->label[i];
    if (C->members[C->start[g]] == i) { /* groups by first member */
      seq[k] = g;
      story_of[k++] = S->label[i];
    }
  }
  if ((rc = group_by(&S->groups, &S->group_start, story_of, ng,
                     S->n_clusters)) != DEDUP_OK)
    goto out;
  for (size_t j = 0; j < ng; j++) /* positions in seq to group ids */
    S->groups[j] = seq[S->groups[j]];
out:
  dedup__free(seq);
  dedup__free(story_of);
  return rc;
}

/* Item ids by (name, id), for dedup_corpus_item_find.  Items are in
 * document name order already, so this is the item order itself, except
 * with embedded articles ("a#2" sorts after "a!", which follows it): then
 * a merge sort (qsort's comparator could not see the corpus). */
static int cmp_name_at(const dedup_corpus *c, size_t x, size_t y) {
  int r = strcmp(c->items[x].name, c->items[y].name);
  return r ? r : (x > y) - (x < y);
}

static int set_by_name(dedup_corpus *c) {
  size_t n = c->n_items;
  c->by_name = dedup__malloc((n ? n : 1) * sizeof *c->by_name);
  if (!c->by_name)
    return DEDUP_ENOMEM;
  int sorted = 1;
  for (size_t i = 0; i < n; i++) {
    c->by_name[i] = i;
    if (i && cmp_name_at(c, i - 1, i) > 0)
      sorted = 0;
  }
  if (sorted) /* always without DEDUP_F_SPLIT_EMBEDDED */
    return DEDUP_OK;
  size_t *tmp = dedup__malloc(n * sizeof *tmp);
  if (!tmp)
    return DEDUP_ENOMEM;
  size_t *src = c->by_name, *dst = tmp;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = DEDUP__MIN(lo + w, n), hi = DEDUP__MIN(lo + 2 * w, n);
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi)
        dst[o++] = cmp_name_at(c, src[i], src[j]) <= 0 ? src[i++] : src[j++];
      while (i < mid)
        dst[o++] = src[i++];
      while (j < hi)
        dst[o++] = src[j++];
    }
    size_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != c->by_name)
    memcpy(c->by_name, src, n * sizeof *src);
  dedup__free(tmp);
  return DEDUP_OK;
}

/* Where each document went in the sort by name, for
 * dedup_corpus_doc_invalid (asked in the order of adding). */
int dedup__set_doc_at(dedup_corpus *c) {
  c->doc_at = dedup__malloc((c->n_docs ? c->n_docs : 1) * sizeof *c->doc_at);
  if (!c->doc_at)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < c->n_docs; i++)
    c->doc_at[c->docs[i].seq] = (uint32_t)i;
  return DEDUP_OK;
}

void dedup__keep_free(dedup__keep *k, size_t n_docs) {
  if (k->lines) {
    dedup__lines_free(k->lines);
    dedup__free(k->lines);
  }
  dedup__countmap_free(&k->heavy);
  for (size_t i = 0; k->counts && i < k->n_counts; i++)
    dedup__termset_free(&k->counts[i]);
  for (size_t i = 0; k->bg && i < n_docs; i++)
    dedup__u64vec_free(&k->bg[i]);
  dedup__free(k->counts);
  dedup__free(k->bg);
  dedup__free(k->n_bg);
  *k = (dedup__keep){0};
}

/* For c->keep, after phase C: copies of every item's term counts (the
 * story level frees them as it weighs) and the documents' embedded
 * articles' terms (freed at the end of the run). */
static int keep_records(dedup_corpus *c) {
  dedup__keep *k = c->keep;
  size_t n = c->n_items, nd = c->n_docs;
  k->counts = dedup__calloc(n ? n : 1, sizeof *k->counts);
  k->bg = dedup__calloc(nd ? nd : 1, sizeof *k->bg);
  k->n_bg = dedup__calloc(nd ? nd : 1, sizeof *k->n_bg);
  if (!k->counts || !k->bg || !k->n_bg)
    return DEDUP_ENOMEM;
  k->n_counts = n;
  for (size_t i = 0; i < n; i++) {
    const dedup__termset *ts = &c->items[i].counts;
    dedup__termvec tv = {0};
    if (!ts->n)
      continue;
    /* termset_set takes a counting vector: one of the same terms. */
    tv.v = dedup__malloc(ts->n * sizeof *tv.v);
    if (!tv.v)
      return DEDUP_ENOMEM;
    for (size_t j = 0; j < ts->n; j++)
      tv.v[j] = (dedup__term){ts->id[j], ts->w[j]};
    tv.n = tv.cap = ts->n;
    int rc = dedup__termset_set(&k->counts[i], &tv);
    dedup__termvec_free(&tv);
    if (rc != DEDUP_OK)
      return rc;
  }
  for (size_t i = 0; i < nd; i++) { /* the story level reads them yet */
    const dedup__u64vec *b = &c->docs[i].bg;
    if (b->n && dedup__u64vec_reserve(&k->bg[i], b->n) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (b->n)
      memcpy(k->bg[i].v, b->v, b->n * sizeof *b->v);
    k->bg[i].n = b->n;
    k->n_bg[i] = c->docs[i].n_bg;
  }
  return DEDUP_OK;
}

static int report(const dedup__runopts *o, dedup_phase phase) {
  return o->progress && o->progress(o->progress_ctx, phase) != 0
             ? DEDUP_ECANCELED
             : DEDUP_OK;
}

int dedup__run_finish(dedup_corpus *c, const dedup__runopts *o,
                      const uint32_t *copy_label, size_t n_copy,
                      dedup__edge *ce, size_t nce,
                      const uint32_t *story_label, size_t n_story,
                      dedup__edge *se, size_t nse) {
  int rc = set_level(c, DEDUP_LEVEL_COPY, copy_label, n_copy, ce, nce);
  ce = NULL; /* set_level owns it now, also on failure */
  if (rc == DEDUP_OK && story_label) {
    rc = set_level(c, DEDUP_LEVEL_STORY, story_label, n_story, se, nse);
    se = NULL;
    if (rc == DEDUP_OK)
      rc = set_groups(c);
  }
  dedup__free(se);
  if (rc == DEDUP_OK)
    rc = set_by_name(c);
  if (rc == DEDUP_OK)
    rc = dedup__set_doc_at(c);
  if (rc == DEDUP_OK)
    rc = report(o, DEDUP_PHASE_DONE);
  if (rc == DEDUP_OK) {
    c->ran = 1;
    c->has_story = story_label != NULL;
  }
  return rc;
}

/* D, E and the numbering: the items are made (and signed); the
 * documents' embedded-article terms (bg) are freed at the end.  With
 * copy_links (taken, also on failure) the copy level's links are those:
 * found by the shards (shard_spread.c), not here. */
int dedup__run_back(dedup_corpus *c, const dedup__runopts *o_,
                    dedup__edge *copy_links, size_t n_copy_links) {
  const dedup__runopts o = *o_;
  uint32_t *copy_label = NULL, *story_label = NULL;
  dedup__edge *ce = copy_links, *se = NULL;
  size_t nce = n_copy_links, nse = 0;
  int rc;
  /* D: copy level. */
  if ((rc = report(&o, DEDUP_PHASE_COPY)) != DEDUP_OK ||
      (!copy_links &&
       (rc = dedup__copy_links(c, o.threads, &ce, &nce)) != DEDUP_OK))
    goto out;
  rc = DEDUP_ENOMEM;
  size_t n = c->n_items;
  copy_label = dedup__malloc((n ? n : 1) * sizeof *copy_label);
  if (!copy_label)
    goto out;
  size_t n_copy = dedup__cluster_union(copy_label, n, ce, nce);
  if (n_copy == (size_t)-1)
    goto out;

  /* E: story level. */
  size_t n_story = 0;
  if (o.levels & DEDUP_RUN_STORY) {
    story_label = dedup__malloc((n ? n : 1) * sizeof *story_label);
    if (!story_label)
      goto out;
    if ((rc = report(&o, DEDUP_PHASE_STORY)) != DEDUP_OK ||
        (rc = dedup__story_level(c, o.threads, copy_label, n_copy,
                                 story_label, &se, &nse, &n_story)) !=
            DEDUP_OK)
      goto out;
    /* Story links include the copy links: copies are the same story. */
    rc = DEDUP_ENOMEM;
    dedup__edge *all = dedup__reallocarray(se, nse + nce + 1, sizeof *all);
    if (!all)
      goto out;
    se = all;
    memcpy(se + nse, ce, nce * sizeof *ce);
    nse += nce;
  }
  rc = dedup__run_finish(c, &o, copy_label, n_copy, ce, nce, story_label,
                         n_story, se, nse);
  ce = se = NULL;
out:
  for (size_t i = 0; i < c->n_docs; i++)
    dedup__u64vec_free(&c->docs[i].bg);
  dedup__free(copy_label);
  dedup__free(story_label);
  dedup__free(ce);
  dedup__free(se);
  if (rc != DEDUP_OK)
    dedup__corpus_free_results(c);
  return rc;
}

DEDUP_API int dedup_corpus_run(dedup_corpus *c) {
  return dedup_corpus_run_with(c, NULL);
}

DEDUP_API int dedup_corpus_run_with(dedup_corpus *c,
                                    const dedup_run_options *opts) {
  if (!c)
    return DEDUP_EINVAL;
  if (c->records || c->texts_dropped) /* no texts */
    return DEDUP_ESTATE;
  dedup__runopts o;
  int rc = dedup__runopts_resolve(&o, opts);
  if (rc != DEDUP_OK)
    return rc;
  dedup__corpus_free_results(c);
  size_t nd = c->n_docs;
  dedup__lines *lines = dedup__malloc(sizeof *lines);
  dedup__countmap heavy = {0}; /* word runs many documents share */
  dedup__langs *langs = NULL;  /* stop words of every language */
  dedup__scratch *ws = dedup__calloc(o.threads, sizeof *ws);
  unsigned n_ws = 0;
  rc = DEDUP_ENOMEM;
  if (lines)
    dedup__lines_init(lines);
  if (!lines || !ws || dedup__langs_new(&langs, c->p.seed) != DEDUP_OK)
    goto out;
  for (; n_ws < o.threads; n_ws++)
    if (dedup__scratch_init(&ws[n_ws], &c->p) != DEDUP_OK)
      goto out;

  /* A: normalise; in how many documents each short line appears. */
  if ((rc = report(&o, DEDUP_PHASE_NORMALISE)) != DEDUP_OK)
    goto out;
  if ((rc = dedup__docs_prepare(c, ws, lines, o.threads)) != DEDUP_OK)
    goto out;
  dedup__docs_sort(c);

  /* ... and the word runs many documents share (sub-line chrome), for
   * the story level's terms. */
  if ((o.levels & DEDUP_RUN_STORY) && !(c->p.flags & DEDUP_F_NO_CLEAN) &&
      (rc = dedup__grams_heavy(&heavy, c, ws, o.threads)) != DEDUP_OK)
    goto out;

  /* C: pages to items, items to signatures and terms. */
  if ((rc = report(&o, DEDUP_PHASE_ITEMS)) != DEDUP_OK ||
      (rc = dedup__items_make(c, ws, lines, &heavy, langs, &o)) != DEDUP_OK)
    goto out;
  if (c->keep) { /* handed over */
    c->keep->lines = lines;
    c->keep->heavy = heavy;
    lines = NULL;
    heavy = (dedup__countmap){0};
  } else {
    dedup__lines_free(lines);
    dedup__countmap_free(&heavy);
  }
  for (unsigned t = 0; t < n_ws; t++)
    dedup__scratch_free(&ws[t]);
  dedup__langs_free(langs);
  langs = NULL;
  if (c->keep && (rc = keep_records(c)) != DEDUP_OK)
    goto out;

  rc = dedup__run_back(c, &o, NULL, 0);
out:
  dedup__langs_free(langs);
  if (lines)
    dedup__lines_free(lines);
  dedup__countmap_free(&heavy);
  for (unsigned t = 0; ws && t < n_ws; t++)
    dedup__scratch_free(&ws[t]);
  for (size_t i = 0; i < nd; i++)
    dedup__u64vec_free(&c->docs[i].bg);
  if (lines)
    dedup__free(lines);
  dedup__free(ws);
  if (rc != DEDUP_OK)
    dedup__corpus_free_results(c);
  return rc;
}
