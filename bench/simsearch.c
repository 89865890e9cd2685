/*
 * simsearch.c - dedup-simsearch-bench: dedup_simhash_pairs (and the query
 * index) on random 64-bit fingerprints with planted near copies.
 *
 *   dedup-simsearch-bench [--n N] [--k K] [--threads T] [--runs R]
 *                         [--seed S] [--index] [--write FILE]
 *
 * A tenth of the fingerprints (default 1M) are copies of an earlier one
 * with 1..K bits flipped; no two are equal, so a tool that keeps a set of
 * fingerprints (simhash-cpp's find_all) finds the same pairs.  --write
 * saves them as decimal lines, the input of simhash-cpp's
 * simhash-find-all, for bench/simsearch.sh.  Prints the median wall time
 * of --runs searches (default 3) and the process's peak RSS.  Uses only
 * dedup.h.
 */
#define _DEFAULT_SOURCE 1

#include "dedup.h"

#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_RUNS 15

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rnd(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Peak RSS in MiB: VmHWM, which reset_peak() can reset (Linux 4.0+),
 * else getrusage's high-water mark (never reset). */
static double peak_mib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
      break;
  if (f)
    fclose(f);
  if (kib < 0) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    kib = ru.ru_maxrss; /* KiB on Linux */
  }
  return (double)kib / 1024.0;
}

/* So the peak measured is the search's (plus the fingerprints), not the
 * generator's scratch, already freed. */
static void reset_peak(void) {
#ifdef __GLIBC__
  malloc_trim(0); /* glibc keeps freed blocks of the size it saw freed */
#endif
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f) {
    fputs("5", f);
    fclose(f);
  }
}

static void die(const char *m) {
  fprintf(stderr, "dedup-simsearch-bench: %s\n", m);
  exit(1);
}

typedef struct vi {
  uint64_t v;
  size_t i;
} vi;

static int cmp_vi(const void *a, const void *b) {
  const vi *x = a, *y = b;
  if (x->v != y->v)
    return (x->v > y->v) - (x->v < y->v);
  return (x->i > y->i) - (x->i < y->i);
}

/* Distinct fingerprints: a value equal to an earlier one (flips that
 * cancel, two copies flipping the same bits) is drawn again at random,
 * until none repeats, so the output is a pure function of the seed. */
static uint64_t *make_fps(size_t n, unsigned k, uint64_t seed) {
  uint64_t *fp = malloc((n ? n : 1) * sizeof *fp), s = seed;
  vi *srt = malloc((n ? n : 1) * sizeof *srt);
  if (!fp || !srt)
    die("out of memory");
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && k > 0 && rnd(&s) % 10 == 0) {
      uint64_t f = fp[rnd(&s) % i];
      unsigned d = 1 + (unsigned)(rnd(&s) % k);
      for (unsigned q = 0; q < d; q++)
        f ^= UINT64_C(1) << (rnd(&s) % 64);
      fp[i] = f;
    } else {
      fp[i] = rnd(&s);
    }
  }
  for (size_t dup = 1; dup;) {
    for (size_t i = 0; i < n; i++)
      srt[i] = (vi){fp[i], i};
    qsort(srt, n, sizeof *srt, cmp_vi);
    dup = 0;
    for (size_t i = 1; i < n; i++)
      if (srt[i].v == srt[i - 1].v) {
        fp[srt[i].i] = rnd(&s);
        dup++;
      }
  }
  free(srt);
  return fp;
}

int main(int argc, char **argv) {
  size_t n = 1000000;
  unsigned k = 3, threads = 1, runs = 3, index = 0;
  uint64_t seed = 1;
  const char *write = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--index")) {
      index = 1;
      continue;
    }
    if (!v)
      die("usage: dedup-simsearch-bench [--n N] [--k K] [--threads T] "
          "[--runs R] [--seed S] [--index] [--write FILE]");
    i++;
    if (!strcmp(a, "--n"))
      n = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--k"))
      k = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--threads"))
      threads = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--runs"))
      runs = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--seed"))
      seed = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--write"))
      write = v;
    else
      die("unknown option");
  }
  if (runs < 1 || runs > MAX_RUNS)
    die("--runs must be 1..15");
  uint64_t *fp = make_fps(n, k, seed);
  if (write) {
    FILE *f = fopen(write, "w");
    if (!f)
      die("cannot write --write file");
    for (size_t i = 0; i < n; i++)
      fprintf(f, "%" PRIu64 "\n", fp[i]);
    if (fclose(f))
      die("cannot write --write file");
  }
  reset_peak();
  double base = peak_mib(), t[MAX_RUNS];
  size_t n_pairs = 0;
  for (unsigned r = 0; r < runs; r++) {
    dedup_pair *p;
    double t0 = now_s();
    int rc = dedup_simhash_pairs(&p, &n_pairs, fp, n, k, threads);
    t[r] = now_s() - t0;
    if (rc != DEDUP_OK)
      die(dedup_strerror(rc));
    dedup_free(p);
  }
  qsort(t, runs, sizeof *t, cmp_dbl);
  printf("dedup_simhash_pairs n=%zu k=%u threads=%u pairs=%zu median_s=%.3f "
         "min_s=%.3f max_s=%.3f peak_rss_mib=%.1f (before the search "
         "%.1f)\n",
         n, k, threads, n_pairs, t[runs / 2], t[0], t[runs - 1], peak_mib(),
         base);
  if (index) {
    /* Build once per run, then query every fingerprint: the pairs again,
     * each seen from both ends (plus itself). */
    for (unsigned r = 0; r < runs; r++) {
      dedup_simhash_index *x;
      double t0 = now_s();
      int rc = dedup_simhash_index_new(&x, fp, n, k);
      if (rc != DEDUP_OK)
        die(dedup_strerror(rc));
      double t1 = now_s();
      size_t hits = 0;
      for (size_t i = 0; i < n; i++) {
        uint32_t *ids;
        size_t m;
        if (dedup_simhash_index_query(x, fp[i], &ids, &m) != DEDUP_OK)
          die("query failed");
        hits += m;
        dedup_free(ids);
      }
      t[r] = now_s() - t1;
      if (r == 0)
        printf("dedup_simhash_index build_s=%.3f hits=%zu (= 2 pairs + n: "
               "%s)\n",
               t1 - t0, hits, hits == 2 * n_pairs + n ? "yes" : "NO");
      dedup_simhash_index_free(x);
    }
    qsort(t, runs, sizeof *t, cmp_dbl);
    printf("dedup_simhash_index_query %zu queries median_s=%.3f "
           "(%.2f us a query) peak_rss_mib=%.1f\n",
           n, t[runs / 2], t[runs / 2] / (double)(n ? n : 1) * 1e6,
           peak_mib());
  }
  free(fp);
  return 0;
}
