#!/usr/bin/env bash
# Builds every release artifact into dist/, for x86-64 and aarch64 Linux with a glibc floor of
# 2.17 (manylinux2014), with a SHA256SUMS file:
#   scripts/dist.sh            everything
#   scripts/dist.sh native c   only these steps (names below), after the native libraries
#
# Steps:
#   native  the library per target (cargo-zigbuild: zig links against glibc 2.17's symbols, no
#           old sysroot or container needed; both PyPI packages, pinned in
#           scripts/requirements-dist.txt), stripped, in dist/native/linux-<arch>/
#   c       a tarball per target: the .so with its SONAME and symlinks, the .a, the header, a
#           relocatable pkg-config file and install.sh (PREFIX, DESTDIR)
#   <lang>  each binding's own bindings/<lang>/dist.sh NATIVE_DIR OUT_DIR, and the codec
#           server's codec-server/dist.sh, when present
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
cd "$repo"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
abi=$(sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' include/temporal_payload_codec.h)
dist="$repo/dist"
native="$dist/native"
# Rust target triple and the platform name every package uses for it.
TARGETS=("x86_64-unknown-linux-gnu:linux-x86_64" "aarch64-unknown-linux-gnu:linux-aarch64")
GLIBC_FLOOR=2.17

# The tools: zig and cargo-zigbuild in their own venv, the aarch64 standard library, and
# llvm-strip from rustup (one strip for both architectures).
tools() {
  local req=scripts/requirements-dist.txt venv=.venv-dist
  if [ ! -x "$venv/bin/cargo-zigbuild" ] || ! cmp -s "$req" "$venv/.requirements"; then
    log "dist: installing zig and cargo-zigbuild ($req)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" || die "pip install -r $req failed"
    cp "$req" "$venv/.requirements"
  fi
  export PATH="$repo/$venv/bin:$PATH"
  for pair in "${TARGETS[@]}"; do
    rustup target list --installed | grep -qx "${pair%%:*}" || rustup target add "${pair%%:*}" >/dev/null
  done
  rustup component list --installed | grep -q '^llvm-tools' || rustup component add llvm-tools >/dev/null
  strip_tool=$(find "$(rustc --print sysroot)" -name llvm-strip -type f | head -1)
  [ -x "$strip_tool" ] || die "llvm-strip not found in the Rust sysroot (rustup component add llvm-tools)"
}

step_native() {
  for pair in "${TARGETS[@]}"; do
    local triple=${pair%%:*} platform=${pair##*:} out="$native/${pair##*:}"
    log "dist: the library for $platform (glibc $GLIBC_FLOOR)"
    CARGO_TARGET_DIR="$repo/target/dist" cargo zigbuild -q --release --locked --lib \
      --target "$triple.$GLIBC_FLOOR"
    mkdir -p "$out"
    local built="$repo/target/dist/$triple/release"
    "$strip_tool" --strip-all -o "$out/libtemporal_payload_codec.so" "$built/libtemporal_payload_codec.so"
    "$strip_tool" --strip-debug -o "$out/libtemporal_payload_codec.a" "$built/libtemporal_payload_codec.a"
  done
}

step_c() {
  for pair in "${TARGETS[@]}"; do
    local platform=${pair##*:} name="temporal-payload-codec-$version-${pair##*:}"
    local stage="$dist/stage/$name"
    rm -rf "$stage"
    mkdir -p "$stage/lib/pkgconfig" "$stage/include"
    cp "$native/$platform/libtemporal_payload_codec.so" "$stage/lib/libtemporal_payload_codec.so.$abi"
    ln -s "libtemporal_payload_codec.so.$abi" "$stage/lib/libtemporal_payload_codec.so"
    cp "$native/$platform/libtemporal_payload_codec.a" "$stage/lib/"
    cp include/temporal_payload_codec.h "$stage/include/"
    cat >"$stage/lib/pkgconfig/temporal_payload_codec.pc" <<PC
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: temporal_payload_codec
Description: One Temporal payload codec (snappy, zlib, AES-256-GCM) for every language, C ABI $abi
Version: $version
Libs: -L\${libdir} -ltemporal_payload_codec
Libs.private: -lpthread -ldl -lm
Cflags: -I\${includedir}
PC
    cp scripts/dist/install.sh "$stage/install.sh"
    chmod +x "$stage/install.sh"
    tar -C "$dist/stage" -czf "$dist/$name.tar.gz" --owner=0 --group=0 --numeric-owner "$name"
    log "dist: $name.tar.gz"
  done
}

run_step() {
  case "$1" in
    native) step_native ;;
    c) step_c ;;
    *)
      local script
      for script in "bindings/$1/dist.sh" "$1/dist.sh"; do
        if [ -x "$script" ]; then
          log "dist: $1 ($script)"
          "$script" "$native" "$dist"
          return
        fi
      done
      die "no dist step named $1"
      ;;
  esac
}

start=$SECONDS
tools
if [ $# -gt 0 ]; then
  steps=("$@")
else
  rm -rf "$dist"
  steps=(native c)
  for lang in go java dotnet python node; do [ -x "bindings/$lang/dist.sh" ] && steps+=("$lang"); done
  [ -x codec-server/dist.sh ] && steps+=(codec-server)
fi
mkdir -p "$dist"
for step in "${steps[@]}"; do run_step "$step"; done
rm -rf "$dist/stage"
(cd "$dist" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | sort | xargs -r sha256sum >SHA256SUMS)
log "dist: done in $((SECONDS - start)) s: $(find "$dist" -maxdepth 1 -type f | wc -l) files in dist/"
