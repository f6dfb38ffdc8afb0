#!/usr/bin/env bash
# The codec server as release tarballs, one per target, for Linux with a glibc floor of 2.17:
#   codec-server/dist.sh NATIVE_DIR OUT_DIR      (scripts/dist.sh runs it: dist/native dist/)
# Writes OUT_DIR/tpc-codec-server-<version>-linux-x86_64.tar.gz and -linux-aarch64.tar.gz
# (<version>: codec-server/Cargo.toml, the version the binary reports), each one folder of the
# same name holding:
#   tpc-codec-server             the binary (cargo zigbuild --release --locked, stripped)
#   codec-server.example.toml    a config that runs as is (snappy, no keys, no auth, loopback)
#   README.md                    codec-server/README.md
#   Dockerfile                   codec-server/Dockerfile (builds an image from this tarball)
#   LICENSE                      the repository's, when it has one
# NATIVE_DIR is not used: the server links the core crate, not the C library.
# Needs cargo-zigbuild and zig on PATH (scripts/dist.sh puts its .venv-dist/bin there; run
# alone, this uses .venv-dist when scripts/dist.sh made it) and llvm-strip from rustup.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 NATIVE_DIR OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$repo/scripts/lib.sh"
mkdir -p "$2"
out=$(cd "$2" && pwd)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -1)
[ -n "$version" ] || die "dist.sh: no version in $here/Cargo.toml"
GLIBC_FLOOR=2.17
TARGETS=("x86_64-unknown-linux-gnu:linux-x86_64" "aarch64-unknown-linux-gnu:linux-aarch64")

if ! command -v cargo-zigbuild >/dev/null && [ -x "$repo/.venv-dist/bin/cargo-zigbuild" ]; then
  export PATH="$repo/.venv-dist/bin:$PATH"
fi
command -v cargo-zigbuild >/dev/null || die "dist.sh: cargo-zigbuild is not on PATH (scripts/dist.sh installs it into .venv-dist)"
for pair in "${TARGETS[@]}"; do
  rustup target list --installed | grep -qx "${pair%%:*}" || rustup target add "${pair%%:*}" >/dev/null
done
rustup component list --installed | grep -q '^llvm-tools' || rustup component add llvm-tools >/dev/null
strip_tool=$(find "$(rustc --print sysroot)" -name llvm-strip -type f | head -1)
[ -x "$strip_tool" ] || die "dist.sh: llvm-strip not found in the Rust sysroot (rustup component add llvm-tools)"

# The tarballs' times are the commit's, so one commit gives the same tarball layout.
if epoch=$(git -C "$repo" log -1 --format=%ct 2>/dev/null); then :; else epoch=$(date +%s); fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for pair in "${TARGETS[@]}"; do
  triple=${pair%%:*} platform=${pair##*:}
  name="tpc-codec-server-$version-$platform"
  log "dist: tpc-codec-server for $platform (glibc $GLIBC_FLOOR)"
  # Thin LTO over 16 codegen units rather than the library's fat LTO over one: the server's
  # dependency tree (tokio, hyper, rustls) takes several minutes per target that way on 2 cores,
  # for the 2-3% the library measured (BENCHMARKS.md); the server's own figures were measured on
  # a plain release build.
  (cd "$repo" && CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_TARGET_DIR="$repo/target/dist-server" cargo zigbuild -q --release --locked \
    -p tpc-codec-server --target "$triple.$GLIBC_FLOOR")
  dir="$stage/$name"
  mkdir -p "$dir"
  "$strip_tool" --strip-all -o "$dir/tpc-codec-server" "$repo/target/dist-server/$triple/release/tpc-codec-server"
  chmod 755 "$dir/tpc-codec-server"
  cp "$here/README.md" "$here/Dockerfile" "$dir/"
  for license in "$repo"/LICENSE*; do
    [ -f "$license" ] && cp "$license" "$dir/"
  done
  cat >"$dir/codec-server.example.toml" <<'TOML'
# tpc-codec-server: an example configuration that runs as is, for a first look with
# `temporal server start-dev` (every setting and its default is in README.md, "Configuration"):
#   ./tpc-codec-server --config codec-server.example.toml
#   temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888
# As it stands: snappy for every namespace, no keys, no auth, loopback only. Anyone who can
# call /decode reads the payloads: add auth before listening beyond loopback.

[server]
listen = "127.0.0.1:8888"

[cors]
# The Web UI of `temporal server start-dev`; exact scheme://host[:port] of your UI otherwise.
allowed_origins = ["http://localhost:8233"]

# Any namespace (one [namespaces.<name>] table per namespace takes precedence over this).
[namespaces."*"]
compression = "snappy"          # none | snappy | snappy-raw | zlib

# To encrypt with AES-256-GCM, a 32-byte key as 64 hex characters in an environment variable
# (secrets never go in this file):
# encryption_key_id = "key-2026"
# keys = [{ id = "key-2026", env = "TPC_KEY_HEX" }]

# Bearer tokens (readers may decode, writers also encode), from the environment or files:
# [namespaces."*".auth]
# tokens = [
#   { role = "reader", env = "CODEC_READER_TOKEN" },
#   { role = "writer", file = "/run/secrets/codec-writer-token" },
# ]
TOML
  tar -C "$stage" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf - "$name" |
    gzip -n >"$out/$name.tar.gz"
  log "dist: $name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1); binary $(du -h "$dir/tpc-codec-server" | cut -f1))"
done
