/* fuzz_index_file.c - the service index's file (lib/service/index_file.c)
 * on arbitrary bytes.
 *
 * Each input is opened twice: as it is (almost always refused by a
 * section's checksum), and with every section's checksum made right, so
 * the fuzzer reaches the checks behind them - counts, lengths, slot
 * numbers, lists, union-find chains, the LSH tables.  An index that opens
 * must be usable: looked up, queried, added to and removed from. */
#include "fuzz.h"
#include "common/hash.h"
#include "dedup.h"
#include "service/index_private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char text[] =
    "The council met on Tuesday to discuss the new bridge over the river.\n\n"
    "Members said the bridge would open next year, and that the cost had "
    "risen since the plans were first shown to the public in the spring.";

static void check_opened(int rc, dedup_index *ix) {
  CHECK(rc == DEDUP_OK || rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION);
  CHECK((rc == DEDUP_OK) == (ix != NULL));
  if (!ix)
    return;
  size_t n = dedup_index_doc_count(ix);
  for (size_t i = 0; i < n; i++) {
    dedup_index_doc_info d;
    CHECK(dedup_index_doc(ix, i, &d) == DEDUP_OK);
    dedup_index_doc_info e;
    CHECK(dedup_index_lookup(ix, d.id, &e) == DEDUP_OK);
    CHECK(e.copy_id == d.copy_id && e.story_id == d.story_id);
    uint64_t cur;
    if (d.copy_id)
      CHECK(dedup_index_resolve(ix, DEDUP_LEVEL_COPY, d.copy_id, &cur) ==
            DEDUP_OK);
  }
  for (size_t i = 0; i < dedup_index_merge_count(ix); i++) {
    dedup_level lv;
    uint64_t from, into;
    CHECK(dedup_index_merge(ix, i, &lv, &from, &into) == DEDUP_OK);
  }
  /* Large parameters on every input are slow, not interesting. */
  dedup_params p;
  CHECK(dedup_index_params(ix, &p, DEDUP_PARAMS_VERSION) == DEDUP_OK);
  if (p.num_perm <= 256 && n <= 64) {
    dedup_assignment a = {0};
    a.version = DEDUP_ASSIGNMENT_VERSION;
    int rq = dedup_index_query(ix, text, sizeof text - 1, NULL, &a);
    CHECK(rq == DEDUP_OK || rq == DEDUP_ENOMEM);
    int ra = dedup_index_add(ix, "fuzz-new", text, sizeof text - 1, NULL,
                             DEDUP_ADD_REPLACE, &a);
    CHECK(ra == DEDUP_OK || ra == DEDUP_ENOMEM);
    dedup_index_doc_info d;
    if (n && dedup_index_doc(ix, 0, &d) == DEDUP_OK) {
      char *id = strdup(d.id);
      CHECK(id);
      CHECK(dedup_index_remove(ix, id) == DEDUP_OK);
      free(id);
    }
  }
  dedup_index_free(ix);
}

/* Every section's XXH3 made right (the layout of index_file.c). */
static void fix_sums(uint8_t *p, size_t len) {
  size_t at = 16;
  while (len >= at && len - at >= 20) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
      n = n << 8 | p[at + 4 + i];
    if (n > len - at - 20)
      return;
    uint64_t s = dedup__hash(p + at + 20, (size_t)n, 0);
    for (int i = 0; i < 8; i++)
      p[at + 12 + i] = (uint8_t)(s >> (8 * i));
    at += 20 + (size_t)n;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* rc first: argument evaluation order is unspecified. */
  dedup_index *ix = NULL;
  int rc = dedup__index_open_mem(&ix, data, size, 0);
  check_opened(rc, ix);
  /* An exact-size copy, so any read past the end is caught by ASan. */
  uint8_t *fixed = malloc(size ? size : 1);
  CHECK(fixed);
  if (size)
    memcpy(fixed, data, size);
  fix_sums(fixed, size);
  ix = NULL;
  rc = dedup__index_open_mem(&ix, fixed, size, 0);
  check_opened(rc, ix);
  free(fixed);
  return 0;
}
