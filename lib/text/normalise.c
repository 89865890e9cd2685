/* normalise.c - bytes to normalised UTF-8; the only user of utf8proc.
 *
 * One pass over the input.  ASCII bytes (most of a news page) are copied,
 * lowercased when folding, straight into the output, 8 at a time where
 * they are plain.  Anything else is cut into segments where normalisation
 * cannot reach across (before an ASCII byte, an invalid sequence, or a
 * character that starts a new combining sequence); a segment of one
 * character (most of them) is looked up in a per-call memo, a longer one
 * (a letter with its marks) goes to utf8proc (NFKC, case folding).  Every
 * character then goes through the same small state machine that collapses
 * spaces and blank lines, so all paths produce identical layout.
 *
 * Allocation: one output buffer (input length + slack, grown by half when
 * NFKC or U+FFFD make it longer) and, only for segments whose decomposition
 * does not fit an 8 KB stack array, one scratch buffer of code points.  The
 * memo (16 KB) lives on the stack too.
 */
#include "text/normalise.h"

#include "common/dedup_private.h"

#include <assert.h>
#include <string.h>
#include <utf8proc.h>

enum {
  SEG_HARD = 256,      /* bytes after which a segment ends anyway, safe cut
                          or not: UAX #15 stream-safe text has at most 30
                          marks in a row, and utf8proc orders marks with
                          an insertion sort (quadratic) */
  SCRATCH_STACK = 2048 /* code points decomposed without the heap */
};

/* NFKC with what utf8proc needs to get there: COMPOSE asks
 * utf8proc_decompose for canonical order; IGNORE drops default-ignorable
 * characters (soft hyphen, zero-width space/joiners, BOM, variation
 * selectors) before they can block a composition. */
#define NFKC_OPTS                                                              \
  (UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_STABLE | UTF8PROC_IGNORE)

typedef struct nstate {
  char *buf;
  size_t len, cap;
  unsigned nl;      /* line breaks seen since the last character (max 2) */
  unsigned sp;      /* a space seen since the last character */
  unsigned started; /* some character written */
  unsigned fold;    /* DEDUP__NORM_CASEFOLD */
  utf8proc_option_t opts;
  int32_t *stack; /* SCRATCH_STACK code points on the caller's stack */
  int32_t *heap;  /* bigger scratch, only if a segment needs it */
  size_t heap_cap;
  size_t n_invalid;
  dedup__cpmemo *memo; /* on the caller's stack, set up on first use */
  unsigned memo_ready;
} nstate;

/* ------------------------------------------------------------------------ */
/* Code points                                                               */

/* Strict UTF-8 decoder.  Returns the bytes consumed and the code point in
 * *cp, or *cp = -1 and the length of the maximal ill-formed subpart (the
 * lead byte plus the continuation bytes that were still possible), so that
 * each invalid sequence becomes exactly one U+FFFD. */
static inline size_t decode(const unsigned char *s, size_t len,
                            int32_t *cp) {
  unsigned c = s[0];
  unsigned lo = 0x80, hi = 0xBF, need;
  int32_t v;
  if (c < 0x80) {
    *cp = (int32_t)c;
    return 1;
  }
  if (c < 0xC2) { /* continuation byte or overlong 2-byte lead */
    *cp = -1;
    return 1;
  } else if (c < 0xE0) {
    need = 1;
    v = (int32_t)(c & 0x1F);
  } else if (c < 0xF0) {
    need = 2;
    v = (int32_t)(c & 0x0F);
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    else if (c == 0xED)
      hi = 0x9F; /* surrogates */
  } else if (c < 0xF5) {
    need = 3;
    v = (int32_t)(c & 0x07);
    if (c == 0xF0)
      lo = 0x90; /* overlong */
    else if (c == 0xF4)
      hi = 0x8F; /* > U+10FFFF */
  } else {
    *cp = -1;
    return 1;
  }
  size_t i;
  for (i = 1; i <= need; i++) {
    if (i >= len || s[i] < lo || s[i] > hi) {
      *cp = -1;
      return i;
    }
    v = (v << 6) | (int32_t)(s[i] & 0x3F);
    lo = 0x80;
    hi = 0xBF;
  }
  *cp = v;
  return i;
}

size_t dedup__utf8_next(const char *s, size_t len, int32_t *cp) {
  assert(len > 0);
  size_t n = decode((const unsigned char *)s, len, cp);
  if (*cp < 0) {
    *cp = 0xFFFD;
    return 1;
  }
  return n;
}

static size_t encode(char *d, int32_t cp) {
  uint32_t c = (uint32_t)cp;
  if (c < 0x80) {
    d[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    d[0] = (char)(0xC0 | (c >> 6));
    d[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    d[0] = (char)(0xE0 | (c >> 12));
    d[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    d[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  d[0] = (char)(0xF0 | (c >> 18));
  d[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  d[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  d[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

static inline unsigned ascii_lower(unsigned c) {
  return c + ((c - 'A' < 26u) << 5);
}

/* Typographic variants to their ASCII forms.  Applied before NFKC (U+2033
 * would otherwise become two primes) and again after it (NFKC turns some
 * compatibility characters into U+2010 or U+2014). */
static int32_t fold_cp(int32_t cp) {
  if (cp < 0x80)
    return cp;
  if (cp < 0xA0) /* C1 controls; NEL is a line break */
    return cp == 0x85 ? '\n' : ' ';
  switch (cp) {
  case 0x00A0: case 0x1680: case 0x202F: case 0x205F: case 0x3000:
    return ' ';
  case 0x2028: case 0x2029:
    return '\n';
  case 0x00B4: case 0x02BC: case 0x2018: case 0x2019: case 0x201A:
  case 0x201B: case 0x2032: case 0x2035: case 0x2039: case 0x203A:
    return '\'';
  case 0x00AB: case 0x00BB: case 0x201C: case 0x201D: case 0x201E:
  case 0x201F: case 0x2033: case 0x2036: case 0x301D: case 0x301E:
  case 0x301F:
    return '"';
  case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014:
  case 0x2015: case 0x2043: case 0x2212: case 0x2E3A: case 0x2E3B:
  case 0xFE58: case 0xFE63: case 0xFF0D:
    return '-';
  default:
    break;
  }
  if (cp >= 0x2000 && cp <= 0x200A)
    return ' ';
  return cp;
}

static utf8proc_int32_t premap(utf8proc_int32_t cp, void *data) {
  (void)data;
  return fold_cp(cp);
}

/* Zero-width characters; UTF8PROC_IGNORE already drops them, this keeps the
 * promise should a utf8proc build disagree. */
static int dropped(int32_t cp) {
  return cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 ||
         cp == 0xFEFF;
}

int dedup__safe_cut(int32_t cp) {
  if (cp < 0x300) /* no combining mark below U+0300; the soft hyphen is
                      default-ignorable, so it is dropped (see below) */
    return cp != 0xAD;
  if (cp > 0x10FFFF)
    return 1;
  /* Hangul medial and final jamo compose with what precedes them. */
  if ((cp >= 0x1160 && cp <= 0x11FF) || (cp >= 0xD7B0 && cp <= 0xD7FF))
    return 0;
  /* Letters whose NFKD starts with a mark: Thai/Lao SARA AM, halfwidth
   * (semi-)voiced sound marks. */
  if (cp == 0x0E33 || cp == 0x0EB3 || cp == 0xFF9E || cp == 0xFF9F)
    return 0;
  const utf8proc_property_t *p = utf8proc_get_property(cp);
  if (p->ignorable) /* dropped, so what follows meets what precedes */
    return 0;
  return p->category != UTF8PROC_CATEGORY_MN &&
         p->category != UTF8PROC_CATEGORY_MC &&
         p->category != UTF8PROC_CATEGORY_ME;
}

/* Scripts written without spaces between words. */
static int nospace_script(int32_t cp) {
  if (cp < 0x0E00)
    return 0;
  if (cp <= 0x0EFF) /* Thai, Lao */
    return 1;
  if (cp < 0x1000)
    return 0;
  if (cp <= 0x109F) /* Myanmar */
    return 1;
  if ((cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0x19E0 && cp <= 0x19FF))
    return 1; /* Khmer, Khmer symbols */
  if (cp < 0x3005)
    return 0;
  if (cp <= 0x3007 || (cp >= 0x3021 && cp <= 0x3029) ||
      (cp >= 0x3038 && cp <= 0x303B))
    return 1; /* ideographic iteration/closing marks, Han numerals */
  if (cp >= 0x3040 && cp <= 0x30FF) /* Hiragana, Katakana */
    return 1;
  if (cp >= 0x31F0 && cp <= 0x31FF) /* Katakana phonetic extensions */
    return 1;
  if ((cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
      (cp >= 0xF900 && cp <= 0xFAFF))
    return 1; /* CJK ideographs, ext. A, compatibility ideographs */
  if ((cp >= 0xA9E0 && cp <= 0xA9FF) || (cp >= 0xAA60 && cp <= 0xAA7F))
    return 1; /* Myanmar extended B, A */
  if (cp >= 0xFF66 && cp <= 0xFF9F) /* halfwidth Katakana */
    return 1;
  if (cp >= 0x1AFF0 && cp <= 0x1B16F) /* Kana supplement, extensions */
    return 1;
  if ((cp >= 0x20000 && cp <= 0x2FA1F) || (cp >= 0x30000 && cp <= 0x323AF))
    return 1; /* CJK ext. B-F, I, compatibility supplement, G, H */
  return 0;
}

dedup__cclass dedup__char_class(int32_t cp) {
  if (cp < 0x80) {
    unsigned c = (unsigned)cp;
    return ((c | 32u) - 'a' < 26u || c - '0' < 10u) ? DEDUP__CC_WORD
                                                     : DEDUP__CC_OTHER;
  }
  if (cp > 0x10FFFF)
    return DEDUP__CC_OTHER;
  switch (utf8proc_category(cp)) {
  case UTF8PROC_CATEGORY_LU:
  case UTF8PROC_CATEGORY_LL:
  case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM:
  case UTF8PROC_CATEGORY_LO:
  case UTF8PROC_CATEGORY_NL: /* Han numerals such as U+3007 are ideographs */
    return nospace_script(cp) ? DEDUP__CC_NOSPACE : DEDUP__CC_WORD;
  case UTF8PROC_CATEGORY_MN:
  case UTF8PROC_CATEGORY_MC:
  case UTF8PROC_CATEGORY_ME:
  case UTF8PROC_CATEGORY_ND:
  case UTF8PROC_CATEGORY_NO:
    return DEDUP__CC_WORD;
  default:
    return DEDUP__CC_OTHER;
  }
}

int dedup__is_upper(int32_t cp) {
  if (cp < 0x80)
    return (unsigned)cp - 'A' < 26u;
  if (cp > 0x10FFFF)
    return 0;
  utf8proc_category_t c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
}

/* ------------------------------------------------------------------------ */
/* Output state machine                                                      */

static int reserve(nstate *st, size_t extra) {
  if (extra <= st->cap - st->len)
    return DEDUP_OK;
  if (extra > SIZE_MAX - st->len)
    return DEDUP_ENOMEM;
  size_t need = st->len + extra;
  size_t nc = st->cap + st->cap / 2;
  if (nc < need)
    nc = need;
  char *p = dedup__realloc(st->buf, nc);
  if (!p)
    return DEDUP_ENOMEM;
  st->buf = p;
  st->cap = nc;
  return DEDUP_OK;
}

/* Writes the separator owed before the next character: nothing at the very
 * start, else a blank line, a line break or a space (at most 2 bytes). */
static inline void put_sep(nstate *st) {
  if (st->started) {
    if (st->nl) {
      st->buf[st->len++] = '\n';
      if (st->nl > 1)
        st->buf[st->len++] = '\n';
    } else if (st->sp) {
      st->buf[st->len++] = ' ';
    }
  }
  st->started = 1;
  st->nl = 0;
  st->sp = 0;
}

static inline void line_break(nstate *st) {
  if (st->nl < 2)
    st->nl++;
  st->sp = 0;
}

/* One code point out of utf8proc (room for 4 + 2 bytes reserved). */
static void emit_cp(nstate *st, int32_t cp) {
  cp = fold_cp(cp);
  if (cp < 0x80) {
    unsigned c = (unsigned)cp;
    if (c - 0x21u < 0x5Eu) {
      put_sep(st);
      st->buf[st->len++] = (char)(st->fold ? ascii_lower(c) : c);
    } else if (c == '\n' || c == '\r' || c == '\f') {
      line_break(st);
    } else {
      st->sp = 1; /* space, tab, other controls */
    }
    return;
  }
  if (dropped(cp))
    return;
  put_sep(st);
  st->len += encode(st->buf + st->len, cp);
}

static int put_invalid(nstate *st) {
  if (reserve(st, 6) != DEDUP_OK)
    return DEDUP_ENOMEM;
  put_sep(st);
  st->len += encode(st->buf + st->len, 0xFFFD);
  st->n_invalid++;
  return DEDUP_OK;
}

/* ------------------------------------------------------------------------ */
/* Non-ASCII segments                                                        */

/* Emits the code points of valid UTF-8 s[0..n) unnormalised; only used if
 * utf8proc refuses a segment, which valid input should never cause. */
static int flush_raw(nstate *st, const unsigned char *s, size_t n) {
  if (n > (SIZE_MAX - 3) / 6 || reserve(st, 6 * n + 3) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (size_t i = 0; i < n;) {
    int32_t cp;
    i += decode(s + i, n - i, &cp);
    emit_cp(st, cp < 0 ? 0xFFFD : cp);
  }
  return DEDUP_OK;
}

/* Decomposes valid UTF-8 s[0..n) into cps (cap entries) with opts and the
 * typographic premap; returns the count, a size to retry with if > cap,
 * or a utf8proc error.
 *
 * utf8proc folds case before it puts marks in canonical order.  That only
 * matters for U+0345 (iota subscript, a mark) whose fold is a spacing ι:
 * "ᾀ" + U+0301 would fold to "ἀί" where Unicode's NFKC_Casefold (and the
 * fold of the precomposed "ᾄ") gives "ἄι".  So a segment holding U+0345,
 * U+037A or a Greek letter from U+1F80..1FFF is decomposed and ordered
 * first, then folded one code point at a time; NFKD text needs no new
 * ordering after that, as folding it only turns U+0345 into a starter. */
static utf8proc_ssize_t decompose(const unsigned char *s, size_t n,
                                  int32_t *cps, utf8proc_ssize_t cap,
                                  utf8proc_option_t opts) {
  int iota = 0;
  if (opts & UTF8PROC_CASEFOLD)
    for (size_t i = 0; i + 1 < n && !iota; i++)
      iota = (s[i] == 0xCD && (s[i + 1] == 0x85 || s[i + 1] == 0xBA)) ||
             (s[i] == 0xE1 && (s[i + 1] == 0xBE || s[i + 1] == 0xBF));
  if (!iota)
    return utf8proc_decompose_custom(s, (utf8proc_ssize_t)n, cps, cap, opts,
                                     premap, NULL);
  /* NFKD into the upper half, folds into the lower half (a code point of
   * NFKD text folds to at most 3). */
  utf8proc_ssize_t half = cap / 2;
  utf8proc_ssize_t r = utf8proc_decompose_custom(
      s, (utf8proc_ssize_t)n, cps + half, cap - half,
      (utf8proc_option_t)(opts & ~UTF8PROC_CASEFOLD), premap, NULL);
  if (r < 0)
    return r;
  /* Asking for more must ask for more than cap. */
  const utf8proc_ssize_t more = 2 * cap + 4 * r + 4;
  if (r > cap - half || 3 * r > half)
    return more;
  utf8proc_ssize_t o = 0;
  for (utf8proc_ssize_t k = 0; k < r; k++) {
    utf8proc_ssize_t w = utf8proc_decompose_char(cps[half + k], cps + o,
                                                 half - o, opts, NULL);
    if (w < 0)
      return w;
    if (w > half - o)
      return more;
    o += w;
  }
  return o;
}

/* NFKC (and case folding) of one segment of valid UTF-8. */
static int flush(nstate *st, const unsigned char *s, size_t n) {
  if (n == 0)
    return DEDUP_OK;
  int32_t *cps = st->stack;
  utf8proc_ssize_t cap = SCRATCH_STACK;
  if (st->heap) {
    cps = st->heap;
    cap = (utf8proc_ssize_t)st->heap_cap;
  }
  utf8proc_ssize_t r = decompose(s, n, cps, cap, st->opts);
  if (r > cap) {
    /* Only for long runs of heavily decomposing characters. */
    size_t nc = DEDUP__MAX((size_t)r, 2 * (size_t)cap);
    int32_t *h = dedup__reallocarray(st->heap, nc, sizeof *h);
    if (!h)
      return DEDUP_ENOMEM;
    st->heap = cps = h;
    st->heap_cap = nc;
    r = decompose(s, n, cps, (utf8proc_ssize_t)nc, st->opts);
    if (r > (utf8proc_ssize_t)nc)
      r = -1;
  }
  if (r >= 0)
    r = utf8proc_normalize_utf32(cps, r, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
  if (r < 0)
    return flush_raw(st, s, n);
  /* Each code point writes at most 4 bytes plus one separator (2 bytes),
   * and a separator needs a space or break code point before it. */
  if ((size_t)r > (SIZE_MAX - 3) / 4 ||
      reserve(st, 4 * (size_t)r + 3) != DEDUP_OK)
    return DEDUP_ENOMEM;
  for (utf8proc_ssize_t k = 0; k < r; k++)
    emit_cp(st, cps[k]);
  return DEDUP_OK;
}

#define MEMO(st, cp) dedup__cpmemo_get((st)->memo, (cp))

/* Writes the memo's form of a one-character segment. */
static int put_memo(nstate *st, const dedup__cpmemo_entry *e) {
  if (reserve(st, sizeof e->s + 2) != DEDUP_OK)
    return DEDUP_ENOMEM;
  put_sep(st);
  memcpy(st->buf + st->len, e->s, sizeof e->s); /* fixed size: no call */
  st->len += e->len;
  return DEDUP_OK;
}

/* Ends the segment in[seg..p): through the memo when it is one character
 * (one: its entry, else NULL), else through utf8proc. */
static int end_segment(nstate *st, const unsigned char *in, size_t seg,
                       size_t p, const dedup__cpmemo_entry *one) {
  if (one && one->len)
    return put_memo(st, one);
  return flush(st, in + seg, p - seg);
}

/* Handles input from *pi up to the next ASCII byte.  in[*pi] is either a
 * non-ASCII byte or an ASCII character the fast path gave back because a
 * combining mark follows it.  Segments end before every character that
 * starts a new combining sequence (dedup__safe_cut), so most hold one
 * character and never reach utf8proc. */
static int slow_run(nstate *st, const unsigned char *in, size_t len,
                    size_t *pi) {
  if (!st->memo_ready) {
    dedup__cpmemo_init(st->memo, st->fold ? DEDUP__NORM_CASEFOLD : 0);
    st->memo_ready = 1;
  }
  size_t seg = *pi, p = *pi;
  int32_t one = -1; /* the segment's character while it has only one */
  if (in[p] < 0x80)
    p++;
  while (p < len && in[p] >= 0x80) {
    int32_t cp;
    size_t n = decode(in + p, len - p, &cp);
    if (cp < 0) {
      if (end_segment(st, in, seg, p, one < 0 ? NULL : MEMO(st, one)) !=
              DEDUP_OK ||
          put_invalid(st) != DEDUP_OK)
        return DEDUP_ENOMEM;
      p += n;
      seg = p;
      one = -1;
      continue;
    }
    const dedup__cpmemo_entry *e = MEMO(st, cp);
    if (p > seg && (e->cut || p - seg >= SEG_HARD)) {
      /* The pending character is looked up again: e may have taken its
       * slot (a hit costs a compare). */
      if (end_segment(st, in, seg, p, one < 0 ? NULL : MEMO(st, one)) !=
          DEDUP_OK)
        return DEDUP_ENOMEM;
      seg = p;
    }
    one = seg == p ? cp : -1;
    p += n;
  }
  /* An ASCII byte (or the end) follows: no ASCII character composes with
   * what precedes it, so the segment ends here. */
  if (end_segment(st, in, seg, p, one < 0 ? NULL : MEMO(st, one)) !=
      DEDUP_OK)
    return DEDUP_ENOMEM;
  *pi = p;
  return DEDUP_OK;
}

/* ------------------------------------------------------------------------ */
/* ASCII fast path                                                           */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* True if the 8 bytes in v are printable ASCII or single spaces: then
 * they can be copied as they are (the caller checks the last byte is not a
 * space, whose fate depends on what follows). */
static inline int plain8(uint64_t v) {
  if (v & HIGHS) /* non-ASCII */
    return 0;
  if ((v - 0x20 * ONES) & ~v & HIGHS) /* a control byte */
    return 0;
  uint64_t d = v ^ 0x7F * ONES;
  if ((d - ONES) & ~d & HIGHS) /* DEL */
    return 0;
  /* Exact per-byte space mask (no borrow between bytes), then two spaces
   * side by side. */
  uint64_t t = v ^ 0x20 * ONES;
  uint64_t z = ~(((t & 0x7F * ONES) + 0x7F * ONES) | t) & HIGHS;
  return (z & (z >> 8)) == 0;
}

/* ASCII A-Z to a-z in 8 bytes that are all < 0x80. */
static inline uint64_t lower8(uint64_t v) {
  uint64_t ge_a = v + (0x80 - 'A') * ONES;
  uint64_t gt_z = v + (0x80 - 'Z' - 1) * ONES;
  return v | (((ge_a ^ gt_z) & HIGHS) >> 2);
}

/* Copies the printable run at s[i] (s[i] printable, separator written,
 * room reserved), keeping single spaces between words, 8 bytes at a time
 * where it can.  Returns the index of the first byte not taken; the last
 * byte written is always a printable character. */
static inline size_t ascii_run(nstate *st, const unsigned char *s,
                               size_t len, size_t i, int fold) {
  char *b = st->buf;
  size_t o = st->len;
  unsigned c = s[i];
  b[o++] = (char)(fold ? ascii_lower(c) : c);
  i++;
  for (;;) {
    while (len - i >= 8) {
      uint64_t v;
      memcpy(&v, s + i, 8);
      if (!plain8(v) || s[i + 7] == ' ')
        break;
      if (fold)
        v = lower8(v);
      memcpy(b + o, &v, 8);
      o += 8;
      i += 8;
    }
    if (i == len)
      break;
    c = s[i];
    if (c - 0x21u < 0x5Eu) {
      b[o++] = (char)(fold ? ascii_lower(c) : c);
      i++;
    } else if (c == ' ' && i + 1 < len && s[i + 1] - 0x21u < 0x5Eu) {
      c = s[i + 1];
      b[o++] = ' ';
      b[o++] = (char)(fold ? ascii_lower(c) : c);
      i += 2;
    } else {
      break;
    }
  }
  st->len = o;
  return i;
}

/* ------------------------------------------------------------------------ */

int dedup__normalise(char **out, size_t *out_len, const char *in, size_t len,
                     unsigned flags, size_t *n_invalid) {
  assert(out != NULL);
  assert(in != NULL || len == 0);
  *out = NULL;
  if (out_len)
    *out_len = 0;
  if (n_invalid)
    *n_invalid = 0;

  int32_t stack[SCRATCH_STACK];
  dedup__cpmemo memo;
  nstate st;
  memset(&st, 0, sizeof st);
  st.memo = &memo;
  st.fold = (flags & DEDUP__NORM_CASEFOLD) != 0;
  st.opts = (utf8proc_option_t)(NFKC_OPTS | (st.fold ? UTF8PROC_CASEFOLD : 0));
  st.stack = stack;
  if (len > SIZE_MAX - 16)
    return DEDUP_ENOMEM;
  /* Plain ASCII never grows, so this is the only allocation for most
   * documents. */
  st.cap = len + 16;
  st.buf = dedup__malloc(st.cap);
  if (!st.buf)
    return DEDUP_ENOMEM;

  const unsigned char *s = (const unsigned char *)in;
  size_t i = 0;
  while (i < len) {
    unsigned c = s[i];
    if (c - 0x21u < 0x5Eu) { /* printable ASCII: copy the whole run */
      if (reserve(&st, len - i + 3) != DEDUP_OK)
        goto oom;
      put_sep(&st);
      /* Two calls with constant fold, so each loop is specialised. */
      i = st.fold ? ascii_run(&st, s, len, i, 1)
                  : ascii_run(&st, s, len, i, 0);
      if (i < len && s[i] >= 0x80) {
        /* A mark may combine with the last letter ("e\u0301"): then give
         * the letter back and normalise it with what follows. */
        int32_t cp;
        decode(s + i, len - i, &cp);
        if (cp >= 0 && !dedup__safe_cut(cp)) { /* rare: no memo yet */
          st.len--;
          i--;
        }
        if (slow_run(&st, s, len, &i) != DEDUP_OK)
          goto oom;
      }
    } else if (c == ' ' || c == '\t') {
      st.sp = 1;
      i++;
    } else if (c == '\n' || c == '\f') {
      line_break(&st);
      i++;
    } else if (c == '\r') {
      line_break(&st);
      i++;
      if (i < len && s[i] == '\n')
        i++;
    } else if (c < 0x80) { /* NUL, other controls, DEL */
      st.sp = 1;
      i++;
    } else if (slow_run(&st, s, len, &i) != DEDUP_OK) {
      goto oom;
    }
  }
  if (reserve(&st, 1) != DEDUP_OK)
    goto oom;
  st.buf[st.len] = '\0';
  dedup__free(st.heap);
  *out = st.buf;
  if (out_len)
    *out_len = st.len;
  if (n_invalid)
    *n_invalid = st.n_invalid;
  return DEDUP_OK;

oom:
  dedup__free(st.heap);
  dedup__free(st.buf);
  return DEDUP_ENOMEM;
}

DEDUP_API int dedup_normalise(char **out, size_t *out_len, const char *text,
                              size_t len, size_t *n_invalid) {
  if (out)
    *out = NULL;
  if (!out || (!text && len))
    return DEDUP_EINVAL;
  return dedup__normalise(out, out_len, text, len, DEDUP__NORM_CASEFOLD,
                          n_invalid);
}

/* ------------------------------------------------------------------------ */
/* Single code points                                                        */

/* What the general path makes of cp alone, when that is 1..cap bytes of
 * plain text (no space, break, control or dropped character); else 0. */
static size_t plain_form(int32_t cp, unsigned flags, char *dst, size_t cap) {
  utf8proc_uint8_t enc[4];
  int32_t cps[32];
  const utf8proc_option_t opts = (utf8proc_option_t)(
      NFKC_OPTS | ((flags & DEDUP__NORM_CASEFOLD) ? UTF8PROC_CASEFOLD : 0));
  size_t n = encode((char *)enc, cp);
  utf8proc_ssize_t r = decompose(enc, n, cps, 32, opts);
  if (r < 0 || r > 32)
    return 0;
  r = utf8proc_normalize_utf32(cps, r, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
  if (r <= 0)
    return 0;
  size_t len = 0;
  char tmp[4];
  for (utf8proc_ssize_t k = 0; k < r; k++) {
    int32_t c = fold_cp(cps[k]);
    if (c <= 0x20 || c == 0x7F || dropped(c))
      return 0;
    if ((flags & DEDUP__NORM_CASEFOLD) && c < 0x80)
      c = (int32_t)ascii_lower((unsigned)c);
    size_t m = encode(tmp, c);
    if (len + m > cap)
      return 0;
    memcpy(dst + len, tmp, m);
    len += m;
  }
  return len;
}

void dedup__cpmemo_init(dedup__cpmemo *m, unsigned flags) {
  for (size_t i = 0; i < DEDUP__CPMEMO_SLOTS; i++)
    m->slot[i].cp = -1;
  m->flags = flags;
}

const dedup__cpmemo_entry *dedup__cpmemo_fill(dedup__cpmemo *m, int32_t cp) {
  dedup__cpmemo_entry *e = &m->slot[(uint32_t)cp & (DEDUP__CPMEMO_SLOTS - 1)];
  e->cp = cp;
  e->cut = (uint8_t)dedup__safe_cut(cp);
  e->cls = (uint8_t)dedup__char_class(cp);
  e->upper = (uint8_t)dedup__is_upper(cp);
  /* Most characters (ideographs, kana, lowercase letters) have no
   * decomposition and no case folding: they stand for themselves, and
   * working that out from the property costs far less than utf8proc's
   * decompose and compose.  Callers that tokenise many small blocks miss
   * the memo often. */
  const utf8proc_property_t *p = utf8proc_get_property(cp);
  if (cp >= 0xA0 && fold_cp(cp) == cp && !p->ignorable &&
      p->decomp_seqindex == UINT16_MAX &&
      (!(m->flags & DEDUP__NORM_CASEFOLD) ||
       p->casefold_seqindex == UINT16_MAX))
    e->len = (uint8_t)encode(e->s, cp);
  else
    e->len = (uint8_t)plain_form(cp, m->flags, e->s, sizeof e->s);
  return e;
}

/* ------------------------------------------------------------------------ */

size_t dedup__casefold_word(char *buf, size_t cap, const char *w, size_t len) {
  const unsigned char *s = (const unsigned char *)w;
  size_t i = 0;
  while (i < len && s[i] < 0x80)
    i++;
  if (i == len) {
    if (len > cap)
      return len;
    for (i = 0; i < len; i++)
      buf[i] = (char)ascii_lower(s[i]);
    return len;
  }

  enum { STACK_CPS = 256 };
  int32_t stack[STACK_CPS];
  int32_t *cps = stack, *heap = NULL;
  const utf8proc_option_t opts =
      (utf8proc_option_t)(NFKC_OPTS | UTF8PROC_CASEFOLD);
  utf8proc_ssize_t r = decompose(s, len, stack, STACK_CPS, opts);
  if (r > STACK_CPS) {
    heap = dedup__reallocarray(NULL, (size_t)r, sizeof *heap);
    if (!heap)
      return cap + 1; /* callers treat it as "does not fit" */
    cps = heap;
    utf8proc_ssize_t r2 = decompose(s, len, cps, r, opts);
    r = r2 > r ? -1 : r2;
  }
  if (r >= 0)
    r = utf8proc_normalize_utf32(cps, r, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
  if (r < 0) {
    /* Not valid UTF-8: fold the ASCII bytes and keep the rest. */
    dedup__free(heap);
    if (len > cap)
      return len;
    for (i = 0; i < len; i++)
      buf[i] = (char)ascii_lower(s[i]);
    return len;
  }
  size_t n = 0;
  char tmp[4];
  for (utf8proc_ssize_t k = 0; k < r; k++) {
    int32_t cp = fold_cp(cps[k]);
    if (dropped(cp))
      continue;
    size_t m = encode(tmp, cp);
    if (n + m <= cap)
      memcpy(buf + n, tmp, m);
    n += m;
  }
  dedup__free(heap);
  return n;
}
