/*
 * bench.c - dedup-bench: throughput of each libdedup stage over a pack made
 * by dedup-gen (with the public LSH index, verification and union-find
 * over it), end-to-end copy clustering scored against the truth by
 * dedup_eval_scores, and a floor (read + XXH3 of the same bytes).  Every
 * algorithm timed or used is the library's; this program only reads the
 * pack and the truth, times, and prints.
 *
 *   dedup-bench --pack /tmp/c.pack --truth /tmp/truth.tsv [--runs 3]
 *               [--threads N] [--table]
 *
 * One JSON object per line on stdout, a table on stderr.  Every timed stage
 * runs --runs times and reports the median.  Uses only the public API
 * (dedup.h), plus xxhash for the floor and for its own hash maps.
 *
 * MB is 10^6 bytes; rates are input bytes (the raw documents) per second.
 */
/* MAP_ANONYMOUS is not in POSIX 2008; glibc shows it with this. */
#define _DEFAULT_SOURCE 1

#include "dedup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define MAX_RUNS 64

/* ------------------------------------------------------------------------ */
/* Utilities                                                                 */

static void die(const char *msg) {
  fprintf(stderr, "dedup-bench: %s\n", msg);
  exit(1);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    die("out of memory");
  return p;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    die("out of memory");
  return p;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(const double *v, int n) {
  double t[MAX_RUNS];
  memcpy(t, v, (size_t)n * sizeof *t);
  qsort(t, (size_t)n, sizeof *t, cmp_dbl);
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* ------------------------------------------------------------------------ */
/* Memory figures                                                            */

/* Peak resident set of the whole process so far (KB). */
static long maxrss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static long proc_status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ':') {
      v = strtol(line + kl + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

/* Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current
 * resident set, so each stage gets a peak of its own; getrusage's
 * ru_maxrss cannot be reset. */
static int reset_peak(void) {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0)
    return 0;
  int ok = write(fd, "5", 1) == 1;
  close(fd);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* String -> index map (open addressing, keys borrowed)                      */

typedef struct strmap {
  const char **key;
  uint32_t *val;
  size_t cap, n;
} strmap;

static void strmap_init(strmap *m, size_t expect) {
  m->cap = 16;
  while (m->cap < expect * 2)
    m->cap *= 2;
  m->key = xcalloc(m->cap, sizeof *m->key);
  m->val = xcalloc(m->cap, sizeof *m->val);
  m->n = 0;
}

static void strmap_free(strmap *m) {
  free(m->key);
  free(m->val);
}

/* Returns the slot of key (its key is NULL when absent). */
static size_t strmap_slot(const strmap *m, const char *key) {
  size_t h = (size_t)XXH3_64bits(key, strlen(key));
  for (;; h++) {
    size_t i = h & (m->cap - 1);
    if (!m->key[i] || !strcmp(m->key[i], key))
      return i;
  }
}

/* Value of key, inserting it with value `fresh` when absent. */
static uint32_t strmap_get_or_add(strmap *m, const char *key, uint32_t fresh,
                                  int *added) {
  if ((m->n + 1) * 2 > m->cap) {
    strmap old = *m;
    strmap_init(m, old.cap);
    for (size_t i = 0; i < old.cap; i++)
      if (old.key[i]) {
        size_t s = strmap_slot(m, old.key[i]);
        m->key[s] = old.key[i];
        m->val[s] = old.val[i];
        m->n++;
      }
    strmap_free(&old);
  }
  size_t s = strmap_slot(m, key);
  *added = m->key[s] == NULL;
  if (*added) {
    m->key[s] = key;
    m->val[s] = fresh;
    m->n++;
  }
  return m->val[s];
}

/* ------------------------------------------------------------------------ */
/* The pack                                                                  */

typedef struct doc {
  const char *name;
  const char *text; /* in buf while the pack is in memory, else NULL */
  uint64_t off;     /* where the text starts in the file */
  size_t len;
} doc;

typedef struct pack {
  char *buf;      /* the whole file, for the per-core stages only */
  size_t size;
  doc *d;
  size_t n;
  uint64_t bytes; /* sum of document lengths */
  char *names;    /* the documents' names, NUL-terminated */
} pack;

static char *read_all(const char *path, size_t *size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "dedup-bench: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  struct stat st;
  if (fstat(fd, &st) != 0)
    die("fstat failed");
  size_t n = (size_t)st.st_size;
  char *p = xmalloc(n + 1);
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got < (1u << 30) ? n - got : 1u << 30);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      die("read failed");
    got += (size_t)r;
  }
  close(fd);
  p[n] = '\0';
  *size = n;
  return p;
}

static int open_pack(const char *path, size_t *size) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    fprintf(stderr, "dedup-bench: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  *size = (size_t)st.st_size;
  return fd;
}

static void read_into(int fd, char *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t want_n = n - got < (1u << 30) ? n - got : 1u << 30;
    ssize_t r = pread(fd, p + got, want_n, (off_t)got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      die("read failed");
    got += (size_t)r;
  }
  p[n] = '\0';
}

/* Anonymous pages straight from mmap, not malloc: each read run starts from
 * untouched memory, whatever malloc's mmap threshold did with the last
 * buffer.  (First touches are what a fresh process pays, and on some VMs
 * they cost more than the copy.) */
static char *map_fresh(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED)
    die("out of memory (mmap)");
  return p;
}

/* A window on the file: the bytes of [off, off + n) are read (pread, from
 * the page cache after the first pass) into one reused buffer, so
 * streaming the pack costs the window's memory, not the file's. */
typedef struct window {
  int fd;
  size_t size; /* of the file */
  char *b;
  size_t cap;
  uint64_t w0; /* file offset of b[0] */
  size_t wn;   /* bytes of the file in b */
} window;

#define WINDOW_BYTES ((size_t)1 << 20) /* stays in cache */

static void window_init(window *w, int fd, size_t size) {
  memset(w, 0, sizeof *w);
  w->fd = fd;
  w->size = size;
  w->cap = WINDOW_BYTES;
  w->b = xmalloc(w->cap);
}

/* File bytes [off, off + n), n <= size - off. */
static const char *window_get(window *w, uint64_t off, size_t n) {
  if (off >= w->w0 && off + n <= w->w0 + w->wn)
    return w->b + (off - w->w0);
  if (n > w->cap) {
    free(w->b);
    w->cap = n;
    w->b = xmalloc(w->cap);
  }
  size_t want = w->size - off < w->cap ? w->size - off : w->cap;
  size_t got = 0;
  while (got < want) {
    ssize_t r = pread(w->fd, w->b + got, want - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      die("read failed");
    got += (size_t)r;
  }
  w->w0 = off;
  w->wn = want;
  return w->b;
}

static void window_free(window *w) { free(w->b); }

/* Indexes "#DOC <name> <nbytes>\n<text>" records, streaming the file:
 * offsets of the texts, names copied (NUL-terminated) into pk->names. */
static void parse_pack(pack *pk, int fd, size_t max_docs) {
  size_t cap = 1024, ncap = 1 << 16, nn = 0;
  size_t *name_at = xmalloc(cap * sizeof *name_at);
  pk->d = xmalloc(cap * sizeof *pk->d);
  pk->names = xmalloc(ncap);
  pk->n = 0;
  pk->bytes = 0;
  window w;
  window_init(&w, fd, pk->size);
  uint64_t p = 0, end = pk->size;
  while (p < end && (!max_docs || pk->n < max_docs)) {
    size_t hn = end - p < 4096 ? (size_t)(end - p) : 4096;
    const char *h = window_get(&w, p, hn);
    if (hn < 6 || memcmp(h, "#DOC ", 5) != 0)
      die("pack: record does not start with '#DOC '");
    const char *name = h + 5;
    const char *nl = memchr(name, '\n', hn - 5);
    if (!nl)
      die("pack: truncated header (or longer than 4096 bytes)");
    const char *sp = nl;
    while (sp > name && sp[-1] != ' ')
      sp--;
    if (sp == name || sp - 1 == name)
      die("pack: header without length");
    unsigned long long len = 0;
    for (const char *q = sp; q < nl; q++) {
      if (*q < '0' || *q > '9' || len > (1ULL << 40))
        die("pack: bad length in header");
      len = len * 10 + (unsigned long long)(*q - '0');
    }
    uint64_t text = p + (uint64_t)(nl + 1 - h);
    if (len > end - text)
      die("pack: truncated document");
    size_t name_len = (size_t)(sp - 1 - name);
    while (nn + name_len + 1 > ncap) {
      ncap *= 2;
      pk->names = realloc(pk->names, ncap);
      if (!pk->names)
        die("out of memory");
    }
    if (pk->n == cap) {
      cap *= 2;
      pk->d = realloc(pk->d, cap * sizeof *pk->d);
      name_at = realloc(name_at, cap * sizeof *name_at);
      if (!pk->d || !name_at)
        die("out of memory");
    }
    memcpy(pk->names + nn, name, name_len);
    pk->names[nn + name_len] = '\0';
    name_at[pk->n] = nn;
    nn += name_len + 1;
    pk->d[pk->n].text = NULL;
    pk->d[pk->n].off = text;
    pk->d[pk->n].len = (size_t)len;
    pk->bytes += len;
    pk->n++;
    p = text + len;
  }
  for (size_t i = 0; i < pk->n; i++)
    pk->d[i].name = pk->names + name_at[i];
  free(name_at);
  window_free(&w);
}

/* The texts point into the in-memory pack, or nowhere. */
static void point_texts(pack *pk) {
  for (size_t i = 0; i < pk->n; i++)
    pk->d[i].text = pk->buf ? pk->buf + pk->d[i].off : NULL;
}

/* ------------------------------------------------------------------------ */
/* Output                                                                    */

typedef struct opts {
  const char *pack, *truth, *stages;
  int runs, corpus_runs;
  unsigned threads, k, perm, flags;
  double threshold;
  uint64_t seed;
  size_t classic_docs, max_docs, batch;
  int table, quiet, story;
} opts;

typedef struct row {
  char stage[24];
  size_t n;
  uint64_t bytes;
  double sec, mb_s, docs_s;
  char note[96];
} row;

static row rows[32];
static int nrows;
static double floor_mb_s; /* XXH3 over the in-memory documents */
static char summary_line[192];

typedef struct jline {
  char b[2048];
  size_t n;
} jline;

static void jraw(jline *j, const char *s) {
  size_t l = strlen(s);
  if (j->n + l + 2 < sizeof j->b) {
    memcpy(j->b + j->n, s, l);
    j->n += l;
    j->b[j->n] = '\0';
  }
}

static void jkey(jline *j, const char *k) {
  jraw(j, j->n > 1 ? ",\"" : "\"");
  jraw(j, k);
  jraw(j, "\":");
}

static void jstr(jline *j, const char *k, const char *v) {
  jkey(j, k);
  jraw(j, "\"");
  for (const char *p = v; *p; p++) {
    char c[8];
    if (*p == '"' || *p == '\\')
      snprintf(c, sizeof c, "\\%c", *p);
    else if ((unsigned char)*p < 0x20)
      snprintf(c, sizeof c, "\\u%04x", (unsigned)(unsigned char)*p);
    else
      snprintf(c, sizeof c, "%c", *p);
    jraw(j, c);
  }
  jraw(j, "\"");
}

static void jnum(jline *j, const char *k, double v) {
  char t[64];
  snprintf(t, sizeof t, "%.6g", v);
  jkey(j, k);
  jraw(j, t);
}

static void jint(jline *j, const char *k, long long v) {
  char t[32];
  snprintf(t, sizeof t, "%lld", v);
  jkey(j, k);
  jraw(j, t);
}

static void jbegin(jline *j, const char *stage) {
  j->n = 0;
  j->b[0] = '\0';
  jraw(j, "{");
  jstr(j, "stage", stage);
}

static void jend(const opts *o, jline *j) {
  jraw(j, "}");
  if (!o->table) {
    fputs(j->b, stdout);
    fputc('\n', stdout);
    fflush(stdout);
  }
}

/* Common fields of a timed stage; adds a table row.  Returns the median. */
static double stage_line(const opts *o, jline *j, const char *stage,
                         size_t n, uint64_t bytes, const double *sec,
                         int runs, unsigned threads, long rss0,
                         int have_peak) {
  double med = median(sec, runs), mn = sec[0], mx = sec[0];
  for (int i = 1; i < runs; i++) {
    mn = sec[i] < mn ? sec[i] : mn;
    mx = sec[i] > mx ? sec[i] : mx;
  }
  double mb_s = med > 0 ? (double)bytes / 1e6 / med : 0;
  double docs_s = med > 0 ? (double)n / med : 0;
  jbegin(j, stage);
  jint(j, "n", (long long)n);
  jint(j, "bytes", (long long)bytes);
  jint(j, "runs", runs);
  jnum(j, "seconds_median", med);
  jnum(j, "seconds_min", mn);
  jnum(j, "seconds_max", mx);
  jnum(j, "mb_s", mb_s);
  jnum(j, "docs_s", docs_s);
  jint(j, "threads", threads);
  if (floor_mb_s > 0)
    jnum(j, "floor_ratio", mb_s / floor_mb_s);
  jint(j, "rss_before_kb", rss0);
  jint(j, "peak_rss_kb", have_peak ? proc_status_kb("VmHWM") : -1);
  jint(j, "maxrss_kb", maxrss_kb());
  if (nrows < (int)(sizeof rows / sizeof rows[0])) {
    row *r = &rows[nrows++];
    snprintf(r->stage, sizeof r->stage, "%s", stage);
    r->n = n;
    r->bytes = bytes;
    r->sec = med;
    r->mb_s = mb_s;
    r->docs_s = docs_s;
    r->note[0] = '\0';
  }
  return med;
}

static void note(const char *fmt_stage, const char *text) {
  for (int i = nrows - 1; i >= 0; i--)
    if (!strcmp(rows[i].stage, fmt_stage)) {
      snprintf(rows[i].note, sizeof rows[i].note, "%s", text);
      return;
    }
}

/* A stage that cannot run with these options (index and cluster when
 * dedup_lsh_new refuses the threshold, e.g. --threshold 1): said on both
 * outputs, the other stages still run. */
static void skip_stage(const opts *o, const char *stage, const char *why) {
  jline j;
  jbegin(&j, stage);
  jstr(&j, "skipped", why);
  jend(o, &j);
  fprintf(stderr, "dedup-bench: %s skipped: %s\n", stage, why);
}

static int want(const opts *o, const char *stage) {
  if (!o->stages)
    return 1;
  size_t l = strlen(stage);
  for (const char *p = o->stages; *p;) {
    const char *c = strchr(p, ',');
    size_t n = c ? (size_t)(c - p) : strlen(p);
    if (n == l && !memcmp(p, stage, l))
      return 1;
    p += n + (c != NULL);
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Stages                                                                    */

static void stage_floor(const opts *o, const pack *pk, double read_med,
                        int fd) {
  double sec[MAX_RUNS];
  uint64_t acc = 0;
  long rss0 = proc_status_kb("VmRSS");
  int peak = reset_peak();
  for (int r = 0; r < o->runs; r++) {
    uint64_t a = 0;
    double t0 = now_s();
    for (size_t i = 0; i < pk->n; i++)
      a ^= XXH3_64bits(pk->d[i].text, pk->d[i].len);
    sec[r] = now_s() - t0;
    acc = a; /* kept, so the loop is not optimised away */
  }
  double med = median(sec, o->runs);
  floor_mb_s = med > 0 ? (double)pk->bytes / 1e6 / med : 0;
  jline j;
  stage_line(o, &j, "floor_xxh3", pk->n, pk->bytes, sec, o->runs, 1, rss0,
             peak);
  char t[32];
  snprintf(t, sizeof t, "%016" PRIx64, acc);
  jstr(&j, "check", t);
  jend(o, &j);
  /* read + hash: what touching every byte once costs, from the file */
  double both[1] = {read_med + med};
  stage_line(o, &j, "floor", pk->n, pk->bytes, both, 1, 1, rss0, 0);
  jstr(&j, "note", "read + floor_xxh3 medians");
  jend(o, &j);

  /* the other way in: map the (page-cached) file and hash the documents
   * where they lie; no copy, no fresh anonymous memory */
  for (int r = 0; r < o->runs; r++) {
    double t0 = now_s();
    const char *m = mmap(NULL, pk->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
      die("mmap of the pack failed");
    uint64_t a = 0;
    for (size_t i = 0; i < pk->n; i++)
      a ^= XXH3_64bits(m + pk->d[i].off, pk->d[i].len);
    munmap((void *)(uintptr_t)m, pk->size);
    sec[r] = now_s() - t0;
    if (a != acc)
      die("floor_mmap: the mapped pack differs from the one read");
  }
  stage_line(o, &j, "floor_mmap", pk->n, pk->bytes, sec, o->runs, 1, rss0,
             0);
  jstr(&j, "note", "mmap the pack + XXH3 of every document");
  jend(o, &j);
}

static void stage_normalise(const opts *o, const pack *pk) {
  double sec[MAX_RUNS];
  uint64_t out_bytes = 0, invalid = 0;
  long rss0 = proc_status_kb("VmRSS");
  int peak = reset_peak();
  for (int r = 0; r < o->runs; r++) {
    out_bytes = invalid = 0;
    double t0 = now_s();
    for (size_t i = 0; i < pk->n; i++) {
      char *out;
      size_t olen, ninv;
      int st = dedup_normalise(&out, &olen, pk->d[i].text, pk->d[i].len,
                               &ninv);
      if (st != DEDUP_OK)
        die(dedup_strerror(st));
      out_bytes += olen;
      invalid += ninv;
      dedup_free(out);
    }
    sec[r] = now_s() - t0;
  }
  jline j;
  stage_line(o, &j, "normalise", pk->n, pk->bytes, sec, o->runs, 1, rss0,
             peak);
  jint(&j, "out_bytes", (long long)out_bytes);
  jint(&j, "invalid", (long long)invalid);
  jend(o, &j);
}

static void stage_shingle(const opts *o, const pack *pk) {
  double sec[MAX_RUNS];
  uint64_t total = 0;
  long rss0 = proc_status_kb("VmRSS");
  int peak = reset_peak();
  for (int r = 0; r < o->runs; r++) {
    total = 0;
    double t0 = now_s();
    for (size_t i = 0; i < pk->n; i++) {
      uint64_t *sh;
      size_t n;
      int st = dedup_shingles(&sh, &n, pk->d[i].text, pk->d[i].len, o->k,
                              o->seed);
      if (st != DEDUP_OK)
        die(dedup_strerror(st));
      total += n;
      dedup_free(sh);
    }
    sec[r] = now_s() - t0;
  }
  jline j;
  double med = stage_line(o, &j, "shingle", pk->n, pk->bytes, sec, o->runs,
                          1, rss0, peak);
  jint(&j, "shingles", (long long)total);
  jnum(&j, "shingles_s", med > 0 ? (double)total / med : 0);
  jend(o, &j);
}

/* Every document's signature, kept for the index and cluster stages. */
typedef struct sigset {
  uint64_t *sig;        /* n * perm words; document i at i * perm */
  unsigned char *empty; /* no shingles: not indexed, a singleton */
  size_t n;
  unsigned perm;
} sigset;

/* Signing alone: shingles of a batch of documents are made once (not
 * timed), then the batch is signed `runs` times; run r's time is the sum
 * over batches of their r-th signing.  Memory stays at one batch (plus
 * `keep`, when given: every signature, written by one more, untimed,
 * signing of each batch). */
static void stage_sign(const opts *o, const pack *pk, dedup_minhash_kind kind,
                       size_t ndocs, const char *stage, sigset *keep) {
  dedup_minhash *mh;
  int st = dedup_minhash_new(&mh, o->perm, kind);
  if (st != DEDUP_OK)
    die(dedup_strerror(st));
  uint64_t *sig = xmalloc(o->perm * sizeof *sig);
  uint64_t **sh = xmalloc(ndocs * sizeof *sh);
  size_t *nsh = xmalloc(ndocs * sizeof *nsh);
  double sec[MAX_RUNS] = {0};
  uint64_t bytes = 0, total = 0, acc = 0;
  long rss0 = proc_status_kb("VmRSS");
  int peak = reset_peak();
  for (size_t b0 = 0; b0 < ndocs;) {
    size_t b1 = b0, in_batch = 0;
    while (b1 < ndocs && (b1 == b0 || in_batch < o->batch)) {
      st = dedup_shingles(&sh[b1], &nsh[b1], pk->d[b1].text, pk->d[b1].len,
                          o->k, o->seed);
      if (st != DEDUP_OK)
        die(dedup_strerror(st));
      in_batch += nsh[b1];
      total += nsh[b1];
      bytes += pk->d[b1].len;
      b1++;
    }
    uint64_t first = 0;
    for (int r = 0; r < o->runs; r++) {
      uint64_t a = 0;
      double t0 = now_s();
      for (size_t i = b0; i < b1; i++) {
        dedup_minhash_reset(mh, o->seed);
        dedup_minhash_update(mh, sh[i], nsh[i]);
        dedup_minhash_digest(mh, sig);
        a ^= sig[i % o->perm];
      }
      sec[r] += now_s() - t0;
      if (r == 0)
        first = a;
      else if (a != first)
        die("signatures differ between runs");
    }
    acc ^= first;
    for (size_t i = b0; keep && i < b1; i++) {
      dedup_minhash_reset(mh, o->seed);
      dedup_minhash_update(mh, sh[i], nsh[i]);
      dedup_minhash_digest(mh, keep->sig + i * o->perm);
      keep->empty[i] = nsh[i] == 0;
    }
    for (size_t i = b0; i < b1; i++)
      dedup_free(sh[i]);
    b0 = b1;
  }
  jline j;
  double med = stage_line(o, &j, stage, ndocs, bytes, sec, o->runs, 1, rss0,
                          peak);
  jint(&j, "num_perm", o->perm);
  jint(&j, "shingles", (long long)total);
  jnum(&j, "shingles_s", med > 0 ? (double)total / med : 0);
  char t[32];
  snprintf(t, sizeof t, "%016" PRIx64, acc);
  jstr(&j, "check", t);
  jend(o, &j);
  if (ndocs < pk->n) {
    char nt[64];
    snprintf(nt, sizeof nt, "first %zu docs only", ndocs);
    note(stage, nt);
  }
  free(sig);
  free(sh);
  free(nsh);
  dedup_minhash_free(mh);
}

/* The signatures of stage_sign's `keep`, untimed, when that stage is not
 * run. */
static void sign_docs(const opts *o, const pack *pk, sigset *ss) {
  dedup_minhash *mh;
  int st = dedup_minhash_new(&mh, o->perm, DEDUP_MINHASH_OPH);
  if (st != DEDUP_OK)
    die(dedup_strerror(st));
  for (size_t i = 0; i < pk->n; i++) {
    uint64_t *sh;
    size_t n;
    st = dedup_shingles(&sh, &n, pk->d[i].text, pk->d[i].len, o->k,
                        o->seed);
    if (st != DEDUP_OK)
      die(dedup_strerror(st));
    dedup_minhash_reset(mh, o->seed);
    dedup_minhash_update(mh, sh, n);
    dedup_minhash_digest(mh, ss->sig + i * o->perm);
    ss->empty[i] = n == 0;
    dedup_free(sh);
  }
  dedup_minhash_free(mh);
}

/* Truth: the group of each document of the pack (read from the
 * name<TAB>group file; groups numbered 0.. as first met). */
#define NO_GROUP UINT32_MAX

typedef struct truth {
  uint32_t *doc_group; /* pk->n; NO_GROUP: the document is not in the file */
  uint32_t ngroups;
} truth;

static void load_truth(truth *t, const char *path, const pack *pk) {
  size_t size;
  char *buf = read_all(path, &size);
  strmap by_name, groups;
  strmap_init(&by_name, pk->n);
  strmap_init(&groups, pk->n / 2 + 16);
  t->ngroups = 0;
  for (char *p = buf; *p;) {
    char *nl = strchr(p, '\n');
    char *tab = strchr(p, '\t');
    if (nl)
      *nl = '\0';
    if (tab && (!nl || tab < nl)) {
      *tab = '\0';
      int added;
      uint32_t g = strmap_get_or_add(&groups, tab + 1, t->ngroups, &added);
      t->ngroups += (uint32_t)added;
      strmap_get_or_add(&by_name, p, g, &added);
    }
    if (!nl)
      break;
    p = nl + 1;
  }
  t->doc_group = xmalloc(pk->n * sizeof *t->doc_group);
  for (size_t i = 0; i < pk->n; i++) {
    size_t sl = strmap_slot(&by_name, pk->d[i].name);
    t->doc_group[i] = by_name.key[sl] ? by_name.val[sl] : NO_GROUP;
  }
  strmap_free(&groups);
  strmap_free(&by_name);
  free(buf);
}

static unsigned online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

typedef struct scores {
  dedup_scores s; /* pairwise and B-cubed, from dedup_eval_scores */
  uint64_t items, clusters, nonsingle, largest, groups_multi, exact, unknown;
} scores;

/* Scores of n items in nc clusters (pred[i] in 0..nc-1) against truth
 * labels tl[i] in 0..nt-1 (an item outside the truth has a label of its
 * own; `unknown` of them): P/R/F1 by dedup_eval_scores, then the counts
 * the library does not give - cluster sizes, and the truth groups with
 * copies found as a cluster exactly (all in one cluster that holds
 * nothing else). */
static void score_labels(scores *sc, const size_t *pred, size_t nc,
                         const size_t *tl, size_t nt, size_t n,
                         size_t unknown) {
  memset(sc, 0, sizeof *sc);
  int st = dedup_eval_scores(&sc->s, pred, tl, n);
  if (st != DEDUP_OK)
    die(dedup_strerror(st));
  size_t *psize = xcalloc(nc + 1, sizeof *psize);
  size_t *gsize = xcalloc(nt + 1, sizeof *gsize);
  size_t *gcl = xmalloc((nt + 1) * sizeof *gcl); /* a group's cluster */
  unsigned char *split = xcalloc(nt + 1, 1);
  for (size_t g = 0; g < nt; g++)
    gcl[g] = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    size_t g = tl[i];
    psize[pred[i]]++;
    gsize[g]++;
    if (gcl[g] == SIZE_MAX)
      gcl[g] = pred[i];
    else if (gcl[g] != pred[i])
      split[g] = 1;
  }
  for (size_t k = 0; k < nc; k++) {
    sc->largest = psize[k] > sc->largest ? psize[k] : sc->largest;
    sc->nonsingle += psize[k] > 1;
  }
  for (size_t g = 0; g < nt; g++)
    if (gsize[g] > 1) {
      sc->groups_multi++;
      sc->exact += !split[g] && psize[gcl[g]] == gsize[g];
    }
  sc->items = n;
  sc->clusters = nc;
  sc->unknown = unknown;
  free(psize);
  free(gsize);
  free(gcl);
  free(split);
}

/* Truth labels of the pack's documents; documents outside the truth get
 * labels of their own, counted in *unknown. */
static size_t *doc_truth_labels(const truth *t, size_t n, size_t *unknown) {
  size_t *tl = xmalloc(n * sizeof *tl);
  *unknown = 0;
  for (size_t i = 0; i < n; i++)
    tl[i] = t->doc_group[i] != NO_GROUP ? t->doc_group[i]
                                        : t->ngroups + (*unknown)++;
  return tl;
}

/* The corpus' copy clusters against the truth: each document of the pack
 * is found among the items by name (dedup_corpus_item_find; a name given
 * twice, its first item), items not found so (none, unless documents were
 * rejected) are outside the truth. */
static void score(scores *sc, const dedup_corpus *c, const pack *pk,
                  const truth *t) {
  size_t n = dedup_corpus_item_count(c);
  size_t nc = dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY);
  size_t *pred = xmalloc(n * sizeof *pred);
  size_t *tl = xmalloc(n * sizeof *tl);
  for (size_t i = 0; i < n; i++) {
    pred[i] = dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, i);
    tl[i] = SIZE_MAX;
  }
  for (size_t d = 0; d < pk->n; d++) {
    size_t item;
    if (t->doc_group[d] != NO_GROUP &&
        dedup_corpus_item_find(c, pk->d[d].name, &item) == DEDUP_OK &&
        tl[item] == SIZE_MAX)
      tl[item] = t->doc_group[d];
  }
  size_t unknown = 0;
  for (size_t i = 0; i < n; i++)
    if (tl[i] == SIZE_MAX)
      tl[i] = t->ngroups + unknown++;
  score_labels(sc, pred, nc, tl, t->ngroups + unknown, n, unknown);
  free(pred);
  free(tl);
}

static void put_scores(jline *j, const scores *sc) {
  jint(j, "items", (long long)sc->items);
  jint(j, "clusters", (long long)sc->clusters);
  jint(j, "clusters_nonsingleton", (long long)sc->nonsingle);
  jint(j, "largest_cluster", (long long)sc->largest);
  jint(j, "truth_pairs", (long long)sc->s.true_pairs);
  jint(j, "pred_pairs", (long long)sc->s.predicted_pairs);
  jint(j, "correct_pairs", (long long)sc->s.correct_pairs);
  jnum(j, "precision", sc->s.pair_precision);
  jnum(j, "recall", sc->s.pair_recall);
  jnum(j, "f1", sc->s.pair_f1);
  jnum(j, "bcubed_precision", sc->s.bcubed_precision);
  jnum(j, "bcubed_recall", sc->s.bcubed_recall);
  jnum(j, "bcubed_f1", sc->s.bcubed_f1);
  jint(j, "truth_groups_multi", (long long)sc->groups_multi);
  jint(j, "groups_exact", (long long)sc->exact);
  jint(j, "items_not_in_truth", (long long)sc->unknown);
}

/* When each phase of a run started (the progress callback): what the
 * phases take, the story level's apart from the rest. */
typedef struct phase_times {
  double at[DEDUP_PHASE_DONE + 1];
} phase_times;

static int phase_mark(void *ctx, dedup_phase ph) {
  phase_times *pt = ctx;
  if ((unsigned)ph <= DEDUP_PHASE_DONE)
    pt->at[ph] = now_s();
  return 0;
}

/* End to end, copy level: new + add all + run + read every cluster.  The
 * pack is streamed from the file through a window (the in-memory copy is
 * released before this stage), so the stage's memory is the library's
 * plus this program's index and truth, and its time includes reading the
 * file (from the page cache once the first run has been through it). */
static double stage_corpus(const opts *o, const pack *pk, const truth *t,
                           int fd) {
  dedup_params p = DEDUP_PARAMS_INIT;
  p.shingle_k = o->k;
  p.num_perm = o->perm;
  p.seed = o->seed;
  p.threshold = o->threshold;
  p.flags = o->flags;
  dedup_run_options ro = DEDUP_RUN_OPTIONS_INIT;
  ro.threads = o->threads;
  /* Copy level only unless --story: the copy figures stay comparable with
   * earlier runs, and the story level is timed on request. */
  ro.levels = o->story ? DEDUP_RUN_COPY | DEDUP_RUN_STORY : DEDUP_RUN_COPY;
  unsigned threads = o->threads ? o->threads : online_cpus();
  int runs = o->corpus_runs;
  double sec[MAX_RUNS], add_s[MAX_RUNS], run_s[MAX_RUNS], read_s[MAX_RUNS];
  double free_s[MAX_RUNS], cpu[MAX_RUNS];
  /* Phase p of run r: ph_s[p][r] seconds (the story level 0 when not
   * run). */
  double ph_s[DEDUP_PHASE_DONE][MAX_RUNS];
  phase_times pt;
  ro.progress = phase_mark;
  ro.progress_ctx = &pt;
  size_t rejected = 0, clusters = 0, touched = 0;
  scores sc;
  int scored = 0;
  window w;
  window_init(&w, fd, pk->size);
  long rss0 = proc_status_kb("VmRSS");
  int peak = reset_peak();
  for (int r = 0; r < runs; r++) {
    dedup_corpus *c;
    double c0 = cpu_s(), t0 = now_s();
    int st = dedup_corpus_new(&c, &p);
    if (st != DEDUP_OK)
      die(dedup_strerror(st));
    rejected = 0;
    for (size_t i = 0; i < pk->n; i++) {
      const char *text = window_get(&w, pk->d[i].off, pk->d[i].len);
      st = dedup_corpus_add(c, pk->d[i].name, text, pk->d[i].len, NULL);
      if (st == DEDUP_EEMPTY || st == DEDUP_EBINARY)
        rejected++;
      else if (st != DEDUP_OK)
        die(dedup_strerror(st));
    }
    double t1 = now_s();
    for (int ph = 0; ph <= DEDUP_PHASE_DONE; ph++)
      pt.at[ph] = 0;
    st = dedup_corpus_run_with(c, &ro);
    if (st != DEDUP_OK)
      die(dedup_strerror(st));
    double t2 = now_s();
    /* A skipped phase is not reported: it ends where the next starts. */
    for (int ph = DEDUP_PHASE_DONE - 1; ph >= 0; ph--)
      if (pt.at[ph] == 0)
        pt.at[ph] = pt.at[ph + 1];
    for (int ph = 0; ph < DEDUP_PHASE_DONE; ph++)
      ph_s[ph][r] = pt.at[ph + 1] - pt.at[ph];
    clusters = dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY);
    touched = 0;
    for (size_t k = 0; k < clusters; k++) {
      size_t m;
      const size_t *mem =
          dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY, k, &m);
      for (size_t i = 0; i < m; i++)
        touched += mem[i] < pk->n; /* read every member id */
    }
    double t3 = now_s();
    cpu[r] = cpu_s() - c0;
    add_s[r] = t1 - t0;
    run_s[r] = t2 - t1;
    read_s[r] = t3 - t2;
    sec[r] = t3 - t0;
    if (r == runs - 1 && t) {
      score(&sc, c, pk, t);
      scored = 1;
    }
    double t4 = now_s();
    dedup_corpus_free(c);
    free_s[r] = now_s() - t4;
  }
  window_free(&w);
  jline s;
  double med = stage_line(o, &s, "corpus", pk->n, pk->bytes, sec, runs,
                          threads, rss0, peak);
  jint(&s, "threads_requested", o->threads);
  jnum(&s, "add_s", median(add_s, runs));
  jnum(&s, "run_s", median(run_s, runs));
  jnum(&s, "read_clusters_s", median(read_s, runs));
  jnum(&s, "free_s", median(free_s, runs));
  jnum(&s, "cpu_s", median(cpu, runs));
  jnum(&s, "normalise_s", median(ph_s[DEDUP_PHASE_NORMALISE], runs));
  jnum(&s, "items_s", median(ph_s[DEDUP_PHASE_ITEMS], runs));
  jnum(&s, "copy_s", median(ph_s[DEDUP_PHASE_COPY], runs));
  jnum(&s, "story_s", median(ph_s[DEDUP_PHASE_STORY], runs));
  jnum(&s, "mb_s_per_thread",
       med > 0 ? (double)pk->bytes / 1e6 / med / threads : 0);
  jint(&s, "rejected", (long long)rejected);
  jint(&s, "members_read", (long long)touched);
  if (scored) {
    put_scores(&s, &sc);
    char summary[96];
    snprintf(summary, sizeof summary,
             "P=%.4f R=%.4f F1=%.4f exact %llu/%llu", sc.s.pair_precision,
             sc.s.pair_recall, sc.s.pair_f1, (unsigned long long)sc.exact,
             (unsigned long long)sc.groups_multi);
    note("corpus", summary);
  } else {
    jint(&s, "clusters", (long long)clusters);
  }
  jend(o, &s);
  return med;
}

/* ------------------------------------------------------------------------ */
/* The public building blocks: LSH index, verification, union-find           */

typedef struct pair32 {
  uint32_t a, b;
} pair32;

/* Candidate pairs a < b from the LSH index over sigset's signatures. */
typedef struct cands {
  pair32 *p;
  size_t n, cap;
  int have;
  unsigned bands, rows;
  double threshold;
  uint64_t returned; /* ids the queries gave, each document itself too */
} cands;

/* The corpus' threshold: 0 stands for the library default. */
static double copy_threshold(const opts *o) {
  return o->threshold > 0 ? o->threshold : 0.5;
}

/* A fresh index: every signature inserted, then every one queried, keeping
 * the ids above the query's own (each pair once).  Returns dedup_lsh_new's
 * status; times in *ins_s (new + inserts) and *qry_s. */
static int lsh_pairs(const sigset *ss, cands *c, double *ins_s,
                     double *qry_s) {
  dedup_lsh *l;
  double t0 = now_s();
  int st = dedup_lsh_new(&l, c->threshold, ss->perm);
  if (st != DEDUP_OK)
    return st;
  for (size_t i = 0; i < ss->n; i++)
    if (!ss->empty[i]) {
      st = dedup_lsh_insert(l, (uint32_t)i, ss->sig + i * ss->perm);
      if (st != DEDUP_OK)
        die(dedup_strerror(st));
    }
  double t1 = now_s();
  c->n = 0;
  c->returned = 0;
  for (size_t i = 0; i < ss->n; i++) {
    if (ss->empty[i])
      continue;
    uint32_t *ids;
    size_t m;
    st = dedup_lsh_query(l, ss->sig + i * ss->perm, &ids, &m);
    if (st != DEDUP_OK)
      die(dedup_strerror(st));
    c->returned += m;
    for (size_t j = 0; j < m; j++)
      if (ids[j] > i) {
        if (c->n == c->cap) {
          c->cap = c->cap ? 2 * c->cap : 4096;
          c->p = realloc(c->p, c->cap * sizeof *c->p);
          if (!c->p)
            die("out of memory");
        }
        c->p[c->n].a = (uint32_t)i;
        c->p[c->n].b = ids[j];
        c->n++;
      }
    dedup_free(ids);
  }
  double t2 = now_s();
  dedup_lsh_shape(l, &c->bands, &c->rows);
  dedup_lsh_free(l);
  *ins_s = t1 - t0;
  *qry_s = t2 - t1;
  c->have = 1;
  return DEDUP_OK;
}

/* index: dedup_lsh_new + insert of every signature + query of every one,
 * collecting the candidate pairs (the free is not timed). */
static void stage_index(const opts *o, const pack *pk, const sigset *ss,
                        cands *c) {
  c->threshold = copy_threshold(o);
  double sec[MAX_RUNS], ins[MAX_RUNS], qry[MAX_RUNS];
  size_t first = 0, indexed = 0;
  for (size_t i = 0; i < ss->n; i++)
    indexed += !ss->empty[i];
  long rss0 = proc_status_kb("VmRSS");
  int peak = reset_peak();
  for (int r = 0; r < o->runs; r++) {
    int st = lsh_pairs(ss, c, &ins[r], &qry[r]);
    if (st != DEDUP_OK) {
      char why[96];
      snprintf(why, sizeof why, "dedup_lsh_new(%g, %u): %s", c->threshold,
               ss->perm, dedup_strerror(st));
      c->have = 0;
      skip_stage(o, "index", why);
      return;
    }
    sec[r] = ins[r] + qry[r];
    if (r == 0)
      first = c->n;
    else if (c->n != first)
      die("candidate pairs differ between runs");
  }
  jline j;
  stage_line(o, &j, "index", pk->n, pk->bytes, sec, o->runs, 1, rss0, peak);
  jint(&j, "num_perm", ss->perm);
  jnum(&j, "threshold", c->threshold);
  jint(&j, "bands", c->bands);
  jint(&j, "rows", c->rows);
  jint(&j, "indexed", (long long)indexed);
  jnum(&j, "insert_s", median(ins, o->runs));
  jnum(&j, "query_s", median(qry, o->runs));
  jint(&j, "candidates_returned", (long long)c->returned);
  jint(&j, "candidate_pairs", (long long)c->n);
  jend(o, &j);
  char t[96];
  snprintf(t, sizeof t, "%zu candidate pairs (b=%u r=%u)", c->n, c->bands,
           c->rows);
  note("index", t);
}

/* cluster: from the candidate pairs to a cluster label per document:
 * dedup_minhash_jaccard of each pair, and dedup_components (union-find)
 * of those at or above the threshold.  Scored like the corpus stage. */
static void stage_cluster(const opts *o, const pack *pk, const sigset *ss,
                          cands *c, const truth *t) {
  if (!c->have) { /* the index stage was not run: its pairs, untimed */
    unsigned perm0 = ss->perm;
    c->threshold = copy_threshold(o);
    double a, b;
    int st = lsh_pairs(ss, c, &a, &b);
    if (st != DEDUP_OK) {
      char why[96];
      snprintf(why, sizeof why, "dedup_lsh_new(%g, %u): %s", c->threshold,
               perm0, dedup_strerror(st));
      skip_stage(o, "cluster", why);
      return;
    }
  }
  size_t n = pk->n;
  unsigned perm = ss->perm;
  double th = c->threshold;
  uint32_t *va = xmalloc(c->n * sizeof *va); /* the verified pairs */
  uint32_t *vb = xmalloc(c->n * sizeof *vb);
  size_t *lab = xmalloc(n * sizeof *lab);
  double sec[MAX_RUNS];
  size_t verified = 0, nc = 0;
  long rss0 = proc_status_kb("VmRSS");
  int peak = reset_peak();
  for (int r = 0; r < o->runs; r++) {
    double t0 = now_s();
    verified = 0;
    for (size_t i = 0; i < c->n; i++) {
      const uint64_t *a = ss->sig + (size_t)c->p[i].a * perm;
      const uint64_t *b = ss->sig + (size_t)c->p[i].b * perm;
      if (dedup_minhash_jaccard(a, b, perm) >= th) {
        va[verified] = c->p[i].a;
        vb[verified] = c->p[i].b;
        verified++;
      }
    }
    int st = dedup_components(lab, &nc, n, va, vb, verified);
    if (st != DEDUP_OK)
      die(dedup_strerror(st));
    sec[r] = now_s() - t0;
  }
  jline j;
  stage_line(o, &j, "cluster", n, pk->bytes, sec, o->runs, 1, rss0, peak);
  jint(&j, "num_perm", perm);
  jnum(&j, "threshold", th);
  jint(&j, "candidate_pairs", (long long)c->n);
  jint(&j, "verified_pairs", (long long)verified);
  if (t) {
    scores sc;
    size_t unknown;
    size_t *tl = doc_truth_labels(t, n, &unknown);
    score_labels(&sc, lab, nc, tl, t->ngroups + unknown, n, unknown);
    free(tl);
    put_scores(&j, &sc);
    char summary[96];
    snprintf(summary, sizeof summary,
             "P=%.4f R=%.4f F1=%.4f exact %llu/%llu", sc.s.pair_precision,
             sc.s.pair_recall, sc.s.pair_f1, (unsigned long long)sc.exact,
             (unsigned long long)sc.groups_multi);
    note("cluster", summary);
  } else {
    jint(&j, "clusters", (long long)nc);
  }
  jend(o, &j);
  free(va);
  free(vb);
  free(lab);
}

/* ------------------------------------------------------------------------ */

static void print_table(const opts *o, const pack *pk) {
  FILE *f = o->table ? stdout : stderr;
  fprintf(f, "\nlibdedup %s  docs %zu  %.1f MB  runs %d (median)\n",
          dedup_version_string(), pk->n, (double)pk->bytes / 1e6, o->runs);
  fprintf(f, "%-13s %9s %9s %10s %9s %10s %9s  %s\n", "stage", "docs", "MB",
          "seconds", "MB/s", "docs/s", "vs xxh3", "");
  for (int i = 0; i < nrows; i++) {
    const row *r = &rows[i];
    fprintf(f, "%-13s %9zu %9.1f %10.4f %9.1f %10.0f %9.4f  %s\n", r->stage,
            r->n, (double)r->bytes / 1e6, r->sec, r->mb_s, r->docs_s,
            floor_mb_s > 0 ? r->mb_s / floor_mb_s : 0.0, r->note);
  }
  if (summary_line[0])
    fprintf(f, "%s\n", summary_line);
}

static void usage(void) {
  fputs(
      "usage: dedup-bench --pack PACK [--truth TSV] [--runs R]\n"
      "                   [--corpus-runs R] [--threads N] [--k K]\n"
      "                   [--perm P] [--seed S] [--classic-docs M]\n"
      "                   [--max-docs M] [--stages LIST] [--table]\n"
      "                   [--threshold T] [--no-clean] [--story]\n"
      "                   [--quiet]\n"
      "  stages: read,floor,normalise,shingle,sign,classic,index,cluster,\n"
      "          corpus\n"
      "  --threads N    corpus worker threads (0 = all cores)\n"
      "  --threshold T  copy threshold of corpus, index and cluster\n"
      "                 (0 = library default, 0.5)\n"
      "  --no-clean     corpus flag DEDUP_F_NO_CLEAN (whole pages)\n"
      "  --story        corpus runs the story level too (scores stay\n"
      "                 the copy level's)\n"
      "  --table        print the table on stdout instead of JSON\n",
      stderr);
  exit(2);
}

static unsigned long long parse_u(const char *s, const char *opt) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s) {
    fprintf(stderr, "dedup-bench: bad number for %s: %s\n", opt, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  opts o = {0};
  o.runs = 3;
  o.corpus_runs = 0;
  o.k = 5;
  o.perm = 128;
  o.classic_docs = 2000;
  o.batch = (size_t)8 << 20;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--table")) {
      o.table = 1;
      continue;
    }
    if (!strcmp(a, "--quiet")) {
      o.quiet = 1;
      continue;
    }
    if (!strcmp(a, "--no-clean")) {
      o.flags |= DEDUP_F_NO_CLEAN;
      continue;
    }
    if (!strcmp(a, "--story")) {
      o.story = 1;
      continue;
    }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v || !strcmp(a, "-h") || !strcmp(a, "--help"))
      usage();
    i++;
    if (!strcmp(a, "--pack"))
      o.pack = v;
    else if (!strcmp(a, "--truth"))
      o.truth = v;
    else if (!strcmp(a, "--stages"))
      o.stages = v;
    else if (!strcmp(a, "--runs"))
      o.runs = (int)parse_u(v, a);
    else if (!strcmp(a, "--corpus-runs"))
      o.corpus_runs = (int)parse_u(v, a);
    else if (!strcmp(a, "--threads"))
      o.threads = (unsigned)parse_u(v, a);
    else if (!strcmp(a, "--k"))
      o.k = (unsigned)parse_u(v, a);
    else if (!strcmp(a, "--perm"))
      o.perm = (unsigned)parse_u(v, a);
    else if (!strcmp(a, "--seed"))
      o.seed = parse_u(v, a);
    else if (!strcmp(a, "--threshold")) {
      char *end;
      o.threshold = strtod(v, &end);
      if (*end || end == v || !(o.threshold >= 0 && o.threshold <= 1))
        usage();
    }
    else if (!strcmp(a, "--classic-docs"))
      o.classic_docs = (size_t)parse_u(v, a);
    else if (!strcmp(a, "--max-docs"))
      o.max_docs = (size_t)parse_u(v, a);
    else
      usage();
  }
  if (!o.pack)
    usage();
  if (o.runs < 1 || o.runs > MAX_RUNS || o.corpus_runs > MAX_RUNS ||
      o.k == 0 || o.perm == 0 || o.perm > 4096) {
    fprintf(stderr, "dedup-bench: option out of range\n");
    return 2;
  }
  if (o.corpus_runs == 0)
    o.corpus_runs = o.runs;

  pack pk = {0};
  double sec[MAX_RUNS], warm[MAX_RUNS];
  int fd = open_pack(o.pack, &pk.size);
  parse_pack(&pk, fd, o.max_docs);
  if (pk.n == 0)
    die("the pack holds no documents");
  /* The per-core stages work on the pack in memory; the corpus stage
   * streams it from the file. */
  int in_memory = want(&o, "read") || want(&o, "floor") ||
                  want(&o, "normalise") || want(&o, "shingle") ||
                  want(&o, "sign") || want(&o, "classic") ||
                  want(&o, "index") || want(&o, "cluster");
  int read_runs = in_memory ? o.runs : 0;
  long rss0 = proc_status_kb("VmRSS");
  int peak = reset_peak();
  for (int r = 0; r < read_runs; r++) {
    if (pk.buf)
      munmap(pk.buf, pk.size + 1); /* one copy at a time */
    double t0 = now_s();
    pk.buf = map_fresh(pk.size + 1);
    read_into(fd, pk.buf, pk.size);
    sec[r] = now_s() - t0;
  }
  for (int r = 0; r < read_runs; r++) {
    double t0 = now_s();
    read_into(fd, pk.buf, pk.size);
    warm[r] = now_s() - t0;
  }
  point_texts(&pk);

  jline j;
  jbegin(&j, "meta");
  jstr(&j, "version", dedup_version_string());
  jstr(&j, "pack", o.pack);
  jint(&j, "n", (long long)pk.n);
  jint(&j, "bytes", (long long)pk.bytes);
  jint(&j, "file_bytes", (long long)pk.size);
  jint(&j, "runs", o.runs);
  jint(&j, "k", o.k);
  jint(&j, "num_perm", o.perm);
  jint(&j, "seed", (long long)o.seed);
  jnum(&j, "threshold", o.threshold);
  jint(&j, "flags", o.flags);
  jstr(&j, "levels", o.story ? "copy,story" : "copy");
  jint(&j, "cpus", online_cpus());
  jend(&o, &j);

  /* reading covers the whole file (headers too); rates use document bytes
   * like every other stage */
  double read_med = 0;
  if (read_runs) {
    read_med = stage_line(&o, &j, "read", pk.n, pk.bytes, sec, read_runs, 1,
                          rss0, peak);
    jint(&j, "file_bytes", (long long)pk.size);
    jend(&o, &j);
    stage_line(&o, &j, "read_warm", pk.n, pk.bytes, warm, read_runs, 1,
               proc_status_kb("VmRSS"), 0);
    jstr(&j, "note", "read() again into the same, already touched buffer");
    jend(&o, &j);
  }
  if (want(&o, "floor"))
    stage_floor(&o, &pk, read_med, fd);
  if (want(&o, "normalise"))
    stage_normalise(&o, &pk);
  if (want(&o, "shingle"))
    stage_shingle(&o, &pk);
  /* index and cluster work on sign_oph's signatures (perm words a
   * document: 1 GB at 1M documents), kept until they are done */
  sigset ss = {0};
  int want_sigs = want(&o, "index") || want(&o, "cluster");
  if (want_sigs && pk.n > UINT32_MAX)
    die("index/cluster: more than 2^32 documents");
  if (want_sigs) {
    ss.n = pk.n;
    ss.perm = o.perm;
    ss.sig = xmalloc(pk.n * o.perm * sizeof *ss.sig);
    ss.empty = xcalloc(pk.n, 1);
  }
  if (want(&o, "sign"))
    stage_sign(&o, &pk, DEDUP_MINHASH_OPH, pk.n, "sign_oph",
               ss.sig ? &ss : NULL);
  else if (ss.sig)
    sign_docs(&o, &pk, &ss);
  if (want(&o, "classic"))
    stage_sign(&o, &pk, DEDUP_MINHASH_CLASSIC,
               o.classic_docs < pk.n ? o.classic_docs : pk.n, "sign_classic",
               NULL);
  truth t = {0};
  int have_truth = o.truth != NULL;
  if (have_truth)
    load_truth(&t, o.truth, &pk);
  cands cd = {0};
  if (want(&o, "index"))
    stage_index(&o, &pk, &ss, &cd);
  if (want(&o, "cluster"))
    stage_cluster(&o, &pk, &ss, &cd, have_truth ? &t : NULL);
  free(cd.p);
  free(ss.sig);
  free(ss.empty);
  /* The corpus stage streams the pack: release the copy in memory. */
  if (pk.buf) {
    munmap(pk.buf, pk.size + 1);
    pk.buf = NULL;
    point_texts(&pk);
  }
  double corpus_med = 0;
  if (want(&o, "corpus"))
    corpus_med = stage_corpus(&o, &pk, have_truth ? &t : NULL, fd);

  if (corpus_med > 0 && floor_mb_s > 0 && read_med > 0) {
    /* pipeline vs floor, both from memory and both including the read */
    double mb = (double)pk.bytes / 1e6, xxh_s = mb / floor_mb_s;
    jbegin(&j, "summary");
    jnum(&j, "pipeline_mb_s", mb / corpus_med);
    jnum(&j, "floor_mb_s", floor_mb_s);
    jnum(&j, "pipeline_over_floor", xxh_s / corpus_med);
    jnum(&j, "pipeline_with_read_mb_s", mb / (read_med + corpus_med));
    jnum(&j, "floor_with_read_mb_s", mb / (read_med + xxh_s));
    jnum(&j, "pipeline_over_floor_with_read",
         (read_med + xxh_s) / (read_med + corpus_med));
    jend(&o, &j);
    snprintf(summary_line, sizeof summary_line,
             "pipeline/floor: %.4f in memory (%.1f vs %.1f MB/s), %.4f "
             "with the read (%.1f vs %.1f MB/s)",
             xxh_s / corpus_med, mb / corpus_med, floor_mb_s,
             (read_med + xxh_s) / (read_med + corpus_med),
             mb / (read_med + corpus_med), mb / (read_med + xxh_s));
  }
  if (!o.quiet || o.table)
    print_table(&o, &pk);
  free(t.doc_group);
  free(pk.d);
  free(pk.names);
  close(fd);
  return 0;
}
