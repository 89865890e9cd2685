#!/bin/sh
# test_index_cli.sh DEDUP_CLUSTER - dedup-cluster's --load and --save:
# a loaded index plus new files gives the output of one run over all of
# them; a bad index is refused (exit 4) before any output; --load refuses
# the options the index fixes (exit 2); a failed --save (exit 1) leaves
# no temporary file and the old index as it was.  Seeds: $DEDUP_SEEDS.
set -eu
cli=$1
seeds=${DEDUP_SEEDS:?DEDUP_SEEDS must name the seed pages}
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

set -- "$seeds"/*.txt
[ $# -eq 3 ] || { echo "FAIL: expected 3 seed pages, found $#"; exit 1; }
s1=$1 s2=$2 s3=$3

fail() {
  echo "FAIL: $*"
  exit 1
}
# run NAME ARGS...: stdout in $tmp/NAME.out, stderr in $tmp/NAME.err,
# exit status in $rc.
run() {
  n=$1
  shift
  set +e
  "$cli" "$@" >"$tmp/$n.out" 2>"$tmp/$n.err"
  rc=$?
  set -e
}
expect_rc() {
  [ "$rc" -eq "$2" ] || {
    cat "$tmp/$1.err"
    fail "$1: exit status $rc, expected $2"
  }
}
same() { # same NAME1 NAME2: byte-identical stdout
  cmp "$tmp/$1.out" "$tmp/$2.out" || {
    diff "$tmp/$1.out" "$tmp/$2.out" || true
    fail "$1 and $2 print different output"
  }
}
stderr_has() {
  grep -qF -- "$2" "$tmp/$1.err" || {
    cat "$tmp/$1.err"
    fail "$1: stderr does not say '$2'"
  }
}
no_stdout() {
  [ ! -s "$tmp/$1.out" ] || fail "$1 printed to stdout: $(cat "$tmp/$1.out")"
}
no_temp() { # no_temp DIR: no index temporary file left behind
  left=$(find "$1" -maxdepth 1 -name '*.tmp.*')
  [ -z "$left" ] || fail "temporary file left behind: $left"
}

# ---- a loaded index plus a file = one run over all three --------------
run save2 --save "$tmp/two.idx" "$s1" "$s2"
expect_rc save2 0
[ -s "$tmp/two.idx" ] || fail "--save wrote no index"
no_temp "$tmp"
run plain2 "$s1" "$s2"
expect_rc plain2 0
same save2 plain2 # --save does not change the output
run load2 --load "$tmp/two.idx" # no FILE: the index alone
expect_rc load2 0
same load2 plain2

for fmt in text json; do
  for lvl in story copy; do
    run "plain3_$fmt$lvl" --all --format "$fmt" --level "$lvl" \
      "$s1" "$s2" "$s3"
    expect_rc "plain3_$fmt$lvl" 0
    [ -s "$tmp/plain3_$fmt$lvl.out" ] || fail "plain3_$fmt$lvl: no output"
    run "load3_$fmt$lvl" --all --format "$fmt" --level "$lvl" \
      --load "$tmp/two.idx" "$s3"
    expect_rc "load3_$fmt$lvl" 0
    same "load3_$fmt$lvl" "plain3_$fmt$lvl"
  done
done
# Default options too (text, story level, clusters of 2+ only): the seeds
# hold one two-page story, so this output is not empty.
run plain3 "$s1" "$s2" "$s3"
run load3 --load "$tmp/two.idx" "$s3"
expect_rc load3 0
[ -s "$tmp/plain3.out" ] || fail "plain3: no cluster of two pages"
same load3 plain3

# --load and --save together (the service): the new index holds all three.
run chain --load "$tmp/two.idx" --save "$tmp/three.idx" "$s3"
expect_rc chain 0
same chain plain3
run reload3 --load "$tmp/three.idx" --format json --all --level story
expect_rc reload3 0
same reload3 plain3_jsonstory

# ---- a bad index is refused: exit 4, a message naming it, no output ----
size=$(wc -c <"$tmp/two.idx")
head -c $((size - 9)) "$tmp/two.idx" >"$tmp/trunc.idx"
head -c 40 "$tmp/two.idx" >"$tmp/short.idx"
cp "$tmp/two.idx" "$tmp/corrupt.idx"
# 0xff never occurs in UTF-8 text, so the byte surely changes.
printf '\377' | dd of="$tmp/corrupt.idx" bs=1 seek=$((size / 2)) \
  conv=notrunc 2>/dev/null
cmp -s "$tmp/two.idx" "$tmp/corrupt.idx" && fail "corrupt.idx unchanged"
for bad in trunc short corrupt; do
  run "load_$bad" --load "$tmp/$bad.idx" "$s3"
  expect_rc "load_$bad" 4
  stderr_has "load_$bad" "$tmp/$bad.idx: index file truncated or corrupt"
  no_stdout "load_$bad"
done
# Another format version: the u32 after the 8-byte magic.
cp "$tmp/two.idx" "$tmp/version.idx"
printf '\377' | dd of="$tmp/version.idx" bs=1 seek=8 conv=notrunc \
  2>/dev/null
run load_version --load "$tmp/version.idx" "$s3"
expect_rc load_version 4
stderr_has load_version "$tmp/version.idx: index file has an unsupported"
no_stdout load_version
# Unreadable: missing, a directory.  The errno text follows.
run load_missing --load "$tmp/missing.idx" "$s3"
expect_rc load_missing 4
stderr_has load_missing "$tmp/missing.idx: input/output error: "
no_stdout load_missing
mkdir "$tmp/adir"
run load_dir --load "$tmp/adir" "$s3"
expect_rc load_dir 4
stderr_has load_dir "$tmp/adir: input/output error: "
no_stdout load_dir

# ---- --load refuses what the index fixes: usage error ----------------
for opt in "--threshold 0.6" "--story-threshold 0.3" "--method simhash" \
  "--shingle 4" "--perms 64" "--seed 7" --classic \
  --no-clean --split-embedded; do
  name=fixed_$(echo "$opt" | sed 's/^--//; s/ .*//; s/-/_/g')
  # shellcheck disable=SC2086 # $opt is an option and maybe its value
  run "$name" $opt --load "$tmp/two.idx" "$s3"
  expect_rc "$name" 2
  stderr_has "$name" "${opt%% *} cannot be used with --load"
  no_stdout "$name"
done
# --threads is the machine's, not the index's: allowed, same output.
run load_threads --threads 1 --load "$tmp/two.idx" "$s3"
expect_rc load_threads 0
same load_threads plain3
run load_then_opt --load "$tmp/two.idx" --threshold 0.6 "$s3" # any order
expect_rc load_then_opt 2
run empty_name --save "" "$s1"
expect_rc empty_name 2

# ---- a failed --save: exit 1, a message, the output, no temp file -----
run save_nodir --save "$tmp/nodir/x.idx" "$s1" "$s2"
expect_rc save_nodir 1
stderr_has save_nodir "$tmp/nodir/x.idx: index not saved: "
same save_nodir plain2 # the output was printed all the same
[ ! -e "$tmp/nodir" ] || fail "--save created $tmp/nodir"
no_temp "$tmp"
# The target is a directory: the temporary file is written, then the
# rename fails; it must be removed.
run save_ontodir --save "$tmp/adir" "$s1" "$s2"
expect_rc save_ontodir 1
stderr_has save_ontodir "$tmp/adir: index not saved: "
[ -d "$tmp/adir" ] || fail "--save replaced a directory"
no_temp "$tmp"
no_temp "$tmp/adir"

# ---- re-saving over an index replaces it atomically ------------------
mkdir "$tmp/svc"
cp "$tmp/two.idx" "$tmp/svc/cur.idx"
# shellcheck disable=SC2012 # ls -i is POSIX; stat -c is not
ino_old=$(ls -i "$tmp/svc/cur.idx" | awk '{print $1}')
run resave --load "$tmp/svc/cur.idx" --save "$tmp/svc/cur.idx" "$s3"
expect_rc resave 0
same resave plain3
cmp -s "$tmp/svc/cur.idx" "$tmp/three.idx" ||
  fail "re-saved index differs from a fresh save of the same documents"
# shellcheck disable=SC2012
ino_new=$(ls -i "$tmp/svc/cur.idx" | awk '{print $1}')
# A rename gives the path the temporary file's inode; writing in place
# would keep the old one (both exist at once, so they cannot be equal).
[ "$ino_old" != "$ino_new" ] || fail "index rewritten in place, not renamed"
no_temp "$tmp/svc"

# A save that fails while writing leaves the old index intact.  Root
# ignores permissions, so the write is made to fail with a file size
# limit (EFBIG: SIGXFSZ is ignored, which exec keeps).
cp "$tmp/two.idx" "$tmp/svc/cur.idx"
set +e
(
  trap '' XFSZ
  ulimit -f 1 # 512 bytes (or 1 KiB), far below the index's size
  exec "$cli" --load "$tmp/svc/cur.idx" --save "$tmp/svc/cur.idx" "$s3"
) >"$tmp/efbig.out" 2>"$tmp/efbig.err"
rc=$?
set -e
expect_rc efbig 1
stderr_has efbig "$tmp/svc/cur.idx: index not saved: input/output error: "
same efbig plain3
cmp -s "$tmp/svc/cur.idx" "$tmp/two.idx" ||
  fail "a failed save changed the old index"
no_temp "$tmp/svc"
run efbig_reload --load "$tmp/svc/cur.idx"
expect_rc efbig_reload 0
same efbig_reload plain2

# And the plain way, when permissions hold (not as root).
if [ "$(id -u)" -ne 0 ]; then
  mkdir "$tmp/ro"
  cp "$tmp/two.idx" "$tmp/ro/cur.idx"
  chmod a-w "$tmp/ro"
  run save_ro --load "$tmp/ro/cur.idx" --save "$tmp/ro/cur.idx" "$s3"
  expect_rc save_ro 1
  stderr_has save_ro "$tmp/ro/cur.idx: index not saved: "
  cmp -s "$tmp/ro/cur.idx" "$tmp/two.idx" ||
    fail "a failed save changed the old index"
  no_temp "$tmp/ro"
else
  echo "read-only directory case skipped (root); EFBIG case ran instead"
fi
echo "index CLI: all checks passed"
