#!/usr/bin/env python3
"""Which stop-word list tells article prose from chrome best (issue 13):
a packaged list (Snowball's, as Lingua::StopWords has it; libdedup's
built-in English list) or one learned from document frequency (the N
words in most documents of the corpus).

Ground truth: gva-dev's pages (docs/ID.txt) and the same articles'
texts alone (gva-dev-jsonl, by id): a page line found in its article's
text is prose, any other line of 70 bytes or more is not.  Each list
classifies the page's lines of 70+ bytes as the cleaner does (stop-word
share >= 0.25: prose) and is scored by precision, recall and F1 over
those lines.  Learned lists are made from the first M pages, to show
what a language with few documents would get.

usage: stoplist-compare.py GVA_DEV_DIR GVA_DEV_JSONL_FILE BUILTIN_LIST
       (BUILTIN_LIST: the built-in English words, one a line)
"""
import json
import os
import re
import sys

WORD = re.compile(r"[^\W_]+")


def words(s):
    return [w.casefold() for w in WORD.findall(s)]


def snowball(lang):
    p = "/usr/share/perl5/Lingua/StopWords/%s.pm" % lang.upper()
    src = open(p, encoding="utf-8").read()
    m = re.search(r"sub _stopwords\s*\{\s*return\s+qw\((.*?)\);", src, re.S)
    return set(w.casefold() for w in m.group(1).split())


def main():
    pages_dir, jsonl, builtin = sys.argv[1:4]
    art = {}
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            art[d["id"]] = set(l.strip() for l in d["text"].split("\n")
                               if l.strip())
    pages = []
    for name in sorted(os.listdir(pages_dir + "/docs")):
        i = name[:-4]
        if i not in art:
            continue
        text = open(pages_dir + "/docs/" + name, encoding="utf-8",
                    errors="replace").read()
        lines = [l.strip() for l in text.split("\n")]
        pages.append((lines, art[i]))
    df = {}
    learned = {}
    for m in (50, 500, len(pages)):
        df.clear()
        for lines, _ in pages[:m]:
            for w in set(w for l in lines for w in words(l)):
                df[w] = df.get(w, 0) + 1
        top = sorted(df, key=lambda w: (-df[w], w))
        for n in (100, 231):
            learned["learned top %d (of %d pages)" % (n, m)] = set(top[:n])
    lists = {"built-in English (231)": set(
        l.strip() for l in open(builtin) if l.strip()),
             "Snowball English (%d)" % len(snowball("en")): snowball("en")}
    lists.update(learned)
    print("%-36s %6s %6s %6s" % ("list", "P", "R", "F1"))
    for name, sw in lists.items():
        tp = fp = fn = 0
        for lines, prose in pages:
            for l in lines:
                if len(l.encode()) < 70:
                    continue
                ws = words(l)
                if not ws:
                    continue
                said = sum(w in sw for w in ws) / len(ws) >= 0.25
                true = l in prose
                tp += said and true
                fp += said and not true
                fn += true and not said
        p = tp / (tp + fp) if tp + fp else 0
        r = tp / (tp + fn) if tp + fn else 0
        print("%-36s %6.3f %6.3f %6.3f" % (name, p, r,
                                            2 * p * r / (p + r) if p + r else 0))


main()
