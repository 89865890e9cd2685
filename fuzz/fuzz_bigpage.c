/* fuzz_bigpage.c - large scraped pages with many embedded articles, run
 * with DEDUP_F_SPLIT_EMBEDDED.
 *
 * A few input bytes expand, through a deterministic generator, into one
 * or two pages of 50-500 KB each: site chrome (a menu, sign-in lines, a
 * footer), the main story's headline and body, then "related" article
 * blocks (a headline, a byline, paragraphs of sentences with a realistic
 * share of stop words) separated by chrome, and short sentence-shaped
 * lines and sub-headings inside articles.  Input:
 *   byte 0  page size: 50 KB + (byte / 255)^3 * 450 KB
 *   byte 1  bit 0 SimHash, bit 1 classic MinHash, bit 2 two pages, bit 3
 *           a seed of 0 (else from the bytes)
 *   rest    one byte per article block, cycled: bits 0-4 its topic, bits
 *           5-6 its paragraph count, bit 7 shared (the second page carries
 *           the same article, lightly edited, at the same place).
 * Checked: what fuzz_checks.h checks after a run, and the item names: each
 * page "dK" gives items "dK", "dK#2", "dK#3", ... in order. */
#include "fuzz.h"
#include "dedup.h"
#include "fuzz_checks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HEADER = 2, MAX_PAGES = 2 };
#define MIN_PAGE ((size_t)50 << 10)
#define MAX_PAGE ((size_t)500 << 10)

/* The parameters, set by name only: the struct is being redesigned. */
static dedup_params params_from(unsigned sel, uint64_t seed) {
  dedup_params p = DEDUP_PARAMS_INIT;
  p.method = sel & 1 ? DEDUP_METHOD_SIMHASH : DEDUP_METHOD_MINHASH;
  p.minhash_kind = sel & 2 ? DEDUP_MINHASH_CLASSIC : DEDUP_MINHASH_OPH;
  /* 0: the method's own default (INIT holds MinHash's 0.5, which for
   * SimHash would join nearly every pair). */
  p.threshold = 0;
  p.flags = DEDUP_F_SPLIT_EMBEDDED;
  p.seed = seed;
  return p;
}

static uint64_t mix(uint64_t x) { /* splitmix64's finaliser */
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

typedef struct rng {
  uint64_t s;
} rng;

static unsigned next(rng *r, unsigned n) { /* 0..n-1 */
  r->s = mix(r->s);
  return (unsigned)((r->s >> 33) % n);
}

/* ---- a growable page -------------------------------------------------- */

typedef struct buf {
  char *p;
  size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    while (b->n + n + 1 > b->cap)
      b->cap = b->cap ? 2 * b->cap : 4096;
    b->p = realloc(b->p, b->cap);
    CHECK(b->p);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* ---- words ------------------------------------------------------------ */

static const char *const STOP[] = {
    "the", "of",   "and",   "to",   "in",    "a",    "is",   "that",
    "for", "on",   "was",   "with", "as",    "at",   "by",   "from",
    "it",  "his",  "her",   "they", "were",  "been", "has",  "have",
    "had", "but",  "not",   "this", "which", "an",   "their", "after",
    "who", "will", "would", "into", "over",  "when", "while", "also"};
enum { N_STOP = sizeof STOP / sizeof *STOP };

static const char *const SYL[] = {
    "ka", "lo", "mi",  "ten", "ra", "vo",  "shi", "der", "an",  "pe",  "tor",
    "lu", "gen", "sa", "bri", "mon", "el", "quo", "fa",  "nis", "du",  "ver",
    "ho", "zen", "ca", "ri",  "po", "lan", "ti",  "mer", "go",  "bel"};
enum { N_SYL = sizeof SYL / sizeof *SYL };

/* Content word number w of a topic: 2-3 syllables, the same every time. */
static void content_word(buf *b, uint64_t topic, unsigned w, int cap) {
  rng r = {topic * 1000003u + w};
  unsigned ns = 2 + next(&r, 2);
  for (unsigned i = 0; i < ns; i++) {
    const char *s = SYL[next(&r, N_SYL)];
    if (i == 0 && cap) {
      char up = (char)(s[0] - 'a' + 'A');
      put(b, &up, 1);
      puts_(b, s + 1);
    } else {
      puts_(b, s);
    }
  }
}

enum { TOPIC_WORDS = 64 };

/* A sentence of 8-21 words, about a third of them stop words. */
static void sentence(buf *b, rng *r, uint64_t topic) {
  unsigned n = 8 + next(r, 14);
  for (unsigned i = 0; i < n; i++) {
    if (i)
      put(b, " ", 1);
    if (next(r, 3) == 0 || (i > 0 && next(r, 4) == 0)) {
      const char *w = STOP[next(r, N_STOP)];
      if (i == 0) {
        char up = (char)(w[0] - 'a' + 'A');
        put(b, &up, 1);
        puts_(b, w + 1);
      } else {
        puts_(b, w);
      }
    } else {
      content_word(b, topic, next(r, TOPIC_WORDS), i == 0 || !next(r, 8));
    }
    if (i + 1 < n && !next(r, 12))
      put(b, ",", 1);
  }
  put(b, next(r, 10) ? "." : "?", 1);
}

static void headline(buf *b, rng *r, uint64_t topic) {
  unsigned n = 5 + next(r, 6);
  for (unsigned i = 0; i < n; i++) {
    if (i)
      put(b, " ", 1);
    if (i && !next(r, 4))
      puts_(b, STOP[next(r, N_STOP)]);
    else
      content_word(b, topic, next(r, TOPIC_WORDS), 1);
  }
  put(b, "\n", 1);
}

/* ---- pages ------------------------------------------------------------ */

static const char *const CHROME_TOP[] = {
    "Home | News | World | Sport | Business | Weather | Opinion\n",
    "Sign in\n", "Subscribe for 1 EUR a month\n", "Search\n"};
static const char *const CHROME_GAP[] = {
    "Advertisement\n", "Related stories\n", "Read more\n",
    "Share this article | Facebook | X | Email\n", "Most read\n"};
static const char *const CHROME_FOOT[] = {
    "About us | Contact | Careers | Privacy policy | Cookies\n",
    "Copyright 2024 The Daily Example. All rights reserved.\n"};

/* One article block: headline, byline, paragraphs; copy > 0 edits a word
 * in one sentence of copy (a near copy on the other page). */
static void article(buf *b, uint64_t aseed, unsigned paras, unsigned copy) {
  rng r = {aseed};
  uint64_t topic = aseed >> 16;
  headline(b, &r, topic);
  if (next(&r, 2)) {
    char line[64];
    snprintf(line, sizeof line, "By %s staff, %u March 2024\n",
             next(&r, 2) ? "our" : "wire", 1 + next(&r, 28));
    puts_(b, line);
  }
  rng edit = {aseed ^ copy};
  for (unsigned p = 0; p < paras; p++) {
    unsigned ns = 2 + next(&r, 6);
    for (unsigned s = 0; s < ns; s++) {
      if (s)
        put(b, " ", 1);
      sentence(b, &r, topic);
      if (copy && !next(&edit, 5)) {
        put(b, " ", 1);
        content_word(b, topic ^ copy, next(&edit, TOPIC_WORDS), 0);
      }
    }
    put(b, "\n", 1);
    if (!next(&r, 6)) { /* a short quote line, or a sub-heading */
      if (next(&r, 2))
        puts_(b, "\"It was not the first time.\"\n");
      else
        headline(b, &r, topic);
    }
    if (!next(&r, 4))
      put(b, "\n", 1);
  }
}

static void page(buf *b, const uint8_t *desc, size_t nd, uint64_t base,
                 unsigned pg, size_t target) {
  rng r = {base ^ (pg + 1) * 0x51ED27u};
  for (size_t i = 0; i < sizeof CHROME_TOP / sizeof *CHROME_TOP; i++)
    if (next(&r, 4))
      puts_(b, CHROME_TOP[i]);
  for (size_t i = 0; b->n < target; i++) {
    unsigned d = nd ? desc[i % nd] : next(&r, 256);
    /* Past the first cycle the same byte names a new article (a page
     * never repeats one, as a real page does not). */
    uint64_t cycle = nd ? i / nd : i;
    unsigned shared = (d & 0x80) || i == 0; /* the main story is shared */
    uint64_t aseed = mix(base ^ (d & 0x1F) ^ (cycle << 8) ^ (i << 24) ^
                         (shared ? 0 : (uint64_t)(pg + 1) << 48));
    article(b, aseed, 1 + ((d >> 5) & 3) * 3, shared ? pg : 0);
    unsigned gaps = 1 + next(&r, 2);
    for (unsigned g = 0; g < gaps; g++)
      puts_(b, CHROME_GAP[next(&r, sizeof CHROME_GAP / sizeof *CHROME_GAP)]);
  }
  for (size_t i = 0; i < sizeof CHROME_FOOT / sizeof *CHROME_FOOT; i++)
    puts_(b, CHROME_FOOT[i]);
}

/* Items of document k: "dK" first, then "dK#2", "dK#3", ... in order. */
static size_t check_names(const dedup_corpus *c, size_t at, unsigned k) {
  size_t n = dedup_corpus_item_count(c);
  char want[32];
  snprintf(want, sizeof want, "d%u", k);
  CHECK(at < n && !strcmp(dedup_corpus_item_name(c, at), want));
  at++;
  for (size_t j = 2; at < n; j++, at++) {
    snprintf(want, sizeof want, "d%u#%zu", k, j);
    if (strcmp(dedup_corpus_item_name(c, at), want))
      break;
  }
  return at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  uint8_t hd[HEADER] = {0};
  size_t skip = size < HEADER ? size : HEADER;
  memcpy(hd, data, skip);
  /* Cubed: most pages stay near 50-110 KB, so the fuzzer runs fast, and
   * byte 0 near 255 still makes the 500 KB ones. */
  size_t target = MIN_PAGE + (size_t)hd[0] * hd[0] * hd[0] *
                                 (MAX_PAGE - MIN_PAGE) / (255u * 255 * 255);
  unsigned pages = hd[1] & 4 ? 2 : 1;
  uint64_t base = 0x243F6A8885A308D3ULL;
  for (size_t i = 0; i < size; i++)
    base = mix(base ^ data[i]);
  dedup_params p = params_from(hd[1], hd[1] & 8 ? 0 : base);

  dedup_corpus *c;
  CHECK(dedup_corpus_new(&c, &p) == DEDUP_OK && c);
  for (unsigned k = 0; k < pages; k++) {
    buf b = {0};
    page(&b, data + skip, size - skip, base, k, target);
    CHECK(b.n >= MIN_PAGE && b.n <= MAX_PAGE + (64 << 10));
    char name[32];
    snprintf(name, sizeof name, "d%u", k);
    CHECK(dedup_corpus_add(c, name, b.p, b.n, NULL) == DEDUP_OK);
    free(b.p);
  }
  CHECK(dedup_corpus_run(c) == DEDUP_OK);
  fuzz_check_corpus(c);
  size_t at = 0;
  for (unsigned k = 0; k < pages; k++)
    at = check_names(c, at, k);
  CHECK(at == dedup_corpus_item_count(c));
  if (getenv("FUZZ_BIGPAGE_STATS")) /* for tuning the generator by hand */
    fprintf(stderr, "bigpage: %u pages of %zu KB: %zu items, %zu copy "
            "clusters, %zu stories\n", pages, target >> 10,
            dedup_corpus_item_count(c),
            dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY),
            dedup_corpus_cluster_count(c, DEDUP_LEVEL_STORY));
  dedup_corpus_free(c);
  return 0;
}
