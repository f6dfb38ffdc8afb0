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

log "build: the Node binding and the TypeScript examples (npm ci only when a lock file changed)"
npm_ci() { # npm ci in $1, skipped when node_modules was installed from the same lock file
  local dir=$1
  cmp -s "$dir/package-lock.json" "$dir/node_modules/.tpc-installed-lock" 2>/dev/null && return 0
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) &&
    cp "$dir/package-lock.json" "$dir/node_modules/.tpc-installed-lock"
}
quiet "the Node binding" bash -c "$(declare -f npm_ci); npm_ci bindings/node && cd bindings/node && npm run -s build"
quiet "the TypeScript examples" bash -c "$(declare -f npm_ci); npm_ci examples/node && cd examples/node && npm run -s build"

log "run"
exec .venv/bin/python demo/crosslang.py "$@"
