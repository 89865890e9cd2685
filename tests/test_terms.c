/* test_terms.c - story-level term counts: boosts for title, lead and
 * names, stop words and one-letter words out, Snowball stems, language
 * apart, character bigrams for Han and Kana, libthai's Thai words,
 * Hangul syllable bigrams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/hash.h"
#include "text/lang.h"
#include "text/stem.h"
#include "text/terms.h"

#define SEED 11

static dedup__stemmer *stem;
static dedup__langs *langs;
static unsigned lang = DEDUP__LANG_EN;

static unsigned code(const char *c) {
  int l = dedup__lang_from_code(c, strlen(c));
  assert_true(l >= 0);
  return (unsigned)l;
}

/* The id of a word's term in language lang: its Snowball stem, salted
 * with the language (computed here from libstemmer directly would only
 * repeat stem.c; what the tests check is which words share an id). */
static uint64_t id_of(const char *word) {
  return dedup__stem_id(stem, lang, word, strlen(word),
                        dedup__hash(word, strlen(word), SEED), SEED);
}

/* Weight of a word's term in tv (0 if absent). */
static float weight(const dedup__termvec *tv, const char *word) {
  uint64_t id = id_of(word);
  for (size_t i = 0; i < tv->n; i++)
    if (tv->v[i].id == id)
      return tv->v[i].w;
  return 0;
}

/* Weight of the term made of the bytes s (a bigram, a Thai word: no
 * stemming). */
static float weight_raw(const dedup__termvec *tv, const char *s) {
  uint64_t id = dedup__lang_term_id(lang, dedup__hash(s, strlen(s), SEED));
  for (size_t i = 0; i < tv->n; i++)
    if (tv->v[i].id == id)
      return tv->v[i].w;
  return 0;
}

/* One article: title = line 0, body = lines 1.. of text. */
static void count(dedup__termvec *tv, const char *text) {
  static dedup__span lines[32];
  dedup__article a = {{0, 0}, 0, 0, 0};
  size_t n = 0, pos = 0, len = strlen(text);
  while (pos < len && n < 32) {
    const char *nl = strchr(text + pos, '\n');
    size_t end = nl ? (size_t)(nl - text) : len;
    dedup__span s = {(uint32_t)pos, (uint32_t)(end - pos)};
    if (n == 0)
      a.title = s;
    else
      lines[a.count++] = s;
    n++;
    pos = end + 1;
  }
  dedup__page pg = {0};
  pg.lines = lines;
  dedup__tokvec scratch = {0};
  dedup__termctx tc = {SEED, lang, langs, stem};
  assert_int_equal(dedup__terms_count(tv, &scratch, text, &pg, &a, &tc),
                   DEDUP_OK);
  dedup__tokvec_free(&scratch);
  for (size_t i = 1; i < tv->n; i++)
    assert_true(tv->v[i - 1].id < tv->v[i].id); /* sorted, distinct */
}

static void boosts_and_filters(void **state) {
  (void)state;
  dedup__termvec tv = {0};
  /* 60+ words of body first, so the last line is past the lead. */
  count(&tv, "Flood hits town\n"
             "water rose over the bank of the river and a road was closed "
             "by the police near the old mill while crews worked on the "
             "pumps through the night and into the early hours of the "
             "morning as people watched from the hill above the valley "
             "where most of the houses stand in rows along the road and "
             "the rain kept falling all day\n"
             "later water crews met Mayor Jones in the hall to talk\n");
  /* Title words count DEDUP__TERM_TITLE. */
  assert_true(weight(&tv, "flood") == DEDUP__TERM_TITLE);
  assert_true(weight(&tv, "town") == DEDUP__TERM_TITLE);
  /* Stop words and one-letter words are not terms. */
  assert_true(weight(&tv, "the") == 0);
  assert_true(weight(&tv, "a") == 0);
  assert_true(weight(&tv, "of") == 0);
  /* "water" twice: once in the lead, once after it. */
  assert_true(weight(&tv, "water") == DEDUP__TERM_LEAD + 1.0f);
  /* A capitalised word inside a sentence is a name. */
  /* (folded like any word, so "Jones" at a sentence start matches) */
  assert_true(weight(&tv, "jones") == DEDUP__TERM_CAP);
  assert_true(weight(&tv, "mayor") == DEDUP__TERM_CAP);
  /* Stems: "crews" (twice) and "crew" are one term, as are "pumps" and
   * "pump", "houses" and "house". */
  assert_true(id_of("crews") == id_of("crew"));
  assert_true(weight(&tv, "crew") == DEDUP__TERM_LEAD + 1.0f);
  assert_true(weight(&tv, "pump") == DEDUP__TERM_LEAD);
  assert_true(weight(&tv, "house") == DEDUP__TERM_LEAD);
  /* Porter2 keeps the s of -ss and -us words, and "parties" is "party";
   * it also folds more than plurals ("worked", "working"). */
  assert_true(id_of("grass") != id_of("gras"));
  assert_true(id_of("parties") == id_of("party"));
  assert_true(id_of("worked") == id_of("working"));
  assert_true(id_of("bus") != id_of("busy"));
  dedup__termvec_free(&tv);
}

/* German words stem with the German stemmer, and one word's id differs
 * between languages (IDF is counted within a language). */
static void other_languages(void **state) {
  (void)state;
  dedup__termvec tv = {0};
  lang = code("de");
  assert_true(id_of("Streiks") == id_of("Streik"));
  assert_true(id_of("Flughäfen") == id_of("flughafen") ||
              id_of("Flughafens") == id_of("Flughafen"));
  uint64_t de_berlin = id_of("Berlin");
  count(&tv, "Streik in Berlin\nDie Piloten streiken am Montag in Berlin und "
             "der Flughafen bleibt geschlossen\n");
  assert_true(weight(&tv, "berlin") > 0);
  assert_true(id_of("streiken") == id_of("Streik")); /* a stem */
  assert_true(weight(&tv, "streik") > 0);
  lang = code("fr");
  assert_true(id_of("Berlin") != de_berlin);
  assert_true(id_of("grèves") == id_of("grève"));
  lang = code("ru");
  assert_true(id_of("пожара") == id_of("пожар"));
  lang = code("es");
  assert_true(id_of("huelgas") == id_of("huelga"));
  lang = DEDUP__LANG_EN;
  dedup__termvec_free(&tv);
}

/* Han and Kana runs make character bigrams (a lone character makes one
 * term of its own); single characters of a run are no terms. */
static void cjk_bigrams(void **state) {
  (void)state;
  dedup__termvec tv = {0};
  lang = code("zh");
  count(&tv, "t\n高铁今天开通。港\n");
  assert_true(weight_raw(&tv, "高铁") > 0);
  assert_true(weight_raw(&tv, "铁今") > 0);
  assert_true(weight_raw(&tv, "开通") > 0);
  assert_true(weight_raw(&tv, "高") == 0);
  assert_true(weight_raw(&tv, "通港") == 0); /* "。" stands between */
  assert_true(weight_raw(&tv, "港") > 0);
  lang = code("ja");
  count(&tv, "t\n東京駅で地震の訓練\n");
  assert_true(weight_raw(&tv, "東京") > 0);
  assert_true(weight_raw(&tv, "地震") > 0);
  assert_true(weight_raw(&tv, "で地") > 0);
  /* Korean: syllable bigrams of each word, so "서울에서" shares "서울". */
  lang = code("ko");
  count(&tv, "t\n서울에서 지진이 발생했다\n");
  assert_true(weight_raw(&tv, "서울") > 0);
  assert_true(weight_raw(&tv, "에서") > 0);
  assert_true(weight_raw(&tv, "지진") > 0);
  lang = DEDUP__LANG_EN;
  dedup__termvec_free(&tv);
}

/* Thai runs become the words libthai finds, its function words out. */
static void thai_words(void **state) {
  (void)state;
  dedup__termvec tv = {0};
  lang = code("th");
  count(&tv, "t\nน้ำท่วมหนักในจังหวัดเชียงใหม่\n");
  assert_true(weight_raw(&tv, "น้ำท่วม") > 0 ||
              (weight_raw(&tv, "น้ำ") > 0 && weight_raw(&tv, "ท่วม") > 0));
  assert_true(weight_raw(&tv, "จังหวัด") > 0);
  assert_true(weight_raw(&tv, "ใน") == 0); /* a stop word */
  /* Words, not characters: nothing of one character but its marks. */
  for (size_t i = 0; i < tv.n; i++)
    assert_true(tv.v[i].w > 0);
  lang = DEDUP__LANG_EN;
  dedup__termvec_free(&tv);
}

/* Spelling hands each term with its bytes, in text order. */
typedef struct spelled {
  char words[16][32];
  size_t n;
} spelled;

static int spell_cb(void *arg, uint64_t id, uint32_t off, uint32_t len) {
  (void)id;
  spelled *sp = arg;
  (void)off;
  if (sp->n < 16 && len < 32)
    sp->n++;
  return DEDUP_OK;
}

static void spelling(void **state) {
  (void)state;
  const char *text = "高铁今天开通";
  dedup__tokvec tv = {0};
  assert_int_equal(dedup__tokenise(&tv, text, strlen(text), SEED), DEDUP_OK);
  dedup__termctx tc = {SEED, code("zh"), langs, stem};
  spelled sp = {0};
  assert_int_equal(dedup__terms_spell(&tc, text, tv.v, tv.n,
                                      (dedup__span){0, UINT32_MAX}, spell_cb,
                                      &sp),
                   DEDUP_OK);
  assert_int_equal(sp.n, 5); /* six characters, five bigrams */
  dedup__tokvec_free(&tv);
}

static int setup(void **state) {
  (void)state;
  stem = dedup__stemmer_new();
  return !stem || dedup__langs_new(&langs, SEED) != DEDUP_OK;
}

static int teardown(void **state) {
  (void)state;
  dedup__stemmer_free(stem);
  dedup__langs_free(langs);
  return 0;
}

/* After a full stop the next capital starts a sentence, not a name. */
static void sentence_starts_are_not_names(void **state) {
  (void)state;
  dedup__termvec tv = {0};
  count(&tv, "t\nrain fell. Heavy rain fell! \"Heavy storms came\n");
  assert_true(weight(&tv, "heavy") == 2 * DEDUP__TERM_LEAD);
  count(&tv, "t\nrain fell on Heavy Street\n");
  assert_true(weight(&tv, "heavy") == DEDUP__TERM_LEAD * DEDUP__TERM_CAP);
  dedup__termvec_free(&tv);
}

static void dot_of_sorted_vectors(void **state) {
  (void)state;
  dedup__term a[] = {{1, 0.6f}, {3, 0.8f}};
  dedup__term b[] = {{2, 0.6f}, {3, 0.8f}};
  dedup__termvec va = {a, 2, 2}, vb = {b, 2, 2};
  assert_float_equal(dedup__terms_dot(&va, &vb), 0.64, 1e-6);
  assert_float_equal(dedup__terms_dot(&va, &va), 1.0, 1e-6);
  dedup__termvec empty = {0};
  assert_float_equal(dedup__terms_dot(&va, &empty), 0.0, 0);
  /* compact sums duplicates and sorts */
  dedup__term c[] = {{5, 1}, {2, 1}, {5, 2}, {2, 0.5f}};
  dedup__termvec vc = {c, 4, 4};
  dedup__terms_compact(&vc);
  assert_int_equal(vc.n, 2);
  assert_true(c[0].id == 2 && c[0].w == 1.5f);
  assert_true(c[1].id == 5 && c[1].w == 3.0f);
}

/* With room after the terms, compact radix-sorts: the same ids and the
 * same float sums (duplicates added in the order counted) as a plain
 * sort, over ids that differ in every byte. */
static void compact_with_room_radix_sorts(void **state) {
  (void)state;
  enum { N = 300, KEYS = 70 };
  dedup__term v[2 * N], want[KEYS];
  uint64_t keys[KEYS];
  for (size_t i = 0; i < KEYS; i++) {
    keys[i] = dedup__mix64(i + 1);
    want[i] = (dedup__term){keys[i], 0};
  }
  for (size_t i = 0; i < N; i++) {
    size_t key = (i * 37) % KEYS; /* 37 prime to KEYS: every key */
    float w = (i % 5 == 0) ? 2.5f : (i % 3 == 0) ? 0.1f : 1.0f;
    v[i] = (dedup__term){keys[key], w};
    want[key].w += w; /* the order compact must sum them in */
  }
  /* want in id order (insertion sort: what a stable sort gives). */
  for (size_t i = 1; i < KEYS; i++)
    for (size_t j = i; j > 0 && want[j - 1].id > want[j].id; j--) {
      dedup__term t = want[j];
      want[j] = want[j - 1];
      want[j - 1] = t;
    }
  dedup__termvec tv = {v, N, 2 * N};
  dedup__terms_compact(&tv);
  assert_int_equal(tv.n, KEYS);
  for (size_t i = 0; i < KEYS; i++) {
    assert_true(v[i].id == want[i].id);
    assert_memory_equal(&v[i].w, &want[i].w, sizeof v[i].w);
  }
}

/* The representatives' vectors: a merge over term indexes. */
static void wvec_dot_by_index(void **state) {
  (void)state;
  dedup__wterm a[] = {{1, 0.6f}, {3, 0.8f}};
  dedup__wterm b[] = {{2, 0.6f}, {3, 0.8f}};
  dedup__wvec va = {a, 2}, vb = {b, 2}, empty = {0};
  assert_true(dedup__wvec_dot(&va, &vb) == (double)0.8f * 0.8f);
  assert_float_equal(dedup__wvec_dot(&va, &va), 1.0, 1e-6);
  assert_true(dedup__wvec_dot(&va, &empty) == 0.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(boosts_and_filters),
      cmocka_unit_test(sentence_starts_are_not_names),
      cmocka_unit_test(dot_of_sorted_vectors),
      cmocka_unit_test(compact_with_room_radix_sorts),
      cmocka_unit_test(wvec_dot_by_index),
      cmocka_unit_test(other_languages),
      cmocka_unit_test(cjk_bigrams),
      cmocka_unit_test(thai_words),
      cmocka_unit_test(spelling),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
