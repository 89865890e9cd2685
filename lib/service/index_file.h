/* index_file.h - the service index file's layout constants and what its
 * writer (index_file.c) and reader (index_read.c) share: the checks of
 * the structure and of the LSH entries, and the writer's lock.  The
 * layout itself is described at the top of index_file.c. */
#ifndef DEDUP_INDEX_FILE_H
#define DEDUP_INDEX_FILE_H

#include "common/hash.h"
#include "service/index_private.h"

#include <sys/stat.h>

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

/* The file's tag: its section headers (tag, length, checksum) hashed in
 * order, from TAG_SEED.  A journal names the file it follows by it. */
#define TAG_SEED 0x6a6f75726e616cULL
static inline uint64_t dedup__index_tag_step(uint64_t tag,
                                             const unsigned char *sec_header) {
  return dedup__hash(sec_header, SEC_HEADER, tag);
}

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
/* The whole of the regular file at path into a new block (*out, *len;
 * its fstat into *st when st is not NULL): DEDUP_OK, DEDUP_EIO (see
 * errno; a FIFO, directory or device is refused), DEDUP_EFORMAT (shorter
 * than min bytes), DEDUP_ENOMEM. */
int dedup__index_read_file(const char *path, size_t min, unsigned char **out,
                           size_t *len, struct stat *st);
/* 1 when ix holds the writer's lock of the index file at path (however
 * the path is spelled), 0 when not, -1 out of memory. */
int dedup__index_holds_lock(const dedup_index *ix, const char *path);
/* An exclusive non-blocking flock on "PATH.lock" into *fd: DEDUP_OK,
 * DEDUP_ELOCKED, DEDUP_EIO, DEDUP_ENOMEM. */
int dedup__index_take_lock(const char *path, int *fd);

#endif
