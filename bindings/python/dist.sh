#!/usr/bin/env bash
# The Python packages, called by scripts/dist.sh (or by hand after `scripts/dist.sh native`):
#   bindings/python/dist.sh NATIVE_DIR OUT_DIR
# Writes into OUT_DIR:
#   temporal_payload_codec-VERSION.tar.gz                          the sdist: the package and the
#       Rust sources it builds the library from with cargo (setup.py puts them under rust/)
#   temporal_payload_codec-VERSION-py3-none-manylinux_2_17_ARCH.whl  for x86_64 and aarch64: the
#       package with NATIVE_DIR/linux-ARCH/libtemporal_payload_codec.so (stripped, glibc 2.17)
# Each wheel is built from the sdist with TPC_LIBRARY_PATH naming the release library, and
# `auditwheel show` must find it consistent with exactly the tag it carries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/scripts/lib.sh"
[ $# -eq 2 ] || die "usage: $0 NATIVE_DIR OUT_DIR"
native=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
py_version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/pyproject.toml" | head -1)
[ "$version" = "$py_version" ] || die "bindings/python/pyproject.toml has version $py_version, Cargo.toml $version"
name=temporal_payload_codec-$version

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements-dist.txt" \
  || die "pip install -r bindings/python/requirements-dist.txt failed"
py="$tmp/venv/bin/python"

log "python: sdist"
# Unset: the sdist build does not read it, and the wheels below set their own.
unset TPC_LIBRARY_PATH
"$py" -m build -q --sdist --outdir "$tmp/sdist" "$here" >"$tmp/sdist.log" 2>&1 \
  || { cat "$tmp/sdist.log"; die "python -m build --sdist failed"; }
sdist="$tmp/sdist/$name.tar.gz"
[ -f "$sdist" ] || die "the sdist is not $name.tar.gz: $(ls "$tmp/sdist")"
listing=$(tar tzf "$sdist")
for file in rust/Cargo.toml rust/Cargo.lock rust/build.rs rust/cbindgen.toml rust/src/lib.rs rust/core/src/lib.rs \
  rust/include/temporal_payload_codec.h src/temporal_payload_codec/_native.py; do
  grep -qx "$name/$file" <<<"$listing" || die "the sdist lacks $file"
done

for arch in x86_64 aarch64; do
  tag=py3-none-manylinux_2_17_$arch
  library="$native/linux-$arch/libtemporal_payload_codec.so"
  [ -f "$library" ] || die "$library is missing (scripts/dist.sh native)"
  log "python: wheel $tag"
  # A fresh copy of the sdist per wheel, so no build/ folder carries one library into the other.
  mkdir -p "$tmp/src-$arch"
  tar xzf "$sdist" -C "$tmp/src-$arch"
  TPC_LIBRARY_PATH="$library" "$py" -m build -q --wheel --outdir "$tmp/wheels" \
    -C--build-option=--plat-name=manylinux_2_17_$arch "$tmp/src-$arch/$name" >"$tmp/wheel-$arch.log" 2>&1 \
    || { cat "$tmp/wheel-$arch.log"; die "python -m build --wheel ($arch) failed"; }
  wheel="$tmp/wheels/$name-$tag.whl"
  [ -f "$wheel" ] || die "no $name-$tag.whl: $(ls "$tmp/wheels")"
  cmp -s "$library" <(unzip -p "$wheel" temporal_payload_codec/libtemporal_payload_codec.so) \
    || die "$wheel does not hold $library"
  # auditwheel wraps its lines: join them before reading the tag it names.
  report=$("$tmp/venv/bin/auditwheel" show "$wheel" 2>&1) || { echo "$report"; die "auditwheel show failed on $wheel"; }
  found=$(tr -s '\n ' '  ' <<<"$report" | sed -n 's/.*consistent with the following platform tag: "\([^"]*\)".*/\1/p')
  [ "$found" = "manylinux_2_17_$arch" ] \
    || { echo "$report"; die "auditwheel: $wheel is consistent with \"$found\", its tag says manylinux_2_17_$arch"; }
  echo "auditwheel show: $name-$tag.whl is consistent with manylinux_2_17_$arch" >&2
  cp "$wheel" "$out/"
done
cp "$sdist" "$out/"
echo "python: $(cd "$out" && ls -l "$name.tar.gz" "$name"-py3-none-*.whl | awk '{print $5, $9}' | tr '\n' ' ')" >&2
