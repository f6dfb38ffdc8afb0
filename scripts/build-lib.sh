#!/usr/bin/env bash
# Builds the release library (target/release/libtemporal_payload_codec.{so,a}) and writes a
# pkg-config file for it, so bindings and C users link the same artifact the same way.
# Prints the pkg-config directory on its last line.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cargo build --release --locked --lib -q
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
