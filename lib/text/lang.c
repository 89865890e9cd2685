/* lang.c - languages: the table, stop words, identification (lang.h). */
#include "text/lang.h"

#include "common/dedup_private.h"
#include "common/hash.h"
#include "text/normalise.h"
#include "text/stoplists.h"

#include <libexttextcat/textcat.h>
#include <string.h>

#ifndef DEDUP_TEXTCAT_DIR
#define DEDUP_TEXTCAT_DIR "/usr/share/libexttextcat/"
#endif

enum { STEM = 1 }; /* libstemmer has it */

typedef struct lang_info {
  const char *code;  /* ISO 639-1 */
  const char *code3; /* ISO 639-2/T */
  const char *name;  /* English name, as Snowball calls its stemmers */
  uint8_t flags;
  uint8_t words;     /* dedup__lang_words */
  /* The cleaner's stop-word shares (jusText's 0.25 / 0.20, set for
   * English lists) are multiplied by this.  1 for every spaced language:
   * Snowball's lists are built to cover function words as the English one
   * does, and jusText uses one threshold for all its lists too.  Chinese
   * and Japanese lists are of single function characters, which cover
   * less of the text than function words do of a European language's:
   * the 60 characters of zh_stop are 14% of the Chinese news prose
   * written for tests/lang (terse news style; 6% in some paragraphs), the
   * 20 particles and endings of ja_stop 28-40% of its Japanese lines.
   * So Chinese prose is told mostly by length: 0.2 (a share of 0.05);
   * chrome lines are short (a prose line is 70 bytes, 23 characters) and
   * unpunctuated anyway.  Japanese: 0.67.  Russian has
   * no articles, and Snowball's list covers 23% of the Russian news
   * prose written for tests/lang against 35-44% for German, Spanish and
   * French (and their lead paragraphs 0.14): 0.6.  Other languages
   * without articles (Finnish, Hungarian...) are not measured and keep
   * 1: a page none of whose lines passes is kept whole, never lost. */
  float stop_scale;
} lang_info;

static const lang_info langs[] = {
    {"und", "und", "undetermined", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"en", "eng", "english", STEM, DEDUP__WORDS_SPACED, 1.0f},
    /* Snowball's other stemmers with a stop-word list */
    {"da", "dan", "danish", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"de", "deu", "german", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"es", "spa", "spanish", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"fi", "fin", "finnish", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"fr", "fra", "french", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"hu", "hun", "hungarian", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"id", "ind", "indonesian", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"it", "ita", "italian", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"nl", "nld", "dutch", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"no", "nor", "norwegian", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"pt", "por", "portuguese", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"ro", "ron", "romanian", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"ru", "rus", "russian", STEM, DEDUP__WORDS_SPACED, 0.6f},
    {"sv", "swe", "swedish", STEM, DEDUP__WORDS_SPACED, 1.0f},
    /* Snowball stemmers without a packaged list */
    {"ar", "ara", "arabic", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"hy", "hye", "armenian", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"eu", "eus", "basque", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"ca", "cat", "catalan", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"el", "ell", "greek", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"hi", "hin", "hindi", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"ga", "gle", "irish", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"lt", "lit", "lithuanian", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"ne", "nep", "nepali", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"sr", "srp", "serbian", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"ta", "tam", "tamil", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"tr", "tur", "turkish", STEM, DEDUP__WORDS_SPACED, 1.0f},
    {"yi", "yid", "yiddish", STEM, DEDUP__WORDS_SPACED, 1.0f},
    /* Scripts without spaces, and Korean (syllable bigrams as Lucene's
     * CJK analyser makes them: particles are written onto words) */
    {"zh", "zho", "chinese", 0, DEDUP__WORDS_BIGRAM, 0.2f},
    {"ja", "jpn", "japanese", 0, DEDUP__WORDS_BIGRAM, 0.67f},
    {"ko", "kor", "korean", 0, DEDUP__WORDS_BIGRAM, 1.0f},
    {"th", "tha", "thai", 0, DEDUP__WORDS_THAI, 1.0f},
    {"lo", "lao", "lao", 0, DEDUP__WORDS_BIGRAM, 1.0f},
    {"km", "khm", "khmer", 0, DEDUP__WORDS_BIGRAM, 1.0f},
    {"my", "mya", "burmese", 0, DEDUP__WORDS_BIGRAM, 1.0f},
    /* Languages libexttextcat tells apart and the library has nothing
     * more for: known, so that their pages weigh their words among
     * themselves, not among the undetermined. */
    {"af", "afr", "afrikaans", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"am", "amh", "amharic", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"az", "aze", "azerbaijani", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"be", "bel", "belarusian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"bg", "bul", "bulgarian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"bn", "ben", "bengali", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"bs", "bos", "bosnian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"cs", "ces", "czech", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"cy", "cym", "welsh", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"eo", "epo", "esperanto", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"et", "est", "estonian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"fa", "fas", "persian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"gl", "glg", "galician", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"gu", "guj", "gujarati", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"he", "heb", "hebrew", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"hr", "hrv", "croatian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"is", "isl", "icelandic", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"ka", "kat", "georgian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"kk", "kaz", "kazakh", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"kn", "kan", "kannada", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"la", "lat", "latin", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"lv", "lav", "latvian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"mk", "mkd", "macedonian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"ml", "mal", "malayalam", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"mn", "mon", "mongolian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"mr", "mar", "marathi", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"ms", "msa", "malay", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"mt", "mlt", "maltese", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"pa", "pan", "punjabi", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"pl", "pol", "polish", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"si", "sin", "sinhala", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"sk", "slk", "slovak", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"sl", "slv", "slovenian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"sq", "sqi", "albanian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"sw", "swa", "swahili", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"te", "tel", "telugu", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"tl", "tgl", "tagalog", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"uk", "ukr", "ukrainian", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"ur", "urd", "urdu", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"uz", "uzb", "uzbek", 0, DEDUP__WORDS_SPACED, 1.0f},
    {"vi", "vie", "vietnamese", 0, DEDUP__WORDS_SPACED, 1.0f},
};
#define N_LANGS (sizeof langs / sizeof langs[0])
_Static_assert(N_LANGS <= 255, "a language fits a byte");

/* Lists written for libdedup (no packaged list exists): function
 * characters of Chinese and Japanese, single characters because that is
 * what the tokeniser makes of those scripts; function words of Thai,
 * which only the story level sees whole (libthai breaks its words). */
static const char zh_stop[] =
    "的\0了\0是\0在\0和\0有\0也\0就\0都\0而\0及\0与\0着\0或\0等\0被\0把\0对\0"
    "从\0这\0那\0他\0她\0它\0们\0我\0你\0之\0其\0于\0以\0为\0将\0已\0并\0但\0"
    "所\0不\0个\0到\0说\0要\0会\0可\0向\0由\0该\0此\0让\0给\0还\0又\0很\0更\0"
    "最\0地\0得\0吗\0呢\0吧\0各\0每\0些\0";
static const char ja_stop[] =
    "の\0に\0は\0を\0が\0で\0と\0も\0へ\0や\0て\0た\0し\0だ\0な\0か\0ら\0れ\0"
    "る\0ず\0";
static const char th_stop[] =
    "ที่\0และ\0ของ\0ใน\0ได้\0เป็น\0มี\0การ\0ว่า\0จะ\0ไม่\0ให้\0กับ\0แต่\0ก็\0"
    "นี้\0ซึ่ง\0โดย\0จาก\0ไป\0มา\0อยู่\0แล้ว\0คือ\0หรือ\0เพื่อ\0ถึง\0ยัง\0"
    "ทั้ง\0เมื่อ\0ความ\0";

size_t dedup__lang_count(void) { return N_LANGS; }

const char *dedup__lang_code(unsigned lang) {
  return lang < N_LANGS ? langs[lang].code : NULL;
}

static int ieq(const char *a, size_t n, const char *b) {
  if (strlen(b) != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i];
    if ((unsigned)(x - 'A') < 26u)
      x = (unsigned char)(x + 32);
    if (x != (unsigned char)b[i])
      return 0;
  }
  return 1;
}

int dedup__lang_from_code(const char *s, size_t len) {
  if (!s || len == 0)
    return DEDUP__LANG_UND;
  size_t n = 0;
  while (n < len && s[n] != '-' && s[n] != '_')
    n++;
  if (n == 0)
    return -1;
  for (size_t i = 0; i < N_LANGS; i++)
    if (ieq(s, n, langs[i].code) || ieq(s, n, langs[i].code3) ||
        ieq(s, n, langs[i].name))
      return (int)i;
  /* Older and bibliographic codes some datasets use. */
  static const struct { const char *alias; const char *code; } more[] = {
      {"ger", "de"}, {"fre", "fr"}, {"dut", "nl"}, {"chi", "zh"},
      {"cze", "cs"}, {"gre", "el"}, {"per", "fa"}, {"rum", "ro"},
      {"iw", "he"},  {"in", "id"},  {"ji", "yi"},  {"nb", "no"},
      {"nn", "no"},  {"nob", "no"}, {"nno", "no"}, {"porter", "en"},
      {"zho", "zh"}, {"cmn", "zh"}, {"yue", "zh"}};
  for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
    if (ieq(s, n, more[i].alias))
      return dedup__lang_from_code(more[i].code, strlen(more[i].code));
  return -1;
}

int dedup__lang_has_stemmer(unsigned lang) {
  return lang < N_LANGS && (langs[lang].flags & STEM);
}

dedup__lang_words dedup__lang_words_of(unsigned lang) {
  return lang < N_LANGS ? (dedup__lang_words)langs[lang].words
                        : DEDUP__WORDS_SPACED;
}

double dedup__lang_stop_scale(unsigned lang) {
  return lang < N_LANGS ? langs[lang].stop_scale : 1.0;
}

uint64_t dedup__lang_salt(unsigned lang) {
  return dedup__mix64(0x6c616e67ULL + lang);
}

uint64_t dedup__lang_term_id(unsigned lang, uint64_t h) {
  return dedup__mix64(h ^ dedup__lang_salt(lang));
}

unsigned dedup__lang_terms(unsigned lang) {
  return lang == DEDUP__LANG_UND ? DEDUP__LANG_EN : lang;
}

/* ---- stop words -------------------------------------------------------- */

/* Every list's words in one open-addressing table of token hashes, each
 * with a mask of the lists holding it (a word such as "de" is Spanish,
 * French, Dutch...).  A language's list is its bit. */
#define MAX_LISTS 32

struct dedup__langs {
  uint64_t *keys;
  uint32_t *masks;
  size_t cap; /* a power of two */
  uint8_t list_of[N_LANGS]; /* bit + 1 of each language's list, 0: none */
  unsigned n_lists;
  uint8_t lang_of[MAX_LISTS];
};

static void set_add(dedup__langs *l, uint64_t h, unsigned bit) {
  size_t i = dedup__mix64(h) & (l->cap - 1);
  while (l->masks[i] && l->keys[i] != h)
    i = (i + 1) & (l->cap - 1);
  l->keys[i] = h;
  l->masks[i] |= 1u << bit;
}

static uint32_t set_mask(const dedup__langs *l, uint64_t h) {
  size_t i = dedup__mix64(h) & (l->cap - 1);
  while (l->masks[i]) {
    if (l->keys[i] == h)
      return l->masks[i];
    i = (i + 1) & (l->cap - 1);
  }
  return 0;
}

/* Adds a list of NUL-separated words (n of them, or up to an empty word
 * when n is 0) for language code. */
static void add_list(dedup__langs *l, const char *code, const char *words,
                     size_t n, uint64_t seed) {
  int lang = dedup__lang_from_code(code, strlen(code));
  if (lang <= 0 || l->list_of[lang] || l->n_lists == MAX_LISTS)
    return; /* a list for a language the table lacks: unused */
  unsigned bit = l->n_lists++;
  l->list_of[lang] = (uint8_t)(bit + 1);
  l->lang_of[bit] = (uint8_t)lang;
  char buf[256];
  for (size_t k = 0; (n == 0 || k < n) && *words; k++) {
    size_t wl = strlen(words);
    /* Folded as the tokeniser folds ("daß" -> "dass"). */
    size_t m = dedup__casefold_word(buf, sizeof buf, words, wl);
    if (m <= sizeof buf)
      set_add(l, dedup__hash(buf, m, seed), bit);
    words += wl + 1;
  }
}

int dedup__langs_new(dedup__langs **out, uint64_t seed) {
  dedup__langs *l = dedup__calloc(1, sizeof *l);
  if (!l)
    return DEDUP_ENOMEM;
  size_t words = dedup__stopword_count() + 256;
  for (const dedup__stoplist *s = dedup__snowball_stoplists; s->lang; s++)
    words += s->n;
  l->cap = 64;
  while (l->cap < 2 * words)
    l->cap *= 2;
  l->keys = dedup__calloc(l->cap, sizeof *l->keys);
  l->masks = dedup__calloc(l->cap, sizeof *l->masks);
  if (!l->keys || !l->masks) {
    dedup__langs_free(l);
    return DEDUP_ENOMEM;
  }
  /* English: the tokeniser's own table, so that flags and votes agree. */
  l->list_of[DEDUP__LANG_EN] = 1;
  l->lang_of[0] = DEDUP__LANG_EN;
  l->n_lists = 1;
  char w[16];
  for (size_t i = 0; i < dedup__stopword_slots(); i++) {
    size_t m = dedup__stopword_word(i, w);
    if (m)
      set_add(l, dedup__hash(w, m, seed), 0);
  }
  for (const dedup__stoplist *s = dedup__snowball_stoplists; s->lang; s++)
    add_list(l, s->lang, s->words, s->n, seed);
  add_list(l, "zh", zh_stop, 0, seed);
  add_list(l, "ja", ja_stop, 0, seed);
  add_list(l, "th", th_stop, 0, seed);
  *out = l;
  return DEDUP_OK;
}

void dedup__langs_free(dedup__langs *l) {
  if (!l)
    return;
  dedup__free(l->keys);
  dedup__free(l->masks);
  dedup__free(l);
}

int dedup__lang_has_stoplist(unsigned lang) {
  /* The table above names them; the generated lists are Snowball's. */
  if (lang == DEDUP__LANG_EN || lang >= N_LANGS)
    return lang == DEDUP__LANG_EN;
  const char *c = langs[lang].code;
  for (const dedup__stoplist *s = dedup__snowball_stoplists; s->lang; s++)
    if (!strcmp(s->lang, c))
      return 1;
  return !strcmp(c, "zh") || !strcmp(c, "ja") || !strcmp(c, "th");
}

int dedup__langs_is_stop(const dedup__langs *l, unsigned lang, uint64_t h) {
  if (!l || lang >= N_LANGS || !l->list_of[lang])
    return 0;
  return (set_mask(l, h) >> (l->list_of[lang] - 1)) & 1;
}

void dedup__langs_flag_stops(const dedup__langs *l, unsigned lang,
                             dedup__token *tok, size_t n) {
  if (lang == DEDUP__LANG_EN || lang == DEDUP__LANG_UND || !l ||
      lang >= N_LANGS)
    return;
  unsigned bit = l->list_of[lang];
  for (size_t i = 0; i < n; i++) {
    unsigned stop = bit && (set_mask(l, tok[i].hash) >> (bit - 1) & 1);
    tok[i].flags = (uint8_t)((tok[i].flags & ~DEDUP__TOK_STOP) |
                             (stop ? DEDUP__TOK_STOP : 0));
  }
}

/* ---- identification ---------------------------------------------------- */

/* Lines shorter than this are menus and buttons, not evidence of the
 * page's language (chrome is often in another language than the story,
 * "Home | Login" above a German article).  Half of page.c's prose line. */
#define ID_LINE_MIN 35
/* Evidence a stop-word list needs: MIN_HITS of its words, making
 * MIN_SHARE of the page's words.  Prose in any of the listed languages
 * runs at 25-50% (English 0.45 on gva-dev); a text in another language
 * meets a list's words only by chance ("a", "de", "en"), well below 8%.
 * Below either, libexttextcat decides. */
#define ID_MIN_HITS 3
#define ID_MIN_SHARE 0.08
/* The runner-up within this ratio of the best (Danish and Norwegian,
 * Spanish and Portuguese share much of their lists): libexttextcat
 * chooses between the two. */
#define ID_CLOSE 0.8
/* libexttextcat reads at most this much: its answer settles within the
 * first kilobyte or two, and its cost grows with the text. */
#define ID_TEXTCAT_BYTES 4096

enum { S_HAN, S_KANA, S_THAI, S_LAO, S_KHMER, S_MYANMAR, S_N };

static int script_of(int32_t cp) {
  if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
      (cp >= 0xFF66 && cp <= 0xFF9F) || (cp >= 0x1AFF0 && cp <= 0x1B16F))
    return S_KANA;
  if (cp >= 0x0E00 && cp <= 0x0E7F)
    return S_THAI;
  if (cp >= 0x0E80 && cp <= 0x0EFF)
    return S_LAO;
  if ((cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0x19E0 && cp <= 0x19FF))
    return S_KHMER;
  if ((cp >= 0x1000 && cp <= 0x109F) || (cp >= 0xA9E0 && cp <= 0xA9FF) ||
      (cp >= 0xAA60 && cp <= 0xAA7F))
    return S_MYANMAR;
  return S_HAN; /* the rest of the no-space letters are ideographs */
}

static int is_hangul(int32_t cp) {
  return (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x1100 && cp <= 0x11FF) ||
         (cp >= 0x3130 && cp <= 0x318F);
}

static void *textcat_of(dedup__langid *w) {
  if (!w)
    return NULL;
  if (!w->tried) {
    w->tried = 1;
    w->textcat = special_textcat_Init(DEDUP_TEXTCAT_DIR "fpdb.conf",
                                      DEDUP_TEXTCAT_DIR);
  }
  return w->textcat;
}

/* The language of libexttextcat's i-th guess ("[de--utf8][nl--utf8]"):
 * -1 for a language the table lacks, -2 past the last guess. */
static int textcat_guess(const char *out, unsigned i) {
  const char *p = out;
  for (;;) {
    p = strchr(p, '[');
    if (!p)
      return -2;
    p++;
    if (i-- == 0)
      break;
  }
  size_t n = strcspn(p, "-]");
  return dedup__lang_from_code(p, n);
}

/* libexttextcat over the page's start: its first guess, or among the
 * languages in want[0..nw) the one it ranks first (-1: none). */
static int ask_textcat(dedup__langid *w, const char *text, size_t len,
                       const int *want, size_t nw) {
  void *tc = textcat_of(w);
  if (!tc)
    return -1;
  const char *out =
      textcat_Classify(tc, text, DEDUP__MIN(len, (size_t)ID_TEXTCAT_BYTES));
  if (!out || out[0] != '[')
    return -1; /* "SHORT", "UNKNOWN" */
  for (unsigned i = 0;; i++) {
    int g = textcat_guess(out, i);
    if (g == -2)
      return -1;
    if (g < 0)
      continue;
    if (nw == 0)
      return g;
    for (size_t k = 0; k < nw; k++)
      if (want[k] == g)
        return g;
  }
}

unsigned dedup__lang_identify(const dedup__langs *l, dedup__langid *w,
                              const char *text, size_t len,
                              const dedup__token *tok, size_t n) {
  uint32_t hits[MAX_LISTS] = {0};
  size_t script[S_N] = {0}, words = 0, hangul = 0, taken = 0;
  for (int pass = 0; pass < 2 && taken == 0; pass++) {
    /* Pass 0: tokens of prose-length lines; pass 1 (a page of short
     * lines only): every token. */
    size_t t = 0, pos = 0;
    while (t < n) {
      const char *nl = memchr(text + pos, '\n', len - pos);
      size_t end = nl ? (size_t)(nl - text) : len;
      int take = pass == 1 || end - pos >= ID_LINE_MIN;
      for (; t < n && tok[t].off < end; t++) {
        if (!take)
          continue;
        const dedup__token *k = &tok[t];
        taken++;
        int32_t cp = (unsigned char)text[k->off];
        if (cp >= 0x80)
          dedup__utf8_next(text + k->off, len - k->off, &cp);
        if (k->flags & DEDUP__TOK_CHAR) {
          script[script_of(cp)]++;
          continue;
        }
        if (k->flags & DEDUP__TOK_NUM)
          continue;
        words++;
        hangul += is_hangul(cp);
        uint32_t m = l ? set_mask(l, k->hash) : 0;
        while (m) {
          hits[__builtin_ctz(m)]++;
          m &= m - 1;
        }
      }
      if (!nl)
        break;
      pos = end + 1;
    }
  }
  /* Scripts without spaces: a character is about a word's worth. */
  size_t chars = 0, top = S_HAN;
  for (size_t s = 0; s < S_N; s++) {
    chars += script[s];
    if (script[s] > script[top])
      top = s;
  }
  if (chars > words) {
    static const char *const code[S_N] = {"zh", "ja", "th", "lo", "km", "my"};
    /* Japanese mixes kana into Han text; a tenth of kana is Japanese
     * (Chinese has none). */
    if (top == S_HAN || top == S_KANA)
      top = script[S_KANA] * 10 >= script[S_HAN] + script[S_KANA] ? S_KANA
                                                                  : S_HAN;
    return (unsigned)dedup__lang_from_code(code[top], 2);
  }
  if (hangul * 2 > words)
    return (unsigned)dedup__lang_from_code("ko", 2);
  unsigned best = 0, second = 0;
  for (unsigned b = 1; l && b < l->n_lists; b++) {
    if (hits[b] > hits[best]) {
      second = best;
      best = b;
    } else if (b != best && hits[b] > hits[second]) {
      second = b;
    }
  }
  if (l && l->n_lists && hits[best] >= ID_MIN_HITS &&
      hits[best] >= ID_MIN_SHARE * (double)words) {
    int a = l->lang_of[best];
    if (best != second && hits[second] >= ID_CLOSE * hits[best]) {
      int want[2] = {a, l->lang_of[second]};
      int g = ask_textcat(w, text, len, want, 2);
      if (g >= 0)
        return (unsigned)g;
    }
    return (unsigned)a;
  }
  int g = ask_textcat(w, text, len, NULL, 0);
  return g > 0 ? (unsigned)g : DEDUP__LANG_UND;
}

void dedup__langid_free(dedup__langid *w) {
  if (w && w->textcat)
    textcat_Done(w->textcat);
  if (w)
    *w = (dedup__langid){0};
}
