#!/usr/bin/env bash
# The release Go module, installed as a user would:
#   bindings/go/test-dist.sh DIST_DIR          (after scripts/dist.sh; DIST_DIR is usually dist/)
# In a fresh consumer module in a temp folder, with GOPROXY=file://DIST_DIR/goproxy first (the
# other modules from the Go module proxy), no replace, no CGO_ or PKG_CONFIG variables and no
# go env file:
#   1. go get the module, build a program that round-trips payloads, run it (linux/amd64,
#      static: the binary must not need libtemporal_payload_codec.so);
#   2. go mod vendor, build with -mod=vendor and no proxy at all, run it;
#   3. cross-build for linux/arm64 (cgo with zig cc at glibc 2.17, the zig scripts/dist.sh
#      installs in .venv-dist) and run it under qemu-aarch64.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIST_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/scripts/lib.sh"
dist=$(cd "$1" && pwd)
start=$SECONDS

version=v$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
module=$(sed -n 's/^module //p' "$here/go.mod")
zip="$dist/goproxy/$module/@v/$version.zip"
tarball="$dist/temporal-payload-codec-go-${version#v}-goproxy.tar.gz"
[ -f "$zip" ] || die "$zip is missing (scripts/dist.sh go)"
[ -f "$tarball" ] || die "$tarball is missing (scripts/dist.sh go)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ensure_apt qemu-user libc6-arm64-cross
# zig: the one scripts/dist.sh installed, else the same pinned version into a temp venv.
zig=$(find "$repo/.venv-dist/lib" -path '*/ziglang/zig' -type f 2>/dev/null | head -1)
if [ ! -x "$zig" ]; then
  log "installing $(grep '^ziglang==' "$repo/scripts/requirements-dist.txt") into a temp venv"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q --disable-pip-version-check "$(grep '^ziglang==' "$repo/scripts/requirements-dist.txt")" ||
    die "pip install ziglang failed"
  zig=$(find "$work/venv/lib" -path '*/ziglang/zig' -type f | head -1)
  [ -x "$zig" ] || die "no zig binary in the ziglang package"
fi
# The module cache is fresh, so the module can only come from DIST_DIR. The other modules
# come from this machine's module cache when it has them (its download folder is itself a
# proxy tree; this saves the time, not the checks: their hashes are still checked against the
# checksum database), else from the real proxy. The checksum database does not know this
# module (GONOSUMDB; not GOPRIVATE, which would also bypass the proxy and go to git).
host_cache=$(go env GOMODCACHE)/cache/download
proxy="file://$dist/goproxy"
[ -d "$host_cache" ] && proxy="$proxy,file://$host_cache"
proxy="$proxy,https://proxy.golang.org"
gorun() {
  env -u CGO_CFLAGS -u CGO_CPPFLAGS -u CGO_CXXFLAGS -u CGO_LDFLAGS -u PKG_CONFIG_PATH \
    -u PKG_CONFIG_LIBDIR -u LD_LIBRARY_PATH -u GOPRIVATE -u GONOPROXY -u GOINSECURE \
    GOPROXY="$proxy" GONOSUMDB="$module" GOFLAGS="-mod=mod -modcacherw" GOWORK=off \
    GOENV=off GOTOOLCHAIN=local GOMODCACHE="$work/gomodcache" "$@"
}
step_time=$SECONDS

# The file users get holds the tree this test uses.
mkdir "$work/unpacked"
tar -xzf "$tarball" -C "$work/unpacked"
diff -r "$work/unpacked/goproxy" "$dist/goproxy" || die "$(basename "$tarball") differs from $dist/goproxy"
lap() { log "$1 ($((SECONDS - step_time)) s)"; step_time=$SECONDS; }

mkdir -p "$work/consumer"
cd "$work/consumer"
cat >main.go <<'GO'
// A program that uses the released module: payloads through the reference codec and through
// snappy + AES-256-GCM, and back.
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"

	tpc "github.com/temporal-payload-codec/temporal-payload-codec/bindings/go"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

func main() {
	plain := []*commonpb.Payload{
		{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"hello":"from a go get consumer"}`)},
		{Metadata: map[string][]byte{"encoding": []byte("binary/plain")}, Data: bytes.Repeat([]byte("tpc "), 4096)},
	}
	encrypted, err := tpc.New(tpc.WithKey("k1", bytes.Repeat([]byte{7}, 32)), tpc.WithEncryptionKeyID("k1"))
	check(err)
	defer encrypted.Close()
	for _, c := range []struct {
		name     string
		codec    *tpc.Codec
		encoding string
	}{{"default", tpc.Default(), "binary/snappy"}, {"encrypted", encrypted, "binary/encrypted"}} {
		enc, err := c.codec.Encode(plain)
		check(err)
		if got := string(enc[0].Metadata["encoding"]); got != c.encoding {
			fail("%s: encoding %q, want %q", c.name, got, c.encoding)
		}
		dec, err := c.codec.Decode(enc)
		check(err)
		for i := range plain {
			if !proto.Equal(dec[i], plain[i]) {
				fail("%s: payload %d does not round-trip", c.name, i)
			}
		}
		fmt.Printf("%s: %d payloads, %d -> %d bytes and back\n", c.name, len(plain),
			len(plain[1].Data), len(enc[1].Data))
	}
	fmt.Printf("round trip ok: library %s, C ABI %d, %s/%s\n", tpc.Version(), tpc.ABIVersion, runtime.GOOS, runtime.GOARCH)
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}
GO
expect_run() { # expect_run ARCH CMD...: runs from / with an empty library path; wants ARCH
  local arch=$1 out
  shift
  out=$(cd / && env -u LD_LIBRARY_PATH "$@") || { echo "$out"; die "the consumer failed: $*"; }
  echo "$out"
  grep -qx "round trip ok: library ${version#v}, C ABI [0-9]*, linux/$arch" <<<"$out" ||
    die "the consumer did not report a linux/$arch round trip with library ${version#v}"
}
no_shared_lib() {
  if readelf -d "$1" | grep -q 'libtemporal_payload_codec'; then
    die "$1 needs libtemporal_payload_codec.so: the module's static library was not linked"
  fi
}

log "go get $module@$version (GOPROXY=$proxy)"
gorun go mod init example.com/tpc-consumer 2>/dev/null || die "go mod init failed"
gorun go get "$module@$version" || die "go get $module@$version failed"
gorun go mod tidy || die "go mod tidy failed"
grep -q "replace" go.mod && die "the consumer's go.mod has a replace"
cmp -s "$zip" "$work/gomodcache/cache/download/$module/@v/$version.zip" ||
  die "the module in the cache is not DIST_DIR's zip"
grep "^$module $version h1:" go.sum || die "go.sum has no hash of $module@$version"
lap "go get and tidy"

log "build and run (linux/amd64, from the module cache)"
gorun go build -o "$work/bin/amd64/consumer" .
no_shared_lib "$work/bin/amd64/consumer"
expect_run amd64 "$work/bin/amd64/consumer"
lap "amd64 build and run"

log "go mod vendor, then build and run with -mod=vendor and GOPROXY=off"
gorun go mod vendor
for f in native/include/temporal_payload_codec.h native/linux-amd64/libtemporal_payload_codec.a \
  native/linux-arm64/libtemporal_payload_codec.a; do
  [ -f "vendor/$module/$f" ] || die "go mod vendor left out $f"
done
rm -rf "$work/gomodcache" # the vendor folder alone must do
gorun env GOPROXY=off GOFLAGS=-mod=vendor go build -o "$work/bin/vendor/consumer" .
no_shared_lib "$work/bin/vendor/consumer"
expect_run amd64 "$work/bin/vendor/consumer"
lap "vendor build and run"

log "cross-build for linux/arm64 (zig cc, glibc 2.17) from the vendor folder, run under qemu-aarch64"
gorun env GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=1 GOOS=linux GOARCH=arm64 \
  CC="$zig cc -target aarch64-linux-gnu.2.17" go build -o "$work/bin/arm64/consumer" .
readelf -h "$work/bin/arm64/consumer" | grep -q 'Machine:.*AArch64' || die "the arm64 build is not AArch64"
no_shared_lib "$work/bin/arm64/consumer"
glibc=$(readelf -V "$work/bin/arm64/consumer" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
[ "$(printf '%s\n' "$glibc" GLIBC_2.17 | sort -V | tail -1)" = GLIBC_2.17 ] ||
  die "the arm64 binary needs $glibc, above the 2.17 floor"
echo "arm64 binary: newest glibc symbol version $glibc"
expect_run arm64 qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/bin/arm64/consumer"
lap "arm64 cross-build and run"

log "Go module $module@$version: go get, vendor and arm64 all passed in $((SECONDS - start)) s"
