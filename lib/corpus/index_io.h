/* index_io.h - a corpus saved to and loaded from an index file.
 *
 * The public entry points are dedup_corpus_save() and dedup_corpus_load()
 * (dedup.h); the file layout is described at the top of index_io.c.  The
 * constants here let tests and the fuzz harness build and patch files. */
#ifndef DEDUP_INDEX_IO_H
#define DEDUP_INDEX_IO_H

#include "common/dedup_private.h"

#include <stddef.h>

#define DEDUP__INDEX_MAGIC "DEDUPIX" /* 8 bytes with its NUL */
#define DEDUP__INDEX_VERSION 1u
#define DEDUP__INDEX_HEADER 68 /* magic .. document count */
#define DEDUP__INDEX_RECORD 24 /* fixed part of one document record */
#define DEDUP__INDEX_TRAILER 8 /* the XXH64 checksum */

/* Record flag: the bytes are normalised text (else as added, normalised
 * by the next run). */
#define DEDUP__INDEX_NORMALISED 1u

/* dedup_corpus_load() on len bytes in memory instead of a file (the fuzz
 * harness and the tests use it); same checks, same status codes. */
int dedup__index_load_mem(dedup_corpus **out, const void *buf, size_t len);

#endif
