#!/bin/sh
# check-man.sh DEDUP_CLUSTER MANPAGE - `dedup-cluster --help` and the man
# page define the same options.  Help: the option column of lines that
# start with "  -" (text before the first run of two spaces).  Man page:
# the line after each .TP whose text starts with "-".
set -eu
cli=$1 man=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
opts() { grep -oE '(^|[ ,])--?[a-z][a-z-]*' | sed 's/^[ ,]*//'; }

"$cli" --help | grep -E '^  -' | sed -E 's/^ +//; s/  .*//' | opts |
  sort -u >"$tmp/help"
awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' "$man" |
  sed -E 's/\\f[BIRP]//g; s/\\-/-/g; s/^\.[A-Z]+ +//; s/"//g' |
  grep -E '^-' | opts | sort -u >"$tmp/man"

n=$(wc -l <"$tmp/help")
[ "$n" -ge 15 ] || { echo "only $n options found in --help"; exit 1; }
if ! diff -u "$tmp/help" "$tmp/man"; then
  echo "--help (-) and $man (+) define different options"
  exit 1
fi
echo "$n options, the same in --help and the man page:"
tr '\n' ' ' <"$tmp/help"
echo
