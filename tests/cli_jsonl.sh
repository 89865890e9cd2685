#!/bin/sh
# cli_jsonl.sh - dedup-cluster --jsonl: documents from JSON Lines named by
# their ids; gzip and zstd; every kind of bad line named by its number,
# the rest clustered, exit 1; bad dates counted once.
#
#   sh cli_jsonl.sh DEDUP_CLUSTER BUILD_DIR
#
# The JSONL files are written here from the seed pages ($DEDUP_SEEDS) and
# from generated filler text; python3 escapes the JSON strings.
set -eu
export LC_ALL=C
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
cli=$(abs "$1")
work=$(abs "$(mktemp -d "$2/cli-jsonl.XXXXXX")")
trap 'rm -rf "$work"' EXIT INT TERM
seeds=${DEDUP_SEEDS:?DEDUP_SEEDS must point to seeds/}
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
cd "$work"
set -- "$seeds"/*.txt
[ $# -eq 3 ] || { echo "FAIL: expected 3 seed pages, found $#"; exit 1; }

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
run() { # run NAME ARGS...: NAME.out, NAME.err, $rc
  n=$1
  shift
  rc=0
  "$cli" "$@" >"$work/$n.out" 2>"$work/$n.err" || rc=$?
}
expect_rc() {
  [ "$rc" -eq "$2" ] || fail "$1: exit $rc, want $2: $(head -c 600 "$work/$1.err")"
}
err_has() {
  grep -qF -- "$2" "$work/$1.err" ||
    fail "$1: stderr lacks '$2': $(head -c 600 "$work/$1.err")"
}
out_is() {
  cmp -s "$work/$1.out" "$2" || fail "$1: output differs from $2:
$(head -c 400 "$work/$1.out")"
}

# good.jsonl: the three seeds (one story) as a, b, c; an unrelated d.
# filler.jsonl: 160 documents of random words, no two alike (1.6 MB: more
# than one read buffer, and several gzip and zstd blocks to truncate).
python3 - "$@" <<'EOF'
import json, random, sys
texts = [open(p, encoding="utf-8", errors="replace").read() for p in sys.argv[1:4]]
other = ("The council voted on Tuesday to rebuild the harbour wall before "
         "winter storms, after engineers found cracks along its length. ") * 8
docs = [{"id": "a", "text": texts[0], "title": "Seed one", "date": "2024-03-05"},
        {"id": "b", "text": texts[1], "date": "2024-03-06T10:00:00+01:00"},
        {"id": "c", "text": texts[2], "date": 1709683200},
        {"id": 7, "text": other, "date": "2023-01-01"}]
with open("good.jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
with open("renamed.jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps({"key": d["id"], "body": d["text"],
                            "when": d["date"]}) + "\n")
rnd = random.Random(1)
def word():
    return "".join(rnd.choice("bcdfghjklmnpqrstvwxz") + rnd.choice("aeiou")
                   for _ in range(rnd.randint(2, 4)))
with open("filler.jsonl", "w") as f:
    for i in range(160):
        f.write(json.dumps({"id": "f%d" % i,
                            "text": " ".join(word() for _ in range(1500))}) + "\n")
# bad.jsonl: good lines 1, 3, 10, 12 (a, b, c, 7); every other line bad.
lines = [json.dumps(docs[0]),                        # 1 ok
         '{"id": "x1", "text": "unterminated',       # 2 malformed
         json.dumps(docs[1]),                        # 3 ok
         '{"id": "x2", "title": "no text"}',         # 4 missing text
         '{"id": "x3", "text": 42}',                 # 5 non-string text
         json.dumps({"id": "a", "text": "again"}),   # 6 duplicate id (line 1)
         None,                                       # 7 invalid UTF-8
         None,                                       # 8 NUL byte
         json.dumps({"id": "x6", "text": "w " * 150000}),  # 9 over the limit
         json.dumps(docs[2]),                        # 10 ok
         '["an", "array"]',                          # 11 not an object
         json.dumps(docs[3]),                        # 12 ok
         '{"text": "no id"}',                        # 13 no id
         '{"id": "x8", "text": "a\\u0000b"}',        # 14 \u0000
         json.dumps({"id": "x9", "text": "w " * 1500000}),  # 15 over, > buffer
         json.dumps({"id": "e", "text": "the line after"})] # 16 ok
with open("bad.jsonl", "wb") as f:
    for i, l in enumerate(lines):
        if i == 6:
            f.write(b'{"id": "x4", "text": "bad \xff\xfe bytes"}\n')
        elif i == 7:
            f.write(b'{"id": "x5", "text": "nul \x00 here"}\n')
        else:
            f.write(l.encode() + b"\n")
with open("dates.jsonl", "w") as f:
    f.write(json.dumps({"id": "a", "text": texts[0], "date": "2024-03-05"}) + "\n")
    f.write(json.dumps({"id": "b", "text": texts[1], "date": "next Tuesday"}) + "\n")
    f.write(json.dumps({"id": "c", "text": texts[2]}) + "\n")
    f.write(json.dumps({"id": "d", "text": other, "date": 1700000000}) + "\n")
EOF
printf 'a b c\n' >want_text

# ---- ids name the documents, in every format ----------------------------
run text --jsonl good.jsonl
expect_rc text 0
out_is text want_text
run tsv --jsonl good.jsonl --format tsv
printf '0\ta\n0\tb\n0\tc\n' >want_tsv
out_is tsv want_tsv
run json --jsonl good.jsonl --format json
grep -q '"members":\["a","b","c"\]' json.out || fail "json: $(cat json.out)"
run all --jsonl good.jsonl --all --format tsv
grep -q "$(printf '\t7$')" all.out || fail "all: the integer id 7: $(cat all.out)"
run stdin --jsonl - <good.jsonl
out_is stdin want_text
run renamed --jsonl renamed.jsonl --id-field key --text-field body \
  --date-field when
expect_rc renamed 0
out_is renamed want_text
run renamed_wrong --jsonl renamed.jsonl
expect_rc renamed_wrong 1
err_has renamed_wrong 'renamed.jsonl:1: no "id" member'

# ---- gzip and zstd, told by their bytes ----------------------------------
cat good.jsonl filler.jsonl >big.jsonl
run big --jsonl big.jsonl --format json
expect_rc big 0
if command -v gzip >/dev/null; then
  gzip -c big.jsonl >big.data # no .gz: the magic bytes tell
  run gz --jsonl big.data --format json
  expect_rc gz 0
  out_is gz big.out
  gzip -c good.jsonl >two.gz
  gzip -c filler.jsonl >>two.gz # two members
  run gz2 --jsonl - --format json <two.gz
  out_is gz2 big.out
  size=$(wc -c <big.data)
  head -c $((size / 2)) big.data >cut.gz
  run gzcut --jsonl cut.gz
  expect_rc gzcut 1
  err_has gzcut 'cut.gz:'
  err_has gzcut 'truncated gzip data'
  out_is gzcut want_text
else
  echo "no gzip: gzip cases skipped"
fi
if command -v zstd >/dev/null; then
  zstd -q -c big.jsonl >big.zst
  run zst --jsonl big.zst --format json
  expect_rc zst 0
  out_is zst big.out
  size=$(wc -c <big.zst)
  head -c $((size / 2)) big.zst >cut.zst
  run zstcut --jsonl cut.zst
  expect_rc zstcut 1
  err_has zstcut 'truncated zstd data'
  out_is zstcut want_text
else
  echo "no zstd: zstd cases skipped"
fi

# ---- bad lines: each named, the rest clustered, exit 1 --------------------
rc=0
DEDUP_JSONL_MAX_LINE=200000 "$cli" --jsonl bad.jsonl >bad.out 2>bad.err ||
  rc=$?
expect_rc bad 1
out_is bad want_text
err_has bad 'bad.jsonl:2: malformed JSON'
err_has bad 'bad.jsonl:4: no "text" member'
err_has bad 'bad.jsonl:5: "text" (the text) is not a string'
err_has bad 'bad.jsonl:6: id a already seen at line 1; line skipped'
err_has bad 'bad.jsonl:7: invalid UTF-8'
err_has bad 'bad.jsonl:8: a NUL byte'
err_has bad 'bad.jsonl:9: line of 300024 bytes, over the limit of 200000'
err_has bad 'bad.jsonl:11: not a JSON object'
err_has bad 'bad.jsonl:13: no "id" member'
err_has bad 'bad.jsonl:14: "text" (the text) holds \u0000'
err_has bad 'bad.jsonl:15: line of 3000024 bytes, over the limit'
n=$(grep -c 'bad.jsonl:' bad.err)
[ "$n" -eq 11 ] || fail "bad: $n messages, want 11: $(cat bad.err)"
rc=0
DEDUP_JSONL_MAX_LINE=200000 "$cli" --jsonl - --all --format tsv \
  <bad.jsonl >bad_all.out 2>/dev/null || rc=$?
grep -q "$(printf '\te$')" bad_all.out ||
  fail "bad_all: the line after the long ones is lost: $(cat bad_all.out)"
run bad_quiet -q --jsonl bad.jsonl
expect_rc bad_quiet 1
[ ! -s bad_quiet.err ] || fail "bad_quiet: -q printed $(cat bad_quiet.err)"
# The limit's default (64 MiB) takes the 300 kB line: only it changes.
run bad_default --jsonl bad.jsonl
[ "$(grep -c 'bad.jsonl:' bad_default.err)" -eq 9 ] ||
  fail "bad_default: $(cat bad_default.err)"

# ---- dates: bad or missing is no date, said once, exit 0 -----------------
run dates --jsonl dates.jsonl
expect_rc dates 0
err_has dates 'dedup-cluster: 2 of 4 documents have no usable date (first: line 2)'
[ "$(grep -c 'usable date' dates.err)" -eq 1 ] || fail "dates: $(cat dates.err)"
run dates2 --jsonl dates.jsonl --jsonl good.jsonl --all
expect_rc dates2 1 # the ids of dates.jsonl again
err_has dates2 'good.jsonl:1: id a already seen at dates.jsonl:1'

# ---- languages: given in a line, by --lang, or identified ----------------
python3 - <<'PY'
import json
de = ("Die Stadt hat am Montag die neue Straßenbahnlinie eröffnet, und "
      "viele Fahrgäste waren schon am ersten Tag mit der Bahn unterwegs, "
      "die den Bahnhof mit dem Hafen verbindet. ") * 3
with open("langs.jsonl", "w") as f:
    f.write(json.dumps({"id": "x", "text": de}) + "\n")
    f.write(json.dumps({"id": "y", "text": de + " Ende.", "lang": "nl"}) + "\n")
    f.write(json.dumps({"id": "z", "text": de + " Aus.", "lang": "tlh"}) + "\n")
PY
run langs --jsonl langs.jsonl --explain x y
expect_rc langs 0
grep -q '^Languages: de, nl (documents of two languages' langs.out ||
  fail "langs: $(grep Languages langs.out)"
err_has langs '1 of 3 documents name a language the library does not know'
run langs_z --jsonl langs.jsonl --explain x z --format json
expect_rc langs_z 0
grep -q '"lang_a":"de","lang_b":"de"' langs_z.out ||
  fail "langs_z: $(head -c 300 langs_z.out)"
run langs_forced --jsonl langs.jsonl --lang fr --explain x y
expect_rc langs_forced 0
grep -q '^Languages: fr, nl' langs_forced.out ||
  fail "langs_forced: $(grep Languages langs_forced.out)"
run lang_bad --jsonl langs.jsonl --lang xx
expect_rc lang_bad 2
err_has lang_bad 'unknown language: xx'
run lang_field --jsonl langs.jsonl --lang-field language --explain x y
expect_rc lang_field 0
grep -q '^Languages: de, de' lang_field.out ||
  fail "lang_field: $(grep Languages lang_field.out)"

# ---- --explain takes ids; no mixing with FILE operands -------------------
run explain --jsonl good.jsonl --explain a b
expect_rc explain 0
grep -q '^A  a  (item' explain.out || fail "explain: $(head -3 explain.out)"
run explain_missing --jsonl good.jsonl --explain a zz
expect_rc explain_missing 1
err_has explain_missing 'zz: not among the clustered items'
run mixed --jsonl good.jsonl "$1"
expect_rc mixed 2
err_has mixed 'cannot be combined with FILE operands'
run field_alone --id-field key "$1"
expect_rc field_alone 2
run missing --jsonl no-such.jsonl
expect_rc missing 1
err_has missing 'no-such.jsonl: No such file or directory'

# A UTF-8 byte-order mark before the first line is not JSON: skipped.
printf '\357\273\277' >bom.jsonl
cat good.jsonl >>bom.jsonl
run bom --jsonl bom.jsonl
expect_rc bom 0
out_is bom "$work/text.out"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all cli_jsonl cases passed"
