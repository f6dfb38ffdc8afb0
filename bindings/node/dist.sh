#!/usr/bin/env bash
# The npm package, with the native library for both supported platforms inside:
#   bindings/node/dist.sh NATIVE_DIR OUT_DIR      (scripts/dist.sh runs it: dist/native dist/)
# Writes OUT_DIR/temporal-payload-codec-VERSION.tgz, what `npm pack` gives and `npm publish`
# would upload:
#   package/dist/          the TypeScript compiled by `npm run build` (JavaScript and .d.ts)
#   package/native/linux-x64/libtemporal_payload_codec.so.2     NATIVE_DIR/linux-x86_64's library
#   package/native/linux-arm64/libtemporal_payload_codec.so.2   NATIVE_DIR/linux-aarch64's library
#   package/package.json, README.md, INSTALL.md
# One package for both platforms (INSTALL.md says why, not per-platform optionalDependencies).
# It is built from a copy of the sources in target/node-dist/, not in bindings/node/ (whose
# dist/ and node_modules/ belong to its tests); the copy's node_modules is kept while
# package-lock.json is unchanged. The same tree gives the same tgz: tsc's output is
# deterministic and npm pack writes fixed entry times and modes.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 NATIVE_DIR OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"
[ -d "$1" ] || die "$1 is not a directory: run scripts/dist.sh native first"
native=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
command -v npm >/dev/null || die "npm is missing (Node 20 or newer with npm)"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
abi=$(sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' "$repo/include/temporal_payload_codec.h")
npm_version=$(node -p 'require(process.argv[1]).version' "$here/package.json")
[ "$npm_version" = "$version" ] || die "bindings/node/package.json has version $npm_version, Cargo.toml $version"
library=libtemporal_payload_codec.so.$abi

work="$repo/target/node-dist"
stage="$work/package"
mkdir -p "$stage"
# A fresh copy of the sources, keeping only the installed dependencies.
find "$stage" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
tar -C "$here" --exclude=./node_modules --exclude=./dist --exclude=./native --exclude=./build -cf - . | tar -C "$stage" -xf -
if [ ! -d "$stage/node_modules" ] || ! cmp -s "$here/package-lock.json" "$work/installed-lock.json"; then
  log "node: npm ci (package-lock.json)"
  rm -f "$work/installed-lock.json"
  (cd "$stage" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$work/npm-ci.log" 2>&1) ||
    { tail -30 "$work/npm-ci.log" >&2; die "npm ci failed in $stage"; }
  cp "$here/package-lock.json" "$work/installed-lock.json"
fi

log "node: npm run build"
(cd "$stage" && npm run --silent build >"$work/build.log" 2>&1) || { cat "$work/build.log" >&2; die "npm run build failed"; }
for file in dist/index.js dist/index.d.ts; do [ -f "$stage/$file" ] || die "npm run build gave no $file"; done

# The platform names are Node's (process.platform-process.arch), which the loader looks up.
for pair in linux-x86_64:linux-x64 linux-aarch64:linux-arm64; do
  from="$native/${pair%%:*}/libtemporal_payload_codec.so"
  [ -f "$from" ] || die "$from is missing (scripts/dist.sh native)"
  mkdir -p "$stage/native/${pair##*:}"
  cp "$from" "$stage/native/${pair##*:}/$library"
done

log "node: npm pack"
name=temporal-payload-codec-$version.tgz
rm -f "$out/$name"
(cd "$stage" && npm pack --ignore-scripts --silent --pack-destination "$out" >"$work/pack.log" 2>&1) ||
  { cat "$work/pack.log" >&2; die "npm pack failed"; }
tgz="$out/$name"
[ -f "$tgz" ] || die "npm pack did not write $name: $(cat "$work/pack.log")"

listing=$(tar tzf "$tgz")
for file in package.json dist/index.js dist/index.d.ts "native/linux-x64/$library" "native/linux-arm64/$library"; do
  grep -qx "package/$file" <<<"$listing" || die "$name lacks $file"
done
# Tests and build files stay out (the package.json "files" field); src/ is there for the source
# maps, which must all resolve inside the package.
strays=$(grep -vE '^package/(dist/|src/[^/]+\.ts$|native/linux-(x64|arm64)/'"${library//./\\.}"'$|package\.json$|README\.md$|INSTALL\.md$)' <<<"$listing" || true)
[ -z "$strays" ] || die "$name carries files outside dist/, src/ and native/: $(head -5 <<<"$strays" | xargs)"
node - "$tgz" "$listing" <<'JS' || die "$name: a source map names a file the package does not carry"
const [tgz, listing] = process.argv.slice(2);
const files = new Set(listing.split('\n'));
const path = require('node:path');
const { execFileSync } = require('node:child_process');
for (const map of [...files].filter((f) => f.endsWith('.js.map'))) {
  const { sources } = JSON.parse(execFileSync('tar', ['xzOf', tgz, map]));
  for (const source of sources) {
    const file = path.posix.join(path.posix.dirname(map), source);
    if (!files.has(file)) throw new Error(`${map} names ${source} (${file})`);
  }
}
JS
grep -qE '^package/dist/.*\.test\.' <<<"$listing" && die "$name carries compiled tests: $(grep -E '\.test\.' <<<"$listing" | head -3 | xargs)"
for pair in linux-x86_64:linux-x64 linux-aarch64:linux-arm64; do
  cmp -s "$native/${pair%%:*}/libtemporal_payload_codec.so" <(tar xzOf "$tgz" "package/native/${pair##*:}/$library") ||
    die "$name: native/${pair##*:}/$library is not $native/${pair%%:*}/libtemporal_payload_codec.so"
done
echo "node: $name ($(du -k "$tgz" | cut -f1) KiB, $(wc -l <<<"$listing") files)" >&2
