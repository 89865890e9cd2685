#!/bin/sh
# cli_edge_cases.sh - dedup-cluster's options, odd files and odd output
# (issue 16): each case failed before its fix.
#
#   sh cli_edge_cases.sh DEDUP_CLUSTER MAXRSS BUILD_DIR [MAKE_COPY_ONLY]
#
# Seeds: $DEDUP_SEEDS.  Scratch files live under BUILD_DIR and are removed.
set -eu
export LC_ALL=C
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
cli=$(abs "$1")
maxrss=$(abs "$2")
work=$(abs "$(mktemp -d "$3/cli-edge.XXXXXX")")
mkcopyonly=${4:+$(abs "$4")}
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
seeds=${DEDUP_SEEDS:?DEDUP_SEEDS must point to seeds/}
cd "$work"
set -- "$seeds"/*.txt
[ $# -eq 3 ] || { echo "FAIL: expected 3 seed pages, found $#"; exit 1; }
s1=$1 s2=$2 s3=$3
cp "$s1" "$s2" "$s3" "$work/"
b1=$work/$(basename "$s1") b2=$work/$(basename "$s2")
b3=$work/$(basename "$s3")

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# run NAME ARGS...: stdout NAME.out, stderr NAME.err, status $rc
run() {
  n=$1
  shift
  rc=0
  "$cli" "$@" >"$work/$n.out" 2>"$work/$n.err" || rc=$?
}
expect_rc() { # expect_rc NAME WANT
  [ "$rc" -eq "$2" ] || fail "$1: exit $rc, want $2: $(head -c 400 "$work/$1.err")"
}
err_has() { # err_has NAME TEXT
  grep -qF -- "$2" "$work/$1.err" ||
    fail "$1: stderr lacks '$2': $(head -c 400 "$work/$1.err")"
}
out_is() { # out_is NAME FILE: stdout byte-identical to FILE
  cmp -s "$work/$1.out" "$2" || fail "$1: output differs from $2:
$(head -c 400 "$work/$1.out")"
}

# The reference output: the three seeds are one story.
run ref "$b1" "$b2" "$b3"
expect_rc ref 0
printf '%s %s %s\n' "$b1" "$b2" "$b3" >"$work/want_ref"
out_is ref "$work/want_ref"

# ---- 7: numbers are decimal, whole and in range -------------------------
run seed_dec --seed 10 --format json "$b1" "$b2" "$b3"
run seed_oct --seed 010 --format json "$b1" "$b2" "$b3"
expect_rc seed_oct 0
out_is seed_oct "$work/seed_dec.out" # 010 is ten, not eight
for bad in "--seed -1" "--seed 0x10" "--seed 1x" "--seed ''" \
  "--seed 18446744073709551616" "--seed ' 7'" "--seed +7" \
  "--threads -1" "--threads 1025" "--threads 0x2" "--perms 0" \
  "--perms 08x" "--shingle 65" "--shingle -5" "--threshold nan" \
  "--threshold inf" "--threshold 0" "--threshold 1.5" "--threshold 0x1p-1" \
  "--threshold ' 0.5'" "--story-threshold -0.3" "--story-threshold 0.3x"; do
  eval "run num $bad \"\$b1\""
  expect_rc num 2
  [ -s "$work/num.out" ] && fail "$bad: printed output"
  grep -q "Try 'dedup-cluster --help'" "$work/num.err" ||
    fail "$bad: no usage hint: $(cat "$work/num.err")"
done

# ---- 8: one value per option ------------------------------------------
run save_ok --save "$work/a.idx" "$b1" "$b2"
expect_rc save_ok 0
run load2 --load "$work/a.idx" --load "$work/b.idx" "$b3"
expect_rc load2 2
err_has load2 "--load given twice"
[ -s "$work/load2.out" ] && fail "load2: printed output"
run save2 --save "$work/c.idx" --save "$work/d.idx" "$b1"
expect_rc save2 2
err_has save2 "--save given twice"
[ -e "$work/c.idx" ] || [ -e "$work/d.idx" ] && fail "save2: saved anyway"
run fmt2 --format json --format tsv "$b1"
expect_rc fmt2 2
run fmt_same --format tsv --format tsv "$b1" "$b2" "$b3" # same value: fine
expect_rc fmt_same 0

# ---- 10: options anywhere, --opt=value, bundles, --, suggestions -----
mkdir "$work/dir"
cp "$b1" "$b2" "$b3" "$work/dir/"
run late -q -r "$work/dir" --save "$work/late.idx" --format tsv
expect_rc late 0
[ -s "$work/late.idx" ] || fail "late: options after a file: no index saved"
grep -q "^0	$work/dir/" "$work/late.out" ||
  fail "late: not tsv: $(head -c 300 "$work/late.out")"
# An empty directory walked: nothing to sort (qsort of NULL, UBSan).
mkdir "$work/emptydir"
run emptydir -r "$work/emptydir" "$b1"
expect_rc emptydir 0
run bundle -rq --format=tsv "$work/dir"
expect_rc bundle 0
out_is bundle "$work/late.out"
run dashdash --format tsv -- "$work/dir/$(basename "$b1")" \
  "$work/dir/$(basename "$b2")" "$work/dir/$(basename "$b3")"
expect_rc dashdash 0
out_is dashdash "$work/late.out"
cp "$b1" "$work/-q"
run dashfile -- -q "$b2"
expect_rc dashfile 0 # "-q" after -- is a file
run typo --fromat json "$b1"
expect_rc typo 2
err_has typo "unknown option '--fromat'; did you mean '--format'?"
run typo2 "$b1" --treshold=0.6
expect_rc typo2 2
err_has typo2 "unknown option '--treshold'; did you mean '--threshold'?"
run unknown --zzzzzzzz "$b1"
expect_rc unknown 2
err_has unknown "unknown option '--zzzzzzzz'"
run needval "$b1" --level
expect_rc needval 2
err_has needval "option '--level' needs a value"
# --explain A B keeps its documented form, anywhere on the line.
run ex_ref --explain "$b1" "$b2" "$b1" "$b2" "$b3"
expect_rc ex_ref 0
grep -q "^A  $b1 " "$work/ex_ref.out" || fail "explain: $(head -2 "$work/ex_ref.out")"
run ex_late "$b3" --explain "$b1" "$b2" "$b1" "$b2"
expect_rc ex_late 0
out_is ex_late "$work/ex_ref.out"
run ex_eq "$b1" "$b2" "$b3" --explain="$b1" "$b2"
expect_rc ex_eq 0
out_is ex_eq "$work/ex_ref.out"
run ex_one --explain "$b1" --all
expect_rc ex_one 2
err_has ex_one "--explain needs two files"

# ---- 1: -r does not follow symbolic links to directories --------------
# A self-link used to add every file 41 times (until ELOOP); two of them
# grew memory without bound.  A link to a file is still read.
mkdir "$work/loop"
cp "$b1" "$b2" "$b3" "$work/loop/"
ln -s . "$work/loop/self"
ln -s "$b1" "$work/loop/zlink.txt"
run loop -r --all --format tsv "$work/loop"
expect_rc loop 0
n=$(wc -l <"$work/loop.out")
[ "$n" -eq 4 ] || fail "loop: $n items listed, want 4 (3 files and zlink.txt)"
err_has loop "loop/self: symbolic link to a directory, not followed"
grep -q "self/" "$work/loop.out" && fail "loop: walked into the self-link"
run loop_q -q -r --all --format tsv "$work/loop"
[ -s "$work/loop_q.err" ] && fail "loop_q: -q still warned"
# Named on the command line, a link to a directory is followed.
ln -s "$work/dir" "$work/dirlink"
run dirlink -r --format tsv "$work/dirlink"
expect_rc dirlink 0
grep -q "dirlink/$(basename "$b1")" "$work/dirlink.out" ||
  fail "dirlink: a directory link named as FILE was not walked"

# ---- 2: FIFOs and devices are refused, never opened blocking -------------
command -v timeout >/dev/null || { echo "timeout(1) missing"; exit 1; }
mkfifo "$work/fifo"
rc=0
timeout 60 "$cli" "$work/fifo" "$b1" "$b2" "$b3" >"$work/fifo.out" \
  2>"$work/fifo.err" || rc=$?
expect_rc fifo 1 # 124: it hung on open
err_has fifo "fifo: a FIFO, not a regular file; skipped"
out_is fifo "$work/want_ref"
run devzero /dev/zero "$b1" "$b2" "$b3"
expect_rc devzero 1
err_has devzero "/dev/zero: a character device, not a regular file; skipped"
out_is devzero "$work/want_ref"

# ---- 3: a file over the limit is refused before it is read -------------
# 3 GB, sparse: it used to be read whole (3.1 GB of memory, 19 s).
if truncate -s 3G "$work/huge.txt" 2>/dev/null; then
  rc=0
  "$maxrss" "$work/rss" "$cli" "$work/huge.txt" "$b1" "$b2" "$b3" \
    >"$work/huge.out" 2>"$work/huge.err" || rc=$?
  expect_rc huge 1
  err_has huge "huge.txt: larger than 2 GiB (the limit); skipped"
  out_is huge "$work/want_ref"
  kb=$(cat "$work/rss")
  echo "3 GB sparse file: peak RSS $kb KiB"
  [ "$kb" -lt 262144 ] || fail "huge: peak RSS $kb KiB: the file was read"
  rm -f "$work/huge.txt"
else
  echo "no sparse files here: 3 GB case skipped"
fi

# ---- 2: --load of a FIFO is refused (exit 4), not waited on ----------
rc=0
timeout 60 "$cli" --load "$work/fifo" "$b1" >"$work/load_fifo.out" \
  2>"$work/load_fifo.err" || rc=$?
expect_rc load_fifo 4
err_has load_fifo "fifo: index refused: a FIFO, not a regular file"
[ -s "$work/load_fifo.out" ] && fail "load_fifo: printed output"

# ---- 4: --save never replaces what is not a regular file -----------------
# Checked first, so nothing is clustered for nothing: exit 1 at once.
cp "$work/a.idx" "$work/keep.idx"
ln -s keep.idx "$work/link.idx"
# A device node of our own, not /dev/null: a build without the fix would
# replace whatever device it is given.
targets="$work/fifo $work/link.idx"
if mknod "$work/nulldev" c 1 3 2>/dev/null; then
  targets="$targets $work/nulldev"
else
  echo "mknod not permitted: device case skipped (FIFO and link run)"
fi
for t in $targets; do
  run save_bad --save "$t" "$b1" "$b2" "$b3"
  expect_rc save_bad 1
  err_has save_bad "$t: index not saved: "
  err_has save_bad "not a regular file"
  [ -s "$work/save_bad.out" ] && fail "save $t: clustered anyway"
done
[ -e "$work/nulldev" ] && { [ -c "$work/nulldev" ] ||
  fail "the device node was replaced"; }
[ -p "$work/fifo" ] || fail "the FIFO was replaced"
[ -L "$work/link.idx" ] || fail "the symbolic link was replaced"
cmp -s "$work/keep.idx" "$work/a.idx" || fail "the link's target changed"

# ---- 5: a closed stdout or a size limit loses no index, and says so -------
# Output well over a pipe's buffer, so the writer surely meets a closed
# pipe once head has its line: SIGPIPE used to kill it before the save.
mkdir "$work/many"
awk -v dir="$work/many" 'BEGIN {
  for (i = 0; i < 3000; i++) {
    f = sprintf("%s/page-%04d-with-a-rather-long-name-to-fill-the-pipe-%s.txt",
                dir, i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    printf "Item %d of the list, about number %d and %d.\n", i, i * 7, i * 13 > f
    close(f)
  }
}'
{
  rc=0
  "$cli" -q --all --format tsv --save "$work/pipe.idx" -r "$work/many" ||
    rc=$?
  echo "$rc" >"$work/pipe.rc"
} 2>"$work/pipe.err" | head -n 1 >"$work/pipe.out"
rc=$(cat "$work/pipe.rc")
expect_rc pipe 1
err_has pipe "standard output: write error: Broken pipe"
[ -s "$work/pipe.out" ] || fail "pipe: head got nothing"
run pipe_load --load "$work/pipe.idx" --all --format tsv
expect_rc pipe_load 0
n=$(wc -l <"$work/pipe_load.out")
[ "$n" -eq 3000 ] || fail "pipe: the saved index holds $n items, want 3000"
rm -rf "$work/many"
# A file size limit: SIGXFSZ (default: die) used to kill the process.
cp "$work/a.idx" "$work/limit.idx"
rc=0
(
  ulimit -f 1
  exec "$cli" --load "$work/limit.idx" --save "$work/limit.idx" "$b3"
) >"$work/limit.out" 2>"$work/limit.err" || rc=$?
expect_rc limit 1
err_has limit "limit.idx: index not saved: input/output error: File too large"
out_is limit "$work/want_ref"
cmp -s "$work/limit.idx" "$work/a.idx" || fail "limit: the old index changed"
ls "$work" | grep -q 'limit.idx.tmp' && fail "limit: temporary file left"

# ---- 6: temporary files of dead saves are removed, live ones kept -------
dead=$(sh -c 'echo $$')
wait 2>/dev/null || true
kill -0 "$dead" 2>/dev/null && fail "pid $dead still alive"
mkdir "$work/tmps"
for f in "t.idx.tmp.$dead.0" "t.idx.tmp.$dead.17" "t.idx.tmp.$$.0" \
  "t.idx.tmp.$dead.0x" "t.idx.tmp.$dead" "other.idx.tmp.$dead.0" \
  "t.idx.tmp.1$dead.2.3"; do
  echo junk >"$work/tmps/$f"
done
run stale --save "$work/tmps/t.idx" "$b1" "$b2"
expect_rc stale 0
for f in "t.idx.tmp.$dead.0" "t.idx.tmp.$dead.17"; do
  [ -e "$work/tmps/$f" ] && fail "stale: $f (dead pid) not removed"
done
for f in "t.idx.tmp.$$.0" "t.idx.tmp.$dead.0x" "t.idx.tmp.$dead" \
  "other.idx.tmp.$dead.0" "t.idx.tmp.1$dead.2.3"; do
  [ -e "$work/tmps/$f" ] || fail "stale: $f removed (live pid or not a temp)"
done
[ -s "$work/tmps/t.idx" ] || fail "stale: no index"

# ---- 11: names with newlines, tabs, backslashes, bytes that are not UTF-8
mkdir "$work/names"
cd "$work/names"
nl='
'
tab=$(printf '\t')
bad=$(printf 'bad\377\300x.txt')
for f in "new${nl}line.txt" "tab${tab}here.txt" 'back\slash.txt' "$bad" \
  "$(printf '\303\251 ok.txt')"; do
  cp "$b1" "./$f"
done
# text and tsv: C-style escapes, one cluster a line / one item a line
run esc_text --level copy ./*
expect_rc esc_text 0
printf './back\\\\slash.txt ./bad\377\300x.txt ./new\\nline.txt ./tab\\there.txt ./\303\251 ok.txt\n' \
  >"$work/want_esc_text"
out_is esc_text "$work/want_esc_text"
run esc_tsv --level copy --format tsv ./*
printf '0\t./back\\\\slash.txt\n0\t./bad\377\300x.txt\n0\t./new\\nline.txt\n0\t./tab\\there.txt\n0\t./\303\251 ok.txt\n' \
  >"$work/want_esc_tsv"
out_is esc_tsv "$work/want_esc_tsv"
# json: control bytes as \u00XX, each byte that is not UTF-8 as \u00XX of
# its value, valid UTF-8 as it is: valid JSON, and the bytes recoverable.
run esc_json --level copy --format json ./*
printf '"members":["./back\\\\slash.txt","./bad\\u00ff\\u00c0x.txt","./new\\u000aline.txt","./tab\\u0009here.txt","./\303\251 ok.txt"]' \
  >"$work/want_members"
grep -qF -- "$(cat "$work/want_members")" "$work/esc_json.out" ||
  fail "esc_json: members not escaped as documented: $(cat "$work/esc_json.out")"
if command -v python3 >/dev/null; then
  python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    json.loads(line)' "$work/esc_json.out" ||
    fail "esc_json: not valid JSON (UTF-8)"
fi
# -0: NUL after each name, one more NUL after each cluster; tsv: each
# "ID<TAB>NAME" NUL-terminated; names unescaped.  And a NUL-separated
# list on stdin.
run nul_text --level copy -0 ./*
printf './back\\slash.txt\000./bad\377\300x.txt\000./new\nline.txt\000./tab\there.txt\000./\303\251 ok.txt\000\000' \
  >"$work/want_nul_text"
out_is nul_text "$work/want_nul_text"
rc=0
printf './%s\000' * | "$cli" --level copy --null --format tsv - \
  >"$work/nul_tsv.out" 2>"$work/nul_tsv.err" || rc=$?
expect_rc nul_tsv 0
printf '0\t./back\\slash.txt\0000\t./bad\377\300x.txt\0000\t./new\nline.txt\0000\t./tab\there.txt\0000\t./\303\251 ok.txt\000' \
  >"$work/want_nul_tsv"
out_is nul_tsv "$work/want_nul_tsv"
# A NUL-separated list without -0 was cut at the first NUL of each line
# (fuzz_cli found a name left ending in CR): refused, nothing clustered.
rc=0
printf './%s\000' * | "$cli" --level copy - >"$work/nul_nonul.out" \
  2>"$work/nul_nonul.err" || rc=$?
expect_rc nul_nonul 2
err_has nul_nonul "the list of paths holds a NUL byte"
[ -s "$work/nul_nonul.out" ] && fail "nul_nonul: printed output"
cd "$work"

# ---- 9: an index saved copy-only lists no copy clusters as stories -------
# 0.1 saved "copy level only" (a run option) in the index, and a --load
# then listed the copy clusters as stories.  Now levels are never saved:
# such an index gives the stories a plain run gives.
if [ -n "$mkcopyonly" ]; then
  "$mkcopyonly" "$work/co.idx" "$b1" "$b2" "$b3" ||
    fail "make_copy_only failed"
  run co_story --load "$work/co.idx" --all --format json
  expect_rc co_story 0
  run plain_story --all --format json "$b1" "$b2" "$b3"
  out_is co_story "$work/plain_story.out"
  grep -q '"level":"story"' "$work/co_story.out" ||
    fail "co_story: no story clusters"
  run co_copy --load "$work/co.idx" --all --format tsv --level copy
  expect_rc co_copy 0
  run plain_copy --all --format tsv --level copy "$b1" "$b2" "$b3"
  out_is co_copy "$work/plain_copy.out"
else
  echo "no make_copy_only given: copy-only index case skipped"
fi

# ---- 12: nothing clustered is said on stderr, not silent ---------------
run none_copy --level copy "$b1" "$b2" "$b3"
expect_rc none_copy 0
[ -s "$work/none_copy.out" ] && fail "none_copy: the seeds are not copies"
err_has none_copy "no two of the 3 items are copies (--level copy); 0 clusters of 2+"
run none_q -q --level copy "$b1" "$b2" "$b3"
[ -s "$work/none_q.err" ] && fail "none_q: -q still said it"
run some_story "$b1" "$b2" "$b3"
[ -s "$work/some_story.err" ] && fail "some_story: said something: $(cat "$work/some_story.err")"

# ---- 13: --explain says what its IDF counted, and aligns words by width ---
mkdir "$work/de"
u=$(printf '\303\274') o=$(printf '\303\266') a=$(printf '\303\244')
ss=$(printf '\303\237') # u o a umlauts and sharp s, as UTF-8
cat >"$work/de/a.txt" <<EOF
Der B${u}rgermeister von Z${u}rich er${o}ffnete gestern die neue Stra${ss}enbahn.

Die Z${u}rcher Stra${ss}enbahn f${a}hrt ab Montag durch die Altstadt. Der
B${u}rgermeister sagte, Z${u}rich brauche mehr Stra${ss}enbahnen. Viele B${u}rger
in Z${u}rich begr${u}${ss}ten die Stra${ss}enbahn.
EOF
cat >"$work/de/b.txt" <<EOF
Z${u}rich hat eine neue Stra${ss}enbahn: Der B${u}rgermeister weihte sie ein.

Ab Montag rollt die Stra${ss}enbahn durch Z${u}rich. Anwohner lobten den
B${u}rgermeister, andere kritisierten die Kosten der Stra${ss}enbahn f${u}r
Z${u}rich.
EOF
cp "$b3" "$work/de/c.txt"
run ex_de --explain "$work/de/a.txt" "$work/de/b.txt" "$work/de/c.txt"
expect_rc ex_de 0
run none_story "$work/de/a.txt" "$b1"
expect_rc none_story 0
err_has none_story "no two of the 2 items tell the same story; 0 clusters of 2+"
grep -q "IDF from this run's corpus: 3 copy groups (of 3 items)" \
  "$work/ex_de.out" || fail "ex_de: no IDF corpus size: $(cat "$work/ex_de.out")"
# "Zürich" is 6 cells and 7 bytes: padded to 20 cells, then one space.
zl="    Z${u}rich               0."
grep -qF -- "$zl" "$work/ex_de.out" ||
  fail "ex_de: Zürich not padded by display width: $(grep -F "rich " "$work/ex_de.out")"
run ex_de_json --format json --explain "$work/de/a.txt" "$work/de/b.txt" \
  "$work/de/c.txt"
grep -q '"copy_groups":3,"items":3' "$work/ex_de_json.out" ||
  fail "ex_de_json: no corpus size"
run ex_de2 --explain "$work/de/a.txt" "$work/de/b.txt"
grep -q "IDF from this run's corpus: 2 copy groups (of 2 items)" \
  "$work/ex_de2.out" || fail "ex_de2: IDF corpus size not 2"

# ---- --show-text: what the run kept of A and B ---------------------------
mkdir -p "$work/kt"
art="The harbour council approved the new bridge budget on Monday after a long public meeting about river traffic and the old ferry service that runs each hour."
for i in 1 2 3; do
  printf 'Home | World | Sport | Weather | Contact us\n\n%s Item %s.\n\nCopyright 2026 The Daily Example.\n' \
    "$art $art" "$i" >"$work/kt/p$i.txt"
done
run kt --explain "$work/kt/p1.txt" "$work/kt/p2.txt" --show-text "$work/kt/p3.txt"
expect_rc kt 0
grep -q "^Text kept of A ($work/kt/p1.txt), after page cleaning:" \
  "$work/kt.out" || fail "kt: no kept text of A"
grep -q "Item 2\.$" "$work/kt.out" || fail "kt: B's article not shown"
sed -n '/^Text kept of A/,$p' "$work/kt.out" | grep -q "Weather" &&
  fail "kt: the menu every page carries is shown as kept"
run kt_json --format json --explain "$work/kt/p1.txt" "$work/kt/p2.txt" \
  --show-text "$work/kt/p3.txt"
grep -q '"kept_text":{"a":"The harbour' "$work/kt_json.out" ||
  fail "kt_json: no kept_text"
run kt_alone --show-text "$work/kt/p1.txt"
expect_rc kt_alone 2
err_has kt_alone "--show-text goes with --explain A B"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all CLI edge cases passed"
