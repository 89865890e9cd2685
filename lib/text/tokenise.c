/* tokenise.c - normalised text to word tokens with 64-bit hashes.
 *
 * ASCII words (most of them) are scanned and lowercased into a stack
 * buffer in one pass and hashed.  Other characters are classified and
 * case-folded through a per-call memo of single code points
 * (dedup__cpmemo), so utf8proc is only reached for a letter carrying
 * combining marks; folding per combining sequence gives the same bytes as
 * folding the whole word, because a fold never reaches across a
 * dedup__safe_cut point.
 *
 * A token's hash is always seeded XXH3 of its case-folded bytes.  Words
 * whose fold does not fit the stack buffer are folded chunk by chunk into
 * XXH3's streaming state, which yields the same value as the one-shot
 * hash, so nothing is allocated per token whatever its length.
 */
#include "text/tokenise.h"

#include "common/dedup_private.h"
#include "common/hash.h"
#include "text/normalise.h"

#include <assert.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum {
  FOLD_BUF = 512,   /* stack buffer for a folded word */
  CHUNK = 128,      /* long words: chunk bytes before looking for a cut */
  CHUNK_MAX = 160,  /* ... and the most a chunk takes (folds to < 512) */
  STOP_MAX = 10,    /* longest stop word */
  TOK_MAX = 0xFFFF  /* dedup__token.len is 16 bits */
};

/* ASCII letters and digits to their folded byte; 0 for anything else
 * (non-ASCII included). */
static const unsigned char fold_tab[256] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
    ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
    ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
    ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
    ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
    ['Z'] = 'z', ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd',
    ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i',
    ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
    ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's',
    ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
    ['y'] = 'y', ['z'] = 'z',
};

typedef struct tctx {
  dedup__tokvec *out;
  const unsigned char *text;
  size_t len;
  uint64_t seed;
  int memo_ready;
  dedup__cpmemo memo; /* 16 KB, set up at the first non-ASCII character */
} tctx;

static const dedup__cpmemo_entry *memo(tctx *t, int32_t cp) {
  if (!t->memo_ready) {
    dedup__cpmemo_init(&t->memo, DEDUP__NORM_CASEFOLD);
    t->memo_ready = 1;
  }
  return dedup__cpmemo_get(&t->memo, cp);
}

/* Case fold of w[0..len) into buf: one combining sequence at a time, from
 * the memo when it is a single character.  Returns the folded length, or
 * a value > cap when it does not fit. */
static size_t fold(tctx *t, char *buf, size_t cap, const unsigned char *w,
                   size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    int32_t one;
    size_t j = i + 1;
    if (w[i] < 0x80)
      one = w[i];
    else
      j = i + dedup__utf8_next((const char *)w + i, len - i, &one);
    while (j < len && w[j] >= 0x80) { /* marks that belong to it */
      int32_t cp;
      size_t k = dedup__utf8_next((const char *)w + j, len - j, &cp);
      if (memo(t, cp)->cut)
        break;
      j += k;
      one = -1;
    }
    /* A pathological run of marks: let hash_long cut it into pieces
     * rather than hand it all to utf8proc. */
    if (j - i > CHUNK_MAX)
      return cap + 1;
    if (one >= 0 && one < 0x80) {
      if (o == cap)
        return cap + 1;
      buf[o++] = (char)((unsigned)one + (((unsigned)one - 'A' < 26u) << 5));
    } else {
      const dedup__cpmemo_entry *e = one >= 0 ? memo(t, one) : NULL;
      size_t m;
      if (e && e->len) {
        m = e->len;
        if (m > cap - o)
          return cap + 1;
        memcpy(buf + o, e->s, m);
      } else {
        m = dedup__casefold_word(buf + o, cap - o, (const char *)w + i,
                                 j - i);
        if (m > cap - o)
          return cap + 1;
      }
      o += m;
    }
    i = j;
  }
  return o;
}

/* Hash of the fold of a word too long to fold in one piece.  Chunks end
 * only at safe cuts (but see CHUNK_MAX), so the concatenated chunk folds
 * equal the whole word's fold. */
static uint64_t hash_long(tctx *t, const unsigned char *w, size_t len) {
  XXH3_state_t st;
  char buf[FOLD_BUF];
  /* Zeroed first: GCC cannot see that the reset initialises every field
   * the digest reads. */
  memset(&st, 0, sizeof st);
  XXH3_64bits_reset_withSeed(&st, t->seed);
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len) {
      int32_t cp = w[j];
      size_t n = 1;
      if (cp >= 0x80)
        n = dedup__utf8_next((const char *)w + j, len - j, &cp);
      if (j - i >= CHUNK &&
          (cp < 0x80 || memo(t, cp)->cut || j - i + n > CHUNK_MAX))
        break;
      j += n;
    }
    size_t m = fold(t, buf, sizeof buf, w + i, j - i);
    if (m <= sizeof buf)
      XXH3_64bits_update(&st, buf, m);
    else /* a pathological expansion; stay deterministic */
      XXH3_64bits_update(&st, w + i, j - i);
    i = j;
  }
  return XXH3_64bits_digest(&st);
}

static inline int push(dedup__tokvec *out, uint64_t hash, size_t off,
                       size_t len, unsigned flags) {
  if (out->n == out->cap &&
      dedup__grow((void **)&out->v, &out->cap, out->n, 1, sizeof *out->v) !=
          DEDUP_OK)
    return DEDUP_ENOMEM;
  dedup__token *tok = &out->v[out->n++];
  tok->hash = hash;
  tok->off = (uint32_t)off;
  tok->len = (uint16_t)len;
  tok->flags = (uint8_t)flags;
  tok->pad = 0;
  return DEDUP_OK;
}

/* An all-ASCII word text[off..off+len), already folded into buf unless it
 * is longer than FOLD_BUF; key is its stop-word key when it is all letters,
 * else 0. */
static inline int push_ascii(tctx *t, size_t off, size_t len,
                             const char *buf, uint64_t key) {
  const unsigned char *s = t->text + off;
  unsigned flags = 0;
  if ((unsigned)s[0] - 'A' < 26u) {
    flags = DEDUP__TOK_CAP;
  } else if ((unsigned)s[0] - '0' < 10u) {
    size_t k = 1;
    while (k < len && (unsigned)s[k] - '0' < 10u)
      k++;
    if (k == len)
      flags = DEDUP__TOK_NUM;
  }
  if (len > FOLD_BUF)
    return push(t->out, hash_long(t, s, len), off, len, flags);
  if (len <= STOP_MAX && key && dedup__is_stopword_key(key))
    flags |= DEDUP__TOK_STOP;
  return push(t->out, dedup__hash(buf, len, t->seed), off, len, flags);
}

/* Any other token; upper says whether its first character is a capital. */
static int push_other(tctx *t, size_t off, size_t len, int upper,
                      unsigned flags) {
  const unsigned char *s = t->text + off;
  char buf[FOLD_BUF];
  uint64_t h;
  if (upper)
    flags |= DEDUP__TOK_CAP;
  size_t m = fold(t, buf, sizeof buf, s, len);
  if (m <= sizeof buf) {
    /* "ｔｈｅ" style words may fold to ASCII stop words. */
    if (m <= STOP_MAX && !(flags & DEDUP__TOK_CHAR) &&
        dedup__is_stopword(buf, m))
      flags |= DEDUP__TOK_STOP;
    h = dedup__hash(buf, m, t->seed);
  } else {
    h = hash_long(t, s, len);
  }
  return push(t->out, h, off, len, flags);
}

/* End of the word that starts at start and has been scanned up to j. */
static size_t scan_word(tctx *t, size_t start, size_t j) {
  const unsigned char *s = t->text;
  size_t lim = t->len - start > TOK_MAX ? start + TOK_MAX : t->len;
  while (j < lim) {
    unsigned c = s[j];
    if (c < 0x80) {
      if (!fold_tab[c])
        break;
      j++;
      continue;
    }
    int32_t cp;
    size_t n = dedup__utf8_next((const char *)s + j, t->len - j, &cp);
    if (n > lim - j || memo(t, cp)->cls != DEDUP__CC_WORD)
      break;
    j += n;
  }
  return j;
}

/* The ASCII word starting at text[i]; returns where it ends. */
static size_t ascii_word(tctx *t, size_t i, int *rc) {
  const unsigned char *s = t->text;
  char buf[FOLD_BUF];
  size_t lim = t->len - i > TOK_MAX ? i + TOK_MAX : t->len;
  size_t blim = lim - i > FOLD_BUF ? i + FOLD_BUF : lim;
  size_t j = i;
  unsigned l, digit = 0;
  uint64_t key = 0;
  /* Scan, fold and build the stop-word key in one pass. */
  while (j < blim && (l = fold_tab[s[j]]) != 0) {
    buf[j++ - i] = (char)l;
    key = key << 5 | (l & 31); /* a..z -> 1..26 */
    digit |= l < 'a';
  }
  while (j < lim && fold_tab[s[j]]) /* longer than buf */
    j++;
  if (j < lim && s[j] >= 0x80) {
    /* The word may go on in another script ("café"). */
    size_t k = scan_word(t, i, j);
    if (k > j) {
      *rc = push_other(t, i, k - i, (unsigned)s[i] - 'A' < 26u, 0);
      return k;
    }
  }
  *rc = push_ascii(t, i, j - i, buf, digit ? 0 : key);
  return j;
}

#if defined(__SSE2__)
_Static_assert(STOP_MAX == 10, "stop_key packs at most 10 letters");

/* The stop-word key (see stopwords.c) of the n <= 10 lowercase letters at
 * the start of lo: 5 bits a letter, packed in the register by two
 * multiply-adds instead of a loop over the letters. */
static inline uint64_t stop_key(__m128i lo, unsigned n) {
  const __m128i iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                     12, 13, 14, 15);
  __m128i keep = _mm_cmpgt_epi8(_mm_set1_epi8((char)n), iota);
  __m128i c = _mm_and_si128(_mm_and_si128(lo, _mm_set1_epi8(31)), keep);
  const __m128i by32 = _mm_set1_epi32(1 << 16 | 32);
  __m128i z = _mm_setzero_si128();
  /* pairs: c0*32+c1, c2*32+c3, ... (10 bits each) */
  __m128i p = _mm_packs_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(c, z), by32),
                              _mm_madd_epi16(_mm_unpackhi_epi8(c, z), by32));
  /* quads: c0..c3, c4..c7, c8..c9 (20 bits each) */
  __m128i q = _mm_madd_epi16(p, _mm_set1_epi32(1 << 16 | 1024));
  uint64_t a = (uint32_t)_mm_cvtsi128_si32(q);
  uint64_t b = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(q, 4));
  uint64_t e = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(q, 8));
  uint64_t key10 = a << 30 | b << 10 | e >> 10;
  return key10 >> (5 * (10 - n));
}

/* The ASCII word starting at text[i], with 16 bytes readable there: one
 * compare of 16 bytes finds where a short word ends (no loop over its
 * bytes, whose exit the branch predictor misses word after word), and
 * where the next one starts.  Longer words and words that may go on in
 * another script take ascii_word.  Returns where to look next. */
static size_t ascii_word16(tctx *t, size_t i, int *rc) {
  const unsigned char *s = t->text + i;
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
  __m128i lo = _mm_or_si128(v, _mm_set1_epi8(0x20)); /* folds A-Z only */
  /* Signed compares: bytes >= 0x80 are negative and match neither. */
  __m128i let = _mm_and_si128(_mm_cmpgt_epi8(lo, _mm_set1_epi8('a' - 1)),
                              _mm_cmplt_epi8(lo, _mm_set1_epi8('z' + 1)));
  __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                              _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  unsigned word = (unsigned)_mm_movemask_epi8(_mm_or_si128(let, dig));
  unsigned high = (unsigned)_mm_movemask_epi8(v);
  unsigned rest = ~word & 0xFFFFu;
  if (!rest)
    return ascii_word(t, i, rc);
  unsigned n = (unsigned)__builtin_ctz(rest);
  if (high >> n & 1)
    return ascii_word(t, i, rc);
  unsigned in = (1u << n) - 1;
  unsigned digits = (unsigned)_mm_movemask_epi8(dig) & in;
  char buf[16];
  _mm_storeu_si128((__m128i *)(void *)buf, lo);
  unsigned flags = 0;
  if ((unsigned)s[0] - 'A' < 26u)
    flags = DEDUP__TOK_CAP;
  else if (digits == in)
    flags = DEDUP__TOK_NUM;
  if (!digits && n <= STOP_MAX && dedup__is_stopword_key(stop_key(lo, n)))
    flags |= DEDUP__TOK_STOP;
  *rc = push(t->out, dedup__hash(buf, n, t->seed), i, n, flags);
  /* Skip to the next word when only ASCII spaces and punctuation lie
   * between (the main loop would step over them one by one). */
  unsigned after = word >> n;
  if (after) {
    unsigned k = n + (unsigned)__builtin_ctz(after);
    return (high >> n) & ((1u << (k - n)) - 1) ? i + n : i + k;
  }
  return high >> n ? i + n : i + 16;
}
#else
#define ascii_word16 ascii_word
#endif

int dedup__tokenise(dedup__tokvec *out, const char *text, size_t len,
                    uint64_t seed) {
  assert(out != NULL);
  assert(text != NULL || len == 0);
  if (len > UINT32_MAX)
    return DEDUP_ETOOBIG;
  const size_t n0 = out->n;
  /* English runs ~6 bytes a token; one reservation covers most texts. */
  if (dedup__grow((void **)&out->v, &out->cap, out->n, len / 6 + 1,
                  sizeof *out->v) != DEDUP_OK)
    return DEDUP_ENOMEM;
  tctx t;
  t.out = out;
  t.text = (const unsigned char *)text;
  t.len = len;
  t.seed = seed;
  t.memo_ready = 0;
  const unsigned char *s = t.text;
  size_t i = 0;
  int rc = DEDUP_OK;
  while (i < len && rc == DEDUP_OK) {
    unsigned c = s[i];
    if (c < 0x80) {
      if (fold_tab[c])
        i = len - i >= 16 ? ascii_word16(&t, i, &rc) : ascii_word(&t, i, &rc);
      else
        i++;
      continue;
    }
    int32_t cp;
    size_t n = dedup__utf8_next(text + i, len - i, &cp);
    const dedup__cpmemo_entry *e = memo(&t, cp);
    int upper = e->upper;
    if (e->cls == DEDUP__CC_OTHER) {
      i += n;
    } else if (e->cls == DEDUP__CC_NOSPACE) {
      /* One character, with the marks that belong to it. */
      size_t j = i + n;
      while (j < len && s[j] >= 0x80) {
        int32_t m;
        size_t k = dedup__utf8_next(text + j, len - j, &m);
        if (memo(&t, m)->cut || j + k - i > TOK_MAX)
          break;
        j += k;
      }
      rc = push_other(&t, i, j - i, upper, DEDUP__TOK_CHAR);
      i = j;
    } else {
      size_t j = scan_word(&t, i, i + n);
      rc = push_other(&t, i, j - i, upper, 0);
      i = j;
    }
  }
  if (rc != DEDUP_OK)
    out->n = n0;
  return rc;
}

void dedup__tokvec_free(dedup__tokvec *tv) {
  if (!tv)
    return;
  dedup__free(tv->v);
  tv->v = NULL;
  tv->n = tv->cap = 0;
}
