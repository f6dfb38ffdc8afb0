#!/usr/bin/env bash
# The Python packages of DIST_DIR (bindings/python/dist.sh), installed as a user would:
#   bindings/python/test-dist.sh DIST_DIR          (after scripts/dist.sh; DIST_DIR is usually dist/)
# In fresh venvs in a temp folder outside the repository, with no variable pointing at it
# (TPC_LIBRARY_PATH, PYTHONPATH, CARGO_TARGET_DIR and VIRTUAL_ENV unset):
#   1. pip install the x86-64 wheel (temporalio comes as its dependency): payload round trips
#      through Codec (temporalio Payloads, every compression, with encryption), and the library
#      the process loaded (/proc/self/maps) is the wheel's file, byte for byte;
#   2. pip install the sdist: pip builds the library with cargo (crates from crates.io), then
#      the same round trips; the built library has the SONAME, no symbol table, and the wheel
#      pip made is py3-none-linux_x86_64;
#   3. the aarch64 wheel's contents: its tag, the library for AArch64, stripped, SONAME
#      libtemporal_payload_codec.so.2, no GLIBC_ symbol version past 2.17 (objdump -T).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIST_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/scripts/lib.sh"
dist=$(cd "$1" && pwd)
start=$SECONDS

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
abi=$(sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' "$repo/include/temporal_payload_codec.h")
soname=libtemporal_payload_codec.so.$abi
name=temporal_payload_codec-$version
wheel_x86="$dist/$name-py3-none-manylinux_2_17_x86_64.whl"
wheel_arm="$dist/$name-py3-none-manylinux_2_17_aarch64.whl"
sdist="$dist/$name.tar.gz"
for f in "$wheel_x86" "$wheel_arm" "$sdist"; do [ -f "$f" ] || die "$f is missing (scripts/dist.sh python)"; done
command -v cargo >/dev/null || die "cargo is missing: the sdist test builds the library from source"
ensure_apt binutils

work=$(mktemp -d)
trap '[ -n "${TPC_KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
unset TPC_LIBRARY_PATH PYTHONPATH PYTHONHOME CARGO_TARGET_DIR VIRTUAL_ENV

# A user's program: round trips, then where the library came from. Prints the loaded path.
cat >"$work/roundtrip.py" <<'PY'
import asyncio
import hashlib
import sys
import sysconfig
from pathlib import Path

import temporal_payload_codec as tpc
from temporalio.api.common.v1 import Payload
from temporalio.converter import default

want_version, want_sha256 = sys.argv[1], sys.argv[2]
assert tpc.version() == want_version, f"library version {tpc.version()}, expected {want_version}"
assert tpc.ABI_VERSION == 2

payloads = default().payload_converter.to_payloads(["hello", {"n": 42, "s": "x" * 5000}, b"\x00\xff" * 300, None])
payloads.append(Payload(metadata={"encoding": b"binary/custom", "x": b"y"}, data=bytes(range(256)) * 64))
key = bytes(range(32))
for compression in ("none", "snappy", "snappy-raw", "zlib"):
    for keys in ({}, {"2026-11": key}):
        options = {"compression": compression, "keys": keys}
        if keys:
            options["encryption_key_id"] = "2026-11"
        with tpc.Codec(**options) as codec:
            encoded = asyncio.run(codec.encode(payloads))
            assert len(encoded) == len(payloads)
            if keys:
                assert all(p.metadata["encoding"] == b"binary/encrypted" for p in encoded), compression
                assert all(b"hello" not in p.SerializeToString() for p in encoded)
            elif compression != "none":
                assert encoded[1].metadata["encoding"] != payloads[1].metadata["encoding"], compression
            decoded = asyncio.run(codec.decode(encoded))
            assert decoded == payloads, f"round trip changed the payloads ({options})"
            assert codec.decode_bytes(codec.encode_bytes(b"")) == b""
# The default codec (Temporal's documented snappy codec) and its exact framing of one payload.
encoded = tpc.Codec().encode_sync([Payload(metadata={"encoding": b"json/plain"}, data=b'"hi"')])
assert encoded[0].metadata == {"encoding": b"binary/snappy"}, encoded[0].metadata
assert encoded[0].data.startswith(b"\xff\x06\x00\x00sNaPpY"), encoded[0].data[:16]

loaded = Path(tpc.library_path()).resolve()
site = Path(sysconfig.get_paths()["platlib"]).resolve()
assert loaded == site / "temporal_payload_codec" / "libtemporal_payload_codec.so", f"{loaded} not in {site}"
mapped = {line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "temporal_payload" in line}
assert mapped == {str(loaded)}, f"the process mapped {mapped}, expected {loaded}"
digest = hashlib.sha256(loaded.read_bytes()).hexdigest()
assert want_sha256 in ("-", digest), f"loaded library {digest}, expected {want_sha256}"
print(loaded)
PY

# sha256 of the library inside a wheel; its WHEEL tag.
member_sha256() { python3 -c 'import hashlib, sys, zipfile
print(hashlib.sha256(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])).hexdigest())' "$1" temporal_payload_codec/libtemporal_payload_codec.so; }
wheel_tag() { python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
wheel = next(n for n in z.namelist() if n.endswith(".dist-info/WHEEL"))
print(",".join(l.split(": ", 1)[1] for l in z.read(wheel).decode().splitlines() if l.startswith("Tag: ")))' "$1"; }
new_venv() { python3 -m venv "$work/$1" || die "python3 -m venv failed"; }
at_floor() { [ "$(printf '%s\n2.17\n' "$1" | sort -V | tail -1)" = 2.17 ]; }
check_elf() { # FILE ARCH (the Machine readelf names)
  local file=$1 machine=$2 newest
  readelf -h "$file" | grep -q "Machine: *$machine" || die "$file is not for $machine: $(readelf -h "$file" | grep Machine)"
  readelf -d "$file" | grep -q "Library soname: \[$soname\]" || die "$file: SONAME is not $soname"
  readelf -S -W "$file" | grep -qE '\.(symtab|debug_)' && die "$file is not stripped: $(readelf -S -W "$file" | grep -oE '\.(symtab|debug_[a-z]+)' | tr '\n' ' ')"
  readelf -s -W --dyn-syms "$file" | grep -q ' tpc_codec_encode$' || die "$file does not export tpc_codec_encode"
  newest=$(objdump -T "$file" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  [ -n "$newest" ] || die "$file: objdump -T shows no GLIBC_ version"
  echo "$newest"
}

log "python dist: the x86-64 wheel in a fresh venv"
t=$SECONDS
[ "$(wheel_tag "$wheel_x86")" = py3-none-manylinux_2_17_x86_64 ] || die "$wheel_x86: WHEEL tag $(wheel_tag "$wheel_x86")"
new_venv wheel
"$work/wheel/bin/pip" install -q --disable-pip-version-check "$wheel_x86" || die "pip install $wheel_x86 failed"
"$work/wheel/bin/pip" check >/dev/null || die "pip check failed in the wheel's venv"
"$work/wheel/bin/python" -c 'import temporalio' || die "temporalio did not come with the wheel"
loaded=$("$work/wheel/bin/python" "$work/roundtrip.py" "$version" "$(member_sha256 "$wheel_x86")") \
  || die "round trip with the x86-64 wheel failed"
newest=$(check_elf "$loaded" 'Advanced Micro Devices X86-64')
at_floor "$newest" || die "the x86-64 library needs GLIBC_$newest, past 2.17"
echo "x86-64 wheel: round trips pass; loaded $loaded (the wheel's file); GLIBC_$newest at most ($((SECONDS - t)) s)"

log "python dist: the sdist in a fresh venv (pip builds the library with cargo)"
t=$SECONDS
size=$(stat -c %s "$sdist")
[ "$size" -lt 262144 ] || die "the sdist is $size bytes: more than the package and the library's sources?"
listing=$(tar tzf "$sdist")
for f in rust/Cargo.toml rust/Cargo.lock rust/build.rs rust/cbindgen.toml rust/src/lib.rs rust/core/Cargo.toml \
  rust/include/temporal_payload_codec.h setup.py pyproject.toml; do
  grep -qx "$name/$f" <<<"$listing" || die "the sdist lacks $f"
done
grep -qE "^$name/(tests|bench|rust/target|rust/codec-server|rust/benches)/" <<<"$listing" \
  && die "the sdist carries files it should not: $(grep -E "^$name/(tests|bench|rust/target|rust/codec-server|rust/benches)/" <<<"$listing" | head -3)"
new_venv sdist
# --no-cache-dir: pip would otherwise keep the wheel it builds and reuse it for a later sdist
# of the same name and version.
"$work/sdist/bin/pip" install -v --disable-pip-version-check --no-cache-dir "$sdist" >"$work/sdist.log" 2>&1 \
  || { tail -60 "$work/sdist.log"; die "pip install $sdist failed"; }
grep -q "temporal-payload-codec: building the native library: cargo rustc" "$work/sdist.log" \
  && grep -q "Finished .release. profile" "$work/sdist.log" \
  || { tail -60 "$work/sdist.log"; die "pip install $sdist did not build the library with cargo"; }
tag=$(sed -n 's/^Tag: //p' "$work"/sdist/lib/python3*/site-packages/"$name".dist-info/WHEEL)
[ "$tag" = py3-none-linux_x86_64 ] || die "the wheel pip built from the sdist is tagged '$tag'"
loaded=$("$work/sdist/bin/python" "$work/roundtrip.py" "$version" -) || die "round trip with the sdist's build failed"
newest=$(check_elf "$loaded" 'Advanced Micro Devices X86-64')
echo "sdist: built with cargo and installed ($tag), round trips pass, $loaded stripped with SONAME $soname ($((SECONDS - t)) s)"

log "python dist: the aarch64 wheel's contents"
[ "$(wheel_tag "$wheel_arm")" = py3-none-manylinux_2_17_aarch64 ] || die "$wheel_arm: WHEEL tag $(wheel_tag "$wheel_arm")"
mkdir "$work/arm"
python3 -m zipfile -e "$wheel_arm" "$work/arm"
for f in __init__.py _codec.py _errors.py _native.py py.typed libtemporal_payload_codec.so; do
  [ -f "$work/arm/temporal_payload_codec/$f" ] || die "the aarch64 wheel lacks temporal_payload_codec/$f"
done
newest=$(check_elf "$work/arm/temporal_payload_codec/libtemporal_payload_codec.so" AArch64)
at_floor "$newest" || die "the aarch64 library needs GLIBC_$newest, past 2.17"
echo "aarch64 wheel: AArch64 library, stripped, SONAME $soname, GLIBC_$newest at most"

echo
echo "Python dist: x86-64 wheel, sdist and aarch64 wheel pass ($((SECONDS - start)) s)"
