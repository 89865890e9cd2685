/* index_read.c - a service index file opened: its sections checked
 * (lengths, checksums, every count against its bytes) and read into a
 * new index, whose structure then passes the checks of a save
 * (dedup__index_validate) before anyone sees it.  The layout is
 * described at the top of index_file.c. */
#include "service/index_file.h"

#include "common/bytes.h"
#include "common/hash.h"
#include "corpus/index_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading ---------------------------------------------------------- */

/* A cursor over one section's payload. */
typedef struct cur {
  const unsigned char *p;
  size_t left;
} cur;

static uint8_t r8(cur *c) {
  c->left--;
  return *c->p++;
}

static uint32_t r32(cur *c) {
  uint32_t v = dedup__get32(c->p);
  c->p += 4;
  c->left -= 4;
  return v;
}

static uint64_t r64(cur *c) {
  uint64_t v = dedup__get64(c->p);
  c->p += 8;
  c->left -= 8;
  return v;
}

static int read_params(cur *c, dedup_params *out) {
  if (c->left != PARAMS_LEN)
    return DEDUP_EFORMAT;
  dedup_params p = DEDUP_PARAMS_INIT;
  p.shingle_k = r32(c);
  p.num_perm = r32(c);
  p.threshold = dedup__bitsd(r64(c));
  p.story_threshold = dedup__bitsd(r64(c));
  /* Enum values are checked as integers before they are enums. */
  uint32_t method = r32(c), kind = r32(c);
  if (method > DEDUP_METHOD_SIMHASH || kind > DEDUP_MINHASH_CLASSIC)
    return DEDUP_EFORMAT;
  p.method = (dedup_method)method;
  p.minhash_kind = (dedup_minhash_kind)kind;
  p.seed = r64(c);
  p.flags = r32(c);
  p.story_days = dedup__bitsd(r64(c));
  /* Stored resolved: a zero that resolving would change is no saved
   * file, nor is what dedup_index_new refuses. */
  if (dedup__params_resolve(out, &p) != DEDUP_OK || !dedup__same_params(out, &p) ||
      (p.flags & DEDUP_F_SPLIT_EMBEDDED))
    return DEDUP_EFORMAT;
  return DEDUP_OK;
}

/* A string of len bytes (no NUL inside) as a new NUL-terminated block. */
static int read_string(cur *c, uint64_t len, char **out) {
  *out = NULL;
  if (len > c->left || memchr(c->p, '\0', (size_t)len))
    return DEDUP_EFORMAT;
  char *s = dedup__malloc((size_t)len + 1);
  if (!s)
    return DEDUP_ENOMEM;
  memcpy(s, c->p, (size_t)len);
  s[len] = '\0';
  c->p += len;
  c->left -= (size_t)len;
  *out = s;
  return DEDUP_OK;
}

static int read_doc(cur *c, dedup_index *ix, ixdoc *d) {
  if (c->left < DOC_FIXED)
    return DEDUP_EFORMAT;
  d->state = r8(c);
  d->has_date = r8(c);
  d->lang = r8(c);
  d->lang_state = r8(c);
  d->date = (int64_t)r64(c);
  d->group = r32(c);
  d->next = r32(c);
  d->words = r32(c);
  d->text_hash = r64(c);
  d->n_terms = r32(c);
  d->n_bg = r32(c);
  d->n_lines = r32(c);
  d->n_bg_arts = r32(c);
  uint32_t il = r32(c);
  uint64_t tl = r64(c), hl = r64(c);
  if (d->state > IXD_DEFERRED || d->has_date > 1 ||
      d->lang >= dedup__lang_count() || d->lang_state > CDOC_LANG_GIVEN)
    return DEDUP_EFORMAT;
  /* Every length against the bytes left before anything is allocated
   * (each at most 2^32 x 12: no sum overflows). */
  uint64_t rec = ixdoc_rec_bytes(d->n_terms, d->n_bg, d->n_lines);
  uint64_t need = (uint64_t)il + rec;
  if ((tl != NO_STRING && tl > c->left) || (hl != NO_STRING && hl > c->left))
    return DEDUP_EFORMAT;
  need += (tl != NO_STRING ? tl : 0) + (hl != NO_STRING ? hl : 0);
  if (need > c->left)
    return DEDUP_EFORMAT;
  /* What each state holds: a dead slot nothing; a deferred one its text
   * and no records; a title only with a text. */
  int has_rec = d->n_terms || d->n_bg || d->n_lines;
  if ((d->state == IXD_DEAD) != (il == 0) ||
      (d->state == IXD_DEAD && (tl != NO_STRING || has_rec ||
                                d->n_bg_arts)) ||
      (d->state == IXD_DEFERRED &&
       (tl == NO_STRING || has_rec || d->n_bg_arts)) ||
      (hl != NO_STRING && tl == NO_STRING))
    return DEDUP_EFORMAT;
  int rc;
  if (il && (rc = read_string(c, il, &d->id)) != DEDUP_OK)
    return rc;
  if (hl != NO_STRING) {
    if ((rc = read_string(c, hl, &d->title)) != DEDUP_OK)
      return rc;
    d->title_len = (size_t)hl;
    if (!dedup__valid_text(d->title, d->title_len))
      return DEDUP_EFORMAT;
  }
  if (tl != NO_STRING) {
    if ((rc = read_string(c, tl, &d->text)) != DEDUP_OK)
      return rc;
    d->len = (size_t)tl;
    if (!dedup__valid_text(d->text, d->len))
      return DEDUP_EFORMAT;
  }
  if (has_rec) {
    d->rec = dedup__malloc((size_t)rec);
    if (!d->rec)
      return DEDUP_ENOMEM;
    size_t nk = (size_t)d->n_terms + d->n_bg + d->n_lines;
    for (size_t j = 0; j < nk; j++)
      d->rec[j] = r64(c);
    float *cnt = ixdoc_counts(d);
    for (uint32_t j = 0; j < d->n_terms; j++)
      cnt[j] = dedup__bitsf(r32(c));
  }
  /* Texts of assigned documents are kept only by an index that keeps
   * texts. */
  if (d->state == IXD_LIVE && d->text &&
      !(ix->flags & DEDUP_INDEX_KEEP_TEXTS)) {
    dedup__free(d->text);
    dedup__free(d->title);
    d->text = d->title = NULL;
    d->len = d->title_len = 0;
  }
  return DEDUP_OK;
}

static int read_docs(cur *c, dedup_index *ix) {
  if (c->left < 8)
    return DEDUP_EFORMAT;
  uint64_t n = r64(c);
  if (n > c->left / DOC_FIXED || n >= IX_TOMB - 1)
    return DEDUP_EFORMAT;
  if (n) {
    ix->docs = dedup__calloc((size_t)n, sizeof *ix->docs);
    if (!ix->docs)
      return DEDUP_ENOMEM;
  }
  ix->n_docs = ix->cap_docs = (size_t)n;
  for (size_t i = 0; i < ix->n_docs; i++) {
    int rc = read_doc(c, ix, &ix->docs[i]);
    if (rc != DEDUP_OK)
      return rc;
  }
  return c->left ? DEDUP_EFORMAT : DEDUP_OK;
}

static int read_sigs(cur *c, dedup_index *ix) {
  size_t per = ix->sig32 * 4;
  if (c->left / per != ix->n_docs || c->left % per)
    return DEDUP_EFORMAT;
  ix->sigs = dedup__reallocarray(NULL, ix->n_docs ? ix->n_docs : 1,
                                 ix->sig32 * sizeof *ix->sigs);
  if (!ix->sigs)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < ix->n_docs; i++) {
    uint32_t *s = ix->sigs + i * ix->sig32;
    int live = ix->docs[i].state == IXD_LIVE;
    for (size_t j = 0; j < ix->sig32; j++)
      if ((s[j] = r32(c)) && !live)
        return DEDUP_EFORMAT;
  }
  return DEDUP_OK;
}

static int read_groups(cur *c, dedup_index *ix) {
  if (c->left < 8)
    return DEDUP_EFORMAT;
  uint64_t n = r64(c);
  if (n > c->left / GROUP_FIXED || n >= IX_TOMB - 1)
    return DEDUP_EFORMAT;
  if (n) {
    ix->groups = dedup__calloc((size_t)n, sizeof *ix->groups);
    if (!ix->groups)
      return DEDUP_ENOMEM;
  }
  ix->n_groups = ix->cap_groups = (size_t)n;
  for (size_t g = 0; g < ix->n_groups; g++) {
    ixgroup *G = &ix->groups[g];
    if (c->left < GROUP_FIXED)
      return DEDUP_EFORMAT;
    G->copy_id = r64(c);
    G->parent = r32(c);
    G->rep = r32(c);
    G->head = r32(c);
    G->tail = r32(c);
    G->n_members = r32(c);
    G->story = r32(c);
    G->snext = r32(c);
    G->dated = r8(c);
    G->date = (int64_t)r64(c);
    G->weighed_n = r32(c);
    uint32_t nv = r32(c);
    G->sampled_n = r32(c);
    uint32_t ns = r32(c);
    G->n_links = r32(c);
    /* A vector has its story_k samples (assign.c reads them), and
     * only a vector. */
    if (G->dated > 1 || nv > c->left / 12 || ns != (nv ? ix->story_k : 0) ||
        G->n_links > IX_LINKS ||
        (uint64_t)nv * 12 + (uint64_t)ns * 4 + G->n_links * 8 > c->left)
      return DEDUP_EFORMAT;
    if (nv) {
      /* One block, ids then weights, as assign.c's weigh makes it. */
      G->vid = dedup__malloc((size_t)nv * (sizeof *G->vid + sizeof *G->vw));
      G->smp = dedup__malloc((size_t)ns * sizeof *G->smp);
      if (!G->vid || !G->smp)
        return DEDUP_ENOMEM;
      G->vw = (float *)(void *)(G->vid + nv);
      G->nv = nv;
      for (uint32_t j = 0; j < nv; j++) {
        G->vid[j] = r64(c);
        if (j && G->vid[j] <= G->vid[j - 1])
          return DEDUP_EFORMAT; /* ascending: cosines merge them */
      }
      for (uint32_t j = 0; j < nv; j++)
        G->vw[j] = dedup__bitsf(r32(c));
      for (uint32_t j = 0; j < ns; j++)
        G->smp[j] = r32(c);
    }
    for (uint32_t j = 0; j < G->n_links; j++) {
      G->links[j].g = r32(c);
      G->links[j].x = dedup__bitsf(r32(c));
    }
  }
  return c->left ? DEDUP_EFORMAT : DEDUP_OK;
}

static int read_stories(cur *c, dedup_index *ix) {
  if (c->left < 8)
    return DEDUP_EFORMAT;
  uint64_t n = r64(c);
  if (c->left / STORY_LEN != n || c->left % STORY_LEN || n >= IX_TOMB - 1)
    return DEDUP_EFORMAT;
  if (n) {
    ix->stories = dedup__calloc((size_t)n, sizeof *ix->stories);
    if (!ix->stories)
      return DEDUP_ENOMEM;
  }
  ix->n_stories = ix->cap_stories = (size_t)n;
  for (size_t s = 0; s < ix->n_stories; s++) {
    ixstory *S = &ix->stories[s];
    S->story_id = r64(c);
    S->parent = r32(c);
    S->n_groups = r32(c);
    S->head = r32(c);
    S->tail = r32(c);
  }
  return DEDUP_OK;
}

static int read_merges(cur *c, dedup_index *ix) {
  if (c->left < 8)
    return DEDUP_EFORMAT;
  uint64_t n = r64(c);
  if (c->left / MERGE_LEN != n || c->left % MERGE_LEN)
    return DEDUP_EFORMAT;
  if (n) {
    ix->merges = dedup__calloc((size_t)n, sizeof *ix->merges);
    if (!ix->merges)
      return DEDUP_ENOMEM;
  }
  ix->n_merges = ix->cap_merges = (size_t)n;
  for (size_t i = 0; i < ix->n_merges; i++) {
    ix->merges[i].from = r64(c);
    ix->merges[i].into = r64(c);
    ix->merges[i].level = r8(c);
  }
  return DEDUP_OK;
}

/* Pairs (or keys, counted 1) ascending into m, or into the line maps
 * (lines: a key's map by its top bits). */
static int read_map(cur *c, dedup__countmap *m, dedup__lines *lines,
                    int keys_only) {
  size_t rec = keys_only ? 8 : 12;
  if (c->left < 8)
    return DEDUP_EFORMAT;
  uint64_t n = r64(c);
  if (c->left / rec != n || c->left % rec)
    return DEDUP_EFORMAT;
  uint64_t prev = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t key = r64(c);
    uint32_t cnt = keys_only ? 1 : r32(c);
    /* Ascending, so no key twice; a 0 count is never written. */
    if ((i && key <= prev) || !cnt)
      return DEDUP_EFORMAT;
    prev = key;
    dedup__countmap *t =
        lines ? &lines->part[key >> (64 - DEDUP__LINE_BITS)].map : m;
    if (dedup__countmap_add(t, key, cnt) != DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  return DEDUP_OK;
}

static int read_n(cur *c, dedup_index *ix) {
  size_t nl = dedup__lang_count();
  if (c->left != 4 + 4 * nl || r32(c) != nl)
    return DEDUP_EFORMAT;
  for (size_t i = 0; i < nl; i++)
    ix->N[i] = r32(c);
  return DEDUP_OK;
}

/* The LSH tables, after dedup__index_validate(). */
static int read_lsh(const cur *cc, const cur *cs, dedup_index *ix) {
  dedup__lsh_free(ix->copy_lsh);
  ix->copy_lsh = NULL;
  int rc = dedup__lsh_read(&ix->copy_lsh, ix->copy_b, ix->copy_r, cc->p,
                           cc->left, dedup__index_copy_band, ix);
  if (rc == DEDUP_OK) {
    dedup__lsh_free(ix->story_lsh);
    ix->story_lsh = NULL;
    rc = dedup__lsh_read(&ix->story_lsh, ix->story_k, 1, cs->p, cs->left,
                         dedup__index_story_band, ix);
  }
  return rc;
}

static int read_index(dedup_index *ix, cur *sec) {
  int rc;
  cur *c = &sec[SEC_FLAGS];
  if (c->left != 4)
    return DEDUP_EFORMAT;
  uint32_t fl = r32(c);
  if (fl & ~(uint32_t)DEDUP_INDEX_KEEP_TEXTS)
    return DEDUP_EFORMAT;
  ix->flags |= fl;
  c = &sec[SEC_COUNTERS];
  if (c->left != COUNTERS_LEN)
    return DEDUP_EFORMAT;
  ix->next_copy_id = r64(c);
  ix->next_story_id = r64(c);
  ix->revisit = r32(c);
  uint64_t n_live = r64(c), n_def = r64(c);
  if (n_live > SIZE_MAX || n_def > SIZE_MAX)
    return DEDUP_EFORMAT;
  ix->n_live = (size_t)n_live;
  ix->n_deferred = (size_t)n_def;
  if ((rc = read_docs(&sec[SEC_DOCS], ix)) != DEDUP_OK ||
      (rc = read_sigs(&sec[SEC_SIGS], ix)) != DEDUP_OK ||
      (rc = read_groups(&sec[SEC_GROUPS], ix)) != DEDUP_OK ||
      (rc = read_stories(&sec[SEC_STORIES], ix)) != DEDUP_OK ||
      (rc = read_merges(&sec[SEC_MERGES], ix)) != DEDUP_OK ||
      (rc = read_map(&sec[SEC_LINES], NULL, ix->lines, 0)) != DEDUP_OK ||
      (rc = read_map(&sec[SEC_HEAVY], &ix->heavy, NULL, 1)) != DEDUP_OK ||
      (rc = read_map(&sec[SEC_DF], &ix->df, NULL, 0)) != DEDUP_OK ||
      (rc = read_n(&sec[SEC_N], ix)) != DEDUP_OK ||
      (rc = dedup__index_validate(ix)) != DEDUP_OK ||
      (rc = read_lsh(&sec[SEC_COPY_LSH], &sec[SEC_STORY_LSH], ix)) !=
          DEDUP_OK)
    return rc;
  /* The id map, made again: ids must be distinct; and the exact-copy
   * table (a live document for each text hash: which one does not
   * matter, exact copies share a group). */
  for (size_t i = 0; i < ix->n_docs; i++) {
    const ixdoc *d = &ix->docs[i];
    if (d->state == IXD_DEAD)
      continue;
    if (dedup__index_find(ix, d->id) != IX_NONE)
      return DEDUP_EFORMAT;
    if (dedup__index_map(ix, (uint32_t)i) != DEDUP_OK)
      return DEDUP_ENOMEM;
    if (d->state == IXD_LIVE &&
        !dedup__countmap_get(&ix->exact, d->text_hash) &&
        dedup__countmap_add(&ix->exact, d->text_hash, (uint32_t)i + 1) !=
            DEDUP_OK)
      return DEDUP_ENOMEM;
  }
  dedup__index_live_sync(ix, IX_NONE);
  if (ix->n_live != ix->n_docs && !ix->live)
    return DEDUP_ENOMEM;
  return DEDUP_OK;
}

int dedup__index_open_mem(dedup_index **out, const void *buf, size_t len,
                          unsigned flags) {
  *out = NULL;
  const unsigned char *p = buf;
  if (len < SVC_HEADER || memcmp(p, SVC_MAGIC, 8) != 0)
    return DEDUP_EFORMAT;
  if (dedup__get32(p + 8) != SVC_VERSION)
    return DEDUP_EVERSION;
  if (dedup__get32(p + 12) != N_SECTIONS)
    return DEDUP_EFORMAT;
  /* Every section found and its checksum right before any is read. */
  cur sec[N_SECTIONS + 1];
  size_t at = SVC_HEADER;
  uint64_t tag = TAG_SEED;
  for (unsigned k = 1; k <= N_SECTIONS; k++) {
    if (len - at < SEC_HEADER || dedup__get32(p + at) != k)
      return DEDUP_EFORMAT;
    uint64_t n = dedup__get64(p + at + 4), sum = dedup__get64(p + at + 12);
    tag = dedup__index_tag_step(tag, p + at);
    at += SEC_HEADER;
    if (n > len - at || dedup__hash(p + at, (size_t)n, 0) != sum)
      return DEDUP_EFORMAT;
    sec[k] = (cur){p + at, (size_t)n};
    at += (size_t)n;
  }
  if (at != len)
    return DEDUP_EFORMAT;
  dedup_params prm;
  int rc = read_params(&sec[SEC_PARAMS], &prm);
  if (rc != DEDUP_OK)
    return rc;
  dedup_index *ix;
  rc = dedup__index_alloc(&ix, &prm, flags & DEDUP_INDEX_READ_ONLY);
  if (rc != DEDUP_OK)
    return rc;
  if ((rc = read_index(ix, sec)) != DEDUP_OK) {
    dedup_index_free(ix);
    return rc;
  }
  ix->j.tag = tag;
  ix->j.file_bytes = len;
  ix->j.ok = 1;
  *out = ix;
  return DEDUP_OK;
}

/* The whole of a regular file into a new block (memory: its size);
 * DEDUP_EFORMAT when it is shorter than min bytes. */
int dedup__index_read_file(const char *path, size_t min, unsigned char **out,
                           size_t *len, struct stat *st_out) {
  *out = NULL;
  *len = 0;
  /* O_NONBLOCK: opening a FIFO with no writer would block forever. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return DEDUP_EIO;
  struct stat st;
  int rc = DEDUP_EIO, fl;
  unsigned char *b = NULL;
  if (fstat(fd, &st) != 0) {
    /* errno set */
  } else if (!S_ISREG(st.st_mode)) {
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  } else if ((uint64_t)st.st_size < min) {
    rc = DEDUP_EFORMAT;
  } else if ((uint64_t)st.st_size > SIZE_MAX / 2) {
    rc = DEDUP_ENOMEM;
  } else if ((fl = fcntl(fd, F_GETFL)) < 0 ||
             fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
    /* errno set */
  } else if (!(b = dedup__malloc((size_t)st.st_size))) {
    rc = DEDUP_ENOMEM;
  } else {
    size_t n = (size_t)st.st_size, got = 0;
    rc = DEDUP_OK;
    while (got < n) {
      ssize_t k = read(fd, b + got, n - got);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0) {
        rc = k < 0 ? DEDUP_EIO : DEDUP_EFORMAT; /* shrank under us */
        break;
      }
      got += (size_t)k;
    }
    if (rc == DEDUP_OK) {
      *out = b;
      *len = n;
      b = NULL;
      if (st_out)
        *st_out = st;
    }
  }
  int e = errno;
  dedup__free(b);
  close(fd);
  errno = e;
  return rc;
}

/* The tag of the index file at path now (its section headers read):
 * DEDUP_OK, or a failure (then the caller reads it all again). */
static int file_tag(const char *path, uint64_t *tag) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return DEDUP_EIO;
  unsigned char h[SEC_HEADER > SVC_HEADER ? SEC_HEADER : SVC_HEADER];
  uint64_t t = TAG_SEED, at = SVC_HEADER;
  int rc = pread(fd, h, SVC_HEADER, 0) == SVC_HEADER &&
                   !memcmp(h, SVC_MAGIC, 8)
               ? DEDUP_OK
               : DEDUP_EFORMAT;
  for (unsigned k = 1; rc == DEDUP_OK && k <= N_SECTIONS; k++) {
    if (pread(fd, h, SEC_HEADER, (off_t)at) != SEC_HEADER) {
      rc = DEDUP_EFORMAT;
      break;
    }
    t = dedup__index_tag_step(t, h);
    at += SEC_HEADER + dedup__get64(h + 4);
  }
  close(fd);
  *tag = t;
  return rc;
}

DEDUP_API int dedup_index_open(dedup_index **out, const char *path,
                               unsigned flags) {
  if (!out)
    return DEDUP_EINVAL;
  *out = NULL;
  if (!path || !*path ||
      (flags & ~(unsigned)(DEDUP_INDEX_READ_ONLY | DEDUP_INDEX_KEEP_TEXTS)))
    return DEDUP_EINVAL;
  /* The lock first: what is read is then what no other writer changes. */
  int lock = -1, rc;
  if (!(flags & DEDUP_INDEX_READ_ONLY) &&
      (rc = dedup__index_take_lock(path, &lock)) != DEDUP_OK)
    return rc;
  dedup_index *ix = NULL;
  /* A reader takes no lock: a writer may write the file whole (and
   * remove its journal, or start another) between the reads of the file
   * and of its journal, which would give the file without the saves its
   * journal held.  So the file at path must still have the tag of the
   * one read once the journal is read, or both are read again (by tag,
   * not inode: a file written twice since may have the old inode). */
  for (int tries = 0;; tries++) {
    unsigned char *buf;
    size_t len;
    rc = dedup__index_read_file(path, SVC_HEADER, &buf, &len, NULL);
    if (rc == DEDUP_OK) {
      rc = dedup__index_open_mem(&ix, buf, len, flags);
      dedup__free(buf);
    }
    if (rc == DEDUP_OK && !(ix->path = dedup__strdup(path)))
      rc = DEDUP_ENOMEM;
    if (rc == DEDUP_OK) {
      ix->lock_fd = lock; /* the journal's writer needs it (free frees it) */
      lock = -1;
      rc = dedup__journal_replay(ix, ix->j.tag, ix->j.file_bytes);
    }
    uint64_t now;
    if (rc != DEDUP_OK || !(flags & DEDUP_INDEX_READ_ONLY) || tries == 8 ||
        (file_tag(path, &now) == DEDUP_OK && now == ix->j.tag))
      break;
    dedup_index_free(ix);
    ix = NULL;
  }
  if (rc != DEDUP_OK) {
    int e = errno;
    dedup_index_free(ix);
    if (lock >= 0)
      close(lock);
    errno = e;
    return rc;
  }
  *out = ix;
  return DEDUP_OK;
}
