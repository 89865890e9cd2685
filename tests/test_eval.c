/* test_eval.c - pairwise and B-cubed scores against hand-computed values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup.h"

static void perfect_and_degenerate(void **state) {
  (void)state;
  size_t truth[] = {7, 7, 7, 3, 3, 9};
  size_t same[] = {1, 1, 1, 0, 0, 2};
  dedup_scores s;
  assert_int_equal(dedup_eval_scores(&s, same, truth, 6), DEDUP_OK);
  assert_int_equal(s.true_pairs, 4);
  assert_int_equal(s.correct_pairs, 4);
  assert_float_equal(s.pair_f1, 1.0, 1e-12);
  assert_float_equal(s.bcubed_f1, 1.0, 1e-12);

  size_t single[] = {0, 1, 2, 3, 4, 5};
  assert_int_equal(dedup_eval_scores(&s, single, truth, 6), DEDUP_OK);
  assert_int_equal(s.predicted_pairs, 0);
  assert_float_equal(s.pair_precision, 1.0, 1e-12);
  assert_float_equal(s.pair_recall, 0.0, 1e-12);
  assert_float_equal(s.pair_f1, 0.0, 1e-12);
  /* B-cubed recall: (3 * 1/3 + 2 * 1/2 + 1) / 6 = 0.5 */
  assert_float_equal(s.bcubed_precision, 1.0, 1e-12);
  assert_float_equal(s.bcubed_recall, 0.5, 1e-12);

  assert_int_equal(dedup_eval_scores(&s, NULL, NULL, 0), DEDUP_OK);
  assert_float_equal(s.pair_f1, 1.0, 1e-12);
}

static void hand_computed(void **state) {
  (void)state;
  /* truth {a b c} {d e}; predicted {a b} {c d e} */
  size_t truth[] = {0, 0, 0, 1, 1};
  size_t pred[] = {5, 5, 6, 6, 6};
  dedup_scores s;
  assert_int_equal(dedup_eval_scores(&s, pred, truth, 5), DEDUP_OK);
  /* pairs: true ab ac bc de (4); predicted ab cd ce de (4); correct ab de */
  assert_int_equal(s.true_pairs, 4);
  assert_int_equal(s.predicted_pairs, 4);
  assert_int_equal(s.correct_pairs, 2);
  assert_float_equal(s.pair_precision, 0.5, 1e-12);
  assert_float_equal(s.pair_recall, 0.5, 1e-12);
  /* B-cubed precision: a 2/2, b 2/2, c 1/3, d 2/3, e 2/3 -> 4.667/5
   * recall: a 2/3, b 2/3, c 1/3, d 2/2, e 2/2 -> 3.667/5 */
  assert_float_equal(s.bcubed_precision, (2 + 1.0 / 3 + 4.0 / 3) / 5, 1e-12);
  assert_float_equal(s.bcubed_recall, (5.0 / 3 + 2) / 5, 1e-12);
  double p = s.bcubed_precision, r = s.bcubed_recall;
  assert_float_equal(s.bcubed_f1, 2 * p * r / (p + r), 1e-12);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(perfect_and_degenerate),
      cmocka_unit_test(hand_computed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
