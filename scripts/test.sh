#!/usr/bin/env bash
# Every test of the project, as CI runs it (.ci/run calls exactly this): ./scripts/test.sh
#
# Installs what it needs first (scripts/setup.sh), then runs each step below, even after a
# failure, so one run shows everything that is broken. Exits non-zero if any step failed.
# A single step: ./scripts/test.sh rust-tests   (names as listed in STEPS)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/lib.sh

STEPS=(
  "setup|scripts/setup.sh"
  "rust-format|cargo fmt --all -- --check"
  "rust-lint|cargo clippy --workspace --all-targets --locked -- -D warnings && RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --locked -q && python3 scripts/check-rust-version.py"
  "rust-tests|cargo test --workspace --locked"
  "abi-guard|scripts/check-abi.sh && scripts/check-abi.sh --self-test"
  "python-lint|.venv/bin/ruff check . && .venv/bin/ruff format --check ."
  "c-example|scripts/test-c.sh"
  "go-binding|bindings/go/test.sh"
  "java-binding|bindings/java/test.sh"
  "dotnet-binding|bindings/dotnet/test.sh"
  "python-binding|bindings/python/test.sh"
  "node-binding|bindings/node/test.sh"
  "codec-server|codec-server/test.sh"
  "fuzz|scripts/fuzz.sh 30"
  "dist|scripts/dist.sh"
  "dist-install|scripts/test-dist.sh"
  "e2e|scripts/demo.sh"
)

# The tests must leave the work tree as they found it: a build that rewrites a committed lock
# file or header, or a step that writes into the repository, would otherwise go unnoticed.
tree_state() { git status --porcelain=v1 --untracked-files=all 2>/dev/null || true; }
tree_before=$(tree_state)

only=${1:-}
declare -a results=()
failed=0
for entry in "${STEPS[@]}"; do
  name=${entry%%|*}
  cmd=${entry#*|}
  [ -n "$only" ] && [ "$name" != "$only" ] && [ "$name" != setup ] && continue
  log "step $name: $cmd"
  start=$SECONDS
  # 20 minutes per step at most: a hung server must not eat CI's whole budget.
  if timeout --kill-after=30 1200 bash -c "$cmd"; then status=ok; else status=FAILED; failed=$((failed + 1)); fi
  results+=("$(printf '%-14s %-7s %4ss' "$name" "$status" $((SECONDS - start)))")
  if [ "$name" = setup ] && [ "$status" != ok ]; then
    die "setup failed: nothing else can run (see above)"
  fi
done

tree_after=$(tree_state)
if [ "$tree_before" != "$tree_after" ]; then
  echo "the test run changed the work tree (git status before and after):"
  diff <(echo "$tree_before") <(echo "$tree_after") || true
  results+=("$(printf '%-14s %-7s' clean-tree FAILED)")
  failed=$((failed + 1))
else
  results+=("$(printf '%-14s %-7s' clean-tree ok)")
fi

echo
echo "== summary"
printf '%s\n' "${results[@]}"
[ "$failed" = 0 ] || die "$failed step(s) failed"
echo "all steps passed"
