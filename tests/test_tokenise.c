/* test_tokenise.c - tokens, flags and hashes; the stop-word table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/dedup_private.h"
#include "common/hash.h"
#include "text/normalise.h"
#include "text/tokenise.h"

#define SEED 0x5EEDULL
#define STOP DEDUP__TOK_STOP
#define NUM DEDUP__TOK_NUM
#define CAP DEDUP__TOK_CAP
#define CHR DEDUP__TOK_CHAR

typedef struct want {
  const char *text; /* the token's bytes in the input */
  unsigned flags;
} want;

static void tokens(dedup__tokvec *tv, const char *s) {
  tv->n = 0;
  assert_int_equal(dedup__tokenise(tv, s, strlen(s), SEED), DEDUP_OK);
}

/* Exact token list: bytes, flags, and hash = XXH3 of the folded bytes. */
static void check(const char *s, const want *w, size_t n) {
  dedup__tokvec tv = {0};
  tokens(&tv, s);
  if (tv.n != n) {
    for (size_t i = 0; i < tv.n; i++)
      fprintf(stderr, "  [%.*s] %u\n", tv.v[i].len, s + tv.v[i].off,
              tv.v[i].flags);
  }
  assert_int_equal(tv.n, n);
  for (size_t i = 0; i < n; i++) {
    const dedup__token *t = &tv.v[i];
    size_t len = strlen(w[i].text);
    if (t->len != len || memcmp(s + t->off, w[i].text, len) != 0)
      fprintf(stderr, "token %zu: [%.*s], want [%s]\n", i, t->len,
              s + t->off, w[i].text);
    assert_int_equal(t->len, len);
    assert_memory_equal(s + t->off, w[i].text, len);
    assert_int_equal(t->flags, w[i].flags);
    char buf[256];
    size_t m = dedup__casefold_word(buf, sizeof buf, w[i].text, len);
    assert_true(m <= sizeof buf);
    assert_true(t->hash == dedup__hash(buf, m, SEED));
  }
  dedup__tokvec_free(&tv);
}

#define CHECK(s, ...)                                                          \
  do {                                                                         \
    const want w_[] = {__VA_ARGS__};                                           \
    check((s), w_, sizeof w_ / sizeof w_[0]);                                  \
  } while (0)

static void check_none(const char *s) {
  dedup__tokvec tv = {0};
  assert_int_equal(dedup__tokenise(&tv, s, strlen(s), SEED), DEDUP_OK);
  assert_int_equal(tv.n, 0);
  dedup__tokvec_free(&tv);
}

/* ------------------------------------------------------------------------ */

static void english(void **state) {
  (void)state;
  CHECK("Musk's SpaceX-backed rocket, launched in 2024, cost $1.5bn.",
        {"Musk", CAP}, {"s", STOP}, {"SpaceX", CAP}, {"backed", 0},
        {"rocket", 0}, {"launched", 0}, {"in", STOP}, {"2024", NUM},
        {"cost", 0}, {"1", NUM}, {"5bn", 0});
  CHECK("I don't think it's state-of-the-art.", {"I", CAP | STOP},
        {"don", STOP}, {"t", STOP}, {"think", 0}, {"it", STOP},
        {"s", STOP}, {"state", 0}, {"of", STOP}, {"the", STOP},
        {"art", 0});
  /* Capitalised stop words keep both flags; underscores split. */
  CHECK("The snake_case x2 2x 007", {"The", CAP | STOP}, {"snake", 0},
        {"case", 0}, {"x2", 0}, {"2x", 0}, {"007", NUM});
}

static void other_scripts(void **state) {
  (void)state;
  /* Accents inside words; a word that starts in ASCII. */
  CHECK("Caf\xC3\xA9 \xC3\x89" "cole na\xC3\xAFve", {"Caf\xC3\xA9", CAP},
        {"\xC3\x89" "cole", CAP}, {"na\xC3\xAFve", 0});
  /* Путин и Trump встретились */
  CHECK("\xD0\x9F\xD1\x83\xD1\x82\xD0\xB8\xD0\xBD \xD0\xB8 Trump "
        "\xD0\xB2\xD1\x81\xD1\x82\xD1\x80\xD0\xB5\xD1\x82\xD0\xB8\xD0\xBB"
        "\xD0\xB8\xD1\x81\xD1\x8C",
        {"\xD0\x9F\xD1\x83\xD1\x82\xD0\xB8\xD0\xBD", CAP}, {"\xD0\xB8", 0},
        {"Trump", CAP},
        {"\xD0\xB2\xD1\x81\xD1\x82\xD1\x80\xD0\xB5\xD1\x82\xD0\xB8\xD0\xBB"
         "\xD0\xB8\xD1\x81\xD1\x8C",
         0});
  /* مرحبا بالعالم (Arabic), 안녕 세계 (Hangul): words with spaces. */
  CHECK("\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 "
        "\xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7\xD9\x84\xD9\x85",
        {"\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", 0},
        {"\xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7\xD9\x84\xD9\x85", 0});
  CHECK("\xEC\x95\x88\xEB\x85\x95 \xEC\x84\xB8\xEA\xB3\x84",
        {"\xEC\x95\x88\xEB\x85\x95", 0}, {"\xEC\x84\xB8\xEA\xB3\x84", 0});
}

static void chinese_japanese(void **state) {
  (void)state;
  /* 东京是日本的首都。 */
  CHECK("\xE4\xB8\x9C\xE4\xBA\xAC\xE6\x98\xAF\xE6\x97\xA5\xE6\x9C\xAC"
        "\xE7\x9A\x84\xE9\xA6\x96\xE9\x83\xBD\xE3\x80\x82",
        {"\xE4\xB8\x9C", CHR}, {"\xE4\xBA\xAC", CHR}, {"\xE6\x98\xAF", CHR},
        {"\xE6\x97\xA5", CHR}, {"\xE6\x9C\xAC", CHR}, {"\xE7\x9A\x84", CHR},
        {"\xE9\xA6\x96", CHR}, {"\xE9\x83\xBD", CHR});
  /* 東京タワーは高い */
  CHECK("\xE6\x9D\xB1\xE4\xBA\xAC\xE3\x82\xBF\xE3\x83\xAF\xE3\x83\xBC"
        "\xE3\x81\xAF\xE9\xAB\x98\xE3\x81\x84",
        {"\xE6\x9D\xB1", CHR}, {"\xE4\xBA\xAC", CHR}, {"\xE3\x82\xBF", CHR},
        {"\xE3\x83\xAF", CHR}, {"\xE3\x83\xBC", CHR}, {"\xE3\x81\xAF", CHR},
        {"\xE9\xAB\x98", CHR}, {"\xE3\x81\x84", CHR});
  /* A combining voiced mark stays with its kana: か + U+3099. */
  CHECK("\xE3\x81\x8B\xE3\x82\x99\xE3\x81\x8B",
        {"\xE3\x81\x8B\xE3\x82\x99", CHR}, {"\xE3\x81\x8B", CHR});
}

static void thai(void **state) {
  (void)state;
  /* สวัสดีครับ: consonants are tokens, vowel signs stay with them. */
  CHECK("\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94"
        "\xE0\xB8\xB5\xE0\xB8\x84\xE0\xB8\xA3\xE0\xB8\xB1\xE0\xB8\x9A",
        {"\xE0\xB8\xAA", CHR}, {"\xE0\xB8\xA7\xE0\xB8\xB1", CHR},
        {"\xE0\xB8\xAA", CHR}, {"\xE0\xB8\x94\xE0\xB8\xB5", CHR},
        {"\xE0\xB8\x84", CHR}, {"\xE0\xB8\xA3\xE0\xB8\xB1", CHR},
        {"\xE0\xB8\x9A", CHR});
}

static void mixed_scripts(void **state) {
  (void)state;
  /* iPhone 15在中国发布 */
  CHECK("iPhone 15\xE5\x9C\xA8\xE4\xB8\xAD\xE5\x9B\xBD\xE5\x8F\x91"
        "\xE5\xB8\x83",
        {"iPhone", 0}, {"15", NUM}, {"\xE5\x9C\xA8", CHR},
        {"\xE4\xB8\xAD", CHR}, {"\xE5\x9B\xBD", CHR}, {"\xE5\x8F\x91", CHR},
        {"\xE5\xB8\x83", CHR});
  /* Latin glued to Han and to Cyrillic; an emoji separates. */
  CHECK("Tesla\xE7\x89\xB9" "abc\xD0\x96\xD0\xB8\xF0\x9F\x98\x80x",
        {"Tesla", CAP}, {"\xE7\x89\xB9", CHR},
        {"abc\xD0\x96\xD0\xB8", 0}, {"x", 0});
}

static void empty_and_punctuation(void **state) {
  (void)state;
  check_none("");
  check_none("... --- !!! \xE2\x80\x94 \xE3\x80\x82 \xF0\x9F\x98\x80 _");
  dedup__tokvec tv = {0};
  assert_int_equal(dedup__tokenise(&tv, NULL, 0, SEED), DEDUP_OK);
  assert_int_equal(tv.n, 0);
  dedup__tokvec_free(&tv);
  dedup__tokvec_free(&tv); /* twice is fine */
}

/* ------------------------------------------------------------------------ */
/* Hashes                                                                    */

static uint64_t hash_of(const char *s, size_t i) {
  dedup__tokvec tv = {0};
  tokens(&tv, s);
  assert_true(i < tv.n);
  uint64_t h = tv.v[i].hash;
  dedup__tokvec_free(&tv);
  return h;
}

static void hashes_fold_case(void **state) {
  (void)state;
  uint64_t h = hash_of("Musk", 0);
  assert_true(h == dedup__hash("musk", 4, SEED));
  assert_true(hash_of("musk", 0) == h);
  assert_true(hash_of("MUSK", 0) == h);
  assert_true(hash_of("Mask", 0) != h);
  /* The seed matters. */
  dedup__tokvec tv = {0};
  assert_int_equal(dedup__tokenise(&tv, "Musk", 4, SEED + 1), DEDUP_OK);
  assert_true(tv.v[0].hash != h);
  dedup__tokvec_free(&tv);
  /* Non-ASCII case folding, including full folding ß -> ss. */
  assert_true(hash_of("\xC3\x89" "COLE", 0) == hash_of("\xC3\xA9" "cole", 0));
  assert_true(hash_of("\xC3\xA9" "cole", 0) ==
              dedup__hash("\xC3\xA9" "cole", 6, SEED));
  assert_true(hash_of("STRASSE", 0) == hash_of("Stra\xC3\x9F" "e", 0));
  assert_true(hash_of("\xD0\x9C\xD0\x98\xD0\xA0", 0) ==
              hash_of("\xD0\xBC\xD0\xB8\xD1\x80", 0)); /* МИР, мир */
  /* Final sigma: ΟΔΟΣ and οδος hash alike. */
  assert_true(hash_of("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3", 0) ==
              hash_of("\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82", 0));
}

/* Musk’s and Musk's give the same tokens, raw and after normalisation. */
static void apostrophes(void **state) {
  (void)state;
  const char *curly = "Elon Musk\xE2\x80\x99s rocket";
  const char *plain = "Elon Musk's rocket";
  char *norm;
  size_t norm_len;
  assert_int_equal(dedup__normalise(&norm, &norm_len, curly, strlen(curly),
                                    0, NULL),
                   DEDUP_OK);
  assert_string_equal(norm, plain);
  dedup__tokvec a = {0}, b = {0}, c = {0};
  tokens(&a, plain);
  tokens(&b, curly);
  tokens(&c, norm);
  assert_int_equal(a.n, 4);
  assert_int_equal(b.n, 4);
  assert_int_equal(c.n, 4);
  for (size_t i = 0; i < 4; i++) {
    assert_true(a.v[i].hash == b.v[i].hash);
    assert_true(a.v[i].hash == c.v[i].hash);
    assert_int_equal(a.v[i].flags, b.v[i].flags);
    assert_int_equal(a.v[i].len, b.v[i].len);
  }
  assert_true(a.v[2].hash == dedup__hash("s", 1, SEED));
  dedup__tokvec_free(&a);
  dedup__tokvec_free(&b);
  dedup__tokvec_free(&c);
  dedup__free(norm);
}

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

static void long_words(void **state) {
  (void)state;
  size_t len, low_len;
  /* 100000 letters: cut into 65535 + 34465; the long hash (streamed in
   * chunks) equals the one-shot hash of the folded bytes. */
  char *w = repeat("Ab", 50000, &len);
  char *low = repeat("ab", 50000, &low_len);
  dedup__tokvec tv = {0};
  assert_int_equal(dedup__tokenise(&tv, w, len, SEED), DEDUP_OK);
  assert_int_equal(tv.n, 2);
  assert_int_equal(tv.v[0].off, 0);
  assert_int_equal(tv.v[0].len, 65535);
  assert_int_equal(tv.v[1].off, 65535);
  assert_int_equal(tv.v[1].len, 100000 - 65535);
  assert_int_equal(tv.v[0].flags, CAP);
  assert_int_equal(tv.v[1].flags, 0); /* starts with "b" */
  assert_true(tv.v[0].hash == dedup__hash(low, 65535, SEED));
  assert_true(tv.v[1].hash == dedup__hash(low + 65535, 34465, SEED));
  dedup__free(w);
  dedup__free(low);

  /* 600 digits: longer than the fold buffer, still NUM. */
  w = repeat("9", 600, &len);
  tv.n = 0;
  assert_int_equal(dedup__tokenise(&tv, w, len, SEED), DEDUP_OK);
  assert_int_equal(tv.n, 1);
  assert_int_equal(tv.v[0].flags, NUM);
  assert_true(tv.v[0].hash == dedup__hash(w, len, SEED));
  dedup__free(w);

  /* 3000 bytes of É: folded in chunks, same as the whole fold. */
  w = repeat("\xC3\x89", 1500, &len);
  low = repeat("\xC3\xA9", 1500, &low_len);
  tv.n = 0;
  assert_int_equal(dedup__tokenise(&tv, w, len, SEED), DEDUP_OK);
  assert_int_equal(tv.n, 1);
  assert_int_equal(tv.v[0].len, 3000);
  assert_int_equal(tv.v[0].flags, CAP);
  assert_true(tv.v[0].hash == dedup__hash(low, low_len, SEED));
  dedup__free(w);
  dedup__free(low);

  /* Mixed: "Straße" 200 times as one word; ß folds to ss. */
  w = repeat("Stra\xC3\x9F" "e", 200, &len);
  low = repeat("strasse", 200, &low_len);
  tv.n = 0;
  assert_int_equal(dedup__tokenise(&tv, w, len, SEED), DEDUP_OK);
  assert_int_equal(tv.n, 1);
  assert_true(tv.v[0].hash == dedup__hash(low, low_len, SEED));
  dedup__tokvec_free(&tv);
  dedup__free(w);
  dedup__free(low);
}

static void appends(void **state) {
  (void)state;
  dedup__tokvec tv = {0};
  assert_int_equal(dedup__tokenise(&tv, "one two", 7, SEED), DEDUP_OK);
  assert_int_equal(dedup__tokenise(&tv, "three", 5, SEED), DEDUP_OK);
  assert_int_equal(tv.n, 3);
  assert_int_equal(tv.v[2].off, 0); /* offsets are into each text */
  assert_int_equal(tv.v[2].len, 5);
  assert_true(tv.v[2].hash == dedup__hash("three", 5, SEED));
  dedup__tokvec_free(&tv);
  assert_null(tv.v);
  assert_int_equal(tv.n, 0);
}

/* ------------------------------------------------------------------------ */
/* Random text: the memo-based fold equals a whole-word fold, and folding
 * case before or after tokenising gives the same hashes. */

static uint64_t rng_state;
static uint64_t rng(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}

static const char *const fragments[] = {
    "a", "Q", "7", " ", " ", "'", "-", "\n", "\xC3\x89", "\xC3\xA9",
    "\xCC\x81", "\xCC\xA3", "\xC3\x9F", "\xCE\xA3", "\xCF\x82",
    "\xD0\x96", "\xE6\x9D\xB1", "\xE3\x82\xAB", "\xE3\x82\x99",
    "\xE0\xB8\xAA", "\xE0\xB8\xB1", "\xEA\xB0\x80", "\xE1\xBE\x80",
    "\xC4\xB0", "\xEF\xAC\x81", "\xF0\x9F\x98\x80", "\xE2\x80\x99",
};

static void random_texts(void **state) {
  (void)state;
  rng_state = 12345;
  char in[300];
  dedup__tokvec raw = {0}, folded = {0};
  for (int iter = 0; iter < 3000; iter++) {
    size_t n = 0, target = rng() % 200;
    while (n < target) {
      const char *f =
          fragments[rng() % (sizeof fragments / sizeof fragments[0])];
      size_t l = strlen(f);
      if (n + l > sizeof in)
        break;
      memcpy(in + n, f, l);
      n += l;
    }
    char *plain, *cf;
    size_t plain_len, cf_len;
    assert_int_equal(dedup__normalise(&plain, &plain_len, in, n, 0, NULL),
                     DEDUP_OK);
    assert_int_equal(dedup__normalise(&cf, &cf_len, in, n,
                                      DEDUP__NORM_CASEFOLD, NULL),
                     DEDUP_OK);
    raw.n = folded.n = 0;
    assert_int_equal(dedup__tokenise(&raw, plain, plain_len, SEED),
                     DEDUP_OK);
    assert_int_equal(dedup__tokenise(&folded, cf, cf_len, SEED), DEDUP_OK);
    assert_int_equal(raw.n, folded.n);
    for (size_t i = 0; i < raw.n; i++) {
      const dedup__token *t = &raw.v[i];
      char buf[1024];
      size_t m = dedup__casefold_word(buf, sizeof buf, plain + t->off,
                                      t->len);
      assert_true(m <= sizeof buf);
      assert_true(t->hash == dedup__hash(buf, m, SEED));
      if (t->hash != folded.v[i].hash) {
        fprintf(stderr, "[%.*s] vs [%.*s]\n", t->len, plain + t->off,
                folded.v[i].len, cf + folded.v[i].off);
        for (size_t k = 0; k < t->len; k++)
          fprintf(stderr, "%02X", (unsigned char)plain[t->off + k]);
        fprintf(stderr, " vs ");
        for (size_t k = 0; k < folded.v[i].len; k++)
          fprintf(stderr, "%02X", (unsigned char)cf[folded.v[i].off + k]);
        fprintf(stderr, "\n");
      }
      assert_true(t->hash == folded.v[i].hash);
      assert_true(t->off + t->len <= plain_len);
    }
    dedup__free(plain);
    dedup__free(cf);
  }
  dedup__tokvec_free(&raw);
  dedup__tokvec_free(&folded);
}

/* Not normalised, not even valid UTF-8: no crash, tokens in bounds. */
static void random_bytes(void **state) {
  (void)state;
  rng_state = 777;
  unsigned char in[256];
  dedup__tokvec tv = {0};
  for (int iter = 0; iter < 3000; iter++) {
    size_t n = rng() % sizeof in;
    for (size_t i = 0; i < n; i++)
      in[i] = (unsigned char)(iter & 1 ? rng() : 0x80 | rng());
    tv.n = 0;
    assert_int_equal(dedup__tokenise(&tv, (const char *)in, n, SEED),
                     DEDUP_OK);
    size_t end = 0;
    for (size_t i = 0; i < tv.n; i++) {
      assert_true(tv.v[i].len > 0);
      assert_true(tv.v[i].off >= end); /* in order, no overlap */
      end = (size_t)tv.v[i].off + tv.v[i].len;
      assert_true(end <= n);
    }
  }
  dedup__tokvec_free(&tv);
}

/* ------------------------------------------------------------------------ */

static void stop_words(void **state) {
  (void)state;
  /* The whole list documented in stopwords.c. */
  static const char *const list[] = {
      "a", "about", "above", "across", "after", "again", "against", "ain",
      "all", "along", "already", "also", "although", "am", "among",
      "amongst", "an", "and", "another", "any", "anyone", "anything", "are",
      "aren", "around", "as", "at", "be", "because", "been", "before",
      "being", "below", "beside", "besides", "between", "beyond", "both",
      "but", "by", "can", "could", "couldn", "d", "despite", "did", "didn",
      "do", "does", "doesn", "doing", "don", "down", "during", "each",
      "either", "else", "even", "ever", "every", "everyone", "everything",
      "few", "for", "from", "further", "had", "hadn", "has", "hasn", "have",
      "haven", "having", "he", "hence", "her", "here", "hereby", "herein",
      "hers", "herself", "him", "himself", "his", "how", "however", "i",
      "if", "in", "inside", "into", "is", "isn", "it", "its", "itself",
      "just", "ll", "m", "ma", "many", "may", "me", "might", "mightn",
      "more", "most", "much", "must", "mustn", "my", "myself", "near",
      "needn", "neither", "never", "no", "nobody", "none", "nor", "not",
      "nothing", "now", "o", "of", "off", "often", "on", "once", "only",
      "onto", "or", "other", "our", "ours", "ourselves", "out", "outside",
      "over", "own", "per", "quite", "rather", "re", "s", "same", "several",
      "shall", "shan", "she", "should", "shouldn", "since", "so", "some",
      "someone", "something", "still", "such", "t", "than", "that", "the",
      "their", "theirs", "them", "themselves", "then", "there", "thereby",
      "therefore", "therein", "thereof", "these", "they", "this", "those",
      "though", "through", "throughout", "thus", "to", "too", "toward",
      "towards", "under", "unless", "until", "up", "upon", "us", "ve",
      "very", "via", "was", "wasn", "we", "were", "weren", "what",
      "whatever", "when", "whenever", "where", "whereas", "whereby",
      "wherein", "wherever", "whether", "which", "whichever", "while", "who",
      "whoever", "whom", "whomever", "whose", "why", "will", "with",
      "within", "without", "would", "wouldn", "y", "yet", "you", "your",
      "yours", "yourself", "yourselves",
  };
  /* Every word of the list is in the table, and the table holds no
   * other (it has as many keys as the list has words). */
  assert_int_equal(dedup__stopword_count(), sizeof list / sizeof list[0]);
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
    if (!dedup__is_stopword(list[i], strlen(list[i])))
      fprintf(stderr, "not a stop word: %s\n", list[i]);
    assert_true(dedup__is_stopword(list[i], strlen(list[i])));
  }
  static const char *const not_stop[] = {
      "said", "president", "won", "people", "year", "b", "z", "th", "thee",
      "them1", "themselvesx", "ourselve", "tha", "hte", "The", "AND",
      "\xC3\xA9", "x y", "to-", "'s",
  };
  for (size_t i = 0; i < sizeof not_stop / sizeof not_stop[0]; i++)
    assert_false(dedup__is_stopword(not_stop[i], strlen(not_stop[i])));
  assert_false(dedup__is_stopword("", 0));
  /* Length is what counts, not a terminator. */
  assert_true(dedup__is_stopword("there's", 5));
  assert_false(dedup__is_stopword("the", 2));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(english),
      cmocka_unit_test(other_scripts),
      cmocka_unit_test(chinese_japanese),
      cmocka_unit_test(thai),
      cmocka_unit_test(mixed_scripts),
      cmocka_unit_test(empty_and_punctuation),
      cmocka_unit_test(hashes_fold_case),
      cmocka_unit_test(apostrophes),
      cmocka_unit_test(long_words),
      cmocka_unit_test(appends),
      cmocka_unit_test(random_texts),
      cmocka_unit_test(random_bytes),
      cmocka_unit_test(stop_words),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
