#!/bin/sh
# check-symbols.sh LIB.so HEADER - the shared library exports dedup_*
# symbols only, and every function dedup.h declares.
set -eu
so=$1 hdr=$2
nm=${NM:-nm}
command -v "$nm" >/dev/null || { echo "no nm: skipped"; exit 77; }
exported=$("$nm" -D --defined-only "$so" | awk '$2 ~ /^[TDBRVWiu]$/ { print $3 }' | sed 's/@.*//' | sort -u)
bad=$(printf '%s\n' "$exported" | grep -v '^dedup_' || true)
if [ -n "$bad" ]; then
  echo "exported but not dedup_*:"; printf '%s\n' "$bad"; exit 1
fi
# Declared in the header: "DEDUP_API type name(" (name may follow a *).
declared=$(grep -o '^DEDUP_API[^(]*(' "$hdr" | sed 's/($//; s/.*[ *]//' | sort -u)
missing=$(printf '%s\n' "$declared" | while read -r f; do
  printf '%s\n' "$exported" | grep -qx "$f" || echo "$f"; done)
if [ -n "$missing" ]; then
  echo "declared in dedup.h but not exported:"; printf '%s\n' "$missing"; exit 1
fi
extra=$(printf '%s\n' "$exported" | while read -r f; do
  printf '%s\n' "$declared" | grep -qx "$f" || echo "$f"; done)
if [ -n "$extra" ]; then
  echo "exported but not in dedup.h:"; printf '%s\n' "$extra"; exit 1
fi
echo "$(printf '%s\n' "$exported" | wc -l) symbols, all dedup_* and declared"
