#!/usr/bin/env bash
# The codec server's production features against real peers, runnable from any cwd:
#   codec-server/test-production.sh [SERVER_BINARY]   (default: target/release/tpc-codec-server, built here)
# 1. metrics: a real Prometheus (Debian's `prometheus`) scrapes the server's metrics listener
#    on loopback; the test drives N decode requests and requests for namespaces nobody
#    configured, then asks Prometheus's HTTP API (/api/v1/query) for those counters: N, and
#    the folded `_other` count. /metrics is not on the codec listener.
# 2. readiness and limits as a client sees them from outside: /readyz, a 429 with Retry-After
#    for a client over its rate while another address is served.
# 3. deploy/kubernetes.yaml parses (python3-yaml), has the Deployment, Service, Secret,
#    ConfigMap and probes it documents, and the config it ships passes --check-config with
#    the Secret's variables set.
# (The in-process tests of each feature are tests/production.rs, run by cargo test.)
# Every process started here is stopped on exit; logs are printed on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$repo/scripts/lib.sh"

ensure_apt prometheus python3-yaml curl
server=${1:-}
if [ -z "$server" ]; then
  (cd "$repo" && cargo build --locked --release -q -p tpc-codec-server)
  server="$repo/target/release/tpc-codec-server"
fi
[ -x "$server" ] || die "no codec server binary at $server"

work=$(mktemp -d)
pids=()
status=1
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    for f in "$work"/*.log; do
      [ -f "$f" ] || continue
      printf '\n---- %s (last 40 lines) ----\n' "$(basename "$f")"
      tail -40 "$f"
    done
    echo "codec server production features: FAILED (logs above)"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

wait_http() { # wait_http URL SECONDS
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || die "$1 did not answer within $2 s"
    sleep 0.2
  done
}

log "metrics: Prometheus scrapes the codec server; its HTTP API shows the requests sent here"
codec_port=$(free_port)
metrics_port=$(free_port)
prom_port=$(free_port)
TPC_KEY_HEX=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export TPC_KEY_HEX
cat >"$work/codec.toml" <<EOF
[server]
listen = "127.0.0.1:$codec_port"
[metrics]
listen = "127.0.0.1:$metrics_port"
[limits]
requests_per_second = 5
burst = 100
[namespaces.default]
encryption_key_id = "k"
keys = [{ id = "k", env = "TPC_KEY_HEX" }]
EOF
"$server" -c "$work/codec.toml" >"$work/codec.log" 2>&1 &
codec_pid=$!
pids+=("$codec_pid")
wait_http "http://127.0.0.1:$codec_port/healthz" 20
wait_http "http://127.0.0.1:$metrics_port/metrics" 10
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$codec_port/metrics")
[ "$code" = 404 ] || die "/metrics on the codec listener answered $code, not 404"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$codec_port/readyz")
[ "$code" = 200 ] || die "/readyz answered $code, not 200"

cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tpc-codec-server
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$prom_port/-/ready" 30

python3 - "http://127.0.0.1:$codec_port" "http://127.0.0.1:$prom_port" <<'PY' || die "the Prometheus check failed"
import json, sys, time, urllib.error, urllib.parse, urllib.request
codec, prom = sys.argv[1:]
body = json.dumps({"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjoxfQ=="}]}).encode()

def post(path, headers=None, data=body):
    req = urllib.request.Request(codec + path, data=data, method="POST",
                                 headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers  # case-insensitive lookups

N, OTHER = 23, 4
for _ in range(N):
    assert post("/default/decode")[0] == 200
for i in range(OTHER):  # names nobody configured: 404, folded into one label value
    assert post(f"/made-up-{i}/decode")[0] == 404

def query(q):
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=10) as r:
        doc = json.load(r)
    assert doc["status"] == "success", doc
    return doc["data"]["result"]

def value(q):
    result = query(q)
    return float(result[0]["value"][1]) if result else None

ok = 'tpc_codec_server_requests_total{route="decode",namespace="default",status="200"}'
other = 'tpc_codec_server_requests_total{route="decode",namespace="_other",status="404"}'
deadline = time.monotonic() + 20
while (value(ok), value(other)) != (N, OTHER):
    assert time.monotonic() < deadline, f"Prometheus shows {value(ok)} and {value(other)}, not {N} and {OTHER}"
    time.sleep(0.5)
print(f"Prometheus: {ok} = {N}, {other} = {OTHER}")
names = {r["metric"].get("namespace") for r in query("tpc_codec_server_requests_total")}
assert not any(n and n.startswith("made-up") for n in names), names
build = query("tpc_codec_server_build_info")
assert len(build) == 1 and build[0]["metric"]["abi_version"] == "2", build
print("build info:", {k: v for k, v in build[0]["metric"].items() if k.endswith("version")})
up = value('up{job="tpc-codec-server"}')
assert up == 1, up

# The rate limit as a client sees it: this address has used its burst of 100 above within a
# second or two, at 5/s; a few more and it is refused, with Retry-After.
statuses = [post("/default/decode") for _ in range(120)]
refused = [h for s, h in statuses if s == 429]
assert refused, [s for s, _ in statuses]
assert all(int(h["Retry-After"]) >= 1 for h in refused), refused[0]
print(f"rate limit: {len(refused)} of 120 further requests answered 429 with Retry-After {refused[0]['Retry-After']}")
deadline = time.monotonic() + 20
while value('tpc_codec_server_limited_total{reason="rate"}') != len(refused):
    assert time.monotonic() < deadline, "Prometheus does not show the 429s"
    time.sleep(0.5)
PY
kill -TERM "$codec_pid"
code=0
wait "$codec_pid" || code=$?
[ "$code" -eq 0 ] || die "the codec server exited $code on SIGTERM"

log "deploy/kubernetes.yaml: parses, holds what the README says, and its config loads"
python3 - "$here/deploy/kubernetes.yaml" "$work" <<'PY' || die "the Kubernetes example check failed"
import sys, yaml
path, work = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
kinds = {d["kind"]: d for d in docs}
for kind in ("Secret", "ConfigMap", "Deployment", "Service"):
    assert kind in kinds, f"no {kind} in {path}"
pod = kinds["Deployment"]["spec"]["template"]["spec"]
(container,) = pod["containers"]
ports = {p["name"]: p["containerPort"] for p in container["ports"]}
assert set(ports) == {"http", "metrics"}, ports
assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
toml_text = kinds["ConfigMap"]["data"]["codec-server.toml"]
assert f'listen = "0.0.0.0:{ports["http"]}"' in toml_text, "server.listen is not the http port"
assert f'listen = "0.0.0.0:{ports["metrics"]}"' in toml_text, "metrics.listen is not the metrics port"
secret = kinds["Secret"]["stringData"]
# The config names its secrets as files in the Secret's volume: write stand-ins there.
mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "keys")
open(f"{work}/k8s.toml", "w").write(toml_text.replace(mount, f"{work}/k8s-secrets"))
import os, secrets
os.makedirs(f"{work}/k8s-secrets")
for name in secret:
    value = secrets.token_hex(32)
    open(f"{work}/k8s-secrets/{name}", "w").write(value)
print(f"{len(docs)} documents: {sorted(kinds)}; ports {ports}; secrets {sorted(secret)}")
PY
"$server" --check-config -c "$work/k8s.toml" || die "the Kubernetes example's config does not load"

status=0
echo "codec server production features: all checks passed"
