#!/usr/bin/env bash
# Does Google's C++ snappy (through xerial snappy-java, the Java benchmark's engine) write the
# same raw blocks as the snap crate (through cramjam, the reference codec's engine)? If it did,
# the faster C++ compressor could serve encode without breaking byte identity.
#   benches/engines/bytes.sh   (about a minute; needs the .venv of scripts/setup.sh)
# Inputs: every 64 KiB piece of the shared batches' serialized payloads (as the framing format
# cuts them), and seeded synthetic ones: word soup, random bytes and short repeats, 10 B to
# 64 KiB. Prints how many blocks are identical, and the first inputs that differ.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
[ -x .venv/bin/python ] || { echo "run scripts/setup.sh first (.venv with cramjam)" >&2; exit 1; }
cargo run -q --release --locked --example bench_data -- "$work/data" >/dev/null
version=$(sed -n '/<artifactId>snappy-java</{n;s/.*<version>\(.*\)<\/version>.*/\1/p}' bindings/java/bench/pom.xml)
mvn -B -q --no-transfer-progress dependency:copy -Dartifact="org.xerial.snappy:snappy-java:$version" \
  -DoutputDirectory="$work" >"$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
jar="$work/snappy-java-$version.jar"
[ -f "$jar" ] || { echo "snappy-java $version did not download" >&2; exit 1; }
.venv/bin/python - "$work" write <<'PY'
import os, random, sys
work = sys.argv[1]
os.makedirs(f"{work}/in")
def pieces(batch):
    at = 0
    while at < len(batch):
        at += 1  # the element's tag
        n = shift = 0
        while True:
            b = batch[at]; at += 1
            n |= (b & 0x7F) << shift; shift += 7
            if b < 0x80: break
        for i in range(at, at + n, 65536):
            yield batch[i:min(at + n, i + 65536)]
        at += n
inputs = []
for name in ["100x200", "16x4096", "4x65536", "1x1048576"]:
    batch = open(f"{work}/data/batch-{name}.bin", "rb").read()
    inputs += [(f"batch {name} piece {i}", p) for i, p in enumerate(pieces(batch))]
rnd = random.Random(7)
words = ["alpha", "beta", '"id":', "12345", "{", "}", "order", "null", "true"]
for size in [10, 100, 1000, 5000, 65536]:
    for k in range(4):
        inputs.append((f"words {size} B #{k}", " ".join(rnd.choice(words) for _ in range(size)).encode()[:size]))
        inputs.append((f"random {size} B #{k}", rnd.randbytes(size)))
        inputs.append((f"repeats {size} B #{k}", (rnd.randbytes(rnd.randint(1, 40)) * size)[:size]))
with open(f"{work}/names.txt", "w") as names:
    for i, (label, data) in enumerate(inputs):
        open(f"{work}/in/{i:05d}", "wb").write(data)
        names.write(label + "\n")
PY
java -cp "$jar" "$here/SnappyJavaBytes.java" "$work/in" "$work/out"
.venv/bin/python - "$work" <<'PY'
import cramjam, os, sys
work = sys.argv[1]
labels = open(f"{work}/names.txt").read().splitlines()
differ = []
for i, label in enumerate(labels):
    data = open(f"{work}/in/{i:05d}", "rb").read()
    cxx = open(f"{work}/out/{i:05d}", "rb").read()
    if bytes(cramjam.snappy.compress_raw(data)) != cxx:
        differ.append(label)
print("snappy-java (C++ snappy) against cramjam (snap), raw blocks:")
for kind in ["batch", "words", "random", "repeats"]:
    total = sum(1 for label in labels if label.startswith(kind))
    bad = sum(1 for label in differ if label.startswith(kind))
    print(f"  {kind:8} {total - bad:4} of {total:4} identical")
for d in differ[:8]:
    print(f"  differs: {d}")
PY
