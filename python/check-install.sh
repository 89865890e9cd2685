#!/bin/sh
# check-install.sh BUILD PYSRC PYTHON - `meson install --destdir` puts the
# dedup package (and its generated _config.py) in place, and with
# PYTHONPATH at it and LD_LIBRARY_PATH at the installed libdir,
# `import dedup` loads the installed library and clusters the seed pages.
# Then `pip install --target` of python/ (pyproject.toml, setuptools; no
# network: --no-index --no-build-isolation) gives a package that works the
# same; without the wheel package only the sdist is built.
set -eu
build=$1 pysrc=$2 py=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
unset DEDUP_LIBRARY PYTHONPATH || true

meson install -C "$build" --no-rebuild --destdir "$root" >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; exit 1; }

find_one() { # the installed file whose path ends in $1
  f=$(find "$root" -path "*/$1" | head -n 1)
  [ -n "$f" ] || { echo "not installed: $1"; find "$root"; exit 1; }
  echo "$f"
}
init=$(find_one dedup/__init__.py)
config=$(find_one dedup/_config.py)
lib=$(find_one libdedup.so.1)
echo "installed: ${init#"$root"} ${config#"$root"} ${lib#"$root"}"
case $init in */site-packages/dedup/__init__.py | \
              */dist-packages/dedup/__init__.py) ;;
  *) echo "not in a site-packages directory: $init"; exit 1 ;;
esac
pkgdir=$(dirname "$(dirname "$init")")
libdir=$(dirname "$lib")
# _config.py names the final libdir (the destdir is not part of it).
grep -q "^LIBDIR = \"${libdir#"$root"}\"$" "$config" ||
  { echo "_config.py names another libdir:"; cat "$config"; exit 1; }

check() { # PYTHONPATH: import dedup from there, cluster the seed pages
  (cd "$tmp" && PYTHONPATH=$1 LD_LIBRARY_PATH=$libdir "$py" -c '
import glob, os, sys, dedup
print("module", dedup.__file__)
print("library", dedup.library_path)
assert dedup.__file__.startswith(sys.argv[1]), dedup.__file__
# The library mapped is the installed one, not the build tree'"'"'s.
maps = [l.split()[-1] for l in open("/proc/self/maps") if "libdedup" in l]
assert maps and all(m.startswith(sys.argv[2]) for m in maps), maps
c = dedup.Corpus()
for p in sorted(glob.glob(os.path.join(os.environ["DEDUP_SEEDS"], "*.txt"))):
    c.add(p, open(p, "rb").read())
assert len(c.run().clusters()) == 1, c.clusters()
m = dedup.MinHash(16).update("word")
assert dedup.LSH(0.5, 16).query(m) == []
print("ok", dedup.version())
' "$1" "$libdir")
}
check "$pkgdir"

cp -r "$pysrc" "$tmp/src"  # setuptools writes build/ and egg-info here
rm -rf "$tmp/src/tests" "$tmp/src/_config.py.in" "$tmp/src/check-install.sh"
if "$py" -c 'import setuptools, pip, wheel' 2>/dev/null; then
  "$py" -m pip install --quiet --no-index --no-build-isolation --no-deps \
    --disable-pip-version-check --target "$tmp/pip" "$tmp/src" \
    >"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; exit 1; }
  [ -f "$tmp/pip/dedup/__init__.py" ] || { find "$tmp/pip"; exit 1; }
  check "$tmp/pip"
elif "$py" -c 'import setuptools' 2>/dev/null; then
  # No wheel package (pip cannot build one offline): the PEP 517 backend
  # still builds the sdist, which checks pyproject.toml and the file list.
  (cd "$tmp/src" && "$py" -c '
import sys, tarfile
from setuptools import build_meta
out = sys.argv[1]  # build_sdist rewrites sys.argv
name = build_meta.build_sdist(out)
files = tarfile.open(out + "/" + name).getnames()
assert any(f.endswith("/dedup/__init__.py") for f in files), files
print("sdist", name)
' "$tmp") >"$tmp/sdist.log" 2>&1 || { cat "$tmp/sdist.log"; exit 1; }
  grep '^sdist' "$tmp/sdist.log"
  echo "no wheel package: pip install not tested, sdist built"
else
  echo "no setuptools: pyproject.toml not tested"
fi
