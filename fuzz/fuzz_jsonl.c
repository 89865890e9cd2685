/* fuzz_jsonl.c - the JSON Lines reader (examples/jsonl.c) on arbitrary
 * bytes: plain, or gzip or zstd when the bytes start so.
 *
 * The first byte sets the line limit (DEDUP_JSONL_MAX_LINE, 8 to 2048
 * bytes, so the over-limit path is reached with short inputs); the rest
 * is the file.  Checked besides memory safety: a document has a non-empty
 * id, and its id, text, title and date are NUL-free, NUL-terminated at
 * their lengths and valid UTF-8 (what dedup-cluster names items with);
 * line numbers never go down; a problem comes with a message; the end is
 * the end (JSONL_END again after it); the id set agrees with itself.
 * A plain file read in byte ranges (jsonl_open_range: evenly in 2 to 4,
 * and for a short file in two at every byte) gives what it gives read
 * whole, line numbers offset by the lines of the ranges before. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "jsonl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF)
      k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      k = 3;
      lo = c == 0xE0 ? 0xA0 : 0x80;
      hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 4;
      lo = c == 0xF0 ? 0x90 : 0x80;
      hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
      return 0;
    if (i + k > n || s[i + 1] < lo || s[i + 1] > hi)
      return 0;
    for (size_t j = 2; j < k; j++)
      if ((s[i + j] & 0xC0) != 0x80)
        return 0;
    i += k;
  }
  return 1;
}

static void check_str(const char *s, size_t n) {
  CHECK(s[n] == '\0');
  CHECK(strlen(s) == n);
  CHECK(valid_utf8((const unsigned char *)s, n));
}

/* Every document and problem of r to out (lines offset by base);
 * returns the lines read. */
static unsigned long events(jsonl_reader *r, FILE *out, unsigned long base) {
  jsonl_doc d;
  int k;
  while ((k = jsonl_next(r, &d)) != JSONL_END) {
    fprintf(out, "%d %lu ", k, base + jsonl_line(r));
    if (k == JSONL_DOC) {
      fprintf(out, "%s %zu:", d.id, d.text_len);
      fwrite(d.text, 1, d.text_len, out);
      fprintf(out, " %s %s %s\n", d.title ? d.title : "-",
              d.date ? d.date : "-", d.lang ? d.lang : "-");
    } else {
      fprintf(out, "%s\n", jsonl_message(r));
    }
  }
  return jsonl_lines(r);
}

/* The file in the ranges [cut[i], cut[i + 1]) of n + 1 cuts, as events. */
static char *in_ranges(const char *p, const uint64_t *cut, int n,
                       size_t *len, unsigned long *lines) {
  jsonl_fields f = JSONL_FIELDS_INIT;
  char *s = NULL, msg[256];
  FILE *out = open_memstream(&s, len);
  CHECK(out);
  unsigned long base = 0;
  for (int i = 0; i < n; i++) {
    jsonl_reader *r;
    CHECK(jsonl_open_range(&r, p, &f, cut[i], cut[i + 1], msg,
                           sizeof msg) == 0);
    base += events(r, out, base);
    jsonl_close(r);
  }
  CHECK(fclose(out) == 0);
  *lines = base;
  return s;
}

static void check_ranges(const char *p, size_t size) {
  uint64_t total;
  if (!jsonl_plain_size(p, &total))
    return;
  CHECK(total == size);
  jsonl_fields f = JSONL_FIELDS_INIT;
  jsonl_reader *r;
  char *whole = NULL, msg[256];
  size_t whole_len;
  FILE *out = open_memstream(&whole, &whole_len);
  CHECK(out && jsonl_open(&r, p, &f, msg, sizeof msg) == 0);
  unsigned long lines = events(r, out, 0);
  jsonl_close(r);
  CHECK(fclose(out) == 0);
  uint64_t cut[5];
  for (int n = 2; n <= 4; n++) {
    for (int i = 0; i <= n; i++)
      cut[i] = (uint64_t)size * (uint64_t)i / (uint64_t)n;
    size_t len;
    unsigned long got;
    char *s = in_ranges(p, cut, n, &len, &got);
    CHECK(got == lines && len == whole_len && !memcmp(s, whole, len));
    free(s);
  }
  for (size_t x = 0; size <= 300 && x <= size; x++) {
    cut[0] = 0, cut[1] = x, cut[2] = size;
    size_t len;
    unsigned long got;
    char *s = in_ranges(p, cut, 2, &len, &got);
    CHECK(got == lines && len == whole_len && !memcmp(s, whole, len));
    free(s);
  }
  free(whole);
}

static char path[64];
static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  if (fd < 0) {
    snprintf(path, sizeof path, "/tmp/fuzz_jsonl.XXXXXX");
    fd = mkstemp(path);
    CHECK(fd >= 0);
  }
  CHECK(ftruncate(fd, 0) == 0);
  CHECK(pwrite(fd, data + 1, size - 1, 0) == (ssize_t)(size - 1));
  char lim[16];
  snprintf(lim, sizeof lim, "%u", 8u + data[0] * 8u);
  setenv("DEDUP_JSONL_MAX_LINE", lim, 1);
  jsonl_fields f = JSONL_FIELDS_INIT;
  jsonl_reader *r;
  char msg[256];
  if (jsonl_open(&r, path, &f, msg, sizeof msg) != 0) {
    CHECK(msg[0]);
    return 0;
  }
  jsonl_ids ids = {0};
  unsigned long last = 0;
  jsonl_doc d;
  int k;
  while ((k = jsonl_next(r, &d)) != JSONL_END) {
    unsigned long line = jsonl_line(r);
    CHECK(line >= last && line >= 1);
    last = line;
    if (k != JSONL_DOC) {
      CHECK(k == JSONL_SKIP || k == JSONL_ERROR);
      CHECK(jsonl_message(r)[0]);
      continue;
    }
    CHECK(d.id && d.id[0]);
    check_str(d.id, strlen(d.id));
    check_str(d.text, d.text_len);
    if (d.title)
      check_str(d.title, d.title_len);
    if (d.date)
      check_str(d.date, d.date_len);
    const char *ff;
    unsigned long fl;
    int dup = jsonl_ids_add(&ids, d.id, path, line, &ff, &fl);
    CHECK(dup >= 0);
    if (dup)
      CHECK(fl < line && ff == path);
    else
      CHECK(jsonl_ids_add(&ids, d.id, path, line, &ff, &fl) == 1 &&
            fl == line);
  }
  CHECK(jsonl_next(r, &d) == JSONL_END);
  jsonl_close(r);
  jsonl_ids_free(&ids);
  check_ranges(path, size - 1);
  return 0;
}
