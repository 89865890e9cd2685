/* eval.c - pairwise and B-cubed scores of a clustering against labels. */
#include "common/dedup_private.h"

#include <stdlib.h>

typedef struct lab {
  size_t p, t; /* predicted, true */
} lab;

static int cmp_pt(const void *x, const void *y) {
  const lab *a = x, *b = y;
  if (a->p != b->p)
    return a->p < b->p ? -1 : 1;
  return (a->t > b->t) - (a->t < b->t);
}

static int cmp_size(const void *x, const void *y) {
  size_t a = *(const size_t *)x, b = *(const size_t *)y;
  return (a > b) - (a < b);
}

/* Sizes of the groups of equal values in v (sorted copy made here):
 * size_of[i] = how many items share item i's value.  Returns 0 or -1. */
static int group_sizes(const size_t *v, size_t n, size_t *size_of,
                       size_t *pairs) {
  size_t *s = dedup__malloc((n ? n : 1) * sizeof *s);
  if (!s)
    return -1;
  for (size_t i = 0; i < n; i++)
    s[i] = v[i];
  qsort(s, n, sizeof *s, cmp_size);
  *pairs = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && s[j] == s[i])
      j++;
    *pairs += (j - i) * (j - i - 1) / 2;
    i = j;
  }
  for (size_t i = 0; i < n; i++) {
    size_t lo = 0, hi = n; /* lower bound of v[i] */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (s[mid] < v[i])
        lo = mid + 1;
      else
        hi = mid;
    }
    size_t up = lo;
    while (up < n && s[up] == v[i])
      up++;
    size_of[i] = up - lo;
  }
  dedup__free(s);
  return 0;
}

static double f1(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0; }

DEDUP_API int dedup_eval_scores(dedup_scores *out, const size_t *predicted,
                                const size_t *truth, size_t n) {
  if (!out)
    return DEDUP_EINVAL;
  *out = (dedup_scores){0};
  if (n && (!predicted || !truth))
    return DEDUP_EINVAL;
  lab *l = dedup__malloc((n ? n : 1) * sizeof *l);
  size_t *psize = dedup__malloc((n ? n : 1) * sizeof *psize);
  size_t *tsize = dedup__malloc((n ? n : 1) * sizeof *tsize);
  int rc = DEDUP_ENOMEM;
  if (!l || !psize || !tsize)
    goto out;
  if (group_sizes(predicted, n, psize, &out->predicted_pairs) ||
      group_sizes(truth, n, tsize, &out->true_pairs))
    goto out;
  for (size_t i = 0; i < n; i++)
    l[i] = (lab){predicted[i], truth[i]};
  qsort(l, n, sizeof *l, cmp_pt);
  /* Items agreeing on both labels: their pairs are the correct pairs. */
  double bp = 0, br = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && l[j].p == l[i].p && l[j].t == l[i].t)
      j++;
    size_t both = j - i;
    out->correct_pairs += both * (both - 1) / 2;
    i = j;
  }
  /* B-cubed: for each item, the share of its predicted cluster that is in
   * its true cluster (precision) and the other way round (recall). */
  for (size_t i = 0; i < n; i++) {
    lab key = {predicted[i], truth[i]};
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (cmp_pt(&l[mid], &key) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    size_t up = lo;
    while (up < n && cmp_pt(&l[up], &key) == 0)
      up++;
    double both = (double)(up - lo);
    bp += both / (double)psize[i];
    br += both / (double)tsize[i];
  }
  out->pair_precision = out->predicted_pairs
                            ? (double)out->correct_pairs / out->predicted_pairs
                            : 1.0;
  out->pair_recall =
      out->true_pairs ? (double)out->correct_pairs / out->true_pairs : 1.0;
  out->pair_f1 = f1(out->pair_precision, out->pair_recall);
  out->bcubed_precision = n ? bp / (double)n : 1.0;
  out->bcubed_recall = n ? br / (double)n : 1.0;
  out->bcubed_f1 = f1(out->bcubed_precision, out->bcubed_recall);
  rc = DEDUP_OK;
out:
  dedup__free(l);
  dedup__free(psize);
  dedup__free(tsize);
  return rc;
}
