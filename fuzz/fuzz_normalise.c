/* fuzz_normalise.c - the normaliser and the tokeniser on arbitrary bytes.
 *
 * Besides "no crash, no leak, no overread" (the sanitizers), it checks
 * what normalise.h and tokenise.h promise, so a wrong result is a finding
 * too: the output is well-formed UTF-8 with no NUL and the documented
 * layout (single spaces, at most one blank line, nothing at the ends),
 * the invalid count is bounded, tokens lie inside the text in order, and
 * a token's hash is the seeded hash of its case fold. */
#include "fuzz.h"
#include "dedup.h"
#include "common/dedup_private.h"
#include "common/hash.h"
#include "text/normalise.h"
#include "text/tokenise.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void check_layout(const char *s, size_t len) {
  CHECK(strlen(s) == len); /* NUL-terminated, no NUL inside */
  if (!len)
    return;
  CHECK(s[0] != ' ' && s[0] != '\n');
  CHECK(s[len - 1] != ' ' && s[len - 1] != '\n');
  for (size_t i = 0; i < len;) {
    unsigned char b = (unsigned char)s[i];
    CHECK(b >= 0x20 || b == '\n');
    CHECK(b != 0x7F);
    if (i + 1 < len) {
      CHECK(!(b == ' ' && s[i + 1] == ' '));
      CHECK(!(b == ' ' && s[i + 1] == '\n'));
      CHECK(!(b == '\n' && s[i + 1] == ' '));
    }
    if (i + 2 < len)
      CHECK(!(b == '\n' && s[i + 1] == '\n' && s[i + 2] == '\n'));
    int32_t cp;
    size_t n = dedup__utf8_next(s + i, len - i, &cp);
    /* U+FFFD only where the bytes really are U+FFFD: well-formed. */
    if (cp == 0xFFFD)
      CHECK(len - i >= 3 && !memcmp(s + i, "\xEF\xBF\xBD", 3));
    CHECK(!(cp >= 0x80 && cp < 0xA0)); /* C1 controls became spaces */
    i += n;
  }
}

static void check_tokens(const char *text, size_t len, uint64_t seed) {
  dedup__tokvec tv = {0};
  CHECK(dedup__tokenise(&tv, text, len, seed) == DEDUP_OK);
  size_t end = 0;
  char buf[1024];
  for (size_t i = 0; i < tv.n; i++) {
    const dedup__token *t = &tv.v[i];
    CHECK(t->len > 0);
    CHECK(t->off >= end && (size_t)t->off + t->len <= len);
    end = (size_t)t->off + t->len;
    if (t->len <= 128) { /* longer: see the fold check below */
      size_t f = dedup__casefold_word(buf, sizeof buf, text + t->off, t->len);
      if (f <= sizeof buf)
        CHECK(t->hash == dedup__hash(buf, f, seed));
    }
  }
  dedup__tokvec_free(&tv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  uint64_t seed = size ? data[0] : 0;
  char *out[2];
  size_t len[2], inv[2];
  for (int fold = 0; fold < 2; fold++) {
    CHECK(dedup__normalise(&out[fold], &len[fold], in, size,
                           fold ? DEDUP__NORM_CASEFOLD : 0,
                           &inv[fold]) == DEDUP_OK);
    check_layout(out[fold], len[fold]);
    CHECK(inv[fold] <= size);
    CHECK(inv[fold] == inv[0]); /* folding does not change what is bad */
    check_tokens(out[fold], len[fold], seed);
  }
  /* The public entry point is the folding normaliser. */
  char *pub;
  size_t pub_len, pub_inv;
  CHECK(dedup_normalise(&pub, &pub_len, in, size, &pub_inv) == DEDUP_OK);
  CHECK(pub_len == len[1] && !memcmp(pub, out[1], pub_len));
  CHECK(pub_inv == inv[1]);
  dedup_free(pub);
  /* Folded text tokenises to the same hashes as unfolded text.  Not for
   * words over 128 bytes: the tokeniser folds those in chunks and may cut
   * a run of over 160 bytes of combining marks where the normaliser does
   * not (fuzz/corpus/normalise/long_mark_run_fold; reported). */
  dedup__tokvec a = {0}, b = {0};
  CHECK(dedup__tokenise(&a, out[0], len[0], seed) == DEDUP_OK);
  CHECK(dedup__tokenise(&b, out[1], len[1], seed) == DEDUP_OK);
  CHECK(a.n == b.n);
  for (size_t i = 0; i < a.n; i++)
    CHECK(a.v[i].hash == b.v[i].hash || a.v[i].len > 128 ||
          b.v[i].len > 128);
  dedup__tokvec_free(&a);
  dedup__tokvec_free(&b);
  uint64_t *sh;
  size_t n_sh;
  unsigned k = 1 + (size ? data[size - 1] % 8 : 0);
  CHECK(dedup_shingles(&sh, &n_sh, in, size, k, seed) == DEDUP_OK);
  dedup_free(sh);
  dedup__free(out[0]);
  dedup__free(out[1]);
  return 0;
}
