/* test_end_to_end.c - syndicated copies of a real article (taken from the
 * seed pages) with other site chrome, an edited sentence or a cut tail form
 * one copy group; different articles stay apart.  API test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"

typedef struct buf {
  char *s;
  size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->s = realloc(b->s, b->cap);
    assert_non_null(b->s);
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* Paragraphs of one article: lines of a seed page longer than 120 bytes,
 * from the first such line until a short line run (>= 3 lines shorter than
 * 40 bytes) ends the story. */
typedef struct article {
  char *para[64];
  size_t n;
} article;

static void read_article(article *a, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", getenv("DEDUP_SEEDS"), name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char line[1 << 14];
  int started = 0, shorts = 0;
  a->n = 0;
  while (fgets(line, sizeof line, f) && a->n < 64) {
    size_t len = strcspn(line, "\n");
    line[len] = '\0';
    if (len > 120) {
      started = 1;
      shorts = 0;
      a->para[a->n++] = strdup(line);
    } else if (started && len > 0 && len < 40 && ++shorts >= 3) {
      break;
    }
  }
  fclose(f);
  assert_true(a->n >= 8);
}

/* The longest line of a seed page (an embedded article printed as one
 * paragraph), cut into paragraphs of three sentences. */
static void read_longest_line(article *a, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", getenv("DEDUP_SEEDS"), name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char line[1 << 16], best[1 << 16];
  size_t best_len = 0;
  while (fgets(line, sizeof line, f)) {
    size_t len = strcspn(line, "\n");
    line[len] = '\0';
    if (len > best_len) {
      memcpy(best, line, len + 1);
      best_len = len;
    }
  }
  fclose(f);
  a->n = 0;
  char *start = best;
  int sentences = 0;
  for (char *p = best; *p && a->n < 64; p++) {
    if ((*p == '.' || *p == '?' || *p == '!') && p[1] == ' ' &&
        ++sentences == 3) {
      a->para[a->n++] = strndup(start, (size_t)(p + 1 - start));
      start = p + 2;
      sentences = 0;
    }
  }
  if (*start && a->n < 64)
    a->para[a->n++] = strdup(start);
  assert_true(a->n >= 5);
}

static void free_article(article *a) {
  for (size_t i = 0; i < a->n; i++)
    free(a->para[i]);
}

/* A page: site chrome, the article (maybe edited/cut), more chrome. */
static void page(buf *b, const article *a, int site, size_t keep,
                 int edit_sentence) {
  static const char *menus[] = {
      "Home | World | Politics | Business | Sport | Weather",
      "News  Video  Opinion  Culture  Subscribe",
      "MENU - Latest - Local - National - Tech - Sign in"};
  static const char *footers[] = {
      "Share this article\nFacebook Twitter Email\n(c) 2025 Example "
      "Herald. All rights reserved.",
      "Most read\nNewsletter sign-up\nContact us | Privacy | Terms",
      "Follow us on social media\nDownload our app\nCookie settings"};
  b->n = 0;
  puts_(b, menus[site % 3]);
  puts_(b, "\nPublished 6 June 2025\n\n");
  for (size_t i = 0; i < keep && i < a->n; i++) {
    if (edit_sentence && i == 1) {
      /* Replace a few words of the second paragraph. */
      char *p = strdup(a->para[i]);
      for (char *w = p; *w; w++)
        if (w - p > 20 && w - p < 40 && *w >= 'a' && *w <= 'z')
          *w = (char)('a' + (*w - 'a' + 7) % 26);
      puts_(b, p);
      free(p);
    } else {
      puts_(b, a->para[i]);
    }
    puts_(b, "\n\n");
  }
  puts_(b, footers[site % 3]);
  puts_(b, "\n");
}

static void add(dedup_corpus *c, const char *name, const buf *b) {
  assert_int_equal(dedup_corpus_add(c, name, b->s, b->n, NULL), DEDUP_OK);
}

static void copies_group_and_articles_stay_apart(void **state) {
  (void)state;
  article a, bb;
  read_article(&a, "001_555ed024e9d771e5.txt");
  /* A different story: an unrelated article embedded in another page. */
  read_longest_line(&bb, "000_3531e110f07c031f.txt");
  for (unsigned method = 0; method < 2; method++) {
    dedup_params p;
    dedup_params_init(&p, DEDUP_PARAMS_VERSION);
    p.method = method ? DEDUP_METHOD_SIMHASH : DEDUP_METHOD_MINHASH;
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
    buf b = {0};
    page(&b, &a, 0, a.n, 0);
    add(c, "a1", &b);
    page(&b, &a, 1, a.n, 1); /* other chrome, an edited sentence */
    add(c, "a2", &b);
    if (!method) {
      /* MinHash also survives a cut tail (SimHash distance grows faster
       * than 10% of the shingles changing). */
      page(&b, &a, 2, a.n * 85 / 100, 0);
      add(c, "a3", &b);
    }
    page(&b, &bb, 1, bb.n, 0);
    add(c, "b1", &b);
    page(&b, &bb, 2, bb.n, 1);
    add(c, "b2", &b);
    free(b.s);
    assert_int_equal(dedup_corpus_run(c), DEDUP_OK);

    size_t n_items = dedup_corpus_item_count(c);
    size_t a_items = method ? 2 : 3;
    assert_int_equal(n_items, a_items + 2);
    /* Items are numbered by name: a1 a2 (a3) b1 b2. */
    size_t ka = dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, 0);
    size_t kb = dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, a_items);
    assert_int_not_equal(ka, kb);
    for (size_t i = 0; i < n_items; i++)
      assert_int_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, i),
                       i < a_items ? ka : kb);
    assert_int_equal(dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY), 2);
    /* Copies are the same story too, and the two stories differ. */
    assert_int_equal(dedup_corpus_cluster_count(c, DEDUP_LEVEL_STORY), 2);
    /* Largest cluster first. */
    size_t n0;
    dedup_corpus_cluster_members(c, DEDUP_LEVEL_COPY, 0, &n0);
    assert_int_equal(n0, a_items > 2 ? a_items : 2);
    dedup_corpus_free(c);
  }
  free_article(&a);
  free_article(&bb);
}

/* The same documents in any order give the same items and clusters. */
static void order_and_threads_do_not_matter(void **state) {
  (void)state;
  article a;
  read_article(&a, "001_555ed024e9d771e5.txt");
  char names[6][8];
  buf pages[6] = {{0}};
  for (int i = 0; i < 6; i++) {
    snprintf(names[i], sizeof names[i], "d%d", i);
    article part = a;
    /* Three different articles, two copies each. */
    part.n = a.n / 3;
    for (size_t k = 0; k < part.n; k++)
      part.para[k] = a.para[(size_t)(i / 2) * part.n + k];
    page(&pages[i], &part, i, part.n, i % 2);
  }
  size_t ref[6];
  for (int trial = 0; trial < 4; trial++) {
    dedup_params p;
    dedup_params_init(&p, DEDUP_PARAMS_VERSION);
    dedup_corpus *c;
    assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
    for (int i = 0; i < 6; i++) {
      int j = trial % 2 ? 5 - i : (i * 5 + trial) % 6;
      add(c, names[j], &pages[j]);
    }
    dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
    o.threads = (unsigned)(1 + trial % 3);
    assert_int_equal(dedup_corpus_run_with(c, &o), DEDUP_OK);
    for (size_t i = 0; i < 6; i++) {
      assert_string_equal(dedup_corpus_item_name(c, i), names[i]);
      size_t k = dedup_corpus_cluster_of(c, DEDUP_LEVEL_COPY, i);
      if (trial == 0)
        ref[i] = k;
      assert_int_equal(k, ref[i]);
    }
    assert_int_equal(dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY), 3);
    dedup_corpus_free(c);
  }
  for (int i = 0; i < 6; i++)
    free(pages[i].s);
  free_article(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(copies_group_and_articles_stay_apart),
      cmocka_unit_test(order_and_threads_do_not_matter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
