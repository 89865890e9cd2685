/* fuzz.h - what every harness shares: libFuzzer's entry point and a check
 * that stays on in release builds (assert would vanish under NDEBUG). */
#ifndef DEDUP_FUZZ_H
#define DEDUP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,         \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#endif
