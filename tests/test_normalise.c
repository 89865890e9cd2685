/* test_normalise.c - normalisation: NFKC, folding, layout, invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/dedup_private.h"
#include "text/normalise.h"

#define FOLD DEDUP__NORM_CASEFOLD
#define RFC "\xEF\xBF\xBD" /* U+FFFD */

/* Normalises len bytes and checks the exact output and invalid count. */
static void check_n(const char *in, size_t len, unsigned flags,
                    const char *want, size_t want_invalid) {
  char *out = (char *)1;
  size_t out_len = 12345, n_invalid = 12345;
  assert_int_equal(dedup__normalise(&out, &out_len, in, len, flags,
                                    &n_invalid),
                   DEDUP_OK);
  assert_non_null(out);
  if (out_len != strlen(want) || memcmp(out, want, out_len) != 0) {
    fprintf(stderr, "input  [%.*s]\nwant   [%s]\ngot    [%.*s]\n", (int)len,
            in, want, (int)out_len, out);
    fail();
  }
  assert_int_equal(out[out_len], '\0');
  assert_int_equal(n_invalid, want_invalid);
  dedup__free(out);
}

static void check(const char *in, unsigned flags, const char *want) {
  check_n(in, strlen(in), flags, want, 0);
}

/* ------------------------------------------------------------------------ */

static void latin_accents(void **state) {
  (void)state;
  check("\xC3\x87" "a \xC3\x89t\xC3\xA9", FOLD, /* Ça Été */
        "\xC3\xA7" "a \xC3\xA9t\xC3\xA9");      /* ça été */
  check("\xC3\x87" "a \xC3\x89t\xC3\xA9", 0, "\xC3\x87" "a \xC3\x89t\xC3\xA9");
  /* NFKC: the ligature U+FB01 is "fi". */
  check("\xEF\xAC\x81" "nance", FOLD, "finance");
  check("\xEF\xAC\x81", 0, "fi");
  /* e + U+0301 composes to é, also when the e came through the ASCII path
   * and when it is upper case. */
  check("e\xCC\x81", FOLD, "\xC3\xA9");
  check("cafe\xCC\x81s", FOLD, "caf\xC3\xA9s");
  check("E\xCC\x81" "COLE", FOLD, "\xC3\xA9" "cole");
  check("E\xCC\x81" "COLE", 0, "\xC3\x89" "COLE");
  /* Canonical reordering: dot below (ccc 220) before acute (ccc 230). */
  check("a\xCC\x81\xCC\xA3", 0, "\xE1\xBA\xA1\xCC\x81");
  /* Full case folding: ß -> ss; Kelvin sign -> k. */
  check("Stra\xC3\x9F" "e", FOLD, "strasse");
  check("\xE2\x84\xAA", FOLD, "k");
}

/* Regressions: marks must meet their base across characters that are
 * dropped, and iota subscript must fold after canonical ordering. */
static void combining_edge_cases(void **state) {
  (void)state;
  /* ǅ + soft hyphen + dot below: NFKC gives D, z, dot below, caron. */
  check("\xC7\x85\xC2\xAD\xCC\xA3", 0, "D\xE1\xBA\x93\xCC\x8C");
  /* ᾀ + acute folds like the precomposed ᾄ: ἄι. */
  check("\xE1\xBE\x80\xCC\x81", FOLD, "\xE1\xBC\x84\xCE\xB9");
  check("\xE1\xBE\x84", FOLD, "\xE1\xBC\x84\xCE\xB9");
  check("\xE1\xBE\x80\xCC\x81", 0, "\xE1\xBE\x84");
  /* İ folds to i + combining dot above (full folding, not Turkic). */
  check("\xC4\xB0", FOLD, "i\xCC\x87");
}

static void cyrillic(void **state) {
  (void)state;
  check("\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2 "
        "\xD0\x9C\xD0\xB8\xD1\x80", /* ПРИВЕТ Мир */
        FOLD,
        "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 "
        "\xD0\xBC\xD0\xB8\xD1\x80"); /* привет мир */
  /* й written as и + U+0306 composes. */
  check("\xD0\xB8\xCC\x86", 0, "\xD0\xB9");
}

static void greek_final_sigma(void **state) {
  (void)state;
  /* ΟΔΥΣΣΕΥΣ and Οδυσσευς (final ς) fold to the same σ-only form. */
  const char *want = "\xCE\xBF\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5"
                     "\xCF\x85\xCF\x83"; /* οδυσσευσ */
  check("\xCE\x9F\xCE\x94\xCE\xA5\xCE\xA3\xCE\xA3\xCE\x95\xCE\xA5\xCE\xA3",
        FOLD, want);
  check("\xCE\x9F\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85\xCF\x82",
        FOLD, want);
  /* Without folding the final sigma stays. */
  check("\xCF\x82", 0, "\xCF\x82");
}

static void fullwidth(void **state) {
  (void)state;
  /* ＡＢＣ１２３ */
  const char *in = "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3"
                   "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93";
  check(in, FOLD, "abc123");
  check(in, 0, "ABC123");
  /* Halfwidth katakana with a halfwidth voiced mark: ｶﾞ -> ガ. */
  check("\xEF\xBD\xB6\xEF\xBE\x9E", 0, "\xE3\x82\xAC");
}

static void typography(void **state) {
  (void)state;
  /* “Hi” — it’s a<NBSP>test… */
  check("\xE2\x80\x9CHi\xE2\x80\x9D \xE2\x80\x94 it\xE2\x80\x99s "
        "a\xC2\xA0test\xE2\x80\xA6",
        FOLD, "\"hi\" - it's a test...");
  /* ‘a’ ‚b‛ «c» „d“ x–y x‐y −5 ′ ″ ＂ */
  check("\xE2\x80\x98" "a\xE2\x80\x99 \xE2\x80\x9A" "b\xE2\x80\x9B "
        "\xC2\xAB" "c\xC2\xBB \xE2\x80\x9E" "d\xE2\x80\x9C "
        "x\xE2\x80\x93y x\xE2\x80\x90y \xE2\x88\x92" "5 "
        "\xE2\x80\xB2 \xE2\x80\xB3 \xEF\xBC\x82",
        0, "'a' 'b' \"c\" \"d\" x-y x-y -5 ' \" \"");
  /* Unicode spaces: en space, ideographic space, narrow nbsp, thin. */
  check("a\xE2\x80\x82" "b\xE3\x80\x80" "c\xE2\x80\xAF" "d\xE2\x80\x89" "e",
        0, "a b c d e");
  /* Runs of mixed spaces collapse to one. */
  check("a \xC2\xA0\t\xE3\x80\x80 b", 0, "a b");
  /* Zero-width space/joiners, BOM, soft hyphen, word joiner: dropped. */
  check("\xEF\xBB\xBFx\xE2\x80\x8By\xC2\xAD" "z\xE2\x80\x8Dw\xE2\x81\xA0v",
        0, "xyzwv");
  /* A soft hyphen between e and a combining acute does not block it. */
  check("e\xC2\xAD\xCC\x81", 0, "\xC3\xA9");
  /* U+2028 line separator and NEL are line breaks. */
  check("a\xE2\x80\xA8" "b\xC2\x85" "c", 0, "a\nb\nc");
  /* NFKC output that contains spaces is collapsed like any other. */
  check("\xC2\xA8", 0, "\xCC\x88"); /* diaeresis -> space + mark, trimmed */
}

static void invalid_sequences(void **state) {
  (void)state;
  /* lone continuation byte */
  check_n("\x80", 1, FOLD, RFC, 1);
  check_n("a\x80z", 3, FOLD, "a" RFC "z", 1);
  /* truncated 2-, 3- and 4-byte sequences: one U+FFFD each */
  check_n("a\xC3", 2, FOLD, "a" RFC, 1);
  check_n("\xE2\x82" "x", 3, FOLD, RFC "x", 1);
  check_n("\xF0\x9F\x98", 3, FOLD, RFC, 1);
  check_n("\xF0\x9F\x98 ok", 6, FOLD, RFC " ok", 1);
  /* overlong forms: C0 is never a lead byte, E0 80 is an overlong prefix */
  check_n("\xC0\xAF", 2, FOLD, RFC RFC, 2);
  check_n("\xE0\x80\xAF", 3, FOLD, RFC RFC RFC, 3);
  /* surrogate U+D800 */
  check_n("\xED\xA0\x80", 3, FOLD, RFC RFC RFC, 3);
  /* beyond U+10FFFF */
  check_n("\xF4\x90\x80\x80", 4, FOLD, RFC RFC RFC RFC, 4);
  check_n("\xFF", 1, FOLD, RFC, 1);
  check_n("\xFE\xFF", 2, 0, RFC RFC, 2);
  /* invalid bytes next to letters that need normalising */
  check_n("ok\xFF" "ok\xC3\xA9", 7, 0, "ok" RFC "ok\xC3\xA9", 1);
  check_n("E\xCC\x81\xFF\xCC\x81", 6, FOLD, "\xC3\xA9" RFC "\xCC\x81", 1);
  /* valid edge cases stay: U+10FFFF, U+FFFD itself, an emoji */
  check_n("\xF4\x8F\xBF\xBF", 4, 0, "\xF4\x8F\xBF\xBF", 0);
  check_n(RFC, 3, 0, RFC, 0);
  check_n("\xF0\x9F\x98\x80", 4, 0, "\xF0\x9F\x98\x80", 0);
}

static void controls(void **state) {
  (void)state;
  check_n("a\0b", 3, 0, "a b", 0);
  check_n("\0\0a\0\0", 5, 0, "a", 0);
  check("a\x01\x02" "b", 0, "a b");
  check("a\x7F" "b", 0, "a b");
  check("a\x0B" "b", 0, "a b"); /* vertical tab is a space */
  check("a\xC2\x80" "b", 0, "a b"); /* C1 control */
  check("a\fb", 0, "a\nb");         /* form feed breaks the line */
}

static void lines(void **state) {
  (void)state;
  check("  x \r\n\r\n\r\n  y  \n\n", 0, "x\n\ny");
  check("a\r\nb\rc\n", 0, "a\nb\nc");
  check("a\n \n\t\nb", 0, "a\n\nb");
  check("\n\n  a", 0, "a");
  check("a  \t  b", 0, "a b");
  check("a\n\n\n\n\nb\nc", 0, "a\n\nb\nc");
  check(" one  two \n three ", 0, "one two\nthree");
  check("\r\r\r", 0, "");
  check("x\r", 0, "x");
}

static void empty_input(void **state) {
  (void)state;
  check_n("", 0, FOLD, "", 0);
  check_n(NULL, 0, FOLD, "", 0);
  check(" \t\n\r\n  \n", FOLD, "");
  /* The public entry point folds case and accepts NULL out-parameters. */
  char *out = NULL;
  assert_int_equal(dedup_normalise(&out, NULL, "A\xC2\xA0" "B", 4, NULL),
                   DEDUP_OK);
  assert_string_equal(out, "a b");
  dedup_free(out);
  size_t n = 9, bad = 9;
  assert_int_equal(dedup_normalise(&out, &n, "", 0, &bad), DEDUP_OK);
  assert_string_equal(out, "");
  assert_int_equal(n, 0);
  assert_int_equal(bad, 0);
  dedup_free(out);
}

/* ------------------------------------------------------------------------ */
/* Large inputs: segment cuts and output growth.                             */

static char *repeat(const char *unit, size_t times, size_t *len) {
  size_t u = strlen(unit);
  char *s = dedup__malloc(u * times + 1);
  assert_non_null(s);
  for (size_t i = 0; i < times; i++)
    memcpy(s + i * u, unit, u);
  s[u * times] = '\0';
  *len = u * times;
  return s;
}

static void check_repeat(const char *unit, size_t times, unsigned flags,
                         const char *want_unit) {
  size_t len, want_len;
  char *in = repeat(unit, times, &len);
  char *want = repeat(want_unit, times, &want_len);
  check_n(in, len, flags, want, 0);
  dedup__free(in);
  dedup__free(want);
}

static void long_lines(void **state) {
  (void)state;
  /* A 2 MB line without a space, all non-ASCII: é precomposed, and é
   * decomposed (composition must survive every segment cut). */
  check_repeat("\xC3\xA9", 1u << 20, 0, "\xC3\xA9");
  check_repeat("e\xCC\x81", 1u << 19, FOLD, "\xC3\xA9");
  check_repeat("E\xCC\x81", 1u << 19, FOLD, "\xC3\xA9");
  /* Conjoining jamo compose to syllables: 가 = U+1100 U+1161. */
  check_repeat("\xE1\x84\x80\xE1\x85\xA1", 100000, 0, "\xEA\xB0\x80");
  /* Han stays as it is; upper-case Cyrillic folds. */
  check_repeat("\xE6\x9D\xB1", 300000, FOLD, "\xE6\x9D\xB1");
  check_repeat("\xD0\x96", 300000, FOLD, "\xD0\xB6");
  /* U+FDFA grows elevenfold under NFKC (18 code points, 3 spaces). */
  check_repeat("\xEF\xB7\xBA", 20000, 0,
               "\xD8\xB5\xD9\x84\xD9\x89 \xD8\xA7\xD9\x84\xD9\x84\xD9\x87 "
               "\xD8\xB9\xD9\x84\xD9\x8A\xD9\x87 "
               "\xD9\x88\xD8\xB3\xD9\x84\xD9\x85");
  /* A 10 MB ASCII line, folded. */
  check_repeat("ABCDEFGHIJ", 1u << 20, FOLD, "abcdefghij");
}

/* Thousands of combining marks after one letter: no quadratic blow-up and
 * valid output. */
static void mark_flood(void **state) {
  (void)state;
  size_t len;
  char *in = repeat("\xCC\x81\xCC\xA3", 50000, &len); /* ccc 230, 220 */
  in[0] = 'a';
  in[1] = ' '; /* "a " then a broken first mark: one invalid byte */
  char *out;
  size_t out_len, bad;
  assert_int_equal(dedup__normalise(&out, &out_len, in, len, 0, &bad),
                   DEDUP_OK);
  assert_int_equal(bad, 0);
  /* a, space, then the marks: 50000 dot-below and 49999 acutes remain. */
  assert_int_equal(out_len, 2 + 2 * (50000 + 49999));
  dedup__free(out);
  dedup__free(in);
}

/* ------------------------------------------------------------------------ */
/* Random bytes                                                              */

static uint64_t rng_state;
static uint64_t rng(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}

/* Counts ill-formed subsequences of s the way Unicode's "best practice"
 * does (Table 3-7 of the standard); 0 means valid UTF-8.  Written apart
 * from the library's decoder on purpose. */
static size_t count_invalid(const unsigned char *s, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c <= 0x7F) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF)
      need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
      need = 2;
    else if (c >= 0xF0 && c <= 0xF4)
      need = 3;
    else {
      bad++;
      i++;
      continue;
    }
    if (c == 0xE0)
      lo = 0xA0;
    if (c == 0xED)
      hi = 0x9F;
    if (c == 0xF0)
      lo = 0x90;
    if (c == 0xF4)
      hi = 0x8F;
    size_t k = 1;
    while (k <= need && i + k < n && s[i + k] >= lo && s[i + k] <= hi) {
      lo = 0x80;
      hi = 0xBF;
      k++;
    }
    if (k <= need)
      bad++;
    i += k;
  }
  return bad;
}

static const char *const fragments[] = {
    "e",        "E",        "\xCC\x81", "\xCC\xA3", " ",        "\n",
    "\r",       "\t",       "\0",       "\xE2\x80\x99",         "\xC3\x89",
    "\xEF\xB7\xBA",         "\xE1\x84\x80",         "\xE1\x85\xA1",
    "\xEF\xBE\x9E",         "\xEF\xBD\xB6",         "\xCE\xA3",
    "\xE2\x80\x8B",         "\xC2\xA0", "\xF0\x9F\x98\x80",     "\xC2\xAD",
    "\xE3\x80\x80",         "\xE0\xB8\xB3",         "\xC3\x9F",
    "\xE6\x9D\xB1",         "\xED\xA0\x80",         "\xC0",     "\xFF",
};

/* Layout rules hold on any output. */
static void check_layout(const char *o, size_t n) {
  if (n == 0)
    return;
  assert_true(o[0] != ' ' && o[0] != '\n');
  assert_true(o[n - 1] != ' ' && o[n - 1] != '\n');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)o[i];
    assert_true(c >= 0x20 || c == '\n');
    assert_true(c != 0x7F);
    if (i + 1 < n) {
      assert_false(c == ' ' && o[i + 1] == ' ');
      assert_false(c == ' ' && o[i + 1] == '\n');
      assert_false(c == '\n' && o[i + 1] == ' ');
    }
    if (i + 2 < n)
      assert_false(c == '\n' && o[i + 1] == '\n' && o[i + 2] == '\n');
  }
}

static void random_bytes(void **state) {
  (void)state;
  rng_state = 0x9E3779B97F4A7C15ULL;
  unsigned char in[512];
  for (int iter = 0; iter < 6000; iter++) {
    size_t target = rng() % 400, n = 0;
    int mode = (int)(rng() % 3);
    while (n < target) {
      if (mode == 0) { /* raw random bytes */
        in[n++] = (unsigned char)rng();
      } else { /* fragments that exercise NFKC, with some noise */
        const char *f = fragments[rng() % (sizeof fragments /
                                           sizeof fragments[0])];
        size_t l = f[0] ? strlen(f) : 1;
        if (n + l + 1 > sizeof in)
          break;
        memcpy(in + n, f, l);
        n += l;
        if (mode == 2 && rng() % 8 == 0)
          in[n++] = (unsigned char)rng();
      }
    }
    unsigned flags = iter & 1 ? FOLD : 0;
    char *out, *again;
    size_t out_len, again_len, bad;
    assert_int_equal(dedup__normalise(&out, &out_len, (const char *)in, n,
                                      flags, &bad),
                     DEDUP_OK);
    assert_int_equal(strlen(out), out_len); /* no NUL inside */
    assert_int_equal(count_invalid((const unsigned char *)out, out_len), 0);
    assert_int_equal(bad, count_invalid(in, n));
    check_layout(out, out_len);
    /* Normalising again changes nothing. */
    assert_int_equal(dedup__normalise(&again, &again_len, out, out_len,
                                      flags, &bad),
                     DEDUP_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(again_len, out_len);
    assert_memory_equal(again, out, out_len);
    dedup__free(again);
    dedup__free(out);
  }
}

/* ------------------------------------------------------------------------ */
/* Helpers the tokeniser uses                                                */

static void char_classes(void **state) {
  (void)state;
  assert_int_equal(dedup__char_class('a'), DEDUP__CC_WORD);
  assert_int_equal(dedup__char_class('Z'), DEDUP__CC_WORD);
  assert_int_equal(dedup__char_class('7'), DEDUP__CC_WORD);
  assert_int_equal(dedup__char_class('-'), DEDUP__CC_OTHER);
  assert_int_equal(dedup__char_class('\''), DEDUP__CC_OTHER);
  assert_int_equal(dedup__char_class('_'), DEDUP__CC_OTHER);
  assert_int_equal(dedup__char_class(' '), DEDUP__CC_OTHER);
  assert_int_equal(dedup__char_class(0xE9), DEDUP__CC_WORD);   /* é */
  assert_int_equal(dedup__char_class(0x301), DEDUP__CC_WORD);  /* mark */
  assert_int_equal(dedup__char_class(0x416), DEDUP__CC_WORD);  /* Ж */
  assert_int_equal(dedup__char_class(0x663), DEDUP__CC_WORD);  /* ٣ */
  assert_int_equal(dedup__char_class(0xAC00), DEDUP__CC_WORD); /* 가 */
  assert_int_equal(dedup__char_class(0xB2), DEDUP__CC_WORD);   /* ² */
  assert_int_equal(dedup__char_class(0x6771), DEDUP__CC_NOSPACE); /* 東 */
  assert_int_equal(dedup__char_class(0x3042), DEDUP__CC_NOSPACE); /* あ */
  assert_int_equal(dedup__char_class(0x30A2), DEDUP__CC_NOSPACE); /* ア */
  assert_int_equal(dedup__char_class(0x30FC), DEDUP__CC_NOSPACE); /* ー */
  assert_int_equal(dedup__char_class(0x3005), DEDUP__CC_NOSPACE); /* 々 */
  assert_int_equal(dedup__char_class(0x3007), DEDUP__CC_NOSPACE); /* 〇 */
  assert_int_equal(dedup__char_class(0x20000), DEDUP__CC_NOSPACE);
  assert_int_equal(dedup__char_class(0xF900), DEDUP__CC_NOSPACE);
  assert_int_equal(dedup__char_class(0x0E01), DEDUP__CC_NOSPACE); /* ก */
  assert_int_equal(dedup__char_class(0x0E81), DEDUP__CC_NOSPACE); /* Lao */
  assert_int_equal(dedup__char_class(0x1780), DEDUP__CC_NOSPACE); /* Khmer */
  assert_int_equal(dedup__char_class(0x1000), DEDUP__CC_NOSPACE); /* Myanmar */
  assert_int_equal(dedup__char_class(0x0E31), DEDUP__CC_WORD); /* Thai mark */
  assert_int_equal(dedup__char_class(0x0E51), DEDUP__CC_WORD); /* Thai 1 */
  assert_int_equal(dedup__char_class(0x3002), DEDUP__CC_OTHER); /* 。 */
  assert_int_equal(dedup__char_class(0x30FB), DEDUP__CC_OTHER); /* ・ */
  assert_int_equal(dedup__char_class(0x2019), DEDUP__CC_OTHER);
  assert_int_equal(dedup__char_class(0xFFFD), DEDUP__CC_OTHER);
  assert_int_equal(dedup__char_class(0x1F600), DEDUP__CC_OTHER); /* emoji */
  assert_int_equal(dedup__char_class(0xA0), DEDUP__CC_OTHER);
  assert_int_equal(dedup__char_class(0x110000), DEDUP__CC_OTHER);
}

static void upper_and_cuts(void **state) {
  (void)state;
  assert_true(dedup__is_upper('A'));
  assert_true(dedup__is_upper(0xC9));  /* É */
  assert_true(dedup__is_upper(0x1C5)); /* ǅ, titlecase */
  assert_true(dedup__is_upper(0x416)); /* Ж */
  assert_false(dedup__is_upper('a'));
  assert_false(dedup__is_upper('1'));
  assert_false(dedup__is_upper(0xDF));   /* ß */
  assert_false(dedup__is_upper(0x6771)); /* 東 */

  assert_true(dedup__safe_cut('a'));
  assert_true(dedup__safe_cut(0x6771));
  assert_true(dedup__safe_cut(0xE9));
  assert_false(dedup__safe_cut(0x301));  /* combining acute */
  assert_false(dedup__safe_cut(0x0E31)); /* Thai vowel sign */
  assert_false(dedup__safe_cut(0x1161)); /* Hangul medial jamo */
  assert_false(dedup__safe_cut(0xFF9E)); /* halfwidth voiced mark */
  assert_false(dedup__safe_cut(0x200B)); /* ignorable */
}

static void utf8_next(void **state) {
  (void)state;
  int32_t cp;
  assert_int_equal(dedup__utf8_next("a", 1, &cp), 1);
  assert_int_equal(cp, 'a');
  assert_int_equal(dedup__utf8_next("\xC3\xA9x", 3, &cp), 2);
  assert_int_equal(cp, 0xE9);
  assert_int_equal(dedup__utf8_next("\xE6\x9D\xB1", 3, &cp), 3);
  assert_int_equal(cp, 0x6771);
  assert_int_equal(dedup__utf8_next("\xF0\x9F\x98\x80", 4, &cp), 4);
  assert_int_equal(cp, 0x1F600);
  assert_int_equal(dedup__utf8_next("\xE6\x9D", 2, &cp), 1);
  assert_int_equal(cp, 0xFFFD);
  assert_int_equal(dedup__utf8_next("\xED\xA0\x80", 3, &cp), 1);
  assert_int_equal(cp, 0xFFFD);
  assert_int_equal(dedup__utf8_next("\x80", 1, &cp), 1);
  assert_int_equal(cp, 0xFFFD);
}

static void casefold_word(void **state) {
  (void)state;
  char buf[64];
  size_t n = dedup__casefold_word(buf, sizeof buf, "HeLLo", 5);
  assert_int_equal(n, 5);
  assert_memory_equal(buf, "hello", 5);
  n = dedup__casefold_word(buf, sizeof buf, "Stra\xC3\x9F" "e", 7);
  assert_int_equal(n, 7);
  assert_memory_equal(buf, "strasse", 7);
  n = dedup__casefold_word(buf, sizeof buf, "\xC3\x89" "COLE", 6);
  assert_int_equal(n, 6);
  assert_memory_equal(buf, "\xC3\xA9" "cole", 6);
  /* Same bytes as normalising with case folding. */
  const char *w = "\xCE\x9F\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85"
                  "\xCF\x82"; /* Οδυσσευς */
  char *norm;
  size_t norm_len;
  assert_int_equal(dedup__normalise(&norm, &norm_len, w, strlen(w), FOLD,
                                    NULL),
                   DEDUP_OK);
  n = dedup__casefold_word(buf, sizeof buf, w, strlen(w));
  assert_int_equal(n, norm_len);
  assert_memory_equal(buf, norm, n);
  dedup__free(norm);
  /* Too small a buffer says so. */
  assert_true(dedup__casefold_word(buf, 3, "HeLLo", 5) > 3);
  assert_true(dedup__casefold_word(buf, 4, "Stra\xC3\x9F" "e", 7) > 4);
  /* A word folding to more than 256 code points (heap fallback). */
  size_t len;
  char *big = repeat("\xC3\x89", 300, &len);
  char *dst = dedup__malloc(2 * len);
  assert_non_null(dst);
  n = dedup__casefold_word(dst, 2 * len, big, len);
  assert_int_equal(n, len);
  for (size_t i = 0; i < n; i += 2)
    assert_memory_equal(dst + i, "\xC3\xA9", 2);
  dedup__free(dst);
  dedup__free(big);
}

static size_t utf8(char *d, int32_t cp) {
  if (cp < 0x800) {
    d[0] = (char)(0xC0 | (cp >> 6));
    d[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (char)(0xE0 | (cp >> 12));
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = (char)(0xF0 | (cp >> 18));
  d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  d[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* The memo's form of every code point up to plane 2 is what the general
 * path makes of it. */
static void memo_matches_general_path(void **state) {
  (void)state;
  static dedup__cpmemo plain, folded; /* 16 KB each: not on the stack */
  dedup__cpmemo_init(&plain, 0);
  dedup__cpmemo_init(&folded, FOLD);
  size_t n_plain = 0, n_folded = 0;
  for (int32_t cp = 0x80; cp < 0x30000; cp++) {
    if (cp >= 0xD800 && cp <= 0xDFFF)
      continue;
    char in[4], buf[64];
    size_t n = utf8(in, cp);
    const dedup__cpmemo_entry *e = dedup__cpmemo_get(&plain, cp);
    assert_int_equal(e->cp, cp);
    assert_int_equal(e->cut, dedup__safe_cut(cp));
    assert_int_equal(e->cls, dedup__char_class(cp));
    assert_int_equal(e->upper, dedup__is_upper(cp));
    if (e->len) {
      char *out;
      size_t out_len;
      assert_int_equal(dedup__normalise(&out, &out_len, in, n, 0, NULL),
                       DEDUP_OK);
      assert_int_equal(out_len, e->len);
      assert_memory_equal(out, e->s, out_len);
      dedup__free(out);
      n_plain++;
    }
    e = dedup__cpmemo_get(&folded, cp);
    if (e->len) {
      size_t m = dedup__casefold_word(buf, sizeof buf, in, n);
      assert_int_equal(m, e->len);
      assert_memory_equal(buf, e->s, m);
      n_folded++;
    }
  }
  /* Nearly every assigned character has a short plain form. */
  assert_true(n_plain > 100000);
  assert_true(n_folded > 100000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(latin_accents),
      cmocka_unit_test(combining_edge_cases),
      cmocka_unit_test(cyrillic),
      cmocka_unit_test(greek_final_sigma),
      cmocka_unit_test(fullwidth),
      cmocka_unit_test(typography),
      cmocka_unit_test(invalid_sequences),
      cmocka_unit_test(controls),
      cmocka_unit_test(lines),
      cmocka_unit_test(empty_input),
      cmocka_unit_test(long_lines),
      cmocka_unit_test(mark_flood),
      cmocka_unit_test(random_bytes),
      cmocka_unit_test(char_classes),
      cmocka_unit_test(upper_and_cuts),
      cmocka_unit_test(utf8_next),
      cmocka_unit_test(casefold_word),
      cmocka_unit_test(memo_matches_general_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
