#!/usr/bin/env bash
# The Node binding's benchmark (BENCHMARKS.md): our codec against the PayloadCodecs a
# TypeScript user would write instead, side by side in one run. Builds the library, writes the
# shared batches, builds the package and this bench, type-checks and lints it, then runs it.
#   bindings/node/bench/run.sh            the full run (about 3 minutes); prints the tables
#   bindings/node/bench/run.sh --smoke    one tiny round: every codec's round trips and
#                                         cross-checks, and the harness runs (a few seconds)
#   bindings/node/bench/run.sh --thin     "ours" is thin koffi calls of the C ABI, not the package
# Other options go to dist/main.js (--rounds N, --block-ms MS).
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
package=$(dirname "$bench")
repo=$(cd "$package/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$repo/scripts/build-lib.sh" >/dev/null
library="$repo/target/release/libtemporal_payload_codec.so.2"
(cd "$repo" && cargo run -q --release --locked --example bench_data -- "$work/data" >/dev/null)

# npm ci only when package-lock.json changed since the last one (it wipes node_modules); the
# package's own test.sh keeps the same stamp.
install() {
  if [ ! -d "$1/node_modules" ] || ! cmp -s "$1/package-lock.json" "$1/node_modules/.tpc-package-lock.json"; then
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.tpc-package-lock.json)
  fi
}
install "$package"
(cd "$package" && npx tsc -p tsconfig.build.json)
install "$bench"
# tsc --strict, eslint and prettier on the bench itself.
(cd "$bench" && npm run -s build && npm run -s lint)

# The package and the thin calls load the same library: the one just built.
cd "$bench"
TPC_LIBRARY_PATH="$library" node --expose-gc dist/main.js \
  --data "$work/data" --library "$library" --package "$package" "$@"
