/* test_version.c - the header, the library and meson agree on the version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dedup.h"

static void version_matches_meson(void **state) {
  (void)state;
  assert_string_equal(DEDUP_VERSION_STRING, DEDUP_MESON_VERSION);
  assert_string_equal(dedup_version_string(), DEDUP_MESON_VERSION);
  assert_int_equal(dedup_version_number(), DEDUP_VERSION_NUMBER);
  assert_int_equal(DEDUP_VERSION_NUMBER,
                   DEDUP_VERSION_MAJOR * 10000 + DEDUP_VERSION_MINOR * 100 +
                       DEDUP_VERSION_PATCH);
}

static void strerror_covers_every_status(void **state) {
  (void)state;
  /* DEDUP_ELOCKED is the last code (dedup.h adds new ones below it) */
  for (int s = DEDUP_ELOCKED; s <= DEDUP_OK; s++) {
    const char *m = dedup_strerror(s);
    assert_non_null(m);
    assert_string_not_equal(m, "unknown status");
  }
  assert_string_equal(dedup_strerror(DEDUP_ELOCKED - 1), "unknown status");
  assert_string_equal(dedup_strerror(-1000), "unknown status");
  assert_string_equal(dedup_strerror(5), "unknown status");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(version_matches_meson),
      cmocka_unit_test(strerror_covers_every_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
