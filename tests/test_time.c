/* test_time.c - dates and titles in a run, through dedup.h only: the
 * story level's time decay (story_days), documents without dates as
 * dedup_corpus_add gives them, version-1 params, a given title. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

#define DAY 86400

/* One story told twice in other words (not copies), and unrelated
 * pages that give the IDF something to learn from. */
static const char *story_a =
    "Fire destroys Millbrook bakery\n\n"
    "A fire broke out early on Tuesday at the Hargreave Bakery on Linden "
    "Street in Millbrook, and firefighters from three stations fought the "
    "flames for more than four hours before the roof collapsed.\n\n"
    "Fire chief Ottoline Baxter said that nobody was hurt, because the "
    "bakers had not yet arrived for the morning shift, and that the cause "
    "of the fire is still under investigation by the county marshal.\n";
static const char *story_b =
    "Millbrook bakery lost to blaze\n\n"
    "Flames gutted the Hargreave Bakery in Millbrook before dawn on "
    "Tuesday, and the roof of the Linden Street building fell in while "
    "crews from three fire stations were still at work on it.\n\n"
    "According to chief Ottoline Baxter, no one was injured since the "
    "morning staff had not come in yet; the county marshal has opened an "
    "investigation into what started it.\n";
static const char *others[] = {
    "City council approves budget\n\n"
    "The city council of Dunmore voted on Monday to approve a budget that "
    "raises spending on roads and schools, after a debate that went on "
    "late into the night and ended with a vote of seven to two.\n",
    "Harbour ferry returns to service\n\n"
    "The ferry between Port Evander and the island of Kessock is running "
    "again after a month of repairs to its engines, the operator said on "
    "Friday, and the first crossing was full of passengers and cars.\n",
    "Library opens new wing\n\n"
    "The public library in Ashcombe opened a new wing for children on "
    "Saturday, with a reading room, a small theatre and shelves for more "
    "than ten thousand books given by families of the town.\n",
};
#define N_OTHERS (sizeof others / sizeof *others)

static void add(dedup_corpus *c, const char *name, const char *text,
                const char *title, int dated, int64_t date) {
  dedup_doc_meta m = DEDUP_DOC_META_INIT;
  if (title) {
    m.title = title;
    m.title_len = strlen(title);
  }
  m.has_date = dated;
  m.date = date;
  assert_int_equal(
      dedup_corpus_add_doc(c, name, text, strlen(text), &m, NULL), DEDUP_OK);
}

/* A corpus of the two tellings dt days apart and the others, run; 1 if
 * the two share a story.  *cos: their story link's similarity (0 if
 * none). */
static int joined(double story_days, double threshold, int64_t dt,
                  double *cos) {
  dedup_params p = DEDUP_PARAMS_INIT;
  p.story_days = story_days;
  p.story_threshold = threshold;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  int64_t t0 = 1700000000;
  add(c, "a", story_a, NULL, 1, t0);
  add(c, "b", story_b, NULL, 1, t0 + dt * DAY);
  for (size_t i = 0; i < N_OTHERS; i++) {
    char name[8] = {'o', (char)('0' + i), 0};
    add(c, name, others[i], NULL, 1, t0 + (int64_t)i * 3 * DAY);
  }
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  size_t a, b;
  assert_int_equal(dedup_corpus_item_find(c, "a", &a), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_find(c, "b", &b), DEDUP_OK);
  /* Not copies: only the story level can join them. */
  assert_int_not_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, a),
                       dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, b));
  int same = dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, a) ==
             dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, b);
  *cos = 0;
  for (size_t i = 0; i < dedup_corpus_link_count(c, DEDUP_LEVEL_STORY); i++) {
    size_t x, y;
    double s;
    assert_int_equal(dedup_corpus_link(c, DEDUP_LEVEL_STORY, i, &x, &y, &s),
                     DEDUP_OK);
    if (x == (a < b ? a : b) && y == (a < b ? b : a))
      *cos = s;
  }
  dedup_corpus_free(c);
  return same;
}

/* Time off, the pair's cosine is cos0 whatever the dates.  At a threshold
 * of 0.8 cos0 and a scale of 365 days, two days apart get 1.225 / (1 +
 * 2/365) of it (joined) and two years apart 1.225 / 3 (not joined); with
 * time turned off both are joined. */
static void test_decay(void **state) {
  (void)state;
  double cos0, cos1, cos2;
  assert_true(joined(-1, 0.1, 730, &cos0));
  assert_true(cos0 > 0.2 && cos0 <= 1);
  double t = 0.8 * cos0;
  assert_true(joined(365, t, 2, &cos1));
  double want = cos0 * 1.225 / (1 + 2.0 / 365);
  want = want < 1 ? want : 1;
  assert_true(fabs(cos1 - want) < 1e-6);
  assert_false(joined(365, t, 730, &cos2));
  assert_true(joined(-1, t, 2, &cos1));
  assert_true(joined(-1, t, 730, &cos2));
  assert_true(cos1 == cos0 && cos2 == cos0);
  /* The default scale decays too: two years apart is not joined. */
  assert_false(joined(0, t, 730, &cos2));
}

/* Clusters and links of a corpus, as one comparable string. */
static void fingerprint(char *out, size_t cap, const dedup_corpus *c) {
  size_t at = 0;
  for (int lv = 0; lv < 2; lv++) {
    for (size_t i = 0; i < dedup_corpus_item_count(c); i++)
      at += (size_t)snprintf(out + at, cap - at, "%zu,",
                             dedup_corpus_cluster_of(c, (dedup_level)lv, i));
    for (size_t i = 0; i < dedup_corpus_link_count(c, (dedup_level)lv);
         i++) {
      size_t x, y;
      double s;
      dedup_corpus_link(c, (dedup_level)lv, i, &x, &y, &s);
      at += (size_t)snprintf(out + at, cap - at, "%zu-%zu:%.17g;", x, y, s);
    }
    assert_true(at < cap);
  }
}

/* Documents without dates (no meta, or meta without a date or title)
 * give exactly what dedup_corpus_add gives; so do dated ones with time
 * off. */
static void test_undated_as_add(void **state) {
  (void)state;
  static char want[4096], got[4096];
  for (int mode = 0; mode < 3; mode++) {
    dedup_params p = DEDUP_PARAMS_INIT;
    if (mode == 2)
      p.story_days = -1;
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
    const char *texts[] = {story_a, story_b, others[0], others[1],
                           others[2]};
    for (size_t i = 0; i < 5; i++) {
      char name[4] = {(char)('a' + i), 0};
      if (mode == 0)
        assert_int_equal(dedup_corpus_add(c, name, texts[i],
                                          strlen(texts[i]), NULL),
                         DEDUP_OK);
      else
        add(c, name, texts[i], NULL, mode == 2,
            (int64_t)i * 400 * DAY);
    }
    assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
    fingerprint(mode ? got : want, sizeof want, c);
    if (mode)
      assert_string_equal(got, want);
    dedup_corpus_free(c);
  }
}

/* A caller built against version 1 of dedup_params (no story_days) gets
 * the default, whatever lies beyond its struct. */
static void test_params_v1(void **state) {
  (void)state;
  dedup_params p;
  memset(&p, 0xAB, sizeof p);
  assert_int_equal(dedup_params_init(&p, 1), DEDUP_OK);
  assert_int_equal(p.version, 1);
  p.story_days = -1; /* not in a version-1 struct: never read */
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  dedup_params r;
  assert_int_equal(dedup_corpus_params(c, &r, DEDUP_PARAMS_VERSION),
                   DEDUP_OK);
  assert_true(r.story_days == 120.0);
  assert_int_equal(r.version, DEDUP_PARAMS_VERSION);
  /* Read back as version 1: story_days is not written. */
  dedup_params v1;
  v1.story_days = 7;
  assert_int_equal(dedup_corpus_params(c, &v1, 1), DEDUP_OK);
  assert_true(v1.story_days == 7);
  dedup_corpus_free(c);
  /* Version 2: the default, off, and out of range. */
  dedup_params q = DEDUP_PARAMS_INIT;
  assert_int_equal(q.version, 2);
  assert_true(q.story_days == 0);
  q.story_days = -3;
  assert_int_equal(dedup_corpus_new(&c, &q), DEDUP_OK);
  assert_int_equal(dedup_corpus_params(c, &r, 2), DEDUP_OK);
  assert_true(r.story_days == -1);
  dedup_corpus_free(c);
  q.story_days = 2e6;
  c = (dedup_corpus *)1;
  assert_int_equal(dedup_corpus_new(&c, &q), DEDUP_EINVAL);
  assert_null(c);
}

/* A given title is the item's title (the first line of its text), not
 * the line the page cleaner would take. */
static void test_given_title(void **state) {
  (void)state;
  for (int given = 0; given < 2; given++) {
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
    add(c, "a", story_a,
        given ? "Baker\xe2\x80\x99s fire: \"no one hurt\"" : NULL, 0, 0);
    add(c, "b", others[0], NULL, 0, 0);
    assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
    size_t a;
    assert_int_equal(dedup_corpus_item_find(c, "a", &a), DEDUP_OK);
    char *t;
    size_t n;
    assert_int_equal(dedup_corpus_item_text(&t, &n, c, a), DEDUP_OK);
    /* Normalised (quotes folded), not case-folded. */
    const char *first = given ? "Baker's fire: \"no one hurt\"\n"
                              : "Fire destroys Millbrook bakery\n";
    assert_true(strncmp(t, first, strlen(first)) == 0);
    /* The body is the same either way: the guessed title is no body
     * line, and the given one is not in the text. */
    assert_non_null(strstr(t, "Hargreave Bakery on Linden"));
    assert_null(strstr(t + strlen(first), "Fire destroys"));
    dedup_free(t);
    /* explain reads the title's words from the title. */
    dedup_explanation *e;
    assert_int_equal(dedup_corpus_explain(&e, c, a, a), DEDUP_OK);
    assert_true(e->n_passages >= 1);
    if (given)
      assert_true(strncmp(e->passages[0].text, "Baker's fire", 12) == 0);
    for (size_t i = 0; i < e->n_terms; i++)
      assert_string_not_equal(e->terms[i].word, "?");
    dedup_explanation_free(e);
    dedup_corpus_free(c);
  }
}

/* Dates and titles do not make results depend on insertion order or
 * threads. */
static void test_dated_deterministic(void **state) {
  (void)state;
  static char want[4096], got[4096];
  const char *texts[] = {story_a, story_b, others[0], others[1], others[2]};
  for (int mode = 0; mode < 4; mode++) {
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
    for (size_t k = 0; k < 5; k++) {
      size_t i = mode & 1 ? 4 - k : k;
      char name[4] = {(char)('a' + i), 0};
      add(c, name, texts[i], i % 2 ? "A given title" : NULL, i != 3,
          1700000000 + (int64_t)i * 20 * DAY);
    }
    dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
    o.threads = mode & 2 ? 3 : 1;
    assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_OK);
    fingerprint(mode ? got : want, sizeof want, c);
    if (mode)
      assert_string_equal(got, want);
    dedup_corpus_free(c);
  }
}

/* explain tells the time factor the run applied, and the run's link is
 * the cosine times it. */
static void test_explain_factor(void **state) {
  (void)state;
  for (int dated = 0; dated < 2; dated++) {
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
    add(c, "a", story_a, NULL, dated, 1700000000);
    add(c, "b", story_b, NULL, dated, 1700000000 + 30 * DAY);
    for (size_t i = 0; i < N_OTHERS; i++) {
      char name[8] = {'o', (char)('0' + i), 0};
      add(c, name, others[i], NULL, 0, 0);
    }
    assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
    size_t a, b;
    assert_int_equal(dedup_corpus_item_find(c, "a", &a), DEDUP_OK);
    assert_int_equal(dedup_corpus_item_find(c, "b", &b), DEDUP_OK);
    dedup_explanation *e;
    assert_int_equal(dedup_corpus_explain(&e, c, a, b), DEDUP_OK);
    double want = dated ? 1.225 / (1 + 30.0 / 120) : 1;
    assert_true(fabs(e->story_time_factor - want) < 1e-12);
    double sim = e->story_cosine * e->story_time_factor;
    sim = sim < 1 ? sim : 1;
    int found = 0;
    for (size_t i = 0; i < dedup_corpus_link_count(c, DEDUP_LEVEL_STORY);
         i++) {
      size_t x, y;
      double s;
      dedup_corpus_link(c, DEDUP_LEVEL_STORY, i, &x, &y, &s);
      if (x == (a < b ? a : b) && y == (a < b ? b : a)) {
        assert_true(fabs(s - sim) < 1e-6);
        found = 1;
      }
    }
    assert_int_equal(found, sim >= e->story_threshold);
    dedup_explanation_free(e);
    dedup_corpus_free(c);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decay),
      cmocka_unit_test(test_undated_as_add),
      cmocka_unit_test(test_params_v1),
      cmocka_unit_test(test_given_title),
      cmocka_unit_test(test_explain_factor),
      cmocka_unit_test(test_dated_deterministic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
