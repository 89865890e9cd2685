/* mpi_run.c - dedup-cluster-mpi's MPI transport (mpi_run.h).
 *
 * Every buffer crosses MPI in rounds of at most `chunk` bytes from each
 * rank to each rank, chunk * size <= INT_MAX, so no count or
 * displacement of MPI_Alltoallv or MPI_Gatherv overflows an int however
 * large the statistics or records are: nothing is ever truncated.
 *
 * DEDUP_MPI_PASS4 chooses where pass 4 runs: "spread" over the ranks
 * (doc/shards.md), "gather" on rank 0 over every shard's records; unset,
 * spread at the copy level and gathered with the story level, whose
 * spread steps hold more memory a rank than gathering does on one
 * machine (1M pages on 4 ranks of one 24 GiB machine ran out of memory
 * spread, fitted in 13 GiB gathered: bench/README.md).
 *
 * For tests: the environment variable DEDUP_MPI_CHUNK sets a smaller
 * chunk, and DEDUP_MPI_FAIL_RANK=N makes rank N fail as the library
 * would out of memory, in pass 3 (after the exchanges, the other ranks
 * waiting for its records); DEDUP_MPI_KILL_RANK=N makes rank N die of
 * SIGKILL there. */
#include "mpi_run.h"

#include <mpi.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "dedup-cluster-mpi"
enum { EXIT_FAIL = 3 }; /* dedup-cluster's status of a failure */

static int g_rank, g_size = 1;
static size_t g_chunk;
static int g_fail_rank = -1; /* DEDUP_MPI_FAIL_RANK */
static int g_kill_rank = -1; /* DEDUP_MPI_KILL_RANK */

int mpi_rank(void) { return g_rank; }
int mpi_size(void) { return g_size; }

int mpi_owns(const char *name) {
  return dedup_hash_bytes(name, strlen(name), 0) % (uint64_t)g_size ==
         (uint64_t)g_rank;
}

const char *mpi_who(void) {
  static char who[32];
  snprintf(who, sizeof who, "rank %d: ", g_rank);
  return who;
}

_Noreturn void mpi_die(int status) {
  fflush(stdout);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, status);
  _exit(status); /* MPI_Abort does not return; if it did, still end */
}

/* A library failure (status rc) on this rank: said, every rank ended. */
static void check(int rc, const char *what) {
  if (rc == DEDUP_OK)
    return;
  fprintf(stderr, PROG ": rank %d: %s (%s)\n", g_rank, dedup_strerror(rc),
          what);
  mpi_die(EXIT_FAIL);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    check(DEDUP_ENOMEM, "exchange");
  return p;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p)
    check(DEDUP_ENOMEM, "exchange");
  return p;
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* The largest length over every rank (each rank gives its own). */
static size_t max_over_ranks(size_t len) {
  uint64_t mine = len, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  return (size_t)all;
}

/* ---- every rank to every rank: MPI_Alltoall + MPI_Alltoallv --------- */

/* Sends send[p] (slen[p] bytes) to rank p, for every p; *recv[q] (its
 * *rlen[q] bytes, malloc'd) is what rank q sent this one. */
static void exchange(void *const *send, const size_t *slen, char ***recv,
                     size_t **rlen) {
  int n = g_size;
  uint64_t *s64 = xcalloc((size_t)n, sizeof *s64);
  uint64_t *r64 = xcalloc((size_t)n, sizeof *r64);
  for (int p = 0; p < n; p++)
    s64[p] = slen[p];
  MPI_Alltoall(s64, 1, MPI_UINT64_T, r64, 1, MPI_UINT64_T, MPI_COMM_WORLD);
  char **rv = xcalloc((size_t)n, sizeof *rv);
  size_t *rl = xcalloc((size_t)n, sizeof *rl);
  size_t most = 0, sround = 0, rround = 0; /* round 0 is the largest */
  for (int p = 0; p < n; p++) {
    if (r64[p] > SIZE_MAX)
      check(DEDUP_ENOMEM, "exchange");
    rl[p] = (size_t)r64[p];
    rv[p] = xmalloc(rl[p]);
    if (slen[p] > most)
      most = slen[p];
    sround += min_size(slen[p], g_chunk);
    rround += min_size(rl[p], g_chunk);
  }
  free(s64);
  free(r64);
  /* Rounds of at most chunk bytes each way per pair of ranks. */
  size_t rounds = (max_over_ranks(most) + g_chunk - 1) / g_chunk;
  int *sc = xcalloc((size_t)n, sizeof *sc);
  int *sd = xcalloc((size_t)n, sizeof *sd);
  int *rc = xcalloc((size_t)n, sizeof *rc);
  int *rd = xcalloc((size_t)n, sizeof *rd);
  char *sbuf = xmalloc(sround), *rbuf = xmalloc(rround);
  for (size_t k = 0; k < rounds; k++) {
    size_t off = k * g_chunk, at = 0, rat = 0;
    for (int p = 0; p < n; p++) {
      size_t m = slen[p] > off ? min_size(slen[p] - off, g_chunk) : 0;
      if (m)
        memcpy(sbuf + at, (const char *)send[p] + off, m);
      sc[p] = (int)m;
      sd[p] = (int)at;
      at += m;
      size_t mr = rl[p] > off ? min_size(rl[p] - off, g_chunk) : 0;
      rc[p] = (int)mr;
      rd[p] = (int)rat;
      rat += mr;
    }
    MPI_Alltoallv(sbuf, sc, sd, MPI_BYTE, rbuf, rc, rd, MPI_BYTE,
                  MPI_COMM_WORLD);
    for (int p = 0; p < n; p++)
      if (rc[p])
        memcpy(rv[p] + off, rbuf + rd[p], (size_t)rc[p]);
  }
  free(sbuf);
  free(rbuf);
  free(sc);
  free(sd);
  free(rc);
  free(rd);
  *recv = rv;
  *rlen = rl;
}

/* ---- every rank to rank 0: MPI_Gather + MPI_Gatherv ------------------ */

/* Rank 0 gets (*all)[r], (*lens)[r]: rank r's buf, len (malloc'd); the
 * others get NULL. */
static void gather(const void *buf, size_t len, char ***all, size_t **lens) {
  int n = g_size;
  uint64_t mine = len, *l64 = NULL;
  if (g_rank == 0)
    l64 = xcalloc((size_t)n, sizeof *l64);
  MPI_Gather(&mine, 1, MPI_UINT64_T, l64, 1, MPI_UINT64_T, 0,
             MPI_COMM_WORLD);
  char **av = NULL, *rbuf = NULL;
  size_t *al = NULL;
  int *rc = NULL, *rd = NULL;
  if (g_rank == 0) {
    av = xcalloc((size_t)n, sizeof *av);
    al = xcalloc((size_t)n, sizeof *al);
    for (int r = 0; r < n; r++) {
      if (l64[r] > SIZE_MAX)
        check(DEDUP_ENOMEM, "gather");
      al[r] = (size_t)l64[r];
      av[r] = xmalloc(al[r]);
    }
    rc = xcalloc((size_t)n, sizeof *rc);
    rd = xcalloc((size_t)n, sizeof *rd);
    size_t round = 0; /* round 0 is the largest */
    for (int r = 0; r < n; r++)
      round += min_size(al[r], g_chunk);
    rbuf = xmalloc(round);
  }
  free(l64);
  size_t rounds = (max_over_ranks(len) + g_chunk - 1) / g_chunk;
  for (size_t k = 0; k < rounds; k++) {
    size_t off = k * g_chunk;
    size_t m = len > off ? min_size(len - off, g_chunk) : 0;
    if (g_rank == 0) {
      size_t at = 0;
      for (int r = 0; r < n; r++) {
        size_t mr = al[r] > off ? min_size(al[r] - off, g_chunk) : 0;
        rc[r] = (int)mr;
        rd[r] = (int)at;
        at += mr;
      }
    }
    MPI_Gatherv(m ? (const char *)buf + off : NULL, (int)m, MPI_BYTE, rbuf,
                rc, rd, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (g_rank == 0)
      for (int r = 0; r < n; r++)
        if (rc[r])
          memcpy(av[r] + off, rbuf + rd[r], (size_t)rc[r]);
  }
  free(rbuf);
  free(rc);
  free(rd);
  *all = av;
  *lens = al;
}

/* Rank r's buf (len bytes) to rank 0, in chunks: rank 0 gets it
 * (malloc'd, *got_len bytes); every other rank gets NULL. */
static char *to_root(int r, const void *buf, size_t len, size_t *got_len) {
  uint64_t n64 = len;
  *got_len = 0;
  if (g_rank == r) {
    MPI_Send(&n64, 1, MPI_UINT64_T, 0, 1, MPI_COMM_WORLD);
    for (size_t off = 0; off < len; off += g_chunk)
      MPI_Send((const char *)buf + off, (int)min_size(len - off, g_chunk),
               MPI_BYTE, 0, 2, MPI_COMM_WORLD);
    return NULL;
  }
  if (g_rank != 0)
    return NULL;
  MPI_Recv(&n64, 1, MPI_UINT64_T, r, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (n64 > SIZE_MAX)
    check(DEDUP_ENOMEM, "pass 4, records");
  char *got = xmalloc((size_t)n64);
  for (size_t off = 0; off < (size_t)n64; off += g_chunk)
    MPI_Recv(got + off, (int)min_size((size_t)n64 - off, g_chunk), MPI_BYTE,
             r, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  *got_len = (size_t)n64;
  return got;
}

static void free_parts(char **v, int n) {
  for (int i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

/* ---- the passes ------------------------------------------------------ */

/* What bench/mpi.sh reads (DEDUP_MPI_REPORT=path): the bytes each
 * exchange sends between ranks (a rank's part for itself never leaves
 * it), summed over the ranks, and each pass's wall time on rank 0; with
 * --jsonl, the lines the ranks parsed, summed (test_mpi.sh: each line
 * once when a file is split by bytes). */
enum { B_STATS, B_ANSWERS, B_RECORDS, B_SPREAD, B_DOCS, B_LINES, B_N };
static uint64_t g_bytes[B_N];

static uint64_t sent_elsewhere(const size_t *len) {
  uint64_t b = 0;
  for (int q = 0; q < g_size; q++)
    if (q != g_rank)
      b += len[q];
  return b;
}

static int g_report; /* rank 0 has DEDUP_MPI_REPORT (told to every rank) */
/* Where pass 4 runs (DEDUP_MPI_PASS4, rank 0's): 0 by level, 1 spread,
 * 2 gathered; g_spread: this run's choice. */
static int g_pass4;
static int g_spread;

static void report(const double *t, int nt) {
  if (!g_report)
    return;
  const char *path = getenv("DEDUP_MPI_REPORT");
  uint64_t sum[B_N];
  MPI_Reduce(g_bytes, sum, B_N, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  if (g_rank != 0)
    return;
  FILE *f = fopen(path, "w");
  if (!f)
    return;
  double d = sum[B_DOCS] ? (double)sum[B_DOCS] : 1;
  fprintf(f, "B/doc stats %.0f answers %.0f records %.0f", sum[B_STATS] / d,
          sum[B_ANSWERS] / d, sum[B_RECORDS] / d);
  if (g_spread)
    fprintf(f, " spread %.0f", sum[B_SPREAD] / d);
  fputs("; s", f);
  static const char *spread_name[] = {"count",  "exchange", "sign",
                                      "heads",  "crowds",   "bands",
                                      "terms",  "stories",  "cluster"};
  static const char *gather_name[] = {"count", "exchange", "sign", "gather",
                                      "cluster"};
  const char *const *name = g_spread ? spread_name : gather_name;
  for (int i = 0; i + 1 < nt; i++)
    fprintf(f, " %s %.2f", name[i], t[i + 1] - t[i]);
  if (sum[B_LINES])
    fprintf(f, "; jsonl lines parsed %llu", (unsigned long long)sum[B_LINES]);
  fputc('\n', f);
  fclose(f);
}

/* Pass 2: st's parts to their owners, the owners' answers back; st is
 * freed, the table of what this shard needs returned. */
static dedup_stats *exchange_stats(dedup_stats *st) {
  int n = g_size;
  /* Each owner gets its keys' counts from every shard... */
  void **part = xcalloc((size_t)n, sizeof *part);
  size_t *plen = xcalloc((size_t)n, sizeof *plen);
  for (int q = 0; q < n; q++)
    check(dedup_stats_encode(st, (unsigned)q, (unsigned)n, &part[q],
                             &plen[q]),
          "pass 2, exchange");
  dedup_stats_free(st);
  g_bytes[B_STATS] += sent_elsewhere(plen);
  char **asked;
  size_t *asked_len;
  exchange(part, plen, &asked, &asked_len);
  for (int q = 0; q < n; q++)
    dedup_free(part[q]);
  dedup_stats *own;
  check(dedup_stats_new(&own), "pass 2, exchange");
  for (int q = 0; q < n; q++)
    check(dedup_stats_add_encoded(own, asked[q], asked_len[q]),
          "pass 2, exchange");
  /* ...and answers each shard what it needs of them. */
  for (int q = 0; q < n; q++)
    check(dedup_stats_answer(own, asked[q], asked_len[q], &part[q],
                             &plen[q]),
          "pass 2, exchange");
  dedup_stats_free(own);
  free_parts(asked, n);
  free(asked_len);
  g_bytes[B_ANSWERS] += sent_elsewhere(plen);
  char **answer;
  size_t *answer_len;
  exchange(part, plen, &answer, &answer_len);
  for (int q = 0; q < n; q++)
    dedup_free(part[q]);
  free(part);
  free(plen);
  dedup_stats *merged;
  check(dedup_stats_new(&merged), "pass 2, exchange");
  for (int q = 0; q < n; q++)
    check(dedup_stats_add_encoded(merged, answer[q], answer_len[q]),
          "pass 2, exchange");
  free_parts(answer, n);
  free(answer_len);
  return merged;
}

/* Parts for every rank (freed) exchanged: *got[q] from rank q. */
static void swap(void **part, size_t *plen, char ***got, size_t **got_len) {
  g_bytes[B_SPREAD] += sent_elsewhere(plen);
  exchange(part, plen, got, got_len);
  for (int q = 0; q < g_size; q++) {
    dedup_free(part[q]);
    part[q] = NULL;
  }
}

/* One stage of pass 4 spread: this shard's keys to their owners, the
 * owners' pairs to their first items' shards, the probes to the other
 * items' shards, verified there into links (returned). */
static void spread_stage(dedup_corpus *c, dedup_spread_stage stage,
                         void **links, size_t *links_len, const char *what) {
  int n = g_size;
  void **part = xcalloc((size_t)n, sizeof *part);
  size_t *plen = xcalloc((size_t)n, sizeof *plen);
  char **got;
  size_t *got_len;
  for (int step = 0; step < 3; step++) {
    if (step == 0) {
      check(dedup_corpus_keys_encode(c, stage, (size_t)n, part, plen), what);
    } else {
      const void *const *in = (const void *const *)got;
      if (step == 1)
        check(dedup_spread_pairs(in, got_len, (size_t)n, part, plen), what);
      else
        check(dedup_corpus_probes(c, in, got_len, (size_t)n, part, plen),
              what);
      free_parts(got, n);
      free(got_len);
    }
    swap(part, plen, &got, &got_len);
  }
  check(dedup_corpus_verify(c, (const void *const *)got, got_len, (size_t)n,
                            links, links_len),
        what);
  free_parts(got, n);
  free(got_len);
  free(part);
  free(plen);
}

/* Every rank's buffer to rank 0, one rank at a time: rank 0 gets
 * all[r] (rank 0's own buf is moved, the others malloc'd); buf is freed. */
static void all_to_root(void *buf, size_t len, void **all, size_t *all_len) {
  g_bytes[B_RECORDS] += g_rank ? len : 0;
  for (int r = 0; r < g_size; r++) {
    if (r == 0) {
      if (g_rank == 0) {
        all[0] = buf;
        all_len[0] = len;
        buf = NULL;
      }
      continue;
    }
    size_t gl;
    char *g = to_root(r, buf, len, &gl);
    if (g) {
      all[r] = g;
      all_len[r] = gl;
    }
  }
  dedup_free(buf);
}

static void free_root(void **all, int n) {
  if (!all)
    return;
  dedup_free(all[0]); /* the library's */
  for (int i = 1; i < n; i++)
    free(all[i]);
}

/* 5: the story level spread over the ranks, from the copy links rank 0
 * has (all, 2 n of them): the groups' representatives to their ranks,
 * term frequencies by owner, samples by band owner, candidates' vectors
 * to their ranks, the edges to rank 0. */
static void story_pass(dedup_corpus *c, dedup_corpus *c0, void **all,
                       size_t *all_len, double *t) {
  int n = g_size;
  const char *what = "pass 5, stories";
  if (g_rank == 0)
    check(dedup_corpus_groups_set(c0, (const void *const *)all, all_len,
                                  2 * (size_t)n),
          what);
  void **part = xcalloc((size_t)n, sizeof *part);
  size_t *plen = xcalloc((size_t)n, sizeof *plen);
  char **got;
  size_t *got_len;
  for (int q = 0; g_rank == 0 && q < n; q++)
    check(dedup_corpus_reps_encode(c0, (size_t)q, &part[q], &plen[q]), what);
  swap(part, plen, &got, &got_len);
  check(dedup_corpus_reps_set(c, got[0], got_len[0]), what);
  free_parts(got, n);
  free(got_len);
  /* Term frequencies by owner. */
  check(dedup_corpus_terms_encode(c, (size_t)n, part, plen), what);
  swap(part, plen, &got, &got_len);
  check(dedup_spread_terms_answer((const void *const *)got, got_len,
                                  (size_t)n, part, plen),
        what);
  free_parts(got, n);
  free(got_len);
  swap(part, plen, &got, &got_len);
  check(dedup_corpus_weigh(c, (const void *const *)got, got_len, (size_t)n),
        what);
  free_parts(got, n);
  free(got_len);
  t[7] = MPI_Wtime();
  /* Samples by band owner, runs back, vectors to the candidates' ranks. */
  check(dedup_corpus_samples_encode(c, (size_t)n, part, plen), what);
  swap(part, plen, &got, &got_len);
  check(dedup_spread_runs((const void *const *)got, got_len, (size_t)n, part,
                          plen),
        what);
  free_parts(got, n);
  free(got_len);
  swap(part, plen, &got, &got_len);
  check(dedup_corpus_vectors_encode(c, (const void *const *)got, got_len,
                                    (size_t)n, part, plen),
        what);
  free_parts(got, n);
  free(got_len);
  swap(part, plen, &got, &got_len);
  void *edges;
  size_t edges_len;
  check(dedup_corpus_score(c, (const void *const *)got, got_len, (size_t)n,
                           &edges, &edges_len),
        what);
  free_parts(got, n);
  free(got_len);
  free(part);
  free(plen);
  /* all[0..n) take the edges now: rank 0 has the copy links. */
  free_root(all, n);
  free_root(all ? all + n : NULL, n);
  all_to_root(edges, edges_len, all, all_len);
}

/* Pass 4 spread over the ranks (the copy level): heads to rank 0, the
 * run's ids back, crowds then bands through their owners, the links to
 * rank 0, which clusters its heads with them; with the story level, pass
 * 5 then.  No rank holds another's signatures or vectors but those of its
 * candidates. */
static dedup_corpus *spread_pass(dedup_corpus *c, const dedup_params *p,
                                 const dedup_run_options *ro, double *t,
                                 void (*shard_done)(void *ctx), void *ctx) {
  int n = g_size;
  void *hd;
  size_t hl;
  check(dedup_corpus_heads_encode(c, &hd, &hl), "pass 4, heads");
  g_bytes[B_RECORDS] += g_rank ? hl : 0;
  dedup_corpus *c0 = NULL;
  if (g_rank == 0) {
    check(dedup_corpus_new(&c0, p), "pass 4, heads");
    check(dedup_corpus_records_add(c0, hd, hl), "pass 4, heads");
  }
  for (int r = 1; r < n; r++) {
    size_t got_len;
    char *got = to_root(r, hd, hl, &got_len);
    if (got) {
      check(dedup_corpus_records_add(c0, got, got_len), "pass 4, heads");
      free(got);
    }
  }
  dedup_free(hd);
  /* The run's ids: from rank 0 to each rank. */
  void **part = xcalloc((size_t)n, sizeof *part);
  size_t *plen = xcalloc((size_t)n, sizeof *plen);
  for (int q = 0; g_rank == 0 && q < n; q++)
    check(dedup_corpus_ids_encode(c0, (size_t)q, &part[q], &plen[q]),
          "pass 4, heads");
  g_bytes[B_RECORDS] += sent_elsewhere(plen);
  char **got;
  size_t *got_len;
  exchange(part, plen, &got, &got_len);
  for (int q = 0; q < n; q++)
    dedup_free(part[q]);
  free(part);
  free(plen);
  check(dedup_corpus_ids_set(c, got[0], got_len[0]), "pass 4, heads");
  free_parts(got, n);
  free(got_len);
  t[4] = MPI_Wtime();
  void *links[2];
  size_t links_len[2];
  spread_stage(c, DEDUP_SPREAD_CROWDS, &links[0], &links_len[0],
               "pass 4, crowds");
  t[5] = MPI_Wtime();
  spread_stage(c, DEDUP_SPREAD_BANDS, &links[1], &links_len[1],
               "pass 4, bands");
  int story = !ro->levels || (ro->levels & DEDUP_RUN_STORY);
  /* The shard is not needed any more (it is, for the story level). */
  if (shard_done && !story)
    shard_done(ctx);
  /* Every rank's links to rank 0, one rank at a time: crowds' at
   * all[0..n), bands' at all[n..2n). */
  void **all = NULL;
  size_t *all_len = NULL;
  if (g_rank == 0) {
    all = xcalloc(2 * (size_t)n, sizeof *all);
    all_len = xcalloc(2 * (size_t)n, sizeof *all_len);
  }
  for (int k = 0; k < 2; k++)
    all_to_root(links[k], links_len[k], all ? all + k * n : NULL,
                all_len ? all_len + k * n : NULL);
  t[6] = MPI_Wtime();
  size_t n_links = 2 * (size_t)n;
  t[7] = t[6];
  if (story) {
    story_pass(c, c0, all, all_len, t);
    if (shard_done)
      shard_done(ctx);
    n_links = (size_t)n;
  }
  t[8] = MPI_Wtime();
  if (g_rank != 0)
    return NULL;
  check(dedup_corpus_run_links(c0, (const void *const *)all, all_len, n_links,
                               ro),
        "pass 4, clustering");
  free_root(all, n);
  if (!story)
    free_root(all + n, n);
  free(all);
  free(all_len);
  return c0;
}

int mpi_run_passes(dedup_corpus *c, const dedup_params *p,
                   const dedup_run_options *ro, dedup_corpus **res,
                   void (*shard_done)(void *ctx), void *ctx) {
  int n = g_size;
  *res = NULL;
  double t[10];
  t[0] = MPI_Wtime();
  g_bytes[B_DOCS] = dedup_corpus_doc_count(c);
  /* 1 and 2. This shard's counts, exchanged with the other shards': the
   * lines, then the word runs in parts (as many as the largest shard
   * needs, the same on every rank), so no rank holds all its runs'
   * counts at once.  One rank owns every key: it only drops the counts
   * no cleaning needs. */
  double counting = 0, exchanging = 0;
  dedup_stats *merged = NULL;
  uint64_t parts = dedup_corpus_count_parts(c), most = parts;
  MPI_Allreduce(&parts, &most, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  /* No word runs are counted without the story level (levels 0: every
   * level) or without cleaning. */
  if ((ro->levels && !(ro->levels & DEDUP_RUN_STORY)) ||
      (p->flags & DEDUP_F_NO_CLEAN))
    most = 0;
  for (uint64_t k = 0; k <= most; k++) { /* 0: lines; 1..: runs */
    double a = MPI_Wtime();
    dedup_stats *st;
    check(dedup_stats_new(&st), "pass 1, counting");
    check(k ? dedup_corpus_count_runs(c, st, (unsigned)(k - 1),
                                      (unsigned)most, ro)
            : dedup_corpus_count_lines(c, st, ro),
          "pass 1, counting");
    double b = MPI_Wtime();
    if (n > 1) {
      st = exchange_stats(st);
    } else {
      check(dedup_stats_prune(st), "pass 2, exchange");
    }
    if (merged) {
      check(dedup_stats_add(merged, st), "pass 2, exchange");
      dedup_stats_free(st);
    } else {
      merged = st;
    }
    counting += b - a;
    exchanging += MPI_Wtime() - b;
  }
  t[1] = t[0] + counting;
  t[2] = t[1] + exchanging;
  /* 3. Cleaned and signed with the corpus' statistics, as records.  (A
   * test's rank dies here as a killed process would, the others waiting
   * in the gather below: mpirun must end them, not hang.) */
  if (g_rank == g_kill_rank)
    raise(SIGKILL);
  check(g_rank == g_fail_rank ? DEDUP_ENOMEM
                               : dedup_corpus_sign(c, merged, ro),
        "pass 3, signing");
  dedup_stats_free(merged);
  t[3] = MPI_Wtime();
  /* 4 spread over the ranks, when only the copy level is asked for. */
  g_spread = g_pass4 == 1 ||
             (g_pass4 == 0 && ro->levels && !(ro->levels & DEDUP_RUN_STORY));
  if (g_spread) {
    /* The passes after the sign need no texts. */
    check(dedup_corpus_drop_texts(c), "pass 4, heads");
    dedup_corpus *c0 = spread_pass(c, p, ro, t, shard_done, ctx);
    t[9] = MPI_Wtime();
    report(t, 10);
    *res = c0;
    return DEDUP_OK;
  }
  void *rec;
  size_t rec_len;
  check(dedup_corpus_records_encode(c, &rec, &rec_len), "pass 3, records");
  t[3] = MPI_Wtime();
  g_bytes[B_RECORDS] = g_rank ? rec_len : 0;
  /* The shard (its texts) is not needed any more: shard_done may free
   * it before rank 0 makes the corpus of every shard's records. */
  if (shard_done)
    shard_done(ctx);
  c = NULL;
  /* 4. Rank 0 clusters every shard's records, in rank order, taking one
   * rank's at a time (its own first), so it never holds more than one
   * shard's bytes beside the corpus they become. */
  dedup_corpus *c0 = NULL;
  if (g_rank == 0) {
    check(dedup_corpus_new(&c0, p), "pass 4, records");
    check(dedup_corpus_records_add(c0, rec, rec_len), "pass 4, records");
  }
  for (int r = 1; r < n; r++) {
    size_t got_len;
    char *got = to_root(r, rec, rec_len, &got_len);
    if (got) {
      check(dedup_corpus_records_add(c0, got, got_len), "pass 4, records");
      free(got);
    }
  }
  dedup_free(rec);
  t[4] = MPI_Wtime();
  if (g_rank != 0) {
    report(t, 5);
    return DEDUP_OK;
  }
  check(dedup_corpus_run_records(c0, ro), "pass 4, clustering");
  t[5] = MPI_Wtime();
  report(t, 6);
  *res = c0;
  return DEDUP_OK;
}

/* ---- --jsonl split by bytes ----------------------------------------- */

int mpi_all_plain(int plain, uint64_t size) {
  /* max of "not plain", of the size and of its complement: every rank
   * plain with one size when the first is 0 and max size = min size */
  uint64_t v[3] = {plain ? 0 : 1, size, UINT64_MAX - size}, m[3];
  MPI_Allreduce(v, m, 3, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  return m[0] == 0 && m[1] == UINT64_MAX - m[2];
}

void mpi_range(uint64_t size, uint64_t *off, uint64_t *end) {
  /* floor(r * size / P) without overflow: r * (size / P) plus
   * floor(r * (size % P) / P), exact since r * size = r * P * (size / P)
   * + r * (size % P). */
  uint64_t n = (uint64_t)g_size, q = size / n, m = size % n;
  uint64_t r = (uint64_t)g_rank;
  *off = r * q + r * m / n;
  *end = (r + 1) * q + (r + 1) * m / n;
}

void mpi_lines_parsed(unsigned long lines) { g_bytes[B_LINES] += lines; }

unsigned long mpi_lines_before(unsigned long lines) {
  uint64_t mine = lines, before = 0;
  MPI_Exscan(&mine, &before, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  return g_rank == 0 ? 0 : (unsigned long)before;
}

/* The owner's table: every id this rank owns, with where it was first
 * seen; open addressing over a hash with another seed than ownership's
 * (whose low bits are the same for every id of one owner). */
typedef struct first_id {
  char *id; /* NULL: free */
  size_t len;
  uint32_t file;
  uint64_t line;
} first_id;

static first_id *g_ids;
static size_t g_ids_n, g_ids_cap;

#define ID_SEED 0x9e3779b97f4a7c15ull

/* The slot of id: its own, or the free one it goes to. */
static first_id *id_slot(first_id *t, size_t cap, const char *id,
                         size_t len) {
  size_t j = (size_t)dedup_hash_bytes(id, len, ID_SEED) & (cap - 1);
  while (t[j].id && (t[j].len != len || memcmp(t[j].id, id, len)))
    j = (j + 1) & (cap - 1);
  return &t[j];
}

/* 1: id was there (*file, *line where first); 0: added with file, line. */
static int id_first(const char *id, size_t len, uint32_t *file,
                    uint64_t *line) {
  if (2 * (g_ids_n + 1) > g_ids_cap) {
    size_t nc = g_ids_cap ? 2 * g_ids_cap : 1024;
    first_id *nt = xcalloc(nc, sizeof *nt);
    for (size_t i = 0; i < g_ids_cap; i++)
      if (g_ids[i].id)
        *id_slot(nt, nc, g_ids[i].id, g_ids[i].len) = g_ids[i];
    free(g_ids);
    g_ids = nt;
    g_ids_cap = nc;
  }
  first_id *s = id_slot(g_ids, g_ids_cap, id, len);
  if (s->id) {
    *file = s->file;
    *line = s->line;
    return 1;
  }
  s->id = xmalloc(len);
  memcpy(s->id, id, len);
  s->len = len;
  s->file = *file;
  s->line = *line;
  g_ids_n++;
  return 0;
}

void mpi_first_ids_end(void) {
  for (size_t i = 0; i < g_ids_cap; i++)
    free(g_ids[i].id);
  free(g_ids);
  g_ids = NULL;
  g_ids_n = g_ids_cap = 0;
}

/* A growing byte buffer. */
typedef struct bytes {
  char *p;
  size_t len, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
  if (b->cap - b->len < n) {
    size_t nc = b->cap ? b->cap : 4096;
    while (nc - b->len < n)
      nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np)
      check(DEDUP_ENOMEM, "--jsonl ids");
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

static int by_line(const void *a, const void *b) {
  unsigned long x = ((const mpi_dup *)a)->line, y = ((const mpi_dup *)b)->line;
  return (x > y) - (x < y);
}

size_t mpi_first_ids(int file, const mpi_id_line *v, size_t n,
                     mpi_dup **dups) {
  int np = g_size;
  /* To each owner: (u32 id length, the id, u64 line) a line. */
  bytes *out = xcalloc((size_t)np, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(v[i].id);
    uint32_t l32 = (uint32_t)len;
    uint64_t line = v[i].line;
    bytes *b = &out[dedup_hash_bytes(v[i].id, len, 0) % (uint64_t)np];
    if (len > UINT32_MAX)
      check(DEDUP_ENOMEM, "--jsonl ids");
    put(b, &l32, sizeof l32);
    put(b, v[i].id, len);
    put(b, &line, sizeof line);
  }
  void **part = xcalloc((size_t)np, sizeof *part);
  size_t *plen = xcalloc((size_t)np, sizeof *plen);
  for (int q = 0; q < np; q++) {
    part[q] = out[q].p;
    plen[q] = out[q].len;
  }
  char **asked;
  size_t *asked_len;
  exchange(part, plen, &asked, &asked_len);
  /* The owner: the ranks' lines in rank order are the input's in line
   * order (or only its own come), so the first one given of an id is
   * its first.  To each rank: (u64 line, u32 first file, u64 first line)
   * of its lines that repeat one. */
  for (int q = 0; q < np; q++) {
    free(out[q].p);
    out[q] = (bytes){0};
  }
  for (int q = 0; q < np; q++) {
    const char *p = asked[q], *e = p + asked_len[q];
    while (p < e) {
      uint32_t len;
      uint64_t line;
      memcpy(&len, p, sizeof len);
      p += sizeof len;
      const char *id = p;
      p += len;
      memcpy(&line, p, sizeof line);
      p += sizeof line;
      uint32_t ff = (uint32_t)file;
      uint64_t fl = line;
      if (id_first(id, len, &ff, &fl)) {
        put(&out[q], &line, sizeof line);
        put(&out[q], &ff, sizeof ff);
        put(&out[q], &fl, sizeof fl);
      }
    }
  }
  free_parts(asked, np);
  free(asked_len);
  for (int q = 0; q < np; q++) {
    part[q] = out[q].p;
    plen[q] = out[q].len;
  }
  char **answer;
  size_t *answer_len;
  exchange(part, plen, &answer, &answer_len);
  for (int q = 0; q < np; q++)
    free(out[q].p);
  free(out);
  free(part);
  free(plen);
  enum { ANSWER = 2 * sizeof(uint64_t) + sizeof(uint32_t) };
  size_t nd = 0;
  for (int q = 0; q < np; q++)
    nd += answer_len[q] / ANSWER;
  mpi_dup *d = xcalloc(nd, sizeof *d);
  size_t k = 0;
  for (int q = 0; q < np; q++)
    for (const char *p = answer[q], *e = p + answer_len[q]; p < e;
         p += ANSWER) {
      uint64_t line, fl;
      uint32_t ff;
      memcpy(&line, p, sizeof line);
      memcpy(&ff, p + sizeof line, sizeof ff);
      memcpy(&fl, p + sizeof line + sizeof ff, sizeof fl);
      d[k].line = (unsigned long)line;
      d[k].first_file = (int)ff;
      d[k].first_line = (unsigned long)fl;
      k++;
    }
  free_parts(answer, np);
  free(answer_len);
  qsort(d, nd, sizeof *d, by_line); /* each owner's answers ascend */
  *dups = d;
  return nd;
}

void mpi_tally(uint64_t *count, uint64_t *file, uint64_t *line, int n) {
  /* The smallest file of the ranks that counted, then the smallest line
   * of the ranks whose first is in that file. */
  uint64_t *v = xcalloc((size_t)n * 2, sizeof *v);
  uint64_t *m = xcalloc((size_t)n * 2, sizeof *m);
  for (int k = 0; k < n; k++) {
    v[k] = count[k];
    v[n + k] = count[k] ? file[k] : UINT64_MAX;
  }
  MPI_Allreduce(v, m, n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  for (int k = 0; k < n; k++)
    count[k] = m[k];
  MPI_Allreduce(v + n, m + n, n, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  for (int k = 0; k < n; k++) {
    file[k] = m[n + k];
    v[k] = file[k] != UINT64_MAX && v[n + k] == file[k] ? line[k]
                                                        : UINT64_MAX;
  }
  MPI_Allreduce(v, m, n, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  for (int k = 0; k < n; k++)
    line[k] = m[k];
  free(v);
  free(m);
}

/* ---- messages, standard input, options ------------------------------- */

static char *notes;
static size_t notes_len;

FILE *mpi_notes_open(void) {
  FILE *f = open_memstream(&notes, &notes_len);
  if (!f)
    check(DEDUP_ENOMEM, "messages");
  return f;
}

void mpi_notes_close(FILE *f) {
  if (fclose(f) != 0)
    check(DEDUP_ENOMEM, "messages");
  char **all;
  size_t *all_len;
  gather(notes, notes_len, &all, &all_len);
  free(notes);
  notes = NULL;
  notes_len = 0;
  if (g_rank != 0)
    return;
  for (int r = 0; r < g_size; r++)
    fwrite(all[r], 1, all_len[r], stderr);
  free_parts(all, g_size);
  free(all_len);
}

/* Writes all of buf to fd; 0 or -1 (errno). */
static int write_all(int fd, const char *buf, size_t len) {
  while (len) {
    ssize_t w = write(fd, buf, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    buf += w;
    len -= (size_t)w;
  }
  return 0;
}

int mpi_share_stdin(void) {
  FILE *tmp = tmpfile();
  if (!tmp) {
    fprintf(stderr, PROG ": rank %d: standard input: temporary file: %s\n",
            g_rank, strerror(errno));
    mpi_die(EXIT_FAIL);
  }
  int fd = fileno(tmp);
  size_t cap = min_size(g_chunk, (size_t)4 << 20);
  char *buf = xmalloc(cap);
  int64_t got;
  int err = 0;
  do { /* a chunk at a time: got > 0 bytes, 0 the end, -1 an error */
    got = 0;
    if (g_rank == 0) {
      ssize_t r;
      do
        r = read(STDIN_FILENO, buf, cap);
      while (r < 0 && errno == EINTR);
      got = r;
      err = errno;
    }
    MPI_Bcast(&got, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    if (got > 0) {
      MPI_Bcast(buf, (int)got, MPI_BYTE, 0, MPI_COMM_WORLD);
      if (write_all(fd, buf, (size_t)got) != 0) {
        fprintf(stderr, PROG ": rank %d: standard input: temporary file: "
                "%s\n", g_rank, strerror(errno));
        mpi_die(EXIT_FAIL);
      }
    }
  } while (got > 0);
  free(buf);
  if (got < 0) {
    if (g_rank == 0)
      fprintf(stderr, PROG ": standard input: read error: %s\n",
              strerror(err));
    fclose(tmp);
    return -1;
  }
  if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) < 0) {
    fprintf(stderr, PROG ": rank %d: standard input: %s\n", g_rank,
            strerror(errno));
    mpi_die(EXIT_FAIL);
  }
  fclose(tmp); /* fd 0 keeps the (unlinked) file */
  clearerr(stdin);
  return 0;
}

int mpi_refuse(const cli_opts *o) {
  const char *opt = o->explain[0] ? "--explain"
                    : o->show_text ? "--show-text"
                    : o->load      ? "--load"
                    : o->save      ? "--save"
                    : o->index     ? "--index"
                    : o->replace   ? "--replace"
                    : o->keep_texts ? "--keep-texts"
                    : o->defer     ? "--defer"
                    : o->rebuild   ? "--rebuild"
                    : o->n_remove  ? "--remove"
                    : o->expire    ? "--expire"
                    : o->list      ? "--list"
                    : o->query     ? "--query"
                                   : NULL;
  if (!opt)
    return 0;
  if (g_rank == 0)
    fprintf(stderr, PROG ": %s is not supported (yet) with MPI; use "
            "dedup-cluster\n", opt);
  return 1;
}

int main(int argc, char **argv) {
  /* Funneled: the library's workers, the read-ahead and the progress
   * ticker are threads, but only this one calls MPI. */
  int provided;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) !=
      MPI_SUCCESS) {
    fprintf(stderr, PROG ": MPI could not be initialised\n");
    return EXIT_FAIL;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  g_chunk = (size_t)INT_MAX / (size_t)g_size;
  if (g_chunk > (size_t)64 << 20)
    g_chunk = (size_t)64 << 20;
  const char *env = getenv("DEDUP_MPI_CHUNK");
  if (env) {
    char *end;
    unsigned long long v = strtoull(env, &end, 10);
    if (*env && !*end && v > 0 && v < g_chunk)
      g_chunk = (size_t)v;
  }
  if ((env = getenv("DEDUP_MPI_FAIL_RANK")) && *env)
    g_fail_rank = atoi(env);
  if ((env = getenv("DEDUP_MPI_KILL_RANK")) && *env)
    g_kill_rank = atoi(env);
  /* Rank 0's chunk and report, so that an environment that differs
   * between ranks cannot make their collectives differ. */
  env = getenv("DEDUP_MPI_REPORT");
  const char *pass4 = getenv("DEDUP_MPI_PASS4");
  uint64_t mode = !pass4 || !*pass4           ? 0
                  : !strcmp(pass4, "spread") ? 1
                  : !strcmp(pass4, "gather") ? 2
                                             : 3;
  uint64_t shared[3] = {g_chunk, env && *env, mode};
  MPI_Bcast(shared, 3, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  g_chunk = (size_t)shared[0];
  g_report = shared[1] != 0;
  if (shared[2] == 3) {
    if (g_rank == 0)
      fprintf(stderr, PROG ": DEDUP_MPI_PASS4 must be spread or gather\n");
    MPI_Finalize();
    return 2;
  }
  g_pass4 = (int)shared[2];
  int status = dedup_cluster_main(argc, argv);
  /* 3 ends a run that failed (out of memory) on this rank, whatever the
   * others are doing; every other status comes at the same point on
   * every rank. */
  if (status == EXIT_FAIL)
    mpi_die(EXIT_FAIL);
  fflush(stdout);
  int all = status;
  MPI_Allreduce(&status, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return all;
}
