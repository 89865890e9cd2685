/* story.c - the story level: the same story told in other words.
 *
 * One representative per copy group (its longest member) becomes a
 * TF-IDF vector of its terms (text/terms.c); candidates come from a
 * weighted MinHash of those vectors (DartMinHash, one sample a band), each
 * candidate is scored by its exact cosine, and average link clusters the
 * copy groups into stories.  doc/tuning.md gives the figures behind each
 * constant. */
#include "corpus/corpus_private.h"

#include "common/hash.h"
#include "common/sort.h"
#include "sketch/wminhash.h"

#include <math.h>
#include <string.h>

#define STORY_EDGE_MIN DEDUP__STORY_EDGE_MIN
#define SINGLE_DOC_WEIGHT DEDUP__SINGLE_DOC_WEIGHT

/* Item i represents its copy group better than item r (i > r): more
 * words; on a tie the first (smaller id) stays. */
static int better_rep(const dedup_corpus *c, size_t i, size_t r) {
  return c->items[i].words > c->items[r].words;
}

size_t dedup__story_rep(const dedup_corpus *c, size_t group) {
  const struct clevel *L = &c->lv[DEDUP_LEVEL_COPY];
  size_t r = L->members[L->start[group]];
  for (size_t q = L->start[group] + 1; q < L->start[group + 1]; q++)
    if (better_rep(c, L->members[q], r))
      r = L->members[q];
  return r;
}

/* The language whose statistics a document's terms count in
 * (dedup__lang_terms), English when no language was found
 * (DEDUP_F_NO_LANGID). */
unsigned dedup__story_doc_lang(const cdoc *d) {
  return d->lang_state != CDOC_LANG_UNKNOWN ? dedup__lang_terms(d->lang)
                                            : DEDUP__LANG_EN;
}

/* Weighing one representative (weigh_rep): what every worker reads. */
typedef struct weigh_ctx {
  dedup_corpus *c;
  const uint32_t *reps;
  const size_t *N;            /* documents per language */
  const dedup__countmap *df;  /* term id -> documents */
  const dedup__countmap *ix;  /* term id -> its index + 1 */
} weigh_ctx;

/* TF-IDF over the representatives: idf = ln((N+1)/(df+0.5)), tf damped by
 * a log; a term only one representative has cannot link it to anything
 * and would only dilute its norm, so it counts little.  L2-normalised.
 * N and df are counted within the document's language (term ids carry
 * it): a handful of Dutch pages in an English corpus weigh their words
 * among Dutch pages, where "Amsterdam" is common, not among English
 * ones, where every Dutch word looks rare and so telling.  The counts
 * are freed once weighed: nothing later reads them. */
double dedup__story_weight(double tf, uint32_t df, double N) {
  double idf = log((N + 1) / (df + 0.5));
  if (idf <= 0)
    return 0;
  if (df < 2)
    tf *= SINGLE_DOC_WEIGHT;
  return tf >= 1 ? (1 + log(tf)) * idf : tf * idf;
}

static int weigh_rep(void *vctx, unsigned worker, size_t k) {
  (void)worker;
  const weigh_ctx *x = vctx;
  citem *it = &x->c->items[x->reps[k]];
  const dedup__termset *ts = &it->counts;
  dedup__wvec *out = &it->tfidf;
  double Nl = (double)x->N[dedup__lang_terms(it->lang)];
  double norm = 0;
  size_t m = 0;
  out->v = dedup__malloc((ts->n ? ts->n : 1) * sizeof *out->v);
  if (!out->v)
    return DEDUP_ENOMEM;
  for (size_t j = 0; j < ts->n; j++) {
    uint32_t dfv = dedup__countmap_get(x->df, ts->id[j]);
    double w = dedup__story_weight(ts->w[j], dfv, Nl);
    if (w <= 0)
      continue;
    out->v[m].ix = dedup__countmap_get(x->ix, ts->id[j]) - 1;
    out->v[m].w = (float)w;
    norm += w * w;
    m++;
  }
  out->n = m;
  norm = sqrt(norm);
  for (size_t j = 0; j < m; j++)
    out->v[j].w = norm > 0 ? (float)(out->v[j].w / norm) : 0;
  dedup__termset_free(&it->counts);
  return DEDUP_OK;
}

/* The table of the representatives' term ids (c->story_ids, ascending)
 * and each id's index + 1 in *ix, from df holding exactly those ids. */
static int term_table(dedup_corpus *c, const dedup__countmap *df,
                      dedup__countmap *ix) {
  uint64_t *ids = dedup__reallocarray(NULL, df->n + 1, 2 * sizeof *ids);
  if (!ids)
    return DEDUP_ENOMEM;
  size_t v = dedup__countmap_keys(df, ids);
  dedup__u64_radix(ids, ids + v, v);
  for (size_t r = 0; r < v; r++)
    if (dedup__countmap_add(ix, ids[r], (uint32_t)r + 1) != DEDUP_OK) {
      dedup__free(ids);
      return DEDUP_ENOMEM;
    }
  c->story_ids = ids;
  c->n_story_ids = v;
  return DEDUP_OK;
}

static int weigh_terms(dedup_corpus *c, unsigned threads,
                       const uint32_t *reps, size_t nr,
                       dedup__countmap *df) {
  size_t nl = dedup__lang_count();
  size_t *N = dedup__calloc(nl, sizeof *N);
  dedup__countmap ix = {0};
  int rc = DEDUP_ENOMEM;
  if (!N)
    return DEDUP_ENOMEM;
  for (size_t k = 0; k < nr; k++) {
    const dedup__termset *ts = &c->items[reps[k]].counts;
    N[dedup__lang_terms(c->items[reps[k]].lang)]++;
    for (size_t j = 0; j < ts->n; j++)
      if (dedup__countmap_add(df, ts->id[j], 1) != DEDUP_OK)
        goto out;
  }
  /* Here df holds the representatives' ids and no others. */
  if (df->n >= UINT32_MAX - 1) {
    rc = DEDUP_ETOOBIG;
    goto out;
  }
  if (term_table(c, df, &ix) != DEDUP_OK)
    goto out;
  /* Embedded articles that are not items count as documents of the
   * collection too: more text to learn which words are common from. */
  for (size_t i = 0; i < c->n_docs; i++) {
    const cdoc *d = &c->docs[i];
    for (size_t j = 0; j < d->bg.n; j++)
      if (dedup__countmap_add(df, d->bg.v[j], 1) != DEDUP_OK)
        goto out;
    N[dedup__story_doc_lang(d)] += d->n_bg;
  }
  weigh_ctx x = {c, reps, N, df, &ix};
  rc = dedup__parallel_for(threads, nr, weigh_rep, &x);
out:
  dedup__countmap_free(&ix);
  dedup__free(N);
  return rc;
}

/* Story candidates: weighted MinHash (DartMinHash, wminhash.h) of every
 * representative's terms, one sample a band; each candidate pair is then
 * scored by its exact cosine.  The sketch only proposes pairs: its
 * estimate of the weighted Jaccard J has a standard error of
 * sqrt(J (1-J) / k), 0.02-0.04 at k = 128 for story pairs, and J is no
 * function of the cosine (cos / J from 2 to 5 measured), far too coarse
 * to decide against a threshold of 0.265.
 *
 * One sample a band: measured on labelled news (2,770 and 50
 * representatives), pairs near the story threshold have a weighted
 * Jaccard of about cos / 2 on average and cos / 5 at the 1st percentile
 * (0.05 at cos 0.25).  Bands of 2 samples would need thousands of samples
 * to find them; bands of 1 find a pair of Jaccard J in one of k bands with
 * probability 1 - (1-J)^k.  So k comes from the threshold t: a pair of
 * Jaccard STORY_JAC_COS * STORY_NEAR * t is missed with probability
 * STORY_MISS at most (pairs a little below t still count in the averages
 * of average link).  t = 0.265 (as 0.245 before it) gives k = 128.
 * Squared weights (they sum to 1) give the samples to the heavy terms
 * (names, places).
 *
 * Candidates per representative, not per bucket: every band's (sample,
 * rep) entries are sorted so a bucket is a run, ids ascending.  Rep i
 * walks its run in each band, DEDUP__MAX_BUCKET entries each side of its own
 * place at most (a bigger bucket is a common term, as at the copy level),
 * and counts the samples each other rep shares with it.  Its STORY_TOP_M
 * reps of most shared samples (ties: smaller id) are scored; those of
 * cosine >= STORY_EDGE_MIN become edges, a pair found from both sides
 * once.  So work and memory are O(n (k + M)), with no list of all
 * candidate pairs: on a corpus of one topic every pair shares some
 * sample, and taking every bucket pair gave 67% of all pairs as
 * candidates on 5,000 generated pages (7.7M edges; 16 s / 644 MB,
 * 20,000 pages 192 s / 3.7 GB, 100,000 538 s / 20.8 GB, end to end).
 * Now 5,000 take 2.6 s / 68 MB, 20,000 9.7 s / 262 MB, 100,000 42 s /
 * 1.2 GB (2 cores), with fewer spurious merges of pages of one topic;
 * the labelled sets score as before or better (gva-dev pairwise F1
 * 0.746, B-cubed 0.908; newswcl50 0.947, 0.958; M of 32 and 128 score
 * within 0.002 of 64). */
/* k is rounded up to a multiple of 64: the figures of doc/tuning.md were
 * taken at k = 128 for t = 0.245 (116 unrounded; 107 at 0.265; the
 * sampler takes any k, its cost grows as k ln k). */
#define STORY_MIN_K 64   /* samples at least */
#define STORY_MAX_K 1024 /* samples at most (thresholds below ~0.02);
                          * shared-sample counts fit 16 bits */
#define STORY_JAC_COS 0.2
#define STORY_NEAR 0.8
#define STORY_MISS 0.01
#define STORY_SALT 0x5d0f7e6a3c1b2d49ULL

uint64_t dedup__story_seed(uint64_t seed) {
  return dedup__mix64(seed ^ STORY_SALT);
}
/* Candidates scored per representative: a story is rarely more than a
 * few dozen copies-apart reports, and average link needs only the strong
 * links of each rep to find its story; the rest of a topic-wide
 * neighbourhood scores below the threshold anyway. */
#define STORY_TOP_M DEDUP__STORY_TOP_M
_Static_assert(STORY_TOP_M <= UINT8_MAX, "npart counts fit 8 bits");
_Static_assert(STORY_MAX_K <= UINT16_MAX, "sample counts fit 16 bits");
_Static_assert(STORY_MAX_K <= DEDUP__WMINHASH_MAX_K, "the sampler takes k");

unsigned dedup__story_samples(double t) {
  double j = STORY_JAC_COS * STORY_NEAR * t;
  double k = ceil(log(STORY_MISS) / log1p(-DEDUP__MIN(j, 0.5)));
  k = ceil(k / STORY_MIN_K) * STORY_MIN_K;
  return (unsigned)DEDUP__MIN(DEDUP__MAX(k, (double)STORY_MIN_K),
                              (double)STORY_MAX_K);
}

typedef struct story_ctx {
  const dedup_corpus *c;
  unsigned threads;
  const uint32_t *reps;
  size_t n;
  unsigned k;
  uint64_t seed;
  uint64_t *sig;    /* k words per representative */
  uint64_t *f;      /* per worker: max_terms feature ids */
  float *w;         /* per worker: max_terms weights */
  size_t max_terms;
  dedup__kid *sbuf;  /* per worker: 2 n entries to sort a band */
  uint32_t *ids;    /* band q, place p: rep | STORY_RUN if a run (bucket)
                     * starts there, q n + p */
  uint32_t *pos;    /* rep i, band q: its place, i k + q */
  uint16_t *cnt;    /* per worker: n shared-sample counts, kept at 0 */
  uint32_t *touch;  /* per worker: tcap reps with a count */
  uint32_t *tie;    /* per worker: tcap reps */
  uint32_t *hist;   /* per worker: k + 1 counts of counts */
  size_t tcap;
  float *dense;     /* per worker: a weight per term index, kept at 0 */
  double *prod;     /* per worker: max_terms products */
  uint32_t *part;   /* rep i: its edges' other ends, i M.., ascending */
  float *psim;      /* ... and their cosines */
  uint8_t *npart;   /* rep i: how many */
  const int64_t *date; /* rep i: its group's date (Unix seconds) ... */
  const uint8_t *dated; /* ... when 1 (NULL: time not used) */
  double days;      /* the decay's scale (story_days) */
} story_ctx;

/* Time in the story level: the cosine of two dated groups dt days apart
 * times STORY_DATED / (1 + dt / days).  Hyperbolic rather than
 * exponential or a window: most true pairs are days apart, most wrong
 * merges join same-topic news months or years apart (77% of them over
 * 60 days on gva-dev), yet a follow-up months later that shares its
 * names still links (at 120 days: a cosine of 0.27 a month apart, 0.43
 * at four months, 0.88 at a year; an exponential or a window would erase
 * it).  Two documents of the same days are evidence of one story in
 * themselves: STORY_DATED = 1.225 was chosen as 0.245 / 0.2 (with plural
 * folding the threshold was 0.245: dated pairs of one day then linked at
 * 0.2, the value below which newswcl50, rewrites of one story without
 * dates, gains no pair, and gva-dev without dates loses precision to
 * same-town different-incident pages, which dates tell apart).  With
 * Snowball stems cosines rose and the threshold with them (0.265,
 * doc/tuning.md); the factor stayed, so same-day pairs link at 0.216:
 * 0.265 / 0.2 scored lower on gva-dev-jsonl (pairwise F1 0.807 against
 * 0.810).  Applied to the exact cosine of each candidate, before
 * STORY_EDGE_MIN, so the candidates do not depend on dates and the
 * result stays deterministic; symmetric, so either end scores a pair
 * alike.  doc/tuning.md has the sweep that chose the shape and the
 * scale. */
#define STORY_DATED 1.225

double dedup__story_time_factor(double days, int64_t t1, int64_t t2) {
  double dt = fabs((double)t1 - (double)t2) / 86400.0;
  return STORY_DATED / (1 + dt / days);
}

static double story_decay(const story_ctx *s, uint32_t i, uint32_t j) {
  if (!s->dated || !s->dated[i] || !s->dated[j])
    return 1;
  return dedup__story_time_factor(s->days, s->date[i], s->date[j]);
}

int dedup__story_group_date(const dedup_corpus *c, size_t group,
                            int64_t *date) {
  const struct clevel *L = &c->lv[DEDUP_LEVEL_COPY];
  int dated = 0;
  for (size_t q = L->start[group]; q < L->start[group + 1]; q++) {
    const cdoc *d = &c->docs[c->items[L->members[q]].doc];
    if (d->has_date && (!dated || d->date < *date)) {
      *date = d->date;
      dated = 1;
    }
  }
  return dated;
}

static int story_sign(void *vctx, unsigned worker, size_t g) {
  story_ctx *s = vctx;
  const dedup__wvec *tv = &s->c->items[s->reps[g]].tfidf;
  const uint64_t *ids = s->c->story_ids;
  uint64_t *f = s->f + (size_t)worker * s->max_terms;
  float *w = s->w + (size_t)worker * s->max_terms;
  uint64_t *sig = s->sig + g * s->k;
  for (size_t j = 0; j < tv->n; j++) {
    f[j] = ids[tv->v[j].ix];
    w[j] = tv->v[j].w * tv->v[j].w;
  }
  dedup__wminhash_dart(sig, s->k, f, w, tv->n, s->seed);
  /* No usable term: all words would be UINT64_MAX and all such
   * representatives one bucket.  Words of their own instead. */
  if (sig[0] == UINT64_MAX)
    for (unsigned q = 0; q < s->k; q++)
      sig[q] = g;
  return DEDUP_OK;
}


/* A flag on a band's entry where a run of equal samples starts: the
 * walks of story_cand then read one array a band, not a run number
 * beside each rep, one cache miss a band instead of two (and 4 bytes an
 * entry less).  Reps fit 31 bits (story_pairs). */
#define STORY_RUN 0x80000000u

/* Band q: sorts its (sample, rep) entries, marks the runs of equal
 * samples and notes every rep's place. */
static int story_band(void *vctx, unsigned worker, size_t q) {
  story_ctx *s = vctx;
  size_t n = s->n, k = s->k;
  dedup__kid *v = s->sbuf + (size_t)worker * 2 * n;
  for (size_t i = 0; i < n; i++)
    v[i] = (dedup__kid){s->sig[i * k + q], (uint32_t)i};
  dedup__kid_radix(v, v + n, n);
  uint32_t *ids = s->ids + q * n;
  for (size_t p = 0; p < n; p++) {
    int start = p == 0 || v[p].key != v[p - 1].key;
    ids[p] = v[p].id | (start ? STORY_RUN : 0);
    s->pos[(size_t)v[p].id * k + q] = (uint32_t)p;
  }
  return DEDUP_OK;
}


/* Rep i: counts the samples other reps share with it (its runs, at most
 * DEDUP__MAX_BUCKET places each side), scores its STORY_TOP_M best and keeps
 * those of cosine >= STORY_EDGE_MIN, other ends ascending. */
static int story_cand(void *vctx, unsigned worker, size_t i) {
  story_ctx *s = vctx;
  size_t n = s->n, k = s->k;
  uint16_t *cnt = s->cnt + (size_t)worker * n;
  uint32_t *touch = s->touch + (size_t)worker * s->tcap;
  uint32_t *tie = s->tie + (size_t)worker * s->tcap;
  uint32_t *hist = s->hist + (size_t)worker * (k + 1);
  size_t nt = 0;
  for (size_t q = 0; q < k; q++) {
    const uint32_t *ids = s->ids + q * n;
    size_t p = s->pos[i * k + q];
    size_t lo = p > DEDUP__MAX_BUCKET ? p - DEDUP__MAX_BUCKET : 0;
    size_t hi = DEDUP__MIN(n - 1, p + DEDUP__MAX_BUCKET);
    /* x - 1 is in p's run while x does not start one; x + 1 while x + 1
     * does not. */
    for (size_t x = p; x > lo && !(ids[x] & STORY_RUN); x--) {
      uint32_t j = ids[x - 1] & ~STORY_RUN;
      if (!cnt[j]++)
        touch[nt++] = j;
    }
    for (size_t x = p; x < hi && !(ids[x + 1] & STORY_RUN); x++) {
      uint32_t j = ids[x + 1];
      if (!cnt[j]++)
        touch[nt++] = j;
    }
  }
  /* The best M: all reps above some count c, the smallest ids of those
   * at c for the rest.  Counts go back to 0 for the worker's next rep. */
  uint32_t *sel = touch;
  size_t ns = nt;
  if (nt > STORY_TOP_M) {
    memset(hist, 0, (k + 1) * sizeof *hist);
    for (size_t t = 0; t < nt; t++)
      hist[cnt[touch[t]]]++;
    size_t above = 0, c = k;
    while (above + hist[c] < STORY_TOP_M)
      above += hist[c--];
    size_t nties = 0;
    ns = 0;
    for (size_t t = 0; t < nt; t++) {
      uint32_t j = touch[t];
      size_t cj = cnt[j];
      cnt[j] = 0;
      if (cj > c)
        tie[ns++] = j;
      else if (cj == c)
        touch[nties++] = j; /* nties <= t: not read again */
    }
    dedup__u32_select(touch, nties, STORY_TOP_M - above);
    memcpy(tie + ns, touch, (STORY_TOP_M - above) * sizeof *tie);
    ns = STORY_TOP_M;
    sel = tie;
  } else {
    for (size_t t = 0; t < nt; t++)
      cnt[touch[t]] = 0;
  }
  dedup__u32_insertion_sort(sel, ns);
  /* Cosines through a dense scratch: rep i's weights scattered by term
   * index, each candidate's terms looked up there.  Products of two
   * floats are exact in double; the nonzero ones are summed in the
   * candidate's index order, which is id order, the order a merge of the
   * two vectors sums them in: the same double to the last bit (adding
   * the zeros of absent terms would change nothing either, the sum is
   * never -0), at a look-up a term instead of a mispredicted branch. */
  const citem *it = s->c->items;
  const dedup__wvec *a = &it[s->reps[i]].tfidf;
  float *dense = s->dense + (size_t)worker * s->c->n_story_ids;
  double *prod = s->prod + (size_t)worker * s->max_terms;
  for (size_t t = 0; t < a->n; t++)
    dense[a->v[t].ix] = a->v[t].w;
  uint32_t *part = s->part + i * STORY_TOP_M;
  float *psim = s->psim + i * STORY_TOP_M;
  unsigned m = 0;
  for (size_t t = 0; t < ns; t++) {
    const dedup__wvec *b = &it[s->reps[sel[t]]].tfidf;
    size_t np = 0;
    for (size_t u = 0; u < b->n; u++) {
      float y = dense[b->v[u].ix];
      prod[np] = (double)y * b->v[u].w;
      np += y != 0;
    }
    double x = 0;
    for (size_t u = 0; u < np; u++)
      x += prod[u];
    x *= story_decay(s, (uint32_t)i, sel[t]);
    if (x >= STORY_EDGE_MIN) {
      part[m] = sel[t];
      psim[m++] = (float)DEDUP__MIN(x, 1.0);
    }
  }
  for (size_t t = 0; t < a->n; t++)
    dense[a->v[t].ix] = 0;
  s->npart[i] = (uint8_t)m;
  return DEDUP_OK;
}

static int story_has(const story_ctx *s, size_t j, uint32_t i) {
  const uint32_t *v = s->part + j * STORY_TOP_M;
  size_t lo = 0, hi = s->npart[j];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < i)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->npart[j] && v[lo] == i;
}

static void story_free(story_ctx *s) {
  dedup__free(s->sig);
  dedup__free(s->f);
  dedup__free(s->w);
  dedup__free(s->sbuf);
  dedup__free(s->ids);
  dedup__free(s->pos);
  dedup__free(s->cnt);
  dedup__free(s->touch);
  dedup__free(s->tie);
  dedup__free(s->hist);
  dedup__free(s->part);
  dedup__free(s->psim);
  dedup__free(s->npart);
  dedup__free(s->dense);
  dedup__free(s->prod);
  s->dense = NULL;
  s->prod = NULL;
  s->sig = NULL;
  s->f = NULL;
  s->w = NULL;
  s->sbuf = NULL;
  s->ids = s->pos = s->touch = s->tie = s->hist = s->part = NULL;
  s->cnt = NULL;
  s->psim = NULL;
  s->npart = NULL;
}

/* Story edges of the n representatives (a < b, cosine >=
 * STORY_EDGE_MIN, each pair once) into *out, *ne. */
static int story_pairs(dedup__edge **out, size_t *ne, story_ctx *s,
                       size_t n) {
  const dedup_corpus *c = s->c;
  unsigned th = s->threads;
  size_t k = s->k;
  int rc = DEDUP_ENOMEM;
  dedup__edge *e = NULL;
  *out = NULL;
  *ne = 0;
  if (n > STORY_RUN) /* ids carry STORY_RUN; 2^31 groups is ~6 TB */
    return DEDUP_ETOOBIG;
  s->n = n;
  s->seed = dedup__story_seed(c->p.seed);
  s->max_terms = 1;
  for (size_t g = 0; g < n; g++)
    s->max_terms = DEDUP__MAX(s->max_terms, c->items[s->reps[g]].tfidf.n);
  size_t n1 = n ? n : 1;
  s->sig = dedup__reallocarray(NULL, n1, k * sizeof *s->sig);
  s->f = dedup__reallocarray(NULL, th, s->max_terms * sizeof *s->f);
  s->w = dedup__reallocarray(NULL, th, s->max_terms * sizeof *s->w);
  if (!s->sig || !s->f || !s->w)
    goto out;
  rc = dedup__parallel_for(th, n, story_sign, s);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  dedup__free(s->f);
  dedup__free(s->w);
  s->f = NULL;
  s->w = NULL;
  /* Per-worker scratch for as many workers as there are tasks at most:
   * threads x n would be large on many cores. */
  unsigned thb = (unsigned)DEDUP__MIN((size_t)th, (size_t)k);
  unsigned thc = (unsigned)DEDUP__MIN((size_t)th, n1);
  if (n1 > SIZE_MAX / 2 / sizeof *s->sbuf)
    goto out;
  s->sbuf = dedup__reallocarray(NULL, thb, 2 * n1 * sizeof *s->sbuf);
  s->ids = dedup__reallocarray(NULL, n1, k * sizeof *s->ids);
  s->pos = dedup__reallocarray(NULL, n1, k * sizeof *s->pos);
  if (!s->sbuf || !s->ids || !s->pos)
    goto out;
  rc = dedup__parallel_for(thb, n ? k : 0, story_band, s);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  dedup__free(s->sig);
  dedup__free(s->sbuf);
  s->sig = NULL;
  s->sbuf = NULL;
  s->tcap = DEDUP__MIN(n1, 2 * (size_t)DEDUP__MAX_BUCKET * k + 1);
  s->cnt = dedup__calloc(thc, n1 * sizeof *s->cnt);
  s->touch = dedup__reallocarray(NULL, thc, s->tcap * sizeof *s->touch);
  s->tie = dedup__reallocarray(NULL, thc, s->tcap * sizeof *s->tie);
  s->hist = dedup__reallocarray(NULL, thc, (k + 1) * sizeof *s->hist);
  s->part = dedup__reallocarray(NULL, n1, STORY_TOP_M * sizeof *s->part);
  s->psim = dedup__reallocarray(NULL, n1, STORY_TOP_M * sizeof *s->psim);
  s->npart = dedup__malloc(n1 * sizeof *s->npart);
  s->dense = dedup__calloc(thc, (c->n_story_ids ? c->n_story_ids : 1) *
                                    sizeof *s->dense);
  s->prod = dedup__reallocarray(NULL, thc, s->max_terms * sizeof *s->prod);
  if (!s->cnt || !s->touch || !s->tie || !s->hist || !s->part ||
      !s->psim || !s->npart || !s->dense || !s->prod)
    goto out;
  rc = dedup__parallel_for(thc, n, story_cand, s);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  dedup__free(s->ids);
  dedup__free(s->pos);
  dedup__free(s->cnt);
  s->ids = s->pos = NULL;
  s->cnt = NULL;
  /* A pair both ends found is taken from its smaller end. */
  size_t tot = 0;
  for (size_t i = 0; i < n; i++)
    tot += s->npart[i];
  e = dedup__malloc((tot ? tot : 1) * sizeof *e);
  if (!e)
    goto out;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t *pv = s->part + i * STORY_TOP_M;
    const float *ps = s->psim + i * STORY_TOP_M;
    for (size_t t = 0; t < s->npart[i]; t++)
      if (pv[t] > i || !story_has(s, pv[t], (uint32_t)i))
        e[m++] = (dedup__edge){DEDUP__MIN(pv[t], (uint32_t)i),
                               DEDUP__MAX(pv[t], (uint32_t)i), ps[t]};
  }
  *out = e;
  *ne = m;
  e = NULL;
  rc = DEDUP_OK;
out:
  dedup__free(e);
  story_free(s);
  return rc;
}

int dedup__story_level(dedup_corpus *c, unsigned threads,
                       const uint32_t *copy_label, size_t n_copy,
                       uint32_t *story_label, dedup__edge **out_edges,
                       size_t *out_ne, size_t *n_story) {
  size_t n = c->n_items;
  int rc = DEDUP_ENOMEM;
  /* One representative per copy group (better_rep). */
  uint32_t *rep_of = dedup__malloc((n_copy ? n_copy : 1) * sizeof *rep_of);
  uint32_t *reps = dedup__malloc((n_copy ? n_copy : 1) * sizeof *reps);
  uint32_t *rlabel = dedup__malloc((n_copy ? n_copy : 1) * sizeof *rlabel);
  dedup__countmap df = {0};
  dedup__edge *e = NULL;
  size_t ne = 0;
  int64_t *gdate = NULL;
  uint8_t *gdated = NULL;
  if (!rep_of || !reps || !rlabel)
    goto out;
  for (size_t g = 0; g < n_copy; g++)
    rep_of[g] = UINT32_MAX;
  for (size_t i = 0; i < n; i++) {
    uint32_t g = copy_label[i];
    if (rep_of[g] == UINT32_MAX || better_rep(c, i, rep_of[g]))
      rep_of[g] = (uint32_t)i;
  }
  for (size_t g = 0; g < n_copy; g++)
    reps[g] = rep_of[g];
  /* Only representatives are weighed; the others' counts go now, before
   * the story level's own arrays are made. */
  for (size_t i = 0; i < n; i++)
    if (rep_of[copy_label[i]] != i)
      dedup__termset_free(&c->items[i].counts);
  rc = weigh_terms(c, threads, reps, n_copy, &df);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  dedup__countmap_free(&df);
  /* Every item's counts are freed now, small blocks amid the vectors
   * just made, which the heap keeps resident without a trim (1M
   * generated pages: peak 7.5 -> 7.1 GiB, bench/README.md). */
  dedup__heap_trim();
  /* A group's date: the earliest of its dated members (the first
   * publication; copies reprinted later tell the story of that day).
   * No decay at all unless story_days > 0 and some group has a date. */
  if (c->p.story_days > 0) {
    size_t nc1 = n_copy ? n_copy : 1;
    gdate = dedup__malloc(nc1 * sizeof *gdate);
    gdated = dedup__calloc(nc1, sizeof *gdated);
    if (!gdate || !gdated)
      goto out;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
      const cdoc *d = &c->docs[c->items[i].doc];
      uint32_t g = copy_label[i];
      if (!d->has_date)
        continue;
      if (!gdated[g] || d->date < gdate[g])
        gdate[g] = d->date;
      gdated[g] = 1;
      any = 1;
    }
    if (!any) {
      dedup__free(gdated);
      gdated = NULL;
    }
  }

  /* Edges from the sketch, scored by the exact cosine (story_pairs). */
  story_ctx s = {0};
  s.c = c;
  s.threads = threads;
  s.reps = reps;
  s.k = dedup__story_samples(c->p.story_threshold);
  s.date = gdate;
  s.dated = gdated;
  s.days = c->p.story_days;
  rc = story_pairs(&e, &ne, &s, n_copy);
  if (rc != DEDUP_OK)
    goto out;
  rc = DEDUP_ENOMEM;
  *n_story = dedup__cluster_average(rlabel, n_copy, e, ne,
                                    c->p.story_threshold);
  if (*n_story == (size_t)-1)
    goto out;
  for (size_t i = 0; i < n; i++)
    story_label[i] = rlabel[copy_label[i]];
  /* Links: representative pairs inside one story, in item ids. */
  size_t k = 0;
  for (size_t i = 0; i < ne; i++) {
    if (rlabel[e[i].a] != rlabel[e[i].b] || e[i].sim < c->p.story_threshold)
      continue;
    uint32_t a = reps[e[i].a], b = reps[e[i].b];
    e[k++] = (dedup__edge){DEDUP__MIN(a, b), DEDUP__MAX(a, b), e[i].sim};
  }
  *out_edges = e;
  *out_ne = k;
  e = NULL;
  rc = DEDUP_OK;
out:
  dedup__countmap_free(&df);
  dedup__free(e);
  dedup__free(gdate);
  dedup__free(gdated);
  dedup__free(rep_of);
  dedup__free(reps);
  dedup__free(rlabel);
  return rc;
}

