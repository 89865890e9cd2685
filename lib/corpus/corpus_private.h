/* corpus_private.h - the corpus handle's layout and the calls between the
 * files of lib/corpus/:
 *
 *   params.c    defaults, validation and versioned copies of the structs
 *   corpus.c    the handle: documents in (the pool), results out (queries)
 *   items.c     per document: normalise, line counts, cut the page into
 *               items, sign each item (explain.c re-cuts with the same code)
 *   copy.c      copy level: LSH candidates, verification
 *   story.c     story level: TF-IDF, weighted MinHash candidates, cosine,
 *               average link
 *   run.c       one run: the phases in order, clusters numbered
 *   explain.c   why two items are (not) clustered
 *   index_io.c  a corpus to a file and back
 *   shard_stats.c    a run split over shards: statistics, their exchange,
 *                    signing with them
 *   shard_records.c  ... the shards' records and the run over them
 */
#ifndef DEDUP_CORPUS_PRIVATE_H
#define DEDUP_CORPUS_PRIVATE_H

#include "cluster/cluster.h"
#include "common/dedup_private.h"
#include "text/lang.h"
#include "text/page.h"
#include "text/stem.h"
#include "text/terms.h"

#include <stdatomic.h>

/* Defaults a user gets without setting a field (doc/tuning.md says where
 * each value comes from). */
#define DEDUP__SHINGLE_K 5
#define DEDUP__NUM_PERM 128
#define DEDUP_MINHASH_THRESHOLD 0.5 /* est. Jaccard of word 5-shingles */
#define DEDUP_SIMHASH_THRESHOLD 0.9 /* 1 - Hamming/64, i.e. <= 6 bits */
#define DEDUP_STORY_THRESHOLD 0.265 /* average-link TF-IDF cosine */
#define DEDUP_STORY_DAYS 120.0 /* time scale of the story level, days */
#define DEDUP__MAX_STORY_DAYS 1e6 /* larger: no decay worth the name */
#define DEDUP__MAX_THREADS 1024

/* LSH bucket members paired with each other, at both levels: a bigger
 * bucket is a common band (boilerplate), not a copy group. */
#define DEDUP__MAX_BUCKET 64

/* ---- params.c ---------------------------------------------------------- */

/* Copies the caller's params of any known version into *out, the rest
 * defaulted, then resolves zero fields and checks ranges.  Returns
 * DEDUP_OK or DEDUP_EINVAL. */
int dedup__params_resolve(dedup_params *out, const dedup_params *in);
/* Resolved params p in the layout of a version (DEDUP_EINVAL: unknown). */
int dedup__params_copy_out(dedup_params *out, const dedup_params *p,
                           unsigned version);

/* Run options resolved: threads >= 1, levels with the copy level. */
typedef struct dedup__runopts {
  unsigned threads;
  unsigned levels;
  dedup_progress_fn progress;
  void *progress_ctx;
} dedup__runopts;

int dedup__runopts_resolve(dedup__runopts *out, const dedup_run_options *in);

/* ---- documents (corpus.c) ---------------------------------------------- */

/* Where a document's strings live: in the corpus' pool (documents added
 * by dedup_corpus_add) or in blocks of their own (documents loaded by
 * index_io.c, texts that grew when normalised), freed one by one. */
enum {
  CDOC_POOL_NAME = 1,
  CDOC_POOL_RAW = 2,
  CDOC_POOL_TEXT = 4,
  CDOC_POOL_TITLE = 8
};

/* Where a document's language comes from. */
enum {
  CDOC_LANG_UNKNOWN = 0, /* not identified yet */
  CDOC_LANG_FOUND = 1,   /* identified by a run (a function of the text) */
  CDOC_LANG_GIVEN = 2    /* given with the document (dedup_doc_meta) */
};

typedef struct cdoc {
  char *name;
  char *raw;         /* bytes as added, until normalised */
  size_t raw_len;
  char *text;        /* normalised (not case-folded) */
  size_t len;
  size_t n_invalid;
  uint32_t seq;      /* position in the order of adding (loaded ones
                        first), which the run's sort by name loses */
  char *title;       /* given title (as added; normalised with the text),
                        NULL when none was given */
  size_t title_len;
  int64_t date;      /* Unix seconds, when has_date */
  int has_date;
  uint8_t lang;      /* dedup__lang index, when lang_state is not 0 */
  uint8_t lang_state; /* CDOC_LANG_* */
  dedup__u64vec bg;  /* run scratch: term ids of the other articles
                        (embedded, not items), one set each */
  size_t n_bg;       /* run scratch: how many such articles */
  unsigned pooled;   /* CDOC_POOL_*; 0 (own blocks) when zeroed */
} cdoc;

/* Bump allocator for documents' names and texts: few large blocks
 * instead of two small ones a document, no per-block overhead, and pages
 * the kernel can back with huge pages (first touches of fresh memory are
 * what adding a document mostly costs).  Freed only with the corpus. */
typedef struct cpool {
  char **slab;
  size_t n_slab, cap_slab;
  char *at;          /* free room at the end of the last slab */
  size_t left;
  size_t next;       /* size of the next slab (grows geometrically) */
} cpool;

void dedup__doc_free(cdoc *d);
/* What dedup_corpus_add_doc refuses of a document alone (DEDUP_EINVAL,
 * DEDUP_ETOOBIG, dedup__doc_check's); *lang: the given language's index,
 * 0 when none is given. */
int dedup__add_check(const char *name, const char *text, size_t len,
                     const dedup_doc_meta *meta, int *lang);
/* 1 when s[0..n) holds a byte of a word (a title of none is no title). */
int dedup__has_word_byte(const char *s, size_t n);
/* What dedup_corpus_add refuses before it keeps anything: DEDUP_EBINARY,
 * DEDUP_EEMPTY (no word byte), else DEDUP_OK.  The index loader refuses
 * the same, so a crafted file cannot hold what add never lets in. */
int dedup__doc_check(const char *text, size_t len);

/* ---- results ----------------------------------------------------------- */

typedef struct citem {
  char *name;        /* art 0: the document's name (borrowed) */
  uint32_t doc, art;
  uint32_t words;
  int empty;
  unsigned lang;        /* the document's language */
  dedup__termset counts; /* story level: term counts, until weighed */
  dedup__wvec tfidf;     /* representatives: L2-normalised TF-IDF */
} citem;

struct clevel {
  uint32_t *label;  /* item -> cluster */
  size_t *members;  /* items grouped by cluster */
  size_t *start;    /* cluster k: members[start[k] .. start[k+1]) */
  size_t n_clusters;
  struct dedup__edge *links; /* sorted by (a, b) */
  size_t n_links;
  size_t *link_ids;   /* link ids grouped by cluster, ascending in each */
  size_t *link_start; /* cluster k: link_ids[link_start[k] .. [k+1]) */
  size_t *groups;     /* story level: copy clusters grouped by story */
  size_t *group_start;
};

/* What a run hands over instead of freeing, when asked (the service
 * index's rebuild keeps the statistics and every document's records). */
typedef struct dedup__keep {
  struct dedup__lines *lines; /* the line counts */
  dedup__countmap heavy;   /* the word runs many documents share */
  dedup__termset *counts;  /* every item's term counts (n_counts) */
  size_t n_counts;
  dedup__u64vec *bg;       /* per document (docs order after the run):
                              its embedded articles' term ids ... */
  size_t *n_bg;            /* ... and how many articles */
} dedup__keep;

/* Frees what a run kept (n_docs: the corpus' documents; the items kept
 * are counted in k, as a failed run drops its own). */
void dedup__keep_free(dedup__keep *k, size_t n_docs);

struct dedup_corpus {
  dedup_params p;    /* resolved */
  cdoc *docs;
  size_t n_docs, cap_docs;
  cpool pool;
  citem *items;
  size_t n_items;
  /* Signatures, sig_words 64-bit words per item.  SimHash: the
   * fingerprint.  MinHash: num_perm 32-bit words (the low halves of the
   * 64-bit minima: as accurate, half the memory), two to a word. */
  uint64_t *sigs;
  size_t sig_words;
  struct clevel lv[2];
  size_t *by_name;   /* item ids sorted by (name, id) */
  uint64_t *story_ids; /* the representatives' term ids, ascending: what
                          a dedup__wterm's ix stands for */
  size_t n_story_ids;
  uint32_t *doc_at;  /* document seq -> its index in docs, after a run */
  dedup__keep *keep; /* NULL, or what the next run hands over */
  unsigned signed_levels; /* dedup_corpus_sign's levels (0: not signed) */
  int records;       /* holds records (dedup_corpus_records_add), no texts */
  int texts_dropped; /* a signed shard's texts freed (drop_texts) */
  int records_heads; /* ... heads only: no signatures or terms */
  size_t *rec_start; /* items before each records_add (n_rec of them) */
  size_t n_rec;
  uint32_t *rec_gid; /* heads in the run's order: item as added -> id */
  struct dedup__spread *spread; /* a shard of a spread pass 4 */
  struct dedup__sasm *sasm;     /* its assembler, between the levels */
  int records_story; /* ... signed with the story level's terms */
  int records_spent; /* ... and run (the run uses them up) */
  int ran;           /* results are in place */
  int has_story;     /* ... and include the story level */
};

/* Drops every result (items, signatures, clusters). */
void dedup__corpus_free_results(dedup_corpus *c);

/* A representative's TF-IDF vector by term id (shard_story.c). */
typedef struct dedup__svec {
  uint64_t *id; /* ascending */
  float *w;
  uint32_t n;
} dedup__svec;

/* A shard's state in pass 4 spread over the shards (shard_spread.c,
 * shard_story.c). */
typedef struct dedup__spread {
  uint32_t *gid;   /* item -> the run's id (ascending with the item) */
  uint8_t *crowd;  /* 1: linked to its crowd's first, not in the bands */
  uint32_t shard, shards;
  unsigned stage;  /* the last step done (DEDUP_SPREAD_*, then SPS_*) */
  /* The story level: this shard's representatives (of copy groups). */
  size_t n_reps;
  uint32_t n_groups;   /* copy groups in the corpus */
  uint32_t *rep_item;  /* rep -> its item */
  uint32_t *rep_g;     /* rep -> its copy group (the run's number) */
  uint8_t *rep_dated;  /* rep -> its group has a date ... */
  int64_t *rep_date;   /* ... the earliest of its members' */
  uint32_t *by_g;      /* reps sorted by group */
  dedup__svec *vec;    /* rep -> its TF-IDF vector */
  uint64_t *samples;   /* rep r: k samples at r k */
  unsigned k;
} dedup__spread;

/* The assembler's state between the copy level and the story level of
 * pass 4 spread (shard_story.c). */
typedef struct dedup__sasm {
  struct dedup__edge *ce; /* the copy links */
  size_t nce;
  uint32_t *copy_label;   /* item -> copy group (by smallest member) */
  size_t n_copy;
  uint32_t *rep;          /* group -> its representative */
  int64_t *gdate;         /* group -> the earliest date of a member ... */
  uint8_t *gdated;        /* ... if any (NULL: no decay) */
} dedup__sasm;

unsigned dedup__story_doc_lang(const cdoc *d);

void dedup__spread_free(dedup_corpus *c);
int dedup__order_records(dedup_corpus *c);

/* More items than this with one signature are a crowd (copy.c). */
#define DEDUP__DUP_CROWD DEDUP__MAX_BUCKET

/* ---- run.c --------------------------------------------------------------- */

/* Documents in the run's order: by name, then length, then text. */
void dedup__docs_sort(dedup_corpus *c);
/* Phases D and E and the numbering over the items made (run.c; the
 * shards' records run, shard_records.c); frees the documents' bg.  Results
 * freed on failure. */
int dedup__run_back(dedup_corpus *c, const dedup__runopts *o,
                    struct dedup__edge *copy_links, size_t n_copy_links);
/* c->doc_at: where each document (by order of adding) went in the sort. */
int dedup__set_doc_at(dedup_corpus *c);
/* Links by (a, b), for qsort (run.c). */
int dedup__edge_cmp(const void *x, const void *y);
/* The numbering of both levels' clusters from their labels and links
 * (taken, also on failure; story_label NULL: the copy level only), then
 * the look-ups of a run's results (run.c). */
int dedup__run_finish(dedup_corpus *c, const dedup__runopts *o,
                      const uint32_t *copy_label, size_t n_copy,
                      struct dedup__edge *ce, size_t nce,
                      const uint32_t *story_label, size_t n_story,
                      struct dedup__edge *se, size_t nse);

/* ---- items.c ----------------------------------------------------------- */

/* In how many documents each short line appears, split by the top bits
 * of the key over DEDUP__LINE_PARTS maps, each behind a lock of its own,
 * so threads rarely wait for each other. */
#define DEDUP__LINE_BITS 6
#define DEDUP__LINE_PARTS (1u << DEDUP__LINE_BITS)

typedef struct dedup__linepart {
  atomic_flag lock;
  dedup__countmap map;
} dedup__linepart;

typedef struct dedup__lines {
  dedup__linepart part[DEDUP__LINE_PARTS];
} dedup__lines;

void dedup__lines_init(dedup__lines *l);
void dedup__lines_free(dedup__lines *l);
/* Adds one to each key's count (keys sorted, distinct); DEDUP_OK or
 * DEDUP_ENOMEM (some keys may be counted then). */
int dedup__lines_add(dedup__lines *l, const uint64_t *keys, size_t n);
/* Room for these keys' counts: dedup__lines_add of them cannot fail
 * after it (one writer; the maps are not locked). */
int dedup__lines_reserve(dedup__lines *l, const uint64_t *keys, size_t n);
/* A dedup__df_fn over a dedup__lines. */
uint32_t dedup__lines_df(const void *lines, uint64_t key);

/* item->name for article a of document d: art 0 borrows the document's
 * name, the others own "name#k" (k = a + 1).  DEDUP_OK or DEDUP_ENOMEM. */
int dedup__item_name(citem *item, const cdoc *d, size_t a);

/* A shard's statistics (shard_stats.c): in how many documents each short
 * line (page cleaning) and each word run (sub-line chrome) appears. */
struct dedup_stats {
  dedup__lines lines;
  dedup__lines grams;
};

/* What a worker reuses from one document to the next. */
typedef struct dedup__scratch {
  dedup__page page;
  dedup__tokvec tok;  /* the document's tokens */
  dedup__tokvec itok; /* an item's tokens: title, then body lines */
  dedup__tokvec ttok; /* the given title's (DEDUP__TOK_TITLE), if any */
  const char *title;  /* the document's given title, NULL if none */
  dedup__u64vec sh;   /* its shingles; line keys in phase A */
  uint64_t *mins;     /* num_perm 64-bit MinHash words */
  dedup__termvec terms;
  unsigned lang;      /* the document's language, set by dedup__doc_cut */
  dedup__langid langid;   /* libexttextcat, loaded when first needed */
  dedup__stemmer *stem;   /* made when first needed */
} dedup__scratch;

int dedup__scratch_init(dedup__scratch *s, const dedup_params *p);
void dedup__scratch_free(dedup__scratch *s);

/* Normalises a document in place (the text takes the raw bytes' room
 * when it fits). */
int dedup__doc_normalise(cdoc *d);
/* Phase A over every document on `threads` threads: normalises the
 * documents not normalised yet and counts their line keys into lines
 * (NULL: normalise only). */
int dedup__docs_prepare(dedup_corpus *c, dedup__scratch *ws,
                        dedup__lines *lines, unsigned threads);
/* Phase A for one normalised document: counts its line keys into lines
 * (nothing with DEDUP_F_NO_CLEAN). */
int dedup__doc_count_lines(dedup__lines *lines, dedup__scratch *s,
                           const cdoc *d, const dedup_params *p);

/* Chrome inside paragraphs (photo captions, bylines, gallery text: "Photo:
 * ..., Houston Chronicle Image 1 of 33 Caption Close") repeats across a
 * site's pages below the line level, where line counts cannot see it.
 * Runs of DEDUP__GRAM_K words are counted across documents like lines;
 * the words of a run more than DEDUP__GRAM_DF documents share make no
 * story terms, unless they are most of an article's body (then the
 * article is a copy many pages carry, and its words are the story).
 * doc/tuning.md has the figures. */
#define DEDUP__GRAM_K 8
#define DEDUP__GRAM_DF 5

/* Counts into counts, once a document, the keys of its word runs whose
 * high half is part modulo parts (keys of DEDUP__GRAM_K tokens, hashed). */
int dedup__grams_count(dedup__lines *counts, const dedup_corpus *c,
                       dedup__scratch *ws, unsigned threads, unsigned part,
                       unsigned parts);
/* The keys of counts of more than DEDUP__GRAM_DF documents into heavy
 * (one each). */
int dedup__grams_keep_heavy(dedup__countmap *heavy,
                            const dedup__lines *counts);
/* In how many passes the corpus' word runs are counted (items.c). */
unsigned dedup__grams_parts(const dedup_corpus *c);
/* End of phase A (story level, pages cleaned): the keys of the word runs
 * of more than DEDUP__GRAM_DF documents into heavy (counted in passes,
 * see items.c). */
int dedup__grams_heavy(dedup__countmap *heavy, const dedup_corpus *c,
                       dedup__scratch *ws, unsigned threads);
/* Tokenises a document into s->tok, finds its language (s->lang: the
 * given or already found one, else identified; English with
 * DEDUP_F_NO_LANGID), marks its stop words as that language has them
 * and cuts its page into s->page with the corpus' line counts (the whole
 * page with DEDUP_F_NO_CLEAN).  langs: the run's stop-word tables. */
int dedup__doc_cut(dedup__scratch *s, const cdoc *d, const dedup_params *p,
                   const dedup__lines *lines, const dedup__langs *langs);
/* dedup__doc_cut with the line counts told by df(df_ctx, key). */
int dedup__doc_cut_with(dedup__scratch *s, const cdoc *d,
                        const dedup_params *p, dedup__df_fn df,
                        const void *df_ctx, const dedup__langs *langs);
/* How the terms of a document of s->lang are made, with the scratch's
 * stemmer (made on first need).  Returns DEDUP_OK or DEDUP_ENOMEM. */
int dedup__doc_termctx(dedup__termctx *tc, dedup__scratch *s,
                       const dedup_params *p, const dedup__langs *langs);
/* The tokens of article art of the page in s (title, then body lines)
 * into *out and their word shingles into *sh.  The main story's title is
 * the given title when the document has one (s->ttok). */
int dedup__item_tokens(dedup__tokvec *out, dedup__u64vec *sh,
                       const dedup__scratch *s, const dedup__article *art,
                       const dedup_params *p);
/* The 64-bit MinHash words of shingles sh[0..n) (num_perm of them) as
 * the run's method and kind make them. */
void dedup__item_minhash(uint64_t *mins, const uint64_t *sh, size_t n,
                         const dedup_params *p);

/* The service index's phase C for one normalised document: its page cut
 * with these statistics, its main story signed into *item (words, term
 * counts) and sig (sig_words words, as the corpus stores them), the term
 * sets of its other articles into d->bg, d->n_bg.  s->lang: its
 * language. */
int dedup__doc_sign_main(dedup__scratch *s, cdoc *d, const dedup_params *p,
                         size_t sig_words, dedup__df_fn df,
                         const void *df_ctx, const dedup__countmap *heavy,
                         const dedup__langs *langs, citem *item,
                         uint64_t *sig);

/* Phase C for all documents: items, signatures and (with the story level)
 * term counts.  Sets c->items, c->n_items, c->sigs. */
int dedup__items_make(dedup_corpus *c, dedup__scratch *ws,
                      const dedup__lines *lines,
                      const dedup__countmap *heavy,
                      const dedup__langs *langs,
                      const dedup__runopts *o);

/* ---- copy.c, story.c --------------------------------------------------- */

/* The run's MinHash estimate for items a and b (their stored signatures'
 * share of equal words). */
double dedup__corpus_minhash_est(const dedup_corpus *c, size_t a, size_t b);

/* Copy-level links (a < b, verified) of all items. */
int dedup__copy_links(const dedup_corpus *c, unsigned threads,
                      dedup__edge **edges, size_t *ne);
/* The copy level's bands (SimHash: blocks) for p, and their rows in *r
 * (numeric integration: once a pass); an item's band keys from its
 * signature (keys: b of them; scratch: num_perm words), as the batch's
 * LSH keys them; the similarity that links two signatures, or -1 below
 * the threshold (copy.c). */
unsigned dedup__copy_bands(const dedup_params *p, unsigned *r);
void dedup__copy_band_keys(const dedup_corpus *c, const uint64_t *sig,
                           unsigned b, unsigned r, uint64_t *keys,
                           uint64_t *scratch);
float dedup__copy_sim(const dedup_corpus *c, const uint64_t *x,
                      const uint64_t *y);

/* Story labels of all items given their copy groups, and the story links
 * (representative pairs inside one story, in item ids).  Turns the
 * representatives' term counts into TF-IDF weights. */
int dedup__story_level(dedup_corpus *c, unsigned threads,
                       const uint32_t *copy_label, size_t n_copy,
                       uint32_t *story_label, dedup__edge **edges,
                       size_t *ne, size_t *n_story);

/* The representative of copy group g after a run: its first member (by
 * id) with the most words, as the story level chooses it. */
size_t dedup__story_rep(const dedup_corpus *c, size_t group);

/* The factor on the weight of a term no other representative has. */
#define DEDUP__SINGLE_DOC_WEIGHT 0.3
/* Story links weaker than this are noise, not kept. */
#define DEDUP__STORY_EDGE_MIN 0.05
/* Candidates scored per representative (story.c says why 64). */
#define DEDUP__STORY_TOP_M 64
/* A term's TF-IDF weight before normalising: tf its count in the
 * representative, df the documents of its language that have it (the
 * representative included), N those documents; 0 (not kept) when the
 * IDF is not positive.  story.c has the formula's reasons. */
double dedup__story_weight(double tf, uint32_t df, double N);
/* Weighted MinHash samples the story candidates take for a threshold. */
unsigned dedup__story_samples(double t);
/* The seed of the story level's weighted MinHash. */
uint64_t dedup__story_seed(uint64_t seed);

/* The factor of the story cosine of two dated groups (story.c's
 * comment), days = story_days > 0. */
double dedup__story_time_factor(double days, int64_t t1, int64_t t2);
/* A copy group's date after a run, as the story level takes it: the
 * earliest of its dated members.  1 and *date, or 0 (none dated). */
int dedup__story_group_date(const dedup_corpus *c, size_t group,
                            int64_t *date);

#endif
