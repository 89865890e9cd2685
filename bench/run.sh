#!/bin/sh
# bench/run.sh BUILDDIR N... : generates (cached) corpora of N documents and
# benchmarks each with BUILDDIR's dedup-bench.
#
#   meson setup build-release --buildtype=release
#   bench/run.sh build-release 10000 100000 1000000
#
# Env: DEDUP_BENCH_CACHE  corpus and result directory (default
#                         /tmp/dedup-bench; 1M docs take ~3.1 GB)
#      RUNS               repetitions per stage (default 3; 1 from 1M docs)
#      THREADS            corpus worker threads (default 0 = all cores)
#      SEED               corpus seed (default 1)
#      BENCH_ARGS         extra dedup-bench options, e.g. "--stages corpus"
# JSON lines go to stdout and to $DEDUP_BENCH_CACHE/result-N-sSEED.jsonl;
# tables go to stderr.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILDDIR N..." >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
build=$1
shift
ninja -C "$build" bench/dedup-gen bench/dedup-bench >/dev/null
cache=${DEDUP_BENCH_CACHE:-/tmp/dedup-bench}
for n in "$@"; do
  runs=${RUNS:-}
  if [ -z "$runs" ]; then
    if [ "$n" -ge 1000000 ]; then runs=1; else runs=3; fi
  fi
  RUNS=$runs "$here/bench-n.sh" "$build/bench/dedup-gen" \
    "$build/bench/dedup-bench" "$here/../seeds" "$cache" "$n"
done
