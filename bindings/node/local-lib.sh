#!/usr/bin/env bash
# Puts this checkout's release library where the package loads it from:
# native/<platform>-<arch>/libtemporal_payload_codec.so.2 (gitignored). Run after
# scripts/build-lib.sh. The packaging step (dist.sh) fills both platforms from dist/ instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
lib="$repo/target/release/libtemporal_payload_codec.so"
[ -f "$lib" ] || { echo "$lib is missing: run scripts/build-lib.sh first" >&2; exit 1; }
platform=$(node -p 'process.platform + "-" + process.arch')
abi=$(sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' "$repo/include/temporal_payload_codec.h")
mkdir -p "$here/native/$platform"
cp "$lib" "$here/native/$platform/libtemporal_payload_codec.so.$abi.tmp"
mv "$here/native/$platform/libtemporal_payload_codec.so.$abi.tmp" "$here/native/$platform/libtemporal_payload_codec.so.$abi"
echo "$here/native/$platform/libtemporal_payload_codec.so.$abi"
