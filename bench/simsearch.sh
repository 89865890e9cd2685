#!/bin/sh
# bench/simsearch.sh BUILDDIR [SIMHASH_FIND_ALL] : dedup_simhash_pairs on
# 1M random fingerprints with planted near copies at k = 3 (median of 3
# runs, peak RSS), then, when given the path of a simhash-find-all binary
# built from seomoz/simhash-cpp (its own CLI around find_all, built
# outside this tree), that program on the same fingerprints: median wall
# time of 3 runs and peak RSS from /usr/bin/time, and its pair count,
# which must equal ours.
#
# Env: N (1000000), K (3), THREADS (1), BLOCKS (simhash-cpp's blocks, 4),
#      SIMHASH_FIND_ALL (instead of the second argument).
# simhash-find-all's time includes parsing the decimal input and writing
# the pairs as text (a few tenths of a second at 1M): see bench/README.md
# for find_all alone.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILDDIR [SIMHASH_FIND_ALL]" >&2
  exit 2
fi
build=$1
sfa=${2:-${SIMHASH_FIND_ALL:-}}
n=${N:-1000000} k=${K:-3} threads=${THREADS:-1} blocks=${BLOCKS:-4}
ninja -C "$build" bench/dedup-simsearch-bench >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/simsearch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$build/bench/dedup-simsearch-bench" --n "$n" --k "$k" \
  --threads "$threads" --runs 3 --write "$tmp/fp.txt" | tee "$tmp/ours"
if [ -z "$sfa" ]; then
  echo "simhash-cpp: skipped (give the path of its simhash-find-all)"
  exit 0
fi
if [ ! -x "$sfa" ] || [ ! -x /usr/bin/time ]; then
  echo "simhash-cpp: skipped ($sfa or /usr/bin/time is not executable)"
  exit 0
fi
for r in 1 2 3; do
  /usr/bin/time -o "$tmp/t$r" -f '%e %M' "$sfa" --blocks "$blocks" \
    --distance "$k" --input "$tmp/fp.txt" --output "$tmp/pairs" 2>/dev/null
done
times=$(cat "$tmp/t1" "$tmp/t2" "$tmp/t3" | awk '{ print $1 }' | sort -n)
med=$(printf '%s\n' "$times" | sed -n 2p)
rss=$(cat "$tmp/t1" "$tmp/t2" "$tmp/t3" | awk '{ if ($2 > m) m = $2 } END { printf "%.1f", m / 1024 }')
theirs=$(wc -l < "$tmp/pairs")
ours=$(sed -n 's/.* pairs=\([0-9]*\) .*/\1/p' "$tmp/ours")
echo "simhash-find-all blocks=$blocks k=$k pairs=$theirs median_s=$med" \
  "(min $(printf '%s\n' "$times" | sed -n 1p)," \
  "max $(printf '%s\n' "$times" | sed -n 3p)) peak_rss_mib=$rss"
if [ "$theirs" = "$ours" ]; then
  echo "pair counts agree: $ours"
else
  echo "pair counts differ: ours $ours, simhash-find-all $theirs"
  exit 1
fi
