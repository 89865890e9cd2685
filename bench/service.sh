#!/bin/sh
# service.sh BUILD [N [BIG_N]] : the service index against the batch run.
#
#   bench/service.sh build-rel              # N = 50,000: a few minutes
#   bench/service.sh build-rel 50000 1000000 # and at 1M documents (an
#                                            # hour; the index built by
#                                            # adds, BIG_BUILD=rebuild
#                                            # for a rebuild)
#
# BUILD is a release build directory (meson setup build-rel
# --buildtype=release).  Makes (or reuses) dedup-gen packs in $OUT
# (default /tmp/dedup-service), then prints one JSON line a stage
# (dedup-service-bench: batch, build, step, stream), the streaming and
# batch pairwise F1 of dedup-eval on the labelled sets in $DATA (default
# /work/shared/data, skipped when absent), and a summary against the
# targets.  Env: RUNS (default 3; 1 at BIG_N), THREADS (default 2), SEED
# (default 1), NEW (10), ADDS (10000: of them MANY, 8000, added by
# dedup_index_add_many in batches of BATCH, 500), QUERIES (1000), BYTES_N (10000:
# the size of the index built by adds without texts, for its file's bytes
# a document; 0 skips it).
set -eu
build=$1
n=${2:-50000}
big=${3:-0}
here=$(cd "$(dirname "$0")" && pwd)
seeds="$here/../seeds"
out=${OUT:-/tmp/dedup-service}
data=${DATA:-/work/shared/data}
runs=${RUNS:-3} threads=${THREADS:-2} seed=${SEED:-1}
new=${NEW:-10} adds=${ADDS:-10000} queries=${QUERIES:-1000}
many=${MANY:-8000} batch=${BATCH:-500}
gen="$build/bench/dedup-gen"
sb="$build/bench/dedup-service-bench"
ev="$build/dedup-eval"
mkdir -p "$out"
log="$out/service-$n-$big.jsonl"
: >"$log"

pack_for() { # N -> a pack of N + new + adds + queries documents
  total=$(($1 + new + adds + queries))
  fmt=$("$gen" --version)
  p="$out/corpus-$total-s$seed-g$fmt.pack"
  if [ ! -s "$p" ]; then
    "$gen" --seeds "$seeds" --n "$total" --seed "$seed" --out "$p.tmp" \
      --truth "$p.tsv" >/dev/null 2>&1
    mv "$p.tmp" "$p"
  fi
  echo "$p"
}

bench_n() { # N RUNS BUILD (rebuild: deferred adds + a rebuild, texts
  # kept; adds: one add each, no texts - a rebuild at 1M would hold a
  # batch run's memory and the index's at once)
  p=$(pack_for "$1")
  "$sb" --pack "$p" --stage batch --n "$1" --runs "$2" --threads "$threads" \
    | tee -a "$log"
  rm -f "$out/ix-$1" "$out/ix-$1.lock" "$out/ix-$1.journal"
  "$sb" --pack "$p" --stage index --build "$3" --n "$1" --index "$out/ix-$1" \
    --new "$new" --adds "$adds" --many "$many" --batch "$batch" \
    --queries "$queries" --runs "$2" --threads "$threads" | tee -a "$log"
  rm -f "$out/ix-$1" "$out/ix-$1.lock" "$out/ix-$1.journal"
}

bench_n "$n" "$runs" rebuild
# The batch on one thread too: the index adds on one.
if [ "$threads" != 1 ]; then
  "$sb" --pack "$(pack_for "$n")" --stage batch --n "$n" --runs 1 \
    --threads 1 | sed 's/"stage":"batch"/"stage":"batch-1thread"/' |
    tee -a "$log"
fi
# The file of an index that keeps no texts (one add each, as a service
# that never rebuilds has it): bytes a document, open and save times.
bytes_n=${BYTES_N:-10000}
if [ "$bytes_n" -gt 0 ]; then
  p=$(pack_for "$bytes_n")
  rm -f "$out/ixa-$bytes_n" "$out/ixa-$bytes_n.lock"
  "$sb" --pack "$p" --stage index --build adds --n "$bytes_n" \
    --index "$out/ixa-$bytes_n" --new "$new" --adds 0 --queries 0 \
    --runs "$runs" | sed 's/"stage":"\([a-z]*\)"/"stage":"\1-notexts"/' |
    tee -a "$log"
  rm -f "$out/ixa-$bytes_n" "$out/ixa-$bytes_n.lock" \
    "$out/ixa-$bytes_n.journal"
fi
[ "$big" -gt 0 ] && bench_n "$big" 1 "${BIG_BUILD:-adds}"

# Streaming accuracy: documents in date order, one add each, against the
# batch run over the same documents.
f1() { sed -n 's/^pairwise .*F1 \([0-9.]*\).*/\1/p'; }
if [ -x "$ev" ] && [ -d "$data" ]; then
  for set in gva-dev-jsonl newswcl50; do
    [ -d "$data/$set" ] || continue
    if [ "$set" = gva-dev-jsonl ]; then
      src="--jsonl $data/$set/data.jsonl $data/$set/labels.tsv"
    else
      src="$data/$set"
    fi
    # shellcheck disable=SC2086
    b=$("$ev" --threads "$threads" $src 2>/dev/null | f1)
    # shellcheck disable=SC2086
    s=$("$ev" --threads "$threads" --stream $src 2>/dev/null | f1)
    echo "{\"stage\":\"eval\",\"set\":\"$set\",\"batch_f1\":$b,\"stream_f1\":$s}" |
      tee -a "$log"
  done
fi

python3 - "$log" "$n" "$big" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n, big = int(sys.argv[2]), int(sys.argv[3])
def get(stage, at):
    return next((r for r in rows if r["stage"] == stage and r.get("n") == at),
                None)
print("\n%-58s %s" % ("figure", "value"))
def line(what, v):
    print("%-58s %s" % (what, v))
for at in [n] + ([big] if big else []):
    b, bl, st, sr = (get(s, at) for s in ("batch", "build", "step", "stream"))
    if not (b and bl and st and sr):
        continue
    line("N = %d: batch add + run (s)" % at, "%.2f" % b["total_s"])
    line("  index build (%s, s)" % bl["how"], "%.2f" % bl["build_s"])
    hs = get("hot-step", at)
    if hs:
        line("  loaded index: %d adds + save (journal, s)" % hs["new"],
             "%.4f (adds %.4f, save %.4f)" % (hs["step_s"], hs["add_s"],
                                              hs["save_s"]))
        line("  loaded step / batch (target <= 2%)",
             "%.3f%%" % (100 * hs["step_s"] / b["total_s"]))
    line("  cold: open + %d adds + save (s)" % st["new"], "%.3f (open %.3f, "
         "adds %.3f, save %.3f; journal %d bytes)" % (
             st["step_s"], st["open_s"], st["add_s"], st["save_s"],
             st.get("journal_bytes", 0)))
    line("  cold step / batch",
         "%.2f%%" % (100 * st["step_s"] / b["total_s"]))
    line("  story ids unchanged after the adds (target >= 99%)",
         "%.3f%% (%.3f%% after resolve)" % (
             100 * st["story_unchanged_share"],
             100 * st["story_unchanged_after_resolve_share"]))
    line("  add rate, %d adds (docs/s)" % sr["adds"],
         "%.1f" % sr["add_docs_per_s"])
    line("  batch rate (docs/s, %d threads)" % b["threads"],
         "%.1f" % b["docs_per_s"])
    line("  add rate / batch rate",
         "%.1f%%" % (100 * sr["add_docs_per_s"] / b["docs_per_s"]))
    sm = get("stream-many", at)
    if sm:
        line("  add_many rate, %d adds in batches of %d, %d threads "
             "(docs/s)" % (sm["adds"], sm["batch"], sm["threads"]),
             "%.1f" % sm["add_docs_per_s"])
        line("  add_many rate / batch rate (target >= 80%)",
             "%.1f%%" % (100 * sm["add_docs_per_s"] / b["docs_per_s"]))
    b1 = get("batch-1thread", at)
    if b1:
        line("  batch rate, 1 thread (docs/s)", "%.1f" % b1["docs_per_s"])
        line("  add rate / batch rate on 1 thread",
             "%.1f%%" % (100 * sr["add_docs_per_s"] / b1["docs_per_s"]))
    line("  add p50 / p99 (ms)", "%.2f / %.2f" % (sr["add_p50_ms"],
                                                  sr["add_p99_ms"]))
    line("  query p50 / p99 (ms)", "%.2f / %.2f" % (sr["query_p50_ms"],
                                                    sr["query_p99_ms"]))
    if bl["file_bytes"] > 0:
        line("  index bytes / doc (texts %s)" % ("kept" if bl["keeps_texts"]
                                                 else "not kept"),
             "%.0f" % bl["bytes_per_doc"])
    if st["file"]:
        line("  open (load) time (s)", "%.3f" % st["open_s"])
for r in rows:
    if r["stage"] == "build-notexts" and r["file_bytes"] > 0:
        st = next(x for x in rows if x["stage"] == "step-notexts")
        line("N = %d, texts not kept: index bytes / doc" % r["n"],
             "%.0f" % r["bytes_per_doc"])
        line("  open / save (s)", "%.3f / %.3f" % (st["open_s"],
                                                    st["save_s"]))
for r in rows:
    if r["stage"] == "eval":
        line("%s pairwise F1 batch / stream" % r["set"],
             "%.3f / %.3f" % (r["batch_f1"], r["stream_f1"]))
EOF
