/*
 * gen.c - dedup-gen: a seeded, deterministic synthetic news corpus with
 * known near-duplicate groups, for dedup-bench.
 *
 *   dedup-gen --seeds seeds/ --n 100000 --out /tmp/c.pack \
 *             --truth /tmp/truth.tsv --seed 1
 *
 * The seed pages hold only ~30 KB of prose, far too little to copy from, so
 * base articles are sampled from a word bigram (Markov) model trained on
 * that prose: same vocabulary and word distribution, fresh word order.  A
 * small chance of jumping to a random word (by unigram frequency) breaks
 * the long verbatim chains a small training text would otherwise produce,
 * so unrelated articles share few 5-shingles.
 *
 * A share of the documents (default 30%) are near-copies of a base (1-5 per
 * base), as syndication produces them: another site's chrome (menu, byline,
 * date, share buttons, related links), the tail cut (70-95% kept), a few
 * words of one or two sentences replaced, sometimes two paragraphs swapped
 * or the title retouched, sometimes typographic quotes.
 *
 * Every document is a pure function of (--seed, its index): its layout
 * slot, its base article and its edits each come from their own PRNG
 * stream, so any document can be rebuilt alone (copies rebuild their base)
 * and the output does not depend on the order of work.
 *
 * Output: a pack, one "#DOC <name> <nbytes>\n" header then exactly nbytes
 * of text per document; and/or --dir DIR with one file per document; and a
 * truth TSV "name<TAB>group" (group = base id, singletons alone).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <xxhash.h>

/* Bumped whenever the same options give different bytes, so cached corpora
 * (bench/run.sh, bench-n.sh) are not reused across versions. */
#define GEN_FORMAT 2

/* ------------------------------------------------------------------------ */
/* Small utilities                                                           */

static void die(const char *what) {
  fprintf(stderr, "dedup-gen: %s\n", what);
  exit(1);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    die("out of memory");
  return q;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct u32vec {
  uint32_t *v;
  size_t n, cap;
} u32vec;

static void u32_push(u32vec *a, uint32_t x) {
  if (a->n == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 64;
    a->v = xrealloc(a->v, a->cap * sizeof *a->v);
  }
  a->v[a->n++] = x;
}

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_reserve(sbuf *b, size_t extra) {
  if (b->n + extra + 1 > b->cap) {
    size_t c = b->cap ? b->cap : 4096;
    while (c < b->n + extra + 1)
      c *= 2;
    b->p = xrealloc(b->p, c);
    b->cap = c;
  }
}

static void sb_put(sbuf *b, const char *s, size_t n) {
  sb_reserve(b, n);
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_putc(sbuf *b, char c) { sb_put(b, &c, 1); }

static void sb_putu(sbuf *b, unsigned v) {
  char t[16];
  int n = snprintf(t, sizeof t, "%u", v);
  sb_put(b, t, (size_t)n);
}

/* ------------------------------------------------------------------------ */
/* PRNG: splitmix64, one stream per (tag, id)                                */

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

static uint64_t rng_next(rng *r) {
  r->s += 0x9e3779b97f4a7c15ULL;
  return mix64(r->s);
}

/* Uniform in [0, n) by multiply-high (Lemire); bias < 2^-32, irrelevant. */
static uint32_t rng_below(rng *r, uint32_t n) {
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double rng_unit(rng *r) {
  return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

enum {
  TAG_LAYOUT = 1,
  TAG_BASE = 2,
  TAG_BASE_PAGE = 3,
  TAG_COPY = 4,
  TAG_SITE = 5,
  TAG_STATS = 6
};

/* Streams for different (tag, id) start far apart in splitmix64's single
 * 2^64 cycle (the start is a hash), so they do not overlap in practice. */
static rng stream(uint64_t seed, uint64_t tag, uint64_t id) {
  rng r;
  r.s = mix64(mix64(seed ^ 0x243f6a8885a308d3ULL) ^ (tag << 56) ^ id);
  return r;
}

/* ------------------------------------------------------------------------ */
/* Bigram model                                                              */

#define W_PERIOD 0x80000000u /* render: append '.' (sentence forced to end) */
#define W_ID 0x7fffffffu

typedef struct model {
  sbuf str;         /* token bytes, back to back */
  u32vec off, len;  /* per token id: offset and length in str */
  u32vec is_end;    /* per token id: 1 if it ends a sentence */
  u32vec succ_beg;  /* CSR: successors of id are succ[succ_beg[id]..[id+1]) */
  u32vec succ;
  u32vec starts;    /* sentence-initial token ids (with multiplicity) */
  u32vec pool;      /* mid-sentence token ids (unigram frequency) */
  uint32_t *table;  /* intern hash table: id + 1, 0 = empty */
  size_t table_cap;
  double jump;      /* chance of a random jump instead of a successor */
} model;

static uint64_t tok_hash(const char *s, size_t n) {
  return XXH3_64bits(s, n);
}

static uint32_t intern(model *m, const char *s, size_t n) {
  if ((m->off.n + 1) * 2 > m->table_cap) {
    size_t cap = m->table_cap ? m->table_cap * 2 : 4096;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
      die("out of memory");
    for (size_t id = 0; id < m->off.n; id++) {
      size_t h = (size_t)tok_hash(m->str.p + m->off.v[id], m->len.v[id]);
      while (t[h & (cap - 1)])
        h++;
      t[h & (cap - 1)] = (uint32_t)id + 1;
    }
    free(m->table);
    m->table = t;
    m->table_cap = cap;
  }
  size_t h = (size_t)tok_hash(s, n);
  for (;; h++) {
    uint32_t e = m->table[h & (m->table_cap - 1)];
    if (!e)
      break;
    if (m->len.v[e - 1] == n && !memcmp(m->str.p + m->off.v[e - 1], s, n))
      return e - 1;
  }
  uint32_t id = (uint32_t)m->off.n;
  m->table[h & (m->table_cap - 1)] = id + 1;
  u32_push(&m->off, (uint32_t)m->str.n);
  u32_push(&m->len, (uint32_t)n);
  sb_put(&m->str, s, n);
  return id;
}

/* Does this token end a sentence?  A final . ! or ? (before closing quotes
 * or brackets), except abbreviations: "U.S.", "p.m." (inner dot), single
 * capitals ("J."), and a short list of titles. */
static int ends_sentence(const char *s, size_t n) {
  static const char *const abbr[] = {
      "Mr.",  "Mrs.", "Ms.",  "Dr.",  "Rep.", "Sen.", "Gov.", "Gen.",
      "St.",  "Jr.",  "Sr.",  "Inc.", "Co.",  "Corp.", "Ltd.", "vs.",
      "No.",  "Jan.", "Feb.", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
      "Lt.",  "Col.", "Prof.", "Rev.", "Mt.",  "etc.", "approx."};
  while (n > 0 && strchr("'\")]", s[n - 1]))
    n--;
  /* closing curly quotes: U+2019 and U+201D end in 0x99 / 0x9D */
  while (n >= 3 && (unsigned char)s[n - 3] == 0xe2 &&
         (unsigned char)s[n - 2] == 0x80 &&
         ((unsigned char)s[n - 1] == 0x99 || (unsigned char)s[n - 1] == 0x9d))
    n -= 3;
  if (n == 0 || !strchr(".!?", s[n - 1]))
    return 0;
  if (s[n - 1] != '.')
    return 1;
  if (memchr(s, '.', n - 1))
    return 0; /* inner dot: U.S., p.m., 3.5. */
  if (n == 2 && s[0] >= 'A' && s[0] <= 'Z')
    return 0;
  for (size_t i = 0; i < sizeof abbr / sizeof abbr[0]; i++)
    if (strlen(abbr[i]) == n && !memcmp(abbr[i], s, n))
      return 0;
  return 1;
}

static int ends_punct(const model *m, uint32_t id) {
  char c = m->str.p[m->off.v[id] + m->len.v[id] - 1];
  return strchr(".!?:;,'\")", c) != NULL;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *p = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 65536;
      p = xrealloc(p, cap + 1);
    }
    size_t got = fread(p + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  fclose(f);
  p[n] = '\0';
  *len = n;
  return p;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Trains on every line of the seed pages with at least 8 words: article
 * prose, not menus or buttons.  Repeated lines (headlines shown twice) are
 * used once. */
static size_t model_train(model *m, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "dedup-gen: cannot open seeds dir %s: %s\n", dir,
            strerror(errno));
    exit(1);
  }
  char **names = NULL;
  size_t nn = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    if (l > 4 && !strcmp(e->d_name + l - 4, ".txt")) {
      names = xrealloc(names, (nn + 1) * sizeof *names);
      names[nn++] = strdup(e->d_name);
    }
  }
  closedir(d);
  if (nn == 0)
    die("no *.txt files in the seeds dir");
  qsort(names, nn, sizeof *names, cmp_str);

  u32vec seen = {0}, line = {0};
  u32vec succ_from = {0}, succ_to = {0};
  size_t words = 0;
  for (size_t fi = 0; fi < nn; fi++) {
    sbuf path = {0};
    sb_puts(&path, dir);
    sb_putc(&path, '/');
    sb_puts(&path, names[fi]);
    size_t len;
    char *text = read_file(path.p, &len);
    if (!text)
      die("cannot read a seed file");
    char *p = text, *end = text + len;
    while (p < end) {
      char *nl = memchr(p, '\n', (size_t)(end - p));
      char *le = nl ? nl : end;
      /* tokens: runs of non-blank bytes */
      size_t ntok = 0;
      for (char *q = p; q < le;) {
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
          q++;
        if (q < le)
          ntok++;
        while (q < le && !(*q == ' ' || *q == '\t' || *q == '\r'))
          q++;
      }
      uint32_t lh = (uint32_t)tok_hash(p, (size_t)(le - p));
      int dup = 0;
      for (size_t i = 0; i < seen.n; i++)
        dup |= seen.v[i] == lh;
      if (ntok >= 8 && !dup) {
        u32_push(&seen, lh);
        line.n = 0;
        for (char *q = p; q < le;) {
          while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
          char *ts = q;
          while (q < le && !(*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
          if (q > ts) {
            size_t tl = (size_t)(q - ts);
            uint32_t id = intern(m, ts, tl);
            while (m->is_end.n < m->off.n)
              u32_push(&m->is_end, (uint32_t)ends_sentence(ts, tl));
            u32_push(&line, id);
          }
        }
        words += line.n;
        int at_start = 1;
        for (size_t i = 0; i < line.n; i++) {
          uint32_t id = line.v[i];
          if (at_start)
            u32_push(&m->starts, id);
          else if (!m->is_end.v[id])
            u32_push(&m->pool, id);
          if (!m->is_end.v[id] && i + 1 < line.n) {
            u32_push(&succ_from, id);
            u32_push(&succ_to, line.v[i + 1]);
          }
          at_start = m->is_end.v[id] != 0;
        }
      }
      p = le + 1;
    }
    free(text);
    free(path.p);
    free(names[fi]);
  }
  free(names);
  free(seen.v);
  free(line.v);
  if (m->starts.n == 0 || m->pool.n == 0)
    die("the seed pages hold no prose to train on");

  /* counting sort of the (from, to) pairs into CSR; keeps text order */
  size_t nv = m->off.n;
  m->succ_beg.v = calloc(nv + 1, sizeof(uint32_t));
  if (!m->succ_beg.v)
    die("out of memory");
  m->succ_beg.n = nv + 1;
  for (size_t i = 0; i < succ_from.n; i++)
    m->succ_beg.v[succ_from.v[i] + 1]++;
  for (size_t i = 0; i < nv; i++)
    m->succ_beg.v[i + 1] += m->succ_beg.v[i];
  m->succ.v = xrealloc(NULL, (succ_from.n + 1) * sizeof(uint32_t));
  m->succ.n = succ_from.n;
  u32vec fill = {0};
  fill.v = xrealloc(NULL, (nv + 1) * sizeof(uint32_t));
  memcpy(fill.v, m->succ_beg.v, nv * sizeof(uint32_t));
  for (size_t i = 0; i < succ_from.n; i++)
    m->succ.v[fill.v[succ_from.v[i]]++] = succ_to.v[i];
  free(fill.v);
  free(succ_from.v);
  free(succ_to.v);
  return words;
}

static void model_free(model *m) {
  free(m->str.p);
  free(m->off.v);
  free(m->len.v);
  free(m->is_end.v);
  free(m->succ_beg.v);
  free(m->succ.v);
  free(m->starts.v);
  free(m->pool.v);
  free(m->table);
}

/* Appends one sentence of minw..maxw words to w (retrying a few times when
 * the chain ends too early). */
static void gen_sentence(const model *m, rng *r, u32vec *w, unsigned minw,
                         unsigned maxw) {
  size_t mark = w->n;
  for (int tries = 0;; tries++) {
    w->n = mark;
    uint32_t id = m->starts.v[rng_below(r, (uint32_t)m->starts.n)];
    u32_push(w, id);
    for (;;) {
      if (m->is_end.v[id])
        break;
      uint32_t b = m->succ_beg.v[id], ns = m->succ_beg.v[id + 1] - b;
      if (w->n - mark >= maxw || ns == 0) {
        if (!ends_punct(m, id) || w->n - mark >= maxw)
          w->v[w->n - 1] |= W_PERIOD;
        break;
      }
      if (rng_unit(r) < m->jump) {
        id = m->pool.v[rng_below(r, (uint32_t)m->pool.n)];
      } else {
        id = m->succ.v[b + rng_below(r, ns)];
        /* past ~20 words, look a little harder for a full stop: chains
         * rarely hit one by chance, and news sentences average ~20-25
         * words */
        for (int t = 0; t < 3 && w->n - mark >= 20 && !m->is_end.v[id]; t++)
          id = m->succ.v[b + rng_below(r, ns)];
      }
      u32_push(w, id);
    }
    if (w->n - mark >= minw || tries >= 4)
      return;
  }
}

/* ------------------------------------------------------------------------ */
/* Articles                                                                  */

/* Body words w; sentence k is w[s[k]..s[k+1]); paragraph j is sentences
 * s-index p[j]..p[j+1].  Both s and p end with a sentinel. */
typedef struct article {
  u32vec w, s, p, title;
} article;

static void art_clear(article *a) {
  a->w.n = a->s.n = a->p.n = a->title.n = 0;
}

static void art_free(article *a) {
  free(a->w.v);
  free(a->s.v);
  free(a->p.v);
  free(a->title.v);
}

typedef struct gen_opts {
  uint64_t seed;
  unsigned min_words, max_words;
  unsigned max_copies;
  unsigned sites;
  double copy_share;
} gen_opts;

static void gen_base(const model *m, const gen_opts *o, uint32_t base,
                     article *a) {
  rng r = stream(o->seed, TAG_BASE, base);
  art_clear(a);
  /* length skewed towards short (cube of a uniform): many 300-500 word
   * stories, a tail up to max_words */
  double u = rng_unit(&r);
  size_t span = o->max_words - o->min_words;
  size_t target = o->min_words + (size_t)((double)span * u * u * u);
  gen_sentence(m, &r, &a->title, 6, 6 + rng_below(&r, 7));
  while (a->w.n < target) {
    u32_push(&a->p, (uint32_t)a->s.n);
    unsigned ns = 2 + rng_below(&r, 5);
    for (unsigned k = 0; k < ns && a->w.n < target; k++) {
      u32_push(&a->s, (uint32_t)a->w.n);
      gen_sentence(m, &r, &a->w, 6, 40);
    }
  }
  u32_push(&a->p, (uint32_t)a->s.n);
  u32_push(&a->s, (uint32_t)a->w.n);
}

typedef struct copy_info {
  double keep;    /* share of base body words kept */
  int reordered;  /* two paragraphs swapped */
  unsigned edits; /* words replaced */
} copy_info;

/* Near-copy c of base a: tail cut, paragraphs maybe swapped, a few words of
 * one or two sentences replaced, title maybe retouched. */
static void make_copy(const model *m, rng *r, const article *a, article *c,
                      copy_info *info) {
  art_clear(c);
  size_t nsent = a->s.n - 1, npara = a->p.n - 1;
  /* keep 70-95%, more often near 95%: most syndicated copies lose only a
   * last paragraph or a sign-off; a few are cut hard */
  double u = rng_unit(r);
  double keep = 0.95 - 0.25 * u * u;
  size_t target = (size_t)(keep * (double)a->w.n);
  /* cut at the sentence boundary nearest the target, keeping >= 1 */
  size_t cut = 1;
  while (cut < nsent && a->s.v[cut + 1] <= target)
    cut++;
  if (cut < nsent && a->s.v[cut] < target &&
      target - a->s.v[cut] > a->s.v[cut + 1] - target)
    cut++;
  /* paragraphs that keep at least one sentence */
  size_t np = 0;
  while (np < npara && a->p.v[np] < cut)
    np++;
  size_t swap_at = SIZE_MAX;
  info->reordered = 0;
  if (np >= 3 && rng_unit(r) < 0.3) {
    /* the lede stays first; swap two later full paragraphs */
    size_t full = np - 1; /* last kept one may be cut short */
    if (full >= 3) {
      swap_at = 1 + rng_below(r, (uint32_t)(full - 2));
      info->reordered = 1;
    }
  }
  for (size_t j = 0; j < np; j++) {
    size_t src = j;
    if (j == swap_at)
      src = j + 1;
    else if (swap_at != SIZE_MAX && j == swap_at + 1)
      src = j - 1;
    u32_push(&c->p, (uint32_t)c->s.n);
    size_t s_end = a->p.v[src + 1] < cut ? a->p.v[src + 1] : cut;
    for (size_t s = a->p.v[src]; s < s_end; s++) {
      u32_push(&c->s, (uint32_t)c->w.n);
      for (size_t i = a->s.v[s]; i < a->s.v[s + 1]; i++)
        u32_push(&c->w, a->w.v[i]);
    }
  }
  u32_push(&c->p, (uint32_t)c->s.n);
  u32_push(&c->s, (uint32_t)c->w.n);
  info->keep = (double)c->w.n / (double)a->w.n;

  /* a sentence or two edited: 1-3 inner words replaced each */
  info->edits = 0;
  unsigned nedit = rng_unit(r) < 0.3 ? 2 : 1;
  size_t cs = c->s.n - 1;
  for (unsigned e = 0; e < nedit; e++) {
    size_t s = rng_below(r, (uint32_t)cs);
    size_t b = c->s.v[s], len = c->s.v[s + 1] - b;
    if (len < 3)
      continue;
    unsigned nrep = 1 + rng_below(r, 3);
    for (unsigned k = 0; k < nrep; k++) {
      size_t i = b + 1 + rng_below(r, (uint32_t)(len - 2));
      c->w.v[i] = (c->w.v[i] & W_PERIOD) |
                  m->pool.v[rng_below(r, (uint32_t)m->pool.n)];
      info->edits++;
    }
  }
  for (size_t i = 0; i < a->title.n; i++)
    u32_push(&c->title, a->title.v[i]);
  if (c->title.n > 2 && rng_unit(r) < 0.2) {
    size_t i = 1 + rng_below(r, (uint32_t)(c->title.n - 2));
    c->title.v[i] = m->pool.v[rng_below(r, (uint32_t)m->pool.n)];
  }
}

/* ------------------------------------------------------------------------ */
/* Sites: chrome around the article                                          */

static const char *const name_a[] = {
    "The Daily", "Metro",    "Morning", "Evening",  "National", "City",
    "Global",    "Coastal",  "Valley",  "Northern", "Southern", "Capital",
    "Weekly",    "Midland",  "Western", "Eastern",  "Harbour",  "County"};
static const char *const name_b[] = {
    "Herald",   "Post",     "Times",   "Tribune", "Gazette", "Chronicle",
    "Courier",  "Observer", "Ledger",  "Journal", "Wire",    "News",
    "Standard", "Express",  "Monitor", "Record",  "Star",    "Dispatch"};
static const char *const sections[] = {
    "Home",     "News",        "World",   "Politics", "Business", "Money",
    "Sport",    "Football",    "Opinion", "Culture",  "Lifestyle", "Travel",
    "Science",  "Technology",  "Health",  "Weather",  "Video",    "Podcasts",
    "Local",    "Environment", "Royals",  "Crime",    "Education", "Puzzles"};
static const char *const menu_sep[] = {" | ", " · ", "  ", " / "};
static const char *const extras[] = {
    "Subscribe", "Sign in", "Search", "Menu", "Edition: UK", "Live",
    "Newsletters", "Log in", "Register", "Today's paper"};
static const char *const footers[] = {
    "Share this article",
    "Share on Facebook  Share on Twitter  Share via Email",
    "Sign up for our daily newsletter",
    "Most read",
    "Comments are closed for this article.",
    "Read more",
    "Advertisement",
    "Follow us on Facebook, Twitter and Instagram",
    "Terms of use | Privacy policy | Cookie settings",
    "Report an error",
    "Get the app",
    "Back to top"};
static const char *const related_tag[] = {"Related:", "MORE:", "Read next:",
                                          "Also read:"};
static const char *const first_names[] = {
    "James", "Mary",  "John",   "Patricia", "Robert", "Jennifer", "Michael",
    "Linda", "David", "Sarah",  "Daniel",   "Emma",   "Thomas",   "Laura",
    "Mark",  "Anna",  "Paul",   "Helen",    "Peter",  "Rachel",   "Simon",
    "Kate",  "Oliver", "Sophie", "Ahmed",   "Priya",  "Chen",     "Lucia"};
static const char *const last_names[] = {
    "Smith",  "Jones",  "Taylor", "Brown",   "Williams", "Wilson", "Evans",
    "Thomas", "Roberts", "Walker", "Wright", "Thompson", "White",  "Hughes",
    "Green",  "Hall",   "Wood",   "Clarke",  "Jackson",  "Hill",   "Moore",
    "Khan",   "Patel",  "Garcia", "Novak",   "Kowalski", "Murphy", "Kelly"};
static const char *const months[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

typedef struct site {
  uint32_t id;
  unsigned name_a, name_b;
  unsigned menu[9], nmenu, sep;
  unsigned extra[3], nextra;
  unsigned foot[5], nfoot;
  unsigned date_style, byline_style, related;
  int tight;  /* paragraphs separated by one line break, not a blank line */
  int curly;  /* typographic apostrophes */
} site;

static void pick_distinct(rng *r, unsigned *out, unsigned n, unsigned of) {
  for (unsigned i = 0; i < n; i++) {
    unsigned v;
    int again;
    do {
      v = rng_below(r, of);
      again = 0;
      for (unsigned j = 0; j < i; j++)
        again |= out[j] == v;
    } while (again);
    out[i] = v;
  }
}

static void make_site(const gen_opts *o, uint32_t id, site *s) {
  rng r = stream(o->seed, TAG_SITE, id);
  s->id = id;
  s->name_a = rng_below(&r, NELEM(name_a));
  s->name_b = rng_below(&r, NELEM(name_b));
  s->nmenu = 4 + rng_below(&r, 5);
  pick_distinct(&r, s->menu, s->nmenu, NELEM(sections));
  s->sep = rng_below(&r, NELEM(menu_sep));
  s->nextra = rng_below(&r, 4);
  pick_distinct(&r, s->extra, s->nextra, NELEM(extras));
  s->nfoot = 2 + rng_below(&r, 3);
  pick_distinct(&r, s->foot, s->nfoot, NELEM(footers));
  s->date_style = rng_below(&r, 4);
  s->byline_style = rng_below(&r, 3);
  s->related = rng_unit(&r) < 0.6 ? 0 : 1 + rng_below(&r, 2);
  s->tight = rng_unit(&r) < 0.25;
  s->curly = rng_unit(&r) < 0.2;
}

static void put_site_name(sbuf *b, const site *s) {
  sb_puts(b, name_a[s->name_a]);
  sb_putc(b, ' ');
  sb_puts(b, name_b[s->name_b]);
}

/* Renders a token; curly sites print U+2019 for the apostrophe. */
static void put_word(sbuf *b, const model *m, uint32_t w, int curly) {
  uint32_t id = w & W_ID;
  const char *t = m->str.p + m->off.v[id];
  size_t n = m->len.v[id];
  if (curly && memchr(t, '\'', n)) {
    for (size_t i = 0; i < n; i++) {
      if (t[i] == '\'')
        sb_put(b, "\xe2\x80\x99", 3);
      else
        sb_putc(b, t[i]);
    }
  } else {
    sb_put(b, t, n);
  }
  if (w & W_PERIOD)
    sb_putc(b, '.');
}

static void put_words(sbuf *b, const model *m, const uint32_t *w, size_t n,
                      int curly) {
  for (size_t i = 0; i < n; i++) {
    if (i)
      sb_putc(b, ' ');
    put_word(b, m, w[i], curly);
  }
}

/* A title: the words without the final full stop. */
static void put_title(sbuf *b, const model *m, const u32vec *t, int curly) {
  size_t mark = b->n;
  put_words(b, m, t->v, t->n, curly);
  while (b->n > mark && strchr(".!?", b->p[b->n - 1]))
    b->n--;
  b->p[b->n] = '\0';
}

static void put_body(sbuf *b, const model *m, const article *a, int tight,
                     int curly) {
  for (size_t j = 0; j + 1 < a->p.n; j++) {
    if (j)
      sb_puts(b, tight ? "\n" : "\n\n");
    for (size_t s = a->p.v[j]; s < a->p.v[j + 1]; s++) {
      if (s > a->p.v[j])
        sb_putc(b, ' ');
      put_words(b, m, a->w.v + a->s.v[s], a->s.v[s + 1] - a->s.v[s], curly);
    }
  }
}

/* The whole page: site chrome, title, byline/date, body, related links,
 * footer.  r supplies the per-page parts (author, date, related titles). */
static void render_page(sbuf *b, const model *m, const site *s, rng *r,
                        const article *a) {
  b->n = 0;
  sb_reserve(b, 0);
  b->p[0] = '\0';
  put_site_name(b, s);
  sb_putc(b, '\n');
  for (unsigned i = 0; i < s->nmenu; i++) {
    if (i)
      sb_puts(b, menu_sep[s->sep]);
    sb_puts(b, sections[s->menu[i]]);
  }
  sb_putc(b, '\n');
  for (unsigned i = 0; i < s->nextra; i++) {
    sb_puts(b, extras[s->extra[i]]);
    sb_puts(b, i + 1 < s->nextra ? "  " : "\n");
  }
  sb_putc(b, '\n');
  put_title(b, m, &a->title, s->curly);
  sb_puts(b, "\n\n");

  unsigned day = 1 + rng_below(r, 28), mon = rng_below(r, 12);
  unsigned year = 2024 + rng_below(r, 2), hh = rng_below(r, 24);
  unsigned mm = rng_below(r, 60);
  const char *fn = first_names[rng_below(r, NELEM(first_names))];
  const char *ln = last_names[rng_below(r, NELEM(last_names))];
  char line[160];
  switch (s->byline_style) {
  case 0:
    snprintf(line, sizeof line, "By %s %s\n", fn, ln);
    break;
  case 1:
    snprintf(line, sizeof line, "By %s %s, Staff Reporter\n", fn, ln);
    break;
  default:
    snprintf(line, sizeof line, "%s %s | %s %s\n", fn, ln, name_a[s->name_a],
             name_b[s->name_b]);
    break;
  }
  sb_puts(b, line);
  switch (s->date_style) {
  case 0:
    snprintf(line, sizeof line, "Published %u %s %u, %02u:%02u\n", day,
             months[mon], year, hh, mm);
    break;
  case 1:
    snprintf(line, sizeof line, "%u-%02u-%02u %02u:%02u GMT\n", year, mon + 1,
             day, hh, mm);
    break;
  case 2:
    snprintf(line, sizeof line, "%s %u, %u\n", months[mon], day, year);
    break;
  default:
    snprintf(line, sizeof line, "Updated: %02u/%02u/%u\n", day, mon + 1, year);
    break;
  }
  sb_puts(b, line);
  sb_putc(b, '\n');

  put_body(b, m, a, s->tight, s->curly);
  sb_puts(b, "\n\n");

  u32vec tw = {0};
  for (unsigned i = 0; i < s->related; i++) {
    tw.n = 0;
    gen_sentence(m, r, &tw, 5, 5 + rng_below(r, 5));
    sb_puts(b, related_tag[(s->id + i) % NELEM(related_tag)]);
    sb_putc(b, ' ');
    put_title(b, m, &tw, s->curly);
    sb_putc(b, '\n');
  }
  free(tw.v);
  for (unsigned i = 0; i < s->nfoot; i++) {
    sb_puts(b, footers[s->foot[i]]);
    sb_putc(b, '\n');
  }
  sb_puts(b, "\xc2\xa9 ");
  sb_putu(b, year);
  sb_putc(b, ' ');
  put_site_name(b, s);
  sb_puts(b, ". All rights reserved.\n");
}

/* ------------------------------------------------------------------------ */
/* Layout: which document is what                                            */

/* slot = base << 8 | j; j = 0 the base itself, 1..max_copies its copies */
typedef struct layout {
  uint64_t *slot;
  size_t n;
  uint32_t n_base, n_with_copies;
  size_t n_copies;
} layout;

static void make_layout(const gen_opts *o, size_t n, layout *l) {
  rng r = stream(o->seed, TAG_LAYOUT, 0);
  size_t n_copies = (size_t)llround(o->copy_share * (double)n);
  size_t n_base = n - n_copies;
  l->slot = malloc(n * sizeof *l->slot);
  if (!l->slot && n)
    die("out of memory");
  size_t k = 0, left = n_copies;
  uint32_t b = 0;
  for (; b < n_base; b++) {
    l->slot[k++] = (uint64_t)b << 8;
    if (left) {
      unsigned c = 1 + rng_below(&r, o->max_copies);
      if (c > left)
        c = (unsigned)left;
      for (unsigned j = 1; j <= c; j++)
        l->slot[k++] = (uint64_t)b << 8 | j;
      left -= c;
      l->n_with_copies = b + 1;
    }
  }
  if (left)
    die("--copy-share too high for --max-copies");
  /* Fisher-Yates: copies land anywhere, not next to their base */
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(((rng_next(&r) >> 11) * (double)i) * 0x1.0p-53);
    uint64_t t = l->slot[i - 1];
    l->slot[i - 1] = l->slot[j];
    l->slot[j] = t;
  }
  l->n = n;
  l->n_base = (uint32_t)n_base;
  l->n_copies = n_copies;
}

typedef struct gen_state {
  const model *m;
  const gen_opts *o;
  article base, copy;
  copy_info info;
} gen_state;

static uint32_t site_of(const gen_opts *o, uint32_t base, unsigned j) {
  rng r = stream(o->seed, TAG_BASE_PAGE, base);
  uint32_t s0 = rng_below(&r, o->sites);
  if (j == 0 || o->sites < 2)
    return s0;
  rng rc = stream(o->seed, TAG_COPY, (uint64_t)base << 8 | j);
  /* another site than the base's */
  return (s0 + 1 + rng_below(&rc, o->sites - 1)) % o->sites;
}

/* Renders document (base, j) into b.  Pure function of (seed, base, j). */
static void render_doc(gen_state *g, uint32_t base, unsigned j, sbuf *b) {
  site s;
  make_site(g->o, site_of(g->o, base, j), &s);
  gen_base(g->m, g->o, base, &g->base);
  if (j == 0) {
    rng r = stream(g->o->seed, TAG_BASE_PAGE, base);
    rng_next(&r); /* the draw site_of() used */
    render_page(b, g->m, &s, &r, &g->base);
    return;
  }
  rng r = stream(g->o->seed, TAG_COPY, (uint64_t)base << 8 | j);
  rng_next(&r);
  make_copy(g->m, &r, &g->base, &g->copy, &g->info);
  render_page(b, g->m, &s, &r, &g->copy);
}

/* ------------------------------------------------------------------------ */
/* Statistics: word 5-shingle Jaccard, the same shape as the library's      */
/* (words = letters/digits, apostrophes and punctuation split, ASCII case  */
/* folded), to show the copies are near-duplicates and bases are not.       */

static void shingle5(const char *t, size_t n, uint64_t **out, size_t *nout) {
  /* token hashes first */
  uint64_t *th = NULL;
  size_t nt = 0, cap = 0;
  char w[256];
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)t[i];
    int word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
               (c >= 'A' && c <= 'Z') || c >= 0x80;
    /* U+2000..U+206F (general punctuation: quotes, dashes) separate */
    if (c == 0xe2 && i + 1 < n && (unsigned char)t[i + 1] == 0x80)
      word = 0;
    if (c == 0xc2 && i + 1 < n && (unsigned char)t[i + 1] < 0xc0)
      word = 0; /* U+0080..U+00BF: nbsp, (c), guillemets */
    if (!word) {
      i += (c == 0xe2) ? 3 : (c == 0xc2) ? 2 : 1;
      continue;
    }
    size_t wl = 0;
    while (i < n) {
      c = (unsigned char)t[i];
      int in = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
               (c >= 'A' && c <= 'Z') || c >= 0x80;
      if (c == 0xe2 && i + 1 < n && (unsigned char)t[i + 1] == 0x80)
        in = 0;
      if (c == 0xc2 && i + 1 < n && (unsigned char)t[i + 1] < 0xc0)
        in = 0;
      if (!in)
        break;
      if (wl < sizeof w)
        w[wl++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
      i++;
    }
    if (nt == cap) {
      cap = cap ? cap * 2 : 1024;
      th = xrealloc(th, cap * sizeof *th);
    }
    th[nt++] = XXH3_64bits(w, wl);
  }
  size_t ns = nt >= 5 ? nt - 4 : (nt ? 1 : 0);
  uint64_t *s = xrealloc(NULL, (ns + 1) * sizeof *s);
  for (size_t k = 0; k < ns; k++)
    s[k] = XXH3_64bits(th + k, (nt >= 5 ? 5 : nt) * sizeof *th);
  free(th);
  *out = s;
  *nout = ns;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static size_t sort_unique(uint64_t *v, size_t n) {
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, cmp_u64);
  size_t k = 1;
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[k - 1])
      v[k++] = v[i];
  return k;
}

static double jaccard_text(const char *a, size_t na, const char *b,
                           size_t nb) {
  uint64_t *sa, *sb;
  size_t la, lb;
  shingle5(a, na, &sa, &la);
  shingle5(b, nb, &sb, &lb);
  la = sort_unique(sa, la);
  lb = sort_unique(sb, lb);
  size_t i = 0, j = 0, inter = 0;
  while (i < la && j < lb) {
    if (sa[i] < sb[j])
      i++;
    else if (sa[i] > sb[j])
      j++;
    else
      inter++, i++, j++;
  }
  free(sa);
  free(sb);
  size_t uni = la + lb - inter;
  return uni ? (double)inter / (double)uni : 1.0;
}

static void print_dist(const char *what, double *v, size_t n) {
  if (n == 0)
    return;
  qsort(v, n, sizeof *v, cmp_dbl);
  size_t ge5 = 0, ge6 = 0, ge8 = 0;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    ge5 += v[i] >= 0.5;
    ge6 += v[i] >= 0.6;
    ge8 += v[i] >= 0.8;
    sum += v[i];
  }
#define Q(p) v[(size_t)((p) * (double)(n - 1) + 0.5)]
  fprintf(stderr,
          "  %-26s n=%zu mean=%.3f min=%.3f p5=%.3f p10=%.3f p25=%.3f "
          "median=%.3f p75=%.3f p90=%.3f max=%.3f  >=0.5: %.1f%%  "
          ">=0.6: %.1f%%  >=0.8: %.1f%%\n",
          what, n, sum / (double)n, v[0], Q(0.05), Q(0.10), Q(0.25), Q(0.5),
          Q(0.75), Q(0.90), v[n - 1], 100.0 * (double)ge5 / (double)n,
          100.0 * (double)ge6 / (double)n, 100.0 * (double)ge8 / (double)n);
#undef Q
}

/* Jaccard of sampled copies against their base (whole pages as written,
 * and bodies alone: what a page cleaner would ideally keep), and of random
 * pairs of unrelated bases. */
static void report_stats(gen_state *g, const layout *l, size_t want) {
  double *full = xrealloc(NULL, (want + 1) * sizeof(double));
  double *body = xrealloc(NULL, (want + 1) * sizeof(double));
  double *keep = xrealloc(NULL, (want + 1) * sizeof(double));
  double *unrel = xrealloc(NULL, (want + 1) * sizeof(double));
  size_t nc = 0, nu = 0, reord = 0;
  sbuf a = {0}, b = {0};
  for (size_t i = 0; i < l->n && nc < want; i++) {
    uint32_t base = (uint32_t)(l->slot[i] >> 8);
    unsigned j = (unsigned)(l->slot[i] & 0xff);
    if (j == 0)
      continue;
    render_doc(g, base, 0, &a);
    render_doc(g, base, j, &b); /* leaves base and copy in g */
    full[nc] = jaccard_text(a.p, a.n, b.p, b.n);
    keep[nc] = g->info.keep;
    reord += (size_t)g->info.reordered;
    a.n = b.n = 0;
    sb_reserve(&a, 0);
    sb_reserve(&b, 0);
    put_body(&a, g->m, &g->base, 0, 0);
    put_body(&b, g->m, &g->copy, 0, 0);
    body[nc] = jaccard_text(a.p, a.n, b.p, b.n);
    nc++;
  }
  rng r = stream(g->o->seed, TAG_STATS, 0);
  for (; nu < want && l->n_base >= 2; nu++) {
    uint32_t x = rng_below(&r, l->n_base), y = rng_below(&r, l->n_base);
    if (x == y)
      y = (y + 1) % l->n_base;
    render_doc(g, x, 0, &a);
    render_doc(g, y, 0, &b);
    unrel[nu] = jaccard_text(a.p, a.n, b.p, b.n);
  }
  fprintf(stderr, "word-5-shingle Jaccard (this tool's tokeniser):\n");
  print_dist("copy vs base, whole page", full, nc);
  print_dist("copy vs base, body only", body, nc);
  print_dist("copy: body words kept", keep, nc);
  if (nc)
    fprintf(stderr, "  copies with paragraphs swapped: %.1f%%\n",
            100.0 * (double)reord / (double)nc);
  print_dist("unrelated bases, page", unrel, nu);
  free(full);
  free(body);
  free(keep);
  free(unrel);
  free(a.p);
  free(b.p);
}

/* ------------------------------------------------------------------------ */

static void usage(void) {
  fputs(
      "usage: dedup-gen --seeds DIR --n N [--out PACK] [--truth TSV]\n"
      "                 [--dir DIR] [--seed S] [--copy-share F]\n"
      "                 [--max-copies C] [--min-words W] [--max-words W]\n"
      "                 [--sites S] [--jump P] [--stats M] [--quiet]\n"
      "       dedup-gen --version   (output format number)\n"
      "  --out PACK     one file: '#DOC <name> <nbytes>\\n' + text per doc\n"
      "  --dir DIR      one <name> file per doc (small N)\n"
      "  --truth TSV    'name<TAB>group' per doc (group = base article)\n"
      "  --copy-share F share of docs that are near-copies (default 0.3)\n"
      "  --max-copies C copies per base with copies: 1..C (default 5)\n"
      "  --min-words/--max-words  base body length (default 300, 900)\n"
      "  --sites S      distinct site chromes (default 200)\n"
      "  --jump P       Markov chance of a random word (default 0.1)\n"
      "  --stats M      measure Jaccard on M sampled copies (default 2000,\n"
      "                 0 = off)\n",
      stderr);
  exit(2);
}

static unsigned long long parse_u(const char *s, const char *opt) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s) {
    fprintf(stderr, "dedup-gen: bad number for %s: %s\n", opt, s);
    exit(2);
  }
  return v;
}

static double parse_d(const char *s, const char *opt) {
  char *end;
  double v = strtod(s, &end);
  if (*end || end == s) {
    fprintf(stderr, "dedup-gen: bad number for %s: %s\n", opt, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  const char *seeds = getenv("DEDUP_SEEDS");
  const char *out = NULL, *truth = NULL, *dir = NULL;
  size_t n = 1000, stats = 2000;
  int quiet = 0;
  gen_opts o = {1, 300, 900, 5, 200, 0.3};
  double jump = 0.1;
  if (!seeds)
    seeds = "seeds";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--quiet")) {
      quiet = 1;
      continue;
    }
    if (!strcmp(a, "--version")) {
      printf("%d\n", GEN_FORMAT);
      return 0;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help") || !v)
      usage();
    i++;
    if (!strcmp(a, "--seeds"))
      seeds = v;
    else if (!strcmp(a, "--n"))
      n = (size_t)parse_u(v, a);
    else if (!strcmp(a, "--out"))
      out = v;
    else if (!strcmp(a, "--truth"))
      truth = v;
    else if (!strcmp(a, "--dir"))
      dir = v;
    else if (!strcmp(a, "--seed"))
      o.seed = parse_u(v, a);
    else if (!strcmp(a, "--copy-share"))
      o.copy_share = parse_d(v, a);
    else if (!strcmp(a, "--max-copies"))
      o.max_copies = (unsigned)parse_u(v, a);
    else if (!strcmp(a, "--min-words"))
      o.min_words = (unsigned)parse_u(v, a);
    else if (!strcmp(a, "--max-words"))
      o.max_words = (unsigned)parse_u(v, a);
    else if (!strcmp(a, "--sites"))
      o.sites = (unsigned)parse_u(v, a);
    else if (!strcmp(a, "--jump"))
      jump = parse_d(v, a);
    else if (!strcmp(a, "--stats"))
      stats = (size_t)parse_u(v, a);
    else
      usage();
  }
  if (!out && !dir && !stats)
    usage();
  if (o.copy_share < 0 || o.copy_share > 0.8 || o.max_copies < 1 ||
      o.max_copies > 255 || o.min_words < 10 || o.max_words < o.min_words ||
      o.sites < 1 || jump < 0 || jump > 1 || n > 0xffffffffu) {
    fprintf(stderr, "dedup-gen: option out of range\n");
    return 2;
  }

  double t0 = now_s();
  model m = {0};
  m.jump = jump;
  size_t trained = model_train(&m, seeds);
  layout l = {0};
  make_layout(&o, n, &l);

  FILE *fp = NULL, *ft = NULL;
  if (out) {
    fp = fopen(out, "wb");
    if (!fp) {
      fprintf(stderr, "dedup-gen: %s: %s\n", out, strerror(errno));
      return 1;
    }
    setvbuf(fp, NULL, _IOFBF, 1 << 22);
  }
  if (truth) {
    ft = fopen(truth, "wb");
    if (!ft) {
      fprintf(stderr, "dedup-gen: %s: %s\n", truth, strerror(errno));
      return 1;
    }
    setvbuf(ft, NULL, _IOFBF, 1 << 20);
  }
  if (dir && mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "dedup-gen: %s: %s\n", dir, strerror(errno));
    return 1;
  }

  gen_state g = {0};
  g.m = &m;
  g.o = &o;
  sbuf doc = {0}, path = {0};
  unsigned long long bytes = 0;
  char name[32];
  for (size_t i = 0; (fp || ft || dir) && i < n; i++) {
    uint32_t base = (uint32_t)(l.slot[i] >> 8);
    unsigned j = (unsigned)(l.slot[i] & 0xff);
    snprintf(name, sizeof name, "doc%07zu.txt", i);
    if (ft)
      fprintf(ft, "%s\tb%07" PRIu32 "\n", name, base);
    if (!fp && !dir)
      continue;
    render_doc(&g, base, j, &doc);
    bytes += doc.n;
    if (fp) {
      fprintf(fp, "#DOC %s %zu\n", name, doc.n);
      fwrite(doc.p, 1, doc.n, fp);
    }
    if (dir) {
      path.n = 0;
      sb_puts(&path, dir);
      sb_putc(&path, '/');
      sb_puts(&path, name);
      FILE *f = fopen(path.p, "wb");
      if (!f || fwrite(doc.p, 1, doc.n, f) != doc.n || fclose(f) != 0) {
        fprintf(stderr, "dedup-gen: %s: %s\n", path.p, strerror(errno));
        return 1;
      }
    }
  }
  if (fp && (ferror(fp) | fclose(fp))) {
    fprintf(stderr, "dedup-gen: writing %s failed\n", out);
    return 1;
  }
  if (ft && (ferror(ft) | fclose(ft))) {
    fprintf(stderr, "dedup-gen: writing %s failed\n", truth);
    return 1;
  }
  double t1 = now_s();
  if (!quiet) {
    fprintf(stderr,
            "dedup-gen: %zu docs (%u bases, %u with copies, %zu copies), "
            "%.1f MB, %.0f bytes/doc, %.2f s (%.0f MB/s); model: %zu "
            "words, %zu distinct\n",
            n, l.n_base, l.n_with_copies, l.n_copies, (double)bytes / 1e6,
            n ? (double)bytes / (double)n : 0.0, t1 - t0,
            (double)bytes / 1e6 / (t1 - t0), trained, m.off.n);
    if (stats)
      report_stats(&g, &l, stats);
  }
  art_free(&g.base);
  art_free(&g.copy);
  free(doc.p);
  free(path.p);
  free(l.slot);
  model_free(&m);
  return 0;
}
