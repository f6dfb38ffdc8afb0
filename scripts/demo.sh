#!/usr/bin/env bash
# The main demo: builds the library and the C example, then round-trips payloads through it,
# first with the default (reference snappy) codec, then with zlib + AES-256-GCM.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
command -v cargo >/dev/null || { echo "cargo is needed: install Rust (rustup.rs)" >&2; exit 1; }
command -v gcc >/dev/null || { echo "gcc is needed (apt-get install build-essential)" >&2; exit 1; }
echo "== building the library (release)"
lib=$(scripts/build-lib.sh | tail -1)/..
mkdir -p target/c-tests
gcc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude examples/c/payload_tool.c \
    -L"$lib" -Wl,-rpath,"$(cd "$lib" && pwd)" -ltemporal_payload_codec -o target/c-tests/payload_tool
echo
echo "== the default codec (byte-identical to the reference Python codec)"
target/c-tests/payload_tool
echo
echo "== zlib + AES-256-GCM with key id demo-key"
TPC_COMPRESSION=zlib TPC_KEY_HEX=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
    target/c-tests/payload_tool
