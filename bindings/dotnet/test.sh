#!/usr/bin/env bash
# The .NET binding's tests, runnable from any directory on a fresh Debian machine with Rust:
#   bindings/dotnet/test.sh               (bindings/dotnet/test.sh --build-only: install and build, no tests)
# Installs Mono (mcs + mono) and what the fixtures need, builds the library, compiles the
# binding, its tests and examples with mcs into bindings/dotnet/out/, checks the examples
# (also against the C payload_tool), the Temporalio adapter against stubs (with the conformance
# suite, tests/conformance/cases.json, through it), then runs the test runner (the conformance
# suite through the byte API; inside 4 GiB of address space, for HostileTests; AbiTests compiles
# fake libraries with gcc and runs tests/abi-probe against them). Each runner's last line is
# "N passed, N failed".
# Exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"

log "install: mono-complete (mcs, mono), a C compiler for the C payload_tool"
ensure_apt mono-complete gcc libc6-dev
# The .NET sample's encrypted layout is made with Python's cryptography (Mono has no AesGcm):
# the project venv when scripts/setup.sh made it, else Debian's python3-cryptography.
python="$repo/.venv/bin/python"
if ! [ -x "$python" ] || ! "$python" -c 'import cryptography' 2>/dev/null; then
  ensure_apt python3 python3-cryptography
  python=/usr/bin/python3
fi

log "build the library"
"$repo/scripts/build-lib.sh" >/dev/null
lib="$repo/target/release"
[ -f "$lib/libtemporal_payload_codec.so" ] || die "scripts/build-lib.sh did not produce $lib/libtemporal_payload_codec.so"
vectors=${TPC_VECTORS:-$repo/tests/vectors/reference-snappy.json}
[ -f "$vectors" ] || die "shared vectors not found at $vectors (set TPC_VECTORS)"
go_sample="$repo/tests/vectors/go-sample-encryption.json"
[ -f "$go_sample" ] || die "Go encryption sample vectors not found at $go_sample"
conformance="$repo/tests/conformance/cases.json"
[ -f "$conformance" ] || die "the conformance suite is not at $conformance"

log "style: no tabs, no trailing whitespace, LF line ends in C# sources"
bad=$(grep -rlP '\t| +$|\r' --include='*.cs' "$here/src" "$here/tests" "$here/examples" "$here/bench" || true)
[ -z "$bad" ] || die "fix whitespace in: $bad"

out="$here/out"
rm -rf "$out/lib" "$out/tests" "$out/examples"
mkdir -p "$out/lib" "$out/tests" "$out/examples"
mcsc() { mcs -nologo -warnaserror -debug "$@"; }

log "compile with mcs (warnings are errors; the library's public API must be documented)"
mcsc -target:library -out:"$out/lib/TemporalPayloadCodec.dll" -doc:"$out/lib/TemporalPayloadCodec.xml" \
  "$here"/src/TemporalPayloadCodec/*.cs
for dir in tests examples; do cp "$out/lib/TemporalPayloadCodec.dll" "$out/$dir/"; done
mcsc -out:"$out/tests/TemporalPayloadCodec.Tests.exe" -r:"$out/tests/TemporalPayloadCodec.dll" \
  -r:System.Web.Extensions "$here"/tests/*.cs "$here/examples/DecodePayloads/MiniProto.cs"
# The child process of AbiTests (a fake library of another ABI version must be refused).
mcsc -out:"$out/tests/AbiProbe.exe" -r:"$out/tests/TemporalPayloadCodec.dll" "$here"/tests/abi-probe/*.cs
# The Temporalio adapter's own runner: the adapter compiled against the SDK stubs.
mcsc -out:"$out/tests/AdapterTests.exe" -r:"$out/tests/TemporalPayloadCodec.dll" -r:System.Web.Extensions \
  "$here"/src/TemporalPayloadCodec.Temporalio/*.cs "$here"/tests/stubs/*.cs "$here"/tests/adapter/*.cs \
  "$here/tests/TestRunner.cs" "$here/tests/Conformance.cs" "$here/examples/DecodePayloads/MiniProto.cs"
mcsc -out:"$out/examples/DecodePayloads.exe" -r:"$out/examples/TemporalPayloadCodec.dll" \
  "$here"/examples/DecodePayloads/*.cs "$here"/examples/Common/*.cs
mcsc -out:"$out/examples/PayloadTool.exe" -r:"$out/examples/TemporalPayloadCodec.dll" \
  "$here"/examples/PayloadTool/*.cs "$here"/examples/Common/*.cs
# The examples find the library through a Mono dllmap beside the assembly (no LD_LIBRARY_PATH).
cat > "$out/examples/TemporalPayloadCodec.dll.config" <<XML
<configuration>
  <dllmap dll="temporal_payload_codec" target="$lib/libtemporal_payload_codec.so" />
</configuration>
XML
cc -O2 -Wall -Wextra -Werror -I"$repo/include" -o "$out/examples/payload_tool_c" "$repo/examples/c/payload_tool.c" \
  -L"$lib" -Wl,-rpath,"$lib" -ltemporal_payload_codec
if [ "${1:-}" = --build-only ]; then
  log ".NET binding and examples built in $out"
  exit 0
fi

log "examples: PayloadTool and DecodePayloads (dllmap, no LD_LIBRARY_PATH)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tool() { env -u LD_LIBRARY_PATH mono "$out/examples/PayloadTool.exe" "$@"; }
"$python" - "$vectors" "$work" <<'PY'
import base64, json, sys
cases = json.load(open(sys.argv[1]))["cases"]
for c in cases:
    for kind in ("plain", "encoded"):
        open(f"{sys.argv[2]}/{c['name']}.{kind}", "wb").write(base64.b64decode(c[kind]))
PY
key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
checked=0
for plain in "$work"/*.plain; do
  name=$(basename "$plain" .plain)
  tool encode "$plain" > "$work/enc"
  cmp -s "$work/enc" "$work/$name.encoded" || die "PayloadTool encode of $name differs from the reference vector"
  tool decode - < "$work/$name.encoded" | cmp -s - "$plain" || die "PayloadTool decode of $name"
  for compression in none snappy snappy-raw zlib; do
    for k in "" "$key"; do
      # .NET encodes, C decodes; C encodes, .NET decodes. An empty key means no key variable.
      settings=(TPC_COMPRESSION="$compression" ${k:+TPC_KEY_HEX="$k"})
      env -u LD_LIBRARY_PATH "${settings[@]}" mono "$out/examples/PayloadTool.exe" encode "$plain" > "$work/enc"
      env "${settings[@]}" "$out/examples/payload_tool_c" decode "$work/enc" | cmp -s - "$plain" ||
        die "C decode of .NET encode ($name, $compression, key=${k:+yes})"
      env "${settings[@]}" "$out/examples/payload_tool_c" encode "$plain" > "$work/enc"
      env -u LD_LIBRARY_PATH "${settings[@]}" mono "$out/examples/PayloadTool.exe" decode "$work/enc" | cmp -s - "$plain" ||
        die ".NET decode of C encode ($name, $compression, key=${k:+yes})"
      checked=$((checked + 2))
    done
  done
done
echo "PayloadTool: reference vectors and $checked cross-checks with the C payload_tool: ok"

expect_exit() { # expected-status stderr-regex command...
  local want=$1 pattern=$2 status=0
  shift 2
  "$@" > /dev/null 2> "$work/stderr" || status=$?
  [ "$status" = "$want" ] || die "$* exited $status, expected $want (stderr: $(cat "$work/stderr"))"
  grep -qE "$pattern" "$work/stderr" || die "$*: stderr '$(cat "$work/stderr")' does not match /$pattern/"
}
expect_exit 2 '^usage: ' tool
expect_exit 2 '^usage: ' tool frobnicate -
expect_exit 2 'nope' tool encode "$work/nope"
expect_exit 2 '64 hex digits' env TPC_KEY_HEX=abc mono "$out/examples/PayloadTool.exe" encode "$work/null.plain"
expect_exit 3 '^TpcException: TPC_ERR_INVALID_ARGUMENT \(2\): .*99' env TPC_COMPRESSION=lz4 mono "$out/examples/PayloadTool.exe" encode "$work/null.plain"
printf '\x0a\x05\x12' > "$work/truncated"
expect_exit 3 '^TpcException: TPC_ERR_MALFORMED_INPUT \(3\): ' tool decode "$work/truncated"
TPC_KEY_HEX=$key TPC_KEY_ID=k1 tool encode "$work/several.plain" > "$work/enc-k1"
expect_exit 3 '^TpcException: TPC_ERR_UNKNOWN_KEY \(6\): .*k1' env TPC_KEY_HEX=$key TPC_KEY_ID=k2 mono "$out/examples/PayloadTool.exe" decode "$work/enc-k1"
expect_exit 3 '^TpcException: TPC_ERR_DECRYPT_FAILED \(7\): ' env TPC_KEY_HEX="${key/00/ff}" TPC_KEY_ID=k1 mono "$out/examples/PayloadTool.exe" decode "$work/enc-k1"
echo "PayloadTool: exit statuses and error lines: ok"

env -u LD_LIBRARY_PATH mono "$out/examples/DecodePayloads.exe" "$work/several.encoded" > "$work/listing"
grep -qx 'payload 0: encoding=json/plain data="x"' "$work/listing" || die "DecodePayloads: $(cat "$work/listing")"
grep -q '^payload 1: encoding=binary/plain data=base64:AAECAw' "$work/listing" || die "DecodePayloads: $(cat "$work/listing")"
env -u LD_LIBRARY_PATH mono "$out/examples/DecodePayloads.exe" < "$work/json-object.encoded" > "$work/listing"
grep -qx 'payload 0: encoding=json/plain data={"hello":"world"}' "$work/listing" || die "DecodePayloads from stdin"
TPC_KEY_HEX=$key TPC_KEY_ID=k1 env -u LD_LIBRARY_PATH mono "$out/examples/DecodePayloads.exe" "$work/enc-k1" > "$work/listing"
grep -qx 'payload 0: encoding=json/plain data="x"' "$work/listing" || die "DecodePayloads with a key"
# Without the dllmap and the library path, the error says how to make the library found.
mkdir -p "$work/nolib" && cp "$out/examples/DecodePayloads.exe" "$out/examples/TemporalPayloadCodec.dll" "$work/nolib/"
expect_exit 1 'LD_LIBRARY_PATH' env -u LD_LIBRARY_PATH mono "$work/nolib/DecodePayloads.exe" "$work/several.encoded"
echo "DecodePayloads: listing, stdin, keys, missing-library message: ok"

log "Temporalio adapter against stubs of the SDK surface (the real package is not available here)"
LD_LIBRARY_PATH="$lib" TPC_CONFORMANCE="$conformance" mono --debug "$out/tests/AdapterTests.exe"

log "tests (mono, inside 4 GiB of address space)"
"$python" "$here/tests/dotnet_sample.py" make "$work/dotnet-sample.tsv"
# The batches every binding must survive (HostileTests), from the one shared generator.
"$python" "$repo/tests/hostile/make_hostile.py" "$work/hostile"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# ulimit -v: without a limit, whether a reservation sized from a hostile header fails depends on
# the host (on a 23 GB machine overcommit granted the unfixed library 18.75 GiB for framed-claims,
# and the call still returned the expected CORRUPT_PAYLOAD); inside 4 GiB it fails on any host,
# as on a small one, so a decode that trusts a claim aborts the runner here. Mono needs no tuning
# for it (SGen reserves no large heap up front: no MONO_GC_PARAMS). MALLOC_ARENA_MAX: glibc
# reserves 64 MiB of address space per malloc arena, up to 8 per core; Mono with 16 threads held
# 1.1 GB of address space with the default, 0.17 GB with two arenas (measured on 2 cores).
status=0
(
  ulimit -v 4194304
  exec env MALLOC_ARENA_MAX=2 TPC_CONFORMANCE="$conformance" TPC_GO_SAMPLE_VECTORS="$go_sample" TPC_DOTNET_SAMPLE="$work/dotnet-sample.tsv" TPC_PYTHON="$python" \
    TPC_SAMPLE_SCRIPT="$here/tests/dotnet_sample.py" TPC_HOSTILE_DIR="$work/hostile" \
    mono --debug "$out/tests/TemporalPayloadCodec.Tests.exe" "$@"
) || status=$?
if [ "$status" -gt 128 ]; then
  die "the test runner was killed by signal $((status - 128)) (a library abort is SIGABRT, 6)"
fi
[ "$status" = 0 ] || die "the test runner exited $status"
