/* replay.c - runs fuzz inputs through a harness without libFuzzer, so the
 * corpora (hand-made edge cases and every crash found, kept as regression
 * inputs) are replayed by the ordinary test suite with any compiler.
 *
 *   fuzz_replay_X FILE|DIR...   (directories: their files, sorted)
 * Exit 0 when every input ran; a finding aborts, as under libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return -1;
  }
  size_t cap = 4096, n = 0;
  uint8_t *b = malloc(cap);
  for (;;) {
    if (!b)
      abort();
    n += fread(b + n, 1, cap - n, f);
    if (n < cap)
      break;
    b = realloc(b, cap *= 2);
  }
  fclose(f);
  /* An exact-size copy, so a read past the input is caught by ASan. */
  uint8_t *exact = malloc(n ? n : 1);
  if (!exact)
    abort();
  memcpy(exact, b, n);
  free(b);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  return 0;
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  size_t total = 0;
  for (int a = 1; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) != 0) {
      perror(argv[a]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (run_file(argv[a]))
        return 1;
      total++;
      continue;
    }
    DIR *d = opendir(argv[a]);
    if (!d) {
      perror(argv[a]);
      return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.')
        continue;
      names = realloc(names, (n + 1) * sizeof *names);
      size_t len = strlen(argv[a]) + strlen(e->d_name) + 2;
      if (!names || !(names[n] = malloc(len)))
        abort();
      snprintf(names[n++], len, "%s/%s", argv[a], e->d_name);
    }
    closedir(d);
    if (n)
      qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++) {
      if (run_file(names[i]))
        return 1;
      free(names[i]);
    }
    free(names);
    total += n;
  }
  printf("%zu inputs replayed\n", total);
  return total ? 0 : 1;
}
