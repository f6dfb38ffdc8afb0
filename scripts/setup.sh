#!/usr/bin/env bash
# Installs everything the tests and the demo need, on a fresh machine; cheap when already done.
#   .venv            Python peers (scripts/requirements-test.txt)
#   Debian packages  valgrind, pkg-config (more are added by the steps that need them)
#   cargo-fuzz       pinned, for scripts/fuzz.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/lib.sh

command -v cargo >/dev/null || die "cargo is missing: install Rust (rustup) first"
command -v go >/dev/null || die "go is missing: install Go 1.26 or later"
command -v python3 >/dev/null || die "python3 is missing: install Python 3.11 or later"

ensure_apt valgrind pkg-config abigail-tools

req=scripts/requirements-test.txt
stamp=.venv/.requirements
if [ ! -x .venv/bin/python ] || ! cmp -s "$req" "$stamp"; then
  log "creating .venv with the Python peers ($req)"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r "$req" || die "pip install -r $req failed"
  cp "$req" "$stamp"
fi

fuzz_version=0.13.1
if ! cargo fuzz --version 2>/dev/null | grep -q "$fuzz_version"; then
  log "installing cargo-fuzz $fuzz_version"
  cargo install -q --locked cargo-fuzz --version "$fuzz_version" || die "cargo install cargo-fuzz failed"
fi
log "setup done"
