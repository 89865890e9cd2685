/* stopwords.c - a built-in English stop-word table.
 *
 * The NLTK English list (its contractions appear as the pieces the
 * tokeniser splits them into: "don", "t", "ll", "ve"...) plus common
 * function words it lacks ("also", "would", "upon", "whether"...); no
 * content words.  The 231 words:
 *
 *   a about above across after again against ain all along already also
 *   although am among amongst an and another any anyone anything are aren
 *   around as at be because been before being below beside besides between
 *   beyond both but by can could couldn d despite did didn do does doesn
 *   doing don down during each either else even ever every everyone
 *   everything few for from further had hadn has hasn have haven having he
 *   hence her here hereby herein hers herself him himself his how however i
 *   if in inside into is isn it its itself just ll m ma many may me might
 *   mightn more most much must mustn my myself near needn neither never no
 *   nobody none nor not nothing now o of off often on once only onto or other
 *   our ours ourselves out outside over own per quite rather re s same
 *   several shall shan she should shouldn since so some someone something
 *   still such t than that the their theirs them themselves then there
 *   thereby therefore therein thereof these they this those though through
 *   throughout thus to too toward towards under unless until up upon us ve
 *   very via was wasn we were weren what whatever when whenever where whereas
 *   whereby wherein wherever whether which whichever while who whoever whom
 *   whomever whose why will with within without would wouldn y yet you your
 *   yours yourself yourselves
 *
 * A word of 1..10 letters a-z is packed into a 50-bit key (5 bits a letter,
 * a = 1, so keys of different lengths differ) and looked up in a static
 * open-addressing table: home slot = top 10 bits of dedup__mix64(key),
 * linear probing without wrap-around, 0 = empty.  No key sits more than 2
 * slots from home, so a lookup compares 3 slots without branching (a
 * probe loop mispredicted on every other token).  No allocation, no
 * mutable state.  The table was generated from the list above with
 * (mix64 being hash.h's splitmix64 finaliser):
 *
 *   def key(w):
 *     k = 0
 *     for c in w: k = k * 32 + ord(c) - 96
 *     return k
 *   t = [0] * (1024 + 2)
 *   for w in words:
 *     h = mix64(key(w)) >> 54
 *     while t[h]: h += 1
 *     t[h] = key(w)      # and h - home <= 2 holds for every word
 *
 * tests/test_tokenise.c checks every word of the list against it.
 */
#include "text/tokenise.h"

#include "common/hash.h"

#include <stdint.h>

#define SLOT_BITS 10
#define PROBES 3
#define MAX_LEN 10

static const uint64_t table[(1u << SLOT_BITS) + PROBES - 1] = {
    0, 0, 0, 0, 0x327d5c4, 0, 0x2ecbdc5, 0, 0, 0, 0, 0, 0, 0, 0x39f4425c7,
    0xf, 0, 0, 0x5d0591459, 0x5d19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23eee, 0,
    0x1a93a28e, 0, 0, 0, 0x41645, 0x2882a653, 0, 0, 0, 0, 0, 0x28f, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0xb9645, 0, 0, 0, 0x14, 0x2d8ae, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0x52e, 0, 0, 0xa20ae, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0x2033, 0, 0, 0, 0x95925c7, 0, 0, 0, 0, 0, 0, 0, 0, 0x113eb4,
    0x2e5, 0x1b999586, 0xe2948e, 0, 0, 0, 0x1441665, 0, 0, 0x1f2, 0, 0x59,
    0x39f2, 0, 0, 0, 0, 0, 0, 0, 0, 0x1741645, 0, 0, 0, 0, 0xa20b9, 0,
    0x459a485, 0, 0, 0x3eb4, 0, 0, 0, 0, 0, 0x685d9, 0, 0x8f, 0x6d468,
    0x9d468, 0, 0, 0, 0x126, 0, 0, 0, 0xfa20b2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x212d, 0, 0, 0x1a1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x59228499, 0, 0,
    0x1441532, 0x5d0f, 0, 0, 0, 0, 0, 0xdace8e, 0x51ef, 0xcbeb299586, 0, 0, 0,
    0, 0xa202e, 0, 0x13499586, 0, 0, 0x64b4, 0, 0x2e9a212e, 0xe2d8b2, 0,
    0x2efab08e, 0, 0, 0xbb34425c7, 0, 0, 0x7d653, 0, 0, 0, 0, 0x6be45, 0, 0,
    0, 0, 0, 0, 0, 0, 0xa20ad, 0x4066e, 0, 0, 0x8a30d665, 0, 0, 0, 0, 0x7b865,
    0, 0, 0, 0, 0, 0x5af71e74, 0, 0, 0, 0, 0, 0, 0, 0, 0x2887d4e8, 0,
    0x13852e, 0x9a02e, 0x5105, 0, 0x6d674, 0x172c8ae, 0, 0, 0x245, 0, 0, 0,
    0x45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x105, 0x65f5, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0x3eb49a485, 0, 0, 0, 0x4533e45, 0, 0x1b9, 0, 0, 0x5c4, 0, 0, 0x37d584,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x4cb62c82c, 0x32faca65658b3, 0, 0, 0,
    0, 0, 0x510591459, 0, 0, 0x3eb2, 0xfaca65658b3, 0, 0, 0, 0, 0, 0, 0,
    0xac1ee, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5d0f2d8b2, 0, 0, 0, 0, 0, 0, 0, 0x1,
    0x12e9a485, 0, 0, 0, 0, 0x39f4, 0x1441645, 0, 0, 0, 0, 0, 0, 0, 0, 0xc8ae,
    0, 0, 0xb26f, 0x28893ea743eb4, 0x21f7, 0, 0, 0xba688, 0, 0, 0, 0x5c33, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5105915e6, 0, 0, 0, 0, 0, 0x15710b2,
    0xba0342d8b2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x34, 0, 0, 0, 0,
    0xba1ed2d8b2, 0x38a9a20b2, 0, 0x71432, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x4ba8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa9a20b2, 0, 0x2e,
    0x11ee, 0, 0x7d8b2, 0, 0, 0, 0, 0, 0, 0, 0, 0x5d05a20b2, 0x22b1f7, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0xba0b22d8b2, 0, 0, 0x2d8b2, 0x2133, 0, 0x18c,
    0x3cc6, 0, 0x2b0, 0, 0x1742468, 0, 0, 0, 0, 0x22a5c7, 0, 0, 0, 0, 0, 0,
    0x163dc7, 0x47a5c7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1cf, 0, 0, 0, 0,
    0x13e88, 0, 0x133, 0x134, 0x1124, 0, 0xa22b3, 0, 0, 0, 0, 0, 0x9, 0, 0, 0,
    0x5b1659, 0, 0, 0, 0x7ba8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xa2133, 0, 0, 0x157512c, 0, 0, 0, 0x1743e65, 0, 0x55674, 0, 0, 0x7b999,
    0, 0, 0, 0, 0, 0x16bdc7, 0, 0, 0, 0, 0, 0x144164533e45, 0, 0, 0, 0,
    0x20b299586, 0x5d3443eb4, 0x45cbdc4, 0, 0, 0, 0, 0xab4, 0, 0x197d653, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1059152e, 0, 0, 0xba034, 0, 0, 0,
    0x5d0591433, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1443e65, 0x1ab2a20b2,
    0, 0x137b4b4425c7, 0, 0, 0, 0, 0x73dc5, 0, 0, 0, 0, 0, 0x82b865, 0, 0, 0,
    0, 0x2b265, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xba1ed,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x58c, 0, 0, 0x10b382685,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb62cb34425c7,
    0x2882b665658b3, 0, 0, 0, 0xd49d14, 0, 0, 0, 0, 0, 0, 0, 0, 0x2b3,
    0xcbeb2, 0, 0, 0, 0, 0x101b25c7, 0x1ee, 0, 0x2c5, 0, 0, 0, 0x134058c, 0,
    0, 0, 0, 0, 0, 0x2d8b2cbdc5, 0, 0, 0, 0, 0x10591459, 0x985a5, 0x4, 0,
    0x2693, 0x5921, 0, 0, 0, 0x2393e73, 0x47966e, 0x21f72d8b2, 0x4d05, 0, 0,
    0, 0, 0x5d059152e, 0, 0, 0, 0, 0xa2034, 0, 0xc2e, 0, 0x2d, 0, 0x3439, 0,
    0x2687d584, 0x28fb8644, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x114ae, 0, 0, 0, 0, 0, 0x134b865, 0, 0, 0, 0, 0, 0, 0, 0, 0x40b2, 0, 0,
    0, 0, 0, 0x4d0fab08e, 0, 0, 0x212d99586, 0xb1659, 0, 0, 0, 0, 0, 0,
    0x51f70c893, 0x33, 0xba0ae, 0, 0, 0, 0x645, 0, 0, 0x12e, 0, 0x39f7, 0, 0,
    0x2024, 0, 0, 0, 0, 0x6fab08e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb2887d4e8,
    0, 0, 0, 0, 0, 0, 0, 0x6be74, 0xf350ae, 0x17424682d8b2, 0, 0, 0, 0, 0, 0,
    0, 0, 0x19, 0x177d584, 0, 0, 0, 0, 0, 0, 0x41653, 0, 0, 0, 0, 0, 0, 0,
    0x23cb3, 0, 0x19f2, 0, 0, 0xd, 0x241a20b2, 0, 0, 0, 0, 0, 0, 0x1350b2,
    0x1742585, 0, 0x4e14ba74, 0x28468, 0, 0, 0, 0, 0, 0, 0x406c5, 0x26f,
    0xb866e, 0, 0, 0, 0, 0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20b2, 0,
    0, 0, 0, 0x5cfa20b2, 0x13a258c, 0, 0, 0, 0x51059152e, 0, 0, 0, 0, 0,
    0xba0ae2d8b2, 0x1cf13c99, 0x1e6, 0, 0, 0, 0, 0x9bda5, 0, 0, 0, 0, 0,
    0x113ec5, 0x2248e, 0x51127d4e8, 0x11aa685, 0x2ae61673, 0, 0, 0, 0xba58c,
    0, 0x4ded2bdc5, 0, 0x5d9, 0x349ed, 0, 0, 0, 0, 0, 0, 0x3eee, 0, 0, 0,
    0x8b3490b3, 0x4048e, 0, 0, 0, 0, 0, 0x8b4b94ae, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0x266e, 0, 0, 0x1a5, 0, 0, 0, 0, 0, 0, 0, 0x18b7, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80d8ae, 0, 0, 0,
};

int dedup__is_stopword(const char *w, size_t len) {
  if (len == 0 || len > MAX_LEN)
    return 0;
  uint64_t key = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned c = (unsigned char)w[i] - ('a' - 1);
    if (c - 1u >= 26u)
      return 0;
    key = key << 5 | c;
  }
  return dedup__is_stopword_key(key);
}

int dedup__is_stopword_key(uint64_t key) {
  const uint64_t *t = table + (dedup__mix64(key) >> (64 - SLOT_BITS));
  return (t[0] == key) | (t[1] == key) | (t[2] == key);
}

size_t dedup__stopword_count(void) {
  size_t n = 0;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    n += table[i] != 0;
  return n;
}

size_t dedup__stopword_slots(void) { return sizeof table / sizeof table[0]; }

size_t dedup__stopword_word(size_t slot, char buf[MAX_LEN + 1]) {
  if (slot >= sizeof table / sizeof table[0] || !table[slot])
    return 0;
  uint64_t k = table[slot];
  size_t n = 0;
  for (uint64_t t = k; t; t >>= 5)
    n++;
  for (size_t i = n; i-- > 0; k >>= 5)
    buf[i] = (char)('a' - 1 + (k & 31));
  buf[n] = '\0';
  return n;
}
