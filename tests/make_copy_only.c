/* make_copy_only.c - writes an index saved with DEDUP_F_COPY_ONLY, which
 * dedup-cluster itself never saves (its --save runs compute both levels),
 * for cli_edge_cases.sh.
 *
 *   make_copy_only INDEX FILE...
 */
#include "dedup.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: make_copy_only INDEX FILE...\n");
    return 2;
  }
  dedup_params p;
  dedup_params_init(&p);
  p.flags |= DEDUP_F_COPY_ONLY;
  dedup_corpus *c;
  if (dedup_corpus_new(&c, &p) != DEDUP_OK)
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
  return rc == DEDUP_OK ? 0 : 1;
}
