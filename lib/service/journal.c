/* journal.c - the changes made since the index file was written, kept as
 * operations: a save to the index's own file appends them to
 * "PATH.journal" (and syncs it) instead of writing the whole file again,
 * and an open does them again after reading the file.  A news service's
 * save after a few adds then writes what they added, not the index.
 *
 * Operations are what the caller did, as it did it: an add (its id,
 * text, title, date, the language given, DEDUP_ADD_DEFER), and the
 * removal of one document (remove, expire and a replacing add each
 * remove documents one by one).  Doing an add again on the same state
 * gives the same result (the code is deterministic), which each record
 * checks: an add's record holds the copy and story id it was given, a
 * save's record the counters after it.  A rebuild is no operation: the
 * save after one writes the file whole.
 *
 * Layout, integers little-endian:
 *   header, 32 bytes: 8 magic "DEDUPJNL"  4 version (1)  4 zero
 *     8 the tag of the index file it follows (index_file.h)
 *     8 XXH3-64 (seed 0) of the 24 bytes before
 *   then records: 4 kind  4 zero  8 payload length  8 XXH3-64 of the
 *     payload (seed: the kind, shifted 32, xor the length), the payload
 *     ADD     4 flags (DEDUP_ADD_DEFER or 0)  4 language given (0: none;
 *             else the index of dedup__lang)  1 has date  8 date
 *             4 id length  8 title length (~0: none)  8 text length,
 *             the id, title and text bytes, 8 copy id  8 story id given
 *             (0, 0 for a deferred one)
 *     REMOVE  4 id length, the id
 *     SAVE    8 operations since the last SAVE  8 document slots
 *             8 live documents  8 next copy id  8 next story id
 * A save writes its operations at the journal's committed length and
 * syncs them, then its SAVE record, cuts off whatever follows and syncs.
 * On open, the journal ends at its last SAVE whose records are all whole
 * and whose checksums are right: what follows (a save cut short by a
 * crash, a full disk) is left out, counted in dedup_index_journal_info's
 * ignored bytes and overwritten by the next save.  The journal also ends
 * at its first record that is not whole or whose checksum is wrong: what
 * follows cannot be told from a save cut short (a crash can leave zeroed
 * or stale blocks inside the file's length, and a document's text may
 * hold the bytes of a whole SAVE record), so it is left out and counted
 * the same way, never refused, as SQLite's WAL does with its frames.  A journal whose
 * header names another file is one a later full save replaced: ignored,
 * and removed by a writer.  An operation that does not do again what its
 * record says refuses the whole index (DEDUP_EFORMAT).
 *
 * The file is written whole again (dedup_index_compact()) once the
 * journal holds more than JOURNAL_OPS_MIN + live documents /
 * JOURNAL_OPS_DIV operations or more than a quarter of the file's bytes
 * (+ JOURNAL_BYTES_MIN): an open then does at most about 1/32 of the
 * index's adds again, a few tenths of the time it takes to read it at
 * 50,000 documents. */
#include "service/index_file.h"

#include "common/bytes.h"
#include "common/hash.h"
#include "corpus/index_io.h"
#include "text/lang.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JNL_MAGIC "DEDUPJNL"
#define JNL_VERSION 1u
#define JNL_HEADER 32
#define REC_HEADER 24
#define JNL_ADD 1u
#define JNL_REMOVE 2u
#define JNL_SAVE 3u
#define ADD_FIXED 37
#define SAVE_LEN 40
#define JOURNAL_OPS_MIN 256
#define JOURNAL_OPS_DIV 32
#define JOURNAL_BYTES_MIN (4u << 20)
/* Operations kept unsaved at most (their texts): past this the next save
 * writes the file whole and the buffer is dropped. */
#define JOURNAL_BUF_MAX ((size_t)256 << 20)

static uint64_t rec_seed(uint32_t kind, uint64_t len) {
  return (uint64_t)kind << 32 ^ len;
}

/* ---- operations into the buffer ---------------------------------------- */

/* Room for n more bytes in the buffer; 0 (and the journal lost) when the
 * buffer would pass its bound or memory runs out. */
static int room(dedup_index *ix, size_t n) {
  ixjournal *j = &ix->j;
  if (!j->ok)
    return 0;
  if (n > JOURNAL_BUF_MAX - j->len) {
    dedup__journal_lost(ix);
    return 0;
  }
  if (j->len + n > j->cap) {
    size_t cap = j->cap ? j->cap : 4096;
    while (cap < j->len + n)
      cap *= 2;
    unsigned char *b = dedup__realloc(j->buf, cap);
    if (!b) {
      dedup__journal_lost(ix);
      return 0;
    }
    j->buf = b;
    j->cap = cap;
  }
  return 1;
}

/* A record of kind and payload length n begun at the buffer's end (room
 * made); returns where its payload goes. */
static unsigned char *rec_begin(ixjournal *j, uint32_t kind, size_t n) {
  unsigned char *h = j->buf + j->len;
  dedup__put32(h, kind);
  dedup__put32(h + 4, 0);
  dedup__put64(h + 8, n);
  j->len += REC_HEADER + n;
  return h + REC_HEADER;
}

/* Its checksum, once the payload is in. */
static void rec_end(unsigned char *payload, uint32_t kind, size_t n) {
  dedup__put64(payload - 8, dedup__hash(payload, n, rec_seed(kind, n)));
}

static unsigned char *put_bytes(unsigned char *p, const void *s, size_t n) {
  if (n)
    memcpy(p, s, n);
  return p + n;
}

void dedup__journal_lost(dedup_index *ix) {
  ixjournal *j = &ix->j;
  j->ok = 0;
  dedup__free(j->buf);
  j->buf = NULL;
  j->len = j->cap = j->n_buf = 0;
}

/* The ids a live slot's group and story have now. */
static void slot_ids(const dedup_index *ix, uint32_t sl, uint64_t *copy,
                     uint64_t *story) {
  *copy = *story = 0;
  const ixdoc *d = &ix->docs[sl];
  if (d->state != IXD_LIVE)
    return;
  const ixgroup *G = &ix->groups[dedup__group_root(ix, d->group)];
  *copy = G->copy_id;
  *story = ix->stories[dedup__story_root(ix, G->story)].story_id;
}

void dedup__journal_add(dedup_index *ix, uint32_t sl, const char *text,
                        size_t len, const dedup_doc_meta *meta, int lang,
                        unsigned flags) {
  if (ix->j.replaying)
    return;
  const char *id = ix->docs[sl].id;
  size_t il = strlen(id);
  const char *title = meta ? meta->title : NULL;
  size_t tl = title ? meta->title_len : 0;
  size_t n = ADD_FIXED + il + tl + len + 16;
  if (!room(ix, REC_HEADER + n))
    return;
  ixjournal *j = &ix->j;
  unsigned char *p0 = rec_begin(j, JNL_ADD, n), *p = p0;
  dedup__put32(p, flags & DEDUP_ADD_DEFER);
  dedup__put32(p + 4, (uint32_t)lang);
  p[8] = meta && meta->has_date;
  dedup__put64(p + 9, meta && meta->has_date ? (uint64_t)meta->date : 0);
  dedup__put32(p + 17, (uint32_t)il);
  dedup__put64(p + 21, title ? (uint64_t)tl : NO_STRING);
  dedup__put64(p + 29, len);
  p = put_bytes(p + ADD_FIXED, id, il);
  p = put_bytes(p, title, tl);
  p = put_bytes(p, text, len);
  uint64_t copy, story;
  slot_ids(ix, sl, &copy, &story);
  dedup__put64(p, copy);
  dedup__put64(p + 8, story);
  rec_end(p0, JNL_ADD, n);
  j->n_buf++;
}

void dedup__journal_remove(dedup_index *ix, uint32_t sl) {
  if (ix->j.replaying)
    return;
  const char *id = ix->docs[sl].id;
  size_t il = strlen(id), n = 4 + il;
  if (!room(ix, REC_HEADER + n))
    return;
  ixjournal *j = &ix->j;
  unsigned char *p = rec_begin(j, JNL_REMOVE, n);
  dedup__put32(p, (uint32_t)il);
  memcpy(p + 4, id, il);
  rec_end(p, JNL_REMOVE, n);
  j->n_buf++;
}

/* The SAVE record's counters of the index as it is. */
static void save_fields(const dedup_index *ix, size_t ops, unsigned char *p) {
  dedup__put64(p, ops);
  dedup__put64(p + 8, ix->n_docs);
  dedup__put64(p + 16, ix->n_live);
  dedup__put64(p + 24, ix->next_copy_id);
  dedup__put64(p + 32, ix->next_story_id);
}

/* ---- the journal file --------------------------------------------------- */

/* "PATH.journal" into a new block (index_private.h). */
char *dedup__journal_path(const char *path) {
  size_t n = strlen(path) + sizeof ".journal";
  char *s = dedup__malloc(n);
  if (s)
    snprintf(s, n, "%s.journal", path);
  return s;
}

static void header(unsigned char *h, uint64_t tag) {
  memcpy(h, JNL_MAGIC, 8);
  dedup__put32(h + 8, JNL_VERSION);
  dedup__put32(h + 12, 0);
  dedup__put64(h + 16, tag);
  dedup__put64(h + 24, dedup__hash(h, 24, 0));
}

static int write_all(int fd, const unsigned char *p, size_t n, off_t at) {
  while (n) {
    ssize_t k = pwrite(fd, p, n, at);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      if (k == 0)
        errno = EIO;
      return DEDUP_EIO;
    }
    p += k;
    n -= (size_t)k;
    at += k;
  }
  return DEDUP_OK;
}

/* What a new journal holds: its header, then the buffer; and the mode
 * of the index file (-1: unknown), so that whoever may read the index
 * may read its journal. */
typedef struct first {
  uint64_t tag;
  const unsigned char *p;
  size_t n;
  int mode;
} first;

static int write_first(void *ctx, int fd) {
  const first *f = ctx;
  if (f->mode >= 0)
    (void)fchmod(fd, (mode_t)f->mode);
  unsigned char h[JNL_HEADER];
  header(h, f->tag);
  int rc = write_all(fd, h, sizeof h, 0);
  return rc == DEDUP_OK ? write_all(fd, f->p, f->n, JNL_HEADER) : rc;
}

/* 1 when the journal, with the unsaved operations and their SAVE record,
 * would pass its bound: the next save writes the file whole. */
static int too_long(const dedup_index *ix) {
  const ixjournal *j = &ix->j;
  size_t ops = j->ops + j->n_buf;
  uint64_t bytes = j->bytes + j->len + REC_HEADER + SAVE_LEN;
  return ops > JOURNAL_OPS_MIN + ix->n_live / JOURNAL_OPS_DIV ||
         bytes > j->file_bytes / 4 + JOURNAL_BYTES_MIN;
}

int dedup__journal_save(dedup_index *ix, int *done) {
  ixjournal *j = &ix->j;
  *done = 0;
  if (!j->ok || !j->tag)
    return DEDUP_OK;
  if (!j->n_buf) { /* nothing changed since the last save */
    *done = 1;
    return DEDUP_OK;
  }
  if (too_long(ix)) /* the file is written whole instead */
    return DEDUP_OK;
  if (!room(ix, REC_HEADER + SAVE_LEN))
    return DEDUP_OK; /* lost: the whole file it is */
  /* The SAVE record after the operations (taken off the buffer again if
   * the save fails). */
  size_t len0 = j->len;
  unsigned char *p = rec_begin(j, JNL_SAVE, SAVE_LEN);
  save_fields(ix, j->n_buf, p);
  rec_end(p, JNL_SAVE, SAVE_LEN);
  char *jp = dedup__journal_path(ix->path);
  int rc = jp ? DEDUP_OK : DEDUP_ENOMEM;
  if (rc == DEDUP_OK && !j->bytes) {
    struct stat ist;
    first f = {j->tag, j->buf, j->len,
               stat(ix->path, &ist) == 0 ? (int)(ist.st_mode & 07777) : -1};
    rc = dedup__save_atomic(jp, write_first, &f);
  } else if (rc == DEDUP_OK) {
    /* O_NONBLOCK: a FIFO put in its place must not block the save. */
    int fd = open(jp, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
      close(fd);
      fd = -1;
      errno = EINVAL;
    }
    if (fd < 0) {
      rc = DEDUP_EIO;
    } else {
      /* The operations synced before their SAVE record is written: a
       * whole SAVE on disk then says every byte before it is there, so
       * a crash can leave bad bytes only after the last one. */
      size_t ops_len = j->len - REC_HEADER - SAVE_LEN;
      rc = write_all(fd, j->buf, ops_len, (off_t)j->bytes);
      if (rc == DEDUP_OK && fsync(fd) != 0)
        rc = DEDUP_EIO;
      if (rc == DEDUP_OK)
        rc = write_all(fd, j->buf + ops_len, REC_HEADER + SAVE_LEN,
                       (off_t)(j->bytes + ops_len));
      if (rc == DEDUP_OK &&
          (ftruncate(fd, (off_t)(j->bytes + j->len)) != 0 || fsync(fd) != 0))
        rc = DEDUP_EIO;
      if (rc != DEDUP_OK) { /* best effort: the journal as it was */
        int e = errno;
        (void)ftruncate(fd, (off_t)j->bytes);
        errno = e;
      }
      if (close(fd) != 0 && rc == DEDUP_OK)
        rc = DEDUP_EIO;
    }
  }
  dedup__free(jp);
  if (rc != DEDUP_OK) {
    j->len = len0;
    return rc;
  }
  j->bytes = (j->bytes ? j->bytes : JNL_HEADER) + j->len;
  j->ops += j->n_buf;
  j->len = j->n_buf = 0;
  *done = 1;
  return DEDUP_OK;
}

void dedup__journal_reset(dedup_index *ix, uint64_t tag, uint64_t bytes) {
  ixjournal *j = &ix->j;
  dedup__journal_lost(ix);
  j->ok = 1;
  j->tag = tag;
  j->file_bytes = bytes;
  j->bytes = 0;
  j->ops = 0;
  /* The old journal follows the old file: gone with it (if this fails,
   * its header names the old file, and it is ignored). */
  char *jp = dedup__journal_path(ix->path);
  if (jp) {
    int e = errno;
    if (unlink(jp) == 0)
      dedup__sync_dir(jp, ix->path);
    errno = e;
    dedup__free(jp);
  }
}

/* ---- replay -------------------------------------------------------------- */

/* One record's place in the journal. */
typedef struct rec {
  uint32_t kind;
  const unsigned char *p;
  size_t n;
} rec;

/* The record at *at of buf[0..len) into r, *at past it: 1, or 0 when it
 * is not whole or its checksum is wrong (the end of the journal). */
static int next_rec(const unsigned char *buf, size_t len, size_t *at, rec *r) {
  if (len - *at < REC_HEADER)
    return 0;
  const unsigned char *h = buf + *at;
  uint64_t n = dedup__get64(h + 8);
  r->kind = dedup__get32(h);
  if (dedup__get32(h + 4) != 0 || n > len - *at - REC_HEADER ||
      dedup__get64(h + 16) != dedup__hash(h + REC_HEADER, (size_t)n,
                                          rec_seed(r->kind, n)))
    return 0;
  r->p = h + REC_HEADER;
  r->n = (size_t)n;
  *at += REC_HEADER + (size_t)n;
  return 1;
}

/* An ADD record done again. */
static int redo_add(dedup_index *ix, const rec *r) {
  if (r->n < ADD_FIXED + 16)
    return DEDUP_EFORMAT;
  const unsigned char *p = r->p;
  uint32_t flags = dedup__get32(p), lang = dedup__get32(p + 4);
  uint8_t has_date = p[8];
  uint64_t date = dedup__get64(p + 9), il = dedup__get32(p + 17);
  uint64_t tl = dedup__get64(p + 21), xl = dedup__get64(p + 29);
  uint64_t avail = r->n - ADD_FIXED - 16;
  uint64_t tl0 = tl == NO_STRING ? 0 : tl;
  if ((flags & ~(uint32_t)DEDUP_ADD_DEFER) || has_date > 1 ||
      lang >= dedup__lang_count() || il == 0 || il > avail ||
      tl0 > avail - il || xl != avail - il - tl0)
    return DEDUP_EFORMAT;
  const char *id0 = (const char *)p + ADD_FIXED;
  if (memchr(id0, '\0', (size_t)il))
    return DEDUP_EFORMAT;
  char *id = dedup__malloc((size_t)il + 1);
  if (!id)
    return DEDUP_ENOMEM;
  memcpy(id, id0, (size_t)il);
  id[il] = '\0';
  dedup_doc_meta m = DEDUP_DOC_META_INIT;
  m.title = tl == NO_STRING ? NULL : id0 + il;
  m.title_len = (size_t)tl0;
  m.has_date = has_date;
  m.date = (int64_t)date;
  const char *text = id0 + il + tl0;
  const unsigned char *given = p + r->n - 16;
  /* What an add checks of its arguments, checked again (the language is
   * the one it resolved). */
  int dummy;
  int rc = dedup__add_check(id, xl ? text : "", (size_t)xl, &m, &dummy);
  if (rc == DEDUP_OK)
    rc = dedup__index_add(ix, id, xl ? text : "", (size_t)xl, &m, (int)lang,
                          flags, NULL);
  if (rc == DEDUP_OK) {
    uint32_t sl = dedup__index_find(ix, id);
    uint64_t copy, story;
    slot_ids(ix, sl, &copy, &story);
    if (copy != dedup__get64(given) || story != dedup__get64(given + 8))
      rc = DEDUP_EFORMAT;
  } else if (rc != DEDUP_ENOMEM) {
    rc = DEDUP_EFORMAT; /* it was added once: not doing it again is damage */
  }
  dedup__free(id);
  return rc;
}

static int redo_remove(dedup_index *ix, const rec *r) {
  if (r->n < 4 || dedup__get32(r->p) != r->n - 4 || r->n == 4 ||
      memchr(r->p + 4, '\0', r->n - 4))
    return DEDUP_EFORMAT;
  char *id = dedup__malloc(r->n - 3);
  if (!id)
    return DEDUP_ENOMEM;
  memcpy(id, r->p + 4, r->n - 4);
  id[r->n - 4] = '\0';
  uint32_t sl = dedup__index_find(ix, id);
  dedup__free(id);
  if (sl == IX_NONE)
    return DEDUP_EFORMAT;
  return dedup__index_remove_slot(ix, sl);
}

/* The journal's records from JNL_HEADER up to its last whole save: done
 * again, each save's counters checked; *end: where that save ends. */
static int redo(dedup_index *ix, const unsigned char *buf, size_t len,
                size_t *end, size_t *ops) {
  /* First the extent: the last SAVE reached through whole records. */
  size_t at = JNL_HEADER, last = JNL_HEADER;
  rec r;
  while (next_rec(buf, len, &at, &r))
    if (r.kind == JNL_SAVE)
      last = at;
  *end = last;
  *ops = 0;
  at = JNL_HEADER;
  size_t since = 0;
  while (at < last) {
    (void)next_rec(buf, len, &at, &r); /* whole: read above */
    int rc;
    switch (r.kind) {
    case JNL_ADD:
      rc = redo_add(ix, &r);
      since++;
      break;
    case JNL_REMOVE:
      rc = redo_remove(ix, &r);
      since++;
      break;
    case JNL_SAVE: {
      unsigned char want[SAVE_LEN];
      save_fields(ix, since, want);
      rc = r.n == SAVE_LEN && !memcmp(want, r.p, SAVE_LEN) ? DEDUP_OK
                                                           : DEDUP_EFORMAT;
      *ops += since;
      since = 0;
      break;
    }
    default:
      rc = DEDUP_EFORMAT;
    }
    /* An operation done with less than it first had (memory ran out in a
     * step it may skip: a look at old groups, a vector weighed later) is
     * not what was done: the open fails, as out of memory. */
    if (rc == DEDUP_OK && !ix->j.ok)
      rc = DEDUP_ENOMEM;
    if (rc != DEDUP_OK)
      return rc;
  }
  return DEDUP_OK;
}

int dedup__journal_replay(dedup_index *ix, uint64_t tag, uint64_t bytes) {
  ixjournal *j = &ix->j;
  j->tag = tag;
  j->file_bytes = bytes;
  j->ok = 1;
  char *jp = dedup__journal_path(ix->path);
  if (!jp)
    return DEDUP_ENOMEM;
  unsigned char *buf = NULL;
  size_t len = 0;
  /* A writer may cut an ignored tail off while it is read (the read then
   * ends short, DEDUP_EFORMAT): read again. */
  int rc;
  for (int tries = 0;
       (rc = dedup__index_read_file(jp, 0, &buf, &len, NULL)) ==
           DEDUP_EFORMAT &&
       tries < 8;
       tries++)
    ;
  int writer = !(ix->flags & DEDUP_INDEX_READ_ONLY);
  if (rc == DEDUP_EIO && errno == ENOENT) {
    rc = DEDUP_OK; /* none: nothing changed since the file was written */
  } else if (rc == DEDUP_OK && len >= JNL_HEADER &&
             !memcmp(buf, JNL_MAGIC, 8) &&
             dedup__get64(buf + 24) == dedup__hash(buf, 24, 0) &&
             dedup__get32(buf + 8) != JNL_VERSION) {
    rc = DEDUP_EVERSION;
  } else if (rc == DEDUP_OK &&
             (len < JNL_HEADER || memcmp(buf, JNL_MAGIC, 8) ||
              dedup__get64(buf + 24) != dedup__hash(buf, 24, 0) ||
              dedup__get32(buf + 12) != 0)) {
    rc = DEDUP_EFORMAT; /* created whole (renamed into place): damaged */
  } else if (rc == DEDUP_OK && dedup__get64(buf + 16) != tag) {
    /* It follows a file that a full save has replaced since. */
    if (writer) {
      int e = errno;
      (void)unlink(jp);
      errno = e;
    }
  } else if (rc == DEDUP_OK) {
    size_t end, ops;
    j->replaying = 1; /* (the calls it makes skip the read-only check) */
    rc = redo(ix, buf, len, &end, &ops);
    j->replaying = 0;
    if (rc == DEDUP_OK) {
      j->bytes = end;
      j->ops = ops;
      j->ignored = len - end;
    }
  }
  dedup__free(buf);
  dedup__free(jp);
  return rc;
}

DEDUP_API int dedup_index_journal(const dedup_index *ix,
                                  dedup_index_journal_info *out) {
  if (!ix || !out || out->version != DEDUP_INDEX_JOURNAL_INFO_VERSION)
    return DEDUP_EINVAL;
  const ixjournal *j = &ix->j;
  out->ops = j->ops;
  out->bytes = j->bytes;
  out->unsaved = j->n_buf;
  out->ignored = j->ignored;
  out->appends = j->ok && j->tag && ix->path && ix->lock_fd >= 0 &&
                 !too_long(ix);
  return DEDUP_OK;
}
