#!/usr/bin/env bash
# The codec server load benchmark of codec-server/BENCHMARKS.md, loopback only, bounded in time:
#   benches/benches/codec-server.sh [SECONDS]   (measured seconds per run, default 10)
# Servers: tpc-codec-server (release) and a minimal Go server on the Go SDK's
# converter.NewPayloadCodecHTTPHandler with the project's Go binding; both snappy + AES-256-GCM
# with the same key, the same 16 MiB body limit. Load: decode requests of 10 x 4 KiB payloads
# over 64 keep-alive connections, 5% malformed and 1% oversized (17 MiB) bodies.
# Runs, per server: closed loop (as fast as answers come: throughput), then open loop at 80%
# of the Go server's closed-loop throughput (latency at the same offered load); then the same
# open loop with both servers limited to 1 MiB bodies and oversized bodies of 1 MiB + 64 KiB.
# Then the cost of metrics and per-client limits: the same closed loop against this build
# (metrics scraped every second, every limit checked on every request but set above the load)
# and against a build without them (git revision BASELINE_REV, default d96c654, the last one
# before them; built once into target/bench-baseline), alternated ROUNDS times (default 3),
# and the open loop against each.
# Results: one JSON line per run in benches/codec-server/out/, and a table on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"
seconds=${1:-10}
baseline_rev=${BASELINE_REV:-d96c654}
rounds=${ROUNDS:-3}
command -v go >/dev/null || die "go is not installed"
ensure_apt curl
out="$here/out"
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

log "build"
(cd "$repo" && cargo build --locked --release -q -p tpc-codec-server)
PKG_CONFIG_PATH=$("$repo/scripts/build-lib.sh" | tail -1)
export PKG_CONFIG_PATH
(cd "$here" && go build -tags tpc_shared -o "$work/" ./goserver ./loadgen)
log "build: tpc-codec-server at $baseline_rev (without metrics and limits)"
mkdir -p "$work/baseline"
git -C "$repo" archive "$baseline_rev" | tar -x -C "$work/baseline"
CARGO_TARGET_DIR="$repo/target/bench-baseline" cargo build --locked --release -q -p tpc-codec-server \
  --manifest-path "$work/baseline/Cargo.toml"
baseline_bin="$repo/target/bench-baseline/release/tpc-codec-server"
TPC_KEY_HEX=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export TPC_KEY_HEX

wait_up() {
  local deadline=$((SECONDS + 20))
  until curl -s -o /dev/null "$1"; do
    [ $SECONDS -lt $deadline ] || die "$1 did not come up"
    sleep 0.2
  done
}

# write_config FILE PORT LIMIT [EXTRA]: a tpc-codec-server config.
write_config() {
  cat >"$1" <<EOF
[server]
listen = "127.0.0.1:$2"
max_body_bytes = $3
$4
[namespaces.default]
encryption_key_id = "demo-key"
keys = [{ id = "demo-key", env = "TPC_KEY_HEX" }]
EOF
}

# Metrics on and scraped; every per-client limit on, above what the one load generator
# (64 connections from one address) sends, so each request pays for the checks.
metrics_and_limits() {
  cat <<EOF
max_connections_per_address = 256
[metrics]
listen = "127.0.0.1:$1"
[limits]
requests_per_second = 1000000
burst = 1000000
max_concurrent_requests = 128
EOF
}

# start_servers LIMIT: both servers with that body limit, on fresh ports (fresh memory figures).
start_servers() {
  rust_port=$(free_port)
  go_port=$(free_port)
  metrics_port=$(free_port)
  write_config "$work/bench.toml" "$rust_port" "$1" "$(metrics_and_limits "$metrics_port")"
  # Request log lines go to a file, as in production (RUST_LOG=warn would flatter the numbers).
  "$repo/target/release/tpc-codec-server" -c "$work/bench.toml" >>"$work/rust.log" &
  rust_pid=$!
  pids+=("$rust_pid")
  "$work/goserver" -listen "127.0.0.1:$go_port" -max-body-bytes "$1" >>"$work/go.log" 2>&1 &
  go_pid=$!
  pids+=("$go_pid")
  wait_up "http://127.0.0.1:$rust_port/healthz"
  wait_up "http://127.0.0.1:$go_port/"
  # A Prometheus scrape every second, as in production.
  (while sleep 1; do curl -s -o /dev/null "http://127.0.0.1:$metrics_port/metrics"; done) &
  scraper_pid=$!
  pids+=("$scraper_pid")
}

stop_servers() {
  kill -TERM "$rust_pid" "$go_pid" "$scraper_pid"
  wait "$rust_pid" "$go_pid" "$scraper_pid" 2>/dev/null || true
}

# start_baseline LIMIT: the build without metrics and limits, same settings otherwise.
start_baseline() {
  base_port=$(free_port)
  write_config "$work/base.toml" "$base_port" "$1" ""
  "$baseline_bin" -c "$work/base.toml" >>"$work/base.log" &
  base_pid=$!
  pids+=("$base_pid")
  wait_up "http://127.0.0.1:$base_port/healthz"
}

stop_baseline() {
  kill -TERM "$base_pid"
  wait "$base_pid" 2>/dev/null || true
}

# run NAME TAG ARGS...: one load run, its JSON line kept in $out/NAME-TAG.json.
run() {
  local name=$1 tag=$2 url pid
  shift 2
  if [ "$name" = rust ]; then
    url="http://127.0.0.1:$rust_port/decode" pid=$rust_pid
  elif [ "$name" = base ]; then
    url="http://127.0.0.1:$base_port/decode" pid=$base_pid
  else
    url="http://127.0.0.1:$go_port/decode" pid=$go_pid
  fi
  log "$name: $tag $*"
  "$work/loadgen" -name "$name" -url "$url" -pid "$pid" -duration "${seconds}s" -warmup 2s "$@" |
    tee "$out/$name-$tag.json"
}

# Scenario 1, as specified: the default 16 MiB limit, oversized bodies of 17 MiB.
start_servers $((16 << 20))
run go closed
run rust closed
rate=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["rps"] * 0.8))' "$out/go-closed.json")
run go open -rate "$rate"
run rust open -rate "$rate"
stop_servers
# Scenario 2: a 1 MiB limit (Temporal refuses payloads over 2 MB anyway), oversized bodies of
# 1 MiB + 64 KiB: the same mix without ~270 MB/s of 17 MiB uploads competing for the 2 cores.
start_servers $((1 << 20))
run go open-1m -rate "$rate" -oversized-bytes $(((1 << 20) + (64 << 10)))
run rust open-1m -rate "$rate" -oversized-bytes $(((1 << 20) + (64 << 10)))
stop_servers
# The cost of metrics and limits: this build against the baseline, alternated, same settings.
start_servers $((16 << 20))
start_baseline $((16 << 20))
for i in $(seq "$rounds"); do
  run base "overhead-closed-$i"
  run rust "overhead-closed-$i"
done
run base overhead-open -rate "$rate"
run rust overhead-open -rate "$rate"
stop_baseline
stop_servers
lines=$(grep -c '"target":"request"' "$work/rust.log" || true)
echo "tpc-codec-server wrote $lines request log lines"

python3 "$here/table.py" "$out"
