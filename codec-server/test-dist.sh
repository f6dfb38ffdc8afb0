#!/usr/bin/env bash
# Uses the codec server's release tarballs of dist/ (codec-server/dist.sh) as a user would, in
# a temp folder outside the repository, with a clean environment (env -i):
#   codec-server/test-dist.sh DIST_DIR
# For each of tpc-codec-server-<version>-linux-x86_64.tar.gz and -linux-aarch64.tar.gz:
#   - the entries (binary, example config, README.md, Dockerfile); the binary for its
#     architecture, stripped, no GLIBC_ symbol version past 2.17, needing only glibc's libraries;
#   - --version names <version>, --check-config accepts the example config;
#   - started with the example config on a free loopback port, from another folder: /healthz,
#     the Dockerfile's own HEALTHCHECK command, one /encode + /decode round trip (proto3 JSON,
#     snappy), then SIGTERM and exit 0.
#   The aarch64 binary runs under qemu-aarch64 (Debian's qemu-user, glibc of libc6-arm64-cross).
# Then the Docker image: built and run (health check, /healthz) when docker or podman can
# build here; otherwise the reason it was not built is printed (the Dockerfile's COPY sources
# are still checked against the tarball).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIST_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$repo/scripts/lib.sh"
dist=$(cd "$1" && pwd)
start=$SECONDS

ensure_apt qemu-user libc6-arm64-cross binutils file curl python3
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -1)

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/home" "$work/elsewhere"
# Every program runs with only PATH and a HOME of its own.
clean() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/home" "$@"; }

# The HEALTHCHECK command of the Dockerfile, for a server on another port.
healthcheck_cmd() { # healthcheck_cmd DOCKERFILE PORT: prints the command, NUL-separated
  python3 - "$1" "$2" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
m = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])\s*$", text, re.M)
assert m, "no HEALTHCHECK ... CMD [...] in the Dockerfile"
cmd = json.loads(m.group(1))
sys.stdout.write("\0".join(c.replace("127.0.0.1/8888", "127.0.0.1/" + sys.argv[2]) for c in cmd) + "\0")
PY
}

roundtrip() { # roundtrip PORT: POST /encode then /decode, the output equal to the input
  local port=$1
  python3 - >"$work/plain.json" <<'PY'
import base64, json
data = json.dumps({"greeting": "hello from the release tarball"} | {"n%d" % i: i for i in range(200)}).encode()
print(json.dumps({"payloads": [
    {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": base64.b64encode(data).decode()},
    {"metadata": {"encoding": base64.b64encode(b"binary/null").decode()}},
]}))
PY
  curl -sS --fail-with-body --max-time 10 -H 'Content-Type: application/json' --data-binary @"$work/plain.json" \
    "http://127.0.0.1:$port/encode" >"$work/encoded.json" || die "/encode failed: $(cat "$work/encoded.json")"
  curl -sS --fail-with-body --max-time 10 -H 'Content-Type: application/json' --data-binary @"$work/encoded.json" \
    "http://127.0.0.1:$port/default/decode" >"$work/decoded.json" || die "/default/decode failed: $(cat "$work/decoded.json")"
  python3 - "$work/plain.json" "$work/encoded.json" "$work/decoded.json" <<'PY'
import base64, json, sys
plain, encoded, decoded = (json.load(open(p)) for p in sys.argv[1:])
enc = base64.b64decode(encoded["payloads"][0]["metadata"]["encoding"])
assert enc == b"binary/snappy", "encode: payload 0 has encoding %r, expected binary/snappy" % enc
assert len(base64.b64decode(encoded["payloads"][0]["data"])) < len(base64.b64decode(plain["payloads"][0]["data"]))
assert decoded == plain, "decode did not give back the payloads that were encoded"
print("/encode (binary/snappy, %d -> %d bytes) and /default/decode: the same payloads back" % (
    len(base64.b64decode(plain["payloads"][0]["data"])), len(base64.b64decode(encoded["payloads"][0]["data"]))))
PY
}

# serve_and_check LABEL DIR RUNNER...: starts DIR/tpc-codec-server (through RUNNER, if any) with
# the example config on a free port, checks it, stops it with SIGTERM.
serve_and_check() {
  local label=$1 dir=$2
  shift 2
  local port
  port=$(free_port)
  (cd "$work/elsewhere" && exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/home" "$@" "$dir/tpc-codec-server" \
    --config "$dir/codec-server.example.toml" --listen "127.0.0.1:$port") >"$work/server.log" 2>&1 &
  server_pid=$!
  local waited=0
  until curl -sf --max-time 2 "http://127.0.0.1:$port/healthz" >"$work/health" 2>/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; die "$label: the server exited"; }
    [ "$waited" -lt 300 ] || { cat "$work/server.log"; die "$label: no /healthz answer within 30 s"; }
    sleep 0.1
    waited=$((waited + 1))
  done
  grep -qx '{"status":"ok"}' "$work/health" || die "$label: /healthz answered $(cat "$work/health")"
  echo "$label: /healthz $(cat "$work/health") after $((waited / 10)).$((waited % 10)) s"
  local cmd=()
  while IFS= read -r -d '' arg; do cmd+=("$arg"); done < <(healthcheck_cmd "$dir/Dockerfile" "$port")
  clean "${cmd[@]}" || die "$label: the Dockerfile's HEALTHCHECK command failed against the server"
  echo "$label: the Dockerfile's HEALTHCHECK command (${cmd[0]} ${cmd[1]} '...'): healthy"
  roundtrip "$port"
  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  [ "$status" = 0 ] || { cat "$work/server.log"; die "$label: exit status $status after SIGTERM"; }
  grep -q '"message":"stopped"' "$work/server.log" || { cat "$work/server.log"; die "$label: no 'stopped' log line"; }
  echo "$label: SIGTERM: stopped, exit 0"
}

for pair in x86_64:x86-64 aarch64:aarch64; do
  arch=${pair%%:*} machine=${pair#*:}
  name="tpc-codec-server-$version-linux-$arch"
  tarball="$dist/$name.tar.gz"
  [ -f "$tarball" ] || die "$tarball is missing: run scripts/dist.sh (codec-server/dist.sh)"
  log "codec-server dist: $name.tar.gz"
  tar -tzvf "$tarball"
  tar -tzf "$tarball" | sort >"$work/entries"
  expected=("$name/" "$name/Dockerfile" "$name/README.md" "$name/codec-server.example.toml" "$name/tpc-codec-server")
  for license in "$repo"/LICENSE*; do [ -f "$license" ] && expected+=("$name/$(basename "$license")"); done
  diff <(printf '%s\n' "${expected[@]}" | sort) "$work/entries" || die "$name.tar.gz: entries differ from the expected ones (above)"
  tar -xzf "$tarball" -C "$work"
  dir="$work/$name"
  bin="$dir/tpc-codec-server"
  [ -x "$bin" ] || die "$name: the binary is not executable"
  info=$(file -b "$bin")
  [[ "$info" == "ELF 64-bit LSB "*"$machine"* ]] || die "$name: not a 64-bit $machine program: $info"
  [[ "$info" == *", stripped"* ]] || die "$name: not stripped: $info"
  newest=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  [ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -1)" = 2.17 ] || die "$name: needs GLIBC_$newest, past 2.17"
  needed=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort | paste -sd' ')
  for lib in $needed; do
    case "$lib" in
      libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libgcc_s.so.1 | ld-linux-*.so.*) ;;
      *) die "$name: needs $lib, which is not part of glibc" ;;
    esac
  done
  echo "$name: $machine, stripped, GLIBC_ <= $newest, needs $needed"

  runner=()
  [ "$arch" = aarch64 ] && runner=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
  [ "$arch" = aarch64 ] && echo "running it under ${runner[*]}"
  got=$(cd "$work/elsewhere" && clean "${runner[@]}" "$bin" --version)
  [ "$got" = "tpc-codec-server $version" ] || die "$name: --version printed '$got'"
  echo "--version: $got"
  got=$(cd "$work/elsewhere" && clean "${runner[@]}" "$bin" --config "$dir/codec-server.example.toml" --check-config) ||
    die "$name: --check-config refused the example config: $got"
  echo "--check-config: $got"
  serve_and_check "$name" "$dir" "${runner[@]}"
done

log "codec-server dist: the Docker image"
dockerfile="$work/tpc-codec-server-$version-linux-x86_64/Dockerfile"
# The files the image takes from the tarball are in it.
for src in $(sed -n 's:^COPY --from=unpack /out/\([^ ]*\) .*:\1:p' "$dockerfile"); do
  [ -e "$work/tpc-codec-server-$version-linux-x86_64/$src" ] || die "the Dockerfile copies $src, which the tarball does not hold"
  echo "Dockerfile: COPY --from=unpack /out/$src: in the tarball"
done
tool="" why=""
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  tool=docker
elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then
  tool=podman
else
  if command -v docker >/dev/null; then
    msg=$(docker info 2>&1 | grep -m1 -i 'cannot connect\|error') || true
    why="the docker client is installed but no daemon answers (docker info: ${msg:-failed})"
  else
    why="docker is not installed"
  fi
  if command -v podman >/dev/null; then why="$why; podman is installed but 'podman info' fails"; else why="$why; podman is not installed"; fi
fi
if [ -z "$tool" ]; then
  echo "Docker image NOT built: $why. The Dockerfile was checked only as above (its COPY sources, and its"
  echo "HEALTHCHECK command against the unpacked binary); build it where a container engine runs:"
  echo "  docker build -f codec-server/Dockerfile -t tpc-codec-server DIST_DIR"
else
  context="$work/context"
  mkdir -p "$context"
  cp "$dist"/tpc-codec-server-"$version"-linux-*.tar.gz "$context/"
  image="tpc-codec-server-test-dist:$version"
  # podman's default OCI format drops HEALTHCHECK; its docker format keeps it.
  format=()
  [ "$tool" = podman ] && format=(--format docker)
  if ! "$tool" image inspect debian:bookworm-slim >/dev/null 2>&1 && ! "$tool" pull -q debian:bookworm-slim >"$work/pull.log" 2>&1; then
    echo "Docker image NOT built: $tool cannot pull the base image debian:bookworm-slim: $(tail -1 "$work/pull.log")"
    log "codec-server dist: passed in $((SECONDS - start)) s (without the image)"
    exit 0
  fi
  "$tool" build -q "${format[@]}" -f "$dockerfile" -t "$image" "$context" >/dev/null || die "$tool build failed"
  port=$(free_port)
  cid=$("$tool" run -d --rm -p "127.0.0.1:$port:8888" "$image") || die "$tool run failed"
  trap '"$tool" rm -f "$cid" >/dev/null 2>&1 || true; cleanup' EXIT
  user=$("$tool" image inspect -f '{{.Config.User}}' "$image")
  [ "$user" = 10001:10001 ] || die "image user is '$user', expected 10001:10001"
  for _ in $(seq 60); do
    if [ "$tool" = podman ]; then
      # podman runs health checks from systemd timers; ask for one directly.
      health=unhealthy
      podman healthcheck run "$cid" >/dev/null 2>&1 && health=healthy
    else
      health=$(docker inspect -f '{{.State.Health.Status}}' "$cid" 2>/dev/null || echo unknown)
    fi
    [ "$health" = healthy ] && break
    sleep 1
  done
  [ "$health" = healthy ] || { "$tool" logs "$cid"; die "the container is $health, not healthy, after 60 s"; }
  curl -sf --max-time 5 "http://127.0.0.1:$port/healthz" | grep -qx '{"status":"ok"}' || die "/healthz through the published port"
  roundtrip "$port"
  "$tool" stop -t 10 "$cid" >/dev/null
  "$tool" rmi -f "$image" >/dev/null 2>&1 || true
  echo "Docker image built with $tool: user 10001:10001, healthy, /healthz and a round trip on the published port"
fi

log "codec-server dist: passed in $((SECONDS - start)) s"
