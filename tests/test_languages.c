/* test_languages.c - other languages than English, on texts written for
 * these tests (tests/lang/, see its README): for German, Spanish,
 * French, Russian, Chinese, Japanese and Thai, three outlets' versions of
 * one story inside three sites' chrome, and three unrelated stories.
 *
 *  - each page alone (no other page to show its chrome repeated) is
 *    cleaned down to its article: the language's own stop words tell its
 *    prose from the chrome (asserted on word counts);
 *  - the three versions form one story, the unrelated stay apart;
 *  - every page's language is identified;
 *  - in a corpus mostly English (generated), the pages of every language
 *    cluster exactly as they do alone.
 *
 * Only dedup.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "testgen.h"

static const char *const langs[] = {"de", "es", "fr", "ru", "zh", "ja", "th"};
#define N_LANGS (sizeof langs / sizeof langs[0])
/* Pages of one language: story_a..c, other_1..3. */
#define N_PAGES 6

static const char *dir(void) {
  const char *d = getenv("DEDUP_LANG_DIR");
  assert_non_null(d);
  return d;
}

static char *slurp(const char *lang, const char *file) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s/%s", dir(), lang, file);
  char *s = tg_slurp(path, NULL);
  if (!s)
    fail_msg("cannot read %s", path);
  return s;
}

/* header + article + footer of chrome file k of a language. */
static char *page(const char *lang, const char *article, int k) {
  char name[32];
  snprintf(name, sizeof name, "chrome_%d.txt", k);
  char *chrome = slurp(lang, name);
  char *mark = strstr(chrome, "@@ARTICLE@@\n");
  assert_non_null(mark);
  *mark = '\0';
  const char *footer = mark + strlen("@@ARTICLE@@\n");
  size_t n = strlen(chrome) + strlen(article) + strlen(footer) + 4;
  char *p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "%s\n%s\n%s", chrome, article, footer);
  free(chrome);
  return p;
}

static const char *const articles[N_PAGES] = {
    "story_a.txt", "story_b.txt", "story_c.txt",
    "other_1.txt", "other_2.txt", "other_3.txt"};

/* Words (tokens) of item 0 of a corpus of text alone. */
static size_t words_alone(const char *text, unsigned flags) {
  dedup_params p = DEDUP_PARAMS_INIT;
  p.flags = flags;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "x", text, strlen(text), NULL),
                   DEDUP_OK);
  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  o.levels = DEDUP_RUN_COPY;
  assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_OK);
  dedup_explanation *e;
  assert_int_equal(dedup_corpus_explain(&e, c, 0, 0), DEDUP_OK);
  size_t w = e->words_a;
  dedup_explanation_free(e);
  dedup_corpus_free(c);
  return w;
}

/* A page alone is cleaned to its article: at least 90% of the article's
 * words kept, at most a tenth of its size added from the chrome, which
 * is well over that (a page whole would fail). */
static void cleaning(void **state) {
  (void)state;
  for (size_t l = 0; l < N_LANGS; l++) {
    if (!strcmp(langs[l], "th"))
      continue; /* Thai words are found at the story level only (the
                   cleaner counts its characters): not cleaned here */
    for (int a = 0; a < N_PAGES; a++) {
      char *art = slurp(langs[l], articles[a]);
      char *pg = page(langs[l], art, a % 3 + 1);
      size_t aw = words_alone(art, DEDUP_F_NO_CLEAN);
      size_t pw = words_alone(pg, DEDUP_F_NO_CLEAN);
      size_t cw = words_alone(pg, 0);
      if (cw * 10 < aw * 9 || cw * 10 > aw * 11)
        fail_msg("%s %s: cleaned %zu words, article %zu, page %zu",
                 langs[l], articles[a], cw, aw, pw);
      assert_true(pw * 10 > aw * 12); /* the chrome is a real part */
      free(art);
      free(pg);
    }
  }
}

typedef struct lang_corpus {
  char *text[N_PAGES];
} lang_corpus;

static void load(lang_corpus *lc, const char *lang) {
  for (int a = 0; a < N_PAGES; a++) {
    char *art = slurp(lang, articles[a]);
    /* Versions in chromes 1, 2, 3; the unrelated ones too, so each site
     * holds a version and an unrelated page. */
    lc->text[a] = page(lang, art, a % 3 + 1);
    free(art);
  }
}

static void unload(lang_corpus *lc) {
  for (int a = 0; a < N_PAGES; a++)
    free(lc->text[a]);
}

static void add_lang(dedup_corpus *c, const lang_corpus *lc,
                     const char *lang) {
  for (int a = 0; a < N_PAGES; a++) {
    char name[64];
    snprintf(name, sizeof name, "%s/%s", lang, articles[a]);
    assert_int_equal(
        dedup_corpus_add(c, name, lc->text[a], strlen(lc->text[a]), NULL),
        DEDUP_OK);
  }
}

/* Story labels of a language's six pages in corpus c (found by name),
 * renumbered by first appearance so partitions compare directly. */
static void labels_of(const dedup_corpus *c, const char *lang,
                      size_t out[N_PAGES]) {
  size_t raw[N_PAGES];
  for (int a = 0; a < N_PAGES; a++) {
    char name[64];
    size_t item;
    snprintf(name, sizeof name, "%s/%s", lang, articles[a]);
    assert_int_equal(dedup_corpus_item_find(c, name, &item), DEDUP_OK);
    raw[a] = dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, item);
    assert_string_equal(dedup_corpus_item_lang(c, item), lang);
  }
  for (int a = 0; a < N_PAGES; a++) {
    out[a] = (size_t)a;
    for (int b = 0; b < a; b++)
      if (raw[b] == raw[a]) {
        out[a] = out[b];
        break;
      }
  }
}

static dedup_corpus *run_corpus(size_t english, int with_lang[N_LANGS],
                                lang_corpus *lcs) {
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  tg_buf b = {0};
  for (size_t i = 0; i < english; i++) {
    b.n = 0;
    /* A few topics, each told several times: English stories too. */
    tg_article(&b, 1000 + i % (english / 4 + 1), 77 + i, 220);
    char name[32];
    snprintf(name, sizeof name, "en/%04zu", i);
    assert_int_equal(dedup_corpus_add(c, name, b.p, b.n, NULL), DEDUP_OK);
  }
  tg_free(&b);
  for (size_t l = 0; l < N_LANGS; l++)
    if (with_lang[l])
      add_lang(c, &lcs[l], langs[l]);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  return c;
}

/* Alone, each language's three versions are one story and the three
 * unrelated pages three more. */
static void stories_alone(void **state) {
  (void)state;
  lang_corpus lcs[N_LANGS];
  for (size_t l = 0; l < N_LANGS; l++)
    load(&lcs[l], langs[l]);
  for (size_t l = 0; l < N_LANGS; l++) {
    int with[N_LANGS] = {0};
    with[l] = 1;
    dedup_corpus *c = run_corpus(0, with, lcs);
    size_t lab[N_PAGES];
    labels_of(c, langs[l], lab);
    if (!(lab[0] == lab[1] && lab[1] == lab[2]))
      fail_msg("%s: the versions are not one story (%zu %zu %zu)", langs[l],
               lab[0], lab[1], lab[2]);
    for (int a = 3; a < N_PAGES; a++)
      if (lab[a] != (size_t)a)
        fail_msg("%s: %s joined another page's story", langs[l],
                 articles[a]);
    dedup_corpus_free(c);
  }
  for (size_t l = 0; l < N_LANGS; l++)
    unload(&lcs[l]);
}

/* Mixed with 200 English pages and each other, every language's pages
 * cluster as they do alone: IDF within the language, and no story
 * across languages. */
static void stories_mixed(void **state) {
  (void)state;
  lang_corpus lcs[N_LANGS];
  for (size_t l = 0; l < N_LANGS; l++)
    load(&lcs[l], langs[l]);
  int all[N_LANGS];
  for (size_t l = 0; l < N_LANGS; l++)
    all[l] = 1;
  dedup_corpus *mixed = run_corpus(200, all, lcs);
  for (size_t l = 0; l < N_LANGS; l++) {
    int with[N_LANGS] = {0};
    with[l] = 1;
    dedup_corpus *alone = run_corpus(0, with, lcs);
    size_t la[N_PAGES], lm[N_PAGES];
    labels_of(alone, langs[l], la);
    labels_of(mixed, langs[l], lm);
    assert_memory_equal(la, lm, sizeof la);
    dedup_corpus_free(alone);
  }
  /* No story holds pages of two languages. */
  size_t n = dedup_corpus_item_count(mixed);
  for (size_t k = 0; k < dedup_corpus_cluster_count(mixed, DEDUP_LEVEL_STORY);
       k++) {
    size_t nm;
    const size_t *m =
        dedup_corpus_cluster_members(mixed, DEDUP_LEVEL_STORY, k, &nm);
    for (size_t q = 1; q < nm; q++)
      assert_string_equal(dedup_corpus_item_lang(mixed, m[q]),
                          dedup_corpus_item_lang(mixed, m[0]));
  }
  size_t en = 0;
  for (size_t i = 0; i < n; i++)
    en += !strcmp(dedup_corpus_item_lang(mixed, i), "en");
  assert_int_equal(en, 200);
  dedup_corpus_free(mixed);
  for (size_t l = 0; l < N_LANGS; l++)
    unload(&lcs[l]);
}

/* A given language wins over identification; codes are checked. */
static void given_language(void **state) {
  (void)state;
  char *art = slurp("de", "story_a.txt");
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  dedup_doc_meta m = DEDUP_DOC_META_INIT;
  m.lang = "nl-BE";
  assert_int_equal(dedup_corpus_add_doc(c, "a", art, strlen(art), &m, NULL),
                   DEDUP_OK);
  m.lang = "klingon";
  assert_int_equal(dedup_corpus_add_doc(c, "b", art, strlen(art), &m, NULL),
                   DEDUP_EINVAL);
  m.lang = "";
  assert_int_equal(dedup_corpus_add_doc(c, "c", art, strlen(art), &m, NULL),
                   DEDUP_OK);
  assert_null(dedup_corpus_item_lang(c, 0)); /* before a run */
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  assert_string_equal(dedup_corpus_item_lang(c, 0), "nl");
  assert_string_equal(dedup_corpus_item_lang(c, 1), "de");
  assert_null(dedup_corpus_item_lang(c, 2));
  assert_null(dedup_corpus_item_lang(NULL, 0));
  dedup_corpus_free(c);
  assert_string_equal(dedup_lang_code("GERMAN"), "de");
  assert_string_equal(dedup_lang_code("zh_Hans"), "zh");
  assert_string_equal(dedup_lang_code("jpn"), "ja");
  assert_string_equal(dedup_lang_code(""), "und");
  assert_null(dedup_lang_code("xx"));
  assert_null(dedup_lang_code(NULL));
  /* DEDUP_F_NO_LANGID: English unless given. */
  dedup_params p = DEDUP_PARAMS_INIT;
  p.flags = DEDUP_F_NO_LANGID;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  assert_int_equal(dedup_corpus_add(c, "a", art, strlen(art), NULL),
                   DEDUP_OK);
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  assert_string_equal(dedup_corpus_item_lang(c, 0), "en");
  dedup_corpus_free(c);
  free(art);
}

/* explain reports languages and spells Chinese terms as bigrams. */
static void explain_words(void **state) {
  (void)state;
  lang_corpus lc;
  load(&lc, "zh");
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, NULL), DEDUP_OK);
  add_lang(c, &lc, "zh");
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  size_t a, b;
  assert_int_equal(dedup_corpus_item_find(c, "zh/story_a.txt", &a), DEDUP_OK);
  assert_int_equal(dedup_corpus_item_find(c, "zh/story_b.txt", &b), DEDUP_OK);
  dedup_explanation *e;
  assert_int_equal(dedup_corpus_explain(&e, c, a, b), DEDUP_OK);
  assert_string_equal(e->lang_a, "zh");
  assert_string_equal(e->lang_b, "zh");
  assert_true(e->n_terms > 0);
  for (size_t t = 0; t < e->n_terms; t++) {
    /* Two characters of three bytes each: a bigram, never one. */
    if (strlen(e->terms[t].word) != 6)
      fail_msg("term '%s' is not a bigram", e->terms[t].word);
  }
  dedup_explanation_free(e);
  dedup_corpus_free(c);
  unload(&lc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cleaning),
      cmocka_unit_test(stories_alone),
      cmocka_unit_test(stories_mixed),
      cmocka_unit_test(given_language),
      cmocka_unit_test(explain_words),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
