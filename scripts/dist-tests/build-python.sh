#!/bin/bash
# Builds CPython 3.11 from source into PREFIX, inside the Debian 11 root of scripts/test-dist-c.sh
# (Debian 11's own python3 is 3.9; temporalio needs 3.10+). The source is Debian 12's python3.11
# source package (`apt-get source`, from the same Debian mirror as everything else: only
# package registries are reachable); its .orig tarball is CPython's release tarball, built as
# it is (no Debian patches), without PGO/LTO or the test modules, to keep the build short.
#
#   build-python.sh PREFIX MIRROR
set -euo pipefail
prefix=$1 mirror=$2
src=/usr/src/tpc-cpython
list=/etc/apt/sources.list.d/tpc-bookworm-src.list
rm -rf "$src" "$prefix"
mkdir -p "$src"
cd "$src"

echo "deb-src $mirror bookworm main" >"$list"
apt-get update -qq
start=$SECONDS
apt-get source -qq --download-only python3.11 2>&1 | grep -v 'unsandboxed as root' || true
ls python3.11_*.orig.tar.* >/dev/null 2>&1 || { echo "apt-get source python3.11 fetched no .orig tarball" >&2; exit 1; }
echo "python3.11 source: $(ls python3.11_*.dsc) ($((SECONDS - start)) s)"
rm -f "$list"
apt-get update -qq

tar -xf python3.11_*.orig.tar.*
cd Python-3.11*/
start=$SECONDS
./configure -q --prefix="$prefix" --disable-test-modules --with-ensurepip=no >"$src/configure.log" 2>&1 ||
  { tail -30 "$src/configure.log" >&2; exit 1; }
make -s -j"$(nproc)" >"$src/make.log" 2>&1 || { tail -40 "$src/make.log" >&2; exit 1; }
echo "CPython built in $((SECONDS - start)) s"
start=$SECONDS
make -s install >"$src/install.log" 2>&1 || { tail -40 "$src/install.log" >&2; exit 1; }
echo "CPython installed in $((SECONDS - start)) s"

# What the test needs: pip over TLS (venv bootstraps it from ensurepip), ctypes for the binding.
"$prefix/bin/python3.11" -c 'import ctypes, ensurepip, ssl, venv, zlib; print("built", __import__("sys").version.split()[0], "with", ssl.OPENSSL_VERSION)'
cd /
rm -rf "$src"
