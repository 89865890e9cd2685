/* assign.h - what assign.c (an add: the document prepared, its copy
 * level, the commit) and stories.c (its story level, the second looks)
 * share; internal to lib/service/. */
#ifndef DEDUP_ASSIGN_H
#define DEDUP_ASSIGN_H

#include "service/index_private.h"

/* Counts a query adds to the index's: its lines, its terms (as a new
 * group's representative) and its embedded articles' terms. */
typedef struct extra {
  const dedup__lines *lines;
  const dedup__countmap *own_lines; /* NULL: none */
  const dedup__countmap *own_df;    /* NULL: none */
  uint32_t own_n;                   /* documents it adds to N */
} extra;

typedef struct prep {
  int signed_;               /* prep_sign done (sig, words, item, lines) */
  cdoc d;                    /* normalised text, title, date, language */
  citem item;                /* words, empty, term counts */
  uint64_t *sig64;           /* the corpus' layout of the signature */
  uint32_t *sig;             /* ... as the index keeps it (sig32 words) */
  uint64_t *words;           /* copy LSH words */
  dedup__u64vec lines;       /* its line keys, sorted, distinct */
  dedup__countmap own_lines; /* the same, for a query's look-ups */
  dedup__countmap own_df;
  unsigned lt;        /* statistics language */
  uint64_t text_hash; /* of d.text */
  /* copy level */
  uint32_t *groups; /* verified copies' groups (roots), distinct */
  size_t n_groups;
  double copy_sim;
  /* story level (new groups) */
  uint64_t *vid;
  float *vw;
  uint32_t nv;
  uint64_t *samples; /* story_k */
  ixlink *hits;      /* the groups it links (DEDUP__STORY_TOP_M room) */
  size_t n_hits;
} prep;

/* What an add would do: q prepared, its copies' groups found, and for a
 * new group its vector and best story. */
typedef struct plan {
  uint32_t target;  /* the group it joins (oldest of q->groups); IX_NONE */
  uint32_t story;   /* a new group's story (IX_NONE: a new one) */
  double story_avg; /* the best average found (0: none linked) */
  uint32_t *merge;  /* other stories a new group brings together with
                       its own: average link between them >= threshold */
  size_t n_merge;
} plan;

/* The answers about line counts a signing got ahead of its add
 * (dedup_index_add_many signs documents in parallel, with the counts as
 * they were before the batch): each key asked about and whether it was
 * on 2 pages or more, the only question page cleaning asks of a count
 * (page.c: classify and strip_title compare df with 2).  The add checks
 * them against the counts of its turn and signs again when one differs,
 * so that it is the add a lone dedup_index_add() would make. */
typedef struct asked {
  dedup__u64vec keys;
  unsigned char *on2;
  size_t cap;
  int lost; /* an answer not kept (out of memory): sign again */
} asked;

/* ---- assign.c ---------------------------------------------------------- */

void dedup__ix_prep_free(prep *q);
void dedup__ix_asked_free(asked *a);
/* What an add can do before its turn, reading ix only (many at once, each
 * with its own scratch s): the text normalised and checked (its status
 * returned: DEDUP_EEMPTY ...) and, unless deferred, the document signed
 * with its answers kept in a (a signing out of memory is left for the
 * add's turn). */
int dedup__ix_prep_ahead(const dedup_index *ix, dedup__scratch *s, prep *q,
                         asked *a, const char *text, size_t len,
                         const dedup_doc_meta *meta, int lang,
                         unsigned flags);
/* The add of a document whose text q holds (prep_text done; its id not
 * indexed unless DEDUP_ADD_REPLACE), signed ahead when a is not NULL, in
 * which case a's answers are checked first.  q is freed; text, len, meta
 * and lang are the add's own (for the journal, or a signing again). */
int dedup__ix_add_prepared(dedup_index *ix, const char *id, prep *q,
                           asked *a, const char *text, size_t len,
                           const dedup_doc_meta *meta, int lang,
                           unsigned flags, dedup_assignment *out);

/* ---- stories.c --------------------------------------------------------- */

/* Story samples of a vector (squared weights), as the story LSH takes
 * them: the low halves. */
int dedup__ix_samples(const dedup_index *ix, const uint64_t *vid,
                      const float *vw, uint32_t nv, uint64_t *out);
/* A group's kept samples as the LSH takes them (story_k words). */
void dedup__ix_widen(const dedup_index *ix, const ixgroup *G, uint64_t *out);
/* Keeps samples s as group G's (DEDUP_ENOMEM: G as it was). */
int dedup__ix_keep_samples(const dedup_index *ix, ixgroup *G,
                           const uint64_t *s);
/* A TF-IDF vector of counts with the index's df and N (plus x's, when
 * not NULL: a new document's own) into one block (*vid, *vw after it). */
int dedup__ix_weigh(const dedup_index *ix, const uint64_t *id, const float *cnt,
                    uint32_t n, unsigned lt, const extra *x, uint64_t **vid,
                    float **vw, uint32_t *nv);
/* A new group's story and the stories it brings together into pl. */
int dedup__ix_plan_story(const dedup_index *ix, dedup_index *ixw, prep *q,
                         plan *pl);
/* Group G keeps a link to h of score x (its strongest IX_LINKS). */
void dedup__ix_add_link(ixgroup *G, uint32_t h, float x);
/* Story b merged into a (logged; room in the log was made). */
void dedup__ix_merge_story(dedup_index *ix, uint32_t a, uint32_t b);
/* New group g into story st. */
void dedup__ix_story_add_group(dedup_index *ix, uint32_t st, uint32_t g);
/* The second looks after an add (REVISIT_PER_ADD old groups). */
int dedup__ix_revisit(dedup_index *ix);

#endif
