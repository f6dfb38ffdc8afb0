#!/usr/bin/env bash
# The main demo: one workflow, every language, on a real Temporal server.
#   ./scripts/demo.sh   build everything, then run the demo: it prints what happened and
#                       asserts every claim (exit 1 on any failure), so it is also the
#                       end-to-end test scripts/test.sh runs
# Installs what it needs (scripts/setup.sh, Mono, Maven dependencies) on a fresh machine.
# The flow itself is demo/crosslang.py: it starts a Temporal dev server and the codec server
# on free loopback ports, a Go worker, a Java worker, a TypeScript worker and a Python client, then decodes the
# stored payloads from .NET, C, every binding and the Temporal CLI, and stops everything.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/lib.sh

quiet() { # runs a build step, showing its output only when it fails
  local what=$1; shift
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" | tail -40 >&2
    die "building $what failed (output above)"
  fi
}

log "setup (Python peers, Temporal CLI, cargo-fuzz; cheap when done)"
quiet "the setup" scripts/setup.sh
demo=target/demo
mkdir -p "$demo/go"

log "build: the library and the C payload_tool"
# Builds the library and puts its static copy into the Go module (bindings/go/local-lib.sh).
pkgconfig=$(bindings/go/local-lib.sh | tail -1)
quiet "the C payload_tool" cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude examples/c/payload_tool.c \
  -Ltarget/release -Wl,-rpath,"$repo/target/release" -ltemporal_payload_codec -o "$demo/payload_tool"

log "build: the Go worker and payloadtool (static: the library is inside the binary)"
export PKG_CONFIG_PATH=$pkgconfig
(cd examples/go && quiet "the Go examples" \
  go build -o "$repo/$demo/go/" ./worker ./payloadtool)

log "build: the codec server"
quiet "the codec server" cargo build -q --release --locked -p tpc-codec-server
cp target/release/tpc-codec-server "$demo/"

log "build: the Java worker and payload tool"
quiet "the Java examples" examples/java/run.sh build
log "build: the .NET examples (Mono)"
quiet "the .NET examples" bindings/dotnet/test.sh --build-only
log "build: the Python binding, installed into .venv"
# The binding with the library built above (without TPC_LIBRARY_PATH it would build its own).
quiet "the Python binding" env TPC_LIBRARY_PATH="$repo/target/release" \
  .venv/bin/pip install -q --disable-pip-version-check ./bindings/python

log "build: the Node binding and its examples (npm ci only when the lock file changed)"
# The stamp is the one bindings/node/test.sh writes and accepts.
quiet "the Node binding" bash -c 'cd bindings/node &&
  { cmp -s package-lock.json node_modules/.tpc-installed-lock || {
      npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.tpc-installed-lock; }; } &&
  npm run -s build && npm run -s build:tests'

log "run"
exec .venv/bin/python demo/crosslang.py "$@"
