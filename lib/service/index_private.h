/* index_private.h - the service index's layout and the calls between the
 * files of lib/service/ (the layer above corpus/):
 *
 *   index.c       the handle: new, free, ids, lookups, documents' records
 *   assign.c      online add and query: the document prepared, its copy
 *                 group, the commit (assign.h: what it shares with ...)
 *   stories.c     ... the story level: weighing, candidates, the story
 *                 joined and merged, the second looks at old groups
 *   remove.c      remove and expire: records taken back from the tables
 *   rebuild.c     a batch run over the texts, ids carried over
 *   index_file.c  save and open: the file format, the writer's lock
 *
 * doc/service.md describes the model; index_file.c the format. */
#ifndef DEDUP_INDEX_PRIVATE_H
#define DEDUP_INDEX_PRIVATE_H

#include "corpus/corpus_private.h"
#include "index/lsh.h"

/* A document slot's state.  Slots are never reused: a slot's number is
 * its place in the order of adding. */
enum {
  IXD_DEAD = 0,     /* removed (id freed, records freed) */
  IXD_LIVE = 1,     /* assigned: in a copy group and its story */
  IXD_DEFERRED = 2  /* kept with its text, assigned by the next rebuild */
};

#define IX_NONE UINT32_MAX

typedef struct ixdoc {
  char *id;          /* owned; NULL when dead */
  char *text;        /* normalised text: KEEP_TEXTS or deferred; else NULL */
  size_t len;
  char *title;       /* given title (normalised), NULL when none or no text */
  size_t title_len;
  int64_t date;      /* Unix seconds, when has_date */
  uint8_t has_date;
  uint8_t lang;       /* dedup__lang index */
  uint8_t lang_state; /* CDOC_LANG_* (FOUND once assigned, or GIVEN) */
  uint8_t state;      /* IXD_* */
  uint32_t group;    /* copy group slot (IX_NONE unless live) */
  uint32_t next;     /* next member of the group (IX_NONE: the last) */
  uint32_t words;    /* words of its main item (who represents a group) */
  uint64_t text_hash; /* XXH3 of its normalised text (exact copies) */
  /* Records, one block (rec): n_terms term ids, n_bg term ids of its
   * embedded articles (one set per article, concatenated), n_lines keys
   * of its short lines (what it added to the line counts), all uint64_t,
   * then n_terms float term counts.  NULL when all are 0. */
  uint32_t n_terms, n_bg, n_lines;
  uint32_t n_bg_arts; /* embedded articles (documents of the IDF's N) */
  uint64_t *rec;
} ixdoc;

/* The record block's parts. */
static inline uint64_t *ixdoc_terms(const ixdoc *d) { return d->rec; }
static inline uint64_t *ixdoc_bg(const ixdoc *d) {
  return d->rec + d->n_terms;
}
static inline uint64_t *ixdoc_lines(const ixdoc *d) {
  return d->rec + d->n_terms + d->n_bg;
}
static inline float *ixdoc_counts(const ixdoc *d) {
  return (float *)(void *)(d->rec + d->n_terms + d->n_bg + d->n_lines);
}
/* Bytes of a record block of these sizes. */
static inline size_t ixdoc_rec_bytes(uint32_t nt, uint32_t nb, uint32_t nl) {
  return ((size_t)nt + nb + nl) * sizeof(uint64_t) + (size_t)nt * sizeof(float);
}

/* A story link a group keeps: to group g (a slot; find its root), of
 * score x when last scored. */
typedef struct ixlink {
  uint32_t g;
  float x;
} ixlink;

/* Links a group keeps (its strongest, both ways: those it found when it
 * was added and those later groups found to it), for a second look at
 * its story without a search (assign.c: revisit). */
#define IX_LINKS 16

typedef struct ixgroup {
  uint64_t copy_id;  /* public id, > 0 */
  uint32_t parent;   /* itself while the group lives; else the group it
                        was merged into (find the root) */
  uint32_t rep;      /* representative doc slot (IX_NONE when empty) */
  uint32_t head, tail; /* member list through ixdoc.next, in slot order */
  uint32_t n_members; /* live members */
  uint32_t story;    /* story slot (find its root) */
  uint32_t snext;    /* next group of the story (IX_NONE: the last); the
                        list may hold groups merged away (skip them) */
  uint8_t dated;     /* date: the earliest of its dated members */
  int64_t date;
  uint32_t weighed_n; /* its language's document count when weighed */
  /* The representative's TF-IDF vector: nv term ids ascending (vid) and
   * L2-normalised weights (vw), one block (vid first). */
  uint32_t nv;
  uint64_t *vid;
  float *vw;         /* points into vid's block */
  /* Its story_k samples in the story LSH (the low halves of the
   * vector's DartMinHash: kept so that a removal or a second look needs
   * no sampling); NULL when nv is 0. */
  uint32_t *smp;
  uint32_t sampled_n; /* its language's document count when sampled */
  uint32_t n_links;
  ixlink links[IX_LINKS];
} ixgroup;

typedef struct ixstory {
  uint64_t story_id; /* public id, > 0 */
  uint32_t parent;   /* itself while the story lives, else merged into */
  uint32_t n_groups; /* live copy groups */
  uint32_t head, tail; /* its groups through ixgroup.snext */
} ixstory;

/* One merge, in the order they happened: an id that lost its meaning
 * and the one that took its documents. */
typedef struct ixmerge {
  uint64_t from, into;
  uint8_t level;     /* DEDUP_LEVEL_COPY or DEDUP_LEVEL_STORY */
} ixmerge;

/* The journal (journal.c): the changes since the index file at path was
 * written, as operations that open does again. */
typedef struct ixjournal {
  unsigned char *buf; /* operations not saved yet, encoded as in the file */
  size_t len, cap;
  size_t n_buf;       /* operations in buf */
  int ok;             /* 1: the file, its journal and buf hold every change
                         (else the next save writes the file whole) */
  int replaying;      /* open is doing the journal's operations again */
  uint64_t tag;       /* the file's tag (0: none written or read) */
  uint64_t file_bytes;
  uint64_t bytes;     /* the journal file's committed length (0: none) */
  size_t ops;         /* operations in it */
  uint64_t ignored;   /* bytes after its last complete save, left out */
} ixjournal;

struct dedup_index {
  dedup_params p;    /* resolved */
  unsigned flags;    /* DEDUP_INDEX_KEEP_TEXTS, DEDUP_INDEX_READ_ONLY */
  ixdoc *docs;
  size_t n_docs, cap_docs; /* slots, dead ones included */
  size_t n_live;     /* live + deferred */
  size_t n_deferred;
  uint32_t *sigs;    /* sig32 words a doc slot: the MinHash's 32-bit
                        words (num_perm), or the SimHash (2 words, low
                        half first) */
  size_t sig32;
  ixgroup *groups;
  size_t n_groups, cap_groups;
  ixstory *stories;
  size_t n_stories, cap_stories;
  uint64_t next_copy_id, next_story_id; /* the next ids given (from 1) */
  ixmerge *merges;   /* every merge so far (dedup_index_merge) */
  size_t n_merges, cap_merges;
  uint32_t revisit;  /* the group slot the next add looks at again
                        (assign.c: revisit) */
  /* id -> slot: open addressing over live and deferred slots (IX_NONE:
   * empty, IX_TOMB: a removed one, probing goes on). */
  uint32_t *idmap;
  size_t idcap, idused;
  /* Statistics: counts that adds increment and removals decrement. */
  dedup__lines *lines;    /* short lines: in how many documents */
  dedup__countmap heavy;  /* word runs many documents share, as of the
                             last rebuild (dedup__grams_heavy) */
  dedup__countmap df;     /* term id -> representatives and embedded
                             articles that have it */
  dedup__countmap exact;  /* text hash -> slot + 1 of a live document of
                             that text (0: none): exact copies join their
                             group whatever the cleaning of their day */
  uint32_t *N;            /* per language (dedup__lang_count()): the
                             documents df counts */
  /* LSH: copy level over doc slots (b bands of r 64-bit words, the 32-bit
   * signature words widened; SimHash: its blocks), story level over group
   * slots (story_k samples of the representative's vector, one a band). */
  dedup__lsh *copy_lsh;
  unsigned copy_b, copy_r;
  dedup__lsh *story_lsh;
  unsigned story_k;
  /* The writer's working state (never saved). */
  dedup__langs *langs;
  dedup__scratch ws;
  uint32_t *live;    /* slots of live and deferred docs in order, made on
                        demand for dedup_index_doc; NULL when stale */
  char *path;        /* opened from (NULL: made by dedup_index_new) */
  int lock_fd;       /* the writer's lock (-1: none) */
  ixjournal j;       /* changes since the file was written (journal.c) */
};

#define IX_TOMB (UINT32_MAX - 1)

/* ---- index.c ----------------------------------------------------------- */

/* An empty index of resolved params p (no checks). */
int dedup__index_alloc(dedup_index **out, const dedup_params *p,
                       unsigned flags);
/* The slot of an id (IX_NONE: not there). */
uint32_t dedup__index_find(const dedup_index *ix, const char *id);
/* Enters slot into the id map (its id set); DEDUP_OK or DEDUP_ENOMEM. */
int dedup__index_map(dedup_index *ix, uint32_t slot);
/* Takes slot's id out of the id map. */
void dedup__index_unmap(dedup_index *ix, uint32_t slot);
/* Room for one more doc, group or story slot. */
int dedup__index_room(dedup_index *ix, int docs, int groups, int stories);
uint32_t dedup__group_root(const dedup_index *ix, uint32_t g);
uint32_t dedup__story_root(const dedup_index *ix, uint32_t s);
/* Frees what a slot owns (id, text, title, records). */
void dedup__ixdoc_free(ixdoc *d);
/* The writer's working state: stop tables and scratch. */
int dedup__index_ready(dedup_index *ix);

/* Room for n more merges in the log. */
int dedup__index_merge_room(dedup_index *ix, size_t n);
/* Appends a merge to the log (never fails after room for it was made). */
int dedup__index_log_merge(dedup_index *ix, int level, uint64_t from,
                           uint64_t into);
/* After an add (slot: the new one) or removals (IX_NONE): the list of
 * live slots dedup_index_doc reads, kept while some slot is dead. */
void dedup__index_live_sync(dedup_index *ix, uint32_t slot);

/* ---- assign.c ---------------------------------------------------------- */

/* The LSH tables for the params (empty). */
int dedup__index_lsh_new(dedup_index *ix);
/* The 64-bit words the copy LSH takes from doc slot's signature into
 * out (copy_b * copy_r words). */
void dedup__index_copy_words(const dedup_index *ix, const uint32_t *sig,
                             uint64_t *out);
/* The story samples of a group's vector into out (story_k words). */
/* Group g's representative becomes doc slot r (IX_NONE: none), already
 * counted in the statistics: its vector weighed, its samples in the
 * story LSH instead of the old ones. */
int dedup__index_set_rep(dedup_index *ix, uint32_t g, uint32_t r);
/* Group g's vector weighed again from its representative's counts
 * (samples taken when it had none); out of memory it is as it was. */
int dedup__index_reweigh(dedup_index *ix, uint32_t g);
/* The language whose statistics a document's terms count in. */
unsigned dedup__ixdoc_lt(const ixdoc *d);
/* Adds (sign 1) or takes back (-1) a representative's terms in df, N. */
int dedup__index_count_rep(dedup_index *ix, const ixdoc *d, int sign);
/* The better representative of two doc slots (more words, then older). */
uint32_t dedup__index_better(const dedup_index *ix, uint32_t a, uint32_t b);

/* ---- journal.c -------------------------------------------------------- */

/* After a successful add of slot sl (id, text, meta as given, lang the
 * language given: 0 none): the operation into the journal's buffer. */
void dedup__journal_add(dedup_index *ix, uint32_t sl, const char *text,
                        size_t len, const dedup_doc_meta *meta, int lang,
                        unsigned flags);
/* Before slot sl is removed (by remove, expire or a replacing add). */
void dedup__journal_remove(dedup_index *ix, uint32_t sl);
/* "PATH.journal" into a new block (NULL: out of memory). */
char *dedup__journal_path(const char *path);
/* A change no operation describes (a rebuild): the next save to the
 * index's own file writes it whole. */
void dedup__journal_lost(dedup_index *ix);
/* dedup_index_save() to the index's own file: the buffer appended to the
 * journal when that will do (*done 1), else *done 0 (write the file
 * whole).  DEDUP_OK, DEDUP_EIO, DEDUP_ENOMEM. */
int dedup__journal_save(dedup_index *ix, int *done);
/* After the file at ix->path was written whole (its tag and length):
 * the journal removed, the buffer emptied. */
void dedup__journal_reset(dedup_index *ix, uint64_t tag, uint64_t bytes);
/* On open of path (the file's tag and length): its journal's complete
 * saves done again.  DEDUP_OK, DEDUP_EFORMAT, DEDUP_EVERSION, DEDUP_EIO,
 * DEDUP_ENOMEM. */
int dedup__journal_replay(dedup_index *ix, uint64_t tag, uint64_t bytes);

/* ---- assign.c (also) ---------------------------------------------------- */

/* dedup_index_add() with its arguments checked and the language given
 * resolved (0: none): as replay does it again. */
int dedup__index_add(dedup_index *ix, const char *id, const char *text,
                     size_t len, const dedup_doc_meta *meta, int lang,
                     unsigned flags, dedup_assignment *out);
/* dedup_index_remove() of slot sl. */
int dedup__index_remove_slot(dedup_index *ix, uint32_t sl);

/* ---- index_file.c ----------------------------------------------------- */

/* dedup_index_open() of a file's len bytes in memory (no lock, no path;
 * flags: DEDUP_INDEX_READ_ONLY or 0), as the fuzz harness and the tests
 * use it: DEDUP_OK, DEDUP_EFORMAT, DEDUP_EVERSION, DEDUP_ENOMEM. */
int dedup__index_open_mem(dedup_index **out, const void *buf, size_t len,
                          unsigned flags);

#endif
