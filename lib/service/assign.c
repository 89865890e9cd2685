/* assign.c - an article in: its copy group, then its story (the story
 * level is stories.c).
 *
 * The new document is cleaned and signed with the index's statistics as
 * they are (its own lines and terms counted in, as a batch run counts
 * every document), then:
 *
 *   copy level   its LSH candidates verified as the batch verifies them;
 *                it joins the groups it copies (several: they merge into
 *                the oldest) or starts one; an exact copy always joins,
 *                and a page that found none is signed once more as an
 *                older copy of it was cleaned (copies_as_before)
 *   story level  a document that joined a group is in that group's
 *                story.  A new group is weighed (TF-IDF with the index's
 *                document frequencies), sampled (DartMinHash) and scored
 *                against the DEDUP__STORY_TOP_M groups that share most
 *                samples with it, by the exact cosine times the time
 *                factor, as the batch level scores its candidates; the
 *                story whose average over its copy groups is highest and
 *                at least story_threshold takes it (average link's
 *                criterion for a group and a cluster), else it starts a
 *                story; stories it links as strongly merge when average
 *                link between them would
 *   second looks each add scores two old groups again (revisit), with
 *                today's weights, through the links each group keeps
 *
 * The commit after the plan cannot fail: an add happens whole or not at
 * all.  A query runs the same code read-only: its own counts are added to the
 * statistics through look-ups (extra) instead of into them. */
#include "service/assign.h"

#include "common/hash.h"
#include "common/sort.h"
#include "sketch/wminhash.h"
#include "text/normalise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The seed of a normalised text's hash (exact copies). */
#define TEXT_SALT 0x7e57c0de5eedULL

/* ---- tables ------------------------------------------------------------ */

static unsigned simhash_maxd(const dedup_params *p) {
  return (unsigned)floor((1.0 - p->threshold) * 64.0 + 1e-9);
}

int dedup__index_lsh_new(dedup_index *ix) {
  const dedup_params *p = &ix->p;
  if (p->method == DEDUP_METHOD_SIMHASH) {
    /* copy.c's blocks: within distance d two fingerprints agree on one
     * of d+1 blocks. */
    ix->copy_b = DEDUP__MIN(simhash_maxd(p) + 1, 16u);
    ix->copy_r = 1;
  } else {
    dedup__lsh_params(p->threshold, p->num_perm, 0.5, 0.5, &ix->copy_b,
                      &ix->copy_r);
  }
  ix->story_k = dedup__story_samples(p->story_threshold);
  if (dedup__lsh_new(&ix->copy_lsh, ix->copy_b, ix->copy_r) != DEDUP_OK ||
      dedup__lsh_new(&ix->story_lsh, ix->story_k, 1) != DEDUP_OK)
    return DEDUP_ENOMEM;
  /* A bucket of more than DEDUP__MAX_BUCKET is boilerplate (copy level)
   * or a common term (story level), and only so many of it are read; a
   * full one takes no more, so that a removal never walks a list of
   * thousands. */
  dedup__lsh_set_max_bucket(ix->copy_lsh, 2 * DEDUP__MAX_BUCKET);
  dedup__lsh_set_max_bucket(ix->story_lsh, 2 * DEDUP__MAX_BUCKET);
  return DEDUP_OK;
}

void dedup__index_copy_words(const dedup_index *ix, const uint32_t *sig,
                             uint64_t *out) {
  if (ix->p.method == DEDUP_METHOD_SIMHASH) {
    uint64_t f = sig[0] | (uint64_t)sig[1] << 32;
    unsigned blocks = ix->copy_b;
    for (unsigned k = 0; k < blocks; k++) {
      unsigned lo = k * 64 / blocks, hi = (k + 1) * 64 / blocks;
      uint64_t mask =
          hi - lo == 64 ? UINT64_MAX : ((UINT64_C(1) << (hi - lo)) - 1);
      out[k] = (f >> lo) & mask;
    }
    return;
  }
  for (size_t t = 0; t < (size_t)ix->copy_b * ix->copy_r; t++)
    out[t] = sig[t];
}

unsigned dedup__ixdoc_lt(const ixdoc *d) {
  return d->lang_state != CDOC_LANG_UNKNOWN ? dedup__lang_terms(d->lang)
                                            : DEDUP__LANG_EN;
}

static uint32_t extra_lines_df(const void *ctx, uint64_t key) {
  const extra *x = ctx;
  uint32_t n = dedup__lines_df(x->lines, key);
  return x->own_lines ? n + dedup__countmap_get(x->own_lines, key) : n;
}

/* ---- one document, prepared -------------------------------------------- */

void dedup__ix_prep_free(prep *q) {
  dedup__free(q->d.text);
  dedup__free(q->d.title);
  dedup__u64vec_free(&q->d.bg);
  dedup__termset_free(&q->item.counts);
  dedup__free(q->sig64);
  dedup__free(q->sig);
  dedup__free(q->words);
  dedup__u64vec_free(&q->lines);
  dedup__countmap_free(&q->own_lines);
  dedup__countmap_free(&q->own_df);
  dedup__free(q->groups);
  dedup__free(q->vid);
  dedup__free(q->samples);
  dedup__free(q->hits);
  *q = (prep){0};
}

/* Normalises the text and title into q->d (meta checked already). */
static int prep_text(prep *q, const char *text, size_t len,
                     const dedup_doc_meta *meta, int lang) {
  size_t inv = 0;
  if (dedup__normalise(&q->d.text, &q->d.len, text, len, 0, &inv) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (meta && meta->title &&
      dedup__has_word_byte(meta->title, meta->title_len) &&
      dedup__normalise(&q->d.title, &q->d.title_len, meta->title,
                       meta->title_len, 0, NULL) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (meta && meta->has_date) {
    q->d.has_date = 1;
    q->d.date = meta->date;
  }
  q->text_hash = dedup__hash(q->d.text, q->d.len, TEXT_SALT);
  /* Normalising can leave no word (a text of no-break spaces only): such
   * a text is refused as an empty one, since a rebuild, which adds the
   * kept (normalised) text to a run, could not take it. */
  int rc = dedup__doc_check(q->d.text, q->d.len);
  if (rc != DEDUP_OK)
    return rc;
  if (lang > 0) {
    q->d.lang = (uint8_t)lang;
    q->d.lang_state = CDOC_LANG_GIVEN;
  }
  return DEDUP_OK;
}

void dedup__ix_asked_free(asked *a) {
  dedup__u64vec_free(&a->keys);
  dedup__free(a->on2);
  *a = (asked){0};
}

typedef struct asking {
  extra x;
  asked *a;
} asking;

static uint32_t asking_df(const void *ctx, uint64_t key) {
  const asking *k = ctx;
  uint32_t n = extra_lines_df(&k->x, key);
  asked *a = k->a;
  if (a->lost)
    return n;
  if (a->keys.n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 64;
    unsigned char *o = dedup__realloc(a->on2, cap);
    if (!o) {
      a->lost = 1;
      return n;
    }
    a->on2 = o;
    a->cap = cap;
  }
  if (dedup__u64vec_push(&a->keys, key) != DEDUP_OK) {
    a->lost = 1;
    return n;
  }
  a->on2[a->keys.n - 1] = n >= 2;
  return n;
}

/* 1 when every answer a still holds with the index's counts now. */
static int answers_hold(const dedup_index *ix, const prep *q,
                        const asked *a) {
  if (a->lost)
    return 0;
  extra x = {ix->lines, &q->own_lines, NULL, 0};
  for (size_t i = 0; i < a->keys.n; i++)
    if ((extra_lines_df(&x, a->keys.v[i]) >= 2) != a->on2[i])
      return 0;
  return 1;
}

/* Cleans and signs q->d with the index's statistics plus its own lines
 * (s: the caller's scratch); a: NULL, or where the line-count answers it
 * gets are kept. */
static int prep_sign(const dedup_index *ix, dedup__scratch *s, prep *q,
                     asked *a) {
  const dedup_params *p = &ix->p;
  size_t sig_words =
      p->method == DEDUP_METHOD_SIMHASH ? 1 : ((size_t)p->num_perm + 1) / 2;
  q->sig64 = dedup__malloc(sig_words * sizeof *q->sig64);
  q->sig = dedup__malloc(ix->sig32 * sizeof *q->sig);
  q->words =
      dedup__malloc(((size_t)ix->copy_b * ix->copy_r + 1) * sizeof *q->words);
  if (!q->sig64 || !q->sig || !q->words)
    return DEDUP_ENOMEM;
  if (!(p->flags & DEDUP_F_NO_CLEAN)) {
    s->sh.n = 0;
    if (dedup__page_keys(&s->sh, &s->page, q->d.text, q->d.len, p->seed) !=
        DEDUP_OK)
      return DEDUP_ENOMEM;
    dedup__u64_sort_unique(s->sh.v, &s->sh.n);
    if (dedup__u64vec_reserve(&q->lines, s->sh.n) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (s->sh.n) /* a page of no short lines: both may be NULL */
      memcpy(q->lines.v, s->sh.v, s->sh.n * sizeof *q->lines.v);
    q->lines.n = s->sh.n;
    for (size_t i = 0; i < q->lines.n; i++)
      if (dedup__countmap_add(&q->own_lines, q->lines.v[i], 1) != DEDUP_OK)
        return DEDUP_ENOMEM;
  }
  asking k = {{ix->lines, &q->own_lines, NULL, 0}, a};
  if (dedup__doc_sign_main(s, &q->d, p, sig_words,
                           a ? asking_df : extra_lines_df, a ? (void *)&k
                                                             : (void *)&k.x,
                           &ix->heavy, ix->langs, &q->item,
                           q->sig64) != DEDUP_OK)
    return DEDUP_ENOMEM;
  q->signed_ = 1;
  if (q->d.lang_state == CDOC_LANG_UNKNOWN && !(p->flags & DEDUP_F_NO_LANGID)) {
    q->d.lang = (uint8_t)s->lang;
    q->d.lang_state = CDOC_LANG_FOUND;
  }
  q->lt = q->d.lang_state != CDOC_LANG_UNKNOWN ? dedup__lang_terms(q->d.lang)
                                               : DEDUP__LANG_EN;
  if (p->method == DEDUP_METHOD_SIMHASH) {
    q->sig[0] = (uint32_t)q->sig64[0];
    q->sig[1] = (uint32_t)(q->sig64[0] >> 32);
  } else {
    memcpy(q->sig, q->sig64, ix->sig32 * sizeof *q->sig);
  }
  dedup__index_copy_words(ix, q->sig, q->words);
  return DEDUP_OK;
}

/* The copy level: the groups of its verified copies. */
/* The groups of the verified copies of signature sig (LSH words words)
 * appended to q->groups, the best similarity into q->copy_sim. */
static int copies_of(const dedup_index *ix, prep *q, const uint32_t *sig,
                     const uint64_t *words, uint32_t **buf, size_t *cap) {
  size_t n = 0;
  /* A bucket of more than DEDUP__MAX_BUCKET is boilerplate or a crowd of
   * exact copies, as at the batch level: its newest members speak for
   * it. */
  if (dedup__lsh_query_all(ix->copy_lsh, words, DEDUP__MAX_BUCKET, buf, &n,
                           cap) != DEDUP_OK)
    return DEDUP_ENOMEM;
  n = dedup__u32_sort_unique(*buf, n);
  uint32_t *v = dedup__reallocarray(q->groups, q->n_groups + n + 1, sizeof *v);
  if (!v)
    return DEDUP_ENOMEM;
  q->groups = v;
  unsigned maxd = simhash_maxd(&ix->p);
  for (size_t i = 0; i < n; i++) {
    uint32_t c = (*buf)[i];
    const uint32_t *o = ix->sigs + (size_t)c * ix->sig32;
    double sim;
    if (ix->p.method == DEDUP_METHOD_SIMHASH) {
      uint64_t a = sig[0] | (uint64_t)sig[1] << 32;
      uint64_t b = o[0] | (uint64_t)o[1] << 32;
      unsigned dist = (unsigned)__builtin_popcountll(a ^ b);
      if (dist > maxd)
        continue;
      sim = 1.0 - dist / 64.0;
    } else {
      unsigned eq = 0;
      for (unsigned j = 0; j < ix->p.num_perm; j++)
        eq += sig[j] == o[j];
      sim = (double)eq / ix->p.num_perm;
      if (sim < ix->p.threshold)
        continue;
    }
    /* An empty copy is none (the batch verifies no empty item). */
    if (ix->docs[c].words == 0)
      continue;
    q->copy_sim = DEDUP__MAX(q->copy_sim, sim);
    q->groups[q->n_groups++] = dedup__group_root(ix, ix->docs[c].group);
  }
  return DEDUP_OK;
}

/* 1 when some short line of q's is on a page of the index already: then
 * this page may be cleaned otherwise than an older copy of it was. */
static int shares_lines(const dedup_index *ix, const prep *q) {
  for (size_t i = 0; i < q->lines.n; i++)
    if (dedup__lines_df(ix->lines, q->lines.v[i]))
      return 1;
  return 0;
}

/* The copy level as an older copy was cleaned: a page cleaned when its
 * short lines were on no other page kept them, and this one, which sees
 * them twice (its own and the older page's), cleans them away as
 * repeated chrome, so the two signatures differ more than the texts (a
 * seed page with three words edited: 0.73 in the batch, which cleans
 * both alike, below 0.5 here).  So a page that found no copy is signed
 * once more with its own lines left out of the counts, and that
 * signature's copies count too; the one kept is the first (today's). */
static int copies_as_before(const dedup_index *ix, dedup__scratch *s, prep *q,
                            uint32_t **buf, size_t *cap) {
  const dedup_params *p = &ix->p;
  size_t sig_words =
      p->method == DEDUP_METHOD_SIMHASH ? 1 : ((size_t)p->num_perm + 1) / 2;
  cdoc d = q->d;
  d.bg = (dedup__u64vec){0};
  citem it;
  uint64_t *sig64 = dedup__malloc(sig_words * sizeof *sig64);
  uint32_t *sig = dedup__malloc(ix->sig32 * sizeof *sig);
  uint64_t *words =
      dedup__malloc(((size_t)ix->copy_b * ix->copy_r + 1) * sizeof *words);
  extra x = {ix->lines, NULL, NULL, 0};
  int rc = DEDUP_ENOMEM;
  if (sig64 && sig && words &&
      dedup__doc_sign_main(s, &d, p, sig_words, extra_lines_df, &x, &ix->heavy,
                           ix->langs, &it, sig64) == DEDUP_OK) {
    rc = DEDUP_OK;
    if (!it.empty) {
      if (p->method == DEDUP_METHOD_SIMHASH) {
        sig[0] = (uint32_t)sig64[0];
        sig[1] = (uint32_t)(sig64[0] >> 32);
      } else {
        memcpy(sig, sig64, ix->sig32 * sizeof *sig);
      }
      dedup__index_copy_words(ix, sig, words);
      rc = copies_of(ix, q, sig, words, buf, cap);
    }
    dedup__termset_free(&it.counts);
  }
  dedup__u64vec_free(&d.bg);
  dedup__free(sig64);
  dedup__free(sig);
  dedup__free(words);
  return rc;
}

/* The copy level: the groups of its verified copies. */
static int prep_copies(const dedup_index *ix, dedup__scratch *s, prep *q,
                       uint32_t **buf, size_t *cap) {
  q->copy_sim = 0;
  if (q->item.empty)
    return DEDUP_OK;
  int rc = copies_of(ix, q, q->sig, q->words, buf, cap);
  if (rc == DEDUP_OK && !q->n_groups && !(ix->p.flags & DEDUP_F_NO_CLEAN) &&
      shares_lines(ix, q))
    rc = copies_as_before(ix, s, q, buf, cap);
  if (rc != DEDUP_OK)
    return rc;
  /* An exact copy of a document is its copy, whatever either page's
   * cleaning made of it: the batch level, which cleans both alike, finds
   * it too. */
  uint32_t e = dedup__countmap_get(&ix->exact, q->text_hash);
  if (e && ix->docs[e - 1].state == IXD_LIVE &&
      ix->docs[e - 1].text_hash == q->text_hash) {
    uint32_t g = dedup__group_root(ix, ix->docs[e - 1].group);
    q->copy_sim = 1.0;
    size_t i = 0;
    while (i < q->n_groups && q->groups[i] != g)
      i++;
    if (i == q->n_groups) {
      uint32_t *v = dedup__reallocarray(q->groups, q->n_groups + 1, sizeof *v);
      if (!v)
        return DEDUP_ENOMEM;
      q->groups = v;
      q->groups[q->n_groups++] = g;
    }
  }
  q->n_groups = dedup__u32_sort_unique(q->groups, q->n_groups);
  return DEDUP_OK;
}

/* ---- add and query ----------------------------------------------------- */

static uint32_t oldest_group(const dedup_index *ix, const prep *q) {
  uint32_t t = IX_NONE;
  for (size_t i = 0; i < q->n_groups; i++)
    if (t == IX_NONE ||
        ix->groups[q->groups[i]].copy_id < ix->groups[t].copy_id)
      t = q->groups[i];
  return t;
}

static int make_plan(const dedup_index *ix, dedup_index *ixw, dedup__scratch *s,
                     prep *q, plan *pl) {
  uint32_t *buf = NULL;
  size_t cap = 0;
  *pl = (plan){IX_NONE, IX_NONE, 0, NULL, 0};
  int rc = q->signed_ ? DEDUP_OK : prep_sign(ix, s, q, NULL);
  if (rc == DEDUP_OK)
    rc = prep_copies(ix, s, q, &buf, &cap);
  dedup__free(buf);
  if (rc != DEDUP_OK)
    return rc;
  pl->target = oldest_group(ix, q);
  if (pl->target != IX_NONE)
    return DEDUP_OK;
  /* A new group: this document represents it, so its terms count in df
   * and N, as do its embedded articles' (as in a batch run). */
  const dedup__termset *ts = &q->item.counts;
  for (size_t j = 0; j < ts->n; j++)
    if (dedup__countmap_add(&q->own_df, ts->id[j], 1) != DEDUP_OK)
      return DEDUP_ENOMEM;
  for (size_t j = 0; j < q->d.bg.n; j++)
    if (dedup__countmap_add(&q->own_df, q->d.bg.v[j], 1) != DEDUP_OK)
      return DEDUP_ENOMEM;
  extra x = {ix->lines, NULL, &q->own_df, 1 + (uint32_t)q->d.n_bg};
  if ((rc = dedup__ix_weigh(ix, ts->id, ts->w, (uint32_t)ts->n, q->lt, &x,
                            &q->vid, &q->vw, &q->nv)) != DEDUP_OK)
    return rc;
  return dedup__ix_plan_story(ix, ixw, q, pl);
}

static int cmp_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return (a > b) - (a < b);
}

/* Ids merged away, ascending, into a count and the first MERGES. */
static void list_merged(uint64_t *ids, size_t n, size_t *n_out, uint64_t *out) {
  if (n) /* none: ids may be NULL */
    qsort(ids, n, sizeof *ids, cmp_u64);
  *n_out = n;
  for (size_t i = 0; i < n && i < DEDUP_ASSIGNMENT_MERGES; i++)
    out[i] = ids[i];
}

/* The assignment a plan makes (ids as they are or will be), and the ids
 * it merges away: copy groups (all of q->groups but the target) and the
 * stories of those groups other than the target's oldest-id story. */
static int describe(const dedup_index *ix, const prep *q, const plan *pl,
                    dedup_assignment *out, uint32_t *surv_story) {
  size_t room = q->n_groups + pl->n_merge + 2;
  uint64_t *cm = dedup__malloc(room * sizeof *cm);
  uint64_t *sm = dedup__malloc(room * sizeof *sm);
  uint32_t *st = dedup__malloc(room * sizeof *st);
  if (!cm || !sm || !st) {
    dedup__free(cm);
    dedup__free(sm);
    dedup__free(st);
    return DEDUP_ENOMEM;
  }
  dedup_assignment a = {0};
  a.version = DEDUP_ASSIGNMENT_VERSION;
  a.copy_sim = q->copy_sim;
  size_t ncm = 0, nst = 0;
  uint32_t surv = IX_NONE;
  if (pl->target != IX_NONE) {
    a.copy_id = ix->groups[pl->target].copy_id;
    a.copy_joined = 1;
    a.story_joined = 1;
    for (size_t i = 0; i < q->n_groups; i++) {
      const ixgroup *G = &ix->groups[q->groups[i]];
      if (q->groups[i] != pl->target)
        cm[ncm++] = G->copy_id;
      uint32_t r = dedup__story_root(ix, G->story);
      size_t k = 0;
      while (k < nst && st[k] != r)
        k++;
      if (k == nst)
        st[nst++] = r;
      if (surv == IX_NONE ||
          ix->stories[r].story_id < ix->stories[surv].story_id)
        surv = r;
    }
    a.story_id = ix->stories[surv].story_id;
  } else if (pl->story != IX_NONE) {
    /* Its story and those it brings together: the oldest survives. */
    st[nst++] = surv = pl->story;
    for (size_t i = 0; i < pl->n_merge; i++) {
      uint32_t r = pl->merge[i];
      st[nst++] = r;
      if (ix->stories[r].story_id < ix->stories[surv].story_id)
        surv = r;
    }
    a.story_id = ix->stories[surv].story_id;
    a.story_joined = 1;
  }
  a.story_sim = pl->story_avg;
  size_t nsm = 0;
  for (size_t k = 0; k < nst; k++)
    if (st[k] != surv)
      sm[nsm++] = ix->stories[st[k]].story_id;
  list_merged(cm, ncm, &a.n_copy_merged, a.copy_merged);
  list_merged(sm, nsm, &a.n_story_merged, a.story_merged);
  dedup__free(cm);
  dedup__free(sm);
  dedup__free(st);
  if (out) {
    unsigned v = out->version;
    *out = a; /* version 1 is the only layout so far */
    out->version = v;
  }
  if (surv_story)
    *surv_story = surv;
  return DEDUP_OK;
}

static int check_out(const dedup_assignment *out) {
  return !out ||
         (out->version >= 1 && out->version <= DEDUP_ASSIGNMENT_VERSION);
}

DEDUP_API int dedup_index_query(const dedup_index *ix, const char *text,
                                size_t len, const dedup_doc_meta *meta,
                                dedup_assignment *out) {
  if (!ix || !check_out(out))
    return DEDUP_EINVAL;
  int lang;
  int rc = dedup__add_check("", text, len, meta, &lang);
  if (rc != DEDUP_OK)
    return rc;
  /* A reader has its own scratch: many may run at once.  The stop tables
   * are only read once made, so the writer's serve (no writer runs
   * beside readers); until a writer has made them, the reader makes its
   * own. */
  dedup__langs *own = NULL;
  dedup__scratch s;
  if (!ix->langs && dedup__langs_new(&own, ix->p.seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  if (dedup__scratch_init(&s, &ix->p) != DEDUP_OK) {
    dedup__langs_free(own);
    return DEDUP_ENOMEM;
  }
  /* prep_sign reads ix->langs: a copy of the handle with the tables. */
  dedup_index view = *ix;
  if (own)
    view.langs = own;
  prep q = {0};
  plan pl = {IX_NONE, IX_NONE, 0, NULL, 0};
  rc = prep_text(&q, text, len, meta, lang);
  if (rc == DEDUP_OK)
    rc = make_plan(&view, NULL, &s, &q, &pl);
  if (rc == DEDUP_OK) {
    rc = describe(ix, &q, &pl, out, NULL);
    if (rc == DEDUP_OK && out && pl.target == IX_NONE && pl.story == IX_NONE)
      out->story_id = 0;
  }
  dedup__ix_prep_free(&q);
  dedup__free(pl.merge);
  dedup__scratch_free(&s);
  dedup__langs_free(own);
  return rc;
}

/* ---- the commit -------------------------------------------------------- */

/* Subtracts (sign -1) or adds (+1) a document's terms as a
 * representative: df of each term and N of its language. */
int dedup__index_count_rep(dedup_index *ix, const ixdoc *d, int sign) {
  const uint64_t *t = ixdoc_terms(d);
  for (uint32_t j = 0; j < d->n_terms; j++)
    if (dedup__countmap_add(&ix->df, t[j], (uint32_t)sign) != DEDUP_OK)
      return DEDUP_ENOMEM;
  ix->N[dedup__ixdoc_lt(d)] += (uint32_t)sign;
  return DEDUP_OK;
}

/* Merges member lists a and b (slot order) and returns the head. */
static uint32_t merge_members(dedup_index *ix, uint32_t a, uint32_t b,
                              uint32_t *tail) {
  uint32_t head = IX_NONE, *link = &head, last = IX_NONE;
  while (a != IX_NONE || b != IX_NONE) {
    uint32_t *from = (b == IX_NONE || (a != IX_NONE && a < b)) ? &a : &b;
    uint32_t x = *from;
    *from = ix->docs[x].next;
    *link = x;
    link = &ix->docs[x].next;
    last = x;
  }
  *link = IX_NONE;
  *tail = last;
  return head;
}

/* The better representative of two (more words; ties: the older). */
uint32_t dedup__index_better(const dedup_index *ix, uint32_t a, uint32_t b) {
  if (a == IX_NONE)
    return b;
  if (b == IX_NONE)
    return a;
  uint32_t wa = ix->docs[a].words, wb = ix->docs[b].words;
  if (wa != wb)
    return wa > wb ? a : b;
  return a < b ? a : b;
}

/* The record block of a prepared document into d. */
static int keep_records(ixdoc *d, const prep *q) {
  const dedup__termset *ts = &q->item.counts;
  uint32_t nt = (uint32_t)ts->n, nb = (uint32_t)q->d.bg.n,
           nl = (uint32_t)q->lines.n;
  d->n_terms = nt;
  d->n_bg = nb;
  d->n_lines = nl;
  d->n_bg_arts = (uint32_t)q->d.n_bg;
  d->rec = NULL;
  if (!nt && !nb && !nl)
    return DEDUP_OK;
  d->rec = dedup__malloc(ixdoc_rec_bytes(nt, nb, nl));
  if (!d->rec)
    return DEDUP_ENOMEM;
  if (nt)
    memcpy(ixdoc_terms(d), ts->id, nt * sizeof(uint64_t));
  if (nb)
    memcpy(ixdoc_bg(d), q->d.bg.v, nb * sizeof(uint64_t));
  if (nl)
    memcpy(ixdoc_lines(d), q->lines.v, nl * sizeof(uint64_t));
  if (nt)
    memcpy(ixdoc_counts(d), ts->w, nt * sizeof(float));
  return DEDUP_OK;
}

/* A new slot for a document (id copied, text kept when asked or
 * deferred), entered in the id map.  Not counted live yet. */
static int new_slot(dedup_index *ix, const char *id, prep *q, int keep_text,
                    uint32_t *slot) {
  int rc = dedup__index_room(ix, 1, 1, 1);
  if (rc != DEDUP_OK)
    return rc;
  uint32_t sl = (uint32_t)ix->n_docs;
  ixdoc *d = &ix->docs[sl];
  *d = (ixdoc){0};
  d->group = IX_NONE;
  d->next = IX_NONE;
  d->id = dedup__strdup(id);
  if (!d->id || dedup__index_map(ix, sl) != DEDUP_OK) {
    dedup__free(d->id);
    d->id = NULL;
    return DEDUP_ENOMEM;
  }
  d->has_date = (uint8_t)q->d.has_date;
  d->date = q->d.date;
  d->text_hash = q->text_hash;
  d->lang = q->d.lang;
  d->lang_state = q->d.lang_state;
  if (keep_text) {
    d->text = q->d.text;
    d->len = q->d.len;
    d->title = q->d.title;
    d->title_len = q->d.title_len;
    q->d.text = q->d.title = NULL;
  }
  *slot = sl;
  return DEDUP_OK;
}

/* Counts the slot in. */
static void count_live(dedup_index *ix, uint32_t sl) {
  ix->n_docs = (size_t)sl + 1;
  ix->n_live++;
  dedup__index_live_sync(ix, sl);
}

/* The document in slot sl (its slot, id and text made by new_slot) is
 * entered as the plan says.  Everything that can fail comes first, while
 * nothing anyone can see has changed (records, room in the count tables
 * and the merge log, the LSH entries, which are taken out again when a
 * later step fails); what follows cannot fail, so an add either happens
 * whole or not at all.  A copy group whose representative changes keeps
 * the old vector, marked stale, when it cannot be weighed at once: it is
 * weighed on its next use (group_vec). */
static int commit(dedup_index *ix, prep *q, const plan *pl, uint32_t sl,
                  uint32_t surv_story) {
  ixdoc *d = &ix->docs[sl];
  int rc;
  int in_copy = 0;
  uint32_t g_new = (uint32_t)ix->n_groups;
  uint32_t *smp = NULL;
  uint64_t *scratch = dedup__malloc(ix->story_k * sizeof *scratch);
  if (!scratch)
    return DEDUP_ENOMEM;
  if ((rc = dedup__index_merge_room(ix, 2 * q->n_groups + pl->n_merge + 1)) !=
          DEDUP_OK ||
      (rc = keep_records(d, q)) != DEDUP_OK ||
      (rc = dedup__countmap_reserve(&ix->df, (size_t)d->n_bg + d->n_terms)) !=
          DEDUP_OK ||
      (rc = dedup__lines_reserve(ix->lines, q->lines.v, q->lines.n)) !=
          DEDUP_OK ||
      (rc = dedup__countmap_reserve(&ix->exact, 1)) != DEDUP_OK)
    goto fail;
  memcpy(ix->sigs + (size_t)sl * ix->sig32, q->sig, ix->sig32 * sizeof *q->sig);
  if (!q->item.empty) {
    if ((rc = dedup__lsh_insert(ix->copy_lsh, sl, q->words)) != DEDUP_OK)
      goto fail;
    in_copy = 1;
  }
  if (pl->target == IX_NONE && q->nv) {
    smp = dedup__malloc(ix->story_k * sizeof *smp);
    if (!smp) {
      rc = DEDUP_ENOMEM;
      goto fail;
    }
    if ((rc = dedup__lsh_insert(ix->story_lsh, g_new, q->samples)) != DEDUP_OK)
      goto fail;
  }

  /* From here on nothing fails. */
  d->words = q->item.words;
  d->state = IXD_LIVE;
  d->text_hash = q->text_hash;
  /* The lowest live slot of a text with words (empty items copy
   * nothing): exact copies share a group, whose list is in slot order,
   * so a removal hands the entry to the next (remove.c) and an open
   * finds the same. */
  if (d->words && !dedup__countmap_get(&ix->exact, d->text_hash))
    (void)dedup__countmap_add(&ix->exact, d->text_hash, sl + 1);
  (void)dedup__lines_add(ix->lines, q->lines.v, q->lines.n);
  const uint64_t *bg = ixdoc_bg(d);
  for (uint32_t j = 0; j < d->n_bg; j++)
    (void)dedup__countmap_add(&ix->df, bg[j], 1);
  ix->N[dedup__ixdoc_lt(d)] += d->n_bg_arts;
  if (pl->target == IX_NONE) {
    /* A group of its own, in the story found or one of its own. */
    uint32_t g = (uint32_t)ix->n_groups++;
    ixgroup *G = &ix->groups[g];
    *G = (ixgroup){0};
    G->copy_id = ix->next_copy_id++;
    G->parent = g;
    G->head = G->tail = sl;
    G->n_members = 1;
    G->dated = d->has_date;
    G->date = d->date;
    (void)dedup__index_count_rep(ix, d, 1);
    G->rep = sl;
    G->vid = q->vid;
    G->vw = q->vw;
    G->nv = q->nv;
    G->weighed_n = G->sampled_n = ix->N[dedup__ixdoc_lt(d)];
    q->vid = NULL;
    if (G->nv) {
      G->smp = smp;
      smp = NULL;
      (void)dedup__ix_keep_samples(ix, G, q->samples); /* has its room */
    }
    if (pl->story != IX_NONE) {
      dedup__ix_story_add_group(ix, pl->story, g);
      /* The stories it brings together merge into the oldest. */
      for (size_t i = 0; i < pl->n_merge; i++)
        if (pl->merge[i] != surv_story)
          dedup__ix_merge_story(ix, surv_story, pl->merge[i]);
      if (pl->story != surv_story)
        dedup__ix_merge_story(ix, surv_story, pl->story);
    } else {
      uint32_t st = (uint32_t)ix->n_stories++;
      ix->stories[st] = (ixstory){ix->next_story_id++, st, 0, IX_NONE, IX_NONE};
      dedup__ix_story_add_group(ix, st, g);
    }
    for (size_t i = 0; i < q->n_hits; i++) {
      dedup__ix_add_link(&ix->groups[g], q->hits[i].g, q->hits[i].x);
      dedup__ix_add_link(&ix->groups[q->hits[i].g], g, q->hits[i].x);
    }
    d->group = g;
    dedup__free(scratch);
    return DEDUP_OK;
  }
  /* It joins the oldest group it copies; the others merge into it, and
   * their stories into the oldest story among them. */
  uint32_t t = pl->target;
  ixgroup *T = &ix->groups[t];
  for (size_t i = 0; i < q->n_groups; i++) {
    uint32_t r = dedup__story_root(ix, ix->groups[q->groups[i]].story);
    if (r != surv_story)
      dedup__ix_merge_story(ix, surv_story, r);
  }
  uint32_t rep = dedup__index_better(ix, T->rep, sl);
  for (size_t i = 0; i < q->n_groups; i++)
    if (q->groups[i] != t)
      rep = dedup__index_better(ix, rep, ix->groups[q->groups[i]].rep);
  for (size_t i = 0; i < q->n_groups; i++) {
    uint32_t m = q->groups[i];
    if (m == t)
      continue;
    ixgroup *M = &ix->groups[m];
    if (M->nv) { /* its samples out of the story LSH */
      dedup__ix_widen(ix, M, scratch);
      dedup__lsh_remove(ix->story_lsh, m, scratch);
    }
    if (M->rep != rep)
      (void)dedup__index_count_rep(ix, &ix->docs[M->rep], -1);
    uint32_t tail;
    T->head = merge_members(ix, T->head, M->head, &tail);
    T->tail = tail;
    T->n_members += M->n_members;
    for (size_t l = 0; l < M->n_links; l++)
      if (M->links[l].g != t)
        dedup__ix_add_link(T, M->links[l].g, M->links[l].x);
    M->n_links = 0;
    if (M->dated && (!T->dated || M->date < T->date)) {
      T->dated = 1;
      T->date = M->date;
    }
    dedup__free(M->vid);
    dedup__free(M->smp);
    M->vid = NULL;
    M->vw = NULL;
    M->smp = NULL;
    M->nv = 0;
    M->rep = IX_NONE;
    M->head = M->tail = IX_NONE;
    M->n_members = 0;
    M->parent = t;
    (void)dedup__index_log_merge(ix, DEDUP_LEVEL_COPY, M->copy_id, T->copy_id);
    ix->stories[surv_story].n_groups--;
  }
  /* Members carry their group slot: the merged ones now t's. */
  for (uint32_t x = T->head; x != IX_NONE; x = ix->docs[x].next)
    ix->docs[x].group = t;
  /* The new document goes last (its slot is the largest). */
  d->group = t;
  d->next = IX_NONE;
  ix->docs[T->tail].next = sl;
  T->tail = sl;
  T->n_members++;
  if (d->has_date && (!T->dated || d->date < T->date)) {
    T->dated = 1;
    T->date = d->date;
  }
  T->story = surv_story;
  if (rep != T->rep) {
    /* Counts as the new representative has them; its vector now, or
     * stale until its next use. */
    if (T->rep != IX_NONE)
      (void)dedup__index_count_rep(ix, &ix->docs[T->rep], -1);
    if (rep == sl)
      (void)dedup__index_count_rep(ix, d, 1);
    T->rep = rep;
    /* Weighed again (or on its next use); a copy's terms are the old
     * representative's nearly, so its samples stay (reweigh_group). */
    T->weighed_n = 0;
    /* A vector weighed later weighs otherwise than the journal's redo
     * would: the next save writes the file whole. */
    if (dedup__index_reweigh(ix, t) != DEDUP_OK)
      dedup__journal_lost(ix);
  }
  dedup__free(scratch);
  return DEDUP_OK;
fail: /* the story LSH insert is the last step that can fail */
  if (in_copy)
    dedup__lsh_remove(ix->copy_lsh, sl, q->words);
  dedup__free(smp);
  dedup__free(scratch);
  dedup__free(d->rec);
  d->rec = NULL;
  return rc;
}

DEDUP_API int dedup_index_add(dedup_index *ix, const char *id, const char *text,
                              size_t len, const dedup_doc_meta *meta,
                              unsigned flags, dedup_assignment *out) {
  if (!ix || !id || !*id || !check_out(out) ||
      (flags & ~(unsigned)(DEDUP_ADD_REPLACE | DEDUP_ADD_DEFER)))
    return DEDUP_EINVAL;
  if (ix->flags & DEDUP_INDEX_READ_ONLY)
    return DEDUP_ESTATE;
  int lang;
  int rc = dedup__add_check(id, text, len, meta, &lang);
  if (rc != DEDUP_OK)
    return rc;
  return dedup__index_add(ix, id, text, len, meta, lang, flags, out);
}

int dedup__ix_prep_ahead(const dedup_index *ix, dedup__scratch *s, prep *q,
                         asked *a, const char *text, size_t len,
                         const dedup_doc_meta *meta, int lang,
                         unsigned flags) {
  int rc = prep_text(q, text, len, meta, lang);
  if (rc != DEDUP_OK || (flags & DEDUP_ADD_DEFER))
    return rc;
  if (prep_sign(ix, s, q, a) != DEDUP_OK) {
    /* Signed at its turn instead, from a text prepared again. */
    dedup__ix_prep_free(q);
    dedup__ix_asked_free(a);
    return prep_text(q, text, len, meta, lang);
  }
  return DEDUP_OK;
}

int dedup__ix_add_prepared(dedup_index *ix, const char *id, prep *q,
                           asked *a, const char *text, size_t len,
                           const dedup_doc_meta *meta, int lang,
                           unsigned flags, dedup_assignment *out) {
  int rc = DEDUP_OK;
  plan pl = {IX_NONE, IX_NONE, 0, NULL, 0};
  uint32_t sl, surv = IX_NONE;
  if (dedup__index_find(ix, id) != IX_NONE)
    rc = dedup__index_remove_slot(ix, dedup__index_find(ix, id));
  if (rc == DEDUP_OK)
    rc = dedup__index_ready(ix);
  /* Signed with counts an earlier add of the batch has changed since:
   * signed again, now. */
  if (rc == DEDUP_OK && q->signed_ && a && !answers_hold(ix, q, a)) {
    dedup__ix_prep_free(q);
    rc = prep_text(q, text, len, meta, lang);
  }
  if (rc != DEDUP_OK) {
    dedup__ix_prep_free(q);
    return rc;
  }
  if (flags & DEDUP_ADD_DEFER) {
    rc = new_slot(ix, id, q, 1, &sl);
    if (rc == DEDUP_OK) {
      ix->docs[sl].state = IXD_DEFERRED;
      count_live(ix, sl);
      ix->n_deferred++;
      dedup__journal_add(ix, sl, text, len, meta, lang, flags);
    }
    dedup__ix_prep_free(q);
    return rc;
  }
  if (rc == DEDUP_OK)
    rc = make_plan(ix, ix, &ix->ws, q, &pl);
  if (rc == DEDUP_OK)
    rc = describe(ix, q, &pl, out, &surv);
  if (rc == DEDUP_OK)
    rc = new_slot(ix, id, q, (ix->flags & DEDUP_INDEX_KEEP_TEXTS) != 0, &sl);
  if (rc == DEDUP_OK) {
    if (pl.target == IX_NONE && pl.story == IX_NONE)
      surv = IX_NONE;
    rc = commit(ix, q, &pl, sl, surv);
    if (rc == DEDUP_OK) {
      count_live(ix, sl);
      ixgroup *G = &ix->groups[ix->docs[sl].group];
      uint64_t given = ix->stories[dedup__story_root(ix, G->story)].story_id;
      /* Out of memory here leaves the document added and the index
       * whole; only the look at old groups is skipped (which a redo of
       * the journal would not skip: the next save writes the file). */
      if (dedup__ix_revisit(ix) != DEDUP_OK)
        dedup__journal_lost(ix);
      dedup__journal_add(ix, sl, text, len, meta, lang, flags);
      if (out) {
        G = &ix->groups[ix->docs[sl].group];
        out->copy_id = G->copy_id;
        out->story_id = ix->stories[dedup__story_root(ix, G->story)].story_id;
        /* A look at an old group merged its story: the document is in
         * the older one, and the story it was given is reported merged
         * into it. */
        if (out->story_id != given) {
          out->story_joined = 1;
          /* In its place: the list ascends, the first MERGES kept. */
          size_t k =
              DEDUP__MIN(out->n_story_merged, (size_t)DEDUP_ASSIGNMENT_MERGES);
          uint64_t v[DEDUP_ASSIGNMENT_MERGES + 1];
          size_t m = 0;
          for (size_t i = 0; i < k; i++) {
            if (m == i && out->story_merged[i] > given)
              v[m++] = given;
            v[m++] = out->story_merged[i];
          }
          if (m == k)
            v[m++] = given;
          memcpy(out->story_merged, v,
                 DEDUP__MIN(m, (size_t)DEDUP_ASSIGNMENT_MERGES) * sizeof *v);
          out->n_story_merged++;
        }
      }
    } else { /* nothing of it was entered */
      dedup__index_unmap(ix, sl);
      dedup__ixdoc_free(&ix->docs[sl]);
    }
  }
  /* A failure once the plan began may leave vectors it weighed again in
   * place, and the tables' layout other: nothing a redo would make, so
   * the next save writes the file whole. */
  if (rc != DEDUP_OK)
    dedup__journal_lost(ix);
  dedup__ix_prep_free(q);
  dedup__free(pl.merge);
  return rc;
}

int dedup__index_add(dedup_index *ix, const char *id, const char *text,
                     size_t len, const dedup_doc_meta *meta, int lang,
                     unsigned flags, dedup_assignment *out) {
  if (dedup__index_find(ix, id) != IX_NONE && !(flags & DEDUP_ADD_REPLACE))
    return DEDUP_EEXIST;
  /* The text first: one that is refused replaces nothing. */
  prep q = {0};
  int rc = prep_text(&q, text, len, meta, lang);
  if (rc != DEDUP_OK) {
    dedup__ix_prep_free(&q);
    return rc;
  }
  return dedup__ix_add_prepared(ix, id, &q, NULL, text, len, meta, lang,
                                flags, out);
}
