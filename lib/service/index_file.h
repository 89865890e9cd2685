/* index_file.h - the service index file's layout constants and what its
 * writer (index_file.c) and reader (index_read.c) share: the checks of
 * the structure and of the LSH entries, and the writer's lock.  The
 * layout itself is described at the top of index_file.c. */
#ifndef DEDUP_INDEX_FILE_H
#define DEDUP_INDEX_FILE_H

#include "service/index_private.h"

#define SVC_MAGIC "DEDUPSVC" /* 8 bytes, no NUL */
#define SVC_VERSION 1u
#define SVC_HEADER 16
#define SEC_HEADER 20
#define NO_STRING UINT64_MAX
#define PARAMS_LEN 52
#define COUNTERS_LEN 36
#define DOC_FIXED 68
#define GROUP_FIXED 65
#define STORY_LEN 24
#define MERGE_LEN 17
#define WBUF (1u << 16)

enum {
  SEC_PARAMS = 1,
  SEC_FLAGS,
  SEC_COUNTERS,
  SEC_DOCS,
  SEC_SIGS,
  SEC_GROUPS,
  SEC_STORIES,
  SEC_MERGES,
  SEC_LINES,
  SEC_HEAVY,
  SEC_DF,
  SEC_N,
  SEC_COPY_LSH,
  SEC_STORY_LSH,
  N_SECTIONS = SEC_STORY_LSH
};

/* The structure of an index as the code that reads it expects it (every
 * slot number in range, lists and chains without cycles, counts that
 * agree): DEDUP_OK or DEDUP_EFORMAT. */
int dedup__index_validate(const dedup_index *ix);
/* The key words of item id's band in the copy LSH and the story LSH (the
 * callbacks of dedup__lsh_read and dedup__lsh_check; ctx: the index). */
int dedup__index_copy_band(void *ctx, uint32_t id, unsigned band,
                           uint64_t *out);
int dedup__index_story_band(void *ctx, uint32_t id, unsigned band,
                            uint64_t *out);
/* An exclusive non-blocking flock on "PATH.lock" into *fd: DEDUP_OK,
 * DEDUP_ELOCKED, DEDUP_EIO, DEDUP_ENOMEM. */
int dedup__index_take_lock(const char *path, int *fd);

#endif
