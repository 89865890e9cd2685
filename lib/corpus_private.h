/* corpus_private.h - the corpus handle's layout, shared by corpus.c and
 * the modules at its edge (index_io.c, explain). */
#ifndef DEDUP_CORPUS_PRIVATE_H
#define DEDUP_CORPUS_PRIVATE_H

#include "dedup_private.h"
#include "page.h"
#include "terms.h"

/* Defaults a user gets without flags (README explains them). */
#define DEDUP_MINHASH_THRESHOLD 0.5  /* est. Jaccard of word 5-shingles */
#define DEDUP_SIMHASH_THRESHOLD 0.9  /* 1 - Hamming/64, i.e. <= 6 bits */
#define DEDUP_STORY_THRESHOLD 0.28   /* average-link TF-IDF cosine */

typedef struct cdoc {
  char *name;
  char *raw;         /* bytes as added, until normalised */
  size_t raw_len;
  char *text;        /* normalised (not case-folded) */
  size_t len;
  size_t n_invalid;
  dedup__u64vec keys;      /* run scratch: line keys */
  dedup__article *arts;    /* run scratch: articles kept */
  size_t n_arts;
  dedup__span *lines;      /* run scratch: their lines */
} cdoc;

typedef struct citem {
  char *name;
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
  citem *items;
  size_t n_items;
  uint64_t *sigs;    /* sig_words per item */
  size_t sig_words;
  size_t n_pairs_tmp;
  struct clevel lv[2];
  int ran;
};

#endif
