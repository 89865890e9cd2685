/* index_io.c - a corpus to an index file and back.
 *
 * A service adds today's articles to yesterday's corpus.  The file keeps
 * what a run needs to recompute everything exactly as if the documents had
 * been added again: the parameters and, per document, its name and its
 * text - normalised when a run (or dedup_corpus_add with n_invalid) has
 * done that already, else the bytes as added, flagged so.  Signatures and
 * story weights are not kept: the story level's TF-IDF depends on every
 * document, so a run over old + new documents recomputes them anyway.
 *
 * Layout; integers little-endian, doubles as IEEE-754 binary64 bits:
 *
 *   offset size
 *        0    8  magic "DEDUPIX\0"
 *        8    4  format version (DEDUP__INDEX_VERSION, 3; 1, 2 are read)
 *       12    4  shingle_k            16    4  num_perm
 *       20    8  threshold            28    8  story_threshold
 *       36    4  method               40    4  minhash_kind
 *       44    8  seed                 52    4  reserved: 0 (threads
 *       56    4  flags                         before 0.2; ignored)
 *       60    8  number of documents N
 *       68    8  story_days (version 2; absent in version 1)
 *       76       N records, each:
 *                  4  record flags (bit 0: text is normalised,
 *                     bit 2: the document has a date, bit 3: its
 *                     language was given)
 *                  4  name length     8  text length
 *                  8  invalid UTF-8 sequences replaced (normalised text)
 *                  4  title length (0xFFFFFFFF: no title given)
 *                  8  date, Unix seconds (signed; 0 without bit 2)
 *                  4  given language, ISO 639-1 code in ASCII padded
 *                     with NULs (all 0 without bit 3)
 *                  name bytes, title bytes (normalised, as kept),
 *                  text bytes (none NUL-terminated)
 *      end    8  XXH64 (seed 0) of every byte before it
 *
 * Version 1 files (0.2 before titles and dates) have no story_days (it
 * loads as the default: their documents have no dates, so it changes
 * nothing) and records of 24 bytes, without the title length and date;
 * version 2 files (0.2) records of 36 bytes, without the language.  A
 * language found by a run is not kept: it is a function of the text.
 *
 * Parameters are stored resolved (no zero "default" fields), so a loaded
 * corpus does not depend on the defaults of the version that loads it.
 * Only the model is stored: run options (threads, levels) belong to the
 * machine and the run, not the corpus.  Files of 0.1 stored threads at
 * 52 and could set flag bit 2 (copy level only): both are ignored.
 *
 * Loading trusts nothing: every count and length is checked against the
 * bytes left in the file before anything is allocated or read, so a bad
 * count can neither read past the end nor allocate more than the file
 * holds; the checksum then rejects any other change.  Saving writes a
 * temporary file next to the target, syncs it and renames it over the
 * target, so a crash or a full disk leaves the old index as it was.
 */
#include "corpus/index_io.h"

#include "corpus/corpus_private.h"
#include "common/bytes.h"
#include "common/hash.h"
#include "text/normalise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TEXT ((uint64_t)DEDUP_MAX_DOC_BYTES) /* dedup_corpus_add's limit */
#define TMP_TRIES 100 /* temp names tried before giving up */
#define LEGACY_COPY_ONLY (1u << 2) /* a 0.1 run option, saved by mistake */

/* ---- save ------------------------------------------------------------- */

typedef struct writer {
  FILE *f;
  dedup__xxh64_state h;
  int ok;
} writer;

static void wr(writer *w, const void *p, size_t n) {
  if (w->ok && n && fwrite(p, 1, n, w->f) != n)
    w->ok = 0;
  dedup__xxh64_update(&w->h, p, n);
}

static int write_index(const dedup_corpus *c, FILE *f) {
  writer w = {f, {0}, 1};
  dedup__xxh64_reset(&w.h);
  const dedup_params *p = &c->p;
  unsigned char h[DEDUP__INDEX_HEADER];
  memcpy(h, DEDUP__INDEX_MAGIC, 8);
  dedup__put32(h + 8, DEDUP__INDEX_VERSION);
  dedup__put32(h + 12, p->shingle_k);
  dedup__put32(h + 16, p->num_perm);
  dedup__put64(h + 20, dedup__dbits(p->threshold));
  dedup__put64(h + 28, dedup__dbits(p->story_threshold));
  dedup__put32(h + 36, (uint32_t)p->method);
  dedup__put32(h + 40, (uint32_t)p->minhash_kind);
  dedup__put64(h + 44, p->seed);
  dedup__put32(h + 52, 0);
  dedup__put32(h + 56, p->flags);
  dedup__put64(h + 60, c->n_docs);
  dedup__put64(h + 68, dedup__dbits(p->story_days));
  wr(&w, h, sizeof h);
  for (size_t i = 0; i < c->n_docs && w.ok; i++) {
    const cdoc *d = &c->docs[i];
    size_t name_len = strlen(d->name);
    if (name_len > UINT32_MAX)
      return DEDUP_EINVAL;
    unsigned char r[DEDUP__INDEX_RECORD];
    dedup__put32(r, d->text ? DEDUP__INDEX_NORMALISED : 0);
    dedup__put32(r + 4, (uint32_t)name_len);
    dedup__put64(r + 8, d->text ? d->len : d->raw_len);
    dedup__put64(r + 16, d->text ? d->n_invalid : 0);
    if (d->title && d->title_len >= DEDUP__INDEX_NO_TITLE)
      return DEDUP_EINVAL;
    dedup__put32(r + 24, d->title ? (uint32_t)d->title_len
                                  : DEDUP__INDEX_NO_TITLE);
    dedup__put64(r + 28, d->has_date ? (uint64_t)d->date : 0);
    if (d->has_date)
      dedup__put32(r, dedup__get32(r) | DEDUP__INDEX_DATED);
    memset(r + 36, 0, 4);
    if (d->lang_state == CDOC_LANG_GIVEN) {
      const char *code = dedup__lang_code(d->lang);
      memcpy(r + 36, code, DEDUP__MIN(strlen(code), (size_t)4));
      dedup__put32(r, dedup__get32(r) | DEDUP__INDEX_LANG);
    }
    wr(&w, r, sizeof r);
    wr(&w, d->name, name_len);
    if (d->title)
      wr(&w, d->title, d->title_len);
    if (d->text)
      wr(&w, d->text, d->len);
    else
      wr(&w, d->raw, d->raw_len);
  }
  unsigned char sum[DEDUP__INDEX_TRAILER];
  dedup__put64(sum, dedup__xxh64_digest(&w.h));
  wr(&w, sum, sizeof sum);
  return w.ok ? DEDUP_OK : DEDUP_EIO;
}

/* fsync of the directory makes the rename itself durable; not every file
 * system allows it, and the data is safe either way, so errors are
 * ignored.  buf has room for path. */
void dedup__sync_dir(char *buf, const char *path) {
  strcpy(buf, path);
  char *slash = strrchr(buf, '/');
  if (!slash)
    strcpy(buf, ".");
  else if (slash == buf)
    buf[1] = '\0';
  else
    *slash = '\0';
  int fd = open(buf, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

/* Removes "<base>.tmp.<pid>.<k>" files next to path whose process is gone
 * (kill(pid, 0) fails with ESRCH): a save killed before its rename leaves
 * one, as big as the index, and nothing else ever removes it.  A live pid
 * (or one not ours to signal) may be saving right now and is left alone;
 * pids are those of this pid namespace.  Best effort: errors are ignored
 * and errno is kept. */
void dedup__remove_stale_temps(const char *path) {
  int saved = errno;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t blen = strlen(base);
  size_t dlen = slash ? (size_t)(slash - path) : 1;
  char *dir = blen ? dedup__malloc(dlen + 2) : NULL;
  DIR *d = NULL;
  if (dir) {
    if (!slash)
      strcpy(dir, ".");
    else if (slash == path)
      strcpy(dir, "/");
    else {
      memcpy(dir, path, dlen);
      dir[dlen] = '\0';
    }
    d = opendir(dir);
  }
  struct dirent *e;
  while (d && (e = readdir(d))) {
    const char *n = e->d_name;
    if (strncmp(n, base, blen) || strncmp(n + blen, ".tmp.", 5))
      continue;
    const char *q = n + blen + 5;
    size_t pd = strspn(q, "0123456789");
    if (pd == 0 || pd > 9 || q[pd] != '.') /* 9 digits: fits a pid_t */
      continue;
    size_t kd = strspn(q + pd + 1, "0123456789");
    if (kd == 0 || q[pd + 1 + kd] != '\0')
      continue;
    long pid = strtol(q, NULL, 10);
    if (pid <= 0 || pid == (long)getpid())
      continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
      continue;
    size_t len = strlen(dir) + strlen(n) + 2;
    char *full = dedup__malloc(len);
    if (full) {
      snprintf(full, len, "%s/%s", dir, n);
      (void)unlink(full);
      dedup__free(full);
    }
  }
  if (d)
    closedir(d);
  dedup__free(dir);
  errno = saved;
}

int dedup__save_atomic(const char *path, dedup__write_fn write_fn,
                       void *ctx) {
  /* The rename would replace whatever path names: a symbolic link, a FIFO
   * or a device (--save /dev/null as root) would become a regular file.
   * Only a regular file, or nothing, is replaced. */
  struct stat lst;
  if (lstat(path, &lst) == 0 && !S_ISREG(lst.st_mode)) {
    errno = S_ISDIR(lst.st_mode)   ? EISDIR
            : S_ISLNK(lst.st_mode) ? ELOOP
                                   : EINVAL;
    return DEDUP_EIO;
  }
  size_t cap = strlen(path) + 48;
  char *tmp = dedup__malloc(cap);
  if (!tmp)
    return DEDUP_ENOMEM;
  dedup__remove_stale_temps(path);
  /* "<path>.tmp.<pid>.<k>" with O_EXCL: unique between processes by the
   * pid and between threads of one process by k, and created with the
   * usual 0666 & ~umask (mkstemp would force 0600). */
  int fd = -1;
  for (unsigned k = 0; k < TMP_TRIES && fd < 0; k++) {
    snprintf(tmp, cap, "%s.tmp.%ld.%u", path, (long)getpid(), k);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0) {
    dedup__free(tmp);
    return DEDUP_EIO;
  }
  struct stat st;
  if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
    (void)fchmod(fd, st.st_mode & 07777); /* a replaced index keeps its mode */
  int rc = write_fn(ctx, fd);
  if (rc == DEDUP_OK && fsync(fd) != 0)
    rc = DEDUP_EIO;
  if (close(fd) != 0 && rc == DEDUP_OK)
    rc = DEDUP_EIO;
  if (rc == DEDUP_OK && rename(tmp, path) != 0)
    rc = DEDUP_EIO;
  if (rc != DEDUP_OK) {
    int e = errno;
    unlink(tmp);
    errno = e;
  } else {
    dedup__sync_dir(tmp, path);
  }
  dedup__free(tmp);
  return rc;
}

/* The corpus through stdio, on a second descriptor of the temporary file
 * (fclose closes it; dedup__save_atomic syncs and closes the first). */
static int write_corpus(void *ctx, int fd) {
  int fd2 = dup(fd);
  FILE *f = fd2 >= 0 ? fdopen(fd2, "wb") : NULL;
  if (!f) {
    if (fd2 >= 0)
      close(fd2);
    return DEDUP_EIO;
  }
  int rc = write_index(ctx, f);
  if (rc == DEDUP_OK && fflush(f) != 0)
    rc = DEDUP_EIO;
  if (fclose(f) != 0 && rc == DEDUP_OK)
    rc = DEDUP_EIO;
  return rc;
}

DEDUP_API int dedup_corpus_save(const dedup_corpus *c, const char *path) {
  if (!c || !path || !*path)
    return DEDUP_EINVAL;
  if (c->records || c->texts_dropped) /* an index holds texts */
    return DEDUP_ESTATE;
  return dedup__save_atomic(path, write_corpus, (void *)(uintptr_t)c);
}

/* ---- load ------------------------------------------------------------- */

typedef struct reader {
  FILE *f;                  /* the file, or NULL: */
  const unsigned char *mem; /* bytes in memory */
  uint64_t left;            /* bytes before the checksum not read yet */
  dedup__xxh64_state h;
} reader;

static int rd_raw(reader *r, void *dst, size_t n) {
  if (!n)
    return DEDUP_OK;
  if (r->f) {
    if (fread(dst, 1, n, r->f) != n)
      return ferror(r->f) ? DEDUP_EIO : DEDUP_EFORMAT; /* shrank under us */
  } else {
    memcpy(dst, r->mem, n);
    r->mem += n;
  }
  return DEDUP_OK;
}

/* Reads n bytes of the checksummed part. */
static int rd(reader *r, void *dst, size_t n) {
  if (n > r->left)
    return DEDUP_EFORMAT;
  int rc = rd_raw(r, dst, n);
  if (rc != DEDUP_OK)
    return rc;
  dedup__xxh64_update(&r->h, dst, n);
  r->left -= n;
  return DEDUP_OK;
}

/* Normalised text is what a run works on without looking again: it must
 * at least be well-formed UTF-8 without NUL, as the normaliser makes it. */
int dedup__valid_text(const char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    /* Eight ASCII bytes at a time, none of them NUL: most of a text, and
     * an open of a large index reads every text. */
    while (len - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      const uint64_t ones = 0x0101010101010101ULL, highs = ones << 7;
      if ((w & highs) || ((w - ones) & ~w & highs))
        break;
      i += 8;
    }
    if (i == len)
      break;
    int32_t cp;
    size_t n = dedup__utf8_next(s + i, len - i, &cp);
    if (cp == 0 ||
        (cp == 0xFFFD && (len - i < 3 || memcmp(s + i, "\xEF\xBF\xBD", 3))))
      return 0;
    i += n;
  }
  return 1;
}

/* Reads a record's bytes into a new NUL-terminated buffer. */
static int rd_string(reader *r, char **out, uint64_t len) {
  *out = NULL;
  if (len > r->left)
    return DEDUP_EFORMAT; /* checked before allocating */
  char *s = dedup__malloc((size_t)len + 1);
  if (!s)
    return DEDUP_ENOMEM;
  int rc = rd(r, s, (size_t)len);
  if (rc != DEDUP_OK) {
    dedup__free(s);
    return rc;
  }
  s[len] = '\0';
  *out = s;
  return DEDUP_OK;
}

static int read_doc(reader *r, cdoc *d, uint32_t version) {
  unsigned char h[DEDUP__INDEX_RECORD];
  size_t rlen = version == 1   ? DEDUP__INDEX_RECORD_V1
                : version == 2 ? DEDUP__INDEX_RECORD_V2
                               : DEDUP__INDEX_RECORD;
  int rc = rd(r, h, rlen);
  if (rc != DEDUP_OK)
    return rc;
  uint32_t flags = dedup__get32(h), name_len = dedup__get32(h + 4);
  uint64_t len = dedup__get64(h + 8), n_invalid = dedup__get64(h + 16);
  uint32_t title_len = DEDUP__INDEX_NO_TITLE;
  int64_t date = 0;
  uint32_t known = DEDUP__INDEX_NORMALISED;
  if (version >= 2) {
    title_len = dedup__get32(h + 24);
    date = (int64_t)dedup__get64(h + 28);
    known |= DEDUP__INDEX_DATED;
  }
  int lang = -1;
  if (version >= 3) {
    known |= DEDUP__INDEX_LANG;
    static const unsigned char none[4] = {0};
    size_t cl = 0;
    while (cl < 4 && h[36 + cl])
      cl++;
    for (size_t k = cl; k < 4; k++)
      if (h[36 + k])
        return DEDUP_EFORMAT; /* NUL padding only */
    if (flags & DEDUP__INDEX_LANG) {
      lang = dedup__lang_from_code((const char *)h + 36, cl);
      if (lang <= 0 || strncmp(dedup__lang_code((unsigned)lang),
                               (const char *)h + 36, cl) ||
          strlen(dedup__lang_code((unsigned)lang)) != cl)
        return DEDUP_EFORMAT; /* only the codes save writes */
    } else if (memcmp(h + 36, none, 4)) {
      return DEDUP_EFORMAT;
    }
  }
  uint64_t tl = title_len == DEDUP__INDEX_NO_TITLE ? 0 : title_len;
  if ((flags & ~known) || len > MAX_TEXT ||
      n_invalid > SIZE_MAX || (!(flags & DEDUP__INDEX_NORMALISED) &&
                               n_invalid) ||
      (!(flags & DEDUP__INDEX_DATED) && date) ||
      (uint64_t)name_len + tl + len > r->left)
    return DEDUP_EFORMAT;
  char *name, *text, *title = NULL;
  if ((rc = rd_string(r, &name, name_len)) != DEDUP_OK)
    return rc;
  if (title_len != DEDUP__INDEX_NO_TITLE) {
    if ((rc = rd_string(r, &title, tl)) != DEDUP_OK) {
      dedup__free(name);
      return rc;
    }
    /* Titles are kept normalised, as the text a run reads. */
    if (!dedup__valid_text(title, (size_t)tl)) {
      dedup__free(name);
      dedup__free(title);
      return DEDUP_EFORMAT;
    }
  }
  if ((rc = rd_string(r, &text, len)) != DEDUP_OK) {
    dedup__free(name);
    dedup__free(title);
    return rc;
  }
  /* Bytes as added must be what add lets in (a crafted file of empty
   * records is refused, not run).  Normalised text is not checked so:
   * normalising may leave nothing of what add accepted (a lone zero-width
   * space), and a saved corpus must load. */
  if (memchr(name, '\0', name_len) ||
      (!(flags & DEDUP__INDEX_NORMALISED) &&
       dedup__doc_check(text, (size_t)len) != DEDUP_OK) ||
      ((flags & DEDUP__INDEX_NORMALISED) && !dedup__valid_text(text, len))) {
    dedup__free(name);
    dedup__free(title);
    dedup__free(text);
    return DEDUP_EFORMAT;
  }
  *d = (cdoc){0};
  d->name = name;
  d->title = title;
  d->title_len = (size_t)tl;
  d->has_date = (flags & DEDUP__INDEX_DATED) != 0;
  d->date = date;
  if (lang > 0) {
    d->lang = (uint8_t)lang;
    d->lang_state = CDOC_LANG_GIVEN;
  }
  if (flags & DEDUP__INDEX_NORMALISED) {
    d->text = text;
    d->len = (size_t)len;
    d->n_invalid = (size_t)n_invalid;
  } else {
    d->raw = text;
    d->raw_len = (size_t)len;
  }
  return DEDUP_OK;
}

int dedup__same_params(const dedup_params *a, const dedup_params *b) {
  return a->shingle_k == b->shingle_k && a->num_perm == b->num_perm &&
         dedup__dbits(a->threshold) == dedup__dbits(b->threshold) &&
         dedup__dbits(a->story_threshold) == dedup__dbits(b->story_threshold) &&
         a->method == b->method && a->minhash_kind == b->minhash_kind &&
         a->seed == b->seed && a->flags == b->flags &&
         dedup__dbits(a->story_days) == dedup__dbits(b->story_days);
}

static int read_index(dedup_corpus **out, reader *r) {
  unsigned char h[DEDUP__INDEX_HEADER];
  int rc = rd(r, h, DEDUP__INDEX_HEADER_V1);
  if (rc != DEDUP_OK)
    return rc;
  if (memcmp(h, DEDUP__INDEX_MAGIC, 8) != 0)
    return DEDUP_EFORMAT;
  uint32_t version = dedup__get32(h + 8);
  if (version != 1 && version != 2 && version != DEDUP__INDEX_VERSION)
    return DEDUP_EVERSION;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.story_days = DEDUP_STORY_DAYS; /* version 1 */
  if (version >= 2) {
    rc = rd(r, h + DEDUP__INDEX_HEADER_V1,
            DEDUP__INDEX_HEADER - DEDUP__INDEX_HEADER_V1);
    if (rc != DEDUP_OK)
      return rc;
    p.story_days = dedup__bitsd(dedup__get64(h + 68));
  }
  p.shingle_k = dedup__get32(h + 12);
  p.num_perm = dedup__get32(h + 16);
  p.threshold = dedup__bitsd(dedup__get64(h + 20));
  p.story_threshold = dedup__bitsd(dedup__get64(h + 28));
  /* Enum values are checked as integers before they are enums. */
  uint32_t method = dedup__get32(h + 36), kind = dedup__get32(h + 40);
  if (method > DEDUP_METHOD_SIMHASH || kind > DEDUP_MINHASH_CLASSIC)
    return DEDUP_EFORMAT;
  p.method = (dedup_method)method;
  p.minhash_kind = (dedup_minhash_kind)kind;
  p.seed = dedup__get64(h + 44);
  p.flags = dedup__get32(h + 56) & ~LEGACY_COPY_ONLY;
  uint64_t n_docs = dedup__get64(h + 60);
  if (n_docs > r->left / (version == 1   ? DEDUP__INDEX_RECORD_V1
                          : version == 2 ? DEDUP__INDEX_RECORD_V2
                                         : DEDUP__INDEX_RECORD))
    return DEDUP_EFORMAT;

  dedup_corpus *c;
  rc = dedup_corpus_new(&c, &p);
  if (rc != DEDUP_OK)
    return rc == DEDUP_EINVAL ? DEDUP_EFORMAT : rc;
  /* Zero fields would have been resolved to defaults: not a saved file. */
  if (!dedup__same_params(&c->p, &p)) {
    dedup_corpus_free(c);
    return DEDUP_EFORMAT;
  }
  if (n_docs) {
    c->docs = dedup__calloc((size_t)n_docs, sizeof *c->docs);
    if (!c->docs) {
      dedup_corpus_free(c);
      return DEDUP_ENOMEM;
    }
    c->cap_docs = (size_t)n_docs;
  }
  for (uint64_t i = 0; i < n_docs; i++) {
    rc = read_doc(r, &c->docs[c->n_docs], version);
    if (rc != DEDUP_OK) {
      dedup_corpus_free(c);
      return rc;
    }
    c->docs[c->n_docs].seq = (uint32_t)c->n_docs;
    c->n_docs++;
  }
  unsigned char sum[DEDUP__INDEX_TRAILER];
  rc = r->left ? DEDUP_EFORMAT : rd_raw(r, sum, sizeof sum);
  if (rc == DEDUP_OK && dedup__get64(sum) != dedup__xxh64_digest(&r->h))
    rc = DEDUP_EFORMAT;
  if (rc != DEDUP_OK) {
    dedup_corpus_free(c);
    return rc;
  }
  *out = c;
  return DEDUP_OK;
}

int dedup__index_load_mem(dedup_corpus **out, const void *buf, size_t len) {
  *out = NULL;
  if (len < DEDUP__INDEX_HEADER_V1 + DEDUP__INDEX_TRAILER) /* v1's, shorter */
    return DEDUP_EFORMAT;
  reader r = {NULL, buf, len - DEDUP__INDEX_TRAILER, {0}};
  dedup__xxh64_reset(&r.h);
  return read_index(out, &r);
}

DEDUP_API int dedup_corpus_load(dedup_corpus **out, const char *path) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  if (!path)
    return DEDUP_EINVAL;
  /* O_NONBLOCK: opening a FIFO with no writer would block forever.  Only a
   * regular file is read, so the flag is cleared once fstat says so. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return DEDUP_EIO;
  struct stat st;
  int rc = DEDUP_EIO, fl;
  FILE *f = NULL;
  if (fstat(fd, &st) != 0) {
    /* errno set */
  } else if (!S_ISREG(st.st_mode)) {
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  } else if ((uint64_t)st.st_size <
             DEDUP__INDEX_HEADER_V1 + DEDUP__INDEX_TRAILER) {
    rc = DEDUP_EFORMAT;
  } else if ((fl = fcntl(fd, F_GETFL)) < 0 ||
             fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
             !(f = fdopen(fd, "rb"))) {
    /* errno set */
  } else {
    reader r = {f, NULL, (uint64_t)st.st_size - DEDUP__INDEX_TRAILER, {0}};
    dedup__xxh64_reset(&r.h);
    rc = read_index(out, &r);
  }
  int e = errno;
  if (f)
    fclose(f);
  else
    close(fd);
  errno = e;
  return rc;
}
