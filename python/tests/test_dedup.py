"""Tests of the ctypes binding against the C library it wraps.

Run: PYTHONPATH=python DEDUP_LIBRARY=build/lib/libdedup.so \
     python3 -m unittest discover -s python/tests
"""
import json
import os
import random
import subprocess
import sys
import tempfile
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
