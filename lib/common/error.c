/* error.c - status messages; static text, no "last error" state. */
#include "common/dedup_private.h"

DEDUP_API const char *dedup_strerror(int status) {
  switch (status) {
  case DEDUP_OK: return "success";
  case DEDUP_ENOMEM: return "out of memory";
  case DEDUP_EINVAL: return "invalid parameter";
  case DEDUP_EIO: return "input/output error";
  case DEDUP_EEMPTY: return "no words in the text";
  case DEDUP_EBINARY: return "binary data, not text";
  case DEDUP_EFORMAT: return "index file truncated or corrupt";
  case DEDUP_EVERSION: return "index file has an unsupported format version";
  case DEDUP_ESTATE: return "call out of order";
  case DEDUP_ETOOBIG: return "input too large";
  case DEDUP_ENOTFOUND: return "no item of that name";
  case DEDUP_ECANCELED: return "run stopped by its progress callback";
  case DEDUP_EEXIST: return "a document of that id is already indexed";
  case DEDUP_ELOCKED: return "the index is locked by another writer";
  default: return "unknown status";
  }
}
