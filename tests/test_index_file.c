/* test_index_file.c - the service index saved and opened
 * (lib/service/index_file.c).
 *
 * What must hold: an opened index answers every look-up as the one saved
 * and goes on assigning new documents exactly as it would have, and saves
 * to the same bytes; one writer at a time, in this process or another;
 * every truncation and every single byte change is refused (with the
 * checksums made right again, what is accepted is usable); odd paths are
 * refused without blocking; a failed or killed save leaves the old file
 * as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "service/index_private.h"
#include "common/hash.h"
#include "dedup.h"
#include "testgen.h"
#include "tmpdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

static int setup_dir(void **state) {
  (void)state;
  return tmpdir_make("dedup-ixfile-");
}

static int teardown_dir(void **state) {
  (void)state;
  remove_tree(tmpdir);
  return 0;
}

static unsigned char *slurp(const char *path, size_t *len) {
  char *b = tg_slurp(path, len);
  assert_non_null(b);
  return (unsigned char *)b;
}

/* Article i of the generated stream: topics of three (an article, a near
 * copy of it, another telling of the same topic), dated a day apart. */
static void article(tg_buf *b, size_t i, size_t words) {
  b->n = 0;
  uint64_t topic = 1 + i / 3;
  if (i % 3 == 1) {
    tg_buf src = {0};
    tg_article(&src, topic, 1000 + i - 1, words);
    tg_copy(b, src.p, 77 + i, 3);
    tg_free(&src);
  } else {
    tg_article(b, topic, 1000 + i, words);
  }
}

static int add_doc(dedup_index *ix, size_t i, size_t words, unsigned flags,
                   dedup_assignment *a) {
  tg_buf b = {0};
  article(&b, i, words);
  char id[32];
  snprintf(id, sizeof id, "doc-%zu", i);
  dedup_doc_meta m = DEDUP_DOC_META_INIT;
  m.has_date = i % 4 != 3;
  m.date = 1700000000 + (int64_t)i * 86400;
  char title[32];
  if (i % 5 == 0) {
    snprintf(title, sizeof title, "Title %zu", i / 3);
    m.title = title;
    m.title_len = strlen(title);
  }
  if (i % 7 == 2)
    m.lang = "en";
  if (a) {
    memset(a, 0, sizeof *a);
    a->version = DEDUP_ASSIGNMENT_VERSION;
  }
  int rc = dedup_index_add(ix, id, b.p, b.n, &m, flags, a);
  tg_free(&b);
  return rc;
}

/* An index of n articles, doc-5 removed, one deferred, and when its adds
 * merged nothing, two merges put in the log by hand (copy 3 -> 2 -> 1,
 * story 3 -> 2), so that the log is always saved and opened. */
static dedup_index *make_index(size_t n, unsigned flags, size_t words) {
  dedup_index *ix;
  assert_int_equal(dedup_index_new(&ix, NULL, flags), DEDUP_OK);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(add_doc(ix, i, words, 0, NULL), DEDUP_OK);
  if (n > 5)
    assert_int_equal(dedup_index_remove(ix, "doc-5"), DEDUP_OK);
  assert_int_equal(add_doc(ix, 900, words, DEDUP_ADD_DEFER, NULL), DEDUP_OK);
  if (!ix->n_merges && ix->next_copy_id > 3 && ix->next_story_id > 3) {
    assert_int_equal(dedup__index_log_merge(ix, DEDUP_LEVEL_COPY, 3, 2),
                     DEDUP_OK);
    assert_int_equal(dedup__index_log_merge(ix, DEDUP_LEVEL_COPY, 2, 1),
                     DEDUP_OK);
    assert_int_equal(dedup__index_log_merge(ix, DEDUP_LEVEL_STORY, 3, 2),
                     DEDUP_OK);
  }
  return ix;
}

static void same_info(const dedup_index_doc_info *a,
                      const dedup_index_doc_info *b) {
  assert_string_equal(a->id, b->id);
  assert_int_equal(a->copy_id, b->copy_id);
  assert_int_equal(a->story_id, b->story_id);
  assert_int_equal(a->has_date, b->has_date);
  assert_int_equal(a->date, b->date);
  assert_string_equal(a->lang, b->lang);
}

static void same_answers(const dedup_index *a, const dedup_index *b) {
  assert_int_equal(dedup_index_doc_count(a), dedup_index_doc_count(b));
  assert_int_equal(dedup_index_keeps_texts(a), dedup_index_keeps_texts(b));
  for (size_t i = 0; i < dedup_index_doc_count(a); i++) {
    dedup_index_doc_info x, y, z;
    assert_int_equal(dedup_index_doc(a, i, &x), DEDUP_OK);
    assert_int_equal(dedup_index_doc(b, i, &y), DEDUP_OK);
    same_info(&x, &y);
    assert_int_equal(dedup_index_lookup(b, x.id, &z), DEDUP_OK);
    same_info(&x, &z);
  }
  dedup_index_doc_info z;
  assert_int_equal(dedup_index_lookup(b, "doc-5", &z), DEDUP_ENOTFOUND);
  assert_int_equal(dedup_index_merge_count(a), dedup_index_merge_count(b));
  for (size_t i = 0; i < dedup_index_merge_count(a); i++) {
    dedup_level la, lb;
    uint64_t fa, fb, ia, ib;
    assert_int_equal(dedup_index_merge(a, i, &la, &fa, &ia), DEDUP_OK);
    assert_int_equal(dedup_index_merge(b, i, &lb, &fb, &ib), DEDUP_OK);
    assert_int_equal(la, lb);
    assert_int_equal(fa, fb);
    assert_int_equal(ia, ib);
  }
  for (int lv = 0; lv < 2; lv++)
    for (uint64_t id = 0; id < 12; id++) {
      uint64_t ca = 0, cb = 0;
      int ra = dedup_index_resolve(a, (dedup_level)lv, id, &ca);
      assert_int_equal(ra, dedup_index_resolve(b, (dedup_level)lv, id, &cb));
      if (ra == DEDUP_OK)
        assert_int_equal(ca, cb);
    }
  dedup_params pa, pb;
  assert_int_equal(dedup_index_params(a, &pa, DEDUP_PARAMS_VERSION), DEDUP_OK);
  assert_int_equal(dedup_index_params(b, &pb, DEDUP_PARAMS_VERSION), DEDUP_OK);
  assert_memory_equal(&pa.seed, &pb.seed, sizeof pa.seed);
  assert_true(pa.threshold == pb.threshold && pa.num_perm == pb.num_perm);
}

static void same_assignment(const dedup_assignment *a,
                            const dedup_assignment *b) {
  assert_int_equal(a->copy_id, b->copy_id);
  assert_int_equal(a->story_id, b->story_id);
  assert_int_equal(a->copy_joined, b->copy_joined);
  assert_int_equal(a->story_joined, b->story_joined);
  assert_true(a->copy_sim == b->copy_sim);
  assert_true(a->story_sim == b->story_sim);
  assert_int_equal(a->n_copy_merged, b->n_copy_merged);
  assert_int_equal(a->n_story_merged, b->n_story_merged);
}

static void same_file(const char *a, const char *b) {
  size_t na, nb;
  unsigned char *x = slurp(a, &na), *y = slurp(b, &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(x, y, na);
  free(x);
  free(y);
}

/* ---- round trip ------------------------------------------------------- */

static void round_trip(unsigned flags, const dedup_params *params) {
  dedup_index *ix;
  if (params) {
    assert_int_equal(dedup_index_new(&ix, params, flags), DEDUP_OK);
    for (size_t i = 0; i < 30; i++)
      assert_int_equal(add_doc(ix, i, 150, 0, NULL), DEDUP_OK);
    assert_int_equal(dedup_index_remove(ix, "doc-5"), DEDUP_OK);
  } else {
    ix = make_index(30, flags, 150);
  }
  const char *a = path_in("rt.ix"), *b = path_in("rt2.ix");
  const char *c = path_in("rt3.ix"), *d = path_in("rt4.ix");
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_ESTATE);
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, b), DEDUP_OK);
  dedup_index *ox;
  assert_int_equal(dedup_index_open(&ox, a, 0), DEDUP_OK);
  same_answers(ix, ox);
  /* Saved again (to its own path, then elsewhere): the same bytes. */
  assert_int_equal(dedup_index_save(ox, NULL), DEDUP_OK);
  same_file(a, b);
  assert_int_equal(dedup_index_save(ox, c), DEDUP_OK);
  same_file(a, c);
  /* The same new documents: the same answers, and the same state. */
  for (size_t i = 30; i < 42; i++) {
    dedup_assignment x, y;
    assert_int_equal(add_doc(ix, i, 150, 0, &x), DEDUP_OK);
    assert_int_equal(add_doc(ox, i, 150, 0, &y), DEDUP_OK);
    same_assignment(&x, &y);
  }
  assert_int_equal(dedup_index_remove(ix, "doc-31"), DEDUP_OK);
  assert_int_equal(dedup_index_remove(ox, "doc-31"), DEDUP_OK);
  same_answers(ix, ox);
  assert_int_equal(dedup_index_save(ix, c), DEDUP_OK);
  assert_int_equal(dedup_index_save(ox, d), DEDUP_OK);
  same_file(c, d);
  dedup_index_free(ox);
  dedup_index_free(ix);
}

static void test_round_trip(void **state) {
  (void)state;
  round_trip(0, NULL);
}

static void test_round_trip_texts(void **state) {
  (void)state;
  round_trip(DEDUP_INDEX_KEEP_TEXTS, NULL);
  dedup_index *ox;
  assert_int_equal(dedup_index_open(&ox, path_in("rt.ix"),
                                    DEDUP_INDEX_READ_ONLY),
                   DEDUP_OK);
  assert_int_equal(dedup_index_keeps_texts(ox), 1);
  dedup_index_free(ox);
}

static void test_round_trip_simhash(void **state) {
  (void)state;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.method = DEDUP_METHOD_SIMHASH;
  p.seed = 42;
  round_trip(0, &p);
}

/* An index made again by a rebuild (deferred documents assigned) is
 * saved and opened as any other. */
static void test_rebuild(void **state) {
  (void)state;
  dedup_index *ix;
  assert_int_equal(dedup_index_new(&ix, NULL, DEDUP_INDEX_KEEP_TEXTS),
                   DEDUP_OK);
  for (size_t i = 0; i < 24; i++)
    assert_int_equal(add_doc(ix, i, 120, i % 2 ? DEDUP_ADD_DEFER : 0, NULL),
                     DEDUP_OK);
  assert_int_equal(dedup_index_remove(ix, "doc-5"), DEDUP_OK);
  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  o.threads = 1;
  assert_int_equal(dedup_index_rebuild(ix, &o), DEDUP_OK);
  const char *a = path_in("rebuilt.ix"), *b = path_in("rebuilt2.ix");
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  dedup_index *ox;
  assert_int_equal(dedup_index_open(&ox, a, 0), DEDUP_OK);
  same_answers(ix, ox);
  assert_int_equal(dedup_index_save(ox, b), DEDUP_OK);
  same_file(a, b);
  for (size_t i = 30; i < 36; i++) {
    dedup_assignment x, y;
    assert_int_equal(add_doc(ix, i, 120, 0, &x), DEDUP_OK);
    assert_int_equal(add_doc(ox, i, 120, 0, &y), DEDUP_OK);
    same_assignment(&x, &y);
  }
  dedup_index_free(ox);
  dedup_index_free(ix);
}

static void test_empty(void **state) {
  (void)state;
  dedup_index *ix, *ox;
  assert_int_equal(dedup_index_new(&ix, NULL, 0), DEDUP_OK);
  const char *a = path_in("empty.ix"), *b = path_in("empty2.ix");
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  assert_int_equal(dedup_index_open(&ox, a, 0), DEDUP_OK);
  assert_int_equal(dedup_index_doc_count(ox), 0);
  assert_int_equal(dedup_index_save(ox, b), DEDUP_OK);
  same_file(a, b);
  dedup_assignment x, y;
  assert_int_equal(add_doc(ix, 0, 100, 0, &x), DEDUP_OK);
  assert_int_equal(add_doc(ox, 0, 100, 0, &y), DEDUP_OK);
  same_assignment(&x, &y);
  dedup_index_free(ox);
  dedup_index_free(ix);
}

static void test_merges(void **state) {
  (void)state;
  /* Four topics: nothing merges by itself; the log is made by hand. */
  dedup_index *ix;
  assert_int_equal(dedup_index_new(&ix, NULL, 0), DEDUP_OK);
  for (size_t i = 0; i < 12; i += 3)
    assert_int_equal(add_doc(ix, i, 80, 0, NULL), DEDUP_OK);
  assert_int_equal(dedup_index_merge_count(ix), 0);
  assert_int_equal(dedup__index_log_merge(ix, DEDUP_LEVEL_COPY, 3, 2),
                   DEDUP_OK);
  assert_int_equal(dedup__index_log_merge(ix, DEDUP_LEVEL_COPY, 2, 1),
                   DEDUP_OK);
  assert_int_equal(dedup__index_log_merge(ix, DEDUP_LEVEL_STORY, 3, 2),
                   DEDUP_OK);
  uint64_t cur;
  /* A chain is followed to its end. */
  assert_int_equal(dedup_index_resolve(ix, DEDUP_LEVEL_COPY, 3, &cur),
                   DEDUP_OK);
  assert_int_equal(cur, 1);
  assert_int_equal(dedup_index_resolve(ix, DEDUP_LEVEL_COPY, 1, &cur),
                   DEDUP_OK);
  assert_int_equal(cur, 1);
  assert_int_equal(dedup_index_resolve(ix, DEDUP_LEVEL_STORY, 3, &cur),
                   DEDUP_OK);
  assert_int_equal(cur, 2);
  assert_int_equal(dedup_index_resolve(ix, DEDUP_LEVEL_COPY, 0, &cur),
                   DEDUP_ENOTFOUND);
  assert_int_equal(
      dedup_index_resolve(ix, DEDUP_LEVEL_COPY, ix->next_copy_id, &cur),
      DEDUP_ENOTFOUND);
  dedup_level lv;
  uint64_t f, t;
  assert_int_equal(dedup_index_merge(ix, 3, &lv, &f, &t), DEDUP_EINVAL);
  assert_int_equal(dedup_index_merge_count(NULL), 0);
  assert_int_equal(dedup_index_merge(ix, 1, &lv, &f, &t), DEDUP_OK);
  assert_true(lv == DEDUP_LEVEL_COPY && f == 2 && t == 1);
  /* The log survives a save. */
  const char *a = path_in("merges.ix");
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, a, DEDUP_INDEX_READ_ONLY), DEDUP_OK);
  same_answers(ix, o);
  dedup_index_free(o);
  dedup_index_free(ix);
}

/* The structure open checks, checked by save first: an index whose
 * lists or chains are broken is not written (the old file stays). */
static void test_save_refuses_damage(void **state) {
  (void)state;
  dedup_index *ix = make_index(12, 0, 80);
  const char *a = path_in("damage.ix");
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  size_t len;
  unsigned char *before = slurp(a, &len);
  assert_true(ix->n_groups >= 2 && ix->n_stories >= 2);
  uint32_t g0 = ix->groups[0].parent, g1 = ix->groups[1].parent;
  ix->groups[0].parent = 1; /* a union-find cycle */
  ix->groups[1].parent = 0;
  assert_int_equal(dedup_index_save(ix, a), DEDUP_ESTATE);
  ix->groups[0].parent = g0;
  ix->groups[1].parent = g1;
  uint32_t h = ix->groups[0].head, nx = ix->docs[h].next;
  ix->docs[h].next = h; /* a member list that loops */
  assert_int_equal(dedup_index_save(ix, a), DEDUP_ESTATE);
  ix->docs[h].next = nx;
  uint32_t sh = ix->stories[0].head, sn = ix->groups[sh].snext;
  ix->groups[sh].snext = sh; /* a story list that loops */
  assert_int_equal(dedup_index_save(ix, a), DEDUP_ESTATE);
  ix->groups[sh].snext = sn;
  ix->groups[0].n_members++; /* a count the list does not hold */
  assert_int_equal(dedup_index_save(ix, a), DEDUP_ESTATE);
  ix->groups[0].n_members--;
  ix->n_live++;
  assert_int_equal(dedup_index_save(ix, a), DEDUP_ESTATE);
  ix->n_live--;
  /* An LSH entry under keys its document's signature does not give: a
   * removal would leave it behind. */
  size_t nw = (size_t)ix->copy_b * ix->copy_r;
  uint64_t *w = calloc(nw, sizeof *w);
  assert_non_null(w);
  for (size_t i = 0; i < nw; i++)
    w[i] = 12345 + i;
  assert_int_equal(dedup__lsh_insert(ix->copy_lsh, 0, w), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, a), DEDUP_ESTATE);
  assert_int_equal(dedup__lsh_remove(ix->copy_lsh, 0, w), ix->copy_b);
  free(w);
  size_t l2;
  unsigned char *after = slurp(a, &l2);
  assert_int_equal(len, l2);
  assert_memory_equal(before, after, len);
  free(after);
  free(before);
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  dedup_index_free(ix);
}

/* ---- locking ---------------------------------------------------------- */

/* dedup_index_create: the lock before the file, so one of two creators
 * wins; the file it saves opens; an existing path is refused. */
static void test_create(void **state) {
  (void)state;
  const char *a = path_in("created.ix");
  dedup_index *c, *c2, *w;
  assert_int_equal(dedup_index_create(&c, a, NULL, 0), DEDUP_OK);
  assert_int_equal(dedup_index_create(&c2, a, NULL, 0), DEDUP_ELOCKED);
  assert_null(c2);
  assert_int_equal(dedup_index_open(&w, a, 0), DEDUP_ELOCKED);
  const char *t = "Words of a first article, written for this test alone.";
  assert_int_equal(dedup_index_add(c, "one", t, strlen(t), NULL, 0, NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_index_save(c, NULL), DEDUP_OK); /* its own path */
  dedup_index_free(c);
  assert_int_equal(dedup_index_create(&c2, a, NULL, 0), DEDUP_EEXIST);
  assert_null(c2);
  assert_int_equal(dedup_index_open(&w, a, 0), DEDUP_OK);
  assert_int_equal(dedup_index_doc_count(w), 1);
  dedup_index_free(w);
  dedup_params p = DEDUP_PARAMS_INIT;
  p.flags = DEDUP_F_SPLIT_EMBEDDED;
  assert_int_equal(dedup_index_create(&c2, path_in("bad.ix"), &p, 0),
                   DEDUP_EINVAL);
  assert_int_equal(dedup_index_create(&c2, NULL, NULL, 0), DEDUP_EINVAL);
  assert_int_equal(dedup_index_create(&c2, "", NULL, 0), DEDUP_EINVAL);
}

static void test_lock(void **state) {
  (void)state;
  dedup_index *ix = make_index(9, 0, 80), *w, *w2, *ro, *nx;
  const char *a = path_in("lock.ix");
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  assert_int_equal(dedup_index_open(&w, a, 0), DEDUP_OK);
  /* A second writer in this process: another open file description. */
  assert_int_equal(dedup_index_open(&w2, a, 0), DEDUP_ELOCKED);
  assert_null(w2);
  assert_int_equal(dedup_index_open(&w2, a, DEDUP_INDEX_KEEP_TEXTS),
                   DEDUP_ELOCKED);
  /* Saving another index over it needs the lock too. */
  assert_int_equal(dedup_index_save(ix, a), DEDUP_ELOCKED);
  /* The writer saves under another name of the same path. */
  char other[600];
  snprintf(other, sizeof other, "%s/./lock.ix", tmpdir);
  assert_int_equal(dedup_index_save(w, other), DEDUP_OK);
  /* Readers need no lock; they cannot write. */
  assert_int_equal(dedup_index_open(&ro, a, DEDUP_INDEX_READ_ONLY), DEDUP_OK);
  same_answers(w, ro);
  tg_buf b = {0};
  article(&b, 50, 80);
  assert_int_equal(dedup_index_add(ro, "new", b.p, b.n, NULL, 0, NULL),
                   DEDUP_ESTATE);
  tg_free(&b);
  assert_int_equal(dedup_index_remove(ro, "doc-1"), DEDUP_ESTATE);
  assert_int_equal(dedup_index_save(ro, NULL), DEDUP_ESTATE);
  assert_int_equal(dedup_index_save(ro, path_in("ro.ix")), DEDUP_ESTATE);
  /* Another process. */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dedup_index *c = NULL;
    int rc = dedup_index_open(&c, a, 0);
    _exit(rc == DEDUP_ELOCKED && !c ? 0 : 1);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  dedup_index_free(w);
  /* Free releases it, here and for other processes. */
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dedup_index *c = NULL;
    int rc = dedup_index_open(&c, a, 0);
    _exit(rc == DEDUP_OK ? 0 : 1); /* exits without freeing: no leak check */
  }
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  assert_int_equal(dedup_index_open(&nx, a, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(nx, NULL), DEDUP_OK);
  dedup_index_free(nx);
  dedup_index_free(ro);
  /* Flags and arguments. */
  assert_int_equal(dedup_index_open(&nx, a, 1u << 5), DEDUP_EINVAL);
  assert_int_equal(dedup_index_open(&nx, NULL, 0), DEDUP_EINVAL);
  assert_int_equal(dedup_index_open(NULL, a, 0), DEDUP_EINVAL);
  assert_int_equal(dedup_index_save(NULL, a), DEDUP_EINVAL);
  dedup_index_free(ix);
}

/* ---- faults ----------------------------------------------------------- */

/* Fixes every section's checksum of a file in memory (the layout of
 * index_file.c), so a change reaches the checks behind them. */
static void fix_sums(unsigned char *p, size_t len) {
  size_t at = 16;
  if (len < at)
    return;
  while (len - at >= 20) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
      n = n << 8 | p[at + 4 + i];
    if (n > len - at - 20)
      return;
    uint64_t s = dedup__hash(p + at + 20, (size_t)n, 0);
    for (int i = 0; i < 8; i++)
      p[at + 12 + i] = (unsigned char)(s >> (8 * i));
    at += 20 + (size_t)n;
  }
}

/* An index that opened must be usable: looked up, added to, saved. */
static void use(dedup_index *ix) {
  for (size_t i = 0; i < dedup_index_doc_count(ix); i++) {
    dedup_index_doc_info d;
    if (dedup_index_doc(ix, i, &d) == DEDUP_OK)
      (void)dedup_index_lookup(ix, d.id, &d);
  }
  tg_buf b = {0};
  article(&b, 1, 60);
  dedup_assignment a = {DEDUP_ASSIGNMENT_VERSION, 0, 0, 0, 0, 0, 0, 0, {0},
                        0, {0}};
  (void)dedup_index_query(ix, b.p, b.n, NULL, &a);
  (void)dedup_index_add(ix, "fault-new", b.p, b.n, NULL, 0, &a);
  (void)dedup_index_remove(ix, "doc-0");
  (void)dedup_index_remove(ix, "doc-1");
  tg_free(&b);
}

static void test_flips(void **state) {
  (void)state;
  dedup_index *ix = make_index(9, DEDUP_INDEX_KEEP_TEXTS, 60);
  const char *a = path_in("flip.ix");
  assert_int_equal(dedup_index_save(ix, a), DEDUP_OK);
  dedup_index_free(ix);
  size_t len;
  unsigned char *good = slurp(a, &len);
  unsigned char *p = malloc(len);
  assert_non_null(p);
  /* Every byte flipped (a different bit each time): the checksums or the
   * header catch each. */
  size_t step = len > 200000 ? len / 200000 + 1 : 1;
  for (size_t i = 0; i < len; i += step) {
    memcpy(p, good, len);
    p[i] ^= (unsigned char)(1u << (i % 8));
    dedup_index *o = NULL;
    int rc = dedup__index_open_mem(&o, p, len, 0);
    if (i >= 8 && i < 12)
      assert_int_equal(rc, DEDUP_EVERSION);
    else
      assert_int_equal(rc, DEDUP_EFORMAT);
    assert_null(o);
  }
  /* With the checksums made right: refused, or usable. */
  size_t ok = 0, n = 0, fstep = len / 1500 + 1;
  for (size_t i = 16; i < len; i += fstep + i % 3, n++) {
    memcpy(p, good, len);
    p[i] ^= (unsigned char)(0x81u >> (i % 8));
    fix_sums(p, len);
    dedup_index *o = NULL;
    int rc = dedup__index_open_mem(&o, p, len, 0);
    assert_true(rc == DEDUP_OK || rc == DEDUP_EFORMAT);
    assert_true((rc == DEDUP_OK) == (o != NULL));
    if (o) {
      ok++;
      use(o);
      dedup_index_free(o);
    }
  }
  assert_true(ok < n);
  /* Every truncation (sampled densely), with checksums fixed or not. */
  for (size_t k = 0; k < len; k += 1 + k / 64) {
    memcpy(p, good, k);
    dedup_index *o = NULL;
    assert_int_equal(dedup__index_open_mem(&o, p, k, 0), DEDUP_EFORMAT);
    fix_sums(p, k);
    assert_int_equal(dedup__index_open_mem(&o, p, k, 0), DEDUP_EFORMAT);
    assert_null(o);
  }
  /* Through the file too: one flip, one truncation, one extra byte. */
  const char *f = path_in("flip-bad.ix");
  memcpy(p, good, len);
  p[len / 2] ^= 4;
  FILE *fp = fopen(f, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(p, 1, len, fp), len);
  fclose(fp);
  dedup_index *o = NULL;
  assert_int_equal(dedup_index_open(&o, f, 0), DEDUP_EFORMAT);
  assert_int_equal(truncate(f, (off_t)(len - 1)), 0);
  assert_int_equal(dedup_index_open(&o, f, DEDUP_INDEX_READ_ONLY),
                   DEDUP_EFORMAT);
  fp = fopen(f, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(good, 1, len, fp), len);
  fputc(0, fp);
  fclose(fp);
  assert_int_equal(dedup_index_open(&o, f, 0), DEDUP_EFORMAT);
  /* A refused open leaves the lock free. */
  assert_int_equal(dedup_index_open(&o, a, 0), DEDUP_OK);
  dedup_index_free(o);
  /* Another version, once the checksums are right. */
  memcpy(p, good, len);
  p[8] = 2;
  assert_int_equal(dedup__index_open_mem(&o, p, len, 0), DEDUP_EVERSION);
  free(p);
  free(good);
}

static void test_odd_paths(void **state) {
  (void)state;
  dedup_index *o = NULL;
  errno = 0;
  assert_int_equal(dedup_index_open(&o, tmpdir, DEDUP_INDEX_READ_ONLY),
                   DEDUP_EIO);
  assert_int_equal(errno, EISDIR);
  assert_int_equal(dedup_index_open(&o, tmpdir, 0), DEDUP_EIO);
  const char *fifo = path_in("fifo.ix");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(dedup_index_open(&o, fifo, DEDUP_INDEX_READ_ONLY),
                   DEDUP_EIO);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(dedup_index_open(&o, fifo, 0), DEDUP_EIO);
  assert_int_equal(dedup_index_open(&o, "/dev/null", DEDUP_INDEX_READ_ONLY),
                   DEDUP_EIO);
  assert_int_equal(dedup_index_open(&o, path_in("missing.ix"),
                                    DEDUP_INDEX_READ_ONLY),
                   DEDUP_EIO);
  assert_int_equal(errno, ENOENT);
  /* An empty and a short file are not index files. */
  const char *e = path_in("short.ix");
  FILE *fp = fopen(e, "wb");
  assert_non_null(fp);
  fputs("DEDUPSVC", fp);
  fclose(fp);
  assert_int_equal(dedup_index_open(&o, e, 0), DEDUP_EFORMAT);
  assert_null(o);
  /* Saving over what is not a regular file. */
  dedup_index *ix = make_index(6, 0, 60);
  assert_int_equal(dedup_index_save(ix, fifo), DEDUP_EIO);
  assert_int_equal(dedup_index_save(ix, tmpdir), DEDUP_EIO);
  assert_int_equal(dedup_index_save(ix, ""), DEDUP_EINVAL);
  dedup_index_free(ix);
}

static int count_temps(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    n += strstr(e->d_name, ".tmp.") != NULL;
  closedir(d);
  return n;
}

static void test_failed_save(void **state) {
  (void)state;
  char dir[600];
  snprintf(dir, sizeof dir, "%s/rodir", tmpdir);
  assert_int_equal(mkdir(dir, 0700), 0);
  char path[700];
  snprintf(path, sizeof path, "%s/ix", dir);
  dedup_index *ix = make_index(9, 0, 60);
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  size_t len;
  unsigned char *before = slurp(path, &len);
  assert_int_equal(add_doc(ix, 40, 60, 0, NULL), DEDUP_OK);
  /* Every temporary name taken (as root too): the save fails, the file
   * stays. */
  char tmp[800];
  for (unsigned k = 0; k < 100; k++) {
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), k);
    assert_int_equal(mkdir(tmp, 0700), 0);
  }
  assert_int_equal(dedup_index_save(ix, path), DEDUP_EIO);
  for (unsigned k = 0; k < 100; k++) {
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), k);
    assert_int_equal(rmdir(tmp), 0);
  }
  size_t l2;
  unsigned char *after = slurp(path, &l2);
  assert_int_equal(len, l2);
  assert_memory_equal(before, after, len);
  free(after);
  /* A read-only directory (root ignores modes: skipped then). */
  if (geteuid() != 0) {
    assert_int_equal(chmod(dir, 0555), 0);
    assert_int_equal(dedup_index_save(ix, path), DEDUP_EIO);
    assert_int_equal(chmod(dir, 0700), 0);
    after = slurp(path, &l2);
    assert_int_equal(len, l2);
    assert_memory_equal(before, after, len);
    free(after);
  }
  /* A path through a file is no directory (root too). */
  char bad[800];
  snprintf(bad, sizeof bad, "%s/sub", path);
  errno = 0;
  assert_int_equal(dedup_index_save(ix, bad), DEDUP_EIO);
  assert_int_equal(errno, ENOTDIR);
  assert_int_equal(count_temps(dir), 0);
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                   DEDUP_OK);
  dedup_index_free(o);
  free(before);
  dedup_index_free(ix);
}

static void test_killed_save(void **state) {
  (void)state;
  char dir[600];
  snprintf(dir, sizeof dir, "%s/killdir", tmpdir);
  assert_int_equal(mkdir(dir, 0700), 0);
  char path[700];
  snprintf(path, sizeof path, "%s/ix", dir);
  /* Large enough that a save takes a while. */
  dedup_index *ix = make_index(45, DEDUP_INDEX_KEEP_TEXTS, 3000);
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
  int killed_mid_write = 0;
  for (int round = 0; round < 8; round++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      for (;;)
        if (dedup_index_save(ix, path) != DEDUP_OK)
          _exit(1);
    }
    struct timespec ts = {0, (long)(1000000 + tg_below(&seed, 60000000))};
    nanosleep(&ts, NULL);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    killed_mid_write += count_temps(dir) > 0;
    dedup_index *o;
    assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                     DEDUP_OK);
    assert_int_equal(dedup_index_doc_count(o), dedup_index_doc_count(ix));
    dedup_index_free(o);
  }
  /* Not asserted (timing), but shown: how often a temporary was left. */
  printf("  killed mid-write %d of 8 times\n", killed_mid_write);
  /* The next save takes the dead savers' temporaries away. */
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  assert_int_equal(count_temps(dir), 0);
  dedup_index_free(ix);
}

/* The seeds of fuzz/corpus/index_file/ (DEDUP_WRITE_SEEDS=dir to write
 * them again; a no-op otherwise): small indexes of generated text. */
static void test_fuzz_seeds(void **state) {
  (void)state;
  const char *dir = getenv("DEDUP_WRITE_SEEDS");
  if (!dir)
    return;
  char path[600];
  dedup_index *ix;
  assert_int_equal(dedup_index_new(&ix, NULL, 0), DEDUP_OK);
  snprintf(path, sizeof path, "%s/empty.ix", dir);
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  dedup_index_free(ix);
  dedup_params p = DEDUP_PARAMS_INIT;
  p.num_perm = 16;
  p.story_threshold = 0.9; /* few story samples: a small file */
  assert_int_equal(dedup_index_new(&ix, &p, 0), DEDUP_OK);
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(add_doc(ix, i, 30, 0, NULL), DEDUP_OK);
  assert_int_equal(dedup_index_remove(ix, "doc-4"), DEDUP_OK);
  snprintf(path, sizeof path, "%s/small.ix", dir);
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  dedup_index_free(ix);
  assert_int_equal(dedup_index_new(&ix, &p, DEDUP_INDEX_KEEP_TEXTS),
                   DEDUP_OK);
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(add_doc(ix, i, 25, 0, NULL), DEDUP_OK);
  assert_int_equal(add_doc(ix, 9, 20, DEDUP_ADD_DEFER, NULL), DEDUP_OK);
  assert_int_equal(dedup_index_remove(ix, "doc-1"), DEDUP_OK);
  assert_int_equal(dedup__index_log_merge(ix, DEDUP_LEVEL_COPY, 2, 1),
                   DEDUP_OK);
  snprintf(path, sizeof path, "%s/texts_deferred.ix", dir);
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  dedup_index_free(ix);
  p.method = DEDUP_METHOD_SIMHASH;
  assert_int_equal(dedup_index_new(&ix, &p, 0), DEDUP_OK);
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(add_doc(ix, i, 30, 0, NULL), DEDUP_OK);
  snprintf(path, sizeof path, "%s/simhash.ix", dir);
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  dedup_index_free(ix);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_round_trip_texts),
      cmocka_unit_test(test_round_trip_simhash),
      cmocka_unit_test(test_rebuild),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_merges),
      cmocka_unit_test(test_save_refuses_damage),
      cmocka_unit_test(test_lock),
      cmocka_unit_test(test_create),
      cmocka_unit_test(test_flips),
      cmocka_unit_test(test_odd_paths),
      cmocka_unit_test(test_failed_save),
      cmocka_unit_test(test_killed_save),
      cmocka_unit_test(test_fuzz_seeds),
  };
  return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
