#!/bin/sh
# cli_bad_input.sh - dedup-cluster on bad input (issue 5).
#
#   sh cli_bad_input.sh DEDUP_CLUSTER MAXRSS BUILD_DIR
#
# Each case checks the exit code documented at the top of
# examples/dedup-cluster.c, the message, and that the good files given
# alongside are still clustered exactly as without the bad one.  Big inputs
# (a 200 MB file, 100,000 files) are generated under BUILD_DIR at test time
# and deleted afterwards; peak memory is measured with MAXRSS.
set -eu
export LC_ALL=C # bytes, not characters: awk's %c, sort, grep
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
cli=$(abs "$1")
maxrss=$(abs "$2")
work=$(abs "$(mktemp -d "$3/cli-bad-input.XXXXXX")")
trap 'rm -rf "$work"' EXIT INT TERM
seeds=${DEDUP_SEEDS:?DEDUP_SEEDS must point to seeds/}
cd "$work"

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# expect_rc WANT GOT WHAT
expect_rc() {
  [ "$2" -eq "$1" ] || fail "$3: exit $2, want $1"
}
# expect_grep PATTERN FILE WHAT
expect_grep() {
  grep -q -- "$1" "$2" || fail "$3: no '$1' in $2: $(head -c 300 "$2")"
}
# same_cluster A B: A and B on one line of the text output (one line per
# cluster of two or more).
same_cluster() {
  grep -F -- "$1" "$work/out" | grep -q -F -- "$2"
}
# rss_kb: the peak the last maxrss run wrote.
rss_kb() { cat "$work/rss"; }
# run ARGS...: the CLI under maxrss; stdout to out, stderr to err, sets rc.
run() {
  rc=0
  "$maxrss" "$work/rss" "$cli" "$@" >"$work/out" 2>"$work/err" || rc=$?
}

# English-like text: sentences of words from a fixed list, picked by a
# seeded LCG, so every run makes the same bytes.  gen_text SEED WORDS
gen_text() {
  awk -v seed="$1" -v n="$2" 'BEGIN {
    split("the of and to in a is that for it was on with as said by at " \
          "from he they this have had be were which their an has would " \
          "council city budget river school minister police report " \
          "election market company court health storm village bridge " \
          "museum festival railway harbour hospital teacher farmer " \
          "announced approved warned rejected opened closed reported " \
          "yesterday morning week year new old local national first " \
          "last large small early late public private", w, " ")
    nw = 0; for (k in w) nw++
    s = seed
    for (i = 1; i <= n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648
      word = w[1 + int(s / 65536) % nw]
      if (i % 14 == 1) word = toupper(substr(word, 1, 1)) substr(word, 2)
      printf "%s", word
      if (i % 14 == 0) printf ". "; else printf " "
      if (i % 90 == 0) printf "\n\n"
    }
    printf "\n"
  }'
}

# ---- baseline: the seed pages and a near copy of one --------------------
cp "$seeds"/*.txt "$work/"
first=$(ls "$work"/*.txt | head -n 1)
{ echo "Home | News | Sport"; echo; cat "$first"; } >"$work/copy.txt"
good="$work/copy.txt $(ls "$work"/[0-9]*.txt | tr '\n' ' ')"
# shellcheck disable=SC2086
run --level copy $good
expect_rc 0 "$rc" "baseline"
cp "$work/out" "$work/baseline.out"
same_cluster "$first" "$work/copy.txt" ||
  fail "baseline: the copy does not cluster with $first"

# ---- invalid UTF-8 and NUL bytes ----------------------------------------
# A copy with bytes that are not UTF-8 in three places, and one with every
# 'q' made a NUL (well under 1% of the bytes, so still text).
c0=$(printf '\300')
{ printf 'Bad \377\376 bytes\n\n'; sed "s/ the / th${c0}e /" "$first"; } \
  >"$work/invalid.txt"
tr 'q' '\000' <"$first" >"$work/nul.txt"
run --level copy "$first" "$work/invalid.txt" "$work/nul.txt"
expect_rc 0 "$rc" "invalid UTF-8"
expect_grep "invalid.txt: [0-9]* invalid UTF-8 sequences replaced" \
  "$work/err" "invalid UTF-8"
same_cluster "$first" "$work/invalid.txt" ||
  fail "invalid UTF-8: no longer a copy"
same_cluster "$first" "$work/nul.txt" || fail "NUL bytes: not a copy"
grep -q "nul.txt" "$work/err" && fail "NUL bytes: warned: $(cat "$work/err")"

# ---- empty and binary files: skipped with a warning, exit 0 --------------
: >"$work/empty.txt"
printf '  \n\t-- !! --\n' >"$work/blank.txt"
cp "$maxrss" "$work/binary.bin" # an executable: plenty of NUL bytes
# shellcheck disable=SC2086
run --level copy "$work/empty.txt" $good "$work/binary.bin" "$work/blank.txt"
expect_rc 0 "$rc" "empty/binary"
expect_grep "empty.txt: empty file, skipped" "$work/err" "0-byte file"
expect_grep "binary.bin: binary data, not text; skipped" "$work/err" "binary"
expect_grep "blank.txt: no words, skipped" "$work/err" "no words"
cmp -s "$work/out" "$work/baseline.out" ||
  fail "empty/binary: the other files clustered differently"
# shellcheck disable=SC2086
run --all --format tsv "$work/empty.txt" "$work/binary.bin" $good
grep -q -e "empty.txt" -e "binary.bin" "$work/out" &&
  fail "empty/binary: listed as items"

# ---- a directory and a missing path: exit 1, the rest clustered ----------
mkdir "$work/adir"
# shellcheck disable=SC2086
run --level copy "$work/adir" $good "$work/missing.txt"
expect_rc 1 "$rc" "directory/missing"
expect_grep "adir: is a directory" "$work/err" "directory"
expect_grep "missing.txt: No such file or directory" "$work/err" "missing"
cmp -s "$work/out" "$work/baseline.out" ||
  fail "directory/missing: the other files clustered differently"

# ---- scripts without spaces: copies cluster, distinct texts do not -------
han() { # han SEED COUNT: Han characters from a seeded LCG, 。 every 20
  awk -v seed="$1" -v n="$2" 'BEGIN {
    s = seed
    for (i = 1; i <= n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648
      cp = 19968 + int(s / 65536) % 3000   # U+4E00...
      printf "%c%c%c", 224 + int(cp / 4096), 128 + int(cp / 64) % 64, \
        128 + cp % 64
      if (i % 20 == 0) printf "\343\200\202"
      if (i % 60 == 0) printf "\n"
    }
  }'
}
han 1 600 >"$work/zh-a.txt"
{ printf '\351\246\226\351\241\265\n\n'; cat "$work/zh-a.txt"; } \
  >"$work/zh-a-copy.txt"
han 2 600 >"$work/zh-b.txt"
if LC_ALL=C grep -q "$(printf '\344\270')" "$work/zh-a.txt"; then
  run --level copy --all "$work/zh-a.txt" "$work/zh-a-copy.txt" \
    "$work/zh-b.txt"
  expect_rc 0 "$rc" "Han"
  same_cluster "zh-a.txt" "zh-a-copy.txt" || fail "Han: copies apart"
  same_cluster "zh-a.txt" "zh-b.txt" && fail "Han: distinct texts joined"
else
  fail "Han: awk cannot write bytes (printf %c)"
fi

# ---- same output whatever the thread count and the order of files --------
# shellcheck disable=SC2086
run --format json --threads 1 $good
cp "$work/out" "$work/t1.json"
# shellcheck disable=SC2086
run --format json --threads 2 $(echo $good | tr ' ' '\n' | sort -r)
cmp -s "$work/out" "$work/t1.json" ||
  fail "determinism: output differs with 2 threads and reversed order"

# ---- one 10 MB line --------------------------------------------------------
gen_text 7 40000 | tr '\n' ' ' >"$work/para"
: >"$work/line.txt"
while [ "$(wc -c <"$work/line.txt")" -lt 10485760 ]; do
  cat "$work/para" >>"$work/line.txt"
  gen_text $(($(wc -c <"$work/line.txt") % 1000)) 3000 | tr '\n' ' ' \
    >>"$work/line.txt"
done
{ printf 'Menu | Home\n\n'; sed 's/council/counsel/' "$work/line.txt"; } \
  >"$work/line-copy.txt"
run --level copy "$work/line.txt" "$work/line-copy.txt" "$first"
expect_rc 0 "$rc" "10 MB line"
same_cluster "line.txt" "line-copy.txt" || fail "10 MB line: not copies"
same_cluster "line.txt" "$first" && fail "10 MB line: joined a seed"
echo "10 MB line: peak RSS $(rss_kb) KiB"
rm -f "$work/line.txt" "$work/line-copy.txt" "$work/para"

# ---- a 200 MB file ---------------------------------------------------------
# About 1 MB of text doubled eight times, then trimmed to 200 MiB.
gen_text 11 180000 >"$work/big.txt"
for _ in 1 2 3 4 5 6 7 8; do
  cat "$work/big.txt" "$work/big.txt" >"$work/big2" &&
    mv "$work/big2" "$work/big.txt"
done
head -c 209715200 "$work/big.txt" >"$work/big2" && mv "$work/big2" "$work/big.txt"
size=$(wc -c <"$work/big.txt")
[ "$size" -eq 209715200 ] || fail "200 MB: generated $size bytes"
# shellcheck disable=SC2086
run --level copy "$work/big.txt" $good
expect_rc 0 "$rc" "200 MB"
grep -F "big.txt" "$work/out" && fail "200 MB: clustered with a seed page"
cmp -s "$work/out" "$work/baseline.out" ||
  fail "200 MB: the other files clustered differently"
big_rss=$(rss_kb)
echo "200 MB file: peak RSS $big_rss KiB"
# Bounded: a few copies of the file (bytes, normalised text, tokens), not
# a blow-up.  10x the file is far above what is needed and far below a
# quadratic or leaking path.
[ "$big_rss" -lt $((10 * 204800)) ] ||
  fail "200 MB: peak RSS $big_rss KiB is over 10x the file"
rm -f "$work/big.txt"

# ---- a list of 100,000 files on stdin --------------------------------------
# Small distinct files, and every 10,000th one copied (the copies must be
# found among the others).
mkdir "$work/many"
awk -v dir="$work/many" 'BEGIN {
  split("alpha bravo charlie delta echo foxtrot golf hotel india juliet " \
        "kilo lima mike november oscar papa quebec romeo sierra tango", w, " ")
  for (i = 0; i < 100000; i++) {
    f = sprintf("%s/f%06d.txt", dir, i)
    s = i
    text = sprintf("Item %d", i)
    for (k = 0; k < 40; k++) {
      s = (s * 1103515245 + 12345) % 2147483648
      text = text " " w[1 + int(s / 65536) % 20] (int(s / 7) % 1000)
    }
    print text > f
    close(f)
    if (i % 10000 == 0) {
      g = sprintf("%s/f%06d-copy.txt", dir, i)
      print "Home\n\n" text > g
      close(g)
    }
  }
}'
find "$work/many" -type f | sort >"$work/list"
n=$(wc -l <"$work/list")
[ "$n" -eq 100010 ] || fail "100,000 files: generated $n"
rc=0
"$maxrss" "$work/rss" "$cli" --level copy --format tsv --all - \
  <"$work/list" >"$work/out" 2>"$work/err" || rc=$?
expect_rc 0 "$rc" "100,000 files"
items=$(wc -l <"$work/out")
[ "$items" -eq 100010 ] || fail "100,000 files: $items items listed"
for i in 000000 050000 090000; do
  a=$(grep -F "/f$i.txt" "$work/out" | cut -f1)
  b=$(grep -F "/f$i-copy.txt" "$work/out" | cut -f1)
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "100,000 files: f$i not with its copy"
done
list_rss=$(rss_kb)
echo "100,000 files: peak RSS $list_rss KiB"
[ "$list_rss" -lt 1048576 ] ||
  fail "100,000 files: peak RSS $list_rss KiB is over 1 GiB"
rm -rf "$work/many"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all CLI bad-input cases passed"
