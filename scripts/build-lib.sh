#!/usr/bin/env bash
# Builds the release library (target/release/libtemporal_payload_codec.{so,a}) and writes a
# pkg-config file for it, so bindings and C users link the same artifact the same way.
# Prints the pkg-config directory on its last line.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cargo build --release --locked --lib -q
# The library's SONAME is libtemporal_payload_codec.so.<ABI> (build.rs): programs linked with
# -ltemporal_payload_codec ask the loader for that name, so it must exist next to the .so.
abi=$(sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' include/temporal_payload_codec.h)
[ -n "$abi" ] || { echo "no TPC_ABI_VERSION in include/temporal_payload_codec.h" >&2; exit 1; }
ln -sf libtemporal_payload_codec.so "target/release/libtemporal_payload_codec.so.$abi"
pc_dir="$repo/target/release/pkgconfig"
mkdir -p "$pc_dir"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
cat > "$pc_dir/temporal_payload_codec.pc" <<PC
prefix=$repo
libdir=\${prefix}/target/release
includedir=\${prefix}/include

Name: temporal_payload_codec
Description: One Temporal payload codec (snappy, zlib, AES-256-GCM) for every language
Version: $version
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -ltemporal_payload_codec
Libs.private: -lpthread -ldl -lm
Cflags: -I\${includedir}
PC
echo "$pc_dir"
