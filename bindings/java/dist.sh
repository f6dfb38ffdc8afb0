#!/usr/bin/env bash
# The Java release artifacts, one Maven artifact for every supported platform:
#   bindings/java/dist.sh NATIVE_DIR OUT_DIR      (scripts/dist.sh calls it: dist/native dist/)
# NATIVE_DIR holds scripts/dist.sh's stripped libraries, linux-x86_64/ and linux-aarch64/.
# Writes OUT_DIR/temporal-payload-codec-VERSION.jar, the jar with both libraries in JNA's resource
# folders (linux-x86-64/, linux-aarch64/), so that it loads with no library path on either, and
# OUT_DIR/temporal-payload-codec-VERSION.pom, its POM (dependencies: temporal-sdk, jna), the pair
# `mvn install:install-file` or `mvn deploy:deploy-file` takes. VERSION is the pom's, which must
# be Cargo.toml's. bindings/java/test-dist.sh OUT_DIR installs and checks them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"

[ $# -eq 2 ] || die "usage: $0 NATIVE_DIR OUT_DIR"
[ -d "$1" ] || die "$1 is not a directory: run scripts/dist.sh native first"
native=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
ensure_apt openjdk-17-jdk-headless maven

# The pom's own version (the first <version>, the project's) against the library's.
version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$here/pom.xml" | head -1)
lib_version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
[ "$version" = "$lib_version" ] ||
  die "bindings/java/pom.xml has version $version, Cargo.toml $lib_version: make them equal"

# Entry times of the last commit, so that the same tree gives the same jar.
stamp=$(git -C "$repo" log -1 --format=%cI 2>/dev/null || true)
args=(-B --no-transfer-progress -Dstyle.color=never -Pdist -DskipTests -Dtpc.native.dir="$native")
[ -n "$stamp" ] && args+=(-Dproject.build.outputTimestamp="$stamp")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd "$here" && mvn "${args[@]}" clean package >"$log" 2>&1) || { cat "$log" >&2; die "mvn package -Pdist failed"; }

jar="$here/target/dist/temporal-payload-codec-$version.jar"
[ -f "$jar" ] || die "$jar was not built"
listing=$(cd "$here" && jar tf "$jar")
for platform in linux-x86-64 linux-aarch64; do
  grep -qx "$platform/libtemporal_payload_codec.so" <<<"$listing" ||
    die "$jar lacks $platform/libtemporal_payload_codec.so"
done
cp "$jar" "$out/temporal-payload-codec-$version.jar"
cp "$here/pom.xml" "$out/temporal-payload-codec-$version.pom"
echo "dist: temporal-payload-codec-$version.jar ($(du -k "$jar" | cut -f1) KiB) and .pom"
