#!/usr/bin/env bash
# The Go binding's tests, runnable on a fresh machine with Go, Rust and pkg-config:
#   bindings/go/test.sh
# Builds the library and puts it into the module (local-lib.sh: the header and this machine's
# static library under native/), then: gofmt, go vet, the hostile batches under a 4 GiB
# address-space limit, go test -race with the static library of native/ (the default, checked
# to need no .so; the conformance suite of tests/conformance among the tests), the same with
# the shared library (-tags tpc_shared, pkg-config), and the examples.
# The release module (dist.sh) is tested by test-dist.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
examples="$repo/examples/go"

step() { printf '\n== %s\n' "$*"; }

step "build the library, into native/ (local-lib.sh)"
PKG_CONFIG_PATH=$("$here/local-lib.sh" | tail -1)
export PKG_CONFIG_PATH

step "gofmt"
unformatted=$(gofmt -l "$here" "$examples")
if [ -n "$unformatted" ]; then
  echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

step "go vet"
(cd "$here" && go vet ./... && go vet -tags tpc_shared ./...)
(cd "$examples" && go vet ./...)

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

# First, so a library that cannot bound its decoding fails here, within the budget, rather
# than taking down the -race runs below. The binary is compiled outside the limit (the race
# detector's shadow memory would not fit in it) and run from the package directory, where the
# tests find tests/hostile/make_hostile.py.
step "hostile batches under a 4 GiB address-space limit (ulimit -v)"
(cd "$here" && go test -c -o "$bin/limited.test" .)
(cd "$here" && ulimit -v 4194304 && TPC_WANT_ADDRESS_SPACE_LIMIT=$((4194304 * 1024)) \
  "$bin/limited.test" -test.run '^(TestHostileBatches|TestMaxTotalDecodedSize)$' -test.count=1 -test.v) ||
  { echo "the hostile batches failed under the address-space limit"; exit 1; }

step "go test -race (static library of native/, the default)"
(cd "$here" && go test -race -count=1 ./...)
(cd "$here" && go test -c -o "$bin/static.test" .)
if readelf -d "$bin/static.test" | grep -q 'libtemporal_payload_codec'; then
  echo "the default (static) build still needs libtemporal_payload_codec.so"; exit 1
fi
# Run from elsewhere with no library path: a static binary must not need the .so.
(cd "$bin" && env -u LD_LIBRARY_PATH TPC_CONFORMANCE_CASES="$repo/tests/conformance/cases.json" \
  TPC_VECTORS="$repo/tests/vectors/reference-snappy.json" \
  ./static.test -test.run 'TestConformance|TestRawBlockVectors|TestErrorStatuses' -test.count=1) ||
  { echo "static test binary failed"; exit 1; }

step "go test -race -tags tpc_shared (shared library, pkg-config)"
(cd "$here" && go test -race -count=1 -tags tpc_shared ./...)
(cd "$here" && go test -c -tags tpc_shared -o "$bin/shared.test" .)
readelf -d "$bin/shared.test" | grep -q 'NEEDED.*libtemporal_payload_codec.so.2' ||
  { echo "the tpc_shared build does not load libtemporal_payload_codec.so.2"; exit 1; }

step "examples: test and build (shared and static)"
mkdir -p "$bin/shared" "$bin/static"
(cd "$examples" && go test -race -count=1 ./... &&
  go build -o "$bin/static/" ./worker ./starter ./payloadtool &&
  go build -tags tpc_shared -o "$bin/shared/" ./worker ./starter ./payloadtool)
if readelf -d "$bin/static/worker" | grep -q 'libtemporal_payload_codec'; then
  echo "the static worker still needs libtemporal_payload_codec.so"; exit 1
fi
# payloadtool: the reference encoding of each vector, decoded, gives the plain payloads back.
python3 - "$repo/tests/vectors/reference-snappy.json" "$bin" <<'PY'
import base64, json, subprocess, sys
doc = json.load(open(sys.argv[1]))
cases = [c for c in doc["cases"] if "encoded" in c]
for c in cases:
    out = subprocess.run([sys.argv[2] + "/static/payloadtool", "decode", "-"],
                         input=base64.b64decode(c["encoded"]), capture_output=True, check=True).stdout
    assert out == base64.b64decode(c["plain"]), "payloadtool decode differs on " + c.get("name", "?")
print(f"payloadtool decoded {len(cases)} reference vectors")
PY
echo
echo "Go binding: all checks passed"
