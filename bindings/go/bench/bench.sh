#!/usr/bin/env bash
# The Go benchmark of ../BENCHMARKS.md: bindings/go/bench/bench.sh [ROUNDS]  (default 9)
# Regenerates the shared batches, then runs this codec, a pure-Go golang/snappy framing
# codec and the SDK's zlib codec side by side, ROUNDS times in one compiled test binary
# (BenchmarkCodecs in ../bench_test.go), and prints the table (medians over rounds) with the
# targets checked. Raw output: $TMPDIR/tpc-go-bench-raw.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binding=$(cd "$here/.." && pwd)
repo=$(cd "$binding/../.." && pwd)
rounds=${1:-9}
PKG_CONFIG_PATH=$("$repo/scripts/build-lib.sh" | tail -1)
export PKG_CONFIG_PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && cargo run -q --release --locked --example bench_data -- "$work/data" >/dev/null)
# The shared library through pkg-config, as the table was measured (the module's default, the
# static library of native/, needs local-lib.sh first).
(cd "$binding" && go test -c -tags tpc_shared -o "$work/bench.test" .)
raw=${TMPDIR:-/tmp}/tpc-go-bench-raw.txt
: > "$raw"
for round in $(seq "$rounds"); do
  echo "round $round/$rounds" >&2
  # Rounds interleave the batches in time, so a noisy neighbour hits all codecs alike.
  TPC_BENCH_DATA="$work/data" "$work/bench.test" -test.run '^$' -test.bench 'BenchmarkCodecs' \
    -test.benchmem -test.benchtime 0.5s -test.count 1 | tee -a "$raw" | grep -E '^(goos|goarch|cpu):' >&2 || true
done
echo "raw output: $raw" >&2
(cd "$binding" && go run ./bench/benchtable < "$raw")
