#!/bin/sh
# check-install.sh BUILD SRC SANITIZE CC... - `meson install --destdir`
# puts the header, both libraries, libdedup.pc, the CLI and its man page in
# place, and examples/use-from-c.c builds against the installed copy
# through pkg-config and runs.
set -eu
build=$1 src=$2 san=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

meson install -C "$build" --no-rebuild --destdir "$root" >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; exit 1; }

find_one() { # the installed file named $1
  f=$(find "$root" -name "$1" | head -n 1)
  [ -n "$f" ] || { echo "not installed: $1"; find "$root"; exit 1; }
  echo "$f"
}
for f in dedup.h libdedup.so libdedup.so.1 'libdedup.so.0.*' libdedup.a \
         libdedup.pc dedup-cluster dedup-cluster.1; do
  echo "installed: $(find_one "$f" | sed "s|^$root||")"
done
case $(find_one dedup-cluster) in */bin/dedup-cluster) ;; *) exit 1 ;; esac
case $(find_one dedup-cluster.1) in */man/man1/*) ;; *) exit 1 ;; esac
case $(find_one dedup.h) in */include/dedup.h) ;; *) exit 1 ;; esac
# dedup-cluster-mpi, when meson found MPI, beside dedup-cluster.
if [ -x "$build/examples/dedup-cluster-mpi" ]; then
  f=$(find_one dedup-cluster-mpi)
  case $f in */bin/dedup-cluster-mpi) ;; *) exit 1 ;; esac
  echo "installed: ${f#"$root"}"
fi

pcdir=$(dirname "$(find_one libdedup.pc)")
libdir=$(dirname "$pcdir")
# The .pc names the final prefix; the sysroot maps it into the destdir.
pc=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$root" \
     pkg-config --cflags --libs libdedup)
echo "pkg-config: $pc"
flags=
[ "$san" = none ] || flags="-fsanitize=$san"
# shellcheck disable=SC2086
"$@" -std=c11 -Wall -Wextra -Werror $flags "$src/examples/use-from-c.c" \
  $pc -o "$tmp/use-from-c"
LD_LIBRARY_PATH="$libdir" "$tmp/use-from-c" "$src"/seeds/*.txt >"$tmp/out"
cat "$tmp/out"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || { echo "expected one story"; exit 1; }
# The installed CLI runs against the installed library.
LD_LIBRARY_PATH="$libdir" "$(find_one dedup-cluster)" --version
