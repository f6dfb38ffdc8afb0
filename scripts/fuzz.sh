#!/usr/bin/env bash
# Fuzzes the codec for SECONDS per target (default 60), one target after the other, and fails
# on any crash, panic, broken invariant, leak, OOM or memory-limit violation:
#
#   decode  tpc_codec_decode, and tpc_codec_decode_into with the size-query-and-retry loop
#   encode  tpc_codec_encode, tpc_workspace_encode (one tpc_workspace reused across inputs) and
#           the scatter-gather tpc_codec_encode_gather, which must all agree
#   codec   the Rust API (what the codec server calls): decode(encode(x)) against decode(x)
#
# Usage: scripts/fuzz.sh [SECONDS]     (CI: scripts/fuzz.sh 30, so 90 s of fuzzing in all)
#
# Prints one summary line per target (executions, coverage edges, features, corpus, peak RSS).
# A failing input is kept in fuzz/artifacts/TARGET/ (not committed) and shown in hex; replay it
# with fuzz/target/x86_64-unknown-linux-gnu/release/TARGET FILE.
#
# Inputs, for every target: one selector byte (its low nibble picks the codec configuration)
# and a serialized Payloads. Seeds: the committed corpus (fuzz/corpus/codec, shared by all
# targets: the minimized product of longer runs of codec and encode, inputs up to 4 KiB, about
# 1700 files, 0.9 MB; keep it under 1 MB), every Payloads in the shared vectors, and
# fuzz/seeds.py's batches with length claims and decoded sizes at, under and over the limits
# (made at run time into a temporary directory). Without those last ones,
# the library before the bounded-decode fix (37c03f4) survived 7 minutes of fuzzing from the
# corpus alone; with them its over-reservations fail the run within 2 seconds.
#
# To add a long run's findings to the committed corpus: fuzz into a kept directory DIR seeded
# as below (cargo fuzz run --release TARGET DIR SEEDS... -- -max_total_time=600 plus the flags
# below), then merge (and check every target still runs clean over the result, -runs=0):
#   fuzz/target/x86_64-unknown-linux-gnu/release/TARGET -merge=1 -max_len=4096 fuzz/corpus/codec DIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/lib.sh
seconds=${1:-60}
targets=(decode encode codec)
cargo fuzz --version >/dev/null 2>&1 || die "cargo-fuzz is missing: run scripts/setup.sh"
python=.venv/bin/python
[ -x "$python" ] || die "$python is missing (the seed generator needs cramjam and cryptography): run scripts/setup.sh"

# cargo fuzz has no --locked: check the fuzz crate's own lock file first, so a stale one fails
# here instead of being rewritten silently by the build (and left dirty in the work tree).
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null ||
  die "fuzz/Cargo.lock is out of date: run cargo metadata --manifest-path fuzz/Cargo.toml >/dev/null and commit fuzz/Cargo.lock"
# cargo-fuzz needs nightly flags (-Zsanitizer); RUSTC_BOOTSTRAP lets the stable toolchain take them.
export RUSTC_BOOTSTRAP=1

# --- Memory limits -------------------------------------------------------------------------
# The fuzz codecs are built with small limits (fuzz/src/lib.rs, read from there) so runs are
# fast and the limit checks reachable: 1 MiB per payload and layer, 4 MiB per decode call.
const() {
  local v
  v=$(sed -nE "s/^pub const $1: usize = ([0-9]+)( << ([0-9]+))?;.*/\1 \3/p" fuzz/src/lib.rs)
  [ -n "$v" ] || die "pub const $1 not found in fuzz/src/lib.rs"
  set -- $v
  echo $(($1 << ${2:-0}))
}
mib=$((1 << 20))
max_len=262144 # inputs up to 256 KiB: room for multi-chunk snappy streams and batches of 4 limit-sized payloads
per_payload=$(const MAX_DECODED_SIZE)
per_call=$(const MAX_TOTAL_DECODED_SIZE)
slack=$(const DECODE_SLACK)
# The precise check is in the targets: every Rust allocation is counted, each C ABI call runs
# under the bound below, and the allocation that would cross it aborts the process before it
# is made (so a fallible reservation cannot turn an over-reservation into a quiet error, and
# an overcommitted one that Linux would grant is caught all the same). A decode call may add
#   input + min(output, per_call + input) + 2 x per_payload (zlib room, one nested layer) + slack
# (fuzz/src/lib.rs, decode_bound), at most 6.75 MiB for a 256 KiB input; an encode call
# 4 x input + 256 B per payload + 2 MiB (encode_bound), the 256 B being the wrapper room the
# encoder reserves per payload (128 B) with margin: 35 MiB for 128 Ki empty payloads.
#
# libFuzzer's limits are the backstop, set from the same numbers. -malloc_limit_mb fails the
# run on any single allocation at or over it: the decode target's largest legitimate one is
# its bound at max_len (6.75 MiB, so 7); the encode and codec targets also encode, and an
# encode of max_len bytes of empty payloads legitimately reserves 65 x max_len (16.3 MiB), so
# theirs is the encode bound at max_len (35 MiB, so 36). Before the fix, a seed of 1000 raw
# snappy blocks each claiming the 1 MiB limit made decode reserve 1000 MiB in one malloc.
decode_bound=$((2 * max_len + per_call + 2 * per_payload + slack))
encode_bound=$((4 * max_len + 256 * (max_len / 2) + 2 * mib))
declare -A malloc_mb=(
  [decode]=$((decode_bound / mib + 1))
  [encode]=$((encode_bound / mib + 1))
  [codec]=$((encode_bound / mib + 1))
)
# -rss_limit_mb bounds the whole process's peak RSS: ASan's runtime and shadow (about 90 MB
# measured), its quarantine of freed blocks (capped at 32 MB below; ASan's default of 256 MB
# would dwarf everything else), the corpus libFuzzer holds in memory (tens of MB in a run of a
# few minutes), and one iteration's own memory: a decode call's bound for the decode target;
# for encode and codec the four encodings of an input and the workspace, up to 65 x max_len
# each. Measured peaks: 130-140 MB in 20-second runs.
declare -A rss_mb=([decode]=256 [encode]=384 [codec]=384)
export ASAN_OPTIONS="quarantine_size_mb=32${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/vectors" "$work/seeds"
# Seeds: every Payloads in the shared vectors, behind several selector bytes...
python3 - "$repo/tests/vectors/reference-snappy.json" "$work/vectors" <<'PY'
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
# ...and the batches around the limits.
"$python" fuzz/seeds.py "$work/seeds" "$max_len" || die "fuzz/seeds.py failed"

log "building the fuzz targets"
cargo fuzz build --release >/dev/null 2>&1 || cargo fuzz build --release || die "cargo fuzz build failed"

# One line per target from libFuzzer's final stats; the coverage is the last status line's.
summary() {
  local name=$1 status=$2 log=$3 units rate status_line cov ft corp rss
  units=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
  rss=$(sed -nE 's/^stat::peak_rss_mb: *([0-9]+).*/\1/p' "$log" | tail -1)
  status_line=$(grep -E '^#[0-9]+[[:space:]]' "$log" | grep -E ' cov: ' | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$status_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$status_line")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$status_line")
  printf 'fuzz: %-6s %-6s executed %s units (%s/s), cov %s edges, ft %s features, corpus %s inputs, peak rss %s MB\n' \
    "$name" "$status" "${units:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}"
}

failed=()
lines=()
for t in "${targets[@]}"; do
  # Each target writes what it learns into a directory of its own in $work: the committed
  # corpus is only read, so a run never dirties the work tree.
  mkdir "$work/$t"
  log "fuzzing $t for ${seconds}s (-malloc_limit_mb=${malloc_mb[$t]} -rss_limit_mb=${rss_mb[$t]})"
  status=ok
  if ! cargo fuzz run --release "$t" "$work/$t" fuzz/corpus/codec "$work/vectors" "$work/seeds" -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=120 \
    -malloc_limit_mb="${malloc_mb[$t]}" -rss_limit_mb="${rss_mb[$t]}" \
    -print_final_stats=1 >"$work/$t.log" 2>&1; then
    status=FAILED
    failed+=("$t")
    # The report: from the first sign of trouble, without the (long) stack of frames.
    grep -E 'ERROR: libFuzzer|heap budget exceeded|ERROR: AddressSanitizer|ERROR: LeakSanitizer' "$work/$t.log" | head -5 || true
    grep -A1 -E 'panicked at' "$work/$t.log" | head -8 || true
    artifact=$(sed -nE "s/.*Test unit written to (.*)/\1/p" "$work/$t.log" | tail -1)
    if [ -n "$artifact" ] && [ -f "$artifact" ]; then
      echo "input kept in $artifact ($(stat -c %s "$artifact") bytes)"
      if [ "$(stat -c %s "$artifact")" -le 1024 ]; then
        echo "hex: $(od -An -v -tx1 "$artifact" | tr -d ' \n')"
      fi
    else
      tail -30 "$work/$t.log"
    fi
  elif ! grep -q '^stat::number_of_executed_units' "$work/$t.log"; then
    status=FAILED
    failed+=("$t")
    tail -30 "$work/$t.log"
  fi
  lines+=("$(summary "$t" "$status" "$work/$t.log")")
done

echo
printf '%s\n' "${lines[@]}"
[ ${#failed[@]} -eq 0 ] || die "fuzzing failed: ${failed[*]}"
