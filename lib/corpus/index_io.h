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
#define DEDUP__INDEX_VERSION 3u
#define DEDUP__INDEX_HEADER 76 /* magic .. story_days */
#define DEDUP__INDEX_RECORD 40 /* fixed part of one document record */
/* Version 2 (0.2, before languages): records of 36 bytes, without the
 * language.  Still read. */
#define DEDUP__INDEX_RECORD_V2 36
/* Version 1 (0.2 before dates and titles): no story_days, records of
 * 24 bytes without title and date.  Still read. */
#define DEDUP__INDEX_HEADER_V1 68
#define DEDUP__INDEX_RECORD_V1 24
#define DEDUP__INDEX_NO_TITLE 0xFFFFFFFFu /* title length: none given */
#define DEDUP__INDEX_TRAILER 8 /* the XXH64 checksum */

/* Record flag: the bytes are normalised text (else as added, normalised
 * by the next run). */
#define DEDUP__INDEX_NORMALISED 1u
/* Record flag (version 2): the document has a date.  (Bit 1 is unused.) */
#define DEDUP__INDEX_DATED 4u
/* Record flag (version 3): the document's language was given (its code
 * in the record's last 4 bytes, ASCII, NUL-padded). */
#define DEDUP__INDEX_LANG 8u

/* dedup_corpus_load() on len bytes in memory instead of a file (the fuzz
 * harness and the tests use it); same checks, same status codes. */
int dedup__index_load_mem(dedup_corpus **out, const void *buf, size_t len);

/* What the service index's file (service/index_file.c) shares with this
 * one: the same atomic save and the same text check. */
/* Writes a file at path atomically: write_fn(ctx, fd) fills a temporary
 * "<path>.tmp.<pid>.<k>" in the same directory (its status returned),
 * which is synced and renamed over path; on any failure the temporary is
 * removed and path left as it was.  Only a regular file, or nothing, is
 * replaced (DEDUP_EIO, errno EISDIR, ELOOP or EINVAL otherwise); a
 * replaced file's mode is kept; temporaries of dead processes are
 * removed first.  write_fn must not close fd. */
typedef int (*dedup__write_fn)(void *ctx, int fd);
int dedup__save_atomic(const char *path, dedup__write_fn write_fn,
                       void *ctx);
/* fsync of path's directory (buf: room for path); errors ignored. */
void dedup__sync_dir(char *buf, const char *path);
/* Removes "<path>.tmp.<pid>.<k>" files of processes that are gone. */
void dedup__remove_stale_temps(const char *path);
/* 1 when s[0..len) is normalised text as the normaliser makes it:
 * well-formed UTF-8 (U+FFFD only as its bytes), no NUL. */
int dedup__valid_text(const char *s, size_t len);
/* 1 when every field of a and b is the same, bit for bit: params read
 * from a file must be the resolved params they were saved as. */
int dedup__same_params(const dedup_params *a, const dedup_params *b);

#endif
