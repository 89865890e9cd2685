/* page.c - main story and embedded articles of a scraped page.
 *
 * Lines are classified as in jusText: long lines dense in stop words are
 * prose ("good"), short lines and headline-shaped lines are ambiguous
 * ("short"), lines repeated in other documents of the corpus or without
 * words are chrome ("bad").  Articles are runs of good lines; a run ends
 * where two or more non-good lines stand between good ones, which is how
 * aggregator pages separate the story from "related" articles below it.
 * The first article long enough is the main story; later ones are the
 * embedded articles.  Thresholds are generic (bytes, shares of words), never
 * strings of some site. */
#include "text/page.h"

#include "common/hash.h"
#include "common/sort.h"
#include "text/shingle.h"

#include <string.h>

/* Thresholds, from jusText's defaults adapted to plain text lines. */
#define LEN_GOOD 70       /* bytes: a prose line is at least this long */
#define LEN_HEADLINE 150  /* bytes: unpunctuated lines shorter are titles */
#define STOP_GOOD 0.25    /* stop-word share of prose */
#define STOP_NEAR 0.20    /* stop-word share of nearly-prose */
#define REPEAT_MAX_WORDS 30 /* repeated lines shorter than this are chrome */
#define MAX_GAP 1         /* non-good lines allowed inside one article */
#define HEAD_LINES 3      /* lines before an article searched for a title */
#define MIN_ARTICLE_WORDS 30
#define TITLE_MIN_WORDS 4
#define TITLE_MIN_PART 3  /* words in a title's longest part (not a menu) */
#define TITLE_MAX_WORDS 25
#define TITLE_SCAN_LINES 12 /* first lines searched for "Title - Site" */

/* Salts keep line keys and title-part keys apart in one count table. */
#define SALT_LINE 0x6c696e65ULL
#define SALT_PART 0x70617274ULL

/* C_SENT: a short line shaped like a sentence (a quote, "It's insane.");
 * unlike a headline or chrome it does not end an article. */
enum { C_BLANK, C_BAD, C_SHORT, C_SENT, C_NEAR, C_GOOD };

typedef struct linfo {
  uint32_t off, len;
  uint64_t key;
  uint32_t words, stops;
  uint8_t cls;
  uint8_t rep; /* another line of the page has the same key */
  uint8_t dup; /* other documents of the corpus have it too */
} linfo;

static int reserve_linfo(dedup__page *pg, size_t n) {
  if (n > SIZE_MAX / (2 * sizeof(linfo)))
    return DEDUP_ENOMEM;
  size_t need = n * sizeof(linfo);
  if (need <= pg->scratch_cap)
    return DEDUP_OK;
  /* Geometric growth: a page of many lines must not copy quadratically. */
  need = DEDUP__MAX(need, 2 * pg->scratch_cap);
  void *p = dedup__realloc(pg->scratch, need);
  if (!p)
    return DEDUP_ENOMEM;
  pg->scratch = p;
  pg->scratch_cap = need;
  return DEDUP_OK;
}

/* Key of a run of tokens: hash of their hashes, so that case,
 * punctuation and spacing differences do not hide a repeat. */
static uint64_t tok_key(const dedup__token *t, size_t n, uint64_t seed,
                        uint64_t salt, uint32_t *stops) {
  /* A sum of independently mixed (hash, position) terms: the same keys
   * for the same token sequences as a chained hash, but no chain of
   * multiplies through the line. */
  uint64_t h = 0;
  uint32_t ns = 0;
  for (size_t i = 0; i < n; i++) {
    h += dedup__mix64(t[i].hash ^ (uint64_t)i * 0x9E3779B97F4A7C15ULL);
    ns += (t[i].flags & DEDUP__TOK_STOP) != 0;
  }
  if (stops)
    *stops = ns;
  return n ? dedup__mix64(h ^ seed ^ salt) + n : 0;
}

void dedup__span_tokens(const dedup__token *tok, size_t n_tok, dedup__span s,
                        size_t *first, size_t *end) {
  size_t lo = 0, hi = n_tok;
  while (lo < hi) { /* first token at or after the span */
    size_t mid = lo + (hi - lo) / 2;
    if (tok[mid].off < s.off)
      lo = mid + 1;
    else
      hi = mid;
  }
  *first = lo;
  uint64_t stop = (uint64_t)s.off + s.len;
  hi = n_tok;
  while (lo < hi) { /* first token at or after its end */
    size_t mid = lo + (hi - lo) / 2;
    if (tok[mid].off < stop)
      lo = mid + 1;
    else
      hi = mid;
  }
  *end = lo;
}

int dedup__span_take(dedup__tokvec *it, const dedup__tokvec *doc,
                     dedup__span sp) {
  size_t a, b;
  dedup__span_tokens(doc->v, doc->n, sp, &a, &b);
  if (a == b) /* it->v may be NULL: no NULL + 0 (UB) */
    return DEDUP_OK;
  if (dedup__grow((void **)&it->v, &it->cap, it->n, b - a, sizeof *it->v))
    return DEDUP_ENOMEM;
  memcpy(it->v + it->n, doc->v + a, (b - a) * sizeof *it->v);
  it->n += b - a;
  return DEDUP_OK;
}

int dedup__page_whole(dedup__page *pg, const char *text, size_t len) {
  pg->n_lines = 0;
  size_t pos = 0;
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    if (end > pos) {
      if (dedup__grow((void **)&pg->lines, &pg->cap_lines, pg->n_lines, 1,
                      sizeof *pg->lines))
        return DEDUP_ENOMEM;
      pg->lines[pg->n_lines++] = (dedup__span){(uint32_t)pos,
                                               (uint32_t)(end - pos)};
    }
    pos = end + 1;
  }
  if (dedup__grow((void **)&pg->arts, &pg->cap_arts, 0, 1, sizeof *pg->arts))
    return DEDUP_ENOMEM;
  pg->arts[0] = (dedup__article){{0, 0}, 0, (uint32_t)pg->n_lines, 0};
  pg->n_arts = 1;
  return DEDUP_OK;
}

/* Splits text into lines; fills pg->scratch with one linfo per line
 * (blank lines included, as C_BLANK), keys and counts from the tokens of
 * the whole text.  Returns the count or -1 on ENOMEM. */
static long split_lines(dedup__page *pg, const char *text, size_t len,
                        const dedup__token *tok, size_t n_tok,
                        uint64_t seed) {
  size_t n = 0, pos = 0, t = 0;
  while (pos <= len) {
    const char *nl = pos < len ? memchr(text + pos, '\n', len - pos) : NULL;
    size_t end = nl ? (size_t)(nl - text) : len;
    if (reserve_linfo(pg, n + 1) != DEDUP_OK)
      return -1;
    linfo *L = (linfo *)pg->scratch + n;
    memset(L, 0, sizeof *L);
    L->off = (uint32_t)pos;
    L->len = (uint32_t)(end - pos);
    L->cls = L->len ? C_BAD : C_BLANK; /* classify() decides the rest */
    size_t t0 = t;
    while (t < n_tok && tok[t].off < end)
      t++;
    if (L->len) {
      L->key = tok_key(tok + t0, t - t0, seed, SALT_LINE, &L->stops);
      L->words = (uint32_t)(t - t0);
    }
    n++;
    if (!nl)
      break;
    pos = end + 1;
  }
  return (long)n;
}

/* Separators of "Title - Site | Section": a run of - | : with spaces
 * around it.  Returns the length of the separator at s, or 0. */
static size_t separator_at(const char *s, size_t len) {
  if (len < 3 || s[0] != ' ')
    return 0;
  size_t i = 1;
  while (i < len && (s[i] == '-' || s[i] == '|' || s[i] == ':'))
    i++;
  if (i == 1 || i >= len || s[i] != ' ')
    return 0;
  return i + 1;
}

typedef int (*part_fn)(void *ctx, const char *s, size_t len, int index);

/* Calls fn for each separator-delimited part of a line. */
static int for_each_part(const char *s, size_t len, part_fn fn, void *ctx) {
  size_t start = 0;
  int index = 0;
  /* A separator starts with a space before - | or :, rare in prose: look
   * for those bytes first (a line may be a long paragraph). */
  for (size_t j = 1; j < len; j++) {
    char ch = s[j];
    if ((ch != '-' && ch != '|' && ch != ':') || s[j - 1] != ' ')
      continue;
    size_t i = j - 1, sep = separator_at(s + i, len - i);
    if (!sep)
      continue;
    int rc = fn(ctx, s + start, i - start, index++);
    if (rc != DEDUP_OK)
      return rc;
    start = i + sep;
    j = start; /* the next separator starts at start or later */
  }
  return fn(ctx, s + start, len - start, index);
}

static inline unsigned ascii_alnum(unsigned char b) {
  return ((unsigned char)((b | 0x20) - 'a') < 26) |
         ((unsigned char)(b - '0') < 10);
}

/* A lower bound on the tokens of a line, counted (in blocks, up to about
 * limit) without tokenising: an ASCII letter or digit followed by an ASCII
 * byte that is neither (or by the end) is the last byte of a token, since
 * only word characters continue one. */
static size_t min_tokens(const char *s, size_t len, size_t limit) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = 0, i = 0;
  while (i + 1 < len && n < limit) {
    size_t stop = DEDUP__MIN(len - 1, i + 64);
    unsigned m = 0;
    for (; i < stop; i++)
      m += ascii_alnum(u[i]) & (u[i + 1] < 0x80) & !ascii_alnum(u[i + 1]);
    n += m;
  }
  if (len && ascii_alnum(u[len - 1]))
    n++;
  return n;
}

typedef struct keys_ctx {
  const char *line;
  const dedup__tokvec *tv; /* the line's tokens, or NULL: tokenise parts */
  dedup__page *pg;
  dedup__u64vec *out;
  uint64_t seed;
} keys_ctx;

static int push_part_key(void *vctx, const char *s, size_t len, int index) {
  keys_ctx *k = vctx;
  if (index == 0 || len == 0)
    return DEDUP_OK; /* the first part is the title itself */
  const dedup__token *t;
  size_t a, b;
  if (k->tv) {
    t = k->tv->v;
    dedup__span_tokens(t, k->tv->n,
                       (dedup__span){(uint32_t)(s - k->line), (uint32_t)len},
                       &a, &b);
  } else {
    k->pg->tv.n = 0;
    if (dedup__tokenise(&k->pg->tv, s, len, k->seed) != DEDUP_OK)
      return DEDUP_ENOMEM;
    t = k->pg->tv.v;
    a = 0;
    b = k->pg->tv.n;
  }
  uint64_t key = tok_key(t + a, b - a, k->seed, SALT_PART, NULL);
  return key ? dedup__u64vec_push(k->out, key) : DEDUP_OK;
}

int dedup__page_keys(dedup__u64vec *out, dedup__page *pg, const char *text,
                     size_t len, uint64_t seed) {
  size_t start = out->n;
  size_t pos = 0, li = 0;
  while (pos <= len) {
    const char *nl = pos < len ? memchr(text + pos, '\n', len - pos) : NULL;
    size_t end = nl ? (size_t)(nl - text) : len;
    size_t ll = end - pos;
    int head = li < TITLE_SCAN_LINES; /* parts of these are keys too */
    keys_ctx kc = {text + pos, NULL, pg, out, seed};
    /* Lines surely too long to be looked up are not tokenised. */
    if (ll && min_tokens(text + pos, ll, REPEAT_MAX_WORDS) <
                  REPEAT_MAX_WORDS) {
      pg->tv.n = 0;
      if (dedup__tokenise(&pg->tv, text + pos, ll, seed) != DEDUP_OK)
        return DEDUP_ENOMEM;
      if (pg->tv.n < REPEAT_MAX_WORDS) {
        uint64_t key = tok_key(pg->tv.v, pg->tv.n, seed, SALT_LINE, NULL);
        if (key && dedup__u64vec_push(out, key) != DEDUP_OK)
          return DEDUP_ENOMEM;
      }
      kc.tv = &pg->tv;
    }
    if (ll && head && for_each_part(text + pos, ll, push_part_key, &kc))
      return DEDUP_ENOMEM;
    li++;
    if (!nl)
      break;
    pos = end + 1;
  }
  /* Distinct keys only: the corpus counts documents, not lines. */
  size_t m = out->n - start;
  if (m) /* out->v may still be NULL: no NULL + 0 (UB) */
    dedup__u64_sort_unique(out->v + start, &m);
  out->n = start + m;
  return DEDUP_OK;
}

static int ends_sentence(const char *s, size_t len) {
  if (strchr(".!?\"')", s[len - 1]))
    return 1;
  /* The full stops and closing quotes of other scripts (NFKC has made
   * the fullwidth ！？． ASCII already): 。」』 (CJK), । (Devanagari),
   * ؟ and ۔ (Arabic, Urdu). */
  static const char *const ends[] = {"\u3002", "\u300D", "\u300F",
                                     "\u0964", "\u061F", "\u06D4"};
  for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
    size_t n = strlen(ends[i]);
    if (len >= n && !memcmp(s + len - n, ends[i], n))
      return 1;
  }
  return 0;
}

static int headline_shaped(const char *s, size_t len) {
  return len < LEN_HEADLINE && !ends_sentence(s, len) && s[len - 1] != ':' &&
         s[len - 1] != ';';
}

/* Classifies every line (the jusText step plus context). */
static int classify(dedup__page *pg, const char *text, size_t n,
                    dedup__df_fn df, const void *ctx) {
  linfo *L = pg->scratch;
  /* Lines repeated inside the page (a title printed three times, a
   * byline) are headings, never prose.  A hash set of the page's line
   * keys finds them; keys are hashes, so their low bits index it. */
  size_t cap = 16;
  while (cap < 2 * n)
    cap *= 2;
  if (cap > pg->keys_cap) {
    /* cap keys, then the line holding each */
    uint64_t *k = dedup__realloc(pg->keys, cap * (sizeof *k +
                                                   sizeof(uint32_t)));
    if (!k)
      return DEDUP_ENOMEM;
    pg->keys = k;
    pg->keys_cap = cap;
  }
  uint64_t *keys = pg->keys;
  uint32_t *holder = (uint32_t *)(void *)(keys + cap);
  memset(keys, 0, cap * sizeof *keys);
  for (size_t i = 0; i < n; i++) {
    L[i].rep = 0;
    if (L[i].cls == C_BLANK || !L[i].key)
      continue; /* key 0: no words, never prose anyway */
    size_t h = L[i].key & (cap - 1);
    while (keys[h] && keys[h] != L[i].key)
      h = (h + 1) & (cap - 1);
    if (keys[h]) {
      L[holder[h]].rep = 1;
      L[i].rep = 1;
    } else {
      keys[h] = L[i].key;
      holder[h] = (uint32_t)i;
    }
  }

  double scale = pg->stop_scale > 0 ? pg->stop_scale : 1.0;
  double good = STOP_GOOD * scale, near = STOP_NEAR * scale;
  for (size_t i = 0; i < n; i++) {
    if (L[i].cls == C_BLANK)
      continue;
    const char *s = text + L[i].off;
    double sd = L[i].words ? (double)L[i].stops / L[i].words : 0.0;
    int in_page_repeat = L[i].rep;
    int repeated = df && L[i].words < REPEAT_MAX_WORDS &&
                   df(ctx, L[i].key) >= 2;
    L[i].dup = (uint8_t)repeated;
    if (L[i].words == 0 || repeated)
      L[i].cls = C_BAD;
    else if (in_page_repeat || headline_shaped(s, L[i].len))
      L[i].cls = C_SHORT;
    else if (L[i].len >= LEN_GOOD && sd >= good)
      L[i].cls = C_GOOD;
    else if (L[i].len < LEN_GOOD)
      L[i].cls = L[i].words >= 2 && L[i].stops && ends_sentence(s, L[i].len)
                     ? C_SENT
                     : C_SHORT;
    else if (sd >= near)
      L[i].cls = C_NEAR;
    else
      L[i].cls = C_BAD;
  }

  /* Nearly-prose lines next to prose are prose. */
  long prev = -1;
  for (size_t i = 0; i < n; i++) {
    if (L[i].cls == C_BLANK)
      continue;
    if (L[i].cls == C_NEAR) {
      size_t j = i + 1;
      while (j < n && L[j].cls == C_BLANK)
        j++;
      int pc = prev >= 0 ? L[prev].cls : C_BAD;
      int nc = j < n ? L[j].cls : C_BAD;
      if (pc == C_GOOD || pc == C_NEAR || nc == C_GOOD)
        L[i].cls = C_GOOD;
    }
    prev = (long)i;
  }
  return DEDUP_OK;
}

static int push_line(dedup__page *pg, const linfo *l) {
  if (dedup__grow((void **)&pg->lines, &pg->cap_lines, pg->n_lines, 1,
                  sizeof *pg->lines) != DEDUP_OK)
    return DEDUP_ENOMEM;
  pg->lines[pg->n_lines].off = l->off;
  pg->lines[pg->n_lines].len = l->len;
  pg->n_lines++;
  return DEDUP_OK;
}

static int push_article(dedup__page *pg, dedup__article a) {
  if (dedup__grow((void **)&pg->arts, &pg->cap_arts, pg->n_arts, 1,
                  sizeof *pg->arts) != DEDUP_OK)
    return DEDUP_ENOMEM;
  pg->arts[pg->n_arts++] = a;
  return DEDUP_OK;
}

typedef struct title_ctx {
  const dedup__token *tok;
  size_t n_tok;
  uint64_t seed;
  dedup__df_fn df;
  const void *dfctx;
  const char *base;
  dedup__span best;
} title_ctx;

/* Keeps the longest part of a title that other pages do not also carry. */
static int count_part_words(void *vctx, const char *s, size_t len,
                            int index) {
  (void)index;
  size_t *best = vctx, w = len > 0;
  for (size_t i = 0; i < len; i++)
    w += s[i] == ' ';
  if (w > *best)
    *best = w;
  return DEDUP_OK;
}

/* Words of the longest separator-delimited part: a menu ("Home | News |
 * Sport") has only short parts, a headline has a long one. */
static size_t longest_part_words(const char *s, size_t len) {
  size_t best = 0;
  for_each_part(s, len, count_part_words, &best);
  return best;
}

static int pick_part(void *vctx, const char *s, size_t len, int index) {
  title_ctx *t = vctx;
  if (len == 0)
    return DEDUP_OK;
  if (index > 0 && t->df) {
    size_t a, b;
    dedup__span_tokens(t->tok, t->n_tok,
                       (dedup__span){(uint32_t)(s - t->base), (uint32_t)len},
                       &a, &b);
    uint64_t key = tok_key(t->tok + a, b - a, t->seed, SALT_PART, NULL);
    if (key && t->df(t->dfctx, key) >= 2)
      return DEDUP_OK;
  }
  if (len > t->best.len) {
    t->best.off = (uint32_t)(s - t->base);
    t->best.len = (uint32_t)len;
  }
  return DEDUP_OK;
}

static int strip_title(const char *text, const dedup__token *tok,
                       size_t n_tok, dedup__span *title, uint64_t seed,
                       dedup__df_fn df, const void *ctx) {
  if (title->len == 0)
    return DEDUP_OK;
  title_ctx t = {tok, n_tok, seed, df, ctx, text, {0, 0}};
  if (for_each_part(text + title->off, title->len, pick_part, &t))
    return DEDUP_ENOMEM;
  if (t.best.len)
    *title = t.best;
  return DEDUP_OK;
}

/* Whole page as one article: the fallback that never loses text of its
 * own.  For pages whose prose the stop words cannot tell
 * (pg->blind_prose: a language without a list, Thai, whose words the
 * cleaner does not see), short lines other documents of the corpus carry
 * too are left out all the same: that evidence is the same in every
 * language (menus, footers).  Not for others: there the fallback takes
 * pages too short to be an article, and a short page's line found in
 * other documents is its copy, not chrome.  Its first line is the title and the rest the body (the first line was
 * once both, so its words counted twice and explain's passages could run
 * backwards from the body into the title). */
static int whole_page(dedup__page *pg, size_t n) {
  const linfo *L = pg->scratch;
  dedup__article a = {{0, 0}, 0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    if (L[i].cls == C_BLANK || L[i].words == 0 ||
        (L[i].dup && pg->blind_prose))
      continue;
    if (a.title.len == 0 && !pg->given_title) {
      a.title.off = L[i].off;
      a.title.len = L[i].len;
      continue;
    }
    if (push_line(pg, &L[i]) != DEDUP_OK)
      return DEDUP_ENOMEM;
    a.count++;
    a.words += L[i].words;
  }
  return a.title.len || a.count ? push_article(pg, a) : DEDUP_OK;
}

int dedup__page_parse(dedup__page *pg, const char *text, size_t len,
                      uint64_t seed, dedup__df_fn df, const void *ctx) {
  pg->tv.n = 0;
  if (dedup__tokenise(&pg->tv, text, len, seed) != DEDUP_OK)
    return DEDUP_ENOMEM;
  return dedup__page_parse_tokens(pg, text, len, pg->tv.v, pg->tv.n, seed,
                                  df, ctx);
}

int dedup__page_parse_tokens(dedup__page *pg, const char *text, size_t len,
                             const dedup__token *tok, size_t n_tok,
                             uint64_t seed, dedup__df_fn df,
                             const void *ctx) {
  pg->n_arts = pg->n_lines = 0;
  long nl = split_lines(pg, text, len, tok, n_tok, seed);
  if (nl < 0)
    return DEDUP_ENOMEM;
  size_t n = (size_t)nl;
  if (classify(pg, text, n, df, ctx) != DEDUP_OK)
    return DEDUP_ENOMEM;
  const linfo *L = pg->scratch;

  /* Walk the lines, cutting articles at gaps of non-good lines.  The
   * short lines just before an article are its head (title candidates);
   * short lines inside it (sub-headings) belong to its body. */
  long cur = -1;      /* index in pg->arts of the open article */
  size_t gap = 0;     /* non-good lines since the last good one */
  size_t pend[HEAD_LINES + MAX_GAP + 1];
  size_t npend = 0;   /* the last few non-good lines */
  for (size_t i = 0; i < n; i++) {
    if (L[i].cls == C_BLANK)
      continue;
    if (L[i].cls != C_GOOD) {
      gap += L[i].cls == C_BAD || L[i].cls == C_SHORT;
      if (npend == sizeof pend / sizeof *pend) {
        memmove(pend, pend + 1, (npend - 1) * sizeof *pend);
        npend--;
      }
      pend[npend++] = i;
      continue;
    }
    if (cur < 0 || gap > MAX_GAP) {
      dedup__article a = {{0, 0}, (uint32_t)pg->n_lines, 0, 0};
      /* Title: the last short line of the head. */
      for (size_t k = npend; k-- > 0;) {
        size_t j = pend[k];
        if (L[j].cls == C_SHORT || L[j].cls == C_NEAR || L[j].cls == C_SENT) {
          a.title.off = L[j].off;
          a.title.len = L[j].len;
          break;
        }
      }
      if (push_article(pg, a) != DEDUP_OK)
        return DEDUP_ENOMEM;
      cur = (long)pg->n_arts - 1;
    } else {
      for (size_t k = 0; k < npend; k++) {
        size_t j = pend[k];
        if (L[j].cls == C_BAD)
          continue;
        if (push_line(pg, &L[j]) != DEDUP_OK)
          return DEDUP_ENOMEM;
        pg->arts[cur].count++;
        pg->arts[cur].words += L[j].words;
      }
    }
    if (push_line(pg, &L[i]) != DEDUP_OK)
      return DEDUP_ENOMEM;
    pg->arts[cur].count++;
    pg->arts[cur].words += L[i].words;
    gap = 0;
    npend = 0;
  }

  /* Keep the articles long enough to be one, in page order. */
  size_t kept = 0;
  for (size_t a = 0; a < pg->n_arts; a++)
    if (pg->arts[a].words >= MIN_ARTICLE_WORDS)
      pg->arts[kept++] = pg->arts[a];
  pg->n_arts = kept;
  if (kept == 0) {
    pg->n_lines = 0;
    return whole_page(pg, n);
  }

  /* The main story's title: the first line of sensible title length
   * above its body (pages open with their headline), else its head. */
  dedup__article *m = &pg->arts[0];
  if (pg->given_title) {
    m->title.len = 0;
    return DEDUP_OK;
  }
  uint32_t body_off = pg->lines[m->first].off;
  for (size_t i = 0; i < n && L[i].off < body_off; i++) {
    if (L[i].cls == C_BLANK)
      continue;
    if (L[i].words >= TITLE_MIN_WORDS &&
        L[i].words <= TITLE_MAX_WORDS &&
        longest_part_words(text + L[i].off, L[i].len) >= TITLE_MIN_PART) {
      m->title.off = L[i].off;
      m->title.len = L[i].len;
      break;
    }
  }
  return strip_title(text, tok, n_tok, &m->title, seed, df, ctx);
}

void dedup__page_free(dedup__page *pg) {
  dedup__free(pg->arts);
  dedup__free(pg->lines);
  dedup__tokvec_free(&pg->tv);
  dedup__free(pg->scratch);
  dedup__free(pg->keys);
  memset(pg, 0, sizeof *pg);
}
