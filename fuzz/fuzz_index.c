/* fuzz_index.c - the index loader on arbitrary bytes.
 *
 * Each input is loaded twice: as it is (almost always refused by the
 * checksum), and with its last 8 bytes replaced by the right checksum, so
 * the fuzzer reaches the checks behind it - lengths, counts, parameters,
 * record flags, text validity.  A corpus that loads must be usable: it is
 * run (on one thread, whatever the file says). */
#include "fuzz.h"
#include "corpus/corpus_private.h"
#include "dedup.h"
#include "common/hash.h"
#include "corpus/index_io.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void check_loaded(int rc, dedup_corpus *c) {
  CHECK(rc == DEDUP_OK || rc == DEDUP_EFORMAT || rc == DEDUP_EVERSION);
  CHECK((rc == DEDUP_OK) == (c != NULL));
  if (!c)
    return;
  size_t bytes = 0;
  for (size_t i = 0; i < c->n_docs; i++) {
    CHECK(c->docs[i].name && (c->docs[i].text || c->docs[i].raw));
    bytes += c->docs[i].text ? c->docs[i].len : c->docs[i].raw_len;
  }
  /* Keep each input fast: big parameters on big texts are slow, not
   * interesting. */
  if (bytes <= 4096 && c->p.num_perm <= 256) {
    dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
    o.threads = 1;
    CHECK(dedup_corpus_run_with(c, &o) == DEDUP_OK);
    CHECK(dedup_corpus_item_count(c) >= c->n_docs);
  }
  dedup_corpus_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* rc first: argument evaluation order is unspecified. */
  dedup_corpus *c = NULL;
  int rc = dedup__index_load_mem(&c, data, size);
  check_loaded(rc, c);
  if (size < DEDUP__INDEX_TRAILER)
    return 0;
  /* An exact-size copy, so any read past the end is caught by ASan. */
  uint8_t *fixed = malloc(size);
  CHECK(fixed);
  memcpy(fixed, data, size);
  dedup__xxh64_state h;
  dedup__xxh64_reset(&h);
  dedup__xxh64_update(&h, fixed, size - DEDUP__INDEX_TRAILER);
  uint64_t sum = dedup__xxh64_digest(&h);
  for (int i = 0; i < 8; i++)
    fixed[size - DEDUP__INDEX_TRAILER + i] = (uint8_t)(sum >> (8 * i));
  c = NULL;
  rc = dedup__index_load_mem(&c, fixed, size);
  check_loaded(rc, c);
  free(fixed);
  return 0;
}
