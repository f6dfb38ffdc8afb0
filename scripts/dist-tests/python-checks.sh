#!/bin/bash
# The x86-64 wheel as a Python user installs it: a fresh venv, `pip install` the wheel file
# (temporalio and the rest from PyPI, binary wheels only), then roundtrip.py. Run by
# scripts/test-dist-c.sh inside the Debian 11 root; needs nothing from the repository.
#
#   python-checks.sh PYTHON WHEEL VERSION WORKDIR
set -euo pipefail
python=$1 wheel=$2 version=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
"$python" -m venv venv
echo "ok   venv with $(venv/bin/python --version) on glibc $(ldd --version | sed -n '1s/.* //p')"
start=$SECONDS
if ! venv/bin/pip install -q --disable-pip-version-check --only-binary=:all: "$wheel" >pip.log 2>&1; then
  sed 's/^/    /' pip.log >&2
  echo "FAIL: pip install $(basename "$wheel")" >&2
  exit 1
fi
echo "ok   pip install $(basename "$wheel") ($((SECONDS - start)) s): $(venv/bin/pip list --format=freeze 2>/dev/null | grep -iE '^(temporal-payload-codec|temporalio)==' | tr '\n' ' ')"
venv/bin/python "$here/roundtrip.py" "$version"
