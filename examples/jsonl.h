/* jsonl.h - documents from JSON Lines: one object a line with an id and a
 * text (title and date optional), plain or gzip or zstd (told by the
 * magic bytes, not the name).  I/O and parsing only: what a document is
 * for is the caller's.  Shared by dedup-cluster and dedup-eval. */
#ifndef DEDUP_JSONL_H
#define DEDUP_JSONL_H

#include "dedup.h"

#include <stddef.h>
#include <stdint.h>

/* The longest line read (bytes, newline excluded); a longer one is
 * skipped with a message while reading on, never held whole.  The
 * environment variable DEDUP_JSONL_MAX_LINE overrides it (tests). */
#define JSONL_MAX_LINE ((size_t)64 << 20)

typedef struct jsonl_fields {
  const char *id, *text, *title, *date, *lang; /* member names */
} jsonl_fields;

#define JSONL_FIELDS_INIT { "id", "text", "title", "date", "lang" }

/* One document, valid until the next jsonl_next() or jsonl_close().
 * Strings are NUL-terminated, valid UTF-8 and hold no NUL. */
typedef struct jsonl_doc {
  const char *id; /* a string id, or an integer's decimal text */
  const char *text;
  size_t text_len;
  const char *title; /* NULL: none (missing, null or not a string) */
  size_t title_len;
  const char *date; /* NULL: none; a number as its decimal text */
  size_t date_len;
  const char *lang; /* NULL: none (missing, null or not a string) */
  size_t lang_len;
} jsonl_doc;

typedef struct jsonl_reader jsonl_reader;

enum {
  JSONL_DOC = 1,   /* *d holds a document */
  JSONL_END = 0,   /* the end of the input */
  JSONL_SKIP = -1, /* this line was skipped: jsonl_message() says why */
  JSONL_ERROR = -2 /* the input broke off (read error, truncated or
                      corrupt compressed data): jsonl_message() says so;
                      what came before was delivered; no more lines */
};

/* Opens path ("-": standard input).  Returns 0, or -1 with a message in
 * msg (errno's text, or "out of memory"). */
int jsonl_open(jsonl_reader **out, const char *path, const jsonl_fields *f,
               char *msg, size_t msg_len);
/* 1 when path names a regular file of plain (not gzip or zstd) JSON
 * Lines, *size its bytes: one that jsonl_open_range can split.  0 for
 * anything else ("-", a pipe or device, compressed data, a path that
 * cannot be opened: jsonl_open reads it whole, or says why not). */
int jsonl_plain_size(const char *path, uint64_t *size);
/* Opens the lines of the plain file path that start in its bytes
 * [off, end): the reader seeks to off and, unless off is 0 or byte
 * off - 1 is a '\n', skips to the first line start after off (that line
 * is the previous range's); it reads every line that starts before end
 * whole, the one holding byte end - 1 too, and ends there (end at or
 * past the file's size: at its end, a last line without '\n' included).
 * Ranges [b0, b1), [b1, b2)... over the file so read every line once.
 * jsonl_line counts from 1 at the range's first line; jsonl_lines says
 * how many lines the range had (its first line's number in the file is
 * one more than the lines of the ranges before).  Returns 0, or -1 with
 * errno's text in msg. */
int jsonl_open_range(jsonl_reader **out, const char *path,
                     const jsonl_fields *f, uint64_t off, uint64_t end,
                     char *msg, size_t msg_len);
/* The next document or problem; after JSONL_END or JSONL_ERROR, END. */
int jsonl_next(jsonl_reader *r, jsonl_doc *d);
/* The last JSONL_SKIP's or JSONL_ERROR's reason (no path, no line). */
const char *jsonl_message(const jsonl_reader *r);
/* The line of the last document or problem, counted from 1. */
unsigned long jsonl_line(const jsonl_reader *r);
/* The lines read so far, blank and skipped ones included (at the end:
 * every line of the input, or of the range). */
unsigned long jsonl_lines(const jsonl_reader *r);
/* "plain", "gzip" or "zstd". */
const char *jsonl_format(const jsonl_reader *r);
void jsonl_close(jsonl_reader *r);

/* A document's title and date as the library takes them: the title cut
 * at a character boundary to the library's 2^16 bytes, the date read by
 * dedup_date_parse.  Returns 1 when the date was read, 0 when there is
 * no usable date. */
int jsonl_meta(const jsonl_doc *d, dedup_doc_meta *meta);
/* The document's language as the library names it (dedup_lang_code of
 * its lang member), NULL when it has none or one the library does not
 * know (jsonl_meta leaves the language to identification then). */
const char *jsonl_lang(const jsonl_doc *d);

/* A set of ids with where each was first seen. */
typedef struct jsonl_ids {
  struct jsonl_id *slots;
  size_t n, cap;
} jsonl_ids;

/* 0: added; 1: already there (*first_file, *first_line: where); -1: no
 * memory.  file is kept, not copied: it must outlive the set. */
int jsonl_ids_add(jsonl_ids *s, const char *id, const char *file,
                  unsigned long line, const char **first_file,
                  unsigned long *first_line);
void jsonl_ids_free(jsonl_ids *s);

#endif
