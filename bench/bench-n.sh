#!/bin/sh
# bench-n.sh GEN BENCH SEEDS OUTDIR N... : for each N, makes (or reuses) a
# corpus of N documents in OUTDIR and benchmarks it.  Used by meson's
# benchmark('bench-10k') and run_target('bench'); see bench/run.sh for the
# command-line driver.  Env: RUNS (default 3), THREADS (default 0 = all
# cores), SEED (default 1), BENCH_ARGS (extra dedup-bench options).
set -eu
gen=$1 bench=$2 seeds=$3 out=$4
shift 4
seed=${SEED:-1}
fmt=$("$gen" --version)
mkdir -p "$out"
for n in "$@"; do
  # cached by N, seed and generator format
  pack="$out/corpus-$n-s$seed-g$fmt.pack"
  tsv="$out/corpus-$n-s$seed-g$fmt.tsv"
  if [ ! -s "$pack" ] || [ ! -s "$tsv" ]; then
    "$gen" --seeds "$seeds" --n "$n" --seed "$seed" --out "$pack.tmp" \
      --truth "$tsv.tmp" --stats 1000
    mv "$pack.tmp" "$pack"
    mv "$tsv.tmp" "$tsv"
  fi
  res="$out/result-$n-s$seed.jsonl"
  # shellcheck disable=SC2086
  if ! "$bench" --pack "$pack" --truth "$tsv" --runs "${RUNS:-3}" \
      --threads "${THREADS:-0}" ${BENCH_ARGS:-} >"$res"; then
    cat "$res"
    exit 1
  fi
  cat "$res"
done
