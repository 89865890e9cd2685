/* jsonl.c - JSON Lines reader for dedup-cluster and dedup-eval.
 *
 * The parser is json-c (Debian libjson-c-dev).  Measured against jansson
 * (libjansson-dev) on the gva-dev JSONL repeated to 100 MB, one
 * json_tokener / json_loadb call a line, text member fetched (README.md,
 * "JSON Lines input", has the figures): json-c with JSON_TOKENER_STRICT
 * parsed about 9x faster than jansson (~760 against ~80 MB/s).  jansson
 * is the stricter one out of the box (it refuses invalid UTF-8, \u0000
 * and lone surrogates), but json-c's gaps are closed here, cheaply:
 *   - invalid UTF-8 (json-c keeps raw bytes, even with its
 *     JSON_TOKENER_VALIDATE_UTF8, which passes overlong forms and
 *     encoded surrogates): the whole line is checked first, strictly;
 *   - \u0000 (json-c keeps the NUL inside the string): refused in every
 *     member used;
 *   - a lone surrogate escape (\ud800): json-c writes U+FFFD, which is
 *     what the library does with invalid UTF-8 too; accepted;
 *   - text after the value on the line: refused (parse end checked).
 *
 * Input: the first bytes tell the format: 1f 8b gzip (zlib's inflate,
 * members one after another too), 28 b5 2f fd zstd (ZSTD_decompressStream,
 * frames one after another), else plain.  Decoded bytes go to one buffer;
 * a line inside it is parsed where it lies (no copy), a line longer than
 * the limit is dropped while it is read, so memory is the limit plus a
 * read chunk whatever the input. */
#define _POSIX_C_SOURCE 200809L
#include "jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define CHUNK ((size_t)1 << 20)

enum { FMT_PLAIN, FMT_GZIP, FMT_ZSTD };

struct jsonl_reader {
  int fd, own_fd;
  int fmt;
  /* compressed input */
  unsigned char *in;
  size_t in_beg, in_end;
  int raw_eof;
  z_stream z;
  int z_init, z_ended; /* a gzip member ended (and no next began) */
  ZSTD_DStream *zs;
  size_t zs_hint; /* 0: at a frame boundary */
  /* decoded bytes: buf[beg, end) not yet consumed, scan: searched */
  char *buf;
  size_t beg, end, scan, cap, max_line;
  int eof, failed, done;
  int skipping;     /* inside a line over the limit */
  size_t skip_len;
  unsigned long line, next_line;
  /* A byte range of a plain file (jsonl_open_range): pos is the offset
   * in the file of buf[beg] (of buf[0] while skipping a long line); the
   * lines that start before range_end are read; lead: the range began
   * inside a line, skipped to its end first. */
  int range, lead, bom_ok; /* bom_ok: the first line starts at byte 0 */
  uint64_t pos, range_end;
  json_tokener *tok;
  json_object *cur;
  jsonl_fields f;
  char msg[256];
};

static size_t env_max_line(void) {
  const char *s = getenv("DEDUP_JSONL_MAX_LINE");
  if (s && *s >= '0' && *s <= '9') {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*end && v > 0 && v < INT_MAX)
      return (size_t)v;
  }
  return JSONL_MAX_LINE;
}

/* The format the first n bytes m of an input tell. */
static int detect(const unsigned char *m, size_t n) {
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
    return FMT_GZIP;
  if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
    return FMT_ZSTD;
  return FMT_PLAIN;
}

/* A reader with its buffers, no input yet; NULL (said in msg) without
 * memory. */
static jsonl_reader *reader_new(const jsonl_fields *f, char *msg,
                                size_t msg_len) {
  jsonl_reader *r = calloc(1, sizeof *r);
  if (!r) {
    snprintf(msg, msg_len, "out of memory");
    return NULL;
  }
  r->fd = -1;
  r->f = *f;
  r->bom_ok = 1;
  r->max_line = env_max_line();
  r->cap = CHUNK;
  r->buf = malloc(r->cap);
  r->tok = json_tokener_new();
  if (!r->buf || !r->tok) {
    snprintf(msg, msg_len, "out of memory");
    jsonl_close(r);
    return NULL;
  }
  json_tokener_set_flags(r->tok, JSON_TOKENER_STRICT);
  return r;
}

int jsonl_open(jsonl_reader **out, const char *path, const jsonl_fields *f,
               char *msg, size_t msg_len) {
  *out = NULL;
  jsonl_reader *r = reader_new(f, msg, msg_len);
  if (!r)
    return -1;
  if (!strcmp(path, "-")) {
    r->fd = STDIN_FILENO;
  } else {
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
      snprintf(msg, msg_len, "%s", strerror(errno));
      goto fail;
    }
    r->own_fd = 1;
  }
  /* The magic: up to four bytes, read into buf (plain input keeps them
   * there; compressed input moves them to in). */
  while (r->end < 4) {
    ssize_t got = read(r->fd, r->buf + r->end, 4 - r->end);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      snprintf(msg, msg_len, "%s", strerror(errno));
      goto fail;
    }
    if (got == 0) {
      r->eof = 1;
      break;
    }
    r->end += (size_t)got;
  }
  r->fmt = detect((const unsigned char *)r->buf, r->end);
  if (r->fmt != FMT_PLAIN) {
    r->in = malloc(CHUNK);
    if (!r->in) {
      snprintf(msg, msg_len, "out of memory");
      goto fail;
    }
    memcpy(r->in, r->buf, r->end);
    r->in_end = r->end;
    r->end = 0;
    r->raw_eof = r->eof;
    r->eof = 0;
    if (r->fmt == FMT_GZIP) {
      if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
        snprintf(msg, msg_len, "out of memory");
        goto fail;
      }
      r->z_init = 1;
    } else if (!(r->zs = ZSTD_createDStream())) {
      snprintf(msg, msg_len, "out of memory");
      goto fail;
    }
  }
  *out = r;
  return 0;
fail:
  jsonl_close(r);
  return -1;
}

int jsonl_plain_size(const char *path, uint64_t *size) {
  *size = 0;
  struct stat st;
  if (!strcmp(path, "-") || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
    return 0;
  /* O_NONBLOCK: should it have become a FIFO meanwhile, no wait. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return 0;
  unsigned char m[4];
  ssize_t got = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    do
      got = pread(fd, m, sizeof m, 0);
    while (got < 0 && errno == EINTR);
  }
  close(fd);
  if (got < 0 || detect(m, (size_t)got) != FMT_PLAIN)
    return 0;
  *size = (uint64_t)st.st_size;
  return 1;
}

int jsonl_open_range(jsonl_reader **out, const char *path,
                     const jsonl_fields *f, uint64_t off, uint64_t end,
                     char *msg, size_t msg_len) {
  *out = NULL;
  jsonl_reader *r = reader_new(f, msg, msg_len);
  if (!r)
    return -1;
  r->range = 1;
  r->range_end = end;
  /* From the byte before off: a '\n' there makes off a line start, any
   * other byte puts off inside a line of the range before. */
  r->lead = off > 0;
  r->bom_ok = off == 0;
  r->pos = off > 0 ? off - 1 : 0;
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  r->own_fd = r->fd >= 0;
  if (r->fd < 0 || lseek(r->fd, (off_t)r->pos, SEEK_SET) == (off_t)-1) {
    snprintf(msg, msg_len, "%s", strerror(errno));
    jsonl_close(r);
    return -1;
  }
  *out = r;
  return 0;
}

/* More raw input into in (compressed formats). 0, or -1 (errno). */
static int read_raw(jsonl_reader *r) {
  if (r->in_beg == r->in_end)
    r->in_beg = r->in_end = 0;
  for (;;) {
    ssize_t got = read(r->fd, r->in + r->in_end, CHUNK - r->in_end);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return -1;
    if (got == 0)
      r->raw_eof = 1;
    r->in_end += (size_t)got;
    return 0;
  }
}

/* Decodes into buf[end, cap).  Sets eof at the end, failed (and msg) on
 * an error. */
static void fill(jsonl_reader *r) {
  const size_t start = r->end; /* until something is decoded */
  while (!r->eof && r->end == start) {
    char *dst = r->buf + r->end;
    size_t room = r->cap - r->end;
    if (r->fmt == FMT_PLAIN) {
      ssize_t got = read(r->fd, dst, room);
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0) {
        snprintf(r->msg, sizeof r->msg, "read error: %s", strerror(errno));
        r->eof = r->failed = 1;
      } else if (got == 0) {
        r->eof = 1;
      } else {
        r->end += (size_t)got;
      }
      return;
    }
    if (r->in_beg == r->in_end) {
      if (r->raw_eof) {
        int whole = r->fmt == FMT_GZIP ? r->z_ended : r->zs_hint == 0;
        if (!whole) {
          snprintf(r->msg, sizeof r->msg, "truncated %s data: the input "
                   "ends inside a compressed %s; the lines before were "
                   "read", r->fmt == FMT_GZIP ? "gzip" : "zstd",
                   r->fmt == FMT_GZIP ? "member" : "frame");
          r->failed = 1;
        }
        r->eof = 1;
        return;
      }
      if (read_raw(r) != 0) {
        snprintf(r->msg, sizeof r->msg, "read error: %s", strerror(errno));
        r->eof = r->failed = 1;
        return;
      }
      continue;
    }
    if (r->fmt == FMT_GZIP) {
      if (r->z_ended) { /* another member follows */
        if (inflateReset(&r->z) != Z_OK) {
          r->eof = r->failed = 1;
          snprintf(r->msg, sizeof r->msg, "gzip: cannot reset");
          return;
        }
        r->z_ended = 0;
      }
      r->z.next_in = r->in + r->in_beg;
      r->z.avail_in = (uInt)(r->in_end - r->in_beg);
      r->z.next_out = (unsigned char *)dst;
      r->z.avail_out = (uInt)(room > UINT_MAX ? UINT_MAX : room);
      int zr = inflate(&r->z, Z_NO_FLUSH);
      r->in_beg = r->in_end - r->z.avail_in;
      r->end += (size_t)((char *)r->z.next_out - dst);
      if (zr == Z_STREAM_END) {
        r->z_ended = 1;
      } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
        snprintf(r->msg, sizeof r->msg, "corrupt gzip data (%s); the "
                 "lines before were read", r->z.msg ? r->z.msg : "error");
        r->eof = r->failed = 1;
        return;
      }
    } else {
      ZSTD_inBuffer zi = {r->in + r->in_beg, r->in_end - r->in_beg, 0};
      ZSTD_outBuffer zo = {dst, room, 0};
      size_t zr = ZSTD_decompressStream(r->zs, &zo, &zi);
      r->in_beg += zi.pos;
      r->end += zo.pos;
      if (ZSTD_isError(zr)) {
        snprintf(r->msg, sizeof r->msg, "corrupt zstd data (%s); the lines "
                 "before were read", ZSTD_getErrorName(zr));
        r->eof = r->failed = 1;
        return;
      }
      r->zs_hint = zr;
    }
  }
}

/* The first byte of s[0, n) that is not part of well-formed UTF-8 (no
 * overlong forms, no surrogates, nothing past U+10FFFF), or n. */
static size_t utf8_check(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    /* ASCII eight bytes at a time: most of a news text. */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull)
        break;
      i += 8;
    }
    if (i >= n)
      break;
    unsigned c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
      k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      k = 3;
      if (c == 0xE0)
        lo = 0xA0;
      else if (c == 0xED)
        hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 4;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;
    } else
      return i;
    if (i + k > n || s[i + 1] < lo || s[i + 1] > hi)
      return i;
    for (size_t j = 2; j < k; j++)
      if (s[i + j] < 0x80 || s[i + j] > 0xBF)
        return i;
    i += k;
  }
  return n;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int skip(jsonl_reader *r, const char *fmt, ...);
static int skip(jsonl_reader *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->msg, sizeof r->msg, fmt, ap);
  va_end(ap);
  return JSONL_SKIP;
}

/* A member that is a string: 1 (*s, *len), 0 absent or null, -1 another
 * type, -2 holds \u0000.  ints: an integer is taken as its text. */
static int member(json_object *o, const char *name, int ints,
                  const char **s, size_t *len) {
  json_object *v;
  if (!name || !json_object_object_get_ex(o, name, &v) || !v)
    return 0;
  json_type t = json_object_get_type(v);
  if (t == json_type_string || (ints && t == json_type_int) ||
      (ints == 2 && t == json_type_double)) {
    *s = json_object_get_string(v);
    *len = t == json_type_string ? (size_t)json_object_get_string_len(v)
                                 : strlen(*s);
    return memchr(*s, '\0', *len) ? -2 : 1;
  }
  return -1;
}

static int parse_line(jsonl_reader *r, const char *p, size_t n,
                      jsonl_doc *d) {
  while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  /* A UTF-8 byte-order mark before the first line (editors on Windows
   * write one) is not part of the JSON. */
  if (r->line == 1 && r->bom_ok && n >= 3 &&
      !memcmp(p, "\xEF\xBB\xBF", 3)) {
    p += 3;
    n -= 3;
  }
  size_t lead = 0;
  while (lead < n && (p[lead] == ' ' || p[lead] == '\t'))
    lead++;
  if (lead == n)
    return 0; /* a blank line */
  const char *nul = memchr(p, '\0', n);
  if (nul) {
    snprintf(r->msg, sizeof r->msg, "a NUL byte (at byte %zu); line "
             "skipped", (size_t)(nul - p) + 1);
    return JSONL_SKIP;
  }
  size_t bad = utf8_check((const unsigned char *)p, n);
  if (bad < n) {
    snprintf(r->msg, sizeof r->msg, "invalid UTF-8 (at byte %zu); line "
             "skipped", bad + 1);
    return JSONL_SKIP;
  }
  json_tokener_reset(r->tok);
  json_object *o = json_tokener_parse_ex(r->tok, p, (int)n);
  if (!o) {
    enum json_tokener_error e = json_tokener_get_error(r->tok);
    snprintf(r->msg, sizeof r->msg, "malformed JSON (%s, at byte %zu); "
             "line skipped",
             e == json_tokener_continue ? "the line ends inside a value"
                                        : json_tokener_error_desc(e),
             json_tokener_get_parse_end(r->tok) + 1);
    return JSONL_SKIP;
  }
  r->cur = o;
  if (json_tokener_get_parse_end(r->tok) < n)
    return skip(r, "malformed JSON (text after the value); line skipped");
  if (!json_object_is_type(o, json_type_object))
    return skip(r, "not a JSON object; line skipped");
  memset(d, 0, sizeof *d);
  size_t len;
  int k = member(o, r->f.id, 1, &d->id, &len);
  if (k == 0)
    return skip(r, "no \"%s\" member (the id); line skipped", r->f.id);
  if (k == -1)
    return skip(r, "\"%s\" (the id) is not a string or an integer; line "
                "skipped", r->f.id);
  if (k == -2 || len == 0)
    return skip(r, "\"%s\" (the id) is empty or holds \\u0000; line "
                "skipped", r->f.id);
  k = member(o, r->f.text, 0, &d->text, &d->text_len);
  if (k == 0)
    return skip(r, "no \"%s\" member (the text); line skipped", r->f.text);
  if (k == -1)
    return skip(r, "\"%s\" (the text) is not a string; line skipped",
                r->f.text);
  if (k == -2)
    return skip(r, "\"%s\" (the text) holds \\u0000; line skipped",
                r->f.text);
  if (member(o, r->f.title, 0, &d->title, &d->title_len) != 1)
    d->title = NULL, d->title_len = 0;
  if (member(o, r->f.date, 2, &d->date, &d->date_len) != 1)
    d->date = NULL, d->date_len = 0;
  if (member(o, r->f.lang, 0, &d->lang, &d->lang_len) != 1)
    d->lang = NULL, d->lang_len = 0;
  return JSONL_DOC;
}

int jsonl_next(jsonl_reader *r, jsonl_doc *d) {
  if (r->cur) {
    json_object_put(r->cur);
    r->cur = NULL;
  }
  for (;;) {
    if (r->done)
      return JSONL_END;
    if (r->range && !r->lead && !r->skipping && r->pos >= r->range_end) {
      r->done = 1; /* the next line starts in the range after */
      return JSONL_END;
    }
    char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
    if (r->lead) { /* to the first line start at or after the range's */
      size_t to = nl ? (size_t)(nl - r->buf) + 1 : r->end;
      r->pos += to - r->beg;
      r->beg = r->scan = to;
      if (nl) {
        r->lead = 0;
        continue;
      }
      r->beg = r->scan = r->end = 0;
      if (r->eof) { /* the range began in the file's last line */
        r->done = 1;
        if (r->failed) {
          r->line = r->next_line + 1;
          return JSONL_ERROR;
        }
        return JSONL_END;
      }
      fill(r);
      continue;
    }
    size_t len = nl ? (size_t)(nl - (r->buf + r->beg)) : r->end - r->beg;
    if (nl || (r->eof && (len || r->skipping))) {
      if (!nl && r->failed) { /* a line cut by the break: not a line */
        r->done = 1;
        r->line = r->next_line + 1;
        return JSONL_ERROR;
      }
      r->line = ++r->next_line;
      const char *p = r->buf + r->beg;
      size_t next = nl ? (size_t)(nl - r->buf) + 1 : r->end;
      r->pos += next - r->beg;
      r->beg = r->scan = next;
      if (r->skipping || len > r->max_line) {
        size_t total = r->skip_len + len;
        r->skipping = 0;
        r->skip_len = 0;
        snprintf(r->msg, sizeof r->msg, "line of %zu bytes, over the "
                 "limit of %zu; skipped", total, r->max_line);
        return JSONL_SKIP;
      }
      int rc = parse_line(r, p, len, d);
      if (rc)
        return rc;
      if (r->cur) {
        json_object_put(r->cur);
        r->cur = NULL;
      }
      continue;
    }
    if (r->eof) {
      r->done = 1;
      if (r->failed) {
        r->line = r->next_line + 1;
        return JSONL_ERROR;
      }
      return JSONL_END;
    }
    /* No newline in what is buffered. */
    r->scan = r->end;
    if (r->skipping || len > r->max_line) {
      r->skipping = 1;
      r->skip_len += len;
      r->pos += len;
      r->beg = r->scan = r->end = 0;
    } else if (r->beg > 0) {
      memmove(r->buf, r->buf + r->beg, len);
      r->end = r->scan = len;
      r->beg = 0;
    }
    if (r->end == r->cap) {
      size_t nc = r->cap * 2;
      if (nc > r->max_line + CHUNK)
        nc = r->max_line + CHUNK;
      char *nb = nc > r->cap ? realloc(r->buf, nc) : NULL;
      if (!nb) { /* cannot happen past the limit: see above */
        snprintf(r->msg, sizeof r->msg, "out of memory");
        r->failed = r->eof = r->done = 1;
        r->line = r->next_line + 1;
        return JSONL_ERROR;
      }
      r->buf = nb;
      r->cap = nc;
    }
    fill(r);
  }
}

const char *jsonl_message(const jsonl_reader *r) { return r->msg; }
unsigned long jsonl_line(const jsonl_reader *r) { return r->line; }
unsigned long jsonl_lines(const jsonl_reader *r) { return r->next_line; }

const char *jsonl_format(const jsonl_reader *r) {
  return r->fmt == FMT_GZIP ? "gzip" : r->fmt == FMT_ZSTD ? "zstd" : "plain";
}

void jsonl_close(jsonl_reader *r) {
  if (!r)
    return;
  if (r->cur)
    json_object_put(r->cur);
  if (r->tok)
    json_tokener_free(r->tok);
  if (r->z_init)
    inflateEnd(&r->z);
  ZSTD_freeDStream(r->zs);
  if (r->own_fd)
    close(r->fd);
  free(r->in);
  free(r->buf);
  free(r);
}

/* ---- the id set: open addressing, FNV-1a ------------------------------ */

struct jsonl_id {
  char *id;
  const char *file;
  unsigned long line;
};

static uint64_t fnv(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

int jsonl_ids_add(jsonl_ids *s, const char *id, const char *file,
                  unsigned long line, const char **first_file,
                  unsigned long *first_line) {
  if (2 * (s->n + 1) > s->cap) {
    size_t nc = s->cap ? 2 * s->cap : 1024;
    struct jsonl_id *ns = calloc(nc, sizeof *ns);
    if (!ns)
      return -1;
    for (size_t i = 0; i < s->cap; i++)
      if (s->slots[i].id) {
        size_t j = (size_t)fnv(s->slots[i].id) & (nc - 1);
        while (ns[j].id)
          j = (j + 1) & (nc - 1);
        ns[j] = s->slots[i];
      }
    free(s->slots);
    s->slots = ns;
    s->cap = nc;
  }
  size_t j = (size_t)fnv(id) & (s->cap - 1);
  while (s->slots[j].id) {
    if (!strcmp(s->slots[j].id, id)) {
      *first_file = s->slots[j].file;
      *first_line = s->slots[j].line;
      return 1;
    }
    j = (j + 1) & (s->cap - 1);
  }
  size_t len = strlen(id) + 1;
  char *copy = malloc(len);
  if (!copy)
    return -1;
  memcpy(copy, id, len);
  s->slots[j].id = copy;
  s->slots[j].file = file;
  s->slots[j].line = line;
  s->n++;
  return 0;
}

void jsonl_ids_free(jsonl_ids *s) {
  for (size_t i = 0; i < s->cap; i++)
    free(s->slots[i].id);
  free(s->slots);
  s->slots = NULL;
  s->n = s->cap = 0;
}

int jsonl_meta(const jsonl_doc *d, dedup_doc_meta *meta) {
  dedup_doc_meta m = DEDUP_DOC_META_INIT;
  if (d->title) {
    /* json-c's strings are UTF-8: cut before a continuation byte. */
    size_t tl = d->title_len;
    if (tl > 65535) {
      tl = 65535;
      while (tl && ((unsigned char)d->title[tl] & 0xC0) == 0x80)
        tl--;
    }
    m.title = d->title;
    m.title_len = tl;
  }
  int64_t t;
  if (d->date && dedup_date_parse(d->date, d->date_len, &t) == DEDUP_OK) {
    m.has_date = 1;
    m.date = t;
  }
  m.lang = jsonl_lang(d);
  *meta = m;
  return m.has_date;
}

const char *jsonl_lang(const jsonl_doc *d) {
  /* "und" is no language given: identification decides. */
  const char *c = d->lang ? dedup_lang_code(d->lang) : NULL;
  return c && strcmp(c, "und") ? c : NULL;
}
