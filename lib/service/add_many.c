/* add_many.c - dedup_index_add_many(): a batch of documents added as
 * dedup_index_add() calls in order would add them, with the part of each
 * add that only reads the index (normalising, cleaning, shingling,
 * signing: about a third of an add) done first on several threads.
 *
 * A document is signed ahead with the line counts as they were before
 * the batch; the answers its cleaning got are kept (assign.h: asked) and
 * checked at its turn against the counts then, after the adds before it:
 * when one differs (an earlier document of the batch put a short line on
 * a second page), it is signed again there.  So the result is that of
 * the lone adds, whatever the number of threads. */
#include "service/assign.h"

#include <stdlib.h>
#include <string.h>

typedef struct ahead {
  const dedup_index *ix;
  dedup__scratch *s; /* one a worker */
  prep *q;
  asked *a;
  const int *pre; /* the call's checks: only what passed is prepared */
  int *rc;        /* what the preparing said */
  const char *const *texts;
  const size_t *lens;
  const dedup_doc_meta *const *metas;
  const int *langs;
  unsigned flags;
} ahead;

static int sign_ahead(void *ctx, unsigned worker, size_t i) {
  const ahead *h = ctx;
  if (h->pre[i] == DEDUP_OK)
    h->rc[i] = dedup__ix_prep_ahead(h->ix, &h->s[worker], &h->q[i], &h->a[i],
                                    h->texts[i], h->lens[i],
                                    h->metas ? h->metas[i] : NULL,
                                    h->langs[i], h->flags);
  return DEDUP_OK; /* each document's status is its own */
}

DEDUP_API int dedup_index_add_many(dedup_index *ix, size_t n,
                                   const char *const *ids,
                                   const char *const *texts,
                                   const size_t *lens,
                                   const dedup_doc_meta *const *metas,
                                   unsigned flags, unsigned threads,
                                   dedup_assignment *out, int *status) {
  if (!ix || (n && (!ids || !texts || !lens || !status)) ||
      (flags & ~(unsigned)(DEDUP_ADD_REPLACE | DEDUP_ADD_DEFER)))
    return DEDUP_EINVAL;
  for (size_t i = 0; out && i < n; i++)
    if (out[i].version < 1 || out[i].version > DEDUP_ASSIGNMENT_VERSION)
      return DEDUP_EINVAL;
  if (ix->flags & DEDUP_INDEX_READ_ONLY)
    return DEDUP_ESTATE;
  if (!n)
    return DEDUP_OK;
  if (!threads)
    threads = dedup__cpu_count();
  threads = (unsigned)DEDUP__MIN((size_t)threads, n);
  prep *q = dedup__calloc(n, sizeof *q);
  asked *a = dedup__calloc(n, sizeof *a);
  int *langs = dedup__calloc(n, sizeof *langs);
  int *pre = dedup__calloc(n, sizeof *pre);
  int *got = dedup__calloc(n, sizeof *got);
  dedup__scratch *s = dedup__calloc(threads, sizeof *s);
  unsigned ready = 0;
  int rc = q && a && langs && pre && got && s ? dedup__index_ready(ix)
                                              : DEDUP_ENOMEM;
  while (rc == DEDUP_OK && ready < threads &&
         (rc = dedup__scratch_init(&s[ready], &ix->p)) == DEDUP_OK)
    ready++;
  if (rc == DEDUP_OK) {
    /* The checks each call makes first, as dedup_index_add() makes them. */
    for (size_t i = 0; i < n; i++)
      pre[i] = !ids[i] || !*ids[i]
                   ? DEDUP_EINVAL
                   : dedup__add_check(ids[i], texts[i], lens[i],
                                      metas ? metas[i] : NULL, &langs[i]);
    ahead h = {ix, s, q, a, pre, got, texts, lens, metas, langs, flags};
    rc = dedup__parallel_for(threads, n, sign_ahead, &h);
  }
  /* Then each add at its turn, in order. */
  for (size_t i = 0; rc == DEDUP_OK && i < n; i++) {
    const dedup_doc_meta *m = metas ? metas[i] : NULL;
    dedup_assignment *o = out ? &out[i] : NULL;
    if (pre[i] != DEDUP_OK) {
      status[i] = pre[i];
    } else if (dedup__index_find(ix, ids[i]) != IX_NONE &&
               !(flags & DEDUP_ADD_REPLACE)) {
      status[i] = DEDUP_EEXIST;
    } else if (got[i] == DEDUP_ENOMEM) { /* at its turn, as a lone add */
      dedup__ix_prep_free(&q[i]);
      status[i] = dedup__index_add(ix, ids[i], texts[i], lens[i], m,
                                   langs[i], flags, o);
    } else if (got[i] != DEDUP_OK) { /* its text refused */
      status[i] = got[i];
    } else {
      status[i] = dedup__ix_add_prepared(ix, ids[i], &q[i],
                                         q[i].signed_ ? &a[i] : NULL,
                                         texts[i], lens[i], m, langs[i],
                                         flags, o);
    }
    dedup__ix_prep_free(&q[i]);
    dedup__ix_asked_free(&a[i]);
  }
  for (unsigned w = 0; w < ready; w++)
    dedup__scratch_free(&s[w]);
  for (size_t i = 0; q && a && i < n; i++) { /* (a call that failed early) */
    dedup__ix_prep_free(&q[i]);
    dedup__ix_asked_free(&a[i]);
  }
  dedup__free(q);
  dedup__free(a);
  dedup__free(langs);
  dedup__free(pre);
  dedup__free(got);
  dedup__free(s);
  return rc;
}
