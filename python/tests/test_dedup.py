"""Tests of the ctypes binding against the C library it wraps.

Run: PYTHONPATH=python DEDUP_LIBRARY=build/lib/libdedup.so \
     python3 -m unittest discover -s python/tests
"""
import array
import errno
import json
import os
import pickle
import random
import re
import subprocess
import sys
import tempfile
import threading
import unittest

import dedup

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.environ.get("DEDUP_SEEDS") or os.path.join(
    HERE, os.pardir, os.pardir, "seeds")
SEED_FILES = sorted(os.path.join(SEEDS, f) for f in os.listdir(SEEDS)
                    if f.endswith(".txt"))


def words(rng, n):
    return " ".join("w%d" % rng.randrange(100000) for _ in range(n))


class Basics(unittest.TestCase):
    def test_version(self):
        self.assertRegex(dedup.version(), r"^\d+\.\d+\.\d+$")

    def test_normalise(self):
        # NFKC (fullwidth), case folding, curly quote to ASCII, spaces.
        self.assertEqual(dedup.normalise("\uff26\uff35\uff2c\uff2c\u2019s  "
                                         "Caf\u00e9"), "full's café")
        # Invalid UTF-8 becomes U+FFFD; bytes and str both work.
        self.assertEqual(dedup.normalise(b"a\xffb"), "a\ufffdb")
        self.assertEqual(dedup.normalise(""), "")

    def test_char_shingles(self):
        sh = dedup.char_shingles("Caf\u00e9 \u201cno\u201d", 3)
        self.assertEqual(len(sh), 7)  # 9 code points after normalising
        self.assertEqual(sh, dedup.char_shingles('CAF\u00c9 "NO"', 3))
        self.assertNotEqual(sh, dedup.char_shingles("Caf\u00e9 \u201cno\u201d",
                                                    3, seed=1))
        with self.assertRaises(dedup.DedupError):
            dedup.char_shingles("ab", 0)

    def test_shingles(self):
        sh = dedup.shingles("one two three four five six", 5)
        self.assertEqual(len(sh), 2)
        self.assertTrue(all(0 <= h < 2 ** 64 for h in sh))
        # Case and punctuation do not change words; order does.
        self.assertEqual(sh, dedup.shingles("One, two; THREE four five six"))
        self.assertNotEqual(sh, dedup.shingles("two one three four five six"))
        # Fewer words than k: one shingle; another seed, other hashes.
        self.assertEqual(len(dedup.shingles("just two", 5)), 1)
        self.assertNotEqual(sh, dedup.shingles("one two three four five six",
                                               5, seed=1))
        with self.assertRaises(dedup.DedupError) as cm:
            dedup.shingles("a b", 0)
        self.assertEqual(cm.exception.status, dedup.EINVAL)
        with self.assertRaises(TypeError):
            dedup.shingles(12)


class MinHashTests(unittest.TestCase):
    def test_estimate_near_exact_jaccard(self):
        rng = random.Random(6)
        for _ in range(20):
            common = [rng.getrandbits(64) for _ in range(rng.randrange(50,
                                                                       400))]
            a = common + [rng.getrandbits(64) for _ in range(200)]
            b = common + [rng.getrandbits(64) for _ in range(200)]
            exact = len(common) / (len(common) + 400)
            est = dedup.MinHash(256).update(a).jaccard(
                dedup.MinHash(256).update(b))
            # 256 words: sd <= 0.032; 0.13 is four of them.
            self.assertLess(abs(est - exact), 0.13)

    def test_streaming_equals_one_shot(self):
        with open(SEED_FILES[0], "rb") as f:
            h = dedup.shingles(f.read())
        one = dedup.MinHash(64, seed=3).update(h).digest()
        m = dedup.MinHash(64, seed=3)
        for x in h:
            m.update([x])
        self.assertEqual(m.digest(), one)
        self.assertEqual(len(one), 64)
        self.assertEqual(dedup.MinHash.estimate(one, one), 1.0)
        classic = dedup.MinHash(64, kind="classic", seed=3).update(h)
        self.assertNotEqual(classic.digest(), one)

    def test_bad_size(self):
        with self.assertRaises(dedup.DedupError):
            dedup.MinHash(0)


class SimHashTests(unittest.TestCase):
    def test_near_and_far(self):
        rng = random.Random(7)
        base = words(rng, 400)
        near = base.replace(base.split()[200], "changed", 1)
        far = words(rng, 400)
        fp = lambda t: dedup.SimHash().update(dedup.shingles(t)).digest()  # noqa
        self.assertLessEqual(dedup.SimHash.distance(fp(base), fp(near)), 10)
        self.assertGreaterEqual(dedup.SimHash.distance(fp(base), fp(far)), 16)
        # A weight of 0 is an absent feature.
        f = dedup.shingles(base)
        self.assertEqual(dedup.SimHash().update(f + [12345],
                                                [1.0] * len(f) + [0]).digest(),
                         dedup.SimHash().update(f).digest())


class CorpusTests(unittest.TestCase):
    def seeds_corpus(self, **kw):
        c = dedup.Corpus(threads=2, **kw)
        for path in SEED_FILES:
            with open(path, "rb") as f:
                self.assertTrue(c.add(path, f.read()))
        return c.run()

    def test_seed_story(self):
        c = self.seeds_corpus()
        self.assertEqual(len(c), 3)
        self.assertEqual(c.items(), SEED_FILES)
        # Three outlets, one story; no two of them are copies.
        self.assertEqual(c.clusters(), [SEED_FILES])
        self.assertEqual(c.clusters(level="copy"),
                         [[p] for p in SEED_FILES])
        self.assertEqual(c.clusters(level="copy", min_size=2), [])
        self.assertEqual(c.labels(), [0, 0, 0])
        self.assertEqual(c.links(level="copy"), [])
        links = c.links()
        self.assertGreaterEqual(len(links), 2)
        for a, b, s in links:
            self.assertLess(a, b)
            self.assertTrue(0.245 <= s <= 1, s)
        c.close()
        c.close()  # twice is fine
        with self.assertRaises(ValueError):
            c.items()

    def test_same_as_cli(self):
        cli = os.environ.get("DEDUP_CLUSTER")
        if not cli:
            self.skipTest("DEDUP_CLUSTER not set")
        out = subprocess.run([cli, "--all", "--format", "tsv"] + SEED_FILES,
                             capture_output=True, check=True, text=True)
        rows = [line.split("\t") for line in out.stdout.splitlines()]
        want = {}
        for k, path in rows:
            want.setdefault(int(k), []).append(path)
        c = self.seeds_corpus()
        self.assertEqual(c.clusters(), [want[k] for k in sorted(want)])

        # --explain --format json: the numbers the binding gets.
        out = subprocess.run([cli, "--format", "json", "--explain",
                              SEED_FILES[0], SEED_FILES[1]] + SEED_FILES,
                             capture_output=True, check=True, text=True)
        got = json.loads(out.stdout)
        e = c.explain(0, 1)
        self.assertEqual((got["a"], got["b"]), (e["a"], e["b"]))
        for key in ("similarity", "threshold", "jaccard", "minhash_jaccard",
                    "simhash_similarity"):
            self.assertAlmostEqual(got["copy"][key], e["copy"][key],
                                   places=4)
        self.assertEqual(got["copy"]["same_group"], e["copy"]["same_group"])
        self.assertAlmostEqual(got["story"]["cosine"], e["story"]["cosine"],
                               places=4)
        self.assertEqual(got["story"]["same_story"],
                         e["story"]["same_story"])
        self.assertEqual([t["word"] for t in got["story"]["terms"]],
                         [t[0] for t in e["story"]["terms"]])
        # Text form: the verdicts and the top term.
        out = subprocess.run([cli, "--explain", SEED_FILES[0],
                              SEED_FILES[1]] + SEED_FILES,
                             capture_output=True, check=True, text=True)
        self.assertIn("Copy level (near-verbatim copies): different copy "
                      "groups", out.stdout)
        self.assertIn("Story level (same story, any words): same story",
                      out.stdout)
        self.assertIn(e["story"]["terms"][0][0], out.stdout)

    def test_copies_and_str_input(self):
        rng = random.Random(11)
        a = "\n".join(words(rng, 40) + "." for _ in range(12))
        b = a.replace(a.split()[100], "edited", 1)  # a near copy, as str
        with dedup.Corpus(no_clean=True, threads=1) as c:
            self.assertTrue(c.add("a", a))
            self.assertTrue(c.add("b", b.encode()))
            self.assertTrue(c.add("c", words(rng, 300)))
            self.assertFalse(c.add("empty", ""))
            self.assertFalse(c.add("binary", bytes(range(32)) * 100))
            c.run()
            self.assertEqual(c.clusters(level="copy", min_size=2),
                             [["a", "b"]])
            (x, y, s), = c.links(level="copy")
            self.assertEqual((x, y), ("a", "b"))
            self.assertGreater(s, 0.8)
            e = c.explain("a", "b")
            self.assertTrue(e["copy"]["same_group"])
            self.assertTrue(e["copy"]["linked"])
            self.assertAlmostEqual(e["copy"]["similarity"], s, places=6)
            # One edited word breaks 5 of 476 shingles: Jaccard 471/481.
            self.assertEqual(e["copy"]["shingles_a"], 476)
            self.assertEqual(e["copy"]["shingles_shared"], 471)
            self.assertAlmostEqual(e["copy"]["jaccard"], 471 / 481)
            self.assertEqual(len(e["copy"]["passages"]), 2)
            self.assertEqual(e["words_a"], 480)

    def test_titles_dates(self):
        story = ("The harbour council approved the new bridge budget on "
                 "Monday after a long public meeting about river traffic, "
                 "the old ferry service and the cost of the new lights. ")
        other = ("Council members said the bridge budget would be voted "
                 "again next year if the river traffic grows and the ferry "
                 "service keeps its old timetable for the lights. ")

        def corpus(**kw):
            c = dedup.Corpus(threads=1, **kw)
            self.assertTrue(c.add("a", story * 2, title="Bridge budget",
                                  date="2024-03-05"))
            self.assertTrue(c.add("b", other * 2, title="Bridge vote",
                                  date="2026-03-05T10:00:00Z"))
            return c.run()
        # Given titles are the title (the first line of the kept text).
        c = corpus()
        self.assertEqual(c.item_text("a").split("\n")[0], "Bridge budget")
        # Two years apart the pair needs more evidence than with dates off.
        off = corpus(story_days="off")
        near = dedup.Corpus(threads=1)
        near.add("a", story * 2, date=1709596800)
        near.add("b", other * 2, date=1709596800 + 86400)
        near.run()
        self.assertGreaterEqual(len(off.clusters(min_size=2)),
                                len(c.clusters(min_size=2)))
        self.assertGreaterEqual(len(near.clusters(min_size=2)),
                                len(c.clusters(min_size=2)))
        with self.assertRaises(ValueError):
            dedup.Corpus().add("x", story, date="yesterday")
        with self.assertRaises(TypeError):
            dedup.Corpus().add("x", story, date=True)

    def test_item_text(self):
        c = self.seeds_corpus()
        for i, path in enumerate(SEED_FILES):
            kept = c.item_text(path)
            self.assertEqual(kept, c.item_text(i))
            with open(path, "rb") as f:
                page = f.read().decode("utf-8", "replace")
            # Cleaning keeps less than the scraped page, all of it about
            # the story (every seed page names Musk).
            self.assertTrue(0 < len(kept) < len(page))
            self.assertIn("Musk", kept)
        with self.assertRaises(KeyError):
            c.item_text("nope")
        with self.assertRaises(IndexError):
            c.item_text(3)

    def test_languages(self):
        c = self.seeds_corpus()
        self.assertEqual([c.item_lang(p) for p in SEED_FILES], ["en"] * 3)
        with self.assertRaises(IndexError):
            c.item_lang(3)
        d = dedup.Corpus()
        text = ("Die Stadt hat am Montag die neue Straßenbahn eröffnet, und "
                "viele Fahrgäste waren schon am ersten Tag mit der Linie "
                "unterwegs, die den Bahnhof mit dem Hafen verbindet.")
        self.assertTrue(d.add("de", text))
        self.assertTrue(d.add("given", text, lang="nl"))
        with self.assertRaises(ValueError):
            d.add("bad", text, lang="xx")
        with self.assertRaises(dedup.DedupError):
            d.item_lang(0)
        d.run()
        self.assertEqual(d.item_lang("de"), "de")
        self.assertEqual(d.item_lang("given"), "nl")
        x = d.explain("de", "given")
        self.assertEqual((x["lang_a"], x["lang_b"]), ("de", "nl"))
        e = dedup.Corpus(no_langid=True)
        e.add("de", text)
        e.run()
        self.assertEqual(e.item_lang(0), "en")

    def test_explain_story(self):
        c = self.seeds_corpus()
        e = c.explain(0, SEED_FILES[2])
        self.assertEqual(e["a"], SEED_FILES[0])
        story = e["story"]
        self.assertTrue(story["same_story"])
        self.assertEqual(story["representatives"], (SEED_FILES[0],
                                                    SEED_FILES[2]))
        link = [s for a, b, s in c.links()
                if (a, b) == (SEED_FILES[0], SEED_FILES[2])]
        if story["cosine"] >= story["threshold"]:
            self.assertAlmostEqual(story["cosine"], link[0], places=6)
        terms = story["terms"]
        self.assertTrue(0 < len(terms) <= 10)
        self.assertIn("musk", [t[0].lower() for t in terms])
        for word, wa, wb, share in terms:
            self.assertAlmostEqual(share, wa * wb)
        with self.assertRaises(KeyError):
            c.explain("nope", 0)
        with self.assertRaises(dedup.DedupError) as cm:
            c.explain(0, 3)
        self.assertEqual(cm.exception.status, dedup.EINVAL)
        with self.assertRaises(IndexError):
            c.explain(0, -1)
        # Copy level only: no story part.
        self.assertIsNone(self.seeds_corpus(copy_only=True)
                          .explain(0, 1)["story"])

    def test_state_and_params(self):
        c = dedup.Corpus()
        c.add("x", "some words here")
        with self.assertRaises(dedup.DedupError) as cm:
            c.explain(0, 0)
        self.assertEqual(cm.exception.status, dedup.ESTATE)
        with self.assertRaises(dedup.DedupError) as cm:
            dedup.Corpus(threshold=1.5)
        self.assertEqual(cm.exception.status, dedup.EINVAL)
        with self.assertRaises(KeyError):
            dedup.Corpus(method="nope")
        # SimHash gets its own default threshold (0.9), not MinHash's.
        s = self.seeds_corpus(method="simhash")
        e = s.explain(0, 1)
        self.assertEqual(e["copy"]["method"], "simhash")
        self.assertEqual(e["copy"]["threshold"], 0.9)

    def test_save_load(self):
        c = self.seeds_corpus()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "seeds.dedup")
            try:
                c.save(path)
            except NotImplementedError:
                self.skipTest("library without save/load")
            c2 = dedup.Corpus.load(path).run()
        self.assertEqual(c2.items(), c.items())
        self.assertEqual(c2.clusters(), c.clusters())
        with self.assertRaises(dedup.DedupError):
            dedup.Corpus.load(os.path.join(SEEDS, os.pardir, "README.md"))


class ThreadTests(unittest.TestCase):
    """One object shared by threads: the binding's lock serialises the C
    calls (before it, 4 threads adding to one Corpus crashed or lost
    documents)."""

    THREADS, DOCS = 6, 2000  # 12,000 documents in all

    def test_corpus_add_from_threads(self):
        c = dedup.Corpus(threads=1, copy_only=True, no_clean=True)
        errors = []

        def worker(t):
            rng = random.Random(t)
            try:
                for i in range(self.DOCS):
                    self.assertTrue(c.add("t%d-%05d" % (t, i),
                                          words(rng, 30)))
            except Exception as e:  # reported by the main thread
                errors.append(e)

        ts = [threading.Thread(target=worker, args=(t,))
              for t in range(self.THREADS)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        c.run()
        want = sorted("t%d-%05d" % (t, i) for t in range(self.THREADS)
                      for i in range(self.DOCS))
        self.assertEqual(len(c), self.THREADS * self.DOCS)
        self.assertEqual(c.items(), want)
        self.assertEqual(len(c.labels(level="copy")), len(want))

    def test_minhash_and_lsh_from_threads(self):
        rng = random.Random(3)
        parts = [[rng.getrandbits(64) for _ in range(2000)]
                 for _ in range(4)]
        shared = dedup.MinHash(64)
        lsh = dedup.LSH(0.5, 64)
        sigs = {}
        for t, part in enumerate(parts):
            for j in range(50):
                sigs["%d-%d" % (t, j)] = dedup.MinHash(64).update(
                    part[j * 40:(j + 1) * 40])

        def worker(t):
            for j in range(0, 2000, 10):
                shared.update(parts[t][j:j + 10])
            for j in range(50):
                lsh.insert("%d-%d" % (t, j), sigs["%d-%d" % (t, j)])

        ts = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        one = dedup.MinHash(64).update([x for p in parts for x in p])
        self.assertEqual(shared.digest(), one.digest())
        self.assertEqual(len(lsh), 200)
        for key, m in sigs.items():
            self.assertIn(key, lsh.query(m))


class ArgumentTests(unittest.TestCase):
    """Integers are checked before ctypes, which would wrap them."""

    def test_item_ids(self):
        c = CorpusTests.seeds_corpus(self)
        for bad in (2 ** 64, 2 ** 64 + 1, 3, -1):
            with self.assertRaises(IndexError) as cm:
                c.explain(bad, 0)
            self.assertIsInstance(cm.exception, dedup.DedupError)
            self.assertEqual(cm.exception.status, dedup.EINVAL)
        with self.assertRaises(TypeError):
            c.explain(1.0, 0)
        with self.assertRaises(TypeError):
            c.explain(None, 0)
        self.assertEqual(c.explain(2, 0)["a"], SEED_FILES[2])
        self.assertEqual(c.explain(SEED_FILES[1].encode(), 0)["a"],
                         SEED_FILES[1])

    def test_seeds_and_sizes(self):
        big, neg = 2 ** 64, -1
        for call in (lambda s: dedup.MinHash(16, seed=s),
                     lambda s: dedup.SimHash(seed=s),
                     lambda s: dedup.Corpus(seed=s),
                     lambda s: dedup.shingles("a b c", 1, seed=s),
                     lambda s: dedup.char_shingles("abc", 1, seed=s),
                     lambda s: dedup.hash_token("a", seed=s),
                     lambda s: dedup.MinHash(16).reset(s)):
            for bad in (big, big + 3, neg):
                with self.assertRaises(ValueError):
                    call(bad)
            with self.assertRaises(TypeError):
                call(1.5)
            call(2 ** 64 - 1)  # the largest seed is fine
        for bad in (2 ** 32, -1):
            with self.assertRaises(ValueError):
                dedup.MinHash(bad)
            with self.assertRaises(ValueError):
                dedup.shingles("a b", bad)
            with self.assertRaises(ValueError):
                dedup.Corpus(num_perm=bad)
            with self.assertRaises(ValueError):
                dedup.Corpus(threads=bad)
            with self.assertRaises(ValueError):
                dedup.LSH(0.5, bad)
        with self.assertRaises(TypeError):
            dedup.Corpus(threshold="0.5")
        with self.assertRaises(ValueError):
            dedup.LSH(1.5, 128)
        with self.assertRaises(ValueError):
            dedup.MinHash(16, kind="nope")
        # Within the C type but refused by the library: still a ValueError.
        with self.assertRaises(ValueError) as cm:
            dedup.MinHash(5000)
        self.assertEqual(cm.exception.status, dedup.EINVAL)

    def test_hashes(self):
        for h in (dedup.MinHash(16), dedup.SimHash()):
            for bad in ([2 ** 64], [-1], [1, 2, 2 ** 70], 2 ** 64):
                with self.assertRaises(ValueError):
                    h.update(bad)
            for bad in ([1.5], [None], 1.5, None, [[1]]):
                with self.assertRaises(TypeError):
                    h.update(bad)
        m = dedup.MinHash(16)
        m.update([2 ** 64 - 1, 0])
        self.assertNotEqual(m.digest(), dedup.MinHash(16).digest())
        with self.assertRaises(ValueError):
            dedup.MinHash.estimate([1, 2 ** 64], [1, 2])
        with self.assertRaises(ValueError):
            dedup.SimHash.distance(2 ** 64, 0)
        with self.assertRaises(TypeError):
            dedup.SimHash().update([1, 2], ["a", "b"])

    def test_nul_in_names_and_paths(self):
        c = dedup.Corpus()
        with self.assertRaises(ValueError):
            c.add("a\0b", "some words here")
        with self.assertRaises(ValueError):
            c.add(b"a\0", "some words here")
        with self.assertRaises(TypeError):
            c.add(5, "some words here")
        self.assertTrue(c.add("a", "some words here"))
        c.run()
        self.assertEqual(c.items(), ["a"])  # nothing half-added
        with self.assertRaises(ValueError):
            c.save("x\0y")
        with self.assertRaises(ValueError):
            dedup.Corpus.load("x\0y")


class IOErrorTests(unittest.TestCase):
    def test_errno_kept(self):
        with tempfile.TemporaryDirectory() as d:
            missing = os.path.join(d, "no", "such.idx")
            with self.assertRaises(FileNotFoundError) as cm:
                dedup.Corpus.load(missing)
            e = cm.exception
            self.assertIsInstance(e, dedup.DedupError)
            self.assertEqual((e.errno, e.filename, e.status),
                             (errno.ENOENT, missing, dedup.EIO))
            self.assertEqual(e.strerror, os.strerror(errno.ENOENT))
            c = dedup.Corpus()
            c.add("a", "some words here")
            with self.assertRaises(OSError) as cm:
                c.save(missing)
            self.assertEqual(cm.exception.errno, errno.ENOENT)
            self.assertEqual(cm.exception.status, dedup.EIO)
            with self.assertRaises(IsADirectoryError) as cm:
                dedup.Corpus.load(d)
            self.assertEqual(cm.exception.errno, errno.EISDIR)
            # A corrupt file is not an OSError, a format error.
            bad = os.path.join(d, "bad.idx")
            with open(bad, "wb") as f:
                f.write(b"DEDUPIX\0" + b"\1" * 100)
            with self.assertRaises(dedup.DedupError) as cm:
                dedup.Corpus.load(bad)
            self.assertNotIsInstance(cm.exception, OSError)
            self.assertIn(cm.exception.status, (dedup.EFORMAT,
                                                dedup.EVERSION))


class MinHashElementTests(unittest.TestCase):
    """str and bytes are ONE token each, ints are hashes."""

    def test_token_is_one_element(self):
        d = lambda *u: dedup.MinHash(32, seed=5).update(*u).digest()  # noqa
        h = dedup.hash_token("word")
        # Known answer: XXH3-64 of b"word", seed 0 (as in test_api.c).
        self.assertEqual(h, 0xe3ce369cf66c5c55)
        self.assertEqual(dedup.hash_token(b"word", seed=7),
                         0x71c52c93f31338ba)
        self.assertEqual(d(b"word"), d("word"))
        self.assertEqual(d(b"word"), d([h]))
        self.assertEqual(d(b"word"), d(h))
        self.assertNotEqual(d(b"word"), d(list(b"word")))  # not 4 bytes
        self.assertEqual(d(bytearray(b"word")), d(b"word"))
        self.assertEqual(d(memoryview(b"word")), d(b"word"))
        # One token even with spaces; not normalised.
        self.assertEqual(d("two words"),
                         d([dedup.hash_token(b"two words")]))
        self.assertNotEqual(d("two words"), d(["two", "words"]))
        self.assertNotEqual(d("Word"), d("word"))
        # Iterables of tokens and hashes, streamed or at once.
        self.assertEqual(d(["a", b"b", 7]),
                         dedup.MinHash(32, seed=5).update("a").update(b"b")
                         .update(7).digest())
        self.assertEqual(d(x for x in [1, 2, 3]), d([3, 2, 1]))
        self.assertEqual(d(array.array("Q", [1, 2, 3])), d([1, 2, 3]))
        self.assertEqual(d(memoryview(array.array("Q", [1, 2]))), d([1, 2]))
        m = dedup.MinHash(32, seed=5)
        m.update_batch([b"x", b"y"])  # datasketch's batch name
        self.assertEqual(m.digest(), d(["x", "y"]))

    def test_digest_is_a_buffer(self):
        m = dedup.MinHash(num_perm=64).update(range(100))
        sig = m.digest()
        self.assertIsInstance(sig, array.array)
        self.assertEqual(sig.typecode, "Q")
        mv = memoryview(sig)
        self.assertEqual((mv.format, mv.itemsize, len(mv)), ("Q", 8, 64))
        self.assertEqual(m.hashvalues, sig)
        self.assertEqual(len(m), 64)
        self.assertEqual(m.num_perm, 64)
        sig[0] ^= 1  # a copy: the state is unchanged
        self.assertNotEqual(m.digest(), sig)
        self.assertEqual(dedup.MinHash.estimate(m, m.digest()), 1.0)
        try:
            import numpy
        except ImportError:
            return
        a = numpy.frombuffer(m.digest(), dtype=numpy.uint64)
        self.assertEqual(list(a), list(m.digest()))

    def test_jaccard_needs_same_hashing(self):
        a = dedup.MinHash(16, seed=1).update([1, 2])
        with self.assertRaises(ValueError):
            a.jaccard(dedup.MinHash(16, seed=2).update([1, 2]))
        with self.assertRaises(ValueError):
            a.jaccard(dedup.MinHash(32, seed=1).update([1, 2]))
        self.assertEqual(a.jaccard(dedup.MinHash(16, seed=1).update([2, 1])),
                         1.0)


def sets_with_jaccard(rng, n, j, size=200):
    """n sets: a base and n-1 others of Jaccard about j with it."""
    base = [rng.getrandbits(64) for _ in range(size)]
    keep = int(round(2 * size * j / (1 + j)))
    return [base] + [base[:keep] + [rng.getrandbits(64)
                                    for _ in range(size - keep)]
                     for _ in range(n - 1)]


class LSHTests(unittest.TestCase):
    def build(self):
        rng = random.Random(8)
        mh = {}
        for g in range(30):  # 30 groups of 4 near copies (Jaccard ~0.9)
            for i, s in enumerate(sets_with_jaccard(rng, 4, 0.9)):
                mh[("g%d" % g, i)] = dedup.MinHash(128).update(s)
        lsh = dedup.LSH(threshold=0.5, num_perm=128)
        for k, m in mh.items():
            lsh.insert(k, m)
        return lsh, mh

    def test_insert_query(self):
        lsh, mh = self.build()
        self.assertEqual(len(lsh), 120)
        self.assertTrue(1 <= lsh.b and lsh.b * lsh.r <= 128)
        self.assertIn(("g3", 1), lsh)
        self.assertNotIn("nope", lsh)
        for k, m in mh.items():
            got = lsh.query(m)
            self.assertEqual(sorted(got), [(k[0], i) for i in range(4)])
        with self.assertRaises(ValueError):
            lsh.insert(("g0", 0), mh[("g0", 0)])  # keys are unique
        with self.assertRaises(ValueError):
            lsh.insert("short", dedup.MinHash(64))
        with self.assertRaises(ValueError):
            lsh.query(dedup.MinHash(128, seed=9))  # other hashing
        # Raw signatures work too.
        self.assertEqual(len(lsh.query(mh[("g0", 0)].digest())), 4)
        self.assertFalse(lsh.is_empty())

    def test_remove(self):
        lsh, mh = self.build()
        gone = [k for k in mh if k[1] % 2 == 0]
        for k in gone:
            lsh.remove(k)
        self.assertEqual(len(lsh), 60)
        for k, m in mh.items():
            got = lsh.query(m)
            self.assertEqual(sorted(got), [(k[0], 1), (k[0], 3)])
            self.assertEqual(k in lsh, k not in gone)
        with self.assertRaises(KeyError):
            lsh.remove(gone[0])
        with self.assertRaises(ValueError):  # as datasketch raises
            lsh.remove("never there")
        # A removed key may come back; freed ids are reused safely.
        lsh.insert(gone[0], mh[gone[0]])
        lsh.insert("new", mh[("g5", 1)])
        self.assertIn(gone[0], lsh.query(mh[gone[0]]))
        self.assertEqual(sorted(lsh.query(mh[("g5", 1)]), key=str),
                         sorted([("g5", 1), ("g5", 3), "new"], key=str))
        for k in list(lsh.keys()):
            lsh.remove(k)
        self.assertTrue(lsh.is_empty())
        self.assertEqual(lsh.query(mh[("g5", 1)]), [])

    def test_pickle(self):
        lsh, mh = self.build()
        for k in list(mh)[::3]:
            lsh.remove(k)
        copy = pickle.loads(pickle.dumps(lsh))
        self.assertEqual((copy.b, copy.r, copy.threshold, copy.num_perm),
                         (lsh.b, lsh.r, lsh.threshold, lsh.num_perm))
        self.assertEqual(copy.keys(), lsh.keys())
        for m in mh.values():
            self.assertEqual(copy.query(m), lsh.query(m))
        with self.assertRaises(ValueError):
            copy.query(dedup.MinHash(128, seed=9))


class PickleTests(unittest.TestCase):
    def test_minhash(self):
        m = dedup.MinHash(64, kind="classic", seed=4).update(range(50))
        c = pickle.loads(pickle.dumps(m))
        self.assertEqual(c, m)
        self.assertEqual((c.k, c.kind, c.seed), (64, "classic", 4))
        self.assertEqual(c.digest(), m.digest())
        self.assertEqual(c.jaccard(m), 1.0)
        with self.assertRaises(ValueError):  # the set is not kept
            c.update([1])
        c.reset()
        self.assertEqual(c.update(range(50)), m)
        with self.assertRaises(TypeError):
            pickle.dumps(dedup.SimHash())

    def test_corpus(self):
        c = dedup.Corpus(threads=1)
        order = list(reversed(SEED_FILES))
        for path in order:
            with open(path, "rb") as f:
                c.add(path, f.read())
        fresh = pickle.loads(pickle.dumps(c))  # not run: no results
        c.run()
        ran = pickle.loads(pickle.dumps(c))    # run: run again on load
        self.assertEqual(ran.clusters(), c.clusters())
        self.assertEqual(ran.clusters(level="copy"), c.clusters(level="copy"))
        self.assertEqual(ran.labels(), c.labels())
        self.assertEqual(ran.links(), c.links())
        self.assertEqual(ran.explain(0, 1)["story"]["cosine"],
                         c.explain(0, 1)["story"]["cosine"])
        with self.assertRaises(dedup.DedupError):
            fresh.labels()
        fresh.add("extra", "a different short note about the weather")
        c.add("extra", "a different short note about the weather")
        self.assertEqual(fresh.run().clusters(), c.run().clusters())
        self.assertEqual(fresh.labels(), c.labels())
        self.assertEqual(len(fresh.labels()), 4)


class LabelsTests(unittest.TestCase):
    def test_added_order(self):
        rng = random.Random(12)
        a = "\n".join(words(rng, 40) + "." for _ in range(10))
        names = ["zeta", "alpha", "mid", "beta", "omega"]
        texts = [a, words(rng, 300), words(rng, 300),
                 a.replace(a.split()[50], "edited", 1), a + " tail"]
        c = dedup.Corpus(no_clean=True, threads=1)
        for n, t in zip(names, texts):
            c.add(n, t)
        c.run()
        self.assertEqual(c.items(), sorted(names))
        for level in ("copy", "story"):
            lab = c.labels(level=level)
            by_item = dict(zip(c.items(), c.labels(level, order="item")))
            self.assertEqual(lab, [by_item[n] for n in names])
        lab = c.labels(level="copy")
        self.assertEqual(lab[0], lab[3])
        self.assertEqual(lab[0], lab[4])
        self.assertNotEqual(lab[0], lab[1])
        self.assertNotEqual(lab[1], lab[2])
        truth = [0, 1, 2, 0, 0]
        self.assertEqual(dedup.scores(lab, truth)["pair_f1"], 1.0)
        with self.assertRaises(ValueError):
            c.labels(order="sorted")
        # Adding drops the results: labels need another run.
        c.add("late", words(rng, 50))
        with self.assertRaises(dedup.DedupError) as cm:
            c.labels()
        self.assertEqual(cm.exception.status, dedup.ESTATE)
        self.assertEqual(len(c.run().labels()), 6)

    def test_loaded_corpus(self):
        c = dedup.Corpus()
        c.add("b", "one two three four")
        c.add("a", "five six seven eight")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.idx")
            c.save(path)
            loaded = dedup.Corpus.load(path)
        loaded.run()
        with self.assertRaises(dedup.DedupError):
            loaded.labels()  # the file does not say the order
        self.assertEqual(loaded.labels(order="item"),
                         c.run().labels(order="item"))


class PackagingTests(unittest.TestCase):
    def test_pyproject_version(self):
        path = os.path.join(HERE, os.pardir, "pyproject.toml")
        with open(path) as f:
            text = f.read()
        m = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
        self.assertIsNotNone(m)
        self.assertEqual(m.group(1), dedup.version())


class ReadmeTests(unittest.TestCase):
    def test_readme_example_runs(self):
        root = os.path.join(HERE, os.pardir, os.pardir)
        with open(os.path.join(root, "README.md")) as f:
            text = f.read()
        section = text[text.index("\n## Python"):]
        code = section.split("```python\n", 1)[1].split("```", 1)[0]
        out = subprocess.run([sys.executable, "-c", code], cwd=root,
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        first = out.stdout.splitlines()[0]
        self.assertIn("seeds/000_", first)
        self.assertIn("seeds/001_", first)


class ScoresTests(unittest.TestCase):
    def test_known_values(self):
        s = dedup.scores(["a", "a", "b", "b"], [1, 1, 1, 2])
        # Predicted pairs (0,1) (2,3); true pairs (0,1) (0,2) (1,2).
        self.assertEqual(s["predicted_pairs"], 2)
        self.assertEqual(s["true_pairs"], 3)
        self.assertEqual(s["correct_pairs"], 1)
        self.assertAlmostEqual(s["pair_precision"], 0.5)
        self.assertAlmostEqual(s["pair_recall"], 1 / 3)
        self.assertAlmostEqual(s["pair_f1"], 0.4)
        perfect = dedup.scores([5, 5, 7], ["x", "x", "y"])
        self.assertEqual(perfect["pair_f1"], 1.0)
        self.assertEqual(perfect["bcubed_f1"], 1.0)
        with self.assertRaises(ValueError):
            dedup.scores([1], [1, 2])


if __name__ == "__main__":
    unittest.main(verbosity=2)
