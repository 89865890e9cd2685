/* fuzz_journal.c - the service index's journal (lib/service/journal.c) on
 * arbitrary bytes: each input is the journal of a small index file made
 * once (three short articles), opened read only.
 *
 * Each input is tried twice: as it is, and with its header and every
 * record's checksum made right and the header naming the file (so the
 * fuzzer reaches the records' fields and the redo behind them).  An
 * index that opens must be usable: every document looked up and its ids
 * resolved, and a query answered. */
#include "fuzz.h"
#include "common/hash.h"
#include "dedup.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *texts[] = {
    "The council met on Tuesday to discuss the new bridge over the river. "
    "Members said it would open next year.",
    "The council met on Tuesday to discuss the new bridge over the river! "
    "Members said it would open next year.",
    "Heavy rain closed the mountain road for a second day, and the pass "
    "stays shut until the snow melts."};

static char path[256], jpath[300];
static uint64_t tag; /* of the file, read from its journal */

static void remove_files(void) {
  unlink(path);
  unlink(jpath);
  char l[300];
  snprintf(l, sizeof l, "%s.lock", path);
  unlink(l);
}

/* The index file, and a first journal to learn its tag from. */
static void make_index(void) {
  const char *t = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/dedup-fuzz-journal-%ld.ix", t ? t : "/tmp",
           (long)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  unlink(path);
  unlink(jpath);
  dedup_index *ix;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.num_perm = 16;
  CHECK(dedup_index_create(&ix, path, &p, 0) == DEDUP_OK);
  CHECK(dedup_index_add(ix, "a", texts[0], strlen(texts[0]), NULL, 0,
                        NULL) == DEDUP_OK);
  CHECK(dedup_index_save(ix, NULL) == DEDUP_OK);
  FILE *f = fopen(jpath, "rb");
  CHECK(f);
  unsigned char h[32];
  CHECK(fread(h, 1, sizeof h, f) == sizeof h);
  fclose(f);
  for (int i = 7; i >= 0; i--)
    tag = tag << 8 | h[16 + i];
  dedup_index_free(ix);
  atexit(remove_files);
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* The header made right (the file's tag) and every record's checksum
 * (the layout at the top of journal.c). */
static void fix(uint8_t *p, size_t len) {
  if (len < 32)
    return;
  memcpy(p, "DEDUPJNL", 8);
  p[8] = 1, p[9] = p[10] = p[11] = 0;
  memset(p + 12, 0, 4);
  put64(p + 16, tag);
  put64(p + 24, dedup__hash(p, 24, 0));
  size_t at = 32;
  while (len - at >= 24) {
    uint32_t kind = (uint32_t)(get64(p + at) & 0xffffffffu);
    memset(p + at + 4, 0, 4);
    uint64_t n = get64(p + at + 8);
    if (n > len - at - 24)
      return;
    put64(p + at + 16,
          dedup__hash(p + at + 24, (size_t)n, (uint64_t)kind << 32 ^ n));
    at += 24 + (size_t)n;
  }
}

static void try_open(const uint8_t *data, size_t size) {
  FILE *f = fopen(jpath, "wb");
  CHECK(f);
  CHECK(fwrite(data, 1, size, f) == size);
  CHECK(fclose(f) == 0);
  dedup_index *ix = NULL;
  int rc = dedup_index_open(&ix, path, DEDUP_INDEX_READ_ONLY);
  CHECK(rc == DEDUP_OK || rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION ||
        rc == DEDUP_ENOMEM);
  CHECK((rc == DEDUP_OK) == (ix != NULL));
  if (!ix)
    return;
  size_t n = dedup_index_doc_count(ix);
  for (size_t i = 0; i < n; i++) {
    dedup_index_doc_info d, e;
    CHECK(dedup_index_doc(ix, i, &d) == DEDUP_OK);
    CHECK(dedup_index_lookup(ix, d.id, &e) == DEDUP_OK);
    CHECK(e.copy_id == d.copy_id && e.story_id == d.story_id);
    uint64_t cur;
    if (d.copy_id)
      CHECK(dedup_index_resolve(ix, DEDUP_LEVEL_STORY, d.story_id, &cur) ==
            DEDUP_OK);
  }
  dedup_index_journal_info j;
  memset(&j, 0, sizeof j);
  j.version = DEDUP_INDEX_JOURNAL_INFO_VERSION;
  CHECK(dedup_index_journal(ix, &j) == DEDUP_OK);
  CHECK(j.bytes + j.ignored == size || j.bytes == 0);
  dedup_assignment a;
  memset(&a, 0, sizeof a);
  a.version = DEDUP_ASSIGNMENT_VERSION;
  rc = dedup_index_query(ix, texts[2], strlen(texts[2]), NULL, &a);
  CHECK(rc == DEDUP_OK || rc == DEDUP_ENOMEM);
  dedup_index_free(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!path[0])
    make_index();
  try_open(data, size);
  uint8_t *fixed = malloc(size ? size : 1);
  CHECK(fixed);
  if (size)
    memcpy(fixed, data, size);
  fix(fixed, size);
  try_open(fixed, size);
  free(fixed);
  return 0;
}
