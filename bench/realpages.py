#!/usr/bin/env python3
"""realpages.py - a copy-level corpus of real pages for timing the CLI.

Writes COPIES versions of every page in SRC (gva-dev's 2,806 article
texts are 5.5 MB; the default 24 copies make 67,344 files, 132.5 MB) to
OUT, each version with a few words changed at seeded places, so the
copy level has real chrome, real lengths and real copy groups to find.
The texts belong to their publishers: write them to a temporary
directory, never into the tree.

  bench/realpages.py [--copies 24] [--seed 1] SRC_DIR OUT_DIR
"""
import argparse
import os
import random
import re


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--edits", type=int, default=3,
                    help="words changed per copy (the first copy: none)")
    ap.add_argument("src")
    ap.add_argument("out")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    names = sorted(n for n in os.listdir(a.src) if n.endswith(".txt"))
    rng = random.Random(a.seed)
    word = re.compile(rb"[A-Za-z]{4,}")
    total = 0
    for n in names:
        with open(os.path.join(a.src, n), "rb") as f:
            page = f.read()
        spans = [m.span() for m in word.finditer(page)]
        for k in range(a.copies):
            b = bytearray(page)
            if k and spans:
                # Later spans first, so earlier offsets stay valid.
                picks = sorted(rng.sample(spans, min(a.edits, len(spans))),
                               reverse=True)
                for s, e in picks:
                    b[s:e] = b"edited%d" % rng.randrange(1000)
            stem = n[:-4]
            with open(os.path.join(a.out, "%s_%02d.txt" % (stem, k)),
                      "wb") as f:
                f.write(b)
            total += len(b)
    print("%d files, %.1f MB in %s" % (len(names) * a.copies, total / 1e6,
                                       a.out))


if __name__ == "__main__":
    main()
