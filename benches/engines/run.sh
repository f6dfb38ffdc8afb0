#!/usr/bin/env bash
# The raw snappy engines side by side, without framing, CRC, protobuf or any binding:
#   benches/engines/run.sh [ROUNDS]   (default 5; about 2 minutes)
# The Rust `snap` crate (what the core runs, benches/tools/engine_snap.rs), golang/snappy (amd64
# assembly, what the Go benchmark's pure-Go codec runs, BenchmarkEngineGolangSnappy) and
# xerial snappy-java (Google's C++ snappy over JNI, what the Java benchmark's snappy-java codec
# runs, SnappyJavaRaw.java), on the same pieces: each serialized payload of the shared batches
# cut into 64 KiB pieces, raw blocks, reused buffers. The three run one after another in each
# round, and golang/snappy also decodes the blocks snap wrote, to tell engine from stream. Per
# engine and batch the table shows the median over rounds of each round's figure (Rust and
# Java: the best of 300 passes; Go: the mean of a 0.3 s `go test -bench` run).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
rounds=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
PKG_CONFIG_PATH=$(scripts/build-lib.sh | tail -1)
export PKG_CONFIG_PATH
cargo run -q --release --locked --example bench_data -- "$work/data" >/dev/null
cargo build -q --release --locked --example engine_snap
(cd bindings/go && go test -tags tpc_shared -c -o "$work/go.test" .)
version=$(sed -n '/<artifactId>snappy-java</{n;s/.*<version>\(.*\)<\/version>.*/\1/p}' bindings/java/bench/pom.xml)
mvn -B -q --no-transfer-progress dependency:copy -Dartifact="org.xerial.snappy:snappy-java:$version" \
  -DoutputDirectory="$work"
jar="$work/snappy-java-$version.jar"
[ -f "$jar" ] || { echo "snappy-java $version did not download" >&2; exit 1; }
raw="$work/raw.tsv"
for round in $(seq "$rounds"); do
  echo "round $round/$rounds" >&2
  target/release/examples/engine_snap "$work/data" 300 >>"$raw"
  TPC_BENCH_DATA="$work/data" "$work/go.test" -test.run '^$' -test.bench BenchmarkEngineGolangSnappy \
    -test.benchtime 0.3s | awk '/^BenchmarkEngineGolangSnappy\// {
      split($1, part, "/"); sub(/-[0-9]+$/, "", part[3]); print part[2] "\t" part[3] "\t" $3 }' |
    awk -F'\t' '{ v[$1, $2] = $3; names[$1] = 1 } END {
      for (n in names) {
        print "golang/snappy\t" n "\t" v[n, "compress"] "\t" v[n, "decompress"]
        print "golang/snappy-on-snap\t" n "\tnan\t" v[n, "decompress-snap"] } }' >>"$raw"
  java -cp "$jar" "$here/SnappyJavaRaw.java" "$work/data" 300 >>"$raw"
done
python3 - "$raw" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    engine, batch, c, d = line.split()
    times.setdefault((engine, batch), []).append((float(c), float(d)))
med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in times.items()}
engines = ["snap", "golang/snappy", "snappy-java"]
for i, op in enumerate(["compress", "decompress"]):
    print(f"### raw {op}, per batch (median of rounds)\n")
    print("| batch | snap (Rust, the core) | golang/snappy (Go asm) | snappy-java (C++) | snap / golang/snappy | snap / C++ snappy |")
    print("|---|---|---|---|---|---|")
    for batch in ["100x200", "16x4096", "4x65536", "1x1048576"]:
        t = [med[(e, batch)][i] / 1000 for e in engines]
        print(f"| {batch} | {t[0]:.1f} µs | {t[1]:.1f} µs | {t[2]:.1f} µs | {t[0]/t[1]:.2f}x | {t[0]/t[2]:.2f}x |")
    print()
# Each engine above decodes its own compressor's blocks. golang/snappy decoding the blocks snap
# wrote tells whether its lead comes from the engine or from an easier stream.
print("### golang/snappy decompressing snap's blocks (median of rounds)\n")
print("| batch | golang/snappy, its own blocks | golang/snappy, snap's blocks | snap, its own blocks | snap / golang/snappy on snap's blocks |")
print("|---|---|---|---|---|")
for batch in ["100x200", "16x4096", "4x65536", "1x1048576"]:
    own, cross, snap = (med[(e, batch)][1] / 1000 for e in ["golang/snappy", "golang/snappy-on-snap", "snap"])
    print(f"| {batch} | {own:.1f} µs | {cross:.1f} µs | {snap:.1f} µs | {snap/cross:.2f}x |")
print()
PY
