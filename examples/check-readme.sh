#!/bin/sh
# check-readme.sh SRC LIBDIR SANITIZE CC... - the "Use it from C" block of
# README.md is examples/use-from-c.c verbatim, and it compiles against the
# built library and clusters the seed pages into one story.
set -eu
src=$1 libdir=$2 san=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The first ```c block after the "## Use it from C" heading.
awk '/^## Use it from C/ { sec = 1; next }
     sec && /^## / { exit }
     sec && /^```c$/ { inb = 1; next }
     inb && /^```$/ { exit }
     inb { print }' "$src/README.md" >"$tmp/readme.c"
[ -s "$tmp/readme.c" ] || { echo "README.md: no C block under '## Use it from C'"; exit 1; }
if ! cmp -s "$tmp/readme.c" "$src/examples/use-from-c.c"; then
  echo "README.md's C example differs from examples/use-from-c.c:"
  diff -u "$src/examples/use-from-c.c" "$tmp/readme.c" || true
  exit 1
fi
lines=$(wc -l <"$tmp/readme.c")
echo "README example: $lines lines"

flags=
[ "$san" = none ] || flags="-fsanitize=$san"
# shellcheck disable=SC2086
"$@" -std=c11 -Wall -Wextra -Wpedantic -Werror $flags -I"$libdir/../include" \
  "$tmp/readme.c" -o "$tmp/readme" -L"$libdir" -ldedup
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$tmp/readme" "$src"/seeds/*.txt >"$tmp/out"
cat "$tmp/out"
# The three seed pages tell one story: one line naming all three.
[ "$(wc -l <"$tmp/out")" -eq 1 ] || { echo "expected one story"; exit 1; }
for f in "$src"/seeds/*.txt; do
  grep -qF "$f" "$tmp/out" || { echo "missing $f"; exit 1; }
done
