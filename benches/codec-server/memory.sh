#!/usr/bin/env bash
# Peak memory of one large request, tpc-codec-server against the Go SDK's handler, loopback
# only (codec-server/BENCHMARKS.md, "Memory per request"):
#   benches/codec-server/memory.sh [REQUESTS]     (requests per server, default 5)
# The body: 400 000 tiny payloads, {"metadata":{"e":"eA=="},"data":"MTIz"}, 16 000 000 bytes
# (15.3 MiB, under both servers' 16 MiB limit), sent to /decode one request at a time. Each
# server starts fresh; its VmHWM (peak resident set since it started, /proc/PID/status) is read
# after the first request and after the last. TPC_CODEC_SERVER_BIN=path measures another
# build of tpc-codec-server (the default is the release build of this tree).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"
requests=${1:-5}
[[ "$requests" =~ ^[1-9][0-9]*$ ]] || die "REQUESTS must be a positive number, not $requests"
command -v go >/dev/null || die "go is not installed"
ensure_apt curl
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

server=${TPC_CODEC_SERVER_BIN:-}
if [ -z "$server" ]; then
  log "build"
  (cd "$repo" && cargo build --locked --release -q -p tpc-codec-server)
  server="$repo/target/release/tpc-codec-server"
fi
[ -x "$server" ] || die "$server is not an executable"
PKG_CONFIG_PATH=$("$repo/scripts/build-lib.sh" | tail -1)
export PKG_CONFIG_PATH
(cd "$here" && go build -tags tpc_shared -o "$work/" ./goserver)
TPC_KEY_HEX=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export TPC_KEY_HEX

python3 - "$work/body.json" <<'PY'
import sys
one = '{"metadata":{"e":"eA=="},"data":"MTIz"}'
body = '{"payloads":[' + ",".join([one] * 400_000) + "]}"
open(sys.argv[1], "w").write(body)
PY
body_bytes=$(stat -c %s "$work/body.json")

wait_up() {
  local deadline=$((SECONDS + 20))
  until curl -s -o /dev/null "$1"; do
    [ $SECONDS -lt $deadline ] || die "$1 did not come up"
    sleep 0.2
  done
}

hwm_mib() { # hwm_mib PID: VmHWM in MiB
  awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}
rss_mib() {
  awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

# measure NAME URL PID: sends the body $requests times, prints one table row.
measure() {
  local name=$1 url=$2 pid=$3 idle first code seconds total=0 i
  idle=$(hwm_mib "$pid")
  for i in $(seq "$requests"); do
    read -r code seconds < <(curl -sS -o "$work/resp.json" -w '%{http_code} %{time_total}\n' \
      -H 'content-type: application/json' -H 'x-namespace: default' \
      --data-binary @"$work/body.json" "$url")
    [ "$code" = 200 ] || die "$name answered $code: $(head -c 300 "$work/resp.json")"
    python3 -c 'import json,sys; n=len(json.load(open(sys.argv[1]))["payloads"]); sys.exit(n != 400000 and f"{n} payloads back")' "$work/resp.json"
    total=$(python3 -c "print($total + $seconds)")
    [ "$i" -gt 1 ] || first=$(hwm_mib "$pid")
  done
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$idle" "$first" "$(hwm_mib "$pid")" \
    "$(rss_mib "$pid")" "$(python3 -c "print(round($total / $requests * 1000))")"
}

rust_port=$(free_port)
go_port=$(free_port)
cat >"$work/server.toml" <<EOF
[server]
listen = "127.0.0.1:$rust_port"
[namespaces.default]
encryption_key_id = "demo-key"
keys = [{ id = "demo-key", env = "TPC_KEY_HEX" }]
EOF

echo
echo "body: $body_bytes bytes, 400000 payloads; $requests requests per server, one at a time"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"
echo
echo "| server | peak RSS idle (MiB) | peak RSS after 1 request | peak RSS after $requests | RSS at the end | mean request ms |"
echo "|---|---:|---:|---:|---:|---:|"
"$server" -c "$work/server.toml" >"$work/rust.log" 2>&1 &
rust_pid=$!
pids+=("$rust_pid")
wait_up "http://127.0.0.1:$rust_port/healthz"
measure tpc-codec-server "http://127.0.0.1:$rust_port/decode" "$rust_pid"
kill -TERM "$rust_pid"
wait "$rust_pid" || die "tpc-codec-server exited $? on SIGTERM"

"$work/goserver" -listen "127.0.0.1:$go_port" >"$work/go.log" 2>&1 &
go_pid=$!
pids+=("$go_pid")
wait_up "http://127.0.0.1:$go_port/"
measure "Go SDK handler" "http://127.0.0.1:$go_port/decode" "$go_pid"
