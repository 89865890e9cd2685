#!/bin/sh
# jsonl-vs-files.sh - dedup-cluster end to end on the same texts given two
# ways: N files (one text each) and one JSON Lines file (plain, .gz,
# .zst).  Medians of RUNS (default 3) wall-clock runs.
#
#   bench/jsonl-vs-files.sh DEDUP_CLUSTER DATA.jsonl [WORKDIR]
#
# Extra dedup-cluster options: BENCH_ARGS (e.g. "--threads 1").
#
# WORKDIR (default /tmp/dedup-jsonl-bench) receives docs/ (the texts, one
# file per id), data.jsonl, data.jsonl.gz and data.jsonl.zst; it is
# reused when present.  "jsonl text only" reads no title or date (members
# named so that none exists), the work the files get; "jsonl" takes the
# titles and dates as dedup-cluster --jsonl does by default.  Needs
# python3 (to split the JSONL), gzip and zstd.
set -eu
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$2 work=${3:-/tmp/dedup-jsonl-bench}
runs=${RUNS:-3}
args=${BENCH_ARGS:-}
mkdir -p "$work"
if [ ! -d "$work/docs" ]; then
  python3 - "$data" "$work" <<'PY'
import json, os, sys
data, work = sys.argv[1], sys.argv[2]
os.makedirs(work + "/docs.tmp")
with open(data, encoding="utf-8") as f, \
     open(work + "/data.jsonl", "w", encoding="utf-8") as out:
    for line in f:
        d = json.loads(line)
        with open("%s/docs.tmp/%s.txt" % (work, d["id"]), "w",
                  encoding="utf-8") as t:
            t.write(d["text"])
        out.write(line)
os.rename(work + "/docs.tmp", work + "/docs")
PY
  gzip -c "$work/data.jsonl" >"$work/data.jsonl.gz"
  zstd -q -c "$work/data.jsonl" >"$work/data.jsonl.zst"
fi
n=$(ls "$work/docs" | wc -l)
mb=$(du -k "$work/data.jsonl" | cut -f1)

# median CMD...: "WALL CPU", the medians of $runs runs in seconds (CPU:
# user + system of the child, which a busy machine disturbs less).
median() {
  python3 - "$runs" "$@" <<'PY'
import os, resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
wall, cpu = [], []
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall.append(time.monotonic() - t0)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
print("%.3f %.3f" % (statistics.median(wall), statistics.median(cpu)))
PY
}

cd "$work"
echo "$n documents, $((mb / 1024)) MB of JSONL; medians of $runs runs (s):"
printf '%-32s %s\n' "" "wall cpu"
printf '%-32s %s\n' "files (docs/*.txt)" "$(median "$cli" $args -r docs)"
for f in data.jsonl data.jsonl.gz data.jsonl.zst; do
  printf '%-32s %s\n' "jsonl text only $f" \
    "$(median "$cli" $args --jsonl "$f" --title-field -none- --date-field -none-)"
  printf '%-32s %s\n' "jsonl $f" "$(median "$cli" $args --jsonl "$f")"
done
