/* test_journal.c - the service index's journal (lib/service/journal.c):
 * saves to an index's own file append what changed, and an open does it
 * again.
 *
 * What must hold: after any sequence of adds (titles, dates, languages,
 * deferred ones, replacements), removals and expiries with saves between
 * them, opening the file with its journal gives the index the writer
 * has, the one a whole save writes byte for byte; the file itself is not
 * written until a rebuild, compaction or a long journal; a journal cut
 * at any byte opens as the last complete save before the cut; damage to
 * a complete save is refused; a journal left by an older file is
 * ignored; a failed or killed save leaves the index loadable as the last
 * complete save. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/hash.h"
#include "dedup.h"
#include "service/index_private.h"
#include "testgen.h"
#include "tmpdir.h"

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

static int setup_dir(void **state) {
  (void)state;
  return tmpdir_make("dedup-journal-");
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

static void spit(const char *path, const unsigned char *p, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Article i: topics of three (an article, a near copy, another telling),
 * dated a day apart, some with titles or a language given. */
static int add_doc(dedup_index *ix, size_t i, unsigned flags) {
  tg_buf b = {0};
  uint64_t topic = 1 + i / 3;
  if (i % 3 == 1) {
    tg_buf src = {0};
    tg_article(&src, topic, 1000 + i - 1, 120);
    tg_copy(&b, src.p, 77 + i, 3);
    tg_free(&src);
  } else {
    tg_article(&b, topic, 1000 + i, 120);
  }
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
  int rc = dedup_index_add(ix, id, b.p, b.n, &m, flags, NULL);
  tg_free(&b);
  return rc;
}

static const char *jpath(const char *path) {
  static char buf[700];
  snprintf(buf, sizeof buf, "%s.journal", path);
  return buf;
}

/* The bytes of ix saved whole elsewhere (the state, as a file says it). */
static unsigned char *whole(dedup_index *ix, size_t *len) {
  const char *w = path_in("whole.ix");
  /* A read-only index too (the test's own access to the flags). */
  unsigned flags = ix->flags;
  ix->flags &= ~(unsigned)DEDUP_INDEX_READ_ONLY;
  assert_int_equal(dedup_index_save(ix, w), DEDUP_OK);
  ix->flags = flags;
  unsigned char *b = slurp(w, len);
  unlink(w);
  return b;
}

static void same_bytes(const unsigned char *a, size_t na,
                       const unsigned char *b, size_t nb) {
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
}

/* path opened read only equals the state whose whole bytes are want. */
static void opens_as(const char *path, const unsigned char *want, size_t n) {
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                   DEDUP_OK);
  size_t m = 0;
  unsigned char *got = whole(o, &m);
  same_bytes(want, n, got, m);
  free(got);
  dedup_index_free(o);
}

static dedup_index_journal_info info(const dedup_index *ix) {
  dedup_index_journal_info j;
  memset(&j, 0, sizeof j);
  j.version = DEDUP_INDEX_JOURNAL_INFO_VERSION;
  assert_int_equal(dedup_index_journal(ix, &j), DEDUP_OK);
  return j;
}

/* An index created at path with n articles saved whole (a rebuild of
 * deferred adds, then compacted). */
static dedup_index *made(const char *path, size_t n) {
  dedup_index *ix;
  assert_int_equal(
      dedup_index_create(&ix, path, NULL, DEDUP_INDEX_KEEP_TEXTS), DEDUP_OK);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(add_doc(ix, i, 0), DEDUP_OK);
  assert_int_equal(dedup_index_compact(ix), DEDUP_OK);
  assert_false(exists(jpath(path)));
  return ix;
}

/* ---- the journal is the changes ---------------------------------------- */

/* Steps of every kind with a save after each: the file is never written
 * again, and what opens is the writer's index, byte for byte. */
static void test_replay_equals_writer(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("a.ix"));
  dedup_index *ix = made(path, 12);
  size_t flen = 0;
  unsigned char *file0 = slurp(path, &flen);
  size_t ops = 0;
  for (int step = 0; step < 7; step++) {
    switch (step) {
    case 0: /* adds: copies, a new topic, a deferred one */
      for (size_t i = 12; i < 17; i++)
        assert_int_equal(add_doc(ix, i, 0), DEDUP_OK);
      assert_int_equal(add_doc(ix, 40, DEDUP_ADD_DEFER), DEDUP_OK);
      ops += 6;
      break;
    case 1: /* a removal */
      assert_int_equal(dedup_index_remove(ix, "doc-13"), DEDUP_OK);
      ops += 1;
      break;
    case 2: /* a replacement: a removal, then the add */
      assert_int_equal(add_doc(ix, 2, DEDUP_ADD_REPLACE), DEDUP_OK);
      ops += 2;
      break;
    case 3: /* an expiry of two dated documents (doc-3 has no date) */
    {
      size_t k = 0;
      assert_int_equal(dedup_index_expire(ix, 1700000000 + 2 * 86400, &k),
                       DEDUP_OK);
      assert_int_equal(k, 2);
      ops += 2;
      break;
    }
    case 4: /* refused calls change nothing and are no operations */
      assert_int_equal(add_doc(ix, 7, 0), DEDUP_EEXIST);
      assert_int_equal(dedup_index_remove(ix, "nope"), DEDUP_ENOTFOUND);
      assert_int_equal(dedup_index_add(ix, "e", "", 0, NULL, 0, NULL),
                       DEDUP_EEMPTY);
      break;
    case 5: /* a document that merges stories, and one more */
      for (size_t i = 17; i < 21; i++)
        assert_int_equal(add_doc(ix, i, 0), DEDUP_OK);
      ops += 4;
      break;
    case 6: /* a save with nothing new writes nothing */
      break;
    }
    dedup_index_journal_info j = info(ix);
    assert_true(j.appends);
    assert_int_equal(j.unsaved, ops - j.ops);
    assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
    j = info(ix);
    assert_int_equal(j.ops, ops);
    assert_int_equal(j.unsaved, 0);
    size_t jl = 0;
    unsigned char *jb = slurp(jpath(path), &jl);
    assert_int_equal(j.bytes, jl);
    free(jb);
    /* The file itself is the one compacted. */
    size_t l2 = 0;
    unsigned char *f2 = slurp(path, &l2);
    same_bytes(file0, flen, f2, l2);
    free(f2);
    size_t wl = 0;
    unsigned char *w = whole(ix, &wl);
    opens_as(path, w, wl);
    free(w);
  }
  /* Opened for writing, it goes on as the writer would, and its next
   * save appends to the same journal. */
  dedup_index_free(ix);
  assert_int_equal(dedup_index_open(&ix, path, 0), DEDUP_OK);
  assert_int_equal(info(ix).ops, ops);
  assert_int_equal(add_doc(ix, 21, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  assert_int_equal(info(ix).ops, ops + 1);
  size_t wl = 0;
  unsigned char *w = whole(ix, &wl);
  opens_as(path, w, wl);
  /* Compacted: the file is the whole index, the journal gone. */
  assert_int_equal(dedup_index_compact(ix), DEDUP_OK);
  assert_false(exists(jpath(path)));
  assert_int_equal(info(ix).ops, 0);
  size_t cl = 0;
  unsigned char *c = slurp(path, &cl);
  same_bytes(w, wl, c, cl);
  free(c);
  free(w);
  free(file0);
  dedup_index_free(ix);
}

/* A rebuild is no operation: the save after it writes the file whole.
 * A journal grown past its bound is folded into the file. */
static void test_whole_saves(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("b.ix"));
  dedup_index *ix = made(path, 9);
  assert_int_equal(add_doc(ix, 9, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  assert_true(exists(jpath(path)));
  assert_int_equal(dedup_index_rebuild(ix, NULL), DEDUP_OK);
  assert_false(info(ix).appends);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  assert_false(exists(jpath(path)));
  assert_true(info(ix).appends);
  size_t wl = 0;
  unsigned char *w = whole(ix, &wl), *f;
  size_t fl = 0;
  f = slurp(path, &fl);
  same_bytes(w, wl, f, fl);
  free(f);
  free(w);
  /* Adds, one save each, until the journal's operations pass 256 plus
   * 1/32 of the documents: that save writes the file, once. */
  size_t whole_saves = 0;
  for (size_t i = 10; i < 290; i++) {
    assert_int_equal(add_doc(ix, i, 0), DEDUP_OK);
    size_t before = info(ix).ops;
    assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
    if (info(ix).ops == 0) {
      whole_saves++;
      assert_true(before + 1 > 256 + dedup_index_doc_count(ix) / 32);
      assert_false(exists(jpath(path)));
    }
  }
  assert_int_equal(whole_saves, 1);
  w = whole(ix, &wl);
  opens_as(path, w, wl);
  free(w);
  /* Saved elsewhere, the index's own journal stays as it is. */
  assert_int_equal(add_doc(ix, 300, 0), DEDUP_OK);
  size_t ops = info(ix).ops;
  assert_int_equal(dedup_index_save(ix, path_in("other.ix")), DEDUP_OK);
  assert_int_equal(info(ix).ops, ops);
  assert_int_equal(info(ix).unsaved, 1);
  dedup_index_free(ix);
  /* An index made in memory has no journal; compact needs a file. */
  assert_int_equal(dedup_index_new(&ix, NULL, 0), DEDUP_OK);
  assert_false(info(ix).appends);
  assert_int_equal(dedup_index_compact(ix), DEDUP_ESTATE);
  dedup_index_free(ix);
}

/* ---- cut, damaged, stale ------------------------------------------------ */

/* Three saves; the journal cut at every byte opens as the last save
 * before the cut (the bytes after it counted as ignored); a writer's next
 * save writes over them. */
/* An index made at path with docs articles, then `saves` saves of one
 * add each (the second also a removal): st[k], sl[k] the state after
 * save k (whole bytes; 0: before them), at[k] the journal's length then;
 * the journal's bytes returned in *jl. */
static unsigned char *saves(const char *path, size_t docs, int n,
                            unsigned char **st, size_t *sl, size_t *at,
                            size_t *jl) {
  dedup_index *ix = made(path, docs);
  st[0] = whole(ix, &sl[0]);
  at[0] = 32; /* the journal's header */
  for (int k = 1; k <= n; k++) {
    assert_int_equal(add_doc(ix, 10 + (size_t)k, 0), DEDUP_OK);
    if (k == 2)
      assert_int_equal(dedup_index_remove(ix, "doc-1"), DEDUP_OK);
    assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
    st[k] = whole(ix, &sl[k]);
    at[k] = (size_t)info(ix).bytes;
  }
  dedup_index_free(ix);
  return slurp(jpath(path), jl);
}

static void test_cut(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("c.ix"));
  unsigned char *st[4];
  size_t sl[4], at[4], jl = 0;
  unsigned char *jb = saves(path, 6, 3, st, sl, at, &jl);
  dedup_index *ix;
  assert_int_equal(jl, at[3]);
  unsigned char *cut = malloc(jl);
  assert_non_null(cut);
  for (size_t n = 32; n <= jl; n++) {
    /* Every byte of the last save, every 7th before it. */
    if (n < at[2] && n % 7 && n != at[1])
      continue;
    int k = 3;
    while (at[k] > n)
      k--;
    spit(jpath(path), jb, n);
    dedup_index *o;
    assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                     DEDUP_OK);
    assert_int_equal(info(o).ignored, n - at[k]);
    size_t m = 0;
    unsigned char *got = whole(o, &m);
    same_bytes(st[k], sl[k], got, m);
    free(got);
    dedup_index_free(o);
  }
  /* Cut inside the third save, then written on: the next save follows
   * the second. */
  spit(jpath(path), jb, at[2] + 30);
  assert_int_equal(dedup_index_open(&ix, path, 0), DEDUP_OK);
  assert_int_equal(add_doc(ix, 50, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  size_t wl = 0;
  unsigned char *w = whole(ix, &wl);
  opens_as(path, w, wl);
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                   DEDUP_OK);
  assert_int_equal(info(o).ignored, 0);
  dedup_index_doc_info d;
  assert_int_equal(dedup_index_lookup(o, "doc-13", &d), DEDUP_ENOTFOUND);
  assert_int_equal(dedup_index_lookup(o, "doc-50", &d), DEDUP_OK);
  dedup_index_free(o);
  free(w);
  dedup_index_free(ix);
  for (int k = 0; k <= 3; k++)
    free(st[k]);
  free(cut);
  free(jb);
}

/* Every byte of a journal changed in turn: the header's refuse the
 * index; a changed record ends the journal there (the saves before it
 * open, the rest is counted as ignored).  Never another state. */
static void test_flips(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("d.ix"));
  unsigned char *st[3];
  size_t sl[3], at[3], jl = 0;
  unsigned char *jb = saves(path, 5, 2, st, sl, at, &jl);
  for (size_t i = 0; i < jl; i++) {
    if (i >= 40 && i < at[1] - 40 && i % 13) /* a text's bytes: some */
      continue;
    jb[i] ^= 0x20;
    spit(jpath(path), jb, jl);
    jb[i] ^= 0x20;
    dedup_index *o;
    int rc = dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY);
    if (i < 32) { /* the header (its own checksum) */
      assert_int_equal(rc, DEDUP_EFORMAT);
      continue;
    }
    /* A bad record ends the journal: the saves before it, the bytes from
     * it on left out and counted. */
    int k = i < at[1] ? 0 : 1;
    assert_int_equal(rc, DEDUP_OK);
    assert_int_equal(info(o).ignored, jl - at[k]);
    size_t m = 0;
    unsigned char *got = whole(o, &m);
    same_bytes(st[k], sl[k], got, m);
    free(got);
    dedup_index_free(o);
  }
  free(jb);
  for (int k = 0; k <= 2; k++)
    free(st[k]);
}

/* A record whose checksum is right but whose add does not give the ids
 * it says refuses the index: not doing again what was done is damage. */
static void test_redo_differs(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("e.ix"));
  dedup_index *ix = made(path, 5);
  assert_int_equal(add_doc(ix, 20, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  dedup_index_free(ix);
  size_t jl = 0;
  unsigned char *jb = slurp(jpath(path), &jl);
  /* The first record (the add) at 32: its story id is the payload's last
   * 8 bytes; +1 there and its checksum made right. */
  unsigned char *h = jb + 32;
  uint64_t n = 0;
  for (int b = 7; b >= 0; b--)
    n = n << 8 | h[8 + b];
  unsigned char *payload = h + 24;
  payload[n - 8] ^= 1;
  uint64_t sum = dedup__hash(payload, (size_t)n, (uint64_t)1 << 32 ^ n);
  for (int b = 0; b < 8; b++)
    h[16 + b] = (unsigned char)(sum >> (8 * b));
  spit(jpath(path), jb, jl);
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                   DEDUP_EFORMAT);
  assert_int_equal(dedup_index_open(&o, path, 0), DEDUP_EFORMAT);
  free(jb);
}

/* A journal that follows an older file (a compaction killed between its
 * rename and the journal's removal) is ignored, and removed by a writer. */
static void test_stale(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("f.ix"));
  dedup_index *ix = made(path, 5);
  assert_int_equal(add_doc(ix, 20, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  size_t jl = 0;
  unsigned char *jb = slurp(jpath(path), &jl);
  assert_int_equal(add_doc(ix, 21, 0), DEDUP_OK);
  assert_int_equal(dedup_index_compact(ix), DEDUP_OK);
  size_t wl = 0;
  unsigned char *w = whole(ix, &wl);
  dedup_index_free(ix);
  spit(jpath(path), jb, jl);
  opens_as(path, w, wl);
  assert_true(exists(jpath(path)));
  assert_int_equal(dedup_index_open(&ix, path, 0), DEDUP_OK);
  assert_false(exists(jpath(path)));
  dedup_index_free(ix);
  opens_as(path, w, wl);
  free(w);
  free(jb);
}

/* A whole save to a path whose file had a journal (an index made in
 * memory, or another index, saved over it: a backup put back) removes
 * that journal: the same bytes would have the same tag, and the old
 * journal's saves would be done again on them. */
static void test_foreign_save(void **state) {
  (void)state;
  char path[512], back[512];
  snprintf(path, sizeof path, "%s", path_in("k.ix"));
  snprintf(back, sizeof back, "%s", path_in("k.bak"));
  dedup_index *ix;
  assert_int_equal(dedup_index_create(&ix, path, NULL, 0), DEDUP_OK);
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(add_doc(ix, i, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  dedup_index_free(ix);
  assert_true(exists(jpath(path)));
  /* An empty index saved over it: the file of the empty index made. */
  assert_int_equal(unlink(path), 0);
  assert_int_equal(dedup_index_new(&ix, NULL, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  dedup_index_free(ix);
  assert_false(exists(jpath(path)));
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                   DEDUP_OK);
  assert_int_equal(dedup_index_doc_count(o), 0);
  dedup_index_free(o);
  /* A backup put back over its own later state. */
  assert_int_equal(dedup_index_open(&ix, path, 0), DEDUP_OK);
  assert_int_equal(add_doc(ix, 0, 0), DEDUP_OK);
  assert_int_equal(dedup_index_compact(ix), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, back), DEDUP_OK);
  assert_int_equal(add_doc(ix, 1, 0), DEDUP_OK);
  assert_int_equal(add_doc(ix, 2, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  dedup_index_free(ix);
  assert_int_equal(dedup_index_open(&ix, back, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, path), DEDUP_OK);
  dedup_index_free(ix);
  assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                   DEDUP_OK);
  assert_int_equal(dedup_index_doc_count(o), 1);
  dedup_index_free(o);
}

/* An article whose text holds the bytes of a whole SAVE record (the
 * checksum's seed is no secret), its save cut short: the index opens as
 * the save before, the cut counted; never refused for a text. */
static void test_crafted_text(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("m.ix"));
  dedup_index *ix = made(path, 4);
  size_t w0l = 0;
  unsigned char *w0 = whole(ix, &w0l);
  tg_buf b = {0};
  tg_article(&b, 77, 5, 2500); /* long: its NULs under 1% (not binary) */
  unsigned char rec[64] = {3, 0, 0, 0, 0, 0, 0, 0, 40};
  for (int i = 0; i < 40; i++)
    rec[24 + i] = (unsigned char)i;
  uint64_t sum = dedup__hash(rec + 24, 40, (uint64_t)3 << 32 ^ 40);
  for (int i = 0; i < 8; i++)
    rec[16 + i] = (unsigned char)(sum >> (8 * i));
  tg_put(&b, (const char *)rec, sizeof rec);
  tg_puts(&b, " and the story goes on with more words after the record.");
  assert_int_equal(dedup_index_add(ix, "crafted", b.p, b.n, NULL, 0, NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  dedup_index_free(ix);
  size_t jl = 0;
  unsigned char *jb = slurp(jpath(path), &jl);
  /* Cut inside the text, before the record in it ... */
  spit(jpath(path), jb, jl / 3);
  opens_as(path, w0, w0l);
  /* ... and with the rest of the file zeroed (blocks a crash left
   * unwritten) but the crafted record's bytes there. */
  unsigned char *z = malloc(jl);
  assert_non_null(z);
  memcpy(z, jb, jl);
  unsigned char *at = NULL;
  for (size_t i = 0; i + sizeof rec <= jl; i++)
    if (!memcmp(jb + i, rec, sizeof rec)) {
      at = z + i;
      break;
    }
  assert_non_null(at);
  memset(z + 32 + 30, 0, (size_t)(at - z) - 62);
  spit(jpath(path), z, jl - 80); /* the real SAVE record cut off */
  opens_as(path, w0, w0l);
  free(z);
  free(jb);
  free(w0);
  tg_free(&b);
}

/* The journal is made with the index file's mode: a reader who may read
 * the index may read its journal, whatever the writer's umask. */
static void test_journal_mode(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("n.ix"));
  dedup_index *ix = made(path, 3);
  assert_int_equal(chmod(path, 0644), 0);
  mode_t old = umask(077);
  assert_int_equal(add_doc(ix, 10, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  umask(old);
  struct stat st;
  assert_int_equal(stat(jpath(path), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  dedup_index_free(ix);
}

/* ---- failed and killed saves ------------------------------------------- */

/* A journal that cannot be written (a directory in its place, then a
 * FIFO: never blocking) fails the save with DEDUP_EIO; the operations
 * stay unsaved, and the next save that can write them does. */
static void test_failed_append(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("g.ix"));
  dedup_index *ix = made(path, 5);
  size_t w0l = 0;
  unsigned char *w0 = whole(ix, &w0l);
  assert_int_equal(mkdir(jpath(path), 0700), 0);
  assert_int_equal(add_doc(ix, 20, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_EIO);
  assert_int_equal(info(ix).unsaved, 1);
  assert_int_equal(rmdir(jpath(path)), 0);
  opens_as(path, w0, w0l);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  size_t w1l = 0;
  unsigned char *w1 = whole(ix, &w1l);
  opens_as(path, w1, w1l);
  /* The journal replaced by a FIFO: the append fails at once. */
  size_t jl = 0;
  unsigned char *jb = slurp(jpath(path), &jl);
  assert_int_equal(unlink(jpath(path)), 0);
  assert_int_equal(mkfifo(jpath(path), 0600), 0);
  assert_int_equal(add_doc(ix, 21, 0), DEDUP_OK);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_EIO);
  dedup_index *o;
  assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                   DEDUP_EIO);
  assert_int_equal(unlink(jpath(path)), 0);
  spit(jpath(path), jb, jl);
  opens_as(path, w1, w1l);
  assert_int_equal(dedup_index_save(ix, NULL), DEDUP_OK);
  size_t w2l = 0;
  unsigned char *w2 = whole(ix, &w2l);
  opens_as(path, w2, w2l);
  free(w0);
  free(w1);
  free(w2);
  free(jb);
  dedup_index_free(ix);
}

/* A writer adding and saving in a loop, killed at random moments: the
 * index always opens, as one of the writer's complete saves (its
 * documents doc-100, doc-101, ... up to some k, none missing). */
static void test_killed(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("h.ix"));
  dedup_index *ix = made(path, 6);
  dedup_index_free(ix);
  uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
  size_t next = 100;
  for (int round = 0; round < 6; round++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      dedup_index *w;
      if (dedup_index_open(&w, path, 0) != DEDUP_OK)
        _exit(2);
      for (size_t i = next;; i++)
        if (add_doc(w, i, 0) != DEDUP_OK || dedup_index_save(w, NULL) != 0)
          _exit(1);
    }
    struct timespec ts = {0, (long)(20000000 + tg_below(&seed, 200000000))};
    nanosleep(&ts, NULL);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    dedup_index *o;
    assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                     DEDUP_OK);
    /* Its documents: the first 6, then doc-100 ... with no gap. */
    size_t n = dedup_index_doc_count(o);
    assert_true(n >= 6 + next - 100);
    for (size_t i = 100; i < 100 + (n - 6); i++) {
      char id[32];
      snprintf(id, sizeof id, "doc-%zu", i);
      dedup_index_doc_info d;
      assert_int_equal(dedup_index_lookup(o, id, &d), DEDUP_OK);
    }
    next = 100 + (n - 6);
    dedup_index_free(o);
  }
  printf("  %zu documents added across the kills\n", next - 100);
}

/* A reader beside a writer that adds, saves and now and then compacts
 * (its file replaced, its journal removed): every read-only open
 * succeeds, with no fewer documents than the open before it saw (a
 * reader that read the old file and then found no journal reads the new
 * file instead of opening an older index). */
static void test_reader_beside_writer(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s", path_in("r.ix"));
  dedup_index *ix = made(path, 4);
  dedup_index_free(ix);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dedup_index *w;
    if (dedup_index_open(&w, path, 0) != DEDUP_OK)
      _exit(2);
    time_t end = time(NULL) + 20; /* never outlives a failed parent long */
    for (size_t i = 100; time(NULL) < end; i++) {
      if (add_doc(w, i, 0) != DEDUP_OK)
        _exit(1);
      int rc = i % 4 ? dedup_index_save(w, NULL) : dedup_index_compact(w);
      if (rc != DEDUP_OK)
        _exit(1);
    }
    _exit(3);
  }
  size_t seen = 0, opens = 0;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    dedup_index *o;
    assert_int_equal(dedup_index_open(&o, path, DEDUP_INDEX_READ_ONLY),
                     DEDUP_OK);
    size_t n = dedup_index_doc_count(o);
    assert_true(n >= seen);
    seen = n;
    opens++;
    dedup_index_free(o);
    clock_gettime(CLOCK_MONOTONIC, &t);
  } while (t.tv_sec - t0.tv_sec < 3);
  assert_int_equal(kill(pid, SIGKILL), 0);
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFSIGNALED(st)); /* the writer never failed */
  printf("  %zu opens beside the writer, up to %zu documents\n", opens, seen);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replay_equals_writer),
      cmocka_unit_test(test_whole_saves),
      cmocka_unit_test(test_cut),
      cmocka_unit_test(test_flips),
      cmocka_unit_test(test_redo_differs),
      cmocka_unit_test(test_stale),
      cmocka_unit_test(test_foreign_save),
      cmocka_unit_test(test_crafted_text),
      cmocka_unit_test(test_journal_mode),
      cmocka_unit_test(test_failed_append),
      cmocka_unit_test(test_killed),
      cmocka_unit_test(test_reader_beside_writer),
  };
  return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
