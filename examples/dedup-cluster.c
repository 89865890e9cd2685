/* dedup-cluster - files in, clusters out: a thin CLI over libdedup.
 *
 * Exit status: 0 done (files that are empty or binary are skipped with a
 * warning: there is nothing to cluster in them); 1 some paths could not be
 * read (missing, unreadable, a directory without -r, too large) - the rest
 * were clustered; 2 usage error; 3 failure (out of memory). */
#define _POSIX_C_SOURCE 200809L
#include "dedup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { EXIT_DONE = 0, EXIT_UNREADABLE = 1, EXIT_USAGE = 2, EXIT_FAIL = 3 };
enum { FMT_TEXT, FMT_TSV, FMT_JSON };

static const char usage[] =
    "Usage: dedup-cluster [OPTIONS] FILE...\n"
    "Groups text files that tell the same story (default) or are\n"
    "near-verbatim copies (--level copy).  FILE '-' reads a list of paths,\n"
    "one per line, from standard input.\n"
    "\n"
    "Output:\n"
    "  --format text|tsv|json  text: one line per cluster of 2+ files,\n"
    "                          paths separated by spaces (default);\n"
    "                          tsv: cluster_id<TAB>path per item;\n"
    "                          json: one object per cluster per line\n"
    "  --all                   also list clusters of one file\n"
    "  --level story|copy      which clusters to list (default story)\n"
    "  --split-embedded        list articles embedded below a page's main\n"
    "                          story as items of their own (FILE#2, ...)\n"
    "Matching:\n"
    "  --threshold T           copy level: min similarity, 0<T<=1\n"
    "                          (default 0.5 est. Jaccard; simhash 0.9)\n"
    "  --story-threshold T     story level: min average cosine (0.23)\n"
    "  --method minhash|simhash  copy-level signatures (minhash)\n"
    "  --shingle K             words per shingle (5)\n"
    "  --perms K               MinHash signature length (128)\n"
    "  --classic               classic K-hash MinHash instead of OPH\n"
    "  --no-clean              compare whole files (no chrome removal)\n"
    "  --seed N                hash seed (0)\n"
    "Input and running:\n"
    "  -r, --recursive         walk directories given as FILE\n"
    "  --threads N             worker threads (default: all cores)\n"
    "  -q, --quiet             no warnings about skipped files\n"
    "  -h, --help              this help;  --version  the version\n"
    "\n"
    "Exit status: 0 done (empty or binary files are skipped with a\n"
    "warning); 1 some paths could not be read, the rest were clustered;\n"
    "2 usage error; 3 failure (out of memory).\n";

typedef struct opts {
  dedup_params p;
  int format, all, quiet, recursive;
  dedup_level level;
} opts;

typedef struct run {
  opts o;
  dedup_corpus *c;
  int status;
  size_t added;
} run;

static void warn(const run *r, const char *path, const char *msg) {
  if (!r->o.quiet)
    fprintf(stderr, "dedup-cluster: %s: %s\n", path, msg);
}

static int read_file(const char *path, char **buf, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  while (b) {
    if (n == cap) {
      if (cap > ((size_t)1 << 31)) { /* the library's limit is 2^31 */
        free(b);
        fclose(f);
        errno = EFBIG;
        return -1;
      }
      char *nb = realloc(b, cap *= 2);
      if (!nb)
        break;
      b = nb;
    }
    size_t got = fread(b + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  int err = ferror(f) || !b;
  fclose(f);
  if (err) {
    free(b);
    errno = b ? EIO : ENOMEM;
    return -1;
  }
  *buf = b;
  *len = n;
  return 0;
}

static void add_path(run *r, const char *path);

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(run *r, const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    warn(r, path, strerror(errno));
    r->status = EXIT_UNREADABLE;
    return;
  }
  /* Sorted, so messages come in a stable order; results are sorted by the
   * library anyway. */
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn)
        break;
      names = nn;
    }
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    if (!names[n])
      break;
    snprintf(names[n], len, "%s/%s", path, e->d_name);
    n++;
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    add_path(r, names[i]);
    free(names[i]);
  }
  free(names);
}

static void add_path(run *r, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    warn(r, path, strerror(errno));
    r->status = EXIT_UNREADABLE;
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    if (r->o.recursive) {
      add_dir(r, path);
    } else {
      warn(r, path, "is a directory (use -r to walk it)");
      r->status = EXIT_UNREADABLE;
    }
    return;
  }
  char *buf;
  size_t len;
  if (read_file(path, &buf, &len) != 0) {
    warn(r, path, strerror(errno));
    r->status = EXIT_UNREADABLE;
    return;
  }
  size_t invalid = 0;
  int rc = dedup_corpus_add(r->c, path, buf, len, &invalid);
  free(buf);
  switch (rc) {
  case DEDUP_OK:
    r->added++;
    if (invalid && !r->o.quiet)
      fprintf(stderr,
              "dedup-cluster: %s: %zu invalid UTF-8 sequences replaced\n",
              path, invalid);
    break;
  case DEDUP_EEMPTY:
    warn(r, path, len ? "no words, skipped" : "empty file, skipped");
    break;
  case DEDUP_EBINARY:
    warn(r, path, "binary data, not text; skipped");
    break;
  case DEDUP_ETOOBIG:
    warn(r, path, dedup_strerror(rc));
    r->status = EXIT_UNREADABLE;
    break;
  default:
    fprintf(stderr, "dedup-cluster: %s: %s\n", path, dedup_strerror(rc));
    exit(EXIT_FAIL);
  }
}

/* Paths from a stream, one per line (a list of 100,000 files is fine). */
static void add_list(run *r, FILE *in) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, in)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    if (n > 0)
      add_path(r, line);
  }
  free(line);
}

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      printf("\\%c", ch);
    else if (ch < 0x20)
      printf("\\u%04x", ch);
    else
      putchar(ch);
  }
  putchar('"');
}

static void print_members(const dedup_corpus *c, const size_t *m, size_t n,
                          char sep) {
  for (size_t i = 0; i < n; i++) {
    if (i)
      putchar(sep);
    fputs(dedup_corpus_item_name(c, m[i]), stdout);
  }
}

static void print_json_cluster(const dedup_corpus *c, dedup_level level,
                               size_t k) {
  size_t n;
  const size_t *m = dedup_corpus_cluster_members(c, level, k, &n);
  printf("{\"cluster\":%zu,\"level\":\"%s\",\"size\":%zu,\"members\":[", k,
         level == DEDUP_LEVEL_STORY ? "story" : "copy", n);
  for (size_t i = 0; i < n; i++) {
    if (i)
      putchar(',');
    json_str(dedup_corpus_item_name(c, m[i]));
  }
  printf("]");
  if (level == DEDUP_LEVEL_STORY) {
    /* The copy groups inside the story, in order of first member. */
    printf(",\"copy_groups\":[");
    int first = 1;
    for (size_t i = 0; i < n; i++) {
      size_t g = dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, m[i]);
      size_t gn;
      const size_t *gm = dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY, g,
                                                      &gn);
      if (gm[0] != m[i])
        continue; /* listed at its first member */
      printf(first ? "[" : ",[");
      first = 0;
      for (size_t j = 0; j < gn; j++) {
        if (j)
          putchar(',');
        json_str(dedup_corpus_item_name(c, gm[j]));
      }
      putchar(']');
    }
    putchar(']');
  }
  printf(",\"links\":[");
  int first = 1;
  size_t nl = dedup_corpus_link_count(c, level);
  for (size_t i = 0; i < nl; i++) {
    size_t a, b;
    double s;
    dedup_corpus_link(c, level, i, &a, &b, &s);
    if (dedup_corpus_cluster_of(c, level, a) != k)
      continue;
    printf(first ? "{\"a\":" : ",{\"a\":");
    first = 0;
    json_str(dedup_corpus_item_name(c, a));
    printf(",\"b\":");
    json_str(dedup_corpus_item_name(c, b));
    printf(",\"similarity\":%.4f}", s);
  }
  printf("]}\n");
}

static void print_results(const run *r) {
  const dedup_corpus *c = r->c;
  dedup_level level = r->o.level;
  size_t nc = dedup_corpus_cluster_count(c, level);
  for (size_t k = 0; k < nc; k++) {
    size_t n;
    const size_t *m = dedup_corpus_cluster_members(c, level, k, &n);
    if (n < 2 && !r->o.all)
      continue;
    switch (r->o.format) {
    case FMT_TEXT:
      print_members(c, m, n, ' ');
      putchar('\n');
      break;
    case FMT_TSV:
      for (size_t i = 0; i < n; i++)
        printf("%zu\t%s\n", k, dedup_corpus_item_name(c, m[i]));
      break;
    default:
      print_json_cluster(c, level, k);
    }
  }
}

static int parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v > 0 && v <= 1))
    return -1;
  *out = v;
  return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v > max)
    return -1;
  *out = (unsigned)v;
  return 0;
}

static void die_usage(const char *msg, const char *arg) {
  fprintf(stderr, "dedup-cluster: %s%s%s\n", msg, arg ? ": " : "",
          arg ? arg : "");
  fprintf(stderr, "Try 'dedup-cluster --help'.\n");
  exit(EXIT_USAGE);
}

int main(int argc, char **argv) {
  run r = {0};
  dedup_params_init(&r.o.p);
  r.o.level = DEDUP_LEVEL_STORY;
  int first_file = argc, stdin_list = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                           \
  do {                                                                         \
    if (!v)                                                                    \
      die_usage("option needs a value", a);                                    \
    i++;                                                                       \
  } while (0)
    if (!strcmp(a, "--")) {
      first_file = i + 1;
      break;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      return EXIT_DONE;
    } else if (!strcmp(a, "--version")) {
      printf("dedup-cluster %s\n", dedup_version_string());
      return EXIT_DONE;
    } else if (!strcmp(a, "--format")) {
      NEED_VALUE();
      if (!strcmp(v, "text"))
        r.o.format = FMT_TEXT;
      else if (!strcmp(v, "tsv"))
        r.o.format = FMT_TSV;
      else if (!strcmp(v, "json"))
        r.o.format = FMT_JSON;
      else
        die_usage("unknown format", v);
    } else if (!strcmp(a, "--level")) {
      NEED_VALUE();
      if (!strcmp(v, "story"))
        r.o.level = DEDUP_LEVEL_STORY;
      else if (!strcmp(v, "copy"))
        r.o.level = DEDUP_LEVEL_COPY;
      else
        die_usage("unknown level", v);
    } else if (!strcmp(a, "--method")) {
      NEED_VALUE();
      if (!strcmp(v, "minhash"))
        r.o.p.method = DEDUP_METHOD_MINHASH;
      else if (!strcmp(v, "simhash"))
        r.o.p.method = DEDUP_METHOD_SIMHASH;
      else
        die_usage("unknown method", v);
    } else if (!strcmp(a, "--threshold")) {
      NEED_VALUE();
      if (parse_double(v, &r.o.p.threshold))
        die_usage("threshold must be in (0, 1]", v);
    } else if (!strcmp(a, "--story-threshold")) {
      NEED_VALUE();
      if (parse_double(v, &r.o.p.story_threshold))
        die_usage("story threshold must be in (0, 1]", v);
    } else if (!strcmp(a, "--shingle")) {
      NEED_VALUE();
      if (parse_uint(v, 64, &r.o.p.shingle_k) || !r.o.p.shingle_k)
        die_usage("shingle size must be 1..64", v);
    } else if (!strcmp(a, "--perms")) {
      NEED_VALUE();
      if (parse_uint(v, 4096, &r.o.p.num_perm) || !r.o.p.num_perm)
        die_usage("perms must be 1..4096", v);
    } else if (!strcmp(a, "--threads")) {
      NEED_VALUE();
      if (parse_uint(v, 1024, &r.o.p.threads))
        die_usage("threads must be 0..1024", v);
    } else if (!strcmp(a, "--seed")) {
      NEED_VALUE();
      char *end;
      errno = 0;
      r.o.p.seed = strtoull(v, &end, 0);
      if (errno || end == v || *end)
        die_usage("bad seed", v);
    } else if (!strcmp(a, "--classic")) {
      r.o.p.minhash_kind = DEDUP_MINHASH_CLASSIC;
    } else if (!strcmp(a, "--no-clean")) {
      r.o.p.flags |= DEDUP_F_NO_CLEAN;
    } else if (!strcmp(a, "--split-embedded")) {
      r.o.p.flags |= DEDUP_F_SPLIT_EMBEDDED;
    } else if (!strcmp(a, "--all")) {
      r.o.all = 1;
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
      r.o.quiet = 1;
    } else if (!strcmp(a, "-r") || !strcmp(a, "--recursive")) {
      r.o.recursive = 1;
    } else if (a[0] == '-' && a[1] == '-') {
      die_usage("unknown option", a);
    } else if (a[0] == '-' && a[1] != '\0') {
      die_usage("unknown option", a);
    } else {
      first_file = i;
      break;
    }
#undef NEED_VALUE
  }
  if (first_file >= argc)
    die_usage("no input files", NULL);
  if (r.o.level == DEDUP_LEVEL_COPY)
    r.o.p.flags |= DEDUP_F_COPY_ONLY;

  int rc = dedup_corpus_new(&r.c, &r.o.p);
  if (rc != DEDUP_OK) {
    fprintf(stderr, "dedup-cluster: %s\n", dedup_strerror(rc));
    return rc == DEDUP_EINVAL ? EXIT_USAGE : EXIT_FAIL;
  }
  for (int i = first_file; i < argc; i++) {
    if (!strcmp(argv[i], "-")) {
      if (!stdin_list++)
        add_list(&r, stdin);
    } else {
      add_path(&r, argv[i]);
    }
  }
  rc = dedup_corpus_run(r.c);
  if (rc != DEDUP_OK) {
    fprintf(stderr, "dedup-cluster: %s\n", dedup_strerror(rc));
    dedup_corpus_free(r.c);
    return EXIT_FAIL;
  }
  print_results(&r);
  dedup_corpus_free(r.c);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "dedup-cluster: write error: %s\n", strerror(errno));
    return EXIT_FAIL;
  }
  return r.status;
}
