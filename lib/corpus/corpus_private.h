/* corpus_private.h - the corpus handle's layout, shared by corpus.c and
 * the modules at its edge (index_io.c, explain). */
#ifndef DEDUP_CORPUS_PRIVATE_H
#define DEDUP_CORPUS_PRIVATE_H

#include "common/dedup_private.h"
#include "text/page.h"
#include "text/terms.h"

/* Defaults a user gets without flags (README explains them). */
#define DEDUP_MINHASH_THRESHOLD 0.5  /* est. Jaccard of word 5-shingles */
#define DEDUP_SIMHASH_THRESHOLD 0.9  /* 1 - Hamming/64, i.e. <= 6 bits */
#define DEDUP_STORY_THRESHOLD 0.245  /* average-link TF-IDF cosine */

/* Where a document's strings live: in the corpus' pool (documents added
 * by dedup_corpus_add) or in blocks of their own (documents loaded by
 * index_io.c, texts that grew when normalised), freed one by one. */
enum { CDOC_POOL_NAME = 1, CDOC_POOL_RAW = 2, CDOC_POOL_TEXT = 4 };

typedef struct cdoc {
  char *name;
  char *raw;         /* bytes as added, until normalised */
  size_t raw_len;
  char *text;        /* normalised (not case-folded) */
  size_t len;
  size_t n_invalid;
  dedup__article *arts;    /* unused by the run (NULL): explain cuts */
  size_t n_arts;           /* the page again when it is NULL */
  dedup__span *lines;
  dedup__u64vec bg;        /* run scratch: term ids of the other articles
                              (embedded, not items), one set each */
  size_t n_bg;             /* run scratch: how many such articles */
  unsigned pooled;         /* CDOC_POOL_*; 0 (own blocks) when zeroed */
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

typedef struct citem {
  char *name;        /* art 0: the document's name (borrowed) */
  uint32_t doc, art;
  uint32_t words;
  int empty;
  dedup__termvec terms; /* counts, then L2-normalised TF-IDF weights */
} citem;

struct clevel {
  uint32_t *label;  /* item -> cluster */
  size_t *members;  /* items grouped by cluster */
  size_t *start;    /* cluster k: members[start[k] .. start[k+1]) */
  size_t n_clusters;
  struct dedup__edge *links;
  size_t n_links;
};

struct dedup_corpus {
  dedup_params p;
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
  size_t n_pairs_tmp;
  struct clevel lv[2];
  int ran;
};

/* The run's MinHash estimate for items a and b (their stored signatures'
 * share of equal words); corpus.c. */
double dedup__corpus_minhash_est(const dedup_corpus *c, size_t a, size_t b);

#endif
