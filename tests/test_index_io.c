/* test_index_io.c - saving and loading a corpus (lib/index_io.c).
 *
 * What must hold: a loaded corpus plus new documents clusters exactly like
 * a fresh corpus given all documents; every truncation and every single
 * byte change of a file is refused without reading past its end; a failed
 * save leaves the old file as it was and no temporary file behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corpus/corpus_private.h"
#include "dedup.h"
#include "common/hash.h"
#include "corpus/index_io.h"
#include "snapshot.h"
#include "testgen.h"
#include "tmpdir.h"
#include "runopt.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

static int setup_dir(void **state) {
  (void)state;
  return tmpdir_make("dedup-index-");
}

static int teardown_dir(void **state) {
  (void)state;
  remove_tree(tmpdir);
  return 0;
}

static char *slurp(const char *path, size_t *len) {
  char *b = tg_slurp(path, len);
  assert_non_null(b);
  return b;
}

static void spit(const char *path, const void *b, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

/* Entries of the test directory other than . and .. */
static size_t dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  closedir(d);
  return n;
}

static uint64_t xxh64(const void *p, size_t n) {
  dedup__xxh64_state s;
  dedup__xxh64_reset(&s);
  dedup__xxh64_update(&s, p, n);
  return dedup__xxh64_digest(&s);
}

static void put_le(unsigned char *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* After patching a file in memory: a valid checksum again, so only the
 * check under test can refuse it. */
static void fix_sum(unsigned char *b, size_t len) {
  put_le(b + len - 8, xxh64(b, len - 8), 8);
}

/* Generated corpus: `groups` topics, each an article and `copies` near
 * copies of it, named so that insertion order differs from name order. */
typedef struct gdocs {
  char **name, **text;
  size_t n;
} gdocs;

static gdocs gen_docs(size_t groups, size_t copies, uint64_t seed) {
  gdocs g = {0};
  g.name = calloc(groups * (copies + 1), sizeof *g.name);
  g.text = calloc(groups * (copies + 1), sizeof *g.text);
  assert_non_null(g.name);
  assert_non_null(g.text);
  for (size_t t = 0; t < groups; t++) {
    tg_buf a = {0};
    tg_article(&a, seed + t, seed * 31 + t, 150 + 40 * (t % 5));
    for (size_t c = 0; c <= copies; c++) {
      char nm[64];
      snprintf(nm, sizeof nm, "g%03zu-%c.txt", (groups - t) * 7 % 101,
               (int)('a' + c));
      g.name[g.n] = strdup(nm);
      if (c == 0) {
        g.text[g.n] = strdup(a.p);
      } else {
        tg_buf b = {0};
        tg_copy(&b, a.p, seed + 1000 * t + c, 3);
        g.text[g.n] = b.p;
      }
      g.n++;
    }
    tg_free(&a);
  }
  return g;
}

static void gdocs_free(gdocs *g) {
  for (size_t i = 0; i < g->n; i++) {
    free(g->name[i]);
    free(g->text[i]);
  }
  free(g->name);
  free(g->text);
}

/* The seed pages, plus a near copy of the first (so a copy group exists). */
static gdocs seed_docs(void) {
  const char *dir = getenv("DEDUP_SEEDS");
  assert_non_null(dir);
  DIR *d = opendir(dir);
  assert_non_null(d);
  gdocs g = {0};
  g.name = calloc(64, sizeof *g.name);
  g.text = calloc(64, sizeof *g.text);
  struct dirent *e;
  while ((e = readdir(d)) && g.n < 60) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".txt"))
      continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    size_t len;
    g.text[g.n] = slurp(p, &len);
    g.name[g.n] = strdup(e->d_name);
    g.n++;
  }
  closedir(d);
  assert_true(g.n >= 3);
  tg_buf b = {0};
  tg_copy(&b, g.text[0], 7, 2);
  g.text[g.n] = b.p;
  g.name[g.n] = strdup("copy-of-first.txt");
  g.n++;
  return g;
}

static void add_range(dedup_corpus *c, const gdocs *g, size_t lo, size_t hi,
                      int count_invalid) {
  for (size_t i = lo; i < hi; i++) {
    size_t inv = 0;
    assert_int_equal(dedup_corpus_add(c, g->name[i], g->text[i],
                                      strlen(g->text[i]),
                                      count_invalid && i % 2 ? &inv : NULL),
                     DEDUP_OK);
  }
}

static char *run_snapshot(dedup_corpus *c) {
  assert_int_equal(run_opts(c, 2, 0), DEDUP_OK);
  return snapshot(c);
}

static dedup_params test_params(void) {
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  p.seed = 42;
  return p;
}

/* A small saved corpus, as bytes. */
static unsigned char *small_file(size_t *len) {
  dedup_params p = test_params();
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  size_t inv;
  const char *ta = "Hello world, \xC3\xA9t\xC3\xA9.", *tb = "Bad \xFF byte here";
  assert_int_equal(dedup_corpus_add(c, "a", ta, strlen(ta), &inv), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "b", tb, strlen(tb), NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_save(c, path_in("small.idx")), DEDUP_OK);
  dedup_corpus_free(c);
  return (unsigned char *)slurp(path_in("small.idx"), len);
}

/* ---- round trip ------------------------------------------------------- */

static void test_round_trip_state(void **state) {
  (void)state;
  dedup_params p = test_params();
  p.shingle_k = 4;
  p.num_perm = 64;
  p.threshold = 0.6;
  p.flags = DEDUP_F_SPLIT_EMBEDDED;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  gdocs g = gen_docs(4, 1, 5);
  add_range(c, &g, 0, g.n, 1); /* odd ones normalised at add, even raw */
  const char *bad = "caf\xC3\xA9 \xFF\xFE news";
  size_t inv;
  assert_int_equal(dedup_corpus_add(c, "bad", bad, strlen(bad), &inv),
                   DEDUP_OK);
  assert_int_equal(inv, 2);
  assert_int_equal(dedup_corpus_save(c, path_in("rt.idx")), DEDUP_OK);
  dedup_corpus *l;
  assert_int_equal(dedup_corpus_load(&l, path_in("rt.idx")), DEDUP_OK);
  assert_true(l->p.shingle_k == 4 && l->p.num_perm == 64 &&
              l->p.threshold == 0.6 && l->p.seed == 42 &&
              l->p.flags == DEDUP_F_SPLIT_EMBEDDED &&
              l->p.story_threshold == c->p.story_threshold);
  assert_int_equal(l->n_docs, c->n_docs);
  for (size_t i = 0; i < c->n_docs; i++) {
    const cdoc *a = &c->docs[i], *b = &l->docs[i];
    assert_string_equal(a->name, b->name);
    assert_int_equal(!a->text, !b->text); /* raw stays raw */
    if (a->text) {
      assert_int_equal(a->len, b->len);
      assert_memory_equal(a->text, b->text, a->len);
      assert_int_equal(a->n_invalid, b->n_invalid);
    } else {
      assert_int_equal(a->raw_len, b->raw_len);
      assert_memory_equal(a->raw, b->raw, a->raw_len);
    }
  }
  assert_int_equal(dedup_corpus_cluster_count(l, DEDUP_LEVEL_COPY), 0);
  char *s1 = run_snapshot(c), *s2 = run_snapshot(l);
  assert_string_equal(s1, s2);
  /* After a run every text is normalised; saved again, nothing changes. */
  assert_int_equal(dedup_corpus_save(l, path_in("rt2.idx")), DEDUP_OK);
  dedup_corpus *l2;
  assert_int_equal(dedup_corpus_load(&l2, path_in("rt2.idx")), DEDUP_OK);
  for (size_t i = 0; i < l2->n_docs; i++)
    assert_non_null(l2->docs[i].text);
  char *s3 = run_snapshot(l2);
  assert_string_equal(s1, s3);
  free(s1);
  free(s2);
  free(s3);
  dedup_corpus_free(c);
  dedup_corpus_free(l);
  dedup_corpus_free(l2);
  gdocs_free(&g);
}

static void test_round_trip_empty(void **state) {
  (void)state;
  dedup_params p = test_params();
  p.method = DEDUP_METHOD_SIMHASH;
  dedup_corpus *c, *l;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_save(c, path_in("empty.idx")), DEDUP_OK);
  size_t len;
  free(slurp(path_in("empty.idx"), &len));
  assert_int_equal(len, DEDUP__INDEX_HEADER + DEDUP__INDEX_TRAILER);
  assert_int_equal(dedup_corpus_load(&l, path_in("empty.idx")), DEDUP_OK);
  assert_int_equal(l->n_docs, 0);
  assert_int_equal(l->p.method, DEDUP_METHOD_SIMHASH);
  assert_true(l->p.threshold == c->p.threshold);
  assert_int_equal(dedup_corpus_run(l), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_count(l), 0);
  dedup_corpus_free(c);
  dedup_corpus_free(l);
}

/* yesterday = docs[0..split) saved (after a run or not), loaded, today's
 * docs added: same output as one corpus of everything. */
static void check_incremental(const gdocs *g, size_t split, int run_first,
                              const dedup_params *p) {
  dedup_corpus *all, *y, *t;
  assert_int_equal(dedup_corpus_new(&all, p), DEDUP_OK);
  add_range(all, g, 0, g->n, 0);
  char *want = run_snapshot(all);
  /* Not a trivial case: some documents did cluster. */
  assert_true(dedup_corpus_cluster_count(all, DEDUP_LEVEL_COPY) < g->n);

  assert_int_equal(dedup_corpus_new(&y, p), DEDUP_OK);
  add_range(y, g, 0, split, 1);
  if (run_first)
    assert_int_equal(dedup_corpus_run(y), DEDUP_OK);
  assert_int_equal(dedup_corpus_save(y, path_in("y.idx")), DEDUP_OK);
  dedup_corpus_free(y);
  assert_int_equal(dedup_corpus_load(&t, path_in("y.idx")), DEDUP_OK);
  add_range(t, g, split, g->n, 0);
  char *got = run_snapshot(t);
  assert_string_equal(want, got);
  free(want);
  free(got);
  dedup_corpus_free(all);
  dedup_corpus_free(t);
}

static void test_incremental_generated(void **state) {
  (void)state;
  gdocs g = gen_docs(20, 2, 11);
  dedup_params p = test_params();
  check_incremental(&g, 40, 1, &p);
  check_incremental(&g, 25, 0, &p);
  p.method = DEDUP_METHOD_SIMHASH;
  p.threshold = 0;
  check_incremental(&g, 31, 1, &p);
  gdocs_free(&g);
}

static void test_incremental_seeds(void **state) {
  (void)state;
  gdocs g = seed_docs();
  dedup_params p = test_params();
  for (size_t split = 1; split < g.n; split++)
    check_incremental(&g, split, (int)(split % 2), &p);
  gdocs_free(&g);
}

/* ---- refusing bad files ----------------------------------------------- */

static void test_truncated_every_length(void **state) {
  (void)state;
  size_t len;
  unsigned char *b = small_file(&len);
  dedup_corpus *c;
  assert_int_equal(dedup__index_load_mem(&c, b, len), DEDUP_OK);
  dedup_corpus_free(c);
  for (size_t n = 0; n < len; n++) {
    /* From memory: a copy of exactly n bytes, so ASan sees any overread. */
    unsigned char *cut = malloc(n ? n : 1);
    memcpy(cut, b, n);
    c = (dedup_corpus *)1;
    assert_int_equal(dedup__index_load_mem(&c, cut, n), DEDUP_EFORMAT);
    assert_null(c);
    free(cut);
    spit(path_in("cut.idx"), b, n);
    c = (dedup_corpus *)1;
    assert_int_equal(dedup_corpus_load(&c, path_in("cut.idx")),
                     DEDUP_EFORMAT);
    assert_null(c);
  }
  free(b);
}

static void test_every_byte_corrupted(void **state) {
  (void)state;
  size_t len;
  unsigned char *b = small_file(&len);
  static const unsigned char masks[] = {0x01, 0x80, 0xFF};
  for (size_t i = 0; i < len; i++) {
    for (size_t m = 0; m < sizeof masks; m++) {
      unsigned char *x = malloc(len);
      memcpy(x, b, len);
      x[i] ^= masks[m];
      /* A version byte changed: refused as a version unless it makes
       * another known one (3 ^ 1 = 2), whose checksum then fails. */
      uint32_t v = (uint32_t)(x[8] | x[9] << 8 | x[10] << 16 |
                              (uint32_t)x[11] << 24);
      int want = i >= 8 && i < 12 && (v < 1 || v > DEDUP__INDEX_VERSION)
                     ? DEDUP_EVERSION
                     : DEDUP_EFORMAT;
      dedup_corpus *c = (dedup_corpus *)1;
      assert_int_equal(dedup__index_load_mem(&c, x, len), want);
      assert_null(c);
      if (m == 2) { /* and through a file */
        spit(path_in("bad.idx"), x, len);
        assert_int_equal(dedup_corpus_load(&c, path_in("bad.idx")), want);
        assert_null(c);
      }
      free(x);
    }
  }
  free(b);
}

static void test_wrong_version(void **state) {
  (void)state;
  size_t len;
  unsigned char *b = small_file(&len);
  static const uint32_t versions[] = {0, DEDUP__INDEX_VERSION + 1,
                                      0xFFFFFFFFu};
  for (size_t v = 0; v < 3; v++) {
    put_le(b + 8, versions[v], 4);
    fix_sum(b, len);
    spit(path_in("ver.idx"), b, len);
    dedup_corpus *c = (dedup_corpus *)1;
    assert_int_equal(dedup_corpus_load(&c, path_in("ver.idx")),
                     DEDUP_EVERSION);
    assert_null(c);
  }
  free(b);
}

/* Patches width bytes at off to v, with a valid checksum: refused. */
static void expect_patch_refused(unsigned char *b, size_t len, size_t off,
                                 int width, uint64_t v) {
  unsigned char *x = malloc(len);
  memcpy(x, b, len);
  put_le(x + off, v, width);
  fix_sum(x, len);
  dedup_corpus *c = (dedup_corpus *)1;
  assert_int_equal(dedup__index_load_mem(&c, x, len), DEDUP_EFORMAT);
  assert_null(c);
  free(x);
}

static void expect_patch_loads(unsigned char *b, size_t len, size_t off,
                               int width, uint64_t v) {
  unsigned char *x = malloc(len);
  memcpy(x, b, len);
  put_le(x + off, v, width);
  fix_sum(x, len);
  dedup_corpus *c = NULL, *orig = NULL;
  assert_int_equal(dedup__index_load_mem(&c, x, len), DEDUP_OK);
  assert_int_equal(dedup__index_load_mem(&orig, b, len), DEDUP_OK);
  assert_memory_equal(&c->p, &orig->p, sizeof c->p);
  assert_int_equal(c->n_docs, orig->n_docs);
  dedup_corpus_free(c);
  dedup_corpus_free(orig);
  free(x);
}

/* A record of bytes as added holds what dedup_corpus_add refuses (no
 * word, or binary): refused too, with a valid checksum.  (A crafted file
 * of two million empty records once loaded and ran for 535 s.) */
static void test_records_add_refuses(void **state) {
  (void)state;
  size_t len;
  unsigned char *b = small_file(&len);
  const char *raw = "Bad \xFF byte here"; /* "b", kept as added */
  unsigned char *at = NULL;
  for (size_t i = 0; !at && i + strlen(raw) <= len; i++)
    if (!memcmp(b + i, raw, strlen(raw)))
      at = b + i;
  assert_non_null(at);
  static const char fill[] = {' ', '\x01', '.'};
  for (int f = 0; f < 3; f++) {
    unsigned char *x = malloc(len);
    memcpy(x, b, len);
    memset(x + (at - b), fill[f], strlen(raw));
    fix_sum(x, len);
    dedup_corpus *c = (dedup_corpus *)1;
    assert_int_equal(dedup__index_load_mem(&c, x, len), DEDUP_EFORMAT);
    assert_null(c);
    free(x);
  }
  /* The file as saved loads (the patch, not the record, is refused). */
  dedup_corpus *c;
  assert_int_equal(dedup__index_load_mem(&c, b, len), DEDUP_OK);
  dedup_corpus_free(c);
  free(b);
}

static void test_bad_fields_with_valid_checksum(void **state) {
  (void)state;
  size_t len;
  unsigned char *b = small_file(&len);
  uint64_t nan_bits = UINT64_C(0x7FF8000000000000);
  expect_patch_refused(b, len, 12, 4, 0);      /* shingle_k 0 */
  expect_patch_refused(b, len, 12, 4, 65);     /* shingle_k too big */
  expect_patch_refused(b, len, 16, 4, 0);      /* num_perm 0 */
  expect_patch_refused(b, len, 16, 4, 5000);   /* num_perm too big */
  expect_patch_refused(b, len, 20, 8, nan_bits); /* threshold NaN */
  expect_patch_refused(b, len, 20, 8, 0);      /* threshold 0 */
  expect_patch_refused(b, len, 28, 8, UINT64_C(0x3FF8000000000000)); /* 1.5 */
  expect_patch_refused(b, len, 36, 4, 2);      /* method */
  expect_patch_refused(b, len, 40, 4, 0x80000000u); /* minhash kind */
  /* 52 held the saving run's threads before 0.2 (a run option, not the
   * model): any value loads, as the same corpus. */
  expect_patch_loads(b, len, 52, 4, 5000);
  /* Flag bit 2 was "copy level only" (a run option too): ignored. */
  expect_patch_loads(b, len, 56, 4, 1u << 2);
  expect_patch_refused(b, len, 56, 4, 1u << 9); /* unknown flag */
  /* Counts beyond the file: refused before any allocation (a 2^60 calloc
   * would abort under ASan). */
  expect_patch_refused(b, len, 60, 8, UINT64_C(1) << 60);
  expect_patch_refused(b, len, 60, 8, 3);       /* one record too many */
  expect_patch_refused(b, len, 60, 8, 1);       /* bytes left over */
  size_t r0 = DEDUP__INDEX_HEADER;              /* first record */
  expect_patch_refused(b, len, r0, 4, 2);       /* unknown record flag */
  expect_patch_refused(b, len, r0 + 4, 4, 0xFFFFFFFFu); /* name length */
  expect_patch_refused(b, len, r0 + 8, 8, UINT64_C(1) << 40); /* text */
  expect_patch_refused(b, len, r0 + 8, 8, 1000); /* text beyond the end */
  expect_patch_refused(b, len, r0 + 8, 8, 0);   /* rest misparsed */
  /* Name with a NUL; normalised text that is not UTF-8 or holds a NUL. */
  expect_patch_refused(b, len, r0 + DEDUP__INDEX_RECORD, 1, 0);
  expect_patch_refused(b, len, r0 + DEDUP__INDEX_RECORD + 1, 1, 0xC3);
  expect_patch_refused(b, len, r0 + DEDUP__INDEX_RECORD + 1, 1, 0);
  free(b);
}

/* The same fields unpatched do load: the refusals above are the checks,
 * not a broken reader. */
static void test_fixed_sum_alone_loads(void **state) {
  (void)state;
  size_t len;
  unsigned char *b = small_file(&len);
  fix_sum(b, len);
  dedup_corpus *c;
  assert_int_equal(dedup__index_load_mem(&c, b, len), DEDUP_OK);
  assert_int_equal(c->n_docs, 2);
  assert_string_equal(c->docs[0].name, "a");
  assert_non_null(c->docs[0].text); /* added with n_invalid: normalised */
  assert_null(c->docs[1].text);     /* raw until a run */
  assert_int_equal(c->docs[1].raw_len, 15);
  dedup_corpus_free(c);
  free(b);
}

static void test_not_a_file(void **state) {
  (void)state;
  dedup_corpus *c = (dedup_corpus *)1;
  errno = 0;
  assert_int_equal(dedup_corpus_load(&c, path_in("missing.idx")), DEDUP_EIO);
  assert_int_equal(errno, ENOENT);
  assert_null(c);
  c = (dedup_corpus *)1;
  assert_int_equal(dedup_corpus_load(&c, tmpdir), DEDUP_EIO);
  assert_null(c);
  spit(path_in("zero.idx"), "", 0);
  assert_int_equal(dedup_corpus_load(&c, path_in("zero.idx")),
                   DEDUP_EFORMAT);
  spit(path_in("text.idx"), "not an index at all, just some words\n", 37);
  assert_int_equal(dedup_corpus_load(&c, path_in("text.idx")),
                   DEDUP_EFORMAT);
  assert_null(c);
}

/* ---- atomic writes ---------------------------------------------------- */

static dedup_corpus *big_corpus(void) {
  dedup_params p = test_params();
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  gdocs g = gen_docs(10, 1, 3);
  add_range(c, &g, 0, g.n, 0);
  gdocs_free(&g);
  return c;
}

/* A write that fails half way (file size limit, as a full disk would):
 * EIO, the old index intact, no temporary file left.  Works as root too,
 * unlike a read-only directory. */
static void test_failed_write_keeps_old(void **state) {
  (void)state;
  size_t old_len;
  unsigned char *old = small_file(&old_len);
  size_t before = dir_entries(tmpdir) - 1; /* all but small.idx */
  dedup_corpus *c = big_corpus();
  struct rlimit saved, lim;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  lim = saved;
  lim.rlim_cur = 1000;
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
  int rc = dedup_corpus_save(c, path_in("small.idx"));
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, prev);
  assert_int_equal(rc, DEDUP_EIO);
  size_t now_len;
  char *now = slurp(path_in("small.idx"), &now_len);
  assert_int_equal(now_len, old_len);
  assert_memory_equal(now, old, old_len);
  assert_int_equal(dir_entries(tmpdir), before + 1);
  /* The limit lifted, the same save succeeds and replaces the file. */
  assert_int_equal(dedup_corpus_save(c, path_in("small.idx")), DEDUP_OK);
  assert_int_equal(dir_entries(tmpdir), before + 1);
  dedup_corpus *l;
  assert_int_equal(dedup_corpus_load(&l, path_in("small.idx")), DEDUP_OK);
  assert_int_equal(l->n_docs, c->n_docs);
  dedup_corpus_free(l);
  dedup_corpus_free(c);
  free(old);
  free(now);
}

static void test_rename_fails_keeps_target(void **state) {
  (void)state;
  /* The target is a non-empty directory: rename fails after the write. */
  char *dir = path_in("target");
  assert_int_equal(mkdir(dir, 0755), 0);
  char inner[600];
  snprintf(inner, sizeof inner, "%s/keep", dir);
  spit(inner, "x", 1);
  size_t before = dir_entries(tmpdir);
  dedup_corpus *c = big_corpus();
  assert_int_equal(dedup_corpus_save(c, dir), DEDUP_EIO);
  assert_int_equal(dir_entries(tmpdir), before);
  assert_int_equal(dir_entries(dir), 1);
  /* A directory that does not exist. */
  assert_int_equal(dedup_corpus_save(c, path_in("nodir/x.idx")), DEDUP_EIO);
  assert_int_equal(dir_entries(tmpdir), before);
  assert_int_equal(dedup_corpus_save(c, ""), DEDUP_EINVAL);
  dedup_corpus_free(c);
  remove_tree(dir);
}

static void test_unwritable_dir(void **state) {
  (void)state;
  if (geteuid() == 0)
    skip(); /* root writes anyway; the size-limit test covers it */
  char *dir = path_in("ro");
  assert_int_equal(mkdir(dir, 0755), 0);
  char target[600];
  snprintf(target, sizeof target, "%s/i.idx", dir);
  dedup_corpus *c = big_corpus();
  assert_int_equal(dedup_corpus_save(c, target), DEDUP_OK);
  size_t old_len;
  char *old = slurp(target, &old_len);
  assert_int_equal(chmod(dir, 0555), 0);
  assert_int_equal(dedup_corpus_add(c, "more", "more words here", 15, NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_save(c, target), DEDUP_EIO);
  chmod(dir, 0755);
  size_t now_len;
  char *now = slurp(target, &now_len);
  assert_int_equal(now_len, old_len);
  assert_memory_equal(now, old, old_len);
  assert_int_equal(dir_entries(dir), 1);
  free(old);
  free(now);
  dedup_corpus_free(c);
  remove_tree(dir);
}

static void test_file_mode(void **state) {
  (void)state;
  mode_t um = umask(022);
  dedup_corpus *c = big_corpus();
  struct stat st;
  assert_int_equal(dedup_corpus_save(c, path_in("m.idx")), DEDUP_OK);
  assert_int_equal(stat(path_in("m.idx"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644); /* 0666 & ~umask */
  assert_int_equal(chmod(path_in("m.idx"), 0640), 0);
  assert_int_equal(dedup_corpus_save(c, path_in("m.idx")), DEDUP_OK);
  assert_int_equal(stat(path_in("m.idx"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640); /* a replaced file keeps it */
  umask(um);
  dedup_corpus_free(c);
}

/* Not regular files (issue 16): loading a FIFO without a writer used to
 * block in fopen forever; saving renamed over a FIFO or a symbolic link,
 * turning it into a regular file.  Both are refused, at once. */
static void test_non_regular_refused(void **state) {
  (void)state;
  char fifo[600], link[600], target[600];
  snprintf(fifo, sizeof fifo, "%s", path_in("fifo"));
  snprintf(link, sizeof link, "%s", path_in("link.idx"));
  snprintf(target, sizeof target, "%s", path_in("linked.idx"));
  assert_int_equal(mkfifo(fifo, 0600), 0);
  dedup_corpus *c = big_corpus(), *l = NULL;
  alarm(60); /* a regression blocks: fail, do not hang the suite */
  errno = 0;
  assert_int_equal(dedup_corpus_load(&l, fifo), DEDUP_EIO);
  assert_int_equal(errno, EINVAL);
  assert_null(l);
  size_t before = dir_entries(tmpdir);
  assert_int_equal(dedup_corpus_save(c, fifo), DEDUP_EIO);
  alarm(0);
  assert_int_equal(dir_entries(tmpdir), before);
  struct stat st;
  assert_int_equal(lstat(fifo, &st), 0);
  assert_true(S_ISFIFO(st.st_mode));
  spit(target, "old", 3);
  assert_int_equal(symlink("linked.idx", link), 0);
  before = dir_entries(tmpdir);
  errno = 0;
  assert_int_equal(dedup_corpus_save(c, link), DEDUP_EIO);
  assert_int_equal(errno, ELOOP);
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  assert_int_equal(dir_entries(tmpdir), before); /* no temporary file */
  size_t len;
  char *old = slurp(target, &len);
  assert_int_equal(len, 3);
  free(old);
  unlink(fifo);
  unlink(link);
  unlink(target);
  dedup_corpus_free(c);
}

/* A save killed before its rename leaves "PATH.tmp.PID.N"; the next save
 * of PATH removes those whose process is gone and keeps a live one's. */
static void test_stale_temps_removed(void **state) {
  (void)state;
  pid_t dead = fork();
  assert_true(dead >= 0);
  if (dead == 0)
    _exit(0);
  int ws;
  assert_int_equal(waitpid(dead, &ws, 0), dead); /* reaped: pid is free */
  char stale[700], live[700], other[700];
  snprintf(stale, sizeof stale, "%s.tmp.%ld.3", path_in("s.idx"),
           (long)dead);
  snprintf(live, sizeof live, "%s.tmp.%ld.0", path_in("s.idx"),
           (long)getppid());
  snprintf(other, sizeof other, "%s.tmp.%ld.3", path_in("t.idx"),
           (long)dead);
  spit(stale, "x", 1);
  spit(live, "x", 1);
  spit(other, "x", 1);
  dedup_corpus *c = big_corpus();
  assert_int_equal(dedup_corpus_save(c, path_in("s.idx")), DEDUP_OK);
  assert_int_equal(access(stale, F_OK), -1);
  assert_int_equal(access(live, F_OK), 0);
  assert_int_equal(access(other, F_OK), 0); /* another target's */
  unlink(live);
  unlink(other);
  unlink(path_in("s.idx"));
  dedup_corpus_free(c);
}

/* ---- titles, dates, format version 1 ---------------------------------- */

/* Titles, dates and story_days survive a save and a load, and the loaded
 * corpus runs as the saved one. */
static void test_round_trip_meta(void **state) {
  (void)state;
  dedup_params p = test_params();
  p.story_days = 42.5;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  gdocs g = gen_docs(3, 2, 7);
  for (size_t i = 0; i < g.n; i++) {
    dedup_doc_meta m = DEDUP_DOC_META_INIT;
    char title[64];
    snprintf(title, sizeof title, "Title \xE2\x80\x9C%zu\xE2\x80\x9D", i);
    if (i % 3 != 2) {
      m.title = title;
      m.title_len = strlen(title);
    }
    m.has_date = i % 2 == 0;
    m.date = m.has_date ? -86400 * (int64_t)i - 1 : 0;
    /* Given languages are kept; "und" is none given (identified). */
    m.lang = i % 3 == 1 ? "pt-BR" : i % 3 == 2 ? "und" : NULL;
    assert_int_equal(dedup_corpus_add_doc(c, g.name[i], g.text[i],
                                          strlen(g.text[i]), &m, NULL),
                     DEDUP_OK);
  }
  assert_int_equal(dedup_corpus_save(c, path_in("meta.idx")), DEDUP_OK);
  dedup_corpus *l;
  assert_int_equal(dedup_corpus_load(&l, path_in("meta.idx")), DEDUP_OK);
  assert_true(l->p.story_days == 42.5);
  assert_int_equal(l->n_docs, c->n_docs);
  for (size_t i = 0; i < c->n_docs; i++) {
    const cdoc *a = &c->docs[i], *b = &l->docs[i];
    assert_int_equal(a->title != NULL, b->title != NULL);
    if (a->title) {
      assert_int_equal(a->title_len, b->title_len);
      assert_memory_equal(a->title, b->title, a->title_len);
      assert_non_null(strstr(b->title, "\"")); /* normalised when added */
    }
    assert_int_equal(a->has_date, b->has_date);
    assert_true(a->date == b->date);
    assert_int_equal(b->lang_state,
                     i % 3 == 1 ? CDOC_LANG_GIVEN : CDOC_LANG_UNKNOWN);
    assert_int_equal(a->lang, b->lang);
  }
  char *sa = run_snapshot(c), *sb = run_snapshot(l);
  assert_string_equal(sa, sb);
  free(sa);
  free(sb);
  dedup_corpus_free(c);
  dedup_corpus_free(l);
  gdocs_free(&g);
}

/* A version-1 file (0.2 before titles and dates: 68-byte header, 24-byte
 * records) still loads, with the default story_days. */
static void test_version1_loads(void **state) {
  (void)state;
  size_t len;
  unsigned char *b = small_file(&len);
  unsigned char *v1 = malloc(len);
  size_t at = 0, r = DEDUP__INDEX_HEADER;
  memcpy(v1, b, DEDUP__INDEX_HEADER_V1);
  put_le(v1 + 8, 1, 4);
  at = DEDUP__INDEX_HEADER_V1;
  for (int k = 0; k < 2; k++) {
    uint32_t nl = (uint32_t)(b[r + 4] | b[r + 5] << 8);
    size_t tl = (size_t)(b[r + 8] | b[r + 9] << 8);
    assert_int_equal(b[r + 24] & b[r + 25] & b[r + 26] & b[r + 27], 0xFF);
    memcpy(v1 + at, b + r, DEDUP__INDEX_RECORD_V1);
    at += DEDUP__INDEX_RECORD_V1;
    memcpy(v1 + at, b + r + DEDUP__INDEX_RECORD, nl + tl);
    at += nl + tl;
    r += DEDUP__INDEX_RECORD + nl + tl;
  }
  assert_int_equal(r + DEDUP__INDEX_TRAILER, len);
  at += DEDUP__INDEX_TRAILER;
  fix_sum(v1, at);
  dedup_corpus *c;
  assert_int_equal(dedup__index_load_mem(&c, v1, at), DEDUP_OK);
  assert_int_equal(c->n_docs, 2);
  assert_string_equal(c->docs[0].name, "a");
  assert_null(c->docs[0].title);
  assert_int_equal(c->docs[1].has_date, 0);
  dedup_params q;
  assert_int_equal(dedup_corpus_params(c, &q, DEDUP_PARAMS_VERSION),
                   DEDUP_OK);
  assert_true(q.story_days == DEDUP_STORY_DAYS);
  dedup_corpus_free(c);
  /* A version-1 file of no documents: its 68-byte header and the
   * checksum, shorter than a version-2 header (once refused as such). */
  put_le(v1 + 60, 0, 8);
  fix_sum(v1, DEDUP__INDEX_HEADER_V1 + DEDUP__INDEX_TRAILER);
  assert_int_equal(dedup__index_load_mem(&c, v1, DEDUP__INDEX_HEADER_V1 +
                                                     DEDUP__INDEX_TRAILER),
                   DEDUP_OK);
  assert_int_equal(c->n_docs, 0);
  dedup_corpus_free(c);
  /* A version-1 header with version-2 records is misparsed: refused. */
  put_le(b + 8, 1, 4);
  fix_sum(b, len);
  c = (dedup_corpus *)1;
  assert_int_equal(dedup__index_load_mem(&c, b, len), DEDUP_EFORMAT);
  assert_null(c);
  free(v1);
  free(b);
}

/* Title and date fields are checked as the rest: a date without its
 * flag, a title beyond the end or not UTF-8, story_days out of range. */
static void test_bad_meta_fields(void **state) {
  (void)state;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  dedup_doc_meta m = DEDUP_DOC_META_INIT;
  m.title = "T";
  m.title_len = 1;
  const char *t = "Some words of a text.";
  assert_int_equal(dedup_corpus_add_doc(c, "a", t, strlen(t), &m, NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_save(c, path_in("tm.idx")), DEDUP_OK);
  dedup_corpus_free(c);
  size_t len;
  unsigned char *b = (unsigned char *)slurp(path_in("tm.idx"), &len);
  size_t r0 = DEDUP__INDEX_HEADER;
  expect_patch_refused(b, len, 68, 8, 0x7FF8000000000000ull); /* NaN */
  expect_patch_refused(b, len, 68, 8, 0);  /* a zero: not resolved */
  expect_patch_refused(b, len, r0 + 28, 8, 5);  /* date, no flag */
  expect_patch_loads(b, len, r0, 4, DEDUP__INDEX_DATED); /* date 0 */
  expect_patch_refused(b, len, r0 + 24, 4, 1000); /* title past the end */
  expect_patch_refused(b, len, r0 + DEDUP__INDEX_RECORD + 1, 1, 0xC3);
  expect_patch_refused(b, len, r0 + DEDUP__INDEX_RECORD + 1, 1, 0);
  /* The language: a code only with its flag, one save would write,
   * NUL-padded. */
  expect_patch_refused(b, len, r0 + 36, 4, 0x6564); /* "de", no flag */
  expect_patch_refused(b, len, r0, 4, DEDUP__INDEX_LANG); /* flag, no code */
  expect_patch_refused(b, len, r0, 4, DEDUP__INDEX_LANG | 1u << 4);
  free(b);
  m.lang = "de";
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  assert_int_equal(dedup_corpus_add_doc(c, "a", t, strlen(t), &m, NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_save(c, path_in("tl.idx")), DEDUP_OK);
  dedup_corpus_free(c);
  b = (unsigned char *)slurp(path_in("tl.idx"), &len);
  expect_patch_loads(b, len, r0 + 36, 4, 0x7266);     /* "fr" */
  expect_patch_refused(b, len, r0 + 36, 4, 0x7878);   /* "xx" */
  expect_patch_refused(b, len, r0 + 36, 4, 0x65640000u); /* "\0\0de" */
  expect_patch_refused(b, len, r0 + 36, 4, 0x6e7265u); /* "ern": eng? */
  free(b);
}

/* A version-2 file (0.2: records of 36 bytes, no language) loads. */
static void test_version2_loads(void **state) {
  (void)state;
  size_t len;
  unsigned char *b = small_file(&len);
  unsigned char *v2 = malloc(len);
  size_t at = DEDUP__INDEX_HEADER, r = DEDUP__INDEX_HEADER;
  memcpy(v2, b, DEDUP__INDEX_HEADER);
  put_le(v2 + 8, 2, 4);
  for (int k = 0; k < 2; k++) {
    uint32_t nl = (uint32_t)(b[r + 4] | b[r + 5] << 8);
    size_t tl = (size_t)(b[r + 8] | b[r + 9] << 8);
    memcpy(v2 + at, b + r, DEDUP__INDEX_RECORD_V2);
    at += DEDUP__INDEX_RECORD_V2;
    memcpy(v2 + at, b + r + DEDUP__INDEX_RECORD, nl + tl);
    at += nl + tl;
    r += DEDUP__INDEX_RECORD + nl + tl;
  }
  at += DEDUP__INDEX_TRAILER;
  fix_sum(v2, at);
  dedup_corpus *c;
  assert_int_equal(dedup__index_load_mem(&c, v2, at), DEDUP_OK);
  assert_int_equal(c->n_docs, 2);
  assert_string_equal(c->docs[1].name, "b");
  dedup_corpus_free(c);
  free(v2);
  free(b);
}

/* The text check of a file's texts (dedup__valid_text): ASCII is read
 * eight bytes at a time, so a NUL, a stray byte or a bad sequence is put
 * at every place of texts of every length up to 40, at every alignment. */
static void test_valid_text(void **state) {
  (void)state;
  char buf[64];
  for (size_t off = 0; off < 8; off++)
    for (size_t len = 0; len <= 40; len++) {
      char *t = buf + off;
      for (size_t i = 0; i < len; i++)
        t[i] = (char)('a' + i % 26);
      assert_true(dedup__valid_text(t, len));
      for (size_t at = 0; at < len; at++) {
        const char bad[] = {'\0', (char)0x80, (char)0xFF, (char)0xC3};
        for (size_t b = 0; b < sizeof bad; b++) {
          char keep = t[at];
          t[at] = bad[b];
          assert_false(dedup__valid_text(t, len));
          t[at] = keep;
        }
        if (at + 2 <= len) { /* a whole two-byte sequence: valid */
          char k0 = t[at], k1 = t[at + 1];
          t[at] = (char)0xC3;
          t[at + 1] = (char)0xA9;
          assert_true(dedup__valid_text(t, len));
          t[at] = k0;
          t[at + 1] = k1;
        }
      }
    }
  /* U+FFFD only as its own bytes; a NUL past eight ASCII bytes. */
  assert_true(dedup__valid_text("abcdefgh\xEF\xBF\xBDij", 13));
  assert_false(dedup__valid_text("abcdefghijklmno\0", 16));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_text),
      cmocka_unit_test(test_round_trip_state),
      cmocka_unit_test(test_round_trip_empty),
      cmocka_unit_test(test_round_trip_meta),
      cmocka_unit_test(test_version1_loads),
      cmocka_unit_test(test_version2_loads),
      cmocka_unit_test(test_bad_meta_fields),
      cmocka_unit_test(test_incremental_generated),
      cmocka_unit_test(test_incremental_seeds),
      cmocka_unit_test(test_truncated_every_length),
      cmocka_unit_test(test_every_byte_corrupted),
      cmocka_unit_test(test_wrong_version),
      cmocka_unit_test(test_bad_fields_with_valid_checksum),
      cmocka_unit_test(test_records_add_refuses),
      cmocka_unit_test(test_fixed_sum_alone_loads),
      cmocka_unit_test(test_not_a_file),
      cmocka_unit_test(test_failed_write_keeps_old),
      cmocka_unit_test(test_rename_fails_keeps_target),
      cmocka_unit_test(test_unwritable_dir),
      cmocka_unit_test(test_file_mode),
      cmocka_unit_test(test_non_regular_refused),
      cmocka_unit_test(test_stale_temps_removed),
  };
  return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
