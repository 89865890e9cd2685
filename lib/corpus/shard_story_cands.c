/* shard_story_cands.c - the story level spread over the shards, from
 * the samples to the edges (dedup.h, "The story level spread over the
 * shards"; doc/shards.md): each band of samples at its owner, sorted into
 * runs of equal samples; each representative's candidates counted in its
 * windows where it is (story.c's story_cand), the best 64 sent its vector;
 * the cosines where the candidates are.  shard_story.c has the steps
 * before and the assembler's after. */
#include "corpus/corpus_private.h"
#include "corpus/spread.h"

#include "common/sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- bands of samples to their owners, runs back ------------------------ */

DEDUP_API int dedup_corpus_samples_encode(const dedup_corpus *c, size_t n,
                                          void **bufs, size_t *lens) {
  dedup__sp_clear_bufs(bufs, lens, n);
  if (!c || !bufs || !lens)
    return DEDUP_EINVAL;
  const dedup__spread *sp = c->spread;
  if (!sp || sp->stage != SPS_SIGNED)
    return DEDUP_ESTATE;
  if (n != sp->shards)
    return DEDUP_EINVAL;
  unsigned k = sp->k;
  for (size_t q = 0; q < n; q++) {
    /* Owner q has the bands b = q mod n. */
    size_t nb = k > q ? (k - q + n - 1) / n : 0;
    sp_head h = {SP_SAMPLES, 0, sp->shard, (uint32_t)q, sp->shards, k,
                 dedup__sp_tag(&c->p), nb * sp->n_reps};
    unsigned char *p = dedup__sp_new(&h, 16 * nb * sp->n_reps, &lens[q]);
    if (!p) {
      dedup__sp_free_bufs(bufs, lens, n);
      return DEDUP_ENOMEM;
    }
    unsigned char *o = p + SP_HEAD;
    for (size_t b = q; b < k; b += n)
      for (size_t r = 0; r < sp->n_reps; r++, o += 16) {
        dedup__put64(o, sp->samples[r * k + b]);
        dedup__put32(o + 8, sp->rep_g[r]);
        dedup__put32(o + 12, (uint32_t)b);
      }
    dedup__sp_seal(p, lens[q]);
    bufs[q] = p;
  }
  return DEDUP_OK;
}

typedef struct sent {
  uint64_t sample;
  uint32_t g, band, shard;
} sent;

/* A band's entries, (sample, g) ascending: runs of equal samples, each
 * member's window the batch's (DEDUP__MAX_BUCKET places each side, in
 * its run).  Each shard with a member in a run gets the slice of it its
 * members' windows cover: u32 m, m x (u32 group, u32 shard). */
static void band_runs(sp_obuf *ob, const sent *e, const dedup__kid *ord,
                      size_t m, size_t n) {
  size_t W = DEDUP__MAX_BUCKET;
  for (size_t s = 0; s < m;) {
    size_t t = s + 1;
    while (t < m && e[ord[t].id].sample == e[ord[s].id].sample)
      t++;
    if (t - s >= 2) {
      for (size_t q = 0; q < n; q++) {
        size_t first = SIZE_MAX, last = 0;
        for (size_t x = s; x < t; x++)
          if (e[ord[x].id].shard == q) {
            if (first == SIZE_MAX)
              first = x;
            last = x;
          }
        if (first == SIZE_MAX)
          continue;
        size_t lo = first > s + W ? first - W : s;
        size_t hi = DEDUP__MIN(t, last + W + 1);
        sp_ob_u32(&ob[q], (uint32_t)(hi - lo));
        for (size_t x = lo; x < hi; x++) {
          sp_ob_u32(&ob[q], e[ord[x].id].g);
          sp_ob_u32(&ob[q], e[ord[x].id].shard);
        }
        ob[q].count++;
      }
    }
    s = t;
  }
}

DEDUP_API int dedup_spread_runs(const void *const *samples,
                                const size_t *samples_len, size_t n,
                                void **runs, size_t *runs_len) {
  dedup__sp_clear_bufs(runs, runs_len, n);
  if (!runs || !runs_len)
    return DEDUP_EINVAL;
  sp_head h0 = {0};
  int rc = dedup__sp_owner_in(samples, samples_len, n, SP_SAMPLES, &h0);
  if (rc != DEDUP_OK)
    return rc;
  size_t total = 0;
  for (size_t s = 0; s < n; s++) {
    uint64_t hn = dedup__sp_count(samples[s]);
    if (hn > (samples_len[s] - SP_HEAD - 8) / 16 ||
        samples_len[s] != SP_HEAD + 16 * hn + 8)
      return DEDUP_EFORMAT;
    total += hn;
  }
  unsigned k = h0.sig_words;
  sent *e = dedup__malloc((total ? total : 1) * sizeof *e);
  dedup__kid *ord = dedup__malloc((total ? total : 1) * sizeof *ord);
  dedup__kid *tmp = dedup__malloc((total ? total : 1) * sizeof *tmp);
  size_t *start = dedup__calloc((size_t)k + 2, sizeof *start);
  sp_obuf *ob = dedup__calloc(n, sizeof *ob);
  rc = DEDUP_ENOMEM;
  if (!e || !ord || !tmp || !start || !ob)
    goto out;
  size_t m = 0;
  for (size_t s = 0; s < n; s++) {
    const unsigned char *p = (const unsigned char *)samples[s] + SP_HEAD;
    size_t cnt = (samples_len[s] - SP_HEAD - 8) / 16;
    for (size_t i = 0; i < cnt; i++, p += 16) {
      e[m] = (sent){dedup__get64(p), dedup__get32(p + 8), dedup__get32(p + 12),
                    (uint32_t)s};
      if (e[m].band >= k || e[m].band % n != h0.to || e[m].g == SP_NONE) {
        rc = DEDUP_EFORMAT;
        goto out;
      }
      start[e[m].band + 1]++;
      m++;
    }
  }
  /* By band (counting), then in each band by group and by sample (two
   * stable radix sorts): the batch's (sample, group) order. */
  for (size_t b = 0; b < k; b++)
    start[b + 1] += start[b];
  for (size_t i = 0; i < m; i++)
    tmp[start[e[i].band]++] = (dedup__kid){e[i].g, (uint32_t)i};
  for (size_t b = k; b > 0; b--)
    start[b] = start[b - 1];
  start[0] = 0;
  for (size_t b = 0; b < k; b++) {
    size_t lo = start[b], hi = start[b + 1], len = hi - lo;
    if (len < 2)
      continue;
    dedup__kid_radix(tmp + lo, ord + lo, len);
    for (size_t x = lo + 1; x < hi; x++)
      if (tmp[x].key == tmp[x - 1].key) { /* a group twice in a band */
        rc = DEDUP_EFORMAT;
        goto out;
      }
    for (size_t x = lo; x < hi; x++)
      tmp[x] = (dedup__kid){e[tmp[x].id].sample, tmp[x].id};
    dedup__kid_radix(tmp + lo, ord + lo, len);
    band_runs(ob, e, tmp + lo, len, n);
  }
  for (size_t q = 0; q < n; q++) {
    sp_head h = {SP_RUNS, 0, h0.to, (uint32_t)q, (uint32_t)n, 0, h0.tag, 0};
    runs[q] = dedup__sp_frame(&ob[q], h, &runs_len[q]);
    if (!runs[q])
      goto out;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    dedup__sp_free_bufs(runs, runs_len, n);
  for (size_t q = 0; ob && q < n; q++)
    dedup__free(ob[q].w.p);
  dedup__free(ob);
  dedup__free(e);
  dedup__free(ord);
  dedup__free(tmp);
  dedup__free(start);
  return rc;
}

/* ---- candidates, vectors to their shards -------------------------------- */

/* The rep of group g on this shard, or -1. */
static ptrdiff_t rep_of_g(const dedup__spread *sp, uint32_t g) {
  size_t lo = 0, hi = sp->n_reps;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (sp->rep_g[sp->by_g[mid]] < g)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < sp->n_reps && sp->rep_g[sp->by_g[lo]] == g
             ? (ptrdiff_t)sp->by_g[lo]
             : -1;
}

typedef struct cand {
  uint32_t g, shard, cnt, li; /* li: g's index among the groups seen */
} cand;

static int cmp_cand_g(const void *x, const void *y) {
  const cand *a = x, *b = y;
  return (a->g > b->g) - (a->g < b->g);
}

/* A member of a run slice: where it is, for the rep it is. */
typedef struct place {
  uint32_t rep, slice; /* slice: its first member's index in members */
  uint32_t at, len;    /* its place in the slice, the slice's length */
} place;

static void put_vec(sp_obuf *o, const dedup__spread *sp, size_t r,
                    const cand *sel, size_t ns, uint32_t shard) {
  size_t nj = 0;
  for (size_t t = 0; t < ns; t++)
    nj += sel[t].shard == shard;
  if (!nj)
    return;
  const dedup__svec *v = &sp->vec[r];
  sp_ob_u32(o, sp->rep_g[r]);
  sp_ob_u32(o, sp->rep_dated[r]);
  sp_ob_u64(o, (uint64_t)sp->rep_date[r]);
  sp_ob_u32(o, v->n);
  for (uint32_t t = 0; t < v->n; t++) {
    sp_ob_u64(o, v->id[t]);
    sp_ob_u32(o, dedup__fbits(v->w[t]));
  }
  sp_ob_u32(o, (uint32_t)nj);
  for (size_t t = 0; t < ns; t++)
    if (sel[t].shard == shard)
      sp_ob_u32(o, sel[t].g);
  o->count++;
}

DEDUP_API int dedup_corpus_vectors_encode(const dedup_corpus *c,
                                          const void *const *runs,
                                          const size_t *runs_len, size_t n,
                                          void **vecs, size_t *vecs_len) {
  dedup__sp_clear_bufs(vecs, vecs_len, n);
  if (!vecs || !vecs_len)
    return DEDUP_EINVAL;
  sp_head h0;
  int rc = dedup__sp_shard_in(c, runs, runs_len, n, SP_RUNS, &h0);
  if (rc != DEDUP_OK)
    return rc;
  const dedup__spread *sp = c->spread;
  if (sp->stage != SPS_SIGNED)
    return DEDUP_ESTATE;
  /* Every slice's members, and the places of this shard's reps in them. */
  size_t nm = 0, np = 0;
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = dedup__sp_body(runs[s], runs_len[s]);
    uint64_t hn = dedup__sp_count(runs[s]);
    for (uint64_t b = 0; b < hn; b++) {
      uint32_t len = dedup__rc_u32(&r);
      if (r.bad || len < 2 || len > r.left / 8)
        return DEDUP_EFORMAT;
      for (uint32_t x = 0; x < len; x++) {
        dedup__rc_u32(&r);
        uint32_t q = dedup__rc_u32(&r);
        if (q >= n)
          return DEDUP_EFORMAT;
        np += q == sp->shard;
      }
      nm += len;
    }
    if (r.bad || r.left)
      return DEDUP_EFORMAT;
  }
  uint32_t *mg = dedup__malloc((nm ? nm : 1) * sizeof *mg);
  uint32_t *ms = dedup__malloc((nm ? nm : 1) * sizeof *ms);
  place *pl = dedup__malloc((np ? np : 1) * sizeof *pl);
  size_t *first = dedup__calloc(sp->n_reps + 1, sizeof *first);
  place *by = dedup__malloc((np ? np : 1) * sizeof *by);
  cand *cd = NULL, sel[DEDUP__STORY_TOP_M];
  uint32_t *slot = NULL; /* group -> its index in cd + 1, 0: none */
  uint32_t *tie = NULL, *hist = NULL, *uq = NULL, *mi = NULL;
  size_t n_slot = 0;
  sp_obuf *ob = dedup__calloc(n, sizeof *ob);
  rc = DEDUP_ENOMEM;
  if (!mg || !ms || !pl || !first || !by || !ob)
    goto out;
  size_t at = 0, ip = 0;
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = dedup__sp_body(runs[s], runs_len[s]);
    uint64_t hn = dedup__sp_count(runs[s]);
    for (uint64_t b = 0; b < hn; b++) {
      uint32_t len = dedup__rc_u32(&r), slice = (uint32_t)at;
      for (uint32_t x = 0; x < len; x++, at++) {
        mg[at] = dedup__rc_u32(&r);
        ms[at] = dedup__rc_u32(&r);
        if (mg[at] >= sp->n_groups ||
            (x && mg[at] <= mg[at - 1])) { /* groups ascend in a run */
          rc = DEDUP_EFORMAT;
          goto out;
        }
        if (ms[at] == sp->shard) {
          ptrdiff_t rep = rep_of_g(sp, mg[at]);
          if (rep < 0) {
            rc = DEDUP_EFORMAT;
            goto out;
          }
          pl[ip++] = (place){(uint32_t)rep, slice, x, len};
        }
      }
    }
  }
  /* Places by rep (counting sort, in the order read). */
  for (size_t i = 0; i < np; i++)
    first[pl[i].rep + 1]++;
  for (size_t r = 0; r < sp->n_reps; r++) {
    if (first[r + 1] > sp->k) { /* a rep has one place a band at most */
      rc = DEDUP_EFORMAT;
      goto out;
    }
    first[r + 1] += first[r];
  }
  {
    size_t *fill = dedup__malloc((sp->n_reps ? sp->n_reps : 1) * sizeof *fill);
    if (!fill)
      goto out;
    memcpy(fill, first, sp->n_reps * sizeof *fill);
    for (size_t i = 0; i < np; i++)
      by[fill[pl[i].rep]++] = pl[i];
    dedup__free(fill);
  }
  /* Groups by their index among those seen: tables of what the runs
   * hold, not of every group in the corpus. */
  uq = dedup__malloc((nm ? nm : 1) * sizeof *uq);
  mi = dedup__malloc((nm ? nm : 1) * sizeof *mi);
  if (!uq || !mi)
    goto out;
  if (nm)
    memcpy(uq, mg, nm * sizeof *uq);
  n_slot = dedup__u32_sort_unique(uq, nm);
  for (size_t x = 0; x < nm; x++) {
    size_t lo = 0, hi = n_slot;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (uq[mid] < mg[x])
        lo = mid + 1;
      else
        hi = mid;
    }
    mi[x] = (uint32_t)lo;
  }
  slot = dedup__calloc(n_slot ? n_slot : 1, sizeof *slot);
  size_t cap = 2 * (size_t)DEDUP__MAX_BUCKET * sp->k + 1;
  cd = dedup__malloc(cap * sizeof *cd);
  tie = dedup__malloc(cap * sizeof *tie);
  hist = dedup__malloc(((size_t)sp->k + 1) * sizeof *hist);
  if (!slot || !cd || !tie || !hist)
    goto out;
  size_t W = DEDUP__MAX_BUCKET;
  for (size_t r = 0; r < sp->n_reps; r++) {
    /* The samples others share with rep r (story.c's story_cand). */
    size_t nt = 0;
    for (size_t i = first[r]; i < first[r + 1]; i++) {
      const place *p = &by[i];
      size_t lo = p->at > W ? p->at - W : 0;
      size_t hi = DEDUP__MIN((size_t)p->len, (size_t)p->at + W + 1);
      for (size_t x = lo; x < hi; x++) {
        if (x == p->at)
          continue;
        uint32_t li = mi[p->slice + x];
        if (!slot[li]) {
          if (nt == cap) { /* a group in more windows than k bands have */
            rc = DEDUP_EFORMAT;
            goto out;
          }
          cd[nt] = (cand){mg[p->slice + x], ms[p->slice + x], 0, li};
          slot[li] = (uint32_t)++nt;
        }
        cd[slot[li] - 1].cnt++;
      }
    }
    /* The best STORY_TOP_M: most shared samples, then smallest group
     * (story.c's selection: every one above some count c, the smallest
     * groups at c for the rest), in group order. */
    size_t ns = nt;
    if (nt > DEDUP__STORY_TOP_M) {
      memset(hist, 0, ((size_t)sp->k + 1) * sizeof *hist);
      for (size_t t = 0; t < nt; t++)
        hist[DEDUP__MIN(cd[t].cnt, sp->k)]++;
      size_t above = 0, cut = sp->k;
      while (above + hist[cut] < DEDUP__STORY_TOP_M)
        above += hist[cut--];
      size_t nties = 0;
      ns = 0;
      for (size_t t = 0; t < nt; t++) {
        if (cd[t].cnt > cut)
          sel[ns++] = cd[t];
        else if (cd[t].cnt == cut)
          tie[nties++] = cd[t].li; /* in the order of the groups */
      }
      dedup__u32_select(tie, nties, DEDUP__STORY_TOP_M - above);
      for (size_t t = 0; t < DEDUP__STORY_TOP_M - above; t++)
        sel[ns++] = cd[slot[tie[t]] - 1];
    } else {
      memcpy(sel, cd, nt * sizeof *sel);
    }
    for (size_t t = 0; t < nt; t++)
      slot[cd[t].li] = 0;
    qsort(sel, ns, sizeof *sel, cmp_cand_g);
    for (size_t q = 0; q < n; q++)
      put_vec(&ob[q], sp, r, sel, ns, (uint32_t)q);
  }
  for (size_t q = 0; q < n; q++) {
    sp_head h = {SP_VECS, 0, sp->shard, (uint32_t)q, sp->shards, 0,
                 dedup__sp_tag(&c->p), 0};
    vecs[q] = dedup__sp_frame(&ob[q], h, &vecs_len[q]);
    if (!vecs[q])
      goto out;
  }
  rc = DEDUP_OK;
out:
  if (rc != DEDUP_OK)
    dedup__sp_free_bufs(vecs, vecs_len, n);
  for (size_t q = 0; ob && q < n; q++)
    dedup__free(ob[q].w.p);
  dedup__free(ob);
  dedup__free(mg);
  dedup__free(ms);
  dedup__free(pl);
  dedup__free(first);
  dedup__free(by);
  dedup__free(cd);
  dedup__free(slot);
  dedup__free(tie);
  dedup__free(hist);
  dedup__free(uq);
  dedup__free(mi);
  return rc;
}

/* ---- cosines where the candidates are ----------------------------------- */

DEDUP_API int dedup_corpus_score(dedup_corpus *c, const void *const *vecs,
                                 const size_t *vecs_len, size_t n,
                                 void **edges, size_t *edges_len) {
  if (edges)
    *edges = NULL;
  if (edges_len)
    *edges_len = 0;
  if (!edges || !edges_len)
    return DEDUP_EINVAL;
  sp_head h0;
  int rc = dedup__sp_shard_in(c, vecs, vecs_len, n, SP_VECS, &h0);
  if (rc != DEDUP_OK)
    return rc;
  dedup__spread *sp = c->spread;
  if (sp->stage != SPS_SIGNED)
    return DEDUP_ESTATE;
  sp_obuf ob = {0};
  uint64_t *id = NULL;
  float *w = NULL;
  size_t cap = 0;
  double days = c->p.story_days;
  for (size_t s = 0; s < n; s++) {
    dedup__rcur r = dedup__sp_body(vecs[s], vecs_len[s]);
    uint64_t hn = dedup__sp_count(vecs[s]);
    for (uint64_t b = 0; b < hn; b++) {
      uint32_t gi = dedup__rc_u32(&r), dated = dedup__rc_u32(&r);
      int64_t date = (int64_t)dedup__rc_u64(&r);
      uint32_t nt = dedup__rc_u32(&r);
      rc = DEDUP_EFORMAT;
      if (r.bad || dated > 1 || nt > r.left / 12 || gi >= sp->n_groups)
        goto out;
      if (nt > cap) {
        rc = DEDUP_ENOMEM;
        uint64_t *ni = dedup__reallocarray(id, nt, sizeof *id);
        if (ni)
          id = ni;
        float *nw = ni ? dedup__reallocarray(w, nt, sizeof *w) : NULL;
        if (!nw)
          goto out;
        w = nw;
        cap = nt;
      }
      rc = DEDUP_EFORMAT;
      for (uint32_t t = 0; t < nt; t++) {
        id[t] = dedup__rc_u64(&r);
        w[t] = dedup__bitsf(dedup__rc_u32(&r));
        if ((t && id[t] <= id[t - 1]) || !isfinite(w[t]))
          goto out;
      }
      uint32_t nj = dedup__rc_u32(&r);
      if (r.bad || nj > r.left / 4)
        goto out;
      for (uint32_t u = 0; u < nj; u++) {
        uint32_t gj = dedup__rc_u32(&r);
        ptrdiff_t q = rep_of_g(sp, gj);
        if (q < 0 || gj == gi)
          goto out;
        /* The batch's sum: the products of the common terms in term
         * order (exact in double), then the time factor. */
        const dedup__svec *v = &sp->vec[q];
        double x = 0;
        for (uint32_t a = 0, bb = 0; a < nt && bb < v->n;) {
          if (id[a] < v->id[bb]) {
            a++;
          } else if (id[a] > v->id[bb]) {
            bb++;
          } else {
            x += (double)w[a] * v->w[bb];
            a++;
            bb++;
          }
        }
        if (days > 0 && dated && sp->rep_dated[q])
          x *= dedup__story_time_factor(days, date, sp->rep_date[q]);
        if (x >= DEDUP__STORY_EDGE_MIN) {
          sp_ob_u32(&ob, DEDUP__MIN(gi, gj));
          sp_ob_u32(&ob, DEDUP__MAX(gi, gj));
          sp_ob_u32(&ob, dedup__fbits((float)DEDUP__MIN(x, 1.0)));
          ob.count++;
        }
      }
    }
    if (r.bad || r.left) {
      rc = DEDUP_EFORMAT;
      goto out;
    }
  }
  sp_head h = {SP_EDGES, 0, sp->shard, 0, sp->shards, 0,
               dedup__sp_tag(&c->p), 0};
  *edges = dedup__sp_frame(&ob, h, edges_len);
  rc = *edges ? DEDUP_OK : DEDUP_ENOMEM;
  if (rc == DEDUP_OK)
    sp->stage = SPS_VECS;
out:
  dedup__free(ob.w.p);
  dedup__free(id);
  dedup__free(w);
  return rc;
}

