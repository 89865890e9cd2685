/* test_shingle.c - word shingles, character n-grams, sort_unique, and the
 * public dedup_shingles() end to end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "common/hash.h"
#include "common/sort.h"
#include "text/shingle.h"

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Token arrays built by hand: only the hashes matter to shingling. */
static void fill_tokens(dedup__token *t, size_t n, uint64_t *rs) {
  memset(t, 0, n * sizeof *t);
  for (size_t i = 0; i < n; i++) {
    t[i].hash = rng_next(rs);
    t[i].off = (uint32_t)(i * 6);
    t[i].len = 5;
  }
}

static void window_counts(void **state) {
  (void)state;
  uint64_t rs = 1;
  dedup__token t[100];
  fill_tokens(t, 100, &rs);
  static const struct {
    size_t n;
    unsigned k;
    size_t want;
  } cases[] = {{0, 5, 0},  {1, 5, 1},   {4, 5, 1},   {5, 5, 1},
               {6, 5, 2},  {100, 5, 96}, {100, 1, 100}, {100, 100, 1},
               {99, 100, 1}, {0, 1, 0}, {7, 3, 5}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    dedup__u64vec v = {0};
    assert_int_equal(dedup__shingle_words(&v, t, cases[c].n, cases[c].k, 3),
                     DEDUP_OK);
    assert_int_equal(v.n, cases[c].want);
    dedup__u64vec_free(&v);
  }
  dedup__u64vec v = {0};
  assert_int_equal(dedup__shingle_words(&v, t, 10, 0, 3), DEDUP_EINVAL);
  assert_int_equal(v.n, 0);
  dedup__u64vec_free(&v);
}

/* The shingle of a window is the seeded hash of its k token hashes
 * (little-endian), so it can be recomputed independently; and a text
 * shorter than k gives one shingle of all its tokens. */
static void shingle_values(void **state) {
  (void)state;
  uint64_t rs = 2;
  dedup__token t[20];
  fill_tokens(t, 20, &rs);
  dedup__u64vec v = {0};
  assert_int_equal(dedup__shingle_words(&v, t, 20, 4, 77), DEDUP_OK);
  assert_int_equal(v.n, 17);
  for (size_t i = 0; i < 17; i++) {
    unsigned char buf[32];
    for (int j = 0; j < 4; j++)
      for (int b = 0; b < 8; b++)
        buf[j * 8 + b] = (unsigned char)(t[i + (size_t)j].hash >> (8 * b));
    assert_int_equal(v.v[i], XXH3_64bits_withSeed(buf, 32, 77));
  }
  /* short text: one shingle, the same as the window of its length */
  dedup__u64vec s = {0}, w = {0};
  assert_int_equal(dedup__shingle_words(&s, t, 3, 5, 77), DEDUP_OK);
  assert_int_equal(dedup__shingle_words(&w, t, 3, 3, 77), DEDUP_OK);
  assert_int_equal(s.n, 1);
  assert_int_equal(w.n, 1);
  assert_int_equal(s.v[0], w.v[0]);
  /* appending keeps what was there */
  assert_int_equal(dedup__shingle_words(&s, t + 5, 10, 5, 77), DEDUP_OK);
  assert_int_equal(s.n, 7);
  assert_int_equal(s.v[0], w.v[0]);
  dedup__u64vec z = {0};
  assert_int_equal(dedup__shingle_words(&z, t + 5, 10, 5, 77), DEDUP_OK);
  assert_memory_equal(s.v + 1, z.v, 6 * sizeof *z.v);
  /* the seed changes every shingle */
  dedup__u64vec o = {0};
  assert_int_equal(dedup__shingle_words(&o, t, 20, 4, 78), DEDUP_OK);
  for (size_t i = 0; i < 17; i++)
    assert_true(o.v[i] != v.v[i]);
  dedup__u64vec_free(&v);
  dedup__u64vec_free(&s);
  dedup__u64vec_free(&w);
  dedup__u64vec_free(&z);
  dedup__u64vec_free(&o);
}

/* Identical sequences give identical shingles; changing token p changes
 * exactly the windows that cover p, and no other. */
static void one_change_touches_k_windows(void **state) {
  (void)state;
  enum { N = 60 };
  uint64_t rs = 3;
  dedup__token a[N], b[N];
  fill_tokens(a, N, &rs);
  static const unsigned ks[] = {1, 2, 5, 9};
  for (size_t ki = 0; ki < 4; ki++) {
    unsigned k = ks[ki];
    size_t m = N - k + 1;
    dedup__u64vec va = {0};
    assert_int_equal(dedup__shingle_words(&va, a, N, k, 5), DEDUP_OK);
    for (size_t p = 0; p < N; p++) {
      memcpy(b, a, sizeof a);
      dedup__u64vec vb = {0};
      assert_int_equal(dedup__shingle_words(&vb, b, N, k, 5), DEDUP_OK);
      assert_memory_equal(va.v, vb.v, m * sizeof *va.v);
      b[p].hash ^= 1; /* one token differs */
      vb.n = 0;
      assert_int_equal(dedup__shingle_words(&vb, b, N, k, 5), DEDUP_OK);
      assert_int_equal(vb.n, m);
      size_t changed = 0;
      for (size_t i = 0; i < m; i++) {
        int covers = i <= p && p < i + k;
        assert_int_equal(va.v[i] != vb.v[i], covers);
        changed += covers;
      }
      /* k windows, fewer near the ends */
      size_t lo = p + 1 >= k ? p + 1 - k : 0, hi = p < m - 1 ? p : m - 1;
      assert_int_equal(changed, hi - lo + 1);
      if (p >= k - 1 && p + k <= N)
        assert_int_equal(changed, k);
      dedup__u64vec_free(&vb);
    }
    dedup__u64vec_free(&va);
  }
  /* order matters: a swap changes the windows that see it */
  memcpy(b, a, sizeof a);
  dedup__token tmp = b[10];
  b[10] = b[11];
  b[11] = tmp;
  dedup__u64vec va = {0}, vb = {0};
  assert_int_equal(dedup__shingle_words(&va, a, N, 3, 5), DEDUP_OK);
  assert_int_equal(dedup__shingle_words(&vb, b, N, 3, 5), DEDUP_OK);
  for (size_t i = 0; i < N - 2; i++)
    assert_int_equal(va.v[i] != vb.v[i], i >= 8 && i <= 11);
  dedup__u64vec_free(&va);
  dedup__u64vec_free(&vb);
}

static void char_ngrams(void **state) {
  (void)state;
  dedup__u64vec v = {0};
  /* ASCII: len - n + 1 grams, each the hash of its bytes */
  const char *s = "abcabc x";
  assert_int_equal(dedup__shingle_chars(&v, s, 8, 3, 9), DEDUP_OK);
  assert_int_equal(v.n, 6);
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(v.v[i], XXH3_64bits_withSeed(s + i, 3, 9));
  assert_int_equal(v.v[0], v.v[3]); /* "abc" twice */
  /* UTF-8: grams are over code points.  "héllo wörld" has 11 code points
   * in 13 bytes. */
  const char *u = "h\xc3\xa9llo w\xc3\xb6rld";
  v.n = 0;
  assert_int_equal(dedup__shingle_chars(&v, u, strlen(u), 3, 9), DEDUP_OK);
  assert_int_equal(v.n, 9);
  assert_int_equal(v.v[0], XXH3_64bits_withSeed(u, 4, 9));     /* hél */
  assert_int_equal(v.v[1], XXH3_64bits_withSeed(u + 1, 4, 9)); /* éll */
  assert_int_equal(v.v[2], XXH3_64bits_withSeed(u + 3, 3, 9)); /* llo */
  assert_int_equal(v.v[6], XXH3_64bits_withSeed(u + 7, 4, 9)); /* wör */
  assert_int_equal(v.v[8], XXH3_64bits_withSeed(u + 10, 3, 9)); /* rld */
  /* 3-byte and 4-byte code points */
  const char *cjk = "\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x98\x80";
  v.n = 0;
  assert_int_equal(dedup__shingle_chars(&v, cjk, 10, 2, 9), DEDUP_OK);
  assert_int_equal(v.n, 2);
  assert_int_equal(v.v[1], XXH3_64bits_withSeed(cjk + 3, 7, 9));
  /* shorter than n: one gram of the whole text; empty: none */
  v.n = 0;
  assert_int_equal(dedup__shingle_chars(&v, "ab", 2, 5, 9), DEDUP_OK);
  assert_int_equal(v.n, 1);
  assert_int_equal(v.v[0], XXH3_64bits_withSeed("ab", 2, 9));
  v.n = 0;
  assert_int_equal(dedup__shingle_chars(&v, "", 0, 5, 9), DEDUP_OK);
  assert_int_equal(v.n, 0);
  assert_int_equal(dedup__shingle_chars(&v, "abc", 3, 0, 9), DEDUP_EINVAL);
  /* n == length: one gram */
  assert_int_equal(dedup__shingle_chars(&v, u, strlen(u), 11, 9), DEDUP_OK);
  assert_int_equal(v.n, 1);
  assert_int_equal(v.v[0], XXH3_64bits_withSeed(u, strlen(u), 9));
  dedup__u64vec_free(&v);
}

static int cmp_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return (a > b) - (a < b);
}

static void sort_unique_random(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 1, 2, 3, 10, 47, 48, 49, 200, 1000, 60000};
  uint64_t rs = 4;
  for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
    size_t n = sizes[si];
    /* 0: full range; 1: many duplicates; 2: shared high bytes (every
     * radix level used); 3: already sorted with repeats */
    for (int mode = 0; mode < 4; mode++) {
      uint64_t *v = malloc((n + 1) * sizeof *v);
      uint64_t *ref = malloc((n + 1) * sizeof *ref);
      assert_non_null(v);
      assert_non_null(ref);
      for (size_t i = 0; i < n; i++) {
        uint64_t r = rng_next(&rs);
        switch (mode) {
        case 0: v[i] = r; break;
        case 1: v[i] = r % 37 * 0x0101010101010101ULL; break;
        case 2: v[i] = 0xabcdef0123450000ULL + (r % 5000); break;
        default: v[i] = i / 3; break;
        }
      }
      memcpy(ref, v, n * sizeof *v);
      qsort(ref, n, sizeof *ref, cmp_u64);
      size_t m = 0;
      for (size_t i = 0; i < n; i++)
        if (m == 0 || ref[i] != ref[m - 1])
          ref[m++] = ref[i];
      size_t got = n;
      dedup__u64_sort_unique(v, &got);
      assert_int_equal(got, m);
      assert_memory_equal(v, ref, m * sizeof *v);
      free(v);
      free(ref);
    }
  }
}

/* ---- dedup_shingles(): normalise + tokenise + shingle ------------------- */

static size_t shingles(uint64_t **out, const char *text, unsigned k,
                       uint64_t seed) {
  size_t n = 12345;
  assert_int_equal(dedup_shingles(out, &n, text, strlen(text), k, seed),
                   DEDUP_OK);
  assert_non_null(*out);
  return n;
}

static void public_shingles(void **state) {
  (void)state;
  uint64_t *a, *b;
  const char *fox = "The quick brown fox jumps over the lazy dog";
  size_t na = shingles(&a, fox, 3, 1);
  assert_int_equal(na, 7); /* 9 words */
  /* case, punctuation and spacing do not matter */
  size_t nb = shingles(&b, "the QUICK  brown fox, jumps over\n the lazy dog!",
                       3, 1);
  assert_int_equal(nb, na);
  assert_memory_equal(a, b, na * sizeof *a);
  dedup_free(b);
  /* each shingle is the shingle of its own words alone */
  nb = shingles(&b, "brown fox jumps", 3, 1);
  assert_int_equal(nb, 1);
  assert_int_equal(b[0], a[2]);
  dedup_free(b);
  /* one changed word changes the k windows over it */
  nb = shingles(&b, "The quick brown fox leaps over the lazy dog", 3, 1);
  assert_int_equal(nb, 7);
  for (size_t i = 0; i < 7; i++)
    assert_int_equal(a[i] != b[i], i >= 2 && i <= 4);
  dedup_free(b);
  /* another seed, other hashes */
  nb = shingles(&b, fox, 3, 2);
  for (size_t i = 0; i < 7; i++)
    assert_true(a[i] != b[i]);
  dedup_free(b);
  dedup_free(a);
  /* fewer words than k: one shingle; no words: none */
  assert_int_equal(shingles(&a, "Hello, world.", 5, 1), 1);
  dedup_free(a);
  assert_int_equal(shingles(&a, "", 5, 1), 0);
  dedup_free(a);
  assert_int_equal(shingles(&a, " ... -- !!! ", 5, 1), 0);
  dedup_free(a);
  /* k == 0 */
  a = (uint64_t *)&a;
  size_t n = 3;
  assert_int_equal(dedup_shingles(&a, &n, fox, strlen(fox), 0, 1),
                   DEDUP_EINVAL);
  assert_null(a);
  assert_int_equal(n, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(window_counts),
      cmocka_unit_test(shingle_values),
      cmocka_unit_test(one_change_touches_k_windows),
      cmocka_unit_test(char_ngrams),
      cmocka_unit_test(sort_unique_random),
      cmocka_unit_test(public_shingles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
