/* test_date.c - dedup_date_parse and dates/titles through the add call,
 * through dedup.h only.  Expected values from Python's datetime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup.h"

#include <string.h>

static int64_t parse(const char *s, int *rc) {
  int64_t t = 12345;
  *rc = dedup_date_parse(s, strlen(s), &t);
  return t;
}

static void test_good(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t t;
  } good[] = {
      {"1970-01-01", 0},
      {"2024-03-05", 1709596800},
      {"2024-03-05T10:20:30Z", 1709634030},
      {"2024-03-05t10:20:30z", 1709634030},
      {"2024-03-05T10:20:30+01:00", 1709630430},
      {"2024-03-05T10:20:30+0100", 1709630430},
      {"2024-03-05T10:20:30+01", 1709630430},
      {"2024-03-05 10:20", 1709634000},
      {"2024-03-05T10:20:30.123-0500", 1709652030},
      {"2024-03-05T10:20:30,5-05:00", 1709652030},
      {"  2024-03-05  ", 1709596800},
      {"1900-03-01", -2203891200},
      {"2000-02-29", 951782400},
      {"1700000000", 1700000000},
      {"1700000000.75", 1700000000},
      {"-86400", -86400},
      {"0", 0},
      /* basic forms (8 and 14 digits that make a date) */
      {"20240305", 1709596800},
      {"20150218230000", 1424300400},
      {"99999999", 99999999}, /* no date: Unix seconds */
      {"253402300799", 253402300799}, /* 9999-12-31T23:59:59Z */
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    int rc;
    int64_t t = parse(good[i].s, &rc);
    if (rc != DEDUP_OK || t != good[i].t)
      fail_msg("%s: rc %d, %lld (want %lld)", good[i].s, rc, (long long)t,
               (long long)good[i].t);
  }
}

static void test_bad(void **state) {
  (void)state;
  static const char *const bad[] = {
      "", "  ", "abc", "2024-13-01", "2024-00-10", "2023-02-29",
      "2024-04-31", "2024-03-05T25:00", "2024-03-05T10:60",
      "2024-03-05T10:20:61", "2024-03-05X", "2024-03-05T", "2024-3-5",
      "2024-03-05T10:20:30+", "2024-03-05T10:20:30+1", "1700000000.",
      "17e8", "--5", "12345678901234567890", "2024-03-05T10:20:30 Z",
      "Tue, 05 Mar 2024 10:20:30 GMT",
      "1700000000000", /* milliseconds: refused, not year 55,840 */
      "253402300800", "2024-03-05T00:00+01:",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc;
    int64_t t = parse(bad[i], &rc);
    if (rc != DEDUP_EINVAL)
      fail_msg("%s: accepted as %lld", bad[i], (long long)t);
    assert_true(t == 12345); /* untouched */
  }
  int64_t t;
  assert_int_equal(dedup_date_parse(NULL, 3, &t), DEDUP_EINVAL);
  assert_int_equal(dedup_date_parse("1", 1, NULL), DEDUP_EINVAL);
  /* Not NUL-terminated: len counts, the rest is not read. */
  assert_int_equal(dedup_date_parse("2024-03-05junk", 10, &t), DEDUP_OK);
  assert_true(t == 1709596800);
}

/* Metadata through dedup_corpus_add_doc: checked, copied. */
static void test_add_doc(void **state) {
  (void)state;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  char title[] = "A harbour bridge budget";
  const char *text = "The harbour council approved the new bridge budget "
                     "on Monday after a long public meeting.";
  dedup_doc_meta m = DEDUP_DOC_META_INIT;
  m.title = title;
  m.title_len = strlen(title);
  m.has_date = 1;
  m.date = 1709596800;
  assert_int_equal(dedup_corpus_add_doc(c, "a", text, strlen(text), &m,
                                        NULL),
                   DEDUP_OK);
  memset(title, 'x', sizeof title - 1); /* copied: no later effect */
  assert_int_equal(dedup_corpus_add_doc(c, "b", text, strlen(text), NULL,
                                        NULL),
                   DEDUP_OK);
  m.version = 0;
  assert_int_equal(dedup_corpus_add_doc(c, "c", text, strlen(text), &m,
                                        NULL),
                   DEDUP_EINVAL);
  m.version = DEDUP_DOC_META_VERSION;
  m.title = NULL;
  assert_int_equal(dedup_corpus_add_doc(c, "c", text, strlen(text), &m,
                                        NULL),
                   DEDUP_EINVAL);
  assert_int_equal(dedup_corpus_doc_count(c), 2);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_count(c), 2);
  dedup_corpus_free(c);
}

/* A title of no words ("" or "-") is no title: the page keeps its own
 * headline, exactly as without metadata. */
static void test_empty_title(void **state) {
  (void)state;
  const char *page =
      "Fire destroys Millbrook bakery\n\nA fire destroyed the old bakery "
      "on Main Street in Millbrook early on Sunday, and the owners said "
      "they would rebuild it before the summer market season begins.\n";
  char *t[3];
  static const char *const titles[] = {NULL, "", "-"};
  for (int k = 0; k < 3; k++) {
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
    dedup_doc_meta m = DEDUP_DOC_META_INIT;
    m.title = titles[k];
    m.title_len = titles[k] ? strlen(titles[k]) : 0;
    assert_int_equal(dedup_corpus_add_doc(c, "p", page, strlen(page),
                                          k ? &m : NULL, NULL),
                     DEDUP_OK);
    assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
    assert_int_equal(dedup_corpus_item_text(&t[k], NULL, c, 0), DEDUP_OK);
    dedup_corpus_free(c);
  }
  assert_non_null(strstr(t[0], "Millbrook bakery"));
  assert_string_equal(t[1], t[0]);
  assert_string_equal(t[2], t[0]);
  for (int k = 0; k < 3; k++)
    dedup_free(t[k]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good),
      cmocka_unit_test(test_bad),
      cmocka_unit_test(test_add_doc),
      cmocka_unit_test(test_empty_title),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
