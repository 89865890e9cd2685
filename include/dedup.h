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
  DEDUP_ETOOBIG = -9,  /**< input exceeds a documented size limit */
  DEDUP_ENOTFOUND = -10, /**< no item of that name */
  DEDUP_ECANCELED = -11  /**< the progress callback stopped the run */
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

/** Flags for dedup_params.flags (they change the result). */
enum {
  /** Do not clean pages: compare whole texts (no chrome removal). */
  DEDUP_F_NO_CLEAN = 1u << 0,
  /** Keep articles embedded below the main story as items of their own,
      named "NAME#2", "NAME#3", ... (otherwise they are dropped). */
  DEDUP_F_SPLIT_EMBEDDED = 1u << 1
  /* 1u << 2 was DEDUP_F_COPY_ONLY before 0.2: now a run option
     (dedup_run_options.levels), never saved with a corpus. */
};

/** The layout of dedup_params this header describes.  Later versions add
    fields at the end and raise this number; the library reads a struct
    of any version it knows, so a program built against an older header
    keeps working with a newer library. */
#define DEDUP_PARAMS_VERSION 1

/**
 * The model: what defines a result.  Two runs with equal params over
 * equal documents give equal clusters (a saved corpus keeps them).
 *
 * Initialise with DEDUP_PARAMS_INIT or dedup_params_init(), then set
 * fields by name.  Zero (or 0.0) in any numeric field means the default,
 * resolved when the corpus is made:
 *
 *   shingle_k        5     words per shingle
 *   num_perm         128   MinHash signature words (MinHash method)
 *   threshold        0.5 for MinHash (est. Jaccard of word 5-shingles),
 *                    0.9 for SimHash (1 - Hamming/64: <= 6 bits apart)
 *   story_threshold  0.245 average-link TF-IDF cosine (doc/tuning.md)
 *   method           DEDUP_METHOD_MINHASH
 *   minhash_kind     DEDUP_MINHASH_OPH
 *   seed             0
 *   flags            0 (pages cleaned, embedded articles dropped)
 *
 * dedup_corpus_params() tells the values a corpus resolved.
 */
typedef struct dedup_params {
  unsigned version;       /**< DEDUP_PARAMS_VERSION (set by the init) */
  unsigned shingle_k;     /**< words per shingle, 1..64; 0 = 5 */
  unsigned num_perm;      /**< MinHash words, 1..4096; 0 = 128 */
  double threshold;       /**< copy level, in (0, 1]; 0 = the method's */
  double story_threshold; /**< story level, in (0, 1]; 0 = 0.245 */
  dedup_method method;    /**< copy-level method */
  dedup_minhash_kind minhash_kind; /**< MinHash kind */
  uint64_t seed;          /**< hash seed; same seed, same output */
  unsigned flags;         /**< DEDUP_F_* */
} dedup_params;

/** Every field its default. */
#define DEDUP_PARAMS_INIT                                                      \
  { DEDUP_PARAMS_VERSION, 0, 0, 0.0, 0.0, DEDUP_METHOD_MINHASH,                \
    DEDUP_MINHASH_OPH, 0, 0 }

/**
 * @brief Fills *p with the defaults (as DEDUP_PARAMS_INIT) for a given
 *        layout version; pass DEDUP_PARAMS_VERSION.
 * @return DEDUP_OK, DEDUP_EINVAL (p NULL, or a version this library does
 *         not know: 0 or above its own)
 * Thread-safe.
 */
DEDUP_API int dedup_params_init(dedup_params *p, unsigned version);

/** Which levels dedup_run_options.levels asks for. */
enum {
  DEDUP_RUN_COPY = 1u << 0,  /**< copy groups (always computed) */
  DEDUP_RUN_STORY = 1u << 1, /**< stories over the copy groups */
  DEDUP_RUN_ALL = DEDUP_RUN_COPY | DEDUP_RUN_STORY
};

/** Phases a run reports to dedup_run_options.progress, in this order. */
typedef enum dedup_phase {
  DEDUP_PHASE_NORMALISE = 0, /**< normalise, count lines across pages */
  DEDUP_PHASE_ITEMS = 1,     /**< clean pages, sign items */
  DEDUP_PHASE_COPY = 2,      /**< copy level: LSH, verify, union-find */
  DEDUP_PHASE_STORY = 3,     /**< story level (skipped when not asked) */
  DEDUP_PHASE_DONE = 4       /**< results are in place */
} dedup_phase;

/**
 * Called by dedup_corpus_run() on the calling thread as each phase
 * starts.  Return 0 to go on, anything else to stop the run, which then
 * returns DEDUP_ECANCELED with no results.
 */
typedef int (*dedup_progress_fn)(void *ctx, dedup_phase phase);

/** The layout of dedup_run_options this header describes (grows as
    dedup_params does). */
#define DEDUP_RUN_OPTIONS_VERSION 1

/**
 * How one run executes: never part of the result (the clusters do not
 * depend on it) and never saved.  Zero means the default.
 */
typedef struct dedup_run_options {
  unsigned version;           /**< DEDUP_RUN_OPTIONS_VERSION */
  unsigned threads;           /**< worker threads, <= 1024; 0 = all cores */
  unsigned levels;            /**< DEDUP_RUN_*; 0 = DEDUP_RUN_ALL */
  dedup_progress_fn progress; /**< NULL: no reports */
  void *progress_ctx;         /**< passed to progress */
} dedup_run_options;

#define DEDUP_RUN_OPTIONS_INIT { DEDUP_RUN_OPTIONS_VERSION, 0, 0, NULL, NULL }

/**
 * @brief Fills *o with the defaults for a layout version (pass
 *        DEDUP_RUN_OPTIONS_VERSION).
 * @return DEDUP_OK, DEDUP_EINVAL (o NULL or an unknown version)
 * Thread-safe.
 */
DEDUP_API int dedup_run_options_init(dedup_run_options *o, unsigned version);

typedef struct dedup_corpus dedup_corpus;

/*
 * Misuse is answered, never a crash: every corpus call accepts a NULL
 * handle (calls returning a status give DEDUP_EINVAL, counts give 0,
 * borrowed pointers NULL, ids SIZE_MAX), ids out of range give
 * DEDUP_EINVAL, and results asked for before a run (or after the corpus
 * changed, or of a level the run did not compute) give DEDUP_ESTATE or
 * the empty answer stated per call.
 */

/**
 * @brief Creates an empty corpus.
 * @param[out] out    new corpus; NULL on failure; free with dedup_corpus_free
 * @param params      NULL for defaults; read during the call only (zero
 *                    fields are resolved to the defaults and kept)
 * @return DEDUP_OK, DEDUP_EINVAL (out NULL, a parameter out of range, or
 *         an unknown params version), DEDUP_ENOMEM
 * Thread-safe.
 */
DEDUP_API int dedup_corpus_new(dedup_corpus **out, const dedup_params *params);
/** @brief Frees a corpus and everything it owns; NULL is a no-op. */
DEDUP_API void dedup_corpus_free(dedup_corpus *c);

/**
 * @brief The corpus' parameters as resolved (no zero "default" fields),
 *        in the layout of the given version (pass DEDUP_PARAMS_VERSION).
 * @return DEDUP_OK, DEDUP_EINVAL (c or out NULL, unknown version)
 * Read-only.
 */
DEDUP_API int dedup_corpus_params(const dedup_corpus *c, dedup_params *out,
                                  unsigned version);

/**
 * @brief Adds one document.  Name and text are copied.
 *
 * Documents may be added before and after dedup_corpus_run(); results of a
 * previous run are dropped when a document is added.
 *
 * @param name       identifies the document in results (e.g. its path);
 *                   a NUL-terminated string
 * @param text,len   the document's bytes (UTF-8; invalid bytes are replaced)
 * @param[out] n_invalid  invalid UTF-8 sequences replaced; may be NULL
 *                   (then they are counted, in parallel, by the run)
 * @return DEDUP_OK; DEDUP_EEMPTY (no words), DEDUP_EBINARY (looks binary):
 *         the document is not added, the corpus is unchanged;
 *         DEDUP_EINVAL (c or name NULL, or text NULL with len > 0),
 *         DEDUP_ETOOBIG (more than 2^31 - 1 bytes, or 2^32 - 1 documents),
 *         DEDUP_ENOMEM
 */
DEDUP_API int dedup_corpus_add(dedup_corpus *c, const char *name,
                               const char *text, size_t len,
                               size_t *n_invalid);

/** @brief Number of documents added (loaded ones included); 0 for NULL. */
DEDUP_API size_t dedup_corpus_doc_count(const dedup_corpus *c);

/**
 * @brief Runs the pipeline over all documents with default run options
 *        (all cores, both levels): dedup_corpus_run_with(c, NULL).
 */
DEDUP_API int dedup_corpus_run(dedup_corpus *c);

/**
 * @brief Runs the pipeline over all documents: cleaning, signatures, LSH,
 *        verification and clustering at the levels asked for.
 *
 * Output is deterministic: the same documents and params give the same
 * items, clusters and ids whatever the order of insertion, the number of
 * threads or the levels asked for (the copy level is the same with or
 * without the story level).
 * @param opts  NULL for defaults; read during the call only
 * @return DEDUP_OK, DEDUP_EINVAL (c NULL, an option out of range or an
 *         unknown options version), DEDUP_ETOOBIG (more than 2^32 - 1
 *         items), DEDUP_ECANCELED (the progress callback said stop),
 *         DEDUP_ENOMEM; on failure the corpus has no results (its
 *         documents are kept)
 */
DEDUP_API int dedup_corpus_run_with(dedup_corpus *c,
                                    const dedup_run_options *opts);

/**
 * @brief Whether the last run computed a level: 1 or 0 (no run, the
 *        corpus changed since, the story level not asked for, c NULL).
 *        Queries of a level not computed give the empty answers.
 */
DEDUP_API int dedup_corpus_has_level(const dedup_corpus *c,
                                     dedup_level level);

/**
 * @brief Number of items: documents, plus embedded articles when
 *        DEDUP_F_SPLIT_EMBEDDED is set.  Items are numbered 0..n-1 in order of
 *        name after a run; 0 before a run.  Read-only.
 */
DEDUP_API size_t dedup_corpus_item_count(const dedup_corpus *c);
/** @brief Name of an item ("path" or "path#2"); borrowed from the corpus,
 *         valid until it changes; NULL for an id out of range. */
DEDUP_API const char *dedup_corpus_item_name(const dedup_corpus *c,
                                             size_t item);
/**
 * @brief The item of a name (as dedup_corpus_item_name gives it), by
 *        binary search: items are in name order.  When two documents
 *        share a name, the first of them.
 * @param[out] item  its id; SIZE_MAX on failure
 * @return DEDUP_OK, DEDUP_ENOTFOUND, DEDUP_ESTATE (no run),
 *         DEDUP_EINVAL (c, name or item NULL)
 * Read-only.
 */
DEDUP_API int dedup_corpus_item_find(const dedup_corpus *c, const char *name,
                                     size_t *item);

/**
 * @brief Number of clusters at a level after a run (0 before a run, or
 *        for a level not computed).  Every item is in exactly one cluster
 *        (singletons included).  Clusters are numbered by size (largest
 *        first), then by their first member.  Read-only.
 */
DEDUP_API size_t dedup_corpus_cluster_count(const dedup_corpus *c,
                                            dedup_level level);
/**
 * @brief Members of a cluster, ascending item ids; borrowed from the corpus,
 *        valid until the corpus changes.  *n receives the count (n may
 *        not be NULL).  NULL and *n = 0 for a cluster out of range.
 */
DEDUP_API const size_t *dedup_corpus_cluster_members(const dedup_corpus *c,
                                                     dedup_level level,
                                                     size_t cluster,
                                                     size_t *n);
/** @brief The cluster an item belongs to at a level; SIZE_MAX for an id
 *         out of range or a level not computed. */
DEDUP_API size_t dedup_corpus_cluster_of(const dedup_corpus *c,
                                         dedup_level level, size_t item);

/**
 * @brief The copy groups of a story: copy-level cluster ids, in order of
 *        their first members; borrowed, valid until the corpus changes.  *n receives the count.
 *        NULL and *n = 0 when the story level was not computed or the
 *        story is out of range.  Read-only.
 */
DEDUP_API const size_t *dedup_corpus_story_copy_groups(const dedup_corpus *c,
                                                       size_t story,
                                                       size_t *n);

/**
 * @brief Verified links inside clusters: the pairs whose similarity joined
 *        items into clusters at a level, sorted by (a, b).  Story links
 *        are those between copy groups' representatives plus every copy
 *        link.  0 when the level was not computed.  Read-only.
 */
DEDUP_API size_t dedup_corpus_link_count(const dedup_corpus *c,
                                         dedup_level level);
/**
 * @brief One link: items a < b and their similarity (0..1).
 * @return DEDUP_OK, DEDUP_ESTATE (level not computed), DEDUP_EINVAL (c or
 *         an out pointer NULL, i out of range)
 */
DEDUP_API int dedup_corpus_link(const dedup_corpus *c, dedup_level level,
                                size_t i, size_t *a, size_t *b,
                                double *similarity);

/**
 * @brief The links inside one cluster, without scanning them all: they
 *        are the links i of dedup_corpus_link() for i in ids[0..*n),
 *        ascending (so sorted by (a, b)); borrowed, valid until the
 *        corpus changes.  NULL and *n = 0 when the cluster has none or is
 *        out of range.  Read-only.
 */
DEDUP_API const size_t *dedup_corpus_cluster_links(const dedup_corpus *c,
                                                   dedup_level level,
                                                   size_t cluster,
                                                   size_t *n);

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
     (levels without DEDUP_RUN_STORY), story_computed is 0 and the rest
     is 0. */
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
 *         DEDUP_EINVAL (out or c NULL, an id out of range), DEDUP_ENOMEM
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
 * The file holds the parameters (the model: never run options such as
 * threads or levels) and every document's name and text
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
 * is removed and PATH is left as it was.  Read-only on c.
 *
 * @return DEDUP_OK, DEDUP_EIO (see errno), DEDUP_ENOMEM,
 *         DEDUP_EINVAL (c or path NULL, path empty)
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
 * @return DEDUP_OK, DEDUP_EIO (cannot open or read; see errno),
 *         DEDUP_EFORMAT (truncated or corrupt), DEDUP_EVERSION (another
 *         format version), DEDUP_EINVAL (out or path NULL), DEDUP_ENOMEM
 * @since 0.1
 */
DEDUP_API int dedup_corpus_load(dedup_corpus **out, const char *path);


/* ------------------------------------------------------------------------ */
/* Connected components (union-find)                                         */

/**
 * @brief Connected components of n items joined by pairs: items a[i] and
 *        b[i] (i < n_pairs) are in one component, and so is every chain
 *        of pairs (single link), as the copy level joins verified copies.
 *
 * Components are numbered 0.. in order of their smallest member, so the
 * result depends only on the set of pairs (not their order or
 * direction); a pair (x, x) is allowed and joins nothing.  Union by size
 * with path halving: time about O(n + n_pairs), memory 8 bytes an item.
 *
 * @param[out] labels        n words (caller-owned): labels[i] is item i's
 *                           component; may be NULL when n is 0
 * @param[out] n_components  the number of components (0 on failure)
 * @param n                  number of items
 * @param a,b                n_pairs item ids each; may be NULL when
 *                           n_pairs is 0
 * @return DEDUP_OK; DEDUP_EINVAL (n_components NULL, labels NULL with
 *         n > 0, a or b NULL with n_pairs > 0, an id >= n: checked before
 *         labels is written); DEDUP_ETOOBIG (n over 2^32 - 1);
 *         DEDUP_ENOMEM
 * Thread-safe.
 * @since 0.1.0
 */
DEDUP_API int dedup_components(size_t *labels, size_t *n_components,
                               size_t n, const uint32_t *a, const uint32_t *b,
                               size_t n_pairs);

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
