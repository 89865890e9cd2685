#!/bin/sh
# test_service_cli.sh DEDUP_CLUSTER - dedup-cluster --index, the service
# index: documents added one at a time keep their copy and story ids
# from run to run; a copy joins its copy group and an unrelated text
# starts new ones; --remove, --expire, --replace, a duplicate id (exit
# 1), --query (the file unchanged), --defer --rebuild (a batch run's
# clusters), --load of a service index; a damaged index and a locked one
# are refused (exit 4) and left as they were; options in any order; tsv
# and json parse.  Seeds: $DEDUP_SEEDS; the other texts are written here.
set -eu
cli=$1
case $cli in /*) ;; *) cli=$PWD/$cli ;; esac
seeds=${DEDUP_SEEDS:?DEDUP_SEEDS must name the seed pages}
command -v flock >/dev/null ||
  { echo "FAIL: flock (util-linux) is needed"; exit 1; }
command -v python3 >/dev/null ||
  { echo "FAIL: python3 is needed"; exit 1; }
tmp=$(mktemp -d)
holder=
trap '[ -z "$holder" ] || kill "$holder" 2>/dev/null || true
  rm -rf "$tmp"' EXIT
cd "$tmp"

set -- "$seeds"/*.txt
[ $# -eq 3 ] || { echo "FAIL: expected 3 seed pages, found $#"; exit 1; }
# Short relative names: the ids are the paths as given.
cp "$1" a.txt
cp "$2" b.txt
cp "$3" c.txt

fail() {
  echo "FAIL: $*"
  exit 1
}
# run NAME ARGS...: stdout in NAME.out, stderr in NAME.err, status $rc.
run() {
  n=$1
  shift
  set +e
  "$cli" "$@" >"$n.out" 2>"$n.err"
  rc=$?
  set -e
}
expect_rc() {
  [ "$rc" -eq "$2" ] || {
    cat "$1.err"
    fail "$1: exit status $rc, expected $2"
  }
}
same() { # same NAME1 NAME2: byte-identical stdout
  cmp "$1.out" "$2.out" || {
    diff "$1.out" "$2.out" || true
    fail "$1 and $2 print different output"
  }
}
stderr_has() {
  grep -qF -- "$2" "$1.err" || {
    cat "$1.err"
    fail "$1: stderr does not say '$2'"
  }
}
no_stdout() {
  [ ! -s "$1.out" ] || fail "$1 printed to stdout: $(cat "$1.out")"
}
# snap, then unchanged MESSAGE: the index (its file and its journal)
# byte for byte as snap found it.
snap() {
  cp ix ix.before
  rm -f ix.journal.before
  [ ! -e ix.journal ] || cp ix.journal ix.journal.before
}
unchanged() {
  cmp -s ix ix.before || fail "$1 (the file)"
  if [ -e ix.journal.before ]; then
    cmp -s ix.journal ix.journal.before || fail "$1 (the journal)"
  else
    [ ! -e ix.journal ] || fail "$1 (a journal written)"
  fi
}
# field NAME ID COLUMN: a column of ID's line in NAME.out (tsv)
field() {
  awk -F'\t' -v id="$2" -v c="$3" '$1 == id { print $c }' "$1.out"
}

# A copy of a.txt with small edits, and a text of another subject.
sed -e '0,/ the / s// a /' -e '0,/ and / s// & also /' a.txt >a_edit.txt
cmp -s a.txt a_edit.txt && fail "the edit changed nothing"
echo "One more closing line added by the editor." >>a_edit.txt
words="tomato basil compost mulch seedling trellis watering pruning
harvest greenhouse soil beetroot lettuce cucumber spinach garden shed
rake hoe spade weeds aphids ladybird marigold courgette rhubarb"
awk -v w="$words" 'BEGIN {
  n = split(w, v, /[ \n]+/)
  x = 7
  for (p = 0; p < 12; p++) {
    s = ""
    for (i = 0; i < 40; i++) {
      x = (x * 1103515245 + 12345) % 2147483648
      s = s (i ? " " : "") v[1 + int(x / 65536) % n]
    }
    print "The allotment notes, part " p ": " s "."
    print ""
  }
}' >garden.txt

# ---- a new index, the seeds one at a time: the seed case -------------
for f in a b c; do
  run "add_$f" --index ix "$f.txt"
  expect_rc "add_$f" 0
  [ -s ix ] || fail "add_$f: no index saved"
  [ "$(wc -l <"add_$f.out")" -eq 1 ] || fail "add_$f: not one line"
  grep -q "^$f.txt	copy [0-9]* \(new\|joined\)	story [0-9]* \(new\|joined\)" \
    "add_$f.out" || fail "add_$f: unexpected line: $(cat "add_$f.out")"
done
grep -q "	copy 1 new	story 1 new$" add_a.out ||
  fail "the first document is not copy 1, story 1: $(cat add_a.out)"
run list1 --index ix --list --format tsv
expect_rc list1 0
[ "$(head -1 list1.out)" = "id	copy_id	story_id" ] ||
  fail "list1: no tsv header"
[ "$(wc -l <list1.out)" -eq 4 ] || fail "list1: not 3 documents"
[ "$(cut -f3 list1.out | sed 1d | sort -u | wc -l)" -eq 1 ] ||
  fail "the three seeds are not one story: $(cat list1.out)"
[ "$(cut -f2 list1.out | sed 1d | sort -u | wc -l)" -eq 3 ] ||
  fail "the three seeds are not three copy groups: $(cat list1.out)"
story=$(field list1 a.txt 3)
copy_a=$(field list1 a.txt 2)

# ---- ids stay: --list twice, byte-identical; text format --------------
run list2 --index ix --list --format tsv
expect_rc list2 0
same list1 list2
run listt --index ix --list
expect_rc listt 0
grep -q "^a.txt	copy $copy_a	story $story$" listt.out ||
  fail "listt: $(cat listt.out)"

# ---- a copy with small edits joins its copy group ---------------------
run edit --index ix --format tsv a_edit.txt
expect_rc edit 0
[ "$(sed -n 1p edit.out | cut -f1-9 | tr '\t' ' ')" = \
  "id copy_id copy copy_sim story_id story story_sim merged_copies merged_stories" ] ||
  fail "edit: tsv header: $(sed -n 1p edit.out)"
[ "$(field edit a_edit.txt 2)" = "$copy_a" ] ||
  fail "the edited copy did not join copy $copy_a: $(cat edit.out)"
[ "$(field edit a_edit.txt 3)" = joined ] || fail "edit: not joined"
[ "$(field edit a_edit.txt 5)" = "$story" ] || fail "edit: other story"

# ---- an unrelated text starts a new copy group and a new story --------
run garden --index ix --format json garden.txt
expect_rc garden 0
python3 -c '
import json, sys
d = json.loads(open("garden.out").read())
assert d["id"] == "garden.txt", d
assert d["copy"] == "new" and d["story"] == "new", d
assert d["copy_id"] > 3 and d["story_id"] != int(sys.argv[1]), d
assert d["merged_copies"] == [] and d["merged_stories"] == [], d
' "$story" || fail "garden: $(cat garden.out)"

# The earlier documents kept their ids, but for merges the adds
# reported (a merged-away id's documents are in the id it merged into).
run list3 --index ix --list --format tsv
expect_rc list3 0
[ "$(wc -l <list3.out)" -eq 6 ] || fail "list3: not 5 documents"
python3 - <<'EOF' || fail "ids changed without a reported merge"
import json
into = {"copy": {}, "story": {}}
for row in open("edit.out").readlines()[1:]:
    f = row.rstrip("\n").split("\t")
    for lvl, col, target in (("copy", 7, f[1]), ("story", 8, f[4])):
        if f[col] != "-":
            for x in f[col].split(","):
                into[lvl][x] = target
d = json.loads(open("garden.out").read())
for lvl, key in (("copy", "merged_copies"), ("story", "merged_stories")):
    for x in d[key]:
        into[lvl][str(x)] = str(d[lvl + "_id"])
def resolve(lvl, i):
    while i in into[lvl]:
        i = into[lvl][i]
    return i
old = [l.rstrip("\n").split("\t") for l in open("list1.out")][1:]
new = {l.split("\t")[0]: l.rstrip("\n").split("\t")
       for l in open("list3.out").readlines()[1:]}
for name, c, s in old:
    n = new[name]
    assert n[1] == resolve("copy", c), (name, c, n)
    assert n[2] == resolve("story", s), (name, s, n)
EOF

# ---- an id indexed already: named, skipped, exit 1; the rest added ----
cp c.txt d.txt
run dup --index ix b.txt d.txt
expect_rc dup 1
stderr_has dup "b.txt"
stderr_has dup "already"
grep -q "^d.txt	" dup.out || fail "dup: d.txt not added"
grep -q "^b.txt	" dup.out && fail "dup: b.txt printed"
run list4 --index ix --list
[ "$(grep -c '^b.txt	' list4.out)" -eq 1 ] || fail "b.txt twice"
grep -q '^d.txt	' list4.out || fail "d.txt not indexed"

# ---- --replace ---------------------------------------------------------
run repl --index ix --replace b.txt
expect_rc repl 0
grep -q "^b.txt	copy" repl.out || fail "repl: $(cat repl.out)"
run list5 --index ix --list
[ "$(grep -c '^b.txt	' list5.out)" -eq 1 ] || fail "replaced b.txt twice"
[ "$(tail -1 list5.out | cut -f1)" = b.txt ] ||
  fail "a replaced document is not at its new place: $(cat list5.out)"

# ---- --query adds nothing: the file's bytes unchanged -----------------
snap
run query --index ix --query --format tsv a_edit.txt garden.txt
expect_rc query 0
unchanged "--query changed the index file"
[ "$(wc -l <query.out)" -eq 3 ] || fail "query: $(cat query.out)"
[ "$(field query a_edit.txt 2)" = "$copy_a" ] || fail "query: a_edit"
run list6 --index ix --list
cmp -s list6.out list5.out || fail "--query added documents"
run queryx --index nothere.idx --query a.txt
expect_rc queryx 4
[ ! -e nothere.idx ] || fail "--query made an index"

# ---- options in any order, --opt=value; matching options ---------------
run ord1 --query --format tsv --index ix a_edit.txt
run ord2 a_edit.txt --index=ix --format=tsv --threads 1 --query
expect_rc ord1 0
expect_rc ord2 0
same ord1 ord2
run thr_ok --index ix --query --threshold 0.5 a.txt # the saved value
expect_rc thr_ok 0
run thr_bad --index ix --query --threshold 0.7 a.txt
expect_rc thr_bad 2
stderr_has thr_bad "--threshold"
run seed_bad --index ix --list --seed 3
expect_rc seed_bad 2
run twice --index ix --index other.idx --list
expect_rc twice 2
stderr_has twice "given twice"
run typo --index ix --lst
expect_rc typo 2
stderr_has typo "did you mean '--list'?"
run alone --defer a.txt
expect_rc alone 2
stderr_has alone "--defer goes with --index"
run withsave --index ix --save x.idx a.txt
expect_rc withsave 2
unchanged "a usage error changed the index"

# ---- --remove, then --list ---------------------------------------------
run rm1 --index ix --remove garden.txt --remove d.txt --list
expect_rc rm1 0
grep -q "^garden.txt	" rm1.out && fail "garden.txt not removed"
grep -q "^d.txt	" rm1.out && fail "d.txt not removed"
grep -q "^a.txt	copy $copy_a	story $story$" rm1.out ||
  fail "rm1: a.txt's ids changed: $(cat rm1.out)"
run rm2 --index ix --list
same rm1 rm2 # saved
run rm3 --index ix --remove nosuch.txt
expect_rc rm3 1
stderr_has rm3 "nosuch.txt"

# ---- --expire: dated documents (JSON lines) ------------------------------
python3 - <<'EOF' >dated.jsonl
import json
t = open("a.txt").read()
g = open("garden.txt").read()
print(json.dumps({"id": "old", "text": g, "date": "2020-01-02"}))
print(json.dumps({"id": "new", "text": t, "date": "2026-06-01"}))
print(json.dumps({"id": "undated", "text": g + " Extra words."}))
EOF
run jl --index ix --jsonl dated.jsonl --format json
expect_rc jl 0
[ "$(wc -l <jl.out)" -eq 3 ] || fail "jl: $(cat jl.out)"
python3 -c '
import json
ids = [json.loads(l)["id"] for l in open("jl.out")]
assert ids == ["old", "new", "undated"], ids
' || fail "jl: ids or order: $(cat jl.out)"
run exp --index ix --expire 2021-01-01 --list
expect_rc exp 0
stderr_has exp "1 document dated before 2021-01-01 removed"
grep -q "^old	" exp.out && fail "expire: old kept"
grep -q "^new	" exp.out || fail "expire: new removed"
grep -q "^undated	" exp.out || fail "expire: undated removed"
run expbad --index ix --expire yesterday
expect_rc expbad 2

# ---- tsv and json parse ---------------------------------------------------
for fmt in tsv json; do
  run "fmt_$fmt" --index ix --query --format "$fmt" a.txt garden.txt
  expect_rc "fmt_$fmt" 0
  run "lst_$fmt" --index ix --list --format "$fmt"
  expect_rc "lst_$fmt" 0
done
python3 - <<'EOF' || fail "json output does not parse"
import json
for name in ("fmt_json.out", "lst_json.out", "garden.out", "jl.out"):
    for line in open(name):
        json.loads(line)
EOF
awk -F'\t' 'NF != 9 { exit 1 }' fmt_tsv.out || fail "tsv: not 9 columns"
awk -F'\t' 'NF != 3 { exit 1 }' lst_tsv.out || fail "list tsv: not 3"

# ---- the same input, the same bytes ---------------------------------------
for k in 1 2; do
  run "det$k" --index "det$k.idx" --format tsv a.txt a_edit.txt b.txt \
    garden.txt c.txt
  expect_rc "det$k" 0
  run "detl$k" --index "det$k.idx" --list --format json
done
same det1 det2
same detl1 detl2

# ---- --defer --rebuild: a batch run's clusters ------------------------------
run defer --index batch.idx --defer --rebuild a.txt b.txt c.txt garden.txt
expect_rc defer 0
grep -q "^a.txt	deferred$" defer.out || fail "defer: $(cat defer.out)"
run dlist --index batch.idx --list --format tsv
run batch --all --format tsv a.txt b.txt c.txt garden.txt
expect_rc batch 0
python3 - <<'EOF' || fail "--defer --rebuild is not the batch run's"
def parts(rows):
    g = {}
    for key, name in rows:
        g.setdefault(key, set()).add(name)
    return sorted(sorted(v) for v in g.values())
batch = [l.rstrip("\n").split("\t") for l in open("batch.out")]
ix = [l.rstrip("\n").split("\t") for l in open("dlist.out")][1:]
assert parts((k, n) for k, n in batch) == parts((s, n) for n, c, s in ix), \
    (batch, ix)
EOF

# ---- --load of a service index: the stable ids, after the adds ---------
run load --load ix --format tsv
expect_rc load 0
run lsame --index ix --list --format tsv
same load lsame
snap
run load2 --load ix --format json d.txt
expect_rc load2 0
grep -q '"id":"d.txt"' load2.out || fail "load2: d.txt not listed"
unchanged "--load without --save changed the index"

# ---- a damaged index: exit 4, the file untouched --------------------------
size=$(wc -c <ix)
cp ix bad.idx
half=$((size / 2))
b=$(od -An -tu1 -j "$half" -N1 bad.idx | tr -d ' ')
printf "$(printf '\\%03o' $(((b + 1) % 256)))" |
  dd of=bad.idx bs=1 seek="$half" conv=notrunc 2>/dev/null
cmp -s ix bad.idx && fail "the byte flip changed nothing"
cp bad.idx bad.copy
run flip --index bad.idx a_edit.txt
expect_rc flip 4
no_stdout flip
cmp -s bad.idx bad.copy || fail "a refused index was changed"
run flipl --index bad.idx --list
expect_rc flipl 4
head -c "$half" ix >short.idx
cp short.idx short.copy
run trunc --index short.idx a_edit.txt
expect_rc trunc 4
no_stdout trunc
cmp -s short.idx short.copy || fail "a truncated index was changed"
cp ix ver.idx # another format version (the 4 bytes after the magic)
printf '\143' | dd of=ver.idx bs=1 seek=8 conv=notrunc 2>/dev/null
cp ver.idx ver.copy
run ver --index ver.idx a_edit.txt
expect_rc ver 4
no_stdout ver
cmp -s ver.idx ver.copy || fail "an index of another version was changed"
printf 'DEDUPSVC' >magic.idx
run magic --index magic.idx --list
expect_rc magic 4

# ---- a second writer while one holds the lock: exit 4 ---------------------
snap
# The subshell takes the lock on fd 9, then becomes the sleep, so that
# killing $holder releases it (and no child keeps the test's output open).
(
  exec 9>ix.lock
  flock 9
  exec sleep 30
) </dev/null >/dev/null 2>&1 &
holder=$!
i=0
while flock -n ix.lock true 2>/dev/null; do # until the holder has it
  i=$((i + 1))
  [ $i -lt 100 ] || fail "flock did not take ix.lock"
  sleep 0.1
done
run locked --index ix garden.txt
expect_rc locked 4
stderr_has locked "another dedup-cluster holds ix.lock"
no_stdout locked
run lockq --index ix --query a.txt # a reader takes no lock
expect_rc lockq 0
kill "$holder"
wait "$holder" 2>/dev/null || true
holder=
unchanged "a refused writer changed the index"
run unlocked --index ix garden.txt # the lock is free again
expect_rc unlocked 0
grep -q "^garden.txt	copy" unlocked.out || fail "unlocked: $(cat unlocked.out)"

# ---- the journal: saves append, --compact folds it in, a cut is said -----
rm -f j.ix j.ix.journal
run j1 --index j.ix a.txt b.txt
expect_rc j1 0
[ -s j.ix.journal ] || fail "a save to a new index wrote no journal"
cp j.ix j.ix.first
run j2 --index j.ix --format tsv c.txt
expect_rc j2 0
cmp -s j.ix j.ix.first || fail "an add rewrote the index file (not the journal)"
run jl1 --index j.ix --list --format tsv
expect_rc jl1 0
[ "$(wc -l <jl1.out)" -eq 4 ] || fail "the journal's adds not listed: $(cat jl1.out)"
run jc --index j.ix --compact
expect_rc jc 0
[ ! -e j.ix.journal ] || fail "--compact left the journal"
run jl2 --index j.ix --list --format tsv
expect_rc jl2 0
same jl1 jl2
# --sync: each line printed once its add is saved; a pipe of JSON lines.
printf '%s\n' \
  '{"id":"s1","text":"The harbour fire burned all night and the crews came from three towns to fight it."}' \
  '{"id":"s2","text":"The harbour fire burned all night and the crews came from three towns to fight it!"}' \
  >sync.jsonl
run js --index j.ix --sync --format tsv --jsonl - <sync.jsonl
expect_rc js 0
[ "$(grep -c '^s[12]	' js.out)" -eq 2 ] || fail "--sync lines: $(cat js.out)"
[ "$(field js s2 2)" = "$(field js s1 2)" ] || fail "--sync: s2 is no copy of s1"
# A journal cut inside its last save: the index opens as the save before,
# with a warning naming the journal (also under -q).
jb=$(wc -c <j.ix.journal)
head -c $((jb - 5)) j.ix.journal >j.cut && mv j.cut j.ix.journal
run jcut --index j.ix --list --format tsv -q
expect_rc jcut 0
grep -q "^s1	" jcut.out || fail "the first synced add lost: $(cat jcut.out)"
grep -q "^s2	" jcut.out && fail "the cut save was kept"
stderr_has jcut "j.ix.journal: warning"
# --sync and --compact go with --index only.
run jsx --sync a.txt
expect_rc jsx 2
run jcx --compact a.txt
expect_rc jcx 2

echo "service CLI: all checks passed"
