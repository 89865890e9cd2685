/* testgen.h - deterministic English-like articles for tests (libc only, so
 * API tests can use it too).
 *
 * An article is a title line and paragraphs of sentences that mix English
 * stop words (so the page cleaner sees prose) with content words made of
 * syllables and drawn from the article's topic: articles of different
 * topics share few words, so they are neither copies nor the same story.
 * A copy keeps the text, replaces a few words and adds site chrome, as
 * syndication does.  Everything is a pure function of the seeds. */
#ifndef DEDUP_TESTGEN_H
#define DEDUP_TESTGEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tg_buf {
  char *p;
  size_t n, cap;
} tg_buf;

static inline uint64_t tg_next(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static inline size_t tg_below(uint64_t *s, size_t n) {
  return (size_t)(tg_next(s) % n);
}

static inline void tg_put(tg_buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q)
      abort();
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static inline void tg_puts(tg_buf *b, const char *s) { tg_put(b, s, strlen(s)); }

static inline void tg_free(tg_buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

/* The whole file at path, NUL-terminated (its length in *len when len is
 * not NULL), or NULL when it cannot be read.  Free with free(). */
static inline char *tg_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *b = NULL;
  long n = -1;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL &&
      fread(b, 1, (size_t)n, f) == (size_t)n) {
    b[n] = '\0';
    if (len)
      *len = (size_t)n;
  } else {
    free(b);
    b = NULL;
  }
  fclose(f);
  return b;
}

static const char *const tg_stop[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it",
    "was", "on", "with", "as", "said", "by", "at", "from", "he", "they",
    "this", "have", "had", "be", "were", "which", "their", "an", "has",
    "would", "after", "about", "more", "who", "will", "been", "not"};
static const char *const tg_syl[] = {
    "ka", "ren", "tor", "mi", "lan", "sot", "vel", "dra", "pon", "qui",
    "bar", "den", "fel", "gor", "hul", "jin", "kes", "lom", "mur", "nix",
    "ost", "pra", "rud", "sil", "tam", "ult", "vor", "wen", "yal", "zep"};

/* Content word w of topic t: 2-3 syllables, a pure function of (t, w). */
static inline void tg_word(tg_buf *b, uint64_t topic, size_t w) {
  uint64_t s = topic * 1000003u + w;
  size_t n = 2 + tg_below(&s, 2);
  for (size_t i = 0; i < n; i++)
    tg_puts(b, tg_syl[tg_below(&s, sizeof tg_syl / sizeof *tg_syl)]);
}

/* About `words` words on topic `topic`; `seed` picks the sentences. */
static inline void tg_article(tg_buf *b, uint64_t topic, uint64_t seed,
                              size_t words) {
  uint64_t s = seed ^ (topic << 32);
  enum { TOPIC_WORDS = 60 };
  for (size_t i = 0; i < 8; i++) { /* title */
    if (i)
      tg_puts(b, " ");
    tg_word(b, topic, tg_below(&s, TOPIC_WORDS));
  }
  tg_puts(b, "\n\n");
  size_t done = 0;
  while (done < words) {
    size_t sentences = 3 + tg_below(&s, 3);
    for (size_t k = 0; k < sentences && done < words; k++) {
      size_t len = 8 + tg_below(&s, 12);
      for (size_t i = 0; i < len; i++, done++) {
        if (i)
          tg_puts(b, " ");
        if (tg_below(&s, 2))
          tg_puts(b, tg_stop[tg_below(&s, sizeof tg_stop / sizeof *tg_stop)]);
        else
          tg_word(b, topic, tg_below(&s, TOPIC_WORDS));
      }
      tg_puts(b, ". ");
    }
    tg_puts(b, "\n\n");
  }
}

/* A near copy of src: `edits` words replaced, and a menu line above and a
 * share line below the text, as another site would frame it. */
static inline void tg_copy(tg_buf *b, const char *src, uint64_t seed,
                           size_t edits) {
  uint64_t s = seed;
  size_t nwords = 1;
  for (const char *p = src; *p; p++)
    nwords += *p == ' ' || *p == '\n';
  tg_puts(b, "Home | World | Business | Sport | Contact\n\n");
  size_t *pos = calloc(edits ? edits : 1, sizeof *pos);
  if (!pos)
    abort();
  for (size_t e = 0; e < edits; e++)
    pos[e] = tg_below(&s, nwords);
  size_t w = 0;
  const char *p = src;
  while (*p) {
    size_t n = strcspn(p, " \n");
    int replace = 0;
    for (size_t e = 0; e < edits && n; e++)
      replace |= pos[e] == w;
    if (replace)
      tg_puts(b, "changed");
    else
      tg_put(b, p, n);
    p += n;
    if (*p) { /* the separator stays */
      tg_put(b, p, 1);
      p++;
      w++;
    }
  }
  free(pos);
  tg_puts(b, "\n\nShare this article on social media\n");
}

#endif
