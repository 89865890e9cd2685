/* test_oom.c - every allocation the library makes can fail cleanly.
 *
 * Linked with a copy of the library built with DEDUP_ALLOC_HOOKS, whose
 * heap goes through cmocka's test_malloc family (leaks and overruns are
 * caught) and through a counter that makes the Nth allocation return NULL.
 * For N = 1, 2, ... the whole life of a corpus is played - new, add the
 * seed pages, run, save, load, add, run - until a play gets through with
 * no failure injected.  Each call must return DEDUP_OK or DEDUP_ENOMEM;
 * after DEDUP_ENOMEM the same call is made again and must then succeed,
 * and the final clusters must equal those of a play without failures: a
 * failed call may not leave the corpus half changed.  No block may be
 * left allocated after any play. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/alloc_hooks.h"
#include "dedup.h"
#include "snapshot.h"
#include "testgen.h"
#include "runopt.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the hooks -------------------------------------------------------- */

static long fail_at;  /* the allocation to fail (1-based); 0: none */
static long n_allocs; /* allocations since the play began */
static long injected; /* failures injected in this play */
static long trap_at;  /* DEDUP_OOM_TRAP: stop at this allocation */

/* Provided by ASan/UBSan builds; absent (NULL) otherwise. */
void __sanitizer_print_stack_trace(void) __attribute__((weak));

/* Blocks alive, with the allocation that made (or last grew) each, so a
 * leak names the allocation; DEDUP_OOM_N=<N> DEDUP_OOM_TRAP=<k> then
 * replays that one play and prints the stack of allocation k
 * (sanitizer builds). */
enum { MAX_LIVE = 1 << 16 };
static struct {
  void *p;
  long idx;
} blocks[MAX_LIVE];
static long live;

static int fail_now(void) {
  n_allocs++;
  if (n_allocs == trap_at) {
    print_message("allocation %ld:\n", n_allocs);
    if (__sanitizer_print_stack_trace)
      __sanitizer_print_stack_trace();
  }
  if (n_allocs == fail_at) {
    injected++;
    return 1;
  }
  return 0;
}

static void track(void *old, void *p) {
  if (old) {
    for (long i = 0; i < live; i++)
      if (blocks[i].p == old) {
        blocks[i] = (p ? blocks[i] : blocks[--live]);
        if (p)
          blocks[i].p = p, blocks[i].idx = n_allocs;
        return;
      }
    fail_msg("freeing a block the library did not allocate");
  }
  if (p) {
    assert_true(live < MAX_LIVE);
    blocks[live].p = p;
    blocks[live++].idx = n_allocs;
  }
}

void *dedup_test_malloc(size_t n) {
  if (fail_now())
    return NULL;
  void *p = test_malloc(n);
  track(NULL, p);
  return p;
}

void *dedup_test_calloc(size_t count, size_t size) {
  if (fail_now())
    return NULL;
  void *p = test_calloc(count, size);
  track(NULL, p);
  return p;
}

void *dedup_test_realloc(void *p, size_t n) {
  if (fail_now())
    return NULL;
  void *q = test_realloc(p, n);
  if (q)
    track(p, q);
  return q;
}

void dedup_test_free(void *p) {
  if (p)
    track(p, NULL);
  test_free(p);
}

static void report_leaks(void) {
  for (long i = 0; i < live; i++)
    print_error("N=%ld: block of allocation %ld leaked\n", fail_at,
                blocks[i].idx);
}

/* ---- the play --------------------------------------------------------- */

typedef struct docs {
  char *name[16], *text[16];
  size_t len[16], n;
} docs;

static docs input;
enum { PAGE_BYTES = 3000 }; /* of each seed page */
static char idx_path[256];

static char *slurp(const char *path) {
  char *b = tg_slurp(path, NULL);
  assert_non_null(b);
  return b;
}

static int setup(void **state) {
  (void)state;
  const char *dir = getenv("DEDUP_SEEDS");
  if (!dir)
    return -1;
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  struct dirent *e;
  while ((e = readdir(d)) && input.n < 8) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".txt"))
      continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    input.text[input.n] = slurp(p);
    /* The first lines only: every code path still runs, at a fraction of
     * the cost of each of the thousands of plays. */
    char *t = input.text[input.n];
    if (strlen(t) > PAGE_BYTES) {
      t[PAGE_BYTES] = '\0';
      char *nl = strrchr(t, '\n');
      if (nl)
        *nl = '\0';
    }
    input.len[input.n] = strlen(t);
    input.name[input.n] = strdup(e->d_name);
    input.n++;
  }
  closedir(d);
  if (input.n < 3)
    return -1;
  /* A near copy (a copy group to find) and a text with invalid UTF-8 and
   * a NUL (the replacement paths). */
  tg_buf b = {0};
  tg_copy(&b, input.text[0], 3, 2);
  input.text[input.n] = b.p;
  input.len[input.n] = b.n;
  input.name[input.n++] = strdup("copy.txt");
  static const char bad[] =
      "Short \xFF\xFE note\0with a bad byte, and enough words around the "
      "one NUL byte that the page is still taken for text rather than for "
      "binary data: fewer than one byte in a hundred is a control byte.";
  input.text[input.n] = malloc(sizeof bad);
  memcpy(input.text[input.n], bad, sizeof bad);
  input.len[input.n] = sizeof bad - 1;
  input.name[input.n++] = strdup("bad.txt");
  const char *t = getenv("TMPDIR");
  snprintf(idx_path, sizeof idx_path, "%s/dedup-oom-%ld.idx",
           t ? t : "/tmp", (long)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (size_t i = 0; i < input.n; i++) {
    free(input.name[i]);
    free(input.text[i]);
  }
  unlink(idx_path);
  return 0;
}

/* One call under injection: OK, or ENOMEM and then OK when made again
 * (only one allocation of the play fails). */
#define CALL(expr)                                                             \
  do {                                                                         \
    int rc_ = (expr);                                                          \
    if (rc_ == DEDUP_ENOMEM)                                                   \
      rc_ = (expr);                                                            \
    if (rc_ != DEDUP_OK)                                                       \
      fail_msg("N=%ld: %s returned %d", fail_at, #expr, rc_);                  \
  } while (0)

/* Returns the two snapshots (after the first run, after the reload). */
static void play(const dedup_params *p, char **first, char **second) {
  dedup_corpus *c = NULL, *l = NULL;
  CALL(dedup_corpus_new(&c, p));
  for (size_t i = 0; i + 1 < input.n; i++) {
    size_t inv;
    CALL(dedup_corpus_add(c, input.name[i], input.text[i], input.len[i],
                          i % 2 ? &inv : NULL));
  }
  CALL(run_opts(c, 1, 0)); /* cmocka's allocator is not thread-safe */
  *first = snapshot(c);
  CALL(dedup_corpus_save(c, idx_path));
  dedup_corpus_free(c);
  CALL(dedup_corpus_load(&l, idx_path));
  size_t last = input.n - 1;
  /* The batch add of one document: after ENOMEM nothing was added. */
  dedup_doc_in in1 = {input.name[last], input.text[last], input.len[last],
                      NULL};
  /* Whatever allocation fails, the status is said (12345: unwritten). */
  int st1 = 12345;
  int rc1 = dedup_corpus_add_many(l, &in1, 1, 1, &st1);
  if (rc1 == DEDUP_ENOMEM && st1 != DEDUP_ENOMEM)
    fail_msg("N=%ld: add_many ENOMEM with status %d", fail_at, st1);
  if (rc1 == DEDUP_ENOMEM)
    CALL(dedup_corpus_add_many(l, &in1, 1, 1, &st1));
  else if (rc1 != DEDUP_OK)
    fail_msg("N=%ld: add_many returned %d", fail_at, rc1);
  CALL(run_opts(l, 1, 0));
  *second = snapshot(l);
  /* explain and the kept text: every pair of the first items. */
  size_t ni = dedup_corpus_item_count(l);
  for (size_t a = 0; a < ni && a < 2; a++) {
    for (size_t b = 0; b < ni && b < 2; b++) {
      dedup_explanation *e = NULL;
      CALL(dedup_corpus_explain(&e, l, a, b));
      dedup_explanation_free(e);
    }
    char *t = NULL;
    CALL(dedup_corpus_item_text(&t, NULL, l, a));
    dedup_free(t);
  }
  dedup_corpus_free(l);
}

static void oom_sweep(const dedup_params *p) {
  char *want1, *want2;
  fail_at = 0;
  n_allocs = injected = live = 0;
  play(p, &want1, &want2);
  long total = n_allocs;
  assert_int_equal(live, 0);
  assert_true(total > 100); /* the hooks do see the library's heap */
  const char *only = getenv("DEDUP_OOM_N"), *trap = getenv("DEDUP_OOM_TRAP");
  long first = only ? atol(only) : 1;
  trap_at = trap ? atol(trap) : 0;
  for (fail_at = first;; fail_at++) {
    char *got1, *got2;
    n_allocs = injected = live = 0;
    play(p, &got1, &got2);
    if (live != 0) {
      report_leaks();
      fail_msg("N=%ld: %ld blocks leaked", fail_at, live);
    }
    if (strcmp(want1, got1) || strcmp(want2, got2))
      fail_msg("N=%ld: results differ after a failed call", fail_at);
    free(got1);
    free(got2);
    if (!injected || only)
      break;
  }
  /* Every allocation of the clean play was made to fail once. */
  assert_true(only || fail_at > total);
  print_message("%ld allocations, each failed once\n", total);
  free(want1);
  free(want2);
}

/* The shardable passes over two shards, as an engine drives them.  A
 * count that fails is made again into a fresh table (its counts are
 * partial); a records run that fails is made again from the records (it
 * uses them up); every other call is all or nothing. */
static dedup_corpus *records_corpus(const dedup_params *p, void *const *rec,
                                    const size_t *rlen) {
  dedup_corpus *all = NULL;
  CALL(dedup_corpus_new(&all, p));
  for (int r = 0; r < 2; r++)
    CALL(dedup_corpus_records_add(all, rec[r], rlen[r]));
  return all;
}

/* The heads corpus of pass 4 spread, its shards' ids set once. */
static dedup_corpus *heads_corpus(const dedup_params *p, void *const *hd,
                                  const size_t *hlen, dedup_corpus **sh) {
  dedup_corpus *all = NULL;
  CALL(dedup_corpus_new(&all, p));
  for (int r = 0; r < 2; r++)
    CALL(dedup_corpus_records_add(all, hd[r], hlen[r]));
  for (int r = 0; sh && r < 2; r++) {
    void *ids;
    size_t il;
    CALL(dedup_corpus_ids_encode(all, (size_t)r, &ids, &il));
    CALL(dedup_corpus_ids_set(sh[r], ids, il));
    dedup_free(ids);
  }
  return all;
}

/* Pass 4 spread over the two signed shards (copy level). */
static char *play_spread(const dedup_params *p, dedup_corpus **sh,
                         const dedup_run_options *o) {
  void *hd[2], *links[4];
  size_t hlen[2], ll[4];
  CALL(dedup_corpus_drop_texts(sh[0])); /* all or nothing */
  for (int r = 0; r < 2; r++)
    CALL(dedup_corpus_heads_encode(sh[r], &hd[r], &hlen[r]));
  dedup_corpus *all = heads_corpus(p, hd, hlen, sh);
  size_t nl = 0;
  for (int stage = DEDUP_SPREAD_CROWDS; stage <= DEDUP_SPREAD_BANDS;
       stage++) {
    void *keys[2][2], *pairs[2][2], *probes[2][2];
    size_t kl[2][2], pl[2][2], ql[2][2];
    for (int r = 0; r < 2; r++)
      CALL(dedup_corpus_keys_encode(sh[r], (dedup_spread_stage)stage, 2,
                                    keys[r], kl[r]));
    for (int q = 0; q < 2; q++) {
      const void *col[2] = {keys[0][q], keys[1][q]};
      size_t cl[2] = {kl[0][q], kl[1][q]};
      CALL(dedup_spread_pairs(col, cl, 2, pairs[q], pl[q]));
    }
    for (int r = 0; r < 2; r++) {
      const void *col[2] = {pairs[0][r], pairs[1][r]};
      size_t cl[2] = {pl[0][r], pl[1][r]};
      CALL(dedup_corpus_probes(sh[r], col, cl, 2, probes[r], ql[r]));
    }
    for (int r = 0; r < 2; r++, nl++) {
      const void *col[2] = {probes[0][r], probes[1][r]};
      size_t cl[2] = {ql[0][r], ql[1][r]};
      CALL(dedup_corpus_verify(sh[r], col, cl, 2, &links[nl], &ll[nl]));
    }
    for (int r = 0; r < 2; r++)
      for (int q = 0; q < 2; q++) {
        dedup_free(keys[r][q]);
        dedup_free(pairs[r][q]);
        dedup_free(probes[r][q]);
      }
  }
  const void *const *lk = (const void *const *)links;
  void *cl[4] = {links[0], links[1], links[2], links[3]}; /* copy links */
  size_t cll[4] = {ll[0], ll[1], ll[2], ll[3]};
  if (o->levels & DEDUP_RUN_STORY) {
    CALL(dedup_corpus_groups_set(all, (const void *const *)cl, cll, 4));
    void *g1[2][2], *g2[2][2], *g3[2][2];
    size_t l1[2][2], l2[2][2], l3[2][2];
    for (int r = 0; r < 2; r++) {
      void *b;
      size_t bl;
      CALL(dedup_corpus_reps_encode(all, (size_t)r, &b, &bl));
      CALL(dedup_corpus_reps_set(sh[r], b, bl));
      dedup_free(b);
    }
    for (int r = 0; r < 2; r++)
      CALL(dedup_corpus_terms_encode(sh[r], 2, g1[r], l1[r]));
    for (int q = 0; q < 2; q++) {
      const void *col[2] = {g1[0][q], g1[1][q]};
      size_t cln[2] = {l1[0][q], l1[1][q]};
      CALL(dedup_spread_terms_answer(col, cln, 2, g2[q], l2[q]));
    }
    for (int r = 0; r < 2; r++) {
      const void *col[2] = {g2[0][r], g2[1][r]};
      size_t cln[2] = {l2[0][r], l2[1][r]};
      CALL(dedup_corpus_weigh(sh[r], col, cln, 2));
    }
    for (int r = 0; r < 2; r++)
      for (int q = 0; q < 2; q++) {
        dedup_free(g1[r][q]);
        dedup_free(g2[r][q]);
      }
    for (int r = 0; r < 2; r++)
      CALL(dedup_corpus_samples_encode(sh[r], 2, g1[r], l1[r]));
    for (int q = 0; q < 2; q++) {
      const void *col[2] = {g1[0][q], g1[1][q]};
      size_t cln[2] = {l1[0][q], l1[1][q]};
      CALL(dedup_spread_runs(col, cln, 2, g2[q], l2[q]));
    }
    for (int r = 0; r < 2; r++) {
      const void *col[2] = {g2[0][r], g2[1][r]};
      size_t cln[2] = {l2[0][r], l2[1][r]};
      CALL(dedup_corpus_vectors_encode(sh[r], col, cln, 2, g3[r], l3[r]));
    }
    for (int r = 0; r < 2; r++) {
      const void *col[2] = {g3[0][r], g3[1][r]};
      size_t cln[2] = {l3[0][r], l3[1][r]};
      CALL(dedup_corpus_score(sh[r], col, cln, 2, &links[r], &ll[r]));
    }
    for (int r = 0; r < 2; r++)
      for (int q = 0; q < 2; q++) {
        dedup_free(g1[r][q]);
        dedup_free(g2[r][q]);
        dedup_free(g3[r][q]);
      }
    nl = 2;
  }
  if (dedup_corpus_run_links(all, lk, ll, nl, o) == DEDUP_ENOMEM) {
    dedup_corpus_free(all); /* it runs once */
    all = heads_corpus(p, hd, hlen, NULL);
    if (o->levels & DEDUP_RUN_STORY)
      CALL(dedup_corpus_groups_set(all, (const void *const *)cl, cll, 4));
    CALL(dedup_corpus_run_links(all, lk, ll, nl, o));
  }
  if (o->levels & DEDUP_RUN_STORY)
    for (int i = 0; i < 4; i++)
      dedup_free(cl[i]);
  char *snap = snapshot(all);
  dedup_corpus_free(all);
  for (size_t i = 0; i < nl; i++)
    dedup_free(links[i]);
  dedup_free(hd[0]);
  dedup_free(hd[1]);
  return snap;
}

/* levels: DEDUP_RUN_COPY, alone or with DEDUP_RUN_STORY: pass 4 spread
 * over the shards; 0 (every level): on one corpus of records. */
static char *play_shards(const dedup_params *p, unsigned levels) {
  dedup_corpus *sh[2];
  dedup_stats *st[2], *own[2], *mg[2];
  void *part[2][2], *ans[2][2], *rec[2];
  size_t plen[2][2], alen[2][2], rlen[2];
  dedup_run_options o;
  assert_int_equal(dedup_run_options_init(&o, DEDUP_RUN_OPTIONS_VERSION),
                   DEDUP_OK);
  o.threads = 1;
  o.levels = levels;
  for (int r = 0; r < 2; r++) {
    CALL(dedup_corpus_new(&sh[r], p));
    CALL(dedup_stats_new(&st[r]));
    CALL(dedup_stats_new(&own[r]));
    CALL(dedup_stats_new(&mg[r]));
  }
  for (size_t i = 0; i < input.n; i++)
    CALL(dedup_corpus_add(sh[i % 2], input.name[i], input.text[i],
                          input.len[i], NULL));
  for (int r = 0; r < 2; r++) {
    if (dedup_corpus_count(sh[r], st[r], &o) == DEDUP_ENOMEM) {
      dedup_stats_free(st[r]);
      CALL(dedup_stats_new(&st[r]));
      CALL(dedup_corpus_count(sh[r], st[r], &o));
    }
    for (unsigned q = 0; q < 2; q++)
      CALL(dedup_stats_encode(st[r], q, 2, &part[r][q], &plen[r][q]));
  }
  for (int q = 0; q < 2; q++)
    for (int r = 0; r < 2; r++)
      CALL(dedup_stats_add_encoded(own[q], part[r][q], plen[r][q]));
  for (int q = 0; q < 2; q++)
    for (int r = 0; r < 2; r++)
      CALL(dedup_stats_answer(own[q], part[r][q], plen[r][q], &ans[q][r],
                              &alen[q][r]));
  for (int r = 0; r < 2; r++) {
    for (int q = 0; q < 2; q++)
      CALL(dedup_stats_add_encoded(mg[r], ans[q][r], alen[q][r]));
    CALL(dedup_corpus_sign(sh[r], mg[r], &o));
    CALL(dedup_corpus_records_encode(sh[r], &rec[r], &rlen[r]));
  }
  char *snap;
  if (levels) {
    snap = play_spread(p, sh, &o);
  } else {
    dedup_corpus *all = records_corpus(p, rec, rlen);
    if (dedup_corpus_run_records(all, &o) == DEDUP_ENOMEM) {
      dedup_corpus_free(all);
      all = records_corpus(p, rec, rlen);
      CALL(dedup_corpus_run_records(all, &o));
    }
    snap = snapshot(all);
    dedup_corpus_free(all);
  }
  for (int r = 0; r < 2; r++) {
    for (int q = 0; q < 2; q++) {
      dedup_free(part[r][q]);
      dedup_free(ans[r][q]);
    }
    dedup_free(rec[r]);
    dedup_corpus_free(sh[r]);
    dedup_stats_free(st[r]);
    dedup_stats_free(own[r]);
    dedup_stats_free(mg[r]);
  }
  return snap;
}

static void oom_shards(unsigned levels) {
  dedup_params p = DEDUP_PARAMS_INIT;
  fail_at = 0;
  n_allocs = injected = live = 0;
  char *want = play_shards(&p, levels);
  long total = n_allocs;
  assert_int_equal(live, 0);
  assert_non_null(strstr(want, "link ")); /* a copy group at least */
  for (fail_at = 1;; fail_at++) {
    n_allocs = injected = live = 0;
    char *got = play_shards(&p, levels);
    if (live != 0) {
      report_leaks();
      fail_msg("N=%ld: %ld blocks leaked", fail_at, live);
    }
    if (strcmp(want, got))
      fail_msg("N=%ld: results differ after a failed call", fail_at);
    free(got);
    if (!injected)
      break;
  }
  assert_true(fail_at > total);
  print_message("%ld allocations, each failed once\n", total);
  free(want);
}

static void test_oom_shards(void **state) {
  (void)state;
  oom_shards(0);
}

/* Pass 4 spread over the shards, the copy level and both. */
static void test_oom_spread(void **state) {
  (void)state;
  oom_shards(DEDUP_RUN_COPY);
  oom_shards(DEDUP_RUN_COPY | DEDUP_RUN_STORY);
}

static void test_oom_default(void **state) {
  (void)state;
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  oom_sweep(&p);
}

static void test_oom_simhash_split(void **state) {
  (void)state;
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  p.method = DEDUP_METHOD_SIMHASH;
  p.flags = DEDUP_F_SPLIT_EMBEDDED | DEDUP_F_NO_CLEAN;
  oom_sweep(&p);
}

/* dedup_components: each of its allocations failing gives DEDUP_ENOMEM,
 * nothing leaked, and the call made again succeeds. */
static void test_oom_components(void **state) {
  (void)state;
  size_t lab[6], nc = 0;
  const uint32_t a[3] = {0, 2, 5}, b[3] = {1, 3, 2};
  const size_t want[6] = {0, 0, 1, 1, 2, 1};
  for (fail_at = 1;; fail_at++) {
    n_allocs = injected = live = 0;
    int rc = dedup_components(lab, &nc, 6, a, b, 3);
    assert_int_equal(live, 0);
    if (!injected) {
      assert_int_equal(rc, DEDUP_OK);
      break;
    }
    assert_int_equal(rc, DEDUP_ENOMEM);
    assert_int_equal(nc, 0);
  }
  assert_true(fail_at > 1); /* it does allocate */
  assert_int_equal(nc, 3);
  assert_memory_equal(lab, want, sizeof want);
  fail_at = 0;
}

/* dedup_simhash_pairs and the SimHash index: each allocation failing
 * gives DEDUP_ENOMEM, empty outputs and no leak; then the same results
 * as an unhindered call (one thread, so allocations come in one order). */
static void test_oom_simsearch(void **state) {
  (void)state;
  uint64_t fp[40];
  for (size_t i = 0; i < 40; i++)
    fp[i] = 0x9e3779b97f4a7c15ULL * (i + 1);
  for (size_t i = 4; i < 40; i += 4)
    fp[i] = fp[i - 3] ^ 5; /* distance 2 */
  for (fail_at = 1;; fail_at++) {
    n_allocs = injected = live = 0;
    dedup_pair *p = (dedup_pair *)1;
    size_t m = 9;
    int rc = dedup_simhash_pairs(&p, &m, fp, 40, 3, 1);
    if (!injected) {
      assert_int_equal(rc, DEDUP_OK);
      assert_int_equal(m, 9);
      for (size_t i = 0; i < m; i++)
        assert_int_equal(p[i].b, p[i].a + 3);
      dedup_free(p);
      assert_int_equal(live, 0);
      break;
    }
    assert_int_equal(rc, DEDUP_ENOMEM);
    assert_null(p);
    assert_int_equal(m, 0);
    assert_int_equal(live, 0);
  }
  assert_true(fail_at > 1);
  for (fail_at = 1;; fail_at++) {
    n_allocs = injected = live = 0;
    dedup_simhash_index *x = (dedup_simhash_index *)1;
    uint32_t *ids = (uint32_t *)1;
    size_t m = 9;
    int rc = dedup_simhash_index_new(&x, fp, 40, 3);
    if (rc == DEDUP_OK) {
      rc = dedup_simhash_index_query(x, fp[1], &ids, &m);
      dedup_simhash_index_free(x);
    } else {
      assert_null(x);
    }
    if (!injected) {
      assert_int_equal(rc, DEDUP_OK);
      assert_int_equal(m, 2);
      assert_int_equal(ids[0], 1);
      assert_int_equal(ids[1], 4);
      dedup_free(ids);
      assert_int_equal(live, 0);
      break;
    }
    assert_int_equal(rc, DEDUP_ENOMEM);
    assert_int_equal(live, 0);
  }
  fail_at = 0;
}

/* The service index's file: each allocation of an open or a save failing
 * gives DEDUP_ENOMEM and no leak (a save leaves the file as it was); the
 * call made again succeeds, and an opened index saves to the same bytes. */
static void test_oom_index_file(void **state) {
  (void)state;
  char a[300], b[300];
  snprintf(a, sizeof a, "%s.svc", idx_path);
  snprintf(b, sizeof b, "%s.svc2", idx_path);
  fail_at = 0;
  dedup_index *ix;
  assert_int_equal(dedup_index_new(&ix, NULL, DEDUP_INDEX_KEEP_TEXTS),
                   DEDUP_OK);
  for (size_t i = 0; i < input.n && i < 4; i++)
    assert_int_equal(dedup_index_add(ix, input.name[i], input.text[i],
                                     input.len[i], NULL,
                                     i == 3 ? DEDUP_ADD_DEFER : 0, NULL),
                     DEDUP_OK);
  assert_int_equal(dedup_index_remove(ix, input.name[1]), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  dedup_index_free(ix);
  size_t na;
  char *want = tg_slurp(a, &na);
  assert_non_null(want);
  for (fail_at = 1;; fail_at++) {
    n_allocs = injected = live = 0;
    dedup_index *o = (dedup_index *)1;
    int rc = dedup_index_open(&o, a, DEDUP_INDEX_READ_ONLY);
    if (rc == DEDUP_OK)
      dedup_index_free(o);
    else
      assert_null(o);
    assert_int_equal(live, 0);
    if (!injected) {
      assert_int_equal(rc, DEDUP_OK);
      break;
    }
    assert_int_equal(rc, DEDUP_ENOMEM);
  }
  assert_true(fail_at > 1);
  fail_at = 0;
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, a, 0), DEDUP_OK);
  long base = live;
  for (fail_at = 1;; fail_at++) {
    n_allocs = injected = 0;
    int rc = dedup_index_save(o, b);
    assert_int_equal(live, base);
    if (!injected) {
      assert_int_equal(rc, DEDUP_OK);
      break;
    }
    /* Removing stale temporaries is best effort: it may fail alone. */
    assert_true(rc == DEDUP_ENOMEM || rc == DEDUP_OK);
    if (rc == DEDUP_OK)
      unlink(b);
    assert_int_equal(access(b, F_OK), -1); /* nothing half written */
  }
  fail_at = 0;
  dedup_index_free(o);
  size_t nb;
  char *got = tg_slurp(b, &nb);
  assert_non_null(got);
  assert_int_equal(na, nb);
  assert_memory_equal(want, got, na);
  free(want);
  free(got);
  unlink(a);
  unlink(b);
  char l[320];
  snprintf(l, sizeof l, "%s.lock", a);
  unlink(l);
  snprintf(l, sizeof l, "%s.lock", b);
  unlink(l);
}

/* The journal: each allocation of a save that appends to it failing in
 * turn gives DEDUP_ENOMEM or (when the operations' buffer is what failed,
 * and the file is written whole) DEDUP_OK, the save made again succeeds,
 * and the index opens; each allocation of an open that does the journal
 * again failing gives DEDUP_ENOMEM; nothing leaks; what finally opens is
 * the writer's index, byte for byte. */
static void journal_start(const char *a) {
  char l[320];
  snprintf(l, sizeof l, "%s.journal", a);
  unlink(l);
  unlink(a);
  dedup_index *ix;
  assert_int_equal(dedup_index_create(&ix, a, NULL, 0), DEDUP_OK);
  for (size_t i = 0; i < input.n && i < 2; i++)
    assert_int_equal(dedup_index_add(ix, input.name[i], input.text[i],
                                     input.len[i], NULL, 0, NULL),
                     DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK); /* the journal */
  dedup_index_free(ix);
}

static void test_oom_journal(void **state) {
  (void)state;
  char a[300], ref[300], b[300], l[320];
  snprintf(a, sizeof a, "%s.jnl", idx_path);
  snprintf(ref, sizeof ref, "%s.jref", idx_path);
  snprintf(b, sizeof b, "%s.jtry", idx_path);
  for (long k = 1;; k++) {
    fail_at = 0;
    journal_start(a);
    dedup_index *ix;
    assert_int_equal(dedup_index_open(&ix, a, 0), DEDUP_OK);
    for (size_t i = 2; i < input.n && i < 4; i++)
      assert_int_equal(dedup_index_add(ix, input.name[i], input.text[i],
                                       input.len[i], NULL, 0, NULL),
                       DEDUP_OK);
    assert_int_equal(dedup_index_remove(ix, input.name[0]), DEDUP_OK);
    long base = live;
    fail_at = k;
    n_allocs = injected = 0;
    int rc = dedup_index_save(ix, NULL);
    long hit = injected;
    fail_at = 0;
    /* (Less when the buffer was what failed: dropped, the file written
     * whole.) */
    assert_true(live <= base);
    assert_true(rc == DEDUP_OK || rc == DEDUP_ENOMEM);
    if (rc != DEDUP_OK) /* made again, it saves */
      assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
    if (!hit)
      assert_int_equal(dedup_index_save(ix, ref), DEDUP_OK);
    dedup_index_free(ix);
    assert_int_equal(live, 0);
    assert_int_equal(dedup_index_open(&ix, a, 0), DEDUP_OK);
    dedup_index_free(ix);
    if (!hit)
      break;
  }
  size_t nr;
  char *want = tg_slurp(ref, &nr);
  assert_non_null(want);
  for (long k = 1;; k++) {
    n_allocs = injected = live = 0;
    fail_at = k;
    dedup_index *o = (dedup_index *)1;
    int rc = dedup_index_open(&o, a, 0);
    long hit = injected;
    fail_at = 0;
    if (rc == DEDUP_OK) {
      assert_int_equal(dedup_index_save(o, b), DEDUP_OK);
      dedup_index_free(o);
      size_t nb;
      char *got = tg_slurp(b, &nb);
      assert_non_null(got);
      assert_int_equal(nb, nr);
      assert_memory_equal(got, want, nr);
      free(got); /* (an open may succeed past a failed cache: the same) */
    } else {
      assert_int_equal(rc, DEDUP_ENOMEM);
      assert_null(o);
    }
    assert_int_equal(live, 0);
    if (!hit)
      break;
  }
  free(want);
  /* An add between saves, each allocation failing in turn: whatever it
   * left (an add that failed after its plan began may have weighed
   * vectors again), the save that follows and an open give the writer's
   * index (a failed add makes that save write the file whole). */
  for (long k = 1;; k++) {
    fail_at = 0;
    journal_start(a);
    dedup_index *ix;
    assert_int_equal(dedup_index_open(&ix, a, 0), DEDUP_OK);
    fail_at = k;
    n_allocs = injected = 0;
    int rc = dedup_index_add(ix, input.name[2], input.text[2], input.len[2],
                             NULL, 0, NULL);
    long hit = injected;
    fail_at = 0;
    assert_true(rc == DEDUP_OK || rc == DEDUP_ENOMEM);
    assert_int_equal(dedup_index_add(ix, input.name[3], input.text[3],
                                     input.len[3], NULL, 0, NULL),
                     DEDUP_OK);
    assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
    assert_int_equal(dedup_index_save(ix, ref), DEDUP_OK);
    dedup_index_free(ix);
    dedup_index *o;
    assert_int_equal(dedup_index_open(&o, a, 0), DEDUP_OK);
    assert_int_equal(dedup_index_save(o, b), DEDUP_OK);
    dedup_index_free(o);
    size_t n1, n2;
    char *x = tg_slurp(ref, &n1), *y = tg_slurp(b, &n2);
    assert_true(x && y);
    assert_int_equal(n1, n2);
    assert_memory_equal(x, y, n1);
    free(x);
    free(y);
    assert_int_equal(live, 0);
    if (!hit)
      break;
  }
  const char *files[] = {a, ref, b};
  for (int i = 0; i < 3; i++) {
    unlink(files[i]);
    snprintf(l, sizeof l, "%s.lock", files[i]);
    unlink(l);
    snprintf(l, sizeof l, "%s.journal", files[i]);
    unlink(l);
  }
}

/* A call on an index opened from a file, each of its allocations failing
 * in turn, nothing leaked:
 *   - DEDUP_ENOMEM leaves the index as it was: its saved bytes those
 *     saved before the call; or, with `again` (an add, whose plan may
 *     weigh stale vectors again, as any next add would), the call made
 *     again gives the bytes a call without failures gives;
 *   - DEDUP_OK after a failure (a remove's new representative weighed on
 *     its next use, an add's looks at old groups skipped): an index that
 *     still saves. */
typedef struct ix_call {
  int (*fn)(dedup_index *ix, const struct ix_call *c);
  const char *id, *text;
  size_t len;
  int again;
} ix_call;

static int call_add(dedup_index *ix, const ix_call *c) {
  return dedup_index_add(ix, c->id, c->text, c->len, NULL, 0, NULL);
}
static int call_remove_rep(dedup_index *ix, const ix_call *c) {
  (void)c;
  return dedup_index_remove(ix, input.name[0]); /* its group's first */
}
static int call_rebuild(dedup_index *ix, const ix_call *c) {
  (void)c;
  /* One thread: the hooks count allocations on one. */
  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  o.threads = 1;
  return dedup_index_rebuild(ix, &o);
}

static void oom_one_call(const char *a, const ix_call *c) {
  char ref[300], b[300];
  snprintf(ref, sizeof ref, "%s.ref", a);
  snprintf(b, sizeof b, "%s.try", a);
  fail_at = 0;
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, a, 0), DEDUP_OK);
  if (c->again) /* the bytes after the call, else before it */
    assert_int_equal(c->fn(o, c), DEDUP_OK);
  assert_int_equal(dedup_index_save(o, ref), DEDUP_OK);
  dedup_index_free(o);
  size_t nr;
  char *want = tg_slurp(ref, &nr);
  assert_non_null(want);
  for (fail_at = 1;; fail_at++) {
    long keep = fail_at;
    fail_at = 0;
    assert_int_equal(dedup_index_open(&o, a, 0), DEDUP_OK);
    fail_at = keep;
    n_allocs = injected = 0;
    int rc = c->fn(o, c);
    long hit = injected;
    fail_at = 0;
    assert_true(rc == DEDUP_OK || rc == DEDUP_ENOMEM);
    /* (The writer's stop tables and scratch may stay after a failure:
     * they are not the index's state, and are freed with it.) */
    if (rc == DEDUP_ENOMEM && c->again)
      assert_int_equal(c->fn(o, c), DEDUP_OK);
    assert_int_equal(dedup_index_save(o, b), DEDUP_OK);
    dedup_index_free(o);
    assert_int_equal(live, 0); /* nothing leaked */
    size_t nb;
    char *got = tg_slurp(b, &nb);
    assert_non_null(got);
    if (rc == DEDUP_ENOMEM || (c->again && !hit)) {
      assert_int_equal(nb, nr);
      assert_memory_equal(got, want, nr);
    }
    free(got);
    if (!hit)
      break;
    fail_at = keep;
  }
  fail_at = 0;
  free(want);
  unlink(ref);
  unlink(b);
  char l[320];
  snprintf(l, sizeof l, "%s.lock", ref);
  unlink(l);
  snprintf(l, sizeof l, "%s.lock", b);
  unlink(l);
}

static void test_oom_index_remove_rebuild(void **state) {
  (void)state;
  char a[300];
  snprintf(a, sizeof a, "%s.rm", idx_path);
  fail_at = 0;
  dedup_index *ix;
  assert_int_equal(dedup_index_new(&ix, NULL, DEDUP_INDEX_KEEP_TEXTS),
                   DEDUP_OK);
  for (size_t i = 0; i < input.n && i < 4; i++) /* 3: a near copy of 0 */
    assert_int_equal(dedup_index_add(ix, input.name[i], input.text[i],
                                     input.len[i], NULL, 0, NULL),
                     DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  dedup_index_free(ix);
  ix_call rm = {call_remove_rep, NULL, NULL, 0, 0};
  ix_call rb = {call_rebuild, NULL, NULL, 0, 0};
  oom_one_call(a, &rm);
  oom_one_call(a, &rb);
  unlink(a);
  char l[320];
  snprintf(l, sizeof l, "%s.lock", a);
  unlink(l);
}

static void test_oom_index_add(void **state) {
  (void)state;
  char a[300];
  snprintf(a, sizeof a, "%s.add", idx_path);
  fail_at = 0;
  dedup_index *ix;
  assert_int_equal(dedup_index_new(&ix, NULL, 0), DEDUP_OK);
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(dedup_index_add(ix, input.name[i], input.text[i],
                                     input.len[i], NULL, 0, NULL),
                     DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  dedup_index_free(ix);
  /* A copy (the copy level's path, a representative changing), an exact
   * copy and a page of its own. */
  tg_buf t = {0};
  tg_article(&t, 77, 5, 300);
  const ix_call adds[] = {
      {call_add, "near-copy", input.text[3], input.len[3], 1},
      {call_add, "exact-copy", input.text[1], input.len[1], 1},
      {call_add, "own", t.p, t.n, 1}};
  for (size_t i = 0; i < 3; i++)
    oom_one_call(a, &adds[i]);
  tg_free(&t);
  unlink(a);
  char l[320];
  snprintf(l, sizeof l, "%s.lock", a);
  unlink(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oom_index_file),
      cmocka_unit_test(test_oom_journal),
      cmocka_unit_test(test_oom_index_add),
      cmocka_unit_test(test_oom_index_remove_rebuild),
      cmocka_unit_test(test_oom_simsearch),
      cmocka_unit_test(test_oom_default),
      cmocka_unit_test(test_oom_simhash_split),
      cmocka_unit_test(test_oom_components),
      cmocka_unit_test(test_oom_shards),
      cmocka_unit_test(test_oom_spread),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
