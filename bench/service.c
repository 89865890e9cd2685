/*
 * service.c - dedup-service-bench: the service index (dedup_index_*)
 * against the batch run, on a pack made by dedup-gen.
 *
 *   dedup-service-bench --pack P --stage batch --n N [--threads T]
 *   dedup-service-bench --pack P --stage index --n N --index FILE
 *                       [--new 10] [--adds 10000] [--queries 1000]
 *                       [--runs 3] [--threads T] [--build rebuild|adds]
 *
 * batch   adds the pack's first N documents to a corpus and runs it
 *         (dedup_corpus_run_with): the full run a service would redo.
 * index   builds an index of the first N documents (DEDUP_ADD_DEFER and
 *         one dedup_index_rebuild(), or with --build adds one
 *         dedup_index_add() each), saves it (without texts), then --runs
 *         times: opens it, adds the next --new documents and saves (the
 *         service's step); the share of old documents whose story id is
 *         unchanged by those adds; then --adds more documents one at a
 *         time (the per-document rate and each add's latency) and
 *         --queries queries of documents after those (latency).
 *
 * Every stage prints one JSON line.  Uses dedup.h only (the pack format is dedup-gen's: "#DOC <name> <nbytes>\n"
 * then the bytes).
 */
#define _POSIX_C_SOURCE 200809L
#include "dedup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "dedup-service-bench: %s\n", what);
  exit(1);
}

static void check(int rc, const char *what) {
  if (rc != DEDUP_OK) {
    fprintf(stderr, "dedup-service-bench: %s: %s\n", what,
            dedup_strerror(rc));
    exit(1);
  }
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    die("out of memory");
  return p;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The q-quantile of v[0..n) (sorts v): nearest rank. */
static double quantile(double *v, size_t n, double q) {
  if (!n)
    return 0;
  qsort(v, n, sizeof *v, cmp_dbl);
  size_t k = (size_t)(q * (double)n);
  if (k >= n)
    k = n - 1;
  return v[k];
}

static double median(double *v, size_t n) {
  if (!n)
    return 0;
  qsort(v, n, sizeof *v, cmp_dbl);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long peak_rss_mb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6))
      kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb < 0 ? -1 : kb / 1024;
}

/* ------------------------------------------------------------------------ */
/* The pack                                                                  */

typedef struct doc {
  const char *name;
  const char *text;
  size_t len;
} doc;

typedef struct pack {
  char *buf;
  doc *d;
  size_t n;
} pack;

/* Reads the first max_docs records of a pack into memory (names are
 * NUL-terminated in place: the header's space before the length). */
static void read_pack(pack *pk, const char *path, size_t max_docs) {
  FILE *f = fopen(path, "rb");
  if (!f)
    die("cannot open the pack");
  size_t cap = 1 << 20, n = 0, dcap = 1024;
  char *b = xmalloc(cap);
  pk->d = xmalloc(dcap * sizeof *pk->d);
  pk->n = 0;
  /* Read record by record so a big pack is read only as far as needed. */
  char hdr[4096];
  while (pk->n < max_docs && fgets(hdr, sizeof hdr, f)) {
    size_t hn = strlen(hdr);
    if (hn < 7 || memcmp(hdr, "#DOC ", 5) || hdr[hn - 1] != '\n')
      die("pack: bad record header");
    hdr[--hn] = '\0';
    char *sp = strrchr(hdr, ' ');
    if (!sp || sp == hdr + 4)
      die("pack: header without length");
    *sp = '\0';
    unsigned long long len = strtoull(sp + 1, NULL, 10);
    size_t name_len = (size_t)(sp - (hdr + 5));
    size_t need = n + name_len + 1 + (size_t)len + 1;
    if (need > cap) {
      while (need > cap)
        cap *= 2;
      /* Offsets, not pointers, until the end: the buffer moves. */
      char *nb = realloc(b, cap);
      if (!nb)
        die("out of memory");
      b = nb;
    }
    memcpy(b + n, hdr + 5, name_len + 1);
    size_t name_at = n;
    n += name_len + 1;
    if (fread(b + n, 1, (size_t)len, f) != (size_t)len)
      die("pack: truncated document");
    if (pk->n == dcap) {
      dcap *= 2;
      doc *nd = realloc(pk->d, dcap * sizeof *nd);
      if (!nd)
        die("out of memory");
      pk->d = nd;
    }
    pk->d[pk->n].name = (const char *)(uintptr_t)name_at;
    pk->d[pk->n].text = (const char *)(uintptr_t)n;
    pk->d[pk->n].len = (size_t)len;
    pk->n++;
    n += (size_t)len;
    b[n++] = '\0';
  }
  fclose(f);
  for (size_t i = 0; i < pk->n; i++) {
    pk->d[i].name = b + (uintptr_t)pk->d[i].name;
    pk->d[i].text = b + (uintptr_t)pk->d[i].text;
  }
  pk->buf = b;
}

/* ------------------------------------------------------------------------ */
/* Stages                                                                    */

typedef struct opts {
  const char *pack, *stage, *index, *build;
  size_t n, n_new, adds, queries;
  size_t many;  /* of the adds, the last this many by dedup_index_add_many */
  size_t batch; /* ... in batches of this many */
  unsigned runs, threads;
} opts;

static void stage_batch(const opts *o, const pack *pk) {
  if (pk->n < o->n)
    die("the pack has fewer than --n documents");
  double *add_s = xmalloc(o->runs * sizeof *add_s);
  double *run_s = xmalloc(o->runs * sizeof *run_s);
  double *all_s = xmalloc(o->runs * sizeof *all_s);
  dedup_run_options ro = DEDUP_RUN_OPTIONS_INIT;
  ro.threads = o->threads;
  size_t stories = 0, groups = 0;
  for (unsigned r = 0; r < o->runs; r++) {
    dedup_corpus *c;
    check(dedup_corpus_new(&c, NULL), "corpus");
    double t0 = now_s();
    for (size_t i = 0; i < o->n; i++) {
      int rc = dedup_corpus_add(c, pk->d[i].name, pk->d[i].text,
                                pk->d[i].len, NULL);
      if (rc != DEDUP_OK && rc != DEDUP_EEMPTY && rc != DEDUP_EBINARY)
        check(rc, "corpus add");
    }
    double t1 = now_s();
    check(dedup_corpus_run_with(c, &ro), "corpus run");
    double t2 = now_s();
    add_s[r] = t1 - t0;
    run_s[r] = t2 - t1;
    all_s[r] = t2 - t0;
    stories = dedup_corpus_cluster_count(c, DEDUP_LEVEL_STORY);
    groups = dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY);
    dedup_corpus_free(c);
  }
  double all = median(all_s, o->runs);
  printf("{\"stage\":\"batch\",\"n\":%zu,\"runs\":%u,\"threads\":%u,"
         "\"add_s\":%.3f,\"run_s\":%.3f,\"total_s\":%.3f,"
         "\"docs_per_s\":%.1f,\"copy_groups\":%zu,\"stories\":%zu,"
         "\"peak_rss_mb\":%ld}\n",
         o->n, o->runs, o->threads, median(add_s, o->runs),
         median(run_s, o->runs), all, (double)o->n / all, groups, stories,
         peak_rss_mb());
  fflush(stdout);
  free(add_s);
  free(run_s);
  free(all_s);
}

/* Adds documents [from, to) one at a time; lat (may be NULL) gets each
 * add's seconds.  Returns the wall time. */
static double add_range(dedup_index *ix, const pack *pk, size_t from,
                        size_t to, unsigned flags, double *lat) {
  dedup_assignment a;
  memset(&a, 0, sizeof a);
  a.version = DEDUP_ASSIGNMENT_VERSION;
  double t0 = now_s();
  for (size_t i = from; i < to; i++) {
    double s = lat ? now_s() : 0;
    int rc = dedup_index_add(ix, pk->d[i].name, pk->d[i].text, pk->d[i].len,
                             NULL, flags, &a);
    if (lat)
      lat[i - from] = now_s() - s;
    if (rc != DEDUP_OK && rc != DEDUP_EEMPTY && rc != DEDUP_EBINARY)
      check(rc, "index add");
  }
  return now_s() - t0;
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The story id of every document, by position (no document is replaced
 * or removed here, so positions hold). */
static uint64_t *story_ids(const dedup_index *ix, size_t n) {
  uint64_t *v = xmalloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) {
    dedup_index_doc_info d;
    check(dedup_index_doc(ix, i, &d), "index doc");
    v[i] = d.story_id;
  }
  return v;
}

static void stage_index(const opts *o, const pack *pk) {
  size_t need = o->n + o->n_new + o->adds + o->queries;
  if (pk->n < need)
    die("the pack has fewer than --n + --new + --adds + --queries "
        "documents");
  /* --build adds: one add each and no texts kept (the file a service
   * that never rebuilds saves); rebuild (the default): deferred adds, one
   * rebuild, texts kept. */
  int can_rebuild = !o->build || strcmp(o->build, "adds") != 0;
  dedup_run_options ro = DEDUP_RUN_OPTIONS_INIT;
  ro.threads = o->threads;

  /* Build: deferred adds and one rebuild (as a batch run), or adds. */
  dedup_index *ix;
  check(dedup_index_new(&ix, NULL, can_rebuild ? DEDUP_INDEX_KEEP_TEXTS : 0),
        "index new");
  double t0 = now_s();
  double build_add_s =
      add_range(ix, pk, 0, o->n, can_rebuild ? DEDUP_ADD_DEFER : 0, NULL);
  double rebuild_s = 0;
  if (can_rebuild) {
    double r0 = now_s();
    check(dedup_index_rebuild(ix, &ro), "index rebuild");
    rebuild_s = now_s() - r0;
  }
  double build_s = now_s() - t0;
  /* The service saves without texts: a kept-text index is only the way
   * rebuild() needs; the figure per document is the index's. */
  double s00 = now_s();
  check(dedup_index_save(ix, o->index), "index save");
  double save_full_s = now_s() - s00;
  long long bytes = file_size(o->index);
  printf("{\"stage\":\"build\",\"n\":%zu,\"how\":\"%s\",\"add_s\":%.3f,"
         "\"rebuild_s\":%.3f,\"build_s\":%.3f,\"docs_per_s\":%.1f,"
         "\"save_s\":%.3f,\"file_bytes\":%lld,\"bytes_per_doc\":%.1f,"
         "\"keeps_texts\":%d,\"peak_rss_mb\":%ld}\n",
         o->n, can_rebuild ? "defer+rebuild" : "one add each", build_add_s,
         rebuild_s, build_s, (double)o->n / build_s, save_full_s, bytes,
         bytes > 0 ? (double)bytes / (double)o->n : -1.0,
         dedup_index_keeps_texts(ix), peak_rss_mb());
  fflush(stdout);

  /* The service's step from cold: open, add the next n_new, save (to
   * its own file: the journal); --runs times from the same file (the
   * journal removed after each, so each run starts alike). */
  size_t n0 = dedup_index_doc_count(ix);
  uint64_t *before = story_ids(ix, n0);
  double *open_s = xmalloc(o->runs * sizeof *open_s);
  double *add_s = xmalloc(o->runs * sizeof *add_s);
  double *save_s = xmalloc(o->runs * sizeof *save_s);
  double *step_s = xmalloc(o->runs * sizeof *step_s);
  size_t unchanged = 0, unchanged_resolved = 0;
  char *journal = xmalloc(strlen(o->index) + 16);
  sprintf(journal, "%s.journal", o->index);
  long long journal_bytes = 0;
  unsigned runs = o->runs;
  for (unsigned r = 0; r < runs; r++) {
    dedup_index *sx = ix;
    double s0 = now_s();
    if (r == 0) {
      dedup_index_free(ix); /* releases the lock; memory back */
      ix = NULL;
    }
    check(dedup_index_open(&sx, o->index, 0), "index open");
    double s1 = now_s();
    add_range(sx, pk, o->n, o->n + o->n_new, 0, NULL);
    double s2 = now_s();
    check(dedup_index_save(sx, NULL), "index save");
    double s3 = now_s();
    journal_bytes = file_size(journal);
    open_s[r] = s1 - s0;
    add_s[r] = s2 - s1;
    save_s[r] = s3 - s2;
    step_s[r] = s3 - s0;
    if (r == runs - 1) {
      uint64_t *after = story_ids(sx, n0);
      for (size_t i = 0; i < n0; i++) {
        unchanged += after[i] == before[i];
        uint64_t cur = before[i];
        if (before[i] &&
            dedup_index_resolve(sx, DEDUP_LEVEL_STORY, before[i], &cur) !=
                DEDUP_OK)
          cur = 0;
        unchanged_resolved += after[i] == cur;
      }
      free(after);
      ix = sx;
    } else {
      dedup_index_free(sx);
      unlink(journal);
    }
  }
  printf("{\"stage\":\"step\",\"n\":%zu,\"new\":%zu,\"runs\":%u,"
         "\"file\":%d,\"open_s\":%.4f,\"add_s\":%.4f,\"save_s\":%.4f,"
         "\"step_s\":%.4f,\"journal_bytes\":%lld,\"story_unchanged\":%zu,"
         "\"old_docs\":%zu,\"story_unchanged_share\":%.6f,"
         "\"story_unchanged_after_resolve_share\":%.6f}\n",
         o->n, o->n_new, runs, 1, median(open_s, runs),
         median(add_s, runs), median(save_s, runs), median(step_s, runs),
         journal_bytes, unchanged, n0,
         n0 ? (double)unchanged / (double)n0 : 1.0,
         n0 ? (double)unchanged_resolved / (double)n0 : 1.0);
  fflush(stdout);
  free(before);

  /* The service's step on a loaded index (a process that keeps it
   * open): add n_new, save (the journal appended and synced); --runs
   * times with the next n_new each: the last of the pack's documents
   * (the queries take those before them), before the stream's adds so
   * that the journal holds only the steps'. */
  size_t hot = o->n_new * runs <= o->queries ? runs : 0;
  size_t hot_from = o->n + o->n_new + o->adds + o->queries - hot * o->n_new;
  for (unsigned r = 0; r < hot; r++) {
    size_t at = hot_from + (size_t)r * o->n_new;
    double s0 = now_s();
    add_range(ix, pk, at, at + o->n_new, 0, NULL);
    double s1 = now_s();
    check(dedup_index_save(ix, NULL), "index save");
    double s2 = now_s();
    add_s[r] = s1 - s0;
    save_s[r] = s2 - s1;
    step_s[r] = s2 - s0;
  }
  if (hot)
    printf("{\"stage\":\"hot-step\",\"n\":%zu,\"new\":%zu,\"runs\":%zu,"
           "\"add_s\":%.4f,\"save_s\":%.4f,\"step_s\":%.4f,"
           "\"journal_bytes\":%lld}\n",
           o->n, o->n_new, hot, median(add_s, hot), median(save_s, hot),
           median(step_s, hot), file_size(journal));
  free(journal);

  /* Streaming: adds one at a time (each timed), then queries. */
  size_t from = o->n + o->n_new;
  size_t many = o->many < o->adds ? o->many : o->adds, lone = o->adds - many;
  double *lat = xmalloc((o->adds + o->queries + 1) * sizeof *lat);
  double adds_s = add_range(ix, pk, from, from + lone, 0, lat);
  double a50 = quantile(lat, lone, 0.50);
  double a99 = quantile(lat, lone, 0.99);
  double amax = lone ? lat[lone - 1] : 0;
  from += lone;
  /* The rest in batches, as a service that takes articles in batches
   * adds them: the same result as lone adds, signed on --threads. */
  double many_s = 0;
  if (many) {
    size_t bsz = o->batch ? o->batch : 500;
    const char **ids = xmalloc(bsz * sizeof *ids);
    const char **texts = xmalloc(bsz * sizeof *texts);
    size_t *lens = xmalloc(bsz * sizeof *lens);
    int *st = xmalloc(bsz * sizeof *st);
    double m0 = now_s();
    for (size_t at = from; at < from + many; at += bsz) {
      size_t k = from + many - at < bsz ? from + many - at : bsz;
      for (size_t i = 0; i < k; i++) {
        ids[i] = pk->d[at + i].name;
        texts[i] = pk->d[at + i].text;
        lens[i] = pk->d[at + i].len;
      }
      check(dedup_index_add_many(ix, k, ids, texts, lens, NULL, 0,
                                 o->threads, NULL, st),
            "index add_many");
      for (size_t i = 0; i < k; i++)
        if (st[i] != DEDUP_OK && st[i] != DEDUP_EEMPTY &&
            st[i] != DEDUP_EBINARY)
          check(st[i], "index add_many");
    }
    many_s = now_s() - m0;
    free(ids);
    free(texts);
    free(lens);
    free(st);
    from += many;
  }
  dedup_assignment a;
  memset(&a, 0, sizeof a);
  a.version = DEDUP_ASSIGNMENT_VERSION;
  size_t joined = 0;
  double q0 = now_s();
  size_t n_queries = o->queries - hot * o->n_new;
  for (size_t i = 0; i < n_queries; i++) {
    double s = now_s();
    int rc = dedup_index_query(ix, pk->d[from + i].text, pk->d[from + i].len,
                               NULL, &a);
    lat[i] = now_s() - s;
    if (rc != DEDUP_OK && rc != DEDUP_EEMPTY && rc != DEDUP_EBINARY)
      check(rc, "index query");
    joined += rc == DEDUP_OK && a.copy_joined;
  }
  double queries_s = now_s() - q0;
  double qs50 = quantile(lat, n_queries, 0.50);
  double qs99 = quantile(lat, n_queries, 0.99);
  if (many)
    printf("{\"stage\":\"stream-many\",\"n\":%zu,\"adds\":%zu,"
           "\"batch\":%zu,\"threads\":%u,\"adds_s\":%.3f,"
           "\"add_docs_per_s\":%.1f}\n",
           o->n, many, o->batch ? o->batch : 500, o->threads, many_s,
           (double)many / many_s);
  printf("{\"stage\":\"stream\",\"n\":%zu,\"adds\":%zu,\"adds_s\":%.3f,"
         "\"add_docs_per_s\":%.1f,\"add_p50_ms\":%.3f,\"add_p99_ms\":%.3f,"
         "\"add_max_ms\":%.3f,\"queries\":%zu,\"queries_s\":%.3f,"
         "\"query_p50_ms\":%.3f,\"query_p99_ms\":%.3f,"
         "\"queries_joining_a_copy\":%zu,\"docs\":%zu,\"merges\":%zu,"
         "\"peak_rss_mb\":%ld}\n",
         o->n, lone, adds_s, lone ? (double)lone / adds_s : 0,
         a50 * 1e3, a99 * 1e3, amax * 1e3, n_queries, queries_s,
         qs50 * 1e3, qs99 * 1e3, joined, dedup_index_doc_count(ix),
         dedup_index_merge_count(ix), peak_rss_mb());
  fflush(stdout);
  free(lat);
  free(open_s);
  free(add_s);
  free(save_s);
  free(step_s);
  dedup_index_free(ix);
}

static void usage(void) {
  fputs("usage: dedup-service-bench --pack P --stage batch|index --n N\n"
        "         [--index FILE] [--new 10] [--adds 10000] [--queries 1000]\n"
        "         [--many 0] [--batch 500]\n"
        "         [--runs 3] [--threads 0] [--build rebuild|adds]\n",
        stderr);
  exit(2);
}

static size_t num(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s)
    usage();
  return (size_t)v;
}

int main(int argc, char **argv) {
  opts o = {NULL, NULL, NULL, NULL, 0, 10, 10000, 1000, 0, 500, 3, 0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc)
      usage();
    const char *v = argv[++i];
    if (!strcmp(a, "--pack"))
      o.pack = v;
    else if (!strcmp(a, "--stage"))
      o.stage = v;
    else if (!strcmp(a, "--index"))
      o.index = v;
    else if (!strcmp(a, "--build"))
      o.build = v;
    else if (!strcmp(a, "--n"))
      o.n = num(v);
    else if (!strcmp(a, "--new"))
      o.n_new = num(v);
    else if (!strcmp(a, "--adds"))
      o.adds = num(v);
    else if (!strcmp(a, "--many"))
      o.many = num(v);
    else if (!strcmp(a, "--batch"))
      o.batch = num(v);
    else if (!strcmp(a, "--queries"))
      o.queries = num(v);
    else if (!strcmp(a, "--runs"))
      o.runs = (unsigned)num(v);
    else if (!strcmp(a, "--threads"))
      o.threads = (unsigned)num(v);
    else
      usage();
  }
  if (!o.pack || !o.stage || !o.n || !o.runs)
    usage();
  pack pk;
  if (!strcmp(o.stage, "batch")) {
    read_pack(&pk, o.pack, o.n);
    stage_batch(&o, &pk);
  } else if (!strcmp(o.stage, "index")) {
    if (!o.index)
      usage();
    read_pack(&pk, o.pack, o.n + o.n_new + o.adds + o.queries);
    stage_index(&o, &pk);
  } else {
    usage();
  }
  free(pk.buf);
  free(pk.d);
  return 0;
}
