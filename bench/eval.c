/* dedup-eval - clusters a labelled folder and scores the result.
 *
 *   dedup-eval [CLI matching options] FOLDER
 *   dedup-eval [CLI matching options] --jsonl FILE LABELS.tsv
 *
 * FOLDER holds labels.tsv ("file<TAB>cluster" per line, an optional
 * "file<TAB>cluster" header) and the files it names, relative to FOLDER;
 * or data.jsonl and labels.tsv ("id<TAB>cluster"), read as --jsonl
 * FOLDER/data.jsonl FOLDER/labels.tsv.  With --jsonl the documents are
 * JSON Lines, as dedup-cluster --jsonl reads them (examples/jsonl.c: ids,
 * texts, titles, dates), and labels name them by id.
 * Prints pairwise and B-cubed precision/recall/F1 and, with --errors N, up
 * to N wrong merges and N missed pairs to read.  Uses dedup.h only. */
#define _POSIX_C_SOURCE 200809L
#include "dedup.h"
#include "../examples/jsonl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct entry {
  char *file;
  char *label;
  size_t truth;
  size_t item; /* item id after the run */
} entry;

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  size_t got;
  while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *nb = realloc(b, cap *= 2);
      if (!nb) {
        free(b);
        b = NULL;
      }
      b = nb;
    }
  }
  fclose(f);
  *len = n;
  return b;
}

static void keep_doc(const char *name, const char *text, size_t len,
                     const dedup_doc_meta *m);

/* Every document of a JSON Lines file, as dedup-cluster --jsonl adds
 * them (c NULL: kept for --stream).  Returns 0, 1 (lines skipped, said
 * on stderr) or -1 (not read). */
static int add_jsonl(dedup_corpus *c, const char *path) {
  jsonl_fields f = JSONL_FIELDS_INIT;
  jsonl_reader *r;
  char msg[256];
  if (jsonl_open(&r, path, &f, msg, sizeof msg) != 0) {
    fprintf(stderr, "dedup-eval: %s: %s\n", path, msg);
    return -1;
  }
  jsonl_ids ids = {0};
  jsonl_doc d;
  int k, status = 0;
  size_t docs = 0, undated = 0;
  while ((k = jsonl_next(r, &d)) != JSONL_END) {
    unsigned long line = jsonl_line(r), fl;
    const char *ff;
    if (k != JSONL_DOC) {
      fprintf(stderr, "dedup-eval: %s:%lu: %s\n", path, line,
              jsonl_message(r));
      status = 1;
      continue;
    }
    int dup = jsonl_ids_add(&ids, d.id, path, line, &ff, &fl);
    if (dup) {
      fprintf(stderr, "dedup-eval: %s:%lu: %s\n", path, line,
              dup < 0 ? "out of memory" : "id seen before; line skipped");
      status = 1;
      continue;
    }
    dedup_doc_meta meta;
    if (!jsonl_meta(&d, &meta))
      undated++;
    docs++;
    if (!c) {
      keep_doc(d.id, d.text, d.text_len, &meta);
      continue;
    }
    int rc = dedup_corpus_add_doc(c, d.id, d.text, d.text_len, &meta, NULL);
    if (rc)
      fprintf(stderr, "dedup-eval: %s:%lu: %s\n", path, line,
              dedup_strerror(rc));
  }
  jsonl_close(r);
  jsonl_ids_free(&ids);
  if (undated)
    fprintf(stderr, "dedup-eval: %zu of %zu documents have no usable date\n",
            undated, docs);
  return status;
}

/* --stream: documents kept to be added to an index one at a time, in
 * date order (undated ones keep their place among themselves, after the
 * dated), as a news service would receive them. */
typedef struct sdoc {
  char *name, *text, *title;
  size_t len, title_len;
  int has_date;
  int64_t date;
  const char *lang;
  size_t seq;
} sdoc;

static sdoc *sdocs;
static size_t n_sdocs, cap_sdocs;

static void keep_doc(const char *name, const char *text, size_t len,
                     const dedup_doc_meta *m) {
  if (n_sdocs == cap_sdocs) {
    cap_sdocs = cap_sdocs ? 2 * cap_sdocs : 1024;
    sdocs = realloc(sdocs, cap_sdocs * sizeof *sdocs);
    if (!sdocs)
      exit(3);
  }
  sdoc *d = &sdocs[n_sdocs];
  *d = (sdoc){0};
  d->name = strdup(name);
  d->text = malloc(len + 1);
  if (!d->name || !d->text)
    exit(3);
  memcpy(d->text, text, len);
  d->len = len;
  if (m && m->title) {
    d->title = malloc(m->title_len + 1);
    if (!d->title)
      exit(3);
    memcpy(d->title, m->title, m->title_len);
    d->title_len = m->title_len;
  }
  d->has_date = m && m->has_date;
  d->date = d->has_date ? m->date : 0;
  d->lang = m ? m->lang : NULL;
  d->seq = n_sdocs++;
}

static int cmp_sdoc(const void *a, const void *b) {
  const sdoc *x = a, *y = b;
  if (x->has_date != y->has_date)
    return x->has_date ? -1 : 1;
  if (x->has_date && x->date != y->date)
    return x->date < y->date ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_label(const void *a, const void *b) {
  return strcmp((*(entry *const *)a)->label, (*(entry *const *)b)->label);
}

/* The documents of a labelled set: the JSON Lines file, or the files
 * the labels name under folder; into corpus c, or kept for --stream
 * (c NULL).  Returns 0, 1 (some skipped, said on stderr) or -1. */
static int read_docs(dedup_corpus *c, const char *folder, const char *jsonl,
                     const entry *e, size_t n) {
  if (jsonl)
    return add_jsonl(c, jsonl);
  char path[4096];
  for (size_t i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", folder, e[i].file);
    size_t blen;
    char *buf = read_all(path, &blen);
    if (!buf) {
      fprintf(stderr, "dedup-eval: %s: cannot read\n", path);
      continue;
    }
    if (!c) {
      keep_doc(e[i].file, buf, blen, NULL);
    } else {
      int rc = dedup_corpus_add(c, e[i].file, buf, blen, NULL);
      if (rc)
        fprintf(stderr, "dedup-eval: %s: %s\n", path, dedup_strerror(rc));
    }
    free(buf);
  }
  return 0;
}

static void print_scores(const size_t *pred, const size_t *truth, size_t m) {
  dedup_scores s;
  if (dedup_eval_scores(&s, pred, truth, m) != DEDUP_OK)
    exit(3);
  printf("items %zu  true pairs %zu  predicted pairs %zu  correct %zu\n", m,
         s.true_pairs, s.predicted_pairs, s.correct_pairs);
  printf("pairwise  P %.3f  R %.3f  F1 %.3f\n", s.pair_precision,
         s.pair_recall, s.pair_f1);
  printf("B-cubed   P %.3f  R %.3f  F1 %.3f\n", s.bcubed_precision,
         s.bcubed_recall, s.bcubed_f1);
}

/* --stream: every document added to a service index one at a time (date
 * order), the clusters read from the ids it gave. */
static int eval_stream(const dedup_params *p, dedup_level level,
                       const char *folder, const char *jsonl, entry *e,
                       size_t n, int rebuild) {
  int status = read_docs(NULL, folder, jsonl, e, n);
  if (status < 0)
    return 1;
  qsort(sdocs, n_sdocs, sizeof *sdocs, cmp_sdoc);
  dedup_index *ix;
  int rc = dedup_index_new(&ix, p, rebuild ? DEDUP_INDEX_KEEP_TEXTS : 0);
  if (rc) {
    fprintf(stderr, "dedup-eval: %s\n", dedup_strerror(rc));
    return 2;
  }
  for (size_t i = 0; i < n_sdocs; i++) {
    sdoc *d = &sdocs[i];
    dedup_doc_meta m = DEDUP_DOC_META_INIT;
    m.title = d->title;
    m.title_len = d->title_len;
    m.has_date = d->has_date;
    m.date = d->date;
    m.lang = d->lang;
    rc = dedup_index_add(ix, d->name, d->text, d->len, &m,
                         rebuild > 1 ? DEDUP_ADD_DEFER : 0, NULL);
    if (rc)
      fprintf(stderr, "dedup-eval: %s: %s\n", d->name, dedup_strerror(rc));
  }
  /* --rebuild: the stream, then a rebuild (the batch's clusters);
   * --defer: every document deferred, then a rebuild. */
  if (rebuild && (rc = dedup_index_rebuild(ix, NULL)) != DEDUP_OK) {
    fprintf(stderr, "dedup-eval: rebuild: %s\n", dedup_strerror(rc));
    return 3;
  }
  size_t *pred = malloc((n ? n : 1) * sizeof *pred);
  size_t *truth = malloc((n ? n : 1) * sizeof *truth);
  if (!pred || !truth)
    return 3;
  for (size_t i = 0; i < n; i++) {
    dedup_index_doc_info di;
    if (dedup_index_lookup(ix, e[i].file, &di) == DEDUP_OK)
      pred[i] = (size_t)(level == DEDUP_LEVEL_COPY ? di.copy_id
                                                    : di.story_id);
    else
      pred[i] = SIZE_MAX - i;
    truth[i] = e[i].truth;
  }
  print_scores(pred, truth, n);
  if (getenv("DEDUP_EVAL_DUMP"))
    for (size_t i = 0; i < n; i++)
      printf("%s\t%s\t%zu\n", e[i].file, e[i].label, pred[i]);
  dedup_index_free(ix);
  free(pred);
  free(truth);
  return status;
}

static void usage(void) {
  fputs("Usage: dedup-eval [--story-threshold T] [--threshold T] "
        "[--level story|copy]\n"
        "                  [--no-clean] [--method minhash|simhash] "
        "[--threads N]\n"
        "                  [--errors N] [--seed N] [--stream] FOLDER\n"
        "       dedup-eval [OPTIONS] --jsonl FILE LABELS.tsv\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv) {
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  dedup_run_options ro = DEDUP_RUN_OPTIONS_INIT;
  dedup_level level = DEDUP_LEVEL_STORY;
  int errors = 0, stream = 0, rebuild = 0;
  const char *folder = NULL, *jsonl = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--story-threshold") && v)
      p.story_threshold = atof(argv[++i]);
    else if (!strcmp(a, "--threshold") && v)
      p.threshold = atof(argv[++i]);
    else if (!strcmp(a, "--threads") && v)
      ro.threads = (unsigned)atoi(argv[++i]);
    else if (!strcmp(a, "--seed") && v) /* other sketches: the noise */
      p.seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(a, "--errors") && v)
      errors = atoi(argv[++i]);
    else if (!strcmp(a, "--level") && v)
      level = !strcmp(argv[++i], "copy") ? DEDUP_LEVEL_COPY
                                         : DEDUP_LEVEL_STORY;
    else if (!strcmp(a, "--method") && v)
      p.method = !strcmp(argv[++i], "simhash") ? DEDUP_METHOD_SIMHASH
                                               : DEDUP_METHOD_MINHASH;
    else if (!strcmp(a, "--jsonl") && v)
      jsonl = argv[++i];
    else if (!strcmp(a, "--stream"))
      stream = 1;
    else if (!strcmp(a, "--rebuild")) /* with --stream */
      rebuild = 1;
    else if (!strcmp(a, "--defer")) /* with --stream */
      rebuild = 2;
    else if (!strcmp(a, "--no-clean"))
      p.flags |= DEDUP_F_NO_CLEAN;
    else if (a[0] == '-')
      usage();
    else
      folder = a;
  }
  if (!folder)
    usage();
  if (level == DEDUP_LEVEL_COPY)
    ro.levels = DEDUP_RUN_COPY;

  char path[4096], jpath[4096];
  struct stat st;
  if (jsonl) { /* the labels are the operand */
    snprintf(path, sizeof path, "%s", folder);
  } else {
    snprintf(jpath, sizeof jpath, "%s/data.jsonl", folder);
    if (stat(jpath, &st) == 0)
      jsonl = jpath;
    snprintf(path, sizeof path, "%s/labels.tsv", folder);
  }
  FILE *lf = fopen(path, "r");
  if (!lf) {
    fprintf(stderr, "dedup-eval: %s: %s\n", path, strerror(errno));
    return 1;
  }
  entry *e = NULL;
  size_t n = 0, cap = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  while ((len = getline(&line, &lcap, lf)) > 0) {
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = 0;
    char *tab = strchr(line, '\t');
    if (!tab || (n == 0 && (!strncmp(line, "file\t", 5) ||
                            !strncmp(line, "id\t", 3))))
      continue;
    *tab = 0;
    if (n == cap) {
      cap = cap ? 2 * cap : 1024;
      e = realloc(e, cap * sizeof *e);
      if (!e)
        return 3;
    }
    e[n].file = strdup(line);
    e[n].label = strdup(tab + 1);
    e[n].item = SIZE_MAX;
    n++;
  }
  free(line);
  fclose(lf);

  /* True cluster ids: labels numbered in sorted order. */
  entry **byl = malloc((n ? n : 1) * sizeof *byl);
  for (size_t i = 0; i < n; i++)
    byl[i] = &e[i];
  qsort(byl, n, sizeof *byl, cmp_label);
  for (size_t i = 0, id = 0; i < n; i++) {
    if (i && strcmp(byl[i]->label, byl[i - 1]->label))
      id++;
    byl[i]->truth = id;
  }
  free(byl);

  if (stream)
    return eval_stream(&p, level, folder, jsonl, e, n, rebuild);
  dedup_corpus *c;
  int rc = dedup_corpus_new(&c, &p);
  if (rc) {
    fprintf(stderr, "dedup-eval: %s\n", dedup_strerror(rc));
    return 2;
  }
  int status = read_docs(c, folder, jsonl, e, n);
  if (status < 0)
    return 1;
  rc = dedup_corpus_run_with(c, &ro);
  if (rc) {
    fprintf(stderr, "dedup-eval: %s\n", dedup_strerror(rc));
    return 3;
  }
  /* Map entries to items by name (dedup_corpus_item_find). */
  size_t *pred = malloc((n ? n : 1) * sizeof *pred);
  size_t *truth = malloc((n ? n : 1) * sizeof *truth);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    size_t it;
    if (dedup_corpus_item_find(c, e[i].file, &it) == DEDUP_OK) {
      e[i].item = it;
      pred[m] = dedup_corpus_cluster_of(c, level, it);
      truth[m] = e[i].truth;
      m++;
    } else {
      /* not clustered (unreadable/empty): a singleton of its own */
      pred[m] = SIZE_MAX - i;
      truth[m] = e[i].truth;
      m++;
    }
  }
  print_scores(pred, truth, m);

  if (errors > 0) {
    printf("\nwrong merges (linked pairs of different true clusters):\n");
    int shown = 0;
    size_t nl = dedup_corpus_link_count(c, level);
    for (size_t i = 0; i < nl && shown < errors; i++) {
      size_t a, b;
      double sim;
      dedup_corpus_link(c, level, i, &a, &b, &sim);
      size_t ea = SIZE_MAX, eb = SIZE_MAX;
      for (size_t k = 0; k < n; k++) {
        if (e[k].item == a)
          ea = k;
        if (e[k].item == b)
          eb = k;
      }
      if (ea == SIZE_MAX || eb == SIZE_MAX || e[ea].truth == e[eb].truth)
        continue;
      printf("  %.3f  %s  %s\n", sim, e[ea].file, e[eb].file);
      shown++;
    }
    printf("\nmissed pairs (same true cluster, apart):\n");
    shown = 0;
    for (size_t i = 0; i < n && shown < errors; i++)
      for (size_t j = i + 1; j < n && shown < errors; j++)
        if (e[i].truth == e[j].truth && e[i].item != SIZE_MAX &&
            e[j].item != SIZE_MAX &&
            dedup_corpus_cluster_of(c, level, e[i].item) !=
                dedup_corpus_cluster_of(c, level, e[j].item)) {
          printf("  %s  %s\n", e[i].file, e[j].file);
          shown++;
        }
  }
  dedup_corpus_free(c);
  for (size_t i = 0; i < n; i++) {
    free(e[i].file);
    free(e[i].label);
  }
  free(e);
  free(pred);
  free(truth);
  return status;
}
