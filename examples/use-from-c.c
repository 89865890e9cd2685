/* use-from-c.c - prints the files named on the command line, one story a
 * line.  Build: cc use-from-c.c $(pkg-config --cflags --libs libdedup) */
#include <dedup.h>
#include <stdio.h>

int main(int argc, char **argv) {
  static char buf[1 << 20]; /* reads the first MB of each file */
  dedup_corpus *c;
  if (dedup_corpus_new(&c, NULL) != DEDUP_OK)
    return 1;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (len == sizeof buf) /* say so: never drop text silently */
      fprintf(stderr, "%s: only its first MB is used\n", argv[i]);
    int rc = f ? dedup_corpus_add(c, argv[i], buf, len, NULL) : DEDUP_EIO;
    if (rc != DEDUP_OK) /* e.g. an empty or binary file: not added */
      fprintf(stderr, "%s: %s\n", argv[i], dedup_strerror(rc));
    if (f)
      fclose(f);
  }
  if (dedup_corpus_run(c) != DEDUP_OK)
    return 1;
  for (size_t k = 0; k < dedup_corpus_cluster_count(c, DEDUP_LEVEL_STORY);
       k++) {
    size_t n;
    const size_t *m = dedup_corpus_cluster_members(c, DEDUP_LEVEL_STORY, k,
                                                   &n);
    for (size_t i = 0; i < n; i++)
      printf("%s%c", dedup_corpus_item_name(c, m[i]), i + 1 < n ? ' ' : '\n');
  }
  dedup_corpus_free(c);
  return 0;
}
