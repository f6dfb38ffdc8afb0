#!/usr/bin/env bash
# Fuzzes encode and decode (fuzz/fuzz_targets/codec.rs) for SECONDS (default 60), starting from
# the committed corpus plus the shared vectors. A crash fails the run and leaves its input in
# fuzz/artifacts/codec/. Usage: scripts/fuzz.sh [SECONDS]
#
# The committed corpus is the minimized product of longer runs, kept to inputs up to 4 KiB so
# it stays small (about 1100 files, 0.5 MB), so a short run starts where those ended. To add a
# long run's findings: fuzz into a kept directory DIR seeded like below (cargo fuzz run
# --release codec DIR -- -max_total_time=600 -max_len=262144), then
#   fuzz/target/x86_64-unknown-linux-gnu/release/codec -merge=1 -max_len=4096 fuzz/corpus/codec DIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/lib.sh
seconds=${1:-60}
cargo fuzz --version >/dev/null 2>&1 || die "cargo-fuzz is missing: run scripts/setup.sh"

# cargo fuzz has no --locked: check the fuzz crate's own lock file first, so a stale one fails
# here instead of being rewritten silently by the build (and left dirty in the work tree).
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null ||
  die "fuzz/Cargo.lock is out of date: run cargo metadata --manifest-path fuzz/Cargo.toml >/dev/null and commit fuzz/Cargo.lock"
# cargo-fuzz needs nightly flags (-Zsanitizer); RUSTC_BOOTSTRAP lets the stable toolchain take them.
export RUSTC_BOOTSTRAP=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Seeds: the committed corpus and every Payloads in the shared vectors, behind each selector byte.
python3 - "$repo/tests/vectors/reference-snappy.json" "$work" <<'PY'
import base64, json, sys
doc = json.load(open(sys.argv[1]))
n = 0
def walk(v):
    global n
    if isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, str) and len(v) >= 4:
        try:
            raw = base64.b64decode(v, validate=True)
        except Exception:
            return
        for sel in (0, 1, 2, 3, 9, 11):
            open(f"{sys.argv[2]}/v{n}-{sel}", "wb").write(bytes([sel]) + raw)
        n += 1
walk(doc)
PY
# Run on a copy: what the fuzzer learns must not dirty the work tree during tests.
cp fuzz/corpus/codec/* "$work"/
log "fuzzing encode/decode for ${seconds}s"
cargo fuzz run --release codec "$work" -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 2>&1 | tail -15
