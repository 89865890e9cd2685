/* test_seeds.c - the seed case: three outlets' versions of one story, two
 * of them scraped pages carrying chrome and unrelated articles, form one
 * story cluster; the embedded articles, cut out as items of their own,
 * stay out of it.  API test: dedup.h only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"

typedef struct page {
  char path[4096];
  char *text;
  size_t len;
} page;

typedef struct seeds {
  page p[16];
  size_t n;
} seeds;

static int cmp_page(const void *a, const void *b) {
  return strcmp(((const page *)a)->path, ((const page *)b)->path);
}

static int load(void **state) {
  const char *dir = getenv("DEDUP_SEEDS");
  assert_non_null(dir);
  seeds *s = calloc(1, sizeof *s);
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)) && s->n < 16) {
    size_t nl = strlen(e->d_name);
    if (nl < 4 || strcmp(e->d_name + nl - 4, ".txt"))
      continue;
    page *p = &s->p[s->n++];
    snprintf(p->path, sizeof p->path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(p->path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    p->len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    p->text = malloc(p->len + 1);
    assert_int_equal(fread(p->text, 1, p->len, f), p->len);
    fclose(f);
  }
  closedir(d);
  qsort(s->p, s->n, sizeof *s->p, cmp_page);
  assert_int_equal(s->n, 3);
  *state = s;
  return 0;
}

static int unload(void **state) {
  seeds *s = *state;
  for (size_t i = 0; i < s->n; i++)
    free(s->p[i].text);
  free(s);
  return 0;
}

static dedup_corpus *cluster(const seeds *s, unsigned flags, int reverse) {
  dedup_params p;
  dedup_params_init(&p, DEDUP_PARAMS_VERSION);
  p.flags = flags;
  dedup_corpus *c;
  assert_int_equal(dedup_corpus_new(&c, &p), DEDUP_OK);
  for (size_t k = 0; k < s->n; k++) {
    const page *pg = &s->p[reverse ? s->n - 1 - k : k];
    assert_int_equal(dedup_corpus_add(c, pg->path, pg->text, pg->len, NULL),
                     DEDUP_OK);
  }
  assert_int_equal(dedup_corpus_run(c), DEDUP_OK);
  return c;
}

/* Item id of a name, or SIZE_MAX. */
static size_t item_of(const dedup_corpus *c, const char *name) {
  for (size_t i = 0; i < dedup_corpus_item_count(c); i++)
    if (!strcmp(dedup_corpus_item_name(c, i), name))
      return i;
  return SIZE_MAX;
}

static void three_pages_one_story(void **state) {
  const seeds *s = *state;
  for (int reverse = 0; reverse < 2; reverse++) {
    dedup_corpus *c = cluster(s, 0, reverse);
    assert_int_equal(dedup_corpus_item_count(c), 3);
    size_t a = item_of(c, s->p[0].path);
    size_t k = dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, a);
    size_t n;
    const size_t *m = dedup_corpus_cluster_members(c, DEDUP_LEVEL_STORY, k, &n);
    assert_int_equal(n, 3);
    assert_int_equal(m[0], 0);
    assert_int_equal(m[2], 2);
    /* The stories are told in different words: no copy group. */
    assert_int_equal(dedup_corpus_cluster_count(c, DEDUP_LEVEL_COPY), 3);
    /* The links that joined them are in the story and above threshold. */
    size_t nl = dedup_corpus_link_count(c, DEDUP_LEVEL_STORY);
    dedup_params rp;
    assert_int_equal(dedup_corpus_params(c, &rp, DEDUP_PARAMS_VERSION),
                     DEDUP_OK);
    double story_t = rp.story_threshold;
    assert_true(nl >= 2);
    for (size_t i = 0; i < nl; i++) {
      size_t x, y;
      double sim;
      assert_int_equal(dedup_corpus_link(c, DEDUP_LEVEL_STORY, i, &x, &y, &sim),
                       DEDUP_OK);
      assert_true(x < y && y < 3);
      assert_true(sim >= story_t && sim <= 1.0);
    }
    dedup_corpus_free(c);
  }
}

static void embedded_articles_stay_out(void **state) {
  const seeds *s = *state;
  dedup_corpus *c = cluster(s, DEDUP_F_SPLIT_EMBEDDED, 0);
  size_t ni = dedup_corpus_item_count(c);
  /* The two scraped pages carry several whole articles below the story. */
  size_t embedded = 0;
  for (size_t i = 0; i < ni; i++)
    embedded += strchr(dedup_corpus_item_name(c, i), '#') != NULL;
  assert_true(embedded >= 4);
  assert_int_equal(ni, 3 + embedded);

  size_t story[3];
  for (size_t k = 0; k < 3; k++) {
    story[k] = item_of(c, s->p[k].path);
    assert_true(story[k] != SIZE_MAX);
  }
  size_t sc = dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, story[0]);
  assert_int_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, story[1]), sc);
  assert_int_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, story[2]), sc);
  size_t n;
  dedup_corpus_cluster_members(c, DEDUP_LEVEL_STORY, sc, &n);
  assert_int_equal(n, 3);
  for (size_t i = 0; i < ni; i++)
    if (strchr(dedup_corpus_item_name(c, i), '#'))
      assert_int_not_equal(dedup_corpus_cluster_of(c, DEDUP_LEVEL_STORY, i),
                           sc);
  dedup_corpus_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(three_pages_one_story),
      cmocka_unit_test(embedded_articles_stay_out),
  };
  return cmocka_run_group_tests(tests, load, unload);
}
