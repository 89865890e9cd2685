/* version.c - run-time version (compare with DEDUP_VERSION_NUMBER). */
#include "common/dedup_private.h"

DEDUP_API unsigned dedup_version_number(void) { return DEDUP_VERSION_NUMBER; }
DEDUP_API const char *dedup_version_string(void) {
  return DEDUP_VERSION_STRING;
}
