/* fuzz_params.c - the whole pipeline with parameters taken from the input.
 *
 * Input: a HEADER-byte header (missing bytes read as 0), then documents
 * cut at "\n===\n" (up to MAX_DOCS).  Header:
 *   0     bit 0 SimHash, bit 1 classic MinHash, bit 2 DEDUP_F_NO_CLEAN,
 *         bit 3 DEDUP_F_SPLIT_EMBEDDED, bit 4 threshold from byte 4 (else
 *         0: the default), bit 5 story threshold from byte 5 (else 0),
 *         bit 6 num_perm from bytes 1-2 (else 0), bit 7 shingle_k from
 *         byte 3 (else 0)
 *   1-2   num_perm: 1 + (little-endian value mod 4096), 1..4096, when
 *         byte 3's high 4 bits are set, else 1 + (value mod 256)
 *   3     shingle_k: 1 + (low 4 bits), 1..16
 *   4, 5  thresholds: (t + 1) / 257, in (0, 1)
 *   6-13  seed, little-endian
 * Checked: the run succeeds, every item is in exactly one cluster at each
 * level, members ascend, cluster_of agrees with the members, links are
 * sorted with a < b and a similarity in [0, 1], copy groups nest inside
 * stories, and the documents added in reverse order give the same
 * result. */
#include "fuzz.h"
#include "dedup.h"
#include "fuzz_checks.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { MAX_DOCS = 8, HEADER = 14 };
static const char SEP[] = "\n===\n";

/* The parameters, set by name only: the struct is being redesigned. */
static dedup_params params_from(const uint8_t *h) {
  dedup_params p = DEDUP_PARAMS_INIT;
  unsigned sel = h[0];
  p.method = sel & 1 ? DEDUP_METHOD_SIMHASH : DEDUP_METHOD_MINHASH;
  p.minhash_kind = sel & 2 ? DEDUP_MINHASH_CLASSIC : DEDUP_MINHASH_OPH;
  p.flags = (sel & 4 ? DEDUP_F_NO_CLEAN : 0u) |
            (sel & 8 ? DEDUP_F_SPLIT_EMBEDDED : 0u);
  p.threshold = sel & 16 ? (h[4] + 1) / 257.0 : 0;
  p.story_threshold = sel & 32 ? (h[5] + 1) / 257.0 : 0;
  /* Past 256 only when byte 3's high bits are all set: the LSH shape
   * costs O(num_perm log num_perm) integrals (most of a second at 4096
   * under ASan), which must not take most of the fuzzer's time. */
  unsigned v = h[1] | h[2] << 8;
  if (sel & 64)
    p.num_perm = 1 + ((h[3] & 0xF0) == 0xF0 ? v % 4096 : v % 256);
  p.shingle_k = sel & 128 ? 1 + (h[3] & 15u) : 0;
  uint64_t seed = 0;
  for (int i = 0; i < 8; i++)
    seed |= (uint64_t)h[6 + i] << (8 * i);
  p.seed = seed;
  return p;
}


static dedup_corpus *build(const dedup_params *p, const piece *d, size_t nd,
                           int reverse) {
  dedup_corpus *c;
  CHECK(dedup_corpus_new(&c, p) == DEDUP_OK && c);
  for (size_t k = 0; k < nd; k++) {
    size_t i = reverse ? nd - 1 - k : k;
    char name[32];
    snprintf(name, sizeof name, "d%zu", i);
    int rc = dedup_corpus_add(c, name, d[i].p, d[i].n, NULL);
    CHECK(rc == DEDUP_OK || rc == DEDUP_EEMPTY || rc == DEDUP_EBINARY);
  }
  CHECK(dedup_corpus_run(c) == DEDUP_OK);
  return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 16))
    return 0;
  uint8_t hd[HEADER] = {0};
  size_t skip = size < HEADER ? size : HEADER;
  memcpy(hd, data, skip);
  dedup_params p = params_from(hd);
  piece d[MAX_DOCS];
  size_t nd =
      fuzz_split((const char *)data + skip, size - skip, SEP, sizeof SEP - 1,
                 MAX_DOCS, d);
  dedup_corpus *c = build(&p, d, nd, 0);
  fuzz_check_corpus(c);
  size_t n = dedup_corpus_item_count(c);
  if (!(p.flags & DEDUP_F_SPLIT_EMBEDDED))
    CHECK(n <= nd);
  dedup_corpus *r = build(&p, d, nd, 1);
  fuzz_check_same(c, r);
  dedup_corpus_free(r);
  dedup_corpus_free(c);
  return 0;
}
