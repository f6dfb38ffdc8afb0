#!/usr/bin/env bash
# The "Struct layout" table of BENCHMARKS.md: one short JMH run of three variants of the binding,
# side by side, against the same library and batches (about 5 minutes):
#   bindings/java/bench/layout/run.sh [HAND_COMMIT]
#   hand       the binding at HAND_COMMIT (default 14583c5): offsets typed by hand;
#   layout     the working tree: offsets from JNA's Structure layout (Structs.java), memory read
#              through a direct ByteBuffer, as the binding ships;
#   structure  the working tree with structure-per-call.patch: the JNA Structures themselves
#              passed to each call (JNA writes their fields before and reads them after).
# Each: CrossingBench, and CodecBench for tpc on 100 x 200 B and 16 x 4 KiB; 1 fork, 3 x 1 s
# warmup, 5 x 1 s measurement, -prof gc. Leaves the working tree's binding installed in ~/.m2.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
java_dir=$(cd "$here/../.." && pwd)
repo=$(cd "$java_dir/../.." && pwd)
hand=${1:-14583c5}
mvn=(mvn -B -q --no-transfer-progress -Dstyle.color=never)
out="$java_dir/bench/target/layout"
rm -rf "$out" && mkdir -p "$out/batches"

pc_dir=$("$repo/scripts/build-lib.sh" | tail -1)
lib_dir=$(dirname "$pc_dir")
(cd "$repo" && cargo run -q --release --example bench_data -- "$out/batches" >/dev/null)

# A copy of the binding's sources for each variant, then its benchmark jar (the last one built
# is the working tree's, so that is what stays installed).
mkdir -p "$out/hand" "$out/structure" "$out/layout"
git -C "$repo" archive "$hand:bindings/java" | tar -x -C "$out/hand"
for v in structure layout; do
  tar -C "$java_dir" --exclude=./target --exclude=./bench/target -cf - . | tar -x -C "$out/$v"
done
(cd "$out/structure" && patch -s -p1 <"$here/structure-per-call.patch")
for v in hand structure layout; do
  (cd "$out/$v" && "${mvn[@]}" install -Dmaven.test.skip=true -Dtpc.lib.dir="$lib_dir")
  (cd "$out/$v/bench" && "${mvn[@]}" package)
  cp "$out/$v/bench/target/benchmarks.jar" "$out/$v.jar"
done

for v in hand layout structure; do
  java -Dtpc.bench.dir="$out/batches" -jar "$out/$v.jar" 'CrossingBench|CodecBench' \
    -p codec=tpc -p batch=batch-100x200.bin,batch-16x4096.bin \
    -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc -rf json -rff "$out/$v.json" >"$out/$v.log"
done

python3 - "$out" <<'PY'
import json, sys
rows, cols = {}, ("hand", "layout", "structure")
for v in cols:
    for r in json.load(open(f"{sys.argv[1]}/{v}.json")):
        name = r["benchmark"].rsplit(".", 1)[-1]
        batch = r.get("params", {}).get("batch", "")
        key = f"{name} {batch.removeprefix('batch-').removesuffix('.bin')}".strip()
        m = r["primaryMetric"]
        g = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
        rows.setdefault(key, {})[v] = (m["score"], m["scoreError"], m["scoreUnit"], g["score"] if g else 0)
print("| call | hand-typed offsets | JNA layout, read at offsets | JNA Structures per call | B/op (same order) |")
print("|---|---|---|---|---|")
for key, vals in rows.items():
    cells = [f"{vals[v][0]:.1f} ± {vals[v][1]:.1f} {vals[v][2].replace('/op', '').replace('us', 'µs')}" for v in cols]
    alloc = " · ".join(f"{vals[v][3]:.0f}" for v in cols)
    print(f"| {key} | " + " | ".join(cells) + f" | {alloc} |")
PY
