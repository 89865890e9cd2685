/* stories.c - the story level of the service index: weighing and
 * sampling a group's vector, its candidates (the story LSH, or its kept
 * links), the story a new group joins and the stories it brings
 * together, and the second looks at old groups each add makes.  What an
 * add does around it is assign.c. */
#include "service/assign.h"

#include "common/sort.h"
#include "sketch/wminhash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
/* A stored vector is weighed again when its language's document count
 * has grown by this factor since: IDF is ln((N+1)/(df+0.5)), so growth g
 * shifts every weight by up to ln g before normalising, 0.22 at 1.25,
 * small against the weights that decide (2-8); re-weighing at each
 * quarter costs a vector O(log N) weighings over its life. */
#define REWEIGH_GROWTH 1.25

/* A new document's terms that no other document has yet weigh this
 * much (times their TF-IDF) in the vector its story is chosen with,
 * where the batch level's 0.3 (DEDUP__SINGLE_DOC_WEIGHT: a term one
 * document has links to nothing) would leave the vector to the words it
 * shares with old stories and draw it into one of them before the
 * documents that share its new words arrive; a story split that way is
 * mended later by a look at its groups (revisit), a wrong join never.
 * Measured streaming (pairwise F1; batch 0.947 and 0.808):
 *
 *   weight           0.3    0.45   0.5    0.6    0.8    1.0
 *   newswcl50        0.865  0.969  0.969  0.969  0.925  0.857
 *   gva-dev-jsonl    0.808  0.813  0.820  0.813  0.807  0.791
 *   gva-dev (files)  0.613  0.633  0.622  0.637  0.638  0.636
 *
 * (gva-dev's pages in file order, without dates and without the word
 * runs a rebuild finds, is no target: a rebuild gives it 0.754.)
 * The stored vector is weighed as the batch weighs it. */
#define NEW_TERM_WEIGHT 0.5

/* ---- weighing ---------------------------------------------------------- */

/* Story samples of a vector (squared weights, as story.c samples), as
 * the story LSH takes them: the low halves (a group keeps those; two
 * different samples agree there with chance 2^-32, and a candidate is
 * only proposed, never linked, by the LSH). */
int dedup__ix_samples(const dedup_index *ix, const uint64_t *vid,
                      const float *vw, uint32_t nv, uint64_t *out) {
  float *w = dedup__malloc((nv ? nv : 1) * sizeof *w);
  if (!w)
    return DEDUP_ENOMEM;
  for (uint32_t j = 0; j < nv; j++)
    w[j] = vw[j] * vw[j];
  dedup__wminhash_dart(out, ix->story_k, vid, w, nv,
                       dedup__story_seed(ix->p.seed));
  dedup__free(w);
  for (unsigned j = 0; j < ix->story_k; j++)
    out[j] = (uint32_t)out[j];
  return DEDUP_OK;
}

/* A group's kept samples as the LSH takes them, into out (story_k). */
void dedup__ix_widen(const dedup_index *ix, const ixgroup *G, uint64_t *out) {
  for (unsigned j = 0; j < ix->story_k; j++)
    out[j] = G->smp[j];
}

/* Keeps samples s (story_k) as group G's; DEDUP_ENOMEM leaves G as it
 * was. */
int dedup__ix_keep_samples(const dedup_index *ix, ixgroup *G,
                           const uint64_t *s) {
  uint32_t *k = G->smp ? G->smp : dedup__malloc(ix->story_k * sizeof *G->smp);
  if (!k)
    return DEDUP_ENOMEM;
  for (unsigned j = 0; j < ix->story_k; j++)
    k[j] = (uint32_t)s[j];
  G->smp = k;
  return DEDUP_OK;
}

/* A TF-IDF vector of counts (ids ascending) with df (+ own) and N (+ own
 * n) of language lt, into one block *vid (ids) / *vw (weights after
 * them), L2-normalised, as story.c's weigh_rep. */
int dedup__ix_weigh(const dedup_index *ix, const uint64_t *id, const float *cnt,
                    uint32_t n, unsigned lt, const extra *x, uint64_t **vid,
                    float **vw, uint32_t *nv) {
  *vid = NULL;
  *vw = NULL;
  *nv = 0;
  uint64_t *b = dedup__malloc((n ? n : 1) * (sizeof *b + sizeof(float)));
  if (!b)
    return DEDUP_ENOMEM;
  float *w = (float *)(void *)(b + (n ? n : 1));
  double Nl = (double)ix->N[lt] + (x ? x->own_n : 0), norm = 0;
  uint32_t m = 0;
  for (uint32_t j = 0; j < n; j++) {
    uint32_t dfv = dedup__countmap_get(&ix->df, id[j]);
    if (x && x->own_df)
      dfv += dedup__countmap_get(x->own_df, id[j]);
    double v = dedup__story_weight(cnt[j], dfv, Nl);
    if (x && dfv < 2)
      v *= NEW_TERM_WEIGHT / DEDUP__SINGLE_DOC_WEIGHT;
    if (v <= 0)
      continue;
    b[m] = id[j];
    w[m] = (float)v;
    norm += v * v;
    m++;
  }
  norm = sqrt(norm);
  for (uint32_t j = 0; j < m; j++)
    w[j] = norm > 0 ? (float)(w[j] / norm) : 0;
  /* The weights move up to follow the m ids. */
  if (m < n)
    memmove(b + m, w, m * sizeof *w);
  *vid = b;
  *vw = (float *)(void *)(b + m);
  *nv = m;
  return DEDUP_OK;
}

/* Cosine of two vectors (ids ascending), summed in id order as the batch
 * level sums it. */
static double vdot(const uint64_t *ia, const float *wa, uint32_t na,
                   const uint64_t *ib, const float *wb, uint32_t nb) {
  double x = 0;
  uint32_t i = 0, j = 0;
  /* Branch-free steps: which side moves is data, not a jump the
   * processor must guess; the products are added in id order still. */
  while (i < na && j < nb) {
    uint64_t a = ia[i], b = ib[j];
    double p = (double)wa[i] * wb[j];
    x += a == b ? p : 0.0;
    i += a <= b;
    j += b <= a;
  }
  return x;
}

/* Group g's vector weighed again from its representative's counts, in
 * place (writer only).  Its samples stay: they only propose candidates,
 * and taking them again means removing the old ones from the LSH, a walk
 * of a bucket a sample.  Measured with samples taken again at each
 * twofold or fourfold growth of the document count, or never (pairwise
 * F1 streaming; CPU of 15,000 generated pages): newswcl50 0.969 all
 * three; gva-dev-jsonl 0.821, 0.823, 0.822; gva-dev 0.688, 0.693, 0.697;
 * 11.7 s (fourfold) against 8.5 s (never).  A group that had no vector
 * (no term of positive weight) is sampled when it gets one. */
int dedup__index_reweigh(dedup_index *ix, uint32_t g) {
  ixgroup *G = &ix->groups[g];
  const ixdoc *r = &ix->docs[G->rep];
  unsigned lt = dedup__ixdoc_lt(r);
  if (G->nv) {
    uint64_t *vid;
    float *vw;
    uint32_t nv;
    int rc = dedup__ix_weigh(ix, ixdoc_terms(r), ixdoc_counts(r), r->n_terms,
                             lt, NULL, &vid, &vw, &nv);
    if (rc != DEDUP_OK)
      return rc;
    if (nv) { /* same terms: nv is 0 only if every IDF fell to 0 */
      dedup__free(G->vid);
      G->vid = vid;
      G->vw = vw;
      G->nv = nv;
      G->weighed_n = ix->N[lt];
      return DEDUP_OK;
    }
    dedup__free(vid);
  }
  uint64_t *vid, *old = dedup__malloc(2 * ix->story_k * sizeof *old);
  float *vw;
  uint32_t nv;
  if (!old)
    return DEDUP_ENOMEM;
  uint64_t *neu = old + ix->story_k;
  int rc = dedup__ix_weigh(ix, ixdoc_terms(r), ixdoc_counts(r), r->n_terms, lt,
                           NULL, &vid, &vw, &nv);
  uint32_t *keep = NULL;
  if (rc == DEDUP_OK && nv)
    rc = dedup__ix_samples(ix, vid, vw, nv, neu);
  if (rc == DEDUP_OK && nv && !G->smp &&
      !(keep = dedup__malloc(ix->story_k * sizeof *keep)))
    rc = DEDUP_ENOMEM;
  if (rc == DEDUP_OK && nv)
    rc = dedup__lsh_insert(ix->story_lsh, g, neu);
  if (rc != DEDUP_OK) { /* the group as it was */
    dedup__free(keep);
    dedup__free(old);
    dedup__free(vid);
    return rc;
  }
  if (keep)
    G->smp = keep;
  if (G->nv) {
    dedup__ix_widen(ix, G, old);
    dedup__lsh_remove(ix->story_lsh, g, old);
  }
  if (nv)
    (void)dedup__ix_keep_samples(ix, G, neu); /* has its room */
  else {
    dedup__free(G->smp);
    G->smp = NULL;
  }
  dedup__free(old);
  dedup__free(G->vid);
  G->vid = vid;
  G->vw = vw;
  G->nv = nv;
  G->weighed_n = G->sampled_n = ix->N[lt];
  return DEDUP_OK;
}

static int stale(const dedup_index *ix, const ixgroup *G) {
  unsigned lt = dedup__ixdoc_lt(&ix->docs[G->rep]);
  return (double)ix->N[lt] > REWEIGH_GROWTH * G->weighed_n + 1;
}

/* ---- the story of a new group ------------------------------------------ */

typedef struct hitcount {
  uint32_t g, cnt;
} hitcount;

typedef struct score {
  uint32_t story;
  uint32_t g; /* the group scored (while per group) */
  double sum;
} score;

static int cmp_score(const void *x, const void *y) {
  const score *a = x, *b = y;
  if (a->story != b->story)
    return (a->story > b->story) - (a->story < b->story);
  return (a->g > b->g) - (a->g < b->g);
}

/* The time factor of two groups' dates (1 unless both are dated and time
 * is used), as story.c applies it. */
static double decay(const dedup_index *ix, int da, int64_t ta, int db,
                    int64_t tb) {
  if (ix->p.story_days <= 0 || !da || !db)
    return 1;
  return dedup__story_time_factor(ix->p.story_days, ta, tb);
}

/* A group's vector as it is now: weighed again first when stale (in
 * place by the writer, ixw; into *own, freed by the caller, for a
 * reader). */
static int group_vec(const dedup_index *ix, dedup_index *ixw, uint32_t g,
                     const uint64_t **vid, const float **vw, uint32_t *nv,
                     uint64_t **own) {
  *own = NULL;
  if (stale(ix, &ix->groups[g])) {
    if (ixw) {
      int rc = dedup__index_reweigh(ixw, g);
      if (rc != DEDUP_OK)
        return rc;
    } else {
      const ixdoc *r = &ix->docs[ix->groups[g].rep];
      float *w;
      int rc = dedup__ix_weigh(ix, ixdoc_terms(r), ixdoc_counts(r), r->n_terms,
                               dedup__ixdoc_lt(r), NULL, own, &w, nv);
      *vid = *own;
      *vw = w;
      return rc;
    }
  }
  const ixgroup *G = &ix->groups[g];
  *vid = G->vid;
  *vw = G->vw;
  *nv = G->nv;
  return DEDUP_OK;
}

/* The story score of a linked pair: cosine times the time factor, capped
 * at 1, 0 below DEDUP__STORY_EDGE_MIN (no link), as story.c scores. */
static double link_sim(const dedup_index *ix, const uint64_t *ia,
                       const float *wa, uint32_t na, int da, int64_t ta,
                       const uint64_t *ib, const float *wb, uint32_t nb, int db,
                       int64_t tb) {
  double x = vdot(ia, wa, na, ib, wb, nb) * decay(ix, da, ta, db, tb);
  return x < DEDUP__STORY_EDGE_MIN ? 0 : DEDUP__MIN(x, 1.0);
}

/* Ids read from a story bucket (the newest): a sample many groups share
 * is a common term, and fewer reads of it cost less and leave room for
 * the rare ones.  Measured streaming (pairwise F1; CPU of 6,000
 * generated pages):
 *
 *   walk            8      16     32     64
 *   newswcl50       0.969  0.969  0.969  0.969
 *   gva-dev-jsonl   0.824  0.824  0.821  0.821
 *   gva-dev         0.685  0.694  0.694  0.688
 *   6,000 pages     3.7 s  4.3 s  5.1 s  5.8 s
 */
#define STORY_WALK 16

/* The DEDUP__STORY_TOP_M groups that share most samples with q's (ties:
 * the older group) into cand[0..*nc) (room for DEDUP__STORY_TOP_M). */
static int lsh_cands(const dedup_index *ix, prep *q, uint32_t *cand,
                     size_t *nc_out) {
  *nc_out = 0;
  if (!q->samples) {
    q->samples = dedup__malloc(ix->story_k * sizeof *q->samples);
    if (!q->samples ||
        dedup__ix_samples(ix, q->vid, q->vw, q->nv, q->samples) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  /* An index of no more groups than are scored scores them all: the
   * search is for large ones, and samples taken while it was small are
   * those of its first, coarse statistics. */
  if (ix->n_groups <= DEDUP__STORY_TOP_M) {
    size_t m = 0;
    for (uint32_t g = 0; g < ix->n_groups; g++)
      if (ix->groups[g].parent == g && ix->groups[g].n_members)
        cand[m++] = g;
    *nc_out = m;
    return DEDUP_OK;
  }
  if (!q->samples) {
    q->samples = dedup__malloc(ix->story_k * sizeof *q->samples);
    if (!q->samples ||
        dedup__ix_samples(ix, q->vid, q->vw, q->nv, q->samples) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  uint32_t *ids = NULL, *hist = NULL;
  size_t n = 0, cap = 0, nc = 0;
  hitcount *cv = NULL;
  int rc = dedup__lsh_query_all(ix->story_lsh, q->samples, STORY_WALK, &ids, &n,
                                &cap);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  /* Shared samples per group, counted in a table of twice the hits at
   * least (open addressing; group slots + 1, 0 empty). */
  size_t hcap = 16;
  while (hcap < 2 * n)
    hcap *= 2;
  cv = dedup__calloc(hcap, sizeof *cv);
  hist = dedup__calloc(ix->story_k + 1, sizeof *hist);
  if (!cv || !hist)
    goto out;
  for (size_t i = 0; i < n; i++) {
    uint32_t key = ids[i] + 1;
    size_t h = (size_t)(key * 0x9E3779B1u) & (hcap - 1);
    while (cv[h].g && cv[h].g != key)
      h = (h + 1) & (hcap - 1);
    cv[h].g = key;
    cv[h].cnt++;
  }
  for (size_t h = 0; h < hcap; h++)
    if (cv[h].g) {
      cv[nc] = (hitcount){cv[h].g - 1, cv[h].cnt};
      hist[DEDUP__MIN(cv[nc].cnt, ix->story_k)]++;
      nc++;
    }
  /* The best M: all above some count c, the oldest of those at c for
   * the rest (as story.c selects). */
  size_t m = 0;
  if (nc <= DEDUP__STORY_TOP_M) {
    for (size_t t = 0; t < nc; t++)
      cand[m++] = cv[t].g;
  } else {
    size_t above = 0, c = ix->story_k;
    while (above + hist[c] < DEDUP__STORY_TOP_M)
      above += hist[c--];
    size_t nties = 0;
    for (size_t t = 0; t < nc; t++) {
      size_t ct = DEDUP__MIN(cv[t].cnt, ix->story_k);
      if (ct > c)
        cand[m++] = cv[t].g;
      else if (ct == c)
        ids[nties++] = cv[t].g; /* nties <= t < n: ids is free there */
    }
    dedup__u32_select(ids, nties, DEDUP__STORY_TOP_M - above);
    memcpy(cand + m, ids, (DEDUP__STORY_TOP_M - above) * sizeof *cand);
    m = DEDUP__STORY_TOP_M;
  }
  dedup__u32_insertion_sort(cand, m);
  *nc_out = m;
  rc = DEDUP_OK;
out:
  dedup__free(ids);
  dedup__free(cv);
  dedup__free(hist);
  return rc;
}

/* Scores q's vector against the groups cand[0..nc) (skipping skip and
 * groups no longer live): their links (cosine times the time factor,
 * DEDUP__STORY_EDGE_MIN at least) into q->hits, and per story linked
 * the sum of its links over its live groups (pairs without a link count
 * 0, as in average link) into *out (story slots, averages), best first
 * (ties: the older story). */
static int score_cands(const dedup_index *ix, dedup_index *ixw, prep *q,
                       const uint32_t *cand, size_t nc, uint32_t skip,
                       score **out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  q->n_hits = 0;
  score *sc = dedup__malloc((nc ? nc : 1) * sizeof *sc);
  if (!sc)
    return DEDUP_ENOMEM;
  if (!q->hits &&
      !(q->hits = dedup__malloc(DEDUP__STORY_TOP_M * sizeof *q->hits))) {
    dedup__free(sc);
    return DEDUP_ENOMEM;
  }
  size_t ns = 0;
  int rc = DEDUP_OK;
  for (size_t t = 0; t < nc; t++) {
    uint32_t g = cand[t];
    const ixgroup *G = &ix->groups[g];
    /* The next candidate's vector on its way while this one is scored:
     * at a million documents the vectors are far from the cache, and the
     * cosine waits on them more than it computes. */
    if (t + 1 < nc) {
      const ixgroup *N = &ix->groups[cand[t + 1]];
      for (uint32_t k = 0; k < N->nv; k += 8)
        __builtin_prefetch(N->vid + k);
      for (uint32_t k = 0; k < N->nv; k += 16)
        __builtin_prefetch(N->vw + k);
    }
    if (g == skip || G->parent != g || !G->n_members || !G->nv)
      continue;
    const uint64_t *vid;
    const float *vw;
    uint32_t nv;
    uint64_t *own;
    if ((rc = group_vec(ix, ixw, g, &vid, &vw, &nv, &own)) != DEDUP_OK)
      break;
    G = &ix->groups[g];
    double x = link_sim(ix, q->vid, q->vw, q->nv, q->d.has_date, q->d.date, vid,
                        vw, nv, G->dated, G->date);
    dedup__free(own);
    /* Kept as a link even when too weak for one: weights move. */
    if (q->n_hits < DEDUP__STORY_TOP_M)
      q->hits[q->n_hits++] = (ixlink){g, (float)x};
    if (x <= 0)
      continue;
    sc[ns++] = (score){dedup__story_root(ix, G->story), g, x};
  }
  if (rc != DEDUP_OK) {
    dedup__free(sc);
    return rc;
  }
  qsort(sc, ns, sizeof *sc, cmp_score);
  size_t m = 0;
  for (size_t i = 0; i < ns;) {
    size_t j = i;
    double sum = 0;
    for (; j < ns && sc[j].story == sc[i].story; j++)
      sum += sc[j].sum;
    const ixstory *S = &ix->stories[sc[i].story];
    sc[m++] = (score){sc[i].story, 0, sum / (S->n_groups ? S->n_groups : 1)};
    i = j;
  }
  /* Best first; ties: the older story. */
  for (size_t i = 1; i < m; i++)
    for (size_t j = i; j > 0; j--) {
      const score *x = &sc[j - 1], *y = &sc[j];
      int swap = y->sum > x->sum ||
                 (y->sum == x->sum && ix->stories[y->story].story_id <
                                          ix->stories[x->story].story_id);
      if (!swap)
        break;
      score tmp = sc[j - 1];
      sc[j - 1] = sc[j];
      sc[j] = tmp;
    }
  *out = sc;
  *n_out = m;
  return DEDUP_OK;
}

/* A new group's scores: its LSH candidates scored. */
static int score_stories(const dedup_index *ix, dedup_index *ixw, prep *q,
                         score **out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (!q->nv)
    return DEDUP_OK;
  uint32_t cand[DEDUP__STORY_TOP_M];
  size_t nc;
  int rc = lsh_cands(ix, q, cand, &nc);
  if (rc != DEDUP_OK)
    return rc;

  return score_cands(ix, ixw, q, cand, nc, IX_NONE, out, n_out);
}

/* Stories whose every pair of groups is scored when deciding whether two
 * stories merge: at most this many pairs (larger stories are left as
 * they are; a rebuild joins them if the batch level does). */
#define MERGE_PAIRS_MAX 4096

/* The group slots of story st (live ones) appended to *v. */
static int story_groups(const dedup_index *ix, uint32_t st, uint32_t **v,
                        size_t *n, size_t *cap) {
  for (uint32_t g = ix->stories[st].head; g != IX_NONE;
       g = ix->groups[g].snext) {
    const ixgroup *G = &ix->groups[g];
    if (G->parent != g || !G->n_members)
      continue;
    if (*n == *cap) {
      void *p = *v;
      if (dedup__grow(&p, cap, *n, 1, sizeof **v) != DEDUP_OK)
        return DEDUP_ENOMEM;
      *v = p;
    }
    (*v)[(*n)++] = g;
  }
  return DEDUP_OK;
}

/* Average link between the groups a[0..na) plus the new group (q; NULL:
 * none) and the groups b[0..nb): the sum of their links over all pairs,
 * into *avg. */
static int cross_average(const dedup_index *ix, dedup_index *ixw, const prep *q,
                         const uint32_t *a, size_t na, const uint32_t *b,
                         size_t nb, double *avg) {
  double sum = 0;
  int rc = DEDUP_OK;
  for (size_t j = 0; j < nb && rc == DEDUP_OK; j++) {
    const uint64_t *ib;
    const float *wb;
    uint32_t nvb;
    uint64_t *ownb;
    if ((rc = group_vec(ix, ixw, b[j], &ib, &wb, &nvb, &ownb)) != DEDUP_OK)
      break;
    const ixgroup *B = &ix->groups[b[j]];
    if (q)
      sum += link_sim(ix, q->vid, q->vw, q->nv, q->d.has_date, q->d.date, ib,
                      wb, nvb, B->dated, B->date);
    for (size_t i = 0; i < na; i++) {
      const uint64_t *ia;
      const float *wa;
      uint32_t nva;
      uint64_t *owna;
      if ((rc = group_vec(ix, ixw, a[i], &ia, &wa, &nva, &owna)) != DEDUP_OK)
        break;
      const ixgroup *A = &ix->groups[a[i]];
      sum += link_sim(ix, ia, wa, nva, A->dated, A->date, ib, wb, nvb, B->dated,
                      B->date);
      dedup__free(owna);
    }
    dedup__free(ownb);
  }
  *avg = sum / ((double)(na + (q != NULL)) * (double)(nb ? nb : 1));
  return rc;
}

/* A new group's story: the best scored one when its average reaches the
 * threshold; then every other story it links with an average that
 * reaches it too is merged in when the average link between the two
 * (every pair of their groups scored, the new group in its story)
 * reaches it: the merge average link would make with this group in
 * place. */
int dedup__ix_plan_story(const dedup_index *ix, dedup_index *ixw, prep *q,
                         plan *pl) {
  score *sc;
  size_t ns;
  int rc = score_stories(ix, ixw, q, &sc, &ns);
  if (rc != DEDUP_OK)
    return rc;
  uint32_t *mine = NULL, *theirs = NULL;
  size_t nm = 0, cm = 0, nt = 0, ct = 0;
  if (ns)
    pl->story_avg = sc[0].sum;
  size_t first = 0;
  if (ns && sc[0].sum >= ix->p.story_threshold) {
    pl->story = sc[0].story;
    first = 1;
    if ((rc = story_groups(ix, pl->story, &mine, &nm, &cm)) != DEDUP_OK)
      goto out;
  }
  pl->merge = dedup__malloc((ns ? ns : 1) * sizeof *pl->merge);
  if (!pl->merge) {
    rc = DEDUP_ENOMEM;
    goto out;
  }
  for (size_t i = first; i < ns && sc[i].sum >= ix->p.story_threshold; i++) {
    nt = 0;
    if ((rc = story_groups(ix, sc[i].story, &theirs, &nt, &ct)) != DEDUP_OK)
      goto out;
    if ((nm + 1) * nt > MERGE_PAIRS_MAX)
      continue;
    double avg;
    if ((rc = cross_average(ix, ixw, q, mine, nm, theirs, nt, &avg)) !=
        DEDUP_OK)
      goto out;
    if (avg < ix->p.story_threshold)
      continue;
    pl->merge[pl->n_merge++] = sc[i].story;
    for (size_t j = 0; j < nt; j++) {
      if (nm == cm) {
        void *p = mine;
        if (dedup__grow(&p, &cm, nm, 1, sizeof *mine) != DEDUP_OK) {
          rc = DEDUP_ENOMEM;
          goto out;
        }
        mine = p;
      }
      mine[nm++] = theirs[j];
    }
  }
out:
  dedup__free(sc);
  dedup__free(mine);
  dedup__free(theirs);
  return rc;
}

/* Group G keeps a link to h of score x: its score renewed when kept
 * already, else in a free place or the weakest one's (when stronger). */
void dedup__ix_add_link(ixgroup *G, uint32_t h, float x) {
  size_t weak = 0;
  for (size_t i = 0; i < G->n_links; i++) {
    if (G->links[i].g == h) {
      G->links[i].x = x;
      return;
    }
    if (G->links[i].x < G->links[weak].x)
      weak = i;
  }
  if (G->n_links < IX_LINKS)
    G->links[G->n_links++] = (ixlink){h, x};
  else if (x > G->links[weak].x)
    G->links[weak] = (ixlink){h, x};
}

/* Removes group g's current samples from the story LSH. */
static void unsample(dedup_index *ix, uint32_t g) {
  ixgroup *G = &ix->groups[g];
  if (!G->nv || !G->smp)
    return;
  uint64_t smp[DEDUP__WMINHASH_MAX_K]; /* story_k <= it: no allocation */
  dedup__ix_widen(ix, G, smp);
  dedup__lsh_remove(ix->story_lsh, g, smp);
}

/* Group g's representative becomes r (already counted in df): vector
 * weighed, samples in the story LSH.  Out of memory, the group is left
 * without a vector (out of the story LSH: no later group finds it, a
 * rebuild weighs it), never half made. */
int dedup__index_set_rep(dedup_index *ix, uint32_t g, uint32_t r) {
  ixgroup *G = &ix->groups[g];
  unsample(ix, g);
  dedup__free(G->vid);
  dedup__free(G->smp);
  G->vid = NULL;
  G->vw = NULL;
  G->smp = NULL;
  G->nv = 0;
  G->rep = r;
  if (r == IX_NONE)
    return DEDUP_OK;
  const ixdoc *d = &ix->docs[r];
  G->weighed_n = G->sampled_n = ix->N[dedup__ixdoc_lt(d)];
  uint64_t *vid;
  float *vw;
  uint32_t nv;
  int rc = dedup__ix_weigh(ix, ixdoc_terms(d), ixdoc_counts(d), d->n_terms,
                           dedup__ixdoc_lt(d), NULL, &vid, &vw, &nv);
  if (rc != DEDUP_OK || !nv) {
    dedup__free(vid);
    return rc;
  }
  uint64_t smp[DEDUP__WMINHASH_MAX_K];
  uint32_t *keep = dedup__malloc(ix->story_k * sizeof *keep);
  if (!keep || dedup__ix_samples(ix, vid, vw, nv, smp) != DEDUP_OK ||
      dedup__lsh_insert(ix->story_lsh, g, smp) != DEDUP_OK) {
    dedup__free(keep);
    dedup__free(vid);
    return DEDUP_ENOMEM;
  }
  for (unsigned j = 0; j < ix->story_k; j++)
    keep[j] = (uint32_t)smp[j];
  G->vid = vid;
  G->vw = vw;
  G->nv = nv;
  G->smp = keep;
  return DEDUP_OK;
}

/* Merges story b into story a (a survives): b's groups are a's.  Room
 * in the merge log was made. */
void dedup__ix_merge_story(dedup_index *ix, uint32_t a, uint32_t b) {
  ixstory *A = &ix->stories[a], *B = &ix->stories[b];
  (void)dedup__index_log_merge(ix, DEDUP_LEVEL_STORY, B->story_id, A->story_id);
  for (uint32_t g = B->head; g != IX_NONE; g = ix->groups[g].snext)
    ix->groups[g].story = a;
  if (B->head != IX_NONE) {
    if (A->head == IX_NONE)
      A->head = B->head;
    else
      ix->groups[A->tail].snext = B->head;
    A->tail = B->tail;
  }
  B->head = B->tail = IX_NONE;
  A->n_groups += B->n_groups;
  B->n_groups = 0;
  B->parent = a;
}

/* Group g (new) joins story st: its list and count. */
void dedup__ix_story_add_group(dedup_index *ix, uint32_t st, uint32_t g) {
  ixstory *S = &ix->stories[st];
  ix->groups[g].story = st;
  ix->groups[g].snext = IX_NONE;
  if (S->head == IX_NONE)
    S->head = g;
  else
    ix->groups[S->tail].snext = g;
  S->tail = g;
  S->n_groups++;
}

/* Each add looks again at this many old groups, in turn (round robin
 * over the group slots): a group's first story was chosen with the
 * statistics of its day, and early in an index (N small) those are
 * coarse, so two stories of one event may have started apart.  With its
 * weights as they are now, the group's story merges with each story it
 * links with an average of at least story_threshold when the average
 * link between the two stories reaches it: what average link would do
 * with these weights.  Two a document: the cursor then gains one group
 * an add on the groups the adds make, so it comes round to a group
 * again each time the index has about doubled, when its IDF has moved
 * most; one would only ever look at the group just made (measured:
 * newswcl50 in order 0.870 pairwise F1 at one, 0.947 at two, three or
 * four, as the batch; gva-dev-jsonl 0.811 / 0.816 / 0.816 / 0.819). */
#define REVISIT_PER_ADD 2

static int revisit_group(dedup_index *ix, uint32_t g) {
  const uint64_t *vid;
  const float *vw;
  uint32_t nv;
  uint64_t *own;
  uint32_t sampled = ix->groups[g].sampled_n;
  int rc = group_vec(ix, ix, g, &vid, &vw, &nv, &own);
  if (rc != DEDUP_OK)
    return rc;
  ixgroup *G = &ix->groups[g];
  prep q = {0};
  q.vid = (uint64_t *)(uintptr_t)vid;
  q.vw = (float *)(uintptr_t)vw;
  q.nv = nv;
  q.d.has_date = G->dated;
  q.d.date = G->date;
  /* The groups it links (their roots, each once), scored again with the
   * weights of today; and when it was sampled just now (it had no vector
   * before), the groups its samples find. */
  uint32_t cand[IX_LINKS + DEDUP__STORY_TOP_M];
  size_t nc = 0;
  if (G->sampled_n != sampled && G->nv) {
    q.samples = dedup__malloc(ix->story_k * sizeof *q.samples);
    if (!q.samples) {
      dedup__free(own);
      return DEDUP_ENOMEM;
    }
    dedup__ix_widen(ix, G, q.samples);
    if ((rc = lsh_cands(ix, &q, cand, &nc)) != DEDUP_OK) {
      q.vid = NULL;
      q.vw = NULL;
      dedup__ix_prep_free(&q);
      dedup__free(own);
      return rc;
    }
  }
  for (size_t i = 0; i < G->n_links; i++) {
    uint32_t h = dedup__group_root(ix, G->links[i].g);
    size_t k = 0;
    while (k < nc && cand[k] != h)
      k++;
    if (k == nc)
      cand[nc++] = h;
  }
  dedup__u32_insertion_sort(cand, nc);
  score *sc = NULL;
  size_t ns = 0, nm = 0, cm = 0, nt = 0, ct = 0;
  uint32_t *mine = NULL, *theirs = NULL;
  rc = score_cands(ix, ix, &q, cand, nc, g, &sc, &ns);
  q.vid = NULL; /* borrowed */
  q.vw = NULL;
  G = &ix->groups[g];
  G->n_links = 0;
  for (size_t i = 0; rc == DEDUP_OK && i < q.n_hits && i < IX_LINKS; i++)
    G->links[G->n_links++] = q.hits[i];
  uint32_t S = dedup__story_root(ix, G->story);
  if (rc == DEDUP_OK)
    rc = story_groups(ix, S, &mine, &nm, &cm);
  for (size_t i = 0; i < ns && rc == DEDUP_OK; i++) {
    uint32_t T = sc[i].story;
    if (sc[i].sum < ix->p.story_threshold)
      break;
    if (T == S)
      continue;
    nt = 0;
    if ((rc = story_groups(ix, T, &theirs, &nt, &ct)) != DEDUP_OK)
      break;
    if (nm * nt > MERGE_PAIRS_MAX)
      continue;
    double avg;
    if ((rc = cross_average(ix, ix, NULL, mine, nm, theirs, nt, &avg)) !=
            DEDUP_OK ||
        avg < ix->p.story_threshold)
      continue;
    if ((rc = dedup__index_merge_room(ix, 1)) != DEDUP_OK)
      break;
    uint32_t a = S, b = T;
    if (ix->stories[b].story_id < ix->stories[a].story_id) {
      a = T;
      b = S;
    }
    dedup__ix_merge_story(ix, a, b);
    S = a;
    void *p = mine;
    if (dedup__grow(&p, &cm, nm, nt, sizeof *mine) != DEDUP_OK) {
      rc = DEDUP_ENOMEM;
      break;
    }
    mine = p;
    memcpy(mine + nm, theirs, nt * sizeof *mine);
    nm += nt;
  }
  dedup__free(own);
  dedup__free(sc);
  dedup__free(mine);
  dedup__free(theirs);
  dedup__ix_prep_free(&q);
  return rc;
}

int dedup__ix_revisit(dedup_index *ix) {
  for (int k = 0; k < REVISIT_PER_ADD && ix->n_groups > 1; k++) {
    for (size_t tries = 0; tries < ix->n_groups; tries++) {
      uint32_t g = ix->revisit;
      ix->revisit = (uint32_t)((ix->revisit + 1) % ix->n_groups);
      const ixgroup *G = &ix->groups[g];
      if (G->parent != g || !G->n_members || !G->nv)
        continue;
      int rc = revisit_group(ix, g);
      if (rc != DEDUP_OK)
        return rc;
      break;
    }
  }
  return DEDUP_OK;
}
