/* test_bad_input.c - the library on input it will meet in the wild
 * (dedup.h only): invalid UTF-8, NUL bytes, empty and whitespace-only
 * texts, binary data, a 10 MB line, a 10 MB word, texts over the size
 * limit, and scripts written without spaces.
 *
 * Each case checks what happens, not only that nothing crashed: the status
 * code, that a refused document left the corpus unchanged, and that what
 * was accepted still clusters the way the text says it should. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup.h"
#include "snapshot.h"
#include "testgen.h"
#include "runopt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

static dedup_corpus *new_corpus(void) {
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  return c;
}

static void add_ok(dedup_corpus *c, const char *name, const char *text,
                   size_t len) {
  assert_int_equal(dedup_corpus_add(c, name, text, len, NULL), DEDUP_OK);
}

static char *article(uint64_t topic, size_t words) {
  tg_buf b = {0};
  tg_article(&b, topic, topic * 7 + 1, words);
  return b.p;
}

static char *copy_of(const char *src, uint64_t seed) {
  tg_buf b = {0};
  tg_copy(&b, src, seed, 3);
  return b.p;
}

static int same(const dedup_corpus *c, dedup_level l, const char *a,
                const char *b) {
  size_t x = cluster_of_name(c, l, a), y = cluster_of_name(c, l, b);
  assert_true(x != SIZE_MAX && y != SIZE_MAX);
  return x == y;
}

static void put_cp(tg_buf *b, uint32_t cp) {
  char u[4];
  size_t n;
  if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  }
  tg_put(b, u, n);
}

/* ---- invalid UTF-8 and NUL -------------------------------------------- */

static void test_normalise_invalid_utf8(void **state) {
  (void)state;
  /* \xFF: 1, \xC0\xAF (overlong): 2, \xED\xA0\x80 (surrogate): 3,
   * \xE2\x82 (truncated): 1 -> 7 replacements. */
  const char in[] = "a\xFF" "b\xC0\xAF" "c\xED\xA0\x80" "d\xE2\x82";
  char *out;
  size_t len, inv;
  assert_int_equal(dedup_normalise(&out, &len, in, sizeof in - 1, &inv),
                   DEDUP_OK);
  assert_int_equal(inv, 7);
  const char *f = "\xEF\xBF\xBD";
  char want[64];
  snprintf(want, sizeof want, "a%sb%s%sc%s%s%sd%s", f, f, f, f, f, f, f);
  assert_string_equal(out, want);
  assert_int_equal(len, strlen(want));
  dedup_free(out);
}

static void test_corpus_invalid_utf8_and_nul(void **state) {
  (void)state;
  char *a = article(1, 1500), *b = article(2, 1500);
  size_t len = strlen(a);
  /* x: a with every 500th byte made invalid; z: a with every 150th space
   * made a NUL (under 1% of bytes: still text). */
  char *x = strdup(a), *z = strdup(a);
  size_t bad = 0, nuls = 0;
  for (size_t i = 25; i < len; i += 500) {
    x[i] = (char)0xFF;
    bad++;
  }
  for (size_t i = 0, sp = 0; i < len; i++)
    if (z[i] == ' ' && ++sp % 150 == 0) {
      z[i] = '\0';
      nuls++;
    }
  assert_true(nuls >= 2);
  dedup_corpus *c = new_corpus();
  size_t inv;
  add_ok(c, "a", a, len);
  assert_int_equal(dedup_corpus_add(c, "x", x, len, &inv), DEDUP_OK);
  assert_int_equal(inv, bad);
  assert_int_equal(dedup_corpus_add(c, "z", z, len, &inv), DEDUP_OK);
  assert_int_equal(inv, 0);
  add_ok(c, "b", b, strlen(b));
  /* Nothing but invalid bytes: accepted (it is not binary), one item. */
  assert_int_equal(dedup_corpus_add(c, "junk", "\xFF\xFE\xFD\xC0\x80", 5,
                                    &inv),
                   DEDUP_OK);
  assert_int_equal(inv, 5);
  assert_int_equal(run_opts(c, 2, 0), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_count(c), 5);
  assert_true(same(c, DEDUP_LEVEL_COPY, "a", "x"));
  assert_true(same(c, DEDUP_LEVEL_COPY, "a", "z"));
  assert_false(same(c, DEDUP_LEVEL_COPY, "a", "b"));
  assert_false(same(c, DEDUP_LEVEL_STORY, "a", "b"));
  assert_false(same(c, DEDUP_LEVEL_COPY, "a", "junk"));
  dedup_corpus_free(c);
  free(a);
  free(b);
  free(x);
  free(z);
}

/* The counts dedup_corpus_doc_invalid gives after a run (added with
 * n_invalid NULL, so the run normalises) are the add's, in the order of
 * adding though the run sorts documents by name; at 1 and 2 threads. */
static void test_doc_invalid_after_run(void **state) {
  (void)state;
  char *a = article(1, 1500);
  size_t len = strlen(a);
  char *x = strdup(a);
  size_t bad = 0;
  for (size_t i = 25; i < len; i += 500) {
    x[i] = (char)0xFF;
    bad++;
  }
  for (unsigned threads = 1; threads <= 2; threads++) {
    dedup_corpus *c = new_corpus();
    size_t inv = 99;
    assert_int_equal(dedup_corpus_add(c, "z-x", x, len, NULL), DEDUP_OK);
    assert_int_equal(dedup_corpus_add(c, "m-junk", "\xFF\xFE\xFD\xC0\x80",
                                      5, NULL),
                     DEDUP_OK);
    assert_int_equal(dedup_corpus_add(c, "a-a", a, len, NULL), DEDUP_OK);
    assert_int_equal(dedup_corpus_doc_invalid(c, 0, &inv), DEDUP_ESTATE);
    assert_int_equal(inv, 0);
    assert_int_equal(run_opts(c, threads, 0), DEDUP_OK);
    assert_int_equal(dedup_corpus_doc_invalid(c, 0, &inv), DEDUP_OK);
    assert_int_equal(inv, bad);
    assert_int_equal(dedup_corpus_doc_invalid(c, 1, &inv), DEDUP_OK);
    assert_int_equal(inv, 5);
    assert_int_equal(dedup_corpus_doc_invalid(c, 2, &inv), DEDUP_OK);
    assert_int_equal(inv, 0);
    assert_int_equal(dedup_corpus_doc_invalid(c, 3, &inv), DEDUP_EINVAL);
    assert_int_equal(dedup_corpus_doc_invalid(c, 0, NULL), DEDUP_EINVAL);
    assert_int_equal(dedup_corpus_doc_invalid(NULL, 0, &inv), DEDUP_EINVAL);
    /* Counted at the add (n_invalid given): the same answer. */
    assert_int_equal(dedup_corpus_add(c, "b-x", x, len, &inv), DEDUP_OK);
    assert_int_equal(inv, bad);
    assert_int_equal(dedup_corpus_doc_invalid(c, 3, &inv), DEDUP_ESTATE);
    assert_int_equal(run_opts(c, threads, 0), DEDUP_OK);
    assert_int_equal(dedup_corpus_doc_invalid(c, 3, &inv), DEDUP_OK);
    assert_int_equal(inv, bad);
    assert_int_equal(dedup_corpus_doc_invalid(c, 0, &inv), DEDUP_OK);
    assert_int_equal(inv, bad);
    dedup_corpus_free(c);
  }
  free(a);
  free(x);
}

/* dedup_corpus_add_many: each document's status as the one-by-one add
 * gives it, and the same results as those adds, at 1 and 2 threads; a
 * document over 4 MiB (a block of its own, not the pool) and one with a
 * title (the one-by-one path) among them. */
static void test_add_many_as_one_by_one(void **state) {
  (void)state;
  char *a = article(1, 1500), *b = article(2, 1200);
  char *ca = copy_of(a, 3), *cb = copy_of(b, 4);
  size_t big_len = (size_t)5 << 20, al = strlen(a);
  char *big = malloc(big_len);
  assert_non_null(big);
  for (size_t o = 0; o < big_len; o += al + 1) {
    size_t k = o + al < big_len ? al : big_len - o;
    memcpy(big + o, a, k);
    if (o + k < big_len)
      big[o + k] = '\n';
  }
  char bin[600];
  memset(bin, 1, sizeof bin);
  dedup_doc_meta titled = DEDUP_DOC_META_INIT, bad_lang = DEDUP_DOC_META_INIT;
  titled.title = "Harbour bridge budget";
  titled.title_len = strlen(titled.title);
  titled.lang = "en";
  bad_lang.lang = "xx-not-a-language";
  const dedup_doc_in in[] = {
      {"d", b, strlen(b), NULL},        {"a", a, al, NULL},
      {"empty", "", 0, NULL},           {"bin", bin, sizeof bin, NULL},
      {"c", ca, strlen(ca), &titled},   {NULL, a, al, NULL},
      {"lang", a, al, &bad_lang},       {"big", big, big_len, NULL},
      {"b", cb, strlen(cb), NULL},      {"x", "\xFF\xFE words", 8, NULL},
  };
  size_t n = sizeof in / sizeof *in;
  dedup_corpus *one = new_corpus();
  int want[sizeof in / sizeof *in];
  for (size_t i = 0; i < n; i++)
    want[i] = dedup_corpus_add_doc(one, in[i].name, in[i].text, in[i].len,
                                   in[i].meta, NULL);
  assert_int_equal(want[0], DEDUP_OK);
  assert_int_equal(want[2], DEDUP_EEMPTY);
  assert_int_equal(want[3], DEDUP_EBINARY);
  assert_int_equal(want[5], DEDUP_EINVAL);
  assert_int_equal(want[6], DEDUP_EINVAL);
  assert_int_equal(want[7], DEDUP_OK);
  assert_int_equal(run_opts(one, 1, 0), DEDUP_OK);
  char *snap_one = snapshot(one);
  for (unsigned threads = 1; threads <= 2; threads++) {
    dedup_corpus *many = new_corpus();
    int got[sizeof in / sizeof *in];
    assert_int_equal(dedup_corpus_add_many(many, in, n, threads, got),
                     DEDUP_OK);
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(dedup_corpus_doc_count(many),
                     dedup_corpus_doc_count(one));
    assert_int_equal(run_opts(many, threads, 0), DEDUP_OK);
    char *snap = snapshot(many);
    assert_string_equal(snap, snap_one);
    free(snap);
    /* doc_invalid in the order of adding: "x" is the 6th kept. */
    size_t inv;
    assert_int_equal(dedup_corpus_doc_invalid(many, 5, &inv), DEDUP_OK);
    assert_int_equal(inv, 2);
    assert_int_equal(dedup_corpus_add_many(many, NULL, 0, 0, NULL),
                     DEDUP_OK);
    assert_int_equal(dedup_corpus_add_many(many, NULL, 1, 0, got),
                     DEDUP_EINVAL);
    assert_int_equal(dedup_corpus_add_many(NULL, in, 1, 0, got),
                     DEDUP_EINVAL);
    dedup_corpus_free(many);
  }
  free(snap_one);
  dedup_corpus_free(one);
  free(a);
  free(b);
  free(ca);
  free(cb);
  free(big);
}

/* ---- empty, binary, too big ------------------------------------------- */

static void test_refused_documents_leave_corpus_unchanged(void **state) {
  (void)state;
  char *a = article(3, 200);
  dedup_corpus *c = new_corpus();
  add_ok(c, "a", a, strlen(a));
  assert_int_equal(run_opts(c, 2, 0), DEDUP_OK);
  char *before = snapshot(c);
  size_t inv = 99;
  assert_int_equal(dedup_corpus_add(c, "empty", "", 0, &inv), DEDUP_EEMPTY);
  assert_int_equal(inv, 0);
  assert_int_equal(dedup_corpus_add(c, "null", NULL, 0, NULL), DEDUP_EEMPTY);
  assert_int_equal(dedup_corpus_add(c, "nullbytes", NULL, 5, NULL),
                   DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_add(c, NULL, "text", 4, NULL), DEDUP_EINVAL);
  const char *blank = "  \n\t\r\n -- !! ?? ... \n";
  assert_int_equal(dedup_corpus_add(c, "blank", blank, strlen(blank), NULL),
                   DEDUP_EEMPTY);
  /* Binary: a PNG header and bytes, UTF-16 text, a page of NULs. */
  unsigned char png[4096];
  uint64_t s = 5;
  memcpy(png, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  for (size_t i = 16; i < sizeof png; i++)
    png[i] = (unsigned char)tg_next(&s);
  assert_int_equal(dedup_corpus_add(c, "png", (const char *)png, sizeof png,
                                    NULL),
                   DEDUP_EBINARY);
  char utf16[400];
  for (size_t i = 0; i < sizeof utf16; i += 2) {
    utf16[i] = "Hello world "[(i / 2) % 12];
    utf16[i + 1] = '\0';
  }
  assert_int_equal(dedup_corpus_add(c, "utf16", utf16, sizeof utf16, NULL),
                   DEDUP_EBINARY);
  char *zeros = calloc(65536, 1);
  memcpy(zeros, "some words first", 16);
  assert_int_equal(dedup_corpus_add(c, "zeros", zeros, 65536, NULL),
                   DEDUP_EBINARY);
  free(zeros);
  /* Over the 2^31-byte limit: refused before a byte is read.  The bytes
   * are an untouched, unbacked mapping, so nothing is allocated. */
  size_t big = (size_t)INT32_MAX + 2;
  int zfd = open("/dev/zero", O_RDONLY);
  assert_true(zfd >= 0);
  void *m = mmap(NULL, big, PROT_READ, MAP_PRIVATE, zfd, 0);
  close(zfd);
  assert_true(m != MAP_FAILED);
  assert_int_equal(dedup_corpus_add(c, "huge", m, big, NULL), DEDUP_ETOOBIG);
  munmap(m, big);
  /* Refusals dropped nothing and added nothing. */
  assert_int_equal(dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY), 1);
  assert_int_equal(run_opts(c, 2, 0), DEDUP_OK);
  char *after = snapshot(c);
  assert_string_equal(before, after);
  free(before);
  free(after);
  dedup_corpus_free(c);
  free(a);
}

/* ---- long lines and words --------------------------------------------- */

/* One line of about 10 MB, and a copy of it with edits and chrome: copies.
 * Another 10 MB line on another topic stays apart.  A 10 MB "word" with
 * no separator at all is one more item, alone. */
static void test_ten_megabyte_line(void **state) {
  (void)state;
  enum { TEN_MB = 10 << 20 };
  tg_buf line = {0}, other = {0};
  for (uint64_t k = 0; line.n < TEN_MB; k++) {
    tg_article(&line, 40 + k % 50, k, 200);
    tg_article(&other, 140 + k % 50, k, 200);
  }
  for (size_t i = 0; i < line.n; i++)
    if (line.p[i] == '\n')
      line.p[i] = ' ';
  for (size_t i = 0; i < other.n; i++)
    if (other.p[i] == '\n')
      other.p[i] = ' ';
  char *copy = copy_of(line.p, 9);
  char *word = malloc(TEN_MB);
  uint64_t s = 77;
  for (size_t i = 0; i < TEN_MB; i++)
    word[i] = (char)('a' + tg_below(&s, 26));
  dedup_corpus *c = new_corpus();
  add_ok(c, "line", line.p, line.n);
  add_ok(c, "copy", copy, strlen(copy));
  add_ok(c, "other", other.p, other.n);
  add_ok(c, "word", word, TEN_MB);
  assert_int_equal(run_opts(c, 2, 0), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_count(c), 4);
  assert_true(same(c, DEDUP_LEVEL_COPY, "line", "copy"));
  assert_false(same(c, DEDUP_LEVEL_COPY, "line", "other"));
  assert_false(same(c, DEDUP_LEVEL_COPY, "line", "word"));
  assert_false(same(c, DEDUP_LEVEL_STORY, "other", "word"));
  dedup_corpus_free(c);
  tg_free(&line);
  tg_free(&other);
  free(copy);
  free(word);
}

/* ---- scripts without spaces ------------------------------------------- */

typedef enum script { HAN, JAPANESE, THAI } script;

/* About n characters of text in a script, lines of ~60 characters;
 * `topic` picks the text. */
static char *nospace_text(script sc, uint64_t topic, size_t n) {
  tg_buf b = {0};
  uint64_t s = topic * 0x9E37 + sc;
  for (size_t i = 1; i <= n; i++) {
    switch (sc) {
    case HAN:
      put_cp(&b, 0x4E00 + (uint32_t)tg_below(&s, 3000));
      break;
    case JAPANESE: /* kana with some kanji */
      put_cp(&b, tg_below(&s, 3) ? 0x3041 + (uint32_t)tg_below(&s, 83)
                                 : 0x4E00 + (uint32_t)tg_below(&s, 2000));
      break;
    case THAI: /* consonant, sometimes a vowel or tone mark above it */
      put_cp(&b, 0x0E01 + (uint32_t)tg_below(&s, 46));
      if (tg_below(&s, 3) == 0)
        put_cp(&b, 0x0E48 + (uint32_t)tg_below(&s, 4));
      break;
    }
    if (i % 20 == 0)
      put_cp(&b, sc == THAI ? ' ' : 0x3002); /* 。 or a Thai phrase break */
    if (i % 60 == 0)
      tg_puts(&b, "\n");
  }
  return b.p;
}

/* A copy with 3 characters changed (as a correction would) and a line of
 * chrome above. */
static char *nospace_copy(const char *src, script sc) {
  tg_buf b = {0};
  put_cp(&b, sc == THAI ? 0x0E2B : 0x9996); /* a "home" link */
  tg_puts(&b, " | ");
  put_cp(&b, sc == THAI ? 0x0E02 : 0x65B0);
  tg_puts(&b, "\n\n");
  size_t len = strlen(src);
  for (size_t i = 0; i < len; i++) {
    /* Swap a character's last byte at three places (keeps it valid). */
    if ((i == len / 4 || i == len / 2 || i == 3 * len / 4) &&
        (unsigned char)src[i] >= 0xE0 && i + 2 < len) {
      char ch[3] = {src[i], src[i + 1], (char)(0x80 | ((src[i + 2] + 1) &
                                                       0x3F))};
      tg_put(&b, ch, 3);
      i += 2;
      continue;
    }
    tg_put(&b, src + i, 1);
  }
  return b.p;
}

static void test_scripts_without_spaces(void **state) {
  (void)state;
  /* Tokens are characters: 10 Han characters make 10 - 5 + 1 shingles. */
  tg_buf ten = {0};
  for (uint32_t k = 0; k < 10; k++)
    put_cp(&ten, 0x4E00 + k * 37);
  uint64_t *sh;
  size_t n_sh;
  assert_int_equal(dedup_shingles(&sh, &n_sh, ten.p, ten.n, 5, 0), DEDUP_OK);
  assert_int_equal(n_sh, 6);
  dedup_free(sh);
  tg_free(&ten);

  dedup_corpus *c = new_corpus();
  static const char *const tag[] = {"han", "ja", "th"};
  char *keep[9];
  size_t nk = 0;
  for (int sc = HAN; sc <= THAI; sc++) {
    char name[32];
    char *a = nospace_text((script)sc, 1, 600);
    char *b = nospace_text((script)sc, 2, 600);
    char *a2 = nospace_copy(a, (script)sc);
    snprintf(name, sizeof name, "%s-a", tag[sc]);
    add_ok(c, name, a, strlen(a));
    snprintf(name, sizeof name, "%s-a-copy", tag[sc]);
    add_ok(c, name, a2, strlen(a2));
    snprintf(name, sizeof name, "%s-b", tag[sc]);
    add_ok(c, name, b, strlen(b));
    keep[nk++] = a;
    keep[nk++] = b;
    keep[nk++] = a2;
  }
  assert_int_equal(run_opts(c, 2, 0), DEDUP_OK);
  for (int sc = HAN; sc <= THAI; sc++) {
    char a[32], a2[32], b[32];
    snprintf(a, sizeof a, "%s-a", tag[sc]);
    snprintf(a2, sizeof a2, "%s-a-copy", tag[sc]);
    snprintf(b, sizeof b, "%s-b", tag[sc]);
    assert_true(same(c, DEDUP_LEVEL_COPY, a, a2));
    assert_false(same(c, DEDUP_LEVEL_COPY, a, b));
    /* Not asserted at the story level: its terms in these scripts are
     * single characters, and two unrelated texts drawn from one script
     * share enough of them to pass the story threshold in a corpus this
     * small (reported with issue 5). */
  }
  /* Three copy pairs, three singletons. */
  assert_int_equal(dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY), 6);
  dedup_corpus_free(c);
  for (size_t i = 0; i < nk; i++)
    free(keep[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normalise_invalid_utf8),
      cmocka_unit_test(test_corpus_invalid_utf8_and_nul),
      cmocka_unit_test(test_doc_invalid_after_run),
      cmocka_unit_test(test_add_many_as_one_by_one),
      cmocka_unit_test(test_refused_documents_leave_corpus_unchanged),
      cmocka_unit_test(test_ten_megabyte_line),
      cmocka_unit_test(test_scripts_without_spaces),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
