/* test_page.c - page cleaning on generated pages: the main story, the
 * articles embedded below it, chrome removed, nothing lost when the
 * heuristics do not apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "text/normalise.h"
#include "text/page.h"

/* Prose with a normal share of function words, distinct per topic. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void prose(char *out, size_t cap, const char *topic, int first,
                  int n) {
  static const char *const frames[4] = {
      "The %s was reported to the police on Monday, and officers said that "
      "they were still looking for the people who were involved in it.",
      "According to a statement from the city, the %s had been planned for "
      "weeks before it happened in the middle of the afternoon.",
      "Residents who live near the scene told reporters that the %s was "
      "the first of its kind in the area for many years.",
      "Officials said on Tuesday that they would release more details "
      "about the %s once the investigation was complete."};
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    char s[512];
    const char *f = frames[(first + i) % 4];
    if (!f)
      continue;
    snprintf(s, sizeof s, f, topic);
    strncat(out, s, cap - strlen(out) - 2);
    strncat(out, " ", cap - strlen(out) - 1);
  }
  out[strlen(out) - 1] = '\0';
}

static char page_buf[1 << 15];

/* A scraped page: chrome, the story (title, paragraphs, a sub-heading),
 * chrome, an embedded article, footer. */
static const char *make_page(const char *site, const char *topic,
                             const char *other) {
  char p1[2048], p2[2048], p3[2048], e1[2048];
  prose(p1, sizeof p1, topic, 0, 2);
  prose(p2, sizeof p2, topic, 2, 3);
  prose(p3, sizeof p3, topic, 1, 2);
  prose(e1, sizeof e1, other, 0, 4);
  snprintf(page_buf, sizeof page_buf,
           "Menu\nHome | News | Sport | Weather\n\n"
           "Police search for answers after the %s in town - %s\n\n"
           "%s\n\n%s\n\nWhat happens next\n\n%s\n\n"
           "Share on Facebook\nComments\nRelated Articles\n\n"
           "%s\n2 hours ago\n- %s\n"
           "Council debates the %s plan\n\n%s\n\n"
           "Copyright 2025 %s. All rights reserved.\n",
           topic, site, p1, p2, p3, site, site, other, e1, site);
  return page_buf;
}

typedef struct parsed {
  char *text;
  size_t len;
  dedup__page pg;
} parsed;

static void parse(parsed *p, const char *raw, dedup__df_fn df,
                  const void *ctx) {
  memset(p, 0, sizeof *p);
  assert_int_equal(dedup__normalise(&p->text, &p->len, raw, strlen(raw), 0,
                                    NULL),
                   DEDUP_OK);
  assert_int_equal(dedup__page_parse(&p->pg, p->text, p->len, 7, df, ctx),
                   DEDUP_OK);
}

static void release(parsed *p) {
  dedup__page_free(&p->pg);
  dedup__free(p->text);
}

static int span_is(const parsed *p, dedup__span s, const char *want) {
  return s.len == strlen(want) && !memcmp(p->text + s.off, want, s.len);
}

/* Does any body line of article a contain needle? */
static int body_has(const parsed *p, size_t a, const char *needle) {
  const dedup__article *art = &p->pg.arts[a];
  for (uint32_t i = 0; i < art->count; i++) {
    dedup__span s = p->pg.lines[art->first + i];
    char line[4096];
    size_t n = s.len < sizeof line - 1 ? s.len : sizeof line - 1;
    memcpy(line, p->text + s.off, n);
    line[n] = '\0';
    if (strstr(line, needle))
      return 1;
  }
  return 0;
}

static void story_and_embedded_article(void **state) {
  (void)state;
  parsed p;
  parse(&p, make_page("Example Herald", "flood", "parking"), NULL, NULL);
  assert_int_equal(p.pg.n_arts, 2);
  /* Main story: three paragraphs and its sub-heading, no chrome. */
  assert_int_equal(p.pg.arts[0].count, 4);
  assert_true(body_has(&p, 0, "What happens next"));
  assert_true(body_has(&p, 0, "flood was reported"));
  assert_false(body_has(&p, 0, "parking"));
  assert_false(body_has(&p, 0, "Share on Facebook"));
  assert_false(body_has(&p, 0, "Home | News"));
  /* The first headline-like line is the title; without corpus evidence
   * its longest " - " part is kept. */
  assert_true(span_is(&p, p.pg.arts[0].title,
                      "Police search for answers after the flood in town"));
  /* The embedded article, with its own title, and nothing of the story. */
  assert_int_equal(p.pg.arts[1].count, 1);
  assert_true(span_is(&p, p.pg.arts[1].title, "Council debates the parking plan"));
  assert_true(body_has(&p, 1, "parking was reported"));
  assert_false(body_has(&p, 1, "flood"));
  assert_false(body_has(&p, 1, "Copyright"));
  release(&p);
}

static uint32_t map_df(const void *ctx, uint64_t key) {
  return dedup__countmap_get(ctx, key);
}

/* Lines and title parts that other pages carry too are chrome. */
static void corpus_repetition_removes_chrome(void **state) {
  (void)state;
  dedup__countmap df = {0};
  dedup__page scratch = {0};
  const char *topics[3] = {"flood", "fire", "storm"};
  char *pages[3];
  for (int i = 0; i < 3; i++) {
    make_page("Example Herald", topics[i], i ? "budget" : "parking");
    pages[i] = strdup(page_buf);
    char *t;
    size_t tl;
    assert_int_equal(dedup__normalise(&t, &tl, pages[i], strlen(pages[i]), 0,
                                      NULL),
                     DEDUP_OK);
    dedup__u64vec keys = {0};
    assert_int_equal(dedup__page_keys(&keys, &scratch, t, tl, 7), DEDUP_OK);
    for (size_t k = 0; k < keys.n; k++)
      assert_int_equal(dedup__countmap_add(&df, keys.v[k], 1), DEDUP_OK);
    /* Keys are distinct per page: the corpus counts documents. */
    for (size_t k = 1; k < keys.n; k++)
      assert_true(keys.v[k - 1] < keys.v[k]);
    dedup__u64vec_free(&keys);
    dedup__free(t);
  }
  parsed p;
  parse(&p, pages[0], map_df, &df);
  assert_int_equal(p.pg.n_arts, 2);
  /* The site name after " - " is on every page: the title loses it. */
  assert_true(span_is(&p, p.pg.arts[0].title,
                      "Police search for answers after the flood in town"));
  assert_false(body_has(&p, 1, "Copyright"));
  release(&p);
  for (int i = 0; i < 3; i++)
    free(pages[i]);
  dedup__page_free(&scratch);
  dedup__countmap_free(&df);
}

/* The batched lookup is the lookups one by one: for key 0, keys there
 * and not, in an empty map too, and for more keys than it prefetches. */
static void countmap_get_many_is_get(void **state) {
  (void)state;
  dedup__countmap m = {0};
  uint64_t keys[40];
  uint32_t got[40];
  for (size_t k = 0; k < 40; k++)
    keys[k] = k % 3 ? dedup__mix64(k) : k; /* k 0: key 0 */
  for (int full = 0; full < 2; full++) {
    for (size_t n = 0; n <= 40; n += 7) {
      dedup__countmap_get_many(&m, keys, n, got);
      for (size_t k = 0; k < n; k++)
        assert_int_equal(got[k], dedup__countmap_get(&m, keys[k]));
    }
    for (size_t k = 0; k < 40 && !full; k += 2)
      assert_int_equal(dedup__countmap_add(&m, keys[k], (uint32_t)k + 1),
                       DEDUP_OK);
  }
  dedup__countmap_get_many(&m, keys, 3, got);
  assert_int_equal(got[0], 1);
  assert_int_equal(got[1], 0);
  assert_int_equal(got[2], 3);
  dedup__countmap_free(&m);
}

/* Short sentences (quotes) inside a story do not cut it in two. */
static void short_sentences_stay_in_the_story(void **state) {
  (void)state;
  char p1[2048], p2[2048], raw[8192];
  prose(p1, sizeof p1, "protest", 0, 3);
  prose(p2, sizeof p2, "protest", 1, 3);
  snprintf(raw, sizeof raw,
           "Thousands join the protest downtown\n%s\n\"It is not over.\"\n"
           "We will be back.\nThat is all.\n%s\n",
           p1, p2);
  parsed p;
  parse(&p, raw, NULL, NULL);
  assert_int_equal(p.pg.n_arts, 1);
  assert_int_equal(p.pg.arts[0].count, 5);
  release(&p);
}

/* Text the heuristics cannot read as English prose is kept whole. */
static void unknown_text_is_kept_whole(void **state) {
  (void)state;
  const char *raw = "東京で大きな地震\n\n今日の午後、東京で強い地震がありました。\n"
                    "けが人の情報はまだありません。\n";
  parsed p;
  parse(&p, raw, NULL, NULL);
  assert_int_equal(p.pg.n_arts, 1);
  /* The first line is the title, the other two the body: each line
   * once (the title was once counted in the body too). */
  const char *nl = strchr(raw, '\n');
  assert_int_equal(p.pg.arts[0].title.off, 0);
  assert_int_equal(p.pg.arts[0].title.len, (uint32_t)(nl - raw));
  assert_int_equal(p.pg.arts[0].count, 2);
  assert_int_equal(p.pg.lines[0].off, (uint32_t)(nl - raw) + 2);
  assert_true(p.pg.arts[0].words > 0);
  release(&p);

  parse(&p, "", NULL, NULL);
  assert_int_equal(p.pg.n_arts, 0);
  release(&p);
  parse(&p, "...\n---\n!!!\n", NULL, NULL);
  assert_int_equal(p.pg.n_arts, 0);
  release(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(story_and_embedded_article),
      cmocka_unit_test(corpus_repetition_removes_chrome),
      cmocka_unit_test(countmap_get_many_is_get),
      cmocka_unit_test(short_sentences_stay_in_the_story),
      cmocka_unit_test(unknown_text_is_kept_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
