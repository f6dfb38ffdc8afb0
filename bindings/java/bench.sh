#!/usr/bin/env bash
# The Java binding's JMH benchmark (about 4 minutes):
#   bindings/java/bench.sh [OUT.md]
# Builds the library, writes the shared batches (cargo run --release --example bench_data),
# installs the binding into ~/.m2, builds bench/target/benchmarks.jar and runs it: 1 fork, 3x1 s
# warmup, 5x1 s measurement, with the gc profiler for allocations. Prints the markdown tables
# of BENCHMARKS.md (also written to OUT.md when given); the raw JMH JSON stays in bench/target.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mvn=(mvn -B -q --no-transfer-progress -Dstyle.color=never)

# Apart, so that a failed build stops here (a substitution inside dirname's argument would not).
pc_dir=$("$repo/scripts/build-lib.sh" | tail -1)
lib_dir=$(dirname "$pc_dir")
batches="$here/bench/target/batches"
mkdir -p "$batches"
(cd "$repo" && cargo run -q --release --example bench_data -- "$batches" >/dev/null)
(cd "$here" && "${mvn[@]}" install -DskipTests -Dtpc.lib.dir="$lib_dir")
(cd "$here/bench" && "${mvn[@]}" package)

json="$here/bench/target/jmh.json"
java -Dtpc.bench.dir="$batches" -jar "$here/bench/target/benchmarks.jar" \
  -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc -rf json -rff "$json" >"$here/bench/target/jmh.log"

python3 - "$json" "${1:-}" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
score, alloc = {}, {}
for r in runs:
    name = r["benchmark"].rsplit(".", 2)[-2:]
    p = r.get("params", {})
    key = (name[0], name[1], p.get("batch"), p.get("codec"))
    score[key] = (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"])
    g = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
    alloc[key] = g["score"] if g else None
labels = {"batch-100x200.bin": "100 x 200 B", "batch-16x4096.bin": "16 x 4 KiB",
          "batch-4x65536.bin": "4 x 64 KiB", "batch-1x1048576.bin": "1 x 1 MiB"}
out = []
for op in ("encode", "decode"):
    out += [f"### {op}", "",
            "| batch | tpc | snappy-java | snappy-java / tpc | SDK zlib | SDK zlib / tpc | B/op tpc · snappy-java · zlib |",
            "|---|---|---|---|---|---|---|"]
    for b, label in labels.items():
        t, s, z = (score[("CodecBench", op, b, c)] for c in ("tpc", "snappy-java", "sdk-zlib"))
        a = " · ".join(f"{alloc[('CodecBench', op, b, c)]:.0f}" for c in ("tpc", "snappy-java", "sdk-zlib"))
        out.append(f"| {label} | {t[0]:.1f} ± {t[1]:.1f} µs | {s[0]:.1f} ± {s[1]:.1f} µs | {s[0]/t[0]:.2f}x "
                   f"| {z[0]:.1f} ± {z[1]:.1f} µs | {z[0]/t[0]:.2f}x | {a} |")
    out.append("")
out += ["### crossing cost", "", "| call | time | B/op |", "|---|---|---|"]
for m, what in (("abiVersion", "`tpc_abi_version()` (bare JNA direct call)"),
                ("encodeEmptySerialized", "`encodeSerialized(new byte[0])` (one full call, empty Payloads)"),
                ("encodeEmptyList", "`encode(List.of())` (the same through the PayloadCodec API)")):
    v = score[("CrossingBench", m, None, None)]
    out.append(f"| {what} | {v[0]:.1f} ± {v[1]:.1f} ns | {alloc[('CrossingBench', m, None, None)]:.0f} |")
text = "\n".join(out) + "\n"
print(text)
if sys.argv[2]:
    open(sys.argv[2], "w").write(text)
PY
