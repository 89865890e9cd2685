/* stem.c - Snowball stems and Thai words per thread (stem.h). */
#include "text/stem.h"

#include "common/dedup_private.h"
#include "common/hash.h"
#include "text/lang.h"
#include "text/normalise.h"

#include <libstemmer.h>
#include <string.h>
#include <thai/thbrk.h>
#include <thai/thwbrk.h>

/* Memo slots: a page's content words number a few hundred and a news
 * vocabulary's common ones a few thousand; 4096 (96 KB a thread) keeps
 * most of them. */
#define MEMO_BITS 12
#define MAX_WORD 64  /* longer words are not stemmed (no language's are) */
#define THAI_MAX 4096 /* characters of one Thai run given to libthai */

typedef struct memo {
  uint64_t hash, id;
  uint16_t lang; /* lang + 1; 0: empty */
} memo;

struct dedup__stemmer {
  struct sb_stemmer **sb; /* per language, NULL until made */
  uint8_t *tried;
  memo *slot;
  ThBrk *thai;
  int thai_tried;
  thwchar_t *wbuf; /* a Thai run as code points, then its offsets */
  uint32_t *woff;
  int *pos;
};

dedup__stemmer *dedup__stemmer_new(void) {
  dedup__stemmer *s = dedup__calloc(1, sizeof *s);
  if (!s)
    return NULL;
  size_t nl = dedup__lang_count();
  s->sb = dedup__calloc(nl, sizeof *s->sb);
  s->tried = dedup__calloc(nl, 1);
  s->slot = dedup__calloc((size_t)1 << MEMO_BITS, sizeof *s->slot);
  if (!s->sb || !s->tried || !s->slot) {
    dedup__stemmer_free(s);
    return NULL;
  }
  return s;
}

void dedup__stemmer_free(dedup__stemmer *s) {
  if (!s)
    return;
  for (size_t i = 0; s->sb && i < dedup__lang_count(); i++)
    if (s->sb[i])
      sb_stemmer_delete(s->sb[i]);
  if (s->thai)
    th_brk_delete(s->thai);
  dedup__free(s->sb);
  dedup__free(s->tried);
  dedup__free(s->slot);
  dedup__free(s->wbuf);
  dedup__free(s->woff);
  dedup__free(s->pos);
  dedup__free(s);
}

static struct sb_stemmer *stemmer_of(dedup__stemmer *s, unsigned lang) {
  if (!s->tried[lang]) {
    s->tried[lang] = 1;
    if (dedup__lang_has_stemmer(lang))
      s->sb[lang] = sb_stemmer_new(dedup__lang_code(lang), "UTF_8");
  }
  return s->sb[lang];
}

uint64_t dedup__stem_id(dedup__stemmer *s, unsigned lang, const char *w,
                        size_t len, uint64_t hash, uint64_t seed) {
  if (!s || lang >= dedup__lang_count() || !dedup__lang_has_stemmer(lang) ||
      len > MAX_WORD)
    return dedup__lang_term_id(lang, hash);
  memo *m = &s->slot[dedup__mix64(hash ^ lang) >> (64 - MEMO_BITS)];
  if (m->lang == lang + 1 && m->hash == hash)
    return m->id;
  uint64_t id = dedup__lang_term_id(lang, hash);
  struct sb_stemmer *st = stemmer_of(s, lang);
  char buf[4 * MAX_WORD];
  size_t n = st ? dedup__casefold_word(buf, sizeof buf, w, len) : 0;
  if (st && n <= sizeof buf) {
    const sb_symbol *stem = sb_stemmer_stem(st, (const sb_symbol *)buf,
                                            (int)n);
    if (stem) /* NULL: out of memory inside libstemmer; the fold stays */
      id = dedup__lang_term_id(
          lang, dedup__hash(stem, (size_t)sb_stemmer_length(st), seed));
  }
  m->hash = hash;
  m->id = id;
  m->lang = (uint16_t)(lang + 1);
  return id;
}

size_t dedup__thai_words(dedup__stemmer *s, const char *text, size_t len,
                         uint32_t *cuts, size_t cap) {
  if (!s || len == 0 || cap == 0)
    return 0;
  if (!s->thai_tried) {
    s->thai_tried = 1;
    s->thai = th_brk_new(NULL); /* libthai's own dictionary */
  }
  if (!s->wbuf) /* again after a failure: never half made */
    s->wbuf = dedup__reallocarray(NULL, THAI_MAX + 1, sizeof *s->wbuf);
  if (!s->woff)
    s->woff = dedup__reallocarray(NULL, THAI_MAX + 1, sizeof *s->woff);
  if (!s->pos)
    s->pos = dedup__reallocarray(NULL, THAI_MAX, sizeof *s->pos);
  if (!s->wbuf || !s->woff || !s->pos)
    return SIZE_MAX; /* out of memory: the caller says so */
  if (!s->thai)
    return 0;
  size_t nc = 0;
  for (size_t i = 0; i < len;) {
    if (nc == THAI_MAX)
      return 0;
    int32_t cp;
    s->woff[nc] = (uint32_t)i;
    i += dedup__utf8_next(text + i, len - i, &cp);
    s->wbuf[nc++] = (thwchar_t)cp;
  }
  s->woff[nc] = (uint32_t)len;
  s->wbuf[nc] = 0;
  int nb = th_brk_wc_find_breaks(s->thai, s->wbuf, s->pos, THAI_MAX);
  size_t k = 0;
  for (int b = 0; b < nb; b++) {
    if (s->pos[b] <= 0 || (size_t)s->pos[b] >= nc ||
        (k > 0 && s->woff[s->pos[b]] <= cuts[k - 1]))
      continue;
    if (k + 1 >= cap)
      return 0; /* more words than room: the caller makes bigrams */
    cuts[k++] = s->woff[s->pos[b]];
  }
  cuts[k++] = (uint32_t)len;
  return k;
}
