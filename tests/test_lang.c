/* test_lang.c - languages: codes, stop words per language, identification
 * by stop-word votes, by script and by libexttextcat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/dedup_private.h"
#include "common/hash.h"
#include "text/lang.h"
#include "text/tokenise.h"

#define SEED 5

static dedup__langs *langs;

static unsigned code(const char *c) {
  int l = dedup__lang_from_code(c, strlen(c));
  assert_true(l >= 0);
  return (unsigned)l;
}

static const char *identify(const char *text, dedup__langid *w) {
  dedup__tokvec tv = {0};
  assert_int_equal(dedup__tokenise(&tv, text, strlen(text), SEED), DEDUP_OK);
  unsigned l = dedup__lang_identify(langs, w, text, strlen(text), tv.v, tv.n);
  dedup__tokvec_free(&tv);
  return dedup__lang_code(l);
}

static void codes(void **state) {
  (void)state;
  assert_int_equal(dedup__lang_from_code("", 0), DEDUP__LANG_UND);
  assert_int_equal(dedup__lang_from_code("und", 3), DEDUP__LANG_UND);
  assert_int_equal(dedup__lang_from_code("EN-gb", 5), DEDUP__LANG_EN);
  assert_int_equal(code("deu"), code("de"));
  assert_int_equal(code("ger"), code("de"));
  assert_int_equal(code("German"), code("de"));
  assert_int_equal(code("nb"), code("no"));
  assert_int_equal(dedup__lang_from_code("xx", 2), -1);
  assert_int_equal(dedup__lang_from_code("-de", 3), -1);
  assert_string_equal(dedup__lang_code(code("zh_Hant")), "zh");
  assert_null(dedup__lang_code((unsigned)dedup__lang_count()));
  /* Every code names itself, and the salts keep them apart. */
  for (unsigned l = 0; l < dedup__lang_count(); l++) {
    const char *c = dedup__lang_code(l);
    assert_int_equal(dedup__lang_from_code(c, strlen(c)), (int)l);
    for (unsigned m = 0; m < l; m++)
      assert_true(dedup__lang_salt(l) != dedup__lang_salt(m));
  }
  assert_true(dedup__lang_has_stemmer(code("tr")));
  assert_false(dedup__lang_has_stemmer(code("zh")));
  assert_true(dedup__lang_has_stoplist(code("ru")));
  assert_false(dedup__lang_has_stoplist(code("tr")));
}

static uint64_t h(const char *w) { return dedup__hash(w, strlen(w), SEED); }

static void stop_words(void **state) {
  (void)state;
  assert_true(dedup__langs_is_stop(langs, code("de"), h("und")));
  assert_false(dedup__langs_is_stop(langs, code("de"), h("streik")));
  assert_true(dedup__langs_is_stop(langs, code("de"), h("dass"))); /* daß */
  assert_true(dedup__langs_is_stop(langs, code("ru"), h("что")));
  assert_true(dedup__langs_is_stop(langs, code("en"), h("the")));
  assert_false(dedup__langs_is_stop(langs, code("en"), h("und")));
  assert_true(dedup__langs_is_stop(langs, code("zh"), h("的")));
  assert_true(dedup__langs_is_stop(langs, code("th"), h("และ")));
  assert_false(dedup__langs_is_stop(langs, code("tr"), h("ve")));
  /* Flags follow the language: "die" is German, "the" is not. */
  const char *text = "die Katze the cat";
  dedup__tokvec tv = {0};
  assert_int_equal(dedup__tokenise(&tv, text, strlen(text), SEED), DEDUP_OK);
  assert_true(tv.v[2].flags & DEDUP__TOK_STOP); /* English flags first */
  dedup__langs_flag_stops(langs, code("de"), tv.v, tv.n);
  assert_true(tv.v[0].flags & DEDUP__TOK_STOP);
  assert_false(tv.v[1].flags & DEDUP__TOK_STOP);
  assert_false(tv.v[2].flags & DEDUP__TOK_STOP);
  dedup__langs_flag_stops(langs, code("tr"), tv.v, tv.n); /* no list */
  for (size_t i = 0; i < tv.n; i++)
    assert_false(tv.v[i].flags & DEDUP__TOK_STOP);
  dedup__tokvec_free(&tv);
}

static void identification(void **state) {
  (void)state;
  dedup__langid w = {0};
  assert_string_equal(
      identify("The council said on Monday that the new bridge would be "
               "open to traffic by the end of the year, after a long delay.",
               &w),
      "en");
  assert_string_equal(
      identify("Die Feuerwehr war mit mehr als hundert Einsatzkräften vor "
               "Ort, und die Straße blieb bis zum Abend gesperrt.",
               &w),
      "de");
  assert_string_equal(
      identify("Los trabajadores del puerto mantienen la huelga desde el "
               "lunes y las navieras ya desvían sus barcos a otros puertos.",
               &w),
      "es");
  assert_string_equal(
      identify("Le tramway relie désormais la gare au quartier nord, et les "
               "habitants attendaient cette ligne depuis des années.",
               &w),
      "fr");
  assert_string_equal(
      identify("Пожарные работали всю ночь, и к утру огонь удалось "
               "потушить, но здание завода было сильно повреждено.",
               &w),
      "ru");
  assert_string_equal(identify("新的高速铁路今天开通，两地之间的旅行时间缩短到"
                               "一个小时。",
                               &w),
                      "zh");
  assert_string_equal(identify("市は橋に亀裂が見つかったため、通行を止めると"
                               "発表した。",
                               &w),
                      "ja");
  assert_string_equal(identify("ฝนตกหนักทำให้น้ำท่วมหลายหมู่บ้านในจังหวัด", &w),
                      "th");
  assert_string_equal(identify("서울에서 큰 지진이 발생했다고 기상청이 밝혔다", &w),
                      "ko");
  /* No list decides Turkish: libexttextcat does. */
  assert_string_equal(
      identify("Bu sabah İstanbul'da başlayan grev nedeniyle limandaki "
               "çalışmalar durdu ve gemiler bekliyor.",
               &w),
      "tr");
  /* Menus alone in a short English page: the lines are short, so all are
   * read; too few words to tell is undetermined. */
  assert_string_equal(identify("Home | News", &w), "und");
  /* Without libexttextcat a page the lists cannot tell is undetermined. */
  assert_string_equal(
      identify("Bu sabah İstanbul'da başlayan grev nedeniyle limandaki "
               "çalışmalar durdu ve gemiler bekliyor.",
               NULL),
      "und");
  dedup__langid_free(&w);
}

static int setup(void **state) {
  (void)state;
  return dedup__langs_new(&langs, SEED) != DEDUP_OK;
}

static int teardown(void **state) {
  (void)state;
  dedup__langs_free(langs);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(codes),
      cmocka_unit_test(stop_words),
      cmocka_unit_test(identification),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
