/*
 * dedup.h - libdedup: near-duplicate and same-story clustering of news text.
 *
 * The only installed header.  Everything public is prefixed dedup_ / DEDUP_.
 *
 * Quick start (see README.md for a complete program):
 *
 *   dedup_corpus *c;
 *   if (dedup_corpus_new(&c, NULL) != DEDUP_OK) ...;
 *   dedup_corpus_add(c, "a.txt", text_a, len_a, NULL);
 *   dedup_corpus_add(c, "b.txt", text_b, len_b, NULL);
 *   dedup_corpus_run(c);
 *   for (size_t k = 0; k < dedup_corpus_cluster_count(c, DEDUP_LEVEL_STORY); k++)
 *     ... dedup_corpus_cluster_members(c, DEDUP_LEVEL_STORY, k, &n) ...
 *   dedup_corpus_free(c);
 *
 * Streaming signatures follow xxHash's shape:
 *   _new -> _reset(seed) -> _update ... -> _digest(const *, out)
 *
 * Thread safety: the library has no mutable global state.  A handle may be
 * used by one thread at a time; different handles may be used concurrently.
 * Functions documented as "read-only" (const handle) may be called
 * concurrently on the same handle once no thread modifies it.
 * dedup_strerror() and dedup_version_*() are reentrant.
 */
#ifndef DEDUP_H
#define DEDUP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DEDUP_BUILDING_LIBRARY) && defined(__GNUC__)
#define DEDUP_API __attribute__((visibility("default")))
#else
#define DEDUP_API
#endif

/* Version.  Kept equal to meson's project(version:) by a unit test. */
#define DEDUP_VERSION_MAJOR 0
#define DEDUP_VERSION_MINOR 1
#define DEDUP_VERSION_PATCH 0
#define DEDUP_VERSION_NUMBER                                                   \
  (DEDUP_VERSION_MAJOR * 10000 + DEDUP_VERSION_MINOR * 100 +                   \
   DEDUP_VERSION_PATCH)
#define DEDUP_VERSION_STRING "0.1.0"

/** @brief Run-time version, DEDUP_VERSION_NUMBER of the library linked. */
DEDUP_API unsigned dedup_version_number(void);
/** @brief Run-time version string; static storage. */
DEDUP_API const char *dedup_version_string(void);

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */

/**
 * Calls that can fail return DEDUP_OK (0) or one of these negative codes.
 * New codes are added at the end; values are never renumbered.
 */
typedef enum dedup_status {
  DEDUP_OK = 0,
  DEDUP_ENOMEM = -1,   /**< out of memory */
  DEDUP_EINVAL = -2,   /**< a parameter is out of range */
  DEDUP_EIO = -3,      /**< reading or writing a file failed (see errno) */
  DEDUP_EEMPTY = -4,   /**< the text holds no words */
  DEDUP_EBINARY = -5,  /**< the bytes look like a binary file, not text */
  DEDUP_EFORMAT = -6,  /**< an index file is truncated or corrupt */
  DEDUP_EVERSION = -7, /**< an index file has another format version */
  DEDUP_ESTATE = -8,   /**< call out of order (e.g. results before run) */
  DEDUP_ETOOBIG = -9   /**< input exceeds a documented size limit */
} dedup_status;

/**
 * @brief Message for a status code.
 * @return static text; never NULL, never allocates ("unknown status" for
 *         values this version does not know).
 */
DEDUP_API const char *dedup_strerror(int status);

/**
 * @brief Frees a buffer the library allocated and handed to the caller
 *        (e.g. dedup_normalise()'s output).  NULL is a no-op.
 */
DEDUP_API void dedup_free(void *p);

/* ------------------------------------------------------------------------ */
/* Normalisation and shingles                                                */

/**
 * @brief Normalises UTF-8 text the way every libdedup stage sees it.
 *
 * NFKC, Unicode case folding, curly quotes / dashes / Unicode spaces folded
 * to ASCII forms, runs of spaces and tabs collapsed to one space, line
 * breaks kept (a run of blank lines becomes one blank line).  Invalid UTF-8
 * bytes are replaced by U+FFFD, never rejected.
 *
 * @param[out] out       normalised, NUL-terminated text; free with dedup_free
 * @param[out] out_len   its length in bytes (without the NUL); may be NULL
 * @param text           input bytes (need not be NUL-terminated)
 * @param len            number of input bytes
 * @param[out] n_invalid number of invalid sequences replaced; may be NULL
 * @return DEDUP_OK, DEDUP_ENOMEM
 * Thread-safe.
 */
DEDUP_API int dedup_normalise(char **out, size_t *out_len, const char *text,
                              size_t len, size_t *n_invalid);

/**
 * @brief Word k-shingles of a text, each a 64-bit seeded XXH3 hash.
 *
 * The text is normalised and tokenised first (words by Unicode category;
 * one token per character for scripts written without spaces).  A text with
 * fewer than k (but at least one) tokens gives one shingle of all of them.
 *
 * @param[out] out  array of *n hashes in text order; free with dedup_free
 * @param[out] n    number of shingles
 * @return DEDUP_OK, DEDUP_EINVAL (k == 0), DEDUP_ENOMEM
 * Thread-safe.
 */
DEDUP_API int dedup_shingles(uint64_t **out, size_t *n, const char *text,
                             size_t len, unsigned k, uint64_t seed);

/**
 * @brief Character n-grams of a text, each a 64-bit seeded XXH3 hash of
 *        the UTF-8 bytes of n consecutive code points (spaces included).
 *
 * The text is normalised (case-folded, whitespace collapsed) first.  For
 * short texts and scripts where words are long or not separated, n-grams
 * of 3-5 code points match better than word shingles.  A text of fewer
 * than ngram (but at least one) code points gives one hash of all of it.
 *
 * @param[out] out  array of *n hashes in text order; free with dedup_free
 * @param[out] n    number of n-grams
 * @return DEDUP_OK, DEDUP_EINVAL (ngram == 0), DEDUP_ENOMEM
 * Thread-safe.
 */
DEDUP_API int dedup_char_shingles(uint64_t **out, size_t *n, const char *text,
                                  size_t len, unsigned ngram, uint64_t seed);

/* ------------------------------------------------------------------------ */
/* MinHash                                                                   */

typedef enum dedup_minhash_kind {
  /** One-permutation hashing with optimal densification (Shrivastava
      2017): one hash per element whatever K is.  The default. */
  DEDUP_MINHASH_OPH = 0,
  /** Classic K independent hash functions (Broder 1997); reference. */
  DEDUP_MINHASH_CLASSIC = 1
} dedup_minhash_kind;

typedef struct dedup_minhash dedup_minhash;

/**
 * @brief Creates a MinHash state for signatures of k words.
 * @param[out] out  new state; NULL on failure; free with dedup_minhash_free
 * @param k         signature length, 1..4096
 * @return DEDUP_OK, DEDUP_EINVAL, DEDUP_ENOMEM
 */
DEDUP_API int dedup_minhash_new(dedup_minhash **out, unsigned k,
                                dedup_minhash_kind kind);
/** @brief Frees a state; NULL is a no-op. */
DEDUP_API void dedup_minhash_free(dedup_minhash *mh);
/** @brief Empties the set and fixes the seed.  @pre mh != NULL */
DEDUP_API void dedup_minhash_reset(dedup_minhash *mh, uint64_t seed);
/**
 * @brief Adds n set elements, given as 64-bit hashes (e.g. from
 *        dedup_shingles()).  Adding an element twice changes nothing.
 * @pre mh != NULL
 */
DEDUP_API void dedup_minhash_update(dedup_minhash *mh, const uint64_t *hashes,
                                    size_t n);
/**
 * @brief Writes the k-word signature to sig (caller-owned, k words).
 *        Does not change the state.  An empty set gives all-ones words.
 */
DEDUP_API void dedup_minhash_digest(const dedup_minhash *mh, uint64_t *sig);
/** @brief Signature length k of this state. */
DEDUP_API unsigned dedup_minhash_size(const dedup_minhash *mh);
/**
 * @brief Estimated Jaccard similarity of two k-word signatures made with the
 *        same kind, k and seed: the share of equal words.
 */
DEDUP_API double dedup_minhash_jaccard(const uint64_t *a, const uint64_t *b,
                                       unsigned k);

/* ------------------------------------------------------------------------ */
/* SimHash                                                                   */

typedef struct dedup_simhash dedup_simhash;

/** @brief Creates a 64-bit SimHash state.  @return DEDUP_OK, DEDUP_ENOMEM */
DEDUP_API int dedup_simhash_new(dedup_simhash **out);
DEDUP_API void dedup_simhash_free(dedup_simhash *sh);
DEDUP_API void dedup_simhash_reset(dedup_simhash *sh, uint64_t seed);
/**
 * @brief Adds n features (64-bit hashes) with weights (NULL: weight 1 each).
 */
DEDUP_API void dedup_simhash_update(dedup_simhash *sh,
                                    const uint64_t *features,
                                    const double *weights, size_t n);
/** @brief The 64-bit fingerprint of what was added; state unchanged. */
DEDUP_API uint64_t dedup_simhash_digest(const dedup_simhash *sh);
/** @brief Hamming distance between two fingerprints (0..64). */
DEDUP_API unsigned dedup_simhash_distance(uint64_t a, uint64_t b);

/* ------------------------------------------------------------------------ */
/* LSH index over MinHash signatures                                         */

/** An incremental banded LSH index: insert signatures, query candidates.
    Not synchronised: insert needs exclusive access; queries may run
    concurrently with each other (they only read). */
typedef struct dedup_lsh dedup_lsh;

/**
 * @brief Creates an index for k-word MinHash signatures and a Jaccard
 *        threshold: b bands of r rows (b * r <= k) are chosen to minimise
 *        the false positive plus false negative area around threshold, as
 *        datasketch does.
 * @param[out] out  new index; NULL on failure; free with dedup_lsh_free
 * @param threshold Jaccard threshold, in (0, 1)
 * @param k         signature length (as given to dedup_minhash_new)
 * @return DEDUP_OK, DEDUP_EINVAL (threshold outside (0,1), k 0 or over
 *         4096), DEDUP_ENOMEM
 */
DEDUP_API int dedup_lsh_new(dedup_lsh **out, double threshold, unsigned k);
/** @brief Frees an index; NULL is a no-op. */
DEDUP_API void dedup_lsh_free(dedup_lsh *l);
/** @brief The bands and rows chosen (either pointer may be NULL). */
DEDUP_API void dedup_lsh_shape(const dedup_lsh *l, unsigned *bands,
                               unsigned *rows);
/**
 * @brief Inserts item id with signature sig (k words, read only during the
 *        call).  Ids are the caller's; inserting an id twice makes it
 *        a candidate of both signatures.
 * @return DEDUP_OK, DEDUP_ENOMEM (the index is as before the call)
 */
DEDUP_API int dedup_lsh_insert(dedup_lsh *l, uint32_t id, const uint64_t *sig);
/**
 * @brief Candidates for sig: the ids that share at least one band with it,
 *        ascending, each once.  They are candidates only: verify them (e.g.
 *        dedup_minhash_jaccard()) before treating them as similar.
 * @param[out] ids  array of *n ids; free with dedup_free (NULL when *n is 0)
 * @return DEDUP_OK, DEDUP_ENOMEM (*ids NULL, *n 0)
 */
DEDUP_API int dedup_lsh_query(const dedup_lsh *l, const uint64_t *sig,
                              uint32_t **ids, size_t *n);

/* ------------------------------------------------------------------------ */
/* Corpus: documents in, clusters out                                        */

/** How copy-level candidates are signed. */
typedef enum dedup_method {
  DEDUP_METHOD_MINHASH = 0, /**< MinHash + LSH on word shingles */
  DEDUP_METHOD_SIMHASH = 1  /**< 64-bit SimHash, Hamming-distance bands */
} dedup_method;

/** The two levels of one run. */
typedef enum dedup_level {
  /** Same story told in any words: clusters of copy groups. */
  DEDUP_LEVEL_STORY = 0,
  /** Near-verbatim copies (syndication, chrome changes, small edits). */
  DEDUP_LEVEL_COPY = 1
} dedup_level;

/** Flags for dedup_params.flags. */
enum {
  /** Do not clean pages: compare whole texts (no chrome removal). */
  DEDUP_F_NO_CLEAN = 1u << 0,
  /** Keep articles embedded below the main story as items of their own,
      named "NAME#2", "NAME#3", ... (otherwise they are dropped). */
  DEDUP_F_SPLIT_EMBEDDED = 1u << 1,
  /** Copy level only: skip the story level (faster). */
  DEDUP_F_COPY_ONLY = 1u << 2
};

/**
 * Tunables.  Initialise with DEDUP_PARAMS_INIT (or dedup_params_init()),
 * then change fields.  Zero in a numeric field means "the default".
 */
typedef struct dedup_params {
  unsigned shingle_k;     /**< words per shingle, default 5 */
  unsigned num_perm;      /**< MinHash signature words, default 128 */
  double threshold;       /**< copy level: min est. Jaccard, default 0.5 */
  double story_threshold; /**< story level: min similarity, default 0 =
                               built-in default (see README) */
  dedup_method method;    /**< copy-level method, default MinHash */
  dedup_minhash_kind minhash_kind; /**< default DEDUP_MINHASH_OPH */
  uint64_t seed;          /**< hash seed; same seed, same output */
  unsigned threads;       /**< worker threads; 0 = all online cores */
  unsigned flags;         /**< DEDUP_F_* */
} dedup_params;

#define DEDUP_PARAMS_INIT                                                      \
  { 5, 128, 0.5, 0.0, DEDUP_METHOD_MINHASH, DEDUP_MINHASH_OPH, 0, 0, 0 }

/** @brief Fills *p with the defaults (same as DEDUP_PARAMS_INIT). */
DEDUP_API void dedup_params_init(dedup_params *p);

typedef struct dedup_corpus dedup_corpus;

/**
 * @brief Creates an empty corpus.
 * @param[out] out    new corpus; NULL on failure; free with dedup_corpus_free
 * @param params      NULL for defaults; copied
 * @return DEDUP_OK, DEDUP_EINVAL (a parameter out of range), DEDUP_ENOMEM
 */
DEDUP_API int dedup_corpus_new(dedup_corpus **out, const dedup_params *params);
/** @brief Frees a corpus and everything it owns; NULL is a no-op. */
DEDUP_API void dedup_corpus_free(dedup_corpus *c);

/**
 * @brief Adds one document.  Name and text are copied.
 *
 * Documents may be added before and after dedup_corpus_run(); results of a
 * previous run are dropped when a document is added.
 *
 * @param name       identifies the document in results (e.g. its path)
 * @param text,len   the document's bytes (UTF-8; invalid bytes are replaced)
 * @param[out] n_invalid  invalid UTF-8 sequences replaced; may be NULL
 * @return DEDUP_OK; DEDUP_EEMPTY (no words), DEDUP_EBINARY (looks binary):
 *         the document is not added, the corpus is unchanged;
 *         DEDUP_ETOOBIG (more than 2^31 bytes), DEDUP_ENOMEM
 */
DEDUP_API int dedup_corpus_add(dedup_corpus *c, const char *name,
                               const char *text, size_t len,
                               size_t *n_invalid);

/**
 * @brief Runs the pipeline over all documents: cleaning, signatures, LSH,
 *        verification and clustering at both levels.
 *
 * Output is deterministic: the same documents give the same items, clusters
 * and ids whatever the order of insertion and the number of threads.
 * @return DEDUP_OK, DEDUP_ENOMEM
 */
DEDUP_API int dedup_corpus_run(dedup_corpus *c);

/**
 * @brief Number of items: documents, plus embedded articles when
 *        DEDUP_F_SPLIT_EMBEDDED is set.  Items are numbered 0..n-1 in order of
 *        name after a run.  Read-only.
 */
DEDUP_API size_t dedup_corpus_item_count(const dedup_corpus *c);
/** @brief Name of an item ("path" or "path#2"); borrowed from the corpus. */
DEDUP_API const char *dedup_corpus_item_name(const dedup_corpus *c,
                                             size_t item);

/**
 * @brief Number of clusters at a level after a run (0 before a run).
 *        Every item is in exactly one cluster (singletons included).
 *        Clusters are numbered by size (largest first), then by their
 *        first member.  Read-only.
 */
DEDUP_API size_t dedup_corpus_cluster_count(const dedup_corpus *c,
                                            dedup_level level);
/**
 * @brief Members of a cluster, ascending item ids; borrowed from the corpus,
 *        valid until the corpus changes.  *n receives the count.
 */
DEDUP_API const size_t *dedup_corpus_cluster_members(const dedup_corpus *c,
                                                     dedup_level level,
                                                     size_t cluster,
                                                     size_t *n);
/** @brief The cluster an item belongs to at a level. */
DEDUP_API size_t dedup_corpus_cluster_of(const dedup_corpus *c,
                                         dedup_level level, size_t item);

/**
 * @brief Verified links inside clusters: the pairs whose similarity joined
 *        items into clusters at a level, sorted by (a, b).  Read-only.
 */
DEDUP_API size_t dedup_corpus_link_count(const dedup_corpus *c,
                                         dedup_level level);
/** @brief One link: items a < b and their similarity (0..1). */
DEDUP_API int dedup_corpus_link(const dedup_corpus *c, dedup_level level,
                                size_t i, size_t *a, size_t *b,
                                double *similarity);

/* ------------------------------------------------------------------------ */
/* Explaining a decision                                                     */

/** One term shared by the representatives of two items (see rep_a) and
    its part in their story cosine. */
typedef struct dedup_explain_term {
  const char *word;    /**< as first written in rep_a (not case-folded) */
  double weight_a;     /**< TF-IDF weight in rep_a (L2-normalised) */
  double weight_b;     /**< ... in rep_b */
  double contribution; /**< weight_a * weight_b: its share of the cosine */
} dedup_explain_term;

/** A run of words of item a whose word shingles all occur in item b. */
typedef struct dedup_explain_passage {
  const char *text; /**< as in a, line breaks shown as spaces; passages
                         longer than 200 bytes are cut and end in "..." */
  size_t words;     /**< its length in words (before any cut) */
} dedup_explain_passage;

/**
 * Why two items are or are not in one cluster, at both levels.
 *
 * Similarities are in 0..1.  Items with no words have similarity 0 to
 * everything.  The struct is allocated by the library; fields may be added
 * at the end in later versions, so never allocate or copy it by value.
 */
typedef struct dedup_explanation {
  size_t a, b;                /**< the items explained */
  size_t words_a, words_b;    /**< their words (tokens) */

  /* Copy level: near-verbatim copies.  Both methods are computed over the
     same word shingles the run used, whichever method the run used. */
  dedup_method method;        /**< the run's copy-level method */
  double copy_similarity;     /**< the run's score (one of the next two) */
  double copy_threshold;      /**< the run's copy threshold */
  double minhash_jaccard;     /**< MinHash estimate (run's k, kind, seed) */
  double simhash_similarity;  /**< 1 - Hamming distance / 64 */
  unsigned simhash_distance;  /**< Hamming distance of the fingerprints */
  double minhash_threshold;   /**< the run's when method is MinHash, ... */
  double simhash_threshold;   /**< ... else the default of the method */
  double jaccard;             /**< exact Jaccard of the shingle sets */
  size_t shingles_a, shingles_b, shingles_shared; /**< distinct shingles */
  int same_copy_group;        /**< 1 if one copy cluster holds both */
  int copy_linked;            /**< 1 if the run verified a link a-b */
  dedup_explain_passage *passages; /**< longest shared passages, longest
                                        first; n_passages (<= 3) of them */
  size_t n_passages;

  /* Story level: same story in any words.  When the run skipped it
     (DEDUP_F_COPY_ONLY), story_computed is 0 and the rest is 0. */
  int story_computed;
  double story_threshold;     /**< the run's story threshold */
  /** The story level compares one representative per copy group, its
      longest member: rep_a for a's group, rep_b for b's (a and b
      themselves unless a longer copy exists).  story_cosine is the TF-IDF
      cosine of the two.  The run scores only candidate pairs (each
      representative against the 64 that share most weighted-MinHash
      samples with it), keeps cosines >= 0.05 (as floats), and counts
      every other pair as 0.  Clusters are merged by average link, so two
      items may share a story through others with a cosine below the
      threshold, or not share one with a cosine above it. */
  double story_cosine;
  size_t rep_a, rep_b;
  int same_story;             /**< 1 if one story cluster holds both */
  dedup_explain_term *terms;  /**< shared terms that weigh most in
                                   story_cosine, largest contribution first;
                                   n_terms (<= 10) of them */
  size_t n_terms;
} dedup_explanation;

/**
 * @brief Explains why items a and b are (or are not) in one cluster: their
 *        similarity by each method, the thresholds, the shared passages
 *        and the shared terms that weigh most.
 *
 * Recomputes what the run saw for the two items: it cuts the two pages
 * again as the run did, which needs the line statistics of the whole
 * corpus, so one call hashes the lines of every document once (a small
 * part of a run: 11 ms against 6 s on 2,000 generated pages).  Read-only.
 *
 * @param[out] out  the explanation; NULL on failure; free it with
 *                  dedup_explanation_free
 * @param c         a corpus after dedup_corpus_run()
 * @param a,b       item ids (0..dedup_corpus_item_count()-1); may be equal
 * @return DEDUP_OK, DEDUP_ESTATE (no run, or the corpus changed since),
 *         DEDUP_EINVAL (an id out of range), DEDUP_ENOMEM
 * @pre c != NULL, out != NULL
 * @since 0.1.0
 */
DEDUP_API int dedup_corpus_explain(dedup_explanation **out,
                                   const dedup_corpus *c, size_t a, size_t b);
/** @brief Frees an explanation and its strings; NULL is a no-op. */
DEDUP_API void dedup_explanation_free(dedup_explanation *e);

/* ------------------------------------------------------------------------ */
/* Saving and loading a corpus                                               */

/**
 * @brief Saves a corpus to an index file, so that a later process can load
 *        it, add more documents and run again.
 *
 * The file holds the parameters and every document's name and text
 * (normalised once a run has normalised it), which is all a run needs: a
 * loaded corpus plus dedup_corpus_add() plus dedup_corpus_run() gives
 * exactly the clusters that adding every document to a new corpus gives.
 * Results of a run are not saved (the story level depends on every
 * document, so they are recomputed by the next run).  Format: magic
 * "DEDUPIX\0", a format version, fixed-width little-endian fields and an
 * XXH64 checksum (see lib/index_io.c).
 *
 * The write is atomic: the file is written as "PATH.tmp.PID.N" in the same
 * directory, synced and renamed over PATH.  On failure the temporary file
 * is removed and PATH is left as it was.  Before writing, temporary files
 * of PATH left by a process that no longer exists (killed while saving:
 * named exactly "BASENAME.tmp.DIGITS.DIGITS" and kill(PID, 0) fails with
 * ESRCH) are removed; those of live processes are kept.  Only a regular
 * file is replaced: when PATH exists and is anything else (a symbolic
 * link, a directory, a FIFO, a device) nothing is written.  Read-only on c.
 *
 * @return DEDUP_OK, DEDUP_EIO (see errno; EISDIR: PATH is a directory,
 *         ELOOP: a symbolic link, EINVAL: another file that is not
 *         regular), DEDUP_ENOMEM, DEDUP_EINVAL (path NULL or empty)
 * @since 0.1
 */
DEDUP_API int dedup_corpus_save(const dedup_corpus *c, const char *path);

/**
 * @brief Loads a corpus saved by dedup_corpus_save().
 *
 * The corpus has the saved parameters and documents and no results until
 * dedup_corpus_run().  The file is checked before it is trusted: a
 * truncated or corrupt file (bad magic, lengths beyond the end, checksum,
 * parameters out of range) is refused, never read past its end; memory
 * allocated is bounded by the file's size.
 *
 * @param[out] out  new corpus; NULL on failure; free with dedup_corpus_free
 * Only a regular file is read: it is opened without blocking, so a FIFO
 * with no writer or a device is refused at once (DEDUP_EIO, errno EISDIR
 * for a directory, EINVAL for any other file that is not regular).
 *
 * @return DEDUP_OK, DEDUP_EIO (cannot open or read, or not a regular
 *         file; see errno),
 *         DEDUP_EFORMAT (truncated or corrupt), DEDUP_EVERSION (another
 *         format version), DEDUP_ENOMEM
 * @since 0.1
 */
DEDUP_API int dedup_corpus_load(dedup_corpus **out, const char *path);

/**
 * @brief Sets the worker threads of later runs (0 = all online cores),
 *        e.g. on a corpus loaded on another machine.  Results never depend
 *        on it.  Not to be called while dedup_corpus_run() runs on c.
 * @return DEDUP_OK, DEDUP_EINVAL (c NULL or threads over 1024)
 * @since 0.1
 */
DEDUP_API int dedup_corpus_set_threads(dedup_corpus *c, unsigned threads);

/* ------------------------------------------------------------------------ */
/* Evaluation against labels                                                 */

/** Scores of a clustering against the true one (all in 0..1). */
typedef struct dedup_scores {
  double pair_precision, pair_recall, pair_f1; /**< over same-cluster pairs */
  double bcubed_precision, bcubed_recall, bcubed_f1; /**< Bagga-Baldwin */
  size_t true_pairs, predicted_pairs, correct_pairs;
} dedup_scores;

/**
 * @brief Pairwise and B-cubed precision/recall/F1 of predicted cluster
 *        labels against true labels for n items (labels are any integers;
 *        equal label, same cluster).  O(n log n); allocates scratch.
 *        With no pairs on a side, that side's pairwise score is 1.
 * @param[out] out  the scores
 * @return DEDUP_OK, DEDUP_ENOMEM
 * Thread-safe.
 */
DEDUP_API int dedup_eval_scores(dedup_scores *out, const size_t *predicted,
                                const size_t *truth, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* DEDUP_H */
