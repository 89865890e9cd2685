#!/bin/sh
# check-layers.sh LIBDIR - lib/'s folders depend one way: a file includes
# headers of its own layer or of the layers before it, never after.
set -eu
cd "$1"
layers="common text sketch index cluster corpus service"
status=0
rank() { i=0; for l in $layers; do [ "$l" = "$1" ] && { echo $i; return; }; i=$((i+1)); done; echo 99; }
for f in */*.c */*.h; do
  own=$(rank "${f%%/*}")
  [ "$own" -eq 99 ] && { echo "$f: not in a known layer"; status=1; continue; }
  for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f"); do
    r=$(rank "$inc")
    if [ "$r" -gt "$own" ]; then
      echo "$f includes $inc/: a later layer"; status=1
    fi
  done
  # Only layer-qualified lib headers ("layer/x.h"), so the tree shows it.
  if grep -n '^#include "[^/]*"' "$f" | grep -v '"dedup.h"'; then
    echo "$f: include lib headers as \"layer/name.h\""; status=1
  fi
done
[ $status -eq 0 ] && echo "layers: $layers, all includes point down"
exit $status
