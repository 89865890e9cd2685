/* dedup-cluster - files in, clusters out: a thin CLI over libdedup.
 *
 * Exit status: 0 done (files that are empty or binary are skipped with a
 * warning: there is nothing to cluster in them); 1 some paths could not be
 * read (missing, unreadable, a directory without -r, not a regular file,
 * too large) - the rest were clustered -, or --jsonl lines were skipped
 * (each named by its line) or its input broke off, or the --save index
 * could not be written (its target is not a regular file: refused before
 * any work), or standard output could not be written; 2 usage error;
 * 3 failure (out of memory); 4 index file refused (corrupt, truncated, wrong version,
 * unreadable, not a regular file): --load's corpus is the base of the
 * run, so nothing is clustered without it.
 *
 * All the work, --explain's included, is the library's; this file reads
 * files, draws progress and prints; cli_args.c parses the options. */
#define _XOPEN_SOURCE 700 /* POSIX 2008 and wcwidth */
#include "cli_args.h"
#include "dedup.h"
#include "jsonl.h"
#include "readpool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <locale.h>

/* dedup-cluster-mpi is this file built again with DEDUP_CLI_MPI and
 * mpi_run.c: one process per MPI rank, each adding its shard of the
 * documents, the run split into the library's shardable passes, rank 0
 * printing what dedup-cluster prints.  These are the hooks; without MPI
 * each is what one process does. */
#ifdef DEDUP_CLI_MPI
#include "mpi_run.h"
#define PROG "dedup-cluster-mpi"
#define main dedup_cluster_main /* mpi_run.c's main() runs it on each rank */
#define shard_owns(name) mpi_owns(name) /* this rank adds it */
#define shard_speaks() (mpi_rank() == 0) /* says what all ranks meet */
#define die(status) mpi_die(status)      /* no rank left waiting */
#define share_stdin() mpi_share_stdin()  /* rank 0's, read on every rank */
#define who() mpi_who()                  /* "rank N: " */
#define notes_open() mpi_notes_open()    /* messages gathered to rank 0 */
#define notes_close(f) mpi_notes_close(f)
#define refuse_unsupported(o) mpi_refuse(o)
#else
#define PROG "dedup-cluster"
#define shard_owns(name) 1
#define shard_speaks() 1
#define die(status) exit(status)
#define share_stdin() 0
#define who() ""
#define notes_open() stderr
#define notes_close(f) (void)(f)
#define refuse_unsupported(o) 0
#endif

enum {
  EXIT_DONE = 0,
  EXIT_UNREADABLE = 1,
  EXIT_USAGE = 2,
  EXIT_FAIL = 3,
  EXIT_INDEX = 4
};
enum {
  FMT_TEXT = CLI_FMT_TEXT,
  FMT_TSV = CLI_FMT_TSV,
  FMT_JSON = CLI_FMT_JSON
};

static const char usage[] =
    "Usage: " PROG " [OPTIONS] FILE...\n"
    "       " PROG " [OPTIONS] --explain A B [FILE...]\n"
    "       " PROG " --load INDEX [--save INDEX] [OPTIONS] [FILE...]\n"
    "       " PROG " [OPTIONS] --jsonl FILE [--jsonl FILE...]\n"
    "       " PROG " --index PATH [OPTIONS] [FILE... | --jsonl F...]\n"
    "Groups text files that tell the same story (default) or are\n"
    "near-verbatim copies (--level copy).  FILE '-' reads a list of paths,\n"
    "one per line (NUL-separated with -0), from standard input.  Options\n"
    "may come anywhere ('--' ends them), as --opt=value too; numbers are\n"
    "decimal; an option given twice must have the same value.\n"
    "\n"
    "Output:\n"
    "  --format text|tsv|json  text: one line per cluster of 2+ files,\n"
    "                          paths separated by spaces (default);\n"
    "                          tsv: cluster_id<TAB>path per item;\n"
    "                          json: one object per cluster per line\n"
    "                          (text and tsv escape \\ newline tab and\n"
    "                          control bytes C-style; json writes bytes\n"
    "                          that are not UTF-8 as \\u0080-\\u00ff)\n"
    "  -0, --null              NUL-separated: the FILE '-' list, and text\n"
    "                          (NUL after each name, one more after each\n"
    "                          cluster) and tsv (NUL after each line)\n"
    "                          output, unescaped\n"
    "  --all                   also list clusters of one file\n"
    "  --level story|copy      which clusters to list (default story)\n"
    "  --split-embedded        list articles embedded below a page's main\n"
    "                          story as items of their own (FILE#2, ...)\n"
    "Matching:\n"
    "  --threshold T           copy level: min similarity, 0<T<=1\n"
    "                          (default 0.5 est. Jaccard; simhash 0.9)\n"
    "  --story-threshold T     story level: min average cosine (0.265)\n"
    "  --story-days D|off      story level: the cosine of dated documents\n"
    "                          dt days apart is times 1.225/(1+dt/D)\n"
    "                          (120); off: dates ignored (files have none)\n"
    "  --method minhash|simhash  copy-level signatures (minhash)\n"
    "  --shingle K             words per shingle (5)\n"
    "  --perms K               MinHash signature length (128)\n"
    "  --classic               classic K-hash MinHash instead of OPH\n"
    "  --no-clean              compare whole files (no chrome removal)\n"
    "  --no-langid             do not identify languages: documents are\n"
    "                          English unless --lang or a JSON line says\n"
    "  --lang CODE             the documents' language (ISO 639: de, deu;\n"
    "                          or german), not identified; a --jsonl\n"
    "                          line's own language wins\n"
    "  --seed N                hash seed (0)\n";
/* In three parts: C11 compilers need only support string literals of
 * 4095 bytes. */
static const char usage2[] =
    "Explaining:\n"
    "  --explain A B           why files A and B are or are not in one\n"
    "                          cluster: similarities by each method,\n"
    "                          thresholds, shared passages and terms\n"
    "                          (text or json); FILE... are the rest of\n"
    "                          the corpus and may be omitted\n"
    "  --show-text             with --explain: also the text the run kept\n"
    "                          of A and B (what page cleaning left)\n"
    "Index (carry a corpus from one run to the next):\n"
    "  --load INDEX            start from the corpus saved in INDEX and\n"
    "                          add FILE... to it; the index fixes the\n"
    "                          matching options and --split-embedded,\n"
    "                          so they are refused with it (--threads\n"
    "                          is this machine's and allowed)\n"
    "  --save INDEX            after the run, before the output, save\n"
    "                          every document (loaded and added) to\n"
    "                          INDEX, atomically; INDEX must be a regular\n"
    "                          file or not exist\n"
    ;
static const char usage_svc[] =
    "Service index (documents one at a time, ids that stay):\n"
    "  --index PATH            open the service index PATH for writing (a\n"
    "                          new one, with the matching options given,\n"
    "                          if it does not exist), add each document\n"
    "                          in order and print the copy group and the\n"
    "                          story it got (ID, copy C new|joined, story\n"
    "                          S new|joined, ids merged into them); then\n"
    "                          save PATH; an existing index refuses\n"
    "                          matching options other than its own; an\n"
    "                          id indexed already is skipped (exit 1)\n"
    "  --replace               a document of an indexed id replaces it\n"
    "  --keep-texts            a new index keeps the texts (for --rebuild)\n"
    "  --defer                 store the documents unassigned, for the\n"
    "                          next --rebuild (a first large build)\n"
    "  --rebuild               after the adds, recompute every cluster as\n"
    "                          a batch run would (ids kept where they can)\n"
    "  --sync                  save after each document, then print its\n"
    "                          line (flushed): each line printed is on\n"
    "                          disk; with --jsonl - a long-lived pipe\n"
    "  --compact               write PATH whole at the end (saves append\n"
    "                          to PATH.journal; see doc/service.md)\n"
    "  --remove ID             remove the document ID first (repeatable)\n"
    "  --expire DATE           remove the documents dated before DATE\n"
    "                          (ISO 8601 or Unix seconds) first\n"
    "  --list                  print every indexed document with its ids\n"
    "                          (ID, copy C, story S) instead of the adds\n"
    "  --query                 open read only and print what each document\n"
    "                          would get (id 0: a new one); adds nothing\n"
    "                          (--load of a service index: --list)\n"
    ;
static const char usage_more[] =
    "JSON Lines (documents named by their ids):\n"
    "  --jsonl FILE            read documents from FILE, one JSON object a\n"
    "                          line with an id (a string or an integer)\n"
    "                          and a text, a title and a date optional;\n"
    "                          '-' is standard input; gzip and zstd are\n"
    "                          read as such (told by their first bytes);\n"
    "                          repeatable; not with FILE operands; names\n"
    "                          in the output and --explain are the ids\n"
    "  --id-field NAME         the id's member name (default id)\n"
    "  --text-field NAME       the text's (text)\n"
    "  --title-field NAME      the title's (title)\n"
    "  --date-field NAME       the date's (date): ISO 8601 date or\n"
    "                          date-time, or Unix seconds; one that is\n"
    "                          missing or not read is no date (counted\n"
    "                          on stderr, not an error)\n"
    "  --lang-field NAME       the language's (lang): an ISO 639 code or\n"
    "                          a name; one the library does not know is\n"
    "                          identified from the text (counted on\n"
    "                          stderr)\n"
    "Input and running:\n"
    "  -r, --recursive         walk directories given as FILE; symbolic\n"
    "                          links to directories found while walking\n"
    "                          are not followed (links to files are read)\n"
    "  --threads N             worker threads (default: all cores)\n"
    "  -q, --quiet             no warnings about skipped files and no\n"
    "                          progress bar (drawn on stderr when it is\n"
    "                          a terminal)\n"
    "  -h, --help              this help\n"
    "  --version               the version\n"
    "\n"
    "Exit status: 0 done (empty or binary files are skipped with a\n"
    "warning); 1 some paths could not be read (missing, not a regular\n"
    "file, over 2 GiB), the rest were clustered, or --jsonl lines were\n"
    "skipped (malformed JSON, invalid UTF-8, a NUL byte, no string text,\n"
    "no id, an id seen before, over 64 MiB) or its input broke off\n"
    "(truncated gzip or zstd), the rest were clustered, or the --save\n"
    "index could not be written (or its target is not a regular file),\n"
    "or standard output could not be written, or an --index id was\n"
    "indexed already or a --remove id was not, or --index could not be\n"
    "saved (PATH as it was); 2 usage error; 3 failure\n"
    "(out of memory); 4 index file refused (corrupt, truncated, wrong\n"
    "version, unreadable or not a regular file), or the --index is\n"
    "locked by another writer (another dedup-cluster holds PATH.lock).\n";

typedef cli_opts opts;

/* Progress on stderr: files read, MB/s and ETA while reading, elapsed time
 * while the library clusters.  Totals come from a stat pass made first. */
typedef struct progress {
  int on, drawn;
  size_t files_total, files_done;
  double bytes_total, bytes_done;
  double t0, last;
  /* ticker thread during dedup_corpus_run() */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;
} progress;

/* A document added whose invalid UTF-8 is said after the run: the run
 * counts it on every core (dedup_corpus_doc_invalid), the add would count
 * it on this thread alone. */
typedef struct added_doc {
  size_t doc;  /* dedup_corpus_doc_invalid's index */
  char *shown; /* the name the warning gives */
} added_doc;

typedef struct run {
  opts o;
  dedup_corpus *c;
  dedup_corpus *res; /* the run's results: c; with MPI, on rank 0 a corpus
                        of every shard's records, NULL on the others */
  int status;
  size_t added;
  added_doc *docs; /* in the order of adding; none with -q */
  size_t n_docs, cap_docs;
  readpool *rp;    /* files read ahead (--threads 2+), else NULL */
  readpool_job *batch; /* read, not added yet: BATCH of them */
  size_t n_batch;
  int counting;      /* stat pass for the progress totals: no output */
  int found[2];      /* the --explain files were among the inputs */
  progress pr;
  /* --index: documents go to the service index instead of r->c */
  dedup_index *ix;
  unsigned add_flags;  /* DEDUP_ADD_* */
  int print_adds;      /* a line per document added (not with --list) */
} run;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void progress_clear(run *r) {
  if (r->pr.drawn) {
    fputs("\r\033[K", stderr);
    r->pr.drawn = 0;
  }
}

#define BAR_CELLS 12

/* Redraws at most ten times a second (force: now). */
static void progress_draw(run *r, int force) {
  progress *p = &r->pr;
  double t = now();
  if (!p->on || (!force && p->drawn && t - p->last < 0.1))
    return;
  p->last = t;
  double el = t - p->t0, mb = p->bytes_done / 1e6;
  double frac = p->bytes_total > 0 ? p->bytes_done / p->bytes_total : 0;
  if (frac > 1)
    frac = 1;
  char bar[BAR_CELLS + 1];
  for (int i = 0; i < BAR_CELLS; i++)
    bar[i] = i < (int)(frac * BAR_CELLS + 0.5) ? '#' : ' ';
  bar[BAR_CELLS] = '\0';
  char eta[32] = "ETA --:--";
  if (el > 0.5 && p->bytes_done > 0 && frac < 1) {
    double left = (p->bytes_total - p->bytes_done) / (p->bytes_done / el);
    unsigned s = left < 359999 ? (unsigned)left : 359999;
    if (s >= 3600)
      snprintf(eta, sizeof eta, "ETA %u:%02u:%02u", s / 3600, s / 60 % 60,
               s % 60);
    else
      snprintf(eta, sizeof eta, "ETA %u:%02u", s / 60, s % 60);
  }
  fprintf(stderr, "\r%3d%% [%s] %zu/%zu files  %.1f MB  %.1f MB/s  %s\033[K",
          (int)(frac * 100), bar, p->files_done, p->files_total, mb,
          el > 0 ? mb / el : 0.0, eta);
  p->drawn = 1;
}

static void *ticker(void *arg) {
  run *r = arg;
  progress *p = &r->pr;
  double start = now();
  pthread_mutex_lock(&p->mu);
  while (!p->stop) {
    fprintf(stderr, "\rclustering %zu %s%s (%.1f MB)... %.0f s\033[K",
            r->added, r->o.n_jsonl ? "documents" : "files",
            r->o.load ? " and the index" : "", p->bytes_done / 1e6,
            now() - start);
    p->drawn = 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 250000000L; /* elapsed seconds: four redraws suffice */
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    while (!p->stop &&
           pthread_cond_timedwait(&p->cv, &p->mu, &ts) != ETIMEDOUT)
      ;
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* dedup_corpus_run() with elapsed time on the progress line. */
#ifdef DEDUP_CLI_MPI
static void say_invalid(run *r);
/* A shard signed: its invalid UTF-8 said (the counts are known after the
 * sign) and its texts freed before rank 0 clusters every shard's
 * records: rank 0 then holds its shard's texts or the clustering, not
 * both at once. */
static void shard_done(void *ctx) {
  run *r = ctx;
  say_invalid(r);
  dedup_corpus_free(r->c);
  r->c = NULL;
}
#endif

static int run_corpus(run *r) {
  progress *p = &r->pr;
  pthread_t th;
  int ticking = p->on && pthread_mutex_init(&p->mu, NULL) == 0;
  if (ticking && pthread_cond_init(&p->cv, NULL) != 0) {
    pthread_mutex_destroy(&p->mu);
    ticking = 0;
  }
  if (ticking && pthread_create(&th, NULL, ticker, r) != 0) {
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    ticking = 0;
  }
#ifdef DEDUP_CLI_MPI
  int rc = mpi_run_passes(r->c, &r->o.p, &r->o.ro, &r->res, shard_done, r);
#else
  int rc = dedup_corpus_run_with(r->c, &r->o.ro);
  r->res = r->c;
#endif
  if (ticking) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(th, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
  }
  progress_clear(r);
  return rc;
}

static void warn(run *r, const char *path, const char *msg) {
  if (!r->o.quiet && !r->counting) {
    progress_clear(r);
    fprintf(stderr, PROG ": %s: %s\n", path, msg);
  }
}

/* A problem every rank of dedup-cluster-mpi meets alike (of the walk, or
 * of an input all of them read), said once. */
static void warn_all(run *r, const char *path, const char *msg) {
  if (shard_speaks())
    warn(r, path, msg);
}

/* The largest input: what dedup_corpus_add takes (DEDUP_ETOOBIG past
 * it), checked before a byte is read. */
#define MAX_INPUT DEDUP_MAX_DOC_BYTES

enum { READ_OK, READ_ERRNO, READ_NOT_REGULAR, READ_TOO_BIG };

static const char *file_type(mode_t m) {
  if (S_ISDIR(m))
    return "a directory";
  if (S_ISFIFO(m))
    return "a FIFO";
  if (S_ISCHR(m))
    return "a character device";
  if (S_ISBLK(m))
    return "a block device";
  if (S_ISSOCK(m))
    return "a socket";
  if (S_ISLNK(m))
    return "a symbolic link";
  return "not a regular file";
}

/* Reads a regular file whole.  O_NONBLOCK: opening a FIFO with no writer
 * would block forever; only regular files are read, so it is cleared once
 * fstat says so.  The size is checked before reading, and reading stops
 * at MAX_INPUT + 1 bytes, since a file can grow while it is read. */
static int read_file(const char *path, char **buf, size_t *len,
                     struct stat *st) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return READ_ERRNO;
  int why = READ_ERRNO;
  char *b = NULL;
  if (fstat(fd, st) != 0)
    goto fail;
  if (!S_ISREG(st->st_mode)) {
    why = READ_NOT_REGULAR;
    goto fail;
  }
  if (st->st_size < 0 || (uintmax_t)st->st_size > MAX_INPUT) {
    why = READ_TOO_BIG;
    goto fail;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
    goto fail;
  size_t cap = (size_t)st->st_size + 1, n = 0; /* +1: see growth */
  b = malloc(cap);
  if (!b) {
    errno = ENOMEM;
    goto fail;
  }
  for (;;) {
    if (n == cap) {
      if (cap > MAX_INPUT) { /* grown past the limit while read */
        why = READ_TOO_BIG;
        goto fail;
      }
      size_t nc = cap < MAX_INPUT / 2 ? cap * 2 : MAX_INPUT + 1;
      char *nb = realloc(b, nc);
      if (!nb) {
        errno = ENOMEM;
        goto fail;
      }
      b = nb;
      cap = nc;
    }
    ssize_t got = read(fd, b + n, cap - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      goto fail;
    if (got == 0)
      break;
    n += (size_t)got;
  }
  close(fd);
  *buf = b;
  *len = n;
  return READ_OK;
fail:;
  int e = errno;
  free(b);
  close(fd);
  errno = e;
  return why;
}

static void add_path(run *r, const char *path, int walked);
static int take_read(run *r, int wait);
static void flush_reads(run *r);
static void add_read(run *r, const char *path, int got, char *buf,
                     size_t len, const struct stat *st);
static void out_of_memory(run *r);
static void add_result(run *r, const char *path, int rc, size_t len,
                       size_t doc);
static void put_name_to(FILE *out, const char *str);

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(run *r, const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    int e = errno;
    flush_reads(r);
    warn_all(r, path, strerror(e));
    if (!r->counting)
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
  if (n) /* an empty directory leaves names NULL, which qsort must not get */
    qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    add_path(r, names[i], 1);
    free(names[i]);
  }
  free(names);
}

/* walked: found while walking a directory, where a symbolic link to a
 * directory is not followed (as grep -r does): "ln -s . d/loop" would
 * walk forever.  A symbolic link to a file is read; paths named on the
 * command line are followed. */
static void add_path(run *r, const char *path, int walked) {
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    flush_reads(r); /* the files before it have their say first */
    warn_all(r, path, strerror(e));
    if (!r->counting)
      r->status = EXIT_UNREADABLE;
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    struct stat lst;
    if (walked && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
      flush_reads(r);
      warn_all(r, path, "symbolic link to a directory, not followed");
      return;
    }
    if (r->o.recursive) {
      add_dir(r, path);
    } else if (!r->counting) {
      flush_reads(r);
      warn_all(r, path, "is a directory (use -r to walk it)");
      r->status = EXIT_UNREADABLE;
    }
    return;
  }
  for (int k = 0; k < 2; k++)
    if (r->o.explain[k] && !strcmp(path, r->o.explain[k]))
      r->found[k] = 1;
  if (!shard_owns(path)) /* another rank reads it and says its problems */
    return;
  if (r->counting) {
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size <= MAX_INPUT) {
      r->pr.files_total++;
      r->pr.bytes_total += (double)st.st_size;
    }
    return;
  }
  if (r->rp) {
    while (readpool_full(r->rp))
      take_read(r, 1);
    if (readpool_push(r->rp, path, (size_t)st.st_size) != 0)
      out_of_memory(r);
    while (take_read(r, 0))
      ;
    return;
  }
  char *buf = NULL;
  size_t len = 0;
  int got = read_file(path, &buf, &len, &st);
  add_read(r, path, got, buf, len, &st);
}

/* Files read ahead are added BATCH at a time with dedup_corpus_add_many,
 * which checks and copies them on the run's threads. */
#define BATCH 1024

/* Why a file was not read (got READ_*, errno as it failed), said. */
static void read_failed(run *r, const char *path, int got,
                        const struct stat *st) {
  char why[96];
  if (got == READ_NOT_REGULAR)
    snprintf(why, sizeof why, "%s, not a regular file; skipped",
             file_type(st->st_mode));
  else if (got == READ_TOO_BIG)
    snprintf(why, sizeof why, "larger than 2 GiB (the limit); skipped");
  else
    snprintf(why, sizeof why, "%s", strerror(errno));
  warn(r, path, why);
  r->status = EXIT_UNREADABLE;
}

/* The batch of files read, added in order, and what became of each said
 * in order. */
static void svc_add(run *r, const char *id, const char *where,
                    const char *text, size_t len,
                    const dedup_doc_meta *meta);

static void add_batch(run *r) {
  if (r->ix) { /* one at a time, in order: each add sees the ones before */
    dedup_doc_meta meta = DEDUP_DOC_META_INIT;
    meta.lang = r->o.lang;
    for (size_t i = 0; i < r->n_batch; i++) {
      readpool_job *j = &r->batch[i];
      if (j->got != READ_OK) {
        errno = j->err;
        read_failed(r, j->path, j->got, &j->st);
      } else {
        svc_add(r, j->path, j->path, j->buf, j->len, &meta);
      }
      free(j->buf);
      free(j->path);
    }
    r->n_batch = 0;
    return;
  }
  dedup_doc_in in[BATCH];
  int status[BATCH];
  for (size_t i = 0; i < BATCH; i++)
    status[i] = DEDUP_ENOMEM; /* what a failed call leaves unsaid */
  dedup_doc_meta meta = DEDUP_DOC_META_INIT;
  meta.lang = r->o.lang;
  size_t k = 0;
  for (size_t i = 0; i < r->n_batch; i++) {
    readpool_job *j = &r->batch[i];
    if (j->got == READ_OK)
      in[k++] = (dedup_doc_in){j->path, j->buf, j->len, &meta};
  }
  size_t doc = dedup_corpus_doc_count(r->c);
  /* ENOMEM: the status of the documents says it, add_result exits. */
  (void)dedup_corpus_add_many(r->c, in, k, r->o.ro.threads, status);
  k = 0;
  for (size_t i = 0; i < r->n_batch; i++) {
    readpool_job *j = &r->batch[i];
    if (j->got != READ_OK) {
      errno = j->err;
      read_failed(r, j->path, j->got, &j->st);
    } else {
      int rc = status[k++];
      add_result(r, j->path, rc, j->len, doc);
      doc += rc == DEDUP_OK;
    }
    free(j->buf);
    free(j->path);
  }
  r->n_batch = 0;
}

/* The next file read ahead, into the batch: 1, or 0 (none waiting; with
 * wait 0, the next not read yet). */
static int take_read(run *r, int wait) {
  if (!readpool_pop(r->rp, wait, &r->batch[r->n_batch]))
    return 0;
  if (++r->n_batch == BATCH)
    add_batch(r);
  return 1;
}

/* Every file asked for added, before a message that comes after them. */
static void flush_reads(run *r) {
  while (r->rp && take_read(r, 1))
    ;
  if (r->n_batch)
    add_batch(r);
}

/* A file read (got READ_*, errno as it failed): added, or said why not.
 * Takes buf. */
static void add_read(run *r, const char *path, int got, char *buf,
                     size_t len, const struct stat *st) {
  if (got != READ_OK) {
    free(buf);
    read_failed(r, path, got, st);
    return;
  }
  dedup_doc_meta meta = DEDUP_DOC_META_INIT;
  meta.lang = r->o.lang; /* --lang, or NULL: identified */
  if (r->ix) {
    svc_add(r, path, path, buf, len, &meta);
    free(buf);
    return;
  }
  size_t doc = dedup_corpus_doc_count(r->c);
  int rc = dedup_corpus_add_doc(r->c, path, buf, len, &meta, NULL);
  free(buf);
  add_result(r, path, rc, len, doc);
}

static void out_of_memory(run *r) {
  progress_clear(r);
  fprintf(stderr, PROG ": %s%s\n", who(), dedup_strerror(DEDUP_ENOMEM));
  die(EXIT_FAIL);
}

/* A document the library refused (status rc; len: its bytes), in batch
 * and in --index mode alike: empty or binary ones are skipped with a
 * warning, one too large makes the exit status 1, anything else ends
 * the run. */
static void refused(run *r, const char *where, int rc, size_t len) {
  switch (rc) {
  case DEDUP_EEMPTY:
    warn(r, where, len ? "no words, skipped" : "empty file, skipped");
    break;
  case DEDUP_EBINARY:
    warn(r, where, "binary data, not text; skipped");
    break;
  case DEDUP_ETOOBIG:
    warn(r, where, dedup_strerror(rc));
    r->status = EXIT_UNREADABLE;
    break;
  default: /* out of memory too: named with the document */
    progress_clear(r);
    fprintf(stderr, PROG ": %s%s: %s\n", who(), where, dedup_strerror(rc));
    die(EXIT_FAIL);
  }
}

/* What became of an added document (a file, or a line of --jsonl); doc:
 * its index for dedup_corpus_doc_invalid. */
static void add_result(run *r, const char *path, int rc, size_t len,
                       size_t doc) {
  r->pr.files_done++;
  r->pr.bytes_done += (double)len;
  switch (rc) {
  case DEDUP_OK:
    r->added++;
    if (r->o.quiet)
      break;
    if (r->n_docs == r->cap_docs) {
      size_t nc = r->cap_docs ? r->cap_docs * 2 : 256;
      added_doc *nd = realloc(r->docs, nc * sizeof *nd);
      if (!nd)
        out_of_memory(r);
      r->docs = nd;
      r->cap_docs = nc;
    }
    r->docs[r->n_docs].doc = doc;
    if (!(r->docs[r->n_docs].shown = strdup(path)))
      out_of_memory(r);
    r->n_docs++;
    break;
  default:
    refused(r, path, rc, len);
  }
  progress_draw(r, 0);
}

/* The invalid UTF-8 the run replaced, per document in the order they
 * were added (after the warnings of reading, which come as it goes). */
static void say_invalid(run *r) {
  FILE *out = notes_open(); /* MPI: every rank's, said by rank 0 */
  for (size_t i = 0; i < r->n_docs; i++) {
    size_t invalid = 0;
    if (dedup_corpus_doc_invalid(r->c, r->docs[i].doc, &invalid) ==
            DEDUP_OK &&
        invalid)
      fprintf(out,
              PROG ": %s: %zu invalid UTF-8 sequences replaced\n",
              r->docs[i].shown, invalid);
    free(r->docs[i].shown);
  }
  notes_close(out);
  free(r->docs);
  r->docs = NULL;
  r->n_docs = r->cap_docs = 0;
}

/* ---- --jsonl: documents named by their ids ---------------------------- */

/* What the summaries at the end count: the documents (lines with an id
 * not seen before), the undated ones and those naming a language the
 * library does not know, each with the first (input, line). */
typedef struct jsonl_tally {
  size_t docs, undated, unknown;
  int undated_file, unknown_file; /* indexes of r->o.jsonl */
  unsigned long undated_line, unknown_line;
} jsonl_tally;

static const char *jsonl_shown(const char *path) {
  return strcmp(path, "-") ? path : "standard input";
}

/* The line `line` of input i, whose id is not seen before, counted and
 * added. */
static void jsonl_add(run *r, const jsonl_doc *d, int i, unsigned long line,
                      jsonl_tally *t) {
  const char *shown = jsonl_shown(r->o.jsonl[i]);
  t->docs++;
  dedup_doc_meta meta;
  if (!jsonl_meta(d, &meta) && !t->undated++) {
    t->undated_file = i;
    t->undated_line = line;
  }
  if (d->lang && !meta.lang && dedup_lang_code(d->lang) == NULL &&
      !t->unknown++) {
    t->unknown_file = i;
    t->unknown_line = line;
  }
  if (!meta.lang)
    meta.lang = r->o.lang; /* --lang: for those that give none */
  char where[300];
  snprintf(where, sizeof where, "%s:%lu", shown, line);
  if (r->ix) {
    svc_add(r, d->id, where, d->text, d->text_len, &meta);
    return;
  }
  size_t doc = dedup_corpus_doc_count(r->c);
  int rc = dedup_corpus_add_doc(r->c, d->id, d->text, d->text_len, &meta,
                                NULL);
  add_result(r, where, rc, d->text_len, doc);
}

/* "id X already seen at ...; line skipped" (exit 1); ff: the shown name
 * of the input where it was first seen.  Written at once (with MPI, the
 * ranks' lines are not cut into each other). */
static void jsonl_say_dup(run *r, int i, unsigned long line, const char *id,
                          const char *ff, unsigned long first_line) {
  r->status = EXIT_UNREADABLE;
  if (r->o.quiet)
    return;
  const char *shown = jsonl_shown(r->o.jsonl[i]);
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  FILE *out = m ? m : stderr;
  fprintf(out, PROG ": %s:%lu: id ", shown, line);
  put_name_to(out, id);
  fprintf(out, " already seen at %s%s%lu; line skipped\n",
          ff == shown ? "line " : ff, ff == shown ? "" : ":", first_line);
  if (m && fclose(m) == 0)
    fwrite(buf, 1, len, stderr);
  free(buf);
}

/* The summaries, once every input is read. */
static void jsonl_say_tally(run *r, const jsonl_tally *t) {
  if (t->undated && !r->o.quiet && shard_speaks()) {
    progress_clear(r);
    fprintf(stderr, PROG ": %zu of %zu documents have no usable "
            "date (first: %s%s%lu)\n", t->undated, t->docs,
            r->o.n_jsonl > 1 ? jsonl_shown(r->o.jsonl[t->undated_file])
                             : "line ",
            r->o.n_jsonl > 1 ? ":" : "", t->undated_line);
  }
  if (t->unknown && !r->o.quiet && shard_speaks()) {
    progress_clear(r);
    fprintf(stderr, PROG ": %zu of %zu documents name a language "
            "the library does not know; identified from the text instead "
            "(first: %s%s%lu)\n", t->unknown, t->docs,
            r->o.n_jsonl > 1 ? jsonl_shown(r->o.jsonl[t->unknown_file])
                             : "line ",
            r->o.n_jsonl > 1 ? ":" : "", t->unknown_line);
  }
}

#ifndef DEDUP_CLI_MPI
/* Every --jsonl input in turn.  A line that cannot be a document is
 * skipped with a message naming its line (exit 1); so is the second of
 * two lines with one id.  A date the library cannot read is no date:
 * counted, and said once at the end. */
static void add_jsonl(run *r) {
  jsonl_fields f = {r->o.id_field, r->o.text_field, r->o.title_field,
                    r->o.date_field, r->o.lang_field};
  jsonl_ids ids = {0};
  jsonl_tally t = {0};
  for (int i = 0; i < r->o.n_jsonl; i++) {
    const char *path = r->o.jsonl[i];
    const char *shown = jsonl_shown(path);
    char msg[256];
    jsonl_reader *jr;
    if (jsonl_open(&jr, path, &f, msg, sizeof msg) != 0) {
      warn(r, shown, msg);
      r->status = EXIT_UNREADABLE;
      continue;
    }
    jsonl_doc d;
    int k;
    while ((k = jsonl_next(jr, &d)) != JSONL_END) {
      unsigned long line = jsonl_line(jr);
      if (k != JSONL_DOC) {
        if (!r->o.quiet)
          fprintf(stderr, PROG ": %s:%lu: %s\n", shown, line,
                  jsonl_message(jr));
        r->status = EXIT_UNREADABLE;
        continue;
      }
      const char *ff;
      unsigned long fl;
      int dup = jsonl_ids_add(&ids, d.id, shown, line, &ff, &fl);
      if (dup < 0) {
        out_of_memory(r);
      }
      if (dup) {
        jsonl_say_dup(r, i, line, d.id, ff, fl);
        continue;
      }
      jsonl_add(r, &d, i, line, &t);
    }
    jsonl_close(jr);
  }
  jsonl_ids_free(&ids);
  jsonl_say_tally(r, &t);
}
#else
/* dedup-cluster-mpi: each rank parses its own byte range of a plain
 * --jsonl file (jsonl_open_range: rank r of P the lines that start in
 * bytes [r*S/P, (r+1)*S/P) of S), says the problems of its lines with
 * their line numbers in the file (the lines of the ranks before it,
 * mpi_lines_before), and keeps its documents: an id's owner rank tells
 * every rank which of its lines repeat an id seen before (mpi_first_ids,
 * the first in the order of the inputs and their lines wins, as in one
 * process), and once those are gone every name is on one rank.
 * Compressed input and standard input cannot be cut by bytes: every rank
 * parses them whole and keeps the lines whose id it owns (rank 0 says
 * the problems).  The summaries are summed over the ranks (mpi_tally)
 * and said by rank 0. */

/* One of this rank's document lines, its strings copied (mem), held
 * until the ranks have found the repeated ids. */
typedef struct held_doc {
  char *mem;
  jsonl_doc d;
  unsigned long line;
} held_doc;

/* A problem of one of its lines, said in line order with the others. */
typedef struct held_msg {
  unsigned long line;
  char *msg;
} held_msg;

static char *held_copy(char **at, const char *s, size_t len) {
  if (!s)
    return NULL;
  char *c = *at;
  memcpy(c, s, len);
  c[len] = '\0';
  *at += len + 1;
  return c;
}

static void hold_doc(run *r, held_doc **v, size_t *n, size_t *cap,
                     const jsonl_doc *d, unsigned long line) {
  if (*n == *cap) {
    size_t nc = *cap ? 2 * *cap : 256;
    held_doc *nv = realloc(*v, nc * sizeof *nv);
    if (!nv)
      out_of_memory(r);
    *v = nv;
    *cap = nc;
  }
  size_t id_len = strlen(d->id);
  char *mem = malloc(id_len + d->text_len + d->title_len + d->date_len +
                     d->lang_len + 5);
  if (!mem)
    out_of_memory(r);
  held_doc *h = &(*v)[(*n)++];
  char *at = mem;
  h->mem = mem;
  h->line = line;
  h->d = *d;
  h->d.id = held_copy(&at, d->id, id_len);
  h->d.text = held_copy(&at, d->text, d->text_len);
  h->d.title = held_copy(&at, d->title, d->title_len);
  h->d.date = held_copy(&at, d->date, d->date_len);
  h->d.lang = held_copy(&at, d->lang, d->lang_len);
}

static void hold_msg(run *r, held_msg **v, size_t *n, size_t *cap,
                     unsigned long line, const char *msg) {
  if (*n == *cap) {
    size_t nc = *cap ? 2 * *cap : 16;
    held_msg *nv = realloc(*v, nc * sizeof *nv);
    if (!nv)
      out_of_memory(r);
    *v = nv;
    *cap = nc;
  }
  held_msg *m = &(*v)[(*n)++];
  m->line = line;
  if (!(m->msg = strdup(msg)))
    out_of_memory(r);
}

/* Input i: read (its range, or whole), its repeated ids found with the
 * other ranks (every rank calls the same collectives for it, whatever
 * it met), its problems said and its documents added in line order. */
static void add_jsonl_input(run *r, int i, const jsonl_fields *f,
                            jsonl_tally *t) {
  const char *path = r->o.jsonl[i];
  const char *shown = jsonl_shown(path);
  uint64_t size, off = 0, end = 0;
  int plain = jsonl_plain_size(path, &size);
  int split = mpi_all_plain(plain, size);
  char msg[256];
  jsonl_reader *jr = NULL;
  if (split) {
    mpi_range(size, &off, &end);
    if (jsonl_open_range(&jr, path, f, off, end, msg, sizeof msg) != 0) {
      /* Every rank found it a moment ago: rare.  Its lines are lost,
       * and the line numbers of the ranks after it are off by them. */
      if (!r->o.quiet)
        fprintf(stderr, PROG ": %s%s: %s\n", who(), shown, msg);
      r->status = EXIT_UNREADABLE;
    }
  } else if (jsonl_open(&jr, path, f, msg, sizeof msg) != 0) {
    warn_all(r, shown, msg);
    r->status = EXIT_UNREADABLE;
  }
  held_doc *hd = NULL;
  held_msg *hm = NULL;
  size_t nd = 0, cd = 0, nm = 0, cm = 0;
  unsigned long lines = 0;
  if (jr) {
    jsonl_doc d;
    int k;
    while ((k = jsonl_next(jr, &d)) != JSONL_END) {
      if (k != JSONL_DOC) {
        if (!r->o.quiet && (split || shard_speaks()))
          hold_msg(r, &hm, &nm, &cm, jsonl_line(jr), jsonl_message(jr));
        r->status = EXIT_UNREADABLE;
        continue;
      }
      if (split || shard_owns(d.id))
        hold_doc(r, &hd, &nd, &cd, &d, jsonl_line(jr));
    }
    lines = jsonl_lines(jr);
    jsonl_close(jr);
  }
  mpi_lines_parsed(lines);
  /* The line numbers in the file; the ids' first lines. */
  unsigned long base = split ? mpi_lines_before(lines) : 0;
  mpi_id_line *ids = malloc((nd ? nd : 1) * sizeof *ids);
  if (!ids)
    out_of_memory(r);
  for (size_t j = 0; j < nd; j++) {
    hd[j].line += base;
    ids[j].id = hd[j].d.id;
    ids[j].line = hd[j].line;
  }
  mpi_dup *dup;
  size_t ndup = mpi_first_ids(i, ids, nd, &dup), di = 0, mi = 0;
  free(ids);
  for (size_t j = 0; j <= nd; j++) {
    for (; mi < nm && (j == nd || base + hm[mi].line < hd[j].line); mi++) {
      fprintf(stderr, PROG ": %s:%lu: %s\n", shown, base + hm[mi].line,
              hm[mi].msg);
      free(hm[mi].msg);
    }
    if (j == nd)
      break;
    if (di < ndup && dup[di].line == hd[j].line) {
      jsonl_say_dup(r, i, hd[j].line, hd[j].d.id,
                    jsonl_shown(r->o.jsonl[dup[di].first_file]),
                    dup[di].first_line);
      di++;
    } else {
      jsonl_add(r, &hd[j].d, i, hd[j].line, t);
    }
    free(hd[j].mem);
  }
  free(dup);
  free(hd);
  free(hm);
}

static void add_jsonl(run *r) {
  jsonl_fields f = {r->o.id_field, r->o.text_field, r->o.title_field,
                    r->o.date_field, r->o.lang_field};
  jsonl_tally t = {0};
  for (int i = 0; i < r->o.n_jsonl; i++)
    add_jsonl_input(r, i, &f, &t);
  mpi_first_ids_end();
  uint64_t count[3] = {t.docs, t.undated, t.unknown};
  uint64_t file[3] = {0, (uint64_t)t.undated_file, (uint64_t)t.unknown_file};
  uint64_t line[3] = {0, t.undated_line, t.unknown_line};
  mpi_tally(count, file, line, 3);
  t.docs = (size_t)count[0];
  t.undated = (size_t)count[1];
  t.unknown = (size_t)count[2];
  t.undated_file = (int)file[1];
  t.unknown_file = (int)file[2];
  t.undated_line = (unsigned long)line[1];
  t.unknown_line = (unsigned long)line[2];
  jsonl_say_tally(r, &t);
}
#endif

/* Adds (or, counting, measures) the inputs, then the --explain files that
 * were not among them.  A name such as "page.txt#2" is an item of
 * page.txt, not a file: it is looked up after the run.  With --load they
 * are looked up only: a file the index holds would be added twice. */
static void add_inputs(run *r, const cli_paths *in) {
  r->found[0] = r->found[1] = 0;
  for (size_t i = 0; i < in->n; i++)
    add_path(r, in->v[i], 0);
  if (r->o.load)
    return;
  struct stat st;
  for (int k = 0; k < 2; k++) {
    const char *x = r->o.explain[k];
    if (x && !r->found[k] &&
        (stat(x, &st) == 0 ? !S_ISDIR(st.st_mode) : !strchr(x, '#')))
      add_path(r, x, 0); /* a missing file gets the usual warning */
  }
}

/* The length of the well-formed UTF-8 sequence at s (1..4), or 0: no
 * overlong forms, no surrogates, nothing past U+10FFFF.  s is
 * NUL-terminated, and a NUL is never a continuation byte, so looking
 * ahead stays inside it. */
static size_t utf8_seq(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    else if (c == 0xED)
      hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F; /* past U+10FFFF */
  } else
    return 0;
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return n;
}

/* A JSON string.  Paths are bytes: valid UTF-8 is written as it is, and
 * each byte that is not part of valid UTF-8 as \u0080..\u00ff, the code
 * point of the byte's value (as Latin-1 reads it).  Since valid UTF-8 is
 * never escaped, such an escape in this output always stands for one raw
 * byte, so names can be turned back into the exact bytes. */
static void json_str(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  putchar('"');
  while (*s) {
    unsigned char ch = *s;
    size_t n = utf8_seq(s);
    if (ch == '"' || ch == '\\') {
      printf("\\%c", ch);
    } else if (ch < 0x20 || n == 0) {
      printf("\\u%04x", ch);
      n = 1;
    } else {
      fwrite(s, 1, n, stdout);
    }
    s += n;
  }
  putchar('"');
}

/* A name in text or tsv output, C-style escaped so that a newline or a
 * tab in it cannot pass for a separator: \\ \n \t \r, and \xHH for the
 * other control bytes (0x01-0x1f, 0x7f).  Other bytes as they are. */
static void put_name_to(FILE *out, const char *str) {
  for (const unsigned char *s = (const unsigned char *)str; *s; s++) {
    switch (*s) {
    case '\\':
      fputs("\\\\", out);
      break;
    case '\n':
      fputs("\\n", out);
      break;
    case '\t':
      fputs("\\t", out);
      break;
    case '\r':
      fputs("\\r", out);
      break;
    default:
      if (*s < 0x20 || *s == 0x7f)
        fprintf(out, "\\x%02x", *s);
      else
        putc(*s, out);
    }
  }
}

static void put_name(const char *str) { put_name_to(stdout, str); }

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
    size_t ng;
    const size_t *g = dedup_corpus_story_copy_groups(c, k, &ng);
    for (size_t i = 0; i < ng; i++) {
      size_t gn;
      const size_t *gm = dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY,
                                                      g[i], &gn);
      printf(i ? ",[" : "[");
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
  size_t nl;
  const size_t *li = dedup_corpus_cluster_links(c, level, k, &nl);
  for (size_t i = 0; i < nl; i++) {
    size_t a, b;
    double s;
    dedup_corpus_link(c, level, li[i], &a, &b, &s);
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
  const dedup_corpus *c = r->res;
  dedup_level level = r->o.level;
  size_t nc = dedup_corpus_cluster_count(c, level);
  for (size_t k = 0; k < nc && !ferror(stdout); k++) {
    size_t n;
    const size_t *m = dedup_corpus_cluster_members(c, level, k, &n);
    if (n < 2 && !r->o.all)
      continue;
    /* -0: names unescaped, each followed by a NUL; in text, a cluster
     * ends with one more NUL (an empty name, which no path is); in tsv,
     * each "ID<TAB>NAME" ends with a NUL instead of a newline. */
    int nul = r->o.null_sep;
    switch (r->o.format) {
    case FMT_TEXT:
      for (size_t i = 0; i < n; i++) {
        const char *name = dedup_corpus_item_name(c, m[i]);
        if (nul) {
          fputs(name, stdout);
          putchar('\0');
        } else {
          if (i)
            putchar(' ');
          put_name(name);
        }
      }
      putchar(nul ? '\0' : '\n');
      break;
    case FMT_TSV:
      for (size_t i = 0; i < n; i++) {
        const char *name = dedup_corpus_item_name(c, m[i]);
        printf("%zu\t", k);
        if (nul)
          fputs(name, stdout);
        else
          put_name(name);
        putchar(nul ? '\0' : '\n');
      }
      break;
    default:
      print_json_cluster(c, level, k);
    }
  }
}

/* No line of output can look like a failure: say that nothing clustered
 * (on stderr, not with -q; with --all every item is listed anyway). */
static void say_if_empty(run *r) {
  const dedup_corpus *c = r->res;
  if (r->o.quiet || r->o.all)
    return;
  size_t nc = dedup_corpus_cluster_count(c, r->o.level);
  for (size_t k = 0; k < nc; k++) {
    size_t n;
    (void)dedup_corpus_cluster_members(c, r->o.level, k, &n);
    if (n >= 2)
      return;
  }
  size_t items = dedup_corpus_item_count(c);
  progress_clear(r);
  if (items < 2)
    fprintf(stderr, PROG ": %zu item%s, nothing to compare; 0 "
            "clusters of 2+\n", items, items == 1 ? "" : "s");
  else if (r->o.level == DEDUP_LEVEL_COPY)
    fprintf(stderr, PROG ": no two of the %zu items are copies "
            "(--level copy); 0 clusters of 2+\n", items);
  else
    fprintf(stderr, PROG ": no two of the %zu items tell the same "
            "story; 0 clusters of 2+\n", items);
}

/* ---- --explain: the library computes, this prints -------------------- */

static size_t find_item(const dedup_corpus *c, const char *name) {
  size_t i;
  return dedup_corpus_item_find(c, name, &i) == DEDUP_OK ? i : SIZE_MAX;
}

/* Terminal cells of UTF-8 text: wcwidth per character (CJK 2, combining
 * marks 0), under a UTF-8 LC_CTYPE set by explain(); without one, or for
 * bytes that do not decode, one cell per character or byte. */
static size_t display_width(const char *s) {
  mbstate_t ms;
  memset(&ms, 0, sizeof ms);
  size_t cells = 0, left = strlen(s);
  while (left) {
    wchar_t wc;
    size_t n = mbrtowc(&wc, s, left, &ms);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
      memset(&ms, 0, sizeof ms);
      n = 1;
      cells++;
    } else {
      int w = wcwidth(wc);
      cells += w < 0 ? 1 : (size_t)w;
    }
    s += n;
    left -= n;
  }
  return cells;
}

static const char *cmp_sign(double x, double t) { return x >= t ? ">=" : "<"; }

static void print_explain_text(const dedup_corpus *c,
                               const dedup_explanation *e) {
  int mh = e->method == DEDUP_METHOD_MINHASH;
  fputs("A  ", stdout);
  put_name(dedup_corpus_item_name(c, e->a));
  printf("  (item %zu, %zu words)\n", e->a, e->words_a);
  fputs("B  ", stdout);
  put_name(dedup_corpus_item_name(c, e->b));
  printf("  (item %zu, %zu words)\n\n", e->b, e->words_b);

  printf("Languages: %s, %s%s\n", e->lang_a, e->lang_b,
         strcmp(e->lang_a, e->lang_b)
             ? " (documents of two languages share no story term)"
             : "");
  printf("Copy level (near-verbatim copies): ");
  if (e->same_copy_group && (e->copy_linked || e->a == e->b))
    printf("same copy group, linked: %.4f %s %g\n", e->copy_similarity,
           cmp_sign(e->copy_similarity, e->copy_threshold),
           e->copy_threshold);
  else if (e->same_copy_group)
    printf("same copy group, through other copies (single link)\n");
  else if (e->copy_similarity >= e->copy_threshold)
    printf("different copy groups, though %.4f >= %g: LSH did not\n"
           "  offer the pair as a candidate\n",
           e->copy_similarity, e->copy_threshold);
  else
    printf("different copy groups: %.4f < %g\n", e->copy_similarity,
           e->copy_threshold);
  printf("  minhash  est. Jaccard  %.4f  %-2s %g%s\n", e->minhash_jaccard,
         cmp_sign(e->minhash_jaccard, e->minhash_threshold),
         e->minhash_threshold, mh ? "  (method used)" : "");
  printf("  simhash  similarity    %.4f  %-2s %g%s  (%u of 64 bits differ)\n",
         e->simhash_similarity,
         cmp_sign(e->simhash_similarity, e->simhash_threshold),
         e->simhash_threshold, mh ? "" : "  (method used)",
         e->simhash_distance);
  printf("  exact Jaccard of word shingles  %.4f  (%zu shared; %zu in A, "
         "%zu in B)\n",
         e->jaccard, e->shingles_shared, e->shingles_a, e->shingles_b);
  if (e->n_passages)
    printf("  longest shared passages:\n");
  for (size_t i = 0; i < e->n_passages; i++)
    printf("    %4zu words  \"%s\"\n", e->passages[i].words,
           e->passages[i].text);

  printf("\nStory level (same story, any words): ");
  if (!e->story_computed) {
    printf("not computed (copy level only: --level copy, or an index "
           "saved so)\n");
    return;
  }
  double cs = e->story_cosine, t = e->story_threshold;
  if (e->same_copy_group)
    printf("same story: they are copies\n");
  else if (e->same_story && cs >= t)
    printf("same story: cosine %.4f >= %g\n", cs, t);
  else if (e->same_story)
    printf("same story through other articles: cosine %.4f < %g,\n"
           "  but the average link of their clusters is >= %g\n",
           cs, t, t);
  else if (cs >= t)
    printf("different stories: cosine %.4f >= %g, but the average\n"
           "  link of their clusters is < %g\n", cs, t, t);
  else
    printf("different stories: cosine %.4f < %g\n", cs, t);
  if (e->rep_a != e->a || e->rep_b != e->b)
  {
    fputs("  (compared as the longest of their copies: ", stdout);
    put_name(dedup_corpus_item_name(c, e->rep_a));
    fputs(" and ", stdout);
    put_name(dedup_corpus_item_name(c, e->rep_b));
    fputs(")\n", stdout);
  }
  /* The weights depend on the corpus: say which one. */
  size_t groups = dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY);
  size_t items = dedup_corpus_item_count(c);
  printf("  IDF from this run's corpus: %zu copy group%s (of %zu item%s), "
         "one document\n  each, plus articles embedded in their pages; "
         "other files, other weights\n",
         groups, groups == 1 ? "" : "s", items, items == 1 ? "" : "s");
  if (e->n_terms)
    printf("  shared terms that weigh most (weight in A x in B = share):\n");
  for (size_t i = 0; i < e->n_terms; i++) {
    /* %-20s pads bytes; a column of words pads display cells. */
    size_t w = display_width(e->terms[i].word);
    printf("    %s%*s %.4f x %.4f = %.4f\n", e->terms[i].word,
           w < 20 ? (int)(20 - w) : 0, "", e->terms[i].weight_a,
           e->terms[i].weight_b, e->terms[i].contribution);
  }
}

static void json_bool(const char *key, int v) {
  printf(",\"%s\":%s", key, v ? "true" : "false");
}

/* kept[2]: the texts the run kept of A and B (--show-text), or NULL. */
static void print_explain_json(const dedup_corpus *c,
                               const dedup_explanation *e, char **kept) {
  printf("{\"a\":");
  json_str(dedup_corpus_item_name(c, e->a));
  printf(",\"b\":");
  json_str(dedup_corpus_item_name(c, e->b));
  printf(",\"words_a\":%zu,\"words_b\":%zu", e->words_a, e->words_b);
  printf(",\"lang_a\":\"%s\",\"lang_b\":\"%s\"", e->lang_a, e->lang_b);
  printf(",\"copy\":{\"method\":\"%s\",\"similarity\":%.4f,"
         "\"threshold\":%.4f",
         e->method == DEDUP_METHOD_MINHASH ? "minhash" : "simhash",
         e->copy_similarity, e->copy_threshold);
  json_bool("same_group", e->same_copy_group);
  json_bool("linked", e->copy_linked);
  printf(",\"minhash_jaccard\":%.4f,\"minhash_threshold\":%.4f,"
         "\"simhash_similarity\":%.4f,\"simhash_distance\":%u,"
         "\"simhash_threshold\":%.4f,\"jaccard\":%.4f,"
         "\"shingles_a\":%zu,\"shingles_b\":%zu,\"shingles_shared\":%zu,"
         "\"passages\":[",
         e->minhash_jaccard, e->minhash_threshold, e->simhash_similarity,
         e->simhash_distance, e->simhash_threshold, e->jaccard,
         e->shingles_a, e->shingles_b, e->shingles_shared);
  for (size_t i = 0; i < e->n_passages; i++) {
    printf("%s{\"words\":%zu,\"text\":", i ? "," : "",
           e->passages[i].words);
    json_str(e->passages[i].text);
    putchar('}');
  }
  printf("]}");
  if (kept) {
    printf(",\"kept_text\":{\"a\":");
    json_str(kept[0]);
    printf(",\"b\":");
    json_str(kept[1]);
    putchar('}');
  }
  printf(",\"story\":");
  if (!e->story_computed) {
    printf("null}\n");
    return;
  }
  printf("{\"cosine\":%.4f,\"representatives\":[", e->story_cosine);
  json_str(dedup_corpus_item_name(c, e->rep_a));
  putchar(',');
  json_str(dedup_corpus_item_name(c, e->rep_b));
  printf("],\"threshold\":%.4f", e->story_threshold);
  json_bool("same_story", e->same_story);
  printf(",\"copy_groups\":%zu,\"items\":%zu",
         dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY),
         dedup_corpus_item_count(c));
  printf(",\"terms\":[");
  for (size_t i = 0; i < e->n_terms; i++) {
    printf("%s{\"word\":", i ? "," : "");
    json_str(e->terms[i].word);
    printf(",\"weight_a\":%.4f,\"weight_b\":%.4f,\"contribution\":%.4f}",
           e->terms[i].weight_a, e->terms[i].weight_b,
           e->terms[i].contribution);
  }
  printf("]}}\n");
}

static int explain(run *r) {
  size_t id[2];
  for (int k = 0; k < 2; k++) {
    id[k] = find_item(r->c, r->o.explain[k]);
    if (id[k] == SIZE_MAX) {
      int split = (r->o.p.flags & DEDUP_F_SPLIT_EMBEDDED) != 0;
      const char *hint = "";
      if (r->o.n_jsonl)
        hint = " (with --jsonl, name documents by their ids)";
      else if (r->o.load)
        hint = " (with --load, name it as a FILE to add it)";
      else if (strchr(r->o.explain[k], '#') && !split)
        hint = " (embedded articles need --split-embedded)";
      fprintf(stderr, PROG ": %s: not among the clustered items%s\n",
              r->o.explain[k], hint);
      return EXIT_UNREADABLE;
    }
  }
  dedup_explanation *e;
  int rc = dedup_corpus_explain(&e, r->c, id[0], id[1]);
  if (rc != DEDUP_OK) {
    fprintf(stderr, PROG ": %s\n", dedup_strerror(rc));
    return EXIT_FAIL;
  }
  /* Display widths of terms; numbers and names are not affected. */
  if (!setlocale(LC_CTYPE, "C.UTF-8"))
    (void)setlocale(LC_CTYPE, "en_US.UTF-8");
  char *kept[2] = {NULL, NULL};
  for (int k = 0; k < 2 && r->o.show_text; k++) {
    rc = dedup_corpus_item_text(&kept[k], NULL, r->c, id[k]);
    if (rc != DEDUP_OK) {
      fprintf(stderr, PROG ": %s\n", dedup_strerror(rc));
      dedup_free(kept[0]);
      dedup_explanation_free(e);
      return EXIT_FAIL;
    }
  }
  if (r->o.format == FMT_JSON) {
    print_explain_json(r->c, e, r->o.show_text ? kept : NULL);
  } else {
    print_explain_text(r->c, e);
    for (int k = 0; k < 2 && r->o.show_text; k++) {
      printf("\nText kept of %c (%s), after page cleaning:\n", "AB"[k],
             dedup_corpus_item_name(r->c, id[k]));
      fputs(kept[k], stdout);
    }
  }
  dedup_free(kept[0]);
  dedup_free(kept[1]);
  dedup_explanation_free(e);
  return r->status;
}

/* ---- --index: the service index, one document at a time -------------- */

static int add_all(run *r);

/* The ids one add merged away, per level: each with the id that holds
 * its documents now (the document's own, or, when the add's look at old
 * groups merged two others, theirs). */
typedef struct svc_merge {
  uint64_t from, into;
} svc_merge;

typedef struct svc_merges {
  svc_merge *v;
  size_t n, cap;
} svc_merges;

static int cmp_merge(const void *x, const void *y) {
  const svc_merge *a = x, *b = y;
  return (a->from > b->from) - (a->from < b->from);
}

static void merges_push(run *r, svc_merges *m, uint64_t from,
                        uint64_t into) {
  if (m->n == m->cap) {
    size_t nc = m->cap ? m->cap * 2 : 8;
    svc_merge *nv = realloc(m->v, nc * sizeof *nv);
    if (!nv)
      out_of_memory(r);
    m->v = nv;
    m->cap = nc;
  }
  m->v[m->n++] = (svc_merge){from, into};
}

/* "3,5": ids merged into own; "3>7": one merged into another id. */
static void put_merged(const svc_merges *m, uint64_t own) {
  for (size_t i = 0; i < m->n; i++) {
    printf("%s%llu", i ? "," : "", (unsigned long long)m->v[i].from);
    if (m->v[i].into != own)
      printf(">%llu", (unsigned long long)m->v[i].into);
  }
}

/* "merged_copies":[3,5] (the ids merged away), and, when some went into
 * another id than the document's, "merged_copies_into":{"3":7}. */
static void json_merged(const char *key, const svc_merges *m,
                        uint64_t own) {
  printf(",\"%s\":[", key);
  size_t other = 0;
  for (size_t i = 0; i < m->n; i++) {
    printf("%s%llu", i ? "," : "", (unsigned long long)m->v[i].from);
    other += m->v[i].into != own;
  }
  putchar(']');
  if (!other)
    return;
  printf(",\"%s_into\":{", key);
  for (size_t i = 0, k = 0; i < m->n; i++)
    if (m->v[i].into != own)
      printf("%s\"%llu\":%llu", k++ ? "," : "",
             (unsigned long long)m->v[i].from,
             (unsigned long long)m->v[i].into);
  putchar('}');
}

static void svc_header(const run *r) {
  if (r->o.format != FMT_TSV)
    return;
  if (r->o.list)
    fputs("id\tcopy_id\tstory_id\n", stdout);
  else
    fputs("id\tcopy_id\tcopy\tcopy_sim\tstory_id\tstory\tstory_sim\t"
          "merged_copies\tmerged_stories\n", stdout);
}

/* One document's assignment (deferred: 0, what an add with --defer
 * leaves until the next rebuild); m[0], m[1]: the copy groups and the
 * stories merged. */
static void print_assignment(const run *r, const char *id,
                             const dedup_assignment *a, int deferred,
                             const svc_merges *m) {
  const char *cw = deferred ? "deferred" : a->copy_joined ? "joined" : "new";
  const char *sw = deferred ? "deferred" : a->story_joined ? "joined" : "new";
  unsigned long long cid = a->copy_id, sid = a->story_id;
  switch (r->o.format) {
  case FMT_TEXT:
    put_name(id);
    if (deferred) {
      fputs("\tdeferred\n", stdout);
      return;
    }
    /* A query's id 0 is a group or story it would start. */
    if (cid)
      printf("\tcopy %llu %s", cid, cw);
    else
      printf("\tcopy %s", cw);
    if (sid)
      printf("\tstory %llu %s", sid, sw);
    else
      printf("\tstory %s", sw);
    if (m[0].n) {
      fputs(" merged copies ", stdout);
      put_merged(&m[0], a->copy_id);
    }
    if (m[1].n) {
      fputs(" merged stories ", stdout);
      put_merged(&m[1], a->story_id);
    }
    putchar('\n');
    break;
  case FMT_TSV:
    put_name(id);
    printf("\t%llu\t%s\t%.4f\t%llu\t%s\t%.4f\t", cid, cw, a->copy_sim, sid,
           sw, a->story_sim);
    if (m[0].n)
      put_merged(&m[0], a->copy_id);
    else
      putchar('-');
    putchar('\t');
    if (m[1].n)
      put_merged(&m[1], a->story_id);
    else
      putchar('-');
    putchar('\n');
    break;
  default:
    fputs("{\"id\":", stdout);
    json_str(id);
    printf(",\"copy_id\":%llu,\"copy\":\"%s\",\"copy_sim\":%.4f,"
           "\"story_id\":%llu,\"story\":\"%s\",\"story_sim\":%.4f",
           cid, cw, a->copy_sim, sid, sw, a->story_sim);
    json_merged("merged_copies", &m[0], a->copy_id);
    json_merged("merged_stories", &m[1], a->story_id);
    fputs("}\n", stdout);
  }
}

/* What an add merged: the index's merge log past `since` (the
 * assignment lists only the merges of the document's own groups; an
 * add's look at old groups can merge others, and every merge is in the
 * log), or for a query the assignment's lists. */
static void collect_merges(run *r, const dedup_assignment *a, size_t since,
                           svc_merges *m) {
  if (r->o.query) {
    for (size_t i = 0; i < a->n_copy_merged &&
                       i < DEDUP_ASSIGNMENT_MERGES; i++)
      merges_push(r, &m[0], a->copy_merged[i], a->copy_id);
    for (size_t i = 0; i < a->n_story_merged &&
                       i < DEDUP_ASSIGNMENT_MERGES; i++)
      merges_push(r, &m[1], a->story_merged[i], a->story_id);
    return;
  }
  size_t n = dedup_index_merge_count(r->ix);
  for (size_t i = since; i < n; i++) {
    dedup_level level;
    uint64_t from, into, now;
    if (dedup_index_merge(r->ix, i, &level, &from, &into) != DEDUP_OK)
      continue;
    if (dedup_index_resolve(r->ix, level, into, &now) != DEDUP_OK)
      now = into;
    merges_push(r, &m[level == DEDUP_LEVEL_STORY], from, now);
  }
  for (int k = 0; k < 2; k++)
    if (m[k].n > 1)
      qsort(m[k].v, m[k].n, sizeof *m[k].v, cmp_merge);
}

static void say_status(const char *path, const char *what, int rc,
                       int err);

/* A journal whose last save was cut short (a crash, a full disk): the
 * index opened as its last complete save left it, which is said. */
static void say_journal(const run *r, const char *path) {
  dedup_index_journal_info j;
  memset(&j, 0, sizeof j);
  j.version = DEDUP_INDEX_JOURNAL_INFO_VERSION;
  if (dedup_index_journal(r->ix, &j) != DEDUP_OK || !j.ignored)
    return;
  fprintf(stderr, PROG ": %s.journal: warning: %llu bytes after its last "
          "complete save left out (a save cut short); the index is as "
          "that save left it\n", path, (unsigned long long)j.ignored);
}

/* The index saved to its own file (--sync), or the failure said and the
 * run ended (the document is in memory, not on disk: no line says it is
 * there), with exit 1 (3 out of memory). */
static void svc_sync(run *r) {
  int rc = dedup_index_save(r->ix, NULL);
  if (rc == DEDUP_OK)
    return;
  int err = errno;
  progress_clear(r);
  say_status(r->o.index, "index not saved: ", rc, err);
  die(rc == DEDUP_ENOMEM ? EXIT_FAIL : EXIT_UNREADABLE);
}

/* A document given to the index (or, with --query, asked about): id
 * names it in the output, where in messages (a path, or FILE:LINE). */
static void svc_add(run *r, const char *id, const char *where,
                    const char *text, size_t len,
                    const dedup_doc_meta *meta) {
  r->pr.files_done++;
  r->pr.bytes_done += (double)len;
  dedup_assignment a;
  memset(&a, 0, sizeof a);
  a.version = DEDUP_ASSIGNMENT_VERSION;
  size_t since = dedup_index_merge_count(r->ix);
  int rc = r->o.query
               ? dedup_index_query(r->ix, text, len, meta, &a)
               : dedup_index_add(r->ix, id, text, len, meta, r->add_flags,
                                 &a);
  /* --sync: the add saved (appended to the journal) before its line
   * says it is there. */
  if (rc == DEDUP_OK && r->o.sync && !r->o.query)
    svc_sync(r);
  switch (rc) {
  case DEDUP_OK:
    r->added++;
    if (r->print_adds) {
      svc_merges m[2] = {{0}, {0}};
      collect_merges(r, &a, since, m);
      progress_clear(r);
      print_assignment(r, id, &a, (r->add_flags & DEDUP_ADD_DEFER) != 0, m);
      free(m[0].v);
      free(m[1].v);
      if (r->o.sync)
        fflush(stdout);
    }
    break;
  case DEDUP_EEXIST:
    warn(r, where, "id already in the index; skipped (--replace "
         "replaces it)");
    r->status = EXIT_UNREADABLE;
    break;
  case DEDUP_ENOMEM:
    out_of_memory(r);
    break;
  default:
    refused(r, where, rc, len);
  }
  progress_draw(r, 0);
}

/* --list: every document in the order added, with its stable ids. */
static void svc_list(const run *r) {
  size_t n = dedup_index_doc_count(r->ix);
  for (size_t i = 0; i < n && !ferror(stdout); i++) {
    dedup_index_doc_info d;
    if (dedup_index_doc(r->ix, i, &d) != DEDUP_OK)
      continue;
    unsigned long long cid = d.copy_id, sid = d.story_id;
    switch (r->o.format) {
    case FMT_TEXT:
      put_name(d.id);
      if (cid)
        printf("\tcopy %llu\tstory %llu\n", cid, sid);
      else
        fputs("\tdeferred\n", stdout);
      break;
    case FMT_TSV:
      put_name(d.id);
      printf("\t%llu\t%llu\n", cid, sid);
      break;
    default:
      fputs("{\"id\":", stdout);
      json_str(d.id);
      printf(",\"copy_id\":%llu,\"story_id\":%llu}\n", cid, sid);
    }
  }
}

/* "PATH: why" for a library status, errno's text after an EIO. */
static void say_status(const char *path, const char *what, int rc,
                       int err) {
  fprintf(stderr, PROG ": %s: %s%s%s%s\n", path, what,
          dedup_strerror(rc), rc == DEDUP_EIO ? ": " : "",
          rc == DEDUP_EIO ? strerror(err) : "");
}

static void say_locked(const char *path) {
  fprintf(stderr, PROG ": %s: locked: another dedup-cluster holds "
          "%s.lock (one writer at a time; --query and --list alone only "
          "read)\n", path, path);
}

/* The matching options given that differ from the index's: a message,
 * and 1; or 0. */
static int params_differ(const opts *o, const dedup_params *ix) {
  const dedup_params *p = &o->p;
  unsigned g = o->param_given;
  char given[64] = "", saved[64] = "";
  const char *name = NULL;
#define DIFF(bit, nm, cond, fmt, a, b)                                       \
  if (!name && (g & (bit)) && (cond)) {                                    \
    name = nm;                                                             \
    snprintf(given, sizeof given, fmt, a);                                 \
    snprintf(saved, sizeof saved, fmt, b);                                 \
  }
  DIFF(CLI_P_THRESHOLD, "threshold", p->threshold != ix->threshold, "%g",
       p->threshold, ix->threshold)
  DIFF(CLI_P_STORY_THRESHOLD, "story-threshold",
       p->story_threshold != ix->story_threshold, "%g", p->story_threshold,
       ix->story_threshold)
  DIFF(CLI_P_STORY_DAYS, "story-days",
       (p->story_days < 0) != (ix->story_days < 0) ||
           (p->story_days >= 0 && p->story_days != ix->story_days),
       "%g", p->story_days, ix->story_days)
  DIFF(CLI_P_METHOD, "method", p->method != ix->method, "%s",
       p->method == DEDUP_METHOD_SIMHASH ? "simhash" : "minhash",
       ix->method == DEDUP_METHOD_SIMHASH ? "simhash" : "minhash")
  DIFF(CLI_P_SHINGLE, "shingle", p->shingle_k != ix->shingle_k, "%u",
       p->shingle_k, ix->shingle_k)
  DIFF(CLI_P_PERMS, "perms", p->num_perm != ix->num_perm, "%u",
       p->num_perm, ix->num_perm)
  DIFF(CLI_P_SEED, "seed", p->seed != ix->seed, "%llu",
       (unsigned long long)p->seed, (unsigned long long)ix->seed)
  DIFF(CLI_P_CLASSIC, "classic", ix->minhash_kind != DEDUP_MINHASH_CLASSIC,
       "%s", "given", "OPH MinHash")
  DIFF(CLI_P_NO_CLEAN, "no-clean", !(ix->flags & DEDUP_F_NO_CLEAN), "%s",
       "given", "pages cleaned")
  DIFF(CLI_P_NO_LANGID, "no-langid", !(ix->flags & DEDUP_F_NO_LANGID),
       "%s", "given", "languages identified")
#undef DIFF
  if (!name)
    return 0;
  if (!strcmp(given, "given"))
    fprintf(stderr, PROG ": --%s cannot be used with --index %s: "
            "the index was made without it (%s); it fixes the matching "
            "options\n", name, o->index, saved);
  else if (!strcmp(name, "story-days") && (p->story_days < 0 ||
                                           ix->story_days < 0))
    fprintf(stderr, PROG ": --story-days %s differs from the "
            "index's %s (it fixes the matching options)\n",
            p->story_days < 0 ? "off" : given,
            ix->story_days < 0 ? "off" : saved);
  else
    fprintf(stderr, PROG ": --%s %s differs from the index's %s "
            "(it fixes the matching options)\n", name, given, saved);
  return 1;
}

/* Only --list or --query: nothing to change, nothing saved, no lock. */
static int svc_read_only(const opts *o, int from_load) {
  if (o->query)
    return 1;
  if (from_load)
    return !o->n_files && !o->n_jsonl && !o->save;
  return o->list && !o->n_files && !o->n_jsonl && !o->n_remove &&
         !o->expire && !o->rebuild && !o->compact;
}

/* The service mode: --index PATH (or --load of a service index,
 * from_load: listed after the adds, saved to --save only). */
static int service(run *r, int from_load) {
  opts *o = &r->o;
  const char *path = o->index;
  int read_only = svc_read_only(o, from_load);
  if (from_load)
    o->list = 1; /* the stable ids of all, after the adds */
  struct stat st;
  int exists = lstat(path, &st) == 0;
  if (!exists && errno != ENOENT) {
    fprintf(stderr, PROG ": %s: index refused: %s\n", path,
            strerror(errno));
    return EXIT_INDEX;
  }
  if (exists && !S_ISREG(st.st_mode)) {
    fprintf(stderr, PROG ": %s: index refused: %s, not a regular "
            "file\n", path, file_type(st.st_mode));
    return EXIT_INDEX;
  }
  if (!exists && read_only) {
    fprintf(stderr, PROG ": %s: no such index (%s makes none)\n",
            path, o->query ? "--query" : "--list");
    return EXIT_INDEX;
  }
  int rc = DEDUP_EEXIST;
  if (!exists) {
    /* Made under its lock: of two runs creating one index, the second
     * waits for nothing and is told (or opens what the first made). */
    rc = dedup_index_create(&r->ix, path, &o->p,
                            o->keep_texts ? DEDUP_INDEX_KEEP_TEXTS : 0);
    if (rc == DEDUP_ELOCKED) {
      say_locked(path);
      return EXIT_INDEX;
    }
    if (rc != DEDUP_OK && rc != DEDUP_EEXIST) {
      int err = errno;
      say_status(path, "cannot create the index: ", rc, err);
      return rc == DEDUP_EINVAL ? EXIT_USAGE
             : rc == DEDUP_EIO  ? EXIT_UNREADABLE
                                : EXIT_FAIL;
    }
  }
  if (rc == DEDUP_EEXIST) {
    rc = dedup_index_open(&r->ix, path,
                          read_only ? DEDUP_INDEX_READ_ONLY : 0);
    if (rc != DEDUP_OK) {
      int err = errno;
      if (rc == DEDUP_ELOCKED)
        say_locked(path);
      else
        say_status(path, "index refused: ", rc, err);
      return rc == DEDUP_ENOMEM ? EXIT_FAIL : EXIT_INDEX;
    }
    say_journal(r, path);
    dedup_params saved;
    if (dedup_index_params(r->ix, &saved, DEDUP_PARAMS_VERSION) !=
            DEDUP_OK ||
        params_differ(o, &saved)) {
      dedup_index_free(r->ix);
      return EXIT_USAGE;
    }
    if (o->keep_texts && !dedup_index_keeps_texts(r->ix)) {
      fprintf(stderr, PROG ": --keep-texts: the index %s was made "
              "without it (texts are kept or not from the start)\n", path);
      dedup_index_free(r->ix);
      return EXIT_USAGE;
    }
  }
  r->add_flags = (o->replace ? DEDUP_ADD_REPLACE : 0) |
                 (o->defer ? DEDUP_ADD_DEFER : 0);
  r->print_adds = !o->list && !from_load;
  for (int i = 0; i < o->n_remove; i++) {
    rc = dedup_index_remove(r->ix, o->remove[i]);
    if (rc == DEDUP_ENOTFOUND) {
      warn(r, o->remove[i], "--remove: no such id in the index");
      r->status = EXIT_UNREADABLE;
    } else if (rc != DEDUP_OK) {
      fprintf(stderr, PROG ": --remove %s: %s\n", o->remove[i],
              dedup_strerror(rc));
      dedup_index_free(r->ix);
      return EXIT_FAIL;
    }
  }
  if (o->expire) {
    size_t n = 0;
    rc = dedup_index_expire(r->ix, o->expire_at, &n);
    if (rc != DEDUP_OK) {
      fprintf(stderr, PROG ": --expire: %s\n", dedup_strerror(rc));
      dedup_index_free(r->ix);
      return EXIT_FAIL;
    }
    if (!o->quiet)
      fprintf(stderr, PROG ": %zu document%s dated before %s "
              "removed\n", n, n == 1 ? "" : "s", o->expire);
  }
  if (r->print_adds)
    svc_header(r);
  if ((rc = add_all(r)) != 0) {
    dedup_index_free(r->ix);
    return rc;
  }
  if (o->rebuild) {
    rc = dedup_index_rebuild(r->ix, &o->ro);
    if (rc == DEDUP_ESTATE) {
      fprintf(stderr, PROG ": --rebuild: the index %s does not keep "
              "its documents' texts (make it with --keep-texts, or add "
              "every document with --defer)\n", path);
      dedup_index_free(r->ix);
      return EXIT_USAGE;
    }
    if (rc != DEDUP_OK) {
      fprintf(stderr, PROG ": --rebuild: %s\n", dedup_strerror(rc));
      dedup_index_free(r->ix);
      return EXIT_FAIL;
    }
  }
  /* Saved before the list is printed, as --save does (a reader that goes
   * away must not lose the index); the add lines came as they were
   * made. */
  const char *target = from_load ? o->save : path;
  if (!read_only && target) {
    rc = o->compact && target == path ? dedup_index_compact(r->ix)
                                      : dedup_index_save(r->ix, target);
    if (rc != DEDUP_OK) {
      int err = errno;
      if (rc == DEDUP_ELOCKED)
        say_locked(target);
      else
        say_status(target, "index not saved: ", rc, err);
      int s = rc == DEDUP_ENOMEM    ? EXIT_FAIL
              : rc == DEDUP_ELOCKED ? EXIT_INDEX
                                    : EXIT_UNREADABLE;
      if (s > r->status)
        r->status = s;
    }
  }
  if (o->list || from_load) {
    svc_header(r);
    svc_list(r);
  }
  dedup_index_free(r->ix);
  r->ix = NULL;
  return r->status;
}

/* The first 8 bytes of a service index file (dedup_index_save). */
#define SVC_MAGIC "DEDUPSVC"

/* 1 when path is a readable regular file that starts as a service index
 * does; 0 otherwise (the corpus loader says what is wrong with it). */
static int is_service_index(const char *path) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return 0;
  struct stat st;
  char head[8];
  int yes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            read(fd, head, sizeof head) == (ssize_t)sizeof head &&
            !memcmp(head, SVC_MAGIC, sizeof head);
  close(fd);
  return yes;
}

/* Standard output written out: the status, or 1 when it could not be. */
static int flush_stdout(int status) {
  errno = 0;
  int out_err = fflush(stdout) != 0 || ferror(stdout);
  if (out_err) {
    fprintf(stderr, PROG ": standard output: write error: %s\n",
            errno ? strerror(errno) : "unknown error");
    if (status < EXIT_UNREADABLE)
      status = EXIT_UNREADABLE;
  }
  return status;
}

/* Reads the inputs (FILE operands, the '-' list, -r walks, or --jsonl)
 * and adds each, in order, to the corpus or the service index.  0, or
 * the exit status of a failure that ends the run. */
static int add_all(run *r) {
  int rc = 0, stdin_list = 0, from_stdin = 0;
  cli_paths in = {0};
  for (int i = 0; i < r->o.n_files; i++)
    from_stdin |= !strcmp(r->o.files[i], "-");
  for (int i = 0; i < r->o.n_jsonl; i++)
    from_stdin |= !strcmp(r->o.jsonl[i], "-");
  if (from_stdin && share_stdin() != 0)
    return EXIT_FAIL;
  for (int i = 0; i < r->o.n_files && rc == 0; i++) {
    if (!strcmp(r->o.files[i], "-")) {
      if (!stdin_list++)
        rc = cli_read_list(&in, stdin, r->o.null_sep);
    } else {
      rc = cli_paths_push(&in, r->o.files[i]);
    }
  }
  if (rc == -2) {
    if (shard_speaks())
      fprintf(stderr, PROG ": standard input: the list of paths "
            "holds a NUL byte (for a NUL-separated list, as find -print0 "
            "writes, use -0)\n");
    cli_paths_free(&in);
    return EXIT_USAGE;
  }
  if (rc != 0) {
    fprintf(stderr, PROG ": %s\n", rc == -1 && ferror(stdin)
            ? "standard input: read error" : dedup_strerror(DEDUP_ENOMEM));
    cli_paths_free(&in);
    return EXIT_FAIL;
  }
  r->pr.on = !r->o.quiet && isatty(STDERR_FILENO) && shard_speaks();
  if (r->o.n_jsonl) {
    /* No stat pass (a stream's size is unknown): the ticker only. */
    add_jsonl(r);
  } else {
    if (r->pr.on) {
      r->counting = 1;
      add_inputs(r, &in);
      r->counting = 0;
      r->pr.t0 = now();
    }
    /* Files are read ahead on threads - 1 threads of their own (the
     * run's cores are idle until it begins; this thread, which adds them
     * in order, is the last); with --threads 1 it reads as it adds, as
     * without a pool. */
    unsigned threads = r->o.ro.threads;
    if (!threads) {
      long n = sysconf(_SC_NPROCESSORS_ONLN);
      threads = n > 0 ? (unsigned)n : 1;
    }
    if (threads > 1 &&
        ((r->batch = malloc(BATCH * sizeof *r->batch)) == NULL ||
         readpool_new(&r->rp, threads - 1, read_file) != 0))
      r->rp = NULL;
    add_inputs(r, &in);
    flush_reads(r);
    readpool_free(r->rp);
    r->rp = NULL;
    free(r->batch);
    r->batch = NULL;
    progress_draw(r, 1);
  }
  cli_paths_free(&in);
  return 0;
}

int main(int argc, char **argv) {
  run r = {0};
  char msg[1024];
  if (cli_parse(&r.o, argc, argv, msg, sizeof msg) != 0) {
    if (shard_speaks())
      fprintf(stderr, PROG ": %s\nTry '" PROG " --help'.\n", msg);
    return EXIT_USAGE;
  }
  if (!shard_speaks() && (r.o.help || r.o.version))
    return EXIT_DONE;
  if (r.o.help) {
    fputs(usage, stdout);
    fputs(usage2, stdout);
    fputs(usage_svc, stdout);
    fputs(usage_more, stdout);
    return EXIT_DONE;
  }
  if (r.o.version) {
    printf(PROG " %s\n", dedup_version_string());
    return EXIT_DONE;
  }
  if (refuse_unsupported(&r.o))
    return EXIT_USAGE;
  /* Listing copies needs no story level (an index keeps the documents
   * only, so a later --load can still list stories). */
  if (r.o.level == DEDUP_LEVEL_COPY)
    r.o.ro.levels = DEDUP_RUN_COPY;
  /* A closed pipe or a file size limit must not kill the process before
   * it says so (or, before this order, before the index was saved): the
   * writes fail with EPIPE or EFBIG instead, and are reported. */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
  /* Refused targets are refused before any work, not after an hour's. */
  struct stat st;
  if (r.o.save && lstat(r.o.save, &st) == 0 && !S_ISREG(st.st_mode)) {
    fprintf(stderr,
            PROG ": %s: index not saved: %s, not a regular file "
            "(only a regular file is replaced)\n",
            r.o.save, file_type(st.st_mode));
    return EXIT_UNREADABLE;
  }
  if (r.o.index || (r.o.load && is_service_index(r.o.load))) {
    int from_load = !r.o.index;
    if (from_load && r.o.explain[0]) {
      fprintf(stderr, PROG ": --explain: %s is a service index "
              "(--index), which keeps no corpus to explain\n", r.o.load);
      return EXIT_USAGE;
    }
    if (from_load)
      r.o.index = r.o.load;
    return flush_stdout(service(&r, from_load));
  }
  if (r.o.load) {
    int fd = open(r.o.load, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) &&
        !S_ISDIR(st.st_mode)) { /* a directory: the library's message */
      fprintf(stderr, PROG ": %s: index refused: %s, not a regular "
              "file\n", r.o.load, file_type(st.st_mode));
      close(fd);
      return EXIT_INDEX;
    }
    if (fd >= 0)
      close(fd);
  }

  int rc;
  if (r.o.load) {
    rc = dedup_corpus_load(&r.c, r.o.load);
    if (rc != DEDUP_OK) {
      int err = errno;
      fprintf(stderr, PROG ": %s: %s%s%s\n", r.o.load,
              dedup_strerror(rc), rc == DEDUP_EIO ? ": " : "",
              rc == DEDUP_EIO ? strerror(err) : "");
      return rc == DEDUP_ENOMEM ? EXIT_FAIL : EXIT_INDEX;
    }
  } else {
    rc = dedup_corpus_new(&r.c, &r.o.p);
    if (rc == DEDUP_EINVAL) { /* the options: alike on every rank */
      if (shard_speaks())
        fprintf(stderr, PROG ": %s\n", dedup_strerror(rc));
      return EXIT_USAGE;
    }
    if (rc != DEDUP_OK) {
      fprintf(stderr, PROG ": %s%s\n", who(), dedup_strerror(rc));
      die(EXIT_FAIL);
    }
  }
  if ((rc = add_all(&r)) != 0) {
    dedup_corpus_free(r.c);
    return rc;
  }
  rc = run_corpus(&r);
  if (rc != DEDUP_OK) {
    fprintf(stderr, PROG ": %s\n", dedup_strerror(rc));
    dedup_corpus_free(r.c);
    return EXIT_FAIL;
  }
  say_invalid(&r);
  /* The index first: saving syncs it to disk, which takes a while, but a
   * reader of the output that goes away (| head -1) must not lose it. */
  if (r.o.save) {
    rc = dedup_corpus_save(r.c, r.o.save);
    if (rc != DEDUP_OK) {
      int err = errno;
      fprintf(stderr, PROG ": %s: index not saved: %s%s%s\n",
              r.o.save, dedup_strerror(rc), rc == DEDUP_EIO ? ": " : "",
              rc == DEDUP_EIO ? strerror(err) : "");
      int st_save = rc == DEDUP_ENOMEM ? EXIT_FAIL : EXIT_UNREADABLE;
      if (st_save > r.status)
        r.status = st_save;
    }
  }
  if (r.o.explain[0]) {
    int st_ex = explain(&r);
    r.status = st_ex > r.status ? st_ex : r.status;
  } else if (r.res) { /* dedup-cluster-mpi: rank 0 */
    print_results(&r);
    say_if_empty(&r);
  }
  r.status = flush_stdout(r.status);
  if (r.res != r.c)
    dedup_corpus_free(r.res);
  dedup_corpus_free(r.c);
  return r.status;
}
