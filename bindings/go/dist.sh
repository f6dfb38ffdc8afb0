#!/usr/bin/env bash
# The Go module as a release, with the native libraries inside:
#   bindings/go/dist.sh NATIVE_DIR OUT_DIR      (scripts/dist.sh runs it: dist/native dist/)
# Writes OUT_DIR/goproxy/, a Go module proxy tree (GOPROXY=file://.../goproxy) holding
# v<library version> of this module: <module>/@v/list, .info, .mod and .zip. The zip carries
# the package sources, the header in native/include/ and NATIVE_DIR's static libraries in
# native/linux-amd64/ and native/linux-arm64/ (the module's default link), but not the tests,
# which need the repository. The same tree goes into
# OUT_DIR/temporal-payload-codec-go-<version>-goproxy.tar.gz, the file to ship.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 NATIVE_DIR OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
native=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)

version=v$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
module=$(sed -n 's/^module //p' "$here/go.mod")
# A proxy escapes upper-case letters in paths (!x); this module path has none.
[[ "$module" =~ ^[a-z0-9./_-]+$ ]] || { echo "dist.sh: module path $module needs case-escaping" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mod="$stage/module"
mkdir -p "$mod/native/include" "$mod/native/linux-amd64" "$mod/native/linux-arm64"
# The package: every non-test .go file of its folder, go.mod, go.sum, the README.
for f in "$here"/*.go; do
  case "$f" in *_test.go) ;; *) cp "$f" "$mod/" ;; esac
done
cp "$here/go.mod" "$here/go.sum" "$here/README.md" "$mod/"
cp "$repo/include/temporal_payload_codec.h" "$here/native/include/doc.go" "$mod/native/include/"
# Go's platform names, from the ones of scripts/dist.sh.
for pair in amd64:linux-x86_64 arm64:linux-aarch64; do
  goarch=${pair%%:*} lib="$native/${pair#*:}/libtemporal_payload_codec.a"
  [ -f "$lib" ] || { echo "dist.sh: $lib is missing (scripts/dist.sh native)" >&2; exit 1; }
  cp "$lib" "$here/native/linux-$goarch/doc.go" "$mod/native/linux-$goarch/"
done

# The .info time and the tarball's are the commit's, so the same commit gives the same files
# (the zip's entries carry no time).
if epoch=$(git -C "$repo" log -1 --format=%ct 2>/dev/null); then :; else epoch=$(date +%s); fi

proxy="$out/goproxy"
at="$proxy/$module/@v"
rm -rf "$proxy"
mkdir -p "$at"
hash=$(cd "$here/tools/modzip" && go run . "$module" "$version" "$mod" "$at/$version.zip")
cp "$here/go.mod" "$at/$version.mod"
printf '{"Version":"%s","Time":"%s"}\n' "$version" "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" >"$at/$version.info"
echo "$version" >"$at/list"

tarball="$out/temporal-payload-codec-go-${version#v}-goproxy.tar.gz"
tar -C "$out" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf - goproxy |
  gzip -n >"$tarball"
echo "dist.sh: $module@$version ($hash), $(du -h "$at/$version.zip" | cut -f1) zip, in $proxy and $(basename "$tarball")" >&2
