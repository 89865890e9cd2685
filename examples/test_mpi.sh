#!/bin/sh
# test_mpi.sh DEDUP_CLUSTER DEDUP_CLUSTER_MPI DEDUP_GEN MPIRUN -
# dedup-cluster-mpi on 1, 2 and 3 ranks prints what dedup-cluster prints,
# byte for byte, and exits with its status: the seed pages (both levels,
# every format, --all), a generated corpus of a few hundred pages (also
# with exchanges cut into small rounds), JSON Lines (from a file and from
# standard input, with a malformed line, a repeated id and undated
# documents; plain files split by bytes over the ranks: a few hundred
# lines with ids repeated across the ranks' ranges, several files, a line
# of 100 KB across every boundary, an empty file, no final newline), a
# list of paths on standard input, and inputs that are refused (a FIFO, a
# directory, a binary file, an empty file, a missing path).  Every
# message comes once: the sorted stderr of both programs is the same but
# for the program's name.  The options the passes cannot serve are
# refused with the usage status.  Seeds: $DEDUP_SEEDS.
set -eu
cli=$1 mpi=$2 gen=$3 mpirun=$4
seeds=${DEDUP_SEEDS:?DEDUP_SEEDS must name the seed pages}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# OpenMPI leaks at exit (ASan would fail every run): leak checks off for
# the MPI runs only, every other check on.  Shared memory and the local
# launcher only: no network in a container; ob1 over shared memory, not
# UCX (whose probing doubles each start); no second's wait for ranks to
# die when a rank exits with a status other than 0 (all have finished).
mpi_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export OMPI_MCA_btl=self,vader
export OMPI_MCA_pml=ob1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_odls_base_sigkill_timeout=0

fail() {
  echo "FAIL: $*"
  exit 1
}
# run_cli NAME [ARGS...]: dedup-cluster; stdout in $tmp/NAME.out, stderr
# in $tmp/NAME.err, status in $tmp/NAME.rc.  stdin: $tmp/stdin.
run_cli() {
  rn=$1
  shift
  set +e
  "$cli" "$@" <"$tmp/stdin" >"$tmp/$rn.out" 2>"$tmp/$rn.err"
  echo $? >"$tmp/$rn.rc"
  set -e
}
# run_mpi NAME NP [ARGS...]: dedup-cluster-mpi on NP ranks, likewise.
run_mpi() {
  rn=$1 rnp=$2
  shift 2
  set +e
  ASAN_OPTIONS=$mpi_asan "$mpirun" --oversubscribe --allow-run-as-root \
    -np "$rnp" "$mpi" "$@" <"$tmp/stdin" >"$tmp/$rn.out" 2>"$tmp/$rn.err"
  echo $? >"$tmp/$rn.rc"
  set -e
}
# msgs PROG: the program's messages on stdin, named PROG, sorted (without
# what mpirun adds when a rank exits with a status other than 0).
msgs() {
  sed -n "s/^$1: /PROG: /p; s/^Try '$1 /Try 'PROG /p" | LC_ALL=C sort
}
# check NAME ARGS...: dedup-cluster and dedup-cluster-mpi on 1, 2 and 3
# ranks: the same stdout, status and (sorted) messages.
check() {
  n=$1
  shift
  run_cli "$n" "$@"
  msgs dedup-cluster <"$tmp/$n.err" >"$tmp/$n.msgs"
  for np in 1 2 3; do
    m=$n.np$np
    run_mpi "$m" "$np" "$@"
    cmp -s "$tmp/$n.out" "$tmp/$m.out" || {
      diff "$tmp/$n.out" "$tmp/$m.out" | head -20 || true
      fail "$n: $np ranks print other output ($*)"
    }
    [ "$(cat "$tmp/$n.rc")" = "$(cat "$tmp/$m.rc")" ] || {
      cat "$tmp/$m.err"
      fail "$n: $np ranks exit $(cat "$tmp/$m.rc"), dedup-cluster" \
        "$(cat "$tmp/$n.rc") ($*)"
    }
    msgs dedup-cluster-mpi <"$tmp/$m.err" >"$tmp/$m.msgs"
    cmp -s "$tmp/$n.msgs" "$tmp/$m.msgs" || {
      diff "$tmp/$n.msgs" "$tmp/$m.msgs" || true
      fail "$n: $np ranks say other messages ($*)"
    }
  done
}
: >"$tmp/stdin"

# The seed pages: one story of three pages.
set -- "$seeds"/*.txt
[ $# -eq 3 ] || fail "expected 3 seed pages, found $#"
check seeds "$@"
[ -s "$tmp/seeds.out" ] || fail "seeds: no cluster"
check seeds_tsv --format tsv "$@"
check seeds_json --format json "$@"
check seeds_copy --level copy "$@"
check seeds_copy_json --level copy --format json --all "$@"
check seeds_all --all --format tsv "$@"
check seeds_null -0 --all --level copy "$@"

# A generated corpus: a few hundred pages, near copies among them.
"$gen" --seeds "$seeds" --n 300 --dir "$tmp/gen" --seed 7 --quiet \
  >/dev/null 2>&1 || fail "dedup-gen failed"
check gen -r "$tmp/gen"
[ -s "$tmp/gen.out" ] || fail "gen: no cluster"
check gen_copy -r --level copy --format json "$tmp/gen"
check gen_split -r --split-embedded --format tsv --all "$tmp/gen"
# A crowd (more exact copies of one page than a bucket pairs in full,
# linked to their first: pass 4's crowd stage) beside the generated
# pages, at the copy level, where pass 4 is spread over the ranks.
mkdir "$tmp/crowd"
for i in $(seq 10 89); do cp "$seeds/000_3531e110f07c031f.txt" "$tmp/crowd/c$i.txt"; done
check crowd_copy -r --level copy --format json --all "$tmp/crowd" "$tmp/gen"
check crowd_story -r --format json --all "$tmp/crowd" "$tmp/gen"
for np in 1 2 3; do
  DEDUP_MPI_PASS4=spread run_mpi crowd_story_spread "$np" -r --format json \
    --all "$tmp/crowd" "$tmp/gen"
  cmp -s "$tmp/crowd_story.out" "$tmp/crowd_story_spread.out" ||
    fail "crowd_story: $np ranks spread print other output"
done
grep -q '"size":8[0-9]' "$tmp/crowd_copy.out" || fail "crowd: no copy group of the crowd"
DEDUP_MPI_CHUNK=1000 run_mpi crowd_chunk 3 -r --level copy --format json \
  --all "$tmp/crowd" "$tmp/gen"
cmp -s "$tmp/crowd_copy.out" "$tmp/crowd_chunk.out" ||
  fail "crowd: other output with DEDUP_MPI_CHUNK=1000"
# Every exchange and gather in rounds of 1000 bytes (a buffer over
# INT_MAX bytes goes the same way, in rounds of 64 MiB).
DEDUP_MPI_CHUNK=1000 run_mpi gen_chunk 3 -r "$tmp/gen"
cmp -s "$tmp/gen.out" "$tmp/gen_chunk.out" ||
  fail "gen: other output with DEDUP_MPI_CHUNK=1000"
# Pass 4 spread over the ranks or gathered on rank 0 (DEDUP_MPI_PASS4)
# prints the same at both levels.
for mode in spread gather; do
  DEDUP_MPI_PASS4=$mode run_mpi gen_$mode 3 -r "$tmp/gen"
  cmp -s "$tmp/gen.out" "$tmp/gen_$mode.out" ||
    fail "gen: other output with DEDUP_MPI_PASS4=$mode"
  DEDUP_MPI_PASS4=$mode run_mpi gen_copy_$mode 3 -r --level copy \
    --format json "$tmp/gen"
  cmp -s "$tmp/gen_copy.out" "$tmp/gen_copy_$mode.out" ||
    fail "gen_copy: other output with DEDUP_MPI_PASS4=$mode"
done
DEDUP_MPI_PASS4=bogus run_mpi gen_bogus 2 -r "$tmp/gen"
[ "$(cat "$tmp/gen_bogus.rc")" = 2 ] || fail "DEDUP_MPI_PASS4=bogus: not exit 2"

# JSON Lines: titles and dates, one undated, a malformed line, an id seen
# before, an empty text (refused by the rank that owns it).
{
  i=0
  for f in "$seeds"/*.txt "$tmp"/gen/*; do
    i=$((i + 1))
    [ $i -le 40 ] || break
    # The page as one JSON string: \ and " escaped, lines joined by \n.
    text=$(sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/ /g' "$f" |
      tr -d '\r\000-\010\013\014\016-\037' | awk '{printf "%s\\n", $0}')
    case $i in
    5) date='' ;;
    *) date=",\"date\":\"2024-03-$(printf %02d $((i % 28 + 1)))\"" ;;
    esac
    printf '{"id":"doc%d","title":"Title %d","text":"%s"%s}\n' \
      "$i" "$i" "$text" "$date"
    [ $i -ne 7 ] || echo '{"id":"broken", "text": '
    [ $i -ne 9 ] || printf '{"id":"doc3","text":"again"}\n'
    [ $i -ne 11 ] || printf '{"id":"empty","text":""}\n'
  done
} >"$tmp/docs.jsonl"
check jsonl --jsonl "$tmp/docs.jsonl"
grep -q 'already seen' "$tmp/jsonl.err" || fail "jsonl: no repeated id"
grep -q 'no usable date' "$tmp/jsonl.err" || fail "jsonl: no undated"
[ "$(cat "$tmp/jsonl.rc")" -eq 1 ] || fail "jsonl: status not 1"
check jsonl_tsv --jsonl "$tmp/docs.jsonl" --format tsv --all --level copy
# --jsonl -: rank 0's standard input, read by every rank.
cp "$tmp/docs.jsonl" "$tmp/stdin"
check jsonl_stdin --jsonl - --format tsv --all --level copy
cmp -s "$tmp/jsonl_tsv.out" "$tmp/jsonl_stdin.out" ||
  fail "--jsonl -: other output than --jsonl FILE"
gzip -c "$tmp/docs.jsonl" >"$tmp/stdin"
check jsonl_gz --jsonl - --format tsv --all --level copy
cmp -s "$tmp/jsonl_tsv.out" "$tmp/jsonl_gz.out" ||
  fail "--jsonl - (gzip): other output than --jsonl FILE"

# JSON Lines split by bytes: each rank parses the lines that start in its
# share of a plain file.  jtext FILE: the page as one JSON string.
jtext() {
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/ /g' "$1" |
    tr -d '\r\000-\010\013\014\016-\037' | awk '{printf "%s\\n", $0}'
}
# Every generated page a line (every rank gets lines), and across the
# ranks' ranges: an id on line 2 and on the last line, one three times, a
# malformed line in the middle, lines without a date, unknown languages.
{
  i=0
  for f in "$tmp"/gen/*; do
    i=$((i + 1))
    case $i in
    2) id=twice ;;
    60 | 150 | 290) id=thrice ;;
    *) id=g$i ;;
    esac
    date=",\"date\":\"2024-05-$(printf %02d $((i % 28 + 1)))\""
    [ $((i % 23)) -ne 7 ] || date=''
    lang=''
    [ $((i % 70)) -ne 33 ] || lang=',"lang":"klingon"'
    printf '{"id":"%s","title":"Page %d","text":"%s"%s%s}\n' \
      "$id" "$i" "$(jtext "$f")" "$date" "$lang"
    [ $i -ne 151 ] || echo '{"id":"broken", "text": "no end'
  done
  printf '{"id":"twice","text":"%s"}\n' "$(jtext "$seeds/000_3531e110f07c031f.txt")"
} >"$tmp/many.jsonl"
[ "$(wc -l <"$tmp/many.jsonl")" -gt 300 ] || fail "many.jsonl: too short"
check jsonl_many --jsonl "$tmp/many.jsonl" --format tsv --all
[ "$(grep -c 'already seen' "$tmp/jsonl_many.err")" -eq 3 ] ||
  fail "jsonl_many: not 3 repeated ids"
grep -q ':302: id twice already seen at line 2;' "$tmp/jsonl_many.err" ||
  fail "jsonl_many: line 302 does not repeat line 2"
grep -q ':152: malformed JSON' "$tmp/jsonl_many.err" ||
  fail "jsonl_many: no malformed line 152"
grep -q 'no usable date (first: line 7)' "$tmp/jsonl_many.err" ||
  fail "jsonl_many: no undated summary"
grep -q 'does not know.*(first: line 33)' "$tmp/jsonl_many.err" ||
  fail "jsonl_many: no unknown-language summary"
# Each line parsed once over the ranks (DEDUP_MPI_REPORT sums them; a
# compressed file is parsed by every rank).
DEDUP_MPI_REPORT=$tmp/report run_mpi jsonl_report 3 --jsonl "$tmp/many.jsonl"
grep -q 'jsonl lines parsed 302$' "$tmp/report" ||
  fail "many.jsonl: not 302 lines parsed on 3 ranks: $(cat "$tmp/report")"
# Several inputs, file after file: ids of the second repeat the first's,
# the third (gzip: read whole by every rank) repeats the second's; the
# second ends without a newline.
{
  printf '{"id":"g5","text":"again in the second file"}\n'
  i=0
  for f in "$seeds"/*.txt "$tmp"/gen/doc000001[0-4].txt; do
    i=$((i + 1))
    printf '{"id":"s%d","text":"%s"}\n' "$i" "$(jtext "$f")"
  done
  printf '{"id":"thrice","text":"a fourth time"}\n'
  printf '{"id":"s2","date":"2024-01-02","text":"%s"}' \
    "$(jtext "$seeds/001_555ed024e9d771e5.txt")"
} >"$tmp/second.jsonl"
{
  printf '{"id":"s3","text":"third file"}\n'
  printf '{"id":"t1","text":"%s"}\n' "$(jtext "$tmp/gen/doc0000010.txt")"
} | gzip -c >"$tmp/third.jsonl.gz"
check jsonl_files --jsonl "$tmp/many.jsonl" --jsonl "$tmp/second.jsonl" \
  --jsonl "$tmp/third.jsonl.gz" --format tsv --all
grep -q 'second.jsonl:1: id g5 already seen at .*many.jsonl:5;' \
  "$tmp/jsonl_files.err" || fail "jsonl_files: g5 not seen in the first"
grep -q 'third.jsonl.gz:1: id s3 already seen at .*second.jsonl:4;' \
  "$tmp/jsonl_files.err" || fail "jsonl_files: s3 not seen in the second"
DEDUP_MPI_REPORT=$tmp/report run_mpi jsonl_report 3 \
  --jsonl "$tmp/third.jsonl.gz"
grep -q 'jsonl lines parsed 6$' "$tmp/report" ||
  fail "third.jsonl.gz: not 2 lines on each of 3 ranks: $(cat "$tmp/report")"
# A line of 100 KB in the middle of a small file: every range boundary
# of 2 and 3 ranks falls inside it (with 3, rank 1 has no line start).
{
  for i in 1 2 3; do
    printf '{"id":"short%d","text":"%s"}\n' "$i" \
      "$(jtext "$tmp/gen/doc000002$i.txt")"
  done
  printf '{"id":"long","date":"2024-02-03","text":"'
  k=0
  while [ $k -lt 200 ]; do
    printf 'word%d and some more words to make a very long line. ' $k
    printf 'padding padding padding padding padding padding padding. '
    printf 'padding padding padding padding padding padding padding. '
    printf 'padding padding padding padding padding padding padding. '
    printf 'padding padding padding padding padding padding padding. '
    printf 'padding padding padding padding padding padding padding. '
    printf 'padding padding padding padding padding padding padding. '
    printf 'padding padding padding padding padding padding padding.\\n'
    k=$((k + 1))
  done
  printf '"}\n'
  printf '{"id":"short1","text":"the first id again"}\n'
  printf '{"id":"after","text":"%s"}\n' "$(jtext "$tmp/gen/doc0000030.txt")"
  printf 'not json\n'
} >"$tmp/long.jsonl"
[ "$(wc -c <"$tmp/long.jsonl")" -gt 100000 ] || fail "long.jsonl: short"
check jsonl_long --jsonl "$tmp/long.jsonl" --format tsv --all
DEDUP_MPI_REPORT=$tmp/report run_mpi jsonl_report 3 --jsonl "$tmp/long.jsonl"
grep -q 'jsonl lines parsed 7$' "$tmp/report" ||
  fail "long.jsonl: not 7 lines parsed on 3 ranks: $(cat "$tmp/report")"
grep -q ':5: id short1 already seen at line 1;' "$tmp/jsonl_long.err" ||
  fail "jsonl_long: line 5 does not repeat line 1"
grep -q ':7: malformed JSON' "$tmp/jsonl_long.err" ||
  fail "jsonl_long: no malformed line 7"
# An empty file (no lines at all), alone and between others; a file of
# one line without a newline, shorter than 3 bytes a rank.
: >"$tmp/empty.jsonl"
check jsonl_empty --jsonl "$tmp/empty.jsonl"
printf '{"id":"x","text":"one line, no newline"}' >"$tmp/oneline.jsonl"
check jsonl_mixed --jsonl "$tmp/oneline.jsonl" --jsonl "$tmp/empty.jsonl" \
  --jsonl "$tmp/long.jsonl" --format tsv --all
printf '{}' >"$tmp/tiny.jsonl"
check jsonl_tiny --jsonl "$tmp/tiny.jsonl"

# A list of paths on standard input ('-'), with operands too.
printf '%s\n' "$seeds"/*.txt >"$tmp/stdin"
printf '%s\n' "$tmp"/gen/* | head -60 >>"$tmp/stdin"
check list - --format tsv
printf '%s\0' "$seeds"/*.txt >"$tmp/stdin"
check list0 -0 - "$tmp/gen/doc0000000.txt"
: >"$tmp/stdin"

# Inputs that are refused: said once, by the rank that reads them (or by
# rank 0 for the walk), the rest clustered, status 1.
mkdir "$tmp/bad" "$tmp/bad/dir"
mkfifo "$tmp/bad/fifo"
ln -s . "$tmp/bad/loop"
printf 'ELF\000\001\002\003binary\000data\000' >"$tmp/bad/binary"
: >"$tmp/bad/empty"
printf 'Caf\351 au lait, \377 bytes that are not UTF-8 in a page of words\n' \
  >"$tmp/bad/latin1.txt"
check bad "$@" "$tmp/bad/fifo" "$tmp/bad/dir" "$tmp/bad/binary" \
  "$tmp/bad/empty" "$tmp/bad/missing" "$tmp/bad/latin1.txt"
[ "$(cat "$tmp/bad.rc")" -eq 1 ] || fail "bad: status not 1"
grep -q 'invalid UTF-8' "$tmp/bad.err" || fail "bad: no invalid UTF-8"
check bad_walk -r "$tmp/bad" "$@"
grep -q 'symbolic link to a directory' "$tmp/bad_walk.err" ||
  fail "bad_walk: no loop"
check nothing "$tmp/bad/empty"

# What the passes cannot serve yet: refused before any work.
for opt in "--save $tmp/ix" "--load $tmp/ix" "--explain $1 $2" \
  "--index $tmp/svc"; do
  # shellcheck disable=SC2086 # the option and its value
  run_mpi refused 2 $opt "$@"
  [ "$(cat "$tmp/refused.rc")" -eq 2 ] ||
    fail "$opt: exit $(cat "$tmp/refused.rc"), expected 2"
  [ ! -s "$tmp/refused.out" ] || fail "$opt: output"
  [ "$(grep -c 'is not supported (yet) with MPI' "$tmp/refused.err")" -eq 1 ] ||
    fail "$opt: not refused once: $(cat "$tmp/refused.err")"
done
if [ -e "$tmp/ix" ] || [ -e "$tmp/svc" ]; then fail "refused: a file written"; fi
check usage --threshold 7 "$@"
[ "$(cat "$tmp/usage.rc")" -eq 2 ] || fail "usage: status not 2"

# A failure on one rank (as out of memory, DEDUP_MPI_FAIL_RANK) ends
# every rank at once with status 3, said by that rank, no output.
DEDUP_MPI_FAIL_RANK=1 run_mpi fault 3 "$@"
[ "$(cat "$tmp/fault.rc")" -eq 3 ] || fail "fault: exit $(cat "$tmp/fault.rc")"
[ ! -s "$tmp/fault.out" ] || fail "fault: output"
[ "$(grep -c '^dedup-cluster-mpi: rank 1: out of memory (pass 3' \
  "$tmp/fault.err")" -eq 1 ] || fail "fault: $(cat "$tmp/fault.err")"

# A rank killed (SIGKILL, DEDUP_MPI_KILL_RANK) while the others wait for
# it: mpirun ends them all, with a status that is not 0 and no output.
DEDUP_MPI_KILL_RANK=1 run_mpi killed 3 "$@"
[ "$(cat "$tmp/killed.rc")" -ne 0 ] || fail "killed: exit 0"
[ ! -s "$tmp/killed.out" ] || fail "killed: output"

# --help and --version name the program, once.
run_mpi help 2 --help
grep -q '^Usage: dedup-cluster-mpi ' "$tmp/help.out" || fail "--help"
[ "$(grep -c '^Usage:' "$tmp/help.out")" -eq 1 ] || fail "--help twice"
run_mpi version 2 --version
grep -qx 'dedup-cluster-mpi [0-9.]*' "$tmp/version.out" || fail "--version"
echo "ok: dedup-cluster-mpi on 1-3 ranks is dedup-cluster"
