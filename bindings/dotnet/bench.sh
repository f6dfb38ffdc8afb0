#!/usr/bin/env bash
# The .NET binding's benchmark: per-call time of TpcCodec.Default.Encode/Decode under Mono
# against the same tpc_codec_encode/tpc_codec_decode calls (a codec built with no options) from
# C, on the core benchmark's batches.
#   bindings/dotnet/bench.sh [ROUNDS] [SECONDS]    (default 5 rounds of 0.5 s per measurement)
# Prints a Markdown table of medians and the ratio .NET / C (the P/Invoke and copy overhead).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
rounds=${1:-5}
seconds=${2:-0.5}
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"
ensure_apt mono-complete gcc libc6-dev

"$repo/scripts/build-lib.sh" >/dev/null
lib="$repo/target/release"
out="$here/out/bench"
mkdir -p "$out/data"
(cd "$repo" && cargo run -q --release --example bench_data -- "$out/data") >/dev/null
mcs -nologo -optimize+ -target:library -out:"$out/TemporalPayloadCodec.dll" "$here"/src/TemporalPayloadCodec/*.cs
mcs -nologo -optimize+ -out:"$out/Bench.exe" -r:"$out/TemporalPayloadCodec.dll" "$here/bench/Bench.cs"
cc -O2 -Wall -Wextra -Werror -I"$repo/include" -o "$out/bench_c" "$here/bench/bench_c.c" \
  -L"$lib" -Wl,-rpath,"$lib" -ltemporal_payload_codec

: > "$out/results.txt"
for r in $(seq "$rounds"); do
  echo "round $r of $rounds" >&2
  "$out/bench_c" "$out/data" "$seconds" | sed 's/^/c /' >> "$out/results.txt"
  LD_LIBRARY_PATH="$lib" mono "$out/Bench.exe" "$out/data" "$seconds" | sed 's/^/dotnet /' >> "$out/results.txt"
done

python3 - "$out/results.txt" "$rounds" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    who, op, batch, us = line.split()
    runs.setdefault((op, batch, who), []).append(float(us))
names = {"100x200": "100 x 200 B", "16x4096": "16 x 4 KiB", "4x65536": "4 x 64 KiB", "1x1048576": "1 x 1 MiB"}
print("| op | batch | C (µs/call) | .NET on Mono (µs/call) | .NET / C | overhead (µs/call) | rounds |")
print("|---|---|---|---|---|---|---|")
for op in ("encode", "decode"):
    for batch in names:
        c = statistics.median(runs[(op, batch, "c")])
        d = statistics.median(runs[(op, batch, "dotnet")])
        print(f"| {op} | {names[batch]} | {c:.2f} | {d:.2f} | {d / c:.2f}x | {d - c:.2f} | {sys.argv[2]} |")
PY
