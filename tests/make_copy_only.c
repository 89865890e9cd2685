/* make_copy_only.c - writes an index as libdedup 0.1 saved it for a
 * copy-only run: flag bit 2 (0.1's DEDUP_F_COPY_ONLY, a run option saved
 * by mistake) set in the header, checksum fixed.  For cli_edge_cases.sh:
 * such an index once listed its copy clusters as stories on --load.
 *
 *   make_copy_only INDEX FILE...
 */
#include "dedup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define FLAGS_AT 56 /* lib/corpus/index_io.c's header layout */

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: make_copy_only INDEX FILE...\n");
    return 2;
  }
  dedup_corpus *c;
  if (dedup_corpus_new(&c, NULL) != DEDUP_OK)
    return 1;
  static char buf[1 << 20];
  for (int i = 2; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f)
      return 1;
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (dedup_corpus_add(c, argv[i], buf, len, NULL) != DEDUP_OK)
      return 1;
  }
  int rc = dedup_corpus_save(c, argv[1]);
  dedup_corpus_free(c);
  if (rc != DEDUP_OK)
    return 1;
  FILE *f = fopen(argv[1], "r+b");
  if (!f)
    return 1;
  size_t n = fread(buf, 1, sizeof buf, f);
  if (n < FLAGS_AT + 4 + 8 || n == sizeof buf)
    return 1;
  buf[FLAGS_AT] |= 4;
  uint64_t h = XXH64(buf, n - 8, 0);
  for (int i = 0; i < 8; i++)
    buf[n - 8 + i] = (char)(h >> (8 * i));
  rewind(f);
  rc = fwrite(buf, 1, n, f) == n ? 0 : 1;
  return fclose(f) == 0 ? rc : 1;
}
