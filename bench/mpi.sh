#!/bin/sh
# mpi.sh BUILD [N] : dedup-cluster-mpi on 1, 2 and 4 ranks against
# dedup-cluster, on N generated pages (default 100,000), at both levels.
#
#   bench/mpi.sh build-rel            # 100,000 pages: about 10 minutes
#   bench/mpi.sh build-rel 1000000    # 1M pages: about an hour, 5 GB disk
#
# BUILD is a release build with MPI (meson setup build-rel
# --buildtype=release; dedup-cluster-mpi is built when meson finds MPI).
# Makes (or reuses) the pages as files in $OUT (default /tmp/dedup-mpi),
# then prints one line a run: level, ranks, wall seconds, peak RSS of each
# rank (MiB), the bytes each exchange sent a document (statistics parts,
# answers, records; dedup-cluster-mpi reports them with
# DEDUP_MPI_REPORT=1), and whether stdout is byte-identical to
# dedup-cluster's.  Env: RANKS (default "1 2 4"), LEVELS ("copy story"),
# SEED (1), DEDUP_MPI_PASS4 (spread or gather: where pass 4 runs; unset,
# spread at the copy level, gathered with the story level).  On a machine of C
# cores each of R ranks runs max(1, C / R) threads, so the ranks never
# ask for more cores than there are (4 ranks on 2 cores are
# oversubscribed 2:1 all the same: one thread each).
set -eu
build=$1
n=${2:-100000}
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/dedup-mpi}
ranks=${RANKS:-1 2 4}
levels=${LEVELS:-copy story}
seed=${SEED:-1}
cores=$(nproc)
dc="$build/examples/dedup-cluster"
dm="$build/examples/dedup-cluster-mpi"
[ -x "$dm" ] || { echo "mpi.sh: $dm not built (no MPI found by meson?)" >&2; exit 2; }
mkdir -p "$out"
pages="$out/pages-$n-s$seed"
if [ ! -d "$pages" ]; then
  "$build/bench/dedup-gen" --seeds "$here/../seeds" --n "$n" --seed "$seed" \
    --dir "$pages.tmp" --stats 0 --quiet
  mv "$pages.tmp" "$pages"
fi
bytes=$(du -sbL "$pages" | cut -f1)
# Read once untimed: every run then finds the pages in the page cache.
find -L "$pages" -type f -exec cat {} + >/dev/null
echo "# $n pages, $((bytes / 1048576)) MiB on disk, $cores cores"
now() { date +%s.%N; }
for level in $levels; do
  ref="$out/ref-$n-$level.txt"
  t0=$(now)
  /usr/bin/time -f %M -o "$out/rss-1p" "$dc" -r -q --level "$level" \
    --threads "$cores" "$pages" >"$ref"
  t1=$(now)
  printf 'level %-5s dedup-cluster     %8.2f s  rss %s MiB\n' "$level" \
    "$(echo "$t1 - $t0" | bc)" "$(($(cat "$out/rss-1p") / 1024))"
  for r in $ranks; do
    th=$((cores / r))
    [ "$th" -ge 1 ] || th=1
    rm -f "$out"/rss.* "$out/report"
    t0=$(now)
    DEDUP_MPI_REPORT="$out/report" mpirun --oversubscribe --allow-run-as-root \
      -np "$r" sh -c '/usr/bin/time -f %M -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' \
      "$out/rss" "$dm" -r -q --level "$level" --threads "$th" "$pages" \
      >"$out/got.txt"
    t1=$(now)
    rss=""
    for f in "$out"/rss.*; do rss="$rss $(($(cat "$f") / 1024))"; done
    same=differs
    cmp -s "$ref" "$out/got.txt" && same=identical
    printf 'level %-5s mpi%s %d ranks x %d th %8.2f s  rss%s MiB  %s  %s\n' \
      "$level" "${DEDUP_MPI_PASS4:+ $DEDUP_MPI_PASS4}" "$r" "$th" \
      "$(echo "$t1 - $t0" | bc)" "$rss" \
      "$(cat "$out/report" 2>/dev/null || echo '-')" "$same"
  done
done
